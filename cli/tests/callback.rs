//! `wechat serve --echo` driven by `wechat simulate`, in every mode and for WeCom, over
//! loopback with real processes.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";

struct Server {
    child: Child,
    url: String,
    printed: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `wechat serve --echo ARGS` on a free port and reads its banner.
fn serve(args: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wechat"))
        .args(["serve", "--echo", "--addr", "127.0.0.1:0"])
        .args(args)
        .env_remove("WECHAT_TOKEN")
        .env_remove("WECHAT_AES_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn wechat serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    loop {
        let line = lines.next().expect("banner").expect("utf-8");
        let done = line.starts_with("try:");
        printed.push(line);
        if done {
            break;
        }
    }
    let url = printed[0].rsplit(' ').next().unwrap().to_string();
    Server { child, url, printed }
}

fn simulate(server: &Server, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wechat"))
        .args(["simulate", "--url", &server.url])
        .args(args)
        .env_remove("WECHAT_TOKEN")
        .env_remove("WECHAT_AES_KEY")
        .output()
        .expect("run wechat simulate");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn content(reply: &str) -> String {
    let doc = wechat_core::xml::parse(reply).expect("reply XML");
    doc.children.text("Content").unwrap_or_default().to_string()
}

#[test]
fn plain_mode_out_of_the_box_with_a_generated_token() {
    let server = serve(&[]);
    assert!(server.printed[0].contains("mp plain mode"), "{:?}", server.printed);
    let token = server
        .printed
        .iter()
        .find_map(|l| l.strip_prefix("token:"))
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(token.len(), 32);
    // The printed `try:` line works as printed.
    assert!(server.printed.last().unwrap().contains(&format!("--token {token}")));
    let (code, out, err) = simulate(&server, &["--token", &token, "text", "hello ]]> 你好"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(content(&out), "hello ]]> 你好");
    let (code, out, _) = simulate(&server, &["--token", &token, "image", "MEDIA"]);
    assert_eq!((code, content(&out).as_str()), (0, "received an image"));
    // Each button is told apart, even two clicks in the same second (not merged as retries).
    for key in ["V1", "V2"] {
        let (code, out, _) = simulate(&server, &["--token", &token, "event", "CLICK", "--key", key]);
        assert_eq!((code, content(&out)), (0, format!("received event click {key}")));
    }
    let (code, out, _) = simulate(&server, &["--token", &token, "event", "LOCATION_SELECT"]);
    assert_eq!((code, content(&out).as_str()), (0, "received event location_select"));
    let (code, out, _) = simulate(&server, &["--token", &token, "verify", "echo-123"]);
    assert_eq!((code, out.trim()), (0, "echo-123"));
    // A forged request is refused with 403, and simulate says so.
    let (code, _, err) = simulate(&server, &["--token", "forged", "text", "x"]);
    assert_eq!(code, 1);
    assert!(err.starts_with("error: http-status: 403"), "{err}");
}

#[test]
fn safe_and_compatible_modes() {
    for mode in ["safe", "compat"] {
        let server = serve(&[
            "--mode",
            mode,
            "--app-id",
            "wx_echo",
            "--token",
            "T0K3N",
            "--aes-key",
            KEY,
        ]);
        assert!(
            !server.printed.iter().any(|l| l.contains("T0K3N") || l.contains(KEY)),
            "given secrets are not echoed"
        );
        let args = [
            "--mode",
            mode,
            "--app-id",
            "wx_echo",
            "--token",
            "T0K3N",
            "--aes-key",
            KEY,
        ];
        let (code, out, err) = simulate(&server, &[&args[..], &["text", &format!("{mode} hello")]].concat());
        assert_eq!(code, 0, "{mode}: {err}");
        assert_eq!(content(&out), format!("{mode} hello"));
        // The wrong receive id is refused.
        let other = [
            "--mode",
            mode,
            "--app-id",
            "wx_other",
            "--token",
            "T0K3N",
            "--aes-key",
            KEY,
        ];
        let (code, _, err) = simulate(&server, &[&other[..], &["text", "x"]].concat());
        assert_eq!(code, 1, "{mode}");
        assert!(err.contains("403"), "{err}");
    }
}

#[test]
fn wecom_echo_and_verification() {
    let server = serve(&[
        "--kind",
        "work",
        "--corp-id",
        "ww_corp",
        "--token",
        "T",
        "--aes-key",
        KEY,
    ]);
    let args = [
        "--kind",
        "work",
        "--corp-id",
        "ww_corp",
        "--token",
        "T",
        "--aes-key",
        KEY,
    ];
    let (code, out, err) = simulate(&server, &[&args[..], &["text", "企业微信"]].concat());
    assert_eq!(code, 0, "{err}");
    assert_eq!(content(&out), "企业微信");
    assert!(out.contains("<AgentID>1000002</AgentID>"), "{out}");
    let (code, out, err) = simulate(&server, &[&args[..], &["verify", "5927782489442352469"]].concat());
    assert_eq!((code, out.trim()), (0, "5927782489442352469"), "{err}");
}

#[test]
fn load_mode_reports_statistics() {
    let server = serve(&["--token", "T"]);
    let (code, out, err) = simulate(
        &server,
        &["--token", "T", "--requests", "200", "--concurrency", "8", "text", "hi"],
    );
    assert_eq!(code, 0, "{err}");
    let stats: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(stats["requests"], 200);
    assert_eq!(stats["ok"], 200);
    assert!(stats["per_sec"].as_f64().unwrap() > 0.0);
}
