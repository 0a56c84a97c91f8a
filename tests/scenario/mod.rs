//! The end-to-end scenario shared by the mock-cluster and tansu tests: a mixed batch of valid
//! and malformed articles, a worker, and the checks that define "nothing lost, nothing doubled,
//! offsets at the end".

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use news_enricher::config::{Settings, WorkerConfig};
use news_enricher::kafka::{run_worker, WorkerError, WorkerSummary};

use crate::support::{self, ConsumedRecord, TestRecord};

/// Topic names for one test.
pub struct Topics {
    pub input: String,
    pub output: String,
    pub dlq: String,
    pub index: String,
    pub group: String,
}

impl Topics {
    pub fn new(prefix: &str) -> Topics {
        Topics {
            input: support::unique_name(&format!("{prefix}-in")),
            output: support::unique_name(&format!("{prefix}-out")),
            dlq: support::unique_name(&format!("{prefix}-dlq")),
            index: support::unique_name(&format!("{prefix}-index")),
            group: support::unique_name(&format!("{prefix}-group")),
        }
    }
}

/// A generated batch: records to produce, the ids of unique articles, the ids of exact
/// duplicates among them, the keys of bad messages.
pub struct Batch {
    pub records: Vec<TestRecord>,
    pub valid_ids: BTreeSet<String>,
    pub duplicate_ids: BTreeSet<String>,
    pub malformed_keys: BTreeSet<String>,
}

impl Batch {
    /// This batch followed by `other`.
    pub fn then(mut self, other: Batch) -> Batch {
        self.records.extend(other.records);
        self.valid_ids.extend(other.valid_ids);
        self.duplicate_ids.extend(other.duplicate_ids);
        self.malformed_keys.extend(other.malformed_keys);
        self
    }
}

/// `n` messages, every `bad_every`-th malformed (rotating through the kinds of bad input) and
/// every `dup_every`-th a re-cased copy of the previous unique article under a new id (0: none).
/// Unique bodies are distinct from each other.
pub fn batch(start: usize, n: usize, bad_every: usize, dup_every: usize) -> Batch {
    let mut b = Batch {
        records: Vec::new(),
        valid_ids: BTreeSet::new(),
        duplicate_ids: BTreeSet::new(),
        malformed_keys: BTreeSet::new(),
    };
    let mut last: Option<(String, String)> = None;
    for i in start..start + n {
        let key = format!("k-{i}");
        if let (true, Some((last_key, body))) =
            (dup_every > 0 && i % dup_every == dup_every - 1, &last)
        {
            // Same key as the original: same partition, so the copy is processed after it.
            let id = format!("copy-{i}");
            let value = serde_json::json!({"id": id, "body": body.to_uppercase()});
            b.records
                .push(TestRecord::keyed(last_key, value.to_string()));
            b.duplicate_ids.insert(id);
        } else if bad_every > 0 && i % bad_every == bad_every - 1 {
            let payload: Vec<u8> = match (i / bad_every) % 3 {
                0 => br#"{"title": "broken"#.to_vec(),
                1 => br#"{"title": "no body here"}"#.to_vec(),
                _ => vec![0xc3, 0x28, 0xff],
            };
            b.records.push(TestRecord::keyed(&key, payload));
            b.malformed_keys.insert(key);
        } else {
            let id = format!("article-{i}");
            let body = format!(
                "Story number {i}. Officials in city {} said on day {} that the measure passed {} votes to {}.",
                i * 7 % 101,
                i % 28 + 1,
                i * 3 + 11,
                i % 9
            );
            let value =
                serde_json::json!({"id": id, "title": format!("Headline {i}"), "body": body});
            b.records.push(TestRecord::keyed(&key, value.to_string()));
            b.valid_ids.insert(id);
            last = Some((key, body));
        }
    }
    b
}

/// Group timing for tests: tansu completes a join after about half the session timeout, so the
/// production default (45 s) would make every test wait ~20 s for partitions.
pub const FAST_GROUP: &[&str] = &[
    "consumer.session.timeout.ms=6000",
    "consumer.heartbeat.interval.ms=500",
];

/// Worker configuration for tests: production defaults with a fast commit cadence.
pub fn worker_config(
    bootstrap: &str,
    t: &Topics,
    extra: impl FnOnce(&mut Settings),
) -> WorkerConfig {
    let mut args = Settings {
        brokers: Some(bootstrap.to_owned()),
        input_topic: Some(t.input.clone()),
        output_topic: Some(t.output.clone()),
        dlq_topic: Some(t.dlq.clone()),
        group_id: Some(t.group.clone()),
        commit_interval_ms: Some(200),
        kafka_properties: FAST_GROUP.iter().map(|p| p.to_string()).collect(),
        // Tests run workers side by side: each gets an ephemeral port.
        http_addr: Some("127.0.0.1:0".into()),
        ..Settings::default()
    };
    extra(&mut args);
    args.resolve().expect("valid test configuration")
}

/// A worker running `run_worker` on its own runtime, stoppable like SIGTERM would.
pub struct RunningWorker {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: std::thread::JoinHandle<Result<WorkerSummary, WorkerError>>,
}

impl RunningWorker {
    pub fn start(cfg: WorkerConfig) -> RunningWorker {
        // `TEST_LOG=news_enricher=debug` shows the in-process worker's log (with --nocapture).
        if let Ok(filter) = std::env::var("TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let handle = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(run_worker(cfg, async {
                let _ = stopped.await;
            }))
        });
        RunningWorker {
            stop: Some(stop),
            handle,
        }
    }

    /// Requests a graceful stop and waits for the result.
    pub fn stop(mut self) -> Result<WorkerSummary, WorkerError> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.handle.join().expect("worker thread panicked")
    }

    /// Waits for the worker to stop on its own (e.g. after a fatal error).
    pub fn join(self) -> Result<WorkerSummary, WorkerError> {
        let RunningWorker { stop, handle } = self;
        let r = handle.join().expect("worker thread panicked");
        drop(stop);
        r
    }

    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }
}

/// Waits until the group's committed offsets reach `ends` on every partition.
pub fn wait_for_commits(
    bootstrap: &str,
    t: &Topics,
    ends: &BTreeMap<i32, i64>,
    timeout: Duration,
) -> bool {
    support::wait_until(timeout, Duration::from_millis(300), || {
        let got = support::committed_offsets(bootstrap, &t.group, &t.input);
        ends.iter()
            .all(|(p, e)| got.get(p).copied().unwrap_or(-1) >= *e)
    })
}

/// Counts output records per article id (record key), checking each is a valid enriched
/// record for the key it is stored under.
pub fn output_ids(records: &[ConsumedRecord]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for r in records {
        let v: serde_json::Value = serde_json::from_slice(&r.payload).expect("output is JSON");
        let id = v["id"].as_str().expect("record has id").to_owned();
        assert_eq!(
            r.key_str(),
            Some(id.as_str()),
            "record key is the article id"
        );
        assert_eq!(r.header("content-type"), Some(&b"application/json"[..]));
        assert_eq!(
            r.header("x-news-enricher-schema-version"),
            Some(
                news_enricher_core::record::SCHEMA_VERSION
                    .to_string()
                    .as_bytes()
            )
        );
        *counts.entry(id).or_insert(0) += 1;
    }
    counts
}

/// Checks the dead-letter topic holds every malformed key, with original bytes and a reason.
pub fn check_dead_letters(records: &[ConsumedRecord], batch: &Batch, input_topic: &str) {
    let originals: HashMap<String, &TestRecord> = batch
        .records
        .iter()
        .map(|r| (String::from_utf8(r.key.clone().unwrap()).unwrap(), r))
        .collect();
    let mut seen = BTreeSet::new();
    for r in records {
        let key = r
            .key_str()
            .expect("dead letter keeps the original key")
            .to_owned();
        let original = originals[&key];
        assert_eq!(
            r.payload, original.payload,
            "dead letter keeps the original bytes"
        );
        let reason = std::str::from_utf8(r.header("x-dlq-reason").expect("reason header")).unwrap();
        assert!(
            ["invalid_json", "missing_body", "invalid_utf8"].contains(&reason),
            "unexpected reason {reason}"
        );
        assert_eq!(r.header("x-dlq-stage"), Some(&b"decode"[..]));
        assert_eq!(r.header("x-dlq-source-topic"), Some(input_topic.as_bytes()));
        assert!(r.header("x-dlq-source-offset").is_some());
        seen.insert(key);
    }
    assert_eq!(
        seen, batch.malformed_keys,
        "every malformed message is dead-lettered"
    );
}

/// A tansu broker with the input, output, dead-letter and dedup index topics created.
pub fn broker_with(t: &Topics, partitions: i32) -> Option<support::Tansu> {
    let broker = support::Tansu::start()?;
    broker.create_topic(&t.input, partitions);
    broker.create_topic(&t.output, 3);
    broker.create_topic(&t.dlq, 1);
    broker.create_topic(&t.index, 2);
    Some(broker)
}

/// Sum of per-partition offsets.
pub fn total(ends: &BTreeMap<i32, i64>) -> i64 {
    ends.values().sum()
}

/// The worker binary as a child process, logging to a file.
pub fn spawn_worker(
    bootstrap: &str,
    t: &Topics,
    log: &std::path::Path,
    extra: &[&str],
) -> std::process::Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_news-enricher"))
        .args(["--log-format", "json", "run", "--brokers", bootstrap])
        .args([
            "--input-topic",
            &t.input,
            "--output-topic",
            &t.output,
            "--dlq-topic",
            &t.dlq,
        ])
        .args(["--group-id", &t.group, "--commit-interval-ms", "1000"])
        .args(
            (!extra.contains(&"--http-addr"))
                .then_some(["--http-addr", "127.0.0.1:0"])
                .into_iter()
                .flatten(),
        )
        .args(FAST_GROUP.iter().flat_map(|p| ["--kafka-property", p]))
        .args(extra)
        .env(
            "RUST_LOG",
            std::env::var("WORKER_RUST_LOG").unwrap_or_else(|_| "info".into()),
        )
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn worker")
}

/// Waits for a child to exit.
pub fn wait_exit(
    child: &mut std::process::Child,
    timeout: Duration,
) -> Option<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// The last 40 lines of a log file.
pub fn log_tail(path: &std::path::Path) -> String {
    let s = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// Reads the output topic and asserts every unique article of `all` is there at least once.
/// Returns the per-id counts.
pub fn assert_none_lost(
    bootstrap: &str,
    t: &Topics,
    all: &Batch,
    what: &str,
) -> HashMap<String, usize> {
    let out = support::consume_all(
        bootstrap,
        &t.output,
        all.valid_ids.len(),
        Duration::from_secs(60),
    );
    let counts = output_ids(&out);
    let ids: BTreeSet<_> = counts.keys().cloned().collect();
    let missing: Vec<_> = all.valid_ids.difference(&ids).collect();
    assert!(
        missing.is_empty(),
        "articles lost across {what}: {missing:?}"
    );
    counts
}
