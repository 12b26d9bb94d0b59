//! The `mock-wechat` binary: prints its base URL first and serves until killed.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use wechat_tests::raw_http;

#[test]
fn binary_prints_base_url_and_serves_until_killed() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-wechat"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--mp",
            "wx_bin:bin_secret",
            "--work",
            "ww_bin:corp_s",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line.trim().to_owned();
    let served = || {
        assert!(base.starts_with("http://127.0.0.1:"), "{base:?}");
        for path in [
            "/cgi-bin/token?grant_type=client_credential&appid=wx_bin&secret=bin_secret",
            "/cgi-bin/token?grant_type=client_credential&appid=wx_mock_app&secret=mock_secret",
            "/cgi-bin/gettoken?corpid=ww_bin&corpsecret=corp_s",
        ] {
            let r = raw_http::get(&base, path).unwrap();
            assert!(r.json().unwrap()["access_token"].is_string(), "{path}: {r:?}");
        }
    };
    let result = std::panic::catch_unwind(served);
    child.kill().unwrap();
    child.wait().unwrap();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
    assert!(raw_http::get(&base, "/").is_err(), "killed means gone");
}

#[test]
fn binary_rejects_bad_arguments() {
    for args in [
        &["--addr", "nope"][..],
        &["--mp", "no-colon"],
        &["--frobnicate"],
        &["--addr"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_mock-wechat"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
