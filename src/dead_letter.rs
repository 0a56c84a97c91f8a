//! Dead-letter records: what the worker publishes when it cannot enrich a message.
//!
//! The record carries the original key and value bytes unchanged, so the message can be replayed
//! after a fix, and headers that say why, where it came from, and which stage refused it.
//! Original headers are kept too (a replay should look like the original).

use crate::enrich::{Header, RawMessage};
use crate::record::WORKER_VERSION;

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
}

impl DeadLetter {
    /// Headers of the dead-letter record for `msg`: the original ones, then ours.
    pub fn headers(&self, msg: &RawMessage) -> Vec<Header> {
        let mut out = msg.headers.clone();
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
