//! [`MemcachedStore`]: memcached through its meta protocol, sync and async.

use core::fmt;
use core::time::Duration;
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use memcache::exp::{
    ArithmeticResult, AsyncMetaClient, Error as McError, GetResult, GetStatus, Meta, MetaClient, MetaClientBuilder,
    MutationResult, MutationStatus, Ttl,
};

use crate::DEFAULT_TIMEOUT;
use crate::store::{AsyncSessionStore, AsyncTokenStore, BoxFuture, SessionStore, StoreError, TokenStore};

/// The default memcached port.
const DEFAULT_PORT: u16 = 11211;

/// Relative TTLs above this many seconds are read by memcached as absolute Unix times.
const MAX_RELATIVE_SECS: u64 = 30 * 24 * 3600;

/// How often `compare_and_delete` retries after a concurrent write changed the item's CAS.
const CAS_ATTEMPTS: usize = 8;

/// A store on a memcached server (feature `memcached`; memcached 1.6 or newer), usable from
/// sync and async clients.
///
/// It speaks memcached's [meta protocol] through the `memcache` crate's `exp` clients
/// ([`MetaClient`] for sync calls, [`AsyncMetaClient`] for async calls, sharing one protocol and
/// one behaviour), because the classic text and binary commands cannot express the primitives
/// soundly (the crate's classic `add` cannot report "not stored", and there is no conditional
/// delete):
///
/// * `set_nx` is `ms <key> T<ttl> ME` (store only if absent: memcached's `add`).
/// * `compare_and_set` with nothing expected is `ms <key> T<ttl> ME` (`add`); with an expected
///   value it is `mg <key> v c`, then, if the value matches, `ms <key> C<cas> T<ttl>`: the server
///   stores only if nothing wrote the item in between, and a stale CAS (a concurrent write,
///   which may have stored a newer value) reports `false` rather than retrying.
/// * `incr` is `ma <key> N<ttl> J1`: one atomic command that increments, or creates the
///   counter at 1 with the TTL when it is missing, so the TTL is set only on creation and no
///   increment is lost.
/// * `compare_and_delete` is `mg <key> v c` (value and CAS), then, if the value matches,
///   `md <key> C<cas>`: the server deletes only if nothing wrote the item in between. If the CAS
///   moved, the read is repeated (up to 8 times). No tombstones are involved, so a key deleted
///   this way is immediately free for `set_nx`.
///
/// TTLs are whole seconds on the wire: a TTL is rounded up to the next second (at least 1 s),
/// and memcached's clock ticks once a second, so an item can expire up to one second *before*
/// its TTL. TTLs above 30 days are sent as absolute Unix times, as the protocol requires.
///
/// Connections are dialed lazily, pooled, and dropped after any failure; connecting and each
/// exchange are bounded by the timeout ([`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT), see
/// [`with_timeout`](Self::with_timeout)). The async client is created on the first async call
/// and needs a tokio runtime.
///
/// [meta protocol]: https://github.com/memcached/memcached/blob/master/doc/protocol.txt
pub struct MemcachedStore {
    /// `host:port`, resolved by the clients.
    server: String,
    timeout: Duration,
    sync: MetaClient,
    async_client: Mutex<Option<AsyncMetaClient>>,
}

impl fmt::Debug for MemcachedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemcachedStore")
            .field("target", &format_args!("memcache://{}", self.server))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Parses `memcache://host[:port][/]` (or `memcached://`) into `host:port` and an optional
/// `?timeout=SECONDS`.
fn parse_url(url: &str) -> Result<(String, Option<Duration>), StoreError> {
    let bad = |why: &str| StoreError::Config(format!("invalid memcached URL: {why}"));
    let rest = url
        .strip_prefix("memcache://")
        .or_else(|| url.strip_prefix("memcached://"))
        .ok_or_else(|| bad("expected memcache://host[:port]"))?;
    let (authority, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let authority = authority.strip_suffix('/').unwrap_or(authority);
    if authority.is_empty() || authority.contains(['/', '@']) {
        return Err(bad("expected memcache://host[:port] (no path, no credentials)"));
    }
    let has_port = if authority.starts_with('[') {
        !authority.ends_with(']')
    } else {
        authority.contains(':')
    };
    let server = if has_port {
        let port = authority.rsplit_once(':').map_or("", |(_, p)| p);
        if port.parse::<u16>().is_err() {
            return Err(bad("the port is not a number"));
        }
        authority.to_owned()
    } else {
        format!("{authority}:{DEFAULT_PORT}")
    };
    let mut timeout = None;
    if let Some(query) = query {
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("timeout", secs)) => {
                    let secs: f64 = secs.parse().map_err(|_| bad("timeout must be a number of seconds"))?;
                    let d = Duration::try_from_secs_f64(secs).map_err(|_| bad("timeout out of range"))?;
                    timeout = Some(d);
                }
                _ => return Err(bad("unknown query parameter (only timeout=SECONDS)")),
            }
        }
    }
    Ok((server, timeout))
}

/// Maps a client error without ever including server replies.
fn map_err(err: McError, timeout: Duration) -> StoreError {
    match err {
        McError::Timeout { .. } => StoreError::Timeout(timeout),
        McError::Io(e) if matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock) => {
            StoreError::Timeout(timeout)
        }
        McError::Io(e) => StoreError::Unavailable(format!("memcached: {e}")),
        McError::Ambiguous { source, .. } => match map_err(*source, timeout) {
            StoreError::Unavailable(why) => {
                StoreError::Unavailable(format!("{why} (the command was sent; its outcome is unknown)"))
            }
            other => other,
        },
        McError::Server(_) => StoreError::Unavailable("memcached: the server reported an error".into()),
        McError::Rejected(_) => StoreError::Protocol("memcached rejected the command".into()),
        McError::Usage(why) => StoreError::Protocol(format!("memcached: {why}")),
        McError::Protocol(_) => StoreError::Protocol("memcached: malformed reply".into()),
        _ => StoreError::Protocol("memcached: client error".into()),
    }
}

/// `ttl` as a memcached wire TTL: whole seconds rounded up, at least 1, absolute above 30 days.
fn wire_ttl(ttl: Duration) -> u32 {
    let secs = ttl.as_secs().saturating_add(u64::from(ttl.subsec_nanos() > 0)).max(1);
    let wire = if secs <= MAX_RELATIVE_SECS {
        secs
    } else {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        now.saturating_add(secs)
    };
    u32::try_from(wire).unwrap_or(u32::MAX)
}

fn value_of(result: GetResult) -> Result<Option<String>, StoreError> {
    match (result.status, result.value) {
        (GetStatus::Hit, Some(bytes)) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| StoreError::Protocol("memcached: the stored value is not UTF-8".into())),
        _ => Ok(None),
    }
}

fn set_nx_outcome(result: &MutationResult) -> Result<bool, StoreError> {
    match result.status {
        MutationStatus::Applied => Ok(true),
        MutationStatus::AlreadyExists => Ok(false),
        _ => Err(StoreError::Protocol("memcached: unexpected reply to an add".into())),
    }
}

fn counter_of(result: &ArithmeticResult) -> Result<u64, StoreError> {
    match (result.status, result.value) {
        (MutationStatus::Applied, Some(n)) => Ok(n),
        _ => Err(StoreError::Protocol(
            "memcached: unexpected reply to an increment".into(),
        )),
    }
}

fn incr_err(err: McError, timeout: Duration) -> StoreError {
    match err {
        McError::Rejected(_) => StoreError::Protocol("cannot increment: the key holds a non-number".into()),
        other => map_err(other, timeout),
    }
}

/// What a compare-and-… read decided: settled, or the value matched and the item has this CAS.
enum CasRead {
    Done(bool),
    Matched(u64),
}

fn cas_read(result: GetResult, expected: &str) -> Result<CasRead, StoreError> {
    let cas = result.item.cas;
    match (result.status, result.value, cas) {
        (GetStatus::Hit, Some(value), Some(cas)) if value == expected.as_bytes() => Ok(CasRead::Matched(cas)),
        (GetStatus::Hit, Some(_), None) => Err(StoreError::Protocol("memcached: the reply carried no CAS".into())),
        _ => Ok(CasRead::Done(false)),
    }
}

/// `Some(outcome)` when the conditional delete settled it, `None` to re-read and retry.
fn cad_delete_outcome(result: &MutationResult) -> Result<Option<bool>, StoreError> {
    match result.status {
        MutationStatus::Applied => Ok(Some(true)),
        MutationStatus::NotFound => Ok(Some(false)),
        MutationStatus::CasMismatch => Ok(None),
        _ => Err(StoreError::Protocol("memcached: unexpected reply to a delete".into())),
    }
}

/// Whether a conditional store (`ms … C<cas>`) stored: a moved CAS or a vanished item is `false`.
fn cas_set_outcome(result: &MutationResult) -> Result<bool, StoreError> {
    match result.status {
        MutationStatus::Applied => Ok(true),
        MutationStatus::CasMismatch | MutationStatus::NotFound => Ok(false),
        _ => Err(StoreError::Protocol(
            "memcached: unexpected reply to a CAS store".into(),
        )),
    }
}

/// `ttl` as a memcached wire TTL, `0` (never) for `None`.
fn wire_ttl_or_never(ttl: Option<Duration>) -> u32 {
    ttl.map_or(0, wire_ttl)
}

impl MemcachedStore {
    /// A store for `url`: `memcache://host[:port]` (default port 11211; `memcached://` is also
    /// accepted), optionally `?timeout=SECONDS`. The host name is resolved now; connections are
    /// made on first use.
    ///
    /// # Errors
    /// [`StoreError::Config`] for an invalid URL, [`StoreError::Unavailable`] if the host name
    /// does not resolve.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let (server, timeout) = parse_url(url)?;
        Self::build(server, timeout.unwrap_or(DEFAULT_TIMEOUT))
    }

    fn builder(timeout: Duration) -> MetaClientBuilder {
        MetaClient::builder()
            .connect_timeout(Some(timeout))
            .io_timeout(Some(timeout))
    }

    fn build(server: String, timeout: Duration) -> Result<Self, StoreError> {
        let timeout = timeout.max(Duration::from_millis(1));
        let sync = Self::builder(timeout)
            .connect(server.as_str())
            .map_err(|e| map_err(e, timeout))?;
        Ok(Self {
            server,
            timeout,
            sync,
            async_client: Mutex::new(None),
        })
    }

    /// Sets the connect and exchange timeout (default [`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT)).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] if the host name no longer resolves.
    pub fn with_timeout(self, timeout: Duration) -> Result<Self, StoreError> {
        Self::build(self.server, timeout)
    }

    /// The server as `host:port`.
    #[must_use]
    pub fn server(&self) -> &str {
        &self.server
    }

    async fn async_client(&self) -> Result<AsyncMetaClient, StoreError> {
        if let Some(client) = self
            .async_client
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            return Ok(client.clone());
        }
        // Resolving is async; two racing first calls may both build a client (cheap: nothing
        // is dialed yet), and the first one stored wins.
        let built = Self::builder(self.timeout)
            .connect_async(self.server.as_str())
            .await
            .map_err(|e| map_err(e, self.timeout))?;
        let mut slot = self.async_client.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(slot.get_or_insert(built).clone())
    }
}

impl SessionStore for MemcachedStore {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        value_of(self.sync.get(key).send().map_err(|e| map_err(e, self.timeout))?)
    }

    fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), StoreError> {
        let request = self.sync.set(key, value);
        let request = match ttl {
            Some(ttl) => request.ttl_raw(wire_ttl(ttl)),
            None => request.ttl(Ttl::NEVER),
        };
        request.send().map_err(|e| map_err(e, self.timeout))?;
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.sync.delete(key).send().map_err(|e| map_err(e, self.timeout))?;
        Ok(())
    }
}

impl TokenStore for MemcachedStore {
    fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        let result = self
            .sync
            .set(key, value)
            .ttl_raw(wire_ttl(ttl))
            .add()
            .send()
            .map_err(|e| map_err(e, self.timeout))?;
        set_nx_outcome(&result)
    }

    fn compare_and_delete(&self, key: &str, expected: &str) -> Result<bool, StoreError> {
        for _ in 0..CAS_ATTEMPTS {
            let read = self
                .sync
                .get(key)
                .meta(Meta::NONE.cas())
                .send()
                .map_err(|e| map_err(e, self.timeout))?;
            let cas = match cas_read(read, expected)? {
                CasRead::Done(outcome) => return Ok(outcome),
                CasRead::Matched(cas) => cas,
            };
            let deleted = self
                .sync
                .delete(key)
                .compare_cas(cas)
                .send()
                .map_err(|e| map_err(e, self.timeout))?;
            if let Some(outcome) = cad_delete_outcome(&deleted)? {
                return Ok(outcome);
            }
        }
        // The item kept changing under us: every write in between replaced the value we saw.
        Ok(false)
    }

    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&str>,
        value: &str,
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError> {
        let map = |e| map_err(e, self.timeout);
        let Some(expected) = expected else {
            let request = self.sync.set(key, value).ttl_raw(wire_ttl_or_never(ttl)).add();
            return set_nx_outcome(&request.send().map_err(map)?);
        };
        let read = self.sync.get(key).meta(Meta::NONE.cas()).send().map_err(map)?;
        let cas = match cas_read(read, expected)? {
            CasRead::Done(outcome) => return Ok(outcome),
            CasRead::Matched(cas) => cas,
        };
        let request = self
            .sync
            .set(key, value)
            .ttl_raw(wire_ttl_or_never(ttl))
            .compare_cas(cas);
        cas_set_outcome(&request.send().map_err(map)?)
    }

    fn incr(&self, key: &str, ttl: Duration) -> Result<u64, StoreError> {
        let result = self
            .sync
            .increment(key)
            .initial(1, wire_ttl(ttl))
            .send()
            .map_err(|e| incr_err(e, self.timeout))?;
        counter_of(&result)
    }
}

impl AsyncSessionStore for MemcachedStore {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        Box::pin(async move {
            let client = self.async_client().await?;
            value_of(client.get(key).send().await.map_err(|e| map_err(e, self.timeout))?)
        })
    }

    fn set<'a>(&'a self, key: &'a str, value: &'a str, ttl: Option<Duration>) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let client = self.async_client().await?;
            let request = client.set(key, value);
            let request = match ttl {
                Some(ttl) => request.ttl_raw(wire_ttl(ttl)),
                None => request.ttl(Ttl::NEVER),
            };
            request.send().await.map_err(|e| map_err(e, self.timeout))?;
            Ok(())
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let client = self.async_client().await?;
            client.delete(key).send().await.map_err(|e| map_err(e, self.timeout))?;
            Ok(())
        })
    }
}

impl AsyncTokenStore for MemcachedStore {
    fn set_nx<'a>(&'a self, key: &'a str, value: &'a str, ttl: Duration) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let client = self.async_client().await?;
            let result = client
                .set(key, value)
                .ttl_raw(wire_ttl(ttl))
                .add()
                .send()
                .await
                .map_err(|e| map_err(e, self.timeout))?;
            set_nx_outcome(&result)
        })
    }

    fn compare_and_delete<'a>(&'a self, key: &'a str, expected: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let client = self.async_client().await?;
            for _ in 0..CAS_ATTEMPTS {
                let read = client
                    .get(key)
                    .meta(Meta::NONE.cas())
                    .send()
                    .await
                    .map_err(|e| map_err(e, self.timeout))?;
                let cas = match cas_read(read, expected)? {
                    CasRead::Done(outcome) => return Ok(outcome),
                    CasRead::Matched(cas) => cas,
                };
                let deleted = client
                    .delete(key)
                    .compare_cas(cas)
                    .send()
                    .await
                    .map_err(|e| map_err(e, self.timeout))?;
                if let Some(outcome) = cad_delete_outcome(&deleted)? {
                    return Ok(outcome);
                }
            }
            Ok(false)
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
            let client = self.async_client().await?;
            let map = |e| map_err(e, self.timeout);
            let Some(expected) = expected else {
                let request = client.set(key, value).ttl_raw(wire_ttl_or_never(ttl)).add();
                return set_nx_outcome(&request.send().await.map_err(map)?);
            };
            let read = client.get(key).meta(Meta::NONE.cas()).send().await.map_err(map)?;
            let cas = match cas_read(read, expected)? {
                CasRead::Done(outcome) => return Ok(outcome),
                CasRead::Matched(cas) => cas,
            };
            let request = client.set(key, value).ttl_raw(wire_ttl_or_never(ttl)).compare_cas(cas);
            cas_set_outcome(&request.send().await.map_err(map)?)
        })
    }

    fn incr<'a>(&'a self, key: &'a str, ttl: Duration) -> BoxFuture<'a, Result<u64, StoreError>> {
        Box::pin(async move {
            let client = self.async_client().await?;
            let result = client
                .increment(key)
                .initial(1, wire_ttl(ttl))
                .send()
                .await
                .map_err(|e| incr_err(e, self.timeout))?;
            counter_of(&result)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("memcache://127.0.0.1:11211").unwrap(),
            ("127.0.0.1:11211".into(), None)
        );
        assert_eq!(parse_url("memcache://cache/").unwrap(), ("cache:11211".into(), None));
        assert_eq!(parse_url("memcached://[::1]").unwrap(), ("[::1]:11211".into(), None));
        assert_eq!(parse_url("memcache://[::1]:5").unwrap(), ("[::1]:5".into(), None));
        assert_eq!(
            parse_url("memcache://h:1?timeout=0.5").unwrap(),
            ("h:1".into(), Some(Duration::from_millis(500)))
        );
        for bad in [
            "redis://h",
            "memcache://",
            "memcache://h:x",
            "memcache://u:p@h",
            "memcache://h/x",
            "memcache://h?a=1",
        ] {
            assert!(matches!(parse_url(bad), Err(StoreError::Config(_))), "{bad}");
        }
    }

    #[test]
    fn ttls_round_up_and_go_absolute_past_30_days() {
        assert_eq!(wire_ttl(Duration::ZERO), 1);
        assert_eq!(wire_ttl(Duration::from_millis(1)), 1);
        assert_eq!(wire_ttl(Duration::from_millis(1001)), 2);
        assert_eq!(wire_ttl(Duration::from_secs(2 * 86400)), 2 * 86400);
        let absolute = u64::from(wire_ttl(Duration::from_secs(31 * 86400)));
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        assert!(
            absolute > now + 30 * 86400 && absolute <= now + 31 * 86400 + 5,
            "{absolute}"
        );
    }
}
