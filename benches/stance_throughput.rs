//! Stance-stage cost against the entity stage's, per article, on one core: the budget
//! is that stance tagging adds no more than entity extraction costs. Both run in the same
//! process on the same articles, alternating per round; medians are reported.
//!
//! `cargo bench --bench stance_throughput` — knobs: `BENCH_ROUNDS` (default 7),
//! `BENCH_ARTICLES` (default 300 first articles of `bbc-news/test.csv`). Under `cargo test` it
//! runs one small round as a smoke test.
//!
//! The stance stage is timed on the entity stage's output (as in the pipeline), so the ratio
//! is the extra cost of stance tagging over entity extraction.

mod common;

use std::time::Instant;

use common::{bbc_split, env_usize, median};
use news_enricher::dedup::paragraphs::repeated_paragraphs;
use news_enricher::entities::resolve::Extractor;
use news_enricher::entities::Tagger;
use news_enricher::stance::claims::stances;
use news_enricher::stance::TargetScorer;

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let Some(texts) = bbc_split("test") else {
        eprintln!("stance_throughput: BBC data not found; skipped");
        return;
    };
    let n = env_usize("BENCH_ARTICLES", if benching { 300 } else { 20 }).min(texts.len());
    let rounds = env_usize("BENCH_ROUNDS", if benching { 7 } else { 1 });
    let texts = &texts[..n];
    let extractor = Extractor::new(Tagger::bundled().expect("bundled NER model"));
    let scorer = TargetScorer::bundled().expect("bundled stance model");
    let entities: Vec<_> = texts.iter().map(|t| extractor.extract(t)).collect();
    let repeats: Vec<_> = texts.iter().map(|t| repeated_paragraphs(t)).collect();

    let (mut ent, mut sta) = (Vec::new(), Vec::new());
    let mut found = 0usize;
    for _ in 0..rounds {
        let start = Instant::now();
        let mut k = 0usize;
        for t in texts {
            k += extractor.extract(t).len();
        }
        ent.push(start.elapsed().as_secs_f64());
        assert!(k > 0);

        let start = Instant::now();
        found = 0;
        for ((t, e), r) in texts.iter().zip(&entities).zip(&repeats) {
            found += stances(t, e, r, &scorer).len();
        }
        sta.push(start.elapsed().as_secs_f64());
    }
    let e = median(&mut ent);
    let s = median(&mut sta);
    println!("{n} BBC test articles, one thread, {rounds} rounds, medians:");
    println!("  entities stage: {:>8.0} articles/s", n as f64 / e);
    println!(
        "  stance stage:   {:>8.0} articles/s ({found} stances)",
        n as f64 / s
    );
    println!(
        "  stance / entities time per article: {:.2} (budget <= 1.00)",
        s / e
    );
}
