//! The consumer's callbacks: rebalances (a revoke drains and commits while the partitions are
//! still ours), statistics for the lag gauge, client errors and commit answers.

use std::sync::atomic::Ordering;
use std::time::Instant;

use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::TopicPartitionList;

use super::commit::{from_partition_list, Committer, Reason};
use super::shared::{is_fatal, Shared};

/// The consumer's callbacks.
pub struct ConsumerCallbacks {
    /// Shared state.
    pub shared: std::sync::Arc<Shared>,
    /// How offsets are committed (the revoke callback commits too).
    pub committer: Committer,
}

impl ClientContext for ConsumerCallbacks {
    /// librdkafka's statistics feed the lag gauge.
    fn stats(&self, statistics: rdkafka::Statistics) {
        self.shared.note_statistics(&statistics);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if is_fatal(&error) {
            self.shared
                .set_fatal(format!("consumer: {error}: {reason}"));
        } else {
            tracing::warn!(%error, reason, "consumer client error");
        }
    }
}

impl ConsumerContext for ConsumerCallbacks {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Revoke(tpl) = rebalance else {
            return;
        };
        self.shared
            .metrics
            .rebalances
            .with_label_values(&["revoke"])
            .inc();
        let revoked = from_partition_list(tpl);
        if revoked.is_empty() {
            return;
        }
        // Drain here, inside the callback, while we still own the partitions: committing after
        // the rebalance completes would fail or, worse, race the next owner.
        let deadline = Instant::now() + self.shared.drain_timeout;
        let drained = self
            .shared
            .wait_until(deadline, |t| t.in_flight_for(&revoked) == 0);
        let abandoned = self.shared.tracker().in_flight_for(&revoked);
        // Committing releases the revoked partitions from the tracker; a failure is logged
        // there, and the next owner redoes what it covered. A transaction gets the drain's
        // budget again to end: ending it is what hands the partitions over cleanly.
        let committed = self.committer.commit(
            consumer,
            &self.shared,
            Reason::Revoke(&revoked),
            Instant::now() + self.shared.drain_timeout,
        );
        self.shared.forget_lag(&revoked);
        tracing::info!(
            partitions = ?revoked.iter().map(ToString::to_string).collect::<Vec<_>>(),
            drained,
            abandoned,
            committed = ?committed.map(|c| c.values().copied().collect::<Vec<_>>()),
            "partitions revoked"
        );
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => {
                self.shared
                    .metrics
                    .rebalances
                    .with_label_values(&["assign"])
                    .inc();
                let assigned = from_partition_list(tpl);
                let mut t = self.shared.tracker();
                for tp in &assigned {
                    t.assign(tp.clone());
                }
                drop(t);
                tracing::info!(
                    partitions = ?assigned.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "partitions assigned"
                );
                // Assigned while consumption is paused at the in-flight limit: start paused,
                // or these partitions would be fetched past the limit until the next resume.
                if self.shared.flow_paused.load(Ordering::Relaxed) {
                    match consumer.pause(tpl) {
                        Ok(()) => tracing::debug!("new partitions paused: in-flight limit reached"),
                        Err(e) => tracing::warn!(error = %e, "pausing new partitions failed"),
                    }
                }
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => tracing::warn!(error = %e, "rebalance error"),
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        // Counted where the commit is made ([`commit`]), once; this only logs what the
        // coordinator answered. Nothing is lost by a failure: the next commit covers these
        // offsets or a later owner redoes them.
        match result {
            Ok(()) => tracing::trace!(partitions = offsets.count(), "commit acknowledged"),
            Err(e) => tracing::warn!(error = %e, "offset commit failed at the coordinator"),
        }
    }
}
