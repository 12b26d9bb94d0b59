//! `wechat`: the developer's tool for WeChat Official Accounts and WeCom.
//!
//! Exit codes: 0 on success, 1 when input is rejected (one line on stderr:
//! `error: <kind>: <detail>`), 2 for usage errors. Secrets are never echoed.

mod api;
mod crypto;
mod input;
mod parse;
mod serve;
mod simulate;

use std::process::ExitCode;

/// mimalloc instead of glibc's allocator: the callback server allocates a few dozen small
/// buffers per request on every worker thread, where glibc's arenas spend measurably more
/// (about 8 % of `wechat serve --echo` throughput; `scripts/bench_server.sh`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

/// WeChat Official Account and WeCom developer tool.
#[derive(Parser)]
#[command(name = "wechat", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse a callback message (XML from FILE or stdin) and print it as JSON.
    Parse(parse::Args),
    /// Callback crypto: decrypt, encrypt, verify-url, sign.
    #[command(subcommand)]
    Crypto(crypto::Command),
    /// Print the access token: `{"access_token": "...", "expires_at": <unix seconds>}`.
    Token(api::TokenArgs),
    /// Call any API: `wechat api GET /cgi-bin/menu/get`; prints the response body.
    Api(api::ApiArgs),
    /// Run a callback server: `wechat serve --echo` runs the echo bot.
    Serve(serve::Args),
    /// Play WeChat: push a signed (and encrypted) callback to a URL, check and print the reply.
    Simulate(simulate::Args),
}

/// A failure to report: `error: <kind>: <detail>` on one line, exit 1 (2 for usage errors).
pub struct Failure {
    kind: String,
    detail: String,
    code: u8,
}

impl Failure {
    /// Rejected input or a failed call (exit 1).
    pub fn new(kind: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            detail: detail.into(),
            code: 1,
        }
    }

    /// A usage error clap cannot see (exit 2).
    pub fn usage(detail: impl Into<String>) -> Self {
        Self {
            kind: "usage".into(),
            detail: detail.into(),
            code: 2,
        }
    }

    /// The error kind.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// An error that should not happen (exit 1).
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::new("internal", e.to_string())
    }
}

impl From<wechat_core::Error> for Failure {
    fn from(e: wechat_core::Error) -> Self {
        Failure::new(e.kind(), e.to_string())
    }
}

/// Prints the libraries' warnings and errors (e.g. "token store unavailable") as one line
/// `warning: ...` on stderr; everything else is dropped.
struct Stderr;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Stderr {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Line(String);
        impl tracing::field::Visit for Line {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                match field.name() {
                    "message" => self.0.insert_str(0, &format!("{value:?}")),
                    name => self.0.push_str(&format!(" ({name}: {value:?})")),
                }
            }
        }
        let level = *event.metadata().level();
        if level > tracing::Level::WARN {
            return;
        }
        let mut line = Line(String::new());
        event.record(&mut line);
        let label = if level == tracing::Level::ERROR {
            "error"
        } else {
            "warning"
        };
        eprintln!("{label}: {}", line.0.replace(['\r', '\n'], " "));
    }
}

fn main() -> ExitCode {
    {
        use tracing_subscriber::layer::SubscriberExt;
        let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Stderr));
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Parse(args) => parse::run(args),
        Command::Crypto(cmd) => crypto::run(cmd),
        Command::Token(args) => api::token(args),
        Command::Api(args) => api::api(args),
        Command::Serve(args) => serve::run(args),
        Command::Simulate(args) => simulate::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            // One line, whatever the detail contains.
            let detail = f.detail.replace(['\r', '\n'], " ");
            eprintln!("error: {}: {}", f.kind, detail);
            ExitCode::from(f.code)
        }
    }
}
