//! Finds address blocks of an autonomous system that DB-IP places in one city: how the
//! scenario catalogues' secondary cities and the independent family's networks were picked.
//!
//! `cargo run --release -p geolocation --example find_blocks -- ASN CC [CITY] [PREFIX_LEN]`
//! lists up to ten blocks of ASN (from the RouteViews/DB-IP ASN table) whose sampled /24s all
//! geolocate to country CC (and CITY, when given); without CITY it tallies the cities found.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::Path;

use engine::enrich::GeoLookup;
use geolocation::GeoDatabase;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [asn, country, rest @ ..] = args.as_slice() else {
        return Err("usage: find_blocks ASN CC [CITY] [PREFIX_LEN]".into());
    };
    let asn: u32 = asn.parse()?;
    let city = rest.first().filter(|city| !city.is_empty()).cloned();
    let length: u32 = rest.get(1).map_or(Ok(20), |value| value.parse())?;
    let dir = geolocation::locate(None).ok_or("no geolocation data")?;
    let database = GeoDatabase::open(&dir, Vec::new())?;
    let table = std::fs::read_to_string(Path::new(&dir).join("asn/asn-ipv4-num.csv"))?;
    let block = 1u64 << (32 - length);
    let mut tally: BTreeMap<String, u32> = BTreeMap::new();
    let mut found = 0;
    for line in table.lines() {
        let fields: Vec<&str> = line.splitn(4, ',').collect();
        if fields.len() < 3 || fields[2].parse::<u32>().ok() != Some(asn) {
            continue;
        }
        let (start, end): (u64, u64) = (fields[0].parse()?, fields[1].parse()?);
        let mut base = start.div_ceil(block) * block;
        while base + block - 1 <= end {
            let probes: Vec<u64> = (0..4).map(|k| base + k * block / 4 + 1).collect();
            let places: Vec<(Option<String>, Option<String>)> = probes
                .iter()
                .map(|&probe| {
                    let info = database.lookup(Ipv4Addr::from(probe as u32).into());
                    info.map_or((None, None), |info| (info.country_code, info.city))
                })
                .collect();
            let first = &places[0];
            let uniform = places.iter().all(|place| place == first);
            if uniform && first.0.as_deref() == Some(country.as_str()) {
                let place = first.1.clone().unwrap_or_default();
                match &city {
                    Some(wanted) if *wanted == place => {
                        println!(
                            "{}/{length} {place} {}",
                            Ipv4Addr::from(base as u32),
                            fields[3]
                        );
                        found += 1;
                        if found == 10 {
                            return Ok(());
                        }
                    }
                    Some(_) => {}
                    None => *tally.entry(place).or_default() += 1,
                }
            }
            base += block;
        }
    }
    let mut ranked: Vec<(String, u32)> = tally.into_iter().collect();
    ranked.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    for (place, count) in ranked.into_iter().take(25) {
        println!("{count:5} {place}");
    }
    Ok(())
}
