//! How long a starting worker takes to restore its dedup window from the index topic, the time
//! between start and ready.
//!
//! `cargo bench --bench dedup_restore` — knobs: `BENCH_ENTRIES` (default 2,000,000: the default
//! window), `BENCH_PARTITIONS` (6, as in `deploy/docker-compose.yml`). Under `cargo test` (no
//! `--bench` argument) it runs 20,000 entries.
//!
//! It prints, from one run:
//! 1. the CPU ceiling: the same records decoded, and decoded and remembered, in memory;
//! 2. the restore through tansu: the records produced to a fresh index topic, then a worker's
//!    own index consumer and restore, timed from creating the consumer to the window holding
//!    every entry (what a worker does between start and ready).
//!
//! The entries are synthetic (`common::synthetic_index`), shaped like the worker's.

mod common;
#[path = "common/kafka.rs"]
mod kafka;
#[path = "../tests/support/mod.rs"]
mod support;

use common::env_usize;
use common::synthetic_index::entry;

use std::time::{Duration, Instant};

use news_enricher::kafka::dedup_index;
use news_enricher_core::dedup::entry::IndexEntry;
use news_enricher_core::dedup::index::{DedupIndex, IndexConfig};
use news_enricher_core::dedup::SharedIndex;
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};
use support::Tansu;

const START_TIME: i64 = 1_700_000_000;

fn window(n: usize) -> IndexConfig {
    IndexConfig {
        max_entries: n.max(IndexConfig::default().max_entries),
        // Nothing expires: every entry is remembered whatever the clock.
        horizon_secs: 10 * 365 * 86_400,
        ..IndexConfig::default()
    }
}

fn rate(n: usize, secs: f64) -> String {
    format!("{:>10.0} entries/s ({secs:.2} s)", n as f64 / secs)
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n = env_usize("BENCH_ENTRIES", if full { 2_000_000 } else { 20_000 });
    let partitions = env_usize("BENCH_PARTITIONS", 6) as i32;
    let started = Instant::now();
    println!("== dedup window restore: {n} entries, {partitions} partitions ==");

    let records: Vec<(String, Vec<u8>)> = (0..n as u64)
        .map(|k| {
            let e = entry(k, n as u64, START_TIME);
            let bytes = e.encode().expect("encode");
            (e.id, bytes)
        })
        .collect();
    let bytes: usize = records.iter().map(|(k, v)| k.len() + v.len()).sum();
    println!(
        "records: {:.1} MB, {:.0} bytes per record (key and value)",
        bytes as f64 / 1e6,
        bytes as f64 / n as f64
    );

    // 1. CPU ceiling, in memory.
    let t = Instant::now();
    for (_, v) in &records {
        std::hint::black_box(IndexEntry::decode(v).expect("decode"));
    }
    let decode_s = t.elapsed().as_secs_f64();
    let mut index = DedupIndex::new(window(n));
    let t = Instant::now();
    index.reserve(n); // as a restore does
    for (_, v) in &records {
        index.remember(&IndexEntry::decode(v).expect("decode"));
    }
    let remember_s = t.elapsed().as_secs_f64();
    assert_eq!(index.len(), n, "every entry remembered");
    drop(index);
    println!("in memory, decode only:       {}", rate(n, decode_s));
    println!("in memory, decode + remember: {}", rate(n, remember_s));

    // 2. Through the broker.
    let Some(broker) = Tansu::start() else {
        println!("tansu not found (scripts/fetch-tansu): skipping the broker restore");
        return;
    };
    let topic = support::unique_name("bench-index");
    broker.create_topic(&topic, partitions);
    let t = Instant::now();
    let producer: ThreadedProducer<_> = support::base_config(&broker.bootstrap)
        .set("linger.ms", "50")
        .set("batch.size", "1000000")
        .set("queue.buffering.max.messages", "1000000")
        .set("compression.type", "none")
        .create()
        .expect("producer");
    for (key, value) in &records {
        let mut record = BaseRecord::to(&topic).key(key.as_str()).payload(value);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((_, r)) => {
                    record = r;
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
    }
    producer.flush(Duration::from_secs(600)).expect("flush");
    println!("produced in {:.1} s", t.elapsed().as_secs_f64());

    let (cfg, _) = kafka::worker_config(&broker, "bench-restore-input", "restore", |a| {
        a.dedup_index_topic = Some(topic.clone());
        if let Ok(extra) = std::env::var("BENCH_KAFKA") {
            a.kafka_properties
                .extend(extra.split(',').map(str::to_owned));
        }
    });
    let mut secs = Vec::new();
    for round in 0..if full { 3 } else { 1 } {
        let index = SharedIndex::new(window(n));
        let (t, cpu) = (Instant::now(), common::thread_cpu());
        let consumer = dedup_index::index_consumer(&cfg, &topic).expect("index consumer");
        let remembered =
            dedup_index::restore(&consumer, &index, Duration::from_secs(900)).expect("restore");
        let s = t.elapsed().as_secs_f64();
        let busy = (common::thread_cpu() - cpu).as_secs_f64() / s;
        assert_eq!(remembered, n, "round {round}: every entry restored");
        println!(
            "through tansu, round {round}:   {}, restoring thread busy {:.0}%",
            rate(n, s),
            busy * 100.0
        );
        secs.push(s);
    }
    let median = common::median(&mut secs);
    println!(
        "restore median: {} ; start → ready for 2,000,000 entries at this rate: {:.1} s; 10,000,000: {:.1} s (target 2,000,000 in ≤ 5 s)",
        rate(n, median),
        2e6 * median / n as f64,
        1e7 * median / n as f64
    );
    println!(
        "dedup_restore: done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
