//! Pushed messages and events, typed.
//!
//! [`parse_message`] turns a (decrypted) callback body into a [`Message`]: the fields every
//! message shares, a typed [`Body`], and the complete raw element tree. Unknown message types
//! and unknown events are kept (`Body::Unknown`, `Event::Unknown`) with their raw tree, so
//! nothing WeChat sends is lost when WeChat adds something new.
//!
//! ```
//! use wechat_core::message::{parse_message, Body, Kind};
//! let msg = parse_message(
//!     "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName>\
//!      <CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType>\
//!      <Content><![CDATA[hello]]></Content><MsgId>1234567890123456</MsgId></xml>",
//!     Kind::Mp,
//! )?;
//! assert_eq!(msg.source, "oUser");
//! assert!(matches!(&msg.body, Body::Text(t) if t.content.as_deref() == Some("hello")));
//! # Ok::<(), wechat_core::Error>(())
//! ```
//!
//! Field names follow wechatpy's attribute names (inventory §2.4–2.5 for mp, §3 for WeCom),
//! and its derived properties are fields too (`scan_type`, `pictures`, `subscribes`, ...). Where
//! wechatpy declares a default (`subscribe`'s `key` is `""`, `LOCATION`'s floats are 0.0, mass
//! send counts are 0) the field is not an `Option`. Events wechatpy lacks (`PUBLISHJOBFINISH`,
//! the user-authorisation events, WeCom `change_contact`, template cards, live streams) are
//! typed from WeChat's documentation. An event key valid only on the other platform is
//! [`Event::Unknown`]. `tests/wechatpy_crosscheck.rs` compares every type with wechatpy
//! 2.0.0a26 and lists each deliberate divergence.

mod events;
pub(crate) mod fields;
mod messages;
mod work_events;

pub use events::*;
pub use messages::*;
pub use work_events::*;

use alloc::string::String;

use crate::error::{CallbackError, Error};
use crate::xml::{self, Raw};
use fields::{parse_uint, text};

/// Which platform a callback comes from; the two differ in dispatch rules and event sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Kind {
    /// Official account (公众号).
    #[default]
    Mp,
    /// WeCom / WeChat Work (企业微信).
    Work,
}

impl Kind {
    /// `"mp"` or `"work"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Mp => "mp",
            Kind::Work => "work",
        }
    }
}

impl core::str::FromStr for Kind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "mp" => Ok(Kind::Mp),
            "work" | "wecom" => Ok(Kind::Work),
            _ => Err(crate::error::ConfigError::InvalidArgument(alloc::format!("unknown kind {s:?}")).into()),
        }
    }
}

/// A pushed message or event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Message {
    /// The platform this was parsed for.
    pub kind: Kind,
    /// `MsgType`, lowercased (`text`, `event`, `device_text`, ...).
    pub msg_type: String,
    /// `FromUserName`: the user's openid (mp) or userid (WeCom). Empty if absent.
    pub source: String,
    /// `ToUserName`: the account's original id (mp) or corp id (WeCom). Empty if absent.
    pub target: String,
    /// `CreateTime` in Unix seconds; 0 if absent or malformed.
    pub time: u64,
    /// `MsgId` (`MsgID` for mass/template send results); `None` for most events.
    pub id: Option<u64>,
    /// WeCom `AgentID`; `None` for mp and for blank values.
    pub agent: Option<u64>,
    /// The typed content.
    pub body: Body,
    /// Every element as sent.
    pub raw: Raw,
}

impl Message {
    /// The wechatpy-style type: the lowercase message type, `"event"` for events (including
    /// `device_*` messages, which wechatpy treats as events), `"unknown"` for unknown types.
    pub fn type_name(&self) -> &str {
        match &self.body {
            Body::Event(_) => "event",
            Body::Unknown => "unknown",
            _ => &self.msg_type,
        }
    }

    /// The lowercase event key after wechatpy's rewrites (`subscribe_scan`, `device_bind`, ...),
    /// for events.
    pub fn event_key(&self) -> Option<&str> {
        match &self.body {
            Body::Event(e) => Some(e.key()),
            _ => None,
        }
    }

    /// Builds a message from a parsed element tree.
    ///
    /// # Errors
    /// [`CallbackError::MissingElement`] when `MsgType` is absent.
    pub fn from_raw(raw: Raw, kind: Kind) -> Result<Self, Error> {
        let msg_type = raw
            .text("MsgType")
            .ok_or(CallbackError::MissingElement("MsgType"))?
            .trim()
            .to_lowercase();
        let body = match kind {
            Kind::Mp => dispatch_mp(&msg_type, &raw),
            Kind::Work => dispatch_work(&msg_type, &raw),
        };
        let id = match &body {
            Body::Event(Event::MassSendJobFinish(_) | Event::TemplateSendJobFinish(_)) => raw
                .text("MsgID")
                .and_then(parse_uint)
                .or_else(|| raw.text("MsgId").and_then(parse_uint)),
            _ => raw.text("MsgId").and_then(parse_uint),
        };
        Ok(Message {
            kind,
            source: text("FromUserName")(&raw).unwrap_or_default(),
            target: text("ToUserName")(&raw).unwrap_or_default(),
            time: raw.text("CreateTime").and_then(parse_uint).unwrap_or(0),
            id,
            agent: match kind {
                Kind::Work => raw.text("AgentID").and_then(parse_uint),
                Kind::Mp => None,
            },
            msg_type,
            body,
            raw,
        })
    }
}

/// Parses a callback body (already decrypted) into a [`Message`].
///
/// # Errors
/// [`CallbackError::InvalidXml`] for malformed or unsafe XML, [`CallbackError::MissingElement`]
/// without `MsgType`.
pub fn parse_message(xml: &str, kind: Kind) -> Result<Message, Error> {
    Message::from_raw(xml::parse_children(xml, xml::Limits::default())?, kind)
}

/// mp dispatch (wechatpy `parser.parse_message`): `event` and `device_*` types are events;
/// a `subscribe` with an `EventKey` of `qrscene_…` becomes `subscribe_scan`, and one of
/// `scanbarcode|…`/`scanimage|…` becomes `subscribe_scan_product`.
fn dispatch_mp(msg_type: &str, raw: &Raw) -> Body {
    if msg_type == "event" || msg_type.starts_with("device_") {
        let event = raw.text("Event").map(|e| e.trim().to_lowercase());
        let key = match event {
            None if msg_type.starts_with("device_") => String::from(msg_type),
            None => return Body::Unknown,
            Some(e) if msg_type.starts_with("device_") => alloc::format!("device_{e}"),
            Some(e) if e == "subscribe" => {
                let event_key = raw.text("EventKey").unwrap_or("").trim_start();
                if event_key.starts_with("scanbarcode|") || event_key.starts_with("scanimage|") {
                    String::from("subscribe_scan_product")
                } else if event_key.starts_with("qrscene_") {
                    String::from("subscribe_scan")
                } else {
                    e
                }
            }
            Some(e) => e,
        };
        return Body::Event(Event::parse(Kind::Mp, &key, raw));
    }
    Body::parse(Kind::Mp, msg_type, raw)
}

/// WeCom dispatch (wechatpy `work.parser.parse_message`): only `event` is an event, with no
/// rewrites.
fn dispatch_work(msg_type: &str, raw: &Raw) -> Body {
    if msg_type == "event" {
        return match raw.text("Event") {
            Some(e) => Body::Event(Event::parse(Kind::Work, &e.trim().to_lowercase(), raw)),
            None => Body::Unknown,
        };
    }
    Body::parse(Kind::Work, msg_type, raw)
}

/// Declares a typed view: a struct whose fields are read from the raw tree by extractors.
macro_rules! typed {
    ($(#[$meta:meta])* $name:ident { $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $extract:expr ),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
        #[non_exhaustive]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $name {
            /// Reads the typed fields from the raw element tree (never fails; see `Message::raw`).
            #[allow(unused_variables)]
            pub fn from_raw(raw: &$crate::xml::Raw) -> Self {
                Self { $( $field: ($extract)(raw), )* }
            }
        }
    };
}
pub(crate) use typed;

#[cfg(test)]
mod tests;
