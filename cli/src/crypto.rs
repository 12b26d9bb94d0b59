//! `wechat crypto decrypt|encrypt|verify-url|sign`.

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use wechat_core::crypto::MessageCrypto;
use wechat_core::secret::CallbackToken;
use wechat_core::signature;

use crate::Failure;
use crate::input::read_text;

#[derive(Subcommand)]
pub enum Command {
    /// Verify msg_signature and decrypt an encrypted callback body (safe or compatible mode);
    /// prints the plaintext XML exactly.
    Decrypt {
        /// The callback Token (or `WECHAT_TOKEN`, which keeps it out of `ps` and shell history).
        #[arg(long, env = "WECHAT_TOKEN", hide_env_values = true)]
        token: String,
        /// The 43-character EncodingAESKey (or `WECHAT_AES_KEY`).
        #[arg(long, env = "WECHAT_AES_KEY", hide_env_values = true)]
        aes_key: String,
        /// The app id (mp), corp id (WeCom) or suite id.
        #[arg(long)]
        app_id: String,
        /// The `msg_signature` query parameter.
        #[arg(long)]
        msg_signature: String,
        /// The `timestamp` query parameter.
        #[arg(long)]
        timestamp: String,
        /// The `nonce` query parameter.
        #[arg(long)]
        nonce: String,
        /// The body (stdin when absent or `-`).
        file: Option<PathBuf>,
    },
    /// Encrypt a reply (XML from FILE or stdin) and print the signed envelope.
    Encrypt {
        /// The callback Token (or `WECHAT_TOKEN`, which keeps it out of `ps` and shell history).
        #[arg(long, env = "WECHAT_TOKEN", hide_env_values = true)]
        token: String,
        /// The 43-character EncodingAESKey (or `WECHAT_AES_KEY`).
        #[arg(long, env = "WECHAT_AES_KEY", hide_env_values = true)]
        aes_key: String,
        /// The app id (mp), corp id (WeCom) or suite id.
        #[arg(long)]
        app_id: String,
        /// The `TimeStamp` of the envelope.
        #[arg(long)]
        timestamp: String,
        /// The `Nonce` of the envelope.
        #[arg(long)]
        nonce: String,
        /// 32 hex digits fixing the 16 random bytes (reproducible output).
        #[arg(long, value_parser = parse_random)]
        random: Option<[u8; 16]>,
        /// The reply XML (stdin when absent or `-`).
        file: Option<PathBuf>,
    },
    /// Verify a callback URL: mp (`--signature`, prints echostr) or WeCom
    /// (`--aes-key --app-id --msg-signature`, prints the decrypted echostr).
    VerifyUrl {
        /// The callback Token (or `WECHAT_TOKEN`, which keeps it out of `ps` and shell history).
        #[arg(long, env = "WECHAT_TOKEN", hide_env_values = true)]
        token: String,
        /// mp: the `signature` query parameter.
        #[arg(long, conflicts_with = "msg_signature", required_unless_present = "msg_signature")]
        signature: Option<String>,
        /// WeCom: the EncodingAESKey (or `WECHAT_AES_KEY`; ignored with `--signature`).
        #[arg(long, env = "WECHAT_AES_KEY", hide_env_values = true)]
        aes_key: Option<String>,
        /// WeCom: the corp id (or suite id).
        #[arg(long)]
        app_id: Option<String>,
        /// WeCom: the `msg_signature` query parameter.
        #[arg(long, requires_all = ["aes_key", "app_id"])]
        msg_signature: Option<String>,
        /// The `timestamp` query parameter.
        #[arg(long)]
        timestamp: String,
        /// The `nonce` query parameter.
        #[arg(long)]
        nonce: String,
        /// The `echostr` query parameter.
        #[arg(long)]
        echostr: String,
    },
    /// Print the signature of (token, timestamp, nonce[, encrypt]).
    Sign {
        /// The callback Token (or `WECHAT_TOKEN`, which keeps it out of `ps` and shell history).
        #[arg(long, env = "WECHAT_TOKEN", hide_env_values = true)]
        token: String,
        /// The timestamp.
        #[arg(long)]
        timestamp: String,
        /// The nonce.
        #[arg(long)]
        nonce: String,
        /// The `Encrypt` value, for a msg_signature.
        #[arg(long)]
        encrypt: Option<String>,
    },
}

fn parse_random(s: &str) -> Result<[u8; 16], String> {
    let bytes = hex::decode(s).map_err(|_| "expected 32 hex digits".to_string())?;
    bytes.try_into().map_err(|_| "expected 32 hex digits".to_string())
}

fn print(text: &str, newline: bool) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    let r = if newline {
        writeln!(out, "{text}")
    } else {
        write!(out, "{text}").and_then(|_| out.flush())
    };
    r.map_err(|e| Failure::new("io", e.to_string()))
}

pub fn run(cmd: Command) -> Result<(), Failure> {
    match cmd {
        Command::Decrypt {
            token,
            aes_key,
            app_id,
            msg_signature,
            timestamp,
            nonce,
            file,
        } => {
            let crypto = MessageCrypto::new(token, &aes_key, app_id)?;
            let body = read_text(file.as_ref())?;
            let xml = crypto.decrypt_message(&body, &msg_signature, &timestamp, &nonce)?;
            print(&xml, false)
        }
        Command::Encrypt {
            token,
            aes_key,
            app_id,
            timestamp,
            nonce,
            random,
            file,
        } => {
            let crypto = MessageCrypto::new(token, &aes_key, app_id)?;
            let xml = read_text(file.as_ref())?;
            let random = match random {
                Some(r) => r,
                None => {
                    let mut r = [0u8; 16];
                    getrandom::fill(&mut r).map_err(|e| Failure::new("random", e.to_string()))?;
                    r
                }
            };
            print(&crypto.encrypt_message(&xml, &timestamp, &nonce, &random), false)
        }
        Command::VerifyUrl {
            token,
            signature: Some(sig),
            timestamp,
            nonce,
            echostr,
            ..
        } => {
            signature::check_signature(&CallbackToken::new(token), &sig, &timestamp, &nonce)?;
            print(&echostr, false)
        }
        Command::VerifyUrl {
            token,
            aes_key,
            app_id,
            msg_signature,
            timestamp,
            nonce,
            echostr,
            ..
        } => {
            let (Some(aes_key), Some(app_id), Some(msg_signature)) = (aes_key, app_id, msg_signature) else {
                return Err(Failure::new(
                    "usage",
                    "WeCom verification needs --aes-key, --app-id and --msg-signature",
                ));
            };
            let crypto = MessageCrypto::new(token, &aes_key, app_id)?;
            print(&crypto.verify_url(&msg_signature, &timestamp, &nonce, &echostr)?, false)
        }
        Command::Sign {
            token,
            timestamp,
            nonce,
            encrypt,
        } => {
            let token = CallbackToken::new(token);
            let sig = match encrypt {
                Some(e) => signature::msg_signature(&token, &timestamp, &nonce, &e),
                None => signature::signature(&token, &timestamp, &nonce),
            };
            print(sig.as_str(), true)
        }
    }
}
