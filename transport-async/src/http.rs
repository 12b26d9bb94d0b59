//! Bring your own HTTP client: [`HttpClient`], implemented for `reqwest::Client` and for
//! closures returning futures.

use bytes::{Bytes, BytesMut};
use wechat_core::client::ClientConfig;
use wechat_core::error::{ConfigError, Error, TransportError, TransportErrorKind};
use wechat_core::http::{Method, Outgoing};
use wechat_session::BoxFuture;

/// An async HTTP client: sends one request and reads the answer, whatever its status (4xx and
/// 5xx are answers, not errors), stopping after `limit` + 1 bytes of body (the call machine
/// then reports it too large).
///
/// Implemented for `reqwest::Client`, so a server passes the client it already has (its pool,
/// proxy and TLS settings), and for closures, which is how tests script WeChat:
///
/// ```
/// use wechat_async::HttpClient;
///
/// let wechat = |request: http::Request<Vec<u8>>| async move {
///     assert_eq!(request.uri().path(), "/cgi-bin/menu/get");
///     Ok::<_, std::io::Error>(http::Response::new(br#"{"menu":{"button":[]}}"#.to_vec()))
/// };
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// let request = http::Request::get("http://x/cgi-bin/menu/get").body(Vec::new()).unwrap();
/// let answer = rt.block_on(wechat.send(request, 1024)).unwrap();
/// assert_eq!(answer.status(), 200);
/// ```
pub trait HttpClient: Send + Sync {
    /// Sends `request` and reads the answer; an error when no complete answer came.
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        limit: usize,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>>;
}

impl<F, Fut, E> HttpClient for F
where
    F: Fn(http::Request<Vec<u8>>) -> Fut + Send + Sync,
    Fut: Future<Output = Result<http::Response<Vec<u8>>, E>> + Send + 'static,
    E: Into<TransportError>,
{
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        _limit: usize,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        let answer = self(request);
        Box::pin(async move { answer.await.map(|r| r.map(Bytes::from)).map_err(Into::into) })
    }
}

impl HttpClient for reqwest::Client {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        limit: usize,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        match reqwest::Request::try_from(request) {
            Ok(request) => Box::pin(exchange(Ok(self.execute(request)), limit)),
            Err(e) => Box::pin(async move { Err(from_reqwest(e)) }),
        }
    }
}

/// Sends the call machine's request with reqwest: straight to a reqwest request, so the URL is
/// parsed once (through `http::Request` it would be parsed, printed and parsed again). The
/// request is built and handed to reqwest before the future, which holds only the pending
/// answer and then the body being read: every call's future stays small.
pub(crate) fn send_outgoing(
    client: &reqwest::Client,
    request: Outgoing,
    limit: usize,
) -> impl Future<Output = Result<http::Response<Bytes>, TransportError>> + use<> {
    let method = match request.method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
    };
    let mut builder = client.request(method, request.url);
    for (name, value) in &request.headers {
        builder = builder.header(name.as_ref(), value.as_str());
    }
    if request.method == Method::Post {
        builder = builder.body(request.body);
    }
    let pending = builder
        .build()
        .map(|request| client.execute(request))
        .map_err(|e| TransportError::unsent(e.without_url()));
    exchange(pending, limit)
}

/// Waits for the answer and reads its body, at most `limit` + 1 bytes of it.
async fn exchange(
    pending: Result<impl Future<Output = reqwest::Result<reqwest::Response>>, TransportError>,
    limit: usize,
) -> Result<http::Response<Bytes>, TransportError> {
    let mut resp = pending?.await.map_err(from_reqwest)?;
    // Chunk by chunk: a body that arrives as one chunk, as small answers do, is handed over as
    // it is, without a copy; more chunks are gathered into one buffer.
    let (mut first, mut gathered, mut len) = (Bytes::new(), BytesMut::new(), 0);
    while len <= limit
        && let Some(chunk) = resp.chunk().await.map_err(from_reqwest)?
    {
        len += chunk.len();
        if len == chunk.len() {
            first = chunk;
            continue;
        }
        if gathered.is_empty() {
            let expected = resp.content_length().map_or(len, |n| n as usize);
            gathered.reserve(expected.max(len).min(limit + 1));
            gathered.extend_from_slice(&first);
        }
        gathered.extend_from_slice(&chunk);
    }
    let mut response = http::Response::new(if gathered.is_empty() { first } else { gathered.freeze() });
    *response.status_mut() = resp.status();
    *response.headers_mut() = std::mem::take(resp.headers_mut());
    Ok(response)
}

/// The kind of a reqwest error; its URL (which holds the token) is dropped.
fn from_reqwest(e: reqwest::Error) -> TransportError {
    let kind = if e.is_connect() {
        TransportErrorKind::Connect
    } else if e.is_timeout() {
        TransportErrorKind::Timeout
    } else if e.is_body() || e.is_decode() {
        TransportErrorKind::Read
    } else if e.is_request() {
        TransportErrorKind::Send
    } else {
        TransportErrorKind::Other
    };
    TransportError::new(kind, e.without_url())
}

/// The client made when given none: rustls with the ring provider and the platform's
/// certificate verifier, configured for this client only (nothing process-wide), no
/// redirects (the token is in the URL), the configured timeouts, no proxy from the
/// environment unless asked.
///
/// # Errors
/// [`ConfigError::Setup`] when TLS cannot be set up (or, without the `ring` feature, always:
/// pass your own client).
pub(crate) fn default_client(config: &ClientConfig) -> Result<reqwest::Client, Error> {
    let setup = |e: &dyn std::fmt::Display| Error::from(ConfigError::Setup(e.to_string()));
    let mut builder = reqwest::Client::builder()
        .timeout(config.timeout)
        .connect_timeout(config.connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("wechat-rs/", env!("CARGO_PKG_VERSION")));
    if !config.proxy_from_env {
        builder = builder.no_proxy();
    }
    #[cfg(feature = "ring")]
    {
        use rustls_platform_verifier::BuilderVerifierExt;
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| setup(&e))?
            .with_platform_verifier()
            .map_err(|e| setup(&e))?
            .with_no_client_auth();
        builder = builder.tls_backend_preconfigured(tls);
    }
    #[cfg(not(feature = "ring"))]
    return Err(setup(
        &"no TLS provider: enable the `ring` feature or pass a client (Builder::http_client)",
    ));
    #[cfg(feature = "ring")]
    builder.build().map_err(|e| setup(&e))
}
