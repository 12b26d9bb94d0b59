//! The call machine on a simulated clock, against a scripted WeChat and a fake store with
//! real lease semantics, with several calls interleaved step by step.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::time::Duration;

use super::*;
use crate::client::{ClientConfig, Credentials};
use crate::credential::{Credential, Fetched, StoredInput};
use crate::error::{TokenError, TransportErrorKind};
use crate::http::Method;

type WeChat = Box<dyn FnMut(&Outgoing) -> Result<ApiResponse, TransportError>>;

/// A fake world: a millisecond clock, a store, WeChat, and what was sent.
struct World {
    now: u64,
    store: LocalStore,
    wechat: WeChat,
    sent: Vec<Outgoing>,
    /// Every answer handed out to parse.
    parsed: Vec<ApiResponse>,
    store_down: bool,
}

impl World {
    fn new(wechat: impl FnMut(&Outgoing) -> Result<ApiResponse, TransportError> + 'static) -> Self {
        Self {
            now: 1_700_000_000_000,
            store: LocalStore::new(),
            wechat: Box::new(wechat),
            sent: Vec::new(),
            parsed: Vec::new(),
            store_down: false,
        }
    }

    fn at(&self) -> Timestamp {
        Timestamp(self.now)
    }

    fn get(&self, key: &str) -> Option<String> {
        self.store.get(key, self.at()).map(String::from)
    }

    fn put(&mut self, key: String, value: String, ttl: Option<Duration>) {
        let now = self.at();
        self.store.set(key, value, ttl, now);
    }

    fn run(&mut self, op: StoreOp) -> Result<StoreAnswer, String> {
        if self.store_down {
            return Err("connection refused".into());
        }
        let now = self.at();
        Ok(self.store.run(op, now))
    }
}

/// Drives calls round-robin, one output each; when every call waits, the clock jumps to the
/// earliest wake-up. Returns the results in order.
fn drive(session: &mut Session, world: &mut World, mut calls: Vec<Call>) -> Vec<Result<Done, Error>> {
    let mut results: Vec<Option<Result<Done, Error>>> = (0..calls.len()).map(|_| None).collect();
    let mut waiting: Vec<Option<u64>> = alloc::vec![None; calls.len()];
    for _ in 0..100_000 {
        let mut progressed = false;
        for (i, call) in calls.iter_mut().enumerate() {
            if results[i].is_some() || waiting[i].is_some_and(|until| until > world.now) {
                continue;
            }
            waiting[i] = None;
            progressed = true;
            match call.poll(session, world.at()) {
                Output::Send(outgoing) => {
                    let answer = (world.wechat)(&outgoing);
                    world.sent.push(outgoing);
                    call.handle(session, world.at(), Input::Response(answer));
                }
                Output::Store(op) => {
                    let answer = world.run(op);
                    call.handle(session, world.at(), Input::Store(answer));
                }
                Output::Parse(response) => {
                    // What an endpoint does: WeChat's errors are errors.
                    let verdict = crate::api::json::check(&response);
                    world.parsed.push(response);
                    call.handle(session, world.at(), Input::Parsed(verdict));
                }
                Output::Wait { until } => waiting[i] = Some(until.0),
                Output::Wake => waiting.iter_mut().for_each(|w| *w = None),
                Output::Done(result) => results[i] = Some(result),
            }
        }
        if results.iter().all(Option::is_some) {
            return results.into_iter().map(Option::unwrap).collect();
        }
        if !progressed {
            world.now = waiting.iter().flatten().copied().min().expect("someone waits");
        }
    }
    panic!("the calls never finished");
}

/// Drives one call of `request` to its end.
fn one(session: &mut Session, world: &mut World, request: ApiRequest, random: [u8; 16]) -> Vec<Result<Done, Error>> {
    let call = Call::new(session, request, random);
    drive(session, world, alloc::vec![call])
}

fn ok(body: &str) -> Result<ApiResponse, TransportError> {
    Ok(ApiResponse::json(String::from(body).into_bytes()))
}

/// WeChat issuing `T1`, `T2`, ... and answering API calls made with the latest token.
fn wechat() -> impl FnMut(&Outgoing) -> Result<ApiResponse, TransportError> {
    let mut issued = 0;
    move |req: &Outgoing| {
        if req.path().ends_with("/cgi-bin/token") {
            issued += 1;
            return ok(&format!(r#"{{"access_token":"T{issued}","expires_in":7200}}"#));
        }
        if req.url.contains(&format!("access_token=T{issued}&"))
            || req.url.ends_with(&format!("access_token=T{issued}"))
        {
            ok(r#"{"openid":"o"}"#)
        } else {
            ok(r#"{"errcode":40001,"errmsg":"invalid credential"}"#)
        }
    }
}

fn session() -> Session {
    let mut config = ClientConfig::default();
    config.call.backoff_initial = Duration::from_millis(100);
    Session::new(config, Credentials::mp("wx1", "S").credential(), [7; 16])
}

fn user_get() -> ApiRequest {
    ApiRequest::get("/cgi-bin/user/info").query("openid", "o")
}

fn tokens(world: &World) -> usize {
    world
        .sent
        .iter()
        .filter(|r| r.path().ends_with("/cgi-bin/token"))
        .count()
}

#[test]
fn a_cold_burst_fetches_once_and_every_call_is_answered() {
    let mut session = session();
    let mut world = World::new(wechat());
    let calls = (0..20).map(|_| Call::new(&mut session, user_get(), [0; 16])).collect();
    let results = drive(&mut session, &mut world, calls);
    for r in results {
        assert_eq!(r, Ok(Done::Parsed));
    }
    assert_eq!(world.parsed.len(), 20);
    assert!(world.parsed.iter().all(|resp| resp.body.starts_with(b"{\"openid\"")));
    assert_eq!(tokens(&world), 1);
    assert_eq!(session.token_fetches(), 1);
    // The token is in the store, under a key without a secret.
    let stored = world.get("wechat:mp:wx1:access_token").unwrap();
    assert!(stored.contains("\"T1\""));
    // A warm call takes the fast path: no store operation, one request.
    let before = world.sent.len();
    let mut call = Call::new(&mut session, user_get(), [0; 16]);
    assert!(matches!(call.poll(&mut session, world.at()), Output::Send(_)));
    assert_eq!(world.sent.len(), before);
}

#[test]
fn a_rejected_token_is_replaced_and_the_call_replayed_once() {
    let mut session = session();
    let mut world = World::new(wechat());
    one(&mut session, &mut world, user_get(), [0; 16]);
    // Someone else fetched T2 (WeChat now rejects T1); the store still says T1.
    let _ = (world.wechat)(&ApiRequest::get("/cgi-bin/token").outgoing("https://x", None));
    let results = one(&mut session, &mut world, user_get(), [0; 16]);
    assert!(matches!(&results[0], Ok(Done::Parsed)), "{results:?}");
    assert!(world.get("wechat:mp:wx1:access_token").unwrap().contains("\"T3\""));
    // WeChat rejects every token: one replay, then a clear error.
    let mut session = self::session();
    let mut world = World::new(|req: &Outgoing| {
        if req.path().ends_with("/cgi-bin/token") {
            ok(r#"{"access_token":"T","expires_in":7200}"#)
        } else {
            ok(r#"{"errcode":42001,"errmsg":"expired"}"#)
        }
    });
    let results = one(&mut session, &mut world, user_get(), [0; 16]);
    assert_eq!(
        results[0],
        Err(Error::Token(TokenError::RejectedAfterRefresh { code: 42001 }))
    );
    assert_eq!(
        world.sent.iter().filter(|r| r.path().ends_with("/user/info")).count(),
        2
    );
}

#[test]
fn busy_is_retried_after_a_back_off_for_reads_only() {
    let mut answers = alloc::vec![
        r#"{"errcode":-1,"errmsg":"busy"}"#,
        r#"{"errcode":-1,"errmsg":"busy"}"#,
        r#"{"openid":"o"}"#,
    ]
    .into_iter();
    let mut session = session();
    let mut world = World::new(move |req: &Outgoing| {
        if req.path().ends_with("/cgi-bin/token") {
            ok(r#"{"access_token":"T","expires_in":7200}"#)
        } else {
            ok(answers.next().unwrap_or(r#"{"errcode":-1,"errmsg":"busy"}"#))
        }
    });
    let start = world.now;
    let results = one(&mut session, &mut world, user_get(), [0; 16]);
    assert!(matches!(results[0], Ok(Done::Parsed)));
    // Two back-offs: 100 ms then 200 ms, on the simulated clock.
    assert_eq!(world.now - start, 300);
    // A send is not retried.
    let send = ApiRequest::post("/cgi-bin/message/custom/send").json(b"{}".to_vec());
    let results = one(&mut session, &mut world, send, [0; 16]);
    assert!(matches!(&results[0], Err(Error::Api(e)) if e.code == -1));
}

#[test]
fn transport_failures_replay_only_what_is_safe() {
    let timeouts = |kind| {
        move |req: &Outgoing| {
            if req.path().ends_with("/cgi-bin/token") {
                ok(r#"{"access_token":"SECRET-T","expires_in":7200}"#)
            } else {
                Err(TransportError::message(kind, format!("{} failed", req.url)))
            }
        }
    };
    let send = || ApiRequest::post("/cgi-bin/message/custom/send").json(b"{}".to_vec());
    let count = |world: &World, path: &str| world.sent.iter().filter(|r| r.path().ends_with(path)).count();
    // A send that timed out may have reached WeChat: never sent again.
    let mut session = session();
    let mut world = World::new(timeouts(TransportErrorKind::Timeout));
    let results = one(&mut session, &mut world, send(), [0; 16]);
    let Err(Error::Transport(e)) = &results[0] else {
        panic!("{results:?}")
    };
    assert_eq!(e.kind, TransportErrorKind::Timeout);
    assert!(!format!("{e} {e:?}").contains("SECRET-T"), "the token is scrubbed: {e}");
    assert_eq!(count(&world, "/custom/send"), 1);
    // A read is sent once more; a send whose connection never opened is too.
    let results = one(&mut session, &mut world, user_get(), [0; 16]);
    assert!(results[0].is_err());
    assert_eq!(count(&world, "/user/info"), 2);
    let mut world = World::new(timeouts(TransportErrorKind::Connect));
    let results = one(&mut session, &mut world, send(), [0; 16]);
    assert!(matches!(&results[0], Err(Error::Transport(e)) if e.kind == TransportErrorKind::Connect));
    assert_eq!(count(&world, "/custom/send"), 2);
}

#[test]
fn an_unusable_answer_to_a_send_is_unconfirmed() {
    let mut session = session();
    let mut world = World::new(|req: &Outgoing| {
        if req.path().ends_with("/cgi-bin/token") {
            ok(r#"{"access_token":"T","expires_in":7200}"#)
        } else {
            ok(&"x".repeat(100))
        }
    });
    session.config.max_response_bytes = 50;
    let send = ApiRequest::post("/cgi-bin/message/custom/send").json(b"{}".to_vec());
    let results = one(&mut session, &mut world, send, [0; 16]);
    let Err(Error::Response(e)) = &results[0] else {
        panic!("{results:?}")
    };
    assert!(e.is_unconfirmed() && e.kind() == "response-too-large", "{e:?}");
}

#[test]
fn a_ticket_is_fetched_with_the_access_token_which_is_renewed_if_rejected() {
    let mut session = session();
    let mut issued = 0;
    let mut world = World::new(move |req: &Outgoing| {
        if req.path().ends_with("/cgi-bin/token") {
            issued += 1;
            return ok(&format!(r#"{{"access_token":"T{issued}","expires_in":7200}}"#));
        }
        assert!(req.path().ends_with("/cgi-bin/ticket/getticket"));
        if req.url.contains(&format!("access_token=T{issued}&")) && issued > 1 {
            ok(r#"{"errcode":0,"errmsg":"ok","ticket":"JT","expires_in":7200}"#)
        } else {
            ok(r#"{"errcode":40001,"errmsg":"invalid credential"}"#)
        }
    });
    let calls = (0..3)
        .map(|_| Call::token(&mut session, TokenTarget::Ticket(TicketKind::MpJsapi), false))
        .collect();
    let results = drive(&mut session, &mut world, calls);
    for r in &results {
        assert!(matches!(r, Ok(Done::Token(t, _)) if t.secret() == "JT"), "{r:?}");
    }
    // T1 was rejected by the ticket endpoint: replaced once; the ticket fetched twice in all.
    assert_eq!(tokens(&world), 2);
    let tickets = world.sent.iter().filter(|r| r.path().ends_with("getticket")).count();
    assert_eq!(tickets, 2);
    assert!(world.get("wechat:mp:wx1:jsapi_ticket").is_some());
}

#[test]
fn an_abandoned_refresh_is_taken_over_at_once() {
    let mut session = session();
    let world = World::new(wechat());
    let mut first = Call::new(&mut session, user_get(), [0; 16]);
    // The first call starts the refresh (reads the store) and is dropped mid-way.
    assert!(matches!(first.poll(&mut session, world.at()), Output::Store(_)));
    let mut second = Call::new(&mut session, user_get(), [0; 16]);
    assert!(matches!(second.poll(&mut session, world.at()), Output::Wait { .. }));
    let abandoned = first.abandon(&mut session);
    assert!(
        abandoned.wake && abandoned.cleanup.is_empty(),
        "the lease was not taken yet"
    );
    // Without waiting for the refresher's deadline, the second call refreshes itself.
    assert!(matches!(second.poll(&mut session, world.at()), Output::Store(_)));
}

#[test]
fn misuse_is_its_own_error() {
    let mut session = session();
    let mut call = Call::new(&mut session, user_get(), [0; 16]);
    call.handle(&mut session, Timestamp(0), Input::Response(ok("{}")));
    assert!(matches!(
        call.poll(&mut session, Timestamp(0)),
        Output::Done(Err(Error::Misuse(_)))
    ));
    let mut call = Call::new(&mut session, user_get(), [0; 16]);
    let Output::Store(_) = call.poll(&mut session, Timestamp(0)) else {
        panic!()
    };
    call.handle(&mut session, Timestamp(0), Input::Store(Ok(StoreAnswer::Count(3))));
    let Output::Done(Err(Error::Misuse(text))) = call.poll(&mut session, Timestamp(0)) else {
        panic!()
    };
    assert!(text.contains("does not answer"), "{text}");
}

/// A credential of a kind the machine has never heard of: its token comes from a made-up
/// endpoint with a stored input, rides in a header, and every request is signed.
#[derive(Debug)]
struct HeaderToken;

impl Credential for HeaderToken {
    fn name(&self) -> &str {
        "test_token"
    }
    fn account(&self) -> String {
        "test:acct".into()
    }
    fn inputs(&self) -> Vec<StoredInput> {
        alloc::vec![StoredInput {
            key: "test:acct:seed".into(),
            what: "test seed",
        }]
    }
    fn fetch(&self, inputs: &[String], _force: bool) -> Result<ApiRequest, Error> {
        Ok(ApiRequest::post("/test/token")
            .token(TokenKind::None)
            .json(format!(r#"{{"seed":"{}"}}"#, inputs[0]).into_bytes()))
    }
    fn parse(&self, response: &ApiResponse) -> Result<Fetched, Error> {
        let mut fetched = crate::credential::parse_token(response, false)?;
        fetched
            .keep
            .push(("test:acct:seed".into(), crate::secret::StoreValue::new("rotated"), None));
        Ok(fetched)
    }
    fn param(&self) -> Option<&'static str> {
        None
    }
    fn sign(
        &self,
        request: &mut Outgoing,
        token: Option<&AccessToken>,
        now: Timestamp,
        random: &[u8; 16],
    ) -> Result<(), Error> {
        request.headers.push((
            "authorization".into(),
            format!("Test {} {} {}", token.map_or("-", |t| t.secret()), now.0, random[0]),
        ));
        Ok(())
    }
}

#[test]
fn a_new_credential_kind_plugs_in_without_touching_the_machine() {
    let mut session = session();
    session.add(TokenKind::Custom("test"), Arc::new(HeaderToken));
    let mut world = World::new(|req: &Outgoing| {
        if req.path().ends_with("/test/token") {
            assert_eq!(req.body, br#"{"seed":"s1"}"#);
            ok(r#"{"access_token":"HT","expires_in":7200}"#)
        } else {
            assert!(!req.url.contains("HT"), "the token rides in the header only");
            ok(r#"{"ok":true}"#)
        }
    });
    let request = || ApiRequest::get("/test/api").token(TokenKind::Custom("test"));
    // No stored seed: a typed error naming it, and no fetch.
    let results = one(&mut session, &mut world, request(), [9; 16]);
    assert_eq!(
        results[0],
        Err(Error::Token(TokenError::MissingCredential("test seed".into())))
    );
    assert!(world.sent.is_empty());
    // With the seed (and past the back-off), the token is fetched, the rotated seed kept, and
    // the request signed.
    world.put("wechat:test:acct:seed".into(), "s1".into(), None);
    world.now += 2_000;
    let results = one(&mut session, &mut world, request(), [9; 16]);
    assert!(matches!(results[0], Ok(Done::Parsed)), "{results:?}");
    let api = world.sent.last().unwrap();
    assert_eq!(api.method, Method::Get);
    assert_eq!(
        api.header("authorization"),
        Some(format!("Test HT {} 9", world.now).as_str())
    );
    assert_eq!(world.get("wechat:test:acct:seed").as_deref(), Some("rotated"));
    assert!(world.get("wechat:test:acct:test_token").unwrap().contains("HT"));
}

#[test]
fn a_store_outage_is_typed_and_nothing_is_fetched() {
    let mut session = session();
    let mut world = World::new(wechat());
    world.store_down = true;
    let results = one(&mut session, &mut world, user_get(), [0; 16]);
    assert!(
        matches!(&results[0], Err(Error::Token(TokenError::Store(_)))),
        "{results:?}"
    );
    assert!(world.sent.is_empty());
}
