//! Throw-away Redis and memcached servers for tests (feature `testing`).
//!
//! [`RedisServer::start`] and [`MemcachedServer::start`] start the real server binary on a free
//! loopback port, with no configuration file and no persistence, wait until it accepts
//! connections, and kill it when dropped.
//!
//! When the binary is missing they return `None` after printing that the test is skipped, so
//! a developer without the servers installed can still run the test suite; with the
//! environment variable `CI=true` a missing binary panics instead, so CI can never silently
//! skip these tests. The binaries are looked up on `PATH` (`redis-server`, `memcached`) unless
//! `WECHAT_TEST_REDIS_SERVER` / `WECHAT_TEST_MEMCACHED` name them.
//!
//! ```no_run
//! # fn main() {
//! let Some(redis) = wechat_session::testing::RedisServer::start() else { return };
//! let url = redis.url(); // redis://127.0.0.1:PORT/0
//! # let _ = url;
//! # }
//! ```

use core::fmt;
use core::net::{Ipv4Addr, SocketAddr};
use core::time::Duration;
use std::io;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// How long a server may take to accept connections.
const STARTUP: Duration = Duration::from_secs(10);
/// Attempts with a new port when a server exits at startup (the port was taken in between).
const ATTEMPTS: usize = 5;

/// A running server process, killed on drop.
struct Server {
    what: &'static str,
    program: String,
    args: Vec<String>,
    child: Option<Child>,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Server {
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Spawns the process on `self.port` and waits until it accepts connections.
    fn spawn(&mut self) -> Result<(), String> {
        self.stop();
        let child = Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {} (`{}`): {e}", self.what, self.program))?;
        let child = self.child.insert(child);
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + STARTUP;
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return Err(format!(
                    "{} exited at startup on port {} ({status})",
                    self.what, self.port
                ));
            }
            if Instant::now() >= deadline {
                self.stop();
                return Err(format!(
                    "{} did not accept connections on port {} within {STARTUP:?}",
                    self.what, self.port
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn restart(&mut self) {
        // The port was ours a moment ago; retry briefly in case the old socket lingers.
        let mut last = String::new();
        for _ in 0..ATTEMPTS {
            match self.spawn() {
                Ok(()) => return,
                Err(why) => last = why,
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("{last}");
    }
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Starts `program` with `args(port)` on a free port; `None` (or a panic in CI) if it is not
/// installed.
fn start(what: &'static str, env_override: &str, default: &str, args: impl Fn(u16) -> Vec<String>) -> Option<Server> {
    let program = std::env::var(env_override).unwrap_or_else(|_| default.to_owned());
    let installed = Command::new(&program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if let Err(e) = installed
        && e.kind() == io::ErrorKind::NotFound
    {
        assert!(
            !in_ci(),
            "{what} (`{program}`) is not installed, and CI=true forbids skipping"
        );
        eprintln!("skipped: {what} (`{program}`) is not installed (set CI=true to make this an error)");
        return None;
    }
    let mut last_failure = String::new();
    for _ in 0..ATTEMPTS {
        let port = free_port().unwrap_or_else(|e| panic!("cannot find a free port for {what}: {e}"));
        let mut server = Server {
            what,
            program: program.clone(),
            args: args(port),
            child: None,
            port,
        };
        match server.spawn() {
            Ok(()) => return Some(server),
            // Most likely the port was taken in between: try another one.
            Err(why) => last_failure = why,
        }
    }
    panic!("{last_failure}");
}

/// A throw-away `redis-server` on a loopback port (no persistence), killed on drop.
pub struct RedisServer(Server);

impl RedisServer {
    /// Starts one; `None` if `redis-server` is not installed (outside CI).
    ///
    /// # Panics
    /// If the server cannot be started, or is missing while `CI=true`.
    #[must_use]
    pub fn start() -> Option<Self> {
        start("redis-server", "WECHAT_TEST_REDIS_SERVER", "redis-server", |port| {
            [
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ]
            .map(str::to_owned)
            .to_vec()
        })
        .map(Self)
    }

    /// The port it listens on (127.0.0.1).
    #[must_use]
    pub fn port(&self) -> u16 {
        self.0.port
    }

    /// Kills the server (to test behaviour while the store is down); [`restart`](Self::restart)
    /// brings it back on the same port. Everything it held is lost.
    pub fn stop(&mut self) {
        self.0.stop();
    }

    /// Kills the server if running and starts a fresh, empty one on the same port.
    ///
    /// # Panics
    /// If it cannot be started again.
    pub fn restart(&mut self) {
        self.0.restart();
    }

    /// `redis://127.0.0.1:PORT/0`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.0.port)
    }
}

impl fmt::Debug for RedisServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisServer").field("port", &self.0.port).finish()
    }
}

/// A throw-away `memcached` on a loopback port, killed on drop.
pub struct MemcachedServer(Server);

impl MemcachedServer {
    /// Starts one; `None` if `memcached` is not installed (outside CI).
    ///
    /// # Panics
    /// If the server cannot be started, or is missing while `CI=true`.
    #[must_use]
    pub fn start() -> Option<Self> {
        start("memcached", "WECHAT_TEST_MEMCACHED", "memcached", |port| {
            // `-u root` only matters when running as root (memcached refuses to otherwise);
            // for any other user it is ignored. `-U 0` disables UDP.
            [
                "-l",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "0",
                "-m",
                "16",
                "-u",
                "root",
            ]
            .map(str::to_owned)
            .to_vec()
        })
        .map(Self)
    }

    /// The port it listens on (127.0.0.1).
    #[must_use]
    pub fn port(&self) -> u16 {
        self.0.port
    }

    /// Kills the server (to test behaviour while the store is down); [`restart`](Self::restart)
    /// brings it back on the same port. Everything it held is lost.
    pub fn stop(&mut self) {
        self.0.stop();
    }

    /// Kills the server if running and starts a fresh, empty one on the same port.
    ///
    /// # Panics
    /// If it cannot be started again.
    pub fn restart(&mut self) {
        self.0.restart();
    }

    /// `memcache://127.0.0.1:PORT`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("memcache://127.0.0.1:{}", self.0.port)
    }
}

impl fmt::Debug for MemcachedServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemcachedServer").field("port", &self.0.port).finish()
    }
}
