//! `wechat token` and `wechat api` against the mock WeChat server, and the cross-process
//! guarantee: 8 processes started together on a cold store (file, Redis, memcached) cause
//! exactly one token fetch, and exactly one more after WeChat expires the token.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use wechat_session::testing::{MemcachedServer, RedisServer};
use wechat_tests::{Fault, MOCK_MP_APPID, MOCK_MP_SECRET, MOCK_WORK_CORPID, MOCK_WORK_SECRET, MockConfig, MockWeChat};

fn wechat(mock: &MockWeChat, session: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wechat"));
    cmd.args(args)
        .env_remove("WECHAT_CORP_ID")
        .env("WECHAT_API_BASE", mock.base_url())
        .env("WECHAT_APP_ID", MOCK_MP_APPID)
        .env("WECHAT_SECRET", MOCK_MP_SECRET)
        .env("WECHAT_SESSION", session)
        .stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run wechat")
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}, stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn token_prints_the_token_and_its_expiry_and_reuses_the_store() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let dir = tempdir("token");
    let session = format!("file:{}/t.json", dir.display());
    let first = json(&run(&mut wechat(&mock, &session, &["token"])));
    let token = first["access_token"].as_str().unwrap();
    assert_eq!(mock.current_token(MOCK_MP_APPID).as_deref(), Some(token));
    let expires_at = first["expires_at"].as_u64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!((now + 7100..=now + 7300).contains(&expires_at), "{expires_at} vs {now}");
    // A second process reads it from the store.
    let second = json(&run(&mut wechat(&mock, &session, &["token"])));
    assert_eq!(second, first);
    assert_eq!(mock.token_fetches().mp, 1);
    // --force fetches a new one.
    let forced = json(&run(&mut wechat(&mock, &session, &["token", "--force"])));
    assert_ne!(forced["access_token"], first["access_token"]);
    assert_eq!(mock.token_fetches().mp, 2);
    // --stable uses POST /cgi-bin/stable_token.
    let stable = json(&run(&mut wechat(&mock, "memory", &["token", "--stable"])));
    assert!(stable["access_token"].as_str().unwrap().len() > 5);
    assert_eq!(mock.token_fetches().stable, 1);
}

#[test]
fn api_prints_the_body_and_failures_are_one_line_with_errcode() {
    let mock = MockWeChat::start_background(MockConfig::default());
    mock.set_response(
        "/cgi-bin/menu/get",
        serde_json::json!({"menu": {"button": [{"type": "click", "name": "今日歌曲", "key": "V1001"}]}}),
    );
    let out = run(&mut wechat(&mock, "memory", &["api", "GET", "/cgi-bin/menu/get"]));
    assert_eq!(json(&out)["menu"]["button"][0]["key"], "V1001");
    // POST with --json, and --query.
    let out = run(&mut wechat(
        &mock,
        "memory",
        &[
            "api",
            "POST",
            "/cgi-bin/message/custom/send",
            "--json",
            r#"{"touser":"o","msgtype":"text","text":{"content":"hi"}}"#,
        ],
    ));
    assert!(out.status.success());
    let sent = mock.requests_to("/cgi-bin/message/custom/send");
    assert_eq!(sent[0].body_json().unwrap()["text"]["content"], "hi");
    // WeChat's refusal: exit 1, one line with errcode and errmsg, no secret.
    mock.inject(Fault::errcode(45009).on("/cgi-bin/menu/get"));
    let out = run(&mut wechat(&mock, "memory", &["api", "GET", "/cgi-bin/menu/get"]));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: rate-limited: ") && stderr.contains("45009"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(MOCK_MP_SECRET) && !stderr.contains("MOCK_mp"),
        "{stderr}"
    );
    // A wrong secret: never echoed.
    let out = run(wechat(&mock, "memory", &["token"]).env("WECHAT_SECRET", "not-the-secret"));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("40125") && !stderr.contains("not-the-secret"),
        "{stderr}"
    );
    // Usage errors exit 2.
    assert_eq!(
        run(&mut wechat(&mock, "memory", &["api", "DELETE", "/x"]))
            .status
            .code(),
        Some(2)
    );
    assert_eq!(run(&mut wechat(&mock, "memory", &["api"])).status.code(), Some(2));
    let out = run(wechat(&mock, "memory", &["token"]).env_remove("WECHAT_APP_ID"));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_truncated_answer_is_a_decode_error_not_success() {
    let mock = MockWeChat::start_background(MockConfig::default());
    const SEND: &str = "/cgi-bin/message/custom/send";
    let body = r#"{"touser":"o","msgtype":"text","text":{"content":"hi"}}"#;
    // A send: exit 1, `error: decode: …`, nothing on stdout, and the warning that it may
    // have been delivered (it was not replayed).
    mock.inject(Fault::TruncatedJson.on(SEND));
    let out = run(&mut wechat(&mock, "memory", &["api", "POST", SEND, "--json", body]));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: decode: "), "{stderr}");
    assert!(stderr.contains("may have been carried out"), "{stderr}");
    assert_eq!(mock.processed(SEND), 1);
    // A read: the same decode error (a GET is retried only after transport failures and
    // -1, not after an unreadable answer), without the warning.
    mock.inject(Fault::TruncatedJson.on("/cgi-bin/user/info"));
    let out = run(&mut wechat(
        &mock,
        "memory",
        &["api", "GET", "/cgi-bin/user/info", "--query", "openid=o"],
    ));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: decode: ") && !stderr.contains("carried out"),
        "{stderr}"
    );
}

#[test]
fn api_repeat_reports_statistics() {
    let mock = MockWeChat::start_background(MockConfig {
        record_requests: false,
        ..MockConfig::default()
    });
    let out = run(&mut wechat(
        &mock,
        "memory",
        &[
            "api",
            "GET",
            "/cgi-bin/user/info",
            "--query",
            "openid=o1",
            "--repeat",
            "300",
            "--concurrency",
            "32",
        ],
    ));
    let stats = json(&out);
    assert_eq!(stats["ok"], 300);
    assert_eq!(stats["errors"], serde_json::json!({}));
    assert_eq!(
        stats["token_fetches"], 1,
        "300 calls at concurrency 32, one token fetch"
    );
    assert!(stats["p50_ms"].as_f64().unwrap() > 0.0);
    assert!(stats["p99_ms"].as_f64().unwrap() >= stats["p50_ms"].as_f64().unwrap());
    assert!(stats["per_sec"].as_f64().unwrap() > 0.0);
    assert_eq!(mock.calls("/cgi-bin/user/info"), 300);
    // Errors are counted by kind.
    mock.inject(Fault::errcode(40003).on("/cgi-bin/user/info").times(5));
    let stats = json(&run(&mut wechat(
        &mock,
        "memory",
        &[
            "api",
            "GET",
            "/cgi-bin/user/info",
            "--repeat",
            "20",
            "--concurrency",
            "4",
        ],
    )));
    assert_eq!(stats["ok"], 15);
    assert_eq!(stats["errors"]["api-error"], 5);
}

#[test]
fn work_credentials_from_flags() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let out = run(wechat(
        &mock,
        "memory",
        &["api", "GET", "/cgi-bin/user/get", "--query", "userid=zhangsan"],
    )
    .env_remove("WECHAT_APP_ID")
    .args([
        "--corp-id",
        MOCK_WORK_CORPID,
        "--corp-secret",
        MOCK_WORK_SECRET,
        "--agent-id",
        "1000002",
    ]));
    assert_eq!(json(&out)["errcode"], 0);
    assert_eq!(mock.token_fetches().work, 1);
}

/// Starts 8 `wechat api` processes at once against `session` and checks they all succeed.
fn eight_processes(mock: &MockWeChat, session: &str) {
    let children: Vec<_> = (0..8)
        .map(|_| {
            wechat(
                mock,
                session,
                &["api", "GET", "/cgi-bin/user/info", "--query", "openid=o1"],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn wechat")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    }
}

fn cross_process(session: &str) {
    let mock = MockWeChat::start_background(MockConfig::default());
    // A slow token endpoint, so all 8 processes are in flight during the first fetch.
    mock.inject(Fault::DelayBefore(Duration::from_millis(400)).on("/cgi-bin/token"));
    eight_processes(&mock, session);
    assert_eq!(
        mock.token_fetches().mp,
        1,
        "8 processes on a cold {session} store: exactly one fetch"
    );
    assert_eq!(mock.calls("/cgi-bin/user/info"), 8);
    // WeChat expires the token: every process meets 42001 and replays once; one refresh.
    mock.advance(Duration::from_secs(7300));
    mock.inject(Fault::DelayBefore(Duration::from_millis(400)).on("/cgi-bin/token"));
    eight_processes(&mock, session);
    assert_eq!(
        mock.token_fetches().mp,
        2,
        "after expiry on {session}: exactly one more fetch"
    );
}

#[test]
fn eight_processes_share_one_token_through_a_file_store() {
    let dir = tempdir("cross");
    cross_process(&format!("file:{}/shared.json", dir.display()));
}

#[test]
fn eight_processes_share_one_token_through_redis() {
    let Some(redis) = RedisServer::start() else { return };
    cross_process(&redis.url());
}

#[test]
fn eight_processes_share_one_token_through_memcached() {
    let Some(memcached) = MemcachedServer::start() else {
        return;
    };
    cross_process(&memcached.url());
}

#[test]
fn a_dead_store_fails_fast_or_falls_back_when_asked() {
    let mock = MockWeChat::start_background(MockConfig::default());
    // Nothing listens on port 9 (discard) on loopback.
    let started = Instant::now();
    let out = run(&mut wechat(
        &mock,
        "redis://127.0.0.1:9/0",
        &["api", "GET", "/cgi-bin/user/info"],
    ));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "fails fast: {:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("error: store: "), "{stderr}");
    assert_eq!(mock.token_fetches().mp, 0, "no fetch behind the store's back");
    // --store-fallback: a per-process token, with a warning.
    let out = run(&mut wechat(
        &mock,
        "redis://127.0.0.1:9/0",
        &["api", "GET", "/cgi-bin/user/info", "--store-fallback"],
    ));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("warning: token store unavailable"), "{stderr}");
    assert_eq!(mock.token_fetches().mp, 1);
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wechat-cli-{name}-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[test]
fn the_quota_guard_refuses_past_the_daily_budget() {
    use wechat_core::time::UnixTime;
    use wechat_session::{FileStore, SessionStore};
    let mock = MockWeChat::start_background(MockConfig::default());
    let dir = tempdir("quota");
    let path = dir.join("q.json");
    let now = UnixTime(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    );
    // 2000 fetches already counted today (China time) for this account.
    let counter = format!("wechat:mp:{MOCK_MP_APPID}:access_token:fetches:{}", now.beijing_day());
    FileStore::new(&path)
        .set(&counter, "2000", Some(Duration::from_secs(86_400)))
        .unwrap();
    let out = run(&mut wechat(&mock, &format!("file:{}", path.display()), &["token"]));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: token-quota: ") && stderr.contains("2000"),
        "{stderr}"
    );
    assert_eq!(mock.token_fetches().mp, 0, "the guard refused before calling WeChat");
}
