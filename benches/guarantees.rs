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
#[path = "common/kafka.rs"]
mod kafka;
#[path = "../tests/support/mod.rs"]
mod support;

use common::{bbc_texts, env_usize, median};
use kafka::{latency, pct, start, worker_config};

use std::collections::BTreeMap;

use news_enricher::config::{Guarantee, WorkerConfig};
use support::{Tansu, TestRecord};

fn config(broker: &Tansu, input: &str, guarantee: Guarantee, tag: &str) -> (WorkerConfig, String) {
    worker_config(broker, input, tag, |a| {
        a.commit_interval_ms = Some(100);
        a.guarantee = Some(guarantee);
    })
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
        let (lat, missing) = latency(
            &broker,
            &texts,
            |input| config(&broker, input, g, g.as_str()),
            rate,
            seconds,
            g.as_str(),
        );
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
