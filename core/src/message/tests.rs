//! Parse tests for every message and event type.

use super::*;
use alloc::vec::Vec;

fn mp(body: &str) -> Message {
    parse_message(&alloc::format!("<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName><CreateTime>1348831860</CreateTime>{body}</xml>"), Kind::Mp).unwrap()
}

#[test]
fn text_message() {
    let m = mp(
        "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[this is a test]]></Content><MsgId>18446744073709551615</MsgId>",
    );
    assert_eq!(m.type_name(), "text");
    assert_eq!(m.event_key(), None);
    assert_eq!(
        (m.source.as_str(), m.target.as_str(), m.time),
        ("oUser", "gh_1", 1348831860)
    );
    assert_eq!(m.id, Some(u64::MAX));
    assert!(matches!(&m.body, Body::Text(t) if t.content.as_deref() == Some("this is a test")));
}

#[test]
fn subscribe_rewrites() {
    let m = mp(
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_123123]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket>",
    );
    assert_eq!(m.event_key(), Some("subscribe_scan"));
    match &m.body {
        Body::Event(Event::SubscribeScan(e)) => {
            assert_eq!(e.scene_id.as_deref(), Some("123123"));
            assert_eq!(e.ticket.as_deref(), Some("TICKET"));
        }
        other => panic!("{other:?}"),
    }
    // raw keeps what WeChat sent
    assert_eq!(m.raw.text("EventKey"), Some("qrscene_123123"));
    let m = mp("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>");
    assert!(matches!(&m.body, Body::Event(Event::Subscribe(e)) if e.key.is_empty()));
}

#[test]
fn unknown_types_are_kept() {
    let m = mp("<MsgType><![CDATA[hologram]]></MsgType><Beam>1</Beam>");
    assert_eq!(m.type_name(), "unknown");
    assert_eq!(m.raw.text("Beam"), Some("1"));
    let m = mp("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SOMETHING_NEW]]></Event>");
    assert_eq!(m.type_name(), "event");
    assert_eq!(m.event_key(), Some("something_new"));
    let m = mp("<MsgType><![CDATA[event]]></MsgType>");
    assert_eq!(m.type_name(), "unknown");
    assert!(parse_message("<xml><Content>x</Content></xml>", Kind::Mp).is_err());
}

#[test]
fn pictures_are_a_list() {
    let m = mp(
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[pic_sysphoto]]></Event><EventKey><![CDATA[6]]></EventKey><SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum><![CDATA[1b5f7c23b5bf75682a53e7b6d163e185]]></PicMd5Sum></item></PicList></SendPicsInfo>",
    );
    match &m.body {
        Body::Event(Event::PicSysPhoto(e)) => {
            assert_eq!(e.count, Some(1));
            let sums: Vec<_> = e.pictures.iter().map(|p| p.text("PicMd5Sum").unwrap()).collect();
            assert_eq!(sums, ["1b5f7c23b5bf75682a53e7b6d163e185"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn device_dispatch() {
    // device_* without Event: the message type is the key
    let m = mp("<MsgType><![CDATA[device_text]]></MsgType><Content><![CDATA[aGk=]]></Content>");
    assert!(matches!(&m.body, Body::Event(Event::DeviceText(e)) if e.content.as_deref() == Some("hi")));
    // device_event + Event: prefixed
    let m =
        mp("<MsgType><![CDATA[device_event]]></MsgType><Event><![CDATA[Subscribe_Status]]></Event><OpType>1</OpType>");
    assert_eq!(m.event_key(), Some("device_subscribe_status"));
    // an unknown device event keeps its prefixed key
    let m = mp("<MsgType><![CDATA[device_event]]></MsgType><Event><![CDATA[ping]]></Event>");
    assert_eq!((m.type_name(), m.event_key()), ("event", Some("device_ping")));
    // WeCom has no device_* handling
    let xml = "<xml><MsgType><![CDATA[device_text]]></MsgType></xml>";
    assert_eq!(parse_message(xml, Kind::Work).unwrap().type_name(), "unknown");
}

#[test]
fn subscribe_rewrite_prefixes() {
    for (key, want) in [
        ("scanbarcode|ean13|1", "subscribe_scan_product"),
        ("scanimage|qrcode|x", "subscribe_scan_product"),
        ("qrscene_1", "subscribe_scan"),
        ("last_trade_no_1", "subscribe"),
        ("QRSCENE_1", "subscribe"),
    ] {
        let m = mp(&alloc::format!(
            "<MsgType>event</MsgType><Event>subscribe</Event><EventKey><![CDATA[{key}]]></EventKey>"
        ));
        assert_eq!(m.event_key(), Some(want), "{key}");
    }
    // WeCom does not rewrite
    let xml = "<xml><MsgType>event</MsgType><Event>subscribe</Event><EventKey>qrscene_1</EventKey></xml>";
    let m = parse_message(xml, Kind::Work).unwrap();
    assert!(matches!(&m.body, Body::Event(Event::Subscribe(e)) if e.key == "qrscene_1"));
}

#[test]
fn kind_names() {
    assert_eq!("mp".parse::<Kind>().unwrap(), Kind::Mp);
    assert_eq!("work".parse::<Kind>().unwrap(), Kind::Work);
    assert_eq!("wecom".parse::<Kind>().unwrap(), Kind::Work);
    assert_eq!("x".parse::<Kind>().unwrap_err().kind(), "invalid-argument");
    assert_eq!((Kind::Mp.as_str(), Kind::Work.as_str()), ("mp", "work"));
}
