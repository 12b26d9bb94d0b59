//! Application messages (wechatpy `client.message`): `message/send` with every message type,
//! template cards, task-card and template-card updates, recall.
//!
//! Docs: <https://developer.work.weixin.qq.com/document/path/90236> (send),
//! <https://developer.work.weixin.qq.com/document/path/94945> (template card update),
//! <https://developer.work.weixin.qq.com/document/path/94867> (recall).
//!
//! Sends are never retried after a busy answer or a transport failure: the message may
//! already be on its way. WeCom's own `enable_duplicate_check` is the safe way to make a
//! re-send harmless.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use super::de;
use crate::api::json::parse_json;
use crate::api::{ApiOk, Caller, Endpoint};
use crate::endpoint;
use crate::error::{ConfigError, Error};
use crate::http::{ApiRequest, ApiResponse, Idempotency};

/// `{"content": ...}` of text messages.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Text {
    /// The text (at most 2048 bytes); `<a href>` links are allowed.
    pub content: String,
}

/// `{"media_id": ...}` of image, voice and file messages.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct MediaRef {
    /// A media id from `media/upload`.
    pub media_id: String,
}

/// A video message.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Video {
    /// A media id from `media/upload`.
    pub media_id: String,
    /// The title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A text card.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TextCard {
    /// The title (128 bytes).
    pub title: String,
    /// The description (512 bytes); `<div class="gray|normal|highlight">` is allowed.
    pub description: String,
    /// Where a tap leads.
    pub url: String,
    /// The button text (WeCom's default is "详情").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub btntxt: Option<String>,
}

/// One article of a `news` message.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct NewsArticle {
    /// The title.
    pub title: String,
    /// The description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The link (or use `appid`/`pagepath` for a mini program).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The picture URL (wechatpy's `image`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picurl: Option<String>,
    /// A mini program to open instead of `url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// The mini-program page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagepath: Option<String>,
}

/// `{"articles": [...]}` of `news` messages (1-8 articles).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct News {
    /// The articles.
    pub articles: Vec<NewsArticle>,
}

/// One article of an `mpnews` message (stored by WeCom, opened inside WeCom).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct MpNewsArticle {
    /// The title.
    pub title: String,
    /// The cover, a media id.
    pub thumb_media_id: String,
    /// The author.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The "read more" link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_source_url: Option<String>,
    /// The HTML body (666 K bytes).
    pub content: String,
    /// The summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// `{"articles": [...]}` of `mpnews` messages.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct MpNews {
    /// The articles.
    pub articles: Vec<MpNewsArticle>,
}

/// A markdown message (WeCom's subset; not shown in the WeChat plug-in).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Markdown {
    /// The markdown (2048 bytes).
    pub content: String,
}

/// A key/value line of a mini-program notice.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct KeyValue {
    /// The key (10 characters).
    pub key: String,
    /// The value (30 characters).
    pub value: String,
}

/// A mini-program notice (only from apps bound to a mini program).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct MiniprogramNotice {
    /// The mini program's appid.
    pub appid: String,
    /// The page to open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    /// The title.
    pub title: String,
    /// The description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether the first item is emphasised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emphasis_first_item: Option<bool>,
    /// The lines (at most 10).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub content_item: Vec<KeyValue>,
}

/// A button of a task card.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TaskcardButton {
    /// The key sent back in the click event.
    pub key: String,
    /// The button text.
    pub name: String,
    /// The text shown after a click.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replace_name: Option<String>,
    /// `red` or `blue`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Bold text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_bold: Option<bool>,
}

/// An interactive task card (the predecessor of template cards; its state is changed with
/// [`UpdateTaskcard`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Taskcard {
    /// The title.
    pub title: String,
    /// The description.
    pub description: String,
    /// Where a tap leads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Unique per app, `[0-9A-Za-z_-@]`, 128 bytes.
    pub task_id: String,
    /// The buttons (at most 2).
    pub btn: Vec<TaskcardButton>,
}

/// The source line of a template card.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CardSource {
    /// Icon URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    /// Text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    /// 0 grey, 1 black, 2 red, 3 green.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desc_color: Option<u8>,
}

/// One entry of the "more" menu of a template card.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CardActionItem {
    /// The text.
    pub text: String,
    /// The key sent back in the event.
    pub key: String,
}

/// The "more" menu of a template card (needs `task_id`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CardActionMenu {
    /// The menu's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    /// 1-3 entries.
    pub action_list: Vec<CardActionItem>,
}

/// A title with a description (`main_title`, `emphasis_content`, `vertical_content_list[]`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CardTitle {
    /// The title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
}

/// The quote area of a template card.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CardQuoteArea {
    /// 0 none, 1 URL, 2 mini program.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<u8>,
    /// The URL (`type` 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The mini program (`type` 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// The mini-program page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagepath: Option<String>,
    /// The title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The quoted text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote_text: Option<String>,
}

/// A key/value line of a template card.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CardHorizontalContent {
    /// 0 text, 1 URL, 2 attachment, 3 member card.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<u8>,
    /// The key.
    pub keyname: String,
    /// The value (the file name for attachments).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The URL (`type` 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The attachment (`type` 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    /// The member (`type` 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userid: Option<String>,
}

/// A link of a template card's jump list.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CardJump {
    /// 0 none, 1 URL, 2 mini program.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<u8>,
    /// The text.
    pub title: String,
    /// The URL (`type` 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The mini program (`type` 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// The mini-program page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagepath: Option<String>,
}

/// What a tap on the whole card does.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CardAction {
    /// 1 URL, 2 mini program.
    pub r#type: u8,
    /// The URL (`type` 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The mini program (`type` 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// The mini-program page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagepath: Option<String>,
}

/// The image-and-text area of a `news_notice` card.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CardImageTextArea {
    /// 0 none, 1 URL, 2 mini program.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<u8>,
    /// The URL (`type` 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The mini program (`type` 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// The mini-program page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagepath: Option<String>,
    /// The title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    /// The image.
    pub image_url: String,
}

/// The large image of a `news_notice` card.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct CardImage {
    /// The image.
    pub url: String,
    /// Width / height, between 1.3 and 2.25 (1.3 when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aspect_ratio: Option<f64>,
}

/// An option of a selector or a checkbox.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CardOption {
    /// The id sent back in the event.
    pub id: String,
    /// The text.
    pub text: String,
    /// Checked by default (checkboxes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_checked: Option<bool>,
}

/// A drop-down selector (`button_selection`, `select_list[]`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CardSelection {
    /// The key sent back in the event.
    pub question_key: String,
    /// The label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Disable the selector (updates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable: Option<bool>,
    /// The preselected option.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selected_id: Option<String>,
    /// 1-10 options.
    pub option_list: Vec<CardOption>,
}

/// A button of a `button_interaction` card.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CardButton {
    /// 0 callback (default), 1 URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<u8>,
    /// The text.
    pub text: String,
    /// 1-4.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style: Option<u8>,
    /// The key sent back in the event (`type` 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The URL (`type` 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// The checkbox of a `vote_interaction` card.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CardCheckbox {
    /// The key sent back in the event.
    pub question_key: String,
    /// 0 single choice, 1 multiple.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<u8>,
    /// Disable it (updates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable: Option<bool>,
    /// 1-20 options.
    pub option_list: Vec<CardOption>,
}

/// The submit button of vote and multiple-choice cards.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CardSubmitButton {
    /// The text.
    pub text: String,
    /// The key sent back in the event.
    pub key: String,
}

/// A template card (`msgtype: template_card`). `card_type` is `text_notice`,
/// `news_notice`, `button_interaction`, `vote_interaction` or `multiple_interaction`; which
/// other fields apply depends on it. `extra` carries fields this type does not know yet.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct TemplateCard {
    /// The card type.
    pub card_type: String,
    /// The source line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<CardSource>,
    /// The "more" menu.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_menu: Option<CardActionMenu>,
    /// The main title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub main_title: Option<CardTitle>,
    /// The emphasised figure (`text_notice`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emphasis_content: Option<CardTitle>,
    /// The quote area.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote_area: Option<CardQuoteArea>,
    /// The secondary text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_title_text: Option<String>,
    /// Key/value lines (at most 6).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub horizontal_content_list: Vec<CardHorizontalContent>,
    /// Links (at most 3).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub jump_list: Vec<CardJump>,
    /// What a tap on the card does (required for the notice types).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_action: Option<CardAction>,
    /// The image-and-text area (`news_notice`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_text_area: Option<CardImageTextArea>,
    /// The large image (`news_notice`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_image: Option<CardImage>,
    /// Title/description lines (`news_notice`, at most 4).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vertical_content_list: Vec<CardTitle>,
    /// The task id, required by interactive cards and the action menu; unique per app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    /// The selector (`button_interaction`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub button_selection: Option<CardSelection>,
    /// The buttons (`button_interaction`, at most 6).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub button_list: Vec<CardButton>,
    /// The checkbox (`vote_interaction`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkbox: Option<CardCheckbox>,
    /// The selectors (`multiple_interaction`, at most 3).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub select_list: Vec<CardSelection>,
    /// The submit button (vote and multiple-choice cards).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submit_button: Option<CardSubmitButton>,
    /// The text replacing the buttons after an update.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replace_text: Option<String>,
    /// Further fields, sent as they are.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl TemplateCard {
    /// An empty card of `card_type`; fill the fields with `..`.
    pub fn new(card_type: impl Into<String>) -> Self {
        Self {
            card_type: card_type.into(),
            ..Self::default()
        }
    }
}

/// The body of an application message: the `msgtype` and its content.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WorkMessage {
    /// `text`.
    Text(Text),
    /// `image`.
    Image(MediaRef),
    /// `voice` (AMR).
    Voice(MediaRef),
    /// `video`.
    Video(Video),
    /// `file`.
    File(MediaRef),
    /// `textcard`.
    TextCard(TextCard),
    /// `news`.
    News(News),
    /// `mpnews`.
    MpNews(MpNews),
    /// `markdown`.
    Markdown(Markdown),
    /// `miniprogram_notice`.
    MiniprogramNotice(MiniprogramNotice),
    /// `template_card` (boxed: the card is much larger than the other contents).
    TemplateCard(Box<TemplateCard>),
    /// `interactive_taskcard`.
    InteractiveTaskcard(Taskcard),
    /// Any other `msgtype`, with its content object under the key of the same name.
    Raw {
        /// The msgtype (lowercase letters and `_`).
        msgtype: String,
        /// The content object.
        content: serde_json::Value,
    },
}

impl WorkMessage {
    /// A text message.
    pub fn text(content: impl Into<String>) -> Self {
        WorkMessage::Text(Text {
            content: content.into(),
        })
    }

    /// An image message.
    pub fn image(media_id: impl Into<String>) -> Self {
        WorkMessage::Image(MediaRef {
            media_id: media_id.into(),
        })
    }

    /// A voice message.
    pub fn voice(media_id: impl Into<String>) -> Self {
        WorkMessage::Voice(MediaRef {
            media_id: media_id.into(),
        })
    }

    /// A video message.
    pub fn video(media_id: impl Into<String>, title: Option<String>, description: Option<String>) -> Self {
        WorkMessage::Video(Video {
            media_id: media_id.into(),
            title,
            description,
        })
    }

    /// A file message.
    pub fn file(media_id: impl Into<String>) -> Self {
        WorkMessage::File(MediaRef {
            media_id: media_id.into(),
        })
    }

    /// A text card.
    pub fn text_card(
        title: impl Into<String>,
        description: impl Into<String>,
        url: impl Into<String>,
        btntxt: Option<String>,
    ) -> Self {
        WorkMessage::TextCard(TextCard {
            title: title.into(),
            description: description.into(),
            url: url.into(),
            btntxt,
        })
    }

    /// A news message.
    pub fn news(articles: Vec<NewsArticle>) -> Self {
        WorkMessage::News(News { articles })
    }

    /// An mpnews message.
    pub fn mpnews(articles: Vec<MpNewsArticle>) -> Self {
        WorkMessage::MpNews(MpNews { articles })
    }

    /// A template card.
    pub fn template_card(card: TemplateCard) -> Self {
        WorkMessage::TemplateCard(Box::new(card))
    }

    /// A markdown message.
    pub fn markdown(content: impl Into<String>) -> Self {
        WorkMessage::Markdown(Markdown {
            content: content.into(),
        })
    }

    /// The `msgtype`.
    pub fn msgtype(&self) -> &str {
        match self {
            WorkMessage::Text(_) => "text",
            WorkMessage::Image(_) => "image",
            WorkMessage::Voice(_) => "voice",
            WorkMessage::Video(_) => "video",
            WorkMessage::File(_) => "file",
            WorkMessage::TextCard(_) => "textcard",
            WorkMessage::News(_) => "news",
            WorkMessage::MpNews(_) => "mpnews",
            WorkMessage::Markdown(_) => "markdown",
            WorkMessage::MiniprogramNotice(_) => "miniprogram_notice",
            WorkMessage::TemplateCard(_) => "template_card",
            WorkMessage::InteractiveTaskcard(_) => "interactive_taskcard",
            WorkMessage::Raw { msgtype, .. } => msgtype,
        }
    }

    fn serialize_content<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        let key = self.msgtype();
        match self {
            WorkMessage::Text(c) => map.serialize_entry(key, c),
            WorkMessage::Image(c) | WorkMessage::Voice(c) | WorkMessage::File(c) => map.serialize_entry(key, c),
            WorkMessage::Video(c) => map.serialize_entry(key, c),
            WorkMessage::TextCard(c) => map.serialize_entry(key, c),
            WorkMessage::News(c) => map.serialize_entry(key, c),
            WorkMessage::MpNews(c) => map.serialize_entry(key, c),
            WorkMessage::Markdown(c) => map.serialize_entry(key, c),
            WorkMessage::MiniprogramNotice(c) => map.serialize_entry(key, c),
            WorkMessage::TemplateCard(c) => map.serialize_entry(key, c),
            WorkMessage::InteractiveTaskcard(c) => map.serialize_entry(key, c),
            WorkMessage::Raw { content, .. } => map.serialize_entry(key, content),
        }
    }
}

/// Keys of the send body that a raw `msgtype` must not shadow.
const RESERVED: &[&str] = &[
    "touser",
    "toparty",
    "totag",
    "msgtype",
    "agentid",
    "safe",
    "enable_id_trans",
    "enable_duplicate_check",
    "duplicate_check_interval",
];

/// Sends an application message, `POST /cgi-bin/message/send` (wechatpy `message.send`
/// and every `send_*`). Never retried (see the module docs).
///
/// Building the request fails with [`ConfigError::InvalidArgument`] when there is no
/// recipient, when a userid is empty or contains `|` (pass ids one by one, never pre-joined:
/// a `|` inside an id would add recipients), or when a [`WorkMessage::Raw`] type is malformed.
///
/// ```
/// use wechat_core::api::Endpoint;
/// use wechat_core::api::work::message::{SendMessage, WorkMessage};
///
/// let send = SendMessage::new(1000002, WorkMessage::text("hi"))
///     .to_users(&["zhangsan", "lisi"])
///     .to_parties(&[2])
///     .duplicate_check(Some(600));
/// let body = send.request()?.body.unwrap().bytes;
/// assert_eq!(
///     body,
///     br#"{"touser":"zhangsan|lisi","toparty":"2","msgtype":"text","agentid":1000002,"text":{"content":"hi"},"enable_duplicate_check":1,"duplicate_check_interval":600}"#
/// );
/// # Ok::<(), wechat_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SendMessage {
    /// The application's agent id.
    pub agentid: i64,
    /// UserIDs (at most 1000), or `["@all"]`; joined with `|` on the wire.
    pub touser: Vec<String>,
    /// Department ids (at most 100); ignored by WeCom when `touser` is `@all`.
    pub toparty: Vec<u64>,
    /// Tag ids (at most 100).
    pub totag: Vec<u64>,
    /// The message.
    pub message: WorkMessage,
    /// 0 normal, 1 confidential (watermarked, not forwardable), 2 shareable inside the corp
    /// only (mpnews).
    pub safe: Option<u8>,
    /// Translate `$userName=...$`/`$departmentName=...$` placeholders.
    pub enable_id_trans: Option<bool>,
    /// Drop an identical message sent within `duplicate_check_interval`.
    pub enable_duplicate_check: Option<bool>,
    /// The duplicate window in seconds (WeCom's default 1800, at most 4 hours).
    pub duplicate_check_interval: Option<u32>,
}

impl SendMessage {
    /// A message from `agentid` with no recipients yet.
    pub fn new(agentid: i64, message: WorkMessage) -> Self {
        Self {
            agentid,
            touser: Vec::new(),
            toparty: Vec::new(),
            totag: Vec::new(),
            message,
            safe: None,
            enable_id_trans: None,
            enable_duplicate_check: None,
            duplicate_check_interval: None,
        }
    }

    /// Adds members.
    pub fn to_users(mut self, userids: &[&str]) -> Self {
        self.touser.extend(userids.iter().map(|s| String::from(*s)));
        self
    }

    /// Sends to every member who can see the app (`touser: "@all"`).
    pub fn to_all(mut self) -> Self {
        self.touser = alloc::vec![String::from("@all")];
        self
    }

    /// Adds departments.
    pub fn to_parties(mut self, ids: &[u64]) -> Self {
        self.toparty.extend_from_slice(ids);
        self
    }

    /// Adds tags.
    pub fn to_tags(mut self, ids: &[u64]) -> Self {
        self.totag.extend_from_slice(ids);
        self
    }

    /// Sets `safe` (see the field).
    pub fn safe(mut self, safe: u8) -> Self {
        self.safe = Some(safe);
        self
    }

    /// Turns on id translation.
    pub fn id_trans(mut self) -> Self {
        self.enable_id_trans = Some(true);
        self
    }

    /// Turns on WeCom's duplicate check, with an interval in seconds or WeCom's default.
    pub fn duplicate_check(mut self, interval: Option<u32>) -> Self {
        self.enable_duplicate_check = Some(true);
        self.duplicate_check_interval = interval;
        self
    }

    fn check(&self) -> Result<(), Error> {
        let invalid = |msg: String| -> Result<(), Error> { Err(ConfigError::InvalidArgument(msg).into()) };
        if self.touser.is_empty() && self.toparty.is_empty() && self.totag.is_empty() {
            return invalid("a message needs at least one user, department or tag".into());
        }
        if let Some(bad) = self.touser.iter().find(|u| u.is_empty() || u.contains('|')) {
            return invalid(alloc::format!("invalid userid {bad:?} in touser"));
        }
        if let WorkMessage::Raw { msgtype, content } = &self.message {
            let well_formed = !msgtype.is_empty()
                && msgtype
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                && !RESERVED.contains(&msgtype.as_str());
            if !well_formed {
                return invalid(alloc::format!("invalid msgtype {msgtype:?}"));
            }
            if !content.is_object() {
                return invalid(alloc::format!("the {msgtype} content must be an object"));
            }
        }
        Ok(())
    }
}

fn join<T: core::fmt::Display>(items: &[T]) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push('|');
        }
        out.push_str(&alloc::format!("{item}"));
    }
    out
}

impl Serialize for SendMessage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        if !self.touser.is_empty() {
            map.serialize_entry("touser", &join(&self.touser))?;
        }
        if !self.toparty.is_empty() {
            map.serialize_entry("toparty", &join(&self.toparty))?;
        }
        if !self.totag.is_empty() {
            map.serialize_entry("totag", &join(&self.totag))?;
        }
        map.serialize_entry("msgtype", self.message.msgtype())?;
        map.serialize_entry("agentid", &self.agentid)?;
        self.message.serialize_content(&mut map)?;
        if let Some(safe) = self.safe {
            map.serialize_entry("safe", &safe)?;
        }
        if let Some(on) = self.enable_id_trans {
            map.serialize_entry("enable_id_trans", &u8::from(on))?;
        }
        if let Some(on) = self.enable_duplicate_check {
            map.serialize_entry("enable_duplicate_check", &u8::from(on))?;
        }
        if let Some(interval) = self.duplicate_check_interval {
            map.serialize_entry("duplicate_check_interval", &interval)?;
        }
        map.end()
    }
}

/// What `message/send` reports. Partly invalid recipients do not fail the send; they are
/// listed here (all invalid fails with API error 81013).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SendResult {
    /// UserIDs that were not delivered to (lowercased by WeCom).
    #[serde(deserialize_with = "de::id_list")]
    pub invaliduser: Vec<String>,
    /// Invalid department ids.
    #[serde(deserialize_with = "de::id_list")]
    pub invalidparty: Vec<String>,
    /// Invalid tag ids.
    #[serde(deserialize_with = "de::id_list")]
    pub invalidtag: Vec<String>,
    /// Members without an interface licence.
    #[serde(deserialize_with = "de::id_list")]
    pub unlicenseduser: Vec<String>,
    /// The message id, for [`RecallMessage`].
    pub msgid: Option<String>,
    /// For interactive template cards: the one-time code of [`UpdateTemplateCard`], valid
    /// 24 hours.
    pub response_code: Option<String>,
}

impl SendResult {
    /// Whether every recipient was valid.
    pub fn all_delivered(&self) -> bool {
        self.invaliduser.is_empty()
            && self.invalidparty.is_empty()
            && self.invalidtag.is_empty()
            && self.unlicenseduser.is_empty()
    }
}

impl Endpoint for SendMessage {
    type Output = SendResult;

    fn request(&self) -> Result<ApiRequest, Error> {
        self.check()?;
        ApiRequest::post("/cgi-bin/message/send")
            .idempotency(Idempotency::NonIdempotent)
            .json_of(self)
    }

    fn parse(&self, response: ApiResponse) -> Result<SendResult, Error> {
        parse_json(&response)
    }
}

/// What the card updates report.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CardUpdateResult {
    /// Members whose card could not be updated.
    #[serde(deserialize_with = "de::id_list")]
    pub invaliduser: Vec<String>,
}

endpoint! {
    /// Changes the buttons of a sent task card to a "done" text,
    /// `POST /cgi-bin/message/update_taskcard` (wechatpy `message.update_taskcard`). Sets a
    /// state, so it may be retried.
    UpdateTaskcard: POST "/cgi-bin/message/update_taskcard" [Idempotent] => CardUpdateResult {
        /// The members whose card changes (at most 1000).
        userids: Vec<String>,
        /// The application.
        agentid: i64,
        /// The card's task id.
        task_id: String,
        /// The text replacing the buttons.
        replace_name: String,
        /// The clicked button's key (optional).
        #[serde(skip_serializing_if = "Option::is_none")]
        clicked_key: Option<String>,
    }
}

/// How a sent template card changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CardUpdate {
    /// Make the buttons unclickable with this text.
    Button {
        /// The text.
        replace_name: String,
    },
    /// Replace the card.
    TemplateCard(Box<TemplateCard>),
}

/// Updates a sent interactive template card, `POST /cgi-bin/message/update_template_card`
/// (not in wechatpy). The `response_code` from [`SendResult`] or the click event is single
/// use; the update sets a state, so it counts as idempotent (a replay after a lost answer
/// fails with an invalid-code error instead of changing anything twice).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdateTemplateCard {
    /// Members whose card changes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub userids: Vec<String>,
    /// Departments whose members' cards change.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partyids: Vec<u64>,
    /// Tags whose members' cards change.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tagids: Vec<u64>,
    /// Every recipient's card changes (sent as 1).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "de::flag")]
    pub atall: Option<bool>,
    /// The application.
    pub agentid: i64,
    /// The one-time code.
    pub response_code: String,
    /// Translate ids in the new card.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "de::flag")]
    pub enable_id_trans: Option<bool>,
    /// The change.
    #[serde(flatten)]
    pub update: CardUpdate,
}

impl Endpoint for UpdateTemplateCard {
    type Output = CardUpdateResult;

    fn request(&self) -> Result<ApiRequest, Error> {
        ApiRequest::post("/cgi-bin/message/update_template_card")
            .idempotency(Idempotency::Idempotent)
            .json_of(self)
    }

    fn parse(&self, response: ApiResponse) -> Result<CardUpdateResult, Error> {
        parse_json(&response)
    }
}

endpoint! {
    /// Recalls a message sent within 24 hours, `POST /cgi-bin/message/recall` (not in
    /// wechatpy). Recalling twice changes nothing, so it may be retried.
    RecallMessage: POST "/cgi-bin/message/recall" [Idempotent] => ApiOk {
        /// The `msgid` from [`SendResult`].
        msgid: String,
    }
}

crate::facade!(
    /// `client.message()`: wechatpy's `client.message` group (WeCom application messages).
    MessageApi
);

impl<'c, C: Caller + ?Sized> MessageApi<'c, C> {
    fn to_users(&self, agent_id: i64, to_users: &[&str], message: WorkMessage) -> C::Ret<'c, SendResult> {
        self.0.call(SendMessage::new(agent_id, message).to_users(to_users))
    }

    /// Sends any message to any recipients (wechatpy `message.send`).
    pub fn send(&self, message: SendMessage) -> C::Ret<'c, SendResult> {
        self.0.call(message)
    }

    /// Sends a text (wechatpy `message.send_text`).
    pub fn send_text(&self, agent_id: i64, to_users: &[&str], content: &str) -> C::Ret<'c, SendResult> {
        self.to_users(agent_id, to_users, WorkMessage::text(content))
    }

    /// Sends a text card (wechatpy `message.send_text_card`); `btntxt` defaults to "详情".
    pub fn send_text_card(
        &self,
        agent_id: i64,
        to_users: &[&str],
        title: &str,
        description: &str,
        url: &str,
        btntxt: Option<&str>,
    ) -> C::Ret<'c, SendResult> {
        self.to_users(
            agent_id,
            to_users,
            WorkMessage::text_card(title, description, url, btntxt.map(String::from)),
        )
    }

    /// Sends an image (wechatpy `message.send_image`).
    pub fn send_image(&self, agent_id: i64, to_users: &[&str], media_id: &str) -> C::Ret<'c, SendResult> {
        self.to_users(agent_id, to_users, WorkMessage::image(media_id))
    }

    /// Sends a voice message (wechatpy `message.send_voice`).
    pub fn send_voice(&self, agent_id: i64, to_users: &[&str], media_id: &str) -> C::Ret<'c, SendResult> {
        self.to_users(agent_id, to_users, WorkMessage::voice(media_id))
    }

    /// Sends a video (wechatpy `message.send_video`).
    pub fn send_video(
        &self,
        agent_id: i64,
        to_users: &[&str],
        media_id: &str,
        title: Option<&str>,
        description: Option<&str>,
    ) -> C::Ret<'c, SendResult> {
        self.to_users(
            agent_id,
            to_users,
            WorkMessage::video(media_id, title.map(String::from), description.map(String::from)),
        )
    }

    /// Sends a file (wechatpy `message.send_file`).
    pub fn send_file(&self, agent_id: i64, to_users: &[&str], media_id: &str) -> C::Ret<'c, SendResult> {
        self.to_users(agent_id, to_users, WorkMessage::file(media_id))
    }

    /// Sends news articles (wechatpy `message.send_articles`).
    pub fn send_articles(
        &self,
        agent_id: i64,
        to_users: &[&str],
        articles: Vec<NewsArticle>,
    ) -> C::Ret<'c, SendResult> {
        self.to_users(agent_id, to_users, WorkMessage::news(articles))
    }

    /// Sends mpnews articles (wechatpy `message.send_mp_articles`).
    pub fn send_mp_articles(
        &self,
        agent_id: i64,
        to_users: &[&str],
        articles: Vec<MpNewsArticle>,
    ) -> C::Ret<'c, SendResult> {
        self.to_users(agent_id, to_users, WorkMessage::mpnews(articles))
    }

    /// Sends markdown (wechatpy `message.send_markdown`).
    pub fn send_markdown(&self, agent_id: i64, to_users: &[&str], content: &str) -> C::Ret<'c, SendResult> {
        self.to_users(agent_id, to_users, WorkMessage::markdown(content))
    }

    /// Sends a template card (not in wechatpy).
    pub fn send_template_card(&self, agent_id: i64, to_users: &[&str], card: TemplateCard) -> C::Ret<'c, SendResult> {
        self.to_users(agent_id, to_users, WorkMessage::template_card(card))
    }

    /// Marks a task card done for some members (wechatpy `message.update_taskcard`).
    pub fn update_taskcard(
        &self,
        agent_id: i64,
        user_ids: &[&str],
        task_id: &str,
        replace_name: &str,
    ) -> C::Ret<'c, CardUpdateResult> {
        self.0.call(UpdateTaskcard {
            userids: user_ids.iter().map(|s| String::from(*s)).collect(),
            agentid: agent_id,
            task_id: task_id.into(),
            replace_name: replace_name.into(),
            clicked_key: None,
        })
    }

    /// Updates a sent template card (not in wechatpy).
    pub fn update_template_card(&self, update: UpdateTemplateCard) -> C::Ret<'c, CardUpdateResult> {
        self.0.call(update)
    }

    /// Recalls a message sent within 24 hours (not in wechatpy).
    pub fn recall(&self, msgid: &str) -> C::Ret<'c, ApiOk> {
        self.0.call(RecallMessage { msgid: msgid.into() })
    }
}

/// This group's endpoints, one list per declaration file, for the [registry](crate::api::registry).
pub(crate) const REGISTRY: &[&[crate::api::registry::Info]] = &[];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::work::testing::{Mock, assert_post};
    use crate::http::Idempotency::{Idempotent, NonIdempotent};

    const SENT: &str = r#"{"errcode":0,"errmsg":"ok","invaliduser":"userid1|userid2","invalidparty":"partyid1|partyid2","invalidtag":"tagid1|tagid2","unlicenseduser":"user1|user2","msgid":"xxxx","response_code":"xyzxyz"}"#;
    const OK: &str = r#"{"errcode":0,"errmsg":"ok","msgid":"m1"}"#;

    #[test]
    fn send_result_is_typed() {
        let mock = Mock::new(&[SENT]);
        let sent = mock.message().send_text(1, &["zhangsan"], "hi").unwrap();
        assert_eq!(sent.invaliduser, ["userid1", "userid2"]);
        assert_eq!(sent.invalidparty, ["partyid1", "partyid2"]);
        assert_eq!(sent.invalidtag, ["tagid1", "tagid2"]);
        assert_eq!(sent.unlicenseduser, ["user1", "user2"]);
        assert_eq!(sent.msgid.as_deref(), Some("xxxx"));
        assert_eq!(sent.response_code.as_deref(), Some("xyzxyz"));
        assert!(!sent.all_delivered());
        let clean = SendMessage::new(1, WorkMessage::text("x"))
            .parse(ApiResponse::json(
                &br#"{"errcode":0,"errmsg":"ok","invaliduser":"","msgid":"m"}"#[..],
            ))
            .unwrap();
        assert!(clean.all_delivered());
        let all_invalid = SendMessage::new(1, WorkMessage::text("x")).parse(ApiResponse::json(
            &br#"{"errcode":81013,"errmsg":"user & party & tag all invalid","invaliduser":"a"}"#[..],
        ));
        assert!(matches!(all_invalid, Err(Error::Api(e)) if e.code == 81013));
    }

    #[test]
    fn every_wechatpy_send_method() {
        let mock = Mock::new(&[OK; 10]);
        let m = mock.message();
        m.send_text(1000002, &["a", "b"], "你好").unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/message/send",
            r#"{"touser":"a|b","msgtype":"text","agentid":1000002,"text":{"content":"你好"}}"#,
            NonIdempotent,
        );
        m.send_text_card(
            1,
            &["a"],
            "领奖通知",
            "<div class=\"gray\">2016年9月26日</div>",
            "URL",
            Some("更多"),
        )
        .unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/message/send",
            r#"{"touser":"a","msgtype":"textcard","agentid":1,"textcard":{"title":"领奖通知","description":"<div class=\"gray\">2016年9月26日</div>","url":"URL","btntxt":"更多"}}"#,
            NonIdempotent,
        );
        m.send_image(1, &["a"], "MEDIA").unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/message/send",
            r#"{"touser":"a","msgtype":"image","agentid":1,"image":{"media_id":"MEDIA"}}"#,
            NonIdempotent,
        );
        m.send_voice(1, &["a"], "MEDIA").unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/message/send",
            r#"{"touser":"a","msgtype":"voice","agentid":1,"voice":{"media_id":"MEDIA"}}"#,
            NonIdempotent,
        );
        m.send_video(1, &["a"], "MEDIA", Some("Title"), None).unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/message/send",
            r#"{"touser":"a","msgtype":"video","agentid":1,"video":{"media_id":"MEDIA","title":"Title"}}"#,
            NonIdempotent,
        );
        m.send_file(1, &["a"], "MEDIA").unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/message/send",
            r#"{"touser":"a","msgtype":"file","agentid":1,"file":{"media_id":"MEDIA"}}"#,
            NonIdempotent,
        );
        m.send_articles(
            1,
            &["a"],
            alloc::vec![NewsArticle {
                title: "中秋节礼品领取".into(),
                description: Some("今年中秋节公司有豪礼相送".into()),
                url: Some("URL".into()),
                picurl: Some(
                    "http://res.mail.qq.com/node/ww/wwopenmng/images/independent/doc/test_pic_msg1.png".into()
                ),
                ..NewsArticle::default()
            }],
        )
        .unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/message/send",
            r#"{"touser":"a","msgtype":"news","agentid":1,"news":{"articles":[{"title":"中秋节礼品领取","description":"今年中秋节公司有豪礼相送","url":"URL","picurl":"http://res.mail.qq.com/node/ww/wwopenmng/images/independent/doc/test_pic_msg1.png"}]}}"#,
            NonIdempotent,
        );
        m.send_mp_articles(
            1,
            &["a"],
            alloc::vec![MpNewsArticle {
                title: "Title".into(),
                thumb_media_id: "MEDIA_ID".into(),
                author: Some("Author".into()),
                content: "Content".into(),
                digest: Some("Digest description".into()),
                ..MpNewsArticle::default()
            }],
        )
        .unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/message/send",
            r#"{"touser":"a","msgtype":"mpnews","agentid":1,"mpnews":{"articles":[{"title":"Title","thumb_media_id":"MEDIA_ID","author":"Author","content":"Content","digest":"Digest description"}]}}"#,
            NonIdempotent,
        );
        m.send_markdown(1, &["a"], "**bold**").unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/message/send",
            r#"{"touser":"a","msgtype":"markdown","agentid":1,"markdown":{"content":"**bold**"}}"#,
            NonIdempotent,
        );
        let sent = m
            .send(
                SendMessage::new(1, WorkMessage::text("x"))
                    .to_all()
                    .to_parties(&[1, 2])
                    .to_tags(&[3])
                    .safe(1)
                    .id_trans()
                    .duplicate_check(None),
            )
            .unwrap();
        assert_eq!(sent.msgid.as_deref(), Some("m1"));
        assert_post(
            &mock.last(),
            "/cgi-bin/message/send",
            r#"{"touser":"@all","toparty":"1|2","totag":"3","msgtype":"text","agentid":1,"text":{"content":"x"},"safe":1,"enable_id_trans":1,"enable_duplicate_check":1}"#,
            NonIdempotent,
        );
    }

    #[test]
    fn recipients_and_raw_types_are_checked() {
        let no_one = SendMessage::new(1, WorkMessage::text("x"));
        assert!(matches!(
            no_one.request(),
            Err(Error::Config(ConfigError::InvalidArgument(_)))
        ));
        // a userid cannot smuggle in more recipients
        assert!(no_one.clone().to_users(&["a|@all"]).request().is_err());
        assert!(no_one.clone().to_users(&[""]).request().is_err());
        assert!(no_one.clone().to_tags(&[1]).request().is_ok());
        for bad in ["", "agentid", "Text", "a b"] {
            let raw = SendMessage::new(
                1,
                WorkMessage::Raw {
                    msgtype: bad.into(),
                    content: serde_json::json!({}),
                },
            )
            .to_users(&["a"]);
            assert!(raw.request().is_err(), "{bad:?}");
        }
        let not_object = SendMessage::new(
            1,
            WorkMessage::Raw {
                msgtype: "future".into(),
                content: serde_json::json!("x"),
            },
        )
        .to_users(&["a"]);
        assert!(not_object.request().is_err());
        let raw = SendMessage::new(
            1,
            WorkMessage::Raw {
                msgtype: "future_type".into(),
                content: serde_json::json!({"k": 1}),
            },
        )
        .to_users(&["a"]);
        assert_eq!(
            raw.request().unwrap().body.unwrap().bytes,
            br#"{"touser":"a","msgtype":"future_type","agentid":1,"future_type":{"k":1}}"#
        );
        // nothing was sent for a rejected message
        let mock = Mock::new(&[]);
        assert!(mock.message().send_text(1, &[], "x").is_err());
        assert!(mock.requests.borrow().is_empty());
    }

    #[test]
    fn notices_and_task_cards() {
        let notice = SendMessage::new(
            1,
            WorkMessage::MiniprogramNotice(MiniprogramNotice {
                appid: "wx123123123123123".into(),
                page: Some("pages/index?userid=zhangsan&orderid=123123123".into()),
                title: "会议室预订成功通知".into(),
                description: Some("4月27日 16:16".into()),
                emphasis_first_item: Some(true),
                content_item: alloc::vec![KeyValue {
                    key: "会议室".into(),
                    value: "402".into()
                }],
            }),
        )
        .to_users(&["a"]);
        assert_eq!(
            String::from_utf8(notice.request().unwrap().body.unwrap().bytes).unwrap(),
            r#"{"touser":"a","msgtype":"miniprogram_notice","agentid":1,"miniprogram_notice":{"appid":"wx123123123123123","page":"pages/index?userid=zhangsan&orderid=123123123","title":"会议室预订成功通知","description":"4月27日 16:16","emphasis_first_item":true,"content_item":[{"key":"会议室","value":"402"}]}}"#
        );
        let taskcard = SendMessage::new(
            1,
            WorkMessage::InteractiveTaskcard(Taskcard {
                title: "赵明登的礼物申请".into(),
                description: "礼品：A31茶具套装".into(),
                url: Some("URL".into()),
                task_id: "taskid123".into(),
                btn: alloc::vec![TaskcardButton {
                    key: "key111".into(),
                    name: "批准".into(),
                    replace_name: Some("已批准".into()),
                    color: Some("red".into()),
                    is_bold: Some(true),
                }],
            }),
        )
        .to_users(&["a"]);
        assert_eq!(
            String::from_utf8(taskcard.request().unwrap().body.unwrap().bytes).unwrap(),
            r#"{"touser":"a","msgtype":"interactive_taskcard","agentid":1,"interactive_taskcard":{"title":"赵明登的礼物申请","description":"礼品：A31茶具套装","url":"URL","task_id":"taskid123","btn":[{"key":"key111","name":"批准","replace_name":"已批准","color":"red","is_bold":true}]}}"#
        );

        let mock = Mock::new(&[r#"{"errcode":0,"errmsg":"ok","invaliduser":["zhangsan"]}"#]);
        let updated = mock
            .message()
            .update_taskcard(1, &["zhangsan", "lisi"], "taskid123", "已收到")
            .unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/message/update_taskcard",
            r#"{"userids":["zhangsan","lisi"],"agentid":1,"task_id":"taskid123","replace_name":"已收到"}"#,
            Idempotent,
        );
        assert_eq!(updated.invaliduser, ["zhangsan"]);
    }

    fn button_card() -> TemplateCard {
        TemplateCard {
            source: Some(CardSource {
                icon_url: Some("图片的url".into()),
                desc: Some("企业微信".into()),
                desc_color: Some(1),
            }),
            main_title: Some(CardTitle {
                title: Some("欢迎使用企业微信".into()),
                desc: Some("您的好友正在邀请您加入企业微信".into()),
            }),
            horizontal_content_list: alloc::vec![CardHorizontalContent {
                keyname: "邀请人".into(),
                value: Some("张三".into()),
                ..CardHorizontalContent::default()
            }],
            card_action: Some(CardAction {
                r#type: 1,
                url: Some("https://work.weixin.qq.com".into()),
                ..CardAction::default()
            }),
            task_id: Some("task_id".into()),
            button_selection: Some(CardSelection {
                question_key: "btn_question_key1".into(),
                title: Some("企业微信评分".into()),
                selected_id: Some("btn_selection_id1".into()),
                option_list: alloc::vec![CardOption {
                    id: "btn_selection_id1".into(),
                    text: "100分".into(),
                    is_checked: None,
                }],
                ..CardSelection::default()
            }),
            button_list: alloc::vec![CardButton {
                text: "按钮1".into(),
                style: Some(1),
                key: Some("button_key_1".into()),
                ..CardButton::default()
            }],
            ..TemplateCard::new("button_interaction")
        }
    }

    #[test]
    fn template_cards() {
        let mock = Mock::new(&[SENT, r#"{"errcode":0,"errmsg":"ok","invaliduser":[]}"#, OK]);
        let sent = mock.message().send_template_card(1, &["a"], button_card()).unwrap();
        assert_post(
            &mock.last(),
            "/cgi-bin/message/send",
            concat!(
                r#"{"touser":"a","msgtype":"template_card","agentid":1,"template_card":{"card_type":"button_interaction","#,
                r#""source":{"icon_url":"图片的url","desc":"企业微信","desc_color":1},"#,
                r#""main_title":{"title":"欢迎使用企业微信","desc":"您的好友正在邀请您加入企业微信"},"#,
                r#""horizontal_content_list":[{"keyname":"邀请人","value":"张三"}],"#,
                r#""card_action":{"type":1,"url":"https://work.weixin.qq.com"},"task_id":"task_id","#,
                r#""button_selection":{"question_key":"btn_question_key1","title":"企业微信评分","selected_id":"btn_selection_id1","option_list":[{"id":"btn_selection_id1","text":"100分"}]},"#,
                r#""button_list":[{"text":"按钮1","style":1,"key":"button_key_1"}]}}"#
            ),
            NonIdempotent,
        );
        let code = sent.response_code.unwrap();

        let updated = mock
            .message()
            .update_template_card(UpdateTemplateCard {
                userids: alloc::vec!["a".into()],
                partyids: Vec::new(),
                tagids: Vec::new(),
                atall: None,
                agentid: 1,
                response_code: code.clone(),
                enable_id_trans: None,
                update: CardUpdate::Button {
                    replace_name: "已提交".into(),
                },
            })
            .unwrap();
        assert!(updated.invaliduser.is_empty());
        assert_post(
            &mock.last(),
            "/cgi-bin/message/update_template_card",
            r#"{"userids":["a"],"agentid":1,"response_code":"xyzxyz","button":{"replace_name":"已提交"}}"#,
            Idempotent,
        );
        let replace = UpdateTemplateCard {
            userids: Vec::new(),
            partyids: alloc::vec![2],
            tagids: Vec::new(),
            atall: Some(true),
            agentid: 1,
            response_code: code,
            enable_id_trans: Some(false),
            update: CardUpdate::TemplateCard(Box::new(TemplateCard {
                replace_text: Some("已评分".into()),
                ..TemplateCard::new("text_notice")
            })),
        };
        assert_eq!(
            String::from_utf8(replace.request().unwrap().body.unwrap().bytes).unwrap(),
            r#"{"partyids":[2],"atall":1,"agentid":1,"response_code":"xyzxyz","enable_id_trans":0,"template_card":{"card_type":"text_notice","replace_text":"已评分"}}"#
        );

        mock.message().recall("m1").unwrap();
        assert_post(&mock.last(), "/cgi-bin/message/recall", r#"{"msgid":"m1"}"#, Idempotent);
    }

    #[test]
    fn news_card_with_image_and_extra_fields() {
        let mut extra = serde_json::Map::new();
        extra.insert("future_area".into(), serde_json::json!({"x": 1}));
        let card = TemplateCard {
            image_text_area: Some(CardImageTextArea {
                r#type: Some(1),
                url: Some("https://work.weixin.qq.com".into()),
                title: Some("欢迎使用企业微信".into()),
                image_url: "https://wework.qpic.cn/wwpic/354393_4zpkKXd7SrGMvfg_1629280616/0".into(),
                ..CardImageTextArea::default()
            }),
            card_image: Some(CardImage {
                url: "URL".into(),
                aspect_ratio: Some(2.25),
            }),
            vertical_content_list: alloc::vec![CardTitle {
                title: Some("惊喜红包等你来拿".into()),
                desc: None,
            }],
            jump_list: alloc::vec![CardJump {
                r#type: Some(2),
                title: "跳转小程序".into(),
                appid: Some("APPID".into()),
                pagepath: Some("PAGEPATH".into()),
                ..CardJump::default()
            }],
            extra,
            ..TemplateCard::new("news_notice")
        };
        let body = serde_json::to_string(&card).unwrap();
        assert_eq!(
            body,
            concat!(
                r#"{"card_type":"news_notice","jump_list":[{"type":2,"title":"跳转小程序","appid":"APPID","pagepath":"PAGEPATH"}],"#,
                r#""image_text_area":{"type":1,"url":"https://work.weixin.qq.com","title":"欢迎使用企业微信","image_url":"https://wework.qpic.cn/wwpic/354393_4zpkKXd7SrGMvfg_1629280616/0"},"#,
                r#""card_image":{"url":"URL","aspect_ratio":2.25},"vertical_content_list":[{"title":"惊喜红包等你来拿"}],"#,
                r#""future_area":{"x":1}}"#
            )
        );
    }
}
