//! What the CLI tests share.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs the built `wechat` with `args`, writes `stdin` to it and closes it, and waits.
pub fn wechat(args: &[&str], stdin: impl AsRef<[u8]>) -> Output {
    wechat_with_env(args, &[], stdin)
}

/// [`wechat`] with extra environment variables.
#[allow(dead_code)] // not every test binary uses it
pub fn wechat_with_env(args: &[&str], env: &[(&str, &str)], stdin: impl AsRef<[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wechat"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The command may reject its arguments (a usage error, a bad key) and exit before
    // reading stdin.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_ref()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    child.wait_with_output().unwrap()
}
