//! The callback server under resource pressure, over loopback: clients that never read their
//! replies are dropped after the write timeout (and give their connection slot back), idle
//! keep-alive connections after the header timeout, slow uploaders cannot buffer more than the
//! body budget (429 past it, and the budget comes back), and large bodies are verified off the
//! connection task and answered like small ones.
#![cfg(feature = "server")]

mod server_common;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use server_common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinHandle;
use wechat_async::server::{CallbackConfig, CallbackHandler, CallbackServer, Kind, Message, Mode, Reply};
use wechat_async::wechat_core::callback::signed_query;
use wechat_async::wechat_core::message::Body;

async fn echo(message: Message) -> Option<Reply> {
    Some(Reply::text(&message, "ok"))
}

/// Answers a text message with its length, to check a large one arrived whole.
async fn length(message: Message) -> Option<Reply> {
    let len = match &message.body {
        Body::Text(t) => t.content.as_deref().unwrap_or("").len(),
        _ => 0,
    };
    Some(Reply::text(&message, format!("{len} bytes")))
}

fn plain() -> CallbackHandler {
    CallbackHandler::new(CallbackConfig::mp_plain(TOKEN)).unwrap()
}

/// A signed GET verification whose reply is `echostr` itself.
fn verification(echostr: &str) -> String {
    signed_query(Kind::Mp, &token(), &now_ts(), "n", Some(echostr), None)
}

/// A normal client is answered.
async fn assert_served(addr: SocketAddr) {
    get(addr, &verification("hello")).await.expect(200, "hello");
}

/// A client with a small receive buffer that pipelines verifications with 16 KiB replies and
/// never reads one. The task ends with the write error once the server drops the connection
/// (never, without a write timeout: the client blocks on its full send buffer).
async fn stuck_client(addr: SocketAddr) -> JoinHandle<io::Error> {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let request = format!(
        "GET /?{} HTTP/1.1\r\nHost: t\r\n\r\n",
        verification(&"e".repeat(16 * 1024))
    );
    tokio::spawn(async move {
        let (_never_read, mut write) = stream.into_split();
        loop {
            if let Err(e) = write.write_all(request.as_bytes()).await {
                return e;
            }
        }
    })
}

#[tokio::test]
async fn clients_that_never_read_their_replies_are_dropped_after_the_write_timeout() {
    capture_logs();
    let server = CallbackServer::builder(plain(), echo)
        // long header and body timeouts: only the write timeout can end the stuck clients
        .header_read_timeout(Duration::from_secs(60))
        .body_read_timeout(Duration::from_secs(60))
        .write_timeout(Duration::from_millis(500))
        .build();
    let addr = start(server).await;
    let stuck = [stuck_client(addr).await, stuck_client(addr).await];

    // other clients are served while the stuck ones fill their buffers and wait
    let mut served = 0;
    loop {
        assert_served(addr).await;
        served += 1;
        if stuck.iter().all(JoinHandle::is_finished) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            served < 300,
            "the clients that never read are still connected after 30 s"
        );
    }
    for client in stuck {
        let error = client.await.unwrap();
        assert!(
            matches!(
                error.kind(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionAborted
            ),
            "dropped by the server: {error:?}"
        );
    }
    assert_served(addr).await;
    assert!(
        logs()
            .iter()
            .any(|l| l.contains("callback client read nothing for 500ms; closing")),
        "dropped by the write timeout"
    );
    assert_logs_clean();
}

#[tokio::test]
async fn stuck_clients_give_their_connection_slots_back() {
    capture_logs();
    let server = CallbackServer::builder(plain(), echo)
        .header_read_timeout(Duration::from_secs(60))
        .write_timeout(Duration::from_millis(500))
        .max_connections(2)
        .build();
    let addr = start(server).await;
    let stuck = [stuck_client(addr).await, stuck_client(addr).await];
    tokio::time::sleep(Duration::from_millis(200)).await;

    // both slots are taken; the third waits in the backlog until a stuck one is dropped
    // (`get` gives up after 10 s without an answer)
    assert_served(addr).await;
    for client in stuck {
        tokio::time::timeout(Duration::from_secs(10), client)
            .await
            .expect("the stuck client was dropped")
            .unwrap();
    }
    assert_served(addr).await;
    assert_logs_clean();
}

/// Pins what hyper's header read timeout does between keep-alive requests (the builder
/// documents it as bounding idle connections): it closes them.
#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_read_timeout() {
    let server = CallbackServer::builder(plain(), echo)
        .header_read_timeout(Duration::from_millis(500))
        .build();
    let addr = start(server).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET /?{} HTTP/1.1\r\nHost: t\r\n\r\n", verification("first"));
    stream.write_all(request.as_bytes()).await.unwrap();
    read_response(&mut stream)
        .await
        .expect("the first answer")
        .expect(200, "first");

    // keep-alive, idle: the server closes it (a read of 0 bytes) instead of waiting forever
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
}

/// A POST head declaring `len` body bytes, on a new connection.
async fn upload_head(addr: SocketAddr, query: &str, len: usize) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head =
        format!("POST /wechat?{query} HTTP/1.1\r\nHost: t\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// A signed plaintext text message whose body is `len` bytes long (`len` ≥ 300).
fn message_of_len(len: usize, msg_id: u64) -> (String, String) {
    let base = text_xml("", msg_id);
    let xml = text_xml(&"x".repeat(len - base.len()), msg_id);
    assert_eq!(xml.len(), len);
    plain_request(&xml, "n")
}

#[tokio::test]
async fn a_request_waits_for_the_body_budget_until_a_slow_upload_is_done() {
    capture_logs();
    let server = CallbackServer::builder(plain(), echo)
        .max_buffered_bytes(4096)
        .body_read_timeout(Duration::from_secs(10))
        .build();
    let addr = start(server).await;

    // a slow upload reserves the whole budget (4000 bytes declared) ...
    let (q, body) = message_of_len(4000, 1);
    let mut slow = upload_head(addr, &q, body.len()).await;
    slow.write_all(&body.as_bytes()[..100]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    // ... so a small request waits for it
    let upload_done = Arc::new(AtomicBool::new(false));
    let done = upload_done.clone();
    let waiting = tokio::spawn(async move {
        let (q, body) = plain_request(&text_xml("small", 2), "n");
        let r = post(addr, &q, &body).await;
        (r, done.load(Ordering::SeqCst))
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    upload_done.store(true, Ordering::SeqCst);
    slow.write_all(&body.as_bytes()[100..]).await.unwrap();
    let r = read_response(&mut slow).await.expect("the slow upload's answer");
    assert_eq!(r.status, 200, "{}", r.body);

    let (r, after_upload) = waiting.await.unwrap();
    assert_eq!((r.status, reply_content(&r.body)), (200, String::from("ok")));
    assert!(after_upload, "answered while the slow upload held the whole budget");
    assert_logs_clean();
}

#[tokio::test]
async fn past_the_body_budget_requests_get_429_and_the_budget_comes_back() {
    capture_logs();
    let server = CallbackServer::builder(plain(), echo)
        .max_buffered_bytes(4096)
        .body_read_timeout(Duration::from_secs(2))
        .build();
    let addr = start(server).await;
    let (q, _) = plain_request("", "n");

    // A takes the whole budget and stalls (408 after 2 s); B queues for the whole budget,
    // gets it when A gives up and stalls too; C queues behind B and is refused when its wait
    // (the body read timeout) is over, while B still holds the budget.
    let mut a = upload_head(addr, &q, 4000).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut b = upload_head(addr, &q, 4000).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let c = tokio::spawn(async move {
        let (q, body) = plain_request(&text_xml("c", 3), "n");
        post(addr, &q, &body).await
    });

    let r = read_response(&mut a).await.expect("A's answer");
    r.expect(408, "request-timeout");
    let r = c.await.unwrap();
    r.expect(429, "busy");
    assert_eq!(r.header("connection").as_deref(), Some("close"));
    let r = read_response(&mut b).await.expect("B's answer");
    r.expect(408, "request-timeout");

    // every permit came back: a request needing the whole budget is served
    let (q, body) = message_of_len(4000, 4);
    let r = post(addr, &q, &body).await;
    assert_eq!((r.status, reply_content(&r.body)), (200, String::from("ok")));
    assert_logs_clean();
}

#[tokio::test]
async fn large_and_small_encrypted_bodies_are_answered() {
    capture_logs();
    let crypto = crypto();
    let config = CallbackConfig::mp_encrypted(Mode::Safe, TOKEN, KEY, APP).unwrap();
    let limit = config.max_body;
    let addr = start(CallbackServer::new(CallbackHandler::new(config).unwrap(), length)).await;

    // just under the 1 MiB limit once encrypted (base64: 4/3), and a small one
    for (content_len, msg_id) in [(780_000, 1), (5, 2)] {
        let ts = now_ts();
        let xml = text_xml(&"y".repeat(content_len), msg_id);
        let (q, body) = encrypted_request(Kind::Mp, &crypto, &xml, &ts, "big");
        assert!(body.len() <= limit, "{} bytes", body.len());
        if content_len > 5 {
            assert!(body.len() > limit - 24 * 1024, "{} bytes", body.len());
        }
        let r = post(addr, &q, &body).await;
        r.clean();
        assert_eq!(r.status, 200, "{}", r.body);
        let reply = open_envelope(&crypto, &r.body, &ts, "big");
        assert_eq!(reply_content(&reply), format!("{content_len} bytes"));

        // where the work ran: large bodies on the blocking pool, not this (the connection
        // tasks') thread; small ones inline
        let on_pool = format!("verifying a {}-byte callback body on the blocking pool", body.len());
        let lines: Vec<String> = logs().into_iter().filter(|l| l.contains(&on_pool)).collect();
        if content_len > 5 {
            let here = std::thread::current().name().unwrap_or("?").to_string();
            assert_eq!(lines.len(), 1, "{lines:?}");
            assert!(!lines[0].ends_with(&format!("[thread {here}]")), "{lines:?}");
        } else {
            assert!(lines.is_empty(), "{lines:?}");
        }
    }
    assert_logs_clean();
}
