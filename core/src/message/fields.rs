//! Field extractors: how a typed field is read from the raw element tree.
//!
//! Each extractor returns a closure `Fn(&Raw) -> T` so type declarations stay one line per
//! field (`content: Option<String> = text("Content")`). Extraction never fails: a missing or
//! unparsable value becomes `None` (or the declared default), and the original text stays in
//! [`Message::raw`]. Extractors borrow the tree; the only copies made are of the values a
//! field holds.
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

/// The text of `tag`, or `""` when absent (wechatpy's `StringField(tag, "")`).
pub(crate) fn text_or_empty(tag: &'static str) -> impl Fn(&Raw) -> String {
    move |raw| raw.text(tag).map(String::from).unwrap_or_default()
}

/// A signed integer; blank or malformed → `None`.
pub(crate) fn int(tag: &'static str) -> impl Fn(&Raw) -> Option<i64> {
    move |raw| parse_int(raw.text(tag)?)
}

/// A signed integer with wechatpy's declared default for blank, absent or malformed values.
pub(crate) fn int_or(tag: &'static str, default: i64) -> impl Fn(&Raw) -> i64 {
    move |raw| raw.text(tag).and_then(parse_int).unwrap_or(default)
}

/// An unsigned integer (ids up to 2^64−1, Unix times); blank or malformed → `None`.
pub(crate) fn uint(tag: &'static str) -> impl Fn(&Raw) -> Option<u64> {
    move |raw| parse_uint(raw.text(tag)?)
}

/// A float with wechatpy's declared default for blank, absent or malformed values.
pub(crate) fn float_or(tag: &'static str, default: f64) -> impl Fn(&Raw) -> f64 {
    move |raw| raw.text(tag).and_then(parse_float).unwrap_or(default)
}

/// A Unix time in seconds (wechatpy's `DateTimeField`, which converts to a datetime).
pub(crate) fn datetime(tag: &'static str) -> impl Fn(&Raw) -> Option<u64> {
    uint(tag)
}

/// A nested element, kept as its raw tree (wechatpy's `BaseField` on a sub-tree).
pub(crate) fn nested(tag: &'static str) -> impl Fn(&Raw) -> Option<Raw> {
    move |raw| raw.map(tag).cloned()
}

/// A nested element at a path of nested elements, kept as its raw tree.
pub(crate) fn nested_at(tags: &'static [&'static str]) -> impl Fn(&Raw) -> Option<Raw> {
    move |raw| node_at(raw, tags).cloned()
}

/// The text at a path of nested elements, e.g. `["ScanCodeInfo", "ScanType"]`.
pub(crate) fn path(tags: &'static [&'static str]) -> impl Fn(&Raw) -> Option<String> {
    move |raw| at_path(raw, tags).map(String::from)
}

/// An integer at a path of nested elements.
pub(crate) fn path_int(tags: &'static [&'static str]) -> impl Fn(&Raw) -> Option<i64> {
    move |raw| parse_int(at_path(raw, tags)?)
}

/// An unsigned integer (an id or a Unix time) at a path of nested elements.
pub(crate) fn path_uint(tags: &'static [&'static str]) -> impl Fn(&Raw) -> Option<u64> {
    move |raw| parse_uint(at_path(raw, tags)?)
}

/// Base64-decoded UTF-8 text (device messages); undecodable → `None`.
///
/// Like Python's `base64.b64decode`, whitespace inside the value is ignored and missing
/// padding is tolerated.
pub(crate) fn base64_text(tag: &'static str) -> impl Fn(&Raw) -> Option<String> {
    move |raw| {
        let text = raw.text(tag)?;
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .or_else(|_| {
                base64::engine::general_purpose::STANDARD_NO_PAD.decode(compact.trim_end_matches('=').as_bytes())
            })
            .ok()?;
        String::from_utf8(bytes).ok()
    }
}

/// Every element named `item` under a path, as raw trees: a list that WeChat writes as
/// repeated elements, normalised to a `Vec` even when there is only one. An empty path means
/// the element itself. Text-only items (no children) are skipped; they stay in the raw tree.
pub(crate) fn list(tags: &'static [&'static str], item: &'static str) -> impl Fn(&Raw) -> Vec<Raw> {
    move |raw| items(raw, tags, item).cloned().collect()
}

/// The text of every element named `item` under a path (e.g. `<MemChangeList><Item>a</Item>
/// <Item>b</Item></MemChangeList>`), in order.
pub(crate) fn texts(tags: &'static [&'static str], item: &'static str) -> impl Fn(&Raw) -> Vec<String> {
    move |raw| leaf_texts(raw, tags, item).map(String::from).collect()
}

/// The integer value of every element named `item` under a path; unparsable entries are
/// skipped (they stay in the raw tree).
pub(crate) fn ints(tags: &'static [&'static str], item: &'static str) -> impl Fn(&Raw) -> Vec<i64> {
    move |raw| leaf_texts(raw, tags, item).filter_map(parse_int).collect()
}

/// A comma-separated list of strings (`<DirectLeader>lisi,wangwu</DirectLeader>`); absent →
/// `None`, blank → an empty list. Entries are trimmed; empty entries are dropped.
pub(crate) fn comma_list(tag: &'static str) -> impl Fn(&Raw) -> Option<Vec<String>> {
    move |raw| {
        let text = raw.text(tag)?;
        Some(split_commas(text).map(String::from).collect())
    }
}

/// A comma-separated list of integers (`<Department>1,2,3</Department>`); absent or with any
/// malformed entry → `None` (the text stays in the raw tree), blank → an empty list.
pub(crate) fn comma_ints(tag: &'static str) -> impl Fn(&Raw) -> Option<Vec<i64>> {
    move |raw| split_commas(raw.text(tag)?).map(parse_int).collect()
}

fn split_commas(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// The nested element at a path (an empty path is the tree itself).
pub(crate) fn node_at<'a>(raw: &'a Raw, tags: &[&str]) -> Option<&'a Raw> {
    let mut node = raw;
    for tag in tags {
        node = node.map(tag)?;
    }
    Some(node)
}

/// The nested elements named `item` under a path.
pub(crate) fn items<'a>(raw: &'a Raw, tags: &'a [&'a str], item: &'a str) -> impl Iterator<Item = &'a Raw> + 'a {
    node_at(raw, tags)
        .into_iter()
        .flat_map(move |node| node.all(item))
        .filter_map(RawValue::as_map)
}

fn leaf_texts<'a>(raw: &'a Raw, tags: &'a [&'a str], item: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    node_at(raw, tags)
        .into_iter()
        .flat_map(move |node| node.all(item))
        .filter_map(RawValue::as_text)
}

/// The text at a path of nested elements.
pub(crate) fn at_path<'a>(raw: &'a Raw, tags: &[&str]) -> Option<&'a str> {
    let (last, parents) = tags.split_last()?;
    node_at(raw, parents)?.text(last)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse;
    use alloc::vec;

    fn raw(xml: &str) -> Raw {
        parse(xml).unwrap().children
    }

    #[test]
    fn numbers_tolerate_blank_and_padding() {
        let r = raw("<xml><A> 12 </A><B></B><C>x</C><D>-3</D><F>1.5</F><N>NaN</N></xml>");
        assert_eq!(int("A")(&r), Some(12));
        assert_eq!(int("B")(&r), None);
        assert_eq!(int("C")(&r), None);
        assert_eq!(int("Z")(&r), None);
        assert_eq!(int_or("B", 7)(&r), 7);
        assert_eq!(int_or("D", 7)(&r), -3);
        assert_eq!(uint("D")(&r), None);
        assert_eq!(float_or("F", 0.0)(&r), 1.5);
        assert_eq!(float_or("N", 0.0)(&r), 0.0);
        assert_eq!(text_or_empty("Z")(&r), "");
    }

    #[test]
    fn comma_lists() {
        let r = raw("<xml><U>lisi, wangwu,</U><D>1,2,3</D><E></E><X>1,a</X></xml>");
        assert_eq!(comma_list("U")(&r), Some(vec!["lisi".into(), "wangwu".into()]));
        assert_eq!(comma_ints("D")(&r), Some(vec![1, 2, 3]));
        assert_eq!(comma_ints("E")(&r), Some(vec![]));
        assert_eq!(comma_ints("X")(&r), None);
        assert_eq!(comma_ints("Missing")(&r), None);
    }

    #[test]
    fn repeated_items_and_texts() {
        let r = raw(
            "<xml><L><Item>a</Item><Item>b</Item></L><fail_idx>1</fail_idx><fail_idx>x</fail_idx>\
             <fail_idx>3</fail_idx><M><i><k>1</k></i><i>text</i><i><k>2</k></i></M></xml>",
        );
        assert_eq!(texts(&["L"], "Item")(&r), ["a", "b"]);
        assert_eq!(ints(&[], "fail_idx")(&r), [1, 3]);
        let maps = list(&["M"], "i")(&r);
        assert_eq!(maps.len(), 2);
        assert_eq!(maps[1].text("k"), Some("2"));
        assert!(list(&["Missing"], "i")(&r).is_empty());
        assert_eq!(nested_at(&["M"])(&r).map(|m| m.len()), Some(3));
        assert_eq!(node_at(&r, &[]).map(Raw::len), Some(r.len()));
    }

    #[test]
    fn base64_is_lenient_like_python() {
        let r = raw("<xml><A>aGVs\nbG8=</A><B>aGVsbG8</B><C>!!</C><D>/w==</D></xml>");
        assert_eq!(base64_text("A")(&r).as_deref(), Some("hello"));
        assert_eq!(base64_text("B")(&r).as_deref(), Some("hello"));
        assert_eq!(base64_text("C")(&r), None);
        // not UTF-8
        assert_eq!(base64_text("D")(&r), None);
    }
}
