//! The container image as it ships, run by podman against a tansu broker on 127.0.0.1:
//! read-only root, uid 65532, host network. `scripts/test-image` builds the image from
//! `deploy/Dockerfile` and runs this with `NEWS_ENRICHER_IMAGE` set; without it (a plain
//! `cargo test`, where no image was built) the test says so and passes.

mod scenario;
mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use scenario::{log_tail, wait_exit, wait_for_commits, Topics, FAST_GROUP};

const PODMAN: &[&str] = &["--runtime", "runc", "--cgroup-manager=cgroupfs"];

/// The HTTP status of `GET path` on 127.0.0.1:`port`, if it answers.
fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).ok()?;
    answer.split_whitespace().nth(1)?.parse().ok()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn podman(args: &[&str]) -> std::process::Output {
    Command::new("podman")
        .args(PODMAN)
        .args(args)
        .output()
        .expect("podman runs")
}

struct Container {
    name: String,
    child: Child,
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = podman(&["rm", "-f", &self.name]);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_image_runs_read_only_as_non_root_and_stops_cleanly() {
    let Ok(image) = std::env::var("NEWS_ENRICHER_IMAGE") else {
        eprintln!("NEWS_ENRICHER_IMAGE not set: no image to test (scripts/test-image builds one)");
        return;
    };
    let t = Topics::new("image");
    let broker = support::Tansu::start().expect("tansu (scripts/fetch-tansu)");
    broker.create_topic(&t.input, 2);
    broker.create_topic(&t.output, 1);
    broker.create_topic(&t.dlq, 1);
    let b = scenario::batch(0, 30, 10, 0);
    support::produce(&broker.bootstrap, &t.input, &b.records);
    let ends = support::end_offsets(&broker.bootstrap, &t.input);

    let port = free_port();
    let name = support::unique_name("news-enricher-image");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("container.log");
    let log_file = std::fs::File::create(&log).unwrap();
    let http = format!("127.0.0.1:{port}");
    // Span export from inside the container too: the HTTP client in the distroless image.
    let receiver = support::otlp::OtlpReceiver::start();
    let mut args: Vec<String> = [
        "run",
        "--rm",
        "--name",
        &name,
        "--read-only",
        "--user",
        "65532:65532",
        "--network",
        "host",
        "--ulimit",
        "nofile=1024:1024",
        "--ulimit",
        "nproc=1024:1024",
        &image,
        "run",
        "--brokers",
        &broker.bootstrap,
        "--input-topic",
        &t.input,
        "--output-topic",
        &t.output,
        "--dlq-topic",
        &t.dlq,
        "--group-id",
        &t.group,
        "--http-addr",
        &http,
        "--commit-interval-ms",
        "500",
        "--otlp-endpoint",
        &receiver.endpoint,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for p in FAST_GROUP {
        args.push("--kafka-property".into());
        args.push((*p).into());
    }
    let child = Command::new("podman")
        .args(PODMAN)
        .args(&args)
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .expect("podman run");
    let mut container = Container {
        name: name.clone(),
        child,
    };

    let ready = support::wait_until(Duration::from_secs(60), Duration::from_millis(250), || {
        http_status(port, "/readyz") == Some(200)
    });
    assert!(
        ready,
        "/readyz never answered 200; log:\n{}",
        log_tail(&log)
    );
    // Asked from outside, as the image has no shell to ask with (distroless has none): the
    // worker process's uids, read from /proc on the host (rootful podman maps them 1:1).
    let pid = podman(&["inspect", "--format", "{{.State.Pid}}", &name]);
    let pid = String::from_utf8_lossy(&pid.stdout).trim().to_owned();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let uids: Vec<&str> = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .map(|u| u.split_whitespace().collect())
        .unwrap_or_default();
    assert!(
        uids.len() == 4 && uids.iter().all(|&u| u == "65532"),
        "runs as uid 65532 (pid {pid}): {uids:?}"
    );
    let read_only = podman(&[
        "inspect",
        "--format",
        "{{.HostConfig.ReadonlyRootfs}}",
        &name,
    ]);
    assert_eq!(
        String::from_utf8_lossy(&read_only.stdout).trim(),
        "true",
        "read-only root filesystem"
    );

    let reached = wait_for_commits(&broker.bootstrap, &t, &ends, Duration::from_secs(120));
    assert!(reached, "no commit to the end; log:\n{}", log_tail(&log));
    let out = support::consume_all(
        &broker.bootstrap,
        &t.output,
        b.valid_ids.len(),
        Duration::from_secs(60),
    );
    assert_eq!(out.len(), b.valid_ids.len(), "enriched records");
    let dead = support::consume_all(
        &broker.bootstrap,
        &t.dlq,
        b.malformed_keys.len(),
        Duration::from_secs(60),
    );
    assert_eq!(dead.len(), b.malformed_keys.len(), "dead-letter records");

    // `podman stop` sends SIGTERM; the worker drains, commits and exits 0 within its 10 s
    // shutdown deadline (podman would SIGKILL after 20 s).
    let stopping = Instant::now();
    let stop = podman(&["stop", "-t", "20", &name]);
    assert!(stop.status.success(), "podman stop: {stop:?}");
    let exit = wait_exit(&mut container.child, Duration::from_secs(30));
    let took = stopping.elapsed();
    assert!(
        exit.is_some_and(|s| s.success()),
        "exit after SIGTERM: {exit:?}; log:\n{}",
        log_tail(&log)
    );
    assert!(took < Duration::from_secs(12), "stopped in {took:?}");
    // Flushed at the latest when it stopped: one consumer span per input message.
    let spans = receiver.wait_for(Duration::from_secs(5), |s| {
        s.iter().filter(|s| s.span.kind == 5).count() >= 30
    });
    let processed = spans.iter().filter(|s| s.span.kind == 5).count();
    assert!(
        processed >= 30,
        "{processed} message spans of 30 exported; log:\n{}",
        log_tail(&log)
    );
    eprintln!(
        "image: ready, {} enriched and {} dead-lettered, {} spans exported ({processed} messages), stopped by SIGTERM with exit 0 in {:.1} s",
        out.len(),
        dead.len(),
        spans.len(),
        took.as_secs_f64()
    );
}
