//! `wechat parse`: the built binary on files and stdin, mp and WeCom, plus rejected input
//! (exit 1, one `error: <kind>: <detail>` line) and usage errors (exit 2).

mod common;

use common::wechat;

use serde_json::{Value, json};

fn fixture(path: &str) -> String {
    format!("{}/../core/tests/fixtures/messages/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs successfully and returns the one JSON object printed (and its text).
fn parsed(args: &[&str], stdin: Option<&[u8]>) -> (Value, String) {
    let out = wechat(args, stdin.unwrap_or_default());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(out.stderr.is_empty(), "stderr: {stderr}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "exactly one line: {text}");
    assert!(text.ends_with('\n'));
    (serde_json::from_str(&text).unwrap(), text)
}

/// Fails with exit 1 and returns the single stderr line.
fn rejected(args: &[&str], stdin: Option<&[u8]>) -> String {
    let out = wechat(args, stdin.unwrap_or_default());
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    stderr.trim_end().to_owned()
}

#[test]
fn mp_text_from_a_file() {
    let (v, text) = parsed(&["parse", &fixture("mp/text.xml")], None);
    assert_eq!(
        v,
        json!({
            "type": "text",
            "event": null,
            "source": "oUserOpenId123",
            "target": "gh_0123456789ab",
            "time": 1348831860,
            "id": 1234567890123456u64,
            "agent": null,
            "fields": {"content": "this is a test"},
            "raw": {
                "ToUserName": "gh_0123456789ab",
                "FromUserName": "oUserOpenId123",
                "CreateTime": "1348831860",
                "MsgType": "text",
                "Content": "this is a test",
                "MsgId": "1234567890123456"
            }
        })
    );
    // the keys come in the documented order
    let order: Vec<usize> = [
        "\"type\"",
        "\"event\"",
        "\"source\"",
        "\"target\"",
        "\"time\"",
        "\"id\"",
        "\"agent\"",
        "\"fields\"",
        "\"raw\"",
    ]
    .iter()
    .map(|k| text.find(k).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
}

#[test]
fn mp_event_from_stdin() {
    let xml = std::fs::read(fixture("mp/subscribe_scan.xml")).unwrap();
    for args in [&["parse"][..], &["parse", "-"][..], &["parse", "--kind", "mp"][..]] {
        let (v, _) = parsed(args, Some(&xml));
        assert_eq!(v["type"], "event");
        assert_eq!(v["event"], "subscribe_scan");
        assert_eq!(v["fields"], json!({"scene_id": "123123", "ticket": "TICKET"}));
        assert_eq!(v["raw"]["EventKey"], "qrscene_123123");
        assert_eq!(v["id"], Value::Null);
    }
}

#[test]
fn numbers_floats_datetimes_and_nested_raw() {
    let (v, _) = parsed(&["parse", &fixture("mp/location_event.xml")], None);
    assert_eq!(
        v["fields"],
        json!({"latitude": 23.137466, "longitude": 113.352425, "precision": 119.38504})
    );
    let (v, _) = parsed(&["parse", &fixture("mp/qualification_verify_success.xml")], None);
    assert_eq!(v["fields"], json!({"expired_time": 1442401156}));
    let (_, text) = parsed(&["parse", &fixture("mp/messy_huge_msgid.xml")], None);
    assert!(text.contains("\"id\":18446744073709551615"), "{text}");
    let (v, _) = parsed(&["parse", &fixture("mp/pic_photo_or_album.xml")], None);
    assert_eq!(v["fields"]["count"], 2);
    assert_eq!(
        v["fields"]["pictures"][1],
        json!({"PicMd5Sum": "f95b2b9b3a2b8d7c4f5e6a7b8c9d0e1f"})
    );
    assert_eq!(
        v["raw"]["SendPicsInfo"]["PicList"]["item"][0]["PicMd5Sum"],
        "5a75aaca956d97be686719218f275c6b"
    );
    let (v, _) = parsed(&["parse", &fixture("mp/messy_control_characters.xml")], None);
    assert_eq!(
        v["fields"]["content"],
        "tab\there\nnew line\r\nwindows\u{85}nel\u{2028}ls\u{a0}nbsp\u{200b}zw"
    );
}

#[test]
fn work_messages_and_events() {
    let (v, _) = parsed(&["parse", "--kind", "work", &fixture("work/text.xml")], None);
    assert_eq!(
        (v["type"].as_str(), v["agent"].as_u64(), v["id"].as_u64()),
        (Some("text"), Some(1), Some(1234567890123456))
    );
    let xml = std::fs::read(fixture("work/change_contact_create_user.xml")).unwrap();
    let (v, _) = parsed(&["parse", "--kind", "work"], Some(&xml));
    assert_eq!(
        (v["type"].as_str(), v["event"].as_str()),
        (Some("event"), Some("change_contact"))
    );
    assert_eq!(v["fields"]["department"], json!([1, 2, 3]));
    assert_eq!(v["fields"]["direct_leader"], json!(["lisi", "wangwu"]));
    assert_eq!(v["fields"]["ext_attr"][0]["Name"], "爱好");
    assert_eq!(v["source"], "sys");
    assert_eq!(v["agent"], Value::Null);
    // the same body read as mp: change_contact is not an mp event, and AgentID is WeCom's
    let xml = std::fs::read(fixture("work/text.xml")).unwrap();
    let (v, _) = parsed(&["parse", "--kind", "mp"], Some(&xml));
    assert_eq!(v["agent"], Value::Null);
    assert_eq!(v["raw"]["AgentID"], "1");
}

#[test]
fn unknown_types_and_events_are_kept() {
    let (v, _) = parsed(&["parse", &fixture("mp/messy_unknown_event.xml")], None);
    assert_eq!(
        (v["type"].as_str(), v["event"].as_str()),
        (Some("event"), Some("something_new"))
    );
    assert_eq!(v["fields"], json!({}));
    assert_eq!(v["raw"]["Detail"], "x");
    let (v, _) = parsed(&["parse", &fixture("mp/messy_unknown_type.xml")], None);
    assert_eq!((v["type"].as_str(), v["event"].clone()), (Some("unknown"), Value::Null));
    assert_eq!(v["raw"]["Beam"], "on");
    let (v, _) = parsed(
        &["parse", "--kind", "work", &fixture("work/messy_unknown_event.xml")],
        None,
    );
    assert_eq!(v["event"], "share_agent_change");
}

#[test]
fn rejected_input_exits_1_with_one_line() {
    let line = rejected(&["parse"], Some(b"<xml><MsgType>text</MsgType>"));
    assert!(line.starts_with("error: invalid-xml: "), "{line}");
    let line = rejected(&["parse"], Some(b"<xml>\n<a>\n</b>\n</xml>"));
    assert!(line.starts_with("error: invalid-xml: "), "{line}");
    let line = rejected(&["parse", "--kind", "work"], Some(b"<xml><Content>x</Content></xml>"));
    assert_eq!(line, "error: missing-element: missing element <MsgType>");
    let line = rejected(
        &["parse"],
        Some(b"<!DOCTYPE x [<!ENTITY a \"b\">]><xml><MsgType>&a;</MsgType></xml>"),
    );
    assert!(
        line.starts_with("error: invalid-xml: ") && line.contains("DOCTYPE"),
        "{line}"
    );
    let line = rejected(&["parse"], Some(b"<xml><MsgType>\xff</MsgType></xml>"));
    assert!(line.starts_with("error: invalid-utf8: "), "{line}");
    let line = rejected(&["parse", &fixture("mp/does-not-exist.xml")], None);
    assert!(line.starts_with("error: io: "), "{line}");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["parse", "--kind", "wecom-typo"][..],
        &["parse", "--bogus"][..],
        &["parse", "a.xml", "b.xml"][..],
    ] {
        let out = wechat(args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        assert!(!out.stderr.is_empty());
    }
}
