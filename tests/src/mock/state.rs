//! The mock's state machine: accounts, tokens, tickets, media, faults, counters and the log.
//!
//! Everything here is synchronous and behind one mutex; the HTTP glue in `server.rs` turns
//! requests into [`Incoming`] values and [`Reply`] values back into responses.

use core::hash::BuildHasher;
use core::sync::atomic::{AtomicI64, Ordering};
use core::time::Duration;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::RandomState;
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::errcode::{self, *};
use super::{
    Fault, FaultRule, MockConfig, Outcome, RecordedRequest, StoredMedia, TokenFetches, TokenInfo, TokenKind, multipart,
};

/// `Content-Type` of WeChat's JSON answers.
pub(crate) const JSON_TYPE: &str = "application/json; encoding=utf-8";

/// A request as the HTTP layer hands it over.
#[derive(Debug)]
pub(crate) struct Incoming {
    pub(crate) method: String,
    pub(crate) path: String,
    /// The raw (still percent-encoded) query string.
    pub(crate) query: String,
    pub(crate) content_type: Option<String>,
    pub(crate) user_agent: Option<String>,
    pub(crate) body: Vec<u8>,
}

/// An answer for the HTTP layer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) content_type: String,
    pub(crate) headers: Vec<(&'static str, Vec<u8>)>,
    pub(crate) body: Vec<u8>,
    /// The `errcode` in the body, for the log.
    pub(crate) errcode: Option<i64>,
}

impl Reply {
    /// A JSON answer.
    pub(crate) fn json(status: u16, value: &Value) -> Reply {
        Reply {
            status,
            content_type: JSON_TYPE.into(),
            headers: Vec::new(),
            body: value.to_string().into_bytes(),
            errcode: value.get("errcode").and_then(Value::as_i64),
        }
    }

    /// `{"errcode": code, "errmsg": msg}` with HTTP 200, as WeChat answers its errors.
    pub(crate) fn error(code: i64, msg: &str) -> Reply {
        Reply::json(200, &json!({"errcode": code, "errmsg": msg}))
    }

    /// An error with WeChat's usual message for the code.
    fn code(code: i64) -> Reply {
        Reply::error(code, errcode::message(code))
    }

    /// A mock-level refusal (not a WeChat behaviour): HTTP `status` and a JSON explanation.
    pub(crate) fn rejection(status: u16, msg: &str) -> Reply {
        Reply::json(
            status,
            &json!({"errcode": i64::from(status), "errmsg": format!("mock: {msg}")}),
        )
    }
}

/// A canned answer for an API path.
#[derive(Clone, Debug)]
pub(crate) enum Canned {
    /// JSON bytes.
    Json(Vec<u8>),
    /// Any bytes with a content type.
    Binary { content_type: String, body: Vec<u8> },
}

/// The mock clock: real time plus an offset tests move forward.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    /// Unix milliseconds, mock time.
    pub(crate) fn now_ms(&self) -> u64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        real.saturating_add_signed(self.offset_ms.load(Ordering::SeqCst))
    }

    /// Moves mock time forward.
    pub(crate) fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        // fetch_add wraps; saturate instead.
        let _ = self
            .offset_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |o| Some(o.saturating_add(ms)));
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The WeChat day (midnight Beijing time, UTC+8) of a mock timestamp.
fn beijing_day(now_ms: u64) -> u64 {
    (now_ms / 1000 + 8 * 3600) / 86_400
}

/// Seconds left until `expires_ms`, rounded up (so the real milliseconds a test spends between
/// two calls do not show as a lost second).
fn secs_left(expires_ms: u64, now_ms: u64) -> u64 {
    expires_ms.saturating_sub(now_ms).div_ceil(1000)
}

#[derive(Debug)]
struct TokenRecord {
    info: TokenInfo,
    expires_ms: u64,
    /// When a newer token replaced it: the end of its grace period.
    revoked_ms: Option<u64>,
    invalidated: bool,
}

impl TokenRecord {
    fn usable(&self, now: u64) -> bool {
        !self.invalidated && self.revoked_ms.is_none_or(|r| now < r) && now < self.expires_ms
    }
}

#[derive(Debug, Default)]
struct StableSlot {
    current: Option<String>,
    /// Times of successful forced refreshes.
    forces: Vec<u64>,
}

#[derive(Debug)]
struct Ticket {
    ticket: String,
    expires_ms: u64,
}

#[derive(Debug, Default)]
struct PathStats {
    calls: u64,
    processed: u64,
}

#[derive(Debug, Default)]
struct State {
    mp: BTreeMap<String, String>,
    work: BTreeMap<String, BTreeSet<String>>,
    tokens: HashMap<String, TokenRecord>,
    generations: HashMap<(String, TokenKind), u64>,
    current_mp: BTreeMap<String, String>,
    stable: BTreeMap<String, StableSlot>,
    current_work: BTreeMap<(String, String), String>,
    tickets: HashMap<(String, &'static str), Ticket>,
    media: BTreeMap<u64, StoredMedia>,
    media_index: HashMap<String, u64>,
    responses: HashMap<String, Canned>,
    faults: Vec<FaultRule>,
    fetches: TokenFetches,
    daily_token_calls: HashMap<(String, u64), u32>,
    stats: HashMap<String, PathStats>,
    log: Vec<RecordedRequest>,
    seq: u64,
    counter: u64,
}

/// Everything the server and the test handle share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: MockConfig,
    pub(crate) clock: Clock,
    state: Mutex<State>,
    hasher: RandomState,
}

type Query = [(String, String)];

fn param<'a>(query: &'a Query, name: &str) -> Option<&'a str> {
    query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// A non-empty parameter.
fn required<'a>(query: &'a Query, name: &str) -> Option<&'a str> {
    param(query, name).filter(|v| !v.is_empty())
}

/// Token-shaped: what WeChat's tokens are made of, and not absurdly long.
fn token_shaped(token: &str) -> bool {
    token.len() <= 512
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl Shared {
    pub(crate) fn new(config: MockConfig) -> Shared {
        let mut state = State::default();
        for (appid, secret) in &config.mp_accounts {
            state.mp.insert(appid.clone(), secret.clone());
        }
        for (corpid, secret) in &config.work_accounts {
            state.work.entry(corpid.clone()).or_default().insert(secret.clone());
        }
        Shared {
            config,
            clock: Clock::default(),
            state: Mutex::new(state),
            hasher: RandomState::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not take the server down with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A fresh random-looking id suffix.
    fn unique(&self, counter: u64) -> String {
        format!(
            "{:016x}{:016x}",
            self.hasher.hash_one((counter, 1u8)),
            self.hasher.hash_one((counter, 2u8))
        )
    }

    // ----- test-facing API -----------------------------------------------------------------

    pub(crate) fn add_mp_account(&self, appid: &str, secret: &str) {
        self.lock().mp.insert(appid.into(), secret.into());
    }

    pub(crate) fn add_work_account(&self, corpid: &str, secret: &str) {
        self.lock().work.entry(corpid.into()).or_default().insert(secret.into());
    }

    pub(crate) fn token_fetches(&self) -> TokenFetches {
        self.lock().fetches.clone()
    }

    pub(crate) fn path_stats(&self, path: &str) -> (u64, u64) {
        self.lock().stats.get(path).map_or((0, 0), |s| (s.calls, s.processed))
    }

    pub(crate) fn distinct_processed(&self, path: &str) -> usize {
        let st = self.lock();
        st.log
            .iter()
            .filter(|r| r.path == path && r.outcome == Outcome::Processed)
            .map(|r| (&r.query, &r.body))
            .collect::<HashSet<_>>()
            .len()
    }

    pub(crate) fn requests(&self, path: Option<&str>) -> Vec<RecordedRequest> {
        let st = self.lock();
        st.log
            .iter()
            .filter(|r| path.is_none_or(|p| r.path == p))
            .cloned()
            .collect()
    }

    pub(crate) fn reset_counters(&self) {
        let mut st = self.lock();
        st.log.clear();
        st.stats.clear();
        st.fetches = TokenFetches::default();
    }

    pub(crate) fn inject(&self, rule: FaultRule) {
        if rule.remaining != Some(0) {
            self.lock().faults.push(rule);
        }
    }

    pub(crate) fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    pub(crate) fn pending_faults(&self) -> Vec<FaultRule> {
        self.lock().faults.clone()
    }

    pub(crate) fn set_response(&self, path: &str, canned: Canned) {
        self.lock().responses.insert(path.into(), canned);
    }

    pub(crate) fn clear_response(&self, path: &str) {
        self.lock().responses.remove(path);
    }

    pub(crate) fn rotate_token(&self, account: &str) -> Option<String> {
        let now = self.clock.now_ms();
        let grace = ms(self.config.grace);
        let mut st = self.lock();
        let mut result = None;
        if st.mp.contains_key(account) {
            let new = self.replace(&mut st, now, account, TokenKind::Mp, grace);
            st.current_mp.insert(account.into(), new.clone());
            result = Some(new);
            if st.stable.get(account).is_some_and(|s| s.current.is_some()) {
                let new = self.replace(&mut st, now, account, TokenKind::Stable, grace);
                st.stable.entry(account.into()).or_default().current = Some(new);
            }
        }
        let secrets: Vec<String> = st
            .work
            .get(account)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        for secret in secrets {
            let key = (account.to_owned(), secret);
            if let Some(old) = st.current_work.get(&key).cloned() {
                st.supersede(&old, now.saturating_add(grace));
            }
            let new = self.issue(&mut st, now, account, TokenKind::Work);
            st.current_work.insert(key, new.clone());
            result.get_or_insert(new);
        }
        result
    }

    pub(crate) fn invalidate_tokens(&self) {
        for rec in self.lock().tokens.values_mut() {
            rec.invalidated = true;
        }
    }

    pub(crate) fn expire_tokens(&self) {
        let now = self.clock.now_ms();
        for rec in self.lock().tokens.values_mut() {
            rec.expires_ms = rec.expires_ms.min(now);
        }
    }

    pub(crate) fn current_token(&self, account: &str) -> Option<String> {
        let st = self.lock();
        st.current_mp.get(account).cloned().or_else(|| {
            st.current_work
                .iter()
                .filter(|((corp, _), _)| corp == account)
                .map(|(_, token)| token)
                .max_by_key(|t| st.tokens.get(*t).map(|r| r.info.generation))
                .cloned()
        })
    }

    pub(crate) fn token_info(&self, token: &str) -> Option<TokenInfo> {
        self.lock().tokens.get(token).map(|r| r.info.clone())
    }

    pub(crate) fn media(&self, media_id: &str) -> Option<StoredMedia> {
        let st = self.lock();
        let n = st.media_index.get(media_id)?;
        st.media.get(n).cloned()
    }

    pub(crate) fn uploads(&self) -> Vec<StoredMedia> {
        self.lock().media.values().cloned().collect()
    }

    // ----- request handling ----------------------------------------------------------------

    /// Takes one use of the first fault rule matching `path`.
    pub(crate) fn take_fault(&self, path: &str) -> Option<Fault> {
        let mut st = self.lock();
        let i = st
            .faults
            .iter()
            .position(|r| path.starts_with(&r.path_prefix) && r.remaining != Some(0))?;
        let rule = &mut st.faults[i];
        let fault = rule.fault.clone();
        if let Some(n) = rule.remaining.as_mut() {
            *n -= 1;
            if *n == 0 {
                st.faults.remove(i);
            }
        }
        Some(fault)
    }

    /// Answers a request (after any [`Fault::DelayBefore`]); `None` means: close the connection
    /// without an answer. The request is recorded before this returns.
    pub(crate) fn respond(&self, req: &Incoming, fault: Option<&Fault>) -> Option<Reply> {
        let now = self.clock.now_ms();
        let query: Vec<(String, String)> = form_urlencoded::parse(req.query.as_bytes()).into_owned().collect();
        let mut st = self.lock();
        if let Some(f) = fault.filter(|f| !f.processes_request()) {
            let reply = fault_reply(f);
            let (status, code) = reply.as_ref().map_or((None, None), |r| (Some(r.status), r.errcode));
            let rec = Record {
                outcome: Outcome::Faulted,
                token: None,
                fault: Some(f.clone()),
                status,
                errcode: code,
            };
            self.record(&mut st, now, req, &query, rec);
            return reply;
        }
        let (mut reply, outcome, token) = self.dispatch(&mut st, now, req, &query);
        let mut rec = Record {
            outcome,
            token,
            fault: fault.cloned(),
            status: Some(reply.status),
            errcode: reply.errcode,
        };
        let result = match fault {
            Some(Fault::DropAfter) => {
                rec.status = None;
                rec.errcode = None;
                None
            }
            Some(Fault::TruncatedJson) => {
                rec.errcode = None;
                let half = reply.body.len() / 2;
                reply.body.truncate(half);
                Some(reply)
            }
            _ => Some(reply),
        };
        self.record(&mut st, now, req, &query, rec);
        result
    }

    /// Records a request the HTTP layer refused before the mock saw its body (e.g. too large).
    pub(crate) fn reject(&self, req: &Incoming, reply: Reply) -> Reply {
        let now = self.clock.now_ms();
        let query: Vec<(String, String)> = form_urlencoded::parse(req.query.as_bytes()).into_owned().collect();
        let mut st = self.lock();
        let rec = Record {
            outcome: Outcome::Rejected,
            token: None,
            fault: None,
            status: Some(reply.status),
            errcode: reply.errcode,
        };
        self.record(&mut st, now, req, &query, rec);
        reply
    }

    fn record(&self, st: &mut State, now: u64, req: &Incoming, query: &Query, rec: Record) {
        let stats = st.stats.entry(req.path.clone()).or_default();
        stats.calls += 1;
        if rec.outcome == Outcome::Processed {
            stats.processed += 1;
        }
        let account = match req.path.as_str() {
            "/cgi-bin/token" => {
                st.fetches.mp += 1;
                Some(param(query, "appid").unwrap_or("").to_owned())
            }
            "/cgi-bin/gettoken" => {
                st.fetches.work += 1;
                Some(param(query, "corpid").unwrap_or("").to_owned())
            }
            "/cgi-bin/stable_token" => {
                st.fetches.stable += 1;
                let body: Option<Value> = serde_json::from_slice(&req.body).ok();
                let appid = body.as_ref().and_then(|b| b.get("appid")?.as_str());
                Some(appid.unwrap_or("").to_owned())
            }
            _ => None,
        };
        if let Some(account) = account {
            *st.fetches.by_account.entry(account).or_default() += 1;
        }
        st.seq += 1;
        if !self.config.record_requests {
            return;
        }
        const HIDDEN: [&str; 3] = ["access_token", "secret", "corpsecret"];
        let mut body = req.body.clone();
        if req.path == "/cgi-bin/stable_token"
            && let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(&body)
            && map.contains_key("secret")
        {
            map.insert("secret".into(), Value::from("[redacted]"));
            body = Value::Object(map).to_string().into_bytes();
        }
        let entry = RecordedRequest {
            seq: st.seq,
            method: req.method.clone(),
            path: req.path.clone(),
            query: query
                .iter()
                .filter(|(k, _)| !HIDDEN.contains(&k.as_str()))
                .cloned()
                .collect(),
            content_type: req.content_type.clone(),
            user_agent: req.user_agent.clone(),
            body,
            at_ms: now,
            token: rec.token,
            outcome: rec.outcome,
            fault: rec.fault,
            status: rec.status,
            errcode: rec.errcode,
        };
        st.log.push(entry);
    }

    fn dispatch(&self, st: &mut State, now: u64, req: &Incoming, query: &Query) -> (Reply, Outcome, Option<TokenInfo>) {
        if req.method != "GET" && req.method != "POST" {
            let msg = format!("method {} not allowed", req.method);
            return (Reply::rejection(405, &msg), Outcome::Rejected, None);
        }
        match req.path.as_str() {
            "/cgi-bin/token" => return (self.mp_token(st, now, query), Outcome::Processed, None),
            "/cgi-bin/stable_token" => {
                return (self.stable_token(st, now, req), Outcome::Processed, None);
            }
            "/cgi-bin/gettoken" => {
                return (self.work_token(st, now, query), Outcome::Processed, None);
            }
            "" | "/" => {
                return (Reply::rejection(404, "no such endpoint"), Outcome::Rejected, None);
            }
            _ => {}
        }
        let info = match st.check_token(now, param(query, "access_token")) {
            Ok(info) => info,
            Err((code, info)) => return (Reply::code(code), Outcome::TokenRejected(code), info),
        };
        let reply = match req.path.as_str() {
            "/cgi-bin/ticket/getticket" => match param(query, "type") {
                Some("jsapi") => self.ticket(st, now, &info, "jsapi"),
                Some("wx_card") => self.ticket(st, now, &info, "wx_card"),
                _ => Reply::code(INVALID_ARGS),
            },
            "/cgi-bin/get_jsapi_ticket" => self.ticket(st, now, &info, "corp_jsapi"),
            "/cgi-bin/ticket/get" => match param(query, "type") {
                Some("agent_config") => self.ticket(st, now, &info, "agent_config"),
                _ => Reply::code(INVALID_ARGS),
            },
            "/cgi-bin/media/upload" => self.upload(st, now, req, query, &info),
            "/cgi-bin/media/uploadimg" => self.upload_img(st, req, &info),
            "/cgi-bin/media/get" => self.download(st, now, query, &info),
            path => match st.responses.get(path) {
                Some(Canned::Json(body)) => Reply {
                    status: 200,
                    content_type: JSON_TYPE.into(),
                    headers: Vec::new(),
                    errcode: serde_json::from_slice::<Value>(body)
                        .ok()
                        .and_then(|v| v.get("errcode")?.as_i64()),
                    body: body.clone(),
                },
                Some(Canned::Binary { content_type, body }) => Reply {
                    status: 200,
                    content_type: content_type.clone(),
                    headers: Vec::new(),
                    body: body.clone(),
                    errcode: None,
                },
                None => Reply::code(0),
            },
        };
        (reply, Outcome::Processed, Some(info))
    }

    // ----- tokens --------------------------------------------------------------------------

    fn issue(&self, st: &mut State, now: u64, account: &str, kind: TokenKind) -> String {
        let generation = st.generations.entry((account.into(), kind)).or_default();
        *generation += 1;
        let generation = *generation;
        st.counter += 1;
        let tag = match kind {
            TokenKind::Mp => "mp",
            TokenKind::Stable => "st",
            TokenKind::Work => "wk",
        };
        let token = format!("MOCK_{tag}{generation}_{}", self.unique(st.counter));
        let record = TokenRecord {
            info: TokenInfo {
                account: account.into(),
                kind,
                generation,
            },
            expires_ms: now.saturating_add(ms(self.config.token_ttl)),
            revoked_ms: None,
            invalidated: false,
        };
        st.tokens.insert(token.clone(), record);
        token
    }

    /// Issues a new token for an mp account and kind, giving the current one `grace`.
    fn replace(&self, st: &mut State, now: u64, account: &str, kind: TokenKind, grace: u64) -> String {
        let old = match kind {
            TokenKind::Mp => st.current_mp.get(account).cloned(),
            TokenKind::Stable => st.stable.get(account).and_then(|s| s.current.clone()),
            TokenKind::Work => None,
        };
        if let Some(old) = old {
            st.supersede(&old, now.saturating_add(grace));
        }
        self.issue(st, now, account, kind)
    }

    fn mp_token(&self, st: &mut State, now: u64, query: &Query) -> Reply {
        if param(query, "grant_type") != Some("client_credential") {
            return Reply::code(INVALID_GRANT_TYPE);
        }
        let Some(appid) = required(query, "appid") else {
            return Reply::code(APPID_MISSING);
        };
        let Some(secret) = required(query, "secret") else {
            return Reply::code(APPSECRET_MISSING);
        };
        match st.mp.get(appid) {
            None => return Reply::code(INVALID_APPID),
            Some(s) if s != secret => return Reply::code(INVALID_APPSECRET),
            Some(_) => {}
        }
        let used = st
            .daily_token_calls
            .entry((appid.into(), beijing_day(now)))
            .or_default();
        if *used >= self.config.token_daily_quota {
            return Reply::code(API_LIMIT);
        }
        *used += 1;
        let token = self.replace(st, now, appid, TokenKind::Mp, ms(self.config.grace));
        st.current_mp.insert(appid.into(), token.clone());
        st.fetches.issued += 1;
        Reply::json(
            200,
            &json!({"access_token": token, "expires_in": self.config.token_ttl.as_secs()}),
        )
    }

    fn stable_token(&self, st: &mut State, now: u64, req: &Incoming) -> Reply {
        if req.method != "POST" {
            return Reply::code(REQUIRE_POST_METHOD);
        }
        let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&req.body) else {
            return Reply::error(DATA_FORMAT_ERROR, "data format error: the body is not a JSON object");
        };
        if body.get("grant_type").and_then(Value::as_str) != Some("client_credential") {
            return Reply::code(INVALID_GRANT_TYPE);
        }
        let Some(appid) = body.get("appid").and_then(Value::as_str).filter(|s| !s.is_empty()) else {
            return Reply::code(APPID_MISSING);
        };
        let Some(secret) = body.get("secret").and_then(Value::as_str).filter(|s| !s.is_empty()) else {
            return Reply::code(APPSECRET_MISSING);
        };
        let force = match body.get("force_refresh") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Reply::error(DATA_FORMAT_ERROR, "data format error: force_refresh must be a boolean");
            }
        };
        match st.mp.get(appid) {
            None => return Reply::code(INVALID_APPID),
            Some(s) if s != secret => return Reply::code(INVALID_APPSECRET),
            Some(_) => {}
        }
        let slot = st.stable.entry(appid.into()).or_default();
        let current = slot.current.clone();
        let token = if force {
            let today = beijing_day(now);
            let used = slot.forces.iter().filter(|t| beijing_day(**t) == today).count();
            if used >= self.config.stable_force_daily_limit as usize {
                return Reply::error(API_LIMIT, "reach max api daily quota limit (force_refresh: 20 per day)");
            }
            if slot
                .forces
                .last()
                .is_some_and(|last| now.saturating_sub(*last) < ms(self.config.stable_force_interval))
            {
                return Reply::error(
                    API_LIMIT,
                    "reach max api daily quota limit (force_refresh: 30 seconds apart)",
                );
            }
            slot.forces.push(now);
            let grace = ms(self.config.stable_force_grace);
            let token = self.replace(st, now, appid, TokenKind::Stable, grace);
            st.fetches.issued += 1;
            token
        } else {
            let renew = ms(self.config.stable_renew_before);
            let keep = current.as_ref().filter(|t| {
                st.tokens
                    .get(*t)
                    .is_some_and(|r| r.usable(now) && r.expires_ms.saturating_sub(now) > renew)
            });
            match keep {
                Some(token) => token.clone(),
                None => {
                    // The old one (if any) lives out its own lifetime.
                    st.fetches.issued += 1;
                    self.issue(st, now, appid, TokenKind::Stable)
                }
            }
        };
        st.stable.entry(appid.into()).or_default().current = Some(token.clone());
        let left = st.tokens.get(&token).map_or(0, |r| secs_left(r.expires_ms, now));
        Reply::json(200, &json!({"access_token": token, "expires_in": left}))
    }

    fn work_token(&self, st: &mut State, now: u64, query: &Query) -> Reply {
        let Some(corpid) = required(query, "corpid") else {
            return Reply::error(APPID_MISSING, "corpid missing");
        };
        let Some(secret) = required(query, "corpsecret") else {
            return Reply::error(APPSECRET_MISSING, "corpsecret missing");
        };
        match st.work.get(corpid) {
            None => return Reply::error(INVALID_APPID, "invalid corpid"),
            Some(secrets) if !secrets.contains(secret) => {
                return Reply::error(INVALID_CREDENTIAL, "invalid credential");
            }
            Some(_) => {}
        }
        let key = (corpid.to_owned(), secret.to_owned());
        let current = st
            .current_work
            .get(&key)
            .filter(|t| st.tokens.get(*t).is_some_and(|r| r.usable(now)))
            .cloned();
        let token = match current {
            Some(token) => token,
            None => {
                let token = self.issue(st, now, corpid, TokenKind::Work);
                st.current_work.insert(key, token.clone());
                st.fetches.issued += 1;
                token
            }
        };
        let left = st.tokens.get(&token).map_or(0, |r| secs_left(r.expires_ms, now));
        Reply::json(
            200,
            &json!({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": left}),
        )
    }

    // ----- tickets and media -----------------------------------------------------------------

    fn ticket(&self, st: &mut State, now: u64, info: &TokenInfo, kind: &'static str) -> Reply {
        let key = (info.account.clone(), kind);
        let valid = st.tickets.get(&key).filter(|t| now < t.expires_ms);
        let (ticket, expires_ms) = match valid {
            Some(t) => (t.ticket.clone(), t.expires_ms),
            None => {
                st.counter += 1;
                let ticket = format!("MOCK_TICKET_{kind}_{}", self.unique(st.counter));
                let expires_ms = now.saturating_add(ms(self.config.ticket_ttl));
                st.tickets.insert(
                    key,
                    Ticket {
                        ticket: ticket.clone(),
                        expires_ms,
                    },
                );
                (ticket, expires_ms)
            }
        };
        Reply::json(
            200,
            &json!({"errcode": 0, "errmsg": "ok", "ticket": ticket,
                    "expires_in": secs_left(expires_ms, now)}),
        )
    }

    /// The `media` part of a multipart upload, or the error to answer.
    fn media_part(req: &Incoming) -> Result<multipart::Part, Reply> {
        let missing = |why: &str| Reply::error(MEDIA_DATA_MISSING, &format!("media data missing: {why}"));
        if req.method != "POST" {
            return Err(Reply::code(REQUIRE_POST_METHOD));
        }
        let content_type = req
            .content_type
            .as_deref()
            .ok_or_else(|| missing("the request has no Content-Type"))?;
        let parts = multipart::parse(content_type, &req.body).map_err(|e| missing(&e))?;
        let part = parts
            .into_iter()
            .find(|p| p.name == "media")
            .ok_or_else(|| missing("there is no part named `media`"))?;
        if part.filename.as_deref().is_none_or(str::is_empty) {
            return Err(missing("the `media` part has no filename"));
        }
        if part.data.is_empty() {
            return Err(missing("the `media` part is empty"));
        }
        Ok(part)
    }

    fn upload(&self, st: &mut State, now: u64, req: &Incoming, query: &Query, info: &TokenInfo) -> Reply {
        let allowed: &[&str] = match info.kind {
            TokenKind::Work => &["image", "voice", "video", "file"],
            TokenKind::Mp | TokenKind::Stable => &["image", "voice", "video", "thumb"],
        };
        let media_type = match param(query, "type") {
            Some(t) if allowed.contains(&t) => t,
            _ => return Reply::code(INVALID_MEDIA_TYPE),
        };
        let part = match Self::media_part(req) {
            Ok(part) => part,
            Err(reply) => return reply,
        };
        st.counter += 1;
        let n = st.counter;
        let media_id = format!("MOCK_MEDIA_{n}_{}", self.unique(n));
        let created_at = now / 1000;
        st.media_index.insert(media_id.clone(), n);
        st.media.insert(
            n,
            StoredMedia {
                media_id: media_id.clone(),
                account: info.account.clone(),
                media_type: media_type.into(),
                filename: part.filename.unwrap_or_default(),
                content_type: part.content_type,
                data: part.data,
                created_at,
            },
        );
        let body = match info.kind {
            TokenKind::Work => json!({"errcode": 0, "errmsg": "ok", "type": media_type,
                                      "media_id": media_id, "created_at": created_at.to_string()}),
            TokenKind::Mp | TokenKind::Stable => {
                json!({"type": media_type, "media_id": media_id, "created_at": created_at})
            }
        };
        Reply::json(200, &body)
    }

    fn upload_img(&self, st: &mut State, req: &Incoming, info: &TokenInfo) -> Reply {
        if let Err(reply) = Self::media_part(req) {
            return reply;
        }
        st.counter += 1;
        let url = format!("http://mmbiz.qpic.cn/mmbiz_jpg/MOCK{}/0", self.unique(st.counter));
        let body = match info.kind {
            TokenKind::Work => json!({"errcode": 0, "errmsg": "ok", "url": url}),
            TokenKind::Mp | TokenKind::Stable => json!({"url": url}),
        };
        Reply::json(200, &body)
    }

    fn download(&self, st: &mut State, now: u64, query: &Query, info: &TokenInfo) -> Reply {
        // WeChat answers media/get errors as JSON labelled text/plain.
        let plain = |code: i64| Reply {
            content_type: "text/plain".into(),
            ..Reply::code(code)
        };
        let Some(media_id) = required(query, "media_id") else {
            return plain(MEDIA_ID_MISSING);
        };
        let ttl = ms(self.config.media_ttl);
        let found = st
            .media_index
            .get(media_id)
            .and_then(|n| st.media.get(n))
            .filter(|m| m.account == info.account)
            .filter(|m| now < (m.created_at * 1000).saturating_add(ttl));
        let Some(media) = found else {
            return plain(INVALID_MEDIA_ID);
        };
        let filename: Vec<u8> = media
            .filename
            .bytes()
            .filter(|b| *b >= 0x20 && *b != 0x7f && *b != b'"' && *b != b'\\')
            .collect();
        let mut disposition = b"attachment; filename=\"".to_vec();
        disposition.extend_from_slice(&filename);
        disposition.push(b'"');
        Reply {
            status: 200,
            content_type: media
                .content_type
                .clone()
                .unwrap_or_else(|| "application/octet-stream".into()),
            headers: vec![("content-disposition", disposition)],
            body: media.data.clone(),
            errcode: None,
        }
    }
}

/// What the log says about one request.
struct Record {
    outcome: Outcome,
    token: Option<TokenInfo>,
    fault: Option<Fault>,
    status: Option<u16>,
    errcode: Option<i64>,
}

impl State {
    fn supersede(&mut self, token: &str, until: u64) {
        if let Some(rec) = self.tokens.get_mut(token) {
            rec.revoked_ms = Some(rec.revoked_ms.map_or(until, |r| r.min(until)));
        }
    }

    /// The token check every API call goes through.
    fn check_token(&self, now: u64, token: Option<&str>) -> Result<TokenInfo, (i64, Option<TokenInfo>)> {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Err((ACCESS_TOKEN_MISSING, None));
        };
        if !token_shaped(token) {
            return Err((INVALID_ACCESS_TOKEN, None));
        }
        let Some(rec) = self.tokens.get(token) else {
            return Err((INVALID_CREDENTIAL, None));
        };
        let info = Some(rec.info.clone());
        if rec.invalidated || rec.revoked_ms.is_some_and(|r| now >= r) {
            return Err((INVALID_CREDENTIAL, info));
        }
        if now >= rec.expires_ms {
            return Err((ACCESS_TOKEN_EXPIRED, info));
        }
        Ok(rec.info.clone())
    }
}

/// The answer of a fault that does not process the request; `None` drops the connection.
fn fault_reply(fault: &Fault) -> Option<Reply> {
    match fault {
        Fault::Errcode { errcode, errmsg } => Some(Reply::error(*errcode, errmsg)),
        Fault::Busy => Some(Reply::code(SYSTEM_BUSY)),
        Fault::RateLimited => Some(Reply::code(API_LIMIT)),
        Fault::Html500 => Some(Reply {
            status: 500,
            content_type: "text/html".into(),
            headers: Vec::new(),
            body: b"<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n\
<body>\r\n<center><h1>500 Internal Server Error</h1></center>\r\n<hr><center>nginx</center>\r\n\
</body>\r\n</html>\r\n"
                .to_vec(),
            errcode: None,
        }),
        Fault::Garbage => Some(Reply {
            status: 200,
            content_type: JSON_TYPE.into(),
            headers: Vec::new(),
            body: b"\x00\xff<<mock garbage>> {errcode: not json\xfe".to_vec(),
            errcode: None,
        }),
        Fault::Drop => None,
        // Faults that process the request never get here; answer as if processed-and-lost.
        Fault::DelayBefore(_) | Fault::DelayAfter(_) | Fault::DropAfter | Fault::TruncatedJson => None,
    }
}
