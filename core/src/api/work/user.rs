//! Members (wechatpy `client.user`): create, read, update and delete members, list them by
//! department or by cursor, convert ids.
//!
//! Docs: <https://developer.work.weixin.qq.com/document/path/90195> and the pages next to it.
//! Since 2022 most contact reads need the contacts-sync secret or an app whose visibility
//! covers the members; new apps no longer receive avatar, gender, mobile, email and address
//! (use OAuth and [`GetUserDetail`] for those).

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize, Serializer};

use super::de;
use crate::api::json::parse_json;
use crate::api::{ApiOk, Caller, Endpoint};
use crate::endpoint;
use crate::error::Error;
use crate::http::{ApiRequest, ApiResponse, Idempotency};

/// A member's gender as WeCom's requests spell it (`"0"`, `"1"`, `"2"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    /// `"0"`: not set.
    Undefined,
    /// `"1"`.
    Male,
    /// `"2"`.
    Female,
}

impl Serialize for Gender {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match self {
            Gender::Undefined => "0",
            Gender::Male => "1",
            Gender::Female => "2",
        })
    }
}

/// The text value of a custom attribute.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ExtText {
    /// The text.
    pub value: String,
}

/// The web-link value of a custom attribute.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ExtWeb {
    /// The link.
    pub url: String,
    /// The link's title.
    pub title: String,
}

/// The mini-program value of an external attribute.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ExtMiniprogram {
    /// The mini program's appid (must be bound to the corp).
    pub appid: String,
    /// The page.
    pub pagepath: String,
    /// The title.
    pub title: String,
}

/// One custom attribute (`extattr.attrs[]`) or external attribute
/// (`external_profile.external_attr[]`): `type` 0 = text, 1 = web, 2 = mini program.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ExtAttrItem {
    /// 0 text, 1 web, 2 mini program.
    pub r#type: i64,
    /// The attribute's name (as configured in the admin console).
    pub name: String,
    /// The text value (`type` 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<ExtText>,
    /// The link value (`type` 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web: Option<ExtWeb>,
    /// The mini-program value (`type` 2, external attributes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub miniprogram: Option<ExtMiniprogram>,
}

impl ExtAttrItem {
    /// A text attribute.
    pub fn text(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            r#type: 0,
            name: name.into(),
            text: Some(ExtText { value: value.into() }),
            ..Self::default()
        }
    }

    /// A web-link attribute.
    pub fn web(name: impl Into<String>, url: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            r#type: 1,
            name: name.into(),
            web: Some(ExtWeb {
                url: url.into(),
                title: title.into(),
            }),
            ..Self::default()
        }
    }

    /// A mini-program attribute (external profiles only).
    pub fn miniprogram(
        name: impl Into<String>,
        appid: impl Into<String>,
        pagepath: impl Into<String>,
        title: impl Into<String>,
    ) -> Self {
        Self {
            r#type: 2,
            name: name.into(),
            miniprogram: Some(ExtMiniprogram {
                appid: appid.into(),
                pagepath: pagepath.into(),
                title: title.into(),
            }),
            ..Self::default()
        }
    }
}

/// Custom attributes, `extattr`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ExtAttr {
    /// The attributes.
    pub attrs: Vec<ExtAttrItem>,
}

impl ExtAttr {
    /// Attributes from a list.
    pub fn new(attrs: Vec<ExtAttrItem>) -> Self {
        Self { attrs }
    }
}

/// The member's WeChat Channels account shown to external contacts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct WechatChannels {
    /// The Channels nickname.
    pub nickname: String,
    /// 0 unverified, 1 verified (responses only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<i64>,
}

/// What external contacts see, `external_profile`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ExternalProfile {
    /// The corp's short name shown to external contacts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_corp_name: Option<String>,
    /// The Channels account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wechat_channels: Option<WechatChannels>,
    /// External attributes.
    pub external_attr: Vec<ExtAttrItem>,
}

impl ExternalProfile {
    /// A profile with a corp name and attributes.
    pub fn new(external_corp_name: Option<String>, external_attr: Vec<ExtAttrItem>) -> Self {
        Self {
            external_corp_name,
            wechat_channels: None,
            external_attr,
        }
    }

    /// Adds the Channels account by nickname.
    pub fn with_wechat_channels(mut self, nickname: impl Into<String>) -> Self {
        self.wechat_channels = Some(WechatChannels {
            nickname: nickname.into(),
            status: None,
        });
        self
    }
}

/// A member (`user/get`, and each entry of `user/list`). Which fields are present depends on
/// the secret and the app's permissions. Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct WorkUser {
    /// The UserID (`open_userid`-style for third-party apps).
    pub userid: String,
    /// The name (third-party apps get the userid instead).
    pub name: Option<String>,
    /// Department ids the app may see.
    pub department: Vec<u64>,
    /// Sort order in each department (same length as `department`).
    pub order: Vec<u64>,
    /// Job title.
    pub position: Option<String>,
    /// Mobile number.
    pub mobile: Option<String>,
    /// `"0"` undefined, `"1"` male, `"2"` female (WeCom has sent both strings and numbers).
    #[serde(deserialize_with = "de::opt_string")]
    pub gender: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Corporate mailbox.
    pub biz_mail: Option<String>,
    /// 1 where the member leads the department at the same index of `department`.
    pub is_leader_in_dept: Vec<i64>,
    /// Direct leaders' userids.
    pub direct_leader: Vec<String>,
    /// Avatar URL.
    pub avatar: Option<String>,
    /// Avatar thumbnail URL.
    pub thumb_avatar: Option<String>,
    /// Landline.
    pub telephone: Option<String>,
    /// Alias.
    pub alias: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// The corp-wide unique id for third-party apps.
    pub open_userid: Option<String>,
    /// The main department.
    pub main_department: Option<u64>,
    /// Custom attributes.
    pub extattr: Option<ExtAttr>,
    /// 1 active, 2 disabled, 4 not yet activated, 5 left the corp.
    pub status: Option<i64>,
    /// The member's personal QR code URL.
    pub qr_code: Option<String>,
    /// Title shown to external contacts.
    pub external_position: Option<String>,
    /// What external contacts see.
    pub external_profile: Option<ExternalProfile>,
    /// English name (legacy).
    pub english_name: Option<String>,
    /// 1 enabled, 0 disabled (legacy responses).
    pub enable: Option<i64>,
}

endpoint! {
    /// Reads a member, `GET /cgi-bin/user/get` (wechatpy `user.get`).
    GetUser: GET "/cgi-bin/user/get" => WorkUser {
        /// The UserID.
        userid: String,
    }
}

endpoint! {
    /// Creates a member, `POST /cgi-bin/user/create` (wechatpy `user.create`). Not retried:
    /// a replay after a lost answer would fail with "userid exists" at best.
    ///
    /// Build it with [`CreateUser::new`] and `..` fields; `extra` carries fields this type
    /// does not know yet (wechatpy's `**kwargs`).
    CreateUser: POST "/cgi-bin/user/create" => ApiOk {
        /// The UserID: 1-64 bytes of `[0-9A-Za-z_-@.]`, unique in the corp.
        userid: String,
        /// The name, 1-64 UTF-8 characters.
        name: String,
        /// Alias.
        #[serde(skip_serializing_if = "Option::is_none")]
        alias: Option<String>,
        /// Mobile number; `mobile` or `email` is required.
        #[serde(skip_serializing_if = "Option::is_none")]
        mobile: Option<String>,
        /// Department ids (at most 100).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        department: Vec<u64>,
        /// Sort order per department (same length as `department`).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        order: Vec<u64>,
        /// Job title.
        #[serde(skip_serializing_if = "Option::is_none")]
        position: Option<String>,
        /// Gender.
        #[serde(skip_serializing_if = "Option::is_none")]
        gender: Option<Gender>,
        /// Email.
        #[serde(skip_serializing_if = "Option::is_none")]
        email: Option<String>,
        /// Corporate mailbox.
        #[serde(skip_serializing_if = "Option::is_none")]
        biz_mail: Option<String>,
        /// 1 where the member leads the department at the same index.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        is_leader_in_dept: Vec<u8>,
        /// Direct leaders' userids.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        direct_leader: Vec<String>,
        /// Enabled (sent as 1/0).
        #[serde(skip_serializing_if = "Option::is_none", serialize_with = "de::flag")]
        enable: Option<bool>,
        /// Avatar, a media id from `media/upload`.
        #[serde(skip_serializing_if = "Option::is_none")]
        avatar_mediaid: Option<String>,
        /// Landline.
        #[serde(skip_serializing_if = "Option::is_none")]
        telephone: Option<String>,
        /// Address.
        #[serde(skip_serializing_if = "Option::is_none")]
        address: Option<String>,
        /// The main department.
        #[serde(skip_serializing_if = "Option::is_none")]
        main_department: Option<u64>,
        /// Custom attributes.
        #[serde(skip_serializing_if = "Option::is_none")]
        extattr: Option<ExtAttr>,
        /// Send an invitation (WeCom's default is true).
        #[serde(skip_serializing_if = "Option::is_none")]
        to_invite: Option<bool>,
        /// Title shown to external contacts.
        #[serde(skip_serializing_if = "Option::is_none")]
        external_position: Option<String>,
        /// What external contacts see.
        #[serde(skip_serializing_if = "Option::is_none")]
        external_profile: Option<ExternalProfile>,
        /// Further fields, sent as they are.
        #[serde(flatten)]
        extra: serde_json::Map<String, serde_json::Value>,
    }
}

impl CreateUser {
    /// A member with a userid, a name and departments; set other fields with `..`.
    pub fn new(userid: impl Into<String>, name: impl Into<String>, department: &[u64]) -> Self {
        Self {
            userid: userid.into(),
            name: name.into(),
            department: department.to_vec(),
            ..Self::default()
        }
    }
}

endpoint! {
    /// Updates a member, `POST /cgi-bin/user/update` (wechatpy `user.update`). Only the
    /// fields that are set are sent; it sets a state, so it may be retried.
    UpdateUser: POST "/cgi-bin/user/update" [Idempotent] => ApiOk {
        /// The member to update.
        userid: String,
        /// A new UserID (allowed once per member).
        #[serde(skip_serializing_if = "Option::is_none")]
        new_userid: Option<String>,
        /// The name.
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Alias.
        #[serde(skip_serializing_if = "Option::is_none")]
        alias: Option<String>,
        /// Mobile number.
        #[serde(skip_serializing_if = "Option::is_none")]
        mobile: Option<String>,
        /// Department ids (replaces the list when non-empty).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        department: Vec<u64>,
        /// Sort order per department.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        order: Vec<u64>,
        /// Job title.
        #[serde(skip_serializing_if = "Option::is_none")]
        position: Option<String>,
        /// Gender.
        #[serde(skip_serializing_if = "Option::is_none")]
        gender: Option<Gender>,
        /// Email.
        #[serde(skip_serializing_if = "Option::is_none")]
        email: Option<String>,
        /// Corporate mailbox.
        #[serde(skip_serializing_if = "Option::is_none")]
        biz_mail: Option<String>,
        /// 1 where the member leads the department at the same index.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        is_leader_in_dept: Vec<u8>,
        /// Direct leaders' userids.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        direct_leader: Vec<String>,
        /// Enabled (sent as 1/0).
        #[serde(skip_serializing_if = "Option::is_none", serialize_with = "de::flag")]
        enable: Option<bool>,
        /// Avatar, a media id.
        #[serde(skip_serializing_if = "Option::is_none")]
        avatar_mediaid: Option<String>,
        /// Landline.
        #[serde(skip_serializing_if = "Option::is_none")]
        telephone: Option<String>,
        /// Address.
        #[serde(skip_serializing_if = "Option::is_none")]
        address: Option<String>,
        /// The main department.
        #[serde(skip_serializing_if = "Option::is_none")]
        main_department: Option<u64>,
        /// Custom attributes.
        #[serde(skip_serializing_if = "Option::is_none")]
        extattr: Option<ExtAttr>,
        /// Title shown to external contacts.
        #[serde(skip_serializing_if = "Option::is_none")]
        external_position: Option<String>,
        /// What external contacts see.
        #[serde(skip_serializing_if = "Option::is_none")]
        external_profile: Option<ExternalProfile>,
        /// Further fields, sent as they are.
        #[serde(flatten)]
        extra: serde_json::Map<String, serde_json::Value>,
    }
}

impl UpdateUser {
    /// An update of `userid` that changes nothing yet; set fields with `..`.
    pub fn new(userid: impl Into<String>) -> Self {
        Self {
            userid: userid.into(),
            ..Self::default()
        }
    }
}

endpoint! {
    /// Deletes a member, `GET /cgi-bin/user/delete` (wechatpy `user.delete`).
    DeleteUser: GET "/cgi-bin/user/delete" => ApiOk {
        /// The UserID.
        userid: String,
    }
}

endpoint! {
    /// Deletes up to 200 members, `POST /cgi-bin/user/batchdelete` (wechatpy
    /// `user.batch_delete`). Sets a state, so it may be retried.
    BatchDeleteUsers: POST "/cgi-bin/user/batchdelete" [Idempotent] => ApiOk {
        /// The UserIDs.
        useridlist: Vec<String>,
    }
}

/// A member as `user/simplelist` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SimpleUser {
    /// The UserID.
    pub userid: String,
    /// The name.
    pub name: Option<String>,
    /// Department ids.
    pub department: Vec<u64>,
    /// The third-party id.
    pub open_userid: Option<String>,
}

#[derive(Deserialize)]
struct UserListWire<T> {
    #[serde(default = "Vec::new")]
    userlist: Vec<T>,
}

fn department_users_request(path: &'static str, department_id: u64, fetch_child: Option<bool>) -> ApiRequest {
    ApiRequest::get(path)
        .query("department_id", alloc::format!("{department_id}"))
        .query_opt("fetch_child", fetch_child.map(|f| if f { "1" } else { "0" }))
}

/// Lists a department's members with details, `GET /cgi-bin/user/list` (wechatpy
/// `user.list(simple=False)`, `department.get_users(simple=False)`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListUsers {
    /// The department.
    pub department_id: u64,
    /// Include sub-departments (sent as 1/0; WeCom has deprecated it for new apps).
    pub fetch_child: Option<bool>,
}

impl Endpoint for ListUsers {
    type Output = Vec<WorkUser>;

    fn request(&self) -> Result<ApiRequest, Error> {
        Ok(department_users_request(
            "/cgi-bin/user/list",
            self.department_id,
            self.fetch_child,
        ))
    }

    fn parse(&self, response: ApiResponse) -> Result<Vec<WorkUser>, Error> {
        Ok(parse_json::<UserListWire<WorkUser>>(&response)?.userlist)
    }
}

/// Lists a department's members (userid, name, departments), `GET /cgi-bin/user/simplelist`
/// (wechatpy `user.list(simple=True)`, `department.get_users()`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListSimpleUsers {
    /// The department.
    pub department_id: u64,
    /// Include sub-departments (sent as 1/0).
    pub fetch_child: Option<bool>,
}

impl Endpoint for ListSimpleUsers {
    type Output = Vec<SimpleUser>;

    fn request(&self) -> Result<ApiRequest, Error> {
        Ok(department_users_request(
            "/cgi-bin/user/simplelist",
            self.department_id,
            self.fetch_child,
        ))
    }

    fn parse(&self, response: ApiResponse) -> Result<Vec<SimpleUser>, Error> {
        Ok(parse_json::<UserListWire<SimpleUser>>(&response)?.userlist)
    }
}

/// The result of `user/convert_to_openid`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct OpenidOfUser {
    /// The member's openid (for WeChat Pay).
    pub openid: String,
    /// The appid the openid belongs to (legacy, when an `agentid` was sent).
    pub appid: Option<String>,
}

endpoint! {
    /// Converts a UserID to an openid, `POST /cgi-bin/user/convert_to_openid` (wechatpy
    /// `user.convert_to_openid`). A pure lookup, so it may be retried.
    ConvertToOpenid: POST "/cgi-bin/user/convert_to_openid" [Idempotent] => OpenidOfUser {
        /// The UserID.
        userid: String,
        /// The app that pays red packets (legacy; WeCom now ignores it).
        #[serde(skip_serializing_if = "Option::is_none")]
        agentid: Option<i64>,
    }
}

#[derive(Deserialize)]
struct UseridWire {
    #[serde(default)]
    userid: String,
}

endpoint! {
    /// Converts an openid back to a UserID, `POST /cgi-bin/user/convert_to_userid` (wechatpy
    /// `user.convert_to_user_id`).
    ConvertToUserid: POST "/cgi-bin/user/convert_to_userid" [Idempotent] => String, from UseridWire => userid {
        /// The openid from WeChat Pay.
        openid: String,
    }
}

endpoint! {
    /// Marks a member's second-factor verification as passed, `GET /cgi-bin/user/authsucc`
    /// (wechatpy `user.verify`).
    VerifyUser: GET "/cgi-bin/user/authsucc" => ApiOk {
        /// The UserID.
        userid: String,
    }
}

#[derive(Deserialize)]
struct JoinQrcodeWire {
    #[serde(default)]
    join_qrcode: String,
}

endpoint! {
    /// The corp's join QR code URL, valid 7 days, `GET /cgi-bin/corp/get_join_qrcode`
    /// (wechatpy `user.get_join_qrcode`). Needs the contacts-sync secret.
    GetJoinQrcode: GET "/cgi-bin/corp/get_join_qrcode" => String, from JoinQrcodeWire => join_qrcode {
        /// 1: 171 px, 2: 399 px, 3: 741 px (default), 4: 2052 px.
        size_type: Option<u8>,
    }
}

#[derive(Deserialize)]
struct ActiveStatWire {
    #[serde(default)]
    active_cnt: u64,
}

endpoint! {
    /// How many members were active on a day, `POST /cgi-bin/user/get_active_stat` (wechatpy
    /// `user.get_active_stat`). Needs the contacts-sync secret.
    GetActiveStat: POST "/cgi-bin/user/get_active_stat" [Idempotent] => u64, from ActiveStatWire => active_cnt {
        /// `YYYY-MM-DD`, at most 30 days back.
        date: String,
    }
}

endpoint! {
    /// Finds a member's UserID by mobile number, `POST /cgi-bin/user/getuserid` (wechatpy
    /// `user.getuserid`). Many wrong numbers lock the call for a day.
    GetUseridByMobile: POST "/cgi-bin/user/getuserid" [Idempotent] => String, from UseridWire => userid {
        /// The mobile number as stored in the contacts.
        mobile: String,
    }
}

/// One member-department pair of `user/list_id` (a member in two departments appears twice).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct DeptUser {
    /// The UserID.
    pub userid: String,
    /// The third-party id, for third-party apps.
    pub open_userid: Option<String>,
    /// The department.
    pub department: u64,
}

/// One page of `user/list_id`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UserIdPage {
    /// The cursor of the next page; empty or absent on the last page.
    pub next_cursor: Option<String>,
    /// Member-department pairs.
    pub dept_user: Vec<DeptUser>,
}

impl UserIdPage {
    /// The request for the next page with the same `limit`, or `None` after the last page
    /// (no cursor, an empty cursor, or an empty page, so a misbehaving server cannot keep a
    /// loop going with empty pages):
    ///
    /// ```ignore
    /// let mut next = Some(ListUserIds::default());
    /// while let Some(req) = next {
    ///     let page = client.call(req.clone())?;
    ///     // ... page.dept_user ...
    ///     next = page.next_page(&req);
    /// }
    /// ```
    pub fn next_page(&self, previous: &ListUserIds) -> Option<ListUserIds> {
        match &self.next_cursor {
            Some(cursor) if !cursor.is_empty() && !self.dept_user.is_empty() => Some(ListUserIds {
                cursor: Some(cursor.clone()),
                limit: previous.limit,
            }),
            _ => None,
        }
    }
}

endpoint! {
    /// One page of every member's UserID and departments, `POST /cgi-bin/user/list_id`
    /// (wechatpy `user.list_id`). Needs the contacts-sync secret. Page with
    /// [`UserIdPage::next_page`].
    ListUserIds: POST "/cgi-bin/user/list_id" [Idempotent] => UserIdPage {
        /// The cursor from the previous page; absent for the first page.
        #[serde(skip_serializing_if = "Option::is_none")]
        cursor: Option<String>,
        /// Page size, 1-10000.
        #[serde(skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    }
}

/// A member's sensitive fields, released by their OAuth consent (`auth/getuserdetail`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UserDetail {
    /// The UserID.
    pub userid: String,
    /// `"0"` undefined, `"1"` male, `"2"` female.
    #[serde(deserialize_with = "de::opt_string")]
    pub gender: Option<String>,
    /// Avatar URL.
    pub avatar: Option<String>,
    /// Personal QR code URL.
    pub qr_code: Option<String>,
    /// Mobile number.
    pub mobile: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Corporate mailbox.
    pub biz_mail: Option<String>,
    /// Address.
    pub address: Option<String>,
}

/// Reads the sensitive fields a member released through OAuth (`snsapi_privateinfo`),
/// `POST /cgi-bin/auth/getuserdetail`. Not in wechatpy; the `user_ticket` comes from
/// `user/getuserinfo` (the `oauth` group). Docs:
/// <https://developer.work.weixin.qq.com/document/path/96443>.
///
/// The ticket grants access to personal data for its lifetime, so `Debug` does not print it.
#[derive(Clone, PartialEq, Eq, Default, Serialize)]
pub struct GetUserDetail {
    /// The `user_ticket` from OAuth.
    pub user_ticket: String,
}

impl fmt::Debug for GetUserDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetUserDetail")
            .field("user_ticket", &"[redacted]")
            .finish()
    }
}

impl Endpoint for GetUserDetail {
    type Output = UserDetail;

    fn request(&self) -> Result<ApiRequest, Error> {
        ApiRequest::post(Cow::Borrowed("/cgi-bin/auth/getuserdetail"))
            .idempotency(Idempotency::Idempotent)
            .json_of(self)
    }

    fn parse(&self, response: ApiResponse) -> Result<UserDetail, Error> {
        parse_json(&response)
    }
}

crate::facade!(
    /// `client.user()`: wechatpy's `client.user` group (WeCom members).
    UserApi
);

impl<'c, C: Caller + ?Sized> UserApi<'c, C> {
    /// Creates a member in departments (wechatpy `user.create`). Use
    /// [`create_with`](Self::create_with) for the other fields.
    pub fn create(&self, userid: &str, name: &str, department: &[u64]) -> C::Ret<'c, ApiOk> {
        self.0.call(CreateUser::new(userid, name, department))
    }

    /// Creates a member with every field [`CreateUser`] has.
    pub fn create_with(&self, user: CreateUser) -> C::Ret<'c, ApiOk> {
        self.0.call(user)
    }

    /// Reads a member (wechatpy `user.get`).
    pub fn get(&self, userid: &str) -> C::Ret<'c, WorkUser> {
        self.0.call(GetUser { userid: userid.into() })
    }

    /// Updates the fields set in `update` (wechatpy `user.update`):
    /// `client.user().update(UpdateUser { position: Some("CTO".into()), ..UpdateUser::new("zhangsan") })`.
    pub fn update(&self, update: UpdateUser) -> C::Ret<'c, ApiOk> {
        self.0.call(update)
    }

    /// Deletes a member (wechatpy `user.delete`).
    pub fn delete(&self, userid: &str) -> C::Ret<'c, ApiOk> {
        self.0.call(DeleteUser { userid: userid.into() })
    }

    /// Deletes members (wechatpy `user.batch_delete`).
    pub fn batch_delete(&self, userids: &[&str]) -> C::Ret<'c, ApiOk> {
        self.0.call(BatchDeleteUsers {
            useridlist: userids.iter().map(|s| String::from(*s)).collect(),
        })
    }

    /// A department's members with details (wechatpy `user.list(simple=False)`).
    pub fn list(&self, department_id: u64, fetch_child: bool) -> C::Ret<'c, Vec<WorkUser>> {
        self.0.call(ListUsers {
            department_id,
            fetch_child: Some(fetch_child),
        })
    }

    /// A department's members, ids and names only (wechatpy `user.list(simple=True)`).
    pub fn simple_list(&self, department_id: u64, fetch_child: bool) -> C::Ret<'c, Vec<SimpleUser>> {
        self.0.call(ListSimpleUsers {
            department_id,
            fetch_child: Some(fetch_child),
        })
    }

    /// The openid of a member (wechatpy `user.convert_to_openid`).
    pub fn convert_to_openid(&self, userid: &str) -> C::Ret<'c, OpenidOfUser> {
        self.0.call(ConvertToOpenid {
            userid: userid.into(),
            agentid: None,
        })
    }

    /// The UserID of an openid (wechatpy `user.convert_to_user_id`).
    pub fn convert_to_user_id(&self, openid: &str) -> C::Ret<'c, String> {
        self.0.call(ConvertToUserid { openid: openid.into() })
    }

    /// Marks second-factor verification as passed (wechatpy `user.verify`).
    pub fn verify(&self, userid: &str) -> C::Ret<'c, ApiOk> {
        self.0.call(VerifyUser { userid: userid.into() })
    }

    /// The join QR code URL (wechatpy `user.get_join_qrcode`); `size_type` 1-4.
    pub fn get_join_qrcode(&self, size_type: Option<u8>) -> C::Ret<'c, String> {
        self.0.call(GetJoinQrcode { size_type })
    }

    /// Active members on `date` (`YYYY-MM-DD`) (wechatpy `user.get_active_stat`).
    pub fn get_active_stat(&self, date: &str) -> C::Ret<'c, u64> {
        self.0.call(GetActiveStat { date: date.into() })
    }

    /// The UserID of a mobile number (wechatpy `user.getuserid`).
    pub fn getuserid(&self, mobile: &str) -> C::Ret<'c, String> {
        self.0.call(GetUseridByMobile { mobile: mobile.into() })
    }

    /// One page of UserIDs (wechatpy `user.list_id`); pass the previous page's
    /// `next_cursor`, or use [`UserIdPage::next_page`].
    pub fn list_id(&self, cursor: Option<&str>, limit: Option<u32>) -> C::Ret<'c, UserIdPage> {
        self.0.call(ListUserIds {
            cursor: cursor.map(String::from),
            limit,
        })
    }

    /// The sensitive fields released through OAuth (`auth/getuserdetail`; not in wechatpy).
    pub fn get_detail(&self, user_ticket: &str) -> C::Ret<'c, UserDetail> {
        self.0.call(GetUserDetail {
            user_ticket: user_ticket.into(),
        })
    }
}

/// This group's endpoints, one list per declaration file, for the [registry](crate::api::registry).
pub(crate) const REGISTRY: &[&[crate::api::registry::Info]] = &[];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::work::testing::{Mock, assert_get, assert_post};
    use crate::http::Idempotency::{Idempotent, NonIdempotent};

    const USER: &str = r#"{
        "errcode": 0, "errmsg": "ok",
        "userid": "zhangsan", "name": "张三", "department": [1, 2], "order": [1, 2],
        "position": "后台工程师", "mobile": "13800000000", "gender": "1",
        "email": "zhangsan@gzdev.com", "biz_mail": "zhangsan@qyycs2.wecom.work",
        "is_leader_in_dept": [1, 0], "direct_leader": ["lisi"],
        "avatar": "http://wx.qlogo.cn/mmopen/a/0", "thumb_avatar": "http://wx.qlogo.cn/mmopen/a/100",
        "telephone": "020-123456", "alias": "jackzhang", "address": "广州市海珠区新港中路",
        "open_userid": "xxxxxx", "main_department": 1,
        "extattr": {"attrs": [
            {"type": 0, "name": "文本名称", "text": {"value": "文本"}},
            {"type": 1, "name": "网页名称", "web": {"url": "http://www.test.com", "title": "标题"}}
        ]},
        "status": 1, "qr_code": "https://open.work.weixin.qq.com/wwopen/userQRCode?vcode=xxx",
        "external_position": "产品经理",
        "external_profile": {
            "external_corp_name": "企业简称",
            "wechat_channels": {"nickname": "视频号名称", "status": 1},
            "external_attr": [
                {"type": 2, "name": "测试app", "miniprogram": {"appid": "wx8bd80126147dfAAA", "pagepath": "/index", "title": "my miniprogram"}}
            ]
        },
        "a_future_field": {"x": 1}
    }"#;

    #[test]
    fn get_builds_and_parses_a_full_member() {
        let mock = Mock::new(&[USER]);
        let user = mock.user().get("zhangsan").unwrap();
        assert_get(&mock.last(), "/cgi-bin/user/get", &["userid=zhangsan"], Idempotent);
        assert_eq!(user.name.as_deref(), Some("张三"));
        assert_eq!(user.department, [1, 2]);
        assert_eq!(user.gender.as_deref(), Some("1"));
        assert_eq!(user.is_leader_in_dept, [1, 0]);
        assert_eq!(user.direct_leader, ["lisi"]);
        assert_eq!(user.main_department, Some(1));
        let attrs = &user.extattr.as_ref().unwrap().attrs;
        assert_eq!(attrs[0], ExtAttrItem::text("文本名称", "文本"));
        assert_eq!(attrs[1], ExtAttrItem::web("网页名称", "http://www.test.com", "标题"));
        let profile = user.external_profile.as_ref().unwrap();
        assert_eq!(profile.wechat_channels.as_ref().unwrap().status, Some(1));
        assert_eq!(
            profile.external_attr[0],
            ExtAttrItem::miniprogram("测试app", "wx8bd80126147dfAAA", "/index", "my miniprogram")
        );
        // numeric gender from older responses
        let old: WorkUser = parse_json(&ApiResponse::json(&br#"{"userid":"a","gender":2,"enable":1}"#[..])).unwrap();
        assert_eq!((old.gender.as_deref(), old.enable), (Some("2"), Some(1)));
    }

    #[test]
    fn create_sends_only_what_is_set() {
        let ok_created = r#"{"errcode":0,"errmsg":"created"}"#;
        let mock = Mock::new(&[ok_created, ok_created]);
        let ok = mock.user().create("zhangsan", "张三", &[1]).unwrap();
        assert_eq!(ok.errmsg.as_deref(), Some("created"));
        assert_post(
            &mock.last(),
            "/cgi-bin/user/create",
            r#"{"userid":"zhangsan","name":"张三","department":[1]}"#,
            NonIdempotent,
        );

        let mut extra = serde_json::Map::new();
        extra.insert("nickname".into(), serde_json::Value::from("zs"));
        let full = CreateUser {
            mobile: Some("+86 13800000000".into()),
            gender: Some(Gender::Male),
            is_leader_in_dept: alloc::vec![1],
            enable: Some(true),
            to_invite: Some(false),
            extattr: Some(ExtAttr::new(alloc::vec![ExtAttrItem::text("爱好", "旅游")])),
            external_profile: Some(
                ExternalProfile::new(Some("简称".into()), alloc::vec![]).with_wechat_channels("频道"),
            ),
            extra,
            ..CreateUser::new("zhangsan", "张三", &[1])
        };
        mock.user().create_with(full).unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/user/create",
            concat!(
                r#"{"userid":"zhangsan","name":"张三","mobile":"+86 13800000000","department":[1],"#,
                r#""gender":"1","is_leader_in_dept":[1],"enable":1,"#,
                r#""extattr":{"attrs":[{"type":0,"name":"爱好","text":{"value":"旅游"}}]},"#,
                r#""to_invite":false,"#,
                r#""external_profile":{"external_corp_name":"简称","wechat_channels":{"nickname":"频道"},"external_attr":[]},"#,
                r#""nickname":"zs"}"#
            ),
            NonIdempotent,
        );
    }

    #[test]
    fn update_delete_and_batch_delete() {
        let ok = r#"{"errcode":0,"errmsg":"updated"}"#;
        let mock = Mock::new(&[ok, ok, ok]);
        mock.user()
            .update(UpdateUser {
                position: Some("CTO".into()),
                enable: Some(false),
                ..UpdateUser::new("zhangsan")
            })
            .unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/user/update",
            r#"{"userid":"zhangsan","position":"CTO","enable":0}"#,
            Idempotent,
        );
        mock.user().delete("zhangsan").unwrap();
        assert_get(&mock.last(), "/cgi-bin/user/delete", &["userid=zhangsan"], Idempotent);
        mock.user().batch_delete(&["a", "b"]).unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/user/batchdelete",
            r#"{"useridlist":["a","b"]}"#,
            Idempotent,
        );
    }

    #[test]
    fn department_lists() {
        let mock = Mock::new(&[
            r#"{"errcode":0,"errmsg":"ok","userlist":[{"userid":"zhangsan","name":"张三","department":[1,2],"open_userid":"xxx"}]}"#,
            r#"{"errcode":0,"errmsg":"ok","userlist":[{"userid":"zhangsan","name":"李四","department":[1],"status":1,"english_name":"jacky"}]}"#,
        ]);
        let simple = mock.user().simple_list(1, false).unwrap();
        assert_get(
            &mock.last(),
            "/cgi-bin/user/simplelist",
            &["department_id=1", "fetch_child=0"],
            Idempotent,
        );
        assert_eq!(simple[0].open_userid.as_deref(), Some("xxx"));
        let full = mock.user().list(1, true).unwrap();
        assert_get(
            &mock.last(),
            "/cgi-bin/user/list",
            &["department_id=1", "fetch_child=1"],
            Idempotent,
        );
        assert_eq!(full[0].english_name.as_deref(), Some("jacky"));
        // fetch_child left out entirely
        let req = ListUsers {
            department_id: 7,
            fetch_child: None,
        }
        .request()
        .unwrap();
        assert_get(&req, "/cgi-bin/user/list", &["department_id=7"], Idempotent);
        // a missing list is an empty list, an error is an error
        assert!(
            ListSimpleUsers::default()
                .parse(ApiResponse::json(&br#"{"errcode":0}"#[..]))
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            ListUsers::default().parse(ApiResponse::json(&br#"{"errcode":60011,"errmsg":"no privilege"}"#[..])),
            Err(Error::Api(e)) if e.code == 60011
        ));
    }

    #[test]
    fn id_conversions() {
        let mock = Mock::new(&[
            r#"{"errcode":0,"errmsg":"ok","openid":"oDjGHs-1yCnGrRovBj2yHij5JAAA"}"#,
            r#"{"errcode":0,"errmsg":"ok","userid":"zhangsan"}"#,
            r#"{"errcode":0,"errmsg":"ok","userid":"lisi"}"#,
        ]);
        let openid = mock.user().convert_to_openid("zhangsan").unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/user/convert_to_openid",
            r#"{"userid":"zhangsan"}"#,
            Idempotent,
        );
        assert_eq!(openid.openid, "oDjGHs-1yCnGrRovBj2yHij5JAAA");
        assert_eq!(openid.appid, None);
        let userid = mock.user().convert_to_user_id("oDjGHs-1yCnGrRovBj2yHij5JAAA").unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/user/convert_to_userid",
            r#"{"openid":"oDjGHs-1yCnGrRovBj2yHij5JAAA"}"#,
            Idempotent,
        );
        assert_eq!(userid, "zhangsan");
        assert_eq!(mock.user().getuserid("13430388888").unwrap(), "lisi");
        assert_post(
            &mock.last(),
            "/cgi-bin/user/getuserid",
            r#"{"mobile":"13430388888"}"#,
            Idempotent,
        );
        let legacy = ConvertToOpenid {
            userid: "a".into(),
            agentid: Some(1000002),
        };
        assert_eq!(
            legacy.request().unwrap().body.unwrap().bytes,
            br#"{"userid":"a","agentid":1000002}"#
        );
    }

    #[test]
    fn verify_qrcode_and_active_stat() {
        let mock = Mock::new(&[
            r#"{"errcode":0,"errmsg":"ok"}"#,
            r#"{"errcode":0,"errmsg":"ok","join_qrcode":"https://work.weixin.qq.com/wework_admin/genqrcode?action=join&vcode=3db1fab03118ae2aa1544cb9abe84&r=hb_share_api_mjoin&qr_size=3","size_type":3}"#,
            r#"{"errcode":0,"errmsg":"ok","active_cnt":100}"#,
        ]);
        mock.user().verify("zhangsan").unwrap();
        assert_get(&mock.last(), "/cgi-bin/user/authsucc", &["userid=zhangsan"], Idempotent);
        let url = mock.user().get_join_qrcode(Some(3)).unwrap();
        assert_get(
            &mock.last(),
            "/cgi-bin/corp/get_join_qrcode",
            &["size_type=3"],
            Idempotent,
        );
        assert!(url.starts_with("https://work.weixin.qq.com/wework_admin/genqrcode"));
        assert_eq!(mock.user().get_active_stat("2020-03-27").unwrap(), 100);
        assert_post(
            &mock.last(),
            "/cgi-bin/user/get_active_stat",
            r#"{"date":"2020-03-27"}"#,
            Idempotent,
        );
        let bare = GetJoinQrcode { size_type: None }.request().unwrap();
        assert_get(&bare, "/cgi-bin/corp/get_join_qrcode", &[], Idempotent);
    }

    #[test]
    fn list_id_pages_until_the_cursor_runs_out() {
        let mock = Mock::new(&[
            r#"{"errcode":0,"errmsg":"ok","next_cursor":"aaaaaaaaa","dept_user":[{"userid":"zhangsan","department":1},{"userid":"zhangsan","department":2},{"userid":"lisi","department":2}]}"#,
            r#"{"errcode":0,"errmsg":"ok","next_cursor":"","dept_user":[{"userid":"wangwu","open_userid":"wo","department":3}]}"#,
        ]);
        let first_req = ListUserIds {
            cursor: None,
            limit: Some(10000),
        };
        let first = mock.user().list_id(None, Some(10000)).unwrap();
        assert_post(&mock.last(), "/cgi-bin/user/list_id", r#"{"limit":10000}"#, Idempotent);
        assert_eq!(first.dept_user.len(), 3);
        assert_eq!(first.dept_user[1].department, 2);
        let next = first.next_page(&first_req).unwrap();
        assert_eq!(
            next,
            ListUserIds {
                cursor: Some("aaaaaaaaa".into()),
                limit: Some(10000)
            }
        );
        let second = Caller::call(&mock, next.clone()).unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/user/list_id",
            r#"{"cursor":"aaaaaaaaa","limit":10000}"#,
            Idempotent,
        );
        assert_eq!(second.dept_user[0].open_userid.as_deref(), Some("wo"));
        assert_eq!(second.next_page(&next), None);
        // a cursor with an empty page stops too
        let stuck = UserIdPage {
            next_cursor: Some("again".into()),
            dept_user: Vec::new(),
        };
        assert_eq!(stuck.next_page(&next), None);
    }

    #[test]
    fn user_detail_hides_the_ticket() {
        let mock = Mock::new(&[
            r#"{"errcode":0,"errmsg":"ok","userid":"lisi","gender":"1","avatar":"http://shp.qpic.cn/bizmp/xxxxxxxxxxx/0","qr_code":"https://open.work.weixin.qq.com/wwopen/userQRCode?vcode=vcfc13b01dfs78e981c","mobile":"13800000000","email":"zhangsan@gzdev.com","biz_mail":"zhangsan@qyycs2.wecom.work","address":"广州市海珠区新港中路"}"#,
        ]);
        let detail = mock.user().get_detail("USER_TICKET_SECRET").unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/auth/getuserdetail",
            r#"{"user_ticket":"USER_TICKET_SECRET"}"#,
            Idempotent,
        );
        assert_eq!(detail.mobile.as_deref(), Some("13800000000"));
        assert_eq!(detail.gender.as_deref(), Some("1"));
        let shown = alloc::format!(
            "{:?}",
            GetUserDetail {
                user_ticket: "USER_TICKET_SECRET".into()
            }
        );
        assert!(!shown.contains("USER_TICKET_SECRET"), "{shown}");
    }
}
