//! The crate's error type.

use wechat_session::StoreError;

/// Everything a blocking call can fail with, grouped by who is at fault.
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
        /// What happened (never contains the URL's token).
        message: String,
        /// Whether the request may have reached WeChat (false only for connection failures
        /// before anything was sent). A non-idempotent call with `maybe_sent` is never
        /// replayed.
        maybe_sent: bool,
    },
    /// The token store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Error {
    /// A short, stable, kebab-case name: the core's kinds, `timeout`, `transport` or `store`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Core(e) => e.kind(),
            Error::Transport { kind: "timeout", .. } => "timeout",
            Error::Transport { .. } => "transport",
            Error::Store(_) => "store",
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

/// Maps a ureq error, scrubbing `secret` (the token in the URL) from the message.
pub(crate) fn transport(e: &ureq::Error, secrets: &[&str]) -> Error {
    let (kind, maybe_sent) = match e {
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed | ureq::Error::ConnectProxyFailed(_) => {
            ("connect", false)
        }
        ureq::Error::Timeout(t) => ("timeout", !matches!(t, ureq::Timeout::Resolve | ureq::Timeout::Connect)),
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) | ureq::Error::TlsRequired => ("tls", false),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => ("connect", false),
        ureq::Error::Io(_) => ("io", true),
        _ => ("other", true),
    };
    let mut message = e.to_string();
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
