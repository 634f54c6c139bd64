//! Seeded random streams and the few distributions the generator needs.

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::math;

/// Independent purposes that get their own random stream, so that changing
/// one part of the scenario (say, the number of brute-force incidents) does
/// not reshuffle every other part.
#[derive(Debug, Clone, Copy)]
pub(super) enum Stream {
    Population = 1,
    User = 2,
    CredentialStuffing = 3,
    PasswordSpraying = 4,
    BruteForce = 5,
    AccountTakeover = 6,
    ImpossibleTravel = 7,
    AnonymizerLogin = 8,
    StealthyTakeover = 9,
    DistributedStuffing = 10,
    SlowSpraying = 11,
    CorporateVpn = 12,
    /// The independent family ([`crate::markov`]): its purposes are told apart by the index.
    Independent = 13,
}

/// A deterministic random source with convenience samplers.
pub(super) struct Random {
    rng: Xoshiro256PlusPlus,
}

impl Random {
    /// The stream for `purpose` and item `index` under the scenario `seed`.
    pub(super) fn new(seed: u64, purpose: Stream, index: u64) -> Self {
        let mixed = split_mix(split_mix(seed ^ split_mix(purpose as u64)) ^ index);
        Self {
            rng: Xoshiro256PlusPlus::seed_from_u64(mixed),
        }
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// Uniform integer in `0..bound` (Lemire's method with rejection).
    /// Returns 0 for an empty range.
    pub(super) fn below(&mut self, bound: u64) -> u64 {
        if bound <= 1 {
            return 0;
        }
        let threshold = bound.wrapping_neg() % bound;
        loop {
            let product = u128::from(self.next_u64()) * u128::from(bound);
            if (product as u64) >= threshold {
                return (product >> 64) as u64;
            }
        }
    }

    /// Uniform integer in `low..=high`.
    pub(super) fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        let span = high.abs_diff(low) + 1;
        low.wrapping_add(self.below(span) as i64)
    }

    /// Uniform `usize` index in `0..len`.
    pub(super) fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// Uniform float in `[0, 1)`.
    pub(super) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform float in `[low, high)`.
    pub(super) fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    pub(super) fn chance(&mut self, probability: f64) -> bool {
        self.unit() < probability
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    /// A copy of a uniformly chosen element (handy for slices of references).
    pub(super) fn pick_copy<T: Copy>(&mut self, items: &[T]) -> T {
        *self.pick(items)
    }

    /// Index drawn with probability proportional to `weights`.
    pub(super) fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut target = self.unit() * total;
        for (index, weight) in weights.iter().enumerate() {
            if target < *weight {
                return index;
            }
            target -= weight;
        }
        weights.len().saturating_sub(1)
    }

    /// Approximately normal (Irwin–Hall sum of twelve uniforms), which needs
    /// no transcendental functions and is bounded to ±6 standard deviations.
    pub(super) fn normal(&mut self, mean: f64, std_dev: f64) -> f64 {
        let sum: f64 = (0..12).map(|_| self.unit()).sum();
        mean + std_dev * (sum - 6.0)
    }

    /// Log-normal with the given median and log-space standard deviation.
    pub(super) fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        median * math::exp(self.normal(0.0, sigma))
    }

    /// Exponential with the given mean.
    pub(super) fn exponential(&mut self, mean: f64) -> f64 {
        -mean * math::ln(1.0 - self.unit())
    }

    /// Poisson-distributed count (Knuth's method; normal approximation for
    /// large means).
    pub(super) fn poisson(&mut self, mean: f64) -> u32 {
        if mean <= 0.0 {
            return 0;
        }
        if mean > 30.0 {
            return self.normal(mean, mean.sqrt()).round().max(0.0) as u32;
        }
        let limit = math::exp(-mean);
        let mut product = self.unit();
        let mut count = 0;
        while product > limit {
            product *= self.unit();
            count += 1;
        }
        count
    }

    pub(super) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.index(i + 1);
            items.swap(i, j);
        }
    }
}

fn split_mix(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let mut a = Random::new(7, Stream::User, 3);
        let mut b = Random::new(7, Stream::User, 3);
        let mut c = Random::new(7, Stream::User, 4);
        let first: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        assert_eq!(first, (0..4).map(|_| b.next_u64()).collect::<Vec<_>>());
        assert_ne!(first, (0..4).map(|_| c.next_u64()).collect::<Vec<_>>());
    }

    #[test]
    fn samplers_stay_in_range() {
        let mut random = Random::new(1, Stream::Population, 0);
        for _ in 0..10_000 {
            assert!(random.below(7) < 7);
            let x = random.between(-3, 3);
            assert!((-3..=3).contains(&x));
            let u = random.unit();
            assert!((0.0..1.0).contains(&u));
            assert!(random.exponential(2.0) >= 0.0);
        }
        let mean = (0..20_000)
            .map(|_| f64::from(random.poisson(2.5)))
            .sum::<f64>()
            / 20_000.0;
        assert!((mean - 2.5).abs() < 0.1, "poisson mean {mean}");
    }
}
