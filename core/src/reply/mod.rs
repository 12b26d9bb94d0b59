//! Passive replies: the XML a callback handler sends back in the HTTP response.
//!
//! A [`Reply`] is the common header — `FromUserName` ([`Reply::source`], the account),
//! `ToUserName` ([`Reply::target`], the user), the WeCom `AgentID` ([`Reply::agent`]) — and a
//! typed [`ReplyBody`]. The constructors take the incoming [`Message`] and fill the header the
//! way wechatpy does: source and target swapped, and for WeCom messages the agent id.
//!
//! ```
//! use wechat_core::message::{parse_message, Kind};
//! use wechat_core::reply::Reply;
//! use wechat_core::time::UnixTime;
//!
//! let msg = parse_message(
//!     "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName>\
//!      <CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType>\
//!      <Content><![CDATA[hello]]></Content><MsgId>1234567890123456</MsgId></xml>",
//!     Kind::Mp,
//! )?;
//! let reply = Reply::text(&msg, "hi");
//! assert_eq!(
//!     reply.render(UnixTime(1348831861)),
//!     "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hi]]></Content>\n\
//!      <FromUserName><![CDATA[gh_1]]></FromUserName>\n<ToUserName><![CDATA[oUser]]></ToUserName>\n\
//!      <CreateTime>1348831861</CreateTime>\n</xml>"
//! );
//! # Ok::<(), wechat_core::Error>(())
//! ```
//!
//! # Layout and fixes
//!
//! [`Reply::render`] writes byte for byte what wechatpy 2's `render()` writes (`MsgType` first,
//! then `AgentID` for WeCom, the body in wechatpy's field order with its newlines and
//! indentation, then `FromUserName`, `ToUserName`, `CreateTime`), except for two bugs it fixes:
//!
//! - text containing `]]>` is split across two CDATA sections, so the document stays
//!   well-formed and the text arrives intact (wechatpy writes it verbatim and breaks the XML);
//! - device `Content` is base64-encoded once (wechatpy encodes it twice).
//!
//! # No reply
//!
//! [`ReplyBody::Empty`] renders `""` and [`ReplyBody::Success`] renders `success`. Both tell
//! WeChat "no reply, do not retry", and both must be sent as they are, never encrypted:
//! check [`Reply::is_empty`], or use [`Reply::render_encrypted`], which does it for you.
//!
//! [`create_reply`] turns a string, a list of articles, an existing reply or nothing into a
//! reply (wechatpy's `create_reply`), and [`parse_reply`] reads rendered reply XML back
//! (wechatpy's `deserialize_reply`).

mod create;
mod parse;
mod render;

pub use create::{IntoReply, create_reply};
pub use parse::{parse_reply, parse_reply_with_time};

use alloc::string::String;
use alloc::vec::Vec;

use crate::crypto::MessageCrypto;
use crate::error::{ConfigError, Error};
use crate::message::{Kind, Message};
use crate::time::UnixTime;

/// A passive reply: the header every reply shares and a typed body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reply {
    /// `FromUserName`: the account (the incoming message's `ToUserName`).
    pub source: String,
    /// `ToUserName`: the user (the incoming message's `FromUserName`).
    pub target: String,
    /// WeCom `AgentID`, rendered right after `MsgType` when set. The constructors set it for
    /// replies to WeCom messages whose type WeCom supports (text, image, voice, video, news,
    /// task card) and leave it `None` otherwise.
    pub agent: Option<u64>,
    /// What the reply says.
    pub body: ReplyBody,
}

/// The typed content of a [`Reply`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplyBody {
    /// No reply: renders the empty string (wechatpy's `EmptyReply`). Never encrypt it.
    Empty,
    /// No reply: renders the literal `success`, which WeChat also accepts. Never encrypt it.
    Success,
    /// `text`.
    Text {
        /// `Content`.
        content: String,
    },
    /// `image`.
    Image {
        /// `Image/MediaId`: a media id from the media upload API.
        media_id: String,
    },
    /// `voice`.
    Voice {
        /// `Voice/MediaId`.
        media_id: String,
    },
    /// `video`.
    Video(Video),
    /// `music` (mp only).
    Music(Music),
    /// `news`: one to eight articles (see [`Articles`] for WeChat's limits).
    News(Articles),
    /// `transfer_customer_service`: hand the conversation to customer service (mp only).
    TransferCustomerService {
        /// `TransInfo/KfAccount`: a specific agent account (`kf2001@gh_xxx`); `None` lets
        /// WeChat pick one.
        kf_account: Option<String>,
    },
    /// `device_text` (mp hardware).
    DeviceText(DeviceText),
    /// `device_event` (mp hardware).
    DeviceEvent(DeviceEvent),
    /// `device_status` (mp hardware).
    DeviceStatus(DeviceStatus),
    /// `hardware` (mp WeChat Sport ranking).
    Hardware(Hardware),
    /// `update_taskcard`: WeCom task card update.
    TaskCard {
        /// `TaskCard/ReplaceName`: the text that replaces the card's buttons.
        replace_name: String,
    },
}

impl ReplyBody {
    /// The `MsgType` this body renders, or `None` for the no-reply bodies (which render no
    /// XML at all).
    pub fn msg_type(&self) -> Option<&'static str> {
        Some(match self {
            ReplyBody::Empty | ReplyBody::Success => return None,
            ReplyBody::Text { .. } => "text",
            ReplyBody::Image { .. } => "image",
            ReplyBody::Voice { .. } => "voice",
            ReplyBody::Video(_) => "video",
            ReplyBody::Music(_) => "music",
            ReplyBody::News(_) => "news",
            ReplyBody::TransferCustomerService { .. } => "transfer_customer_service",
            ReplyBody::DeviceText(_) => "device_text",
            ReplyBody::DeviceEvent(_) => "device_event",
            ReplyBody::DeviceStatus(_) => "device_status",
            ReplyBody::Hardware(_) => "hardware",
            ReplyBody::TaskCard { .. } => "update_taskcard",
        })
    }

    /// Whether WeCom has this reply type (and wechatpy's WeCom class renders `AgentID`).
    pub fn is_wecom_type(&self) -> bool {
        matches!(
            self,
            ReplyBody::Text { .. }
                | ReplyBody::Image { .. }
                | ReplyBody::Voice { .. }
                | ReplyBody::Video(_)
                | ReplyBody::News(_)
                | ReplyBody::TaskCard { .. }
        )
    }

    /// Whether this is a no-reply body ([`ReplyBody::Empty`] or [`ReplyBody::Success`]).
    pub fn is_empty(&self) -> bool {
        matches!(self, ReplyBody::Empty | ReplyBody::Success)
    }
}

/// The `AgentID` a reply of `body` to `message` carries, as wechatpy sets it: the message's
/// agent (0 when blank) for WeCom messages and WeCom reply types, nothing otherwise.
fn agent_for(message: &Message, body: &ReplyBody) -> Option<u64> {
    (message.kind == Kind::Work && body.is_wecom_type()).then(|| message.agent.unwrap_or(0))
}

impl Reply {
    /// A reply with an explicit header and no agent.
    pub fn new(source: impl Into<String>, target: impl Into<String>, body: ReplyBody) -> Self {
        Self {
            source: source.into(),
            target: target.into(),
            agent: None,
            body,
        }
    }

    /// Sets [`Reply::agent`].
    #[must_use]
    pub fn with_agent(mut self, agent: Option<u64>) -> Self {
        self.agent = agent;
        self
    }

    /// A reply to `message`: source and target swapped, and the agent id for WeCom messages
    /// when the body is a WeCom type.
    pub fn for_message(message: &Message, body: ReplyBody) -> Self {
        Self {
            source: message.target.clone(),
            target: message.source.clone(),
            agent: agent_for(message, &body),
            body,
        }
    }

    /// Points this reply at `message` (wechatpy's `create_reply` with an existing reply):
    /// source and target come from the message, and the agent is recomputed as in
    /// [`Reply::for_message`] (so a reply to an mp message never carries `AgentID`).
    #[must_use]
    pub fn retargeted(mut self, message: &Message) -> Self {
        self.source.clone_from(&message.target);
        self.target.clone_from(&message.source);
        self.agent = agent_for(message, &self.body);
        self
    }

    /// The "no reply" reply: renders `""`. WeChat does nothing and does not retry.
    pub fn empty() -> Self {
        Self::new(String::new(), String::new(), ReplyBody::Empty)
    }

    /// The "no reply" reply that renders the literal `success`.
    pub fn success() -> Self {
        Self::new(String::new(), String::new(), ReplyBody::Success)
    }

    /// A text reply.
    pub fn text(message: &Message, content: impl Into<String>) -> Self {
        Self::for_message(
            message,
            ReplyBody::Text {
                content: content.into(),
            },
        )
    }

    /// An image reply (`media_id` from the media upload API).
    pub fn image(message: &Message, media_id: impl Into<String>) -> Self {
        Self::for_message(
            message,
            ReplyBody::Image {
                media_id: media_id.into(),
            },
        )
    }

    /// A voice reply.
    pub fn voice(message: &Message, media_id: impl Into<String>) -> Self {
        Self::for_message(
            message,
            ReplyBody::Voice {
                media_id: media_id.into(),
            },
        )
    }

    /// A video reply.
    pub fn video(message: &Message, video: Video) -> Self {
        Self::for_message(message, ReplyBody::Video(video))
    }

    /// A music reply (mp only).
    pub fn music(message: &Message, music: Music) -> Self {
        Self::for_message(message, ReplyBody::Music(music))
    }

    /// A news reply. See [`Articles`] for how many articles WeChat shows.
    ///
    /// # Errors
    /// [`ConfigError::InvalidArgument`] for more than [`Articles::MAX`] articles.
    pub fn news(message: &Message, articles: impl IntoIterator<Item = Article>) -> Result<Self, Error> {
        Ok(Self::for_message(message, ReplyBody::News(Articles::new(articles)?)))
    }

    /// Hands the conversation to customer service, letting WeChat pick an agent (mp only).
    pub fn transfer_customer_service(message: &Message) -> Self {
        Self::for_message(message, ReplyBody::TransferCustomerService { kf_account: None })
    }

    /// Hands the conversation to a specific customer-service account (`TransInfo/KfAccount`).
    pub fn transfer_to_account(message: &Message, kf_account: impl Into<String>) -> Self {
        Self::for_message(
            message,
            ReplyBody::TransferCustomerService {
                kf_account: Some(kf_account.into()),
            },
        )
    }

    /// A `device_text` reply to a device message: `DeviceType`, `DeviceID` and `SessionID` are
    /// copied from the message (empty when it has none). `content` is sent base64-encoded.
    pub fn device_text(message: &Message, content: impl Into<Vec<u8>>) -> Self {
        let raw = &message.raw;
        let field = |tag| String::from(raw.text(tag).unwrap_or(""));
        Self::for_message(
            message,
            ReplyBody::DeviceText(DeviceText::new(
                field("DeviceType"),
                field("DeviceID"),
                field("SessionID"),
                content,
            )),
        )
    }

    /// A `device_event` reply to a device event: `Event`, `DeviceType`, `DeviceID` and
    /// `SessionID` are copied from the message (empty when it has none).
    pub fn device_event(message: &Message, content: impl Into<Vec<u8>>) -> Self {
        let raw = &message.raw;
        let field = |tag| String::from(raw.text(tag).unwrap_or(""));
        Self::for_message(
            message,
            ReplyBody::DeviceEvent(DeviceEvent::new(
                field("Event"),
                field("DeviceType"),
                field("DeviceID"),
                field("SessionID"),
                content,
            )),
        )
    }

    /// A `device_status` reply: `DeviceType` and `DeviceID` are copied from the message.
    pub fn device_status(message: &Message, status: i64) -> Self {
        let raw = &message.raw;
        let field = |tag| String::from(raw.text(tag).unwrap_or(""));
        Self::for_message(
            message,
            ReplyBody::DeviceStatus(DeviceStatus::new(field("DeviceType"), field("DeviceID"), status)),
        )
    }

    /// A `hardware` reply (WeChat Sport ranking).
    pub fn hardware(message: &Message, hardware: Hardware) -> Self {
        Self::for_message(message, ReplyBody::Hardware(hardware))
    }

    /// A WeCom task-card update (`update_taskcard`).
    pub fn task_card(message: &Message, replace_name: impl Into<String>) -> Self {
        Self::for_message(
            message,
            ReplyBody::TaskCard {
                replace_name: replace_name.into(),
            },
        )
    }

    /// Whether this is a no-reply ([`ReplyBody::Empty`] or [`ReplyBody::Success`]): send
    /// [`Reply::render`]'s output as it is, without encrypting it.
    pub fn is_empty(&self) -> bool {
        self.body.is_empty()
    }

    /// Renders the reply and, unless it is a no-reply, encrypts it into the signed envelope
    /// (`timestamp` = `time`). No-replies come back as plain `""` / `success`: WeChat expects
    /// them unencrypted even in safe mode. `random` is the 16-byte plaintext prefix.
    pub fn render_encrypted(&self, crypto: &MessageCrypto, time: UnixTime, nonce: &str, random: &[u8; 16]) -> String {
        let xml = self.render(time);
        if self.is_empty() {
            return xml;
        }
        let mut timestamp = String::with_capacity(20);
        render::push_u64(&mut timestamp, time.as_secs());
        crypto.encrypt_message(&xml, &timestamp, nonce, random)
    }
}

/// A video reply's content.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Video {
    /// `MediaId`.
    pub media_id: String,
    /// `Title`, omitted when `None`.
    pub title: Option<String>,
    /// `Description`, omitted when `None`.
    pub description: Option<String>,
}

impl Video {
    /// A video without title or description.
    pub fn new(media_id: impl Into<String>) -> Self {
        Self {
            media_id: media_id.into(),
            title: None,
            description: None,
        }
    }

    /// Sets the title.
    #[must_use]
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets the description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// A music reply's content. Only the thumbnail is required.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Music {
    /// `ThumbMediaId`.
    pub thumb_media_id: String,
    /// `Title`, omitted when `None`.
    pub title: Option<String>,
    /// `Description`, omitted when `None`.
    pub description: Option<String>,
    /// `MusicUrl`, omitted when `None`.
    pub music_url: Option<String>,
    /// `HQMusicUrl` (played on Wi-Fi), omitted when `None`.
    pub hq_music_url: Option<String>,
}

impl Music {
    /// Music with only a thumbnail.
    pub fn new(thumb_media_id: impl Into<String>) -> Self {
        Self {
            thumb_media_id: thumb_media_id.into(),
            title: None,
            description: None,
            music_url: None,
            hq_music_url: None,
        }
    }

    /// Sets the title.
    #[must_use]
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets the description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the music URL.
    #[must_use]
    pub fn with_music_url(mut self, url: impl Into<String>) -> Self {
        self.music_url = Some(url.into());
        self
    }

    /// Sets the high-quality music URL.
    #[must_use]
    pub fn with_hq_music_url(mut self, url: impl Into<String>) -> Self {
        self.hq_music_url = Some(url.into());
        self
    }
}

/// One news article.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Article {
    /// `Title`.
    pub title: String,
    /// `Description`.
    pub description: String,
    /// `PicUrl`: the cover image URL.
    pub image: String,
    /// `Url`: where a tap leads.
    pub url: String,
}

impl Article {
    /// An article with a title and a link, no description and no image.
    pub fn new(title: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            url: url.into(),
            ..Self::default()
        }
    }

    /// Sets the description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Sets the cover image URL (`PicUrl`).
    #[must_use]
    pub fn with_image(mut self, image: impl Into<String>) -> Self {
        self.image = image.into();
        self
    }
}

/// The articles of a news reply: at most [`Articles::MAX`] (8), enforced on construction.
///
/// WeChat's own limits are stricter in one case: a passive reply to a **user message** (text,
/// image, voice, video, news, location) is shown with only **one** article; replies to events
/// (subscribe, menu click, scan, ...) may carry up to 8. wechatpy allows 10, which WeChat
/// rejects. An empty list renders `<ArticleCount>0</ArticleCount>` as wechatpy does, but
/// WeChat needs at least one article ([`create_reply`] turns an empty list into no reply).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Articles(Vec<Article>);

fn too_many_articles(count: usize) -> Error {
    ConfigError::InvalidArgument(alloc::format!(
        "a news reply carries at most {} articles, got {count}",
        Articles::MAX
    ))
    .into()
}

impl Articles {
    /// The most articles a news reply may carry.
    pub const MAX: usize = 8;

    /// Collects articles.
    ///
    /// # Errors
    /// [`ConfigError::InvalidArgument`] for more than [`Articles::MAX`] articles.
    pub fn new(articles: impl IntoIterator<Item = Article>) -> Result<Self, Error> {
        let mut iter = articles.into_iter();
        let mut out = Vec::with_capacity(iter.size_hint().0.min(Self::MAX));
        for article in iter.by_ref() {
            if out.len() == Self::MAX {
                return Err(too_many_articles(Self::MAX + 1 + iter.count()));
            }
            out.push(article);
        }
        Ok(Self(out))
    }

    /// Appends an article.
    ///
    /// # Errors
    /// [`ConfigError::InvalidArgument`] when [`Articles::MAX`] articles are already there.
    pub fn push(&mut self, article: Article) -> Result<(), Error> {
        if self.0.len() >= Self::MAX {
            return Err(too_many_articles(self.0.len() + 1));
        }
        self.0.push(article);
        Ok(())
    }

    /// The articles, in order.
    pub fn as_slice(&self) -> &[Article] {
        &self.0
    }

    /// Iterates over the articles.
    pub fn iter(&self) -> core::slice::Iter<'_, Article> {
        self.0.iter()
    }

    /// How many articles there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The articles as a `Vec`.
    pub fn into_vec(self) -> Vec<Article> {
        self.0
    }
}

impl TryFrom<Vec<Article>> for Articles {
    type Error = Error;
    fn try_from(articles: Vec<Article>) -> Result<Self, Error> {
        if articles.len() > Self::MAX {
            return Err(too_many_articles(articles.len()));
        }
        Ok(Self(articles))
    }
}

impl AsRef<[Article]> for Articles {
    fn as_ref(&self) -> &[Article] {
        &self.0
    }
}

impl<'a> IntoIterator for &'a Articles {
    type Item = &'a Article;
    type IntoIter = core::slice::Iter<'a, Article>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// A `device_text` reply's content.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceText {
    /// `DeviceType`.
    pub device_type: String,
    /// `DeviceID`.
    pub device_id: String,
    /// `SessionID`.
    pub session_id: String,
    /// `Content`: bytes for the device, rendered base64-encoded (once).
    pub content: Vec<u8>,
}

impl DeviceText {
    /// Builds the content; `content` may be text or bytes.
    pub fn new(
        device_type: impl Into<String>,
        device_id: impl Into<String>,
        session_id: impl Into<String>,
        content: impl Into<Vec<u8>>,
    ) -> Self {
        Self {
            device_type: device_type.into(),
            device_id: device_id.into(),
            session_id: session_id.into(),
            content: content.into(),
        }
    }
}

/// A `device_event` reply's content.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceEvent {
    /// `Event` (`bind`, `unbind`, ...).
    pub event: String,
    /// `DeviceType`.
    pub device_type: String,
    /// `DeviceID`.
    pub device_id: String,
    /// `SessionID`.
    pub session_id: String,
    /// `Content`: bytes for the device, rendered base64-encoded (once).
    pub content: Vec<u8>,
}

impl DeviceEvent {
    /// Builds the content; `content` may be text or bytes.
    pub fn new(
        event: impl Into<String>,
        device_type: impl Into<String>,
        device_id: impl Into<String>,
        session_id: impl Into<String>,
        content: impl Into<Vec<u8>>,
    ) -> Self {
        Self {
            event: event.into(),
            device_type: device_type.into(),
            device_id: device_id.into(),
            session_id: session_id.into(),
            content: content.into(),
        }
    }
}

/// A `device_status` reply's content.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceStatus {
    /// `DeviceType`.
    pub device_type: String,
    /// `DeviceID`.
    pub device_id: String,
    /// `DeviceStatus` (0 disconnected, 1 connected).
    pub status: i64,
}

impl DeviceStatus {
    /// Builds the content.
    pub fn new(device_type: impl Into<String>, device_id: impl Into<String>, status: i64) -> Self {
        Self {
            device_type: device_type.into(),
            device_id: device_id.into(),
            status,
        }
    }
}

/// A `hardware` reply's content (WeChat Sport ranking page).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Hardware {
    /// `FuncFlag` (default 0).
    pub func_flag: i64,
    /// `HardWare/MessageView` (default `myrank`).
    pub view: String,
    /// `HardWare/MessageAction` (default `ranklist`).
    pub action: String,
}

impl Default for Hardware {
    /// `FuncFlag` 0, view `myrank`, action `ranklist` (wechatpy's defaults).
    fn default() -> Self {
        Self {
            func_flag: 0,
            view: String::from("myrank"),
            action: String::from("ranklist"),
        }
    }
}

impl Hardware {
    /// A view and an action, `FuncFlag` 0.
    pub fn new(view: impl Into<String>, action: impl Into<String>) -> Self {
        Self {
            func_flag: 0,
            view: view.into(),
            action: action.into(),
        }
    }

    /// Sets `FuncFlag`.
    #[must_use]
    pub fn with_func_flag(mut self, func_flag: i64) -> Self {
        self.func_flag = func_flag;
        self
    }
}

#[cfg(test)]
mod tests;
