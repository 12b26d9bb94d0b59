//! Active messages (wechatpy `client.message`): customer-service messages, template
//! messages, mass sends, one-time subscribe messages and subscribe notifications.
//!
//! Every send is [`NonIdempotent`](crate::http::Idempotency::NonIdempotent): after a −1 or a
//! transport failure the client returns the error instead of risking a duplicate message.
//!
//! Docs: <https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html>,
//! <https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html>,
//! <https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Batch_Sends_and_Originality_Checks.html>

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use crate::api::json::{self, ApiOk};
use crate::api::mp::de;
use crate::api::mp::menu::NewsInfoList;
use crate::api::{Caller, Endpoint};
use crate::endpoint;
use crate::error::Error;
use crate::http::{ApiRequest, ApiResponse};

// ---------------------------------------------------------------------------------------
// Customer-service messages
// ---------------------------------------------------------------------------------------

/// A video in a customer-service message.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Video {
    /// The uploaded video's media id.
    pub media_id: String,
    /// A thumbnail media id (the docs list it; WeChat accepts its absence).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumb_media_id: Option<String>,
    /// Title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A music message.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Music {
    /// Title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The music URL.
    pub musicurl: String,
    /// The high-quality music URL (used on Wi-Fi).
    pub hqmusicurl: String,
    /// The thumbnail media id.
    pub thumb_media_id: String,
}

/// One article of a `news` message (WeChat shows only one).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Article {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// The page opened on tap.
    pub url: String,
    /// The picture URL (wechatpy's `image` / `picurl`).
    pub picurl: String,
}

/// A link card (mini-program customer service `link` messages).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Link {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// The page opened on tap.
    pub url: String,
    /// The thumbnail URL.
    pub thumb_url: String,
}

/// A mini program card.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct MiniProgramPage {
    /// Title.
    pub title: String,
    /// The mini program's appid (linked to the account).
    pub appid: String,
    /// The page path.
    pub pagepath: String,
    /// The card image's media id.
    pub thumb_media_id: String,
}

/// One choice of a [`MsgMenu`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct MsgMenuItem {
    /// The id sent back in the user's reply (`bizmsgmenuid`).
    pub id: String,
    /// The text shown.
    pub content: String,
}

/// A message with tappable choices (`msgmenu`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct MsgMenu {
    /// Text before the choices.
    pub head_content: String,
    /// The choices.
    pub list: Vec<MsgMenuItem>,
    /// Text after the choices.
    pub tail_content: String,
}

/// The content of a customer-service message (`cgi-bin/message/custom/send`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CustomMessage {
    /// `text`.
    Text {
        /// The text; may hold `<a href>` links and mini program links.
        content: String,
    },
    /// `image`.
    Image {
        /// The uploaded image's media id.
        media_id: String,
    },
    /// `voice`.
    Voice {
        /// The uploaded voice's media id.
        media_id: String,
    },
    /// `video`.
    Video(Video),
    /// `music`.
    Music(Music),
    /// `news`: an external article card.
    News(Vec<Article>),
    /// `mpnews`: a news material by media id.
    MpNews {
        /// The material's media id.
        media_id: String,
    },
    /// `mpnewsarticle`: a published article by article id.
    MpNewsArticle {
        /// The published article's id.
        article_id: String,
    },
    /// `link` (wechatpy `send_link`).
    Link(Link),
    /// `wxcard`: a card or coupon.
    Card {
        /// The card id.
        card_id: String,
        /// The `card_ext` JSON string (see [`jsapi::CardExt`](super::jsapi::CardExt)).
        card_ext: Option<String>,
    },
    /// `miniprogrampage`.
    MiniProgramPage(MiniProgramPage),
    /// `msgmenu`.
    MsgMenu(MsgMenu),
}

#[derive(Serialize)]
struct Content<'a> {
    content: &'a str,
}

#[derive(Serialize)]
struct MediaId<'a> {
    media_id: &'a str,
}

#[derive(Serialize)]
struct Articles<'a> {
    articles: &'a [Article],
}

#[derive(Serialize)]
struct ArticleId<'a> {
    article_id: &'a str,
}

#[derive(Serialize)]
struct CardBody<'a> {
    card_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    card_ext: Option<&'a str>,
}

impl CustomMessage {
    /// A text message.
    pub fn text(content: impl Into<String>) -> Self {
        CustomMessage::Text {
            content: content.into(),
        }
    }

    /// An image message.
    pub fn image(media_id: impl Into<String>) -> Self {
        CustomMessage::Image {
            media_id: media_id.into(),
        }
    }

    /// A voice message.
    pub fn voice(media_id: impl Into<String>) -> Self {
        CustomMessage::Voice {
            media_id: media_id.into(),
        }
    }

    /// The `msgtype` value.
    pub fn msgtype(&self) -> &'static str {
        match self {
            CustomMessage::Text { .. } => "text",
            CustomMessage::Image { .. } => "image",
            CustomMessage::Voice { .. } => "voice",
            CustomMessage::Video(_) => "video",
            CustomMessage::Music(_) => "music",
            CustomMessage::News(_) => "news",
            CustomMessage::MpNews { .. } => "mpnews",
            CustomMessage::MpNewsArticle { .. } => "mpnewsarticle",
            CustomMessage::Link(_) => "link",
            CustomMessage::Card { .. } => "wxcard",
            CustomMessage::MiniProgramPage(_) => "miniprogrampage",
            CustomMessage::MsgMenu(_) => "msgmenu",
        }
    }

    /// Writes `"<msgtype>": {...}`.
    fn serialize_content<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        let key = self.msgtype();
        match self {
            CustomMessage::Text { content } => map.serialize_entry(key, &Content { content }),
            CustomMessage::Image { media_id }
            | CustomMessage::Voice { media_id }
            | CustomMessage::MpNews { media_id } => map.serialize_entry(key, &MediaId { media_id }),
            CustomMessage::Video(v) => map.serialize_entry(key, v),
            CustomMessage::Music(m) => map.serialize_entry(key, m),
            CustomMessage::News(articles) => map.serialize_entry(key, &Articles { articles }),
            CustomMessage::MpNewsArticle { article_id } => map.serialize_entry(key, &ArticleId { article_id }),
            CustomMessage::Link(l) => map.serialize_entry(key, l),
            CustomMessage::Card { card_id, card_ext } => map.serialize_entry(
                key,
                &CardBody {
                    card_id,
                    card_ext: card_ext.as_deref(),
                },
            ),
            CustomMessage::MiniProgramPage(p) => map.serialize_entry(key, p),
            CustomMessage::MsgMenu(m) => map.serialize_entry(key, m),
        }
    }
}

/// Sends a customer-service message, `POST /cgi-bin/message/custom/send` (wechatpy
/// `message.send_*`). Allowed within 48 hours of the user's last interaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendCustomMessage {
    /// The recipient's openid.
    pub touser: String,
    /// The message.
    pub message: CustomMessage,
    /// Send as this customer-service account (`kf2001@gh_xxx`; wechatpy `account=`).
    pub kf_account: Option<String>,
}

impl SendCustomMessage {
    /// A message to `touser`, sent as the account itself.
    pub fn new(touser: impl Into<String>, message: CustomMessage) -> Self {
        Self {
            touser: touser.into(),
            message,
            kf_account: None,
        }
    }

    /// Sends it as a customer-service account.
    pub fn with_kf_account(mut self, kf_account: impl Into<String>) -> Self {
        self.kf_account = Some(kf_account.into());
        self
    }
}

impl Serialize for SendCustomMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Kf<'a> {
            kf_account: &'a str,
        }
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("touser", &self.touser)?;
        map.serialize_entry("msgtype", self.message.msgtype())?;
        self.message.serialize_content(&mut map)?;
        if let Some(kf_account) = &self.kf_account {
            map.serialize_entry("customservice", &Kf { kf_account })?;
        }
        map.end()
    }
}

impl Endpoint for SendCustomMessage {
    type Output = ApiOk;

    fn request(&self) -> Result<ApiRequest, Error> {
        ApiRequest::post("/cgi-bin/message/custom/send").json_of(self)
    }

    fn parse(&self, response: ApiResponse) -> Result<ApiOk, Error> {
        json::parse_json(&response)
    }
}

// ---------------------------------------------------------------------------------------
// Template and subscribe messages
// ---------------------------------------------------------------------------------------

/// One value of a template message: `{"value": ..., "color": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TemplateValue {
    /// The text.
    pub value: String,
    /// A `#RRGGBB` colour (template messages only; ignored by WeChat since 2023).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

impl From<&str> for TemplateValue {
    fn from(value: &str) -> Self {
        Self {
            value: value.into(),
            color: None,
        }
    }
}

impl From<String> for TemplateValue {
    fn from(value: String) -> Self {
        Self { value, color: None }
    }
}

/// The `data` of a template or subscribe message: keyword → value.
///
/// ```
/// use wechat_core::api::mp::message::TemplateData;
/// let data = TemplateData::new().with("thing1", "Parcel").with_color("time2", "2024-01-01", "#173177");
/// assert_eq!(serde_json::to_string(&data).unwrap(),
///     r##"{"thing1":{"value":"Parcel"},"time2":{"value":"2024-01-01","color":"#173177"}}"##);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct TemplateData(pub BTreeMap<String, TemplateValue>);

impl TemplateData {
    /// Empty data.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `keyword` = `value`.
    pub fn with(mut self, keyword: impl Into<String>, value: impl Into<TemplateValue>) -> Self {
        self.0.insert(keyword.into(), value.into());
        self
    }

    /// Adds `keyword` = `value` in `color`.
    pub fn with_color(
        mut self,
        keyword: impl Into<String>,
        value: impl Into<String>,
        color: impl Into<String>,
    ) -> Self {
        self.0.insert(
            keyword.into(),
            TemplateValue {
                value: value.into(),
                color: Some(color.into()),
            },
        );
        self
    }
}

impl<K: Into<String>, V: Into<TemplateValue>> FromIterator<(K, V)> for TemplateData {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self(iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }
}

/// A mini program page a message opens.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct MiniProgramLink {
    /// The mini program's appid (linked to the account).
    pub appid: String,
    /// The page path with query (`index?foo=bar`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagepath: Option<String>,
}

#[derive(Deserialize)]
struct MsgIdWire {
    #[serde(default, deserialize_with = "de::int")]
    msgid: i64,
}

endpoint! {
    /// Sends a template message, `POST /cgi-bin/message/template/send` (wechatpy
    /// `message.send_template`); returns the `msgid`.
    SendTemplate: POST "/cgi-bin/message/template/send" => i64, from MsgIdWire => msgid {
        /// The recipient's openid.
        touser: String,
        /// The template id.
        template_id: String,
        /// The page opened on tap.
        #[serde(skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        /// The mini program opened on tap (wins over `url`).
        #[serde(skip_serializing_if = "Option::is_none")]
        miniprogram: Option<MiniProgramLink>,
        /// A de-duplication id: WeChat drops a second send with the same id.
        #[serde(skip_serializing_if = "Option::is_none")]
        client_msg_id: Option<String>,
        /// The keyword values.
        data: TemplateData,
    }
}

endpoint! {
    /// Sends a one-time subscribe message after the user consented on the
    /// [`subscribe_authorize_url`] page, `POST /cgi-bin/message/template/subscribe` (wechatpy
    /// `message.send_subscribe_template`).
    SendSubscribeTemplate: POST "/cgi-bin/message/template/subscribe" => ApiOk {
        /// The recipient's openid.
        touser: String,
        /// The one-time template id.
        template_id: String,
        /// The page opened on tap.
        #[serde(skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        /// The mini program opened on tap.
        #[serde(skip_serializing_if = "Option::is_none")]
        miniprogram: Option<MiniProgramLink>,
        /// The scene value the user consented under (0-10000).
        scene: String,
        /// The title (at most 15 characters).
        title: String,
        /// `{"content": {"value": ..., "color": ...}}`.
        data: TemplateData,
    }
}

endpoint! {
    /// Sends a subscribe notification, `POST /cgi-bin/message/subscribe/bizsend` (wechatpy
    /// `message.send_subscribe_message`).
    SendSubscribeMessage: POST "/cgi-bin/message/subscribe/bizsend" => ApiOk {
        /// The recipient's openid.
        touser: String,
        /// The subscribe template id (`priTmplId`).
        template_id: String,
        /// The page opened on tap.
        #[serde(skip_serializing_if = "Option::is_none")]
        page: Option<String>,
        /// The mini program opened on tap.
        #[serde(skip_serializing_if = "Option::is_none")]
        miniprogram: Option<MiniProgramLink>,
        /// The keyword values (`{"thing1": {"value": ...}}`).
        data: TemplateData,
    }
}

/// The page where a user consents to one one-time subscribe message (wechatpy
/// `message.get_subscribe_authorize_url`): open it in WeChat; WeChat then redirects to
/// `redirect_url` with `openid`, `template_id`, `action`, `scene` and `reserved`.
///
/// `reserved` comes back unchanged: use a random value and check it (CSRF protection).
pub fn subscribe_authorize_url(
    appid: &str,
    scene: u32,
    template_id: &str,
    redirect_url: &str,
    reserved: &str,
) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("action", "get_confirm")
        .append_pair("appid", appid)
        .append_pair("scene", &alloc::format!("{scene}"))
        .append_pair("template_id", template_id)
        .append_pair("redirect_url", redirect_url)
        .append_pair("reserved", reserved)
        .finish();
    alloc::format!("https://mp.weixin.qq.com/mp/subscribemsg?{query}#wechat_redirect")
}

// ---------------------------------------------------------------------------------------
// Mass messages
// ---------------------------------------------------------------------------------------

/// Who receives a mass message; decides the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MassTarget {
    /// Every follower: `message/mass/sendall` with `is_to_all: true`.
    All,
    /// The followers with a tag: `message/mass/sendall` with `tag_id`.
    Tag(i64),
    /// A list of 2 to 10 000 openids: `message/mass/send`.
    Openids(Vec<String>),
    /// A preview to one openid: `message/mass/preview` with `touser`.
    PreviewOpenid(String),
    /// A preview to one WeChat id: `message/mass/preview` with `towxname`.
    PreviewWxname(String),
}

impl MassTarget {
    /// A preview to `user`, treated as an openid when it looks like one (28 word characters
    /// or dashes, as wechatpy decides) and as a WeChat id otherwise.
    pub fn preview(user: impl Into<String>) -> Self {
        let user = user.into();
        let is_openid = user.chars().count() == 28 && user.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-');
        if is_openid {
            MassTarget::PreviewOpenid(user)
        } else {
            MassTarget::PreviewWxname(user)
        }
    }

    fn path(&self) -> &'static str {
        match self {
            MassTarget::All | MassTarget::Tag(_) => "/cgi-bin/message/mass/sendall",
            MassTarget::Openids(_) => "/cgi-bin/message/mass/send",
            MassTarget::PreviewOpenid(_) | MassTarget::PreviewWxname(_) => "/cgi-bin/message/mass/preview",
        }
    }
}

/// A video for a mass send: the media id comes from [`media::UploadVideo`](super::media::UploadVideo).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct MassVideo {
    /// The media id returned by `media/uploadvideo`.
    pub media_id: String,
    /// Title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The content of a mass message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MassMessage {
    /// `text`.
    Text {
        /// The text.
        content: String,
    },
    /// `image`.
    Image {
        /// The image's media id.
        media_id: String,
    },
    /// `voice`.
    Voice {
        /// The voice's media id.
        media_id: String,
    },
    /// `mpvideo`.
    Video(MassVideo),
    /// `mpnews`: a news material (wechatpy `send_mass_article`).
    MpNews {
        /// The media id from `media/uploadnews` or a permanent material.
        media_id: String,
    },
    /// `wxcard`.
    Card {
        /// The card id.
        card_id: String,
    },
}

#[derive(Serialize)]
struct CardId<'a> {
    card_id: &'a str,
}

impl MassMessage {
    /// The `msgtype` value.
    pub fn msgtype(&self) -> &'static str {
        match self {
            MassMessage::Text { .. } => "text",
            MassMessage::Image { .. } => "image",
            MassMessage::Voice { .. } => "voice",
            MassMessage::Video(_) => "mpvideo",
            MassMessage::MpNews { .. } => "mpnews",
            MassMessage::Card { .. } => "wxcard",
        }
    }

    fn serialize_content<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        let key = self.msgtype();
        match self {
            MassMessage::Text { content } => map.serialize_entry(key, &Content { content }),
            MassMessage::Image { media_id } | MassMessage::Voice { media_id } | MassMessage::MpNews { media_id } => {
                map.serialize_entry(key, &MediaId { media_id })
            }
            MassMessage::Video(v) => map.serialize_entry(key, v),
            MassMessage::Card { card_id } => map.serialize_entry(key, &CardId { card_id }),
        }
    }
}

/// Sends or previews a mass message: `POST /cgi-bin/message/mass/sendall`, `.../send` or
/// `.../preview` depending on the [`MassTarget`] (wechatpy `message.send_mass_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendMass {
    /// The recipients.
    pub target: MassTarget,
    /// The content.
    pub message: MassMessage,
    /// For `mpnews`: send even when the article is judged a reprint (wechatpy's
    /// `send_ignore_reprint`, sent as 0/1).
    pub send_ignore_reprint: bool,
    /// A de-duplication id (`clientmsgid`): WeChat refuses a second send with the same id
    /// within 24 hours, which makes retrying a failed mass send safe.
    pub client_msg_id: Option<String>,
}

impl SendMass {
    /// A mass message to `target`.
    pub fn new(target: MassTarget, message: MassMessage) -> Self {
        Self {
            target,
            message,
            send_ignore_reprint: false,
            client_msg_id: None,
        }
    }
}

impl Serialize for SendMass {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Filter {
            is_to_all: bool,
            #[serde(skip_serializing_if = "Option::is_none")]
            tag_id: Option<i64>,
        }
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("msgtype", self.message.msgtype())?;
        map.serialize_entry("send_ignore_reprint", &u8::from(self.send_ignore_reprint))?;
        if let Some(id) = &self.client_msg_id {
            map.serialize_entry("clientmsgid", id)?;
        }
        match &self.target {
            MassTarget::All => map.serialize_entry(
                "filter",
                &Filter {
                    is_to_all: true,
                    tag_id: None,
                },
            )?,
            MassTarget::Tag(tag_id) => map.serialize_entry(
                "filter",
                &Filter {
                    is_to_all: false,
                    tag_id: Some(*tag_id),
                },
            )?,
            MassTarget::Openids(openids) => map.serialize_entry("touser", openids)?,
            MassTarget::PreviewOpenid(openid) => map.serialize_entry("touser", openid)?,
            MassTarget::PreviewWxname(name) => map.serialize_entry("towxname", name)?,
        }
        self.message.serialize_content(&mut map)?;
        map.end()
    }
}

/// The answer to a mass send.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MassSent {
    /// The task id, for [`GetMass`] and [`DeleteMass`].
    #[serde(deserialize_with = "de::int")]
    pub msg_id: i64,
    /// The data id of an `mpnews` send (for statistics).
    #[serde(deserialize_with = "de::opt_int")]
    pub msg_data_id: Option<i64>,
}

impl Endpoint for SendMass {
    type Output = MassSent;

    fn request(&self) -> Result<ApiRequest, Error> {
        ApiRequest::post(self.target.path()).json_of(self)
    }

    fn parse(&self, response: ApiResponse) -> Result<MassSent, Error> {
        json::parse_json(&response)
    }
}

endpoint! {
    /// Deletes a sent mass message (or one of its articles), `POST /cgi-bin/message/mass/delete`.
    /// Idempotent: deleting again changes nothing.
    DeleteMass: POST "/cgi-bin/message/mass/delete" [Idempotent] => ApiOk {
        /// The task id.
        msg_id: i64,
        /// Which article to delete (1-based); all when absent.
        #[serde(skip_serializing_if = "Option::is_none")]
        article_idx: Option<u32>,
        /// The article URL, an alternative to `msg_id`.
        #[serde(skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    }
}

/// A mass message's status.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MassStatus {
    /// The task id.
    #[serde(deserialize_with = "de::int")]
    pub msg_id: i64,
    /// `SEND_SUCCESS`, `SENDING`, `SEND_FAIL` or `DELETE`.
    pub msg_status: String,
}

endpoint! {
    /// Gets a mass message's status, `POST /cgi-bin/message/mass/get` (a read).
    GetMass: POST "/cgi-bin/message/mass/get" [Idempotent] => MassStatus {
        /// The task id, as a string as WeChat documents it.
        msg_id: String,
    }
}

// ---------------------------------------------------------------------------------------
// Auto-reply configuration
// ---------------------------------------------------------------------------------------

/// The account's auto-reply rules as set in the console
/// (`cgi-bin/get_current_autoreply_info`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AutoReplyInfo {
    /// 1 when the reply on follow is on.
    pub is_add_friend_reply_open: i64,
    /// 1 when the default reply is on.
    pub is_autoreply_open: i64,
    /// The reply on follow.
    pub add_friend_autoreply_info: Option<AutoReply>,
    /// The default reply.
    pub message_default_autoreply_info: Option<AutoReply>,
    /// The keyword rules.
    pub keyword_autoreply_info: Option<KeywordRules>,
}

/// A reply: `text` content, or an `img`/`voice`/`video` media id.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AutoReply {
    /// `text`, `img`, `voice`, `video`, `news`.
    pub r#type: String,
    /// The text, media id or video URL.
    pub content: Option<String>,
    /// The articles of a `news` reply.
    pub news_info: Option<NewsInfoList>,
}

/// `{"list": [rules]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct KeywordRules {
    /// The rules.
    pub list: Vec<KeywordRule>,
}

/// One keyword rule.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct KeywordRule {
    /// The rule name.
    pub rule_name: String,
    /// Creation time, Unix seconds.
    pub create_time: u64,
    /// `reply_all` or `random_one`.
    pub reply_mode: String,
    /// The keywords.
    pub keyword_list_info: Vec<Keyword>,
    /// The replies.
    pub reply_list_info: Vec<AutoReply>,
}

/// One keyword of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Keyword {
    /// `text`.
    pub r#type: String,
    /// `contain` or `equal`.
    pub match_mode: String,
    /// The keyword.
    pub content: String,
}

endpoint! {
    /// Gets the auto-reply rules, `GET /cgi-bin/get_current_autoreply_info` (wechatpy
    /// `message.get_autoreply_info`).
    GetAutoReplyInfo: GET "/cgi-bin/get_current_autoreply_info" => AutoReplyInfo {}
}

// ---------------------------------------------------------------------------------------
// Façade
// ---------------------------------------------------------------------------------------

crate::facade!(
    /// `client.message()`: wechatpy's `client.message` group.
    MessageApi
);

fn opt(s: Option<&str>) -> Option<String> {
    s.map(String::from)
}

impl<'c, C: Caller + ?Sized> MessageApi<'c, C> {
    /// Sends any customer-service message, optionally as a customer-service account:
    /// `send(SendCustomMessage::new(openid, msg).with_kf_account("kf2001@gh_xxx"))`.
    pub fn send(&self, message: SendCustomMessage) -> C::Ret<'c, ApiOk> {
        self.0.call(message)
    }

    fn custom(&self, openid: &str, message: CustomMessage) -> C::Ret<'c, ApiOk> {
        self.0.call(SendCustomMessage::new(openid, message))
    }

    /// A text message (wechatpy `message.send_text`).
    pub fn send_text(&self, openid: &str, content: &str) -> C::Ret<'c, ApiOk> {
        self.custom(openid, CustomMessage::text(content))
    }

    /// An image (wechatpy `message.send_image`).
    pub fn send_image(&self, openid: &str, media_id: &str) -> C::Ret<'c, ApiOk> {
        self.custom(openid, CustomMessage::image(media_id))
    }

    /// A voice message (wechatpy `message.send_voice`).
    pub fn send_voice(&self, openid: &str, media_id: &str) -> C::Ret<'c, ApiOk> {
        self.custom(openid, CustomMessage::voice(media_id))
    }

    /// A video (wechatpy `message.send_video`).
    pub fn send_video(
        &self,
        openid: &str,
        media_id: &str,
        title: Option<&str>,
        description: Option<&str>,
    ) -> C::Ret<'c, ApiOk> {
        self.custom(
            openid,
            CustomMessage::Video(Video {
                media_id: media_id.into(),
                thumb_media_id: None,
                title: opt(title),
                description: opt(description),
            }),
        )
    }

    /// Music (wechatpy `message.send_music`).
    pub fn send_music(&self, openid: &str, music: Music) -> C::Ret<'c, ApiOk> {
        self.custom(openid, CustomMessage::Music(music))
    }

    /// An external article card (wechatpy `message.send_articles` with a list).
    pub fn send_articles(&self, openid: &str, articles: Vec<Article>) -> C::Ret<'c, ApiOk> {
        self.custom(openid, CustomMessage::News(articles))
    }

    /// A news material by media id (wechatpy `message.send_articles` with a media id).
    pub fn send_mpnews(&self, openid: &str, media_id: &str) -> C::Ret<'c, ApiOk> {
        self.custom(
            openid,
            CustomMessage::MpNews {
                media_id: media_id.into(),
            },
        )
    }

    /// A published article by article id.
    pub fn send_mpnews_article(&self, openid: &str, article_id: &str) -> C::Ret<'c, ApiOk> {
        self.custom(
            openid,
            CustomMessage::MpNewsArticle {
                article_id: article_id.into(),
            },
        )
    }

    /// A link card (wechatpy `message.send_link`).
    pub fn send_link(&self, openid: &str, link: Link) -> C::Ret<'c, ApiOk> {
        self.custom(openid, CustomMessage::Link(link))
    }

    /// A card or coupon (wechatpy `message.send_card`).
    pub fn send_card(&self, openid: &str, card_id: &str, card_ext: Option<&str>) -> C::Ret<'c, ApiOk> {
        self.custom(
            openid,
            CustomMessage::Card {
                card_id: card_id.into(),
                card_ext: opt(card_ext),
            },
        )
    }

    /// A mini program card (wechatpy `message.send_mini_program_page`).
    pub fn send_mini_program_page(&self, openid: &str, page: MiniProgramPage) -> C::Ret<'c, ApiOk> {
        self.custom(openid, CustomMessage::MiniProgramPage(page))
    }

    /// A message with tappable choices (wechatpy `message.send_msg_menu`).
    pub fn send_msg_menu(&self, openid: &str, menu: MsgMenu) -> C::Ret<'c, ApiOk> {
        self.custom(openid, CustomMessage::MsgMenu(menu))
    }

    /// A template message; returns the `msgid` (wechatpy `message.send_template`). For
    /// `client_msg_id`, call [`SendTemplate`] directly.
    pub fn send_template(
        &self,
        openid: &str,
        template_id: &str,
        data: TemplateData,
        url: Option<&str>,
        mini_program: Option<MiniProgramLink>,
    ) -> C::Ret<'c, i64> {
        self.0.call(SendTemplate {
            touser: openid.into(),
            template_id: template_id.into(),
            url: opt(url),
            miniprogram: mini_program,
            client_msg_id: None,
            data,
        })
    }

    /// Sends or previews any mass message, with `send_ignore_reprint` and `client_msg_id`.
    pub fn send_mass(&self, mass: SendMass) -> C::Ret<'c, MassSent> {
        self.0.call(mass)
    }

    /// A mass text (wechatpy `message.send_mass_text`).
    pub fn send_mass_text(&self, content: &str, target: MassTarget) -> C::Ret<'c, MassSent> {
        self.send_mass(SendMass::new(
            target,
            MassMessage::Text {
                content: content.into(),
            },
        ))
    }

    /// A mass image (wechatpy `message.send_mass_image`).
    pub fn send_mass_image(&self, media_id: &str, target: MassTarget) -> C::Ret<'c, MassSent> {
        self.send_mass(SendMass::new(
            target,
            MassMessage::Image {
                media_id: media_id.into(),
            },
        ))
    }

    /// A mass voice message (wechatpy `message.send_mass_voice`).
    pub fn send_mass_voice(&self, media_id: &str, target: MassTarget) -> C::Ret<'c, MassSent> {
        self.send_mass(SendMass::new(
            target,
            MassMessage::Voice {
                media_id: media_id.into(),
            },
        ))
    }

    /// A mass video; `media_id` comes from `media().upload_video` (wechatpy
    /// `message.send_mass_video`).
    pub fn send_mass_video(
        &self,
        media_id: &str,
        target: MassTarget,
        title: Option<&str>,
        description: Option<&str>,
    ) -> C::Ret<'c, MassSent> {
        self.send_mass(SendMass::new(
            target,
            MassMessage::Video(MassVideo {
                media_id: media_id.into(),
                title: opt(title),
                description: opt(description),
            }),
        ))
    }

    /// A mass news material (wechatpy `message.send_mass_article`).
    pub fn send_mass_article(&self, media_id: &str, target: MassTarget) -> C::Ret<'c, MassSent> {
        self.send_mass(SendMass::new(
            target,
            MassMessage::MpNews {
                media_id: media_id.into(),
            },
        ))
    }

    /// A mass card (wechatpy `message.send_mass_card`).
    pub fn send_mass_card(&self, card_id: &str, target: MassTarget) -> C::Ret<'c, MassSent> {
        self.send_mass(SendMass::new(
            target,
            MassMessage::Card {
                card_id: card_id.into(),
            },
        ))
    }

    /// Deletes a sent mass message (wechatpy `message.delete_mass`).
    pub fn delete_mass(&self, msg_id: i64) -> C::Ret<'c, ApiOk> {
        self.0.call(DeleteMass {
            msg_id,
            article_idx: None,
            url: None,
        })
    }

    /// A mass message's status (wechatpy `message.get_mass`).
    pub fn get_mass(&self, msg_id: i64) -> C::Ret<'c, MassStatus> {
        self.0.call(GetMass {
            msg_id: alloc::format!("{msg_id}"),
        })
    }

    /// The console's auto-reply rules (wechatpy `message.get_autoreply_info`).
    pub fn get_autoreply_info(&self) -> C::Ret<'c, AutoReplyInfo> {
        self.0.call(GetAutoReplyInfo {})
    }

    /// A one-time subscribe message (wechatpy `message.send_subscribe_template`).
    pub fn send_subscribe_template(
        &self,
        openid: &str,
        template_id: &str,
        scene: u32,
        title: &str,
        data: TemplateData,
        url: Option<&str>,
    ) -> C::Ret<'c, ApiOk> {
        self.0.call(SendSubscribeTemplate {
            touser: openid.into(),
            template_id: template_id.into(),
            url: opt(url),
            miniprogram: None,
            scene: alloc::format!("{scene}"),
            title: title.into(),
            data,
        })
    }

    /// A subscribe notification (wechatpy `message.send_subscribe_message`).
    pub fn send_subscribe_message(
        &self,
        openid: &str,
        template_id: &str,
        data: TemplateData,
        mini_program: Option<MiniProgramLink>,
        page: Option<&str>,
    ) -> C::Ret<'c, ApiOk> {
        self.0.call(SendSubscribeMessage {
            touser: openid.into(),
            template_id: template_id.into(),
            page: opt(page),
            miniprogram: mini_program,
            data,
        })
    }

    /// The one-time subscribe consent page (wechatpy `message.get_subscribe_authorize_url`).
    /// Without `reserved`, a random one is drawn from the client; read it back from the URL
    /// if you need to check it. Pure: no request is sent.
    pub fn get_subscribe_authorize_url(
        &self,
        appid: &str,
        scene: u32,
        template_id: &str,
        redirect_url: &str,
        reserved: Option<&str>,
    ) -> String {
        let random;
        let reserved = match reserved {
            Some(r) => r,
            None => {
                random = crate::api::hex_nonce(&self.0.random());
                &random
            }
        };
        subscribe_authorize_url(appid, scene, template_id, redirect_url, reserved)
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

    fn sent(mock: &MockCaller, path: &str) -> String {
        let req = mock.request();
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.path, path);
        assert_eq!(req.idempotency, Idempotency::NonIdempotent);
        mock.body()
    }

    fn custom(mock: &MockCaller) -> String {
        sent(mock, "/cgi-bin/message/custom/send")
    }

    #[test]
    fn text_image_voice() {
        let mock = MockCaller::default();
        MessageApi::new(&mock).send_text("oUser", "你好").unwrap();
        assert_eq!(
            custom(&mock),
            r#"{"touser":"oUser","msgtype":"text","text":{"content":"你好"}}"#
        );
        let mock = MockCaller::default();
        MessageApi::new(&mock).send_image("oUser", "M1").unwrap();
        assert_eq!(
            custom(&mock),
            r#"{"touser":"oUser","msgtype":"image","image":{"media_id":"M1"}}"#
        );
        let mock = MockCaller::default();
        MessageApi::new(&mock).send_voice("oUser", "M2").unwrap();
        assert_eq!(
            custom(&mock),
            r#"{"touser":"oUser","msgtype":"voice","voice":{"media_id":"M2"}}"#
        );
    }

    #[test]
    fn kf_account_is_sent_as_customservice() {
        let mock = MockCaller::default();
        MessageApi::new(&mock)
            .send(SendCustomMessage::new("oUser", CustomMessage::text("hi")).with_kf_account("kf2001@gh_1"))
            .unwrap();
        assert_eq!(
            custom(&mock),
            r#"{"touser":"oUser","msgtype":"text","text":{"content":"hi"},"customservice":{"kf_account":"kf2001@gh_1"}}"#
        );
    }

    #[test]
    fn video_and_music() {
        let mock = MockCaller::default();
        MessageApi::new(&mock)
            .send_video("o", "V", Some("title"), None)
            .unwrap();
        assert_eq!(
            custom(&mock),
            r#"{"touser":"o","msgtype":"video","video":{"media_id":"V","title":"title"}}"#
        );
        let mock = MockCaller::default();
        MessageApi::new(&mock)
            .send_music(
                "o",
                Music {
                    title: Some("t".into()),
                    description: None,
                    musicurl: "http://m/1.mp3".into(),
                    hqmusicurl: "http://m/1hq.mp3".into(),
                    thumb_media_id: "T".into(),
                },
            )
            .unwrap();
        assert_eq!(
            custom(&mock),
            r#"{"touser":"o","msgtype":"music","music":{"title":"t","musicurl":"http://m/1.mp3","hqmusicurl":"http://m/1hq.mp3","thumb_media_id":"T"}}"#
        );
    }

    #[test]
    fn articles_mpnews_link_card() {
        let api = |f: &dyn Fn(&MessageApi<'_, MockCaller>)| {
            let mock = MockCaller::default();
            f(&MessageApi::new(&mock));
            custom(&mock)
        };
        assert_eq!(
            api(&|m| {
                m.send_articles(
                    "o",
                    vec![Article {
                        title: "T".into(),
                        description: "D".into(),
                        url: "http://u".into(),
                        picurl: "http://p".into(),
                    }],
                )
                .unwrap();
            }),
            r#"{"touser":"o","msgtype":"news","news":{"articles":[{"title":"T","description":"D","url":"http://u","picurl":"http://p"}]}}"#
        );
        assert_eq!(
            api(&|m| {
                m.send_mpnews("o", "NEWS").unwrap();
            }),
            r#"{"touser":"o","msgtype":"mpnews","mpnews":{"media_id":"NEWS"}}"#
        );
        assert_eq!(
            api(&|m| {
                m.send_mpnews_article("o", "ART").unwrap();
            }),
            r#"{"touser":"o","msgtype":"mpnewsarticle","mpnewsarticle":{"article_id":"ART"}}"#
        );
        assert_eq!(
            api(&|m| {
                m.send_link(
                    "o",
                    Link {
                        title: "T".into(),
                        description: "D".into(),
                        url: "http://u".into(),
                        thumb_url: "http://t".into(),
                    },
                )
                .unwrap();
            }),
            r#"{"touser":"o","msgtype":"link","link":{"title":"T","description":"D","url":"http://u","thumb_url":"http://t"}}"#
        );
        assert_eq!(
            api(&|m| {
                m.send_card("o", "pCard", None).unwrap();
            }),
            r#"{"touser":"o","msgtype":"wxcard","wxcard":{"card_id":"pCard"}}"#
        );
        assert_eq!(
            api(&|m| {
                m.send_card("o", "pCard", Some(r#"{"signature":"s"}"#)).unwrap();
            }),
            r#"{"touser":"o","msgtype":"wxcard","wxcard":{"card_id":"pCard","card_ext":"{\"signature\":\"s\"}"}}"#
        );
    }

    #[test]
    fn mini_program_page_and_msg_menu() {
        let mock = MockCaller::default();
        MessageApi::new(&mock)
            .send_mini_program_page(
                "o",
                MiniProgramPage {
                    title: "T".into(),
                    appid: "wxa".into(),
                    pagepath: "pages/index".into(),
                    thumb_media_id: "TH".into(),
                },
            )
            .unwrap();
        assert_eq!(
            custom(&mock),
            r#"{"touser":"o","msgtype":"miniprogrampage","miniprogrampage":{"title":"T","appid":"wxa","pagepath":"pages/index","thumb_media_id":"TH"}}"#
        );
        let mock = MockCaller::default();
        MessageApi::new(&mock)
            .send_msg_menu(
                "o",
                MsgMenu {
                    head_content: "您对本次服务是否满意呢? ".into(),
                    list: vec![
                        MsgMenuItem {
                            id: "101".into(),
                            content: "满意".into(),
                        },
                        MsgMenuItem {
                            id: "102".into(),
                            content: "不满意".into(),
                        },
                    ],
                    tail_content: "欢迎再次光临".into(),
                },
            )
            .unwrap();
        assert_eq!(
            custom(&mock),
            r#"{"touser":"o","msgtype":"msgmenu","msgmenu":{"head_content":"您对本次服务是否满意呢? ","list":[{"id":"101","content":"满意"},{"id":"102","content":"不满意"}],"tail_content":"欢迎再次光临"}}"#
        );
    }

    #[test]
    fn send_errors_are_classified() {
        // 45015: out of the 48-hour window
        let mock = MockCaller::answering(
            r#"{"errcode":45015,"errmsg":"response out of time limit or subscription is canceled"}"#,
        );
        let err = MessageApi::new(&mock).send_text("o", "late").unwrap_err();
        assert!(matches!(err, Error::Api(e) if e.code == 45015));
        // errcode as a string
        let err = SendCustomMessage::new("o", CustomMessage::text("x"))
            .parse(ApiResponse::json(
                &br#"{"errcode":"40003","errmsg":"invalid openid"}"#[..],
            ))
            .unwrap_err();
        assert!(matches!(err, Error::Api(e) if e.code == 40003));
        // garbage is a decode error carrying the body
        let err = SendTemplate::default()
            .parse(ApiResponse::json(&b"not json"[..]))
            .unwrap_err();
        assert!(matches!(err, Error::Response(ResponseError::Decode { body, .. }) if body == b"not json"));
    }

    #[test]
    fn template_message() {
        let mock = MockCaller::answering(r#"{"errcode":0,"errmsg":"ok","msgid":200228332}"#);
        let data = TemplateData::new()
            .with_color("first", "恭喜你购买成功！", "#173177")
            .with("keyword1", "巧克力");
        let id = MessageApi::new(&mock)
            .send_template(
                "oUser",
                "TPL",
                data,
                Some("http://weixin.qq.com/download"),
                Some(MiniProgramLink {
                    appid: "wxa".into(),
                    pagepath: Some("index?foo=bar".into()),
                }),
            )
            .unwrap();
        assert_eq!(id, 200228332);
        assert_eq!(
            sent(&mock, "/cgi-bin/message/template/send"),
            r##"{"touser":"oUser","template_id":"TPL","url":"http://weixin.qq.com/download","miniprogram":{"appid":"wxa","pagepath":"index?foo=bar"},"data":{"first":{"value":"恭喜你购买成功！","color":"#173177"},"keyword1":{"value":"巧克力"}}}"##
        );
        let with_id = SendTemplate {
            touser: "o".into(),
            template_id: "T".into(),
            client_msg_id: Some("order-1".into()),
            data: [("k", "v")].into_iter().collect(),
            ..SendTemplate::default()
        };
        assert_eq!(
            with_id.request().unwrap().body.unwrap().bytes,
            br#"{"touser":"o","template_id":"T","client_msg_id":"order-1","data":{"k":{"value":"v"}}}"#
        );
    }

    #[test]
    fn mass_targets_pick_the_endpoint() {
        let mock = MockCaller::answering(
            r#"{"errcode":0,"errmsg":"send job submission success","msg_id":34182,"msg_data_id":206227730}"#,
        );
        let result = MessageApi::new(&mock)
            .send_mass_text("hello", MassTarget::Tag(2))
            .unwrap();
        assert_eq!(result.msg_id, 34182);
        assert_eq!(result.msg_data_id, Some(206227730));
        assert_eq!(
            sent(&mock, "/cgi-bin/message/mass/sendall"),
            r#"{"msgtype":"text","send_ignore_reprint":0,"filter":{"is_to_all":false,"tag_id":2},"text":{"content":"hello"}}"#
        );

        let mock = MockCaller::default();
        MessageApi::new(&mock).send_mass_image("IMG", MassTarget::All).unwrap();
        assert_eq!(
            sent(&mock, "/cgi-bin/message/mass/sendall"),
            r#"{"msgtype":"image","send_ignore_reprint":0,"filter":{"is_to_all":true},"image":{"media_id":"IMG"}}"#
        );

        let mock = MockCaller::default();
        MessageApi::new(&mock)
            .send_mass_voice("VOI", MassTarget::Openids(vec!["o1".into(), "o2".into()]))
            .unwrap();
        assert_eq!(
            sent(&mock, "/cgi-bin/message/mass/send"),
            r#"{"msgtype":"voice","send_ignore_reprint":0,"touser":["o1","o2"],"voice":{"media_id":"VOI"}}"#
        );

        let openid = "oJkTcwRzI8nSAW3ngXo5HUrKZlBw";
        assert_eq!(openid.len(), 28);
        let mock = MockCaller::answering(r#"{"errcode":0,"errmsg":"preview success","msg_id":34182}"#);
        MessageApi::new(&mock)
            .send_mass_video("VID", MassTarget::preview(openid), Some("T"), Some("D"))
            .unwrap();
        assert_eq!(
            sent(&mock, "/cgi-bin/message/mass/preview"),
            alloc::format!(
                r#"{{"msgtype":"mpvideo","send_ignore_reprint":0,"touser":"{openid}","mpvideo":{{"media_id":"VID","title":"T","description":"D"}}}}"#
            )
        );

        let mock = MockCaller::default();
        MessageApi::new(&mock)
            .send_mass_article("NEWS", MassTarget::preview("my_wechat_id"))
            .unwrap();
        assert_eq!(
            sent(&mock, "/cgi-bin/message/mass/preview"),
            r#"{"msgtype":"mpnews","send_ignore_reprint":0,"towxname":"my_wechat_id","mpnews":{"media_id":"NEWS"}}"#
        );

        let mock = MockCaller::default();
        let mut mass = SendMass::new(
            MassTarget::Tag(7),
            MassMessage::Card {
                card_id: "pCard".into(),
            },
        );
        mass.send_ignore_reprint = true;
        mass.client_msg_id = Some("batch-42".into());
        MessageApi::new(&mock).send_mass(mass).unwrap();
        assert_eq!(
            sent(&mock, "/cgi-bin/message/mass/sendall"),
            r#"{"msgtype":"wxcard","send_ignore_reprint":1,"clientmsgid":"batch-42","filter":{"is_to_all":false,"tag_id":7},"wxcard":{"card_id":"pCard"}}"#
        );
        let mock = MockCaller::default();
        MessageApi::new(&mock).send_mass_card("pCard", MassTarget::All).unwrap();
        assert!(sent(&mock, "/cgi-bin/message/mass/sendall").contains(r#""wxcard":{"card_id":"pCard"}"#));
    }

    #[test]
    fn preview_target_heuristic() {
        assert!(matches!(
            MassTarget::preview("oJkTcwRzI8nSAW3ngXo5HUrKZlBw"),
            MassTarget::PreviewOpenid(_)
        ));
        assert!(matches!(
            MassTarget::preview("oJkTcwRzI8nSAW3ngXo5HUrKZlB"),
            MassTarget::PreviewWxname(_)
        ));
        assert!(matches!(
            MassTarget::preview("oJkTcwRzI8nSAW3ngXo5HUrK.lBw"),
            MassTarget::PreviewWxname(_)
        ));
    }

    #[test]
    fn mass_delete_and_status() {
        let mock = MockCaller::default();
        MessageApi::new(&mock).delete_mass(30124).unwrap();
        let req = mock.request();
        assert_eq!(req.path, "/cgi-bin/message/mass/delete");
        assert_eq!(req.idempotency, Idempotency::Idempotent);
        assert_eq!(mock.body(), r#"{"msg_id":30124}"#);
        let one = DeleteMass {
            msg_id: 30124,
            article_idx: Some(2),
            url: None,
        };
        assert_eq!(
            one.request().unwrap().body.unwrap().bytes,
            br#"{"msg_id":30124,"article_idx":2}"#
        );

        let mock = MockCaller::answering(r#"{"msg_id":201053012,"msg_status":"SEND_SUCCESS"}"#);
        let status = MessageApi::new(&mock).get_mass(201053012).unwrap();
        assert_eq!(mock.request().path, "/cgi-bin/message/mass/get");
        assert_eq!(mock.request().idempotency, Idempotency::Idempotent);
        assert_eq!(mock.body(), r#"{"msg_id":"201053012"}"#);
        assert_eq!((status.msg_id, status.msg_status.as_str()), (201053012, "SEND_SUCCESS"));
        // a string id is accepted too
        let status = GetMass::default()
            .parse(ApiResponse::json(&br#"{"msg_id":"7","msg_status":"SENDING"}"#[..]))
            .unwrap();
        assert_eq!(status.msg_id, 7);
    }

    #[test]
    fn autoreply_info() {
        let body = r#"{"is_add_friend_reply_open":1,"is_autoreply_open":1,"add_friend_autoreply_info":{"type":"text","content":"Thanks for your attention!"},"message_default_autoreply_info":{"type":"text","content":"Hello, this is autoreply!"},"keyword_autoreply_info":{"list":[{"rule_name":"autoreply-news","create_time":1423028166,"reply_mode":"reply_all","keyword_list_info":[{"type":"text","match_mode":"contain","content":"news测试"}],"reply_list_info":[{"type":"news","news_info":{"list":[{"title":"it's news","author":"jim","digest":"it's digest","show_cover":1,"cover_url":"http://mmbiz.qpic.cn/c","content_url":"http://mp.weixin.qq.com/s?__biz=1","source_url":"http://www.qq.com"}]}},{"type":"text","content":"news测试"}]}]}}"#;
        let mock = MockCaller::answering(body);
        let info = MessageApi::new(&mock).get_autoreply_info().unwrap();
        let req = mock.request();
        assert_eq!(
            (req.method, req.path.as_ref()),
            (Method::Get, "/cgi-bin/get_current_autoreply_info")
        );
        assert_eq!(info.is_autoreply_open, 1);
        let rule = &info.keyword_autoreply_info.unwrap().list[0];
        assert_eq!(rule.keyword_list_info[0].match_mode, "contain");
        assert_eq!(
            rule.reply_list_info[0].news_info.as_ref().unwrap().list[0].title,
            "it's news"
        );
        assert_eq!(rule.reply_list_info[1].content.as_deref(), Some("news测试"));
    }

    #[test]
    fn subscribe_messages() {
        let mock = MockCaller::default();
        MessageApi::new(&mock)
            .send_subscribe_template(
                "o",
                "TPL",
                1000,
                "title",
                TemplateData::new().with_color("content", "VALUE", "COLOR"),
                Some("http://u"),
            )
            .unwrap();
        assert_eq!(
            sent(&mock, "/cgi-bin/message/template/subscribe"),
            r#"{"touser":"o","template_id":"TPL","url":"http://u","scene":"1000","title":"title","data":{"content":{"value":"VALUE","color":"COLOR"}}}"#
        );

        let mock = MockCaller::default();
        MessageApi::new(&mock)
            .send_subscribe_message(
                "o",
                "PRI",
                TemplateData::new().with("thing1", "Parcel"),
                Some(MiniProgramLink {
                    appid: "wxa".into(),
                    pagepath: Some("pages/a".into()),
                }),
                Some("pages/b"),
            )
            .unwrap();
        assert_eq!(
            sent(&mock, "/cgi-bin/message/subscribe/bizsend"),
            r#"{"touser":"o","template_id":"PRI","page":"pages/b","miniprogram":{"appid":"wxa","pagepath":"pages/a"},"data":{"thing1":{"value":"Parcel"}}}"#
        );
    }

    #[test]
    fn subscribe_authorize_url_matches_wechatpy() {
        // urlencode([("action","get_confirm"),("appid","wx1"),("scene",1000),
        //   ("template_id","TPL"),("redirect_url","https://example.com/cb?a=1"),("reserved","abc")])
        assert_eq!(
            subscribe_authorize_url("wx1", 1000, "TPL", "https://example.com/cb?a=1", "abc"),
            "https://mp.weixin.qq.com/mp/subscribemsg?action=get_confirm&appid=wx1&scene=1000&template_id=TPL&redirect_url=https%3A%2F%2Fexample.com%2Fcb%3Fa%3D1&reserved=abc#wechat_redirect"
        );
        let mock = MockCaller::default();
        let url = MessageApi::new(&mock).get_subscribe_authorize_url("wx1", 1, "T", "https://e/", None);
        assert!(
            url.ends_with("&reserved=abababababababababababababababab#wechat_redirect"),
            "{url}"
        );
        assert!(mock.requests.borrow().is_empty());
    }
}
