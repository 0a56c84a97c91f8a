//! Synthetic dedup index entries shaped like the worker's, shared by `dedup_memory` and
//! `dedup_restore`: random MinHash signatures, 32-hex-digit ids, a text key and a URL key each,
//! event times spread over 7 days, and about one in five a near-copy of an earlier entry.

use super::{near_signature, random_signature, splitmix, Rng};
use news_enricher_core::dedup::entry::{IndexEntry, Verdict};
use news_enricher_core::dedup::minhash::Signature;
use news_enricher_core::record::{DedupStatus, MatchedOn};

/// 32 hex digits, unique per entry (the low half is a bijection of `n`).
pub fn id_of(n: u64) -> String {
    format!("{:016x}{:016x}", splitmix(n ^ 0xC0FF_EE00), splitmix(n))
}

/// Whether entry `n` is a near-copy, and of which earlier entry (always a head, so the cluster is
/// that entry).
pub fn head_of(n: u64) -> Option<u64> {
    let h = splitmix(n ^ 0x1234_5678);
    if n == 0 || !h.is_multiple_of(5) {
        return None;
    }
    // An earlier entry that is itself a head: walk down until one is.
    let mut j = (h >> 8) % n;
    while j > 0 && splitmix(j ^ 0x1234_5678).is_multiple_of(5) {
        j -= 1;
    }
    Some(j)
}

pub fn head_signature(n: u64) -> Signature {
    random_signature(&mut Rng::from_state(splitmix(n)))
}

pub fn entry(n: u64, total: u64, start_time: i64) -> IndexEntry {
    let id = id_of(n);
    let mut rng = Rng::from_state(splitmix(n ^ 0xFEED));
    let (signature, verdict) = match head_of(n) {
        None => (
            head_signature(n),
            Verdict {
                status: DedupStatus::Unique,
                duplicate_of: None,
                cluster_id: id.clone(),
                matched_on: None,
                similarity: None,
            },
        ),
        Some(h) => {
            let head = id_of(h);
            (
                near_signature(&head_signature(h), 0.9, &mut rng),
                Verdict {
                    status: DedupStatus::NearDuplicate,
                    duplicate_of: Some(head.clone()),
                    cluster_id: head,
                    matched_on: Some(MatchedOn::Minhash),
                    similarity: Some(0.9),
                },
            )
        }
    };
    // Spread over 7 days in arrival order, with up to an hour of jitter.
    let spread = 7 * 86_400 * n as i64 / total.max(1) as i64;
    IndexEntry {
        id,
        origin: splitmix(n ^ 0x0417),
        event_time: start_time + spread + (rng.next_u64() % 3600) as i64,
        text_key: rng.next_u64(),
        url_key: Some(rng.next_u64()),
        signature,
        verdict,
    }
}
