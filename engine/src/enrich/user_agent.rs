//! User-agent parsing: browser family and major version, OS family, device type.
//!
//! A small ordered set of substring rules instead of the full uap-core regex list: the detectors
//! need the family level (is this the user's usual browser, OS and kind of device, or a script?),
//! it runs at ~1 µs per string, and it needs no start-up work in the browser build. Tokens are
//! checked in the order browsers spoof each other (Edge and Opera claim to be Chrome, Chrome
//! claims to be Safari, everyone claims to be Mozilla).

use serde::{Deserialize, Serialize};

/// What kind of client sent the login.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceType {
    Desktop,
    Mobile,
    Tablet,
    /// HTTP libraries, command-line tools and crawlers: no person at a browser.
    Script,
    Unknown,
}

impl DeviceType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Desktop => "desktop",
            Self::Mobile => "mobile",
            Self::Tablet => "tablet",
            Self::Script => "script",
            Self::Unknown => "unknown",
        }
    }
}

/// The parts of a user agent that the detectors compare.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserAgentInfo {
    #[serde(deserialize_with = "crate::interned::name")]
    pub browser: crate::interned::Name,
    pub browser_major: Option<u32>,
    /// The number after the major version ("26.3" → 3): Safari ships minor releases.
    #[serde(default)]
    pub browser_minor: Option<u32>,
    #[serde(deserialize_with = "crate::interned::name")]
    pub os: crate::interned::Name,
    pub device: DeviceType,
}

impl UserAgentInfo {
    /// "Chrome 131 on Windows (desktop)".
    pub fn describe(&self) -> String {
        let version = self
            .browser_major
            .map(|major| format!(" {major}"))
            .unwrap_or_default();
        format!(
            "{}{version} on {} ({})",
            self.browser,
            self.os,
            self.device.as_str()
        )
    }
}

/// The browser, operating system and device type of a [`UserAgentInfo::describe`] text
/// ("Chrome 131 on Windows (desktop)" gives `("Chrome", "Windows", "desktop")`).
pub fn described_parts(description: &str) -> Option<(&str, &str, &str)> {
    let (rest, device) = description.strip_suffix(')')?.rsplit_once(" (")?;
    let (browser, os) = rest.rsplit_once(" on ")?;
    let browser = match browser.rsplit_once(' ') {
        Some((name, version)) if version.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => browser,
    };
    Some((browser, os, device))
}

/// Scripted clients, matched case-insensitively at the start of the string or as a token.
const SCRIPT_CLIENTS: [(&str, &str); 14] = [
    ("python-requests", "python-requests"),
    ("python-urllib", "Python urllib"),
    ("aiohttp", "aiohttp"),
    ("curl/", "curl"),
    ("wget/", "Wget"),
    ("go-http-client", "Go http client"),
    ("okhttp", "OkHttp"),
    ("java/", "Java"),
    ("apache-httpclient", "Apache HttpClient"),
    ("powershell", "PowerShell"),
    ("libwww-perl", "libwww-perl"),
    ("node-fetch", "node-fetch"),
    ("axios/", "axios"),
    ("postmanruntime", "Postman"),
];

const BOT_TOKENS: [&str; 5] = ["bot", "crawler", "spider", "headlesschrome", "phantomjs"];

/// Browsers in the order they must be tested: (token in the string, family name).
const BROWSERS: [(&str, &str); 12] = [
    ("edg/", "Edge"),
    ("edga/", "Edge"),
    ("edgios/", "Edge"),
    ("opr/", "Opera"),
    ("samsungbrowser/", "Samsung Internet"),
    ("yabrowser/", "Yandex Browser"),
    ("vivaldi/", "Vivaldi"),
    ("firefox/", "Firefox"),
    ("fxios/", "Firefox"),
    ("crios/", "Chrome"),
    ("chrome/", "Chrome"),
    ("msie ", "Internet Explorer"),
];

pub fn parse_user_agent(raw: &str) -> UserAgentInfo {
    let text = raw.trim();
    if text.is_empty() || text == "-" {
        return UserAgentInfo {
            browser: "Unknown",
            browser_major: None,
            browser_minor: None,
            os: "Unknown",
            device: DeviceType::Unknown,
        };
    }
    let lower = text.to_ascii_lowercase();
    let os = operating_system(&lower);
    if let Some((token, name)) = SCRIPT_CLIENTS
        .iter()
        .find(|(token, _)| lower.starts_with(token) || lower.contains(&format!(" {token}")))
    {
        return UserAgentInfo {
            browser: name,
            browser_major: major_after(&lower, token.trim_end_matches('/')),
            browser_minor: None,
            os,
            device: DeviceType::Script,
        };
    }
    if BOT_TOKENS.iter().any(|token| lower.contains(token)) {
        return UserAgentInfo {
            browser: "Bot",
            browser_major: None,
            browser_minor: None,
            os,
            device: DeviceType::Script,
        };
    }
    let (browser, browser_major, browser_minor) = browser_family(&lower);
    UserAgentInfo {
        browser,
        browser_major,
        browser_minor,
        os,
        device: device_type(&lower, os),
    }
}

fn browser_family(lower: &str) -> (&'static str, Option<u32>, Option<u32>) {
    for (token, name) in BROWSERS {
        if lower.contains(token) {
            return (name, major_after(lower, token), minor_after(lower, token));
        }
    }
    if lower.contains("trident/") {
        return ("Internet Explorer", major_after(lower, "rv:"), None);
    }
    if lower.contains("safari/") || (lower.contains("applewebkit/") && lower.contains("mobile/")) {
        return (
            "Safari",
            major_after(lower, "version/"),
            minor_after(lower, "version/"),
        );
    }
    ("Other", None, None)
}

fn operating_system(lower: &str) -> &'static str {
    if lower.contains("windows") {
        "Windows"
    } else if lower.contains("iphone") || lower.contains("ipad") || lower.contains("ipod") {
        "iOS"
    } else if lower.contains("android") {
        "Android"
    } else if lower.contains("cros") {
        "ChromeOS"
    } else if lower.contains("mac os x") || lower.contains("macintosh") {
        "macOS"
    } else if lower.contains("linux") || lower.contains("x11") {
        "Linux"
    } else {
        "Other"
    }
}

fn device_type(lower: &str, os: &str) -> DeviceType {
    if lower.contains("ipad") || lower.contains("tablet") {
        DeviceType::Tablet
    } else if os == "Android" {
        if lower.contains("mobile") {
            DeviceType::Mobile
        } else {
            DeviceType::Tablet
        }
    } else if lower.contains("mobile") || lower.contains("iphone") || lower.contains("ipod") {
        DeviceType::Mobile
    } else if matches!(os, "Windows" | "macOS" | "Linux" | "ChromeOS") {
        DeviceType::Desktop
    } else {
        DeviceType::Unknown
    }
}

/// The integer right after `token` (e.g. `chrome/` → 131 in "chrome/131.0.6778.86").
fn major_after(lower: &str, token: &str) -> Option<u32> {
    let start = lower.find(token)? + token.len();
    let digits: String = lower[start..]
        .chars()
        .skip_while(|c| *c == '/' || *c == ' ')
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The integer after the major version's dot (e.g. `version/` → 3 in "version/26.3").
fn minor_after(lower: &str, token: &str) -> Option<u32> {
    let start = lower.find(token)? + token.len();
    let rest = lower[start..].trim_start_matches(['/', ' ']);
    let after_major = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    let digits: String = after_major
        .strip_prefix('.')?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_versions_are_read() {
        let safari = parse_user_agent(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.3 Safari/605.1.15",
        );
        assert_eq!(
            (safari.browser_major, safari.browser_minor),
            (Some(26), Some(3))
        );
        let chrome = parse_user_agent(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/147.0.0.0 Safari/537.36",
        );
        assert_eq!(
            (chrome.browser_major, chrome.browser_minor),
            (Some(147), Some(0))
        );
    }

    fn check(raw: &str, browser: &str, major: Option<u32>, os: &str, device: DeviceType) {
        let info = parse_user_agent(raw);
        assert_eq!(
            (info.browser, info.browser_major, info.os, info.device),
            (browser, major, os, device),
            "{raw}"
        );
    }

    #[test]
    fn desktop_browsers() {
        check(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Chrome",
            Some(131),
            "Windows",
            DeviceType::Desktop,
        );
        check(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
            "Edge",
            Some(131),
            "Windows",
            DeviceType::Desktop,
        );
        check(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
            "Safari",
            Some(18),
            "macOS",
            DeviceType::Desktop,
        );
        check(
            "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Firefox",
            Some(133),
            "Linux",
            DeviceType::Desktop,
        );
    }

    #[test]
    fn phones_and_tablets() {
        check(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            "Safari",
            Some(18),
            "iOS",
            DeviceType::Mobile,
        );
        check(
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
            "Samsung Internet",
            Some(26),
            "Android",
            DeviceType::Mobile,
        );
        check(
            "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
            "Chrome",
            Some(131),
            "iOS",
            DeviceType::Tablet,
        );
    }

    #[test]
    fn scripts_and_bots() {
        check(
            "python-requests/2.32.3",
            "python-requests",
            Some(2),
            "Other",
            DeviceType::Script,
        );
        check("curl/8.5.0", "curl", Some(8), "Other", DeviceType::Script);
        check(
            "okhttp/4.12.0",
            "OkHttp",
            Some(4),
            "Other",
            DeviceType::Script,
        );
        check(
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
            "Bot",
            None,
            "Linux",
            DeviceType::Script,
        );
    }

    #[test]
    fn empty_and_unknown() {
        check("", "Unknown", None, "Unknown", DeviceType::Unknown);
        check("-", "Unknown", None, "Unknown", DeviceType::Unknown);
        check(
            "SomethingElse/1.0",
            "Other",
            None,
            "Other",
            DeviceType::Unknown,
        );
    }

    #[test]
    fn describes_itself() {
        let info = parse_user_agent(
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        );
        assert_eq!(info.describe(), "Firefox 133 on Linux (desktop)");
    }

    #[test]
    fn descriptions_read_back_into_their_parts() {
        for (raw, parts) in [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                ("Chrome", "Windows", "desktop"),
            ),
            (
                "python-requests/2.32.3",
                ("python-requests", "Other", "script"),
            ),
            ("", ("Unknown", "Unknown", "unknown")),
        ] {
            let description = parse_user_agent(raw).describe();
            assert_eq!(described_parts(&description), Some(parts), "{description}");
        }
        assert_eq!(
            described_parts("Samsung Internet 29 on Android (mobile)"),
            Some(("Samsung Internet", "Android", "mobile"))
        );
        assert_eq!(described_parts("not a description"), None);
    }
}
