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
pub const API_BASE: &str = "https://qyapi.weixin.qq.com";

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

/// Test support: a [`Caller`](crate::api::Caller) that records requests and answers from a
/// queue, with the accessors of [`impl_work_api!`] on it.
#[cfg(test)]
pub(crate) mod testing {
    use alloc::collections::VecDeque;
    use alloc::string::String;
    use alloc::vec::Vec;
    use core::cell::RefCell;

    use crate::api::{Caller, Endpoint};
    use crate::error::Error;
    use crate::http::{ApiRequest, ApiResponse, Idempotency, Method};
    use crate::secret::{AccessToken, Ticket};
    use crate::time::UnixTime;
    use crate::token::TicketKind;

    /// A blocking-style caller: `Ret<T> = Result<T, Error>`.
    pub(crate) struct Mock {
        pub(crate) requests: RefCell<Vec<ApiRequest>>,
        responses: RefCell<VecDeque<ApiResponse>>,
        pub(crate) tickets: RefCell<Vec<TicketKind>>,
    }

    impl Mock {
        /// A caller that answers each call with the next of `responses` (JSON bodies).
        pub(crate) fn new(responses: &[&str]) -> Self {
            Self {
                requests: RefCell::new(Vec::new()),
                responses: RefCell::new(
                    responses
                        .iter()
                        .map(|r| ApiResponse::json(r.as_bytes().to_vec()))
                        .collect(),
                ),
                tickets: RefCell::new(Vec::new()),
            }
        }

        /// A caller that answers with raw responses.
        pub(crate) fn with_responses(responses: Vec<ApiResponse>) -> Self {
            Self {
                requests: RefCell::new(Vec::new()),
                responses: RefCell::new(responses.into()),
                tickets: RefCell::new(Vec::new()),
            }
        }

        /// The only request made so far.
        pub(crate) fn last(&self) -> ApiRequest {
            self.requests.borrow().last().cloned().expect("no request was made")
        }
    }

    impl Caller for Mock {
        type Ret<'a, T: Send + 'a>
            = Result<T, Error>
        where
            Self: 'a;

        fn call<'a, E>(&'a self, endpoint: E) -> Result<E::Output, Error>
        where
            E: Endpoint + Send + Sync + 'a,
            E::Output: Send + 'a,
        {
            let req = endpoint.request()?;
            self.requests.borrow_mut().push(req);
            let resp = self.responses.borrow_mut().pop_front().expect("no response queued");
            endpoint.parse(resp)
        }

        fn ticket(&self, kind: TicketKind) -> Result<Ticket, Error> {
            self.tickets.borrow_mut().push(kind);
            Ok(Ticket::new(alloc::format!("ticket-{}", kind.name())))
        }

        fn access_token(&self) -> Result<AccessToken, Error> {
            Ok(AccessToken::new("TOKEN"))
        }

        fn random(&self) -> [u8; 16] {
            [0x5a; 16]
        }

        fn now(&self) -> UnixTime {
            UnixTime::from_secs(1_414_587_457)
        }
    }

    crate::impl_work_api!(Mock);

    /// The request's method, path, query (as `k=v` strings), idempotency and body text.
    pub(crate) fn shape(req: &ApiRequest) -> (Method, String, Vec<String>, Idempotency, String) {
        (
            req.method,
            String::from(req.path.as_ref()),
            req.query.iter().map(|(k, v)| alloc::format!("{k}={v}")).collect(),
            req.idempotency,
            req.body
                .as_ref()
                .map(|b| String::from_utf8_lossy(&b.bytes).into_owned())
                .unwrap_or_default(),
        )
    }

    /// Asserts a GET request's path, query and idempotency.
    #[track_caller]
    pub(crate) fn assert_get(req: &ApiRequest, path: &str, query: &[&str], idem: Idempotency) {
        let (method, p, q, i, body) = shape(req);
        assert_eq!(method, Method::Get);
        assert_eq!(p, path);
        assert_eq!(q, query);
        assert_eq!(i, idem);
        assert!(body.is_empty(), "GET with a body: {body}");
    }

    /// Asserts a POST request's path, exact JSON body and idempotency (no query).
    #[track_caller]
    pub(crate) fn assert_post(req: &ApiRequest, path: &str, json: &str, idem: Idempotency) {
        let (method, p, q, i, body) = shape(req);
        assert_eq!(method, Method::Post);
        assert_eq!(p, path);
        assert!(q.is_empty(), "unexpected query {q:?}");
        assert_eq!(i, idem);
        assert_eq!(body, json);
        assert_eq!(
            req.body.as_ref().map(|b| b.content_type.as_ref()),
            Some(crate::http::JSON)
        );
    }
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
