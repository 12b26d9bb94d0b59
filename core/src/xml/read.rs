//! The event source: quick-xml's borrowed reader, narrowed to what the tree needs and
//! checked against the [`Limits`].
//!
//! quick-xml tokenizes; this adapter adds the rules of a safe callback reader on top: a
//! `DOCTYPE` is rejected (so no entity can ever be declared, let alone expanded), only the
//! five predefined entities and character references are resolved, a `&` that starts no
//! reference stays text, nesting depth and element count are bounded, and text or a second
//! element outside the root is an error.
//!
//! quick-xml 0.37 is used on purpose: its events are byte slices borrowed from the input,
//! which the adapter maps back into the (already validated) `&str` by offset, a constant-time
//! char-boundary check. Later quick-xml versions validate UTF-8 again for every event, which
//! costs more than the rest of the parse on a typical message. Nothing is copied here.

use alloc::borrow::Cow;
use alloc::string::String;

use memchr::{memchr, memchr2};
use quick_xml::events::Event as XmlEvent;
use quick_xml::events::attributes::Attributes as XmlAttributes;

use super::Limits;
use crate::error::Error;

fn invalid(msg: impl Into<String>) -> Error {
    crate::error::CallbackError::InvalidXml(msg.into()).into()
}

/// What the reader reports, in document order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Event<'a> {
    /// An element opens. `attrs` is the raw text after the name (already checked).
    Start {
        /// The element name.
        name: &'a str,
        /// Everything between the name and `>` (or `/>`).
        attrs: &'a str,
    },
    /// The innermost open element closes (also reported right after `Start` for `<a/>`).
    End,
    /// Text or CDATA content of the innermost open element, verbatim.
    Text(&'a str),
    /// A resolved entity or character reference inside the innermost open element.
    Char(char),
}

/// `part`, a slice quick-xml borrowed from `src`, as a `&str` of `src`: found by its offset,
/// so only its two ends are checked for char boundaries (quick-xml cuts at ASCII delimiters).
fn within<'a>(src: &'a str, part: &[u8]) -> Result<&'a str, Error> {
    let start = (part.as_ptr() as usize).wrapping_sub(src.as_ptr() as usize);
    src.get(start..start.wrapping_add(part.len()))
        .filter(|s| s.as_ptr() == part.as_ptr())
        .ok_or_else(|| invalid("malformed markup"))
}

/// Resolves a reference body (`lt`, `#x4e2d`): the five predefined entities and character
/// references; anything else is an error (there is no DTD to declare one).
fn resolve(name: &str) -> Result<char, Error> {
    if let Some(num) = name.strip_prefix('#') {
        let (digits, radix) = match num.strip_prefix('x') {
            Some(hex) => (hex, 16),
            None => (num, 10),
        };
        // `from_str_radix` would accept a sign; XML does not.
        let code = match digits.as_bytes().first() {
            Some(b'+' | b'-') | None => None,
            Some(_) => u32::from_str_radix(digits, radix).ok(),
        };
        return code
            .filter(|&c| c != 0)
            .and_then(char::from_u32)
            .ok_or_else(|| invalid(alloc::format!("invalid character reference &{name};")));
    }
    quick_xml::escape::resolve_predefined_entity(name)
        .and_then(|s| s.chars().next())
        .ok_or_else(|| invalid(alloc::format!("unknown entity &{name};")))
}

/// Where the reference starting at `text[0]` (a `&`) ends: `Some(end)` with `text[1..end]` the
/// reference body, or `None` when this `&` starts no reference (another `&` or the end of the
/// text comes first) and is plain text.
fn reference_end(text: &[u8]) -> Option<usize> {
    let i = memchr2(b';', b'&', text.get(1..)?)?;
    (text[1 + i] == b';').then_some(1 + i)
}

/// The attributes in the text after an element name: `(name, value)` with the value's
/// whitespace characters turned into spaces and its references resolved (XML 1.0's attribute
/// value normalization).
pub(super) fn attributes(attrs: &str) -> impl Iterator<Item = Result<(&str, Cow<'_, str>), Error>> {
    let mut iter = XmlAttributes::new(attrs, 0);
    iter.with_checks(true);
    iter.map(move |attr| {
        let attr = attr.map_err(|e| invalid(alloc::format!("{e}")))?;
        let key = within(attrs, attr.key.as_ref())?;
        let raw = within(attrs, &attr.value)?;
        let spaced: String = raw.replace("\r\n", " ").replace(['\t', '\r', '\n'], " ");
        let mut value = String::with_capacity(spaced.len());
        let mut rest = spaced.as_str();
        while let Some(amp) = memchr(b'&', rest.as_bytes()) {
            value.push_str(&rest[..amp]);
            match reference_end(&rest.as_bytes()[amp..]) {
                Some(end) => {
                    value.push(resolve(&rest[amp + 1..amp + end])?);
                    rest = &rest[amp + end + 1..];
                }
                None => return Err(invalid(alloc::format!("attribute {key:?} has an unescaped `&`"))),
            }
        }
        value.push_str(rest);
        Ok((key, Cow::Owned(value)))
    })
}

/// The reader: quick-xml plus the reference, depth, count and root rules.
pub(super) struct Reader<'a> {
    src: &'a str,
    inner: quick_xml::Reader<&'a [u8]>,
    limits: Limits,
    depth: usize,
    elements: usize,
    seen_root: bool,
    /// `<a/>` was reported as `Start`; its `End` comes next.
    pending_end: bool,
    /// The rest of a text run still to report (split at references).
    pending_text: &'a str,
}

impl<'a> Reader<'a> {
    /// A reader over `src` (without a BOM).
    pub(super) fn new(src: &'a str, limits: Limits) -> Self {
        let mut inner = quick_xml::Reader::from_str(src);
        let config = inner.config_mut();
        config.trim_text(false);
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.check_comments = false;
        Self {
            src,
            inner,
            limits,
            depth: 0,
            elements: 0,
            seen_root: false,
            pending_end: false,
            pending_text: "",
        }
    }

    /// How many elements are open (the root is depth 1).
    pub(super) fn depth(&self) -> usize {
        self.depth
    }

    /// The next piece of the pending text run: text up to a `&`, or a reference.
    fn text_piece(&mut self) -> Result<Event<'a>, Error> {
        let rest = self.pending_text;
        if rest.as_bytes()[0] == b'&' {
            return Ok(match reference_end(rest.as_bytes()) {
                Some(end) => {
                    let ch = resolve(&rest[1..end])?;
                    self.pending_text = &rest[end + 1..];
                    Event::Char(ch)
                }
                None => {
                    self.pending_text = &rest[1..];
                    Event::Text("&")
                }
            });
        }
        let stop = memchr(b'&', rest.as_bytes()).unwrap_or(rest.len());
        self.pending_text = &rest[stop..];
        Ok(Event::Text(&rest[..stop]))
    }

    /// The next event, `None` at the end of a complete document.
    pub(super) fn next_event(&mut self) -> Result<Option<Event<'a>>, Error> {
        if !self.pending_text.is_empty() {
            return self.text_piece().map(Some);
        }
        if self.pending_end {
            self.pending_end = false;
            self.depth -= 1;
            return Ok(Some(Event::End));
        }
        loop {
            let event = self.inner.read_event().map_err(|e| invalid(alloc::format!("{e}")))?;
            match event {
                XmlEvent::Start(start) => return self.start(&start, false).map(Some),
                XmlEvent::Empty(start) => return self.start(&start, true).map(Some),
                XmlEvent::End(_) => {
                    // quick-xml checked that it closes the innermost element.
                    self.depth = self.depth.checked_sub(1).ok_or_else(|| invalid("unbalanced end tag"))?;
                    return Ok(Some(Event::End));
                }
                XmlEvent::Text(text) => {
                    let text = within(self.src, &text)?;
                    if self.depth == 0 {
                        if text.trim().is_empty() {
                            continue;
                        }
                        return Err(invalid("text outside the root element"));
                    }
                    if text.is_empty() {
                        continue;
                    }
                    self.pending_text = text;
                    return self.text_piece().map(Some);
                }
                XmlEvent::CData(cdata) => {
                    if self.depth == 0 {
                        return Err(invalid("CDATA outside the root element"));
                    }
                    return within(self.src, &cdata).map(|t| Some(Event::Text(t)));
                }
                XmlEvent::DocType(_) => return Err(invalid("DOCTYPE is not allowed")),
                XmlEvent::Decl(_) | XmlEvent::PI(_) | XmlEvent::Comment(_) => {}
                XmlEvent::Eof => {
                    if self.depth > 0 {
                        return Err(invalid("unexpected end of input"));
                    }
                    if !self.seen_root {
                        return Err(invalid("no root element"));
                    }
                    return Ok(None);
                }
            }
        }
    }

    fn start(&mut self, start: &quick_xml::events::BytesStart<'_>, empty: bool) -> Result<Event<'a>, Error> {
        if self.seen_root && self.depth == 0 {
            return Err(invalid("content after the root element"));
        }
        self.elements += 1;
        if self.elements > self.limits.max_elements {
            return Err(invalid("too many elements"));
        }
        if self.depth >= self.limits.max_depth {
            return Err(invalid("elements nested too deeply"));
        }
        let name = within(self.src, start.name().into_inner())?;
        if name.is_empty() {
            return Err(invalid("element without a name"));
        }
        let attrs = within(self.src, start.attributes_raw())?;
        if attrs.bytes().any(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n')) {
            // Checked up to the cap only: the duplicate check compares each attribute with
            // every earlier one, so an uncapped count would cost quadratic time.
            for (i, attr) in attributes(attrs).enumerate() {
                if i >= self.limits.max_attributes {
                    return Err(invalid(alloc::format!(
                        "more than {} attributes on one element",
                        self.limits.max_attributes
                    )));
                }
                attr?;
            }
        }
        self.seen_root = true;
        self.depth += 1;
        self.pending_end = empty;
        Ok(Event::Start { name, attrs })
    }
}

/// A stack whose first `N` entries live inline: WeChat documents are two or three levels
/// deep, so parsing one allocates nothing for its stacks.
pub(super) struct SmallStack<T, const N: usize> {
    inline: [Option<T>; N],
    len: usize,
    spill: alloc::vec::Vec<T>,
}

impl<T, const N: usize> SmallStack<T, N> {
    pub(super) fn new() -> Self {
        Self {
            inline: core::array::from_fn(|_| None),
            len: 0,
            spill: alloc::vec::Vec::new(),
        }
    }

    pub(super) fn push(&mut self, value: T) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = Some(value),
            None => self.spill.push(value),
        }
        self.len += 1;
    }

    pub(super) fn pop(&mut self) -> Option<T> {
        self.len = self.len.checked_sub(1)?;
        match self.inline.get_mut(self.len) {
            Some(slot) => slot.take(),
            None => self.spill.pop(),
        }
    }

    pub(super) fn last_mut(&mut self) -> Option<&mut T> {
        let top = self.len.checked_sub(1)?;
        match self.inline.get_mut(top) {
            Some(slot) => slot.as_mut(),
            None => self.spill.last_mut(),
        }
    }
}

/// Collects an element's text: borrowed while it is a single piece (the usual `CDATA` or
/// plain text), copied once it has several (text around references, split CDATA).
#[derive(Debug, Default)]
pub(super) enum TextBuf<'a> {
    /// No text yet.
    #[default]
    Empty,
    /// One piece, borrowed from the input.
    One(&'a str),
    /// Several pieces, joined.
    Many(String),
}

impl<'a> TextBuf<'a> {
    /// Appends a piece.
    #[inline]
    pub(super) fn push_str(&mut self, text: &'a str) {
        match self {
            TextBuf::Empty => *self = TextBuf::One(text),
            TextBuf::One(first) => {
                // The newlines between an element's children (WeChat puts one after each)
                // join without allocating: the result is a slice of a static run of them.
                const NEWLINES: &str = "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n";
                let newlines = |s: &str| s.bytes().all(|b| b == b'\n');
                let len = first.len() + text.len();
                if len <= NEWLINES.len() && newlines(first) && newlines(text) {
                    *self = TextBuf::One(&NEWLINES[..len]);
                    return;
                }
                let mut joined = String::with_capacity(len.max(32));
                joined.push_str(first);
                joined.push_str(text);
                *self = TextBuf::Many(joined);
            }
            TextBuf::Many(joined) => joined.push_str(text),
        }
    }

    /// Appends a resolved reference.
    pub(super) fn push_char(&mut self, ch: char) {
        let mut joined = match core::mem::take(self) {
            TextBuf::Empty => String::new(),
            TextBuf::One(first) => String::from(first),
            TextBuf::Many(joined) => joined,
        };
        joined.push(ch);
        *self = TextBuf::Many(joined);
    }

    /// The text so far.
    pub(super) fn as_str(&self) -> &str {
        match self {
            TextBuf::Empty => "",
            TextBuf::One(text) => text,
            TextBuf::Many(joined) => joined,
        }
    }

    /// The text, borrowed when possible.
    pub(super) fn into_cow(self) -> Cow<'a, str> {
        match self {
            TextBuf::Empty => Cow::Borrowed(""),
            TextBuf::One(text) => Cow::Borrowed(text),
            TextBuf::Many(joined) => Cow::Owned(joined),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn events(xml: &str) -> Result<Vec<Event<'_>>, Error> {
        let mut reader = Reader::new(xml, Limits::default());
        let mut out = Vec::new();
        while let Some(event) = reader.next_event()? {
            out.push(event);
        }
        Ok(out)
    }

    #[test]
    fn events_borrow_the_input() {
        use Event::*;
        let xml = "<?xml version='1.0'?><!-- c --><xml><a x=\"1>2\">t&amp;u<![CDATA[<c>]]></a><b/></xml>\n";
        let got = events(xml).unwrap();
        assert_eq!(got[0], Start { name: "xml", attrs: "" });
        assert!(matches!(got[1], Start { name: "a", attrs } if attrs.contains("x=\"1>2\"")));
        assert_eq!(
            &got[2..],
            [
                Text("t"),
                Char('&'),
                Text("u"),
                Text("<c>"),
                End,
                Start { name: "b", attrs: "" },
                End,
                End
            ]
        );
        // Borrowed: the text slices point into the input.
        let Text(t) = got[2] else { unreachable!() };
        assert!(within(xml, t.as_bytes()).is_ok());
    }

    #[test]
    fn references() {
        for (xml, ch) in [
            ("<x>&#x4e2d;</x>", '中'),
            ("<x>&#25991;</x>", '文'),
            ("<x>&lt;</x>", '<'),
        ] {
            assert_eq!(events(xml).unwrap()[1], Event::Char(ch), "{xml}");
        }
        for bad in [
            "<x>&#0;</x>",
            "<x>&#x;</x>",
            "<x>&#xD800;</x>",
            "<x>&#x110000;</x>",
            "<x>&nbsp;</x>",
            "<x>&#+1;</x>",
        ] {
            assert!(events(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn attribute_values_are_normalized() {
        let attrs: Vec<_> = attributes(" a='1' b = \"x\ty\r\nz &lt;&#10;\"")
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(attrs[0].0, "a");
        assert_eq!(attrs[0].1, "1");
        assert_eq!(attrs[1].0, "b");
        assert_eq!(attrs[1].1, "x y z <\n");
        for bad in ["a", "a=", "a=1", "a='1", "a='&bad;'"] {
            assert!(attributes(bad).any(|a| a.is_err()), "{bad}");
        }
    }

    #[test]
    fn unclosed_markup_is_an_error() {
        for bad in [
            "<xml><?pi </xml>",
            "<xml><!-- </xml>",
            "<xml><![CDATA[ </xml>",
            "<xml></xml",
            "<xml a='1></xml>",
            "<xml",
            "<xml><!ELEMENT a></xml>",
            "<xml></yml>",
        ] {
            assert!(events(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_dangling_ampersand_is_text() {
        use Event::*;
        assert_eq!(
            events("<x>AT&T &&amp;</x>").unwrap()[1..],
            [Text("AT"), Text("&"), Text("T "), Text("&"), Char('&'), End]
        );
    }

    #[test]
    fn reference_heavy_text_is_linear() {
        // 200 000 references in one text run: quadratic rescanning would take minutes.
        let xml = alloc::format!("<xml>{}</xml>", "&amp;".repeat(200_000));
        let start = std::time::Instant::now();
        assert_eq!(events(&xml).unwrap().len(), 200_002);
        assert!(start.elapsed() < core::time::Duration::from_secs(5));
    }

    #[test]
    fn small_stack_spills_past_its_inline_part() {
        let mut stack: SmallStack<usize, 2> = SmallStack::new();
        assert_eq!(stack.pop(), None);
        assert!(stack.last_mut().is_none());
        for i in 0..5 {
            stack.push(i);
            assert_eq!(stack.last_mut(), Some(&mut i.clone()));
        }
        *stack.last_mut().unwrap() = 40;
        assert_eq!(stack.pop(), Some(40));
        for i in (0..4).rev() {
            assert_eq!(stack.pop(), Some(i));
        }
        assert_eq!(stack.pop(), None);
        stack.push(7);
        assert_eq!(stack.pop(), Some(7));
    }

    #[test]
    fn text_buf_borrows_one_piece() {
        let mut t = TextBuf::default();
        for piece in ["\n", "\n\n", "", "\n"] {
            t.push_str(piece);
        }
        assert!(matches!(t, TextBuf::One("\n\n\n\n")));
        t.push_str(" ");
        assert_eq!(t.as_str(), "\n\n\n\n ");
        let mut t = TextBuf::default();
        t.push_str("a");
        assert!(matches!(t, TextBuf::One("a")));
        t.push_str("b");
        assert_eq!(t.into_cow(), "ab");
    }
}
