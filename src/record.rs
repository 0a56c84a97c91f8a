//! The enriched record: the one JSON document published per article.
//!
//! Its shape is a contract with downstream analytics and is pinned by
//! `schemas/enriched-record.schema.json`; bump [`SCHEMA_VERSION`] on any breaking change.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::article::Article;
use crate::dedup::index::IndexEntry;
use crate::dedup::paragraphs::RepeatedParagraph;
use crate::entities::Entity;
use crate::stance::Stance;

/// Version of the output record's schema, also sent as a message header.
pub const SCHEMA_VERSION: u32 = 4;

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
    /// Named entities (people, organisations, places, nationalities), in order of first
    /// mention.
    pub entities: Vec<Entity>,
    /// Stance tags: who says what for or against whom, with the evidence.
    pub stances: Vec<Stance>,
    /// Where the input came from and who processed it.
    pub provenance: Provenance,
    /// What the dedup stage remembered about this article, for the shell to publish to the
    /// index topic. Not part of the output record.
    #[serde(skip)]
    pub index_entry: Option<IndexEntry>,
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
            index_entry: None,
        }
    }
}

/// Deduplication verdict for one article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dedup {
    /// The verdict.
    pub status: DedupStatus,
    /// Id of the remembered article this one copies (the most recent copy when there are
    /// several).
    pub duplicate_of: Option<String>,
    /// Which key matched, so the verdict explains itself.
    pub matched_on: Option<MatchedOn>,
    /// Estimated Jaccard similarity (5-word shingles) to `duplicate_of`; 1 for exact copies.
    pub similarity: Option<f64>,
    /// Id of the first article of the cluster; the article's own id when it is unique. Null when
    /// deduplication did not run.
    pub cluster_id: Option<String>,
    /// Paragraphs that repeat an earlier paragraph of the same body.
    pub repeated_paragraphs: Vec<RepeatedParagraph>,
}

impl Default for Dedup {
    fn default() -> Self {
        Dedup {
            status: DedupStatus::NotChecked,
            duplicate_of: None,
            matched_on: None,
            similarity: None,
            cluster_id: None,
            repeated_paragraphs: Vec::new(),
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
    /// Same normalised text or canonical URL as a remembered article.
    ExactDuplicate,
    /// Estimated Jaccard similarity at or above the threshold with a remembered article.
    NearDuplicate,
}

impl DedupStatus {
    /// Whether the article copies an earlier one.
    pub fn is_duplicate(self) -> bool {
        matches!(
            self,
            DedupStatus::ExactDuplicate | DedupStatus::NearDuplicate
        )
    }
}

/// Which dedup key matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedOn {
    /// NFKC-normalised, case-folded, whitespace-collapsed body.
    Text,
    /// Canonical URL.
    Url,
    /// MinHash signature (near-duplicate).
    Minhash,
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
