//! Driving wechat-core with your own HTTP function: no ureq, no reqwest.
//!
//! The core never does I/O. This example supplies the three things it needs: an HTTP function
//! (a minimal HTTP/1.1 client over `std::net::TcpStream`, plain `http://` only: put a TLS
//! library of your choice in front of it for WeChat itself), the clock, and a token store (a
//! `HashMap`). It fetches a token through the token state machine and the refresh flow, then
//! calls `menu/get` and `user/info`, replaying once if WeChat rejects the token.
//!
//! ```text
//! cargo run -p wechat-core --example custom_executor -- http://127.0.0.1:8080 APPID SECRET
//! ```

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use wechat_core::api::Endpoint;
use wechat_core::api::mp::user::GetUser;
use wechat_core::call::{CallPolicy, CallState, Decision, TransportDecision};
use wechat_core::client::Credentials;
use wechat_core::http::{ApiRequest, ApiResponse, TokenKind};
use wechat_core::secret::AccessToken;
use wechat_core::time::UnixTime;
use wechat_core::token::{RefreshFlow, RefreshInput, RefreshStep, TokenAction, TokenConfig, TokenMachine};

/// The hand-written HTTP function: one request, one response, `Connection: close`.
pub fn http_call(base: &str, req: &ApiRequest, token: Option<&AccessToken>) -> std::io::Result<ApiResponse> {
    let url = req.url(base, token);
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| std::io::Error::other("this example speaks plain http:// only"))?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let body = req.body.as_ref().map(|b| b.bytes.as_slice()).unwrap_or(&[]);
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        req.method.as_str(),
        if path.is_empty() { "/" } else { path },
        body.len()
    );
    if let Some(b) = &req.body {
        head.push_str(&format!("Content-Type: {}\r\n", b.content_type));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;

    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))?;
    let (mut content_type, mut length, mut chunked) = (None, None, false);
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-type" => content_type = Some(value.trim().to_string()),
                "content-length" => length = value.trim().parse::<usize>().ok(),
                "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
                _ => {}
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim(), 16).map_err(std::io::Error::other)?;
            if size == 0 {
                break;
            }
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(n) = length {
        body.resize(n, 0);
        reader.read_exact(&mut body)?;
    } else {
        reader.read_to_end(&mut body)?;
    }
    Ok(ApiResponse {
        status,
        content_type,
        content_disposition: None,
        body: body.into(),
    })
}

fn now() -> UnixTime {
    UnixTime(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs())
}

/// A store: a map with expiry times (one process; the built-in stores do this across
/// processes).
#[derive(Default)]
pub struct MapStore(HashMap<String, (String, Instant)>);

impl MapStore {
    fn get(&self, key: &str) -> Option<String> {
        self.0
            .get(key)
            .filter(|(_, exp)| *exp > Instant::now())
            .map(|(v, _)| v.clone())
    }
}

/// The executor: the machine, the store and the HTTP function, wired by hand.
pub struct Executor {
    /// The API base URL.
    pub base: String,
    /// Who we act as.
    pub credentials: Credentials,
    /// The token state machine.
    pub machine: TokenMachine,
    /// The token store.
    pub store: MapStore,
    /// HTTP requests sent so far (token fetches included).
    pub http_requests: usize,
}

impl Executor {
    /// An executor for `app_id` at `base`.
    pub fn new(base: &str, app_id: &str, secret: &str) -> Self {
        Self {
            base: base.to_string(),
            credentials: Credentials::mp(app_id, secret),
            machine: TokenMachine::new(TokenConfig::default()),
            store: MapStore::default(),
            http_requests: 0,
        }
    }

    /// The token: poll the machine; on `Refresh`, run the flow step by step.
    pub fn token(&mut self) -> Result<AccessToken, String> {
        {
            match self.machine.poll(now()).map_err(|e| e.to_string())? {
                TokenAction::Ready(token) => Ok(token),
                // Single-threaded: nobody else can be refreshing.
                TokenAction::Wait { .. } => Err("unexpected wait".into()),
                TokenAction::Refresh(ticket) => {
                    let keys = self.credentials.token_keys("example");
                    let mut flow = RefreshFlow::new(
                        &ticket,
                        self.credentials.token_source(),
                        keys,
                        TokenConfig::default(),
                        "example-owner".into(),
                        now(),
                        0,
                    );
                    let result = loop {
                        let input = match flow.poll(now()) {
                            RefreshStep::CompareAndDelete { key, expected } => {
                                let hit = self.store.get(&key).as_deref() == Some(expected.as_str());
                                if hit {
                                    self.store.0.remove(&key);
                                }
                                RefreshInput::Deleted(hit)
                            }
                            RefreshStep::Read { key } => RefreshInput::Read(self.store.get(&key)),
                            RefreshStep::AcquireLease { key, owner, ttl } => {
                                let free = self.store.get(&key).is_none();
                                if free {
                                    self.store.0.insert(key, (owner, Instant::now() + ttl));
                                }
                                RefreshInput::Lease(free)
                            }
                            RefreshStep::Count { key, ttl } => {
                                let n = self.store.get(&key).and_then(|v| v.parse().ok()).unwrap_or(0u64) + 1;
                                self.store.0.insert(key, (n.to_string(), Instant::now() + ttl));
                                RefreshInput::Count(n)
                            }
                            RefreshStep::Fetch(req) => {
                                self.http_requests += 1;
                                match http_call(&self.base, &req, None) {
                                    Ok(resp) => RefreshInput::Fetched(resp),
                                    Err(e) => RefreshInput::FetchFailed(e.to_string()),
                                }
                            }
                            RefreshStep::CompareAndSet {
                                key,
                                expected,
                                value,
                                ttl,
                            } => {
                                let set = self.store.get(&key) == expected;
                                if set {
                                    self.store.0.insert(key, (value, Instant::now() + ttl));
                                }
                                RefreshInput::Set(set)
                            }
                            RefreshStep::ReleaseLease { key, owner } => {
                                if self.store.get(&key).as_deref() == Some(owner.as_str()) {
                                    self.store.0.remove(&key);
                                }
                                RefreshInput::Released
                            }
                            RefreshStep::Sleep(d) => {
                                std::thread::sleep(d);
                                RefreshInput::Slept
                            }
                            RefreshStep::Done(result) => break result,
                        };
                        flow.handle(now(), input);
                    };
                    self.machine
                        .handle_refreshed(ticket, now(), result)
                        .map_err(|e| e.to_string())
                }
            }
        }
    }

    /// One API call with the core's retry rules.
    pub fn call<E: Endpoint>(&mut self, endpoint: &E) -> Result<E::Output, String> {
        let req = endpoint.request().map_err(|e| e.to_string())?;
        let mut state = CallState::new(&req, CallPolicy::default());
        loop {
            let token = if req.token == TokenKind::None {
                None
            } else {
                Some(self.token()?)
            };
            self.http_requests += 1;
            match http_call(&self.base, &req, token.as_ref()) {
                Ok(resp) => match state.on_result(endpoint.parse(resp)) {
                    Decision::Done(result) => return result.map_err(|e| e.to_string()),
                    Decision::ReplayWithFreshToken => {
                        self.machine.invalidate(token.as_ref().expect("a token was used"));
                    }
                    Decision::RetryAfter(d) => std::thread::sleep(d),
                },
                Err(e) => match state.on_transport_error() {
                    TransportDecision::RetryAfter(d) => std::thread::sleep(d),
                    TransportDecision::GiveUp => return Err(e.to_string()),
                },
            }
        }
    }
}

/// Fetches a token, then calls `menu/get` (raw) and `user/info` (typed).
pub fn run(base: &str, app_id: &str, secret: &str) -> Result<Executor, String> {
    let mut exec = Executor::new(base, app_id, secret);
    let menu = exec.call(&wechat_core::api::RawCall::get("/cgi-bin/menu/get"))?;
    println!("menu/get: {}", String::from_utf8_lossy(&menu.body));
    let user = exec.call(&GetUser {
        openid: "oUser".into(),
        lang: None,
    })?;
    println!("user/info: subscribe={} openid={}", user.subscribe, user.openid);
    Ok(exec)
}

#[allow(dead_code)]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: custom_executor BASE_URL APP_ID SECRET");
        std::process::exit(2);
    }
    if let Err(e) = run(&args[1], &args[2], &args[3]) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
