//! Credential sources: how a kind of token is fetched, kept and attached to requests.
//!
//! A client holds one [`Credential`] per role a request can name ([`TokenKind`]): the
//! account's access token, a JS-SDK ticket, and later a third-party platform's component
//! token or a WeChat Pay signer. The [call machine](crate::call) treats them all alike: it
//! caches their tokens in the store under `{prefix}:{account}:{name}`, refreshes them under a
//! lease, and attaches them to requests. A new kind of credential is a new implementation of
//! this trait; the machine and the transports do not change.
//!
//! | implementation | fetch | attached as |
//! | --- | --- | --- |
//! | [`MpApp`] | `GET /cgi-bin/token` or `POST /cgi-bin/stable_token` | `access_token` |
//! | [`WorkApp`] | `GET /cgi-bin/gettoken` | `access_token` |
//! | [`Ticket`] | the ticket endpoints, with the access token | (used by JS-SDK signatures) |

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use serde::Deserialize;

use crate::api::json;
use crate::error::{Error, TokenError};
use crate::http::{ApiRequest, ApiResponse, Idempotency, Outgoing, TokenKind};
use crate::secret::{AccessToken, AppSecret};
use crate::signature::Signature;
use crate::time::Timestamp;
use crate::token::{MAX_LIFETIME, MIN_LIFETIME};

/// A kind of credential: where its token comes from and how requests carry it.
///
/// Only [`name`](Credential::name), [`account`](Credential::account),
/// [`fetch`](Credential::fetch) and [`parse`](Credential::parse) are required; the defaults
/// describe a token that rides in the `access_token` query parameter and is budgeted at
/// WeChat's 2000 fetches a day.
pub trait Credential: Send + Sync + fmt::Debug {
    /// The token's name in store keys: `access_token`, `jsapi_ticket`, ...
    fn name(&self) -> &str;

    /// The account part of store keys (`mp:wx…`, `work:ww…:1000002`). Never a secret.
    fn account(&self) -> String;

    /// Whether there is a token to fetch and cache. A signing credential (WeChat Pay) has
    /// none: it only [signs](Credential::sign) each request.
    fn cached(&self) -> bool {
        true
    }

    /// Store keys (under the client's prefix) of values the fetch needs, read before each
    /// fetch: a third-party platform's verify ticket, an authorizer's refresh token. A
    /// missing one is a [`TokenError::MissingCredential`] naming it, never a fetch.
    fn inputs(&self) -> Vec<StoredInput> {
        Vec::new()
    }

    /// The request that fetches a new token; `inputs` holds the values of
    /// [`inputs`](Credential::inputs) in order. `force` asks for a new token even if WeChat
    /// would hand out the current one (`stable_token`'s `force_refresh`).
    ///
    /// # Errors
    /// When the request cannot be built.
    fn fetch(&self, inputs: &[String], force: bool) -> Result<ApiRequest, Error>;

    /// Parses the fetch's answer.
    ///
    /// # Errors
    /// WeChat's error, or [`TokenError::MissingToken`].
    fn parse(&self, response: &ApiResponse) -> Result<Fetched, Error>;

    /// The query parameter the token travels in; `None` when it does not travel in the query.
    fn param(&self) -> Option<&'static str> {
        Some("access_token")
    }

    /// Adds anything else the request needs (headers, a signature). Called for every
    /// attempt, after the URL is built, with 16 fresh random bytes.
    ///
    /// # Errors
    /// When the request cannot be signed.
    fn sign(
        &self,
        _request: &mut Outgoing,
        _token: Option<&AccessToken>,
        _now: Timestamp,
        _random: &[u8; 16],
    ) -> Result<(), Error> {
        Ok(())
    }

    /// Whether [`sign`](Credential::sign) uses its random bytes: a transport draws them only
    /// for credentials that do.
    fn signs(&self) -> bool {
        false
    }

    /// Whether [`verify`](Credential::verify) checks anything: an answer to a credential
    /// that does not verify is handled without the session.
    fn verifies(&self) -> bool {
        false
    }

    /// Checks an answer before anything else reads it (WeChat Pay's response signatures).
    ///
    /// # Errors
    /// When the answer is not authentic.
    fn verify(&self, _response: &ApiResponse, _now: Timestamp) -> Result<(), Error> {
        Ok(())
    }

    /// Fetches allowed per day (China time), counted in the store; `None` for no guard.
    fn daily_budget(&self) -> Option<u64> {
        Some(2000)
    }

    /// Forced refreshes allowed per day, when they are budgeted apart (`stable_token`: 20). A
    /// source with such a budget hands back the same token until forced, so a rejected token
    /// coming back from a plain fetch is refreshed once more by force.
    fn forced_budget(&self) -> Option<u64> {
        None
    }

    /// The API base of this credential's requests (and its fetch), unless the client's
    /// configuration names another: `https://api.weixin.qq.com` by default.
    fn api_base(&self) -> &str {
        crate::api::MP_API_BASE
    }
}

/// A value a fetch needs from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInput {
    /// The key under the client's prefix.
    pub key: String,
    /// What it is, for the error when it is missing (`component_verify_ticket`).
    pub what: &'static str,
}

/// A freshly fetched token and its lifetime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The token or ticket.
    pub token: AccessToken,
    /// `expires_in`, seconds (7200 when WeChat leaves it out, as wechatpy assumes), clamped to
    /// [`MIN_LIFETIME`]..=[`MAX_LIFETIME`].
    pub expires_in: u64,
    /// Values to keep durably, written before the token (a rotated refresh token): key under
    /// the client's prefix, value, and a TTL (`None`: never expires).
    pub keep: Vec<(String, crate::secret::StoreValue, Option<Duration>)>,
}

impl Fetched {
    /// A token with `expires_in` (clamped), nothing else to keep.
    pub fn new(token: impl Into<String>, expires_in: u64) -> Self {
        Self {
            token: AccessToken::new(token),
            expires_in: expires_in.clamp(MIN_LIFETIME.as_secs(), MAX_LIFETIME.as_secs()),
            keep: Vec::new(),
        }
    }
}

#[derive(Deserialize)]
struct TokenWire {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    ticket: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// Parses `{"<field>": "...", "expires_in": N}` (with WeChat's error check): what every
/// token and ticket endpoint answers.
///
/// # Errors
/// [`Error::Api`] for WeChat errors, [`TokenError::MissingToken`] without a token, a decode
/// error (the body kept, never printed: it may hold a token).
pub fn parse_token(response: &ApiResponse, ticket: bool) -> Result<Fetched, Error> {
    let wire: TokenWire = json::parse_json(response)?;
    let token = if ticket { wire.ticket } else { wire.access_token };
    match token {
        Some(t) if !t.is_empty() => Ok(Fetched::new(t, wire.expires_in.unwrap_or(7200))),
        _ => Err(TokenError::MissingToken.into()),
    }
}

/// An official account's access token.
#[derive(Clone, PartialEq, Eq)]
pub struct MpApp {
    /// The app id.
    pub app_id: String,
    /// The AppSecret.
    pub secret: AppSecret,
    /// `POST /cgi-bin/stable_token` instead of `GET /cgi-bin/token`.
    pub stable: bool,
}

impl fmt::Debug for MpApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MpApp")
            .field("app_id", &self.app_id)
            .field("stable", &self.stable)
            .finish_non_exhaustive()
    }
}

impl Credential for MpApp {
    fn name(&self) -> &str {
        if self.stable {
            "stable_access_token"
        } else {
            "access_token"
        }
    }

    fn account(&self) -> String {
        alloc::format!("mp:{}", self.app_id)
    }

    fn fetch(&self, _inputs: &[String], force: bool) -> Result<ApiRequest, Error> {
        if !self.stable {
            return Ok(ApiRequest::get("/cgi-bin/token")
                .token(TokenKind::None)
                .query("grant_type", "client_credential")
                .query("appid", self.app_id.clone())
                .query("secret", self.secret.secret()));
        }
        #[derive(serde::Serialize)]
        struct Body<'a> {
            grant_type: &'a str,
            appid: &'a str,
            secret: &'a str,
            force_refresh: bool,
        }
        ApiRequest::post("/cgi-bin/stable_token")
            .token(TokenKind::None)
            .idempotency(Idempotency::Idempotent)
            .json_of(&Body {
                grant_type: "client_credential",
                appid: &self.app_id,
                secret: self.secret.secret(),
                force_refresh: force,
            })
    }

    fn parse(&self, response: &ApiResponse) -> Result<Fetched, Error> {
        parse_token(response, false)
    }

    fn forced_budget(&self) -> Option<u64> {
        self.stable.then_some(20)
    }
}

/// A WeCom application's (or the contacts-sync secret's) access token.
#[derive(Clone, PartialEq, Eq)]
pub struct WorkApp {
    /// The corp id.
    pub corp_id: String,
    /// The application's secret.
    pub secret: AppSecret,
    /// The agent id, which keys the token per application; without it a short fingerprint of
    /// the secret does (never the secret itself).
    pub agent_id: Option<i64>,
}

impl fmt::Debug for WorkApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkApp")
            .field("corp_id", &self.corp_id)
            .field("agent_id", &self.agent_id)
            .finish_non_exhaustive()
    }
}

impl Credential for WorkApp {
    fn name(&self) -> &str {
        "access_token"
    }

    fn account(&self) -> String {
        match self.agent_id {
            Some(agent) => alloc::format!("work:{}:{agent}", self.corp_id),
            None => {
                let fp = Signature::of_sorted(&mut [b"wechat-secret-fingerprint:", self.secret.secret().as_bytes()]);
                alloc::format!("work:{}:s{}", self.corp_id, &fp.as_str()[..12])
            }
        }
    }

    fn fetch(&self, _inputs: &[String], _force: bool) -> Result<ApiRequest, Error> {
        Ok(ApiRequest::get("/cgi-bin/gettoken")
            .token(TokenKind::None)
            .query("corpid", self.corp_id.clone())
            .query("corpsecret", self.secret.secret()))
    }

    fn parse(&self, response: &ApiResponse) -> Result<Fetched, Error> {
        parse_token(response, false)
    }

    fn api_base(&self) -> &str {
        crate::api::WORK_API_BASE
    }
}

/// The JS-SDK tickets, cached like the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TicketKind {
    /// mp `jsapi_ticket` (`GET /cgi-bin/ticket/getticket?type=jsapi`).
    MpJsapi,
    /// mp card `api_ticket` (`GET /cgi-bin/ticket/getticket?type=wx_card`).
    MpCard,
    /// WeCom corp `jsapi_ticket` (`GET /cgi-bin/get_jsapi_ticket`).
    WorkJsapi,
    /// WeCom agent-config ticket (`GET /cgi-bin/ticket/get?type=agent_config`).
    WorkAgentConfig,
}

impl TicketKind {
    /// The store-key name of the ticket.
    pub fn name(self) -> &'static str {
        match self {
            TicketKind::MpJsapi | TicketKind::WorkJsapi => "jsapi_ticket",
            TicketKind::MpCard => "card_ticket",
            TicketKind::WorkAgentConfig => "agent_config_ticket",
        }
    }

    /// The request that fetches it (carries the access token).
    pub fn request(self) -> ApiRequest {
        match self {
            TicketKind::MpJsapi => ApiRequest::get("/cgi-bin/ticket/getticket").query("type", "jsapi"),
            TicketKind::MpCard => ApiRequest::get("/cgi-bin/ticket/getticket").query("type", "wx_card"),
            TicketKind::WorkJsapi => ApiRequest::get("/cgi-bin/get_jsapi_ticket"),
            TicketKind::WorkAgentConfig => ApiRequest::get("/cgi-bin/ticket/get").query("type", "agent_config"),
        }
    }
}

/// A JS-SDK ticket of the account whose store account is `account`, fetched with its
/// access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// Which ticket.
    pub kind: TicketKind,
    /// The account of the access token it is fetched with.
    pub account: String,
}

impl Credential for Ticket {
    fn name(&self) -> &str {
        self.kind.name()
    }

    fn account(&self) -> String {
        self.account.clone()
    }

    fn fetch(&self, _inputs: &[String], _force: bool) -> Result<ApiRequest, Error> {
        Ok(self.kind.request())
    }

    fn parse(&self, response: &ApiResponse) -> Result<Fetched, Error> {
        parse_token(response, true)
    }

    fn param(&self) -> Option<&'static str> {
        None
    }

    fn api_base(&self) -> &str {
        match self.kind {
            TicketKind::WorkJsapi | TicketKind::WorkAgentConfig => crate::api::WORK_API_BASE,
            _ => crate::api::MP_API_BASE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mp(stable: bool) -> MpApp {
        MpApp {
            app_id: "wx1".into(),
            secret: AppSecret::new("S"),
            stable,
        }
    }

    #[test]
    fn requests() {
        assert_eq!(
            mp(false)
                .fetch(&[], false)
                .unwrap()
                .url("https://api.weixin.qq.com", None),
            "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=S"
        );
        let req = mp(true).fetch(&[], true).unwrap();
        assert_eq!(
            req.body.unwrap().bytes,
            br#"{"grant_type":"client_credential","appid":"wx1","secret":"S","force_refresh":true}"#
        );
        let work = WorkApp {
            corp_id: "ww1".into(),
            secret: AppSecret::new("S"),
            agent_id: None,
        };
        assert_eq!(
            work.fetch(&[], false).unwrap().url("http://q", None),
            "http://q/cgi-bin/gettoken?corpid=ww1&corpsecret=S"
        );
    }

    #[test]
    fn parse_and_defaults() {
        let f = mp(false)
            .parse(&ApiResponse::json(&br#"{"access_token":"T","expires_in":7000}"#[..]))
            .unwrap();
        assert_eq!((f.token.secret(), f.expires_in), ("T", 7000));
        let f = mp(false)
            .parse(&ApiResponse::json(&br#"{"access_token":"T"}"#[..]))
            .unwrap();
        assert_eq!(f.expires_in, 7200);
        assert!(matches!(
            mp(false).parse(&ApiResponse::json(&br#"{"errcode":40125,"errmsg":"invalid appsecret"}"#[..])),
            Err(Error::Api(e)) if e.code == 40125
        ));
        assert_eq!(
            mp(false).parse(&ApiResponse::json(&br#"{"expires_in":7200}"#[..])),
            Err(Error::Token(TokenError::MissingToken))
        );
        let ticket = Ticket {
            kind: TicketKind::MpJsapi,
            account: "mp:wx1".into(),
        };
        let f = ticket
            .parse(&ApiResponse::json(
                &br#"{"errcode":0,"errmsg":"ok","ticket":"TK","expires_in":7200}"#[..],
            ))
            .unwrap();
        assert_eq!(f.token.secret(), "TK");
        assert_eq!(mp(true).forced_budget(), Some(20));
        assert_eq!(mp(false).forced_budget(), None);
    }

    #[test]
    fn accounts_never_contain_secrets() {
        let work = WorkApp {
            corp_id: "ww1".into(),
            secret: AppSecret::new("VERYSECRET"),
            agent_id: None,
        };
        let a = work.account();
        assert!(a.starts_with("work:ww1:s") && !a.contains("VERYSECRET"));
        let agent = WorkApp {
            agent_id: Some(1000002),
            ..work
        };
        assert_eq!(agent.account(), "work:ww1:1000002");
        assert!(!alloc::format!("{agent:?}").contains("VERYSECRET"));
    }
}
