//! Bring your own HTTP client: [`HttpClient`], implemented for `ureq::Agent` and for closures.

use std::io::Read;

use wechat_core::error::{TransportError, TransportErrorKind};
use wechat_core::http::Bytes;

/// A blocking HTTP client: sends one request and reads the answer, whatever its status (4xx
/// and 5xx are answers, not errors), stopping after `limit` + 1 bytes of body (the call
/// machine then reports it too large).
///
/// Implemented for `ureq::Agent` (pass your own, with its pool, proxy and TLS settings) and for
/// closures, which is how tests script WeChat:
///
/// ```
/// use wechat_blocking::HttpClient;
///
/// let wechat = |request: http::Request<Vec<u8>>| -> Result<http::Response<Vec<u8>>, std::io::Error> {
///     assert_eq!(request.uri().path(), "/cgi-bin/menu/get");
///     Ok(http::Response::new(br#"{"menu":{"button":[]}}"#.to_vec()))
/// };
/// let answer = wechat.send(http::Request::get("http://x/cgi-bin/menu/get").body(Vec::new()).unwrap(), 1024);
/// assert_eq!(answer.unwrap().status(), 200);
/// ```
pub trait HttpClient: Send + Sync {
    /// Sends `request` and reads the answer.
    ///
    /// # Errors
    /// When no complete answer came: connect failure, timeout, TLS, reset.
    fn send(&self, request: http::Request<Vec<u8>>, limit: usize) -> Result<http::Response<Bytes>, TransportError>;
}

impl<F, E> HttpClient for F
where
    F: Fn(http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, E> + Send + Sync,
    E: Into<TransportError>,
{
    fn send(&self, request: http::Request<Vec<u8>>, _limit: usize) -> Result<http::Response<Bytes>, TransportError> {
        self(request).map(|r| r.map(Bytes::from)).map_err(Into::into)
    }
}

impl HttpClient for ureq::Agent {
    fn send(&self, request: http::Request<Vec<u8>>, limit: usize) -> Result<http::Response<Bytes>, TransportError> {
        let (parts, body) = self.run(request).map_err(|e| from_ureq(e, true))?.into_parts();
        let mut bytes = Vec::new();
        body.into_reader()
            .take(limit as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| match e.downcast::<ureq::Error>() {
                Ok(e) => from_ureq(e, true),
                Err(e) => TransportError::from(e),
            })?;
        Ok(http::Response::from_parts(parts, Bytes::from(bytes)))
    }
}

/// The kind of a ureq error, and whether the request may have reached the server.
fn from_ureq(e: ureq::Error, sent: bool) -> TransportError {
    use TransportErrorKind as K;
    let kind = match &e {
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed | ureq::Error::ConnectProxyFailed(_) => K::Connect,
        ureq::Error::Timeout(ureq::Timeout::Resolve | ureq::Timeout::Connect) => K::Connect,
        ureq::Error::Timeout(_) => K::Timeout,
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) | ureq::Error::TlsRequired => K::Tls,
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => K::Connect,
        ureq::Error::Io(_) if sent => K::Read,
        _ => K::Other,
    };
    let mut error = TransportError::new(kind, e);
    // ureq's own timeouts and refusals before connecting never reached the server.
    error.maybe_sent = !matches!(kind, K::Connect | K::Tls);
    error
}

/// The agent the client makes when given none: rustls (ring), no redirects (the token is in
/// the URL), the configured timeouts, no proxy from the environment unless asked.
pub(crate) fn default_agent(config: &wechat_core::client::ClientConfig) -> ureq::Agent {
    let mut builder = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(config.timeout))
        .timeout_connect(Some(config.connect_timeout))
        .user_agent(concat!("wechat-rs/", env!("CARGO_PKG_VERSION")))
        // ureq keeps 10 idle connections in all by default, which would cap the 64 per host.
        .max_idle_connections(64)
        .max_idle_connections_per_host(64);
    if !config.proxy_from_env {
        builder = builder.proxy(None);
    }
    builder.build().into()
}
