//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) on stable Rust.
//!
//! Every file goes through the same function its cargo-fuzz target calls: the target logic
//! lives in `fuzz/src/*.rs` and is compiled into this test with `#[path]`, so the two cannot
//! drift. A failure names the corpus file; reproduce it with
//! `cargo +nightly fuzz run <target> fuzz/corpus/<target>/<file>`.

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

#[path = "../../fuzz/src/common.rs"]
mod common;

#[path = "../../fuzz/src/callback_handler.rs"]
mod callback_handler;
#[path = "../../fuzz/src/decrypt.rs"]
mod decrypt;
#[path = "../../fuzz/src/parse_xml.rs"]
mod parse_xml;
#[path = "../../fuzz/src/reply_roundtrip.rs"]
mod reply_roundtrip;

/// Runs every file of `fuzz/corpus/<target>/` through `run`; returns how many files
/// reached the target's success path. Fails on an empty or missing corpus.
fn replay(target: &str, run: fn(&[u8]) -> bool) -> usize {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {} is missing: {e}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "corpus {} has only {} files",
        dir.display(),
        files.len()
    );
    let mut reached = 0;
    for path in &files {
        let data = fs::read(path).expect("corpus file");
        match catch_unwind(AssertUnwindSafe(|| run(&data))) {
            Ok(ok) => reached += usize::from(ok),
            Err(_) => panic!("{target}: {} fails (see the panic above)", path.display()),
        }
    }
    eprintln!("{target}: {reached} of {} files reach success", files.len());
    reached
}

#[test]
fn parse_xml_corpus() {
    let parsed = replay("parse_xml", parse_xml::run);
    assert!(parsed >= 100, "only {parsed} corpus files parse as messages");
}

#[test]
fn decrypt_corpus() {
    let decrypted = replay("decrypt", decrypt::run_bytes);
    assert!(decrypted >= 20, "only {decrypted} corpus files decrypt");
}

#[test]
fn reply_roundtrip_corpus() {
    let built = replay("reply_roundtrip", reply_roundtrip::run_bytes);
    assert!(built >= 100, "only {built} corpus files build a reply");
}

#[test]
fn callback_handler_corpus() {
    let accepted = replay("callback_handler", callback_handler::run_bytes);
    assert!(accepted >= 40, "only {accepted} corpus files are accepted");
}

/// The structured inputs' byte layout is what the seed generator writes; if `arbitrary`
/// changed how it decodes integers and arrays, the committed seeds would silently turn
/// into other inputs.
#[test]
fn structured_layout_is_stable() {
    let fields: [&[u8]; 3] = [b"token", b"", "\u{4e2d}".as_bytes()];

    let h = decrypt::Header {
        mode: 4,
        key_selector: 1,
        flags: 3,
        declared: [0, 0, 1, 2],
        pad_byte: 7,
        pad_len: 9,
        random: *b"0123456789abcdef",
    };
    let data = common::encode(&h.to_bytes(), &fields);
    let input = common::decode::<decrypt::DecryptInput>(&data).expect("decodes");
    assert_eq!(input.header, h);
    assert_eq!(
        (input.text(0), input.text(1), input.text(2), input.text(3)),
        ("token".into(), String::new(), "\u{4e2d}".into(), String::new())
    );

    let h = reply_roundtrip::Header {
        kind: 7,
        flags: 0x21,
        articles: 9,
        agent: 5u64.to_le_bytes(),
        number: (-1i64).to_le_bytes(),
        time: 1_700_000_000u64.to_le_bytes(),
        random: [3; 16],
    };
    let data = common::encode(&h.to_bytes(), &fields);
    let input = common::decode::<reply_roundtrip::ReplyInput>(&data).expect("decodes");
    assert_eq!(input.header, h);
    // nine articles are refused, so nothing is built
    assert!(!reply_roundtrip::run(&input));

    let h = callback_handler::Header {
        method: 1,
        mode: 2,
        flags: 0,
        now: 1_700_000_000u64.to_le_bytes(),
        skew: (-5i16).to_le_bytes(),
        random: [1; 16],
    };
    let data = common::encode(&h.to_bytes(), &[b"", b"", b"", b"nonce", b"echo"]);
    let input = common::decode::<callback_handler::CallbackInput>(&data).expect("decodes");
    assert_eq!(input.header, h);
    // a correctly signed verification is accepted by every handler
    assert!(callback_handler::run(&input));

    // too short for a header: rejected, as libFuzzer's `fuzz_target!` does
    assert!(common::decode::<decrypt::DecryptInput>(&[4, 0]).is_none());
}
