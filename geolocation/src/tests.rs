//! Lookups against the real DB-IP and ASN data that `./dev` installs (`geodata/`).

use std::sync::OnceLock;

use engine::enrich::NetworkType;
use scenario::catalog::{NetworkKind, all_blocks};

use super::*;

fn database() -> &'static GeoDatabase {
    static DATABASE: OnceLock<GeoDatabase> = OnceLock::new();
    DATABASE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(DEFAULT_GEO_DIR);
        GeoDatabase::open(&dir, Vec::new())
            .expect("geolocation data missing: run ./dev setup (npm ci in geodata/)")
    })
}

fn lookup(ip: &str) -> GeoInfo {
    database().lookup(ip.parse().unwrap()).unwrap()
}

#[test]
fn google_dns_is_a_hosting_network_in_the_us() {
    let google = lookup("8.8.8.8");
    assert_eq!(google.country_code.as_deref(), Some("US"));
    assert_eq!(google.asn, Some(15169));
    assert_eq!(google.as_org.as_deref(), Some("Google LLC"));
    assert_eq!(google.network, NetworkType::Hosting);
    assert!(google.coordinates().is_some());
    let v6 = lookup("2001:4860:4860::8888");
    assert_eq!(v6.asn, Some(15169));
    assert!(v6.country_code.is_some() && v6.city.is_some());
}

#[test]
fn reserved_addresses_are_classified_not_looked_up() {
    for ip in [
        "10.1.2.3",
        "192.168.0.1",
        "127.0.0.1",
        "::1",
        "fd00::1",
        "100.64.0.1",
    ] {
        let info = lookup(ip);
        assert_eq!(info.network, NetworkType::Private, "{ip}");
        assert!(info.country_code.is_none() && info.asn.is_none(), "{ip}");
    }
}

#[test]
fn mapped_ipv4_in_ipv6_is_looked_up_as_ipv4() {
    assert_eq!(lookup("::ffff:8.8.8.8").asn, Some(15169));
}

#[test]
fn every_scenario_network_geolocates_as_its_story_says() {
    for block in all_blocks() {
        let ip = block.prefix.network();
        let info = lookup(&ip.to_string());
        assert_eq!(
            info.country_code.as_deref(),
            Some(block.site.country),
            "{ip} {}",
            block.organisation
        );
        assert_eq!(info.asn, Some(block.asn), "{ip} {}", block.organisation);
        let context = format!("{ip} {} {:?}", block.organisation, info.network_source);
        match block.kind {
            NetworkKind::Residential | NetworkKind::Mobile | NetworkKind::Business => {
                assert_eq!(info.network, NetworkType::Residential, "{context}")
            }
            NetworkKind::Hosting => assert_eq!(info.network, NetworkType::Hosting, "{context}"),
            NetworkKind::Vpn => assert_eq!(info.network, NetworkType::Vpn, "{context}"),
            // Some exits run at ordinary hosting companies; either way the location is hidden.
            NetworkKind::TorExit => assert!(info.network.hides_location(), "{context}"),
        }
    }
}

#[test]
fn every_independent_family_network_geolocates_as_its_story_says() {
    for block in scenario::markov::all_blocks() {
        let ip = block.prefix.network();
        let info = lookup(&ip.to_string());
        let context = format!("{ip} {} {:?}", block.organisation, info.network_source);
        assert_eq!(
            info.country_code.as_deref(),
            Some(block.site.country),
            "{context}"
        );
        assert_eq!(info.asn, Some(block.asn), "{context}");
        match block.kind {
            NetworkKind::Hosting => assert_eq!(info.network, NetworkType::Hosting, "{context}"),
            NetworkKind::Vpn => assert!(info.network.hides_location(), "{context}"),
            _ => assert_eq!(info.network, NetworkType::Residential, "{context}"),
        }
    }
}

#[test]
fn the_version_names_both_datasets() {
    let version = database().data_version().unwrap();
    assert!(version.contains("DB-IP Lite city 2.3."), "{version}");
    assert!(version.contains("ASN 2.3."), "{version}");
    assert!(version.contains("IP geolocation by DB-IP"), "{version}");
}

#[test]
fn user_lists_classify_and_trust() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(DEFAULT_GEO_DIR);
    let lists = vec![
        IpList::parse("tor-exits", "185.220.101.0/24").unwrap(),
        IpList::parse("office", "8.8.4.0/24").unwrap(),
    ];
    let database = GeoDatabase::open(&dir, lists).unwrap();
    let tor = database.lookup("185.220.101.7".parse().unwrap()).unwrap();
    assert_eq!(tor.network, NetworkType::Tor);
    assert_eq!(
        tor.network_source.as_deref(),
        Some("in the list \"tor-exits\"")
    );
    let office = database.lookup("8.8.4.4".parse().unwrap()).unwrap();
    assert!(office.trusted);
    assert_eq!(office.lists, ["office"]);
}

#[test]
fn quoted_organisation_names_keep_their_commas_and_quotes() {
    let cloudflare = lookup("1.1.1.1");
    assert_eq!(cloudflare.asn, Some(13335));
    assert_eq!(cloudflare.as_org.as_deref(), Some("Cloudflare, Inc."));

    let path = std::env::temp_dir().join(format!("skytrace-asn-{}.csv", std::process::id()));
    std::fs::write(
        &path,
        "10,19,64500,\"Example \"\"Net\"\", Ltd\"\r\n1,5,64501,Plain Org\n20,29,64500,\"Example \"\"Net\"\", Ltd\"\n",
    )
    .unwrap();
    let (table, organisations) = read_asn_table::<u32>(&path).unwrap();
    assert_eq!(organisations, ["Example \"Net\", Ltd", "Plain Org"]);
    let starts: Vec<(u32, u32, u32)> = table
        .ranges
        .iter()
        .map(|range| (range.start, range.asn, range.organisation))
        .collect();
    assert_eq!(starts, [(1, 64501, 1), (10, 64500, 0), (20, 64500, 0)]);

    std::fs::write(&path, "1,5,64501,Plain Org\n6,x,64502,Other\n").unwrap();
    let error = read_asn_table::<u32>(&path).unwrap_err();
    assert!(error.to_string().ends_with("malformed line 2"), "{error}");
    std::fs::remove_file(&path).unwrap();
}
