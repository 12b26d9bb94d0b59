//! The few primitives replies and envelopes are written with.

use alloc::string::String;

/// Appends `<![CDATA[text]]>`, splitting any `]]>` inside `text` across two CDATA sections
/// (`]]]]><![CDATA[>`) so the document stays well-formed and the text round-trips exactly.
pub fn push_cdata(out: &mut String, text: &str) {
    out.push_str("<![CDATA[");
    // Each piece ends after a `]]` and the next starts with its `>`.
    let mut start = 0;
    while let Some(i) = super::flat::cdata_end(&text.as_bytes()[start..]) {
        let gt = start + i + 2;
        out.push_str(&text[start..gt]);
        out.push_str("]]><![CDATA[");
        start = gt;
    }
    out.push_str(&text[start..]);
    out.push_str("]]>");
}

/// Appends `text` with `&`, `<` and `>` escaped, for element content outside CDATA.
pub fn push_escaped(out: &mut String, text: &str) {
    let mut last = 0;
    for (i, b) in text.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            _ => continue,
        };
        out.push_str(&text[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&text[last..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdata_split_round_trips() {
        for text in [
            "",
            "plain",
            "a]]>b",
            "]]>",
            "]]]]>>",
            "x]]>y]]>z",
            "]",
            "]]",
            ">]]>>]]]>",
            "中]]>文",
        ] {
            let mut out = String::from("<xml><C>");
            push_cdata(&mut out, text);
            out.push_str("</C></xml>");
            let doc = crate::xml::parse(&out).unwrap();
            assert_eq!(doc.children.text("C"), Some(text), "{out}");
        }
    }

    #[test]
    fn escaped_round_trips() {
        let mut out = String::from("<xml><C>");
        push_escaped(&mut out, "a<b>&c");
        out.push_str("</C></xml>");
        assert_eq!(out, "<xml><C>a&lt;b&gt;&amp;c</C></xml>");
        assert_eq!(crate::xml::parse(&out).unwrap().children.text("C"), Some("a<b>&c"));
    }
}
