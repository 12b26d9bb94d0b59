//! Rendering: one `String`, sized up front, written in wechatpy's exact layout.

use alloc::string::String;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{Reply, ReplyBody};
use crate::time::UnixTime;
use crate::xml::push_cdata;

/// wechatpy's indentation inside `<Image>`, `<Voice>`, `<HardWare>` and before `<Articles>`.
const IND8: &str = "\n        ";
/// wechatpy's indentation inside a news `<item>` and `<TaskCard>`.
const IND12: &str = "\n            ";

/// Appends the decimal digits of `n`.
pub(crate) fn push_u64(out: &mut String, n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        // `n % 10` is below 10, so the cast cannot truncate.
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in &buf[i..] {
        out.push(char::from(b));
    }
}

fn push_i64(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_u64(out, n.unsigned_abs());
}

/// `<tag><![CDATA[text]]></tag>`.
fn leaf(out: &mut String, tag: &str, text: &str) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
    push_cdata(out, text);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

/// `<tag><![CDATA[text]]></tag>` when `text` is set.
fn opt_leaf(out: &mut String, tag: &str, text: Option<&str>) {
    if let Some(text) = text {
        leaf(out, tag, text);
    }
}

/// `<tag><![CDATA[base64(bytes)]]></tag>`; base64 never contains `]]>`.
fn base64_leaf(out: &mut String, tag: &str, bytes: &[u8]) {
    out.push('<');
    out.push_str(tag);
    out.push_str("><![CDATA[");
    STANDARD.encode_string(bytes, out);
    out.push_str("]]></");
    out.push_str(tag);
    out.push('>');
}

/// `<tag>\n        <MediaId><![CDATA[id]]></MediaId>\n        </tag>` (wechatpy's
/// `ImageField`/`VoiceField`).
fn media(out: &mut String, tag: &str, media_id: &str) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
    out.push_str(IND8);
    leaf(out, "MediaId", media_id);
    out.push_str(IND8);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

fn opt_len(s: Option<&String>) -> usize {
    s.map_or(0, |s| s.len() + 40)
}

impl Reply {
    /// Renders the reply XML with `CreateTime` = `time`.
    ///
    /// No-replies render `""` ([`ReplyBody::Empty`]) or `success` ([`ReplyBody::Success`]),
    /// whatever their header says.
    pub fn render(&self, time: UnixTime) -> String {
        let mut out = String::new();
        self.render_into(time, &mut out);
        out
    }

    /// Appends what [`Reply::render`] returns to `out`, to reuse a buffer.
    pub fn render_into(&self, time: UnixTime, out: &mut String) {
        let msg_type = match (&self.body, self.body.msg_type()) {
            (ReplyBody::Success, _) => {
                out.push_str("success");
                return;
            }
            (_, None) => return,
            (_, Some(t)) => t,
        };
        out.reserve(self.estimated_len());
        out.push_str("<xml>\n<MsgType><![CDATA[");
        out.push_str(msg_type);
        out.push_str("]]></MsgType>\n");
        if let Some(agent) = self.agent {
            out.push_str("<AgentID>");
            push_u64(out, agent);
            out.push_str("</AgentID>\n");
        }
        render_body(&self.body, out);
        leaf(out, "FromUserName", &self.source);
        out.push('\n');
        leaf(out, "ToUserName", &self.target);
        out.push_str("\n<CreateTime>");
        push_u64(out, time.as_secs());
        out.push_str("</CreateTime>\n</xml>");
    }

    /// An upper bound of the rendered length, unless text contains `]]>` (each costs 12
    /// more bytes; the `String` then grows once).
    pub(crate) fn estimated_len(&self) -> usize {
        // `<xml>`, the longest MsgType, a 20-digit AgentID, the header tags, a 20-digit
        // CreateTime and the newlines take 235 bytes.
        let header = 240 + self.source.len() + self.target.len();
        let body = match &self.body {
            ReplyBody::Empty => return 0,
            ReplyBody::Success => return 7,
            ReplyBody::Text { content } => 40 + content.len(),
            ReplyBody::Image { media_id } | ReplyBody::Voice { media_id } => 80 + media_id.len(),
            ReplyBody::Video(v) => 40 + v.media_id.len() + opt_len(v.title.as_ref()) + opt_len(v.description.as_ref()),
            ReplyBody::Music(m) => {
                60 + m.thumb_media_id.len()
                    + opt_len(m.title.as_ref())
                    + opt_len(m.description.as_ref())
                    + opt_len(m.music_url.as_ref())
                    + opt_len(m.hq_music_url.as_ref())
            }
            ReplyBody::News(articles) => {
                80 + articles
                    .iter()
                    .map(|a| 200 + a.title.len() + a.description.len() + a.image.len() + a.url.len())
                    .sum::<usize>()
            }
            ReplyBody::TransferCustomerService { kf_account } => opt_len(kf_account.as_ref()) + 40,
            ReplyBody::DeviceText(d) => {
                160 + d.device_type.len() + d.device_id.len() + d.session_id.len() + d.content.len().div_ceil(3) * 4
            }
            ReplyBody::DeviceEvent(d) => {
                200 + d.event.len()
                    + d.device_type.len()
                    + d.device_id.len()
                    + d.session_id.len()
                    + d.content.len().div_ceil(3) * 4
            }
            ReplyBody::DeviceStatus(d) => 140 + d.device_type.len() + d.device_id.len(),
            ReplyBody::Hardware(h) => 180 + h.view.len() + h.action.len(),
            ReplyBody::TaskCard { replace_name } => 80 + replace_name.len(),
        };
        header + body
    }
}

/// The body's nodes, each followed by `\n`.
fn render_body(body: &ReplyBody, out: &mut String) {
    match body {
        ReplyBody::Empty | ReplyBody::Success => return,
        ReplyBody::Text { content } => leaf(out, "Content", content),
        ReplyBody::Image { media_id } => media(out, "Image", media_id),
        ReplyBody::Voice { media_id } => media(out, "Voice", media_id),
        ReplyBody::Video(v) => {
            out.push_str("<Video>");
            leaf(out, "MediaId", &v.media_id);
            opt_leaf(out, "Title", v.title.as_deref());
            opt_leaf(out, "Description", v.description.as_deref());
            out.push_str("</Video>");
        }
        ReplyBody::Music(m) => {
            out.push_str("<Music>");
            leaf(out, "ThumbMediaId", &m.thumb_media_id);
            opt_leaf(out, "Title", m.title.as_deref());
            opt_leaf(out, "Description", m.description.as_deref());
            opt_leaf(out, "MusicUrl", m.music_url.as_deref());
            opt_leaf(out, "HQMusicUrl", m.hq_music_url.as_deref());
            out.push_str("</Music>");
        }
        ReplyBody::News(articles) => {
            out.push_str("<ArticleCount>");
            push_u64(out, articles.len() as u64);
            out.push_str("</ArticleCount>");
            out.push_str(IND8);
            out.push_str("<Articles>");
            for (i, a) in articles.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                out.push_str("<item>");
                out.push_str(IND12);
                leaf(out, "Title", &a.title);
                out.push_str(IND12);
                leaf(out, "Description", &a.description);
                out.push_str(IND12);
                leaf(out, "PicUrl", &a.image);
                out.push_str(IND12);
                leaf(out, "Url", &a.url);
                out.push_str(IND12);
                out.push_str("</item>");
            }
            out.push_str("</Articles>");
        }
        ReplyBody::TransferCustomerService { kf_account: None } => return,
        ReplyBody::TransferCustomerService {
            kf_account: Some(account),
        } => {
            out.push_str("<TransInfo>");
            out.push_str(IND8);
            leaf(out, "KfAccount", account);
            out.push_str(IND8);
            out.push_str("</TransInfo>");
        }
        ReplyBody::DeviceText(d) => {
            leaf(out, "DeviceType", &d.device_type);
            out.push('\n');
            leaf(out, "DeviceID", &d.device_id);
            out.push('\n');
            leaf(out, "SessionID", &d.session_id);
            out.push('\n');
            base64_leaf(out, "Content", &d.content);
        }
        ReplyBody::DeviceEvent(d) => {
            leaf(out, "Event", &d.event);
            out.push('\n');
            leaf(out, "DeviceType", &d.device_type);
            out.push('\n');
            leaf(out, "DeviceID", &d.device_id);
            out.push('\n');
            leaf(out, "SessionID", &d.session_id);
            out.push('\n');
            base64_leaf(out, "Content", &d.content);
        }
        ReplyBody::DeviceStatus(d) => {
            leaf(out, "DeviceType", &d.device_type);
            out.push('\n');
            leaf(out, "DeviceID", &d.device_id);
            out.push_str("\n<DeviceStatus>");
            push_i64(out, d.status);
            out.push_str("</DeviceStatus>");
        }
        ReplyBody::Hardware(h) => {
            out.push_str("<FuncFlag>");
            push_i64(out, h.func_flag);
            out.push_str("</FuncFlag>\n<HardWare>");
            out.push_str(IND8);
            leaf(out, "MessageView", &h.view);
            out.push_str(IND8);
            leaf(out, "MessageAction", &h.action);
            out.push_str(IND8);
            out.push_str("</HardWare>");
        }
        ReplyBody::TaskCard { replace_name } => {
            out.push_str("<TaskCard>");
            out.push_str(IND12);
            leaf(out, "ReplaceName", replace_name);
            out.push_str(IND8);
            out.push_str("</TaskCard>");
        }
    }
    out.push('\n');
}
