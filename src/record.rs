//! The enriched record: the one JSON document published per article.
//!
//! Its shape is a contract with downstream analytics and is pinned by
//! `schemas/enriched-record.schema.json`; bump [`SCHEMA_VERSION`] on any breaking change.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::article::Article;

/// Version of the output record's schema, also sent as a message header.
pub const SCHEMA_VERSION: u32 = 1;

/// The worker's own version, stamped into provenance.
pub const WORKER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// One enriched article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrichedRecord {
    /// [`SCHEMA_VERSION`] at the time of writing.
    pub schema_version: u32,
    /// Article id; also the Kafka key.
    pub id: String,
    /// The decoded article.
    pub article: Article,
    /// Deduplication verdict.
    pub dedup: Dedup,
    /// Named entities (people, organisations, places).
    pub entities: Vec<serde_json::Value>,
    /// Stance tags (who says what about whom).
    pub stances: Vec<serde_json::Value>,
    /// Where the input came from and who processed it.
    pub provenance: Provenance,
}

impl EnrichedRecord {
    /// The record of a freshly decoded article, before any stage has run.
    pub fn new(article: Article, provenance: Provenance) -> Self {
        EnrichedRecord {
            schema_version: SCHEMA_VERSION,
            id: article.id.clone(),
            article,
            dedup: Dedup::default(),
            entities: Vec::new(),
            stances: Vec::new(),
            provenance,
        }
    }
}

/// Deduplication verdict for one article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dedup {
    /// The verdict.
    pub status: DedupStatus,
    /// Id of the earlier article this one duplicates.
    pub duplicate_of: Option<String>,
    /// Which key matched (`text` or `url`), so the verdict explains itself.
    pub matched_on: Option<MatchedOn>,
}

impl Default for Dedup {
    fn default() -> Self {
        Dedup {
            status: DedupStatus::NotChecked,
            duplicate_of: None,
            matched_on: None,
        }
    }
}

/// Deduplication outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DedupStatus {
    /// No deduplication stage ran (it is not in the configured pipeline).
    NotChecked,
    /// Not seen before within the window.
    Unique,
    /// Same normalised text or canonical URL as an earlier article.
    ExactDuplicate,
}

/// Which dedup key matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedOn {
    /// NFKC-normalised, case-folded, whitespace-collapsed body.
    Text,
    /// Canonical URL.
    Url,
}

/// Where a record came from. Kafka coordinates are null for offline (`enrich`) runs, which carry
/// the file and line instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Source topic.
    pub topic: Option<String>,
    /// Source partition.
    pub partition: Option<i32>,
    /// Source offset.
    pub offset: Option<i64>,
    /// The Kafka message timestamp.
    pub message_timestamp: Option<DateTime<Utc>>,
    /// Input file of an offline run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line in [`Provenance::file`] (JSON Lines) or 1 for a plain-text file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// [`WORKER_VERSION`].
    pub worker_version: String,
    /// When the worker produced this record.
    pub processed_at: DateTime<Utc>,
    /// Stages that ran, in order.
    pub stages: Vec<String>,
}

impl Provenance {
    /// Provenance stamped by this worker version, with no source coordinates yet.
    pub fn new(processed_at: DateTime<Utc>, stages: Vec<String>) -> Self {
        Provenance {
            topic: None,
            partition: None,
            offset: None,
            message_timestamp: None,
            file: None,
            line: None,
            worker_version: WORKER_VERSION.to_owned(),
            processed_at,
            stages,
        }
    }
}
