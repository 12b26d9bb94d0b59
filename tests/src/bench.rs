//! What the two client benchmarks (`transport-*/benches/client.rs`) share: settings from the
//! environment, the mock answering `user/info` with the fixture, and the measurement itself —
//! alternating rounds of the SDK and the bare HTTP client, with the median of the per-round
//! ratios and the process CPU time per call.

use std::time::Duration;

use crate::{MockConfig, MockWeChat};

/// The `user/info` answer both sides decode (the same fixture as the core API bench).
const USER_INFO: &str = include_str!("../../core/benches/fixtures/user_info.json");

/// The number in environment variable `name`, or `default`.
pub fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A mock on loopback, not recording requests, answering `/cgi-bin/user/info` with the fixture.
pub fn user_info_mock() -> MockWeChat {
    let mock = MockWeChat::start_background(MockConfig {
        record_requests: false,
        ..MockConfig::default()
    });
    mock.set_response(
        "/cgi-bin/user/info",
        serde_json::from_str(USER_INFO).expect("valid fixture"),
    );
    mock
}

/// CPU time (user + system) of this whole process so far, in seconds, from `/proc` (Linux;
/// `None` elsewhere). The mock server runs in the process too, equally for both sides.
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

/// One side of a comparison: the `WECHAT_BENCH_ONLY` value that selects it alone, and its
/// label in the report.
#[derive(Debug, Clone, Copy)]
pub struct Side {
    /// `WECHAT_BENCH_ONLY=<key>` runs only this side (for profiling it).
    pub key: &'static str,
    /// Its name in the report.
    pub label: &'static str,
}

/// Measures `rounds` rounds of `calls` calls of each side, alternating which goes first, and
/// prints `title` and the report. `run(side)` makes `calls` calls of `sides[side]` and returns
/// the elapsed time. Load that drifts during a run then hits both sides alike.
pub fn alternate(title: &str, sides: [Side; 2], rounds: usize, calls: usize, mut run: impl FnMut(usize) -> Duration) {
    let only = std::env::var("WECHAT_BENCH_ONLY").ok();
    let (mut rates, mut ratios) = ([Vec::new(), Vec::new()], Vec::new());
    let mut cpu = [0.0f64; 2];
    for round in 0..rounds {
        let mut measure = |side: usize| {
            if only.as_deref().is_some_and(|o| o != sides[side].key) {
                return f64::NAN;
            }
            let cpu_before = cpu_seconds().unwrap_or(0.0);
            let elapsed = run(side);
            cpu[side] += cpu_seconds().unwrap_or(0.0) - cpu_before;
            calls as f64 / elapsed.as_secs_f64()
        };
        let (ours, theirs) = if round % 2 == 0 {
            let ours = measure(0);
            (ours, measure(1))
        } else {
            let theirs = measure(1);
            (measure(0), theirs)
        };
        rates[0].push(ours);
        rates[1].push(theirs);
        ratios.push(ours / theirs);
    }
    let (min, max) = ratios
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &r| (lo.min(r), hi.max(r)));
    println!("{title}");
    for side in 0..2 {
        println!(
            "  {:<15} {:>9.0} calls/s (median), {:.1} µs CPU per call (client + mock)",
            sides[side].label,
            median(&mut rates[side]),
            cpu[side] * 1e6 / (rounds * calls) as f64,
        );
    }
    println!(
        "  ratio {:.3} (median of per-round ratios; min {min:.3}, max {max:.3})",
        median(&mut ratios)
    );
}
