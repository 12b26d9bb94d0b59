//! The refresher's procedure against the shared store, as explicit steps.
//!
//! ```text
//!  [rejected?] CompareAndDelete(token key, rejected)      drop the failed token, only if still stored
//!  Read(token key) ── valid ──────────────────────────────► Done(stored)
//!  AcquireLease(lease key, owner, ttl)
//!     ├─ held by someone else ─► Sleep(poll) ─► Read ...   until wait_timeout
//!     └─ acquired ─► Read(token key) ── valid ─► Release ─► Done(stored)
//!                    Count(today's fetch counter) ── over budget ─► Release ─► Done(QuotaExhausted)
//!                    [renew] Fetch(request)
//!                    [renew] Read(token key) ── a newer token ─► Release ─► Done(newer)
//!                            CompareAndSet(token key, what was read → fetched) ─► Release ─► Done(fetched)
//! ```
//!
//! If the lease holder dies, its lease expires after `refresh_timeout` and a waiter takes it.
//! A holder that is merely slow renews its lease before the fetch and before the write once a
//! third of it has passed (`CompareAndSet` of its own owner value with a fresh TTL), and its
//! write is conditional: it never replaces a token that expires later than the one it fetched
//! (a newer token someone else fetched after the lease ran out), and never writes over a value
//! that changed since it was read. When the store fails, [`StorePolicy`] decides: fail fast
//! with a typed error, or carry on with a per-process token (and say so through
//! [`RefreshFlow::degraded`]).
//!
//! Lifetimes from the network are clamped to [`MIN_LIFETIME`]..=[`MAX_LIFETIME`]: a tiny
//! `expires_in` would make every token expire on arrival (a refresh per call, the daily quota
//! gone in minutes), a huge one would overflow the clock arithmetic; stored expiries beyond
//! `now + MAX_LIFETIME` are treated as that.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::time::Duration;

use serde::{Deserialize, Serialize};

use super::{RefreshTicket, TokenConfig};
use crate::credential::Credential;
use crate::error::{Error, TokenError};
use crate::http::{ApiRequest, ApiResponse};
use crate::secret::AccessToken;
use crate::time::UnixTime;

/// A stored token with less life than this is not worth adopting.
const MIN_REMAINING_SECS: u64 = 5;

/// The shortest lifetime a fetched token is given, whatever `expires_in` says (WeChat says
/// 7200 s): even at this floor a fleet refreshes at most every 2.5 minutes, 576 times a day,
/// inside the 2000-a-day quota.
pub const MIN_LIFETIME: Duration = Duration::from_secs(300);

/// The longest lifetime a token is given, fetched or read from the store.
pub const MAX_LIFETIME: Duration = Duration::from_secs(86_400);

/// How often a conditional write that lost a race is retried before the flow keeps its token
/// to itself.
const WRITE_ATTEMPTS: u32 = 3;

/// What to do when the token store is down or slow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StorePolicy {
    /// Fail the call with [`TokenError::Store`] (default: never fetch behind the store's back,
    /// which would invalidate the token other processes share).
    #[default]
    Fail,
    /// Carry on with a token kept in this process only, and report `degraded` so the client
    /// logs a warning. The daily budget is then counted per process.
    FallBack,
}

/// A token as kept in the store: `{"access_token": "...", "expires_at": <unix seconds>}`.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// The token.
    pub token: AccessToken,
    /// When it expires.
    pub expires_at: UnixTime,
}

impl core::fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StoredToken")
            .field("token", &self.token)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
struct StoredWire<'a> {
    access_token: &'a str,
    expires_at: u64,
}

impl StoredToken {
    /// The store's JSON form.
    pub fn encode(&self) -> String {
        serde_json::to_string(&StoredWire {
            access_token: self.token.secret(),
            expires_at: self.expires_at.0,
        })
        .unwrap_or_default()
    }

    /// Parses the store's JSON form; `None` for anything else (a corrupt value is treated as
    /// absent and overwritten).
    pub fn decode(value: &str) -> Option<Self> {
        let wire: StoredWire<'_> = serde_json::from_str(value).ok()?;
        (!wire.access_token.is_empty()).then(|| StoredToken {
            token: AccessToken::new(wire.access_token),
            expires_at: UnixTime(wire.expires_at),
        })
    }
}

/// The store keys of one credential. None contains a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenKeys {
    /// The client's prefix (`wechat`).
    pub prefix: String,
    /// `{prefix}:{mp:appid | work:corpid:agent}:{name}`: the token.
    pub token: String,
    /// `{token}:lease`: the refresh lease.
    pub lease: String,
    /// `{token}:fetches:`: prefix of the per-day fetch counters (the day number is appended).
    pub counter: String,
}

impl TokenKeys {
    /// Keys for `name` (`access_token`, `jsapi_ticket`, ...) of `account` (`mp:wx…`,
    /// `work:ww…:1000002`) under `prefix`.
    pub fn new(prefix: &str, account: &str, name: &str) -> Self {
        let token = alloc::format!("{prefix}:{account}:{name}");
        Self {
            prefix: String::from(prefix),
            lease: alloc::format!("{token}:lease"),
            counter: alloc::format!("{token}:fetches:"),
            token,
        }
    }

    /// `key` under the prefix: `{prefix}:{key}`.
    pub fn under_prefix(&self, key: &str) -> String {
        alloc::format!("{}:{key}", self.prefix)
    }

    /// Today's fetch counter.
    pub fn counter_for(&self, now: UnixTime) -> String {
        alloc::format!("{}{}", self.counter, now.beijing_day())
    }

    /// Today's forced-refresh counter.
    pub fn forced_counter_for(&self, now: UnixTime) -> String {
        alloc::format!("{}forced:{}", self.counter, now.beijing_day())
    }
}

/// A lease owner value for one refresh: unique per process (`process_id`) and per attempt
/// (`random`), so a lease is only ever released by the refresher that took it.
pub fn lease_owner(process_id: u32, random: &[u8; 16]) -> String {
    let mut owner = alloc::format!("{process_id}-");
    for b in random {
        owner.push_str(&alloc::format!("{b:02x}"));
    }
    owner
}

/// A store operation or WeChat call the driver must perform, from [`RefreshFlow::poll`].
/// `Debug` never prints a stored value (they hold tokens).
#[derive(Clone, PartialEq, Eq)]
#[must_use]
pub enum RefreshStep {
    /// Delete `key` only if its value is still exactly `expected`; answer
    /// [`RefreshInput::Deleted`].
    CompareAndDelete {
        /// The token key.
        key: String,
        /// The encoded [`StoredToken`] that WeChat rejected.
        expected: String,
    },
    /// Read `key`; answer [`RefreshInput::Read`].
    Read {
        /// The token key.
        key: String,
    },
    /// Set `key` to `owner` if absent, expiring after `ttl`; answer [`RefreshInput::Lease`].
    AcquireLease {
        /// The lease key.
        key: String,
        /// This refresher's unique owner value.
        owner: String,
        /// The lease's lifetime.
        ttl: Duration,
    },
    /// Increment the counter `key` (created at 0 with `ttl`); answer [`RefreshInput::Count`].
    Count {
        /// The counter key.
        key: String,
        /// Lifetime of a new counter.
        ttl: Duration,
    },
    /// Send this request to WeChat; answer [`RefreshInput::Fetched`] or
    /// [`RefreshInput::FetchFailed`].
    Fetch(ApiRequest),
    /// Set `key` to `value` with `ttl` only if its value is exactly `expected` (`None`: only
    /// if absent); answer [`RefreshInput::Set`]. Writes the fetched token (`expected` is what
    /// the last read found) and renews the lease (`key` the lease, `expected` and `value` this
    /// refresher's owner value).
    CompareAndSet {
        /// The token or lease key.
        key: String,
        /// The value `key` must hold, `None` for absent.
        expected: Option<String>,
        /// The encoded [`StoredToken`], or the owner value.
        value: String,
        /// Until the token expires, or the lease's lifetime.
        ttl: Duration,
    },
    /// Write `value` to `key` (expiring after `ttl`, never when `None`); answer
    /// [`RefreshInput::Written`]. Keeps what a fetch hands back for later (a rotated refresh
    /// token).
    Set {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// Its lifetime.
        ttl: Option<Duration>,
    },
    /// Delete the lease `key` if it still holds `owner`; answer [`RefreshInput::Released`].
    ReleaseLease {
        /// The lease key.
        key: String,
        /// This refresher's owner value.
        owner: String,
    },
    /// Someone else holds the lease: sleep, then answer [`RefreshInput::Slept`].
    Sleep(Duration),
    /// Finished: hand the result to [`TokenMachine::handle_refreshed`](super::TokenMachine::handle_refreshed).
    Done(Result<StoredToken, Error>),
}

/// The driver's answer to the last [`RefreshStep`]. `Debug` never prints a stored value or
/// a response body (they hold tokens).
#[derive(Clone, PartialEq, Eq)]
pub enum RefreshInput {
    /// CompareAndDelete: whether the value was deleted.
    Deleted(bool),
    /// Read: the stored value, if any.
    Read(Option<String>),
    /// AcquireLease: whether the lease was taken.
    Lease(bool),
    /// Count: the counter's new value.
    Count(u64),
    /// Fetch: WeChat's response.
    Fetched(ApiResponse),
    /// Fetch: the request failed in transport (no response). The driver keeps its own error.
    FetchFailed(String),
    /// Fetch: the request was refused before a token response could be read (tickets are
    /// fetched through the authenticated call pipeline, which classifies errors itself).
    FetchRejected(Error),
    /// CompareAndSet: whether the value was set.
    Set(bool),
    /// Set done.
    Written,
    /// ReleaseLease done.
    Released,
    /// Sleep done.
    Slept,
    /// The store operation failed (any step but Fetch/Sleep).
    StoreFailed(String),
}

/// Stands for a value that holds a token in `Debug` output.
struct Redacted<'a>(Option<&'a str>);

impl core::fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(value) => write!(f, "<{} bytes, redacted>", value.len()),
            None => f.write_str("None"),
        }
    }
}

impl core::fmt::Debug for RefreshStep {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RefreshStep::CompareAndDelete { key, expected } => f
                .debug_struct("CompareAndDelete")
                .field("key", key)
                .field("expected", &Redacted(Some(expected)))
                .finish(),
            RefreshStep::Read { key } => f.debug_struct("Read").field("key", key).finish(),
            RefreshStep::AcquireLease { key, owner, ttl } => f
                .debug_struct("AcquireLease")
                .field("key", key)
                .field("owner", owner)
                .field("ttl", ttl)
                .finish(),
            RefreshStep::Count { key, ttl } => f.debug_struct("Count").field("key", key).field("ttl", ttl).finish(),
            RefreshStep::Fetch(request) => f.debug_tuple("Fetch").field(request).finish(),
            RefreshStep::CompareAndSet {
                key,
                expected,
                value,
                ttl,
            } => f
                .debug_struct("CompareAndSet")
                .field("key", key)
                .field("expected", &Redacted(expected.as_deref()))
                .field("value", &Redacted(Some(value)))
                .field("ttl", ttl)
                .finish(),
            RefreshStep::Set { key, value, ttl } => f
                .debug_struct("Set")
                .field("key", key)
                .field("value", &Redacted(Some(value)))
                .field("ttl", ttl)
                .finish(),
            RefreshStep::ReleaseLease { key, owner } => f
                .debug_struct("ReleaseLease")
                .field("key", key)
                .field("owner", owner)
                .finish(),
            RefreshStep::Sleep(duration) => f.debug_tuple("Sleep").field(duration).finish(),
            RefreshStep::Done(result) => f.debug_tuple("Done").field(result).finish(),
        }
    }
}

impl RefreshInput {
    /// The variant's name, for misuse errors.
    fn name(&self) -> &'static str {
        match self {
            RefreshInput::Deleted(_) => "Deleted",
            RefreshInput::Read(_) => "Read",
            RefreshInput::Lease(_) => "Lease",
            RefreshInput::Count(_) => "Count",
            RefreshInput::Fetched(_) => "Fetched",
            RefreshInput::FetchFailed(_) => "FetchFailed",
            RefreshInput::FetchRejected(_) => "FetchRejected",
            RefreshInput::Set(_) => "Set",
            RefreshInput::Written => "Written",
            RefreshInput::Released => "Released",
            RefreshInput::Slept => "Slept",
            RefreshInput::StoreFailed(_) => "StoreFailed",
        }
    }
}

impl core::fmt::Debug for RefreshInput {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RefreshInput::Deleted(v) => f.debug_tuple("Deleted").field(v).finish(),
            RefreshInput::Set(v) => f.debug_tuple("Set").field(v).finish(),
            RefreshInput::Read(value) => f.debug_tuple("Read").field(&Redacted(value.as_deref())).finish(),
            RefreshInput::Lease(v) => f.debug_tuple("Lease").field(v).finish(),
            RefreshInput::Count(v) => f.debug_tuple("Count").field(v).finish(),
            RefreshInput::Fetched(response) => f.debug_tuple("Fetched").field(response).finish(),
            RefreshInput::FetchFailed(reason) => f.debug_tuple("FetchFailed").field(reason).finish(),
            RefreshInput::FetchRejected(e) => f.debug_tuple("FetchRejected").field(e).finish(),
            RefreshInput::StoreFailed(reason) => f.debug_tuple("StoreFailed").field(reason).finish(),
            RefreshInput::Written | RefreshInput::Released | RefreshInput::Slept => f.write_str(self.name()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Invalidate,
    Read,
    Lease,
    Sleep,
    ReadLocked,
    /// Reading the credential's stored inputs (the next one is `inputs.len()`).
    Inputs,
    /// Writing what the fetch asked to keep (the last entry first), then the token.
    Keep(StoredToken, Vec<(String, crate::secret::StoreValue, Option<Duration>)>),
    Count {
        forced: bool,
    },
    /// Renewing the lease before going on to the boxed state (a fetch or a write).
    Renew(alloc::boxed::Box<State>),
    Fetch {
        forced: bool,
    },
    /// Reading what the store holds before writing this token over it.
    CheckWrite(StoredToken),
    /// Writing this token over what the store held (`expected`).
    Write(StoredToken, Option<String>),
    Release(Result<StoredToken, Error>),
    Done(Result<StoredToken, Error>),
    Finished,
}

/// The refresher's procedure. Drive it with `poll`/`handle` until `Done`:
///
/// ```ignore
/// let mut flow = RefreshFlow::new(ticket, credential, keys, config, owner, now, 0);
/// let result = loop {
///     match flow.poll(now()) {
///         RefreshStep::Read { key } => flow.handle(now(), store_read(&key)),
///         /* ... one arm per step ... */
///         RefreshStep::Done(result) => break result,
///     }
/// };
/// machine.handle_refreshed(ticket, now(), result)
/// ```
#[derive(Debug, Clone)]
pub struct RefreshFlow {
    state: State,
    credential: alloc::sync::Arc<dyn Credential>,
    keys: TokenKeys,
    /// The values of the credential's stored inputs, read so far.
    inputs: Vec<String>,
    config: TokenConfig,
    owner: String,
    rejected: Option<StoredToken>,
    stale: Option<AccessToken>,
    deadline: UnixTime,
    force: bool,
    holding_lease: bool,
    /// Whether the fetch is counted against the forced-refresh budget.
    forced_count: bool,
    /// When the lease was taken or last renewed.
    leased_at: UnixTime,
    /// When the fetch was sent: WeChat issued the token no earlier, so it expires no later
    /// than this plus its lifetime (a slow answer must not make an old token look newer).
    fetched_at: UnixTime,
    write_attempts: u32,
    degraded: bool,
    local_fetches: u64,
    fetches: u32,
}

impl RefreshFlow {
    /// Starts a refresh for `ticket`. `owner` must be unique per refresher (a random string);
    /// `local_fetches` is this process's count of fetches today, used for the budget when the
    /// store is unavailable and the policy is [`StorePolicy::FallBack`].
    pub fn new(
        ticket: &RefreshTicket,
        credential: alloc::sync::Arc<dyn Credential>,
        keys: TokenKeys,
        config: TokenConfig,
        owner: String,
        now: UnixTime,
        local_fetches: u64,
    ) -> Self {
        let rejected = ticket.rejected.clone();
        let stale = ticket.stale.clone();
        let deadline = now.saturating_add(config.wait_timeout);
        let state = if ticket.force {
            State::Lease
        } else if rejected.is_some() {
            State::Invalidate
        } else {
            State::Read
        };
        Self {
            state,
            force: ticket.force,
            credential,
            keys,
            inputs: Vec::new(),
            config,
            owner,
            rejected,
            stale,
            deadline,
            holding_lease: false,
            forced_count: false,
            leased_at: now,
            fetched_at: now,
            write_attempts: 0,
            degraded: false,
            local_fetches,
            fetches: 0,
        }
    }

    /// The lease this flow holds (key, owner), if any: what to release when the flow is given
    /// up mid-way, so other processes need not wait for it to expire.
    pub fn held_lease(&self) -> Option<(&str, &str)> {
        self.holding_lease
            .then_some((self.keys.lease.as_str(), self.owner.as_str()))
    }

    /// Whether the store failed and the flow carried on without it
    /// ([`StorePolicy::FallBack`]): the client should log a warning.
    pub fn degraded(&self) -> bool {
        self.degraded
    }

    /// How many fetches this flow sent to WeChat (0 or 1, 2 for a forced stable refresh).
    pub fn fetches(&self) -> u32 {
        self.fetches
    }

    /// The next step.
    pub fn poll(&mut self, now: UnixTime) -> RefreshStep {
        if self.degraded && self.state.uses_store() {
            // The store already failed once under StorePolicy::FallBack: don't wait for it
            // again at every step.
            self.store_failed(now, "store unavailable");
            return self.poll(now);
        }
        match &self.state {
            State::Invalidate => match &self.rejected {
                Some(t) => RefreshStep::CompareAndDelete {
                    key: self.keys.token.clone(),
                    expected: t.encode(),
                },
                None => {
                    self.state = State::Read;
                    self.poll(now)
                }
            },
            State::Read | State::ReadLocked | State::CheckWrite(_) => RefreshStep::Read {
                key: self.keys.token.clone(),
            },
            State::Renew(_) => RefreshStep::CompareAndSet {
                key: self.keys.lease.clone(),
                expected: Some(self.owner.clone()),
                value: self.owner.clone(),
                ttl: self.config.refresh_timeout,
            },
            State::Lease => RefreshStep::AcquireLease {
                key: self.keys.lease.clone(),
                owner: self.owner.clone(),
                ttl: self.config.refresh_timeout,
            },
            State::Sleep => RefreshStep::Sleep(self.config.poll_interval),
            State::Count { forced: false } => RefreshStep::Count {
                key: self.keys.counter_for(now),
                ttl: Duration::from_secs(2 * 86_400),
            },
            State::Count { forced: true } => RefreshStep::Count {
                key: self.keys.forced_counter_for(now),
                ttl: Duration::from_secs(2 * 86_400),
            },
            State::Inputs => {
                let inputs = self.credential.inputs();
                match inputs.get(self.inputs.len()) {
                    Some(input) => RefreshStep::Read {
                        key: self.keys.under_prefix(&input.key),
                    },
                    None => {
                        self.state = State::Count {
                            forced: self.forced_count,
                        };
                        self.poll(now)
                    }
                }
            }
            State::Keep(_, keep) => match keep.last() {
                Some((key, value, ttl)) => RefreshStep::Set {
                    key: self.keys.under_prefix(key),
                    value: String::from(value.secret()),
                    ttl: *ttl,
                },
                None => {
                    let State::Keep(stored, _) = core::mem::replace(&mut self.state, State::Finished) else {
                        unreachable!("matched Keep")
                    };
                    self.state = self.under_lease(now, State::CheckWrite(stored));
                    self.poll(now)
                }
            },
            State::Fetch { forced } => match self.credential.fetch(&self.inputs, *forced) {
                Ok(req) => {
                    self.fetched_at = now;
                    RefreshStep::Fetch(req)
                }
                Err(e) => {
                    self.state = State::Release(Err(e));
                    self.poll(now)
                }
            },
            State::Write(stored, expected) => RefreshStep::CompareAndSet {
                key: self.keys.token.clone(),
                expected: expected.clone(),
                value: stored.encode(),
                ttl: Duration::from_secs(stored.expires_at.0.saturating_sub(now.0).max(1)),
            },
            State::Release(result) => {
                if self.holding_lease {
                    RefreshStep::ReleaseLease {
                        key: self.keys.lease.clone(),
                        owner: self.owner.clone(),
                    }
                } else {
                    self.state = State::Done(result.clone());
                    self.poll(now)
                }
            }
            State::Done(result) => {
                let result = result.clone();
                self.state = State::Finished;
                RefreshStep::Done(result)
            }
            State::Finished => {
                RefreshStep::Done(Err(TokenError::Store("refresh flow polled after Done".into()).into()))
            }
        }
    }

    /// A stored token this refresh may adopt instead of fetching: valid for a few more
    /// seconds, not the one WeChat rejected, and not the one being replaced (someone else's
    /// newer token is exactly what a waiter hopes to find).
    fn usable(&self, value: Option<&str>, now: UnixTime) -> Option<StoredToken> {
        let mut stored = StoredToken::decode(value?)?;
        stored.expires_at = stored.expires_at.min(now.saturating_add(MAX_LIFETIME));
        let fresh = stored.expires_at.0 > now.0.saturating_add(MIN_REMAINING_SECS);
        let replaced = self.rejected.as_ref().is_some_and(|r| r.token == stored.token)
            || self.stale.as_ref() == Some(&stored.token);
        (fresh && !replaced).then_some(stored)
    }

    /// `next`, a step under the lease, after renewing the lease if a third of it has passed.
    fn under_lease(&self, now: UnixTime, next: State) -> State {
        let renew_after = self.leased_at.saturating_add(self.config.refresh_timeout / 3);
        if self.holding_lease && now >= renew_after {
            State::Renew(alloc::boxed::Box::new(next))
        } else {
            next
        }
    }

    /// Writing `fetched`, given what the store holds now: adopt a token that expires later
    /// (someone else fetched it after us, so ours is the older one), else write ours over
    /// exactly what was read.
    fn write_over(&self, now: UnixTime, fetched: StoredToken, current: Option<String>) -> State {
        // The token being replaced (rejected, or refreshed ahead of expiry or by force) is
        // never the newer one, whatever its expiry says.
        let replaced = |t: &StoredToken| {
            self.rejected.as_ref().is_some_and(|r| r.token == t.token) || self.stale.as_ref() == Some(&t.token)
        };
        match current.as_deref().and_then(StoredToken::decode) {
            Some(mut theirs) if theirs.expires_at > fetched.expires_at && !replaced(&theirs) => {
                theirs.expires_at = theirs.expires_at.min(now.saturating_add(MAX_LIFETIME));
                State::Release(Ok(theirs))
            }
            _ => State::Write(fetched, current),
        }
    }

    /// After counting this fetch as the `n`th of the day (in the store, or in this process
    /// when the store is down): fetch, or stop at the day's budget.
    fn after_count(&self, forced: bool, n: u64) -> State {
        let budget = if forced {
            Some(
                self.config
                    .force_budget
                    .min(self.credential.forced_budget().unwrap_or(u64::MAX)),
            )
        } else {
            self.config.daily_budget
        };
        match budget {
            Some(budget) if n > budget => {
                State::Release(Err(TokenError::QuotaExhausted { used: n - 1, budget }.into()))
            }
            _ => State::Fetch { forced },
        }
    }

    /// Feeds the answer to the last step.
    pub fn handle(&mut self, now: UnixTime, input: RefreshInput) {
        if let RefreshInput::StoreFailed(reason) = &input {
            self.store_failed(now, reason);
            return;
        }
        let state = core::mem::replace(&mut self.state, State::Finished);
        self.state = match (state, input) {
            (State::Invalidate, RefreshInput::Deleted(_)) => State::Read,
            (State::Read, RefreshInput::Read(value)) => match self.usable(value.as_deref(), now) {
                Some(stored) => State::Done(Ok(stored)),
                None => State::Lease,
            },
            (State::Lease, RefreshInput::Lease(true)) => {
                self.holding_lease = true;
                if self.force {
                    self.forced_count = self.credential.forced_budget().is_some();
                    State::Inputs
                } else {
                    State::ReadLocked
                }
            }
            (State::Lease, RefreshInput::Lease(false)) => {
                if now >= self.deadline {
                    State::Done(Err(TokenError::WaitTimeout.into()))
                } else {
                    State::Sleep
                }
            }
            (State::Sleep, RefreshInput::Slept) => State::Read,
            (State::ReadLocked, RefreshInput::Read(value)) => match self.usable(value.as_deref(), now) {
                Some(stored) => State::Release(Ok(stored)),
                None => State::Inputs,
            },
            (State::Inputs, RefreshInput::Read(value)) => match value {
                Some(value) if !value.is_empty() => {
                    self.inputs.push(value);
                    State::Inputs
                }
                _ => {
                    let inputs = self.credential.inputs();
                    let what = inputs.get(self.inputs.len()).map_or("stored input", |i| i.what);
                    State::Release(Err(TokenError::MissingCredential(String::from(what)).into()))
                }
            },
            (State::Keep(stored, mut keep), RefreshInput::Written) => {
                keep.pop();
                State::Keep(stored, keep)
            }
            (State::Count { forced }, RefreshInput::Count(n)) => match self.after_count(forced, n) {
                fetch @ State::Fetch { .. } => self.under_lease(now, fetch),
                other => other,
            },
            (State::Renew(next), RefreshInput::Set(true)) => {
                self.leased_at = now;
                *next
            }
            (State::Renew(next), RefreshInput::Set(false)) => {
                // The lease ran out and someone else took it: they are fetching (or have
                // fetched), so wait for their token; a write goes on, conditional as always.
                self.holding_lease = false;
                match *next {
                    State::Fetch { .. } => State::Read,
                    next => next,
                }
            }
            (State::Fetch { forced }, RefreshInput::Fetched(resp)) => {
                self.fetches += 1;
                match self.credential.parse(&resp) {
                    // stable_token handed back the token WeChat just rejected: force a new
                    // one, within its own (small) daily budget. (WeCom's gettoken also answers
                    // the same token while it considers it valid; that one is taken as is, and
                    // the call's single replay is what bounds the attempt.)
                    Ok(f)
                        if self.credential.forced_budget().is_some()
                            && !forced
                            && self.rejected.as_ref().is_some_and(|r| r.token == f.token) =>
                    {
                        State::Count { forced: true }
                    }
                    Ok(f) => {
                        let stored = StoredToken {
                            token: f.token,
                            expires_at: self.fetched_at.saturating_add(Duration::from_secs(f.expires_in)),
                        };
                        if f.keep.is_empty() {
                            self.under_lease(now, State::CheckWrite(stored))
                        } else {
                            let mut keep = f.keep;
                            keep.reverse();
                            State::Keep(stored, keep)
                        }
                    }
                    Err(e) => State::Release(Err(e)),
                }
            }
            (State::Fetch { .. }, RefreshInput::FetchFailed(reason)) => {
                self.fetches += 1;
                State::Release(Err(TokenError::FetchFailed(reason).into()))
            }
            (State::Fetch { .. }, RefreshInput::FetchRejected(e)) => {
                self.fetches += 1;
                State::Release(Err(e))
            }
            (State::CheckWrite(stored), RefreshInput::Read(current)) => self.write_over(now, stored, current),
            (State::Write(stored, _), RefreshInput::Set(true)) => State::Release(Ok(stored)),
            (State::Write(stored, _), RefreshInput::Set(false)) => {
                // The value changed between our read and our write: look again.
                self.write_attempts += 1;
                if self.write_attempts < WRITE_ATTEMPTS {
                    State::CheckWrite(stored)
                } else {
                    State::Release(Ok(stored))
                }
            }
            (State::Release(result), RefreshInput::Released) => {
                self.holding_lease = false;
                State::Done(result)
            }
            (state, input) => State::Done(Err(TokenError::Store(alloc::format!(
                "refresh flow misuse: {} does not answer {}",
                input.name(),
                state_name(&state)
            ))
            .into())),
        };
    }

    fn store_failed(&mut self, _now: UnixTime, reason: &str) {
        let state = core::mem::replace(&mut self.state, State::Finished);
        if self.config.store_policy == StorePolicy::Fail {
            self.state = match state {
                // A failed write or release still leaves a good token for this process.
                State::CheckWrite(stored) | State::Write(stored, _) => State::Done(Ok(stored)),
                // What was to be kept (a rotated refresh token) would be lost: say so.
                State::Keep(..) => State::Done(Err(TokenError::Store(reason.to_string()).into())),
                State::Renew(next) => match *next {
                    State::CheckWrite(stored) => State::Done(Ok(stored)),
                    _ => State::Done(Err(TokenError::Store(reason.to_string()).into())),
                },
                State::Release(result) => State::Done(result),
                _ => State::Done(Err(TokenError::Store(reason.to_string()).into())),
            };
            return;
        }
        self.degraded = true;
        self.state = match state {
            State::Invalidate => State::Read,
            State::Read | State::Sleep => State::Lease,
            State::Lease => {
                // Carry on as if we held the lease: in-process single-flight still holds.
                self.holding_lease = false;
                State::ReadLocked
            }
            State::ReadLocked => State::Inputs,
            State::Inputs if self.inputs.len() == self.credential.inputs().len() => State::Count {
                forced: self.forced_count,
            },
            State::Inputs | State::Keep(..) => State::Done(Err(TokenError::Store(reason.to_string()).into())),
            State::Count { forced } => self.after_count(forced, self.local_fetches + 1),
            State::Renew(next) => {
                self.holding_lease = false;
                *next
            }
            State::CheckWrite(stored) | State::Write(stored, _) => State::Release(Ok(stored)),
            State::Release(result) => {
                self.holding_lease = false;
                State::Done(result)
            }
            other => other,
        };
    }
}

impl State {
    fn uses_store(&self) -> bool {
        matches!(
            self,
            State::Invalidate
                | State::Read
                | State::Lease
                | State::ReadLocked
                | State::Inputs
                | State::Keep(..)
                | State::Count { .. }
                | State::Renew(_)
                | State::CheckWrite(_)
                | State::Write(..)
                | State::Release(_)
        )
    }
}

fn state_name(state: &State) -> &'static str {
    match state {
        State::Invalidate => "CompareAndDelete",
        State::Read | State::ReadLocked | State::CheckWrite(_) | State::Inputs => "Read",
        State::Keep(..) => "Set",
        State::Renew(_) | State::Write(..) => "CompareAndSet",
        State::Lease => "AcquireLease",
        State::Sleep => "Sleep",
        State::Count { .. } => "Count",
        State::Fetch { .. } => "Fetch",
        State::Release(_) => "ReleaseLease",
        State::Done(_) | State::Finished => "Done",
    }
}
