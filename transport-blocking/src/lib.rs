//! Blocking WeChat Official Account and WeCom API client.
//!
//! ```text
//!  your code ──► WeChatClient ──► wechat-core call machine      every decision: token, lease,
//!                  │   ▲            (Session + Call)              store, quota, retry, replay
//!                  ▼   │ outputs: send / store op / wait / wake / done
//!     HttpClient (ureq, or yours)   wechat-session (token store)   Clock (system, or virtual)
//! ```
//!
//! This crate is one loop (`Inner::run`): it moves bytes, runs store operations, sleeps
//! and reads the clock; `wechat-core` makes every decision, exactly as for the async client.
//!
//! ```no_run
//! use wechat_blocking::WeChatClient;
//!
//! let client = WeChatClient::new("wx_app_id", "app_secret");
//! let user = client.user().get("openid")?;
//! println!("{:?}", user.nickname);
//! let token = client.access_token()?; // fetched once, shared, refreshed ahead of expiry
//! # let _ = token;
//! # Ok::<(), wechat_blocking::Error>(())
//! ```
//!
//! Sharing one token between processes (gunicorn-style workers, cron jobs, several hosts) is a
//! matter of giving every client the same store:
//!
//! ```no_run
//! use wechat_blocking::WeChatClient;
//! let store = wechat_session::open("file:/var/cache/wechat/wx_app_id.json")?;
//! let client = WeChatClient::builder("wx_app_id", "app_secret").store(store).build();
//! # Ok::<(), wechat_session::StoreError>(())
//! ```
#![warn(missing_docs)]

mod http;

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

pub use http::HttpClient;
pub use wechat_core;
pub use wechat_core::Error;
pub use wechat_core::client::{ClientConfig, Credentials, MpTokenEndpoint};
pub use wechat_session;

use wechat_core::api::Endpoint;
use wechat_core::call::{Call, Done, Input, Output, Session, StoreAnswer, StoreOp, TokenTarget, finish};
use wechat_core::credential::Credential;
use wechat_core::error::{TransportError, TransportErrorKind};
use wechat_core::http::{ApiResponse, Outgoing, TokenKind};
use wechat_core::secret::AccessToken;
use wechat_core::time::{Timestamp, UnixTime};
use wechat_session::{Clock, MemoryStore, SystemClock, TokenStore, random16};

/// Builds a client: credentials, then optional store, HTTP client, clock, API base, policies.
#[must_use]
pub struct Builder {
    credentials: Credentials,
    config: ClientConfig,
    store: Option<Arc<dyn TokenStore>>,
    http: Option<Arc<dyn HttpClient>>,
    clock: Arc<dyn Clock>,
    extra: Vec<(TokenKind, Arc<dyn Credential>)>,
}

impl Builder {
    /// A builder for any credentials (mp or WeCom); finish with `build` or `build_work`.
    pub fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            config: ClientConfig::default(),
            store: None,
            http: None,
            clock: Arc::new(SystemClock),
            extra: Vec::new(),
        }
    }

    /// The token store shared with other clients and processes (default: a new
    /// [`MemoryStore`], i.e. this client only).
    pub fn store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The HTTP client (default: a `ureq::Agent` with rustls, no redirects, the configured
    /// timeouts, no proxy from the environment unless
    /// [`ClientConfig::proxy_from_env`]). Yours keeps its own settings; the response cap
    /// still applies.
    pub fn http_client(mut self, http: impl HttpClient + 'static) -> Self {
        self.http = Some(Arc::new(http));
        self
    }

    /// The clock (default: the system's). A [`ManualClock`](wechat_session::ManualClock)
    /// makes waits and expiries virtual.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    wechat_core::client_builder_methods!();

    fn inner(self) -> Arc<Inner> {
        let http = self.http.unwrap_or_else(|| Arc::new(http::default_agent(&self.config)));
        let limit = self.config.max_response_bytes;
        let mut session = Session::new(self.config, self.credentials.credential(), random16());
        for (role, credential) in self.extra {
            session.add(role, credential);
        }
        Arc::new(Inner {
            session: Mutex::new(session),
            woken: Condvar::new(),
            http,
            store: self.store.unwrap_or_else(|| Arc::new(MemoryStore::new())),
            clock: self.clock,
            credentials: self.credentials,
            limit,
        })
    }

    /// Builds an official-account client.
    ///
    /// # Panics
    /// If the credentials are WeCom's: use [`work::WeChatClient::builder`] for those.
    pub fn build(self) -> WeChatClient {
        self.credentials
            .expect_mp()
            .unwrap_or_else(|e| panic!("wechat-blocking: {e}"));
        WeChatClient { inner: self.inner() }
    }

    /// Builds a WeCom client.
    ///
    /// # Panics
    /// If the credentials are an official account's.
    pub fn build_work(self) -> work::WeChatClient {
        self.credentials
            .expect_work()
            .unwrap_or_else(|e| panic!("wechat-blocking: {e}"));
        work::WeChatClient { inner: self.inner() }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A client's shared part: the session (behind a lock taken only to poll or feed a call),
/// the condition variable waiting calls sleep on, and the I/O.
struct Inner {
    session: Mutex<Session>,
    woken: Condvar,
    http: Arc<dyn HttpClient>,
    store: Arc<dyn TokenStore>,
    clock: Arc<dyn Clock>,
    credentials: Credentials,
    /// The response cap.
    limit: usize,
}

/// Abandons a call that did not finish (a panic in a store or an HTTP client unwinds
/// through [`Inner::run`]), so other callers never wait for a refresher that is gone.
struct Unfinished<'a>(&'a Inner, Option<Call>);

impl Drop for Unfinished<'_> {
    fn drop(&mut self) {
        if let Some(call) = self.1.take() {
            let abandoned = call.abandon(&mut lock(&self.0.session));
            for op in abandoned.cleanup {
                let _ = run_store(&*self.0.store, op);
            }
            if abandoned.wake {
                self.0.woken.notify_all();
            }
        }
    }
}

impl Inner {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.clock.unix_millis())
    }

    fn random(&self) -> [u8; 16] {
        random16()
    }

    fn token_fetches(&self) -> u64 {
        lock(&self.session).token_fetches()
    }

    fn config(&self) -> ClientConfig {
        lock(&self.session).config().clone()
    }

    /// The loop: act on each output of the call machine, feed back the answer.
    fn run(&self, start: impl FnOnce(&mut Session) -> Call) -> Result<Done, Error> {
        let mut unfinished = Unfinished(self, None);
        let mut session = lock(&self.session);
        let call = unfinished.1.insert(start(&mut session));
        loop {
            let input = match call.poll(&mut session, self.now()) {
                Output::Send(request) => {
                    drop(session);
                    let answer = call.span().in_scope(|| self.send(request));
                    session = lock(&self.session);
                    Input::Response(answer)
                }
                Output::Store(op) => {
                    drop(session);
                    let answer = call.span().in_scope(|| run_store(&*self.store, op));
                    session = lock(&self.session);
                    Input::Store(answer)
                }
                Output::Wait { until } => {
                    let wait = self.clock.wait(self.now().until(until));
                    session = self
                        .woken
                        .wait_timeout(session, wait)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                    continue;
                }
                Output::Wake => {
                    self.woken.notify_all();
                    continue;
                }
                Output::Done(result) => {
                    unfinished.1 = None;
                    return result;
                }
            };
            call.handle(&mut session, self.now(), input);
        }
    }

    fn send(&self, request: Outgoing) -> Result<ApiResponse, TransportError> {
        let request = request.into_http().map_err(|e| {
            // An invalid URL (API base) or header: nothing was sent.
            let mut e = TransportError::message(TransportErrorKind::Other, e.to_string());
            e.maybe_sent = false;
            e
        })?;
        self.http.send(request, self.limit).map(ApiResponse::from)
    }

    fn call<E: Endpoint + ?Sized>(&self, endpoint: &E) -> Result<E::Output, Error> {
        let request = endpoint.request()?;
        let idempotency = request.idempotency;
        let done = self.run(|session| Call::new(session, request, random16()))?;
        finish(endpoint, idempotency, done)
    }

    fn token(&self, target: TokenTarget, force: bool) -> Result<(AccessToken, UnixTime), Error> {
        match self.run(|session| Call::token(session, target, force))? {
            Done::Token(token, expires_at) => Ok((token, expires_at)),
            Done::Response(_) => Err(Error::Misuse("a response where a token was expected".into())),
        }
    }
}

/// Runs one store operation; the error's message never holds a value.
fn run_store(store: &dyn TokenStore, op: StoreOp) -> Result<StoreAnswer, String> {
    let answer = match op {
        StoreOp::Get { key } => store.get(&key).map(StoreAnswer::Value),
        StoreOp::SetNx { key, value, ttl } => store.set_nx(&key, &value, ttl).map(StoreAnswer::Bool),
        StoreOp::Set { key, value, ttl } => store.set(&key, &value, ttl).map(|()| StoreAnswer::Done),
        StoreOp::CompareAndDelete { key, expected } => store.compare_and_delete(&key, &expected).map(StoreAnswer::Bool),
        StoreOp::CompareAndSet {
            key,
            expected,
            value,
            ttl,
        } => store
            .compare_and_set(&key, expected.as_deref(), &value, ttl)
            .map(StoreAnswer::Bool),
        StoreOp::Incr { key, ttl } => store.incr(&key, ttl).map(StoreAnswer::Count),
        _ => return Err(String::from("a store operation this transport does not know")),
    };
    answer.map_err(|e| e.to_string())
}

wechat_core::client_types!(Inner, "A builder, for a shared store, a proxy, timeouts...");
wechat_core::client_methods!(blocking WeChatClient);
wechat_core::client_methods!(blocking work::WeChatClient);
