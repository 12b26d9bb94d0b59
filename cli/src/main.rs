//! `wechat`: the developer's tool for WeChat Official Accounts and WeCom.
//!
//! Exit codes: 0 on success, 1 when input is rejected (one line on stderr:
//! `error: <kind>: <detail>`), 2 for usage errors. Secrets are never echoed.

mod crypto;
mod input;
mod parse;

use std::process::ExitCode;

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
}

/// A failure to report: `error: <kind>: <detail>`, exit 1.
pub struct Failure {
    kind: String,
    detail: String,
}

impl Failure {
    /// A failure of the given kind.
    pub fn new(kind: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            detail: detail.into(),
        }
    }
}

impl From<wechat_core::Error> for Failure {
    fn from(e: wechat_core::Error) -> Self {
        Failure::new(e.kind(), e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Parse(args) => parse::run(args),
        Command::Crypto(cmd) => crypto::run(cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}: {}", f.kind, f.detail);
            ExitCode::from(1)
        }
    }
}
