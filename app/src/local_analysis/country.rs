//! Country-level geolocation for analyses in the browser: the geo-whois-asn-country database
//! (ip-location-db, from RIR whois and geofeeds; CC BY 4.0, NRO), 7.5 MB, read from bytes.
//! It has no cities, coordinates or networks, so "new country" findings work and travel-speed
//! ones do not.

use std::net::IpAddr;

use engine::enrich::networks::classify_network;
use engine::enrich::{COUNTRY_ACCURACY_KM, GeoInfo, GeoLookup, NetworkType};
use maxminddb::Reader;
use serde::Deserialize;

/// Named in every analysis that used it.
pub const COUNTRY_DATA_NAME: &str = "geo-whois-asn-country (ip-location-db, CC BY 4.0 NRO)";

#[derive(Deserialize)]
struct CountryRecord<'a> {
    country_code: Option<&'a str>,
}

pub struct CountryDatabase {
    reader: Reader<Vec<u8>>,
}

impl CountryDatabase {
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, String> {
        Reader::from_source(bytes)
            .map(|reader| Self { reader })
            .map_err(|error| format!("the country database cannot be read: {error}"))
    }

    fn country(&self, ip: IpAddr) -> Option<String> {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            IpAddr::V4(_) => ip,
        };
        let record = self
            .reader
            .lookup(ip)
            .ok()?
            .decode::<CountryRecord>()
            .ok()??;
        record.country_code.map(str::to_owned)
    }
}

impl GeoLookup for CountryDatabase {
    fn lookup(&self, ip: IpAddr) -> Option<GeoInfo> {
        let class = classify_network(ip, None, None, &[]);
        if class.network == NetworkType::Private {
            return Some(GeoInfo {
                network_source: class.source,
                ..GeoInfo::placeless(class.network)
            });
        }
        let country_code = self.country(ip)?;
        Some(GeoInfo {
            country_code: Some(country_code),
            accuracy_km: COUNTRY_ACCURACY_KM,
            ..GeoInfo::placeless(class.network)
        })
    }

    fn data_version(&self) -> Option<String> {
        Some(format!(
            "{COUNTRY_DATA_NAME}, built {}",
            engine::time::format_utc(self.reader.metadata().build_epoch as i64 * 1000)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Installed by `./dev setup` with the other geolocation data.
    const INSTALLED: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../geodata/node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb"
    );

    #[test]
    fn finds_countries_of_both_address_families() {
        let bytes = std::fs::read(INSTALLED).expect("run ./dev setup to install the geodata");
        let database = CountryDatabase::from_bytes(bytes).unwrap();
        let norway = database.lookup("84.208.20.17".parse().unwrap()).unwrap();
        assert_eq!(norway.country_code.as_deref(), Some("NO"));
        assert_eq!(norway.accuracy_km, COUNTRY_ACCURACY_KM);
        assert!(norway.latitude.is_none() && norway.city.is_none());
        // Google's public resolver over IPv6, and an IPv4 address written as IPv6.
        let v6 = database
            .lookup("2001:4860:4860::8888".parse().unwrap())
            .unwrap();
        assert_eq!(v6.country_code.as_deref(), Some("US"));
        let mapped = database
            .lookup("::ffff:84.208.20.17".parse().unwrap())
            .unwrap();
        assert_eq!(mapped.country_code.as_deref(), Some("NO"));
        let private = database.lookup("10.1.2.3".parse().unwrap()).unwrap();
        assert_eq!(private.network, NetworkType::Private);
        assert!(private.country_code.is_none());
        assert!(database.data_version().unwrap().contains("CC BY 4.0"));
    }

    #[test]
    fn refuses_what_is_not_a_database() {
        let error = CountryDatabase::from_bytes(b"<html>not found</html>".to_vec())
            .err()
            .unwrap();
        assert!(error.contains("cannot be read"), "{error}");
    }
}
