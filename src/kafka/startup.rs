//! Start-up: the clients, the topic check, transactions, the dedup window's restore and the
//! processing threads, each step abandoned cleanly if the shutdown comes first. Only then is
//! the input topic subscribed.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use rdkafka::config::FromClientConfigAndContext;
use rdkafka::consumer::Consumer;
use rdkafka::producer::Producer;

use super::clients::{consumer_config, producer_config, redacted};
use super::commit::Committer;
use super::dedup_index;
use super::delivery::ProducerCallbacks;
use super::process::{start_processing, Lanes};
use super::publish::{Producer_, Publisher, Topics};
use super::rebalance::{rebalances_incrementally, ConsumerCallbacks};
use super::shared::Shared;
use super::transaction::{Signals, Transactions};
use super::worker::{join_named, Consumer_, WorkerError, WorkerSummary};
use crate::config::WorkerConfig;
use crate::otlp::SpanExport;
use news_enricher_core::dedup::SharedIndex;
use news_enricher_core::enrich::Enricher;
use news_enricher_core::pipeline::{Pipeline, StageSettings};

/// What start-up leaves running, for the consume loop and then the shutdown.
pub(super) struct Running {
    pub producer: Arc<Producer_>,
    pub consumer: Consumer_,
    pub transactions: Option<Arc<Transactions>>,
    /// Follows the dedup index topic, when there is one, until `stop_follower` is set.
    pub follower: Option<JoinHandle<()>>,
    pub stop_follower: Arc<AtomicBool>,
    pub lanes: Lanes,
    /// Span export, when an OTLP endpoint is configured; flushed once the lanes are done.
    pub spans: Option<Arc<SpanExport>>,
}

/// Starts everything the consume loop needs and subscribes to the input topic. `None` when
/// the shutdown came first: what had started is stopped, nothing was consumed.
pub(super) async fn start(
    cfg: &WorkerConfig,
    shared: &Arc<Shared>,
    shutdown: &mut Pin<&mut impl Future<Output = ()>>,
) -> Result<Option<Running>, WorkerError> {
    let consumer_cfg = consumer_config(cfg);
    let producer_cfg = producer_config(cfg);
    tracing::info!(consumer = %redacted(&consumer_cfg), producer = %redacted(&producer_cfg), "kafka configuration");
    let spans = match &cfg.otlp_endpoint {
        Some(endpoint) => {
            let spans = SpanExport::start(endpoint, &cfg.group_id, shared.metrics.spans.clone())
                .map_err(|e| WorkerError::Setup(e.to_string()))?;
            // The host only: a URL may carry credentials.
            tracing::info!(
                host = endpoint.host_str().unwrap_or_default(),
                "exporting spans over OTLP/HTTP"
            );
            Some(Arc::new(spans))
        }
        None => None,
    };

    let signals = cfg
        .transactions
        .as_ref()
        .map(|_| Arc::new(Signals::default()));
    let producer: Arc<Producer_> = Arc::new(Producer_::from_config_and_context(
        &producer_cfg,
        ProducerCallbacks {
            shared: shared.clone(),
            transaction: signals.clone(),
        },
    )?);
    let Some(checked) = unless_stopped(shutdown, check_topics(&producer, cfg)).await else {
        return Ok(None);
    };
    checked?;
    let transactions = match (&cfg.transactions, signals) {
        (Some(settings), Some(signals)) => {
            let (producer, settings) = (producer.clone(), settings.clone());
            let starting = tokio::task::spawn_blocking(move || {
                Transactions::start(producer, settings, signals)
            });
            let Some(started) = unless_stopped(shutdown, starting).await else {
                return Ok(None);
            };
            let started = started
                .map_err(|e| WorkerError::Startup(e.to_string()))?
                .map_err(|e| {
                    WorkerError::Startup(format!("cannot initialise transactions: {e}"))
                })?;
            Some(Arc::new(started))
        }
        _ => None,
    };
    let consumer: Consumer_ = Consumer_::from_config_and_context(
        &consumer_cfg,
        ConsumerCallbacks {
            shared: shared.clone(),
            committer: match &transactions {
                Some(t) => Committer::Transactional(t.clone()),
                None => Committer::Group,
            },
            incremental: rebalances_incrementally(&consumer_cfg),
        },
    )?;

    let dedup_index = SharedIndex::new(cfg.dedup.clone());
    let stop_follower = Arc::new(AtomicBool::new(false));
    let follower = match &cfg.dedup_index_topic {
        Some(topic) => {
            let restoring = restore_and_follow(cfg, topic, &dedup_index, &stop_follower);
            match unless_stopped(shutdown, restoring).await {
                Some(follower) => Some(follower?),
                None => {
                    // A follower started after this point sees the flag and stops at once.
                    stop_follower.store(true, Ordering::Relaxed);
                    if let Some(t) = &transactions {
                        t.abandon();
                    }
                    return Ok(None);
                }
            }
        }
        None => None,
    };
    shared.set_ready(true);
    // Only now, with the window restored, may articles be consumed.
    consumer.subscribe(&[&cfg.input_topic])?;

    let enricher = Arc::new(
        Enricher::new(
            Pipeline::from_kinds(&cfg.stages, &StageSettings::with_index(dedup_index.clone())),
            cfg.limits,
            cfg.max_output_bytes,
        )
        .with_policy(cfg.dedup_policy)
        .with_sampling(cfg.sampling),
    );
    let publisher = Arc::new(Publisher::new(
        producer.clone(),
        Topics {
            output: cfg.output_topic.clone(),
            dlq: cfg.dlq_topic.clone(),
            index: cfg.dedup_index_topic.clone(),
        },
        transactions.clone(),
    ));
    let lanes = match start_processing(cfg, &enricher, &publisher, spans.as_ref(), shared) {
        Ok(lanes) => lanes,
        Err(e) => {
            stop_follower.store(true, Ordering::Relaxed);
            if let Some(f) = follower {
                join_named(f, "dedup-index");
            }
            return Err(e);
        }
    };
    tracing::info!(
        input = %cfg.input_topic, output = %cfg.output_topic, dlq = %cfg.dlq_topic,
        group = %cfg.group_id, stages = ?enricher.stage_names(), threads = lanes.threads.len(),
        guarantee = cfg.guarantee.as_str(), "worker started"
    );

    Ok(Some(Running {
        producer,
        consumer,
        transactions,
        follower,
        stop_follower,
        lanes,
        spans,
    }))
}

/// Runs one start-up step unless the shutdown comes first: `None` then, and the step is
/// dropped (a blocking call inside it finishes on its own thread, its result unused).
async fn unless_stopped<T>(
    shutdown: &mut Pin<&mut impl Future<Output = ()>>,
    step: impl Future<Output = T>,
) -> Option<T> {
    tokio::select! {
        biased;
        _ = shutdown.as_mut() => None,
        done = step => Some(done),
    }
}

/// What a worker stopped during start-up reports: nothing consumed, so nothing to finish.
pub(super) fn stopped_while_starting(shared: &Shared) -> WorkerSummary {
    shared.set_ready(false);
    tracing::info!("shutdown requested while starting: stopping before consuming anything");
    WorkerSummary {
        clean: true,
        ..WorkerSummary::default()
    }
}

/// Restores the dedup window from the index topic (blocking, before any article is consumed),
/// then follows the topic on a thread.
async fn restore_and_follow(
    cfg: &WorkerConfig,
    topic: &str,
    index: &SharedIndex,
    stop: &Arc<AtomicBool>,
) -> Result<JoinHandle<()>, WorkerError> {
    let (cfg, topic, index, stop) = (cfg.clone(), topic.to_owned(), index.clone(), stop.clone());
    tokio::task::spawn_blocking(move || {
        let consumer = dedup_index::index_consumer(&cfg, &topic)?;
        dedup_index::restore(&consumer, &index, Duration::from_secs(600))
            .map_err(WorkerError::Startup)?;
        dedup_index::follow(consumer, index, stop)
            .map_err(|e| WorkerError::Startup(format!("cannot start the index follower: {e}")))
    })
    .await
    .map_err(|e| WorkerError::Startup(e.to_string()))?
}

/// Fails fast when the brokers are unreachable or a topic does not exist, instead of consuming
/// and then failing every delivery.
async fn check_topics(producer: &Arc<Producer_>, cfg: &WorkerConfig) -> Result<(), WorkerError> {
    let producer = producer.clone();
    let mut topics = vec![
        cfg.input_topic.clone(),
        cfg.output_topic.clone(),
        cfg.dlq_topic.clone(),
    ];
    topics.extend(cfg.dedup_index_topic.clone());
    tokio::task::spawn_blocking(move || {
        for topic in &topics {
            let md = producer
                .client()
                .fetch_metadata(Some(topic), Duration::from_secs(15))
                .map_err(|e| WorkerError::Startup(format!("cannot reach brokers: {e}")))?;
            let ok = md
                .topics()
                .iter()
                .any(|t| t.name() == topic && t.error().is_none() && !t.partitions().is_empty());
            if !ok {
                return Err(WorkerError::Startup(format!(
                    "topic `{topic}` does not exist"
                )));
            }
        }
        Ok(())
    })
    .await
    .map_err(|e| WorkerError::Startup(e.to_string()))?
}
