//! Shared helpers for integration tests that need a real Kafka-protocol broker.
//!
//! Tests use [tansu](https://github.com/tansu-io/tansu) with in-memory storage:
//! every [`Tansu::start`] spawns a private broker on a free 127.0.0.1 port, and
//! the broker is killed when the handle is dropped.
//!
//! The broker binary is looked up in this order:
//! 1. `$TANSU_BIN`
//! 2. `<crate root>/.tools/bin/tansu` (installed by `scripts/fetch-tansu`)
//! 3. `tansu` on `$PATH`
//!
//! When no binary is found, [`Tansu::start`] returns `None` so the test can
//! skip itself, except when `CI=true`, where a missing broker is a hard failure.
//!
//! The produce/consume helpers are synchronous (no tokio runtime needed) and
//! every loop in here is bounded by a deadline.
//!
//! Usage from a test file:
//!
//! ```ignore
//! mod support;
//! use support::{Tansu, TestRecord};
//!
//! let Some(broker) = Tansu::start() else { return };
//! broker.create_topic("in", 3);
//! support::produce(&broker.bootstrap, "in", &[TestRecord::keyed("k", b"v")]);
//! ```

// Each test binary compiles its own copy of this module and uses only some of it.
#![allow(dead_code)]

pub mod otlp;
pub mod txn_markers;

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{DeliveryResult, Headers};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, ProducerContext};
use rdkafka::{ClientContext, Message, Offset, TopicPartitionList};

/// How long [`Tansu::start`] waits for the broker to answer metadata requests.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Timeout for a single metadata / watermark / committed-offsets request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// [`consume_all`] keeps reading this long after the last message once
/// `min_count` has been reached, so unexpected extra records are also seen.
pub const QUIET_PERIOD: Duration = Duration::from_millis(1500);
/// Bytes of broker log shown when something goes wrong.
const LOG_TAIL_BYTES: u64 = 8 * 1024;

static INSTANCE: AtomicUsize = AtomicUsize::new(0);

/// A running tansu broker with in-memory storage; killed on drop.
#[derive(Debug)]
pub struct Tansu {
    /// `host:port` to use as `bootstrap.servers`.
    pub bootstrap: String,
    /// The `tcp://host:port` URL the tansu CLI expects for `--broker`.
    pub broker_url: String,
    /// Combined stdout/stderr of the broker process.
    pub log_path: PathBuf,
    binary: PathBuf,
    child: Child,
}

impl Tansu {
    /// Start a private broker, or return `None` (after printing why) if tansu is
    /// not installed. Panics if tansu is missing while `CI=true`, or if the
    /// broker does not come up within [`STARTUP_TIMEOUT`].
    pub fn start() -> Option<Tansu> {
        let Some(binary) = find_tansu_binary() else {
            let msg = "tansu not installed, run scripts/fetch-tansu \
                       (or set TANSU_BIN=/path/to/tansu)";
            if is_ci() {
                panic!("CI=true but {msg}");
            }
            eprintln!("skipping: {msg}");
            return None;
        };

        // A port picked by binding :0 can be grabbed by someone else before
        // tansu binds it; retry with a fresh port if the broker dies early.
        const ATTEMPTS: usize = 3;
        for attempt in 1..=ATTEMPTS {
            let mut broker = Tansu::spawn(&binary);
            match broker.wait_ready(STARTUP_TIMEOUT) {
                Ok(elapsed) => {
                    if std::env::var_os("TANSU_VERBOSE").is_some() {
                        eprintln!("tansu ready at {} after {elapsed:?}", broker.bootstrap);
                    }
                    return Some(broker);
                }
                Err(StartError::Exited(status)) if attempt < ATTEMPTS => {
                    eprintln!(
                        "tansu on {} exited early ({status}), retrying on another port\n{}",
                        broker.bootstrap,
                        broker.log_tail()
                    );
                }
                Err(err) => panic!(
                    "tansu ({}) did not become ready on {}: {err}\n--- broker log {} ---\n{}",
                    binary.display(),
                    broker.bootstrap,
                    broker.log_path.display(),
                    broker.log_tail()
                ),
            }
        }
        unreachable!()
    }

    fn spawn(binary: &Path) -> Tansu {
        let port = free_port();
        let bootstrap = format!("127.0.0.1:{port}");
        let broker_url = format!("tcp://{bootstrap}");
        let nonce = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let log_path = std::env::temp_dir().join(format!(
            "tansu-test-{}-{}-{port}-{nonce}.log",
            std::process::id(),
            INSTANCE.fetch_add(1, Ordering::Relaxed)
        ));
        let log = File::create(&log_path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", log_path.display()));
        let log_err = log.try_clone().expect("clone log file handle");
        let child = Command::new(binary)
            .arg("broker")
            .arg("--listener-url")
            .arg(&broker_url)
            .arg("--advertised-listener-url")
            .arg(&broker_url)
            .arg("--storage-engine")
            .arg("memory://tansu/")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .env(
                "RUST_LOG",
                std::env::var("TANSU_RUST_LOG").unwrap_or_default(),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .spawn()
            .unwrap_or_else(|e| panic!("failed to spawn {}: {e}", binary.display()));
        Tansu {
            bootstrap,
            broker_url,
            log_path,
            binary: binary.to_path_buf(),
            child,
        }
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<Duration, StartError> {
        let started = Instant::now();
        let deadline = started + timeout;
        let addr: SocketAddr = self.bootstrap.parse().expect("valid socket address");

        // 1. The port accepts TCP connections.
        loop {
            self.check_alive()?;
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                break;
            }
            if Instant::now() >= deadline {
                return Err(StartError::Timeout("TCP port never accepted connections"));
            }
            thread::sleep(Duration::from_millis(25));
        }

        // 2. The broker answers a metadata request and advertises itself.
        let consumer = metadata_client(&self.bootstrap);
        loop {
            self.check_alive()?;
            let last_err = match consumer.fetch_metadata(None, Duration::from_secs(2)) {
                Ok(md) if !md.brokers().is_empty() => return Ok(started.elapsed()),
                Ok(_) => "metadata listed no brokers".to_owned(),
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                return Err(StartError::Metadata(last_err));
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    fn check_alive(&mut self) -> Result<(), StartError> {
        match self.child.try_wait() {
            Ok(Some(status)) => Err(StartError::Exited(status.to_string())),
            Ok(None) => Ok(()),
            Err(e) => Err(StartError::Exited(format!("try_wait failed: {e}"))),
        }
    }

    /// Create `name` with `partitions` partitions via the tansu CLI and wait
    /// until broker metadata reports exactly that many partitions.
    pub fn create_topic(&self, name: &str, partitions: i32) {
        assert!(partitions > 0, "partitions must be positive");
        let out = Command::new(&self.binary)
            .args(["topic", "create", name, "--broker", &self.broker_url])
            .arg("--partitions")
            .arg(partitions.to_string())
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("failed to run `tansu topic create`: {e}"));
        assert!(
            out.status.success(),
            "`tansu topic create {name} --partitions {partitions}` failed ({}):\n{}{}\n--- broker log ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log_tail()
        );

        let mut seen = None;
        let ok = wait_until(Duration::from_secs(15), Duration::from_millis(100), || {
            seen = partition_count(&self.bootstrap, name);
            seen == Some(partitions)
        });
        assert!(
            ok,
            "topic {name:?}: expected {partitions} partitions in metadata, last saw {seen:?}\n\
             --- broker log ---\n{}",
            self.log_tail()
        );
    }

    /// The broker's process id (to freeze it with SIGSTOP).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last few KiB of the broker's stdout/stderr.
    pub fn log_tail(&self) -> String {
        read_tail(&self.log_path, LOG_TAIL_BYTES)
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if thread::panicking() {
            eprintln!(
                "--- tansu log ({}, kept) ---\n{}",
                self.log_path.display(),
                self.log_tail()
            );
        } else {
            let _ = fs::remove_file(&self.log_path);
        }
    }
}

#[derive(Debug)]
enum StartError {
    Exited(String),
    Timeout(&'static str),
    Metadata(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Exited(status) => write!(f, "broker process exited: {status}"),
            StartError::Timeout(what) => write!(f, "timed out: {what}"),
            StartError::Metadata(err) => write!(f, "metadata request kept failing: {err}"),
        }
    }
}

fn is_ci() -> bool {
    std::env::var("CI")
        .map(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
        .unwrap_or(false)
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path)
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// Locate the tansu binary (see module docs for the search order).
pub fn find_tansu_binary() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("TANSU_BIN").filter(|v| !v.is_empty()) {
        let bin = PathBuf::from(bin);
        assert!(
            is_executable(&bin),
            "TANSU_BIN={} is not an executable file (unset it, or run scripts/fetch-tansu)",
            bin.display()
        );
        return Some(bin);
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin/tansu");
    if is_executable(&local) {
        return Some(local);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("tansu"))
            .find(|p| is_executable(p))
    })
}

/// A port free right now on 127.0.0.1 (whoever needs it binds it a moment later).
pub fn free_port() -> u16 {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0 to pick a free port");
    listener.local_addr().expect("local_addr").port()
}

fn read_tail(path: &Path, max: u64) -> String {
    let Ok(mut f) = File::open(path) else {
        return format!("<cannot open {}>", path.display());
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(max)));
    let mut buf = Vec::new();
    let _ = f.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// A unique-ish name for topics / groups, e.g. `unique_name("dedup")`.
pub fn unique_name(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{}-{nanos}",
        std::process::id(),
        INSTANCE.fetch_add(1, Ordering::Relaxed)
    )
}

/// Client settings shared by every helper client.
pub fn base_config(bootstrap: &str) -> ClientConfig {
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", bootstrap)
        .set("broker.address.family", "v4")
        .set("socket.timeout.ms", "10000")
        .set("log_level", "3");
    cfg
}

fn metadata_client(bootstrap: &str) -> BaseConsumer {
    base_config(bootstrap)
        .set("allow.auto.create.topics", "false")
        .create()
        .expect("create metadata client")
}

/// Number of partitions `topic` has according to broker metadata, or `None`
/// if the topic is unknown (or the request failed).
pub fn partition_count(bootstrap: &str, topic: &str) -> Option<i32> {
    partitions_of(&metadata_client(bootstrap), topic).map(|p| p.len() as i32)
}

/// Sorted partition ids of `topic`, or `None` if metadata does not list it.
fn partitions_of(client: &BaseConsumer, topic: &str) -> Option<Vec<i32>> {
    let md = client.fetch_metadata(Some(topic), REQUEST_TIMEOUT).ok()?;
    let t = md.topics().iter().find(|t| t.name() == topic)?;
    if t.error().is_some() || t.partitions().is_empty() {
        return None;
    }
    let mut ids: Vec<i32> = t.partitions().iter().map(|p| p.id()).collect();
    ids.sort_unstable();
    Some(ids)
}

/// Like [`partitions_of`] but retries for a while and panics if the topic
/// never shows up.
fn require_partitions(client: &BaseConsumer, topic: &str) -> Vec<i32> {
    let mut found = None;
    wait_until(Duration::from_secs(10), Duration::from_millis(100), || {
        found = partitions_of(client, topic);
        found.is_some()
    });
    found.unwrap_or_else(|| panic!("topic {topic:?} not found in broker metadata"))
}

/// Poll `f` every `poll_every` until it returns `true` (→ `true`) or
/// `timeout` has elapsed (→ `false`). `f` is always called at least once.
pub fn wait_until(timeout: Duration, poll_every: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        thread::sleep(poll_every.min(deadline - now));
    }
}

/// A record for [`produce`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRecord {
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    /// Explicit partition; `None` lets the producer's partitioner choose.
    pub partition: Option<i32>,
    /// Headers, in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// Create time, ms since the epoch; `None`: the producer's clock.
    pub timestamp: Option<i64>,
}

impl TestRecord {
    /// A keyed record, partitioned by key.
    pub fn keyed(key: impl AsRef<[u8]>, payload: impl AsRef<[u8]>) -> TestRecord {
        TestRecord {
            key: Some(key.as_ref().to_vec()),
            payload: payload.as_ref().to_vec(),
            partition: None,
            headers: Vec::new(),
            timestamp: None,
        }
    }

    /// A record without a key.
    pub fn unkeyed(payload: impl AsRef<[u8]>) -> TestRecord {
        TestRecord {
            key: None,
            payload: payload.as_ref().to_vec(),
            partition: None,
            headers: Vec::new(),
            timestamp: None,
        }
    }

    /// Pin the record to `partition`.
    pub fn on_partition(mut self, partition: i32) -> TestRecord {
        self.partition = Some(partition);
        self
    }

    /// Set the create time, ms since the epoch.
    pub fn at(mut self, timestamp_ms: i64) -> TestRecord {
        self.timestamp = Some(timestamp_ms);
        self
    }

    /// Add a header.
    pub fn with_header(mut self, name: &str, value: impl AsRef<[u8]>) -> TestRecord {
        self.headers
            .push((name.to_owned(), value.as_ref().to_vec()));
        self
    }
}

/// `Ok((partition, offset))` or the delivery error; `None` until reported.
type DeliveryReport = Option<Result<(i32, i64), String>>;

/// Collects delivery reports, indexed by the record's position in the batch.
struct DeliveryCollector {
    reports: Mutex<Vec<DeliveryReport>>,
}

impl ClientContext for DeliveryCollector {}

impl ProducerContext for DeliveryCollector {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, index: usize) {
        let outcome = match result {
            Ok(m) => Ok((m.partition(), m.offset())),
            Err((e, m)) => Err(format!("partition {}: {e}", m.partition())),
        };
        if let Some(slot) = self.reports.lock().unwrap().get_mut(index) {
            *slot = Some(outcome);
        }
    }
}

/// Produce `records` to `topic` in order and block until every one is
/// acknowledged. Panics on any delivery error. Returns `(partition, offset)`
/// for each record, in input order.
pub fn produce(bootstrap: &str, topic: &str, records: &[TestRecord]) -> Vec<(i32, i64)> {
    let context = DeliveryCollector {
        reports: Mutex::new(vec![None; records.len()]),
    };
    let producer: BaseProducer<DeliveryCollector> = base_config(bootstrap)
        .set("message.timeout.ms", "30000")
        .set("linger.ms", "5")
        .create_with_context(context)
        .expect("create test producer");

    let deadline = Instant::now() + Duration::from_secs(60);
    for (index, rec) in records.iter().enumerate() {
        let mut br = BaseRecord::<[u8], [u8], usize>::with_opaque_to(topic, index)
            .payload(rec.payload.as_slice());
        if let Some(key) = &rec.key {
            br = br.key(key.as_slice());
        }
        if let Some(p) = rec.partition {
            br = br.partition(p);
        }
        if let Some(ts) = rec.timestamp {
            br = br.timestamp(ts);
        }
        if !rec.headers.is_empty() {
            let mut headers = rdkafka::message::OwnedHeaders::new();
            for (name, value) in &rec.headers {
                headers = headers.insert(rdkafka::message::Header {
                    key: name,
                    value: Some(value),
                });
            }
            br = br.headers(headers);
        }
        loop {
            match producer.send(br) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    assert!(
                        Instant::now() < deadline,
                        "producer queue stayed full for 60 s"
                    );
                    br = back;
                    producer.poll(Duration::from_millis(50));
                }
                Err((e, _)) => panic!("failed to enqueue record #{index} for {topic:?}: {e}"),
            }
        }
        producer.poll(Duration::ZERO);
    }

    producer.flush(Duration::from_secs(60)).unwrap_or_else(|e| {
        panic!(
            "flushing {} records to {topic:?} failed: {e}",
            records.len()
        )
    });
    // flush() waits for the out-queue to drain; make sure every report ran.
    let all_reported = wait_until(Duration::from_secs(10), Duration::ZERO, || {
        producer.poll(Duration::from_millis(50));
        producer
            .context()
            .reports
            .lock()
            .unwrap()
            .iter()
            .all(Option::is_some)
    });
    assert!(all_reported, "missing delivery reports for {topic:?}");

    let reports = producer.context().reports.lock().unwrap().clone();
    reports
        .into_iter()
        .enumerate()
        .map(|(i, r)| match r {
            Some(Ok(pos)) => pos,
            Some(Err(e)) => panic!("record #{i} to {topic:?} was not delivered: {e}"),
            None => unreachable!(),
        })
        .collect()
}

/// A record read back by [`consume_all`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumedRecord {
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    /// Header values that are null are returned as empty vectors.
    pub headers: Vec<(String, Vec<u8>)>,
    pub partition: i32,
    pub offset: i64,
    /// Milliseconds since the epoch, if the record carries a timestamp.
    pub timestamp: Option<i64>,
}

impl ConsumedRecord {
    /// The payload as UTF-8 (panics if it is not).
    pub fn payload_str(&self) -> &str {
        std::str::from_utf8(&self.payload).expect("payload is not UTF-8")
    }

    /// The key as UTF-8, if present (panics if it is not UTF-8).
    pub fn key_str(&self) -> Option<&str> {
        self.key
            .as_deref()
            .map(|k| std::str::from_utf8(k).expect("key is not UTF-8"))
    }

    /// First header named `name`.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_slice())
    }
}

/// Read every partition of `topic` from the beginning, without joining a
/// consumer group (manual assignment). Returns once at least `min_count`
/// records were read and no new record arrived for [`QUIET_PERIOD`], or when
/// `timeout` expires (whatever was read so far is returned; assert on it).
/// Records are ordered by (partition, offset). Reads as downstream readers of an exactly-once
/// worker must: `read_committed`.
pub fn consume_all(
    bootstrap: &str,
    topic: &str,
    min_count: usize,
    timeout: Duration,
) -> Vec<ConsumedRecord> {
    consume_all_isolated(bootstrap, topic, min_count, timeout, "read_committed")
}

/// [`consume_all`] at the given `isolation.level` (`read_uncommitted` also sees records of
/// aborted and open transactions).
pub fn consume_all_isolated(
    bootstrap: &str,
    topic: &str,
    min_count: usize,
    timeout: Duration,
    isolation: &str,
) -> Vec<ConsumedRecord> {
    let deadline = Instant::now() + timeout;
    let consumer: BaseConsumer = base_config(bootstrap)
        .set("group.id", unique_name("test-reader"))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("allow.auto.create.topics", "false")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", "100")
        .set("isolation.level", isolation)
        .create()
        .expect("create test consumer");

    let mut tpl = TopicPartitionList::new();
    for p in require_partitions(&consumer, topic) {
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .expect("add partition");
    }
    consumer.assign(&tpl).expect("assign partitions");

    let mut out = Vec::new();
    let mut last_progress = Instant::now();
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        if out.len() >= min_count && now.duration_since(last_progress) >= QUIET_PERIOD {
            break;
        }
        match consumer.poll((deadline - now).min(Duration::from_millis(100))) {
            None => {}
            Some(Ok(m)) => {
                let headers = m
                    .headers()
                    .map(|hs| {
                        hs.iter()
                            .map(|h| (h.key.to_owned(), h.value.unwrap_or_default().to_vec()))
                            .collect()
                    })
                    .unwrap_or_default();
                out.push(ConsumedRecord {
                    key: m.key().map(<[u8]>::to_vec),
                    payload: m.payload().map(<[u8]>::to_vec).unwrap_or_default(),
                    headers,
                    partition: m.partition(),
                    offset: m.offset(),
                    timestamp: m.timestamp().to_millis(),
                });
                last_progress = Instant::now();
            }
            Some(Err(KafkaError::PartitionEOF(_))) => {}
            Some(Err(e)) => eprintln!("consume_all({topic}): transient error: {e}"),
        }
    }
    out.sort_by_key(|r| (r.partition, r.offset));
    out
}

/// `(low, high)` watermarks of every partition of `topic` exactly as the
/// broker reports them (ListOffsets EARLIEST / LATEST).
///
/// Beware: tansu 0.6.0 reports LATEST as *base offset of the last record
/// batch + 1*, which is too small whenever the last batch held more than one
/// record. Use [`end_offsets`] for the real end of each partition.
pub fn reported_watermarks(bootstrap: &str, topic: &str) -> BTreeMap<i32, (i64, i64)> {
    let client = metadata_client(bootstrap);
    require_partitions(&client, topic)
        .into_iter()
        .map(|p| {
            let wm = client
                .fetch_watermarks(topic, p, REQUEST_TIMEOUT)
                .unwrap_or_else(|e| panic!("fetch_watermarks({topic}/{p}) failed: {e}"));
            (p, wm)
        })
        .collect()
}

/// End offset (offset of the last record + 1, i.e. the true high watermark)
/// of every partition of `topic`.
///
/// Because tansu under-reports LATEST for multi-record batches (see
/// [`reported_watermarks`]), this reads each partition from the reported
/// high watermark - 1 up to partition EOF and takes the larger of the two.
/// Costs one fetch round trip (~0.1-0.5 s).
pub fn end_offsets(bootstrap: &str, topic: &str) -> BTreeMap<i32, i64> {
    let reported = reported_watermarks(bootstrap, topic);
    let mut ends: BTreeMap<i32, i64> = reported.iter().map(|(p, (_, hi))| (*p, *hi)).collect();

    let consumer: BaseConsumer = base_config(bootstrap)
        .set("group.id", unique_name("test-end-offsets"))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true")
        .set("fetch.wait.max.ms", "50")
        .create()
        .expect("create end-offsets client");
    let mut tpl = TopicPartitionList::new();
    let mut pending = std::collections::BTreeSet::new();
    for (p, (low, high)) in &reported {
        if high > low {
            tpl.add_partition_offset(topic, *p, Offset::Offset((*high - 1).max(*low)))
                .expect("add partition");
            pending.insert(*p);
        }
    }
    if pending.is_empty() {
        return ends;
    }
    consumer.assign(&tpl).expect("assign partitions");

    let deadline = Instant::now() + Duration::from_secs(15);
    while !pending.is_empty() {
        let now = Instant::now();
        assert!(
            now < deadline,
            "end_offsets({topic}): no EOF for partitions {pending:?} within 15 s"
        );
        match consumer.poll((deadline - now).min(Duration::from_millis(100))) {
            None => {}
            Some(Ok(m)) => {
                let end = ends.entry(m.partition()).or_default();
                *end = (*end).max(m.offset() + 1);
            }
            Some(Err(KafkaError::PartitionEOF(p))) => {
                pending.remove(&p);
            }
            Some(Err(e)) => eprintln!("end_offsets({topic}): transient error: {e}"),
        }
    }
    ends
}

/// Committed offset of `group` for every partition of `topic`; `-1` where the
/// group has no committed offset. Does not join the group.
pub fn committed_offsets(bootstrap: &str, group: &str, topic: &str) -> BTreeMap<i32, i64> {
    let consumer: BaseConsumer = base_config(bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("allow.auto.create.topics", "false")
        .create()
        .expect("create offsets client");
    let mut tpl = TopicPartitionList::new();
    for p in require_partitions(&consumer, topic) {
        tpl.add_partition(topic, p);
    }

    // The group coordinator may still be coming up; retry a few times.
    let mut result = None;
    let mut last_err = None;
    wait_until(
        Duration::from_secs(20),
        Duration::from_millis(200),
        || match consumer.committed_offsets(tpl.clone(), REQUEST_TIMEOUT) {
            Ok(r) => {
                result = Some(r);
                true
            }
            Err(e) => {
                last_err = Some(e);
                false
            }
        },
    );
    let tpl = result.unwrap_or_else(|| {
        panic!("committed_offsets({group}, {topic}) kept failing: {last_err:?}")
    });
    tpl.elements_for_topic(topic)
        .iter()
        .map(|e| {
            let off = match e.offset() {
                Offset::Offset(o) => o,
                _ => -1,
            };
            (e.partition(), off)
        })
        .collect()
}

/// A minimal HTTP/1.0 GET: (status, body), or `None` when nothing answers.
pub fn get(addr: std::net::SocketAddr, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let status = raw.split_whitespace().nth(1)?.parse().ok()?;
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

/// The sum of a metric's series in a Prometheus text exposition.
pub fn metric_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .filter(|l| l[name.len()..].starts_with(['{', ' ']))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}
