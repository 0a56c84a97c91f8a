//! Dead-letter records: what the worker publishes when it cannot enrich a message.
//!
//! The record carries the original key and value bytes unchanged, so the message can be replayed
//! after a fix, and headers that say why, where it came from, and which stage refused it.
//! Original headers are kept too (a replay should look like the original), except that the
//! trace headers name the worker's span ([`crate::trace`]).

use crate::message::{Header, RawMessage};
use crate::record::WORKER_VERSION;
use crate::trace::TraceContext;

/// Header names on dead-letter records.
pub mod headers {
    /// Machine-readable reason code, e.g. `invalid_json`.
    pub const REASON: &str = "x-dlq-reason";
    /// Human-readable detail.
    pub const DETAIL: &str = "x-dlq-detail";
    /// `decode`, `encode` or the name of the stage that refused the message.
    pub const STAGE: &str = "x-dlq-stage";
    /// Source topic.
    pub const SOURCE_TOPIC: &str = "x-dlq-source-topic";
    /// Source partition (decimal).
    pub const SOURCE_PARTITION: &str = "x-dlq-source-partition";
    /// Source offset (decimal).
    pub const SOURCE_OFFSET: &str = "x-dlq-source-offset";
    /// Worker version that dead-lettered the message.
    pub const WORKER_VERSION: &str = "x-dlq-worker-version";
    /// Set (to the original size in bytes) when the original value was left out because the
    /// dead-letter record would not fit the output size limit; the source coordinates locate it.
    pub const PAYLOAD_OMITTED: &str = "x-dlq-payload-omitted-bytes";
}

/// Why a message was dead-lettered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// Stable reason code.
    pub reason: &'static str,
    /// Human-readable detail (never the message content).
    pub detail: String,
    /// Where processing stopped.
    pub stage: &'static str,
    /// The trace the message's processing belongs to.
    pub trace: TraceContext,
}

/// A dead-letter record ready to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterRecord<'a> {
    /// The original key.
    pub key: Option<&'a [u8]>,
    /// The original value, unless it had to be left out (see [`headers::PAYLOAD_OMITTED`]).
    pub value: Option<&'a [u8]>,
    /// Original headers (the trace headers the worker's span), then the `x-dlq-*` ones.
    pub headers: Vec<Header>,
}

impl DeadLetter {
    /// The record for `msg`. A message near the broker's size limit plus our headers could
    /// exceed it, and a record the broker refuses would stop the worker on every restart; above
    /// `max_bytes` the value is therefore left out and its size recorded instead.
    pub fn record<'a>(&self, msg: &'a RawMessage, max_bytes: usize) -> DeadLetterRecord<'a> {
        let mut headers = self.headers(msg);
        let header_bytes: usize = headers
            .iter()
            .map(|(k, v)| k.len() + v.as_ref().map_or(0, Vec::len))
            .sum();
        let key_bytes = msg.key.as_ref().map_or(0, Vec::len);
        let value_bytes = msg.payload.as_ref().map_or(0, Vec::len);
        let value = if key_bytes + value_bytes + header_bytes > max_bytes {
            headers.push((
                headers::PAYLOAD_OMITTED.to_owned(),
                Some(value_bytes.to_string().into_bytes()),
            ));
            None
        } else {
            msg.payload.as_deref()
        };
        DeadLetterRecord {
            key: msg.key.as_deref(),
            value,
            headers,
        }
    }

    /// Headers of the dead-letter record for `msg`: the original ones (with the worker's span
    /// as `traceparent`), then ours.
    pub fn headers(&self, msg: &RawMessage) -> Vec<Header> {
        let mut out = msg.headers.clone();
        self.trace.apply(&mut out);
        let mut push = |k: &str, v: String| out.push((k.to_owned(), Some(v.into_bytes())));
        push(headers::REASON, self.reason.to_owned());
        push(headers::DETAIL, self.detail.clone());
        push(headers::STAGE, self.stage.to_owned());
        if let Some(topic) = &msg.topic {
            push(headers::SOURCE_TOPIC, topic.clone());
        }
        if let Some(p) = msg.partition {
            push(headers::SOURCE_PARTITION, p.to_string());
        }
        if let Some(o) = msg.offset {
            push(headers::SOURCE_OFFSET, o.to_string());
        }
        push(headers::WORKER_VERSION, WORKER_VERSION.to_owned());
        out
    }
}
