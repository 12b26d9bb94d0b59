//! `reply_roundtrip`: arbitrary reply content through render, parse and the encrypted
//! envelope.
//!
//! Invariants:
//! - a news reply can be built with up to eight articles and never with nine, whichever
//!   constructor is used;
//! - `render` → `parse_reply_with_time` gives back the reply and the time (no-replies render
//!   `""`/`success` and read back as the bare no-reply);
//! - the rendered XML parses with `wechat_core::xml::parse`; `render_into` appends `render`;
//! - `render_encrypted` → `decrypt_message` (with the envelope's own signature, timestamp and
//!   nonce) gives back exactly the rendered XML; no-replies are never encrypted;
//! - a reply re-targeted at a message built from the same header (`create_reply`) swaps
//!   source and target back and carries the WeCom agent exactly when it should.

use arbitrary::Arbitrary;
use wechat_core::crypto::MessageCrypto;
use wechat_core::message::{Kind, parse_message};
use wechat_core::reply::{
    Article, Articles, DeviceEvent, DeviceStatus, DeviceText, Hardware, Music, Reply, ReplyBody, Video, create_reply,
    parse_reply_with_time,
};
use wechat_core::time::UnixTime;
use wechat_core::xml::push_cdata;

use crate::common::{self, Input, VECTOR_KEY, VECTOR_TOKEN};

/// The fixed-size part of a `reply_roundtrip` input.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The reply kind (`% 14`): empty, success, text, image, voice, video, music, news,
    /// transfer_customer_service, device_text, device_event, device_status, hardware,
    /// update_taskcard.
    pub kind: u8,
    /// Bit 0..=3: video/music `Title`, `Description`, `MusicUrl`, `HQMusicUrl` present; bit
    /// 4: `KfAccount` present; bit 5: `AgentID` present; bit 6: the message is a WeCom one.
    pub flags: u8,
    /// The number of news articles (`% 10`, so 9 must be refused).
    pub articles: u8,
    /// `AgentID` (little-endian).
    pub agent: [u8; 8],
    /// `DeviceStatus` / `FuncFlag` (little-endian).
    pub number: [u8; 8],
    /// `CreateTime` (little-endian).
    pub time: [u8; 8],
    /// The random prefix of the encrypted reply.
    pub random: [u8; 16],
}

impl Header {
    /// The bytes that decode to this header.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![self.kind, self.flags, self.articles];
        out.extend_from_slice(&self.agent);
        out.extend_from_slice(&self.number);
        out.extend_from_slice(&self.time);
        out.extend_from_slice(&self.random);
        out
    }
}

/// A `reply_roundtrip` input. Fields: source, target, nonce, receive id, device content
/// (bytes), five strings for the body, then four per article (title, description, image,
/// url).
pub type ReplyInput = Input<Header>;

/// Field index of the first body string; the articles start five fields later.
pub const FIRST_STRING: usize = 5;

/// Decodes and runs raw fuzzer bytes; see [`run`] for the result.
pub fn run_bytes(data: &[u8]) -> bool {
    common::decode::<ReplyInput>(data).is_some_and(|input| run(&input))
}

/// Runs one input; `true` when a reply was built (and went through every check).
pub fn run(input: &ReplyInput) -> bool {
    let h = &input.header;
    let s = |i: usize| input.text(FIRST_STRING + i);
    let flag = |bit: u8| h.flags & (1 << bit) != 0;
    let opt = |bit: u8, i: usize| flag(bit).then(|| s(i));
    let number = i64::from_le_bytes(h.number);

    let body = match h.kind % 14 {
        0 => ReplyBody::Empty,
        1 => ReplyBody::Success,
        2 => ReplyBody::Text { content: s(0) },
        3 => ReplyBody::Image { media_id: s(0) },
        4 => ReplyBody::Voice { media_id: s(0) },
        5 => {
            let mut video = Video::new(s(0));
            video.title = opt(0, 1);
            video.description = opt(1, 2);
            ReplyBody::Video(video)
        }
        6 => {
            let mut music = Music::new(s(0));
            music.title = opt(0, 1);
            music.description = opt(1, 2);
            music.music_url = opt(2, 3);
            music.hq_music_url = opt(3, 4);
            ReplyBody::Music(music)
        }
        7 => match news(input) {
            Some(articles) => ReplyBody::News(articles),
            None => return false,
        },
        8 => ReplyBody::TransferCustomerService { kf_account: opt(4, 0) },
        9 => ReplyBody::DeviceText(DeviceText::new(s(0), s(1), s(2), input.bytes(4))),
        10 => ReplyBody::DeviceEvent(DeviceEvent::new(s(0), s(1), s(2), s(3), input.bytes(4))),
        11 => ReplyBody::DeviceStatus(DeviceStatus::new(s(0), s(1), number)),
        12 => ReplyBody::Hardware(Hardware::new(s(0), s(1)).with_func_flag(number)),
        _ => ReplyBody::TaskCard { replace_name: s(0) },
    };
    let agent = flag(5).then(|| u64::from_le_bytes(h.agent));
    let reply = Reply::new(input.text(0), input.text(1), body).with_agent(agent);
    let time = UnixTime(u64::from_le_bytes(h.time));

    let xml = reply.render(time);
    let mut appended = String::from("prefix");
    reply.render_into(time, &mut appended);
    assert_eq!(appended, format!("prefix{xml}"));

    let (parsed, parsed_time) = parse_reply_with_time(&xml).expect("a rendered reply parses");
    match reply.body {
        ReplyBody::Empty => {
            assert_eq!(xml, "");
            assert_eq!((parsed, parsed_time), (Reply::empty(), None));
        }
        ReplyBody::Success => {
            assert_eq!(xml, "success");
            assert_eq!((parsed, parsed_time), (Reply::success(), None));
        }
        _ => {
            assert_eq!(parsed, reply, "render → parse_reply changed the reply");
            assert_eq!(parsed_time, Some(time));
            let doc = wechat_core::xml::parse(&xml).expect("rendered XML parses");
            assert_eq!(doc.root, "xml");
            assert_eq!(doc.children.text("MsgType"), reply.body.msg_type());
        }
    }

    encrypted(input, &reply, &xml, time);
    retargeted(input, &reply);
    true
}

/// The articles, checking every constructor agrees on the limit; `None` when there are too
/// many.
fn news(input: &ReplyInput) -> Option<Articles> {
    let n = usize::from(input.header.articles % 10);
    let first = FIRST_STRING + 5;
    let list: Vec<Article> = (0..n)
        .map(|i| {
            let f = |j| input.text(first + 4 * i + j);
            Article::new(f(0), f(3)).with_description(f(1)).with_image(f(2))
        })
        .collect();
    let fits = n <= Articles::MAX;
    let built = Articles::new(list.clone());
    assert_eq!(built.is_ok(), fits);
    let converted = Articles::try_from(list.clone());
    assert_eq!(converted.as_ref().ok(), built.as_ref().ok());
    let mut pushed = Articles::default();
    let pushes: Vec<bool> = list.iter().map(|a| pushed.push(a.clone()).is_ok()).collect();
    assert!(pushes.iter().take(Articles::MAX).all(|&ok| ok));
    assert!(pushes.iter().skip(Articles::MAX).all(|&ok| !ok));
    match built {
        Ok(articles) => {
            assert_eq!(articles.as_slice(), &list[..]);
            assert_eq!(pushed, articles);
            Some(articles)
        }
        Err(e) => {
            assert_eq!(e.kind(), "invalid-argument");
            assert_eq!(pushed.len(), Articles::MAX);
            None
        }
    }
}

/// `render_encrypted` decrypts back to `render`.
fn encrypted(input: &ReplyInput, reply: &Reply, xml: &str, time: UnixTime) {
    let crypto = MessageCrypto::new(VECTOR_TOKEN, VECTOR_KEY, input.text(3)).expect("vector key");
    let nonce = input.text(2);
    let out = reply.render_encrypted(&crypto, time, &nonce, &input.header.random);
    if reply.is_empty() {
        assert_eq!(out, xml, "a no-reply was encrypted");
        return;
    }
    let field = |tag| common::top_level_text(&out, tag).expect("envelope field");
    let timestamp = field("TimeStamp");
    assert_eq!(timestamp, time.as_secs().to_string());
    assert_eq!(field("Nonce"), nonce);
    let signature = field("MsgSignature");
    assert_eq!(
        crypto.decrypt_message(&out, &signature, &timestamp, &nonce),
        Ok(xml.to_owned())
    );
}

/// `create_reply` with the reply, for a message whose header is the reply's, swapped.
fn retargeted(input: &ReplyInput, reply: &Reply) {
    let work = input.header.flags & (1 << 6) != 0;
    let kind = if work { Kind::Work } else { Kind::Mp };
    let agent = u64::from_le_bytes(input.header.agent);
    let mut xml = String::from("<xml><ToUserName>");
    push_cdata(&mut xml, &reply.source);
    xml.push_str("</ToUserName><FromUserName>");
    push_cdata(&mut xml, &reply.target);
    xml.push_str(&format!(
        "</FromUserName><MsgType>text</MsgType><Content>x</Content><AgentID>{agent}</AgentID></xml>"
    ));
    let message = parse_message(&xml, kind).expect("a text message parses");
    assert_eq!(message.target, reply.source);
    assert_eq!(message.source, reply.target);
    let again = create_reply(reply.clone(), &message).expect("re-targeting never fails");
    assert_eq!(again.source, reply.source);
    assert_eq!(again.target, reply.target);
    assert_eq!(again.body, reply.body);
    let wants_agent = work && reply.body.is_wecom_type();
    assert_eq!(again.agent, wants_agent.then_some(agent));
}
