//! The XML layer: a safe, tolerant parser into an ordered element tree, and the small writer
//! used by replies and envelopes.
//!
//! WeChat's XML is flat and messy: CDATA or entity-escaped text, control characters inside
//! user text, any element order, sometimes a BOM or an XML declaration. The parser accepts all
//! of that and keeps text exactly as sent. It never processes a DTD (a `DOCTYPE` is rejected,
//! so entity bombs and XXE are impossible), and it bounds nesting depth, element count and
//! input size.
//!
//! The tree is [`Raw`]: each element's children in document order. Typed messages are built
//! on top of it and keep it, so nothing WeChat sends is ever dropped.

mod write;

pub use write::{push_cdata, push_escaped};

use alloc::string::String;
use alloc::vec::Vec;
use quick_xml::events::Event;
use quick_xml::reader::Reader;

use crate::error::{CallbackError, Error};

/// Bounds that keep hostile input from exhausting memory or stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum input length in bytes.
    pub max_bytes: usize,
    /// Maximum element nesting depth (the root is depth 1).
    pub max_depth: usize,
    /// Maximum number of elements.
    pub max_elements: usize,
}

impl Default for Limits {
    /// 4 MiB, depth 32, 20 000 elements: an order of magnitude above anything WeChat sends.
    fn default() -> Self {
        Self {
            max_bytes: 4 << 20,
            max_depth: 32,
            max_elements: 20_000,
        }
    }
}

/// One child value: text for a leaf element, or a nested element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawValue {
    /// The exact text of a leaf element (CDATA and escaped text joined, entities resolved).
    Text(String),
    /// A nested element.
    Map(Raw),
}

impl RawValue {
    /// The text, if this is a leaf.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            RawValue::Text(t) => Some(t),
            RawValue::Map(_) => None,
        }
    }

    /// The nested element, if this is one.
    pub fn as_map(&self) -> Option<&Raw> {
        match self {
            RawValue::Map(m) => Some(m),
            RawValue::Text(_) => None,
        }
    }
}

/// An element's children, in document order. Repeated names are kept as repeated entries.
///
/// Attributes (WeChat sends none) are kept as `@name` entries, and non-blank text mixed with
/// child elements as a `#text` entry, the same convention as Python's xmltodict.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Raw {
    entries: Vec<(String, RawValue)>,
}

impl Raw {
    /// An empty element.
    pub fn new() -> Self {
        Self::default()
    }

    /// The first child named `name`.
    pub fn get(&self, name: &str) -> Option<&RawValue> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The text of the first child named `name`, if it is a leaf.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(RawValue::as_text)
    }

    /// The first child named `name`, if it is a nested element.
    pub fn map(&self, name: &str) -> Option<&Raw> {
        self.get(name).and_then(RawValue::as_map)
    }

    /// Every child named `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a RawValue> + 'a {
        self.entries
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// All children, in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &RawValue)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// Number of children.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no children.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Appends a child.
    pub fn push(&mut self, name: impl Into<String>, value: RawValue) {
        self.entries.push((name.into(), value));
    }

    /// Appends a text child.
    pub fn push_text(&mut self, name: impl Into<String>, text: impl Into<String>) {
        self.entries
            .push((name.into(), RawValue::Text(text.into())));
    }
}

impl serde::Serialize for Raw {
    /// A JSON object: text for leaves, objects for nested elements, arrays for repeated names
    /// (in the order of first appearance).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        for (i, (name, value)) in self.entries.iter().enumerate() {
            if self.entries[..i].iter().any(|(n, _)| n == name) {
                continue;
            }
            let count = self.entries[i..].iter().filter(|(n, _)| n == name).count();
            if count == 1 {
                map.serialize_entry(name, value)?;
            } else {
                let all: Vec<&RawValue> = self.all(name).collect();
                map.serialize_entry(name, &all)?;
            }
        }
        map.end()
    }
}

impl serde::Serialize for RawValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            RawValue::Text(t) => serializer.serialize_str(t),
            RawValue::Map(m) => m.serialize(serializer),
        }
    }
}

/// A parsed document: the root element's name and children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The root element's name (`xml` for everything WeChat sends).
    pub root: String,
    /// The root element's children.
    pub children: Raw,
}

fn invalid(msg: impl Into<String>) -> Error {
    CallbackError::InvalidXml(msg.into()).into()
}

struct Frame {
    name: String,
    children: Raw,
    text: String,
}

impl Frame {
    fn finish(self) -> (String, RawValue) {
        let Frame {
            name,
            mut children,
            text,
        } = self;
        if children.is_empty() {
            (name, RawValue::Text(text))
        } else {
            if !text.trim().is_empty() {
                children.push_text("#text", text);
            }
            (name, RawValue::Map(children))
        }
    }
}

/// Parses a document with the default [`Limits`].
///
/// # Errors
/// [`CallbackError::InvalidXml`] for malformed or unsafe XML.
pub fn parse(xml: &str) -> Result<Document, Error> {
    parse_with(xml, Limits::default())
}

/// Parses a document.
///
/// # Errors
/// [`CallbackError::InvalidXml`] for malformed XML, a `DOCTYPE`, unknown entities, or input
/// beyond `limits`.
pub fn parse_with(xml: &str, limits: Limits) -> Result<Document, Error> {
    if xml.len() > limits.max_bytes {
        return Err(CallbackError::TooLarge {
            limit: limits.max_bytes,
        }
        .into());
    }
    let xml = xml.strip_prefix('\u{feff}').unwrap_or(xml);
    let mut reader = Reader::from_str(xml);
    {
        let config = reader.config_mut();
        config.trim_text(false);
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.allow_dangling_amp = true;
        config.check_comments = false;
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Document> = None;
    let mut elements = 0usize;

    loop {
        let event = reader
            .read_event()
            .map_err(|e| invalid(alloc::format!("{e}")))?;
        match event {
            Event::Start(start) | Event::Empty(start) if root.is_some() => {
                let _ = start;
                return Err(invalid("content after the root element"));
            }
            Event::Start(ref start) | Event::Empty(ref start) => {
                elements += 1;
                if elements > limits.max_elements {
                    return Err(invalid("too many elements"));
                }
                if stack.len() >= limits.max_depth {
                    return Err(invalid("elements nested too deeply"));
                }
                let name = String::from(start.name().as_ref());
                let mut frame = Frame {
                    name,
                    children: Raw::new(),
                    text: String::new(),
                };
                for attr in start.attributes().with_checks(false) {
                    let attr = attr.map_err(|e| invalid(alloc::format!("{e}")))?;
                    let key: &str = attr.key.as_ref();
                    let value = attr
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| invalid(alloc::format!("{e}")))?;
                    frame
                        .children
                        .push_text(alloc::format!("@{key}"), value.into_owned());
                }
                if matches!(event, Event::Empty(_)) {
                    close(&mut stack, frame, &mut root);
                } else {
                    stack.push(frame);
                }
            }
            Event::End(_) => match stack.pop() {
                Some(frame) => close(&mut stack, frame, &mut root),
                None => return Err(invalid("unbalanced end tag")),
            },
            Event::Text(text) => push_text(&mut stack, &text, root.is_some())?,
            Event::CData(cdata) => {
                let text: &str = cdata.as_ref();
                match stack.last_mut() {
                    Some(frame) => frame.text.push_str(text),
                    None => return Err(invalid("CDATA outside the root element")),
                }
            }
            Event::GeneralRef(reference) => {
                let ch = match reference.resolve_char_ref() {
                    Ok(Some(ch)) => ch,
                    Ok(None) => match &*reference {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        other => return Err(invalid(alloc::format!("unknown entity &{other};"))),
                    },
                    Err(e) => return Err(invalid(alloc::format!("{e}"))),
                };
                match stack.last_mut() {
                    Some(frame) => frame.text.push(ch),
                    None => return Err(invalid("text outside the root element")),
                }
            }
            Event::DocType(_) => return Err(invalid("DOCTYPE is not allowed")),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(invalid("unexpected end of input"));
    }
    root.ok_or_else(|| invalid("no root element"))
}

fn push_text(stack: &mut [Frame], text: &str, _after_root: bool) -> Result<(), Error> {
    match stack.last_mut() {
        Some(frame) => {
            frame.text.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(invalid("text outside the root element")),
    }
}

fn close(stack: &mut [Frame], frame: Frame, root: &mut Option<Document>) {
    let (name, value) = frame.finish();
    match stack.last_mut() {
        Some(parent) => parent.children.push(name, value),
        None => {
            let children = match value {
                RawValue::Map(m) => m,
                RawValue::Text(t) if t.trim().is_empty() => Raw::new(),
                RawValue::Text(t) => {
                    let mut m = Raw::new();
                    m.push_text("#text", t);
                    m
                }
            };
            *root = Some(Document {
                root: name,
                children,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn parses_cdata_escaped_and_plain_text_exactly() {
        let doc = parse(
            "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<xml><ToUserName><![CDATA[to]]></ToUserName>\n\
             <Content>  a &lt;b&gt; &amp; &#x4e2d;&#25991; <![CDATA[<raw>]]> \u{2}\u{10} </Content><MsgId>18446744073709551615</MsgId>\
             <Empty></Empty><Self/></xml>",
        )
        .unwrap();
        assert_eq!(doc.root, "xml");
        let raw = &doc.children;
        assert_eq!(raw.text("ToUserName"), Some("to"));
        assert_eq!(
            raw.text("Content"),
            Some("  a <b> & 中文 <raw> \u{2}\u{10} ")
        );
        assert_eq!(raw.text("MsgId"), Some("18446744073709551615"));
        assert_eq!(raw.text("Empty"), Some(""));
        assert_eq!(raw.text("Self"), Some(""));
        assert_eq!(raw.len(), 5);
    }

    #[test]
    fn nested_and_repeated() {
        let doc = parse(
            "<xml><SendPicsInfo><Count>2</Count><PicList><item><PicMd5Sum><![CDATA[a]]></PicMd5Sum></item>\
             <item><PicMd5Sum><![CDATA[b]]></PicMd5Sum></item></PicList></SendPicsInfo></xml>",
        )
        .unwrap();
        let info = doc.children.map("SendPicsInfo").unwrap();
        assert_eq!(info.text("Count"), Some("2"));
        let list = info.map("PicList").unwrap();
        let items: Vec<_> = list
            .all("item")
            .map(|i| i.as_map().unwrap().text("PicMd5Sum").unwrap())
            .collect();
        assert_eq!(items, ["a", "b"]);
        let json = serde_json::to_string(&doc.children).unwrap();
        assert_eq!(
            json,
            r#"{"SendPicsInfo":{"Count":"2","PicList":{"item":[{"PicMd5Sum":"a"},{"PicMd5Sum":"b"}]}}}"#
        );
    }

    #[test]
    fn rejects_doctype_and_entity_bombs() {
        let bomb = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]><xml><a>&lol2;</a></xml>";
        let err = parse(bomb).unwrap_err();
        assert_eq!(err.kind(), "invalid-xml");
        assert!(err.to_string().contains("DOCTYPE"));
        let err = parse("<xml><a>&lol;</a></xml>").unwrap_err();
        assert!(err.to_string().contains("unknown entity"));
        let xxe = "<!DOCTYPE foo [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><xml>&xxe;</xml>";
        assert!(parse(xxe).is_err());
    }

    #[test]
    fn bounds_depth_count_and_size() {
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(parse(&deep).unwrap_err().to_string().contains("deeply"));
        let many = alloc::format!("<xml>{}</xml>", "<a/>".repeat(30_000));
        assert!(parse(&many).unwrap_err().to_string().contains("too many"));
        let limits = Limits {
            max_bytes: 10,
            ..Limits::default()
        };
        assert_eq!(
            parse_with("<xml><a>1</a></xml>", limits)
                .unwrap_err()
                .kind(),
            "too-large"
        );
    }

    #[test]
    fn malformed_inputs_are_errors() {
        for bad in [
            "",
            "   ",
            "<xml>",
            "<xml><a></b></xml>",
            "</xml>",
            "<xml></xml><xml></xml>",
            "text",
            "<xml><a>1</a></xml>trailing",
            "<xml><![CDATA[",
            "<xml a=>",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn dangling_ampersand_is_text() {
        let doc = parse("<xml><Content>AT&T</Content></xml>").unwrap();
        assert_eq!(doc.children.text("Content"), Some("AT&T"));
    }

    #[test]
    fn attributes_and_mixed_text_are_kept() {
        let doc = parse("<xml><a x=\"1\">t</a><b>hi<c>1</c></b></xml>").unwrap();
        let a = doc.children.map("a").unwrap();
        assert_eq!(a.text("@x"), Some("1"));
        assert_eq!(a.text("#text"), Some("t"));
        let b = doc.children.map("b").unwrap();
        assert_eq!(b.text("#text"), Some("hi"));
        assert_eq!(b.text("c"), Some("1"));
    }
}
