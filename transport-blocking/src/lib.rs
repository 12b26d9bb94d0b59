//! Blocking (ureq) WeChat Official Account and WeCom API client.
//!
//! ```text
//!  your code ──► WeChatClient ──► wechat-core (pure)       builds requests, parses responses,
//!                  │   ▲            TokenMachine/RefreshFlow  decides refresh / wait / retry
//!                  │   │
//!                  ▼   │
//!                ureq (HTTP, rustls)    wechat-session (token store: memory, file, Redis, ...)
//! ```
//!
//! This crate only moves bytes, reads the clock, draws randomness and talks to the token
//! store; every decision (when to refresh, whether a call may be replayed) is made by
//! `wechat-core`, exactly as in the async client.
//!
//! ```no_run
//! use wechat_blocking::WeChatClient;
//!
//! let client = WeChatClient::new("wx_app_id", "app_secret");
//! let user = client.user().get("openid")?;
//! println!("{:?}", user.nickname);
//! let token = client.access_token()?; // fetched once, shared, refreshed ahead of expiry
//! # let _ = token;
//! # Ok::<(), wechat_blocking::Error>(())
//! ```
//!
//! Sharing one token between processes (gunicorn-style workers, cron jobs, several hosts) is a
//! matter of giving every client the same store:
//!
//! ```no_run
//! use std::sync::Arc;
//! use wechat_blocking::WeChatClient;
//! let store = wechat_session::open("file:/var/cache/wechat/wx_app_id.json")?;
//! let client = WeChatClient::builder("wx_app_id", "app_secret").store(store).build();
//! # Ok::<(), wechat_session::StoreError>(())
//! ```
#![warn(missing_docs)]

mod engine;
mod error;

use std::sync::Arc;
use std::time::Duration;

pub use error::Error;
pub use wechat_core;
pub use wechat_core::client::{ClientConfig, Credentials, MpTokenEndpoint};
pub use wechat_session;

use engine::Engine;
use wechat_core::api::{Caller, Endpoint, RawCall};
use wechat_core::secret::{AccessToken, Ticket};
use wechat_core::time::UnixTime;
use wechat_core::token::TicketKind;
use wechat_session::{MemoryStore, TokenStore};

/// Builds a client: credentials, then optional store, API base, timeouts and policies.
#[must_use]
pub struct Builder {
    credentials: Credentials,
    config: ClientConfig,
    store: Option<Arc<dyn TokenStore>>,
}

impl Builder {
    /// A builder for any credentials (mp or WeCom); finish with `build` or `build_work`.
    pub fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            config: ClientConfig::default(),
            store: None,
        }
    }

    /// The token store shared with other clients and processes (default: a new
    /// [`MemoryStore`], i.e. this client only).
    pub fn store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The API base URL (a proxy, a test server). Default: WeChat's.
    pub fn api_base(mut self, base: impl Into<String>) -> Self {
        self.config.api_base = Some(base.into());
        self
    }

    /// The whole-request timeout (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// The mp token endpoint (default [`MpTokenEndpoint::Classic`]; no effect for WeCom).
    pub fn token_endpoint(mut self, endpoint: MpTokenEndpoint) -> Self {
        self.credentials = self.credentials.with_endpoint(endpoint);
        self
    }

    /// Replaces the whole configuration.
    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }

    /// Edits the configuration in place.
    pub fn configure(mut self, f: impl FnOnce(&mut ClientConfig)) -> Self {
        f(&mut self.config);
        self
    }

    fn engine(self) -> Arc<Engine> {
        let store = self.store.unwrap_or_else(|| Arc::new(MemoryStore::new()));
        Arc::new(Engine::new(self.credentials, self.config, store))
    }

    /// Builds an official-account client. Panics if the credentials are WeCom's: use
    /// [`work::WeChatClient::builder`] for those.
    pub fn build(self) -> WeChatClient {
        assert!(
            matches!(self.credentials, Credentials::Mp { .. }),
            "WeCom credentials: use work::WeChatClient"
        );
        WeChatClient { engine: self.engine() }
    }

    /// Builds a WeCom client.
    pub fn build_work(self) -> work::WeChatClient {
        assert!(
            matches!(self.credentials, Credentials::Work { .. }),
            "mp credentials: use WeChatClient"
        );
        work::WeChatClient { engine: self.engine() }
    }
}

macro_rules! client_common {
    ($client:ty) => {
        impl $client {
            /// The current access token, fetched or refreshed if needed (wechatpy
            /// `client.access_token`).
            ///
            /// # Errors
            /// Token fetch failures.
            pub fn access_token(&self) -> Result<AccessToken, Error> {
                self.engine.access_token()
            }

            /// The access token and when it expires; `force` fetches a new one even if the
            /// cached one is valid (for stable tokens: `force_refresh`, budgeted at 20 a day).
            ///
            /// # Errors
            /// Token fetch failures.
            pub fn access_token_info(&self, force: bool) -> Result<(AccessToken, UnixTime), Error> {
                self.engine.access_token_info(force)
            }

            /// Executes any endpoint through the token and retry pipeline.
            ///
            /// # Errors
            /// As the endpoint's parse, plus transport and token errors.
            pub fn call<E: Endpoint + ?Sized>(&self, endpoint: &E) -> Result<E::Output, Error> {
                self.engine.call(endpoint)
            }

            /// The escape hatch for APIs without a typed wrapper: `GET path?query`, JSON out.
            /// Same token handling and retries (GET is treated as idempotent).
            ///
            /// # Errors
            /// WeChat errors (`errcode != 0`), transport, decode and token errors.
            pub fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<serde_json::Value, Error> {
                let mut call = RawCall::get(path);
                for (k, v) in query {
                    call = call.query(*k, *v);
                }
                Ok(self.engine.call(&call)?.json()?)
            }

            /// The escape hatch for POST: JSON in, JSON out. Never retried after a failure that
            /// may have reached WeChat (it might be a send); use [`Self::call`] with a
            /// [`RawCall`] marked idempotent to allow retries.
            ///
            /// # Errors
            /// WeChat errors (`errcode != 0`), transport, decode and token errors.
            pub fn post(&self, path: &str, body: &serde_json::Value) -> Result<serde_json::Value, Error> {
                let bytes = serde_json::to_vec(body).map_err(|e| {
                    wechat_core::Error::from(wechat_core::error::ConfigError::InvalidArgument(e.to_string()))
                })?;
                Ok(self.engine.call(&RawCall::post(path, bytes))?.json()?)
            }

            /// How many token (and ticket) fetches this client sent to WeChat.
            pub fn token_fetches(&self) -> u64 {
                self.engine.token_fetches()
            }

            /// The configuration in use.
            pub fn config(&self) -> &ClientConfig {
                self.engine.config()
            }
        }

        impl Caller for $client {
            type Ret<'a, T: Send + 'a> = Result<T, Error>;

            fn call<'a, E>(&'a self, endpoint: E) -> Result<E::Output, Error>
            where
                E: Endpoint + Send + Sync + 'a,
                E::Output: Send + 'a,
            {
                self.engine.call(&endpoint)
            }

            fn ticket(&self, kind: TicketKind) -> Result<Ticket, Error> {
                self.engine.ticket(kind).map(|t| Ticket::new(t.into_secret()))
            }

            fn access_token(&self) -> Result<AccessToken, Error> {
                self.engine.access_token()
            }

            fn random(&self) -> [u8; 16] {
                engine::random16()
            }

            fn now(&self) -> UnixTime {
                engine::now()
            }
        }

        impl std::fmt::Debug for $client {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($client))
                    .field("credentials", self.engine.credentials())
                    .finish()
            }
        }
    };
}

/// An official-account (mp) client. Cheap to clone; share one per account.
#[derive(Clone)]
pub struct WeChatClient {
    engine: Arc<Engine>,
}

impl WeChatClient {
    /// A client with the default configuration and an in-memory token store.
    pub fn new(app_id: impl Into<String>, secret: impl Into<wechat_core::secret::AppSecret>) -> Self {
        Self::builder(app_id, secret).build()
    }

    /// A builder, for a shared store, a proxy, timeouts...
    pub fn builder(app_id: impl Into<String>, secret: impl Into<wechat_core::secret::AppSecret>) -> Builder {
        Builder::new(Credentials::mp(app_id, secret))
    }
}

client_common!(WeChatClient);
wechat_core::impl_mp_api!(WeChatClient);

/// The WeCom (企业微信) client.
pub mod work {
    use super::*;

    /// A WeCom application client. Cheap to clone; share one per application secret.
    #[derive(Clone)]
    pub struct WeChatClient {
        pub(crate) engine: Arc<Engine>,
    }

    impl WeChatClient {
        /// A client for `corp_id` with an application `secret` and its `agent_id` (tokens are
        /// kept per agent), default configuration and an in-memory store.
        pub fn new(
            corp_id: impl Into<String>,
            secret: impl Into<wechat_core::secret::AppSecret>,
            agent_id: Option<i64>,
        ) -> Self {
            Self::builder(corp_id, secret, agent_id).build_work()
        }

        /// A builder, for a shared store, a proxy, timeouts...
        pub fn builder(
            corp_id: impl Into<String>,
            secret: impl Into<wechat_core::secret::AppSecret>,
            agent_id: Option<i64>,
        ) -> Builder {
            Builder::new(Credentials::work(corp_id, secret, agent_id))
        }
    }

    client_common!(WeChatClient);
    wechat_core::impl_work_api!(WeChatClient);
}
