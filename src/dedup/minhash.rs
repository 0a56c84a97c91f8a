//! MinHash signatures over word shingles, and their LSH band keys.
//!
//! # Why MinHash-LSH and not SimHash
//!
//! Users ask for "the same story with small edits", which we define as Jaccard similarity ≥ 0.8
//! over 5-word shingles of the normalised text, and we report the estimated Jaccard. MinHash
//! estimates exactly that quantity (P[min-hashes agree] = J). SimHash estimates the angle between
//! shingle vectors instead; at J = 0.8 the expected Hamming distance of two 64-bit SimHashes is
//! ≈ 9.6 bits with a standard deviation of ≈ 2.9, and at J = 0.6 it is ≈ 14.7 ± 3.4, so no
//! Hamming threshold separates the two well, and the permuted-table look-up of Manku et al. is
//! only sub-linear for k ≈ 3 (J ≳ 0.97).
//!
//! The limit of any sketch shows at the threshold itself: `benches/dedup_quality.rs` measures
//! precision and recall against brute-force Jaccard on BBC articles and generated copies. Pairs
//! whose true Jaccard lies within a few hundredths of 0.8 are decided by sampling noise (±0.035
//! at 128 values); away from the threshold the verdicts are nearly exact. More values narrow
//! that band only slowly (the error shrinks with the square root of the signature length) and
//! cost memory, which is why the signature stays at 128.
//!
//! # Parameters
//!
//! [`SIGNATURE_LEN`] = 128 min-hashes, kept as their top 8 bits (b-bit MinHash, Li & König
//! 2010): unequal values agree by chance with probability 2⁻⁸, which [`estimated_jaccard`]
//! corrects for; the residual error is far below the sampling error of ±0.035 at J = 0.8, and
//! the signature costs 128 bytes instead of 512. Candidates come
//! from [`BANDS`] = 12 bands of [`ROWS`] = 4 rows over the first 48 values: a pair at J = 0.8
//! becomes a candidate with probability 1 − (1 − 0.8⁴)¹² ≈ 0.998, a pair at J = 0.3 with
//! ≈ 0.09, unrelated articles practically never. Each band costs a hash-table entry per
//! remembered article, the largest part of its memory after the signature, so there are no more
//! bands than recall at 0.8 needs. Candidates are then verified on all 128 values (or exactly,
//! see [`crate::dedup::index`]).

use xxhash_rust::xxh3::xxh3_64;

/// Words per shingle.
pub const SHINGLE_WORDS: usize = 5;
/// Min-hashes per signature.
pub const SIGNATURE_LEN: usize = 128;
/// LSH bands.
pub const BANDS: usize = 12;
/// Rows (min-hashes) per band.
pub const ROWS: usize = 4;

/// A MinHash signature: the top 8 bits of each of [`SIGNATURE_LEN`] min-hashes.
pub type Signature = [u8; SIGNATURE_LEN];

/// Fixed multiply-shift hash family, derived from constants so signatures are identical on every
/// replica and across restarts (they are persisted in the index topic).
struct Family {
    mul: [u64; SIGNATURE_LEN],
    add: [u64; SIGNATURE_LEN],
}

const fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

const FAMILY: Family = {
    let mut mul = [0u64; SIGNATURE_LEN];
    let mut add = [0u64; SIGNATURE_LEN];
    let mut i = 0;
    while i < SIGNATURE_LEN {
        mul[i] = splitmix(2 * i as u64) | 1;
        add[i] = splitmix(2 * i as u64 + 1);
        i += 1;
    }
    Family { mul, add }
};

/// Hashes of the [`SHINGLE_WORDS`]-word shingles of already-normalised text (see
/// [`crate::article::normalise_text`]), deduplicated. Texts shorter than one shingle yield one
/// shingle of all their words, so short texts still get a signature.
pub fn shingle_hashes(normalised: &str) -> Vec<u64> {
    let words: Vec<&str> = normalised.split(' ').filter(|w| !w.is_empty()).collect();
    let mut hashes: Vec<u64> = if words.len() < SHINGLE_WORDS {
        vec![xxh3_64(normalised.as_bytes())]
    } else {
        words
            .windows(SHINGLE_WORDS)
            .map(|w| {
                // Hash the shingle's bytes straight from the source string: the words of a
                // window are contiguous in `normalised`, separated by single spaces.
                let start = w[0].as_ptr() as usize - normalised.as_ptr() as usize;
                let last = w[SHINGLE_WORDS - 1];
                let end = last.as_ptr() as usize - normalised.as_ptr() as usize + last.len();
                xxh3_64(&normalised.as_bytes()[start..end])
            })
            .collect()
    };
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// The shingle set in its compact form (32-bit hashes, sorted, deduplicated), as kept for exact
/// verification of recent articles. 32 bits suffice: two articles share a spurious shingle with
/// probability ~n²/2³², a few in ten thousand for 500-shingle articles.
pub fn compact_shingles(shingles: &[u64]) -> Box<[u32]> {
    let mut v: Vec<u32> = shingles.iter().map(|&h| (h >> 32) as u32).collect();
    v.sort_unstable();
    v.dedup();
    v.into_boxed_slice()
}

/// The MinHash signature of a set of shingle hashes.
pub fn signature(shingles: &[u64]) -> Signature {
    let mut mins = [u64::MAX; SIGNATURE_LEN];
    for &x in shingles {
        for (i, m) in mins.iter_mut().enumerate() {
            let h = x.wrapping_mul(FAMILY.mul[i]).wrapping_add(FAMILY.add[i]);
            if h < *m {
                *m = h;
            }
        }
    }
    // Eight bits of a remix of each minimum. Not its top bits: a minimum over hundreds of values
    // starts with zeros, so unrelated articles would agree. Not its low bits either: in a
    // multiply-shift hash they depend only on the low bits of the input.
    let mut sig = [0u8; SIGNATURE_LEN];
    for (s, m) in sig.iter_mut().zip(mins) {
        *s = splitmix(m) as u8;
    }
    sig
}

/// Estimated Jaccard similarity: the fraction of agreeing min-hashes, corrected for 8-bit
/// values that agree by chance (P(agree) = J + (1 − J)/256).
pub fn estimated_jaccard(a: &Signature, b: &Signature) -> f64 {
    const CHANCE: f64 = 1.0 / 256.0;
    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
    let p = same as f64 / SIGNATURE_LEN as f64;
    ((p - CHANCE) / (1.0 - CHANCE)).clamp(0.0, 1.0)
}

/// The LSH band keys of a signature, 32 bits each (a chance collision only costs one extra
/// signature comparison); the band index is mixed in so equal rows in different bands do not
/// collide.
pub fn band_keys(sig: &Signature) -> [u32; BANDS] {
    let mut keys = [0u32; BANDS];
    for (b, key) in keys.iter_mut().enumerate() {
        let rows = &sig[b * ROWS..(b + 1) * ROWS];
        let mut v = 0u64;
        for &r in rows {
            v = (v << 8) | u64::from(r);
        }
        *key = (splitmix(v ^ ((b as u64) << 56)) >> 32) as u32;
    }
    keys
}

/// Exact Jaccard similarity of two sorted, deduplicated shingle sets.
pub fn exact_jaccard<T: Ord>(a: &[T], b: &[T]) -> f64 {
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - inter;
    if union == 0 {
        1.0
    } else {
        inter as f64 / union as f64
    }
}
