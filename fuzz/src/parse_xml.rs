//! `parse_xml`: arbitrary bytes through the XML parser and the message parser.
//!
//! Invariants:
//! - nothing panics;
//! - a parsed tree respects the limits it was parsed with (depth, element count, size) and
//!   holds no more text than the input (no amplification);
//! - parsing with tight limits succeeds only if parsing with the defaults does, with the same
//!   tree;
//! - the flat fast path and the full reader agree: the same tree or the same error, under
//!   both limits;
//! - `parse_message` succeeds exactly when the document parses and has a text `MsgType`, for
//!   both platforms, and the message keeps the whole tree; its raw tree and typed body
//!   serialize to JSON; an error is an `invalid-xml`, `too-large` or `missing-element`;
//! - a document `parse_reply` accepts renders (with its `CreateTime`) to a reply that parses
//!   back to the same reply and time.

use wechat_core::message::{Kind, parse_message};
use wechat_core::reply::parse_reply_with_time;
use wechat_core::time::UnixTime;
use wechat_core::xml::{self, Document, Limits, Raw, RawValue};

/// Limits small enough for the fuzzer to run into every one of them.
pub const TIGHT: Limits = Limits {
    max_bytes: 2048,
    max_depth: 4,
    max_elements: 24,
    max_attributes: 3,
};

/// Runs one input; `true` when it parsed as a message.
pub fn run(data: &[u8]) -> bool {
    let Ok(text) = core::str::from_utf8(data) else {
        return false;
    };
    let full = xml::parse(text);
    for limits in [Limits::default(), TIGHT] {
        let fast = xml::parse_with(text, limits);
        let slow = xml::parse_full(text, limits);
        match (&fast, &slow) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "the fast path built a different tree"),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "different errors"),
            _ => panic!("fast path {fast:?}, full reader {slow:?}"),
        }
    }
    match &full {
        Ok(doc) => check_tree(doc, Limits::default(), text.len()),
        Err(e) => assert!(
            matches!(e.kind(), "invalid-xml" | "too-large"),
            "unexpected error kind {}",
            e.kind()
        ),
    }
    match xml::parse_with(text, TIGHT) {
        Ok(doc) => {
            check_tree(&doc, TIGHT, text.len());
            assert_eq!(
                Some(&doc),
                full.as_ref().ok(),
                "tight limits accepted what the defaults did not"
            );
        }
        Err(e) => assert!(matches!(e.kind(), "invalid-xml" | "too-large")),
    }
    let mut parsed = false;
    let has_type = full.as_ref().is_ok_and(|doc| doc.children.text("MsgType").is_some());
    for kind in [Kind::Mp, Kind::Work] {
        match parse_message(text, kind) {
            Ok(message) => {
                assert!(has_type, "a message without a text MsgType");
                assert_eq!(full.as_ref().map(|doc| doc.root.as_str()), Ok("xml"));
                let doc = full.as_ref().expect("the document parsed");
                assert_eq!(message.raw, doc.children, "the message lost part of the tree");
                assert_eq!(message.kind, kind);
                serde_json::to_string(&message.raw).expect("the raw tree serializes");
                serde_json::to_string(&message.body).expect("the body serializes");
                let _ = (message.type_name(), message.event_key(), message.dedup_key());
                parsed = true;
            }
            Err(e) => {
                let foreign = full.as_ref().is_ok_and(|doc| doc.root != "xml");
                assert!(!has_type || foreign, "a valid message was rejected: {e}");
                assert!(matches!(
                    e.kind(),
                    "invalid-xml" | "too-large" | "missing-element" | "unexpected-root"
                ));
            }
        }
    }
    if let Ok((reply, time)) = parse_reply_with_time(text)
        && !reply.is_empty()
    {
        let rendered = reply.render(time.unwrap_or(UnixTime(0)));
        let again = parse_reply_with_time(&rendered).expect("a rendered reply parses");
        assert_eq!(again, (reply, Some(time.unwrap_or(UnixTime(0)))));
    }
    parsed
}

/// Checks a parsed tree against `limits` and the input length.
fn check_tree(doc: &Document, limits: Limits, input_len: usize) {
    assert!(input_len <= limits.max_bytes, "input beyond max_bytes accepted");
    let mut stats = Stats {
        elements: 1,
        max_depth: 1,
        bytes: doc.root.len(),
    };
    walk(&doc.children, 1, &mut stats);
    assert!(
        stats.elements <= limits.max_elements,
        "{} elements parsed with a limit of {}",
        stats.elements,
        limits.max_elements
    );
    assert!(
        stats.max_depth <= limits.max_depth,
        "depth {} parsed with a limit of {}",
        stats.max_depth,
        limits.max_depth
    );
    // Each stored byte comes from the input (names, text, attribute values); only the
    // `#text` and `@` markers are added, and each stands for at least as many input bytes.
    assert!(
        stats.bytes <= 2 * input_len,
        "{} bytes stored for an input of {input_len}",
        stats.bytes
    );
    serde_json::to_string(&doc.children).expect("the tree serializes");
}

struct Stats {
    elements: usize,
    max_depth: usize,
    bytes: usize,
}

/// Counts the elements under an element at `depth`. Attribute (`@name`) and mixed-text
/// (`#text`) entries are not elements; an element with such a name (quick-xml does not
/// check names) is undercounted, which never makes a correct parse fail this check.
fn walk(raw: &Raw, depth: usize, stats: &mut Stats) {
    for (name, value) in raw.iter() {
        stats.bytes += name.len();
        let is_element = !(name.starts_with('@') || name == "#text");
        if is_element {
            stats.elements += 1;
            stats.max_depth = stats.max_depth.max(depth + 1);
        }
        match value {
            RawValue::Text(t) => stats.bytes += t.len(),
            RawValue::Map(m) => walk(m, depth + 1, stats),
        }
    }
}
