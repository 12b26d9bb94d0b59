//! The escape hatch: any endpoint by method and path, through the same token and retry
//! pipeline as the typed ones.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use super::Endpoint;
use super::json;
use crate::error::Error;
use crate::http::{ApiRequest, ApiResponse, Idempotency, JSON, Method, TokenKind};

/// A call to any path, for APIs without a typed wrapper (`wechat api`, `client.get/post`).
///
/// GET calls are treated as idempotent and POST calls as not, unless said otherwise: a raw
/// POST might be a send, and a send must never be replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCall {
    /// GET or POST.
    pub method: Method,
    /// The path (`/cgi-bin/menu/get`).
    pub path: String,
    /// Query parameters (the access token is added by the client).
    pub query: Vec<(String, String)>,
    /// The JSON body.
    pub json: Option<Vec<u8>>,
    /// Whether the call may be retried after −1 or a transport failure.
    pub idempotency: Idempotency,
    /// Which credential to send (the access token unless said otherwise).
    pub token: TokenKind,
}

impl RawCall {
    /// A GET to `path`.
    pub fn get(path: impl Into<String>) -> Self {
        Self {
            method: Method::Get,
            path: path.into(),
            query: Vec::new(),
            json: None,
            idempotency: Idempotency::Idempotent,
            token: TokenKind::AccessToken,
        }
    }

    /// A POST of `json` to `path`.
    pub fn post(path: impl Into<String>, json: impl Into<Vec<u8>>) -> Self {
        Self {
            method: Method::Post,
            path: path.into(),
            query: Vec::new(),
            json: Some(json.into()),
            idempotency: Idempotency::NonIdempotent,
            token: TokenKind::AccessToken,
        }
    }

    /// A GET to `path` with these query parameters (what the clients' `get` sends).
    pub fn get_with(path: impl Into<String>, query: &[(&str, &str)]) -> Self {
        let mut call = Self::get(path);
        for (k, v) in query {
            call = call.query(*k, *v);
        }
        call
    }

    /// A POST of `body` as JSON to `path` (what the clients' `post` sends).
    ///
    /// # Errors
    /// [`ConfigError::InvalidArgument`](crate::error::ConfigError::InvalidArgument) if `body`
    /// cannot be serialized.
    pub fn post_json(path: impl Into<String>, body: &serde_json::Value) -> Result<Self, Error> {
        let bytes =
            serde_json::to_vec(body).map_err(|e| crate::error::ConfigError::InvalidArgument(alloc::format!("{e}")))?;
        Ok(Self::post(path, bytes))
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Declares the call idempotent (safe to retry) or not.
    pub fn idempotency(mut self, idempotency: Idempotency) -> Self {
        self.idempotency = idempotency;
        self
    }
}

/// The raw answer to a [`RawCall`] whose `errcode` (if any) was 0.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RawResponse {
    /// The HTTP status (2xx).
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: Option<String>,
    /// The body, unchanged.
    pub body: crate::http::Bytes,
}

impl RawResponse {
    /// The body as JSON (decoded leniently, like every response: control characters and bad
    /// UTF-8 are repaired).
    ///
    /// # Errors
    /// [`ResponseError::Decode`](crate::error::ResponseError::Decode) with the raw body.
    pub fn json(&self) -> Result<serde_json::Value, Error> {
        json::from_slice_lenient(&self.body).map_err(|e| json::decode_error(e, &self.body))
    }
}

impl core::fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RawResponse")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}

impl Endpoint for RawCall {
    type Output = RawResponse;

    fn request(&self) -> Result<ApiRequest, Error> {
        let path = if self.path.starts_with('/') {
            self.path.clone()
        } else {
            alloc::format!("/{}", self.path)
        };
        let mut req = match self.method {
            Method::Get => ApiRequest::get(path),
            Method::Post => ApiRequest::post(path),
        }
        .token(self.token)
        .idempotency(self.idempotency);
        for (k, v) in &self.query {
            req.query.push((Cow::Owned(k.clone()), v.clone()));
        }
        if let Some(body) = &self.json {
            req = req.body(JSON, body.clone());
        }
        Ok(req)
    }

    /// After the `errcode` check, a body that is JSON (by its `Content-Type`, or by its first
    /// byte when WeChat labels JSON `text/plain`) must be complete JSON: a truncated answer is
    /// a decode error, never a success. Other bodies (media, images) are returned as they are.
    fn parse(&self, response: ApiResponse) -> Result<RawResponse, Error> {
        json::check(&response)?;
        if looks_like_json(&response) {
            json::from_slice_lenient::<serde::de::IgnoredAny>(&response.body)
                .map_err(|e| json::decode_error(e, &response.body))?;
        }
        Ok(RawResponse {
            status: response.status,
            content_type: response.content_type,
            body: response.body,
        })
    }
}

/// Whether a response claims to be JSON: its `Content-Type` says so, it is text whose first
/// non-blank byte opens an object or array, or it has no type and no body (an empty answer is
/// not valid JSON either).
fn looks_like_json(response: &ApiResponse) -> bool {
    let ty = response.content_type.as_deref().unwrap_or("").to_ascii_lowercase();
    if ty.contains("json") {
        return true;
    }
    let first = response.body.iter().find(|b| !b.is_ascii_whitespace());
    let textual = ty.is_empty() || ty.starts_with("text/");
    textual && matches!(first, Some(b'{' | b'[') | None)
}

/// An already built request as an endpoint whose output is the raw response after the
/// `errcode` check. Clients fetch tickets with it, so a ticket fetch gets the same token
/// replay and retry rules as any call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared(pub ApiRequest);

impl Endpoint for Prepared {
    type Output = ApiResponse;

    fn request(&self) -> Result<ApiRequest, Error> {
        Ok(self.0.clone())
    }

    fn parse(&self, response: ApiResponse) -> Result<ApiResponse, Error> {
        json::check(&response)?;
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(content_type: Option<&str>, body: &'static [u8]) -> ApiResponse {
        let mut response = ApiResponse::json(body);
        response.content_type = content_type.map(String::from);
        response
    }

    #[test]
    fn json_answers_must_be_complete() {
        let call = RawCall::post("/cgi-bin/message/custom/send", b"{}".to_vec());
        for (ty, body) in [
            (Some("application/json; charset=utf-8"), &b"{\"errcode\":0,"[..]),
            (Some("text/plain"), b"  {\"errcode\":0,"),
            (Some("text/plain"), b"[1,"),
            (None, b""),
            (Some("application/json"), b"<html>bad gateway</html>"),
        ] {
            let err = call.parse(answer(ty, body)).unwrap_err();
            assert_eq!(err.kind(), "decode", "{ty:?} {body:?}");
            let Error::Response(e) = err else { panic!() };
            assert_eq!(e.body(), body, "the raw body is kept");
        }
        for (ty, body) in [
            (Some("application/json"), &b"{\"errcode\":0,\"errmsg\":\"ok\"}"[..]),
            (Some("text/plain"), b"{\"a\":\"\x01\"}"),
            (Some("image/jpeg"), b"\xff\xd8\xff\xe0"),
            (Some("text/plain"), b"plain text"),
        ] {
            let ok = call.parse(answer(ty, body)).unwrap();
            assert_eq!(&ok.body[..], body);
        }
    }
}
