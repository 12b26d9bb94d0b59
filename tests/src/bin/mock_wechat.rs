//! `mock-wechat`: runs the mock WeChat API server until killed.
//!
//! ```text
//! mock-wechat [--addr 127.0.0.1:0] [--mp APPID:SECRET]... [--work CORPID:SECRET]... [--no-record]
//! ```
//!
//! The first line on stdout is the base URL (`http://127.0.0.1:PORT`); point a client (or the
//! `wechat` CLI) at it. The default accounts `wx_mock_app` / `mock_secret` (mp) and
//! `ww_mock_corp` / `mock_corp_secret` (WeCom) are always registered.
//!
//! Load benchmark (manual): start it with `--no-record` so the request log does not grow, fetch
//! a token, then drive it with any HTTP load tool, e.g.
//!
//! ```text
//! cargo build -p wechat-tests --bin mock-wechat
//! target/debug/mock-wechat --no-record > /tmp/mock-url &
//! sleep 1; URL=$(head -1 /tmp/mock-url)
//! TOKEN=$(curl -s "$URL/cgi-bin/token?grant_type=client_credential&appid=wx_mock_app&secret=mock_secret" | jq -r .access_token)
//! oha -c 1000 -n 100000 "$URL/cgi-bin/user/info?access_token=$TOKEN&openid=o1"
//! kill %1
//! ```

use std::io::Write;

use wechat_tests::{MockConfig, MockWeChat};

const USAGE: &str = "usage: mock-wechat [--addr ADDR] [--mp APPID:SECRET]... \
[--work CORPID:SECRET]... [--no-record]";

fn main() {
    let mut config = MockConfig::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next().unwrap_or_else(|| {
                eprintln!("mock-wechat: {name} needs a value\n{USAGE}");
                std::process::exit(2)
            })
        };
        match arg.as_str() {
            "--addr" => {
                let v = value("--addr");
                config.addr = v.parse().unwrap_or_else(|e| {
                    eprintln!("mock-wechat: bad --addr {v:?}: {e}");
                    std::process::exit(2)
                });
            }
            "--mp" | "--work" => {
                let v = value(&arg);
                let Some((id, secret)) = v.split_once(':') else {
                    eprintln!("mock-wechat: {arg} wants ID:SECRET\n{USAGE}");
                    std::process::exit(2)
                };
                let list = if arg == "--mp" {
                    &mut config.mp_accounts
                } else {
                    &mut config.work_accounts
                };
                list.push((id.to_owned(), secret.to_owned()));
            }
            "--no-record" => config.record_requests = false,
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other => {
                eprintln!("mock-wechat: unknown argument {other:?}\n{USAGE}");
                std::process::exit(2)
            }
        }
    }
    let mock = MockWeChat::start_background(config);
    let mut stdout = std::io::stdout();
    // If stdout is gone nobody can learn the URL; keep serving anyway (killed by the caller).
    let _ = writeln!(stdout, "{}", mock.base_url());
    let _ = stdout.flush();
    loop {
        std::thread::park();
    }
}
