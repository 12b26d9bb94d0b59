//! Token machine and refresh flow on a simulated clock, with a fake store that has real lease
//! semantics and several interleaved "processes".

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use alloc::{format, vec};
use core::time::Duration;

use super::*;
use crate::http::ApiResponse;
use crate::secret::AppSecret;

fn cfg() -> TokenConfig {
    TokenConfig::default()
}

fn stored(t: &str, expires_at: u64) -> StoredToken {
    StoredToken {
        token: AccessToken::new(t),
        expires_at: UnixTime(expires_at),
    }
}

fn refresh(action: TokenAction) -> RefreshTicket {
    match action {
        TokenAction::Refresh(t) => t,
        other => panic!("expected Refresh, got {other:?}"),
    }
}

#[test]
fn one_refresh_in_flight_others_wait() {
    let mut m = TokenMachine::new(cfg());
    let now = UnixTime(1000);
    let ticket = refresh(m.poll(now).unwrap());
    for _ in 0..10 {
        assert!(matches!(m.poll(now).unwrap(), TokenAction::Wait { until } if until == UnixTime(1090)));
    }
    let tok = m.handle_refreshed(ticket, now, Ok(stored("A", 8200))).unwrap();
    assert_eq!(tok.secret(), "A");
    assert_eq!(m.poll(now).unwrap(), TokenAction::Ready(AccessToken::new("A")));
}

#[test]
fn refresh_ahead_of_expiry_keeps_serving_the_old_token() {
    let mut m = TokenMachine::new(cfg());
    m.accept(stored("A", 8200), UnixTime(1000));
    assert_eq!(
        m.poll(UnixTime(7899)).unwrap(),
        TokenAction::Ready(AccessToken::new("A"))
    );
    // 300 s before expiry: one caller refreshes, the others keep using A.
    let ticket = refresh(m.poll(UnixTime(7900)).unwrap());
    assert_eq!(ticket.stale, Some(AccessToken::new("A")));
    assert_eq!(
        m.poll(UnixTime(7901)).unwrap(),
        TokenAction::Ready(AccessToken::new("A"))
    );
    // The refresh fails: A is still served until it expires, and no new refresh starts
    // during the back-off.
    assert!(
        m.handle_refreshed(
            ticket,
            UnixTime(7902),
            Err(TokenError::FetchFailed("reset".into()).into())
        )
        .is_err()
    );
    assert_eq!(
        m.poll(UnixTime(7902)).unwrap(),
        TokenAction::Ready(AccessToken::new("A"))
    );
    let again = refresh(m.poll(UnixTime(7903)).unwrap());
    m.handle_refreshed(again, UnixTime(7904), Ok(stored("B", 15104)))
        .unwrap();
    assert_eq!(
        m.poll(UnixTime(7905)).unwrap(),
        TokenAction::Ready(AccessToken::new("B"))
    );
}

#[test]
fn invalidate_only_the_current_token() {
    let mut m = TokenMachine::new(cfg());
    m.accept(stored("B", 9000), UnixTime(1000));
    // A call that used an older token A failed: B is newer, keep it.
    assert!(!m.invalidate(&AccessToken::new("A")));
    assert_eq!(
        m.poll(UnixTime(1001)).unwrap(),
        TokenAction::Ready(AccessToken::new("B"))
    );
    assert!(m.invalidate(&AccessToken::new("B")));
    let ticket = refresh(m.poll(UnixTime(1002)).unwrap());
    assert_eq!(ticket.rejected, Some(stored("B", 9000)));
    // Many concurrent 40001s for B cause one refresh.
    assert!(!m.invalidate(&AccessToken::new("B")));
    assert!(matches!(m.poll(UnixTime(1002)).unwrap(), TokenAction::Wait { .. }));
    // A freshly fetched token is taken even if equal (WeCom's gettoken answers the same token
    // while it considers it valid); the call's single replay bounds the attempt.
    let t = m
        .handle_refreshed(ticket, UnixTime(1003), Ok(stored("B", 9000)))
        .unwrap();
    assert_eq!(t.secret(), "B");
}

#[test]
fn backoff_grows_and_blocks_without_a_token() {
    let mut m = TokenMachine::new(cfg());
    let mut now = 1000;
    let mut waits = Vec::new();
    for _ in 0..8 {
        let t = refresh(m.poll(UnixTime(now)).unwrap());
        let err = Error::from(crate::error::ApiError::new(40125, "invalid appsecret"));
        assert_eq!(m.handle_refreshed(t, UnixTime(now), Err(err.clone())), Err(err));
        match m.poll(UnixTime(now)) {
            Err(Error::Token(TokenError::BackingOff { retry_in_secs, reason })) => {
                assert!(reason.contains("40125"));
                waits.push(retry_in_secs);
                now += retry_in_secs;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
}

#[test]
fn a_dead_refresher_is_replaced() {
    let mut m = TokenMachine::new(cfg());
    let _lost = refresh(m.poll(UnixTime(1000)).unwrap());
    assert!(matches!(m.poll(UnixTime(1089)).unwrap(), TokenAction::Wait { .. }));
    let second = refresh(m.poll(UnixTime(1090)).unwrap());
    m.handle_refreshed(second, UnixTime(1016), Ok(stored("C", 9000)))
        .unwrap();
    assert_eq!(
        m.poll(UnixTime(1016)).unwrap(),
        TokenAction::Ready(AccessToken::new("C"))
    );
}

#[test]
fn short_lived_tokens_do_not_refresh_in_a_loop() {
    let mut m = TokenMachine::new(cfg());
    // A stable token handed out 100 s before its end.
    m.accept(stored("S", 1100), UnixTime(1000));
    assert_eq!(
        m.poll(UnixTime(1049)).unwrap(),
        TokenAction::Ready(AccessToken::new("S"))
    );
    let _ = refresh(m.poll(UnixTime(1050)).unwrap());
}

// ---------------------------------------------------------------------------------------------
// A fake shared store and WeChat, and a driver that interleaves several processes.

#[derive(Default)]
struct FakeStore {
    values: BTreeMap<String, (String, u64)>,
    down: bool,
}

impl FakeStore {
    fn get(&self, key: &str, now: u64) -> Option<String> {
        self.values
            .get(key)
            .filter(|(_, exp)| *exp > now)
            .map(|(v, _)| v.clone())
    }
}

struct FakeWeChat {
    fetches: u32,
    issued: u32,
}

impl FakeWeChat {
    fn answer(&mut self) -> ApiResponse {
        self.fetches += 1;
        self.issued += 1;
        ApiResponse::json(format!(r#"{{"access_token":"T{}","expires_in":7200}}"#, self.issued).into_bytes())
    }
}

struct Process {
    machine: TokenMachine,
    flow: Option<(RefreshTicket, RefreshFlow)>,
    pending: Option<RefreshInput>,
    sleeping_until_ms: u64,
    result: Option<Result<AccessToken, Error>>,
    alive: bool,
}

fn source() -> alloc::sync::Arc<dyn crate::credential::Credential> {
    mp_app(false)
}

fn mp_app(stable: bool) -> alloc::sync::Arc<dyn crate::credential::Credential> {
    alloc::sync::Arc::new(crate::credential::MpApp {
        app_id: "wx1".into(),
        secret: AppSecret::new("S"),
        stable,
    })
}

fn keys() -> TokenKeys {
    TokenKeys::new("wechat", "mp:wx1", "access_token")
}

/// Runs processes round-robin, one step each, on a millisecond clock, until all are done.
fn run(procs: &mut [Process], store: &mut FakeStore, wechat: &mut FakeWeChat, start_ms: u64) -> u64 {
    let mut now_ms = start_ms;
    let mut owners = 0;
    for _round in 0..100_000 {
        let mut all_done = true;
        for p in procs.iter_mut() {
            if p.result.is_some() || !p.alive {
                continue;
            }
            all_done = false;
            if now_ms < p.sleeping_until_ms {
                continue;
            }
            let now = UnixTime(now_ms / 1000);
            if p.flow.is_none() {
                match p.machine.poll(now) {
                    Ok(TokenAction::Ready(t)) => p.result = Some(Ok(t)),
                    Ok(TokenAction::Wait { .. }) => {}
                    Ok(TokenAction::Refresh(ticket)) => {
                        owners += 1;
                        let flow =
                            RefreshFlow::new(&ticket, source(), keys(), cfg(), format!("owner-{owners}"), now, 0);
                        p.flow = Some((ticket, flow));
                    }
                    Err(e) => p.result = Some(Err(e)),
                }
                continue;
            }
            let (_, flow) = p.flow.as_mut().unwrap();
            if let Some(input) = p.pending.take() {
                flow.handle(now, input);
            }
            let step = flow.poll(now);
            let now_s = now.0;
            let input = if store.down
                && !matches!(
                    step,
                    RefreshStep::Fetch(_) | RefreshStep::Sleep(_) | RefreshStep::Done(_)
                ) {
                RefreshInput::StoreFailed("connection refused".into())
            } else {
                match step {
                    RefreshStep::CompareAndDelete { key, expected } => {
                        let matches = store.get(&key, now_s).as_deref() == Some(expected.as_str());
                        if matches {
                            store.values.remove(&key);
                        }
                        RefreshInput::Deleted(matches)
                    }
                    RefreshStep::Read { key } => RefreshInput::Read(store.get(&key, now_s)),
                    RefreshStep::AcquireLease { key, owner, ttl } => {
                        if store.get(&key, now_s).is_some() {
                            RefreshInput::Lease(false)
                        } else {
                            store.values.insert(key, (owner, now_s + ttl.as_secs()));
                            RefreshInput::Lease(true)
                        }
                    }
                    RefreshStep::Count { key, ttl } => {
                        let n = store.get(&key, now_s).map(|v| v.parse::<u64>().unwrap()).unwrap_or(0) + 1;
                        store.values.insert(key, (n.to_string(), now_s + ttl.as_secs()));
                        RefreshInput::Count(n)
                    }
                    RefreshStep::Fetch(req) => {
                        assert_eq!(req.path, "/cgi-bin/token");
                        RefreshInput::Fetched(wechat.answer())
                    }
                    RefreshStep::CompareAndSet {
                        key,
                        expected,
                        value,
                        ttl,
                    } => {
                        let set = store.get(&key, now_s) == expected;
                        if set {
                            store.values.insert(key, (value, now_s + ttl.as_secs()));
                        }
                        RefreshInput::Set(set)
                    }
                    RefreshStep::ReleaseLease { key, owner } => {
                        if store.get(&key, now_s).as_deref() == Some(owner.as_str()) {
                            store.values.remove(&key);
                        }
                        RefreshInput::Released
                    }
                    RefreshStep::Set { .. } => panic!("these credentials keep nothing"),
                    RefreshStep::Sleep(d) => {
                        p.sleeping_until_ms = now_ms + d.as_millis() as u64;
                        RefreshInput::Slept
                    }
                    RefreshStep::Done(result) => {
                        let (ticket, _) = p.flow.take().unwrap();
                        p.result = Some(p.machine.handle_refreshed(ticket, now, result));
                        continue;
                    }
                }
            };
            p.pending = Some(input);
        }
        if all_done {
            return now_ms;
        }
        now_ms += 10;
    }
    panic!("processes did not finish");
}

fn process() -> Process {
    Process {
        machine: TokenMachine::new(cfg()),
        flow: None,
        pending: None,
        sleeping_until_ms: 0,
        result: None,
        alive: true,
    }
}

#[test]
fn eight_processes_cold_store_fetch_once() {
    let mut store = FakeStore::default();
    let mut wechat = FakeWeChat { fetches: 0, issued: 0 };
    let mut procs: Vec<Process> = (0..8).map(|_| process()).collect();
    run(&mut procs, &mut store, &mut wechat, 1_000_000);
    assert_eq!(wechat.fetches, 1);
    for p in &procs {
        assert_eq!(p.result.as_ref().unwrap().as_ref().unwrap().secret(), "T1");
    }
    // After expiry: exactly one more fetch.
    for p in procs.iter_mut() {
        p.result = None;
    }
    run(&mut procs, &mut store, &mut wechat, (1000 + 7200) * 1000);
    assert_eq!(wechat.fetches, 2);
    for p in &procs {
        assert_eq!(p.result.as_ref().unwrap().as_ref().unwrap().secret(), "T2");
    }
}

#[test]
fn a_dead_lease_holder_is_replaced_after_the_lease_expires() {
    let mut store = FakeStore::default();
    // A crashed process left its lease behind.
    store.values.insert(keys().lease, ("dead-owner".into(), 1000 + 15));
    let mut wechat = FakeWeChat { fetches: 0, issued: 0 };
    let mut procs: Vec<Process> = (0..3).map(|_| process()).collect();
    let end = run(&mut procs, &mut store, &mut wechat, 1_000_000);
    assert_eq!(wechat.fetches, 1);
    assert!(end >= 1_015_000, "waited for the lease to expire: {end}");
    assert!(procs.iter().all(|p| p.result.as_ref().unwrap().is_ok()));
}

#[test]
fn rejected_token_is_removed_and_replaced_once() {
    let mut store = FakeStore::default();
    let mut wechat = FakeWeChat { fetches: 0, issued: 0 };
    let mut procs: Vec<Process> = (0..4).map(|_| process()).collect();
    run(&mut procs, &mut store, &mut wechat, 1_000_000);
    // WeChat rejects T1 for every process at once.
    for p in procs.iter_mut() {
        assert!(p.machine.invalidate(&AccessToken::new("T1")));
        p.result = None;
    }
    run(&mut procs, &mut store, &mut wechat, 1_100_000);
    assert_eq!(wechat.fetches, 2);
    assert!(
        procs
            .iter()
            .all(|p| p.result.as_ref().unwrap().as_ref().unwrap().secret() == "T2")
    );
}

#[test]
fn quota_guard_refuses_past_the_budget() {
    let mut store = FakeStore::default();
    let day = UnixTime(1000).beijing_day();
    store
        .values
        .insert(format!("{}{day}", keys().counter), ("2000".into(), 99_999));
    let mut wechat = FakeWeChat { fetches: 0, issued: 0 };
    let mut procs = vec![process()];
    run(&mut procs, &mut store, &mut wechat, 1_000_000);
    assert_eq!(wechat.fetches, 0);
    assert!(matches!(
        procs[0].result.as_ref().unwrap(),
        Err(Error::Token(TokenError::QuotaExhausted {
            used: 2000,
            budget: 2000
        }))
    ));
}

#[test]
fn store_down_fails_fast_or_falls_back() {
    let mut store = FakeStore {
        down: true,
        ..FakeStore::default()
    };
    let mut wechat = FakeWeChat { fetches: 0, issued: 0 };
    let mut procs = vec![process()];
    run(&mut procs, &mut store, &mut wechat, 1_000_000);
    assert_eq!(wechat.fetches, 0);
    assert!(matches!(
        procs[0].result.as_ref().unwrap(),
        Err(Error::Token(TokenError::Store(_)))
    ));
    // Repeated calls during the back-off don't touch WeChat either.
    procs[0].result = None;
    run(&mut procs, &mut store, &mut wechat, 1_000_100);
    assert!(matches!(
        procs[0].result.as_ref().unwrap(),
        Err(Error::Token(TokenError::BackingOff { .. }))
    ));

    let fallback = TokenConfig {
        store_policy: StorePolicy::FallBack,
        ..TokenConfig::default()
    };
    let ticket = RefreshTicket {
        id: 1,
        rejected: None,
        stale: None,
        force: false,
    };
    let mut flow = RefreshFlow::new(&ticket, source(), keys(), fallback, "o".into(), UnixTime(1000), 0);
    assert!(matches!(flow.poll(UnixTime(1000)), RefreshStep::Read { .. }));
    flow.handle(UnixTime(1000), RefreshInput::StoreFailed("down".into()));
    // Straight to WeChat, no more store round trips.
    assert!(matches!(flow.poll(UnixTime(1000)), RefreshStep::Fetch(_)));
    flow.handle(
        UnixTime(1000),
        RefreshInput::Fetched(ApiResponse::json(&br#"{"access_token":"L","expires_in":7200}"#[..])),
    );
    match flow.poll(UnixTime(1000)) {
        RefreshStep::Done(Ok(s)) => assert_eq!(s.token.secret(), "L"),
        other => panic!("{other:?}"),
    }
    assert!(flow.degraded());
}

#[test]
fn stable_token_returning_the_rejected_token_is_forced_once() {
    let stable = mp_app(true);
    let ticket = RefreshTicket {
        id: 1,
        rejected: Some(stored("OLD", 2000)),
        stale: None,
        force: false,
    };
    let now = UnixTime(1000);
    let mut flow = RefreshFlow::new(&ticket, stable, keys(), cfg(), "o".into(), now, 0);
    let mut forced_requests = 0;
    let mut steps = 0;
    let result = loop {
        steps += 1;
        assert!(steps < 50);
        match flow.poll(now) {
            RefreshStep::CompareAndDelete { .. } => flow.handle(now, RefreshInput::Deleted(true)),
            RefreshStep::Read { .. } => flow.handle(now, RefreshInput::Read(None)),
            RefreshStep::AcquireLease { .. } => flow.handle(now, RefreshInput::Lease(true)),
            RefreshStep::Count { key, .. } => {
                if key.contains("forced") {
                    forced_requests += 1;
                }
                flow.handle(now, RefreshInput::Count(1))
            }
            RefreshStep::Fetch(req) => {
                let body = String::from_utf8(req.body.unwrap().bytes).unwrap();
                let token = if body.contains("\"force_refresh\":true") {
                    "NEW"
                } else {
                    "OLD"
                };
                flow.handle(
                    now,
                    RefreshInput::Fetched(ApiResponse::json(
                        format!(r#"{{"access_token":"{token}","expires_in":7200}}"#).into_bytes(),
                    )),
                )
            }
            RefreshStep::CompareAndSet { .. } => flow.handle(now, RefreshInput::Set(true)),
            RefreshStep::ReleaseLease { .. } => flow.handle(now, RefreshInput::Released),
            RefreshStep::Sleep(_) => flow.handle(now, RefreshInput::Slept),
            RefreshStep::Set { .. } => panic!("nothing to keep"),
            RefreshStep::Done(r) => break r,
        }
    };
    assert_eq!(result.unwrap().token.secret(), "NEW");
    assert_eq!(forced_requests, 1);
    assert_eq!(flow.fetches(), 2);
}

#[test]
fn stored_token_roundtrip_and_garbage() {
    let s = stored("TOKEN", 123);
    assert_eq!(StoredToken::decode(&s.encode()), Some(s.clone()));
    assert_eq!(StoredToken::decode("garbage"), None);
    assert_eq!(StoredToken::decode(r#"{"access_token":"","expires_at":1}"#), None);
    assert!(!format!("{s:?}").contains("TOKEN"));
    let _ = Duration::from_secs(1);
}

#[test]
fn forced_refresh_always_fetches_and_uses_the_force_budget() {
    let mut m = TokenMachine::new(cfg());
    m.accept(stored("A", 8200), UnixTime(1000));
    let ticket = refresh(m.force_refresh(UnixTime(1001)));
    assert!(ticket.force);
    assert!(matches!(m.force_refresh(UnixTime(1001)), TokenAction::Wait { .. }));
    let stable = mp_app(true);
    let now = UnixTime(1001);
    let mut flow = RefreshFlow::new(&ticket, stable, keys(), cfg(), "o".into(), now, 0);
    assert!(matches!(flow.poll(now), RefreshStep::AcquireLease { .. }));
    flow.handle(now, RefreshInput::Lease(true));
    match flow.poll(now) {
        RefreshStep::Count { key, .. } => assert!(key.contains(":fetches:forced:")),
        other => panic!("{other:?}"),
    }
    flow.handle(now, RefreshInput::Count(21));
    assert!(matches!(flow.poll(now), RefreshStep::ReleaseLease { .. }));
    flow.handle(now, RefreshInput::Released);
    assert!(matches!(
        flow.poll(now),
        RefreshStep::Done(Err(Error::Token(TokenError::QuotaExhausted { used: 20, budget: 20 })))
    ));
}

#[test]
fn an_abandoned_refresh_frees_the_slot_without_backoff() {
    let mut m = TokenMachine::new(cfg());
    let ticket = refresh(m.poll(UnixTime(1000)).unwrap());
    assert!(matches!(m.poll(UnixTime(1000)).unwrap(), TokenAction::Wait { .. }));
    m.abandon(ticket);
    let _next = refresh(m.poll(UnixTime(1000)).unwrap());
}

/// `ready` is `poll`'s read-only fast path: whenever it gives a token, `poll` at the same
/// moment answers `Ready` with that token and changes nothing (but forgetting a refresh
/// presumed dead, which the next `poll` past `refresh_at` does anyway); and it never hides a due
/// refresh (after a `None`, `poll` still decides). Checked over long random histories.
#[test]
fn ready_agrees_with_poll_and_changes_nothing() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let (mut ready_hits, mut ready_misses) = (0, 0);
    for _history in 0..200 {
        let mut m = TokenMachine::new(cfg());
        let mut now = 1000u64;
        let mut tickets = Vec::new();
        for step in 0..300 {
            let at = UnixTime(now);
            let before = format!("{m:?}");
            match m.ready(at).cloned() {
                Some(token) => {
                    ready_hits += 1;
                    // poll forgets a refresh presumed dead; nothing else may change.
                    let presumed_dead = m.in_flight.is_some_and(|(_, deadline)| at >= deadline);
                    assert_eq!(m.poll(at).unwrap(), TokenAction::Ready(token));
                    if !presumed_dead {
                        assert_eq!(format!("{m:?}"), before, "poll after ready changed the state");
                    }
                }
                None => {
                    ready_misses += 1;
                    // Due for refresh, expired or absent: poll must not answer a fresh Ready
                    // without a refresh being in flight or backing off.
                    if let Ok(TokenAction::Ready(_)) = m.clone().poll(at) {
                        assert!(m.is_refreshing() || m.backoff.is_some(), "{before}");
                    }
                }
            }
            match next(6) {
                0 => now += next(4000),
                1 | 2 => {
                    if let Ok(TokenAction::Refresh(t)) = m.poll(at) {
                        tickets.push(t);
                    }
                }
                3 => {
                    if let Some(t) = tickets.pop() {
                        let result = if next(3) == 0 {
                            Err(TokenError::FetchFailed("reset".into()).into())
                        } else {
                            Ok(stored(&format!("T{step}"), now + 300 + next(7200)))
                        };
                        let _ = m.handle_refreshed(t, at, result);
                    }
                }
                4 => {
                    if let Some(current) = m.current().map(|(t, _)| t.clone()) {
                        m.invalidate(&current);
                    }
                }
                _ => {
                    if let TokenAction::Refresh(t) = m.force_refresh(at) {
                        tickets.push(t);
                    }
                }
            }
        }
    }
    assert!(
        ready_hits > 1000 && ready_misses > 1000,
        "{ready_hits} hits, {ready_misses} misses"
    );
}

#[test]
fn steps_inputs_and_misuse_errors_never_print_a_token() {
    const TOKEN: &str = "TOKEN-7f3a9c";
    let value = stored(TOKEN, 9000).encode();
    let printed = [
        format!(
            "{:?}",
            RefreshStep::CompareAndSet {
                key: "k".into(),
                expected: Some(value.clone()),
                value: value.clone(),
                ttl: Duration::from_secs(1)
            }
        ),
        format!(
            "{:?}",
            RefreshStep::CompareAndDelete {
                key: "k".into(),
                expected: value.clone()
            }
        ),
        format!("{:?}", RefreshInput::Read(Some(value.clone()))),
        format!("{:?}", RefreshStep::Done(Ok(stored(TOKEN, 9000)))),
    ];
    for text in &printed {
        assert!(!text.contains(TOKEN), "{text}");
    }
    assert!(printed[0].contains("redacted"), "{}", printed[0]);
    // Feeding a stored value to the wrong step: the misuse error names the input, not its value.
    let mut m = TokenMachine::new(cfg());
    let ticket = refresh(m.poll(UnixTime(1000)).unwrap());
    let mut flow = RefreshFlow::new(&ticket, source(), keys(), cfg(), "o".into(), UnixTime(1000), 0);
    assert!(matches!(flow.poll(UnixTime(1000)), RefreshStep::Read { .. }));
    flow.handle(UnixTime(1000), RefreshInput::Read(None));
    assert!(matches!(flow.poll(UnixTime(1000)), RefreshStep::AcquireLease { .. }));
    flow.handle(UnixTime(1000), RefreshInput::Read(Some(value)));
    let RefreshStep::Done(Err(e)) = flow.poll(UnixTime(1000)) else {
        panic!("misuse ends the flow")
    };
    let text = format!("{e} {e:?}");
    assert!(text.contains("misuse") && !text.contains(TOKEN), "{text}");
}

/// Drives `flow` at `now` through store steps against `store` until it asks to fetch (or is
/// done); returns that step.
fn drive_store(flow: &mut RefreshFlow, store: &mut FakeStore, now: UnixTime) -> RefreshStep {
    loop {
        let input = match flow.poll(now) {
            RefreshStep::Read { key } => RefreshInput::Read(store.get(&key, now.0)),
            RefreshStep::AcquireLease { key, owner, ttl } => {
                let free = store.get(&key, now.0).is_none();
                if free {
                    store.values.insert(key, (owner, now.0 + ttl.as_secs()));
                }
                RefreshInput::Lease(free)
            }
            RefreshStep::Count { .. } => RefreshInput::Count(1),
            RefreshStep::CompareAndSet {
                key,
                expected,
                value,
                ttl,
            } => {
                let set = store.get(&key, now.0) == expected;
                if set {
                    store.values.insert(key, (value, now.0 + ttl.as_secs()));
                }
                RefreshInput::Set(set)
            }
            RefreshStep::ReleaseLease { key, owner } => {
                if store.get(&key, now.0).as_deref() == Some(owner.as_str()) {
                    store.values.remove(&key);
                }
                RefreshInput::Released
            }
            step @ (RefreshStep::Fetch(_) | RefreshStep::Done(_)) => return step,
            other => panic!("unexpected {other:?}"),
        };
        flow.handle(now, input);
    }
}

fn token_answer(token: &str, expires_in: &str) -> RefreshInput {
    RefreshInput::Fetched(ApiResponse::json(
        format!(r#"{{"access_token":"{token}","expires_in":{expires_in}}}"#).into_bytes(),
    ))
}

#[test]
fn a_late_write_never_replaces_a_newer_token() {
    let mut store = FakeStore::default();
    let ticket = |id| RefreshTicket {
        id,
        rejected: None,
        stale: None,
        force: false,
    };
    // A takes the lease at 1000 and sends its fetch; WeChat is slow.
    let mut a = RefreshFlow::new(&ticket(1), source(), keys(), cfg(), "A".into(), UnixTime(1000), 0);
    assert!(matches!(
        drive_store(&mut a, &mut store, UnixTime(1000)),
        RefreshStep::Fetch(_)
    ));
    // A's 60 s lease runs out; B takes it at 1070, fetches T2, writes it and releases.
    let mut b = RefreshFlow::new(&ticket(2), source(), keys(), cfg(), "B".into(), UnixTime(1070), 0);
    assert!(matches!(
        drive_store(&mut b, &mut store, UnixTime(1070)),
        RefreshStep::Fetch(_)
    ));
    b.handle(UnixTime(1071), token_answer("T2", "7200"));
    let RefreshStep::Done(Ok(t2)) = drive_store(&mut b, &mut store, UnixTime(1071)) else {
        panic!()
    };
    assert_eq!((t2.token.secret(), t2.expires_at), ("T2", UnixTime(8270)));
    // A's answer (T1, issued before T2) arrives at 1075: A finds its lease gone and the newer
    // T2 in the store, and adopts it instead of writing T1 over it.
    a.handle(UnixTime(1075), token_answer("T1", "7200"));
    let RefreshStep::Done(Ok(adopted)) = drive_store(&mut a, &mut store, UnixTime(1075)) else {
        panic!()
    };
    assert_eq!(adopted.token.secret(), "T2");
    let stored_now = StoredToken::decode(&store.get(&keys().token, 1075).unwrap()).unwrap();
    assert_eq!(stored_now.token.secret(), "T2");
    assert!(
        store.get(&keys().lease, 1075).is_none(),
        "B released, A never wrote a lease back"
    );
}

#[test]
fn a_slow_holder_renews_its_lease_and_writes_only_over_what_it_read() {
    let mut store = FakeStore::default();
    let ticket = RefreshTicket {
        id: 1,
        rejected: None,
        stale: None,
        force: false,
    };
    let mut a = RefreshFlow::new(&ticket, source(), keys(), cfg(), "A".into(), UnixTime(1000), 0);
    assert!(matches!(
        drive_store(&mut a, &mut store, UnixTime(1000)),
        RefreshStep::Fetch(_)
    ));
    // The answer comes after 45 s: A renews its lease (CompareAndSet of its own owner value)
    // before writing, so the lease now lasts until 1105.
    a.handle(UnixTime(1045), token_answer("T1", "7200"));
    assert!(matches!(
        a.poll(UnixTime(1045)),
        RefreshStep::CompareAndSet { key, expected: Some(owner), .. } if key == keys().lease && owner == "A"
    ));
    a.handle(UnixTime(1045), RefreshInput::Set(true));
    assert!(matches!(a.poll(UnixTime(1045)), RefreshStep::Read { .. }));
    // Someone wrote an older token between our read and our write: the write is refused, we
    // read again, and write over what is there now.
    a.handle(UnixTime(1045), RefreshInput::Read(None));
    let RefreshStep::CompareAndSet { expected: None, .. } = a.poll(UnixTime(1045)) else {
        panic!("the write is conditional on what was read")
    };
    a.handle(UnixTime(1045), RefreshInput::Set(false));
    let older = stored("T0", 5000).encode();
    assert!(matches!(a.poll(UnixTime(1045)), RefreshStep::Read { .. }));
    a.handle(UnixTime(1045), RefreshInput::Read(Some(older.clone())));
    let RefreshStep::CompareAndSet { expected, value, .. } = a.poll(UnixTime(1045)) else {
        panic!()
    };
    assert_eq!(expected.as_deref(), Some(older.as_str()));
    assert_eq!(
        StoredToken::decode(&value).unwrap().expires_at,
        UnixTime(8200),
        "expiry from the fetch's start"
    );
}

#[test]
fn lifetimes_from_the_network_are_clamped() {
    let ticket = RefreshTicket {
        id: 1,
        rejected: None,
        stale: None,
        force: false,
    };
    for (expires_in, lifetime) in [("1", 300), ("0", 300), ("18446744073709551615", 86_400), ("7200", 7200)] {
        let mut store = FakeStore::default();
        let mut flow = RefreshFlow::new(&ticket, source(), keys(), cfg(), "o".into(), UnixTime(1000), 0);
        assert!(matches!(
            drive_store(&mut flow, &mut store, UnixTime(1000)),
            RefreshStep::Fetch(_)
        ));
        flow.handle(UnixTime(1000), token_answer("T", expires_in));
        let RefreshStep::Done(Ok(t)) = drive_store(&mut flow, &mut store, UnixTime(1000)) else {
            panic!("{expires_in}")
        };
        assert_eq!(t.expires_at, UnixTime(1000 + lifetime), "{expires_in}");
    }
    // A stored expiry beyond a day (a corrupt or hostile store) is read as a day.
    let mut store = FakeStore::default();
    store
        .values
        .insert(keys().token, (stored("S", u64::MAX).encode(), u64::MAX));
    let mut flow = RefreshFlow::new(&ticket, source(), keys(), cfg(), "o".into(), UnixTime(1000), 0);
    let RefreshStep::Done(Ok(t)) = drive_store(&mut flow, &mut store, UnixTime(1000)) else {
        panic!()
    };
    assert_eq!(t.expires_at, UnixTime(1000 + 86_400));
    // On a simulated clock, an account whose answers say `expires_in: 1` refreshes about
    // every 150 s, not on every call: 10 minutes of calls, one a second, cost 4 fetches.
    let mut machine = TokenMachine::new(cfg());
    let mut store = FakeStore::default();
    let mut fetches = 0;
    for now in (10_000..10_600).map(UnixTime) {
        match machine.poll(now).unwrap() {
            TokenAction::Ready(_) => {}
            TokenAction::Wait { .. } => panic!("nobody else refreshes"),
            TokenAction::Refresh(ticket) => {
                let mut flow = RefreshFlow::new(&ticket, source(), keys(), cfg(), "o".into(), now, 0);
                let result = match drive_store(&mut flow, &mut store, now) {
                    RefreshStep::Fetch(_) => {
                        fetches += 1;
                        flow.handle(now, token_answer(&format!("T{fetches}"), "1"));
                        match drive_store(&mut flow, &mut store, now) {
                            RefreshStep::Done(r) => r,
                            other => panic!("{other:?}"),
                        }
                    }
                    RefreshStep::Done(r) => r,
                    other => panic!("{other:?}"),
                };
                machine.handle_refreshed(ticket, now, result).unwrap();
            }
        }
    }
    assert_eq!(fetches, 4);
}
