//! Enriching one raw message: decode, run the pipeline, encode — or say why not.
//!
//! This is the whole of the per-message work, as one pure function over owned bytes, so the
//! Kafka worker, the offline `enrich` command and the benchmarks all run exactly the same code.
//! Its result is either an output record ready to publish or a [`DeadLetter`]; it never panics on
//! input and never drops a message.

use chrono::{DateTime, Utc};

use crate::article::{decode, Limits};
use crate::dead_letter::DeadLetter;
use crate::dedup::DedupPolicy;
use crate::message::{Header, RawMessage};
use crate::pipeline::Pipeline;
use crate::record::{DedupStatus, EnrichedRecord, Provenance, SCHEMA_VERSION};
use crate::stage::Reading;
use crate::trace::{Sampling, TraceContext};

/// Header names the worker adds to every enriched record.
pub mod headers {
    /// Always `application/json`.
    pub const CONTENT_TYPE: &str = "content-type";
    /// [`crate::record::SCHEMA_VERSION`] in decimal.
    pub const SCHEMA_VERSION: &str = "x-news-enricher-schema-version";
}

/// A record ready to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// Article id (the record key).
    pub key: String,
    /// JSON-encoded [`EnrichedRecord`].
    pub value: Vec<u8>,
    /// Input headers, the trace headers replaced by the worker's span
    /// ([`TraceContext::apply`]), then content type and schema version.
    pub headers: Vec<Header>,
    /// The trace this message's processing belongs to (for logs).
    pub trace: TraceContext,
    /// The dedup verdict, for metrics and logs.
    pub dedup_status: DedupStatus,
    /// False when the dedup policy drops this duplicate: nothing goes to the output topic, the
    /// offset is committed all the same.
    pub publish: bool,
    /// JSON of what the dedup stage remembered, for the index topic (key: the article id).
    pub index_record: Option<Vec<u8>>,
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Publish to the output topic.
    Enriched(Output),
    /// Publish to the dead-letter topic.
    DeadLetter(DeadLetter),
}

/// Decodes, enriches and encodes messages with one pipeline.
pub struct Enricher {
    pipeline: Pipeline,
    limits: Limits,
    max_output_bytes: usize,
    policy: DedupPolicy,
    sampling: Sampling,
}

impl Enricher {
    /// An enricher. `max_output_bytes` guards the output topic's message size limit: a record
    /// larger than that is dead-lettered rather than failing delivery and stalling the partition.
    pub fn new(pipeline: Pipeline, limits: Limits, max_output_bytes: usize) -> Self {
        Enricher {
            pipeline,
            limits,
            max_output_bytes,
            policy: DedupPolicy::Flag,
            sampling: Sampling::ALL,
        }
    }

    /// Sets which of the traces this enricher starts are sampled (default: all).
    pub fn with_sampling(mut self, sampling: Sampling) -> Self {
        self.sampling = sampling;
        self
    }

    /// Sets what happens to duplicates (default: [`DedupPolicy::Flag`]).
    pub fn with_policy(mut self, policy: DedupPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Largest record this enricher publishes (enriched or dead letter).
    pub fn max_output_bytes(&self) -> usize {
        self.max_output_bytes
    }

    /// Names of the pipeline's stages.
    pub fn stage_names(&self) -> Vec<String> {
        self.pipeline.stage_names()
    }

    /// Enriches one message. `now` is the processing time stamped into provenance (passed in so
    /// this stays pure and testable).
    pub fn enrich(&self, msg: &RawMessage, now: DateTime<Utc>) -> Outcome {
        self.enrich_with(msg, now, &mut Reading::default(), &mut |_, _| {})
    }

    /// [`Enricher::enrich`] with the `reading` a processing thread keeps from one article to
    /// the next (see [`Reading`]), reporting each stage's wall time to `observe`.
    pub fn enrich_with(
        &self,
        msg: &RawMessage,
        now: DateTime<Utc>,
        reading: &mut Reading,
        observe: &mut dyn FnMut(&'static str, std::time::Duration),
    ) -> Outcome {
        let trace = TraceContext::for_message(msg, now, self.sampling);
        let dead = |reason: &'static str, detail: String, stage: &'static str| {
            Outcome::DeadLetter(DeadLetter {
                reason,
                detail,
                stage,
                trace: trace.clone(),
            })
        };
        let article = match decode(msg.payload.as_deref(), &self.limits) {
            Ok(a) => a,
            Err(e) => return dead(e.reason(), e.to_string(), "decode"),
        };
        let mut record = EnrichedRecord::new(
            article,
            Provenance {
                topic: msg.topic.clone(),
                partition: msg.partition,
                offset: msg.offset,
                message_timestamp: msg
                    .timestamp_ms
                    .and_then(DateTime::<Utc>::from_timestamp_millis),
                file: msg.file.clone(),
                line: msg.line,
                ..Provenance::new(now, self.pipeline.stage_names())
            },
        );
        if let Err(e) = self.pipeline.run_with(&mut record, reading, observe) {
            return dead(e.error.reason(), e.to_string(), e.stage);
        }
        let index_record = match reading.take_index_entry().map(|e| e.encode()) {
            None => None,
            Some(Ok(v)) => Some(v),
            Some(Err(e)) => return dead("encode_failed", e.to_string(), "encode"),
        };
        if self.policy == DedupPolicy::Drop && record.dedup.status.is_duplicate() {
            return Outcome::Enriched(Output {
                key: record.id,
                value: Vec::new(),
                headers: Vec::new(),
                dedup_status: record.dedup.status,
                publish: false,
                index_record,
                trace,
            });
        }
        let value = match serde_json::to_vec(&record) {
            Ok(v) => v,
            Err(e) => return dead("encode_failed", e.to_string(), "encode"),
        };
        if value.len() > self.max_output_bytes {
            return dead(
                "output_too_large",
                format!(
                    "enriched record is {} bytes, limit is {}",
                    value.len(),
                    self.max_output_bytes
                ),
                "encode",
            );
        }
        let mut headers = msg.headers.clone();
        trace.apply(&mut headers);
        headers.push((
            headers::CONTENT_TYPE.to_owned(),
            Some(b"application/json".to_vec()),
        ));
        headers.push((
            headers::SCHEMA_VERSION.to_owned(),
            Some(SCHEMA_VERSION.to_string().into_bytes()),
        ));
        Outcome::Enriched(Output {
            key: record.id,
            value,
            headers,
            dedup_status: record.dedup.status,
            publish: true,
            index_record,
            trace,
        })
    }
}
