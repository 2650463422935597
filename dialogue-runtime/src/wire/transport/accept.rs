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
            let mut request = request.map(axum::body::Body::new);
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
