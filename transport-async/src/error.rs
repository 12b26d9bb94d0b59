//! The crate's error type.

use wechat_session::StoreError;

/// Everything an async call can fail with, grouped by who is at fault.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// WeChat refused the call, its response was unusable, the token life cycle refused to go
    /// on, or the arguments were invalid: see [`wechat_core::Error`].
    #[error(transparent)]
    Core(#[from] wechat_core::Error),
    /// The request got no response: connect failure, timeout, TLS, reset.
    #[error("transport error ({kind}): {message}")]
    Transport {
        /// `connect`, `timeout`, `tls`, `io` or `other`.
        kind: &'static str,
        /// What happened (never contains the URL or its token).
        message: String,
        /// Whether the request may have reached WeChat (false only when the connection
        /// failed). A non-idempotent call with `maybe_sent` is never replayed.
        maybe_sent: bool,
    },
    /// The token store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The HTTP client could not be built (TLS initialisation).
    #[error("cannot build the HTTP client: {0}")]
    Setup(String),
}

impl Error {
    /// A short, stable, kebab-case name: the core's kinds, `timeout`, `transport`, `store`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Core(e) => e.kind(),
            Error::Transport { kind: "timeout", .. } => "timeout",
            Error::Transport { .. } => "transport",
            Error::Store(_) => "store",
            Error::Setup(_) => "setup",
        }
    }

    /// WeChat's `errcode` and `errmsg`, when WeChat answered with an error.
    pub fn api_error(&self) -> Option<&wechat_core::error::ApiError> {
        match self {
            Error::Core(wechat_core::Error::Api(e)) => Some(e),
            _ => None,
        }
    }
}

/// Maps a reqwest error, without its URL (which carries the token), scrubbing `secrets`.
pub(crate) fn transport(e: reqwest::Error, secrets: &[&str]) -> Error {
    let (kind, maybe_sent) = if e.is_connect() {
        ("connect", false)
    } else if e.is_timeout() {
        ("timeout", true)
    } else if e.is_body() || e.is_decode() {
        ("io", true)
    } else {
        ("other", true)
    };
    let e = e.without_url();
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    for s in secrets {
        if !s.is_empty() {
            message = message.replace(s, "[redacted]");
        }
    }
    Error::Transport {
        kind,
        message,
        maybe_sent,
    }
}
