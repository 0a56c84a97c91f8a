//! Repeated paragraphs on the BBC articles: how many the dedup stage flags, what they are, and
//! what finding them costs per article. Printed for a reader to judge (the flags are a claim
//! about real text, and the cost a figure for the README), not asserted: the assertions live in
//! `tests/paragraphs.rs`.
//!
//! `cargo bench --bench paragraph_stats` reads the BBC train split twice: as published (the CSV
//! flattened every article to one line, so each is one paragraph) and with one sentence per
//! line, where every sentence becomes a paragraph, a harsher test of false positives. Under
//! `cargo test` (no `--bench` argument) it reads the first 50 articles once.

mod common;

use std::time::Instant;

use news_enricher_core::dedup::paragraphs::repeated_paragraphs;
use news_enricher_core::record::RepeatedParagraph;

/// The substring `[start, end)` of `text`, counted in chars.
fn chars(text: &str, start: usize, end: usize) -> String {
    text.chars().skip(start).take(end - start).collect()
}

fn report(label: &str, texts: &[String], rounds: usize) {
    let paragraphs: usize = texts
        .iter()
        .map(|t| t.lines().filter(|l| !l.trim().is_empty()).count())
        .sum();
    let started = Instant::now();
    let mut results: Vec<Vec<RepeatedParagraph>> = Vec::new();
    for _ in 0..rounds {
        results = texts
            .iter()
            .map(|t| repeated_paragraphs(std::hint::black_box(t)))
            .collect();
    }
    let per_article = started.elapsed() / (rounds * texts.len().max(1)) as u32;
    let bytes: usize = texts.iter().map(String::len).sum();
    let with_repeat = results.iter().filter(|r| !r.is_empty()).count();
    let repeats: usize = results.iter().map(Vec::len).sum();
    println!(
        "[{label}] {} articles, mean {} bytes, {paragraphs} paragraphs; \
         mean {per_article:?} per article; {with_repeat} articles with a repeat ({repeats} repeats)",
        texts.len(),
        bytes / texts.len().max(1),
    );
    for (text, found) in texts.iter().zip(&results).filter(|(_, r)| !r.is_empty()) {
        for r in found {
            println!(
                "  similarity {:.3}\n    first:  {}\n    repeat: {}",
                r.similarity,
                chars(text, r.first_start, r.first_end),
                chars(text, r.start, r.end)
            );
        }
    }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let Some(mut texts) = common::bbc_split("train") else {
        println!("paragraph_stats: BBC data not found (../shared/data/bbc-news); skipping");
        return;
    };
    if !full {
        texts.truncate(50);
    }
    let rounds = if full { 5 } else { 1 };
    report("as published", &texts, rounds);
    let per_sentence: Vec<String> = texts
        .iter()
        .map(|t| t.replace(". ", ".\n").replace(".\" ", ".\"\n"))
        .collect();
    report("one sentence per line", &per_sentence, rounds);
}
