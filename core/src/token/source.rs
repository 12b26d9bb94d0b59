//! Where tokens come from: the fetch request and its response, per credential kind.

use alloc::string::String;

use serde::Deserialize;

use crate::api::json;
use crate::error::{Error, TokenError};
use crate::http::{ApiRequest, ApiResponse, Idempotency, TokenKind};
use crate::secret::{AccessToken, AppSecret};
use crate::signature::Signature;

/// How a token (or ticket) is fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenSource {
    /// mp `GET /cgi-bin/token`: every fetch issues a new token; the previous one keeps
    /// working for about 5 minutes. Budget: 2000 fetches a day.
    Classic {
        /// The app id.
        app_id: String,
        /// The AppSecret.
        secret: AppSecret,
    },
    /// mp `POST /cgi-bin/stable_token`: returns the same token while it is valid, so fetching
    /// never invalidates a token someone else holds; `force_refresh` is limited to 20 a day.
    Stable {
        /// The app id.
        app_id: String,
        /// The AppSecret.
        secret: AppSecret,
    },
    /// WeCom `GET /cgi-bin/gettoken`: returns the same token while it is valid; one token per
    /// application (agent) secret.
    Work {
        /// The corp id.
        corp_id: String,
        /// The application's (or the contacts-sync) secret.
        secret: AppSecret,
    },
    /// A JS-SDK ticket, fetched with the access token.
    Ticket(TicketKind),
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

/// A freshly fetched token and its lifetime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The token or ticket.
    pub token: AccessToken,
    /// `expires_in`, seconds (7200 when WeChat leaves it out, as wechatpy assumes), clamped to
    /// [`MIN_LIFETIME`](super::MIN_LIFETIME)..=[`MAX_LIFETIME`](super::MAX_LIFETIME).
    pub expires_in: u64,
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

impl TokenSource {
    /// The token's name in store keys.
    pub fn name(&self) -> &'static str {
        match self {
            TokenSource::Classic { .. } | TokenSource::Work { .. } => "access_token",
            TokenSource::Stable { .. } => "stable_access_token",
            TokenSource::Ticket(kind) => kind.name(),
        }
    }

    /// Whether this source is the mp stable-token endpoint (forced refreshes are budgeted).
    pub fn is_stable(&self) -> bool {
        matches!(self, TokenSource::Stable { .. })
    }

    /// The fetch request. `force` only matters for [`TokenSource::Stable`].
    ///
    /// # Errors
    /// Never in practice (JSON encoding of strings).
    pub fn request(&self, force: bool) -> Result<ApiRequest, Error> {
        Ok(match self {
            TokenSource::Classic { app_id, secret } => ApiRequest::get("/cgi-bin/token")
                .token(TokenKind::None)
                .query("grant_type", "client_credential")
                .query("appid", app_id.clone())
                .query("secret", secret.secret()),
            TokenSource::Stable { app_id, secret } => {
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
                        appid: app_id,
                        secret: secret.secret(),
                        force_refresh: force,
                    })?
            }
            TokenSource::Work { corp_id, secret } => ApiRequest::get("/cgi-bin/gettoken")
                .token(TokenKind::None)
                .query("corpid", corp_id.clone())
                .query("corpsecret", secret.secret()),
            TokenSource::Ticket(kind) => kind.request(),
        })
    }

    /// Parses the fetch response.
    ///
    /// # Errors
    /// [`Error::Api`] for WeChat errors, [`TokenError::MissingToken`] without a token,
    /// [`ResponseError`](crate::error::ResponseError) for unusable responses (the body is
    /// kept but never printed: it may hold a token).
    pub fn parse(&self, response: &ApiResponse) -> Result<Fetched, Error> {
        let wire: TokenWire = json::parse_json(response)?;
        let token = match self {
            TokenSource::Ticket(_) => wire.ticket,
            _ => wire.access_token,
        };
        match token {
            Some(t) if !t.is_empty() => Ok(Fetched {
                token: AccessToken::new(t),
                expires_in: wire
                    .expires_in
                    .unwrap_or(7200)
                    .clamp(super::MIN_LIFETIME.as_secs(), super::MAX_LIFETIME.as_secs()),
            }),
            _ => Err(TokenError::MissingToken.into()),
        }
    }

    /// The platform and account part of store keys: `mp:{appid}` or `work:{corpid}:{agent}`.
    /// `label` distinguishes several WeCom secrets of one corp (the agent id); without it a
    /// short fingerprint of the secret is used (never the secret itself). Tickets use the
    /// account of the token they are fetched with, passed as `token_account`.
    pub fn account(&self, label: Option<&str>, token_account: &str) -> String {
        match self {
            TokenSource::Classic { app_id, .. } | TokenSource::Stable { app_id, .. } => {
                alloc::format!("mp:{app_id}")
            }
            TokenSource::Work { corp_id, secret } => match label {
                Some(label) => alloc::format!("work:{corp_id}:{label}"),
                None => {
                    let fp = Signature::of_sorted(&mut [b"wechat-secret-fingerprint:", secret.secret().as_bytes()]);
                    alloc::format!("work:{corp_id}:s{}", &fp.as_str()[..12])
                }
            },
            TokenSource::Ticket(_) => String::from(token_account),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests() {
        let classic = TokenSource::Classic {
            app_id: "wx1".into(),
            secret: AppSecret::new("S"),
        };
        assert_eq!(
            classic.request(false).unwrap().url("https://api.weixin.qq.com", None),
            "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=S"
        );
        let stable = TokenSource::Stable {
            app_id: "wx1".into(),
            secret: AppSecret::new("S"),
        };
        let req = stable.request(true).unwrap();
        assert_eq!(
            req.body.unwrap().bytes,
            br#"{"grant_type":"client_credential","appid":"wx1","secret":"S","force_refresh":true}"#
        );
        let work = TokenSource::Work {
            corp_id: "ww1".into(),
            secret: AppSecret::new("S"),
        };
        assert_eq!(
            work.request(false).unwrap().url("http://q", None),
            "http://q/cgi-bin/gettoken?corpid=ww1&corpsecret=S"
        );
    }

    #[test]
    fn parse_and_defaults() {
        let classic = TokenSource::Classic {
            app_id: "wx1".into(),
            secret: AppSecret::new("S"),
        };
        let f = classic
            .parse(&ApiResponse::json(&br#"{"access_token":"T","expires_in":7000}"#[..]))
            .unwrap();
        assert_eq!((f.token.secret(), f.expires_in), ("T", 7000));
        let f = classic
            .parse(&ApiResponse::json(&br#"{"access_token":"T"}"#[..]))
            .unwrap();
        assert_eq!(f.expires_in, 7200);
        assert!(matches!(
            classic.parse(&ApiResponse::json(&br#"{"errcode":40125,"errmsg":"invalid appsecret"}"#[..])),
            Err(Error::Api(e)) if e.code == 40125
        ));
        assert_eq!(
            classic.parse(&ApiResponse::json(&br#"{"expires_in":7200}"#[..])),
            Err(Error::Token(TokenError::MissingToken))
        );
        let ticket = TokenSource::Ticket(TicketKind::MpJsapi);
        let f = ticket
            .parse(&ApiResponse::json(
                &br#"{"errcode":0,"errmsg":"ok","ticket":"TK","expires_in":7200}"#[..],
            ))
            .unwrap();
        assert_eq!(f.token.secret(), "TK");
    }

    #[test]
    fn accounts_never_contain_secrets() {
        let work = TokenSource::Work {
            corp_id: "ww1".into(),
            secret: AppSecret::new("VERYSECRET"),
        };
        let a = work.account(None, "");
        assert!(a.starts_with("work:ww1:s") && !a.contains("VERYSECRET"));
        assert_eq!(work.account(Some("1000002"), ""), "work:ww1:1000002");
    }
}
