//! Application settings (wechatpy `client.agent`).
//!
//! Docs: <https://developer.work.weixin.qq.com/document/path/90227> (get, list),
//! <https://developer.work.weixin.qq.com/document/path/90228> (set).

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::de;
use crate::api::{ApiOk, Caller};
use crate::endpoint;

/// A member of the app's visibility (`allow_userinfos.user[]`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AllowedUser {
    /// The UserID.
    pub userid: String,
}

/// `allow_userinfos`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AllowedUsers {
    /// The members.
    pub user: Vec<AllowedUser>,
}

/// `allow_partys`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AllowedParties {
    /// Department ids.
    #[serde(deserialize_with = "de::u64_list")]
    pub partyid: Vec<u64>,
}

/// `allow_tags`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AllowedTags {
    /// Tag ids.
    #[serde(deserialize_with = "de::u64_list")]
    pub tagid: Vec<u64>,
}

/// An application's details (`agent/get`). Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AgentInfo {
    /// The agent id.
    pub agentid: i64,
    /// The name.
    pub name: String,
    /// The square logo URL.
    pub square_logo_url: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// Visible members.
    pub allow_userinfos: Option<AllowedUsers>,
    /// Visible departments.
    pub allow_partys: Option<AllowedParties>,
    /// Visible tags.
    pub allow_tags: Option<AllowedTags>,
    /// 1 when the app is disabled.
    pub close: Option<i64>,
    /// The trusted domain.
    pub redirect_domain: Option<String>,
    /// 0 no location reports, 1 on entering the conversation.
    pub report_location_flag: Option<i64>,
    /// 1 when "user entered the app" events are reported.
    pub isreportenter: Option<i64>,
    /// The home page.
    pub home_url: Option<String>,
    /// Publication status of a customised (代开发) app.
    pub customized_publish_status: Option<i64>,
}

/// One entry of `agent/list`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AgentSummary {
    /// The agent id.
    pub agentid: i64,
    /// The name.
    pub name: String,
    /// The square logo URL.
    pub square_logo_url: Option<String>,
}

endpoint! {
    /// An application's details, `GET /cgi-bin/agent/get` (wechatpy `agent.get`).
    GetAgent: GET "/cgi-bin/agent/get" => AgentInfo {
        /// The agent id.
        agentid: i64,
    }
}

#[derive(Deserialize)]
struct ListWire {
    #[serde(default)]
    agentlist: Vec<AgentSummary>,
}

endpoint! {
    /// The applications the token may see, `GET /cgi-bin/agent/list` (wechatpy `agent.list`).
    ListAgents: GET "/cgi-bin/agent/list" => Vec<AgentSummary>, from ListWire => agentlist {}
}

endpoint! {
    /// Changes an application's settings, `POST /cgi-bin/agent/set` (wechatpy `agent.set`).
    /// Only the fields that are set are sent: wechatpy always sent `report_location_flag=0`,
    /// `isreportenter=1` and `isreportuser=1`, silently overwriting them.
    SetAgent: POST "/cgi-bin/agent/set" [Idempotent] => ApiOk {
        /// The agent id.
        agentid: i64,
        /// Location reports on entering the conversation (sent as 1/0).
        #[serde(skip_serializing_if = "Option::is_none", serialize_with = "de::flag")]
        report_location_flag: Option<bool>,
        /// The logo, a media id (cropped to square and round).
        #[serde(skip_serializing_if = "Option::is_none")]
        logo_mediaid: Option<String>,
        /// The name (32 UTF-8 characters).
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// The description (4-120 UTF-8 characters).
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        /// The trusted domain (must pass ownership verification).
        #[serde(skip_serializing_if = "Option::is_none")]
        redirect_domain: Option<String>,
        /// Report "user entered the app" events (sent as 1/0).
        #[serde(skip_serializing_if = "Option::is_none", serialize_with = "de::flag")]
        isreportenter: Option<bool>,
        /// Report member changes (legacy, sent as 1/0).
        #[serde(skip_serializing_if = "Option::is_none", serialize_with = "de::flag")]
        isreportuser: Option<bool>,
        /// The home page.
        #[serde(skip_serializing_if = "Option::is_none")]
        home_url: Option<String>,
    }
}

impl SetAgent {
    /// Settings of `agentid` that change nothing yet; set fields with `..`.
    pub fn new(agentid: i64) -> Self {
        Self {
            agentid,
            ..Self::default()
        }
    }
}

crate::facade!(
    /// `client.agent()`: wechatpy's `client.agent` group.
    AgentApi
);

impl<'c, C: Caller + ?Sized> AgentApi<'c, C> {
    /// An application's details (wechatpy `agent.get`).
    pub fn get(&self, agent_id: i64) -> C::Ret<'c, AgentInfo> {
        self.0.call(GetAgent { agentid: agent_id })
    }

    /// The applications (wechatpy `agent.list`).
    pub fn list(&self) -> C::Ret<'c, Vec<AgentSummary>> {
        self.0.call(ListAgents {})
    }

    /// Changes the settings set in `settings` (wechatpy `agent.set`):
    /// `client.agent().set(SetAgent { name: Some("HR".into()), ..SetAgent::new(1000005) })`.
    pub fn set(&self, settings: SetAgent) -> C::Ret<'c, ApiOk> {
        self.0.call(settings)
    }
}

/// This group's endpoints, one list per declaration file, for the [registry](crate::api::registry).
pub(crate) const REGISTRY: &[&[crate::api::registry::Info]] = &[];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::work::testing::{Mock, assert_get, assert_post};
    use crate::http::Idempotency::Idempotent;

    #[test]
    fn get_list_set() {
        let mock = Mock::new(&[
            r#"{"errcode":0,"errmsg":"ok","agentid":1000005,"name":"HR助手",
                "square_logo_url":"https://p.qlogo.cn/bizmail/FicwmI50icF8GH9ib7rUAYR5kicLTgP265naVFQKnleqSlRhiaBx7QA9u7Q/0",
                "description":"HR服务与员工自助平台",
                "allow_userinfos":{"user":[{"userid":"zhangshan"},{"userid":"lisi"}]},
                "allow_partys":{"partyid":[1]},"allow_tags":{"tagid":[1,2,3]},
                "close":0,"redirect_domain":"open.work.weixin.qq.com","report_location_flag":0,
                "isreportenter":0,"home_url":"https://open.work.weixin.qq.com","customized_publish_status":1}"#,
            r#"{"errcode":0,"errmsg":"ok","agentlist":[{"agentid":1000005,"name":"HR助手","square_logo_url":"https://p.qlogo.cn/x/0"}]}"#,
            r#"{"errcode":0,"errmsg":"ok"}"#,
        ]);
        let info = mock.agent().get(1000005).unwrap();
        assert_get(&mock.last(), "/cgi-bin/agent/get", &["agentid=1000005"], Idempotent);
        assert_eq!(info.name, "HR助手");
        assert_eq!(info.allow_userinfos.unwrap().user[1].userid, "lisi");
        assert_eq!(info.allow_partys.unwrap().partyid, [1]);
        assert_eq!(info.allow_tags.unwrap().tagid, [1, 2, 3]);
        assert_eq!(info.customized_publish_status, Some(1));
        let list = mock.agent().list().unwrap();
        assert_get(&mock.last(), "/cgi-bin/agent/list", &[], Idempotent);
        assert_eq!(list[0].agentid, 1000005);
        mock.agent()
            .set(SetAgent {
                name: Some("HR".into()),
                report_location_flag: Some(false),
                isreportenter: Some(true),
                ..SetAgent::new(1000005)
            })
            .unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/agent/set",
            r#"{"agentid":1000005,"report_location_flag":0,"name":"HR","isreportenter":1}"#,
            Idempotent,
        );
    }
}
