//! User management (wechatpy `client.user`): profiles, follower lists, remarks, openid
//! migration.

use alloc::string::String;
use alloc::vec::Vec;

use serde::Deserialize;

use crate::api::{ApiOk, Caller};

/// A follower's profile (`cgi-bin/user/info`). Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "dynamic", derive(serde::Serialize))]
#[serde(default)]
#[non_exhaustive]
pub struct UserInfo {
    /// 1 if the user follows the account; 0 means the other fields are absent.
    pub subscribe: i64,
    /// The openid.
    pub openid: String,
    /// Nickname (no longer returned since 2021-12-27).
    pub nickname: Option<String>,
    /// `zh_CN`, `en`, ...
    pub language: Option<String>,
    /// When the user last followed, Unix seconds.
    pub subscribe_time: Option<u64>,
    /// The UnionID, when the account is bound to an open platform account.
    pub unionid: Option<String>,
    /// The remark name set by the account.
    pub remark: Option<String>,
    /// Legacy group id.
    pub groupid: Option<i64>,
    /// Tag ids.
    pub tagid_list: Vec<i64>,
    /// How the user followed (`ADD_SCENE_QR_CODE`, ...).
    pub subscribe_scene: Option<String>,
    /// QR scene id.
    pub qr_scene: Option<i64>,
    /// QR scene string.
    pub qr_scene_str: Option<String>,
    /// Avatar URL (no longer returned since 2021-12-27).
    pub headimgurl: Option<String>,
}

/// One page of followers (`cgi-bin/user/get`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "dynamic", derive(serde::Serialize))]
#[serde(default)]
#[non_exhaustive]
pub struct Followers {
    /// Total number of followers.
    pub total: u64,
    /// Number of openids on this page (at most 10 000).
    pub count: u64,
    /// The openids; absent on the page after the last one.
    pub data: Option<OpenidList>,
    /// The openid to pass as `next_openid` for the next page (WeChat sends it even on the
    /// last page; an absent `data` or an empty value ends the iteration).
    pub next_openid: Option<String>,
}

/// `{"openid": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "dynamic", derive(serde::Serialize))]
#[serde(default)]
#[non_exhaustive]
pub struct OpenidList {
    /// The openids.
    pub openid: Vec<String>,
}

impl Followers {
    /// The request for the next page, or `None` when this was the last one. Drive
    /// `iter_followers`-style loops with it:
    /// `let mut next = Some(GetFollowers::default()); while let Some(req) = next { let page = call(req)?; ...; next = page.next_page(); }`
    pub fn next_page(&self) -> Option<GetFollowers> {
        let ids = self.data.as_ref().map(|d| d.openid.len()).unwrap_or(0);
        match &self.next_openid {
            Some(next) if ids > 0 && !next.is_empty() => Some(GetFollowers {
                next_openid: Some(next.clone()),
            }),
            _ => None,
        }
    }

    /// The openids on this page.
    pub fn openids(&self) -> &[String] {
        self.data.as_ref().map(|d| d.openid.as_slice()).unwrap_or(&[])
    }
}

/// A user's legacy group (`cgi-bin/groups/getid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "dynamic", derive(serde::Serialize))]
#[serde(default)]
#[non_exhaustive]
pub struct UserGroup {
    /// The group id.
    pub groupid: i64,
}

/// One entry of a batch profile request.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[cfg_attr(feature = "dynamic", derive(Deserialize))]
pub struct BatchUser {
    /// The openid.
    pub openid: String,
    /// The language, `zh_CN` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

/// Profiles (`cgi-bin/user/info/batchget`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "dynamic", derive(serde::Serialize))]
#[serde(default)]
#[non_exhaustive]
pub struct UserInfoList {
    /// The profiles, in the order asked.
    pub user_info_list: Vec<UserInfo>,
}

/// One converted openid.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "dynamic", derive(serde::Serialize))]
#[serde(default)]
#[non_exhaustive]
pub struct OpenidChange {
    /// The openid under the old account.
    pub ori_openid: String,
    /// The openid under this account (absent on error).
    pub new_openid: Option<String>,
    /// A per-item error message.
    pub err_msg: Option<String>,
}

/// Converted openids (`cgi-bin/changeopenid`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "dynamic", derive(serde::Serialize))]
#[serde(default)]
#[non_exhaustive]
pub struct OpenidChanges {
    /// One entry per openid asked.
    pub result_list: Vec<OpenidChange>,
}

crate::facade!(
    /// `client.user()`: wechatpy's `client.user` group.
    UserApi
);

crate::endpoints! {
    name: "mp.user", product: Mp, facade: UserApi;

    /// A follower's profile.
    #[wechatpy("user.get")]
    #[doc_url("https://developers.weixin.qq.com/doc/offiaccount/User_Management/Get_users_basic_information_UnionID.html")]
    fn get = GetUser: GET "/cgi-bin/user/info" => UserInfo {
        /// The user's openid.
        openid: String,
        /// `zh_CN` (WeChat's default), `zh_TW` or `en`.
        lang: Option<String>,
    }

    /// One page of followers, from the start or after `next_openid`. Page with
    /// [`Followers::next_page`].
    #[wechatpy("user.get_followers", "user.iter_followers")]
    #[doc_url("https://developers.weixin.qq.com/doc/offiaccount/User_Management/Getting_a_User_List.html")]
    get_followers = GetFollowers: GET "/cgi-bin/user/get" => Followers {
        /// Start after this openid; from the beginning when `None`.
        next_openid: Option<String>,
    }

    /// Sets a follower's remark name.
    #[wechatpy("user.update_remark")]
    #[doc_url("https://developers.weixin.qq.com/doc/offiaccount/User_Management/Configuring_user_notes.html")]
    #[idempotent]
    fn update_remark = UpdateRemark: POST "/cgi-bin/user/info/updateremark" => ApiOk {
        /// The user's openid.
        openid: String,
        /// The remark, under 30 characters.
        remark: String,
    }

    /// A user's legacy group id (deprecated by WeChat with the groups).
    #[wechatpy("user.get_group_id")]
    #[doc_url("https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Grouping_Interfaces.html")]
    #[idempotent]
    get_group_id = GetGroupId: POST "/cgi-bin/groups/getid" => UserGroup {
        /// The user's openid.
        openid: String,
    }

    /// Up to 100 profiles at once.
    #[wechatpy("user.get_batch")]
    #[doc_url("https://developers.weixin.qq.com/doc/offiaccount/User_Management/Get_users_basic_information_UnionID.html#UinonId")]
    #[idempotent]
    get_batch = GetUsers: POST "/cgi-bin/user/info/batchget" => UserInfoList {
        /// The users.
        user_list: Vec<BatchUser>,
    }

    /// Converts openids of an account migrated into this one.
    #[wechatpy("user.change_openid")]
    #[doc_url("https://kf.qq.com/faq/1901177NrqMr190117nqYJze.html")]
    #[idempotent]
    change_openid = ChangeOpenid: POST "/cgi-bin/changeopenid" => OpenidChanges {
        /// The old account's appid.
        from_appid: String,
        /// Up to 100 openids followed under the old account.
        openid_list: Vec<String>,
    }
}

impl<'c, C: Caller + ?Sized> UserApi<'c, C> {
    /// A follower's profile in a language (`zh_CN`, `zh_TW`, `en`).
    pub fn get_with_lang(&self, openid: &str, lang: &str) -> C::Ret<'c, UserInfo> {
        self.0.call(GetUser {
            openid: openid.into(),
            lang: Some(lang.into()),
        })
    }

    /// One page of followers, starting after `next_openid` (wechatpy `user.get_followers`).
    /// Use [`Followers::next_page`] to page through all of them.
    pub fn get_followers(&self, next_openid: Option<&str>) -> C::Ret<'c, Followers> {
        self.0.call(GetFollowers {
            next_openid: next_openid.map(String::from),
        })
    }

    /// The legacy group id (wechatpy `user.get_group_id`).
    pub fn get_group_id(&self, openid: &str) -> C::Ret<'c, i64> {
        self.0.call_then(GetGroupId { openid: openid.into() }, |g| g.groupid)
    }

    /// Up to 100 profiles (wechatpy `user.get_batch`).
    pub fn get_batch(&self, openids: &[&str]) -> C::Ret<'c, Vec<UserInfo>> {
        let user_list = openids
            .iter()
            .map(|o| BatchUser {
                openid: (*o).into(),
                lang: None,
            })
            .collect();
        self.0.call_then(GetUsers { user_list }, |l| l.user_info_list)
    }

    /// Migrates openids from another account (wechatpy `user.change_openid`).
    pub fn change_openid(&self, from_appid: &str, openids: &[&str]) -> C::Ret<'c, Vec<OpenidChange>> {
        let openid_list = openids.iter().map(|s| (*s).into()).collect();
        self.0.call_then(
            ChangeOpenid {
                from_appid: from_appid.into(),
                openid_list,
            },
            |c| c.result_list,
        )
    }
}

/// This group's endpoints, one list per declaration file, for the [registry](crate::api::registry).
pub(crate) const REGISTRY: &[&[crate::api::registry::Info]] = &[ENDPOINTS];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Endpoint;
    use crate::http::{ApiResponse, Idempotency, Method};

    #[test]
    fn batch_get_builds_and_parses() {
        let call = GetUsers {
            user_list: alloc::vec![BatchUser {
                openid: "o1".into(),
                lang: None
            }],
        };
        let req = call.request().unwrap();
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.path, "/cgi-bin/user/info/batchget");
        assert_eq!(req.idempotency, Idempotency::Idempotent);
        assert_eq!(req.body.unwrap().bytes, br#"{"user_list":[{"openid":"o1"}]}"#);
        let users = call
            .parse(ApiResponse::json(
                &br#"{"user_info_list":[{"subscribe":1,"openid":"o1","tagid_list":[2],"new_field":true}]}"#[..],
            ))
            .unwrap();
        assert_eq!(users.user_info_list[0].tagid_list, [2]);
    }

    #[test]
    fn followers_paging() {
        let page: Followers = crate::api::json::parse_json(&ApiResponse::json(
            &br#"{"total":3,"count":2,"data":{"openid":["a","b"]},"next_openid":"b"}"#[..],
        ))
        .unwrap();
        assert_eq!(
            page.next_page(),
            Some(GetFollowers {
                next_openid: Some("b".into())
            })
        );
        let last: Followers =
            crate::api::json::parse_json(&ApiResponse::json(&br#"{"total":3,"count":0,"next_openid":""}"#[..]))
                .unwrap();
        assert_eq!(last.next_page(), None);
    }

    #[test]
    fn group_id_is_extracted() {
        let id = GetGroupId { openid: "o".into() }
            .parse(ApiResponse::json(&br#"{"groupid":102}"#[..]))
            .unwrap();
        assert_eq!(id.groupid, 102);
    }
}
