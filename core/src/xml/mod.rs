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

mod flat;
mod read;
mod write;

pub use write::{push_cdata, push_escaped};

use alloc::borrow::Cow;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use read::{Event, Reader, SmallStack, TextBuf};

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
    /// Maximum number of attributes on one element. WeChat sends none; the cap keeps the
    /// duplicate-attribute check (quadratic in the count) cheap on hostile input.
    pub max_attributes: usize,
}

impl Default for Limits {
    /// 4 MiB, depth 32, 20 000 elements, 16 attributes per element: an order of magnitude
    /// above anything WeChat sends.
    fn default() -> Self {
        Self {
            max_bytes: 4 << 20,
            max_depth: 32,
            max_elements: 20_000,
            max_attributes: 16,
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
    /// Names WeChat uses all the time are `&'static` (see [`element_name`]), the rest owned.
    entries: Vec<(Cow<'static, str>, RawValue)>,
}

impl Raw {
    /// An empty element.
    pub fn new() -> Self {
        Self::default()
    }

    /// The first child named `name`.
    pub fn get(&self, name: &str) -> Option<&RawValue> {
        self.entries.iter().find(|(n, _)| n.as_ref() == name).map(|(_, v)| v)
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
            .filter(move |(n, _)| n.as_ref() == name)
            .map(|(_, v)| v)
    }

    /// All children, in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &RawValue)> {
        self.entries.iter().map(|(n, v)| (n.as_ref(), v))
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
        self.entries.push((Cow::Owned(name.into()), value));
    }

    /// Appends a parsed child element.
    fn push_element(&mut self, name: &str, value: RawValue) {
        if self.entries.capacity() == 0 {
            // A message has a handful of fields: one allocation, not three.
            self.entries.reserve(8);
        }
        self.entries.push((element_name(name), value));
    }

    /// Appends a text child.
    pub fn push_text(&mut self, name: impl Into<String>, text: impl Into<String>) {
        self.entries
            .push((Cow::Owned(name.into()), RawValue::Text(text.into())));
    }
}

impl serde::Serialize for Raw {
    /// A JSON object: text for leaves, objects for nested elements, arrays for repeated names
    /// (in the order of first appearance).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        // Group by name in one pass: scanning the entries for each name would be quadratic
        // in the element count (seconds for a hostile body of 20 000 distinct names).
        let mut order: Vec<&str> = Vec::new();
        let mut groups: BTreeMap<&str, Vec<&RawValue>> = BTreeMap::new();
        for (name, value) in &self.entries {
            groups
                .entry(name.as_ref())
                .or_insert_with(|| {
                    order.push(name.as_ref());
                    Vec::new()
                })
                .push(value);
        }
        let mut map = serializer.serialize_map(Some(order.len()))?;
        for name in order {
            match groups[name].as_slice() {
                [one] => map.serialize_entry(name, one)?,
                all => map.serialize_entry(name, all)?,
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

/// The name stored for an element: WeChat's frequent names are interned (`&'static`), so a
/// typical message stores its element names without allocating.
fn element_name(name: &str) -> Cow<'static, str> {
    macro_rules! known {
        ($($n:literal),* $(,)?) => {
            match name {
                $($n => Cow::Borrowed($n),)*
                _ => Cow::Owned(String::from(name)),
            }
        };
    }
    known!(
        "ToUserName",
        "FromUserName",
        "CreateTime",
        "MsgType",
        "Content",
        "MsgId",
        "MsgID",
        "MsgDataId",
        "Idx",
        "AgentID",
        "Encrypt",
        "Event",
        "EventKey",
        "Ticket",
        "MediaId",
        "PicUrl",
        "Format",
        "Recognition",
        "ThumbMediaId",
        "Location_X",
        "Location_Y",
        "Scale",
        "Label",
        "Title",
        "Description",
        "Url",
        "Latitude",
        "Longitude",
        "Precision",
        "Status",
        "item",
    )
}

/// An element being read: its name, children so far, and text so far.
struct Frame<'a> {
    name: &'a str,
    children: Raw,
    text: TextBuf<'a>,
}

impl<'a> Frame<'a> {
    fn new(name: &'a str) -> Self {
        Self {
            name,
            children: Raw::new(),
            text: TextBuf::Empty,
        }
    }

    fn push_child(&mut self, name: &str, value: RawValue) {
        self.children.push_element(name, value);
    }

    /// A leaf becomes its text; an element with children keeps non-blank text as `#text`.
    fn finish(self) -> RawValue {
        let Frame { mut children, text, .. } = self;
        if children.is_empty() {
            RawValue::Text(text.into_cow().into_owned())
        } else {
            if !text.as_str().trim().is_empty() {
                children.push_text("#text", text.into_cow().into_owned());
            }
            RawValue::Map(children)
        }
    }
}

/// The input without its BOM, after the size check.
fn prepare(xml: &str, limits: Limits) -> Result<&str, Error> {
    if xml.len() > limits.max_bytes {
        return Err(CallbackError::TooLarge {
            limit: limits.max_bytes,
        }
        .into());
    }
    Ok(xml.strip_prefix('\u{feff}').unwrap_or(xml))
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
    let (root, children) = build(xml, limits)?;
    Ok(Document {
        root: String::from(root),
        children,
    })
}

/// The root element's children, for callers that do not need the root's name.
///
/// # Errors
/// As [`parse_with`].
pub(crate) fn parse_children(xml: &str, limits: Limits) -> Result<Raw, Error> {
    let (root, children) = build(xml, limits)?;
    check_root(root)?;
    Ok(children)
}

/// Everything WeChat sends has the root `<xml>`; anything else is not a WeChat document.
fn check_root(root: &str) -> Result<(), Error> {
    if root == "xml" {
        return Ok(());
    }
    // The name is the sender's: keep the error short whatever they sent.
    let shown: String = root.chars().take(64).collect();
    Err(CallbackError::UnexpectedRoot(shown).into())
}

/// Parses a document with the full reader only, never the flat fast path: for differential
/// tests and fuzzing, which check that the two agree. Not part of the stable API.
#[doc(hidden)]
pub fn parse_full(xml: &str, limits: Limits) -> Result<Document, Error> {
    let (root, children) = build_full(prepare(xml, limits)?, limits)?;
    Ok(Document {
        root: String::from(root),
        children,
    })
}

/// Reads a document into its root's name and children: the flat fast path when the document
/// has WeChat's usual shape, else the full reader.
fn build(xml: &str, limits: Limits) -> Result<(&str, Raw), Error> {
    let src = prepare(xml, limits)?;
    let mut children = Raw::new();
    match flat::scan(src, limits, |name, text| {
        children.push_element(name, RawValue::Text(String::from(text)))
    }) {
        Some(root) => Ok((root, children)),
        None => build_full(src, limits),
    }
}

/// [`build`] with the full reader, for a prepared input.
fn build_full(src: &str, limits: Limits) -> Result<(&str, Raw), Error> {
    let mut reader = Reader::new(src, limits);
    // Elements known to have children (attributes count), innermost last. A new element
    // waits in `leaf` until it turns out to have children: most elements are leaves and are
    // stored without ever becoming a frame.
    let mut stack: SmallStack<Frame<'_>, 4> = SmallStack::new();
    let mut leaf: Option<(&str, TextBuf<'_>)> = None;
    let mut root = None;
    while let Some(event) = reader.next_event()? {
        match event {
            Event::Start { name, attrs } => {
                if let Some((parent, text)) = leaf.take() {
                    stack.push(Frame {
                        name: parent,
                        children: Raw::new(),
                        text,
                    });
                }
                if attrs.is_empty() {
                    leaf = Some((name, TextBuf::Empty));
                } else {
                    let mut frame = Frame::new(name);
                    for attr in read::attributes(attrs) {
                        let (key, value) = attr?;
                        frame.children.push_text(alloc::format!("@{key}"), value.into_owned());
                    }
                    stack.push(frame);
                }
            }
            // The reader reports text and references only inside an element.
            Event::Text(text) => match (&mut leaf, stack.last_mut()) {
                (Some((_, buf)), _) | (None, Some(Frame { text: buf, .. })) => buf.push_str(text),
                (None, None) => {}
            },
            Event::Char(ch) => match (&mut leaf, stack.last_mut()) {
                (Some((_, buf)), _) | (None, Some(Frame { text: buf, .. })) => buf.push_char(ch),
                (None, None) => {}
            },
            Event::End => {
                let (name, value) = match leaf.take() {
                    Some((name, text)) => (name, RawValue::Text(text.into_cow().into_owned())),
                    None => match stack.pop() {
                        Some(frame) => (frame.name, frame.finish()),
                        None => continue,
                    },
                };
                match stack.last_mut() {
                    Some(parent) => parent.push_child(name, value),
                    None => root = Some((name, root_children(value))),
                }
            }
        }
    }
    root.ok_or_else(|| invalid("no root element"))
}

/// The root's value as its children: text (non-blank) becomes `#text`.
fn root_children(value: RawValue) -> Raw {
    match value {
        RawValue::Map(m) => m,
        RawValue::Text(t) if t.trim().is_empty() => Raw::new(),
        RawValue::Text(t) => {
            let mut m = Raw::new();
            m.push_text("#text", t);
            m
        }
    }
}

/// The text of the root's one child named `name`, without building the tree: borrowed from
/// `xml` when it is one piece, trimmed. The whole document is read and checked exactly as
/// [`parse_with`] checks it, and its root must be `<xml>`. `None` when there is no such child
/// or it is not a leaf (has attributes or elements), the cases where
/// `parse_with(xml)?.children.text(name)` is `None`.
///
/// # Errors
/// As [`parse_with`]; [`CallbackError::UnexpectedRoot`] for another root, and
/// [`CallbackError::DuplicateElement`] when the root has several children named `name`.
pub(crate) fn leaf_text<'a>(xml: &'a str, limits: Limits, name: &'static str) -> Result<Option<Cow<'a, str>>, Error> {
    let src = prepare(xml, limits)?;
    let duplicate = || Err(CallbackError::DuplicateElement(name).into());
    let mut first = None;
    let mut count = 0usize;
    if let Some(root) = flat::scan(src, limits, |n, text| {
        if n == name {
            count += 1;
            first.get_or_insert(text);
        }
    }) {
        check_root(root)?;
        if count > 1 {
            return duplicate();
        }
        return Ok(first.map(|text| Cow::Borrowed(text.trim())));
    }
    // The fast path gave up somewhere (after seeing some children, maybe): start over.
    count = 0;
    let mut reader = Reader::new(src, limits);
    // While inside the `name` child: its text, and whether it turned out not a leaf.
    let mut current: Option<(TextBuf<'a>, bool)> = None;
    let mut found: Option<Option<TextBuf<'a>>> = None;
    let mut root = None;
    while let Some(event) = reader.next_event()? {
        match (event, &mut current) {
            (Event::Start { name: n, .. }, None) if reader.depth() == 1 => root = Some(n),
            (Event::Start { name: n, attrs }, None) if reader.depth() == 2 && n == name => {
                if found.is_some() {
                    // Read on: a malformed rest of the document is still reported as such.
                    count += 1;
                    continue;
                }
                let has_attributes = !attrs.trim_matches([' ', '\t', '\r', '\n']).is_empty();
                current = Some((TextBuf::Empty, has_attributes));
            }
            (Event::Start { .. }, Some((_, not_leaf))) => *not_leaf = true,
            (Event::Text(text), Some((buf, _))) if reader.depth() == 2 => buf.push_str(text),
            (Event::Char(ch), Some((buf, _))) if reader.depth() == 2 => buf.push_char(ch),
            (Event::End, Some(_)) if reader.depth() == 1 => {
                found = current.take().map(|(buf, not_leaf)| (!not_leaf).then_some(buf));
            }
            _ => {}
        }
    }
    check_root(root.unwrap_or(""))?;
    if count > 0 {
        return duplicate();
    }
    Ok(found.flatten().map(|buf| match buf.into_cow() {
        Cow::Borrowed(text) => Cow::Borrowed(text.trim()),
        Cow::Owned(text) => Cow::Owned(String::from(text.trim())),
    }))
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
        assert_eq!(raw.text("Content"), Some("  a <b> & 中文 <raw> \u{2}\u{10} "));
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
            parse_with("<xml><a>1</a></xml>", limits).unwrap_err().kind(),
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
    fn json_of_many_distinct_names_is_fast() {
        // 20 000 distinct names took seconds when each name rescanned every entry.
        let mut xml = String::from("<xml>");
        for i in 0..19_990 {
            xml.push_str(&alloc::format!("<a{i}>{i}</a{i}>"));
        }
        xml.push_str("<a0>again</a0><b/><a0/></xml>");
        let doc = parse(&xml).unwrap();
        let start = std::time::Instant::now();
        let json = serde_json::to_string(&doc.children).unwrap();
        let elapsed = start.elapsed();
        assert!(
            elapsed < core::time::Duration::from_secs(1),
            "serializing took {elapsed:?}"
        );
        assert!(
            json.starts_with(r#"{"a0":["0","again",""],"a1":"1","a2":"2","#),
            "{}",
            &json[..40]
        );
        assert!(json.ends_with(r#","a19989":"19989","b":""}"#));
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
