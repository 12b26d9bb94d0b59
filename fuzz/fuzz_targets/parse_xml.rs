#![no_main]
//! Arbitrary bytes through the XML and message parsers; see `wechat_fuzz::parse_xml`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wechat_fuzz::parse_xml::run(data);
});
