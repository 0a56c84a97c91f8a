//! The worker's HTTP endpoint: `/metrics` for Prometheus, `/healthz` for liveness and `/readyz`
//! for readiness probes.
//!
//! * `/healthz` is 200 while the consume loop ticks (it updates a heartbeat every second) and
//!   no fatal error has occurred; a wedged loop or a fatal error makes it 503, so the
//!   orchestrator restarts the process.
//! * `/readyz` is 200 once the worker is connected, the dedup window is restored and it has
//!   subscribed (partitions assigned or waiting for them), until shutdown or a fatal error.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

/// A consume loop silent for longer than this is considered stuck.
pub const HEARTBEAT_LIMIT: Duration = Duration::from_secs(30);

/// What the endpoint reports on: the worker's health as the probes and Prometheus see it, and
/// nothing else of its state (the worker's shared state implements it).
pub trait Health: Send + Sync + 'static {
    /// Whether a fatal error has occurred.
    fn failed(&self) -> bool;
    /// Time since the consume loop last ticked.
    fn heartbeat_age(&self) -> Duration;
    /// Ready to process articles, and not failed.
    fn is_ready(&self) -> bool;
    /// The metrics in Prometheus' text format.
    fn encode_metrics(&self) -> String;
}

type Handle = Arc<dyn Health>;

async fn metrics(State(health): State<Handle>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        health.encode_metrics(),
    )
}

async fn healthz(State(health): State<Handle>) -> impl IntoResponse {
    if health.failed() {
        return (StatusCode::SERVICE_UNAVAILABLE, "fatal error\n");
    }
    if health.heartbeat_age() > HEARTBEAT_LIMIT {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "consume loop not responding\n",
        );
    }
    (StatusCode::OK, "ok\n")
}

async fn readyz(State(health): State<Handle>) -> impl IntoResponse {
    if health.is_ready() {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
    }
}

/// Binds `addr` and serves the endpoint on the current tokio runtime until the returned task is
/// aborted. Binding happens before this returns, so a taken port fails start-up.
pub async fn serve(
    addr: SocketAddr,
    health: Handle,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(health);
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "HTTP endpoint stopped");
        }
    });
    tracing::info!(addr = %local, "HTTP endpoint listening (/metrics, /healthz, /readyz)");
    Ok((local, task))
}
