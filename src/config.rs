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
use news_enricher_core::trace::Sampling;

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

/// Help heading of the settings only the Kafka worker (`run`) reads; `enrich` ignores them and
/// `demo` sets the broker, topics and endpoint itself.
const KAFKA: &str = "Kafka (used by run; enrich ignores them)";

/// Help heading of the trace settings (the worker's; `enrich` publishes no headers).
const TRACING: &str = "Trace context and span export (used by run)";

/// Every setting, whichever way it is given: clap reads flags and `NEWS_ENRICHER_*` variables
/// into it, serde reads the TOML file into it (its keys are the field names), and
/// [`Settings::over`] lays the first over the second. One type, so a setting is declared once
/// and means the same in `run`, `enrich` and `demo`. Every field is optional here so each
/// source can leave any out; defaults and checks come with [`Settings::resolve`] (the worker)
/// and [`Settings::resolve_pipeline`] (what `enrich` and `run` share).
#[derive(Debug, Clone, Default, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// TOML configuration file; flags and environment variables override it.
    #[arg(long, env = "NEWS_ENRICHER_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Kafka bootstrap servers, `host:port[,host:port...]`.
    #[arg(long, env = "NEWS_ENRICHER_BROKERS", help_heading = KAFKA)]
    pub brokers: Option<String>,
    /// Topic raw articles are read from.
    #[arg(long, env = "NEWS_ENRICHER_INPUT_TOPIC", help_heading = KAFKA)]
    pub input_topic: Option<String>,
    /// Topic enriched records are written to.
    #[arg(long, env = "NEWS_ENRICHER_OUTPUT_TOPIC", help_heading = KAFKA)]
    pub output_topic: Option<String>,
    /// Topic for messages that cannot be enriched.
    #[arg(long, env = "NEWS_ENRICHER_DLQ_TOPIC", help_heading = KAFKA)]
    pub dlq_topic: Option<String>,
    /// Consumer group id; replicas with the same id share the input partitions.
    #[arg(long, env = "NEWS_ENRICHER_GROUP_ID", help_heading = KAFKA)]
    pub group_id: Option<String>,
    /// Extra librdkafka property `KEY=VALUE` for both clients; prefix the key with `consumer.` or
    /// `producer.` to target one. Repeatable; `;`-separated in the environment (values such as
    /// `debug=broker,topic` contain commas).
    #[arg(
        long = "kafka-property",
        env = "NEWS_ENRICHER_KAFKA_PROPERTY",
        value_delimiter = ';',
        help_heading = KAFKA
    )]
    #[serde(skip)]
    pub kafka_properties: Vec<String>,
    /// The file's `[kafka]` table: the same properties, nested tables for dotted names.
    #[arg(skip)]
    #[serde(default)]
    pub kafka: BTreeMap<String, toml::Value>,
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
    #[arg(long, env = "NEWS_ENRICHER_MAX_IN_FLIGHT", help_heading = KAFKA)]
    pub max_in_flight: Option<usize>,
    /// Threads running the stages; partitions are spread across them.
    #[arg(long, env = "NEWS_ENRICHER_PROCESSING_THREADS", help_heading = KAFKA)]
    pub processing_threads: Option<usize>,
    /// Milliseconds between periodic asynchronous offset commits.
    #[arg(long, env = "NEWS_ENRICHER_COMMIT_INTERVAL_MS", help_heading = KAFKA)]
    pub commit_interval_ms: Option<u64>,
    /// Seconds allowed for a graceful shutdown (finish, flush, commit).
    #[arg(long, env = "NEWS_ENRICHER_SHUTDOWN_TIMEOUT_SECS", help_heading = KAFKA)]
    pub shutdown_timeout_secs: Option<u64>,
    /// Seconds a revoke waits for in-flight outputs before giving the partitions up.
    #[arg(long, env = "NEWS_ENRICHER_REBALANCE_DRAIN_TIMEOUT_SECS", help_heading = KAFKA)]
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
    #[arg(long, env = "NEWS_ENRICHER_DEDUP_INDEX_TOPIC", help_heading = KAFKA)]
    pub dedup_index_topic: Option<String>,
    /// Output compression.
    #[arg(long, env = "NEWS_ENRICHER_COMPRESSION", help_heading = KAFKA)]
    pub compression: Option<Compression>,
    /// `at-least-once` (default) or `exactly-once` (Kafka transactions; downstream readers must
    /// set `isolation.level=read_committed`).
    #[arg(long, env = "NEWS_ENRICHER_GUARANTEE", help_heading = KAFKA)]
    pub guarantee: Option<Guarantee>,
    /// The producer's `transactional.id` in exactly-once mode; stable per replica. Default:
    /// `<group id>-<host name>` (a StatefulSet pod's name is stable across restarts).
    #[arg(long, env = "NEWS_ENRICHER_TRANSACTIONAL_ID", help_heading = KAFKA)]
    pub transactional_id: Option<String>,
    /// Exactly-once: most input messages in one transaction.
    #[arg(long, env = "NEWS_ENRICHER_TRANSACTION_MAX_MESSAGES", help_heading = KAFKA)]
    pub transaction_max_messages: Option<usize>,
    /// Exactly-once: longest a transaction stays open, milliseconds. Records become visible to
    /// `read_committed` readers when it commits, so this bounds the added latency.
    #[arg(long, env = "NEWS_ENRICHER_TRANSACTION_MAX_MS", help_heading = KAFKA)]
    pub transaction_max_ms: Option<u64>,
    /// Address of the HTTP endpoint (`/metrics`, `/healthz`, `/readyz`), default
    /// `0.0.0.0:9090`; `off` disables it.
    #[arg(long, env = "NEWS_ENRICHER_HTTP_ADDR", help_heading = KAFKA)]
    pub http_addr: Option<String>,
    /// Share of the traces the worker starts (for inputs without a `traceparent`) that are
    /// sampled, 0 to 1 (default 1); an input's own trace keeps its `sampled` flag.
    #[arg(long, env = "NEWS_ENRICHER_TRACE_SAMPLE_RATIO", help_heading = TRACING)]
    pub trace_sample_ratio: Option<f64>,
    /// Export a span per processed message, sampled ones only, over OTLP/HTTP (protobuf) to
    /// this URL, e.g. `http://otel-collector:4318` (`/v1/traces` is added to a bare host).
    /// Off by default. `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_EXPORTER_OTLP_TIMEOUT` apply.
    #[arg(long, env = "NEWS_ENRICHER_OTLP_ENDPOINT", help_heading = TRACING)]
    pub otlp_endpoint: Option<String>,
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
    /// Replay only: the input offset each partition is consumed up to (exclusive); the worker
    /// stops once all are reached and acknowledged. `None` for `run`, which never stops by
    /// itself. Set by [`crate::kafka::replay`].
    pub stop_at: Option<BTreeMap<i32, i64>>,
    /// Which of the traces the worker starts are sampled.
    pub sampling: Sampling,
    /// Where spans are exported (the full OTLP/HTTP traces URL), if anywhere.
    pub otlp_endpoint: Option<url::Url>,
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

/// What the pipeline is and what it accepts: the settings `enrich` and `run` share, validated.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Pipeline stages.
    pub stages: Vec<StageKind>,
    /// Input limits.
    pub limits: Limits,
    /// Output size guard.
    pub max_output_bytes: usize,
    /// Dedup window settings.
    pub dedup: IndexConfig,
    /// What happens to duplicates.
    pub dedup_policy: DedupPolicy,
}

impl Settings {
    /// These settings laid over `file`'s: a setting given here wins. Properties are kept apart
    /// (`kafka_properties` from flags, `kafka` from the file) and merged in the same order by
    /// [`Settings::resolve`].
    pub fn over(self, file: Settings) -> Settings {
        Settings {
            config: self.config,
            brokers: self.brokers.or(file.brokers),
            input_topic: self.input_topic.or(file.input_topic),
            output_topic: self.output_topic.or(file.output_topic),
            dlq_topic: self.dlq_topic.or(file.dlq_topic),
            group_id: self.group_id.or(file.group_id),
            kafka_properties: self.kafka_properties,
            kafka: file.kafka,
            stages: self.stages.or(file.stages),
            max_in_flight: self.max_in_flight.or(file.max_in_flight),
            processing_threads: self.processing_threads.or(file.processing_threads),
            commit_interval_ms: self.commit_interval_ms.or(file.commit_interval_ms),
            shutdown_timeout_secs: self.shutdown_timeout_secs.or(file.shutdown_timeout_secs),
            rebalance_drain_timeout_secs: self
                .rebalance_drain_timeout_secs
                .or(file.rebalance_drain_timeout_secs),
            max_message_bytes: self.max_message_bytes.or(file.max_message_bytes),
            max_body_chars: self.max_body_chars.or(file.max_body_chars),
            max_output_bytes: self.max_output_bytes.or(file.max_output_bytes),
            dedup_horizon_hours: self.dedup_horizon_hours.or(file.dedup_horizon_hours),
            dedup_max_entries: self.dedup_max_entries.or(file.dedup_max_entries),
            near_duplicate_threshold: self
                .near_duplicate_threshold
                .or(file.near_duplicate_threshold),
            dedup_exact_cache: self.dedup_exact_cache.or(file.dedup_exact_cache),
            dedup_policy: self.dedup_policy.or(file.dedup_policy),
            dedup_index_topic: self.dedup_index_topic.or(file.dedup_index_topic),
            compression: self.compression.or(file.compression),
            guarantee: self.guarantee.or(file.guarantee),
            transactional_id: self.transactional_id.or(file.transactional_id),
            transaction_max_messages: self
                .transaction_max_messages
                .or(file.transaction_max_messages),
            transaction_max_ms: self.transaction_max_ms.or(file.transaction_max_ms),
            http_addr: self.http_addr.or(file.http_addr),
            trace_sample_ratio: self.trace_sample_ratio.or(file.trace_sample_ratio),
            otlp_endpoint: self.otlp_endpoint.or(file.otlp_endpoint),
        }
    }

    /// These settings over those of the file `config` names, if any.
    pub fn with_file(&self) -> Result<Settings, ConfigError> {
        Ok(match &self.config {
            Some(path) => self.clone().over(load_file(path)?),
            None => self.clone(),
        })
    }

    /// The pipeline's settings (over the file's), with defaults, validated: what `enrich`
    /// reads. The Kafka worker's settings are neither required nor checked.
    pub fn resolve_pipeline(&self) -> Result<PipelineConfig, ConfigError> {
        self.with_file()?.pipeline()
    }

    /// Every setting (over the file's), with defaults, validated: what the worker runs with.
    pub fn resolve(&self) -> Result<WorkerConfig, ConfigError> {
        let s = self.with_file()?;
        let PipelineConfig {
            stages,
            limits,
            max_output_bytes,
            dedup,
            dedup_policy,
        } = s.pipeline()?;
        let required = |v: &Option<String>, name, flag, env| {
            v.clone()
                .filter(|s: &String| !s.trim().is_empty())
                .ok_or(ConfigError::Missing(name, flag, env))
        };
        let brokers = required(&s.brokers, "brokers", "brokers", "BROKERS")?;
        let input_topic = required(&s.input_topic, "input_topic", "input-topic", "INPUT_TOPIC")?;
        let output_topic = required(
            &s.output_topic,
            "output_topic",
            "output-topic",
            "OUTPUT_TOPIC",
        )?;
        let dlq_topic = required(&s.dlq_topic, "dlq_topic", "dlq-topic", "DLQ_TOPIC")?;
        let group_id = required(&s.group_id, "group_id", "group-id", "GROUP_ID")?;
        let (kafka_common, kafka_consumer, kafka_producer) = s.kafka_properties()?;

        let dedup_index_topic = s.dedup_index_topic.clone().filter(|t| !t.trim().is_empty());
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
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let guarantee = s.guarantee.unwrap_or_default();
        let transactions = match guarantee {
            Guarantee::AtLeastOnce => None,
            Guarantee::ExactlyOnce => Some(s.transactions(&group_id)?),
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
            max_in_flight: positive("max_in_flight", s.max_in_flight.unwrap_or(2_000))?,
            processing_threads: positive(
                "processing_threads",
                s.processing_threads.unwrap_or(cores),
            )?,
            commit_interval: Duration::from_millis(positive(
                "commit_interval_ms",
                s.commit_interval_ms.unwrap_or(5_000),
            )?),
            shutdown_timeout: Duration::from_secs(positive(
                "shutdown_timeout_secs",
                s.shutdown_timeout_secs.unwrap_or(10),
            )?),
            rebalance_drain_timeout: Duration::from_secs(positive(
                "rebalance_drain_timeout_secs",
                s.rebalance_drain_timeout_secs.unwrap_or(10),
            )?),
            limits,
            max_output_bytes,
            dedup,
            dedup_policy,
            dedup_index_topic,
            compression: s.compression.unwrap_or(Compression::Lz4),
            guarantee,
            transactions,
            http_addr: match s.http_addr.as_deref().unwrap_or(DEFAULT_HTTP_ADDR) {
                "off" => None,
                a => Some(a.parse().map_err(|e| {
                    ConfigError::Invalid("http_addr", format!("`{a}` is not host:port: {e}"))
                })?),
            },
            stop_at: None,
            sampling: match s.trace_sample_ratio {
                None => Sampling::ALL,
                Some(r) if (0.0..=1.0).contains(&r) => Sampling::ratio(r),
                Some(r) => {
                    return Err(ConfigError::Invalid(
                        "trace_sample_ratio",
                        format!("must be in [0, 1], got {r}"),
                    ))
                }
            },
            otlp_endpoint: s
                .otlp_endpoint
                .as_deref()
                .filter(|e| !e.trim().is_empty())
                .map(traces_url)
                .transpose()?,
        })
    }

    fn pipeline(&self) -> Result<PipelineConfig, ConfigError> {
        let stages = self
            .stages
            .clone()
            .unwrap_or_else(|| StageKind::DEFAULT.to_vec());
        StageKind::check_order(&stages).map_err(|e| ConfigError::Invalid("stages", e))?;
        let defaults = Limits::default();
        let window = IndexConfig::default();
        let threshold = self
            .near_duplicate_threshold
            .unwrap_or(window.near_threshold);
        if !(threshold > 0.0 && threshold <= 1.0) {
            return Err(ConfigError::Invalid(
                "near_duplicate_threshold",
                format!("must be in (0, 1], got {threshold}"),
            ));
        }
        Ok(PipelineConfig {
            stages,
            limits: Limits {
                max_message_bytes: positive(
                    "max_message_bytes",
                    self.max_message_bytes.unwrap_or(defaults.max_message_bytes),
                )?,
                max_body_chars: positive(
                    "max_body_chars",
                    self.max_body_chars.unwrap_or(defaults.max_body_chars),
                )?,
            },
            max_output_bytes: positive(
                "max_output_bytes",
                self.max_output_bytes.unwrap_or(DEFAULT_MAX_OUTPUT_BYTES),
            )?,
            dedup: IndexConfig {
                horizon_secs: 3600
                    * positive(
                        "dedup_horizon_hours",
                        self.dedup_horizon_hours.unwrap_or(DEFAULT_HORIZON_HOURS),
                    )? as i64,
                max_entries: match self.dedup_max_entries.unwrap_or(window.max_entries) {
                    n if n > MAX_ENTRIES => {
                        return Err(ConfigError::Invalid(
                            "dedup_max_entries",
                            format!("{n} is more than the window can address ({MAX_ENTRIES})"),
                        ))
                    }
                    n => n,
                },
                near_threshold: threshold,
                exact_cache: self.dedup_exact_cache.unwrap_or(window.exact_cache),
            },
            dedup_policy: self.dedup_policy.unwrap_or_default(),
        })
    }

    /// The file's `[kafka]` table, then `--kafka-property` flags over it, split by client.
    #[allow(clippy::type_complexity)]
    fn kafka_properties(
        &self,
    ) -> Result<
        (
            BTreeMap<String, String>,
            BTreeMap<String, String>,
            BTreeMap<String, String>,
        ),
        ConfigError,
    > {
        let mut properties: BTreeMap<String, String> = BTreeMap::new();
        flatten_properties("", self.kafka.clone(), &mut properties);
        for kv in &self.kafka_properties {
            let (k, v) = kv.split_once('=').ok_or_else(|| {
                ConfigError::Invalid("kafka_property", format!("`{kv}` is not KEY=VALUE"))
            })?;
            properties.insert(k.trim().to_owned(), v.trim().to_owned());
        }
        let (mut common, mut consumer, mut producer) =
            (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
        for (k, v) in properties {
            let (target, key) = if let Some(k) = k.strip_prefix("consumer.") {
                (&mut consumer, k.to_owned())
            } else if let Some(k) = k.strip_prefix("producer.") {
                (&mut producer, k.to_owned())
            } else {
                (&mut common, k)
            };
            if RESERVED.contains(&key.as_str()) {
                return Err(ConfigError::Invalid(
                    "kafka_property",
                    format!("`{key}` is set by the worker (its delivery guarantee depends on it); use the dedicated setting"),
                ));
            }
            target.insert(key, v);
        }
        Ok((common, consumer, producer))
    }

    /// Exactly-once batching; the transactional id defaults to `<group id>-<host name>`.
    fn transactions(&self, group_id: &str) -> Result<Transactions, ConfigError> {
        Ok(Transactions {
            id: match &self.transactional_id {
                Some(id) if id.trim().is_empty() => {
                    return Err(ConfigError::Invalid(
                        "transactional_id",
                        "must not be empty".into(),
                    ))
                }
                Some(id) => id.clone(),
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
                self.transaction_max_messages
                    .unwrap_or(DEFAULT_TRANSACTION_MAX_MESSAGES),
            )?,
            max_duration: Duration::from_millis(positive(
                "transaction_max_ms",
                self.transaction_max_ms
                    .unwrap_or(DEFAULT_TRANSACTION_MAX_MS),
            )?),
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

/// The OTLP/HTTP traces URL for `endpoint`: as given when it has a path, with the standard
/// `/v1/traces` when it is a bare `scheme://host:port` (what collectors' docs hand out).
fn traces_url(endpoint: &str) -> Result<url::Url, ConfigError> {
    let invalid = |why: String| ConfigError::Invalid("otlp_endpoint", why);
    let mut url = url::Url::parse(endpoint.trim())
        .map_err(|e| invalid(format!("`{endpoint}` is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid(format!(
            "`{endpoint}` is not an http:// or https:// URL with a host"
        )));
    }
    if url.path() == "/" {
        url.set_path("/v1/traces");
    }
    Ok(url)
}

/// `v`, unless it is zero.
fn positive<T: PartialEq + Default>(name: &'static str, v: T) -> Result<T, ConfigError> {
    if v == T::default() {
        Err(ConfigError::Invalid(name, "must be greater than 0".into()))
    } else {
        Ok(v)
    }
}

fn load_file(path: &Path) -> Result<Settings, ConfigError> {
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

    fn args() -> Settings {
        Settings {
            brokers: Some("localhost:9".into()),
            input_topic: Some("in".into()),
            output_topic: Some("out".into()),
            dlq_topic: Some("dlq".into()),
            group_id: Some("enricher".into()),
            ..Settings::default()
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
        let cfg = Settings {
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
        let explicit = Settings {
            guarantee: Some(Guarantee::ExactlyOnce),
            transactional_id: Some("news-enricher-0".into()),
            ..args()
        }
        .resolve()
        .unwrap();
        assert_eq!(explicit.transactions.unwrap().id, "news-enricher-0");
    }

    #[test]
    fn span_export_is_off_unless_an_endpoint_is_given_and_gets_the_traces_path() {
        let cfg = args().resolve().unwrap();
        assert_eq!(cfg.otlp_endpoint, None);
        assert_eq!(cfg.sampling, Sampling::ALL);
        let endpoint = |e: &str| {
            Settings {
                otlp_endpoint: Some(e.into()),
                ..args()
            }
            .resolve()
            .map(|c| c.otlp_endpoint.map(|u| u.to_string()))
        };
        assert_eq!(
            endpoint("http://otel-collector:4318").unwrap().as_deref(),
            Some("http://otel-collector:4318/v1/traces")
        );
        assert_eq!(
            endpoint("https://collector.example/otlp/v1/traces")
                .unwrap()
                .as_deref(),
            Some("https://collector.example/otlp/v1/traces")
        );
        assert_eq!(endpoint(" ").unwrap(), None);
        for bad in [
            "otel-collector:4318",
            "grpc://collector:4317",
            "http://",
            "file:///tmp/x",
        ] {
            let e = endpoint(bad).expect_err(bad).to_string();
            assert!(e.contains("otlp_endpoint"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_trace_sample_ratio_is_a_share() {
        let ratio = |r: f64| {
            Settings {
                trace_sample_ratio: Some(r),
                ..args()
            }
            .resolve()
            .map(|c| c.sampling)
        };
        assert_eq!(ratio(0.25).unwrap(), Sampling::ratio(0.25));
        assert_eq!(ratio(0.0).unwrap(), Sampling::ratio(0.0));
        for bad in [-0.1, 1.5, f64::NAN] {
            let e = ratio(bad).expect_err("out of range").to_string();
            assert!(e.contains("trace_sample_ratio"), "{e}");
        }
    }
}
