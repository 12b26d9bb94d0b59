//! Token and retry scenarios with both transports against the mock WeChat server over
//! loopback: cold stampedes, expiry mid-burst, invalidation by another instance, persistent
//! 40001, busy retries, a send that times out, broken responses.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use wechat_core::error::{ResponseError, TokenError};
use wechat_tests::{Fault, MOCK_MP_APPID, MOCK_MP_SECRET, MOCK_WORK_CORPID, MOCK_WORK_SECRET, MockConfig, MockWeChat};

const USER_INFO: &str = "/cgi-bin/user/info";
const SEND: &str = "/cgi-bin/message/custom/send";

fn fast(c: &mut wechat_core::client::ClientConfig) {
    c.call.backoff_initial = Duration::from_millis(5);
    c.call.backoff_max = Duration::from_millis(20);
    c.timeout = Duration::from_secs(5);
}

fn blocking(mock: &MockWeChat) -> wechat_blocking::WeChatClient {
    wechat_blocking::WeChatClient::builder(MOCK_MP_APPID, MOCK_MP_SECRET)
        .api_base(mock.base_url())
        .configure(fast)
        .build()
}

fn nonblocking(mock: &MockWeChat) -> wechat_async::WeChatClient {
    wechat_async::WeChatClient::builder(MOCK_MP_APPID, MOCK_MP_SECRET)
        .api_base(mock.base_url())
        .configure(fast)
        .build()
}

fn send_body() -> serde_json::Value {
    json!({"touser": "oUser", "msgtype": "text", "text": {"content": "hello"}})
}

// ---------------------------------------------------------------------------------------------
// Cold stampedes

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn async_1000_concurrent_calls_on_a_cold_token_fetch_it_once() {
    let mock = MockWeChat::start(MockConfig::default()).await;
    let client = nonblocking(&mock);
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move { client.user().get(&format!("o{i}")).await }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(mock.token_fetches().mp, 1, "exactly one token fetch for 1000 callers");
    assert_eq!(client.token_fetches(), 1);
    assert_eq!(mock.calls(USER_INFO), 1000);
}

#[test]
fn blocking_16_threads_on_a_cold_token_fetch_it_once() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let client = blocking(&mock);
    let barrier = Arc::new(std::sync::Barrier::new(16));
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let (client, barrier) = (client.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                client.user().get(&format!("o{i}"))
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    assert_eq!(mock.token_fetches().mp, 1, "exactly one token fetch for 16 threads");
    assert_eq!(mock.calls(USER_INFO), 16);
}

// ---------------------------------------------------------------------------------------------
// Expiry and invalidation

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn async_expiry_mid_burst_refreshes_once_and_replays_each_call_once() {
    let mock = MockWeChat::start(MockConfig::default()).await;
    let client = nonblocking(&mock);
    client.user().get("warm").await.unwrap();
    // WeChat's clock passes the token's expiry; the client still believes it valid.
    mock.advance(Duration::from_secs(7300));
    let mut tasks = Vec::new();
    for i in 0..200 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move { client.user().get(&format!("o{i}")).await }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(mock.token_fetches().mp, 2, "one refresh for the whole burst");
    let calls = mock.calls(USER_INFO);
    assert!(
        (1 + 200..=1 + 400).contains(&calls),
        "each call replayed at most once: {calls}"
    );
}

#[test]
fn blocking_expiry_mid_burst_refreshes_once() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let client = blocking(&mock);
    client.user().get("warm").unwrap();
    mock.advance(Duration::from_secs(7300));
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let client = client.clone();
            std::thread::spawn(move || client.user().get(&format!("o{i}")))
        })
        .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    assert_eq!(mock.token_fetches().mp, 2);
    assert!(mock.calls(USER_INFO) <= 1 + 32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_invalidation_by_another_instance_is_healed_with_one_replay() {
    let mock = MockWeChat::start(MockConfig::default()).await;
    let client = nonblocking(&mock);
    client.user().get("warm").await.unwrap();
    // Another deployment fetched a token: ours keeps working during the grace period...
    mock.rotate_token(MOCK_MP_APPID).unwrap();
    client.user().get("during-grace").await.unwrap();
    assert_eq!(client.token_fetches(), 1);
    // ...and is refused after it: one refresh, one replay, success.
    mock.advance(Duration::from_secs(301));
    client.user().get("after-grace").await.unwrap();
    assert_eq!(client.token_fetches(), 2);
    assert_eq!(mock.calls(USER_INFO), 4);
}

#[test]
fn blocking_invalidation_by_another_instance_is_healed_with_one_replay() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let client = blocking(&mock);
    client.user().get("warm").unwrap();
    mock.rotate_token(MOCK_MP_APPID).unwrap();
    mock.advance(Duration::from_secs(301));
    client.user().get("after-grace").unwrap();
    assert_eq!(client.token_fetches(), 2);
    assert_eq!(mock.calls(USER_INFO), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_persistent_40001_replays_once_then_fails_clearly() {
    let mock = MockWeChat::start(MockConfig::default()).await;
    let client = nonblocking(&mock);
    mock.inject(Fault::errcode(40001).on(USER_INFO).always());
    let err = client.user().get("o").await.unwrap_err();
    assert!(
        matches!(
            err,
            wechat_async::Error::Core(wechat_core::Error::Token(TokenError::RejectedAfterRefresh {
                code: 40001
            }))
        ),
        "{err:?}"
    );
    assert_eq!(mock.calls(USER_INFO), 2, "the call, and one replay");
    assert_eq!(mock.token_fetches().mp, 2, "the first token, and one refresh");
    // No loop later either: the next call makes the same bounded attempt.
    let _ = client.user().get("o").await.unwrap_err();
    assert_eq!(mock.calls(USER_INFO), 4);
}

#[test]
fn blocking_persistent_40001_replays_once_then_fails_clearly() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let client = blocking(&mock);
    mock.inject(Fault::errcode(40001).on(USER_INFO).always());
    let err = client.user().get("o").unwrap_err();
    assert_eq!(err.kind(), "token-rejected");
    assert!(err.to_string().contains("40001"), "{err}");
    assert_eq!(mock.calls(USER_INFO), 2);
    assert_eq!(mock.token_fetches().mp, 2);
}

#[test]
fn a_wrong_secret_is_a_clear_error_and_backs_off() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let client = wechat_blocking::WeChatClient::builder(MOCK_MP_APPID, "wrong")
        .api_base(mock.base_url())
        .build();
    let err = client.user().get("o").unwrap_err();
    let api = err.api_error().expect("WeChat's error");
    assert_eq!(api.code, 40125);
    assert!(!err.to_string().contains("wrong"), "the secret is never echoed: {err}");
    // An immediate retry does not hammer the token endpoint.
    let err = client.user().get("o").unwrap_err();
    assert_eq!(err.kind(), "token-backoff");
    assert_eq!(mock.token_fetches().mp, 1);
}

// ---------------------------------------------------------------------------------------------
// Busy, timeouts, broken responses

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_busy_is_retried_for_reads_only() {
    let mock = MockWeChat::start(MockConfig::default()).await;
    let client = nonblocking(&mock);
    mock.inject(Fault::Busy.on(USER_INFO).times(2));
    client.user().get("o").await.unwrap();
    assert_eq!(mock.calls(USER_INFO), 3);
    mock.inject(Fault::Busy.on(USER_INFO).times(3));
    let err = client.user().get("o").await.unwrap_err();
    assert_eq!(err.api_error().unwrap().code, -1, "bounded: gives up after 2 retries");
    mock.inject(Fault::Busy.on(SEND).times(1));
    let err = client.post(SEND, &send_body()).await.unwrap_err();
    assert_eq!(err.api_error().unwrap().code, -1);
    assert_eq!(mock.calls(SEND), 1, "a send is never retried");
}

#[test]
fn blocking_busy_is_retried_for_reads_only() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let client = blocking(&mock);
    mock.inject(Fault::Busy.on(USER_INFO).times(2));
    client.user().get("o").unwrap();
    assert_eq!(mock.calls(USER_INFO), 3);
    mock.inject(Fault::Busy.on(SEND).times(1));
    assert!(client.post(SEND, &send_body()).is_err());
    assert_eq!(mock.calls(SEND), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_a_send_that_times_out_is_not_duplicated() {
    let mock = MockWeChat::start(MockConfig::default()).await;
    let client = wechat_async::WeChatClient::builder(MOCK_MP_APPID, MOCK_MP_SECRET)
        .api_base(mock.base_url())
        .timeout(Duration::from_millis(400))
        .build();
    client.access_token().await.unwrap();
    mock.inject(Fault::DelayAfter(Duration::from_millis(1500)).on(SEND));
    let err = client.post(SEND, &send_body()).await.unwrap_err();
    assert!(
        matches!(
            err,
            wechat_async::Error::Transport {
                kind: "timeout",
                maybe_sent: true,
                ..
            }
        ),
        "{err:?}"
    );
    tokio::time::sleep(Duration::from_millis(1700)).await;
    assert_eq!(mock.processed(SEND), 1, "WeChat processed the send exactly once");
    assert_eq!(mock.calls(SEND), 1, "and the client did not replay it");
    // A read that times out is retried.
    mock.inject(Fault::DelayAfter(Duration::from_millis(1500)).on(USER_INFO));
    client.user().get("o").await.unwrap();
    assert_eq!(mock.calls(USER_INFO), 2);
}

#[test]
fn blocking_a_send_that_times_out_is_not_duplicated() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let client = wechat_blocking::WeChatClient::builder(MOCK_MP_APPID, MOCK_MP_SECRET)
        .api_base(mock.base_url())
        .timeout(Duration::from_millis(400))
        .build();
    client.access_token().unwrap();
    mock.inject(Fault::DelayAfter(Duration::from_millis(1500)).on(SEND));
    let started = Instant::now();
    let err = client.post(SEND, &send_body()).unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(1400), "the timeout fired");
    assert_eq!(err.kind(), "timeout");
    std::thread::sleep(Duration::from_millis(1700));
    assert_eq!(mock.processed(SEND), 1);
    assert_eq!(mock.calls(SEND), 1);
    // A dropped connection after processing: a send is not replayed either.
    mock.inject(Fault::DropAfter.on(SEND));
    assert!(client.post(SEND, &send_body()).is_err());
    assert_eq!(mock.processed(SEND), 2);
    assert_eq!(mock.calls(SEND), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_broken_responses_are_typed_errors() {
    let mock = MockWeChat::start(MockConfig::default()).await;
    let client = nonblocking(&mock);
    client.access_token().await.unwrap();
    mock.inject(Fault::TruncatedJson.on(USER_INFO));
    match client.user().get("o").await.unwrap_err() {
        wechat_async::Error::Core(wechat_core::Error::Response(ResponseError::Decode { body, .. })) => {
            assert!(!body.is_empty(), "the raw body is kept");
        }
        other => panic!("{other:?}"),
    }
    mock.inject(Fault::Html500.on(USER_INFO));
    match client.user().get("o").await.unwrap_err() {
        wechat_async::Error::Core(wechat_core::Error::Response(ResponseError::Status { status: 500, .. })) => {}
        other => panic!("{other:?}"),
    }
    mock.inject(Fault::Garbage.on(USER_INFO));
    assert_eq!(client.user().get("o").await.unwrap_err().kind(), "decode");
    // A dropped connection on a read is retried once and succeeds.
    mock.inject(Fault::Drop.on(USER_INFO));
    client.user().get("o").await.unwrap();
    // An oversized body is refused.
    let capped = wechat_async::WeChatClient::builder(MOCK_MP_APPID, MOCK_MP_SECRET)
        .api_base(mock.base_url())
        .configure(|c| c.max_response_bytes = 1000)
        .build();
    mock.set_binary_response("/cgi-bin/big/file", "image/jpeg", vec![0xff; 5000]);
    let err = capped.get("/cgi-bin/big/file", &[]).await.unwrap_err();
    assert_eq!(err.kind(), "response-too-large");
}

#[test]
fn blocking_broken_responses_are_typed_errors() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let client = blocking(&mock);
    client.access_token().unwrap();
    mock.inject(Fault::TruncatedJson.on(USER_INFO));
    assert_eq!(client.user().get("o").unwrap_err().kind(), "decode");
    mock.inject(Fault::Html500.on(USER_INFO));
    assert_eq!(client.user().get("o").unwrap_err().kind(), "http-status");
    mock.inject(Fault::Drop.on(USER_INFO));
    client.user().get("o").unwrap();
    let capped = wechat_blocking::WeChatClient::builder(MOCK_MP_APPID, MOCK_MP_SECRET)
        .api_base(mock.base_url())
        .configure(|c| c.max_response_bytes = 1000)
        .build();
    mock.set_binary_response("/cgi-bin/big/file", "image/jpeg", vec![0xff; 5000]);
    assert_eq!(
        capped.get("/cgi-bin/big/file", &[]).unwrap_err().kind(),
        "response-too-large"
    );
}

/// A server that answers every request with a chunked body (no Content-Length), which the
/// mock never does: the token, a user in three chunks, or 3 × 400 bytes of file.
fn chunked_server() -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let (content_type, chunks): (&str, Vec<Vec<u8>>) = if request_line.contains("/cgi-bin/token") {
                (
                    "application/json",
                    vec![br#"{"access_token":"T","expires_in":7200}"#.to_vec()],
                )
            } else if request_line.contains(USER_INFO) {
                let user = br#"{"subscribe":1,"openid":"o","nickname":"Band","tagid_list":[1,2]}"#;
                ("application/json", user.chunks(24).map(<[u8]>::to_vec).collect())
            } else {
                ("image/jpeg", vec![vec![0xff; 400]; 3])
            };
            let mut out = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
            )
            .into_bytes();
            for chunk in chunks {
                out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                out.extend_from_slice(&chunk);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n\r\n");
            let _ = stream.write_all(&out);
        }
    });
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_chunked_bodies_are_read_whole_and_capped() {
    let base = chunked_server();
    let client = wechat_async::WeChatClient::builder(MOCK_MP_APPID, MOCK_MP_SECRET)
        .api_base(base)
        .configure(|c| c.max_response_bytes = 1000)
        .build();
    let user = client.user().get("o").await.unwrap();
    assert_eq!((user.nickname.as_deref(), user.tagid_list), (Some("Band"), vec![1, 2]));
    let err = client.get("/cgi-bin/big/file", &[]).await.unwrap_err();
    assert_eq!(err.kind(), "response-too-large");
}

#[test]
fn blocking_chunked_bodies_are_read_whole_and_capped() {
    let base = chunked_server();
    let client = wechat_blocking::WeChatClient::builder(MOCK_MP_APPID, MOCK_MP_SECRET)
        .api_base(base)
        .configure(|c| c.max_response_bytes = 1000)
        .build();
    let user = client.user().get("o").unwrap();
    assert_eq!((user.nickname.as_deref(), user.tagid_list), (Some("Band"), vec![1, 2]));
    let err = client.get("/cgi-bin/big/file", &[]).unwrap_err();
    assert_eq!(err.kind(), "response-too-large");
}

// ---------------------------------------------------------------------------------------------
// WeCom, tickets, the raw escape hatch

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_client_keeps_one_token_per_agent_and_the_escape_hatch_shares_the_pipeline() {
    let mock = MockWeChat::start(MockConfig::default()).await;
    let client = wechat_async::work::WeChatClient::builder(MOCK_WORK_CORPID, MOCK_WORK_SECRET, Some(1000002))
        .api_base(mock.base_url())
        .configure(fast)
        .build_work();
    let v = client
        .get("/cgi-bin/user/get", &[("userid", "zhangsan")])
        .await
        .unwrap();
    assert_eq!(v["errcode"], 0);
    assert_eq!(mock.token_fetches().work, 1);
    // gettoken returns the same token while valid; a rejected token is healed through the same
    // replay rule as typed calls.
    mock.inject(Fault::errcode(42001).on("/cgi-bin/user/get"));
    client
        .get("/cgi-bin/user/get", &[("userid", "zhangsan")])
        .await
        .unwrap();
    assert_eq!(mock.token_fetches().work, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jsapi_ticket_is_cached_like_the_token() {
    use wechat_core::api::Caller;
    let mock = MockWeChat::start(MockConfig::default()).await;
    let client = nonblocking(&mock);
    let t1 = client.ticket(wechat_core::token::TicketKind::MpJsapi).await.unwrap();
    let t2 = client.ticket(wechat_core::token::TicketKind::MpJsapi).await.unwrap();
    assert_eq!(t1, t2);
    assert_eq!(mock.calls("/cgi-bin/ticket/getticket"), 1);
    assert_eq!(client.token_fetches(), 2, "one token, one ticket");
}

#[test]
fn custom_executor_example_drives_the_core_without_ureq_or_reqwest() {
    #[path = "../../core/examples/custom_executor.rs"]
    #[allow(dead_code)]
    mod custom_executor;
    let mock = MockWeChat::start_background(MockConfig::default());
    mock.set_response("/cgi-bin/menu/get", json!({"menu": {"button": []}}));
    let exec = custom_executor::run(&mock.base_url(), MOCK_MP_APPID, MOCK_MP_SECRET).unwrap();
    assert_eq!(mock.token_fetches().mp, 1);
    assert_eq!(exec.http_requests, 3, "one token fetch, two calls");
    // It follows the core's replay rule too.
    let mut exec = exec;
    mock.inject(Fault::errcode(40001).on("/cgi-bin/menu/get"));
    exec.call(&wechat_core::api::RawCall::get("/cgi-bin/menu/get")).unwrap();
    assert_eq!(mock.token_fetches().mp, 2);
}
