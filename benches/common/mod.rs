//! Helpers shared by the bench binaries: the BBC corpus, knobs from the environment, medians and
//! a small deterministic PRNG (no extra dependency).

#![allow(dead_code)]

use std::path::PathBuf;

pub mod synthetic_index;

/// The 2,225 BBC article texts (train, val, test in order), or `None` when the data is absent.
/// `NEWS_ENRICHER_BBC_DIR` overrides `../shared/data/bbc-news`.
pub fn bbc_texts() -> Option<Vec<String>> {
    let dir = std::env::var_os("NEWS_ENRICHER_BBC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/bbc-news")
        });
    let mut texts = Vec::new();
    for split in ["train", "val", "test"] {
        let mut reader = csv::Reader::from_path(dir.join(format!("{split}.csv"))).ok()?;
        let headers = reader.headers().ok()?.clone();
        let col = headers.iter().position(|h| h == "text")?;
        for row in reader.records() {
            texts.push(row.ok()?.get(col)?.to_owned());
        }
    }
    Some(texts)
}

/// The texts of one BBC split (`train`, `val` or `test`), or `None` when the data is absent.
pub fn bbc_split(split: &str) -> Option<Vec<String>> {
    let dir = std::env::var_os("NEWS_ENRICHER_BBC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/bbc-news")
        });
    let mut reader = csv::Reader::from_path(dir.join(format!("{split}.csv"))).ok()?;
    let headers = reader.headers().ok()?.clone();
    let col = headers.iter().position(|h| h == "text")?;
    reader
        .records()
        .map(|row| row.ok().and_then(|r| r.get(col).map(str::to_owned)))
        .collect()
}

/// A numeric knob from the environment.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Median (sorts in place).
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// SplitMix64, the library's.
pub use news_enricher_core::random::splitmix64 as splitmix;

/// xorshift64*: deterministic, no dependency.
pub struct Rng(u64);

impl Rng {
    /// Seeded generator.
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Generator from a raw (non-zero) state.
    pub fn from_state(state: u64) -> Self {
        Rng(state | 1)
    }

    /// Next value.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

/// A random MinHash signature, as an unrelated article would have.
pub fn random_signature(rng: &mut Rng) -> news_enricher_core::dedup::minhash::Signature {
    use news_enricher_core::dedup::minhash::{Signature, BANDS, SIGNATURE_WORDS};
    let mut sig = Signature {
        bits: [0; SIGNATURE_WORDS],
        bands: [0; BANDS],
    };
    sig.bits.iter_mut().for_each(|w| *w = rng.next_u64());
    sig.bands
        .iter_mut()
        .for_each(|k| *k = rng.next_u64() as u32);
    sig
}

/// The signature a copy of `base` at Jaccard `j` would have, drawn from the model: each
/// min-hash agrees with probability `j`, so a bit differs with probability (1 − j)/2 and a band
/// of `ROWS` min-hashes survives with probability j^ROWS.
pub fn near_signature(
    base: &news_enricher_core::dedup::minhash::Signature,
    j: f64,
    rng: &mut Rng,
) -> news_enricher_core::dedup::minhash::Signature {
    use news_enricher_core::dedup::minhash::ROWS;
    let mut sig = *base;
    for w in sig.bits.iter_mut() {
        for bit in 0..64 {
            if rng.unit() < (1.0 - j) / 2.0 {
                *w ^= 1 << bit;
            }
        }
    }
    for k in sig.bands.iter_mut() {
        if rng.unit() >= j.powi(ROWS as i32) {
            *k = rng.next_u64() as u32;
        }
    }
    sig
}

/// How long a worker consuming `input` as `group` took, from its first record on `output`
/// (3 partitions; so the group join is not counted) to the group's committed offsets reaching
/// `ends`. Polls every 10 ms with long-lived clients, so watching adds little noise; gives up
/// after 10 minutes.
pub fn time_to_commit(
    bootstrap: &str,
    input: &str,
    output: &str,
    group: &str,
    ends: &std::collections::BTreeMap<i32, i64>,
) -> std::time::Duration {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::{Offset, TopicPartitionList};
    use std::time::{Duration, Instant};

    let watcher: BaseConsumer = rdkafka::config::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for &p in ends.keys() {
        tpl.add_partition(input, p);
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut started = None;
    loop {
        assert!(
            Instant::now() < deadline,
            "bench run did not finish in 10 minutes"
        );
        match started {
            None => {
                let out: i64 = (0..3)
                    .filter_map(|p| {
                        watcher
                            .fetch_watermarks(output, p, Duration::from_secs(5))
                            .ok()
                    })
                    .map(|(_, hi)| hi)
                    .sum();
                if out > 0 {
                    started = Some(Instant::now());
                }
            }
            Some(t0) => {
                if let Ok(c) = watcher.committed_offsets(tpl.clone(), Duration::from_secs(5)) {
                    let done = ends.iter().all(|(&p, &end)| {
                        matches!(c.find_partition(input, p).map(|e| e.offset()), Some(Offset::Offset(o)) if o >= end)
                    });
                    if done {
                        return t0.elapsed();
                    }
                }
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// CPU time this thread has run.
pub fn thread_cpu() -> std::time::Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let ns = stat
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    std::time::Duration::from_nanos(ns)
}
