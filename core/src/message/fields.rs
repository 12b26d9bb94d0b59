//! Field extractors: how a typed field is read from the raw element tree.
//!
//! Each extractor returns a closure `Fn(&Raw) -> T` so type declarations stay one line per
//! field (`content: Option<String> = text("Content")`). Extraction never fails: a missing or
//! unparsable value becomes `None`, and the original text stays in [`Message::raw`].
//!
//! [`Message::raw`]: super::Message::raw

use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine as _;

use crate::xml::{Raw, RawValue};

/// The text of `tag`, exactly as sent.
pub(crate) fn text(tag: &'static str) -> impl Fn(&Raw) -> Option<String> {
    move |raw| raw.text(tag).map(String::from)
}

/// A signed integer; blank or malformed → `None`.
pub(crate) fn int(tag: &'static str) -> impl Fn(&Raw) -> Option<i64> {
    move |raw| parse_int(raw.text(tag)?)
}

/// An unsigned integer (ids up to 2^64−1, Unix times); blank or malformed → `None`.
pub(crate) fn uint(tag: &'static str) -> impl Fn(&Raw) -> Option<u64> {
    move |raw| parse_uint(raw.text(tag)?)
}

/// A float; blank or malformed → `None`.
pub(crate) fn float(tag: &'static str) -> impl Fn(&Raw) -> Option<f64> {
    move |raw| parse_float(raw.text(tag)?)
}

/// A Unix time in seconds (wechatpy's `DateTimeField`).
pub(crate) fn datetime(tag: &'static str) -> impl Fn(&Raw) -> Option<u64> {
    uint(tag)
}

/// A nested element, kept as its raw tree (wechatpy's `BaseField` on a sub-tree).
pub(crate) fn nested(tag: &'static str) -> impl Fn(&Raw) -> Option<Raw> {
    move |raw| raw.map(tag).cloned()
}

/// The text at a path of nested elements, e.g. `["ScanCodeInfo", "ScanType"]`.
pub(crate) fn path(tags: &'static [&'static str]) -> impl Fn(&Raw) -> Option<String> {
    move |raw| at_path(raw, tags).map(String::from)
}

/// An integer at a path of nested elements.
pub(crate) fn path_int(tags: &'static [&'static str]) -> impl Fn(&Raw) -> Option<i64> {
    move |raw| parse_int(at_path(raw, tags)?)
}

/// A float at a path of nested elements.
pub(crate) fn path_float(tags: &'static [&'static str]) -> impl Fn(&Raw) -> Option<f64> {
    move |raw| parse_float(at_path(raw, tags)?)
}

/// Base64-decoded UTF-8 text (device messages); undecodable → `None`.
pub(crate) fn base64_text(tag: &'static str) -> impl Fn(&Raw) -> Option<String> {
    move |raw| {
        let text = raw.text(tag)?.trim();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()?;
        String::from_utf8(bytes).ok()
    }
}

/// Every element named `item` (or `name`) under a path, as raw trees: a list that WeChat
/// writes as repeated elements, normalised to a `Vec` even when there is only one.
pub(crate) fn list(tags: &'static [&'static str], item: &'static str) -> impl Fn(&Raw) -> Vec<Raw> {
    move |raw| {
        let mut node = raw;
        for tag in tags {
            match node.map(tag) {
                Some(next) => node = next,
                None => return Vec::new(),
            }
        }
        node.all(item)
            .filter_map(RawValue::as_map)
            .cloned()
            .collect()
    }
}

pub(crate) fn at_path<'a>(raw: &'a Raw, tags: &[&str]) -> Option<&'a str> {
    let (last, parents) = tags.split_last()?;
    let mut node = raw;
    for tag in parents {
        node = node.map(tag)?;
    }
    node.text(last)
}

pub(crate) fn parse_int(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

pub(crate) fn parse_uint(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

pub(crate) fn parse_float(text: &str) -> Option<f64> {
    let value: f64 = text.trim().parse().ok()?;
    value.is_finite().then_some(value)
}
