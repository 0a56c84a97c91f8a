//! The producer's side of acknowledgement: what each produced record answers for
//! ([`Delivery`], [`Pending`]) and the delivery callback that acknowledges input offsets.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rdkafka::client::ClientContext;
use rdkafka::error::KafkaError;
use rdkafka::message::DeliveryResult;
use rdkafka::producer::ProducerContext;

use super::shared::{is_fatal, Shared};
use super::transaction::Signals;
use news_enricher_core::offsets::Ticket;

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
