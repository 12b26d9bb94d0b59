//! An echo bot mounted in an axum app, both ways:
//!
//! - `/wechat`: the [`CallbackServer`] as a tower service (`Router::route_service`); it reads
//!   the body itself with its limit and timeout;
//! - `/wechat-handler`: an ordinary axum handler calling [`CallbackServer::handle`]; axum
//!   reads the body, so axum's `DefaultBodyLimit` applies.
//!
//! ```text
//! WECHAT_TOKEN=... cargo run -p wechat-async --features server --example axum_echo
//! ```
//!
//! (plain mode; set `WECHAT_AES_KEY` and `WECHAT_APP_ID` for safe mode). Try it with
//! `wechat simulate` against `http://127.0.0.1:8080/wechat`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::Method;
use axum::routing::any;
use wechat_async::server::{CallbackConfig, CallbackHandler, CallbackServer, Message, Mode, Reply};
use wechat_async::wechat_core::message::Body;

/// Echoes text messages; everything else gets no reply.
pub async fn echo(message: Message) -> Option<Reply> {
    match &message.body {
        Body::Text(text) => Some(Reply::text(&message, text.content.clone().unwrap_or_default())),
        _ => None,
    }
}

/// The handler form: any framework that gives you the method, the raw query and the body.
pub async fn wechat_handler(
    State(server): State<CallbackServer>,
    method: Method,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> http::Response<String> {
    server
        .handle(method.as_str(), query.as_deref().unwrap_or(""), &body)
        .await
}

/// The app: the callback server at `/wechat` (service) and `/wechat-handler` (handler).
pub fn app(server: CallbackServer) -> Router {
    let limit = server.handler().config().max_body;
    Router::new()
        .route_service("/wechat", server.clone())
        .route("/wechat-handler", any(wechat_handler))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(server)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = std::env::var("WECHAT_TOKEN").unwrap_or_else(|_| String::from("token"));
    let config = match (std::env::var("WECHAT_AES_KEY"), std::env::var("WECHAT_APP_ID")) {
        (Ok(key), Ok(app_id)) => CallbackConfig::mp_encrypted(Mode::Safe, token, &key, &app_id)?,
        _ => CallbackConfig::mp_plain(token),
    };
    let server = CallbackServer::new(CallbackHandler::new(config)?, echo);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    println!("listening on http://{}/wechat", listener.local_addr()?);
    axum::serve(listener, app(server)).await?;
    Ok(())
}
