//! Async WeChat Official Account and WeCom API client (reqwest by default, or your own HTTP
//! client).
//!
//! ```text
//!  your code ──► WeChatClient ──► wechat-core call machine      every decision: token, lease,
//!                  │   ▲            (Session + Call)              store, quota, retry, replay
//!                  ▼   │ outputs: send / store op / wait / wake / done
//!     HttpClient (reqwest, or yours)   wechat-session (token store)   Clock (system, or virtual)
//! ```
//!
//! This crate is one loop (`Inner::run`): it moves bytes, runs store operations, sleeps
//! and reads the clock; `wechat-core` makes every decision, exactly as for the blocking
//! client. 1000 tasks calling at once on a cold token cause one token fetch.
//!
//! ```no_run
//! use wechat_async::WeChatClient;
//!
//! # async fn demo() -> Result<(), wechat_async::Error> {
//! let client = WeChatClient::new("wx_app_id", "app_secret");
//! let user = client.user().get("openid").await?;
//! println!("{:?}", user.nickname);
//! client.message().send_text("openid", "hello").await?;
//! # Ok(()) }
//! ```
//!
//! TLS is rustls: with the default `ring` feature the default client uses the ring provider
//! and the platform's certificate verifier, set up for that client alone (nothing
//! process-wide). Without it, pass your own `reqwest::Client` ([`Builder::http_client`]).
//!
//! With the `server` feature, [`server`] answers WeChat's callbacks (verification, messages,
//! encrypted replies) on hyper, as a tower service (axum) or from any framework, and
//! deduplicates WeChat's retries.
#![warn(missing_docs)]

mod http;
#[cfg(feature = "server")]
pub mod server;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;
use tracing::Instrument;

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
use wechat_session::{AsyncTokenStore, Clock, MemoryStore, SystemClock, random16};

/// Builds a client: credentials, then optional store, HTTP client, clock, API base, policies.
#[must_use]
pub struct Builder {
    credentials: Credentials,
    config: ClientConfig,
    store: Option<Arc<dyn AsyncTokenStore>>,
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
    pub fn store(mut self, store: Arc<dyn AsyncTokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The HTTP client: the `reqwest::Client` your server already has (its pool, proxy and
    /// TLS), or a closure. Default: reqwest with rustls, no redirects, the configured
    /// timeouts, no proxy from the environment unless [`ClientConfig::proxy_from_env`].
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

    fn inner(self) -> Result<Arc<Inner>, Error> {
        let http = match self.http {
            Some(http) => http,
            None => Arc::new(http::default_client(&self.config)?),
        };
        let limit = self.config.max_response_bytes;
        let mut session = Session::new(self.config, self.credentials.credential(), random16());
        for (role, credential) in self.extra {
            session.add(role, credential);
        }
        Ok(Arc::new(Inner {
            session: Mutex::new(session),
            woken: Notify::new(),
            http,
            store: self.store.unwrap_or_else(|| Arc::new(MemoryStore::new())),
            clock: self.clock,
            credentials: self.credentials,
            limit,
        }))
    }

    /// Builds an official-account client.
    ///
    /// # Errors
    /// [`ConfigError::Setup`](wechat_core::error::ConfigError::Setup) if the HTTP client
    /// cannot be set up; an invalid-argument error for WeCom credentials (use
    /// [`Builder::try_build_work`]).
    pub fn try_build(self) -> Result<WeChatClient, Error> {
        self.credentials.expect_mp()?;
        Ok(WeChatClient { inner: self.inner()? })
    }

    /// Builds an official-account client; panics where [`Builder::try_build`] errs (TLS set-up
    /// failure, as `reqwest::Client::new` does).
    pub fn build(self) -> WeChatClient {
        self.try_build().unwrap_or_else(|e| panic!("wechat-async: {e}"))
    }

    /// Builds a WeCom client.
    ///
    /// # Errors
    /// As [`Builder::try_build`].
    pub fn try_build_work(self) -> Result<work::WeChatClient, Error> {
        self.credentials.expect_work()?;
        Ok(work::WeChatClient { inner: self.inner()? })
    }

    /// Builds a WeCom client; panics where [`Builder::try_build_work`] errs.
    pub fn build_work(self) -> work::WeChatClient {
        self.try_build_work().unwrap_or_else(|e| panic!("wechat-async: {e}"))
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A client's shared part: the session (behind a lock taken only to poll or feed a call),
/// the notification waiting calls sleep on, and the I/O.
struct Inner {
    session: Mutex<Session>,
    woken: Notify,
    http: Arc<dyn HttpClient>,
    store: Arc<dyn AsyncTokenStore>,
    clock: Arc<dyn Clock>,
    credentials: Credentials,
    limit: usize,
}

/// Abandons a call that did not finish (its task was dropped mid-way), so other callers never
/// wait for a refresher that is gone.
struct Unfinished<'a>(&'a Inner, Option<Call>);

impl Drop for Unfinished<'_> {
    fn drop(&mut self) {
        if let Some(call) = self.1.take() {
            let abandoned = call.abandon(&mut lock(&self.0.session));
            if let (false, Ok(runtime)) = (abandoned.cleanup.is_empty(), tokio::runtime::Handle::try_current()) {
                let store = Arc::clone(&self.0.store);
                runtime.spawn(async move {
                    for op in abandoned.cleanup {
                        let _ = run_store(&*store, op).await;
                    }
                });
            }
            if abandoned.wake {
                self.0.woken.notify_waiters();
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

    /// The loop: act on each output of the call machine, feed back the answer. The session is
    /// locked only to poll and feed the call, never across an `.await`.
    async fn run(&self, start: impl FnOnce(&mut Session) -> Call) -> Result<Done, Error> {
        let mut unfinished = Unfinished(self, Some(start(&mut lock(&self.session))));
        let mut input = None;
        loop {
            let call = unfinished.1.as_mut().ok_or_else(|| Error::Misuse("no call".into()))?;
            let (output, woken) = {
                let mut session = lock(&self.session);
                if let Some(input) = input.take() {
                    call.handle(&mut session, self.now(), input);
                }
                let output = call.poll(&mut session, self.now());
                // Registered before the lock is released, so a wake-up in between is not lost.
                let woken = matches!(output, Output::Wait { .. }).then(|| self.woken.notified());
                (output, woken)
            };
            let span = call.span().clone();
            input = Some(match output {
                Output::Send(request) => Input::Response(self.send(request).instrument(span).await),
                Output::Store(op) => Input::Store(run_store(&*self.store, op).instrument(span).await),
                Output::Wait { until } => {
                    let wait = self.clock.wait(self.now().until(until));
                    if let Some(woken) = woken {
                        let _ = tokio::time::timeout(wait, woken).await;
                    }
                    continue;
                }
                Output::Wake => {
                    self.woken.notify_waiters();
                    continue;
                }
                Output::Done(result) => {
                    unfinished.1 = None;
                    return result;
                }
            });
        }
    }

    async fn send(&self, request: Outgoing) -> Result<ApiResponse, TransportError> {
        let request = request.into_http().map_err(|e| {
            // An invalid URL (API base) or header: nothing was sent.
            let mut e = TransportError::message(TransportErrorKind::Other, e.to_string());
            e.maybe_sent = false;
            e
        })?;
        self.http.send(request, self.limit).await.map(ApiResponse::from)
    }

    async fn call<E: Endpoint + ?Sized>(&self, endpoint: &E) -> Result<E::Output, Error> {
        let request = endpoint.request()?;
        let idempotency = request.idempotency;
        let done = self.run(|session| Call::new(session, request, random16())).await?;
        finish(endpoint, idempotency, done)
    }

    async fn token(&self, target: TokenTarget, force: bool) -> Result<(AccessToken, UnixTime), Error> {
        match self.run(|session| Call::token(session, target, force)).await? {
            Done::Token(token, expires_at) => Ok((token, expires_at)),
            Done::Response(_) => Err(Error::Misuse("a response where a token was expected".into())),
        }
    }
}

/// Runs one store operation; the error's message never holds a value.
async fn run_store(store: &dyn AsyncTokenStore, op: StoreOp) -> Result<StoreAnswer, String> {
    let answer = match op {
        StoreOp::Get { key } => store.get(&key).await.map(StoreAnswer::Value),
        StoreOp::SetNx { key, value, ttl } => store.set_nx(&key, &value, ttl).await.map(StoreAnswer::Bool),
        StoreOp::Set { key, value, ttl } => store.set(&key, &value, ttl).await.map(|()| StoreAnswer::Done),
        StoreOp::CompareAndDelete { key, expected } => {
            store.compare_and_delete(&key, &expected).await.map(StoreAnswer::Bool)
        }
        StoreOp::CompareAndSet {
            key,
            expected,
            value,
            ttl,
        } => store
            .compare_and_set(&key, expected.as_deref(), &value, ttl)
            .await
            .map(StoreAnswer::Bool),
        StoreOp::Incr { key, ttl } => store.incr(&key, ttl).await.map(StoreAnswer::Count),
        _ => return Err(String::from("a store operation this transport does not know")),
    };
    answer.map_err(|e| e.to_string())
}

wechat_core::client_types!(Inner, "A builder, for a shared store, a proxy, timeouts...");
wechat_core::client_methods!(async WeChatClient);
wechat_core::client_methods!(async work::WeChatClient);
