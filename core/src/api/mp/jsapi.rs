//! JS-SDK tickets and signatures (wechatpy `client.jsapi`).
//!
//! * Tickets: [`JsApi::get_jsapi_ticket`] and [`JsApi::get_jsapi_card_ticket`] go through
//!   [`Caller::ticket`], so they are cached and refreshed like the access token (shared store,
//!   one fetch for many processes). [`GetTicket`] fetches one directly, uncached.
//! * Signatures are pure functions: the time and the nonce are arguments
//!   ([`jsapi_signature`], [`js_config`], [`card_ext`]). The façade variants draw them from
//!   the client's clock and random source.
//!
//! Docs: <https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html#62>

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use crate::api::json;
use crate::api::{Caller, Endpoint};
use crate::error::{Error, TokenError};
use crate::http::{ApiRequest, ApiResponse};
use crate::secret::Ticket;
use crate::signature::Signature;
use crate::token::TicketKind;

/// A freshly fetched ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JsTicket {
    /// The ticket (redacted in `Debug`).
    pub ticket: Ticket,
    /// Lifetime in seconds (7200).
    pub expires_in: u64,
}

/// Fetches a ticket, `GET /cgi-bin/ticket/getticket?type=` (wechatpy `jsapi.get_ticket`).
/// Uncached: WeChat limits these fetches, so prefer [`JsApi::get_jsapi_ticket`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetTicket {
    /// `jsapi` or `wx_card`.
    pub r#type: String,
}

impl Default for GetTicket {
    fn default() -> Self {
        Self {
            r#type: String::from("jsapi"),
        }
    }
}

#[derive(Deserialize)]
struct TicketWire {
    #[serde(default)]
    ticket: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl Endpoint for GetTicket {
    type Output = JsTicket;

    fn request(&self) -> Result<ApiRequest, Error> {
        Ok(ApiRequest::get("/cgi-bin/ticket/getticket").query("type", self.r#type.clone()))
    }

    fn parse(&self, response: ApiResponse) -> Result<JsTicket, Error> {
        let wire: TicketWire = json::parse_json(&response)?;
        match wire.ticket {
            Some(t) if !t.is_empty() => Ok(JsTicket {
                ticket: Ticket::new(t),
                expires_in: wire.expires_in.unwrap_or(7200),
            }),
            _ => Err(TokenError::MissingToken.into()),
        }
    }
}

/// The URL without its `#fragment`, as WeChat signs it.
fn without_fragment(url: &str) -> &str {
    url.split('#').next().unwrap_or(url)
}

/// The `wx.config` signature (wechatpy `jsapi.get_jsapi_signature`): SHA1 over
/// `jsapi_ticket=..&noncestr=..&timestamp=..&url=..`. A `#fragment` of `url` is dropped, as
/// WeChat requires; the rest must be the page URL exactly as the browser has it.
pub fn jsapi_signature(noncestr: &str, ticket: &Ticket, timestamp: u64, url: &str) -> Signature {
    let timestamp = alloc::format!("{timestamp}");
    let mut parts = [
        ["noncestr=", noncestr],
        ["jsapi_ticket=", ticket.secret()],
        ["timestamp=", &timestamp],
        ["url=", without_fragment(url)],
    ];
    parts.sort_unstable_by(|a, b| a.iter().flat_map(|s| s.bytes()).cmp(b.iter().flat_map(|s| s.bytes())));
    let mut hasher = Sha1::new();
    for (i, [name, value]) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update(b"&");
        }
        hasher.update(name.as_bytes());
        hasher.update(value.as_bytes());
    }
    Signature::from_digest(&hasher.finalize())
}

/// The parameters of `wx.config({...})`. Serializes with the JS names (`appId`,
/// `nonceStr`, `jsApiList`...), ready to embed in the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JsConfig {
    /// Debug mode (alerts every call's result).
    #[serde(skip_serializing_if = "core::ops::Not::not")]
    pub debug: bool,
    /// The account's appid.
    pub app_id: String,
    /// The signed timestamp, Unix seconds.
    pub timestamp: u64,
    /// The signed nonce.
    pub nonce_str: String,
    /// The signature.
    pub signature: String,
    /// The JS APIs the page uses (`updateAppMessageShareData`, ...).
    pub js_api_list: Vec<String>,
    /// The open tags the page uses (`wx-open-launch-weapp`, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub open_tag_list: Vec<String>,
}

impl JsConfig {
    /// Sets the JS APIs.
    pub fn with_js_api_list<S: Into<String>>(mut self, apis: impl IntoIterator<Item = S>) -> Self {
        self.js_api_list = apis.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the open tags.
    pub fn with_open_tag_list<S: Into<String>>(mut self, tags: impl IntoIterator<Item = S>) -> Self {
        self.open_tag_list = tags.into_iter().map(Into::into).collect();
        self
    }

    /// Turns debug mode on or off.
    pub fn with_debug(mut self, debug: bool) -> Self {
        self.debug = debug;
        self
    }
}

/// Builds the `wx.config` parameters for the page at `url` (its `#fragment` is dropped),
/// signed with `ticket` at `timestamp` with `nonce_str`. Pure: time and randomness are
/// arguments.
pub fn js_config(app_id: &str, ticket: &Ticket, url: &str, timestamp: u64, nonce_str: &str) -> JsConfig {
    JsConfig {
        debug: false,
        app_id: app_id.into(),
        timestamp,
        nonce_str: nonce_str.into(),
        signature: String::from(jsapi_signature(nonce_str, ticket, timestamp, url).as_str()),
        js_api_list: Vec::new(),
        open_tag_list: Vec::new(),
    }
}

/// What goes into a card's `cardExt` (`wx.addCard`), apart from the signed time and nonce.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddCardParams {
    /// The card id.
    pub card_id: String,
    /// A merchant-defined code (cards with custom codes).
    pub code: String,
    /// The only user allowed to claim it.
    pub openid: String,
    /// For `DATE_TYPE_FIX_TERM` cards: when validity starts, Unix seconds (UTC+8).
    pub fixed_begintimestamp: Option<u64>,
    /// A channel value echoed in the claim event.
    pub outer_str: String,
}

impl AddCardParams {
    /// Parameters for `card_id` only.
    pub fn new(card_id: impl Into<String>) -> Self {
        Self {
            card_id: card_id.into(),
            ..Self::default()
        }
    }
}

/// A signed `cardExt` (wechatpy's `JsApiCardExt`). [`CardExt::to_json`] gives the string
/// `wx.addCard` expects; empty fields are left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CardExt {
    /// The signature.
    pub signature: String,
    /// The code, if any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub code: String,
    /// The openid, if any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub openid: String,
    /// The signed timestamp, as a string.
    pub timestamp: String,
    /// The signed nonce.
    pub nonce_str: String,
    /// Validity start of fixed-term cards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_begintimestamp: Option<u64>,
    /// The channel value, if any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub outer_str: String,
}

impl CardExt {
    /// The JSON string for `cardExt`.
    pub fn to_json(&self) -> String {
        // A struct of strings and integers always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The card-ext signature: SHA1 over the sorted concatenation of `nonce_str`, the card
/// `api_ticket`, `timestamp`, `code`, `openid` and `card_id`.
pub fn card_ext_signature(params: &AddCardParams, card_ticket: &Ticket, timestamp: u64, nonce_str: &str) -> Signature {
    let timestamp = alloc::format!("{timestamp}");
    Signature::of_sorted(&mut [
        nonce_str.as_bytes(),
        card_ticket.secret().as_bytes(),
        timestamp.as_bytes(),
        params.code.as_bytes(),
        params.openid.as_bytes(),
        params.card_id.as_bytes(),
    ])
}

/// A signed `cardExt` (wechatpy `jsapi.get_jsapi_add_card_params`). Pure: time and nonce are
/// arguments.
pub fn card_ext(params: &AddCardParams, card_ticket: &Ticket, timestamp: u64, nonce_str: &str) -> CardExt {
    CardExt {
        signature: String::from(card_ext_signature(params, card_ticket, timestamp, nonce_str).as_str()),
        code: params.code.clone(),
        openid: params.openid.clone(),
        timestamp: alloc::format!("{timestamp}"),
        nonce_str: nonce_str.into(),
        fixed_begintimestamp: params.fixed_begintimestamp,
        outer_str: params.outer_str.clone(),
    }
}

crate::facade!(
    /// `client.jsapi()`: wechatpy's `client.jsapi` group.
    JsApi
);

impl<'c, C: Caller + ?Sized> JsApi<'c, C> {
    /// Fetches a ticket of `type` (`jsapi`, `wx_card`), uncached (wechatpy `jsapi.get_ticket`).
    pub fn get_ticket(&self, r#type: &str) -> C::Ret<'c, JsTicket> {
        self.0.call(GetTicket { r#type: r#type.into() })
    }

    /// The `jsapi_ticket`, cached like the token (wechatpy `jsapi.get_jsapi_ticket`).
    pub fn get_jsapi_ticket(&self) -> C::Ret<'c, Ticket> {
        self.0.ticket(TicketKind::MpJsapi)
    }

    /// The card `api_ticket`, cached like the token (wechatpy `jsapi.get_jsapi_card_ticket`).
    pub fn get_jsapi_card_ticket(&self) -> C::Ret<'c, Ticket> {
        self.0.ticket(TicketKind::MpCard)
    }

    /// The `wx.config` signature (wechatpy `jsapi.get_jsapi_signature`); see
    /// [`jsapi_signature`].
    pub fn get_jsapi_signature(&self, noncestr: &str, ticket: &Ticket, timestamp: u64, url: &str) -> Signature {
        jsapi_signature(noncestr, ticket, timestamp, url)
    }

    /// The `wx.config` parameters for `url`, signed now with a fresh random nonce.
    pub fn config(&self, app_id: &str, ticket: &Ticket, url: &str) -> JsConfig {
        let nonce = crate::api::hex_nonce(&self.0.random());
        js_config(app_id, ticket, url, self.0.now().as_secs(), &nonce)
    }

    /// A signed `cardExt`, timestamped now with a fresh random nonce (wechatpy
    /// `jsapi.get_jsapi_add_card_params`; get the ticket with
    /// [`JsApi::get_jsapi_card_ticket`]).
    pub fn get_jsapi_add_card_params(&self, card_ticket: &Ticket, params: &AddCardParams) -> CardExt {
        let nonce = crate::api::hex_nonce(&self.0.random());
        card_ext(params, card_ticket, self.0.now().as_secs(), &nonce)
    }
}

/// This group's endpoints, one list per declaration file, for the [registry](crate::api::registry).
pub(crate) const REGISTRY: &[&[crate::api::registry::Info]] = &[];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::mp::testing::MockCaller;
    use crate::http::{Idempotency, Method};
    use crate::secret::AccessToken;

    const NONCE: &str = "Wm3WZYTPz0wzccnW";
    const TICKET: &str = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg";
    const TS: u64 = 1414587457;

    #[test]
    fn wechatpy_jsapi_signature_vector() {
        // test_client.py::test_jsapi_get_jsapi_signature
        let sig = jsapi_signature(NONCE, &Ticket::new(TICKET), TS, "http://mp.weixin.qq.com?params=value");
        assert_eq!(sig.as_str(), "0f9de62fce790f9a083d5c99e95740ceb90c27ed");
        // the fragment is not signed
        let with_fragment = jsapi_signature(
            NONCE,
            &Ticket::new(TICKET),
            TS,
            "http://mp.weixin.qq.com?params=value#/page",
        );
        assert_eq!(with_fragment, sig);
        // any other change is
        assert_ne!(
            jsapi_signature(
                NONCE,
                &Ticket::new(TICKET),
                TS + 1,
                "http://mp.weixin.qq.com?params=value"
            ),
            sig
        );
    }

    #[test]
    fn wechatpy_card_ext_vectors() {
        // test_client.py::test_jsapi_get_jsapi_add_card_params
        let ticket = Ticket::new(TICKET);
        let sign = |code: &str, openid: &str| {
            let params = AddCardParams {
                code: code.into(),
                openid: openid.into(),
                ..AddCardParams::new("random_card_id")
            };
            card_ext(&params, &ticket, TS, NONCE)
        };
        let plain = sign("", "");
        assert_eq!(plain.signature, "22dce6bad4db532d4a2ef82ca2ca7bbe1e10ef28");
        assert_eq!(
            sign("random_code", "").signature,
            "2e9c6d12952246e071717d7baeab20c30420b5cd"
        );
        assert_eq!(
            sign("", "random_openid").signature,
            "ded860a5dd4467312764bd86e544ad0579cbfad0"
        );
        let both = sign("random_code", "random_openid");
        assert_eq!(both.signature, "950dc1842852457ea573d4d6af34879c1ec093c8");
        // to_json drops empty values, as JsApiCardExt.to_json does
        assert_eq!(
            plain.to_json(),
            r#"{"signature":"22dce6bad4db532d4a2ef82ca2ca7bbe1e10ef28","timestamp":"1414587457","nonce_str":"Wm3WZYTPz0wzccnW"}"#
        );
        assert_eq!(
            both.to_json(),
            r#"{"signature":"950dc1842852457ea573d4d6af34879c1ec093c8","code":"random_code","openid":"random_openid","timestamp":"1414587457","nonce_str":"Wm3WZYTPz0wzccnW"}"#
        );
    }

    #[test]
    fn js_config_from_explicit_time_and_nonce() {
        let config = js_config(
            "wx123",
            &Ticket::new(TICKET),
            "http://mp.weixin.qq.com?params=value",
            TS,
            NONCE,
        )
        .with_js_api_list(["updateAppMessageShareData", "chooseImage"]);
        assert_eq!(config.signature, "0f9de62fce790f9a083d5c99e95740ceb90c27ed");
        assert_eq!(
            serde_json::to_string(&config).unwrap(),
            r#"{"appId":"wx123","timestamp":1414587457,"nonceStr":"Wm3WZYTPz0wzccnW","signature":"0f9de62fce790f9a083d5c99e95740ceb90c27ed","jsApiList":["updateAppMessageShareData","chooseImage"]}"#
        );
        let debug = config.with_debug(true).with_open_tag_list(["wx-open-launch-weapp"]);
        let shown = serde_json::to_string(&debug).unwrap();
        assert!(shown.starts_with(r#"{"debug":true,"appId""#), "{shown}");
        assert!(shown.ends_with(r#""openTagList":["wx-open-launch-weapp"]}"#), "{shown}");
    }

    #[test]
    fn facade_uses_client_time_randomness_and_ticket_cache() {
        let mock = MockCaller::default();
        let api = JsApi::new(&mock);
        let ticket = api.get_jsapi_ticket().unwrap();
        assert_eq!(ticket.secret(), "TICKET-jsapi_ticket");
        let card = api.get_jsapi_card_ticket().unwrap();
        assert_eq!(card.secret(), "TICKET-card_ticket");
        assert_eq!(*mock.tickets.borrow(), [TicketKind::MpJsapi, TicketKind::MpCard]);
        // tickets come from the cache, not from a direct API call
        assert!(mock.requests.borrow().is_empty());

        let config = api.config("wx1", &Ticket::new(TICKET), "http://mp.weixin.qq.com?params=value");
        assert_eq!(config.timestamp, TS);
        assert_eq!(config.nonce_str, "abababababababababababababababab");
        assert_eq!(
            config.signature,
            jsapi_signature(
                "abababababababababababababababab",
                &Ticket::new(TICKET),
                TS,
                "http://mp.weixin.qq.com?params=value"
            )
            .as_str()
        );
        let ext = api.get_jsapi_add_card_params(&Ticket::new(TICKET), &AddCardParams::new("c"));
        assert_eq!(ext.timestamp, "1414587457");
        assert_eq!(ext.nonce_str, "abababababababababababababababab");
        assert_eq!(
            api.get_jsapi_signature(NONCE, &Ticket::new(TICKET), TS, "http://mp.weixin.qq.com?params=value")
                .as_str(),
            "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
        );
    }

    #[test]
    fn get_ticket_endpoint() {
        let mock = MockCaller::answering(
            r#"{"errcode":0,"errmsg":"ok","ticket":"bxLdikRXVbTPdHSM05e5u5sUoXNKd8-41ZO3MhKoyN5OfkWITDGgnr2fwJ0m9E8NYzWKVZvdVtaUgWvsdshFKA","expires_in":7200}"#,
        );
        let t = JsApi::new(&mock).get_ticket("wx_card").unwrap();
        assert_eq!(t.expires_in, 7200);
        assert!(t.ticket.secret().starts_with("bxLdikRX"));
        assert!(!alloc::format!("{t:?}").contains("bxLdikRX"));
        let req = mock.request();
        assert_eq!((req.method, req.idempotency), (Method::Get, Idempotency::Idempotent));
        assert_eq!(
            req.url("https://api.weixin.qq.com", Some(&AccessToken::new("T"))),
            "https://api.weixin.qq.com/cgi-bin/ticket/getticket?access_token=T&type=wx_card"
        );
        // same request as the cached path's
        assert_eq!(GetTicket::default().request().unwrap(), TicketKind::MpJsapi.request());
        let err = GetTicket::default()
            .parse(ApiResponse::json(&br#"{"errcode":0,"errmsg":"ok"}"#[..]))
            .unwrap_err();
        assert_eq!(err, Error::Token(TokenError::MissingToken));
    }
}
