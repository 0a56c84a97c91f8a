//! State shared by the consumer loop, the processing threads and librdkafka's callbacks: the
//! offset tracker, the fatal error, readiness and heartbeat, counters, metrics and the lag book.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use tokio::sync::Notify;

use crate::metrics::Metrics;
use news_enricher_core::offsets::{OffsetTracker, Ticket, TopicPartition};

/// What the lag gauge is computed from, per partition.
#[derive(Debug, Default)]
struct LagBook {
    /// The broker's latest high watermark (its last stable offset where there is one), from
    /// librdkafka's statistics.
    high: HashMap<TopicPartition, i64>,
    /// Until this worker commits a partition: the group's committed offset as librdkafka
    /// fetched it, else the log start (`auto.offset.reset=earliest`).
    floor: HashMap<TopicPartition, i64>,
}

/// Counters for the end-of-run summary and the logs.
#[derive(Debug, Default)]
pub struct Counters {
    /// Messages received from the input topic.
    pub consumed: AtomicU64,
    /// Enriched records acknowledged by the broker.
    pub produced: AtomicU64,
    /// Dead-letter records acknowledged by the broker.
    pub dead_lettered: AtomicU64,
    /// Duplicates not published because of the `drop` policy.
    pub dropped_duplicates: AtomicU64,
    /// Exactly-once: transactions committed.
    pub transactions_committed: AtomicU64,
    /// Exactly-once: transactions aborted (their batch redone).
    pub transactions_aborted: AtomicU64,
}

/// State shared between the loop, the processing threads and the callbacks.
pub struct Shared {
    tracker: Mutex<OffsetTracker>,
    /// Signalled whenever an acknowledgement changes the tracker.
    acked: Condvar,
    fatal: Mutex<Option<String>>,
    /// Wakes the consumer loop when [`Shared::set_fatal`] is called.
    pub fatal_notify: Notify,
    /// How long a revoke waits for in-flight outputs.
    pub drain_timeout: Duration,
    /// Counters.
    pub counters: Counters,
    /// Ready to process articles: the dedup window is restored (readiness probes report it).
    pub ready: AtomicBool,
    /// Consumption is paused at the in-flight limit. Pausing acts on the partitions assigned
    /// at that moment, so partitions assigned while it holds are paused as they arrive.
    pub flow_paused: AtomicBool,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// Records handed to the producer whose delivery report has not been handled yet.
    pub unacknowledged: AtomicUsize,
    lag: Mutex<LagBook>,
    /// When the consume loop last ticked, ms after `started`.
    heartbeat: AtomicU64,
    started: Instant,
}

impl crate::http::Health for Shared {
    fn failed(&self) -> bool {
        self.fatal().is_some()
    }

    fn heartbeat_age(&self) -> Duration {
        Shared::heartbeat_age(self)
    }

    fn is_ready(&self) -> bool {
        Shared::is_ready(self)
    }

    fn encode_metrics(&self) -> String {
        self.metrics.encode()
    }
}

impl Shared {
    /// Fresh shared state.
    pub fn new(drain_timeout: Duration) -> Self {
        Shared {
            tracker: Mutex::new(OffsetTracker::new()),
            acked: Condvar::new(),
            fatal: Mutex::new(None),
            fatal_notify: Notify::new(),
            drain_timeout,
            counters: Counters::default(),
            ready: AtomicBool::new(false),
            flow_paused: AtomicBool::new(false),
            metrics: Metrics::new(),
            unacknowledged: AtomicUsize::new(0),
            lag: Mutex::new(LagBook::default()),
            heartbeat: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    /// Sets the lag gauge of those of `tps` this worker owns: the high watermark minus the
    /// offset committed (this worker's last commit, else the group's, else the log start),
    /// never negative. Called on every commit and every statistics report, so the gauge is at
    /// most one commit interval old (statistics come as often as commits).
    pub fn refresh_lag<'t>(&self, tps: impl IntoIterator<Item = &'t TopicPartition>) {
        let book = self.lag.lock().unwrap_or_else(|e| e.into_inner());
        let t = self.tracker();
        for tp in tps {
            if !t.is_assigned(tp) {
                continue;
            }
            let Some(&high) = book.high.get(tp) else {
                continue;
            };
            let Some(base) = t.committed(tp).or_else(|| book.floor.get(tp).copied()) else {
                continue;
            };
            self.metrics
                .consumer_lag
                .with_label_values(&[tp.topic.as_str(), &tp.partition.to_string()])
                .set((high - base).max(0));
        }
    }

    /// Takes each partition's high watermark and the group's committed offset from
    /// librdkafka's statistics (every `statistics.interval.ms`, set to the commit interval), so
    /// the lag gauge costs no extra broker requests.
    pub fn note_statistics(&self, statistics: &rdkafka::Statistics) {
        let mut seen = Vec::new();
        {
            let mut book = self.lag.lock().unwrap_or_else(|e| e.into_inner());
            for (topic, t) in &statistics.topics {
                // -1 is librdkafka's "internal" partition; negative offsets mean unknown.
                for (&id, p) in t.partitions.iter().filter(|(id, _)| **id >= 0) {
                    let tp = TopicPartition::new(topic, id);
                    let high = [p.ls_offset, p.hi_offset].into_iter().find(|&o| o >= 0);
                    let floor = [p.committed_offset, p.lo_offset]
                        .into_iter()
                        .find(|&o| o >= 0);
                    if let Some(h) = high {
                        book.high.insert(tp.clone(), h);
                    }
                    if let Some(f) = floor {
                        book.floor.insert(tp.clone(), f);
                    }
                    seen.push(tp);
                }
            }
        }
        self.refresh_lag(&seen);
    }

    /// Drops the lag series of revoked partitions: their new owner reports them, and a series
    /// left behind would show a stale figure forever.
    pub fn forget_lag(&self, tps: &[TopicPartition]) {
        let mut book = self.lag.lock().unwrap_or_else(|e| e.into_inner());
        for tp in tps {
            book.high.remove(tp);
            book.floor.remove(tp);
            let _ = self
                .metrics
                .consumer_lag
                .remove_label_values(&[tp.topic.as_str(), &tp.partition.to_string()]);
        }
    }

    /// Records that the consume loop is alive.
    pub fn beat(&self) {
        let ms = self.started.elapsed().as_millis() as u64;
        self.heartbeat.store(ms, Ordering::Relaxed);
    }

    /// Time since the consume loop last ticked.
    pub fn heartbeat_age(&self) -> Duration {
        let last = Duration::from_millis(self.heartbeat.load(Ordering::Relaxed));
        self.started.elapsed().saturating_sub(last)
    }

    /// Sets readiness (and its gauge).
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Relaxed);
        self.metrics.ready.set(i64::from(ready));
    }

    /// Ready and not failed.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed) && self.fatal().is_none()
    }

    /// The offset tracker. A poisoned lock is recovered: the tracker's invariants hold between
    /// method calls, and losing offsets bookkeeping would be worse than continuing.
    pub fn tracker(&self) -> MutexGuard<'_, OffsetTracker> {
        self.tracker.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a fatal error; the first one wins. The worker stops without committing further.
    pub fn set_fatal(&self, message: String) {
        let mut fatal = self.fatal.lock().unwrap_or_else(|e| e.into_inner());
        if fatal.is_none() {
            self.metrics.ready.set(0);
            tracing::error!(error = %message, "fatal error, stopping without committing");
            *fatal = Some(message);
        }
        drop(fatal);
        self.fatal_notify.notify_one();
        self.acked.notify_all();
    }

    /// The fatal error, if any.
    pub fn fatal(&self) -> Option<String> {
        self.fatal.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits until `done(tracker)` holds, a fatal error occurs, or `deadline` passes. Returns
    /// whether `done` held.
    pub fn wait_until(&self, deadline: Instant, done: impl Fn(&OffsetTracker) -> bool) -> bool {
        let mut tracker = self.tracker();
        loop {
            if done(&tracker) {
                return true;
            }
            if self.fatal().is_some() {
                return false;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            // Bounded waits so a missed notification only costs a few milliseconds.
            let step = (deadline - now).min(Duration::from_millis(50));
            tracker = self
                .acked
                .wait_timeout(tracker, step)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Marks an input offset as fully handled.
    pub fn ack(&self, ticket: &Ticket) {
        self.tracker().ack(ticket);
        self.acked.notify_all();
    }

    /// One record handed to the producer is settled: its delivery report was handled, or it
    /// never made it into the producer's queue.
    pub fn record_settled(&self) {
        self.unacknowledged.fetch_sub(1, Ordering::AcqRel);
        self.acked.notify_all();
    }

    /// Wakes whoever waits in [`Shared::wait_until`] after the tracker changed other than by an
    /// acknowledgement (a rewind).
    pub fn notify_acked(&self) {
        self.acked.notify_all();
    }
}

/// Whether a client error means the client cannot go on.
pub(super) fn is_fatal(error: &KafkaError) -> bool {
    error.rdkafka_error_code() == Some(RDKafkaErrorCode::Fatal)
}
