//! Your own I/O for wechat-core: HTTP/1.0 over a `TcpStream` (plain http; put TLS in front for WeChat), the clock
//! and a [`LocalStore`]; the machine decides. `cargo run -p wechat-core --example custom_executor -- URL APPID SECRET`

use std::time::{SystemTime, UNIX_EPOCH};
use std::{hash::BuildHasher, hash::RandomState, io::Read, io::Write, net::TcpStream};

use wechat_core::api::{Endpoint, mp::user::GetUser};
use wechat_core::call::{Call, Done, Input, LocalStore, Output, Session, TokenTarget};
use wechat_core::{client::ClientConfig, client::Credentials, error::Error, error::TransportError};
use wechat_core::{http::ApiResponse, http::Outgoing, http::TokenKind, time::Timestamp};

/// One exchange: `Connection: close` (HTTP/1.0), the answer read to its end.
fn http(req: &Outgoing) -> std::io::Result<ApiResponse> {
    let rest = req.url.trim_start_matches("http://"); // (an https:// URL fails to connect)
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(host)?;
    write!(stream, "{} {path} HTTP/1.0\r\nHost: {host}\r\n", req.method.as_str())?;
    for (name, value) in &req.headers {
        write!(stream, "{name}: {value}\r\n")?;
    }
    write!(stream, "Content-Length: {}\r\n\r\n", req.body.len())?;
    stream.write_all(&req.body)?;
    let mut raw: Vec<u8> = std::io::BufReader::new(stream).bytes().collect::<Result<_, _>>()?;
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n");
    let status = raw.get(9..12).and_then(|s| std::str::from_utf8(s).ok()?.parse().ok());
    match (status, end) {
        (Some(status), Some(end)) => Ok(ApiResponse::new(status, raw.split_off(end + 4))),
        _ => Err(std::io::Error::other("an answer this example cannot read")),
    }
}

fn now() -> Timestamp {
    Timestamp::from_duration(SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default())
}

/// 16 bytes from the OS-seeded keys of `RandomState` (no extra dependency).
fn random() -> [u8; 16] {
    let r = RandomState::new();
    (u128::from(r.hash_one(1u8)) << 64 | u128::from(r.hash_one(2u8))).to_le_bytes()
}

/// The endpoint's parse of an answer (the caller keeps the value).
type Parse<'a> = &'a mut dyn FnMut(ApiResponse) -> Result<(), Error>;

/// The executor: a session, a store, and a count of what went over the wire.
pub struct Executor(Session, LocalStore, pub usize);

impl Executor {
    /// The loop every transport runs: act on each output, feed back its answer.
    fn run(&mut self, start: impl FnOnce(&mut Session) -> Call, parse: Parse<'_>) -> Result<Done, Error> {
        let mut call = start(&mut self.0);
        loop {
            match call.poll(&mut self.0, now()) {
                Output::Send(request) => {
                    self.2 += 1;
                    let answer = http(&request).map_err(TransportError::from);
                    call.handle(&mut self.0, now(), Input::Response(answer));
                }
                Output::Store(op) => call.handle(&mut self.0, now(), Input::Store(Ok(self.1.run(op, now())))),
                Output::Parse(answer) => call.handle(&mut self.0, now(), Input::Parsed(parse(answer))),
                Output::Wait { until } => std::thread::sleep(now().until(until)),
                Output::Wake => {} // one thread: nobody else waits
                Output::Done(result) => return result,
            }
        }
    }

    /// One endpoint, parsed.
    pub fn call<E: Endpoint>(&mut self, endpoint: &E) -> Result<E::Output, Error> {
        let (request, mut value) = (endpoint.request()?, None);
        let mut parse = |a: ApiResponse| endpoint.parse(a).map(|v| value = Some(v));
        self.run(|s| Call::new(s, request, random()), &mut parse)?;
        value.ok_or(Error::Misuse("no answer".into()))
    }
}

/// A token, then `user/info`.
pub fn run(base: &str, app_id: &str, secret: &str) -> Result<Executor, Error> {
    let mut config = ClientConfig::default();
    config.api_base = Some(base.into());
    let session = Session::new(config, Credentials::mp(app_id, secret).credential(), random());
    let mut exec = Executor(session, LocalStore::new(), 0);
    let token = |s: &mut Session| Call::token(s, TokenTarget::Role(TokenKind::AccessToken), false);
    exec.run(token, &mut |_| Ok(()))?;
    let user = exec.call(&GetUser {
        openid: "oUser".into(),
        lang: None,
    })?;
    println!("user {} subscribed: {}", user.openid, user.subscribe);
    Ok(exec)
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, app_id, secret] = args.as_slice() else {
        return Err(Error::Misuse("usage: custom_executor BASE_URL APPID SECRET".into()));
    };
    run(base, app_id, secret).map(drop)
}
