#![no_main]
//! Replies through render, parse and the encrypted envelope; see `wechat_fuzz::reply_roundtrip`.

use libfuzzer_sys::fuzz_target;
use wechat_fuzz::reply_roundtrip::{ReplyInput, run};

fuzz_target!(|input: ReplyInput| {
    run(&input);
});
