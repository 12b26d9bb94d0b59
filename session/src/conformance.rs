//! A conformance suite for [`TokenStore`] and [`AsyncTokenStore`] implementations.
//!
//! Run it from a test against your own store (it uses no test framework: each function panics
//! with a message naming the violated property):
//!
//! ```
//! # fn main() {
//! let store = wechat_session::MemoryStore::new();
//! wechat_session::conformance::run(&store);
//! # }
//! ```
//!
//! What it checks, in this order:
//!
//! 1. `get`/`set`/`delete`: round-trips, overwrites, values stored verbatim (JSON, Unicode,
//!    whitespace, 4 KiB), deleting an absent key is not an error.
//! 2. `set_nx`: sets an absent key, leaves a present key (and its value) alone.
//! 3. `compare_and_delete`: deletes only on an exact match (not on a prefix, not on an absent
//!    key), and the freed key can be taken by `set_nx` at once.
//! 4. `compare_and_set`: with nothing expected it sets only an absent key; with an expected
//!    value it sets only on an exact match (not on a prefix, not on an absent key); a failed
//!    call changes nothing.
//! 5. `incr`: counts 1, 2, 3 from an absent key, reads back as decimal text, fails on a
//!    non-number without changing it, and that error does not repeat the stored value.
//! 6. TTLs (one ~3.2 s wait): values set with a 2 s TTL are present at once and gone after the
//!    wait (`set`, `set_nx`, `incr`, `compare_and_set`); a failed `set_nx` and a later `incr`
//!    with a longer TTL do not extend the TTL set at creation; `set` and `compare_and_set`
//!    without a TTL clear an earlier TTL; values without a TTL, or with a long one, survive;
//!    after expiry `incr` restarts at 1, `compare_and_delete` finds nothing, `compare_and_set`
//!    treats the key as absent, and `set_nx` has exactly one winner again.
//! 7. Concurrency: 8 threads (async: 8 concurrently polled futures) race `set_nx` on one key
//!    (10 rounds) → exactly one winner per round and the stored value is the winner's;
//!    race `compare_and_delete` on one key → exactly one success; race `compare_and_set` from
//!    the same expected value (4 rounds: one from an absent key, three from a present value) →
//!    exactly one winner per round and the stored value is the winner's; race 25 `incr`s each →
//!    the returned values are exactly 1..=200 (no lost or duplicated increment).
//!
//! Every run uses fresh keys under a unique prefix (`wechat-conformance:<pid>:<nanos>:<n>:`), so
//! it can run against a shared server, and in parallel with other runs. It takes about 4 s.
//! Expiry is checked with a 2 s TTL and a 3.2 s wait, which also fits memcached's one-second
//! clock.

use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicU64, Ordering};
use core::task::{Context, Poll, Waker};
use core::time::Duration;
use std::collections::BTreeSet;
use std::sync::{Arc, Barrier, Mutex, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::store::{AsyncTokenStore, BoxFuture, StoreError, TokenStore};

/// Threads (or futures) racing in the concurrency checks.
const RACERS: usize = 8;
/// Rounds of the `set_nx` race.
const NX_ROUNDS: usize = 10;
/// Increments per racer.
const INCRS: usize = 25;
/// Rounds of the `compare_and_set` race (the first from an absent key).
const CAS_ROUNDS: usize = 4;
/// The short TTL of the expiry checks.
const SHORT: Duration = Duration::from_secs(2);
/// The wait after which every `SHORT` value must have expired.
const WAIT: Duration = Duration::from_millis(3200);
/// A TTL that cannot expire during a run.
const LONG: Duration = Duration::from_secs(600);

#[track_caller]
fn violated(property: &str, detail: impl core::fmt::Display) -> ! {
    panic!("store conformance violated: {property}: {detail}")
}

#[track_caller]
fn ok<T>(property: &str, op: &str, result: Result<T, StoreError>) -> T {
    match result {
        Ok(value) => value,
        Err(err) => violated(property, format_args!("`{op}` failed: {err}")),
    }
}

#[track_caller]
fn check(property: &str, condition: bool, detail: impl core::fmt::Display) {
    if !condition {
        violated(property, detail);
    }
}

fn unique_prefix() -> String {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!(
        "wechat-conformance:{}:{nanos}:{}:",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    )
}

/// Values that must round-trip verbatim.
fn sample_values() -> Vec<String> {
    vec![
        r#"{"access_token":"ACCESS_TOKEN","expires_in":7200}"#.to_owned(),
        "微信 ünïcödé ✓ 🚀".to_owned(),
        "  leading and trailing spaces\twith a tab\nand a newline\r\n  ".to_owned(),
        "quote \" backslash \\ slash / percent % colon :".to_owned(),
        "x".repeat(4096),
    ]
}

/// Runs the whole suite against a sync store; panics naming the first violated property.
pub fn run(store: &dyn TokenStore) {
    let k = |name: &str| format!("{}{name}", unique_prefix());
    basics(store, &k);
    ttls(store, &k);
    races(store, &k);
}

fn basics(store: &dyn TokenStore, k: &dyn Fn(&str) -> String) {
    let p = "get/set/delete round-trip";
    let key = k("basic");
    check(p, ok(p, "get", store.get(&key)).is_none(), "a fresh key is present");
    ok(p, "set", store.set(&key, "v1", None));
    check(
        p,
        ok(p, "get", store.get(&key)).as_deref() == Some("v1"),
        "get after set is not the value set",
    );
    ok(p, "set", store.set(&key, "v2", Some(LONG)));
    check(
        p,
        ok(p, "get", store.get(&key)).as_deref() == Some("v2"),
        "set does not overwrite",
    );
    ok(p, "delete", store.delete(&key));
    check(
        p,
        ok(p, "get", store.get(&key)).is_none(),
        "get after delete still finds the key",
    );
    ok("delete of an absent key is not an error", "delete", store.delete(&key));

    let p = "values are stored verbatim";
    for (i, value) in sample_values().iter().enumerate() {
        let key = k(&format!("verbatim:{i}"));
        ok(p, "set", store.set(&key, value, Some(LONG)));
        let got = ok(p, "get", store.get(&key));
        check(
            p,
            got.as_deref() == Some(value.as_str()),
            format_args!("sample #{i} came back different"),
        );
    }

    let p = "set_nx sets an absent key and leaves a present one alone";
    let key = k("nx");
    check(
        p,
        ok(p, "set_nx", store.set_nx(&key, "owner-a", LONG)),
        "set_nx on an absent key returned false",
    );
    check(
        p,
        ok(p, "get", store.get(&key)).as_deref() == Some("owner-a"),
        "set_nx did not store its value",
    );
    check(
        p,
        !ok(p, "set_nx", store.set_nx(&key, "owner-b", LONG)),
        "set_nx on a present key returned true",
    );
    check(
        p,
        ok(p, "get", store.get(&key)).as_deref() == Some("owner-a"),
        "a failed set_nx changed the value",
    );

    let p = "compare_and_delete deletes only on an exact match";
    check(
        p,
        !ok(p, "compare_and_delete", store.compare_and_delete(&k("cad-absent"), "x")),
        "absent key",
    );
    for wrong in ["owner-b", "owner-", "owner-aa", "OWNER-A", ""] {
        let deleted = ok(p, "compare_and_delete", store.compare_and_delete(&key, wrong));
        check(
            p,
            !deleted,
            format_args!("deleted on a mismatch (expected value of length {})", wrong.len()),
        );
        check(
            p,
            ok(p, "get", store.get(&key)).as_deref() == Some("owner-a"),
            "a mismatch removed the value",
        );
    }
    check(
        p,
        ok(p, "compare_and_delete", store.compare_and_delete(&key, "owner-a")),
        "exact match returned false",
    );
    check(
        p,
        ok(p, "get", store.get(&key)).is_none(),
        "the key survived a successful compare_and_delete",
    );
    check(
        p,
        !ok(p, "compare_and_delete", store.compare_and_delete(&key, "owner-a")),
        "deleted twice",
    );
    let p = "a key freed by compare_and_delete can be taken by set_nx at once";
    check(
        p,
        ok(p, "set_nx", store.set_nx(&key, "owner-c", LONG)),
        "set_nx returned false",
    );

    cas_basics(store, k);

    let p = "incr counts from 1";
    let key = k("counter");
    for expected in 1..=3 {
        let n = ok(p, "incr", store.incr(&key, LONG));
        check(p, n == expected, format_args!("incr returned {n}, expected {expected}"));
    }
    check(
        p,
        ok(p, "get", store.get(&key)).as_deref() == Some("3"),
        "a counter does not read back as \"3\"",
    );
    let other = ok(p, "incr", store.incr(&k("counter-2"), LONG));
    check(
        p,
        other == 1,
        format_args!("counters are not independent: a new one started at {other}"),
    );

    let p = "incr on a non-number fails and keeps the value";
    let key = k("not-a-number");
    ok(p, "set", store.set(&key, "token-abc", Some(LONG)));
    match store.incr(&key, LONG) {
        Ok(n) => violated(p, format_args!("incr succeeded with {n}")),
        Err(err) => check(
            "errors never contain values",
            !format!("{err} {err:?}").contains("token-abc"),
            "the incr error repeats the stored value",
        ),
    }
    check(
        p,
        ok(p, "get", store.get(&key)).as_deref() == Some("token-abc"),
        "the value changed",
    );
}

fn cas_basics(store: &dyn TokenStore, k: &dyn Fn(&str) -> String) {
    let (key, absent) = (k("cas"), k("cas-absent"));
    let op = "compare_and_set";
    let p = "compare_and_set with nothing expected sets only an absent key";
    let set = ok(p, op, store.compare_and_set(&key, None, "v1", Some(LONG)));
    check(p, set, "an absent key returned false");
    let got = ok(p, "get", store.get(&key));
    check(p, got.as_deref() == Some("v1"), "it did not store its value");
    let set = ok(p, op, store.compare_and_set(&key, None, "v2", Some(LONG)));
    check(p, !set, "a present key returned true");
    let got = ok(p, "get", store.get(&key));
    check(p, got.as_deref() == Some("v1"), "a failed call changed the value");

    let p = "compare_and_set sets only on an exact match";
    let set = ok(p, op, store.compare_and_set(&absent, Some("v0"), "x", Some(LONG)));
    check(p, !set, "it set an absent key although a value was expected");
    let got = ok(p, "get", store.get(&absent));
    check(p, got.is_none(), "a failed compare_and_set created the key");
    for wrong in ["v2", "v", "v11", "V1", ""] {
        let set = ok(p, op, store.compare_and_set(&key, Some(wrong), "v3", Some(LONG)));
        check(
            p,
            !set,
            format_args!("it set on a mismatch (expected value of length {})", wrong.len()),
        );
        let got = ok(p, "get", store.get(&key));
        check(p, got.as_deref() == Some("v1"), "a mismatch changed the value");
    }
    let set = ok(p, op, store.compare_and_set(&key, Some("v1"), "v2", Some(LONG)));
    check(p, set, "an exact match returned false");
    let got = ok(p, "get", store.get(&key));
    check(p, got.as_deref() == Some("v2"), "it did not store the new value");
    let set = ok(p, op, store.compare_and_set(&key, Some("v1"), "v3", Some(LONG)));
    check(p, !set, "the replaced value still matched");
    let got = ok(p, "get", store.get(&key));
    check(
        p,
        got.as_deref() == Some("v2"),
        "a stale expected value changed the value",
    );
}

fn ttls(store: &dyn TokenStore, k: &dyn Fn(&str) -> String) {
    let p = "TTL";
    let (a, b, c, d, e, f) = (
        k("ttl-set"),
        k("ttl-nx"),
        k("ttl-incr"),
        k("ttl-cleared"),
        k("ttl-none"),
        k("ttl-long"),
    );
    let (g, h) = (k("ttl-cas"), k("ttl-cas-cleared"));
    ok(p, "set", store.set(&g, "old", Some(LONG)));
    check(
        p,
        ok(
            p,
            "compare_and_set",
            store.compare_and_set(&g, Some("old"), "new", Some(SHORT)),
        ),
        "compare_and_set on a match returned false",
    );
    ok(p, "set", store.set(&h, "old", Some(SHORT)));
    check(
        p,
        ok(
            p,
            "compare_and_set",
            store.compare_and_set(&h, Some("old"), "forever", None),
        ),
        "compare_and_set on a match returned false",
    );
    ok(p, "set", store.set(&a, "short", Some(SHORT)));
    check(
        p,
        ok(p, "set_nx", store.set_nx(&b, "short", SHORT)),
        "set_nx on a fresh key returned false",
    );
    check(
        p,
        !ok(p, "set_nx", store.set_nx(&b, "long", LONG)),
        "set_nx on a present key returned true",
    );
    check(
        p,
        ok(p, "incr", store.incr(&c, SHORT)) == 1,
        "a fresh counter did not start at 1",
    );
    check(
        p,
        ok(p, "incr", store.incr(&c, LONG)) == 2,
        "the second incr did not return 2",
    );
    ok(p, "set", store.set(&d, "short", Some(SHORT)));
    ok(p, "set", store.set(&d, "forever", None));
    ok(p, "set", store.set(&e, "forever", None));
    ok(p, "set", store.set(&f, "long", Some(LONG)));
    let p = "a value with a TTL is present before it expires";
    for key in [&a, &b, &c, &d, &e, &f, &g, &h] {
        check(
            p,
            ok(p, "get", store.get(key)).is_some(),
            format_args!("{key} is missing right after being set"),
        );
    }
    std::thread::sleep(WAIT);
    ttls_after(p, &[&a, &b, &c, &d, &e, &f, &g, &h], |key| ok(p, "get", store.get(key)));
    let p = "incr restarts at 1 after expiry";
    check(
        p,
        ok(p, "incr", store.incr(&c, LONG)) == 1,
        "the expired counter kept counting",
    );
    let p = "compare_and_delete finds nothing after expiry";
    check(
        p,
        !ok(p, "compare_and_delete", store.compare_and_delete(&a, "short")),
        "it deleted an expired key",
    );
    let p = "compare_and_set treats an expired key as absent";
    check(
        p,
        !ok(
            p,
            "compare_and_set",
            store.compare_and_set(&a, Some("short"), "x", Some(LONG)),
        ),
        "an expired value matched",
    );
    check(
        p,
        ok(
            p,
            "compare_and_set",
            store.compare_and_set(&a, None, "revived", Some(LONG)),
        ),
        "an expired key was not absent",
    );
    check(
        p,
        ok(p, "get", store.get(&a)).as_deref() == Some("revived"),
        "the value was not stored",
    );
    let winners = race_set_nx(store, &b, "after-expiry");
    check(
        "set_nx has exactly one winner after expiry",
        winners == 1,
        format_args!("{winners} winners"),
    );
}

/// The checks after the wait; `get` reads a key.
fn ttls_after(_: &str, keys: &[&String; 8], mut get: impl FnMut(&str) -> Option<String>) {
    let [a, b, c, d, e, f, g, h] = *keys;
    check(
        "set with a TTL expires",
        get(a).is_none(),
        "still present after the TTL",
    );
    check(
        "set_nx's TTL expires and a failed set_nx does not extend it",
        get(b).is_none(),
        "still present",
    );
    check(
        "incr sets the TTL only when it creates the counter",
        get(c).is_none(),
        "the counter outlived its TTL",
    );
    check(
        "set without a TTL clears an earlier TTL",
        get(d).as_deref() == Some("forever"),
        "the value expired",
    );
    check(
        "a value without a TTL never expires",
        get(e).as_deref() == Some("forever"),
        "the value expired",
    );
    check(
        "a long TTL has not expired",
        get(f).as_deref() == Some("long"),
        "the value expired early",
    );
    check(
        "compare_and_set sets the new TTL",
        get(g).is_none(),
        "the value outlived the TTL given to compare_and_set",
    );
    check(
        "compare_and_set without a TTL clears an earlier TTL",
        get(h).as_deref() == Some("forever"),
        "the value expired",
    );
}

/// Races `RACERS` threads on `set_nx(key)`; returns the number of winners (and checks the
/// stored value is the winner's).
fn race_set_nx(store: &dyn TokenStore, key: &str, tag: &str) -> usize {
    let p = "set_nx has exactly one winner among racing threads";
    let barrier = Barrier::new(RACERS);
    let results: Vec<(String, bool)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..RACERS)
            .map(|i| {
                let barrier = &barrier;
                s.spawn(move || {
                    let owner = format!("{tag}-owner-{i}");
                    barrier.wait();
                    let won = ok(p, "set_nx", store.set_nx(key, &owner, LONG));
                    (owner, won)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let winners: Vec<&String> = results.iter().filter(|(_, won)| *won).map(|(o, _)| o).collect();
    if let [winner] = winners.as_slice() {
        let stored = ok(p, "get", store.get(key));
        check(
            p,
            stored.as_deref() == Some(winner.as_str()),
            "the stored value is not the winner's",
        );
    }
    winners.len()
}

/// Races `RACERS` threads on `compare_and_set(key, expected)`; returns the number of winners
/// (and checks the stored value is the winner's).
fn race_cas(store: &dyn TokenStore, key: &str, expected: Option<&str>, tag: &str) -> usize {
    let p = "compare_and_set has exactly one winner among racing threads";
    let barrier = Barrier::new(RACERS);
    let results: Vec<(String, bool)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..RACERS)
            .map(|i| {
                let barrier = &barrier;
                s.spawn(move || {
                    let owner = format!("{tag}-cas-owner-{i}");
                    barrier.wait();
                    let won = ok(
                        p,
                        "compare_and_set",
                        store.compare_and_set(key, expected, &owner, Some(LONG)),
                    );
                    (owner, won)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let winners: Vec<&String> = results.iter().filter(|(_, won)| *won).map(|(o, _)| o).collect();
    if let [winner] = winners.as_slice() {
        let stored = ok(p, "get", store.get(key));
        check(
            p,
            stored.as_deref() == Some(winner.as_str()),
            "the stored value is not the winner's",
        );
    }
    winners.len()
}

fn races(store: &dyn TokenStore, k: &dyn Fn(&str) -> String) {
    for round in 0..NX_ROUNDS {
        let winners = race_set_nx(store, &k(&format!("race-nx-{round}")), &format!("r{round}"));
        check(
            "set_nx has exactly one winner among racing threads",
            winners == 1,
            format_args!("round {round}: {winners} winners"),
        );
    }

    let p = "compare_and_delete has exactly one winner among racing threads";
    let key = k("race-cad");
    ok(p, "set", store.set(&key, "lease-owner", Some(LONG)));
    let barrier = Barrier::new(RACERS);
    let deleted = std::thread::scope(|s| {
        let handles: Vec<_> = (0..RACERS)
            .map(|_| {
                let (barrier, key) = (&barrier, &key);
                s.spawn(move || {
                    barrier.wait();
                    ok(p, "compare_and_delete", store.compare_and_delete(key, "lease-owner"))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .filter(|deleted| *deleted)
            .count()
    });
    check(p, deleted == 1, format_args!("{deleted} successes"));

    for round in 0..CAS_ROUNDS {
        let key = k(&format!("race-cas-{round}"));
        let expected = (round > 0).then_some("v0");
        if let Some(v0) = expected {
            ok("compare_and_set race", "set", store.set(&key, v0, Some(LONG)));
        }
        let winners = race_cas(store, &key, expected, &format!("r{round}"));
        check(
            "compare_and_set has exactly one winner among racing threads",
            winners == 1,
            format_args!("round {round} (expected {expected:?}): {winners} winners"),
        );
    }

    let p = "incr loses no increments among racing threads";
    let key = k("race-incr");
    let barrier = Barrier::new(RACERS);
    let seen: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..RACERS)
            .map(|_| {
                let (barrier, key) = (&barrier, &key);
                s.spawn(move || {
                    barrier.wait();
                    (0..INCRS)
                        .map(|_| ok(p, "incr", store.incr(key, LONG)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    check_counts(p, &seen);
    let total = RACERS * INCRS;
    check(
        p,
        ok(p, "get", store.get(&key)) == Some(total.to_string()),
        format_args!("the final count is not {total}"),
    );
}

/// The values returned by racing `incr`s must be exactly 1..=RACERS*INCRS.
fn check_counts(p: &str, seen: &[u64]) {
    let total = (RACERS * INCRS) as u64;
    let distinct: BTreeSet<u64> = seen.iter().copied().collect();
    check(
        p,
        seen.len() as u64 == total,
        format_args!("{} results for {total} calls", seen.len()),
    );
    check(
        p,
        distinct.len() as u64 == total && distinct.first() == Some(&1) && distinct.last() == Some(&total),
        format_args!("returned {} distinct values, not exactly 1..={total}", distinct.len()),
    );
}

// ---------------------------------------------------------------------------------------------
// Async

/// Polls futures concurrently until all are done (a minimal `join_all`, so the suite needs no
/// runtime or futures crate).
struct JoinAll<'a, T> {
    pending: Vec<Option<BoxFuture<'a, T>>>,
    done: Vec<Option<T>>,
}

fn join_all<'a, T>(futures: Vec<BoxFuture<'a, T>>) -> JoinAll<'a, T> {
    let done = futures.iter().map(|_| None).collect();
    JoinAll {
        pending: futures.into_iter().map(Some).collect(),
        done,
    }
}

// The outputs are only ever moved, never pinned; the futures are boxed.
impl<T> Unpin for JoinAll<'_, T> {}

impl<T> Future for JoinAll<'_, T> {
    type Output = Vec<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<T>> {
        let this = self.get_mut();
        for (slot, out) in this.pending.iter_mut().zip(this.done.iter_mut()) {
            if let Some(future) = slot
                && let Poll::Ready(value) = future.as_mut().poll(cx)
            {
                *out = Some(value);
                *slot = None;
            }
        }
        if this.pending.iter().all(Option::is_none) {
            Poll::Ready(this.done.iter_mut().filter_map(Option::take).collect())
        } else {
            Poll::Pending
        }
    }
}

/// Whether the deadline passed, and the waker to call when it does.
type SleepState = Arc<Mutex<(bool, Option<Waker>)>>;

/// A runtime-independent sleep: a helper thread wakes the task at the deadline.
struct Sleep {
    deadline: Instant,
    shared: Option<SleepState>,
}

fn sleep(duration: Duration) -> Sleep {
    Sleep {
        deadline: Instant::now() + duration,
        shared: None,
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if Instant::now() >= this.deadline {
            return Poll::Ready(());
        }
        match &this.shared {
            Some(shared) => {
                let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
                if state.0 {
                    return Poll::Ready(());
                }
                state.1 = Some(cx.waker().clone());
            }
            None => {
                let shared = Arc::new(Mutex::new((false, Some(cx.waker().clone()))));
                let (thread_state, deadline) = (Arc::clone(&shared), this.deadline);
                std::thread::spawn(move || {
                    std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
                    let mut state = thread_state.lock().unwrap_or_else(PoisonError::into_inner);
                    state.0 = true;
                    if let Some(waker) = state.1.take() {
                        waker.wake();
                    }
                });
                this.shared = Some(shared);
            }
        }
        Poll::Pending
    }
}

/// Runs the whole suite against an async store; panics naming the first violated property.
///
/// It needs no particular runtime (but the store may: the Redis and memcached stores need
/// tokio). The concurrency checks poll 8 futures concurrently; run it on a multi-threaded
/// runtime, or race spawned tasks in addition, to exercise parallel callers too.
pub async fn run_async(store: &dyn AsyncTokenStore) {
    let prefix = unique_prefix();
    let k = |name: &str| format!("{prefix}{name}");
    basics_async(store, &k).await;
    ttls_async(store, &k).await;
    races_async(store, &k).await;
}

async fn basics_async(store: &dyn AsyncTokenStore, k: &(dyn Fn(&str) -> String + Sync)) {
    let p = "get/set/delete round-trip";
    let key = k("basic");
    check(
        p,
        ok(p, "get", store.get(&key).await).is_none(),
        "a fresh key is present",
    );
    ok(p, "set", store.set(&key, "v1", None).await);
    check(
        p,
        ok(p, "get", store.get(&key).await).as_deref() == Some("v1"),
        "get after set is not the value set",
    );
    ok(p, "set", store.set(&key, "v2", Some(LONG)).await);
    check(
        p,
        ok(p, "get", store.get(&key).await).as_deref() == Some("v2"),
        "set does not overwrite",
    );
    ok(p, "delete", store.delete(&key).await);
    check(
        p,
        ok(p, "get", store.get(&key).await).is_none(),
        "get after delete still finds the key",
    );
    ok(
        "delete of an absent key is not an error",
        "delete",
        store.delete(&key).await,
    );

    let p = "values are stored verbatim";
    for (i, value) in sample_values().iter().enumerate() {
        let key = k(&format!("verbatim:{i}"));
        ok(p, "set", store.set(&key, value, Some(LONG)).await);
        let got = ok(p, "get", store.get(&key).await);
        check(
            p,
            got.as_deref() == Some(value.as_str()),
            format_args!("sample #{i} came back different"),
        );
    }

    let p = "set_nx sets an absent key and leaves a present one alone";
    let key = k("nx");
    check(
        p,
        ok(p, "set_nx", store.set_nx(&key, "owner-a", LONG).await),
        "set_nx on an absent key returned false",
    );
    check(
        p,
        ok(p, "get", store.get(&key).await).as_deref() == Some("owner-a"),
        "set_nx did not store its value",
    );
    check(
        p,
        !ok(p, "set_nx", store.set_nx(&key, "owner-b", LONG).await),
        "set_nx on a present key returned true",
    );
    check(
        p,
        ok(p, "get", store.get(&key).await).as_deref() == Some("owner-a"),
        "a failed set_nx changed the value",
    );

    let p = "compare_and_delete deletes only on an exact match";
    check(
        p,
        !ok(
            p,
            "compare_and_delete",
            store.compare_and_delete(&k("cad-absent"), "x").await,
        ),
        "absent key",
    );
    for wrong in ["owner-b", "owner-", "owner-aa", "OWNER-A", ""] {
        let deleted = ok(p, "compare_and_delete", store.compare_and_delete(&key, wrong).await);
        check(
            p,
            !deleted,
            format_args!("deleted on a mismatch (expected value of length {})", wrong.len()),
        );
        check(
            p,
            ok(p, "get", store.get(&key).await).as_deref() == Some("owner-a"),
            "a mismatch removed the value",
        );
    }
    let deleted = ok(p, "compare_and_delete", store.compare_and_delete(&key, "owner-a").await);
    check(p, deleted, "exact match returned false");
    check(
        p,
        ok(p, "get", store.get(&key).await).is_none(),
        "the key survived a successful compare_and_delete",
    );
    check(
        p,
        !ok(p, "compare_and_delete", store.compare_and_delete(&key, "owner-a").await),
        "deleted twice",
    );
    let p = "a key freed by compare_and_delete can be taken by set_nx at once";
    check(
        p,
        ok(p, "set_nx", store.set_nx(&key, "owner-c", LONG).await),
        "set_nx returned false",
    );

    cas_basics_async(store, k).await;

    let p = "incr counts from 1";
    let key = k("counter");
    for expected in 1..=3 {
        let n = ok(p, "incr", store.incr(&key, LONG).await);
        check(p, n == expected, format_args!("incr returned {n}, expected {expected}"));
    }
    check(
        p,
        ok(p, "get", store.get(&key).await).as_deref() == Some("3"),
        "a counter does not read back as \"3\"",
    );
    let other = ok(p, "incr", store.incr(&k("counter-2"), LONG).await);
    check(
        p,
        other == 1,
        format_args!("counters are not independent: a new one started at {other}"),
    );

    let p = "incr on a non-number fails and keeps the value";
    let key = k("not-a-number");
    ok(p, "set", store.set(&key, "token-abc", Some(LONG)).await);
    match store.incr(&key, LONG).await {
        Ok(n) => violated(p, format_args!("incr succeeded with {n}")),
        Err(err) => check(
            "errors never contain values",
            !format!("{err} {err:?}").contains("token-abc"),
            "the incr error repeats the stored value",
        ),
    }
    check(
        p,
        ok(p, "get", store.get(&key).await).as_deref() == Some("token-abc"),
        "the value changed",
    );
}

async fn cas_basics_async(store: &dyn AsyncTokenStore, k: &(dyn Fn(&str) -> String + Sync)) {
    let (key, absent) = (k("cas"), k("cas-absent"));
    let op = "compare_and_set";
    let p = "compare_and_set with nothing expected sets only an absent key";
    let set = ok(p, op, store.compare_and_set(&key, None, "v1", Some(LONG)).await);
    check(p, set, "an absent key returned false");
    let got = ok(p, "get", store.get(&key).await);
    check(p, got.as_deref() == Some("v1"), "it did not store its value");
    let set = ok(p, op, store.compare_and_set(&key, None, "v2", Some(LONG)).await);
    check(p, !set, "a present key returned true");
    let got = ok(p, "get", store.get(&key).await);
    check(p, got.as_deref() == Some("v1"), "a failed call changed the value");

    let p = "compare_and_set sets only on an exact match";
    let set = ok(p, op, store.compare_and_set(&absent, Some("v0"), "x", Some(LONG)).await);
    check(p, !set, "it set an absent key although a value was expected");
    let got = ok(p, "get", store.get(&absent).await);
    check(p, got.is_none(), "a failed compare_and_set created the key");
    for wrong in ["v2", "v", "v11", "V1", ""] {
        let set = ok(p, op, store.compare_and_set(&key, Some(wrong), "v3", Some(LONG)).await);
        check(
            p,
            !set,
            format_args!("it set on a mismatch (expected value of length {})", wrong.len()),
        );
        let got = ok(p, "get", store.get(&key).await);
        check(p, got.as_deref() == Some("v1"), "a mismatch changed the value");
    }
    let set = ok(p, op, store.compare_and_set(&key, Some("v1"), "v2", Some(LONG)).await);
    check(p, set, "an exact match returned false");
    let got = ok(p, "get", store.get(&key).await);
    check(p, got.as_deref() == Some("v2"), "it did not store the new value");
    let set = ok(p, op, store.compare_and_set(&key, Some("v1"), "v3", Some(LONG)).await);
    check(p, !set, "the replaced value still matched");
    let got = ok(p, "get", store.get(&key).await);
    check(
        p,
        got.as_deref() == Some("v2"),
        "a stale expected value changed the value",
    );
}

async fn ttls_async(store: &dyn AsyncTokenStore, k: &(dyn Fn(&str) -> String + Sync)) {
    let p = "TTL";
    let (a, b, c, d, e, f) = (
        k("ttl-set"),
        k("ttl-nx"),
        k("ttl-incr"),
        k("ttl-cleared"),
        k("ttl-none"),
        k("ttl-long"),
    );
    let (g, h) = (k("ttl-cas"), k("ttl-cas-cleared"));
    ok(p, "set", store.set(&g, "old", Some(LONG)).await);
    check(
        p,
        ok(
            p,
            "compare_and_set",
            store.compare_and_set(&g, Some("old"), "new", Some(SHORT)).await,
        ),
        "compare_and_set on a match returned false",
    );
    ok(p, "set", store.set(&h, "old", Some(SHORT)).await);
    check(
        p,
        ok(
            p,
            "compare_and_set",
            store.compare_and_set(&h, Some("old"), "forever", None).await,
        ),
        "compare_and_set on a match returned false",
    );
    ok(p, "set", store.set(&a, "short", Some(SHORT)).await);
    check(
        p,
        ok(p, "set_nx", store.set_nx(&b, "short", SHORT).await),
        "set_nx on a fresh key returned false",
    );
    check(
        p,
        !ok(p, "set_nx", store.set_nx(&b, "long", LONG).await),
        "set_nx on a present key returned true",
    );
    check(
        p,
        ok(p, "incr", store.incr(&c, SHORT).await) == 1,
        "a fresh counter did not start at 1",
    );
    check(
        p,
        ok(p, "incr", store.incr(&c, LONG).await) == 2,
        "the second incr did not return 2",
    );
    ok(p, "set", store.set(&d, "short", Some(SHORT)).await);
    ok(p, "set", store.set(&d, "forever", None).await);
    ok(p, "set", store.set(&e, "forever", None).await);
    ok(p, "set", store.set(&f, "long", Some(LONG)).await);
    let p = "a value with a TTL is present before it expires";
    for key in [&a, &b, &c, &d, &e, &f, &g, &h] {
        check(
            p,
            ok(p, "get", store.get(key).await).is_some(),
            format_args!("{key} is missing right after being set"),
        );
    }
    sleep(WAIT).await;
    let mut after = Vec::new();
    for key in [&a, &b, &c, &d, &e, &f, &g, &h] {
        after.push((key.clone(), ok(p, "get", store.get(key).await)));
    }
    ttls_after(p, &[&a, &b, &c, &d, &e, &f, &g, &h], |key| {
        after.iter().find(|(k, _)| k == key).and_then(|(_, v)| v.clone())
    });
    let p = "incr restarts at 1 after expiry";
    check(
        p,
        ok(p, "incr", store.incr(&c, LONG).await) == 1,
        "the expired counter kept counting",
    );
    let p = "compare_and_delete finds nothing after expiry";
    check(
        p,
        !ok(p, "compare_and_delete", store.compare_and_delete(&a, "short").await),
        "it deleted an expired key",
    );
    let p = "compare_and_set treats an expired key as absent";
    check(
        p,
        !ok(
            p,
            "compare_and_set",
            store.compare_and_set(&a, Some("short"), "x", Some(LONG)).await,
        ),
        "an expired value matched",
    );
    check(
        p,
        ok(
            p,
            "compare_and_set",
            store.compare_and_set(&a, None, "revived", Some(LONG)).await,
        ),
        "an expired key was not absent",
    );
    check(
        p,
        ok(p, "get", store.get(&a).await).as_deref() == Some("revived"),
        "the value was not stored",
    );
    let winners = race_set_nx_async(store, &b, "after-expiry").await;
    check(
        "set_nx has exactly one winner after expiry",
        winners == 1,
        format_args!("{winners} winners"),
    );
}

async fn race_set_nx_async(store: &dyn AsyncTokenStore, key: &str, tag: &str) -> usize {
    let p = "set_nx has exactly one winner among racing tasks";
    let owners: Vec<String> = (0..RACERS).map(|i| format!("{tag}-owner-{i}")).collect();
    let futures: Vec<BoxFuture<'_, Result<bool, StoreError>>> =
        owners.iter().map(|owner| store.set_nx(key, owner, LONG)).collect();
    let results = join_all(futures).await;
    let mut winners = Vec::new();
    for (owner, result) in owners.iter().zip(results) {
        if ok(p, "set_nx", result) {
            winners.push(owner);
        }
    }
    if let [winner] = winners.as_slice() {
        let stored = ok(p, "get", store.get(key).await);
        check(
            p,
            stored.as_deref() == Some(winner.as_str()),
            "the stored value is not the winner's",
        );
    }
    winners.len()
}

async fn race_cas_async(store: &dyn AsyncTokenStore, key: &str, expected: Option<&str>, tag: &str) -> usize {
    let p = "compare_and_set has exactly one winner among racing tasks";
    let owners: Vec<String> = (0..RACERS).map(|i| format!("{tag}-cas-owner-{i}")).collect();
    let futures: Vec<BoxFuture<'_, Result<bool, StoreError>>> = owners
        .iter()
        .map(|owner| store.compare_and_set(key, expected, owner, Some(LONG)))
        .collect();
    let results = join_all(futures).await;
    let mut winners = Vec::new();
    for (owner, result) in owners.iter().zip(results) {
        if ok(p, "compare_and_set", result) {
            winners.push(owner);
        }
    }
    if let [winner] = winners.as_slice() {
        let stored = ok(p, "get", store.get(key).await);
        check(
            p,
            stored.as_deref() == Some(winner.as_str()),
            "the stored value is not the winner's",
        );
    }
    winners.len()
}

async fn races_async(store: &dyn AsyncTokenStore, k: &(dyn Fn(&str) -> String + Sync)) {
    for round in 0..NX_ROUNDS {
        let winners = race_set_nx_async(store, &k(&format!("race-nx-{round}")), &format!("r{round}")).await;
        check(
            "set_nx has exactly one winner among racing tasks",
            winners == 1,
            format_args!("round {round}: {winners} winners"),
        );
    }

    let p = "compare_and_delete has exactly one winner among racing tasks";
    let key = k("race-cad");
    ok(p, "set", store.set(&key, "lease-owner", Some(LONG)).await);
    let futures = (0..RACERS)
        .map(|_| store.compare_and_delete(&key, "lease-owner"))
        .collect();
    let mut deleted = 0;
    for result in join_all(futures).await {
        deleted += usize::from(ok(p, "compare_and_delete", result));
    }
    check(p, deleted == 1, format_args!("{deleted} successes"));

    for round in 0..CAS_ROUNDS {
        let key = k(&format!("race-cas-{round}"));
        let expected = (round > 0).then_some("v0");
        if let Some(v0) = expected {
            ok("compare_and_set race", "set", store.set(&key, v0, Some(LONG)).await);
        }
        let winners = race_cas_async(store, &key, expected, &format!("r{round}")).await;
        check(
            "compare_and_set has exactly one winner among racing tasks",
            winners == 1,
            format_args!("round {round} (expected {expected:?}): {winners} winners"),
        );
    }

    let p = "incr loses no increments among racing tasks";
    let key = k("race-incr");
    let futures: Vec<BoxFuture<'_, Vec<u64>>> = (0..RACERS)
        .map(|_| {
            let key = &key;
            Box::pin(async move {
                let mut seen = Vec::with_capacity(INCRS);
                for _ in 0..INCRS {
                    seen.push(ok(p, "incr", store.incr(key, LONG).await));
                }
                seen
            }) as BoxFuture<'_, Vec<u64>>
        })
        .collect();
    let seen: Vec<u64> = join_all(futures).await.into_iter().flatten().collect();
    check_counts(p, &seen);
    let total = RACERS * INCRS;
    let stored = ok(p, "get", store.get(&key).await);
    check(
        p,
        stored == Some(total.to_string()),
        format_args!("the final count is not {total}"),
    );
}
