//! Which input offsets may be committed: a per-partition watermark over acknowledged outputs.
//!
//! The at-least-once guarantee lives here. An input offset becomes committable only once the
//! broker has acknowledged everything the worker wrote for it *and* for every earlier offset of
//! the same partition. Outputs are acknowledged out of order (they go to different output
//! partitions), so the committable position is the lowest offset still in flight, or one past the
//! highest tracked offset when nothing is.
//!
//! Commits never move backwards: a partition remembers what was committed and reports only
//! progress beyond it (a backwards commit would replay a whole partition, see vector#9587).
//!
//! Assignments carry a generation. A partition that is revoked and later assigned again starts
//! fresh, and acknowledgements that arrive for an older generation are ignored, so a late ack from
//! before a rebalance cannot commit anything on behalf of the new assignment.
//!
//! A transaction that aborts rewinds its partitions ([`OffsetTracker::rewind`]): a new
//! generation, back to the last commit, so nothing received under the old one counts.
//!
//! This module is pure bookkeeping; the shell decides *how* a commit happens (a consumer-group
//! commit at least once, `send_offsets_to_transaction` exactly once), see
//! the worker's `kafka::commit`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A topic and partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    /// Topic name.
    pub topic: String,
    /// Partition number.
    pub partition: i32,
}

impl TopicPartition {
    /// Convenience constructor.
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

impl std::fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}[{}]", self.topic, self.partition)
    }
}

/// The watermark of one partition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartitionOffsets {
    in_flight: BTreeSet<i64>,
    highest: Option<i64>,
}

impl PartitionOffsets {
    /// Records that `offset` was received and its output is on the way.
    pub fn track(&mut self, offset: i64) {
        self.in_flight.insert(offset);
        self.highest = Some(self.highest.map_or(offset, |h| h.max(offset)));
    }

    /// Records that the output of `offset` was acknowledged. Returns whether it was in flight.
    pub fn ack(&mut self, offset: i64) -> bool {
        self.in_flight.remove(&offset)
    }

    /// The offset to commit (the next one to consume): the lowest in flight, else one past the
    /// highest tracked. `None` before anything was tracked.
    pub fn committable(&self) -> Option<i64> {
        match self.in_flight.first() {
            Some(&lowest) => Some(lowest),
            None => self.highest.map(|h| h + 1),
        }
    }

    /// Offsets received whose output is not yet acknowledged.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }
}

/// Proof that an offset was tracked under a given assignment; handed back on acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// Partition the offset belongs to.
    pub partition: TopicPartition,
    /// The input offset.
    pub offset: i64,
    /// Assignment generation the offset was tracked under.
    pub generation: u64,
}

#[derive(Debug)]
struct Assigned {
    generation: u64,
    offsets: PartitionOffsets,
    committed: Option<i64>,
    /// The first offset tracked in this generation: where consumption started, so where a
    /// rewind returns to when this worker has committed nothing yet.
    first: Option<i64>,
}

/// Watermarks of every assigned partition.
#[derive(Debug, Default)]
pub struct OffsetTracker {
    partitions: HashMap<TopicPartition, Assigned>,
    next_generation: u64,
}

impl OffsetTracker {
    /// An empty tracker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts tracking a newly assigned partition. Re-assigning starts a new generation.
    pub fn assign(&mut self, tp: TopicPartition) {
        self.next_generation += 1;
        self.partitions.insert(
            tp,
            Assigned {
                generation: self.next_generation,
                offsets: PartitionOffsets::default(),
                committed: None,
                first: None,
            },
        );
    }

    /// Forgets everything received on an assigned partition since its last commit, for a
    /// transaction that was aborted: a new generation (so work in progress under the old one
    /// is abandoned, never acknowledged), nothing in flight, the commit kept. Returns the
    /// offset the consumer must seek back to: the last commit, else where consumption started;
    /// `None` when nothing was received (no seek needed), or the partition is not assigned.
    pub fn rewind(&mut self, tp: &TopicPartition) -> Option<i64> {
        self.next_generation += 1;
        let generation = self.next_generation;
        let a = self.partitions.get_mut(tp)?;
        let to = a.first.map(|first| a.committed.unwrap_or(first));
        a.generation = generation;
        a.offsets = PartitionOffsets::default();
        a.first = to;
        to
    }

    /// Stops tracking a revoked partition. Returns how many outputs were still in flight (they
    /// will be consumed again by the next owner).
    pub fn revoke(&mut self, tp: &TopicPartition) -> usize {
        self.partitions
            .remove(tp)
            .map_or(0, |a| a.offsets.in_flight())
    }

    /// Whether the partition is currently assigned.
    pub fn is_assigned(&self, tp: &TopicPartition) -> bool {
        self.partitions.contains_key(tp)
    }

    /// Records a received offset. `None` when the partition is not assigned (a message that
    /// raced a revoke): such a message must not be processed.
    pub fn track(&mut self, tp: &TopicPartition, offset: i64) -> Option<Ticket> {
        let assigned = self.partitions.get_mut(tp)?;
        assigned.offsets.track(offset);
        assigned.first.get_or_insert(offset);
        Some(Ticket {
            partition: tp.clone(),
            offset,
            generation: assigned.generation,
        })
    }

    /// Records an acknowledged output. Returns false for tickets of a revoked or older
    /// assignment, which are ignored.
    pub fn ack(&mut self, ticket: &Ticket) -> bool {
        match self.partitions.get_mut(&ticket.partition) {
            Some(a) if a.generation == ticket.generation => a.offsets.ack(ticket.offset),
            _ => false,
        }
    }

    /// Committable offsets that are ahead of the last commit, per partition.
    pub fn uncommitted(&self) -> BTreeMap<TopicPartition, i64> {
        self.partitions
            .iter()
            .filter_map(|(tp, a)| {
                let next = a.offsets.committable()?;
                (a.committed.is_none_or(|c| next > c)).then(|| (tp.clone(), next))
            })
            .collect()
    }

    /// Committable offsets of the given partitions whether or not they were committed before
    /// (never below the last commit). Used for the synchronous commits on revoke and shutdown,
    /// which must not depend on an earlier asynchronous commit having succeeded.
    pub fn committable_for(&self, tps: &[TopicPartition]) -> BTreeMap<TopicPartition, i64> {
        tps.iter()
            .filter_map(|tp| {
                let a = self.partitions.get(tp)?;
                let next = a.offsets.committable()?;
                Some((tp.clone(), a.committed.map_or(next, |c| c.max(next))))
            })
            .collect()
    }

    /// Whether a ticket belongs to the current assignment of its partition; work for stale
    /// tickets is abandoned.
    pub fn is_current(&self, ticket: &Ticket) -> bool {
        self.partitions
            .get(&ticket.partition)
            .is_some_and(|a| a.generation == ticket.generation)
    }

    /// Records that offsets were committed, so they are not committed again and never regress.
    pub fn mark_committed(&mut self, committed: &BTreeMap<TopicPartition, i64>) {
        for (tp, &offset) in committed {
            if let Some(a) = self.partitions.get_mut(tp) {
                a.committed = Some(a.committed.map_or(offset, |c| c.max(offset)));
            }
        }
    }

    /// The offset last committed for an assigned partition by this worker, if any.
    pub fn committed(&self, tp: &TopicPartition) -> Option<i64> {
        self.partitions.get(tp)?.committed
    }

    /// Outputs in flight across all partitions.
    pub fn in_flight(&self) -> usize {
        self.partitions
            .values()
            .map(|a| a.offsets.in_flight())
            .sum()
    }

    /// Outputs in flight for the given partitions.
    pub fn in_flight_for(&self, tps: &[TopicPartition]) -> usize {
        tps.iter()
            .filter_map(|tp| self.partitions.get(tp))
            .map(|a| a.offsets.in_flight())
            .sum()
    }

    /// Currently assigned partitions.
    pub fn assigned(&self) -> Vec<TopicPartition> {
        let mut v: Vec<_> = self.partitions.keys().cloned().collect();
        v.sort();
        v
    }
}
