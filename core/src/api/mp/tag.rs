//! User tags and the blacklist (wechatpy `client.tag`).
//!
//! Docs: <https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html>,
//! <https://developers.weixin.qq.com/doc/offiaccount/User_Management/Manage_blacklist.html>

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::api::mp::user::OpenidList;
use crate::api::{ApiOk, Caller};
use crate::endpoint;

/// A tag.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Tag {
    /// The id (0-2 are reserved by WeChat: blacklist, star users...).
    pub id: i64,
    /// The name (at most 30 characters).
    pub name: String,
    /// How many users carry it (only in [`GetTags`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

/// `{"name": ...}` or `{"id": ..., "name": ...}` inside `{"tag": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TagRef {
    /// The id; absent when creating.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// The name; absent when deleting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Deserialize)]
struct TagWire {
    #[serde(default)]
    tag: Tag,
}

endpoint! {
    /// Creates a tag, `POST /cgi-bin/tags/create` (wechatpy `tag.create`). Not idempotent.
    CreateTag: POST "/cgi-bin/tags/create" => Tag, from TagWire => tag {
        /// `{"name": ...}`.
        tag: TagRef,
    }
}

#[derive(Deserialize)]
struct TagsWire {
    #[serde(default)]
    tags: Vec<Tag>,
}

endpoint! {
    /// Lists the tags, `GET /cgi-bin/tags/get` (wechatpy `tag.get`).
    GetTags: GET "/cgi-bin/tags/get" => Vec<Tag>, from TagsWire => tags {}
}

endpoint! {
    /// Renames a tag, `POST /cgi-bin/tags/update`.
    UpdateTag: POST "/cgi-bin/tags/update" [Idempotent] => ApiOk {
        /// `{"id": ..., "name": ...}`.
        tag: TagRef,
    }
}

endpoint! {
    /// Deletes a tag, `POST /cgi-bin/tags/delete`. Idempotent: a repeat only fails with
    /// "tag not found", it removes nothing else.
    DeleteTag: POST "/cgi-bin/tags/delete" [Idempotent] => ApiOk {
        /// `{"id": ...}`.
        tag: TagRef,
    }
}

endpoint! {
    /// Tags up to 50 users, `POST /cgi-bin/tags/members/batchtagging` (sets a state).
    BatchTagging: POST "/cgi-bin/tags/members/batchtagging" [Idempotent] => ApiOk {
        /// The openids.
        openid_list: Vec<String>,
        /// The tag id.
        tagid: i64,
    }
}

endpoint! {
    /// Untags up to 50 users, `POST /cgi-bin/tags/members/batchuntagging` (sets a state).
    BatchUntagging: POST "/cgi-bin/tags/members/batchuntagging" [Idempotent] => ApiOk {
        /// The openids.
        openid_list: Vec<String>,
        /// The tag id.
        tagid: i64,
    }
}

#[derive(Deserialize)]
struct TagIdsWire {
    #[serde(default)]
    tagid_list: Vec<i64>,
}

endpoint! {
    /// Gets a user's tag ids, `POST /cgi-bin/tags/getidlist` (a read).
    GetUserTags: POST "/cgi-bin/tags/getidlist" [Idempotent] => Vec<i64>, from TagIdsWire => tagid_list {
        /// The openid.
        openid: String,
    }
}

/// One page of a tag's users (`cgi-bin/user/tag/get`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "dynamic", derive(Serialize))]
#[serde(default)]
#[non_exhaustive]
pub struct TaggedUsers {
    /// Users on this page (at most 10 000).
    pub count: u64,
    /// The openids; absent after the last page.
    pub data: Option<OpenidList>,
    /// Where the next page starts.
    pub next_openid: Option<String>,
}

impl TaggedUsers {
    /// The openids on this page.
    pub fn openids(&self) -> &[String] {
        self.data.as_ref().map(|d| d.openid.as_slice()).unwrap_or(&[])
    }

    /// The request for the next page of tag `tagid`, or `None` after the last one
    /// (wechatpy's `iter_tag_users` loop, as a pure pager).
    pub fn next_page(&self, tagid: i64) -> Option<GetTagUsers> {
        match &self.next_openid {
            Some(next) if !self.openids().is_empty() && !next.is_empty() => Some(GetTagUsers {
                tagid,
                next_openid: Some(next.clone()),
            }),
            _ => None,
        }
    }
}

endpoint! {
    /// Gets one page of a tag's users, `POST /cgi-bin/user/tag/get` (a read).
    GetTagUsers: POST "/cgi-bin/user/tag/get" [Idempotent] => TaggedUsers {
        /// The tag id.
        tagid: i64,
        /// Start after this openid.
        #[serde(skip_serializing_if = "Option::is_none")]
        next_openid: Option<String>,
    }
}

/// One page of the blacklist (`cgi-bin/tags/members/getblacklist`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "dynamic", derive(Serialize))]
#[serde(default)]
#[non_exhaustive]
pub struct BlackList {
    /// Total number of blacklisted users.
    pub total: u64,
    /// Users on this page (at most 10 000).
    pub count: u64,
    /// The openids; absent after the last page.
    pub data: Option<OpenidList>,
    /// Where the next page starts.
    pub next_openid: Option<String>,
}

impl BlackList {
    /// The openids on this page.
    pub fn openids(&self) -> &[String] {
        self.data.as_ref().map(|d| d.openid.as_slice()).unwrap_or(&[])
    }

    /// The request for the next page, or `None` after the last one.
    pub fn next_page(&self) -> Option<GetBlackList> {
        match &self.next_openid {
            Some(next) if !self.openids().is_empty() && !next.is_empty() => Some(GetBlackList {
                begin_openid: Some(next.clone()),
            }),
            _ => None,
        }
    }
}

endpoint! {
    /// Gets one page of the blacklist, `POST /cgi-bin/tags/members/getblacklist` (a read).
    GetBlackList: POST "/cgi-bin/tags/members/getblacklist" [Idempotent] => BlackList {
        /// Start at this openid; from the beginning when `None`.
        #[serde(skip_serializing_if = "Option::is_none")]
        begin_openid: Option<String>,
    }
}

endpoint! {
    /// Blacklists up to 20 users, `POST /cgi-bin/tags/members/batchblacklist` (sets a state).
    BatchBlackList: POST "/cgi-bin/tags/members/batchblacklist" [Idempotent] => ApiOk {
        /// The openids.
        openid_list: Vec<String>,
    }
}

endpoint! {
    /// Removes up to 20 users from the blacklist,
    /// `POST /cgi-bin/tags/members/batchunblacklist` (sets a state).
    BatchUnblackList: POST "/cgi-bin/tags/members/batchunblacklist" [Idempotent] => ApiOk {
        /// The openids.
        openid_list: Vec<String>,
    }
}

fn owned(openids: &[&str]) -> Vec<String> {
    openids.iter().map(|s| String::from(*s)).collect()
}

crate::facade!(
    /// `client.tag()`: wechatpy's `client.tag` group.
    TagApi
);

impl<'c, C: Caller + ?Sized> TagApi<'c, C> {
    /// Creates a tag (wechatpy `tag.create`).
    pub fn create(&self, name: &str) -> C::Ret<'c, Tag> {
        self.0.call(CreateTag {
            tag: TagRef {
                id: None,
                name: Some(name.into()),
            },
        })
    }

    /// All tags with their user counts (wechatpy `tag.get`).
    pub fn get(&self) -> C::Ret<'c, Vec<Tag>> {
        self.0.call(GetTags {})
    }

    /// Renames a tag (wechatpy `tag.update`).
    pub fn update(&self, tag_id: i64, name: &str) -> C::Ret<'c, ApiOk> {
        self.0.call(UpdateTag {
            tag: TagRef {
                id: Some(tag_id),
                name: Some(name.into()),
            },
        })
    }

    /// Deletes a tag (wechatpy `tag.delete`).
    pub fn delete(&self, tag_id: i64) -> C::Ret<'c, ApiOk> {
        self.0.call(DeleteTag {
            tag: TagRef {
                id: Some(tag_id),
                name: None,
            },
        })
    }

    /// Tags users (wechatpy `tag.tag_user`; pass one openid for one user).
    pub fn tag_user(&self, tag_id: i64, openids: &[&str]) -> C::Ret<'c, ApiOk> {
        self.0.call(BatchTagging {
            openid_list: owned(openids),
            tagid: tag_id,
        })
    }

    /// Untags users (wechatpy `tag.untag_user`).
    pub fn untag_user(&self, tag_id: i64, openids: &[&str]) -> C::Ret<'c, ApiOk> {
        self.0.call(BatchUntagging {
            openid_list: owned(openids),
            tagid: tag_id,
        })
    }

    /// A user's tag ids (wechatpy `tag.get_user_tag`).
    pub fn get_user_tag(&self, openid: &str) -> C::Ret<'c, Vec<i64>> {
        self.0.call(GetUserTags { openid: openid.into() })
    }

    /// One page of a tag's users (wechatpy `tag.get_tag_users`); page on with
    /// [`TaggedUsers::next_page`].
    pub fn get_tag_users(&self, tag_id: i64, first_user_id: Option<&str>) -> C::Ret<'c, TaggedUsers> {
        self.0.call(GetTagUsers {
            tagid: tag_id,
            next_openid: first_user_id.map(String::from),
        })
    }

    /// One page of the blacklist (wechatpy `tag.get_black_list`); page on with
    /// [`BlackList::next_page`].
    pub fn get_black_list(&self, begin_openid: Option<&str>) -> C::Ret<'c, BlackList> {
        self.0.call(GetBlackList {
            begin_openid: begin_openid.map(String::from),
        })
    }

    /// Blacklists users (wechatpy `tag.batch_black_list`).
    pub fn batch_black_list(&self, openids: &[&str]) -> C::Ret<'c, ApiOk> {
        self.0.call(BatchBlackList {
            openid_list: owned(openids),
        })
    }

    /// Removes users from the blacklist (wechatpy `tag.batch_unblack_list`).
    pub fn batch_unblack_list(&self, openids: &[&str]) -> C::Ret<'c, ApiOk> {
        self.0.call(BatchUnblackList {
            openid_list: owned(openids),
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

    fn post(mock: &MockCaller, path: &str, idem: Idempotency) -> String {
        let req = mock.request();
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.path, path);
        assert_eq!(req.idempotency, idem);
        mock.body()
    }

    #[test]
    fn create_and_list() {
        let mock = MockCaller::answering(r#"{"tag":{"id":134,"name":"广东"}}"#);
        let tag = TagApi::new(&mock).create("广东").unwrap();
        assert_eq!((tag.id, tag.name.as_str()), (134, "广东"));
        assert_eq!(
            post(&mock, "/cgi-bin/tags/create", Idempotency::NonIdempotent),
            r#"{"tag":{"name":"广东"}}"#
        );

        let mock = MockCaller::answering(
            r#"{"tags":[{"id":1,"name":"每天一罐可乐星人","count":0},{"id":2,"name":"星标组","count":0},{"id":127,"name":"广东","count":5}]}"#,
        );
        let tags = TagApi::new(&mock).get().unwrap();
        let req = mock.request();
        assert_eq!((req.method, req.path.as_ref()), (Method::Get, "/cgi-bin/tags/get"));
        assert_eq!(tags.len(), 3);
        assert_eq!(tags[2].count, Some(5));
    }

    #[test]
    fn update_delete() {
        let mock = MockCaller::default();
        TagApi::new(&mock).update(134, "广东人").unwrap();
        assert_eq!(
            post(&mock, "/cgi-bin/tags/update", Idempotency::Idempotent),
            r#"{"tag":{"id":134,"name":"广东人"}}"#
        );
        let mock = MockCaller::default();
        TagApi::new(&mock).delete(134).unwrap();
        assert_eq!(
            post(&mock, "/cgi-bin/tags/delete", Idempotency::Idempotent),
            r#"{"tag":{"id":134}}"#
        );
        // deleting a reserved tag
        let err = DeleteTag::default()
            .parse(ApiResponse::json(
                &br#"{"errcode":45058,"errmsg":"can't modify sys tag"}"#[..],
            ))
            .unwrap_err();
        assert!(matches!(err, Error::Api(e) if e.code == 45058));
    }

    #[test]
    fn tagging() {
        let mock = MockCaller::default();
        TagApi::new(&mock).tag_user(134, &["o1", "o2"]).unwrap();
        assert_eq!(
            post(&mock, "/cgi-bin/tags/members/batchtagging", Idempotency::Idempotent),
            r#"{"openid_list":["o1","o2"],"tagid":134}"#
        );
        let mock = MockCaller::default();
        TagApi::new(&mock).untag_user(134, &["o1"]).unwrap();
        assert_eq!(
            post(&mock, "/cgi-bin/tags/members/batchuntagging", Idempotency::Idempotent),
            r#"{"openid_list":["o1"],"tagid":134}"#
        );
        let mock = MockCaller::answering(r#"{"tagid_list":[134,2]}"#);
        assert_eq!(TagApi::new(&mock).get_user_tag("o1").unwrap(), [134, 2]);
        assert_eq!(
            post(&mock, "/cgi-bin/tags/getidlist", Idempotency::Idempotent),
            r#"{"openid":"o1"}"#
        );
    }

    #[test]
    fn tag_users_paging() {
        let mock = MockCaller::answering(
            r#"{"count":2,"data":{"openid":["ocYxcuAEy30bX0NXmGn4ypqx3tI0","ocYxcuBt0mRugKZ7tGAHPnUaOW7Y"]},"next_openid":"ocYxcuBt0mRugKZ7tGAHPnUaOW7Y"}"#,
        );
        let page = TagApi::new(&mock).get_tag_users(134, None).unwrap();
        assert_eq!(
            post(&mock, "/cgi-bin/user/tag/get", Idempotency::Idempotent),
            r#"{"tagid":134}"#
        );
        assert_eq!(page.openids().len(), 2);
        let next = page.next_page(134).unwrap();
        assert_eq!(
            next.request().unwrap().body.unwrap().bytes,
            br#"{"tagid":134,"next_openid":"ocYxcuBt0mRugKZ7tGAHPnUaOW7Y"}"#
        );
        let last = next
            .parse(ApiResponse::json(&br#"{"count":0,"next_openid":""}"#[..]))
            .unwrap();
        assert_eq!(last.next_page(134), None);
        assert!(last.openids().is_empty());
    }

    #[test]
    fn blacklist() {
        let mock = MockCaller::answering(
            r#"{"total":23000,"count":2,"data":{"openid":["OPENID1","OPENID2"]},"next_openid":"OPENID2"}"#,
        );
        let page = TagApi::new(&mock).get_black_list(None).unwrap();
        assert_eq!(
            post(&mock, "/cgi-bin/tags/members/getblacklist", Idempotency::Idempotent),
            "{}"
        );
        assert_eq!(page.total, 23000);
        assert_eq!(
            page.next_page(),
            Some(GetBlackList {
                begin_openid: Some("OPENID2".into())
            })
        );
        let empty = GetBlackList::default()
            .parse(ApiResponse::json(&br#"{"total":0,"count":0,"next_openid":""}"#[..]))
            .unwrap();
        assert_eq!(empty.next_page(), None);

        let mock = MockCaller::default();
        TagApi::new(&mock).batch_black_list(&["O1", "O2"]).unwrap();
        assert_eq!(
            post(&mock, "/cgi-bin/tags/members/batchblacklist", Idempotency::Idempotent),
            r#"{"openid_list":["O1","O2"]}"#
        );
        let mock = MockCaller::default();
        TagApi::new(&mock).batch_unblack_list(&["O1"]).unwrap();
        assert_eq!(
            post(&mock, "/cgi-bin/tags/members/batchunblacklist", Idempotency::Idempotent),
            r#"{"openid_list":["O1"]}"#
        );
    }
}
