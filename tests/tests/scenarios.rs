//! Token and retry scenarios against the mock WeChat server over loopback, written once and
//! run against both transports (`blocking::*` and `nonblocking::*`): cold stampedes, expiry
//! mid-burst, invalidation by another instance, persistent 40001, busy retries, a send that
//! times out, broken and chunked responses, tickets, WeCom, a panicking store, virtual time,
//! your own HTTP client and credential kind, and what the traces show.
//!
//! Both clients drive the same call machine, so they must pass the same suite; the async one
//! is driven from plain threads through one shared runtime.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wechat_core::Error;
use wechat_core::api::mp::user::UserInfo;
use wechat_core::client::ClientConfig;
use wechat_core::credential::{Credential, Fetched, TicketKind};
use wechat_core::error::{ResponseError, TokenError, TransportErrorKind};
use wechat_core::http::{ApiRequest, ApiResponse, Outgoing, TokenKind};
use wechat_core::secret::AccessToken;
use wechat_core::time::Timestamp;
use wechat_session::{Clock, ManualClock, MemoryStore, SessionStore, StoreError, TokenStore};
use wechat_tests::{Fault, MOCK_MP_APPID, MOCK_MP_SECRET, MOCK_WORK_CORPID, MOCK_WORK_SECRET, MockConfig, MockWeChat};

const USER_INFO: &str = "/cgi-bin/user/info";
const SEND: &str = "/cgi-bin/message/custom/send";

type Scripted = Arc<dyn Fn(http::Request<Vec<u8>>) -> http::Response<Vec<u8>> + Send + Sync>;

/// How a scenario wants its client.
#[derive(Clone)]
struct Setup {
    base: String,
    app_id: String,
    secret: String,
    work_agent: Option<i64>,
    config: ClientConfig,
    store: Option<Arc<dyn TokenStore>>,
    clock: Option<Arc<dyn Clock>>,
    scripted: Option<Scripted>,
    own_client: bool,
    credential: Option<(TokenKind, Arc<dyn Credential>)>,
}

impl Setup {
    fn mp(base: impl Into<String>) -> Self {
        let mut config = ClientConfig::default();
        config.call.backoff_initial = Duration::from_millis(5);
        config.call.backoff_max = Duration::from_millis(20);
        config.timeout = Duration::from_secs(5);
        Self {
            base: base.into(),
            app_id: MOCK_MP_APPID.into(),
            secret: MOCK_MP_SECRET.into(),
            work_agent: None,
            config,
            store: None,
            clock: None,
            scripted: None,
            own_client: false,
            credential: None,
        }
    }

    fn work(base: impl Into<String>, agent: i64) -> Self {
        Self {
            app_id: MOCK_WORK_CORPID.into(),
            secret: MOCK_WORK_SECRET.into(),
            work_agent: Some(agent),
            ..Self::mp(base)
        }
    }

    fn secret(mut self, secret: &str) -> Self {
        self.secret = secret.into();
        self
    }

    fn configure(mut self, f: impl FnOnce(&mut ClientConfig)) -> Self {
        f(&mut self.config);
        self
    }
}

/// What the scenarios do with a client; one implementation per transport.
trait Client: Clone + Send + Sync + 'static {
    fn build(setup: Setup) -> Self;
    fn user(&self, openid: &str) -> Result<UserInfo, Error>;
    fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, Error>;
    fn post(&self, path: &str, body: &Value) -> Result<Value, Error>;
    fn token(&self, force: bool) -> Result<AccessToken, Error>;
    fn ticket(&self, kind: TicketKind) -> Result<String, Error>;
    fn call(&self, request: ApiRequest) -> Result<Value, Error>;
    fn fetches(&self) -> u64;
}

#[derive(Clone)]
enum Blocking {
    Mp(wechat_blocking::WeChatClient),
    Work(wechat_blocking::work::WeChatClient),
}

macro_rules! both {
    ($self:ident, $c:ident => $e:expr) => {
        match $self {
            Self::Mp($c) => $e,
            Self::Work($c) => $e,
        }
    };
}

impl Client for Blocking {
    fn build(s: Setup) -> Self {
        use wechat_blocking::{Builder, Credentials};
        let credentials = match s.work_agent {
            Some(agent) => Credentials::work(s.app_id, s.secret, Some(agent)),
            None => Credentials::mp(s.app_id, s.secret),
        };
        let mut b = Builder::new(credentials).config(s.config).api_base(s.base);
        if let Some(store) = s.store {
            b = b.store(store);
        }
        if let Some(clock) = s.clock {
            b = b.clock(clock);
        }
        if let Some(script) = s.scripted {
            b = b.http_client(move |r| Ok::<_, std::io::Error>(script(r)));
        }
        if s.own_client {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .user_agent("my-own-agent/1.0")
                .build()
                .into();
            b = b.http_client(agent);
        }
        if let Some((role, credential)) = s.credential {
            b = b.credential(role, credential);
        }
        match s.work_agent {
            Some(_) => Self::Work(b.build_work()),
            None => Self::Mp(b.build()),
        }
    }
    fn user(&self, openid: &str) -> Result<UserInfo, Error> {
        match self {
            Self::Mp(c) => c.user().get(openid),
            Self::Work(_) => unreachable!("mp only"),
        }
    }
    fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, Error> {
        both!(self, c => c.get(path, query))
    }
    fn post(&self, path: &str, body: &Value) -> Result<Value, Error> {
        both!(self, c => c.post(path, body))
    }
    fn token(&self, force: bool) -> Result<AccessToken, Error> {
        both!(self, c => c.access_token_info(force).map(|(t, _)| t))
    }
    fn ticket(&self, kind: TicketKind) -> Result<String, Error> {
        use wechat_core::api::Caller;
        both!(self, c => c.ticket(kind).map(|t| t.secret().to_string()))
    }
    fn call(&self, request: ApiRequest) -> Result<Value, Error> {
        both!(self, c => c.call(&wechat_core::api::Prepared(request)).map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null)))
    }
    fn fetches(&self) -> u64 {
        both!(self, c => c.token_fetches())
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

#[derive(Clone)]
enum Async {
    Mp(wechat_async::WeChatClient),
    Work(wechat_async::work::WeChatClient),
}

impl Client for Async {
    fn build(s: Setup) -> Self {
        use wechat_async::{Builder, Credentials};
        let _rt = runtime().enter();
        let credentials = match s.work_agent {
            Some(agent) => Credentials::work(s.app_id, s.secret, Some(agent)),
            None => Credentials::mp(s.app_id, s.secret),
        };
        let mut b = Builder::new(credentials).config(s.config).api_base(s.base);
        if let Some(store) = s.store {
            b = b.store(Arc::new(wechat_session::Blocking(store)));
        }
        if let Some(clock) = s.clock {
            b = b.clock(clock);
        }
        if let Some(script) = s.scripted {
            b = b.http_client(move |r| {
                let answer = script(r);
                async move { Ok::<_, std::io::Error>(answer) }
            });
        }
        if s.own_client {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let tls = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth();
            let client = reqwest::Client::builder()
                .user_agent("my-own-client/1.0")
                .tls_backend_preconfigured(tls)
                .build()
                .unwrap();
            b = b.http_client(client);
        }
        if let Some((role, credential)) = s.credential {
            b = b.credential(role, credential);
        }
        match s.work_agent {
            Some(_) => Self::Work(b.build_work()),
            None => Self::Mp(b.build()),
        }
    }
    fn user(&self, openid: &str) -> Result<UserInfo, Error> {
        match self {
            Self::Mp(c) => runtime().block_on(c.user().get(openid)),
            Self::Work(_) => unreachable!("mp only"),
        }
    }
    fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, Error> {
        both!(self, c => runtime().block_on(c.get(path, query)))
    }
    fn post(&self, path: &str, body: &Value) -> Result<Value, Error> {
        both!(self, c => runtime().block_on(c.post(path, body)))
    }
    fn token(&self, force: bool) -> Result<AccessToken, Error> {
        both!(self, c => runtime().block_on(c.access_token_info(force)).map(|(t, _)| t))
    }
    fn ticket(&self, kind: TicketKind) -> Result<String, Error> {
        use wechat_core::api::Caller;
        both!(self, c => runtime().block_on(c.ticket(kind)).map(|t| t.secret().to_string()))
    }
    fn call(&self, request: ApiRequest) -> Result<Value, Error> {
        both!(self, c => runtime().block_on(c.call(&wechat_core::api::Prepared(request))).map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null)))
    }
    fn fetches(&self) -> u64 {
        both!(self, c => c.token_fetches())
    }
}

fn client<C: Client>(mock: &MockWeChat) -> C {
    C::build(Setup::mp(mock.base_url()))
}

fn send_body() -> Value {
    json!({"touser": "oUser", "msgtype": "text", "text": {"content": "hello"}})
}

/// Runs `f` on `n` threads released together; returns their results.
fn together<C: Client, T: Send + 'static>(c: &C, n: usize, f: fn(&C, usize) -> T) -> Vec<T> {
    let barrier = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let (c, barrier) = (c.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                f(&c, i)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        mod blocking {
            $( #[test] fn $name() { super::$name::<super::Blocking>() } )*
        }
        mod nonblocking {
            $( #[test] fn $name() { super::$name::<super::Async>() } )*
        }
    };
}

scenarios!(
    a_cold_stampede_fetches_the_token_once,
    expiry_mid_burst_refreshes_once_and_replays_each_call_once,
    invalidation_by_another_instance_is_healed_with_one_replay,
    persistent_40001_replays_once_then_fails_clearly,
    a_wrong_secret_is_a_clear_error_and_backs_off,
    busy_is_retried_for_reads_only,
    a_send_that_times_out_is_not_duplicated,
    broken_responses_are_typed_errors,
    chunked_bodies_are_read_whole_and_capped,
    work_client_keeps_one_token_per_agent_and_the_escape_hatch_shares_the_pipeline,
    a_jsapi_ticket_is_cached_like_the_token,
    a_panicking_store_never_leaves_other_callers_waiting,
    on_a_virtual_clock_the_token_is_refreshed_ahead_of_expiry,
    a_credential_kind_of_your_own_and_a_scripted_http_client,
    your_own_http_client_is_used,
    traces_of_a_failing_call_hold_no_secret,
);

// ---------------------------------------------------------------------------------------------
// Stampedes, expiry, invalidation

fn a_cold_stampede_fetches_the_token_once<C: Client>() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let c: C = client(&mock);
    for r in together(&c, 16, |c, i| c.user(&format!("o{i}"))) {
        r.unwrap();
    }
    assert_eq!(mock.token_fetches().mp, 1, "exactly one token fetch for 16 callers");
    assert_eq!(c.fetches(), 1);
    assert_eq!(mock.calls(USER_INFO), 16);
}

fn expiry_mid_burst_refreshes_once_and_replays_each_call_once<C: Client>() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let c: C = client(&mock);
    c.user("warm").unwrap();
    // WeChat's clock passes the token's expiry; the client still believes it valid.
    mock.advance(Duration::from_secs(7300));
    for r in together(&c, 16, |c, i| c.user(&format!("o{i}"))) {
        r.unwrap();
    }
    assert_eq!(mock.token_fetches().mp, 2, "one refresh for the whole burst");
    let calls = mock.calls(USER_INFO);
    assert!(
        (1 + 16..=1 + 32).contains(&calls),
        "each call replayed at most once: {calls}"
    );
}

fn invalidation_by_another_instance_is_healed_with_one_replay<C: Client>() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let c: C = client(&mock);
    c.user("warm").unwrap();
    // Another deployment fetched a token: ours keeps working during the grace period...
    mock.rotate_token(MOCK_MP_APPID).unwrap();
    c.user("during-grace").unwrap();
    assert_eq!(c.fetches(), 1);
    // ...and is refused after it: one refresh, one replay, success.
    mock.advance(Duration::from_secs(301));
    c.user("after-grace").unwrap();
    assert_eq!(c.fetches(), 2);
    assert_eq!(mock.calls(USER_INFO), 4);
}

fn persistent_40001_replays_once_then_fails_clearly<C: Client>() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let c: C = client(&mock);
    mock.inject(Fault::errcode(40001).on(USER_INFO).always());
    let err = c.user("o").unwrap_err();
    assert_eq!(err, Error::Token(TokenError::RejectedAfterRefresh { code: 40001 }));
    assert_eq!(err.kind(), "token-rejected");
    assert_eq!(mock.calls(USER_INFO), 2, "the call, and one replay");
    assert_eq!(mock.token_fetches().mp, 2, "the first token, and one refresh");
    // No loop later either: the next call makes the same bounded attempt.
    let _ = c.user("o").unwrap_err();
    assert_eq!(mock.calls(USER_INFO), 4);
}

fn a_wrong_secret_is_a_clear_error_and_backs_off<C: Client>() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let c = C::build(Setup::mp(mock.base_url()).secret("wrong"));
    let err = c.user("o").unwrap_err();
    assert_eq!(err.api_error().expect("WeChat's error").code, 40125);
    assert!(!err.to_string().contains("wrong"), "the secret is never echoed: {err}");
    // An immediate retry does not hammer the token endpoint.
    assert_eq!(c.user("o").unwrap_err().kind(), "token-backoff");
    assert_eq!(mock.token_fetches().mp, 1);
}

// ---------------------------------------------------------------------------------------------
// Busy, timeouts, broken responses

fn busy_is_retried_for_reads_only<C: Client>() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let c: C = client(&mock);
    mock.inject(Fault::Busy.on(USER_INFO).times(2));
    c.user("o").unwrap();
    assert_eq!(mock.calls(USER_INFO), 3);
    mock.inject(Fault::Busy.on(USER_INFO).times(3));
    let err = c.user("o").unwrap_err();
    assert_eq!(err.api_error().unwrap().code, -1, "bounded: gives up after 2 retries");
    mock.inject(Fault::Busy.on(SEND).times(1));
    let err = c.post(SEND, &send_body()).unwrap_err();
    assert_eq!(err.api_error().unwrap().code, -1);
    assert_eq!(mock.calls(SEND), 1, "a send is never retried");
}

fn a_send_that_times_out_is_not_duplicated<C: Client>() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let c = C::build(Setup::mp(mock.base_url()).configure(|c| c.timeout = Duration::from_millis(400)));
    c.token(false).unwrap();
    mock.inject(Fault::DelayAfter(Duration::from_millis(1500)).on(SEND));
    let started = Instant::now();
    let err = c.post(SEND, &send_body()).unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(1400), "the timeout fired");
    let Error::Transport(e) = &err else { panic!("{err:?}") };
    assert_eq!((e.kind, e.maybe_sent), (TransportErrorKind::Timeout, true));
    assert_eq!(err.kind(), "timeout");
    std::thread::sleep(Duration::from_millis(1700));
    assert_eq!(mock.processed(SEND), 1, "WeChat processed the send exactly once");
    assert_eq!(mock.calls(SEND), 1, "and the client did not replay it");
    // A dropped connection after processing: a send is not replayed either.
    mock.inject(Fault::DropAfter.on(SEND));
    assert!(c.post(SEND, &send_body()).is_err());
    assert_eq!((mock.processed(SEND), mock.calls(SEND)), (2, 2));
    // A read that times out is retried.
    mock.inject(Fault::DelayAfter(Duration::from_millis(1500)).on(USER_INFO));
    c.user("o").unwrap();
    assert_eq!(mock.calls(USER_INFO), 2);
}

fn broken_responses_are_typed_errors<C: Client>() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let c: C = client(&mock);
    c.token(false).unwrap();
    mock.inject(Fault::TruncatedJson.on(USER_INFO));
    match c.user("o").unwrap_err() {
        Error::Response(ResponseError::Decode { body, .. }) => assert!(!body.is_empty(), "the raw body is kept"),
        other => panic!("{other:?}"),
    }
    mock.inject(Fault::Html500.on(USER_INFO));
    assert!(matches!(
        c.user("o"),
        Err(Error::Response(ResponseError::Status { status: 500, .. }))
    ));
    mock.inject(Fault::Garbage.on(USER_INFO));
    assert_eq!(c.user("o").unwrap_err().kind(), "decode");
    // A send's unreadable answer: it may have been carried out, and says so.
    mock.inject(Fault::TruncatedJson.on(SEND));
    let Err(Error::Response(e)) = c.post(SEND, &send_body()) else {
        panic!()
    };
    assert!(e.is_unconfirmed() && e.kind() == "decode", "{e:?}");
    // A dropped connection on a read is retried once and succeeds.
    mock.inject(Fault::Drop.on(USER_INFO));
    c.user("o").unwrap();
    // An oversized body is refused.
    let capped = C::build(Setup::mp(mock.base_url()).configure(|c| c.max_response_bytes = 1000));
    mock.set_binary_response("/cgi-bin/big/file", "image/jpeg", vec![0xff; 5000]);
    assert_eq!(
        capped.get("/cgi-bin/big/file", &[]).unwrap_err().kind(),
        "response-too-large"
    );
}

/// A server that answers every request with a chunked body (no Content-Length), which the
/// mock never does: the token, a user in three chunks, or 3 × 400 bytes of file.
fn chunked_server() -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let (content_type, chunks): (&str, Vec<Vec<u8>>) = if request_line.contains("/cgi-bin/token") {
                (
                    "application/json",
                    vec![br#"{"access_token":"T","expires_in":7200}"#.to_vec()],
                )
            } else if request_line.contains(USER_INFO) {
                let user = br#"{"subscribe":1,"openid":"o","nickname":"Band","tagid_list":[1,2]}"#;
                ("application/json", user.chunks(24).map(<[u8]>::to_vec).collect())
            } else {
                ("image/jpeg", vec![vec![0xff; 400]; 3])
            };
            let mut out = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
            )
            .into_bytes();
            for chunk in chunks {
                out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                out.extend_from_slice(&chunk);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n\r\n");
            let _ = stream.write_all(&out);
        }
    });
    base
}

fn chunked_bodies_are_read_whole_and_capped<C: Client>() {
    let c = C::build(Setup::mp(chunked_server()).configure(|c| c.max_response_bytes = 1000));
    let user = c.user("o").unwrap();
    assert_eq!((user.nickname.as_deref(), user.tagid_list), (Some("Band"), vec![1, 2]));
    assert_eq!(
        c.get("/cgi-bin/big/file", &[]).unwrap_err().kind(),
        "response-too-large"
    );
}

// ---------------------------------------------------------------------------------------------
// WeCom, tickets

fn work_client_keeps_one_token_per_agent_and_the_escape_hatch_shares_the_pipeline<C: Client>() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let c = C::build(Setup::work(mock.base_url(), 1000002));
    let v = c.get("/cgi-bin/user/get", &[("userid", "zhangsan")]).unwrap();
    assert_eq!(v["errcode"], 0);
    assert_eq!(mock.token_fetches().work, 1);
    // gettoken returns the same token while valid; a rejected token is healed through the same
    // replay rule as typed calls.
    mock.inject(Fault::errcode(42001).on("/cgi-bin/user/get"));
    c.get("/cgi-bin/user/get", &[("userid", "zhangsan")]).unwrap();
    assert_eq!(mock.token_fetches().work, 2);
}

fn a_jsapi_ticket_is_cached_like_the_token<C: Client>() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let c: C = client(&mock);
    let tickets = together(&c, 8, |c, _| c.ticket(TicketKind::MpJsapi).unwrap());
    assert!(tickets.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(mock.calls("/cgi-bin/ticket/getticket"), 1);
    assert_eq!(c.fetches(), 2, "one token, one ticket");
}

// ---------------------------------------------------------------------------------------------
// What only the call machine guarantees

/// A store whose first lease attempt panics (a bug in a custom store, say).
struct PanickyStore {
    inner: MemoryStore,
    armed: AtomicBool,
}

impl SessionStore for PanickyStore {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), StoreError> {
        self.inner.set(key, value, ttl)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.inner.delete(key)
    }
}

impl TokenStore for PanickyStore {
    fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        if self.armed.swap(false, Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(300));
            panic!("a store bug");
        }
        self.inner.set_nx(key, value, ttl)
    }
    fn compare_and_delete(&self, key: &str, expected: &str) -> Result<bool, StoreError> {
        self.inner.compare_and_delete(key, expected)
    }
    fn incr(&self, key: &str, ttl: Duration) -> Result<u64, StoreError> {
        self.inner.incr(key, ttl)
    }
    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&str>,
        value: &str,
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError> {
        self.inner.compare_and_set(key, expected, value, ttl)
    }
}

fn a_panicking_store_never_leaves_other_callers_waiting<C: Client>() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let mut setup = Setup::mp(mock.base_url());
    setup.store = Some(Arc::new(PanickyStore {
        inner: MemoryStore::new(),
        armed: AtomicBool::new(true),
    }));
    let c = C::build(setup);
    // The first caller's refresh panics inside the store while the others wait for it. They
    // must take over at once, not after the refresher's 90 s deadline.
    let started = Instant::now();
    let results = together(&c, 4, |c, i| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.user(&format!("o{i}"))))
    });
    let panicked = results.iter().filter(|r| r.is_err()).count();
    assert_eq!(panicked, 1, "only the refresher saw the panic");
    assert!(results.iter().flatten().all(Result::is_ok));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(mock.token_fetches().mp, 1);
}

fn on_a_virtual_clock_the_token_is_refreshed_ahead_of_expiry<C: Client>() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let clock = Arc::new(ManualClock::new(
        std::time::UNIX_EPOCH + Duration::from_millis(mock.now_ms()),
    ));
    let mut setup = Setup::mp(mock.base_url());
    setup.clock = Some(clock.clone());
    setup.store = Some(Arc::new(MemoryStore::new().with_clock(clock.clone())));
    let c = C::build(setup);
    let first = c.token(false).unwrap();
    // Two hours later on both clocks, without sleeping: the client refreshes 5 minutes before
    // the end, so WeChat never sees the old token after it expired.
    for minutes in [60, 50, 6, 5] {
        let step = Duration::from_secs(minutes * 60);
        mock.advance(step);
        clock.advance(step);
        c.user("o").unwrap();
    }
    let second = c.token(false).unwrap();
    assert_ne!(first, second);
    assert_eq!(mock.token_fetches().mp, 2);
    let rejected = mock
        .requests_to(USER_INFO)
        .iter()
        .filter(|r| r.errcode.is_some_and(|code| code != 0))
        .count();
    assert_eq!(rejected, 0, "no call was made with an expired token");
}

/// A kind of credential the SDK does not know: its token comes from `/test/token` with a
/// stored seed, rides in a header, and every request is signed.
#[derive(Debug)]
struct HeaderToken;

impl Credential for HeaderToken {
    fn name(&self) -> &str {
        "test_token"
    }
    fn account(&self) -> String {
        "test:acct".into()
    }
    fn inputs(&self) -> Vec<wechat_core::credential::StoredInput> {
        vec![wechat_core::credential::StoredInput {
            key: "test:acct:seed".into(),
            what: "test seed",
        }]
    }
    fn fetch(&self, inputs: &[String], _force: bool) -> Result<ApiRequest, Error> {
        Ok(ApiRequest::post("/test/token")
            .token(TokenKind::None)
            .json(format!(r#"{{"seed":"{}"}}"#, inputs[0]).into_bytes()))
    }
    fn parse(&self, response: &ApiResponse) -> Result<Fetched, Error> {
        wechat_core::credential::parse_token(response, false)
    }
    fn param(&self) -> Option<&'static str> {
        None
    }
    fn sign(
        &self,
        request: &mut Outgoing,
        token: Option<&AccessToken>,
        now: Timestamp,
        _random: &[u8; 16],
    ) -> Result<(), Error> {
        let token = token.map_or("-", |t| t.secret());
        request
            .headers
            .push(("x-test-auth".into(), format!("{token}@{}", now.unix())));
        Ok(())
    }
}

fn a_credential_kind_of_your_own_and_a_scripted_http_client<C: Client>() {
    let fetches = Arc::new(AtomicUsize::new(0));
    let seen = fetches.clone();
    let script: Scripted = Arc::new(move |req: http::Request<Vec<u8>>| {
        let answer = match req.uri().path() {
            "/test/token" => {
                seen.fetch_add(1, Ordering::SeqCst);
                assert_eq!(req.body(), br#"{"seed":"s1"}"#);
                json!({"access_token": "HT", "expires_in": 7200})
            }
            "/test/api" => {
                let auth = req.headers()["x-test-auth"].to_str().unwrap();
                assert!(auth.starts_with("HT@") && !req.uri().to_string().contains("HT"));
                json!({"ok": true})
            }
            other => panic!("unexpected {other}"),
        };
        http::Response::new(answer.to_string().into_bytes())
    });
    let store = Arc::new(MemoryStore::new());
    let mut setup = Setup::mp("http://scripted");
    setup.scripted = Some(script);
    setup.store = Some(store.clone());
    setup.credential = Some((TokenKind::Custom("test"), Arc::new(HeaderToken)));
    let c = C::build(setup);
    let request = || ApiRequest::get("/test/api").token(TokenKind::Custom("test"));
    // Without its stored seed: a typed error naming it, and nothing fetched.
    let err = c.call(request()).unwrap_err();
    assert_eq!(err, Error::Token(TokenError::MissingCredential("test seed".into())));
    assert_eq!(err.kind(), "credential");
    assert_eq!(fetches.load(Ordering::SeqCst), 0);
    // With it, once the back-off has passed: fetched once, cached, signed.
    SessionStore::set(&*store, "wechat:test:acct:seed", "s1", None).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(c.call(request()).unwrap(), json!({"ok": true}));
    assert_eq!(c.call(request()).unwrap(), json!({"ok": true}));
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}

fn your_own_http_client_is_used<C: Client>() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let mut setup = Setup::mp(mock.base_url());
    setup.own_client = true;
    let c = C::build(setup);
    c.user("o").unwrap();
    let agents: Vec<_> = mock
        .requests()
        .into_iter()
        .map(|r| r.user_agent.unwrap_or_default())
        .collect();
    assert!(agents.iter().all(|a| a.starts_with("my-own-")), "{agents:?}");
    // The default client says who it is.
    let c: C = client(&mock);
    c.user("o").unwrap();
    let last = mock.requests().pop().unwrap();
    assert!(last.user_agent.unwrap().starts_with("wechat-rs/"));
}

/// Collects every span and event, fields included, as text.
#[derive(Clone, Default)]
struct Capture(Arc<std::sync::Mutex<String>>);

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().push_str(&String::from_utf8_lossy(buf));
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn traces_of_a_failing_call_hold_no_secret<C: Client>() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_writer(capture.clone())
        .finish();
    let c: C = client(&mock);
    let mut secrets = vec![MOCK_MP_SECRET.to_string()];
    tracing::subscriber::with_default(subscriber, || {
        secrets.push(c.token(false).unwrap().secret().to_string());
        mock.inject(Fault::errcode(40001).on(USER_INFO).always());
        assert!(c.user("o").is_err());
        secrets.extend(mock.current_token(MOCK_MP_APPID));
        let slow = C::build(Setup::mp(mock.base_url()).configure(|c| c.timeout = Duration::from_millis(200)));
        mock.inject(Fault::DelayAfter(Duration::from_millis(800)).on(SEND));
        assert!(slow.post(SEND, &send_body()).is_err());
        secrets.extend(mock.current_token(MOCK_MP_APPID));
    });
    let text = capture.0.lock().unwrap().clone();
    for expected in [
        "wechat.call",
        "wechat.token.refresh",
        "replaying once",
        "fetching a new token",
    ] {
        assert!(text.contains(expected), "no {expected:?} in the trace:\n{text}");
    }
    assert_eq!(secrets.len(), 4, "three tokens were issued");
    for secret in secrets {
        assert!(!text.contains(&secret), "the trace holds a secret:\n{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Async only

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn async_1000_concurrent_calls_on_a_cold_token_fetch_it_once() {
    let mock = MockWeChat::start(MockConfig::default()).await;
    let client = wechat_async::WeChatClient::builder(MOCK_MP_APPID, MOCK_MP_SECRET)
        .api_base(mock.base_url())
        .build();
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move { client.user().get(format!("o{i}")).await }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(mock.token_fetches().mp, 1, "exactly one token fetch for 1000 callers");
    assert_eq!(client.token_fetches(), 1);
    assert_eq!(mock.calls(USER_INFO), 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_whose_task_is_dropped_is_taken_over_at_once() {
    let mock = MockWeChat::start(MockConfig::default()).await;
    mock.inject(Fault::DelayBefore(Duration::from_secs(30)).on("/cgi-bin/token"));
    let client = wechat_async::WeChatClient::builder(MOCK_MP_APPID, MOCK_MP_SECRET)
        .api_base(mock.base_url())
        .timeout(Duration::from_secs(60))
        .build();
    // The first task starts the refresh and is cancelled while fetching.
    let first = tokio::spawn({
        let client = client.clone();
        async move { client.access_token().await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.abort();
    let _ = first.await;
    // The next caller refreshes at once (the slow fault was used up by the first fetch).
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), client.access_token())
        .await
        .expect("not left waiting for the dropped refresher")
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn custom_executor_example_drives_the_core_without_ureq_or_reqwest() {
    #[path = "../../core/examples/custom_executor.rs"]
    #[allow(dead_code)]
    mod custom_executor;
    let mock = MockWeChat::start_background(MockConfig::default());
    let mut exec = custom_executor::run(&mock.base_url(), MOCK_MP_APPID, MOCK_MP_SECRET).unwrap();
    assert_eq!(mock.token_fetches().mp, 1);
    assert_eq!(exec.2, 2, "one token fetch, one call");
    // It follows the core's replay rule too.
    mock.set_response("/cgi-bin/menu/get", json!({"menu": {"button": []}}));
    mock.inject(Fault::errcode(40001).on("/cgi-bin/menu/get"));
    exec.call(&wechat_core::api::RawCall::get("/cgi-bin/menu/get")).unwrap();
    assert_eq!(mock.token_fetches().mp, 2);
    assert_eq!(exec.2, 5, "a rejected call, a refresh, and the replay");
}
