//! [`RedisStore`]: Redis (or Valkey), sync and async, atomic across processes and hosts.

use core::fmt;
use core::future::Future;
use core::time::Duration;
use std::sync::{Mutex, MutexGuard, PoisonError};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Connection, ErrorKind, RedisError, RedisResult, Script};

use crate::DEFAULT_TIMEOUT;
use crate::store::{AsyncSessionStore, AsyncTokenStore, BoxFuture, SessionStore, StoreError, TokenStore};
use crate::util::ttl_millis;

/// Idle sync connections kept for reuse.
const MAX_IDLE: usize = 4;

/// Deletes `KEYS[1]` only if it holds exactly `ARGV[1]`; returns the number deleted.
const COMPARE_AND_DELETE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
";

/// Sets `KEYS[1]` to `ARGV[3]` only if it holds exactly `ARGV[2]` (`ARGV[1]` = `"1"`), or only if
/// it is absent (`ARGV[1]` = `"0"`); with a PX of `ARGV[4]` milliseconds, or none when `ARGV[4]`
/// is empty (a plain `SET` also clears an earlier TTL). Returns 1 if it set, else 0.
const COMPARE_AND_SET: &str = r"
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
    if current ~= ARGV[2] then return 0 end
elseif current then
    return 0
end
if ARGV[4] == '' then
    redis.call('SET', KEYS[1], ARGV[3])
else
    redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
end
return 1
";

/// A store on a Redis server (feature `redis`), usable from sync and async clients.
///
/// * `set_nx` is `SET key value NX PX ttl`.
/// * `compare_and_delete` is a Lua script (`GET` then `DEL` if equal), atomic on the server.
/// * `compare_and_set` is a Lua script (`GET`, then `SET … [PX ttl]` if the value is the expected
///   one, or if the key is absent when nothing is expected), atomic on the server.
/// * `incr` is `MULTI; SET key 0 NX PX ttl; INCR key; EXEC`, so the TTL is set only when the
///   counter is created (works on every Redis version, unlike `EXPIRE … NX`).
///
/// Sync calls use a small pool of blocking connections (a connection that failed is dropped
/// and replaced on the next call); async calls use a [`ConnectionManager`] (created on the first
/// async call, inside the caller's tokio runtime; it reconnects by itself). Connecting and
/// waiting for a reply are each bounded by the timeout ([`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT), see
/// [`with_timeout`](Self::with_timeout)), so a down or stalled server fails fast with
/// [`StoreError::Unavailable`] or [`StoreError::Timeout`].
///
/// Idempotent calls (`get`, `set`, `delete`) are retried once on a fresh connection when a
/// pooled connection turns out to be dead; the primitives are never retried blindly (a lost
/// reply could hide a success).
///
/// `Debug` and errors show the server address, never the password or any value.
pub struct RedisStore {
    client: Client,
    target: String,
    timeout: Duration,
    idle: Mutex<Vec<Connection>>,
    manager: Mutex<Option<ConnectionManager>>,
    cad: Script,
    cas: Script,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("target", &self.target)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Whether a connection that produced `err` is still usable (the reply was read completely).
fn connection_survives(err: &RedisError) -> bool {
    matches!(
        err.kind(),
        ErrorKind::Server(_) | ErrorKind::Extension | ErrorKind::UnexpectedReturnType
    )
}

/// Maps a redis error without ever including server replies (which could echo values).
fn map_err(err: &RedisError, timeout: Duration) -> StoreError {
    if err.is_timeout() {
        return StoreError::Timeout(timeout);
    }
    if err.is_io_error() || err.is_connection_refusal() || err.is_connection_dropped() {
        // The I/O error text is the OS message ("Connection refused"), never data.
        return StoreError::Unavailable(format!("redis: {err}"));
    }
    match err.kind() {
        ErrorKind::AuthenticationFailed => StoreError::Unavailable("redis: authentication failed".into()),
        ErrorKind::InvalidClientConfig => StoreError::Config("redis: invalid client configuration".into()),
        ErrorKind::UnexpectedReturnType | ErrorKind::Parse => {
            StoreError::Protocol("redis: unexpected reply (is the value UTF-8 text?)".into())
        }
        _ => match err.code() {
            Some(code) => StoreError::Protocol(format!("redis replied with error {code}")),
            None => StoreError::Protocol(format!("redis: {}", err.category())),
        },
    }
}

fn px(ttl: Duration) -> u64 {
    // Redis rejects expiries that overflow its clock; 100 years is "forever" for a token.
    ttl_millis(ttl).min(100 * 365 * 24 * 3600 * 1000)
}

fn set_cmd(key: &str, value: &str, ttl: Option<Duration>) -> redis::Cmd {
    let mut cmd = redis::cmd("SET");
    cmd.arg(key).arg(value);
    if let Some(ttl) = ttl {
        cmd.arg("PX").arg(px(ttl));
    }
    cmd
}

fn set_nx_cmd(key: &str, value: &str, ttl: Duration) -> redis::Cmd {
    let mut cmd = redis::cmd("SET");
    cmd.arg(key).arg(value).arg("NX").arg("PX").arg(px(ttl));
    cmd
}

/// The `COMPARE_AND_SET` invocation for these arguments.
fn cas_invocation<'s>(
    script: &'s Script,
    key: &str,
    expected: Option<&str>,
    value: &str,
    ttl: Option<Duration>,
) -> redis::ScriptInvocation<'s> {
    let mut invocation = script.key(key);
    invocation
        .arg(if expected.is_some() { "1" } else { "0" })
        .arg(expected.unwrap_or(""))
        .arg(value)
        .arg(ttl.map_or_else(String::new, |ttl| px(ttl).to_string()));
    invocation
}

fn incr_pipe(key: &str, ttl: Duration) -> redis::Pipeline {
    let mut pipe = redis::pipe();
    pipe.atomic()
        .cmd("SET")
        .arg(key)
        .arg(0)
        .arg("NX")
        .arg("PX")
        .arg(px(ttl))
        .ignore()
        .cmd("INCR")
        .arg(key);
    pipe
}

fn counter(n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| StoreError::Protocol("redis: the counter is negative".into()))
}

impl RedisStore {
    /// A store for `url` (`redis://[[user]:password@]host[:port][/db]`, or
    /// `redis+unix:///path.sock`). Nothing is connected until the first call.
    ///
    /// # Errors
    /// [`StoreError::Config`] if the URL is invalid (the message never repeats the URL,
    /// which may hold a password), or asks for TLS (`rediss://`, not compiled in).
    pub fn open(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("rediss://") || url.starts_with("valkeys://") {
            return Err(StoreError::Config(
                "TLS Redis URLs (rediss://) are not supported by this build".into(),
            ));
        }
        let client = Client::open(url).map_err(|_| StoreError::Config("invalid Redis URL".into()))?;
        let info = client.get_connection_info();
        let target = format!("redis://{}/{}", info.addr(), info.redis_settings().db());
        Ok(Self {
            client,
            target,
            timeout: DEFAULT_TIMEOUT,
            idle: Mutex::new(Vec::new()),
            manager: Mutex::new(None),
            cad: Script::new(COMPARE_AND_DELETE),
            cas: Script::new(COMPARE_AND_SET),
        })
    }

    /// Sets the connect and response timeout (default [`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT)).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The server address and database, without credentials.
    #[must_use]
    pub fn target(&self) -> &str {
        &self.target
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn connect(&self) -> Result<Connection, StoreError> {
        let conn = self
            .client
            .get_connection_with_timeout(self.timeout)
            .map_err(|e| map_err(&e, self.timeout))?;
        conn.set_read_timeout(Some(self.timeout))
            .map_err(|e| map_err(&e, self.timeout))?;
        conn.set_write_timeout(Some(self.timeout))
            .map_err(|e| map_err(&e, self.timeout))?;
        Ok(conn)
    }

    /// Runs `op` on a pooled (or new) connection. With `idempotent`, a failure of a pooled
    /// connection that looks like a dead socket is retried once on a fresh connection.
    fn run<T>(&self, idempotent: bool, op: impl Fn(&mut Connection) -> RedisResult<T>) -> Result<T, StoreError> {
        let pooled = self.idle().pop();
        let was_pooled = pooled.is_some();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => self.connect()?,
        };
        let mut result = op(&mut conn);
        if let Err(err) = &result
            && idempotent
            && was_pooled
            && (err.is_connection_dropped() || err.is_io_error())
            && !err.is_timeout()
        {
            // The other pooled connections most likely died with this one.
            self.idle().clear();
            conn = self.connect()?;
            result = op(&mut conn);
        }
        match result {
            Ok(value) => {
                self.release(conn);
                Ok(value)
            }
            Err(err) => {
                if connection_survives(&err) {
                    self.release(conn);
                } else if err.is_connection_dropped() || err.is_io_error() {
                    // Pooled connections to the same server most likely died with this one.
                    self.idle().clear();
                }
                Err(map_err(&err, self.timeout))
            }
        }
    }

    fn release(&self, conn: Connection) {
        let mut idle = self.idle();
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }

    fn manager(&self) -> Result<ConnectionManager, StoreError> {
        let mut slot = self.manager.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(manager) = slot.as_ref() {
            return Ok(manager.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let manager = ConnectionManager::new_lazy_with_config(self.client.clone(), config)
            .map_err(|e| map_err(&e, self.timeout))?;
        *slot = Some(manager.clone());
        Ok(manager)
    }

    /// Runs an async operation with an overall deadline (connect + reply), as a backstop to the
    /// manager's own timeouts.
    async fn run_async<T, F>(&self, op: impl FnOnce(ConnectionManager) -> F) -> Result<T, StoreError>
    where
        F: Future<Output = RedisResult<T>>,
    {
        let manager = self.manager()?;
        let budget = self.timeout.saturating_mul(2) + Duration::from_millis(100);
        match tokio::time::timeout(budget, op(manager)).await {
            Ok(result) => result.map_err(|e| map_err(&e, self.timeout)),
            Err(_) => Err(StoreError::Timeout(budget)),
        }
    }
}

impl SessionStore for RedisStore {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.run(true, |c| redis::cmd("GET").arg(key).query(c))
    }

    fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), StoreError> {
        self.run(true, |c| set_cmd(key, value, ttl).exec(c))
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.run(true, |c| redis::cmd("DEL").arg(key).exec(c))
    }
}

impl TokenStore for RedisStore {
    fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        self.run(false, |c| set_nx_cmd(key, value, ttl).query::<Option<String>>(c))
            .map(|r| r.is_some())
    }

    fn compare_and_delete(&self, key: &str, expected: &str) -> Result<bool, StoreError> {
        self.run(false, |c| self.cad.key(key).arg(expected).invoke::<i64>(c))
            .map(|n| n == 1)
    }

    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&str>,
        value: &str,
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError> {
        self.run(false, |c| {
            cas_invocation(&self.cas, key, expected, value, ttl).invoke::<i64>(c)
        })
        .map(|n| n == 1)
    }

    fn incr(&self, key: &str, ttl: Duration) -> Result<u64, StoreError> {
        let (n,) = self.run(false, |c| incr_pipe(key, ttl).query::<(i64,)>(c))?;
        counter(n)
    }
}

impl AsyncSessionStore for RedisStore {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        Box::pin(self.run_async(move |mut c| async move { redis::cmd("GET").arg(key).query_async(&mut c).await }))
    }

    fn set<'a>(&'a self, key: &'a str, value: &'a str, ttl: Option<Duration>) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.run_async(move |mut c| async move { set_cmd(key, value, ttl).exec_async(&mut c).await }))
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.run_async(move |mut c| async move { redis::cmd("DEL").arg(key).exec_async(&mut c).await }))
    }
}

impl AsyncTokenStore for RedisStore {
    fn set_nx<'a>(&'a self, key: &'a str, value: &'a str, ttl: Duration) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let reply: Option<String> = self
                .run_async(move |mut c| async move { set_nx_cmd(key, value, ttl).query_async(&mut c).await })
                .await?;
            Ok(reply.is_some())
        })
    }

    fn compare_and_delete<'a>(&'a self, key: &'a str, expected: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let n: i64 = self
                .run_async(move |mut c| async move { self.cad.key(key).arg(expected).invoke_async(&mut c).await })
                .await?;
            Ok(n == 1)
        })
    }

    fn compare_and_set<'a>(
        &'a self,
        key: &'a str,
        expected: Option<&'a str>,
        value: &'a str,
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let n: i64 = self
                .run_async(move |mut c| async move {
                    cas_invocation(&self.cas, key, expected, value, ttl)
                        .invoke_async(&mut c)
                        .await
                })
                .await?;
            Ok(n == 1)
        })
    }

    fn incr<'a>(&'a self, key: &'a str, ttl: Duration) -> BoxFuture<'a, Result<u64, StoreError>> {
        Box::pin(async move {
            let (n,): (i64,) = self
                .run_async(move |mut c| async move { incr_pipe(key, ttl).query_async(&mut c).await })
                .await?;
            counter(n)
        })
    }
}
