//! The worker against librdkafka's in-process mock cluster: fast, and able to inject broker
//! errors that a real broker cannot be asked for.

mod scenario;
mod support;

use std::time::Duration;

use rdkafka::mocking::MockCluster;
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};

use news_enricher::config::Guarantee;
use news_enricher::kafka::WorkerError;
use scenario::{
    batch, check_dead_letters, output_ids, wait_for_commits, worker_config, RunningWorker, Topics,
};

fn cluster_with(
    t: &Topics,
    partitions: i32,
) -> MockCluster<'static, rdkafka::producer::DefaultProducerContext> {
    let cluster = MockCluster::new(1).expect("mock cluster");
    cluster.create_topic(&t.input, partitions, 1).unwrap();
    cluster.create_topic(&t.output, 3, 1).unwrap();
    cluster.create_topic(&t.dlq, 1, 1).unwrap();
    cluster
}

fn assert_exactly_once(bootstrap: &str, t: &Topics, b: &scenario::Batch) {
    let out = support::consume_all(
        bootstrap,
        &t.output,
        b.valid_ids.len(),
        Duration::from_secs(30),
    );
    let counts = output_ids(&out);
    let ids: std::collections::BTreeSet<String> = counts.keys().cloned().collect();
    assert_eq!(ids, b.valid_ids, "every valid article is in the output");
    let doubled: Vec<_> = counts.iter().filter(|(_, &n)| n > 1).collect();
    assert!(
        doubled.is_empty(),
        "articles published more than once: {doubled:?}"
    );
    let dead = support::consume_all(
        bootstrap,
        &t.dlq,
        b.malformed_keys.len(),
        Duration::from_secs(30),
    );
    check_dead_letters(&dead, b, &t.input);
}

#[test]
fn every_article_is_published_once_and_offsets_reach_the_end() {
    let t = Topics::new("mock");
    let cluster = cluster_with(&t, 3);
    let bootstrap = cluster.bootstrap_servers();
    let b = batch(0, 300, 10, 0);
    support::produce(&bootstrap, &t.input, &b.records);
    let ends = support::end_offsets(&bootstrap, &t.input);

    let worker = RunningWorker::start(worker_config(&bootstrap, &t, |_| {}));
    assert!(
        wait_for_commits(&bootstrap, &t, &ends, Duration::from_secs(60)),
        "committed offsets did not reach {ends:?}: {:?}",
        support::committed_offsets(&bootstrap, &t.group, &t.input)
    );
    let summary = worker.stop().expect("graceful stop");
    assert!(summary.clean);
    assert_eq!(summary.consumed, 300);
    assert_eq!(summary.produced as usize, b.valid_ids.len());
    assert_eq!(summary.dead_lettered as usize, b.malformed_keys.len());
    assert_exactly_once(&bootstrap, &t, &b);
}

/// Span export is best effort: a collector that accepts connections and never answers costs
/// the spans, not the articles, and holds the shutdown back by the short flush bound only.
#[test]
fn a_silent_span_collector_costs_spans_not_articles() {
    let t = Topics::new("mock-otlp");
    let cluster = cluster_with(&t, 3);
    let bootstrap = cluster.bootstrap_servers();
    // The kernel completes connections to a listener nobody accepts from; requests then wait.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    let b = batch(0, 100, 5, 0);
    support::produce(&bootstrap, &t.input, &b.records);
    let ends = support::end_offsets(&bootstrap, &t.input);

    let worker = RunningWorker::start(worker_config(&bootstrap, &t, |s| {
        s.otlp_endpoint = Some(endpoint);
    }));
    assert!(
        wait_for_commits(&bootstrap, &t, &ends, Duration::from_secs(60)),
        "committed offsets did not reach {ends:?}"
    );
    let stopping = std::time::Instant::now();
    let summary = worker.stop().expect("graceful stop");
    let took = stopping.elapsed();
    assert!(summary.clean);
    assert_eq!(summary.consumed, 100);
    assert_exactly_once(&bootstrap, &t, &b);
    // The drain, the final commit and at most the 2 s span flush; 10 s is the HTTP timeout a
    // flush that waited for the collector would have taken.
    assert!(took < Duration::from_secs(8), "stopping took {took:?}");
    eprintln!("silent collector: stopped in {took:?}");
}

#[test]
fn a_tiny_in_flight_limit_pauses_and_resumes_without_losing_anything() {
    let t = Topics::new("mock-bp");
    let cluster = cluster_with(&t, 2);
    let bootstrap = cluster.bootstrap_servers();
    let b = batch(0, 400, 25, 0);
    support::produce(&bootstrap, &t.input, &b.records);
    let ends = support::end_offsets(&bootstrap, &t.input);

    let worker = RunningWorker::start(worker_config(&bootstrap, &t, |a| {
        a.max_in_flight = Some(10);
        a.processing_threads = Some(1);
        a.kafka_properties = vec!["consumer.fetch.wait.max.ms=50".into()];
    }));
    assert!(wait_for_commits(
        &bootstrap,
        &t,
        &ends,
        Duration::from_secs(90)
    ));
    worker.stop().expect("graceful stop");
    assert_exactly_once(&bootstrap, &t, &b);
}

#[test]
fn transient_produce_errors_are_retried_without_duplicates() {
    let t = Topics::new("mock-retry");
    let cluster = cluster_with(&t, 2);
    let bootstrap = cluster.bootstrap_servers();
    let b = batch(0, 100, 10, 0);
    support::produce(&bootstrap, &t.input, &b.records);
    let ends = support::end_offsets(&bootstrap, &t.input);
    // Every one of the worker's next produce requests fails with retriable errors first.
    cluster.request_errors(
        RDKafkaApiKey::Produce,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION; 6],
    );

    let worker = RunningWorker::start(worker_config(&bootstrap, &t, |_| {}));
    assert!(wait_for_commits(
        &bootstrap,
        &t,
        &ends,
        Duration::from_secs(60)
    ));
    let summary = worker.stop().expect("graceful stop");
    // Every record was acknowledged before its offset was committed.
    assert_eq!(summary.dead_lettered as usize, b.malformed_keys.len());
    assert_eq!(summary.produced as usize, b.valid_ids.len());
    // What is read back may miss records: the mock cluster has been seen (in some runs) to
    // acknowledge idempotent retries without appending them — ten dead letters acknowledged
    // and a high watermark of six, or four enriched records acknowledged and absent. The
    // worker did its part (it committed only after the acknowledgements); completeness is
    // checked on a real broker in tests/tansu_worker.rs. Here: retries never duplicate, and
    // nothing unexpected appears.
    let out = support::consume_all(
        &bootstrap,
        &t.output,
        b.valid_ids.len(),
        Duration::from_secs(30),
    );
    let counts = output_ids(&out);
    assert!(
        counts.keys().all(|id| b.valid_ids.contains(id)),
        "only the batch's articles are published"
    );
    assert!(
        counts.values().all(|&n| n == 1),
        "retries must not duplicate output"
    );
}

#[test]
fn a_failed_delivery_stops_the_worker_without_committing_past_it() {
    let t = Topics::new("mock-fatal");
    let cluster = cluster_with(&t, 1);
    let bootstrap = cluster.bootstrap_servers();
    let b = batch(0, 20, 0, 0);
    support::produce(&bootstrap, &t.input, &b.records);
    // A permanent, non-retriable error for every produce request: no output can be delivered.
    cluster.request_errors(
        RDKafkaApiKey::Produce,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED; 200],
    );

    let worker = RunningWorker::start(worker_config(&bootstrap, &t, |_| {}));
    let stopped = support::wait_until(Duration::from_secs(60), Duration::from_millis(100), || {
        worker.is_finished()
    });
    assert!(
        stopped,
        "the worker must stop on its own after a failed delivery"
    );
    match worker.join() {
        Err(WorkerError::Fatal(msg)) => assert!(msg.contains("failed"), "{msg}"),
        other => panic!("expected a fatal error, got {other:?}"),
    }
    let committed = support::committed_offsets(&bootstrap, &t.group, &t.input);
    assert!(
        committed.values().all(|&o| o <= 0),
        "nothing may be committed when no output was delivered: {committed:?}"
    );
}

/// Exactly-once settings for a test worker: a transactional id of its own, short transactions.
fn exactly_once(t: &Topics) -> impl FnOnce(&mut news_enricher::config::Settings) + '_ {
    move |a| {
        a.guarantee = Some(Guarantee::ExactlyOnce);
        a.transactional_id = Some(format!("{}-txn", t.group));
        a.transaction_max_ms = Some(100);
        a.transaction_max_messages = Some(50);
    }
}

/// Waits (bounded) until a read_committed reader sees every output and dead letter of `b`.
fn wait_for_outputs(bootstrap: &str, t: &Topics, b: &scenario::Batch) {
    let seen = support::wait_until(Duration::from_secs(60), Duration::from_millis(500), || {
        support::consume_all(
            bootstrap,
            &t.output,
            b.valid_ids.len(),
            Duration::from_secs(2),
        )
        .len()
            >= b.valid_ids.len()
            && support::consume_all(
                bootstrap,
                &t.dlq,
                b.malformed_keys.len(),
                Duration::from_secs(2),
            )
            .len()
                >= b.malformed_keys.len()
    });
    assert!(seen, "outputs not all committed within 60 s");
}

#[test]
fn exactly_once_commits_records_and_offsets_in_transactions() {
    let t = Topics::new("mock-eos");
    let cluster = cluster_with(&t, 3);
    let bootstrap = cluster.bootstrap_servers();
    let b = batch(0, 300, 10, 0);
    support::produce(&bootstrap, &t.input, &b.records);

    let worker = RunningWorker::start(worker_config(&bootstrap, &t, exactly_once(&t)));
    // The mock cluster commits transactions but does not store their offsets for the group
    // (committed offsets stay at -1): offsets are checked on tansu (tests/chaos.rs). Here the
    // worker runs until everything is visible to a read_committed reader.
    wait_for_outputs(&bootstrap, &t, &b);
    let summary = worker.stop().expect("graceful stop");
    assert!(summary.clean);
    assert_eq!(summary.consumed, 300);
    // 300 messages, at most 50 per transaction.
    assert!(
        summary.transactions_committed >= 6,
        "transactions: {summary:?}"
    );
    assert_eq!(summary.transactions_aborted, 0);
    assert_exactly_once(&bootstrap, &t, &b);
}

#[test]
fn exactly_once_aborts_a_transaction_whose_record_failed_and_redoes_the_batch() {
    let t = Topics::new("mock-eos-abort");
    let cluster = cluster_with(&t, 2);
    let bootstrap = cluster.bootstrap_servers();
    let b = batch(0, 120, 10, 0);
    support::produce(&bootstrap, &t.input, &b.records);
    // The first produce requests fail for good (not retriable): their records fail, so their
    // transaction can only abort. After the rewind the batch is produced again, and succeeds.
    cluster.request_errors(
        RDKafkaApiKey::Produce,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_INVALID_RECORD; 2],
    );

    let worker = RunningWorker::start(worker_config(&bootstrap, &t, exactly_once(&t)));
    // Every article of the batch, once or more (the mock shows aborted records too).
    let complete = support::wait_until(Duration::from_secs(60), Duration::from_millis(500), || {
        let out = support::consume_all(
            &bootstrap,
            &t.output,
            2 * b.valid_ids.len(),
            Duration::from_secs(2),
        );
        output_ids(&out).len() >= b.valid_ids.len()
    });
    let summary = worker.stop().expect("an aborted transaction is not fatal");
    assert!(
        complete,
        "every article published after the redo: {summary:?}"
    );
    assert!(
        summary.produced as usize >= b.valid_ids.len(),
        "every output acknowledged after the redo: {summary:?}"
    );
    assert!(
        summary.transactions_aborted >= 1,
        "the failed records must abort their transaction: {summary:?}"
    );
    assert!(
        summary.consumed > 120,
        "the aborted batch is consumed again after the rewind: {summary:?}"
    );
    // The mock cluster cannot show more: it reports no aborted transactions to fetchers (its
    // Fetch handler writes an empty aborted list and LSO = end), so a read_committed reader
    // there sees aborted records too. Exactly once is checked on tansu (tests/chaos.rs); here,
    // what was read back is the batch's and nothing else.
    let out = support::consume_all(
        &bootstrap,
        &t.output,
        2 * b.valid_ids.len(),
        Duration::from_secs(5),
    );
    let ids: std::collections::BTreeSet<String> = output_ids(&out).into_keys().collect();
    assert!(
        ids.is_subset(&b.valid_ids),
        "only the batch's articles are published"
    );
}

#[test]
fn a_missing_topic_fails_start_up_with_its_name() {
    let t = Topics::new("mock-missing");
    let cluster = MockCluster::new(1).expect("mock cluster");
    cluster.create_topic(&t.input, 1, 1).unwrap();
    cluster.create_topic(&t.dlq, 1, 1).unwrap();
    // No output topic.
    let worker = RunningWorker::start(worker_config(&cluster.bootstrap_servers(), &t, |a| {
        a.kafka_properties
            .push("allow.auto.create.topics=false".into());
    }));
    let stopped = support::wait_until(Duration::from_secs(60), Duration::from_millis(100), || {
        worker.is_finished()
    });
    assert!(stopped, "start-up must fail on its own");
    match worker.join() {
        Err(WorkerError::Startup(msg)) => assert!(msg.contains(&t.output), "{msg}"),
        other => panic!("expected a start-up error, got {other:?}"),
    }
}
