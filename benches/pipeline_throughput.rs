//! Baseline throughput: BBC articles through a real broker (tansu), passthrough vs the full
//! pipeline, in one run, with the ratio between them. Also the in-process rate of the pipeline
//! alone (no Kafka) as a reference for the stages to come.
//!
//! `cargo bench --bench pipeline_throughput` — environment knobs:
//! `BENCH_ARTICLES` (default 4450, i.e. the 2,225 BBC articles twice), `BENCH_ROUNDS` (3).
//! Under `cargo test` (no `--bench` argument) it runs one small round as a smoke test.
//!
//! Method: the articles are produced to the input topic first; then a worker starts with a fresh
//! group and output topic. The clock starts when the first output record appears (so the group
//! join is not counted) and stops when the group's committed offsets reach the end of the input.
//! Modes alternate so machine noise hits both alike; medians are reported.

mod common;
#[path = "common/kafka.rs"]
mod kafka;
#[path = "../tests/support/mod.rs"]
mod support;

use common::{bbc_texts, env_usize, median};
use kafka::{start, worker_config};

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::Utc;
use news_enricher::config::DEFAULT_MAX_OUTPUT_BYTES;
use news_enricher_core::article::Limits;
use news_enricher_core::enrich::Enricher;
use news_enricher_core::message::RawMessage;
use news_enricher_core::pipeline::{Pipeline, StageKind, StageSettings};
use news_enricher_core::stage::Reading;
use support::{Tansu, TestRecord};

/// Articles per second through one worker, measured as described in the module docs.
fn kafka_rate(
    broker: &Tansu,
    input: &str,
    ends: &BTreeMap<i32, i64>,
    stages: &[StageKind],
    tag: &str,
) -> f64 {
    let n: i64 = ends.values().sum();
    let (cfg, output) = worker_config(broker, input, tag, |a| {
        a.stages = Some(stages.to_vec());
        a.commit_interval_ms = Some(50);
    });
    let group = cfg.group_id.clone();
    let worker = start(cfg);
    let took = common::time_to_commit(&broker.bootstrap, input, &output, &group, ends);
    let summary = worker.stop();
    assert_eq!(summary.consumed as i64, n, "every article consumed once");
    n as f64 / took.as_secs_f64()
}

/// Articles per second through the pipeline alone, one thread, no Kafka.
fn in_process_rate(messages: &[TestRecord], stages: &[StageKind]) -> f64 {
    let enricher = Enricher::new(
        Pipeline::from_kinds(stages, &StageSettings::default()),
        Limits::default(),
        DEFAULT_MAX_OUTPUT_BYTES,
    );
    let raw: Vec<RawMessage> = messages
        .iter()
        .enumerate()
        .map(|(i, r)| RawMessage {
            topic: Some("bench".into()),
            partition: Some(0),
            offset: Some(i as i64),
            payload: Some(r.payload.clone()),
            ..RawMessage::default()
        })
        .collect();
    let mut reading = Reading::default(); // kept across articles, as a processing thread does
    let t = Instant::now();
    for m in &raw {
        std::hint::black_box(enricher.enrich_with(m, Utc::now(), &mut reading, &mut |_, _| {}));
    }
    raw.len() as f64 / t.elapsed().as_secs_f64()
}

fn main() {
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let Some(texts) = bbc_texts() else {
        eprintln!("pipeline_throughput: BBC data not found (../shared/data/bbc-news); skipping");
        return;
    };
    let (n, rounds) = if bench_mode {
        (
            env_usize("BENCH_ARTICLES", texts.len() * 2),
            env_usize("BENCH_ROUNDS", 3),
        )
    } else {
        (200, 1)
    };
    let messages: Vec<TestRecord> = (0..n)
        .map(|i| {
            let body = &texts[i % texts.len()];
            let value =
                serde_json::json!({"id": format!("bbc-{i}"), "source": "bbc", "body": body});
            TestRecord::keyed(format!("bbc-{i}"), value.to_string())
        })
        .collect();
    let bytes: usize = messages.iter().map(|m| m.payload.len()).sum();

    let full = StageKind::DEFAULT;
    let mut inproc_pass = Vec::new();
    let mut inproc_full = Vec::new();
    for _ in 0..rounds.max(3) {
        inproc_pass.push(in_process_rate(&messages, &[]));
        inproc_full.push(in_process_rate(&messages, full));
    }
    println!(
        "in-process (1 thread, no Kafka), {n} articles: decode+encode {:.0}/s, full pipeline {:.0}/s",
        median(&mut inproc_pass),
        median(&mut inproc_full)
    );

    let Some(broker) = Tansu::start() else {
        eprintln!("pipeline_throughput: tansu not installed (scripts/fetch-tansu); skipping the Kafka part");
        return;
    };
    let input = support::unique_name("bench-in");
    broker.create_topic(&input, 3);
    support::produce(&broker.bootstrap, &input, &messages);
    let ends = support::end_offsets(&broker.bootstrap, &input);
    assert_eq!(ends.values().sum::<i64>(), n as i64);

    let mut pass = Vec::new();
    let mut pipe = Vec::new();
    for round in 0..rounds {
        pass.push(kafka_rate(
            &broker,
            &input,
            &ends,
            &[],
            &format!("pass{round}"),
        ));
        pipe.push(kafka_rate(
            &broker,
            &input,
            &ends,
            full,
            &format!("full{round}"),
        ));
        println!(
            "round {round}: passthrough {:.0} articles/s, pipeline {:.0} articles/s",
            pass[round], pipe[round]
        );
    }
    let (p, q) = (median(&mut pass), median(&mut pipe));
    println!(
        "tansu, {n} articles ({:.1} MB), {rounds} rounds, medians: passthrough {p:.0} articles/s, pipeline {q:.0} articles/s, pipeline/passthrough = {:.2}",
        bytes as f64 / 1e6,
        q / p
    );
}
