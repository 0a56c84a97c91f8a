//! Exact deduplication through the `Stage` interface: text and URL keys, cluster heads,
//! redelivery versus duplication, the bounded window, concurrent use, and the BBC dataset's
//! known duplicates.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{TimeZone, Utc};
use news_enricher::article::{decode, normalise_text, Limits};
use news_enricher::dedup::{ExactDedup, ExactDedupConfig};
use news_enricher::enrich::{Enricher, Outcome, RawMessage};
use news_enricher::record::{Dedup, DedupStatus, EnrichedRecord, MatchedOn, Provenance};
use news_enricher::stage::{Pipeline, Stage, StageKind, StageSettings};
use proptest::prelude::*;
use serde_json::{json, Value};

/// Where a test message was read from.
#[derive(Clone, Copy)]
struct At {
    topic: &'static str,
    partition: i32,
    offset: i64,
}

fn at(offset: i64) -> At {
    At {
        topic: "articles",
        partition: 0,
        offset,
    }
}

fn record(input: &Value, at: At) -> EnrichedRecord {
    let raw = input.to_string();
    let article = decode(Some(raw.as_bytes()), &Limits::default())
        .unwrap_or_else(|e| panic!("{input} should decode: {e:?}"));
    EnrichedRecord::new(
        article,
        Provenance {
            topic: Some(at.topic.to_owned()),
            partition: Some(at.partition),
            offset: Some(at.offset),
            ..Provenance::new(
                Utc.with_ymd_and_hms(2024, 4, 12, 0, 0, 0).unwrap(),
                vec!["dedup".to_owned()],
            )
        },
    )
}

/// Runs `input` through `stage` (as a `dyn Stage`) and returns the verdict and the record id.
fn check(stage: &dyn Stage, input: Value, at: At) -> (Dedup, String) {
    let mut r = record(&input, at);
    assert_eq!(r.dedup.status, DedupStatus::NotChecked);
    stage.process(&mut r).expect("dedup never rejects");
    (r.dedup, r.id)
}

fn dedup(capacity: usize) -> ExactDedup {
    ExactDedup::new(ExactDedupConfig {
        window_capacity: capacity,
    })
}

fn unique() -> Dedup {
    Dedup {
        status: DedupStatus::Unique,
        duplicate_of: None,
        matched_on: None,
    }
}

fn duplicate_of(id: &str, on: MatchedOn) -> Dedup {
    Dedup {
        status: DedupStatus::ExactDuplicate,
        duplicate_of: Some(id.to_owned()),
        matched_on: Some(on),
    }
}

const STORY: &str = "The final office fight in Paris ended with a fine.\nOfficials said so.";

#[test]
fn stage_is_named_dedup() {
    assert_eq!(Stage::name(&dedup(10)), "dedup");
}

#[test]
fn first_article_is_unique() {
    let d = dedup(100);
    let (v, _) = check(&d, json!({"id": "a1", "body": STORY}), at(1));
    assert_eq!(v, unique());
}

#[test]
fn resent_text_with_layout_case_and_nfkc_differences_is_a_text_duplicate() {
    let variants = [
        STORY.to_owned(),
        STORY.to_uppercase(),
        format!("  {}  ", STORY.replace(' ', "\n  \t")),
        STORY.replace("fi", "ﬁ").replace("ffi", "ﬃ"),
        "Ｔｈｅ ｆｉｎａｌ ｏｆｆｉｃｅ ｆｉｇｈｔ ｉｎ Ｐａｒｉｓ ｅｎｄｅｄ ｗｉｔｈ ａ ｆｉｎｅ． Officials said so."
            .to_owned(),
    ];
    let d = dedup(100);
    let (v, _) = check(&d, json!({"id": "a1", "body": STORY}), at(1));
    assert_eq!(v, unique());
    for (i, body) in variants.iter().enumerate() {
        let (v, _) = check(
            &d,
            json!({"id": format!("copy-{i}"), "body": body}),
            at(10 + i as i64),
        );
        assert_eq!(
            v,
            duplicate_of("a1", MatchedOn::Text),
            "variant {i}: {body:?}"
        );
    }
}

#[test]
fn different_text_is_unique() {
    let d = dedup(100);
    check(&d, json!({"id": "a1", "body": STORY}), at(1));
    let (v, _) = check(
        &d,
        json!({"id": "a2", "body": STORY.replace("Paris", "Lyon")}),
        at(2),
    );
    assert_eq!(v, unique());
}

#[test]
fn same_canonical_url_with_different_text_is_a_url_duplicate() {
    let d = dedup(100);
    let (v, _) = check(
        &d,
        json!({"id": "a1", "url": "https://example.com/world/1", "body": "First version."}),
        at(1),
    );
    assert_eq!(v, unique());
    let (v, _) = check(
        &d,
        json!({
            "id": "a2",
            "url": "http://www.example.com/world/1/?utm_source=rss#top",
            "body": "Updated version with a correction.",
        }),
        at(2),
    );
    assert_eq!(v, duplicate_of("a1", MatchedOn::Url));
    // A different path is a different article.
    let (v, _) = check(
        &d,
        json!({"id": "a3", "url": "https://example.com/world/2", "body": "Another story."}),
        at(3),
    );
    assert_eq!(v, unique());
}

#[test]
fn url_duplicate_with_url_derived_ids() {
    // Without producer ids, both copies get the URL-hash id; the verdict still names the head.
    let d = dedup(100);
    let (v1, id1) = check(
        &d,
        json!({"url": "https://example.com/a", "body": "One."}),
        at(1),
    );
    let (v2, id2) = check(
        &d,
        json!({"url": "https://www.example.com/a/", "body": "Two."}),
        at(2),
    );
    assert_eq!(id1, id2);
    assert_eq!(v1, unique());
    assert_eq!(v2, duplicate_of(&id1, MatchedOn::Url));
}

#[test]
fn copy_matching_only_the_url_of_a_text_duplicate_points_at_the_cluster_head() {
    let d = dedup(100);
    let (v, _) = check(
        &d,
        json!({"id": "head", "url": "https://example.com/original", "body": STORY}),
        at(1),
    );
    assert_eq!(v, unique());
    // Same text, new URL: a text duplicate of the head; its URL joins the head's cluster.
    let (v, _) = check(
        &d,
        json!({"id": "mirror", "url": "https://mirror.example.net/copy", "body": STORY.to_lowercase()}),
        at(2),
    );
    assert_eq!(v, duplicate_of("head", MatchedOn::Text));
    // New text, but the mirror's URL: points at the head, not at the mirror.
    let (v, _) = check(
        &d,
        json!({"id": "third", "url": "https://www.mirror.example.net/copy?utm_medium=x", "body": "Rewritten."}),
        at(3),
    );
    assert_eq!(v, duplicate_of("head", MatchedOn::Url));
}

#[test]
fn copy_matching_only_the_text_of_a_url_duplicate_points_at_the_cluster_head() {
    let d = dedup(100);
    check(
        &d,
        json!({"id": "head", "url": "https://example.com/a", "body": "Original text."}),
        at(1),
    );
    let (v, _) = check(
        &d,
        json!({"id": "update", "url": "https://example.com/a", "body": "Corrected text."}),
        at(2),
    );
    assert_eq!(v, duplicate_of("head", MatchedOn::Url));
    let (v, _) = check(
        &d,
        json!({"id": "copy", "body": "CORRECTED   text."}),
        at(3),
    );
    assert_eq!(v, duplicate_of("head", MatchedOn::Text));
}

#[test]
fn redelivery_of_the_same_message_is_unique_again() {
    let d = dedup(100);
    let msg = json!({"id": "a1", "url": "https://example.com/a", "body": STORY});
    let (v, _) = check(&d, msg.clone(), at(7));
    assert_eq!(v, unique());
    for _ in 0..3 {
        let (v, _) = check(&d, msg.clone(), at(7));
        assert_eq!(
            v,
            unique(),
            "a replay of offset 7 is not a duplicate of itself"
        );
    }
}

#[test]
fn redelivery_of_a_content_id_message_is_unique_again() {
    let d = dedup(100);
    let msg = json!({ "body": STORY });
    assert_eq!(check(&d, msg.clone(), at(7)).0, unique());
    assert_eq!(check(&d, msg, at(7)).0, unique());
}

#[test]
fn same_content_at_another_position_is_a_duplicate() {
    // Content-hash ids: both copies have the same id; only the position tells them apart.
    let msg = json!({ "body": STORY });
    let positions = [
        at(8),
        At {
            partition: 1,
            ..at(7)
        },
        At {
            topic: "other-topic",
            ..at(7)
        },
    ];
    for other in positions {
        let d = dedup(100);
        let (v, id) = check(&d, msg.clone(), at(7));
        assert_eq!(v, unique());
        let (v, id2) = check(&d, msg.clone(), other);
        assert_eq!(id, id2);
        assert_eq!(v, duplicate_of(&id, MatchedOn::Text));
    }
}

#[test]
fn redelivery_of_a_duplicate_gets_the_same_verdict_again() {
    let d = dedup(100);
    check(&d, json!({"id": "a1", "body": STORY}), at(1));
    let copy = json!({"id": "a2", "body": STORY.to_uppercase()});
    let first = check(&d, copy.clone(), at(2)).0;
    let replay = check(&d, copy, at(2)).0;
    assert_eq!(first, duplicate_of("a1", MatchedOn::Text));
    assert_eq!(replay, first);
}

#[test]
fn redelivery_of_a_url_duplicate_repeats_matched_on_url() {
    // The copy matched on URL, but its (new) text key is stored too; a replay must not now be
    // reported as a text match.
    let d = dedup(100);
    check(
        &d,
        json!({"id": "head", "url": "https://example.com/a", "body": "Original text."}),
        at(1),
    );
    let update = json!({"id": "update", "url": "https://example.com/a", "body": "Corrected text."});
    let first = check(&d, update.clone(), at(2)).0;
    assert_eq!(first, duplicate_of("head", MatchedOn::Url));
    let replay = check(&d, update, at(2)).0;
    assert_eq!(replay, first);
}

fn body(i: usize) -> Value {
    json!({"id": format!("n{i}"), "body": format!("Story number {i} about something.")})
}

#[test]
fn window_remembers_up_to_capacity() {
    let d = dedup(2);
    check(&d, body(0), at(0));
    check(&d, body(1), at(1));
    assert_eq!(d.remembered(), 2);
    // Both still remembered: a re-send of the first (new position, new id) is a duplicate.
    let (v, _) = check(
        &d,
        json!({"id": "resend", "body": "Story number 0 about something."}),
        at(10),
    );
    assert_eq!(v, duplicate_of("n0", MatchedOn::Text));
}

#[test]
fn window_evicts_the_oldest_key_first() {
    let d = dedup(2);
    for i in 0..3 {
        assert_eq!(check(&d, body(i), at(i as i64)).0, unique());
        assert!(d.remembered() <= 2);
    }
    assert_eq!(d.remembered(), 2);
    // n0 was evicted: unique again. n2 is still remembered.
    let (v, _) = check(
        &d,
        json!({"id": "resend-2", "body": "Story number 2 about something."}),
        at(11),
    );
    assert_eq!(v, duplicate_of("n2", MatchedOn::Text));
    let (v, _) = check(
        &d,
        json!({"id": "resend-0", "body": "Story number 0 about something."}),
        at(10),
    );
    assert_eq!(v, unique());
}

#[test]
fn window_counts_url_keys_too() {
    // An article with a URL uses two keys; with capacity 2 the next such article evicts both.
    let d = dedup(2);
    check(
        &d,
        json!({"id": "a", "url": "https://example.com/a", "body": "Text A."}),
        at(0),
    );
    assert_eq!(d.remembered(), 2);
    check(
        &d,
        json!({"id": "b", "url": "https://example.com/b", "body": "Text B."}),
        at(1),
    );
    assert_eq!(d.remembered(), 2);
    let (v, _) = check(
        &d,
        json!({"id": "a2", "url": "https://example.com/a", "body": "Text A."}),
        at(2),
    );
    assert_eq!(v, unique());
}

#[test]
fn capacity_zero_remembers_nothing() {
    let d = dedup(0);
    for offset in 0..3 {
        let (v, _) = check(
            &d,
            json!({"url": "https://example.com/a", "body": STORY}),
            at(offset),
        );
        assert_eq!(v, unique());
        assert_eq!(d.remembered(), 0);
    }
}

/// Each thread sends every text once from its own partition, in its own order; returns, per
/// normalised text, how many copies were called unique, and checks that duplicates point at the
/// copy that was.
fn run_concurrently(
    stage: &ExactDedup,
    texts: &[String],
    threads: usize,
) -> HashMap<String, usize> {
    let verdicts: Vec<Vec<(String, String, Dedup)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let stage: &dyn Stage = stage;
                    let n = texts.len();
                    let mut out = Vec::with_capacity(n);
                    for k in 0..n {
                        // Different start and stride per thread to vary the interleaving.
                        let i = (k * (2 * t + 1) + t * 7) % n;
                        let i = if gcd(2 * t + 1, n) == 1 { i } else { k };
                        let id = format!("t{t}-{i}");
                        let (v, _) = check(
                            stage,
                            json!({"id": id, "body": texts[i]}),
                            At {
                                topic: "articles",
                                partition: t as i32,
                                offset: k as i64,
                            },
                        );
                        out.push((normalise_text(&texts[i]), id, v));
                    }
                    out
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut uniques: HashMap<String, usize> = HashMap::new();
    let mut head_of: HashMap<String, String> = HashMap::new();
    for (norm, id, v) in verdicts.iter().flatten() {
        if v.status == DedupStatus::Unique {
            *uniques.entry(norm.clone()).or_default() += 1;
            head_of.insert(norm.clone(), id.clone());
        }
    }
    for (norm, id, v) in verdicts.iter().flatten() {
        match v.status {
            DedupStatus::Unique => {}
            DedupStatus::ExactDuplicate => {
                assert_eq!(v.matched_on, Some(MatchedOn::Text));
                assert_eq!(
                    v.duplicate_of.as_ref(),
                    head_of.get(norm),
                    "{id} points at the wrong head"
                );
            }
            DedupStatus::NotChecked => panic!("{id} was not checked"),
        }
    }
    uniques
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[test]
fn concurrent_use_calls_each_distinct_text_unique_exactly_once() {
    let texts: Vec<String> = (0..300)
        .map(|i| format!("Concurrent story {i}: the council met on day {}.", i * 7))
        .collect();
    for _round in 0..5 {
        let stage = dedup(1_000_000);
        let uniques = run_concurrently(&stage, &texts, 8);
        assert_eq!(uniques.len(), texts.len());
        assert!(
            uniques.values().all(|&n| n == 1),
            "some text was unique more than once: {:?}",
            uniques.iter().filter(|(_, &n)| n != 1).collect::<Vec<_>>()
        );
        assert_eq!(stage.remembered(), texts.len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..ProptestConfig::default()
    })]

    #[test]
    fn concurrent_uniques_equal_distinct_normalised_texts(
        texts in prop::collection::vec(
            prop_oneof![
                "[a-c]{1,3}( [a-c]{1,3}){0,2}",
                "[A-C]{1,3}(  [a-c]{1,3}){0,2}",
                Just("ﬁne".to_owned()),
                Just("FINE".to_owned()),
            ],
            1..40,
        ),
        threads in 1usize..6,
    ) {
        let stage = dedup(1_000_000);
        let uniques = run_concurrently(&stage, &texts, threads);
        let distinct: HashSet<String> = texts.iter().map(|t| normalise_text(t)).collect();
        prop_assert_eq!(uniques.len(), distinct.len());
        prop_assert!(uniques.values().all(|&n| n == 1), "{:?}", uniques);
    }
}

// ---------------------------------------------------------------------------------------------
// The BBC dataset
// ---------------------------------------------------------------------------------------------

fn bbc_dir() -> Option<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/bbc-news");
    ["train.csv", "val.csv", "test.csv"]
        .iter()
        .all(|f| dir.join(f).is_file())
        .then_some(dir)
}

#[test]
fn bbc_exact_duplicates_agree_with_an_independent_count() {
    let Some(dir) = bbc_dir() else {
        eprintln!("skipping: ../shared/data/bbc-news/{{train,val,test}}.csv not present");
        return;
    };
    let mut texts = Vec::new();
    for split in ["train", "val", "test"] {
        let mut reader = csv::Reader::from_path(dir.join(format!("{split}.csv"))).unwrap();
        let headers = reader.headers().unwrap().clone();
        let col = headers
            .iter()
            .position(|h| h == "text")
            .expect("a `text` column");
        for row in reader.records() {
            texts.push(row.unwrap()[col].to_owned());
        }
    }
    assert_eq!(texts.len(), 2225, "the dataset README says 2,225 articles");

    // Independent counts.
    let mut seen_raw = HashSet::new();
    let raw_dups = texts
        .iter()
        .filter(|t| !seen_raw.insert(t.as_str()))
        .count();
    let mut seen_norm = HashSet::new();
    let norm_dups = texts
        .iter()
        .filter(|t| !seen_norm.insert(normalise_text(t)))
        .count();

    // Through the real pipeline, as a worker would see the messages.
    let enricher = Enricher::new(
        Pipeline::from_kinds(StageKind::DEFAULT, &StageSettings::default()),
        Limits::default(),
        16 << 20,
    );
    let now = Utc::now();
    let mut stage_dups = 0;
    for (offset, text) in texts.iter().enumerate() {
        let msg = RawMessage {
            topic: Some("bbc-news".into()),
            partition: Some(0),
            offset: Some(offset as i64),
            payload: Some(json!({ "body": text }).to_string().into_bytes()),
            ..RawMessage::default()
        };
        match enricher.enrich(&msg, now) {
            Outcome::Enriched(out) => {
                if out.dedup_status == DedupStatus::ExactDuplicate {
                    stage_dups += 1;
                } else {
                    assert_eq!(out.dedup_status, DedupStatus::Unique);
                }
            }
            Outcome::DeadLetter(dl) => panic!("row {offset} dead-lettered: {dl:?}"),
        }
    }
    println!(
        "BBC news: {} articles, {raw_dups} byte-identical repeats, {norm_dups} repeats after \
         normalise_text, {stage_dups} flagged exact_duplicate by the dedup stage",
        texts.len()
    );
    assert_eq!(
        raw_dups, 100,
        "the dataset README says 100 exact-duplicate texts"
    );
    assert!(norm_dups >= raw_dups);
    assert_eq!(stage_dups, norm_dups);
}
