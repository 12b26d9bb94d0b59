//! The callback server over loopback HTTP in every mode: URL verification and message round
//! trips (replies decrypted and checked), mp plain, compatible and safe, WeCom (with the
//! inventory §6.1 vectors).
#![cfg(feature = "server")]

mod server_common;

use server_common::*;
use wechat_async::server::{CallbackConfig, CallbackHandler, CallbackServer, Kind, Message, Mode, Reply};
use wechat_async::wechat_core::callback::signed_query;
use wechat_async::wechat_core::message::Body;

async fn echo(message: Message) -> Option<Reply> {
    match &message.body {
        Body::Text(t) => Some(Reply::text(
            &message,
            format!("echo: {}", t.content.as_deref().unwrap_or("")),
        )),
        _ => None,
    }
}

fn server(config: CallbackConfig) -> CallbackServer {
    CallbackServer::new(CallbackHandler::new(config).unwrap(), echo)
}

#[tokio::test]
async fn mp_plain_mode() {
    capture_logs();
    let addr = start(server(CallbackConfig::mp_plain(TOKEN))).await;

    let q = signed_query(Kind::Mp, &token(), &now_ts(), "n1", Some("echo 12345"), None);
    let r = get(addr, &q).await;
    r.expect(200, "echo 12345");
    assert_eq!(r.header("content-type").as_deref(), Some("text/plain; charset=utf-8"));

    let (q, body) = plain_request(&text_xml("hello", 1), "n2");
    let r = post(addr, &q, &body).await;
    r.clean();
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/xml; charset=utf-8")
    );
    assert!(
        r.body.contains("<ToUserName><![CDATA[oUser]]></ToUserName>"),
        "{}",
        r.body
    );
    assert_eq!(reply_content(&r.body), "echo: hello");

    // an event the handler does not answer: 200 success
    let evt = format!(
        "<xml><ToUserName>gh_1</ToUserName><FromUserName>oUser</FromUserName><CreateTime>{}</CreateTime>\
         <MsgType>event</MsgType><Event>subscribe</Event></xml>",
        now()
    );
    let (q, body) = plain_request(&evt, "n3");
    post(addr, &q, &body).await.expect(200, "success");

    // HEAD verification answers with the headers only
    let q = signed_query(Kind::Mp, &token(), &now_ts(), "n4", Some("abc"), None);
    let r = head(addr, &q).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length").as_deref(), Some("3"));
    assert_logs_clean();
}

#[tokio::test]
async fn mp_safe_mode() {
    capture_logs();
    let crypto = crypto();
    let addr = start(server(
        CallbackConfig::mp_encrypted(Mode::Safe, TOKEN, KEY, APP).unwrap(),
    ))
    .await;

    // mp verification is signed with `signature` in every mode
    let q = signed_query(Kind::Mp, &token(), &now_ts(), "n", Some("4242"), None);
    get(addr, &q).await.expect(200, "4242");

    let ts = now_ts();
    let (q, body) = encrypted_request(Kind::Mp, &crypto, &text_xml("secret hi", 2), &ts, "nonce-s1");
    let r = post(addr, &q, &body).await;
    r.clean();
    assert_eq!(r.status, 200);
    assert!(!r.body.contains("secret hi"), "the reply is encrypted: {}", r.body);
    let xml = open_envelope(&crypto, &r.body, &ts, "nonce-s1");
    assert_eq!(reply_content(&xml), "echo: secret hi");

    // a plaintext request is refused in safe mode
    let (q, body) = plain_request(&text_xml("plain", 3), "n");
    post(addr, &q, &body).await.expect(400, "missing-parameter");
    // an event without a reply: `success`, never encrypted
    let evt = format!(
        "<xml><ToUserName>gh_1</ToUserName><FromUserName>oUser</FromUserName><CreateTime>{}</CreateTime>\
         <MsgType>event</MsgType><Event>unsubscribe</Event></xml>",
        now()
    );
    let (q, body) = encrypted_request(Kind::Mp, &crypto, &evt, &now_ts(), "n5");
    post(addr, &q, &body).await.expect(200, "success");
    assert_logs_clean();
}

#[tokio::test]
async fn mp_compatible_mode() {
    capture_logs();
    let crypto = crypto();
    let addr = start(server(
        CallbackConfig::mp_encrypted(Mode::Compatible, TOKEN, KEY, APP).unwrap(),
    ))
    .await;

    // encrypted request (with tampered plaintext fields next to Encrypt): encrypted reply to
    // the encrypted content
    let ts = now_ts();
    let encrypt = crypto.encrypt(text_xml("real", 4).as_bytes(), &[1; 16]);
    let body = text_xml("forged", 4).replace("</xml>", &format!("<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"));
    let q = signed_query(Kind::Mp, &token(), &ts, "nc1", None, Some(&encrypt));
    let r = post(addr, &q, &body).await;
    r.clean();
    assert_eq!(r.status, 200);
    assert_eq!(
        reply_content(&open_envelope(&crypto, &r.body, &ts, "nc1")),
        "echo: real"
    );

    // plaintext request: plaintext reply
    let (q, body) = plain_request(&text_xml("clear", 5), "nc2");
    let r = post(addr, &q, &body).await;
    assert_eq!(r.status, 200);
    assert_eq!(reply_content(&r.body), "echo: clear");
    assert_logs_clean();
}

#[tokio::test]
async fn wecom_vectors_and_round_trip() {
    capture_logs();
    // inventory §6.1 with its own token; the vectors are from 2014, so no timestamp window
    let mut config = CallbackConfig::work(VECTOR_TOKEN, KEY, APP).unwrap();
    config.timestamp_window = None;
    let addr = start(server(config)).await;

    // §6.1(a): URL verification, echostr's '+' percent-encoded as WeCom sends it
    let q = "msg_signature=dd6b9c95b495b3f7e2901bfbc76c664930ffdb96&timestamp=1411443780&nonce=437374425&echostr=4ByGGj%2BsVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1%2BbXFXDQQb1o6co6Yh9Bv41n7hOchLF6p%2BQ%3D%3D";
    get(addr, q).await.expect(200, "5927782489442352469");
    // the same with nonce 437374424 (test_check_signature_should_fail)
    get(addr, &q.replace("437374425", "437374424"))
        .await
        .expect(403, "invalid-signature");

    // §6.1(c): the decrypt vector as a POST; the echo reply is encrypted with its timestamp
    // and nonce
    let body = "<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>\n<Encrypt><![CDATA[RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=]]></Encrypt>\n<AgentID><![CDATA[1]]></AgentID>\n</xml>";
    let q = "msg_signature=74d92dfeb87ba7c714f89d98870ae5eb62dff26d&timestamp=1411525903&nonce=461056294";
    let r = post(addr, q, body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let vector_crypto = wechat_async::wechat_core::crypto::MessageCrypto::new(
        wechat_async::wechat_core::secret::CallbackToken::new(VECTOR_TOKEN),
        KEY,
        APP,
    )
    .unwrap();
    let xml = open_envelope(&vector_crypto, &r.body, "1411525903", "461056294");
    assert!(xml.contains("<AgentID>1</AgentID>"), "{xml}");
    assert!(xml.contains("<ToUserName><![CDATA[messense]]></ToUserName>"), "{xml}");
    assert_eq!(reply_content(&xml), "echo: test");
}

#[tokio::test]
async fn wecom_fresh_message_with_timestamp_window() {
    capture_logs();
    let crypto = crypto();
    let addr = start(server(CallbackConfig::work(TOKEN, KEY, APP).unwrap())).await;

    // verification: msg_signature over the encrypted echostr
    let echostr = crypto.encrypt(b"8888", &[2; 16]);
    let q = signed_query(Kind::Work, &token(), &now_ts(), "wn", Some(&echostr), None);
    get(addr, &q).await.expect(200, "8888");

    let ts = now_ts();
    let (q, body) = encrypted_request(Kind::Work, &crypto, &work_text_xml("你好", 6), &ts, "wn2");
    let r = post(addr, &q, &body).await;
    r.clean();
    let xml = open_envelope(&crypto, &r.body, &ts, "wn2");
    assert_eq!(reply_content(&xml), "echo: 你好");
    assert!(xml.contains("<AgentID>1</AgentID>"), "{xml}");
    assert_logs_clean();
}

#[tokio::test]
async fn keep_alive_serves_several_requests_on_one_connection() {
    use tokio::io::AsyncWriteExt;
    let addr = start(server(CallbackConfig::mp_plain(TOKEN))).await;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    for i in 0..3u64 {
        let (q, body) = plain_request(&text_xml(&format!("ka {i}"), 50 + i), "ka");
        let req = format!(
            "POST /?{q} HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let r = read_response(&mut s).await.expect("a response on the same connection");
        assert_eq!(reply_content(&r.body), format!("echo: ka {i}"));
    }
}

#[tokio::test]
async fn graceful_shutdown_finishes_requests_in_progress() {
    use std::time::{Duration, Instant};
    use tokio::io::AsyncWriteExt;
    capture_logs();
    let server = CallbackServer::new(
        CallbackHandler::new(CallbackConfig::mp_plain(TOKEN)).unwrap(),
        |message: Message| async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            Some(Reply::text(&message, "finished"))
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve_with_shutdown(listener, async {
        let _ = stopped.await;
    }));

    // an idle keep-alive connection and a request in progress
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (q, body) = plain_request(&text_xml("slow", 60), "gs");
    let in_flight = tokio::spawn(async move { post(addr, &q, &body).await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let started = Instant::now();
    stop.send(()).unwrap();

    let r = in_flight.await.unwrap();
    assert_eq!(reply_content(&r.body), "finished");
    let result = tokio::time::timeout(Duration::from_secs(3), serving).await;
    assert!(matches!(result, Ok(Ok(Ok(())))), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    // the idle connection was closed, and no new connection is accepted
    let mut buf = [0u8; 8];
    let _ = idle.write_all(b"GET / HTTP/1.1\r\n\r\n").await;
    let n = tokio::time::timeout(
        Duration::from_secs(1),
        tokio::io::AsyncReadExt::read(&mut idle, &mut buf),
    )
    .await;
    assert!(matches!(n, Ok(Ok(0)) | Ok(Err(_))), "{n:?}");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    assert!(logs().iter().any(|l| l.contains("shutting down")));
}
