//! `wechat crypto decrypt|encrypt|verify-url|sign` against wechatpy's vectors
//! (`shared/reference/wechatpy-inventory.md` §6), byte for byte, and their failures.

mod common;

use std::process::Output;

use common::{wechat, wechat_with_env};

const TOKEN: &str = "123456";
const KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
const APP: &str = "wx49f0ab532d5d035a";

const REPLY: &str = "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n<ToUserName><![CDATA[messense]]></ToUserName>\n<AgentID>1</AgentID>\n<CreateTime>1411525903</CreateTime>\n</xml>";
const ENVELOPE: &str = "<xml>\n<Encrypt><![CDATA[9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3]]></Encrypt>\n<MsgSignature><![CDATA[407518b7649e86ef23978113f92d27afa9296533]]></MsgSignature>\n<TimeStamp>1411525903</TimeStamp>\n<Nonce><![CDATA[461056294]]></Nonce>\n</xml>";
const INBOUND: &str = "<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>\n<Encrypt><![CDATA[RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=]]></Encrypt>\n<AgentID><![CDATA[1]]></AgentID>\n</xml>";
const DECRYPTED: &str = "<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>\n<FromUserName><![CDATA[messense]]></FromUserName>\n<CreateTime>1411525903</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n<MsgId>4363689963896700987</MsgId>\n<AgentID>1</AgentID>\n</xml>";

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Exit 1 with one line `error: <kind>: ...` that echoes no secret.
fn rejected(out: &Output, kind: &str) {
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with(&format!("error: {kind}: ")), "expected {kind}: {err}");
    assert!(!err.contains(KEY) && !err.contains(TOKEN), "a secret was echoed: {err}");
}

#[test]
fn decrypt_prints_the_plaintext_exactly() {
    let args = [
        "crypto",
        "decrypt",
        "--token",
        TOKEN,
        "--aes-key",
        KEY,
        "--app-id",
        APP,
        "--msg-signature",
        "74d92dfeb87ba7c714f89d98870ae5eb62dff26d",
        "--timestamp",
        "1411525903",
        "--nonce",
        "461056294",
    ];
    assert_eq!(ok(&wechat(&args, INBOUND)), DECRYPTED, "exact, no trailing newline");
    // Compatible mode: plaintext fields next to Encrypt.
    let compat = INBOUND.replace(
        "<AgentID>",
        "<FromUserName>messense</FromUserName><MsgType>text</MsgType><AgentID>",
    );
    assert_eq!(ok(&wechat(&args, &compat)), DECRYPTED);
    // From a file too.
    let path = std::env::temp_dir().join(format!("wechat-crypto-{}.xml", std::process::id()));
    std::fs::write(&path, INBOUND).unwrap();
    let mut with_file: Vec<&str> = args.to_vec();
    let p = path.to_str().unwrap().to_string();
    with_file.push(&p);
    assert_eq!(ok(&wechat(&with_file, "")), DECRYPTED);
    let _ = std::fs::remove_file(path);
}

#[test]
fn secrets_can_come_from_the_environment() {
    // Out of `ps` and shell history: WECHAT_TOKEN and WECHAT_AES_KEY, as `wechat serve` takes.
    let env = [("WECHAT_TOKEN", TOKEN), ("WECHAT_AES_KEY", KEY)];
    let decrypt = [
        "crypto",
        "decrypt",
        "--app-id",
        APP,
        "--msg-signature",
        "74d92dfeb87ba7c714f89d98870ae5eb62dff26d",
        "--timestamp",
        "1411525903",
        "--nonce",
        "461056294",
    ];
    assert_eq!(ok(&wechat_with_env(&decrypt, &env, INBOUND)), DECRYPTED);
    let encrypt = [
        "crypto",
        "encrypt",
        "--app-id",
        APP,
        "--timestamp",
        "1411525903",
        "--nonce",
        "461056294",
        "--random",
        "31323334353637383930313233343536",
    ];
    assert_eq!(ok(&wechat_with_env(&encrypt, &env, REPLY)), ENVELOPE);
    let wecom = [
        "crypto",
        "verify-url",
        "--app-id",
        APP,
        "--msg-signature",
        "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96",
        "--timestamp",
        "1411443780",
        "--nonce",
        "437374425",
        "--echostr",
        "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==",
    ];
    assert_eq!(ok(&wechat_with_env(&wecom, &env, "")), "5927782489442352469");
    // mp verification with the key in the environment: the key is not needed and not in the way.
    let mp = [
        "crypto",
        "verify-url",
        "--signature",
        "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff",
        "--timestamp",
        "1410685589",
        "--nonce",
        "test",
        "--echostr",
        "hello-echo",
    ];
    let env_mp = [("WECHAT_TOKEN", "test"), ("WECHAT_AES_KEY", KEY)];
    assert_eq!(ok(&wechat_with_env(&mp, &env_mp, "")), "hello-echo");
    let sign = ["crypto", "sign", "--timestamp", "1410685589", "--nonce", "test"];
    assert_eq!(
        ok(&wechat_with_env(&sign, &[("WECHAT_TOKEN", "test")], "")).trim(),
        "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff"
    );
    // Without the token anywhere: a usage error that prints no secret.
    let out = wechat_with_env(&decrypt, &[("WECHAT_AES_KEY", KEY)], INBOUND);
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(KEY));
}

#[test]
fn decrypt_failures_name_their_kind() {
    let base = |sig: &'static str, app: &'static str, key: &'static str| {
        vec![
            "crypto",
            "decrypt",
            "--token",
            TOKEN,
            "--aes-key",
            key,
            "--app-id",
            app,
            "--msg-signature",
            sig,
            "--timestamp",
            "1411525903",
            "--nonce",
            "461056294",
        ]
    };
    let good = "74d92dfeb87ba7c714f89d98870ae5eb62dff26d";
    rejected(
        &wechat(&base("0000000000000000000000000000000000000000", APP, KEY), INBOUND),
        "invalid-signature",
    );
    rejected(&wechat(&base(good, "wx_other", KEY), INBOUND), "invalid-app-id");
    rejected(&wechat(&base(good, APP, "short"), INBOUND), "invalid-key");
    rejected(&wechat(&base(good, APP, KEY), "<xml><Encrypt>"), "invalid-xml");
    rejected(&wechat(&base(good, APP, KEY), "<xml><A>1</A></xml>"), "missing-element");
    rejected(
        &wechat(&base(good, APP, KEY), "<!DOCTYPE x [<!ENTITY a \"b\">]><xml/>"),
        "invalid-xml",
    );
    // Signed garbage: the signature matches, the content does not decrypt.
    let sign = |encrypt: &str| {
        ok(&wechat(
            &[
                "crypto",
                "sign",
                "--token",
                TOKEN,
                "--timestamp",
                "1",
                "--nonce",
                "n",
                "--encrypt",
                encrypt,
            ],
            "",
        ))
        .trim()
        .to_string()
    };
    // A real ciphertext whose pad byte is turned to 0: in CBC, flipping the last byte of the
    // second-to-last block flips the last plaintext byte.
    let crypto = wechat_core::crypto::MessageCrypto::new(TOKEN, KEY, APP).unwrap();
    let mut raw = crypto.encrypt_to_vec(b"<xml/>", &[7; 16]);
    let n = raw.len();
    let pad = (32 - (16 + 4 + 6 + APP.len()) % 32) as u8;
    raw[n - 17] ^= pad;
    use base64::Engine as _;
    let bad_padding = base64::engine::general_purpose::STANDARD.encode(&raw);
    for (encrypt, kind) in [
        ("not*base64", "invalid-base64"),
        ("AAAA", "invalid-length"),
        (bad_padding.as_str(), "invalid-padding"),
    ] {
        let sig = sign(encrypt);
        let out = wechat(
            &[
                "crypto",
                "decrypt",
                "--token",
                TOKEN,
                "--aes-key",
                KEY,
                "--app-id",
                APP,
                "--msg-signature",
                &sig,
                "--timestamp",
                "1",
                "--nonce",
                "n",
            ],
            format!("<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"),
        );
        rejected(&out, kind);
    }
    // Not UTF-8 on stdin.
    rejected(&wechat(&base(good, APP, KEY), b"\xff\xfe<xml/>"), "invalid-utf8");
}

#[test]
fn encrypt_with_fixed_random_reproduces_wechatpy() {
    let out = wechat(
        &[
            "crypto",
            "encrypt",
            "--token",
            TOKEN,
            "--aes-key",
            KEY,
            "--app-id",
            APP,
            "--timestamp",
            "1411525903",
            "--nonce",
            "461056294",
            "--random",
            "31323334353637383930313233343536",
        ],
        REPLY,
    );
    assert_eq!(ok(&out), ENVELOPE);
    // Without --random: a different envelope each time, which decrypts back.
    let args = [
        "crypto",
        "encrypt",
        "--token",
        TOKEN,
        "--aes-key",
        KEY,
        "--app-id",
        APP,
        "--timestamp",
        "1411525903",
        "--nonce",
        "461056294",
    ];
    let (a, b) = (ok(&wechat(&args, REPLY)), ok(&wechat(&args, REPLY)));
    assert_ne!(a, b);
    let sig = a
        .split("<MsgSignature><![CDATA[")
        .nth(1)
        .unwrap()
        .split("]]>")
        .next()
        .unwrap()
        .to_string();
    let back = wechat(
        &[
            "crypto",
            "decrypt",
            "--token",
            TOKEN,
            "--aes-key",
            KEY,
            "--app-id",
            APP,
            "--msg-signature",
            &sig,
            "--timestamp",
            "1411525903",
            "--nonce",
            "461056294",
        ],
        &a,
    );
    assert_eq!(ok(&back), REPLY);
    // A malformed --random is a usage error.
    let mut bad = args.to_vec();
    bad.extend(["--random", "xyz"]);
    assert_eq!(wechat(&bad, REPLY).status.code(), Some(2));
}

#[test]
fn verify_url_mp_and_wecom() {
    // mp: plain signature, echostr echoed unchanged.
    let out = wechat(
        &[
            "crypto",
            "verify-url",
            "--token",
            "test",
            "--signature",
            "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff",
            "--timestamp",
            "1410685589",
            "--nonce",
            "test",
            "--echostr",
            "hello-echo",
        ],
        "",
    );
    assert_eq!(ok(&out), "hello-echo");
    let out = wechat(
        &[
            "crypto",
            "verify-url",
            "--token",
            "test",
            "--signature",
            "f21891de399b4e33a1a93c9a7b8a8fffb5a443fe",
            "--timestamp",
            "1410685589",
            "--nonce",
            "test",
            "--echostr",
            "hello-echo",
        ],
        "",
    );
    rejected(&out, "invalid-signature");
    // WeCom: msg_signature over echostr, decrypted echostr printed, no trailing newline.
    let wecom = |nonce: &str| {
        wechat(
            &[
                "crypto",
                "verify-url",
                "--token",
                TOKEN,
                "--aes-key",
                KEY,
                "--app-id",
                APP,
                "--msg-signature",
                "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96",
                "--timestamp",
                "1411443780",
                "--nonce",
                nonce,
                "--echostr",
                "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==",
            ],
            "",
        )
    };
    assert_eq!(ok(&wecom("437374425")), "5927782489442352469");
    rejected(&wecom("437374424"), "invalid-signature");
    // Neither --signature nor --msg-signature: usage error.
    let out = wechat(
        &[
            "crypto",
            "verify-url",
            "--token",
            "t",
            "--timestamp",
            "1",
            "--nonce",
            "n",
            "--echostr",
            "e",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sign_plain_and_msg_signatures() {
    let out = wechat(
        &[
            "crypto",
            "sign",
            "--token",
            "test",
            "--timestamp",
            "1410685589",
            "--nonce",
            "test",
        ],
        "",
    );
    assert_eq!(ok(&out).trim(), "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff");
    let out = wechat(
        &[
            "crypto",
            "sign",
            "--token",
            TOKEN,
            "--timestamp",
            "1411443780",
            "--nonce",
            "437374425",
            "--encrypt",
            "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==",
        ],
        "",
    );
    assert_eq!(ok(&out).trim(), "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96");
    assert_eq!(wechat(&["crypto", "sign", "--token", "t"], "").status.code(), Some(2));
}
