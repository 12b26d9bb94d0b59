//! Deduplication of WeChat's retries through an [`AsyncTokenStore`].
//!
//! Key `{prefix}:callback:{mp|work}:{scope}:{Message::dedup_key}`: a retry is the same
//! plaintext, so messages match by `MsgId` and events by a digest of every element (two
//! clicks in one second stay apart); the scope (by default a fingerprint of the receive id and
//! the callback token, never the token itself) keeps endpoints that share a store apart, since
//! two WeCom agents get byte-identical `change_contact` events. Marks live at least twice the
//! timestamp window, so a replay the handler still accepts finds its mark. Values:
//!
//! | value | meaning |
//! |---|---|
//! | `pending` | the first arrival's handler is still running |
//! | `none` | handled, no reply |
//! | `reply:<xml>` | handled, this plaintext reply XML |
//!
//! Store calls are bounded by [`STORE_TIMEOUT`]; a failure or a timeout is logged and never
//! turns into a 5xx.

use core::fmt;
use std::sync::Arc;
use std::time::Duration;

use wechat_core::callback::CallbackConfig;
use wechat_core::message::{Kind, Message};
use wechat_session::AsyncTokenStore;

/// The longest a single store call may take before it counts as failed (WeChat gives up on
/// the whole request after 5 s).
const STORE_TIMEOUT: Duration = Duration::from_secs(3);

/// Hashed with the endpoint's identity into the default scope, so the fingerprint is of no
/// use anywhere else.
const SCOPE_LABEL: &[u8] = b"wechat-async callback dedup scope v1\0";

const PENDING: &str = "pending";
const NO_REPLY: &str = "none";
const REPLY: &str = "reply:";

/// What the first store call says about a message.
pub(super) enum Claim {
    /// This is the first arrival: run the handler.
    First,
    /// A duplicate of a handled message: its stored reply (`None`: no reply).
    Answered(Option<String>),
    /// A duplicate of a message whose handler is still running (or whose mark is unreadable).
    Pending,
    /// The store failed: handle the message without deduplication.
    Unavailable,
}

/// The mark lifetime: the configured one (default [`DEFAULT_DEDUP_TTL`]), but at least twice
/// the timestamp window, so a request the handler still accepts always finds its mark.
///
/// [`DEFAULT_DEDUP_TTL`]: super::DEFAULT_DEDUP_TTL
pub(super) fn ttl(configured: Option<Duration>, window: Option<Duration>) -> Duration {
    let floor = window.map_or(Duration::ZERO, |w| w.saturating_mul(2));
    configured.unwrap_or(super::DEFAULT_DEDUP_TTL).max(floor)
}

/// 12 hex digits of SHA1(label, receive id, token): tells endpoints apart in a shared store
/// without putting the token in a key.
pub(super) fn default_scope(config: &CallbackConfig) -> String {
    use sha1::Digest;
    let receive_id = config.crypto.as_ref().map_or("", |c| c.receive_id());
    let mut hasher = sha1::Sha1::new();
    hasher.update(SCOPE_LABEL);
    hasher.update((receive_id.len() as u64).to_le_bytes());
    hasher.update(receive_id.as_bytes());
    hasher.update(config.token.secret().as_bytes());
    let digest = hasher.finalize();
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) struct Dedup {
    store: Arc<dyn AsyncTokenStore>,
    ttl: Duration,
    prefix: String,
    kind: Kind,
    scope: String,
}

impl fmt::Debug for Dedup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dedup")
            .field("ttl", &self.ttl)
            .field("prefix", &self.prefix)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl Dedup {
    pub(super) fn new(
        store: Arc<dyn AsyncTokenStore>,
        ttl: Duration,
        prefix: String,
        kind: Kind,
        scope: String,
    ) -> Self {
        Self {
            store,
            ttl,
            prefix,
            kind,
            scope,
        }
    }

    pub(super) fn key(&self, message: &Message) -> String {
        format!(
            "{}:callback:{}:{}:{}",
            self.prefix,
            self.kind.as_str(),
            self.scope,
            message.dedup_key()
        )
    }

    pub(super) async fn claim(&self, key: &str) -> Claim {
        match tokio::time::timeout(STORE_TIMEOUT, self.store.set_nx(key, PENDING, self.ttl)).await {
            Ok(Ok(true)) => return Claim::First,
            Ok(Ok(false)) => {}
            Ok(Err(e)) => {
                tracing::warn!("callback dedup store failed ({e}); handling {key} without deduplication");
                return Claim::Unavailable;
            }
            Err(_) => {
                tracing::warn!("callback dedup store timed out; handling {key} without deduplication");
                return Claim::Unavailable;
            }
        }
        let value = match tokio::time::timeout(STORE_TIMEOUT, self.store.get(key)).await {
            Ok(Ok(value)) => value,
            Ok(Err(e)) => {
                tracing::warn!("callback dedup store failed reading {key} ({e}); answering the duplicate `success`");
                return Claim::Pending;
            }
            Err(_) => {
                tracing::warn!("callback dedup store timed out reading {key}; answering the duplicate `success`");
                return Claim::Pending;
            }
        };
        match value.as_deref() {
            Some(NO_REPLY) => {
                tracing::debug!("duplicate callback {key}: handled, no reply");
                Claim::Answered(None)
            }
            Some(v) if v.starts_with(REPLY) => {
                tracing::debug!("duplicate callback {key}: answering the stored reply");
                Claim::Answered(Some(String::from(&v[REPLY.len()..])))
            }
            Some(PENDING) | None => {
                tracing::debug!("duplicate callback {key}: still being handled, answering `success`");
                Claim::Pending
            }
            Some(_) => {
                tracing::warn!("callback dedup key {key} holds an unknown value; answering `success`");
                Claim::Pending
            }
        }
    }

    /// Stores the outcome of the first arrival for its retries.
    pub(super) async fn finish(&self, key: &str, reply_xml: Option<&str>) {
        let value = match reply_xml {
            Some(xml) => format!("{REPLY}{xml}"),
            None => String::from(NO_REPLY),
        };
        match tokio::time::timeout(STORE_TIMEOUT, self.store.set(key, &value, Some(self.ttl))).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("callback dedup store failed storing {key} ({e}); retries will get `success`"),
            Err(_) => tracing::warn!("callback dedup store timed out storing {key}; retries will get `success`"),
        }
    }
}
