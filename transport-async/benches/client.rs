//! Throughput of the async client against bare reqwest, on the local mock WeChat server.
//!
//! Both sides make the same HTTP requests: `GET /cgi-bin/user/info?access_token=…&openid=…`
//! on keep-alive connections from a `reqwest::Client` built with the same settings, with the
//! same number of requests in flight (tasks calling in a loop), each answer read whole and
//! decoded into the same `UserInfo`. The client's token is warm, so the difference is the
//! SDK's own cost per call: the request value and URL, the token machine, reading and
//! classifying the answer.
//!
//! * `wechat`: `client.user().get(openid)`;
//! * `reqwest`: `reqwest::Client::get(url)` → `bytes()` → `serde_json::from_slice`.
//!
//! The machine is shared (the mock server runs here too), so the two are measured in
//! alternating rounds, each round timing the same number of calls of each, and the result
//! is the median over rounds of the per-round ratio; load that drifts during a run then hits
//! both sides alike. Target: the client at least 95% of bare reqwest's calls per second.
//!
//! ```text
//! cargo bench -p wechat-async --bench client
//! WECHAT_BENCH_ROUNDS=61 WECHAT_BENCH_CALLS=3000 WECHAT_BENCH_CONCURRENCY=32 cargo bench -p wechat-async --bench client
//! WECHAT_BENCH_ONLY=wechat cargo bench -p wechat-async --bench client   # one side, to profile it
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use wechat_async::WeChatClient;
use wechat_core::api::mp::user::UserInfo;
use wechat_tests::bench::{Side, alternate, setting, user_info_mock};
use wechat_tests::{MOCK_MP_APPID, MOCK_MP_SECRET};

const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

/// Runs `calls` calls of `call` from `concurrency` tasks; returns the elapsed time.
async fn run<F, Fut>(calls: usize, concurrency: usize, call: F) -> Duration
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = UserInfo> + Send,
{
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..concurrency {
        // Spread the calls evenly over the tasks.
        let share = calls / concurrency + usize::from(i < calls % concurrency);
        let call = call.clone();
        tasks.spawn(async move {
            for _ in 0..share {
                let user = call().await;
                assert_eq!(user.subscribe, 1);
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("a call failed");
    }
    start.elapsed()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing and gets a smoke run.
    let full = std::env::args().any(|a| a == "--bench");
    let rounds = setting("WECHAT_BENCH_ROUNDS", if full { 61 } else { 1 });
    let calls = setting("WECHAT_BENCH_CALLS", if full { 3_000 } else { 200 });
    let concurrency = setting("WECHAT_BENCH_CONCURRENCY", 32);

    let mock = user_info_mock();
    let base = mock.base_url();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(setting("WECHAT_BENCH_WORKERS", 2))
        .enable_all()
        .build()
        .expect("runtime");

    // One reqwest client, with the settings the SDK's default client has, used by both sides:
    // the difference is the SDK's own cost per call.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let config = wechat_async::ClientConfig::default();
    let bare = reqwest::Client::builder()
        .timeout(config.timeout)
        .connect_timeout(config.connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("wechat-rs/", env!("CARGO_PKG_VERSION")))
        .tls_backend_preconfigured(tls)
        .build()
        .expect("reqwest client");
    let client = {
        let _rt = runtime.enter();
        WeChatClient::builder(MOCK_MP_APPID, MOCK_MP_SECRET)
            .api_base(base.clone())
            .http_client(bare.clone())
            .build()
    };
    let token = runtime.block_on(client.access_token()).expect("token");
    let url_base = Arc::new(format!(
        "{base}/cgi-bin/user/info?access_token={}&openid=",
        token.secret()
    ));

    let wechat_call = {
        let client = client.clone();
        move || {
            let client = client.clone();
            async move { client.user().get(OPENID).await.expect("user info") }
        }
    };
    let bare_call = move || {
        let (bare, url_base) = (bare.clone(), url_base.clone());
        async move {
            let url = format!("{url_base}{OPENID}");
            let resp = bare.get(url).send().await.expect("request");
            assert!(resp.status().is_success());
            let body = resp.bytes().await.expect("body");
            serde_json::from_slice::<UserInfo>(&body).expect("user info")
        }
    };

    // Both answer the same, and both pools are warm before measuring.
    let ours = runtime.block_on(wechat_call.clone()());
    assert_eq!(ours, runtime.block_on(bare_call.clone()()));
    runtime.block_on(run(concurrency * 20, concurrency, wechat_call.clone()));
    runtime.block_on(run(concurrency * 20, concurrency, bare_call.clone()));
    let fetches = client.token_fetches();

    let sides = [
        Side {
            key: "wechat",
            label: "wechat-async",
        },
        Side {
            key: "reqwest",
            label: "bare reqwest",
        },
    ];
    let title = format!("client_async/user_get: {rounds} rounds x {calls} calls each, {concurrency} in flight");
    alternate(&title, sides, rounds, calls, |side| match side {
        0 => runtime.block_on(run(calls, concurrency, wechat_call.clone())),
        _ => runtime.block_on(run(calls, concurrency, bare_call.clone())),
    });
    assert_eq!(client.token_fetches(), fetches, "the token stayed warm");
}
