//! The long fuzz run: the same generator and invariants as `tests/fuzz_pipeline.rs`, for
//! `FUZZ_EXECS` messages (default 100,000; 20 when `cargo test` runs it), printing how many ran and how fast. A failure is
//! shrunk and printed with the seed to replay it (`FUZZ_SEED`).
//!
//!     FUZZ_EXECS=10000000 cargo bench --bench fuzz_pipeline
//!
//! `FUZZ_STAGES=none` runs the decoder and the record encoder alone (the same messages and
//! invariants, no stages), about a hundred times faster: the way to many millions of
//! executions on the code that sees every raw byte first.

#[path = "../tests/fuzz/mod.rs"]
mod fuzz;

use std::time::Instant;

use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

fn main() {
    // `cargo test --all-targets` runs this too, without `--bench`: a smoke run then (the
    // short fuzz run proper is tests/fuzz_pipeline.rs).
    let benching = std::env::args().any(|a| a == "--bench");
    let execs: u32 = std::env::var("FUZZ_EXECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if benching { 100_000 } else { 20 });
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: execs,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let decoder_only = std::env::var("FUZZ_STAGES").is_ok_and(|v| v == "none");
    let enricher = if decoder_only {
        fuzz::enricher_with(&[])
    } else {
        fuzz::enricher()
    };
    let started = Instant::now();
    let result = runner.run(&fuzz::message(), |bytes| fuzz::check(&enricher, &bytes));
    let secs = started.elapsed().as_secs_f64();
    match result {
        Ok(()) => println!(
            "fuzz_pipeline ({}): {execs} executions in {secs:.1} s ({:.0}/s), seed {seed}, no failure",
            if decoder_only { "decoder and encoder" } else { "whole pipeline" },
            f64::from(execs) / secs
        ),
        Err(e) => {
            eprintln!("fuzz_pipeline: FAILED with seed {seed}: {e}");
            std::process::exit(1);
        }
    }
}
