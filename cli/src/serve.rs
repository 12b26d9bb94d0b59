//! `wechat serve --echo`: a callback server running the echo bot.
//!
//! Text comes back as the same text; other messages get a short text naming their type;
//! events get `received event <event> <EventKey>` (the key left out when there is none), so
//! you can see which button was pressed. With no options it runs in plain mode with a
//! generated token, which it prints together with a `wechat simulate` command to try it.

use std::net::SocketAddr;

use wechat_async::server::{CallbackConfig, CallbackHandler, CallbackServer, Kind, Message, Mode, Reply};
use wechat_core::message::{Body, Event};

use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// Run the echo bot (the only built-in bot).
    #[arg(long)]
    echo: bool,
    /// mp (official account) or work (WeCom).
    #[arg(long, default_value = "mp", value_parser = ["mp", "work"])]
    kind: String,
    /// plain, safe or compat (WeCom is always safe).
    #[arg(long, value_parser = ["plain", "safe", "compat"])]
    mode: Option<String>,
    /// The callback Token (generated and printed when absent).
    #[arg(long, env = "WECHAT_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The EncodingAESKey (generated and printed when absent in safe/compat mode).
    #[arg(long, env = "WECHAT_AES_KEY", hide_env_values = true)]
    aes_key: Option<String>,
    /// The official account's app id (encrypted modes).
    #[arg(long, conflicts_with = "corp_id")]
    app_id: Option<String>,
    /// The WeCom corp id.
    #[arg(long)]
    corp_id: Option<String>,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// The callback path.
    #[arg(long, default_value = "/wechat")]
    path: String,
    /// Turn off the ±300 s timestamp check (to replay old captured requests).
    #[arg(long)]
    no_timestamp_check: bool,
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn generate(len: usize) -> Result<String, Failure> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).map_err(|e| Failure::new("random", e.to_string()))?;
    Ok(bytes
        .iter()
        .map(|b| ALNUM[usize::from(*b) % ALNUM.len()] as char)
        .collect())
}

/// The echo bot's answer.
pub fn echo(message: &Message) -> Option<Reply> {
    let text = match &message.body {
        Body::Text(t) => return Some(Reply::text(message, t.content.clone().unwrap_or_default())),
        Body::Image(_) => "received an image",
        Body::Voice(v) => {
            return Some(Reply::text(
                message,
                match &v.recognition {
                    Some(r) if !r.is_empty() => format!("received a voice message: {r}"),
                    _ => "received a voice message".into(),
                },
            ));
        }
        Body::Video(_) | Body::ShortVideo(_) => "received a video",
        Body::Location(_) => "received a location",
        Body::Link(_) => "received a link",
        Body::MiniProgramPage(_) => "received a mini program page",
        Body::Event(Event::Subscribe(_) | Event::SubscribeScan(_)) => "thanks for following",
        Body::Event(e) => {
            // The button or scene that caused it, so a user can tell two clicks apart.
            let text = match message.raw.text("EventKey").map(str::trim).filter(|k| !k.is_empty()) {
                Some(key) => format!("received event {} {key}", e.key()),
                None => format!("received event {}", e.key()),
            };
            return Some(Reply::text(message, text));
        }
        _ => return None,
    };
    Some(Reply::text(message, text))
}

pub fn run(args: Args) -> Result<(), Failure> {
    if !args.echo {
        return Err(Failure::usage("only the echo bot is built in: pass --echo"));
    }
    let kind: Kind = args.kind.parse()?;
    let mode: Mode = match (kind, &args.mode) {
        (Kind::Work, Some(m)) if m != "safe" => {
            return Err(Failure::usage("WeCom callbacks are always encrypted (safe)"));
        }
        (Kind::Work, _) => Mode::Safe,
        (Kind::Mp, Some(m)) => m.parse()?,
        (Kind::Mp, None) => Mode::Plain,
    };
    let mut hints = Vec::new();
    let token = match args.token {
        Some(t) => t,
        None => {
            let t = generate(32)?;
            hints.push(format!("token:    {t}"));
            t
        }
    };
    let mut config = if mode == Mode::Plain {
        CallbackConfig::mp_plain(token.clone())
    } else {
        let key = match args.aes_key.clone() {
            Some(k) => k,
            None => {
                let k = generate(43)?;
                hints.push(format!("aes key:  {k}"));
                k
            }
        };
        let id = match kind {
            Kind::Mp => args.app_id.clone(),
            Kind::Work => args.corp_id.clone(),
        }
        .ok_or_else(|| Failure::usage("encrypted modes need --app-id (mp) or --corp-id (WeCom)"))?;
        match kind {
            Kind::Mp => CallbackConfig::mp_encrypted(mode, token.clone(), &key, &id)?,
            Kind::Work => CallbackConfig::work(token.clone(), &key, &id)?,
        }
    };
    if args.no_timestamp_check {
        config.timestamp_window = None;
    }
    let handler = CallbackHandler::new(config)?;
    let server = CallbackServer::builder(handler, |m: Message| async move { echo(&m) })
        .path(args.path.clone())
        .build();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new("runtime", e.to_string()))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .map_err(|e| Failure::new("io", format!("{}: {e}", args.addr)))?;
        let local = listener.local_addr().map_err(|e| Failure::new("io", e.to_string()))?;
        let url = format!("http://{local}{}", args.path);
        println!(
            "echo bot: {} {} mode, listening on {url}",
            kind.as_str(),
            mode_name(mode)
        );
        for h in &hints {
            println!("{h}");
        }
        let mut try_it = format!("wechat simulate --url {url} --kind {}", kind.as_str());
        if mode != Mode::Plain {
            try_it.push_str(&format!(" --mode {}", mode_name(mode)));
            match kind {
                Kind::Mp => try_it.push_str(&format!(" --app-id {}", args.app_id.as_deref().unwrap_or(""))),
                Kind::Work => try_it.push_str(&format!(" --corp-id {}", args.corp_id.as_deref().unwrap_or(""))),
            }
        }
        let token_shown = if hints.iter().any(|h| h.starts_with("token")) {
            token.as_str()
        } else {
            "<your token>"
        };
        try_it.push_str(&format!(" --token {token_shown}"));
        if mode != Mode::Plain {
            let key_shown = match (&args.aes_key, hints.iter().find(|h| h.starts_with("aes key"))) {
                (None, Some(h)) => h.trim_start_matches("aes key:").trim().to_string(),
                _ => "<your key>".into(),
            };
            try_it.push_str(&format!(" --aes-key {key_shown}"));
        }
        println!("try:      {try_it} text hello");
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        server
            .serve_with_shutdown(listener, shutdown)
            .await
            .map_err(|e| Failure::new("io", e.to_string()))
    })
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Plain => "plain",
        Mode::Compatible => "compat",
        Mode::Safe => "safe",
    }
}
