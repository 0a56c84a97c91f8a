//! Dedup quality and speed: exact duplicates on the BBC corpus, precision/recall of
//! near-duplicate detection on generated edits of BBC articles, and look-up/stage throughput.
//!
//! `cargo bench --bench dedup_quality` runs the full measurement. Under `cargo test` (no
//! `--bench` argument) it runs a tiny smoke version in seconds. The BBC corpus is read from
//! `../shared/data/bbc-news` next to the crate, or `NEWS_ENRICHER_BBC_DIR`; without it the bench
//! prints "skipping" and exits 0.
//!
//! Everything goes through the stage exactly as the worker runs it: an [`Enricher`] over a
//! dedup-only pipeline, fed JSON messages with distinct ids and offsets, verdicts read back from
//! the output JSON. Ground truth is brute force: exact Jaccard over 5-word shingles of the
//! normalised text against every earlier article.
//!
//! Knobs: `BENCH_SOURCES` (articles that get perturbed copies, default 800), `BENCH_COPIES`
//! (copies per source, default 3), `BENCH_PREFILL` (synthetic window entries before timing
//! look-ups, default 1,000,000), `BENCH_SEED`.

mod common;
use common::{bbc_texts, env_usize, median, near_signature, random_signature, splitmix, Rng};
use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::{DateTime, Utc};
use news_enricher::config::DEFAULT_MAX_OUTPUT_BYTES;
use news_enricher_core::article::{decode, normalise_text, Limits};
use news_enricher_core::dedup::entry::{IndexEntry, Probe, Verdict};
use news_enricher_core::dedup::index::{DedupIndex, IndexConfig};
use news_enricher_core::dedup::minhash::{self, Signature, SIGNATURE_LEN};
use news_enricher_core::dedup::{DedupStage, SharedIndex};
use news_enricher_core::enrich::{Enricher, Outcome};
use news_enricher_core::message::RawMessage;
use news_enricher_core::pipeline::{Pipeline, StageKind, StageSettings};
use news_enricher_core::record::{DedupStatus, EnrichedRecord, Provenance};
use news_enricher_core::stage::{Reading, Stage};

const THRESHOLD: f64 = 0.8;

// ---------------------------------------------------------------------------------------------
// Small utilities

fn shingles_of(text: &str) -> Vec<u64> {
    minhash::shingle_hashes(&normalise_text(text))
}

// ---------------------------------------------------------------------------------------------
// Running the stage as the worker does

struct Run {
    enricher: Enricher,
    now: DateTime<Utc>,
    base_ms: i64,
}

/// What the output JSON says about one article.
#[derive(Debug, Clone)]
struct Parsed {
    status: String,
    duplicate_of: Option<String>,
    cluster_id: Option<String>,
    similarity: Option<f64>,
}

impl Parsed {
    fn flagged(&self) -> bool {
        self.status == "exact_duplicate" || self.status == "near_duplicate"
    }
}

impl Run {
    fn new() -> Self {
        Self::with(IndexConfig::default())
    }

    fn with(config: IndexConfig) -> Self {
        let settings = StageSettings::with_index(SharedIndex::new(config));
        let enricher = Enricher::new(
            Pipeline::from_kinds(&[StageKind::Dedup], &settings),
            Limits::default(),
            DEFAULT_MAX_OUTPUT_BYTES,
        );
        let now = Utc::now();
        Run {
            enricher,
            now,
            // A day ago: every event time stays well inside the 7-day horizon.
            base_ms: now.timestamp_millis() - 86_400_000,
        }
    }

    fn message(&self, pos: usize, id: &str, body: &str) -> RawMessage {
        raw_message(self.base_ms, pos, id, body)
    }

    fn feed(&self, pos: usize, id: &str, body: &str) -> Parsed {
        match self.enricher.enrich(&self.message(pos, id, body), self.now) {
            Outcome::Enriched(out) => {
                let v: serde_json::Value =
                    serde_json::from_slice(&out.value).expect("output is JSON");
                let d = &v["dedup"];
                let s = |k: &str| d[k].as_str().map(str::to_owned);
                Parsed {
                    status: s("status").unwrap_or_default(),
                    duplicate_of: s("duplicate_of"),
                    cluster_id: s("cluster_id"),
                    similarity: d["similarity"].as_f64(),
                }
            }
            Outcome::DeadLetter(dl) => panic!("article {id} dead-lettered: {dl:?}"),
        }
    }
}

fn raw_message(base_ms: i64, pos: usize, id: &str, body: &str) -> RawMessage {
    let payload = serde_json::json!({ "id": id, "body": body });
    RawMessage {
        topic: Some("bench-dedup".into()),
        partition: Some(0),
        offset: Some(pos as i64),
        timestamp_ms: Some(base_ms + pos as i64 * 1000),
        payload: Some(serde_json::to_vec(&payload).expect("serialisable")),
        ..RawMessage::default()
    }
}

// ---------------------------------------------------------------------------------------------
// a. Exact duplicates on the BBC corpus

fn exact_on_bbc(texts: &[String]) {
    println!(
        "== a. BBC corpus in file order ({} articles) ==",
        texts.len()
    );
    let run = Run::new();
    let mut seen_raw = HashSet::new();
    let mut seen_norm = HashSet::new();
    let (mut raw_repeats, mut norm_repeats) = (0, 0);
    let (mut exact, mut exact_fp, mut exact_not_raw_repeat) = (0, 0, 0);
    let mut near: Vec<(usize, usize, f64, Option<f64>)> = Vec::new();
    let ids: Vec<String> = (0..texts.len()).map(|i| format!("bbc-{i}")).collect();
    let pos_of: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    for (i, text) in texts.iter().enumerate() {
        let raw_repeat = !seen_raw.insert(text.as_str());
        let norm_repeat = !seen_norm.insert(normalise_text(text));
        raw_repeats += usize::from(raw_repeat);
        norm_repeats += usize::from(norm_repeat);
        let v = run.feed(i, &ids[i], text);
        match v.status.as_str() {
            "exact_duplicate" => {
                exact += 1;
                exact_fp += usize::from(!norm_repeat);
                exact_not_raw_repeat += usize::from(!raw_repeat);
            }
            "near_duplicate" => {
                let j = v
                    .duplicate_of
                    .as_deref()
                    .and_then(|d| pos_of.get(d))
                    .copied()
                    .expect("duplicate_of names an earlier article");
                let jac = minhash::exact_jaccard(&shingles_of(text), &shingles_of(&texts[j]));
                near.push((i, j, jac, v.similarity));
            }
            _ => {}
        }
    }
    println!("byte-identical repeats:              {raw_repeats}");
    println!("repeats after normalise_text:        {norm_repeats}");
    println!(
        "flagged exact_duplicate:             {exact} ({exact_not_raw_repeat} of them not byte-identical repeats)"
    );
    println!("exact false positives (new text):    {exact_fp}");
    println!("flagged near_duplicate:              {}", near.len());
    near.sort_by(|a, b| a.2.total_cmp(&b.2));
    let below = near.iter().filter(|n| n.2 < THRESHOLD).count();
    println!("  of which exact J < {THRESHOLD}:          {below}");
    for (i, j, jac, est) in near.iter().take(10) {
        println!(
            "  bbc-{i:<5} ~ bbc-{j:<5} exact J = {jac:.3}  estimated = {}",
            est.map_or("-".into(), |e| format!("{e:.3}"))
        );
    }
    if near.len() > 10 {
        println!("  ... ({} more, higher J)", near.len() - 10);
    }
    println!();
}

// ---------------------------------------------------------------------------------------------
// b. Near-duplicates: perturbed copies

#[derive(Debug, Clone, Copy)]
enum Edit {
    /// Substitute k random words with random corpus words.
    Sub(usize),
    /// Substitute this percentage of the words.
    SubPct(usize),
    /// Delete k words.
    Del(usize),
    /// Insert k random corpus words.
    Ins(usize),
    /// Drop n sentences.
    DropSentences(usize),
    /// Drop this percentage of the sentences.
    DropSentencesPct(usize),
    /// Add n sentences taken from other articles.
    AddSentences(usize),
    /// A new headline line before the text.
    Headline,
    /// A boilerplate footer after the text.
    Footer,
    /// Sentences grouped into paragraphs of three, paragraphs shuffled.
    Reorder,
}

const PERTURBATIONS: &[(&str, &[Edit])] = &[
    ("sub 1 word", &[Edit::Sub(1)]),
    ("sub 3 words", &[Edit::Sub(3)]),
    ("sub 5 words", &[Edit::Sub(5)]),
    ("sub 8 words", &[Edit::Sub(8)]),
    ("sub 12 words", &[Edit::Sub(12)]),
    ("sub 20 words", &[Edit::Sub(20)]),
    ("sub 2% words", &[Edit::SubPct(2)]),
    ("sub 4% words", &[Edit::SubPct(4)]),
    ("sub 8% words", &[Edit::SubPct(8)]),
    ("sub 15% words", &[Edit::SubPct(15)]),
    ("delete 1 word", &[Edit::Del(1)]),
    ("delete 5 words", &[Edit::Del(5)]),
    ("delete 15 words", &[Edit::Del(15)]),
    ("insert 1 word", &[Edit::Ins(1)]),
    ("insert 5 words", &[Edit::Ins(5)]),
    ("insert 15 words", &[Edit::Ins(15)]),
    ("drop 1 sentence", &[Edit::DropSentences(1)]),
    ("drop 3 sentences", &[Edit::DropSentences(3)]),
    ("drop 30% sentences", &[Edit::DropSentencesPct(30)]),
    ("add 1 sentence", &[Edit::AddSentences(1)]),
    ("add 3 sentences", &[Edit::AddSentences(3)]),
    ("headline", &[Edit::Headline]),
    ("footer", &[Edit::Footer]),
    ("reorder paragraphs", &[Edit::Reorder]),
    ("headline+footer", &[Edit::Headline, Edit::Footer]),
    (
        "headline+footer+sub 3",
        &[Edit::Sub(3), Edit::Headline, Edit::Footer],
    ),
    ("reorder+sub 5", &[Edit::Sub(5), Edit::Reorder]),
    (
        "drop 1+add 1+footer",
        &[Edit::DropSentences(1), Edit::AddSentences(1), Edit::Footer],
    ),
    (
        "sub 3+del 3+ins 3",
        &[Edit::Sub(3), Edit::Del(3), Edit::Ins(3)],
    ),
    (
        "sub 4%+drop 1+headline+footer",
        &[
            Edit::SubPct(4),
            Edit::DropSentences(1),
            Edit::Headline,
            Edit::Footer,
        ],
    ),
];

const FOOTERS: &[&str] = &[
    "Follow us on Twitter @BBCNews and on Facebook for the latest updates.",
    "Follow us on Facebook, Twitter and Instagram. Sign up for our daily newsletter to get the top stories in your inbox every morning.",
    "Follow us on X and Threads. Copyright 2005 BBC. All rights reserved. This material may not be published, broadcast, rewritten or redistributed.",
];

const HEADLINE_PREFIXES: &[&str] = &["LIVE:", "Breaking:", "UPDATED", "Analysis:", "In pictures:"];

/// Sentences of a text (split after . ! ? optionally followed by a quote, then whitespace).
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        cur.push(c);
        if matches!(c, '.' | '!' | '?') {
            if let Some(&q) = chars.peek() {
                if q == '"' || q == '\'' {
                    cur.push(q);
                    chars.next();
                }
            }
            if chars.peek().is_none_or(|n| n.is_whitespace()) {
                let s = cur.trim();
                if !s.is_empty() {
                    out.push(s.to_owned());
                }
                cur.clear();
            }
        }
    }
    let s = cur.trim();
    if !s.is_empty() {
        out.push(s.to_owned());
    }
    out
}

struct Perturber<'a> {
    texts: &'a [String],
    rng: Rng,
}

impl Perturber<'_> {
    fn random_word(&mut self) -> String {
        loop {
            let t = &self.texts[self.rng.below(self.texts.len())];
            let words: Vec<&str> = t.split_whitespace().collect();
            let w = words[self.rng.below(words.len())];
            if w.len() > 2 {
                return w.to_owned();
            }
        }
    }

    fn random_sentence(&mut self) -> String {
        loop {
            let t = &self.texts[self.rng.below(self.texts.len())];
            let s = sentences(t);
            let pick = &s[self.rng.below(s.len())];
            if pick.split_whitespace().count() >= 6 {
                return pick.clone();
            }
        }
    }

    fn apply(&mut self, text: &str, edit: Edit) -> String {
        match edit {
            Edit::Sub(k) => self.sub(text, k),
            Edit::SubPct(p) => {
                let n = text.split_whitespace().count();
                self.sub(text, (n * p).div_ceil(100))
            }
            Edit::Del(k) => {
                let mut words: Vec<&str> = text.split_whitespace().collect();
                for _ in 0..k {
                    if words.len() > 10 {
                        let i = self.rng.below(words.len());
                        words.remove(i);
                    }
                }
                words.join(" ")
            }
            Edit::Ins(k) => {
                let mut words: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
                for _ in 0..k {
                    let i = self.rng.below(words.len() + 1);
                    let w = self.random_word();
                    words.insert(i, w);
                }
                words.join(" ")
            }
            Edit::DropSentences(n) => self.drop_sentences(text, |_| n),
            Edit::DropSentencesPct(p) => self.drop_sentences(text, |len| (len * p).div_ceil(100)),
            Edit::AddSentences(n) => {
                let mut s = sentences(text);
                for _ in 0..n {
                    let i = 1 + self.rng.below(s.len());
                    let new = self.random_sentence();
                    s.insert(i.min(s.len()), new);
                }
                s.join(" ")
            }
            Edit::Headline => {
                let prefix = HEADLINE_PREFIXES[self.rng.below(HEADLINE_PREFIXES.len())];
                let n = 4 + self.rng.below(6);
                let words: Vec<String> = (0..n).map(|_| self.random_word()).collect();
                format!("{prefix} {}\n\n{text}", words.join(" "))
            }
            Edit::Footer => {
                let f = FOOTERS[self.rng.below(FOOTERS.len())];
                format!("{text}\n\n{f}")
            }
            Edit::Reorder => {
                let s = sentences(text);
                let mut paras: Vec<String> = s.chunks(3).map(|c| c.join(" ")).collect();
                if paras.len() > 1 {
                    let orig = paras.clone();
                    for _ in 0..8 {
                        self.rng.shuffle(&mut paras);
                        if paras != orig {
                            break;
                        }
                    }
                }
                paras.join("\n\n")
            }
        }
    }

    fn sub(&mut self, text: &str, k: usize) -> String {
        let mut words: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
        for _ in 0..k {
            let i = self.rng.below(words.len());
            words[i] = self.random_word();
        }
        words.join(" ")
    }

    fn drop_sentences(&mut self, text: &str, how_many: impl Fn(usize) -> usize) -> String {
        let mut s = sentences(text);
        let n = how_many(s.len());
        for _ in 0..n {
            if s.len() > 2 {
                let i = self.rng.below(s.len());
                s.remove(i);
            }
        }
        s.join(" ")
    }
}

/// One article of the evaluation stream.
struct Item {
    body: String,
    /// Index into `PERTURBATIONS` and the stream position of its original, for copies.
    copy_of: Option<(usize, usize)>,
}

const BINS: &[f64] = &[
    0.0, 0.5, 0.6, 0.7, 0.75, 0.78, 0.8, 0.82, 0.85, 0.9, 0.95, 1.0001,
];

fn histogram(title: &str, values: &[f64]) {
    println!("{title} ({} articles):", values.len());
    if values.is_empty() {
        return;
    }
    for w in BINS.windows(2) {
        let n = values.iter().filter(|&&v| v >= w[0] && v < w[1]).count();
        if n > 0 {
            let hi = if w[1] > 1.0 { 1.0 } else { w[1] };
            let close = if w[1] > 1.0 { "]" } else { ")" };
            println!("  [{:.2}, {hi:.2}{close} {n:>5}", w[0]);
        }
    }
}

/// Best exact Jaccard against an earlier article, and which one.
type Best = (f64, Option<usize>);

/// For each article, the best exact Jaccard against any earlier one and which one. Pairs whose
/// size ratio bounds J below `max(best so far, 0.5)` are skipped (|A∩B|/|A∪B| ≤ min/max), so a
/// best below 0.5 is reported as "below 0.5" only.
fn brute_force_best(shingles: &[Vec<u64>]) -> Vec<Best> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut out = vec![(0.0, None); shingles.len()];
    let rows: Vec<Vec<(usize, Best)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let mut rows = Vec::new();
                    for i in (t..shingles.len()).step_by(threads) {
                        let a = &shingles[i];
                        let mut best = (0.0f64, None);
                        for (j, b) in shingles[..i].iter().enumerate() {
                            let (lo, hi) = if a.len() < b.len() {
                                (a.len(), b.len())
                            } else {
                                (b.len(), a.len())
                            };
                            if (lo as f64) < best.0.max(0.5) * hi as f64 {
                                continue;
                            }
                            let jac = minhash::exact_jaccard(a, b);
                            if jac > best.0 {
                                best = (jac, Some(j));
                            }
                        }
                        rows.push((i, best));
                    }
                    rows
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker"))
            .collect()
    });
    for (i, best) in rows.into_iter().flatten() {
        out[i] = best;
    }
    out
}

#[derive(Default, Clone)]
struct TypeStats {
    copies: usize,
    sum_j: f64,
    min_j: f64,
    truly_dup: usize,
    flagged: usize,
    tp: usize,
    fp: usize,
    fn_: usize,
}

/// `exact_cache`: how many recent articles keep their shingle sets (0: every verdict rests on
/// the MinHash estimate, as for articles older than the cache).
fn near_duplicates(
    texts: &[String],
    sources: usize,
    copies_per_source: usize,
    seed: u64,
    exact_cache: usize,
) {
    let mut rng = Rng::new(seed);
    // Sources: distinct normalised texts, in a seeded random order.
    let mut seen = HashSet::new();
    let mut candidates: Vec<usize> = (0..texts.len())
        .filter(|&i| seen.insert(normalise_text(&texts[i])))
        .collect();
    rng.shuffle(&mut candidates);
    let chosen = &candidates[..sources.min(candidates.len())];

    let mut perturber = Perturber {
        texts,
        rng: Rng::new(seed ^ 0xDEAD_BEEF),
    };
    // Stream keys: original i at i; a copy of i somewhere in the next 300 articles.
    let mut keyed: Vec<(f64, Item)> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            (
                i as f64,
                Item {
                    body: t.clone(),
                    copy_of: None,
                },
            )
        })
        .collect();
    let mut n_copy = 0usize;
    for &src in chosen {
        for _ in 0..copies_per_source {
            let kind = n_copy % PERTURBATIONS.len();
            n_copy += 1;
            let mut body = texts[src].clone();
            for &edit in PERTURBATIONS[kind].1 {
                body = perturber.apply(&body, edit);
            }
            let key = src as f64 + 1.0 + rng.unit() * 300.0;
            keyed.push((
                key,
                Item {
                    body,
                    copy_of: Some((kind, src)),
                },
            ));
        }
    }
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Originals sit at key = their file index; map that to stream positions.
    let mut stream_pos_of_file = vec![0usize; texts.len()];
    for (pos, (key, item)) in keyed.iter().enumerate() {
        if item.copy_of.is_none() {
            stream_pos_of_file[*key as usize] = pos;
        }
    }
    let items: Vec<Item> = keyed
        .into_iter()
        .map(|(_, mut it)| {
            it.copy_of = it.copy_of.map(|(k, src)| (k, stream_pos_of_file[src]));
            it
        })
        .collect();
    println!(
        "== b. Near-duplicates: {} BBC articles + {} perturbed copies of {} sources ({} perturbation kinds), {} in all ==",
        texts.len(),
        n_copy,
        chosen.len(),
        PERTURBATIONS.len(),
        items.len()
    );

    let t0 = Instant::now();
    let shingles: Vec<Vec<u64>> = items.iter().map(|it| shingles_of(&it.body)).collect();
    let best = brute_force_best(&shingles);
    println!(
        "ground truth: brute force over {} pairs in {:.1} s",
        items.len() * (items.len() - 1) / 2,
        t0.elapsed().as_secs_f64()
    );

    println!(
        "exact cache: {exact_cache} articles{}",
        if exact_cache == 0 {
            " (every verdict on the MinHash estimate)"
        } else {
            " (recent candidates verified on exact Jaccard)"
        }
    );
    let run = Run::with(IndexConfig {
        exact_cache,
        ..IndexConfig::default()
    });
    let ids: Vec<String> = (0..items.len()).map(|i| format!("s{i}")).collect();
    let pos_of: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let t0 = Instant::now();
    let verdicts: Vec<Parsed> = items
        .iter()
        .enumerate()
        .map(|(i, it)| run.feed(i, &ids[i], &it.body))
        .collect();
    println!(
        "stage: {} articles in {:.2} s",
        items.len(),
        t0.elapsed().as_secs_f64()
    );

    // cluster_id: own id when unique; otherwise an article at or before duplicate_of.
    let bad_cluster = verdicts
        .iter()
        .enumerate()
        .filter(|(i, v)| {
            let c = v.cluster_id.as_deref().and_then(|c| pos_of.get(c)).copied();
            match (
                v.flagged(),
                c,
                v.duplicate_of.as_deref().and_then(|d| pos_of.get(d)),
            ) {
                (false, Some(c), _) => c != *i,
                (true, Some(c), Some(&d)) => c > d,
                _ => true,
            }
        })
        .count();
    let (mut tp, mut fp, mut fn_, mut tn) = (0, 0, 0, 0);
    let (mut dup_of_ok, mut dup_of_total) = (0, 0);
    let (mut exact_flags, mut near_flags) = (0, 0);
    let mut fp_j = Vec::new();
    let mut fn_j = Vec::new();
    let mut fp_dup_j = Vec::new();
    let mut est_err = Vec::new();
    let mut est_bias = 0.0;
    let mut per_type = vec![
        TypeStats {
            min_j: 1.0,
            ..TypeStats::default()
        };
        PERTURBATIONS.len()
    ];
    let mut fp_examples = Vec::new();
    let mut fn_examples = Vec::new();
    for (i, v) in verdicts.iter().enumerate() {
        let (best_j, _) = best[i];
        let truth = best_j >= THRESHOLD;
        let flagged = v.flagged();
        let dup_j = v.duplicate_of.as_deref().map(|d| {
            let j = *pos_of
                .get(d)
                .expect("duplicate_of names an earlier article");
            assert!(j < i, "duplicate_of must be earlier");
            minhash::exact_jaccard(&shingles[i], &shingles[j])
        });
        match (flagged, truth) {
            (true, true) => tp += 1,
            (true, false) => {
                fp += 1;
                fp_j.push(best_j);
                if let Some(dj) = dup_j {
                    fp_dup_j.push(dj);
                }
                fp_examples.push((i, best_j, dup_j, v.similarity));
            }
            (false, true) => {
                fn_ += 1;
                fn_j.push(best_j);
                fn_examples.push((i, best_j));
            }
            (false, false) => tn += 1,
        }
        if flagged {
            if v.status == "exact_duplicate" {
                exact_flags += 1;
            } else {
                near_flags += 1;
            }
            dup_of_total += 1;
            if dup_j.is_some_and(|j| j >= THRESHOLD) {
                dup_of_ok += 1;
            }
        }
        if v.status == "near_duplicate" {
            if let (Some(est), Some(j)) = (v.similarity, dup_j) {
                est_err.push((est - j).abs());
                est_bias += est - j;
            }
        }
        if let Some((kind, src)) = items[i].copy_of {
            let j = minhash::exact_jaccard(&shingles[i], &shingles[src]);
            let s = &mut per_type[kind];
            s.copies += 1;
            s.sum_j += j;
            s.min_j = s.min_j.min(j);
            s.truly_dup += usize::from(truth);
            s.flagged += usize::from(flagged);
            s.tp += usize::from(flagged && truth);
            s.fp += usize::from(flagged && !truth);
            s.fn_ += usize::from(!flagged && truth);
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fn_).max(1) as f64;
    println!(
        "flagged: {} ({exact_flags} exact_duplicate, {near_flags} near_duplicate); truly J >= {THRESHOLD} with an earlier article: {}",
        tp + fp,
        tp + fn_
    );
    println!("TP {tp}  FP {fp}  FN {fn_}  TN {tn}");
    println!(
        "precision {precision:.4} (target >= 0.99)  recall {recall:.4} (target >= 0.95)  -> {}",
        if precision >= 0.99 && recall >= 0.95 {
            "targets met"
        } else {
            "TARGETS MISSED"
        }
    );
    println!(
        "duplicate_of itself has J >= {THRESHOLD}: {dup_of_ok} of {dup_of_total} flagged ({:.4})",
        dup_of_ok as f64 / dup_of_total.max(1) as f64
    );
    println!("cluster_id inconsistent with the verdict: {bad_cluster}");
    if !est_err.is_empty() {
        let n = est_err.len() as f64;
        let mean = est_err.iter().sum::<f64>() / n;
        let mut sorted = est_err.clone();
        let p95 = {
            sorted.sort_by(|a, b| a.total_cmp(b));
            sorted[((sorted.len() as f64 * 0.95) as usize).min(sorted.len() - 1)]
        };
        println!(
            "near_duplicate similarity vs exact J with duplicate_of: mean |err| {mean:.4}, p95 {p95:.4}, max {:.4}, mean bias {:+.4} (n = {})",
            sorted.last().copied().unwrap_or(0.0),
            est_bias / n,
            est_err.len()
        );
    }
    histogram("FP: best exact J with any earlier article", &fp_j);
    histogram("FP: exact J with duplicate_of", &fp_dup_j);
    histogram("FN: best exact J with any earlier article", &fn_j);
    for (i, bj, dj, est) in fp_examples.iter().take(8) {
        println!(
            "  FP s{i}: best J {bj:.3}, J(duplicate_of) {}, estimated {}, {}",
            dj.map_or("-".into(), |d| format!("{d:.3}")),
            est.map_or("-".into(), |e| format!("{e:.3}")),
            describe(&items[*i])
        );
    }
    for (i, bj) in fn_examples.iter().take(8) {
        println!("  FN s{i}: best J {bj:.3}, {}", describe(&items[*i]));
    }
    println!(
        "per perturbation kind (copies only; truth = J >= {THRESHOLD} with any earlier article):"
    );
    println!(
        "  {:<32} {:>6} {:>7} {:>7} {:>8} {:>8} {:>5} {:>5} {:>5}",
        "kind", "copies", "mean J", "min J", "truly>=", "flagged", "TP", "FP", "FN"
    );
    for (kind, s) in per_type.iter().enumerate() {
        if s.copies == 0 {
            continue;
        }
        println!(
            "  {:<32} {:>6} {:>7.3} {:>7.3} {:>8} {:>8} {:>5} {:>5} {:>5}",
            PERTURBATIONS[kind].0,
            s.copies,
            s.sum_j / s.copies as f64,
            s.min_j,
            s.truly_dup,
            s.flagged,
            s.tp,
            s.fp,
            s.fn_
        );
    }
    let flags: Vec<bool> = verdicts.iter().map(Parsed::flagged).collect();
    diagnose(&best, &flags, &shingles);
    println!();
}

/// P(Binomial(n, p) >= k).
fn binomial_tail(n: usize, p: f64, k: usize) -> f64 {
    if p <= 0.0 {
        return if k == 0 { 1.0 } else { 0.0 };
    }
    if p >= 1.0 {
        return 1.0;
    }
    // log pmf(0) = n ln(1-p); pmf(i+1) = pmf(i) (n-i)/(i+1) p/(1-p).
    let mut log_pmf = n as f64 * (1.0 - p).ln();
    let ratio = (p / (1.0 - p)).ln();
    let mut tail = 0.0;
    for i in 0..=n {
        if i >= k {
            tail += log_pmf.exp();
        }
        if i < n {
            log_pmf += ((n - i) as f64 / (i + 1) as f64).ln() + ratio;
        }
    }
    tail.min(1.0)
}

/// Why the misses happen: P/R away from the threshold, what an ideal MinHash of a given length
/// would score on the same truth, and whether each false negative's best match was a candidate.
fn diagnose(best: &[Best], flags: &[bool], shingles: &[Vec<u64>]) {
    println!("P/R excluding articles whose best true J lies within a margin of {THRESHOLD}:");
    for margin in [0.0, 0.02, 0.05, 0.1] {
        let (mut tp, mut fp, mut fn_) = (0, 0, 0);
        for (&(j, _), &f) in best.iter().zip(flags) {
            if (j - THRESHOLD).abs() < margin {
                continue;
            }
            let t = j >= THRESHOLD;
            tp += usize::from(f && t);
            fp += usize::from(f && !t);
            fn_ += usize::from(!f && t);
        }
        println!(
            "  margin {margin:.2}: precision {:.4} recall {:.4} (TP {tp} FP {fp} FN {fn_})",
            tp as f64 / (tp + fp).max(1) as f64,
            tp as f64 / (tp + fn_).max(1) as f64
        );
    }
    println!("expected P/R of an ideal one-bit MinHash (one comparison with the best earlier article; bits agree with probability (1 + J)/2, flag when 2 x agreeing/len - 1 >= {THRESHOLD}):");
    for len in [SIGNATURE_LEN, 2 * SIGNATURE_LEN, 4 * SIGNATURE_LEN] {
        let k = ((1.0 + THRESHOLD) / 2.0 * len as f64).ceil() as usize;
        let (mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0);
        for &(j, _) in best {
            let p = binomial_tail(len, (1.0 + j) / 2.0, k);
            if j >= THRESHOLD {
                tp += p;
                fn_ += 1.0 - p;
            } else {
                fp += p;
            }
        }
        println!(
            "  {len:>4} bits{}: precision {:.4} recall {:.4} (TP {tp:.0} FP {fp:.0} FN {fn_:.0})",
            if len == SIGNATURE_LEN {
                " (as built)"
            } else {
                ""
            },
            tp / (tp + fp).max(1.0),
            tp / (tp + fn_).max(1.0)
        );
    }
    // False negatives: was the best earlier article reachable through a band, and did its
    // signature estimate reach the threshold?
    let sigs: Vec<Signature> = shingles.iter().map(|s| minhash::signature(s)).collect();
    let bands: Vec<[u32; minhash::BANDS]> = sigs.iter().map(|s| s.bands).collect();
    // Unconditional estimator error on every (article, best earlier article) pair with J >= 0.6:
    // no selection by the threshold, so any bias here is the hash family's.
    let pairs: Vec<f64> = best
        .iter()
        .enumerate()
        .filter_map(|(i, &(j, b))| {
            b.filter(|_| j >= 0.6)
                .map(|b| minhash::estimated_jaccard(&sigs[i], &sigs[b]) - j)
        })
        .collect();
    if !pairs.is_empty() {
        let n = pairs.len() as f64;
        println!(
            "signature estimate vs exact J on all best pairs with J >= 0.6 (unselected, n = {}): mean bias {:+.4}, mean |err| {:.4}",
            pairs.len(),
            pairs.iter().sum::<f64>() / n,
            pairs.iter().map(|d| d.abs()).sum::<f64>() / n
        );
    }
    let (mut low_estimate, mut no_shared_band, mut other) = (0, 0, 0);
    for (i, (&(j, best_i), &f)) in best.iter().zip(flags).enumerate() {
        if f || j < THRESHOLD {
            continue;
        }
        let b = best_i.expect("a best article when J >= threshold");
        if minhash::estimated_jaccard(&sigs[i], &sigs[b]) < THRESHOLD {
            low_estimate += 1;
        } else if !bands[i].iter().any(|k| bands[b].contains(k)) {
            no_shared_band += 1;
        } else {
            other += 1;
        }
    }
    println!(
        "false negatives by cause: estimate vs best article < {THRESHOLD}: {low_estimate}; no shared LSH band: {no_shared_band}; other (band cell lost, or exact verification below): {other}"
    );
}

fn describe(item: &Item) -> String {
    match item.copy_of {
        Some((kind, src)) => format!("copy of s{src} ({})", PERTURBATIONS[kind].0),
        None => "BBC original".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// c. Throughput

struct Fingerprint {
    id: String,
    origin: u64,
    event_time: i64,
    text_key: u64,
    signature: Signature,
}

fn synthetic(n: u64, rng: &mut Rng, start_time: i64, earlier: &[Signature]) -> Fingerprint {
    let signature = if !earlier.is_empty() && rng.below(5) == 0 {
        near_signature(&earlier[rng.below(earlier.len())], 0.9, rng)
    } else {
        random_signature(rng)
    };
    Fingerprint {
        id: format!("{:016x}{:016x}", splitmix(n ^ 0xA5A5), splitmix(n)),
        origin: splitmix(n ^ 0x5A5A_5A5A),
        event_time: start_time + (n / 4) as i64,
        text_key: rng.next_u64(),
        signature,
    }
}

fn check_and_remember(index: &mut DedupIndex, f: &Fingerprint) -> Verdict {
    let probe = Probe {
        id: &f.id,
        origin: f.origin,
        event_time: f.event_time,
        text_key: f.text_key,
        url_key: None,
        signature: &f.signature,
        shingles: None,
    };
    let verdict = index.check(&probe);
    let entry = IndexEntry {
        id: f.id.clone(),
        origin: f.origin,
        event_time: f.event_time,
        text_key: f.text_key,
        url_key: None,
        signature: f.signature,
        verdict,
    };
    index.remember(&entry);
    entry.verdict
}

fn throughput(texts: &[String], prefill: usize, probes_per_run: usize, runs: usize) {
    println!("== c. Throughput (single thread, median of {runs}) ==");
    let mut rng = Rng::new(42);
    let start_time = Utc::now().timestamp() - 6 * 86_400;
    let mut index = DedupIndex::new(IndexConfig::default());
    // Keep a sample of prefilled signatures so probes can be near-copies of them.
    let mut kept: Vec<Signature> = Vec::new();
    let t0 = Instant::now();
    for n in 0..prefill as u64 {
        let f = synthetic(n, &mut rng, start_time, &kept);
        if n % 64 == 0 {
            kept.push(f.signature);
        }
        check_and_remember(&mut index, &f);
    }
    println!(
        "prefill: {} synthetic entries in {:.1} s (window holds {})",
        prefill,
        t0.elapsed().as_secs_f64(),
        index.len()
    );
    let mut rates = Vec::new();
    let mut near = 0usize;
    for r in 0..runs {
        let base = (prefill + r * probes_per_run) as u64;
        let fps: Vec<Fingerprint> = (0..probes_per_run as u64)
            .map(|k| synthetic(base + k, &mut rng, start_time, &kept))
            .collect();
        let t0 = Instant::now();
        for f in &fps {
            let v = check_and_remember(&mut index, f);
            near += usize::from(v.status == DedupStatus::NearDuplicate);
        }
        rates.push(probes_per_run as f64 / t0.elapsed().as_secs_f64());
    }
    println!(
        "DedupIndex::check+remember: {:.0} fingerprints/s over a window of {}..{} entries ({} of {} probes near_duplicate; about 1 in 5 is a near-copy)",
        median(&mut rates),
        prefill,
        index.len(),
        near,
        runs * probes_per_run
    );
    drop(index);

    // Whole stage through the Enricher (decode + dedup + JSON encode), fresh window per run.
    let base_ms = Utc::now().timestamp_millis() - 86_400_000;
    let msgs: Vec<RawMessage> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| raw_message(base_ms, i, &format!("bbc-{i}"), t))
        .collect();
    let mut rates = Vec::new();
    for _ in 0..runs {
        let run = Run::new();
        let t0 = Instant::now();
        for m in &msgs {
            std::hint::black_box(run.enricher.enrich(m, run.now));
        }
        rates.push(msgs.len() as f64 / t0.elapsed().as_secs_f64());
    }
    println!(
        "Enricher::enrich, dedup-only pipeline (decode + stage + encode): {:.0} articles/s ({} BBC articles per run)",
        median(&mut rates),
        msgs.len()
    );

    // The stage alone on decoded records.
    let now = Utc::now();
    let records: Vec<EnrichedRecord> = msgs
        .iter()
        .map(|m| {
            let article = decode(m.payload.as_deref(), &Limits::default()).expect("decodes");
            let mut p = Provenance::new(now, vec!["dedup".into()]);
            p.topic = m.topic.clone();
            p.partition = m.partition;
            p.offset = m.offset;
            p.message_timestamp = m
                .timestamp_ms
                .and_then(DateTime::<Utc>::from_timestamp_millis);
            EnrichedRecord::new(article, p)
        })
        .collect();
    let mut rates = Vec::new();
    for _ in 0..runs {
        let stage = DedupStage::new(SharedIndex::new(IndexConfig::default()));
        let mut batch = records.clone();
        let t0 = Instant::now();
        for r in &mut batch {
            stage
                .process(r, &mut Reading::default())
                .expect("dedup never rejects");
        }
        rates.push(batch.len() as f64 / t0.elapsed().as_secs_f64());
    }
    println!(
        "DedupStage::process alone: {:.0} articles/s",
        median(&mut rates)
    );
    println!();
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let Some(mut texts) = bbc_texts() else {
        println!("dedup_quality: BBC corpus not found (set NEWS_ENRICHER_BBC_DIR); skipping");
        return;
    };
    let started = Instant::now();
    let seed = env_usize("BENCH_SEED", 20_240_412) as u64;
    if full {
        exact_on_bbc(&texts);
        // As configured by default (recent candidates verified on exact Jaccard), then with
        // estimates only, which is how articles older than the exact cache are judged.
        for exact_cache in [IndexConfig::default().exact_cache, 0] {
            near_duplicates(
                &texts,
                env_usize("BENCH_SOURCES", 800),
                env_usize("BENCH_COPIES", 3),
                seed,
                exact_cache,
            );
        }
        throughput(&texts, env_usize("BENCH_PREFILL", 1_000_000), 100_000, 5);
    } else {
        // Smoke run under `cargo test`: a few hundred articles, debug build, seconds.
        texts.truncate(200);
        exact_on_bbc(&texts);
        near_duplicates(&texts, 15, 2, seed, IndexConfig::default().exact_cache);
        throughput(&texts[..50], 2_000, 500, 1);
    }
    println!(
        "dedup_quality: done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
