//! Pieces every fuzz target shares: the input layout of the structured targets, the fixed
//! credentials, and the secret-leak check.
//!
//! This file is compiled twice: into the `wechat-fuzz` crate (for `cargo fuzz`) and, through
//! `#[path]`, into `core/tests/fuzz_corpus.rs` (the stable replay of the seed corpus). It may
//! only use `wechat_core`, `arbitrary` and crates wechat-core itself depends on.
//!
//! # Input layout of the structured targets
//!
//! A structured input is a fixed-size header of integers and byte arrays, decoded with
//! `arbitrary` (each integer little-endian, each array byte by byte), followed by the rest of
//! the input: text fields separated by `0xFF`, a byte that never occurs in UTF-8. Missing
//! fields read as empty. This layout lets the seed generator (`examples/seeds.rs`) write real
//! WeChat samples as inputs, and lets libFuzzer's byte-level mutations (and its comparison
//! tracing) work on the text fields directly.

use std::borrow::Cow;

use arbitrary::{Arbitrary, Unstructured};

/// Separates the text fields of a structured input.
pub const SEP: u8 = 0xFF;

/// The EncodingAESKey of wechatpy's test vectors (inventory §6.1).
pub const VECTOR_KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
/// The app id / corp id of wechatpy's test vectors.
pub const VECTOR_ID: &str = "wx49f0ab532d5d035a";
/// The callback token of wechatpy's test vectors.
pub const VECTOR_TOKEN: &str = "123456";

/// The base64 alphabet EncodingAESKeys are drawn from.
pub const BASE64_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A structured input: a header `H` and the `0xFF`-separated fields after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input<H> {
    /// The fixed-size header.
    pub header: H,
    /// Everything after the header.
    pub rest: Vec<u8>,
}

impl<'a, H: Arbitrary<'a>> Arbitrary<'a> for Input<H> {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let header = H::arbitrary(u)?;
        let rest = u.bytes(u.len())?.to_vec();
        Ok(Self { header, rest })
    }

    fn arbitrary_take_rest(mut u: Unstructured<'a>) -> arbitrary::Result<Self> {
        Self::arbitrary(&mut u)
    }

    fn size_hint(depth: usize) -> (usize, Option<usize>) {
        (H::size_hint(depth).0, None)
    }
}

impl<H> Input<H> {
    /// Field `i` as bytes (empty when absent).
    pub fn bytes(&self, i: usize) -> &[u8] {
        self.rest.split(|&b| b == SEP).nth(i).unwrap_or(&[])
    }

    /// Field `i` as text; invalid UTF-8 becomes U+FFFD.
    pub fn text(&self, i: usize) -> String {
        String::from_utf8_lossy(self.bytes(i)).into_owned()
    }
}

/// Decodes raw fuzzer bytes exactly as `libfuzzer_sys::fuzz_target!(|input: T| ...)` does:
/// inputs shorter than the size hint are rejected, then `arbitrary_take_rest`.
pub fn decode<'a, T: Arbitrary<'a>>(data: &'a [u8]) -> Option<T> {
    if data.len() < T::size_hint(0).0 {
        return None;
    }
    T::arbitrary_take_rest(Unstructured::new(data)).ok()
}

/// Writes a structured input: the header bytes, then the fields joined by [`SEP`]. Fields
/// must not contain `0xFF`.
pub fn encode(header: &[u8], fields: &[&[u8]]) -> Vec<u8> {
    let mut out = header.to_vec();
    for (i, field) in fields.iter().enumerate() {
        assert!(!field.contains(&SEP), "field {i} contains the separator");
        if i > 0 {
            out.push(SEP);
        }
        out.extend_from_slice(field);
    }
    out
}

/// An EncodingAESKey chosen by the fuzzer: mostly 43 characters of the base64 alphabet
/// (derived from `seed`, the vector key when `seed` is empty), sometimes `seed` itself as
/// garbage (`selector` odd).
pub fn encoding_aes_key(selector: u8, seed: &[u8]) -> Cow<'_, str> {
    if selector & 1 == 1 {
        return String::from_utf8_lossy(seed);
    }
    if seed.is_empty() {
        return Cow::Borrowed(VECTOR_KEY);
    }
    let key: String = seed
        .iter()
        .cycle()
        .take(43)
        .map(|&b| char::from(BASE64_ALPHABET[usize::from(b % 64)]))
        .collect();
    Cow::Owned(key)
}

/// Whether `key` is one `MessageCrypto::new` must accept: 43 base64-alphabet characters.
pub fn is_valid_key(key: &str) -> bool {
    key.len() == 43 && key.bytes().all(|b| BASE64_ALPHABET.contains(&b))
}

/// Panics if `shown` (a rendered error, a `Debug` dump) contains one of `secrets`.
pub fn assert_no_secret(shown: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!shown.contains(secret), "a secret leaked into {shown:?}");
    }
}

/// The text of the leaf `tag` in the top level of `xml`.
pub fn top_level_text(xml: &str, tag: &str) -> Option<String> {
    let doc = wechat_core::xml::parse(xml).ok()?;
    doc.children.text(tag).map(String::from)
}
