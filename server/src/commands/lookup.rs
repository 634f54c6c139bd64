//! `skytrace lookup`, and the geolocation every command opens.

use std::net::IpAddr;

use anyhow::Context;
use engine::enrich::{GeoInfo, GeoLookup};
use geolocation::GeoDatabase;

use crate::cli::{GeoArgs, LookupArgs};

/// The lookup for a command: the databases with the user's lists, or none (with a warning).
pub fn open_for(args: &GeoArgs) -> anyhow::Result<Box<dyn GeoLookup + Send>> {
    let lists = geolocation::read_lists(&args.ip_lists)?;
    Ok(geolocation::open_or_none(args.geo_dir.as_deref(), lists)?)
}

/// `skytrace lookup IP…`.
pub fn run(args: &LookupArgs) -> anyhow::Result<std::process::ExitCode> {
    let lists = geolocation::read_lists(&args.geo.ip_lists)?;
    let dir = geolocation::locate(args.geo.geo_dir.as_deref())
        .context("no geolocation data: run ./dev setup, or pass --geo-dir")?;
    let database = GeoDatabase::open(&dir, lists)?;
    let answers: Vec<(IpAddr, Option<GeoInfo>)> = args
        .ips
        .iter()
        .map(|ip| (*ip, database.lookup(*ip)))
        .collect();
    if args.json {
        let rows: Vec<serde_json::Value> = answers
            .iter()
            .map(|(ip, info)| serde_json::json!({ "ip": ip, "geo": info }))
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(std::process::ExitCode::SUCCESS);
    }
    for (ip, info) in answers {
        let Some(info) = info else {
            println!("{ip}\tnot found");
            continue;
        };
        let text = |value: Option<&str>| value.unwrap_or("-").to_owned();
        let number =
            |value: Option<f64>| value.map_or_else(|| "-".to_owned(), |v| format!("{v:.4}"));
        println!(
            "{ip}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t({})",
            text(info.country_code.as_deref()),
            text(info.region.as_deref()),
            text(info.city.as_deref()),
            number(info.latitude),
            number(info.longitude),
            info.asn
                .map_or_else(|| "-".to_owned(), |asn| format!("AS{asn}")),
            text(info.as_org.as_deref()),
            info.network.as_str(),
            info.network_source
                .as_deref()
                .unwrap_or("no classification data"),
        );
    }
    Ok(std::process::ExitCode::SUCCESS)
}
