//! Connections: the accept loop of one listener, HTTP/1.1 (over TLS with `--tls`: the first
//! byte tells a handshake from plain HTTP, which gets a 400 naming the https URL; and HTTP/2
//! when the client offers it by ALPN, as browsers do) with a request-head read timeout,
//! request bodies that fail when they stop arriving, and a stop with a deadline.
//!
//! On stop the listener closes at once, every connection is told to finish its request and
//! close (idle keep-alive connections close immediately), and whatever is still open when the
//! shutdown deadline passes is dropped: a client holding a half-sent request cannot keep the
//! process alive. A body cut that way fails its request like any broken body, so nothing it
//! was writing becomes visible (bodies go to `tmp/` and are renamed only once complete).

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt as _;

/// The connection-level time limits.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// A request head (request line and headers) must arrive within this.
    pub header_read: Duration,
    /// A request body that sends nothing for this long fails its request.
    pub body_idle: Duration,
    /// After a stop, connections still open this long are closed.
    pub shutdown: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(30),
            body_idle: Duration::from_secs(30),
            shutdown: Duration::from_secs(5),
        }
    }
}

/// What a listener speaks.
#[derive(Clone)]
pub enum Transport {
    Http,
    /// TLS (`serve --tls`); a client speaking plain HTTP to it gets a 400 naming `https_url`.
    Https {
        acceptor: tokio_rustls::TlsAcceptor,
        https_url: String,
    },
}

/// The first byte of a TLS connection: a handshake record.
const TLS_HANDSHAKE: u8 = 0x16;

/// Serves `listener` until `stopped` turns true, then waits for open connections up to the
/// shutdown deadline. Returns how many connections the deadline cut.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    timeouts: Timeouts,
    transport: Transport,
    mut stopped: watch::Receiver<bool>,
) -> usize {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(timeouts.header_read);
    let mut http2 = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    http2.timer(TokioTimer::new());
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = until_stopped(&mut stopped) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let tcp = match accepted {
                    Ok((tcp, _peer)) => tcp,
                    Err(error) => {
                        // Out of file descriptors and the like: wait rather than spin.
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                // TCP_NODELAY: small responses otherwise wait on Nagle's algorithm (about 40 ms).
                let _ = tcp.set_nodelay(true);
                let router = router.clone();
                let idle = timeouts.body_idle;
                let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                    // A request without a body (most GETs) has nothing to watch.
                    let mut request = request.map(|body| {
                        if body.is_end_stream() {
                            Body::new(body)
                        } else {
                            Body::new(IdleBody::new(body, idle))
                        }
                    });
                    host_from_authority(&mut request);
                    router.clone().oneshot(request)
                });
                let http = http.clone();
                let stop = stopped.clone();
                match &transport {
                    Transport::Http => {
                        let connection = http.serve_connection(TokioIo::new(tcp), service);
                        connections.spawn(drive(connection, stop));
                    }
                    Transport::Https { acceptor, https_url } => {
                        let (acceptor, https_url) = (acceptor.clone(), https_url.clone());
                        let limit = timeouts.header_read;
                        let http2 = http2.clone();
                        connections.spawn(async move {
                            // The handshake runs in the connection's task: a slow client never
                            // holds up the accept loop. It has the request-head time limit.
                            let mut first = [0u8; 1];
                            match tokio::time::timeout(limit, tcp.peek(&mut first)).await {
                                Ok(Ok(1)) if first[0] == TLS_HANDSHAKE => {
                                    match tokio::time::timeout(limit, acceptor.accept(tcp)).await {
                                        Ok(Ok(tls)) if tls.get_ref().1.alpn_protocol() == Some(b"h2") => {
                                            drive(http2.serve_connection(TokioIo::new(tls), service), stop).await;
                                        }
                                        Ok(Ok(tls)) => drive(http.serve_connection(TokioIo::new(tls), service), stop).await,
                                        Ok(Err(error)) => tracing::debug!(%error, "TLS handshake failed"),
                                        Err(_) => tracing::debug!("TLS handshake timed out"),
                                    }
                                }
                                Ok(Ok(1)) => {
                                    let mut http = http;
                                    http.keep_alive(false);
                                    let answer = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                                        std::future::ready(Ok::<_, std::convert::Infallible>(speaks_https(&request, &https_url)))
                                    });
                                    drive(http.serve_connection(TokioIo::new(tcp), answer), stop).await;
                                }
                                _ => {}
                            }
                        });
                    }
                }
            }
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(timeouts.shutdown, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_ok() {
        return 0;
    }
    let cut = connections.len();
    connections.abort_all();
    while connections.join_next().await.is_some() {}
    cut
}

/// A connection of either HTTP version: it runs to its end, or finishes what it has started
/// and closes when told to.
trait Graceful: std::future::Future<Output = hyper::Result<()>> {
    fn graceful_shutdown(self: Pin<&mut Self>);
}

impl<I, S, B> Graceful for hyper::server::conn::http1::Connection<I, S>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::HttpService<Incoming, ResBody = B>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: HttpBody + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn graceful_shutdown(self: Pin<&mut Self>) {
        hyper::server::conn::http1::Connection::graceful_shutdown(self);
    }
}

impl<I, S, B> Graceful for hyper::server::conn::http2::Connection<I, S, TokioExecutor>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::HttpService<Incoming, ResBody = B>,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: HttpBody + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn graceful_shutdown(self: Pin<&mut Self>) {
        // HTTP/2: a GOAWAY; streams already open run to their end.
        hyper::server::conn::http2::Connection::graceful_shutdown(self);
    }
}

/// Serves one connection until it ends, or finishes its request and closes on a stop.
async fn drive(connection: impl Graceful, mut stop: watch::Receiver<bool>) {
    let mut connection = std::pin::pin!(connection);
    let ended = tokio::select! {
        ended = connection.as_mut() => ended,
        () = until_stopped(&mut stop) => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = ended {
        tracing::debug!(%error, "connection ended with an error");
    }
}

/// HTTP/2 names the host in the `:authority` pseudo-header, which hyper puts in the URI and
/// not in `Host`. Everything behind (SigV4's canonical headers, s3s, the redirect checks)
/// reads `Host`, so it is written from the authority, as an HTTP/1.1 client would have sent it.
fn host_from_authority<B>(request: &mut hyper::Request<B>) {
    if request.version() != hyper::Version::HTTP_2 || request.headers().contains_key(hyper::header::HOST) {
        return;
    }
    let host = request
        .uri()
        .authority()
        .and_then(|authority| hyper::header::HeaderValue::from_str(authority.as_str()).ok());
    if let Some(host) = host {
        request.headers_mut().insert(hyper::header::HOST, host);
    }
}

/// The answer to plain HTTP on a TLS port (nginx answers the same way): 400, and the URL to use.
fn speaks_https(request: &hyper::Request<Incoming>, https_url: &str) -> hyper::Response<Body> {
    // The client's own Host names the machine as the client reaches it (a container's name);
    // it is only echoed in this error text, never written into a token or URL handed out.
    let base = request
        .headers()
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| https_url.to_owned(), |host| format!("https://{host}"));
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let text = format!("This port speaks HTTPS; use {base}{path}\n");
    hyper::Response::builder()
        .status(hyper::StatusCode::BAD_REQUEST)
        .header(hyper::header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(hyper::header::CONNECTION, "close")
        .body(Body::from(text))
        .unwrap_or_default()
}

/// Returns once the stop flag is set (or its sender is gone).
async fn until_stopped(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// The client stopped sending its request body.
#[derive(Debug, thiserror::Error)]
#[error("the request body sent nothing for {0:?}")]
pub struct BodyIdle(Duration);

/// A request body that fails with [`BodyIdle`] when no data arrives for `idle` while the
/// handler waits for it. The clock only runs while the handler is waiting: a handler busy
/// elsewhere does not make the client late.
struct IdleBody {
    inner: Incoming,
    idle: Duration,
    /// Created the first time the body has to wait.
    timer: Option<Pin<Box<Sleep>>>,
    armed: bool,
}

impl IdleBody {
    fn new(inner: Incoming, idle: Duration) -> Self {
        Self {
            inner,
            idle,
            timer: None,
            armed: false,
        }
    }
}

impl HttpBody for IdleBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.armed = false;
                Poll::Ready(frame.map(|frame| frame.map_err(Into::into)))
            }
            Poll::Pending => {
                let deadline = Instant::now() + this.idle;
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if !this.armed {
                    timer.as_mut().reset(deadline);
                    this.armed = true;
                }
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyIdle(this.idle))))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
