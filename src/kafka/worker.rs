//! The worker's lifecycle: start up (`kafka/startup.rs`), consume (`consume.rs`) while the
//! processing threads enrich (`process.rs`), then shut down (`shutdown.rs`).
//! Rebalances and acknowledgements happen in librdkafka's callbacks ([`super::rebalance`],
//! [`super::delivery`]) over the state they share ([`super::shared`]).

use std::future::Future;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use rdkafka::consumer::StreamConsumer;
use rdkafka::error::KafkaError;

use super::rebalance::ConsumerCallbacks;
use super::shared::Shared;
use super::startup::stopped_while_starting;
use super::{consume, shutdown, startup};
use crate::config::WorkerConfig;

/// The input consumer, with the callbacks that drain and commit on revoke.
pub(super) type Consumer_ = StreamConsumer<ConsumerCallbacks>;

/// Why the worker stopped abnormally. The process should exit non-zero so the orchestrator
/// restarts it; everything after the last commit is consumed again.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// A Kafka client could not be created or configured. The message never carries a
    /// property's value (it may be a secret).
    #[error("kafka client setup: {0}")]
    Setup(String),
    /// Startup checks failed (unreachable brokers, missing topics).
    #[error("startup check failed: {0}")]
    Startup(String),
    /// A delivery failed or a client hit a fatal error.
    #[error("fatal: {0}")]
    Fatal(String),
}

impl From<KafkaError> for WorkerError {
    fn from(e: KafkaError) -> Self {
        match e {
            // librdkafka's message would repeat the value, which may be a password.
            KafkaError::ClientConfig(_, description, key, value) => {
                let description = if value.is_empty() {
                    description
                } else {
                    description.replace(&value, "***")
                };
                WorkerError::Setup(format!("property `{key}`: {description}"))
            }
            e => WorkerError::Setup(e.to_string()),
        }
    }
}

/// Totals of one run, logged at the end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerSummary {
    /// Messages received.
    pub consumed: u64,
    /// Enriched records acknowledged.
    pub produced: u64,
    /// Dead-letter records acknowledged.
    pub dead_lettered: u64,
    /// Duplicates not published (`drop` policy).
    pub dropped_duplicates: u64,
    /// Exactly-once: transactions committed.
    pub transactions_committed: u64,
    /// Exactly-once: transactions aborted (their batches redone).
    pub transactions_aborted: u64,
    /// Whether the shutdown finished all in-flight work within its deadline.
    pub clean: bool,
}

/// Runs the worker until `shutdown` resolves (graceful) or a fatal error occurs.
pub async fn run_worker(
    cfg: WorkerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<WorkerSummary, WorkerError> {
    let shared = Arc::new(Shared::new(cfg.rebalance_drain_timeout));
    shared.beat();
    // Probes answer from the start: alive while starting, ready only once restored.
    let http = match cfg.http_addr {
        Some(addr) => Some(
            crate::http::serve(addr, shared.clone())
                .await
                .map_err(|e| WorkerError::Startup(format!("cannot listen on {addr}: {e}")))?
                .1,
        ),
        None => None,
    };
    let _http = http.map(AbortOnDrop);
    run(cfg, shared, shutdown).await
}

/// Aborts a background task when dropped, on every exit path.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The run once the probes answer: start up, consume until told to stop (or a fatal error),
/// then shut down.
async fn run(
    cfg: WorkerConfig,
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()>,
) -> Result<WorkerSummary, WorkerError> {
    tokio::pin!(shutdown);
    // Start-up (topic checks, index restore) can take minutes; the process is alive meanwhile.
    // The guard stops these beats however start-up ends; then the consume loop beats itself.
    let starting = AbortOnDrop({
        let shared = shared.clone();
        tokio::spawn(async move {
            loop {
                shared.beat();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })
    });
    let Some(running) = startup::start(&cfg, &shared, &mut shutdown).await? else {
        return Ok(stopped_while_starting(&shared));
    };
    drop(starting);
    let outcome = consume::consume_loop(
        &cfg,
        &running.consumer,
        &shared,
        &running.lanes.senders,
        shutdown.as_mut(),
    )
    .await;
    shutdown::finish(&cfg, &shared, running, outcome).await
}

/// Joins a helper thread whose failure cannot change the run's outcome any more, logging a
/// panic instead of dropping it.
pub(super) fn join_named(handle: JoinHandle<()>, name: &str) {
    if handle.join().is_err() {
        tracing::error!(thread = name, "thread panicked");
    }
}
