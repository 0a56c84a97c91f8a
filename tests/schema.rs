//! The JSON Schemas in `schemas/` against what the code really reads and writes.
//!
//! * `enriched-record.schema.json` must accept every record the worker produces (library and
//!   binary) and reject records with a missing or unknown field, so a change to
//!   [`news_enricher_core::record::EnrichedRecord`] that breaks the contract fails here.
//! * `article-input.schema.json` must agree with [`news_enricher_core::article::decode`] on JSON
//!   inputs, wherever the schema can express the decoder's rule.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{TimeZone, Utc};
use jsonschema::{Draft, Validator};
use news_enricher::config::DEFAULT_MAX_OUTPUT_BYTES;
use news_enricher_core::article::{decode, Limits};
use news_enricher_core::enrich::{Enricher, Outcome};
use news_enricher_core::message::RawMessage;
use news_enricher_core::pipeline::{Pipeline, StageKind, StageSettings};
use serde_json::{json, Value};

const INPUT_SCHEMA: &str = "schemas/article-input.schema.json";
const OUTPUT_SCHEMA: &str = "schemas/enriched-record.schema.json";

fn manifest_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn load_schema(relative: &str) -> Value {
    let path = manifest_path(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// A draft 2020-12 validator with `format` checked (not just annotated).
fn validator(relative: &str) -> Validator {
    let schema = load_schema(relative);
    if let Err(e) = jsonschema::draft202012::meta::validate(&schema) {
        panic!("{relative} is not a valid draft 2020-12 schema: {e}");
    }
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{relative} does not compile: {e}"))
}

fn errors(v: &Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("at `{}`: {e}", e.instance_path))
        .collect()
}

#[track_caller]
fn assert_valid(v: &Validator, instance: &Value) {
    let errs = errors(v, instance);
    assert!(
        errs.is_empty(),
        "expected valid, got {errs:#?}\ninstance: {instance:#}"
    );
}

#[track_caller]
fn assert_invalid(v: &Validator, instance: &Value, why: &str) {
    assert!(
        !v.is_valid(instance),
        "expected invalid ({why}), but it validates: {instance:#}"
    );
}

fn enricher(kinds: &[StageKind]) -> Enricher {
    Enricher::new(
        Pipeline::from_kinds(kinds, &StageSettings::default()),
        Limits::default(),
        DEFAULT_MAX_OUTPUT_BYTES,
    )
}

fn enrich_to_json(enricher: &Enricher, msg: &RawMessage) -> Value {
    // The same day as the sample inputs' publication and message times: articles without either
    // get this as their event time, and the dedup window spans 7 days of event time, so a later
    // date would make the dated samples too old to remember.
    let now = Utc.with_ymd_and_hms(2024, 4, 12, 13, 4, 5).unwrap()
        + chrono::Duration::nanoseconds(123_456_789);
    match enricher.enrich(msg, now) {
        Outcome::Enriched(out) => {
            let record: Value = serde_json::from_slice(&out.value).expect("record is JSON");
            assert_eq!(record["id"], json!(out.key), "record id is the key");
            record
        }
        Outcome::DeadLetter(dl) => panic!(
            "expected a record for {:?}, got dead letter {dl:?}",
            String::from_utf8_lossy(msg.payload.as_deref().unwrap_or_default())
        ),
    }
}

fn kafka_message(offset: i64, payload: &str) -> RawMessage {
    RawMessage {
        topic: Some("articles.raw".into()),
        partition: Some(3),
        offset: Some(offset),
        timestamp_ms: Some(1_712_900_000_123),
        key: Some(b"k".to_vec()),
        payload: Some(payload.as_bytes().to_vec()),
        headers: vec![("trace".into(), Some(b"abc".to_vec()))],
        ..RawMessage::default()
    }
}

fn file_message(line: u64, payload: &str) -> RawMessage {
    RawMessage {
        file: Some("batch.jsonl".into()),
        line: Some(line),
        payload: Some(payload.as_bytes().to_vec()),
        ..RawMessage::default()
    }
}

/// A story long enough (70 words) for near-duplicate detection over 5-word shingles.
const LONG_STORY: &str =
    "The regional water authority announced on Monday that hosepipe restrictions \
    will remain in force across the southern valleys until the end of September, after reservoir \
    levels fell to their lowest point in twenty years. Engineers said leaks in the ageing network \
    still waste nearly a fifth of the supply, and the authority promised to replace ninety miles \
    of pipes before next summer while farmers asked for compensation for lost harvests.";

/// Records from a varied set of inputs through the default pipeline, in order.
fn sample_records() -> Vec<Value> {
    let enricher = enricher(StageKind::DEFAULT);
    let inputs = [
        kafka_message(
            0,
            r#"{"id":"aj-1","url":"https://www.example.com/news/1?utm_source=x","source":"Al Jazeera","title":"Talks","language":"en","published_at":"2024-04-12T10:15:30.5+02:00","body":"Blinken spoke with his Turkish counterpart."}"#,
        ),
        kafka_message(
            1,
            r#"{"text":"Unknown fields are kept.","section":"world","tags":["a","b"],"meta":{"n":1,"ok":true}}"#,
        ),
        kafka_message(
            2,
            r#"{"id":42,"body":"Numeric ids become strings.","published_at":"2024-04-12"}"#,
        ),
        file_message(
            1,
            r#"{"url":"http://example.org/story/","body":"Only a URL identifies this one.","title":null}"#,
        ),
        file_message(2, "Plain text without any date header, just words."),
        file_message(3, " date 2024-04-12 Plain text with a date header."),
        // Same text as the first input, different case and layout: a text duplicate.
        file_message(
            4,
            r#"{"id":"copy","body":"  BLINKEN spoke with his\nturkish   counterpart. "}"#,
        ),
        // Same canonical URL as the URL-only input: a URL duplicate.
        kafka_message(
            3,
            r#"{"url":"https://example.org/story?utm_medium=rss","body":"Different words entirely."}"#,
        ),
        // Both `body` and `text`: `text` is kept in `extra`.
        kafka_message(4, r#"{"body":"Body wins.","text":"kept as extra","id":-7}"#),
        // A long story, then the same story with a sign-off appended: a near duplicate.
        kafka_message(5, &json!({"id": "long", "body": LONG_STORY}).to_string()),
        kafka_message(
            6,
            &json!({"id": "long-syndicated", "body": format!("{LONG_STORY}\n\nReporting by the regional desk.")})
                .to_string(),
        ),
    ];
    inputs
        .iter()
        .map(|m| enrich_to_json(&enricher, m))
        .collect()
}

#[test]
fn both_schemas_are_valid_draft_2020_12_schemas() {
    validator(INPUT_SCHEMA);
    validator(OUTPUT_SCHEMA);
    for relative in [INPUT_SCHEMA, OUTPUT_SCHEMA] {
        let schema = load_schema(relative);
        assert_eq!(
            schema["$schema"],
            json!("https://json-schema.org/draft/2020-12/schema"),
            "{relative} declares draft 2020-12"
        );
        assert!(
            schema["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{relative} has a description"
        );
    }
    let input = load_schema(INPUT_SCHEMA);
    let description = input["description"].as_str().unwrap();
    assert!(
        description.contains("plain") && description.contains("date YYYY-MM-DD"),
        "input schema mentions the plain-text form: {description}"
    );
}

#[test]
fn binary_output_for_the_seed_article_matches_the_schema() {
    let v = validator(OUTPUT_SCHEMA);
    let seed = manifest_path("data/demo/seed-article.txt");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_news-enricher"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("NEWS_ENRICHER_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .arg("enrich")
        .arg(&seed)
        .output()
        .expect("run news-enricher");
    let stdout = String::from_utf8(out.stdout).expect("stdout is UTF-8");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}; stderr:\n{stderr}",
        out.status
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one record expected, stdout:\n{stdout}");
    let record: Value = serde_json::from_str(lines[0]).expect("record is JSON");
    assert_valid(&v, &record);
    assert_eq!(
        record["article"]["published_at"],
        json!("2024-04-12T00:00:00Z")
    );
    assert_eq!(record["article"]["format"], json!("plain_text"));
    assert_eq!(record["article"]["id_source"], json!("content"));
    let body = record["article"]["body"].as_str().unwrap();
    assert!(
        body.starts_with("According to Al Jazeera"),
        "body: {body:.80}"
    );
    assert_eq!(record["dedup"]["status"], json!("unique"));
    assert_eq!(record["dedup"]["cluster_id"], record["id"]);
    // The embedded post the article quotes twice: the repeatedParagraph shape is exercised.
    let repeated = record["dedup"]["repeated_paragraphs"].as_array().unwrap();
    assert_eq!(repeated.len(), 1, "{repeated:?}");
    assert_eq!(
        repeated[0].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["start", "end", "first_start", "first_end", "similarity"]
    );
    assert_eq!(record["id"], record["article"]["id"]);
    assert_eq!(record["provenance"]["file"], json!(seed.to_str().unwrap()));
    assert_eq!(record["provenance"]["line"], json!(1));
    assert_eq!(
        record["provenance"]["stages"],
        json!(["dedup", "entities", "claims", "stance"])
    );
    // The entity shape is exercised: the seed article names people with roles and countries.
    let entities = record["entities"].as_array().unwrap();
    assert!(
        entities.iter().any(|e| e["role"].is_string()),
        "{entities:?}"
    );
    assert!(
        entities.iter().any(|e| e["country"].is_string()),
        "{entities:?}"
    );
    // And the claim and stance shapes: the seed article has both, a claim with a repeat among
    // them (the embedded post), and every stance names a claim.
    let claims = record["claims"].as_array().unwrap();
    assert!(
        claims
            .iter()
            .any(|c| !c["repeats"].as_array().unwrap().is_empty()),
        "{claims:?}"
    );
    let stances = record["stances"].as_array().unwrap();
    assert!(!stances.is_empty(), "the seed article has stances");
    for s in stances {
        assert!(s["claim"].as_u64().unwrap() < claims.len() as u64);
    }
}

#[test]
fn library_records_for_varied_inputs_match_the_schema() {
    let v = validator(OUTPUT_SCHEMA);
    let records = sample_records();
    for record in &records {
        assert_valid(&v, record);
        assert_eq!(record["id"], record["article"]["id"]);
    }
    // The inputs really did cover what they claim to.
    let first = &records[0];
    assert_eq!(first["article"]["id_source"], json!("given"));
    assert_eq!(
        first["article"]["canonical_url"],
        json!("https://example.com/news/1")
    );
    assert_eq!(
        first["article"]["published_at"],
        json!("2024-04-12T08:15:30.500Z")
    );
    assert_eq!(first["provenance"]["partition"], json!(3));
    assert!(first["provenance"]["message_timestamp"].is_string());
    assert!(first["provenance"].get("file").is_none());
    assert_eq!(
        records[1]["article"]["extra"],
        json!({"section":"world","tags":["a","b"],"meta":{"n":1,"ok":true}})
    );
    assert!(records[0]["article"].get("extra").is_none());
    assert_eq!(records[2]["id"], json!("42"));
    assert_eq!(records[3]["article"]["id_source"], json!("url"));
    assert_eq!(records[3]["provenance"]["file"], json!("batch.jsonl"));
    assert_eq!(records[4]["article"]["id_source"], json!("content"));
    assert_eq!(records[4]["article"]["published_at"], Value::Null);
    assert_eq!(
        records[5]["article"]["published_at"],
        json!("2024-04-12T00:00:00Z")
    );
    assert_eq!(records[6]["dedup"]["status"], json!("exact_duplicate"));
    assert_eq!(records[6]["dedup"]["duplicate_of"], json!("aj-1"));
    assert_eq!(records[6]["dedup"]["matched_on"], json!("text"));
    assert_eq!(records[7]["dedup"]["status"], json!("exact_duplicate"));
    assert_eq!(records[7]["dedup"]["duplicate_of"], records[3]["id"]);
    assert_eq!(records[7]["dedup"]["matched_on"], json!("url"));
    assert_eq!(records[8]["id"], json!("-7"));
    assert_eq!(
        records[8]["article"]["extra"],
        json!({"text":"kept as extra"})
    );
    assert_eq!(records[6]["dedup"]["similarity"], json!(1.0));
    assert_eq!(records[6]["dedup"]["cluster_id"], json!("aj-1"));
    assert_eq!(records[7]["dedup"]["cluster_id"], records[3]["id"]);
    assert_eq!(records[9]["dedup"]["status"], json!("unique"));
    let near = &records[10]["dedup"];
    assert_eq!(near["status"], json!("near_duplicate"), "{near}");
    assert_eq!(near["duplicate_of"], json!("long"));
    assert_eq!(near["cluster_id"], json!("long"));
    assert_eq!(near["matched_on"], json!("minhash"));
    let similarity = near["similarity"].as_f64().expect("a number");
    assert!((0.8..1.0).contains(&similarity), "{similarity}");
    for r in records[..6].iter().chain([&records[9]]) {
        assert_eq!(r["dedup"]["status"], json!("unique"), "{r}");
        assert_eq!(r["dedup"]["cluster_id"], r["id"], "{r}");
        assert_eq!(r["dedup"]["similarity"], Value::Null, "{r}");
    }
    for r in &records {
        assert_eq!(r["dedup"]["repeated_paragraphs"], json!([]), "{r}");
    }

    // No stages at all: dedup is `not_checked`, still a valid record.
    let passthrough = enrich_to_json(
        &enricher(&[]),
        &kafka_message(9, r#"{"body":"Passthrough."}"#),
    );
    assert_valid(&v, &passthrough);
    assert_eq!(passthrough["dedup"]["status"], json!("not_checked"));
    assert_eq!(passthrough["dedup"]["cluster_id"], Value::Null);
    assert_eq!(passthrough["provenance"]["stages"], json!([]));
}

/// A copy of `record` changed by `f`.
fn mutate(record: &Value, f: impl FnOnce(&mut Value)) -> Value {
    let mut r = record.clone();
    f(&mut r);
    r
}

#[test]
fn records_with_missing_or_unknown_fields_do_not_validate() {
    let v = validator(OUTPUT_SCHEMA);
    let records = sample_records();
    let base = &records[0];
    assert_valid(&v, base);

    // Every top-level field is required.
    for field in base.as_object().unwrap().keys() {
        let r = mutate(base, |r| {
            r.as_object_mut().unwrap().remove(field);
        });
        assert_invalid(&v, &r, &format!("top-level `{field}` removed"));
    }
    // Every article, dedup and provenance field that is always written is required.
    for section in ["article", "dedup", "provenance"] {
        for field in base[section].as_object().unwrap().keys() {
            let r = mutate(base, |r| {
                r[section].as_object_mut().unwrap().remove(field);
            });
            assert_invalid(&v, &r, &format!("`{section}.{field}` removed"));
        }
    }
    // Unknown fields are rejected everywhere except `article.extra`.
    let unknown = [
        mutate(base, |r| r["surprise"] = json!(1)),
        mutate(base, |r| r["article"]["surprise"] = json!(1)),
        mutate(base, |r| r["dedup"]["surprise"] = json!(1)),
        mutate(base, |r| r["provenance"]["surprise"] = json!(1)),
    ];
    for r in &unknown {
        assert_invalid(&v, r, "unknown field");
    }
    assert_valid(
        &v,
        &mutate(base, |r| {
            r["article"]["extra"] = json!({"anything": [1, {"x": null}]})
        }),
    );

    // Wrong values.
    let wrong = [
        (
            mutate(base, |r| r["schema_version"] = json!(1)),
            "schema_version 1 (before near-duplicates)",
        ),
        (mutate(base, |r| r["id"] = json!(42)), "numeric id"),
        (
            mutate(base, |r| r["article"]["id_source"] = json!("producer")),
            "id_source",
        ),
        (
            mutate(base, |r| r["article"]["format"] = json!("xml")),
            "format",
        ),
        (
            mutate(base, |r| r["article"]["body"] = json!("  ")),
            "blank body",
        ),
        (
            mutate(base, |r| r["article"]["url"] = json!(5)),
            "numeric url",
        ),
        (
            mutate(base, |r| r["article"]["published_at"] = json!("2024-04-12")),
            "bare date in output",
        ),
        (
            mutate(base, |r| {
                r["article"]["published_at"] = json!("2024-04-12T10:00:00+02:00")
            }),
            "non-UTC timestamp",
        ),
        (
            mutate(base, |r| r["article"]["extra"] = json!({})),
            "empty extra is never written",
        ),
        (
            mutate(base, |r| r["dedup"]["status"] = json!("duplicate")),
            "status",
        ),
        (
            mutate(base, |r| r["dedup"]["status"] = json!("near_duplicate")),
            "near duplicate without duplicate_of",
        ),
        (
            mutate(base, |r| r["dedup"]["status"] = json!("exact_duplicate")),
            "duplicate without duplicate_of",
        ),
        (
            mutate(base, |r| r["dedup"]["duplicate_of"] = json!("x")),
            "unique with duplicate_of",
        ),
        (
            mutate(base, |r| r["dedup"]["matched_on"] = json!("title")),
            "matched_on",
        ),
        (
            mutate(base, |r| r["dedup"]["matched_on"] = json!("minhash")),
            "unique with matched_on",
        ),
        (
            mutate(base, |r| r["dedup"]["similarity"] = json!(0.5)),
            "unique with similarity",
        ),
        (
            mutate(base, |r| r["dedup"]["cluster_id"] = Value::Null),
            "unique without cluster_id",
        ),
        (
            mutate(base, |r| r["dedup"]["cluster_id"] = json!(" ")),
            "blank cluster_id",
        ),
        (
            mutate(base, |r| {
                r["dedup"].as_object_mut().unwrap().remove("cluster_id");
            }),
            "cluster_id missing",
        ),
        (
            mutate(base, |r| r["dedup"]["repeated_paragraphs"] = Value::Null),
            "repeated_paragraphs null",
        ),
        (
            mutate(base, |r| r["dedup"]["repeated_paragraphs"] = json!([{}])),
            "empty repeated paragraph",
        ),
        (
            mutate(base, |r| r["entities"] = json!({})),
            "entities not an array",
        ),
        (mutate(base, |r| r["stances"] = Value::Null), "stances null"),
        (mutate(base, |r| r["claims"] = Value::Null), "claims null"),
        (
            mutate(base, |r| r["claims"] = json!([{"kind": "direct_quote"}])),
            "claim without content",
        ),
        (
            mutate(base, |r| r["provenance"]["offset"] = json!("7")),
            "string offset",
        ),
        (
            mutate(base, |r| r["provenance"]["partition"] = json!(-1)),
            "negative partition",
        ),
        (
            mutate(base, |r| r["provenance"]["line"] = json!(0)),
            "line 0 without file",
        ),
        (
            mutate(base, |r| {
                r["provenance"]["processed_at"] = json!("yesterday")
            }),
            "processed_at",
        ),
        (
            mutate(base, |r| r["provenance"]["stages"] = json!([1])),
            "stage not a string",
        ),
    ];
    for (r, why) in &wrong {
        assert_invalid(&v, r, why);
    }
}

#[test]
fn duplicate_verdicts_are_checked_strictly() {
    let v = validator(OUTPUT_SCHEMA);
    let records = sample_records();
    let (exact, near) = (&records[6], &records[10]);
    assert_eq!(near["dedup"]["status"], json!("near_duplicate"));
    assert_valid(&v, exact);
    assert_valid(&v, near);
    let paragraph =
        json!({"start": 40, "end": 80, "first_start": 0, "first_end": 38, "similarity": 0.9});
    assert_valid(
        &v,
        &mutate(near, |r| {
            r["dedup"]["repeated_paragraphs"] = json!([paragraph])
        }),
    );
    // An exact duplicate may also be found by URL; its similarity is 1 (written `1.0`).
    assert_valid(
        &v,
        &mutate(exact, |r| r["dedup"]["matched_on"] = json!("url")),
    );
    assert_valid(&v, &mutate(exact, |r| r["dedup"]["similarity"] = json!(1)));

    // Every dedup field of a near duplicate is required too.
    for field in near["dedup"].as_object().unwrap().keys() {
        let r = mutate(near, |r| {
            r["dedup"].as_object_mut().unwrap().remove(field);
        });
        assert_invalid(&v, &r, &format!("near duplicate without `dedup.{field}`"));
    }
    let wrong = [
        (
            mutate(near, |r| r["dedup"]["duplicate_of"] = Value::Null),
            "near without duplicate_of",
        ),
        (
            mutate(near, |r| r["dedup"]["duplicate_of"] = json!("")),
            "near with empty duplicate_of",
        ),
        (
            mutate(near, |r| r["dedup"]["matched_on"] = json!("text")),
            "near matched on text",
        ),
        (
            mutate(near, |r| r["dedup"]["matched_on"] = Value::Null),
            "near without matched_on",
        ),
        (
            mutate(near, |r| r["dedup"]["similarity"] = Value::Null),
            "near without similarity",
        ),
        (
            mutate(near, |r| r["dedup"]["similarity"] = json!(1.01)),
            "similarity above 1",
        ),
        (
            mutate(near, |r| r["dedup"]["similarity"] = json!(-0.1)),
            "negative similarity",
        ),
        (
            mutate(near, |r| r["dedup"]["similarity"] = json!("0.9")),
            "similarity as a string",
        ),
        (
            mutate(near, |r| r["dedup"]["cluster_id"] = Value::Null),
            "near without cluster_id",
        ),
        (
            mutate(exact, |r| r["dedup"]["matched_on"] = json!("minhash")),
            "exact matched on minhash",
        ),
        (
            mutate(exact, |r| r["dedup"]["similarity"] = json!(0.95)),
            "exact with similarity < 1",
        ),
        (
            mutate(exact, |r| r["dedup"]["similarity"] = Value::Null),
            "exact without similarity",
        ),
        (
            mutate(exact, |r| r["dedup"]["cluster_id"] = Value::Null),
            "exact without cluster_id",
        ),
        (
            mutate(exact, |r| r["dedup"]["duplicate_of"] = Value::Null),
            "exact without duplicate_of",
        ),
    ];
    for (r, why) in &wrong {
        assert_invalid(&v, r, why);
    }
    let bad_paragraphs = [
        mutate(&paragraph, |p| p["start"] = json!(-1)),
        mutate(&paragraph, |p| p["end"] = json!(1.5)),
        mutate(&paragraph, |p| p["similarity"] = json!(2)),
        mutate(&paragraph, |p| p["extra"] = json!(0)),
        mutate(&paragraph, |p| {
            p.as_object_mut().unwrap().remove("first_end");
        }),
        json!([1, 2]),
    ];
    for p in &bad_paragraphs {
        let r = mutate(near, |r| r["dedup"]["repeated_paragraphs"] = json!([p]));
        assert_invalid(&v, &r, &format!("repeated paragraph {p}"));
    }

    // Not checked: everything null, nothing repeated reported.
    let passthrough = enrich_to_json(
        &enricher(&[]),
        &kafka_message(9, r#"{"body":"Passthrough."}"#),
    );
    assert_valid(&v, &passthrough);
    for (r, why) in [
        (
            mutate(&passthrough, |r| r["dedup"]["cluster_id"] = json!("x")),
            "not_checked with cluster_id",
        ),
        (
            mutate(&passthrough, |r| r["dedup"]["similarity"] = json!(1)),
            "not_checked with similarity",
        ),
        (
            mutate(&passthrough, |r| {
                r["dedup"]["repeated_paragraphs"] = json!([paragraph])
            }),
            "not_checked with repeated paragraphs",
        ),
    ] {
        assert_invalid(&v, &r, why);
    }
}

#[test]
fn input_schema_accepts_good_and_rejects_bad_json_articles() {
    let v = validator(INPUT_SCHEMA);
    let good = [
        json!({"body": "text"}),
        json!({"text": "text"}),
        json!({"body": null, "text": "text"}),
        json!({
            "id": "a-1", "url": "https://example.com/a", "source": "S", "title": "T",
            "language": "en", "published_at": "2024-04-12T10:00:00Z", "body": "b"
        }),
        json!({"id": 42, "body": "b", "published_at": "2024-04-12"}),
        json!({"body": "b", "unknown": {"nested": [1, 2]}, "tags": ["x"]}),
        json!({"body": "b", "id": null, "url": null, "published_at": null}),
    ];
    for input in &good {
        assert_valid(&v, input);
    }
    let bad = [
        (json!({}), "missing body"),
        (json!({"title": "only a title"}), "missing body"),
        (json!({"body": ""}), "empty body"),
        (json!({"body": " \n\t "}), "blank body"),
        (json!({"text": "   "}), "blank text"),
        (json!({"body": 5}), "body not a string"),
        (json!({"body": "b", "title": 5}), "title not a string"),
        (json!({"body": "b", "id": 1.5}), "fractional id"),
        (json!({"body": "b", "id": " "}), "blank id"),
        (
            json!({"body": "b", "published_at": "last tuesday"}),
            "bad timestamp",
        ),
        (json!(["body", "b"]), "not an object"),
    ];
    for (input, why) in &bad {
        assert_invalid(&v, input, why);
    }
}

/// JSON inputs on which the schema and the decoder must agree. Each is a JSON object, so the
/// decoder takes its JSON path. Deliberately left out, because the schema cannot or does not
/// express the rule:
///
/// * size limits (`Limits`), which are configuration, not shape;
/// * integral floats (`"id": 1.0`) and integers beyond 64 bits, which JSON Schema calls integers
///   and the decoder (serde_json without arbitrary precision) does not;
/// * `published_at` with surrounding whitespace or chrono-lenient dates (`2024-4-1`), which the
///   decoder trims or tolerates and the schema does not;
/// * duplicate keys and invalid JSON, which have no schema verdict.
fn consistency_cases() -> Vec<Value> {
    vec![
        // Accepted.
        json!({"body": "x"}),
        json!({"text": "x"}),
        json!({"body": "x", "text": "y"}),
        json!({"body": "x", "text": null}),
        json!({"body": null, "text": "x"}),
        json!({"body": "\u{a0}x"}),
        json!({"body": "x", "id": "a"}),
        json!({"body": "x", "id": 42}),
        json!({"body": "x", "id": -7}),
        json!({"body": "x", "id": null}),
        json!({"body": "x", "url": "not a url", "source": "s", "title": "t", "language": "xx"}),
        json!({"body": "x", "url": null, "source": null, "title": null, "language": null}),
        json!({"body": "x", "published_at": "2024-04-12T10:00:00+02:00"}),
        json!({"body": "x", "published_at": "2024-04-12T10:00:00.123456Z"}),
        json!({"body": "x", "published_at": "2024-04-12"}),
        json!({"body": "x", "published_at": "2024-02-29"}),
        json!({"body": "x", "published_at": null}),
        json!({"body": "x", "anything": [1, {"a": null}], "else": false}),
        // Rejected: no usable body.
        json!({}),
        json!({"title": "t"}),
        json!({"body": null}),
        json!({"body": null, "text": null}),
        json!({"body": ""}),
        json!({"body": "   \n\t"}),
        json!({"body": "\u{a0}\u{2003}"}),
        json!({"text": ""}),
        json!({"text": " "}),
        json!({"body": " ", "text": "x"}),
        // Rejected: wrong types.
        json!({"body": 5}),
        json!({"body": ["x"]}),
        json!({"body": {"x": 1}}),
        json!({"text": true}),
        json!({"body": "x", "text": 5}),
        json!({"body": "x", "id": ""}),
        json!({"body": "x", "id": "  "}),
        json!({"body": "x", "id": 1.5}),
        json!({"body": "x", "id": true}),
        json!({"body": "x", "id": ["a"]}),
        json!({"body": "x", "url": 5}),
        json!({"body": "x", "source": 1}),
        json!({"body": "x", "title": {}}),
        json!({"body": "x", "language": false}),
        // Rejected: unparseable timestamps.
        json!({"body": "x", "published_at": "yesterday"}),
        json!({"body": "x", "published_at": "2024-13-01"}),
        json!({"body": "x", "published_at": "2023-02-29"}),
        json!({"body": "x", "published_at": "2024-04-12T25:00:00Z"}),
        json!({"body": "x", "published_at": "2024-04-12T10:00:00"}),
        json!({"body": "x", "published_at": 20240412}),
    ]
}

#[test]
fn input_schema_agrees_with_the_decoder() {
    let v = validator(INPUT_SCHEMA);
    let limits = Limits::default();
    let cases = consistency_cases();
    let mut accepted = 0;
    let mut disagreements = Vec::new();
    for case in &cases {
        let bytes = serde_json::to_vec(case).unwrap();
        let decoded = decode(Some(&bytes), &limits);
        let schema_ok = v.is_valid(case);
        if decoded.is_ok() != schema_ok {
            disagreements.push(format!(
                "{case}: decoder says {decoded:?}, schema says {}",
                if schema_ok {
                    "valid".to_owned()
                } else {
                    errors(&v, case).join("; ")
                }
            ));
        }
        accepted += usize::from(schema_ok);
    }
    assert!(
        disagreements.is_empty(),
        "schema and decoder disagree:\n{}",
        disagreements.join("\n")
    );
    // Keep the list honest: it must exercise both verdicts substantially.
    assert!(accepted >= 10, "only {accepted} accepted cases");
    assert!(
        cases.len() - accepted >= 20,
        "only {} rejected cases",
        cases.len() - accepted
    );
}
