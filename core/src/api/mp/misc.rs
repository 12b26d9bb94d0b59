//! Odds and ends (wechatpy `client.misc`): short links, WeChat's server IPs, network checks.
//!
//! Docs: <https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_the_WeChat_server_IP_address.html>,
//! <https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Network_Detection.html>

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::api::Caller;
use crate::endpoint;

#[derive(Deserialize)]
struct ShortUrlWire {
    #[serde(default)]
    short_url: String,
}

/// `long2short`, the only `action` of [`ShortUrl`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum ShortUrlAction {
    /// Shorten a URL.
    #[default]
    #[serde(rename = "long2short")]
    LongToShort,
}

endpoint! {
    /// Shortens a URL, `POST /cgi-bin/shorturl` (wechatpy `misc.short_url`). WeChat stopped
    /// issuing new short links in 2021 (use `wxa/genwxashortlink` instead); the endpoint is
    /// kept for parity. Idempotent: a repeat only yields another link to the same target.
    ShortUrl: POST "/cgi-bin/shorturl" [Idempotent] => String, from ShortUrlWire => short_url {
        /// Always `long2short`.
        action: ShortUrlAction,
        /// The URL (http, https or weixin scheme).
        long_url: String,
    }
}

#[derive(Deserialize)]
struct IpListWire {
    #[serde(default)]
    ip_list: Vec<String>,
}

endpoint! {
    /// The addresses WeChat calls your callback from, `GET /cgi-bin/getcallbackip` (wechatpy
    /// `misc.get_wechat_ips`). Refresh daily: they change.
    GetCallbackIp: GET "/cgi-bin/getcallbackip" => Vec<String>, from IpListWire => ip_list {}
}

endpoint! {
    /// The addresses of `api.weixin.qq.com`, `GET /cgi-bin/get_api_domain_ip` (for egress
    /// firewalls; refresh daily).
    GetApiDomainIp: GET "/cgi-bin/get_api_domain_ip" => Vec<String>, from IpListWire => ip_list {}
}

/// What [`CheckNetwork`] tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum CheckAction {
    /// Resolve the callback domain.
    Dns,
    /// Ping the callback address.
    Ping,
    /// Both (wechatpy's default).
    #[default]
    All,
}

/// Which carrier [`CheckNetwork`] tests from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "UPPERCASE")]
#[non_exhaustive]
pub enum CheckOperator {
    /// China Telecom.
    Chinanet,
    /// China Unicom.
    Unicom,
    /// Tencent's own links.
    Cap,
    /// Chosen from your IP (wechatpy's default).
    #[default]
    Default,
}

/// One DNS result.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct DnsResult {
    /// The resolved address.
    pub ip: String,
    /// Its carrier (`CHINANET`, `UNICOM`, `CAP`...).
    pub real_operator: String,
}

/// One ping result.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PingResult {
    /// The address pinged.
    pub ip: String,
    /// The carrier pinged from.
    pub from_operator: String,
    /// Loss, e.g. `"0%"`.
    pub package_loss: String,
    /// Round-trip time, e.g. `"23.414ms"`.
    pub time: String,
}

/// What WeChat saw when reaching your callback (`cgi-bin/callback/check`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct NetworkCheck {
    /// DNS results.
    pub dns: Vec<DnsResult>,
    /// Ping results.
    pub ping: Vec<PingResult>,
}

endpoint! {
    /// Asks WeChat to test reaching your callback, `POST /cgi-bin/callback/check` (wechatpy
    /// `misc.check_network`; a read).
    CheckNetwork: POST "/cgi-bin/callback/check" [Idempotent] => NetworkCheck {
        /// What to test.
        action: CheckAction,
        /// From which carrier.
        check_operator: CheckOperator,
    }
}

crate::facade!(
    /// `client.misc()`: wechatpy's `client.misc` group.
    MiscApi
);

impl<'c, C: Caller + ?Sized> MiscApi<'c, C> {
    /// Shortens a URL (wechatpy `misc.short_url`).
    pub fn short_url(&self, long_url: &str) -> C::Ret<'c, String> {
        self.0.call(ShortUrl {
            action: ShortUrlAction::LongToShort,
            long_url: long_url.into(),
        })
    }

    /// WeChat's callback source addresses (wechatpy `misc.get_wechat_ips`).
    pub fn get_wechat_ips(&self) -> C::Ret<'c, Vec<String>> {
        self.0.call(GetCallbackIp {})
    }

    /// The addresses of the API domain.
    pub fn get_api_domain_ip(&self) -> C::Ret<'c, Vec<String>> {
        self.0.call(GetApiDomainIp {})
    }

    /// Tests the network path to your callback (wechatpy `misc.check_network`; its defaults
    /// are `CheckAction::All`, `CheckOperator::Default`).
    pub fn check_network(&self, action: CheckAction, operator: CheckOperator) -> C::Ret<'c, NetworkCheck> {
        self.0.call(CheckNetwork {
            action,
            check_operator: operator,
        })
    }
}

/// This group's endpoints, one list per declaration file, for the [registry](crate::api::registry).
pub(crate) const REGISTRY: &[&[crate::api::registry::Info]] = &[];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Endpoint;
    use crate::api::mp::testing::MockCaller;
    use crate::error::Error;
    use crate::http::{ApiResponse, Idempotency, Method};

    #[test]
    fn short_url() {
        let mock = MockCaller::answering(r#"{"errcode":0,"errmsg":"ok","short_url":"http://w.url.cn/s/AvCo6Ih"}"#);
        assert_eq!(
            MiscApi::new(&mock).short_url("http://www.qq.com").unwrap(),
            "http://w.url.cn/s/AvCo6Ih"
        );
        let req = mock.request();
        assert_eq!(
            (req.method, req.path.as_ref(), req.idempotency),
            (Method::Post, "/cgi-bin/shorturl", Idempotency::Idempotent)
        );
        assert_eq!(mock.body(), r#"{"action":"long2short","long_url":"http://www.qq.com"}"#);
    }

    #[test]
    fn ip_lists() {
        let mock = MockCaller::answering(r#"{"ip_list":["127.0.0.1","127.0.0.2","101.226.103.0/25"]}"#);
        let ips = MiscApi::new(&mock).get_wechat_ips().unwrap();
        assert_eq!(ips, ["127.0.0.1", "127.0.0.2", "101.226.103.0/25"]);
        let req = mock.request();
        assert_eq!((req.method, req.path.as_ref()), (Method::Get, "/cgi-bin/getcallbackip"));

        let mock = MockCaller::answering(r#"{"ip_list":["101.89.47.18","101.91.34.103"]}"#);
        let ips = MiscApi::new(&mock).get_api_domain_ip().unwrap();
        assert_eq!(ips.len(), 2);
        assert_eq!(mock.request().path, "/cgi-bin/get_api_domain_ip");

        let err = GetCallbackIp {}
            .parse(ApiResponse::json(&br#"{"errcode":40013,"errmsg":"invalid appid"}"#[..]))
            .unwrap_err();
        assert!(matches!(err, Error::Api(e) if e.code == 40013));
    }

    #[test]
    fn check_network() {
        let mock = MockCaller::answering(
            r#"{"dns":[{"ip":"111.161.64.40","real_operator":"UNICOM"},{"ip":"111.161.64.48","real_operator":"UNICOM"}],"ping":[{"ip":"111.161.64.40","from_operator":"UNICOM","package_loss":"0%","time":"23.414ms"},{"ip":"111.161.64.48","from_operator":"UNICOM","package_loss":"0%","time":"24.322ms"}]}"#,
        );
        let check = MiscApi::new(&mock)
            .check_network(CheckAction::All, CheckOperator::Default)
            .unwrap();
        assert_eq!(check.dns[1].ip, "111.161.64.48");
        assert_eq!(check.ping[0].time, "23.414ms");
        let req = mock.request();
        assert_eq!(
            (req.path.as_ref(), req.idempotency),
            ("/cgi-bin/callback/check", Idempotency::Idempotent)
        );
        assert_eq!(mock.body(), r#"{"action":"all","check_operator":"DEFAULT"}"#);
        let ping = CheckNetwork {
            action: CheckAction::Ping,
            check_operator: CheckOperator::Chinanet,
        };
        assert_eq!(
            ping.request().unwrap().body.unwrap().bytes,
            br#"{"action":"ping","check_operator":"CHINANET"}"#
        );
    }
}
