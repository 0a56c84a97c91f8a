//! Committing input offsets.
//!
//! The worker decides *what* may be committed with [`crate::offsets::OffsetTracker`]; this module
//! is the one place that decides *how*: [`commit`], called by the commit tick, the revoke
//! callback and the shutdown drain alike. Today that is a consumer-group commit. An
//! exactly-once mode replaces it with a transaction: begin before producing a batch, then
//! `send_offsets_to_transaction` with the same offsets and `commit_transaction` — the tracker,
//! the rebalance drain and the processing threads stay as they are.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use rdkafka::consumer::{CommitMode, Consumer, ConsumerContext};
use rdkafka::error::KafkaResult;
use rdkafka::{Offset, TopicPartitionList};

use super::context::Shared;
use crate::offsets::TopicPartition;

/// Offsets as librdkafka wants them.
pub fn to_partition_list(
    offsets: &BTreeMap<TopicPartition, i64>,
) -> KafkaResult<TopicPartitionList> {
    let mut tpl = TopicPartitionList::with_capacity(offsets.len());
    for (tp, &offset) in offsets {
        tpl.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(offset))?;
    }
    Ok(tpl)
}

/// Partitions of a librdkafka list.
pub fn from_partition_list(tpl: &TopicPartitionList) -> Vec<TopicPartition> {
    tpl.elements()
        .iter()
        .map(|e| TopicPartition::new(e.topic(), e.partition()))
        .collect()
}

/// The moments the worker commits input offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The commit interval elapsed: asynchronous, so processing never waits on it.
    Periodic,
    /// Partitions are being revoked: synchronous, inside the rebalance callback, while they
    /// are still this worker's.
    Revoke,
    /// The worker is stopping after its drain: synchronous.
    Shutdown,
}

impl Reason {
    /// As logged.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Periodic => "periodic",
            Reason::Revoke => "revoke",
            Reason::Shutdown => "shutdown",
        }
    }
}

/// Commits `offsets` for the consumer's group (nothing to do for an empty map): the one path
/// every commit takes, whatever its [`Reason`]. The commits counter counts each commit once,
/// here — a synchronous one by the coordinator's answer, a periodic one when the client
/// accepts it (librdkafka's commit callback does not count) — and the tracker and the lag
/// gauge follow what was committed. A failure is logged and returned; nothing is lost by it:
/// a later commit covers the offsets, or the next owner redoes the messages.
pub fn commit<C: ConsumerContext, K: Consumer<C> + ?Sized>(
    consumer: &K,
    shared: &Shared,
    offsets: &BTreeMap<TopicPartition, i64>,
    reason: Reason,
) -> KafkaResult<()> {
    if offsets.is_empty() {
        return Ok(());
    }
    let mode = match reason {
        Reason::Periodic => CommitMode::Async,
        Reason::Revoke | Reason::Shutdown => CommitMode::Sync,
    };
    let result = to_partition_list(offsets).and_then(|tpl| consumer.commit(&tpl, mode));
    shared.metrics.commit(result.is_ok());
    match &result {
        Ok(()) => {
            shared.counters.commits.fetch_add(1, Ordering::Relaxed);
            shared.tracker().mark_committed(offsets);
            shared.refresh_lag(offsets.keys());
            tracing::debug!(
                reason = reason.as_str(),
                partitions = offsets.len(),
                "offsets committed"
            );
        }
        Err(e) => tracing::warn!(
            error = %e,
            reason = reason.as_str(),
            "commit failed; a later commit covers its offsets, or the next owner redoes them"
        ),
    }
    result
}
