//! The encrypted callback pipeline against its crypto floor.
//!
//! For a text message whose `Content` is 1 KiB and 64 KiB (mixed ASCII and CJK; the generator
//! is mirrored in `scripts/bench_callback.py`, which runs wechatpy's same pipeline):
//!
//! * `callback/handler/<size>`: what a server does for an mp safe-mode request:
//!   [`CallbackHandler::handle`] (query parsing, `signature` and timestamp checks, envelope
//!   parsing, `msg_signature`, decryption, message parsing) → a text reply echoing the content
//!   ([`Reply::text`]) → [`Reply::render`] → [`ReplyContext::respond`] (encryption, signing,
//!   envelope).
//! * `callback/functions/<size>`: wechatpy's pipeline step for step:
//!   `decrypt_message` → `parse_message` → `Reply::text` → `render` → `encrypt_message`.
//! * `callback/floor/<size>`: only the unavoidable work on the same bytes, with the AES key
//!   schedule prepared once and buffers reused: SHA1 of the inbound `Encrypt` (msg_signature),
//!   base64 decode, AES-256-CBC decrypt; AES-256-CBC encrypt of the reply plaintext, base64
//!   encode, SHA1 of the reply `Encrypt`. Each with the fastest engine the crates offer on this
//!   CPU, the same ones the pipeline uses (the `base64` crate's SIMD engine included).
//!
//! Run: `cargo bench -p wechat-core --bench callback` (add `-- --quick` for a fast look).
//! `scripts/bench_callback.py` runs it next to wechatpy and prints the ratios; for
//! instruction counts see [`run_plain`].

use std::hint::black_box;
use std::time::Duration;

use aes::Aes256;
use aes::cipher::{Block, BlockModeDecrypt, BlockModeEncrypt, InnerIvInit, KeyInit};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use sha1::{Digest, Sha1};

use wechat_core::callback::{CallbackConfig, CallbackHandler, Inbound, Mode, signed_query};
use wechat_core::crypto::{MessageCrypto, decode_aes_key};
use wechat_core::message::{Body, Kind, Message, parse_message};
use wechat_core::reply::Reply;
use wechat_core::secret::CallbackToken;
use wechat_core::time::UnixTime;

const TOKEN: &str = "bench_token_7f3a";
const KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
const APP_ID: &str = "wx49f0ab532d5d035a";
const TIMESTAMP: &str = "1700000000";
const NOW: UnixTime = UnixTime(1_700_000_000);
const NONCE: &str = "1320562132";
const RANDOM: [u8; 16] = *b"0123456789abcdef";
const SIZES: [(usize, &str); 2] = [(1024, "1KiB"), (65536, "64KiB")];

/// Text of exactly `len` bytes: a mixed ASCII/CJK pattern repeated, cut at a character
/// boundary, padded with `x`. `scripts/bench_callback.py` builds the same string.
fn content(len: usize) -> String {
    const PATTERN: &str = "WeChat 微信消息 text, 你好世界! 0123456789 ";
    let mut out = String::with_capacity(len);
    for ch in PATTERN.chars().cycle() {
        if out.len() + ch.len_utf8() > len {
            break;
        }
        out.push(ch);
    }
    while out.len() < len {
        out.push('x');
    }
    out
}

/// The decrypted callback body, in WeChat's layout.
fn inbound_xml(content: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>\n\
         <FromUserName><![CDATA[oUpF8uMuAJO_M2pxb1Q9zNjWeS6o]]></FromUserName>\n\
         <CreateTime>{TIMESTAMP}</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n\
         <Content><![CDATA[{content}]]></Content>\n<MsgId>24180000000000001</MsgId>\n</xml>"
    )
}

/// One request as WeChat sends it in safe mode: query string, body, and the parts the
/// function-level pipeline and the floor take directly.
struct Request {
    query: String,
    body: String,
    encrypt: String,
    msg_signature: String,
}

fn request(crypto: &MessageCrypto, content: &str) -> Request {
    let encrypt = crypto.encrypt(inbound_xml(content).as_bytes(), &RANDOM);
    let body = format!(
        "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>\n<Encrypt><![CDATA[{encrypt}]]></Encrypt>\n</xml>"
    );
    let token = CallbackToken::new(TOKEN);
    let query = signed_query(Kind::Mp, &token, TIMESTAMP, NONCE, None, Some(&encrypt));
    let msg_signature = crypto.sign(TIMESTAMP, NONCE, &encrypt).as_str().to_owned();
    Request {
        query,
        body,
        encrypt,
        msg_signature,
    }
}

fn text_of(message: &Message) -> &str {
    match &message.body {
        Body::Text(t) => t.content.as_deref().unwrap_or(""),
        _ => "",
    }
}

/// The handler path; returns the response body.
fn handler_pipeline(handler: &CallbackHandler, req: &Request) -> String {
    let Ok(Inbound::Message { message, reply }) = handler.handle("POST", &req.query, req.body.as_bytes(), NOW) else {
        panic!("the bench request is valid")
    };
    let xml = Reply::text(&message, text_of(&message)).render(NOW);
    reply.respond(Some(&xml), &RANDOM).body
}

/// wechatpy's pipeline, function by function.
fn function_pipeline(crypto: &MessageCrypto, req: &Request) -> String {
    let xml = crypto
        .decrypt_message(&req.body, &req.msg_signature, TIMESTAMP, NONCE)
        .expect("valid");
    let message = parse_message(&xml, Kind::Mp).expect("valid");
    let reply = Reply::text(&message, text_of(&message)).render(NOW);
    crypto.encrypt_message(&reply, TIMESTAMP, NONCE, &RANDOM)
}

/// The `base64` crate's fastest engine here: SIMD where it has one, as in `wechat-core`.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
type Base64 = base64::engine::Simd;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
type Base64 = base64::engine::GeneralPurpose;

fn base64_engine() -> Base64 {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    return Base64::standard(*STANDARD.config());
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    return STANDARD;
}

/// The crypto floor, with every buffer reused.
struct Floor {
    base64: Base64,
    cipher: Aes256,
    iv: [u8; 16],
    sorted_head: Vec<&'static str>,
    decoded: Vec<u8>,
    reply_plain: Vec<u8>,
    reply_cipher: Vec<u8>,
    reply_b64: String,
}

impl Floor {
    fn new(reply_xml: &str) -> Self {
        let key = decode_aes_key(KEY).expect("valid key");
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&key[..16]);
        // The reply plaintext exactly as the pipeline lays it out (random, length, xml, id, pad).
        let unpadded = 16 + 4 + reply_xml.len() + APP_ID.len();
        let pad = 32 - unpadded % 32;
        let mut reply_plain = Vec::with_capacity(unpadded + pad);
        reply_plain.extend_from_slice(&RANDOM);
        reply_plain.extend_from_slice(&(reply_xml.len() as u32).to_be_bytes());
        reply_plain.extend_from_slice(reply_xml.as_bytes());
        reply_plain.extend_from_slice(APP_ID.as_bytes());
        reply_plain.resize(unpadded + pad, pad as u8);
        let len = reply_plain.len();
        Self {
            base64: base64_engine(),
            cipher: Aes256::new(&key.into()),
            iv,
            sorted_head: vec![TOKEN, TIMESTAMP, NONCE],
            decoded: Vec::with_capacity(len * 2),
            reply_cipher: vec![0; len],
            reply_plain,
            reply_b64: String::with_capacity(len * 4 / 3 + 4),
        }
    }

    /// SHA1 over the sorted concatenation of token, timestamp, nonce and `encrypt`.
    fn sign(&self, encrypt: &str) -> [u8; 20] {
        let mut parts: [&str; 4] = [self.sorted_head[0], self.sorted_head[1], self.sorted_head[2], encrypt];
        parts.sort_unstable();
        let mut h = Sha1::new();
        for p in parts {
            h.update(p.as_bytes());
        }
        h.finalize().into()
    }

    fn run(&mut self, encrypt: &str) -> [u8; 20] {
        let inbound = self.sign(encrypt);
        self.decoded.clear();
        self.base64
            .decode_vec(encrypt, &mut self.decoded)
            .expect("valid base64");
        let mut dec = cbc::Decryptor::<&Aes256>::inner_iv_init(&self.cipher, (&self.iv).into());
        let (blocks, _) = Block::<Aes256>::slice_as_chunks_mut(&mut self.decoded);
        dec.decrypt_blocks(blocks);
        black_box((&inbound, &self.decoded));

        let mut enc = cbc::Encryptor::<&Aes256>::inner_iv_init(&self.cipher, (&self.iv).into());
        let (src, _) = Block::<Aes256>::slice_as_chunks(&self.reply_plain);
        let (dst, _) = Block::<Aes256>::slice_as_chunks_mut(&mut self.reply_cipher);
        enc.encrypt_blocks_b2b(src, dst).expect("equal lengths");
        self.reply_b64.clear();
        self.base64.encode_string(&self.reply_cipher, &mut self.reply_b64);
        self.sign(&self.reply_b64)
    }
}

/// One size's inputs, checked: both pipelines answer exactly what the floor computes.
struct Case {
    name: &'static str,
    size: usize,
    req: Request,
    floor: Floor,
}

fn cases(crypto: &MessageCrypto, handler: &CallbackHandler) -> Vec<Case> {
    SIZES
        .iter()
        .map(|&(size, name)| {
            let text = content(size);
            let req = request(crypto, &text);
            let answer = handler_pipeline(handler, &req);
            assert_eq!(answer, function_pipeline(crypto, &req));
            let message = parse_message(&inbound_xml(&text), Kind::Mp).expect("valid");
            assert_eq!(text_of(&message), text);
            let reply_xml = Reply::text(&message, text.as_str()).render(NOW);
            let mut floor = Floor::new(&reply_xml);
            let reply_sig = floor.run(&req.encrypt);
            let expected = crypto.encrypt_message(&reply_xml, TIMESTAMP, NONCE, &RANDOM);
            assert_eq!(answer, expected);
            assert!(expected.contains(&floor.reply_b64));
            assert!(expected.contains(wechat_core::signature::Signature::from_digest(&reply_sig).as_str()));
            Case { name, size, req, floor }
        })
        .collect()
}

fn setup() -> (MessageCrypto, CallbackHandler) {
    let config = CallbackConfig::mp_encrypted(Mode::Safe, TOKEN, KEY, APP_ID).expect("valid config");
    let crypto = config.crypto.clone().expect("encrypted mode");
    (crypto, CallbackHandler::new(config).expect("valid handler"))
}

fn bench(c: &mut Criterion) {
    let (crypto, handler) = setup();
    let mut group = c.benchmark_group("callback");
    group.measurement_time(Duration::from_secs(5));
    for Case {
        name,
        size,
        req,
        mut floor,
    } in cases(&crypto, &handler)
    {
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(BenchmarkId::new("handler", name), |b| {
            b.iter(|| handler_pipeline(&handler, black_box(&req)))
        });
        group.bench_function(BenchmarkId::new("functions", name), |b| {
            b.iter(|| function_pipeline(&crypto, black_box(&req)))
        });
        group.bench_function(BenchmarkId::new("floor", name), |b| {
            b.iter(|| floor.run(black_box(&req.encrypt)))
        });
    }
    group.finish();
}

/// `WECHAT_BENCH_RUN=<handler|functions|floor>/<1KiB|64KiB>:<iterations>` runs just that,
/// without criterion, for instruction counts: the difference between two runs under
/// `valgrind --tool=callgrind` (say 1000 and 0 iterations) divided by the difference in
/// iterations is the count per pipeline, free of setup.
fn run_plain(spec: &str) {
    let (which, iterations) = spec.split_once(':').expect("<bench>/<size>:<iterations>");
    let (path, size) = which.split_once('/').expect("<bench>/<size>");
    let iterations: usize = iterations.parse().expect("a number of iterations");
    let (crypto, handler) = setup();
    let mut case = cases(&crypto, &handler)
        .into_iter()
        .find(|c| c.name == size)
        .expect("1KiB or 64KiB");
    for _ in 0..iterations {
        match path {
            "handler" => drop(black_box(handler_pipeline(&handler, black_box(&case.req)))),
            "functions" => drop(black_box(function_pipeline(&crypto, black_box(&case.req)))),
            "floor" => drop(black_box(case.floor.run(black_box(&case.req.encrypt)))),
            other => panic!("unknown bench {other}"),
        }
    }
}

criterion_group!(benches, bench);

fn main() {
    match std::env::var("WECHAT_BENCH_RUN") {
        Ok(spec) => run_plain(&spec),
        Err(_) => {
            benches();
            Criterion::default().configure_from_args().final_summary();
        }
    }
}
