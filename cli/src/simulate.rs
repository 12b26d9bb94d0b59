//! `wechat simulate`: plays the WeChat platform against a callback URL.
//!
//! It builds the XML WeChat would push, signs it (and encrypts it in safe and compatible
//! modes), POSTs it, then checks the answer like WeChat does: the reply's signature, its
//! decryption and receive id, and that it is well-formed reply XML. `verify` does the URL
//! verification handshake. `--requests N --concurrency C` turns it into a load generator.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Subcommand;
use serde::Serialize;
use wechat_core::callback::{Mode, signed_query};
use wechat_core::crypto::MessageCrypto;
use wechat_core::message::Kind;
use wechat_core::reply::parse_reply;
use wechat_core::secret::CallbackToken;
use wechat_core::xml::{self, push_cdata};

use crate::Failure;

/// The callback endpoint and its secrets (the same flags as `wechat serve`).
#[derive(clap::Args, Clone)]
pub struct Endpoint {
    /// The callback URL, e.g. `http://127.0.0.1:8080/wechat`.
    #[arg(long)]
    url: String,
    /// mp (official account) or work (WeCom).
    #[arg(long, default_value = "mp", value_parser = ["mp", "work"])]
    kind: String,
    /// plain, safe or compat (WeCom is always safe).
    #[arg(long, default_value = "plain", value_parser = ["plain", "safe", "compat"])]
    mode: String,
    /// The callback Token.
    #[arg(long, env = "WECHAT_TOKEN", hide_env_values = true)]
    token: String,
    /// The EncodingAESKey (safe and compat modes, WeCom).
    #[arg(long, env = "WECHAT_AES_KEY", hide_env_values = true)]
    aes_key: Option<String>,
    /// The official account's app id (the receive id of encrypted mp messages).
    #[arg(long, conflicts_with = "corp_id")]
    app_id: Option<String>,
    /// The WeCom corp id.
    #[arg(long)]
    corp_id: Option<String>,
    /// The WeCom agent id put in messages.
    #[arg(long, default_value_t = 1000002)]
    agent_id: u64,
    /// The user the message comes from.
    #[arg(long, default_value = "oSimulatedUser")]
    from: String,
    /// Send this many messages instead of one, and print statistics.
    #[arg(long)]
    requests: Option<u64>,
    /// Messages in flight at once with --requests.
    #[arg(long, default_value_t = 1, requires = "requests")]
    concurrency: usize,
    /// Write the --requests signed (and encrypted) requests to FILE instead of sending them,
    /// one per line as `PATH?QUERY<TAB>BODY`, for a replaying load tool such as wrk
    /// (`scripts/bench/replay.lua`). Requests stay valid for the server's timestamp window.
    #[arg(long, value_name = "FILE", requires = "requests")]
    emit: Option<std::path::PathBuf>,
}

/// What to push.
#[derive(Subcommand, Clone)]
pub enum Push {
    /// A text message.
    Text {
        /// The text.
        content: String,
    },
    /// An image message.
    Image {
        /// The media id.
        media_id: String,
    },
    /// A voice message.
    Voice {
        /// The media id.
        media_id: String,
        /// Speech recognition result.
        #[arg(long)]
        recognition: Option<String>,
    },
    /// A video message.
    Video {
        /// The media id.
        media_id: String,
    },
    /// A location message.
    Location {
        /// Latitude.
        latitude: String,
        /// Longitude.
        longitude: String,
        /// Place name.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// A link message.
    Link {
        /// The URL.
        url: String,
        /// The title.
        #[arg(long, default_value = "")]
        title: String,
    },
    /// An event: subscribe, unsubscribe, click, view, scan, location, ...
    Event {
        /// The event name as WeChat sends it (e.g. `subscribe`, `CLICK`).
        name: String,
        /// The EventKey.
        #[arg(long)]
        key: Option<String>,
    },
    /// Any XML body from a file (`-` for stdin), sent as is (encrypted in safe mode).
    Raw {
        /// The file.
        file: std::path::PathBuf,
    },
    /// URL verification (GET with echostr); prints the echoed string.
    Verify {
        /// The echostr to send (WeCom: the plaintext, which is encrypted first).
        #[arg(default_value = "wechat-simulate-echo")]
        echostr: String,
    },
}

struct Sim {
    url: String,
    kind: Kind,
    mode: Mode,
    token: CallbackToken,
    crypto: Option<MessageCrypto>,
    target: String,
    from: String,
    agent_id: u64,
    http: reqwest::Client,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn random16() -> [u8; 16] {
    let mut b = [0u8; 16];
    let _ = getrandom::fill(&mut b);
    b
}

fn random_u64() -> u64 {
    let b = random16();
    u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8])) >> 1
}

impl Sim {
    fn new(ep: &Endpoint) -> Result<Self, Failure> {
        let kind: Kind = ep.kind.parse()?;
        let mode: Mode = if kind == Kind::Work {
            Mode::Safe
        } else {
            ep.mode.parse()?
        };
        let token = CallbackToken::new(ep.token.clone());
        let receive_id = match kind {
            Kind::Mp => ep.app_id.clone(),
            Kind::Work => ep.corp_id.clone(),
        };
        let crypto = if mode == Mode::Plain {
            None
        } else {
            let key = ep
                .aes_key
                .as_deref()
                .ok_or_else(|| Failure::usage("--aes-key is required in safe/compat mode and for WeCom"))?;
            let id = receive_id
                .clone()
                .ok_or_else(|| Failure::usage("--app-id (mp) or --corp-id (WeCom) is required to encrypt"))?;
            Some(MessageCrypto::new(token.clone(), key, id)?)
        };
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Failure::new("setup", e.to_string()))?;
        Ok(Sim {
            url: ep.url.clone(),
            kind,
            mode,
            token,
            crypto,
            target: receive_id.unwrap_or_else(|| "gh_simulated".into()),
            from: ep.from.clone(),
            agent_id: ep.agent_id,
            http,
        })
    }

    /// The plaintext XML WeChat would push.
    fn message_xml(&self, push: &Push, time: u64) -> Result<String, Failure> {
        let mut x = String::with_capacity(512);
        let field = |x: &mut String, name: &str, value: &str| {
            x.push('<');
            x.push_str(name);
            x.push('>');
            push_cdata(x, value);
            x.push_str("</");
            x.push_str(name);
            x.push('>');
        };
        x.push_str("<xml>");
        field(&mut x, "ToUserName", &self.target);
        field(&mut x, "FromUserName", &self.from);
        x.push_str(&format!("<CreateTime>{time}</CreateTime>"));
        let msg_id = random_u64();
        match push {
            Push::Text { content } => {
                field(&mut x, "MsgType", "text");
                field(&mut x, "Content", content);
            }
            Push::Image { media_id } => {
                field(&mut x, "MsgType", "image");
                field(&mut x, "PicUrl", "http://mmbiz.qpic.cn/simulated");
                field(&mut x, "MediaId", media_id);
            }
            Push::Voice { media_id, recognition } => {
                field(&mut x, "MsgType", "voice");
                field(&mut x, "MediaId", media_id);
                field(&mut x, "Format", "amr");
                if let Some(r) = recognition {
                    field(&mut x, "Recognition", r);
                }
            }
            Push::Video { media_id } => {
                field(&mut x, "MsgType", "video");
                field(&mut x, "MediaId", media_id);
                field(&mut x, "ThumbMediaId", "thumb_simulated");
            }
            Push::Location {
                latitude,
                longitude,
                label,
            } => {
                field(&mut x, "MsgType", "location");
                x.push_str(&format!(
                    "<Location_X>{latitude}</Location_X><Location_Y>{longitude}</Location_Y><Scale>15</Scale>"
                ));
                field(&mut x, "Label", label);
            }
            Push::Link { url, title } => {
                field(&mut x, "MsgType", "link");
                field(&mut x, "Title", title);
                field(&mut x, "Description", "");
                field(&mut x, "Url", url);
            }
            Push::Event { name, key } => {
                field(&mut x, "MsgType", "event");
                field(&mut x, "Event", name);
                if let Some(k) = key {
                    field(&mut x, "EventKey", k);
                }
            }
            Push::Raw { file } => return crate::input::read_text(Some(file)),
            Push::Verify { .. } => return Err(Failure::internal("verify has no message")),
        }
        if !matches!(push, Push::Event { .. }) {
            x.push_str(&format!("<MsgId>{msg_id}</MsgId>"));
        }
        if self.kind == Kind::Work {
            x.push_str(&format!("<AgentID>{}</AgentID>", self.agent_id));
        }
        x.push_str("</xml>");
        Ok(x)
    }

    /// The signed query string and body of one push, as WeChat would send them.
    fn build(&self, push: &Push) -> Result<(String, String), Failure> {
        let time = now();
        let ts = time.to_string();
        let nonce = random_u64().to_string();
        let xml = self.message_xml(push, time)?;
        let (query, body) = match &self.crypto {
            None => (signed_query(self.kind, &self.token, &ts, &nonce, None, None), xml),
            Some(crypto) => {
                let encrypt = crypto.encrypt(xml.as_bytes(), &random16());
                let mut body = String::with_capacity(encrypt.len() + 128);
                if self.mode == Mode::Compatible {
                    // Compatible mode: the plaintext fields travel next to Encrypt.
                    body.push_str(xml.trim_end_matches("</xml>"));
                } else {
                    body.push_str("<xml><ToUserName>");
                    push_cdata(&mut body, &self.target);
                    body.push_str("</ToUserName>");
                    if self.kind == Kind::Work {
                        body.push_str(&format!("<AgentID>{}</AgentID>", self.agent_id));
                    }
                }
                body.push_str("<Encrypt>");
                push_cdata(&mut body, &encrypt);
                body.push_str("</Encrypt></xml>");
                (
                    signed_query(self.kind, &self.token, &ts, &nonce, None, Some(&encrypt)),
                    body,
                )
            }
        };
        Ok((query, body))
    }

    /// Sends one message; returns the plaintext reply (`None` for "no reply").
    async fn push(&self, push: &Push) -> Result<Option<String>, Failure> {
        let (query, body) = self.build(push)?;
        let url = format!(
            "{}{}{}",
            self.url,
            if self.url.contains('?') { '&' } else { '?' },
            query
        );
        let resp = self
            .http
            .post(url)
            .header("content-type", "text/xml; charset=utf-8")
            .body(body)
            .send()
            .await
            .map_err(|e| Failure::new("transport", e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .await
            .map_err(|e| Failure::new("transport", e.without_url().to_string()))?;
        if status != 200 {
            return Err(Failure::new("http-status", format!("{status}: {}", text.trim())));
        }
        self.check_reply(&text)
    }

    /// Checks the server's answer the way WeChat does and returns the plaintext reply.
    fn check_reply(&self, text: &str) -> Result<Option<String>, Failure> {
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed == "success" {
            return Ok(None);
        }
        let plaintext = match &self.crypto {
            Some(crypto) if trimmed.contains("<Encrypt>") => {
                let doc = xml::parse(trimmed)?;
                let field = |name: &'static str| {
                    doc.children.text(name).map(str::to_string).ok_or_else(|| {
                        Failure::from(wechat_core::Error::from(
                            wechat_core::error::CallbackError::MissingElement(name),
                        ))
                    })
                };
                let (encrypt, sig, ts, nonce) = (
                    field("Encrypt")?,
                    field("MsgSignature")?,
                    field("TimeStamp")?,
                    field("Nonce")?,
                );
                crypto.verify_and_decrypt(&sig, &ts, &nonce, &encrypt)?
            }
            Some(_) if self.mode == Mode::Safe => {
                return Err(Failure::new("invalid-reply", "safe mode expects an encrypted reply"));
            }
            _ => trimmed.to_string(),
        };
        let reply = parse_reply(&plaintext)?;
        if reply.target != self.from {
            return Err(Failure::new(
                "invalid-reply",
                format!("the reply is addressed to {:?}", reply.target),
            ));
        }
        Ok(Some(plaintext))
    }

    async fn verify(&self, echostr: &str) -> Result<String, Failure> {
        let ts = now().to_string();
        let nonce = random_u64().to_string();
        let sent = match (&self.crypto, self.kind) {
            (Some(crypto), Kind::Work) => crypto.encrypt(echostr.as_bytes(), &random16()),
            _ => echostr.to_string(),
        };
        let query = signed_query(self.kind, &self.token, &ts, &nonce, Some(&sent), None);
        let url = format!(
            "{}{}{}",
            self.url,
            if self.url.contains('?') { '&' } else { '?' },
            query
        );
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| Failure::new("transport", e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .await
            .map_err(|e| Failure::new("transport", e.without_url().to_string()))?;
        if status != 200 {
            return Err(Failure::new("http-status", format!("{status}: {}", text.trim())));
        }
        if text != echostr {
            return Err(Failure::new("invalid-reply", "the server did not echo echostr"));
        }
        Ok(text)
    }
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    endpoint: Endpoint,
    #[command(subcommand)]
    push: Push,
}

#[derive(Serialize)]
struct LoadOut {
    requests: u64,
    ok: u64,
    errors: BTreeMap<String, u64>,
    per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let sim = Arc::new(Sim::new(&args.endpoint)?);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new("runtime", e.to_string()))?;
    if let Push::Verify { echostr } = &args.push {
        let echo = rt.block_on(sim.verify(echostr))?;
        println!("{echo}");
        return Ok(());
    }
    if let (Some(path), Some(n)) = (&args.endpoint.emit, args.endpoint.requests) {
        return emit(&sim, &args.push, n, path);
    }
    let Some(n) = args.endpoint.requests else {
        match rt.block_on(sim.push(&args.push))? {
            Some(reply) => println!("{reply}"),
            None => println!("success"),
        }
        return Ok(());
    };
    let push = Arc::new(args.push);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..args.endpoint.concurrency.max(1))
        .map(|_| {
            let (sim, push, next) = (sim.clone(), push.clone(), next.clone());
            rt.spawn(async move {
                let mut lat = Vec::new();
                let mut errs: Vec<String> = Vec::new();
                while next.fetch_add(1, Ordering::Relaxed) < n {
                    let t = Instant::now();
                    match sim.push(&push).await {
                        Ok(_) => lat.push(t.elapsed()),
                        Err(f) => errs.push(f.kind().to_string()),
                    }
                }
                (lat, errs)
            })
        })
        .collect();
    let mut lat = Vec::new();
    let mut errors = BTreeMap::new();
    for w in workers {
        if let Ok((l, e)) = rt.block_on(w) {
            lat.extend(l);
            for k in e {
                *errors.entry(k).or_insert(0) += 1;
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64().max(1e-9);
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p).round() as usize)
            .map(|d| (d.as_secs_f64() * 1e5).round() / 100.0)
            .unwrap_or(0.0)
    };
    let out = LoadOut {
        requests: n,
        ok: lat.len() as u64,
        per_sec: (n as f64 / elapsed * 10.0).round() / 10.0,
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
        errors,
    };
    println!("{}", serde_json::to_string(&out).map_err(Failure::internal)?);
    Ok(())
}

/// Writes `n` distinct signed requests for a replaying load tool.
fn emit(sim: &Sim, push: &Push, n: u64, path: &std::path::Path) -> Result<(), Failure> {
    use std::io::Write;
    let target = sim.url.split_once("://").map_or(sim.url.as_str(), |(_, rest)| rest);
    let url_path = target.find('/').map_or("/", |i| &target[i..]);
    let file = std::fs::File::create(path).map_err(|e| Failure::new("io", format!("{}: {e}", path.display())))?;
    let mut out = std::io::BufWriter::new(file);
    for _ in 0..n {
        let (query, body) = sim.build(push)?;
        if body.contains(['\t', '\n']) {
            return Err(Failure::usage(
                "the message body contains a tab or newline; --emit needs one line per request",
            ));
        }
        let sep = if url_path.contains('?') { '&' } else { '?' };
        writeln!(out, "{url_path}{sep}{query}\t{body}").map_err(|e| Failure::new("io", e.to_string()))?;
    }
    out.flush().map_err(|e| Failure::new("io", e.to_string()))
}
