//! librdkafka client configuration for the worker's consumer and producer.
//!
//! The properties the delivery guarantee depends on are set here and cannot be overridden
//! (config validation rejects them); everything else passes through from the user.

use rdkafka::config::ClientConfig;

use crate::config::{is_secret_property, WorkerConfig};

/// Consumer: group member, cooperative rebalancing, no automatic commits or offset stores.
pub fn consumer_config(cfg: &WorkerConfig) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &cfg.brokers)
        .set("group.id", &cfg.group_id)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("partition.assignment.strategy", "cooperative-sticky")
        // Statistics carry each partition's high watermark for the lag gauge, as often as
        // commits move the other end of it.
        .set(
            "statistics.interval.ms",
            cfg.commit_interval.as_millis().max(100).to_string(),
        )
        // librdkafka's default (500 ms) is what an article waits when the broker holds a fetch
        // open until then: on tansu it was most of the arrival → publish latency (p99 ~350 ms
        // at 200-1,000 articles/s). 10 ms costs an idle worker ~100 small fetches a second
        // per broker and nothing under load, where fetches fill before the wait ends.
        .set("fetch.wait.max.ms", "10")
        // Never read records of aborted transactions (upstream's, or in exactly-once mode a
        // previous incarnation's): librdkafka's default, pinned because both guarantees
        // depend on it.
        .set("isolation.level", "read_committed")
        .set("client.id", "news-enricher");
    if cfg.stop_at.is_some() {
        // A replay knows a partition is done when it reaches the end, even if the last
        // offsets before it are no messages (transaction markers).
        c.set("enable.partition.eof", "true");
    }
    for (k, v) in cfg.kafka_common.iter().chain(&cfg.kafka_consumer) {
        c.set(k, v);
    }
    c
}

/// Producer: idempotent, acknowledged by all in-sync replicas, compressed.
pub fn producer_config(cfg: &WorkerConfig) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &cfg.brokers)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("compression.type", cfg.compression.as_str())
        .set("linger.ms", "5")
        // Room for the largest record the worker publishes plus headers and framing; records
        // above `max_output_bytes` are dead-lettered before they reach librdkafka.
        .set(
            "message.max.bytes",
            (cfg.max_output_bytes + 65_536).max(1_000_000).to_string(),
        )
        .set("client.id", "news-enricher");
    if let Some(t) = &cfg.transactions {
        c.set("transactional.id", &t.id);
    }
    for (k, v) in cfg.kafka_common.iter().chain(&cfg.kafka_producer) {
        c.set(k, v);
    }
    c
}

/// A client configuration as a loggable string, secrets masked.
pub fn redacted(c: &ClientConfig) -> String {
    let mut pairs: Vec<_> = c
        .config_map()
        .iter()
        .map(|(k, v)| {
            // A value naming a secret key is masked too: a mistyped list separator
            // ("a=b;sasl.password=…") must not leak the secret into the log.
            if is_secret_property(k) || is_secret_property(v) {
                format!("{k}=***")
            } else {
                format!("{k}={v}")
            }
        })
        .collect();
    pairs.sort();
    pairs.join(" ")
}
