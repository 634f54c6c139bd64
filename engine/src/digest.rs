//! Stable names from content: 64-bit FNV-1a, the same on every platform and run (not a
//! security digest).

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a over `bytes`.
pub fn fnv1a64<'a>(bytes: impl IntoIterator<Item = &'a u8>) -> u64 {
    bytes.into_iter().fold(OFFSET, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

/// FNV-1a of what is written into it, without building the text first.
#[derive(Debug)]
pub struct Fnv1a64(u64);

impl Default for Fnv1a64 {
    fn default() -> Self {
        Self(OFFSET)
    }
}

impl Fnv1a64 {
    /// Goes on from `hash`, a [`Self::finish`] of the bytes before: the result is the hash of
    /// those bytes followed by what is written next.
    pub fn continuing(hash: u64) -> Self {
        Self(hash)
    }

    pub fn finish(&self) -> u64 {
        self.0
    }

    pub fn write_bytes(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(PRIME);
        }
    }

    /// Writes `value` in decimal, as `Display` spells it.
    pub fn write_decimal(&mut self, value: i64) {
        if value < 0 {
            self.write_bytes(b"-");
        }
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        let mut rest = value.unsigned_abs();
        loop {
            start -= 1;
            digits[start] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        self.write_bytes(&digits[start..]);
    }
}

impl std::fmt::Write for Fnv1a64 {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.write_bytes(text.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn written_text_hashes_as_its_bytes() {
        use std::fmt::Write;
        let mut hash = Fnv1a64::default();
        let user = "ava";
        write!(hash, "{user}\u{1f}{}", 42).unwrap();
        assert_eq!(hash.finish(), fnv1a64("ava\u{1f}42".as_bytes()));
    }
}
