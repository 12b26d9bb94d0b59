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

use std::sync::{Arc, Condvar, Mutex, PoisonError};

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
use wechat_session::{Clock, MemoryStore, SystemClock, TokenStore, random16};

wechat_core::client_builder!(store: dyn TokenStore, http: Arc<dyn HttpClient>, clock: dyn Clock = SystemClock);

impl Builder {
    /// The HTTP client (default: a `ureq::Agent` with rustls, no redirects, the configured
    /// timeouts, no proxy from the environment unless
    /// [`ClientConfig::proxy_from_env`]). Yours keeps its own settings; the response cap
    /// still applies.
    pub fn http_client(mut self, http: impl HttpClient + 'static) -> Self {
        self.http = Some(Arc::new(http));
        self
    }

    fn inner(mut self) -> Result<Arc<Inner>, Error> {
        let http = self
            .http
            .take()
            .unwrap_or_else(|| Arc::new(http::default_agent(&self.config)));
        let limit = self.config.max_response_bytes;
        Ok(Arc::new(Inner {
            session: Mutex::new(self.session(random16())),
            woken: Condvar::new(),
            http,
            store: self.store.unwrap_or_else(|| Arc::new(MemoryStore::new())),
            clock: self.clock,
            credentials: self.credentials,
            limit,
        }))
    }
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
            let abandoned = call.abandon(&mut self.0.session());
            for op in abandoned.cleanup {
                let _ = wechat_session::machine::run(&*self.0.store, op);
            }
            if abandoned.wake {
                self.0.woken.notify_all();
            }
        }
    }
}

impl Inner {
    fn random(&self) -> [u8; 16] {
        random16()
    }

    /// The loop: act on each output of the call machine, feed back the answer. The session is
    /// locked only to poll and feed the call, never during I/O or parsing, and not at all for
    /// what needs nothing from it (an ordinary call's answer and result).
    fn run(&self, start: Start, parse: &mut dyn FnMut(ApiResponse) -> Result<(), Error>) -> Result<Done, Error> {
        let mut unfinished = Unfinished(self, None);
        let mut session = self.session();
        let call = unfinished.1.insert(Call::start(&mut session, start, random16));
        let mut output = call.poll(&mut session, self.now());
        let mut guard = Some(session);
        loop {
            let input = match output {
                Output::Send(request) => {
                    drop(guard.take());
                    Some(Input::Response(call.span().in_scope(|| self.send(request))))
                }
                Output::Store(op) => {
                    drop(guard.take());
                    Some(Input::Store(
                        call.span().in_scope(|| wechat_session::machine::run(&*self.store, op)),
                    ))
                }
                Output::Parse(response) => {
                    drop(guard.take());
                    Some(Input::Parsed(parse(response)))
                }
                // The wait releases the lock, and holds it again when woken.
                Output::Wait { until } => {
                    let wait = self.clock.wait(self.now().until(until));
                    let session = guard.take().unwrap_or_else(|| self.session());
                    guard = Some(
                        self.woken
                            .wait_timeout(session, wait)
                            .unwrap_or_else(PoisonError::into_inner)
                            .0,
                    );
                    None
                }
                Output::Wake => {
                    self.woken.notify_all();
                    None
                }
                Output::Done(result) => {
                    unfinished.1 = None;
                    return result;
                }
            };
            (output, guard) = match guard.take() {
                Some(mut session) => {
                    if let Some(input) = input {
                        call.handle(&mut session, self.now(), input);
                    }
                    (call.poll(&mut session, self.now()), Some(session))
                }
                None => call.advance(self.now(), input, || self.session()),
            };
        }
    }

    fn send(&self, request: Outgoing) -> Result<ApiResponse, TransportError> {
        let request = request.into_http().map_err(TransportError::unsent)?;
        self.http.send(request, self.limit).map(ApiResponse::from)
    }

    fn call<E: Endpoint + ?Sized>(&self, endpoint: &E) -> Result<E::Output, Error> {
        let mut value = None;
        let parse = &mut |response| endpoint.parse(response).map(|v| value = Some(v));
        self.run(Start::Api(endpoint.request()?), parse)?;
        value.ok_or_else(|| Error::Misuse("done without a parsed answer".into()))
    }

    fn token(&self, target: TokenTarget, force: bool) -> Result<(AccessToken, UnixTime), Error> {
        let no_parse = &mut |_| Err(Error::Misuse("a token call has no answer to parse".into()));
        match self.run(Start::Token(target, force), no_parse)? {
            Done::Token(token, expires_at) => Ok((token, expires_at)),
            Done::Parsed => Err(Error::Misuse("a response where a token was expected".into())),
        }
    }
}

wechat_core::client_types!(Inner, "A builder, for a shared store, a proxy, timeouts...");
wechat_core::client_methods!(blocking WeChatClient);
wechat_core::client_methods!(blocking work::WeChatClient);
