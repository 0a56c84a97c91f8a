//! Reproducible pseudo-random numbers, for the training shuffles and the min-hash family:
//! splitmix64, so that the same seed gives the same model or signature on every machine and no
//! random-number dependency is needed.

/// The golden-ratio increment of splitmix64's counter.
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// splitmix64: a well-mixed 64-bit value from a counter or seed (`const`, so tables can be
/// built at compile time).
pub const fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(GOLDEN);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Shuffles `v` in place (Fisher–Yates) drawing from generator `state`, which it advances, so
/// shuffles made one after another from one seed are reproducible.
pub fn shuffle<T>(v: &mut [T], state: &mut u64) {
    for i in (1..v.len()).rev() {
        let r = splitmix64(*state);
        *state = state.wrapping_add(GOLDEN);
        v.swap(i, (r % (i as u64 + 1)) as usize);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_gives_the_reference_sequence() {
        // The first outputs of the reference generator seeded with 0.
        let mut state = 0u64;
        let mut next = || {
            let r = splitmix64(state);
            state = state.wrapping_add(GOLDEN);
            r
        };
        assert_eq!(next(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(next(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn a_shuffle_is_a_reproducible_permutation() {
        let (mut a, mut b): (Vec<u32>, Vec<u32>) = ((0..100).collect(), (0..100).collect());
        let (mut sa, mut sb) = (7u64, 7u64);
        shuffle(&mut a, &mut sa);
        shuffle(&mut b, &mut sb);
        assert_eq!((&a, sa), (&b, sb));
        assert_ne!(a, (0..100).collect::<Vec<u32>>());
        a.sort_unstable();
        assert_eq!(a, (0..100).collect::<Vec<u32>>());
    }
}
