//! Second stage: a validated [`LoginEvent`] gains what the detectors compare — the parsed user
//! agent, the network prefix, and (through the [`GeoLookup`] trait) place, ASN and network type.
//!
//! The engine does no lookups of its own: the server plugs in the offline databases, tests plug
//! in fixtures, and without a lookup the geo features are absent rather than guessed.

pub mod networks;
mod user_agent;

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::event::ReportedLocation;

pub use user_agent::{DeviceType, UserAgentInfo, described_parts, parse_user_agent};

/// The attribution the geolocation data's CC BY 4.0 licences require; shown in the app's footer,
/// the README, reports and every analysis result that used the data.
pub const GEO_ATTRIBUTION: &str = "IP geolocation by DB-IP (db-ip.com, CC BY 4.0); ASN data from RouteViews and DB-IP via ip-location-db (CC BY 4.0)";

/// What kind of network a source address belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkType {
    /// Consumer or business access networks (ISPs, mobile carriers).
    Residential,
    /// Data centres and cloud providers.
    Hosting,
    /// Commercial VPN endpoints.
    Vpn,
    /// Tor exit relays.
    Tor,
    /// Private, loopback, link-local, CGNAT and other non-routable ranges.
    Private,
    Unknown,
}

impl NetworkType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Residential => "residential",
            Self::Hosting => "hosting",
            Self::Vpn => "vpn",
            Self::Tor => "tor",
            Self::Private => "private",
            Self::Unknown => "unknown",
        }
    }

    /// Sources where the location says little about where the person is.
    pub fn hides_location(self) -> bool {
        matches!(self, Self::Hosting | Self::Vpn | Self::Tor)
    }
}

/// Where an address is, as far as the data knows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeoInfo {
    /// ISO 3166-1 alpha-2, upper case.
    pub country_code: Option<String>,
    pub region: Option<String>,
    pub city: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Radius within which the true location probably lies; large for country-only records.
    pub accuracy_km: f64,
    pub asn: Option<u32>,
    pub as_org: Option<String>,
    pub network: NetworkType,
    /// Why `network` has its value ("AS14061 DigitalOcean in Sky Trace's hosting list").
    pub network_source: Option<String>,
    /// User lists (`--ip-list NAME=FILE`) the address is on.
    pub lists: Vec<String>,
    /// On an office, corporate or allow list: its location and novelty are not evidence.
    pub trusted: bool,
    /// IANA time zone of the location (e.g. `Europe/Oslo`), when the data has one.
    pub timezone: Option<String>,
}

impl GeoInfo {
    /// An address with no known place or network owner (a private address, or one the data
    /// does not cover).
    pub fn placeless(network: NetworkType) -> Self {
        Self {
            country_code: None,
            region: None,
            city: None,
            latitude: None,
            longitude: None,
            accuracy_km: f64::INFINITY,
            asn: None,
            as_org: None,
            network,
            network_source: None,
            lists: Vec::new(),
            trusted: false,
            timezone: None,
        }
    }

    /// "Oslo, NO", "NO", or "unknown place".
    pub fn place(&self) -> String {
        match (&self.city, &self.country_code) {
            (Some(city), Some(country)) => format!("{city}, {country}"),
            (None, Some(country)) => country.clone(),
            (Some(city), None) => city.clone(),
            (None, None) => "unknown place".to_owned(),
        }
    }

    pub fn coordinates(&self) -> Option<(f64, f64)> {
        Some((self.latitude?, self.longitude?))
    }
}

/// Geolocation and network intelligence for source addresses.
/// How far from a country-level location (no city) the person may be: it stands for a whole
/// country, so travel between two such places says little.
pub const COUNTRY_ACCURACY_KM: f64 = 1000.0;

pub trait GeoLookup: Sync {
    fn lookup(&self, ip: IpAddr) -> Option<GeoInfo>;
    /// Names and versions of the data behind the answers, recorded in every analysis result.
    fn data_version(&self) -> Option<String> {
        None
    }
}

/// No geolocation: place, ASN and network features are absent.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoGeolocation;

impl GeoLookup for NoGeolocation {
    fn lookup(&self, _ip: IpAddr) -> Option<GeoInfo> {
        None
    }
}

/// Accuracy given to coordinates a log reports itself (city-level, like Entra's).
const REPORTED_ACCURACY_KM: f64 = 50.0;

/// The offline answer corrected by what the log itself reports: the identity provider saw the
/// address when it was used, so its country, place and ASN win. A reported country that differs
/// from the data's also discards the data's coordinates and zone, which belong to another place.
pub fn with_reported(geo: Option<GeoInfo>, reported: Option<&ReportedLocation>) -> Option<GeoInfo> {
    let Some(reported) = reported else {
        return geo;
    };
    let mut info = geo.unwrap_or_else(|| GeoInfo::placeless(NetworkType::Unknown));
    if let Some(country) = &reported.country_code
        && info.country_code.as_ref() != Some(country)
    {
        info.country_code = Some(country.clone());
        info.region = None;
        info.city = None;
        info.latitude = None;
        info.longitude = None;
        info.accuracy_km = f64::INFINITY;
        info.timezone = None;
    }
    if reported.region.is_some() {
        info.region.clone_from(&reported.region);
    }
    if reported.city.is_some() {
        info.city.clone_from(&reported.city);
    }
    if let (Some(latitude), Some(longitude)) = (reported.latitude, reported.longitude) {
        info.latitude = Some(latitude);
        info.longitude = Some(longitude);
        info.accuracy_km = REPORTED_ACCURACY_KM;
    }
    if let Some(asn) = reported.asn
        && info.asn != Some(asn)
    {
        info.asn = Some(asn);
        info.as_org = None;
        if info.lists.is_empty() && info.network != NetworkType::Private {
            let (network, source) = networks::classify_asn(asn, None).unwrap_or((
                NetworkType::Residential,
                format!("AS{asn} is not a hosting or VPN network"),
            ));
            info.network = network;
            info.network_source = Some(format!("{source} (ASN as the log reports it)"));
        }
    }
    Some(info)
}

/// The network a user's address most likely stays within: the /24 for IPv4, the /48 for IPv6
/// (the usual customer allocation), as a comparable key.
pub fn network_prefix(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4) & 0xFFFF_FF00),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return network_prefix(IpAddr::V4(v4));
            }
            (u128::from(v6) & !((1u128 << 80) - 1)) | (1 << 127)
        }
    }
}

/// Great-circle distance on the mean Earth sphere (IUGG mean radius 6371.0088 km).
pub fn haversine_km(from: (f64, f64), to: (f64, f64)) -> f64 {
    const EARTH_RADIUS_KM: f64 = 6371.0088;
    let (lat1, lon1) = (from.0.to_radians(), from.1.to_radians());
    let (lat2, lon2) = (to.0.to_radians(), to.1.to_radians());
    let half_chord = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * half_chord.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_group_neighbours() {
        let a: IpAddr = "84.208.20.17".parse().unwrap();
        let b: IpAddr = "84.208.20.200".parse().unwrap();
        let c: IpAddr = "84.208.21.1".parse().unwrap();
        assert_eq!(network_prefix(a), network_prefix(b));
        assert_ne!(network_prefix(a), network_prefix(c));
        let mapped: IpAddr = "::ffff:84.208.20.9".parse().unwrap();
        assert_eq!(network_prefix(mapped), network_prefix(a));
        let v6a: IpAddr = "2001:db8:1234:1::1".parse().unwrap();
        let v6b: IpAddr = "2001:db8:1234:ff::2".parse().unwrap();
        let v6c: IpAddr = "2001:db8:1235::1".parse().unwrap();
        assert_eq!(network_prefix(v6a), network_prefix(v6b));
        assert_ne!(network_prefix(v6a), network_prefix(v6c));
    }

    #[test]
    fn known_distances() {
        // London to New York is 5,570 km by great circle.
        let london = (51.5074, -0.1278);
        let new_york = (40.7128, -74.0060);
        let distance = haversine_km(london, new_york);
        assert!((distance - 5_570.0).abs() < 10.0, "{distance}");
        assert_eq!(haversine_km(london, london), 0.0);
        let antipode = haversine_km((0.0, 0.0), (0.0, 180.0));
        assert!((antipode - std::f64::consts::PI * 6371.0088).abs() < 1e-6);
    }

    proptest::proptest! {
        #[test]
        fn haversine_is_a_bounded_symmetric_distance(
            lat1 in -90.0f64..=90.0, lon1 in -180.0f64..=180.0,
            lat2 in -90.0f64..=90.0, lon2 in -180.0f64..=180.0,
            lat3 in -90.0f64..=90.0, lon3 in -180.0f64..=180.0,
        ) {
            let (a, b, c) = ((lat1, lon1), (lat2, lon2), (lat3, lon3));
            let ab = haversine_km(a, b);
            proptest::prop_assert!((0.0..=std::f64::consts::PI * 6371.0089).contains(&ab));
            proptest::prop_assert!((ab - haversine_km(b, a)).abs() < 1e-6);
            proptest::prop_assert!(ab <= haversine_km(a, c) + haversine_km(c, b) + 1e-6);
        }
    }
}
