//! Sans-IO callback handling: from `(method, query, body, now)` to either a URL-verification
//! answer or a parsed message with the context that renders (and encrypts) its reply.
//!
//! ```text
//!  GET  ?signature&timestamp&nonce&echostr             mp: check signature, echo echostr
//!  GET  ?msg_signature&timestamp&nonce&echostr         WeCom: check, decrypt echostr
//!  POST ?signature&timestamp&nonce[&openid]            mp plain mode: check, parse body
//!  POST ?signature&timestamp&nonce&encrypt_type=aes&msg_signature
//!                                                      mp safe/compatible: check both, decrypt
//!  POST ?msg_signature&timestamp&nonce                 WeCom: check, decrypt
//! ```
//!
//! Every rejection is a typed [`CallbackError`] that maps to a 4xx status
//! ([`CallbackError::status`]): forged or stale requests 403, malformed ones 400, oversized
//! bodies 413. Nothing here panics on any input.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use crate::crypto::{MessageCrypto, str_from_utf8};
use crate::error::{CallbackError, ConfigError, Error};
use crate::message::{Kind, Message};
use crate::secret::CallbackToken;
use crate::signature;
use crate::time::UnixTime;
use crate::xml::{self, Limits};

use super::envelope::encrypt_of;

/// How an mp account's messages are encrypted (the console's 消息加解密方式). WeCom is always
/// [`Mode::Safe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// 明文模式: plaintext messages, plaintext replies.
    #[default]
    Plain,
    /// 兼容模式: plaintext and encrypted both accepted; encrypted requests get encrypted
    /// replies.
    Compatible,
    /// 安全模式: encrypted only.
    Safe,
}

impl core::str::FromStr for Mode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "plain" => Ok(Mode::Plain),
            "compat" | "compatible" => Ok(Mode::Compatible),
            "safe" | "aes" => Ok(Mode::Safe),
            _ => Err(ConfigError::InvalidArgument(alloc::format!("unknown mode {s:?}")).into()),
        }
    }
}

/// A callback endpoint's configuration.
#[derive(Debug, Clone)]
pub struct CallbackConfig {
    /// mp or WeCom.
    pub kind: Kind,
    /// The encryption mode (WeCom: always safe).
    pub mode: Mode,
    /// The callback Token (signatures).
    pub token: CallbackToken,
    /// The cipher; required for WeCom and for mp compatible/safe modes.
    pub crypto: Option<MessageCrypto>,
    /// Requests whose `timestamp` is further than this from now are rejected as replays
    /// (default 300 s; `None` turns the check off).
    pub timestamp_window: Option<Duration>,
    /// Largest accepted body (default 1 MiB).
    pub max_body: usize,
    /// XML parser limits.
    pub limits: Limits,
}

impl CallbackConfig {
    /// An mp endpoint in plain mode.
    pub fn mp_plain(token: impl Into<CallbackToken>) -> Self {
        Self {
            kind: Kind::Mp,
            mode: Mode::Plain,
            token: token.into(),
            crypto: None,
            timestamp_window: Some(Duration::from_secs(300)),
            max_body: 1 << 20,
            limits: Limits::default(),
        }
    }

    /// An mp endpoint in compatible or safe mode.
    ///
    /// # Errors
    /// [`ConfigError::InvalidKey`] for a bad EncodingAESKey.
    pub fn mp_encrypted(
        mode: Mode,
        token: impl Into<CallbackToken>,
        encoding_aes_key: &str,
        app_id: &str,
    ) -> Result<Self, Error> {
        let token = token.into();
        let crypto = MessageCrypto::new(token.clone(), encoding_aes_key, app_id)?;
        Ok(Self {
            mode,
            crypto: Some(crypto),
            ..Self::mp_plain(token)
        })
    }

    /// A WeCom endpoint (always encrypted); `receive_id` is the corp id (or suite id).
    ///
    /// # Errors
    /// [`ConfigError::InvalidKey`] for a bad EncodingAESKey.
    pub fn work(token: impl Into<CallbackToken>, encoding_aes_key: &str, receive_id: &str) -> Result<Self, Error> {
        let token = token.into();
        let crypto = MessageCrypto::new(token.clone(), encoding_aes_key, receive_id)?;
        Ok(Self {
            kind: Kind::Work,
            mode: Mode::Safe,
            crypto: Some(crypto),
            ..Self::mp_plain(token)
        })
    }
}

/// The query parameters WeChat signs callbacks with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallbackQuery {
    /// `signature` (mp).
    pub signature: Option<String>,
    /// `msg_signature` (encrypted modes, WeCom).
    pub msg_signature: Option<String>,
    /// `timestamp`.
    pub timestamp: Option<String>,
    /// `nonce`.
    pub nonce: Option<String>,
    /// `echostr` (URL verification).
    pub echostr: Option<String>,
    /// `encrypt_type` (`aes` in mp encrypted modes).
    pub encrypt_type: Option<String>,
}

impl CallbackQuery {
    /// Parses a query string (without `?`). Values are percent-decoded; `+` is kept as `+`
    /// (base64 `echostr` values contain it), never turned into a space.
    pub fn parse(query: &str) -> Self {
        let q = Params::parse(query);
        let own = |v: Option<Cow<'_, str>>| v.map(Cow::into_owned);
        CallbackQuery {
            signature: own(q.signature),
            msg_signature: own(q.msg_signature),
            timestamp: own(q.timestamp),
            nonce: own(q.nonce),
            echostr: own(q.echostr),
            encrypt_type: own(q.encrypt_type),
        }
    }
}

/// [`CallbackQuery`], borrowing the values that needed no percent-decoding (all of them, in
/// what WeChat sends).
#[derive(Default)]
struct Params<'a> {
    signature: Option<Cow<'a, str>>,
    msg_signature: Option<Cow<'a, str>>,
    timestamp: Option<Cow<'a, str>>,
    nonce: Option<Cow<'a, str>>,
    echostr: Option<Cow<'a, str>>,
    encrypt_type: Option<Cow<'a, str>>,
}

impl<'a> Params<'a> {
    fn parse(query: &'a str) -> Self {
        let mut q = Params::default();
        let bytes = query.as_bytes();
        let mut start = 0;
        while start <= bytes.len() {
            let end = memchr::memchr(b'&', &bytes[start..]).map_or(bytes.len(), |i| start + i);
            let pair = &query[start..end];
            start = end + 1;
            // Names are short: a plain loop finds `=` sooner than a SIMD search.
            let (name, value) = match pair.bytes().position(|b| b == b'=') {
                Some(eq) => (&pair[..eq], &pair[eq + 1..]),
                None => (pair, ""),
            };
            let slot = match name {
                "signature" => &mut q.signature,
                "msg_signature" => &mut q.msg_signature,
                "timestamp" => &mut q.timestamp,
                "nonce" => &mut q.nonce,
                "echostr" => &mut q.echostr,
                "encrypt_type" => &mut q.encrypt_type,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(if memchr::memchr(b'%', value.as_bytes()).is_some() {
                    percent_encoding::percent_decode_str(value).decode_utf8_lossy()
                } else {
                    Cow::Borrowed(value)
                });
            }
        }
        q
    }
}

/// What an accepted callback request asks for.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Inbound {
    /// URL verification: answer `echo` verbatim (200, text/plain).
    Verify {
        /// The (decrypted, for WeCom) echostr.
        echo: String,
    },
    /// A message or event: handle it, then answer with [`ReplyContext::respond`].
    Message {
        /// The parsed message.
        message: Message,
        /// How to render the answer for this request.
        reply: ReplyContext,
    },
}

/// How to answer one callback request: plain or encrypted, with its timestamp and nonce.
#[derive(Debug, Clone)]
pub struct ReplyContext {
    crypto: Option<MessageCrypto>,
    /// The request's timestamp followed by its nonce (one allocation for both).
    stamp: String,
    /// Where the nonce starts in `stamp`.
    split: usize,
}

/// An HTTP answer to WeChat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackResponse {
    /// The status code.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

impl CallbackResponse {
    /// 200 `success`: "no reply", which WeChat accepts without retrying.
    pub fn success() -> Self {
        Self {
            status: 200,
            content_type: "text/plain; charset=utf-8",
            body: String::from("success"),
        }
    }

    /// The 4xx answer to a rejected request (the body names the error kind, nothing else).
    pub fn rejected(error: &Error) -> Self {
        let status = match error {
            Error::Callback(e) => e.status(),
            _ => 400,
        };
        Self {
            status,
            content_type: "text/plain; charset=utf-8",
            body: String::from(error.kind()),
        }
    }
}

impl CallbackError {
    /// The HTTP status for this rejection: 403 for forged or stale requests, 413 for oversized
    /// bodies, 405 for other methods, 400 for malformed input.
    pub fn status(&self) -> u16 {
        match self {
            CallbackError::InvalidSignature | CallbackError::InvalidReceiveId { .. } => 403,
            CallbackError::StaleTimestamp { .. } => 403,
            CallbackError::TooLarge { .. } => 413,
            CallbackError::MethodNotAllowed => 405,
            _ => 400,
        }
    }
}

impl ReplyContext {
    /// Whether the reply will be encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.crypto.is_some()
    }

    /// The answer for a rendered reply (`None`, `""` or `"success"` mean no reply and are
    /// never encrypted). `random` is the 16-byte prefix of the encrypted reply.
    pub fn respond(&self, reply_xml: Option<&str>, random: &[u8; 16]) -> CallbackResponse {
        let xml = match reply_xml {
            None | Some("") | Some("success") => return CallbackResponse::success(),
            Some(xml) => xml,
        };
        let body = match &self.crypto {
            Some(crypto) => {
                let (timestamp, nonce) = self.stamp.split_at(self.split);
                crypto.encrypt_message(xml, timestamp, nonce, random)
            }
            None => String::from(xml),
        };
        CallbackResponse {
            status: 200,
            content_type: "application/xml; charset=utf-8",
            body,
        }
    }
}

/// A configured callback endpoint. Cheap to share; `handle` is pure.
#[derive(Debug, Clone)]
pub struct CallbackHandler {
    config: CallbackConfig,
}

fn missing(name: &'static str) -> Error {
    CallbackError::MissingParameter(name).into()
}

impl CallbackHandler {
    /// A handler for `config`.
    ///
    /// # Errors
    /// [`ConfigError::InvalidArgument`] when an encrypted mode (or WeCom) has no cipher.
    pub fn new(config: CallbackConfig) -> Result<Self, Error> {
        let needs_crypto = config.kind == Kind::Work || config.mode != Mode::Plain;
        if needs_crypto && config.crypto.is_none() {
            return Err(
                ConfigError::InvalidArgument("this mode needs an EncodingAESKey and an app/corp id".into()).into(),
            );
        }
        Ok(Self { config })
    }

    /// The configuration.
    pub fn config(&self) -> &CallbackConfig {
        &self.config
    }

    fn check_timestamp(&self, timestamp: &str, now: UnixTime) -> Result<(), Error> {
        let ts: u64 = timestamp
            .trim()
            .parse()
            .map_err(|_| CallbackError::InvalidParameter("timestamp"))?;
        if let Some(window) = self.config.timestamp_window
            && ts.abs_diff(now.0) > window.as_secs()
        {
            return Err(CallbackError::StaleTimestamp {
                timestamp: ts,
                window_secs: window.as_secs(),
            }
            .into());
        }
        Ok(())
    }

    /// Handles one request. `method` is `GET` or `POST`; `query` is the raw query string.
    ///
    /// # Errors
    /// A [`CallbackError`] for every rejection (map it with [`CallbackResponse::rejected`]).
    pub fn handle(&self, method: &str, query: &str, body: &[u8], now: UnixTime) -> Result<Inbound, Error> {
        let q = Params::parse(query);
        match method {
            "GET" | "HEAD" => self.verify(&q, now),
            "POST" => self.message(&q, body, now),
            _ => Err(CallbackError::MethodNotAllowed.into()),
        }
    }

    fn verify(&self, q: &Params<'_>, now: UnixTime) -> Result<Inbound, Error> {
        let timestamp = q.timestamp.as_deref().ok_or_else(|| missing("timestamp"))?;
        let nonce = q.nonce.as_deref().ok_or_else(|| missing("nonce"))?;
        let echostr = q.echostr.as_deref().ok_or_else(|| missing("echostr"))?;
        self.check_timestamp(timestamp, now)?;
        let echo = match (self.config.kind, &self.config.crypto) {
            (Kind::Work, Some(crypto)) => {
                let sig = q.msg_signature.as_deref().ok_or_else(|| missing("msg_signature"))?;
                crypto.verify_url(sig, timestamp, nonce, &echostr.replace(' ', "+"))?
            }
            _ => {
                let sig = q.signature.as_deref().ok_or_else(|| missing("signature"))?;
                signature::check_signature(&self.config.token, sig, timestamp, nonce)?;
                String::from(echostr)
            }
        };
        Ok(Inbound::Verify { echo })
    }

    fn message(&self, q: &Params<'_>, body: &[u8], now: UnixTime) -> Result<Inbound, Error> {
        if body.len() > self.config.max_body {
            return Err(CallbackError::TooLarge {
                limit: self.config.max_body,
            }
            .into());
        }
        let timestamp = q.timestamp.as_deref().ok_or_else(|| missing("timestamp"))?;
        let nonce = q.nonce.as_deref().ok_or_else(|| missing("nonce"))?;
        let body = str_from_utf8(body)?;
        let encrypted_request = self.config.kind == Kind::Work
            || q.msg_signature.is_some()
            || q.encrypt_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("aes"));
        // mp signs every request with `signature`, whatever the mode.
        if self.config.kind == Kind::Mp {
            let sig = q.signature.as_deref().ok_or_else(|| missing("signature"))?;
            signature::check_signature(&self.config.token, sig, timestamp, nonce)?;
        }
        self.check_timestamp(timestamp, now)?;
        let limits = self.config.limits;
        let parse = |xml: &str| Message::from_raw(xml::parse_children(xml, limits)?, self.config.kind);
        let (message, crypto) = match (encrypted_request, self.config.mode, &self.config.crypto) {
            (false, Mode::Safe, _) => return Err(missing("msg_signature")),
            (false, _, _) => (parse(body)?, None),
            (true, Mode::Plain, _) | (true, _, None) => {
                return Err(CallbackError::InvalidParameter("encrypt_type").into());
            }
            (true, _, Some(crypto)) => {
                let sig = q.msg_signature.as_deref().ok_or_else(|| missing("msg_signature"))?;
                let encrypt = encrypt_of(body, limits)?;
                // The plaintext is parsed straight from the decryption buffer.
                let message = crypto.verify_and_decrypt_with(sig, timestamp, nonce, &encrypt, parse)??;
                (message, Some(crypto.clone()))
            }
        };
        Ok(Inbound::Message {
            message,
            reply: ReplyContext {
                crypto,
                stamp: [timestamp, nonce].concat(),
                split: timestamp.len(),
            },
        })
    }
}

impl Message {
    /// The key WeChat's retries of this message share, and only they.
    ///
    /// `{ToUserName}:{AgentID or -}:msg:{MsgId}` for messages (WeChat's documented id), and
    /// `{ToUserName}:{AgentID or -}:evt:{digest}` for events, where the digest (SHA1) covers
    /// every element of the message as sent: two menu clicks with different `EventKey`s in one
    /// second, or several WeCom `change_contact` events in one second, get different keys,
    /// while a retry (the same plaintext) gets the same one. (`FromUserName` + `CreateTime`,
    /// the rule WeChat documents for events, merges such distinct events.) Keys never contain
    /// message text.
    pub fn dedup_key(&self) -> String {
        let agent = match self.agent {
            Some(agent) => alloc::format!("{agent}"),
            None => String::from("-"),
        };
        match (self.id, &self.body) {
            (Some(id), body) if !matches!(body, crate::message::Body::Event(_)) => {
                alloc::format!("{}:{agent}:msg:{id}", self.target)
            }
            _ => {
                use sha1::Digest;
                let mut hasher = sha1::Sha1::new();
                digest_raw(&mut hasher, &self.raw);
                let digest = crate::signature::Signature::from_digest(&hasher.finalize());
                alloc::format!("{}:{agent}:evt:{}", self.target, digest.as_str())
            }
        }
    }
}

/// Feeds an element tree to `hasher` unambiguously: every name and text is length-prefixed
/// and every nested element tagged, so two different trees never feed the same bytes.
fn digest_raw(hasher: &mut sha1::Sha1, raw: &crate::xml::Raw) {
    fn put(hasher: &mut sha1::Sha1, tag: u8, bytes: &[u8]) {
        use sha1::Digest;
        hasher.update([tag]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    put(hasher, b'{', &(raw.len() as u64).to_le_bytes());
    for (name, value) in raw.iter() {
        put(hasher, b'n', name.as_bytes());
        match value {
            crate::xml::RawValue::Text(text) => put(hasher, b't', text.as_bytes()),
            crate::xml::RawValue::Map(map) => digest_raw(hasher, map),
        }
    }
}

/// The query string WeChat would send for a signed callback, for simulators and tests:
/// mp requests carry `signature` (plus `encrypt_type=aes` and `msg_signature` over `encrypt`
/// when encrypted); WeCom requests carry only `msg_signature` (over `echostr` for
/// verification, over `encrypt` for messages).
pub fn signed_query(
    kind: Kind,
    token: &CallbackToken,
    timestamp: &str,
    nonce: &str,
    echostr: Option<&str>,
    encrypt: Option<&str>,
) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if kind == Kind::Mp {
        pairs.push((
            "signature",
            String::from(signature::signature(token, timestamp, nonce).as_str()),
        ));
    }
    pairs.push(("timestamp", String::from(timestamp)));
    pairs.push(("nonce", String::from(nonce)));
    if let Some(e) = echostr {
        pairs.push(("echostr", String::from(e)));
        if kind == Kind::Work {
            pairs.push((
                "msg_signature",
                String::from(signature::msg_signature(token, timestamp, nonce, e).as_str()),
            ));
        }
    }
    if let Some(encrypt) = encrypt {
        if kind == Kind::Mp {
            pairs.push(("encrypt_type", String::from("aes")));
        }
        pairs.push((
            "msg_signature",
            String::from(signature::msg_signature(token, timestamp, nonce, encrypt).as_str()),
        ));
    }
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.extend(percent_encoding::utf8_percent_encode(
            v,
            percent_encoding::NON_ALPHANUMERIC,
        ));
    }
    out
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
