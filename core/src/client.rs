//! What both clients are configured with: credentials, the API base, limits, the token and
//! retry policies. The blocking and async clients share this so they behave identically.

use alloc::string::{String, ToString};
use core::time::Duration;

use crate::call::CallPolicy;
use crate::secret::AppSecret;
use crate::token::{TicketKind, TokenConfig, TokenKeys, TokenSource};

/// Which mp token endpoint to use.
///
/// The default is [`MpTokenEndpoint::Classic`] (`GET /cgi-bin/token`): it is what the CLI's
/// `wechat token` uses (`--stable` opts in), what wechatpy and every other SDK sharing an
/// account use, and its one danger (each fetch invalidates the previous token after about 5
/// minutes, the classic 40001 storm) is removed by the store lease: a fleet of processes
/// fetches once per expiry. Choose [`MpTokenEndpoint::Stable`] when other software you do not
/// control also fetches tokens for the same account: stable tokens are not invalidated by
/// anyone's fetch, only by a forced refresh (budgeted at 20 a day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MpTokenEndpoint {
    /// `GET /cgi-bin/token`.
    #[default]
    Classic,
    /// `POST /cgi-bin/stable_token`.
    Stable,
}

/// Who the client acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// An official account.
    Mp {
        /// The app id.
        app_id: String,
        /// The AppSecret.
        secret: AppSecret,
        /// Which token endpoint.
        endpoint: MpTokenEndpoint,
    },
    /// A WeCom application (or the contacts-sync secret).
    Work {
        /// The corp id.
        corp_id: String,
        /// The application's secret.
        secret: AppSecret,
        /// The application's agent id (keys the token per agent; optional for the contacts
        /// secret).
        agent_id: Option<i64>,
    },
}

impl Credentials {
    /// An official account with the classic token endpoint.
    pub fn mp(app_id: impl Into<String>, secret: impl Into<AppSecret>) -> Self {
        Credentials::Mp {
            app_id: app_id.into(),
            secret: secret.into(),
            endpoint: MpTokenEndpoint::Classic,
        }
    }

    /// A WeCom application.
    pub fn work(corp_id: impl Into<String>, secret: impl Into<AppSecret>, agent_id: Option<i64>) -> Self {
        Credentials::Work {
            corp_id: corp_id.into(),
            secret: secret.into(),
            agent_id,
        }
    }

    /// The same credentials with another mp token endpoint (no effect for WeCom).
    pub fn with_endpoint(self, endpoint: MpTokenEndpoint) -> Self {
        match self {
            Credentials::Mp { app_id, secret, .. } => Credentials::Mp {
                app_id,
                secret,
                endpoint,
            },
            other => other,
        }
    }

    /// Where the access token comes from.
    pub fn token_source(&self) -> TokenSource {
        match self {
            Credentials::Mp {
                app_id,
                secret,
                endpoint: MpTokenEndpoint::Classic,
            } => TokenSource::Classic {
                app_id: app_id.clone(),
                secret: secret.clone(),
            },
            Credentials::Mp {
                app_id,
                secret,
                endpoint: MpTokenEndpoint::Stable,
            } => TokenSource::Stable {
                app_id: app_id.clone(),
                secret: secret.clone(),
            },
            Credentials::Work { corp_id, secret, .. } => TokenSource::Work {
                corp_id: corp_id.clone(),
                secret: secret.clone(),
            },
        }
    }

    /// The account part of store keys: `mp:{appid}` or `work:{corpid}:{agentid}` (a secret
    /// fingerprint when there is no agent id). Never a secret.
    pub fn account(&self) -> String {
        let label = match self {
            Credentials::Work { agent_id: Some(id), .. } => Some(id.to_string()),
            _ => None,
        };
        self.token_source().account(label.as_deref(), "")
    }

    /// The default API base for the platform.
    pub fn default_api_base(&self) -> &'static str {
        match self {
            Credentials::Mp { .. } => crate::api::mp::API_BASE,
            Credentials::Work { .. } => crate::api::work::API_BASE,
        }
    }

    /// The store keys of the access token under `prefix`.
    pub fn token_keys(&self, prefix: &str) -> TokenKeys {
        TokenKeys::new(prefix, &self.account(), self.token_source().name())
    }

    /// The store keys of a ticket under `prefix`.
    pub fn ticket_keys(&self, prefix: &str, kind: TicketKind) -> TokenKeys {
        TokenKeys::new(prefix, &self.account(), kind.name())
    }
}

/// Client settings shared by the blocking and async clients.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The API base URL; `None` for WeChat's (`https://api.weixin.qq.com` or
    /// `https://qyapi.weixin.qq.com`). Set it for a proxy or a test server.
    pub api_base: Option<String>,
    /// Whole-request timeout (connect to end of body), including token fetches. Default 10 s.
    pub timeout: Duration,
    /// Connect timeout. Default 5 s.
    pub connect_timeout: Duration,
    /// Largest response body accepted. Default 20 MiB (WeChat media is at most 10 MB).
    pub max_response_bytes: usize,
    /// The token life cycle.
    pub token: TokenConfig,
    /// Retry limits per call.
    pub call: CallPolicy,
    /// Prefix of store keys. Default `wechat`.
    pub store_prefix: String,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            api_base: None,
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            max_response_bytes: 20 << 20,
            token: TokenConfig::default(),
            call: CallPolicy::default(),
            store_prefix: String::from("wechat"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let mp = Credentials::mp("wx1", "S");
        assert_eq!(mp.token_keys("wechat").token, "wechat:mp:wx1:access_token");
        assert_eq!(mp.ticket_keys("p", TicketKind::MpJsapi).token, "p:mp:wx1:jsapi_ticket");
        let stable = mp.with_endpoint(MpTokenEndpoint::Stable);
        assert_eq!(stable.token_keys("wechat").token, "wechat:mp:wx1:stable_access_token");
        let work = Credentials::work("ww1", "SECRET", Some(1000002));
        assert_eq!(
            work.token_keys("wechat").lease,
            "wechat:work:ww1:1000002:access_token:lease"
        );
        assert_eq!(work.default_api_base(), "https://qyapi.weixin.qq.com");
    }
}
