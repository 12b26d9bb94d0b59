//! Property tests for replies: every reply type survives render → parse unchanged, whatever
//! the text (`]]>`, markup, CJK, emoji, tabs and line breaks, empty), and rendered output is
//! always well-formed XML in wechatpy's layout.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use wechat_core::message::{Kind, parse_message};
use wechat_core::reply::{
    Article, Articles, DeviceEvent, DeviceStatus, DeviceText, Hardware, Music, Reply, ReplyBody, Video, create_reply,
    parse_reply, parse_reply_with_time,
};
use wechat_core::time::UnixTime;
use wechat_core::xml::{RawValue, push_cdata};

/// Text WeChat users can send: any character XML 1.0 can carry, biased towards the pieces
/// that break naive writers and readers.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("]]>".to_string()),
        Just("]]".to_string()),
        Just("]".to_string()),
        Just(">".to_string()),
        Just("<".to_string()),
        Just("&".to_string()),
        Just("&amp;".to_string()),
        Just("<![CDATA[".to_string()),
        Just("</xml>".to_string()),
        Just("中文".to_string()),
        Just("😀".to_string()),
        Just("\t".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just(" ".to_string()),
        "[^\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\u{fffe}\u{ffff}]{0,8}",
    ];
    vec(piece, 0..6).prop_map(|pieces| pieces.concat())
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    option::of(text())
}

fn article() -> impl Strategy<Value = Article> {
    (text(), text(), text(), text()).prop_map(|(title, description, image, url)| {
        Article::new(title, url).with_description(description).with_image(image)
    })
}

fn body() -> impl Strategy<Value = ReplyBody> {
    prop_oneof![
        Just(ReplyBody::Empty),
        Just(ReplyBody::Success),
        text().prop_map(|content| ReplyBody::Text { content }),
        text().prop_map(|media_id| ReplyBody::Image { media_id }),
        text().prop_map(|media_id| ReplyBody::Voice { media_id }),
        (text(), opt_text(), opt_text()).prop_map(|(id, title, description)| {
            let mut v = Video::new(id);
            v.title = title;
            v.description = description;
            ReplyBody::Video(v)
        }),
        (text(), opt_text(), opt_text(), opt_text(), opt_text()).prop_map(|(thumb, title, description, url, hq)| {
            let mut m = Music::new(thumb);
            m.title = title;
            m.description = description;
            m.music_url = url;
            m.hq_music_url = hq;
            ReplyBody::Music(m)
        }),
        vec(article(), 0..=Articles::MAX).prop_map(|a| ReplyBody::News(Articles::new(a).unwrap())),
        opt_text().prop_map(|kf_account| ReplyBody::TransferCustomerService { kf_account }),
        (text(), text(), text(), vec(any::<u8>(), 0..64))
            .prop_map(|(t, i, s, c)| { ReplyBody::DeviceText(DeviceText::new(t, i, s, c)) }),
        (text(), text(), text(), text(), vec(any::<u8>(), 0..64))
            .prop_map(|(e, t, i, s, c)| ReplyBody::DeviceEvent(DeviceEvent::new(e, t, i, s, c))),
        (text(), text(), any::<i64>()).prop_map(|(t, i, st)| ReplyBody::DeviceStatus(DeviceStatus::new(t, i, st))),
        (any::<i64>(), text(), text())
            .prop_map(|(flag, view, action)| { ReplyBody::Hardware(Hardware::new(view, action).with_func_flag(flag)) }),
        text().prop_map(|replace_name| ReplyBody::TaskCard { replace_name }),
    ]
}

fn reply() -> impl Strategy<Value = Reply> {
    (text(), text(), option::of(any::<u64>()), body())
        .prop_map(|(source, target, agent, body)| Reply::new(source, target, body).with_agent(agent))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn render_then_parse_is_identity(reply in reply(), time in any::<u64>()) {
        let xml = reply.render(UnixTime(time));
        let (parsed, parsed_time) = parse_reply_with_time(&xml).unwrap();
        match reply.body {
            // a no-reply has no header on the wire
            ReplyBody::Empty => {
                prop_assert_eq!(xml.as_str(), "");
                prop_assert_eq!(parsed, Reply::empty());
                prop_assert_eq!(parsed_time, None);
            }
            ReplyBody::Success => {
                prop_assert_eq!(xml.as_str(), "success");
                prop_assert_eq!(parsed, Reply::success());
                prop_assert_eq!(parsed_time, None);
            }
            _ => {
                prop_assert_eq!(parsed, reply);
                prop_assert_eq!(parsed_time, Some(UnixTime(time)));
            }
        }
    }

    #[test]
    fn rendered_xml_is_well_formed_in_wechatpy_layout(reply in reply(), time in any::<u64>()) {
        prop_assume!(!reply.is_empty());
        let xml = reply.render(UnixTime(time));
        prop_assert!(xml.starts_with("<xml>\n<MsgType><![CDATA["));
        prop_assert!(xml.ends_with("</CreateTime>\n</xml>"));
        let doc = wechat_core::xml::parse(&xml).unwrap();
        prop_assert_eq!(doc.root.as_str(), "xml");
        let names: Vec<&str> = doc.children.iter().map(|(n, _)| n).collect();
        prop_assert_eq!(names[0], "MsgType");
        prop_assert_eq!(doc.children.text("MsgType"), reply.body.msg_type());
        let after_type = usize::from(reply.agent.is_some());
        if let Some(agent) = reply.agent {
            prop_assert_eq!(names[1], "AgentID");
            let rendered = agent.to_string();
            prop_assert_eq!(doc.children.text("AgentID"), Some(rendered.as_str()));
        }
        prop_assert_eq!(&names[names.len() - 3..], &["FromUserName", "ToUserName", "CreateTime"][..]);
        prop_assert_eq!(doc.children.text("FromUserName"), Some(reply.source.as_str()));
        prop_assert_eq!(doc.children.text("ToUserName"), Some(reply.target.as_str()));
        let time_text = time.to_string();
        prop_assert_eq!(doc.children.text("CreateTime"), Some(time_text.as_str()));
        // nothing else at the top level but the body's elements
        for name in &names[1 + after_type..names.len() - 3] {
            prop_assert!(!matches!(*name, "MsgType" | "AgentID" | "FromUserName" | "ToUserName" | "CreateTime"));
        }
        // every element is a leaf with text or a nested element: no stray text anywhere
        for (_, value) in doc.children.iter() {
            if let RawValue::Map(m) = value {
                prop_assert!(m.get("#text").is_none());
            }
        }
    }

    #[test]
    fn render_into_appends_render(reply in reply(), prefix in text(), time in any::<u64>()) {
        let mut buf = prefix.clone();
        reply.render_into(UnixTime(time), &mut buf);
        prop_assert_eq!(buf, prefix + &reply.render(UnixTime(time)));
    }

    #[test]
    fn parse_reply_never_panics_on_damaged_replies(reply in reply(), cut in any::<prop::sample::Index>(), junk in text()) {
        let xml = reply.render(UnixTime(1));
        let mut at = cut.index(xml.len() + 1);
        while !xml.is_char_boundary(at) {
            at -= 1;
        }
        let _ = parse_reply(&xml[..at]);
        let _ = parse_reply(&format!("{}{junk}{}", &xml[..at], &xml[at..]));
        let _ = parse_reply(&junk);
    }

    #[test]
    fn create_reply_from_text_answers_the_sender(
        user in text(), account in text(), content in text(), work in any::<bool>(), agent in any::<u32>()
    ) {
        let mut xml = String::from("<xml><ToUserName>");
        push_cdata(&mut xml, &account);
        xml.push_str("</ToUserName><FromUserName>");
        push_cdata(&mut xml, &user);
        xml.push_str("</FromUserName><MsgType>text</MsgType><Content>x</Content>");
        xml.push_str(&format!("<AgentID>{agent}</AgentID></xml>"));
        let kind = if work { Kind::Work } else { Kind::Mp };
        let msg = parse_message(&xml, kind).unwrap();
        let reply = create_reply(content.as_str(), &msg).unwrap();
        if content.is_empty() {
            prop_assert_eq!(reply, Reply::empty());
        } else {
            prop_assert_eq!(&reply.source, &account);
            prop_assert_eq!(&reply.target, &user);
            prop_assert_eq!(reply.agent, work.then_some(u64::from(agent)));
            prop_assert_eq!(&reply.body, &ReplyBody::Text { content: content.clone() });
            prop_assert_eq!(parse_reply(&reply.render(UnixTime(0))).unwrap(), reply);
        }
    }
}
