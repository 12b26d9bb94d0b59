#![no_main]
//! The message crypto on hostile keys, envelopes and ciphertexts; see `wechat_fuzz::decrypt`.

use libfuzzer_sys::fuzz_target;
use wechat_fuzz::decrypt::{DecryptInput, run};

fuzz_target!(|input: DecryptInput| {
    run(&input);
});
