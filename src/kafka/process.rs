//! The processing threads: each runs the core's `Enricher` on the messages of its partitions,
//! in order, and hands the records to the publisher; a thread keeps its `Reading` from one
//! article to the next.

use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use chrono::Utc;

use super::delivery::RecordKind;
use super::publish::{Publisher, Record};
use super::shared::Shared;
use super::worker::{join_named, WorkerError};
use crate::config::WorkerConfig;
use crate::otlp::{Processing, SpanExport, StageTiming};
use news_enricher_core::enrich::{Enricher, Outcome};
use news_enricher_core::message::RawMessage;
use news_enricher_core::offsets::Ticket;
use news_enricher_core::stage::Reading;

/// A received message for a processing thread, with its place in the offset tracker.
pub(super) struct Job {
    pub msg: RawMessage,
    pub ticket: Ticket,
}

/// The processing threads and their job channels (a message's partition picks its lane).
pub(super) struct Lanes {
    pub senders: Vec<mpsc::Sender<Job>>,
    pub threads: Vec<JoinHandle<()>>,
}

/// Starts the processing threads, one job channel each. If one cannot be spawned, the ones
/// already running are stopped (their channels closed) and joined.
pub(super) fn start_processing(
    cfg: &WorkerConfig,
    enricher: &Arc<Enricher>,
    publisher: &Arc<Publisher>,
    spans: Option<&Arc<SpanExport>>,
    shared: &Arc<Shared>,
) -> Result<Lanes, WorkerError> {
    let mut senders = Vec::with_capacity(cfg.processing_threads);
    let mut threads = Vec::with_capacity(cfg.processing_threads);
    for i in 0..cfg.processing_threads {
        match spawn_processing(i, enricher, publisher, spans, shared) {
            Ok((tx, handle)) => {
                senders.push(tx);
                threads.push(handle);
            }
            Err(e) => {
                drop(senders);
                for t in threads {
                    join_named(t, "processing");
                }
                return Err(WorkerError::Startup(format!(
                    "cannot start processing thread enrich-{i}: {e}"
                )));
            }
        }
    }
    Ok(Lanes { senders, threads })
}

/// Spawns processing thread `i` with its job channel.
fn spawn_processing(
    i: usize,
    enricher: &Arc<Enricher>,
    publisher: &Arc<Publisher>,
    spans: Option<&Arc<SpanExport>>,
    shared: &Arc<Shared>,
) -> std::io::Result<(mpsc::Sender<Job>, JoinHandle<()>)> {
    let (tx, rx) = mpsc::channel::<Job>();
    let (enricher, publisher, shared) = (enricher.clone(), publisher.clone(), shared.clone());
    let spans = spans.cloned();
    let handle = std::thread::Builder::new()
        .name(format!("enrich-{i}"))
        .spawn(move || {
            // Kept from one article to the next: what the stages learnt about words.
            let mut reading = Reading::default();
            let mut timings = Vec::new();
            for job in rx {
                // Timed only when spans are exported: from the moment the thread takes it up.
                let span = spans.as_deref().map(|export| {
                    timings.clear();
                    Span {
                        export,
                        timings: &mut timings,
                        started: SystemTime::now(),
                    }
                });
                process(job, &enricher, &mut reading, &publisher, span, &shared);
            }
        })?;
    Ok((tx, handle))
}

/// Where a processing thread's spans go, with the stage timings it reuses from one message to
/// the next.
struct Span<'a> {
    export: &'a SpanExport,
    timings: &'a mut Vec<StageTiming>,
    started: SystemTime,
}

/// Enriches one message and publishes what came of it, unless its partition was revoked or
/// the worker is stopping after a fatal error.
fn process(
    job: Job,
    enricher: &Enricher,
    reading: &mut Reading,
    publisher: &Publisher,
    mut span: Option<Span<'_>>,
    shared: &Shared,
) {
    if shared.fatal().is_some() || !shared.tracker().is_current(&job.ticket) {
        return; // abandoned: never acknowledged, never committed, redone by the next owner
    }
    let msg = &job.msg;
    let mut observe = |stage: &'static str, took: Duration| {
        shared
            .metrics
            .stage_duration
            .with_label_values(&[stage])
            .observe(took.as_secs_f64());
        if let Some(span) = &mut span {
            span.timings.push(StageTiming {
                stage,
                ended: SystemTime::now(),
                took,
            });
        }
    };
    let outcome = enricher.enrich_with(msg, Utc::now(), reading, &mut observe);
    match &outcome {
        Outcome::Enriched(out) => {
            if out.dedup_status != news_enricher_core::record::DedupStatus::NotChecked {
                shared
                    .metrics
                    .dedup_verdicts
                    .with_label_values(&[out.dedup_status.as_str()])
                    .inc();
            }
            tracing::debug!(id = %out.key, trace_id = %out.trace.trace_id(), partition = ?msg.partition, offset = ?msg.offset, dedup = ?out.dedup_status, published = out.publish, "enriched");
            if !out.publish {
                shared
                    .counters
                    .dropped_duplicates
                    .fetch_add(1, Ordering::Relaxed);
                shared.metrics.dedup_dropped.inc();
            }
            // The index entry first: a replica that sees the output has the entry too.
            let index = out.index_record.as_deref().map(|value| Record {
                kind: RecordKind::Index,
                key: Some(out.key.as_bytes()),
                value: Some(value),
                headers: &[],
                input_timestamp_ms: None,
                reason: None,
            });
            let output = out.publish.then(|| Record {
                kind: RecordKind::Output,
                key: Some(out.key.as_bytes()),
                value: Some(&out.value),
                headers: &out.headers,
                input_timestamp_ms: msg.timestamp_ms,
                reason: None,
            });
            // A dropped duplicate with nothing to remember is done once decided.
            let records: Vec<Record<'_>> = index.into_iter().chain(output).collect();
            publisher.publish(shared, job.ticket, &records);
        }
        Outcome::DeadLetter(dl) => {
            tracing::warn!(
                trace_id = %dl.trace.trace_id(), partition = ?msg.partition, offset = ?msg.offset,
                reason = dl.reason, stage = dl.stage, detail = %dl.detail, "dead-lettered"
            );
            let dl_record = dl.record(msg, enricher.max_output_bytes());
            let record = Record {
                kind: RecordKind::DeadLetter,
                key: dl_record.key,
                value: dl_record.value,
                headers: &dl_record.headers,
                input_timestamp_ms: msg.timestamp_ms,
                reason: Some(dl.reason),
            };
            publisher.publish(shared, job.ticket, &[record]);
        }
    }
    if let Some(span) = span {
        span.export.record(&Processing {
            msg,
            outcome: &outcome,
            started: span.started,
            ended: SystemTime::now(),
            stages: span.timings,
        });
    }
}
