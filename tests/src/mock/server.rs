//! The HTTP/1.1 glue: a hyper 1 server per connection, one tokio task each.

use core::fmt;
use core::net::SocketAddr;
use core::sync::atomic::{AtomicUsize, Ordering};
use core::time::Duration;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming as Body};
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::watch;

use super::Fault;
use super::state::{Incoming, Reply, Shared};

/// The error a handler returns to make hyper close the connection without an answer.
#[derive(Debug)]
struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("mock: connection dropped on purpose")
    }
}

impl core::error::Error for DropConnection {}

/// Owns the running server; dropping it stops the server.
pub(crate) struct ServerHandle {
    pub(crate) addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    runtime: Option<Runtime>,
    connections: Arc<AtomicUsize>,
}

impl ServerHandle {
    pub(crate) fn open_connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
        if let Some(runtime) = self.runtime.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                // Blocking is not allowed inside a runtime; the workers wind down on their own.
                runtime.shutdown_background();
            } else {
                // Wait, so that the port is closed when drop returns.
                runtime.shutdown_timeout(Duration::from_secs(2));
            }
        }
    }
}

/// Binds with a large backlog (tests open 1000+ connections at once). Needs a runtime context.
fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}

fn launch(shared: Arc<Shared>, runtime: Option<Runtime>) -> ServerHandle {
    let rt_handle = runtime.as_ref().map(|r| r.handle().clone());
    let _guard = rt_handle.as_ref().map(tokio::runtime::Handle::enter);
    let listener =
        bind(shared.config.addr).unwrap_or_else(|e| panic!("mock WeChat: cannot bind {}: {e}", shared.config.addr));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("mock WeChat: no local address: {e}"));
    let (shutdown, rx) = watch::channel(false);
    let connections = Arc::new(AtomicUsize::new(0));
    tokio::spawn(accept_loop(listener, shared, rx, connections.clone()));
    ServerHandle {
        addr,
        shutdown,
        runtime,
        connections,
    }
}

/// Serves on the caller's tokio runtime.
pub(crate) fn start_on_current(shared: Arc<Shared>) -> ServerHandle {
    launch(shared, None)
}

/// Serves on a runtime of its own (two worker threads).
pub(crate) fn start_background(shared: Arc<Shared>) -> ServerHandle {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("mock-wechat")
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("mock WeChat: cannot build a runtime: {e}"));
    launch(shared, Some(runtime))
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    // An error means the handle is gone: stop as well.
    let _ = rx.wait_for(|stop| *stop).await;
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    rx: watch::Receiver<bool>,
    connections: Arc<AtomicUsize>,
) {
    let stop = stopped(rx.clone());
    tokio::pin!(stop);
    loop {
        let accepted = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _)) => {
                // Counted before the task starts, released however the task ends (even unpolled).
                connections.fetch_add(1, Ordering::SeqCst);
                let guard = ConnectionGuard(connections.clone());
                tokio::spawn(connection(stream, shared.clone(), rx.clone(), guard));
            }
            // Out of file descriptors and the like: back off, keep serving.
            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

/// Decrements the open-connection count when a connection task ends (or is cancelled).
struct ConnectionGuard(Arc<AtomicUsize>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn connection(stream: TcpStream, shared: Arc<Shared>, rx: watch::Receiver<bool>, _guard: ConnectionGuard) {
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |req| handle(shared.clone(), req));
    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        // Protocol errors and deliberate drops end the connection; nothing to report.
        _ = conn => {}
        () = stopped(rx) => {}
    }
}

async fn handle(shared: Arc<Shared>, req: Request<Body>) -> Result<Response<Full<Bytes>>, DropConnection> {
    let (parts, body) = req.into_parts();
    let mut incoming = Incoming {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        content_type: parts
            .headers
            .get(CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        user_agent: parts
            .headers
            .get(hyper::header::USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        body: Vec::new(),
    };
    match Limited::new(body, shared.config.max_body_bytes).collect().await {
        Ok(collected) => incoming.body = collected.to_bytes().to_vec(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            let reply = shared.reject(&incoming, Reply::rejection(413, "request body too large"));
            return Ok(response(reply));
        }
        // The client went away mid-body.
        Err(_) => return Err(DropConnection),
    }
    let fault = shared.take_fault(&incoming.path);
    if let Some(Fault::DelayBefore(d)) = &fault {
        tokio::time::sleep(*d).await;
    }
    let reply = shared.respond(&incoming, fault.as_ref());
    if let Some(Fault::DelayAfter(d)) = &fault {
        tokio::time::sleep(*d).await;
    }
    reply.map(response).ok_or(DropConnection)
}

fn response(reply: Reply) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(reply.body)));
    *resp.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&reply.content_type) {
        headers.insert(CONTENT_TYPE, v);
    }
    for (name, value) in reply.headers {
        if let Ok(v) = HeaderValue::from_bytes(&value) {
            headers.insert(HeaderName::from_static(name), v);
        }
    }
    resp
}
