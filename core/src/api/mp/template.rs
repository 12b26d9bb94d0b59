//! Message templates (wechatpy `client.template`): the template-message industry and
//! private templates (`cgi-bin/template/...`), and the subscribe-notification template
//! library (`wxaapi/newtmpl/...`).
//!
//! Docs: <https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html>,
//! <https://developers.weixin.qq.com/doc/offiaccount/Subscription_Messages/api.html>

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::api::mp::de;
use crate::api::{ApiOk, Caller};
use crate::endpoint;

endpoint! {
    /// Sets the account's two industries, `POST /cgi-bin/template/api_set_industry` (sets a
    /// state; WeChat allows one change a month).
    SetIndustry: POST "/cgi-bin/template/api_set_industry" [Idempotent] => ApiOk {
        /// The primary industry code (`"1"` = IT/internet...), a string as documented.
        industry_id1: String,
        /// The secondary industry code.
        industry_id2: String,
    }
}

/// One industry: `{"first_class": ..., "second_class": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct IndustryClass {
    /// The top-level class (`IT科技`).
    pub first_class: String,
    /// The sub-class (`互联网|电子商务`).
    pub second_class: String,
}

/// The account's industries (`cgi-bin/template/get_industry`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Industry {
    /// The primary industry.
    pub primary_industry: IndustryClass,
    /// The secondary industry.
    pub secondary_industry: IndustryClass,
}

endpoint! {
    /// Gets the account's industries, `GET /cgi-bin/template/get_industry`.
    GetIndustry: GET "/cgi-bin/template/get_industry" => Industry {}
}

#[derive(Deserialize)]
struct TemplateIdWire {
    #[serde(default)]
    template_id: String,
}

endpoint! {
    /// Adds a template from the library, `POST /cgi-bin/template/api_add_template` (wechatpy
    /// `template.get` / `template.add`); returns the template id. Not idempotent.
    AddTemplate: POST "/cgi-bin/template/api_add_template" => String, from TemplateIdWire => template_id {
        /// The library template's short id (`TM00015`).
        template_id_short: String,
        /// The keyword names to use (templates of the 2023 library require them).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        keyword_name_list: Vec<String>,
    }
}

/// One template added to the account (`cgi-bin/template/get_all_private_template`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PrivateTemplate {
    /// The template id.
    pub template_id: String,
    /// Title.
    pub title: String,
    /// Primary industry.
    pub primary_industry: String,
    /// Secondary industry.
    pub deputy_industry: String,
    /// The content with `{{keyword.DATA}}` placeholders.
    pub content: String,
    /// An example.
    pub example: String,
}

#[derive(Deserialize)]
struct TemplateListWire {
    #[serde(default)]
    template_list: Vec<PrivateTemplate>,
}

endpoint! {
    /// Lists the account's templates, `GET /cgi-bin/template/get_all_private_template`.
    GetAllPrivateTemplate: GET "/cgi-bin/template/get_all_private_template" => Vec<PrivateTemplate>, from TemplateListWire => template_list {}
}

endpoint! {
    /// Deletes a template, `POST /cgi-bin/template/del_private_template` (idempotent: a repeat
    /// only fails).
    DelPrivateTemplate: POST "/cgi-bin/template/del_private_template" [Idempotent] => ApiOk {
        /// The template id.
        template_id: String,
    }
}

#[derive(Deserialize)]
struct PriTmplIdWire {
    #[serde(default, rename = "priTmplId")]
    pri_tmpl_id: String,
}

endpoint! {
    /// Adds a subscribe-notification template, `POST /wxaapi/newtmpl/addtemplate` (wechatpy
    /// `template.add_subscribe_message_template`); returns the `priTmplId`. Not idempotent.
    AddSubscribeTemplate: POST "/wxaapi/newtmpl/addtemplate" => String, from PriTmplIdWire => pri_tmpl_id {
        /// The library title id.
        tid: String,
        /// 2 to 5 keyword ids, in display order.
        #[serde(rename = "kidList")]
        kid_list: Vec<i64>,
        /// The service scene, at most 15 characters.
        #[serde(rename = "sceneDesc")]
        scene_desc: String,
    }
}

endpoint! {
    /// Deletes a subscribe-notification template, `POST /wxaapi/newtmpl/deltemplate`.
    DelSubscribeTemplate: POST "/wxaapi/newtmpl/deltemplate" [Idempotent] => ApiOk {
        /// The `priTmplId`.
        #[serde(rename = "priTmplId")]
        pri_tmpl_id: String,
    }
}

/// One category of the account (`wxaapi/newtmpl/getcategory`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Category {
    /// The category id.
    #[serde(deserialize_with = "de::int")]
    pub id: i64,
    /// The name.
    pub name: String,
}

#[derive(Deserialize)]
struct CategoriesWire {
    #[serde(default)]
    data: Vec<Category>,
}

endpoint! {
    /// Gets the account's categories, `GET /wxaapi/newtmpl/getcategory`.
    GetCategory: GET "/wxaapi/newtmpl/getcategory" => Vec<Category>, from CategoriesWire => data {}
}

/// One keyword of a library title.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct TemplateKeyword {
    /// The keyword id (for `kidList`).
    #[serde(deserialize_with = "de::int")]
    pub kid: i64,
    /// The name.
    pub name: String,
    /// An example.
    pub example: String,
    /// The value rule (`thing`, `time`, `character_string`...).
    pub rule: String,
}

/// The keywords of a library title (`wxaapi/newtmpl/getpubtemplatekeywords`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct TemplateKeywords {
    /// How many keywords there are.
    pub count: u64,
    /// The keywords.
    pub data: Vec<TemplateKeyword>,
}

endpoint! {
    /// Gets a library title's keywords, `GET /wxaapi/newtmpl/getpubtemplatekeywords`.
    GetTemplateKeywords: GET "/wxaapi/newtmpl/getpubtemplatekeywords" => TemplateKeywords {
        /// The title id.
        tid: String,
    }
}

/// One library title.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct TemplateTitle {
    /// The title id (for `tid`).
    #[serde(deserialize_with = "de::int")]
    pub tid: i64,
    /// The title.
    pub title: String,
    /// 2 one-time, 3 long-term.
    pub r#type: i64,
    /// The category id (sent as a string).
    #[serde(rename = "categoryId", deserialize_with = "de::string")]
    pub category_id: String,
}

/// One page of library titles (`wxaapi/newtmpl/getpubtemplatetitles`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct TemplateTitles {
    /// Total number of titles.
    pub count: u64,
    /// The titles on this page.
    pub data: Vec<TemplateTitle>,
}

endpoint! {
    /// Gets library titles of some categories, `GET /wxaapi/newtmpl/getpubtemplatetitles`.
    GetTemplateTitles: GET "/wxaapi/newtmpl/getpubtemplatetitles" => TemplateTitles {
        /// Category ids, comma separated (required by WeChat; wechatpy leaves it out and
        /// gets error 200018).
        ids: String,
        /// Offset, from 0.
        start: u32,
        /// Page size, at most 30.
        limit: u32,
    }
}

/// One subscribe-notification template of the account (`wxaapi/newtmpl/gettemplate`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SubscribeTemplate {
    /// The template id.
    #[serde(rename = "priTmplId")]
    pub pri_tmpl_id: String,
    /// Title.
    pub title: String,
    /// The content with `{{thing1.DATA}}` placeholders.
    pub content: String,
    /// An example.
    pub example: String,
    /// 2 one-time, 3 long-term.
    pub r#type: i64,
}

#[derive(Deserialize)]
struct SubscribeTemplatesWire {
    #[serde(default)]
    data: Vec<SubscribeTemplate>,
}

endpoint! {
    /// Lists the account's subscribe-notification templates, `GET /wxaapi/newtmpl/gettemplate`.
    GetSubscribeTemplates: GET "/wxaapi/newtmpl/gettemplate" => Vec<SubscribeTemplate>, from SubscribeTemplatesWire => data {}
}

crate::facade!(
    /// `client.template()`: wechatpy's `client.template` group.
    TemplateApi
);

impl<'c, C: Caller + ?Sized> TemplateApi<'c, C> {
    /// Sets the industries (wechatpy `template.set_industry`).
    pub fn set_industry(&self, industry_id1: u32, industry_id2: u32) -> C::Ret<'c, ApiOk> {
        self.0.call(SetIndustry {
            industry_id1: alloc::format!("{industry_id1}"),
            industry_id2: alloc::format!("{industry_id2}"),
        })
    }

    /// The industries (wechatpy `template.get_industry`).
    pub fn get_industry(&self) -> C::Ret<'c, Industry> {
        self.0.call(GetIndustry {})
    }

    /// Adds a library template; returns its id (wechatpy `template.get`).
    pub fn get(&self, template_id_short: &str) -> C::Ret<'c, String> {
        self.0.call(AddTemplate {
            template_id_short: template_id_short.into(),
            keyword_name_list: Vec::new(),
        })
    }

    /// Same as [`TemplateApi::get`] (wechatpy `template.add`).
    pub fn add(&self, template_id_short: &str) -> C::Ret<'c, String> {
        self.get(template_id_short)
    }

    /// The account's templates (wechatpy `template.get_all_private_template`).
    pub fn get_all_private_template(&self) -> C::Ret<'c, Vec<PrivateTemplate>> {
        self.0.call(GetAllPrivateTemplate {})
    }

    /// Deletes a template (wechatpy `template.del_private_template`).
    pub fn del_private_template(&self, template_id: &str) -> C::Ret<'c, ApiOk> {
        self.0.call(DelPrivateTemplate {
            template_id: template_id.into(),
        })
    }

    /// Adds a subscribe-notification template; returns its `priTmplId` (wechatpy
    /// `template.add_subscribe_message_template`).
    pub fn add_subscribe_message_template(&self, tid: &str, keywords: &[i64], description: &str) -> C::Ret<'c, String> {
        self.0.call(AddSubscribeTemplate {
            tid: tid.into(),
            kid_list: keywords.into(),
            scene_desc: description.into(),
        })
    }

    /// Deletes a subscribe-notification template (wechatpy
    /// `template.del_subscribe_message_template`).
    pub fn del_subscribe_message_template(&self, template_id: &str) -> C::Ret<'c, ApiOk> {
        self.0.call(DelSubscribeTemplate {
            pri_tmpl_id: template_id.into(),
        })
    }

    /// The account's categories (wechatpy `template.get_category`).
    pub fn get_category(&self) -> C::Ret<'c, Vec<Category>> {
        self.0.call(GetCategory {})
    }

    /// A library title's keywords (wechatpy
    /// `template.get_subscribe_message_template_keywords`).
    pub fn get_subscribe_message_template_keywords(&self, tid: &str) -> C::Ret<'c, TemplateKeywords> {
        self.0.call(GetTemplateKeywords { tid: tid.into() })
    }

    /// Library titles of categories `ids` (comma separated), `limit` (≤ 30) from `start`
    /// (wechatpy `template.get_subscribe_message_template_titles`, which omits the required
    /// `ids`).
    pub fn get_subscribe_message_template_titles(
        &self,
        ids: &str,
        start: u32,
        limit: u32,
    ) -> C::Ret<'c, TemplateTitles> {
        self.0.call(GetTemplateTitles {
            ids: ids.into(),
            start,
            limit,
        })
    }

    /// The account's subscribe-notification templates (wechatpy
    /// `template.get_subscribe_message_templates`).
    pub fn get_subscribe_message_templates(&self) -> C::Ret<'c, Vec<SubscribeTemplate>> {
        self.0.call(GetSubscribeTemplates {})
    }
}

/// This group's endpoints, one list per declaration file, for the [registry](crate::api::registry).
pub(crate) const REGISTRY: &[&[crate::api::registry::Info]] = &[];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Endpoint;
    use crate::api::mp::testing::MockCaller;
    use crate::http::{Idempotency, Method};
    use crate::secret::AccessToken;

    fn post(mock: &MockCaller, path: &str, idem: Idempotency) -> String {
        let req = mock.request();
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.path, path);
        assert_eq!(req.idempotency, idem);
        mock.body()
    }

    fn get_url(mock: &MockCaller) -> String {
        let req = mock.request();
        assert_eq!(req.method, Method::Get);
        assert_eq!(req.idempotency, Idempotency::Idempotent);
        req.url("https://api.weixin.qq.com", Some(&AccessToken::new("T")))
    }

    #[test]
    fn industry() {
        let mock = MockCaller::default();
        TemplateApi::new(&mock).set_industry(1, 4).unwrap();
        assert_eq!(
            post(&mock, "/cgi-bin/template/api_set_industry", Idempotency::Idempotent),
            r#"{"industry_id1":"1","industry_id2":"4"}"#
        );
        let mock = MockCaller::answering(
            r#"{"primary_industry":{"first_class":"运输与仓储","second_class":"快递"},"secondary_industry":{"first_class":"IT科技","second_class":"互联网|电子商务"}}"#,
        );
        let industry = TemplateApi::new(&mock).get_industry().unwrap();
        assert_eq!(
            get_url(&mock),
            "https://api.weixin.qq.com/cgi-bin/template/get_industry?access_token=T"
        );
        assert_eq!(industry.primary_industry.second_class, "快递");
        assert_eq!(industry.secondary_industry.first_class, "IT科技");
    }

    #[test]
    fn private_templates() {
        let mock = MockCaller::answering(
            r#"{"errcode":0,"errmsg":"ok","template_id":"Doclyl5uP7Aciu-qZ7mJNPtWkbkYnWBWVja26EGbNyk"}"#,
        );
        let id = TemplateApi::new(&mock).add("TM00015").unwrap();
        assert_eq!(id, "Doclyl5uP7Aciu-qZ7mJNPtWkbkYnWBWVja26EGbNyk");
        assert_eq!(
            post(&mock, "/cgi-bin/template/api_add_template", Idempotency::NonIdempotent),
            r#"{"template_id_short":"TM00015"}"#
        );
        let with_keywords = AddTemplate {
            template_id_short: "TM1".into(),
            keyword_name_list: alloc::vec!["物品名称".into()],
        };
        assert_eq!(
            with_keywords.request().unwrap().body.unwrap().bytes,
            r#"{"template_id_short":"TM1","keyword_name_list":["物品名称"]}"#.as_bytes()
        );

        let mock = MockCaller::answering(
            r#"{"template_list":[{"template_id":"iPk5sOIt5X_flOVKn5GrTFpncEYTojx6ddbt8WYoV5s","title":"领取奖金提醒","primary_industry":"IT科技","deputy_industry":"互联网|电子商务","content":"{ {result.DATA} }\n\n领奖金额:{ {withdrawMoney.DATA} }\n","example":"您已提交领奖申请\n\n领奖金额：xxxx元\n"}]}"#,
        );
        let list = TemplateApi::new(&mock).get_all_private_template().unwrap();
        assert_eq!(
            get_url(&mock),
            "https://api.weixin.qq.com/cgi-bin/template/get_all_private_template?access_token=T"
        );
        assert_eq!(list[0].title, "领取奖金提醒");
        assert!(list[0].content.contains('\n'));

        let mock = MockCaller::default();
        TemplateApi::new(&mock)
            .del_private_template("Dyvp3-Ff0cnail_CDSzk1fIc6-9lOkxsQE7exTJbwUE")
            .unwrap();
        assert_eq!(
            post(&mock, "/cgi-bin/template/del_private_template", Idempotency::Idempotent),
            r#"{"template_id":"Dyvp3-Ff0cnail_CDSzk1fIc6-9lOkxsQE7exTJbwUE"}"#
        );
    }

    #[test]
    fn subscribe_templates() {
        let mock = MockCaller::answering(
            r#"{"errcode":0,"errmsg":"ok","priTmplId":"9Aw5ZV1j9xdWTFEkqCpZ7mIBbSC34khK55OtzUPl0rU"}"#,
        );
        let id = TemplateApi::new(&mock)
            .add_subscribe_message_template("401", &[1, 2], "测试数据")
            .unwrap();
        assert_eq!(id, "9Aw5ZV1j9xdWTFEkqCpZ7mIBbSC34khK55OtzUPl0rU");
        assert_eq!(
            post(&mock, "/wxaapi/newtmpl/addtemplate", Idempotency::NonIdempotent),
            r#"{"tid":"401","kidList":[1,2],"sceneDesc":"测试数据"}"#
        );

        let mock = MockCaller::default();
        TemplateApi::new(&mock)
            .del_subscribe_message_template("wDYzYZVxobJivW9oMpSCpuvACOfJXQIoKUm0PY397Tc")
            .unwrap();
        assert_eq!(
            post(&mock, "/wxaapi/newtmpl/deltemplate", Idempotency::Idempotent),
            r#"{"priTmplId":"wDYzYZVxobJivW9oMpSCpuvACOfJXQIoKUm0PY397Tc"}"#
        );

        let mock = MockCaller::answering(
            r#"{"data":[{"id":616,"name":"公交"},{"id":627,"name":"导航"}],"errcode":0,"errmsg":"ok"}"#,
        );
        let cats = TemplateApi::new(&mock).get_category().unwrap();
        assert_eq!(
            get_url(&mock),
            "https://api.weixin.qq.com/wxaapi/newtmpl/getcategory?access_token=T"
        );
        assert_eq!((cats[1].id, cats[1].name.as_str()), (627, "导航"));

        let mock = MockCaller::answering(
            r#"{"count":2,"data":[{"kid":1,"name":"物品名称","example":"名称","rule":"thing"},{"kid":2,"name":"购买时间","example":"2019年10月1日","rule":"time"}],"errcode":0,"errmsg":"ok"}"#,
        );
        let kw = TemplateApi::new(&mock)
            .get_subscribe_message_template_keywords("99")
            .unwrap();
        assert_eq!(
            get_url(&mock),
            "https://api.weixin.qq.com/wxaapi/newtmpl/getpubtemplatekeywords?access_token=T&tid=99"
        );
        assert_eq!((kw.count, kw.data[1].rule.as_str()), (2, "time"));

        let mock = MockCaller::answering(
            r#"{"errcode":0,"errmsg":"ok","count":55,"data":[{"tid":99,"title":"付款成功通知","type":2,"categoryId":"616"}]}"#,
        );
        let titles = TemplateApi::new(&mock)
            .get_subscribe_message_template_titles("2,616", 0, 1)
            .unwrap();
        assert_eq!(
            get_url(&mock),
            "https://api.weixin.qq.com/wxaapi/newtmpl/getpubtemplatetitles?access_token=T&ids=2%2C616&start=0&limit=1"
        );
        assert_eq!(titles.count, 55);
        assert_eq!(titles.data[0].category_id, "616");
        assert_eq!(titles.data[0].r#type, 2);

        let mock = MockCaller::answering(
            r#"{"errcode":0,"errmsg":"ok","data":[{"priTmplId":"9Aw5ZV1j9xdWTFEkqCpZ7mIBbSC34khK55OtzUPl0rU","title":"报名结果通知","content":"会议时间:{{date2.DATA}}\n会议地点:{{thing1.DATA}}\n","example":"会议时间:2016年8月8日\n会议地点:TIT会议室\n","type":2,"keywordEnumValueList":[]}]}"#,
        );
        let mine = TemplateApi::new(&mock).get_subscribe_message_templates().unwrap();
        assert_eq!(
            get_url(&mock),
            "https://api.weixin.qq.com/wxaapi/newtmpl/gettemplate?access_token=T"
        );
        assert_eq!(mine[0].title, "报名结果通知");
    }
}
