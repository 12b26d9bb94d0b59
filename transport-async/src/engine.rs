//! The glue: moves bytes with reqwest, reads the clock, draws randomness, talks to the token
//! store, and follows the core's decisions. No protocol logic lives here; the blocking client's
//! engine is the same loop without `.await`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use tokio::sync::Notify;
use wechat_core::api::{Endpoint, Prepared};
use wechat_core::call::{CallState, Decision, TransportDecision};
use wechat_core::client::{ClientConfig, Credentials};
use wechat_core::error::{ConfigError, ResponseError};
use wechat_core::http::{ApiRequest, ApiResponse, Method, TokenKind};
use wechat_core::secret::AccessToken;
use wechat_core::time::UnixTime;
use wechat_core::token::{
    RefreshFlow, RefreshInput, RefreshStep, RefreshTicket, StoredToken, TicketKind, TokenAction, TokenKeys,
    TokenMachine, TokenSource, lease_owner,
};
use wechat_session::AsyncTokenStore;

use crate::error::{Error, transport};

pub(crate) fn now() -> UnixTime {
    UnixTime(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    )
}

/// 16 random bytes from the OS generator, which is read 512 bytes at a time per thread: one
/// `getrandom` call per 32 draws instead of one per callback reply, where it was a third of
/// the server's system calls per request. The bytes are the OS generator's, each handed out
/// once (and wiped from the pool when taken), never twice across a `fork`.
///
/// # Panics
/// When the operating system cannot provide random bytes: there is no safe substitute (a
/// clock is guessable), so this fails loudly.
pub(crate) fn random16() -> [u8; 16] {
    thread_local! {
        static RANDOM: std::cell::RefCell<Pool> = const { std::cell::RefCell::new(Pool::EMPTY) };
    }
    RANDOM.with_borrow_mut(|pool| pool.draw(std::process::id(), getrandom::fill))
}

/// A per-thread pool of OS random bytes, tagged with the process that filled it: a forked
/// child inherits a copy of its parent's pool, and the parent would hand out the same bytes
/// next, so a pool filled by another process is thrown away (checking the pid costs one
/// `getpid`, about 0.2 µs, per draw).
#[derive(Clone)]
struct Pool {
    bytes: [u8; Pool::SIZE],
    used: usize,
    pid: u32,
}

impl Pool {
    const SIZE: usize = 512;
    const EMPTY: Pool = Pool {
        bytes: [0; Pool::SIZE],
        used: Pool::SIZE,
        pid: 0,
    };

    fn draw(&mut self, pid: u32, fill: impl FnOnce(&mut [u8]) -> Result<(), getrandom::Error>) -> [u8; 16] {
        if self.used == Self::SIZE || self.pid != pid {
            if let Err(e) = fill(&mut self.bytes) {
                panic!("the operating system's random number generator failed: {e}");
            }
            self.used = 0;
            self.pid = pid;
        }
        let mut out = [0u8; 16];
        let taken = &mut self.bytes[self.used..self.used + 16];
        out.copy_from_slice(taken);
        taken.fill(0);
        self.used += 16;
        out
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One cached credential (the access token, or a ticket) and its waiters.
struct Slot {
    machine: Mutex<TokenMachine>,
    refreshed: Notify,
    source: TokenSource,
    keys: TokenKeys,
    /// (China day, fetches that day) for the budget when the store is unavailable.
    local: Mutex<(u64, u64)>,
}

impl Slot {
    fn new(source: TokenSource, keys: TokenKeys, config: &ClientConfig) -> Self {
        Self {
            machine: Mutex::new(TokenMachine::new(config.token.clone())),
            refreshed: Notify::new(),
            source,
            keys,
            local: Mutex::new((0, 0)),
        }
    }
}

/// Frees the in-flight refresh if the refreshing task is dropped mid-way.
struct RefreshGuard<'a> {
    slot: &'a Slot,
    ticket: Option<RefreshTicket>,
}

impl Drop for RefreshGuard<'_> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            lock(&self.slot.machine).abandon(ticket);
            self.slot.refreshed.notify_waiters();
        }
    }
}

pub(crate) struct Engine {
    http: reqwest::Client,
    base: String,
    config: ClientConfig,
    credentials: Credentials,
    store: Arc<dyn AsyncTokenStore>,
    access: Slot,
    tickets: Mutex<HashMap<TicketKind, Arc<Slot>>>,
    token_fetches: AtomicU64,
}

impl Engine {
    pub(crate) fn new(
        credentials: Credentials,
        config: ClientConfig,
        store: Arc<dyn AsyncTokenStore>,
    ) -> Result<Self, Error> {
        #[cfg(feature = "ring")]
        {
            // Ignored when the application already installed a provider.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("wechat-rs/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Setup(e.to_string()))?;
        let base = config
            .api_base
            .clone()
            .unwrap_or_else(|| credentials.default_api_base().to_string());
        let access = Slot::new(
            credentials.token_source(),
            credentials.token_keys(&config.store_prefix),
            &config,
        );
        Ok(Self {
            http,
            base,
            config,
            credentials,
            store,
            access,
            tickets: Mutex::new(HashMap::new()),
            token_fetches: AtomicU64::new(0),
        })
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

    /// Sends one request: no retries, no token logic. The body is read up to the size cap.
    async fn send(&self, req: &ApiRequest, token: Option<&AccessToken>) -> Result<ApiResponse, Error> {
        // Straight to a reqwest request: the URL is parsed once (through `http::Request` it
        // would be parsed, printed and parsed again).
        let method = match req.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
        };
        let mut builder = self.http.request(method, req.url(&self.base, token));
        if let Some(body) = &req.body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, body.content_type.as_ref())
                .body(body.bytes.clone());
        }
        let request = builder.build().map_err(|_| {
            Error::Core(ConfigError::InvalidArgument(format!("invalid API base URL {:?}", self.base)).into())
        })?;
        // Scrubbed from transport errors (the token is in the URL).
        let secret = token.map(AccessToken::secret);
        let secrets = secret.as_slice();
        let mut resp = self.http.execute(request).await.map_err(|e| transport(e, secrets))?;
        let limit = self.config.max_response_bytes;
        if resp.content_length().is_some_and(|len| len > limit as u64) {
            return Err(Error::Core(ResponseError::TooLarge { limit }.into()));
        }
        let header = |name: reqwest::header::HeaderName| {
            resp.headers().get(name).and_then(|v| v.to_str().ok()).map(String::from)
        };
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let content_disposition = header(reqwest::header::CONTENT_DISPOSITION);
        let status = resp.status().as_u16();
        // Chunk by chunk (`bytes()` does the same, with a future several times this loop's
        // size). A body that arrives as one chunk, as small answers do, is handed over as it
        // is, without a copy; more chunks are gathered into one buffer.
        let (mut first, mut gathered, mut len) = (None::<Bytes>, BytesMut::new(), 0);
        while let Some(chunk) = resp.chunk().await.map_err(|e| transport(e, secrets))? {
            len += chunk.len();
            if len > limit {
                return Err(Error::Core(ResponseError::TooLarge { limit }.into()));
            }
            match first.take() {
                None if gathered.is_empty() => first = Some(chunk),
                earlier => {
                    if let Some(earlier) = earlier {
                        let expected = resp.content_length().map_or(0, |n| n as usize);
                        gathered.reserve(expected.max(len).min(limit));
                        gathered.extend_from_slice(&earlier);
                    }
                    gathered.extend_from_slice(&chunk);
                }
            }
        }
        let body = first.unwrap_or_else(|| gathered.freeze());
        Ok(ApiResponse {
            status,
            content_type,
            content_disposition,
            body,
        })
    }

    /// Runs an endpoint through the token and retry pipeline.
    pub(crate) async fn call<E: Endpoint + Sync + ?Sized>(&self, endpoint: &E) -> Result<E::Output, Error> {
        let req = endpoint.request()?;
        let mut state = CallState::new(&req, self.config.call.clone());
        loop {
            let token = match req.token {
                TokenKind::None => None,
                _ => Some(match self.ready_token(&self.access) {
                    Some(token) => token,
                    // Boxed: waiting for or running a refresh is rare, and its state would
                    // otherwise be part of every call's future.
                    None => Box::pin(self.token(&self.access, false)).await?,
                }),
            };
            let delay = match self.send(&req, token.as_ref()).await {
                Ok(resp) => match state.on_result(endpoint.parse(resp)) {
                    Decision::Done(result) => return result.map_err(Error::from),
                    Decision::ReplayWithFreshToken => {
                        if let Some(t) = &token {
                            lock(&self.access.machine).invalidate(t);
                        }
                        continue;
                    }
                    Decision::RetryAfter(delay) => delay,
                },
                Err(e @ Error::Transport { .. }) => match state.on_transport_error() {
                    TransportDecision::RetryAfter(delay) => delay,
                    TransportDecision::GiveUp => return Err(e),
                },
                Err(e) => return Err(e),
            };
            Box::pin(tokio::time::sleep(delay)).await;
        }
    }

    /// The token when the machine has a valid one not yet due for refresh (nearly every
    /// call): no future state, no waiting. Otherwise `None`, and the caller goes through
    /// [`Engine::token`].
    fn ready_token(&self, slot: &Slot) -> Option<AccessToken> {
        lock(&slot.machine).ready(now()).cloned()
    }

    pub(crate) async fn access_token(&self) -> Result<AccessToken, Error> {
        self.token(&self.access, false).await
    }

    pub(crate) async fn access_token_info(&self, force: bool) -> Result<(AccessToken, UnixTime), Error> {
        let token = self.token(&self.access, force).await?;
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

    pub(crate) async fn ticket(&self, kind: TicketKind) -> Result<AccessToken, Error> {
        let slot = self.ticket_slot(kind);
        self.token(&slot, false).await
    }

    /// The token machine loop: use, wait, or refresh.
    async fn token(&self, slot: &Slot, force: bool) -> Result<AccessToken, Error> {
        let mut force = force;
        loop {
            // Created before looking at the state, so a refresh finishing in between is not
            // missed: a `Notified` receives every `notify_waiters` from its creation on, with
            // no registration (which would lock the waiter list on every call).
            let notified = slot.refreshed.notified();
            let now = now();
            let action = {
                let mut machine = lock(&slot.machine);
                if force {
                    machine.force_refresh(now)
                } else {
                    machine.poll(now)?
                }
            };
            match action {
                TokenAction::Ready(token) => return Ok(token),
                TokenAction::Wait { until } => {
                    let wait = Duration::from_secs(until.0.saturating_sub(now.0)).max(Duration::from_millis(20));
                    let _ = tokio::time::timeout(wait, notified).await;
                    force = false;
                }
                TokenAction::Refresh(ticket) => {
                    let mut guard = RefreshGuard {
                        slot,
                        ticket: Some(ticket.clone()),
                    };
                    // Boxed: a refresh is rare and its state is large; every call's future
                    // would otherwise carry it.
                    let (result, transport_error) = Box::pin(self.refresh(slot, &ticket)).await;
                    guard.ticket = None;
                    let outcome = lock(&slot.machine).handle_refreshed(ticket, self::now(), result);
                    slot.refreshed.notify_waiters();
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
    async fn refresh(
        &self,
        slot: &Slot,
        ticket: &RefreshTicket,
    ) -> (Result<StoredToken, wechat_core::Error>, Option<Error>) {
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
                    store_input(store.compare_and_delete(&key, &expected).await, RefreshInput::Deleted)
                }
                RefreshStep::Read { key } => store_input(store.get(&key).await, RefreshInput::Read),
                RefreshStep::AcquireLease { key, owner, ttl } => {
                    store_input(store.set_nx(&key, &owner, ttl).await, RefreshInput::Lease)
                }
                RefreshStep::Count { key, ttl } => store_input(store.incr(&key, ttl).await, RefreshInput::Count),
                RefreshStep::Fetch(req) => {
                    self.token_fetches.fetch_add(1, Ordering::Relaxed);
                    lock(&slot.local).1 += 1;
                    let result = if req.token == TokenKind::None {
                        self.send(&req, None).await
                    } else {
                        Box::pin(self.call(&Prepared(req))).await
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
                    store
                        .compare_and_set(&key, expected.as_deref(), &value, Some(ttl))
                        .await,
                    RefreshInput::Set,
                ),
                RefreshStep::ReleaseLease { key, owner } => {
                    store_input(store.compare_and_delete(&key, &owner).await, |_| RefreshInput::Released)
                }
                RefreshStep::Sleep(d) => {
                    tokio::time::sleep(d).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_random_draws_never_repeat() {
        // Many pool refills, on two threads: every draw is fresh.
        let draw = || (0..2_000).map(|_| random16()).collect::<Vec<_>>();
        let other = std::thread::spawn(draw);
        let mut all = draw();
        all.extend(other.join().unwrap());
        let distinct: std::collections::HashSet<_> = all.iter().collect();
        assert_eq!(distinct.len(), all.len());
        assert!(!all.contains(&[0; 16]));
    }

    #[test]
    fn a_forked_child_never_repeats_its_parents_draws() {
        let os = getrandom::fill;
        let mut parent = Pool::EMPTY;
        let first = parent.draw(100, os);
        // A fork copies the thread's memory: the child starts with the parent's pool.
        let mut child = parent.clone();
        let parents: Vec<_> = (0..40).map(|_| parent.draw(100, os)).collect();
        let childs: Vec<_> = (0..40).map(|_| child.draw(200, os)).collect();
        assert!(!parents.contains(&first));
        for draw in &childs {
            assert!(!parents.contains(draw) && *draw != first);
        }
    }

    #[test]
    #[should_panic(expected = "random number generator failed")]
    fn no_randomness_fails_loudly() {
        let mut pool = Pool::EMPTY;
        pool.draw(1, |_| Err(getrandom::Error::UNSUPPORTED));
    }
}
