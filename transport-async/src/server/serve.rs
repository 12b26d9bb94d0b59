//! The hyper HTTP/1.1 accept loop: one task per connection, header read timeout (which
//! hyper also runs between keep-alive requests), write timeout, keep-alive, graceful shutdown.

use core::future::{Future, poll_fn};
use core::pin::{Pin, pin};
use core::task::{Context, Poll};
use std::convert::Infallible;
use std::io;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};

use super::CallbackServer;

/// The read buffer bound per connection (headers must fit; bodies stream through it).
const MAX_BUF: usize = 64 * 1024;
/// Longer header timeouts are cut to this (about a year, i.e. none).
const MAX_TIMEOUT: Duration = Duration::from_secs(365 * 24 * 3600);

impl CallbackServer {
    /// Serves callbacks on `listener` until the task is dropped: HTTP/1.1 with keep-alive,
    /// one task per connection, the configured header and body read timeouts. Every path
    /// answers (mount the listener's address, any path, as the callback URL).
    ///
    /// Failed accepts (a client that reset, too many open files) are logged and retried; a
    /// broken connection only ends its own task.
    ///
    /// # Errors
    /// Only if `listener` is unusable from the start (its local address cannot be read).
    pub async fn serve(self, listener: TcpListener) -> io::Result<()> {
        self.serve_with_shutdown(listener, core::future::pending()).await
    }

    /// As [`CallbackServer::serve`], until `signal` completes: then the listener is closed,
    /// idle connections are closed, and requests in progress get up to the shutdown timeout
    /// ([`Builder::shutdown_timeout`](super::Builder::shutdown_timeout), default 10 s) to
    /// finish before their connections are dropped. Handlers already running still complete
    /// in the background.
    ///
    /// ```no_run
    /// # async fn demo(
    /// #     server: wechat_async::server::CallbackServer,
    /// #     stop: tokio::sync::oneshot::Receiver<()>,
    /// # ) -> std::io::Result<()> {
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    /// // or `async { tokio::signal::ctrl_c().await.ok(); }` (tokio's `signal` feature)
    /// let signal = async {
    ///     let _ = stop.await;
    /// };
    /// server.serve_with_shutdown(listener, signal).await
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`CallbackServer::serve`].
    pub async fn serve_with_shutdown(self, listener: TcpListener, signal: impl Future<Output = ()>) -> io::Result<()> {
        let addr = listener.local_addr()?;
        tracing::info!("wechat callback server listening on {addr}");
        let mut http = http1::Builder::new();
        http.timer(TokioTimer::new())
            // hyper adds the timeout to `Instant::now()`: keep "forever" from overflowing.
            .header_read_timeout(self.inner.header_read_timeout.min(MAX_TIMEOUT))
            .keep_alive(true)
            .max_buf_size(MAX_BUF);
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut connections = JoinSet::new();
        let max_connections = self.inner.max_connections;
        let mut signal = pin!(signal);
        loop {
            let accepted = poll_fn(|cx| {
                if signal.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(None);
                }
                // Reap finished connection tasks so the set does not grow.
                while let Poll::Ready(Some(_)) = connections.poll_join_next(cx) {}
                if connections.len() >= max_connections {
                    // At the cap: `poll_join_next` wakes us when a connection closes.
                    return Poll::Pending;
                }
                listener.poll_accept(cx).map(Some)
            })
            .await;
            match accepted {
                None => break,
                Some(Ok((stream, peer))) => {
                    tracing::trace!("callback connection from {peer}");
                    connections.spawn(connection(http.clone(), stream, self.clone(), stop_rx.clone()));
                }
                Some(Err(e)) => {
                    tracing::warn!("accepting a callback connection failed: {e}");
                    if !is_connection_error(&e) {
                        // Out of file descriptors or memory: back off instead of spinning.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }
        drop(listener);
        tracing::info!("wechat callback server on {addr} shutting down");
        let _ = stop_tx.send(true);
        let drained = tokio::time::timeout(self.inner.shutdown_timeout, async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                "{} callback connection(s) still open after {:?}; dropping them",
                connections.len(),
                self.inner.shutdown_timeout
            );
            connections.shutdown().await;
        }
        Ok(())
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    )
}

async fn connection(http: http1::Builder, stream: TcpStream, server: CallbackServer, mut stop: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let stream = WriteDeadline::new(stream, server.inner.write_timeout.min(MAX_TIMEOUT));
    let service = service_fn(move |request| {
        let server = server.clone();
        async move { Ok::<_, Infallible>(server.handle_request(request).await) }
    });
    let mut conn = pin!(http.serve_connection(TokioIo::new(stream), service));
    let mut stopped = pin!(async move {
        // Resolves on shutdown, or when the server is gone.
        let _ = stop.wait_for(|stop| *stop).await;
    });
    let finished = poll_fn(|cx| {
        if let Poll::Ready(result) = conn.as_mut().poll(cx) {
            return Poll::Ready(Some(result));
        }
        stopped.as_mut().poll(cx).map(|()| None)
    })
    .await;
    let result = match finished {
        Some(result) => result,
        None => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        // Header timeouts, malformed requests, resets: the client's problem.
        tracing::debug!("callback connection ended: {e}");
    }
}

/// A stream whose writes fail with [`io::ErrorKind::TimedOut`] once one has waited `timeout`
/// without progress. hyper has no write timeout, and its header timer does not run while a
/// reply is waiting, so a client that pipelines requests and never reads the replies would
/// otherwise hold its connection (and a connection slot) forever.
struct WriteDeadline<S> {
    io: S,
    timeout: Duration,
    /// Made on the first write that waits, reset on later ones.
    sleep: Option<Pin<Box<Sleep>>>,
    /// Whether `sleep` is counting down for the write in progress.
    armed: bool,
}

impl<S> WriteDeadline<S> {
    fn new(io: S, timeout: Duration) -> Self {
        Self {
            io,
            timeout,
            sleep: None,
            armed: false,
        }
    }

    /// Passes on a finished write (progress: the clock stops) or, for one that waits, starts
    /// the clock and fails it once the clock has run out.
    fn check<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.armed = false;
            return poll;
        }
        if !self.armed {
            self.armed = true;
            let deadline = Instant::now() + self.timeout;
            match &mut self.sleep {
                Some(sleep) => sleep.as_mut().reset(deadline),
                None => self.sleep = Some(Box::pin(tokio::time::sleep_until(deadline))),
            }
        }
        let expired = self
            .sleep
            .as_mut()
            .is_some_and(|sleep| sleep.as_mut().poll(cx).is_ready());
        if !expired {
            return Poll::Pending;
        }
        self.armed = false;
        tracing::debug!("callback client read nothing for {:?}; closing", self.timeout);
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client did not read the reply within the write timeout",
        )))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteDeadline<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write(cx, buf);
        self.check(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.check(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.io).poll_flush(cx);
        self.check(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.io).poll_shutdown(cx);
        self.check(cx, poll)
    }
}
