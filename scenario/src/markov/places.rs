//! Where the independent family's organisation works: its own countries, cities and networks,
//! none shared with the main catalogue's home cities. Every block was picked from the
//! RouteViews/DB-IP ASN table with `cargo run -p geolocation --example find_blocks -- ASN CC
//! CITY 22`, so each /24 in it geolocates (DB-IP Lite, June 2026) to the city named. Mobile
//! pools geolocate to the carrier's head office, wherever the subscriber is: a realistic source
//! of "new city" noise.

use crate::catalog::NetworkKind::{Business, Hosting, Mobile, Residential, Vpn};
use crate::catalog::{IpPrefix, NetworkBlock, NetworkKind, Site};

const fn site(name: &'static str, country: &'static str, latitude: f64, longitude: f64) -> Site {
    Site {
        name,
        country,
        latitude,
        longitude,
    }
}

const fn v4(a: u8, b: u8, c: u8, d: u8, length: u8) -> IpPrefix {
    IpPrefix::v4(a, b, c, d, length)
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

pub(super) static MILAN: Site = site("Milan", "IT", 45.4642, 9.1900);
pub(super) static ROME: Site = site("Rome", "IT", 41.9028, 12.4964);
static TURIN: Site = site("Turin", "IT", 45.0703, 7.6869);
static TRIESTE: Site = site("Trieste", "IT", 45.6495, 13.7768);
static RHO: Site = site("Rho", "IT", 45.5311, 9.0402);
pub(super) static WARSAW: Site = site("Warsaw", "PL", 52.2297, 21.0122);
pub(super) static KATOWICE: Site = site("Katowice", "PL", 50.2649, 19.0238);
static LODZ: Site = site("Lodz", "PL", 51.7592, 19.4560);
static POZNAN: Site = site("Poznan", "PL", 52.4064, 16.9252);
pub(super) static AMSTERDAM: Site = site("Amsterdam", "NL", 52.3676, 4.9041);
pub(super) static THE_HAGUE: Site = site("The Hague", "NL", 52.0705, 4.3007);
static UTRECHT: Site = site("Utrecht", "NL", 52.0907, 5.1214);
static ZOETERMEER: Site = site("Zoetermeer", "NL", 52.0575, 4.4931);
pub(super) static STOCKHOLM: Site = site("Stockholm", "SE", 59.3293, 18.0686);
pub(super) static GOTHENBURG: Site = site("Gothenburg", "SE", 57.7089, 11.9746);
static KISTA: Site = site("Kista", "SE", 59.4032, 17.9442);
pub(super) static MEXICO_CITY: Site = site("Mexico City", "MX", 19.4326, -99.1332);
pub(super) static GUADALAJARA: Site = site("Guadalajara", "MX", 20.6597, -103.3496);
pub(super) static DALLAS: Site = site("Dallas", "US", 32.7767, -96.7970);
pub(super) static ATLANTA: Site = site("Atlanta", "US", 33.7490, -84.3880);
static PHILADELPHIA: Site = site("Philadelphia", "US", 39.9526, -75.1652);
static CHICAGO: Site = site("Chicago", "US", 41.8781, -87.6298);
static NEWARK: Site = site("Newark", "US", 40.7357, -74.1724);
static ASHBURN: Site = site("Ashburn", "US", 39.0438, -77.4874);
static HANOI: Site = site("Hanoi", "VN", 21.0278, 105.8342);
static GIZA: Site = site("Giza", "EG", 30.0131, 31.2089);
static KARACHI: Site = site("Karachi", "PK", 24.8607, 67.0011);
static BUENOS_AIRES: Site = site("Buenos Aires", "AR", -34.6037, -58.3816);
static RABAT: Site = site("Rabat", "MA", 34.0209, -6.8416);
static PARIS: Site = site("Paris", "FR", 48.8566, 2.3522);
static PHOENIX: Site = site("Phoenix", "US", 33.4484, -112.0740);
static KARLSRUHE: Site = site("Karlsruhe", "DE", 49.0069, 8.4037);
static NEW_YORK: Site = site("New York", "US", 40.7128, -74.0060);

/// A city with staff: its consumer ISPs and its office uplink.
pub(super) struct Office {
    pub site: &'static Site,
    pub time_zone: &'static str,
    pub staff_weight: f64,
    pub residential: &'static [NetworkBlock],
    pub office: NetworkBlock,
}

/// A country's mobile carriers and the cities (with staff or not) whose consumer networks
/// its residents may appear on.
pub(super) struct Country {
    pub code: &'static str,
    pub mobile: &'static [NetworkBlock],
    /// Consumer networks of other cities (no staff there).
    pub elsewhere: &'static [NetworkBlock],
    /// The company VPN's egress for staff in this country (a cloud region).
    pub vpn_egress: NetworkBlock,
}

#[rustfmt::skip]
pub(super) static OFFICES: &[Office] = &[
    Office { site: &MILAN, time_zone: "Europe/Rome", staff_weight: 20.0,
        residential: &[
            block(v4(2, 112, 24, 0, 22), Residential, 3269, "Telecom Italia S.p.A.", &MILAN),
            block(v4(2, 224, 120, 0, 22), Residential, 12874, "Fastweb SpA", &MILAN),
        ],
        office: block(v4(2, 224, 128, 0, 22), Business, 12874, "Fastweb SpA", &MILAN) },
    Office { site: &ROME, time_zone: "Europe/Rome", staff_weight: 12.0,
        residential: &[
            block(v4(2, 114, 32, 0, 22), Residential, 3269, "Telecom Italia S.p.A.", &ROME),
            block(v4(2, 227, 248, 0, 22), Residential, 12874, "Fastweb SpA", &ROME),
        ],
        office: block(v4(2, 114, 44, 0, 22), Business, 3269, "Telecom Italia S.p.A.", &ROME) },
    Office { site: &WARSAW, time_zone: "Europe/Warsaw", staff_weight: 15.0,
        residential: &[
            block(v4(5, 184, 0, 0, 22), Residential, 5617, "Orange Polska Spolka Akcyjna", &WARSAW),
            block(v4(37, 128, 0, 0, 22), Residential, 12741, "Netia SA", &WARSAW),
        ],
        office: block(v4(37, 128, 4, 0, 22), Business, 12741, "Netia SA", &WARSAW) },
    Office { site: &KATOWICE, time_zone: "Europe/Warsaw", staff_weight: 5.0,
        residential: &[
            block(v4(37, 108, 128, 0, 22), Residential, 5617, "Orange Polska Spolka Akcyjna", &KATOWICE),
        ],
        office: block(v4(37, 108, 132, 0, 22), Business, 5617, "Orange Polska Spolka Akcyjna", &KATOWICE) },
    Office { site: &AMSTERDAM, time_zone: "Europe/Amsterdam", staff_weight: 12.0,
        residential: &[
            block(v4(31, 161, 128, 0, 22), Residential, 1136, "KPN B.V.", &AMSTERDAM),
            block(v4(31, 136, 112, 0, 22), Residential, 33915, "Vodafone Libertel B.V.", &AMSTERDAM),
        ],
        office: block(v4(31, 161, 132, 0, 22), Business, 1136, "KPN B.V.", &AMSTERDAM) },
    Office { site: &THE_HAGUE, time_zone: "Europe/Amsterdam", staff_weight: 5.0,
        residential: &[
            block(v4(37, 74, 224, 0, 22), Residential, 1136, "KPN B.V.", &THE_HAGUE),
        ],
        office: block(v4(37, 74, 228, 0, 22), Business, 1136, "KPN B.V.", &THE_HAGUE) },
    Office { site: &STOCKHOLM, time_zone: "Europe/Stockholm", staff_weight: 10.0,
        residential: &[
            block(v4(2, 248, 240, 0, 22), Residential, 3301, "Telia Company AB", &STOCKHOLM),
            block(v4(5, 150, 196, 0, 22), Residential, 8473, "Bahnhof AB", &STOCKHOLM),
        ],
        office: block(v4(2, 252, 0, 0, 22), Business, 3301, "Telia Company AB", &STOCKHOLM) },
    Office { site: &GOTHENBURG, time_zone: "Europe/Stockholm", staff_weight: 5.0,
        residential: &[
            block(v4(37, 196, 0, 0, 22), Residential, 1257, "Tele2 Sverige AB", &GOTHENBURG),
        ],
        office: block(v4(37, 196, 4, 0, 22), Business, 1257, "Tele2 Sverige AB", &GOTHENBURG) },
    Office { site: &MEXICO_CITY, time_zone: "America/Mexico_City", staff_weight: 10.0,
        residential: &[
            block(v4(189, 131, 0, 0, 22), Residential, 8151, "Uninet S.A. de C.V.", &MEXICO_CITY),
        ],
        office: block(v4(189, 131, 4, 0, 22), Business, 8151, "Uninet S.A. de C.V.", &MEXICO_CITY) },
    Office { site: &GUADALAJARA, time_zone: "America/Mexico_City", staff_weight: 4.0,
        residential: &[
            block(v4(177, 224, 36, 0, 22), Residential, 13999, "Mega Cable, S.A. de C.V.", &GUADALAJARA),
        ],
        office: block(v4(177, 224, 40, 0, 22), Business, 13999, "Mega Cable, S.A. de C.V.", &GUADALAJARA) },
    Office { site: &DALLAS, time_zone: "America/Chicago", staff_weight: 6.0,
        residential: &[
            block(v4(12, 211, 184, 0, 22), Residential, 7018, "AT&T Enterprises, LLC", &DALLAS),
        ],
        office: block(v4(12, 211, 188, 0, 22), Business, 7018, "AT&T Enterprises, LLC", &DALLAS) },
    Office { site: &ATLANTA, time_zone: "America/New_York", staff_weight: 5.0,
        residential: &[
            block(v4(184, 128, 0, 0, 22), Residential, 7018, "AT&T Enterprises, LLC", &ATLANTA),
        ],
        office: block(v4(184, 128, 4, 0, 22), Business, 7018, "AT&T Enterprises, LLC", &ATLANTA) },
];

#[rustfmt::skip]
pub(super) static COUNTRIES: &[Country] = &[
    Country { code: "IT",
        mobile: &[
            block(v4(2, 32, 104, 0, 22), Mobile, 30722, "Vodafone Italia S.p.A.", &MILAN),
            block(v4(2, 156, 0, 0, 22), Mobile, 1267, "WIND TRE S.P.A.", &RHO),
        ],
        elsewhere: &[
            block(v4(2, 229, 192, 0, 22), Residential, 12874, "Fastweb SpA", &TURIN),
            block(v4(79, 12, 68, 0, 22), Residential, 3269, "Telecom Italia S.p.A.", &TRIESTE),
        ],
        vpn_egress: block(v4(3, 5, 248, 0, 22), Hosting, 16509, "Amazon.com, Inc.", &MILAN) },
    Country { code: "PL",
        mobile: &[
            block(v4(37, 30, 64, 0, 22), Mobile, 12912, "T-Mobile Polska S.A.", &WARSAW),
            block(v4(5, 173, 0, 0, 22), Mobile, 39603, "P4 Sp. z o.o.", &WARSAW),
        ],
        elsewhere: &[
            block(v4(83, 26, 132, 0, 22), Residential, 5617, "Orange Polska Spolka Akcyjna", &LODZ),
            block(v4(31, 0, 108, 0, 22), Residential, 8374, "Polkomtel Sp. z o.o.", &POZNAN),
        ],
        vpn_egress: block(v4(4, 175, 0, 0, 22), Hosting, 8075, "Microsoft Corporation", &AMSTERDAM) },
    Country { code: "NL",
        mobile: &[
            block(v4(31, 21, 8, 0, 22), Mobile, 50266, "Odido Netherlands B.V.", &AMSTERDAM),
        ],
        elsewhere: &[
            block(v4(62, 100, 24, 0, 22), Residential, 33915, "Vodafone Libertel B.V.", &UTRECHT),
            block(v4(46, 227, 232, 0, 22), Residential, 1136, "KPN B.V.", &ZOETERMEER),
        ],
        vpn_egress: block(v4(4, 175, 4, 0, 22), Hosting, 8075, "Microsoft Corporation", &AMSTERDAM) },
    Country { code: "SE",
        mobile: &[
            block(v4(31, 15, 32, 0, 22), Mobile, 1257, "Tele2 Sverige AB", &KISTA),
        ],
        elsewhere: &[
            block(v4(37, 196, 8, 0, 22), Residential, 1257, "Tele2 Sverige AB", &GOTHENBURG),
            block(v4(2, 249, 52, 0, 22), Residential, 3301, "Telia Company AB", &STOCKHOLM),
        ],
        vpn_egress: block(v4(3, 5, 216, 0, 22), Hosting, 16509, "Amazon.com, Inc.", &STOCKHOLM) },
    Country { code: "MX",
        mobile: &[
            block(v4(189, 131, 8, 0, 22), Mobile, 8151, "Uninet S.A. de C.V.", &MEXICO_CITY),
        ],
        elsewhere: &[
            block(v4(177, 224, 44, 0, 22), Residential, 13999, "Mega Cable, S.A. de C.V.", &GUADALAJARA),
        ],
        vpn_egress: block(v4(3, 5, 0, 0, 22), Hosting, 14618, "Amazon.com, Inc.", &ASHBURN) },
    Country { code: "US",
        mobile: &[
            block(v4(24, 221, 32, 0, 22), Mobile, 21928, "T-Mobile USA, Inc.", &CHICAGO),
            block(v4(66, 174, 0, 0, 22), Mobile, 22394, "Verizon Business", &NEWARK),
        ],
        elsewhere: &[
            block(v4(68, 162, 0, 0, 22), Residential, 701, "Verizon Business", &PHILADELPHIA),
            block(v4(23, 115, 104, 0, 22), Residential, 7018, "AT&T Enterprises, LLC", &DALLAS),
        ],
        vpn_egress: block(v4(3, 5, 4, 0, 22), Hosting, 14618, "Amazon.com, Inc.", &ASHBURN) },
];

/// Consumer networks abroad, rented out by residential proxy services.
#[rustfmt::skip]
pub(super) static PROXY_RESIDENTIAL: &[NetworkBlock] = &[
    block(v4(1, 52, 224, 0, 22), Residential, 18403, "FPT Telecom Company", &HANOI),
    block(v4(41, 34, 0, 0, 22), Residential, 8452, "TE-AS", &GIZA),
    block(v4(39, 34, 124, 0, 22), Residential, 17557, "Pakistan Telecommuication company limited", &KARACHI),
    block(v4(24, 232, 0, 0, 22), Residential, 7303, "Telecom Argentina S.A.", &BUENOS_AIRES),
    block(v4(41, 140, 36, 0, 22), Residential, 6713, "Itissalat Al-MAGHRIB", &RABAT),
];

/// Servers attackers rent.
#[rustfmt::skip]
pub(super) static ATTACK_SERVERS: &[NetworkBlock] = &[
    block(v4(51, 15, 128, 0, 22), Hosting, 12876, "Scaleway SAS", &PARIS),
    block(v4(50, 6, 16, 0, 22), Hosting, 31898, "Oracle Corporation", &PHOENIX),
    block(v4(5, 45, 96, 0, 22), Hosting, 197540, "netcup GmbH", &KARLSRUHE),
    block(v4(45, 66, 252, 0, 22), Vpn, 136787, "PacketHub S.A.", &NEW_YORK),
    block(v4(84, 37, 100, 0, 22), Vpn, 9009, "M247 Europe SRL", &AMSTERDAM),
];

impl Country {
    pub(super) fn of(code: &str) -> &'static Country {
        COUNTRIES
            .iter()
            .find(|country| country.code == code)
            .expect("every office's country is listed")
    }
}

/// Every block of the family (for the geolocation check).
pub fn all_blocks() -> impl Iterator<Item = &'static NetworkBlock> {
    OFFICES
        .iter()
        .flat_map(|office| {
            office
                .residential
                .iter()
                .chain(std::iter::once(&office.office))
        })
        .chain(COUNTRIES.iter().flat_map(|country| {
            country
                .mobile
                .iter()
                .chain(country.elsewhere)
                .chain(std::iter::once(&country.vpn_egress))
        }))
        .chain(PROXY_RESIDENTIAL)
        .chain(ATTACK_SERVERS)
}
