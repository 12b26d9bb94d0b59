//! A reference XML parser for differential fuzzing: wechat-core's parser as it was before its
//! own event reader (commit 5692db2, built on quick-xml 0.42 with the same options; the crate now
//! reads through quick-xml 0.37 with its own tree builder),
//! producing the same [`Document`] tree.
//!
//! Only the fuzz crate compiles this (the stable replay does not depend on quick-xml).

use quick_xml::events::Event;
use quick_xml::reader::Reader;
use wechat_core::xml::{Document, Limits, Raw, RawValue};

/// Why the reference rejected a document (its message, for triage).
pub type Rejection = String;

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

/// Parses `xml` as wechat-core's quick-xml-based parser did.
///
/// # Errors
/// Whatever that parser rejected, with its reason.
pub fn parse_with(xml: &str, limits: Limits) -> Result<Document, Rejection> {
    if xml.len() > limits.max_bytes {
        return Err("too large".into());
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
        let event = reader.read_event().map_err(|e| format!("{e}"))?;
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err("content after the root element".into());
            }
            Event::Start(ref start) | Event::Empty(ref start) => {
                elements += 1;
                if elements > limits.max_elements {
                    return Err("too many elements".into());
                }
                if stack.len() >= limits.max_depth {
                    return Err("elements nested too deeply".into());
                }
                let name = String::from(start.name().as_ref());
                let mut frame = Frame {
                    name,
                    children: Raw::new(),
                    text: String::new(),
                };
                for attr in start.attributes().with_checks(false) {
                    let attr = attr.map_err(|e| format!("{e}"))?;
                    let key: &str = attr.key.as_ref();
                    let value = attr
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| format!("{e}"))?;
                    frame.children.push_text(format!("@{key}"), value.into_owned());
                }
                if matches!(event, Event::Empty(_)) {
                    close(&mut stack, frame, &mut root);
                } else {
                    stack.push(frame);
                }
            }
            Event::End(_) => match stack.pop() {
                Some(frame) => close(&mut stack, frame, &mut root),
                None => return Err("unbalanced end tag".into()),
            },
            Event::Text(text) => {
                let text: &str = &text;
                match stack.last_mut() {
                    Some(frame) => frame.text.push_str(text),
                    None if text.trim().is_empty() => {}
                    None => return Err("text outside the root element".into()),
                }
            }
            Event::CData(cdata) => {
                let text: &str = cdata.as_ref();
                match stack.last_mut() {
                    Some(frame) => frame.text.push_str(text),
                    None => return Err("CDATA outside the root element".into()),
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
                        other => return Err(format!("unknown entity &{other};")),
                    },
                    Err(e) => return Err(format!("{e}")),
                };
                match stack.last_mut() {
                    Some(frame) => frame.text.push(ch),
                    None => return Err("text outside the root element".into()),
                }
            }
            Event::DocType(_) => return Err("DOCTYPE is not allowed".into()),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err("unexpected end of input".into());
    }
    root.ok_or_else(|| "no root element".into())
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
            *root = Some(Document { root: name, children });
        }
    }
}

/// Runs one input through both parsers; panics when they disagree.
pub fn differential(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    for limits in [Limits::default(), crate::parse_xml::TIGHT] {
        let ours = wechat_core::xml::parse_with(text, limits);
        let reference = parse_with(text, limits);
        match (&ours, &reference) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "the trees differ"),
            (Err(_), Err(_)) => {}
            (Ok(doc), Err(why)) => panic!("accepted what the reference rejects ({why}): {doc:?}"),
            // Deliberate: quick-xml (as configured) accepts `<>`, `< />`, `</>` and repeated
            // attributes; wechat-core rejects them, as XML 1.0 does.
            (Err(_), Ok(doc)) if doc.root.is_empty() || lax(&doc.children) => {}
            (Err(e), Ok(doc)) => panic!("rejected ({e}) what the reference accepts: {doc:?}"),
        }
    }
}

/// Whether an element in the tree has an empty name or a repeated attribute.
fn lax(raw: &Raw) -> bool {
    let attributes: Vec<&str> = raw.iter().map(|(n, _)| n).filter(|n| n.starts_with('@')).collect();
    let repeated = attributes.iter().enumerate().any(|(i, a)| attributes[..i].contains(a));
    repeated
        || raw
            .iter()
            .any(|(name, value)| name.is_empty() || value.as_map().is_some_and(lax))
}
