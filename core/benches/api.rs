//! Building and parsing one typical JSON call, the core's share of every API call.
//!
//! * `api/user_get/build`: `GetUser` → `ApiRequest` → URL with the access token (what the
//!   clients send for `client.user().get(openid)`);
//! * `api/user_get/parse`: a realistic user-info answer (about 1 KB, with Chinese text and
//!   fields this SDK does not know) → `UserInfo`;
//! * `api/user_get/build_and_parse`: both, the core's whole share of one call;
//! * `api/send_text/build_and_parse`: a customer-service text message → URL and JSON body,
//!   and the `{"errcode":0,"errmsg":"ok"}` answer → `ApiOk`;
//! * `api/user_get/machine`: the same call through the call machine with a warm token, as a
//!   transport drives it (start, poll to `Send`, the answer, `Parse`, the verdict, `Done`),
//!   without I/O: the machine's own cost on top of build and parse.
//!
//! Target: under 2 µs per call. Run: `cargo bench -p wechat-core --bench api`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

use wechat_core::api::Endpoint;
use wechat_core::api::mp::API_BASE;
use wechat_core::api::mp::message::{CustomMessage, SendCustomMessage};
use wechat_core::api::mp::user::{GetUser, UserInfo};
use wechat_core::call::{Call, Done, Input, Output, Session, Start};
use wechat_core::client::{ClientConfig, Credentials};
use wechat_core::http::{ApiResponse, TokenKind};
use wechat_core::secret::AccessToken;
use wechat_core::time::Timestamp;
use wechat_core::token::StoredToken;

const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

/// A user-info answer as WeChat sends it (plus fields it added after this SDK was written);
/// the client benches of both transports have the mock server answer with the same file.
const USER_INFO: &str = include_str!("fixtures/user_info.json");

const OK: &str = r#"{"errcode":0,"errmsg":"ok"}"#;

fn user_get_build(token: &AccessToken) -> String {
    let call = GetUser {
        openid: OPENID.into(),
        lang: None,
    };
    call.request().expect("valid request").url(API_BASE, Some(token))
}

fn user_get_parse(body: &'static [u8]) -> UserInfo {
    let call = GetUser {
        openid: OPENID.into(),
        lang: None,
    };
    call.parse(ApiResponse::json(body)).expect("valid answer")
}

fn send_text(token: &AccessToken) -> (String, usize) {
    let call = SendCustomMessage::new(
        OPENID,
        CustomMessage::text("您好，您的订单 20240612-0042 已发货，预计明天送达。"),
    );
    let request = call.request().expect("valid request");
    let url = request.url(API_BASE, Some(token));
    let body = request.body.map_or(0, |b| b.bytes.len());
    call.parse(ApiResponse::json(OK.as_bytes())).expect("ok");
    (url, body)
}

/// One call through the machine: what a transport does per call, minus the I/O.
fn machine_call(session: &mut Session, answer: &ApiResponse) -> UserInfo {
    let call = GetUser {
        openid: OPENID.into(),
        lang: None,
    };
    let now = Timestamp::from_millis(1_700_000_000_000);
    let mut machine = Call::start(session, Start::Api(call.request().expect("valid")), || [0; 16]);
    let Output::Send(request) = machine.poll(session, now) else {
        panic!("a warm token sends at once")
    };
    black_box(request);
    let Ok(()) = machine.handle_alone(now, Input::Response(Ok(answer.clone()))) else {
        panic!("an answer needs no session")
    };
    let Some(Output::Parse(response)) = machine.poll_alone() else {
        panic!("then the endpoint parses")
    };
    let user = call.parse(response).expect("valid answer");
    let Ok(()) = machine.handle_alone(now, Input::Parsed(Ok(()))) else {
        panic!("an Ok needs no session")
    };
    let Some(Output::Done(Ok(Done::Parsed))) = machine.poll_alone() else {
        panic!("and the call is done")
    };
    user
}

fn bench(c: &mut Criterion) {
    let token = AccessToken::new(
        "80_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789-aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789aBcDeFgHiJk",
    );
    assert!((1000..1100).contains(&USER_INFO.len()), "the answer is about 1 KB");
    let user = user_get_parse(USER_INFO.as_bytes());
    assert_eq!(user.tagid_list, [128, 2, 117, 3001]);
    assert!(user_get_build(&token).ends_with(&format!("&openid={OPENID}")));

    let mut group = c.benchmark_group("api");
    group.bench_function("user_get/build", |b| b.iter(|| user_get_build(black_box(&token))));
    group.bench_function("user_get/parse", |b| {
        b.iter(|| user_get_parse(black_box(USER_INFO.as_bytes())))
    });
    group.bench_function("user_get/build_and_parse", |b| {
        b.iter(|| {
            let url = user_get_build(black_box(&token));
            (url, user_get_parse(black_box(USER_INFO.as_bytes())))
        })
    });
    group.bench_function("send_text/build_and_parse", |b| b.iter(|| send_text(black_box(&token))));
    let mut session = Session::new(
        ClientConfig::default(),
        Credentials::mp("wx1", "S").credential(),
        [7; 16],
    );
    let now = Timestamp::from_millis(1_700_000_000_000);
    session.accept(
        TokenKind::AccessToken,
        StoredToken {
            token: token.clone(),
            expires_at: now.unix().saturating_add(std::time::Duration::from_secs(7200)),
        },
        now.unix(),
    );
    let answer = ApiResponse::json(USER_INFO.as_bytes());
    group.bench_function("user_get/machine", |b| {
        b.iter(|| machine_call(&mut session, black_box(&answer)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
