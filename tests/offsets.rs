//! The watermark tracker: the piece the at-least-once guarantee rests on.

use std::collections::{BTreeMap, BTreeSet};

use news_enricher_core::offsets::{OffsetTracker, PartitionOffsets, TopicPartition};
use proptest::prelude::*;

/// Offsets with gaps (compaction, transaction markers) and a random acknowledgement order.
fn offsets_and_ack_order() -> impl Strategy<Value = (Vec<i64>, Vec<usize>)> {
    prop::collection::vec(1i64..4, 1..60).prop_flat_map(|gaps| {
        let offsets: Vec<i64> = gaps
            .iter()
            .scan(100i64, |o, g| {
                *o += g;
                Some(*o)
            })
            .collect();
        let n = offsets.len();
        (
            Just(offsets),
            Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
        )
    })
}

proptest! {
    /// Whatever the acknowledgement order, the committable offset never passes an offset whose
    /// output is unacknowledged, never moves backwards, and reaches one past the last offset
    /// once everything is acknowledged.
    #[test]
    fn committable_never_passes_an_unacked_offset((offsets, order) in offsets_and_ack_order()) {
        let mut p = PartitionOffsets::default();
        for &o in &offsets {
            p.track(o);
        }
        let mut unacked: BTreeSet<i64> = offsets.iter().copied().collect();
        let mut last = p.committable().unwrap();
        prop_assert_eq!(last, offsets[0]);
        for i in order {
            prop_assert!(p.ack(offsets[i]));
            prop_assert!(!p.ack(offsets[i]), "second ack of the same offset must be a no-op");
            unacked.remove(&offsets[i]);
            let c = p.committable().unwrap();
            prop_assert!(c >= last, "committable went backwards: {} -> {}", last, c);
            if let Some(&lowest) = unacked.first() {
                prop_assert_eq!(c, lowest);
            }
            prop_assert!(unacked.iter().all(|&u| u >= c));
            last = c;
        }
        prop_assert_eq!(p.committable(), Some(offsets.last().unwrap() + 1));
        prop_assert_eq!(p.in_flight(), 0);
    }

    /// Interleaved tracking and acknowledgement, as in the worker, across partitions: what the
    /// tracker reports as uncommitted is always at or below the lowest unacknowledged offset of
    /// each partition and strictly above the previous commit.
    #[test]
    fn interleaved_track_ack_commit(ops in prop::collection::vec((0i32..3, any::<bool>(), any::<prop::sample::Index>()), 1..200)) {
        let mut t = OffsetTracker::new();
        let tps: Vec<_> = (0..3).map(|p| TopicPartition::new("in", p)).collect();
        for tp in &tps {
            t.assign(tp.clone());
        }
        let mut next = [0i64; 3];
        let mut pending: Vec<Vec<news_enricher_core::offsets::Ticket>> = vec![Vec::new(); 3];
        let mut committed: BTreeMap<TopicPartition, i64> = BTreeMap::new();
        for (p, is_track, idx) in ops {
            let pi = p as usize;
            if is_track || pending[pi].is_empty() {
                let ticket = t.track(&tps[pi], next[pi]).unwrap();
                next[pi] += 1;
                pending[pi].push(ticket);
            } else {
                let at = idx.index(pending[pi].len());
                let ticket = pending[pi].remove(at);
                prop_assert!(t.ack(&ticket));
            }
            let up = t.uncommitted();
            for (tp, &o) in &up {
                let pi = tp.partition as usize;
                let lowest = pending[pi].iter().map(|k| k.offset).min().unwrap_or(next[pi]);
                prop_assert!(o <= lowest, "{} would commit {} past unacked {}", tp, o, lowest);
                if let Some(&c) = committed.get(tp) {
                    prop_assert!(o > c, "{} re-commits or regresses: {} after {}", tp, o, c);
                }
            }
            t.mark_committed(&up);
            committed.extend(up);
            prop_assert_eq!(t.in_flight(), pending.iter().map(Vec::len).sum::<usize>());
        }
    }
}

#[test]
fn nothing_is_committable_before_anything_is_tracked() {
    let mut t = OffsetTracker::new();
    let tp = TopicPartition::new("in", 0);
    t.assign(tp.clone());
    assert!(t.uncommitted().is_empty());
    assert!(t.committable_for(std::slice::from_ref(&tp)).is_empty());
}

#[test]
fn messages_for_unassigned_partitions_are_refused() {
    let mut t = OffsetTracker::new();
    assert!(t.track(&TopicPartition::new("in", 0), 5).is_none());
}

#[test]
fn acks_from_an_earlier_assignment_are_ignored() {
    let mut t = OffsetTracker::new();
    let tp = TopicPartition::new("in", 0);
    t.assign(tp.clone());
    let old = t.track(&tp, 10).unwrap();
    assert_eq!(t.revoke(&tp), 1, "one output was still in flight at revoke");
    t.assign(tp.clone());
    assert!(!t.is_current(&old));
    let new = t.track(&tp, 10).unwrap();
    assert!(
        !t.ack(&old),
        "a late ack from the old assignment must not count"
    );
    assert_eq!(t.uncommitted().get(&tp), Some(&10));
    assert!(t.ack(&new));
    assert_eq!(t.uncommitted().get(&tp), Some(&11));
}

#[test]
fn commits_never_regress_even_when_an_old_offset_is_redelivered() {
    let mut t = OffsetTracker::new();
    let tp = TopicPartition::new("in", 0);
    t.assign(tp.clone());
    for o in 0..5 {
        let k = t.track(&tp, o).unwrap();
        t.ack(&k);
    }
    let up = t.uncommitted();
    assert_eq!(up.get(&tp), Some(&5));
    t.mark_committed(&up);
    // A redelivery of offset 2 (e.g. a seek) is in flight again: nothing below 5 may be
    // committed, and the synchronous commit position stays at 5.
    let _k = t.track(&tp, 2).unwrap();
    assert!(t.uncommitted().is_empty());
    assert_eq!(
        t.committable_for(std::slice::from_ref(&tp)).get(&tp),
        Some(&5)
    );
}

#[test]
fn in_flight_is_counted_per_partition() {
    let mut t = OffsetTracker::new();
    let (a, b) = (TopicPartition::new("in", 0), TopicPartition::new("in", 1));
    t.assign(a.clone());
    t.assign(b.clone());
    let ka = t.track(&a, 0).unwrap();
    t.track(&b, 0).unwrap();
    t.track(&b, 1).unwrap();
    assert_eq!(t.in_flight_for(std::slice::from_ref(&a)), 1);
    assert_eq!(t.in_flight_for(std::slice::from_ref(&b)), 2);
    assert_eq!(t.in_flight(), 3);
    t.ack(&ka);
    assert_eq!(t.in_flight_for(std::slice::from_ref(&a)), 0);
    assert_eq!(t.assigned(), vec![a, b]);
}

#[test]
fn a_rewind_returns_to_the_last_commit_and_abandons_work_in_progress() {
    let mut t = OffsetTracker::new();
    let tp = TopicPartition::new("in", 0);
    t.assign(tp.clone());
    assert_eq!(t.rewind(&tp), None, "nothing received: nothing to seek");
    // Consumption started at 40 (the group's commit): before any commit of ours, a rewind
    // returns there.
    let tickets: Vec<_> = (40..45).map(|o| t.track(&tp, o).unwrap()).collect();
    t.ack(&tickets[0]);
    assert_eq!(t.rewind(&tp), Some(40));
    assert!(tickets.iter().all(|k| !t.is_current(k)));
    assert!(
        !t.ack(&tickets[1]),
        "a late ack from before the rewind is ignored"
    );
    assert_eq!(t.in_flight(), 0);
    assert!(
        t.uncommitted().is_empty(),
        "nothing committable until re-received"
    );
    // Re-received from 40, committed to 43, then aborted again: back to 43.
    for o in 40..46 {
        let k = t.track(&tp, o).unwrap();
        if o < 43 {
            t.ack(&k);
        }
    }
    let up = t.uncommitted();
    assert_eq!(up.get(&tp), Some(&43));
    t.mark_committed(&up);
    assert_eq!(t.rewind(&tp), Some(43));
    assert_eq!(t.committed(&tp), Some(43), "a rewind keeps the commit");
    assert_eq!(
        t.rewind(&TopicPartition::new("in", 1)),
        None,
        "not assigned"
    );
}
