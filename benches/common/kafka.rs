//! A worker on its own runtime and the latency probe, shared by the benches that run the
//! worker against tansu (`guarantees`, `latency`). Included with `#[path]` by those benches,
//! which also include `tests/support` as `support`.

// Each bench uses only part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use news_enricher::config::{Settings, WorkerConfig};
use news_enricher::kafka::{run_worker, WorkerError, WorkerSummary};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{Message, Offset, TopicPartitionList};

use crate::support::Tansu;

/// A worker reading `input` with fresh output and dead-letter topics (3 and 1 partitions) and
/// a fresh group, shipped defaults but for shorter group session timeouts (so it joins
/// quickly; steady state is unchanged) and what `tweak` sets. Returns it with its output topic.
pub fn worker_config(
    broker: &Tansu,
    input: &str,
    tag: &str,
    tweak: impl FnOnce(&mut Settings),
) -> (WorkerConfig, String) {
    let output = crate::support::unique_name(&format!("bench-out-{tag}"));
    let dlq = crate::support::unique_name(&format!("bench-dlq-{tag}"));
    let group = crate::support::unique_name(&format!("bench-group-{tag}"));
    broker.create_topic(&output, 3);
    broker.create_topic(&dlq, 1);
    let mut args = Settings {
        brokers: Some(broker.bootstrap.clone()),
        input_topic: Some(input.to_owned()),
        output_topic: Some(output.clone()),
        dlq_topic: Some(dlq),
        transactional_id: Some(format!("{group}-0")),
        group_id: Some(group),
        kafka_properties: vec![
            "consumer.session.timeout.ms=6000".into(),
            "consumer.heartbeat.interval.ms=500".into(),
        ],
        http_addr: Some("off".into()),
        ..Settings::default()
    };
    tweak(&mut args);
    (args.resolve().expect("bench config"), output)
}

/// A worker running on its own runtime until stopped.
pub struct Worker {
    stop: tokio::sync::oneshot::Sender<()>,
    handle: std::thread::JoinHandle<Result<WorkerSummary, WorkerError>>,
}

pub fn start(cfg: WorkerConfig) -> Worker {
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
    pub fn stop(self) -> WorkerSummary {
        let _ = self.stop.send(());
        self.handle.join().unwrap().expect("worker ran cleanly")
    }
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Input timestamp → received by a read_committed reader, in ms, for `seconds` of input paced
/// at `rate` articles/s. Returns the sorted latencies and how many outputs were not seen.
pub fn latency(
    broker: &Tansu,
    texts: &[String],
    config: impl FnOnce(&str) -> (WorkerConfig, String),
    rate: usize,
    seconds: usize,
    tag: &str,
) -> (Vec<f64>, usize) {
    let input = crate::support::unique_name(&format!("bench-lat-in-{tag}"));
    broker.create_topic(&input, 3);
    let (cfg, output) = config(&input);
    let worker = start(cfg);

    let reader: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &broker.bootstrap)
        .set("group.id", crate::support::unique_name("bench-reader"))
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
                // librdkafka's default: an upstream producer batches. 0 sends one request
                // per article, which on tansu costs more than the worker does (issue 14 notes).
                .set(
                    "linger.ms",
                    std::env::var("BENCH_INPUT_LINGER_MS").unwrap_or("5".into()),
                )
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

/// The `p` quantile of sorted values.
pub fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}
