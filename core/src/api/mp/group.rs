//! Legacy user groups (wechatpy `client.group`). WeChat replaced groups with tags
//! ([`tag`](super::tag)); the endpoints still answer for old accounts.
//!
//! Docs: <http://mp.weixin.qq.com/wiki/0/56d992c605a97245eb7e617854b169fc.html> (archived)

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::api::mp::user::GetGroupId;
use crate::api::{ApiOk, Caller};
use crate::endpoint;

/// A legacy group.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Group {
    /// The id (0 = ungrouped, 1 = blacklist, 2 = starred).
    pub id: i64,
    /// The name.
    pub name: String,
    /// Members (only in [`GetGroups`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

/// `{"id": ..., "name": ...}` inside `{"group": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct GroupRef {
    /// The id; absent when creating.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// The name; absent when deleting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Deserialize)]
struct GroupWire {
    #[serde(default)]
    group: Group,
}

endpoint! {
    /// Creates a group, `POST /cgi-bin/groups/create` (wechatpy `group.create`). Not idempotent.
    CreateGroup: POST "/cgi-bin/groups/create" => Group, from GroupWire => group {
        /// `{"name": ...}`.
        group: GroupRef,
    }
}

#[derive(Deserialize)]
struct GroupsWire {
    #[serde(default)]
    groups: Vec<Group>,
}

endpoint! {
    /// Lists the groups, `GET /cgi-bin/groups/get` (wechatpy `group.get()`).
    GetGroups: GET "/cgi-bin/groups/get" => Vec<Group>, from GroupsWire => groups {}
}

endpoint! {
    /// Renames a group, `POST /cgi-bin/groups/update`.
    UpdateGroup: POST "/cgi-bin/groups/update" [Idempotent] => ApiOk {
        /// `{"id": ..., "name": ...}`.
        group: GroupRef,
    }
}

endpoint! {
    /// Moves a user to a group, `POST /cgi-bin/groups/members/update` (sets a state).
    MoveUser: POST "/cgi-bin/groups/members/update" [Idempotent] => ApiOk {
        /// The openid.
        openid: String,
        /// The target group.
        to_groupid: i64,
    }
}

endpoint! {
    /// Moves users to a group, `POST /cgi-bin/groups/members/batchupdate` (sets a state).
    MoveUsers: POST "/cgi-bin/groups/members/batchupdate" [Idempotent] => ApiOk {
        /// The openids.
        openid_list: Vec<String>,
        /// The target group.
        to_groupid: i64,
    }
}

endpoint! {
    /// Deletes a group, `POST /cgi-bin/groups/delete`. Idempotent: a repeat only fails.
    DeleteGroup: POST "/cgi-bin/groups/delete" [Idempotent] => ApiOk {
        /// `{"id": ...}`.
        group: GroupRef,
    }
}

crate::facade!(
    /// `client.group()`: wechatpy's `client.group` group.
    GroupApi
);

impl<'c, C: Caller + ?Sized> GroupApi<'c, C> {
    /// Creates a group (wechatpy `group.create`).
    pub fn create(&self, name: &str) -> C::Ret<'c, Group> {
        self.0.call(CreateGroup {
            group: GroupRef {
                id: None,
                name: Some(name.into()),
            },
        })
    }

    /// All groups (wechatpy `group.get()`).
    pub fn get(&self) -> C::Ret<'c, Vec<Group>> {
        self.0.call(GetGroups {})
    }

    /// A user's group id (wechatpy `group.get(user_id)`).
    pub fn get_group_id(&self, openid: &str) -> C::Ret<'c, i64> {
        self.0.call_then(GetGroupId { openid: openid.into() }, |g| g.groupid)
    }

    /// Renames a group (wechatpy `group.update`).
    pub fn update(&self, group_id: i64, name: &str) -> C::Ret<'c, ApiOk> {
        self.0.call(UpdateGroup {
            group: GroupRef {
                id: Some(group_id),
                name: Some(name.into()),
            },
        })
    }

    /// Moves one user (wechatpy `group.move_user` with one openid).
    pub fn move_user(&self, openid: &str, group_id: i64) -> C::Ret<'c, ApiOk> {
        self.0.call(MoveUser {
            openid: openid.into(),
            to_groupid: group_id,
        })
    }

    /// Moves several users (wechatpy `group.move_user` with a list).
    pub fn move_users(&self, openids: &[&str], group_id: i64) -> C::Ret<'c, ApiOk> {
        self.0.call(MoveUsers {
            openid_list: openids.iter().map(|s| String::from(*s)).collect(),
            to_groupid: group_id,
        })
    }

    /// Deletes a group (wechatpy `group.delete`).
    pub fn delete(&self, group_id: i64) -> C::Ret<'c, ApiOk> {
        self.0.call(DeleteGroup {
            group: GroupRef {
                id: Some(group_id),
                name: None,
            },
        })
    }
}

/// This group's endpoints, one list per declaration file, for the [registry](crate::api::registry).
pub(crate) const REGISTRY: &[&[crate::api::registry::Info]] = &[];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::mp::testing::MockCaller;
    use crate::http::{Idempotency, Method};

    fn post(mock: &MockCaller, path: &str, idem: Idempotency) -> String {
        let req = mock.request();
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.path, path);
        assert_eq!(req.idempotency, idem);
        mock.body()
    }

    #[test]
    fn create_and_get() {
        let mock = MockCaller::answering(r#"{"group":{"id":107,"name":"test"}}"#);
        let g = GroupApi::new(&mock).create("test").unwrap();
        assert_eq!((g.id, g.name.as_str(), g.count), (107, "test", None));
        assert_eq!(
            post(&mock, "/cgi-bin/groups/create", Idempotency::NonIdempotent),
            r#"{"group":{"name":"test"}}"#
        );

        let mock = MockCaller::answering(
            r#"{"groups":[{"id":0,"name":"未分组","count":72596},{"id":1,"name":"黑名单","count":36}]}"#,
        );
        let groups = GroupApi::new(&mock).get().unwrap();
        assert_eq!(
            (mock.request().method, mock.request().path.as_ref()),
            (Method::Get, "/cgi-bin/groups/get")
        );
        assert_eq!(groups[0].count, Some(72596));
        assert_eq!(groups[1].name, "黑名单");

        let mock = MockCaller::answering(r#"{"groupid":102}"#);
        assert_eq!(GroupApi::new(&mock).get_group_id("o1").unwrap(), 102);
        assert_eq!(
            post(&mock, "/cgi-bin/groups/getid", Idempotency::Idempotent),
            r#"{"openid":"o1"}"#
        );
    }

    #[test]
    fn update_move_delete() {
        let mock = MockCaller::default();
        GroupApi::new(&mock).update(108, "test2").unwrap();
        assert_eq!(
            post(&mock, "/cgi-bin/groups/update", Idempotency::Idempotent),
            r#"{"group":{"id":108,"name":"test2"}}"#
        );
        let mock = MockCaller::default();
        GroupApi::new(&mock).move_user("o1", 108).unwrap();
        assert_eq!(
            post(&mock, "/cgi-bin/groups/members/update", Idempotency::Idempotent),
            r#"{"openid":"o1","to_groupid":108}"#
        );
        let mock = MockCaller::default();
        GroupApi::new(&mock).move_users(&["o1", "o2"], 108).unwrap();
        assert_eq!(
            post(&mock, "/cgi-bin/groups/members/batchupdate", Idempotency::Idempotent),
            r#"{"openid_list":["o1","o2"],"to_groupid":108}"#
        );
        let mock = MockCaller::default();
        GroupApi::new(&mock).delete(108).unwrap();
        assert_eq!(
            post(&mock, "/cgi-bin/groups/delete", Idempotency::Idempotent),
            r#"{"group":{"id":108}}"#
        );
    }
}
