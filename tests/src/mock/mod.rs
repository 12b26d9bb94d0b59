//! A stateful mock of WeChat's API servers (`api.weixin.qq.com` and `qyapi.weixin.qq.com`).
//!
//! [`MockWeChat`] is an HTTP/1.1 server on loopback that behaves like WeChat where it matters to
//! a client SDK: how access tokens are issued, overlap and die, how JS-SDK tickets and media
//! work, and how WeChat fails. It is the independent oracle of the transport and scenario tests,
//! so it never uses the SDK's client code.
//!
//! # Behaviour
//!
//! | request | answer |
//! |---|---|
//! | `GET /cgi-bin/token?grant_type=client_credential&appid=&secret=` | a **new** token on every call; the previous one keeps working for [`MockConfig::grace`], then answers 40001 |
//! | `POST /cgi-bin/stable_token` `{grant_type, appid, secret, force_refresh}` | the **same** token while it has more than [`MockConfig::stable_renew_before`] left; `force_refresh: true` issues a new one (the old one keeps [`MockConfig::stable_force_grace`]), at most [`MockConfig::stable_force_daily_limit`] a day and [`MockConfig::stable_force_interval`] apart, else 45009 |
//! | `GET /cgi-bin/gettoken?corpid=&corpsecret=` (WeCom) | the **same** token per corp + secret while valid, a new one after expiry |
//! | `GET /cgi-bin/ticket/getticket?type=jsapi\|wx_card`, `GET /cgi-bin/get_jsapi_ticket`, `GET /cgi-bin/ticket/get?type=agent_config` | a JS-SDK ticket, the same while valid (token-checked) |
//! | `POST /cgi-bin/media/upload?type=` (multipart, part `media`) | stores the bytes, answers `{type, media_id, created_at}` |
//! | `POST /cgi-bin/media/uploadimg` (multipart, part `media`) | `{url}` |
//! | `GET /cgi-bin/media/get?media_id=` | the stored bytes with their content type, or 40007 as `text/plain` JSON |
//! | any other path | token check, then the canned answer for the path ([`MockWeChat::set_response`]), by default `{"errcode":0,"errmsg":"ok"}` |
//!
//! Token failures: no `access_token` → 41001, not token-shaped → 40014, unknown, invalidated or
//! past its grace → 40001, past `expires_in` → 42001. Every token expires after
//! [`MockConfig::token_ttl`]. Bad credentials: mp appid → 40013, mp secret → 40125,
//! `grant_type` missing or wrong → 40002, WeCom corpid → 40013, WeCom corpsecret → 40001.
//!
//! mp answers have no `errcode` on success (`{"access_token":…,"expires_in":7200}`), WeCom
//! answers carry `"errcode":0,"errmsg":"ok"`, and a WeCom upload's `created_at` is a string, as
//! on the real platforms. The stable token, WeCom token and tickets report the time they have
//! left in `expires_in` (whole seconds, rounded up). `/cgi-bin/token` allows
//! [`MockConfig::token_daily_quota`] successful fetches per appid per day (days start at
//! midnight Beijing time), then answers 45009.
//!
//! Time is the mock's own clock: real time plus an offset that [`MockWeChat::advance`] moves,
//! so tests see expiry without sleeping. Faults ([`Fault`]) script WeChat's and the network's
//! failures; counters and a request log ([`RecordedRequest`]) let tests assert what happened.
//! All methods take `&self` and are safe to call from any thread while the server runs.
//!
//! # Example
//!
//! ```no_run
//! use core::time::Duration;
//! use wechat_tests::mock::{Fault, MockConfig, MockWeChat};
//!
//! let mock = MockWeChat::start_background(MockConfig::default());
//! let base = mock.base_url(); // "http://127.0.0.1:PORT", point the client here
//! mock.inject(Fault::Busy.on("/cgi-bin/user/info").times(2));
//! mock.set_response("/cgi-bin/menu/get", serde_json::json!({"menu": {"button": []}}));
//! // ... run the client ...
//! mock.advance(Duration::from_secs(7300)); // every token is now expired
//! assert_eq!(mock.token_fetches().total(), 1);
//! assert_eq!(mock.processed("/cgi-bin/message/custom/send"), 1);
//! # let _ = base;
//! ```

mod multipart;
mod server;
mod state;

use core::fmt;
use core::net::SocketAddr;
use core::time::Duration;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use state::Shared;

/// The app id of the official account that [`MockConfig::default`] registers.
pub const MOCK_MP_APPID: &str = "wx_mock_app";
/// The app secret of [`MOCK_MP_APPID`].
pub const MOCK_MP_SECRET: &str = "mock_secret";
/// The corp id of the WeCom corp that [`MockConfig::default`] registers.
pub const MOCK_WORK_CORPID: &str = "ww_mock_corp";
/// The agent secret of [`MOCK_WORK_AGENTID`] in [`MOCK_WORK_CORPID`].
pub const MOCK_WORK_SECRET: &str = "mock_corp_secret";
/// The agent (app) id whose secret is [`MOCK_WORK_SECRET`]. The mock does not check agent ids;
/// the constant is shared so that tests agree on one.
pub const MOCK_WORK_AGENTID: i64 = 1_000_002;

/// WeChat error codes the mock answers with, named.
pub mod errcode {
    /// `-1` system busy, try again.
    pub const SYSTEM_BUSY: i64 = -1;
    /// `40001` invalid credential: unknown, invalidated or superseded token; WeCom: bad corpsecret.
    pub const INVALID_CREDENTIAL: i64 = 40001;
    /// `40002` `grant_type` missing or not `client_credential`.
    pub const INVALID_GRANT_TYPE: i64 = 40002;
    /// `40003` invalid openid.
    pub const INVALID_OPENID: i64 = 40003;
    /// `40004` invalid media type (`type` of an upload).
    pub const INVALID_MEDIA_TYPE: i64 = 40004;
    /// `40007` unknown, foreign or expired `media_id`.
    pub const INVALID_MEDIA_ID: i64 = 40007;
    /// `40013` unknown appid (mp) or corpid (WeCom).
    pub const INVALID_APPID: i64 = 40013;
    /// `40014` an `access_token` that is not token-shaped.
    pub const INVALID_ACCESS_TOKEN: i64 = 40014;
    /// `40097` invalid arguments (e.g. an unknown ticket `type`).
    pub const INVALID_ARGS: i64 = 40097;
    /// `40125` wrong app secret (mp).
    pub const INVALID_APPSECRET: i64 = 40125;
    /// `40164` the caller's IP is not on the account's allow-list.
    pub const IP_NOT_WHITELISTED: i64 = 40164;
    /// `41001` `access_token` missing.
    pub const ACCESS_TOKEN_MISSING: i64 = 41001;
    /// `41002` appid / corpid missing.
    pub const APPID_MISSING: i64 = 41002;
    /// `41004` secret / corpsecret missing.
    pub const APPSECRET_MISSING: i64 = 41004;
    /// `41005` the multipart `media` part is missing or malformed.
    pub const MEDIA_DATA_MISSING: i64 = 41005;
    /// `41006` `media_id` missing.
    pub const MEDIA_ID_MISSING: i64 = 41006;
    /// `42001` the access token has expired.
    pub const ACCESS_TOKEN_EXPIRED: i64 = 42001;
    /// `43002` the endpoint requires POST.
    pub const REQUIRE_POST_METHOD: i64 = 43002;
    /// `43004` the user has not subscribed.
    pub const REQUIRE_SUBSCRIBE: i64 = 43004;
    /// `44002` empty POST body.
    pub const EMPTY_POST_DATA: i64 = 44002;
    /// `45009` daily quota or stable-token force-refresh limit reached.
    pub const API_LIMIT: i64 = 45009;
    /// `45015` customer-service reply outside the 48-hour window.
    pub const RESPONSE_OUT_OF_TIME_LIMIT: i64 = 45015;
    /// `47001` the JSON body could not be read.
    pub const DATA_FORMAT_ERROR: i64 = 47001;
    /// `48001` the account lacks permission for this API.
    pub const API_UNAUTHORIZED: i64 = 48001;

    /// WeChat's usual `errmsg` for a code (a generic text for codes the mock does not know).
    pub fn message(code: i64) -> &'static str {
        match code {
            0 => "ok",
            SYSTEM_BUSY => "system error",
            INVALID_CREDENTIAL => "invalid credential, access_token is invalid or not latest",
            INVALID_GRANT_TYPE => "invalid grant_type",
            INVALID_OPENID => "invalid openid",
            INVALID_MEDIA_TYPE => "invalid media type",
            INVALID_MEDIA_ID => "invalid media_id",
            INVALID_APPID => "invalid appid",
            INVALID_ACCESS_TOKEN => "invalid access_token",
            INVALID_ARGS => "invalid args",
            INVALID_APPSECRET => "invalid appsecret",
            IP_NOT_WHITELISTED => "invalid ip, not in whitelist",
            ACCESS_TOKEN_MISSING => "access_token missing",
            APPID_MISSING => "appid missing",
            APPSECRET_MISSING => "appsecret missing",
            MEDIA_DATA_MISSING => "media data missing",
            MEDIA_ID_MISSING => "media_id missing",
            ACCESS_TOKEN_EXPIRED => "access_token expired",
            REQUIRE_POST_METHOD => "require POST method",
            REQUIRE_SUBSCRIBE => "require subscribe",
            EMPTY_POST_DATA => "empty post data",
            API_LIMIT => "reach max api daily quota limit",
            RESPONSE_OUT_OF_TIME_LIMIT => "response out of time limit or subscription is canceled",
            DATA_FORMAT_ERROR => "data format error",
            API_UNAUTHORIZED => "api unauthorized",
            _ => "mock error",
        }
    }
}

/// How the mock behaves; [`MockConfig::default`] is WeChat's behaviour with one mp account and
/// one WeCom corp registered ([`MOCK_MP_APPID`], [`MOCK_WORK_CORPID`]).
#[derive(Clone)]
pub struct MockConfig {
    /// Where to listen; `127.0.0.1:0` picks a free port.
    pub addr: SocketAddr,
    /// Official accounts as `(appid, secret)`.
    pub mp_accounts: Vec<(String, String)>,
    /// WeCom agent credentials as `(corpid, corpsecret)`; a corp may appear once per agent.
    pub work_accounts: Vec<(String, String)>,
    /// Lifetime of every access token (`expires_in`, WeChat: 7200 s).
    pub token_ttl: Duration,
    /// How long a `/cgi-bin/token` token keeps working after a newer one was issued (WeChat: ~5 min).
    pub grace: Duration,
    /// How long a stable token keeps working after a `force_refresh` replaced it.
    pub stable_force_grace: Duration,
    /// A non-forced `stable_token` call issues a new token once the current one has this little
    /// left (WeChat renews 5 minutes early); the old one then lives out its lifetime.
    pub stable_renew_before: Duration,
    /// Forced stable-token refreshes allowed per appid per day (Beijing time), WeChat: 20.
    pub stable_force_daily_limit: u32,
    /// Minimum time between two forced stable-token refreshes, WeChat: 30 s.
    pub stable_force_interval: Duration,
    /// `/cgi-bin/token` calls allowed per appid per day (Beijing time), WeChat: 2000.
    pub token_daily_quota: u32,
    /// Lifetime of JS-SDK tickets (WeChat: 7200 s).
    pub ticket_ttl: Duration,
    /// How long uploaded temporary media can be downloaded (WeChat: 3 days).
    pub media_ttl: Duration,
    /// Requests with a larger body get HTTP 413.
    pub max_body_bytes: usize,
    /// Keep the full request log ([`MockWeChat::requests`]); counters are always kept. Turn it
    /// off for long load runs.
    pub record_requests: bool,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            mp_accounts: vec![(MOCK_MP_APPID.into(), MOCK_MP_SECRET.into())],
            work_accounts: vec![(MOCK_WORK_CORPID.into(), MOCK_WORK_SECRET.into())],
            ..MockConfig::empty()
        }
    }
}

impl MockConfig {
    /// WeChat's behaviour with no account registered (add them with
    /// [`MockWeChat::add_mp_account`] / [`MockWeChat::add_work_account`]).
    pub fn empty() -> Self {
        MockConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            mp_accounts: Vec::new(),
            work_accounts: Vec::new(),
            token_ttl: Duration::from_secs(7200),
            grace: Duration::from_secs(300),
            stable_force_grace: Duration::from_secs(300),
            stable_renew_before: Duration::from_secs(300),
            stable_force_daily_limit: 20,
            stable_force_interval: Duration::from_secs(30),
            token_daily_quota: 2000,
            ticket_ttl: Duration::from_secs(7200),
            media_ttl: Duration::from_secs(3 * 24 * 3600),
            max_body_bytes: 32 << 20,
            record_requests: true,
        }
    }
}

impl fmt::Debug for MockConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets stay out of Debug, even fake ones.
        let mp: Vec<&str> = self.mp_accounts.iter().map(|(id, _)| id.as_str()).collect();
        let work: Vec<&str> = self.work_accounts.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("MockConfig")
            .field("addr", &self.addr)
            .field("mp_accounts", &mp)
            .field("work_accounts", &work)
            .field("token_ttl", &self.token_ttl)
            .field("grace", &self.grace)
            .field("stable_force_grace", &self.stable_force_grace)
            .field("stable_renew_before", &self.stable_renew_before)
            .field("stable_force_daily_limit", &self.stable_force_daily_limit)
            .field("stable_force_interval", &self.stable_force_interval)
            .field("token_daily_quota", &self.token_daily_quota)
            .field("ticket_ttl", &self.ticket_ttl)
            .field("media_ttl", &self.media_ttl)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("record_requests", &self.record_requests)
            .finish()
    }
}

/// Which endpoint issued a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenKind {
    /// mp `GET /cgi-bin/token`.
    Mp,
    /// mp `POST /cgi-bin/stable_token`.
    Stable,
    /// WeCom `GET /cgi-bin/gettoken`.
    Work,
}

/// What the mock knows about a token it issued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    /// The appid or corpid it belongs to.
    pub account: String,
    /// The endpoint that issued it.
    pub kind: TokenKind,
    /// 1 for the first token of this account and kind, 2 for the next, and so on. Rotation
    /// ([`MockWeChat::rotate_token`]) also takes a generation.
    pub generation: u64,
}

/// A scripted failure. Turn it into a rule with [`Fault::on`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer `{"errcode": errcode, "errmsg": errmsg}` (HTTP 200) without processing the request.
    Errcode {
        /// The code.
        errcode: i64,
        /// The message.
        errmsg: String,
    },
    /// Answer `{"errcode":-1,"errmsg":"system error"}` without processing the request.
    Busy,
    /// Answer 45009 without processing the request.
    RateLimited,
    /// Wait (real time) before handling the request, then handle it normally.
    DelayBefore(Duration),
    /// Process and record the request, then wait (real time) before answering: a send that
    /// reached WeChat but whose answer the client may time out on.
    DelayAfter(Duration),
    /// Process and record the request, then close the connection without answering.
    DropAfter,
    /// Process the request, then answer with only the first half of the real body (a valid
    /// start, cut; `Content-Length` matches the cut body).
    TruncatedJson,
    /// Answer HTTP 500 with an HTML page (a gateway error) without processing the request.
    Html500,
    /// Close the connection without answering, without processing the request.
    Drop,
    /// Answer HTTP 200 `application/json` with a body that is not JSON, without processing
    /// the request.
    Garbage,
}

impl Fault {
    /// [`Fault::Errcode`] with WeChat's usual message for `code`.
    pub fn errcode(code: i64) -> Fault {
        Fault::Errcode {
            errcode: code,
            errmsg: errcode::message(code).into(),
        }
    }

    /// A rule applying this fault to the next request whose path starts with `path_prefix`
    /// (use `"/"` for every path); change the count with [`FaultRule::times`].
    pub fn on(self, path_prefix: impl Into<String>) -> FaultRule {
        FaultRule {
            fault: self,
            path_prefix: path_prefix.into(),
            remaining: Some(1),
        }
    }

    /// Whether the mock processes (acts on and counts as processed) a request this fault hits.
    pub fn processes_request(&self) -> bool {
        matches!(
            self,
            Fault::DelayBefore(_) | Fault::DelayAfter(_) | Fault::DropAfter | Fault::TruncatedJson
        )
    }
}

/// A fault applied to the next N requests whose path starts with a prefix.
///
/// Rules are tried in the order they were injected; the first one that matches and has uses
/// left applies, and a request is hit by at most one rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultRule {
    /// The fault.
    pub fault: Fault,
    /// Which paths it applies to.
    pub path_prefix: String,
    /// Uses left; `None` is forever.
    pub remaining: Option<u32>,
}

impl FaultRule {
    /// Apply to the next `n` matching requests (default 1).
    pub fn times(mut self, n: u32) -> Self {
        self.remaining = Some(n);
        self
    }

    /// Apply to every matching request until [`MockWeChat::clear_faults`].
    pub fn always(mut self) -> Self {
        self.remaining = None;
        self
    }
}

/// What the mock did with a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The mock acted on it: a token endpoint ran (whatever it answered), or an API call passed
    /// the token check and its handler ran (even if the handler answered an errcode, e.g. a
    /// canned error or 40007).
    Processed,
    /// The API call's token was rejected with this errcode (41001, 40014, 40001, 42001).
    TokenRejected(i64),
    /// A fault answered instead of the mock ([`Fault::processes_request`] is false).
    Faulted,
    /// Not an API request the mock serves (HTTP 404/405/413/400).
    Rejected,
}

/// One request as the mock saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// 1-based arrival order among recorded requests.
    pub seq: u64,
    /// HTTP method.
    pub method: String,
    /// URL path.
    pub path: String,
    /// Decoded query pairs in order, without `access_token`, `secret` and `corpsecret`.
    pub query: Vec<(String, String)>,
    /// The request's `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The request's `User-Agent`, if any.
    pub user_agent: Option<String>,
    /// The body (for `stable_token`, with the secret replaced by `"[redacted]"`).
    pub body: Vec<u8>,
    /// The mock clock when it was handled, in Unix milliseconds.
    pub at_ms: u64,
    /// The token it carried, if the mock issued that token (even an expired one).
    pub token: Option<TokenInfo>,
    /// What the mock did with it.
    pub outcome: Outcome,
    /// The fault that hit it, if any.
    pub fault: Option<Fault>,
    /// The HTTP status answered (`None` when the connection was dropped without an answer).
    pub status: Option<u16>,
    /// The `errcode` answered, if the answer was JSON with one.
    pub errcode: Option<i64>,
}

impl RecordedRequest {
    /// The first value of a query parameter.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON, if it is JSON.
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Token fetches received, counted per endpoint kind and per account, whatever the answer
/// (a faulted or failed fetch counts too).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenFetches {
    /// Requests to `/cgi-bin/token`.
    pub mp: u64,
    /// Requests to `/cgi-bin/stable_token`.
    pub stable: u64,
    /// Requests to `/cgi-bin/gettoken`.
    pub work: u64,
    /// Fetches that were answered with a token the mock had not handed out before.
    pub issued: u64,
    /// Requests per appid / corpid as sent (an absent id counts as `""`).
    pub by_account: BTreeMap<String, u64>,
}

impl TokenFetches {
    /// Requests to all three token endpoints.
    pub fn total(&self) -> u64 {
        self.mp + self.stable + self.work
    }

    /// Requests naming this appid / corpid.
    pub fn account(&self, id: &str) -> u64 {
        self.by_account.get(id).copied().unwrap_or(0)
    }
}

/// A temporary media file the mock stored from an upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMedia {
    /// The id the upload answered.
    pub media_id: String,
    /// The account whose token uploaded it.
    pub account: String,
    /// The `type` query parameter.
    pub media_type: String,
    /// The part's `filename`.
    pub filename: String,
    /// The part's `Content-Type` (`None` if the part had none; downloads then use
    /// `application/octet-stream`).
    pub content_type: Option<String>,
    /// The bytes.
    pub data: Vec<u8>,
    /// The mock clock at upload, Unix seconds.
    pub created_at: u64,
}

/// The running mock server. Dropping it stops the server.
pub struct MockWeChat {
    shared: Arc<Shared>,
    handle: server::ServerHandle,
}

impl fmt::Debug for MockWeChat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockWeChat")
            .field("addr", &self.handle.addr)
            .finish_non_exhaustive()
    }
}

impl MockWeChat {
    /// Starts the server on the current tokio runtime.
    ///
    /// # Panics
    ///
    /// If called outside a tokio runtime or if the address cannot be bound (a test setup error).
    pub async fn start(config: MockConfig) -> MockWeChat {
        let shared = Arc::new(Shared::new(config));
        let handle = server::start_on_current(shared.clone());
        MockWeChat { shared, handle }
    }

    /// Starts the server on its own runtime threads; for blocking tests, spawned processes, and
    /// callers inside another runtime.
    ///
    /// # Panics
    ///
    /// If the runtime cannot be built or the address cannot be bound (a test setup error).
    pub fn start_background(config: MockConfig) -> MockWeChat {
        let shared = Arc::new(Shared::new(config));
        let handle = server::start_background(shared.clone());
        MockWeChat { shared, handle }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash; it stands for both
    /// `https://api.weixin.qq.com` and `https://qyapi.weixin.qq.com`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.handle.addr)
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.handle.addr
    }

    /// Registers (or changes the secret of) an official account.
    pub fn add_mp_account(&self, appid: &str, secret: &str) {
        self.shared.add_mp_account(appid, secret);
    }

    /// Registers an agent secret of a WeCom corp (a corp can have several).
    pub fn add_work_account(&self, corpid: &str, corpsecret: &str) {
        self.shared.add_work_account(corpid, corpsecret);
    }

    /// Moves the mock clock forward.
    pub fn advance(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    /// The mock clock, Unix milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.shared.clock.now_ms()
    }

    /// Snapshot of the token-fetch counters.
    pub fn token_fetches(&self) -> TokenFetches {
        self.shared.token_fetches()
    }

    /// Requests received for exactly this path (any method, any outcome).
    pub fn calls(&self, path: &str) -> u64 {
        self.shared.path_stats(path).0
    }

    /// Requests for this path the mock processed ([`Outcome::Processed`]): the number of times
    /// a send "reached WeChat", including those whose answer was then delayed, cut or dropped.
    pub fn processed(&self, path: &str) -> u64 {
        self.shared.path_stats(path).1
    }

    /// Processed requests for this path with distinct (query, body) pairs; a retried send
    /// counts once. Needs [`MockConfig::record_requests`].
    pub fn distinct_processed(&self, path: &str) -> usize {
        self.shared.distinct_processed(path)
    }

    /// The full request log, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests(None)
    }

    /// The logged requests for exactly this path, oldest first.
    pub fn requests_to(&self, path: &str) -> Vec<RecordedRequest> {
        self.shared.requests(Some(path))
    }

    /// Empties the request log, the per-path counters and the token-fetch counters (tokens,
    /// media, faults and responses stay).
    pub fn reset_counters(&self) {
        self.shared.reset_counters();
    }

    /// Adds a fault rule.
    pub fn inject(&self, rule: FaultRule) {
        self.shared.inject(rule);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.shared.clear_faults();
    }

    /// Fault rules that still have uses left.
    pub fn pending_faults(&self) -> Vec<FaultRule> {
        self.shared.pending_faults()
    }

    /// Sets the JSON answer for API calls to exactly this path (after the token check).
    /// The built-in token, ticket and media endpoints ignore it.
    pub fn set_response(&self, path: &str, body: Value) {
        self.shared
            .set_response(path, state::Canned::Json(body.to_string().into_bytes()));
    }

    /// Sets a binary answer (e.g. an image) for API calls to exactly this path.
    pub fn set_binary_response(&self, path: &str, content_type: &str, body: Vec<u8>) {
        self.shared.set_response(
            path,
            state::Canned::Binary {
                content_type: content_type.into(),
                body,
            },
        );
    }

    /// Restores the default `{"errcode":0,"errmsg":"ok"}` for this path.
    pub fn clear_response(&self, path: &str) {
        self.shared.clear_response(path);
    }

    /// Simulates another instance fetching a token for this appid / corpid: every current token
    /// of the account (plain, stable and WeCom) is replaced by a new one and enters its grace
    /// period. Returns the new `/cgi-bin/token` token for an mp appid (else the first new
    /// token), or `None` for an unknown account. Does not count as a fetch.
    pub fn rotate_token(&self, account: &str) -> Option<String> {
        self.shared.rotate_token(account)
    }

    /// Every token issued so far answers 40001 from now on; fetches issue new ones.
    pub fn invalidate_tokens(&self) {
        self.shared.invalidate_tokens();
    }

    /// Every token issued so far answers 42001 from now on; fetches issue new ones.
    pub fn expire_tokens(&self) {
        self.shared.expire_tokens();
    }

    /// The newest `/cgi-bin/token` token of an mp appid, or the newest WeCom token of a corpid.
    pub fn current_token(&self, account: &str) -> Option<String> {
        self.shared.current_token(account)
    }

    /// What the mock knows about a token it issued.
    pub fn token_info(&self, token: &str) -> Option<TokenInfo> {
        self.shared.token_info(token)
    }

    /// A stored upload.
    pub fn media(&self, media_id: &str) -> Option<StoredMedia> {
        self.shared.media(media_id)
    }

    /// Every stored upload, in upload order.
    pub fn uploads(&self) -> Vec<StoredMedia> {
        self.shared.uploads()
    }

    /// Connections currently open (for load tests and leak checks).
    pub fn open_connections(&self) -> usize {
        self.handle.open_connections()
    }
}
