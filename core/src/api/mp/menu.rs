//! Custom menus (wechatpy `client.menu`): the default menu, conditional (personalised)
//! menus, and the menu configuration as set in the web console.
//!
//! Docs: <https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Creating_Custom-Defined_Menu.html>

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::api::json::{self, ApiOk};
use crate::api::mp::de;
use crate::api::{Caller, Endpoint};
use crate::endpoint;
use crate::error::Error;
use crate::http::{ApiRequest, ApiResponse};

/// One menu button: a top-level entry (up to 3) or a sub-button (up to 5 per entry).
///
/// Build them with the constructors ([`MenuButton::click`], [`MenuButton::view`],
/// [`MenuButton::parent`], ...). Unknown fields of a fetched menu are ignored; a button type
/// this crate does not know is kept as its string.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MenuButton {
    /// `click`, `view`, `miniprogram`, `scancode_push`, `scancode_waitmsg`, `pic_sysphoto`,
    /// `pic_photo_or_album`, `pic_weixin`, `location_select`, `media_id`, `article_id`,
    /// `article_view_limited`, `view_limited`; absent on a parent button.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// The label: at most 16 bytes on top level, 60 bytes on sub-buttons.
    pub name: String,
    /// The event key of `click` and the scan/picture/location types (at most 128 bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The page of `view` (and the fallback page of `miniprogram`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A permanent material id (`media_id`, `view_limited`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    /// A published article id (`article_id`, `article_view_limited`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub article_id: Option<String>,
    /// The mini program appid (`miniprogram`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// The mini program page (`miniprogram`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagepath: Option<String>,
    /// The sub-buttons of a parent button.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sub_button: Vec<MenuButton>,
}

impl MenuButton {
    fn typed(kind: &str, name: impl Into<String>) -> Self {
        Self {
            r#type: Some(kind.into()),
            name: name.into(),
            ..Self::default()
        }
    }

    fn keyed(kind: &str, name: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            key: Some(key.into()),
            ..Self::typed(kind, name)
        }
    }

    /// A `click` button: WeChat pushes a `CLICK` event with `key`.
    pub fn click(name: impl Into<String>, key: impl Into<String>) -> Self {
        Self::keyed("click", name, key)
    }

    /// A `view` button opening `url`.
    pub fn view(name: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            url: Some(url.into()),
            ..Self::typed("view", name)
        }
    }

    /// A `miniprogram` button opening `pagepath` of mini program `appid`; clients too old
    /// for mini programs open `url`.
    pub fn miniprogram(
        name: impl Into<String>,
        url: impl Into<String>,
        appid: impl Into<String>,
        pagepath: impl Into<String>,
    ) -> Self {
        Self {
            url: Some(url.into()),
            appid: Some(appid.into()),
            pagepath: Some(pagepath.into()),
            ..Self::typed("miniprogram", name)
        }
    }

    /// A `scancode_push` button (scan, then push a `scancode_push` event).
    pub fn scancode_push(name: impl Into<String>, key: impl Into<String>) -> Self {
        Self::keyed("scancode_push", name, key)
    }

    /// A `scancode_waitmsg` button (scan, then wait for the account's reply).
    pub fn scancode_waitmsg(name: impl Into<String>, key: impl Into<String>) -> Self {
        Self::keyed("scancode_waitmsg", name, key)
    }

    /// A `pic_sysphoto` button (take a photo).
    pub fn pic_sysphoto(name: impl Into<String>, key: impl Into<String>) -> Self {
        Self::keyed("pic_sysphoto", name, key)
    }

    /// A `pic_photo_or_album` button (photo or album).
    pub fn pic_photo_or_album(name: impl Into<String>, key: impl Into<String>) -> Self {
        Self::keyed("pic_photo_or_album", name, key)
    }

    /// A `pic_weixin` button (pick from the WeChat album).
    pub fn pic_weixin(name: impl Into<String>, key: impl Into<String>) -> Self {
        Self::keyed("pic_weixin", name, key)
    }

    /// A `location_select` button (send a location).
    pub fn location_select(name: impl Into<String>, key: impl Into<String>) -> Self {
        Self::keyed("location_select", name, key)
    }

    /// A `media_id` button sending a permanent material.
    pub fn media(name: impl Into<String>, media_id: impl Into<String>) -> Self {
        Self {
            media_id: Some(media_id.into()),
            ..Self::typed("media_id", name)
        }
    }

    /// A `view_limited` button opening a permanent news material.
    pub fn view_limited(name: impl Into<String>, media_id: impl Into<String>) -> Self {
        Self {
            media_id: Some(media_id.into()),
            ..Self::typed("view_limited", name)
        }
    }

    /// An `article_id` button sending a published article.
    pub fn article(name: impl Into<String>, article_id: impl Into<String>) -> Self {
        Self {
            article_id: Some(article_id.into()),
            ..Self::typed("article_id", name)
        }
    }

    /// An `article_view_limited` button opening a published article.
    pub fn article_view_limited(name: impl Into<String>, article_id: impl Into<String>) -> Self {
        Self {
            article_id: Some(article_id.into()),
            ..Self::typed("article_view_limited", name)
        }
    }

    /// A parent button holding up to 5 sub-buttons.
    pub fn parent(name: impl Into<String>, sub_buttons: Vec<MenuButton>) -> Self {
        Self {
            name: name.into(),
            sub_button: sub_buttons,
            ..Self::default()
        }
    }
}

/// Who sees a conditional menu. At least one field must be set. WeChat sends some of these
/// as numbers and some as strings; both are accepted and kept as strings.
///
/// Since 2021 WeChat rejects rules on personal data (sex, region, language) with 65320 and
/// ignores existing ones; `tag_id` and `client_platform_type` remain.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MatchRule {
    /// A user tag id.
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_string")]
    pub tag_id: Option<String>,
    /// The legacy group id (older menus).
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_string")]
    pub group_id: Option<String>,
    /// `1` male, `2` female (no longer honoured).
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_string")]
    pub sex: Option<String>,
    /// Country (no longer honoured).
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_string")]
    pub country: Option<String>,
    /// Province (no longer honoured).
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_string")]
    pub province: Option<String>,
    /// City (no longer honoured).
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_string")]
    pub city: Option<String>,
    /// `1` iOS, `2` Android, `3` others.
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_string")]
    pub client_platform_type: Option<String>,
    /// Client language, `zh_CN`... (no longer honoured).
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_string")]
    pub language: Option<String>,
}

impl MatchRule {
    /// A rule matching the users with tag `tag_id`.
    pub fn tag(tag_id: i64) -> Self {
        Self {
            tag_id: Some(alloc::format!("{tag_id}")),
            ..Self::default()
        }
    }
}

/// A menu: buttons, plus, for conditional menus, its rule and id.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Menu {
    /// The top-level buttons (1 to 3).
    pub button: Vec<MenuButton>,
    /// The rule of a conditional menu.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matchrule: Option<MatchRule>,
    /// The menu id (present when conditional menus exist).
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_string")]
    pub menuid: Option<String>,
}

/// The menus created through the API (`cgi-bin/menu/get`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MenuConfig {
    /// The default menu.
    pub menu: Menu,
    /// The conditional menus, newest first as WeChat matches them.
    pub conditionalmenu: Vec<Menu>,
}

/// `errcode` 46003: the account has no menu.
pub const NO_MENU: i64 = 46003;

/// Gets the API-created menus, `GET /cgi-bin/menu/get` (wechatpy `menu.get`). Like wechatpy,
/// "no menu" (46003) is `Ok(None)`, not an error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GetMenu;

impl Endpoint for GetMenu {
    type Output = Option<MenuConfig>;

    fn request(&self) -> Result<ApiRequest, Error> {
        Ok(ApiRequest::get("/cgi-bin/menu/get"))
    }

    fn parse(&self, response: ApiResponse) -> Result<Option<MenuConfig>, Error> {
        match json::parse_json(&response) {
            Ok(config) => Ok(Some(config)),
            Err(Error::Api(e)) if e.code == NO_MENU => Ok(None),
            Err(e) => Err(e),
        }
    }
}

endpoint! {
    /// Creates (replaces) the default menu, `POST /cgi-bin/menu/create` (wechatpy
    /// `menu.create` / `menu.update`). Idempotent: it sets the whole menu.
    CreateMenu: POST "/cgi-bin/menu/create" [Idempotent] => ApiOk {
        /// The top-level buttons (1 to 3).
        button: Vec<MenuButton>,
    }
}

endpoint! {
    /// Deletes every menu, default and conditional, `GET /cgi-bin/menu/delete`.
    DeleteMenu: GET "/cgi-bin/menu/delete" => ApiOk {}
}

/// The account's news and text buttons as set in the web console or by the API
/// (`cgi-bin/get_current_selfmenu_info`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SelfMenuInfo {
    /// 1 when the menu is on.
    pub is_menu_open: i64,
    /// The menu, absent when there is none.
    pub selfmenu_info: Option<SelfMenu>,
}

/// The buttons of a [`SelfMenuInfo`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SelfMenu {
    /// The top-level buttons.
    pub button: Vec<SelfMenuButton>,
}

/// One button as the console describes it: the API types plus `text`, `img`, `voice`,
/// `video` and `news`, whose payload is in `value` / `news_info`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SelfMenuButton {
    /// The button type; absent on parents.
    pub r#type: Option<String>,
    /// The label.
    pub name: String,
    /// The key of `click`-like buttons.
    pub key: Option<String>,
    /// The page of `view` buttons.
    pub url: Option<String>,
    /// Text content, a media id, or a video URL, depending on the type.
    pub value: Option<String>,
    /// The sub-buttons, as `{"list": [...]}`.
    pub sub_button: Option<SelfMenuList>,
    /// The articles of a `news` button, as `{"list": [...]}`.
    pub news_info: Option<NewsInfoList>,
}

/// `{"list": [buttons]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SelfMenuList {
    /// The buttons.
    pub list: Vec<SelfMenuButton>,
}

/// `{"list": [articles]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct NewsInfoList {
    /// The articles.
    pub list: Vec<NewsInfo>,
}

/// One article of a console news reply or button.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct NewsInfo {
    /// Title.
    pub title: String,
    /// Author.
    pub author: Option<String>,
    /// Summary.
    pub digest: Option<String>,
    /// 1 when the cover is shown in the body.
    pub show_cover: Option<i64>,
    /// Cover image URL.
    pub cover_url: Option<String>,
    /// Article URL.
    pub content_url: Option<String>,
    /// "Read the original" URL.
    pub source_url: Option<String>,
}

endpoint! {
    /// Gets the menu configuration including console-made buttons,
    /// `GET /cgi-bin/get_current_selfmenu_info` (wechatpy `menu.get_menu_info`).
    GetMenuInfo: GET "/cgi-bin/get_current_selfmenu_info" => SelfMenuInfo {}
}

#[derive(Deserialize)]
struct MenuIdWire {
    #[serde(default, deserialize_with = "de::string")]
    menuid: String,
}

endpoint! {
    /// Creates a conditional menu, `POST /cgi-bin/menu/addconditional`; returns its menu id.
    /// Not idempotent: each call adds one more menu.
    AddConditionalMenu: POST "/cgi-bin/menu/addconditional" => String, from MenuIdWire => menuid {
        /// The top-level buttons (1 to 3).
        button: Vec<MenuButton>,
        /// Who sees it.
        matchrule: MatchRule,
    }
}

endpoint! {
    /// Deletes a conditional menu, `POST /cgi-bin/menu/delconditional`.
    DelConditionalMenu: POST "/cgi-bin/menu/delconditional" [Idempotent] => ApiOk {
        /// The menu id from [`AddConditionalMenu`] or [`GetMenu`].
        menuid: String,
    }
}

endpoint! {
    /// Shows which menu a user would see, `POST /cgi-bin/menu/trymatch` (a read).
    TryMatchMenu: POST "/cgi-bin/menu/trymatch" [Idempotent] => Menu {
        /// An openid or a WeChat id.
        user_id: String,
    }
}

crate::facade!(
    /// `client.menu()`: wechatpy's `client.menu` group.
    MenuApi
);

impl<'c, C: Caller + ?Sized> MenuApi<'c, C> {
    /// The API-created menus; `None` when the account has none (wechatpy `menu.get`).
    pub fn get(&self) -> C::Ret<'c, Option<MenuConfig>> {
        self.0.call(GetMenu)
    }

    /// Creates (replaces) the default menu (wechatpy `menu.create`).
    pub fn create(&self, buttons: Vec<MenuButton>) -> C::Ret<'c, ApiOk> {
        self.0.call(CreateMenu { button: buttons })
    }

    /// Same as [`MenuApi::create`] (wechatpy `menu.update`).
    pub fn update(&self, buttons: Vec<MenuButton>) -> C::Ret<'c, ApiOk> {
        self.create(buttons)
    }

    /// Deletes all menus (wechatpy `menu.delete`).
    pub fn delete(&self) -> C::Ret<'c, ApiOk> {
        self.0.call(DeleteMenu {})
    }

    /// The configuration including console-made buttons (wechatpy `menu.get_menu_info`).
    pub fn get_menu_info(&self) -> C::Ret<'c, SelfMenuInfo> {
        self.0.call(GetMenuInfo {})
    }

    /// Creates a conditional menu; returns its id (wechatpy `menu.add_conditional`).
    pub fn add_conditional(&self, buttons: Vec<MenuButton>, matchrule: MatchRule) -> C::Ret<'c, String> {
        self.0.call(AddConditionalMenu {
            button: buttons,
            matchrule,
        })
    }

    /// Deletes a conditional menu (wechatpy `menu.del_conditional`).
    pub fn del_conditional(&self, menu_id: &str) -> C::Ret<'c, ApiOk> {
        self.0.call(DelConditionalMenu { menuid: menu_id.into() })
    }

    /// The menu an openid or WeChat id would see (wechatpy `menu.try_match`).
    pub fn try_match(&self, user_id: &str) -> C::Ret<'c, Menu> {
        self.0.call(TryMatchMenu {
            user_id: user_id.into(),
        })
    }
}

/// This group's endpoints, one list per declaration file, for the [registry](crate::api::registry).
pub(crate) const REGISTRY: &[&[crate::api::registry::Info]] = &[];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::mp::testing::MockCaller;
    use crate::error::ResponseError;
    use crate::http::{Idempotency, Method};
    use alloc::vec;

    fn sample_buttons() -> Vec<MenuButton> {
        vec![
            MenuButton::click("今日歌曲", "V1001_TODAY_MUSIC"),
            MenuButton::parent(
                "菜单",
                vec![
                    MenuButton::view("搜索", "http://www.soso.com/"),
                    MenuButton::miniprogram(
                        "wxa",
                        "http://mp.weixin.qq.com",
                        "wx286b93c14bbf93aa",
                        "pages/lunar/index",
                    ),
                ],
            ),
        ]
    }

    #[test]
    fn create_sends_the_button_tree() {
        let mock = MockCaller::default();
        MenuApi::new(&mock).create(sample_buttons()).unwrap();
        let req = mock.request();
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.path, "/cgi-bin/menu/create");
        assert_eq!(req.idempotency, Idempotency::Idempotent);
        assert_eq!(
            mock.body(),
            r#"{"button":[{"type":"click","name":"今日歌曲","key":"V1001_TODAY_MUSIC"},{"name":"菜单","sub_button":[{"type":"view","name":"搜索","url":"http://www.soso.com/"},{"type":"miniprogram","name":"wxa","url":"http://mp.weixin.qq.com","appid":"wx286b93c14bbf93aa","pagepath":"pages/lunar/index"}]}]}"#
        );
    }

    #[test]
    fn get_parses_default_and_conditional_menus() {
        let body = r#"{"menu":{"button":[{"type":"click","name":"今日歌曲","key":"V1001_TODAY_MUSIC","sub_button":[]},{"name":"菜单","sub_button":[{"type":"view","name":"搜索","url":"http://www.soso.com/","sub_button":[]}]}],"menuid":208396938},"conditionalmenu":[{"button":[{"type":"click","name":"今日歌曲","key":"V1001_TODAY_MUSIC","sub_button":[]}],"matchrule":{"group_id":2,"sex":1,"country":"中国","province":"广东","city":"广州","client_platform_type":2},"menuid":208396993}]}"#;
        let mock = MockCaller::answering(body);
        let config = MenuApi::new(&mock).get().unwrap().unwrap();
        let req = mock.request();
        assert_eq!((req.method, req.path.as_ref()), (Method::Get, "/cgi-bin/menu/get"));
        assert_eq!(config.menu.menuid.as_deref(), Some("208396938"));
        assert_eq!(config.menu.button[1].sub_button[0].name, "搜索");
        let rule = config.conditionalmenu[0].matchrule.as_ref().unwrap();
        assert_eq!(rule.sex.as_deref(), Some("1"));
        assert_eq!(rule.city.as_deref(), Some("广州"));
        assert_eq!(rule.client_platform_type.as_deref(), Some("2"));
    }

    #[test]
    fn get_classifies_errors() {
        // no menu: not an error, as in wechatpy
        let none = GetMenu
            .parse(ApiResponse::json(&br#"{"errcode":46003,"errmsg":"menu no exist"}"#[..]))
            .unwrap();
        assert_eq!(none, None);
        // any other WeChat error is one
        let err = GetMenu
            .parse(ApiResponse::json(
                &br#"{"errcode":40001,"errmsg":"invalid credential"}"#[..],
            ))
            .unwrap_err();
        assert!(matches!(err, Error::Api(e) if e.code == 40001));
        // an HTML error page keeps its status and body
        let err = GetMenu
            .parse(ApiResponse::new(502, &b"<html>bad gateway</html>"[..]))
            .unwrap_err();
        assert!(matches!(
            err,
            Error::Response(ResponseError::Status { status: 502, .. })
        ));
        // a truncated body is a decode error, not a panic
        let err = GetMenu
            .parse(ApiResponse::json(&br#"{"menu":{"button":[{"#[..]))
            .unwrap_err();
        assert!(matches!(err, Error::Response(ResponseError::Decode { .. })));
    }

    #[test]
    fn delete_and_menu_info() {
        let req = DeleteMenu {}.request().unwrap();
        assert_eq!(
            (req.method, req.path.as_ref(), req.query.len()),
            (Method::Get, "/cgi-bin/menu/delete", 0)
        );
        let body = r#"{"is_menu_open":1,"selfmenu_info":{"button":[{"type":"click","name":"今日歌曲","key":"V1001_TODAY_MUSIC"},{"name":"菜单","sub_button":{"list":[{"type":"view","name":"搜索","url":"http://www.soso.com/"},{"type":"news","name":"图文","value":"KQb_w_Tiz-nSdVLoTV35Psmty8hGBulGhEdbb9SKs-o","news_info":{"list":[{"title":"MULTI_NEWS","author":"JIMZHENG","digest":"text","show_cover":0,"cover_url":"http://mmbiz.qpic.cn/cover","content_url":"http://mp.weixin.qq.com/s?__biz=1","source_url":""}]}}]}},{"type":"text","name":"文本","value":"hello"}]}}"#;
        let mock = MockCaller::answering(body);
        let info = MenuApi::new(&mock).get_menu_info().unwrap();
        assert_eq!(mock.request().path, "/cgi-bin/get_current_selfmenu_info");
        assert_eq!(info.is_menu_open, 1);
        let buttons = &info.selfmenu_info.unwrap().button;
        let subs = &buttons[1].sub_button.as_ref().unwrap().list;
        assert_eq!(
            subs[1].news_info.as_ref().unwrap().list[0].author.as_deref(),
            Some("JIMZHENG")
        );
        assert_eq!(buttons[2].value.as_deref(), Some("hello"));
    }

    #[test]
    fn conditional_menus() {
        let mock = MockCaller::answering(r#"{"menuid":"208379533"}"#);
        let id = MenuApi::new(&mock)
            .add_conditional(
                vec![MenuButton::click("a", "K")],
                MatchRule {
                    client_platform_type: Some("2".into()),
                    ..MatchRule::tag(2)
                },
            )
            .unwrap();
        assert_eq!(id, "208379533");
        let req = mock.request();
        assert_eq!(req.path, "/cgi-bin/menu/addconditional");
        assert_eq!(req.idempotency, Idempotency::NonIdempotent);
        assert_eq!(
            mock.body(),
            r#"{"button":[{"type":"click","name":"a","key":"K"}],"matchrule":{"tag_id":"2","client_platform_type":"2"}}"#
        );
        // numeric menu ids too
        let id = AddConditionalMenu::default()
            .parse(ApiResponse::json(&br#"{"menuid":401550287}"#[..]))
            .unwrap();
        assert_eq!(id, "401550287");

        let mock = MockCaller::default();
        MenuApi::new(&mock).del_conditional("208379533").unwrap();
        assert_eq!(mock.request().path, "/cgi-bin/menu/delconditional");
        assert_eq!(mock.request().idempotency, Idempotency::Idempotent);
        assert_eq!(mock.body(), r#"{"menuid":"208379533"}"#);
    }

    #[test]
    fn try_match() {
        let mock = MockCaller::answering(
            r#"{"button":[{"type":"view","name":"tx","url":"http://www.qq.com/","sub_button":[]}]}"#,
        );
        let menu = MenuApi::new(&mock).try_match("weixin").unwrap();
        assert_eq!(mock.request().path, "/cgi-bin/menu/trymatch");
        assert_eq!(mock.body(), r#"{"user_id":"weixin"}"#);
        assert_eq!(menu.button[0].url.as_deref(), Some("http://www.qq.com/"));
        assert_eq!(menu.matchrule, None);
    }

    #[test]
    fn button_constructors_round_trip() {
        let all = vec![
            MenuButton::scancode_push("a", "k1"),
            MenuButton::scancode_waitmsg("b", "k2"),
            MenuButton::pic_sysphoto("c", "k3"),
            MenuButton::pic_photo_or_album("d", "k4"),
            MenuButton::pic_weixin("e", "k5"),
            MenuButton::location_select("f", "k6"),
            MenuButton::media("g", "MEDIA"),
            MenuButton::view_limited("h", "MEDIA2"),
            MenuButton::article("i", "ART"),
            MenuButton::article_view_limited("j", "ART2"),
        ];
        let kinds: Vec<_> = all.iter().map(|b| b.r#type.as_deref().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "scancode_push",
                "scancode_waitmsg",
                "pic_sysphoto",
                "pic_photo_or_album",
                "pic_weixin",
                "location_select",
                "media_id",
                "view_limited",
                "article_id",
                "article_view_limited"
            ]
        );
        let bytes = serde_json::to_vec(&all).unwrap();
        let back: Vec<MenuButton> = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back, all);
    }
}
