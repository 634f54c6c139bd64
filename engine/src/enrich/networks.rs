//! Network classification: reserved ranges, a curated list of hosting and VPN networks, and
//! lists the user supplies (Tor exits, threat intelligence, office ranges, corporate VPN egress).
//!
//! Every classification carries its source, which the reasons quote.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use thiserror::Error;

use super::NetworkType;

/// The special-purpose range an address belongs to (IANA registries, RFC 6890), if any. Such
/// addresses are classified, never looked up.
pub fn reserved_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => reserved_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => reserved_v4(v4),
            None => reserved_v6(v6),
        },
    }
}

fn reserved_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, _, _) => "\"this network\" (RFC 791)",
        (10, _, _) => "private (RFC 1918)",
        (100, 64..=127, _) => "carrier-grade NAT (RFC 6598)",
        (127, _, _) => "loopback (RFC 1122)",
        (169, 254, _) => "link-local (RFC 3927)",
        (172, 16..=31, _) => "private (RFC 1918)",
        (192, 0, 0) => "IETF protocol assignments (RFC 6890)",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation (RFC 5737)",
        (192, 88, 99) => "6to4 relay anycast (RFC 7526)",
        (192, 168, _) => "private (RFC 1918)",
        (198, 18..=19, _) => "benchmarking (RFC 2544)",
        (224..=239, _, _) => "multicast (RFC 5771)",
        (240..=255, _, _) => "reserved (RFC 1112)",
        _ => return None,
    })
}

fn reserved_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    Some(match segments[0] {
        0 if ip.is_unspecified() => "unspecified (RFC 4291)",
        0 if ip.is_loopback() => "loopback (RFC 4291)",
        0x64 if segments[1] == 0xff9b => "IPv4/IPv6 translation (RFC 6052)",
        0x100 if segments[1..4] == [0, 0, 0] => "discard-only (RFC 6666)",
        0x2001 if segments[1] == 0xdb8 => "documentation (RFC 3849)",
        0x2001 if segments[1] < 0x200 => "IETF protocol assignments (RFC 2928)",
        0x3fff if segments[1] < 0x1000 => "documentation (RFC 9637)",
        0xfc00..=0xfdff => "unique local (RFC 4193)",
        0xfe80..=0xfebf => "link-local (RFC 4291)",
        0xff00..=0xffff => "multicast (RFC 4291)",
        _ => return None,
    })
}

/// Autonomous systems of data centres and cloud providers (curated; organisation names as in
/// the RouteViews/DB-IP ASN table). Sources: the providers' own published AS numbers and
/// PeeringDB network type "Content"/"NSP" entries for hosting companies.
const HOSTING_ASNS: &[(u32, &str)] = &[
    (14061, "DigitalOcean"),
    (16509, "Amazon AWS"),
    (14618, "Amazon AWS"),
    (8075, "Microsoft Azure"),
    (15169, "Google"),
    (396982, "Google Cloud"),
    (24940, "Hetzner Online"),
    (213230, "Hetzner Online"),
    (16276, "OVH"),
    (63949, "Akamai Connected Cloud (Linode)"),
    (20473, "Vultr (The Constant Company)"),
    (51167, "Contabo"),
    (31898, "Oracle Cloud"),
    (45102, "Alibaba Cloud"),
    (132203, "Tencent Cloud"),
    (36352, "ColoCrossing"),
    (12876, "Scaleway"),
    (197540, "netcup"),
    (62240, "Clouvider"),
    (8100, "QuadraNet"),
    (46606, "Unified Layer"),
    (26496, "GoDaddy"),
    (13335, "Cloudflare"),
    (54290, "Hostwinds"),
    (40021, "Contabo US"),
    (35916, "Multacom"),
    (53667, "FranTech (BuyVM)"),
    (22612, "Namecheap"),
    (60781, "LeaseWeb"),
    (62744, "Quintex Alliance Consulting"),
];

/// Autonomous systems operated by commercial VPN providers, or whose address space is
/// mostly sold to them (curated from the providers' published server lists).
const VPN_ASNS: &[(u32, &str)] = &[
    (212238, "Datacamp (CDN77, VPN exits)"),
    (60068, "Datacamp (CDN77, VPN exits)"),
    (39351, "31173 Services (Mullvad VPN)"),
    (209103, "Proton AG (Proton VPN)"),
    (62371, "Proton AG (Proton VPN)"),
    (216025, "Mullvad VPN"),
    (9009, "M247 (hosting sold mostly to VPN providers)"),
    (136787, "TEFINCOM (NordVPN)"),
    (147049, "PacketHub (NordVPN)"),
];

/// Autonomous systems of non-profits that run Tor exit relays and little else (Tor Metrics
/// relay search, exit relays by AS).
const TOR_EXIT_ASNS: &[(u32, &str)] = &[
    (60729, "Stiftung Erneuerbare Freiheit"),
    (205100, "F3 Netze"),
    (208323, "Foundation for Applied Privacy"),
    (396507, "Emerald Onion"),
    (
        198093,
        "Foreningen for digitala fri- och rattigheter (DFRI)",
    ),
];

/// Words in an AS organisation name that mark hosting (checked only when the AS is not in the
/// curated lists).
const HOSTING_WORDS: &[&str] = &[
    "hosting",
    "datacenter",
    "data center",
    "data centre",
    "cloud",
    "server",
    "vps",
    "colocation",
    "dedicated",
];

/// The network type of an autonomous system by the curated lists and organisation words.
pub fn classify_asn(asn: u32, organisation: Option<&str>) -> Option<(NetworkType, String)> {
    if let Some((_, name)) = TOR_EXIT_ASNS.iter().find(|(number, _)| *number == asn) {
        return Some((
            NetworkType::Tor,
            format!("AS{asn} {name}, a Tor exit operator in Sky Trace's list"),
        ));
    }
    if let Some((_, name)) = VPN_ASNS.iter().find(|(number, _)| *number == asn) {
        return Some((
            NetworkType::Vpn,
            format!("AS{asn} {name} in Sky Trace's VPN list"),
        ));
    }
    if let Some((_, name)) = HOSTING_ASNS.iter().find(|(number, _)| *number == asn) {
        return Some((
            NetworkType::Hosting,
            format!("AS{asn} {name} in Sky Trace's hosting list"),
        ));
    }
    let lower = organisation?.to_ascii_lowercase();
    HOSTING_WORDS
        .iter()
        .find(|word| lower.contains(*word))
        .map(|word| {
            (
                NetworkType::Hosting,
                format!("AS{asn} organisation name contains \"{word}\""),
            )
        })
}

/// The network type of a source and why: user lists first (they know best), then the curated
/// ASN lists and organisation words, then residential for any other announced network.
pub fn classify_network(
    ip: IpAddr,
    asn: Option<u32>,
    organisation: Option<&str>,
    lists: &[IpList],
) -> NetworkClass {
    let mut class = NetworkClass {
        network: NetworkType::Unknown,
        source: None,
        lists: Vec::new(),
        trusted: false,
    };
    if let Some(range) = reserved_range(ip) {
        class.network = NetworkType::Private;
        class.source = Some(format!("{range} address"));
        return class;
    }
    for list in lists.iter().filter(|list| list.contains(ip, asn)) {
        class.lists.push(list.name.clone());
        let listed = match list.kind {
            ListKind::Tor => Some(NetworkType::Tor),
            ListKind::Vpn => Some(NetworkType::Vpn),
            ListKind::Hosting => Some(NetworkType::Hosting),
            ListKind::Trusted => {
                class.trusted = true;
                None
            }
            ListKind::Watch => None,
        };
        if let (Some(network), None) = (listed, &class.source) {
            class.network = network;
            class.source = Some(format!("in the list \"{}\"", list.name));
        }
    }
    if class.source.is_none()
        && let Some(asn) = asn
    {
        match classify_asn(asn, organisation) {
            Some((network, source)) => {
                class.network = network;
                class.source = Some(source);
            }
            None => {
                class.network = NetworkType::Residential;
                class.source = Some(format!(
                    "AS{asn} {} is not a hosting or VPN network",
                    organisation.unwrap_or("(no name)")
                ));
            }
        }
    }
    class
}

/// A source's classification, with its evidence.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkClass {
    pub network: NetworkType,
    pub source: Option<String>,
    /// Names of the user lists the address is on.
    pub lists: Vec<String>,
    /// On an office, corporate or allow list.
    pub trusted: bool,
}

/// What a user-supplied list says about the addresses on it, from the list's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListKind {
    /// Names starting with `tor`: Tor exit relays.
    Tor,
    /// `vpn…`: commercial VPN endpoints.
    Vpn,
    /// `hosting…`, `cloud…`: data centres.
    Hosting,
    /// `office…`, `corporate…`, `allow…`, `trusted…`: the organisation's own egress.
    Trusted,
    /// Anything else (threat intelligence, block lists): quoted in reasons.
    Watch,
}

impl ListKind {
    pub fn from_name(name: &str) -> Self {
        let lower = name.to_ascii_lowercase();
        let starts = |prefixes: &[&str]| prefixes.iter().any(|prefix| lower.starts_with(prefix));
        if starts(&["tor"]) {
            Self::Tor
        } else if starts(&["vpn"]) {
            Self::Vpn
        } else if starts(&["hosting", "cloud"]) {
            Self::Hosting
        } else if starts(&["office", "corporate", "allow", "trusted"]) {
            Self::Trusted
        } else {
            Self::Watch
        }
    }
}

/// One entry of a user list: a CIDR block (a bare address is a /32 or /128) or an AS number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ListEntry {
    V4 { network: u32, mask: u32 },
    V6 { network: u128, mask: u128 },
    Asn(u32),
}

#[derive(Debug, Error, PartialEq)]
#[error("{list}, line {line}: {reason}")]
pub struct ListError {
    pub list: String,
    pub line: usize,
    pub reason: String,
}

/// A named list of networks, read from text: one CIDR, address or `AS123` per line; `#`
/// starts a comment.
#[derive(Clone, Debug)]
pub struct IpList {
    pub name: String,
    pub kind: ListKind,
    entries: Vec<ListEntry>,
}

impl IpList {
    pub fn parse(name: &str, text: &str) -> Result<Self, ListError> {
        let mut entries = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let item = raw.split('#').next().unwrap_or_default().trim();
            if item.is_empty() {
                continue;
            }
            let error = |reason: String| ListError {
                list: name.to_owned(),
                line: index + 1,
                reason,
            };
            entries.push(parse_entry(item).map_err(error)?);
        }
        Ok(Self {
            name: name.to_owned(),
            kind: ListKind::from_name(name),
            entries,
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains(&self, ip: IpAddr, asn: Option<u32>) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        self.entries.iter().any(|entry| match (entry, ip) {
            (ListEntry::V4 { network, mask }, IpAddr::V4(v4)) => u32::from(v4) & mask == *network,
            (ListEntry::V6 { network, mask }, IpAddr::V6(v6)) => u128::from(v6) & mask == *network,
            (ListEntry::Asn(number), _) => asn == Some(*number),
            _ => false,
        })
    }
}

fn parse_entry(item: &str) -> Result<ListEntry, String> {
    if let Some(number) = item.strip_prefix("AS").or_else(|| item.strip_prefix("as")) {
        return number
            .parse()
            .map(ListEntry::Asn)
            .map_err(|_| format!("{item:?} is not an AS number"));
    }
    let (address, length) = match item.split_once('/') {
        Some((address, length)) => (address, Some(length)),
        None => (item, None),
    };
    let address: IpAddr = address
        .parse()
        .map_err(|_| format!("{item:?} is not an IP address, CIDR block or AS number"))?;
    let bits = if address.is_ipv4() { 32 } else { 128 };
    let length: u32 = match length {
        Some(length) => length
            .parse()
            .ok()
            .filter(|length| *length <= bits)
            .ok_or_else(|| format!("{item:?}: prefix length must be 0–{bits}"))?,
        None => bits,
    };
    Ok(match address {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - length).unwrap_or(0);
            ListEntry::V4 {
                network: u32::from(v4) & mask,
                mask,
            }
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(128 - length).unwrap_or(0);
            ListEntry::V6 {
                network: u128::from(v6) & mask,
                mask,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn reserved_ranges_are_named() {
        assert_eq!(reserved_range(ip("10.1.2.3")), Some("private (RFC 1918)"));
        assert_eq!(reserved_range(ip("172.31.0.1")), Some("private (RFC 1918)"));
        assert_eq!(reserved_range(ip("172.32.0.1")), None);
        assert_eq!(
            reserved_range(ip("100.100.1.1")),
            Some("carrier-grade NAT (RFC 6598)")
        );
        assert_eq!(
            reserved_range(ip("203.0.113.9")),
            Some("documentation (RFC 5737)")
        );
        assert_eq!(reserved_range(ip("::1")), Some("loopback (RFC 4291)"));
        assert_eq!(
            reserved_range(ip("fd12::1")),
            Some("unique local (RFC 4193)")
        );
        assert_eq!(reserved_range(ip("fe80::1")), Some("link-local (RFC 4291)"));
        assert_eq!(
            reserved_range(ip("2001:db8::1")),
            Some("documentation (RFC 3849)")
        );
        assert_eq!(
            reserved_range(ip("::ffff:192.168.1.1")),
            Some("private (RFC 1918)")
        );
        assert_eq!(reserved_range(ip("8.8.8.8")), None);
        assert_eq!(reserved_range(ip("2a02:2121::1")), None);
    }

    #[test]
    fn curated_and_worded_asns() {
        assert_eq!(classify_asn(14061, None).unwrap().0, NetworkType::Hosting);
        assert_eq!(classify_asn(39351, None).unwrap().0, NetworkType::Vpn);
        let (kind, source) =
            classify_asn(4_200_000_001, Some("Example Cloud Servers Ltd")).unwrap();
        assert_eq!(kind, NetworkType::Hosting);
        assert!(source.contains("\"cloud\""));
        assert_eq!(classify_asn(2119, Some("Telenor Norge AS")), None);
    }

    #[test]
    fn user_lists_match_cidrs_addresses_and_asns() {
        let list = IpList::parse(
            "office-vpn",
            "# corporate egress\n198.51.100.0/24\n2001:db8:42::/48 # v6 office\n192.0.2.7\nAS64500\n",
        )
        .unwrap();
        assert_eq!(list.kind, ListKind::Trusted);
        assert_eq!(list.len(), 4);
        assert!(list.contains(ip("198.51.100.200"), None));
        assert!(list.contains(ip("::ffff:198.51.100.1"), None));
        assert!(!list.contains(ip("198.51.101.1"), None));
        assert!(list.contains(ip("2001:db8:42:ffff::1"), None));
        assert!(list.contains(ip("192.0.2.7"), None));
        assert!(!list.contains(ip("192.0.2.8"), None));
        assert!(list.contains(ip("8.8.8.8"), Some(64500)));
    }

    #[test]
    fn lists_take_precedence_and_trust_is_kept() {
        let tor = IpList::parse("tor-exits", "185.220.101.0/24\n").unwrap();
        let office = IpList::parse("office", "84.208.20.0/24\n").unwrap();
        let watch = IpList::parse("threat-intel", "185.220.101.5\n").unwrap();
        let lists = [tor, office, watch];
        let class = classify_network(ip("185.220.101.5"), Some(208294), None, &lists);
        assert_eq!(class.network, NetworkType::Tor);
        assert_eq!(class.lists, ["tor-exits", "threat-intel"]);
        let home = classify_network(
            ip("84.208.20.17"),
            Some(2119),
            Some("Telenor Norge AS"),
            &lists,
        );
        assert_eq!(home.network, NetworkType::Residential);
        assert!(home.trusted);
        let private = classify_network(ip("10.0.0.1"), None, None, &lists);
        assert_eq!(private.network, NetworkType::Private);
        assert_eq!(
            classify_network(ip("8.8.8.8"), None, None, &[]).network,
            NetworkType::Unknown
        );
    }

    #[test]
    fn bad_list_lines_are_reported_with_line_numbers() {
        let error = IpList::parse("tor-exits", "1.2.3.4\n\n1.2.3.0/33\n").unwrap_err();
        assert_eq!(error.line, 3);
        assert!(error.reason.contains("prefix length"));
        assert_eq!(IpList::parse("tor-exits", "").unwrap().kind, ListKind::Tor);
        assert_eq!(ListKind::from_name("threat-intel"), ListKind::Watch);
    }
}
