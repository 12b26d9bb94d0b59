//! `callback_handler`: arbitrary requests through `CallbackHandler::handle` for an mp plain,
//! an mp safe, an mp compatible and a WeCom handler.
//!
//! Four modes, picked by the header:
//! - **raw**: the fuzzer's method, query string and body as they are;
//! - **signed message**: the harness signs the fuzzer's timestamp skew and nonce (and, for
//!   the encrypted handlers, encrypts the fuzzer's body into an envelope), then POSTs it;
//! - **signed verification**: a signed GET with the fuzzer's `echostr` (encrypted for
//!   WeCom);
//! - **signed envelope**: the fuzzer's body is the envelope, with `msg_signature` computed
//!   over whatever `Encrypt` it holds, so hostile ciphertext reaches decryption.
//!
//! Invariants: nothing panics; every error maps to a 4xx through `CallbackResponse::rejected`
//! whose body is the error kind; neither the handler's `Debug` nor (unless the request itself
//! contains them) an error or a reply context shows the token or the EncodingAESKey; an accepted message answers 200 and its encrypted answer decrypts
//! to the reply; verification echoes `echostr`. In the signed modes, without tampering, the
//! outcome is exactly what `parse_message` says about the plaintext (or a stale-timestamp
//! rejection when the skew is beyond the 300 s window); with a wrong token, a rejection.

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use wechat_core::Error;
use wechat_core::callback::{
    CallbackConfig, CallbackHandler, CallbackQuery, CallbackResponse, Inbound, Mode, extract_encrypt, signed_query,
};
use wechat_core::message::{Kind, parse_message};
use wechat_core::reply::Reply;
use wechat_core::secret::CallbackToken;
use wechat_core::time::UnixTime;
use wechat_core::xml::push_cdata;

use crate::common::{self, Input};

/// The callback token of every handler (distinctive, so a leak is recognisable).
pub const TOKEN: &str = "fuzzCallbackTokenZq8";
/// The EncodingAESKey of every encrypted handler.
pub const KEY: &str = "FuzzKeyFuzzKeyFuzzKeyFuzzKeyFuzzKeyFuzzKey1";
/// The mp handlers' app id.
pub const APP_ID: &str = "wxf0221e0000000001";
/// The WeCom handler's corp id.
pub const CORP_ID: &str = "wwf0221e0000000001";
/// Timestamps further than this from now are stale.
pub const WINDOW: u64 = 300;

/// The fixed-size part of a `callback_handler` input.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The method in raw mode (`% 5`): GET, POST, HEAD, PUT, or field 0.
    pub method: u8,
    /// The mode (`% 4`): raw, signed message, signed verification, signed envelope.
    pub mode: u8,
    /// Bit 0: append field 1 to the signed query; bit 1: sign with a wrong token; bit 2:
    /// send the compatible-mode handler a plaintext request.
    pub flags: u8,
    /// Now, in Unix seconds (little-endian).
    pub now: [u8; 8],
    /// The signed timestamp's distance from now (little-endian `i16`).
    pub skew: [u8; 2],
    /// The random prefix of every encryption.
    pub random: [u8; 16],
}

impl Header {
    /// The bytes that decode to this header.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![self.method, self.mode, self.flags];
        out.extend_from_slice(&self.now);
        out.extend_from_slice(&self.skew);
        out.extend_from_slice(&self.random);
        out
    }
}

/// A `callback_handler` input. Fields: method, query, body (the plaintext in the signed
/// message mode), nonce, echostr.
pub type CallbackInput = Input<Header>;

/// Field indexes.
pub const METHOD: usize = 0;
/// The query string (raw mode) or extra parameters (signed modes, flag bit 0).
pub const QUERY: usize = 1;
/// The body, or the plaintext message in the signed message mode.
pub const BODY: usize = 2;
/// The nonce of the signed modes.
pub const NONCE: usize = 3;
/// The echostr of the verification mode.
pub const ECHOSTR: usize = 4;

/// The handlers under test: mp plain, mp safe, mp compatible, WeCom.
pub fn handlers() -> &'static [CallbackHandler; 4] {
    static HANDLERS: OnceLock<[CallbackHandler; 4]> = OnceLock::new();
    HANDLERS.get_or_init(|| {
        let mp = |mode| CallbackConfig::mp_encrypted(mode, TOKEN, KEY, APP_ID).expect("key");
        [
            CallbackConfig::mp_plain(TOKEN),
            mp(Mode::Safe),
            mp(Mode::Compatible),
            CallbackConfig::work(TOKEN, KEY, CORP_ID).expect("key"),
        ]
        .map(|config| CallbackHandler::new(config).expect("a complete config"))
    })
}

/// Decodes and runs raw fuzzer bytes; see [`run`] for the result.
pub fn run_bytes(data: &[u8]) -> bool {
    common::decode::<CallbackInput>(data).is_some_and(|input| run(&input))
}

/// Runs one input; `true` when some handler accepted the request.
pub fn run(input: &CallbackInput) -> bool {
    let h = &input.header;
    let now = UnixTime(u64::from_le_bytes(h.now));
    // Errors and answers may echo the request; libFuzzer learns the token from the sort in
    // the signature check, so a secret the input itself contains is no evidence of a leak.
    let raw = [h.to_bytes(), input.rest.clone()].concat();
    let secrets: Vec<&str> = [TOKEN, KEY]
        .into_iter()
        .filter(|s| !raw.windows(s.len()).any(|w| w == s.as_bytes()))
        .collect();
    let mut accepted = false;
    for handler in handlers() {
        let (method, query, body, expected) = match h.mode % 4 {
            0 => raw_request(input),
            1 => signed_message(input, handler, now),
            2 => signed_verification(input, handler, now),
            _ => signed_envelope(input, handler, now),
        };
        let result = handler.handle(&method, &query, &body, now);
        check(handler, &method, &query, &result, now, &input.header.random, &secrets);
        if let Some(expected) = expected {
            compare(&result, &expected, &query);
        }
        accepted |= result.is_ok();
    }
    accepted
}

/// What a signed request must produce.
enum Expected {
    /// A message equal to the plaintext parsed on its own.
    Message(Box<Result<wechat_core::message::Message, Error>>),
    /// A verification echoing this.
    Echo(String),
    /// A rejection of one of these kinds.
    Rejected(&'static [&'static str]),
}

type Request = (String, String, Vec<u8>, Option<Expected>);

fn raw_request(input: &CallbackInput) -> Request {
    let method = match input.header.method % 5 {
        0 => "GET".to_owned(),
        1 => "POST".to_owned(),
        2 => "HEAD".to_owned(),
        3 => "PUT".to_owned(),
        _ => input.text(METHOD),
    };
    (method, input.text(QUERY), input.bytes(BODY).to_vec(), None)
}

/// The signed timestamp, and whether it is outside the window.
fn timestamp(input: &CallbackInput, now: UnixTime) -> (String, bool) {
    let skew = i16::from_le_bytes(input.header.skew);
    let ts = now.as_secs().saturating_add_signed(i64::from(skew));
    (ts.to_string(), ts.abs_diff(now.as_secs()) > WINDOW)
}

/// The token the harness signs with: the handler's, or a wrong one (flag bit 1).
fn signing_token(input: &CallbackInput) -> (CallbackToken, bool) {
    let tampered = input.header.flags & 2 != 0;
    let token = if tampered {
        format!("{TOKEN}-wrong")
    } else {
        TOKEN.to_owned()
    };
    (CallbackToken::new(token), tampered)
}

/// Appends field 1 to the query when flag bit 0 is set; then no exact outcome is predicted.
fn with_extra(input: &CallbackInput, mut query: String) -> (String, bool) {
    let extra = input.header.flags & 1 != 0 && !input.bytes(QUERY).is_empty();
    if extra {
        query.push('&');
        query.push_str(&input.text(QUERY));
    }
    (query, extra)
}

/// The expectation for a signed request: a rejection (tampered or stale) or `ok`. A wrong
/// signature and a stale timestamp together may give either rejection (mp checks the
/// signature first, WeCom messages the timestamp).
fn expectation(tampered: bool, stale: bool, extra: bool, ok: impl FnOnce() -> Expected) -> Option<Expected> {
    if extra {
        return None;
    }
    Some(match (tampered, stale) {
        (true, true) => Expected::Rejected(&["invalid-signature", "stale-timestamp"]),
        (true, false) => Expected::Rejected(&["invalid-signature"]),
        (false, true) => Expected::Rejected(&["stale-timestamp"]),
        (false, false) => ok(),
    })
}

fn signed_message(input: &CallbackInput, handler: &CallbackHandler, now: UnixTime) -> Request {
    let config = handler.config();
    let (ts, stale) = timestamp(input, now);
    let nonce = input.text(NONCE);
    let (token, tampered) = signing_token(input);
    let plaintext = input.text(BODY);
    let encrypted = match config.mode {
        Mode::Plain => false,
        Mode::Safe => true,
        Mode::Compatible => input.header.flags & 4 == 0,
    };
    let (query, body) = match (&config.crypto, encrypted) {
        (Some(crypto), true) => {
            let encrypt = crypto.encrypt(plaintext.as_bytes(), &input.header.random);
            let mut body = String::from("<xml><ToUserName>");
            push_cdata(&mut body, crypto.receive_id());
            body.push_str("</ToUserName><Encrypt>");
            push_cdata(&mut body, &encrypt);
            body.push_str("</Encrypt></xml>");
            let q = signed_query(config.kind, &token, &ts, &nonce, None, Some(&encrypt));
            (q, body)
        }
        _ => (
            signed_query(config.kind, &token, &ts, &nonce, None, None),
            plaintext.clone(),
        ),
    };
    let (query, extra) = with_extra(input, query);
    let expected = expectation(tampered, stale, extra, || {
        Expected::Message(Box::new(parse_message(&plaintext, config.kind)))
    });
    ("POST".to_owned(), query, body.into_bytes(), expected)
}

fn signed_verification(input: &CallbackInput, handler: &CallbackHandler, now: UnixTime) -> Request {
    let config = handler.config();
    let (ts, stale) = timestamp(input, now);
    let nonce = input.text(NONCE);
    let (token, tampered) = signing_token(input);
    let echostr = input.text(ECHOSTR);
    let sent = match (config.kind, &config.crypto) {
        (Kind::Work, Some(crypto)) => crypto.encrypt(echostr.as_bytes(), &input.header.random),
        _ => echostr.clone(),
    };
    let query = signed_query(config.kind, &token, &ts, &nonce, Some(&sent), None);
    let (query, extra) = with_extra(input, query);
    let expected = expectation(tampered, stale, extra, || Expected::Echo(echostr));
    ("GET".to_owned(), query, Vec::new(), expected)
}

fn signed_envelope(input: &CallbackInput, handler: &CallbackHandler, now: UnixTime) -> Request {
    let config = handler.config();
    let (ts, _) = timestamp(input, now);
    let nonce = input.text(NONCE);
    let (token, _) = signing_token(input);
    let body = input.text(BODY);
    let encrypt = extract_encrypt(&body).ok();
    let query = signed_query(config.kind, &token, &ts, &nonce, None, encrypt.as_deref());
    let (query, _) = with_extra(input, query);
    ("POST".to_owned(), query, body.into_bytes(), None)
}

/// The invariants every result satisfies.
fn check(
    handler: &CallbackHandler,
    method: &str,
    query: &str,
    result: &Result<Inbound, Error>,
    now: UnixTime,
    random: &[u8; 16],
    secrets: &[&str],
) {
    let config = handler.config();
    common::assert_no_secret(&format!("{handler:?}"), &[TOKEN, KEY]);
    match result {
        Err(e) => {
            let response = CallbackResponse::rejected(e);
            assert!(
                (400..500).contains(&response.status),
                "{e} answered {}",
                response.status
            );
            assert_eq!(response.body, e.kind());
            common::assert_no_secret(&format!("{e} {e:?} {response:?}"), secrets);
        }
        Ok(inbound) => match inbound {
            Inbound::Verify { echo } => {
                assert!(matches!(method, "GET" | "HEAD"), "{method} verified");
                if config.kind == Kind::Mp {
                    assert_eq!(Some(echo), CallbackQuery::parse(query).echostr.as_ref());
                }
            }
            Inbound::Message { message, reply } => {
                common::assert_no_secret(&format!("{reply:?}"), secrets);
                assert_eq!(method, "POST");
                assert_eq!(message.kind, config.kind);
                let _ = message.dedup_key();
                assert_eq!(reply.respond(None, random), CallbackResponse::success());
                let xml = Reply::text(message, "ok").render(now);
                let response = reply.respond(Some(&xml), random);
                assert_eq!(response.status, 200);
                if reply.is_encrypted() {
                    let crypto = config.crypto.as_ref().expect("encrypted needs a cipher");
                    let field = |tag| common::top_level_text(&response.body, tag).expect(tag);
                    let decrypted = crypto.decrypt_message(
                        &response.body,
                        &field("MsgSignature"),
                        &field("TimeStamp"),
                        &field("Nonce"),
                    );
                    assert_eq!(decrypted, Ok(xml));
                } else {
                    assert_eq!(response.body, xml);
                }
            }
        },
    }
}

/// A signed request's result against what it must be.
fn compare(result: &Result<Inbound, Error>, expected: &Expected, query: &str) {
    match (result, expected) {
        (Ok(Inbound::Message { message, .. }), Expected::Message(want)) if want.is_ok() => {
            assert_eq!(Ok(message), want.as_ref().as_ref(), "the handler parsed differently");
        }
        (Err(e), Expected::Message(want)) if want.is_err() => {
            assert_eq!(Err(e), want.as_ref().as_ref());
        }
        (Ok(Inbound::Verify { echo }), Expected::Echo(want)) => assert_eq!(echo, want),
        (Err(e), Expected::Rejected(kinds)) => {
            assert!(kinds.contains(&e.kind()), "{e} but expected {kinds:?}")
        }
        (Err(e), _) => panic!("a correctly signed request was rejected: {e} (query {query:?})"),
        (Ok(_), _) => panic!("unexpected success for query {query:?}"),
    }
}
