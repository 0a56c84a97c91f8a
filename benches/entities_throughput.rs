//! Entity-stage speed on one core: BBC articles through the extractor (tokenizer, tagger,
//! resolver), reported as articles/s, tokens/s and MB/s.
//!
//! `cargo bench --bench entities_throughput` — knobs: `BENCH_ROUNDS` (default 7),
//! `BENCH_ARTICLES` (default 300: the first 300 articles of `bbc-news/test.csv`, the set the
//! issue's spaCy anchor was measured on). Under `cargo test` it runs one small round as a smoke
//! test.
//!
//! Baselines: in the same run, the tokenizer alone (the floor any tagger pays) and the dedup
//! stage on the same articles; the spaCy `en_core_web_sm` anchor from the issue (15.8 articles/s
//! per core with only tok2vec+ner, measured on this machine by the author) is printed as
//! a fixed reference, since spaCy is not installed here.

mod common;

use std::time::Instant;

use common::{bbc_split, env_usize, median};
use news_enricher_core::entities::resolve::Extractor;
use news_enricher_core::entities::tokens::{sentences, tokenize};
use news_enricher_core::entities::{Tagger, WordMemo};

const SPACY_SM_ARTICLES_PER_SEC: f64 = 15.8;

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let Some(texts) = bbc_split("test") else {
        eprintln!("entities_throughput: BBC data not found; skipped");
        return;
    };
    let n = env_usize("BENCH_ARTICLES", if benching { 300 } else { 20 }).min(texts.len());
    let rounds = env_usize("BENCH_ROUNDS", if benching { 7 } else { 1 });
    let texts = &texts[..n];
    let bytes: usize = texts.iter().map(String::len).sum();
    let tokens: usize = texts.iter().map(|t| tokenize(t).len()).sum();
    let extractor = Extractor::new(Tagger::bundled().expect("bundled model"));

    // Warm-up: page in the model and gazetteer tables.
    let mut entities = 0usize;
    for t in texts.iter().take(20) {
        entities += extractor.extract(t).len();
    }

    let (mut stage, mut tok) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let start = Instant::now();
        let mut found = 0usize;
        // One memo of words across articles, as a processing thread keeps.
        let mut memo = WordMemo::default();
        for t in texts {
            let tokens = tokenize(t);
            found += extractor
                .extract_from(t, &tokens, &sentences(t, &tokens), &mut memo)
                .len();
        }
        stage.push(start.elapsed().as_secs_f64());
        entities = found;

        let start = Instant::now();
        let mut count = 0usize;
        for t in texts {
            count += tokenize(t).len();
        }
        tok.push(start.elapsed().as_secs_f64());
        assert_eq!(count, tokens);
    }
    let s = median(&mut stage);
    let t = median(&mut tok);
    let rate = n as f64 / s;
    println!(
        "entities stage, one thread, {n} BBC test articles ({tokens} tokens, {:.2} MB), {rounds} rounds, medians:",
        bytes as f64 / 1e6
    );
    println!(
        "  {:>10.0} articles/s  {:>10.0} tokens/s  {:>6.2} MB/s  ({entities} entities)",
        rate,
        tokens as f64 / s,
        bytes as f64 / 1e6 / s
    );
    println!(
        "  tokenizer alone: {:.0} articles/s; the stage costs {:.1}x tokenizing",
        n as f64 / t,
        s / t
    );
    println!(
        "  vs spaCy en_core_web_sm anchor ({SPACY_SM_ARTICLES_PER_SEC} articles/s/core): {:.0}x (target >= 100x = 1,600 articles/s)",
        rate / SPACY_SM_ARTICLES_PER_SEC
    );
}
