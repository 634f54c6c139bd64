//! Small frequency tables for per-user histories.

/// Counts of a few distinct values, kept in a vector: a user has a handful of IPs, devices and
/// places, where a linear scan beats hashing. Bounded: when full, the rarest value is forgotten,
/// so a user who logs in from thousands of addresses cannot grow without limit.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct CountMap<K> {
    entries: Vec<(K, u32)>,
    total: u32,
}

/// Largest number of distinct values remembered per table.
pub const MAX_DISTINCT: usize = 48;

impl<K> Default for CountMap<K> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            total: 0,
        }
    }
}

impl<K> CountMap<K> {
    /// The same counts under other keys (`to` must keep distinct keys distinct).
    pub fn map_keys<T>(self, to: impl Fn(K) -> T) -> CountMap<T> {
        CountMap {
            entries: self
                .entries
                .into_iter()
                .map(|(key, count)| (to(key), count))
                .collect(),
            total: self.total,
        }
    }
}

impl<K: PartialEq + Clone> CountMap<K> {
    pub fn count(&self, key: &K) -> u32 {
        self.entries
            .iter()
            .find(|(entry, _)| entry == key)
            .map_or(0, |(_, count)| *count)
    }

    /// Observations added so far (including forgotten values).
    pub fn total(&self) -> u32 {
        self.total
    }

    pub fn distinct(&self) -> usize {
        self.entries.len()
    }

    pub fn add(&mut self, key: &K) {
        self.total = self.total.saturating_add(1);
        if let Some((_, count)) = self.entries.iter_mut().find(|(entry, _)| entry == key) {
            *count = count.saturating_add(1);
            return;
        }
        if self.entries.len() == MAX_DISTINCT
            && let Some(rarest) = self
                .entries
                .iter()
                .enumerate()
                .min_by_key(|(_, (_, count))| *count)
                .map(|(index, _)| index)
        {
            self.entries.swap_remove(rarest);
        }
        if self.entries.len() == self.entries.capacity() {
            // Grown by hand so a full table holds MAX_DISTINCT entries, not the 64 that doubling
            // would reserve: a tenant's users hold most of an analysis's memory.
            let len = self.entries.len();
            self.entries
                .reserve_exact(len.max(4).min(MAX_DISTINCT - len));
        }
        self.entries.push((key.clone(), 1));
    }

    /// The most frequent value (the first one seen among equals).
    pub fn most_common(&self) -> Option<(&K, u32)> {
        self.entries
            .iter()
            .fold(None, |best: Option<&(K, u32)>, entry| match best {
                Some(best) if best.1 >= entry.1 => Some(best),
                _ => Some(entry),
            })
            .map(|(key, count)| (key, *count))
    }

    /// Values with their counts, most frequent first (ties in insertion order).
    pub fn ranked(&self) -> Vec<(&K, u32)> {
        let mut ranked: Vec<(&K, u32)> = self.entries.iter().map(|(k, c)| (k, *c)).collect();
        ranked.sort_by_key(|entry| std::cmp::Reverse(entry.1));
        ranked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_forgets_the_rarest() {
        let mut map = CountMap::default();
        map.add(&"a");
        map.add(&"a");
        map.add(&"b");
        assert_eq!(
            (map.count(&"a"), map.count(&"b"), map.count(&"c")),
            (2, 1, 0)
        );
        assert_eq!(map.most_common(), Some((&"a", 2)));
        let mut numbers = CountMap::default();
        for value in 0..(MAX_DISTINCT as u32 + 5) {
            numbers.add(&value);
        }
        assert_eq!(numbers.distinct(), MAX_DISTINCT);
        assert_eq!(numbers.total(), MAX_DISTINCT as u32 + 5);
    }
}
