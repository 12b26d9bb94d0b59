//! The crate's one error type.
//!
//! Variants are grouped by who is at fault, so callers can decide what to do without
//! matching every case:
//!
//! | variant | at fault | typical reaction |
//! | --- | --- | --- |
//! | [`Error::Callback`] | the sender of a callback (WeChat misconfigured, or a forger) | answer 4xx, log |
//! | [`Error::Config`] | the caller's configuration or arguments | fix the code or config |
//! | [`Error::Api`] | WeChat answered with a non-zero `errcode` | depends on [`ApiErrorKind`] |
//! | [`Error::Response`] | WeChat's HTTP response was not usable (status, decode) | retry later, report |
//! | [`Error::Token`] | the access-token life cycle (quota guard, refresh back-off) | wait, alert |
//!
//! No variant ever contains a secret: tokens, keys and app secrets are never copied into
//! errors, and response bodies (which may contain a freshly issued token) are kept but never
//! printed by `Debug` or `Display`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Everything that can go wrong in `wechat-core`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Untrusted callback input (query string or body) was rejected.
    #[error(transparent)]
    Callback(#[from] CallbackError),
    /// The caller's configuration or arguments are unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// WeChat answered with a non-zero `errcode`.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// WeChat's HTTP response could not be used.
    #[error(transparent)]
    Response(#[from] ResponseError),
    /// The access-token life cycle refused to go on.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The request got no usable answer from the network: connect failure, timeout, TLS,
    /// reset.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A sans-IO machine was driven wrongly (an input that answers no output). Never caused
    /// by untrusted data: a bug in the driver.
    #[error("misuse of the call machine: {0}")]
    Misuse(String),
}

impl Error {
    /// A short, stable, kebab-case name for the error, used by the CLI (`error: <kind>: ...`)
    /// and in logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Callback(e) => e.kind(),
            Error::Config(e) => e.kind(),
            Error::Api(e) => e.kind.as_str(),
            Error::Response(e) => e.kind(),
            Error::Token(e) => e.kind(),
            Error::Transport(e) => e.kind.as_str(),
            Error::Misuse(_) => "misuse",
        }
    }

    /// WeChat's `errcode` and `errmsg`, when WeChat answered with an error.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// Whether this is WeChat saying the access token is invalid or expired
    /// (40001, 40014, 42001).
    pub fn is_token_error(&self) -> bool {
        matches!(self, Error::Api(e) if e.kind == ApiErrorKind::TokenInvalid)
    }
}

/// Why an untrusted callback request was rejected. The sender is at fault.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// `signature` or `msg_signature` does not match.
    #[error("signature mismatch")]
    InvalidSignature,
    /// The decrypted message names another app id / corp id / suite id than ours.
    #[error("the message was encrypted for another receive id ({found:?})")]
    InvalidReceiveId {
        /// The receive id found in the message (app ids and corp ids are not secret).
        found: String,
    },
    /// `Encrypt` (or `echostr`) is not valid base64.
    #[error("the encrypted payload is not valid base64")]
    InvalidBase64,
    /// The PKCS#7 padding is not 1..=32 equal bytes.
    #[error("invalid PKCS#7 padding")]
    InvalidPadding,
    /// A length is inconsistent: ciphertext not a multiple of the AES block, plaintext too
    /// short, or the declared message length exceeds the data.
    #[error("invalid length: {0}")]
    InvalidLength(&'static str),
    /// The decrypted message (or the body) is not UTF-8.
    #[error("the message is not valid UTF-8")]
    InvalidUtf8,
    /// The XML is malformed or unsafe (DOCTYPE, too deep, too many elements).
    #[error("invalid XML: {0}")]
    InvalidXml(String),
    /// A required XML element is missing (`Encrypt`, `MsgType`, ...).
    #[error("missing element <{0}>")]
    MissingElement(&'static str),
    /// An element that must appear once appears several times (two `Encrypt`s: which one
    /// the signature covers would be ambiguous).
    #[error("more than one <{0}> element")]
    DuplicateElement(&'static str),
    /// The document's root element is not `<xml>`, the root of everything WeChat sends.
    #[error("the root element is <{0}>, not <xml>")]
    UnexpectedRoot(String),
    /// A required query parameter is missing (`signature`, `timestamp`, ...).
    #[error("missing query parameter `{0}`")]
    MissingParameter(&'static str),
    /// A query parameter is malformed (e.g. a non-numeric `timestamp`).
    #[error("invalid query parameter `{0}`")]
    InvalidParameter(&'static str),
    /// The request's timestamp is outside the accepted window (a replay or a bad clock).
    #[error("timestamp {timestamp} is outside the accepted window of {window_secs} s")]
    StaleTimestamp {
        /// The timestamp the request carried.
        timestamp: u64,
        /// The accepted window, in seconds either side of now.
        window_secs: u64,
    },
    /// The body is larger than the configured limit.
    #[error("the body is larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The HTTP method is not GET (verification) or POST (message).
    #[error("method not allowed")]
    MethodNotAllowed,
}

impl CallbackError {
    /// A short, stable, kebab-case name, see [`Error::kind`].
    pub fn kind(&self) -> &'static str {
        match self {
            CallbackError::InvalidSignature => "invalid-signature",
            CallbackError::InvalidReceiveId { .. } => "invalid-app-id",
            CallbackError::InvalidBase64 => "invalid-base64",
            CallbackError::InvalidPadding => "invalid-padding",
            CallbackError::InvalidLength(_) => "invalid-length",
            CallbackError::InvalidUtf8 => "invalid-utf8",
            CallbackError::InvalidXml(_) => "invalid-xml",
            CallbackError::MissingElement(_) => "missing-element",
            CallbackError::DuplicateElement(_) => "duplicate-element",
            CallbackError::UnexpectedRoot(_) => "unexpected-root",
            CallbackError::MissingParameter(_) => "missing-parameter",
            CallbackError::InvalidParameter(_) => "invalid-parameter",
            CallbackError::StaleTimestamp { .. } => "stale-timestamp",
            CallbackError::TooLarge { .. } => "too-large",
            CallbackError::MethodNotAllowed => "method-not-allowed",
        }
    }
}

/// The caller's configuration or arguments are unusable.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The EncodingAESKey is not 43 base64 characters.
    #[error("the EncodingAESKey must be 43 base64 characters")]
    InvalidKey,
    /// An argument is out of range or malformed.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A client could not be set up (its HTTP client, TLS).
    #[error("cannot set up the client: {0}")]
    Setup(String),
}

impl ConfigError {
    /// A short, stable, kebab-case name, see [`Error::kind`].
    pub fn kind(&self) -> &'static str {
        match self {
            ConfigError::InvalidKey => "invalid-key",
            ConfigError::InvalidArgument(_) => "invalid-argument",
            ConfigError::Setup(_) => "setup",
        }
    }
}

/// WeChat answered `{"errcode": N, "errmsg": "..."}` with `N != 0`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("WeChat errcode {code}: {message}")]
#[non_exhaustive]
pub struct ApiError {
    /// `errcode`.
    pub code: i64,
    /// `errmsg` (WeChat's text, which never contains the token).
    pub message: String,
    /// The category of `code`.
    pub kind: ApiErrorKind,
}

impl ApiError {
    /// Builds an error from WeChat's `errcode` and `errmsg`.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            kind: ApiErrorKind::of(code),
        }
    }
}

/// Categories of WeChat error codes that change what a client should do.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiErrorKind {
    /// 40001, 40014, 42001: the access token is invalid or expired. The call never ran,
    /// so it may be replayed once with a fresh token.
    TokenInvalid,
    /// −1: system busy. Safe to retry with back-off only for idempotent calls.
    Busy,
    /// 45009, 45011, 45047, ...: a frequency or daily quota limit. Do not retry now.
    RateLimited,
    /// 40164 (IP not in the allow-list), 40013/40125 (bad app id / secret), 41001/41002/41004
    /// (missing credential): the account's configuration is at fault. Retrying will not help.
    Credential,
    /// Any other code: the request itself was refused.
    Other,
}

impl ApiErrorKind {
    /// Classifies an `errcode`.
    pub fn of(code: i64) -> Self {
        match code {
            40001 | 40014 | 42001 => ApiErrorKind::TokenInvalid,
            -1 => ApiErrorKind::Busy,
            45009 | 45011 | 45033 | 45047 | 45015 | 45035 | 45058 => ApiErrorKind::RateLimited,
            40013 | 40125 | 40164 | 41001 | 41002 | 41004 | 40056 | 40091 | 60020 => ApiErrorKind::Credential,
            _ => ApiErrorKind::Other,
        }
    }

    /// A short, stable, kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiErrorKind::TokenInvalid => "token-invalid",
            ApiErrorKind::Busy => "busy",
            ApiErrorKind::RateLimited => "rate-limited",
            ApiErrorKind::Credential => "credential",
            ApiErrorKind::Other => "api-error",
        }
    }
}

/// WeChat's HTTP response could not be used. The raw body is kept (see
/// [`ResponseError::body`]) but never printed: a token response's body holds a token.
#[non_exhaustive]
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// A non-2xx status without a WeChat error object in the body.
    #[error("HTTP status {status}")]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The raw body.
        body: Vec<u8>,
    },
    /// The body is not the JSON (or binary) the endpoint returns.
    #[error("cannot decode the response: {reason}")]
    Decode {
        /// What was wrong, e.g. serde's message with a path.
        reason: String,
        /// The raw body.
        body: Vec<u8>,
    },
    /// The body exceeded the configured size cap.
    #[error("the response body is larger than {limit} bytes")]
    TooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// The answer to a call that is not idempotent (a send, a creation) could not be used:
    /// WeChat may have carried the call out anyway. It was not replayed; check (the message
    /// list, the object) before sending it again.
    #[error(
        "{0}; the call may have been carried out (it is not idempotent and was not retried): check before sending it again"
    )]
    Unconfirmed(alloc::boxed::Box<ResponseError>),
}

impl ResponseError {
    /// The raw response body, when one was kept.
    pub fn body(&self) -> &[u8] {
        match self {
            ResponseError::Status { body, .. } | ResponseError::Decode { body, .. } => body,
            ResponseError::TooLarge { .. } => &[],
            ResponseError::Unconfirmed(inner) => inner.body(),
        }
    }

    /// A short, stable, kebab-case name, see [`Error::kind`] (an unconfirmed error has the
    /// kind of what went wrong).
    pub fn kind(&self) -> &'static str {
        match self {
            ResponseError::Status { .. } => "http-status",
            ResponseError::Decode { .. } => "decode",
            ResponseError::TooLarge { .. } => "response-too-large",
            ResponseError::Unconfirmed(inner) => inner.kind(),
        }
    }

    /// What went wrong, seen through [`ResponseError::Unconfirmed`].
    pub fn cause(&self) -> &ResponseError {
        match self {
            ResponseError::Unconfirmed(inner) => inner.cause(),
            other => other,
        }
    }

    /// Whether the call may have been carried out although its answer was unusable (see
    /// [`ResponseError::Unconfirmed`]).
    pub fn is_unconfirmed(&self) -> bool {
        matches!(self, ResponseError::Unconfirmed(_))
    }
}

impl fmt::Debug for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseError::Status { status, body } => f
                .debug_struct("Status")
                .field("status", status)
                .field("body", &format_args!("<{} bytes>", body.len()))
                .finish(),
            ResponseError::Decode { reason, body } => f
                .debug_struct("Decode")
                .field("reason", reason)
                .field("body", &format_args!("<{} bytes>", body.len()))
                .finish(),
            ResponseError::TooLarge { limit } => f.debug_struct("TooLarge").field("limit", limit).finish(),
            ResponseError::Unconfirmed(inner) => f.debug_tuple("Unconfirmed").field(inner).finish(),
        }
    }
}

/// What kind of network failure a [`TransportError`] is.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportErrorKind {
    /// The connection could not be made (DNS, refused, unreachable): WeChat never saw the
    /// request.
    Connect,
    /// No (complete) answer in time.
    Timeout,
    /// The TLS handshake failed.
    Tls,
    /// Sending the request failed after connecting.
    Send,
    /// Reading the answer failed (reset, closed mid-body).
    Read,
    /// Anything else.
    Other,
}

impl TransportErrorKind {
    /// `timeout` for timeouts, `transport` for the rest (the CLI's `error: <kind>:`).
    pub fn as_str(self) -> &'static str {
        match self {
            TransportErrorKind::Timeout => "timeout",
            _ => "transport",
        }
    }

    /// The kind's own name: `connect`, `timeout`, `tls`, `send`, `read`, `other`.
    pub fn name(self) -> &'static str {
        match self {
            TransportErrorKind::Connect => "connect",
            TransportErrorKind::Timeout => "timeout",
            TransportErrorKind::Tls => "tls",
            TransportErrorKind::Send => "send",
            TransportErrorKind::Read => "read",
            TransportErrorKind::Other => "other",
        }
    }
}

/// A request that got no usable answer from the network, with its cause.
///
/// Its message never holds the request's URL or token: HTTP clients that put the URL in their
/// errors are scrubbed when the error is made ([`TransportError::scrub`]), and a cause whose
/// message held a secret is dropped.
#[derive(Clone)]
pub struct TransportError {
    /// What failed.
    pub kind: TransportErrorKind,
    /// Whether the request may have reached WeChat (false only when the connection failed).
    /// A call that is not idempotent is never replayed after such a failure.
    pub maybe_sent: bool,
    message: String,
    source: Option<alloc::sync::Arc<dyn core::error::Error + Send + Sync>>,
}

impl TransportError {
    /// A failure of `kind` caused by `source`; the message is the source's chain of causes.
    pub fn new(kind: TransportErrorKind, source: impl core::error::Error + Send + Sync + 'static) -> Self {
        let mut message = alloc::format!("{source}");
        let mut cause = source.source();
        while let Some(c) = cause {
            message.push_str(": ");
            message.push_str(&alloc::format!("{c}"));
            cause = c.source();
        }
        Self {
            kind,
            maybe_sent: kind != TransportErrorKind::Connect,
            message,
            source: Some(alloc::sync::Arc::new(source)),
        }
    }

    /// A failure of `kind` described by `message`, without a cause.
    pub fn message(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            maybe_sent: kind != TransportErrorKind::Connect,
            message: message.into(),
            source: None,
        }
    }

    /// A request that was never sent because it could not be made (an invalid URL or
    /// header): `maybe_sent` is false.
    pub fn unsent(why: impl fmt::Display) -> Self {
        let mut e = Self::message(
            TransportErrorKind::Other,
            alloc::format!("the request could not be made: {why}"),
        );
        e.maybe_sent = false;
        e
    }

    /// Removes `secret` from the message; when it was there, the cause is dropped too (its
    /// own message would show it).
    pub fn scrub(mut self, secret: &str) -> Self {
        if !secret.is_empty() && self.message.contains(secret) {
            self.message = self.message.replace(secret, "[redacted]");
            self.source = None;
        }
        self
    }

    /// What happened (never the URL or a token).
    pub fn text(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "transport error ({}): {}", self.kind.name(), self.message)
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportError")
            .field("kind", &self.kind)
            .field("maybe_sent", &self.maybe_sent)
            .field("message", &self.message)
            .finish_non_exhaustive()
    }
}

impl PartialEq for TransportError {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.maybe_sent == other.maybe_sent && self.message == other.message
    }
}

impl Eq for TransportError {}

impl core::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn core::error::Error + 'static))
    }
}

#[cfg(feature = "std")]
impl From<std::io::Error> for TransportError {
    /// An I/O error, its kind from the error's (refused or unreachable: connect; timed out:
    /// timeout; reset or cut short: read).
    fn from(e: std::io::Error) -> Self {
        use std::io::ErrorKind as K;
        let kind = match e.kind() {
            K::ConnectionRefused | K::NotFound | K::AddrNotAvailable | K::HostUnreachable | K::NetworkUnreachable => {
                TransportErrorKind::Connect
            }
            K::TimedOut | K::WouldBlock => TransportErrorKind::Timeout,
            K::ConnectionReset | K::ConnectionAborted | K::UnexpectedEof | K::BrokenPipe => TransportErrorKind::Read,
            _ => TransportErrorKind::Other,
        };
        TransportError::new(kind, e)
    }
}

/// The access-token life cycle refused to go on.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The per-day budget of token fetches for this account is spent.
    #[error("token fetch budget exhausted: {used} of {budget} fetches today; refusing to burn WeChat's daily quota")]
    QuotaExhausted {
        /// Fetches counted today.
        used: u64,
        /// The configured budget.
        budget: u64,
    },
    /// A recent refresh failed; the machine backs off instead of hammering WeChat.
    #[error("the last token refresh failed ({reason}); next attempt in {retry_in_secs} s")]
    BackingOff {
        /// Why the last refresh failed (no secrets).
        reason: String,
        /// Seconds until the next attempt is allowed.
        retry_in_secs: u64,
    },
    /// The token endpoint answered without an `access_token`/`ticket`.
    #[error("the token response has no token")]
    MissingToken,
    /// The token was rejected again right after a refresh (after the one allowed replay).
    #[error("WeChat rejected a freshly fetched token (errcode {code})")]
    RejectedAfterRefresh {
        /// The errcode of the second rejection.
        code: i64,
    },
    /// Waiting for another process's refresh took too long.
    #[error("timed out waiting for another refresh of the token")]
    WaitTimeout,
    /// The token fetch failed in transport (no response from WeChat).
    #[error("the token fetch failed: {0}")]
    FetchFailed(String),
    /// The token store failed and the policy says to fail.
    #[error("token store unavailable: {0}")]
    Store(String),
    /// A value the token's fetch needs is not in the store (a third-party platform's verify
    /// ticket, an authorizer's refresh token, a permanent code).
    #[error("no {0} in the token store")]
    MissingCredential(String),
}

impl TokenError {
    /// A short, stable, kebab-case name, see [`Error::kind`].
    pub fn kind(&self) -> &'static str {
        match self {
            TokenError::QuotaExhausted { .. } => "token-quota",
            TokenError::BackingOff { .. } => "token-backoff",
            TokenError::MissingToken => "token-missing",
            TokenError::RejectedAfterRefresh { .. } => "token-rejected",
            TokenError::WaitTimeout => "token-wait-timeout",
            TokenError::FetchFailed(_) => "transport",
            TokenError::Store(_) => "store",
            TokenError::MissingCredential(_) => "credential",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;

    #[cfg(feature = "std")]
    #[test]
    fn io_errors_are_typed_and_a_secret_drops_the_cause() {
        let e = TransportError::from(std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused"));
        assert_eq!((e.kind, e.maybe_sent), (TransportErrorKind::Connect, false));
        assert!(core::error::Error::source(&e).is_some());
        let e = TransportError::from(std::io::Error::other("GET /x?access_token=TOK failed")).scrub("TOK");
        assert!(!e.to_string().contains("TOK"), "{e}");
        assert!(core::error::Error::source(&e).is_none());
        let kept = TransportError::from(std::io::Error::other("reset")).scrub("TOK");
        assert!(core::error::Error::source(&kept).is_some());
        assert_eq!(Error::from(kept).kind(), "transport");
        let timeout = TransportError::message(TransportErrorKind::Timeout, "deadline");
        assert_eq!(Error::from(timeout).kind(), "timeout");
    }

    #[test]
    fn response_error_never_prints_the_body() {
        let e = ResponseError::Decode {
            reason: "expected value".into(),
            body: b"{\"access_token\":\"SECRET-TOKEN\"".to_vec(),
        };
        assert!(!format!("{e:?}").contains("SECRET"));
        assert!(!e.to_string().contains("SECRET"));
        assert_eq!(e.body(), b"{\"access_token\":\"SECRET-TOKEN\"");
        let e = Error::from(ResponseError::Status {
            status: 500,
            body: vec![b'x'; 10],
        });
        assert_eq!(e.kind(), "http-status");
    }

    #[test]
    fn api_error_kinds() {
        assert_eq!(ApiErrorKind::of(40001), ApiErrorKind::TokenInvalid);
        assert_eq!(ApiErrorKind::of(42001), ApiErrorKind::TokenInvalid);
        assert_eq!(ApiErrorKind::of(40014), ApiErrorKind::TokenInvalid);
        assert_eq!(ApiErrorKind::of(-1), ApiErrorKind::Busy);
        assert_eq!(ApiErrorKind::of(45009), ApiErrorKind::RateLimited);
        assert_eq!(ApiErrorKind::of(46004), ApiErrorKind::Other);
        assert!(Error::from(ApiError::new(42001, "expired")).is_token_error());
    }
}
