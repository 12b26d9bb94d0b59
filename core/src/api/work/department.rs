//! Departments (wechatpy `client.department`).
//!
//! Docs: <https://developer.work.weixin.qq.com/document/path/90205> and the pages next to it.
//!
//! wechatpy's `get_map_users` makes several calls (the department list, then the members of
//! each department) and builds a `{field: userid}` map. Calls cannot be chained generically
//! over blocking and async clients, so this module gives the pure pieces instead:
//!
//! ```ignore
//! // 1. the departments (or just `[id]`)
//! let departments = client.department().list(None)?;
//! // 2. one member listing per department
//! let mut users = Vec::new();
//! for req in member_requests(&departments, false) {
//!     users.extend(client.call(req)?);
//! }
//! // 3. the map, here name → userid
//! let by_name = map_users(&users, |u| u.name.as_deref());
//! ```

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::api::work::user::{ListSimpleUsers, ListUsers, SimpleUser, WorkUser};
use crate::api::{ApiOk, Caller};
use crate::endpoint;

/// A department (`department/list`, `department/get`). Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Department {
    /// The id (1 is the root).
    pub id: u64,
    /// The name (not returned to third-party apps).
    pub name: Option<String>,
    /// The English name.
    pub name_en: Option<String>,
    /// Leaders' userids.
    pub department_leader: Vec<String>,
    /// The parent department (0 for the root).
    pub parentid: Option<u64>,
    /// Sort order among siblings; larger sorts first.
    pub order: Option<u64>,
}

/// A department as `department/simplelist` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct DepartmentId {
    /// The id.
    pub id: u64,
    /// The parent department.
    pub parentid: Option<u64>,
    /// Sort order among siblings.
    pub order: Option<u64>,
}

#[derive(Deserialize)]
struct CreatedWire {
    #[serde(default)]
    id: u64,
}

endpoint! {
    /// Creates a department, `POST /cgi-bin/department/create` (wechatpy
    /// `department.create`); returns its id. Not retried.
    CreateDepartment: POST "/cgi-bin/department/create" => u64, from CreatedWire => id {
        /// The name, 1-64 characters without `\:*?"<>|`.
        name: String,
        /// The English name.
        #[serde(skip_serializing_if = "Option::is_none")]
        name_en: Option<String>,
        /// The parent department (1 is the root; wechatpy's default).
        parentid: u64,
        /// Sort order among siblings; larger sorts first.
        #[serde(skip_serializing_if = "Option::is_none")]
        order: Option<u64>,
        /// A chosen id (> 1); WeCom assigns one when absent.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
    }
}

impl CreateDepartment {
    /// A department named `name` under `parentid`.
    pub fn new(name: impl Into<String>, parentid: u64) -> Self {
        Self {
            name: name.into(),
            parentid,
            ..Self::default()
        }
    }
}

endpoint! {
    /// Updates a department, `POST /cgi-bin/department/update` (wechatpy
    /// `department.update`). Only the fields that are set are sent.
    UpdateDepartment: POST "/cgi-bin/department/update" [Idempotent] => ApiOk {
        /// The department.
        id: u64,
        /// The name.
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// The English name.
        #[serde(skip_serializing_if = "Option::is_none")]
        name_en: Option<String>,
        /// A new parent.
        #[serde(skip_serializing_if = "Option::is_none")]
        parentid: Option<u64>,
        /// Sort order among siblings.
        #[serde(skip_serializing_if = "Option::is_none")]
        order: Option<u64>,
    }
}

endpoint! {
    /// Deletes an empty department, `GET /cgi-bin/department/delete` (wechatpy
    /// `department.delete`).
    DeleteDepartment: GET "/cgi-bin/department/delete" => ApiOk {
        /// The department (not the root, no members, no sub-departments).
        id: u64,
    }
}

#[derive(Deserialize)]
struct ListWire {
    #[serde(default)]
    department: Vec<Department>,
}

endpoint! {
    /// A department and all its sub-departments (or the whole tree),
    /// `GET /cgi-bin/department/list` (wechatpy `department.list`).
    ListDepartments: GET "/cgi-bin/department/list" => Vec<Department>, from ListWire => department {
        /// The top department; the whole visible tree when `None`.
        id: Option<u64>,
    }
}

#[derive(Deserialize)]
struct IdListWire {
    #[serde(default)]
    department_id: Vec<DepartmentId>,
}

endpoint! {
    /// Department ids only (works where `department/list` is no longer allowed),
    /// `GET /cgi-bin/department/simplelist` (wechatpy `department.simple_list`).
    ListDepartmentIds: GET "/cgi-bin/department/simplelist" => Vec<DepartmentId>, from IdListWire => department_id {
        /// The top department; the whole visible tree when `None`.
        id: Option<u64>,
    }
}

#[derive(Deserialize)]
struct GetWire {
    #[serde(default)]
    department: Department,
}

endpoint! {
    /// One department, `GET /cgi-bin/department/get` (wechatpy `department.get`).
    GetDepartment: GET "/cgi-bin/department/get" => Department, from GetWire => department {
        /// The department.
        id: u64,
    }
}

/// The member listings wechatpy's `get_map_users` makes: one detailed
/// [`ListUsers`] per department.
pub fn member_requests(departments: &[Department], fetch_child: bool) -> Vec<ListUsers> {
    departments
        .iter()
        .map(|d| ListUsers {
            department_id: d.id,
            fetch_child: Some(fetch_child),
        })
        .collect()
}

/// Maps a field of each member to its userid (wechatpy `get_map_users`): `key` picks the
/// field, which should be unique (name, mobile, email). Members without the field are left
/// out; when two members share a value, the later one wins, as in wechatpy.
pub fn map_users<'a, I, F>(users: I, key: F) -> BTreeMap<String, String>
where
    I: IntoIterator<Item = &'a WorkUser>,
    F: Fn(&WorkUser) -> Option<&str>,
{
    users
        .into_iter()
        .filter_map(|u| key(u).map(|k| (String::from(k), u.userid.clone())))
        .collect()
}

crate::facade!(
    /// `client.department()`: wechatpy's `client.department` group.
    DepartmentApi
);

impl<'c, C: Caller + ?Sized> DepartmentApi<'c, C> {
    /// Creates a department under `parent_id` (wechatpy `department.create`); returns its
    /// id. Use [`create_with`](Self::create_with) for the order, a chosen id or an English
    /// name.
    pub fn create(&self, name: &str, parent_id: u64) -> C::Ret<'c, u64> {
        self.0.call(CreateDepartment::new(name, parent_id))
    }

    /// Creates a department with every field [`CreateDepartment`] has.
    pub fn create_with(&self, department: CreateDepartment) -> C::Ret<'c, u64> {
        self.0.call(department)
    }

    /// Updates the fields set in `update` (wechatpy `department.update`).
    pub fn update(&self, update: UpdateDepartment) -> C::Ret<'c, ApiOk> {
        self.0.call(update)
    }

    /// Deletes a department (wechatpy `department.delete`).
    pub fn delete(&self, id: u64) -> C::Ret<'c, ApiOk> {
        self.0.call(DeleteDepartment { id })
    }

    /// A department and its sub-departments, or the whole tree (wechatpy `department.list`).
    pub fn list(&self, id: Option<u64>) -> C::Ret<'c, Vec<Department>> {
        self.0.call(ListDepartments { id })
    }

    /// Department ids, parents and orders (wechatpy `department.simple_list`).
    pub fn simple_list(&self, id: Option<u64>) -> C::Ret<'c, Vec<DepartmentId>> {
        self.0.call(ListDepartmentIds { id })
    }

    /// One department (wechatpy `department.get`).
    pub fn get(&self, id: u64) -> C::Ret<'c, Department> {
        self.0.call(GetDepartment { id })
    }

    /// A department's members, ids and names (wechatpy `department.get_users`, whose
    /// default is `simple=True`).
    pub fn get_users(&self, id: u64, fetch_child: bool) -> C::Ret<'c, Vec<SimpleUser>> {
        self.0.call(ListSimpleUsers {
            department_id: id,
            fetch_child: Some(fetch_child),
        })
    }

    /// A department's members with details (wechatpy `department.get_users(simple=False)`).
    pub fn get_users_detail(&self, id: u64, fetch_child: bool) -> C::Ret<'c, Vec<WorkUser>> {
        self.0.call(ListUsers {
            department_id: id,
            fetch_child: Some(fetch_child),
        })
    }
}

/// This group's endpoints, one list per declaration file, for the [registry](crate::api::registry).
pub(crate) const REGISTRY: &[&[crate::api::registry::Info]] = &[];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Endpoint;
    use crate::api::json::parse_json;
    use crate::api::work::testing::{Mock, assert_get, assert_post};
    use crate::http::ApiResponse;
    use crate::http::Idempotency::{Idempotent, NonIdempotent};

    const LIST: &str = r#"{
        "errcode": 0, "errmsg": "ok",
        "department": [
            {"name": "广州研发中心", "name_en": "RDGZ", "department_leader": ["zhangsan", "lisi"], "id": 2, "parentid": 1, "order": 10},
            {"name": "邮箱产品部", "name_en": "mail", "department_leader": ["lisi", "wangwu"], "id": 3, "parentid": 2, "order": 40, "new": true}
        ]
    }"#;

    #[test]
    fn create_update_delete() {
        let mock = Mock::new(&[
            r#"{"errcode":0,"errmsg":"created","id":2}"#,
            r#"{"errcode":0,"errmsg":"created","id":9}"#,
            r#"{"errcode":0,"errmsg":"updated"}"#,
            r#"{"errcode":0,"errmsg":"deleted"}"#,
        ]);
        assert_eq!(mock.department().create("广州研发中心", 1).unwrap(), 2);
        assert_post(
            &mock.last(),
            "/cgi-bin/department/create",
            r#"{"name":"广州研发中心","parentid":1}"#,
            NonIdempotent,
        );
        let id = mock
            .department()
            .create_with(CreateDepartment {
                name_en: Some("RDGZ".into()),
                order: Some(1),
                id: Some(9),
                ..CreateDepartment::new("广州研发中心", 1)
            })
            .unwrap();
        assert_eq!(id, 9);
        assert_post(
            &mock.last(),
            "/cgi-bin/department/create",
            r#"{"name":"广州研发中心","name_en":"RDGZ","parentid":1,"order":1,"id":9}"#,
            NonIdempotent,
        );
        mock.department()
            .update(UpdateDepartment {
                id: 2,
                name: Some("广州研发中心".into()),
                ..UpdateDepartment::default()
            })
            .unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/department/update",
            r#"{"id":2,"name":"广州研发中心"}"#,
            Idempotent,
        );
        mock.department().delete(2).unwrap();
        assert_get(&mock.last(), "/cgi-bin/department/delete", &["id=2"], Idempotent);
    }

    #[test]
    fn reads() {
        let mock = Mock::new(&[
            LIST,
            r#"{"errcode":0,"errmsg":"ok","department_id":[{"id":2,"parentid":1,"order":10},{"id":3,"parentid":2,"order":40}]}"#,
            r#"{"errcode":0,"errmsg":"ok","department":{"id":2,"name":"广州研发中心","name_en":"RDGZ","department_leader":["zhangsan","lisi"],"parentid":1,"order":10}}"#,
            LIST,
        ]);
        let list = mock.department().list(Some(2)).unwrap();
        assert_get(&mock.last(), "/cgi-bin/department/list", &["id=2"], Idempotent);
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].department_leader, ["lisi", "wangwu"]);
        assert_eq!(list[1].parentid, Some(2));
        let ids = mock.department().simple_list(None).unwrap();
        assert_get(&mock.last(), "/cgi-bin/department/simplelist", &[], Idempotent);
        assert_eq!(ids[1].id, 3);
        assert_eq!(ids[1].order, Some(40));
        let one = mock.department().get(2).unwrap();
        assert_get(&mock.last(), "/cgi-bin/department/get", &["id=2"], Idempotent);
        assert_eq!(one.name_en.as_deref(), Some("RDGZ"));
        assert_eq!(one, list[0]);
        mock.department().list(None).unwrap();
        assert_get(&mock.last(), "/cgi-bin/department/list", &[], Idempotent);
    }

    #[test]
    fn members_and_the_map_users_pieces() {
        let mock = Mock::new(&[
            r#"{"errcode":0,"errmsg":"ok","userlist":[{"userid":"zhangsan","name":"张三","department":[1,2]}]}"#,
            r#"{"errcode":0,"errmsg":"ok","userlist":[{"userid":"zhangsan","name":"张三","mobile":"138"}]}"#,
        ]);
        let simple = mock.department().get_users(2, true).unwrap();
        assert_get(
            &mock.last(),
            "/cgi-bin/user/simplelist",
            &["department_id=2", "fetch_child=1"],
            Idempotent,
        );
        assert_eq!(simple[0].userid, "zhangsan");
        let detail = mock.department().get_users_detail(2, false).unwrap();
        assert_get(
            &mock.last(),
            "/cgi-bin/user/list",
            &["department_id=2", "fetch_child=0"],
            Idempotent,
        );
        assert_eq!(detail[0].mobile.as_deref(), Some("138"));

        let departments: Vec<Department> = ListDepartments::default()
            .parse(ApiResponse::json(LIST.as_bytes().to_vec()))
            .unwrap();
        let reqs = member_requests(&departments, false);
        assert_eq!(reqs.iter().map(|r| r.department_id).collect::<Vec<_>>(), [2, 3]);
        let users: Vec<WorkUser> = parse_json::<Vec<WorkUser>>(&ApiResponse::json(
            &br#"[{"userid":"a","name":"Ann"},{"userid":"b"},{"userid":"c","name":"Cid"},{"userid":"a2","name":"Ann"}]"#[..],
        ))
        .unwrap();
        let map = map_users(&users, |u| u.name.as_deref());
        assert_eq!(map.len(), 2);
        assert_eq!(map["Ann"], "a2");
        assert_eq!(map["Cid"], "c");
    }
}
