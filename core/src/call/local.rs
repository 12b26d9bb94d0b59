//! A token store for one process, driven with the call machine's own time: what a custom
//! executor without Redis (or a test) answers [`StoreOp`]s with.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};

use super::{StoreAnswer, StoreOp};
use crate::time::Timestamp;

/// Keys, values and expiry times in a map. Correct for the calls of one process (one
/// session); share a real store (Redis, a file) between processes.
#[derive(Default)]
pub struct LocalStore {
    entries: BTreeMap<String, (String, Option<Timestamp>)>,
}

impl core::fmt::Debug for LocalStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LocalStore")
            .field("keys", &self.entries.keys().collect::<alloc::vec::Vec<_>>())
            .finish()
    }
}

impl LocalStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The live value of `key` at `now`.
    pub fn get(&self, key: &str, now: Timestamp) -> Option<&str> {
        self.entries
            .get(key)
            .filter(|(_, expiry)| expiry.is_none_or(|e| e > now))
            .map(|(v, _)| v.as_str())
    }

    /// Sets `key` (expiring after `ttl`, never when `None`).
    pub fn set(&mut self, key: String, value: String, ttl: Option<core::time::Duration>, now: Timestamp) {
        self.entries.insert(key, (value, ttl.map(|t| now.saturating_add(t))));
    }

    /// Runs one operation at `now`.
    pub fn run(&mut self, op: StoreOp, now: Timestamp) -> StoreAnswer {
        match op {
            StoreOp::Get { key } => StoreAnswer::Value(self.get(&key, now).map(String::from)),
            StoreOp::SetNx { key, value, ttl } => {
                let free = self.get(&key, now).is_none();
                if free {
                    self.set(key, value, Some(ttl), now);
                }
                StoreAnswer::Bool(free)
            }
            StoreOp::Set { key, value, ttl } => {
                self.set(key, value, ttl, now);
                StoreAnswer::Done
            }
            StoreOp::CompareAndDelete { key, expected } => {
                let hit = self.get(&key, now) == Some(expected.as_str());
                if hit {
                    self.entries.remove(&key);
                }
                StoreAnswer::Bool(hit)
            }
            StoreOp::CompareAndSet {
                key,
                expected,
                value,
                ttl,
            } => {
                let hit = self.get(&key, now) == expected.as_deref();
                if hit {
                    self.set(key, value, ttl, now);
                }
                StoreAnswer::Bool(hit)
            }
            StoreOp::Incr { key, ttl } => {
                let live = self.get(&key, now).is_some();
                let n = self.get(&key, now).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) + 1;
                match self.entries.get_mut(&key) {
                    Some(entry) if live => entry.0 = n.to_string(),
                    _ => self.set(key, n.to_string(), Some(ttl), now),
                }
                StoreAnswer::Count(n)
            }
        }
    }
}
