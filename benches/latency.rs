//! Arrival → publish latency with the shipped defaults, on a real broker (tansu): articles are
//! produced at fixed rates with their input timestamp, and a `read_committed` reader stamps the
//! moment each enriched record arrives. Prints p50/p99/max per rate.
//!
//! `cargo bench --bench latency` — knobs: `BENCH_RATES` (default `200,1000,2000` articles/s;
//! 2,000/s is about what the full pipeline sustains on this 2-core machine, so it stands for
//! the maximum), `BENCH_SECONDS` (20 s of paced input per rate), `BENCH_GUARANTEE`
//! (`at-least-once`, the default, or `exactly-once`). Under `cargo test` (no `--bench`
//! argument) it runs one short, slow rate as a smoke test.
//!
//! Everything is the shipped default (full pipeline, consumer `fetch.wait.max.ms`, producer
//! `linger.ms`, exactly-once batches) except the group session timeouts, shortened so each
//! rate's worker joins quickly; they do not change steady-state latency.

mod common;
#[path = "common/kafka.rs"]
mod kafka;
#[path = "../tests/support/mod.rs"]
mod support;

use common::{bbc_texts, env_usize};
use kafka::{latency, pct, worker_config};
use news_enricher::config::Guarantee;
use support::Tansu;

fn main() {
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let Some(texts) = bbc_texts() else {
        eprintln!("latency: BBC data not found (../shared/data/bbc-news); skipping");
        return;
    };
    let Some(broker) = Tansu::start() else {
        eprintln!("latency: tansu not installed (scripts/fetch-tansu); skipping");
        return;
    };
    let guarantee = match std::env::var("BENCH_GUARANTEE").as_deref() {
        Ok("exactly-once") => Guarantee::ExactlyOnce,
        _ => Guarantee::AtLeastOnce,
    };
    let (rates, seconds): (Vec<usize>, usize) = if bench_mode {
        (
            std::env::var("BENCH_RATES")
                .unwrap_or_else(|_| "200,1000,2000".into())
                .split(',')
                .filter_map(|r| r.trim().parse().ok())
                .collect(),
            env_usize("BENCH_SECONDS", 20),
        )
    } else {
        (vec![50], 2)
    };
    for rate in rates {
        let tag = format!("{}-{rate}", guarantee.as_str());
        let (lat, missing) = latency(
            &broker,
            &texts,
            |input| worker_config(&broker, input, &tag, |a| a.guarantee = Some(guarantee)),
            rate,
            seconds,
            &tag,
        );
        println!(
            "latency, {}, shipped defaults, {rate} articles/s for {seconds} s ({} outputs, {missing} not seen): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            guarantee.as_str(),
            lat.len(),
            pct(&lat, 0.50),
            pct(&lat, 0.99),
            lat.last().copied().unwrap_or(f64::NAN)
        );
    }
}
