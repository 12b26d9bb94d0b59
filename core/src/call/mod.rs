//! One API call as a sans-IO machine: every decision of a call, for every transport.
//!
//! A [`Call`] decides which credential and token a request needs, whether to use the cached
//! token, wait for another caller's refresh or refresh it itself (under the store lease,
//! within the daily budget), whether an answer means "replay once with a fresh token", "retry
//! after a back-off" or "done", and it never replays a send that may have reached WeChat. It
//! reads no clock and draws no randomness: time is an argument of every step, and 16 random
//! bytes are given when the call starts.
//!
//! ```text
//!              ┌──────────── Call (this module) ─────────────┐
//!  Session ───►│ poll(session, now) ──► Output               │   Send(Outgoing): send it, feed Response
//!  (shared,    │                          Store(StoreOp)      │   run it, feed Store
//!   locked     │                          Parse(answer)       │   parse it, feed Parsed
//!   per step)  │                          Wait { until }      │   sleep until then, or until woken
//!              │                          Wake                │   wake the calls that wait
//!              │                          Done(result)        │   finished
//!              │ handle(session, now, Input) ◄── Response / Store / Parsed
//!              └──────────────────────────────────────────────┘
//! ```
//!
//! # When to call what
//!
//! 1. Start with [`Call::new`] (an API request) or [`Call::token`] (just a token or ticket).
//! 2. [`Call::poll`] until it answers [`Output::Done`]:
//!    - [`Output::Send`]: send the request (without the lock), then [`Call::handle`] with
//!      [`Input::Response`], then poll again.
//!    - [`Output::Store`]: run the store operation, then `handle` with [`Input::Store`].
//!    - [`Output::Wait`]: sleep until `until`, or less if another call's [`Output::Wake`]
//!      comes first; then poll again (no input).
//!    - [`Output::Wake`]: wake every call waiting on this session; then poll again.
//!    - [`Output::Parse`]: parse the answer with the endpoint, keep the value, and `handle`
//!      [`Input::Parsed`] with the verdict; the value is the result when `Done` says
//!      [`Done::Parsed`].
//! 3. If a call is dropped before `Done` (a task cancelled, a panic), [`Call::abandon`] it: a
//!    refresh it was running is given up at once and the waiters must be woken, so nobody
//!    waits for a refresher that is gone.
//!
//! The session is shared by all calls of a client and must be locked for each `poll` and
//! `handle` (they are short and do no I/O) and never held across the I/O itself.
//!
//! The machine hands each answer out with [`Output::Parse`]: the endpoint parses it (the only
//! code compiled per endpoint is its `request()` and `parse()`), and the machine decides from
//! the verdict. See
//! `core/examples/custom_executor.rs` for a complete executor over a raw `TcpStream`.

mod local;
mod retry;
mod session;

pub use local::LocalStore;
pub use retry::CallPolicy;
pub use session::Session;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::time::Duration;

use crate::api::json;
use crate::credential::TicketKind;
use crate::error::{ApiErrorKind, ConfigError, Error, ResponseError, TransportError};
use crate::http::{ApiRequest, ApiResponse, Idempotency, Outgoing, TokenKind};
use crate::secret::AccessToken;
use crate::time::{Timestamp, UnixTime};
use crate::token::{RefreshFlow, RefreshInput, RefreshStep, RefreshTicket, TokenAction};
use retry::{CallState, Decision, TransportDecision};

/// What the driver must do next, from [`Call::poll`].
#[derive(Debug)]
#[must_use]
pub enum Output {
    /// Send this request; answer with [`Input::Response`].
    Send(Outgoing),
    /// Run this store operation; answer with [`Input::Store`].
    Store(StoreOp),
    /// Nothing to do before `until`, unless woken by another call's [`Output::Wake`]: sleep,
    /// then poll again.
    Wait {
        /// When to poll again at the latest.
        until: Timestamp,
    },
    /// A refresh finished: wake the calls waiting on this session, then poll again.
    Wake,
    /// The answer came: parse it with the endpoint (keep the value), then answer with
    /// [`Input::Parsed`]: the machine needs WeChat's verdict (a rejected token, busy) to decide.
    Parse(ApiResponse),
    /// The call is over.
    Done(Result<Done, Error>),
}

/// What a finished call produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// The endpoint's parse of the last [`Output::Parse`] is the result.
    Parsed,
    /// The token (or ticket) a [`Call::token`] asked for, and when it expires.
    Token(AccessToken, UnixTime),
}

/// A token-store operation, from [`Output::Store`]. Values are tokens: `Debug` hides them.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreOp {
    /// The value of `key`; answer [`StoreAnswer::Value`].
    Get {
        /// The key.
        key: String,
    },
    /// Set `key` only if absent, expiring after `ttl`; answer [`StoreAnswer::Bool`].
    SetNx {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// Its lifetime.
        ttl: Duration,
    },
    /// Set `key` (expiring after `ttl`, never when `None`); answer [`StoreAnswer::Done`].
    Set {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// Its lifetime.
        ttl: Option<Duration>,
    },
    /// Delete `key` only if it holds `expected`; answer [`StoreAnswer::Bool`].
    CompareAndDelete {
        /// The key.
        key: String,
        /// The value it must hold.
        expected: String,
    },
    /// Set `key` only if it holds `expected` (`None`: only if absent); answer
    /// [`StoreAnswer::Bool`].
    CompareAndSet {
        /// The key.
        key: String,
        /// The value it must hold.
        expected: Option<String>,
        /// The new value.
        value: String,
        /// Its lifetime.
        ttl: Option<Duration>,
    },
    /// Increment the counter `key` (created at 0 with `ttl`); answer [`StoreAnswer::Count`].
    Incr {
        /// The key.
        key: String,
        /// Lifetime of a new counter.
        ttl: Duration,
    },
}

impl core::fmt::Debug for StoreOp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (op, key) = match self {
            StoreOp::Get { key } => ("Get", key),
            StoreOp::SetNx { key, .. } => ("SetNx", key),
            StoreOp::Set { key, .. } => ("Set", key),
            StoreOp::CompareAndDelete { key, .. } => ("CompareAndDelete", key),
            StoreOp::CompareAndSet { key, .. } => ("CompareAndSet", key),
            StoreOp::Incr { key, .. } => ("Incr", key),
        };
        f.debug_struct(op).field("key", key).finish_non_exhaustive()
    }
}

/// A store's answer to a [`StoreOp`].
#[derive(Clone, PartialEq, Eq)]
pub enum StoreAnswer {
    /// [`StoreOp::Get`]: the value, if any.
    Value(Option<String>),
    /// [`StoreOp::SetNx`], [`StoreOp::CompareAndDelete`], [`StoreOp::CompareAndSet`]: whether
    /// it happened.
    Bool(bool),
    /// [`StoreOp::Incr`]: the counter's new value.
    Count(u64),
    /// [`StoreOp::Set`] done.
    Done,
}

impl core::fmt::Debug for StoreAnswer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StoreAnswer::Value(v) => write!(f, "Value({})", if v.is_some() { "<redacted>" } else { "None" }),
            StoreAnswer::Bool(b) => write!(f, "Bool({b})"),
            StoreAnswer::Count(n) => write!(f, "Count({n})"),
            StoreAnswer::Done => f.write_str("Done"),
        }
    }
}

/// The driver's answer to the last [`Output`].
#[derive(Debug)]
pub enum Input {
    /// The answer to [`Output::Send`] (any HTTP status), or why there was none.
    Response(Result<ApiResponse, TransportError>),
    /// The answer to [`Output::Store`], or why the store failed (no value in the message).
    Store(Result<StoreAnswer, String>),
    /// The answer to [`Output::Parse`]: `Ok` when the endpoint parsed it (you keep the
    /// value), or the endpoint's error.
    Parsed(Result<(), Error>),
}

/// Why a token is acquired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// For the call's own request.
    Request,
    /// For the fetch of the refresh below it on the stack (a ticket needs the access token).
    Fetch,
    /// The token is the call's result ([`Call::token`]).
    Result,
}

/// The store operation a refresh is waiting on, to turn the store's answer into the flow's
/// input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    None,
    Read,
    Lease,
    Count,
    Deleted,
    Set,
    Written,
    Released,
    Response,
    Sleep(Timestamp),
}

/// A refresh this call runs.
struct Refresh {
    ticket: RefreshTicket,
    flow: RefreshFlow,
    pending: Pending,
    /// The fetch request, once the flow asked for it.
    fetch: Option<ApiRequest>,
    /// The parent token the fetch carries (slot, token), and whether it was replayed.
    parent: Option<(usize, AccessToken)>,
    parent_replayed: bool,
    transport_error: Option<TransportError>,
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

/// A token being acquired for a slot.
struct Acquire {
    slot: usize,
    force: bool,
    purpose: Purpose,
    refresh: Option<Box<Refresh>>,
    /// A refresh finished (the waiters are being woken): its outcome.
    resolved: Option<Result<AccessToken, Error>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Start,
    /// The answer is ready for the endpoint to parse.
    Parse(ApiResponse),
    /// Waiting for the endpoint's verdict.
    Parsing,
    Acquiring,
    Sent,
    Backoff(Timestamp),
    Finished,
}

/// One call. See the [module docs](self) for how to drive it.
pub struct Call {
    request: Option<ApiRequest>,
    retry: CallState,
    stack: Vec<Acquire>,
    phase: Phase,
    random: [u8; 16],
    /// The slot and token of the request in flight.
    sent: Option<(usize, Option<AccessToken>)>,
    /// The response cap, and whether the request's credential verifies answers (both taken
    /// when the request is sent, so that a plain answer needs nothing from the session).
    limit: usize,
    verifies: bool,
    /// The result, once known (handed out by the next poll).
    result: Option<Result<Done, Error>>,
    attempt: u32,
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl core::fmt::Debug for Call {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Call")
            .field("request", &self.request)
            .field("phase", &self.phase)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

/// Which token a [`Call::token`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenTarget {
    /// The token of a role (the access token: [`TokenKind::AccessToken`]).
    Role(TokenKind),
    /// A JS-SDK ticket of the account.
    Ticket(TicketKind),
}

/// What a call starts from, for transports that start calls in one place.
#[derive(Debug)]
pub enum Start {
    /// An API request ([`Call::new`]).
    Api(ApiRequest),
    /// A token or ticket, maybe by force ([`Call::token`]).
    Token(TokenTarget, bool),
}

impl Call {
    /// Starts a call from `start`; `random` is asked for 16 bytes only when the request's
    /// credential signs with them ([`Session::signs`]).
    pub fn start(session: &mut Session, start: Start, random: fn() -> [u8; 16]) -> Self {
        match start {
            Start::Api(request) => {
                let bytes = if session.signs(&request) { random() } else { [0; 16] };
                Call::new(session, request, bytes)
            }
            Start::Token(target, force) => Call::token(session, target, force),
        }
    }

    /// A call of `request`; `random` feeds the credential's signature, if it signs.
    pub fn new(session: &mut Session, request: ApiRequest, random: [u8; 16]) -> Self {
        #[cfg(feature = "tracing")]
        let span = tracing::info_span!("wechat.call", path = %request.path, attempt = tracing::field::Empty);
        let _ = &session;
        Self {
            retry: CallState::new(&request, session.config.call.clone()),
            request: Some(request),
            stack: Vec::new(),
            phase: Phase::Start,
            random,
            sent: None,
            result: None,
            attempt: 0,
            limit: 0,
            verifies: false,
            #[cfg(feature = "tracing")]
            span,
        }
    }

    /// A call that only gets a token or ticket (refreshing it if needed, or by force).
    pub fn token(session: &mut Session, target: TokenTarget, force: bool) -> Self {
        let slot = match target {
            TokenTarget::Role(role) => session.role(role),
            TokenTarget::Ticket(kind) => Some(session.ticket(kind)),
        };
        #[cfg(feature = "tracing")]
        let span = tracing::info_span!("wechat.token", target = ?target, force);
        let mut call = Self {
            retry: CallState::new(&ApiRequest::get(""), session.config.call.clone()),
            request: None,
            stack: Vec::new(),
            phase: Phase::Acquiring,
            random: [0; 16],
            sent: None,
            result: None,
            attempt: 0,
            limit: 0,
            verifies: false,
            #[cfg(feature = "tracing")]
            span,
        };
        match slot {
            Some(slot) => call.stack.push(Acquire {
                slot,
                force,
                purpose: Purpose::Result,
                refresh: None,
                resolved: None,
            }),
            None => call.phase = Phase::Start,
        }
        call
    }

    /// The span the call's work belongs to (the refresh's while one runs): transports run
    /// their I/O in it. With the `tracing` feature.
    #[cfg(feature = "tracing")]
    pub fn span(&self) -> &tracing::Span {
        self.stack
            .iter()
            .rev()
            .find_map(|a| a.refresh.as_ref().map(|r| &r.span))
            .unwrap_or(&self.span)
    }

    /// How many times the request has been sent (0 before the first).
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// The request's idempotency (token-only calls are idempotent).
    pub fn idempotency(&self) -> Idempotency {
        self.retry.idempotency()
    }

    /// The next thing to do. Call again after each [`Output`] has been acted on (and, for
    /// `Send` and `Store`, its answer fed to [`Call::handle`]).
    pub fn poll(&mut self, session: &mut Session, now: Timestamp) -> Output {
        #[cfg(feature = "tracing")]
        let _entered = self.span.clone().entered();
        loop {
            match &self.phase {
                Phase::Finished => {
                    let result = self
                        .result
                        .take()
                        .unwrap_or_else(|| Err(Error::Misuse(String::from("polled after Done"))));
                    return self.finish(result);
                }
                Phase::Sent | Phase::Parsing => {
                    return self.finish(Err(Error::Misuse(String::from(
                        "polled while the answer to Send or Parse was expected",
                    ))));
                }
                Phase::Parse(_) => {
                    let Phase::Parse(response) = core::mem::replace(&mut self.phase, Phase::Parsing) else {
                        unreachable!("matched Parse")
                    };
                    return Output::Parse(response);
                }
                Phase::Backoff(until) if now < *until => return Output::Wait { until: *until },
                Phase::Backoff(_) => self.phase = Phase::Start,
                Phase::Start => {
                    let Some(request) = &self.request else {
                        return self.finish(Err(no_credential(TokenKind::AccessToken)));
                    };
                    if request.token == TokenKind::None {
                        return self.send(session, None, now);
                    }
                    let Some(slot) = session.role(request.token) else {
                        return self.finish(Err(no_credential(request.token)));
                    };
                    if !session.slots[slot].credential.cached() {
                        return self.send(session, Some((slot, None)), now);
                    }
                    // Nearly every call: a valid token not yet due for refresh.
                    if let Some(token) = session.slots[slot].machine.ready(now.unix()) {
                        let token = token.clone();
                        return self.send(session, Some((slot, Some(token))), now);
                    }
                    self.stack.push(Acquire {
                        slot,
                        force: false,
                        purpose: Purpose::Request,
                        refresh: None,
                        resolved: None,
                    });
                    self.phase = Phase::Acquiring;
                }
                Phase::Acquiring => {
                    if let Some(output) = self.acquire(session, now) {
                        return output;
                    }
                }
            }
        }
    }

    /// One step of the innermost acquisition: `Some` output, or `None` to go on.
    fn acquire(&mut self, session: &mut Session, now: Timestamp) -> Option<Output> {
        let Some(top) = self.stack.last_mut() else {
            return Some(self.finish(Err(Error::Misuse(String::from("nothing to acquire")))));
        };
        if let Some(resolved) = top.resolved.take() {
            return self.resolved(session, resolved, now);
        }
        if top.refresh.is_some() {
            return self.drive(session, now);
        }
        let slot = &mut session.slots[top.slot];
        if !top.force
            && let Some(token) = slot.machine.ready(now.unix())
        {
            let token = token.clone();
            return self.acquired(session, token, now);
        }
        let action = if top.force {
            top.force = false;
            Ok(slot.machine.force_refresh(now.unix()))
        } else {
            slot.machine.poll(now.unix())
        };
        match action {
            Ok(TokenAction::Ready(token)) => self.acquired(session, token, now),
            Ok(TokenAction::Wait { until }) => {
                #[cfg(feature = "tracing")]
                tracing::debug!(token = %slot.keys.token, "waiting for another caller's refresh");
                Some(Output::Wait {
                    until: Timestamp::from(until).min(now.saturating_add(Duration::from_secs(1))),
                })
            }
            Ok(TokenAction::Refresh(ticket)) => {
                let owner = session.owner();
                let slot = &mut session.slots[top.slot];
                let local = slot.local_fetches(now.unix());
                #[cfg(feature = "tracing")]
                let span = tracing::info_span!("wechat.token.refresh", token = %slot.keys.token);
                #[cfg(feature = "tracing")]
                span.in_scope(|| tracing::debug!(forced = ticket.force, "refreshing the token"));
                let flow = RefreshFlow::new(
                    &ticket,
                    Arc::clone(&slot.credential),
                    slot.keys.clone(),
                    session.config.token.clone(),
                    owner,
                    now.unix(),
                    local,
                );
                top.refresh = Some(Box::new(Refresh {
                    ticket,
                    flow,
                    pending: Pending::None,
                    fetch: None,
                    parent: None,
                    parent_replayed: false,
                    transport_error: None,
                    #[cfg(feature = "tracing")]
                    span,
                }));
                None
            }
            Err(e) => {
                let purpose = top.purpose;
                self.stack.pop();
                self.failed(purpose, e)
            }
        }
    }

    /// Drives the refresh of the innermost acquisition.
    fn drive(&mut self, session: &mut Session, now: Timestamp) -> Option<Output> {
        let top = self.stack.last_mut()?;
        let slot_index = top.slot;
        let refresh = top.refresh.as_mut()?;
        #[cfg(feature = "tracing")]
        let _entered = refresh.span.clone().entered();
        match refresh.pending {
            Pending::Sleep(until) if now < until => return Some(Output::Wait { until }),
            Pending::Sleep(_) => {
                refresh.pending = Pending::None;
                refresh.flow.handle(now.unix(), RefreshInput::Slept);
            }
            Pending::None => {}
            _ => {
                return Some(self.finish(Err(Error::Misuse(String::from(
                    "polled while a store or fetch answer was expected",
                )))));
            }
        }
        let (op, pending) = match refresh.flow.poll(now.unix()) {
            RefreshStep::Read { key } => (StoreOp::Get { key }, Pending::Read),
            RefreshStep::AcquireLease { key, owner, ttl } => {
                (StoreOp::SetNx { key, value: owner, ttl }, Pending::Lease)
            }
            RefreshStep::Count { key, ttl } => (StoreOp::Incr { key, ttl }, Pending::Count),
            RefreshStep::CompareAndDelete { key, expected } => {
                (StoreOp::CompareAndDelete { key, expected }, Pending::Deleted)
            }
            RefreshStep::CompareAndSet {
                key,
                expected,
                value,
                ttl,
            } => (
                StoreOp::CompareAndSet {
                    key,
                    expected,
                    value,
                    ttl: Some(ttl),
                },
                Pending::Set,
            ),
            RefreshStep::Set { key, value, ttl } => (StoreOp::Set { key, value, ttl }, Pending::Written),
            RefreshStep::ReleaseLease { key, owner } => {
                (StoreOp::CompareAndDelete { key, expected: owner }, Pending::Released)
            }
            RefreshStep::Sleep(d) => {
                #[cfg(feature = "tracing")]
                tracing::debug!("another process holds the refresh lease; waiting");
                let until = now.saturating_add(d);
                refresh.pending = Pending::Sleep(until);
                return Some(Output::Wait { until });
            }
            RefreshStep::Fetch(request) => {
                #[cfg(feature = "tracing")]
                tracing::info!("fetching a new token");
                session.token_fetches += 1;
                session.slots[slot_index].count_fetch(now.unix());
                let parent_role = request.token;
                refresh.fetch = Some(request);
                return self.fetch(session, parent_role, now);
            }
            RefreshStep::Done(result) => {
                let refresh = top.refresh.take()?;
                let slot = &mut session.slots[slot_index];
                if refresh.flow.degraded() {
                    #[cfg(feature = "tracing")]
                    tracing::warn!(token = %slot.keys.token, "token store unavailable; using a token kept in this process only");
                }
                let outcome = slot.machine.handle_refreshed(refresh.ticket, now.unix(), result);
                let outcome = match (outcome, refresh.transport_error) {
                    (Err(_), Some(e)) => Err(Error::Transport(e)),
                    (outcome, _) => outcome,
                };
                #[cfg(feature = "tracing")]
                if let Err(e) = &outcome {
                    tracing::debug!(kind = e.kind(), "the refresh failed");
                }
                top.resolved = Some(outcome);
                return Some(Output::Wake);
            }
        };
        refresh.pending = pending;
        Some(Output::Store(op))
    }

    /// Sends the fetch of the innermost refresh, first getting the parent token it carries.
    fn fetch(&mut self, session: &mut Session, parent_role: TokenKind, now: Timestamp) -> Option<Output> {
        let top = self.stack.last_mut()?;
        let slot = top.slot;
        let refresh = top.refresh.as_mut()?;
        if parent_role != TokenKind::None && refresh.parent.is_none() {
            let Some(parent) = session.role(parent_role) else {
                refresh
                    .flow
                    .handle(now.unix(), RefreshInput::FetchRejected(no_credential(parent_role)));
                return None;
            };
            self.stack.push(Acquire {
                slot: parent,
                force: false,
                purpose: Purpose::Fetch,
                refresh: None,
                resolved: None,
            });
            return None;
        }
        let request = refresh.fetch.as_ref()?;
        let base = &session.slots[slot].base;
        let token = refresh.parent.as_ref().map(|(parent, token)| {
            let param = session.slots[*parent].credential.param().unwrap_or("access_token");
            (param, token)
        });
        refresh.pending = Pending::Response;
        Some(Output::Send(request.outgoing(base, token)))
    }

    /// A token was acquired for the innermost acquisition.
    fn acquired(&mut self, session: &mut Session, token: AccessToken, now: Timestamp) -> Option<Output> {
        let acquire = self.stack.pop()?;
        match acquire.purpose {
            Purpose::Request => Some(self.send(session, Some((acquire.slot, Some(token))), now)),
            Purpose::Result => {
                let expires = session.slots[acquire.slot]
                    .machine
                    .current()
                    .map(|(_, e)| e)
                    .unwrap_or_default();
                Some(self.finish(Ok(Done::Token(token, expires))))
            }
            Purpose::Fetch => {
                let refresh = self.stack.last_mut()?.refresh.as_mut()?;
                refresh.parent = Some((acquire.slot, token));
                let role = refresh.fetch.as_ref()?.token;
                self.fetch(session, role, now)
            }
        }
    }

    /// A refresh of the innermost acquisition finished (and the waiters were woken).
    fn resolved(
        &mut self,
        session: &mut Session,
        outcome: Result<AccessToken, Error>,
        now: Timestamp,
    ) -> Option<Output> {
        match outcome {
            Ok(token) => self.acquired(session, token, now),
            Err(e) => {
                let purpose = self.stack.pop()?.purpose;
                self.failed(purpose, e)
            }
        }
    }

    /// Acquiring a token failed.
    fn failed(&mut self, purpose: Purpose, e: Error) -> Option<Output> {
        match purpose {
            // The refresh below needed this token for its fetch: its fetch fails.
            Purpose::Fetch => {
                let refresh = self.stack.last_mut()?.refresh.as_mut()?;
                if let Error::Transport(t) = &e {
                    refresh.transport_error = Some(t.clone());
                }
                refresh.flow.handle(UnixTime(0), RefreshInput::FetchRejected(e));
                None
            }
            Purpose::Request | Purpose::Result => Some(self.finish(Err(e))),
        }
    }

    /// Sends the call's request with the credential of `slot` (and its token).
    fn send(&mut self, session: &mut Session, with: Option<(usize, Option<AccessToken>)>, now: Timestamp) -> Output {
        let Some(request) = &self.request else {
            return self.finish(Err(Error::Misuse(String::from("a token call has no request"))));
        };
        self.attempt += 1;
        #[cfg(feature = "tracing")]
        self.span.record("attempt", self.attempt);
        let mut outgoing = match &with {
            Some((slot, token)) => {
                let slot = &mut session.slots[*slot];
                match (slot.credential.param().or(request.token.param()), token) {
                    (Some(param), Some(token)) => {
                        let (base, pair) = slot.base_and_pair(param, token);
                        request.outgoing_after(base, Some(pair))
                    }
                    _ => request.outgoing_after(&slot.base, None),
                }
            }
            None => {
                let base = session.config.api_base.as_deref().unwrap_or(crate::api::MP_API_BASE);
                request.outgoing_after(base, None)
            }
        };
        if let Some((slot, token)) = &with
            && let Err(e) = session.slots[*slot]
                .credential
                .sign(&mut outgoing, token.as_ref(), now, &self.random)
        {
            return self.finish(Err(e));
        }
        self.limit = session.config.max_response_bytes;
        self.verifies = with
            .as_ref()
            .is_some_and(|(slot, _)| session.slots[*slot].credential.verifies());
        self.sent = with;
        self.phase = Phase::Sent;
        Output::Send(outgoing)
    }

    /// Feeds the answer to the last [`Output::Send`] or [`Output::Store`].
    pub fn handle(&mut self, session: &mut Session, now: Timestamp, input: Input) {
        #[cfg(feature = "tracing")]
        let _entered = self.span.clone().entered();
        match (&self.phase, input) {
            (Phase::Sent, Input::Response(answer)) => self.answered(Some(session), now, answer),
            (Phase::Parsing, Input::Parsed(verdict)) => self.parsed(Some(session), now, verdict),
            (Phase::Acquiring, input) => self.refresh_input(session, now, input),
            (_, input) => {
                let what = match input {
                    Input::Response(_) => "Response",
                    Input::Store(_) => "Store",
                    Input::Parsed(_) => "Parsed",
                };
                self.set_result(Err(Error::Misuse(alloc::format!("{what} answers no output"))));
            }
        }
    }

    /// Feeds `input` (if any) and returns the next output, taking the session's lock only when
    /// the call needs the session: an ordinary call's answer and result need nothing from it.
    /// The guard comes back still held when it was taken, so that a transport can register for
    /// a wake-up ([`Output::Wait`]) before it lets go.
    pub fn advance<G: core::ops::DerefMut<Target = Session>>(
        &mut self,
        now: Timestamp,
        input: Option<Input>,
        lock: impl FnOnce() -> G,
    ) -> (Output, Option<G>) {
        let input = input.and_then(|input| self.handle_alone(now, input).err());
        if input.is_none()
            && let Some(output) = self.poll_alone()
        {
            return (output, None);
        }
        let mut session = lock();
        if let Some(input) = input {
            self.handle(&mut session, now, input);
        }
        (self.poll(&mut session, now), Some(session))
    }

    /// [`Call::handle`] for an input that needs nothing from the session, which is every
    /// input of an ordinary call after it was sent (an answer, the endpoint's `Ok`): the
    /// transport can feed it without taking the session's lock. Gives the input back when
    /// the session is needed; then `handle` it.
    ///
    /// # Errors
    /// The input, when only [`Call::handle`] can take it.
    pub fn handle_alone(&mut self, now: Timestamp, input: Input) -> Result<(), Input> {
        #[cfg(feature = "tracing")]
        let _entered = self.span.clone().entered();
        match (&self.phase, input) {
            (Phase::Sent, Input::Response(answer)) if !self.verifies => {
                self.answered(None, now, answer);
                Ok(())
            }
            (Phase::Parsing, Input::Parsed(Ok(()))) => {
                self.parsed(None, now, Ok(()));
                Ok(())
            }
            (_, input) => Err(input),
        }
    }

    /// [`Call::poll`] when the next output needs nothing from the session (the answer to
    /// parse, the result); `None` when it does: then `poll`.
    pub fn poll_alone(&mut self) -> Option<Output> {
        match &self.phase {
            Phase::Parse(_) => {
                let Phase::Parse(response) = core::mem::replace(&mut self.phase, Phase::Parsing) else {
                    unreachable!("matched Parse")
                };
                Some(Output::Parse(response))
            }
            Phase::Finished if self.result.is_some() => {
                let result = self.result.take()?;
                Some(self.finish(result))
            }
            _ => None,
        }
    }

    fn refresh_input(&mut self, session: &mut Session, now: Timestamp, input: Input) {
        let Some(refresh) = self.stack.last_mut().and_then(|a| a.refresh.as_mut()) else {
            self.set_result(Err(Error::Misuse(String::from("an answer while no refresh runs"))));
            return;
        };
        let pending = core::mem::replace(&mut refresh.pending, Pending::None);
        let input = match (pending, input) {
            (Pending::Response, Input::Response(Ok(response))) => {
                let limit = session.config.max_response_bytes;
                if response.body.len() > limit {
                    RefreshInput::FetchRejected(ResponseError::TooLarge { limit }.into())
                } else if let Some((parent, token)) = &refresh.parent
                    && json::api_error(&response.body).is_some_and(|e| e.kind == ApiErrorKind::TokenInvalid)
                {
                    if refresh.parent_replayed {
                        RefreshInput::Fetched(response)
                    } else {
                        // The parent token was rejected: invalidate it and fetch once more.
                        refresh.parent_replayed = true;
                        session.slots[*parent].machine.invalidate(token);
                        let parent = *parent;
                        refresh.parent = None;
                        self.stack.push(Acquire {
                            slot: parent,
                            force: false,
                            purpose: Purpose::Fetch,
                            refresh: None,
                            resolved: None,
                        });
                        return;
                    }
                } else {
                    RefreshInput::Fetched(response)
                }
            }
            (Pending::Response, Input::Response(Err(e))) => {
                let e = match &refresh.parent {
                    Some((_, token)) => e.scrub(token.secret()),
                    None => e,
                };
                let reason = alloc::format!("{e}");
                refresh.transport_error = Some(e);
                RefreshInput::FetchFailed(reason)
            }
            (pending, Input::Store(Err(reason))) if pending != Pending::Response => RefreshInput::StoreFailed(reason),
            (Pending::Read, Input::Store(Ok(StoreAnswer::Value(v)))) => RefreshInput::Read(v),
            (Pending::Lease, Input::Store(Ok(StoreAnswer::Bool(b)))) => RefreshInput::Lease(b),
            (Pending::Count, Input::Store(Ok(StoreAnswer::Count(n)))) => RefreshInput::Count(n),
            (Pending::Deleted, Input::Store(Ok(StoreAnswer::Bool(b)))) => RefreshInput::Deleted(b),
            (Pending::Set, Input::Store(Ok(StoreAnswer::Bool(b)))) => RefreshInput::Set(b),
            (Pending::Written, Input::Store(Ok(StoreAnswer::Done))) => RefreshInput::Written,
            (Pending::Released, Input::Store(Ok(_))) => RefreshInput::Released,
            (pending, input) => {
                let misuse = alloc::format!("{input:?} does not answer {pending:?}");
                self.set_result(Err(Error::Misuse(misuse)));
                return;
            }
        };
        refresh.flow.handle(now.unix(), input);
    }

    /// The answer to the call's own request: retried after a transport failure if that is
    /// safe, refused if too large or not authentic, else handed to the endpoint to parse.
    fn answered(&mut self, session: Option<&Session>, now: Timestamp, answer: Result<ApiResponse, TransportError>) {
        let token = self.sent.as_ref().and_then(|(_, t)| t.as_ref());
        let response = match answer {
            Ok(response) => response,
            Err(e) => {
                let e = match token {
                    Some(token) => e.scrub(token.secret()),
                    None => e,
                };
                self.sent = None;
                match self.retry.on_transport_error(e.maybe_sent) {
                    TransportDecision::RetryAfter(delay) => {
                        #[cfg(feature = "tracing")]
                        tracing::info!(error = %e, delay_ms = delay.as_millis() as u64, "retrying after a transport failure");
                        self.phase = Phase::Backoff(now.saturating_add(delay));
                    }
                    TransportDecision::GiveUp => self.set_result(Err(Error::Transport(e))),
                }
                return;
            }
        };
        let checked = if response.body.len() > self.limit {
            Err(ResponseError::TooLarge { limit: self.limit }.into())
        } else {
            let slot = self.sent.as_ref().map(|(slot, _)| *slot);
            match (self.verifies, session, slot) {
                (true, Some(session), Some(slot)) => session.slots[slot].credential.verify(&response, now),
                (true, _, _) => Err(Error::Misuse(String::from("an answer to verify, without the session"))),
                (false, _, _) => Ok(()),
            }
        };
        match checked {
            Ok(()) => self.phase = Phase::Parse(response),
            // Unusable or not authentic: never retried.
            Err(e) => self.parsed(None, now, Err(e)),
        }
    }

    /// The endpoint's verdict on the answer: done, or WeChat refused the token (replay once),
    /// or WeChat is busy (retry an idempotent call after a back-off).
    fn parsed(&mut self, session: Option<&mut Session>, now: Timestamp, verdict: Result<(), Error>) {
        let sent = self.sent.take();
        let e = match verdict {
            Ok(()) => return self.set_result(Ok(Done::Parsed)),
            // A send's unusable answer: it may have been carried out.
            Err(Error::Response(e))
                if self.retry.idempotency() == Idempotency::NonIdempotent && !e.is_unconfirmed() =>
            {
                return self.set_result(Err(ResponseError::Unconfirmed(Box::new(e)).into()));
            }
            Err(e) => e,
        };
        let code = e.api_error().map_or(0, |api| api.code);
        match self.retry.on_result::<()>(Err(e)) {
            Decision::ReplayWithFreshToken => match (sent, session) {
                (Some((slot, Some(token))), Some(session)) => {
                    #[cfg(feature = "tracing")]
                    tracing::info!(
                        errcode = code,
                        "WeChat rejected the token; replaying once with a fresh one"
                    );
                    session.slots[slot].machine.invalidate(&token);
                    self.phase = Phase::Start;
                }
                _ => self.set_result(Err(crate::error::ApiError::new(code, "token rejected").into())),
            },
            Decision::RetryAfter(delay) => {
                #[cfg(feature = "tracing")]
                tracing::info!(
                    errcode = code,
                    delay_ms = delay.as_millis() as u64,
                    "WeChat is busy; retrying"
                );
                self.phase = Phase::Backoff(now.saturating_add(delay));
            }
            Decision::Done(result) => self.set_result(result.map(|()| Done::Parsed)),
        }
    }

    /// Ends the call with `result`, which the next [`Call::poll`] hands out.
    fn set_result(&mut self, result: Result<Done, Error>) {
        self.phase = Phase::Finished;
        self.result = Some(result);
    }

    fn finish(&mut self, result: Result<Done, Error>) -> Output {
        self.phase = Phase::Finished;
        #[cfg(feature = "tracing")]
        if let Err(e) = &result {
            tracing::debug!(kind = e.kind(), "the call failed");
        }
        Output::Done(result)
    }

    /// Gives the call up before it is done (its task was dropped, or it panicked): a refresh
    /// it was running is abandoned so another caller takes over at once. Wake the waiters if
    /// [`Abandoned::wake`] says so, and run [`Abandoned::cleanup`] if you can (it releases the
    /// refresh lease in the store; if it is lost, the lease expires on its own).
    pub fn abandon(self, session: &mut Session) -> Abandoned {
        let mut abandoned = Abandoned {
            wake: false,
            cleanup: Vec::new(),
        };
        for acquire in self.stack {
            if let Some(refresh) = acquire.refresh {
                if let Some((key, owner)) = refresh.flow.held_lease() {
                    abandoned.cleanup.push(StoreOp::CompareAndDelete {
                        key: String::from(key),
                        expected: String::from(owner),
                    });
                }
                session.slots[acquire.slot].machine.abandon(refresh.ticket);
                abandoned.wake = true;
            }
        }
        abandoned
    }
}

/// What is left to do for an [abandoned](Call::abandon) call.
#[derive(Debug)]
#[must_use]
pub struct Abandoned {
    /// A refresh was given up: wake the calls waiting on the session.
    pub wake: bool,
    /// Store operations that release what the call held (best effort).
    pub cleanup: Vec<StoreOp>,
}

fn no_credential(role: TokenKind) -> Error {
    ConfigError::InvalidArgument(alloc::format!("this client has no credential for {role:?} requests")).into()
}

#[cfg(test)]
mod tests;
