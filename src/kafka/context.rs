//! State shared by the consumer loop, the processing threads and librdkafka's callbacks, and the
//! callbacks themselves (rebalance, commit, delivery, client errors).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::message::DeliveryResult;
use rdkafka::producer::ProducerContext;
use rdkafka::TopicPartitionList;
use tokio::sync::Notify;

use super::commit::{from_partition_list, Committer, Reason};
use super::transaction::Signals;
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
fn is_fatal(error: &KafkaError) -> bool {
    error.rdkafka_error_code() == Some(RDKafkaErrorCode::Fatal)
}

/// The consumer's callbacks.
pub struct ConsumerCallbacks {
    /// Shared state.
    pub shared: std::sync::Arc<Shared>,
    /// How offsets are committed (the revoke callback commits too).
    pub committer: Committer,
}

impl ClientContext for ConsumerCallbacks {
    /// librdkafka's statistics (every `statistics.interval.ms`, set to the commit interval)
    /// carry each partition's high watermark and the group's committed offset, so the lag gauge
    /// costs no extra broker requests.
    fn stats(&self, statistics: rdkafka::Statistics) {
        let mut seen = Vec::new();
        {
            let mut book = self.shared.lag.lock().unwrap_or_else(|e| e.into_inner());
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
        self.shared.refresh_lag(&seen);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if is_fatal(&error) {
            self.shared
                .set_fatal(format!("consumer: {error}: {reason}"));
        } else {
            tracing::warn!(%error, reason, "consumer client error");
        }
    }
}

impl ConsumerContext for ConsumerCallbacks {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Revoke(tpl) = rebalance else {
            return;
        };
        self.shared
            .metrics
            .rebalances
            .with_label_values(&["revoke"])
            .inc();
        let revoked = from_partition_list(tpl);
        if revoked.is_empty() {
            return;
        }
        // Drain here, inside the callback, while we still own the partitions: committing after
        // the rebalance completes would fail or, worse, race the next owner.
        let deadline = Instant::now() + self.shared.drain_timeout;
        let drained = self
            .shared
            .wait_until(deadline, |t| t.in_flight_for(&revoked) == 0);
        let abandoned = self.shared.tracker().in_flight_for(&revoked);
        // Committing releases the revoked partitions from the tracker; a failure is logged
        // there, and the next owner redoes what it covered. A transaction gets the drain's
        // budget again to end: ending it is what hands the partitions over cleanly.
        let committed = self.committer.commit(
            consumer,
            &self.shared,
            Reason::Revoke(&revoked),
            Instant::now() + self.shared.drain_timeout,
        );
        self.shared.forget_lag(&revoked);
        tracing::info!(
            partitions = ?revoked.iter().map(ToString::to_string).collect::<Vec<_>>(),
            drained,
            abandoned,
            committed = ?committed.map(|c| c.values().copied().collect::<Vec<_>>()),
            "partitions revoked"
        );
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => {
                self.shared
                    .metrics
                    .rebalances
                    .with_label_values(&["assign"])
                    .inc();
                let assigned = from_partition_list(tpl);
                let mut t = self.shared.tracker();
                for tp in &assigned {
                    t.assign(tp.clone());
                }
                drop(t);
                tracing::info!(
                    partitions = ?assigned.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "partitions assigned"
                );
                // Assigned while consumption is paused at the in-flight limit: start paused,
                // or these partitions would be fetched past the limit until the next resume.
                if self.shared.flow_paused.load(Ordering::Relaxed) {
                    match consumer.pause(tpl) {
                        Ok(()) => tracing::debug!("new partitions paused: in-flight limit reached"),
                        Err(e) => tracing::warn!(error = %e, "pausing new partitions failed"),
                    }
                }
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => tracing::warn!(error = %e, "rebalance error"),
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        // Counted where the commit is made ([`commit`]), once; this only logs what the
        // coordinator answered. Nothing is lost by a failure: the next commit covers these
        // offsets or a later owner redoes them.
        match result {
            Ok(()) => tracing::trace!(partitions = offsets.count(), "commit acknowledged"),
            Err(e) => tracing::warn!(error = %e, "offset commit failed at the coordinator"),
        }
    }
}

/// An input offset waiting for the records produced for it (output or dead letter, plus the
/// dedup index record) to be acknowledged.
pub struct Pending {
    /// The input offset.
    pub ticket: Ticket,
    remaining: AtomicUsize,
}

impl Pending {
    /// Waits for `records` acknowledgements.
    pub fn new(ticket: Ticket, records: usize) -> Arc<Pending> {
        Arc::new(Pending {
            ticket,
            remaining: AtomicUsize::new(records),
        })
    }
}

/// Which topic a produced record went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// The enriched record.
    Output,
    /// A dead letter.
    DeadLetter,
    /// A dedup index entry.
    Index,
}

/// What a produced record was for; returned by the delivery callback.
pub struct Delivery {
    /// The input offset it answers for.
    pub pending: Arc<Pending>,
    /// Which record this is.
    pub kind: RecordKind,
    /// Timestamp of the input message, ms since the epoch (end-to-end latency).
    pub input_timestamp_ms: Option<i64>,
    /// Why a dead letter was written.
    pub reason: Option<&'static str>,
    /// Exactly-once: the transaction it was sent in (see [`super::transaction::Signals::epoch`]).
    pub epoch: u64,
}

/// The producer's callbacks: acknowledgements feed the offset tracker directly, on librdkafka's
/// polling thread, so acknowledgement never waits on the consumer loop (which may itself be
/// blocked in a revoke, waiting for exactly these acknowledgements).
pub struct ProducerCallbacks {
    /// Shared state.
    pub shared: std::sync::Arc<Shared>,
    /// Exactly-once mode: where a failed record dooms the open transaction.
    pub transaction: Option<Arc<Signals>>,
}

impl ClientContext for ProducerCallbacks {
    fn error(&self, error: KafkaError, reason: &str) {
        if is_fatal(&error) {
            self.shared
                .set_fatal(format!("producer: {error}: {reason}"));
        } else {
            tracing::warn!(%error, reason, "producer client error");
        }
    }
}

impl ProducerContext for ProducerCallbacks {
    type DeliveryOpaque = Box<Delivery>;

    fn delivery(&self, result: &DeliveryResult<'_>, delivery: Box<Delivery>) {
        match result {
            Ok(msg) => {
                use rdkafka::Message;
                let m = &self.shared.metrics;
                m.produced.with_label_values(&[msg.topic()]).inc();
                match delivery.kind {
                    RecordKind::DeadLetter => m
                        .dead_lettered
                        .with_label_values(&[delivery.reason.unwrap_or("unknown")])
                        .inc(),
                    RecordKind::Output => {
                        if let Some(ts) = delivery.input_timestamp_ms {
                            let now = chrono::Utc::now().timestamp_millis();
                            m.end_to_end_latency
                                .observe((now - ts).max(0) as f64 / 1000.0);
                        }
                    }
                    RecordKind::Index => {}
                }
                let counter = match delivery.kind {
                    RecordKind::Output => Some(&self.shared.counters.produced),
                    RecordKind::DeadLetter => Some(&self.shared.counters.dead_lettered),
                    RecordKind::Index => None, // counted by the produced-messages metric
                };
                if let Some(counter) = counter {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                if delivery.pending.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
                    self.shared.ack(&delivery.pending.ticket);
                }
            }
            Err((e, _)) => {
                let what = format!(
                    "delivery of {:?} record for {} offset {} failed: {e}",
                    delivery.kind,
                    delivery.pending.ticket.partition,
                    delivery.pending.ticket.offset
                );
                match &self.transaction {
                    // The transaction aborts and the batch is done again.
                    Some(signals) => signals.record_failed(delivery.epoch, &what),
                    // The idempotent producer has retried until `message.timeout.ms`; the
                    // record is lost. Stop: committing past it would lose the article (or its
                    // dedup memory).
                    None => self.shared.set_fatal(what),
                }
            }
        }
        self.shared.record_settled();
    }
}
