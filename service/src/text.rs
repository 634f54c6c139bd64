//! Numbers and sizes as people read them.

/// `1234567` → `"1,234,567"`.
pub fn count(value: u64) -> String {
    engine::detectors::evidence::thousands(value as f64)
}

/// "1 login", "4,519 logins": a count with its noun, plural by adding "s".
pub fn counted(value: u64, noun: &str) -> String {
    let plural = if value == 1 { "" } else { "s" };
    format!("{} {noun}{plural}", count(value))
}

/// Bytes in binary units with one decimal: `1536` → `"1.5 KB"`, `104857600` → `"100.0 MB"`.
pub fn bytes(value: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if value < 1024 {
        return format!("{value} B");
    }
    let mut scaled = value as f64 / 1024.0;
    let mut unit = 0;
    while scaled >= 1024.0 && unit + 1 < UNITS.len() {
        scaled /= 1024.0;
        unit += 1;
    }
    format!("{scaled:.1} {}", UNITS[unit])
}

/// Percent-encodes all but unreserved characters (RFC 3986 §2.3), for a value in a query string.
pub fn query_value(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            query_value("/detect?run=r1&x=a b"),
            "%2Fdetect%3Frun%3Dr1%26x%3Da%20b"
        );
        assert_eq!(query_value("é~ok"), "%C3%A9~ok");
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }

    #[test]
    fn sizes_in_binary_units() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KB");
        assert_eq!(bytes(100 * 1024 * 1024), "100.0 MB");
    }
}
