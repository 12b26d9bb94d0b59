//! The mock WeChat server's own spec, exercised over real loopback HTTP.
//!
//! Other tests rely on exactly these behaviours, so each test pins one of them down.

use core::time::Duration;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::Instant;

use serde_json::{Value, json};
use wechat_tests::raw_http::{self, FormPart, RawResponse, get, post, post_json};
use wechat_tests::{
    Fault, MOCK_MP_APPID, MOCK_MP_SECRET, MOCK_WORK_CORPID, MOCK_WORK_SECRET, MockConfig, MockWeChat, Outcome,
    TokenInfo, TokenKind, errcode,
};

// ----- helpers ------------------------------------------------------------------------------

fn start() -> MockWeChat {
    MockWeChat::start_background(MockConfig::default())
}

fn token_path(appid: &str, secret: &str) -> String {
    format!("/cgi-bin/token?grant_type=client_credential&appid={appid}&secret={secret}")
}

fn fetch(mock: &MockWeChat) -> String {
    let r = get(&mock.base_url(), &token_path(MOCK_MP_APPID, MOCK_MP_SECRET)).unwrap();
    let body = r.json().expect("token answer is JSON");
    body["access_token"].as_str().expect("a token").to_owned()
}

fn stable(mock: &MockWeChat, force: bool) -> Value {
    let body = json!({"grant_type": "client_credential", "appid": MOCK_MP_APPID,
                      "secret": MOCK_MP_SECRET, "force_refresh": force});
    post_json(&mock.base_url(), "/cgi-bin/stable_token", &body)
        .unwrap()
        .json()
        .unwrap()
}

fn work_fetch(mock: &MockWeChat, secret: &str) -> Value {
    let path = format!("/cgi-bin/gettoken?corpid={MOCK_WORK_CORPID}&corpsecret={secret}");
    get(&mock.base_url(), &path).unwrap().json().unwrap()
}

fn call(mock: &MockWeChat, path: &str, token: &str) -> RawResponse {
    get(&mock.base_url(), &format!("{path}?access_token={token}")).unwrap()
}

/// The errcode of an API call; `0` for a success.
fn code(mock: &MockWeChat, path: &str, token: &str) -> i64 {
    call(mock, path, token).errcode().expect("a JSON errcode")
}

const API: &str = "/cgi-bin/user/info";

/// Moves the mock clock to 01:00 Beijing time of the next day, so that per-day limits are
/// tested away from midnight.
fn advance_to_beijing_morning(mock: &MockWeChat) {
    let now_s = mock.now_ms() / 1000;
    let beijing = now_s + 8 * 3600;
    let next_day_1am = (beijing / 86_400 + 1) * 86_400 + 3600;
    mock.advance(Duration::from_secs(next_day_1am - beijing));
}

/// `expires_in` is the time left: `want` give or take the real seconds the test took.
fn assert_left(body: &Value, want: u64, why: &str) {
    let left = body["expires_in"]
        .as_u64()
        .unwrap_or_else(|| panic!("no expires_in: {body}"));
    assert!((want - 5..=want).contains(&left), "{why}: {left} (want {want}) {body}");
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

// ----- mp /cgi-bin/token --------------------------------------------------------------------

#[test]
fn mp_token_issues_a_new_token_on_every_call() {
    let mock = start();
    let r = get(&mock.base_url(), &token_path(MOCK_MP_APPID, MOCK_MP_SECRET)).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json; encoding=utf-8"));
    let body = r.json().unwrap();
    let first = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(body["expires_in"], 7200);
    assert!(
        body.get("errcode").is_none(),
        "mp token answers carry no errcode: {body}"
    );
    let second = fetch(&mock);
    assert_ne!(first, second);
    assert_eq!(mock.current_token(MOCK_MP_APPID).as_deref(), Some(second.as_str()));
    let info = |generation| TokenInfo {
        account: MOCK_MP_APPID.into(),
        kind: TokenKind::Mp,
        generation,
    };
    assert_eq!(mock.token_info(&first), Some(info(1)));
    assert_eq!(mock.token_info(&second), Some(info(2)));
    // Both work: the first is in its grace period.
    assert_eq!(code(&mock, API, &first), 0);
    assert_eq!(code(&mock, API, &second), 0);
    let fetches = mock.token_fetches();
    assert_eq!((fetches.mp, fetches.stable, fetches.work, fetches.issued), (2, 0, 0, 2));
    assert_eq!(fetches.total(), 2);
    assert_eq!(fetches.account(MOCK_MP_APPID), 2);
}

#[test]
fn superseded_token_works_for_the_grace_period_then_answers_40001() {
    let mock = start();
    let old = fetch(&mock);
    let new = fetch(&mock);
    mock.advance(secs(290));
    assert_eq!(code(&mock, API, &old), 0);
    mock.advance(secs(10));
    assert_eq!(code(&mock, API, &old), errcode::INVALID_CREDENTIAL);
    assert_eq!(code(&mock, API, &new), 0);
    let log = mock.requests_to(API);
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].token.as_ref().unwrap().generation, 1);
    assert_eq!(log[0].outcome, Outcome::Processed);
    assert_eq!(log[1].outcome, Outcome::TokenRejected(40001));
    assert_eq!(log[1].token.as_ref().unwrap().generation, 1);
    assert_eq!(log[2].token.as_ref().unwrap().generation, 2);
    assert_eq!((mock.calls(API), mock.processed(API)), (3, 2));
}

#[test]
fn grace_period_is_configurable() {
    let mock = MockWeChat::start_background(MockConfig {
        grace: Duration::ZERO,
        ..MockConfig::default()
    });
    let old = fetch(&mock);
    let _new = fetch(&mock);
    assert_eq!(code(&mock, API, &old), 40001);
}

#[test]
fn every_token_expires_after_expires_in_with_42001() {
    let mock = start();
    let token = fetch(&mock);
    mock.advance(secs(7190));
    assert_eq!(code(&mock, API, &token), 0);
    mock.advance(secs(10));
    let r = call(&mock, API, &token);
    assert_eq!(r.errcode(), Some(errcode::ACCESS_TOKEN_EXPIRED));
    assert_eq!(r.json().unwrap()["errmsg"], "access_token expired");
    // A fresh fetch works again.
    assert_eq!(code(&mock, API, &fetch(&mock)), 0);

    let short = MockWeChat::start_background(MockConfig {
        token_ttl: secs(60),
        ..MockConfig::default()
    });
    let r = get(&short.base_url(), &token_path(MOCK_MP_APPID, MOCK_MP_SECRET)).unwrap();
    let token = r.json().unwrap()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(r.json().unwrap()["expires_in"], 60);
    short.advance(secs(60));
    assert_eq!(code(&short, API, &token), 42001);
}

#[test]
fn api_calls_check_the_access_token() {
    let mock = start();
    let base = mock.base_url();
    let cases: &[(&str, i64)] = &[
        ("", errcode::ACCESS_TOKEN_MISSING),
        ("?openid=o1", errcode::ACCESS_TOKEN_MISSING),
        ("?access_token=", errcode::ACCESS_TOKEN_MISSING),
        ("?access_token=a%20b", errcode::INVALID_ACCESS_TOKEN),
        ("?access_token=%3Cscript%3E", errcode::INVALID_ACCESS_TOKEN),
        ("?access_token=MOCK_mp1_0000000000000000", errcode::INVALID_CREDENTIAL),
    ];
    for (query, want) in cases {
        let r = get(&base, &format!("{API}{query}")).unwrap();
        assert_eq!(r.status, 200, "{query}");
        assert_eq!(r.errcode(), Some(*want), "{query}");
        assert_eq!(r.json().unwrap()["errmsg"], errcode::message(*want), "{query}");
    }
    assert_eq!((mock.calls(API), mock.processed(API)), (cases.len() as u64, 0));
    let outcomes: Vec<Outcome> = mock.requests().into_iter().map(|r| r.outcome).collect();
    let want: Vec<Outcome> = cases.iter().map(|(_, c)| Outcome::TokenRejected(*c)).collect();
    assert_eq!(outcomes, want);
    // A token from another mock instance is unknown here.
    let other = start();
    assert_eq!(code(&mock, API, &fetch(&other)), 40001);
}

#[test]
fn mp_token_rejects_bad_credentials_with_wechat_codes() {
    let mock = start();
    let base = mock.base_url();
    let cases: &[(&str, i64)] = &[
        ("/cgi-bin/token?appid=wx_mock_app&secret=mock_secret", 40002),
        (
            "/cgi-bin/token?grant_type=password&appid=wx_mock_app&secret=mock_secret",
            40002,
        ),
        ("/cgi-bin/token?grant_type=client_credential&secret=mock_secret", 41002),
        ("/cgi-bin/token?grant_type=client_credential&appid=wx_mock_app", 41004),
        (
            "/cgi-bin/token?grant_type=client_credential&appid=wx_nope&secret=mock_secret",
            40013,
        ),
        (
            "/cgi-bin/token?grant_type=client_credential&appid=wx_mock_app&secret=wrong",
            40125,
        ),
    ];
    for (path, want) in cases {
        let r = get(&base, path).unwrap();
        assert_eq!(r.errcode(), Some(*want), "{path}");
        assert!(r.json().unwrap().get("access_token").is_none());
    }
    let fetches = mock.token_fetches();
    assert_eq!((fetches.mp, fetches.issued), (6, 0));
    assert_eq!(fetches.account("wx_nope"), 1);
    assert_eq!(fetches.account(""), 1);
    // Secrets never reach the log.
    for r in mock.requests() {
        assert!(r.query_param("secret").is_none(), "{r:?}");
        assert_eq!(r.outcome, Outcome::Processed);
    }
    // Accounts added at run time work.
    mock.add_mp_account("wx_new", "s2");
    let r = get(&base, &token_path("wx_new", "s2")).unwrap();
    assert!(r.json().unwrap()["access_token"].is_string());
}

#[test]
fn mp_token_daily_quota_answers_45009() {
    let mock = MockWeChat::start_background(MockConfig {
        token_daily_quota: 3,
        ..MockConfig::default()
    });
    advance_to_beijing_morning(&mock);
    for _ in 0..3 {
        fetch(&mock);
    }
    let r = get(&mock.base_url(), &token_path(MOCK_MP_APPID, MOCK_MP_SECRET)).unwrap();
    assert_eq!(r.errcode(), Some(errcode::API_LIMIT));
    // The fourth fetch issued nothing: the third token is still current and valid.
    assert_eq!(mock.token_fetches().issued, 3);
    mock.advance(secs(86_400));
    let token = fetch(&mock);
    assert_eq!(mock.token_info(&token).unwrap().generation, 4);
}

// ----- mp /cgi-bin/stable_token ---------------------------------------------------------------

#[test]
fn stable_token_is_the_same_until_five_minutes_before_expiry() {
    let mock = start();
    let first = stable(&mock, false);
    let token = first["access_token"].as_str().unwrap().to_owned();
    assert_eq!(first["expires_in"], 7200);
    assert!(first.get("errcode").is_none());
    mock.advance(secs(100));
    let again = stable(&mock, false);
    assert_eq!(again["access_token"], token.as_str());
    assert_left(&again, 7100, "the time left, not a fresh 7200");
    // Separate from /cgi-bin/token: fetching plain tokens does not disturb it.
    let plain = fetch(&mock);
    fetch(&mock);
    assert_ne!(plain, token);
    assert_eq!(code(&mock, API, &token), 0);
    assert_eq!(mock.token_info(&token).unwrap().kind, TokenKind::Stable);
    // 310 s left: still the same; 300 s left: renewed, the old one lives out its lifetime.
    mock.advance(secs(7100 - 310));
    assert_eq!(stable(&mock, false)["access_token"], token.as_str());
    mock.advance(secs(10));
    let renewed = stable(&mock, false);
    let new = renewed["access_token"].as_str().unwrap().to_owned();
    assert_ne!(new, token);
    assert_eq!(renewed["expires_in"], 7200);
    assert_eq!(code(&mock, API, &token), 0);
    mock.advance(secs(300));
    assert_eq!(code(&mock, API, &token), 42001);
    assert_eq!(code(&mock, API, &new), 0);
    let fetches = mock.token_fetches();
    assert_eq!((fetches.stable, fetches.mp, fetches.issued), (4, 2, 4));
}

#[test]
fn stable_token_force_refresh_is_limited_to_20_a_day_30_seconds_apart() {
    let mock = start();
    advance_to_beijing_morning(&mock);
    let old = stable(&mock, false)["access_token"].as_str().unwrap().to_owned();
    let forced = stable(&mock, true);
    let new = forced["access_token"].as_str().unwrap().to_owned();
    assert_ne!(old, new);
    assert_eq!(forced["expires_in"], 7200);
    // The non-forced call now returns the forced token.
    assert_eq!(stable(&mock, false)["access_token"], new.as_str());
    // Too soon.
    let r = stable(&mock, true);
    assert_eq!(r["errcode"], errcode::API_LIMIT);
    mock.advance(secs(25));
    assert_eq!(stable(&mock, true)["errcode"], errcode::API_LIMIT);
    // The old one keeps its grace period (measured from the force).
    assert_eq!(code(&mock, API, &old), 0);
    mock.advance(secs(5));
    assert!(
        stable(&mock, true)["access_token"].is_string(),
        "30 s after the first force"
    );
    mock.advance(secs(300 - 30));
    assert_eq!(code(&mock, API, &old), 40001);
    // 2 forces so far; 18 more are allowed today, then 45009.
    for i in 0..18 {
        mock.advance(secs(30));
        assert!(stable(&mock, true)["access_token"].is_string(), "force {}", i + 3);
    }
    mock.advance(secs(30));
    let r = stable(&mock, true);
    assert_eq!(r["errcode"], 45009, "{r}");
    // Non-forced calls are still fine, and the next day forces work again.
    assert!(stable(&mock, false)["access_token"].is_string());
    mock.advance(secs(86_400));
    assert!(stable(&mock, true)["access_token"].is_string());
}

#[test]
fn stable_token_validates_method_body_and_credentials() {
    let mock = start();
    let base = mock.base_url();
    let r = get(&base, "/cgi-bin/stable_token").unwrap();
    assert_eq!(r.errcode(), Some(errcode::REQUIRE_POST_METHOD));
    let r = post(&base, "/cgi-bin/stable_token", "application/json", b"{not json").unwrap();
    assert_eq!(r.errcode(), Some(errcode::DATA_FORMAT_ERROR));
    let cases = [
        (json!({"appid": MOCK_MP_APPID, "secret": MOCK_MP_SECRET}), 40002),
        (
            json!({"grant_type": "client_credential", "secret": MOCK_MP_SECRET}),
            41002,
        ),
        (
            json!({"grant_type": "client_credential", "appid": MOCK_MP_APPID}),
            41004,
        ),
        (
            json!({"grant_type": "client_credential", "appid": "wx_nope", "secret": "x"}),
            40013,
        ),
        (
            json!({"grant_type": "client_credential", "appid": MOCK_MP_APPID, "secret": "x"}),
            40125,
        ),
        (
            json!({"grant_type": "client_credential", "appid": MOCK_MP_APPID,
                   "secret": MOCK_MP_SECRET, "force_refresh": "true"}),
            47001,
        ),
    ];
    for (body, want) in &cases {
        let r = post_json(&base, "/cgi-bin/stable_token", body).unwrap();
        assert_eq!(r.errcode(), Some(*want), "{body}");
    }
    assert_eq!(mock.token_fetches().issued, 0);
    // The secret is redacted in the log; the rest of the body is kept.
    stable(&mock, false);
    let last = mock.requests_to("/cgi-bin/stable_token").pop().unwrap();
    let body = last.body_json().unwrap();
    assert_eq!(body["secret"], "[redacted]");
    assert_eq!(body["appid"], MOCK_MP_APPID);
    assert!(!String::from_utf8_lossy(&last.body).contains(MOCK_MP_SECRET));
    assert_eq!(mock.token_fetches().account(MOCK_MP_APPID), 5);
}

// ----- WeCom /cgi-bin/gettoken ----------------------------------------------------------------

#[test]
fn work_gettoken_returns_the_same_token_while_valid() {
    let mock = start();
    let first = work_fetch(&mock, MOCK_WORK_SECRET);
    assert_eq!(first["errcode"], 0);
    assert_eq!(first["errmsg"], "ok");
    assert_eq!(first["expires_in"], 7200);
    let token = first["access_token"].as_str().unwrap().to_owned();
    mock.advance(secs(60));
    let second = work_fetch(&mock, MOCK_WORK_SECRET);
    assert_eq!(second["access_token"], token.as_str());
    assert_left(&second, 7140, "the time left");
    assert_eq!(code(&mock, "/cgi-bin/message/send", &token), 0);
    // One token per agent secret.
    mock.add_work_account(MOCK_WORK_CORPID, "agent2_secret");
    let other = work_fetch(&mock, "agent2_secret");
    assert_ne!(other["access_token"], token.as_str());
    assert_eq!(code(&mock, "/cgi-bin/message/send", &token), 0, "not invalidated");
    // After expiry: 42001 for the old one, a new one from gettoken.
    mock.advance(secs(7140));
    assert_eq!(code(&mock, "/cgi-bin/message/send", &token), 42001);
    let renewed = work_fetch(&mock, MOCK_WORK_SECRET);
    assert_ne!(renewed["access_token"], token.as_str());
    let info = mock.token_info(renewed["access_token"].as_str().unwrap()).unwrap();
    assert_eq!((info.kind, info.generation), (TokenKind::Work, 3));
    let fetches = mock.token_fetches();
    assert_eq!((fetches.work, fetches.issued), (4, 3));
    assert_eq!(fetches.account(MOCK_WORK_CORPID), 4);
}

#[test]
fn work_gettoken_rejects_bad_credentials_with_wecom_codes() {
    let mock = start();
    let base = mock.base_url();
    let cases: &[(&str, i64)] = &[
        ("/cgi-bin/gettoken?corpsecret=x", 41002),
        ("/cgi-bin/gettoken?corpid=ww_mock_corp", 41004),
        ("/cgi-bin/gettoken?corpid=ww_nope&corpsecret=mock_corp_secret", 40013),
        ("/cgi-bin/gettoken?corpid=ww_mock_corp&corpsecret=wrong", 40001),
    ];
    for (path, want) in cases {
        assert_eq!(get(&base, path).unwrap().errcode(), Some(*want), "{path}");
    }
    assert_eq!(mock.token_fetches().issued, 0);
    assert!(mock.requests().iter().all(|r| r.query_param("corpsecret").is_none()));
}

// ----- rotation, invalidation, expiry -----------------------------------------------------------

#[test]
fn rotate_token_starts_the_grace_period_of_the_current_token() {
    let mock = start();
    let mine = fetch(&mock);
    let theirs = mock.rotate_token(MOCK_MP_APPID).unwrap();
    assert_ne!(mine, theirs);
    assert_eq!(mock.current_token(MOCK_MP_APPID).as_deref(), Some(theirs.as_str()));
    assert_eq!(mock.token_fetches().total(), 1, "rotation is not a fetch");
    assert_eq!(code(&mock, API, &mine), 0);
    mock.advance(secs(300));
    assert_eq!(code(&mock, API, &mine), 40001);
    assert_eq!(code(&mock, API, &theirs), 0);
    // WeCom: every agent token of the corp is replaced.
    let work = work_fetch(&mock, MOCK_WORK_SECRET)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let rotated = mock.rotate_token(MOCK_WORK_CORPID).unwrap();
    assert_eq!(work_fetch(&mock, MOCK_WORK_SECRET)["access_token"], rotated.as_str());
    mock.advance(secs(300));
    assert_eq!(code(&mock, API, &work), 40001);
    assert_eq!(mock.rotate_token("wx_unknown"), None);
}

#[test]
fn invalidate_tokens_makes_every_token_answer_40001_at_once() {
    let mock = start();
    let mp = fetch(&mock);
    let st = stable(&mock, false)["access_token"].as_str().unwrap().to_owned();
    let wk = work_fetch(&mock, MOCK_WORK_SECRET)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    mock.invalidate_tokens();
    for token in [&mp, &st, &wk] {
        assert_eq!(code(&mock, API, token), 40001, "{token}");
    }
    // Fetches hand out new, working tokens (also where they would repeat the old one).
    let st2 = stable(&mock, false)["access_token"].as_str().unwrap().to_owned();
    let wk2 = work_fetch(&mock, MOCK_WORK_SECRET)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(st2, st);
    assert_ne!(wk2, wk);
    for token in [fetch(&mock), st2, wk2] {
        assert_eq!(code(&mock, API, &token), 0);
    }
}

#[test]
fn expire_tokens_makes_every_token_answer_42001_at_once() {
    let mock = start();
    let mp = fetch(&mock);
    let wk = work_fetch(&mock, MOCK_WORK_SECRET)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    mock.expire_tokens();
    assert_eq!(code(&mock, API, &mp), 42001);
    assert_eq!(code(&mock, API, &wk), 42001);
    let wk2 = work_fetch(&mock, MOCK_WORK_SECRET);
    assert_ne!(wk2["access_token"], wk.as_str());
    assert_eq!(wk2["expires_in"], 7200);
}

// ----- JS-SDK tickets -------------------------------------------------------------------------

#[test]
fn jsapi_tickets_are_token_checked_and_stable_while_valid() {
    let mock = start();
    let token = fetch(&mock);
    let ticket = |query: &str, token: &str| {
        get(&mock.base_url(), &format!("{query}access_token={token}"))
            .unwrap()
            .json()
            .unwrap()
    };
    let a = ticket("/cgi-bin/ticket/getticket?type=jsapi&", &token);
    assert_eq!(a["errcode"], 0);
    assert_eq!(a["errmsg"], "ok");
    assert_eq!(a["expires_in"], 7200);
    let jsapi = a["ticket"].as_str().unwrap().to_owned();
    mock.advance(secs(10));
    let b = ticket("/cgi-bin/ticket/getticket?type=jsapi&", &token);
    assert_eq!(b["ticket"], jsapi.as_str());
    assert_left(&b, 7190, "the time left");
    let card = ticket("/cgi-bin/ticket/getticket?type=wx_card&", &token);
    assert_ne!(card["ticket"], jsapi.as_str());
    assert_eq!(ticket("/cgi-bin/ticket/getticket?type=nope&", &token)["errcode"], 40097);
    assert_eq!(ticket("/cgi-bin/ticket/getticket?type=jsapi&", "")["errcode"], 41001);
    mock.advance(secs(7190));
    let token = fetch(&mock);
    let c = ticket("/cgi-bin/ticket/getticket?type=jsapi&", &token);
    assert_ne!(c["ticket"], jsapi.as_str(), "a new ticket after expiry");

    let wk = work_fetch(&mock, MOCK_WORK_SECRET)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let corp = ticket("/cgi-bin/get_jsapi_ticket?", &wk);
    assert_eq!(
        (corp["errcode"].clone(), corp["expires_in"].clone()),
        (json!(0), json!(7200))
    );
    let agent = ticket("/cgi-bin/ticket/get?type=agent_config&", &wk);
    assert!(agent["ticket"].is_string());
    assert_ne!(agent["ticket"], corp["ticket"]);
    assert_eq!(ticket("/cgi-bin/ticket/get?", &wk)["errcode"], 40097);
}

// ----- media ----------------------------------------------------------------------------------

/// A JPEG-ish payload that contains CRLF, a fake delimiter and every byte value.
fn payload() -> Vec<u8> {
    let mut data = b"\xff\xd8\xff\xe0\r\n--boundary\r\n--".to_vec();
    data.extend(0..=255u8);
    data
}

fn upload(mock: &MockWeChat, token: &str, media_type: &str, part: FormPart<'_>) -> RawResponse {
    let (ct, body) = raw_http::multipart("----mockBoundary7MA4YWxk", &[part]);
    let path = format!("/cgi-bin/media/upload?access_token={token}&type={media_type}");
    post(&mock.base_url(), &path, &ct, &body).unwrap()
}

fn media_part(data: &[u8]) -> FormPart<'_> {
    FormPart {
        name: "media",
        filename: Some("photo.jpg"),
        content_type: Some("image/jpeg"),
        data,
    }
}

#[test]
fn media_upload_and_download_round_trip() {
    let mock = start();
    let token = fetch(&mock);
    let data = payload();
    let r = upload(&mock, &token, "image", media_part(&data));
    let body = r.json().unwrap();
    assert_eq!(body["type"], "image");
    assert!(
        body.get("errcode").is_none(),
        "mp upload answers carry no errcode: {body}"
    );
    assert_eq!(body["created_at"], mock.now_ms() / 1000);
    let media_id = body["media_id"].as_str().unwrap().to_owned();
    let stored = mock.media(&media_id).unwrap();
    assert_eq!(stored.filename, "photo.jpg");
    assert_eq!(stored.content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(stored.data, data);
    assert_eq!(
        (stored.account.as_str(), stored.media_type.as_str()),
        (MOCK_MP_APPID, "image")
    );
    assert_eq!(mock.uploads(), vec![stored]);

    let path = format!("/cgi-bin/media/get?access_token={token}&media_id={media_id}");
    let r = get(&mock.base_url(), &path).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body, data);
    assert_eq!(r.header("content-type"), Some("image/jpeg"));
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"photo.jpg\"")
    );

    // Unknown ids answer 40007 as JSON labelled text/plain, like WeChat.
    let r = get(
        &mock.base_url(),
        &format!("/cgi-bin/media/get?access_token={token}&media_id=nope"),
    )
    .unwrap();
    assert_eq!(r.errcode(), Some(errcode::INVALID_MEDIA_ID));
    assert_eq!(r.header("content-type"), Some("text/plain"));
    let r = get(&mock.base_url(), &format!("/cgi-bin/media/get?access_token={token}")).unwrap();
    assert_eq!(r.errcode(), Some(errcode::MEDIA_ID_MISSING));
    // Another account cannot read it.
    mock.add_mp_account("wx_other", "s");
    let r = get(&mock.base_url(), &token_path("wx_other", "s")).unwrap();
    let other = r.json().unwrap()["access_token"].as_str().unwrap().to_owned();
    let r = get(
        &mock.base_url(),
        &format!("/cgi-bin/media/get?access_token={other}&media_id={media_id}"),
    )
    .unwrap();
    assert_eq!(r.errcode(), Some(40007));
    // Temporary media lives three days.
    mock.advance(secs(3 * 86_400));
    let token = fetch(&mock);
    let r = get(
        &mock.base_url(),
        &format!("/cgi-bin/media/get?access_token={token}&media_id={media_id}"),
    )
    .unwrap();
    assert_eq!(r.errcode(), Some(40007));
}

#[test]
fn media_upload_validates_the_request() {
    let mock = start();
    let token = fetch(&mock);
    let data = payload();
    let base = mock.base_url();
    let code_of = |r: RawResponse| r.errcode().unwrap();
    assert_eq!(code_of(upload(&mock, &token, "nope", media_part(&data))), 40004);
    assert_eq!(
        code_of(upload(&mock, &token, "file", media_part(&data))),
        40004,
        "WeCom-only type"
    );
    let path = format!("/cgi-bin/media/upload?access_token={token}&type=image");
    let missing = |r: RawResponse| {
        let body = r.json().unwrap();
        assert_eq!(body["errcode"], 41005, "{body}");
        body["errmsg"].as_str().unwrap().to_owned()
    };
    let (ct, body) = raw_http::multipart("b0undary", &[media_part(&data)]);
    assert!(missing(raw_http::request(&base, "POST", &path, &[], &body).unwrap()).contains("no Content-Type"));
    let wrong = post(&base, &path, "multipart/form-data; boundary=other", &body).unwrap();
    assert!(missing(wrong).contains("does not contain the boundary"));
    assert!(missing(post(&base, &path, "multipart/form-data", &body).unwrap()).contains("no boundary"));
    let mut cut = body.clone();
    cut.truncate(body.len() - 12);
    assert!(missing(post(&base, &path, &ct, &cut).unwrap()).contains("closing boundary"));
    let no_name = FormPart {
        name: "file",
        ..media_part(&data)
    };
    assert!(missing(upload(&mock, &token, "image", no_name)).contains("no part named `media`"));
    let no_filename = FormPart {
        filename: None,
        ..media_part(&data)
    };
    assert!(missing(upload(&mock, &token, "image", no_filename)).contains("no filename"));
    assert!(missing(upload(&mock, &token, "image", media_part(b""))).contains("empty"));
    let r = get(&base, &path).unwrap();
    assert_eq!(r.errcode(), Some(errcode::REQUIRE_POST_METHOD));
    assert!(mock.uploads().is_empty());
    // A part without Content-Type is stored as such and downloads as octet-stream.
    let bare = FormPart {
        content_type: None,
        ..media_part(&data)
    };
    let id = upload(&mock, &token, "thumb", bare).json().unwrap()["media_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(mock.media(&id).unwrap().content_type, None);
    let r = get(&base, &format!("/cgi-bin/media/get?access_token={token}&media_id={id}")).unwrap();
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
}

#[test]
fn wecom_media_answers_have_errcode_and_string_created_at() {
    let mock = start();
    let wk = work_fetch(&mock, MOCK_WORK_SECRET)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let part = FormPart {
        name: "media",
        filename: Some("报告.pdf"),
        content_type: Some("application/pdf"),
        data: b"%PDF-1.4",
    };
    let body = upload(&mock, &wk, "file", part).json().unwrap();
    assert_eq!(body["errcode"], 0);
    assert_eq!(body["type"], "file");
    assert_eq!(body["created_at"], (mock.now_ms() / 1000).to_string());
    let id = body["media_id"].as_str().unwrap();
    let r = get(
        &mock.base_url(),
        &format!("/cgi-bin/media/get?access_token={wk}&media_id={id}"),
    )
    .unwrap();
    assert_eq!(r.body, b"%PDF-1.4");
    assert_eq!(mock.media(id).unwrap().filename, "报告.pdf");
    assert_eq!(upload(&mock, &wk, "thumb", part).errcode(), Some(40004), "mp-only type");

    // uploadimg answers a URL (mp: no errcode; WeCom: with errcode).
    let (ct, body) = raw_http::multipart("bb", &[media_part(b"img")]);
    let r = post(
        &mock.base_url(),
        &format!("/cgi-bin/media/uploadimg?access_token={wk}"),
        &ct,
        &body,
    )
    .unwrap();
    let json = r.json().unwrap();
    assert_eq!(json["errcode"], 0);
    assert!(json["url"].as_str().unwrap().starts_with("http://mmbiz.qpic.cn/"));
    let mp = fetch(&mock);
    let r = post(
        &mock.base_url(),
        &format!("/cgi-bin/media/uploadimg?access_token={mp}"),
        &ct,
        &body,
    )
    .unwrap();
    let json = r.json().unwrap();
    assert!(json.get("errcode").is_none() && json["url"].is_string(), "{json}");
}

// ----- canned responses and the log -----------------------------------------------------------

#[test]
fn canned_responses_and_the_request_log() {
    let mock = start();
    let token = fetch(&mock);
    let base = mock.base_url();
    assert_eq!(
        call(&mock, "/cgi-bin/menu/get", &token).json().unwrap(),
        json!({"errcode": 0, "errmsg": "ok"})
    );
    let menu = json!({"menu": {"button": [{"type": "click", "name": "今日歌曲", "key": "V1001"}]}});
    mock.set_response("/cgi-bin/menu/get", menu.clone());
    assert_eq!(call(&mock, "/cgi-bin/menu/get", &token).json().unwrap(), menu);
    assert_eq!(
        call(&mock, "/cgi-bin/menu/get/extra", &token).errcode(),
        Some(0),
        "exact path only"
    );
    mock.set_response(
        "/cgi-bin/user/get",
        json!({"errcode": 40003, "errmsg": "invalid openid"}),
    );
    assert_eq!(code(&mock, "/cgi-bin/user/get", &token), 40003);
    mock.set_binary_response("/wxa/getwxacode", "image/png", b"\x89PNG".to_vec());
    let r = post(
        &base,
        &format!("/wxa/getwxacode?access_token={token}"),
        "application/json",
        b"{}",
    )
    .unwrap();
    assert_eq!(
        (r.header("content-type"), r.body.as_slice()),
        (Some("image/png"), &b"\x89PNG"[..])
    );
    mock.clear_response("/cgi-bin/menu/get");
    assert_eq!(code(&mock, "/cgi-bin/menu/get", &token), 0);
    // Canned answers do not bypass the token check.
    assert_eq!(call(&mock, "/cgi-bin/user/get", "").errcode(), Some(41001));

    // The log: method, path, query without the token, body, content type, token, outcome.
    let send = "/cgi-bin/message/custom/send";
    let msg = json!({"touser": "o1", "msgtype": "text", "text": {"content": "hi"}});
    let path = format!("{send}?access_token={token}&lang=zh_CN");
    post_json(&base, &path, &msg).unwrap();
    post_json(&base, &path, &msg).unwrap();
    post_json(&base, &path, &json!({"touser": "o2"})).unwrap();
    let log = mock.requests_to(send);
    assert_eq!(log.len(), 3);
    let first = &log[0];
    assert_eq!((first.method.as_str(), first.path.as_str()), ("POST", send));
    assert_eq!(first.query, vec![("lang".to_owned(), "zh_CN".to_owned())]);
    assert_eq!(first.body_json().unwrap(), msg);
    assert_eq!(first.content_type.as_deref(), Some("application/json"));
    assert_eq!(first.token.as_ref().unwrap().generation, 1);
    assert_eq!(
        (first.status, first.errcode, first.fault.clone()),
        (Some(200), Some(0), None)
    );
    assert!(log.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(
        (mock.calls(send), mock.processed(send), mock.distinct_processed(send)),
        (3, 3, 2)
    );
    let all = mock.requests();
    assert_eq!(all[0].path, "/cgi-bin/token");
    assert!(all.windows(2).all(|w| w[0].seq + 1 == w[1].seq));
    mock.reset_counters();
    assert_eq!(
        (mock.calls(send), mock.requests().len(), mock.token_fetches().total()),
        (0, 0, 0)
    );
    assert_eq!(code(&mock, send, &token), 0, "tokens survive a counter reset");
}

#[test]
fn record_requests_off_keeps_counters_only() {
    let mock = MockWeChat::start_background(MockConfig {
        record_requests: false,
        ..MockConfig::default()
    });
    let token = fetch(&mock);
    code(&mock, API, &token);
    assert!(mock.requests().is_empty());
    assert_eq!(
        (mock.calls(API), mock.processed(API), mock.token_fetches().mp),
        (1, 1, 1)
    );
}

// ----- faults ---------------------------------------------------------------------------------

#[test]
fn errcode_busy_and_rate_limit_faults_answer_without_processing() {
    let mock = start();
    let token = fetch(&mock);
    mock.inject(Fault::errcode(40003).on("/cgi-bin/user").times(2));
    mock.inject(Fault::Busy.on("/cgi-bin/menu"));
    mock.inject(Fault::RateLimited.on("/cgi-bin/tags"));
    mock.inject(
        Fault::Errcode {
            errcode: 61451,
            errmsg: "invalid parameter".into(),
        }
        .on("/cgi-bin/custom"),
    );
    assert_eq!(mock.pending_faults().len(), 4);
    let r = call(&mock, "/cgi-bin/user/info", &token).json().unwrap();
    assert_eq!(r, json!({"errcode": 40003, "errmsg": "invalid openid"}));
    assert_eq!(code(&mock, "/cgi-bin/user/get", &token), 40003, "prefix match");
    assert_eq!(code(&mock, "/cgi-bin/user/info", &token), 0, "used up");
    assert_eq!(
        call(&mock, "/cgi-bin/menu/get", &token).json().unwrap(),
        json!({"errcode": -1, "errmsg": "system error"})
    );
    assert_eq!(code(&mock, "/cgi-bin/tags/get", &token), 45009);
    assert_eq!(code(&mock, "/cgi-bin/customservice/x", &token), 61451);
    assert!(mock.pending_faults().is_empty());
    // Faulted requests are counted as calls, not as processed; the token is not even checked.
    assert_eq!(
        (mock.calls("/cgi-bin/user/info"), mock.processed("/cgi-bin/user/info")),
        (2, 1)
    );
    let faulted = &mock.requests_to("/cgi-bin/user/info")[0];
    assert_eq!(faulted.outcome, Outcome::Faulted);
    assert_eq!(faulted.fault, Some(Fault::errcode(40003)));
    assert_eq!((faulted.status, faulted.errcode), (Some(200), Some(40003)));
    // A fault hits whatever the token: even a request with no token gets the fault.
    mock.inject(Fault::Busy.on(API));
    assert_eq!(call(&mock, API, "").errcode(), Some(-1));
}

#[test]
fn faults_apply_in_order_and_always_lasts_until_cleared() {
    let mock = start();
    let token = fetch(&mock);
    mock.inject(Fault::Busy.on("/cgi-bin/user/info"));
    mock.inject(Fault::RateLimited.on("/cgi-bin/user").always());
    assert_eq!(
        code(&mock, "/cgi-bin/user/info", &token),
        -1,
        "first injected, first applied"
    );
    for _ in 0..3 {
        assert_eq!(code(&mock, "/cgi-bin/user/info", &token), 45009);
    }
    assert_eq!(code(&mock, "/cgi-bin/menu/get", &token), 0, "other paths untouched");
    assert_eq!(mock.pending_faults()[0].remaining, None);
    mock.clear_faults();
    assert_eq!(code(&mock, "/cgi-bin/user/info", &token), 0);
    // times(0) is a no-op.
    mock.inject(Fault::Busy.on("/").times(0));
    assert_eq!(code(&mock, "/cgi-bin/user/info", &token), 0);
}

#[test]
fn faults_on_the_token_endpoint_count_as_fetches_and_issue_nothing() {
    let mock = start();
    mock.inject(Fault::Busy.on("/cgi-bin/token").times(2));
    let path = token_path(MOCK_MP_APPID, MOCK_MP_SECRET);
    assert_eq!(get(&mock.base_url(), &path).unwrap().errcode(), Some(-1));
    assert_eq!(get(&mock.base_url(), &path).unwrap().errcode(), Some(-1));
    let token = fetch(&mock);
    let f = mock.token_fetches();
    assert_eq!((f.mp, f.issued, f.account(MOCK_MP_APPID)), (3, 1, 3));
    assert_eq!(mock.token_info(&token).unwrap().generation, 1);
}

#[test]
fn delay_before_waits_then_processes() {
    let mock = start();
    let token = fetch(&mock);
    mock.inject(Fault::DelayBefore(Duration::from_millis(400)).on(API));
    let t = Instant::now();
    assert_eq!(code(&mock, API, &token), 0);
    assert!(t.elapsed() >= Duration::from_millis(400), "{:?}", t.elapsed());
    assert_eq!(mock.processed(API), 1);
    let rec = &mock.requests_to(API)[0];
    assert_eq!(rec.fault, Some(Fault::DelayBefore(Duration::from_millis(400))));
    assert_eq!(rec.outcome, Outcome::Processed);
}

#[test]
fn delay_after_processes_and_records_before_answering() {
    let mock = start();
    let token = fetch(&mock);
    let send = "/cgi-bin/message/custom/send";
    let delay = Duration::from_millis(1500);
    mock.inject(Fault::DelayAfter(delay).on(send));
    let (tx, rx) = mpsc::channel();
    let base = mock.base_url();
    let path = format!("{send}?access_token={token}");
    let started = Instant::now();
    std::thread::spawn(move || {
        let r = post_json(&base, &path, &json!({"touser": "o1"}));
        let _ = tx.send((r.map(|r| r.errcode()), started.elapsed()));
    });
    // The send is processed while the client is still waiting for the answer.
    let deadline = Instant::now() + Duration::from_secs(10);
    while mock.processed(send) == 0 {
        assert!(Instant::now() < deadline, "the send was never processed");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(rx.try_recv().is_err(), "the answer came before the delay");
    assert_eq!(mock.requests_to(send)[0].outcome, Outcome::Processed);
    let (result, elapsed) = rx.recv_timeout(Duration::from_secs(20)).unwrap();
    assert_eq!(result.unwrap(), Some(0));
    assert!(elapsed >= delay, "{elapsed:?}");
    assert_eq!(mock.processed(send), 1);
}

#[test]
fn drop_after_processes_then_closes_without_answer() {
    let mock = start();
    let token = fetch(&mock);
    let send = "/cgi-bin/message/template/send";
    mock.inject(Fault::DropAfter.on(send));
    let err = post_json(&mock.base_url(), &format!("{send}?access_token={token}"), &json!({})).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{err}");
    assert_eq!(mock.processed(send), 1);
    let rec = &mock.requests_to(send)[0];
    assert_eq!(
        (rec.status, rec.errcode, rec.outcome.clone()),
        (None, None, Outcome::Processed)
    );
    // The retry is processed a second time, with the same body: one distinct send.
    post_json(&mock.base_url(), &format!("{send}?access_token={token}"), &json!({})).unwrap();
    assert_eq!((mock.processed(send), mock.distinct_processed(send)), (2, 1));
}

#[test]
fn drop_closes_without_answer_and_without_processing() {
    let mock = start();
    let token = fetch(&mock);
    mock.inject(Fault::Drop.on(API));
    let err = get(&mock.base_url(), &format!("{API}?access_token={token}")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{err}");
    assert_eq!((mock.calls(API), mock.processed(API)), (1, 0));
    assert_eq!(mock.requests_to(API)[0].status, None);
    assert_eq!(code(&mock, API, &token), 0, "the next request is served");
}

#[test]
fn truncated_json_is_a_cut_prefix_of_the_real_answer() {
    let mock = start();
    let token = fetch(&mock);
    let full = json!({"subscribe": 1, "openid": "o1", "nickname": "Band"});
    mock.set_response(API, full.clone());
    mock.inject(Fault::TruncatedJson.on(API));
    let r = call(&mock, API, &token);
    assert_eq!(r.status, 200);
    let whole = full.to_string().into_bytes();
    assert_eq!(r.body, whole[..whole.len() / 2]);
    assert_eq!(r.header("content-length"), Some(r.body.len().to_string().as_str()));
    assert!(r.json().is_none());
    assert_eq!(mock.processed(API), 1, "the request itself was processed");
    // The token endpoint can be cut too.
    mock.inject(Fault::TruncatedJson.on("/cgi-bin/token"));
    let r = get(&mock.base_url(), &token_path(MOCK_MP_APPID, MOCK_MP_SECRET)).unwrap();
    assert!(r.body.starts_with(b"{\"access_token\":\"MOCK_mp2"));
    assert!(r.json().is_none());
    assert_eq!(mock.token_fetches().issued, 2, "issued, but the client never saw it");
}

#[test]
fn html_500_and_garbage_faults() {
    let mock = start();
    let token = fetch(&mock);
    mock.inject(Fault::Html500.on(API));
    mock.inject(Fault::Garbage.on("/cgi-bin/menu/get"));
    let r = call(&mock, API, &token);
    assert_eq!(r.status, 500);
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert!(r.body.starts_with(b"<html>"));
    let r = call(&mock, "/cgi-bin/menu/get", &token);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json; encoding=utf-8"));
    assert!(!r.body.is_empty());
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
    assert_eq!(mock.processed(API) + mock.processed("/cgi-bin/menu/get"), 0);
}

// ----- clock, robustness, lifecycle -----------------------------------------------------------

#[test]
fn advance_moves_the_mock_clock_only() {
    let mock = start();
    let before = mock.now_ms();
    let real = Instant::now();
    mock.advance(secs(3600));
    let after = mock.now_ms();
    let real_ms = real.elapsed().as_millis() as u64;
    assert!(
        after >= before + 3_600_000 && after <= before + 3_600_000 + real_ms + 50,
        "{before} {after}"
    );
    let token = fetch(&mock);
    assert!(mock.requests()[0].at_ms >= after);
    // Tokens issued after an advance expire relative to the mock clock.
    mock.advance(secs(7200));
    assert_eq!(code(&mock, API, &token), 42001);
}

#[test]
fn odd_requests_get_json_errors_and_never_break_the_server() {
    let mock = MockWeChat::start_background(MockConfig {
        max_body_bytes: 1024,
        ..MockConfig::default()
    });
    let base = mock.base_url();
    let token = fetch(&mock);
    let r = raw_http::request(&base, "PUT", API, &[], b"x").unwrap();
    assert_eq!((r.status, r.errcode()), (405, Some(405)));
    let r = raw_http::request(&base, "DELETE", "/cgi-bin/token", &[], b"").unwrap();
    assert_eq!(r.status, 405);
    let r = get(&base, "/").unwrap();
    assert_eq!((r.status, r.errcode()), (404, Some(404)));
    let big = vec![b'a'; 2048];
    let r = post(&base, &format!("{API}?access_token={token}"), "application/json", &big).unwrap();
    assert_eq!((r.status, r.errcode()), (413, Some(413)));
    let rec = mock.requests_to(API).pop().unwrap();
    assert_eq!((rec.outcome, rec.body.len()), (Outcome::Rejected, 0));
    // Bad percent-encoding, non-UTF-8 and repeated parameters are taken in stride.
    let r = get(
        &base,
        &format!("{API}?x=%zz&y=%ff%fe&access_token={token}&access_token=zzz"),
    )
    .unwrap();
    assert_eq!(r.errcode(), Some(0));
    // Not HTTP at all, and a header that is far too large.
    for junk in [
        &b"\x16\x03\x01\x02\x00garbage\r\n\r\n"[..],
        &b"GET / HTTP/1.1\r\nX: "[..],
    ] {
        let mut s = TcpStream::connect(mock.addr()).unwrap();
        s.write_all(junk).unwrap();
        if junk.ends_with(b"X: ") {
            let _ = s.write_all(&vec![b'a'; 512 * 1024]);
        }
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        assert!(
            out.is_empty() || out.starts_with(b"HTTP/1.1 4"),
            "{:?}",
            String::from_utf8_lossy(&out)
        );
    }
    assert_eq!(code(&mock, API, &token), 0, "still serving");
}

#[test]
fn keep_alive_connections_serve_several_requests() {
    let mock = start();
    let token = fetch(&mock);
    let mut s = TcpStream::connect(mock.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let req = format!("GET {API}?access_token={token} HTTP/1.1\r\nHost: x\r\n\r\n");
    for _ in 0..3 {
        s.write_all(req.as_bytes()).unwrap();
        let mut buf = [0u8; 1024];
        let n = s.read(&mut buf).unwrap();
        let r = raw_http::parse_response(&buf[..n]).unwrap();
        assert_eq!(r.errcode(), Some(0));
    }
    assert_eq!(mock.processed(API), 3);
}

#[test]
fn dropping_the_mock_stops_the_server() {
    let mock = start();
    let addr = mock.addr();
    assert!(TcpStream::connect(addr).is_ok());
    drop(mock);
    let err = TcpStream::connect(addr).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
}

#[test]
fn the_handle_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<MockWeChat>();
    let mock = std::sync::Arc::new(start());
    let token = fetch(&mock);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (mock, token) = (mock.clone(), token.clone());
            std::thread::spawn(move || {
                for _ in 0..10 {
                    assert_eq!(code(&mock, API, &token), 0);
                    let _ = mock.requests();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(mock.processed(API), 40);
}

#[test]
fn config_debug_hides_secrets() {
    let text = format!("{:?}", MockConfig::default());
    assert!(
        text.contains(MOCK_MP_APPID) && text.contains(MOCK_WORK_CORPID),
        "{text}"
    );
    assert!(
        !text.contains(MOCK_MP_SECRET) && !text.contains(MOCK_WORK_SECRET),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_serves_on_the_callers_runtime() {
    let mock = MockWeChat::start(MockConfig::default()).await;
    let base = mock.base_url();
    let addr = mock.addr();
    let r = tokio::task::spawn_blocking(move || get(&base, &token_path(MOCK_MP_APPID, MOCK_MP_SECRET)))
        .await
        .unwrap()
        .unwrap();
    assert!(r.json().unwrap()["access_token"].is_string());
    assert_eq!(mock.token_fetches().issued, 1);
    drop(mock);
    // The listener closes once the accept loop sees the shutdown.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::net::TcpStream::connect(addr).await {
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => break,
            _ => {
                assert!(Instant::now() < deadline, "still accepting after drop");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn background_mock_can_be_created_and_dropped_inside_a_runtime() {
    let mock = MockWeChat::start_background(MockConfig::default());
    let base = mock.base_url();
    let r = tokio::task::spawn_blocking(move || get(&base, "/"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.status, 404);
    drop(mock); // must not panic inside a runtime
}
