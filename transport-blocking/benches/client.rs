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
use wechat_tests::{MOCK_MP_APPID, MOCK_MP_SECRET, MockConfig, MockWeChat};

const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
const USER_INFO: &str = include_str!("../../core/benches/fixtures/user_info.json");

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

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

/// CPU time (user + system) of this whole process so far, in seconds, from `/proc` (Linux;
/// `None` elsewhere). The mock server runs in this process too, equally for both sides.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on every Linux configuration that matters here.
    Some(ticks / 100.0)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing and gets a smoke run.
    let full = std::env::args().any(|a| a == "--bench");
    let rounds = setting("WECHAT_BENCH_ROUNDS", if full { 61 } else { 1 });
    let calls = setting("WECHAT_BENCH_CALLS", if full { 3_000 } else { 200 });
    let threads = setting("WECHAT_BENCH_CONCURRENCY", 32);
    // `wechat` or `ureq` runs only that side (for profiling one of them).
    let only = std::env::var("WECHAT_BENCH_ONLY").ok();

    let mock = MockWeChat::start_background(MockConfig {
        record_requests: false,
        ..MockConfig::default()
    });
    mock.set_response(
        "/cgi-bin/user/info",
        serde_json::from_str(USER_INFO).expect("valid fixture"),
    );
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
        measure_rounds(&pool, rounds, calls, threads, only.as_deref(), &client);
        pool.stop();
    });
}

fn measure_rounds(
    pool: &Pool<'_>,
    rounds: usize,
    calls: usize,
    threads: usize,
    only: Option<&str>,
    client: &WeChatClient,
) {
    // Both connection pools are warm before measuring.
    pool.run(threads * 20, 0);
    pool.run(threads * 20, 1);
    let fetches = client.token_fetches();

    let (mut ours, mut theirs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let mut cpu = [0.0f64; 2];
    for round in 0..rounds {
        let mut measure = |which: bool| {
            let skip = only.is_some_and(|o| o != if which { "wechat" } else { "ureq" });
            if skip {
                return f64::NAN;
            }
            let cpu_before = cpu_seconds().unwrap_or(0.0);
            let elapsed = pool.run(calls, usize::from(!which));
            cpu[usize::from(!which)] += cpu_seconds().unwrap_or(0.0) - cpu_before;
            calls as f64 / elapsed.as_secs_f64()
        };
        // Alternate which goes first.
        let (w, u) = if round % 2 == 0 {
            let w = measure(true);
            (w, measure(false))
        } else {
            let u = measure(false);
            (measure(true), u)
        };
        ours.push(w);
        theirs.push(u);
        ratios.push(w / u);
    }
    assert_eq!(client.token_fetches(), fetches, "the token stayed warm");

    let (min, max) = ratios
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &r| (lo.min(r), hi.max(r)));
    println!(
        "client_blocking/user_get: {rounds} rounds x {calls} calls each, {threads} threads\n  \
         wechat-blocking {:>9.0} calls/s (median), {:.1} µs CPU per call (client + mock)\n  \
         bare ureq       {:>9.0} calls/s (median), {:.1} µs CPU per call (client + mock)\n  \
         ratio {:.3} (median of per-round ratios; min {min:.3}, max {max:.3})",
        median(&mut ours),
        cpu[0] * 1e6 / (rounds * calls) as f64,
        median(&mut theirs),
        cpu[1] * 1e6 / (rounds * calls) as f64,
        median(&mut ratios),
    );
}
