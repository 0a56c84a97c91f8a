//! `news-enricher demo`: the real worker loop against an in-process broker.
//!
//! Starts librdkafka's mock cluster, creates the topics, produces a handful of bundled articles
//! (the seed article, a reformatted copy of it, a URL duplicate, and malformed messages), runs
//! [`crate::kafka::run_worker`] until every input offset is committed, then prints what landed on
//! the output and dead-letter topics. Nothing here is faked: it is the production code path with
//! a different broker.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

use crate::config::{ConfigError, Settings};

/// The seed article the project was created from (plain text with a `date` header).
pub const SEED_ARTICLE: &str = include_str!("../data/demo/seed-article.txt");

/// Errors of the demo.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A Kafka call failed.
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    /// The worker failed.
    #[error("worker: {0}")]
    Worker(#[from] crate::kafka::WorkerError),
    /// The built-in configuration is invalid.
    #[error("config: {0}")]
    Config(#[from] ConfigError),
    /// The run did not reach the expected end state.
    #[error("{0}")]
    Incomplete(String),
}

/// The bundled demo messages: (label, value bytes). All are dated around the seed article's
/// date, because the dedup window is kept by event time (7 days by default), and all go to one
/// partition so the dedup verdicts read in the order listed.
pub fn demo_messages() -> Vec<(&'static str, Vec<u8>)> {
    let seed_body = SEED_ARTICLE
        .trim_start()
        .splitn(3, ' ')
        .nth(2)
        .unwrap_or_default();
    // The same story as JSON from another outlet: different layout and case, same words.
    let reformatted = serde_json::json!({
        "source": "syndicated-copy",
        "title": "Blinken talks to counterparts",
        "body": seed_body.split_whitespace().collect::<Vec<_>>().join("  ").to_uppercase(),
        "published_at": "2024-04-12T09:30:00Z",
    });
    let bbc = serde_json::json!({
        "id": "bbc-2005-001",
        "url": "https://www.bbc.co.uk/news/business-4123?utm_source=rss",
        "source": "BBC",
        "title": "Ad sales boost Time Warner profit",
        "body": "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn for the three months to December, from $639m year-earlier.",
        "published_at": "2024-04-11",
        "language": "en",
        "section": "business",
    });
    // A near-copy: another outlet's edit with a new headline and an extra closing sentence.
    let edited = serde_json::json!({
        "url": "https://example.org/world/blinken-calls",
        "source": "another-outlet",
        "title": "US urges restraint",
        "published_at": "2024-04-12T15:00:00Z",
        "body": format!("{} The State Department did not comment further on Friday.", seed_body.replacen("detrimental", "harmful", 1)),
    });
    let bbc_again = serde_json::json!({
        "url": "http://bbc.co.uk/news/business-4123/",
        "title": "Time Warner profit up (updated)",
        "published_at": "2024-04-12T08:00:00+01:00",
        "body": "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn for the three months to December. Corrected figure.",
    });
    vec![
        (
            "seed article (plain text)",
            SEED_ARTICLE.as_bytes().to_vec(),
        ),
        (
            "seed article reformatted as JSON",
            reformatted.to_string().into_bytes(),
        ),
        (
            "seed article edited by another outlet",
            edited.to_string().into_bytes(),
        ),
        ("BBC article (JSON with URL)", bbc.to_string().into_bytes()),
        ("same URL, edited text", bbc_again.to_string().into_bytes()),
        ("malformed JSON", br#"{"title": "cut off mid-"#.to_vec()),
        (
            "JSON without body",
            br#"{"title": "headline only"}"#.to_vec(),
        ),
        ("not UTF-8", vec![0xff, 0xfe, 0x00, 0x41]),
    ]
}

/// Runs the demo, printing to stdout. Returns (enriched, dead-lettered) counts.
pub async fn run(settings: Settings) -> Result<(usize, usize), DemoError> {
    let cluster = MockCluster::new(1)?;
    let brokers = cluster.bootstrap_servers();
    let (input, output, dlq, index) = (
        "articles.raw",
        "articles.enriched",
        "articles.dlq",
        "articles.dedup-index",
    );
    cluster.create_topic(input, 3, 1)?;
    cluster.create_topic(output, 3, 1)?;
    cluster.create_topic(dlq, 1, 1)?;
    cluster.create_topic(index, 3, 1)?;

    let messages = demo_messages();
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .create()?;
    for (i, (_, value)) in messages.iter().enumerate() {
        let key = format!("demo-{i}");
        producer
            .send(BaseRecord::to(input).partition(0).key(&key).payload(value))
            .map_err(|(e, _)| e)?;
    }
    producer.flush(Duration::from_secs(10))?;
    println!("== produced {} raw messages to `{input}`:", messages.len());
    for (i, (label, _)) in messages.iter().enumerate() {
        println!("   demo-{i}: {label}");
    }

    let group = "news-enricher-demo";
    // The given settings (the production defaults unless told otherwise) on the demo's own
    // broker and topics, with a quicker commit cadence so the demo ends promptly.
    let mut cfg = Settings {
        brokers: Some(brokers.clone()),
        input_topic: Some(input.into()),
        output_topic: Some(output.into()),
        dlq_topic: Some(dlq.into()),
        group_id: Some(group.into()),
        dedup_index_topic: Some(index.into()),
        // The demo prints its results; no endpoint to scrape.
        http_addr: Some("off".into()),
        ..Settings::default()
    }
    .over(settings.with_file()?)
    .resolve()?;
    cfg.commit_interval = Duration::from_millis(200);
    let ends = high_watermarks(&brokers, input)?;
    let watch_brokers = brokers.clone();
    let done = async move {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if committed(&watch_brokers, group, input, &ends).unwrap_or(false) {
                return;
            }
        }
        tracing::warn!("demo: gave up waiting for commits after 60 s");
    };
    let summary = crate::kafka::run_worker(cfg, done).await?;

    let enriched = read_topic(&brokers, output)?;
    let dead = read_topic(&brokers, dlq)?;
    println!("\n== {} enriched records on `{output}`:", enriched.len());
    for (_, value, _) in &enriched {
        let v: serde_json::Value = serde_json::from_slice(value).unwrap_or_default();
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    }
    println!("\n== {} dead-letter records on `{dlq}`:", dead.len());
    for (key, value, headers) in &dead {
        println!(
            "key={} value={:?}",
            String::from_utf8_lossy(key),
            String::from_utf8_lossy(value)
        );
        for (k, v) in headers {
            println!("    {k}: {v}");
        }
    }
    println!(
        "\n== worker summary: consumed {}, enriched {}, dead-lettered {}",
        summary.consumed, summary.produced, summary.dead_lettered
    );
    let dropped = summary.dropped_duplicates as usize;
    if enriched.len() + dead.len() + dropped < messages.len() {
        return Err(DemoError::Incomplete(format!(
            "expected {} records in output and dead-letter topics ({dropped} duplicates dropped), found {}",
            messages.len(),
            enriched.len() + dead.len()
        )));
    }
    drop(cluster);
    Ok((enriched.len(), dead.len()))
}

fn high_watermarks(brokers: &str, topic: &str) -> Result<BTreeMap<i32, i64>, DemoError> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()?;
    let md = c.fetch_metadata(Some(topic), Duration::from_secs(10))?;
    let mut out = BTreeMap::new();
    for t in md.topics() {
        for p in t.partitions() {
            let (_, high) = c.fetch_watermarks(topic, p.id(), Duration::from_secs(10))?;
            out.insert(p.id(), high);
        }
    }
    Ok(out)
}

fn committed(
    brokers: &str,
    group: &str,
    topic: &str,
    ends: &BTreeMap<i32, i64>,
) -> Result<bool, DemoError> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .create()?;
    let mut tpl = TopicPartitionList::new();
    for &p in ends.keys() {
        tpl.add_partition(topic, p);
    }
    let got = c.committed_offsets(tpl, Duration::from_secs(5))?;
    Ok(ends.iter().all(|(&p, &end)| {
        end == 0
            || matches!(
                got.find_partition(topic, p).map(|e| e.offset()),
                Some(Offset::Offset(o)) if o >= end
            )
    }))
}

type Record = (Vec<u8>, Vec<u8>, Vec<(String, String)>);

fn read_topic(brokers: &str, topic: &str) -> Result<Vec<Record>, DemoError> {
    let ends = high_watermarks(brokers, topic)?;
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "news-enricher-demo-reader")
        .set("enable.auto.commit", "false")
        .create()?;
    let mut tpl = TopicPartitionList::new();
    for &p in ends.keys() {
        tpl.add_partition_offset(topic, p, Offset::Beginning)?;
    }
    c.assign(&tpl)?;
    let want: i64 = ends.values().sum();
    let mut out = Vec::new();
    let started = Instant::now();
    while (out.len() as i64) < want && started.elapsed() < Duration::from_secs(20) {
        if let Some(Ok(m)) = c.poll(Duration::from_millis(200)) {
            let headers = m
                .headers()
                .map(|hs| {
                    hs.iter()
                        .map(|h| {
                            (
                                h.key.to_owned(),
                                h.value
                                    .map(|v| String::from_utf8_lossy(v).into_owned())
                                    .unwrap_or_default(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push((
                m.key().unwrap_or_default().to_vec(),
                m.payload().unwrap_or_default().to_vec(),
                headers,
            ));
        }
    }
    Ok(out)
}
