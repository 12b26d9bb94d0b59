//! Real processes racing on one store: exactly one `set_nx` winner, one `compare_and_delete`
//! winner, one `compare_and_set` winner (from a present value and from an absent key), and no
//! lost `incr`, across processes.
//!
//! This binary has no test harness: run without `WECHAT_SESSION_CHILD` it is the parent, which
//! re-executes itself as `CHILDREN` child processes per store (half of them using the sync
//! store, half the async one) and checks what they report. Stores: a file store always; Redis
//! and memcached with the `testing` feature and their store features (skipped outside CI when
//! the server binaries are missing).

use core::time::Duration;
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

const CHILDREN: usize = 8;
const INCRS: usize = 40;
const TTL: Duration = Duration::from_secs(120);

fn unix_ms() -> u64 {
    u64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap()
}

fn main() {
    match std::env::var("WECHAT_SESSION_CHILD") {
        Ok(spec) => child(&spec),
        Err(_) => parent(),
    }
}

/// A child: waits for the common start time, then races.
fn child(spec: &str) {
    let prefix = std::env::var("WECHAT_SESSION_PREFIX").unwrap();
    let index: usize = std::env::var("WECHAT_SESSION_INDEX").unwrap().parse().unwrap();
    let start: u64 = std::env::var("WECHAT_SESSION_START").unwrap().parse().unwrap();
    let owner = format!("child-{index}-{}", std::process::id());
    let (lease, count, cad) = (
        format!("{prefix}lease"),
        format!("{prefix}count"),
        format!("{prefix}cad"),
    );
    let (cas, cas_new) = (format!("{prefix}cas"), format!("{prefix}cas-new"));
    let wait = |_: ()| std::thread::sleep(Duration::from_millis(start.saturating_sub(unix_ms())));

    let mut out = Vec::new();
    if index.is_multiple_of(2) {
        let store = wechat_session::open(spec).unwrap();
        wait(());
        out.push(format!("nx {}", store.set_nx(&lease, &owner, TTL).unwrap()));
        let won = store.compare_and_set(&cas, Some("v0"), &owner, Some(TTL)).unwrap();
        out.push(format!("cas {won}"));
        let won = store.compare_and_set(&cas_new, None, &owner, Some(TTL)).unwrap();
        out.push(format!("cas-new {won}"));
        for _ in 0..INCRS {
            out.push(format!("incr {}", store.incr(&count, TTL).unwrap()));
        }
        out.push(format!(
            "cad {}",
            store.compare_and_delete(&cad, "shared-lease").unwrap()
        ));
    } else {
        let store = wechat_session::open_async(spec).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            wait(());
            out.push(format!("nx {}", store.set_nx(&lease, &owner, TTL).await.unwrap()));
            let won = store
                .compare_and_set(&cas, Some("v0"), &owner, Some(TTL))
                .await
                .unwrap();
            out.push(format!("cas {won}"));
            let won = store.compare_and_set(&cas_new, None, &owner, Some(TTL)).await.unwrap();
            out.push(format!("cas-new {won}"));
            for _ in 0..INCRS {
                out.push(format!("incr {}", store.incr(&count, TTL).await.unwrap()));
            }
            out.push(format!(
                "cad {}",
                store.compare_and_delete(&cad, "shared-lease").await.unwrap()
            ));
        });
    }
    out.push(format!("owner {owner}"));
    println!("{}", out.join("\n"));
}

/// Spawns the children for `spec` and checks their reports.
fn race(name: &str, spec: &str) {
    let started = Instant::now();
    let store = wechat_session::open(spec).unwrap();
    let prefix = format!("cross-process:{}:{}:", std::process::id(), unix_ms());
    store.set(&format!("{prefix}cad"), "shared-lease", Some(TTL)).unwrap();
    store.set(&format!("{prefix}cas"), "v0", Some(TTL)).unwrap();

    let exe = std::env::current_exe().unwrap();
    // Far enough ahead for every child to start and connect first.
    let start = unix_ms() + 1500;
    let children: Vec<_> = (0..CHILDREN)
        .map(|index| {
            Command::new(&exe)
                .env("WECHAT_SESSION_CHILD", spec)
                .env("WECHAT_SESSION_PREFIX", &prefix)
                .env("WECHAT_SESSION_INDEX", index.to_string())
                .env("WECHAT_SESSION_START", start.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap()
        })
        .collect();

    let (mut nx_winners, mut cad_winners, mut counts, mut owners) = (Vec::new(), 0, Vec::new(), Vec::new());
    let (mut cas_winners, mut cas_new_winners) = (Vec::new(), Vec::new());
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{name}: a child failed: {}", output.status);
        let text = String::from_utf8(output.stdout).unwrap();
        let owner = text.lines().find_map(|l| l.strip_prefix("owner ")).unwrap().to_owned();
        for line in text.lines() {
            match line.split_once(' ') {
                Some(("nx", "true")) => nx_winners.push(owner.clone()),
                Some(("cas", "true")) => cas_winners.push(owner.clone()),
                Some(("cas-new", "true")) => cas_new_winners.push(owner.clone()),
                Some(("cad", "true")) => cad_winners += 1,
                Some(("incr", n)) => counts.push(n.parse::<u64>().unwrap()),
                _ => {}
            }
        }
        owners.push(owner);
    }
    assert_eq!(owners.len(), CHILDREN);
    assert_eq!(
        nx_winners.len(),
        1,
        "{name}: set_nx across processes must have exactly one winner: {nx_winners:?}"
    );
    assert_eq!(
        store.get(&format!("{prefix}lease")).unwrap().as_deref(),
        Some(nx_winners[0].as_str()),
        "{name}: the lease must hold the winner's value"
    );
    for (what, key, winners) in [
        ("from a present value", "cas", &cas_winners),
        ("from an absent key", "cas-new", &cas_new_winners),
    ] {
        assert_eq!(
            winners.len(),
            1,
            "{name}: compare_and_set {what} across processes must have exactly one winner: {winners:?}"
        );
        assert_eq!(
            store.get(&format!("{prefix}{key}")).unwrap().as_deref(),
            Some(winners[0].as_str()),
            "{name}: compare_and_set {what}: the key must hold the winner's value"
        );
    }
    assert_eq!(
        cad_winners, 1,
        "{name}: compare_and_delete across processes must succeed exactly once"
    );
    counts.sort_unstable();
    let expected: Vec<u64> = (1..=(CHILDREN * INCRS) as u64).collect();
    assert_eq!(
        counts, expected,
        "{name}: incr across processes lost or duplicated increments"
    );
    assert_eq!(
        store.get(&format!("{prefix}count")).unwrap(),
        Some((CHILDREN * INCRS).to_string())
    );
    println!(
        "cross_process: {name}: {CHILDREN} processes, ok ({:.1?})",
        started.elapsed()
    );
}

fn parent() {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("wechat-session-cross-{}-{nanos}", std::process::id()));
    let path = dir.join("store.json");
    race("file", &format!("file:{}", path.display()));
    let _ = std::fs::remove_dir_all(&dir);

    #[cfg(all(feature = "testing", feature = "redis"))]
    if let Some(server) = wechat_session::testing::RedisServer::start() {
        race("redis", &server.url());
    }
    #[cfg(all(feature = "testing", feature = "memcached"))]
    if let Some(server) = wechat_session::testing::MemcachedServer::start() {
        race("memcached", &server.url());
    }
}
