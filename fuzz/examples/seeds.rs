//! Writes the hand-made seed corpus into `fuzz/corpus/<target>/seed-*`.
//!
//! ```text
//! cargo run --manifest-path fuzz/Cargo.toml --example seeds [output dir, default fuzz/corpus]
//! ```
//!
//! Seeds are real WeChat samples: the message fixtures of `core/tests/fixtures/messages`
//! (mp and WeCom messages and events), wechatpy's crypto vectors (inventory §6.1),
//! encrypted bodies and replies, plus a few hostile documents. Every structured seed is
//! checked to decode back to the header it was written from, and every seed is run once
//! through its target before it is written.

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use wechat_core::crypto::MessageCrypto;
use wechat_core::message::Kind;
use wechat_core::reply::Reply;
use wechat_core::time::UnixTime;
use wechat_fuzz::common::{self, Input, VECTOR_ID, VECTOR_KEY, VECTOR_TOKEN};
use wechat_fuzz::{callback_handler, decrypt, parse_xml, reply_roundtrip};

/// wechatpy's `decrypt_message` vector body (inventory §6.1 c).
const VECTOR_BODY: &str = "<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>\n<Encrypt><![CDATA[RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=]]></Encrypt>\n<AgentID><![CDATA[1]]></AgentID>\n</xml>";
const VECTOR_BODY_SIGNATURE: &str = "74d92dfeb87ba7c714f89d98870ae5eb62dff26d";
const VECTOR_BODY_TIMESTAMP: &str = "1411525903";
const VECTOR_BODY_NONCE: &str = "461056294";
/// wechatpy's echostr vector (inventory §6.1 a).
const VECTOR_ECHOSTR: &str = "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==";
const VECTOR_ECHOSTR_SIGNATURE: &str = "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96";
/// wechatpy's `encrypt_message` vector output (inventory §6.1 b).
const VECTOR_ENCRYPT: &str = "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3";

/// Text that breaks naive XML writers and readers.
const TRICKY: &[&str] = &[
    "hello",
    "",
    "a]]>b",
    "]]>",
    "<xml>&amp;</xml>",
    "中文 😀 emoji",
    " \t\r\n padded \r\n",
    "<![CDATA[x]]>",
    "\u{0}\u{1}\u{b}\u{fffe}",
];

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let fixtures = root.join("../core/tests/fixtures/messages");
    let corpus = std::env::args_os()
        .nth(1)
        .map_or_else(|| root.join("corpus"), PathBuf::from);

    let mut xml = Vec::new();
    for dir in ["mp", "work"] {
        let mut files: Vec<_> = fs::read_dir(fixtures.join(dir))
            .expect("message fixtures")
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "xml"))
            .collect();
        files.sort();
        for path in files {
            let name = format!("{dir}-{}", path.file_stem().unwrap().to_string_lossy());
            xml.push((name, fs::read_to_string(&path).expect("fixture")));
        }
    }

    write(&corpus.join("parse_xml"), &parse_xml_seeds(&xml), parse_xml::run);
    write(&corpus.join("decrypt"), &decrypt_seeds(&xml), decrypt::run_bytes);
    write(
        &corpus.join("reply_roundtrip"),
        &reply_seeds(),
        reply_roundtrip::run_bytes,
    );
    write(
        &corpus.join("callback_handler"),
        &callback_seeds(&xml),
        callback_handler::run_bytes,
    );
}

fn write(dir: &Path, seeds: &[(String, Vec<u8>)], run: fn(&[u8]) -> bool) {
    fs::create_dir_all(dir).expect("corpus dir");
    let mut reached = 0;
    for (name, data) in seeds {
        assert!(data.len() <= 64 * 1024, "seed {name} is too large");
        reached += usize::from(run(data));
        fs::write(dir.join(format!("seed-{name}")), data).expect("write seed");
    }
    println!("{}: {} seeds, {reached} reach success", dir.display(), seeds.len());
}

fn parse_xml_seeds(xml: &[(String, String)]) -> Vec<(String, Vec<u8>)> {
    let mut seeds: Vec<(String, Vec<u8>)> = xml
        .iter()
        .map(|(name, text)| (name.clone(), text.clone().into_bytes()))
        .collect();
    let mut extra = |name: &str, text: String| seeds.push((name.to_owned(), text.into_bytes()));
    extra("vector-envelope", VECTOR_BODY.to_owned());
    extra(
        "doctype-bomb",
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]><xml><a>&lol2;</a></xml>".to_owned(),
    );
    extra(
        "xxe",
        "<!DOCTYPE foo [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><xml>&xxe;</xml>".to_owned(),
    );
    extra("deep", "<a>".repeat(40) + &"</a>".repeat(40));
    extra("tight-depth", "<a><b><c><d><e>1</e></d></c></b></a>".to_owned());
    extra("many", format!("<xml>{}</xml>", "<a/>".repeat(30)));
    extra(
        "attributes-mixed",
        "<xml a=\"1\" b='&lt;2&gt;'><x y=\"&#x4e2d;\">t<z/>tail</x><!-- c --><?pi x?></xml>".to_owned(),
    );
    extra(
        "bom-decl-refs",
        "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<xml><Content>&#25991;&#x1F600;&amp;&apos;&quot;AT&T <![CDATA[]]]]><![CDATA[>]]></Content><MsgType>text</MsgType></xml>".to_owned(),
    );
    extra("unknown-entity", "<xml><MsgType>&bogus;</MsgType></xml>".to_owned());
    extra("mismatched", "<xml><MsgType>text</Msgtype></xml>".to_owned());
    extra("nested-msgtype", "<xml><MsgType><a>text</a></MsgType></xml>".to_owned());
    extra("text-outside", "junk<xml><MsgType>text</MsgType></xml>".to_owned());
    let vector = vector();
    for (i, body) in [
        Reply::text(&sample_message(Kind::Mp), "a]]>b"),
        Reply::task_card(&sample_message(Kind::Work), "done"),
    ]
    .iter()
    .enumerate()
    {
        let rendered = body.render(UnixTime(1_700_000_000));
        extra(&format!("reply-{i}"), rendered.clone());
        extra(
            &format!("reply-envelope-{i}"),
            body.render_encrypted(&vector, UnixTime(1_700_000_000), "nonce", &[7; 16]),
        );
    }
    seeds
}

fn vector() -> MessageCrypto {
    MessageCrypto::new(VECTOR_TOKEN, VECTOR_KEY, VECTOR_ID).expect("vector key")
}

fn sample_message(kind: Kind) -> wechat_core::message::Message {
    wechat_core::message::parse_message(
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName>\
         <CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType>\
         <Content><![CDATA[hello]]></Content><MsgId>1</MsgId><AgentID>1000002</AgentID></xml>",
        kind,
    )
    .expect("sample message")
}

/// Encodes a structured seed and checks it decodes back to `header`.
fn structured<H>(header: &H, header_bytes: Vec<u8>, fields: &[&[u8]]) -> Vec<u8>
where
    H: for<'a> arbitrary::Arbitrary<'a> + PartialEq + std::fmt::Debug + Clone,
{
    let data = common::encode(&header_bytes, fields);
    let decoded = common::decode::<Input<H>>(&data).expect("seed decodes");
    assert_eq!(&decoded.header, header, "header encoding drifted");
    data
}

fn decrypt_seeds(xml: &[(String, String)]) -> Vec<(String, Vec<u8>)> {
    use decrypt::Header;
    let header = |mode: u8, key_selector: u8, flags: u8| Header {
        mode,
        key_selector,
        flags,
        declared: [0, 0, 0, 5],
        pad_byte: 3,
        pad_len: 3,
        random: *b"1234567890123456",
    };
    let mut seeds = Vec::new();
    let mut raw_seeds = Vec::new();
    let mut add = |name: &str, h: Header, fields: &[&[u8]]| {
        let data = structured(&h, h.to_bytes(), fields);
        seeds.push((name.to_owned(), data));
    };
    let api_fields = |body: &'static str, sig: &'static str, ts: &'static str, nonce: &'static str| {
        [
            VECTOR_TOKEN.as_bytes(),
            b"".as_slice(),
            VECTOR_ID.as_bytes(),
            body.as_bytes(),
            sig.as_bytes(),
            ts.as_bytes(),
            nonce.as_bytes(),
        ]
    };
    let body = api_fields(
        VECTOR_BODY,
        VECTOR_BODY_SIGNATURE,
        VECTOR_BODY_TIMESTAMP,
        VECTOR_BODY_NONCE,
    );
    add("api-vector-body", header(0, 0, 0), &body);
    let echo = api_fields(VECTOR_ECHOSTR, VECTOR_ECHOSTR_SIGNATURE, "1411443780", "437374425");
    add("api-vector-echostr", header(0, 0, 0), &echo);
    let encrypt = api_fields(VECTOR_ENCRYPT, "", "1411525903", "461056294");
    add("api-vector-encrypt", header(0, 0, 0), &encrypt);
    add("signed-vector-body", header(1, 0, 0), &body);
    add("signed-vector-echostr", header(1, 0, 0), &echo);
    let mut garbage = body;
    garbage[1] = b"kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1a=";
    add("api-garbage-key", header(0, 1, 0), &garbage);
    garbage[1] = b"short";
    add("api-short-key", header(0, 1, 0), &garbage);
    garbage[1] = b"seed for a derived key";
    add("signed-derived-key", header(1, 0, 0), &garbage);

    for name in [
        "mp-text",
        "mp-subscribe_scan",
        "work-text",
        "work-change_contact_update_user",
    ] {
        let text = &xml.iter().find(|(n, _)| n == name).expect("fixture").1;
        let fields = [
            VECTOR_TOKEN.as_bytes(),
            b"".as_slice(),
            VECTOR_ID.as_bytes(),
            text.as_bytes(),
            b"".as_slice(),
            b"1700000000".as_slice(),
            b"nonce]]>".as_slice(),
        ];
        add(&format!("envelope-{name}"), header(2, 0, 0), &fields);
        add(
            &format!("plaintext-{name}"),
            header(4, 0, 0),
            &[text.as_bytes(), VECTOR_ID.as_bytes()],
        );
    }

    // Raw ciphertexts: the vectors, decoded; cut short; one zero block.
    let b64 = base64::engine::general_purpose::STANDARD;
    for (name, value) in [("echostr", VECTOR_ECHOSTR), ("encrypt", VECTOR_ENCRYPT)] {
        let raw = b64.decode(value).expect("vector base64");
        let h = header(3, 0, 0);
        raw_seeds.push((format!("ciphertext-{name}"), [h.to_bytes(), raw.clone()].concat()));
        let cut = &raw[..raw.len() - 5];
        let h = header(3, 0, 1);
        raw_seeds.push((format!("ciphertext-{name}-cut"), [h.to_bytes(), cut.to_vec()].concat()));
    }
    raw_seeds.push((
        "ciphertext-zero-block".to_owned(),
        [header(3, 0, 0).to_bytes(), vec![0; 16]].concat(),
    ));

    // Plaintexts with each field wrong in turn.
    let id = VECTOR_ID.as_bytes();
    add("plaintext-hello", header(4, 0, 0), &[b"hello", id]);
    add(
        "plaintext-other-id",
        header(4, 0, 0),
        &[b"hello", b"wx0000000000000000"],
    );
    add("plaintext-empty", header(4, 0, 0), &[b"", b""]);
    // 16 + 4 + 12 = 32 bytes: a whole block of padding (32 × 0x20)
    add("plaintext-full-pad", header(4, 0, 0), &[b"123456789012", b""]);
    add("plaintext-declared-short", header(4, 0, 1), &[b"hello world", id]);
    let mut long = header(4, 0, 1);
    long.declared = [0, 0, 1, 0];
    add("plaintext-declared-long", long, &[b"hello", id]);
    add("plaintext-bad-utf8", header(4, 0, 0), &[b"\xc3\x28", id]);
    add("plaintext-bad-utf8-id", header(4, 0, 0), &[b"hello", b"wx\xe2\x82"]);
    for (pad_byte, pad_len) in [(0, 12), (33, 33), (5, 4), (16, 16), (32, 40)] {
        let mut h = header(4, 0, 2);
        h.pad_byte = pad_byte;
        h.pad_len = pad_len;
        // 16 + 4 + 8 + 4 = 32 bytes before the padding
        add(
            &format!("plaintext-pad-{pad_byte}x{pad_len}"),
            h,
            &[b"12345678", b"wxid"],
        );
    }
    seeds.extend(raw_seeds);
    seeds
}

fn reply_seeds() -> Vec<(String, Vec<u8>)> {
    use reply_roundtrip::Header;
    let mut seeds = Vec::new();
    for kind in 0u8..14 {
        for (variant, flags) in [(0usize, 0u8), (1, 0x3f), (2, 0x7f)] {
            let articles = match (kind, variant) {
                (7, 0) => 1,
                (7, 1) => 8,
                (7, _) => 9,
                _ => 0,
            };
            let h = Header {
                kind,
                flags,
                articles,
                agent: 1_000_002u64.to_le_bytes(),
                number: (-(i64::from(kind)) * 7).to_le_bytes(),
                time: 1_411_525_903u64.to_le_bytes(),
                random: [kind; 16],
            };
            let t = |i: usize| TRICKY[(i + variant * 3) % TRICKY.len()].as_bytes();
            let mut fields: Vec<&[u8]> = vec![
                b"gh_0123456789ab",
                b"oUserOpenId123",
                b"461056294",
                VECTOR_ID.as_bytes(),
                b"\x00\x01device bytes\xfe",
            ];
            fields.extend((0..5).map(t));
            for i in 0..usize::from(articles) {
                fields.extend([t(i), t(i + 1), b"https://example.com/a.png".as_slice(), t(i + 2)]);
            }
            let data = structured(&h, h.to_bytes(), &fields);
            seeds.push((format!("kind{kind}-{variant}"), data));
        }
    }
    seeds
}

fn callback_seeds(xml: &[(String, String)]) -> Vec<(String, Vec<u8>)> {
    use callback_handler::Header;
    let now = 1_700_000_000u64;
    let header = |method: u8, mode: u8, flags: u8, skew: i16| Header {
        method,
        mode,
        flags,
        now: now.to_le_bytes(),
        skew: skew.to_le_bytes(),
        random: [9; 16],
    };
    let mut seeds = Vec::new();
    let mut add = |name: &str, h: Header, fields: &[&[u8]]| {
        let data = structured(&h, h.to_bytes(), fields);
        seeds.push((name.to_owned(), data));
    };
    // Raw requests as WeChat sends them (unsigned for these handlers, so rejected).
    let mp_query = b"signature=f21891de399b4e33a1a93c9a7b8a8fffb5a443ff&timestamp=1700000000&nonce=test&openid=oUser";
    add(
        "raw-post-plain",
        header(1, 0, 0, 0),
        &[b"", mp_query, xml[0].1.as_bytes()],
    );
    add(
        "raw-get-verify",
        header(0, 0, 0, 0),
        &[
            b"",
            b"signature=x&timestamp=1700000000&nonce=1&echostr=5927782489442352469",
            b"",
        ],
    );
    add(
        "raw-post-aes",
        header(1, 0, 0, 0),
        &[
            b"",
            b"signature=x&timestamp=1411525903&nonce=461056294&encrypt_type=aes&msg_signature=74d92dfeb87ba7c714f89d98870ae5eb62dff26d",
            VECTOR_BODY.as_bytes(),
        ],
    );
    add(
        "raw-work-verify",
        header(0, 0, 0, 0),
        &[
            b"",
            b"msg_signature=dd6b9c95b495b3f7e2901bfbc76c664930ffdb96&timestamp=1411443780&nonce=437374425&echostr=4ByGGj%2BsVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1%2BbXFXDQQb1o6co6Yh9Bv41n7hOchLF6p%2BQ%3D%3D",
            b"",
        ],
    );
    add(
        "raw-method",
        header(4, 0, 0, 0),
        &[b"DELETE", b"a=%zz&&=&timestamp", b"\xfe\x80"],
    );
    // Signed messages: real samples, for every handler.
    for name in [
        "mp-text",
        "mp-image",
        "mp-subscribe_scan",
        "mp-location_event",
        "mp-messy_text_mixed_cdata_and_escaped",
        "work-text",
        "work-change_contact_update_user",
        "work-sys_approval_change",
    ] {
        let text = &xml.iter().find(|(n, _)| n == name).expect("fixture").1;
        let fields: [&[u8]; 5] = [b"", b"", text.as_bytes(), b"461056294", b""];
        add(&format!("signed-{name}"), header(1, 1, 0, 3), &fields);
        add(&format!("signed-compat-plain-{name}"), header(1, 1, 4, -3), &fields);
    }
    let text = xml[0].1.as_bytes();
    add("signed-tampered", header(1, 1, 2, 0), &[b"", b"", text, b"n", b""]);
    add("signed-stale", header(1, 1, 0, 301), &[b"", b"", text, b"n", b""]);
    add(
        "signed-extra-query",
        header(1, 1, 1, 0),
        &[b"", b"encrypt_type=aes&openid=o", text, b"n", b""],
    );
    add("signed-not-xml", header(1, 1, 0, 0), &[b"", b"", b"hello", b"n", b""]);
    // Verification.
    add(
        "verify",
        header(0, 2, 0, -300),
        &[b"", b"", b"", b"437374425", b"5927782489442352469"],
    );
    add(
        "verify-odd-echostr",
        header(0, 2, 0, 0),
        &[b"", b"", b"", b"n o+n&ce", "a+b c=d&%2B 中".as_bytes()],
    );
    add("verify-stale", header(0, 2, 0, -301), &[b"", b"", b"", b"n", b"e"]);
    // Envelopes with whatever Encrypt they carry.
    add(
        "envelope-vector",
        header(1, 3, 0, 0),
        &[b"", b"", VECTOR_BODY.as_bytes(), b"n", b""],
    );
    add(
        "envelope-garbage",
        header(1, 3, 0, 0),
        &[
            b"",
            b"",
            b"<xml><Encrypt>AAAAAAAAAAAAAAAAAAAAAA==</Encrypt></xml>",
            b"n",
            b"",
        ],
    );
    seeds
}
