//! The conformance suite against every built-in store, plus store-specific behaviour.
//!
//! Each conformance test runs the sync suite on a thread and the async suite on the tokio
//! runtime at the same time (they use distinct keys), to halve the wall-clock time.

use core::time::Duration;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use wechat_session::{
    AsyncSessionStore, AsyncTokenStore, Blocking, BoxFuture, FileStore, MemoryStore, SessionStore, Simple, StoreError,
    TokenStore, conformance,
};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!("wechat-session-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the sync suite on a thread while the async suite runs here.
async fn both(sync: Arc<dyn TokenStore>, async_store: Arc<dyn AsyncTokenStore>) {
    let thread = std::thread::spawn(move || conformance::run(&*sync));
    conformance::run_async(&*async_store).await;
    thread.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
}

/// N spawned tokio tasks (on a multi-threaded runtime) race `set_nx` and `incr`.
async fn spawned_race(store: Arc<dyn AsyncTokenStore>) {
    const TASKS: usize = 16;
    const INCRS: usize = 20;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let prefix = format!("spawned-race:{}:{nanos}:", std::process::id());
    let mut handles = Vec::new();
    for i in 0..TASKS {
        let (store, prefix) = (Arc::clone(&store), prefix.clone());
        handles.push(tokio::spawn(async move {
            let won = store
                .set_nx(&format!("{prefix}lease"), &format!("task-{i}"), Duration::from_secs(60))
                .await
                .unwrap();
            let mut counts = Vec::new();
            for _ in 0..INCRS {
                counts.push(
                    store
                        .incr(&format!("{prefix}count"), Duration::from_secs(60))
                        .await
                        .unwrap(),
                );
            }
            (won, counts)
        }));
    }
    let mut winners = 0;
    let mut counts = Vec::new();
    for handle in handles {
        let (won, c) = handle.await.unwrap();
        winners += usize::from(won);
        counts.extend(c);
    }
    assert_eq!(winners, 1, "spawned tasks racing set_nx: exactly one must win");
    counts.sort_unstable();
    let expected: Vec<u64> = (1..=(TASKS * INCRS) as u64).collect();
    assert_eq!(
        counts, expected,
        "spawned tasks racing incr: lost or duplicated increments"
    );
}

/// Stops and restarts the server under a store that is in use (sync and async); while it is
/// down calls fail fast, and afterwards the store works again within a few attempts.
#[cfg(all(feature = "testing", any(feature = "redis", feature = "memcached")))]
async fn survives_restart<S>(store: &S, stop: impl FnOnce(), restart: impl FnOnce())
where
    S: TokenStore + AsyncTokenStore,
{
    TokenStore::set_nx(store, "before", "x", Duration::from_secs(30)).unwrap();
    assert!(
        AsyncTokenStore::set_nx(store, "before-async", "x", Duration::from_secs(30))
            .await
            .unwrap()
    );
    stop();
    let started = Instant::now();
    assert!(SessionStore::get(store, "before").is_err(), "the server is down");
    assert!(
        AsyncSessionStore::get(store, "before").await.is_err(),
        "the server is down"
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "failing took {:?}",
        started.elapsed()
    );
    restart();
    let mut sync_ok = None;
    for attempt in 0..5 {
        match TokenStore::set_nx(store, "after", "me", Duration::from_secs(30)) {
            Ok(won) => {
                sync_ok = Some((attempt, won));
                break;
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
    let (attempt, won) = sync_ok.expect("the sync store did not recover after the restart");
    assert!(won && attempt <= 1, "sync recovery took {attempt} failed attempts");
    let mut async_ok = None;
    for attempt in 0..10 {
        match AsyncTokenStore::incr(store, "after-async", Duration::from_secs(30)).await {
            Ok(n) => {
                async_ok = Some((attempt, n));
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let (attempt, n) = async_ok.expect("the async store did not recover after the restart");
    assert!(
        n == 1 && attempt <= 3,
        "async recovery took {attempt} failed attempts (n = {n})"
    );
}

// ---------------------------------------------------------------------------------------------
// Memory

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_store_conforms() {
    both(Arc::new(MemoryStore::new()), Arc::new(MemoryStore::new())).await;
    spawned_race(Arc::new(MemoryStore::new())).await;
}

// ---------------------------------------------------------------------------------------------
// File

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn file_store_conforms() {
    let dir = TempDir::new("conformance");
    // Both suites share one file (distinct keys), as two processes would.
    let path = dir.0.join("nested").join("dirs").join("store.json");
    both(Arc::new(FileStore::new(&path)), Arc::new(FileStore::new(&path))).await;
    spawned_race(Arc::new(FileStore::new(&path))).await;
    assert!(path.exists());
}

#[cfg(unix)]
#[test]
fn file_store_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("perms");
    let path = dir.0.join("new-dir").join("store.json");
    let store: &dyn TokenStore = &FileStore::new(&path);
    store.set("k", "token", None).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600, "data file");
    assert_eq!(mode(&path.with_extension("json.lock")), 0o600, "lock file");
    assert_eq!(mode(path.parent().unwrap()), 0o700, "created directory");
    // A pre-existing world-readable file is replaced by a private one on the next write.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    store.set("k", "token2", None).unwrap();
    assert_eq!(mode(&path), 0o600);
    let left: Vec<_> = std::fs::read_dir(dir.0.join("new-dir"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "the temp file must be renamed away: {left:?}");
}

#[test]
fn file_store_reads_a_missing_file_as_empty_and_keeps_only_live_entries() {
    let dir = TempDir::new("missing");
    let path = dir.0.join("store.json");
    let store: &dyn TokenStore = &FileStore::new(&path);
    assert_eq!(store.get("k").unwrap(), None, "missing file = empty store");
    assert!(!dir.0.join("store.json.lock").exists(), "a read must not create files");

    std::fs::write(
        &path,
        br#"{"good":{"value":"kept"},"expired":{"value":"x","expires_at":1},"extra":{"value":"y","note":1}}"#,
    )
    .unwrap();
    assert_eq!(store.get("good").unwrap().as_deref(), Some("kept"));
    assert_eq!(
        store.get("extra").unwrap().as_deref(),
        Some("y"),
        "unknown fields are ignored"
    );
    assert_eq!(store.get("expired").unwrap(), None);
    assert_eq!(store.incr("n", Duration::from_secs(60)).unwrap(), 1);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("kept") && !text.contains("expired"),
        "expired entries are pruned on write: {text}"
    );
}

#[tokio::test]
async fn file_store_reports_corrupt_files_and_leaves_them_alone() {
    let dir = TempDir::new("corrupt");
    let path = dir.0.join("store.json");
    let file = FileStore::new(&path);
    let store: &dyn TokenStore = &file;
    let async_store: &dyn AsyncTokenStore = &file;
    for garbage in [
        &br#"{"a":"#[..],
        b"[1,2]",
        br#"{"k":{"value":5}}"#,
        br#"{"lease":{"value":"SECRET-OWNER","expires_at":9999999999999},"count":{"value":"SECRET","expires_at":-1}}"#,
        br#"{"k":{"value":"SECRET"}} trailing SECRET"#,
        b"{not json SECRET",
        b"",
        b"\xff\xfe\x00",
        b"null",
    ] {
        std::fs::write(&path, garbage).unwrap();
        let errors = [
            store.get("k").unwrap_err(),
            store.set("k", "v", None).unwrap_err(),
            store.set_nx("k", "v", Duration::from_secs(60)).unwrap_err(),
            store.incr("count", Duration::from_secs(60)).unwrap_err(),
            store.compare_and_delete("k", "v").unwrap_err(),
            store.compare_and_set("k", None, "v", None).unwrap_err(),
            store.delete("k").unwrap_err(),
            async_store.get("k").await.unwrap_err(),
            async_store.set("k", "v", None).await.unwrap_err(),
        ];
        for err in errors {
            let shown = format!("{err} {err:?}");
            assert!(
                matches!(&err, StoreError::Corrupt(why) if why.contains(&*path.to_string_lossy())),
                "{garbage:?}: {shown}"
            );
            assert!(!shown.contains("SECRET"), "an error quotes the file: {shown}");
        }
        assert_eq!(std::fs::read(&path).unwrap(), garbage, "the corrupt file was changed");
    }
}

#[test]
fn file_store_format_is_a_key_map() {
    let dir = TempDir::new("format");
    let path = dir.0.join("store.json");
    let file = FileStore::new(&path);
    let store: &dyn TokenStore = &file;
    store
        .set("wechat:mp:wx1:access_token", "TOKEN", Some(Duration::from_secs(100)))
        .unwrap();
    store.set("forever", "x", None).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let entry = &json["wechat:mp:wx1:access_token"];
    assert_eq!(entry["value"], "TOKEN");
    let expires_at = entry["expires_at"].as_u64().expect("expires_at in Unix milliseconds");
    let now_ms = u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    assert!(
        expires_at > now_ms + 90_000 && expires_at <= now_ms + 100_000,
        "{expires_at} vs {now_ms}"
    );
    assert!(json["forever"].get("expires_at").is_none());
    assert!(!format!("{file:?}").contains("TOKEN"));
}

#[test]
fn file_store_reports_io_errors_instead_of_panicking() {
    let dir = TempDir::new("ioerr");
    // The "parent directory" is a regular file: nothing can be created below it.
    let blocker = dir.0.join("file");
    std::fs::write(&blocker, b"x").unwrap();
    let store: &dyn TokenStore = &FileStore::new(blocker.join("store.json"));
    assert!(matches!(store.set("k", "secret-value", None), Err(StoreError::Io(ref m)) if !m.contains("secret-value")));
    assert!(matches!(
        store.incr("k", Duration::from_secs(1)),
        Err(StoreError::Io(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// Simple over a custom store, and the suite's ability to fail

/// What a wechatpy user writes: get/set/delete on a map, TTLs honoured.
#[derive(Debug, Default)]
struct CustomStore {
    map: Mutex<HashMap<String, (String, Option<Instant>)>>,
    /// Ignore TTLs (as wechatpy's MemoryStorage does).
    ignore_ttl: bool,
}

impl SessionStore for CustomStore {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let map = self.map.lock().unwrap();
        Ok(map
            .get(key)
            .filter(|(_, exp)| exp.is_none_or(|e| e > Instant::now()))
            .map(|(v, _)| v.clone()))
    }

    fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), StoreError> {
        let expires = if self.ignore_ttl {
            None
        } else {
            ttl.map(|t| Instant::now() + t)
        };
        self.map
            .lock()
            .unwrap()
            .insert(key.to_owned(), (value.to_owned(), expires));
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.map.lock().unwrap().remove(key);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simple_over_a_custom_store_conforms() {
    both(
        Arc::new(Simple::new(CustomStore::default())),
        Arc::new(Blocking(Simple::new(CustomStore::default()))),
    )
    .await;
    spawned_race(Arc::new(Blocking(Simple::new(CustomStore::default())))).await;
}

#[test]
fn blocking_adapts_built_in_sync_stores() {
    // Any sync TokenStore serves an async client through Blocking.
    let store: Arc<dyn AsyncTokenStore> = Arc::new(Blocking(MemoryStore::new()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        assert!(store.set_nx("lease", "me", Duration::from_secs(5)).await.unwrap());
        assert!(!store.set_nx("lease", "you", Duration::from_secs(5)).await.unwrap());
        assert!(!store.compare_and_delete("lease", "you").await.unwrap());
        assert!(store.compare_and_delete("lease", "me").await.unwrap());
        assert_eq!(store.incr("n", Duration::from_secs(5)).await.unwrap(), 1);
    });
    // Pointers to stores are stores: a shared sync store serves an async client, and a shared
    // custom store can be wrapped in Simple.
    let shared = wechat_session::open("memory").unwrap();
    let async_view = Blocking(Arc::clone(&shared));
    rt.block_on(async {
        assert!(
            async_view
                .set_nx("lease", "async-owner", Duration::from_secs(5))
                .await
                .unwrap()
        );
    });
    assert_eq!(shared.get("lease").unwrap().as_deref(), Some("async-owner"));
    let custom = Arc::new(CustomStore::default());
    let simple = Simple::new(Arc::clone(&custom));
    assert_eq!(TokenStore::incr(&simple, "n", Duration::from_secs(5)).unwrap(), 1);
    assert_eq!(custom.get("n").unwrap().as_deref(), Some("1"));
}

/// A store whose primitives are a non-atomic read-then-write (the WxJava bug).
#[derive(Default)]
struct RacyStore(MemoryStore);

impl SessionStore for RacyStore {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        SessionStore::get(&self.0, key)
    }
    fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), StoreError> {
        SessionStore::set(&self.0, key, value, ttl)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        SessionStore::delete(&self.0, key)
    }
}

impl TokenStore for RacyStore {
    fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        if SessionStore::get(&self.0, key)?.is_some() {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(5));
        SessionStore::set(&self.0, key, value, Some(ttl))?;
        Ok(true)
    }
    fn compare_and_delete(&self, key: &str, expected: &str) -> Result<bool, StoreError> {
        TokenStore::compare_and_delete(&self.0, key, expected)
    }
    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&str>,
        value: &str,
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError> {
        TokenStore::compare_and_set(&self.0, key, expected, value, ttl)
    }
    fn incr(&self, key: &str, ttl: Duration) -> Result<u64, StoreError> {
        TokenStore::incr(&self.0, key, ttl)
    }
}

/// A store whose `compare_and_set` is a non-atomic read-then-write (everything else is atomic).
#[derive(Default)]
struct RacyCasStore(MemoryStore);

impl SessionStore for RacyCasStore {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        SessionStore::get(&self.0, key)
    }
    fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), StoreError> {
        SessionStore::set(&self.0, key, value, ttl)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        SessionStore::delete(&self.0, key)
    }
}

impl TokenStore for RacyCasStore {
    fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        TokenStore::set_nx(&self.0, key, value, ttl)
    }
    fn compare_and_delete(&self, key: &str, expected: &str) -> Result<bool, StoreError> {
        TokenStore::compare_and_delete(&self.0, key, expected)
    }
    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&str>,
        value: &str,
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError> {
        if SessionStore::get(&self.0, key)?.as_deref() != expected {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(5));
        SessionStore::set(&self.0, key, value, ttl)?;
        Ok(true)
    }
    fn incr(&self, key: &str, ttl: Duration) -> Result<u64, StoreError> {
        TokenStore::incr(&self.0, key, ttl)
    }
}

fn panic_message(run: impl FnOnce() + core::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(run).expect_err("the conformance suite accepted a broken store");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap()
}

#[test]
fn conformance_catches_a_racy_set_nx() {
    let message = panic_message(|| conformance::run(&RacyStore::default()));
    assert!(message.contains("set_nx has exactly one winner"), "{message}");
}

#[test]
fn conformance_catches_a_racy_compare_and_set() {
    let message = panic_message(|| conformance::run(&RacyCasStore::default()));
    assert!(message.contains("compare_and_set has exactly one winner"), "{message}");
}

/// Stores whose `compare_and_set` gets one rule wrong (racing is covered above).
#[derive(Default)]
struct WrongCasStore {
    inner: MemoryStore,
    /// Sets whatever the current value (a plain `set`).
    ignore_expected: bool,
    /// Stores with a fixed 10-minute TTL instead of the one given.
    ignore_ttl: bool,
}

impl SessionStore for WrongCasStore {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        SessionStore::get(&self.inner, key)
    }
    fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), StoreError> {
        SessionStore::set(&self.inner, key, value, ttl)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        SessionStore::delete(&self.inner, key)
    }
}

impl TokenStore for WrongCasStore {
    fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        TokenStore::set_nx(&self.inner, key, value, ttl)
    }
    fn compare_and_delete(&self, key: &str, expected: &str) -> Result<bool, StoreError> {
        TokenStore::compare_and_delete(&self.inner, key, expected)
    }
    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&str>,
        value: &str,
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError> {
        if self.ignore_expected {
            SessionStore::set(&self.inner, key, value, ttl)?;
            return Ok(true);
        }
        let ttl = if self.ignore_ttl {
            Some(Duration::from_secs(600))
        } else {
            ttl
        };
        TokenStore::compare_and_set(&self.inner, key, expected, value, ttl)
    }
    fn incr(&self, key: &str, ttl: Duration) -> Result<u64, StoreError> {
        TokenStore::incr(&self.inner, key, ttl)
    }
}

#[test]
fn conformance_catches_a_compare_and_set_that_ignores_expected_or_ttl() {
    let store = WrongCasStore {
        ignore_expected: true,
        ..WrongCasStore::default()
    };
    let message = panic_message(|| conformance::run(&store));
    assert!(
        message.contains("compare_and_set with nothing expected sets only an absent key"),
        "{message}"
    );
    let store = WrongCasStore {
        ignore_ttl: true,
        ..WrongCasStore::default()
    };
    let message = panic_message(|| conformance::run(&store));
    assert!(message.contains("compare_and_set sets the new TTL"), "{message}");
}

#[test]
fn conformance_catches_ignored_ttls() {
    let store = Simple::new(CustomStore {
        ignore_ttl: true,
        ..CustomStore::default()
    });
    let message = panic_message(|| conformance::run(&store));
    assert!(message.contains("set with a TTL expires"), "{message}");
}

/// An async store whose `set_nx` yields between its read and its write (and, with `.1`, its
/// `compare_and_set` too, while `set_nx` is then atomic).
#[derive(Default)]
struct AsyncRacyStore(MemoryStore, bool);

impl AsyncSessionStore for AsyncRacyStore {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        AsyncSessionStore::get(&self.0, key)
    }
    fn set<'a>(&'a self, key: &'a str, value: &'a str, ttl: Option<Duration>) -> BoxFuture<'a, Result<(), StoreError>> {
        AsyncSessionStore::set(&self.0, key, value, ttl)
    }
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        AsyncSessionStore::delete(&self.0, key)
    }
}

impl AsyncTokenStore for AsyncRacyStore {
    fn set_nx<'a>(&'a self, key: &'a str, value: &'a str, ttl: Duration) -> BoxFuture<'a, Result<bool, StoreError>> {
        if self.1 {
            return AsyncTokenStore::set_nx(&self.0, key, value, ttl);
        }
        Box::pin(async move {
            if SessionStore::get(&self.0, key)?.is_some() {
                return Ok(false);
            }
            tokio::task::yield_now().await;
            SessionStore::set(&self.0, key, value, Some(ttl))?;
            Ok(true)
        })
    }
    fn compare_and_delete<'a>(&'a self, key: &'a str, expected: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        AsyncTokenStore::compare_and_delete(&self.0, key, expected)
    }
    fn compare_and_set<'a>(
        &'a self,
        key: &'a str,
        expected: Option<&'a str>,
        value: &'a str,
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        if self.1 {
            return Box::pin(async move {
                if SessionStore::get(&self.0, key)?.as_deref() != expected {
                    return Ok(false);
                }
                tokio::task::yield_now().await;
                SessionStore::set(&self.0, key, value, ttl)?;
                Ok(true)
            });
        }
        AsyncTokenStore::compare_and_set(&self.0, key, expected, value, ttl)
    }
    fn incr<'a>(&'a self, key: &'a str, ttl: Duration) -> BoxFuture<'a, Result<u64, StoreError>> {
        AsyncTokenStore::incr(&self.0, key, ttl)
    }
}

#[test]
fn conformance_async_catches_a_racy_set_nx() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let message = panic_message(|| rt.block_on(conformance::run_async(&AsyncRacyStore::default())));
    assert!(message.contains("set_nx has exactly one winner"), "{message}");
}

#[test]
fn conformance_async_catches_a_racy_compare_and_set() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = AsyncRacyStore(MemoryStore::new(), true);
    let message = panic_message(|| rt.block_on(conformance::run_async(&store)));
    assert!(message.contains("compare_and_set has exactly one winner"), "{message}");
}

// ---------------------------------------------------------------------------------------------
// Redis

#[cfg(all(feature = "redis", feature = "testing"))]
mod redis_tests {
    use super::*;
    use wechat_session::RedisStore;
    use wechat_session::testing::RedisServer;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn redis_store_conforms() {
        let Some(server) = RedisServer::start() else { return };
        let sync = wechat_session::open(&server.url()).unwrap();
        let async_store = wechat_session::open_async(&server.url()).unwrap();
        both(sync, Arc::clone(&async_store)).await;
        spawned_race(async_store).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn redis_store_recovers_after_a_server_restart() {
        let Some(server) = RedisServer::start() else { return };
        let store = RedisStore::open(&server.url())
            .unwrap()
            .with_timeout(Duration::from_millis(500));
        let server = std::cell::RefCell::new(server);
        survives_restart(&store, || server.borrow_mut().stop(), || server.borrow_mut().restart()).await;
    }

    #[test]
    fn redis_store_fails_fast_when_the_server_is_down() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let store = RedisStore::open(&format!("redis://127.0.0.1:{port}/0"))
            .unwrap()
            .with_timeout(Duration::from_millis(500));
        let started = Instant::now();
        let err = SessionStore::get(&store, "k").unwrap_err();
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());

        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let started = Instant::now();
        let err = rt
            .block_on(AsyncTokenStore::set_nx(&store, "k", "v", Duration::from_secs(1)))
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Unavailable(_) | StoreError::Timeout(_)),
            "{err:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    }

    #[test]
    fn redis_store_times_out_on_a_silent_server() {
        // Accepts connections but never answers.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let _keep = std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming().flatten().take(8) {
                held.push(stream);
            }
            std::thread::sleep(Duration::from_secs(10));
        });
        let store = RedisStore::open(&format!("redis://127.0.0.1:{port}/0"))
            .unwrap()
            .with_timeout(Duration::from_millis(300));
        let started = Instant::now();
        let err = TokenStore::incr(&store, "k", Duration::from_secs(1)).unwrap_err();
        assert!(matches!(err, StoreError::Timeout(_)), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let started = Instant::now();
        let err = rt.block_on(AsyncSessionStore::get(&store, "k")).unwrap_err();
        assert!(
            matches!(err, StoreError::Timeout(_) | StoreError::Unavailable(_)),
            "{err:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    }

    #[test]
    fn redis_store_reconnects_after_losing_its_connections() {
        let Some(server) = RedisServer::start() else { return };
        let store: &dyn TokenStore = &RedisStore::open(&server.url()).unwrap();
        store.set("k", "v1", None).unwrap();
        // Kill every client connection, as a server restart or a proxy would.
        let admin = redis::Client::open(server.url()).unwrap();
        let mut admin = admin.get_connection().unwrap();
        let _: () = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("TYPE")
            .arg("normal")
            .arg("SKIPME")
            .arg("yes")
            .query(&mut admin)
            .unwrap();
        // Idempotent calls retry on a fresh connection transparently.
        assert_eq!(store.get("k").unwrap().as_deref(), Some("v1"));
        let _: () = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("TYPE")
            .arg("normal")
            .arg("SKIPME")
            .arg("yes")
            .query(&mut admin)
            .unwrap();
        // A primitive may fail once (its outcome would be unknown), then works again.
        if let Err(err) = store.set_nx("lease", "me", Duration::from_secs(5)) {
            assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
        }
        assert!(store.set_nx("lease-2", "me", Duration::from_secs(5)).unwrap());
        assert_eq!(store.get("lease-2").unwrap().as_deref(), Some("me"));
    }

    #[test]
    fn redis_errors_never_contain_values() {
        let Some(server) = RedisServer::start() else { return };
        let redis_store = RedisStore::open(&server.url()).unwrap();
        let store: &dyn TokenStore = &redis_store;
        store.set("token", "SECRET-ACCESS-TOKEN", None).unwrap();
        let err = store.incr("token", Duration::from_secs(5)).unwrap_err();
        assert!(!format!("{err} {err:?}").contains("SECRET"), "{err:?}");
        // A non-UTF-8 value written by someone else.
        let admin = redis::Client::open(server.url()).unwrap();
        let mut admin = admin.get_connection().unwrap();
        let _: () = redis::cmd("SET")
            .arg("binary")
            .arg(&b"SECRET\xff\xfe"[..])
            .query(&mut admin)
            .unwrap();
        let err = store.get("binary").unwrap_err();
        assert!(
            matches!(err, StoreError::Protocol(_)) && !format!("{err} {err:?}").contains("SECRET"),
            "{err:?}"
        );
        // A list where a string was expected.
        let _: () = redis::cmd("RPUSH")
            .arg("list")
            .arg("SECRET-ITEM")
            .query(&mut admin)
            .unwrap();
        for err in [
            store.get("list").unwrap_err(),
            store.compare_and_delete("list", "x").unwrap_err(),
        ] {
            assert!(!format!("{err} {err:?}").contains("SECRET"), "{err:?}");
        }
        assert!(!format!("{redis_store:?}").contains("SECRET"));
    }
}

// ---------------------------------------------------------------------------------------------
// memcached

#[cfg(all(feature = "memcached", feature = "testing"))]
mod memcached_tests {
    use super::*;
    use wechat_session::MemcachedStore;
    use wechat_session::testing::MemcachedServer;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn memcached_store_conforms() {
        let Some(server) = MemcachedServer::start() else { return };
        let sync = wechat_session::open(&server.url()).unwrap();
        let async_store = wechat_session::open_async(&server.url()).unwrap();
        both(sync, Arc::clone(&async_store)).await;
        spawned_race(async_store).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn memcached_store_recovers_after_a_server_restart() {
        let Some(server) = MemcachedServer::start() else { return };
        let store = MemcachedStore::open(&format!("{}?timeout=0.5", server.url())).unwrap();
        let server = std::cell::RefCell::new(server);
        survives_restart(&store, || server.borrow_mut().stop(), || server.borrow_mut().restart()).await;
    }

    #[test]
    fn memcached_store_fails_fast_when_the_server_is_down() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let store = MemcachedStore::open(&format!("memcache://127.0.0.1:{port}?timeout=0.5")).unwrap();
        let started = Instant::now();
        let err = SessionStore::get(&store, "k").unwrap_err();
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let err = rt
            .block_on(AsyncTokenStore::incr(&store, "k", Duration::from_secs(1)))
            .unwrap_err();
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    }

    #[test]
    fn memcached_store_times_out_on_a_silent_server() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let _keep = std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming().flatten().take(8) {
                held.push(stream);
            }
            std::thread::sleep(Duration::from_secs(10));
        });
        let store = MemcachedStore::open(&format!("memcache://127.0.0.1:{port}"))
            .unwrap()
            .with_timeout(Duration::from_millis(300))
            .unwrap();
        let started = Instant::now();
        let err = TokenStore::set_nx(&store, "k", "v", Duration::from_secs(1)).unwrap_err();
        assert!(matches!(err, StoreError::Timeout(_)), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    }

    #[test]
    fn memcached_keys_are_safe_and_errors_never_contain_values() {
        let Some(server) = MemcachedServer::start() else { return };
        let memcached = MemcachedStore::open(&server.url()).unwrap();
        let store: &dyn TokenStore = &memcached;
        // A key with spaces and newlines cannot inject protocol commands.
        let odd = "odd key\r\nflush_all";
        store.set("victim", "still-here", None).unwrap();
        store.set(odd, "v", None).unwrap();
        assert_eq!(store.get(odd).unwrap().as_deref(), Some("v"));
        assert_eq!(store.get("victim").unwrap().as_deref(), Some("still-here"));
        // Over-long keys are an error, not a panic.
        let long = "k".repeat(300);
        assert!(matches!(store.set(&long, "v", None), Err(StoreError::Protocol(_))));
        store.set("token", "SECRET-ACCESS-TOKEN", None).unwrap();
        let err = store.incr("token", Duration::from_secs(5)).unwrap_err();
        assert!(!format!("{err} {err:?}").contains("SECRET"), "{err:?}");
        assert!(!format!("{memcached:?}").contains("SECRET"));
    }
}
