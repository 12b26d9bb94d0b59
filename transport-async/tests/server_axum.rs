//! The axum example (`examples/axum_echo.rs`), driven as it is: the callback server mounted
//! as a tower service and called from an axum handler, through `tower::ServiceExt::oneshot`
//! and over loopback with `axum::serve`.
#![cfg(feature = "server")]

#[path = "../examples/axum_echo.rs"]
#[allow(dead_code)] // its `main` is not used here
mod axum_echo;
mod server_common;

use axum::body::Body;
use http::Request;
use server_common::*;
use tower::ServiceExt;
use wechat_async::server::{CallbackConfig, CallbackHandler, CallbackServer, Kind, Mode};
use wechat_async::wechat_core::callback::signed_query;

fn server() -> CallbackServer {
    let config = CallbackConfig::mp_encrypted(Mode::Compatible, TOKEN, KEY, APP).unwrap();
    CallbackServer::new(CallbackHandler::new(config).unwrap(), axum_echo::echo)
}

async fn call(app: axum::Router, method: &str, uri: String, body: Vec<u8>) -> (u16, String) {
    let response = app
        .oneshot(
            Request::builder()
                .method(method)
                .uri(uri)
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn both_mounts_verify_reply_and_reject() {
    capture_logs();
    let crypto = crypto();
    for path in ["/wechat", "/wechat-handler"] {
        let app = axum_echo::app(server());
        // verification
        let q = signed_query(Kind::Mp, &token(), &now_ts(), "n", Some("ping"), None);
        assert_eq!(
            call(app.clone(), "GET", format!("{path}?{q}"), vec![]).await,
            (200, "ping".into())
        );
        // encrypted echo
        let ts = now_ts();
        let (q, body) = encrypted_request(Kind::Mp, &crypto, &text_xml("via axum", 1), &ts, "ax");
        let (status, reply) = call(app.clone(), "POST", format!("{path}?{q}"), body.into_bytes()).await;
        assert_eq!(status, 200, "{path}: {reply}");
        assert_eq!(reply_content(&open_envelope(&crypto, &reply, &ts, "ax")), "via axum");
        // plaintext (compatible mode) echo
        let (q, body) = plain_request(&text_xml("clear", 2), "ax2");
        let (status, reply) = call(app.clone(), "POST", format!("{path}?{q}"), body.into_bytes()).await;
        assert_eq!((status, reply_content(&reply)), (200, "clear".to_string()), "{path}");
        // rejections
        let (q, body) = plain_request(&text_xml("x", 3), "ax3");
        let forged = q.replace("signature=", "signature=f");
        assert_eq!(
            call(app.clone(), "POST", format!("{path}?{forged}"), body.into_bytes()).await,
            (403, "invalid-signature".into()),
            "{path}"
        );
        let (q, _) = plain_request("", "ax4");
        let (status, _) = call(app.clone(), "POST", format!("{path}?{q}"), vec![b'a'; 2 << 20]).await;
        assert_eq!(status, 413, "{path}");
        assert_eq!(
            call(app.clone(), "PUT", format!("{path}?{q}"), vec![]).await,
            (405, "method-not-allowed".into()),
            "{path}"
        );
    }
    assert_logs_clean();
}

#[tokio::test]
async fn the_example_app_over_loopback() {
    capture_logs();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, axum_echo::app(server())).await });
    let crypto = crypto();
    let ts = now_ts();
    let (q, body) = encrypted_request(Kind::Mp, &crypto, &text_xml("over tcp", 4), &ts, "tcp");
    let r = raw(
        addr,
        format!(
            "POST /wechat?{q} HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .await;
    r.clean();
    assert_eq!(r.status, 200);
    assert_eq!(reply_content(&open_envelope(&crypto, &r.body, &ts, "tcp")), "over tcp");
    // a 10 MiB declared body through the tower service: 413 from the headers alone
    let r = raw(
        addr,
        format!(
            "POST /wechat?{q} HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
            10 << 20
        )
        .as_bytes(),
    )
    .await;
    r.expect(413, "too-large");
}
