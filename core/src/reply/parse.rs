//! Reading rendered replies back (wechatpy's `deserialize_reply`).

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{Article, Articles, DeviceEvent, DeviceStatus, DeviceText, Hardware, Music, Reply, ReplyBody, Video};
use crate::error::{CallbackError, Error};
use crate::time::UnixTime;
use crate::xml::{self, Raw, RawValue};

fn invalid(msg: String) -> Error {
    CallbackError::InvalidXml(msg).into()
}

/// Reads a reply back from its XML.
///
/// Blank input is [`ReplyBody::Empty`] and `success` is [`ReplyBody::Success`] (both with an
/// empty header). A missing `FromUserName`/`ToUserName` reads as empty; `CreateTime` is
/// checked but not returned (see [`parse_reply_with_time`]). Elements the renderer always
/// writes are required; `Video`/`Music` children, `TransInfo` and `HardWare` are optional, a
/// news item's missing children read as empty, and `ArticleCount`, when present, must match
/// the number of items.
///
/// # Errors
/// - [`CallbackError::InvalidXml`] for malformed XML, a root other than `<xml>`, an unknown
///   `MsgType`, a non-integer `AgentID`/`CreateTime`/`DeviceStatus`/`FuncFlag`/`ArticleCount`,
///   a count mismatch, or device `Content` that is not base64;
/// - [`CallbackError::MissingElement`] without `MsgType` or a required element;
/// - [`ConfigError::InvalidArgument`](crate::error::ConfigError::InvalidArgument) for more
///   than eight articles.
pub fn parse_reply(xml: &str) -> Result<Reply, Error> {
    parse_reply_with_time(xml).map(|(reply, _)| reply)
}

/// [`parse_reply`], also returning `CreateTime` (`None` when absent, and for no-replies).
///
/// # Errors
/// As [`parse_reply`].
pub fn parse_reply_with_time(xml: &str) -> Result<(Reply, Option<UnixTime>), Error> {
    let trimmed = xml.trim();
    if trimmed.is_empty() {
        return Ok((Reply::empty(), None));
    }
    if trimmed == "success" {
        return Ok((Reply::success(), None));
    }
    let doc = xml::parse(xml)?;
    if doc.root != "xml" {
        return Err(invalid(format!(
            "the reply's root element is <{}>, expected <xml>",
            clip(&doc.root)
        )));
    }
    let raw = &doc.children;
    let msg_type = raw
        .text("MsgType")
        .ok_or(CallbackError::MissingElement("MsgType"))?
        .trim();
    let body = parse_body(msg_type, raw)?;
    let reply = Reply {
        source: String::from(raw.text("FromUserName").unwrap_or("")),
        target: String::from(raw.text("ToUserName").unwrap_or("")),
        agent: opt_u64(raw, "AgentID")?,
        body,
    };
    let time = opt_u64(raw, "CreateTime")?.map(UnixTime);
    Ok((reply, time))
}

/// At most 64 characters of untrusted text, for error messages.
fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}

fn parse_body(msg_type: &str, raw: &Raw) -> Result<ReplyBody, Error> {
    Ok(match msg_type {
        // wechatpy registers `EmptyReply` under this name
        "empty" => ReplyBody::Empty,
        "text" => ReplyBody::Text {
            content: req(raw, "Content")?,
        },
        "image" => ReplyBody::Image {
            media_id: req(&*nested(raw, "Image")?, "MediaId")?,
        },
        "voice" => ReplyBody::Voice {
            media_id: req(&*nested(raw, "Voice")?, "MediaId")?,
        },
        "video" => {
            let v = &*nested(raw, "Video")?;
            ReplyBody::Video(Video {
                media_id: req(v, "MediaId")?,
                title: opt(v, "Title"),
                description: opt(v, "Description"),
            })
        }
        "music" => {
            let m = &*nested(raw, "Music")?;
            ReplyBody::Music(Music {
                thumb_media_id: req(m, "ThumbMediaId")?,
                title: opt(m, "Title"),
                description: opt(m, "Description"),
                music_url: opt(m, "MusicUrl"),
                hq_music_url: opt(m, "HQMusicUrl"),
            })
        }
        "news" => ReplyBody::News(articles(raw)?),
        "transfer_customer_service" => ReplyBody::TransferCustomerService {
            kf_account: opt_nested(raw, "TransInfo")?.and_then(|t| opt(&t, "KfAccount")),
        },
        "device_text" => ReplyBody::DeviceText(DeviceText {
            device_type: req(raw, "DeviceType")?,
            device_id: req(raw, "DeviceID")?,
            session_id: req(raw, "SessionID")?,
            content: base64(raw, "Content")?,
        }),
        "device_event" => ReplyBody::DeviceEvent(DeviceEvent {
            event: req(raw, "Event")?,
            device_type: req(raw, "DeviceType")?,
            device_id: req(raw, "DeviceID")?,
            session_id: req(raw, "SessionID")?,
            content: base64(raw, "Content")?,
        }),
        "device_status" => ReplyBody::DeviceStatus(DeviceStatus {
            device_type: req(raw, "DeviceType")?,
            device_id: req(raw, "DeviceID")?,
            status: opt_i64(raw, "DeviceStatus")?.ok_or(CallbackError::MissingElement("DeviceStatus"))?,
        }),
        "hardware" => {
            let mut hardware = Hardware::default();
            if let Some(flag) = opt_i64(raw, "FuncFlag")? {
                hardware.func_flag = flag;
            }
            if let Some(h) = opt_nested(raw, "HardWare")?.as_deref() {
                if let Some(view) = opt(h, "MessageView") {
                    hardware.view = view;
                }
                if let Some(action) = opt(h, "MessageAction") {
                    hardware.action = action;
                }
            }
            ReplyBody::Hardware(hardware)
        }
        "update_taskcard" => ReplyBody::TaskCard {
            replace_name: req(&*nested(raw, "TaskCard")?, "ReplaceName")?,
        },
        other => {
            return Err(invalid(format!("unknown reply MsgType {:?}", clip(other))));
        }
    })
}

/// The text of a required leaf.
fn req(raw: &Raw, tag: &'static str) -> Result<String, Error> {
    raw.text(tag)
        .map(String::from)
        .ok_or_else(|| CallbackError::MissingElement(tag).into())
}

/// The text of an optional leaf.
fn opt(raw: &Raw, tag: &str) -> Option<String> {
    raw.text(tag).map(String::from)
}

/// A nested element that may be absent; an element without children reads as empty.
fn opt_nested<'a>(raw: &'a Raw, tag: &'static str) -> Result<Option<Cow<'a, Raw>>, Error> {
    match raw.get(tag) {
        None => Ok(None),
        Some(RawValue::Map(m)) => Ok(Some(Cow::Borrowed(m))),
        Some(RawValue::Text(t)) if t.trim().is_empty() => Ok(Some(Cow::Owned(Raw::new()))),
        Some(RawValue::Text(_)) => Err(invalid(format!("<{tag}> holds text, not elements"))),
    }
}

/// A required nested element.
fn nested<'a>(raw: &'a Raw, tag: &'static str) -> Result<Cow<'a, Raw>, Error> {
    opt_nested(raw, tag)?.ok_or_else(|| CallbackError::MissingElement(tag).into())
}

fn opt_u64(raw: &Raw, tag: &'static str) -> Result<Option<u64>, Error> {
    raw.text(tag)
        .map(|t| {
            t.trim()
                .parse()
                .map_err(|_| invalid(format!("<{tag}> is not an unsigned integer")))
        })
        .transpose()
}

fn opt_i64(raw: &Raw, tag: &'static str) -> Result<Option<i64>, Error> {
    raw.text(tag)
        .map(|t| {
            t.trim()
                .parse()
                .map_err(|_| invalid(format!("<{tag}> is not an integer")))
        })
        .transpose()
}

fn base64(raw: &Raw, tag: &'static str) -> Result<Vec<u8>, Error> {
    let text = raw.text(tag).ok_or(CallbackError::MissingElement(tag))?;
    STANDARD
        .decode(text.trim())
        .map_err(|_| invalid(format!("<{tag}> of a device reply is not base64")))
}

fn articles(raw: &Raw) -> Result<Articles, Error> {
    let items: Vec<Article> = match opt_nested(raw, "Articles")? {
        None => Vec::new(),
        Some(list) => list
            .all("item")
            .map(|item| match item {
                RawValue::Map(m) => Ok(Article {
                    title: opt(m, "Title").unwrap_or_default(),
                    description: opt(m, "Description").unwrap_or_default(),
                    image: opt(m, "PicUrl").unwrap_or_default(),
                    url: opt(m, "Url").unwrap_or_default(),
                }),
                RawValue::Text(t) if t.trim().is_empty() => Ok(Article::default()),
                RawValue::Text(_) => Err(invalid(String::from("a news <item> holds text"))),
            })
            .collect::<Result<_, _>>()?,
    };
    if let Some(count) = opt_u64(raw, "ArticleCount")?
        && count != items.len() as u64
    {
        return Err(invalid(format!(
            "<ArticleCount> is {count} but there are {} items",
            items.len()
        )));
    }
    Articles::try_from(items)
}
