//! The file store in a directory other users can write to (such as `/tmp`): nothing planted
//! there (a symbolic link at the temp, lock or data file's name, a FIFO, a file owned by
//! someone else) can make it write to another file or read someone else's data.
#![cfg(unix)]

use core::time::Duration;
use std::fs;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use wechat_session::{FileStore, StoreError, TokenStore};

const VICTIM: &[u8] = b"VICTIM-SECRET: the user's own file\n";
const TTL: Duration = Duration::from_secs(60);

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!("wechat-hostile-{name}-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Every mutation the store has, each expected to fail with a refusal naming `named`.
fn assert_every_call_refused(store: &dyn TokenStore, named: &Path, why: &str) {
    let errors = [
        ("get", store.get("k").map(|_| ())),
        ("set", store.set("k", "TOKEN", Some(TTL))),
        ("set_nx", store.set_nx("k", "TOKEN", TTL).map(|_| ())),
        ("incr", store.incr("n", TTL).map(|_| ())),
        (
            "compare_and_set",
            store.compare_and_set("k", None, "TOKEN", None).map(|_| ()),
        ),
        ("compare_and_delete", store.compare_and_delete("k", "TOKEN").map(|_| ())),
        ("delete", store.delete("k")),
    ];
    for (op, result) in errors {
        let err = result.expect_err(op);
        let shown = format!("{err} {err:?}");
        assert!(
            matches!(&err, StoreError::Io(m) if m.contains(&*named.to_string_lossy()) && m.contains(why)),
            "{op}: expected a refusal naming {} ({why}), got {shown}",
            named.display()
        );
        assert!(!shown.contains("VICTIM"), "{op}: the error quotes a file: {shown}");
    }
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Whether this process runs as root (a file it creates is owned by uid 0).
fn running_as_root(dir: &TempDir) -> bool {
    let probe = dir.path("uid-probe");
    fs::write(&probe, b"").unwrap();
    fs::metadata(&probe).unwrap().uid() == 0
}

#[test]
fn a_symlink_at_the_old_fixed_temp_name_is_never_written_through() {
    let dir = TempDir::new("tmp-link");
    let path = dir.path("store.json");
    let victim = dir.path("victim");
    fs::write(&victim, VICTIM).unwrap();
    let planted = with_suffix(&path, ".tmp");
    symlink(&victim, &planted).unwrap();
    // A dangling link too: following it would create the file it names.
    let absent_victim = dir.path("absent-victim");
    let store_b = dir.path("b.json");
    symlink(&absent_victim, with_suffix(&store_b, ".tmp")).unwrap();

    for path in [&path, &store_b] {
        let store: &dyn TokenStore = &FileStore::new(path);
        store.set("token", "TOKEN", Some(TTL)).unwrap();
        assert_eq!(store.incr("count", TTL).unwrap(), 1);
        assert!(store.set_nx("lease", "me", TTL).unwrap());
        assert!(store.compare_and_set("token", Some("TOKEN"), "TOKEN-2", None).unwrap());
        assert_eq!(store.get("token").unwrap().as_deref(), Some("TOKEN-2"));
        assert_eq!(store.incr("count", TTL).unwrap(), 2);
        assert!(
            fs::symlink_metadata(path).unwrap().file_type().is_file(),
            "the store file must be a regular file, not the planted link"
        );
    }
    assert_eq!(fs::read(&victim).unwrap(), VICTIM, "the victim was overwritten");
    assert!(!absent_victim.exists(), "the dangling link's target was created");
    assert_eq!(fs::read_link(&planted).unwrap(), victim, "the planted link was touched");
    let temps: Vec<_> = fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".tmp") && !fs::symlink_metadata(p).unwrap().is_symlink())
        .collect();
    assert!(temps.is_empty(), "temp files left behind: {temps:?}");
}

#[test]
fn a_symlink_at_the_lock_file_is_refused() {
    let dir = TempDir::new("lock-link");
    let victim = dir.path("victim");
    fs::write(&victim, VICTIM).unwrap();
    let absent_victim = dir.path("absent-victim");
    for (name, target) in [("a.json", &victim), ("b.json", &absent_victim)] {
        let path = dir.path(name);
        // A valid store file of our own, so reads go through the lock too.
        fs::write(&path, br#"{"k":{"value":"v"}}"#).unwrap();
        let lock = with_suffix(&path, ".lock");
        symlink(target, &lock).unwrap();
        assert_every_call_refused(&FileStore::new(&path), &lock, "symbolic link");
        assert_eq!(fs::read(&path).unwrap(), br#"{"k":{"value":"v"}}"#);
    }
    assert_eq!(fs::read(&victim).unwrap(), VICTIM, "the victim was changed");
    assert!(!absent_victim.exists(), "the dangling link's target was created");
}

#[test]
fn a_store_file_that_is_a_symlink_is_refused() {
    let dir = TempDir::new("data-link");
    // The victim is a valid store: following the link would read its "tokens".
    let victim = dir.path("victim.json");
    let victim_store = br#"{"k":{"value":"VICTIM-TOKEN"}}"#;
    fs::write(&victim, victim_store).unwrap();
    let path = dir.path("store.json");
    symlink(&victim, &path).unwrap();
    assert_every_call_refused(&FileStore::new(&path), &path, "symbolic link");
    assert_eq!(fs::read(&victim).unwrap(), victim_store, "the victim was changed");
    assert_eq!(fs::read_link(&path).unwrap(), victim, "the link was replaced");

    // A dangling link is refused too, not read as an empty store.
    let absent_victim = dir.path("absent-victim");
    let path = dir.path("dangling.json");
    symlink(&absent_victim, &path).unwrap();
    assert_every_call_refused(&FileStore::new(&path), &path, "symbolic link");
    assert!(!absent_victim.exists(), "the dangling link's target was created");
}

#[test]
fn a_store_or_lock_file_owned_by_another_user_is_refused() {
    let dir = TempDir::new("owner");
    if !running_as_root(&dir) {
        // Only root can give a file away; CI runs as root, so there this must never skip.
        assert!(
            !in_ci(),
            "CI=true: this test needs root to chown a file to another user"
        );
        eprintln!("skipped: not root, cannot chown a file to another user (CI runs it as root)");
        return;
    }
    let contents = br#"{"k":{"value":"VICTIM-TOKEN"}}"#;

    let path = dir.path("theirs.json");
    fs::write(&path, contents).unwrap();
    std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
    assert_every_call_refused(&FileStore::new(&path), &path, "owned by uid 65534");
    assert_eq!(fs::read(&path).unwrap(), contents);
    assert_eq!(fs::metadata(&path).unwrap().uid(), 65534);

    let path = dir.path("mine.json");
    fs::write(&path, contents).unwrap();
    let lock = with_suffix(&path, ".lock");
    fs::write(&lock, b"").unwrap();
    std::os::unix::fs::chown(&lock, Some(65534), Some(65534)).unwrap();
    assert_every_call_refused(&FileStore::new(&path), &lock, "owned by uid 65534");
    assert_eq!(fs::read(&path).unwrap(), contents);
}

#[test]
fn a_store_path_that_is_not_a_regular_file_is_refused_without_blocking() {
    let dir = TempDir::new("special");
    let path = dir.path("is-a-dir.json");
    fs::create_dir(&path).unwrap();
    assert_every_call_refused(&FileStore::new(&path), &path, "not a regular file");

    // Opening a FIFO for reading would wait for a writer forever.
    let fifo = dir.path("fifo.json");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo failed");
    let (done, finished) = mpsc::channel();
    let store_path = fifo.clone();
    std::thread::spawn(move || {
        assert_every_call_refused(&FileStore::new(&store_path), &store_path, "not a regular file");
        let _ = done.send(());
    });
    // A generous bound that only a hang reaches (not a speed assertion).
    match finished.recv_timeout(Duration::from_secs(60)) {
        Ok(()) => {}
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the checks on the FIFO failed (see above)"),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            // Unblock the stuck reader (a non-blocking writer never waits itself), then fail.
            use std::os::unix::fs::OpenOptionsExt;
            let _ = fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&fifo);
            panic!("a FIFO at the store path blocked the store");
        }
    }
}
