//! Exactly-once mode: input messages are processed in batches, and each batch's records
//! (outputs, dead letters, dedup index entries) and its input offsets are committed in one Kafka
//! transaction (KIP-447: the offsets go through `send_offsets_to_transaction` with the
//! consumer's group metadata, so a replica that lost its partitions in a rebalance cannot
//! commit them).
//!
//! The batch boundary is a barrier. Processing threads publish one input message's records
//! under a shared hold of it ([`Transactions::enter`]); ending a transaction takes it
//! exclusively, so nothing is sent while the transaction ends. One partition's messages are
//! published in offset order by one thread, so at that moment the messages sent in the
//! transaction are, per partition, a prefix of those received: once their records are
//! acknowledged, the tracker's committable offsets are exactly the end of that prefix, and
//! the transaction commits precisely the offsets of the records it holds.
//!
//! A transaction that cannot commit (a record failed, a rebalance fenced the generation, the
//! broker asked for an abort) is aborted, and the worker rewinds: every assigned partition is
//! sought back to its last committed offset and starts a new tracker generation, so work in
//! progress from before is abandoned and the batch is done again. Dedup verdicts stay the same
//! on the second pass: the window recognises an article redelivered from the same input
//! position as itself (see [`news_enricher_core::dedup`]).
//!
//! Fatal errors (fenced by a newer incarnation with the same `transactional.id`, or a broker
//! that cannot take transactions) stop the worker without committing; it exits non-zero.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use rdkafka::consumer::{Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::producer::Producer;
use tokio::sync::Notify;

use super::commit::{release, to_partition_list, Reason};
use super::publish::Producer_;
use super::shared::Shared;
use crate::config;
use news_enricher_core::offsets::TopicPartition;

/// How long one blocking transactional call may take before it is retried or given up.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Signals from the producer's delivery callback to the transaction: created before the
/// producer, which needs them, and shared with [`Transactions`].
#[derive(Debug, Default)]
pub struct Signals {
    /// A record of the open transaction failed: it can only be aborted.
    pub doomed: AtomicBool,
    /// Wakes the consume loop to end the transaction now (full, or doomed).
    pub due: Notify,
    /// Which transaction is open: counts up as each begins. A record carries the number of the
    /// transaction it was sent in, so the failure of a record purged by an abort (reported
    /// after the next transaction began) does not doom the next one.
    pub epoch: AtomicU64,
}

impl Signals {
    /// The transaction now open; read while holding it (see [`Transactions::enter`]).
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// A record sent in transaction `epoch` failed: that transaction, if still open, can only
    /// be aborted. A record of an earlier one was purged by its abort and is redone anyway.
    pub fn record_failed(&self, epoch: u64, why: &str) {
        if epoch == self.epoch() {
            self.doom(why);
        } else {
            tracing::debug!(
                error = why,
                epoch,
                "a record of an aborted transaction was purged"
            );
        }
    }

    /// A record of the open transaction failed.
    pub fn doom(&self, why: &str) {
        if !self.doomed.swap(true, Ordering::AcqRel) {
            tracing::warn!(
                error = why,
                "a record failed: the open transaction will be aborted"
            );
        }
        self.due.notify_one();
    }
}

/// Whether a transaction is open for publishing.
#[derive(Debug, PartialEq, Eq)]
enum State {
    /// Records may be sent.
    Open,
    /// The worker is stopping (after its last commit, or a fatal error): nothing more is sent.
    Closed,
}

/// The transactional producer's batches.
pub struct Transactions {
    producer: Arc<Producer_>,
    settings: config::Transactions,
    signals: Arc<Signals>,
    barrier: RwLock<State>,
    /// Input messages published (or being published) in the open transaction.
    messages: AtomicUsize,
    /// When the open transaction began.
    began: Mutex<Instant>,
}

/// A hold on the open transaction while one input message's records are sent: it cannot end
/// until the hold is dropped. The message counts towards the transaction's size.
pub struct Entered<'a> {
    _guard: RwLockReadGuard<'a, State>,
}

/// How ending a transaction went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// Committed with these input offsets (empty when the batch moved none).
    Committed(BTreeMap<TopicPartition, i64>),
    /// Nothing had been published since the last end: no transaction to commit.
    Empty,
    /// Aborted; the assigned partitions were rewound to their last commit.
    Aborted,
    /// A fatal error (recorded in [`Shared::set_fatal`]), or the worker already stopped.
    Failed,
}

impl Transactions {
    /// Initialises the producer's transactions (fencing any earlier incarnation with the same
    /// `transactional.id` and aborting what it left open) and begins the first one. Blocking.
    pub fn start(
        producer: Arc<Producer_>,
        settings: config::Transactions,
        signals: Arc<Signals>,
    ) -> Result<Self, KafkaError> {
        producer.init_transactions(Duration::from_secs(60))?;
        producer.begin_transaction()?;
        tracing::info!(transactional_id = %settings.id, max_messages = settings.max_messages,
            max_ms = settings.max_duration.as_millis() as u64, "transactions initialised");
        Ok(Transactions {
            producer,
            settings,
            signals,
            barrier: RwLock::new(State::Open),
            messages: AtomicUsize::new(0),
            began: Mutex::new(Instant::now()),
        })
    }

    /// Something of the open transaction failed: it will be aborted and its batch redone.
    pub fn doom(&self, why: &str) {
        self.signals.doom(why);
    }

    /// The open transaction's number, for the records sent in it (see [`Signals::epoch`]).
    pub fn epoch(&self) -> u64 {
        self.signals.epoch()
    }

    /// How long a transaction stays open at most.
    pub fn max_duration(&self) -> Duration {
        self.settings.max_duration
    }

    /// Wakes when the open transaction is full or doomed.
    pub fn due(&self) -> &Notify {
        &self.signals.due
    }

    /// Holds the open transaction while one input message's records are sent; `None` once the
    /// worker stopped publishing. A full transaction is not entered: the caller waits until the
    /// consume loop has ended it, so no transaction holds more than `max_messages`.
    pub fn enter(&self) -> Option<Entered<'_>> {
        loop {
            let guard = self.barrier.read().unwrap_or_else(|e| e.into_inner());
            if *guard == State::Closed {
                return None;
            }
            let n = self.messages.fetch_add(1, Ordering::AcqRel) + 1;
            if n <= self.settings.max_messages {
                if n == self.settings.max_messages {
                    self.signals.due.notify_one();
                }
                return Some(Entered { _guard: guard });
            }
            self.messages.fetch_sub(1, Ordering::AcqRel);
            drop(guard);
            self.signals.due.notify_one();
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Stops publishing for good without committing (a fatal error): aborts the open
    /// transaction if the producer still can, so `read_committed` readers are not held up
    /// until the broker times it out.
    pub fn abandon(&self) {
        let mut state = self.barrier.write().unwrap_or_else(|e| e.into_inner());
        if *state == State::Open {
            *state = State::Closed;
            if let Err(e) = self.producer.abort_transaction(Duration::from_secs(5)) {
                tracing::warn!(error = %e, "could not abort the open transaction; the broker times it out, or the next incarnation aborts it");
            }
        }
    }

    /// Ends the open transaction: waits for its records' acknowledgements, commits them with
    /// the input offsets they complete, and begins the next one — or aborts and rewinds. For a
    /// revoke, the revoked partitions are released from the tracker before anything else can
    /// be published; at shutdown no next transaction begins. `deadline` bounds the whole.
    pub fn end<C: ConsumerContext, K: Consumer<C> + ?Sized>(
        &self,
        consumer: &K,
        shared: &Shared,
        reason: Reason<'_>,
        deadline: Instant,
    ) -> Ended {
        let mut state = self.barrier.write().unwrap_or_else(|e| e.into_inner());
        if *state == State::Closed {
            // After the last commit at shutdown (the partitions are then revoked as the
            // consumer closes), or after a fatal error.
            release(shared, reason);
            return match shared.fatal() {
                Some(_) => Ended::Failed,
                None => Ended::Empty,
            };
        }
        let began = *self.began.lock().unwrap_or_else(|e| e.into_inner());
        let messages = self.messages.load(Ordering::Acquire);
        let ended = self.finish(consumer, shared, messages, deadline);
        // Still holding the transaction: nothing of theirs can be published after this.
        release(shared, reason);
        let ended = match ended {
            Ended::Aborted => self.rewind(consumer, shared),
            other => other,
        };
        let m = &shared.metrics;
        match &ended {
            Ended::Committed(offsets) => {
                shared
                    .counters
                    .transactions_committed
                    .fetch_add(1, Ordering::Relaxed);
                m.transactions.with_label_values(&["committed"]).inc();
                m.transaction_duration
                    .observe(began.elapsed().as_secs_f64());
                m.transaction_messages.observe(messages as f64);
                if !offsets.is_empty() {
                    m.commit(true);
                }
            }
            Ended::Aborted => {
                shared
                    .counters
                    .transactions_aborted
                    .fetch_add(1, Ordering::Relaxed);
                m.transactions.with_label_values(&["aborted"]).inc();
                m.transaction_duration
                    .observe(began.elapsed().as_secs_f64());
                m.commit(false);
            }
            Ended::Empty | Ended::Failed => {}
        }
        let stopping = matches!(reason, Reason::Shutdown) || shared.fatal().is_some();
        if matches!(ended, Ended::Empty) && !stopping {
            // The open transaction holds nothing: it stays open, and its clock starts now.
            *self.began.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
            return ended;
        }
        if stopping || matches!(ended, Ended::Failed) {
            *state = State::Closed;
            return ended;
        }
        self.messages.store(0, Ordering::Release);
        self.signals.epoch.fetch_add(1, Ordering::AcqRel);
        self.signals.doomed.store(false, Ordering::Release);
        *self.began.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        if let Err(e) = self.producer.begin_transaction() {
            shared.set_fatal(format!("cannot begin a transaction: {e}"));
            *state = State::Closed;
            return Ended::Failed;
        }
        ended
    }

    /// Commits the open transaction, or reports that it must be aborted (and aborts it).
    fn finish<C: ConsumerContext, K: Consumer<C> + ?Sized>(
        &self,
        consumer: &K,
        shared: &Shared,
        messages: usize,
        deadline: Instant,
    ) -> Ended {
        // Every record sent in the transaction acknowledged (or failed), and every
        // acknowledgement applied to the tracker, so its committable offsets are final.
        let t0 = Instant::now();
        // A doomed transaction is aborted without waiting for the rest of its records: in
        // that state librdkafka holds them back until the abort purges them.
        match self.flush(shared, deadline) {
            Flushed::All => {}
            Flushed::Doomed => return self.abort(shared, "a record failed", deadline),
            Flushed::Timeout => {
                return self.abort(
                    shared,
                    "its records were not acknowledged in time",
                    deadline,
                )
            }
        }
        let flushed = t0.elapsed();
        let offsets = shared.tracker().uncommitted();
        if messages == 0 && offsets.is_empty() {
            return Ended::Empty;
        }
        if !offsets.is_empty() {
            let sent = match (consumer.group_metadata(), to_partition_list(&offsets)) {
                (Some(group), Ok(tpl)) => retry(shared, deadline, "send offsets", |t| {
                    self.producer.send_offsets_to_transaction(&tpl, &group, t)
                }),
                (None, _) => Err(Call::Abort("no group metadata".into())),
                (_, Err(e)) => Err(Call::Abort(e.to_string())),
            };
            match sent {
                Ok(()) => {}
                Err(Call::Abort(why)) => return self.abort(shared, &why, deadline),
                Err(Call::Fatal(why)) => {
                    shared.set_fatal(format!("sending offsets to the transaction: {why}"));
                    return Ended::Failed;
                }
            }
        }
        let offsets_sent = t0.elapsed();
        match retry(shared, deadline, "commit", |t| {
            self.producer.commit_transaction(t)
        }) {
            Ok(()) => {
                shared.tracker().mark_committed(&offsets);
                shared.refresh_lag(offsets.keys());
                tracing::debug!(
                    messages,
                    partitions = offsets.len(),
                    flush_ms = flushed.as_millis() as u64,
                    offsets_ms = (offsets_sent - flushed).as_millis() as u64,
                    commit_ms = (t0.elapsed() - offsets_sent).as_millis() as u64,
                    "transaction committed"
                );
                Ended::Committed(offsets)
            }
            Err(Call::Abort(why)) => self.abort(shared, &why, deadline),
            Err(Call::Fatal(why)) => {
                shared.set_fatal(format!("committing a transaction: {why}"));
                Ended::Failed
            }
        }
    }

    /// Waits until every record handed to the producer is acknowledged or failed. Not
    /// `Producer::flush`: rust-rdkafka's polls in 100 ms steps on a queue the producer's own
    /// thread drains, so every transaction would pay 100 ms; the delivery callback counts
    /// the records down as they are acknowledged (they leave after `linger.ms` anyway).
    fn flush(&self, shared: &Shared, deadline: Instant) -> Flushed {
        let doomed = || self.signals.doomed.load(Ordering::Acquire);
        loop {
            if doomed() {
                return Flushed::Doomed;
            }
            if shared.fatal().is_some() {
                return Flushed::Timeout;
            }
            // Short steps so the liveness heartbeat keeps beating through a broker outage.
            shared.beat();
            let step = deadline.min(Instant::now() + Duration::from_secs(1));
            // A failed record settles (and wakes this wait) after dooming the transaction.
            if shared.wait_until(step, |_| {
                doomed() || shared.unacknowledged.load(Ordering::Acquire) == 0
            }) {
                if doomed() {
                    return Flushed::Doomed;
                }
                return Flushed::All;
            }
            if Instant::now() >= deadline {
                return Flushed::Timeout;
            }
        }
    }

    /// Aborts the open transaction. `Failed` if even that is impossible.
    fn abort(&self, shared: &Shared, why: &str, deadline: Instant) -> Ended {
        tracing::warn!(reason = why, "aborting transaction");
        // An abort must be tried even past the deadline: it is what lets the next one begin.
        let deadline = deadline.max(Instant::now() + CALL_TIMEOUT);
        match retry(shared, deadline, "abort", |t| {
            self.producer.abort_transaction(t)
        }) {
            Ok(()) => Ended::Aborted,
            Err(Call::Abort(why) | Call::Fatal(why)) => {
                shared.set_fatal(format!("aborting a transaction: {why}"));
                Ended::Failed
            }
        }
    }

    /// After an abort: every assigned partition back to its last commit, work in progress
    /// abandoned (a new tracker generation), so the aborted batch is consumed again.
    fn rewind<C: ConsumerContext, K: Consumer<C> + ?Sized>(
        &self,
        consumer: &K,
        shared: &Shared,
    ) -> Ended {
        let positions: BTreeMap<TopicPartition, i64> = {
            let mut t = shared.tracker();
            t.assigned()
                .into_iter()
                .filter_map(|tp| t.rewind(&tp).map(|o| (tp, o)))
                .collect()
        };
        // Lets a revoke or shutdown that waits on in-flight work see that none is left.
        shared.notify_acked();
        if positions.is_empty() {
            return Ended::Aborted;
        }
        let seek = to_partition_list(&positions).and_then(|tpl| {
            consumer
                .seek_partitions(tpl, CALL_TIMEOUT)
                .and_then(
                    |done| match done.elements().iter().find_map(|e| e.error().err()) {
                        Some(e) => Err(e),
                        None => Ok(()),
                    },
                )
        });
        match seek {
            Ok(()) => {
                tracing::info!(positions = ?positions.iter().map(|(tp, o)| format!("{tp}@{o}")).collect::<Vec<_>>(), "rewound to the last commit");
                Ended::Aborted
            }
            Err(e) => {
                // Restarting from the committed offsets is the rewind that always works.
                shared.set_fatal(format!("cannot rewind after an aborted transaction: {e}"));
                Ended::Failed
            }
        }
    }
}

/// How waiting for a transaction's acknowledgements ended.
enum Flushed {
    /// Every record acknowledged.
    All,
    /// A record failed: the rest need not be waited for.
    Doomed,
    /// The deadline passed, or the worker is stopping.
    Timeout,
}

/// Why a transactional call did not succeed.
enum Call {
    /// The transaction must be aborted.
    Abort(String),
    /// The producer cannot go on.
    Fatal(String),
}

/// Calls `f` until it succeeds, retrying what librdkafka calls retriable (timeouts while the
/// broker is away) until `deadline`.
fn retry(
    shared: &Shared,
    deadline: Instant,
    what: &str,
    f: impl Fn(Duration) -> Result<(), KafkaError>,
) -> Result<(), Call> {
    loop {
        shared.beat();
        let left = deadline.saturating_duration_since(Instant::now());
        let e = match f(left.clamp(Duration::from_millis(100), CALL_TIMEOUT)) {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        let (fatal, abortable, retriable) = match &e {
            KafkaError::Transaction(t) => (t.is_fatal(), t.txn_requires_abort(), t.is_retriable()),
            _ => (false, true, false),
        };
        if fatal {
            return Err(Call::Fatal(e.to_string()));
        }
        if shared.fatal().is_some() {
            return Err(Call::Fatal(format!("{what}: worker stopping: {e}")));
        }
        if abortable || !retriable || Instant::now() >= deadline {
            return Err(Call::Abort(format!("{what}: {e}")));
        }
        tracing::debug!(error = %e, what, "transactional call failed; retrying");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purged_record_of_an_aborted_transaction_does_not_doom_the_next() {
        let signals = Signals::default();
        signals.epoch.fetch_add(1, Ordering::AcqRel);
        signals.record_failed(0, "purged by the abort of transaction 0");
        assert!(!signals.doomed.load(Ordering::Acquire));
        signals.record_failed(1, "failed in the open transaction");
        assert!(signals.doomed.load(Ordering::Acquire));
    }
}
