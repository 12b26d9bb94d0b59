//! The mock under load: 1000+ simultaneous connections and concurrent token fetches.

use core::time::Duration;
use std::collections::HashSet;
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use wechat_tests::raw_http::{self, RawResponse};
use wechat_tests::{MOCK_MP_APPID, MOCK_MP_SECRET, MOCK_WORK_CORPID, MOCK_WORK_SECRET, MockConfig, MockWeChat};

const CONNECTIONS: usize = 1100;

/// Reads one complete answer (head + `Content-Length` body) from a keep-alive connection.
async fn read_answer(stream: &mut TcpStream) -> RawResponse {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if buf.len() >= head_end + 4 + len {
                return raw_http::parse_response(&buf).unwrap();
            }
        }
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(
            n > 0,
            "connection closed mid-answer: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn blocking_get(base: String, path: String) -> RawResponse {
    tokio::task::spawn_blocking(move || raw_http::get(&base, &path).unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_more_than_a_thousand_simultaneous_connections() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let base = mock.base_url();
    let token_path =
        format!("/cgi-bin/token?grant_type=client_credential&appid={MOCK_MP_APPID}&secret={MOCK_MP_SECRET}");
    let token = blocking_get(base.clone(), token_path).await.json().unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    // Open every connection first, so that they are all open at the same time.
    let mut streams = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        streams.push(TcpStream::connect(mock.addr()).await.unwrap());
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while mock.open_connections() < CONNECTIONS {
        assert!(
            Instant::now() < deadline,
            "only {} connections accepted",
            mock.open_connections()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let mut tasks = JoinSet::new();
    for (i, mut stream) in streams.into_iter().enumerate() {
        let token = token.clone();
        tasks.spawn(async move {
            let mut answers = Vec::new();
            // Two requests per keep-alive connection.
            for round in 0..2 {
                let req = format!(
                    "POST /cgi-bin/message/custom/send?access_token={token} HTTP/1.1\r\nHost: mock\r\n\
                     Content-Type: application/json\r\nContent-Length: {len}\r\n\r\n{body}",
                    body = format_args!("{{\"touser\":\"o{i}\",\"round\":{round}}}"),
                    len = format!("{{\"touser\":\"o{i}\",\"round\":{round}}}").len(),
                );
                stream.write_all(req.as_bytes()).await.unwrap();
                answers.push(read_answer(&mut stream).await);
            }
            answers
        });
    }
    let mut ok = 0;
    while let Some(answers) = tasks.join_next().await {
        for r in answers.unwrap() {
            assert_eq!((r.status, r.errcode()), (200, Some(0)));
            ok += 1;
        }
    }
    let send = "/cgi-bin/message/custom/send";
    assert_eq!(ok, 2 * CONNECTIONS);
    assert_eq!(mock.processed(send), 2 * CONNECTIONS as u64);
    assert_eq!(mock.distinct_processed(send), 2 * CONNECTIONS);
    assert_eq!(mock.requests_to(send).len(), 2 * CONNECTIONS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_token_fetches_are_consistent() {
    const N: usize = 200;
    let mock = MockWeChat::start_background(MockConfig::default());
    let base = mock.base_url();
    let mut tasks = JoinSet::new();
    for i in 0..2 * N {
        let path = if i % 2 == 0 {
            format!("/cgi-bin/token?grant_type=client_credential&appid={MOCK_MP_APPID}&secret={MOCK_MP_SECRET}")
        } else {
            format!("/cgi-bin/gettoken?corpid={MOCK_WORK_CORPID}&corpsecret={MOCK_WORK_SECRET}")
        };
        tasks.spawn(blocking_get(base.clone(), path));
    }
    let mut mp = HashSet::new();
    let mut work = HashSet::new();
    while let Some(r) = tasks.join_next().await {
        let body = r.unwrap().json().unwrap();
        let token = body["access_token"].as_str().unwrap().to_owned();
        if body.get("errcode").is_some() {
            work.insert(token);
        } else {
            mp.insert(token);
        }
    }
    // mp: a new token per call; WeCom: one token for everyone.
    assert_eq!((mp.len(), work.len()), (N, 1));
    let generations: HashSet<u64> = mp.iter().map(|t| mock.token_info(t).unwrap().generation).collect();
    assert_eq!(generations, (1..=N as u64).collect());
    let fetches = mock.token_fetches();
    assert_eq!(
        (fetches.mp, fetches.work, fetches.issued),
        (N as u64, N as u64, N as u64 + 1)
    );
    // Exactly one mp token is current; all the others are in their grace period.
    let current = mock.current_token(MOCK_MP_APPID).unwrap();
    assert_eq!(mock.token_info(&current).unwrap().generation, N as u64);
    mock.advance(Duration::from_secs(301));
    let still_valid: Vec<&String> = mp
        .iter()
        .filter(|t| {
            let r = raw_http::get(&base, &format!("/cgi-bin/user/info?access_token={t}")).unwrap();
            r.errcode() == Some(0)
        })
        .collect();
    assert_eq!(still_valid, vec![&current]);
}
