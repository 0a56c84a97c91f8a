//! Claims + stance cost against the entity stage's, per article, on one core: the budget is that
//! finding claims and tagging stances together add no more than entity extraction costs. All
//! run in the same process on the same articles, alternating per round; medians are reported.
//!
//! `cargo bench --bench stance_throughput` — knobs: `BENCH_ROUNDS` (default 7),
//! `BENCH_ARTICLES` (default 300 first articles of `bbc-news/test.csv`). Under `cargo test` it
//! runs one small round as a smoke test.
//!
//! The claims stage is timed on the entity stage's output and the stance stage on the claims
//! (as in the pipeline), so the ratio is the extra cost of both over entity extraction.

mod common;

use std::time::Instant;

use common::{bbc_split, env_usize, median};
use news_enricher_core::claims::ClaimFinder;
use news_enricher_core::entities::resolve::Extractor;
use news_enricher_core::entities::Tagger;
use news_enricher_core::stance::{stances, TargetScorer};

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let Some(texts) = bbc_split("test") else {
        eprintln!("stance_throughput: BBC data not found; skipped");
        return;
    };
    let n = env_usize("BENCH_ARTICLES", if benching { 300 } else { 20 }).min(texts.len());
    let rounds = env_usize("BENCH_ROUNDS", if benching { 7 } else { 1 });
    let texts = &texts[..n];
    let tagger = Tagger::bundled().expect("bundled NER model");
    let finder = ClaimFinder::new(tagger.shared_gazetteer());
    let extractor = Extractor::new(tagger);
    let scorer = TargetScorer::bundled().expect("bundled stance model");
    let entities: Vec<_> = texts.iter().map(|t| extractor.extract(t)).collect();
    let claims: Vec<_> = texts
        .iter()
        .zip(&entities)
        .map(|(t, e)| finder.claims(t, e))
        .collect();

    let (mut ent, mut cla, mut sta) = (Vec::new(), Vec::new(), Vec::new());
    let (mut found, mut claimed) = (0usize, 0usize);
    for _ in 0..rounds {
        let start = Instant::now();
        let mut k = 0usize;
        for t in texts {
            k += extractor.extract(t).len();
        }
        ent.push(start.elapsed().as_secs_f64());
        assert!(k > 0);

        let start = Instant::now();
        claimed = 0;
        for (t, e) in texts.iter().zip(&entities) {
            claimed += finder.claims(t, e).len();
        }
        cla.push(start.elapsed().as_secs_f64());

        let start = Instant::now();
        found = 0;
        for ((t, e), c) in texts.iter().zip(&entities).zip(&claims) {
            found += stances(t, e, c, &scorer).len();
        }
        sta.push(start.elapsed().as_secs_f64());
    }
    let e = median(&mut ent);
    let c = median(&mut cla);
    let s = median(&mut sta);
    println!("{n} BBC test articles, one thread, {rounds} rounds, medians:");
    println!("  entities stage: {:>8.0} articles/s", n as f64 / e);
    println!(
        "  claims stage:   {:>8.0} articles/s ({claimed} claims)",
        n as f64 / c
    );
    println!(
        "  stance stage:   {:>8.0} articles/s ({found} stances)",
        n as f64 / s
    );
    println!(
        "  (claims + stance) / entities time per article: {:.2} (budget <= 1.00)",
        (c + s) / e
    );
    scaling(&extractor, &finder, &scorer, rounds, benching);
}

/// Bad input must cost linear time: one paragraph with no line breaks, full of quotes and
/// attributions, at 100 KB and at 1 MB. Prints the ratio of the 1 MB time to ten times the
/// 100 KB time (1.0 = linear).
fn scaling(
    extractor: &Extractor,
    finder: &ClaimFinder,
    scorer: &TargetScorer,
    rounds: usize,
    benching: bool,
) {
    let unit = "“The plan will work, and it will work well,” Mr Brown said, adding that the \
                Tories, he said, were wrong about Iran according to the Treasury. “We are \
                ready and we will not stop now. ";
    let (small, large) = if benching {
        (250_000, 2_500_000)
    } else {
        (20_000, 200_000)
    };
    let time = |bytes: usize| -> f64 {
        let body = unit.repeat(bytes / unit.len() + 1);
        let entities = extractor.extract(&body);
        let mut t: Vec<f64> = (0..rounds.min(3))
            .map(|_| {
                let start = Instant::now();
                let claims = finder.claims(&body, &entities);
                let found = stances(&body, &entities, &claims, scorer);
                assert!(!claims.is_empty() && found.len() <= claims.len() * 4);
                start.elapsed().as_secs_f64()
            })
            .collect();
        median(&mut t)
    };
    let (ts, tl) = (time(small), time(large));
    println!(
        "one paragraph of quotes and attributions, claims + stance: {} KB {:.3} s, {} KB {:.3} s",
        small / 1000,
        ts,
        large / 1000,
        tl
    );
    println!(
        "  time at {}x the size / {}x the time at the small size: {:.2} (linear = 1.00)",
        large / small,
        large / small,
        tl / (ts * (large / small) as f64)
    );
}
