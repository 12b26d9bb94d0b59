//! Member tags (wechatpy `client.tag`).
//!
//! Docs: <https://developer.work.weixin.qq.com/document/path/90210> and the pages next to it.
//! Arguments are checked like wechatpy checks them (name at most 32 characters, at most 1000
//! users and 100 departments per call, not both empty) before anything is sent.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::de;
use crate::api::json::parse_json;
use crate::api::{ApiOk, Caller, Endpoint};
use crate::endpoint;
use crate::error::{ConfigError, Error};
use crate::http::{ApiRequest, ApiResponse, Idempotency};

/// A tag (`tag/list`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Tag {
    /// The id.
    pub tagid: u64,
    /// The name.
    pub tagname: String,
}

/// A member of a tag (`tag/get`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct TagUser {
    /// The UserID.
    pub userid: String,
    /// The name (not returned to third-party apps).
    pub name: Option<String>,
}

/// A tag's members (`tag/get`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct TagMembers {
    /// The tag's name.
    pub tagname: String,
    /// Members the app may see.
    pub userlist: Vec<TagUser>,
    /// Departments in the tag.
    #[serde(deserialize_with = "de::u64_list")]
    pub partylist: Vec<u64>,
}

/// What `tag/addtagusers` and `tag/deltagusers` could not apply. A call where everything is
/// invalid fails with an API error (40070 / 40031) instead.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct TagUsersResult {
    /// `errmsg`.
    pub errmsg: Option<String>,
    /// Invalid userids, `"usr1|usr2"` as WeCom sends them; see
    /// [`invalid_users`](Self::invalid_users).
    #[serde(deserialize_with = "de::opt_string")]
    pub invalidlist: Option<String>,
    /// Invalid department ids.
    #[serde(deserialize_with = "de::u64_list")]
    pub invalidparty: Vec<u64>,
}

impl TagUsersResult {
    /// The invalid userids as a list.
    pub fn invalid_users(&self) -> Vec<String> {
        self.invalidlist.as_deref().map(de::split_ids).unwrap_or_default()
    }

    /// Whether everything was applied.
    pub fn all_valid(&self) -> bool {
        self.invalid_users().is_empty() && self.invalidparty.is_empty()
    }
}

fn check_name(name: &str) -> Result<(), Error> {
    let chars = name.chars().count();
    if chars == 0 || chars > 32 {
        return Err(ConfigError::InvalidArgument(alloc::format!(
            "a tag name must have 1 to 32 characters, got {chars}"
        ))
        .into());
    }
    Ok(())
}

fn post<T: Serialize>(path: &'static str, idem: Idempotency, body: &T) -> Result<ApiRequest, Error> {
    ApiRequest::post(path).idempotency(idem).json_of(body)
}

/// Creates a tag, `POST /cgi-bin/tag/create` (wechatpy `tag.create`); returns its id. Not
/// retried. The tag belongs to the creating app: only it can change the members.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CreateTag {
    /// The name, 1-32 characters, unique.
    pub tagname: String,
    /// A chosen id; WeCom takes the next free one when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tagid: Option<u64>,
}

#[derive(Deserialize)]
struct CreatedWire {
    #[serde(default)]
    tagid: u64,
}

impl Endpoint for CreateTag {
    type Output = u64;

    fn request(&self) -> Result<ApiRequest, Error> {
        check_name(&self.tagname)?;
        post("/cgi-bin/tag/create", Idempotency::NonIdempotent, self)
    }

    fn parse(&self, response: ApiResponse) -> Result<u64, Error> {
        Ok(parse_json::<CreatedWire>(&response)?.tagid)
    }
}

/// Renames a tag, `POST /cgi-bin/tag/update` (wechatpy `tag.update`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct UpdateTag {
    /// The tag.
    pub tagid: u64,
    /// The new name, 1-32 characters.
    pub tagname: String,
}

impl Endpoint for UpdateTag {
    type Output = ApiOk;

    fn request(&self) -> Result<ApiRequest, Error> {
        check_name(&self.tagname)?;
        post("/cgi-bin/tag/update", Idempotency::Idempotent, self)
    }

    fn parse(&self, response: ApiResponse) -> Result<ApiOk, Error> {
        parse_json(&response)
    }
}

endpoint! {
    /// Deletes a tag, `GET /cgi-bin/tag/delete` (wechatpy `tag.delete`).
    DeleteTag: GET "/cgi-bin/tag/delete" => ApiOk {
        /// The tag.
        tagid: u64,
    }
}

endpoint! {
    /// A tag's members, `GET /cgi-bin/tag/get` (wechatpy `tag.get_users`).
    GetTagUsers: GET "/cgi-bin/tag/get" => TagMembers {
        /// The tag.
        tagid: u64,
    }
}

/// Members to add to or remove from a tag.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TagUsers {
    /// The tag.
    pub tagid: u64,
    /// UserIDs, at most 1000.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub userlist: Vec<String>,
    /// Department ids, at most 100.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partylist: Vec<u64>,
}

impl TagUsers {
    fn check(&self) -> Result<(), Error> {
        let problem = if self.userlist.is_empty() && self.partylist.is_empty() {
            "user_ids and department_ids cannot both be empty"
        } else if self.userlist.len() > 1000 {
            "at most 1000 user_ids per call"
        } else if self.partylist.len() > 100 {
            "at most 100 department_ids per call"
        } else {
            return Ok(());
        };
        Err(ConfigError::InvalidArgument(problem.into()).into())
    }
}

/// Adds members to a tag, `POST /cgi-bin/tag/addtagusers` (wechatpy `tag.add_users`). Adding
/// a member twice changes nothing, so it may be retried.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddTagUsers(pub TagUsers);

impl Endpoint for AddTagUsers {
    type Output = TagUsersResult;

    fn request(&self) -> Result<ApiRequest, Error> {
        self.0.check()?;
        post("/cgi-bin/tag/addtagusers", Idempotency::Idempotent, &self.0)
    }

    fn parse(&self, response: ApiResponse) -> Result<TagUsersResult, Error> {
        parse_json(&response)
    }
}

/// Removes members from a tag, `POST /cgi-bin/tag/deltagusers` (wechatpy
/// `tag.delete_users`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeleteTagUsers(pub TagUsers);

impl Endpoint for DeleteTagUsers {
    type Output = TagUsersResult;

    fn request(&self) -> Result<ApiRequest, Error> {
        self.0.check()?;
        post("/cgi-bin/tag/deltagusers", Idempotency::Idempotent, &self.0)
    }

    fn parse(&self, response: ApiResponse) -> Result<TagUsersResult, Error> {
        parse_json(&response)
    }
}

#[derive(Deserialize)]
struct ListWire {
    #[serde(default)]
    taglist: Vec<Tag>,
}

endpoint! {
    /// Every tag the app may see, `GET /cgi-bin/tag/list` (wechatpy `tag.list`).
    ListTags: GET "/cgi-bin/tag/list" => Vec<Tag>, from ListWire => taglist {}
}

crate::facade!(
    /// `client.tag()`: wechatpy's `client.tag` group (WeCom member tags).
    TagApi
);

fn tag_users(tag_id: u64, user_ids: &[&str], department_ids: &[u64]) -> TagUsers {
    TagUsers {
        tagid: tag_id,
        userlist: user_ids.iter().map(|s| String::from(*s)).collect(),
        partylist: department_ids.to_vec(),
    }
}

impl<'c, C: Caller + ?Sized> TagApi<'c, C> {
    /// Creates a tag (wechatpy `tag.create`); returns its id.
    pub fn create(&self, name: &str, tag_id: Option<u64>) -> C::Ret<'c, u64> {
        self.0.call(CreateTag {
            tagname: name.into(),
            tagid: tag_id,
        })
    }

    /// Renames a tag (wechatpy `tag.update`).
    pub fn update(&self, tag_id: u64, name: &str) -> C::Ret<'c, ApiOk> {
        self.0.call(UpdateTag {
            tagid: tag_id,
            tagname: name.into(),
        })
    }

    /// Deletes a tag (wechatpy `tag.delete`).
    pub fn delete(&self, tag_id: u64) -> C::Ret<'c, ApiOk> {
        self.0.call(DeleteTag { tagid: tag_id })
    }

    /// A tag's members (wechatpy `tag.get_users`).
    pub fn get_users(&self, tag_id: u64) -> C::Ret<'c, TagMembers> {
        self.0.call(GetTagUsers { tagid: tag_id })
    }

    /// Adds members and departments to a tag (wechatpy `tag.add_users`).
    pub fn add_users(&self, tag_id: u64, user_ids: &[&str], department_ids: &[u64]) -> C::Ret<'c, TagUsersResult> {
        self.0.call(AddTagUsers(tag_users(tag_id, user_ids, department_ids)))
    }

    /// Removes members and departments from a tag (wechatpy `tag.delete_users`).
    pub fn delete_users(&self, tag_id: u64, user_ids: &[&str], department_ids: &[u64]) -> C::Ret<'c, TagUsersResult> {
        self.0.call(DeleteTagUsers(tag_users(tag_id, user_ids, department_ids)))
    }

    /// Every tag (wechatpy `tag.list`).
    pub fn list(&self) -> C::Ret<'c, Vec<Tag>> {
        self.0.call(ListTags {})
    }
}

/// This group's endpoints, one list per declaration file, for the [registry](crate::api::registry).
pub(crate) const REGISTRY: &[&[crate::api::registry::Info]] = &[];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::work::testing::{Mock, assert_get, assert_post};
    use crate::http::Idempotency::{Idempotent, NonIdempotent};

    #[test]
    fn create_update_delete() {
        let mock = Mock::new(&[
            r#"{"errcode":0,"errmsg":"created","tagid":12}"#,
            r#"{"errcode":0,"errmsg":"updated"}"#,
            r#"{"errcode":0,"errmsg":"deleted"}"#,
        ]);
        assert_eq!(mock.tag().create("UI", None).unwrap(), 12);
        assert_post(
            &mock.last(),
            "/cgi-bin/tag/create",
            r#"{"tagname":"UI"}"#,
            NonIdempotent,
        );
        mock.tag().update(12, "UI design").unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/tag/update",
            r#"{"tagid":12,"tagname":"UI design"}"#,
            Idempotent,
        );
        mock.tag().delete(12).unwrap();
        assert_get(&mock.last(), "/cgi-bin/tag/delete", &["tagid=12"], Idempotent);
        let with_id = CreateTag {
            tagname: "UI".into(),
            tagid: Some(0),
        };
        assert_eq!(
            with_id.request().unwrap().body.unwrap().bytes,
            br#"{"tagname":"UI","tagid":0}"#
        );
    }

    #[test]
    fn names_are_checked_before_sending() {
        let long: String = core::iter::repeat_n('标', 33).collect();
        let ok: String = core::iter::repeat_n('标', 32).collect();
        for bad in [String::new(), long] {
            let err = CreateTag {
                tagname: bad.clone(),
                tagid: None,
            }
            .request()
            .unwrap_err();
            assert!(matches!(err, Error::Config(ConfigError::InvalidArgument(_))));
            assert!(UpdateTag { tagid: 1, tagname: bad }.request().is_err());
        }
        assert!(
            CreateTag {
                tagname: ok,
                tagid: None
            }
            .request()
            .is_ok()
        );
        // the façade reports the problem without calling WeCom
        let mock = Mock::new(&[]);
        assert!(mock.tag().create("", None).is_err());
        assert!(mock.requests.borrow().is_empty());
    }

    #[test]
    fn members() {
        let mock = Mock::new(&[
            r#"{"errcode":0,"errmsg":"ok","tagname":"乒乓球协会","userlist":[{"userid":"zhangsan","name":"李四"}],"partylist":[2]}"#,
            r#"{"errcode":0,"errmsg":"ok","invalidlist":"usr1|usr2|usr","invalidparty":[2,4]}"#,
            r#"{"errcode":0,"errmsg":"deleted"}"#,
            r#"{"errcode":0,"errmsg":"ok","taglist":[{"tagid":1,"tagname":"a"},{"tagid":2,"tagname":"b"}]}"#,
        ]);
        let members = mock.tag().get_users(1).unwrap();
        assert_get(&mock.last(), "/cgi-bin/tag/get", &["tagid=1"], Idempotent);
        assert_eq!(members.tagname, "乒乓球协会");
        assert_eq!(members.userlist[0].name.as_deref(), Some("李四"));
        assert_eq!(members.partylist, [2]);

        let added = mock.tag().add_users(1, &["usr1", "zhangsan"], &[2, 4]).unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/tag/addtagusers",
            r#"{"tagid":1,"userlist":["usr1","zhangsan"],"partylist":[2,4]}"#,
            Idempotent,
        );
        assert_eq!(added.invalid_users(), ["usr1", "usr2", "usr"]);
        assert_eq!(added.invalidparty, [2, 4]);
        assert!(!added.all_valid());

        let removed = mock.tag().delete_users(1, &[], &[3]).unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/tag/deltagusers",
            r#"{"tagid":1,"partylist":[3]}"#,
            Idempotent,
        );
        assert!(removed.all_valid());

        let tags = mock.tag().list().unwrap();
        assert_get(&mock.last(), "/cgi-bin/tag/list", &[], Idempotent);
        assert_eq!(tags[1].tagname, "b");
    }

    #[test]
    fn member_lists_are_checked() {
        assert!(AddTagUsers(tag_users(1, &[], &[])).request().is_err());
        let many: Vec<String> = (0..1001).map(|i| alloc::format!("u{i}")).collect();
        let too_many_users = TagUsers {
            tagid: 1,
            userlist: many,
            partylist: Vec::new(),
        };
        assert!(DeleteTagUsers(too_many_users).request().is_err());
        let too_many_parties = TagUsers {
            tagid: 1,
            userlist: Vec::new(),
            partylist: (0..101).collect(),
        };
        assert!(AddTagUsers(too_many_parties).request().is_err());
        // everything invalid is an API error
        let err = AddTagUsers(tag_users(1, &["x"], &[]))
            .parse(ApiResponse::json(
                &br#"{"errcode":40070,"errmsg":"all list invalid "}"#[..],
            ))
            .unwrap_err();
        assert!(matches!(err, Error::Api(e) if e.code == 40070));
    }
}
