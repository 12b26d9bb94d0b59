//! WeCom (work) API groups, `https://qyapi.weixin.qq.com`.
//!
//! One module per wechatpy group (`client.user` → [`user`]). Clients get an accessor per group
//! from [`impl_work_api!`](crate::impl_work_api):
//!
//! | accessor | module | wechatpy |
//! | --- | --- | --- |
//! | `client.user()` | [`user`] | `client.user` |
//! | `client.department()` | [`department`] | `client.department` |
//! | `client.tag()` | [`tag`] | `client.tag` |
//! | `client.message()` | [`message`] | `client.message` |
//! | `client.media()` | [`media`] | `client.media` |
//! | `client.agent()` | [`agent`] | `client.agent` |
//! | `client.jsapi()` | [`jsapi`] | `client.jsapi` |
//!
//! Every call is also available as a plain [`Endpoint`](crate::api::Endpoint) struct
//! (`user::GetUser`, `message::SendMessage`, ...) for custom transports.
//!
//! Idempotency follows one rule: reads and writes that set a state (update, delete, add to a
//! tag, mark verified) are `Idempotent` and may be retried after a busy answer or a lost
//! response; anything that creates something or delivers something (create, upload, send) is
//! `NonIdempotent` and is never replayed. A retried delete whose first attempt did reach
//! WeCom fails with "not found" instead of doing harm, which is why deletes count as
//! idempotent.

pub mod agent;
pub mod department;
pub mod jsapi;
pub mod media;
pub mod message;
pub mod tag;
pub mod user;

/// The default API base of WeCom.
pub const API_BASE: &str = crate::api::WORK_API_BASE;

/// Adds one accessor per WeCom API group (`client.user()`, `client.department()`, ...) to a
/// client type implementing [`Caller`](crate::api::Caller).
#[macro_export]
macro_rules! impl_work_api {
    ($client:ty) => {
        impl $client {
            /// Members (wechatpy `client.user`).
            pub fn user(&self) -> $crate::api::work::user::UserApi<'_, Self> {
                $crate::api::work::user::UserApi::new(self)
            }

            /// Departments (wechatpy `client.department`).
            pub fn department(&self) -> $crate::api::work::department::DepartmentApi<'_, Self> {
                $crate::api::work::department::DepartmentApi::new(self)
            }

            /// Member tags (wechatpy `client.tag`).
            pub fn tag(&self) -> $crate::api::work::tag::TagApi<'_, Self> {
                $crate::api::work::tag::TagApi::new(self)
            }

            /// Application messages (wechatpy `client.message`).
            pub fn message(&self) -> $crate::api::work::message::MessageApi<'_, Self> {
                $crate::api::work::message::MessageApi::new(self)
            }

            /// Temporary media (wechatpy `client.media`).
            pub fn media(&self) -> $crate::api::work::media::MediaApi<'_, Self> {
                $crate::api::work::media::MediaApi::new(self)
            }

            /// Application settings (wechatpy `client.agent`).
            pub fn agent(&self) -> $crate::api::work::agent::AgentApi<'_, Self> {
                $crate::api::work::agent::AgentApi::new(self)
            }

            /// JS-SDK tickets and signatures (wechatpy `client.jsapi`).
            pub fn jsapi(&self) -> $crate::api::work::jsapi::JsapiApi<'_, Self> {
                $crate::api::work::jsapi::JsapiApi::new(self)
            }
        }
    };
}

/// Serde helpers for WeCom's loosely typed fields (numbers sent as strings and back, lists
/// sent as `"a|b"` strings). None of them panics on any input.
pub(crate) mod de {
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;

    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Str(String),
        U(u64),
        I(i64),
        F(f64),
        B(bool),
    }

    impl Scalar {
        fn into_string(self) -> String {
            match self {
                Scalar::Str(s) => s,
                Scalar::U(u) => u.to_string(),
                Scalar::I(i) => i.to_string(),
                Scalar::F(f) => alloc::format!("{f}"),
                Scalar::B(b) => b.to_string(),
            }
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrStr {
        List(Vec<Option<Scalar>>),
        One(Scalar),
    }

    /// A string that WeCom sometimes sends as a number (`gender`, `created_at`).
    pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(Option::<Scalar>::deserialize(d)?.map(Scalar::into_string))
    }

    /// A number that WeCom sometimes sends as a string (`"created_at": "1380000000"`).
    /// A value that is not a number at all becomes `None` instead of failing the whole
    /// response.
    pub(crate) fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        Ok(match Option::<Scalar>::deserialize(d)? {
            Some(Scalar::U(u)) => Some(u),
            Some(Scalar::Str(s)) => s.trim().parse().ok(),
            _ => None,
        })
    }

    /// A list of ids: a JSON array of strings or numbers, or one `|`-separated string.
    /// `null` and `""` are the empty list.
    pub(crate) fn id_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(match Option::<ListOrStr>::deserialize(d)? {
            None => Vec::new(),
            Some(ListOrStr::List(items)) => items.into_iter().flatten().map(Scalar::into_string).collect(),
            Some(ListOrStr::One(one)) => split_ids(&one.into_string()),
        })
    }

    /// A list of numeric ids in any of [`id_list`]'s shapes.
    pub(crate) fn u64_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
        id_list(d)?
            .into_iter()
            .map(|s| {
                s.trim()
                    .parse()
                    .map_err(|_| serde::de::Error::custom(alloc::format!("invalid id {s:?}")))
            })
            .collect()
    }

    /// Splits WeCom's `"a|b|c"` lists, dropping empty entries.
    pub(crate) fn split_ids(s: &str) -> Vec<String> {
        s.split('|')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(String::from)
            .collect()
    }

    /// Serializes an `Option<bool>` as WeCom's `1`/`0` integer flags (used with
    /// `skip_serializing_if = "Option::is_none"`).
    pub(crate) fn flag<S: Serializer>(v: &Option<bool>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_u8(u8::from(*b)),
            None => s.serialize_none(),
        }
    }
}

/// Test support (see [`crate::api::testing`]).
#[cfg(test)]
pub(crate) mod testing {
    pub(crate) use crate::api::testing::{assert_get, assert_post};
    /// The WeCom mock caller.
    pub(crate) type Mock = crate::api::testing::MockCaller<crate::api::testing::Work>;
}

#[cfg(test)]
mod hostile {
    use alloc::vec::Vec;

    use proptest::prelude::*;

    use super::*;
    use crate::api::Endpoint;
    use crate::http::ApiResponse;

    /// Feeds one response to every WeCom parser; none may panic, whatever the body.
    fn parse_everywhere(resp: &ApiResponse) {
        fn p<E: Endpoint>(e: E, r: &ApiResponse) {
            let _ = e.parse(r.clone());
        }
        p(user::GetUser::default(), resp);
        p(user::CreateUser::default(), resp);
        p(user::ListUsers::default(), resp);
        p(user::ListSimpleUsers::default(), resp);
        p(user::ConvertToOpenid::default(), resp);
        p(user::ConvertToUserid::default(), resp);
        p(user::GetJoinQrcode::default(), resp);
        p(user::GetActiveStat::default(), resp);
        p(user::ListUserIds::default(), resp);
        p(user::GetUserDetail::default(), resp);
        p(department::ListDepartments::default(), resp);
        p(department::ListDepartmentIds::default(), resp);
        p(department::GetDepartment::default(), resp);
        p(department::CreateDepartment::default(), resp);
        p(tag::CreateTag::default(), resp);
        p(tag::GetTagUsers::default(), resp);
        p(tag::AddTagUsers::default(), resp);
        p(tag::ListTags::default(), resp);
        p(message::SendMessage::new(1, message::WorkMessage::text("x")), resp);
        p(message::RecallMessage::default(), resp);
        p(message::UpdateTaskcard::default(), resp);
        p(media::GetMedia::default(), resp);
        p(media::GetJssdkMedia::default(), resp);
        p(agent::GetAgent::default(), resp);
        p(agent::ListAgents::default(), resp);
        p(jsapi::GetJsapiTicket, resp);
        p(jsapi::GetAgentTicket, resp);
    }

    const SAMPLES: &[&str] = &[
        r#"{"errcode":0,"errmsg":"ok","userid":"zhangsan","gender":"1","department":[1,2],"extattr":{"attrs":[{"type":0,"name":"n","text":{"value":"v"}}]},"external_profile":{"external_attr":[]}}"#,
        r#"{"errcode":0,"errmsg":"ok","userlist":[{"userid":"a","department":[1]}],"next_cursor":"c","dept_user":[{"userid":"a","department":1}]}"#,
        r#"{"errcode":0,"errmsg":"ok","invaliduser":"a|b","invalidparty":[2,4],"invalidlist":"u|v","msgid":"m","response_code":"r"}"#,
        r#"{"errcode":0,"errmsg":"ok","department":[{"id":2,"parentid":1,"order":10}],"taglist":[{"tagid":1,"tagname":"a"}]}"#,
        r#"{"errcode":0,"errmsg":"ok","ticket":"T","expires_in":7200,"type":"image","media_id":"M","created_at":"1380000000"}"#,
        r#"{"errcode":"40014","errmsg":"invalid access_token"}"#,
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn random_bodies(body in proptest::collection::vec(any::<u8>(), 0..200), status in 100u16..600, json in any::<bool>()) {
            let mut resp = ApiResponse::new(status, body);
            if json {
                resp.content_type = Some("application/json".into());
            }
            parse_everywhere(&resp);
        }

        #[test]
        fn mutated_real_responses(sample in 0..SAMPLES.len(), edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4)) {
            let mut body: Vec<u8> = SAMPLES[sample].as_bytes().to_vec();
            for (pos, byte) in edits {
                let at = pos % body.len();
                body[at] = byte;
            }
            parse_everywhere(&ApiResponse::json(body));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::de;
    use alloc::string::String;
    use alloc::vec::Vec;
    use serde::Deserialize;

    #[derive(Deserialize, Default, Debug)]
    #[serde(default)]
    struct Loose {
        #[serde(deserialize_with = "de::opt_string")]
        s: Option<String>,
        #[serde(deserialize_with = "de::opt_u64")]
        n: Option<u64>,
        #[serde(deserialize_with = "de::id_list")]
        ids: Vec<String>,
        #[serde(deserialize_with = "de::u64_list")]
        nums: Vec<u64>,
    }

    fn loose(json: &str) -> Result<Loose, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn loose_fields_accept_every_shape_wecom_sends() {
        let l = loose(r#"{"s":1,"n":"1380000000","ids":"a|b||c","nums":[2,"4"]}"#).unwrap();
        assert_eq!(l.s.as_deref(), Some("1"));
        assert_eq!(l.n, Some(1_380_000_000));
        assert_eq!(l.ids, ["a", "b", "c"]);
        assert_eq!(l.nums, [2, 4]);
        let l = loose(r#"{"s":"2","n":17,"ids":["x",3,null],"nums":"5|6"}"#).unwrap();
        assert_eq!(l.s.as_deref(), Some("2"));
        assert_eq!(l.n, Some(17));
        assert_eq!(l.ids, ["x", "3"]);
        assert_eq!(l.nums, [5, 6]);
        let l = loose(r#"{"s":null,"n":"soon","ids":null,"nums":""}"#).unwrap();
        assert_eq!((l.s, l.n), (None, None));
        assert!(l.ids.is_empty() && l.nums.is_empty());
        assert!(loose(r#"{"nums":["x"]}"#).is_err());
        assert!(loose(r#"{"ids":{"a":1}}"#).is_err());
    }
}
