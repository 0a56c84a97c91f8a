//! Persisting and sharing the dedup window through a compacted Kafka topic.
//!
//! Every article the dedup stage remembers is published to the index topic (key: article id,
//! value: [`IndexEntry::encode`]), next to its output record; the input offset is committed
//! only when both are acknowledged. On start the worker reads the whole topic into its window
//! **before** it consumes any article ([`restore`]), then keeps reading it ([`follow`]), so a
//! restarted worker remembers what it saw and every replica learns what the others saw.
//!
//! # The race between replicas, and its bound
//!
//! Two replicas that receive near-copies at the same instant both look up a window that holds
//! neither, and both publish their article as `unique`. Replica B learns A's article only when
//! A's index record has been produced (`linger.ms`, 5 ms, plus the broker round trip) and
//! fetched by B's follower (at most `fetch.wait.max.ms`, 100 ms here, when idle). Copies that
//! arrive further apart than that — in practice a few hundred milliseconds — are always caught;
//! closer ones may both be `unique`. The first copy to be processed after both index records
//! arrived resolves the cluster (it points at one of them). Within one replica there is no race:
//! look-up and insertion happen under one lock.
//!
//! Records older than the horizon are skipped on restore; configure the topic with
//! `cleanup.policy=compact,delete` and `retention.ms` ≥ the horizon so it does not grow forever.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::{Message, Offset, TopicPartitionList};

use crate::config::WorkerConfig;
use news_enricher_core::dedup::entry::{IndexEntry, IndexRecordError};
use news_enricher_core::dedup::SharedIndex;

/// A consumer that reads every partition of the index topic from the beginning, outside any
/// consumer group (each replica needs all of it).
pub fn index_consumer(cfg: &WorkerConfig, topic: &str) -> Result<BaseConsumer, KafkaError> {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &cfg.brokers)
        // Required by librdkafka for a consumer, never used for commits or membership.
        .set("group.id", format!("{}-index-reader", cfg.group_id))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true")
        .set("fetch.wait.max.ms", "100")
        // librdkafka stops fetching a partition for this long once its local queue is full
        // (64 MB by default), which a restore always reaches: at the default 1,000 ms the
        // restoring thread sat idle 60% of the time, at 0 librdkafka's thread spun on the
        // queue's lock; 5–100 ms restored equally fast (`benches/dedup_restore.rs`).
        .set("fetch.queue.backoff.ms", "20")
        // No replica may learn an entry from an aborted transaction (exactly-once mode).
        .set("isolation.level", "read_committed")
        .set("client.id", "news-enricher-index");
    for (k, v) in cfg.kafka_common.iter().chain(&cfg.kafka_consumer) {
        if !matches!(
            k.as_str(),
            "enable.partition.eof" | "group.id" | "fetch.wait.max.ms" | "fetch.queue.backoff.ms"
        ) {
            c.set(k, v);
        }
    }
    let consumer: BaseConsumer = c.create()?;
    let md = consumer.fetch_metadata(Some(topic), Duration::from_secs(15))?;
    let mut tpl = TopicPartitionList::new();
    for t in md.topics().iter().filter(|t| t.name() == topic) {
        for p in t.partitions() {
            tpl.add_partition_offset(topic, p.id(), Offset::Beginning)?;
        }
    }
    consumer.assign(&tpl)?;
    Ok(consumer)
}

/// Remembers one index record. `Err` for a record this version cannot read — damaged, written
/// by a newer build in a form this one does not know, or written before signatures became one
/// bit per min-hash (a JSON record with a 256-digit `signature`): it is skipped, and the window
/// simply does not know that article.
fn apply(index: &SharedIndex, payload: Option<&[u8]>) -> Result<bool, IndexRecordError> {
    let Some(bytes) = payload else {
        return Ok(false); // a tombstone: nothing to remember
    };
    let entry = IndexEntry::decode(bytes)?;
    Ok(index.lock().remember(&entry))
}

/// Reads the index topic up to its end (every partition reports end-of-partition) into
/// `index`. Returns how many entries were remembered.
pub fn restore(
    consumer: &BaseConsumer,
    index: &SharedIndex,
    timeout: Duration,
) -> Result<usize, String> {
    let started = Instant::now();
    let mut pending: std::collections::BTreeSet<i32> = consumer
        .assignment()
        .map_err(|e| e.to_string())?
        .elements()
        .iter()
        .map(|e| e.partition())
        .collect();
    // A hint only (a broker may under-report): the tables then grow once, not a score of times.
    let records: i64 = consumer
        .assignment()
        .map_err(|e| e.to_string())?
        .elements()
        .iter()
        .filter_map(|e| {
            consumer
                .fetch_watermarks(e.topic(), e.partition(), Duration::from_secs(5))
                .ok()
        })
        .map(|(low, high)| (high - low).max(0))
        .sum();
    index.lock().reserve(records as usize);
    let (mut read, mut remembered, mut unreadable) = (0usize, 0usize, 0usize);
    let mut first_error = None;
    while !pending.is_empty() {
        if started.elapsed() > timeout {
            return Err(format!(
                "dedup index not restored within {timeout:?}: partitions {pending:?} not at their end"
            ));
        }
        match consumer.poll(Duration::from_millis(200)) {
            None => {}
            Some(Ok(m)) => {
                read += 1;
                match apply(index, m.payload()) {
                    Ok(added) => remembered += usize::from(added),
                    Err(e) => {
                        unreadable += 1;
                        first_error.get_or_insert(e.to_string());
                    }
                }
            }
            Some(Err(KafkaError::PartitionEOF(p))) => {
                pending.remove(&p);
            }
            Some(Err(e)) => tracing::warn!(error = %e, "dedup index read error"),
        }
    }
    if let Some(error) = first_error {
        // One line for the lot: after an upgrade every old record is unreadable.
        tracing::warn!(unreadable, first_error = %error, "skipped unreadable dedup index records");
    }
    tracing::info!(
        read,
        remembered,
        unreadable,
        window = index.lock().len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "dedup index restored"
    );
    Ok(remembered)
}

/// Keeps reading the index topic on a thread until `stop` is set, so this replica learns what
/// the others remember.
pub fn follow(
    consumer: BaseConsumer,
    index: SharedIndex,
    stop: Arc<AtomicBool>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("dedup-index".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match consumer.poll(Duration::from_millis(200)) {
                    None | Some(Err(KafkaError::PartitionEOF(_))) => {}
                    Some(Ok(m)) => {
                        if let Err(e) = apply(&index, m.payload()) {
                            tracing::warn!(error = %e, "skipping unreadable dedup index record");
                        }
                    }
                    Some(Err(e)) => tracing::warn!(error = %e, "dedup index read error"),
                }
            }
        })
}
