//! The dedup window persisted in and shared through the compacted index topic, against a real
//! broker: a restarted worker remembers what it saw before, and a replica learns what another
//! replica of its group saw.

mod scenario;
mod support;

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use scenario::{broker_with, wait_for_commits, worker_config, RunningWorker, Topics};
use support::TestRecord;

/// A deterministic ~150-word text, different for every seed.
fn long_text(seed: u64) -> Vec<String> {
    const WORDS: &[&str] = &[
        "minister",
        "said",
        "talks",
        "would",
        "resume",
        "after",
        "the",
        "summit",
        "in",
        "capital",
        "officials",
        "markets",
        "rose",
        "fell",
        "sharply",
        "on",
        "news",
        "that",
        "bank",
        "rates",
        "election",
        "campaign",
        "voters",
        "party",
        "leader",
        "warned",
        "growth",
        "economy",
        "trade",
        "deal",
        "signed",
        "border",
        "security",
        "council",
        "vote",
        "report",
        "found",
        "company",
        "profits",
        "shares",
        "record",
        "quarter",
        "analysts",
        "expect",
        "further",
        "cuts",
        "union",
    ];
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..150)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            WORDS[(x % WORDS.len() as u64) as usize].to_owned()
        })
        .collect()
}

fn article(id: &str, words: &[String]) -> Vec<u8> {
    serde_json::json!({"id": id, "body": words.join(" ")})
        .to_string()
        .into_bytes()
}

/// One word changed in the middle: about 0.93 Jaccard over 5-word shingles.
fn near_copy(words: &[String]) -> Vec<String> {
    let mut w = words.to_vec();
    w[75] = "unexpectedly".to_owned();
    w
}

/// Dedup verdicts in the output topic, by article id.
fn verdicts(bootstrap: &str, t: &Topics, min: usize) -> HashMap<String, serde_json::Value> {
    support::consume_all(bootstrap, &t.output, min, Duration::from_secs(60))
        .iter()
        .map(|r| {
            let v: serde_json::Value = serde_json::from_slice(&r.payload).unwrap();
            (v["id"].as_str().unwrap().to_owned(), v["dedup"].clone())
        })
        .collect()
}

/// The test worker configuration with the dedup window persisted in `t.index`.
fn with_index(bootstrap: &str, t: &Topics) -> news_enricher::config::WorkerConfig {
    worker_config(bootstrap, t, |a| {
        a.dedup_index_topic = Some(t.index.clone())
    })
}

fn run_until_committed(bootstrap: &str, t: &Topics, worker: RunningWorker) {
    let ends = support::end_offsets(bootstrap, &t.input);
    let reached = wait_for_commits(bootstrap, t, &ends, Duration::from_secs(120));
    worker.stop().expect("worker stops cleanly");
    assert!(reached, "commits did not reach {ends:?}");
}

#[test]
fn a_restarted_worker_remembers_articles_seen_before_the_restart() {
    let t = Topics::new("dedup-restart");
    let Some(broker) = broker_with(&t, 2) else {
        return;
    };
    let bootstrap = broker.bootstrap.clone();
    let config = || with_index(&bootstrap, &t);
    let texts: Vec<Vec<String>> = (0..5).map(long_text).collect();
    let originals: Vec<TestRecord> = texts
        .iter()
        .enumerate()
        .map(|(i, w)| TestRecord::keyed(format!("o{i}"), article(&format!("orig-{i}"), w)))
        .collect();
    support::produce(&bootstrap, &t.input, &originals);
    run_until_committed(&bootstrap, &t, RunningWorker::start(config()));

    // Something that is not an index entry on the index topic must be skipped, not fatal.
    support::produce(
        &bootstrap,
        &t.index,
        &[TestRecord::keyed("garbage", b"not an index entry")],
    );
    // A fresh worker: its window is empty until it restores it from the index topic.
    let copies: Vec<TestRecord> = texts
        .iter()
        .enumerate()
        .flat_map(|(i, w)| {
            [
                TestRecord::keyed(
                    format!("n{i}"),
                    article(&format!("near-{i}"), &near_copy(w)),
                ),
                TestRecord::keyed(format!("e{i}"), article(&format!("exact-{i}"), w)),
            ]
        })
        .collect();
    support::produce(&bootstrap, &t.input, &copies);
    run_until_committed(&bootstrap, &t, RunningWorker::start(config()));

    let v = verdicts(&bootstrap, &t, 15);
    for i in 0..5 {
        let orig = format!("orig-{i}");
        assert_eq!(v[&orig]["status"], "unique");
        let near = &v[&format!("near-{i}")];
        assert_eq!(near["status"], "near_duplicate", "near-{i}: {near}");
        assert_eq!(near["cluster_id"], orig.as_str());
        assert!(near["similarity"].as_f64().unwrap() >= 0.8);
        let exact = &v[&format!("exact-{i}")];
        assert!(
            exact["status"] == "exact_duplicate" && exact["cluster_id"] == orig.as_str(),
            "exact-{i}: {exact}"
        );
    }
}

/// Members of `group` that hold an assignment, if the broker answers DescribeGroups.
fn assigned_members(bootstrap: &str, group: &str) -> Option<usize> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .ok()?;
    let groups = c
        .fetch_group_list(Some(group), Duration::from_secs(5))
        .ok()?;
    let g = groups.groups().iter().find(|g| g.name() == group)?;
    Some(
        g.members()
            .iter()
            .filter(|m| m.assignment().is_some_and(|a| a.len() > 8))
            .count(),
    )
}

#[test]
fn a_replica_flags_copies_of_articles_another_replica_consumed() {
    let t = Topics::new("dedup-share");
    let Some(broker) = broker_with(&t, 2) else {
        return;
    };
    let bootstrap = broker.bootstrap.clone();
    let config = || with_index(&bootstrap, &t);
    let a = RunningWorker::start(config());
    let b = RunningWorker::start(config());
    // Wait until the group has settled with both replicas holding a partition.
    let settled = support::wait_until(Duration::from_secs(8), Duration::from_millis(500), || {
        assigned_members(&bootstrap, &t.group) == Some(2)
    });
    if !settled {
        eprintln!("DescribeGroups gave no answer; waiting a fixed 15 s for the group to settle");
        std::thread::sleep(Duration::from_secs(15));
    }

    // Originals on partition 0, their copies on partition 1: with one partition each, every
    // copy is looked up by the replica that did not see its original.
    let n = 5;
    for i in 0..n {
        let w = long_text(100 + i);
        let orig =
            TestRecord::keyed(format!("o{i}"), article(&format!("orig-{i}"), &w)).on_partition(0);
        support::produce(&bootstrap, &t.input, &[orig]);
        let mut ends = support::end_offsets(&bootstrap, &t.input);
        ends.remove(&1);
        assert!(wait_for_commits(
            &bootstrap,
            &t,
            &ends,
            Duration::from_secs(60)
        ));
        // Give the other replica's index follower time to read the new entry.
        std::thread::sleep(Duration::from_millis(1500));
        let copy = TestRecord::keyed(
            format!("c{i}"),
            article(&format!("copy-{i}"), &near_copy(&w)),
        )
        .on_partition(1);
        support::produce(&bootstrap, &t.input, &[copy]);
    }
    let ends = support::end_offsets(&bootstrap, &t.input);
    let reached = wait_for_commits(&bootstrap, &t, &ends, Duration::from_secs(60));
    let (sa, sb) = (a.stop().expect("a stops"), b.stop().expect("b stops"));
    assert!(reached);
    eprintln!(
        "share: replica a consumed {}, replica b consumed {}",
        sa.consumed, sb.consumed
    );
    assert!(
        sa.consumed == n && sb.consumed == n,
        "each replica should have consumed one partition ({n} messages): a {}, b {}",
        sa.consumed,
        sb.consumed
    );
    let v = verdicts(&bootstrap, &t, 2 * n as usize);
    for i in 0..n {
        let copy = &v[&format!("copy-{i}")];
        assert_eq!(copy["status"], "near_duplicate", "copy-{i}: {copy}");
        assert_eq!(copy["cluster_id"], format!("orig-{i}").as_str());
    }
}
