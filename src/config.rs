//! Worker configuration: command-line flags, `NEWS_ENRICHER_*` environment variables and an
//! optional TOML file, merged in that order of precedence and validated before anything starts.
//!
//! Validation fails fast with a message that names the setting, so a misconfigured deployment
//! crash-loops with a clear log line instead of consuming and misbehaving.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::builder::TypedValueParser;
use serde::Deserialize;

use news_enricher_core::article::Limits;
use news_enricher_core::dedup::index::{IndexConfig, DEFAULT_HORIZON_HOURS, MAX_ENTRIES};
use news_enricher_core::dedup::DedupPolicy;
use news_enricher_core::pipeline::StageKind;

/// Output compression codecs librdkafka builds with here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// No compression.
    None,
    /// gzip.
    Gzip,
    /// Snappy.
    Snappy,
    /// LZ4 (default: cheap on CPU, good on JSON).
    Lz4,
}

impl Compression {
    /// librdkafka's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
        }
    }
}

/// Clap's parser for a stage name: the core's `StageKind` knows its names, clap lists them.
pub fn stage_parser() -> impl TypedValueParser<Value = StageKind> {
    clap::builder::PossibleValuesParser::new(StageKind::NAMES).try_map(|s| s.parse::<StageKind>())
}

/// Clap's parser for a dedup policy.
pub fn dedup_policy_parser() -> impl TypedValueParser<Value = DedupPolicy> {
    clap::builder::PossibleValuesParser::new(DedupPolicy::NAMES)
        .try_map(|s| s.parse::<DedupPolicy>())
}

/// What the worker promises about each input message's records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Guarantee {
    /// Every input message's records are published at least once; a crash or rebalance may
    /// publish some twice. Offsets are committed to the group after the records are
    /// acknowledged.
    #[default]
    AtLeastOnce,
    /// Records and input offsets are committed together in Kafka transactions: a reader with
    /// `isolation.level=read_committed` sees each input message's records exactly once.
    ExactlyOnce,
}

impl Guarantee {
    /// As written in flags and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Guarantee::AtLeastOnce => "at-least-once",
            Guarantee::ExactlyOnce => "exactly-once",
        }
    }
}

/// How the exactly-once mode batches input messages into transactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transactions {
    /// The producer's `transactional.id`: stable per replica, so a restarted replica fences its
    /// previous incarnation and aborts what it left open.
    pub id: String,
    /// A transaction ends once this many input messages are in it...
    pub max_messages: usize,
    /// ...or once it has been open this long, whichever comes first.
    pub max_duration: Duration,
}

/// `run` settings as given on the command line or in the environment. Every field is optional
/// here so the TOML file can fill what flags leave out.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RunArgs {
    /// TOML configuration file; flags and environment variables override it.
    #[arg(long, env = "NEWS_ENRICHER_CONFIG")]
    pub config: Option<PathBuf>,
    /// Kafka bootstrap servers, `host:port[,host:port...]`.
    #[arg(long, env = "NEWS_ENRICHER_BROKERS")]
    pub brokers: Option<String>,
    /// Topic raw articles are read from.
    #[arg(long, env = "NEWS_ENRICHER_INPUT_TOPIC")]
    pub input_topic: Option<String>,
    /// Topic enriched records are written to.
    #[arg(long, env = "NEWS_ENRICHER_OUTPUT_TOPIC")]
    pub output_topic: Option<String>,
    /// Topic for messages that cannot be enriched.
    #[arg(long, env = "NEWS_ENRICHER_DLQ_TOPIC")]
    pub dlq_topic: Option<String>,
    /// Consumer group id; replicas with the same id share the input partitions.
    #[arg(long, env = "NEWS_ENRICHER_GROUP_ID")]
    pub group_id: Option<String>,
    /// Extra librdkafka property `KEY=VALUE` for both clients; prefix the key with `consumer.` or
    /// `producer.` to target one. Repeatable; `;`-separated in the environment (values such as
    /// `debug=broker,topic` contain commas).
    #[arg(
        long = "kafka-property",
        env = "NEWS_ENRICHER_KAFKA_PROPERTY",
        value_delimiter = ';'
    )]
    pub kafka_properties: Vec<String>,
    /// Stages to run, in order (comma-separated). An empty value runs none (passthrough).
    #[arg(
        long,
        env = "NEWS_ENRICHER_STAGES",
        value_delimiter = ',',
        num_args = 0..,
        value_parser = stage_parser()
    )]
    pub stages: Option<Vec<StageKind>>,
    /// Most messages in flight (received, not yet acknowledged) before consumption pauses.
    #[arg(long, env = "NEWS_ENRICHER_MAX_IN_FLIGHT")]
    pub max_in_flight: Option<usize>,
    /// Threads running the stages; partitions are spread across them.
    #[arg(long, env = "NEWS_ENRICHER_PROCESSING_THREADS")]
    pub processing_threads: Option<usize>,
    /// Milliseconds between periodic asynchronous offset commits.
    #[arg(long, env = "NEWS_ENRICHER_COMMIT_INTERVAL_MS")]
    pub commit_interval_ms: Option<u64>,
    /// Seconds allowed for a graceful shutdown (finish, flush, commit).
    #[arg(long, env = "NEWS_ENRICHER_SHUTDOWN_TIMEOUT_SECS")]
    pub shutdown_timeout_secs: Option<u64>,
    /// Seconds a revoke waits for in-flight outputs before giving the partitions up.
    #[arg(long, env = "NEWS_ENRICHER_REBALANCE_DRAIN_TIMEOUT_SECS")]
    pub rebalance_drain_timeout_secs: Option<u64>,
    /// Largest input message accepted, bytes.
    #[arg(long, env = "NEWS_ENRICHER_MAX_MESSAGE_BYTES")]
    pub max_message_bytes: Option<usize>,
    /// Largest article body accepted, characters.
    #[arg(long, env = "NEWS_ENRICHER_MAX_BODY_CHARS")]
    pub max_body_chars: Option<usize>,
    /// Largest enriched record published, bytes; larger ones are dead-lettered.
    #[arg(long, env = "NEWS_ENRICHER_MAX_OUTPUT_BYTES")]
    pub max_output_bytes: Option<usize>,
    /// Hours of event time the dedup window remembers.
    #[arg(long, env = "NEWS_ENRICHER_DEDUP_HORIZON_HOURS")]
    pub dedup_horizon_hours: Option<u64>,
    /// Most articles the dedup window remembers (at most 16,777,215). Its band table is
    /// allocated for this many at start.
    #[arg(long, env = "NEWS_ENRICHER_DEDUP_MAX_ENTRIES")]
    pub dedup_max_entries: Option<usize>,
    /// Estimated Jaccard similarity (0–1] from which an article is a near-duplicate.
    #[arg(long, env = "NEWS_ENRICHER_NEAR_DUPLICATE_THRESHOLD")]
    pub near_duplicate_threshold: Option<f64>,
    /// Most recent articles whose shingle sets are kept to verify near-duplicates on exact
    /// Jaccard (about 2 KB each); older ones are judged on their MinHash estimate.
    #[arg(long, env = "NEWS_ENRICHER_DEDUP_EXACT_CACHE")]
    pub dedup_exact_cache: Option<usize>,
    /// `flag` publishes every article with its verdict; `drop` does not publish duplicates
    /// (their offsets are still committed).
    #[arg(long, env = "NEWS_ENRICHER_DEDUP_POLICY", value_parser = dedup_policy_parser())]
    pub dedup_policy: Option<DedupPolicy>,
    /// Compacted topic that persists the dedup window and shares it between replicas; unset
    /// keeps the window in memory only.
    #[arg(long, env = "NEWS_ENRICHER_DEDUP_INDEX_TOPIC")]
    pub dedup_index_topic: Option<String>,
    /// Output compression.
    #[arg(long, env = "NEWS_ENRICHER_COMPRESSION")]
    pub compression: Option<Compression>,
    /// `at-least-once` (default) or `exactly-once` (Kafka transactions; downstream readers must
    /// set `isolation.level=read_committed`).
    #[arg(long, env = "NEWS_ENRICHER_GUARANTEE")]
    pub guarantee: Option<Guarantee>,
    /// The producer's `transactional.id` in exactly-once mode; stable per replica. Default:
    /// `<group id>-<host name>` (a StatefulSet pod's name is stable across restarts).
    #[arg(long, env = "NEWS_ENRICHER_TRANSACTIONAL_ID")]
    pub transactional_id: Option<String>,
    /// Exactly-once: most input messages in one transaction.
    #[arg(long, env = "NEWS_ENRICHER_TRANSACTION_MAX_MESSAGES")]
    pub transaction_max_messages: Option<usize>,
    /// Exactly-once: longest a transaction stays open, milliseconds. Records become visible to
    /// `read_committed` readers when it commits, so this bounds the added latency.
    #[arg(long, env = "NEWS_ENRICHER_TRANSACTION_MAX_MS")]
    pub transaction_max_ms: Option<u64>,
    /// Address of the HTTP endpoint (`/metrics`, `/healthz`, `/readyz`), default
    /// `0.0.0.0:9090`; `off` disables it.
    #[arg(long, env = "NEWS_ENRICHER_HTTP_ADDR")]
    pub http_addr: Option<String>,
}

/// The TOML file's shape: the same settings, with `kafka` as a table of properties.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    brokers: Option<String>,
    input_topic: Option<String>,
    output_topic: Option<String>,
    dlq_topic: Option<String>,
    group_id: Option<String>,
    #[serde(default)]
    kafka: BTreeMap<String, toml::Value>,
    stages: Option<Vec<StageKind>>,
    max_in_flight: Option<usize>,
    processing_threads: Option<usize>,
    commit_interval_ms: Option<u64>,
    shutdown_timeout_secs: Option<u64>,
    rebalance_drain_timeout_secs: Option<u64>,
    max_message_bytes: Option<usize>,
    max_body_chars: Option<usize>,
    max_output_bytes: Option<usize>,
    dedup_horizon_hours: Option<u64>,
    dedup_max_entries: Option<usize>,
    near_duplicate_threshold: Option<f64>,
    dedup_exact_cache: Option<usize>,
    dedup_policy: Option<DedupPolicy>,
    dedup_index_topic: Option<String>,
    compression: Option<Compression>,
    guarantee: Option<Guarantee>,
    transactional_id: Option<String>,
    transaction_max_messages: Option<usize>,
    transaction_max_ms: Option<u64>,
    http_addr: Option<String>,
}

/// Validated configuration of the Kafka worker.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Bootstrap servers.
    pub brokers: String,
    /// Input topic.
    pub input_topic: String,
    /// Output topic.
    pub output_topic: String,
    /// Dead-letter topic.
    pub dlq_topic: String,
    /// Consumer group.
    pub group_id: String,
    /// librdkafka properties for both clients.
    pub kafka_common: BTreeMap<String, String>,
    /// librdkafka properties for the consumer only.
    pub kafka_consumer: BTreeMap<String, String>,
    /// librdkafka properties for the producer only.
    pub kafka_producer: BTreeMap<String, String>,
    /// Pipeline stages.
    pub stages: Vec<StageKind>,
    /// Pause threshold.
    pub max_in_flight: usize,
    /// Stage threads.
    pub processing_threads: usize,
    /// Periodic commit interval.
    pub commit_interval: Duration,
    /// Graceful shutdown deadline.
    pub shutdown_timeout: Duration,
    /// Revoke drain deadline.
    pub rebalance_drain_timeout: Duration,
    /// Input limits.
    pub limits: Limits,
    /// Output size guard.
    pub max_output_bytes: usize,
    /// Dedup window settings.
    pub dedup: IndexConfig,
    /// What happens to duplicates.
    pub dedup_policy: DedupPolicy,
    /// Index topic, if the window is persisted and shared.
    pub dedup_index_topic: Option<String>,
    /// Output compression.
    pub compression: Compression,
    /// The delivery guarantee.
    pub guarantee: Guarantee,
    /// Transaction settings, in exactly-once mode only.
    pub transactions: Option<Transactions>,
    /// Where the metrics and health endpoint listens; `None` when disabled.
    pub http_addr: Option<std::net::SocketAddr>,
}

/// A configuration problem, reported before the worker starts.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required setting is missing.
    #[error("missing required setting `{0}` (flag --{1}, env NEWS_ENRICHER_{2}, or `{0}` in the config file)")]
    Missing(&'static str, &'static str, &'static str),
    /// A setting has an unusable value.
    #[error("invalid setting `{0}`: {1}")]
    Invalid(&'static str, String),
    /// The config file cannot be read or parsed.
    #[error("config file {path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// Where the metrics and health endpoint listens unless configured.
pub const DEFAULT_HTTP_ADDR: &str = "0.0.0.0:9090";

/// Default output size guard: below librdkafka's default `message.max.bytes` (1,000,000) with
/// room for headers and protocol overhead.
pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 950_000;

/// librdkafka properties the worker sets itself because its guarantees depend on them.
const RESERVED: &[&str] = &[
    "enable.auto.commit",
    "enable.auto.offset.store",
    "group.id",
    "bootstrap.servers",
    "enable.idempotence",
    "acks",
    "transactional.id",
    "isolation.level",
    // librdkafka aliases of the above.
    "request.required.acks",
    "metadata.broker.list",
];

impl RunArgs {
    /// Merges flags/env over the optional TOML file over defaults, and validates.
    pub fn resolve(&self) -> Result<WorkerConfig, ConfigError> {
        let file = match &self.config {
            Some(path) => load_file(path)?,
            None => FileConfig::default(),
        };
        fn pick<T: Clone>(flag: &Option<T>, file: Option<T>) -> Option<T> {
            flag.clone().or(file)
        }
        let required = |v: Option<String>, name, flag, env| {
            v.filter(|s: &String| !s.trim().is_empty())
                .ok_or(ConfigError::Missing(name, flag, env))
        };
        let brokers = required(
            pick(&self.brokers, file.brokers),
            "brokers",
            "brokers",
            "BROKERS",
        )?;
        let input_topic = required(
            pick(&self.input_topic, file.input_topic),
            "input_topic",
            "input-topic",
            "INPUT_TOPIC",
        )?;
        let output_topic = required(
            pick(&self.output_topic, file.output_topic),
            "output_topic",
            "output-topic",
            "OUTPUT_TOPIC",
        )?;
        let dlq_topic = required(
            pick(&self.dlq_topic, file.dlq_topic),
            "dlq_topic",
            "dlq-topic",
            "DLQ_TOPIC",
        )?;
        let group_id = required(
            pick(&self.group_id, file.group_id),
            "group_id",
            "group-id",
            "GROUP_ID",
        )?;

        let mut properties: BTreeMap<String, String> = BTreeMap::new();
        flatten_properties("", file.kafka, &mut properties);
        for kv in &self.kafka_properties {
            let (k, v) = kv.split_once('=').ok_or_else(|| {
                ConfigError::Invalid("kafka_property", format!("`{kv}` is not KEY=VALUE"))
            })?;
            properties.insert(k.trim().to_owned(), v.trim().to_owned());
        }
        let (mut kafka_common, mut kafka_consumer, mut kafka_producer) =
            (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
        for (k, v) in properties {
            let (target, key) = if let Some(k) = k.strip_prefix("consumer.") {
                (&mut kafka_consumer, k.to_owned())
            } else if let Some(k) = k.strip_prefix("producer.") {
                (&mut kafka_producer, k.to_owned())
            } else {
                (&mut kafka_common, k)
            };
            if RESERVED.contains(&key.as_str()) {
                return Err(ConfigError::Invalid(
                    "kafka_property",
                    format!("`{key}` is set by the worker (its delivery guarantee depends on it); use the dedicated setting"),
                ));
            }
            target.insert(key, v);
        }

        let dedup_index_topic =
            pick(&self.dedup_index_topic, file.dedup_index_topic).filter(|t| !t.trim().is_empty());
        let mut topics = vec![&input_topic, &output_topic, &dlq_topic];
        topics.extend(dedup_index_topic.as_ref());
        let distinct: std::collections::BTreeSet<_> = topics.iter().collect();
        if distinct.len() != topics.len() {
            return Err(ConfigError::Invalid(
                "topics",
                format!(
                    "input, output, dead-letter and dedup index topics must differ, got {topics:?}"
                ),
            ));
        }
        let threshold = pick(
            &self.near_duplicate_threshold,
            file.near_duplicate_threshold,
        )
        .unwrap_or(IndexConfig::default().near_threshold);
        if !(threshold > 0.0 && threshold <= 1.0) {
            return Err(ConfigError::Invalid(
                "near_duplicate_threshold",
                format!("must be in (0, 1], got {threshold}"),
            ));
        }
        let positive = |name: &'static str, v: usize| {
            if v == 0 {
                Err(ConfigError::Invalid(name, "must be greater than 0".into()))
            } else {
                Ok(v)
            }
        };
        let defaults = Limits::default();
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let stages = pick(&self.stages, file.stages).unwrap_or_else(|| StageKind::DEFAULT.to_vec());
        StageKind::check_order(&stages).map_err(|e| ConfigError::Invalid("stages", e))?;
        let guarantee = pick(&self.guarantee, file.guarantee).unwrap_or_default();
        let transactions = match guarantee {
            Guarantee::AtLeastOnce => None,
            Guarantee::ExactlyOnce => Some(Transactions {
                id: match pick(&self.transactional_id, file.transactional_id) {
                    Some(id) if id.trim().is_empty() => {
                        return Err(ConfigError::Invalid(
                            "transactional_id",
                            "must not be empty".into(),
                        ))
                    }
                    Some(id) => id,
                    None => format!(
                        "{group_id}-{}",
                        host_name().ok_or(ConfigError::Missing(
                            "transactional_id",
                            "transactional-id",
                            "TRANSACTIONAL_ID"
                        ))?
                    ),
                },
                max_messages: positive(
                    "transaction_max_messages",
                    pick(
                        &self.transaction_max_messages,
                        file.transaction_max_messages,
                    )
                    .unwrap_or(DEFAULT_TRANSACTION_MAX_MESSAGES),
                )?,
                max_duration: Duration::from_millis(positive_u64(
                    "transaction_max_ms",
                    pick(&self.transaction_max_ms, file.transaction_max_ms)
                        .unwrap_or(DEFAULT_TRANSACTION_MAX_MS),
                )?),
            }),
        };
        Ok(WorkerConfig {
            brokers,
            input_topic,
            output_topic,
            dlq_topic,
            group_id,
            kafka_common,
            kafka_consumer,
            kafka_producer,
            stages,
            max_in_flight: positive(
                "max_in_flight",
                pick(&self.max_in_flight, file.max_in_flight).unwrap_or(2_000),
            )?,
            processing_threads: positive(
                "processing_threads",
                pick(&self.processing_threads, file.processing_threads).unwrap_or(cores),
            )?,
            commit_interval: Duration::from_millis(positive_u64(
                "commit_interval_ms",
                pick(&self.commit_interval_ms, file.commit_interval_ms).unwrap_or(5_000),
            )?),
            shutdown_timeout: Duration::from_secs(positive_u64(
                "shutdown_timeout_secs",
                pick(&self.shutdown_timeout_secs, file.shutdown_timeout_secs).unwrap_or(10),
            )?),
            rebalance_drain_timeout: Duration::from_secs(positive_u64(
                "rebalance_drain_timeout_secs",
                pick(
                    &self.rebalance_drain_timeout_secs,
                    file.rebalance_drain_timeout_secs,
                )
                .unwrap_or(10),
            )?),
            limits: Limits {
                max_message_bytes: positive(
                    "max_message_bytes",
                    pick(&self.max_message_bytes, file.max_message_bytes)
                        .unwrap_or(defaults.max_message_bytes),
                )?,
                max_body_chars: positive(
                    "max_body_chars",
                    pick(&self.max_body_chars, file.max_body_chars)
                        .unwrap_or(defaults.max_body_chars),
                )?,
            },
            max_output_bytes: positive(
                "max_output_bytes",
                pick(&self.max_output_bytes, file.max_output_bytes)
                    .unwrap_or(DEFAULT_MAX_OUTPUT_BYTES),
            )?,
            dedup: IndexConfig {
                horizon_secs: 3600
                    * positive_u64(
                        "dedup_horizon_hours",
                        pick(&self.dedup_horizon_hours, file.dedup_horizon_hours)
                            .unwrap_or(DEFAULT_HORIZON_HOURS),
                    )? as i64,
                max_entries: match pick(&self.dedup_max_entries, file.dedup_max_entries)
                    .unwrap_or(IndexConfig::default().max_entries)
                {
                    n if n > MAX_ENTRIES => {
                        return Err(ConfigError::Invalid(
                            "dedup_max_entries",
                            format!("{n} is more than the window can address ({MAX_ENTRIES})"),
                        ))
                    }
                    n => n,
                },
                near_threshold: threshold,
                exact_cache: pick(&self.dedup_exact_cache, file.dedup_exact_cache)
                    .unwrap_or(IndexConfig::default().exact_cache),
            },
            dedup_policy: pick(&self.dedup_policy, file.dedup_policy).unwrap_or_default(),
            dedup_index_topic,
            compression: pick(&self.compression, file.compression).unwrap_or(Compression::Lz4),
            guarantee,
            transactions,
            http_addr: match pick(&self.http_addr, file.http_addr)
                .unwrap_or_else(|| DEFAULT_HTTP_ADDR.to_owned())
                .as_str()
            {
                "off" => None,
                a => Some(a.parse().map_err(|e| {
                    ConfigError::Invalid("http_addr", format!("`{a}` is not host:port: {e}"))
                })?),
            },
        })
    }
}

/// Exactly-once: default most input messages per transaction.
pub const DEFAULT_TRANSACTION_MAX_MESSAGES: usize = 1_000;

/// Exactly-once: default longest open transaction, ms. Records are invisible to `read_committed`
/// readers until their transaction commits, so this is latency every record pays (half of it
/// on average); each commit costs a few broker round trips, so much shorter costs throughput.
pub const DEFAULT_TRANSACTION_MAX_MS: u64 = 100;

/// The host's name (a Kubernetes pod's name): `HOSTNAME`, else the kernel's.
fn host_name() -> Option<String> {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
}

/// TOML reads `socket.timeout.ms = 1000` under `[kafka]` as nested tables; librdkafka wants the
/// dotted name back.
fn flatten_properties(
    prefix: &str,
    table: impl IntoIterator<Item = (String, toml::Value)>,
    out: &mut BTreeMap<String, String>,
) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten_properties(&key, t, out),
            toml::Value::String(s) => {
                out.insert(key, s);
            }
            other => {
                out.insert(key, other.to_string());
            }
        }
    }
}

fn positive_u64(name: &'static str, v: u64) -> Result<u64, ConfigError> {
    if v == 0 {
        Err(ConfigError::Invalid(name, "must be greater than 0".into()))
    } else {
        Ok(v)
    }
}

fn load_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::File {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// Property names whose values must never be logged.
pub fn is_secret_property(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("password")
        || k.contains("secret")
        || k.contains("sasl.oauthbearer.config")
        || k.ends_with(".key.pem")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> RunArgs {
        RunArgs {
            brokers: Some("localhost:9".into()),
            input_topic: Some("in".into()),
            output_topic: Some("out".into()),
            dlq_topic: Some("dlq".into()),
            group_id: Some("enricher".into()),
            ..RunArgs::default()
        }
    }

    #[test]
    fn at_least_once_is_the_default_and_has_no_transactions() {
        let cfg = args().resolve().unwrap();
        assert_eq!(cfg.guarantee, Guarantee::AtLeastOnce);
        assert!(cfg.transactions.is_none());
    }

    #[test]
    fn exactly_once_defaults_to_a_transactional_id_per_host() {
        let cfg = RunArgs {
            guarantee: Some(Guarantee::ExactlyOnce),
            ..args()
        }
        .resolve()
        .unwrap();
        let t = cfg.transactions.expect("transactions in exactly-once mode");
        let host = host_name().expect("this machine has a host name");
        assert_eq!(t.id, format!("enricher-{host}"));
        assert_eq!(t.max_messages, DEFAULT_TRANSACTION_MAX_MESSAGES);
        assert_eq!(
            t.max_duration,
            Duration::from_millis(DEFAULT_TRANSACTION_MAX_MS)
        );
        let explicit = RunArgs {
            guarantee: Some(Guarantee::ExactlyOnce),
            transactional_id: Some("news-enricher-0".into()),
            ..args()
        }
        .resolve()
        .unwrap();
        assert_eq!(explicit.transactions.unwrap().id, "news-enricher-0");
    }
}
