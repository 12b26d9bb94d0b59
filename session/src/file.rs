//! [`FileStore`]: one JSON file shared by the processes of one machine.

use core::fmt;
use core::time::Duration;
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::store::{SessionStore, StoreError, TokenStore};
use crate::util::{next_counter, ttl_millis, unix_millis_now};

/// One stored value.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct FileEntry {
    value: String,
    /// Milliseconds since the Unix epoch; absent means never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<u64>,
}

impl FileEntry {
    fn live(&self, now_ms: u64) -> bool {
        self.expires_at.is_none_or(|at| at > now_ms)
    }
}

type Entries = BTreeMap<String, FileEntry>;

/// The embedded default store: one JSON file, safe for many processes on one machine.
///
/// The file is a JSON object mapping each key to `{"value": "…", "expires_at": <Unix ms>}`
/// (`expires_at` is omitted for values that never expire). Expiry uses the wall clock, so
/// processes on one machine agree on it.
///
/// Coordination: a sidecar lock file `<path>.lock` is locked with [`File::lock`] (an
/// exclusive lock for every mutation, a shared lock for reads). A mutation reads the file,
/// changes it, prunes expired entries, writes a fresh temp file `<path>.<pid>.<random>.tmp`,
/// `fsync`s it and renames it over the file, all under the exclusive lock, so every primitive
/// is atomic across processes and threads, and a crash never leaves a half-written file. The
/// lock is taken on the sidecar, not on the data file, because the rename replaces the data
/// file's inode.
///
/// Shared directories: the store may live where other users can create files (such as `/tmp`),
/// so nothing is ever opened through a name someone else could have planted. The temp file is
/// created exclusively (`O_CREAT | O_EXCL`) under an unpredictable name, and on Unix the data
/// and lock files are opened with `O_NOFOLLOW` and refused ([`StoreError::Io`], naming the path)
/// if they are symbolic links, not regular files, or owned by another user than the process's
/// effective uid. The checks use the opened file's metadata, so there is no window between
/// check and use.
///
/// Robustness: a missing file reads as empty; parent directories are created on the first
/// write; on Unix the files are created with mode `0600` (and new directories with `0700`)
/// because they hold access tokens. A file that is not the store's JSON object, or holds an
/// entry of the wrong shape, is reported as [`StoreError::Corrupt`] by reads and writes alike
/// and left untouched (never read as empty, which would reset leases and the daily quota
/// count); remove or repair it to go on.
///
/// Async: [`AsyncTokenStore`](crate::AsyncTokenStore) is implemented by running the file operations inline (they are
/// local and short: a lock, a small read and, for mutations, a small write and `fsync`). If the
/// `fsync` latency of your disk matters to your executor, wrap calls in `spawn_blocking`.
///
/// File locks are advisory and coordinate processes on one machine; do not put the file on a
/// network file system shared by several hosts (use Redis or memcached for that).
pub struct FileStore {
    path: PathBuf,
    lock_path: PathBuf,
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStore").field("path", &self.path).finish()
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn io_err(what: &str, path: &Path, err: &io::Error) -> StoreError {
    // io::Error's Display never contains file contents.
    StoreError::Io(format!("{what} {}: {err}", path.display()))
}

fn refused(path: &Path, why: &str) -> StoreError {
    StoreError::Io(format!("refusing to use {}: {why}", path.display()))
}

/// Opens without following a symbolic link in the last component, and without blocking on a
/// FIFO planted in place of the file (it is refused by [`check_opened`] instead).
fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    options
}

/// The error for a failed [`no_follow`] open: a refusal when `path` is a symbolic link (the
/// kernel already refused it; the look-up only picks the message).
fn open_err(what: &str, path: &Path, err: &io::Error) -> StoreError {
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        refused(path, "it is a symbolic link")
    } else {
        io_err(what, path, err)
    }
}

/// Refuses an opened store or lock file that is not a regular file owned by this process's
/// effective uid (checked on the open file, so it cannot be swapped after the check).
fn check_opened(file: &File, path: &Path) -> Result<(), StoreError> {
    let meta = file.metadata().map_err(|e| io_err("cannot inspect", path, &e))?;
    if !meta.is_file() {
        return Err(refused(path, "it is not a regular file"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let euid = rustix::process::geteuid().as_raw();
        if meta.uid() != euid {
            return Err(refused(
                path,
                &format!("it is owned by uid {}, not by this process's uid {euid}", meta.uid()),
            ));
        }
    }
    Ok(())
}

/// A temp file that is removed unless [`keep`](Self::keep) is called (every failure path).
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl TempFile {
    fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Tries before giving up on finding an unused temp file name (a clash is a 2^-64 event).
const TEMP_ATTEMPTS: usize = 4;

impl FileStore {
    /// A store backed by the JSON file at `path` (created on the first write).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let lock_path = with_suffix(&path, ".lock");
        Self { path, lock_path }
    }

    /// The data file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The CLI's default file for `account` (an app id or corp id): `wechat/<account>.json`
    /// in the user's cache directory (`$XDG_CACHE_HOME` or `~/.cache` on Linux,
    /// `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows; `./.cache` if none can be
    /// determined, e.g. without `HOME`).
    ///
    /// Characters other than ASCII letters, digits, `-`, `_` and `.` are replaced by `_`, and a
    /// name that is empty or starts with `.` gets a leading `_`, so the account can never
    /// escape the directory or hide the file.
    #[must_use]
    pub fn default_path(account: &str) -> PathBuf {
        let cache = dirs::cache_dir().unwrap_or_else(|| PathBuf::from(".cache"));
        default_path_in(&cache, account)
    }

    fn open_lock_file(&self) -> Result<File, StoreError> {
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let lock = no_follow(&mut options)
            .open(&self.lock_path)
            .map_err(|e| open_err("cannot open lock file", &self.lock_path, &e))?;
        check_opened(&lock, &self.lock_path)?;
        Ok(lock)
    }

    fn create_parent(&self) -> Result<(), StoreError> {
        let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) else {
            return Ok(());
        };
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder
            .create(parent)
            .map_err(|e| io_err("cannot create directory", parent, &e))
    }

    /// Reads the entries (the caller holds a lock). Missing = empty; corrupt = an error.
    fn load(&self) -> Result<Entries, StoreError> {
        let mut options = OpenOptions::new();
        options.read(true);
        let mut file = match no_follow(&mut options).open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Entries::new()),
            Err(e) => return Err(open_err("cannot open", &self.path, &e)),
        };
        check_opened(&file, &self.path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| io_err("cannot read", &self.path, &e))?;
        parse_entries(&bytes).map_err(|why| StoreError::Corrupt(format!("{}: {why}", self.path.display())))
    }

    /// Creates a new temp file next to the data file, exclusively, under an unpredictable name,
    /// so a file or link planted by someone else is never opened.
    fn create_temp(&self) -> Result<(TempFile, File), StoreError> {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        for _ in 0..TEMP_ATTEMPTS {
            let nonce = getrandom::u64()
                .map_err(|e| StoreError::Io(format!("cannot name a temp file for {}: {e}", self.path.display())))?;
            let path = with_suffix(&self.path, &format!(".{}.{nonce:016x}.tmp", std::process::id()));
            match options.open(&path) {
                Ok(file) => return Ok((TempFile { path, keep: false }, file)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_err("cannot create", &path, &e)),
            }
        }
        Err(StoreError::Io(format!(
            "cannot create a temp file next to {}: every name tried exists",
            self.path.display()
        )))
    }

    /// Writes the entries atomically (the caller holds the exclusive lock).
    fn save(&self, entries: &Entries) -> Result<(), StoreError> {
        let json = serde_json::to_vec(entries).map_err(|_| StoreError::Io("cannot serialize the store".into()))?;
        let (temp, mut file) = self.create_temp()?;
        file.write_all(&json)
            .map_err(|e| io_err("cannot write", &temp.path, &e))?;
        file.sync_all().map_err(|e| io_err("cannot sync", &temp.path, &e))?;
        drop(file);
        // The directory is not fsynced after the rename: after a power loss the file holds
        // either the previous or the new complete contents, and losing the latest write of a
        // cache is harmless; syncing the directory would double the cost of every write.
        fs::rename(&temp.path, &self.path).map_err(|e| io_err("cannot replace", &self.path, &e))?;
        temp.keep();
        Ok(())
    }

    /// Runs `read` on the live entries under a shared lock.
    fn read<T>(&self, read: impl FnOnce(&Entries, u64) -> T) -> Result<T, StoreError> {
        if fs::symlink_metadata(&self.path).is_err_and(|e| e.kind() == io::ErrorKind::NotFound) {
            // Nothing was written yet: do not create the directory or the lock file on a read.
            // (A write racing with this check is simply ordered after this read.)
            return Ok(read(&Entries::new(), unix_millis_now()));
        }
        let lock = self.open_lock_file()?;
        lock.lock_shared()
            .map_err(|e| io_err("cannot lock", &self.lock_path, &e))?;
        let entries = self.load();
        drop(lock);
        Ok(read(&entries?, unix_millis_now()))
    }

    /// Runs `update` under the exclusive lock; writes the file back when it returns `true`
    /// as its second element (expired entries are pruned on every write).
    fn update<T>(
        &self,
        update: impl FnOnce(&mut Entries, u64) -> Result<(T, bool), StoreError>,
    ) -> Result<T, StoreError> {
        self.create_parent()?;
        let lock = self.open_lock_file()?;
        lock.lock().map_err(|e| io_err("cannot lock", &self.lock_path, &e))?;
        let result = (|| {
            let mut entries = self.load()?;
            let now = unix_millis_now();
            entries.retain(|_, e| e.live(now));
            let (out, changed) = update(&mut entries, now)?;
            if changed {
                self.save(&entries)?;
            }
            Ok(out)
        })();
        // Dropping the file releases the lock; unlock explicitly to be prompt and portable.
        let _ = lock.unlock();
        result
    }
}

fn expires_at(now: u64, ttl: Duration) -> u64 {
    now.saturating_add(ttl_millis(ttl))
}

/// Parses the file strictly: what is wrong and where, never the contents (serde's own messages
/// can quote values, so only its category and position are used).
fn parse_entries(bytes: &[u8]) -> Result<Entries, String> {
    serde_json::from_slice::<Entries>(bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "truncated JSON",
            serde_json::error::Category::Data => {
                r#"not a JSON object of {"value": string, "expires_at": integer} entries"#
            }
            serde_json::error::Category::Syntax | serde_json::error::Category::Io => "not valid JSON",
        };
        format!("{what} (line {}, column {})", e.line(), e.column())
    })
}

fn default_path_in(cache: &Path, account: &str) -> PathBuf {
    let mut name: String = account
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with('.') {
        name.insert(0, '_');
    }
    cache.join("wechat").join(format!("{name}.json"))
}

impl SessionStore for FileStore {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.read(|entries, now| entries.get(key).filter(|e| e.live(now)).map(|e| e.value.clone()))
    }

    fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), StoreError> {
        self.update(|entries, now| {
            let entry = FileEntry {
                value: value.to_owned(),
                expires_at: ttl.map(|ttl| expires_at(now, ttl)),
            };
            entries.insert(key.to_owned(), entry);
            Ok(((), true))
        })
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.update(|entries, _| {
            let removed = entries.remove(key).is_some();
            Ok(((), removed))
        })
    }
}

impl TokenStore for FileStore {
    fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        self.update(|entries, now| {
            // Expired entries were pruned before this closure runs.
            if entries.contains_key(key) {
                return Ok((false, false));
            }
            entries.insert(
                key.to_owned(),
                FileEntry {
                    value: value.to_owned(),
                    expires_at: Some(expires_at(now, ttl)),
                },
            );
            Ok((true, true))
        })
    }

    fn compare_and_delete(&self, key: &str, expected: &str) -> Result<bool, StoreError> {
        self.update(|entries, _| {
            if entries.get(key).is_some_and(|e| e.value == expected) {
                entries.remove(key);
                Ok((true, true))
            } else {
                Ok((false, false))
            }
        })
    }

    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&str>,
        value: &str,
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError> {
        self.update(|entries, now| {
            // Expired entries were pruned before this closure runs.
            if entries.get(key).map(|e| e.value.as_str()) != expected {
                return Ok((false, false));
            }
            let entry = FileEntry {
                value: value.to_owned(),
                expires_at: ttl.map(|ttl| expires_at(now, ttl)),
            };
            entries.insert(key.to_owned(), entry);
            Ok((true, true))
        })
    }

    fn incr(&self, key: &str, ttl: Duration) -> Result<u64, StoreError> {
        self.update(|entries, now| {
            let next = match entries.get_mut(key) {
                Some(entry) => {
                    let next = next_counter(&entry.value)?;
                    entry.value = next.to_string();
                    next
                }
                None => {
                    let entry = FileEntry {
                        value: "1".to_owned(),
                        expires_at: Some(expires_at(now, ttl)),
                    };
                    entries.insert(key.to_owned(), entry);
                    1
                }
            };
            Ok((next, true))
        })
    }
}

inline_async_store!(FileStore, this => this);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_path_is_per_account_and_cannot_escape() {
        let cache = Path::new("/home/u/.cache");
        let path = |account| default_path_in(cache, account);
        assert_eq!(path("wx123"), Path::new("/home/u/.cache/wechat/wx123.json"));
        assert_eq!(
            path("work:ww1:1000002"),
            Path::new("/home/u/.cache/wechat/work_ww1_1000002.json")
        );
        assert_eq!(
            path("../../etc/x"),
            Path::new("/home/u/.cache/wechat/_.._.._etc_x.json")
        );
        assert_eq!(path(".."), Path::new("/home/u/.cache/wechat/_...json"));
        assert_eq!(path(""), Path::new("/home/u/.cache/wechat/_.json"));
        assert_eq!(path("a/b\\c"), Path::new("/home/u/.cache/wechat/a_b_c.json"));
        let real = FileStore::default_path("wx123");
        assert!(real.ends_with("wechat/wx123.json"), "{}", real.display());
    }

    #[test]
    fn corrupt_files_are_errors_that_never_quote_the_contents() {
        let parsed = parse_entries(br#"{"a":{"value":"1"},"c":{"value":"3","expires_at":5}}"#).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed["a"].value, "1");
        assert_eq!(parsed["c"].expires_at, Some(5));
        assert!(parse_entries(b"{}").unwrap().is_empty());
        for bad in [
            &br#"{"a":{"value":"1"},"b":{"nope":true}}"#[..],
            br#"{"k":{"value":"SECRET","expires_at":"SECRET-2"}}"#,
            br#"{"k":"SECRET"}"#,
            br#"{"k":{"value":"SECRET"}} SECRET"#,
            b"SECRET",
            b"[1,2]",
            b"",
            br#"{"SECRET":"#,
            &[0xff, 0xfe, 0x00],
        ] {
            let why = parse_entries(bad).expect_err("must be corrupt");
            assert!(!why.contains("SECRET") && why.contains("line"), "{why}");
        }
    }
}
