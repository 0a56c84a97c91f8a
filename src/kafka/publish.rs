//! Publishing: the one place records leave the worker. Every output, dead-letter and
//! dedup-index record of an input message goes through [`Publisher::publish`], which ties
//! them to the message's offset: the offset becomes committable only when all of them are
//! acknowledged (see [`super::delivery::ProducerCallbacks`]). In exactly-once mode the records
//! are sent inside the open transaction, holding it so it cannot end half-way through one
//! message's records (see [`super::transaction`]); the processing threads do not change.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header as KafkaHeader, OwnedHeaders};
use rdkafka::producer::{BaseRecord, ThreadedProducer};

use super::delivery::{Delivery, Pending, ProducerCallbacks, RecordKind};
use super::shared::Shared;
use super::transaction::Transactions;
use news_enricher_core::message::Header;
use news_enricher_core::offsets::Ticket;

/// The producer the worker publishes with.
pub type Producer_ = ThreadedProducer<ProducerCallbacks>;

/// The worker's output topics.
#[derive(Debug, Clone)]
pub struct Topics {
    /// Enriched records.
    pub output: String,
    /// Dead letters.
    pub dlq: String,
    /// Dedup index entries, if the window is shared.
    pub index: Option<String>,
}

/// One record to publish for an input message.
pub struct Record<'a> {
    /// Which topic it goes to.
    pub kind: RecordKind,
    /// Its key.
    pub key: Option<&'a [u8]>,
    /// Its value.
    pub value: Option<&'a [u8]>,
    /// Its headers.
    pub headers: &'a [Header],
    /// The input message's timestamp, ms since the epoch (end-to-end latency).
    pub input_timestamp_ms: Option<i64>,
    /// Why a dead letter was written.
    pub reason: Option<&'static str>,
}

/// Publishes the records of input messages.
pub struct Publisher {
    producer: Arc<Producer_>,
    topics: Topics,
    transactions: Option<Arc<Transactions>>,
}

impl Publisher {
    /// A publisher over `producer` to `topics`, inside `transactions` in exactly-once mode.
    pub fn new(
        producer: Arc<Producer_>,
        topics: Topics,
        transactions: Option<Arc<Transactions>>,
    ) -> Self {
        Publisher {
            producer,
            topics,
            transactions,
        }
    }

    /// Whether dedup index entries are published.
    pub fn publishes_index(&self) -> bool {
        self.topics.index.is_some()
    }

    /// Publishes `records` for the input offset `ticket`. The offset is acknowledged once every
    /// record is (at once when there is none). Index records are skipped when no index topic
    /// is configured. Nothing is published for a ticket of a partition no longer this
    /// worker's (revoked, or rewound after an aborted transaction): its next consumer redoes it.
    pub fn publish(&self, shared: &Shared, ticket: Ticket, records: &[Record<'_>]) {
        let _entered = match &self.transactions {
            Some(txn) => match txn.enter() {
                Some(entered) => Some(entered),
                None => return, // stopping: the rest is redone after the restart
            },
            None => None,
        };
        // Checked while holding the transaction: a revoke or rewind cannot slip in between.
        if !shared.tracker().is_current(&ticket) {
            return;
        }
        self.send_all(shared, ticket, records);
    }

    fn send_all(&self, shared: &Shared, ticket: Ticket, records: &[Record<'_>]) {
        let records: Vec<(&str, &Record<'_>)> = records
            .iter()
            .filter_map(|r| {
                let topic = match r.kind {
                    RecordKind::Output => Some(self.topics.output.as_str()),
                    RecordKind::DeadLetter => Some(self.topics.dlq.as_str()),
                    RecordKind::Index => self.topics.index.as_deref(),
                }?;
                Some((topic, r))
            })
            .collect();
        if records.is_empty() {
            shared.ack(&ticket);
            return;
        }
        let pending = Pending::new(ticket, records.len());
        // Read under the hold on the transaction, so it is the one these records go into.
        let epoch = self.transactions.as_ref().map_or(0, |t| t.epoch());
        shared
            .unacknowledged
            .fetch_add(records.len(), std::sync::atomic::Ordering::AcqRel);
        for (topic, r) in records {
            let mut record: BaseRecord<'_, [u8], [u8], Box<Delivery>> = BaseRecord::with_opaque_to(
                topic,
                Box::new(Delivery {
                    pending: pending.clone(),
                    kind: r.kind,
                    input_timestamp_ms: r.input_timestamp_ms,
                    reason: r.reason,
                    epoch,
                }),
            );
            if let Some(k) = r.key {
                record = record.key(k);
            }
            if let Some(v) = r.value {
                record = record.payload(v);
            }
            if !r.headers.is_empty() {
                record = record.headers(to_kafka_headers(r.headers));
            }
            self.send(shared, record);
        }
    }

    /// Hands a record to librdkafka, waiting while its local queue is full (that queue is the
    /// producer side of backpressure).
    fn send(&self, shared: &Shared, mut record: BaseRecord<'_, [u8], [u8], Box<Delivery>>) {
        loop {
            match self.producer.send(record) {
                Ok(()) => return,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    if shared.fatal().is_some() {
                        shared.record_settled();
                        return;
                    }
                    record = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err((e, back)) => {
                    let ticket = &back.delivery_opaque.pending.ticket;
                    let what = format!(
                        "cannot enqueue record for {} offset {}: {e}",
                        ticket.partition, ticket.offset
                    );
                    match &self.transactions {
                        // Once a record of the transaction failed, librdkafka refuses new ones
                        // (erroneous state) until it is aborted: the abort redoes this one.
                        Some(txn) => txn.doom(&what),
                        None => shared.set_fatal(what),
                    }
                    // After the doom, so a transaction waiting for this record sees why.
                    shared.record_settled();
                    return;
                }
            }
        }
    }
}

fn to_kafka_headers(headers: &[Header]) -> OwnedHeaders {
    headers.iter().fold(
        OwnedHeaders::new_with_capacity(headers.len()),
        |acc, (k, v)| {
            acc.insert(KafkaHeader {
                key: k,
                value: v.as_deref(),
            })
        },
    )
}
