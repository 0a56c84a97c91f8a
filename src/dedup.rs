//! Exact deduplication: the same story published twice is counted once.
//!
//! Two keys identify an article: the hash of its normalised body
//! ([`crate::article::normalise_text`]: NFKC, case-folded, whitespace collapsed) and its
//! canonical URL. Either key matching an article remembered in the window makes the newcomer an
//! `exact_duplicate` of that article's cluster head. The window is bounded: the oldest keys are
//! evicted first (FIFO, O(1) per article).
//!
//! Redelivery is not duplication. At-least-once delivery replays messages after a crash or a
//! rebalance; a replayed message carries the same source position as the first delivery, and is
//! given the same verdict it got then instead of being called a duplicate of itself.
//!
//! Near-duplicates, an event-time horizon and a window shared across replicas are issue 3.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use xxhash_rust::xxh3::{xxh3_128, xxh3_64};

use crate::article::normalise_text;
use crate::record::{Dedup, DedupStatus, EnrichedRecord, MatchedOn, Provenance};
use crate::stage::{Stage, StageError};

/// Exact-dedup settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExactDedupConfig {
    /// Most keys remembered (each article uses one or two).
    pub window_capacity: usize,
}

impl Default for ExactDedupConfig {
    fn default() -> Self {
        ExactDedupConfig {
            window_capacity: 200_000,
        }
    }
}

#[derive(Debug)]
struct Remembered {
    /// Id of the first article seen with this key.
    first_id: String,
    /// Hash of the source position of the article that stored this key.
    origin: u64,
    /// How that article matched its cluster head (`None`: it is the head), so a redelivery of
    /// it gets back exactly the verdict it got the first time.
    matched_on: Option<MatchedOn>,
}

/// Bounded FIFO map from dedup key to the first article that had it.
#[derive(Debug, Default)]
struct Window {
    entries: HashMap<u128, Remembered>,
    order: VecDeque<u128>,
}

impl Window {
    fn insert(
        &mut self,
        key: u128,
        first_id: &str,
        origin: u64,
        matched_on: Option<MatchedOn>,
        capacity: usize,
    ) {
        if capacity == 0 || self.entries.contains_key(&key) {
            return;
        }
        while self.order.len() >= capacity {
            if let Some(old) = self.order.pop_front() {
                self.entries.remove(&old);
            }
        }
        self.entries.insert(
            key,
            Remembered {
                first_id: first_id.to_owned(),
                origin,
                matched_on,
            },
        );
        self.order.push_back(key);
    }
}

/// The exact-deduplication stage.
pub struct ExactDedup {
    config: ExactDedupConfig,
    window: Mutex<Window>,
}

impl ExactDedup {
    /// An empty window.
    pub fn new(config: ExactDedupConfig) -> Self {
        ExactDedup {
            config,
            window: Mutex::new(Window::default()),
        }
    }

    /// Number of keys remembered.
    pub fn remembered(&self) -> usize {
        self.window
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entries
            .len()
    }
}

fn key(domain: &[u8], value: &str) -> u128 {
    let mut buf = Vec::with_capacity(domain.len() + value.len());
    buf.extend_from_slice(domain);
    buf.extend_from_slice(value.as_bytes());
    xxh3_128(&buf)
}

/// Identity of the place a record was read from: Kafka coordinates, else file and line.
fn origin_of(p: &Provenance) -> u64 {
    let s = format!(
        "{:?}/{:?}/{:?}/{:?}/{:?}",
        p.topic, p.partition, p.offset, p.file, p.line
    );
    xxh3_64(s.as_bytes())
}

impl Stage for ExactDedup {
    fn name(&self) -> &'static str {
        "dedup"
    }

    fn process(&self, record: &mut EnrichedRecord) -> Result<(), StageError> {
        let text_key = key(b"text\0", &normalise_text(&record.article.body));
        let url_key = record
            .article
            .canonical_url
            .as_deref()
            .map(|u| key(b"url\0", u));
        let origin = origin_of(&record.provenance);
        let capacity = self.config.window_capacity;

        let mut window = self.window.lock().unwrap_or_else(|e| e.into_inner());
        let hit = [(Some(text_key), MatchedOn::Text), (url_key, MatchedOn::Url)]
            .into_iter()
            .find_map(|(k, on)| k.and_then(|k| window.entries.get(&k)).map(|r| (r, on)));
        let verdict = match hit {
            // A redelivery of the message that stored this key: repeat its first verdict.
            Some((first, _)) if first.origin == origin => match first.matched_on {
                None => Dedup {
                    status: DedupStatus::Unique,
                    duplicate_of: None,
                    matched_on: None,
                },
                Some(on) => Dedup {
                    status: DedupStatus::ExactDuplicate,
                    duplicate_of: Some(first.first_id.clone()),
                    matched_on: Some(on),
                },
            },
            Some((first, on)) => Dedup {
                status: DedupStatus::ExactDuplicate,
                duplicate_of: Some(first.first_id.clone()),
                matched_on: Some(on),
            },
            None => Dedup {
                status: DedupStatus::Unique,
                duplicate_of: None,
                matched_on: None,
            },
        };
        // Remember both keys under the cluster head, so a later copy matching either key points
        // at the same first article.
        let head = verdict
            .duplicate_of
            .clone()
            .unwrap_or_else(|| record.id.clone());
        window.insert(text_key, &head, origin, verdict.matched_on, capacity);
        if let Some(url_key) = url_key {
            window.insert(url_key, &head, origin, verdict.matched_on, capacity);
        }
        drop(window);
        record.dedup = verdict;
        Ok(())
    }
}
