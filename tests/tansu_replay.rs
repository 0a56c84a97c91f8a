//! `replay` against a real broker (tansu): enrich a stream, replay it from a timestamp in the
//! middle, and check which records come out again, under which keys and with which verdicts.

mod scenario;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use news_enricher::config::Guarantee;
use news_enricher::kafka::replay::{replay, ReplaySummary};
use serde_json::Value;

use scenario::{batch, broker_with, wait_for_commits, worker_config, RunningWorker, Topics};

/// 2024-04-12T00:00:00Z: message `i` of the stream is stamped `T0 + i` seconds.
const T0: i64 = 1_712_880_000_000;

/// The output records with their key, id, dedup verdict and when they were made.
fn records(out: &[support::ConsumedRecord]) -> Vec<(String, Value)> {
    out.iter()
        .map(|r| {
            let v: Value = serde_json::from_slice(&r.payload).unwrap();
            (r.key_str().unwrap().to_owned(), v)
        })
        .collect()
}

fn run_replay(
    cfg: news_enricher::config::WorkerConfig,
    from: DateTime<Utc>,
    to: Option<DateTime<Utc>>,
) -> ReplaySummary {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let _ = tx.send(rt.block_on(replay(cfg, from, to, std::future::pending())));
    });
    rx.recv_timeout(Duration::from_secs(180))
        .expect("replay stops by itself")
        .expect("replay succeeds")
}

#[test]
fn replay_from_a_middle_timestamp_republishes_those_articles_with_their_verdicts() {
    replay_case(Guarantee::AtLeastOnce, None);
}

/// The same through Kafka transactions: the replay commits its batches as `run` does.
#[test]
fn replay_respects_exactly_once() {
    replay_case(Guarantee::ExactlyOnce, None);
}

/// `--to`: messages from that time on are left alone, in every partition.
#[test]
fn replay_between_two_timestamps_stops_at_the_second() {
    replay_case(Guarantee::AtLeastOnce, Some(65));
}

/// Produces 80 messages, runs the worker over them, then replays messages `40..until` (by
/// their timestamps) and checks what comes out again.
fn replay_case(guarantee: Guarantee, until: Option<usize>) {
    let t = Topics::new("tansu-replay");
    let Some(broker) = broker_with(&t, 2) else {
        return;
    };
    // 80 messages one second apart: copies (every 7th) and malformed ones (every 13th) in both
    // halves.
    let mut b = batch(0, 80, 13, 7);
    for (i, r) in b.records.iter_mut().enumerate() {
        *r = r.clone().at(T0 + i as i64 * 1000);
    }
    let positions = support::produce(&broker.bootstrap, &t.input, &b.records);
    let ends = support::end_offsets(&broker.bootstrap, &t.input);
    let with_index = |group: Option<String>| {
        worker_config(&broker.bootstrap, &t, |a| {
            a.dedup_index_topic = Some(t.index.clone());
            a.guarantee = Some(guarantee);
            if let Some(g) = group {
                a.group_id = Some(g);
            }
        })
    };

    // The first run, to the end.
    let worker = RunningWorker::start(with_index(None));
    let reached = wait_for_commits(&broker.bootstrap, &t, &ends, Duration::from_secs(120));
    worker.stop().expect("worker stops cleanly");
    assert!(reached, "commits did not reach {ends:?}");
    let published = b.valid_ids.len() + b.duplicate_ids.len();
    let first = records(&support::consume_all(
        &broker.bootstrap,
        &t.output,
        published,
        Duration::from_secs(60),
    ));
    assert_eq!(first.len(), published);
    let first_dead = b.malformed_keys.len();

    // Replay from message 40's time, in a group of its own, with the same index topic.
    let mid = 40;
    let replay_started = Utc::now();
    let started = Instant::now();
    let at = |i: usize| DateTime::from_timestamp_millis(T0 + i as i64 * 1000).unwrap();
    let summary = run_replay(
        with_index(Some(format!("{}-replay", t.group))),
        at(mid),
        until.map(at),
    );
    let until = until.unwrap_or(b.records.len());
    let took = started.elapsed();

    // It starts, in each partition, at the first message produced from `mid` on, and ends at
    // the first from `until` on (or the end).
    let first_from = |from: usize| {
        let mut first: BTreeMap<i32, i64> = ends.clone();
        for &(p, o) in &positions[from..] {
            first.entry(p).and_modify(|s| *s = (*s).min(o));
        }
        first
    };
    let (want_start, want_end) = (first_from(mid), first_from(until));
    for (p, span) in &summary.spans {
        assert_eq!(
            Some(&span.start),
            want_start.get(p),
            "partition {p}: {span:?}"
        );
        assert_eq!(Some(&span.end), want_end.get(p), "partition {p}: {span:?}");
    }
    let replayed_messages = (until - mid) as u64;
    assert_eq!(summary.worker.consumed, replayed_messages);
    assert!(summary.worker.clean);

    // What came out again: every message from `mid` on, once, with its first verdict.
    let ids_from_mid: BTreeSet<String> = b.records[mid..until]
        .iter()
        .filter_map(|r| serde_json::from_slice::<Value>(&r.payload).ok())
        .filter_map(|v| v["id"].as_str().map(str::to_owned))
        .collect();
    let all = records(&support::consume_all(
        &broker.bootstrap,
        &t.output,
        published + ids_from_mid.len(),
        Duration::from_secs(60),
    ));
    let again: Vec<&(String, Value)> = all
        .iter()
        .filter(|(_, v)| {
            v["provenance"]["processed_at"]
                .as_str()
                .and_then(|s| s.parse::<DateTime<Utc>>().ok())
                .is_some_and(|at| at >= replay_started)
        })
        .collect();
    let again_ids: Vec<String> = again
        .iter()
        .map(|(_, v)| v["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        again_ids.iter().cloned().collect::<BTreeSet<_>>(),
        ids_from_mid,
        "exactly the articles from the middle timestamp on (and before `until`)"
    );
    assert_eq!(again_ids.len(), ids_from_mid.len(), "each once");
    let first_by_id: BTreeMap<&str, &(String, Value)> = first
        .iter()
        .map(|r| (r.1["id"].as_str().unwrap(), r))
        .collect();
    let mut copies = 0;
    for (key, v) in &again {
        let id = v["id"].as_str().unwrap();
        let (first_key, first_v) = first_by_id[id];
        assert_eq!(key, first_key, "{id}: the same key");
        assert_eq!(v["dedup"], first_v["dedup"], "{id}: the same verdict");
        copies += usize::from(v["dedup"]["status"] != "unique");
    }
    assert!(
        copies > 0,
        "the replayed range holds copies, still called copies"
    );
    let dead = support::consume_all(
        &broker.bootstrap,
        &t.dlq,
        first_dead + 1,
        Duration::from_secs(30),
    );
    let dead_again = b.records[mid..until]
        .iter()
        .filter(|r| {
            r.key
                .as_deref()
                .and_then(|k| std::str::from_utf8(k).ok())
                .is_some_and(|k| b.malformed_keys.contains(k))
        })
        .count();
    assert_eq!(dead.len(), first_dead + dead_again);
    if guarantee == Guarantee::ExactlyOnce {
        assert!(summary.worker.transactions_committed > 0);
        assert_eq!(summary.worker.transactions_aborted, 0);
    }
    eprintln!(
        "replay ({}): {} of {} messages from the middle timestamp (spans {:?}) in {:.1} s: {} \
         records again ({copies} copies with their first verdicts), {dead_again} dead letters",
        guarantee.as_str(),
        replayed_messages,
        b.records.len(),
        summary.spans,
        took.as_secs_f64(),
        again.len(),
    );
}
