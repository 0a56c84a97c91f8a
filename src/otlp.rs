//! Span export over OTLP/HTTP (`--otlp-endpoint`): one span per processed message, with a
//! child span per stage, so a trace back end shows where an article spent its time and what
//! became of it, in the same trace as the services before and after the worker.
//!
//! The spans are built here from what the processing thread measured, not through a tracer:
//! the worker's span id is the one the core already wrote into the output's `traceparent`
//! ([`TraceContext`]), and an OpenTelemetry tracer would draw its own, leaving the next
//! service's spans pointing at a parent that was never exported. The SDK's batch processor
//! queues and sends them from its own thread; a processing thread only hands a span over
//! (never blocks on the collector), and when the queue is full the span is dropped, not the
//! article.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{InstrumentationScope, KeyValue, Value};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::resource::{EnvResourceDetector, ResourceDetector};
use opentelemetry_sdk::trace::{
    BatchConfig, BatchSpanProcessor, SpanData, SpanEvents, SpanExporter, SpanLinks, SpanProcessor,
};
use opentelemetry_sdk::Resource;
use prometheus::{IntCounter, IntCounterVec};
use xxhash_rust::xxh3::xxh3_64;

use news_enricher_core::enrich::Outcome;
use news_enricher_core::message::RawMessage;
use news_enricher_core::record::WORKER_VERSION;
use news_enricher_core::trace::TraceContext;

/// The span exporter could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("OTLP span exporter: {0}")]
pub struct ExportError(String);

/// How long the final flush may take at shutdown: spans are worth a short wait, not a
/// shutdown that outlasts the pod's grace period while a collector is unreachable.
const SHUTDOWN_FLUSH: Duration = Duration::from_secs(2);

/// The worker's span export: the SDK's batch processor in front of the OTLP/HTTP exporter.
pub struct SpanExport {
    processor: BatchSpanProcessor,
    scope: InstrumentationScope,
    /// The consumer group, as an attribute value (shared, not copied per span).
    group: Value,
    /// Spans handed to the batch processor.
    queued: IntCounter,
}

impl fmt::Debug for SpanExport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpanExport")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

/// When a stage ended and how long it took, as the processing thread measured it.
#[derive(Debug, Clone, Copy)]
pub struct StageTiming {
    /// The stage's name (`decode`, `dedup`, `entities`, ...).
    pub stage: &'static str,
    /// When it finished.
    pub ended: SystemTime,
    /// Its wall time.
    pub took: Duration,
}

/// One processing of one message.
#[derive(Debug, Clone, Copy)]
pub struct Processing<'a> {
    /// The message.
    pub msg: &'a RawMessage,
    /// What became of it; its trace context names the worker's span.
    pub outcome: &'a Outcome,
    /// When the processing thread took it up.
    pub started: SystemTime,
    /// When its records were handed to the producer.
    pub ended: SystemTime,
    /// Its stages, in order.
    pub stages: &'a [StageTiming],
}

impl Processing<'_> {
    fn trace(&self) -> &TraceContext {
        match self.outcome {
            Outcome::Enriched(out) => &out.trace,
            Outcome::DeadLetter(dl) => &dl.trace,
        }
    }

    /// The stage that dead-lettered the message, if one did.
    fn failed_stage(&self) -> Option<&'static str> {
        match self.outcome {
            Outcome::Enriched(_) => None,
            Outcome::DeadLetter(dl) => Some(dl.stage),
        }
    }
}

impl SpanExport {
    /// Starts the exporter and its batch thread. `spans` counts spans by result (`queued`,
    /// `exported`, `failed`). Nothing is sent until a span is recorded; an unreachable
    /// collector costs failed exports (logged, counted), never articles.
    pub fn start(
        endpoint: &url::Url,
        group: &str,
        spans: IntCounterVec,
    ) -> Result<SpanExport, ExportError> {
        use opentelemetry_otlp::WithExportConfig;
        // The exporter builds its blocking HTTP client on a thread of its own (the client runs
        // a runtime inside, which must not start within the worker's), with the timeout and
        // headers of `OTEL_EXPORTER_OTLP_TIMEOUT` / `_HEADERS`.
        let mut exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .with_endpoint(endpoint.as_str())
            .build()
            .map_err(|e| ExportError(e.to_string()))?;
        exporter.set_resource(&resource());
        let counted = Counted {
            inner: exporter,
            spans: spans.clone(),
            warned: std::sync::Mutex::new(None),
        };
        let processor = BatchSpanProcessor::new(counted, BatchConfig::default());
        Ok(SpanExport {
            processor,
            scope: InstrumentationScope::builder("news-enricher")
                .with_version(WORKER_VERSION)
                .build(),
            group: Value::from(std::sync::Arc::<str>::from(group)),
            queued: spans.with_label_values(&["queued"]),
        })
    }

    /// Queues the spans of one processing, if its trace is sampled.
    pub fn record(&self, p: &Processing<'_>) {
        if !p.trace().sampled() {
            return;
        }
        let spans = self.spans_of(p);
        self.queued.inc_by(spans.len() as u64);
        for span in spans {
            self.processor.on_end(span);
        }
    }

    /// Sends what is queued now, waiting for it (the `span_export` bench charges the export's
    /// CPU to the articles that made the spans this way).
    pub fn flush(&self) {
        if let Err(e) = self.processor.force_flush() {
            tracing::warn!(error = %e, "span export flush failed");
        }
    }

    /// Sends what is queued and stops the batch thread (blocks up to 2 s).
    pub fn shutdown(&self) {
        if let Err(e) = self.processor.shutdown_with_timeout(SHUTDOWN_FLUSH) {
            tracing::warn!(error = %e, "span export did not flush at shutdown");
        }
    }

    /// The message's span and its stages' child spans.
    fn spans_of(&self, p: &Processing<'_>) -> Vec<SpanData> {
        let trace = p.trace();
        let span = trace.span;
        let trace_id = TraceId::from(span.trace_id);
        let flags = TraceFlags::new(span.flags);
        let state = trace
            .state
            .as_deref()
            .and_then(|s| std::str::from_utf8(s).ok())
            .and_then(|s| TraceState::from_str(s).ok())
            .unwrap_or_default();
        let own = SpanContext::new(
            trace_id,
            SpanId::from(span.parent_id),
            flags,
            false,
            state.clone(),
        );
        let topic = p.msg.topic.as_deref().unwrap_or_default();
        let mut attributes = vec![
            KeyValue::new("messaging.system", "kafka"),
            KeyValue::new("messaging.operation.type", "process"),
            KeyValue::new("messaging.operation.name", "process"),
            KeyValue::new("messaging.destination.name", topic.to_owned()),
            KeyValue::new("messaging.consumer.group.name", self.group.clone()),
        ];
        if let Some(partition) = p.msg.partition {
            attributes.push(KeyValue::new(
                "messaging.destination.partition.id",
                partition.to_string(),
            ));
        }
        if let Some(offset) = p.msg.offset {
            attributes.push(KeyValue::new("messaging.kafka.offset", offset));
        }
        if let Some(key) = p
            .msg
            .key
            .as_deref()
            .and_then(|k| std::str::from_utf8(k).ok())
        {
            attributes.push(KeyValue::new("messaging.kafka.message.key", key.to_owned()));
        }
        let status = match p.outcome {
            Outcome::Enriched(out) => {
                attributes.extend([
                    KeyValue::new("news_enricher.outcome", "enriched"),
                    KeyValue::new("news_enricher.article.id", out.key.clone()),
                    KeyValue::new("news_enricher.dedup", out.dedup_status.as_str()),
                    KeyValue::new("news_enricher.published", out.publish),
                ]);
                Status::Unset
            }
            Outcome::DeadLetter(dl) => {
                attributes.extend([
                    KeyValue::new("news_enricher.outcome", "dead_letter"),
                    KeyValue::new("news_enricher.dead_letter.reason", dl.reason),
                    KeyValue::new("news_enricher.dead_letter.stage", dl.stage),
                    KeyValue::new("error.type", dl.reason),
                ]);
                Status::error(format!("dead-lettered by {}: {}", dl.stage, dl.reason))
            }
        };
        let mut spans = Vec::with_capacity(1 + p.stages.len());
        spans.push(SpanData {
            span_context: own,
            parent_span_id: trace
                .parent
                .map_or(SpanId::INVALID, |parent| SpanId::from(parent.parent_id)),
            parent_span_is_remote: trace.parent.is_some(),
            span_kind: SpanKind::Consumer,
            name: Cow::Owned(format!("process {topic}")),
            start_time: p.started,
            end_time: p.ended,
            attributes,
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status,
            instrumentation_scope: self.scope.clone(),
        });
        for (i, stage) in p.stages.iter().enumerate() {
            let failed = p.failed_stage() == Some(stage.stage);
            spans.push(SpanData {
                span_context: SpanContext::new(
                    trace_id,
                    SpanId::from(child_span_id(span.parent_id, i)),
                    flags,
                    false,
                    state.clone(),
                ),
                parent_span_id: SpanId::from(span.parent_id),
                parent_span_is_remote: false,
                span_kind: SpanKind::Internal,
                name: Cow::Borrowed(stage.stage),
                start_time: stage.ended.checked_sub(stage.took).unwrap_or(stage.ended),
                end_time: stage.ended,
                attributes: vec![KeyValue::new("news_enricher.stage", stage.stage)],
                dropped_attributes_count: 0,
                events: SpanEvents::default(),
                links: SpanLinks::default(),
                status: if failed {
                    Status::error("the message was dead-lettered here")
                } else {
                    Status::Unset
                },
                instrumentation_scope: self.scope.clone(),
            });
        }
        spans
    }
}

/// A stage's span id: derived from the worker's span and the stage's place, like the worker's
/// own (reproducible, no random source), never zero.
fn child_span_id(parent: u64, index: usize) -> u64 {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&parent.to_le_bytes());
    bytes[8..].copy_from_slice(&(index as u64).to_le_bytes());
    match xxh3_64(&bytes) {
        0 => 1,
        id => id,
    }
}

/// `service.name` `news-enricher` and the build's version, unless `OTEL_SERVICE_NAME` or
/// `OTEL_RESOURCE_ATTRIBUTES` say otherwise (a deployment names its own instance and
/// environment there).
fn resource() -> Resource {
    let mut builder = Resource::builder_empty()
        .with_service_name("news-enricher")
        .with_attribute(KeyValue::new("service.version", WORKER_VERSION))
        .with_detectors(&[Box::new(EnvResourceDetector::new()) as Box<dyn ResourceDetector>]);
    if let Ok(name) = std::env::var("OTEL_SERVICE_NAME") {
        if !name.trim().is_empty() {
            builder = builder.with_service_name(name);
        }
    }
    builder.build()
}

/// At most one warning about failed exports per this interval: a collector that is down
/// fails every batch, several a second at full speed, and the counter has the numbers.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// The OTLP exporter, counting what it sends by result.
#[derive(Debug)]
struct Counted<E> {
    inner: E,
    spans: IntCounterVec,
    /// When the last failure was logged, if one was.
    warned: std::sync::Mutex<Option<std::time::Instant>>,
}

impl<E: SpanExporter> SpanExporter for Counted<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let n = batch.len() as u64;
        let result = self.inner.export(batch).await;
        match &result {
            Ok(()) => self.spans.with_label_values(&["exported"]).inc_by(n),
            Err(e) => {
                self.spans.with_label_values(&["failed"]).inc_by(n);
                let mut warned = self.warned.lock().unwrap_or_else(|p| p.into_inner());
                if warned.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
                    *warned = Some(std::time::Instant::now());
                    tracing::warn!(
                        error = %e, spans = n,
                        "span export failed (logged at most once a minute; see news_enricher_spans_total)"
                    );
                }
            }
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_span_ids_differ_from_each_other_and_from_their_parent() {
        let parent = 0x5c4b_d7a3_f006_cb48;
        let ids: std::collections::BTreeSet<u64> =
            (0..8).map(|i| child_span_id(parent, i)).collect();
        assert_eq!(ids.len(), 8);
        assert!(!ids.contains(&parent) && !ids.contains(&0));
        assert_eq!(child_span_id(parent, 3), child_span_id(parent, 3));
    }
}
