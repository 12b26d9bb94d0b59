//! The glue: moves bytes with ureq, reads the clock, draws randomness, talks to the token
//! store, and follows the core's decisions. No protocol logic lives here.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wechat_core::api::{Endpoint, Prepared};
use wechat_core::call::{CallState, Decision, TransportDecision};
use wechat_core::client::{ClientConfig, Credentials};
use wechat_core::http::{ApiRequest, ApiResponse, TokenKind};
use wechat_core::secret::AccessToken;
use wechat_core::time::UnixTime;
use wechat_core::token::{
    RefreshFlow, RefreshInput, RefreshStep, RefreshTicket, StoredToken, TicketKind, TokenAction, TokenKeys,
    TokenMachine, TokenSource, lease_owner,
};
use wechat_session::TokenStore;

use crate::error::{Error, transport};

pub(crate) fn now() -> UnixTime {
    UnixTime(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    )
}

/// 16 bytes from the OS random number generator.
///
/// # Panics
/// When the operating system cannot provide random bytes: there is no safe substitute (a
/// clock is guessable), so this fails loudly.
pub(crate) fn random16() -> [u8; 16] {
    let mut buf = [0u8; 16];
    if let Err(e) = getrandom::fill(&mut buf) {
        panic!("the operating system's random number generator failed: {e}");
    }
    buf
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One cached credential (the access token, or a ticket) and its waiters.
struct Slot {
    machine: Mutex<TokenMachine>,
    refreshed: Condvar,
    source: TokenSource,
    keys: TokenKeys,
    /// (China day, fetches that day) for the budget when the store is unavailable.
    local: Mutex<(u64, u64)>,
}

impl Slot {
    fn new(source: TokenSource, keys: TokenKeys, config: &ClientConfig) -> Self {
        Self {
            machine: Mutex::new(TokenMachine::new(config.token.clone())),
            refreshed: Condvar::new(),
            source,
            keys,
            local: Mutex::new((0, 0)),
        }
    }
}

pub(crate) struct Engine {
    agent: ureq::Agent,
    base: String,
    config: ClientConfig,
    credentials: Credentials,
    store: Arc<dyn TokenStore>,
    access: Slot,
    tickets: Mutex<HashMap<TicketKind, Arc<Slot>>>,
    token_fetches: AtomicU64,
}

impl Engine {
    pub(crate) fn new(credentials: Credentials, config: ClientConfig, store: Arc<dyn TokenStore>) -> Self {
        let agent_config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(config.timeout))
            .timeout_connect(Some(config.connect_timeout))
            .user_agent(concat!("wechat-rs/", env!("CARGO_PKG_VERSION")))
            // ureq keeps 10 idle connections in all by default, which would cap the 64 per host.
            .max_idle_connections(64)
            .max_idle_connections_per_host(64)
            .build();
        let base = config
            .api_base
            .clone()
            .unwrap_or_else(|| credentials.default_api_base().to_string());
        let access = Slot::new(
            credentials.token_source(),
            credentials.token_keys(&config.store_prefix),
            &config,
        );
        Self {
            agent: agent_config.into(),
            base,
            config,
            credentials,
            store,
            access,
            tickets: Mutex::new(HashMap::new()),
            token_fetches: AtomicU64::new(0),
        }
    }

    pub(crate) fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    pub(crate) fn config(&self) -> &ClientConfig {
        &self.config
    }

    pub(crate) fn token_fetches(&self) -> u64 {
        self.token_fetches.load(Ordering::Relaxed)
    }

    /// Sends one request: no retries, no token logic.
    fn send(&self, req: &ApiRequest, token: Option<&AccessToken>) -> Result<ApiResponse, Error> {
        let http_req = req.to_http(&self.base, token)?;
        // Scrubbed from transport errors (the token is in the URL).
        let secret = token.map(AccessToken::secret);
        let secrets = secret.as_slice();
        let resp = self.agent.run(http_req).map_err(|e| transport(&e, secrets))?;
        let (parts, body) = resp.into_parts();
        let limit = self.config.max_response_bytes;
        let bytes = body
            .into_with_config()
            .limit(limit as u64)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => {
                    Error::Core(wechat_core::error::ResponseError::TooLarge { limit }.into())
                }
                e => transport(&e, secrets),
            })?;
        Ok(ApiResponse::from(http::Response::from_parts(parts, bytes)))
    }

    /// Runs an endpoint through the token and retry pipeline.
    pub(crate) fn call<E: Endpoint + ?Sized>(&self, endpoint: &E) -> Result<E::Output, Error> {
        let req = endpoint.request()?;
        let mut state = CallState::new(&req, self.config.call.clone());
        loop {
            let token = match req.token {
                TokenKind::None => None,
                _ => Some(match self.ready_token(&self.access) {
                    Some(token) => token,
                    None => self.token(&self.access, false)?,
                }),
            };
            match self.send(&req, token.as_ref()) {
                Ok(resp) => match state.on_result(endpoint.parse(resp)) {
                    Decision::Done(result) => return result.map_err(Error::from),
                    Decision::ReplayWithFreshToken => {
                        if let Some(t) = &token {
                            lock(&self.access.machine).invalidate(t);
                        }
                    }
                    Decision::RetryAfter(delay) => std::thread::sleep(delay),
                },
                Err(e @ Error::Transport { .. }) => match state.on_transport_error() {
                    TransportDecision::RetryAfter(delay) => std::thread::sleep(delay),
                    TransportDecision::GiveUp => return Err(e),
                },
                Err(e) => return Err(e),
            }
        }
    }

    /// The access token (fetching or refreshing it as needed).
    pub(crate) fn access_token(&self) -> Result<AccessToken, Error> {
        self.token(&self.access, false)
    }

    /// The access token and its expiry.
    pub(crate) fn access_token_info(&self, force: bool) -> Result<(AccessToken, UnixTime), Error> {
        let token = self.token(&self.access, force)?;
        let expires_at = lock(&self.access.machine).current().map(|(_, e)| e).unwrap_or_default();
        Ok((token, expires_at))
    }

    fn ticket_slot(&self, kind: TicketKind) -> Arc<Slot> {
        lock(&self.tickets)
            .entry(kind)
            .or_insert_with(|| {
                Arc::new(Slot::new(
                    TokenSource::Ticket(kind),
                    self.credentials.ticket_keys(&self.config.store_prefix, kind),
                    &self.config,
                ))
            })
            .clone()
    }

    /// A JS-SDK ticket, cached like the token.
    pub(crate) fn ticket(&self, kind: TicketKind) -> Result<AccessToken, Error> {
        let slot = self.ticket_slot(kind);
        self.token(&slot, false)
    }

    /// The token machine loop: use, wait, or refresh.
    /// The token when the machine has a valid one not yet due for refresh (nearly every
    /// call). Otherwise `None`, and the caller goes through [`Engine::token`].
    fn ready_token(&self, slot: &Slot) -> Option<AccessToken> {
        lock(&slot.machine).ready(now()).cloned()
    }

    fn token(&self, slot: &Slot, force: bool) -> Result<AccessToken, Error> {
        let mut force = force;
        let mut machine = lock(&slot.machine);
        loop {
            let now = now();
            let action = if force {
                machine.force_refresh(now)
            } else {
                machine.poll(now)?
            };
            match action {
                TokenAction::Ready(token) => return Ok(token),
                TokenAction::Wait { until } => {
                    let wait = Duration::from_secs(until.0.saturating_sub(now.0)).max(Duration::from_millis(20));
                    machine = slot
                        .refreshed
                        .wait_timeout(machine, wait)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                    force = false;
                }
                TokenAction::Refresh(ticket) => {
                    drop(machine);
                    let (result, transport_error) = self.refresh(slot, &ticket);
                    machine = lock(&slot.machine);
                    let outcome = machine.handle_refreshed(ticket, self::now(), result);
                    slot.refreshed.notify_all();
                    return match (outcome, transport_error) {
                        (Ok(token), _) => Ok(token),
                        (Err(_), Some(e)) => Err(e),
                        (Err(e), None) => Err(e.into()),
                    };
                }
            }
        }
    }

    /// Drives a [`RefreshFlow`] against the store and WeChat.
    fn refresh(&self, slot: &Slot, ticket: &RefreshTicket) -> (Result<StoredToken, wechat_core::Error>, Option<Error>) {
        let start = now();
        let local_fetches = {
            let mut local = lock(&slot.local);
            if local.0 != start.beijing_day() {
                *local = (start.beijing_day(), 0);
            }
            local.1
        };
        let owner = lease_owner(std::process::id(), &random16());
        let mut flow = RefreshFlow::new(
            ticket,
            slot.source.clone(),
            slot.keys.clone(),
            self.config.token.clone(),
            owner,
            start,
            local_fetches,
        );
        let store = &*self.store;
        let mut transport_error = None;
        loop {
            let step = flow.poll(now());
            let input = match step {
                RefreshStep::CompareAndDelete { key, expected } => {
                    store_input(store.compare_and_delete(&key, &expected), RefreshInput::Deleted)
                }
                RefreshStep::Read { key } => store_input(store.get(&key), RefreshInput::Read),
                RefreshStep::AcquireLease { key, owner, ttl } => {
                    store_input(store.set_nx(&key, &owner, ttl), RefreshInput::Lease)
                }
                RefreshStep::Count { key, ttl } => store_input(store.incr(&key, ttl), RefreshInput::Count),
                RefreshStep::Fetch(req) => {
                    self.token_fetches.fetch_add(1, Ordering::Relaxed);
                    lock(&slot.local).1 += 1;
                    let result = if req.token == TokenKind::None {
                        self.send(&req, None)
                    } else {
                        self.call(&Prepared(req))
                    };
                    match result {
                        Ok(resp) => RefreshInput::Fetched(resp),
                        Err(Error::Core(e)) => RefreshInput::FetchRejected(e),
                        Err(e) => {
                            let reason = e.to_string();
                            transport_error = Some(e);
                            RefreshInput::FetchFailed(reason)
                        }
                    }
                }
                RefreshStep::CompareAndSet {
                    key,
                    expected,
                    value,
                    ttl,
                } => store_input(
                    store.compare_and_set(&key, expected.as_deref(), &value, Some(ttl)),
                    RefreshInput::Set,
                ),
                RefreshStep::ReleaseLease { key, owner } => {
                    store_input(store.compare_and_delete(&key, &owner), |_| RefreshInput::Released)
                }
                RefreshStep::Sleep(d) => {
                    std::thread::sleep(d);
                    RefreshInput::Slept
                }
                RefreshStep::Done(result) => {
                    if flow.degraded() {
                        log::warn!(
                            "token store unavailable; {} uses a token kept in this process only",
                            slot.keys.token
                        );
                    }
                    return (result, transport_error);
                }
            };
            flow.handle(now(), input);
        }
    }
}

fn store_input<T>(r: Result<T, wechat_session::StoreError>, ok: impl FnOnce(T) -> RefreshInput) -> RefreshInput {
    match r {
        Ok(v) => ok(v),
        Err(e) => RefreshInput::StoreFailed(e.to_string()),
    }
}
