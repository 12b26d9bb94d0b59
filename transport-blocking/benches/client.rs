//! Throughput of the blocking client against bare ureq, on the local mock WeChat server.
//!
//! Both sides make the same HTTP requests: `GET /cgi-bin/user/info?access_token=…&openid=…`
//! on keep-alive connections from a `ureq::Agent` built with the same settings (the ones the
//! client uses, connection pool included), from the same number of threads calling in a loop,
//! each answer read whole (with the same size limit) and decoded into the same `UserInfo`. The
//! client's token is warm, so the difference is the SDK's own cost per call.
//!
//! * `wechat`: `client.user().get(openid)`;
//! * `ureq`: `agent.get(url).call()` → `read_to_vec()` → `serde_json::from_slice`.
//!
//! As for the async client, the two are measured in alternating rounds of the same number of
//! calls; the result is the median of the per-round ratios (and the process CPU time per call,
//! mock server included). Target: the client at least 95% of bare ureq's calls per second.
//!
//! ```text
//! cargo bench -p wechat-blocking --bench client
//! WECHAT_BENCH_ROUNDS=61 WECHAT_BENCH_CALLS=3000 WECHAT_BENCH_CONCURRENCY=32 cargo bench -p wechat-blocking --bench client
//! WECHAT_BENCH_ONLY=wechat cargo bench -p wechat-blocking --bench client   # one side, to profile it
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use wechat_blocking::WeChatClient;
use wechat_core::api::mp::user::UserInfo;
use wechat_tests::bench::{Side, alternate, setting, user_info_mock};
use wechat_tests::{MOCK_MP_APPID, MOCK_MP_SECRET};

const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

/// `threads` threads started once (starting threads per round would measure `mmap` and TLB
/// shootdowns), running batches of calls on request.
struct Pool<'a> {
    threads: usize,
    start: &'a Barrier,
    done: &'a Barrier,
    /// Calls per batch, and which side (0 = wechat, 1 = ureq; `usize::MAX` = stop).
    calls: &'a AtomicUsize,
    side: &'a AtomicUsize,
}

impl Pool<'_> {
    /// Runs `calls` calls of `side` spread over the threads; returns the elapsed time.
    fn run(&self, calls: usize, side: usize) -> Duration {
        self.calls.store(calls, Ordering::SeqCst);
        self.side.store(side, Ordering::SeqCst);
        let start = Instant::now();
        self.start.wait();
        self.done.wait();
        start.elapsed()
    }

    fn stop(&self) {
        self.side.store(usize::MAX, Ordering::SeqCst);
        self.start.wait();
    }
}

/// The loop of worker `i`: wait for a batch, run its share, report.
fn worker(i: usize, pool: &Pool<'_>, sides: [&(dyn Fn() -> UserInfo + Sync); 2]) {
    loop {
        pool.start.wait();
        let side = pool.side.load(Ordering::SeqCst);
        if side == usize::MAX {
            return;
        }
        let calls = pool.calls.load(Ordering::SeqCst);
        let share = calls / pool.threads + usize::from(i < calls % pool.threads);
        for _ in 0..share {
            assert_eq!(sides[side]().subscribe, 1);
        }
        pool.done.wait();
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing and gets a smoke run.
    let full = std::env::args().any(|a| a == "--bench");
    let rounds = setting("WECHAT_BENCH_ROUNDS", if full { 61 } else { 1 });
    let calls = setting("WECHAT_BENCH_CALLS", if full { 3_000 } else { 200 });
    let threads = setting("WECHAT_BENCH_CONCURRENCY", 32);

    let mock = user_info_mock();
    let base = mock.base_url();

    let client = WeChatClient::builder(MOCK_MP_APPID, MOCK_MP_SECRET)
        .api_base(base.clone())
        .build();
    let token = client.access_token().expect("token");
    // The same settings as the client's own agent (see src/engine.rs).
    let config = client.config();
    let limit = config.max_response_bytes as u64;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(config.timeout))
        .timeout_connect(Some(config.connect_timeout))
        .user_agent(concat!("wechat-rs/", env!("CARGO_PKG_VERSION")))
        .max_idle_connections(64)
        .max_idle_connections_per_host(64)
        .build()
        .into();
    let url_base = Arc::new(format!(
        "{base}/cgi-bin/user/info?access_token={}&openid=",
        token.secret()
    ));

    let wechat_call = || client.user().get(OPENID).expect("user info");
    let bare_call = || {
        let url = format!("{url_base}{OPENID}");
        let mut resp = agent.get(&url).call().expect("request");
        assert!(resp.status().is_success());
        let body = resp.body_mut().with_config().limit(limit).read_to_vec().expect("body");
        serde_json::from_slice::<UserInfo>(&body).expect("user info")
    };

    assert_eq!(wechat_call(), bare_call(), "both answer the same");
    let (start, done) = (Barrier::new(threads + 1), Barrier::new(threads + 1));
    let (batch, side) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let pool = Pool {
        threads,
        start: &start,
        done: &done,
        calls: &batch,
        side: &side,
    };
    let sides: [&(dyn Fn() -> UserInfo + Sync); 2] = [&wechat_call, &bare_call];
    std::thread::scope(|scope| {
        for i in 0..threads {
            let pool = &pool;
            scope.spawn(move || worker(i, pool, sides));
        }
        measure_rounds(&pool, rounds, calls, threads, &client);
        pool.stop();
    });
}

fn measure_rounds(pool: &Pool<'_>, rounds: usize, calls: usize, threads: usize, client: &WeChatClient) {
    // Both connection pools are warm before measuring.
    pool.run(threads * 20, 0);
    pool.run(threads * 20, 1);
    let fetches = client.token_fetches();
    let sides = [
        Side {
            key: "wechat",
            label: "wechat-blocking",
        },
        Side {
            key: "ureq",
            label: "bare ureq",
        },
    ];
    let title = format!("client_blocking/user_get: {rounds} rounds x {calls} calls each, {threads} threads");
    alternate(&title, sides, rounds, calls, |side| pool.run(calls, side));
    assert_eq!(client.token_fetches(), fetches, "the token stayed warm");
}
