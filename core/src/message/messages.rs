//! Ordinary (non-event) messages: mp §2.4 and WeCom §3.2 of the inventory.

use alloc::string::String;

use super::fields::*;
use super::{Event, Kind, typed};
use crate::xml::Raw;

typed! {
    /// `text`: a text message.
    TextMessage {
        /// `Content`.
        content: Option<String> = text("Content"),
    }
}

typed! {
    /// `image`: an image message.
    ImageMessage {
        /// `MediaId`: download it with the media API.
        media_id: Option<String> = text("MediaId"),
        /// `PicUrl`.
        image: Option<String> = text("PicUrl"),
    }
}

typed! {
    /// `voice`: a voice message.
    VoiceMessage {
        /// `MediaId`.
        media_id: Option<String> = text("MediaId"),
        /// `Format` (amr, speex).
        format: Option<String> = text("Format"),
        /// `Recognition`: speech-to-text, when enabled.
        recognition: Option<String> = text("Recognition"),
    }
}

typed! {
    /// `shortvideo`: a short video message.
    ShortVideoMessage {
        /// `MediaId`.
        media_id: Option<String> = text("MediaId"),
        /// `ThumbMediaId`.
        thumb_media_id: Option<String> = text("ThumbMediaId"),
    }
}

typed! {
    /// `video`: a video message.
    VideoMessage {
        /// `MediaId`.
        media_id: Option<String> = text("MediaId"),
        /// `ThumbMediaId`.
        thumb_media_id: Option<String> = text("ThumbMediaId"),
    }
}

typed! {
    /// `location`: a location message. Coordinates are strings, as in wechatpy.
    LocationMessage {
        /// `Location_X` (latitude).
        location_x: Option<String> = text("Location_X"),
        /// `Location_Y` (longitude).
        location_y: Option<String> = text("Location_Y"),
        /// `Scale`.
        scale: Option<String> = text("Scale"),
        /// `Label`.
        label: Option<String> = text("Label"),
    }
}

impl LocationMessage {
    /// wechatpy's `location` property: `(location_x, location_y)`.
    pub fn location(&self) -> (Option<&str>, Option<&str>) {
        (self.location_x.as_deref(), self.location_y.as_deref())
    }
}

typed! {
    /// `link`: a link message.
    LinkMessage {
        /// `Title`.
        title: Option<String> = text("Title"),
        /// `Description`.
        description: Option<String> = text("Description"),
        /// `Url`.
        url: Option<String> = text("Url"),
        /// `PicUrl` (WeCom only).
        pic_url: Option<String> = text("PicUrl"),
    }
}

typed! {
    /// `miniprogrampage`: a mini-program card sent to customer service (mp only).
    MiniProgramPageMessage {
        /// `AppId`.
        app_id: Option<String> = text("AppId"),
        /// `Title`.
        title: Option<String> = text("Title"),
        /// `PagePath`.
        page_path: Option<String> = text("PagePath"),
        /// `ThumbUrl`.
        thumb_url: Option<String> = text("ThumbUrl"),
        /// `ThumbMediaId`.
        thumb_media_id: Option<String> = text("ThumbMediaId"),
    }
}

/// The typed content of a [`Message`](super::Message).
#[allow(clippy::large_enum_variant)] // see `Event`: one message at a time, no boxing needed
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Body {
    /// `text`.
    Text(TextMessage),
    /// `image`.
    Image(ImageMessage),
    /// `voice`.
    Voice(VoiceMessage),
    /// `shortvideo`.
    ShortVideo(ShortVideoMessage),
    /// `video`.
    Video(VideoMessage),
    /// `location`.
    Location(LocationMessage),
    /// `link`.
    Link(LinkMessage),
    /// `miniprogrampage` (mp only).
    MiniProgramPage(MiniProgramPageMessage),
    /// An event (`MsgType` `event`, and mp `device_*`).
    Event(Event),
    /// A message type this version does not know; see `Message::raw`.
    Unknown,
}

impl Body {
    /// Dispatches a non-event `MsgType`.
    pub(crate) fn parse(kind: Kind, msg_type: &str, raw: &Raw) -> Body {
        match msg_type {
            "text" => Body::Text(TextMessage::from_raw(raw)),
            "image" => Body::Image(ImageMessage::from_raw(raw)),
            "voice" => Body::Voice(VoiceMessage::from_raw(raw)),
            "shortvideo" => Body::ShortVideo(ShortVideoMessage::from_raw(raw)),
            "video" => Body::Video(VideoMessage::from_raw(raw)),
            "location" => Body::Location(LocationMessage::from_raw(raw)),
            "link" => Body::Link(LinkMessage::from_raw(raw)),
            "miniprogrampage" if kind == Kind::Mp => Body::MiniProgramPage(MiniProgramPageMessage::from_raw(raw)),
            _ => Body::Unknown,
        }
    }
}

impl serde::Serialize for Body {
    /// The typed fields, keyed by wechatpy attribute name (`{}` for unknown types).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Body::Text(m) => m.serialize(s),
            Body::Image(m) => m.serialize(s),
            Body::Voice(m) => m.serialize(s),
            Body::ShortVideo(m) => m.serialize(s),
            Body::Video(m) => m.serialize(s),
            Body::Location(m) => m.serialize(s),
            Body::Link(m) => m.serialize(s),
            Body::MiniProgramPage(m) => m.serialize(s),
            Body::Event(e) => e.serialize(s),
            Body::Unknown => s.serialize_map(Some(0))?.end(),
        }
    }
}
