//! Cross-check against wechatpy 2.0.0a26.
//!
//! `tests/fixtures/messages/{mp,work}/*.xml` are samples of every pushed message and event
//! type plus messy variants; `expected.json` records what wechatpy's `parse_message` made of
//! each (`scripts/gen_message_fixtures.py` writes both; CI never runs Python). This test parses
//! every sample with our parser and compares the type, the event key, `source`, `target`,
//! `time`, `id`, `agent` and every field and property wechatpy recorded.
//!
//! Deliberate divergences, each applied only where stated:
//!
//! 1. **Text is kept exactly.** xmltodict (`strip_whitespace=True`) strips leading and
//!    trailing whitespace (Python's `str.strip`) from every text node and turns empty text into
//!    `None`, and expat normalises CR LF and lone CR to LF (XML line-end handling). Before
//!    comparing, our strings get the same treatment ([`normalise`]). No sample carries a
//!    `&#13;` reference (which expat would keep as CR).
//! 2. **Absent means `None`.** wechatpy returns `{}` for some absent sub-trees
//!    (`chosen_beacon`, `subscribes_info`); we return `None`. An empty object compares equal
//!    to `null`.
//! 3. **Common fields.** wechatpy defaults `id` (`MsgId`/`MsgID`) and WeCom `agent`
//!    (`AgentID`) to 0 when absent or blank; we return `None`. wechatpy's `time` is `None`
//!    when `CreateTime` is absent or blank; ours is 0.
//! 4. **Events wechatpy lacks.** wechatpy falls back to `UnknownMessage` (type `unknown`, no
//!    event, no fields) for every event key missing from its registry; we keep type `event`
//!    and the lowercase key (typed when we know it). Allowed only when our key is absent from
//!    wechatpy's recorded registry for that platform.
//! 5. **Numbers wechatpy leaves as strings.** Properties that read a sub-tree return
//!    xmltodict's strings; we type these as integers ([`NUMERIC_STRINGS`]), compared
//!    numerically.
//! 6. **Lists.** Where we normalise repeated elements to a list ([`LISTIFIED`]), wechatpy
//!    returns a bare dict for a single element; a dict compares as a one-element list.
//! 7. **`location`.** wechatpy's tuple property is compared with `[location_x, location_y]`;
//!    we expose it as a method.
//! 8. **wechatpy bugs** ([`WECHATPY_BUGS`]): where a wechatpy property raises, our value is
//!    asserted against the value given there.
//! 9. **Inputs wechatpy rejects** ([`WECHATPY_REJECTS`]): we parse them to type `unknown`.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use serde_json::{Value, json};
use wechat_core::message::{Event, Kind, Message, parse_message};

/// Properties wechatpy returns as raw strings that we type as integers (rule 5).
const NUMERIC_STRINGS: &[&str] = &[
    "err_code",
    "apply_time",
    "open_sp_status",
    "approver_step",
    "sp_status",
    "statu_change_event",
];

/// Properties we normalise to lists of repeated elements (rule 6).
const LISTIFIED: &[&str] = &["sp_record", "notifyer", "comments"];

/// `(sample, property, our value)` where wechatpy raises (rule 8).
fn wechatpy_bugs() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        // `around_beacons` iterates `AroundBeacons["AroundBeacon"]`, which xmltodict makes a
        // dict (not a list) for a single beacon: TypeError.
        (
            "mp/shakearoundusershake_single.xml",
            "around_beacons",
            json!([{"uuid": "121212121212", "major": "2222", "minor": "2222", "distance": 166.816}]),
        ),
        // `notifyer` and `comments` index `ApprovalInfo` without a default: KeyError when the
        // approval has none.
        ("work/sys_approval_change_single_record.xml", "notifyer", json!([])),
        ("work/sys_approval_change_single_record.xml", "comments", json!([])),
        // The shadowed `BatchJobResultEvent` indexes `ErrCode`/`ErrMsg`, which export jobs do
        // not send: KeyError.
        ("work/batch_job_result_export.xml", "err_code", Value::Null),
        ("work/batch_job_result_export.xml", "err_msg", Value::Null),
    ]
}

/// Samples wechatpy cannot parse at all (rule 9): its WeCom parser indexes `Event`.
const WECHATPY_REJECTS: &[&str] = &["work/messy_event_without_event.xml"];

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/messages"))
}

/// Python's `str.isspace`: Unicode `White_Space` plus the separators U+001C..U+001F.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Rules 1 and 2: xmltodict's view of a value.
fn normalise(value: Value) -> Value {
    match value {
        Value::String(s) => {
            let s = s.replace("\r\n", "\n").replace('\r', "\n");
            let t = s.trim_matches(py_space);
            if t.is_empty() {
                Value::Null
            } else {
                Value::String(t.to_owned())
            }
        }
        Value::Object(m) if m.is_empty() => Value::Null,
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, normalise(v))).collect()),
        Value::Array(a) => Value::Array(a.into_iter().map(normalise).collect()),
        other => other,
    }
}

fn compare_field(name: &str, ours: Value, theirs: Value) -> Result<(), String> {
    let ours = normalise(ours);
    let theirs = normalise(theirs);
    if ours == theirs {
        return Ok(());
    }
    if let (true, Value::Number(n), Value::String(s)) = (NUMERIC_STRINGS.contains(&name), &ours, &theirs)
        && s.trim().parse::<i64>().ok() == n.as_i64()
    {
        return Ok(());
    }
    if LISTIFIED.contains(&name) && theirs.is_object() && ours == Value::Array(vec![theirs.clone()]) {
        return Ok(());
    }
    Err(format!("{name}: ours {ours} != wechatpy {theirs}"))
}

fn as_u64(v: &Value) -> Option<u64> {
    v.as_u64()
}

fn check_sample(
    path: &str,
    expected: &Value,
    registry: &BTreeSet<String>,
    bugs: &[(&str, &str, Value)],
    failures: &mut Vec<String>,
) -> Message {
    let kind = match expected["kind"].as_str() {
        Some("mp") => Kind::Mp,
        Some("work") => Kind::Work,
        other => panic!("{path}: bad kind {other:?}"),
    };
    let bytes = fs::read(fixtures().join(path)).unwrap();
    let xml = String::from_utf8(bytes).unwrap();
    let msg = parse_message(&xml, kind).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut fail = |what: String| failures.push(format!("{path}: {what}"));

    if expected.get("parse_error").is_some() {
        if !WECHATPY_REJECTS.contains(&path) {
            fail(format!(
                "wechatpy rejected it ({}), not listed",
                expected["parse_error"]
            ));
        }
        if msg.type_name() != "unknown" {
            fail(format!("expected type unknown, got {}", msg.type_name()));
        }
        return msg;
    }

    // type and event (rule 4)
    let their_type = expected["type"].as_str().unwrap();
    let their_event = expected["event"].as_str();
    if their_type == "unknown" && msg.type_name() == "event" {
        let key = msg.event_key().unwrap();
        if registry.contains(key) {
            fail(format!("wechatpy has {key:?} but returned unknown"));
        }
        if expected["fields"].as_object().is_some_and(|f| !f.is_empty()) {
            fail("wechatpy recorded fields for an unknown message".into());
        }
    } else {
        if msg.type_name() != their_type {
            fail(format!("type: ours {} != wechatpy {their_type}", msg.type_name()));
        }
        if msg.event_key() != their_event {
            fail(format!("event: ours {:?} != wechatpy {their_event:?}", msg.event_key()));
        }
    }

    // common fields (rules 1 and 3)
    for (name, ours) in [("source", &msg.source), ("target", &msg.target)] {
        if normalise(json!(ours)) != normalise(expected[name].clone()) {
            fail(format!("{name}: ours {ours:?} != wechatpy {}", expected[name]));
        }
    }
    match as_u64(&expected["time"]) {
        Some(t) if msg.time != t => fail(format!("time: ours {} != wechatpy {t}", msg.time)),
        None if msg.time != 0 => fail(format!("time: ours {} != wechatpy None", msg.time)),
        _ => {}
    }
    let their_id = as_u64(&expected["id"]).unwrap();
    let id_ok = if their_id == 0 {
        matches!(msg.id, None | Some(0))
    } else {
        msg.id == Some(their_id)
    };
    if !id_ok {
        fail(format!("id: ours {:?} != wechatpy {their_id}", msg.id));
    }
    if let Some(agent) = expected.get("agent") {
        let their = as_u64(agent).unwrap();
        let ok = if their == 0 {
            matches!(msg.agent, None | Some(0))
        } else {
            msg.agent == Some(their)
        };
        if !ok {
            fail(format!("agent: ours {:?} != wechatpy {their}", msg.agent));
        }
    }

    // fields (rules 5-7)
    let ours = serde_json::to_value(&msg.body).unwrap();
    let ours = ours.as_object().unwrap();
    for (name, theirs) in expected["fields"].as_object().unwrap() {
        let value = if name == "location" {
            Some(json!([ours.get("location_x"), ours.get("location_y")]))
        } else {
            ours.get(name).cloned()
        };
        match value {
            None => fail(format!("we have no field {name:?}")),
            Some(value) => {
                if let Err(e) = compare_field(name, value, theirs.clone()) {
                    fail(e);
                }
            }
        }
    }

    // wechatpy bugs (rule 8)
    if let Some(errors) = expected.get("errors").and_then(Value::as_object) {
        for (name, error) in errors {
            match bugs.iter().find(|(p, n, _)| *p == path && n == name) {
                None => fail(format!("wechatpy raised for {name} ({error}), not listed")),
                Some((_, _, want)) => {
                    if ours.get(name) != Some(want) {
                        fail(format!("{name}: ours {:?} != {want}", ours.get(name)));
                    }
                }
            }
        }
    }
    msg
}

#[test]
fn every_sample_matches_wechatpy() {
    let expected: Value = serde_json::from_str(&fs::read_to_string(fixtures().join("expected.json")).unwrap()).unwrap();
    assert_eq!(expected["wechatpy"], "2.0.0.alpha26");
    let registry = |kind: &str| -> BTreeSet<String> {
        expected["wechatpy_event_keys"][kind]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_owned())
            .collect()
    };
    let registries = [("mp", registry("mp")), ("work", registry("work"))];
    let bugs = wechatpy_bugs();
    let samples = expected["samples"].as_object().unwrap();
    let mut failures = Vec::new();
    let mut seen_events: BTreeSet<(String, String)> = BTreeSet::new();
    let mut seen_types: BTreeSet<(String, String)> = BTreeSet::new();
    for (path, exp) in samples {
        let kind = exp["kind"].as_str().unwrap();
        let reg = &registries.iter().find(|(k, _)| *k == kind).unwrap().1;
        let msg = check_sample(path, exp, reg, &bugs, &mut failures);
        seen_types.insert((kind.to_owned(), msg.type_name().to_owned()));
        if let Some(key) = msg.event_key() {
            seen_events.insert((kind.to_owned(), key.to_owned()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // every listed divergence was exercised
    for (path, name, _) in &bugs {
        assert!(
            samples[*path]["errors"].get(*name).is_some(),
            "{path}: wechatpy no longer raises for {name}"
        );
    }
    for path in WECHATPY_REJECTS {
        assert!(samples[*path].get("parse_error").is_some(), "{path}");
    }

    // every wechatpy event key is typed by us on that platform and has a sample
    for (kind_name, reg) in &registries {
        let kind = if *kind_name == "mp" { Kind::Mp } else { Kind::Work };
        let ours: BTreeSet<&str> = Event::known_keys(kind).collect();
        for key in reg {
            assert!(ours.contains(key.as_str()), "{kind_name}: we do not type {key}");
            assert!(
                seen_events.contains(&(kind_name.to_string(), key.clone())),
                "{kind_name}: no sample for {key}"
            );
        }
        // and every key we type has a sample
        for key in ours {
            assert!(
                seen_events.contains(&(kind_name.to_string(), key.to_owned())),
                "{kind_name}: no sample for our {key}"
            );
        }
    }
    for (kind, types) in [
        (
            "mp",
            &[
                "text",
                "image",
                "voice",
                "shortvideo",
                "video",
                "location",
                "link",
                "miniprogrampage",
            ][..],
        ),
        (
            "work",
            &["text", "image", "voice", "shortvideo", "video", "location", "link"][..],
        ),
    ] {
        for t in types {
            assert!(seen_types.contains(&(kind.to_owned(), t.to_string())), "{kind}: no {t}");
        }
    }
    assert!(samples.len() >= 160, "only {} samples", samples.len());
}

#[test]
fn normalisation_is_what_xmltodict_does() {
    assert_eq!(normalise(json!("  a\r\nb\u{85} ")), json!("a\nb"));
    assert_eq!(normalise(json!(" \t ")), Value::Null);
    assert_eq!(normalise(json!({})), Value::Null);
    assert_eq!(
        normalise(json!({"A": "", "B": [" x "]})),
        json!({"A": null, "B": ["x"]})
    );
    assert!(compare_field("err_code", json!(0), json!("0")).is_ok());
    assert!(compare_field("content", json!(0), json!("0")).is_err());
    assert!(compare_field("sp_record", json!([{"a": "1"}]), json!({"a": "1"})).is_ok());
    assert!(compare_field("pictures", json!([{"a": "1"}]), json!({"a": "1"})).is_err());
}
