//! The access-token life cycle as an explicit state machine.
//!
//! Two pieces, both sans-IO (time is an argument, nothing here sleeps or sends):
//!
//! * [`TokenMachine`]: one per credential per process. It decides, on every call, whether the
//!   caller may use the cached token, must refresh it, or must wait for a refresh already in
//!   flight in this process. At most one refresh is in flight; everyone else waits (or keeps
//!   using the old token while it is still valid).
//! * [`RefreshFlow`]: what the one refresher does, as a sequence of steps against the shared
//!   token store and WeChat: re-read the store, take a lease, count the fetch against the daily
//!   budget, fetch, write, release. This is what makes N processes on one Redis produce one
//!   fetch.
//!
//! ```text
//!            poll(now)                      handle_refreshed(ticket, now, result)
//!   caller ───────────► TokenMachine ◄──────────────────────────────────────────┐
//!                         │  Ready(token): use it                                │
//!                         │  Wait{until}: someone in this process is refreshing   │
//!                         │  Refresh(ticket): you refresh ──► RefreshFlow::new    │
//!                         │                                    poll(now) → Step  │
//!                         │                                    handle(now, Input)│
//!                         │                                    Done(result) ─────┘
//! ```
//!
//! # When to call what
//!
//! * Before each API call: [`TokenMachine::poll`]. On `Wait`, block until the refresher calls
//!   `handle_refreshed` (or `until` passes), then poll again. On `Refresh`, run a
//!   [`RefreshFlow`] and hand its result to [`TokenMachine::handle_refreshed`], always, even on
//!   failure: that is what wakes the waiters and arms the back-off.
//! * For a hot path that should not take a lock for writing: [`TokenMachine::ready`] gives
//!   the token `poll` would hand out without changing any state, or `None`, and then you
//!   `poll`. It never answers `Refresh`, so it can be called as often as you like.
//! * After WeChat answers 40001/40014/42001 for a token: [`TokenMachine::invalidate`] with the
//!   token that was used. It only drops the token if it is still the current one (someone else
//!   may already have refreshed), then poll again and replay the call once.
//!
//! # Rules
//!
//! * A token is refreshed `refresh_margin` before it expires (default 5 minutes), and used
//!   until it expires if the refresh fails meanwhile.
//! * After a failed refresh the machine backs off exponentially (1 s, 2 s, … 60 s) and answers
//!   [`TokenError::BackingOff`] instead of hammering WeChat: a broken secret or a store outage
//!   never turns into a refresh loop that burns the daily quota.
//! * A refresh that takes longer than `refresh_timeout` is presumed dead; the next caller
//!   takes over.

mod flow;

pub use crate::credential::{Fetched, TicketKind};
pub use flow::{
    MAX_LIFETIME, MIN_LIFETIME, RefreshFlow, RefreshInput, RefreshStep, StorePolicy, StoredToken, TokenKeys,
    lease_owner,
};

use alloc::string::{String, ToString};
use core::time::Duration;

use crate::error::{Error, TokenError};
use crate::secret::AccessToken;
use crate::time::UnixTime;

/// Tunables of the token life cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenConfig {
    /// Refresh this long before expiry. Default 300 s.
    pub refresh_margin: Duration,
    /// The store lease's lifetime: a refresher that dies holding it blocks other processes this
    /// long at most. A live refresher renews it (before fetching and before writing, once a
    /// third has passed), so it only needs to outlast one step: a store operation, or the fetch
    /// (the request timeout, 10 s by default, or a ticket fetch that waits for the access token
    /// first). Also how long a refresh in this process may take, after waiting
    /// `wait_timeout` for another process's lease, before it is presumed dead. Default 60 s.
    pub refresh_timeout: Duration,
    /// How long to wait for another process's refresh before giving up. Default 30 s.
    pub wait_timeout: Duration,
    /// How often a waiting process re-reads the store. Default 100 ms.
    pub poll_interval: Duration,
    /// First back-off after a failed refresh. Default 1 s.
    pub backoff_initial: Duration,
    /// Longest back-off. Default 60 s.
    pub backoff_max: Duration,
    /// Fetches allowed per account per day (China time); `None` for no guard. Default 2000,
    /// WeChat's `cgi-bin/token` quota.
    pub daily_budget: Option<u64>,
    /// Forced `stable_token` refreshes allowed per day. Default 20, WeChat's limit.
    pub force_budget: u64,
    /// What to do when the token store fails.
    pub store_policy: StorePolicy,
}

impl Default for TokenConfig {
    fn default() -> Self {
        Self {
            refresh_margin: Duration::from_secs(300),
            refresh_timeout: Duration::from_secs(60),
            wait_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_millis(100),
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            daily_budget: Some(2000),
            force_budget: 20,
            store_policy: StorePolicy::Fail,
        }
    }
}

/// What the caller must do next, from [`TokenMachine::poll`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum TokenAction {
    /// Use this token.
    Ready(AccessToken),
    /// Another caller of this process is refreshing: wait until it finishes (you will be
    /// woken by `handle_refreshed`) or until `until`, then poll again.
    Wait {
        /// When to give up waiting and poll again.
        until: UnixTime,
    },
    /// You are the refresher: run a [`RefreshFlow`] with this ticket, then call
    /// [`TokenMachine::handle_refreshed`].
    Refresh(RefreshTicket),
}

/// Permission to refresh, handed to exactly one caller at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct RefreshTicket {
    id: u64,
    /// The token WeChat rejected, if this refresh was caused by a rejection: the flow removes
    /// it from the store (only if it is still there) and never accepts it back.
    pub rejected: Option<StoredToken>,
    /// The still-valid token this refresh replaces (a refresh ahead of expiry): the flow
    /// adopts a stored token only if it is another, newer one.
    pub stale: Option<AccessToken>,
    /// A refresh the user asked for (`wechat token --force`): always fetches, and uses
    /// `force_refresh` for stable tokens (counted against the forced-refresh budget).
    pub force: bool,
}

#[derive(Debug, Clone)]
struct Current {
    token: AccessToken,
    expires_at: UnixTime,
    refresh_at: UnixTime,
}

#[derive(Debug, Clone)]
struct Backoff {
    until: UnixTime,
    failures: u32,
    reason: String,
}

/// The in-process token state for one credential. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct TokenMachine {
    config: TokenConfig,
    current: Option<Current>,
    in_flight: Option<(u64, UnixTime)>,
    backoff: Option<Backoff>,
    rejected: Option<StoredToken>,
    next_id: u64,
}

impl TokenMachine {
    /// An empty machine.
    pub fn new(config: TokenConfig) -> Self {
        Self {
            config,
            current: None,
            in_flight: None,
            backoff: None,
            rejected: None,
            next_id: 1,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &TokenConfig {
        &self.config
    }

    /// The cached token and its expiry, if any (valid or not).
    pub fn current(&self) -> Option<(&AccessToken, UnixTime)> {
        self.current.as_ref().map(|c| (&c.token, c.expires_at))
    }

    /// Whether a refresh is in flight.
    pub fn is_refreshing(&self) -> bool {
        self.in_flight.is_some()
    }

    /// The token [`poll`](Self::poll) would answer `Ready` with at `now`, when that answer
    /// changes nothing: a valid token not yet due for refresh. `None` means "call `poll`",
    /// which may start a refresh, make you wait, or hand out the token anyway (while a refresh
    /// is in flight). Read-only, so clients can answer most calls without a write lock.
    pub fn ready(&self, now: UnixTime) -> Option<&AccessToken> {
        self.current
            .as_ref()
            .filter(|c| now < c.refresh_at && now < c.expires_at)
            .map(|c| &c.token)
    }

    /// Decides what the caller does next. Call before every API call, and again after every
    /// `Wait`.
    ///
    /// # Errors
    /// [`TokenError::BackingOff`] when the last refresh failed recently and there is no valid
    /// token to fall back on.
    pub fn poll(&mut self, now: UnixTime) -> Result<TokenAction, Error> {
        if let Some((_, deadline)) = self.in_flight
            && now >= deadline
        {
            // The refresher is presumed dead; let someone else take over.
            self.in_flight = None;
        }
        let backing_off = self.backoff.as_ref().is_some_and(|b| now < b.until);
        if let Some(cur) = &self.current
            && now < cur.expires_at
        {
            if now >= cur.refresh_at && self.in_flight.is_none() && !backing_off {
                return Ok(TokenAction::Refresh(self.start(now)));
            }
            return Ok(TokenAction::Ready(cur.token.clone()));
        }
        if let Some((_, deadline)) = self.in_flight {
            return Ok(TokenAction::Wait { until: deadline });
        }
        if let Some(b) = &self.backoff
            && now < b.until
        {
            return Err(TokenError::BackingOff {
                reason: b.reason.clone(),
                retry_in_secs: b.until.0 - now.0,
            }
            .into());
        }
        Ok(TokenAction::Refresh(self.start(now)))
    }

    fn start(&mut self, now: UnixTime) -> RefreshTicket {
        let id = self.next_id;
        self.next_id += 1;
        // A refresher may legitimately wait for another process's lease (wait_timeout) and
        // then fetch (refresh_timeout); only after both is it presumed dead.
        let budget = self.config.wait_timeout.saturating_add(self.config.refresh_timeout);
        self.in_flight = Some((id, now.saturating_add(budget).max(UnixTime(now.0 + 1))));
        let stale = self
            .current
            .as_ref()
            .filter(|c| now < c.expires_at)
            .map(|c| c.token.clone());
        RefreshTicket {
            id,
            rejected: self.rejected.clone(),
            stale,
            force: false,
        }
    }

    /// Starts a refresh the user asked for, even though the cached token is valid. Returns
    /// `Wait` if a refresh is already in flight in this process.
    pub fn force_refresh(&mut self, now: UnixTime) -> TokenAction {
        if let Some((_, deadline)) = self.in_flight
            && now < deadline
        {
            return TokenAction::Wait { until: deadline };
        }
        let mut ticket = self.start(now);
        ticket.force = true;
        TokenAction::Refresh(ticket)
    }

    /// Reports the outcome of a refresh. Always call it after `Refresh`, even on failure. On
    /// success the new token becomes current and is returned; on failure the back-off is armed
    /// and the error returned.
    ///
    /// # Errors
    /// The refresh's own error.
    pub fn handle_refreshed(
        &mut self,
        ticket: RefreshTicket,
        now: UnixTime,
        result: Result<StoredToken, Error>,
    ) -> Result<AccessToken, Error> {
        if self.in_flight.is_some_and(|(id, _)| id == ticket.id) {
            self.in_flight = None;
        }
        match result {
            Ok(stored) => {
                self.accept(stored.clone(), now);
                Ok(stored.token)
            }
            Err(e) => Err(self.fail(now, &e)),
        }
    }

    fn fail(&mut self, now: UnixTime, e: &Error) -> Error {
        let failures = self.backoff.as_ref().map_or(0, |b| b.failures) + 1;
        let factor = 1u32.checked_shl(failures.saturating_sub(1).min(16)).unwrap_or(u32::MAX);
        let delay = self
            .config
            .backoff_initial
            .saturating_mul(factor)
            .min(self.config.backoff_max);
        let delay_secs = delay.as_secs().max(1);
        self.backoff = Some(Backoff {
            until: UnixTime(now.0 + delay_secs),
            failures,
            reason: e.to_string(),
        });
        e.clone()
    }

    /// Gives up a refresh without a result (the refresher was cancelled, e.g. an async task
    /// was dropped): frees the in-flight slot at once, without arming the back-off, so the next
    /// caller refreshes. Wake the waiters after calling it.
    pub fn abandon(&mut self, ticket: RefreshTicket) {
        if self.in_flight.is_some_and(|(id, _)| id == ticket.id) {
            self.in_flight = None;
        }
    }

    /// Adopts a token obtained elsewhere (read from the store, or given by the user).
    pub fn accept(&mut self, stored: StoredToken, now: UnixTime) {
        let lifetime = stored.expires_at.0.saturating_sub(now.0);
        let by_margin = stored.expires_at.saturating_sub(self.config.refresh_margin);
        let refresh_at = by_margin.max(UnixTime(now.0 + lifetime / 2));
        self.current = Some(Current {
            token: stored.token,
            expires_at: stored.expires_at,
            refresh_at,
        });
        self.backoff = None;
        self.rejected = None;
    }

    /// WeChat rejected `used` (40001/40014/42001). Drops it only if it is still the current
    /// token, and returns whether it did; either way, poll again and replay the call once.
    pub fn invalidate(&mut self, used: &AccessToken) -> bool {
        match &self.current {
            Some(cur) if &cur.token == used => {
                let cur = self.current.take().expect("matched Some");
                self.rejected = Some(StoredToken {
                    token: cur.token,
                    expires_at: cur.expires_at,
                });
                self.backoff = None;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests;
