//! What both clients are configured with: credentials, the API base, limits, the token and
//! retry policies. The blocking and async clients share this so they behave identically.

use alloc::string::String;
use core::time::Duration;

use crate::call::CallPolicy;
use crate::secret::AppSecret;
use alloc::sync::Arc;

use crate::credential::{Credential, MpApp, Ticket, WorkApp};
use crate::error::ConfigError;
use crate::token::{TicketKind, TokenConfig, TokenKeys};

/// Which mp token endpoint to use.
///
/// The default is [`MpTokenEndpoint::Classic`] (`GET /cgi-bin/token`): it is what the CLI's
/// `wechat token` uses (`--stable` opts in), what wechatpy and every other SDK sharing an
/// account use, and its one danger (each fetch invalidates the previous token after about 5
/// minutes, the classic 40001 storm) is removed by the store lease: a fleet of processes
/// fetches once per expiry. Choose [`MpTokenEndpoint::Stable`] when other software you do not
/// control also fetches tokens for the same account: stable tokens are not invalidated by
/// anyone's fetch, only by a forced refresh (budgeted at 20 a day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MpTokenEndpoint {
    /// `GET /cgi-bin/token`.
    #[default]
    Classic,
    /// `POST /cgi-bin/stable_token`.
    Stable,
}

/// Who the client acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// An official account.
    Mp {
        /// The app id.
        app_id: String,
        /// The AppSecret.
        secret: AppSecret,
        /// Which token endpoint.
        endpoint: MpTokenEndpoint,
    },
    /// A WeCom application (or the contacts-sync secret).
    Work {
        /// The corp id.
        corp_id: String,
        /// The application's secret.
        secret: AppSecret,
        /// The application's agent id (keys the token per agent; optional for the contacts
        /// secret).
        agent_id: Option<i64>,
    },
}

impl Credentials {
    /// An official account with the classic token endpoint.
    pub fn mp(app_id: impl Into<String>, secret: impl Into<AppSecret>) -> Self {
        Credentials::Mp {
            app_id: app_id.into(),
            secret: secret.into(),
            endpoint: MpTokenEndpoint::Classic,
        }
    }

    /// A WeCom application.
    pub fn work(corp_id: impl Into<String>, secret: impl Into<AppSecret>, agent_id: Option<i64>) -> Self {
        Credentials::Work {
            corp_id: corp_id.into(),
            secret: secret.into(),
            agent_id,
        }
    }

    /// The same credentials with another mp token endpoint (no effect for WeCom).
    pub fn with_endpoint(self, endpoint: MpTokenEndpoint) -> Self {
        match self {
            Credentials::Mp { app_id, secret, .. } => Credentials::Mp {
                app_id,
                secret,
                endpoint,
            },
            other => other,
        }
    }

    /// The credential of the access token.
    pub fn credential(&self) -> Arc<dyn Credential> {
        match self {
            Credentials::Mp {
                app_id,
                secret,
                endpoint,
            } => Arc::new(MpApp {
                app_id: app_id.clone(),
                secret: secret.clone(),
                stable: *endpoint == MpTokenEndpoint::Stable,
            }),
            Credentials::Work {
                corp_id,
                secret,
                agent_id,
            } => Arc::new(WorkApp {
                corp_id: corp_id.clone(),
                secret: secret.clone(),
                agent_id: *agent_id,
            }),
        }
    }

    /// The account part of store keys: `mp:{appid}` or `work:{corpid}:{agentid}` (a secret
    /// fingerprint when there is no agent id). Never a secret.
    pub fn account(&self) -> String {
        self.credential().account()
    }

    /// The default API base for the platform.
    pub fn default_api_base(&self) -> &'static str {
        match self {
            Credentials::Mp { .. } => crate::api::MP_API_BASE,
            Credentials::Work { .. } => crate::api::WORK_API_BASE,
        }
    }

    /// `Ok` for official-account credentials (what an mp client is built from).
    ///
    /// # Errors
    /// [`ConfigError::InvalidArgument`] for WeCom's.
    pub fn expect_mp(&self) -> Result<(), crate::Error> {
        match self {
            Credentials::Mp { .. } => Ok(()),
            _ => Err(ConfigError::InvalidArgument("WeCom credentials: use work::WeChatClient".into()).into()),
        }
    }

    /// `Ok` for WeCom credentials (what a WeCom client is built from).
    ///
    /// # Errors
    /// [`ConfigError::InvalidArgument`] for an official account's.
    pub fn expect_work(&self) -> Result<(), crate::Error> {
        match self {
            Credentials::Work { .. } => Ok(()),
            _ => Err(ConfigError::InvalidArgument("mp credentials: use WeChatClient".into()).into()),
        }
    }

    /// The store keys of the access token under `prefix`.
    pub fn token_keys(&self, prefix: &str) -> TokenKeys {
        let credential = self.credential();
        TokenKeys::new(prefix, &credential.account(), credential.name())
    }

    /// The store keys of a ticket under `prefix`.
    pub fn ticket_keys(&self, prefix: &str, kind: TicketKind) -> TokenKeys {
        let ticket = Ticket {
            kind,
            account: self.account(),
        };
        TokenKeys::new(prefix, &ticket.account(), ticket.name())
    }
}

/// Client settings shared by the blocking and async clients.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The API base URL; `None` for WeChat's (`https://api.weixin.qq.com` or
    /// `https://qyapi.weixin.qq.com`). Set it for a proxy or a test server.
    pub api_base: Option<String>,
    /// Whole-request timeout (connect to end of body), including token fetches. Default 10 s.
    pub timeout: Duration,
    /// Connect timeout. Default 5 s.
    pub connect_timeout: Duration,
    /// Largest response body accepted. Default 20 MiB (WeChat media is at most 10 MB).
    pub max_response_bytes: usize,
    /// The token life cycle.
    pub token: TokenConfig,
    /// Retry limits per call.
    pub call: CallPolicy,
    /// Prefix of store keys. Default `wechat`.
    pub store_prefix: String,
    /// Whether the default HTTP clients take a proxy from the environment (`HTTPS_PROXY`,
    /// ...). Off by default: a proxy is a place the token travels through, so it is opted
    /// into. (An HTTP client you pass in keeps its own settings.)
    pub proxy_from_env: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            api_base: None,
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            max_response_bytes: 20 << 20,
            token: TokenConfig::default(),
            call: CallPolicy::default(),
            store_prefix: String::from("wechat"),
            proxy_from_env: false,
        }
    }
}

/// The `Builder` every transport has: credentials, then the token store (`$store`), the HTTP
/// client (`$http`), the clock (`$clock`, `$system_clock` by default), other credentials, the
/// API base and the policies. The transport adds `http_client` and the `build` methods; its
/// `session` method turns the settings into the call machine's [`Session`](crate::call::Session).
#[doc(hidden)]
#[macro_export]
macro_rules! client_builder {
    (store: $store:ty, http: $http:ty, clock: $clock:ty = $system_clock:expr) => {
        /// Builds a client: credentials, then optional store, HTTP client, clock, API base,
        /// policies.
        #[must_use]
        pub struct Builder {
            credentials: $crate::client::Credentials,
            config: $crate::client::ClientConfig,
            store: Option<::std::sync::Arc<$store>>,
            http: Option<$http>,
            clock: ::std::sync::Arc<$clock>,
            extra: Vec<(
                $crate::http::TokenKind,
                ::std::sync::Arc<dyn $crate::credential::Credential>,
            )>,
        }

        impl Builder {
            /// A builder for any credentials (mp or WeCom); finish with `build` or `build_work`.
            pub fn new(credentials: $crate::client::Credentials) -> Self {
                Self {
                    credentials,
                    config: $crate::client::ClientConfig::default(),
                    store: None,
                    http: None,
                    clock: ::std::sync::Arc::new($system_clock),
                    extra: Vec::new(),
                }
            }

            /// The token store shared with other clients and processes (default: a new memory
            /// store, i.e. this client only).
            pub fn store(mut self, store: ::std::sync::Arc<$store>) -> Self {
                self.store = Some(store);
                self
            }

            /// The clock (default: the system's). A manual clock makes waits and expiries
            /// virtual.
            pub fn clock(mut self, clock: ::std::sync::Arc<$clock>) -> Self {
                self.clock = clock;
                self
            }

            /// Another credential, for requests that name `role` (a third-party platform's
            /// token, a kind of your own).
            pub fn credential(
                mut self,
                role: $crate::http::TokenKind,
                credential: ::std::sync::Arc<dyn $crate::credential::Credential>,
            ) -> Self {
                self.extra.push((role, credential));
                self
            }

            /// The API base URL (a proxy, a test server). Default: WeChat's.
            pub fn api_base(mut self, base: impl Into<String>) -> Self {
                self.config.api_base = Some(base.into());
                self
            }

            /// The whole-request timeout (default 10 s) of the default HTTP client.
            pub fn timeout(mut self, timeout: ::core::time::Duration) -> Self {
                self.config.timeout = timeout;
                self
            }

            /// The mp token endpoint (default classic; no effect for WeCom).
            pub fn token_endpoint(mut self, endpoint: $crate::client::MpTokenEndpoint) -> Self {
                self.credentials = self.credentials.with_endpoint(endpoint);
                self
            }

            /// Replaces the whole configuration.
            pub fn config(mut self, config: $crate::client::ClientConfig) -> Self {
                self.config = config;
                self
            }

            /// Edits the configuration in place.
            pub fn configure(mut self, f: impl FnOnce(&mut $crate::client::ClientConfig)) -> Self {
                f(&mut self.config);
                self
            }

            /// The session these settings describe (the configuration and the extra
            /// credentials move into it); `random` makes its lease owners unique.
            fn session(&mut self, random: [u8; 16]) -> $crate::call::Session {
                let config = ::core::mem::take(&mut self.config);
                let mut session = $crate::call::Session::new(config, self.credentials.credential(), random);
                for (role, credential) in self.extra.drain(..) {
                    session.add(role, credential);
                }
                session
            }

            /// Builds an official-account client.
            ///
            /// # Errors
            /// [`ConfigError::Setup`]($crate::error::ConfigError::Setup) if the default HTTP
            /// client cannot be set up; an invalid-argument error for WeCom credentials (use
            /// `try_build_work`).
            pub fn try_build(self) -> Result<WeChatClient, $crate::Error> {
                self.credentials.expect_mp()?;
                Ok(WeChatClient { inner: self.inner()? })
            }

            /// Builds an official-account client; panics where `try_build` errs.
            pub fn build(self) -> WeChatClient {
                self.try_build()
                    .unwrap_or_else(|e| panic!("{}: {e}", env!("CARGO_PKG_NAME")))
            }

            /// Builds a WeCom client.
            ///
            /// # Errors
            /// As `try_build`, for official-account credentials.
            pub fn try_build_work(self) -> Result<work::WeChatClient, $crate::Error> {
                self.credentials.expect_work()?;
                Ok(work::WeChatClient { inner: self.inner()? })
            }

            /// Builds a WeCom client; panics where `try_build_work` errs.
            pub fn build_work(self) -> work::WeChatClient {
                self.try_build_work()
                    .unwrap_or_else(|e| panic!("{}: {e}", env!("CARGO_PKG_NAME")))
            }
        }
    };
}

/// The client types every transport has: `WeChatClient` (an official account) and
/// `work::WeChatClient` (a WeCom application), each an `Arc` of the transport's shared part
/// `$inner` (which has `credentials`, `session: Mutex<Session>` and `clock` fields, the
/// clock with a `unix_millis` method), with their constructors and group accessors.
/// The transport's `Builder` has `build` and `build_work`.
#[doc(hidden)]
#[macro_export]
macro_rules! client_types {
    ($inner:ident, $builder_doc:literal) => {
        /// What the client surface reads from the shared part (its `session` and `clock`).
        impl $inner {
            fn now(&self) -> $crate::time::Timestamp {
                $crate::time::Timestamp::from_millis(self.clock.unix_millis())
            }

            fn session(&self) -> ::std::sync::MutexGuard<'_, $crate::call::Session> {
                self.session
                    .lock()
                    .unwrap_or_else(::std::sync::PoisonError::into_inner)
            }

            fn token_fetches(&self) -> u64 {
                self.session().token_fetches()
            }

            fn config(&self) -> $crate::client::ClientConfig {
                self.session().config().clone()
            }
        }

        /// An official-account (mp) client. Cheap to clone; share one per account.
        #[derive(Clone)]
        pub struct WeChatClient {
            inner: ::std::sync::Arc<$inner>,
        }

        impl WeChatClient {
            /// A client with the default configuration and an in-memory token store.
            pub fn new(app_id: impl Into<String>, secret: impl Into<$crate::secret::AppSecret>) -> Self {
                Self::builder(app_id, secret).build()
            }

            #[doc = $builder_doc]
            pub fn builder(app_id: impl Into<String>, secret: impl Into<$crate::secret::AppSecret>) -> Builder {
                Builder::new($crate::client::Credentials::mp(app_id, secret))
            }
        }

        impl ::core::fmt::Debug for WeChatClient {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct("WeChatClient")
                    .field("credentials", &self.inner.credentials)
                    .finish()
            }
        }

        #[cfg(feature = "mp")]
        $crate::impl_mp_api!(WeChatClient);

        /// The WeCom (企业微信) client.
        pub mod work {
            use super::{Builder, $inner};

            /// A WeCom application client. Cheap to clone; share one per application secret.
            #[derive(Clone)]
            pub struct WeChatClient {
                pub(crate) inner: ::std::sync::Arc<$inner>,
            }

            impl WeChatClient {
                /// A client for `corp_id` with an application `secret` and its `agent_id`
                /// (tokens are kept per agent), default configuration and an in-memory store.
                pub fn new(
                    corp_id: impl Into<String>,
                    secret: impl Into<$crate::secret::AppSecret>,
                    agent_id: Option<i64>,
                ) -> Self {
                    Self::builder(corp_id, secret, agent_id).build_work()
                }

                #[doc = $builder_doc]
                pub fn builder(
                    corp_id: impl Into<String>,
                    secret: impl Into<$crate::secret::AppSecret>,
                    agent_id: Option<i64>,
                ) -> Builder {
                    Builder::new($crate::client::Credentials::work(corp_id, secret, agent_id))
                }
            }

            impl ::core::fmt::Debug for WeChatClient {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.debug_struct("work::WeChatClient")
                        .field("credentials", &self.inner.credentials)
                        .finish()
                }
            }

            #[cfg(feature = "work")]
            $crate::impl_work_api!(WeChatClient);
        }
    };
}

/// The methods every client shares (`access_token`, `access_token_info`, `call`, `get`,
/// `post`, `token_fetches`, `config`) and its [`Caller`](crate::api::Caller) impl, written
/// once for the blocking (`blocking`) and the async (`async`) transport. The client has a
/// field `inner` with `call`, `token`, `random`, `now`, `token_fetches` and `config`.
#[doc(hidden)]
#[macro_export]
macro_rules! client_methods {
    (blocking $client:ty) => {
        $crate::client_methods!(@inherent $client, (), ());

        impl $crate::api::Caller for $client {
            type Ret<'a, T: Send + 'a> = Result<T, $crate::Error>;

            fn call<'a, E>(&'a self, endpoint: E) -> Result<E::Output, $crate::Error>
            where
                E: $crate::api::Endpoint + Send + Sync + 'a,
                E::Output: Send + 'a,
            {
                self.inner.call(&endpoint)
            }

            fn call_then<'a, E, T>(&'a self, endpoint: E, then: fn(E::Output) -> T) -> Result<T, $crate::Error>
            where
                E: $crate::api::Endpoint + Send + Sync + 'a,
                E::Output: Send + 'a,
                T: Send + 'a,
            {
                self.inner.call(&endpoint).map(then)
            }

            fn ticket(&self, kind: $crate::credential::TicketKind) -> Result<$crate::secret::Ticket, $crate::Error> {
                let (ticket, _) = self.inner.token($crate::call::TokenTarget::Ticket(kind), false)?;
                Ok($crate::secret::Ticket::new(ticket.into_secret()))
            }

            fn access_token(&self) -> Result<$crate::secret::AccessToken, $crate::Error> {
                <$client>::access_token(self)
            }

            fn random(&self) -> [u8; 16] {
                self.inner.random()
            }

            fn now(&self) -> $crate::time::UnixTime {
                self.inner.now().unix()
            }
        }
    };
    (async $client:ty) => {
        $crate::client_methods!(@inherent $client, (async), (.await));

        impl $crate::api::Caller for $client {
            type Ret<'a, T: Send + 'a> = ::core::pin::Pin<Box<dyn ::core::future::Future<Output = Result<T, $crate::Error>> + Send + 'a>>;

            fn call<'a, E>(&'a self, endpoint: E) -> Self::Ret<'a, E::Output>
            where
                E: $crate::api::Endpoint + Send + Sync + 'a,
                E::Output: Send + 'a,
            {
                Box::pin(async move { self.inner.call(&endpoint).await })
            }

            fn call_then<'a, E, T>(&'a self, endpoint: E, then: fn(E::Output) -> T) -> Self::Ret<'a, T>
            where
                E: $crate::api::Endpoint + Send + Sync + 'a,
                E::Output: Send + 'a,
                T: Send + 'a,
            {
                Box::pin(async move { self.inner.call(&endpoint).await.map(then) })
            }

            fn ticket<'a>(&'a self, kind: $crate::credential::TicketKind) -> Self::Ret<'a, $crate::secret::Ticket> {
                Box::pin(async move {
                    let (ticket, _) = self.inner.token($crate::call::TokenTarget::Ticket(kind), false).await?;
                    Ok($crate::secret::Ticket::new(ticket.into_secret()))
                })
            }

            fn access_token<'a>(&'a self) -> Self::Ret<'a, $crate::secret::AccessToken> {
                Box::pin(<$client>::access_token(self))
            }

            fn random(&self) -> [u8; 16] {
                self.inner.random()
            }

            fn now(&self) -> $crate::time::UnixTime {
                self.inner.now().unix()
            }
        }
    };
    (@inherent $client:ty, ($($async:tt)*), ($($await:tt)*)) => {
        impl $client {
            /// The current access token, fetched or refreshed if needed (wechatpy
            /// `client.access_token`).
            ///
            /// # Errors
            /// Token fetch failures.
            pub $($async)* fn access_token(&self) -> Result<$crate::secret::AccessToken, $crate::Error> {
                Ok(self.access_token_info(false)$($await)*?.0)
            }

            /// The access token and when it expires; `force` fetches a new one even if the
            /// cached one is valid (for stable tokens: `force_refresh`, budgeted at 20 a day).
            ///
            /// # Errors
            /// Token fetch failures.
            pub $($async)* fn access_token_info(
                &self,
                force: bool,
            ) -> Result<($crate::secret::AccessToken, $crate::time::UnixTime), $crate::Error> {
                let target = $crate::call::TokenTarget::Role($crate::http::TokenKind::AccessToken);
                self.inner.token(target, force)$($await)*
            }

            /// Executes any endpoint through the call machine.
            ///
            /// # Errors
            /// As the endpoint's parse, plus transport and token errors.
            pub $($async)* fn call<E: $crate::api::Endpoint + Sync + ?Sized>(
                &self,
                endpoint: &E,
            ) -> Result<E::Output, $crate::Error>
            where
                E::Output: Send,
            {
                self.inner.call(endpoint)$($await)*
            }

            /// The escape hatch for APIs without a typed wrapper: `GET path?query`, JSON out.
            /// Same token handling and retries (GET is treated as idempotent).
            ///
            /// # Errors
            /// WeChat errors (`errcode != 0`), transport, decode and token errors.
            pub $($async)* fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<serde_json::Value, $crate::Error> {
                self.inner.call(&$crate::api::RawCall::get_with(path, query))$($await)*?.json()
            }

            /// The escape hatch for POST: JSON in, JSON out. Never retried after a failure
            /// that may have reached WeChat (it might be a send); use [`Self::call`] with a
            /// `RawCall` marked idempotent to allow retries.
            ///
            /// # Errors
            /// WeChat errors (`errcode != 0`), transport, decode and token errors.
            pub $($async)* fn post(&self, path: &str, body: &serde_json::Value) -> Result<serde_json::Value, $crate::Error> {
                self.inner.call(&$crate::api::RawCall::post_json(path, body)?)$($await)*?.json()
            }

            /// How many token (and ticket) fetches this client sent to WeChat.
            pub fn token_fetches(&self) -> u64 {
                self.inner.token_fetches()
            }

            /// The configuration in use.
            pub fn config(&self) -> $crate::client::ClientConfig {
                self.inner.config()
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let mp = Credentials::mp("wx1", "S");
        assert_eq!(mp.token_keys("wechat").token, "wechat:mp:wx1:access_token");
        assert_eq!(mp.ticket_keys("p", TicketKind::MpJsapi).token, "p:mp:wx1:jsapi_ticket");
        let stable = mp.with_endpoint(MpTokenEndpoint::Stable);
        assert_eq!(stable.token_keys("wechat").token, "wechat:mp:wx1:stable_access_token");
        let work = Credentials::work("ww1", "SECRET", Some(1000002));
        assert_eq!(
            work.token_keys("wechat").lease,
            "wechat:work:ww1:1000002:access_token:lease"
        );
        assert_eq!(work.default_api_base(), "https://qyapi.weixin.qq.com");
    }
}
