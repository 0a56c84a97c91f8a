//! Arrival → publish latency with the shipped defaults, on a real broker (tansu): articles are
//! produced at fixed rates with their input timestamp, and a `read_committed` reader stamps the
//! moment each enriched record arrives. Prints p50/p99/max per rate.
//!
//! `cargo bench --bench latency` — knobs: `BENCH_RATES` (default `200,1000,2000` articles/s;
//! 2,000/s is about what the full pipeline sustains on this 2-core machine, so it stands for
//! the maximum), `BENCH_SECONDS` (20 s of paced input per rate), `BENCH_GUARANTEE`
//! (`at-least-once`, the default, or `exactly-once`), `BENCH_STAGES` (`none` for passthrough:
//! the broker and the clients alone), `BENCH_INPUT_LINGER_MS` (the load generator's
//! `linger.ms`, 5 by default as in librdkafka; each article's clock starts when it is handed to
//! the producer, so the linger counts against the worker). Under `cargo test` (no `--bench`
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
use news_enricher_core::pipeline::StageKind;
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
    // `BENCH_STAGES=none` measures the broker and clients alone (passthrough).
    let stages: Option<Vec<StageKind>> = std::env::var("BENCH_STAGES").ok().map(|v| {
        v.split(',')
            .filter(|s| !s.is_empty() && *s != "none")
            .map(|s| s.parse::<StageKind>().expect("BENCH_STAGES: stage names"))
            .collect()
    });
    for rate in rates {
        let tag = format!("{}-{rate}", guarantee.as_str());
        let (wall, broker_cpu, own_cpu) = (
            std::time::Instant::now(),
            cpu_seconds(broker.pid()),
            cpu_seconds(std::process::id()),
        );
        let (lat, missing) = latency(
            &broker,
            &texts,
            |input| {
                worker_config(&broker, input, &tag, |a| {
                    a.guarantee = Some(guarantee);
                    a.stages = stages.clone();
                })
            },
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
        let secs = wall.elapsed().as_secs_f64();
        println!(
            "  CPU meanwhile (cores, of 2): tansu {:.2}, worker + load generator + reader {:.2}",
            (cpu_seconds(broker.pid()) - broker_cpu) / secs,
            (cpu_seconds(std::process::id()) - own_cpu) / secs
        );
    }
}

/// User + system CPU seconds process `pid` has used (`/proc/PID/stat`, clock ticks of 10 ms).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}
