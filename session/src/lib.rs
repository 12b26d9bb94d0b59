//! Token stores for the WeChat SDK: memory, file, Redis, memcached, and the traits for your own.
//!
//! The clients keep their access tokens, refresh leases, daily fetch counters and callback
//! deduplication marks in a [`TokenStore`] (or an [`AsyncTokenStore`]). Several processes that
//! share one store coordinate through its four atomic primitives, so a cold start of many
//! workers fetches one token, not one per worker.
//!
//! | store | scope | feature |
//! |---|---|---|
//! | [`MemoryStore`] | one process | — |
//! | [`FileStore`] | processes on one machine (the CLI's default) | — |
//! | `RedisStore` | any number of hosts | `redis` |
//! | `MemcachedStore` | any number of hosts | `memcached` |
//! | [`Simple`]`<YourStore>` | one process (see its docs) | — |
//!
//! Every built-in store implements both the sync and the async traits, so one store value can
//! serve sync and async clients at once; [`Blocking`] adapts any other sync store for an async
//! client, and `&S`, `Box<S>` and `Arc<S>` are stores whenever `S` is. [`open`] and
//! [`open_async`] build a store from the CLI's `--session` value. [`conformance`] checks any
//! store against the contract.
//!
//! The sync and async traits share method names: with both imported, call a built-in store
//! through the trait you mean (`TokenStore::get(&store, key)`) or through a
//! `&dyn TokenStore` / `Arc<dyn AsyncTokenStore>`, as the clients do.
#![warn(missing_docs)]

/// Implements [`AsyncSessionStore`] and [`AsyncTokenStore`] for a store whose sync methods never
/// block for long, by running them inline when the future is first polled. `$this => $sync`
/// turns `self` into a reference to the sync store; the optional generics are those of the
/// session impl and of the token impl.
macro_rules! inline_async_store {
    ([$($session:tt)*] [$($token:tt)*] $ty:ty, $this:ident => $sync:expr) => {
        impl<$($session)*> $crate::store::AsyncSessionStore for $ty {
            fn get<'a>(&'a self, key: &'a str) -> $crate::store::BoxFuture<'a, Result<Option<String>, $crate::store::StoreError>> {
                let $this = self;
                Box::pin(async move { $crate::store::SessionStore::get($sync, key) })
            }

            fn set<'a>(
                &'a self,
                key: &'a str,
                value: &'a str,
                ttl: Option<core::time::Duration>,
            ) -> $crate::store::BoxFuture<'a, Result<(), $crate::store::StoreError>> {
                let $this = self;
                Box::pin(async move { $crate::store::SessionStore::set($sync, key, value, ttl) })
            }

            fn delete<'a>(&'a self, key: &'a str) -> $crate::store::BoxFuture<'a, Result<(), $crate::store::StoreError>> {
                let $this = self;
                Box::pin(async move { $crate::store::SessionStore::delete($sync, key) })
            }
        }

        impl<$($token)*> $crate::store::AsyncTokenStore for $ty {
            fn set_nx<'a>(
                &'a self,
                key: &'a str,
                value: &'a str,
                ttl: core::time::Duration,
            ) -> $crate::store::BoxFuture<'a, Result<bool, $crate::store::StoreError>> {
                let $this = self;
                Box::pin(async move { $crate::store::TokenStore::set_nx($sync, key, value, ttl) })
            }

            fn compare_and_delete<'a>(
                &'a self,
                key: &'a str,
                expected: &'a str,
            ) -> $crate::store::BoxFuture<'a, Result<bool, $crate::store::StoreError>> {
                let $this = self;
                Box::pin(async move { $crate::store::TokenStore::compare_and_delete($sync, key, expected) })
            }

            fn compare_and_set<'a>(
                &'a self,
                key: &'a str,
                expected: Option<&'a str>,
                value: &'a str,
                ttl: Option<core::time::Duration>,
            ) -> $crate::store::BoxFuture<'a, Result<bool, $crate::store::StoreError>> {
                let $this = self;
                Box::pin(async move { $crate::store::TokenStore::compare_and_set($sync, key, expected, value, ttl) })
            }

            fn incr<'a>(
                &'a self,
                key: &'a str,
                ttl: core::time::Duration,
            ) -> $crate::store::BoxFuture<'a, Result<u64, $crate::store::StoreError>> {
                let $this = self;
                Box::pin(async move { $crate::store::TokenStore::incr($sync, key, ttl) })
            }
        }
    };
    ($ty:ty, $this:ident => $sync:expr) => {
        inline_async_store!([] [] $ty, $this => $sync);
    };
}

mod adapt;
pub mod clock;
pub mod conformance;
mod file;
pub mod machine;
#[cfg(feature = "memcached")]
mod memcached;
mod memory;
pub mod random;
#[cfg(feature = "redis")]
mod redis_store;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod util;

use std::sync::Arc;

pub use adapt::{Blocking, Simple};
pub use clock::{Clock, ManualClock, SystemClock};
pub use file::FileStore;
#[cfg(feature = "memcached")]
pub use memcached::MemcachedStore;
pub use memory::MemoryStore;
pub use random::random16;
#[cfg(feature = "redis")]
pub use redis_store::RedisStore;
pub use store::{AsyncSessionStore, AsyncTokenStore, BoxFuture, SessionStore, StoreError, TokenStore};

/// The default connect and response timeout of the network stores (Redis, memcached): a down
/// or stalled server fails a call after about this long instead of hanging the client.
pub const DEFAULT_TIMEOUT: core::time::Duration = core::time::Duration::from_secs(2);

/// The backend a `--session` value names.
enum Spec<'a> {
    Memory,
    File(&'a str),
    // The URLs are unused when the backend's feature is off.
    Redis(#[cfg_attr(not(feature = "redis"), allow(dead_code))] &'a str),
    Memcached(#[cfg_attr(not(feature = "memcached"), allow(dead_code))] &'a str),
}

fn parse_spec(spec: &str) -> Result<Spec<'_>, StoreError> {
    let spec = spec.trim();
    if spec == "memory" {
        return Ok(Spec::Memory);
    }
    if let Some(path) = spec.strip_prefix("file:") {
        if path.is_empty() {
            return Err(StoreError::Config(
                "`file:` needs a path, e.g. file:/var/cache/wechat.json".into(),
            ));
        }
        return Ok(Spec::File(path));
    }
    let scheme = spec.split_once("://").map(|(scheme, _)| scheme);
    match scheme {
        Some("redis" | "rediss" | "redis+unix" | "unix" | "valkey" | "valkeys") => Ok(Spec::Redis(spec)),
        Some("memcache" | "memcached") => Ok(Spec::Memcached(spec)),
        // Only the scheme is echoed: the rest of a URL may hold a password.
        Some(other) => Err(StoreError::Config(format!(
            "unknown session store scheme `{other}://`; expected memory, file:PATH, redis://HOST or memcache://HOST"
        ))),
        None => Err(StoreError::Config(
            "unknown session store; expected memory, file:PATH, redis://HOST or memcache://HOST".into(),
        )),
    }
}

#[cfg(not(feature = "redis"))]
fn redis_disabled() -> StoreError {
    StoreError::Config("redis:// stores need wechat-session's `redis` feature, which this build lacks".into())
}

#[cfg(not(feature = "memcached"))]
fn memcached_disabled() -> StoreError {
    StoreError::Config("memcache:// stores need wechat-session's `memcached` feature, which this build lacks".into())
}

/// Builds a sync store from a `--session` value: `memory`, `file:PATH`, `redis://…` (feature
/// `redis`) or `memcache://…` (feature `memcached`).
///
/// # Errors
/// [`StoreError::Config`] for an unknown scheme, a malformed value or a backend whose feature
/// is disabled (the message never repeats a URL, which may hold a password).
pub fn open(spec: &str) -> Result<Arc<dyn TokenStore>, StoreError> {
    match parse_spec(spec)? {
        Spec::Memory => Ok(Arc::new(MemoryStore::new())),
        Spec::File(path) => Ok(Arc::new(FileStore::new(path))),
        #[cfg(feature = "redis")]
        Spec::Redis(url) => Ok(Arc::new(RedisStore::open(url)?)),
        #[cfg(not(feature = "redis"))]
        Spec::Redis(_) => Err(redis_disabled()),
        #[cfg(feature = "memcached")]
        Spec::Memcached(url) => Ok(Arc::new(MemcachedStore::open(url)?)),
        #[cfg(not(feature = "memcached"))]
        Spec::Memcached(_) => Err(memcached_disabled()),
    }
}

/// Builds an async store from a `--session` value; see [`open`]. Redis and memcached stores use
/// their native async clients (they need a tokio runtime when first used).
///
/// # Errors
/// As [`open`].
pub fn open_async(spec: &str) -> Result<Arc<dyn AsyncTokenStore>, StoreError> {
    match parse_spec(spec)? {
        Spec::Memory => Ok(Arc::new(MemoryStore::new())),
        Spec::File(path) => Ok(Arc::new(FileStore::new(path))),
        #[cfg(feature = "redis")]
        Spec::Redis(url) => Ok(Arc::new(RedisStore::open(url)?)),
        #[cfg(not(feature = "redis"))]
        Spec::Redis(_) => Err(redis_disabled()),
        #[cfg(feature = "memcached")]
        Spec::Memcached(url) => Ok(Arc::new(MemcachedStore::open(url)?)),
        #[cfg(not(feature = "memcached"))]
        Spec::Memcached(_) => Err(memcached_disabled()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_error(result: Result<Arc<dyn TokenStore>, StoreError>) -> String {
        match result {
            Err(StoreError::Config(why)) => why,
            Err(other) => panic!("expected a Config error, got {other:?}"),
            Ok(store) => panic!("expected an error, got {store:p}"),
        }
    }

    #[test]
    fn open_rejects_unknown_schemes_without_echoing_the_url() {
        let why = config_error(open("mongodb://user:hunter2@db/x"));
        assert!(why.contains("mongodb://") && !why.contains("hunter2"), "{why}");
        let why = config_error(open("sqlite"));
        assert!(why.contains("expected memory"), "{why}");
        let why = config_error(open("file:"));
        assert!(why.contains("path"), "{why}");
    }

    #[test]
    fn open_builds_memory_and_file_stores() {
        let store = open("memory").unwrap();
        store.set("k", "v", None).unwrap();
        assert_eq!(store.get("k").unwrap().as_deref(), Some("v"));
        let dir = std::env::temp_dir().join(format!("wechat-session-open-{}", std::process::id()));
        let path = dir.join("s.json");
        let store = open(&format!("file:{}", path.display())).unwrap();
        assert!(store.set_nx("k", "v", core::time::Duration::from_secs(60)).unwrap());
        assert!(path.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(not(feature = "redis"))]
    #[test]
    fn open_reports_a_disabled_redis_feature() {
        let why = config_error(open("redis://:pw@127.0.0.1/"));
        assert!(why.contains("`redis` feature") && !why.contains("pw"), "{why}");
    }

    #[cfg(not(feature = "memcached"))]
    #[test]
    fn open_reports_a_disabled_memcached_feature() {
        let why = config_error(open("memcache://127.0.0.1"));
        assert!(why.contains("`memcached` feature"), "{why}");
    }

    #[cfg(feature = "redis")]
    #[test]
    fn open_redis_hides_the_password() {
        assert!(open("redis://:hunter2@127.0.0.1:6390/3").is_ok());
        let store = RedisStore::open("redis://:hunter2@127.0.0.1:6390/3").unwrap();
        let shown = format!("{store:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("127.0.0.1:6390/3"),
            "{shown}"
        );
        let why = config_error(open("rediss://:hunter2@127.0.0.1/"));
        assert!(!why.contains("hunter2") && why.contains("TLS"), "{why}");
    }
}
