//! `wechat token` and `wechat api`: the active-call side.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use wechat_async::wechat_core::api::RawCall;
use wechat_async::wechat_core::client::{ClientConfig, Credentials, MpTokenEndpoint};
use wechat_async::wechat_core::http::Method;
use wechat_async::wechat_core::token::StorePolicy;
use wechat_async::wechat_session::{self, AsyncTokenStore, FileStore};

use crate::Failure;

/// Who to act as and where WeChat is: flags or environment.
#[derive(clap::Args, Clone)]
pub struct Account {
    /// Official-account app id.
    #[arg(long, env = "WECHAT_APP_ID", conflicts_with = "corp_id")]
    app_id: Option<String>,
    /// Official-account AppSecret.
    #[arg(long, env = "WECHAT_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// WeCom corp id.
    #[arg(long, env = "WECHAT_CORP_ID")]
    corp_id: Option<String>,
    /// WeCom application secret.
    #[arg(long, env = "WECHAT_CORP_SECRET", hide_env_values = true)]
    corp_secret: Option<String>,
    /// WeCom agent id (tokens are kept per agent).
    #[arg(long, env = "WECHAT_AGENT_ID")]
    agent_id: Option<i64>,
    /// API base URL (a proxy or a test server).
    #[arg(long, env = "WECHAT_API_BASE")]
    api_base: Option<String>,
    /// Token store: `memory`, `file:PATH`, `redis://…`, `memcache://…`. Default: a file per
    /// account in the user's cache directory.
    #[arg(long, env = "WECHAT_SESSION")]
    session: Option<String>,
    /// Request timeout in seconds.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// When the token store fails, carry on with a token kept in this process (with a
    /// warning) instead of failing. Off by default: a fetch behind the store's back would
    /// invalidate the token other processes share.
    #[arg(long)]
    store_fallback: bool,
}

impl Account {
    fn credentials(&self, stable: bool) -> Result<Credentials, Failure> {
        let creds = match (&self.app_id, &self.corp_id) {
            (Some(app_id), None) => {
                let secret = self
                    .secret
                    .clone()
                    .ok_or_else(|| Failure::usage("--secret (or WECHAT_SECRET) is required with --app-id"))?;
                Credentials::mp(app_id.clone(), secret)
            }
            (None, Some(corp_id)) => {
                let secret = self.corp_secret.clone().ok_or_else(|| {
                    Failure::usage("--corp-secret (or WECHAT_CORP_SECRET) is required with --corp-id")
                })?;
                Credentials::work(corp_id.clone(), secret, self.agent_id)
            }
            _ => {
                return Err(Failure::usage(
                    "give --app-id/--secret (mp) or --corp-id/--corp-secret (WeCom)",
                ));
            }
        };
        Ok(if stable {
            creds.with_endpoint(MpTokenEndpoint::Stable)
        } else {
            creds
        })
    }

    fn config(&self) -> ClientConfig {
        let mut config = ClientConfig::default();
        config.api_base = self.api_base.clone();
        config.timeout = Duration::from_secs(self.timeout.max(1));
        if self.store_fallback {
            config.token.store_policy = StorePolicy::FallBack;
        }
        config
    }

    fn store(&self, creds: &Credentials) -> Result<Arc<dyn AsyncTokenStore>, Failure> {
        let url = match &self.session {
            Some(url) => url.clone(),
            None => format!(
                "file:{}",
                FileStore::default_path(&creds.account().replace(':', "_")).display()
            ),
        };
        wechat_session::open_async(&url).map_err(|e| Failure::new("store", e.to_string()))
    }

    fn client(&self, stable: bool) -> Result<Client, Failure> {
        let creds = self.credentials(stable)?;
        let store = self.store(&creds)?;
        let builder = wechat_async::Builder::new(creds.clone())
            .config(self.config())
            .store(store);
        Ok(match creds {
            Credentials::Mp { .. } => Client::Mp(builder.try_build().map_err(client_failure)?),
            _ => Client::Work(builder.try_build_work().map_err(client_failure)?),
        })
    }
}

/// Either client: the commands only need the shared surface.
#[derive(Clone)]
enum Client {
    Mp(wechat_async::WeChatClient),
    Work(wechat_async::work::WeChatClient),
}

impl Client {
    async fn raw(&self, call: &RawCall) -> Result<wechat_async::wechat_core::api::RawResponse, wechat_async::Error> {
        match self {
            Client::Mp(c) => c.call(call).await,
            Client::Work(c) => c.call(call).await,
        }
    }

    async fn token(&self, force: bool) -> Result<(String, u64), wechat_async::Error> {
        let (t, exp) = match self {
            Client::Mp(c) => c.access_token_info(force).await?,
            Client::Work(c) => c.access_token_info(force).await?,
        };
        Ok((t.into_secret(), exp.0))
    }

    fn token_fetches(&self) -> u64 {
        match self {
            Client::Mp(c) => c.token_fetches(),
            Client::Work(c) => c.token_fetches(),
        }
    }
}

/// `error: <kind>: <detail>`: WeChat's errcode and errmsg when WeChat refused; never a secret
/// (errors are built without them).
fn client_failure(e: wechat_async::Error) -> Failure {
    Failure::new(e.kind(), e.to_string())
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new("runtime", e.to_string()))
}

#[derive(clap::Args)]
pub struct TokenArgs {
    #[command(flatten)]
    account: Account,
    /// Use `POST /cgi-bin/stable_token` instead of `GET /cgi-bin/token` (mp).
    #[arg(long)]
    stable: bool,
    /// Fetch a new token even if the stored one is valid (stable: `force_refresh`, budgeted
    /// at 20 a day).
    #[arg(long)]
    force: bool,
}

#[derive(Serialize)]
struct TokenOut<'a> {
    access_token: &'a str,
    expires_at: u64,
}

/// `wechat token`: prints `{"access_token": "...", "expires_at": <unix seconds>}`.
pub fn token(args: TokenArgs) -> Result<(), Failure> {
    let client = args.account.client(args.stable)?;
    let (token, expires_at) = runtime()?.block_on(client.token(args.force)).map_err(client_failure)?;
    let json = serde_json::to_string(&TokenOut {
        access_token: &token,
        expires_at,
    })
    .map_err(Failure::internal)?;
    println!("{json}");
    Ok(())
}

#[derive(clap::Args)]
pub struct ApiArgs {
    /// GET or POST.
    method: String,
    /// The API path, e.g. `/cgi-bin/menu/get`.
    path: String,
    #[command(flatten)]
    account: Account,
    /// A query parameter `k=v` (repeatable); the access token is added automatically.
    #[arg(long = "query", value_name = "K=V")]
    query: Vec<String>,
    /// The JSON body, or `@FILE`.
    #[arg(long)]
    json: Option<String>,
    /// Repeat the call N times concurrently and print statistics instead of the body.
    #[arg(long)]
    repeat: Option<u64>,
    /// How many calls run at once with --repeat.
    #[arg(long, default_value_t = 1, requires = "repeat")]
    concurrency: usize,
}

#[derive(Serialize)]
struct RepeatOut {
    ok: u64,
    errors: std::collections::BTreeMap<String, u64>,
    token_fetches: u64,
    p50_ms: f64,
    p99_ms: f64,
    per_sec: f64,
}

fn build_call(args: &ApiArgs) -> Result<RawCall, Failure> {
    let method = match args.method.to_ascii_uppercase().as_str() {
        "GET" => Method::Get,
        "POST" => Method::Post,
        other => return Err(Failure::usage(format!("METHOD must be GET or POST, not {other:?}"))),
    };
    let body = match &args.json {
        Some(j) if j.starts_with('@') => {
            Some(std::fs::read(&j[1..]).map_err(|e| Failure::new("io", format!("{}: {e}", &j[1..])))?)
        }
        Some(j) => Some(j.clone().into_bytes()),
        None => None,
    };
    if let Some(b) = &body {
        serde_json::from_slice::<serde_json::Value>(b)
            .map_err(|e| Failure::usage(format!("--json is not valid JSON: {e}")))?;
    }
    let mut call = match (method, body) {
        (Method::Get, None) => RawCall::get(&args.path),
        (Method::Get, Some(_)) => return Err(Failure::usage("--json needs POST")),
        (Method::Post, body) => RawCall::post(&args.path, body.unwrap_or_else(|| b"{}".to_vec())),
    };
    for q in &args.query {
        let (k, v) = q
            .split_once('=')
            .ok_or_else(|| Failure::usage(format!("--query expects K=V, got {q:?}")))?;
        call = call.query(k, v);
    }
    Ok(call)
}

/// `wechat api`: one call (prints the body), or `--repeat N --concurrency C` (prints stats).
pub fn api(args: ApiArgs) -> Result<(), Failure> {
    let call = build_call(&args)?;
    let client = args.account.client(false)?;
    let rt = runtime()?;
    match args.repeat {
        None => {
            let resp = rt.block_on(client.raw(&call)).map_err(client_failure)?;
            let mut out = std::io::stdout().lock();
            out.write_all(&resp.body)
                .and_then(|_| out.flush())
                .map_err(|e| Failure::new("io", e.to_string()))
        }
        Some(n) => {
            let stats = rt.block_on(repeat(client, call, n, args.concurrency.max(1)));
            println!("{}", serde_json::to_string(&stats).map_err(Failure::internal)?);
            Ok(())
        }
    }
}

async fn repeat(client: Client, call: RawCall, n: u64, concurrency: usize) -> RepeatOut {
    let next = Arc::new(AtomicU64::new(0));
    let call = Arc::new(call);
    let started = Instant::now();
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (client, call, next) = (client.clone(), call.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors: Vec<&'static str> = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < n {
                let t = Instant::now();
                match client.raw(&call).await {
                    Ok(_) => latencies.push(t.elapsed()),
                    Err(e) => errors.push(e.kind()),
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = std::collections::BTreeMap::new();
    for w in workers {
        if let Ok((l, e)) = w.await {
            latencies.extend(l);
            for kind in e {
                *errors.entry(kind.to_string()).or_insert(0) += 1;
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64().max(1e-9);
    latencies.sort();
    let pct = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        (latencies[i].as_secs_f64() * 1e5).round() / 100.0
    };
    RepeatOut {
        ok: latencies.len() as u64,
        token_fetches: client.token_fetches(),
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        per_sec: ((latencies.len() as f64 + errors.values().sum::<u64>() as f64) / elapsed * 10.0).round() / 10.0,
        errors,
    }
}
