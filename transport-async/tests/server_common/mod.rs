//! Shared helpers for the callback-server tests: a raw HTTP/1.1 client over loopback, a
//! log capture, message builders and the secrets no output may contain.
#![allow(dead_code)] // each test binary uses a different subset

use std::net::SocketAddr;
use std::sync::{Mutex, Once};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wechat_async::server::{CallbackServer, Kind};
use wechat_async::wechat_core::callback::signed_query;
use wechat_async::wechat_core::crypto::MessageCrypto;
use wechat_async::wechat_core::secret::CallbackToken;

/// A callback token distinctive enough to be searched for in every output.
pub const TOKEN: &str = "cbTok3n-s3cr3t-Zq8";
/// inventory §6.1's EncodingAESKey, corp id and token.
pub const KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
pub const APP: &str = "wx49f0ab532d5d035a";
pub const VECTOR_TOKEN: &str = "123456";

// ---- trace capture ----------------------------------------------------------------------

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());
static INIT: Once = Once::new();

struct Capture;

/// Writes an event's or span's fields after its message.
struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0.insert_str(0, &format!("{value:?}"));
        } else {
            self.0.push_str(&format!(" {}={value:?}", field.name()));
        }
    }
}

fn push(line: String) {
    let thread = std::thread::current();
    let line = format!("{line} [thread {}]", thread.name().unwrap_or("?"));
    LINES.lock().unwrap_or_else(|e| e.into_inner()).push(line);
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        let meta = event.metadata();
        push(format!("{} {}: {}", meta.level(), meta.target(), fields.0));
    }

    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut fields = Fields(String::new());
        attrs.record(&mut fields);
        push(format!("SPAN {}:{}", attrs.metadata().name(), fields.0));
    }

    fn on_record(
        &self,
        _: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut fields = Fields(String::new());
        values.record(&mut fields);
        push(format!("RECORD{}", fields.0));
    }
}

/// Installs the capturing subscriber (once per test binary), at trace level: events, and the
/// fields of every span.
pub fn capture_logs() {
    INIT.call_once(|| {
        use tracing_subscriber::layer::SubscriberExt;
        let subscriber = tracing_subscriber::registry().with(Capture);
        tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
    });
}

/// Every line logged so far in this binary (`LEVEL target: message [thread name]`).
pub fn logs() -> Vec<String> {
    LINES.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Asserts that no text (a response body, headers, a log line) contains a secret.
pub fn assert_no_secret(what: &str, text: &str) {
    for secret in [TOKEN, KEY, &KEY[..20]] {
        assert!(!text.contains(secret), "{what} leaks a secret: {text}");
    }
}

/// Checks every captured log line for secrets; returns how many lines there were.
pub fn assert_logs_clean() -> usize {
    let lines = logs();
    for line in &lines {
        assert_no_secret("a log line", line);
    }
    lines.len()
}

// ---- server and client ----------------------------------------------------------------

/// Serves `server` on a fresh loopback port.
pub async fn start(server: CallbackServer) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server.serve(listener));
    addr
}

/// A parsed HTTP response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }

    /// Asserts the status and body, and that neither head nor body leaks a secret.
    pub fn expect(&self, status: u16, body: &str) -> &Self {
        assert_eq!((self.status, self.body.as_str()), (status, body), "{}", self.head);
        self.clean()
    }

    pub fn clean(&self) -> &Self {
        assert_no_secret("a response head", &self.head);
        assert_no_secret("a response body", &self.body);
        self
    }
}

/// Parses one response from raw bytes (head, then `Content-Length` bytes of body).
pub fn parse_response(raw: &[u8]) -> Option<Response> {
    parse(raw, false)
}

fn parse(raw: &[u8], head_only: bool) -> Option<Response> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8(raw[..end].to_vec()).ok()?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let rest = &raw[end + 4..];
    let mut response = Response {
        status,
        head,
        body: String::new(),
    };
    let len = response
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(rest.len());
    if head_only {
        return Some(response);
    }
    if rest.len() < len {
        return None;
    }
    response.body = String::from_utf8(rest[..len].to_vec()).ok()?;
    Some(response)
}

/// Reads from `stream` until one complete response has arrived (or EOF, or 10 s).
pub async fn read_response(stream: &mut TcpStream) -> Option<Response> {
    read(stream, false).await
}

async fn read(stream: &mut TcpStream, head_only: bool) -> Option<Response> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(r) = parse(&buf, head_only) {
            return Some(r);
        }
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return parse(&buf, head_only),
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Sends raw bytes on a new connection and reads one response.
pub async fn raw(addr: SocketAddr, bytes: &[u8]) -> Response {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    read_response(&mut stream).await.expect("a complete response")
}

/// Sends a HEAD request and reads the response head.
pub async fn head(addr: SocketAddr, query: &str) -> Response {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let req = format!("HEAD /?{query} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    read(&mut stream, true).await.expect("a response head")
}

/// One request with a `Content-Length` body.
pub async fn request(addr: SocketAddr, method: &str, query: &str, body: &[u8]) -> Response {
    let mut req = format!(
        "{method} /wechat?{query} HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    raw(addr, &req).await
}

pub async fn get(addr: SocketAddr, query: &str) -> Response {
    request(addr, "GET", query, b"").await
}

pub async fn post(addr: SocketAddr, query: &str, body: &str) -> Response {
    request(addr, "POST", query, body.as_bytes()).await
}

// ---- messages -------------------------------------------------------------------------

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

pub fn now_ts() -> String {
    now().to_string()
}

pub fn token() -> CallbackToken {
    CallbackToken::new(TOKEN)
}

pub fn crypto() -> MessageCrypto {
    MessageCrypto::new(token(), KEY, APP).unwrap()
}

pub fn text_xml(content: &str, msg_id: u64) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>\
         <MsgId>{msg_id}</MsgId></xml>",
        now()
    )
}

pub fn work_text_xml(content: &str, msg_id: u64) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{APP}]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>\
         <MsgId>{msg_id}</MsgId><AgentID>1</AgentID></xml>",
        now()
    )
}

/// A signed plaintext mp POST: `(query, body)`.
pub fn plain_request(xml: &str, nonce: &str) -> (String, String) {
    (
        signed_query(Kind::Mp, &token(), &now_ts(), nonce, None, None),
        xml.to_string(),
    )
}

/// A signed encrypted POST (mp safe/compatible, or WeCom): `(query, body)`.
pub fn encrypted_request(
    kind: Kind,
    crypto: &MessageCrypto,
    xml: &str,
    timestamp: &str,
    nonce: &str,
) -> (String, String) {
    let encrypt = crypto.encrypt(xml.as_bytes(), &[7; 16]);
    let body = format!("<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>");
    let query = signed_query(kind, crypto.token(), timestamp, nonce, None, Some(&encrypt));
    (query, body)
}

fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    let v = &xml[start..end];
    Some(
        v.strip_prefix("<![CDATA[")
            .and_then(|v| v.strip_suffix("]]>"))
            .unwrap_or(v),
    )
}

/// Checks an encrypted reply envelope (its timestamp and nonce are the request's, its
/// signature verifies) and returns the decrypted reply XML.
pub fn open_envelope(crypto: &MessageCrypto, body: &str, timestamp: &str, nonce: &str) -> String {
    assert_eq!(element(body, "TimeStamp"), Some(timestamp), "{body}");
    assert_eq!(element(body, "Nonce"), Some(nonce), "{body}");
    let sig = element(body, "MsgSignature").expect("MsgSignature");
    crypto
        .decrypt_message(body, sig, timestamp, nonce)
        .expect("a reply that verifies and decrypts")
}

/// The `Content` of a reply (plaintext XML).
pub fn reply_content(xml: &str) -> String {
    let reply = wechat_async::wechat_core::reply::parse_reply(xml).expect("reply XML");
    match reply.body {
        wechat_async::wechat_core::reply::ReplyBody::Text { content } => content,
        other => panic!("not a text reply: {other:?}"),
    }
}
