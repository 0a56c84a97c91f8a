//! What span export (`--otlp-endpoint`) costs per article: the CPU of the whole process (the
//! processing thread building and queueing spans, the SDK's batch thread encoding and sending
//! them) against the same articles enriched without it, in the same run.
//!
//! `cargo bench --bench span_export` — knobs: `BENCH_ARTICLES` (default 4450: BBC twice),
//! `BENCH_ROUNDS` (5). Under `cargo test` it runs one small round as a smoke test.
//!
//! The spans go to a sink on 127.0.0.1 that reads each request and answers 200; its own CPU is
//! measured on its threads and left out, since a collector runs elsewhere. Process CPU is the
//! sum over the process's threads of `/proc/<pid>/task/*/schedstat` (nanoseconds); the rounds
//! alternate the two configurations and medians are reported.

mod common;
use common::{bbc_texts, env_usize, median, thread_cpu};

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::Utc;
use news_enricher::config::DEFAULT_MAX_OUTPUT_BYTES;
use news_enricher::otlp::{Processing, SpanExport, StageTiming};
use news_enricher_core::article::Limits;
use news_enricher_core::enrich::Enricher;
use news_enricher_core::message::RawMessage;
use news_enricher_core::pipeline::{Pipeline, StageKind, StageSettings};
use news_enricher_core::stage::Reading;

/// CPU the whole process has run, nanoseconds, over its live threads.
fn process_cpu() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// An HTTP sink: reads requests (keep-alive), answers an empty 200, adds its threads' CPU to
/// `cpu`.
fn sink(cpu: Arc<AtomicU64>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let cpu = cpu.clone();
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                loop {
                    let before = thread_cpu();
                    let mut length = 0usize;
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line.trim_end().is_empty() {
                            break;
                        }
                        if let Some((k, v)) = line.split_once(':') {
                            if k.eq_ignore_ascii_case("content-length") {
                                length = v.trim().parse().unwrap_or(0);
                            }
                        }
                    }
                    let mut body = vec![0u8; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    let reply = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                    if writer.write_all(reply.as_bytes()).is_err() {
                        return;
                    }
                    cpu.fetch_add((thread_cpu() - before).as_nanos() as u64, Ordering::Relaxed);
                }
            });
        }
    });
    endpoint
}

/// Enriches every message, as a processing thread does, and with `spans` records each one's
/// spans as the worker does (then waits for them to be sent). Returns process CPU, ns.
fn round(messages: &[RawMessage], enricher: &Enricher, spans: Option<&SpanExport>) -> u64 {
    let mut reading = Reading::default();
    let mut timings: Vec<StageTiming> = Vec::new();
    let start = process_cpu();
    for msg in messages {
        let started = SystemTime::now();
        timings.clear();
        let record_timings = spans.is_some();
        let outcome = enricher.enrich_with(msg, Utc::now(), &mut reading, &mut |stage, took| {
            if record_timings {
                timings.push(StageTiming {
                    stage,
                    ended: SystemTime::now(),
                    took,
                });
            }
        });
        if let Some(spans) = spans {
            spans.record(&Processing {
                msg,
                outcome: &outcome,
                started,
                ended: SystemTime::now(),
                stages: &timings,
            });
        }
        std::hint::black_box(outcome);
    }
    if let Some(spans) = spans {
        spans.flush();
    }
    process_cpu() - start
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let Some(texts) = bbc_texts() else {
        eprintln!("span_export: BBC data not found (../shared/data/bbc-news); skipped");
        return;
    };
    let n = env_usize(
        "BENCH_ARTICLES",
        if benching { 2 * texts.len() } else { 60 },
    );
    let rounds = env_usize("BENCH_ROUNDS", if benching { 5 } else { 1 });
    let messages: Vec<RawMessage> = (0..n)
        .map(|i| RawMessage {
            topic: Some("articles.raw".into()),
            partition: Some(0),
            offset: Some(i as i64),
            key: Some(format!("bbc-{i}").into_bytes()),
            payload: Some(
                serde_json::json!({"id": format!("bbc-{i}"), "body": texts[i % texts.len()]})
                    .to_string()
                    .into_bytes(),
            ),
            ..RawMessage::default()
        })
        .collect();
    let sink_cpu = Arc::new(AtomicU64::new(0));
    let endpoint = url::Url::parse(&format!("{}/v1/traces", sink(sink_cpu.clone()))).unwrap();
    let counter = prometheus::IntCounterVec::new(
        prometheus::Opts::new("spans", "spans by result"),
        &["result"],
    )
    .unwrap();
    let spans = SpanExport::start(&endpoint, "bench", counter.clone()).expect("exporter");

    let (mut without, mut with) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        // A fresh enricher each round: the dedup window starts empty, as in the other config.
        let fresh = || {
            Enricher::new(
                Pipeline::from_kinds(StageKind::DEFAULT, &StageSettings::default()),
                Limits::default(),
                DEFAULT_MAX_OUTPUT_BYTES,
            )
        };
        without.push(round(&messages, &fresh(), None) as f64);
        let sink_before = sink_cpu.load(Ordering::Relaxed);
        let cpu = round(&messages, &fresh(), Some(&spans));
        let sink = sink_cpu.load(Ordering::Relaxed) - sink_before;
        with.push(cpu.saturating_sub(sink) as f64);
    }
    spans.shutdown();
    std::thread::sleep(Duration::from_millis(50));
    let (a, b) = (median(&mut without), median(&mut with));
    let per = |ns: f64| ns / n as f64 / 1_000.0;
    let count = |r: &str| counter.with_label_values(&[r]).get();
    println!("span_export: {n} BBC articles, {rounds} rounds, medians of process CPU time");
    println!("  enrich only            {:>8.1} µs per article", per(a));
    println!("  enrich + span export   {:>8.1} µs per article", per(b));
    println!(
        "  ratio {:.3} (export costs {:.1} µs per article, {:.1}%)",
        b / a,
        per(b - a),
        100.0 * (b - a) / a
    );
    println!(
        "  spans queued {}, exported {}, failed {} (dropped = queued - exported - failed = {})",
        count("queued"),
        count("exported"),
        count("failed"),
        count("queued") - count("exported") - count("failed")
    );
    assert_eq!(count("failed"), 0, "the sink accepts every batch");
    assert!(count("exported") > 0, "spans reached the sink");
}
