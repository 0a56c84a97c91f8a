//! Smoke tests for the tansu test harness in `tests/support` (rdkafka only, no
//! crate internals). Each test skips itself when tansu is not installed
//! (run `scripts/fetch-tansu`), unless `CI=true`.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};

use support::{Tansu, TestRecord};

#[test]
fn produce_and_consume_round_trip() {
    let Some(broker) = Tansu::start() else { return };
    let topic = "harness-round-trip";
    broker.create_topic(topic, 3);
    assert_eq!(support::partition_count(&broker.bootstrap, topic), Some(3));

    let records: Vec<TestRecord> = (0..30)
        .map(|i| TestRecord::keyed(format!("key-{i}"), format!("payload-{i}")))
        .collect();
    let positions = support::produce(&broker.bootstrap, topic, &records);
    assert_eq!(positions.len(), 30);

    let consumed = support::consume_all(&broker.bootstrap, topic, 30, Duration::from_secs(30));
    assert_eq!(consumed.len(), 30, "expected exactly 30 records back");

    // Every key comes back exactly once, with its own payload, at the
    // partition/offset the producer was told.
    let mut by_key = BTreeMap::new();
    for rec in &consumed {
        let key = rec.key_str().expect("record has a key").to_owned();
        let i: usize = key["key-".len()..].parse().unwrap();
        assert_eq!(rec.payload_str(), format!("payload-{i}"));
        assert_eq!(
            (rec.partition, rec.offset),
            positions[i],
            "position of {key}"
        );
        assert!(rec.timestamp.is_some(), "{key} has no timestamp");
        assert!(
            by_key.insert(key, rec.partition).is_none(),
            "duplicate record"
        );
    }
    assert_eq!(by_key.len(), 30);

    // Offsets are dense per partition and match the high watermarks.
    let ends = support::end_offsets(&broker.bootstrap, topic);
    assert_eq!(ends.len(), 3);
    for (p, end) in &ends {
        let n = consumed.iter().filter(|r| r.partition == *p).count() as i64;
        assert_eq!(*end, n, "high watermark of partition {p}");
    }
    assert_eq!(ends.values().sum::<i64>(), 30);

    // What the broker itself reports may be lower (tansu 0.6.0 answers
    // ListOffsets LATEST with last-batch base offset + 1), never higher.
    for (p, (low, high)) in support::reported_watermarks(&broker.bootstrap, topic) {
        assert_eq!(low, 0, "low watermark of partition {p}");
        assert!(
            high <= ends[&p],
            "reported high watermark of {p} beyond end"
        );
    }
}

#[test]
fn explicit_partitions_and_unkeyed_records() {
    let Some(broker) = Tansu::start() else { return };
    let topic = "harness-explicit";
    broker.create_topic(topic, 2);

    let records = vec![
        TestRecord::unkeyed("a").on_partition(1),
        TestRecord::keyed("k", "b").on_partition(1),
        TestRecord::unkeyed("c").on_partition(0),
    ];
    let positions = support::produce(&broker.bootstrap, topic, &records);
    assert_eq!(positions, vec![(1, 0), (1, 1), (0, 0)]);

    let consumed = support::consume_all(&broker.bootstrap, topic, 3, Duration::from_secs(30));
    let summary: Vec<_> = consumed
        .iter()
        .map(|r| {
            (
                r.partition,
                r.offset,
                r.key.clone(),
                r.payload_str().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (0, 0, None, "c".to_owned()),
            (1, 0, None, "a".to_owned()),
            (1, 1, Some(b"k".to_vec()), "b".to_owned()),
        ]
    );
    assert_eq!(
        support::end_offsets(&broker.bootstrap, topic),
        BTreeMap::from([(0, 1), (1, 2)])
    );
}

#[test]
fn committed_offsets_round_trip() {
    let Some(broker) = Tansu::start() else { return };
    let topic = "harness-commits";
    let group = "harness-group";
    broker.create_topic(topic, 3);

    // Nothing committed yet.
    assert_eq!(
        support::committed_offsets(&broker.bootstrap, group, topic),
        BTreeMap::from([(0, -1), (1, -1), (2, -1)])
    );

    // Commit explicit offsets without joining the group (manual assignment),
    // the same way a worker commits after processing.
    let consumer: BaseConsumer = support::base_config(&broker.bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Offset(7))
        .unwrap();
    tpl.add_partition_offset(topic, 2, Offset::Offset(42))
        .unwrap();
    let started = Instant::now();
    consumer
        .commit(&tpl, CommitMode::Sync)
        .expect("synchronous commit");

    let expected = BTreeMap::from([(0, 7), (1, -1), (2, 42)]);
    let mut seen = BTreeMap::new();
    let ok = support::wait_until(Duration::from_secs(10), Duration::from_millis(100), || {
        seen = support::committed_offsets(&broker.bootstrap, group, topic);
        seen == expected
    });
    assert!(ok, "committed offsets: expected {expected:?}, got {seen:?}");
    eprintln!("commit + read back took {:?}", started.elapsed());

    // Other groups are unaffected.
    assert_eq!(
        support::committed_offsets(&broker.bootstrap, "some-other-group", topic),
        BTreeMap::from([(0, -1), (1, -1), (2, -1)])
    );
}

#[test]
fn headers_are_returned() {
    let Some(broker) = Tansu::start() else { return };
    let topic = "harness-headers";
    broker.create_topic(topic, 1);

    // produce() has no header support; write one record with headers directly.
    use rdkafka::message::{Header, OwnedHeaders};
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
    let producer: BaseProducer = support::base_config(&broker.bootstrap)
        .create()
        .expect("producer");
    producer
        .send(
            BaseRecord::to(topic).key("k").payload("v").headers(
                OwnedHeaders::new()
                    .insert(Header {
                        key: "trace",
                        value: Some("abc"),
                    })
                    .insert(Header::<&[u8]> {
                        key: "empty",
                        value: None,
                    }),
            ),
        )
        .map_err(|(e, _)| e)
        .expect("enqueue");
    producer.flush(Duration::from_secs(30)).expect("flush");

    let consumed = support::consume_all(&broker.bootstrap, topic, 1, Duration::from_secs(30));
    assert_eq!(consumed.len(), 1);
    let rec = &consumed[0];
    assert_eq!(rec.header("trace"), Some(&b"abc"[..]));
    assert_eq!(rec.header("empty"), Some(&b""[..]));
    assert_eq!(rec.key_str(), Some("k"));
    assert_eq!(rec.payload_str(), "v");
}

/// A subscribing consumer (real group join, cooperative-sticky assignor)
/// receives records and its commits are visible via `committed_offsets`.
#[test]
fn subscribing_consumer_commits_with_cooperative_sticky() {
    let Some(broker) = Tansu::start() else { return };
    let topic = "harness-subscribe";
    let group = "harness-subscribe-group";
    broker.create_topic(topic, 3);
    let records: Vec<TestRecord> = (0..9)
        .map(|i| TestRecord::keyed(format!("k{i}"), format!("v{i}")))
        .collect();
    support::produce(&broker.bootstrap, topic, &records);

    let consumer: BaseConsumer = support::base_config(&broker.bootstrap)
        .set("group.id", group)
        .set("partition.assignment.strategy", "cooperative-sticky")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        // tansu holds a JoinGroup for about half the session timeout:
        // the 45 s default means ~23 s before the first message.
        .set("session.timeout.ms", "6000")
        .set("heartbeat.interval.ms", "500")
        .create()
        .expect("consumer");
    let started = Instant::now();
    consumer.subscribe(&[topic]).expect("subscribe");

    let mut got = 0;
    let mut first_at = None;
    let deadline = started + Duration::from_secs(90);
    while got < records.len() && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                first_at.get_or_insert_with(|| started.elapsed());
                // Stores offset + 1 (librdkafka's rd_kafka_offset_store adds
                // 1, so rdkafka's `store_offset(t, p, o)` would also store o + 1).
                consumer
                    .store_offset_from_message(&m)
                    .expect("store offset");
                got += 1;
            }
            Some(Err(e)) => eprintln!("consumer error: {e}"),
            None => {}
        }
    }
    eprintln!(
        "cooperative-sticky: first message after {first_at:?}, all {got} after {:?}, assignment {:?}",
        started.elapsed(),
        consumer.assignment().map(|a| a.count())
    );
    assert_eq!(
        got,
        records.len(),
        "subscribing consumer did not get every record"
    );

    consumer
        .commit_consumer_state(CommitMode::Sync)
        .expect("commit consumer state");
    let ends = support::end_offsets(&broker.bootstrap, topic);
    let committed = support::committed_offsets(&broker.bootstrap, group, topic);
    assert_eq!(
        committed, ends,
        "committed offsets should equal end offsets"
    );
}
