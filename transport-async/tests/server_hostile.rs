//! The callback server against hostile clients over loopback: forged, stale, oversized,
//! malicious-XML and broken requests, slow-loris headers, stalled bodies, other methods, a
//! panicking handler, more connections than the cap. Every answer is a 4xx with a named error
//! (or a closed connection), other clients keep being served, and no answer or log line
//! contains a secret.
#![cfg(feature = "server")]

mod server_common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use server_common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wechat_async::server::{CallbackConfig, CallbackHandler, CallbackServer, Kind, Message, Mode, Reply};
use wechat_async::wechat_core::callback::signed_query;
use wechat_async::wechat_core::crypto::MessageCrypto;

const TEN_MIB: usize = 10 << 20;

async fn echo(message: Message) -> Option<Reply> {
    Some(Reply::text(&message, "ok"))
}

fn safe_server() -> CallbackServer {
    let config = CallbackConfig::mp_encrypted(Mode::Safe, TOKEN, KEY, APP).unwrap();
    CallbackServer::builder(CallbackHandler::new(config).unwrap(), echo)
        .header_read_timeout(Duration::from_secs(1))
        .body_read_timeout(Duration::from_secs(1))
        .build()
}

fn plain_server() -> CallbackServer {
    CallbackServer::builder(CallbackHandler::new(CallbackConfig::mp_plain(TOKEN)).unwrap(), echo)
        .header_read_timeout(Duration::from_secs(1))
        .body_read_timeout(Duration::from_secs(1))
        .build()
}

/// A good request still gets its reply (the server is up and unharmed).
async fn assert_alive(addr: SocketAddr) {
    let (q, body) = encrypted_request(Kind::Mp, &crypto(), &text_xml("alive?", 1), &now_ts(), "alive");
    let started = Instant::now();
    let r = post(addr, &q, &body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<Encrypt>"), "{}", r.body);
    assert!(started.elapsed() < Duration::from_secs(1), "answered promptly");
}

#[tokio::test]
async fn forged_and_stale_requests() {
    capture_logs();
    let addr = start(safe_server()).await;
    let crypto = crypto();
    let ts = now_ts();
    let (good_q, body) = encrypted_request(Kind::Mp, &crypto, &text_xml("x", 2), &ts, "n");

    // bad `signature`, bad `msg_signature`, both missing
    let bad = good_q.replace("signature=", "signature=0");
    post(addr, &bad, &body).await.expect(403, "invalid-signature");
    let (other_q, _) = encrypted_request(Kind::Mp, &crypto, "<xml>other</xml>", &ts, "n");
    post(addr, &other_q, &body).await.expect(403, "invalid-signature");
    post(addr, &format!("timestamp={ts}&nonce=n"), &body)
        .await
        .expect(400, "missing-parameter");
    get(addr, &format!("timestamp={ts}&nonce=n&echostr=e"))
        .await
        .expect(400, "missing-parameter");
    get(addr, "").await.expect(400, "missing-parameter");
    // signed with another token
    let forged = MessageCrypto::new(
        wechat_async::wechat_core::secret::CallbackToken::new("not-the-token"),
        KEY,
        APP,
    )
    .unwrap();
    let (q, body2) = encrypted_request(Kind::Mp, &forged, &text_xml("x", 3), &ts, "n");
    post(addr, &q, &body2).await.expect(403, "invalid-signature");
    // encrypted for another app id
    let foreign = MessageCrypto::new(token(), KEY, "wx_other_app").unwrap();
    let (q, body3) = encrypted_request(Kind::Mp, &foreign, &text_xml("x", 4), &ts, "n");
    post(addr, &q, &body3).await.expect(403, "invalid-app-id");

    // stale timestamps, both directions (window 300 s); verification too
    for stale in [now() - 301, now() + 301] {
        let (q, body) = encrypted_request(Kind::Mp, &crypto, &text_xml("x", 5), &stale.to_string(), "n");
        post(addr, &q, &body).await.expect(403, "stale-timestamp");
        let q = signed_query(Kind::Mp, &token(), &stale.to_string(), "n", Some("e"), None);
        get(addr, &q).await.expect(403, "stale-timestamp");
    }
    // a non-numeric timestamp
    let (q, body) = encrypted_request(Kind::Mp, &crypto, &text_xml("x", 6), "soon", "n");
    post(addr, &q, &body).await.expect(400, "invalid-parameter");

    assert_alive(addr).await;
    assert_logs_clean();
    assert!(
        logs()
            .iter()
            .any(|l| l.contains("callback rejected: 403 invalid-signature")),
        "rejections are logged"
    );
}

#[tokio::test]
async fn malicious_and_broken_bodies() {
    capture_logs();
    let addr = start(plain_server()).await;
    let (q, _) = plain_request("", "n");

    let bomb = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\"><!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]><xml><ToUserName>gh_1</ToUserName><MsgType>text</MsgType><Content>&lol3;</Content></xml>";
    post(addr, &q, bomb).await.expect(400, "invalid-xml");
    let xxe = "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><xml><ToUserName>gh_1</ToUserName><MsgType>text</MsgType><Content>&xxe;</Content></xml>";
    let r = post(addr, &q, xxe).await;
    r.expect(400, "invalid-xml");
    assert!(!r.body.contains("root:"));
    // an undeclared entity without a DOCTYPE
    let undeclared = text_xml("&xxe;", 7).replace("<![CDATA[&xxe;]]>", "&xxe;");
    post(addr, &q, &undeclared).await.expect(400, "invalid-xml");

    let full = text_xml("truncated", 8);
    post(addr, &q, &full[..full.len() / 2]).await.expect(400, "invalid-xml");
    post(addr, &q, "").await.expect(400, "invalid-xml");
    let r = request(addr, "POST", &q, b"\xff\xfe<xml>\x80\x81</xml>").await;
    r.expect(400, "invalid-utf8");
    post(addr, &q, "<xml><ToUserName>gh_1</ToUserName></xml>")
        .await
        .expect(400, "missing-element");
    // the encrypted server gets garbage where Encrypt belongs
    let safe = start(safe_server()).await;
    for (encrypt, kind) in [
        ("!!!not base64!!!", "invalid-base64"),
        ("AAAA", "invalid-length"),
        ("YWJjZGVmZ2hpamtsbW5vcA==", "invalid-padding"),
    ] {
        let q = signed_query(Kind::Mp, &token(), &now_ts(), "n", None, Some(encrypt));
        let body = format!("<xml><Encrypt>{encrypt}</Encrypt></xml>");
        let r = post(safe, &q, &body).await;
        assert_eq!(r.status, 400, "{encrypt}: {}", r.body);
        assert_eq!(r.body, kind, "{encrypt}");
    }
    let (q, _) = encrypted_request(Kind::Mp, &crypto(), "", &now_ts(), "n");

    // not HTTP at all: hyper answers 400 (or closes); never a 5xx
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"\x16\x03\x01\x02\x00 GARBAGE\r\n\r\n").await.unwrap();
    if let Some(r) = read_response(&mut s).await {
        assert!((400..500).contains(&r.status), "{r:?}");
    }
    // other methods
    let r = request(addr, "PUT", &q, b"x").await;
    r.expect(405, "method-not-allowed");
    assert_eq!(r.header("allow").as_deref(), Some("GET, HEAD, POST"));
    request(addr, "DELETE", "", b"").await.expect(405, "method-not-allowed");
    request(addr, "OPTIONS", "", b"")
        .await
        .expect(405, "method-not-allowed");

    assert_alive(safe).await;
    let (q, body) = plain_request(&text_xml("hi", 9), "n");
    assert_eq!(post(addr, &q, &body).await.status, 200);
    assert_logs_clean();
}

#[tokio::test]
async fn ten_mib_bodies_get_413_without_being_read() {
    capture_logs();
    let addr = start(safe_server()).await;
    let (q, _) = encrypted_request(Kind::Mp, &crypto(), "", &now_ts(), "n");

    // declared length: answered from the headers alone, before any body byte is sent
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!("POST /wechat?{q} HTTP/1.1\r\nHost: t\r\nContent-Length: {TEN_MIB}\r\n\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    let r = read_response(&mut s).await.expect("413 before the body");
    r.expect(413, "too-large");
    assert_eq!(r.header("connection").as_deref(), Some("close"));
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());

    // the same with the body streaming in: the answer comes while it is still being sent
    let r = send_while_reading(addr, &head, TEN_MIB).await;
    r.expect(413, "too-large");
    // chunked, no declared length: cut off at the limit
    let chunked = format!("POST /wechat?{q} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    let started = Instant::now();
    let r = send_while_reading(addr, &chunked, TEN_MIB).await;
    r.expect(413, "too-large");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());

    assert_alive(addr).await;
}

/// Sends `head`, then `total` body bytes (chunked if the head says so) from another task,
/// and returns the response read meanwhile.
async fn send_while_reading(addr: SocketAddr, head: &str, total: usize) -> Response {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let chunked = head.contains("chunked");
    let head = head.to_string();
    let writer = tokio::spawn(async move {
        let _ = wr.write_all(head.as_bytes()).await;
        let block = vec![b'a'; 64 * 1024];
        let mut sent = 0;
        while sent < total {
            let r = if chunked {
                let mut chunk = format!("{:x}\r\n", block.len()).into_bytes();
                chunk.extend_from_slice(&block);
                chunk.extend_from_slice(b"\r\n");
                wr.write_all(&chunk).await
            } else {
                wr.write_all(&block).await
            };
            if r.is_err() {
                break;
            }
            sent += block.len();
        }
        sent
    });
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let response = loop {
        if let Some(r) = parse_response(&buf) {
            break r;
        }
        match tokio::time::timeout(Duration::from_secs(5), rd.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            other => panic!("no response: {other:?} after {} bytes", buf.len()),
        }
    };
    writer.abort();
    response
}

/// A body of `total` bytes in 64 KiB frames that counts how much of it was polled.
struct CountingBody {
    remaining: usize,
    polled: Arc<AtomicUsize>,
}

impl http_body::Body for CountingBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let n = self.remaining.min(64 * 1024);
        self.remaining -= n;
        self.polled.fetch_add(n, Ordering::SeqCst);
        Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from(vec![b'a'; n])))))
    }
}

#[tokio::test]
async fn an_oversized_body_is_read_no_further_than_the_limit() {
    let server = safe_server();
    let limit = server.handler().config().max_body;
    let polled = Arc::new(AtomicUsize::new(0));
    let body = CountingBody {
        remaining: TEN_MIB,
        polled: polled.clone(),
    };
    let (q, _) = encrypted_request(Kind::Mp, &crypto(), "", &now_ts(), "n");
    let request = http::Request::post(format!("/wechat?{q}")).body(body).unwrap();
    let response = server.handle_request(request).await;
    assert_eq!(response.status(), 413);
    assert_eq!(response.body(), "too-large");
    let read = polled.load(Ordering::SeqCst);
    assert!(read <= limit + 64 * 1024, "read {read} bytes of a {TEN_MIB}-byte body");
}

#[tokio::test]
async fn slow_loris_headers_are_cut_off_while_others_are_served() {
    capture_logs();
    let addr = start(safe_server()).await; // header timeout 1 s
    let (q, _) = encrypted_request(Kind::Mp, &crypto(), "", &now_ts(), "n");
    let head = format!(
        "POST /wechat?{q} HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\nX-Pad: {}\r\n\r\n",
        "p".repeat(200)
    );

    let loris = tokio::spawn(async move {
        let started = Instant::now();
        let mut s = TcpStream::connect(addr).await.unwrap();
        let mut buf = [0u8; 1024];
        for byte in head.as_bytes() {
            if s.write_all(std::slice::from_ref(byte)).await.is_err() {
                return started.elapsed();
            }
            match tokio::time::timeout(Duration::from_millis(100), s.read(&mut buf)).await {
                Err(_) => {}                                        // still open, nothing to read
                Ok(Ok(_)) | Ok(Err(_)) => return started.elapsed(), // closed (or answered)
            }
        }
        panic!("the slow client sent its whole header without being cut off");
    });

    // meanwhile other clients are answered promptly
    let mut served = 0;
    while !loris.is_finished() {
        assert_alive(addr).await;
        served += 1;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let cut_after = loris.await.unwrap();
    assert!(
        cut_after >= Duration::from_millis(900) && cut_after < Duration::from_secs(3),
        "closed after {cut_after:?}"
    );
    assert!(served >= 3, "served {served} other requests meanwhile");
    assert_logs_clean();
}

#[tokio::test]
async fn a_stalled_body_times_out_with_408() {
    capture_logs();
    let addr = start(safe_server()).await; // body timeout 1 s
    let (q, _) = encrypted_request(Kind::Mp, &crypto(), "", &now_ts(), "n");
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!("POST /wechat?{q} HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n<xml><Encr");
    s.write_all(head.as_bytes()).await.unwrap();
    // another client is served while this one stalls
    assert_alive(addr).await;
    let r = read_response(&mut s).await.expect("a 408");
    r.expect(408, "request-timeout");
    assert_eq!(r.header("connection").as_deref(), Some("close"));
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    // and the connection is closed afterwards
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf)).await;
    assert!(matches!(n, Ok(Ok(0)) | Ok(Err(_))), "{n:?}");
    assert_alive(addr).await;
}

#[tokio::test]
async fn a_panicking_handler_answers_success_and_the_server_survives() {
    capture_logs();
    let handler = CallbackHandler::new(CallbackConfig::mp_plain(TOKEN)).unwrap();
    let server = CallbackServer::new(handler, |message: Message| async move {
        if matches!(&message.body, wechat_async::wechat_core::message::Body::Text(t) if t.content.as_deref() == Some("boom"))
        {
            panic!("handler exploded on purpose");
        }
        Some(Reply::text(&message, "fine"))
    });
    let addr = start(server).await;
    for i in 0..3 {
        let (q, body) = plain_request(&text_xml("boom", 100 + i), "n");
        post(addr, &q, &body).await.expect(200, "success");
    }
    let (q, body) = plain_request(&text_xml("hello", 200), "n");
    let r = post(addr, &q, &body).await;
    assert_eq!(reply_content(&r.body), "fine");
    assert!(
        logs()
            .iter()
            .any(|l| l.starts_with("ERROR") && l.contains("handler exploded on purpose")),
        "the panic is logged"
    );
    assert_logs_clean();
}

#[tokio::test]
async fn at_the_connection_cap_new_clients_wait_for_a_free_slot() {
    capture_logs();
    let server = CallbackServer::builder(CallbackHandler::new(CallbackConfig::mp_plain(TOKEN)).unwrap(), echo)
        .header_read_timeout(Duration::from_secs(30))
        .max_connections(2)
        .build();
    let addr = start(server).await;
    // Two idle connections take both slots.
    let first = TcpStream::connect(addr).await.unwrap();
    let _second = TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let waiting = tokio::spawn(async move {
        let started = Instant::now();
        let (q, body) = plain_request(&text_xml("third", 3), "n3");
        let r = post(addr, &q, &body).await;
        (r, started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !waiting.is_finished(),
        "a third connection was served beyond the cap of 2"
    );

    drop(first); // frees a slot: the waiting client is accepted and answered
    let (r, waited) = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<Content><![CDATA[ok]]></Content>"), "{}", r.body);
    assert!(waited >= Duration::from_millis(500), "answered after {waited:?}");
    assert_logs_clean();
}
