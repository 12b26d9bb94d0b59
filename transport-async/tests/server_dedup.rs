//! Deduplication of WeChat's retries over loopback: the handler runs once per message;
//! retries get the stored reply (encrypted with their own timestamp and nonce) or, while the
//! first is still being handled, `success`; only a true retry (the same plaintext) matches,
//! and only on the same endpoint; marks outlive the timestamp window; instances sharing a
//! store share the marks; a failing store degrades to no deduplication, never to a 5xx.
#![cfg(feature = "server")]

mod server_common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use server_common::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use wechat_async::server::{CallbackConfig, CallbackHandler, CallbackServer, Kind, Message, Mode, Reply};
use wechat_async::wechat_core::crypto::MessageCrypto;
use wechat_async::wechat_core::secret::CallbackToken;
use wechat_async::wechat_session::{AsyncSessionStore, AsyncTokenStore, BoxFuture, MemoryStore, StoreError};

/// A handler that counts its runs, sleeps `delay`, then echoes with the run number.
fn counting(
    delay: Duration,
) -> (
    Arc<AtomicUsize>,
    impl Fn(Message) -> BoxFuture<'static, Option<Reply>> + Send + Sync + 'static,
) {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let handler = move |message: Message| -> BoxFuture<'static, Option<Reply>> {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            Some(Reply::text(&message, format!("run {n}")))
        })
    };
    (runs, handler)
}

fn safe_handler() -> CallbackHandler {
    CallbackHandler::new(CallbackConfig::mp_encrypted(Mode::Safe, TOKEN, KEY, APP).unwrap()).unwrap()
}

fn plain_handler() -> CallbackHandler {
    CallbackHandler::new(CallbackConfig::mp_plain(TOKEN)).unwrap()
}

#[tokio::test]
async fn retries_get_the_stored_reply_encrypted_with_their_own_nonce() {
    capture_logs();
    let crypto = crypto();
    let (runs, handler) = counting(Duration::ZERO);
    let addr = start(CallbackServer::new(safe_handler(), handler)).await;
    let xml = text_xml("once", 1001);

    let mut replies = Vec::new();
    for attempt in 0..3 {
        // WeChat signs each retry afresh
        let ts = (now() - attempt).to_string();
        let nonce = format!("retry-{attempt}");
        let (q, body) = encrypted_request(Kind::Mp, &crypto, &xml, &ts, &nonce);
        let r = post(addr, &q, &body).await;
        r.clean();
        assert_eq!(r.status, 200, "{}", r.body);
        replies.push(open_envelope(&crypto, &r.body, &ts, &nonce));
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the handler ran once");
    assert_eq!(reply_content(&replies[0]), "run 1");
    assert_eq!(replies[1], replies[0], "the retry's reply is the first reply");
    assert_eq!(replies[2], replies[0]);

    // another message is not a duplicate
    let ts = now_ts();
    let (q, body) = encrypted_request(Kind::Mp, &crypto, &text_xml("other", 1002), &ts, "o");
    let r = post(addr, &q, &body).await;
    assert_eq!(reply_content(&open_envelope(&crypto, &r.body, &ts, "o")), "run 2");
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert_logs_clean();
}

#[tokio::test]
async fn a_retry_while_the_handler_runs_gets_success_and_a_later_one_the_reply() {
    capture_logs();
    let (runs, handler) = counting(Duration::from_millis(800));
    let addr = start(CallbackServer::new(plain_handler(), handler)).await;
    let xml = text_xml("slow", 2001);

    let (q1, body1) = plain_request(&xml, "first");
    let first = tokio::spawn(async move { post(addr, &q1, &body1).await });
    tokio::time::sleep(Duration::from_millis(200)).await;

    // a retry while the first is still being handled: `success` at once
    let started = Instant::now();
    let (q2, body2) = plain_request(&xml, "second");
    post(addr, &q2, &body2).await.expect(200, "success");
    assert!(!first.is_finished(), "answered without waiting for the first");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );

    let first = first.await.unwrap();
    assert_eq!(first.status, 200);
    assert_eq!(reply_content(&first.body), "run 1");

    // a retry after the reply was stored: the same reply, byte for byte
    let (q3, body3) = plain_request(&xml, "third");
    let third = post(addr, &q3, &body3).await;
    assert_eq!((third.status, &third.body), (200, &first.body));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_logs_clean();
}

#[tokio::test]
async fn the_handler_finishes_after_wechat_hangs_up_and_the_retry_gets_its_reply() {
    capture_logs();
    let (runs, handler) = counting(Duration::from_millis(500));
    let addr = start(CallbackServer::new(plain_handler(), handler)).await;
    let xml = text_xml("hang up", 3001);

    // WeChat gives up on the first attempt (here after 100 ms instead of 5 s)
    let (q, body) = plain_request(&xml, "a1");
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "POST /?{q} HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(s);

    tokio::time::sleep(Duration::from_millis(700)).await;
    let (q, body) = plain_request(&xml, "a2");
    let r = post(addr, &q, &body).await;
    assert_eq!(r.status, 200);
    assert_eq!(reply_content(&r.body), "run 1", "the abandoned handler's reply");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn no_reply_and_panics_are_remembered_as_no_reply() {
    capture_logs();
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let server = CallbackServer::new(plain_handler(), move |message: Message| {
        counter.fetch_add(1, Ordering::SeqCst);
        async move {
            match message.id {
                Some(4001) => None,
                Some(4002) => panic!("dedup panic test"),
                _ => Some(Reply::text(&message, "x")),
            }
        }
    });
    let addr = start(server).await;
    for id in [4001, 4002] {
        let xml = text_xml("quiet", id);
        for attempt in 0..3 {
            let (q, body) = plain_request(&xml, &format!("q{attempt}"));
            post(addr, &q, &body).await.expect(200, "success");
        }
    }
    assert_eq!(runs.load(Ordering::SeqCst), 2, "each message handled once");
    // an event (no MsgId) resent as is: the same plaintext, a retry
    let evt = format!(
        "<xml><ToUserName>gh_1</ToUserName><FromUserName>oUser</FromUserName><CreateTime>{}</CreateTime>\
         <MsgType>event</MsgType><Event>CLICK</Event><EventKey>K</EventKey></xml>",
        now()
    );
    let mut answers = Vec::new();
    for attempt in 0..3 {
        let (q, body) = plain_request(&evt, &format!("e{attempt}"));
        let r = post(addr, &q, &body).await;
        assert_eq!((r.status, reply_content(&r.body)), (200, String::from("x")));
        answers.push(r.body);
    }
    assert!(answers.iter().all(|a| *a == answers[0]));
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    assert_logs_clean();
}

#[tokio::test]
async fn instances_sharing_a_store_share_the_marks() {
    capture_logs();
    let store = Arc::new(Recording::default());
    let (runs, handler) = counting(Duration::ZERO);
    let handler = Arc::new(handler);
    let mk = |store: Arc<Recording>| {
        let h = handler.clone();
        CallbackServer::builder(safe_handler(), move |m| h(m))
            .dedup_store(store)
            .key_prefix("acme")
            .dedup_ttl(Duration::from_secs(60))
            .build()
    };
    let a = start(mk(store.clone())).await;
    let b = start(mk(store.clone())).await;
    let crypto = crypto();
    let xml = text_xml("balanced", 5001);

    let ts = now_ts();
    let (q, body) = encrypted_request(Kind::Mp, &crypto, &xml, &ts, "lb1");
    let first = open_envelope(&crypto, &post(a, &q, &body).await.body, &ts, "lb1");
    let (q, body) = encrypted_request(Kind::Mp, &crypto, &xml, &ts, "lb2");
    let second = open_envelope(&crypto, &post(b, &q, &body).await.body, &ts, "lb2");
    assert_eq!(first, second);
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    // the key format (the default scope: 12 hex digits), and what is stored: plaintext
    // reply XML, no secrets
    let keys = store.keys();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let scope = keys[0]
        .strip_prefix("acme:callback:mp:")
        .and_then(|k| k.strip_suffix(":gh_1:-:msg:5001"))
        .unwrap_or_else(|| panic!("{}", keys[0]));
    assert!(
        scope.len() == 12 && scope.bytes().all(|b| b.is_ascii_hexdigit()),
        "{scope}"
    );
    assert_no_secret("a store key", &keys[0]);
    let stored = AsyncSessionStore::get(&*store, &keys[0])
        .await
        .unwrap()
        .expect("the mark");
    assert_eq!(stored, format!("reply:{first}"));
    assert_no_secret("a stored value", &stored);
    assert_eq!(store.inner.len(), 1);
}

fn click(key: &str, create_time: u64) -> String {
    format!(
        "<xml><ToUserName>gh_1</ToUserName><FromUserName>oUser</FromUserName><CreateTime>{create_time}</CreateTime>\
         <MsgType>event</MsgType><Event>CLICK</Event><EventKey>{key}</EventKey></xml>"
    )
}

#[tokio::test]
async fn two_clicks_in_one_second_with_different_keys_both_reach_the_handler() {
    capture_logs();
    let (runs, handler) = counting(Duration::ZERO);
    let addr = start(CallbackServer::new(plain_handler(), handler)).await;
    // the same user, the same second, the same event: only the EventKey differs
    let second = now();
    for (key, expected) in [("MENU_A", "run 1"), ("MENU_B", "run 2")] {
        let (q, body) = plain_request(&click(key, second), key);
        let r = post(addr, &q, &body).await;
        assert_eq!(
            (r.status, reply_content(&r.body)),
            (200, String::from(expected)),
            "{key}"
        );
    }
    assert_eq!(runs.load(Ordering::SeqCst), 2, "both clicks were handled");
    assert_logs_clean();
}

#[tokio::test]
async fn a_true_retry_of_an_event_is_answered_from_the_store() {
    capture_logs();
    let crypto = crypto();
    let (runs, handler) = counting(Duration::ZERO);
    let addr = start(CallbackServer::new(safe_handler(), handler)).await;
    let evt = click("MENU_RETRY", now());
    let mut replies = Vec::new();
    for attempt in 0..3 {
        // each retry is signed and encrypted afresh, the plaintext is the same
        let ts = (now() - attempt).to_string();
        let nonce = format!("r{attempt}");
        let (q, body) = encrypted_request(Kind::Mp, &crypto, &evt, &ts, &nonce);
        let r = post(addr, &q, &body).await;
        assert_eq!(r.status, 200, "{}", r.body);
        replies.push(open_envelope(&crypto, &r.body, &ts, &nonce));
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the handler ran once");
    assert_eq!(reply_content(&replies[0]), "run 1");
    assert!(replies.iter().all(|r| *r == replies[0]), "{replies:?}");
    assert_logs_clean();
}

/// A second WeCom agent of the same corp: its own token and EncodingAESKey.
const TOKEN_B: &str = "agentB-t0ken-Xq3";
const KEY_B: &str = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM";
const CORP: &str = "wwcorp0123456789";

#[tokio::test]
async fn two_agents_sharing_a_store_both_handle_one_change_contact_event() {
    capture_logs();
    let agents = [(TOKEN, KEY), (TOKEN_B, KEY_B)];
    // byte-identical for both agents: no AgentID, no MsgId
    let evt = format!(
        "<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_contact]]></Event>\
         <ChangeType><![CDATA[update_user]]></ChangeType><UserID><![CDATA[zhangsan]]></UserID></xml>",
        now()
    );
    let send = |addr, (token, key): (&str, &str), nonce: &'static str| {
        let crypto = MessageCrypto::new(CallbackToken::new(token), key, CORP).unwrap();
        let ts = now_ts();
        let (q, body) = encrypted_request(Kind::Work, &crypto, &evt, &ts, nonce);
        async move {
            let r = post(addr, &q, &body).await;
            r.clean();
            assert_eq!(r.status, 200, "{}", r.body);
            reply_content(&open_envelope(&crypto, &r.body, &ts, nonce))
        }
    };

    // default scopes: each agent handles the event once, a retry is answered from the store
    let store = Arc::new(Recording::default());
    let (runs, handler) = counting(Duration::ZERO);
    let handler = Arc::new(handler);
    let mut addrs = Vec::new();
    for (token, key) in agents {
        let config = CallbackConfig::work(token, key, CORP).unwrap();
        let h = handler.clone();
        let server = CallbackServer::builder(CallbackHandler::new(config).unwrap(), move |m| h(m))
            .dedup_store(store.clone())
            .build();
        addrs.push(start(server).await);
    }
    assert_eq!(send(addrs[0], agents[0], "a").await, "run 1");
    assert_eq!(send(addrs[1], agents[1], "b").await, "run 2");
    assert_eq!(send(addrs[1], agents[1], "b2").await, "run 2", "B's retry");
    assert_eq!(send(addrs[0], agents[0], "a2").await, "run 1", "A's retry");
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    let keys = store.keys();
    assert_eq!(keys.len(), 2, "{keys:?}");
    for key in &keys {
        assert!(!key.contains(TOKEN_B) && !key.contains(&KEY_B[..20]), "{key}");
        assert_no_secret("a store key", key);
    }

    // one explicit scope: the two endpoints share their marks
    let store = Arc::new(Recording::default());
    let (runs, handler) = counting(Duration::ZERO);
    let handler = Arc::new(handler);
    let mut addrs = Vec::new();
    for (token, key) in agents {
        let config = CallbackConfig::work(token, key, CORP).unwrap();
        let h = handler.clone();
        let server = CallbackServer::builder(CallbackHandler::new(config).unwrap(), move |m| h(m))
            .dedup_store(store.clone())
            .dedup_scope("corp-contacts")
            .build();
        addrs.push(start(server).await);
    }
    assert_eq!(send(addrs[0], agents[0], "a").await, "run 1");
    assert_eq!(send(addrs[1], agents[1], "b").await, "run 1");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    let keys = store.keys();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(
        keys[0].starts_with(&format!("wechat:callback:work:corp-contacts:{CORP}:-:evt:")),
        "{}",
        keys[0]
    );
    assert_logs_clean();
}

#[tokio::test]
async fn marks_live_at_least_twice_the_timestamp_window() {
    capture_logs();
    let window = |secs: Option<u64>| {
        let mut config = CallbackConfig::mp_plain(TOKEN);
        config.timestamp_window = secs.map(Duration::from_secs);
        CallbackHandler::new(config).unwrap()
    };
    // (window, configured ttl, the ttl the store must see)
    let cases = [
        (Some(300), None, 600),        // the default window: 600 s
        (Some(400), None, 800),        // a longer window: twice the window
        (Some(60), None, 600),         // a shorter one: still DEFAULT_DEDUP_TTL
        (Some(400), Some(10), 800),    // too short: raised to twice the window
        (Some(300), Some(3600), 3600), // longer: kept
        (None, None, 600),             // no window: DEFAULT_DEDUP_TTL
        (None, Some(30), 30),          // no window to outlive: as configured
    ];
    for (i, (secs, ttl, expected)) in cases.into_iter().enumerate() {
        let store = Arc::new(Recording::default());
        let (_, handler) = counting(Duration::ZERO);
        let mut builder = CallbackServer::builder(window(secs), handler).dedup_store(store.clone());
        if let Some(ttl) = ttl {
            builder = builder.dedup_ttl(Duration::from_secs(ttl));
        }
        let addr = start(builder.build()).await;
        let (q, body) = plain_request(&text_xml("ttl", 8000 + i as u64), "n");
        assert_eq!(post(addr, &q, &body).await.status, 200);
        let expected = Some(Duration::from_secs(expected));
        let ttls = store.ttls();
        // set_nx (pending), then set (the reply)
        assert_eq!(ttls, [expected, expected], "case {i}: window {secs:?}, ttl {ttl:?}");
    }
    assert_eq!(wechat_async::server::DEFAULT_DEDUP_TTL, Duration::from_secs(600));
}

/// A [`MemoryStore`] that records the keys and TTLs of its writes.
#[derive(Default)]
struct Recording {
    inner: MemoryStore,
    writes: Mutex<Vec<(String, Option<Duration>)>>,
}

impl Recording {
    fn record(&self, key: &str, ttl: Option<Duration>) {
        self.writes.lock().unwrap().push((key.to_string(), ttl));
    }

    /// The keys written, in first-write order.
    fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for (key, _) in self.writes.lock().unwrap().iter() {
            if !keys.contains(key) {
                keys.push(key.clone());
            }
        }
        keys
    }

    fn ttls(&self) -> Vec<Option<Duration>> {
        self.writes.lock().unwrap().iter().map(|(_, ttl)| *ttl).collect()
    }
}

impl AsyncSessionStore for Recording {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        AsyncSessionStore::get(&self.inner, key)
    }
    fn set<'a>(&'a self, key: &'a str, value: &'a str, ttl: Option<Duration>) -> BoxFuture<'a, Result<(), StoreError>> {
        self.record(key, ttl);
        AsyncSessionStore::set(&self.inner, key, value, ttl)
    }
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        AsyncSessionStore::delete(&self.inner, key)
    }
}

impl AsyncTokenStore for Recording {
    fn set_nx<'a>(&'a self, key: &'a str, value: &'a str, ttl: Duration) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.record(key, Some(ttl));
        AsyncTokenStore::set_nx(&self.inner, key, value, ttl)
    }
    fn compare_and_delete<'a>(&'a self, key: &'a str, value: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        AsyncTokenStore::compare_and_delete(&self.inner, key, value)
    }
    fn incr<'a>(&'a self, key: &'a str, ttl: Duration) -> BoxFuture<'a, Result<u64, StoreError>> {
        AsyncTokenStore::incr(&self.inner, key, ttl)
    }
    fn compare_and_set<'a>(
        &'a self,
        key: &'a str,
        expected: Option<&'a str>,
        value: &'a str,
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.record(key, ttl);
        AsyncTokenStore::compare_and_set(&self.inner, key, expected, value, ttl)
    }
}

#[tokio::test]
async fn dedup_off_runs_every_time() {
    let (runs, handler) = counting(Duration::ZERO);
    let addr = start(CallbackServer::builder(plain_handler(), handler).dedup(false).build()).await;
    let xml = text_xml("again", 6001);
    for i in 0..3 {
        let (q, body) = plain_request(&xml, "n");
        let r = post(addr, &q, &body).await;
        assert_eq!(reply_content(&r.body), format!("run {}", i + 1));
    }
    assert_eq!(runs.load(Ordering::SeqCst), 3);
}

/// A store whose every call fails (Redis down).
struct DownStore;

fn down<T>() -> BoxFuture<'static, Result<T, StoreError>> {
    Box::pin(async { Err(StoreError::Unavailable("connection refused".into())) })
}

impl AsyncSessionStore for DownStore {
    fn get<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        down()
    }
    fn set<'a>(&'a self, _: &'a str, _: &'a str, _: Option<Duration>) -> BoxFuture<'a, Result<(), StoreError>> {
        down()
    }
    fn delete<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        down()
    }
}

impl AsyncTokenStore for DownStore {
    fn set_nx<'a>(&'a self, _: &'a str, _: &'a str, _: Duration) -> BoxFuture<'a, Result<bool, StoreError>> {
        down()
    }
    fn compare_and_delete<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        down()
    }
    fn compare_and_set<'a>(
        &'a self,
        _: &'a str,
        _: Option<&'a str>,
        _: &'a str,
        _: Option<Duration>,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        down()
    }
    fn incr<'a>(&'a self, _: &'a str, _: Duration) -> BoxFuture<'a, Result<u64, StoreError>> {
        down()
    }
}

#[tokio::test]
async fn a_failing_store_means_no_dedup_not_a_5xx() {
    capture_logs();
    let (runs, handler) = counting(Duration::ZERO);
    let server = CallbackServer::builder(plain_handler(), handler)
        .dedup_store(Arc::new(DownStore))
        .build();
    let addr = start(server).await;
    let xml = text_xml("store down", 7001);
    for i in 0..3 {
        let (q, body) = plain_request(&xml, "n");
        let r = post(addr, &q, &body).await;
        assert_eq!(r.status, 200);
        assert_eq!(reply_content(&r.body), format!("run {}", i + 1));
    }
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    assert!(
        logs()
            .iter()
            .any(|l| l.starts_with("WARN") && l.contains("store unavailable: connection refused")),
        "the store failure is logged"
    );
    assert_logs_clean();
}
