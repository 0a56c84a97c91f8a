//! The stage pipeline (order, first failure wins, contained panics, passthrough) and the
//! per-message `Enricher` (dead letters, output size guard, headers).

use chrono::{DateTime, TimeZone, Utc};
use news_enricher_core::article::{decode, Limits};
use news_enricher_core::dead_letter::{headers as dlq, DeadLetter};
use news_enricher_core::enrich::{headers as out_headers, Enricher, Outcome, Output};
use news_enricher_core::message::{Header, RawMessage};
use news_enricher_core::pipeline::{Pipeline, PipelineError, StageKind, StageSettings};
use news_enricher_core::record::{
    DedupStatus, EnrichedRecord, Provenance, SCHEMA_VERSION, WORKER_VERSION,
};
use news_enricher_core::record::{Entity, EntityType};
use news_enricher_core::stage::{Reading, Stage, StageError};
use news_enricher_core::trace::{TRACEPARENT, TRACESTATE};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// Test stages
// ---------------------------------------------------------------------------------------------

/// An entity named after a test stage: the stages below leave these in `record.entities`, so
/// the order stages ran in is visible.
fn mark(name: &str) -> Entity {
    Entity {
        name: name.to_owned(),
        kind: EntityType::Org,
        mentions: Vec::new(),
        count: 0,
        role: None,
        country_code: None,
        country: None,
    }
}

/// Appends its name to `record.entities`, so the order stages ran in is visible.
struct Mark(&'static str);

impl Stage for Mark {
    fn name(&self) -> &'static str {
        self.0
    }
    fn process(&self, record: &mut EnrichedRecord, _: &mut Reading) -> Result<(), StageError> {
        record.entities.push(mark(self.0));
        Ok(())
    }
}

/// Marks the record, then rejects it.
struct Reject(&'static str);

impl Stage for Reject {
    fn name(&self) -> &'static str {
        self.0
    }
    fn process(&self, record: &mut EnrichedRecord, _: &mut Reading) -> Result<(), StageError> {
        record.entities.push(mark(self.0));
        Err(StageError::Rejected(format!("{} says no", self.0)))
    }
}

/// Panics with a formatted message.
struct Boom(&'static str);

impl Stage for Boom {
    fn name(&self) -> &'static str {
        self.0
    }
    fn process(&self, _record: &mut EnrichedRecord, _: &mut Reading) -> Result<(), StageError> {
        panic!("boom in {}", self.0);
    }
}

/// Panics with a payload that is not a string.
struct BoomAny;

impl Stage for BoomAny {
    fn name(&self) -> &'static str {
        "boom_any"
    }
    fn process(&self, _record: &mut EnrichedRecord, _: &mut Reading) -> Result<(), StageError> {
        std::panic::panic_any(42_u32)
    }
}

/// Requires that the stage named `after` already ran (sees the previous stage's work).
struct Requires {
    name: &'static str,
    after: &'static str,
}

impl Stage for Requires {
    fn name(&self) -> &'static str {
        self.name
    }
    fn process(&self, record: &mut EnrichedRecord, _: &mut Reading) -> Result<(), StageError> {
        if record.entities.last().map(|e| e.name.as_str()) != Some(self.after) {
            return Err(StageError::Rejected(format!("{} has not run", self.after)));
        }
        record.entities.push(mark(self.name));
        Ok(())
    }
}

fn pipeline(stages: Vec<Box<dyn Stage>>) -> Pipeline {
    Pipeline::new(stages)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 4, 12, 9, 0, 0).unwrap()
}

fn record(body: &str) -> EnrichedRecord {
    let raw = json!({"id": "r1", "url": "https://example.com/r1", "body": body}).to_string();
    let article = decode(Some(raw.as_bytes()), &Limits::default()).unwrap();
    EnrichedRecord::new(
        article,
        Provenance {
            topic: Some("articles".into()),
            partition: Some(3),
            offset: Some(42),
            ..Provenance::new(now(), Vec::new())
        },
    )
}

fn marks(record: &EnrichedRecord) -> Vec<&str> {
    record.entities.iter().map(|e| e.name.as_str()).collect()
}

// ---------------------------------------------------------------------------------------------
// Pipeline
// ---------------------------------------------------------------------------------------------

#[test]
fn stages_run_in_order() {
    let p = pipeline(vec![
        Box::new(Mark("a")),
        Box::new(Requires {
            name: "b",
            after: "a",
        }),
        Box::new(Requires {
            name: "c",
            after: "b",
        }),
        Box::new(Mark("d")),
    ]);
    assert_eq!(p.stage_names(), ["a", "b", "c", "d"]);
    let mut r = record("Text.");
    p.run(&mut r).unwrap();
    assert_eq!(marks(&r), ["a", "b", "c", "d"]);
}

#[test]
fn stage_order_is_significant() {
    let p = pipeline(vec![
        Box::new(Requires {
            name: "b",
            after: "a",
        }),
        Box::new(Mark("a")),
    ]);
    let err = p.run(&mut record("Text.")).unwrap_err();
    assert_eq!(err.stage, "b");
}

#[test]
fn first_error_stops_the_run_and_names_its_stage() {
    let p = pipeline(vec![
        Box::new(Mark("a")),
        Box::new(Reject("picky")),
        Box::new(Reject("later")),
        Box::new(Mark("never")),
    ]);
    let mut r = record("Text.");
    let err = p.run(&mut r).unwrap_err();
    assert_eq!(
        err,
        PipelineError {
            stage: "picky",
            error: StageError::Rejected("picky says no".into()),
        }
    );
    assert_eq!(err.error.reason(), "stage_rejected");
    assert!(err.to_string().contains("picky"), "{err}");
    assert_eq!(marks(&r), ["a", "picky"], "later stages must not run");
}

#[test]
fn panicking_stage_is_contained_and_reported() {
    let p = pipeline(vec![
        Box::new(Mark("a")),
        Box::new(Boom("explosive")),
        Box::new(Mark("never")),
    ]);
    let mut r = record("Text.");
    // Getting a value back at all shows the panic did not unwind into this caller.
    let err = p.run(&mut r).unwrap_err();
    assert_eq!(err.stage, "explosive");
    assert_eq!(err.error.reason(), "stage_panicked");
    match &err.error {
        StageError::Panicked(msg) => assert!(msg.contains("boom in explosive"), "{msg}"),
        other => panic!("expected Panicked, got {other:?}"),
    }
    assert_eq!(marks(&r), ["a"]);

    // The pipeline is still usable afterwards.
    let mut r2 = record("Another.");
    assert_eq!(p.run(&mut r2).unwrap_err().stage, "explosive");
    assert_eq!(marks(&r2), ["a"]);
}

#[test]
fn non_string_panic_payload_is_contained() {
    let p = pipeline(vec![Box::new(BoomAny)]);
    let err = p.run(&mut record("Text.")).unwrap_err();
    assert_eq!(err.stage, "boom_any");
    assert!(matches!(&err.error, StageError::Panicked(m) if !m.is_empty()));
}

#[test]
fn empty_pipeline_is_a_passthrough() {
    for p in [
        Pipeline::new(Vec::new()),
        Pipeline::from_kinds(&[], &StageSettings::default()),
    ] {
        assert!(p.stage_names().is_empty());
        let before = record("Text.");
        let mut r = before.clone();
        p.run(&mut r).unwrap();
        assert_eq!(r, before);
        assert_eq!(r.dedup.status, DedupStatus::NotChecked);
    }
}

#[test]
fn default_pipeline_is_dedup_entities_claims_stance() {
    let p = Pipeline::from_kinds(StageKind::DEFAULT, &StageSettings::default());
    assert_eq!(p.stage_names(), ["dedup", "entities", "claims", "stance"]);
    let mut r = record("Reuters reported that Angela Merkel visited Paris.");
    p.run(&mut r).unwrap();
    assert_eq!(r.dedup.status, DedupStatus::Unique);
    // Reuters reports Merkel's visit: one claim, with Reuters as its speaker.
    assert_eq!(r.claims.len(), 1, "{:?}", r.claims);
    assert_eq!(r.claims[0].speaker.as_deref(), Some("Reuters"));
    assert_eq!(r.claims[0].content.text, "Angela Merkel visited Paris");
    let names: Vec<(&str, EntityType)> = r
        .entities
        .iter()
        .map(|e| (e.name.as_str(), e.kind))
        .collect();
    assert_eq!(
        names,
        [
            ("Reuters", EntityType::Org),
            ("Angela Merkel", EntityType::Person),
            ("Paris", EntityType::Loc)
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Enricher
// ---------------------------------------------------------------------------------------------

fn enricher(stages: Vec<Box<dyn Stage>>) -> Enricher {
    Enricher::new(Pipeline::new(stages), Limits::default(), 1 << 20)
}

fn input_headers() -> Vec<Header> {
    vec![
        ("traceparent".into(), Some(b"00-abc-def-01".to_vec())),
        ("x-null".into(), None),
        ("dup".into(), Some(b"1".to_vec())),
        ("dup".into(), Some(b"2".to_vec())),
    ]
}

fn message(payload: Option<&[u8]>) -> RawMessage {
    RawMessage {
        topic: Some("raw-articles".into()),
        partition: Some(5),
        offset: Some(1234),
        timestamp_ms: Some(1_712_880_000_000),
        file: None,
        line: None,
        key: Some(b"original-key".to_vec()),
        payload: payload.map(<[u8]>::to_vec),
        headers: input_headers(),
    }
}

fn enriched(outcome: Outcome) -> Output {
    match outcome {
        Outcome::Enriched(out) => out,
        Outcome::DeadLetter(dl) => panic!("expected an enriched record, got {dl:?}"),
    }
}

fn dead_letter(outcome: Outcome) -> DeadLetter {
    match outcome {
        Outcome::DeadLetter(dl) => dl,
        Outcome::Enriched(out) => panic!(
            "expected a dead letter, got {}",
            String::from_utf8_lossy(&out.value)
        ),
    }
}

const GOOD: &[u8] = br#"{"id": "art-9", "url": "https://example.com/9", "body": "A good article.", "extra_field": [1]}"#;

#[test]
fn enriched_record_carries_the_article_and_provenance() {
    let e = Enricher::new(
        Pipeline::from_kinds(StageKind::DEFAULT, &StageSettings::default()),
        Limits::default(),
        1 << 20,
    );
    let out = enriched(e.enrich(&message(Some(GOOD)), now()));
    assert_eq!(out.key, "art-9");
    assert_eq!(out.dedup_status, DedupStatus::Unique);
    let v: Value = serde_json::from_slice(&out.value).unwrap();
    assert_eq!(v["schema_version"], json!(SCHEMA_VERSION));
    assert_eq!(v["id"], json!("art-9"));
    assert_eq!(v["article"]["body"], json!("A good article."));
    assert_eq!(v["article"]["extra"]["extra_field"], json!([1]));
    assert_eq!(v["dedup"]["status"], json!("unique"));
    let prov = &v["provenance"];
    assert_eq!(prov["topic"], json!("raw-articles"));
    assert_eq!(prov["partition"], json!(5));
    assert_eq!(prov["offset"], json!(1234));
    assert_eq!(
        prov["stages"],
        json!(["dedup", "entities", "claims", "stance"])
    );
    assert_eq!(prov["worker_version"], json!(WORKER_VERSION));
    let ts: DateTime<Utc> = serde_json::from_value(prov["message_timestamp"].clone()).unwrap();
    assert_eq!(ts.timestamp_millis(), 1_712_880_000_000);
    let processed: DateTime<Utc> = serde_json::from_value(prov["processed_at"].clone()).unwrap();
    assert_eq!(processed, now());
    // The record round-trips into the public type.
    let back: EnrichedRecord = serde_json::from_slice(&out.value).unwrap();
    assert_eq!(back.id, "art-9");
}

#[test]
fn empty_pipeline_enricher_marks_dedup_not_checked() {
    let e = Enricher::new(
        Pipeline::from_kinds(&[], &StageSettings::default()),
        Limits::default(),
        1 << 20,
    );
    assert!(e.stage_names().is_empty());
    let out = enriched(e.enrich(&message(Some(GOOD)), now()));
    assert_eq!(out.dedup_status, DedupStatus::NotChecked);
    let v: Value = serde_json::from_slice(&out.value).unwrap();
    assert_eq!(v["dedup"]["status"], json!("not_checked"));
    assert_eq!(v["dedup"]["duplicate_of"], Value::Null);
    assert_eq!(v["provenance"]["stages"], json!([]));
}

#[test]
fn decode_errors_become_dead_letters_at_stage_decode() {
    let e = enricher(vec![Box::new(Mark("a"))]);
    let big = vec![b'x'; Limits::default().max_message_bytes + 1];
    let cases: Vec<(Option<&[u8]>, &str)> = vec![
        (None, "empty_message"),
        (Some(b"caf\xe9"), "invalid_utf8"),
        (Some(b"{\"body\": "), "invalid_json"),
        (Some(b"{\"title\": \"no body\"}"), "missing_body"),
        (Some(b"   "), "missing_body"),
        (Some(b"{\"body\": \"x\", \"id\": true}"), "invalid_field"),
        (Some(&big), "message_too_large"),
    ];
    for (payload, reason) in cases {
        let dl = dead_letter(e.enrich(&message(payload), now()));
        assert_eq!(dl.stage, "decode", "{reason}");
        assert_eq!(dl.reason, reason);
        assert!(!dl.detail.is_empty(), "{reason} has no detail");
    }
}

#[test]
fn body_too_long_is_a_decode_dead_letter() {
    let e = Enricher::new(
        Pipeline::new(Vec::new()),
        Limits {
            max_message_bytes: 1 << 20,
            max_body_chars: 5,
        },
        1 << 20,
    );
    let over = "{\"body\": \"\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\"}";
    let dl = dead_letter(e.enrich(&message(Some(over.as_bytes())), now()));
    assert_eq!((dl.stage, dl.reason), ("decode", "body_too_long"));
    let at_limit = "{\"body\": \"\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\"}";
    enriched(e.enrich(&message(Some(at_limit.as_bytes())), now()));
}

#[test]
fn dead_letter_detail_does_not_echo_message_content() {
    // `DeadLetter::detail` is documented as "never the message content", and it travels in a
    // Kafka header: echoing a large field back would make the dead-letter record larger than the
    // input and could exceed the broker's message limit.
    let secret = format!("SECRET-{}", "z".repeat(10_000));
    let payload = json!({"body": "x", "published_at": secret}).to_string();
    let dl = dead_letter(enricher(Vec::new()).enrich(&message(Some(payload.as_bytes())), now()));
    assert_eq!((dl.stage, dl.reason), ("decode", "invalid_field"));
    assert!(
        !dl.detail.contains("SECRET"),
        "detail echoes the field value ({} bytes)",
        dl.detail.len()
    );
}

#[test]
fn stage_failures_become_dead_letters_naming_the_stage() {
    let dl = dead_letter(
        enricher(vec![Box::new(Mark("a")), Box::new(Reject("picky"))])
            .enrich(&message(Some(GOOD)), now()),
    );
    assert_eq!((dl.stage, dl.reason), ("picky", "stage_rejected"));
    assert!(dl.detail.contains("picky says no"), "{}", dl.detail);

    let dl = dead_letter(
        enricher(vec![Box::new(Boom("explosive"))]).enrich(&message(Some(GOOD)), now()),
    );
    assert_eq!((dl.stage, dl.reason), ("explosive", "stage_panicked"));
}

#[test]
fn output_size_guard_is_exact() {
    let size = |max: usize| {
        Enricher::new(Pipeline::new(Vec::new()), Limits::default(), max)
            .enrich(&message(Some(GOOD)), now())
    };
    let n = enriched(size(usize::MAX)).value.len();
    let at_limit = enriched(size(n));
    assert_eq!(at_limit.value.len(), n);
    let dl = dead_letter(size(n - 1));
    assert_eq!((dl.stage, dl.reason), ("encode", "output_too_large"));
    assert!(dl.detail.contains(&n.to_string()), "{}", dl.detail);
}

#[test]
fn small_output_limit_dead_letters_every_record() {
    let e = Enricher::new(
        Pipeline::from_kinds(StageKind::DEFAULT, &StageSettings::default()),
        Limits::default(),
        64,
    );
    let dl = dead_letter(e.enrich(&message(Some(GOOD)), now()));
    assert_eq!(dl.reason, "output_too_large");
    assert_eq!(dl.stage, "encode");
}

/// The input's headers other than its trace headers, in order.
fn untraced_input_headers() -> Vec<Header> {
    input_headers()
        .into_iter()
        .filter(|(k, _)| k != TRACEPARENT && k != TRACESTATE)
        .collect()
}

#[test]
fn output_headers_are_input_headers_plus_content_type_and_schema_version() {
    let out = enriched(enricher(Vec::new()).enrich(&message(Some(GOOD)), now()));
    // The input's `traceparent` is not valid W3C: the worker starts a trace of its own.
    assert_eq!(out.trace.parent, None);
    let mut expected = untraced_input_headers();
    expected.push((
        TRACEPARENT.to_owned(),
        Some(out.trace.span.to_header().into_bytes()),
    ));
    expected.push((
        out_headers::CONTENT_TYPE.to_owned(),
        Some(b"application/json".to_vec()),
    ));
    expected.push((
        out_headers::SCHEMA_VERSION.to_owned(),
        Some(SCHEMA_VERSION.to_string().into_bytes()),
    ));
    assert_eq!(out.headers, expected);
    assert_eq!(out_headers::CONTENT_TYPE, "content-type");
}

fn header_names(h: &[Header]) -> Vec<&str> {
    h.iter().map(|(k, _)| k.as_str()).collect()
}

fn header_value<'a>(h: &'a [Header], name: &str) -> Option<&'a str> {
    h.iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.as_deref())
        .map(|v| std::str::from_utf8(v).unwrap())
}

#[test]
fn dead_letter_headers_are_original_then_dlq_headers() {
    let msg = message(Some(b"{\"body\": 5}"));
    let dl = dead_letter(enricher(Vec::new()).enrich(&msg, now()));
    let h = dl.headers(&msg);
    let mut original = untraced_input_headers();
    original.push((
        TRACEPARENT.to_owned(),
        Some(dl.trace.span.to_header().into_bytes()),
    ));
    assert_eq!(&h[..original.len()], &original[..]);
    let ours = &h[original.len()..];
    assert_eq!(
        header_names(ours),
        [
            dlq::REASON,
            dlq::DETAIL,
            dlq::STAGE,
            dlq::SOURCE_TOPIC,
            dlq::SOURCE_PARTITION,
            dlq::SOURCE_OFFSET,
            dlq::WORKER_VERSION,
        ]
    );
    assert_eq!(header_value(ours, dlq::REASON), Some("invalid_field"));
    assert_eq!(header_value(ours, dlq::DETAIL), Some(dl.detail.as_str()));
    assert_eq!(header_value(ours, dlq::STAGE), Some("decode"));
    assert_eq!(header_value(ours, dlq::SOURCE_TOPIC), Some("raw-articles"));
    assert_eq!(header_value(ours, dlq::SOURCE_PARTITION), Some("5"));
    assert_eq!(header_value(ours, dlq::SOURCE_OFFSET), Some("1234"));
    assert_eq!(
        header_value(ours, dlq::WORKER_VERSION),
        Some(WORKER_VERSION)
    );
    assert!(header_names(ours).iter().all(|n| n.starts_with("x-dlq-")));
}

#[test]
fn offline_dead_letter_headers_omit_kafka_coordinates() {
    let msg = RawMessage {
        file: Some("input.jsonl".into()),
        line: Some(3),
        payload: None,
        ..RawMessage::default()
    };
    let dl = dead_letter(enricher(Vec::new()).enrich(&msg, now()));
    assert_eq!((dl.stage, dl.reason), ("decode", "empty_message"));
    assert_eq!(
        header_names(&dl.headers(&msg)),
        [
            TRACEPARENT,
            dlq::REASON,
            dlq::DETAIL,
            dlq::STAGE,
            dlq::WORKER_VERSION
        ]
    );
}

/// W3C trace context from the input to every record published for it: the same trace, the
/// worker's own span, the trace state passed on.
#[test]
fn output_and_dead_letter_records_continue_the_inputs_trace() {
    const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let traced = |payload: &[u8]| RawMessage {
        headers: vec![
            ("x-other".into(), Some(b"1".to_vec())),
            (TRACEPARENT.into(), Some(PARENT.as_bytes().to_vec())),
            (TRACESTATE.into(), Some(b"rojo=00f067aa0ba902b7".to_vec())),
        ],
        ..message(Some(payload))
    };
    let worker = enricher(Vec::new());
    let out = enriched(worker.enrich(&traced(GOOD), now()));
    let msg = traced(b"{\"body\": 5}");
    let dl = dead_letter(worker.enrich(&msg, now()));
    for (headers, trace) in [(&out.headers, &out.trace), (&dl.headers(&msg), &dl.trace)] {
        let parent = header_value(headers, TRACEPARENT).unwrap();
        assert_eq!(parent, trace.span.to_header());
        assert!(
            parent.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-") && parent.ends_with("-01"),
            "{parent}"
        );
        assert_ne!(parent, PARENT, "the worker's span is a new one");
        assert_eq!(trace.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(
            header_value(headers, TRACESTATE),
            Some("rojo=00f067aa0ba902b7")
        );
        assert_eq!(
            headers.iter().filter(|(k, _)| k == TRACEPARENT).count(),
            1,
            "{headers:?}"
        );
        assert_eq!(header_value(headers, "x-other"), Some("1"));
    }
}

/// The names flags, environment and files use: each stage and policy parses back from its
/// name, serde writes the same name, and anything else is refused with the list.
#[test]
fn stage_and_policy_names_round_trip() {
    use news_enricher_core::dedup::DedupPolicy;
    assert_eq!(StageKind::ALL.len(), StageKind::NAMES.len());
    for (kind, name) in StageKind::ALL.iter().zip(StageKind::NAMES) {
        assert_eq!(kind.as_str(), *name);
        assert_eq!(name.parse::<StageKind>().unwrap(), *kind);
        assert_eq!(serde_json::to_value(kind).unwrap(), *name);
    }
    let err = "Dedup".parse::<StageKind>().unwrap_err().to_string();
    assert_eq!(
        err,
        "unknown stage `Dedup`; expected one of: dedup, entities, claims, stance"
    );
    for name in DedupPolicy::NAMES {
        let policy: DedupPolicy = name.parse().unwrap();
        let from_file: DedupPolicy = serde_json::from_value(serde_json::json!(name)).unwrap();
        assert_eq!(policy, from_file);
    }
    assert!("keep".parse::<DedupPolicy>().is_err());
}
