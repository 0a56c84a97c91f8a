//! The consume loop: receive, track, hand each message to its partition's processing thread;
//! pause at the in-flight limit and resume below half of it; commit periodically (or end the
//! exactly-once transaction); stop on a shutdown request or a fatal error.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rdkafka::consumer::Consumer;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Headers};
use rdkafka::{Message, TopicPartitionList};

use super::commit::{Committer, Reason};
use super::process::Job;
use super::shared::Shared;
use super::worker::Consumer_;
use crate::config::WorkerConfig;
use news_enricher_core::message::{Header, RawMessage};
use news_enricher_core::offsets::TopicPartition;

/// Why the consume loop stopped.
pub(super) enum LoopEnd {
    /// A shutdown was requested: drain and commit.
    Shutdown,
    /// A fatal error: stop without committing further.
    Fatal(String),
}

pub(super) async fn consume_loop(
    cfg: &WorkerConfig,
    consumer: &Consumer_,
    shared: &Shared,
    senders: &[mpsc::Sender<Job>],
    shutdown: impl Future<Output = ()>,
) -> LoopEnd {
    tokio::pin!(shutdown);
    let committer = &consumer.context().committer;
    let transactions = committer.transactions();
    // At least once: commit what is complete every interval. Exactly once: end the open
    // transaction that often, or sooner when it is full.
    let mut commit_tick =
        tokio::time::interval(transactions.map_or(cfg.commit_interval, |t| t.max_duration()));
    commit_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut flow_tick = tokio::time::interval(Duration::from_millis(20));
    flow_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut health_tick = tokio::time::interval(Duration::from_secs(1));
    health_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let resume_below = cfg.max_in_flight / 2;
    let paused = || shared.flow_paused.load(Ordering::Relaxed);
    let mut replay = cfg.stop_at.as_ref().map(|ends| Replay {
        ends,
        reached: BTreeSet::new(),
    });
    let mut replay_tick = tokio::time::interval(Duration::from_millis(100));
    replay_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if let Some(message) = shared.fatal() {
            return LoopEnd::Fatal(message);
        }
        tokio::select! {
            biased;
            _ = &mut shutdown => {
                tracing::info!("shutdown requested: no more fetching");
                return LoopEnd::Shutdown;
            }
            _ = shared.fatal_notify.notified() => {}
            _ = health_tick.tick() => {
                shared.beat();
                shared.metrics.in_flight.set(shared.tracker().in_flight() as i64);
            }
            _ = commit_tick.tick() => commit_periodically(consumer, shared, committer),
            _ = replay_tick.tick(), if replay.is_some() => {
                if replay.as_ref().is_some_and(|r| r.done(&cfg.input_topic, shared)) {
                    tracing::info!("replay complete: every partition consumed to its end");
                    return LoopEnd::Shutdown;
                }
            }
            _ = async { transactions.expect("guarded").due().notified().await }, if transactions.is_some() => {
                commit_periodically(consumer, shared, committer);
                commit_tick.reset();
            }
            _ = flow_tick.tick(), if paused() => {
                if shared.tracker().in_flight() <= resume_below {
                    match consumer.assignment().and_then(|a| consumer.resume(&a)) {
                        Ok(()) => {
                            shared.flow_paused.store(false, Ordering::Relaxed);
                            tracing::debug!("resumed consumption");
                        }
                        Err(e) => tracing::warn!(error = %e, "resume failed"),
                    }
                }
            }
            received = consumer.recv() => match received {
                Ok(m) if replay.as_mut().is_some_and(|r| r.past_end(consumer, &m)) => {}
                Ok(m) => {
                    dispatch(&m, shared, senders);
                    if !paused() && shared.tracker().in_flight() >= cfg.max_in_flight {
                        // Rebalance callbacks run inside `recv`, never between these two lines.
                        match consumer.assignment().and_then(|a| consumer.pause(&a)) {
                            Ok(()) => {
                                shared.flow_paused.store(true, Ordering::Relaxed);
                                tracing::debug!("paused consumption: in-flight limit reached");
                            }
                            Err(e) => tracing::warn!(error = %e, "pause failed"),
                        }
                    }
                }
                Err(KafkaError::PartitionEOF(partition)) => {
                    if let Some(r) = replay.as_mut() {
                        r.reached.insert(partition);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "consume error");
                    if e.rdkafka_error_code() == Some(RDKafkaErrorCode::Fatal) {
                        return LoopEnd::Fatal(format!("consumer: {e}"));
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}

/// A replay's progress: where each partition ends, and which have got there.
struct Replay<'a> {
    ends: &'a BTreeMap<i32, i64>,
    reached: BTreeSet<i32>,
}

impl Replay<'_> {
    /// Whether `m` is at or past its partition's end (any offset of a partition with nothing
    /// to replay): then it is left alone (not processed, not committed), its partition paused
    /// (again, if a resume at the in-flight limit woke it), and the partition counts as reached.
    fn past_end(&mut self, consumer: &Consumer_, m: &BorrowedMessage<'_>) -> bool {
        let end = self.ends.get(&m.partition()).copied().unwrap_or(i64::MIN);
        if m.offset() < end {
            return false;
        }
        self.reached.insert(m.partition());
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition(m.topic(), m.partition());
        if let Err(e) = consumer.pause(&tpl) {
            tracing::warn!(error = %e, partition = m.partition(), "pausing a replayed partition failed");
        }
        true
    }

    /// Every partition reached its end and everything before it is acknowledged.
    fn done(&self, topic: &str, shared: &Shared) -> bool {
        let partitions: Vec<TopicPartition> = self
            .ends
            .keys()
            .map(|&p| TopicPartition::new(topic, p))
            .collect();
        self.ends.keys().all(|p| self.reached.contains(p))
            && shared.tracker().in_flight_for(&partitions) == 0
    }
}

/// The periodic commit. A failure is logged where it happens; the next one covers the same
/// offsets (or, for an aborted transaction, the rewound batch is done again).
fn commit_periodically(consumer: &Consumer_, shared: &Shared, committer: &Committer) {
    // A transaction ends synchronously (its records' acknowledgements, then the broker's
    // answer); the group commit is asynchronous and returns at once.
    let deadline = Instant::now() + Duration::from_secs(60);
    match committer {
        Committer::Group => {
            let _ = committer.commit(consumer, shared, Reason::Periodic, deadline);
        }
        Committer::Transactional(_) => tokio::task::block_in_place(|| {
            let _ = committer.commit(consumer, shared, Reason::Periodic, deadline);
        }),
    }
}

/// Tracks a received message and queues it on its partition's processing thread.
fn dispatch(m: &BorrowedMessage<'_>, shared: &Shared, senders: &[mpsc::Sender<Job>]) {
    let tp = TopicPartition::new(m.topic(), m.partition());
    let Some(ticket) = shared.tracker().track(&tp, m.offset()) else {
        // Raced a revoke: the partition is someone else's now; they will consume it.
        tracing::debug!(partition = %tp, offset = m.offset(), "message for unassigned partition skipped");
        return;
    };
    shared.counters.consumed.fetch_add(1, Ordering::Relaxed);
    shared
        .metrics
        .consumed
        .with_label_values(&[m.topic()])
        .inc();
    let headers: Vec<Header> = m
        .headers()
        .map(|hs| {
            hs.iter()
                .map(|h| (h.key.to_owned(), h.value.map(<[u8]>::to_vec)))
                .collect()
        })
        .unwrap_or_default();
    let msg = RawMessage {
        topic: Some(m.topic().to_owned()),
        partition: Some(m.partition()),
        offset: Some(m.offset()),
        timestamp_ms: m.timestamp().to_millis(),
        file: None,
        line: None,
        key: m.key().map(<[u8]>::to_vec),
        payload: m.payload().map(<[u8]>::to_vec),
        headers,
    };
    let lane = m.partition().unsigned_abs() as usize % senders.len();
    if senders[lane].send(Job { msg, ticket }).is_err() {
        shared.set_fatal("processing thread exited unexpectedly".into());
    }
}
