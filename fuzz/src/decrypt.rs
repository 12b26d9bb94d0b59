//! `decrypt`: the message crypto (`MessageCrypto`) on hostile input.
//!
//! Five modes, picked by the header:
//! - **api**: fuzzer-chosen token, EncodingAESKey (mostly well-formed, sometimes garbage),
//!   receive id, body, `msg_signature`, timestamp and nonce through `new`,
//!   `decrypt_message`, `verify_and_decrypt`, `decrypt`, `decrypt_any` and `verify_url`;
//! - **signed**: the same, but the harness signs the body, so decryption is reached and the
//!   signed calls must agree with the unsigned ones;
//! - **envelope**: the fuzzer's text is encrypted into an envelope (`encrypt_message`) and
//!   must come back exactly from `decrypt_message` and `verify_url`;
//! - **ciphertext**: fuzzer bytes are the raw ciphertext (base64-encoded, vector key);
//! - **plaintext**: the harness assembles a plaintext (header, declared length, message,
//!   receive id, padding: each possibly wrong) and encrypts it with raw AES-CBC, so the
//!   padding, length and UTF-8 checks are all reached.
//!
//! In the last two modes the harness also decrypts with raw AES-CBC and computes the
//! expected outcome from the documented plaintext layout; `decrypt` and `decrypt_any` must
//! match it exactly (value or error kind).
//!
//! Everywhere: nothing panics, and every `Ok` re-encrypts and decrypts back to itself.

use aes::Aes256;
use aes::cipher::{Block, BlockModeDecrypt, BlockModeEncrypt, InnerIvInit, KeyInit};
use arbitrary::Arbitrary;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use wechat_core::Error;
use wechat_core::callback::extract_encrypt;
use wechat_core::crypto::{MessageCrypto, decode_aes_key};
use wechat_core::secret::CallbackToken;

use crate::common::{self, Input, VECTOR_ID, VECTOR_KEY, VECTOR_TOKEN};

/// The fixed-size part of a `decrypt` input.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The mode (`% 5`): api, signed, envelope, ciphertext, plaintext.
    pub mode: u8,
    /// Even: a well-formed EncodingAESKey derived from field 1; odd: field 1 verbatim.
    pub key_selector: u8,
    /// ciphertext mode: bit 0 drops base64 padding. plaintext mode: bit 0 uses `declared`
    /// instead of the true message length, bit 1 uses `pad_byte` × `pad_len` instead of
    /// correct padding.
    pub flags: u8,
    /// A declared message length (big-endian), for the plaintext mode.
    pub declared: [u8; 4],
    /// A padding byte, for the plaintext mode.
    pub pad_byte: u8,
    /// A padding length (`% 48`), for the plaintext mode.
    pub pad_len: u8,
    /// The 16-byte random prefix for every encryption.
    pub random: [u8; 16],
}

impl Header {
    /// The bytes that decode to this header.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![self.mode, self.key_selector, self.flags];
        out.extend_from_slice(&self.declared);
        out.extend_from_slice(&[self.pad_byte, self.pad_len]);
        out.extend_from_slice(&self.random);
        out
    }
}

/// A `decrypt` input. Fields (api, signed, envelope): token, key seed, receive id, body,
/// `msg_signature`, timestamp, nonce. Plaintext mode: message, receive id. Ciphertext mode:
/// all the bytes after the header.
pub type DecryptInput = Input<Header>;

/// Field indexes.
pub const TOKEN: usize = 0;
/// The key seed (see [`common::encoding_aes_key`]).
pub const KEY: usize = 1;
/// The receive id.
pub const RECEIVE_ID: usize = 2;
/// The body (api, signed) or the plaintext (envelope).
pub const BODY: usize = 3;
/// `msg_signature`.
pub const SIGNATURE: usize = 4;
/// `timestamp`.
pub const TIMESTAMP: usize = 5;
/// `nonce`.
pub const NONCE: usize = 6;

/// Decodes and runs raw fuzzer bytes; see [`run`] for the result.
pub fn run_bytes(data: &[u8]) -> bool {
    common::decode::<DecryptInput>(data).is_some_and(|input| run(&input))
}

/// Runs one input; `true` when something decrypted successfully.
pub fn run(input: &DecryptInput) -> bool {
    match input.header.mode % 5 {
        0 => api(input, false),
        1 => api(input, true),
        2 => envelope(input),
        3 => ciphertext(input),
        _ => plaintext(input),
    }
}

/// Builds the cipher from the input; `new` must accept exactly the well-formed keys.
fn crypto(input: &DecryptInput) -> Option<(MessageCrypto, [u8; 32])> {
    let key_seed = input.bytes(KEY);
    let key = common::encoding_aes_key(input.header.key_selector, key_seed);
    let crypto = MessageCrypto::new(input.text(TOKEN), &key, input.text(RECEIVE_ID));
    assert_eq!(
        crypto.is_ok(),
        common::is_valid_key(&key),
        "MessageCrypto::new disagrees on key {key:?}"
    );
    let crypto = crypto.ok()?;
    let key_bytes = decode_aes_key(&key).expect("a key new() accepted decodes");
    Some((crypto, key_bytes))
}

fn api(input: &DecryptInput, sign: bool) -> bool {
    let Some((crypto, key)) = crypto(input) else {
        return false;
    };
    let random = &input.header.random;
    let body = input.text(BODY);
    let timestamp = input.text(TIMESTAMP);
    let nonce = input.text(NONCE);
    let given = input.text(SIGNATURE);

    let decrypted = crypto.decrypt(&body);
    check_ok(&crypto, &decrypted, random);
    let any = crypto.decrypt_any(&body);
    check_any(&crypto, &key, &any, random);
    // `decrypt` is `decrypt_any` plus the receive-id check.
    match (&decrypted, &any) {
        (Ok(m), Ok((m2, id))) => {
            assert_eq!(m, m2);
            assert_eq!(id, crypto.receive_id());
        }
        (Err(Error::Callback(wechat_core::error::CallbackError::InvalidReceiveId { found })), Ok((_, id))) => {
            assert_eq!(found, id);
            assert_ne!(id, crypto.receive_id());
        }
        (Err(e), Err(e2)) => assert_eq!(e, e2),
        (d, a) => panic!("decrypt {d:?} disagrees with decrypt_any {a:?}"),
    }

    let raw_signature = if sign {
        crypto.sign(&timestamp, &nonce, &body).as_str().to_owned()
    } else {
        given.clone()
    };
    let verified = crypto.verify_and_decrypt(&raw_signature, &timestamp, &nonce, &body);
    check_ok(&crypto, &verified, random);
    let url = crypto.verify_url(&raw_signature, &timestamp, &nonce, &body);
    assert_eq!(url, verified, "verify_url differs from verify_and_decrypt");
    if sign {
        assert_eq!(verified, decrypted, "a signed payload decrypts like an unsigned one");
    } else if verified.is_ok() {
        assert_eq!(verified, decrypted);
    }

    let envelope_signature = match (sign, extract_encrypt(&body)) {
        (true, Ok(encrypt)) => crypto.sign(&timestamp, &nonce, &encrypt).as_str().to_owned(),
        _ => given,
    };
    let message = crypto.decrypt_message(&body, &envelope_signature, &timestamp, &nonce);
    check_ok(&crypto, &message, random);
    if let Ok(encrypt) = extract_encrypt(&body) {
        if sign || message.is_ok() {
            assert_eq!(
                message,
                crypto.decrypt(&encrypt),
                "decrypt_message differs from decrypt"
            );
        }
    } else {
        assert!(message.is_err(), "decrypt_message without an Encrypt element");
    }
    decrypted.is_ok() || any.is_ok() || verified.is_ok() || message.is_ok()
}

fn envelope(input: &DecryptInput) -> bool {
    let Some((crypto, _)) = crypto(input) else {
        return false;
    };
    let plain = input.text(BODY);
    let timestamp = input.text(TIMESTAMP);
    let nonce = input.text(NONCE);
    let envelope = crypto.encrypt_message(&plain, &timestamp, &nonce, &input.header.random);
    let doc = wechat_core::xml::parse(&envelope).expect("an envelope is well-formed XML");
    let field = |tag| doc.children.text(tag).map(String::from);
    assert_eq!(field("TimeStamp").as_deref(), Some(timestamp.as_str()));
    assert_eq!(field("Nonce").as_deref(), Some(nonce.as_str()));
    let encrypt = field("Encrypt").expect("the envelope has Encrypt");
    let signature = field("MsgSignature").expect("the envelope has MsgSignature");
    assert_eq!(signature, crypto.sign(&timestamp, &nonce, &encrypt).as_str());
    assert_eq!(
        crypto.decrypt_message(&envelope, &signature, &timestamp, &nonce),
        Ok(plain.clone())
    );
    assert_eq!(
        crypto.verify_url(&signature, &timestamp, &nonce, &encrypt),
        Ok(plain.clone())
    );
    // A different nonce must break the signature.
    let other = format!("{nonce}x");
    assert!(
        crypto
            .decrypt_message(&envelope, &signature, &timestamp, &other)
            .is_err()
    );
    true
}

/// The vector key and its cipher.
fn vector() -> (MessageCrypto, [u8; 32]) {
    let crypto = MessageCrypto::new(VECTOR_TOKEN, VECTOR_KEY, VECTOR_ID).expect("vector key");
    (crypto, decode_aes_key(VECTOR_KEY).expect("vector key"))
}

fn ciphertext(input: &DecryptInput) -> bool {
    let (crypto, key) = vector();
    let bytes = &input.rest;
    let encoded = if input.header.flags & 1 == 1 {
        STANDARD_NO_PAD.encode(bytes)
    } else {
        STANDARD.encode(bytes)
    };
    let expected = if bytes.is_empty() || !bytes.len().is_multiple_of(16) {
        Err("invalid-length")
    } else {
        let mut plain = bytes.clone();
        cbc_decrypt(&key, &mut plain);
        model(&plain)
    };
    check_against_model(&crypto, &key, &encoded, expected, &input.header.random)
}

fn plaintext(input: &DecryptInput) -> bool {
    let (crypto, key) = vector();
    let h = &input.header;
    let message = input.bytes(0);
    let receive_id = input.bytes(1);
    let mut plain = h.random.to_vec();
    let declared = if h.flags & 1 == 1 {
        h.declared
    } else {
        u32::try_from(message.len()).unwrap_or(u32::MAX).to_be_bytes()
    };
    plain.extend_from_slice(&declared);
    plain.extend_from_slice(message);
    plain.extend_from_slice(receive_id);
    if h.flags & 2 == 2 {
        let n = usize::from(h.pad_len % 48);
        plain.resize(plain.len() + n, h.pad_byte);
        // AES needs whole blocks: fill up with zeros (which makes the padding invalid
        // unless the fuzzer's padding already ended on a block boundary).
        plain.resize(plain.len().div_ceil(16) * 16, 0);
    } else {
        let pad = 32 - plain.len() % 32;
        plain.resize(plain.len() + pad, pad as u8);
    }
    let expected = model(&plain);
    let mut encrypted = plain;
    cbc_encrypt(&key, &mut encrypted);
    let encoded = STANDARD.encode(&encrypted);
    check_against_model(&crypto, &key, &encoded, expected, &input.header.random)
}

/// What decrypting `plain` (whole AES blocks) must give, from the documented layout:
/// `random(16) ‖ u32_be(len) ‖ msg ‖ receive_id ‖ padding(1..=32 bytes of its length)`.
fn model(plain: &[u8]) -> Result<(String, String), &'static str> {
    let n = plain.len();
    let pad = usize::from(plain[n - 1]);
    if pad == 0 || pad > 32 || pad > n || plain[n - pad..].iter().any(|&b| usize::from(b) != pad) {
        return Err("invalid-padding");
    }
    let body = &plain[..n - pad];
    if body.len() < 20 {
        return Err("invalid-length");
    }
    let declared = u32::from_be_bytes([body[16], body[17], body[18], body[19]]) as usize;
    if declared > body.len() - 20 {
        return Err("invalid-length");
    }
    let (message, receive_id) = body[20..].split_at(declared);
    match (core::str::from_utf8(message), core::str::from_utf8(receive_id)) {
        (Ok(m), Ok(id)) => Ok((m.to_owned(), id.to_owned())),
        _ => Err("invalid-utf8"),
    }
}

fn check_against_model(
    crypto: &MessageCrypto,
    key: &[u8; 32],
    encoded: &str,
    expected: Result<(String, String), &'static str>,
    random: &[u8; 16],
) -> bool {
    let any = crypto.decrypt_any(encoded);
    match (&any, &expected) {
        (Ok(got), Ok(want)) => assert_eq!(got, want),
        (Err(e), Err(kind)) => assert_eq!(e.kind(), *kind, "{e}"),
        _ => panic!("decrypt_any gave {any:?}, the layout says {expected:?}"),
    }
    check_any(crypto, key, &any, random);
    let decrypted = crypto.decrypt(encoded);
    match (&decrypted, &expected) {
        (Ok(got), Ok((want, id))) => {
            assert_eq!(got, want);
            assert_eq!(id, crypto.receive_id());
        }
        (Err(e), Ok((_, id))) => {
            assert_eq!(e.kind(), "invalid-app-id");
            assert_ne!(id, crypto.receive_id());
        }
        (Err(e), Err(kind)) => assert_eq!(e.kind(), *kind),
        (Ok(_), Err(_)) => panic!("decrypt accepted {expected:?}"),
    }
    check_ok(crypto, &decrypted, random);
    any.is_ok()
}

/// An `Ok` from `decrypt`-like calls re-encrypts and decrypts back to itself.
fn check_ok(crypto: &MessageCrypto, result: &Result<String, Error>, random: &[u8; 16]) {
    if let Ok(message) = result {
        let again = crypto.encrypt(message.as_bytes(), random);
        assert_eq!(crypto.decrypt(&again).as_ref(), Ok(message));
    }
}

/// An `Ok` from `decrypt_any` re-encrypts (for its receive id) and decrypts back to itself.
fn check_any(crypto: &MessageCrypto, key: &[u8; 32], result: &Result<(String, String), Error>, random: &[u8; 16]) {
    if let Ok((message, receive_id)) = result {
        let token = CallbackToken::new(crypto.token().secret());
        let other = MessageCrypto::from_key(token, key, receive_id.clone());
        let again = other.encrypt(message.as_bytes(), random);
        assert_eq!(crypto.decrypt_any(&again), Ok((message.clone(), receive_id.clone())));
    }
}

/// Raw AES-256-CBC (IV = key[..16]) over whole blocks, no padding.
fn cbc_encrypt(key: &[u8; 32], buf: &mut [u8]) {
    let cipher = Aes256::new(key.into());
    let iv: [u8; 16] = key[..16].try_into().expect("16 bytes");
    let mut mode = cbc::Encryptor::<&Aes256>::inner_iv_init(&cipher, (&iv).into());
    let (blocks, rest) = Block::<Aes256>::slice_as_chunks_mut(buf);
    assert!(rest.is_empty());
    mode.encrypt_blocks(blocks);
}

/// Raw AES-256-CBC decryption (IV = key[..16]) over whole blocks.
fn cbc_decrypt(key: &[u8; 32], buf: &mut [u8]) {
    let cipher = Aes256::new(key.into());
    let iv: [u8; 16] = key[..16].try_into().expect("16 bytes");
    let mut mode = cbc::Decryptor::<&Aes256>::inner_iv_init(&cipher, (&iv).into());
    let (blocks, rest) = Block::<Aes256>::slice_as_chunks_mut(buf);
    assert!(rest.is_empty());
    mode.decrypt_blocks(blocks);
}
