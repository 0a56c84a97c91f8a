//! Committing input offsets.
//!
//! The worker decides *what* may be committed with [`news_enricher_core::offsets::OffsetTracker`]; this module
//! is the one place that decides *how*: [`Committer::commit`], called by the commit tick, the
//! revoke callback and the shutdown drain alike. At least once, that is a consumer-group
//! commit; exactly once, the end of a transaction that holds the offsets with the records they
//! produced (see [`super::transaction`]). The tracker, the rebalance drain and the processing
//! threads are the same in both modes.

use std::collections::BTreeMap;
use std::time::Instant;

use rdkafka::consumer::{CommitMode, Consumer, ConsumerContext};
use rdkafka::error::KafkaResult;
use rdkafka::{Offset, TopicPartitionList};

use super::shared::Shared;
use super::transaction::{Ended, Transactions};
use news_enricher_core::offsets::TopicPartition;

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
pub enum Reason<'a> {
    /// The commit interval elapsed (at-least-once: asynchronous, so processing never waits on
    /// it), or, in exactly-once mode, the transaction is full or has been open long enough.
    Periodic,
    /// These partitions are being revoked: synchronous, inside the rebalance callback, while
    /// they are still this worker's. They are released from the tracker once committed.
    Revoke(&'a [TopicPartition]),
    /// The worker is stopping after its drain: synchronous, the last commit.
    Shutdown,
}

impl Reason<'_> {
    /// As logged.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Periodic => "periodic",
            Reason::Revoke(_) => "revoke",
            Reason::Shutdown => "shutdown",
        }
    }
}

/// How input offsets are committed: the seam between the two delivery guarantees. The commit
/// tick, the revoke callback and the shutdown drain all call [`Committer::commit`].
pub enum Committer {
    /// At-least-once: a consumer-group commit of what the tracker says is complete.
    Group,
    /// Exactly-once: the offsets go into the open transaction, which then commits.
    Transactional(std::sync::Arc<Transactions>),
}

impl Committer {
    /// Commits what is complete for `reason`, and releases revoked partitions from the tracker.
    /// Returns the offsets committed, `None` when the commit failed (logged: nothing is lost by
    /// it; a later commit covers the offsets, or whoever consumes the partitions next redoes
    /// them). `deadline` bounds the synchronous work of a transaction.
    pub fn commit<C: ConsumerContext, K: Consumer<C> + ?Sized>(
        &self,
        consumer: &K,
        shared: &Shared,
        reason: Reason<'_>,
        deadline: Instant,
    ) -> Option<BTreeMap<TopicPartition, i64>> {
        match self {
            Committer::Group => {
                let offsets = {
                    let t = shared.tracker();
                    match reason {
                        Reason::Periodic => t.uncommitted(),
                        Reason::Revoke(revoked) => t.committable_for(revoked),
                        Reason::Shutdown => t.committable_for(&t.assigned()),
                    }
                };
                let committed = (shared.fatal().is_none()
                    && group_commit(consumer, shared, &offsets, reason).is_ok())
                .then_some(offsets);
                release(shared, reason);
                committed
            }
            Committer::Transactional(txn) => match txn.end(consumer, shared, reason, deadline) {
                Ended::Committed(offsets) => Some(offsets),
                Ended::Empty => Some(BTreeMap::new()),
                Ended::Aborted | Ended::Failed => None,
            },
        }
    }

    /// The open transaction, in exactly-once mode.
    pub fn transactions(&self) -> Option<&Transactions> {
        match self {
            Committer::Group => None,
            Committer::Transactional(t) => Some(t),
        }
    }
}

/// Releases revoked partitions from the tracker (nothing for other reasons): their work in
/// progress is abandoned, and nothing more of theirs is published.
pub(super) fn release(shared: &Shared, reason: Reason<'_>) {
    if let Reason::Revoke(revoked) = reason {
        let mut t = shared.tracker();
        for tp in revoked {
            t.revoke(tp);
        }
    }
}

/// Commits `offsets` for the consumer's group (nothing to do for an empty map). The commits
/// counter counts each commit once, here — a synchronous one by the coordinator's answer, a
/// periodic one when the client accepts it (librdkafka's commit callback does not count) — and
/// the tracker and the lag gauge follow what was committed.
fn group_commit<C: ConsumerContext, K: Consumer<C> + ?Sized>(
    consumer: &K,
    shared: &Shared,
    offsets: &BTreeMap<TopicPartition, i64>,
    reason: Reason<'_>,
) -> KafkaResult<()> {
    if offsets.is_empty() {
        return Ok(());
    }
    let mode = match reason {
        Reason::Periodic => CommitMode::Async,
        Reason::Revoke(_) | Reason::Shutdown => CommitMode::Sync,
    };
    let result = to_partition_list(offsets).and_then(|tpl| consumer.commit(&tpl, mode));
    shared.metrics.commit(result.is_ok());
    match &result {
        Ok(()) => {
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
