//! What exactly-once costs against at-least-once, on a real broker (tansu), in one run:
//! 1. throughput: BBC articles through the full pipeline, both guarantees, alternating rounds,
//!    medians and their ratio;
//! 2. latency at a fixed input rate (500 articles/s by default): input timestamp → the moment a
//!    `read_committed` reader receives the output record, p50/p99/max, both guarantees.
//!
//! `cargo bench --bench guarantees` — knobs: `BENCH_ARTICLES` (default 4450: BBC twice),
//! `BENCH_ROUNDS` (3), `BENCH_RATE` (500/s), `BENCH_SECONDS` (20 s of paced input).
//! Under `cargo test` (no `--bench` argument) it runs a small smoke round.
//!
//! Both guarantees run with their shipped defaults, except the at-least-once commit interval,
//! 100 ms like the exactly-once transaction length: the throughput clock stops when the
//! group's committed offsets reach the end, and a 5 s commit interval would add up to 5 s to
//! the at-least-once time.

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use common::{bbc_texts, env_usize, median};

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use news_enricher::config::{Guarantee, RunArgs, WorkerConfig};
use news_enricher::kafka::{run_worker, WorkerError, WorkerSummary};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{Message, Offset, TopicPartitionList};
use support::{Tansu, TestRecord};

struct Worker {
    stop: tokio::sync::oneshot::Sender<()>,
    handle: std::thread::JoinHandle<Result<WorkerSummary, WorkerError>>,
}

fn start(cfg: WorkerConfig) -> Worker {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = std::thread::spawn(move || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
            .block_on(run_worker(cfg, async {
                let _ = stopped.await;
            }))
    });
    Worker { stop, handle }
}

impl Worker {
    fn stop(self) -> WorkerSummary {
        let _ = self.stop.send(());
        self.handle.join().unwrap().expect("worker ran cleanly")
    }
}

fn config(broker: &Tansu, input: &str, guarantee: Guarantee, tag: &str) -> (WorkerConfig, String) {
    let output = support::unique_name(&format!("bench-out-{tag}"));
    let dlq = support::unique_name(&format!("bench-dlq-{tag}"));
    let group = support::unique_name(&format!("bench-group-{tag}"));
    broker.create_topic(&output, 3);
    broker.create_topic(&dlq, 1);
    let cfg = RunArgs {
        brokers: Some(broker.bootstrap.clone()),
        input_topic: Some(input.to_owned()),
        output_topic: Some(output.clone()),
        dlq_topic: Some(dlq),
        group_id: Some(group.clone()),
        commit_interval_ms: Some(100),
        guarantee: Some(guarantee),
        transactional_id: Some(format!("{group}-0")),
        kafka_properties: vec![
            "consumer.session.timeout.ms=6000".into(),
            "consumer.heartbeat.interval.ms=500".into(),
        ],
        http_addr: Some("off".into()),
        ..RunArgs::default()
    }
    .resolve()
    .expect("bench config");
    (cfg, output)
}

/// Articles per second through one worker: from the first output record to the group's
/// committed offsets reaching the end of the input.
fn throughput(
    broker: &Tansu,
    input: &str,
    ends: &BTreeMap<i32, i64>,
    g: Guarantee,
    tag: &str,
) -> f64 {
    let n: i64 = ends.values().sum();
    let (cfg, output) = config(broker, input, g, tag);
    let group = cfg.group_id.clone();
    let worker = start(cfg);
    let took = common::time_to_commit(&broker.bootstrap, input, &output, &group, ends);
    let summary = worker.stop();
    assert_eq!(summary.consumed as i64, n, "every article consumed once");
    n as f64 / took.as_secs_f64()
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Input timestamp → received by a read_committed reader, in ms, for `seconds` of input paced
/// at `rate` articles/s. Returns the sorted latencies and how many outputs were not seen.
fn latency(
    broker: &Tansu,
    texts: &[String],
    g: Guarantee,
    rate: usize,
    seconds: usize,
    tag: &str,
) -> (Vec<f64>, usize) {
    let input = support::unique_name(&format!("bench-lat-in-{tag}"));
    broker.create_topic(&input, 3);
    let (cfg, output) = config(broker, &input, g, tag);
    let worker = start(cfg);

    let reader: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &broker.bootstrap)
        .set("group.id", support::unique_name("bench-reader"))
        .set("isolation.level", "read_committed")
        .set("fetch.wait.max.ms", "5")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..3 {
        tpl.add_partition_offset(&output, p, Offset::Beginning)
            .unwrap();
    }
    reader.assign(&tpl).unwrap();
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", &broker.bootstrap)
        .set("linger.ms", "0")
        .create()
        .unwrap();
    let send = |id: &str, body: &str| {
        let value = serde_json::json!({"id": id, "source": "bbc", "body": body}).to_string();
        let record = BaseRecord::to(&input)
            .key(id)
            .payload(&value)
            .timestamp(now_ms());
        producer.send(record).map_err(|(e, _)| e).expect("enqueue");
    };

    // Warm up: one article through, so the group has joined before the clock matters.
    send("warm-up", &texts[0]);
    let warm = Instant::now();
    loop {
        assert!(
            warm.elapsed() < Duration::from_secs(120),
            "no output within 2 minutes"
        );
        if let Some(Ok(m)) = reader.poll(Duration::from_millis(100)) {
            if m.key() == Some(b"warm-up") {
                break;
            }
        }
    }

    let sent: Arc<std::sync::Mutex<HashMap<String, i64>>> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    let total = rate * seconds;
    let pacer = {
        let (sent, done, texts) = (sent.clone(), done.clone(), texts.to_vec());
        let (input, bootstrap) = (input.clone(), broker.bootstrap.clone());
        std::thread::spawn(move || {
            let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
                .set("bootstrap.servers", &bootstrap)
                .set("linger.ms", "0")
                .create()
                .unwrap();
            let t0 = Instant::now();
            for i in 0..total {
                let due = t0 + Duration::from_secs_f64(i as f64 / rate as f64);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let id = format!("lat-{i}");
                let value =
                    serde_json::json!({"id": id, "source": "bbc", "body": texts[i % texts.len()]})
                        .to_string();
                let ts = now_ms();
                sent.lock().unwrap().insert(id.clone(), ts);
                let record = BaseRecord::to(&input)
                    .key(&id)
                    .payload(&value)
                    .timestamp(ts);
                producer.send(record).map_err(|(e, _)| e).expect("enqueue");
            }
            producer.flush(Duration::from_secs(30)).unwrap();
            done.store(true, Ordering::Release);
        })
    };
    let mut latencies = Vec::with_capacity(total);
    let deadline = Instant::now() + Duration::from_secs(seconds as u64 + 60);
    while latencies.len() < total && Instant::now() < deadline {
        if let Some(Ok(m)) = reader.poll(Duration::from_millis(50)) {
            let now = now_ms();
            let Some(key) = m.key().and_then(|k| std::str::from_utf8(k).ok()) else {
                continue;
            };
            if let Some(ts) = sent.lock().unwrap().remove(key) {
                latencies.push((now - ts) as f64);
            }
        }
    }
    pacer.join().unwrap();
    assert!(done.load(Ordering::Acquire));
    worker.stop();
    latencies.sort_by(f64::total_cmp);
    let missing = total - latencies.len();
    (latencies, missing)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn main() {
    if std::env::var_os("BENCH_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_env("BENCH_LOG"))
            .init();
    }
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let Some(texts) = bbc_texts() else {
        eprintln!("guarantees: BBC data not found (../shared/data/bbc-news); skipping");
        return;
    };
    let Some(broker) = Tansu::start() else {
        eprintln!("guarantees: tansu not installed (scripts/fetch-tansu); skipping");
        return;
    };
    let (n, rounds, rate, seconds) = if bench_mode {
        (
            env_usize("BENCH_ARTICLES", texts.len() * 2),
            env_usize("BENCH_ROUNDS", 3),
            env_usize("BENCH_RATE", 500),
            env_usize("BENCH_SECONDS", 20),
        )
    } else {
        (200, 1, 50, 2)
    };
    println!(
        "exactly-once batches: at most {} messages or {} ms (the shipped defaults)",
        news_enricher::config::DEFAULT_TRANSACTION_MAX_MESSAGES,
        news_enricher::config::DEFAULT_TRANSACTION_MAX_MS,
    );

    let messages: Vec<TestRecord> = (0..n)
        .map(|i| {
            let value = serde_json::json!({"id": format!("bbc-{i}"), "source": "bbc", "body": texts[i % texts.len()]});
            TestRecord::keyed(format!("bbc-{i}"), value.to_string())
        })
        .collect();
    let input = support::unique_name("bench-in");
    broker.create_topic(&input, 3);
    support::produce(&broker.bootstrap, &input, &messages);
    let ends = support::end_offsets(&broker.bootstrap, &input);

    let (mut alo, mut eos) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        alo.push(throughput(
            &broker,
            &input,
            &ends,
            Guarantee::AtLeastOnce,
            &format!("alo{round}"),
        ));
        eos.push(throughput(
            &broker,
            &input,
            &ends,
            Guarantee::ExactlyOnce,
            &format!("eos{round}"),
        ));
        println!(
            "round {round}: at-least-once {:.0} articles/s, exactly-once {:.0} articles/s",
            alo[round], eos[round]
        );
    }
    let (a, e) = (median(&mut alo), median(&mut eos));
    println!(
        "throughput, tansu, {n} articles, full pipeline, {rounds} rounds, medians: at-least-once {a:.0}/s, exactly-once {e:.0}/s, exactly-once/at-least-once = {:.2}",
        e / a
    );

    for g in [Guarantee::AtLeastOnce, Guarantee::ExactlyOnce] {
        let (lat, missing) = latency(&broker, &texts, g, rate, seconds, g.as_str());
        println!(
            "latency, {}, {rate} articles/s for {seconds} s ({} outputs, {missing} not seen), input timestamp -> read_committed reader: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            g.as_str(),
            lat.len(),
            pct(&lat, 0.50),
            pct(&lat, 0.99),
            lat.last().copied().unwrap_or(f64::NAN)
        );
    }
}
