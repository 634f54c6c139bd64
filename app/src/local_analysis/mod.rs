//! Analysis in this browser, off the page's thread.
//!
//! A dedicated web worker runs the same engine, compiled to WebAssembly, on a file the person
//! chose: nothing is sent anywhere. The page and the worker exchange [`Request`]s and [`Reply`]s
//! as JSON; the scored logins stay in the worker and the page asks for them a page at a time, as
//! it does the server, so a large file never floods the page. Country-level geolocation comes from
//! a static asset ([`COUNTRY_DATA_PATH`]), fetched once per worker.

pub mod client;
pub mod country;
pub mod worker;

use serde::{Deserialize, Serialize};

use service::detection::{DetectionChoices, DetectionSummary, EventPage, EventQuery};
use service::review::LoginDetails;

/// Where the country database is served, by the server and in the offline build alike.
pub const COUNTRY_DATA_PATH: &str = "/geo/geo-whois-asn-country.mmdb";

/// Largest file analysed in the browser unless the server says otherwise: 20 MB.
pub const DEFAULT_BROWSER_LIMIT_BYTES: u64 = 20 * 1024 * 1024;

/// What the page asks of the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Read and score the file sent with the message; it replaces the worker's previous run.
    Analyse(AnalyseRequest),
    /// A page of the logins of run `run`.
    Page { run: String, query: EventQuery },
    /// One login of run `run`, as the triage panel shows it.
    Login { run: String, login_id: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalyseRequest {
    pub file_name: String,
    /// Dates year-less auth.log lines.
    pub last_modified_ms: i64,
    pub format: String,
    pub mapping: String,
    pub choices: DetectionChoices,
    /// The absolute address of [`COUNTRY_DATA_PATH`]: a worker started from a `blob:` address
    /// cannot resolve a path by itself.
    pub country_data_url: String,
}

/// What the worker answers; `Progress` may come several times before the answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    Progress {
        done: u64,
        total: u64,
    },
    Analysed(Box<DetectionSummary>),
    Page(EventPage),
    Login(Box<LoginDetails>),
    Failed(String),
    /// The worker itself broke (a trap in the WebAssembly); it must not be used again.
    Crashed(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_survive_the_trip_as_json() {
        let request = Request::Page {
            run: "local-3".to_owned(),
            query: EventQuery {
                user: "alice".to_owned(),
                page: 2,
                ..EventQuery::default()
            },
        };
        let text = serde_json::to_string(&request).unwrap();
        assert_eq!(serde_json::from_str::<Request>(&text).unwrap(), request);
        // The worker's script writes this one by hand when the WebAssembly traps.
        let crashed: Reply = serde_json::from_str(r#"{"Crashed":"unreachable"}"#).unwrap();
        assert_eq!(crashed, Reply::Crashed("unreachable".to_owned()));
    }
}
