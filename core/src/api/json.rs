//! Response classification and WeChat's JSON quirks.
//!
//! * An object with a non-zero `errcode` (an integer, or sometimes a string) is an error,
//!   whatever the HTTP status; `errcode: 0` next to a payload is a success. Device APIs nest it
//!   in `base_resp`.
//! * Strings may contain raw control characters (user nicknames) and invalid UTF-8; both are
//!   repaired before decoding instead of failing the call.
//! * 64-bit ids decode as integers, never through a float.

use alloc::borrow::Cow;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::error::{ApiError, Error, ResponseError};
use crate::http::ApiResponse;

mod status_keys;

/// `errcode` as WeChat sends it: an integer, or an integer in a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Code(i64);

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw<'a> {
            Int(i64),
            Float(f64),
            #[serde(borrow)]
            Str(Cow<'a, str>),
        }
        Ok(match Raw::deserialize(d)? {
            Raw::Int(i) => Code(i),
            Raw::Float(f) => Code(f as i64),
            Raw::Str(s) => Code(s.trim().parse().unwrap_or(-2)),
        })
    }
}

#[derive(Deserialize)]
struct Status {
    #[serde(default)]
    errcode: Option<Code>,
    #[serde(default)]
    errmsg: Option<String>,
}

#[derive(Deserialize)]
struct Head {
    #[serde(default)]
    errcode: Option<Code>,
    #[serde(default)]
    errmsg: Option<String>,
    #[serde(default)]
    base_resp: Option<Status>,
}

/// Decodes JSON leniently: if strict decoding fails and the body contains invalid UTF-8 or raw
/// control characters inside strings, those are repaired (U+FFFD, `\u00XX`) and decoding is
/// retried.
///
/// # Errors
/// serde_json's error from the strict attempt when the body cannot be repaired.
pub fn from_slice_lenient<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    leniently(bytes, |bytes| serde_json::from_slice(bytes))
}

/// Runs `decode` on `bytes`, and once more on the repaired bytes if that fails and
/// [`sanitize`] changes anything; the error is always the strict attempt's.
fn leniently<T>(
    bytes: &[u8],
    mut decode: impl FnMut(&[u8]) -> Result<T, serde_json::Error>,
) -> Result<T, serde_json::Error> {
    match decode(bytes) {
        Ok(v) => Ok(v),
        Err(strict) => match sanitize(bytes) {
            Cow::Owned(fixed) => decode(&fixed).map_err(|_| strict),
            Cow::Borrowed(_) => Err(strict),
        },
    }
}

/// Replaces invalid UTF-8 with U+FFFD and escapes raw control characters inside strings.
/// Returns the input unchanged (borrowed) when there is nothing to repair.
pub fn sanitize(bytes: &[u8]) -> Cow<'_, [u8]> {
    let text = String::from_utf8_lossy(bytes);
    // One pass over the JSON string state; the output is only built from the first raw
    // control character inside a string on.
    let mut out: Option<Vec<u8>> = None;
    let (mut in_string, mut escaped) = (false, false);
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            } else if b < 0x20 {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let out = out.get_or_insert_with(|| {
                    let mut v = Vec::with_capacity(text.len() + 16);
                    v.extend_from_slice(&text.as_bytes()[..i]);
                    v
                });
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 0xf) as usize]);
                continue;
            }
        } else if b == b'"' {
            in_string = true;
        }
        if let Some(out) = &mut out {
            out.push(b);
        }
    }
    match (out, text) {
        (Some(out), _) => Cow::Owned(out),
        (None, Cow::Borrowed(_)) => Cow::Borrowed(bytes),
        (None, Cow::Owned(s)) => Cow::Owned(s.into_bytes()),
    }
}

/// Whether `body` may have an `errcode` or `base_resp` key: it mentions either, or has a
/// `\u` escape (which could spell them). Most answers do neither, and these SIMD searches are
/// far cheaper than the parse they save.
fn may_name_a_status(body: &[u8]) -> bool {
    #[cfg(feature = "std")]
    let mentions = {
        use memchr::memmem::Finder;
        // Building a searcher costs as much as the search; build them once.
        static KEYS: std::sync::OnceLock<[Finder<'static>; 2]> = std::sync::OnceLock::new();
        let keys = KEYS.get_or_init(|| [Finder::new(b"errcode"), Finder::new(b"base_resp")]);
        keys.iter().any(|key| key.find(body).is_some())
    };
    #[cfg(not(feature = "std"))]
    let mentions = [&b"errcode"[..], b"base_resp"]
        .iter()
        .any(|key| memchr::memmem::find(body, key).is_some());
    mentions || memchr::memchr_iter(b'\\', body).any(|i| body.get(i + 1) == Some(&b'u'))
}

/// The WeChat error in a JSON body, if there is one: `errcode != 0` at the top level or in
/// `base_resp`. `None` when the body is not a JSON object or reports success.
pub fn api_error(body: &[u8]) -> Option<ApiError> {
    let trimmed = body.iter().position(|b| !b.is_ascii_whitespace()).map(|i| &body[i..])?;
    if trimmed.first() != Some(&b'{') {
        return None;
    }
    if !may_name_a_status(body) {
        return None;
    }
    let head: Head = from_slice_lenient(body).ok()?;
    let (code, msg) = match (head.errcode, head.base_resp) {
        (Some(Code(c)), _) if c != 0 => (c, head.errmsg),
        (
            _,
            Some(Status {
                errcode: Some(Code(c)),
                errmsg,
            }),
        ) if c != 0 => (c, errmsg),
        _ => return None,
    };
    Some(ApiError::new(code, msg.unwrap_or_else(|| code.to_string())))
}

/// Classifies a response: a WeChat error object → [`Error::Api`]; a non-2xx status →
/// [`ResponseError::Status`]; otherwise `Ok(())`.
///
/// # Errors
/// As described.
pub fn check(resp: &ApiResponse) -> Result<(), Error> {
    if let Some(e) = api_error(&resp.body) {
        return Err(e.into());
    }
    if !resp.is_success() {
        return Err(ResponseError::Status {
            status: resp.status,
            body: resp.body.to_vec(),
        }
        .into());
    }
    Ok(())
}

/// Classifies and decodes a JSON response into `T`: the same answer as [`check`] followed by
/// [`from_slice_lenient`], in one pass over a successful body.
///
/// The payload is decoded first, noting whether its top-level object has an `errcode` or
/// `base_resp` key; only then (or when decoding fails) is the body read for a WeChat error.
/// Success answers, nearly every answer, are read once.
///
/// # Errors
/// [`Error::Api`], [`ResponseError::Status`], or [`ResponseError::Decode`] with the raw body.
pub fn parse_json<T: DeserializeOwned>(resp: &ApiResponse) -> Result<T, Error> {
    if !resp.is_success() {
        // Classified as always: a WeChat error in the body, else the status.
        check(resp)?;
    }
    let mut named_status = false;
    match from_slice_watching::<T>(&resp.body, &mut named_status) {
        Ok(value) if !named_status => Ok(value),
        Ok(value) => match api_error(&resp.body) {
            Some(e) => Err(e.into()),
            None => Ok(value),
        },
        Err(e) => Err(match api_error(&resp.body) {
            Some(api) => api.into(),
            None => decode_error(e, &resp.body),
        }),
    }
}

/// [`from_slice_lenient`], also setting `*named_status` when the top-level object has an
/// `errcode` or `base_resp` key.
fn from_slice_watching<T: DeserializeOwned>(bytes: &[u8], named_status: &mut bool) -> Result<T, serde_json::Error> {
    leniently(bytes, |bytes| {
        *named_status = false;
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let value = status_keys::deserialize(&mut de, named_status)?;
        de.end()?;
        Ok(value)
    })
}

pub(crate) fn decode_error(e: impl core::fmt::Display, body: &[u8]) -> Error {
    ResponseError::Decode {
        reason: e.to_string(),
        body: body.to_vec(),
    }
    .into()
}

/// A response that is only `{"errcode": 0, "errmsg": "ok"}` (or has fields nobody needs).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[non_exhaustive]
pub struct ApiOk {
    /// `errmsg`, usually `"ok"`.
    #[serde(default)]
    pub errmsg: Option<String>,
}

/// A downloaded file (media, QR code images).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Download {
    /// The `Content-Type` WeChat sent (`image/jpeg`, `audio/amr`, ...).
    pub content_type: Option<String>,
    /// The file name from `Content-Disposition`, when present.
    pub filename: Option<String>,
    /// The bytes.
    pub bytes: crate::http::Bytes,
}

impl core::fmt::Debug for Download {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Download")
            .field("content_type", &self.content_type)
            .field("filename", &self.filename)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .finish()
    }
}

/// Whether a response is JSON, by Content-Type or, without one, by its first byte.
pub fn is_json(resp: &ApiResponse) -> bool {
    match &resp.content_type {
        Some(ct) => {
            let ct = ct.to_ascii_lowercase();
            ct.contains("json") || ct.starts_with("text/plain")
        }
        None => resp.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'),
    }
}

/// Classifies a binary download: a JSON error body → [`Error::Api`]; other JSON is not a file
/// (callers that accept JSON, like video media, check [`is_json`] first); otherwise the bytes.
///
/// # Errors
/// [`Error::Api`], [`ResponseError::Status`], or [`ResponseError::Decode`] when a JSON body
/// arrives where a file was expected.
pub fn parse_download(resp: ApiResponse) -> Result<Download, Error> {
    check(&resp)?;
    if is_json(&resp) {
        return Err(decode_error("expected a file, got a JSON body", &resp.body));
    }
    let filename = resp.content_disposition.as_deref().and_then(disposition_filename);
    Ok(Download {
        content_type: resp.content_type,
        filename,
        bytes: resp.body,
    })
}

fn disposition_filename(header: &str) -> Option<String> {
    header.split(';').map(str::trim).find_map(|part| {
        let value = part.strip_prefix("filename=")?;
        Some(String::from(value.trim_matches('"')))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug, PartialEq)]
    struct User {
        nickname: String,
        id: u64,
    }

    #[test]
    fn errcode_variants() {
        assert_eq!(
            api_error(br#"{"errcode":40001,"errmsg":"invalid credential"}"#)
                .unwrap()
                .code,
            40001
        );
        assert_eq!(
            api_error(br#"{"errcode":"42001","errmsg":"expired"}"#).unwrap().code,
            42001
        );
        assert_eq!(api_error(br#"{"errcode":0,"errmsg":"ok","x":1}"#), None);
        assert_eq!(
            api_error(br#"{"base_resp":{"errcode":-1,"errmsg":"busy"}}"#)
                .unwrap()
                .code,
            -1
        );
        assert_eq!(api_error(br#"{"errcode":45009}"#).unwrap().message, "45009");
        // A key spelled with escapes is still found.
        assert_eq!(api_error(br#"{"errc\u006fde":40001}"#).unwrap().code, 40001);
        assert_eq!(api_error(br#"{"b\u0061se_resp":{"errcode":-1}}"#).unwrap().code, -1);
        assert_eq!(api_error(br#"{"nickname":"errcode","x":1}"#), None);
        for status in [
            &br#"{"errcode":1}"#[..],
            br#"{"x":{"base_resp":{}}}"#,
            br#"{ "errcode" :1}"#,
            b"{\"errcode\"\n\t: 1}",
            br#"{"err\u0063ode":1}"#,
        ] {
            assert!(may_name_a_status(status), "{}", String::from_utf8_lossy(status));
        }
        for other in [
            &b""[..],
            br#"{"errcod":1,"base_res":2}"#,
            br#"{"a":"x\/y"}"#,
            b":",
            b"\":",
            br#"{"a\"b":1}"#,
        ] {
            assert!(!may_name_a_status(other), "{}", String::from_utf8_lossy(other));
        }
        assert_eq!(api_error(b"\xff\xd8\xff"), None);
        assert_eq!(api_error(b"[1,2]"), None);
        assert_eq!(api_error(b""), None);
    }

    #[test]
    fn payload_with_errcode_zero_and_big_ids() {
        let resp = ApiResponse::json(&br#"{"errcode":0,"errmsg":"ok","nickname":"a","id":18446744073709551615}"#[..]);
        let u: User = parse_json(&resp).unwrap();
        assert_eq!(u.id, u64::MAX);
    }

    #[test]
    fn control_characters_and_bad_utf8_are_repaired() {
        let resp = ApiResponse::json(&b"{\"nickname\":\"a\x02b\x1fc\xff\",\"id\":1}"[..]);
        let u: User = parse_json(&resp).unwrap();
        assert_eq!(u.nickname, "a\u{2}b\u{1f}c\u{fffd}");
    }

    #[test]
    fn sanitize_escapes_control_characters_only_inside_strings() {
        let clean = br#"{"a":"b"}"#;
        assert!(matches!(sanitize(clean), Cow::Borrowed(_)));
        assert_eq!(&*sanitize(b"{\"a\":\"\xff\"}"), "{\"a\":\"\u{fffd}\"}".as_bytes());
        assert_eq!(
            &*sanitize(b"{\n\"a\":\"x\ty\\\"\x01\"}"),
            &b"{\n\"a\":\"x\\u0009y\\\"\\u0001\"}"[..]
        );
    }

    #[test]
    fn status_and_decode_errors_keep_the_body() {
        let html = ApiResponse::new(500, &b"<html>oops</html>"[..]);
        match parse_json::<User>(&html).unwrap_err() {
            Error::Response(ResponseError::Status { status: 500, body }) => {
                assert_eq!(body, b"<html>oops</html>")
            }
            e => panic!("{e:?}"),
        }
        let truncated = ApiResponse::json(&br#"{"nickname":"a","id":1"#[..]);
        match parse_json::<User>(&truncated).unwrap_err() {
            Error::Response(ResponseError::Decode { body, .. }) => {
                assert_eq!(body, br#"{"nickname":"a","id":1"#)
            }
            e => panic!("{e:?}"),
        }
        // a WeChat error object wins over the HTTP status
        let err = ApiResponse::new(503, &br#"{"errcode":-1,"errmsg":"system busy"}"#[..]);
        assert!(matches!(parse_json::<User>(&err), Err(Error::Api(e)) if e.code == -1));
    }

    #[test]
    fn downloads() {
        let mut resp = ApiResponse::new(200, &b"\xff\xd8\xff\xe0"[..]);
        resp.content_type = Some("image/jpeg".into());
        resp.content_disposition = Some("attachment; filename=\"a.jpg\"".into());
        let d = parse_download(resp).unwrap();
        assert_eq!(d.filename.as_deref(), Some("a.jpg"));
        assert_eq!(&d.bytes[..], b"\xff\xd8\xff\xe0");
        let mut err = ApiResponse::new(200, &br#"{"errcode":40007,"errmsg":"invalid media_id"}"#[..]);
        err.content_type = Some("text/plain".into());
        assert!(matches!(parse_download(err), Err(Error::Api(e)) if e.code == 40007));
    }
}

/// `parse_json` reads a success body once, watching its top-level keys; the reference is
/// what it replaces (`check`, then `from_slice_lenient`). They must give the same answer —
/// value or error, byte for byte in `Debug` — for every body, status and output type.
#[cfg(test)]
mod one_pass_tests {
    use alloc::collections::BTreeMap;
    use alloc::format;
    use alloc::string::String;
    use alloc::vec::Vec;
    use core::fmt::Debug;

    use serde::Deserialize;
    use serde::de::DeserializeOwned;

    use super::{check, decode_error, from_slice_lenient, parse_json};
    use crate::api::mp::user::UserInfo;
    use crate::error::Error;
    use crate::http::ApiResponse;

    fn reference<T: DeserializeOwned>(resp: &ApiResponse) -> Result<T, Error> {
        check(resp)?;
        from_slice_lenient(&resp.body).map_err(|e| decode_error(e, &resp.body))
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Required {
        id: u64,
        name: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(transparent)]
    #[allow(dead_code)]
    struct Transparent(UserInfo);

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Newtype(BTreeMap<String, serde_json::Value>);

    #[derive(Debug, Deserialize)]
    #[serde(untagged)]
    #[allow(dead_code)]
    enum Untagged {
        Ids { ids: Vec<i64> },
        Other(serde_json::Value),
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Flattened {
        #[serde(default)]
        openid: Option<String>,
        #[serde(flatten)]
        rest: BTreeMap<String, serde_json::Value>,
    }

    #[derive(Debug, Deserialize, Default)]
    #[serde(default)]
    #[allow(dead_code)]
    struct WithErrcode {
        errcode: i64,
        errmsg: String,
        total: u64,
    }

    fn same<T: DeserializeOwned + Debug>(resp: &ApiResponse) {
        let (ours, theirs) = (parse_json::<T>(resp), reference::<T>(resp));
        assert_eq!(
            format!("{ours:?}"),
            format!("{theirs:?}"),
            "{} for status {} and body {:?}",
            core::any::type_name::<T>(),
            resp.status,
            String::from_utf8_lossy(&resp.body)
        );
    }

    fn all_types(resp: &ApiResponse) {
        same::<UserInfo>(resp);
        same::<serde_json::Value>(resp);
        same::<Required>(resp);
        same::<Transparent>(resp);
        same::<Newtype>(resp);
        same::<Untagged>(resp);
        same::<Flattened>(resp);
        same::<WithErrcode>(resp);
        same::<Option<UserInfo>>(resp);
        same::<Vec<i64>>(resp);
        same::<BTreeMap<String, i64>>(resp);
    }

    fn seeds() -> Vec<Vec<u8>> {
        let user = include_bytes!("../../benches/fixtures/user_info.json");
        let mut seeds: Vec<Vec<u8>> = [
            &br#"{"errcode":40001,"errmsg":"invalid credential"}"#[..],
            br#"{"errcode":0,"errmsg":"ok","id":7,"name":"a"}"#,
            br#"{"id":7,"name":"a","errcode":0}"#,
            br#"{"id":7,"name":"a","errcode":45009,"errmsg":"reach max api daily quota limit"}"#,
            br#"{"errcode":"42001","errmsg":"expired"}"#,
            br#"{"errcode":1.0}"#,
            br#"{"base_resp":{"errcode":-1,"errmsg":"busy"},"id":1,"name":"b"}"#,
            br#"{"base_resp":{"errcode":0},"ids":[1,2]}"#,
            br#"{"err\u0063ode":40014,"errmsg":"x"}"#,
            br#"{"b\u0061se_resp":{"errcode":-1}}"#,
            br#"{"data":{"errcode":40001},"id":1,"name":"nested status is not a status"}"#,
            br#"{"nickname":"errcode","id":1,"name":"base_resp"}"#,
            br#"{"ids":[1,2,3],"total":3}"#,
            br#"{"1":1,"2":2}"#,
            b"{\"nickname\":\"a\x02b\",\"errcode\":40001}",
            b"{\"nickname\":\"\xff\",\"id\":1,\"name\":\"\xfe\"}",
            br#"[1,2,3]"#,
            br#"null"#,
            br#"7"#,
            br#""errcode""#,
            b"",
            b"  \n",
            br#"<html>502 Bad Gateway</html>"#,
            br#"{"errcode":40001,"errmsg":"a"} trailing"#,
            br#"{"errcode":40001,"errcode":0}"#,
        ]
        .iter()
        .map(|s| s.to_vec())
        .collect();
        seeds.push(user.to_vec());
        let mut with_status = user.to_vec();
        with_status.truncate(with_status.len() - 1);
        with_status.extend_from_slice(br#","errcode":0,"errmsg":"ok"}"#);
        seeds.push(with_status);
        seeds
    }

    #[test]
    fn one_pass_parse_agrees_with_check_then_decode() {
        for body in seeds() {
            for status in [200, 204, 404, 500, 503] {
                let mut resp = ApiResponse::new(status, body.clone());
                all_types(&resp);
                resp.content_type = Some("application/json".into());
                all_types(&resp);
            }
        }
    }

    /// Every seed with many random small damages: bytes replaced, removed, duplicated,
    /// including the bytes that matter here (quotes, braces, backslashes, key letters).
    #[test]
    fn one_pass_parse_agrees_on_damaged_bodies() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        const INTERESTING: &[u8] = b"\"{}[]:,\\ue0c_sb01-x \x01\xff";
        let mut checked = 0;
        for seed in seeds() {
            for _ in 0..400 {
                let mut body = seed.clone();
                for _ in 0..1 + next(3) {
                    if body.is_empty() {
                        body.push(INTERESTING[next(INTERESTING.len())]);
                        continue;
                    }
                    let at = next(body.len());
                    match next(3) {
                        0 => body[at] = INTERESTING[next(INTERESTING.len())],
                        1 => {
                            body.remove(at);
                        }
                        _ => body.insert(at, body[at]),
                    }
                }
                all_types(&ApiResponse::new(200, body));
                checked += 1;
            }
        }
        assert!(checked > 10_000, "{checked}");
    }
}
