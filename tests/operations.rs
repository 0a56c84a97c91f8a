//! Operations: the HTTP endpoint (`/metrics`, `/healthz`, `/readyz`) of a running worker,
//! `promtool check metrics` on its live output, a real Prometheus server scraping it, and the
//! start-up log keeping secrets out.
//!
//! `promtool` and `prometheus` come from Debian's `prometheus` package (`.ci/run` installs it);
//! on a developer machine without them those checks are skipped with a note, on CI they fail.

mod scenario;
mod support;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::mocking::MockCluster;
use scenario::{batch, wait_for_commits, worker_config, RunningWorker, Topics};
use support::{free_port, get, metric_sum};

/// Polls `f` every 200 ms until it returns `Some`, for at most `limit`.
fn eventually<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A tool from the `prometheus` package, or `None` (skip) off CI.
fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is missing on CI (.ci/run installs the prometheus package)"
        );
        eprintln!("skipping: {name} not installed");
    }
    found
}

#[test]
fn endpoint_reports_health_readiness_and_metrics_that_promtool_accepts() {
    let t = Topics::new("ops");
    let cluster = MockCluster::new(1).expect("mock cluster");
    cluster.create_topic(&t.input, 2, 1).unwrap();
    cluster.create_topic(&t.output, 2, 1).unwrap();
    cluster.create_topic(&t.dlq, 1, 1).unwrap();
    let bootstrap = cluster.bootstrap_servers();
    let b = batch(0, 40, 10, 0);
    support::produce(&bootstrap, &t.input, &b.records);
    let ends = support::end_offsets(&bootstrap, &t.input);
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let worker = RunningWorker::start(worker_config(&bootstrap, &t, |a| {
        a.http_addr = Some(addr.to_string());
    }));
    assert!(
        wait_for_commits(&bootstrap, &t, &ends, Duration::from_secs(60)),
        "commits did not reach the end"
    );

    assert_eq!(get(addr, "/healthz").map(|r| r.0), Some(200));
    assert_eq!(get(addr, "/readyz").map(|r| r.0), Some(200));
    let (status, text) = get(addr, "/metrics").expect("metrics answer");
    assert_eq!(status, 200);
    assert_eq!(
        metric_sum(&text, "news_enricher_messages_consumed_total"),
        40.0,
        "{text}"
    );
    let dead = b.malformed_keys.len() as f64;
    assert_eq!(
        metric_sum(&text, "news_enricher_messages_dead_lettered_total"),
        dead
    );
    // Deliveries are counted when acknowledged; all are, since commits reached the end.
    assert_eq!(
        metric_sum(&text, "news_enricher_messages_produced_total"),
        40.0
    );
    for stage in ["dedup", "entities", "claims", "stance"] {
        assert!(
            text.contains(&format!(
                "news_enricher_stage_duration_seconds_count{{stage=\"{stage}\"}}"
            )),
            "{stage} timings in\n{text}"
        );
    }
    for name in [
        "news_enricher_end_to_end_latency_seconds_count",
        "news_enricher_in_flight_messages",
        "news_enricher_commits_total{result=\"success\"}",
        "news_enricher_dedup_verdicts_total{status=\"unique\"}",
        "news_enricher_rebalances_total{kind=\"assign\"} 1",
        "news_enricher_ready 1",
        "news_enricher_build_info{version=",
    ] {
        assert!(text.contains(name), "{name} in\n{text}");
    }
    assert!(
        metric_sum(&text, "news_enricher_commits_total") >= 1.0,
        "{text}"
    );

    if let Some(promtool) = tool("promtool") {
        let mut child = Command::new(promtool)
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "promtool check metrics: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    worker.stop().expect("graceful stop");
    assert!(
        get(addr, "/readyz").is_none_or(|r| r.0 != 200),
        "a stopped worker is not ready"
    );
}

#[test]
fn a_real_prometheus_scrapes_the_consumed_count() {
    let Some(prometheus) = tool("prometheus") else {
        return;
    };
    let t = Topics::new("prom");
    let Some(broker) = scenario::broker_with(&t, 2) else {
        return;
    };
    let b = batch(0, 30, 0, 0);
    support::produce(&broker.bootstrap, &t.input, &b.records);
    let ends = support::end_offsets(&broker.bootstrap, &t.input);
    let worker_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let worker = RunningWorker::start(worker_config(&broker.bootstrap, &t, |a| {
        a.http_addr = Some(worker_addr.to_string());
    }));

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: news-enricher\n    static_configs:\n      - targets: ['{worker_addr}']\n"
        ),
    )
    .unwrap();
    let prom_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut server = Command::new(prometheus)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address={prom_addr}"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("prometheus.log")).unwrap())
        .spawn()
        .expect("start prometheus");

    let committed = wait_for_commits(&broker.bootstrap, &t, &ends, Duration::from_secs(120));
    let query = "/api/v1/query?query=sum(news_enricher_messages_consumed_total)";
    let seen = eventually(Duration::from_secs(60), || {
        let (status, body) = get(prom_addr, query)?;
        let v: serde_json::Value = serde_json::from_str(&body).ok()?;
        let value = v["data"]["result"][0]["value"][1]
            .as_str()?
            .parse::<f64>()
            .ok()?;
        (status == 200 && value == 30.0).then_some(value)
    });
    let _ = server.kill();
    let _ = server.wait();
    worker.stop().expect("graceful stop");
    assert!(committed, "commits did not reach {ends:?}");
    assert_eq!(
        seen,
        Some(30.0),
        "Prometheus never saw 30 consumed messages; its log:\n{}",
        std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default()
    );
}

#[test]
fn start_up_log_redacts_secrets() {
    let out = run_command("127.0.0.1:9")
        .args(["--http-addr", "off"])
        .env(
            "NEWS_ENRICHER_KAFKA_PROPERTY",
            // `;`-separated, plus one entry mistakenly joined with `,`.
            "sasl.username=alice;sasl.password=hunter2-secret;\
             ssl.key.password=keypass-secret;client.rack=r1,sasl.password=typo-secret",
        )
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "no broker there: {log}");
    assert!(log.contains("kafka configuration"), "{log}");
    assert!(log.contains("sasl.username=alice"), "{log}");
    assert!(log.contains("sasl.password=***"), "{log}");
    for secret in ["hunter2-secret", "keypass-secret", "typo-secret"] {
        assert!(!log.contains(secret), "{secret} leaked:\n{log}");
    }
}

/// Kubernetes sends SIGTERM to pods that are still starting (a rollout, a node drain). A worker
/// stuck reaching its brokers must stop at once and cleanly, not die of the signal or wait out
/// its start-up timeouts.
#[test]
fn a_sigterm_while_starting_stops_cleanly_and_at_once() {
    // Accepts connections (the kernel completes the handshake) and never answers: the
    // worker's first metadata request waits.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let brokers = silent.local_addr().unwrap().to_string();
    let http: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("worker.log");
    let mut child = run_command(&brokers)
        .args(["--guarantee", "exactly-once"])
        .args(["--http-addr", &http.to_string()])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let live = eventually(Duration::from_secs(30), || {
        get(http, "/healthz").filter(|(status, _)| *status == 200)
    });
    let ready = get(http, "/readyz").map(|r| r.0);
    let signalled = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if signalled.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        live.is_some(),
        "the worker never answered /healthz:\n{text}"
    );
    assert!(killed.success());
    assert_eq!(ready, Some(503), "still starting: not ready");
    assert!(
        status.is_some_and(|s| s.success()),
        "exit {status:?} {:?} after SIGTERM; log:\n{text}",
        signalled.elapsed()
    );
    assert!(text.contains("shutdown requested while starting"), "{text}");
    drop(silent);
}

/// `news-enricher run` against `brokers` with topics `in`, `out`, `dlq` and group `g`.
fn run_command(brokers: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_news-enricher"));
    cmd.args(["--log-format", "json", "run", "--brokers", brokers])
        .args(["--input-topic", "in", "--output-topic", "out"])
        .args(["--dlq-topic", "dlq", "--group-id", "g"]);
    cmd
}

/// Per-partition values of a gauge in a `/metrics` text.
fn series(text: &str, name: &str) -> std::collections::BTreeMap<String, i64> {
    text.lines()
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with('{'))
        .filter_map(|l| {
            let (labels, value) = l[name.len()..].rsplit_once(' ')?;
            let p = labels.split("partition=\"").nth(1)?.split('"').next()?;
            Some((p.to_owned(), value.parse::<f64>().ok()? as i64))
        })
        .collect()
}

#[test]
fn consumer_lag_follows_the_backlog_and_reaches_zero_with_the_commits() {
    let t = Topics::new("ops-lag");
    let Some(broker) = scenario::broker_with(&t, 2) else {
        return;
    };
    let b = batch(0, 3000, 0, 0);
    support::produce(&broker.bootstrap, &t.input, &b.records);
    let ends = support::end_offsets(&broker.bootstrap, &t.input);
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let worker = RunningWorker::start(worker_config(&broker.bootstrap, &t, |a| {
        a.http_addr = Some(addr.to_string());
        a.processing_threads = Some(1);
    }));
    // Sampled while the backlog drains, each sample beside an independent reader's figure
    // (end offsets minus the group's committed offsets, read just before).
    let mut samples = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    let reached = loop {
        let committed = support::committed_offsets(&broker.bootstrap, &t.group, &t.input);
        if let Some((200, text)) = get(addr, "/metrics") {
            let lag = series(&text, "news_enricher_consumer_lag");
            let true_lag: i64 = ends
                .iter()
                .map(|(p, e)| e - committed.get(p).copied().unwrap_or(0).max(0))
                .sum();
            samples.push((lag, true_lag));
        }
        if ends
            .iter()
            .all(|(p, e)| committed.get(p).copied().unwrap_or(-1) >= *e)
        {
            break true;
        }
        if Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(reached, "commits did not reach {ends:?}");
    for (lag, _) in &samples {
        assert!(
            lag.values().all(|&v| (0..=3000).contains(&v)),
            "{samples:?}"
        );
    }
    // A backlog has a series for every partition (the worker was silent for ~30 s before).
    assert!(
        samples.iter().any(|(lag, true_lag)| *true_lag > 0
            && lag.len() == 2
            && lag.values().sum::<i64>() > 0),
        "no lag series while a backlog waited: {samples:?}"
    );
    // At the end every partition reads 0 within a few intervals (it read 2,103 on a partition
    // already at 0 before).
    let zero = eventually(Duration::from_secs(10), || {
        let (_, text) = get(addr, "/metrics")?;
        let lag = series(&text, "news_enricher_consumer_lag");
        (lag.len() == 2 && lag.values().all(|&v| v == 0)).then_some(())
    });
    let last = get(addr, "/metrics").map(|(_, text)| series(&text, "news_enricher_consumer_lag"));
    worker.stop().expect("graceful stop");
    assert!(zero.is_some(), "lag did not come down to 0: {last:?}");
}
