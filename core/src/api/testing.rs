//! Test support for the API groups: a [`Caller`] that records requests and answers from a
//! queue, with the group accessors of one platform on it.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::marker::PhantomData;

use crate::api::{Caller, Endpoint};
use crate::error::Error;
use crate::http::{ApiRequest, ApiResponse, Idempotency, Method};
use crate::secret::{AccessToken, Ticket};
use crate::time::UnixTime;
use crate::token::TicketKind;

/// What differs between the two platforms' mocks.
pub(crate) trait Platform {
    /// The byte `random()` repeats (fixes multipart boundaries in tests).
    const RANDOM: u8;
    /// The prefix of the fake tickets.
    const TICKET: &'static str;
}

/// The mp mock's platform.
pub(crate) struct Mp;
/// The WeCom mock's platform.
pub(crate) struct Work;

impl Platform for Mp {
    const RANDOM: u8 = 0xab;
    const TICKET: &'static str = "TICKET-";
}

impl Platform for Work {
    const RANDOM: u8 = 0x5a;
    const TICKET: &'static str = "ticket-";
}

/// A blocking-style caller (`Ret<T> = Result<T, Error>`) that records every request and
/// answers with the queued responses, then with `{"errcode":0,"errmsg":"ok"}`.
pub(crate) struct MockCaller<P> {
    pub(crate) requests: RefCell<Vec<ApiRequest>>,
    pub(crate) responses: RefCell<VecDeque<ApiResponse>>,
    pub(crate) tickets: RefCell<Vec<TicketKind>>,
    platform: PhantomData<P>,
}

impl<P> Default for MockCaller<P> {
    fn default() -> Self {
        Self::with_responses(Vec::new())
    }
}

impl<P> MockCaller<P> {
    /// A caller answering with raw responses, in order.
    pub(crate) fn with_responses(responses: Vec<ApiResponse>) -> Self {
        Self {
            requests: RefCell::new(Vec::new()),
            responses: RefCell::new(responses.into()),
            tickets: RefCell::new(Vec::new()),
            platform: PhantomData,
        }
    }

    /// A caller answering each call with the next of `bodies` (JSON).
    pub(crate) fn new(bodies: &[&str]) -> Self {
        Self::with_responses(
            bodies
                .iter()
                .map(|b| ApiResponse::json(b.as_bytes().to_vec()))
                .collect(),
        )
    }

    /// A caller answering one call with `body` (JSON).
    pub(crate) fn answering(body: &str) -> Self {
        Self::new(&[body])
    }

    /// The one request sent so far.
    pub(crate) fn request(&self) -> ApiRequest {
        let requests = self.requests.borrow();
        assert_eq!(requests.len(), 1, "expected exactly one request");
        requests[0].clone()
    }

    /// The last request sent.
    pub(crate) fn last(&self) -> ApiRequest {
        self.requests.borrow().last().cloned().expect("no request was made")
    }

    /// The JSON body of the one request, as text.
    pub(crate) fn body(&self) -> String {
        let body = self.request().body.expect("a body").bytes;
        String::from_utf8(body).expect("UTF-8 body")
    }
}

impl<P: Platform> Caller for MockCaller<P> {
    type Ret<'a, T: Send + 'a>
        = Result<T, Error>
    where
        Self: 'a;

    fn call<'a, E>(&'a self, endpoint: E) -> Result<E::Output, Error>
    where
        E: Endpoint + Send + Sync + 'a,
        E::Output: Send + 'a,
    {
        let req = endpoint.request()?;
        self.requests.borrow_mut().push(req);
        let resp = self
            .responses
            .borrow_mut()
            .pop_front()
            .unwrap_or_else(|| ApiResponse::json(&br#"{"errcode":0,"errmsg":"ok"}"#[..]));
        endpoint.parse(resp)
    }

    fn call_then<'a, E, T>(&'a self, endpoint: E, then: fn(E::Output) -> T) -> Result<T, Error>
    where
        E: Endpoint + Send + Sync + 'a,
        E::Output: Send + 'a,
        T: Send + 'a,
    {
        self.call(endpoint).map(then)
    }

    fn ticket(&self, kind: TicketKind) -> Result<Ticket, Error> {
        self.tickets.borrow_mut().push(kind);
        Ok(Ticket::new(alloc::format!("{}{}", P::TICKET, kind.name())))
    }

    fn access_token(&self) -> Result<AccessToken, Error> {
        Ok(AccessToken::new("TOKEN"))
    }

    fn random(&self) -> [u8; 16] {
        [P::RANDOM; 16]
    }

    fn now(&self) -> UnixTime {
        UnixTime::from_secs(1_414_587_457)
    }
}

/// The group accessors (`mock.menu()`, ...), as the clients have them; not every test uses
/// every group.
#[allow(dead_code)]
mod accessors {
    use super::{MockCaller, Mp, Work};

    crate::impl_mp_api!(MockCaller<Mp>);
    crate::impl_work_api!(MockCaller<Work>);
}

/// The request's method, path, query (as `k=v` strings), idempotency and body text.
pub(crate) fn shape(req: &ApiRequest) -> (Method, String, Vec<String>, Idempotency, String) {
    (
        req.method,
        String::from(req.path.as_ref()),
        req.query.iter().map(|(k, v)| alloc::format!("{k}={v}")).collect(),
        req.idempotency,
        req.body
            .as_ref()
            .map(|b| String::from_utf8_lossy(&b.bytes).into_owned())
            .unwrap_or_default(),
    )
}

/// Asserts a GET request's path, query and idempotency.
#[track_caller]
pub(crate) fn assert_get(req: &ApiRequest, path: &str, query: &[&str], idem: Idempotency) {
    let (method, p, q, i, body) = shape(req);
    assert_eq!(method, Method::Get);
    assert_eq!(p, path);
    assert_eq!(q, query);
    assert_eq!(i, idem);
    assert!(body.is_empty(), "GET with a body: {body}");
}

/// Asserts a POST request's path, exact JSON body and idempotency (no query).
#[track_caller]
pub(crate) fn assert_post(req: &ApiRequest, path: &str, json: &str, idem: Idempotency) {
    let (method, p, q, i, body) = shape(req);
    assert_eq!(method, Method::Post);
    assert_eq!(p, path);
    assert!(q.is_empty(), "unexpected query {q:?}");
    assert_eq!(i, idem);
    assert_eq!(body, json);
    assert_eq!(
        req.body.as_ref().map(|b| b.content_type.as_ref()),
        Some(crate::http::JSON)
    );
}

/// The multipart body of an upload: one `media` part between `boundary` lines.
pub(crate) fn expected_multipart(boundary: &str, filename: &str, content_type: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = alloc::format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(alloc::format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}
