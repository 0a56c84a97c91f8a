//! The worker against a real Kafka-protocol broker process (tansu) on 127.0.0.1: the whole
//! at-least-once contract, a SIGKILL in the middle of a stream, a graceful SIGTERM, and a
//! second replica joining mid-stream.

mod scenario;
mod support;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use scenario::{
    assert_none_lost, batch, broker_with, check_dead_letters, log_tail, output_ids, spawn_worker,
    total, wait_exit, wait_for_commits, worker_config, RunningWorker, Topics,
};

#[test]
fn every_article_is_published_once_and_offsets_reach_the_end() {
    let t = Topics::new("tansu");
    let Some(broker) = broker_with(&t, 3) else {
        return;
    };
    let b = batch(0, 300, 10, 0);
    support::produce(&broker.bootstrap, &t.input, &b.records);
    let ends = support::end_offsets(&broker.bootstrap, &t.input);
    assert_eq!(total(&ends), 300);

    let worker = RunningWorker::start(worker_config(&broker.bootstrap, &t, |_| {}));
    let reached = wait_for_commits(&broker.bootstrap, &t, &ends, Duration::from_secs(120));
    let summary = worker.stop();
    assert!(
        reached,
        "commits did not reach {ends:?}; broker log:\n{}",
        broker.log_tail()
    );
    let summary = summary.expect("graceful stop");
    assert!(summary.clean);

    let out = support::consume_all(
        &broker.bootstrap,
        &t.output,
        b.valid_ids.len(),
        Duration::from_secs(60),
    );
    let counts = output_ids(&out);
    assert_eq!(counts.keys().cloned().collect::<BTreeSet<_>>(), b.valid_ids);
    assert!(
        counts.values().all(|&n| n == 1),
        "no article is published twice in a clean run"
    );
    let dead = support::consume_all(
        &broker.bootstrap,
        &t.dlq,
        b.malformed_keys.len(),
        Duration::from_secs(60),
    );
    check_dead_letters(&dead, &b, &t.input);
}

/// Also the redelivery test of deduplication: with `--dedup-policy drop` and a persisted index,
/// an article redelivered after the kill must get its first verdict back (unique, published)
/// rather than be dropped as a copy of itself, and real copies must stay unpublished.
#[test]
fn sigkill_mid_stream_loses_nothing_and_sigterm_exits_cleanly() {
    let t = Topics::new("tansu-kill");
    let Some(broker) = broker_with(&t, 3) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("worker.log");

    let dedup = [
        "--dedup-policy",
        "drop",
        "--dedup-index-topic",
        t.index.as_str(),
    ];
    let first = batch(0, 200, 20, 9);
    support::produce(&broker.bootstrap, &t.input, &first.records);
    let mut worker = spawn_worker(&broker.bootstrap, &t, &log, &dedup);
    let started = support::wait_until(Duration::from_secs(120), Duration::from_millis(300), || {
        total(&support::end_offsets(&broker.bootstrap, &t.output)) >= 50
    });
    assert!(started, "worker produced nothing; log:\n{}", log_tail(&log));

    // Keep the stream flowing and kill the worker in the middle of it.
    let second = batch(200, 400, 20, 9);
    let chunks: Vec<_> = second.records.chunks(40).map(<[_]>::to_vec).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        support::produce(&broker.bootstrap, &t.input, chunk);
        if i == 4 {
            let killed = Command::new("kill")
                .args(["-KILL", &worker.id().to_string()])
                .status();
            assert!(killed.unwrap().success(), "SIGKILL delivered");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let killed = worker.wait().unwrap();
    assert!(!killed.success(), "the worker died of SIGKILL: {killed:?}");
    let all = first.then(second);
    let ends = support::end_offsets(&broker.bootstrap, &t.input);
    assert_eq!(total(&ends), all.records.len() as i64);
    let before_restart = support::committed_offsets(&broker.bootstrap, &t.group, &t.input);
    assert!(
        ends.iter()
            .any(|(p, e)| before_restart.get(p).copied().unwrap_or(-1) < *e),
        "the kill should leave work uncommitted: {before_restart:?} vs {ends:?}"
    );

    let mut worker = spawn_worker(&broker.bootstrap, &t, &log, &dedup);
    let reached = wait_for_commits(&broker.bootstrap, &t, &ends, Duration::from_secs(180));
    assert!(
        reached,
        "restarted worker did not commit to the end; log:\n{}",
        log_tail(&log)
    );

    // Graceful stop: SIGTERM, exit 0 within the default 10 s deadline (plus start-up slack).
    let status = Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = wait_exit(&mut worker, Duration::from_secs(20));
    if exit.is_none() {
        let _ = worker.kill();
        let _ = worker.wait();
    }
    assert!(
        exit.is_some_and(|s| s.success()),
        "SIGTERM exit: {exit:?}; log:\n{}",
        log_tail(&log)
    );

    let counts = assert_none_lost(&broker.bootstrap, &t, &all, "SIGKILL");
    let published_copies: Vec<_> = all
        .duplicate_ids
        .iter()
        .filter(|id| counts.contains_key(*id))
        .collect();
    assert!(
        published_copies.is_empty(),
        "copies published despite --dedup-policy drop: {published_copies:?}"
    );
    eprintln!(
        "sigkill: {} unique articles, {} copies dropped, {} published more than once (at-least-once replay)",
        all.valid_ids.len(),
        all.duplicate_ids.len(),
        counts.values().filter(|&&n| n > 1).count()
    );
    let dead = support::consume_all(
        &broker.bootstrap,
        &t.dlq,
        all.malformed_keys.len(),
        Duration::from_secs(60),
    );
    let dead_keys: BTreeSet<_> = dead
        .iter()
        .filter_map(|r| r.key_str().map(str::to_owned))
        .collect();
    assert_eq!(
        dead_keys, all.malformed_keys,
        "every malformed message is dead-lettered"
    );
}

#[test]
fn a_second_replica_joining_mid_stream_loses_nothing() {
    let t = Topics::new("tansu-rebalance");
    let Some(broker) = broker_with(&t, 4) else {
        return;
    };
    let first = batch(0, 200, 0, 0);
    support::produce(&broker.bootstrap, &t.input, &first.records);
    let a = RunningWorker::start(worker_config(&broker.bootstrap, &t, |_| {}));
    let started = support::wait_until(Duration::from_secs(120), Duration::from_millis(300), || {
        total(&support::end_offsets(&broker.bootstrap, &t.output)) >= 20
    });
    assert!(started, "first replica produced nothing");

    // Keep the stream flowing long enough for the second replica to join the group (a
    // cooperative rebalance takes several seconds on tansu) and take partitions over.
    let b = RunningWorker::start(worker_config(&broker.bootstrap, &t, |_| {}));
    let second = batch(200, 600, 0, 0);
    for chunk in second.records.chunks(20) {
        support::produce(&broker.bootstrap, &t.input, chunk);
        std::thread::sleep(Duration::from_millis(500));
    }
    let all = first.then(second);
    let ends = support::end_offsets(&broker.bootstrap, &t.input);
    let reached = wait_for_commits(&broker.bootstrap, &t, &ends, Duration::from_secs(180));
    let (summary_b, summary_a) = (b.stop(), a.stop());
    assert!(
        reached,
        "commits did not reach the end: {:?}",
        support::committed_offsets(&broker.bootstrap, &t.group, &t.input)
    );
    let summary_a = summary_a.expect("replica a stops cleanly");
    let summary_b = summary_b.expect("replica b stops cleanly");
    eprintln!(
        "rebalance: replica a consumed {}, replica b consumed {}",
        summary_a.consumed, summary_b.consumed
    );
    assert!(
        summary_b.consumed > 0,
        "the second replica never received partitions, so no rebalance was tested"
    );
    let counts = assert_none_lost(&broker.bootstrap, &t, &all, "the rebalance");
    eprintln!(
        "rebalance: {} published more than once",
        counts.values().filter(|&&n| n > 1).count()
    );
}

/// W3C trace context end to end: an input's `traceparent` continues in its output and
/// dead-letter records under the worker's own span, its `tracestate` passed on; an input
/// without one starts a trace; the log line about a dead letter names its trace id. The
/// spans exported over OTLP/HTTP carry exactly the ids the records' headers name (a stage's
/// span under the worker's), and an input whose trace is not sampled exports nothing.
#[test]
fn trace_context_flows_from_input_to_output_and_dead_letter_records() {
    use news_enricher_core::trace::{TraceParent, TRACEPARENT, TRACESTATE};
    const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    const UNSAMPLED: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
    let t = Topics::new("tansu-trace");
    let Some(broker) = broker_with(&t, 1) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("worker.log");
    let body = |id: &str| {
        format!(
            r#"{{"id": "{id}", "body": "Officials said the {id} bridge would reopen on Monday."}}"#
        )
    };
    let records = [
        support::TestRecord::keyed("traced", body("traced"))
            .with_header(TRACEPARENT, PARENT)
            .with_header(TRACESTATE, "rojo=00f067aa0ba902b7"),
        support::TestRecord::keyed("untraced", body("untraced"))
            .with_header(TRACESTATE, "orphan=1"),
        support::TestRecord::keyed("broken", r#"{"body": "cut off"#)
            .with_header(TRACEPARENT, PARENT),
        support::TestRecord::keyed("unsampled", body("unsampled"))
            .with_header(TRACEPARENT, UNSAMPLED),
    ];
    support::produce(&broker.bootstrap, &t.input, &records);
    let ends = support::end_offsets(&broker.bootstrap, &t.input);
    let receiver = support::otlp::OtlpReceiver::start();
    let mut worker = spawn_worker(
        &broker.bootstrap,
        &t,
        &log,
        &["--otlp-endpoint", &receiver.endpoint],
    );
    let reached = wait_for_commits(&broker.bootstrap, &t, &ends, Duration::from_secs(120));
    let _ = Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status();
    if wait_exit(&mut worker, Duration::from_secs(20)).is_none() {
        let _ = worker.kill();
        let _ = worker.wait();
    }
    assert!(reached, "no commit to the end; log:\n{}", log_tail(&log));

    let header = |r: &support::ConsumedRecord, name: &str| -> Option<String> {
        let mut values = r.headers.iter().filter(|(k, _)| k == name);
        let value = values
            .next()
            .map(|(_, v)| String::from_utf8(v.clone()).unwrap());
        assert!(
            values.next().is_none(),
            "one {name} header: {:?}",
            r.headers
        );
        value
    };
    let out = support::consume_all(&broker.bootstrap, &t.output, 3, Duration::from_secs(60));
    let by_key = |key: &str| {
        out.iter()
            .find(|r| r.key_str() == Some(key))
            .unwrap_or_else(|| panic!("no output for {key}"))
    };
    let traced = header(by_key("traced"), TRACEPARENT).unwrap();
    let span = TraceParent::parse(traced.as_bytes()).expect("a valid traceparent");
    assert_eq!(span.trace_id_hex(), TRACE_ID);
    assert_ne!(traced, PARENT, "the worker's span is its own");
    assert_eq!(span.flags, 1);
    assert_eq!(
        header(by_key("traced"), TRACESTATE).as_deref(),
        Some("rojo=00f067aa0ba902b7")
    );
    let untraced = header(by_key("untraced"), TRACEPARENT).unwrap();
    let root = TraceParent::parse(untraced.as_bytes()).expect("a valid traceparent");
    assert_ne!(root.trace_id_hex(), TRACE_ID);
    assert_eq!(
        header(by_key("untraced"), TRACESTATE),
        None,
        "no state without a parent"
    );

    let dead = support::consume_all(&broker.bootstrap, &t.dlq, 1, Duration::from_secs(60));
    let dl_parent = header(&dead[0], TRACEPARENT).unwrap();
    assert_eq!(
        TraceParent::parse(dl_parent.as_bytes()).map(|p| p.trace_id_hex()),
        Some(TRACE_ID.to_owned())
    );
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged
            .lines()
            .any(|l| l.contains("dead-lettered") && l.contains(TRACE_ID)),
        "the dead letter's log line names its trace; log:\n{}",
        log_tail(&log)
    );
    eprintln!("traceparent: input {PARENT} -> output {traced}, dead letter {dl_parent}; no input trace -> {untraced}");
    let unsampled = header(by_key("unsampled"), TRACEPARENT).unwrap();
    assert!(unsampled.ends_with("-00"), "{unsampled}");

    // The spans: the worker flushed them when it stopped.
    let dead_span = TraceParent::parse(dl_parent.as_bytes()).unwrap();
    let spans = receiver.wait_for(Duration::from_secs(10), |s| s.len() >= 11);
    let span_of = |id: u64| {
        spans
            .iter()
            .find(|s| s.span_id_hex() == format!("{id:016x}"))
            .unwrap_or_else(|| panic!("no span {id:016x} among {spans:#?}"))
    };
    let worker_span = span_of(span.parent_id);
    assert_eq!(worker_span.trace_id_hex(), TRACE_ID);
    assert_eq!(worker_span.parent_span_id_hex(), "00f067aa0ba902b7");
    assert_eq!(worker_span.span.name, format!("process {}", t.input));
    assert_eq!(worker_span.span.kind, 5, "a consumer span");
    assert_eq!(worker_span.span.trace_state, "rojo=00f067aa0ba902b7");
    assert_eq!(
        worker_span.attribute("messaging.system").as_deref(),
        Some("kafka")
    );
    assert_eq!(
        worker_span
            .attribute("messaging.destination.name")
            .as_deref(),
        Some(t.input.as_str())
    );
    assert_eq!(
        worker_span.attribute("messaging.kafka.offset").as_deref(),
        Some("0")
    );
    assert_eq!(
        worker_span.attribute("news_enricher.outcome").as_deref(),
        Some("enriched")
    );
    assert_eq!(
        worker_span.attribute("news_enricher.dedup").as_deref(),
        Some("unique")
    );
    assert_eq!(
        worker_span.resource.get("service.name").map(String::as_str),
        Some("news-enricher")
    );
    assert_eq!(worker_span.scope, "news-enricher");
    let stages: Vec<&support::otlp::ReceivedSpan> = spans
        .iter()
        .filter(|s| s.span.parent_span_id == worker_span.span.span_id)
        .collect();
    let names: Vec<&str> = stages.iter().map(|s| s.span.name.as_str()).collect();
    assert_eq!(names.len(), 4, "one span per default stage: {names:?}");
    for name in ["dedup", "entities", "claims", "stance"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    for stage in &stages {
        assert_eq!(stage.trace_id_hex(), TRACE_ID);
        assert!(
            stage.span.start_time_unix_nano >= worker_span.span.start_time_unix_nano
                && stage.span.end_time_unix_nano <= worker_span.span.end_time_unix_nano,
            "a stage runs within the message's processing"
        );
    }

    let root_span = span_of(root.parent_id);
    assert_eq!(root_span.trace_id_hex(), root.trace_id_hex());
    assert!(
        root_span.span.parent_span_id.is_empty(),
        "a new trace's root"
    );

    let dead_letter_span = span_of(dead_span.parent_id);
    assert_eq!(dead_letter_span.trace_id_hex(), TRACE_ID);
    assert_eq!(
        dead_letter_span.span.status.as_ref().map(|s| s.code),
        Some(2),
        "a dead letter is an error"
    );
    assert_eq!(
        dead_letter_span
            .attribute("news_enricher.outcome")
            .as_deref(),
        Some("dead_letter")
    );
    assert_eq!(
        dead_letter_span
            .attribute("news_enricher.dead_letter.reason")
            .as_deref(),
        Some("invalid_json")
    );

    assert!(
        !spans
            .iter()
            .any(|s| s.trace_id_hex() == "0af7651916cd43dd8448eb211c80319c"),
        "an unsampled trace exports nothing"
    );
    assert_eq!(
        spans.len(),
        11,
        "3 sampled messages, 2 of them through 4 stages (the third dead-lettered on decoding)"
    );
    for (path, content_type) in receiver.requests() {
        assert_eq!(path, "/v1/traces");
        assert_eq!(content_type, "application/x-protobuf");
    }
    eprintln!(
        "otlp: {} spans exported in {} request(s); worker span {} (parent {}), stages {names:?}",
        spans.len(),
        receiver.requests().len(),
        worker_span.span_id_hex(),
        worker_span.parent_span_id_hex()
    );
}
