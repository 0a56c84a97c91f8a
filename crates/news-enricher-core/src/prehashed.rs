//! Hash maps keyed by values that are already hashes (xxh3 shingle hashes, feature hashes):
//! hashing them again would only cost time.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Passes a `u64` key through as its own hash.
#[derive(Default)]
pub struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A map keyed by a well-mixed 64-bit hash.
pub type PrehashedMap<V> = HashMap<u64, V, BuildHasherDefault<Prehashed>>;
