//! The handler in every mode, and against hostile requests.

use super::*;
use crate::message::Body;

const TOKEN: &str = "123456";
const KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
const APP: &str = "wx49f0ab532d5d035a";
const NOW: UnixTime = UnixTime(1411525903);

fn text_xml(content: &str) -> String {
    alloc::format!(
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName>\
         <CreateTime>1411525903</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>\
         <MsgId>42</MsgId></xml>"
    )
}

fn token() -> CallbackToken {
    CallbackToken::new(TOKEN)
}

#[test]
fn mp_plain_verification_and_message() {
    let h = CallbackHandler::new(CallbackConfig::mp_plain(TOKEN)).unwrap();
    let q = signed_query(Kind::Mp, &token(), "1411525903", "n1", Some("hello echo"), None);
    match h.handle("GET", &q, b"", NOW).unwrap() {
        Inbound::Verify { echo } => assert_eq!(echo, "hello echo"),
        other => panic!("{other:?}"),
    }
    let q = signed_query(Kind::Mp, &token(), "1411525903", "n1", None, None);
    match h.handle("POST", &q, text_xml("hi").as_bytes(), NOW).unwrap() {
        Inbound::Message { message, reply } => {
            assert!(matches!(&message.body, Body::Text(t) if t.content.as_deref() == Some("hi")));
            assert!(!reply.is_encrypted());
            let r = reply.respond(Some("<xml>reply</xml>"), &[0; 16]);
            assert_eq!((r.status, r.body.as_str()), (200, "<xml>reply</xml>"));
            assert_eq!(reply.respond(None, &[0; 16]).body, "success");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn mp_safe_mode_round_trip() {
    let config = CallbackConfig::mp_encrypted(Mode::Safe, TOKEN, KEY, APP).unwrap();
    let crypto = config.crypto.clone().unwrap();
    let h = CallbackHandler::new(config).unwrap();
    let encrypt = crypto.encrypt(text_xml("secret hi").as_bytes(), &[9; 16]);
    let body =
        alloc::format!("<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>");
    let q = signed_query(Kind::Mp, &token(), "1411525903", "n2", None, Some(&encrypt));
    let Inbound::Message { message, reply } = h.handle("POST", &q, body.as_bytes(), NOW).unwrap() else {
        panic!("expected a message")
    };
    assert!(matches!(&message.body, Body::Text(t) if t.content.as_deref() == Some("secret hi")));
    assert!(reply.is_encrypted());
    let r = reply.respond(Some("<xml><Content>x</Content></xml>"), &[1; 16]);
    let reply_encrypt = super::super::extract_encrypt(&r.body).unwrap();
    let reply_sig = crypto.sign("1411525903", "n2", &reply_encrypt);
    assert!(
        r.body.contains(reply_sig.as_str()),
        "the envelope carries the signature"
    );
    let back = crypto.decrypt_message(&r.body, reply_sig.as_str(), "1411525903", "n2");
    assert_eq!(back.unwrap(), "<xml><Content>x</Content></xml>");
    // safe mode refuses a plaintext request
    let plain = signed_query(Kind::Mp, &token(), "1411525903", "n2", None, None);
    assert_eq!(
        h.handle("POST", &plain, text_xml("x").as_bytes(), NOW)
            .unwrap_err()
            .kind(),
        "missing-parameter"
    );
}

#[test]
fn mp_compatible_mode_accepts_both_and_trusts_only_the_encrypted_part() {
    let config = CallbackConfig::mp_encrypted(Mode::Compatible, TOKEN, KEY, APP).unwrap();
    let crypto = config.crypto.clone().unwrap();
    let h = CallbackHandler::new(config).unwrap();
    let encrypt = crypto.encrypt(text_xml("real").as_bytes(), &[3; 16]);
    // A compatible-mode body: plaintext fields (here tampered) next to Encrypt.
    let body = text_xml("forged").replace(
        "</xml>",
        &alloc::format!("<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"),
    );
    let q = signed_query(Kind::Mp, &token(), "1411525903", "n3", None, Some(&encrypt));
    let Inbound::Message { message, reply } = h.handle("POST", &q, body.as_bytes(), NOW).unwrap() else {
        panic!()
    };
    assert!(matches!(&message.body, Body::Text(t) if t.content.as_deref() == Some("real")));
    assert!(reply.is_encrypted());
    let plain = signed_query(Kind::Mp, &token(), "1411525903", "n3", None, None);
    let Inbound::Message { reply, .. } = h.handle("POST", &plain, text_xml("p").as_bytes(), NOW).unwrap() else {
        panic!()
    };
    assert!(!reply.is_encrypted());
}

#[test]
fn work_verification_vector_and_message() {
    let h = CallbackHandler::new(CallbackConfig::work(TOKEN, KEY, APP).unwrap()).unwrap();
    // inventory §6.1(a), with the echostr's '+' percent-encoded as WeCom sends it
    let q = "msg_signature=dd6b9c95b495b3f7e2901bfbc76c664930ffdb96&timestamp=1411443780&nonce=437374425&echostr=4ByGGj%2BsVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1%2BbXFXDQQb1o6co6Yh9Bv41n7hOchLF6p%2BQ%3D%3D";
    match h.handle("GET", q, b"", UnixTime(1411443780)).unwrap() {
        Inbound::Verify { echo } => assert_eq!(echo, "5927782489442352469"),
        other => panic!("{other:?}"),
    }
    // inventory §6.1(c): the decrypt vector as a POST
    let body = "<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>\n<Encrypt><![CDATA[RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=]]></Encrypt>\n<AgentID><![CDATA[1]]></AgentID>\n</xml>";
    let q = "msg_signature=74d92dfeb87ba7c714f89d98870ae5eb62dff26d&timestamp=1411525903&nonce=461056294";
    let Inbound::Message { message, .. } = h.handle("POST", q, body.as_bytes(), NOW).unwrap() else {
        panic!()
    };
    assert_eq!((message.source.as_str(), message.agent), ("messense", Some(1)));
}

#[test]
fn hostile_requests_get_typed_4xx_errors() {
    let config = CallbackConfig::mp_encrypted(Mode::Safe, TOKEN, KEY, APP).unwrap();
    let crypto = config.crypto.clone().unwrap();
    let h = CallbackHandler::new(config).unwrap();
    let encrypt = crypto.encrypt(text_xml("x").as_bytes(), &[0; 16]);
    let body = alloc::format!("<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>");
    let good = signed_query(Kind::Mp, &token(), "1411525903", "n", None, Some(&encrypt));
    let status = |r: Result<Inbound, Error>| CallbackResponse::rejected(&r.unwrap_err()).status;

    // bad and missing signatures
    assert_eq!(
        status(h.handle("POST", &good.replace("signature=", "signature=0"), body.as_bytes(), NOW)),
        403
    );
    assert_eq!(
        status(h.handle("POST", "timestamp=1411525903&nonce=n", body.as_bytes(), NOW)),
        400
    );
    let wrong_msg_sig = signed_query(Kind::Mp, &token(), "1411525903", "n", None, Some("other"));
    assert_eq!(status(h.handle("POST", &wrong_msg_sig, body.as_bytes(), NOW)), 403);
    // stale timestamp, both directions; the window can be turned off
    assert_eq!(
        status(h.handle("POST", &good, body.as_bytes(), UnixTime(NOW.0 + 301))),
        403
    );
    assert_eq!(
        status(h.handle("POST", &good, body.as_bytes(), UnixTime(NOW.0 - 301))),
        403
    );
    let mut open = h.config().clone();
    open.timestamp_window = None;
    assert!(
        CallbackHandler::new(open)
            .unwrap()
            .handle("POST", &good, body.as_bytes(), UnixTime(0))
            .is_ok()
    );
    // a non-numeric timestamp
    let q = signed_query(Kind::Mp, &token(), "abc", "n", None, Some(&encrypt));
    assert_eq!(status(h.handle("POST", &q, body.as_bytes(), NOW)), 400);
    // oversized, non-UTF-8, truncated, DOCTYPE bombs
    let big = alloc::vec![b'a'; (1 << 20) + 1];
    assert_eq!(status(h.handle("POST", &good, &big, NOW)), 413);
    assert_eq!(status(h.handle("POST", &good, b"\xff\xfe<xml>", NOW)), 400);
    assert_eq!(
        status(h.handle("POST", &good, &body.as_bytes()[..body.len() / 2], NOW)),
        400
    );
    let bomb = "<!DOCTYPE x [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]><xml><Encrypt>&b;</Encrypt></xml>";
    assert_eq!(status(h.handle("POST", &good, bomb.as_bytes(), NOW)), 400);
    // other methods
    assert_eq!(status(h.handle("PUT", &good, body.as_bytes(), NOW)), 405);
    // a plaintext handler does not decrypt
    let plain = CallbackHandler::new(CallbackConfig::mp_plain(TOKEN)).unwrap();
    assert_eq!(status(plain.handle("POST", &good, body.as_bytes(), NOW)), 400);
}

#[test]
fn encrypted_modes_need_a_key() {
    let mut c = CallbackConfig::mp_plain(TOKEN);
    c.mode = Mode::Safe;
    assert!(CallbackHandler::new(c).is_err());
}

#[test]
fn dedup_keys() {
    let h = CallbackHandler::new(CallbackConfig::mp_plain(TOKEN)).unwrap();
    let q = signed_query(Kind::Mp, &token(), "1411525903", "n", None, None);
    let message = |xml: &str| {
        let Inbound::Message { message, .. } = h.handle("POST", &q, xml.as_bytes(), NOW).unwrap() else {
            panic!()
        };
        message
    };
    assert_eq!(message(&text_xml("x")).dedup_key(), "gh_1:-:msg:42");
    let click = |key: &str| {
        alloc::format!(
            "<xml><ToUserName>gh_1</ToUserName><FromUserName>oU</FromUserName><CreateTime>7</CreateTime>\
             <MsgType>event</MsgType><Event>CLICK</Event><EventKey>{key}</EventKey></xml>"
        )
    };
    let a = message(&click("A")).dedup_key();
    assert!(
        a.starts_with("gh_1:-:evt:") && a.len() == "gh_1:-:evt:".len() + 40,
        "{a}"
    );
    // A retry (the same plaintext, even laid out differently) matches; another button does not.
    assert_eq!(message(&click("A").replace("><", ">\n<")).dedup_key(), a);
    assert_ne!(message(&click("B")).dedup_key(), a);
    // Two WeCom contact changes of one second, and the same event for two agents, differ.
    let change = |user: &str, agent: &str| {
        let xml = alloc::format!(
            "<xml><ToUserName>ww1</ToUserName><FromUserName>sys</FromUserName><CreateTime>7</CreateTime>\
             <MsgType>event</MsgType><Event>change_contact</Event><ChangeType>update_user</ChangeType>\
             <UserID>{user}</UserID>{agent}</xml>"
        );
        crate::message::parse_message(&xml, Kind::Work).unwrap().dedup_key()
    };
    assert_ne!(change("zhangsan", ""), change("lisi", ""));
    assert_eq!(change("zhangsan", ""), change("zhangsan", ""));
    let one = change("zhangsan", "<AgentID>1000002</AgentID>");
    assert!(one.starts_with("ww1:1000002:evt:"), "{one}");
    assert_ne!(one, change("zhangsan", "<AgentID>1000003</AgentID>"));
    // Distinct trees never feed the same bytes: a text and a nested element of the same text.
    let nested = crate::message::parse_message(
        "<xml><MsgType>event</MsgType><Event>x</Event><A><B>1</B></A></xml>",
        Kind::Mp,
    )
    .unwrap();
    let flat =
        crate::message::parse_message("<xml><MsgType>event</MsgType><Event>x</Event><A>1</A></xml>", Kind::Mp).unwrap();
    assert_ne!(nested.dedup_key(), flat.dedup_key());
}
