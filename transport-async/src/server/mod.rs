//! The callback (webhook) server: WeChat pushes messages and events to your URL, you answer
//! with a passive reply. Feature `server`.
//!
//! ```text
//!  WeChat ──HTTP──► CallbackServer ──► CallbackHandler (wechat-core, pure)   verify, decrypt, parse
//!                     │  body limit,        │
//!                     │  read timeouts      ▼
//!                     │                  dedup (AsyncTokenStore) ──► your async fn(Message) -> Option<Reply>
//!                     ◄──────────────── render, encrypt ◄───────────────────┘
//! ```
//!
//! [`CallbackServer`] wraps the sans-IO [`CallbackHandler`] with what a real endpoint needs:
//!
//! - **Hostile clients.** Bodies over the limit get 413 before more is read (a declared
//!   `Content-Length` is checked first); a client that dribbles its headers is cut off by the
//!   header read timeout (also between keep-alive requests), one that stalls mid-body gets 408
//!   after the body read timeout, one that stops reading its replies is dropped after the write
//!   timeout; forged or stale requests get 403, malformed ones 400 (see
//!   [`CallbackResponse::rejected`]), other methods 405. Client garbage never causes a 5xx, and
//!   one connection never holds up another; at most [`Builder::max_connections`] are open at
//!   once (the rest wait in the backlog), and bodies waiting for verification share a budget
//!   ([`Builder::max_buffered_bytes`]; over it, 429). Large bodies are verified and decrypted
//!   on tokio's blocking pool, off the connection tasks.
//! - **WeChat's retries.** WeChat resends a callback up to three times when no answer comes
//!   within 5 s. With deduplication on (the default) your handler runs once per message: a retry
//!   that arrives after the reply is ready gets the same reply (encrypted afresh with the retry's
//!   own timestamp and nonce), one that arrives while the handler still runs gets `success` (no
//!   reply, no further retries). A retry is the same plaintext: messages match by `MsgId`,
//!   events by a digest of every element ([`Message::dedup_key`]), and each endpoint (receive
//!   id and token) has its own scope, so two agents sharing a store never answer each other's
//!   events. Marks outlive the timestamp window twice over, so a replay the handler still
//!   accepts is answered from the store. The marks live in an [`AsyncTokenStore`]: the default
//!   [`MemoryStore`] covers one process; give several instances behind a load balancer one
//!   shared store (Redis) with [`Builder::dedup_store`]. A failing store is logged and the
//!   message handled without deduplication, never answered with a 5xx.
//! - **Your handler.** It runs on its own tokio task, so it finishes (and its reply is stored
//!   for the retries) even when WeChat gives up waiting and closes the connection. A panic in
//!   it is caught and logged, and the request is answered `200 success` (with `panic = "abort"`
//!   builds nothing can be caught).
//!
//! Three ways to mount it:
//!
//! 1. its own accept loop: [`CallbackServer::serve`] / [`CallbackServer::serve_with_shutdown`]
//!    on a [`TcpListener`](tokio::net::TcpListener) (hyper, HTTP/1.1, keep-alive);
//! 2. a tower service: `CallbackServer` implements `tower_service::Service<http::Request<B>>`,
//!    so `axum::Router::route_service("/wechat", server)` mounts it (body limit and timeouts
//!    included), as does anything else that takes tower services;
//! 3. plain values for any framework: [`CallbackServer::handle`]`(method, query, body)` returns
//!    an [`http::Response`]`<String>`. The framework reads the body, so its limits and
//!    timeouts apply (the handler still answers 413 above the configured limit).
//!    `examples/axum_echo.rs` shows the axum handler form:
//!
//! ```no_run
//! # use wechat_async::server::CallbackServer;
//! use axum::{body::Bytes, extract::{RawQuery, State}, http::Method};
//!
//! async fn wechat(
//!     State(server): State<CallbackServer>,
//!     method: Method,
//!     RawQuery(query): RawQuery,
//!     body: Bytes,
//! ) -> http::Response<String> {
//!     server.handle(method.as_str(), query.as_deref().unwrap_or(""), &body).await
//! }
//! ```
//!
//! # Example: an echo bot
//!
//! ```no_run
//! use wechat_async::server::{CallbackConfig, CallbackHandler, CallbackServer, Message, Mode, Reply};
//! use wechat_async::wechat_core::message::Body;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let key = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"; // the console's EncodingAESKey
//!     let config = CallbackConfig::mp_encrypted(Mode::Safe, "callback-token", key, "wx_app_id")?;
//!     let server = CallbackServer::new(CallbackHandler::new(config)?, |msg: Message| async move {
//!         match &msg.body {
//!             Body::Text(text) => Some(Reply::text(&msg, text.content.clone().unwrap_or_default())),
//!             _ => None, // answered `success`: no reply
//!         }
//!     });
//!     let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//!     server.serve(listener).await?;
//!     Ok(())
//! }
//! ```
//!
//! Everything needs a tokio runtime (the handler is spawned on it). Nothing here logs or
//! answers with the callback token or the EncodingAESKey.

mod dedup;
mod serve;

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::any::Any;
use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ALLOW, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use http::{Method, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;
use wechat_core::callback::{Inbound, ReplyContext};
use wechat_core::error::CallbackError;
use wechat_core::time::UnixTime;
use wechat_session::{AsyncTokenStore, BoxFuture, Clock, MemoryStore, SystemClock};

pub use wechat_core::callback::{CallbackConfig, CallbackHandler, CallbackResponse, Mode};
pub use wechat_core::message::{Kind, Message};
pub use wechat_core::reply::Reply;

use dedup::{Claim, Dedup};

/// The default for [`Builder::header_read_timeout`] and [`Builder::body_read_timeout`].
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The default for [`Builder::write_timeout`].
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// The default for [`Builder::dedup_ttl`]: twice the handler's default timestamp window, and
/// the default for any window up to 300 s (or none); longer windows get twice their length.
/// A mark outlives every request the handler still accepts, so a replay is answered from the
/// store, never handled again.
pub const DEFAULT_DEDUP_TTL: Duration = Duration::from_secs(600);
/// The default for [`Builder::max_buffered_bytes`]: request bodies held before verification,
/// across all connections.
pub const DEFAULT_MAX_BUFFERED_BYTES: usize = 64 << 20;
/// Bodies larger than this are verified, decrypted and parsed on tokio's blocking pool;
/// smaller ones take microseconds and stay on the connection task.
const INLINE_BODY_MAX: usize = 64 * 1024;
/// How many messages the default in-memory deduplication store remembers. WeChat retries
/// within about 15 s, so at any realistic rate this covers the retry window many times over,
/// while memory stays bounded under a flood (the oldest marks go first). Give the builder a
/// shared store ([`Builder::dedup_store`]) for several instances.
pub const DEFAULT_DEDUP_CAPACITY: usize = 16_384;

/// The default cap on open connections of [`CallbackServer::serve`].
pub const DEFAULT_MAX_CONNECTIONS: usize = 4_096;
/// The default for [`Builder::key_prefix`].
pub const DEFAULT_KEY_PREFIX: &str = "wechat";

type OnMessage = dyn Fn(Message) -> BoxFuture<'static, Option<Reply>> + Send + Sync;

/// Configures a [`CallbackServer`]: limits, timeouts and deduplication.
#[must_use]
pub struct Builder {
    handler: CallbackHandler,
    on_message: Arc<OnMessage>,
    body_limit: usize,
    header_read_timeout: Duration,
    body_read_timeout: Duration,
    write_timeout: Duration,
    shutdown_timeout: Duration,
    max_connections: usize,
    max_buffered_bytes: usize,
    dedup: bool,
    dedup_ttl: Option<Duration>,
    dedup_scope: Option<String>,
    clock: Arc<dyn Clock>,
    store: Option<Arc<dyn AsyncTokenStore>>,
    prefix: String,
    path: Option<String>,
}

impl Builder {
    /// Answer only requests to this path (e.g. `/wechat`); others get 404. Default: every
    /// path (mount the server where you like).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// The largest request body read (default: the handler's `max_body`, 1 MiB). Larger
    /// bodies get 413 without being read to the end. The handler's own `max_body` still
    /// applies, so raise both to accept more.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// How long a client may take to send a request's headers (default 10 s); slower
    /// connections are closed. The clock also runs between keep-alive requests, so it bounds
    /// how long an idle connection stays open. Applies to [`CallbackServer::serve`] only
    /// (other servers have their own).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How long a client may take to send a request's body once its headers are in (default
    /// 10 s); slower requests get 408 and their connection is closed.
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// How long a reply may wait for the client to read it (default 10 s): a write that makes
    /// no progress for this long ends the connection, so a client that pipelines requests and
    /// never reads the answers cannot hold a connection slot forever. Applies to
    /// [`CallbackServer::serve`] only.
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// How long [`CallbackServer::serve_with_shutdown`] waits for open requests to finish
    /// after the signal before dropping them (default 10 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// The most connections [`CallbackServer::serve`] keeps open at once (default
    /// [`DEFAULT_MAX_CONNECTIONS`]). At the cap it stops accepting until one closes: new
    /// clients wait in the listen backlog, so a flood of idle connections cannot exhaust file
    /// descriptors or memory (each is closed after `header_read_timeout` anyway).
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// The most request-body bytes held, across all connections, before the callback handler
    /// has verified and parsed them (default [`DEFAULT_MAX_BUFFERED_BYTES`], 64 MiB); without
    /// it slow uploaders could pin `max_connections` × `body_limit`. A request reserves its
    /// declared `Content-Length` (the body limit when undeclared) before its body is read and
    /// gives it back once parsed; when the budget is spent it waits up to the body read
    /// timeout, then gets 429 `busy`. Counted in KiB.
    pub fn max_buffered_bytes(mut self, bytes: usize) -> Self {
        self.max_buffered_bytes = bytes;
        self
    }

    /// Turns deduplication of WeChat's retries on (the default) or off.
    pub fn dedup(mut self, on: bool) -> Self {
        self.dedup = on;
        self
    }

    /// How long a message's mark (and its stored reply) is kept. WeChat's retries come within
    /// about 15 s, but a captured request can be replayed for as long as its timestamp is in
    /// the handler's window, so the mark must outlive the window: values under twice the
    /// window are raised to it. Default: [`DEFAULT_DEDUP_TTL`] (600 s), or twice the window
    /// when that is longer.
    pub fn dedup_ttl(mut self, ttl: Duration) -> Self {
        self.dedup_ttl = Some(ttl);
        self
    }

    /// The endpoint's part of the store keys. Default: a fingerprint (12 hex digits of a SHA1)
    /// of the receive id and the callback token, so two endpoints sharing a store (two WeCom
    /// agents both receiving one `change_contact` event, identical down to the byte) keep
    /// separate marks while instances of one endpoint share them. Set it to name the endpoint
    /// yourself (keep it stable across instances and deploys).
    pub fn dedup_scope(mut self, scope: impl Into<String>) -> Self {
        self.dedup_scope = Some(scope.into());
        self
    }

    /// The store holding the marks and replies (default: a new [`MemoryStore`], this server
    /// only). Share one store (Redis, memcached) between instances behind a load balancer.
    /// Stored values are the plaintext reply XML, never a secret.
    pub fn dedup_store(mut self, store: Arc<dyn AsyncTokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The store key prefix (default `wechat`): keys are
    /// `{prefix}:callback:{mp|work}:{scope}:{Message::dedup_key}` (see
    /// [`Builder::dedup_scope`]).
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The clock timestamps are checked against and replies are dated with (default: the
    /// system's; a [`ManualClock`](wechat_session::ManualClock) in tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the server.
    pub fn build(self) -> CallbackServer {
        let config = self.handler.config();
        let dedup = self.dedup.then(|| {
            let store = self
                .store
                .unwrap_or_else(|| Arc::new(MemoryStore::with_capacity(DEFAULT_DEDUP_CAPACITY)));
            let ttl = dedup::ttl(self.dedup_ttl, config.timestamp_window);
            let scope = self.dedup_scope.unwrap_or_else(|| dedup::default_scope(config));
            Dedup::new(store, ttl, self.prefix, config.kind, scope)
        });
        let budget_kib = self.max_buffered_bytes.div_ceil(1024).clamp(1, MAX_BUDGET_KIB);
        CallbackServer {
            inner: Arc::new(Inner {
                handler: self.handler,
                on_message: self.on_message,
                body_limit: self.body_limit,
                header_read_timeout: self.header_read_timeout,
                body_read_timeout: self.body_read_timeout,
                write_timeout: self.write_timeout,
                shutdown_timeout: self.shutdown_timeout,
                max_connections: self.max_connections,
                budget: Arc::new(Semaphore::new(budget_kib)),
                budget_kib,
                dedup,
                path: self.path,
                clock: self.clock,
            }),
        }
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("handler", &self.handler)
            .field("body_limit", &self.body_limit)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("write_timeout", &self.write_timeout)
            .field("max_connections", &self.max_connections)
            .field("max_buffered_bytes", &self.max_buffered_bytes)
            .field("dedup", &self.dedup)
            .field("dedup_ttl", &self.dedup_ttl)
            .field("dedup_scope", &self.dedup_scope)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// The largest body budget, in KiB (what `Semaphore::acquire_many` can take at once).
const MAX_BUDGET_KIB: usize = u32::MAX as usize;

struct Inner {
    handler: CallbackHandler,
    on_message: Arc<OnMessage>,
    body_limit: usize,
    header_read_timeout: Duration,
    body_read_timeout: Duration,
    write_timeout: Duration,
    shutdown_timeout: Duration,
    max_connections: usize,
    /// Request bodies held before verification, in KiB (see `Builder::max_buffered_bytes`).
    budget: Arc<Semaphore>,
    budget_kib: usize,
    dedup: Option<Dedup>,
    path: Option<String>,
    clock: Arc<dyn Clock>,
}

impl Inner {
    fn now(&self) -> UnixTime {
        UnixTime(self.clock.unix_millis() / 1000)
    }
}

/// A callback endpoint: the [`CallbackHandler`] (verification, decryption, parsing), your
/// message handler, deduplication of retries, and the HTTP around them. Cheap to clone.
#[derive(Clone)]
pub struct CallbackServer {
    inner: Arc<Inner>,
}

impl fmt::Debug for CallbackServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("CallbackServer")
            .field("handler", &i.handler)
            .field("body_limit", &i.body_limit)
            .field("header_read_timeout", &i.header_read_timeout)
            .field("body_read_timeout", &i.body_read_timeout)
            .field("write_timeout", &i.write_timeout)
            .field("dedup", &i.dedup)
            .finish_non_exhaustive()
    }
}

impl CallbackServer {
    /// A server with the defaults: 1 MiB bodies, 10 s read and write timeouts, in-memory
    /// deduplication for 600 s (twice the default timestamp window). `on_message` answers
    /// each message with a reply, or `None` for no reply.
    pub fn new<F, Fut>(handler: CallbackHandler, on_message: F) -> Self
    where
        F: Fn(Message) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Option<Reply>> + Send + 'static,
    {
        Self::builder(handler, on_message).build()
    }

    /// A [`Builder`] for limits, timeouts and the deduplication store.
    pub fn builder<F, Fut>(handler: CallbackHandler, on_message: F) -> Builder
    where
        F: Fn(Message) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Option<Reply>> + Send + 'static,
    {
        let body_limit = handler.config().max_body;
        Builder {
            handler,
            on_message: Arc::new(move |m| Box::pin(on_message(m))),
            body_limit,
            header_read_timeout: DEFAULT_READ_TIMEOUT,
            body_read_timeout: DEFAULT_READ_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            shutdown_timeout: Duration::from_secs(10),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_buffered_bytes: DEFAULT_MAX_BUFFERED_BYTES,
            dedup: true,
            dedup_ttl: None,
            dedup_scope: None,
            clock: Arc::new(SystemClock),
            store: None,
            prefix: String::from(DEFAULT_KEY_PREFIX),
            path: None,
        }
    }

    /// The callback handler (its configuration: kind, mode, limits).
    pub fn handler(&self) -> &CallbackHandler {
        &self.inner.handler
    }

    /// Answers one request given as plain values, for any web framework: `method` (`GET`,
    /// `POST`, ...), the raw query string (without `?`) and the whole body. Reads the clock
    /// and draws the reply's randomness; never fails (rejections are 4xx responses). Bodies
    /// over 64 KiB are copied to tokio's blocking pool for verification and decryption; the
    /// body budget does not apply (the framework has already read the body).
    pub async fn handle(&self, method: &str, query: &str, body: &[u8]) -> http::Response<String> {
        into_http(self.respond(method, query, RequestBody::Slice(body)).await)
    }

    /// Answers one [`http::Request`], reading its body with the configured limit, timeout and
    /// buffer budget (what the tower service and [`CallbackServer::serve`] do). Bodies are
    /// only read for `POST`.
    pub async fn handle_request<B>(&self, request: http::Request<B>) -> http::Response<String>
    where
        B: http_body::Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (parts, body) = request.into_parts();
        if self.inner.path.as_deref().is_some_and(|p| p != parts.uri.path()) {
            let mut resp = http::Response::new(String::from("not found"));
            *resp.status_mut() = http::StatusCode::NOT_FOUND;
            return resp;
        }
        let query = parts.uri.query().unwrap_or("");
        if parts.method != Method::POST {
            return self.handle(parts.method.as_str(), query, b"").await;
        }
        let limit = self.inner.body_limit;
        let declared = parts
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|len| len > limit as u64) {
            tracing::debug!("callback body refused: declared length over the {limit}-byte limit");
            return too_large(limit);
        }
        let Some(permit) = self.reserve(declared.map_or(limit, |len| len as usize)).await else {
            tracing::debug!("callback body refused: the buffer budget stayed spent for the body read timeout");
            return closing(StatusCode::TOO_MANY_REQUESTS, "busy");
        };
        match tokio::time::timeout(self.inner.body_read_timeout, Limited::new(body, limit).collect()).await {
            Ok(Ok(collected)) => {
                let body = RequestBody::Buffered(collected.to_bytes(), permit);
                into_http(self.respond("POST", query, body).await)
            }
            Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
                tracing::debug!("callback body refused: over the {limit}-byte limit");
                too_large(limit)
            }
            Ok(Err(_)) => {
                tracing::debug!("callback body could not be read (client error)");
                closing(StatusCode::BAD_REQUEST, "invalid-body")
            }
            Err(_) => {
                tracing::debug!("callback body not received within {:?}", self.inner.body_read_timeout);
                closing(StatusCode::REQUEST_TIMEOUT, "request-timeout")
            }
        }
    }

    /// Reserves `bytes` of the body budget, waiting up to the body read timeout; `None` when
    /// it stayed spent. `Some(None)`: nothing to reserve.
    async fn reserve(&self, bytes: usize) -> Option<Option<OwnedSemaphorePermit>> {
        let kib = bytes.div_ceil(1024).min(self.inner.budget_kib);
        if kib == 0 {
            return Some(None);
        }
        // `budget_kib` fits in u32 (`MAX_BUDGET_KIB`).
        let kib = u32::try_from(kib).unwrap_or(u32::MAX);
        let budget = Arc::clone(&self.inner.budget);
        if let Ok(permit) = Arc::clone(&budget).try_acquire_many_owned(kib) {
            return Some(Some(permit));
        }
        match tokio::time::timeout(self.inner.body_read_timeout, budget.acquire_many_owned(kib)).await {
            Ok(Ok(permit)) => Some(Some(permit)),
            // Timed out (the semaphore is never closed).
            _ => None,
        }
    }

    async fn respond(&self, method: &str, query: &str, body: RequestBody<'_>) -> CallbackResponse {
        let config = self.inner.handler.config();
        let span = tracing::info_span!(
            "wechat.callback",
            kind = config.kind.as_str(),
            mode = ?config.mode,
            msg_type = tracing::field::Empty,
            dedup = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        let response = async {
            match self.verify(method, query, body).await {
                Err(response) => response,
                Ok(Inbound::Verify { echo }) => CallbackResponse {
                    status: 200,
                    content_type: "text/plain; charset=utf-8",
                    body: echo,
                },
                Ok(Inbound::Message { message, reply }) => {
                    tracing::Span::current().record("msg_type", message.type_name());
                    self.dispatch(message, reply).await
                }
            }
        }
        .instrument(span.clone())
        .await;
        span.record("status", response.status);
        response
    }

    /// Runs the callback handler (signature, decryption, parsing): inline for small bodies,
    /// on the blocking pool for large ones so other connections are not held up. The body
    /// and its budget are released as soon as it returns.
    async fn verify(&self, method: &str, query: &str, body: RequestBody<'_>) -> Result<Inbound, CallbackResponse> {
        let handler = &self.inner.handler;
        let now = self.inner.now();
        let len = body.as_slice().len();
        let result = if method != "POST" || len <= INLINE_BODY_MAX || len > handler.config().max_body {
            // Small, or rejected before any work is done.
            handler.handle(method, query, body.as_slice(), now)
        } else {
            let (bytes, permit) = match body {
                RequestBody::Slice(slice) => (Bytes::copy_from_slice(slice), None),
                RequestBody::Buffered(bytes, permit) => (bytes, permit),
            };
            let inner = Arc::clone(&self.inner);
            let (method, query) = (String::from(method), String::from(query));
            let work = tokio::task::spawn_blocking(move || {
                tracing::trace!("verifying a {}-byte callback body on the blocking pool", bytes.len());
                let result = inner.handler.handle(&method, &query, &bytes, now);
                // The body and its budget go back here, even if the request was dropped.
                drop((bytes, permit));
                result
            });
            match work.await {
                Ok(result) => result,
                Err(e) => {
                    tracing::error!("the callback handler task failed: {e}; answered 400");
                    return Err(CallbackResponse {
                        status: 400,
                        content_type: "text/plain; charset=utf-8",
                        body: String::from("invalid-body"),
                    });
                }
            }
        };
        result.map_err(|e| {
            let response = CallbackResponse::rejected(&e);
            tracing::debug!("callback rejected: {} {}", response.status, e.kind());
            response
        })
    }

    async fn dispatch(&self, message: Message, context: ReplyContext) -> CallbackResponse {
        let random = wechat_session::random16();
        let Some(dedup) = &self.inner.dedup else {
            let xml = self.run(message, None).await;
            return context.respond(xml.as_deref(), &random);
        };
        let key = dedup.key(&message);
        let claim = dedup.claim(&key).await;
        let verdict = match &claim {
            Claim::First => "first",
            Claim::Answered(_) => "retry-answered",
            Claim::Pending => "retry-pending",
            Claim::Unavailable => "store-unavailable",
        };
        tracing::Span::current().record("dedup", verdict);
        match claim {
            Claim::First => {
                let xml = self.run(message, Some(key)).await;
                context.respond(xml.as_deref(), &random)
            }
            Claim::Answered(xml) => context.respond(xml.as_deref(), &random),
            Claim::Pending => CallbackResponse::success(),
            Claim::Unavailable => {
                let xml = self.run(message, None).await;
                context.respond(xml.as_deref(), &random)
            }
        }
    }

    /// Runs the user handler on its own task (so it completes, and its reply is stored, even
    /// if the request is dropped), catching panics; returns the rendered reply XML.
    async fn run(&self, message: Message, dedup_key: Option<String>) -> Option<String> {
        let inner = Arc::clone(&self.inner);
        let task = tokio::spawn(async move {
            let on_message = Arc::clone(&inner.on_message);
            let outcome = CatchUnwind(Box::pin(async move { on_message(message).await })).await;
            let xml = match outcome {
                Ok(Some(reply)) if !reply.is_empty() => Some(reply.render(inner.now())),
                Ok(_) => None,
                Err(panic) => {
                    tracing::error!(
                        "the callback message handler panicked ({}); answered `success`",
                        panic_message(&*panic)
                    );
                    None
                }
            };
            if let (Some(dedup), Some(key)) = (&inner.dedup, dedup_key) {
                dedup.finish(&key, xml.as_deref()).await;
            }
            xml
        });
        match task.await {
            Ok(xml) => xml,
            Err(e) => {
                tracing::error!("the callback handler task failed: {e}");
                None
            }
        }
    }
}

/// A request body on its way to the callback handler.
enum RequestBody<'a> {
    /// Given by the caller ([`CallbackServer::handle`]).
    Slice(&'a [u8]),
    /// Read by [`CallbackServer::handle_request`], with the budget it holds.
    Buffered(Bytes, Option<OwnedSemaphorePermit>),
}

impl RequestBody<'_> {
    fn as_slice(&self) -> &[u8] {
        match self {
            RequestBody::Slice(slice) => slice,
            RequestBody::Buffered(bytes, _) => bytes,
        }
    }
}

/// Catches a panic raised while polling the inner future.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s
    } else {
        "non-string panic payload"
    }
}

fn into_http(r: CallbackResponse) -> http::Response<String> {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = http::Response::new(r.body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(r.content_type));
    if status == StatusCode::METHOD_NOT_ALLOWED {
        headers.insert(ALLOW, HeaderValue::from_static("GET, HEAD, POST"));
    }
    response
}

/// A rejection after which the connection is closed (the body was not read to its end).
fn closing(status: StatusCode, kind: &'static str) -> http::Response<String> {
    let mut response = into_http(CallbackResponse {
        status: status.as_u16(),
        content_type: "text/plain; charset=utf-8",
        body: String::from(kind),
    });
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

fn too_large(limit: usize) -> http::Response<String> {
    let error = wechat_core::Error::from(CallbackError::TooLarge { limit });
    closing(StatusCode::PAYLOAD_TOO_LARGE, error.kind())
}

/// The tower service: mount it with `axum::Router::route_service`, or wrap it for hyper
/// with `hyper_util::service::TowerToHyperService`. Always ready; never errs.
impl<B> tower_service::Service<http::Request<B>> for CallbackServer
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = http::Response<String>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<http::Response<String>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let server = self.clone();
        Box::pin(async move { Ok(server.handle_request(request).await) })
    }
}
