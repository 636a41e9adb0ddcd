//! `SplitMix64`: the small seeded generator behind the random schedulers.
//!
//! Steele, Lea and Flood, "Fast splittable pseudorandom number generators"
//! (OOPSLA 2014). Not for cryptography; chosen because the same seed gives
//! the same numbers on every machine, with no dependency.

#![forbid(unsafe_code)]

/// A seeded pseudorandom generator.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator started at `seed`.
    pub(crate) fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0). The modulo bias is at most
    /// `bound / 2^64`: nothing a schedule could notice.
    pub(crate) fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::SplitMix64;

    #[test]
    fn the_same_seed_gives_the_same_numbers() {
        let a: Vec<u64> = {
            let mut rng = SplitMix64::new(7);
            (0..5).map(|_| rng.next_u64()).collect()
        };
        let mut rng = SplitMix64::new(7);
        assert!(a.iter().all(|&x| x == rng.next_u64()));
        assert_ne!(SplitMix64::new(8).next_u64(), a[0]);
        assert!((0..100).all(|_| rng.below(3) < 3));
    }
}
