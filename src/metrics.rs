//! Prometheus metrics of the worker.
//!
//! One [`Metrics`] per worker, with its own registry (no global default registry), so several
//! workers in one process — tests, the demo — never mix their numbers. Names follow the
//! Prometheus conventions: `news_enricher_` prefix, base units (`_seconds`), `_total` on
//! counters. The README lists every metric; `promtool check metrics` runs on a live worker's
//! output in the test suite.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// The worker's metrics.
pub struct Metrics {
    registry: Registry,
    /// Messages received from the input topic.
    pub consumed: IntCounterVec,
    /// Records acknowledged by the broker, by topic (output, dead-letter, dedup index).
    pub produced: IntCounterVec,
    /// Dead-letter records acknowledged, by reason.
    pub dead_lettered: IntCounterVec,
    /// Time each stage spent on one article.
    pub stage_duration: HistogramVec,
    /// Input message timestamp to the output record's acknowledgement.
    pub end_to_end_latency: Histogram,
    /// Input messages received and not yet fully acknowledged.
    pub in_flight: IntGauge,
    /// Messages behind the partition's high watermark, from librdkafka's statistics.
    pub consumer_lag: IntGaugeVec,
    /// Offset commits, by result.
    pub commits: IntCounterVec,
    /// Dedup verdicts, by status.
    pub dedup_verdicts: IntCounterVec,
    /// Duplicates not published under `--dedup-policy drop`.
    pub dedup_dropped: IntCounter,
    /// Partition assignments and revocations.
    pub rebalances: IntCounterVec,
    /// 1 when the worker is ready to process articles.
    pub ready: IntGauge,
    /// Exactly-once: transactions ended, by result (committed or aborted).
    pub transactions: IntCounterVec,
    /// Exactly-once: from a transaction's first record to its commit or abort.
    pub transaction_duration: Histogram,
    /// Exactly-once: input messages per committed transaction.
    pub transaction_messages: Histogram,
    /// Spans handed to the OTLP exporter's queue, and spans it sent or failed to send.
    pub spans: IntCounterVec,
}

fn counter_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
    r.register(Box::new(c.clone())).expect("unique metric");
    c
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Self {
        let r = Registry::new();
        let consumed = counter_vec(
            &r,
            "news_enricher_messages_consumed_total",
            "Messages received from the input topic.",
            &["topic"],
        );
        let produced = counter_vec(
            &r,
            "news_enricher_messages_produced_total",
            "Records acknowledged by the broker, by destination topic.",
            &["topic"],
        );
        let dead_lettered = counter_vec(
            &r,
            "news_enricher_messages_dead_lettered_total",
            "Dead-letter records acknowledged by the broker, by reason.",
            &["reason"],
        );
        let stage_duration = HistogramVec::new(
            HistogramOpts::new(
                "news_enricher_stage_duration_seconds",
                "Time one stage spent on one article.",
            )
            .buckets(vec![
                0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05,
                0.1, 0.25,
            ]),
            &["stage"],
        )
        .expect("valid metric");
        r.register(Box::new(stage_duration.clone()))
            .expect("unique metric");
        let end_to_end_latency = Histogram::with_opts(
            HistogramOpts::new(
                "news_enricher_end_to_end_latency_seconds",
                "From the input message's timestamp to the broker's acknowledgement of its output record.",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
            ]),
        )
        .expect("valid metric");
        r.register(Box::new(end_to_end_latency.clone()))
            .expect("unique metric");
        let in_flight = IntGauge::new(
            "news_enricher_in_flight_messages",
            "Input messages received and not yet fully acknowledged.",
        )
        .expect("valid metric");
        r.register(Box::new(in_flight.clone()))
            .expect("unique metric");
        let consumer_lag = IntGaugeVec::new(
            Opts::new(
                "news_enricher_consumer_lag",
                "Messages between the consumer's position and the partition's high watermark.",
            ),
            &["topic", "partition"],
        )
        .expect("valid metric");
        r.register(Box::new(consumer_lag.clone()))
            .expect("unique metric");
        let commits = counter_vec(
            &r,
            "news_enricher_commits_total",
            "Offset commits, by result: success = accepted (synchronous commits: by the group coordinator; periodic asynchronous ones: by the client), failure = rejected, or reported failed by the coordinator.",
            &["result"],
        );
        let dedup_verdicts = counter_vec(
            &r,
            "news_enricher_dedup_verdicts_total",
            "Dedup verdicts, by status.",
            &["status"],
        );
        let dedup_dropped = IntCounter::new(
            "news_enricher_dedup_dropped_total",
            "Duplicates not published under the drop policy (their offsets are still committed).",
        )
        .expect("valid metric");
        r.register(Box::new(dedup_dropped.clone()))
            .expect("unique metric");
        let rebalances = counter_vec(
            &r,
            "news_enricher_rebalances_total",
            "Consumer-group rebalances seen, by kind (assign or revoke).",
            &["kind"],
        );
        let ready = IntGauge::new(
            "news_enricher_ready",
            "1 when the worker is ready to process articles (dedup window restored, no fatal error).",
        )
        .expect("valid metric");
        r.register(Box::new(ready.clone())).expect("unique metric");
        let transactions = counter_vec(
            &r,
            "news_enricher_transactions_total",
            "Exactly-once mode: transactions ended, by result (committed, aborted).",
            &["result"],
        );
        let transaction_duration = Histogram::with_opts(
            HistogramOpts::new(
                "news_enricher_transaction_duration_seconds",
                "Exactly-once mode: from a transaction's start to its commit or abort.",
            )
            .buckets(vec![
                0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
            ]),
        )
        .expect("valid metric");
        r.register(Box::new(transaction_duration.clone()))
            .expect("unique metric");
        let transaction_messages = Histogram::with_opts(
            HistogramOpts::new(
                "news_enricher_transaction_messages",
                "Exactly-once mode: input messages per committed transaction.",
            )
            .buckets(vec![
                1.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1_000.0, 2_500.0, 10_000.0,
            ]),
        )
        .expect("valid metric");
        r.register(Box::new(transaction_messages.clone()))
            .expect("unique metric");
        let spans = counter_vec(
            &r,
            "news_enricher_spans_total",
            "OTLP span export: spans queued, exported, or failed to export; queued minus the \
             others is what waits in the queue or was dropped because it was full.",
            &["result"],
        );
        let build_info = IntGaugeVec::new(
            Opts::new(
                "news_enricher_build_info",
                "Always 1; the labels say which build is running.",
            ),
            &["version"],
        )
        .expect("valid metric");
        r.register(Box::new(build_info.clone()))
            .expect("unique metric");
        build_info
            .with_label_values(&[news_enricher_core::record::WORKER_VERSION])
            .set(1);
        // Pre-create the label values operators alert on, so the series exist at zero.
        for result in ["success", "failure"] {
            commits.with_label_values(&[result]);
        }
        for kind in ["assign", "revoke"] {
            rebalances.with_label_values(&[kind]);
        }
        for result in ["committed", "aborted"] {
            transactions.with_label_values(&[result]);
        }
        for result in ["queued", "exported", "failed"] {
            spans.with_label_values(&[result]);
        }
        Metrics {
            registry: r,
            consumed,
            produced,
            dead_lettered,
            stage_duration,
            end_to_end_latency,
            in_flight,
            consumer_lag,
            commits,
            dedup_verdicts,
            dedup_dropped,
            rebalances,
            ready,
            transactions,
            transaction_duration,
            transaction_messages,
            spans,
        }
    }

    /// Counts one commit by its result.
    pub fn commit(&self, ok: bool) {
        let result = if ok { "success" } else { "failure" };
        self.commits.with_label_values(&[result]).inc();
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut buf = Vec::new();
        // Encoding into a Vec cannot fail for well-formed metrics.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_names_every_metric() {
        let m = Metrics::new();
        m.consumed.with_label_values(&["in"]).inc();
        m.stage_duration
            .with_label_values(&["dedup"])
            .observe(0.001);
        m.dedup_verdicts.with_label_values(&["unique"]).inc();
        m.dead_lettered.with_label_values(&["invalid_json"]).inc();
        m.consumer_lag.with_label_values(&["in", "0"]).set(3);
        m.end_to_end_latency.observe(0.2);
        let text = m.encode();
        for name in [
            "news_enricher_messages_consumed_total{topic=\"in\"} 1",
            "news_enricher_stage_duration_seconds_bucket",
            "news_enricher_end_to_end_latency_seconds_count 1",
            "news_enricher_in_flight_messages 0",
            "news_enricher_consumer_lag{partition=\"0\",topic=\"in\"} 3",
            "news_enricher_commits_total{result=\"failure\"} 0",
            "news_enricher_dedup_verdicts_total{status=\"unique\"} 1",
            "news_enricher_dedup_dropped_total 0",
            "news_enricher_rebalances_total{kind=\"assign\"} 0",
            "news_enricher_ready 0",
            "news_enricher_transactions_total{result=\"aborted\"} 0",
            "news_enricher_transaction_duration_seconds_count 0",
            "news_enricher_transaction_messages_count 0",
            "news_enricher_spans_total{result=\"failed\"} 0",
            "news_enricher_build_info{version=",
            "news_enricher_messages_dead_lettered_total{reason=\"invalid_json\"} 1",
        ] {
            assert!(text.contains(name), "{name} missing from\n{text}");
        }
    }
}
