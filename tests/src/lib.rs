//! Test support for the workspace: the mock WeChat API server and a raw HTTP client.
//!
//! * [`mock`]: [`MockWeChat`], a stateful, fault-injecting stand-in for `api.weixin.qq.com`
//!   and `qyapi.weixin.qq.com` (tokens with WeChat's grace and expiry rules, stable tokens,
//!   WeCom tokens, JS-SDK tickets, media upload and download).
//! * [`raw_http`]: a minimal blocking HTTP/1.1 client for asserting on the wire directly.
//! * [`bench`](mod@bench): what the client benchmarks share (the mock setup and the alternating rounds).
//!
//! The default accounts ([`MOCK_MP_APPID`], [`MOCK_WORK_CORPID`], …) are shared constants so
//! that every scenario test uses the same ones.
#![warn(missing_docs)]

pub mod bench;
pub mod mock;
pub mod raw_http;

pub use mock::{
    Fault, FaultRule, MOCK_MP_APPID, MOCK_MP_SECRET, MOCK_WORK_AGENTID, MOCK_WORK_CORPID, MOCK_WORK_SECRET, MockConfig,
    MockWeChat, Outcome, RecordedRequest, StoredMedia, TokenFetches, TokenInfo, TokenKind, errcode,
};
