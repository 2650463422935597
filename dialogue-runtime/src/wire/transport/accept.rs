//! The HTTP server: accepts on a [`DialogueListener`] and serves each
//! connection with hyper, with a bound on every request head.
//!
//! `axum::serve` gives hyper no timer, so hyper's header read timeout never
//! runs: a connection that never sends a request (or sends one a byte at a
//! time) holds its descriptor forever, and a few thousand of them exhaust
//! the process's descriptors (docs/reliability.md). Here each connection
//! has `head_timeout` to send each request head, the first and every next
//! one on a kept-alive connection; an upgraded WebSocket or a long-poll in
//! flight is past its head and unaffected.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::connect_info::ConnectInfo;
use axum::serve::Listener;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::watch;
use tower_service::Service;

use super::DialogueListener;

/// Serves `app` on `listener` until `stop` completes, then lets each
/// connection finish its request (upgraded ones go on until they close;
/// the engine's shutdown closes those) and returns once all are done.
pub(crate) async fn serve(
    mut listener: DialogueListener,
    app: Router,
    head_timeout: Duration,
    stop: impl Future<Output = ()>,
) {
    // `closing` tells each connection to finish; every connection task
    // holds a receiver of `done`, whose sender sees them all gone.
    let (closing, closing_seen) = watch::channel(false);
    let (done, done_seen) = watch::channel(());
    let mut stop = std::pin::pin!(stop);
    loop {
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stop => break,
        };
        let app = app.clone();
        // Handlers find the peer (and its kill switch) as `ConnectInfo`,
        // as with axum's `into_make_service_with_connect_info`.
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = detach(request).map(axum::body::Body::new);
            request.extensions_mut().insert(ConnectInfo(peer.clone()));
            // A router is always ready: no `poll_ready` needed.
            app.clone().call(request)
        });
        let mut closing = closing_seen.clone();
        let done = done_seen.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(head_timeout);
            let connection = builder
                .serve_connection(TokioIo::new(io), service)
                .with_upgrades();
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        tracing::trace!(%error, "a connection ended with an error");
                    }
                }
                _ = async { closing.wait_for(|closing| *closing).await.is_ok() } => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            drop(done);
        });
    }
    drop(listener);
    let _ = closing.send(true);
    drop(done_seen);
    drop(closing_seen);
    done.closed().await;
}

/// Copies the request's URI and header values out of hyper's read buffer.
///
/// hyper parses a request head in place: the URI and every header value
/// are `Bytes` slices of the connection's read buffer (8 KB, grown to
/// 16 KB for a typical WebSocket head). engine.io keeps the request's
/// parts for the life of the socket (`Socket::req_parts`), so those slices
/// would hold the whole buffer for as long as the connection lives, long
/// after the upgrade has handed the stream to tungstenite. A copy costs
/// a few hundred bytes once per request and frees the buffer with hyper's
/// connection (docs/benchmarks.md, "Memory per connection").
fn detach<B>(mut request: hyper::Request<B>) -> hyper::Request<B> {
    if let Ok(uri) = request.uri().to_string().parse() {
        *request.uri_mut() = uri;
    }
    for value in request.headers_mut().values_mut() {
        if let Ok(copy) = hyper::header::HeaderValue::from_bytes(value.as_bytes()) {
            let sensitive = value.is_sensitive();
            *value = copy;
            value.set_sensitive(sensitive);
        }
    }
    request
}

#[cfg(test)]
mod tests {
    use super::detach;
    use hyper::body::Bytes;
    use hyper::header::HeaderValue;

    /// Whether `part` lies inside `buffer`'s allocation.
    fn inside(part: &[u8], buffer: &Bytes) -> bool {
        let range = buffer.as_ptr_range();
        range.contains(&part.as_ptr())
    }

    #[test]
    fn detach_copies_the_head_out_of_the_read_buffer() {
        // As hyper does: the URI and the header values are slices of one
        // read buffer.
        let buffer = Bytes::from(
            "/socket.io/?EIO=4&transport=websocket dGhlIHNhbXBsZSBub25jZQ== secret".to_owned(),
        );
        let uri = hyper::Uri::from_maybe_shared(buffer.slice(0..37)).unwrap();
        let key = HeaderValue::from_maybe_shared(buffer.slice(38..62)).unwrap();
        let mut token = HeaderValue::from_maybe_shared(buffer.slice(63..69)).unwrap();
        token.set_sensitive(true);
        let request = hyper::Request::builder()
            .uri(uri)
            .header("sec-websocket-key", key)
            .header("authorization", token)
            .body(())
            .unwrap();
        assert!(inside(request.uri().path().as_bytes(), &buffer));

        let request = detach(request);

        assert_eq!(request.uri(), "/socket.io/?EIO=4&transport=websocket");
        assert!(!inside(request.uri().path().as_bytes(), &buffer));
        let key = &request.headers()["sec-websocket-key"];
        assert_eq!(key, "dGhlIHNhbXBsZSBub25jZQ==");
        assert!(!inside(key.as_bytes(), &buffer));
        let token = &request.headers()["authorization"];
        assert_eq!(token, "secret");
        assert!(token.is_sensitive(), "sensitivity is kept");
        assert!(!inside(token.as_bytes(), &buffer));
    }
}
