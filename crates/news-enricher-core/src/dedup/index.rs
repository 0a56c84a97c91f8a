//! The dedup window: what the worker remembers about recent articles, and how it finds an
//! article's earlier copy.
//!
//! Each remembered article is one [`IndexEntry`]: its id, its cluster, the verdict it got, its
//! exact keys (normalised-text hash, canonical-URL hash) and its MinHash
//! [`Signature`](super::minhash::Signature). Look-ups go id → (a redelivery: same verdict
//! again), exact keys → `exact_duplicate`, LSH bands → candidates verified on the signature →
//! `near_duplicate`.
//!
//! The window is bounded two ways: by event time (entries older than the newest event time seen
//! minus the horizon are dropped, a whole hour bucket at a time) and by a hard cap on entries
//! (the oldest bucket gives way first). Each entry is evicted at most once, so eviction is O(1)
//! amortised.
//!
//! The same [`IndexEntry`] is what the worker publishes to the compacted index topic, so a
//! restarted worker, or another replica, rebuilds exactly this state with [`DedupIndex::remember`].
//!
//! Candidates among the [`IndexConfig::exact_cache`] most recent articles are verified on the
//! exact Jaccard of their compact shingle sets; older ones on the signature's estimate.
//!
//! # Memory
//!
//! A window of millions of articles has to fit a pod, so the layout is chosen per byte.
//! `benches/dedup_memory.rs` measures 205 B of RSS per remembered article at 1 M entries and
//! 198 B at 10 M (the exact cache adds a fixed ~1.6 KB per cached article). Where they go:
//!
//! - ~112 B, one slot per article with what a verdict needs: the 256-bit signature (32 B), the
//!   text and URL keys, origin and event time (32 B), the id — inline as 16 bytes when it is 32
//!   lowercase hex digits, as the ids this worker derives are, else on the heap — the status and
//!   similarity, and a pointer to the `duplicate_of` / `cluster_id` ids, which only duplicates
//!   have (~64 B more for each of them).
//! - ~20 B for the id and exact-key tables, which hold only a 4-byte slot number per key; keys
//!   are compared against the slot, so they are not stored twice.
//! - 40 B for the band table (below), 8 B for the event-time eviction queue.
//!
//! The band table is *lossy*, a fixed array sized from [`IndexConfig::max_entries`]: each band
//! key hashes to a bucket of [`BUCKET_CELLS`] cells, each cell a slot number and 8 bits of the
//! key, and a new holder pushes the bucket's oldest cell out. Nothing is removed on eviction,
//! and a stale or foreign cell is harmless, because every candidate is verified on its
//! signature; the cost is that an old article may lose some of its bands. With
//! [`BAND_CELLS_PER_ENTRY`] cells per entry and band, an article at the far end of a full
//! window keeps each band with probability ≈ 0.7, and a pair at J = 0.8 still shares a kept
//! band with probability 1 − (1 − 0.64 · 0.7)⁸ ≈ 0.99 (measured: 0.994 for copies of the oldest
//! tenth). The table is allocated up front, so the window's memory is predictable from its cap.
//! Slot numbers are 24 bits in a band cell, which caps [`IndexConfig::max_entries`] at
//! [`MAX_ENTRIES`].
//!
//! The 64 B per article first asked for is not reached, and cannot be by trimming: the signature
//! that keeps estimate-only precision and recall near 0.96/0.95 needs 32 B, the article's own id
//! at least 16 B, and finding candidates and exact copies at least one 4-byte cell per key. A
//! SimHash of 8 bytes would fit but cannot tell J = 0.8 from J = 0.6 (see
//! [`super::minhash`]). Getting there means giving something up — for example dropping the ids
//! of articles past the exact cache, so old copies can be flagged but not named — which is the
//! product owner's call.

use std::collections::{BTreeMap, HashMap, VecDeque};

use hashbrown::HashTable;
use xxhash_rust::xxh3::xxh3_64;

use super::entry::{IndexEntry, Probe, Verdict};
use super::minhash::{estimated_jaccard_bits, exact_jaccard, SignatureBits, BANDS};
use crate::record::{DedupStatus, MatchedOn};

/// Most articles a window can remember (slot numbers are 24 bits in the band table).
pub const MAX_ENTRIES: usize = (1 << 24) - 1;
/// Cells in one bucket of the band table (32 bytes, half a cache line).
pub const BUCKET_CELLS: usize = 8;
/// Band-table cells per allowed entry, per band.
pub const BAND_CELLS_PER_ENTRY: f64 = 1.25;

/// Window settings.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexConfig {
    /// How far back in event time articles are remembered, seconds.
    pub horizon_secs: i64,
    /// Most articles remembered (at most [`MAX_ENTRIES`]; more is treated as that).
    pub max_entries: usize,
    /// Estimated Jaccard at or above which an article is a near-duplicate.
    pub near_threshold: f64,
    /// How many of the most recent articles keep their shingle sets, so near-duplicate
    /// candidates among them are verified on exact Jaccard instead of the signature's estimate.
    pub exact_cache: usize,
}

/// How far back in event time the window remembers by default: a week, in hours.
pub const DEFAULT_HORIZON_HOURS: u64 = 7 * 24;

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig {
            horizon_secs: DEFAULT_HORIZON_HOURS as i64 * 3600,
            max_entries: 2_000_000,
            near_threshold: 0.8,
            exact_cache: 50_000,
        }
    }
}

/// An article id as the window keeps it: 32 lowercase hex digits (the ids this worker derives,
/// and many producers' hashes) inline as their 16 bytes, anything else on the heap.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CompactId {
    Hex([u8; 16]),
    Text(Box<str>),
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

fn parse_hex_id(id: &str) -> Option<[u8; 16]> {
    let b = id.as_bytes();
    if b.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        *o = hex_value(pair[0])? << 4 | hex_value(pair[1])?;
    }
    Some(out)
}

impl CompactId {
    fn new(id: &str) -> Self {
        match parse_hex_id(id) {
            Some(bytes) => CompactId::Hex(bytes),
            None => CompactId::Text(id.into()),
        }
    }

    /// Calls `f` with the id as text (the hex form is spelled out on the stack).
    fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match self {
            CompactId::Hex(bytes) => {
                const DIGITS: &[u8; 16] = b"0123456789abcdef";
                let mut buf = [0u8; 32];
                for (pair, b) in buf.chunks_exact_mut(2).zip(bytes) {
                    pair[0] = DIGITS[usize::from(b >> 4)];
                    pair[1] = DIGITS[usize::from(b & 15)];
                }
                f(std::str::from_utf8(&buf).expect("hex digits are ASCII"))
            }
            CompactId::Text(s) => f(s),
        }
    }

    fn is(&self, id: &str) -> bool {
        match self {
            CompactId::Hex(bytes) => parse_hex_id(id).as_ref() == Some(bytes),
            CompactId::Text(s) => &**s == id,
        }
    }

    fn to_text(&self) -> String {
        self.with_str(str::to_owned)
    }
}

fn id_hash(id: &str) -> u64 {
    xxh3_64(id.as_bytes())
}

/// The ids a duplicate's verdict names. Unique articles (most of them) carry none.
#[derive(Debug)]
struct Links {
    duplicate_of: Option<CompactId>,
    cluster: CompactId,
}

/// No similarity in [`Remembered::similarity`].
const NO_SIMILARITY: u16 = u16::MAX;

/// In-memory form of an entry.
#[derive(Debug)]
struct Remembered {
    bits: SignatureBits,
    text_key: u64,
    /// Canonical-URL key, 0 when there is none (see [`url_key`]).
    url_key: u64,
    event_time: i64,
    origin: u64,
    id: CompactId,
    /// `None` when the verdict names no other article (`duplicate_of` is null and the cluster is
    /// the article itself).
    links: Option<Box<Links>>,
    status: DedupStatus,
    matched_on: Option<MatchedOn>,
    /// Similarity in thousandths (verdicts carry 3 decimals), or [`NO_SIMILARITY`].
    similarity: u16,
}

impl Remembered {
    fn verdict(&self) -> Verdict {
        let links = self.links.as_deref();
        Verdict {
            status: self.status,
            duplicate_of: links
                .and_then(|l| l.duplicate_of.as_ref())
                .map(CompactId::to_text),
            cluster_id: links.map_or(&self.id, |l| &l.cluster).to_text(),
            matched_on: self.matched_on,
            similarity: (self.similarity != NO_SIMILARITY)
                .then(|| f64::from(self.similarity) / 1000.0),
        }
    }

    fn cluster(&self) -> &CompactId {
        self.links.as_deref().map_or(&self.id, |l| &l.cluster)
    }
}

/// The window's key for a canonical URL: 0 stands for none, so a real 0 is moved to 1.
fn url_key(key: Option<u64>) -> u64 {
    key.map_or(0, |k| k.max(1))
}

/// The lossy band table (see the module docs).
#[derive(Debug)]
struct BandTable {
    /// `BANDS` × `buckets` × [`BUCKET_CELLS`] cells; 0 is empty, else key bits 0..8 in the top
    /// byte and slot + 1 in the low 24 bits. Newest cell first in each bucket.
    cells: Vec<u32>,
    buckets: usize,
}

impl BandTable {
    fn new(max_entries: usize) -> Self {
        let cells_per_band = (max_entries as f64 * BAND_CELLS_PER_ENTRY).ceil() as usize;
        let buckets = cells_per_band.div_ceil(BUCKET_CELLS).max(1);
        BandTable {
            // Zeroed memory straight from the allocator: pages count once they are written.
            cells: vec![0; BANDS * buckets * BUCKET_CELLS],
            buckets,
        }
    }

    fn bucket(&self, band: usize, key: u32) -> std::ops::Range<usize> {
        // Bucket from the key's high bits (multiply-shift range reduction), tag from its low ones.
        let b = ((u64::from(key) * self.buckets as u64) >> 32) as usize;
        let start = (band * self.buckets + b) * BUCKET_CELLS;
        start..start + BUCKET_CELLS
    }

    fn insert(&mut self, band: usize, key: u32, slot: u32) {
        let range = self.bucket(band, key);
        let bucket = &mut self.cells[range];
        bucket.copy_within(0..BUCKET_CELLS - 1, 1);
        bucket[0] = (key << 24) | (slot + 1);
    }

    /// Slots whose cell in `key`'s bucket carries `key`'s tag (some stale or foreign).
    fn holders(&self, band: usize, key: u32) -> impl Iterator<Item = u32> + '_ {
        let tag = key << 24;
        self.cells[self.bucket(band, key)]
            .iter()
            .filter(move |&&c| c != 0 && c & 0xFF00_0000 == tag)
            .map(|&c| (c & 0x00FF_FFFF) - 1)
    }
}

#[derive(Debug)]
struct Slot {
    generation: u32,
    record: Option<Remembered>,
}

const BUCKET_SECS: i64 = 3600;

/// The window. Not thread-safe by itself; the stage wraps it in a mutex.
#[derive(Debug)]
pub struct DedupIndex {
    config: IndexConfig,
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// Slots by id hash.
    by_id: HashTable<u32>,
    /// Slots by text key, the newest holder of each key.
    by_text: HashTable<u32>,
    /// Slots by URL key, the newest holder of each key.
    by_url: HashTable<u32>,
    bands: BandTable,
    buckets: BTreeMap<i64, VecDeque<(u32, u32)>>,
    /// Shingle sets of the most recent articles, by slot (with its generation), oldest first.
    exact: HashMap<u32, (u32, Box<[u32]>)>,
    exact_order: VecDeque<(u32, u32)>,
    watermark: i64,
    len: usize,
}

impl DedupIndex {
    /// An empty window. Its band table is allocated here, for `config.max_entries`.
    pub fn new(mut config: IndexConfig) -> Self {
        config.max_entries = config.max_entries.min(MAX_ENTRIES);
        DedupIndex {
            bands: BandTable::new(config.max_entries),
            config,
            slots: Vec::new(),
            free: Vec::new(),
            by_id: HashTable::new(),
            by_text: HashTable::new(),
            by_url: HashTable::new(),
            buckets: BTreeMap::new(),
            exact: HashMap::new(),
            exact_order: VecDeque::new(),
            watermark: i64::MIN,
            len: 0,
        }
    }

    /// Makes room for `additional` more entries (at most the window's size) at once, so a
    /// restore that knows how many index records it will read does not grow and rehash each
    /// table a score of times on the way.
    pub fn reserve(&mut self, additional: usize) {
        let n = additional.min(self.config.max_entries.saturating_sub(self.len));
        self.slots.reserve(n);
        let slots = &self.slots;
        let record = |s: u32| slots[s as usize].record.as_ref();
        self.by_id
            .reserve(n, |&s| record(s).map_or(0, |r| r.id.with_str(id_hash)));
        self.by_text
            .reserve(n, |&s| record(s).map_or(0, |r| r.text_key));
        self.by_url
            .reserve(n, |&s| record(s).map_or(0, |r| r.url_key));
    }

    /// Articles remembered.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The settings.
    pub fn config(&self) -> &IndexConfig {
        &self.config
    }

    /// The newest event time seen, if any.
    pub fn watermark(&self) -> Option<i64> {
        (self.watermark != i64::MIN).then_some(self.watermark)
    }

    /// The source position `id` was remembered from, if it is remembered.
    pub fn origin_of(&self, id: &str) -> Option<u64> {
        self.slot_of(id).and_then(|s| self.get(s)).map(|r| r.origin)
    }

    fn get(&self, slot: u32) -> Option<&Remembered> {
        self.slots
            .get(slot as usize)
            .and_then(|s| s.record.as_ref())
    }

    fn slot_of(&self, id: &str) -> Option<u32> {
        let slots = &self.slots;
        self.by_id
            .find(id_hash(id), |&s| {
                slots[s as usize]
                    .record
                    .as_ref()
                    .is_some_and(|r| r.id.is(id))
            })
            .copied()
    }

    /// The verdict for `probe`: a redelivery (same id from the same source position) gets its
    /// first verdict back; otherwise exact keys, then near-duplicate candidates, are checked.
    pub fn check(&self, probe: &Probe<'_>) -> Verdict {
        if let Some(r) = self.slot_of(probe.id).and_then(|s| self.get(s)) {
            if r.origin == probe.origin {
                return r.verdict();
            }
        }
        let exact = [
            (probe.text_key, &self.by_text, MatchedOn::Text),
            (url_key(probe.url_key), &self.by_url, MatchedOn::Url),
        ];
        for (key, table, on) in exact {
            if on == MatchedOn::Url && key == 0 {
                continue;
            }
            let held = table
                .find(key, |&s| {
                    self.get(s).is_some_and(|r| match on {
                        MatchedOn::Url => r.url_key == key,
                        _ => r.text_key == key,
                    })
                })
                .and_then(|&s| self.get(s));
            if let Some(r) = held {
                return Verdict {
                    status: DedupStatus::ExactDuplicate,
                    duplicate_of: Some(r.id.to_text()),
                    cluster_id: r.cluster().to_text(),
                    matched_on: Some(on),
                    similarity: Some(1.0),
                };
            }
        }
        // Candidates: the holders of each shared band, and the copy each was matched to (which
        // may have lost its own cells to newer articles).
        let mut candidates: Vec<u32> = Vec::with_capacity(16);
        for (band, &key) in probe.signature.bands.iter().enumerate() {
            for slot in self.bands.holders(band, key) {
                let Some(r) = self.get(slot) else { continue };
                candidates.push(slot);
                let original = r.links.as_deref().and_then(|l| l.duplicate_of.as_ref());
                if let Some(d) = original.and_then(|d| d.with_str(|d| self.slot_of(d))) {
                    candidates.push(d);
                }
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut best: Option<(f64, &Remembered)> = None;
        for slot in candidates {
            let Some(r) = self.get(slot) else { continue };
            let j = match (probe.shingles, self.exact_shingles(slot)) {
                (Some(mine), Some(theirs)) => exact_jaccard(mine, theirs),
                _ => estimated_jaccard_bits(&probe.signature.bits, &r.bits),
            };
            // Ties go to the earlier article, so verdicts do not depend on candidate order.
            if best.is_none_or(|(bj, br)| j > bj || (j == bj && r.event_time < br.event_time)) {
                best = Some((j, r));
            }
        }
        match best {
            Some((j, r)) if j >= self.config.near_threshold => Verdict {
                status: DedupStatus::NearDuplicate,
                duplicate_of: Some(r.id.to_text()),
                cluster_id: r.cluster().to_text(),
                matched_on: Some(MatchedOn::Minhash),
                similarity: Some((j * 1000.0).round() / 1000.0),
            },
            _ => Verdict {
                status: DedupStatus::Unique,
                duplicate_of: None,
                cluster_id: probe.id.to_owned(),
                matched_on: None,
                similarity: None,
            },
        }
    }

    fn exact_shingles(&self, slot: u32) -> Option<&[u32]> {
        let (generation, shingles) = self.exact.get(&slot)?;
        (self.slots.get(slot as usize)?.generation == *generation).then_some(&**shingles)
    }

    /// Keeps the shingle set of a remembered article for exact verification, dropping the
    /// oldest kept set beyond [`IndexConfig::exact_cache`].
    pub fn keep_shingles(&mut self, id: &str, shingles: Box<[u32]>) {
        let Some(slot) = self.slot_of(id) else {
            return;
        };
        if self.config.exact_cache == 0 {
            return;
        }
        let generation = self.slots[slot as usize].generation;
        while self.exact_order.len() >= self.config.exact_cache {
            if let Some((s, g)) = self.exact_order.pop_front() {
                if self.exact.get(&s).is_some_and(|(eg, _)| *eg == g) {
                    self.exact.remove(&s);
                }
            }
        }
        self.exact.insert(slot, (generation, shingles));
        self.exact_order.push_back((slot, generation));
    }

    /// Remembers an entry (from this worker, a restore, or another replica). Idempotent by id;
    /// entries already older than the horizon are ignored. Returns whether it was added.
    pub fn remember(&mut self, e: &IndexEntry) -> bool {
        if self.config.max_entries == 0 || self.slot_of(&e.id).is_some() {
            return false;
        }
        self.watermark = self.watermark.max(e.event_time);
        if e.event_time < self.watermark.saturating_sub(self.config.horizon_secs) {
            return false;
        }
        self.evict_expired();
        while self.len >= self.config.max_entries {
            if !self.evict_oldest() {
                break;
            }
        }
        let links = (e.verdict.duplicate_of.is_some() || e.verdict.cluster_id != e.id).then(|| {
            Box::new(Links {
                duplicate_of: e.verdict.duplicate_of.as_deref().map(CompactId::new),
                cluster: CompactId::new(&e.verdict.cluster_id),
            })
        });
        let remembered = Remembered {
            bits: e.signature.bits,
            text_key: e.text_key,
            url_key: url_key(e.url_key),
            event_time: e.event_time,
            origin: e.origin,
            id: CompactId::new(&e.id),
            links,
            status: e.verdict.status,
            matched_on: e.verdict.matched_on,
            similarity: e.verdict.similarity.map_or(NO_SIMILARITY, |s| {
                (s.clamp(0.0, 1.0) * 1000.0).round() as u16
            }),
        };
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    record: None,
                });
                (self.slots.len() - 1) as u32
            }
        };
        let generation = {
            let place = &mut self.slots[slot as usize];
            place.generation = place.generation.wrapping_add(1);
            place.record = Some(remembered);
            place.generation
        };
        let slots = &self.slots;
        let rehash_id = |&s: &u32| {
            slots[s as usize]
                .record
                .as_ref()
                .map_or(0, |r| r.id.with_str(id_hash))
        };
        self.by_id.insert_unique(id_hash(&e.id), slot, rehash_id);
        // The newest article holding a key answers for it: it is the last to be evicted, so a
        // cluster stays findable as long as any member is remembered. The cluster id still
        // names the first article.
        // A late-arriving copy with an older event time would be evicted first and take the
        // key with it, so only an entry at least as new takes a key over.
        let event_time = e.event_time;
        let text = |r: &Remembered| r.text_key;
        take_key(&mut self.by_text, slots, e.text_key, slot, event_time, text);
        let url = url_key(e.url_key);
        if url != 0 {
            let of = |r: &Remembered| r.url_key;
            take_key(&mut self.by_url, slots, url, slot, event_time, of);
        }
        for (band, &key) in e.signature.bands.iter().enumerate() {
            self.bands.insert(band, key, slot);
        }
        self.buckets
            .entry(e.event_time.div_euclid(BUCKET_SECS))
            .or_default()
            .push_back((slot, generation));
        self.len += 1;
        true
    }

    fn evict_expired(&mut self) {
        let oldest_kept = self
            .watermark
            .saturating_sub(self.config.horizon_secs)
            .div_euclid(BUCKET_SECS);
        while let Some(entry) = self.buckets.first_entry() {
            if *entry.key() >= oldest_kept {
                break;
            }
            for (slot, generation) in entry.remove() {
                self.evict(slot, generation);
            }
        }
    }

    /// Evicts one entry from the oldest bucket. Returns false when nothing is left.
    fn evict_oldest(&mut self) -> bool {
        while let Some(mut entry) = self.buckets.first_entry() {
            match entry.get_mut().pop_front() {
                Some((slot, generation)) => {
                    if self.evict(slot, generation) {
                        return true;
                    }
                }
                None => {
                    entry.remove();
                }
            }
        }
        false
    }

    fn evict(&mut self, slot: u32, generation: u32) -> bool {
        let Some(place) = self.slots.get_mut(slot as usize) else {
            return false;
        };
        if place.generation != generation {
            return false;
        }
        let Some(r) = place.record.take() else {
            return false;
        };
        self.free.push(slot);
        self.len -= 1;
        if self.exact.get(&slot).is_some_and(|(g, _)| *g == generation) {
            self.exact.remove(&slot);
        }
        release_key(&mut self.by_text, r.text_key, slot);
        if r.url_key != 0 {
            release_key(&mut self.by_url, r.url_key, slot);
        }
        release_key(&mut self.by_id, r.id.with_str(id_hash), slot);
        // Band cells are left to age out (see the module docs).
        true
    }
}

/// Points `key` at `slot` unless another slot holding it is newer (see `remember`).
fn take_key(
    table: &mut HashTable<u32>,
    slots: &[Slot],
    key: u64,
    slot: u32,
    event_time: i64,
    key_of: impl Fn(&Remembered) -> u64,
) {
    let record = |s: u32| slots[s as usize].record.as_ref();
    let held = table.find_mut(key, |&s| {
        s != slot && record(s).is_some_and(|r| key_of(r) == key)
    });
    match held {
        Some(held) => {
            if record(*held).is_none_or(|r| r.event_time <= event_time) {
                *held = slot;
            }
        }
        None => {
            table.insert_unique(key, slot, |&s| record(s).map_or(0, &key_of));
        }
    }
}

/// Removes `slot` from the entries of `hash`, if it is there.
fn release_key(table: &mut HashTable<u32>, hash: u64, slot: u32) {
    if let Ok(entry) = table.find_entry(hash, |&s| s == slot) {
        entry.remove();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::minhash::{signature, SIGNATURE_WORDS};

    #[test]
    fn ids_are_kept_inline_only_when_they_spell_back_exactly() {
        let hex = "0123456789abcdef0123456789abcdef";
        assert!(matches!(CompactId::new(hex), CompactId::Hex(_)));
        assert_eq!(CompactId::new(hex).to_text(), hex);
        assert!(CompactId::new(hex).is(hex));
        assert!(!CompactId::new(hex).is(&hex.to_uppercase()));
        // Upper case, wrong length or other characters would not spell back the same.
        for other in [
            "0123456789ABCDEF0123456789abcdef",
            "0123456789abcdef0123456789abcde",
            "0123456789abcdef0123456789abcdeg",
            "reuters-2024-04-12-0001",
            "",
        ] {
            let id = CompactId::new(other);
            assert!(matches!(id, CompactId::Text(_)), "{other}");
            assert_eq!(id.to_text(), other);
            assert!(id.is(other));
            assert!(!id.is(hex));
        }
    }

    fn entry(id: &str, shingles: &[u64], t: i64, verdict: Verdict) -> IndexEntry {
        IndexEntry {
            id: id.into(),
            origin: id_hash(id),
            event_time: t,
            text_key: id_hash(id) ^ 1,
            url_key: None,
            signature: signature(shingles),
            verdict,
        }
    }

    fn unique(id: &str) -> Verdict {
        Verdict {
            status: DedupStatus::Unique,
            duplicate_of: None,
            cluster_id: id.into(),
            matched_on: None,
            similarity: None,
        }
    }

    #[test]
    fn a_redelivery_gets_back_every_field_of_its_verdict() {
        let mut index = DedupIndex::new(IndexConfig::default());
        let head = "ffffffffffffffffffffffffffffffff";
        let verdicts = [
            unique("00000000000000000000000000000001"),
            unique("not hex"),
            Verdict {
                status: DedupStatus::NearDuplicate,
                duplicate_of: Some("copy-of-head".into()),
                cluster_id: head.into(),
                matched_on: Some(MatchedOn::Minhash),
                similarity: Some(0.873),
            },
            Verdict {
                status: DedupStatus::ExactDuplicate,
                duplicate_of: Some(head.into()),
                cluster_id: head.into(),
                matched_on: Some(MatchedOn::Url),
                similarity: Some(1.0),
            },
        ];
        for (i, v) in verdicts.into_iter().enumerate() {
            let id = if v.status == DedupStatus::Unique {
                v.cluster_id.clone()
            } else {
                format!("{i:032x}")
            };
            let e = entry(&id, &[i as u64 * 1_000], 1_000, v.clone());
            assert!(index.remember(&e));
            assert_eq!(index.check(&e.probe()), v, "{id}");
        }
    }

    #[test]
    fn a_stale_band_cell_never_names_an_evicted_article() {
        // Room for one article: every insert evicts the previous one and reuses its slot, but
        // the evicted article's band cells stay behind.
        let mut index = DedupIndex::new(IndexConfig {
            max_entries: 1,
            ..IndexConfig::default()
        });
        let a: Vec<u64> = (0..500).collect();
        let b: Vec<u64> = (10_000..10_500).collect();
        let first = entry("a", &a, 1_000, unique("a"));
        assert!(index.remember(&first));
        assert!(index.remember(&entry("b", &b, 1_001, unique("b"))));
        assert_eq!(index.len(), 1);
        // A copy of "a" finds its band cells, which now point at "b"'s slot; "b" differs.
        let again = IndexEntry {
            id: "a2".into(),
            origin: 7,
            ..first.clone()
        };
        let v = index.check(&again.probe());
        assert_eq!(v.status, DedupStatus::Unique, "{v:?}");
    }

    #[test]
    fn the_band_table_is_sized_from_the_cap() {
        let index = DedupIndex::new(IndexConfig {
            max_entries: 1_000,
            ..IndexConfig::default()
        });
        let cells = index.bands.cells.len();
        assert!((1_250 * BANDS..1_250 * BANDS + BANDS * BUCKET_CELLS).contains(&cells));
        let capped = DedupIndex::new(IndexConfig {
            max_entries: usize::MAX,
            exact_cache: 0,
            ..IndexConfig::default()
        });
        assert_eq!(capped.config().max_entries, MAX_ENTRIES);
        assert_eq!(SIGNATURE_WORDS * 8, 32, "the signature kept per article");
    }

    #[test]
    fn an_old_article_stays_findable_while_its_bucket_is_full_of_newer_ones() {
        // A full window of unrelated articles: each band bucket of the oldest one receives about
        // 6.4 newer cells on average, so most of its bands survive and its copy is found.
        let n = 4_000u64;
        let mut index = DedupIndex::new(IndexConfig {
            max_entries: n as usize,
            exact_cache: 0,
            ..IndexConfig::default()
        });
        let oldest: Vec<u64> = (0..300).map(|k| k * 7 + 1).collect();
        assert!(index.remember(&entry("oldest", &oldest, 0, unique("oldest"))));
        for i in 1..n {
            let shingles: Vec<u64> = (0..50).map(|k| (i << 20) + k).collect();
            assert!(index.remember(&entry(&format!("x{i}"), &shingles, i as i64, unique("x"))));
        }
        assert_eq!(index.len(), n as usize);
        let copy = entry("copy", &oldest, n as i64, unique("copy"));
        let copy = IndexEntry {
            text_key: 99,
            ..copy
        };
        assert_eq!(
            index.check(&copy.probe()).duplicate_of.as_deref(),
            Some("oldest")
        );
    }
}
