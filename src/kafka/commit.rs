//! Committing input offsets.
//!
//! The worker decides *what* may be committed with [`crate::offsets::OffsetTracker`]; this module
//! is the one place that decides *how*. Today that is a consumer-group commit. An exactly-once
//! mode replaces [`commit_offsets`] with a transaction: begin before producing a batch, then
//! `send_offsets_to_transaction` with the same offsets and `commit_transaction` — the tracker,
//! the rebalance drain and the processing threads stay as they are.

use std::collections::BTreeMap;

use rdkafka::consumer::{CommitMode, Consumer, ConsumerContext};
use rdkafka::error::KafkaResult;
use rdkafka::{Offset, TopicPartitionList};

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

/// Commits `offsets` for the consumer's group. Nothing to do for an empty map.
pub fn commit_offsets<C: ConsumerContext, K: Consumer<C> + ?Sized>(
    consumer: &K,
    offsets: &BTreeMap<TopicPartition, i64>,
    mode: CommitMode,
) -> KafkaResult<()> {
    if offsets.is_empty() {
        return Ok(());
    }
    consumer.commit(&to_partition_list(offsets)?, mode)
}
