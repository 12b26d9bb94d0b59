//! [`MemoryStore`]: a process-local map that honours TTLs.

use core::fmt;
use core::time::Duration;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::clock::{Clock, SystemClock};

use crate::store::{SessionStore, StoreError, TokenStore};
use crate::util::next_counter;

/// Prune expired entries after this many mutations, or after half as many as the map holds
/// when that is more: each sweep visits every entry, so it stays a constant cost per mutation.
const PRUNE_EVERY: usize = 256;

#[derive(Clone)]
struct Entry {
    value: String,
    /// Unix milliseconds; `None` never expires.
    expires: Option<u64>,
}

impl Entry {
    fn live(&self, now: u64) -> bool {
        self.expires.is_none_or(|at| at > now)
    }
}

#[derive(Default)]
struct Inner {
    map: HashMap<String, Entry>,
    /// Mutations since the last sweep.
    mutations: usize,
    /// At most this many entries (see [`MemoryStore::with_capacity`]).
    capacity: Option<usize>,
}

impl Inner {
    /// Inserts `key`, first making room if the store is bounded and full: expired entries go
    /// first, then the eighth of the entries closest to expiry (never-expiring ones last).
    fn insert(&mut self, key: &str, entry: Entry, now: u64) {
        if let Some(capacity) = self.capacity
            && self.map.len() >= capacity
            && !self.map.contains_key(key)
        {
            self.make_room(capacity, now);
        }
        self.map.insert(key.to_owned(), entry);
    }

    /// Drops expired entries and, if that is not enough, the eighth of the entries closest
    /// to expiry. Only the expiry times are copied and ranked (no keys), so a full store under
    /// a flood of new keys pays a few comparisons per insert, amortised.
    fn make_room(&mut self, capacity: usize, now: u64) {
        self.map.retain(|_, e| e.live(now));
        if self.map.len() < capacity {
            return;
        }
        // `None` (never expires) must rank last: `(true, None)` sorts after every `(false, _)`.
        let rank = |e: &Entry| (e.expires.is_none(), e.expires);
        let mut ranks: Vec<(bool, Option<u64>)> = self.map.values().map(rank).collect();
        let evict = (capacity / 8).max(1).min(ranks.len());
        let (_, &mut cutoff, _) = ranks.select_nth_unstable(evict - 1);
        // At least `evict` entries rank at or before the cutoff; drop exactly `evict` of them.
        let mut left = evict;
        self.map.retain(|_, e| {
            let drop = left > 0 && rank(e) <= cutoff;
            left -= usize::from(drop);
            !drop
        });
    }

    /// The live entry for `key`, dropping it if it has expired.
    fn live(&mut self, key: &str, now: u64) -> Option<&mut Entry> {
        if self.map.get(key).is_some_and(|e| !e.live(now)) {
            self.map.remove(key);
        }
        self.map.get_mut(key)
    }

    /// Counts a mutation and sweeps expired entries when enough have happened (see
    /// [`PRUNE_EVERY`]).
    fn mutated(&mut self, now: u64) {
        self.mutations += 1;
        if self.mutations >= PRUNE_EVERY.max(self.map.len() / 2) {
            self.mutations = 0;
            self.map.retain(|_, e| e.live(now));
        }
    }
}

/// A process-local store: a `HashMap` behind a `Mutex`, with TTLs honoured (unlike
/// wechatpy's `MemoryStorage`, which ignores them) and expired entries pruned. Expiry follows
/// a [`Clock`] (the system's unless [`MemoryStore::with_clock`] gives another).
///
/// Every primitive runs under one lock, so it is atomic across the threads and tasks of one
/// process. It is not shared between processes: use [`FileStore`](crate::FileStore), Redis or
/// memcached for that. It implements both the sync and the async traits (async calls run
/// inline; they never block on I/O).
pub struct MemoryStore {
    inner: Mutex<Inner>,
    clock: Arc<dyn Clock>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            inner: Mutex::default(),
            clock: Arc::new(SystemClock),
        }
    }
}

impl MemoryStore {
    /// An empty, unbounded store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store that holds at most `capacity` entries: when full, expired entries are
    /// dropped first, then those closest to expiry. For caches whose entries may be lost
    /// early without harm, such as callback deduplication marks under heavy traffic; never
    /// for tokens shared with nothing else (a lost token is only refetched, but a lost lease
    /// or counter weakens the guarantees).
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                capacity: Some(capacity.max(1)),
                ..Inner::default()
            }),
            ..Self::default()
        }
    }

    /// The same store, expiring entries by `clock` (a [`ManualClock`](crate::ManualClock) in
    /// tests).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the map half-updated (every mutation
        // is a single map operation), so a poisoned lock is safe to keep using.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The number of live (unexpired) entries.
    #[must_use]
    pub fn len(&self) -> usize {
        let now = self.clock.unix_millis();
        self.lock().map.values().filter(|e| e.live(now)).count()
    }

    /// Whether the store holds no live entry.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print keys' values: they are tokens.
        f.debug_struct("MemoryStore")
            .field("entries", &self.lock().map.len())
            .finish()
    }
}

fn deadline(now: u64, ttl: Duration) -> Option<u64> {
    // A TTL too large to represent never expires in practice.
    now.checked_add(crate::util::ttl_millis(ttl))
}

impl SessionStore for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let now = self.clock.unix_millis();
        Ok(self.lock().live(key, now).map(|e| e.value.clone()))
    }

    fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), StoreError> {
        let now = self.clock.unix_millis();
        let mut inner = self.lock();
        let expires = ttl.and_then(|ttl| deadline(now, ttl));
        inner.insert(
            key,
            Entry {
                value: value.to_owned(),
                expires,
            },
            now,
        );
        inner.mutated(now);
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        let now = self.clock.unix_millis();
        let mut inner = self.lock();
        inner.map.remove(key);
        inner.mutated(now);
        Ok(())
    }
}

impl TokenStore for MemoryStore {
    fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        let now = self.clock.unix_millis();
        let mut inner = self.lock();
        if inner.live(key, now).is_some() {
            return Ok(false);
        }
        inner.insert(
            key,
            Entry {
                value: value.to_owned(),
                expires: deadline(now, ttl),
            },
            now,
        );
        inner.mutated(now);
        Ok(true)
    }

    fn compare_and_delete(&self, key: &str, expected: &str) -> Result<bool, StoreError> {
        let now = self.clock.unix_millis();
        let mut inner = self.lock();
        let matches = inner.live(key, now).is_some_and(|e| e.value == expected);
        if matches {
            inner.map.remove(key);
            inner.mutated(now);
        }
        Ok(matches)
    }

    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&str>,
        value: &str,
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError> {
        let now = self.clock.unix_millis();
        let mut inner = self.lock();
        if inner.live(key, now).map(|e| e.value.as_str()) != expected {
            return Ok(false);
        }
        let entry = Entry {
            value: value.to_owned(),
            expires: ttl.and_then(|ttl| deadline(now, ttl)),
        };
        inner.insert(key, entry, now);
        inner.mutated(now);
        Ok(true)
    }

    fn incr(&self, key: &str, ttl: Duration) -> Result<u64, StoreError> {
        let now = self.clock.unix_millis();
        let mut inner = self.lock();
        let next = match inner.live(key, now) {
            Some(entry) => {
                let next = next_counter(&entry.value)?;
                // Keep the TTL set when the counter was created.
                entry.value = next.to_string();
                next
            }
            None => {
                inner.insert(
                    key,
                    Entry {
                        value: "1".to_owned(),
                        expires: deadline(now, ttl),
                    },
                    now,
                );
                1
            }
        };
        inner.mutated(now);
        Ok(next)
    }
}

inline_async_store!(MemoryStore, this => this);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_entries_are_pruned_from_the_map() {
        let memory = MemoryStore::new();
        let store: &dyn TokenStore = &memory;
        for i in 0..10 {
            store
                .set(&format!("short:{i}"), "v", Some(Duration::from_millis(1)))
                .unwrap();
        }
        store.set("long", "v", None).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        // Enough mutations to trigger a sweep.
        for _ in 0..PRUNE_EVERY {
            store.set("long", "v", None).unwrap();
        }
        assert_eq!(
            memory.lock().map.len(),
            1,
            "expired entries must be swept, not kept forever"
        );
        assert_eq!(memory.len(), 1);
    }

    #[test]
    fn debug_never_shows_values() {
        let store = MemoryStore::new();
        SessionStore::set(&store, "wechat:mp:wx1:access_token", "SECRET-TOKEN-VALUE", None).unwrap();
        let shown = format!("{store:?}");
        assert!(!shown.contains("SECRET-TOKEN-VALUE"), "{shown}");
        assert!(shown.contains("entries: 1"), "{shown}");
    }

    #[test]
    fn a_full_store_evicts_exactly_an_eighth_even_among_equals() {
        for ttl in [None, Some(Duration::from_secs(60))] {
            let memory = MemoryStore::with_capacity(16);
            let store: &dyn SessionStore = &memory;
            for i in 0..16 {
                store.set(&format!("k{i}"), "v", ttl).unwrap();
            }
            store.set("new", "v", ttl).unwrap();
            assert_eq!(memory.lock().map.len(), 16 - 2 + 1, "{ttl:?}");
            assert_eq!(store.get("new").unwrap().as_deref(), Some("v"));
        }
    }

    #[test]
    fn a_bounded_store_evicts_what_expires_first_and_keeps_its_size() {
        let memory = MemoryStore::with_capacity(64);
        let store: &dyn TokenStore = &memory;
        store.set("keep:forever", "v", None).unwrap();
        for i in 0..1000u64 {
            assert!(
                store
                    .set_nx(&format!("dedup:{i}"), "pending", Duration::from_secs(60 + i))
                    .unwrap()
            );
            assert!(memory.lock().map.len() <= 64, "bounded at {i}");
        }
        // The newest marks survive, the oldest went first, the entry without a TTL stayed.
        assert_eq!(store.get("dedup:999").unwrap().as_deref(), Some("pending"));
        assert_eq!(store.get("dedup:0").unwrap(), None);
        assert_eq!(store.get("keep:forever").unwrap().as_deref(), Some("v"));
        // Replacing an existing key never evicts.
        let before = memory.lock().map.len();
        store.set("dedup:999", "reply", Some(Duration::from_secs(60))).unwrap();
        assert_eq!(memory.lock().map.len(), before);
    }
}
