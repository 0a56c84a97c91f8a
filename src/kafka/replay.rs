//! Replay (backfill): re-enrich the input topic from a point in time, after a model upgrade or
//! a fix, and publish the updated records under the same keys.
//!
//! `news-enricher replay --from T [--to U]` takes the input topic's offsets at `T` (and at `U`,
//! else its current end), commits the start offsets to the consumer group, and runs the normal
//! worker, which stops by itself once every partition is consumed to its end offset (messages
//! at or past it are left alone). Everything else is the worker as `run` runs it: the same
//! stages, dead letters, delivery guarantee (a transaction per batch in exactly-once mode) and
//! dedup window. With the index topic configured, a replayed article is a redelivery (same
//! input position) and keeps the verdict it had; an article the window never saw, or no longer
//! holds (older than its horizon), is judged as if new.
//!
//! Offsets at a time come from the broker's ListOffsets, checked against the timestamps of the
//! messages around the answer; when the check fails (a broker that ignores the timestamp, as
//! tansu does) the offset is found by a binary search over message timestamps, which assumes
//! they do not decrease along a partition (log-append time, or producers' clocks in order).
//!
//! The group must have no active member: the start offsets are committed before the worker
//! joins, which a broker refuses for a group in use. Replay with its own `--group-id`.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::{Message, Offset, TopicPartitionList};

use super::clients::consumer_config;
use super::worker::{run_worker, WorkerError, WorkerSummary};
use crate::config::WorkerConfig;

/// How long one broker request of the planning step may take.
const TIMEOUT: Duration = Duration::from_secs(15);

/// Where a replay starts and ends in one partition: offsets `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First offset replayed.
    pub start: i64,
    /// First offset not replayed.
    pub end: i64,
}

/// What a replay did.
#[derive(Debug, Clone)]
pub struct ReplaySummary {
    /// The offsets replayed, per input partition.
    pub spans: BTreeMap<i32, Span>,
    /// The worker's run over them.
    pub worker: WorkerSummary,
}

/// Replays the input topic from `from` to `to` (or its current end), then stops; `shutdown`
/// stops it early, as it stops `run` (what was done is committed, the rest is not).
pub async fn replay(
    mut cfg: WorkerConfig,
    from: DateTime<Utc>,
    to: Option<DateTime<Utc>>,
    shutdown: impl Future<Output = ()>,
) -> Result<ReplaySummary, WorkerError> {
    let planning = cfg.clone();
    let spans = tokio::task::spawn_blocking(move || plan(&planning, from, to))
        .await
        .map_err(|e| WorkerError::Startup(e.to_string()))??;
    tracing::info!(
        from = %from, to = ?to, topic = %cfg.input_topic, group = %cfg.group_id,
        spans = ?spans.iter().map(|(p, s)| format!("{p}:{}..{}", s.start, s.end)).collect::<Vec<_>>(),
        messages = spans.values().map(|s| s.end - s.start).sum::<i64>(),
        "replay planned"
    );
    let ends: BTreeMap<i32, i64> = spans
        .iter()
        .filter(|(_, s)| s.start < s.end)
        .map(|(&p, s)| (p, s.end))
        .collect();
    if ends.is_empty() {
        tracing::info!("nothing to replay");
        return Ok(ReplaySummary {
            spans,
            worker: WorkerSummary {
                clean: true,
                ..WorkerSummary::default()
            },
        });
    }
    cfg.stop_at = Some(ends);
    let worker = run_worker(cfg, shutdown).await?;
    Ok(ReplaySummary { spans, worker })
}

/// Finds each partition's span and commits the starts to the group.
fn plan(
    cfg: &WorkerConfig,
    from: DateTime<Utc>,
    to: Option<DateTime<Utc>>,
) -> Result<BTreeMap<i32, Span>, WorkerError> {
    let startup = |what: &str, e: rdkafka::error::KafkaError| {
        WorkerError::Startup(format!("replay: {what}: {e}"))
    };
    let consumer: BaseConsumer = consumer_config(cfg).create()?;
    let topic = cfg.input_topic.as_str();
    let metadata = consumer
        .fetch_metadata(Some(topic), TIMEOUT)
        .map_err(|e| startup("reading the topic's partitions", e))?;
    let partitions: Vec<i32> = metadata
        .topics()
        .iter()
        .filter(|t| t.name() == topic)
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    if partitions.is_empty() {
        return Err(WorkerError::Startup(format!(
            "replay: topic `{topic}` does not exist"
        )));
    }
    let probe = Probe::new(cfg)?;
    let mut spans = BTreeMap::new();
    for &p in &partitions {
        let (low, reported_high) = consumer
            .fetch_watermarks(topic, p, TIMEOUT)
            .map_err(|e| startup("reading watermarks", e))?;
        let high = log_end(&probe, topic, p, reported_high)?;
        let start = offset_at(&consumer, &probe, topic, p, from, low, high)?;
        let end = match to {
            Some(to) => offset_at(&consumer, &probe, topic, p, to, low, high)?,
            None => high,
        };
        spans.insert(
            p,
            Span {
                start,
                end: end.max(start),
            },
        );
    }
    let mut tpl = TopicPartitionList::new();
    for (&p, span) in &spans {
        tpl.add_partition_offset(topic, p, Offset::Offset(span.start))
            .map_err(|e| startup("building the start offsets", e))?;
    }
    consumer.commit(&tpl, CommitMode::Sync).map_err(|e| {
        WorkerError::Startup(format!(
            "replay: cannot set group `{}` to the start offsets ({e}); is a worker of that \
             group running? Replay with a group of its own (--group-id)",
            cfg.group_id
        ))
    })?;
    Ok(spans)
}

/// Where the partition's log ends: the broker's high watermark, unless a message is found at or
/// past it (a broker that under-reports it, as tansu does for batches of several records);
/// then one past the last message, found by galloping and halving.
fn log_end(probe: &Probe, topic: &str, partition: i32, reported: i64) -> Result<i64, WorkerError> {
    // Past the log's end a broker may answer a fetch with nothing rather than "out of range",
    // so a short silence means no message.
    let has_message_from = |o: i64| -> Result<bool, WorkerError> {
        Ok(probe
            .read(topic, partition, o, i64::MAX, Silence::IsEnd)?
            .is_some())
    };
    if !has_message_from(reported)? {
        return Ok(reported);
    }
    // Messages from `lo` on; none from `hi` on.
    let (mut lo, mut step) = (reported, 1);
    let mut hi = loop {
        let next = lo + step;
        if !has_message_from(next)? {
            break next;
        }
        lo = next;
        step *= 2;
    };
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if has_message_from(mid)? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    tracing::info!(
        partition,
        reported,
        end = hi,
        "the broker's high watermark is behind its log; replaying to the log's end"
    );
    hi = hi.max(reported);
    Ok(hi)
}

/// The first offset of `topic`/`partition` whose message is at or after `at`: the broker's
/// answer when the messages around it confirm it, else a search.
fn offset_at(
    consumer: &BaseConsumer,
    probe: &Probe,
    topic: &str,
    partition: i32,
    at: DateTime<Utc>,
    low: i64,
    high: i64,
) -> Result<i64, WorkerError> {
    let ts = at.timestamp_millis();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, partition, Offset::Offset(ts))
        .map_err(|e| WorkerError::Startup(format!("replay: {e}")))?;
    let answer = consumer
        .offsets_for_times(tpl, TIMEOUT)
        .ok()
        .and_then(|t| t.find_partition(topic, partition).map(|e| e.offset()))
        .and_then(|o| match o {
            Offset::Offset(o) => Some(o.clamp(low, high)),
            Offset::End => Some(high),
            _ => None,
        });
    let look = |offset: i64| probe.read(topic, partition, offset, high, Silence::IsError);
    if let Some(o) = answer {
        let before = if o > low { look(o - 1)? } else { None };
        let at_answer = if o < high { look(o)? } else { None };
        let confirmed = before.is_none_or(|(off, t)| off >= o || t < ts)
            && at_answer.is_none_or(|(_, t)| t >= ts);
        if confirmed {
            return Ok(o);
        }
        tracing::info!(
            partition,
            offset = o,
            "the broker's offset for the time does not match the \
             messages' timestamps; searching"
        );
    }
    first_offset_at(low, high, ts, look)
}

/// The first offset in `[low, high]` from which the first message has a timestamp at or after
/// `ts` (`high` when none has). `first_at_or_after(o)` is the offset and timestamp of the first
/// message at or after `o`, `None` when there is none before `high` (offsets may have gaps:
/// compaction, transaction markers). Binary search: timestamps are assumed not to decrease.
pub fn first_offset_at<E>(
    low: i64,
    high: i64,
    ts: i64,
    mut first_at_or_after: impl FnMut(i64) -> Result<Option<(i64, i64)>, E>,
) -> Result<i64, E> {
    let (mut lo, mut hi) = (low, high.max(low));
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match first_at_or_after(mid)? {
            Some((offset, t)) if t < ts => lo = offset + 1,
            _ => hi = mid,
        }
    }
    Ok(lo)
}

/// What a probe makes of a partition that sends nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Silence {
    /// After a second: there is no message there.
    IsEnd,
    /// After [`TIMEOUT`]: the broker is failing.
    IsError,
}

/// Reads single messages by offset, for the timestamps the search needs.
struct Probe {
    consumer: BaseConsumer,
}

impl Probe {
    fn new(cfg: &WorkerConfig) -> Result<Probe, WorkerError> {
        let mut config = consumer_config(cfg);
        // Assigned, never subscribed: it joins no group and commits nothing.
        config
            .set("group.id", format!("{}-replay-probe", cfg.group_id))
            .set("enable.partition.eof", "true")
            // Past the end is an answer ("no message there"), not a reason to jump back.
            .set("auto.offset.reset", "error");
        Ok(Probe {
            consumer: config.create()?,
        })
    }

    /// The offset and timestamp of the first message at or after `offset`, `None` when there
    /// is none before `high`.
    fn read(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
        high: i64,
        silence: Silence,
    ) -> Result<Option<(i64, i64)>, WorkerError> {
        if offset >= high {
            return Ok(None);
        }
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, partition, Offset::Offset(offset))
            .and_then(|()| self.consumer.assign(&tpl))
            .map_err(|e| WorkerError::Startup(format!("replay: {e}")))?;
        let deadline = Instant::now()
            + match silence {
                Silence::IsEnd => Duration::from_secs(1),
                Silence::IsError => TIMEOUT,
            };
        while Instant::now() < deadline {
            match self.consumer.poll(Duration::from_millis(100)) {
                Some(Ok(m)) if m.partition() == partition && m.offset() >= offset => {
                    if m.offset() >= high {
                        return Ok(None);
                    }
                    let Some(ts) = m.timestamp().to_millis() else {
                        return Err(WorkerError::Startup(format!(
                            "replay: message {partition}/{} has no timestamp",
                            m.offset()
                        )));
                    };
                    return Ok(Some((m.offset(), ts)));
                }
                Some(Err(rdkafka::error::KafkaError::PartitionEOF(p))) if p == partition => {
                    return Ok(None)
                }
                Some(Err(e))
                    if matches!(
                        e.rdkafka_error_code(),
                        Some(
                            RDKafkaErrorCode::OffsetOutOfRange | RDKafkaErrorCode::AutoOffsetReset
                        )
                    ) =>
                {
                    return Ok(None)
                }
                Some(Err(e)) => {
                    return Err(WorkerError::Startup(format!(
                        "replay: reading {topic}/{partition} at {offset}: {e}"
                    )))
                }
                _ => {}
            }
        }
        match silence {
            Silence::IsEnd => Ok(None),
            Silence::IsError => Err(WorkerError::Startup(format!(
                "replay: no message from {topic}/{partition} at {offset} within {TIMEOUT:?}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::first_offset_at;

    /// A partition's messages as (offset, timestamp), searched as the probe would read them.
    fn search(messages: &[(i64, i64)], low: i64, high: i64, ts: i64) -> i64 {
        first_offset_at::<()>(low, high, ts, |o| {
            Ok(messages
                .iter()
                .copied()
                .find(|&(off, _)| off >= o && off < high))
        })
        .unwrap()
    }

    /// What the search must find: the first offset from which the next message is at or
    /// after `ts`, computed by walking every offset.
    fn walk(messages: &[(i64, i64)], low: i64, high: i64, ts: i64) -> i64 {
        (low..high)
            .find(|&o| {
                messages
                    .iter()
                    .find(|&&(off, _)| off >= o && off < high)
                    .is_some_and(|&(_, t)| t >= ts)
            })
            .unwrap_or(high)
    }

    #[test]
    fn finds_the_first_offset_at_a_time_with_gaps_and_ties() {
        // Offsets 3, 7 and 8 are gaps (markers, compacted); timestamps repeat.
        let messages = [
            (0, 100),
            (1, 100),
            (2, 200),
            (4, 200),
            (5, 300),
            (6, 400),
            (9, 400),
            (10, 900),
        ];
        for ts in [0, 100, 101, 200, 250, 300, 399, 400, 401, 900, 901] {
            assert_eq!(
                search(&messages, 0, 11, ts),
                walk(&messages, 0, 11, ts),
                "ts {ts}"
            );
        }
        assert_eq!(search(&messages, 0, 11, 250), 5);
        assert_eq!(search(&messages, 0, 11, 401), 10);
        assert_eq!(
            search(&messages, 0, 11, 1_000),
            11,
            "after everything: the end"
        );
        assert_eq!(search(&messages, 0, 11, 0), 0);
    }

    #[test]
    fn an_offset_in_a_gap_positions_at_the_message_after_it() {
        let messages = [(2, 200), (4, 300)];
        assert_eq!(search(&messages, 2, 5, 250), 3);
        assert_eq!(walk(&messages, 2, 5, 250), 3);
    }

    #[test]
    fn an_empty_or_truncated_partition() {
        assert_eq!(search(&[], 5, 5, 10), 5);
        // The log starts at 4 (older messages deleted).
        let messages = [(4, 50), (5, 60)];
        assert_eq!(search(&messages, 4, 6, 10), 4);
        assert_eq!(search(&messages, 4, 6, 55), 5);
        assert_eq!(search(&messages, 4, 6, 61), 6);
    }
}
