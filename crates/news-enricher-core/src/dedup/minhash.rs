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
//! whose true Jaccard lies within a few hundredths of 0.8 are decided by sampling noise (±0.04
//! here); away from the threshold the verdicts are nearly exact. The error shrinks only with the
//! square root of the signature's size, which is why recent articles are verified exactly
//! instead (see [`crate::dedup::index`]).
//!
//! # Parameters
//!
//! [`SIGNATURE_LEN`] = 256 min-hashes, each kept as one bit of its remixed minimum (b-bit
//! MinHash with b = 1, Li & König 2010). Unequal minima agree on that bit half the time, so
//! P(bit agrees) = (1 + J)/2 and J is estimated as 2p − 1 ([`estimated_jaccard`]). Its standard
//! error at J = 0.8 is 2·√(0.9·0.1/256) ≈ 0.038, within 10% of what 128 eight-bit values give
//! (±0.035), in 32 bytes instead of 128: memory per remembered article is the window's
//! constraint, and one bit is the most accurate use of a fixed number of bits when J is high
//! (Li & König, figure 2).
//!
//! Candidates come from [`BANDS`] = 8 bands of [`ROWS`] = 2 *full* 32-bit minima (the first 16
//! of the 256), so a band matches with probability J² exactly, without the chance agreement of
//! one-bit values: a pair at J = 0.8 shares at least one band with probability
//! 1 − (1 − 0.64)⁸ ≈ 0.9997, which leaves room for the lossy band table of the window (it may
//! forget an old holder of a band, see [`crate::dedup::index`]); a pair at J = 0.3 with ≈ 0.53,
//! which only costs a 32-byte comparison; unrelated articles practically never. Band keys cannot
//! be recomputed from the one-bit signature, so they travel with it ([`Signature::bands`]) in
//! the index topic. Candidates are verified on all 256 bits, or exactly while recent.

use crate::random::splitmix64;
use xxhash_rust::xxh3::xxh3_64;

/// Words per shingle.
pub const SHINGLE_WORDS: usize = 5;
/// Min-hashes per signature (one bit each).
pub const SIGNATURE_LEN: usize = 256;
/// 64-bit words holding the signature's bits.
pub const SIGNATURE_WORDS: usize = SIGNATURE_LEN / 64;
/// LSH bands.
pub const BANDS: usize = 8;
/// Rows (full min-hashes) per band.
pub const ROWS: usize = 2;
/// Bytes of a signature in its published form: the bits, then the band keys.
pub const SIGNATURE_BYTES: usize = SIGNATURE_WORDS * 8 + BANDS * 4;

/// The bits of a signature: bit `i` is one bit of the `i`-th min-hash.
pub type SignatureBits = [u64; SIGNATURE_WORDS];

/// A MinHash signature: one bit of each of [`SIGNATURE_LEN`] min-hashes, for estimating
/// similarity, and the [`BANDS`] LSH band keys, for finding candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature {
    /// One bit per min-hash.
    pub bits: SignatureBits,
    /// LSH band keys, from full min-hashes (see the module docs).
    pub bands: [u32; BANDS],
}

impl Signature {
    /// The published form: [`SIGNATURE_BYTES`] bytes, bits then band keys, little-endian.
    pub fn to_bytes(&self) -> [u8; SIGNATURE_BYTES] {
        let mut out = [0u8; SIGNATURE_BYTES];
        let (bits, bands) = out.split_at_mut(SIGNATURE_WORDS * 8);
        for (chunk, w) in bits.chunks_exact_mut(8).zip(self.bits) {
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        for (chunk, k) in bands.chunks_exact_mut(4).zip(self.bands) {
            chunk.copy_from_slice(&k.to_le_bytes());
        }
        out
    }

    /// Reads the published form back.
    pub fn from_bytes(bytes: &[u8; SIGNATURE_BYTES]) -> Self {
        let (bits, bands) = bytes.split_at(SIGNATURE_WORDS * 8);
        let mut sig = Signature {
            bits: [0; SIGNATURE_WORDS],
            bands: [0; BANDS],
        };
        for (w, chunk) in sig.bits.iter_mut().zip(bits.chunks_exact(8)) {
            *w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        }
        for (k, chunk) in sig.bands.iter_mut().zip(bands.chunks_exact(4)) {
            *k = u32::from_le_bytes(chunk.try_into().expect("4 bytes"));
        }
        sig
    }
}

/// Fixed hash family, derived from constants so signatures are identical on every replica and
/// across restarts (they are persisted in the index topic). Each member is a multiply-add over
/// 32 bits, `h_i(x) = m_i · x + c_i mod 2³²` with odd `m_i`: a bijection that orders the
/// (already uniformly hashed) shingles differently for each `i`, and whose 256 lanes the
/// compiler turns into SIMD, which keeps the signature at a few microseconds per article.
/// 32-bit minima tie between different shingles with probability ~n/2³², negligible here.
struct Family {
    mul: [u32; SIGNATURE_LEN],
    add: [u32; SIGNATURE_LEN],
}

const FAMILY: Family = {
    let mut mul = [0u32; SIGNATURE_LEN];
    let mut add = [0u32; SIGNATURE_LEN];
    let mut i = 0;
    while i < SIGNATURE_LEN {
        mul[i] = splitmix64(2 * i as u64) as u32 | 1;
        add[i] = splitmix64(2 * i as u64 + 1) as u32;
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
    let mins = minima(shingles);
    // One bit of a remix of each minimum. Not a raw bit: a minimum over hundreds of values
    // starts with zeros, and in a multiply-add hash the low bits depend only on the low bits of
    // the input.
    let mut bits = [0u64; SIGNATURE_WORDS];
    for (i, &m) in mins.iter().enumerate() {
        bits[i / 64] |= (splitmix64(u64::from(m)) & 1) << (i % 64);
    }
    let mut bands = [0u32; BANDS];
    for (b, key) in bands.iter_mut().enumerate() {
        // The band index is mixed in so equal rows in different bands do not collide.
        let mut v = splitmix64(b as u64);
        for &m in &mins[b * ROWS..(b + 1) * ROWS] {
            v = splitmix64(v ^ u64::from(m));
        }
        *key = (v >> 32) as u32;
    }
    Signature { bits, bands }
}

/// The [`SIGNATURE_LEN`] minima of the hash family over the shingles: the stage's hot loop,
/// 256 multiply-add-min lanes per shingle. The portable build targets baseline x86-64 (SSE2,
/// which has no 32-bit lane multiply), so on a CPU with AVX2 the same loop runs compiled for
/// it: 8 lanes per instruction, identical results.
fn minima(shingles: &[u64]) -> [u32; SIGNATURE_LEN] {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: `minima_avx2` only requires AVX2, which the CPU was just found to have.
            return unsafe { minima_avx2(shingles) };
        }
    }
    minima_portable(shingles)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn minima_avx2(shingles: &[u64]) -> [u32; SIGNATURE_LEN] {
    minima_portable(shingles)
}

#[inline(always)]
fn minima_portable(shingles: &[u64]) -> [u32; SIGNATURE_LEN] {
    let mut mins = [u32::MAX; SIGNATURE_LEN];
    for &x in shingles {
        // Both halves of the shingle hash, so shingles that share their low half still differ.
        let x = (x as u32) ^ (x >> 32) as u32;
        for ((m, &mul), &add) in mins.iter_mut().zip(&FAMILY.mul).zip(&FAMILY.add) {
            *m = (*m).min(x.wrapping_mul(mul).wrapping_add(add));
        }
    }
    mins
}

/// Estimated Jaccard similarity: unequal minima agree on their bit half the time, so
/// P(agree) = (1 + J)/2 and J ≈ 2·P − 1.
pub fn estimated_jaccard_bits(a: &SignatureBits, b: &SignatureBits) -> f64 {
    let differ: u32 = a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum();
    let p = 1.0 - f64::from(differ) / SIGNATURE_LEN as f64;
    (2.0 * p - 1.0).clamp(0.0, 1.0)
}

/// [`estimated_jaccard_bits`] of two signatures.
pub fn estimated_jaccard(a: &Signature, b: &Signature) -> f64 {
    estimated_jaccard_bits(&a.bits, &b.bits)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minima_are_the_same_whichever_instructions_compute_them() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let shingles: Vec<u64> = (0..1000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            })
            .collect();
        // On a CPU without AVX2 both are the portable loop.
        assert_eq!(minima(&shingles), minima_portable(&shingles));
        assert_eq!(minima(&[]), [u32::MAX; SIGNATURE_LEN]);
    }

    #[test]
    fn the_published_form_round_trips() {
        let sig = signature(&[1, 2, 3, 0xDEAD_BEEF, u64::MAX]);
        assert_eq!(Signature::from_bytes(&sig.to_bytes()), sig);
    }

    #[test]
    fn the_estimate_tracks_jaccard() {
        // Two sets of 2,000 hashes sharing `shared` of them.
        let base: Vec<u64> = (0..4_000u64).map(splitmix64).collect();
        for (shared, want) in [(2_000usize, 1.0), (1_800, 0.818), (1_333, 0.5), (0, 0.0)] {
            let mut a: Vec<u64> = base[..2_000].to_vec();
            let mut b: Vec<u64> = base[2_000 - shared..4_000 - shared].to_vec();
            a.sort_unstable();
            b.sort_unstable();
            let exact = exact_jaccard(&a, &b);
            assert!((exact - want).abs() < 0.01, "{shared}: exact {exact}");
            let est = estimated_jaccard(&signature(&a), &signature(&b));
            // Four standard errors of the one-bit estimate at worst (J = 0.5: 2·√(0.75·0.25/256)).
            assert!((est - exact).abs() < 0.22, "{shared}: {est} vs {exact}");
        }
    }
}
