//! A tiny blocking HTTP/1.1 client over `std::net::TcpStream` for talking to the mock directly.
//!
//! It sends one request per connection (`Connection: close`) and reads the answer to the end,
//! so tests see exactly what went over the wire: a cut body stays cut, a dropped connection is
//! an [`std::io::ErrorKind::UnexpectedEof`] error. It is not a general client (no TLS, no
//! redirects); SDK tests use the SDK's transports instead.

use core::time::Duration;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};

use serde_json::Value;

/// An HTTP answer as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawResponse {
    /// Status code.
    pub status: u16,
    /// Header names (lower-cased) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked; exactly `Content-Length` bytes when that header is present).
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The first value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The `errcode` of a JSON body, if there is one.
    pub fn errcode(&self) -> Option<i64> {
        self.json()?.get("errcode")?.as_i64()
    }
}

/// How long a request may take before the client gives up.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Sends `method path_and_query` to `base_url` (`http://host:port`) with extra headers and a
/// body, and reads the whole answer.
///
/// # Errors
///
/// Connection failures, timeouts, a connection closed without an answer
/// (`UnexpectedEof`), and answers that are not HTTP/1.x (`InvalidData`).
pub fn request(
    base_url: &str,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<RawResponse> {
    let host = base_url
        .strip_prefix("http://")
        .ok_or_else(|| invalid("the base URL must start with http://"))?
        .trim_end_matches('/');
    let addr = host
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| invalid("the base URL has no address"))?;
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    let mut head = format!(
        "{method} {path_and_query} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw)
}

/// `GET base_url + path_and_query`.
///
/// # Errors
///
/// As [`request`].
pub fn get(base_url: &str, path_and_query: &str) -> io::Result<RawResponse> {
    request(base_url, "GET", path_and_query, &[], b"")
}

/// `POST` with a body of the given content type.
///
/// # Errors
///
/// As [`request`].
pub fn post(base_url: &str, path_and_query: &str, content_type: &str, body: &[u8]) -> io::Result<RawResponse> {
    request(
        base_url,
        "POST",
        path_and_query,
        &[("Content-Type", content_type)],
        body,
    )
}

/// `POST` a JSON value.
///
/// # Errors
///
/// As [`request`].
pub fn post_json(base_url: &str, path_and_query: &str, body: &Value) -> io::Result<RawResponse> {
    post(
        base_url,
        path_and_query,
        "application/json",
        body.to_string().as_bytes(),
    )
}

/// One part of a multipart body built by [`multipart`].
#[derive(Clone, Copy, Debug)]
pub struct FormPart<'a> {
    /// Field name.
    pub name: &'a str,
    /// `filename` parameter, if any.
    pub filename: Option<&'a str>,
    /// Part `Content-Type`, if any.
    pub content_type: Option<&'a str>,
    /// Bytes.
    pub data: &'a [u8],
}

/// A `multipart/form-data` body with this boundary; returns `(content_type, body)`.
pub fn multipart(boundary: &str, parts: &[FormPart<'_>]) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", part.name);
        if let Some(filename) = part.filename {
            disposition.push_str(&format!("; filename=\"{filename}\""));
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(ct) = part.content_type {
            body.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(part.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_owned())
}

/// Parses a complete HTTP/1.x answer.
///
/// # Errors
///
/// `UnexpectedEof` for an empty or cut answer, `InvalidData` for anything that is not HTTP/1.x.
pub fn parse_response(raw: &[u8]) -> io::Result<RawResponse> {
    if raw.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the connection was closed without an answer",
        ));
    }
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "the answer's head is cut"))?;
    let head = core::str::from_utf8(&raw[..head_end]).map_err(|_| invalid("the head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut words = status_line.split(' ');
    if !words.next().is_some_and(|v| v.starts_with("HTTP/1.")) {
        return Err(invalid("not an HTTP/1.x answer"));
    }
    let status = words
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("no status code"))?;
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| invalid("a header line has no colon"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let mut resp = RawResponse {
        status,
        headers,
        body: raw[head_end + 4..].to_vec(),
    };
    if resp
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        resp.body = dechunk(&resp.body)?;
    } else if let Some(len) = resp.header("content-length") {
        let len: usize = len.parse().map_err(|_| invalid("bad Content-Length"))?;
        if resp.body.len() < len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the body is shorter than its Content-Length",
            ));
        }
        resp.body.truncate(len);
    }
    Ok(resp)
}

fn dechunk(mut data: &[u8]) -> io::Result<Vec<u8>> {
    let cut = || io::Error::new(io::ErrorKind::UnexpectedEof, "a chunked body is cut");
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").ok_or_else(cut)?;
        let size_text = core::str::from_utf8(&data[..line_end]).map_err(|_| invalid("bad chunk size"))?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| invalid("bad chunk size"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            return Err(cut());
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_answers() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\r\n\r\n{}extra").unwrap();
        assert_eq!(
            (r.status, r.body.as_slice(), r.header("x-a")),
            (200, &b"{}"[..], Some("b"))
        );
        let r =
            parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1;x\r\nc\r\n0\r\n\r\n")
                .unwrap();
        assert_eq!(r.body, b"abc");
        assert_eq!(parse_response(b"").unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
        let short = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{}").unwrap_err();
        assert_eq!(short.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(
            parse_response(b"SSH-2.0\r\n\r\n").unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
    }

    #[test]
    fn builds_multipart() {
        let (ct, body) = multipart(
            "b",
            &[FormPart {
                name: "media",
                filename: Some("a.jpg"),
                content_type: Some("image/jpeg"),
                data: b"x",
            }],
        );
        assert_eq!(ct, "multipart/form-data; boundary=b");
        assert_eq!(
            body,
            b"--b\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a.jpg\"\r\n\
Content-Type: image/jpeg\r\n\r\nx\r\n--b--\r\n"
        );
    }
}
