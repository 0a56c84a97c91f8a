//! Articles per CPU-second, in process (no Kafka): what a core buys. For the whole pipeline, for
//! each stage (its CPU time above the decode+encode floor, measured in the same run), and the
//! speed-up of two processing threads over one on the same articles.
//!
//! `cargo bench --bench per_core` — knobs: `BENCH_ARTICLES` (default 4450: BBC twice, so half
//! the second pass are exact duplicates as in production replays), `BENCH_ROUNDS` (5).
//! Under `cargo test` (no `--bench` argument) it runs one small round as a smoke test.
//!
//! CPU time is the measuring thread's own (`/proc/thread-self/schedstat`, nanoseconds), so
//! other load on this shared machine inflates it less than wall time; configurations alternate
//! within each round and medians are reported. The scaling figure is wall time, since it is
//! about using both cores: one thread on all articles against two threads sharing one
//! enricher (as the worker's processing threads do), each on half.
//!
//! Targets (issue 14): whole pipeline ≥ 5,000 articles per CPU-second; as a guide, entities
//! ≥ 10,000/s, claims + stance ≥ 20,000/s, dedup ≥ 30,000/s; two threads ≥ 1.8× one.

mod common;
use common::thread_cpu;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{bbc_texts, env_usize, median};
use news_enricher::config::DEFAULT_MAX_OUTPUT_BYTES;
use news_enricher_core::article::Limits;
use news_enricher_core::enrich::Enricher;
use news_enricher_core::message::RawMessage;
use news_enricher_core::pipeline::{Pipeline, StageKind, StageSettings};
use news_enricher_core::stage::Reading;

fn enricher(stages: &[StageKind]) -> Enricher {
    Enricher::new(
        Pipeline::from_kinds(stages, &StageSettings::default()),
        Limits::default(),
        DEFAULT_MAX_OUTPUT_BYTES,
    )
}

/// CPU time to enrich every message once, on this thread, with a fresh enricher and one
/// [`Reading`] kept from article to article, as a processing thread does.
fn cpu_time(messages: &[RawMessage], stages: &[StageKind]) -> Duration {
    let e = enricher(stages);
    let mut reading = Reading::default();
    let t = thread_cpu();
    for m in messages {
        std::hint::black_box(e.enrich_with(m, Utc::now(), &mut reading, &mut |_, _| {}));
    }
    thread_cpu() - t
}

/// Wall time to enrich every message with `threads` threads sharing one enricher, each taking
/// every `threads`-th message.
fn wall_time(messages: &Arc<Vec<RawMessage>>, stages: &[StageKind], threads: usize) -> Duration {
    let e = Arc::new(enricher(stages));
    let t = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|k| {
            let (e, messages) = (e.clone(), messages.clone());
            std::thread::spawn(move || {
                let mut reading = Reading::default();
                for m in messages.iter().skip(k).step_by(threads) {
                    std::hint::black_box(e.enrich_with(
                        m,
                        Utc::now(),
                        &mut reading,
                        &mut |_, _| {},
                    ));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    t.elapsed()
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let Some(texts) = bbc_texts() else {
        eprintln!("per_core: BBC data not found (../shared/data/bbc-news); skipped");
        return;
    };
    let n = env_usize(
        "BENCH_ARTICLES",
        if benching { 2 * texts.len() } else { 100 },
    );
    let rounds = env_usize("BENCH_ROUNDS", if benching { 5 } else { 1 });
    let messages: Arc<Vec<RawMessage>> = Arc::new(
        (0..n)
            .map(|i| {
                let value = serde_json::json!({
                    "id": format!("bbc-{i}"), "source": "bbc", "body": texts[i % texts.len()]
                });
                RawMessage {
                    topic: Some("bench".into()),
                    partition: Some(0),
                    offset: Some(i as i64),
                    payload: Some(value.to_string().into_bytes()),
                    ..RawMessage::default()
                }
            })
            .collect(),
    );
    use StageKind::*;
    let configs: [(&str, &[StageKind]); 5] = [
        ("decode+encode", &[]),
        ("dedup", &[Dedup]),
        ("entities", &[Entities]),
        ("entities+claims+stance", &[Entities, Claims, Stance]),
        ("whole pipeline", StageKind::DEFAULT),
    ];
    // Warm-up: page in the models and lexicons.
    cpu_time(&messages[..n.min(50)], StageKind::DEFAULT);

    let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); configs.len()];
    let (mut one, mut two) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        for (k, (_, stages)) in configs.iter().enumerate() {
            cpu[k].push(cpu_time(&messages, stages).as_secs_f64());
        }
        one.push(wall_time(&messages, StageKind::DEFAULT, 1).as_secs_f64());
        two.push(wall_time(&messages, StageKind::DEFAULT, 2).as_secs_f64());
    }
    let cpu: Vec<f64> = cpu.iter_mut().map(|v| median(v)).collect();
    let rate = |seconds: f64| n as f64 / seconds;
    println!("per_core: {n} BBC articles, {rounds} rounds, medians of thread CPU time");
    for ((name, _), &s) in configs.iter().zip(&cpu) {
        println!("  {name:<24} {:>8.0} articles per CPU-second", rate(s));
    }
    let floor = cpu[0];
    let stage = |s: f64| rate((s - floor).max(1e-9));
    println!(
        "  stage cost above the floor: dedup {:.0}/s, entities {:.0}/s, claims+stance {:.0}/s",
        stage(cpu[1]),
        stage(cpu[2]),
        rate((cpu[3] - cpu[2]).max(1e-9)),
    );
    let (w1, w2) = (median(&mut one), median(&mut two));
    println!(
        "  scaling (wall): 1 thread {:.0} articles/s, 2 threads {:.0} articles/s, 2 threads / 1 = {:.2}",
        rate(w1),
        rate(w2),
        w1 / w2
    );
}
