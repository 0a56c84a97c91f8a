//! Shutdown: after the consume loop ends, let the processing threads finish, wait (bounded)
//! for in-flight outputs, flush, make the final commit, stop the index follower, and report.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rdkafka::consumer::Consumer;
use rdkafka::producer::Producer;

use super::commit::Reason;
use super::consume::LoopEnd;
use super::process::Lanes;
use super::publish::Producer_;
use super::shared::Shared;
use super::startup::Running;
use super::worker::{join_named, Consumer_, WorkerError, WorkerSummary};
use crate::config::WorkerConfig;

/// Ends the run the consume loop stopped with `outcome`: a clean drain and commit after a
/// shutdown request; no further commit after a fatal error (nor after a processing thread
/// panicked). Returns the run's totals, or why it failed.
pub(super) async fn finish(
    cfg: &WorkerConfig,
    shared: &Shared,
    running: Running,
    outcome: LoopEnd,
) -> Result<WorkerSummary, WorkerError> {
    let Running {
        producer,
        consumer,
        transactions,
        follower,
        stop_follower,
        lanes: Lanes { senders, threads },
        spans,
    } = running;
    shared.set_ready(false);
    // Closing the job channels lets the processing threads finish what they hold and exit.
    drop(senders);

    let result = match outcome {
        LoopEnd::Fatal(message) => Err(WorkerError::Fatal(message)),
        LoopEnd::Shutdown => {
            let clean = drain_and_commit(cfg, &consumer, &producer, shared).await;
            match shared.fatal() {
                Some(message) => Err(WorkerError::Fatal(message)),
                None => Ok(clean),
            }
        }
    };
    if result.is_err() {
        // Do not let the consumer's close commit anything on our behalf.
        shared.set_fatal("stopping after fatal error".into());
        if let Some(t) = &transactions {
            t.abandon();
        }
    }
    // A processing thread that panicked left its jobs unacknowledged: nothing of them was
    // committed, but the run did not end cleanly.
    let panicked: Vec<String> = threads
        .into_iter()
        .filter_map(|t| {
            let name = t.thread().name().unwrap_or("processing").to_owned();
            t.join().is_err().then_some(name)
        })
        .collect();
    let result = match (result, panicked.is_empty()) {
        (Ok(_), false) => Err(WorkerError::Fatal(format!(
            "processing thread(s) {} panicked",
            panicked.join(", ")
        ))),
        (result, _) => result,
    };
    stop_follower.store(true, Ordering::Relaxed);
    if let Some(f) = follower {
        join_named(f, "dedup-index");
    }
    // The processing threads are done: every span there will be is queued.
    if let Some(spans) = spans {
        tokio::task::block_in_place(|| spans.shutdown());
    }
    let summary = WorkerSummary {
        consumed: shared.counters.consumed.load(Ordering::Relaxed),
        produced: shared.counters.produced.load(Ordering::Relaxed),
        dead_lettered: shared.counters.dead_lettered.load(Ordering::Relaxed),
        dropped_duplicates: shared.counters.dropped_duplicates.load(Ordering::Relaxed),
        transactions_committed: shared
            .counters
            .transactions_committed
            .load(Ordering::Relaxed),
        transactions_aborted: shared.counters.transactions_aborted.load(Ordering::Relaxed),
        clean: matches!(result, Ok(true)),
    };
    tokio::task::block_in_place(|| close_consumer(consumer));
    tracing::info!(?summary, "worker stopped");
    result.map(|_| summary)
}

/// How long leaving the group may take before the worker stops without waiting for it.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Closes the consumer (leaves the group, serving the last rebalance) on a thread of its own,
/// waiting at most [`CLOSE_TIMEOUT`]. Everything to commit is committed by now; a close that
/// hangs inside librdkafka (it has, in a rebalance callback: see `ConsumerCallbacks::rebalance`)
/// must not keep the process from exiting. The group notices a member that did not leave when
/// its session times out.
fn close_consumer(consumer: Consumer_) {
    let (done, closed) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("consumer-close".into())
        .spawn(move || {
            drop(consumer);
            let _ = done.send(());
        });
    match spawned {
        Ok(_) => {
            if closed.recv_timeout(CLOSE_TIMEOUT).is_err() {
                tracing::warn!(
                    timeout_secs = CLOSE_TIMEOUT.as_secs(),
                    "the consumer did not close in time; stopping without waiting for it"
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot start the consumer-close thread"),
    }
}

/// Graceful shutdown after fetching stopped: wait for in-flight outputs, flush, commit.
/// Returns whether everything was acknowledged within the deadline.
async fn drain_and_commit(
    cfg: &WorkerConfig,
    consumer: &Consumer_,
    producer: &Producer_,
    shared: &Shared,
) -> bool {
    let deadline = Instant::now() + cfg.shutdown_timeout;
    let in_flight = shared.tracker().in_flight();
    tracing::info!(in_flight, "draining");
    let shared_wait = |t: &news_enricher_core::offsets::OffsetTracker| t.in_flight() == 0;
    // The wait is short and bounded; blocking a runtime thread is acceptable at shutdown.
    let clean = tokio::task::block_in_place(|| shared.wait_until(deadline, shared_wait));
    let remaining = deadline.saturating_duration_since(Instant::now());
    if let Err(e) = producer.flush(remaining.max(Duration::from_millis(100))) {
        tracing::warn!(error = %e, "producer flush incomplete");
    }
    if shared.fatal().is_some() {
        return false;
    }
    let committed = tokio::task::block_in_place(|| {
        consumer.context().committer.commit(
            consumer,
            shared,
            Reason::Shutdown,
            deadline.max(Instant::now() + Duration::from_secs(1)),
        )
    });
    match committed {
        Some(offsets) => tracing::info!(partitions = offsets.len(), "final commit done"),
        None => return false,
    }
    if !clean {
        tracing::warn!(
            in_flight = shared.tracker().in_flight(),
            "shutdown deadline reached with outputs unacknowledged; they will be redone"
        );
    }
    clean
}
