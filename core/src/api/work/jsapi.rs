//! JS-SDK tickets and signatures (wechatpy `client.jsapi`).
//!
//! Docs: <https://developer.work.weixin.qq.com/document/path/96909> (signature algorithm and
//! the two tickets).
//!
//! WeCom pages use two tickets: the corp's `jsapi_ticket` signs `wx.config`, the
//! application's agent-config ticket signs `wx.agentConfig`. Both are limited (400 fetches an
//! hour per corp, 100 per app), so fetch them with [`JsapiApi::get_jsapi_ticket`] /
//! [`JsapiApi::get_agent_jsapi_ticket`], which go through the client's token store: cached
//! like the access token, under the account of the token they are fetched with, which for
//! WeCom is per application (wechatpy keyed the agent ticket by corp only, so two apps
//! overwrote each other's ticket). [`GetJsapiTicket`] and [`GetAgentTicket`] fetch without
//! caching.

use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;
use sha1::{Digest, Sha1};

use crate::api::{Caller, Endpoint};
use crate::error::Error;
use crate::http::{ApiRequest, ApiResponse};
use crate::secret::Ticket;
use crate::signature::Signature;
use crate::token::TicketKind;

/// A freshly fetched ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JsapiTicket {
    /// The ticket (redacted in `Debug`).
    pub ticket: Ticket,
    /// Its lifetime in seconds (7200 when WeCom leaves it out).
    pub expires_in: u64,
}

fn fetch(response: &ApiResponse) -> Result<JsapiTicket, Error> {
    let fetched = crate::credential::parse_token(response, true)?;
    Ok(JsapiTicket {
        ticket: Ticket::new(fetched.token.into_secret()),
        expires_in: fetched.expires_in,
    })
}

/// Fetches the corp's `jsapi_ticket`, `GET /cgi-bin/get_jsapi_ticket` (wechatpy
/// `jsapi.get_ticket`). Uncached: prefer [`JsapiApi::get_jsapi_ticket`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GetJsapiTicket;

impl Endpoint for GetJsapiTicket {
    type Output = JsapiTicket;

    fn request(&self) -> Result<ApiRequest, Error> {
        Ok(TicketKind::WorkJsapi.request())
    }

    fn parse(&self, response: ApiResponse) -> Result<JsapiTicket, Error> {
        fetch(&response)
    }
}

/// Fetches the application's agent-config ticket, `GET /cgi-bin/ticket/get?type=agent_config`
/// (wechatpy `jsapi.get_agent_ticket`). Uncached: prefer
/// [`JsapiApi::get_agent_jsapi_ticket`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GetAgentTicket;

impl Endpoint for GetAgentTicket {
    type Output = JsapiTicket;

    fn request(&self) -> Result<ApiRequest, Error> {
        Ok(TicketKind::WorkAgentConfig.request())
    }

    fn parse(&self, response: ApiResponse) -> Result<JsapiTicket, Error> {
        fetch(&response)
    }
}

/// The URL as it is signed: without the `#fragment`, which browsers never send and a
/// signature over it never verifies.
fn signed_url(url: &str) -> &str {
    url.split('#').next().unwrap_or(url)
}

/// The JS-SDK signature (wechatpy `jsapi.get_jsapi_signature`): SHA1 of
/// `jsapi_ticket=...&noncestr=...&timestamp=...&url=...`, values unescaped. The same
/// algorithm signs `wx.config` (with the corp ticket) and `wx.agentConfig` (with the agent
/// ticket). A `#fragment` of `url` is dropped.
pub fn jsapi_signature(noncestr: &str, ticket: &Ticket, timestamp: u64, url: &str) -> Signature {
    let mut hasher = Sha1::new();
    hasher.update(b"jsapi_ticket=");
    hasher.update(ticket.secret().as_bytes());
    hasher.update(b"&noncestr=");
    hasher.update(noncestr.as_bytes());
    hasher.update(alloc::format!("&timestamp={timestamp}&url=").as_bytes());
    hasher.update(signed_url(url).as_bytes());
    Signature::from_digest(&hasher.finalize())
}

/// A nonce string from 16 random bytes ([`Caller::random`]): 32 lowercase hex digits.
pub fn nonce(random: &[u8; 16]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(32);
    for b in random {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0xf)] as char);
    }
    out
}

/// The parameters of `wx.config({...})`; serialize it to JSON for the page (the field names
/// are the JavaScript ones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct JsSdkConfig {
    /// Always true: WeCom's own APIs need `beta: true`.
    pub beta: bool,
    /// `debug` mode (alerts every call's result).
    pub debug: bool,
    /// The corp id.
    #[serde(rename = "appId")]
    pub app_id: String,
    /// The signing time, Unix seconds.
    pub timestamp: u64,
    /// The nonce.
    #[serde(rename = "nonceStr")]
    pub nonce_str: String,
    /// The signature.
    pub signature: String,
    /// The APIs to enable.
    #[serde(rename = "jsApiList")]
    pub js_api_list: Vec<String>,
}

/// The parameters of `wx.agentConfig({...})`, signed with the agent-config ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AgentConfig {
    /// The corp id.
    pub corpid: String,
    /// The application's agent id.
    pub agentid: i64,
    /// The signing time, Unix seconds.
    pub timestamp: u64,
    /// The nonce.
    #[serde(rename = "nonceStr")]
    pub nonce_str: String,
    /// The signature.
    pub signature: String,
    /// The APIs to enable.
    #[serde(rename = "jsApiList")]
    pub js_api_list: Vec<String>,
}

fn api_list(js_api_list: &[&str]) -> Vec<String> {
    js_api_list.iter().map(|s| String::from(*s)).collect()
}

/// Signs `wx.config` for the page at `url` with the corp's `jsapi_ticket`. Time and nonce
/// are arguments so the result is reproducible; [`JsapiApi::sign_config`] supplies them.
pub fn config(
    corp_id: &str,
    ticket: &Ticket,
    url: &str,
    timestamp: u64,
    nonce_str: &str,
    js_api_list: &[&str],
) -> JsSdkConfig {
    JsSdkConfig {
        beta: true,
        debug: false,
        app_id: corp_id.into(),
        timestamp,
        nonce_str: nonce_str.into(),
        signature: String::from(jsapi_signature(nonce_str, ticket, timestamp, url).as_str()),
        js_api_list: api_list(js_api_list),
    }
}

/// Signs `wx.agentConfig` for the page at `url` with the application's agent-config ticket.
pub fn agent_config(
    corp_id: &str,
    agent_id: i64,
    agent_ticket: &Ticket,
    url: &str,
    timestamp: u64,
    nonce_str: &str,
    js_api_list: &[&str],
) -> AgentConfig {
    AgentConfig {
        corpid: corp_id.into(),
        agentid: agent_id,
        timestamp,
        nonce_str: nonce_str.into(),
        signature: String::from(jsapi_signature(nonce_str, agent_ticket, timestamp, url).as_str()),
        js_api_list: api_list(js_api_list),
    }
}

crate::facade!(
    /// `client.jsapi()`: wechatpy's `client.jsapi` group (WeCom JS-SDK).
    JsapiApi
);

impl<'c, C: Caller + ?Sized> JsapiApi<'c, C> {
    /// Fetches the corp ticket without caching (wechatpy `jsapi.get_ticket`).
    pub fn get_ticket(&self) -> C::Ret<'c, JsapiTicket> {
        self.0.call(GetJsapiTicket)
    }

    /// Fetches the agent-config ticket without caching (wechatpy `jsapi.get_agent_ticket`).
    pub fn get_agent_ticket(&self) -> C::Ret<'c, JsapiTicket> {
        self.0.call(GetAgentTicket)
    }

    /// The corp ticket, cached like the access token (wechatpy `jsapi.get_jsapi_ticket`).
    pub fn get_jsapi_ticket(&self) -> C::Ret<'c, Ticket> {
        self.0.ticket(TicketKind::WorkJsapi)
    }

    /// The application's agent-config ticket, cached per application (wechatpy
    /// `jsapi.get_agent_jsapi_ticket`).
    pub fn get_agent_jsapi_ticket(&self) -> C::Ret<'c, Ticket> {
        self.0.ticket(TicketKind::WorkAgentConfig)
    }

    /// [`jsapi_signature`] (wechatpy `jsapi.get_jsapi_signature`).
    pub fn get_jsapi_signature(&self, noncestr: &str, ticket: &Ticket, timestamp: u64, url: &str) -> Signature {
        jsapi_signature(noncestr, ticket, timestamp, url)
    }

    /// [`config`] with the client's clock and randomness.
    pub fn sign_config(&self, corp_id: &str, ticket: &Ticket, url: &str, js_api_list: &[&str]) -> JsSdkConfig {
        let nonce = nonce(&self.0.random());
        config(corp_id, ticket, url, self.0.now().as_secs(), &nonce, js_api_list)
    }

    /// [`agent_config`] with the client's clock and randomness.
    pub fn sign_agent_config(
        &self,
        corp_id: &str,
        agent_id: i64,
        agent_ticket: &Ticket,
        url: &str,
        js_api_list: &[&str],
    ) -> AgentConfig {
        let nonce = nonce(&self.0.random());
        agent_config(
            corp_id,
            agent_id,
            agent_ticket,
            url,
            self.0.now().as_secs(),
            &nonce,
            js_api_list,
        )
    }
}

/// This group's endpoints, one list per declaration file, for the [registry](crate::api::registry).
pub(crate) const REGISTRY: &[&[crate::api::registry::Info]] = &[];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::work::testing::{Mock, assert_get};
    use crate::error::TokenError;
    use crate::http::Idempotency::Idempotent;

    const TICKET: &str = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg";

    #[test]
    fn wechatpy_signature_vector() {
        // test_work_client.py / inventory §6.4
        let sig = jsapi_signature(
            "Wm3WZYTPz0wzccnW",
            &Ticket::new(TICKET),
            1_414_587_457,
            "http://mp.weixin.qq.com?params=value",
        );
        assert_eq!(sig.as_str(), "0f9de62fce790f9a083d5c99e95740ceb90c27ed");
        // the fragment is not signed
        let with_fragment = jsapi_signature(
            "Wm3WZYTPz0wzccnW",
            &Ticket::new(TICKET),
            1_414_587_457,
            "http://mp.weixin.qq.com?params=value#/route",
        );
        assert_eq!(with_fragment, sig);
        let other_url = jsapi_signature(
            "Wm3WZYTPz0wzccnW",
            &Ticket::new(TICKET),
            1_414_587_457,
            "http://mp.weixin.qq.com?params=other",
        );
        assert_ne!(other_url, sig);
    }

    #[test]
    fn ticket_endpoints_match_the_token_machine() {
        let mock = Mock::new(&[
            r#"{"errcode":0,"errmsg":"ok","ticket":"bxLdikRXVbTPdHSM05e5u5sUoXNKd8-41ZO3MhKoyN5OfkWITDGgnr2fwJ0m9E8NYzWKVZvdVtaUgWvsdshFKA","expires_in":7200}"#,
            r#"{"errcode":0,"errmsg":"ok","ticket":"AGENT","expires_in":7000}"#,
            r#"{"errcode":0,"errmsg":"ok"}"#,
        ]);
        let corp = mock.jsapi().get_ticket().unwrap();
        assert_get(&mock.last(), "/cgi-bin/get_jsapi_ticket", &[], Idempotent);
        assert_eq!(mock.last(), TicketKind::WorkJsapi.request());
        assert!(corp.ticket.secret().starts_with("bxLdikRXVbTP"));
        assert_eq!(corp.expires_in, 7200);
        assert!(!alloc::format!("{corp:?}").contains("bxLdikRXVbTP"));
        let agent = mock.jsapi().get_agent_ticket().unwrap();
        assert_get(&mock.last(), "/cgi-bin/ticket/get", &["type=agent_config"], Idempotent);
        assert_eq!(agent.ticket, Ticket::new("AGENT"));
        assert_eq!(agent.expires_in, 7000);
        assert_eq!(mock.jsapi().get_ticket(), Err(Error::Token(TokenError::MissingToken)));
    }

    #[test]
    fn cached_tickets_come_from_the_caller() {
        let mock = Mock::new(&[]);
        let corp = mock.jsapi().get_jsapi_ticket().unwrap();
        let agent = mock.jsapi().get_agent_jsapi_ticket().unwrap();
        assert_eq!(
            *mock.tickets.borrow(),
            [TicketKind::WorkJsapi, TicketKind::WorkAgentConfig]
        );
        assert_eq!(corp.secret(), "ticket-jsapi_ticket");
        assert_eq!(agent.secret(), "ticket-agent_config_ticket");
        assert!(mock.requests.borrow().is_empty());
    }

    #[test]
    fn config_parameters() {
        let mock = Mock::new(&[]);
        let url = "https://example.com/page?x=1#top";
        let cfg = mock.jsapi().sign_config(
            "ww1234",
            &Ticket::new("ticket-jsapi_ticket"),
            url,
            &["getContext", "chooseImage"],
        );
        // signatures computed with wechatpy's get_jsapi_signature
        assert_eq!(
            serde_json::to_string(&cfg).unwrap(),
            r#"{"beta":true,"debug":false,"appId":"ww1234","timestamp":1414587457,"nonceStr":"5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a","signature":"d01021dd4ae625ad66834b47f72f3a97777ef75a","jsApiList":["getContext","chooseImage"]}"#
        );
        let agent = mock.jsapi().sign_agent_config(
            "ww1234",
            1000002,
            &Ticket::new("ticket-agent_config_ticket"),
            url,
            &["getContext"],
        );
        assert_eq!(
            serde_json::to_string(&agent).unwrap(),
            r#"{"corpid":"ww1234","agentid":1000002,"timestamp":1414587457,"nonceStr":"5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a","signature":"620252e8112c315bdf3f837cc7f291e70c640891","jsApiList":["getContext"]}"#
        );
        assert_eq!(
            config(
                "ww1234",
                &Ticket::new(TICKET),
                "http://mp.weixin.qq.com?params=value",
                1_414_587_457,
                "Wm3WZYTPz0wzccnW",
                &[]
            )
            .signature,
            "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
        );
        assert_eq!(
            mock.jsapi()
                .get_jsapi_signature(
                    "Wm3WZYTPz0wzccnW",
                    &Ticket::new(TICKET),
                    1_414_587_457,
                    "http://mp.weixin.qq.com?params=value"
                )
                .as_str(),
            "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
        );
        assert_eq!(nonce(&[0x01; 16]), "01010101010101010101010101010101");
    }
}
