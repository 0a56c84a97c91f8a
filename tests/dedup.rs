//! The dedup stage through the `Stage` interface: text and URL keys, clusters, redelivery versus
//! duplication, the bounded window, concurrent use, and the BBC dataset's known duplicates.
//!
//! Near-duplicates, the event-time horizon and the window's serialised entries are covered at
//! the unit level in `tests/dedup_index.rs`.

mod shared_data;

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use chrono::{TimeZone, Utc};
use news_enricher_core::article::{decode, normalise_text, Limits};
use news_enricher_core::dedup::index::IndexConfig;
use news_enricher_core::dedup::{DedupStage, SharedIndex};
use news_enricher_core::enrich::{Enricher, Outcome};
use news_enricher_core::message::RawMessage;
use news_enricher_core::pipeline::{Pipeline, StageKind, StageSettings};
use news_enricher_core::record::{Dedup, DedupStatus, EnrichedRecord, MatchedOn, Provenance};
use news_enricher_core::stage::{Reading, Stage};
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

/// A record as the worker builds it. Without `published_at` in `input`, the event time is the
/// (fixed) processing time, so every such article falls in the same hour.
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
    let mut reading = Reading::default();
    assert!(reading.take_index_entry().is_none());
    stage
        .process(&mut r, &mut reading)
        .expect("dedup never rejects");
    // What the stage remembers (and the shell publishes to the index topic) is the same verdict.
    // Nothing is published when nothing was remembered (an id already remembered from another
    // position, a window of size 0), which tests/dedup_index.rs covers.
    let Some(entry) = reading.take_index_entry() else {
        return (r.dedup, r.id);
    };
    assert_eq!(entry.id, r.id);
    assert_eq!(entry.verdict.status, r.dedup.status);
    assert_eq!(entry.verdict.duplicate_of, r.dedup.duplicate_of);
    assert_eq!(entry.verdict.matched_on, r.dedup.matched_on);
    assert_eq!(entry.verdict.similarity, r.dedup.similarity);
    assert_eq!(Some(&entry.verdict.cluster_id), r.dedup.cluster_id.as_ref());
    (r.dedup, r.id)
}

fn dedup(max_entries: usize) -> DedupStage {
    DedupStage::new(SharedIndex::new(IndexConfig {
        max_entries,
        ..IndexConfig::default()
    }))
}

fn remembered(stage: &DedupStage) -> usize {
    stage.index().lock().len()
}

fn unique(id: &str) -> Dedup {
    Dedup {
        status: DedupStatus::Unique,
        duplicate_of: None,
        matched_on: None,
        similarity: None,
        cluster_id: Some(id.to_owned()),
        repeated_paragraphs: Vec::new(),
    }
}

/// An exact duplicate of `of` (the most recent remembered copy holding the key) in the cluster
/// whose first article is `cluster`.
fn exact(of: &str, cluster: &str, on: MatchedOn) -> Dedup {
    Dedup {
        status: DedupStatus::ExactDuplicate,
        duplicate_of: Some(of.to_owned()),
        matched_on: Some(on),
        similarity: Some(1.0),
        cluster_id: Some(cluster.to_owned()),
        repeated_paragraphs: Vec::new(),
    }
}

const STORY: &str = "The final office fight in Paris ended with a fine.\nOfficials said so.";

#[test]
fn stage_is_named_dedup() {
    assert_eq!(Stage::name(&dedup(10)), "dedup");
}

#[test]
fn first_article_is_unique_and_heads_its_own_cluster() {
    let d = dedup(100);
    let (v, _) = check(&d, json!({"id": "a1", "body": STORY}), at(1));
    assert_eq!(v, unique("a1"));
    assert_eq!(remembered(&d), 1);
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
    assert_eq!(v, unique("a1"));
    let mut latest = "a1".to_owned();
    for (i, body) in variants.iter().enumerate() {
        let id = format!("copy-{i}");
        let (v, _) = check(&d, json!({"id": id, "body": body}), at(10 + i as i64));
        // Each copy points at the copy before it (the most recent holder of the text key); the
        // cluster stays named after the first article.
        assert_eq!(
            v,
            exact(&latest, "a1", MatchedOn::Text),
            "variant {i}: {body:?}"
        );
        latest = id;
    }
    assert_eq!(remembered(&d), 1 + variants.len());
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
    assert_eq!(v, unique("a2"));
}

#[test]
fn same_canonical_url_with_different_text_is_a_url_duplicate() {
    let d = dedup(100);
    let (v, _) = check(
        &d,
        json!({"id": "a1", "url": "https://example.com/world/1", "body": "First version."}),
        at(1),
    );
    assert_eq!(v, unique("a1"));
    let (v, _) = check(
        &d,
        json!({
            "id": "a2",
            "url": "http://www.example.com/world/1/?utm_source=rss#top",
            "body": "Updated version with a correction.",
        }),
        at(2),
    );
    assert_eq!(v, exact("a1", "a1", MatchedOn::Url));
    // A different path is a different article.
    let (v, _) = check(
        &d,
        json!({"id": "a3", "url": "https://example.com/world/2", "body": "Another story."}),
        at(3),
    );
    assert_eq!(v, unique("a3"));
}

#[test]
fn text_key_is_checked_before_url_key() {
    let d = dedup(100);
    check(
        &d,
        json!({"id": "by-text", "url": "https://example.com/x", "body": STORY}),
        at(1),
    );
    check(
        &d,
        json!({"id": "by-url", "url": "https://example.com/y", "body": "Other words."}),
        at(2),
    );
    // Matches `by-text` on text and `by-url` on URL: text wins.
    let (v, _) = check(
        &d,
        json!({"id": "both", "url": "https://example.com/y", "body": STORY}),
        at(3),
    );
    assert_eq!(v, exact("by-text", "by-text", MatchedOn::Text));
}

#[test]
fn url_duplicate_with_url_derived_ids() {
    // Without producer ids, both copies get the URL-hash id; they are told apart by position, so
    // the copy is a duplicate of the (same-id) first one.
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
    assert_eq!(v1, unique(&id1));
    assert_eq!(v2, exact(&id1, &id1, MatchedOn::Url));
}

#[test]
fn copy_matching_only_the_url_of_a_text_duplicate_points_at_that_copy_in_the_heads_cluster() {
    let d = dedup(100);
    let (v, _) = check(
        &d,
        json!({"id": "head", "url": "https://example.com/original", "body": STORY}),
        at(1),
    );
    assert_eq!(v, unique("head"));
    // Same text, new URL: a text duplicate of the head; its URL joins the head's cluster.
    let (v, _) = check(
        &d,
        json!({"id": "mirror", "url": "https://mirror.example.net/copy", "body": STORY.to_lowercase()}),
        at(2),
    );
    assert_eq!(v, exact("head", "head", MatchedOn::Text));
    // New text, but the mirror's URL: the mirror holds that URL; the cluster is still the head's.
    let (v, _) = check(
        &d,
        json!({"id": "third", "url": "https://www.mirror.example.net/copy?utm_medium=x", "body": "Rewritten."}),
        at(3),
    );
    assert_eq!(v, exact("mirror", "head", MatchedOn::Url));
}

#[test]
fn copy_matching_only_the_text_of_a_url_duplicate_points_at_that_copy_in_the_heads_cluster() {
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
    assert_eq!(v, exact("head", "head", MatchedOn::Url));
    let (v, _) = check(
        &d,
        json!({"id": "copy", "body": "CORRECTED   text."}),
        at(3),
    );
    assert_eq!(v, exact("update", "head", MatchedOn::Text));
}

#[test]
fn redelivery_of_the_same_message_is_unique_again() {
    let d = dedup(100);
    let msg = json!({"id": "a1", "url": "https://example.com/a", "body": STORY});
    let (v, _) = check(&d, msg.clone(), at(7));
    assert_eq!(v, unique("a1"));
    for _ in 0..3 {
        let (v, _) = check(&d, msg.clone(), at(7));
        assert_eq!(
            v,
            unique("a1"),
            "a replay of offset 7 is not a duplicate of itself"
        );
    }
    assert_eq!(remembered(&d), 1, "a redelivery is not remembered twice");
}

#[test]
fn redelivery_of_a_content_id_message_is_unique_again() {
    let d = dedup(100);
    let msg = json!({ "body": STORY });
    let (v, id) = check(&d, msg.clone(), at(7));
    assert_eq!(v, unique(&id));
    assert_eq!(check(&d, msg, at(7)).0, unique(&id));
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
        assert_eq!(v, unique(&id));
        let (v, id2) = check(&d, msg.clone(), other);
        assert_eq!(id, id2);
        assert_eq!(v, exact(&id, &id, MatchedOn::Text));
    }
}

#[test]
fn redelivery_of_a_duplicate_gets_the_same_verdict_again() {
    let d = dedup(100);
    check(&d, json!({"id": "a1", "body": STORY}), at(1));
    let copy = json!({"id": "a2", "body": STORY.to_uppercase()});
    let first = check(&d, copy.clone(), at(2)).0;
    let replay = check(&d, copy, at(2)).0;
    assert_eq!(first, exact("a1", "a1", MatchedOn::Text));
    assert_eq!(replay, first);
}

#[test]
fn redelivery_repeats_the_first_verdict_after_newer_copies_arrived() {
    // a3 takes over the text key from a2; a replay of a2 must still say "copy of a1".
    let d = dedup(100);
    check(&d, json!({"id": "a1", "body": STORY}), at(1));
    let a2 = json!({"id": "a2", "body": STORY.to_uppercase()});
    let first = check(&d, a2.clone(), at(2)).0;
    assert_eq!(first, exact("a1", "a1", MatchedOn::Text));
    let (v, _) = check(&d, json!({"id": "a3", "body": STORY}), at(3));
    assert_eq!(v, exact("a2", "a1", MatchedOn::Text));
    assert_eq!(check(&d, a2, at(2)).0, first);
    // And the first article's replay is still unique, though two copies now hold its key.
    let (v, _) = check(&d, json!({"id": "a1", "body": STORY}), at(1));
    assert_eq!(v, unique("a1"));
    assert_eq!(remembered(&d), 3);
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
    assert_eq!(first, exact("head", "head", MatchedOn::Url));
    let replay = check(&d, update, at(2)).0;
    assert_eq!(replay, first);
}

/// Article `n{i}`, published at `hour` o'clock on the test day.
fn body_at(i: usize, hour: u32) -> Value {
    json!({
        "id": format!("n{i}"),
        "body": format!("Story number {i} about something."),
        "published_at": format!("2024-04-12T{hour:02}:00:00Z"),
    })
}

fn resend(i: usize, hour: u32) -> Value {
    json!({
        "id": format!("resend-{i}"),
        "body": format!("Story number {i} about something."),
        "published_at": format!("2024-04-12T{hour:02}:30:00Z"),
    })
}

#[test]
fn window_remembers_up_to_max_entries() {
    let d = dedup(2);
    check(&d, body_at(0, 0), at(0));
    check(&d, body_at(1, 1), at(1));
    assert_eq!(remembered(&d), 2);
    // Both still remembered: a re-send of the first (new position, new id) is a duplicate.
    let (v, _) = check(&d, resend(0, 2), at(10));
    assert_eq!(v, exact("n0", "n0", MatchedOn::Text));
    assert_eq!(remembered(&d), 2);
}

#[test]
fn window_forgets_the_oldest_in_event_time_first() {
    let d = dedup(2);
    // Arrival order differs from event-time order: n1 is the oldest.
    for (i, hour) in [(0, 5), (1, 3), (2, 7)] {
        assert_eq!(
            check(&d, body_at(i, hour), at(i as i64)).0,
            unique(&format!("n{i}"))
        );
        assert!(remembered(&d) <= 2);
    }
    assert_eq!(remembered(&d), 2);
    let (v, _) = check(&d, resend(1, 9), at(11));
    assert_eq!(
        v,
        unique("resend-1"),
        "n1 (03:00) was the oldest and is forgotten"
    );
    let (v, _) = check(&d, resend(2, 9), at(12));
    assert_eq!(v, exact("n2", "n2", MatchedOn::Text));
}

/// Within one hour, the window should give way in arrival order: every remembered article then
/// stays findable for `max_entries` articles. `DedupIndex::evict_oldest` pops the *last* entry of
/// the oldest bucket (the core's `dedup/index.rs`, `entry.get_mut().pop()`), so when the oldest
/// bucket is the current hour each new article evicts the one remembered just before it, while
/// the first ones stay forever.
#[test]
fn window_at_capacity_within_one_hour_gives_way_in_arrival_order() {
    let d = dedup(3);
    for i in 0..5 {
        check(&d, body_at(i, 4), at(i as i64));
    }
    // FIFO keeps n2, n3, n4; a copy of n3 arriving right after n4 must be found.
    let (v, _) = check(&d, resend(3, 4), at(20));
    assert_eq!(v, exact("n3", "n3", MatchedOn::Text));
    let (v, _) = check(&d, resend(0, 4), at(21));
    assert_eq!(v, unique("resend-0"));
}

#[test]
fn window_counts_articles_not_keys() {
    // An article with a URL has two exact keys but is one entry.
    let d = dedup(2);
    check(
        &d,
        json!({"id": "a", "url": "https://example.com/a", "body": "Text A."}),
        at(0),
    );
    assert_eq!(remembered(&d), 1);
    check(
        &d,
        json!({"id": "b", "url": "https://example.com/b", "body": "Text B."}),
        at(1),
    );
    assert_eq!(remembered(&d), 2);
    let (v, _) = check(
        &d,
        json!({"id": "a2", "url": "https://example.com/a", "body": "Text A."}),
        at(2),
    );
    assert_eq!(v, exact("a", "a", MatchedOn::Text));
    assert_eq!(remembered(&d), 2);
}

#[test]
fn max_entries_zero_remembers_nothing() {
    let d = dedup(0);
    for offset in 0..3 {
        let (v, id) = check(
            &d,
            json!({"url": "https://example.com/a", "body": STORY}),
            at(offset),
        );
        assert_eq!(v, unique(&id));
        assert_eq!(remembered(&d), 0);
    }
}

/// Each thread sends every text once from its own partition, in its own order; returns, per
/// normalised text, how many copies were called unique, and checks that every duplicate is in the
/// cluster of the copy that was, and points at another copy of the same text.
fn run_concurrently(
    stage: &DedupStage,
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
    let mut norm_of: HashMap<String, String> = HashMap::new();
    for (norm, id, v) in verdicts.iter().flatten() {
        norm_of.insert(id.clone(), norm.clone());
        if v.status == DedupStatus::Unique {
            *uniques.entry(norm.clone()).or_default() += 1;
            head_of.insert(norm.clone(), id.clone());
        }
    }
    for (norm, id, v) in verdicts.iter().flatten() {
        match v.status {
            DedupStatus::Unique => assert_eq!(v, &unique(id)),
            DedupStatus::ExactDuplicate => {
                assert_eq!(v.matched_on, Some(MatchedOn::Text));
                assert_eq!(v.similarity, Some(1.0));
                assert_eq!(
                    v.cluster_id.as_ref(),
                    head_of.get(norm),
                    "{id} is in the wrong cluster"
                );
                let of = v.duplicate_of.as_deref().expect("duplicate_of is set");
                assert_ne!(of, id, "{id} is a duplicate of itself");
                assert_eq!(
                    norm_of.get(of),
                    Some(norm),
                    "{id} points at {of}, which has another text"
                );
            }
            DedupStatus::NearDuplicate | DedupStatus::NotChecked => {
                panic!("{id}: unexpected {v:?}")
            }
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
        // Every article (distinct id) is remembered, copies included.
        assert_eq!(remembered(&stage), texts.len() * 8);
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
        prop_assert_eq!(remembered(&stage), texts.len() * threads);
    }
}

// ---------------------------------------------------------------------------------------------
// The BBC dataset
// ---------------------------------------------------------------------------------------------

#[test]
fn bbc_exact_duplicates_agree_with_an_independent_count() {
    let mut texts = Vec::new();
    for split in ["train", "val", "test"] {
        let Some(part) = shared_data::bbc_texts(split) else {
            return;
        };
        texts.extend(part);
    }
    assert_eq!(texts.len(), 2225, "the dataset README says 2,225 articles");

    // Independent counts, and the first row of each normalised text (its cluster).
    let mut seen_raw = HashSet::new();
    let raw_dups = texts
        .iter()
        .filter(|t| !seen_raw.insert(t.as_str()))
        .count();
    let mut first_row: HashMap<String, usize> = HashMap::new();
    let mut norm_dups = 0;
    for (row, t) in texts.iter().enumerate() {
        match first_row.entry(normalise_text(t)) {
            Entry::Occupied(_) => norm_dups += 1,
            Entry::Vacant(v) => {
                v.insert(row);
            }
        }
    }

    // Through the real pipeline, as a worker would see the messages. Ids are distinct per row:
    // the same id from the same position would be a redelivery.
    let enricher = Enricher::new(
        Pipeline::from_kinds(StageKind::DEFAULT, &StageSettings::default()),
        Limits::default(),
        16 << 20,
    );
    let now = Utc::now();
    let (mut stage_dups, mut near_dups) = (0, 0);
    for (row, text) in texts.iter().enumerate() {
        let msg = RawMessage {
            topic: Some("bbc-news".into()),
            partition: Some(0),
            offset: Some(row as i64),
            payload: Some(
                json!({ "id": format!("bbc-{row}"), "body": text })
                    .to_string()
                    .into_bytes(),
            ),
            ..RawMessage::default()
        };
        let out = match enricher.enrich(&msg, now) {
            Outcome::Enriched(out) => out,
            Outcome::DeadLetter(dl) => panic!("row {row} dead-lettered: {dl:?}"),
        };
        assert!(out.publish, "the default policy publishes every article");
        let record: Value = serde_json::from_slice(&out.value).unwrap();
        let cluster = record["dedup"]["cluster_id"].as_str().unwrap().to_owned();
        let cluster_row: usize = cluster.strip_prefix("bbc-").unwrap().parse().unwrap();
        match out.dedup_status {
            DedupStatus::ExactDuplicate => {
                stage_dups += 1;
                assert_eq!(record["dedup"]["matched_on"], json!("text"));
                assert_eq!(
                    cluster_row,
                    first_row[&normalise_text(text)],
                    "row {row}: cluster"
                );
            }
            DedupStatus::NearDuplicate => {
                near_dups += 1;
                assert!(cluster_row < row, "row {row}: cluster {cluster}");
            }
            DedupStatus::Unique => {
                assert_eq!(cluster_row, row);
                assert_eq!(
                    first_row[&normalise_text(text)],
                    row,
                    "row {row} repeats a text"
                );
            }
            DedupStatus::NotChecked => panic!("row {row} not checked"),
        }
    }
    println!(
        "BBC news: {} articles, {raw_dups} byte-identical repeats, {norm_dups} repeats after \
         normalise_text, {stage_dups} flagged exact_duplicate and {near_dups} near_duplicate by \
         the dedup stage",
        texts.len()
    );
    assert_eq!(
        raw_dups, 100,
        "the dataset README says 100 exact-duplicate texts"
    );
    assert!(norm_dups >= raw_dups);
    assert_eq!(stage_dups, norm_dups);
}
