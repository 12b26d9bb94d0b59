//! The logic of wechat-core's fuzz targets, one module per target.
//!
//! Each module is also compiled into `core/tests/fuzz_corpus.rs` (through `#[path]`), which
//! replays `fuzz/corpus/<target>/` on stable Rust in the normal test run: the fuzz targets in
//! `fuzz_targets/` and that test call the same functions. `xml_reference` (the differential
//! target's quick-xml-based reference parser) is fuzz-only.

pub mod callback_handler;
pub mod common;
pub mod decrypt;
pub mod parse_xml;
pub mod reply_roundtrip;
pub mod xml_reference;
