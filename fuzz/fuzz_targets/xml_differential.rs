#![no_main]
//! wechat-core's XML parser against its quick-xml-based predecessor; see
//! `wechat_fuzz::xml_reference`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wechat_fuzz::xml_reference::differential(data));
