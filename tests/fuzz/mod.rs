//! Arbitrary and adversarial messages through the whole pipeline, shared by the short CI run
//! (`tests/fuzz_pipeline.rs`) and the long one (`cargo bench --bench fuzz_pipeline`).
//!
//! cargo-fuzz needs a nightly toolchain this machine cannot fetch, so this is property-based:
//! proptest generates arbitrary bytes, mutated copies of a real wire article and of JSON
//! messages (quotes of every kind, multi-byte characters at every offset, truncation, deep
//! nesting, huge strings), and the invariants are checked on each:
//! * the worker never panics;
//! * an enriched record is JSON whose every published span cuts its text out of the body at
//!   its char offsets;
//! * a dead letter names a reason and the stage where processing stopped.

#![allow(dead_code)]

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use serde_json::Value;

use news_enricher_core::article::Limits;
use news_enricher_core::enrich::{Enricher, Outcome};
use news_enricher_core::message::RawMessage;
use news_enricher_core::pipeline::{Pipeline, StageKind, StageSettings};

/// The real wire article the project started from (its fixture copy).
pub const SEED: &str = include_str!("../../data/demo/seed-article.txt");

/// An enricher with every stage, as the worker runs by default.
pub fn enricher() -> Enricher {
    enricher_with(StageKind::DEFAULT)
}

/// An enricher with these stages (none: the decoder and the record encoder alone).
pub fn enricher_with(stages: &[StageKind]) -> Enricher {
    Enricher::new(
        Pipeline::from_kinds(stages, &StageSettings::default()),
        Limits::default(),
        16 << 20,
    )
}

/// Pieces that stress quoting, attribution and offsets.
const SHARDS: &[&str] = &[
    "\"",
    "“",
    "”",
    "‘",
    "’",
    "«",
    "»",
    "„",
    "'",
    "\\",
    "\\\"",
    "\n",
    "\n\n",
    " said ",
    " told ",
    ", according to ",
    "Mr ",
    "Biden",
    "Iran",
    "é",
    "ß",
    "🙂",
    "\u{200b}",
    "\u{feff}",
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "date 2024-04-0",
    "\"body\":",
    "\"id\":",
    "null",
    "\u{0}",
    "Ã©",
];

fn mutated(base: String) -> impl Strategy<Value = Vec<u8>> {
    let len = base.len();
    prop::collection::vec((0..=len, 0..SHARDS.len(), 0..4u8, 0..64usize), 0..12).prop_map(
        move |edits| {
            let mut s = base.clone().into_bytes();
            for (at, shard, op, n) in edits {
                let at = at.min(s.len());
                match op {
                    // Insert a shard anywhere, even inside a multi-byte character.
                    0 => {
                        s.splice(at..at, SHARDS[shard].bytes());
                    }
                    // Cut a run.
                    1 => {
                        let end = (at + n).min(s.len());
                        s.drain(at..end);
                    }
                    // Repeat a run.
                    2 => {
                        let end = (at + n).min(s.len());
                        let run: Vec<u8> = s[at..end].to_vec();
                        s.splice(at..at, run);
                    }
                    // Truncate.
                    _ => s.truncate(at),
                }
            }
            s
        },
    )
}

fn json_message() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(
            prop::sample::select(SHARDS.to_vec()).prop_map(str::to_owned),
            0..40,
        ),
        any::<bool>(),
        0..3u8,
    )
        .prop_map(|(parts, with_id, extra)| {
            let body: String = parts.concat();
            let mut v = serde_json::json!({ "body": body });
            if with_id {
                v["id"] = Value::String(format!("a{}", body.len()));
            }
            match extra {
                1 => v["published_at"] = Value::String("2024-04-01T00:00:00Z".into()),
                2 => v["url"] = Value::String(format!("https://example.com/{body}")),
                _ => {}
            }
            v.to_string()
        })
}

fn nested(depth: usize) -> Vec<u8> {
    let mut s = String::with_capacity(depth * 2 + 16);
    s.push_str("{\"body\":");
    s.push_str(&"[".repeat(depth));
    s.push_str(&"]".repeat(depth));
    s.push('}');
    s.into_bytes()
}

/// Every kind of input the run draws from.
pub fn message() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::collection::vec(any::<u8>(), 0..2048),
        4 => mutated(SEED.to_owned()),
        3 => mutated(serde_json::json!({ "id": "seed", "body": SEED }).to_string()),
        3 => json_message().prop_map(String::into_bytes),
        1 => (1usize..5000).prop_map(nested),
        1 => (0usize..50_000).prop_map(|n| {
            format!("{{\"body\":\"{}\"}}", "\u{201c}Iran must not\u{201d}, Mr Biden said. ".repeat(n / 40 + 1))
                .into_bytes()
        }),
    ]
}

/// The published spans of a record: (start, end, text) in chars of the body.
fn spans(record: &Value) -> Vec<(u64, u64, String)> {
    let mut out = Vec::new();
    let mut take = |v: &Value| {
        if let (Some(s), Some(e), Some(t)) =
            (v["start"].as_u64(), v["end"].as_u64(), v["text"].as_str())
        {
            out.push((s, e, t.to_owned()));
        }
    };
    for e in record["entities"].as_array().into_iter().flatten() {
        for m in e["mentions"].as_array().into_iter().flatten() {
            take(m);
        }
    }
    for c in record["claims"].as_array().into_iter().flatten() {
        for k in ["content", "source", "cue"] {
            take(&c[k]);
        }
        for p in c["content_parts"].as_array().into_iter().flatten() {
            take(p);
        }
    }
    for s in record["stances"].as_array().into_iter().flatten() {
        take(&s["evidence"]);
        take(&s["target_mention"]);
    }
    out
}

/// Runs one message through `enricher` and checks the invariants.
pub fn check(enricher: &Enricher, bytes: &[u8]) -> Result<(), TestCaseError> {
    let msg = RawMessage {
        topic: Some("fuzz".into()),
        partition: Some(0),
        offset: Some(bytes.len() as i64),
        payload: Some(bytes.to_vec()),
        ..RawMessage::default()
    };
    let now = Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap();
    match enricher.enrich(&msg, now) {
        Outcome::Enriched(out) => {
            let record: Value = serde_json::from_slice(&out.value)
                .map_err(|e| TestCaseError::fail(format!("output is not JSON: {e}")))?;
            let body: Vec<char> = record["article"]["body"]
                .as_str()
                .ok_or_else(|| TestCaseError::fail("no body"))?
                .chars()
                .collect();
            for (s, e, text) in spans(&record) {
                let cut: Option<String> =
                    body.get(s as usize..e as usize).map(|c| c.iter().collect());
                prop_assert_eq!(cut.as_deref(), Some(text.as_str()), "span {}..{}", s, e);
            }
        }
        Outcome::DeadLetter(dl) => {
            prop_assert!(!dl.reason.is_empty());
            prop_assert!(!dl.stage.is_empty());
        }
    }
    Ok(())
}
