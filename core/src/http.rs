//! Requests and responses as plain values.
//!
//! Every API call becomes an [`ApiRequest`] (method, path, query, body, which token it needs,
//! whether it may be replayed) and every answer is parsed from an [`ApiResponse`]. With the
//! `std` feature they convert to and from `http::Request<Vec<u8>>` / `http::Response<Vec<u8>>`,
//! so any HTTP client can carry them.
//!
//! The access token is not part of the request value: it is inserted when the request is
//! turned into a URL ([`ApiRequest::url`]), so a request can be replayed with a fresh token
//! after WeChat rejects the old one. `Debug` never prints the body or secret query values.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::error::{ConfigError, Error};
use crate::secret::AccessToken;

/// The body type of [`ApiResponse`], re-exported from the `bytes` crate.
pub use bytes::Bytes;

/// HTTP method. WeChat uses only these two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET: arguments in the query string.
    Get,
    /// POST: a JSON or multipart body.
    Post,
}

impl Method {
    /// `"GET"` or `"POST"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// Which of the client's credentials a request carries: a role, which each client maps to
/// one of its [`Credential`](crate::credential::Credential)s (an mp client's `AccessToken` is
/// its account's token; an authorizer client's is the authorizer's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKind {
    /// None (token endpoints themselves, local helpers).
    None,
    /// `access_token`: the account's (mp), the agent's (WeCom) or the authorizer's token.
    AccessToken,
    /// `component_access_token`: a third-party platform's own token.
    Component,
    /// `suite_access_token`: a WeCom third-party suite's token.
    Suite,
    /// `provider_access_token`: a WeCom service provider's token.
    Provider,
    /// A credential the client was given under this name (your own kinds).
    Custom(&'static str),
}

impl TokenKind {
    /// The query parameter the token usually travels in (the credential has the last word).
    pub fn param(self) -> Option<&'static str> {
        match self {
            TokenKind::None | TokenKind::Custom(_) => None,
            TokenKind::AccessToken => Some("access_token"),
            TokenKind::Component => Some("component_access_token"),
            TokenKind::Suite => Some("suite_access_token"),
            TokenKind::Provider => Some("provider_access_token"),
        }
    }
}

/// Whether a call may be repeated without repeating a side effect.
///
/// Token errors (40001/40014/42001) mean WeChat refused the call before running it, so every
/// call may be replayed once with a fresh token. Beyond that, only idempotent calls are retried
/// (after −1 "busy" or a transport failure); a send that may have reached WeChat is never
/// replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Idempotency {
    /// Reads, and writes that set a state (repeating them changes nothing).
    Idempotent,
    /// Sends, creations, anything with a side effect that must not happen twice.
    NonIdempotent,
}

/// A request body.
#[derive(Clone, PartialEq, Eq)]
pub struct Body {
    /// The `Content-Type` header.
    pub content_type: Cow<'static, str>,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// `application/json; charset=utf-8`, what WeChat expects for JSON bodies.
pub const JSON: &str = "application/json; charset=utf-8";

/// Query parameters whose values are secrets and are redacted by `Debug`.
const SECRET_PARAMS: &[&str] = &[
    "secret",
    "corpsecret",
    "access_token",
    "suite_secret",
    "provider_secret",
    "js_code",
];

/// One API call as a value.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiRequest {
    /// GET or POST.
    pub method: Method,
    /// The path, starting with `/` (`/cgi-bin/user/info`), or, for the rare endpoint on
    /// another host (`https://mp.weixin.qq.com/cgi-bin/showqrcode`), an absolute `https://`
    /// URL: [`ApiRequest::url`] then ignores the API base and never adds the token.
    pub path: Cow<'static, str>,
    /// Query parameters, without the access token.
    pub query: Vec<(Cow<'static, str>, String)>,
    /// The body, for POST.
    pub body: Option<Body>,
    /// The credential the request carries.
    pub token: TokenKind,
    /// Whether the call may be retried.
    pub idempotency: Idempotency,
    /// Extra request headers (most WeChat APIs need none).
    pub headers: Vec<(Cow<'static, str>, String)>,
}

impl ApiRequest {
    /// A GET to `path` that carries the access token.
    pub fn get(path: impl Into<Cow<'static, str>>) -> Self {
        Self {
            method: Method::Get,
            path: path.into(),
            query: Vec::new(),
            body: None,
            token: TokenKind::AccessToken,
            idempotency: Idempotency::Idempotent,
            headers: Vec::new(),
        }
    }

    /// A POST to `path` that carries the access token; non-idempotent until said otherwise.
    pub fn post(path: impl Into<Cow<'static, str>>) -> Self {
        Self {
            method: Method::Post,
            path: path.into(),
            query: Vec::new(),
            body: None,
            token: TokenKind::AccessToken,
            idempotency: Idempotency::NonIdempotent,
            headers: Vec::new(),
        }
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: impl Into<Cow<'static, str>>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Adds a query parameter when `value` is `Some`.
    pub fn query_opt(self, name: impl Into<Cow<'static, str>>, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.query(name, v),
            None => self,
        }
    }

    /// Sets a JSON body.
    pub fn json(mut self, bytes: Vec<u8>) -> Self {
        self.body = Some(Body {
            content_type: Cow::Borrowed(JSON),
            bytes,
        });
        self
    }

    /// Serializes `value` as the JSON body.
    ///
    /// # Errors
    /// [`ConfigError::InvalidArgument`] if `value` cannot be serialized (a map with
    /// non-string keys, say).
    pub fn json_of<T: serde::Serialize + ?Sized>(self, value: &T) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(value).map_err(|e| ConfigError::InvalidArgument(alloc::format!("{e}")))?;
        Ok(self.json(bytes))
    }

    /// Sets the body with an explicit content type (multipart uploads).
    pub fn body(mut self, content_type: impl Into<Cow<'static, str>>, bytes: Vec<u8>) -> Self {
        self.body = Some(Body {
            content_type: content_type.into(),
            bytes,
        });
        self
    }

    /// Sets which credential the request carries.
    pub fn token(mut self, token: TokenKind) -> Self {
        self.token = token;
        self
    }

    /// Marks the request idempotent or not.
    pub fn idempotency(mut self, idempotency: Idempotency) -> Self {
        self.idempotency = idempotency;
        self
    }

    /// The full URL: `base` (e.g. `https://api.weixin.qq.com`, no trailing slash needed) +
    /// path + query, with `token` added when the request needs one (in its
    /// [`TokenKind::param`]). An absolute path (`https://...`) is used as is, without `base`
    /// and without the token, so a token never travels to a host other than the API base.
    pub fn url(&self, base: &str, token: Option<&AccessToken>) -> String {
        self.url_with(base, self.token.param().zip(token))
    }

    /// [`ApiRequest::url`] with the token's query parameter named explicitly.
    pub fn url_with(&self, base: &str, token: Option<(&str, &AccessToken)>) -> String {
        let pair = token.map(|(param, token)| token_pair(param, token));
        self.url_after(base, pair.as_deref())
    }

    /// The full URL with `pair`, an already encoded `name=value`, as the first query
    /// parameter (the call machine keeps the token's encoded pair for as long as the token
    /// lasts). Absolute paths as in [`ApiRequest::url`].
    pub(crate) fn url_after(&self, base: &str, pair: Option<&str>) -> String {
        let absolute = self.path.starts_with("https://") || self.path.starts_with("http://");
        let (base, pair) = if absolute {
            ("", None)
        } else {
            (base.trim_end_matches('/'), pair)
        };
        let query_len: usize =
            pair.map_or(0, |p| p.len() + 1) + self.query.iter().map(|(k, v)| k.len() + v.len() + 2).sum::<usize>();
        // Room for some escaping; the query is encoded straight into the URL.
        let mut url = String::with_capacity(base.len() + self.path.len() + query_len + query_len / 4 + 8);
        url.push_str(base);
        url.push_str(&self.path);
        if pair.is_none() && self.query.is_empty() {
            return url;
        }
        url.push(if self.path.contains('?') { '&' } else { '?' });
        if let Some(pair) = pair {
            url.push_str(pair);
        }
        for (i, (k, v)) in self.query.iter().enumerate() {
            if i > 0 || pair.is_some() {
                url.push('&');
            }
            push_form_encoded(&mut url, k);
            url.push('=');
            push_form_encoded(&mut url, v);
        }
        url
    }

    /// The request ready to send to `base` with `token` (in the query parameter `param`).
    pub fn outgoing(&self, base: &str, token: Option<(&str, &AccessToken)>) -> Outgoing {
        let pair = token.map(|(param, token)| token_pair(param, token));
        self.outgoing_after(base, pair.as_deref())
    }

    /// [`ApiRequest::outgoing`] with the token's query pair already encoded.
    pub(crate) fn outgoing_after(&self, base: &str, pair: Option<&str>) -> Outgoing {
        let mut headers = self.headers.clone();
        let body = match &self.body {
            Some(body) => {
                headers.push((Cow::Borrowed("content-type"), String::from(body.content_type.as_ref())));
                body.bytes.clone()
            }
            None => Vec::new(),
        };
        Outgoing {
            method: self.method,
            url: self.url_after(base, pair),
            headers,
            body,
        }
    }

    /// Adds a request header.
    pub fn header(mut self, name: impl Into<Cow<'static, str>>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Converts into an `http::Request` for `base` and `token`.
    ///
    /// # Errors
    /// [`ConfigError::InvalidArgument`] when `base` does not make a valid URI.
    #[cfg(feature = "std")]
    pub fn to_http(&self, base: &str, token: Option<&AccessToken>) -> Result<http::Request<Vec<u8>>, Error> {
        self.outgoing(base, self.token.param().zip(token)).into_http()
    }
}

/// A request ready to send: method, full URL (with the token), headers and body. What the
/// [call machine](crate::call) hands to a transport. `Debug` shows neither the query (it holds
/// the token) nor the body.
#[derive(Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// GET or POST.
    pub method: Method,
    /// The full URL.
    pub url: String,
    /// Header names (lowercase) and values: `content-type`, and what the credential adds.
    pub headers: Vec<(Cow<'static, str>, String)>,
    /// The body (empty for GET).
    pub body: Vec<u8>,
}

impl Outgoing {
    /// The URL without its query (no token).
    pub fn path(&self) -> &str {
        self.url.split('?').next().unwrap_or_default()
    }

    /// The value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Converts into an `http::Request`.
    ///
    /// # Errors
    /// [`ConfigError::InvalidArgument`] when the URL or a header is not valid.
    #[cfg(feature = "std")]
    pub fn into_http(self) -> Result<http::Request<Vec<u8>>, Error> {
        let method = match self.method {
            Method::Get => http::Method::GET,
            Method::Post => http::Method::POST,
        };
        let invalid = |what: &str| -> Error { ConfigError::InvalidArgument(alloc::format!("invalid {what}")).into() };
        let uri: http::Uri = self.url.parse().map_err(|_| {
            let base = self.path();
            invalid(&alloc::format!("request URL {base:?} (check the API base)"))
        })?;
        let mut builder = http::Request::builder().method(method).uri(uri);
        for (name, value) in &self.headers {
            builder = builder.header(name.as_ref(), value.as_str());
        }
        builder.body(self.body).map_err(|_| invalid("request header"))
    }
}

impl fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_ref()).collect();
        f.debug_struct("Outgoing")
            .field("method", &self.method)
            .field("path", &self.path())
            .field("headers", &names)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}

/// `param=token`, encoded for a query string.
pub(crate) fn token_pair(param: &str, token: &AccessToken) -> String {
    let mut pair = String::with_capacity(param.len() + token.secret().len() + 8);
    push_form_encoded(&mut pair, param);
    pair.push('=');
    push_form_encoded(&mut pair, token.secret());
    pair
}

/// Appends `text` `application/x-www-form-urlencoded`, exactly as `form_urlencoded` writes
/// it; text that needs no escaping (tokens, openids, ids: nearly all of it) is copied at once.
fn push_form_encoded(out: &mut String, text: &str) {
    /// The bytes `form_urlencoded` leaves as they are.
    const PLAIN: [bool; 256] = {
        let mut table = [false; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            table[b] = c.is_ascii_alphanumeric() || matches!(c, b'*' | b'-' | b'.' | b'_');
            b += 1;
        }
        table
    };
    if text.bytes().all(|b| PLAIN[usize::from(b)]) {
        out.push_str(text);
    } else {
        out.extend(form_urlencoded::byte_serialize(text.as_bytes()));
    }
}

impl fmt::Debug for ApiRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Query<'a>(&'a [(Cow<'static, str>, String)]);
        impl fmt::Debug for Query<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut list = f.debug_list();
                for (k, v) in self.0 {
                    if SECRET_PARAMS.contains(&k.as_ref()) {
                        list.entry(&format_args!("{k}=[redacted]"));
                    } else {
                        list.entry(&format_args!("{k}={v}"));
                    }
                }
                list.finish()
            }
        }
        f.debug_struct("ApiRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &Query(&self.query))
            .field(
                "body",
                &self
                    .body
                    .as_ref()
                    .map(|b| alloc::format!("<{} bytes of {}>", b.bytes.len(), b.content_type)),
            )
            .field("token", &self.token)
            .field("idempotency", &self.idempotency)
            .finish()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Body(<{} bytes of {}>)", self.bytes.len(), self.content_type)
    }
}

/// An HTTP response as a value.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiResponse {
    /// The status code.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The `Content-Disposition` header, if any (media downloads carry the file name there).
    pub content_disposition: Option<String>,
    /// The body. [`Bytes`] so that a transport can hand over the buffer it read into without
    /// copying it (`Vec<u8>`, `String` and `&'static [u8]` convert for free).
    pub body: Bytes,
}

impl ApiResponse {
    /// A response with a status and a body, no headers.
    pub fn new(status: u16, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            content_type: None,
            content_disposition: None,
            body: body.into(),
        }
    }

    /// A 200 response with a JSON body (handy in tests and custom transports).
    pub fn json(body: impl Into<Bytes>) -> Self {
        Self {
            content_type: Some(String::from("application/json; charset=utf-8")),
            ..Self::new(200, body)
        }
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl fmt::Debug for ApiResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiResponse")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}

#[cfg(feature = "std")]
impl<B: Into<Bytes>> From<http::Response<B>> for ApiResponse {
    fn from(resp: http::Response<B>) -> Self {
        let header =
            |name: http::header::HeaderName| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(String::from);
        let content_type = header(http::header::CONTENT_TYPE);
        let content_disposition = header(http::header::CONTENT_DISPOSITION);
        ApiResponse {
            status: resp.status().as_u16(),
            content_type,
            content_disposition,
            body: resp.into_body().into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn url_has_token_and_encoded_query() {
        let req = ApiRequest::get("/cgi-bin/user/info")
            .query("openid", "o 1&x")
            .query("lang", "zh_CN");
        let token = AccessToken::new("TOK+EN");
        assert_eq!(
            req.url("https://api.weixin.qq.com/", Some(&token)),
            "https://api.weixin.qq.com/cgi-bin/user/info?access_token=TOK%2BEN&openid=o+1%26x&lang=zh_CN"
        );
        let bare = ApiRequest::get("/cgi-bin/token").token(TokenKind::None);
        assert_eq!(bare.url("http://h", Some(&token)), "http://h/cgi-bin/token");
    }

    #[test]
    fn query_encoding_matches_form_urlencoded() {
        let values = ["", "plain-Token_1.2*", "o 1&x", "中文=?", "a+b/c%d", "~!'()"];
        let mut req = ApiRequest::get("/p");
        for (i, v) in values.iter().enumerate() {
            req = req.query(alloc::format!("k{i} x"), *v);
        }
        let token = AccessToken::new("T0K_en-1.x");
        let mut expected = form_urlencoded::Serializer::new(String::from("http://h/p?"));
        expected.append_pair("access_token", token.secret());
        for (i, v) in values.iter().enumerate() {
            expected.append_pair(&alloc::format!("k{i} x"), v);
        }
        assert_eq!(
            req.url("http://h", Some(&token)),
            expected.finish().replacen("?&", "?", 1)
        );
    }

    #[test]
    fn debug_redacts_secrets_and_bodies() {
        let req = ApiRequest::get("/cgi-bin/token")
            .token(TokenKind::None)
            .query("appid", "wx1")
            .query("secret", "TOPSECRET")
            .json(b"{\"secret\":\"TOPSECRET\"}".to_vec());
        let shown = format!("{req:?}");
        assert!(!shown.contains("TOPSECRET"), "{shown}");
        assert!(shown.contains("appid=wx1"));
    }

    #[cfg(feature = "std")]
    #[test]
    fn converts_to_http() {
        let req = ApiRequest::post("/cgi-bin/menu/create").json(b"{}".to_vec());
        let http = req
            .to_http("https://api.weixin.qq.com", Some(&AccessToken::new("T")))
            .unwrap();
        assert_eq!(http.method(), http::Method::POST);
        assert_eq!(
            http.uri(),
            "https://api.weixin.qq.com/cgi-bin/menu/create?access_token=T"
        );
        assert_eq!(http.headers()["content-type"], JSON);
        assert_eq!(http.body(), b"{}");
        assert!(req.to_http("not a url", None).is_err());
        let resp: ApiResponse = http::Response::builder()
            .status(200)
            .header("content-type", "image/jpeg")
            .body(b"\xff\xd8".to_vec())
            .unwrap()
            .into();
        assert_eq!(resp.content_type.as_deref(), Some("image/jpeg"));
    }
}
