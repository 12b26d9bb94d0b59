//! Adapters: [`Simple`] (the primitives for a plain get/set/delete store) and [`Blocking`]
//! (a sync store serving an async client).

use core::fmt;
use core::hash::{Hash, Hasher};
use core::time::Duration;
use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use crate::store::{SessionStore, StoreError, TokenStore};
use crate::util::next_counter;

/// Number of lock stripes in [`Simple`]: operations on different keys rarely wait for each other.
const STRIPES: usize = 16;

/// Gives a custom store that only has `get`/`set`/`delete` the [`TokenStore`] primitives, by
/// running each read-modify-write under a process-local lock.
///
/// **Atomic only within one process.** `set_nx`, `compare_and_delete`, `compare_and_set` and
/// `incr` are each a `get` followed by a `set`/`delete` on the wrapped store. The lock (one of
/// 16 stripes, chosen by the key's hash) makes them atomic against every other call made
/// through *this* `Simple` value, and `set`/`delete` take the same lock so they cannot
/// interleave with a primitive. It cannot stop another process (or another `Simple` over the
/// same backend) from writing between the `get` and the `set`: with several processes, two of
/// them can both win a `set_nx` (two concurrent token refreshes), a `compare_and_set` can
/// overwrite a value written in between, or an increment can be lost. If your deployment runs
/// several processes, implement [`TokenStore`] natively for your backend (and run
/// [`conformance`](crate::conformance) against it) or use a built-in store.
///
/// `incr` keeps a counter's TTL from its creation: `SessionStore` cannot read a remaining TTL,
/// so `Simple` remembers the deadline of each counter it created and re-sets the value with the
/// remaining time. For a counter created by another process (deadline unknown here), it
/// re-applies the full `ttl` once and remembers that deadline.
pub struct Simple<S> {
    inner: S,
    stripes: [Mutex<()>; STRIPES],
    /// Deadlines of the counters this value created (see `incr`).
    counters: Mutex<HashMap<String, Instant>>,
}

impl<S> Simple<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            stripes: core::array::from_fn(|_| Mutex::new(())),
            counters: Mutex::new(HashMap::new()),
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Unwraps the store.
    pub fn into_inner(self) -> S {
        self.inner
    }

    fn stripe(&self, key: &str) -> MutexGuard<'_, ()> {
        let mut hasher = DefaultHasher::new();
        key.hash(&mut hasher);
        // The modulo keeps the index in range whatever the hash width.
        #[allow(clippy::cast_possible_truncation)]
        let index = (hasher.finish() % STRIPES as u64) as usize;
        // The guarded data is `()`: poisoning cannot leave anything inconsistent.
        self.stripes[index].lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn counters(&self) -> MutexGuard<'_, HashMap<String, Instant>> {
        self.counters.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<S: fmt::Debug> fmt::Debug for Simple<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simple")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S: SessionStore> SessionStore for Simple<S> {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.inner.get(key)
    }

    fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), StoreError> {
        let _guard = self.stripe(key);
        self.counters().remove(key);
        self.inner.set(key, value, ttl)
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        let _guard = self.stripe(key);
        self.counters().remove(key);
        self.inner.delete(key)
    }
}

impl<S: SessionStore> TokenStore for Simple<S> {
    fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        let _guard = self.stripe(key);
        if self.inner.get(key)?.is_some() {
            return Ok(false);
        }
        self.counters().remove(key);
        self.inner.set(key, value, Some(ttl))?;
        Ok(true)
    }

    fn compare_and_delete(&self, key: &str, expected: &str) -> Result<bool, StoreError> {
        let _guard = self.stripe(key);
        if self.inner.get(key)?.as_deref() != Some(expected) {
            return Ok(false);
        }
        self.counters().remove(key);
        self.inner.delete(key)?;
        Ok(true)
    }

    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&str>,
        value: &str,
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError> {
        let _guard = self.stripe(key);
        if self.inner.get(key)?.as_deref() != expected {
            return Ok(false);
        }
        self.counters().remove(key);
        self.inner.set(key, value, ttl)?;
        Ok(true)
    }

    fn incr(&self, key: &str, ttl: Duration) -> Result<u64, StoreError> {
        let _guard = self.stripe(key);
        let now = Instant::now();
        let known = self.counters().get(key).copied();
        let current = self.inner.get(key)?;
        // A counter past the deadline we set is expired, even if the backend rounds its TTL up.
        let current = current.filter(|_| known.is_none_or(|deadline| deadline > now));
        let (next, deadline) = match (current, known) {
            (Some(value), Some(deadline)) => (next_counter(&value)?, deadline),
            (Some(value), None) => (next_counter(&value)?, now.checked_add(ttl).unwrap_or(now)),
            (None, _) => (1, now.checked_add(ttl).unwrap_or(now)),
        };
        let remaining = deadline.saturating_duration_since(now).max(Duration::from_millis(1));
        self.inner.set(key, &next.to_string(), Some(remaining))?;
        let mut counters = self.counters();
        if counters.len() >= 1024 {
            counters.retain(|_, d| *d > now);
        }
        counters.insert(key.to_owned(), deadline);
        Ok(next)
    }
}

/// Serves an async client from a sync store: every call runs the sync method inline when the
/// future is first polled.
///
/// Fine for stores that never block for long ([`MemoryStore`](crate::MemoryStore),
/// [`FileStore`](crate::FileStore), [`Simple`] over an in-memory map). A sync store that does
/// network I/O blocks an executor thread for the duration of each call; give such a store a
/// native [`AsyncTokenStore`](crate::AsyncTokenStore) implementation instead, or accept the blocking.
///
/// (A wrapper rather than a blanket `impl<T: TokenStore> AsyncTokenStore for T`, which would
/// forbid any type from implementing both traits natively.)
#[derive(Debug, Default, Clone)]
pub struct Blocking<S>(pub S);

inline_async_store!([S: SessionStore] [S: TokenStore] Blocking<S>, this => &this.0);
