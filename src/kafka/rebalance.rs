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
    /// Whether the group rebalances incrementally (see [`rebalances_incrementally`]).
    pub incremental: bool,
}

/// Whether a consumer with this configuration rebalances incrementally (cooperative-sticky
/// assignment, or the KIP-848 `consumer` group protocol), as librdkafka would answer: known
/// from the configuration, so the rebalance callback never has to ask the group (see
/// [`ConsumerCallbacks::rebalance`]). librdkafka refuses to mix eager and cooperative
/// strategies, so one cooperative name settles it.
pub fn rebalances_incrementally(consumer: &rdkafka::ClientConfig) -> bool {
    consumer.get("group.protocol") == Some("consumer")
        || consumer
            .get("partition.assignment.strategy")
            .is_some_and(|s| s.split(',').any(|s| s.trim() == "cooperative-sticky"))
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
    /// rdkafka's rebalance handling (hooks, then assign or unassign, then hooks), except that
    /// it never sends the group a request once the consumer has closed. A closed consumer's
    /// group drops requests unanswered, and rdkafka's own handling asks it for the rebalance
    /// protocol with no timeout: a revoke still queued when the close finished (two in one
    /// poll while the consumer is dropped) blocked the worker's shutdown forever
    /// (librdkafka#4041; seen in `tests/tansu_dedup.rs`). Nothing is assigned by then, so
    /// there is nothing to hand back. The protocol comes from the configuration instead.
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: rdkafka::types::RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        use rdkafka::types::RDKafkaRespErr;
        if consumer.closed() {
            tracing::debug!(
                ?err,
                "rebalance event after the consumer closed: nothing to do"
            );
            return;
        }
        let rebalance = match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => Rebalance::Assign(tpl),
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => Rebalance::Revoke(tpl),
            e => Rebalance::Error(KafkaError::Rebalance(e.into())),
        };
        self.pre_rebalance(consumer, &rebalance);
        // Checked again: a revoke's drain and commit take time, during which a close may end.
        let handed = if consumer.closed() {
            Ok(())
        } else {
            match (&rebalance, self.incremental) {
                (Rebalance::Assign(tpl), true) => consumer.incremental_assign(tpl),
                (Rebalance::Assign(tpl), false) => consumer.assign(tpl),
                (_, true) => consumer.incremental_unassign(tpl),
                (_, false) => consumer.unassign(),
            }
        };
        if let Err(e) = handed {
            tracing::warn!(error = %e, "rebalance: handing partitions to or from librdkafka failed");
        }
        self.post_rebalance(consumer, &rebalance);
    }

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

#[cfg(test)]
mod tests {
    use super::rebalances_incrementally;
    use rdkafka::ClientConfig;

    #[test]
    fn the_rebalance_protocol_is_read_from_the_configuration() {
        let with = |pairs: &[(&str, &str)]| {
            let mut c = ClientConfig::new();
            for (k, v) in pairs {
                c.set(*k, *v);
            }
            rebalances_incrementally(&c)
        };
        assert!(with(&[(
            "partition.assignment.strategy",
            "cooperative-sticky"
        )]));
        assert!(with(&[(
            "partition.assignment.strategy",
            " cooperative-sticky "
        )]));
        assert!(with(&[("group.protocol", "consumer")]));
        assert!(!with(&[(
            "partition.assignment.strategy",
            "range,roundrobin"
        )]));
        assert!(!with(&[("group.protocol", "classic")]));
        assert!(
            !with(&[]),
            "librdkafka's default (range,roundrobin) is eager"
        );
    }

    #[test]
    fn the_worker_rebalances_incrementally_unless_told_otherwise() {
        let cfg = worker_config(&[]);
        assert!(rebalances_incrementally(
            &super::super::clients::consumer_config(&cfg)
        ));
        let cfg = worker_config(&["consumer.partition.assignment.strategy=range"]);
        assert!(!rebalances_incrementally(
            &super::super::clients::consumer_config(&cfg)
        ));
    }

    fn worker_config(properties: &[&str]) -> crate::config::WorkerConfig {
        crate::config::Settings {
            brokers: Some("localhost:9".into()),
            input_topic: Some("in".into()),
            output_topic: Some("out".into()),
            dlq_topic: Some("dlq".into()),
            group_id: Some("g".into()),
            kafka_properties: properties.iter().map(|p| p.to_string()).collect(),
            ..Default::default()
        }
        .resolve()
        .unwrap()
    }
}
