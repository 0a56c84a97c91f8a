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

pub mod entry;
pub mod index;
pub mod minhash;
pub mod paragraphs;

use std::sync::{Arc, Mutex, MutexGuard};

use xxhash_rust::xxh3::xxh3_64;

use crate::article::normalise_text;
use crate::names::UnknownName;
use crate::record::{Dedup, EnrichedRecord, Provenance};
use entry::{IndexEntry, Probe};
use index::{DedupIndex, IndexConfig};

/// What the worker does with duplicates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DedupPolicy {
    /// Publish every article with its verdict.
    #[default]
    Flag,
    /// Do not publish exact or near duplicates; their offsets are still committed.
    Drop,
}

impl DedupPolicy {
    /// The configuration names.
    pub const NAMES: &'static [&'static str] = &["flag", "drop"];
}

impl std::str::FromStr for DedupPolicy {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<Self, UnknownName> {
        match name {
            "flag" => Ok(DedupPolicy::Flag),
            "drop" => Ok(DedupPolicy::Drop),
            _ => Err(UnknownName {
                what: "dedup policy",
                name: name.to_owned(),
                expected: Self::NAMES,
            }),
        }
    }
}

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
///
/// It is published in the dedup-index topic and compared across replicas and worker versions,
/// so its encoding is fixed here, field by field, and pinned by a test: xxh3-64 of
/// `topic/partition/offset/file/line`, each field `None` when absent, a number in decimal, a
/// string in double quotes with `\` and `"` escaped by a backslash (Kafka topic names have
/// neither). For Kafka coordinates these are the bytes the first versions hashed, so index
/// topics written by them keep their redelivery verdicts.
pub fn origin_of(p: &Provenance) -> u64 {
    fn text(out: &mut String, v: Option<&str>) {
        match v {
            None => out.push_str("None"),
            Some(s) => {
                out.push_str("Some(\"");
                for c in s.chars() {
                    if matches!(c, '\\' | '"') {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push_str("\")");
            }
        }
    }
    fn number(out: &mut String, v: Option<impl std::fmt::Display>) {
        match v {
            None => out.push_str("None"),
            Some(n) => out.push_str(&format!("Some({n})")),
        }
    }
    let mut s = String::with_capacity(64);
    text(&mut s, p.topic.as_deref());
    s.push('/');
    number(&mut s, p.partition);
    s.push('/');
    number(&mut s, p.offset);
    s.push('/');
    text(&mut s, p.file.as_deref());
    s.push('/');
    number(&mut s, p.line);
    xxh3_64(s.as_bytes())
}

impl DedupStage {
    /// Gives `record` its verdict and its repeated paragraphs, and returns the entry the window
    /// remembered for it, for the shell to publish to the index topic: `None` when there is
    /// nothing to publish (an id already remembered from another position).
    pub fn judge(&self, record: &mut EnrichedRecord) -> Option<IndexEntry> {
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
        publish.then_some(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provenance() -> Provenance {
        Provenance::new(chrono::Utc::now(), vec!["dedup".to_owned()])
    }

    #[test]
    fn origins_are_pinned_so_index_topics_stay_readable_across_versions() {
        // Values the first versions published; a change here strands every index topic.
        let mut p = provenance();
        p.topic = Some("articles.raw".to_owned());
        p.partition = Some(3);
        p.offset = Some(1_234_567);
        assert_eq!(origin_of(&p), 2_095_006_656_912_492_643);
        let mut q = provenance();
        q.file = Some("in/a.jsonl".to_owned());
        q.line = Some(7);
        assert_eq!(origin_of(&q), 12_633_774_191_523_336_822);
        // Only coordinates count, not when or by which stages a record was made.
        let mut r = p.clone();
        r.stages.clear();
        r.message_timestamp = Some(chrono::Utc::now());
        assert_eq!(origin_of(&r), origin_of(&p));
    }

    #[test]
    fn quotes_and_separators_in_names_cannot_forge_another_origin() {
        let mut a = provenance();
        a.file = Some("x\")/Some(1".to_owned());
        let mut b = provenance();
        b.file = Some("x".to_owned());
        b.line = Some(1);
        assert_ne!(origin_of(&a), origin_of(&b));
    }
}
