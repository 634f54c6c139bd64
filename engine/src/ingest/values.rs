//! Cell values shared by the formats: addresses, outcomes, countries, ASNs, Entra error codes.

use std::net::IpAddr;

use super::RejectReason;

/// `None` for cells that say nothing: empty, `-`, `null`, `n/a`, `unknown`.
pub fn present(text: &str) -> Option<&str> {
    let text = text.trim();
    let empty = text.is_empty()
        || matches!(
            text.to_ascii_lowercase().as_str(),
            "-" | "null" | "none" | "n/a" | "na" | "unknown"
        );
    (!empty).then_some(text)
}

/// IPv4, IPv6, and the bracketed, zone-suffixed or port-suffixed forms some exporters write
/// (`[2001:db8::1]`, `fe80::1%eth0`, `203.0.113.5:50123`, `[2001:db8::1]:443`), and IPv4 mapped
/// into IPv6 (`::ffff:10.0.0.5`, as Windows writes it) as the IPv4 address.
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let unbracketed = text
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(text);
    let without_zone = unbracketed.split('%').next().unwrap_or(unbracketed);
    let ip = without_zone.parse::<IpAddr>().ok().or_else(|| {
        text.parse::<std::net::SocketAddr>()
            .ok()
            .map(|address| address.ip())
    })?;
    Some(ip.to_canonical())
}

/// How a sign-in attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    /// The identity provider asked for more (MFA, consent, a device check, a prompt): neither a
    /// success nor a failed guess.
    Interrupted,
    Unknown,
}

impl Outcome {
    pub fn success(self) -> Option<bool> {
        match self {
            Self::Success => Some(true),
            Self::Failure => Some(false),
            Self::Interrupted | Self::Unknown => None,
        }
    }
}

pub fn parse_success(text: &str) -> Result<Outcome, RejectReason> {
    let value = text.trim();
    if value.is_empty() {
        return Ok(Outcome::Unknown);
    }
    match value.to_ascii_lowercase().as_str() {
        "true" | "t" | "1" | "yes" | "y" | "success" | "succeeded" | "successful" | "ok"
        | "pass" | "passed" | "allowed" | "allow" | "accepted" => Ok(Outcome::Success),
        "false" | "f" | "0" | "no" | "n" | "failure" | "failed" | "fail" | "error" | "denied"
        | "deny" | "blocked" | "rejected" => Ok(Outcome::Failure),
        // Entra's "Interrupted": the first factor passed, the flow stopped for MFA, consent or
        // a prompt; neither a success nor a failed guess.
        "interrupted" => Ok(Outcome::Interrupted),
        _ => Err(RejectReason::Success(value.to_owned())),
    }
}

/// An ISO 3166-1 alpha-2 code, upper-cased; names and other codes are not guessed at.
pub fn parse_country(text: &str) -> Option<String> {
    let code = present(text)?;
    (code.len() == 2 && code.bytes().all(|byte| byte.is_ascii_alphabetic()))
        .then(|| code.to_ascii_uppercase())
}

/// `64500`, `AS64500` or `as64500`.
pub fn parse_asn(text: &str) -> Option<u32> {
    let text = present(text)?;
    let digits = text
        .strip_prefix("AS")
        .or_else(|| text.strip_prefix("as"))
        .unwrap_or(text);
    digits.parse().ok().filter(|&asn| asn > 0)
}

pub fn parse_coordinate(text: &str, limit: f64) -> Option<f64> {
    present(text)?
        .parse::<f64>()
        .ok()
        .filter(|value| value.is_finite() && value.abs() <= limit)
}

pub fn parse_mfa(text: &str) -> Option<bool> {
    let text = present(text)?.to_ascii_lowercase();
    if matches!(text.as_str(), "yes" | "true" | "1" | "y") || text.starts_with("multi") {
        Some(true)
    } else if matches!(text.as_str(), "no" | "false" | "0" | "n") || text.starts_with("single") {
        Some(false)
    } else {
        None
    }
}

/// What an Entra ID sign-in error code says about the attempt, and a short description.
/// Codes from Microsoft's "Microsoft Entra authentication and authorization error codes" list.
/// Interrupts (MFA or a prompt still to come) are their own outcome: the password was not the
/// problem.
pub fn entra_outcome(code: u32) -> (Outcome, Option<&'static str>) {
    let (success, description) = entra_code(code);
    let outcome = match success {
        Some(true) => Outcome::Success,
        Some(false) => Outcome::Failure,
        None => Outcome::Interrupted,
    };
    (outcome, description)
}

fn entra_code(code: u32) -> (Option<bool>, Option<&'static str>) {
    match code {
        0 => (Some(true), None),
        50126 => (Some(false), Some("invalid username or password")),
        50053 => (
            Some(false),
            Some("account locked or sign-in from a malicious IP blocked"),
        ),
        50055 => (Some(false), Some("password expired")),
        50057 => (Some(false), Some("account disabled")),
        50034 => (Some(false), Some("user account does not exist")),
        500121 => (Some(false), Some("strong authentication (MFA) failed")),
        53003 => (Some(false), Some("blocked by Conditional Access")),
        50056 => (Some(false), Some("invalid or null password")),
        50144 => (Some(false), Some("password expired (Active Directory)")),
        530032 => (Some(false), Some("blocked by security policy")),
        50074 => (None, Some("strong authentication (MFA) required")),
        50076 => (
            None,
            Some("MFA required because of a location or policy change"),
        ),
        50079 => (None, Some("MFA registration required")),
        50058 => (
            None,
            Some("session information not sufficient for single sign-on"),
        ),
        50140 => (None, Some("'keep me signed in' interrupt")),
        50097 => (None, Some("device authentication required")),
        50125 => (
            None,
            Some("interrupted by a password reset or registration"),
        ),
        16000 | 16001 => (None, Some("account selection required")),
        65001 => (None, Some("consent required")),
        _ => (Some(false), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cells_as_exports_write_them() {
        assert_eq!(present(" - "), None);
        assert_eq!(present("Oslo"), Some("Oslo"));
        assert_eq!(parse_country("no"), Some("NO".to_owned()));
        assert_eq!(parse_country("Norway"), None);
        assert_eq!(parse_asn("AS2119"), Some(2119));
        assert_eq!(parse_asn("2119"), Some(2119));
        assert_eq!(parse_asn("0"), None);
        assert_eq!(parse_coordinate("59.91", 90.0), Some(59.91));
        assert_eq!(parse_coordinate("91", 90.0), None);
        assert_eq!(parse_mfa("Multifactor authentication"), Some(true));
        assert_eq!(parse_mfa("singleFactorAuthentication"), Some(false));
        assert_eq!(parse_success("Interrupted"), Ok(Outcome::Interrupted));
        assert_eq!(parse_ip("203.0.113.5:50123"), "203.0.113.5".parse().ok());
        assert_eq!(parse_ip("[2001:db8::1]:443"), "2001:db8::1".parse().ok());
        assert_eq!(parse_ip("::ffff:10.0.0.5"), "10.0.0.5".parse().ok());
        assert_eq!(parse_ip("-"), None);
        assert_eq!(parse_ip("[2001:db8::1]"), "2001:db8::1".parse().ok());
        assert_eq!(parse_ip("fe80::1%eth0"), "fe80::1".parse().ok());
    }

    #[test]
    fn entra_codes_separate_failures_from_interrupts() {
        assert_eq!(entra_outcome(0).0, Outcome::Success);
        assert_eq!(entra_outcome(50126).0, Outcome::Failure);
        assert_eq!(entra_outcome(50053).0, Outcome::Failure);
        for interrupt in [50074, 50076, 50079, 50097, 50125, 50140, 16000, 65001] {
            assert_eq!(
                entra_outcome(interrupt).0,
                Outcome::Interrupted,
                "{interrupt}"
            );
        }
        assert_eq!(entra_outcome(99999), (Outcome::Failure, None));
    }
}
