//! The sample the population models are fitted on: Algorithm R reservoir sampling (Vitter 1985)
//! of earlier logins' feature rows, with the refit schedule (at the warm-up, then each time the
//! logins seen double, at most every 131,072).

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Largest gap between refits once the data is large.
const MAX_REFIT_INTERVAL: usize = 131_072;

/// Algorithm R reservoir sampling (Vitter 1985) over fixed-width rows, seeded.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Reservoir<const D: usize> {
    #[serde(with = "rows")]
    pub(crate) rows: Vec<[f64; D]>,
    capacity: usize,
    seen: usize,
    rng: Xoshiro256PlusPlus,
    next_fit_at: usize,
}

impl<const D: usize> Reservoir<D> {
    pub(crate) fn new(capacity: usize, seed: u64, first_fit_at: usize) -> Self {
        Self {
            rows: Vec::with_capacity(capacity.min(1 << 16)),
            capacity,
            seen: 0,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            next_fit_at: first_fit_at.max(1),
        }
    }

    /// Adds a row; returns true when the schedule says to refit now.
    pub(crate) fn add(&mut self, row: [f64; D]) -> bool {
        self.seen += 1;
        if self.rows.len() < self.capacity {
            self.rows.push(row);
        } else {
            let slot = self.rng.next_u64() % self.seen as u64;
            if let Some(kept) = self.rows.get_mut(slot as usize) {
                *kept = row;
            }
        }
        if self.seen >= self.next_fit_at {
            self.next_fit_at = self.seen + self.seen.min(MAX_REFIT_INTERVAL);
            return true;
        }
        false
    }

    pub(crate) fn flat(&self) -> Vec<f64> {
        self.rows.iter().flatten().copied().collect()
    }
}

/// Rows of `D` numbers, kept flat (serde has no impls for arrays of a generic length).
pub(crate) mod rows {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<S: Serializer, const D: usize>(
        rows: &[[f64; D]],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        rows.as_flattened().serialize(serializer)
    }

    pub(crate) fn deserialize<'de, De: Deserializer<'de>, const D: usize>(
        deserializer: De,
    ) -> Result<Vec<[f64; D]>, De::Error> {
        let flat = Vec::<f64>::deserialize(deserializer)?;
        if D == 0 || flat.len() % D != 0 {
            return Err(De::Error::custom(format!(
                "{} numbers are not rows of {D}",
                flat.len()
            )));
        }
        Ok(flat
            .chunks_exact(D)
            .map(|row| row.try_into().expect("chunks of D"))
            .collect())
    }
}
