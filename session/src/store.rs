//! The store traits.
//!
//! * [`SessionStore`]: what wechatpy users implement today for a custom store: `get`,
//!   `set` with a TTL, `delete`. Strings in, strings out.
//! * [`TokenStore`]: the four atomic primitives the clients need to coordinate processes:
//!   `set_nx` (the refresh lease, callback deduplication), `compare_and_delete`
//!   (compare-and-invalidate a rejected token; releasing a lease only by its owner),
//!   `compare_and_set` (storing a refreshed token only over the token it replaces, so a
//!   refresher whose lease expired can never overwrite a newer one) and `incr` (the daily fetch
//!   counter of the quota guard). None has a default implementation: a default built from
//!   `get` and `set` could not be atomic.
//! * [`AsyncSessionStore`] / [`AsyncTokenStore`]: the same for async clients, with boxed
//!   futures so `Arc<dyn AsyncTokenStore>` works.
//!
//! A custom store that only implements [`SessionStore`] can still be used: wrap it in
//! [`Simple`](crate::Simple), which emulates the primitives with a process-local lock (correct
//! within one process, documented as not atomic across processes).

use core::future::Future;
use core::pin::Pin;
use core::time::Duration;

/// A boxed, sendable future (what async store methods return).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a store operation failed. Never contains a value (values are tokens).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend cannot be reached (connection refused, DNS, closed pool).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The backend did not answer in time.
    #[error("store timed out after {0:?}")]
    Timeout(Duration),
    /// The backend answered something unexpected.
    #[error("store protocol error: {0}")]
    Protocol(String),
    /// A local I/O error (file store), including a store or lock file refused as unsafe (a
    /// symbolic link, not a regular file, or owned by another user).
    #[error("store I/O error: {0}")]
    Io(String),
    /// The stored data is not in the store's format (file store): the path and what is wrong,
    /// never the contents. The data is left untouched, since reading it as empty would reset
    /// leases and the daily quota count.
    #[error("store data corrupt: {0}")]
    Corrupt(String),
    /// The store URL or configuration is invalid, or names a backend this build lacks.
    /// Retrying does not help.
    #[error("store configuration error: {0}")]
    Config(String),
}

/// The simple key-value store wechatpy users know: `get`, `set` with a TTL, `delete`.
pub trait SessionStore: Send + Sync {
    /// The value of `key`, or `None` if absent or expired.
    ///
    /// # Errors
    /// [`StoreError`] when the backend fails.
    fn get(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// Sets `key` to `value`, expiring after `ttl` (never when `None`).
    ///
    /// # Errors
    /// [`StoreError`] when the backend fails.
    fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), StoreError>;

    /// Deletes `key` (no error if absent).
    ///
    /// # Errors
    /// [`StoreError`] when the backend fails.
    fn delete(&self, key: &str) -> Result<(), StoreError>;
}

/// The atomic primitives multi-process coordination needs, on top of [`SessionStore`].
///
/// Every built-in store implements them atomically across processes; run
/// [`conformance`](crate::conformance) against your own implementation.
pub trait TokenStore: SessionStore {
    /// Sets `key` to `value` with `ttl` only if `key` is absent (or expired). Returns whether
    /// it was set. Redis `SET NX PX`, memcached `add`.
    ///
    /// # Errors
    /// [`StoreError`] when the backend fails.
    fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError>;

    /// Deletes `key` only if its value is exactly `expected`. Returns whether it deleted.
    ///
    /// # Errors
    /// [`StoreError`] when the backend fails.
    fn compare_and_delete(&self, key: &str, expected: &str) -> Result<bool, StoreError>;

    /// Sets `key` to `value` (expiring after `ttl`, never when `None`) only if its current value
    /// is exactly `expected` (`None`: only if `key` is absent or expired). Returns whether it
    /// set.
    ///
    /// # Errors
    /// [`StoreError`] when the backend fails.
    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&str>,
        value: &str,
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError>;

    /// Increments the counter `key` by one and returns the new value; a missing counter starts
    /// at 0 and expires after `ttl`.
    ///
    /// # Errors
    /// [`StoreError`] when the backend fails (or `key` holds a non-number).
    fn incr(&self, key: &str, ttl: Duration) -> Result<u64, StoreError>;
}

/// [`SessionStore`] for async clients.
pub trait AsyncSessionStore: Send + Sync {
    /// See [`SessionStore::get`].
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>>;
    /// See [`SessionStore::set`].
    fn set<'a>(&'a self, key: &'a str, value: &'a str, ttl: Option<Duration>) -> BoxFuture<'a, Result<(), StoreError>>;
    /// See [`SessionStore::delete`].
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;
}

/// [`TokenStore`] for async clients.
pub trait AsyncTokenStore: AsyncSessionStore {
    /// See [`TokenStore::set_nx`].
    fn set_nx<'a>(&'a self, key: &'a str, value: &'a str, ttl: Duration) -> BoxFuture<'a, Result<bool, StoreError>>;
    /// See [`TokenStore::compare_and_delete`].
    fn compare_and_delete<'a>(&'a self, key: &'a str, expected: &'a str) -> BoxFuture<'a, Result<bool, StoreError>>;
    /// See [`TokenStore::compare_and_set`].
    fn compare_and_set<'a>(
        &'a self,
        key: &'a str,
        expected: Option<&'a str>,
        value: &'a str,
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;
    /// See [`TokenStore::incr`].
    fn incr<'a>(&'a self, key: &'a str, ttl: Duration) -> BoxFuture<'a, Result<u64, StoreError>>;
}

/// Forwards every store trait through a pointer, so `Arc<dyn TokenStore>`, `Box<MyStore>` or
/// `&MemoryStore` can be used wherever a store is expected (for example
/// `Blocking(wechat_session::open(spec)?)` or `Simple::new(Arc::clone(&shared))`).
macro_rules! forward {
    ($($ptr:ty),*) => {$(
        impl<T: SessionStore + ?Sized> SessionStore for $ptr {
            fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
                (**self).get(key)
            }
            fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), StoreError> {
                (**self).set(key, value, ttl)
            }
            fn delete(&self, key: &str) -> Result<(), StoreError> {
                (**self).delete(key)
            }
        }

        impl<T: TokenStore + ?Sized> TokenStore for $ptr {
            fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
                (**self).set_nx(key, value, ttl)
            }
            fn compare_and_delete(&self, key: &str, expected: &str) -> Result<bool, StoreError> {
                (**self).compare_and_delete(key, expected)
            }
            fn compare_and_set(
                &self,
                key: &str,
                expected: Option<&str>,
                value: &str,
                ttl: Option<Duration>,
            ) -> Result<bool, StoreError> {
                (**self).compare_and_set(key, expected, value, ttl)
            }
            fn incr(&self, key: &str, ttl: Duration) -> Result<u64, StoreError> {
                (**self).incr(key, ttl)
            }
        }

        impl<T: AsyncSessionStore + ?Sized> AsyncSessionStore for $ptr {
            fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
                (**self).get(key)
            }
            fn set<'a>(&'a self, key: &'a str, value: &'a str, ttl: Option<Duration>) -> BoxFuture<'a, Result<(), StoreError>> {
                (**self).set(key, value, ttl)
            }
            fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
                (**self).delete(key)
            }
        }

        impl<T: AsyncTokenStore + ?Sized> AsyncTokenStore for $ptr {
            fn set_nx<'a>(&'a self, key: &'a str, value: &'a str, ttl: Duration) -> BoxFuture<'a, Result<bool, StoreError>> {
                (**self).set_nx(key, value, ttl)
            }
            fn compare_and_delete<'a>(&'a self, key: &'a str, expected: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
                (**self).compare_and_delete(key, expected)
            }
            fn compare_and_set<'a>(
                &'a self,
                key: &'a str,
                expected: Option<&'a str>,
                value: &'a str,
                ttl: Option<Duration>,
            ) -> BoxFuture<'a, Result<bool, StoreError>> {
                (**self).compare_and_set(key, expected, value, ttl)
            }
            fn incr<'a>(&'a self, key: &'a str, ttl: Duration) -> BoxFuture<'a, Result<u64, StoreError>> {
                (**self).incr(key, ttl)
            }
        }
    )*};
}

forward!(&T, std::boxed::Box<T>, std::sync::Arc<T>);
