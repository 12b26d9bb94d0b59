//! The fast path for the documents WeChat actually sends: a root whose children are all
//! leaves, each holding one run of plain text or one CDATA section.
//!
//! ```text
//! document := ws* <root> (ws* child)* ws* </root> ws*
//! child    := <name> (plain | <![CDATA[ … ]]>) </name>
//! plain    := any text without `<` or `&`
//! name     := [A-Za-z_][A-Za-z0-9_.-]*
//! ws       := space | tab | CR | LF
//! ```
//!
//! Every callback, envelope and reply body WeChat sends has this shape, and for it the full
//! reader's event loop costs more than the rest of the callback's parsing put together. The
//! scan here recognises exactly that shape with a few `memchr` searches and answers "not
//! mine" for anything else — a declaration, a comment, an attribute, a reference, a nested
//! element, an empty-element tag, malformed markup — so that the full reader handles it and
//! produces the same tree or the same error as always. For any document it accepts, the
//! children are exactly what the full reader builds (`flat_and_full_agree` in the tests, and
//! the `parse_xml` fuzz target, check this on every input).

use memchr::{memchr, memchr2};

use super::Limits;

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|&c| is_ws(c)) {
        i += 1;
    }
    i
}

/// Where the first `]]>` in `b` starts. Found through its `>` with a SIMD scan: text rarely
/// has one, so the first `>` after a CDATA start is usually its end (and a `memmem` searcher
/// costs more to set up than this whole search).
pub(super) fn cdata_end(b: &[u8]) -> Option<usize> {
    let mut from = 0;
    loop {
        let gt = from + memchr(b'>', b.get(from..)?)?;
        if gt >= 2 && b[gt - 2..gt] == *b"]]" {
            return Some(gt - 2);
        }
        from = gt + 1;
    }
}

/// The name of the start tag at `b[i]` (`<name>`) and where its content starts.
fn start_tag(b: &[u8], i: usize) -> Option<(core::ops::Range<usize>, usize)> {
    let start = i + 1;
    let (&first, rest) = b.get(start..)?.split_first()?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let len = 1 + rest
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-')))?;
    let end = start + len;
    (b.get(end) == Some(&b'>')).then_some((start..end, end + 1))
}

/// Where the end tag `</name>` that must start at `b[i]` ends.
fn end_tag(b: &[u8], i: usize, name: &[u8]) -> Option<usize> {
    let tag = b.get(i..)?;
    let after = 2 + name.len();
    (tag.starts_with(b"</") && tag.get(2..after) == Some(name) && tag.get(after) == Some(&b'>'))
        .then_some(i + after + 1)
}

/// Calls `leaf(name, text)` for each child of the root in document order and returns the
/// root's name when `src` (BOM already removed, size already checked) has the flat shape and
/// fits `limits`; `None` when the full reader must take it. `leaf` may have been called
/// before a `None`, so callers discard what it collected then.
pub(super) fn scan<'a>(src: &'a str, limits: Limits, mut leaf: impl FnMut(&'a str, &'a str)) -> Option<&'a str> {
    if limits.max_depth < 2 {
        return None;
    }
    let b = src.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'<') {
        return None;
    }
    let (root, mut i_next) = start_tag(b, i)?;
    let mut elements = 1;
    loop {
        i = skip_ws(b, i_next);
        if b.get(i) != Some(&b'<') {
            return None;
        }
        if b.get(i + 1) == Some(&b'/') {
            i = end_tag(b, i, &b[root.clone()])?;
            break;
        }
        let (name, content) = start_tag(b, i)?;
        elements += 1;
        if elements > limits.max_elements {
            return None;
        }
        let rest = &b[content..];
        let (text, close) = if rest.starts_with(b"<![CDATA[") {
            let start = content + 9;
            let end = start + cdata_end(&b[start..])?;
            (start..end, end + 3)
        } else {
            let end = content + memchr2(b'<', b'&', rest)?;
            if b[end] == b'&' {
                return None;
            }
            (content..end, end)
        };
        i_next = end_tag(b, close, &b[name.clone()])?;
        // Every boundary is at an ASCII delimiter, so these are char boundaries.
        leaf(src.get(name)?, src.get(text)?);
    }
    // Only whitespace may follow the root.
    (skip_ws(b, i) == b.len()).then(|| src.get(root)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec::Vec;

    fn flat(src: &str) -> Option<(&str, Vec<(&str, &str)>)> {
        let mut children = Vec::new();
        let root = scan(src, Limits::default(), |n, t| children.push((n, t)))?;
        Some((root, children))
    }

    #[test]
    fn takes_what_wechat_sends() {
        let body = "<xml><ToUserName><![CDATA[gh_1]]></ToUserName>\n<CreateTime>1700000000</CreateTime>\n\
                    <Content><![CDATA[a <b> & ]] > \u{1} 中文]]></Content>\n<Empty></Empty><MsgId>1</MsgId>\n</xml>\n";
        let (root, children) = flat(body).unwrap();
        assert_eq!(root, "xml");
        assert_eq!(
            children,
            [
                ("ToUserName", "gh_1"),
                ("CreateTime", "1700000000"),
                ("Content", "a <b> & ]] > \u{1} 中文"),
                ("Empty", ""),
                ("MsgId", "1"),
            ]
        );
        assert_eq!(flat("  <xml>\r\n</xml>"), Some(("xml", Vec::new())));
        assert_eq!(flat("<x><a>1 > 0</a></x>"), Some(("x", alloc::vec![("a", "1 > 0")])));
    }

    #[test]
    fn leaves_everything_else_to_the_full_reader() {
        for other in [
            "",
            "<?xml version=\"1.0\"?><xml></xml>",
            "<!-- c --><xml></xml>",
            "<xml><a>&lt;</a></xml>",
            "<xml><a>AT&T</a></xml>",
            "<xml><a x=\"1\">1</a></xml>",
            "<xml a=\"1\"></xml>",
            "<xml><a/></xml>",
            "<xml/>",
            "<xml><a><b>1</b></a></xml>",
            "<xml><a>1<![CDATA[2]]></a></xml>",
            "<xml><a><![CDATA[1]]>2</a></xml>",
            "<xml><a><![CDATA[1]]> </a></xml>",
            "<xml><a><![CDATA[1</a></xml>",
            "<xml><a>1</b></xml>",
            "<xml><a>1</a ></xml>",
            "<xml><a>1</a></xml >",
            "<xml><a>1</a></xml><b/>",
            "<xml><a>1</a></xml>x",
            "<xml>text<a>1</a></xml>",
            "<xml><a>1</a>",
            "<xml><a>1",
            "<xml><1a>1</1a></xml>",
            "<xml><a:b>1</a:b></xml>",
            "<xml><中>1</中></xml>",
            "<xml><a><!-- c -->1</a></xml>",
            "<xml><a>1</a><?pi?></xml>",
            "<xml>\u{a0}<a>1</a></xml>",
            "x<xml></xml>",
        ] {
            assert_eq!(flat(other), None, "{other:?}");
        }
    }

    #[test]
    fn finds_the_first_cdata_end() {
        for (text, end) in [
            ("]]>", Some(0)),
            ("a]]>b]]>", Some(1)),
            ("]>]]]>", Some(3)),
            ("> ]> ]]", None),
            ("", None),
        ] {
            assert_eq!(cdata_end(text.as_bytes()), end, "{text}");
        }
    }

    #[test]
    fn respects_the_limits() {
        let doc = "<xml><a>1</a><b>2</b></xml>";
        let limits = |max_elements, max_depth| Limits {
            max_elements,
            max_depth,
            ..Limits::default()
        };
        assert!(scan(doc, limits(2, 2), |_, _| {}).is_none());
        assert!(scan(doc, limits(3, 2), |_, _| {}).is_some());
        assert!(scan("<xml></xml>", limits(3, 1), |_, _| {}).is_none());
    }

    /// The fast path's tree equals the full reader's for everything it accepts.
    #[test]
    fn flat_and_full_agree() {
        let mut inputs: Vec<String> = Vec::new();
        let pieces = [
            "<xml>",
            "</xml>",
            "<a>",
            "</a>",
            "<B_1.x-y>",
            "</B_1.x-y>",
            "<![CDATA[",
            "]]>",
            "]]",
            "\n",
            " ",
            "\r\n",
            "t",
            "中",
            "&amp;",
            "&",
            "<",
            ">",
            "\u{1}",
            "<c/>",
            "<!--c-->",
        ];
        // Every short sequence of pieces (a few hundred thousand documents), plus the corpus.
        let mut seqs: Vec<Vec<usize>> = alloc::vec![Vec::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for s in &seqs {
                for p in 0..pieces.len() {
                    let mut s = s.clone();
                    s.push(p);
                    next.push(s);
                }
            }
            for s in &next {
                let inner: String = s.iter().map(|&p| pieces[p]).collect();
                inputs.push(alloc::format!("<xml>{inner}</xml>"));
                inputs.push(alloc::format!("<xml><a>{inner}</a></xml>"));
            }
            seqs = next;
        }
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
        for target in ["parse_xml", "callback_handler"] {
            for entry in std::fs::read_dir(corpus.join(target)).unwrap() {
                let bytes = std::fs::read(entry.unwrap().path()).unwrap();
                inputs.push(String::from_utf8_lossy(&bytes).into_owned());
            }
        }
        let mut accepted = 0;
        for input in &inputs {
            let mut fast = super::super::Raw::new();
            let Some(root) = scan(input, Limits::default(), |n, t| {
                fast.push_text(n, t);
            }) else {
                continue;
            };
            accepted += 1;
            let full = super::super::parse_full(input, Limits::default()).expect("the full reader accepts it");
            assert_eq!((root, &fast), (full.root.as_str(), &full.children), "{input:?}");
            // `leaf_text` (the envelope's `Encrypt`) takes the same path.
            for name in ["a", "B_1.x-y", "Encrypt"] {
                let got = super::super::leaf_text(input, Limits::default(), name);
                match got {
                    Ok(text) => {
                        assert_eq!(full.root, "xml", "{input:?}");
                        assert!(full.children.all(name).count() <= 1, "{input:?}");
                        assert_eq!(text.as_deref(), full.children.text(name).map(str::trim), "{input:?}");
                    }
                    Err(e) if e.kind() == "unexpected-root" => assert_ne!(full.root, "xml", "{input:?}"),
                    Err(e) => {
                        assert_eq!(e.kind(), "duplicate-element", "{input:?}");
                        assert!(full.children.all(name).count() > 1, "{input:?}");
                    }
                }
            }
        }
        assert!(accepted > 1000, "only {accepted} inputs took the fast path");
    }
}
