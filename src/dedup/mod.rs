//! Deduplication: exact copies, near-copies, and paragraphs repeated inside one article.
//!
//! One stage, [`DedupStage`], gives every article a verdict — `unique`, `exact_duplicate` (same
//! normalised text or canonical URL) or `near_duplicate` (estimated Jaccard ≥ threshold over
//! 5-word shingles, see [`minhash`]) — against a window of recently seen articles ([`index`]),
//! and lists paragraphs the article repeats within itself ([`paragraphs`]).
//!
//! The window can be shared: the stage holds it behind an `Arc<Mutex<_>>` that the Kafka shell
//! also feeds from the compacted index topic, so a restarted worker and every replica of the
//! group see what the others have remembered. Each verdict is remembered together with the
//! article's source position, so a redelivered message gets the same verdict again instead of
//! being called a copy of itself — which keeps at-least-once intact even when duplicates are
//! dropped.

pub mod index;
pub mod minhash;
pub mod paragraphs;

use std::sync::{Arc, Mutex, MutexGuard};

use xxhash_rust::xxh3::xxh3_64;

use crate::article::normalise_text;
use crate::record::{Dedup, EnrichedRecord, Provenance};
use crate::stage::{Stage, StageError};
use index::{DedupIndex, IndexConfig, IndexEntry, Probe};

/// How far ahead of processing time a publication date is believed.
const MAX_FUTURE_SECS: i64 = 24 * 3600;

/// A dedup window shared between the stage and whoever restores or follows it.
#[derive(Debug, Clone)]
pub struct SharedIndex(Arc<Mutex<DedupIndex>>);

impl SharedIndex {
    /// An empty window.
    pub fn new(config: IndexConfig) -> Self {
        SharedIndex(Arc::new(Mutex::new(DedupIndex::new(config))))
    }

    /// Locks the window. A poisoned lock is recovered: the window's invariants hold between
    /// calls, and a stage panic is already reported as a dead letter.
    pub fn lock(&self) -> MutexGuard<'_, DedupIndex> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The deduplication stage.
pub struct DedupStage {
    index: SharedIndex,
}

impl DedupStage {
    /// A stage over `index`.
    pub fn new(index: SharedIndex) -> Self {
        DedupStage { index }
    }

    /// The window this stage uses.
    pub fn index(&self) -> &SharedIndex {
        &self.index
    }
}

/// Identity of the place a record was read from: Kafka coordinates, else file and line.
pub fn origin_of(p: &Provenance) -> u64 {
    let s = format!(
        "{:?}/{:?}/{:?}/{:?}/{:?}",
        p.topic, p.partition, p.offset, p.file, p.line
    );
    xxh3_64(s.as_bytes())
}

impl Stage for DedupStage {
    fn name(&self) -> &'static str {
        "dedup"
    }

    fn process(&self, record: &mut EnrichedRecord) -> Result<(), StageError> {
        // Everything expensive happens before taking the lock.
        let normalised = normalise_text(&record.article.body);
        let shingles = minhash::shingle_hashes(&normalised);
        let signature = minhash::signature(&shingles);
        let compact = minhash::compact_shingles(&shingles);
        let text_key = xxh3_64(normalised.as_bytes());
        let url_key = record
            .article
            .canonical_url
            .as_deref()
            .map(|u| xxh3_64(u.as_bytes()));
        // Event time: when it was published, else when it reached Kafka.
        let processed = record.provenance.processed_at.timestamp();
        let event_time = record
            .article
            .published_at
            .or(record.provenance.message_timestamp)
            .map(|t| t.timestamp());
        let origin = origin_of(&record.provenance);
        let repeated_paragraphs = paragraphs::repeated_paragraphs(&record.article.body);

        let mut index = self.index.lock();
        // An undated article outside Kafka (an offline archive run) belongs to the window's
        // present, not to the wall clock, which could be years ahead of the archive.
        let watermark = index.watermark();
        let event_time = match (event_time, watermark) {
            // A date more than a day ahead of the stream (or of the clock) is not believed: one
            // mis-dated article would otherwise push everything out of the window. The stream
            // still moves forward, a day per article at most.
            (Some(t), Some(w)) => t.min(w + MAX_FUTURE_SECS).min(processed + MAX_FUTURE_SECS),
            (Some(t), None) => t.min(processed + MAX_FUTURE_SECS),
            (None, Some(w)) => w,
            (None, None) => processed,
        };
        let probe = Probe {
            id: &record.id,
            origin,
            event_time,
            text_key,
            url_key,
            signature: &signature,
            shingles: Some(&compact),
        };
        let verdict = index.check(&probe);
        let entry = IndexEntry {
            id: record.id.clone(),
            origin,
            event_time,
            text_key,
            url_key,
            signature,
            verdict,
        };
        // Publish what this article made the window remember (or, for a redelivery, remembered
        // before). An id already remembered from another position is not published: compaction
        // by id would replace the original's entry and change its redelivered verdict.
        let replay = index.origin_of(&record.id) == Some(origin);
        let remembered = index.remember(&entry);
        if remembered {
            index.keep_shingles(&record.id, compact);
        }
        let publish = remembered || replay;
        drop(index);

        record.dedup = Dedup {
            status: entry.verdict.status,
            duplicate_of: entry.verdict.duplicate_of.clone(),
            matched_on: entry.verdict.matched_on,
            similarity: entry.verdict.similarity,
            cluster_id: Some(entry.verdict.cluster_id.clone()),
            repeated_paragraphs,
        };
        record.index_entry = publish.then_some(entry);
        Ok(())
    }
}
