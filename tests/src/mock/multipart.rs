//! A strict `multipart/form-data` reader for the media endpoints.
//!
//! The mock is an oracle for the SDK's multipart writer, so it checks what WeChat's front end
//! checks and a little more: the `boundary` parameter (RFC 2046: 1 to 70 characters), the
//! `--boundary` delimiter lines with CRLF, the closing `--boundary--`, and for every part a
//! `Content-Disposition: form-data; name="…"` header. Anything else is an error that names what
//! was wrong, never a panic.

/// One part of a `multipart/form-data` body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Part {
    /// The `name` parameter of `Content-Disposition`.
    pub(crate) name: String,
    /// The `filename` parameter of `Content-Disposition`, if any.
    pub(crate) filename: Option<String>,
    /// The part's `Content-Type` header, if any.
    pub(crate) content_type: Option<String>,
    /// The part's bytes.
    pub(crate) data: Vec<u8>,
}

/// Returns the boundary of a `multipart/form-data` content type.
pub(crate) fn boundary(content_type: &str) -> Result<String, String> {
    let mut params = content_type.split(';');
    let mime = params.next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("multipart/form-data") {
        return Err(format!("content type is `{mime}`, not multipart/form-data"));
    }
    for param in params {
        let Some((key, value)) = param.split_once('=') else {
            continue;
        };
        if !key.trim().eq_ignore_ascii_case("boundary") {
            continue;
        }
        let value = value.trim();
        let value = match value.strip_prefix('"') {
            Some(rest) => rest.strip_suffix('"').ok_or("the boundary has an unterminated quote")?,
            None => value,
        };
        if value.is_empty() || value.len() > 70 {
            return Err(format!(
                "the boundary must have 1 to 70 characters, it has {}",
                value.len()
            ));
        }
        if value.ends_with(' ') || !value.bytes().all(is_boundary_char) {
            return Err("the boundary has a character RFC 2046 does not allow".into());
        }
        return Ok(value.to_owned());
    }
    Err("the content type has no boundary parameter".into())
}

/// RFC 2046 `bchars`.
fn is_boundary_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&b)
}

/// Splits a `multipart/form-data` body into its parts.
pub(crate) fn parse(content_type: &str, body: &[u8]) -> Result<Vec<Part>, String> {
    let boundary = boundary(content_type)?;
    let delimiter = format!("--{boundary}").into_bytes();
    // The first delimiter opens the body or follows a (discarded) preamble line.
    let mut pos = if body.starts_with(&delimiter) {
        delimiter.len()
    } else {
        let mut crlf_delim = b"\r\n".to_vec();
        crlf_delim.extend_from_slice(&delimiter);
        find(body, &crlf_delim, 0).ok_or("the body does not contain the boundary delimiter")? + crlf_delim.len()
    };
    let mut next_delim = b"\r\n".to_vec();
    next_delim.extend_from_slice(&delimiter);
    let mut parts = Vec::new();
    loop {
        let rest = &body[pos..];
        if rest.starts_with(b"--") {
            if parts.is_empty() {
                return Err("the body has no parts".into());
            }
            return Ok(parts);
        }
        if !rest.starts_with(b"\r\n") {
            return Err("a boundary delimiter is not followed by CRLF".into());
        }
        pos += 2;
        let head_end = if body[pos..].starts_with(b"\r\n") {
            pos + 2
        } else {
            find(body, b"\r\n\r\n", pos)
                .map(|i| i + 4)
                .ok_or("a part's headers do not end with an empty line")?
        };
        let headers = core::str::from_utf8(&body[pos..head_end]).map_err(|_| "a part's headers are not UTF-8")?;
        let data_end =
            find(body, &next_delim, head_end).ok_or("the body ends without the closing boundary delimiter")?;
        parts.push(part(headers, body[head_end..data_end].to_vec())?);
        pos = data_end + next_delim.len();
    }
}

/// Builds a part from its header block and data.
fn part(headers: &str, data: Vec<u8>) -> Result<Part, String> {
    let mut disposition = None;
    let mut content_type = None;
    for line in headers.split("\r\n").filter(|l| !l.is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("a part header line has no colon: {line:?}"))?;
        if name.trim().eq_ignore_ascii_case("content-disposition") {
            disposition = Some(value.trim().to_owned());
        } else if name.trim().eq_ignore_ascii_case("content-type") {
            content_type = Some(value.trim().to_owned());
        }
    }
    let disposition = disposition.ok_or("a part has no Content-Disposition header")?;
    let (kind, params) = split_disposition(&disposition)?;
    if !kind.eq_ignore_ascii_case("form-data") {
        return Err(format!("a part's disposition is `{kind}`, not form-data"));
    }
    let mut name = None;
    let mut filename = None;
    for (key, value) in params {
        if key.eq_ignore_ascii_case("name") {
            name = Some(value);
        } else if key.eq_ignore_ascii_case("filename") {
            filename = Some(value);
        }
    }
    Ok(Part {
        name: name.ok_or("a part's Content-Disposition has no name")?,
        filename,
        content_type,
        data,
    })
}

/// Splits `form-data; name="a"; filename="b.jpg"` into the type and its parameters,
/// honouring quoted strings (with `\"` escapes) that may contain `;`.
fn split_disposition(value: &str) -> Result<(String, Vec<(String, String)>), String> {
    let (kind, mut rest) = match value.find(';') {
        Some(i) => (value[..i].trim(), &value[i + 1..]),
        None => (value.trim(), ""),
    };
    let mut params = Vec::new();
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        if rest.is_empty() {
            return Ok((kind.to_owned(), params));
        }
        let eq = rest.find('=').ok_or("a Content-Disposition parameter has no `=`")?;
        let key = rest[..eq].trim().to_owned();
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            out.push(escaped);
                        }
                    }
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    _ => out.push(c),
                }
            }
            let end = end.ok_or("a Content-Disposition parameter has an unterminated quote")?;
            value = out;
            rest = &quoted[end + 1..];
        } else {
            let end = rest.find(';').unwrap_or(rest.len());
            value = rest[..end].trim().to_owned();
            rest = &rest[end..];
        }
        params.push((key, value));
    }
}

/// The first index at or after `from` where `needle` occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CT: &str = "multipart/form-data; boundary=XyZ";

    #[test]
    fn parses_file_and_field_parts() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a;b.jpg\"\r\n\
Content-Type: image/jpeg\r\n\r\n\xff\xd8\r\n--X\r\n--XyZ\r\nContent-Disposition: form-data; name=description\r\n\r\n{}\r\n--XyZ--\r\n";
        let parts = parse(CT, body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "media");
        assert_eq!(parts[0].filename.as_deref(), Some("a;b.jpg"));
        assert_eq!(parts[0].content_type.as_deref(), Some("image/jpeg"));
        assert_eq!(parts[0].data, b"\xff\xd8\r\n--X");
        assert_eq!(parts[1].name, "description");
        assert_eq!(parts[1].filename, None);
        assert_eq!(parts[1].data, b"{}");
    }

    #[test]
    fn quoted_boundary_and_preamble() {
        let ct = "Multipart/Form-Data; charset=utf-8; boundary=\"a b\"";
        let body = b"preamble\r\n--a b\r\ncontent-disposition: form-data; name=\"m\"\r\n\r\nx\r\n--a b--";
        let parts = parse(ct, body).unwrap();
        assert_eq!(parts[0].data, b"x");
    }

    #[test]
    fn cut_or_corrupted_bodies_never_panic() {
        let body = b"pre\r\n--XyZ\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a\\\"b.jpg\"\r\n\
Content-Type: image/jpeg\r\n\r\n\xff\xd8\r\n--XyZ\r\nContent-Disposition: form-data; name=d\r\n\r\n{}\r\n--XyZ--\r\n";
        assert_eq!(parse(CT, body).unwrap()[0].filename.as_deref(), Some("a\"b.jpg"));
        for cut in 0..body.len() {
            let _ = parse(CT, &body[..cut]);
            let mut flipped = body.to_vec();
            for b in [0u8, b'"', b';', b'\r', b'-', 0xff] {
                flipped[cut] = b;
                let _ = parse(CT, &flipped);
            }
        }
    }

    #[test]
    fn rejects_malformed_bodies() {
        let cases: &[(&str, &[u8], &str)] = &[
            ("application/json", b"", "not multipart"),
            ("multipart/form-data", b"", "no boundary"),
            ("multipart/form-data; boundary=", b"", "1 to 70"),
            ("multipart/form-data; boundary=\"abc", b"", "unterminated quote"),
            ("multipart/form-data; boundary=a<b", b"", "does not allow"),
            (CT, b"--other\r\n", "does not contain"),
            (CT, b"--XyZ--", "no parts"),
            (
                CT,
                b"--XyZ\r\nContent-Disposition: form-data; name=\"m\"\r\n\r\nx",
                "closing",
            ),
            (CT, b"--XyZ\r\nContent-Disposition: form-data; name=\"m\"", "empty line"),
            (
                CT,
                b"--XyZ\r\nContent-Type: a/b\r\n\r\nx\r\n--XyZ--",
                "no Content-Disposition",
            ),
            (
                CT,
                b"--XyZ\r\nContent-Disposition: attachment; name=m\r\n\r\nx\r\n--XyZ--",
                "not form-data",
            ),
            (
                CT,
                b"--XyZ\r\nContent-Disposition: form-data; filename=m\r\n\r\nx\r\n--XyZ--",
                "no name",
            ),
            (CT, b"--XyZ\r\nbogus\r\n\r\nx\r\n--XyZ--", "no colon"),
            (CT, b"--XyZx\r\n", "not followed by CRLF"),
        ];
        for (ct, body, want) in cases {
            let err = parse(ct, body).unwrap_err();
            assert!(err.contains(want), "{ct:?} {body:?}: {err}");
        }
    }
}
