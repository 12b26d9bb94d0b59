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
//! This crate is one loop (`Inner::drive`): it moves bytes, runs store operations, sleeps
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

use std::sync::{Arc, Mutex};

use tokio::sync::Notify;
use tokio::sync::futures::Notified;

/// A registered wake-up.
type Woken<'a> = std::pin::Pin<Box<Notified<'a>>>;

pub use http::HttpClient;
pub use wechat_core;
pub use wechat_core::Error;
pub use wechat_core::client::{ClientConfig, Credentials, MpTokenEndpoint};
pub use wechat_session;

use wechat_core::api::Endpoint;
use wechat_core::call::{Call, Done, Input, Output, Session, Start, TokenTarget};
use wechat_core::error::TransportError;
use wechat_core::http::{ApiResponse, Outgoing};
use wechat_core::secret::AccessToken;
use wechat_core::time::UnixTime;
use wechat_session::{AsyncTokenStore, Clock, MemoryStore, SystemClock, random16};

wechat_core::client_builder!(store: dyn AsyncTokenStore, http: Http, clock: dyn Clock = SystemClock);

impl Builder {
    /// The HTTP client: the `reqwest::Client` your server already has (its pool, proxy and
    /// TLS), or a closure. Default: reqwest with rustls, no redirects, the configured
    /// timeouts, no proxy from the environment unless [`ClientConfig::proxy_from_env`].
    pub fn http_client<H: HttpClient + 'static>(mut self, http: H) -> Self {
        // A reqwest client is called directly (no boxed future per request).
        let any: &dyn std::any::Any = &http;
        self.http = Some(match any.downcast_ref::<reqwest::Client>() {
            Some(client) => Http::Reqwest(client.clone()),
            None => Http::Other(Arc::new(http)),
        });
        self
    }

    fn inner(mut self) -> Result<Arc<Inner>, Error> {
        let http = match self.http.take() {
            Some(http) => http,
            None => Http::Reqwest(http::default_client(&self.config)?),
        };
        let limit = self.config.max_response_bytes;
        Ok(Arc::new(Inner {
            session: Mutex::new(self.session(random16())),
            woken: Notify::new(),
            http,
            store: self.store.unwrap_or_else(|| Arc::new(MemoryStore::new())),
            clock: self.clock,
            credentials: self.credentials,
            limit,
        }))
    }
}

/// An answer on its way from a client of the user's.
type Sending<'a> = wechat_session::BoxFuture<'a, Result<::http::Response<bytes::Bytes>, TransportError>>;

/// The HTTP client: reqwest's is called directly, any other through its trait object.
enum Http {
    Reqwest(reqwest::Client),
    Other(Arc<dyn HttpClient>),
}

/// A client's shared part: the session (behind a lock taken only to poll or feed a call),
/// the notification waiting calls sleep on, and the I/O.
struct Inner {
    session: Mutex<Session>,
    woken: Notify,
    http: Http,
    store: Arc<dyn AsyncTokenStore>,
    clock: Arc<dyn Clock>,
    credentials: Credentials,
    limit: usize,
}

/// Abandons a call that did not finish (its task was dropped mid-way), so other callers never
/// wait for a refresher that is gone.
struct Unfinished<'a>(&'a Inner, Option<Box<Call>>);

impl Drop for Unfinished<'_> {
    fn drop(&mut self) {
        if let Some(call) = self.1.take() {
            let abandoned = call.abandon(&mut self.0.session());
            if let (false, Ok(runtime)) = (abandoned.cleanup.is_empty(), tokio::runtime::Handle::try_current()) {
                let store = Arc::clone(&self.0.store);
                runtime.spawn(async move {
                    for op in abandoned.cleanup {
                        let _ = wechat_session::machine::run_async(&*store, op).await;
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
    fn random(&self) -> [u8; 16] {
        random16()
    }

    /// Starts a call: makes it and polls it once, under one lock.
    fn start(&self, start: Start) -> Running<'_> {
        let mut session = self.session();
        let mut call = Box::new(Call::start(&mut session, start, random16));
        let output = call.poll(&mut session, self.now());
        let woken = self.register(&output);
        Running {
            unfinished: Unfinished(self, Some(call)),
            output: Some(output),
            woken,
        }
    }

    /// Hands a request to a client of the user's; the future holds only what waits.
    fn send_other<'a>(&self, client: &'a Arc<dyn HttpClient>, request: Outgoing) -> Sending<'a> {
        match request.into_http() {
            Ok(request) => client.send(request, self.limit),
            Err(e) => Box::pin(std::future::ready(Err(TransportError::unsent(e)))),
        }
    }

    /// A wake-up for a wait, registered before the session's lock is released, so a wake-up
    /// in between is not lost. Boxed: waiting is rare, and its state would otherwise be part
    /// of every call's future.
    fn register(&self, output: &Output) -> Option<Woken<'_>> {
        matches!(output, Output::Wait { .. }).then(|| Box::pin(self.woken.notified()))
    }

    /// The loop: acts on each output of the call machine and feeds back the answer, until the
    /// endpoint must parse an answer or the call is done. The session is locked only to poll
    /// and feed the call, never across an `.await`, and not at all for what needs nothing from
    /// it (an ordinary call's answer and result).
    async fn drive<'a>(&'a self, running: &mut Running<'a>) -> Result<Result<ApiResponse, Done>, Error> {
        loop {
            let Some(output) = running.output.take() else {
                return Err(Error::Misuse("the call is over".into()));
            };
            let input = match output {
                // The request is handed to the HTTP client before the `.await` (the future holds
                // only what waits). The machine enters the call's span at each step; the I/O is
                // not wrapped (entering a span costs on every poll).
                Output::Send(request) => {
                    let answer = match &self.http {
                        Http::Reqwest(client) => http::send_outgoing(client, request, self.limit).await,
                        Http::Other(client) => self.send_other(client, request).await,
                    };
                    Some(Input::Response(answer.map(ApiResponse::from)))
                }
                // Rare (a refresh, a wait): boxed, so that every call's future stays small.
                Output::Store(op) => Some(Input::Store(
                    Box::pin(wechat_session::machine::run_async(&*self.store, op)).await,
                )),
                Output::Parse(response) => return Ok(Ok(response)),
                Output::Wait { until } => {
                    if let Some(woken) = running.woken.take() {
                        let wait = self.clock.wait(self.now().until(until));
                        let _ = Box::pin(tokio::time::timeout(wait, woken)).await;
                    }
                    None
                }
                Output::Wake => {
                    self.woken.notify_waiters();
                    None
                }
                Output::Done(result) => {
                    running.unfinished.1 = None;
                    return result.map(Err);
                }
            };
            running.advance(input)?;
        }
    }

    async fn call<E: Endpoint + Sync + ?Sized>(&self, endpoint: &E) -> Result<E::Output, Error>
    where
        E::Output: Send,
    {
        let mut running = self.start(Start::Api(endpoint.request()?));
        loop {
            let Ok(response) = self.drive(&mut running).await? else {
                return Err(Error::Misuse("done without a parsed answer".into()));
            };
            // The value is made after the last `.await` and returned at once: never part of
            // the future's state. An endpoint's `Ok` ends the call.
            match endpoint.parse(response) {
                Ok(value) => {
                    running.advance(Some(Input::Parsed(Ok(()))))?;
                    running.unfinished.1 = None;
                    return Ok(value);
                }
                Err(e) => running.advance(Some(Input::Parsed(Err(e))))?,
            }
        }
    }

    async fn token(&self, target: TokenTarget, force: bool) -> Result<(AccessToken, UnixTime), Error> {
        match self.drive(&mut self.start(Start::Token(target, force))).await? {
            Err(Done::Token(token, expires_at)) => Ok((token, expires_at)),
            _ => Err(Error::Misuse("a response where a token was expected".into())),
        }
    }
}

/// A call in progress: the call (abandoned if dropped unfinished), its next output, and the
/// wake-up registered for a wait.
struct Running<'a> {
    unfinished: Unfinished<'a>,
    output: Option<Output>,
    woken: Option<Woken<'a>>,
}

impl Running<'_> {
    /// Feeds `input` (if any) to the call and keeps its next output.
    fn advance(&mut self, input: Option<Input>) -> Result<(), Error> {
        let (inner, Some(call)) = (self.unfinished.0, self.unfinished.1.as_mut()) else {
            return Err(Error::Misuse("the call is over".into()));
        };
        let (output, guard) = call.advance(inner.now(), input, || inner.session());
        self.woken = guard.and_then(|_guard| inner.register(&output));
        self.output = Some(output);
        Ok(())
    }
}

wechat_core::client_types!(Inner, "A builder, for a shared store, a proxy, timeouts...");
wechat_core::client_methods!(async WeChatClient);
wechat_core::client_methods!(async work::WeChatClient);
