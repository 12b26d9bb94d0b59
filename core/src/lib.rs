//! The sans-IO core of a WeChat Official Account (公众号, "mp") and WeCom (企业微信, "work")
//! SDK: callback signatures and WXBizMsgCrypt-compatible message crypto, every pushed message
//! and event typed, passive replies, every API call as a pure request builder and response
//! parser, and the access-token life cycle as an explicit state machine.
//!
//! ```text
//!                 ┌──────────────────────── wechat-core (this crate) ───────────────────────┐
//!  callback ────► │ CallbackHandler: signature, decrypt, parse ──► Message ──► Reply::render │
//!  (bytes, now)   │ MessageCrypto (AES-256-CBC, PKCS#7/32)          ReplyContext::respond    │ ──► bytes
//!                 │                                                                           │
//!  API call ────► │ Endpoint::request ──► ApiRequest   ApiResponse ──► Endpoint::parse        │
//!                 │ TokenMachine::poll ──► Ready / Wait / Refresh ──► RefreshFlow steps       │
//!                 │ CallState::on_result ──► Done / ReplayWithFreshToken / RetryAfter         │
//!                 └──────────────▲──────────────────────────────────────────┬────────────────┘
//!                                │ responses, store answers, now, random     │ requests, store ops
//!             wechat-blocking (ureq) · wechat-async (reqwest, hyper) · your own executor
//! ```
//!
//! The core never opens a socket, reads a clock or draws randomness: time (Unix seconds) and
//! random bytes are arguments. It is `#![no_std]` + `alloc`; the `std` feature (default) adds
//! the `http` conversions and the XML layer (callbacks, messages, replies). Every decision of
//! the clients — when to refresh a token, whether a call may be replayed — is made here, so
//! the blocking client, the async client and a hand-written executor behave identically.
//!
//! A complete callback round trip, encrypted (WeCom's test vector keys):
//!
//! ```
//! use wechat_core::callback::{signed_query, CallbackConfig, CallbackHandler, Inbound};
//! use wechat_core::message::{Body, Kind};
//! use wechat_core::reply::Reply;
//! use wechat_core::secret::CallbackToken;
//! use wechat_core::time::UnixTime;
//!
//! let key = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
//! let handler = CallbackHandler::new(CallbackConfig::work("token", key, "ww_corp")?)?;
//!
//! // What WeChat would send (the simulator side).
//! let crypto = handler.config().crypto.clone().unwrap();
//! let xml = "<xml><ToUserName>ww_corp</ToUserName><FromUserName>zhangsan</FromUserName>\
//!            <CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content>hi</Content>\
//!            <MsgId>1</MsgId><AgentID>1000002</AgentID></xml>";
//! let encrypt = crypto.encrypt(xml.as_bytes(), &[7; 16]);
//! let query = signed_query(Kind::Work, &CallbackToken::new("token"), "1700000000", "n1", None, Some(&encrypt));
//! let body = format!("<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>");
//!
//! // The server side: verify, decrypt, parse, answer.
//! let now = UnixTime(1700000000);
//! let Inbound::Message { message, reply } = handler.handle("POST", &query, body.as_bytes(), now)? else {
//!     unreachable!("a POST is a message");
//! };
//! let Body::Text(text) = &message.body else { unreachable!() };
//! let answer = Reply::text(&message, text.content.clone().unwrap_or_default()).render(now);
//! let response = reply.respond(Some(&answer), &[9; 16]); // an encrypted envelope
//! assert_eq!(response.status, 200);
//! assert!(response.body.contains("<Encrypt>"));
//! # Ok::<(), wechat_core::Error>(())
//! ```
//!
//! An API call is two pure halves; see [`api`] for an example, [`token`] for the token state
//! machine, and `core/examples/custom_executor.rs` for a complete hand-written executor.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod api;
pub mod call;
#[cfg(feature = "std")]
pub mod callback;
pub mod client;
pub mod credential;
pub mod crypto;
pub mod error;
pub mod http;
#[cfg(feature = "std")]
pub mod message;
pub mod multipart;
#[cfg(feature = "std")]
pub mod reply;
pub mod secret;
pub mod signature;
pub mod time;
pub mod token;
#[cfg(feature = "std")]
pub mod xml;

pub use error::Error;
