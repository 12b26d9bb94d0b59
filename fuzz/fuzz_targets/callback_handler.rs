#![no_main]
//! Arbitrary requests through `CallbackHandler::handle`; see `wechat_fuzz::callback_handler`.

use libfuzzer_sys::fuzz_target;
use wechat_fuzz::callback_handler::{CallbackInput, run};

fuzz_target!(|input: CallbackInput| {
    run(&input);
});
