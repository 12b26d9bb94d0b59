//! Passive replies: exact rendering of every type, the header rules, `create_reply`,
//! `parse_reply`, and the fixes over wechatpy (`]]>`, single base64, the article limit, the
//! unencrypted no-reply).

use wechat_core::Error;
use wechat_core::crypto::MessageCrypto;
use wechat_core::error::{CallbackError, ConfigError};
use wechat_core::message::{Kind, Message, parse_message};
use wechat_core::reply::{
    Article, Articles, DeviceEvent, DeviceStatus, DeviceText, Hardware, Music, Reply, ReplyBody, Video, create_reply,
    parse_reply, parse_reply_with_time,
};
use wechat_core::time::UnixTime;

const T: UnixTime = UnixTime(1_700_000_000);

fn mp_text() -> Message {
    parse_message(
        "<xml><ToUserName><![CDATA[gh_acct]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName>\
         <CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content>\
         <MsgId>1</MsgId></xml>",
        Kind::Mp,
    )
    .unwrap()
}

fn work_text(agent: &str) -> Message {
    parse_message(
        &format!(
            "<xml><ToUserName><![CDATA[wwcorp]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName>\
             <CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content>\
             <MsgId>1</MsgId>{agent}</xml>"
        ),
        Kind::Work,
    )
    .unwrap()
}

/// The header wechatpy writes after the body, for a reply to [`mp_text`].
const MP_TAIL: &str = "<FromUserName><![CDATA[gh_acct]]></FromUserName>\n<ToUserName><![CDATA[oUser]]></ToUserName>\n<CreateTime>1700000000</CreateTime>\n</xml>";
const WORK_TAIL: &str = "<FromUserName><![CDATA[wwcorp]]></FromUserName>\n<ToUserName><![CDATA[zhangsan]]></ToUserName>\n<CreateTime>1700000000</CreateTime>\n</xml>";

/// Renders, checks the exact string, and checks that it parses back to the same reply.
fn check(reply: &Reply, expected: &str) {
    let xml = reply.render(T);
    assert_eq!(xml, expected);
    let (parsed, time) = parse_reply_with_time(&xml).unwrap();
    assert_eq!(&parsed, reply);
    assert_eq!(time, Some(T));
}

#[test]
fn text() {
    let reply = Reply::text(&mp_text(), "hello 中文 <&>");
    assert_eq!((reply.source.as_str(), reply.target.as_str()), ("gh_acct", "oUser"));
    assert_eq!(reply.agent, None);
    check(
        &reply,
        &format!(
            "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello 中文 <&>]]></Content>\n{MP_TAIL}"
        ),
    );
}

#[test]
fn image_and_voice() {
    check(
        &Reply::image(&mp_text(), "MEDIA"),
        &format!(
            "<xml>\n<MsgType><![CDATA[image]]></MsgType>\n<Image>\n        <MediaId><![CDATA[MEDIA]]></MediaId>\n        </Image>\n{MP_TAIL}"
        ),
    );
    check(
        &Reply::voice(&mp_text(), "MEDIA"),
        &format!(
            "<xml>\n<MsgType><![CDATA[voice]]></MsgType>\n<Voice>\n        <MediaId><![CDATA[MEDIA]]></MediaId>\n        </Voice>\n{MP_TAIL}"
        ),
    );
}

#[test]
fn video() {
    check(
        &Reply::video(&mp_text(), Video::new("m")),
        &format!(
            "<xml>\n<MsgType><![CDATA[video]]></MsgType>\n<Video><MediaId><![CDATA[m]]></MediaId></Video>\n{MP_TAIL}"
        ),
    );
    check(
        &Reply::video(&mp_text(), Video::new("m").with_title("t").with_description("d")),
        &format!(
            "<xml>\n<MsgType><![CDATA[video]]></MsgType>\n<Video><MediaId><![CDATA[m]]></MediaId><Title><![CDATA[t]]></Title><Description><![CDATA[d]]></Description></Video>\n{MP_TAIL}"
        ),
    );
    check(
        &Reply::video(&mp_text(), Video::new("m").with_description("")),
        &format!(
            "<xml>\n<MsgType><![CDATA[video]]></MsgType>\n<Video><MediaId><![CDATA[m]]></MediaId><Description><![CDATA[]]></Description></Video>\n{MP_TAIL}"
        ),
    );
}

#[test]
fn music() {
    check(
        &Reply::music(&mp_text(), Music::new("thumb")),
        &format!(
            "<xml>\n<MsgType><![CDATA[music]]></MsgType>\n<Music><ThumbMediaId><![CDATA[thumb]]></ThumbMediaId></Music>\n{MP_TAIL}"
        ),
    );
    check(
        &Reply::music(
            &mp_text(),
            Music::new("thumb")
                .with_title("t")
                .with_description("d")
                .with_music_url("u")
                .with_hq_music_url("h"),
        ),
        &format!(
            "<xml>\n<MsgType><![CDATA[music]]></MsgType>\n<Music><ThumbMediaId><![CDATA[thumb]]></ThumbMediaId><Title><![CDATA[t]]></Title><Description><![CDATA[d]]></Description><MusicUrl><![CDATA[u]]></MusicUrl><HQMusicUrl><![CDATA[h]]></HQMusicUrl></Music>\n{MP_TAIL}"
        ),
    );
}

#[test]
fn news() {
    let reply = Reply::news(
        &mp_text(),
        [
            Article::new("a", ""),
            Article::new("", "u").with_description("d").with_image("i"),
        ],
    )
    .unwrap();
    check(
        &reply,
        &format!(
            "<xml>\n<MsgType><![CDATA[news]]></MsgType>\n<ArticleCount>2</ArticleCount>\n        <Articles><item>\n            <Title><![CDATA[a]]></Title>\n            <Description><![CDATA[]]></Description>\n            <PicUrl><![CDATA[]]></PicUrl>\n            <Url><![CDATA[]]></Url>\n            </item>\n<item>\n            <Title><![CDATA[]]></Title>\n            <Description><![CDATA[d]]></Description>\n            <PicUrl><![CDATA[i]]></PicUrl>\n            <Url><![CDATA[u]]></Url>\n            </item></Articles>\n{MP_TAIL}"
        ),
    );
    // wechatpy renders an empty list like this; we keep the layout (and parse it back).
    check(
        &Reply::news(&mp_text(), []).unwrap(),
        &format!(
            "<xml>\n<MsgType><![CDATA[news]]></MsgType>\n<ArticleCount>0</ArticleCount>\n        <Articles></Articles>\n{MP_TAIL}"
        ),
    );
}

#[test]
fn at_most_eight_articles() {
    let eight = vec![Article::new("t", "u"); 8];
    let reply = Reply::news(&mp_text(), eight.clone()).unwrap();
    assert!(matches!(&reply.body, ReplyBody::News(a) if a.len() == 8));

    let nine = vec![Article::new("t", "u"); 9];
    let expect = |err: Error| match err {
        Error::Config(ConfigError::InvalidArgument(msg)) => {
            assert!(msg.contains("at most 8"), "{msg}");
            assert!(msg.contains("got 9"), "{msg}");
        }
        other => panic!("{other:?}"),
    };
    expect(Reply::news(&mp_text(), nine.clone()).unwrap_err());
    expect(Articles::new(nine.clone()).unwrap_err());
    expect(Articles::try_from(nine.clone()).unwrap_err());
    expect(create_reply(nine.clone(), &mp_text()).unwrap_err());
    expect(create_reply(nine.as_slice(), &mp_text()).unwrap_err());
    let mut articles = Articles::new(eight).unwrap();
    expect(articles.push(Article::default()).unwrap_err());
    assert_eq!(articles.len(), 8);
    // the count in the message is the total, even for long iterators
    match Articles::new(core::iter::repeat_n(Article::default(), 100)).unwrap_err() {
        Error::Config(ConfigError::InvalidArgument(msg)) => assert!(msg.contains("got 100")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn transfer_customer_service() {
    check(
        &Reply::transfer_customer_service(&mp_text()),
        &format!("<xml>\n<MsgType><![CDATA[transfer_customer_service]]></MsgType>\n{MP_TAIL}"),
    );
    check(
        &Reply::transfer_to_account(&mp_text(), "kf2001@gh_acct"),
        &format!(
            "<xml>\n<MsgType><![CDATA[transfer_customer_service]]></MsgType>\n<TransInfo>\n        <KfAccount><![CDATA[kf2001@gh_acct]]></KfAccount>\n        </TransInfo>\n{MP_TAIL}"
        ),
    );
}

fn device_msg() -> Message {
    parse_message(
        "<xml><ToUserName><![CDATA[gh_acct]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName>\
         <CreateTime>1</CreateTime><MsgType><![CDATA[device_event]]></MsgType><Event><![CDATA[bind]]></Event>\
         <DeviceType><![CDATA[gh_dev]]></DeviceType><DeviceID><![CDATA[dev1]]></DeviceID>\
         <SessionID>9</SessionID><Content><![CDATA[aGk=]]></Content><OpenID><![CDATA[oUser]]></OpenID></xml>",
        Kind::Mp,
    )
    .unwrap()
}

#[test]
fn device_text_is_base64_encoded_once() {
    let reply = Reply::device_text(&device_msg(), "hello");
    assert_eq!(
        reply.body,
        ReplyBody::DeviceText(DeviceText::new("gh_dev", "dev1", "9", "hello"))
    );
    // wechatpy writes base64(base64("hello")) = YUdWc2JHOD0=; we write base64("hello").
    check(
        &reply,
        &format!(
            "<xml>\n<MsgType><![CDATA[device_text]]></MsgType>\n<DeviceType><![CDATA[gh_dev]]></DeviceType>\n<DeviceID><![CDATA[dev1]]></DeviceID>\n<SessionID><![CDATA[9]]></SessionID>\n<Content><![CDATA[aGVsbG8=]]></Content>\n{MP_TAIL}"
        ),
    );
    // binary content round-trips too
    let binary = Reply::device_text(&device_msg(), vec![0u8, 255, 128, b']', b']', b'>']);
    assert_eq!(parse_reply(&binary.render(T)).unwrap(), binary);
}

#[test]
fn device_event_and_status() {
    let reply = Reply::device_event(&device_msg(), "ok");
    assert_eq!(
        reply.body,
        ReplyBody::DeviceEvent(DeviceEvent::new("bind", "gh_dev", "dev1", "9", "ok"))
    );
    check(
        &reply,
        &format!(
            "<xml>\n<MsgType><![CDATA[device_event]]></MsgType>\n<Event><![CDATA[bind]]></Event>\n<DeviceType><![CDATA[gh_dev]]></DeviceType>\n<DeviceID><![CDATA[dev1]]></DeviceID>\n<SessionID><![CDATA[9]]></SessionID>\n<Content><![CDATA[b2s=]]></Content>\n{MP_TAIL}"
        ),
    );
    let reply = Reply::device_status(&device_msg(), 1);
    assert_eq!(
        reply.body,
        ReplyBody::DeviceStatus(DeviceStatus::new("gh_dev", "dev1", 1))
    );
    check(
        &reply,
        &format!(
            "<xml>\n<MsgType><![CDATA[device_status]]></MsgType>\n<DeviceType><![CDATA[gh_dev]]></DeviceType>\n<DeviceID><![CDATA[dev1]]></DeviceID>\n<DeviceStatus>1</DeviceStatus>\n{MP_TAIL}"
        ),
    );
    // a message without device fields gives empty ones
    let reply = Reply::device_text(&mp_text(), "");
    assert_eq!(reply.body, ReplyBody::DeviceText(DeviceText::new("", "", "", "")));
}

#[test]
fn hardware() {
    check(
        &Reply::hardware(&mp_text(), Hardware::default()),
        &format!(
            "<xml>\n<MsgType><![CDATA[hardware]]></MsgType>\n<FuncFlag>0</FuncFlag>\n<HardWare>\n        <MessageView><![CDATA[myrank]]></MessageView>\n        <MessageAction><![CDATA[ranklist]]></MessageAction>\n        </HardWare>\n{MP_TAIL}"
        ),
    );
    check(
        &Reply::hardware(&mp_text(), Hardware::new("v", "a").with_func_flag(-3)),
        &format!(
            "<xml>\n<MsgType><![CDATA[hardware]]></MsgType>\n<FuncFlag>-3</FuncFlag>\n<HardWare>\n        <MessageView><![CDATA[v]]></MessageView>\n        <MessageAction><![CDATA[a]]></MessageAction>\n        </HardWare>\n{MP_TAIL}"
        ),
    );
    // missing HardWare / FuncFlag read as wechatpy's defaults
    let parsed = parse_reply("<xml><MsgType>hardware</MsgType></xml>").unwrap();
    assert_eq!(parsed.body, ReplyBody::Hardware(Hardware::default()));
}

#[test]
fn wecom_replies_carry_agent_id() {
    let msg = work_text("<AgentID>1000002</AgentID>");
    let text = Reply::text(&msg, "hi");
    assert_eq!(text.agent, Some(1000002));
    check(
        &text,
        &format!(
            "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<AgentID>1000002</AgentID>\n<Content><![CDATA[hi]]></Content>\n{WORK_TAIL}"
        ),
    );
    check(
        &Reply::image(&msg, "m"),
        &format!(
            "<xml>\n<MsgType><![CDATA[image]]></MsgType>\n<AgentID>1000002</AgentID>\n<Image>\n        <MediaId><![CDATA[m]]></MediaId>\n        </Image>\n{WORK_TAIL}"
        ),
    );
    check(
        &Reply::voice(&msg, "m"),
        &format!(
            "<xml>\n<MsgType><![CDATA[voice]]></MsgType>\n<AgentID>1000002</AgentID>\n<Voice>\n        <MediaId><![CDATA[m]]></MediaId>\n        </Voice>\n{WORK_TAIL}"
        ),
    );
    check(
        &Reply::video(&msg, Video::new("m")),
        &format!(
            "<xml>\n<MsgType><![CDATA[video]]></MsgType>\n<AgentID>1000002</AgentID>\n<Video><MediaId><![CDATA[m]]></MediaId></Video>\n{WORK_TAIL}"
        ),
    );
    check(
        &Reply::news(&msg, [Article::new("a", "u")]).unwrap(),
        &format!(
            "<xml>\n<MsgType><![CDATA[news]]></MsgType>\n<AgentID>1000002</AgentID>\n<ArticleCount>1</ArticleCount>\n        <Articles><item>\n            <Title><![CDATA[a]]></Title>\n            <Description><![CDATA[]]></Description>\n            <PicUrl><![CDATA[]]></PicUrl>\n            <Url><![CDATA[u]]></Url>\n            </item></Articles>\n{WORK_TAIL}"
        ),
    );
    check(
        &Reply::task_card(&msg, "已处理"),
        &format!(
            "<xml>\n<MsgType><![CDATA[update_taskcard]]></MsgType>\n<AgentID>1000002</AgentID>\n<TaskCard>\n            <ReplaceName><![CDATA[已处理]]></ReplaceName>\n        </TaskCard>\n{WORK_TAIL}"
        ),
    );
    // wechatpy's WeCom messages default `agent` to 0
    assert_eq!(Reply::text(&work_text(""), "hi").agent, Some(0));
    // types WeCom does not have are mp classes in wechatpy: no AgentID
    assert_eq!(Reply::music(&msg, Music::new("t")).agent, None);
    assert_eq!(Reply::transfer_customer_service(&msg).agent, None);
    // and mp messages never give one
    assert_eq!(Reply::task_card(&mp_text(), "x").agent, None);
}

#[test]
fn cdata_terminator_is_split_and_round_trips() {
    let reply = Reply::text(&mp_text(), "a]]>b]]>");
    let xml = reply.render(T);
    assert!(
        xml.contains("<Content><![CDATA[a]]]]><![CDATA[>b]]]]><![CDATA[>]]></Content>"),
        "{xml}"
    );
    let doc = wechat_core::xml::parse(&xml).unwrap();
    assert_eq!(doc.children.text("Content"), Some("a]]>b]]>"));
    assert_eq!(parse_reply(&xml).unwrap(), reply);
    // in the header and in nested elements too
    let mut reply = Reply::news(&mp_text(), [Article::new("]]>", "]]>").with_image("]]>")]).unwrap();
    reply.source = "]]>".into();
    let xml = reply.render(T);
    assert_eq!(parse_reply(&xml).unwrap(), reply);
}

#[test]
fn no_reply_renders_plain_and_is_never_encrypted() {
    assert_eq!(Reply::empty().render(T), "");
    assert_eq!(Reply::success().render(T), "success");
    assert!(Reply::empty().is_empty() && Reply::success().is_empty());
    assert!(!Reply::text(&mp_text(), "").is_empty());
    assert_eq!(Reply::empty().body.msg_type(), None);
    assert_eq!(Reply::text(&mp_text(), "").body.msg_type(), Some("text"));
    // even with a header, a no-reply renders nothing else
    let r = Reply::new("a", "b", ReplyBody::Empty).with_agent(Some(1));
    assert_eq!(r.render(T), "");
    let mut buf = String::from("x");
    Reply::success().render_into(T, &mut buf);
    assert_eq!(buf, "xsuccess");

    let crypto = MessageCrypto::new(
        "123456",
        "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",
        "wx49f0ab532d5d035a",
    )
    .unwrap();
    let random = b"1234567890123456";
    assert_eq!(Reply::empty().render_encrypted(&crypto, T, "n", random), "");
    assert_eq!(Reply::success().render_encrypted(&crypto, T, "n", random), "success");
    // a real reply is wrapped in the envelope and decrypts to the rendered XML
    let reply = Reply::text(&mp_text(), "hi");
    let envelope = reply.render_encrypted(&crypto, T, "nonce", random);
    assert!(envelope.starts_with("<xml>\n<Encrypt><![CDATA["));
    assert!(envelope.contains("<TimeStamp>1700000000</TimeStamp>"));
    let encrypt = wechat_core::callback::extract_encrypt(&envelope).unwrap();
    let signature = crypto.sign("1700000000", "nonce", &encrypt);
    let plain = crypto
        .decrypt_message(&envelope, signature.as_str(), "1700000000", "nonce")
        .unwrap();
    assert_eq!(plain, reply.render(T));
}

#[test]
fn create_reply_semantics() {
    let mp = mp_text();
    let work = work_text("<AgentID>7</AgentID>");

    // a string: a text reply, mp or WeCom after the message's kind
    let r = create_reply("hi", &mp).unwrap();
    assert_eq!(r, Reply::text(&mp, "hi"));
    assert_eq!(r.agent, None);
    let r = create_reply(String::from("hi"), &work).unwrap();
    assert_eq!(r, Reply::text(&work, "hi"));
    assert_eq!(r.agent, Some(7));
    let owned = String::from("x");
    assert_eq!(create_reply(&owned, &mp).unwrap(), Reply::text(&mp, owned.clone()));

    // a list of articles: news
    let articles = vec![Article::new("t", "u")];
    let r = create_reply(articles.clone(), &work).unwrap();
    assert_eq!(r, Reply::news(&work, articles.clone()).unwrap());
    assert_eq!(r.agent, Some(7));
    assert_eq!(
        create_reply(articles.as_slice(), &mp).unwrap(),
        Reply::news(&mp, articles.clone()).unwrap()
    );
    assert_eq!(
        create_reply(Article::new("t", "u"), &mp).unwrap(),
        Reply::news(&mp, articles).unwrap()
    );

    // nothing: no reply, on both platforms
    for msg in [&mp, &work] {
        assert_eq!(create_reply((), msg).unwrap(), Reply::empty());
        assert_eq!(create_reply(None::<&str>, msg).unwrap(), Reply::empty());
        assert_eq!(create_reply("", msg).unwrap(), Reply::empty());
        assert_eq!(create_reply(Vec::<Article>::new(), msg).unwrap(), Reply::empty());
        assert_eq!(create_reply(Some("x"), msg).unwrap(), Reply::text(msg, "x"));
    }

    // an existing reply: re-targeted (and the agent follows the message)
    let original = Reply::new("someone", "else", ReplyBody::Text { content: "x".into() }).with_agent(Some(99));
    let r = create_reply(original.clone(), &work).unwrap();
    assert_eq!(
        (r.source.as_str(), r.target.as_str(), r.agent),
        ("wwcorp", "zhangsan", Some(7))
    );
    let r = create_reply(original, &mp).unwrap();
    assert_eq!(
        (r.source.as_str(), r.target.as_str(), r.agent),
        ("gh_acct", "oUser", None)
    );
    // a bare body is addressed to the message
    let r = create_reply(
        ReplyBody::TaskCard {
            replace_name: "done".into(),
        },
        &work,
    )
    .unwrap();
    assert_eq!(r, Reply::task_card(&work, "done"));
}

#[test]
fn parse_reply_reads_foreign_layouts() {
    // The official sample order, plain text instead of CDATA, an XML declaration.
    let xml = "<?xml version=\"1.0\"?>\n<xml>\n  <ToUserName><![CDATA[toUser]]></ToUserName>\n  \
               <FromUserName>fromUser</FromUserName>\n  <CreateTime>12345678</CreateTime>\n  \
               <MsgType><![CDATA[news]]></MsgType>\n  <ArticleCount>1</ArticleCount>\n  <Articles>\n    <item>\n      \
               <Title><![CDATA[title1]]></Title>\n      <Description><![CDATA[description1]]></Description>\n      \
               <PicUrl><![CDATA[picurl]]></PicUrl>\n      <Url><![CDATA[url]]></Url>\n    </item>\n  </Articles>\n</xml>";
    let (reply, time) = parse_reply_with_time(xml).unwrap();
    assert_eq!(time, Some(UnixTime(12345678)));
    assert_eq!((reply.source.as_str(), reply.target.as_str()), ("fromUser", "toUser"));
    let expected = Articles::new([Article::new("title1", "url")
        .with_description("description1")
        .with_image("picurl")])
    .unwrap();
    assert_eq!(reply.body, ReplyBody::News(expected));

    let xml = "<xml><ToUserName>u</ToUserName><FromUserName>a</FromUserName><CreateTime>1</CreateTime>\
               <MsgType>transfer_customer_service</MsgType><TransInfo><KfAccount>kf@a</KfAccount></TransInfo></xml>";
    assert_eq!(
        parse_reply(xml).unwrap().body,
        ReplyBody::TransferCustomerService {
            kf_account: Some("kf@a".into())
        }
    );
    // blank and `success` are the no-replies
    assert_eq!(parse_reply("").unwrap(), Reply::empty());
    assert_eq!(parse_reply(" \n").unwrap(), Reply::empty());
    assert_eq!(parse_reply("success").unwrap(), Reply::success());
    assert_eq!(parse_reply_with_time("success").unwrap().1, None);
    // wechatpy's registry name for its empty reply
    assert!(parse_reply("<xml><MsgType>empty</MsgType></xml>").unwrap().is_empty());
    // a missing header reads as empty, a missing CreateTime as None
    let (r, t) = parse_reply_with_time("<xml><MsgType>text</MsgType><Content>x</Content></xml>").unwrap();
    assert_eq!((r.source.as_str(), r.target.as_str(), r.agent, t), ("", "", None, None));
}

fn err(xml: &str) -> Error {
    parse_reply(xml).unwrap_err()
}

fn invalid_xml(xml: &str, needle: &str) {
    match err(xml) {
        Error::Callback(CallbackError::InvalidXml(msg)) => {
            assert!(msg.contains(needle), "{xml}: {msg}")
        }
        other => panic!("{xml}: {other:?}"),
    }
}

#[test]
fn parse_reply_errors_are_typed() {
    let missing = |xml: &str, tag: &'static str| {
        assert_eq!(err(xml), Error::Callback(CallbackError::MissingElement(tag)), "{xml}");
    };
    missing("<xml><Content>x</Content></xml>", "MsgType");
    missing("<xml><MsgType>text</MsgType></xml>", "Content");
    missing("<xml><MsgType>image</MsgType></xml>", "Image");
    missing("<xml><MsgType>image</MsgType><Image></Image></xml>", "MediaId");
    missing(
        "<xml><MsgType>video</MsgType><Video><Title>t</Title></Video></xml>",
        "MediaId",
    );
    missing(
        "<xml><MsgType>music</MsgType><Music><Title>t</Title></Music></xml>",
        "ThumbMediaId",
    );
    missing(
        "<xml><MsgType>device_status</MsgType><DeviceType>a</DeviceType><DeviceID>b</DeviceID></xml>",
        "DeviceStatus",
    );
    missing(
        "<xml><MsgType>device_text</MsgType><DeviceType>a</DeviceType><DeviceID>b</DeviceID><Content></Content></xml>",
        "SessionID",
    );
    missing(
        "<xml><MsgType>update_taskcard</MsgType><TaskCard/></xml>",
        "ReplaceName",
    );

    invalid_xml("<xml><MsgType>file</MsgType></xml>", "unknown reply MsgType \"file\"");
    invalid_xml("<reply><MsgType>text</MsgType></reply>", "root element is <reply>");
    invalid_xml("<xml><MsgType>text</MsgType>", "");
    invalid_xml("not xml", "");
    invalid_xml(
        "<xml><MsgType>text</MsgType><Content>x</Content><AgentID>abc</AgentID></xml>",
        "<AgentID> is not an unsigned integer",
    );
    invalid_xml(
        "<xml><MsgType>text</MsgType><Content>x</Content><CreateTime>-1</CreateTime></xml>",
        "<CreateTime>",
    );
    invalid_xml(
        "<xml><MsgType>device_text</MsgType><DeviceType>a</DeviceType><DeviceID>b</DeviceID>\
         <SessionID>c</SessionID><Content>not base64!</Content></xml>",
        "not base64",
    );
    invalid_xml(
        "<xml><MsgType>news</MsgType><ArticleCount>2</ArticleCount><Articles><item><Title>t</Title></item></Articles></xml>",
        "<ArticleCount> is 2 but there are 1 items",
    );
    invalid_xml(
        "<xml><MsgType>image</MsgType><Image>text</Image></xml>",
        "<Image> holds text",
    );
    invalid_xml(
        "<xml><MsgType>hardware</MsgType><FuncFlag>x</FuncFlag></xml>",
        "<FuncFlag> is not an integer",
    );
    // a long unknown type is clipped in the message
    let long = "x".repeat(10_000);
    match err(&format!("<xml><MsgType>{long}</MsgType></xml>")) {
        Error::Callback(CallbackError::InvalidXml(msg)) => assert!(msg.len() < 200),
        other => panic!("{other:?}"),
    }
    // nine items is the article limit again
    let nine = "<item><Title>t</Title></item>".repeat(9);
    match err(&format!(
        "<xml><MsgType>news</MsgType><Articles>{nine}</Articles></xml>"
    )) {
        Error::Config(ConfigError::InvalidArgument(msg)) => assert!(msg.contains("at most 8")),
        other => panic!("{other:?}"),
    }
}
