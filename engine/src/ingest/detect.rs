//! Which log format an input is, told from its first bytes.

use serde::{Deserialize, Serialize};

use super::IngestError;
use super::columns::normalise;

/// The log formats Sky Trace reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Sky Trace's `timestamp,user_id,ip_address,user_agent[,success]`, or any CSV/TSV whose
    /// columns are found by name, alias or an explicit mapping.
    Csv,
    /// Microsoft Entra ID sign-in logs as downloaded from the portal (CSV).
    EntraCsv,
    /// Microsoft Entra ID sign-ins from Microsoft Graph, Log Analytics or Azure Monitor
    /// diagnostic settings (JSON), users and workload identities.
    EntraJson,
    /// Okta System Log events (JSON array or one object per line).
    Okta,
    /// AWS CloudTrail records; `ConsoleLogin` events are sign-ins.
    #[serde(rename = "cloudtrail")]
    CloudTrail,
    /// sshd lines of a Linux `auth.log` or `secure` file.
    AuthLog,
    /// The public RBA login dataset (Wiefling et al.).
    Rba,
    /// Google Workspace login audit activities (Admin SDK Reports API).
    GoogleWorkspace,
    /// Auth0 tenant logs (Management API, log streams).
    #[serde(rename = "auth0")]
    Auth0,
    /// Microsoft 365 Management Activity API records of the Entra ID workload.
    #[serde(rename = "m365")]
    M365,
    /// Windows logon events (4624, 4625, 4771, 4776) as Winlogbeat ships them.
    Windows,
    /// Elastic Common Schema authentication events.
    Ecs,
    /// OCSF Authentication events (class 3002), as in Amazon Security Lake.
    Ocsf,
}

impl Format {
    pub const ALL: [Format; 13] = [
        Self::Csv,
        Self::EntraCsv,
        Self::EntraJson,
        Self::Okta,
        Self::CloudTrail,
        Self::AuthLog,
        Self::Rba,
        Self::GoogleWorkspace,
        Self::Auth0,
        Self::M365,
        Self::Windows,
        Self::Ecs,
        Self::Ocsf,
    ];

    /// The name used by `--format` and in summaries.
    pub fn name(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::EntraCsv => "entra-csv",
            Self::EntraJson => "entra-json",
            Self::Okta => "okta",
            Self::CloudTrail => "cloudtrail",
            Self::AuthLog => "auth-log",
            Self::Rba => "rba",
            Self::GoogleWorkspace => "google-workspace",
            Self::Auth0 => "auth0",
            Self::M365 => "m365",
            Self::Windows => "windows",
            Self::Ecs => "ecs",
            Self::Ocsf => "ocsf",
        }
    }

    /// A short name for people ("Okta System Log").
    pub fn label(self) -> &'static str {
        match self {
            Self::Csv => "CSV/TSV",
            Self::EntraCsv => "Entra ID CSV",
            Self::EntraJson => "Entra ID JSON",
            Self::Okta => "Okta System Log",
            Self::CloudTrail => "AWS CloudTrail",
            Self::AuthLog => "auth.log (sshd)",
            Self::Rba => "RBA dataset",
            Self::GoogleWorkspace => "Google Workspace login audit",
            Self::Auth0 => "Auth0 tenant logs",
            Self::M365 => "Microsoft 365 audit",
            Self::Windows => "Windows logon events",
            Self::Ecs => "Elastic Common Schema",
            Self::Ocsf => "OCSF Authentication",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::Csv => "CSV/TSV (Sky Trace columns or a column mapping)",
            Self::EntraCsv => "Microsoft Entra ID sign-in log, portal CSV download",
            Self::EntraJson => {
                "Microsoft Entra ID sign-ins, Graph / Log Analytics / diagnostic settings JSON"
            }
            Self::Okta => "Okta System Log JSON",
            Self::CloudTrail => "AWS CloudTrail JSON (ConsoleLogin events)",
            Self::AuthLog => "Linux auth.log / secure (sshd)",
            Self::Rba => "RBA login dataset CSV (Wiefling et al.)",
            Self::GoogleWorkspace => "Google Workspace login audit (Admin SDK Reports API JSON)",
            Self::Auth0 => "Auth0 tenant logs (Management API or log stream JSON)",
            Self::M365 => "Microsoft 365 Management Activity API, AzureActiveDirectory sign-ins",
            Self::Windows => "Windows logon events 4624/4625/4771/4776 (Winlogbeat JSON)",
            Self::Ecs => "Elastic Common Schema authentication events (JSON)",
            Self::Ocsf => "OCSF Authentication events, class 3002 (JSON)",
        }
    }

    /// Where people get such a file: the vendor's export, API or log path (the README's table
    /// says the same, and a test keeps the two equal).
    pub fn where_to_get(self) -> &'static str {
        match self {
            Self::Csv => {
                "any tool's CSV or TSV export (name unusual columns in the column mapping)"
            }
            Self::EntraCsv => "Entra admin center → Sign-in logs → Download",
            Self::EntraJson => {
                "GET /auditLogs/signIns; a Log Analytics query exported as JSON; Entra ID → \
                 Diagnostic settings → archive to a storage account \
                 (insights-logs-signinlogs/…/PT1H.json, one record per line) or stream to an \
                 Event Hub ({\"records\": […]})"
            }
            Self::Okta => "GET /api/v1/logs; an event hook endpoint (Workflow → Event Hooks)",
            Self::CloudTrail => "the trail's S3 bucket (.json.gz)",
            Self::AuthLog => "/var/log/auth.log, /var/log/secure",
            Self::Rba => "the dataset's published CSV",
            Self::GoogleWorkspace => {
                "Admin SDK Reports API activities.list with applicationName=login (Admin console \
                 → Reporting → Login log events)"
            }
            Self::Auth0 => {
                "Management API GET /api/v2/logs; log streams (Monitoring → Streams: custom \
                 webhook batches of {\"log_id\", \"data\"}, or one event per line)"
            }
            Self::M365 => {
                "Office 365 Management Activity API, content type Audit.AzureActiveDirectory; \
                 Purview audit search exports' AuditData"
            }
            Self::Windows => {
                "Winlogbeat's file output, or an Elasticsearch export of the documents"
            }
            Self::Ecs => "Filebeat / Elastic Agent output, Elasticsearch _source exports",
            Self::Ocsf => "Amazon Security Lake (query results as JSON), any OCSF producer",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|format| format.name() == name)
    }

    pub fn is_csv(self) -> bool {
        matches!(self, Self::Csv | Self::EntraCsv | Self::Rba)
    }

    pub fn is_json(self) -> bool {
        !self.is_csv() && self != Self::AuthLog
    }

    /// The JSON formats' labels, for messages that list what Sky Trace reads.
    pub fn json_labels() -> String {
        let labels: Vec<&str> = Self::ALL
            .into_iter()
            .filter(|format| format.is_json())
            .map(Self::label)
            .collect();
        labels.join(", ")
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Tells the format from the first bytes of the (decoded) text.
pub fn sniff(head: &[u8]) -> Result<Format, IngestError> {
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return sniff_json(trimmed);
    }
    let first_line = trimmed.lines().next().unwrap_or_default();
    if looks_like_syslog(first_line) {
        return Ok(Format::AuthLog);
    }
    let header: Vec<String> = split_header(first_line, delimiter(first_line))
        .iter()
        .map(|name| normalise(name))
        .collect();
    let has = |name: &str| header.iter().any(|column| column == name);
    if has("login_timestamp")
        && has("user_id")
        && (has("is_account_takeover") || has("round_trip_time_[ms]"))
    {
        return Ok(Format::Rba);
    }
    if has("date_(utc)")
        && has("ip_address")
        && (has("username") || has("user"))
        && (has("status") || has("sign_in_error_code"))
    {
        return Ok(Format::EntraCsv);
    }
    Ok(Format::Csv)
}

fn sniff_json(text: &str) -> Result<Format, IngestError> {
    match super::json::recognise(text.as_bytes()) {
        Some(Ok(format)) => return Ok(format),
        Some(Err(looks_like)) if !looks_like.is_empty() => {
            return Err(IngestError::NotSignIns { looks_like });
        }
        Some(Err(_)) => return Err(IngestError::UnknownJson),
        // The first record is longer than the bytes looked at: its keys decide.
        None => {}
    }
    let has = |key: &str| text.contains(&format!("\"{key}\""));
    if has("eventName") && has("eventTime") && (has("eventSource") || has("Records")) {
        return Ok(Format::CloudTrail);
    }
    if has("eventType") && has("published") && has("actor") {
        return Ok(Format::Okta);
    }
    let entra_time = has("createdDateTime") || has("TimeGenerated");
    let entra_user = has("userPrincipalName") || has("UserPrincipalName");
    if (entra_time && entra_user) || text.contains("SignInLogs\"") {
        return Ok(Format::EntraJson);
    }
    Err(IngestError::UnknownJson)
}

/// `Mar  3 14:02:11 host prog[pid]: …` or `2026-03-03T14:02:11.123+00:00 host prog[pid]: …`.
pub fn looks_like_syslog(line: &str) -> bool {
    super::syslog::split_prefix(line).is_some()
}

/// The most frequent of `,` `\t` `;` `|` outside quotes in the header line (`,` on a tie or when
/// none occurs).
pub fn delimiter(header_line: &str) -> u8 {
    let mut counts = [(b',', 0usize), (b'\t', 0), (b';', 0), (b'|', 0)];
    let mut quoted = false;
    for byte in header_line.bytes() {
        if byte == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for (candidate, count) in &mut counts {
                if byte == *candidate {
                    *count += 1;
                }
            }
        }
    }
    counts
        .iter()
        .fold((b',', 0), |best, &(candidate, count)| {
            if count > best.1 {
                (candidate, count)
            } else {
                best
            }
        })
        .0
}

/// Header names of one line, honouring simple quoting; good enough for sniffing.
pub fn split_header(line: &str, delimiter: u8) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(line.as_bytes());
    reader
        .records()
        .next()
        .and_then(Result::ok)
        .map(|record| record.iter().map(str::to_owned).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_delimiter_outside_quotes() {
        assert_eq!(delimiter("a,b,c"), b',');
        assert_eq!(delimiter("a;b;c"), b';');
        assert_eq!(delimiter("a\tb\tc"), b'\t');
        assert_eq!(delimiter("\"a;b\",c"), b',');
        assert_eq!(delimiter("\"a,b,c\";d;e"), b';');
        assert_eq!(delimiter("single"), b',');
    }

    #[test]
    fn names_and_parses_every_format() {
        for format in Format::ALL {
            assert_eq!(Format::from_name(format.name()), Some(format));
            let json = serde_json::to_string(&format).unwrap();
            assert_eq!(json, format!("\"{}\"", format.name()));
        }
        assert_eq!(Format::from_name("nope"), None);
    }

    #[test]
    fn unknown_json_is_an_error() {
        let error = sniff(br#"[{"a": 1}]"#).unwrap_err();
        assert_eq!(error, IngestError::UnknownJson);
        assert_eq!(
            error.to_string(),
            "this JSON is not a sign-in log Sky Trace knows; it reads Entra ID JSON, Okta System \
             Log, AWS CloudTrail, Google Workspace login audit, Auth0 tenant logs, Microsoft 365 \
             audit, Windows logon events, Elastic Common Schema, OCSF Authentication; name the \
             format with --format"
        );
    }

    fn looks_like(head: &str) -> String {
        match sniff(head.as_bytes()) {
            Err(IngestError::NotSignIns { looks_like }) => looks_like,
            other => panic!("{head}: {other:?}"),
        }
    }

    #[test]
    fn json_that_is_not_sign_ins_says_what_it_looks_like() {
        assert!(
            looks_like(
                r#"{"records": [{"time": "2026-03-02T08:30:00Z", "category": "AuditLogs", "operationName": "Update user", "properties": {}}]}"#
            )
            .starts_with("Azure Monitor records of the category AuditLogs, not sign-ins")
        );
        assert_eq!(
            looks_like(
                r#"{"@timestamp": "2026-03-02T08:30:00Z", "event": {"category": ["network"]}}"#
            ),
            "Elastic Common Schema documents of the category network, not authentication events"
        );
        assert_eq!(
            looks_like(
                r#"[{"class_uid": 3001, "class_name": "Account Change", "activity_id": 3}]"#
            ),
            "OCSF events of class 3001 (Account Change), not Authentication (3002)"
        );
        // A later record that is a sign-in decides.
        assert_eq!(
            sniff(
                br#"{"records": [{"category": "AuditLogs", "operationName": "x", "properties": {}}, {"category": "SignInLogs", "operationName": "Sign-in activity", "properties": {}}]}"#
            ),
            Ok(Format::EntraJson)
        );
    }

    #[test]
    fn a_first_record_longer_than_the_head_is_sniffed_by_its_keys() {
        let long = format!(
            r#"[{{"eventType": "user.session.start", "published": "2026-03-02T08:15:03Z", "actor": {{}}, "padding": "{}"#,
            "x".repeat(70_000)
        );
        assert_eq!(sniff(&long.as_bytes()[..64 * 1024]), Ok(Format::Okta));
    }
}
