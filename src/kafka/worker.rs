//! The worker loop: consume, hand to processing threads, produce, commit, shut down.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::Utc;
use rdkafka::config::FromClientConfigAndContext;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Headers};
use rdkafka::producer::Producer;
use rdkafka::Message;

use super::clients::{consumer_config, producer_config, redacted};
use super::commit::{Committer, Reason};
use super::context::{ConsumerCallbacks, ProducerCallbacks, RecordKind, Shared};
use super::dedup_index;
use super::publish::{Producer_, Publisher, Record, Topics};
use super::transaction::{Signals, Transactions};
use crate::config::WorkerConfig;
use news_enricher_core::dedup::SharedIndex;
use news_enricher_core::enrich::{Enricher, Outcome};
use news_enricher_core::message::{Header, RawMessage};
use news_enricher_core::offsets::{Ticket, TopicPartition};
use news_enricher_core::pipeline::{Pipeline, StageSettings};
use news_enricher_core::stage::Reading;

type Consumer_ = StreamConsumer<ConsumerCallbacks>;

/// Why the worker stopped abnormally. The process should exit non-zero so the orchestrator
/// restarts it; everything after the last commit is consumed again.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// A Kafka client could not be created or configured. The message never carries a
    /// property's value (it may be a secret).
    #[error("kafka client setup: {0}")]
    Setup(String),
    /// Startup checks failed (unreachable brokers, missing topics).
    #[error("startup check failed: {0}")]
    Startup(String),
    /// A delivery failed or a client hit a fatal error.
    #[error("fatal: {0}")]
    Fatal(String),
}

impl From<KafkaError> for WorkerError {
    fn from(e: KafkaError) -> Self {
        match e {
            // librdkafka's message would repeat the value, which may be a password.
            KafkaError::ClientConfig(_, description, key, value) => {
                let description = if value.is_empty() {
                    description
                } else {
                    description.replace(&value, "***")
                };
                WorkerError::Setup(format!("property `{key}`: {description}"))
            }
            e => WorkerError::Setup(e.to_string()),
        }
    }
}

/// Totals of one run, logged at the end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerSummary {
    /// Messages received.
    pub consumed: u64,
    /// Enriched records acknowledged.
    pub produced: u64,
    /// Dead-letter records acknowledged.
    pub dead_lettered: u64,
    /// Duplicates not published (`drop` policy).
    pub dropped_duplicates: u64,
    /// Exactly-once: transactions committed.
    pub transactions_committed: u64,
    /// Exactly-once: transactions aborted (their batches redone).
    pub transactions_aborted: u64,
    /// Whether the shutdown finished all in-flight work within its deadline.
    pub clean: bool,
}

/// Where a processing thread publishes.
struct Job {
    msg: RawMessage,
    ticket: Ticket,
}

/// Runs the worker until `shutdown` resolves (graceful) or a fatal error occurs.
pub async fn run_worker(
    cfg: WorkerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<WorkerSummary, WorkerError> {
    let shared = Arc::new(Shared::new(cfg.rebalance_drain_timeout));
    shared.beat();
    // Probes answer from the start: alive while starting, ready only once restored.
    let http = match cfg.http_addr {
        Some(addr) => Some(
            crate::http::serve(addr, shared.clone())
                .await
                .map_err(|e| WorkerError::Startup(format!("cannot listen on {addr}: {e}")))?
                .1,
        ),
        None => None,
    };
    let _http = http.map(AbortOnDrop);
    run(cfg, shared, shutdown).await
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
fn stopped_while_starting(shared: &Shared) -> WorkerSummary {
    shared.set_ready(false);
    tracing::info!("shutdown requested while starting: stopping before consuming anything");
    WorkerSummary {
        clean: true,
        ..WorkerSummary::default()
    }
}

/// Aborts a background task when dropped, on every exit path.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn run(
    cfg: WorkerConfig,
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()>,
) -> Result<WorkerSummary, WorkerError> {
    tokio::pin!(shutdown);
    // Start-up (topic checks, index restore) can take minutes; the process is alive meanwhile.
    // The guard stops these beats however start-up ends; then the consume loop beats itself.
    let starting = AbortOnDrop({
        let shared = shared.clone();
        tokio::spawn(async move {
            loop {
                shared.beat();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })
    });
    let consumer_cfg = consumer_config(&cfg);
    let producer_cfg = producer_config(&cfg);
    tracing::info!(consumer = %redacted(&consumer_cfg), producer = %redacted(&producer_cfg), "kafka configuration");

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
    let Some(checked) = unless_stopped(&mut shutdown, check_topics(&producer, &cfg)).await else {
        return Ok(stopped_while_starting(&shared));
    };
    checked?;
    let transactions = match (&cfg.transactions, signals) {
        (Some(settings), Some(signals)) => {
            let (producer, settings) = (producer.clone(), settings.clone());
            let starting = tokio::task::spawn_blocking(move || {
                Transactions::start(producer, settings, signals)
            });
            let Some(started) = unless_stopped(&mut shutdown, starting).await else {
                return Ok(stopped_while_starting(&shared));
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
        },
    )?;

    let dedup_index = SharedIndex::new(cfg.dedup.clone());
    let stop_follower = Arc::new(AtomicBool::new(false));
    let follower = match &cfg.dedup_index_topic {
        Some(topic) => {
            let restoring = restore_and_follow(&cfg, topic, &dedup_index, &stop_follower);
            match unless_stopped(&mut shutdown, restoring).await {
                Some(follower) => Some(follower?),
                None => {
                    // A follower started after this point sees the flag and stops at once.
                    stop_follower.store(true, Ordering::Relaxed);
                    if let Some(t) = &transactions {
                        t.abandon();
                    }
                    return Ok(stopped_while_starting(&shared));
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
        .with_policy(cfg.dedup_policy),
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
    let Lanes { senders, threads } = match start_processing(&cfg, &enricher, &publisher, &shared) {
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
        group = %cfg.group_id, stages = ?enricher.stage_names(), threads = threads.len(),
        guarantee = cfg.guarantee.as_str(), "worker started"
    );

    drop(starting);
    let outcome = consume_loop(&cfg, &consumer, &shared, &senders, shutdown.as_mut()).await;
    shared.set_ready(false);
    // Closing the job channels lets the processing threads finish what they hold and exit.
    drop(senders);

    let result = match outcome {
        LoopEnd::Fatal(message) => Err(WorkerError::Fatal(message)),
        LoopEnd::Shutdown => {
            let clean = drain_and_commit(&cfg, &consumer, &producer, &shared).await;
            match shared.fatal() {
                Some(message) => Err(WorkerError::Fatal(message)),
                None => Ok(clean),
            }
        }
    };
    if result.is_err() {
        // Do not let the consumer's close commit anything on our behalf.
        shared.set_fatal("stopping after fatal error".into());
        if let Some(t) = &transactions {
            t.abandon();
        }
    }
    // A processing thread that panicked left its jobs unacknowledged: nothing of them was
    // committed, but the run did not end cleanly.
    let panicked: Vec<String> = threads
        .into_iter()
        .filter_map(|t| {
            let name = t.thread().name().unwrap_or("processing").to_owned();
            t.join().is_err().then_some(name)
        })
        .collect();
    let result = match (result, panicked.is_empty()) {
        (Ok(_), false) => Err(WorkerError::Fatal(format!(
            "processing thread(s) {} panicked",
            panicked.join(", ")
        ))),
        (result, _) => result,
    };
    stop_follower.store(true, Ordering::Relaxed);
    if let Some(f) = follower {
        join_named(f, "dedup-index");
    }
    let summary = WorkerSummary {
        consumed: shared.counters.consumed.load(Ordering::Relaxed),
        produced: shared.counters.produced.load(Ordering::Relaxed),
        dead_lettered: shared.counters.dead_lettered.load(Ordering::Relaxed),
        dropped_duplicates: shared.counters.dropped_duplicates.load(Ordering::Relaxed),
        transactions_committed: shared
            .counters
            .transactions_committed
            .load(Ordering::Relaxed),
        transactions_aborted: shared.counters.transactions_aborted.load(Ordering::Relaxed),
        clean: matches!(result, Ok(true)),
    };
    drop(consumer);
    tracing::info!(?summary, "worker stopped");
    result.map(|_| summary)
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

enum LoopEnd {
    Shutdown,
    Fatal(String),
}

async fn consume_loop(
    cfg: &WorkerConfig,
    consumer: &Consumer_,
    shared: &Shared,
    senders: &[mpsc::Sender<Job>],
    shutdown: impl Future<Output = ()>,
) -> LoopEnd {
    tokio::pin!(shutdown);
    let committer = &consumer.context().committer;
    let transactions = committer.transactions();
    // At least once: commit what is complete every interval. Exactly once: end the open
    // transaction that often, or sooner when it is full.
    let mut commit_tick =
        tokio::time::interval(transactions.map_or(cfg.commit_interval, |t| t.max_duration()));
    commit_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut flow_tick = tokio::time::interval(Duration::from_millis(20));
    flow_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut health_tick = tokio::time::interval(Duration::from_secs(1));
    health_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let resume_below = cfg.max_in_flight / 2;
    let paused = || shared.flow_paused.load(Ordering::Relaxed);
    loop {
        if let Some(message) = shared.fatal() {
            return LoopEnd::Fatal(message);
        }
        tokio::select! {
            biased;
            _ = &mut shutdown => {
                tracing::info!("shutdown requested: no more fetching");
                return LoopEnd::Shutdown;
            }
            _ = shared.fatal_notify.notified() => {}
            _ = health_tick.tick() => {
                shared.beat();
                shared.metrics.in_flight.set(shared.tracker().in_flight() as i64);
            }
            _ = commit_tick.tick() => commit_periodically(consumer, shared, committer),
            _ = async { transactions.expect("guarded").due().notified().await }, if transactions.is_some() => {
                commit_periodically(consumer, shared, committer);
                commit_tick.reset();
            }
            _ = flow_tick.tick(), if paused() => {
                if shared.tracker().in_flight() <= resume_below {
                    match consumer.assignment().and_then(|a| consumer.resume(&a)) {
                        Ok(()) => {
                            shared.flow_paused.store(false, Ordering::Relaxed);
                            tracing::debug!("resumed consumption");
                        }
                        Err(e) => tracing::warn!(error = %e, "resume failed"),
                    }
                }
            }
            received = consumer.recv() => match received {
                Ok(m) => {
                    dispatch(&m, shared, senders);
                    if !paused() && shared.tracker().in_flight() >= cfg.max_in_flight {
                        // Rebalance callbacks run inside `recv`, never between these two lines.
                        match consumer.assignment().and_then(|a| consumer.pause(&a)) {
                            Ok(()) => {
                                shared.flow_paused.store(true, Ordering::Relaxed);
                                tracing::debug!("paused consumption: in-flight limit reached");
                            }
                            Err(e) => tracing::warn!(error = %e, "pause failed"),
                        }
                    }
                }
                Err(KafkaError::PartitionEOF(_)) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "consume error");
                    if e.rdkafka_error_code() == Some(RDKafkaErrorCode::Fatal) {
                        return LoopEnd::Fatal(format!("consumer: {e}"));
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}

/// The periodic commit. A failure is logged where it happens; the next one covers the same
/// offsets (or, for an aborted transaction, the rewound batch is done again).
fn commit_periodically(consumer: &Consumer_, shared: &Shared, committer: &Committer) {
    // A transaction ends synchronously (its records' acknowledgements, then the broker's
    // answer); the group commit is asynchronous and returns at once.
    let deadline = Instant::now() + Duration::from_secs(60);
    match committer {
        Committer::Group => {
            let _ = committer.commit(consumer, shared, Reason::Periodic, deadline);
        }
        Committer::Transactional(_) => tokio::task::block_in_place(|| {
            let _ = committer.commit(consumer, shared, Reason::Periodic, deadline);
        }),
    }
}

/// Tracks a received message and queues it on its partition's processing thread.
fn dispatch(m: &BorrowedMessage<'_>, shared: &Shared, senders: &[mpsc::Sender<Job>]) {
    let tp = TopicPartition::new(m.topic(), m.partition());
    let Some(ticket) = shared.tracker().track(&tp, m.offset()) else {
        // Raced a revoke: the partition is someone else's now; they will consume it.
        tracing::debug!(partition = %tp, offset = m.offset(), "message for unassigned partition skipped");
        return;
    };
    shared.counters.consumed.fetch_add(1, Ordering::Relaxed);
    shared
        .metrics
        .consumed
        .with_label_values(&[m.topic()])
        .inc();
    let headers: Vec<Header> = m
        .headers()
        .map(|hs| {
            hs.iter()
                .map(|h| (h.key.to_owned(), h.value.map(<[u8]>::to_vec)))
                .collect()
        })
        .unwrap_or_default();
    let msg = RawMessage {
        topic: Some(m.topic().to_owned()),
        partition: Some(m.partition()),
        offset: Some(m.offset()),
        timestamp_ms: m.timestamp().to_millis(),
        file: None,
        line: None,
        key: m.key().map(<[u8]>::to_vec),
        payload: m.payload().map(<[u8]>::to_vec),
        headers,
    };
    let lane = m.partition().unsigned_abs() as usize % senders.len();
    if senders[lane].send(Job { msg, ticket }).is_err() {
        shared.set_fatal("processing thread exited unexpectedly".into());
    }
}

/// Joins a helper thread whose failure cannot change the run's outcome any more, logging a
/// panic instead of dropping it.
fn join_named(handle: JoinHandle<()>, name: &str) {
    if handle.join().is_err() {
        tracing::error!(thread = name, "thread panicked");
    }
}

/// The processing threads and their job channels (a message's partition picks its lane).
struct Lanes {
    senders: Vec<mpsc::Sender<Job>>,
    threads: Vec<JoinHandle<()>>,
}

/// Starts the processing threads, one job channel each. If one cannot be spawned, the ones
/// already running are stopped (their channels closed) and joined.
fn start_processing(
    cfg: &WorkerConfig,
    enricher: &Arc<Enricher>,
    publisher: &Arc<Publisher>,
    shared: &Arc<Shared>,
) -> Result<Lanes, WorkerError> {
    let mut senders = Vec::with_capacity(cfg.processing_threads);
    let mut threads = Vec::with_capacity(cfg.processing_threads);
    for i in 0..cfg.processing_threads {
        match spawn_processing(i, enricher, publisher, shared) {
            Ok((tx, handle)) => {
                senders.push(tx);
                threads.push(handle);
            }
            Err(e) => {
                drop(senders);
                for t in threads {
                    join_named(t, "processing");
                }
                return Err(WorkerError::Startup(format!(
                    "cannot start processing thread enrich-{i}: {e}"
                )));
            }
        }
    }
    Ok(Lanes { senders, threads })
}

/// Spawns processing thread `i` with its job channel.
fn spawn_processing(
    i: usize,
    enricher: &Arc<Enricher>,
    publisher: &Arc<Publisher>,
    shared: &Arc<Shared>,
) -> std::io::Result<(mpsc::Sender<Job>, JoinHandle<()>)> {
    let (tx, rx) = mpsc::channel::<Job>();
    let (enricher, publisher, shared) = (enricher.clone(), publisher.clone(), shared.clone());
    let handle = std::thread::Builder::new()
        .name(format!("enrich-{i}"))
        .spawn(move || {
            // Kept from one article to the next: what the stages learnt about words.
            let mut reading = Reading::default();
            for job in rx {
                process(job, &enricher, &mut reading, &publisher, &shared);
            }
        })?;
    Ok((tx, handle))
}

fn process(
    job: Job,
    enricher: &Enricher,
    reading: &mut Reading,
    publisher: &Publisher,
    shared: &Shared,
) {
    if shared.fatal().is_some() || !shared.tracker().is_current(&job.ticket) {
        return; // abandoned: never acknowledged, never committed, redone by the next owner
    }
    let msg = &job.msg;
    let mut observe = |stage: &'static str, took: Duration| {
        shared
            .metrics
            .stage_duration
            .with_label_values(&[stage])
            .observe(took.as_secs_f64());
    };
    match enricher.enrich_with(msg, Utc::now(), reading, &mut observe) {
        Outcome::Enriched(out) => {
            if out.dedup_status != news_enricher_core::record::DedupStatus::NotChecked {
                let status = serde_json::to_value(out.dedup_status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                shared
                    .metrics
                    .dedup_verdicts
                    .with_label_values(&[status.as_str()])
                    .inc();
            }
            tracing::debug!(id = %out.key, partition = ?msg.partition, offset = ?msg.offset, dedup = ?out.dedup_status, published = out.publish, "enriched");
            if !out.publish {
                shared
                    .counters
                    .dropped_duplicates
                    .fetch_add(1, Ordering::Relaxed);
                shared.metrics.dedup_dropped.inc();
            }
            // The index entry first: a replica that sees the output has the entry too.
            let index = out.index_record.as_deref().map(|value| Record {
                kind: RecordKind::Index,
                key: Some(out.key.as_bytes()),
                value: Some(value),
                headers: &[],
                input_timestamp_ms: None,
                reason: None,
            });
            let output = out.publish.then(|| Record {
                kind: RecordKind::Output,
                key: Some(out.key.as_bytes()),
                value: Some(&out.value),
                headers: &out.headers,
                input_timestamp_ms: msg.timestamp_ms,
                reason: None,
            });
            // A dropped duplicate with nothing to remember is done once decided.
            let records: Vec<Record<'_>> = index.into_iter().chain(output).collect();
            publisher.publish(shared, job.ticket, &records);
        }
        Outcome::DeadLetter(dl) => {
            tracing::warn!(
                partition = ?msg.partition, offset = ?msg.offset, reason = dl.reason,
                stage = dl.stage, detail = %dl.detail, "dead-lettered"
            );
            let dl_record = dl.record(msg, enricher.max_output_bytes());
            let record = Record {
                kind: RecordKind::DeadLetter,
                key: dl_record.key,
                value: dl_record.value,
                headers: &dl_record.headers,
                input_timestamp_ms: msg.timestamp_ms,
                reason: Some(dl.reason),
            };
            publisher.publish(shared, job.ticket, &[record]);
        }
    }
}

/// Graceful shutdown after fetching stopped: wait for in-flight outputs, flush, commit.
/// Returns whether everything was acknowledged within the deadline.
async fn drain_and_commit(
    cfg: &WorkerConfig,
    consumer: &Consumer_,
    producer: &Producer_,
    shared: &Shared,
) -> bool {
    let deadline = Instant::now() + cfg.shutdown_timeout;
    let in_flight = shared.tracker().in_flight();
    tracing::info!(in_flight, "draining");
    let shared_wait = |t: &news_enricher_core::offsets::OffsetTracker| t.in_flight() == 0;
    // The wait is short and bounded; blocking a runtime thread is acceptable at shutdown.
    let clean = tokio::task::block_in_place(|| shared.wait_until(deadline, shared_wait));
    let remaining = deadline.saturating_duration_since(Instant::now());
    if let Err(e) = producer.flush(remaining.max(Duration::from_millis(100))) {
        tracing::warn!(error = %e, "producer flush incomplete");
    }
    if shared.fatal().is_some() {
        return false;
    }
    let committed = tokio::task::block_in_place(|| {
        consumer.context().committer.commit(
            consumer,
            shared,
            Reason::Shutdown,
            deadline.max(Instant::now() + Duration::from_secs(1)),
        )
    });
    match committed {
        Some(offsets) => tracing::info!(partitions = offsets.len(), "final commit done"),
        None => return false,
    }
    if !clean {
        tracing::warn!(
            in_flight = shared.tracker().in_flight(),
            "shutdown deadline reached with outputs unacknowledged; they will be redone"
        );
    }
    clean
}
