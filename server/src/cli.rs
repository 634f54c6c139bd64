//! Command-line arguments.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "skytrace",
    version,
    about = "Find account takeovers and login attacks in sign-in logs",
    long_about = "Sky Trace scores sign-in logs for account takeover and login attacks. \
                  `skytrace serve` starts the web app; the other commands work on files from the terminal."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the web app.
    Serve(ServeArgs),
    /// Read a sign-in log and print its profile: format, records read, accepted, rejected (with
    /// line and reason) and skipped (by event type), users, IP addresses, time range. Exits with
    /// status 2 when the file cannot be read as a sign-in log at all.
    Profile(ProfileArgs),
    /// Score every login of a sign-in log (0–1, Low/Medium/High/Critical, with reasons). Writes
    /// one row per accepted event in input order (--out) and a JSON summary (--summary).
    Analyze(AnalyzeArgs),
    /// Run the Isolation Forest on any numeric CSV table and write `row,score` (higher = more
    /// anomalous).
    Outliers(OutliersArgs),
    /// Print the analysis settings (defaults, or a config file's values) as TOML.
    Config(ConfigArgs),
    /// Geolocate IP addresses offline: country, region, city, coordinates, ASN, organisation,
    /// network type and why.
    Lookup(LookupArgs),
    /// Write realistic, labelled sign-in logs from the seeded scenario generator.
    Generate(GenerateArgs),
    /// Measure throughput: end to end on generated logs, geolocation lookups, and the Isolation
    /// Forest against scikit-learn (when python3 has it).
    Bench(BenchArgs),
    /// Measure continuous monitoring on a running server (`skytrace serve` on loopback):
    /// events per second and receipt-to-verdict latency (p50/p95/p99) of POST /api/v1/events
    /// at several batch sizes and offered rates.
    BenchIngest(BenchIngestArgs),
    /// Follow growing sign-in logs (as `tail -F`, across rotation and truncation) and score each
    /// new line: sent to a running server (--to), or scored here against the state kept in
    /// --data-dir. Prints a JSON line per record with its verdict.
    Watch(WatchArgs),
    /// Measure detection accuracy on a generated, labelled scenario: ROC-AUC, average
    /// precision and recall at 1% false-positive rate, per attack type.
    Evaluate(EvaluateArgs),
    /// Write an executive, technical or incident report (PDF, CSV or JSON, from --out's
    /// extension), or the scored logins (--kind events, CSV or JSON), for a log file (analysed
    /// now) or an analysis kept by the web app (its id, as in /detect?run=ID).
    Report(ReportArgs),
    /// Send a test notification on every channel of the config file's [notifications]
    /// section and print what happened. Exits with status 1 when a delivery failed.
    NotifyTest(NotifyTestArgs),
    /// Manage the accounts people sign in with when the server runs with --auth.
    User(UserArgs),
    /// Manage API tokens: automation acting as an account, with `Authorization: Bearer …`.
    Token(TokenArgs),
    /// Load-test a running server: clients uploading small logs (100 rows each) while others
    /// load the dashboard and the run list; prints p50/p95/p99 latency per endpoint, answers by
    /// status and the server's peak memory (--pid). Exits with status 1 when a request got no
    /// answer or a server error other than 503 busy.
    Loadtest(LoadTestArgs),
    /// Scale-out mode: score the events `skytrace serve --nats` processes publish, on the
    /// partitions this worker leases through the PostgreSQL database, until Ctrl-C or SIGTERM.
    Worker(WorkerArgs),
    /// Ask a running server whether it is up (GET /healthz): exit status 0 when it answers with
    /// success, 1 when it does not answer or answers an error. The container image's health check.
    Health(HealthArgs),
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The NATS JetStream server the events are published to (nats://HOST:PORT).
    #[arg(long, env = "SKYTRACE_NATS")]
    pub nats: String,
    /// The PostgreSQL database shared with the servers and the other workers (postgres://…).
    #[arg(long, env = "DATABASE_URL")]
    pub database: String,
    /// Where to answer /healthz, /readyz and /metrics (per-partition lag), e.g. 127.0.0.1:9100.
    #[arg(long, env = "SKYTRACE_WORKER_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// This worker's name in the partition leases [default: host name and process id].
    #[arg(long, env = "SKYTRACE_WORKER_ID")]
    pub worker_id: Option<String>,
    /// Analysis settings file (TOML, as `skytrace config` prints); the same for every worker.
    #[arg(long, env = "SKYTRACE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Gather each partition's logins for this many milliseconds from the first of them, then
    /// score them together in time order, so logins published out of order within those
    /// milliseconds (by different servers, say) are placed in order; verdicts wait up to as
    /// long. 0: score each fetch in log order at once. Either way a login older than one
    /// already scored for its user's partition is rejected.
    #[arg(long, env = "SKYTRACE_REORDER_WINDOW_MS", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub reorder_window_ms: u64,
    /// Keep verdicts this many days after their logins were received (0: for ever). The worker
    /// holding partition 0 deletes older ones hourly, of every source.
    #[arg(long, env = "SKYTRACE_RETENTION_DAYS", default_value_t = 0,
          value_parser = clap::value_parser!(u32).range(0..=36_500))]
    pub retention_days: u32,
    #[command(flatten)]
    pub geo: GeoArgs,
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The server's address, as `serve` was given it; a server listening on every interface
    /// (0.0.0.0 or [::]) is asked on loopback.
    #[arg(long, env = "SKYTRACE_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Longest to wait for the answer, in seconds.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_secs: u64,
}

#[derive(Debug, Args)]
pub struct LoadTestArgs {
    /// The server to drive.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    pub url: String,
    /// Clients uploading at once.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub clients: u64,
    /// Uploads each uploading client makes, one after another.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub uploads: u64,
    /// Clients reading at the same time: GET / and GET /api/v1/analyses in turn.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    pub readers: u64,
    /// Most requests each reading client makes (it stops earlier when the uploads are done).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub reads: u64,
    /// Longest the client waits for one answer, in seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout_secs: u64,
    /// The server's process id, to report its memory (from /proc/PID/status).
    #[arg(long)]
    pub pid: Option<u32>,
}

/// Which database: the data directory's SQLite file, or --database.
#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// Directory of the SQLite database (as for `serve`).
    #[arg(long, env = "SKYTRACE_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// The database, when not the data directory's SQLite file (postgres://…).
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database: Option<String>,
}

#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    pub action: UserAction,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Make an account. The password (at least 12 characters) is asked for twice on a terminal,
    /// or read from the first line of standard input.
    Add {
        name: String,
        /// admin (may also change the allow-list and see the server's settings) or analyst.
        #[arg(long, default_value = "analyst", value_parser = parse_role)]
        role: service::account::Role,
    },
    /// Set a new password (and, with --role, a new role); ends the account's sessions.
    Reset {
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Option<service::account::Role>,
    },
    /// Remove an account with its sessions and API tokens.
    Remove { name: String },
    /// List the accounts and their roles.
    List,
}

fn parse_role(text: &str) -> Result<service::account::Role, String> {
    text.parse()
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub action: TokenAction,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Make a token acting as ACCOUNT (with its role); prints it once, on standard output.
    Create {
        #[arg(long)]
        account: String,
        /// What the token is for, e.g. "SIEM export".
        #[arg(long)]
        label: String,
        /// api: the REST API as ACCOUNT; ingest: only sends events (POST /api/v1/events, the
        /// HEC collector), for log shippers.
        #[arg(long, default_value = "api", value_parser = parse_token_scope)]
        scope: service::account::TokenScope,
    },
    /// List tokens (id, scope, account, label, made, last used), never their secrets.
    List,
    /// Revoke a token by its id.
    Revoke { id: String },
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// executive, technical, incident or events.
    #[arg(long, value_parser = parse_report_kind)]
    pub kind: reports::ReportKind,
    /// A sign-in log to analyse (any format `analyze` reads), or the id of a kept analysis.
    pub input: String,
    /// Where to write: .pdf, .csv or .json (the extension picks the format).
    #[arg(long)]
    pub out: PathBuf,
    /// Only logins and incidents at or above this level: low, medium, high, critical
    /// (incidents start at High unless set).
    #[arg(long)]
    pub level: Option<String>,
    /// Only logins from this date (YYYY-MM-DD, UTC) or time (RFC 3339).
    #[arg(long)]
    pub from: Option<String>,
    /// Only logins before this time, or up to the end of this date.
    #[arg(long)]
    pub to: Option<String>,
    /// Incident PDFs: how many incidents the PDF holds, the most severe (the CSV and JSON hold
    /// every incident).
    #[arg(long, default_value_t = reports::PDF_INCIDENTS,
          value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u32).range(1..=2000), |top| top as usize))]
    pub top: usize,
    /// TOML file with the analysis settings and [input] table (analysed logs).
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub reading: InputArgs,
    /// Where kept analyses are: the data directory's SQLite file unless --database is given.
    #[arg(long, env = "SKYTRACE_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// postgres://… for analyses kept in PostgreSQL.
    #[arg(long, env = "DATABASE_URL")]
    pub database: Option<String>,
    #[command(flatten)]
    pub geo: GeoArgs,
}

fn parse_token_scope(text: &str) -> Result<service::account::TokenScope, String> {
    text.parse()
}

pub fn parse_report_kind(text: &str) -> Result<reports::ReportKind, String> {
    reports::ReportKind::from_name(text).ok_or_else(|| {
        format!("unknown report kind {text:?}; expected executive, technical, incident or events")
    })
}

#[derive(Debug, Args)]
pub struct NotifyTestArgs {
    /// TOML config file with a [notifications] section.
    #[arg(long)]
    pub config: PathBuf,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: LEPTOS_SITE_ADDR, else 127.0.0.1:3000].
    #[arg(long, env = "SKYTRACE_ADDR")]
    pub addr: Option<SocketAddr>,
    /// Directory for the database and uploaded data (created if missing).
    #[arg(long, env = "SKYTRACE_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Directory with the built site (pkg/ with the wasm and CSS, and the public assets).
    /// Default: `site` beside the binary's target directory (target/site), else ./target/site.
    /// The rest of the site's configuration comes from Leptos' usual variables
    /// (LEPTOS_OUTPUT_NAME, LEPTOS_SITE_PKG_DIR, LEPTOS_RELOAD_PORT, LEPTOS_HASH_FILES…).
    #[arg(long, env = "LEPTOS_SITE_ROOT")]
    pub site_root: Option<PathBuf>,
    /// Largest accepted upload, in megabytes (MiB).
    #[arg(long, env = "SKYTRACE_MAX_UPLOAD_MB", default_value_t = 100)]
    pub max_upload_mb: u64,
    /// Largest file the pages offer to analyse in the browser itself, in megabytes (MiB).
    #[arg(long, env = "SKYTRACE_MAX_BROWSER_MB", default_value_t = 20)]
    pub max_browser_mb: u64,
    /// Longest a request may take (uploads and analyses included), in seconds; slower requests
    /// are answered 503 and abandoned.
    #[arg(long, env = "SKYTRACE_REQUEST_TIMEOUT_SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout_secs: u64,
    /// Longest a client may take to send a request's headers, in seconds; also how long a
    /// kept-alive connection may wait for its next request. Slower clients are disconnected.
    #[arg(long, env = "SKYTRACE_HEADER_TIMEOUT_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout_secs: u64,
    /// How long a request body may take, in seconds, before it must keep up --min-body-rate-kb;
    /// a slower body is answered 408 and its connection closed.
    #[arg(long, env = "SKYTRACE_BODY_TIMEOUT_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout_secs: u64,
    /// The rate a request body must average after --body-timeout-secs, in KiB per second.
    #[arg(long, env = "SKYTRACE_MIN_BODY_RATE_KB", default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub min_body_rate_kb: u64,
    /// Largest size an upload may unpack to (gzip), in megabytes (MiB); uncompressed uploads count
    /// as they are. Past it, reading stops and the upload is answered 413.
    #[arg(long, env = "SKYTRACE_MAX_EXPANDED_MB",
          default_value_t = service::reading::DEFAULT_MAX_EXPANDED_MB,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_expanded_mb: u64,
    /// Most records one upload may hold; past it, reading stops and the upload is answered 413.
    #[arg(long, env = "SKYTRACE_MAX_ROWS", default_value_t = service::reading::DEFAULT_MAX_ROWS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_rows: u64,
    /// Analyses of uploads run at once [default: the number of cores].
    #[arg(long, env = "SKYTRACE_ANALYSIS_PARALLELISM",
          value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub analysis_parallelism: Option<u64>,
    /// Uploads that may wait for an analysis slot; past it they are answered 503 with
    /// Retry-After [default: 16 per slot].
    #[arg(long, env = "SKYTRACE_ANALYSIS_QUEUE_DEPTH",
          value_parser = clap::value_parser!(u64).range(0..=100_000))]
    pub analysis_queue_depth: Option<u64>,
    /// Memory the server may hold, in megabytes (MiB; 1,430 is 1.5 GB): an analysis starts only
    /// when it fits beside what is held (letting go of what can be rebuilt first, then waiting
    /// for running ones), else it is answered 413 over_memory_budget.
    #[arg(long, env = "SKYTRACE_MEMORY_BUDGET_MB", default_value_t = 1430,
          value_parser = clap::value_parser!(u64).range(64..))]
    pub memory_budget_mb: u64,
    /// Connections served at once; more wait until one closes.
    #[arg(long, env = "SKYTRACE_MAX_CONNECTIONS", default_value_t = 512,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: u64,
    /// TOML file with the analysis settings used for uploads (`skytrace config` prints them).
    #[arg(long, env = "SKYTRACE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Requests to POST /api/v1/events that may wait to be scored; more are answered 503 (busy)
    /// with Retry-After.
    #[arg(long, env = "SKYTRACE_INGEST_QUEUE", default_value_t = service::monitor::DEFAULT_QUEUE_DEPTH,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub ingest_queue: usize,
    /// Gather a source's batches for this many milliseconds from the first of them, then score
    /// them together in time order, so logins of several shippers arriving out of order within
    /// those milliseconds are placed in order (answers wait up to as long). 0: score each batch
    /// at once. Either way a login older than one already scored is rejected.
    #[arg(long, env = "SKYTRACE_REORDER_WINDOW_MS", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub reorder_window_ms: u64,
    /// Keep monitored logins this many days after they arrive (0: for ever). Older ones are
    /// deleted hourly, once what their source learnt from them (baselines, models) is kept.
    #[arg(long, env = "SKYTRACE_RETENTION_DAYS", default_value_t = 0,
          value_parser = clap::value_parser!(u32).range(0..=36_500))]
    pub retention_days: u32,
    /// A token the Splunk HEC–compatible endpoint (/services/collector) takes as
    /// `Authorization: Splunk <token>` (repeat, or separate with commas). Without any, a local
    /// server takes events from anyone on this machine and a hosted one takes API tokens.
    #[arg(
        long,
        env = "SKYTRACE_HEC_TOKEN",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub hec_token: Vec<String>,
    /// Events per second each sending token (an ingest-scoped API token, or a --hec-token) may
    /// average; a batch may spend up to a second's worth ahead, after which the token is answered
    /// 429 (HEC: 503, code 9) with Retry-After. 0: no limit.
    #[arg(long, env = "SKYTRACE_INGEST_RATE_PER_TOKEN", default_value_t = 0)]
    pub ingest_rate_per_token: u32,
    /// Turns on the Okta event hook (/hooks/okta): the Authorization header value set for the
    /// hook in Okta, which every delivery must carry.
    #[arg(long, env = "SKYTRACE_OKTA_HOOK_SECRET", hide_env_values = true)]
    pub okta_hook_secret: Option<String>,
    /// Listen for sshd sign-ins forwarded as syslog (RFC 5424 or RFC 3164) on this address, over
    /// UDP and TCP (newline or octet-counting framing), e.g. 127.0.0.1:5514.
    #[arg(long, env = "SKYTRACE_SYSLOG_LISTEN")]
    pub syslog_listen: Option<SocketAddr>,
    /// The source the syslog listener's sign-ins belong to.
    #[arg(long, env = "SKYTRACE_SYSLOG_SOURCE", default_value = "default")]
    pub syslog_source: String,
    /// Where runs are kept: postgres://… for PostgreSQL; default: SQLite file skytrace.db in
    /// the data directory.
    #[arg(long, env = "DATABASE_URL")]
    pub database: Option<String>,
    /// Scale-out mode: publish accepted events to this NATS JetStream server (nats://HOST:PORT)
    /// for `skytrace worker` processes to score, instead of scoring them here. Needs a
    /// PostgreSQL --database shared with the workers.
    #[arg(long, env = "SKYTRACE_NATS")]
    pub nats: Option<String>,
    /// Hosted mode: people sign in with accounts made by `skytrace user add` (required to listen
    /// on anything but a loopback address). Without it, the one local user may do everything.
    #[arg(long, env = "SKYTRACE_AUTH")]
    pub auth: bool,
    /// Send the session cookie over plain HTTP too (omit its Secure flag). Only for trying
    /// hosted mode without HTTPS; behind a TLS proxy leave it off.
    #[arg(long, requires = "auth")]
    pub insecure_cookie: bool,
    #[command(flatten)]
    pub geo: GeoArgs,
}

/// How to read a sign-in log.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Log format: auto (sniffed from the first bytes; the default), csv, entra-csv, entra-json,
    /// okta, cloudtrail, google-workspace, auth0, m365, windows, ecs, ocsf, auth-log or rba.
    /// Gzipped input is unpacked for every format.
    #[arg(long, value_parser = parse_format)]
    pub format: Option<FormatChoice>,
    /// Column mapping for CSV input, FIELD=COLUMN (repeat, or separate with commas), e.g.
    /// --map user_id="User Principal Name",timestamp=When. Fields: timestamp, user_id,
    /// ip_address, user_agent, success, failure_reason, error_code, location, country, region,
    /// city, asn, latitude, longitude, mfa.
    #[arg(long = "map", value_name = "FIELD=COLUMN")]
    pub map: Vec<String>,
    /// Time zone for timestamps without an offset, and of year-less auth.log lines (IANA name,
    /// e.g. Europe/Oslo; default UTC).
    #[arg(long)]
    pub timezone: Option<String>,
    /// Year of auth.log lines (they carry none); default: inferred from the file's modification
    /// time.
    #[arg(long)]
    pub year: Option<i16>,
    /// Write every rejected record (file, line, record, reason) to this CSV.
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Largest size the log may unpack to (gzip), in megabytes (MiB); past it, reading stops
    /// [default: 1024; none for `analyze --stream`, whose memory does not grow with the log].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_expanded_mb: Option<u64>,
    /// Most records the log may hold; past it, reading stops [default: 1000000; none for
    /// `analyze --stream`].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_rows: Option<u64>,
}

impl InputArgs {
    /// The read limits given, else the defaults; a streamed analysis holds no more for a longer
    /// log, so only the limits given apply to it.
    pub fn limits(&self, streaming: bool) -> engine::ReadLimits {
        let (mb, rows) = if streaming {
            (u64::MAX / (1024 * 1024), u64::MAX)
        } else {
            (
                service::reading::DEFAULT_MAX_EXPANDED_MB,
                service::reading::DEFAULT_MAX_ROWS,
            )
        };
        service::reading::read_limits(
            self.max_expanded_mb.unwrap_or(mb),
            self.max_rows.unwrap_or(rows),
        )
    }
}

/// `auto` or a named format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatChoice(pub Option<engine::Format>);

pub fn parse_format(text: &str) -> Result<FormatChoice, String> {
    if text.eq_ignore_ascii_case("auto") {
        return Ok(FormatChoice(None));
    }
    engine::Format::from_name(text)
        .map(|format| FormatChoice(Some(format)))
        .ok_or_else(|| {
            let names: Vec<&str> = engine::Format::ALL.iter().map(|f| f.name()).collect();
            format!(
                "unknown format {text:?}; expected auto, {}",
                names.join(", ")
            )
        })
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// The sign-in log (any format --format names; gzip accepted), or - for standard input.
    pub file: PathBuf,
    /// Print the profile as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// TOML config file; its [input] table says how to read logs (the options here win).
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// The sign-in log (any format --format names; gzip accepted), or - for standard input.
    pub input: PathBuf,
    /// Scores, one row per accepted event: row, timestamp, user_id, ip_address, risk_score,
    /// risk_level, detector scores, reasons, then the input's extra columns.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// JSON summary: counts by level, rejected rows, top users, findings, settings used.
    #[arg(long)]
    pub summary: Option<PathBuf>,
    /// TOML file with thresholds and weights (`skytrace config` prints the defaults) and an
    /// optional [input] table saying how to read logs (the options here win).
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub reading: InputArgs,
    /// Score the logins as they are read, holding what is learnt per user and not the logins:
    /// memory bounded by users whatever the log's length. Rows are written in time order (the
    /// `row` column keeps the input order); a log out of time order is reordered within
    /// --reorder-window. Without the whole log held there are no account verdicts or
    /// campaigns, hence no --notify.
    #[arg(long, conflicts_with = "notify")]
    pub stream: bool,
    /// With --stream: how many logins are held to put a log that is only roughly in time order
    /// back in order (each login may arrive this many logins late; a later one is rejected with
    /// its line and reason).
    #[arg(long, default_value_t = 200_000, requires = "stream",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub reorder_window: u64,
    /// Send alerts as set in the config file's [notifications] section; deliveries are
    /// recorded in the database's notification log, shared with `serve`, so an alert is sent once.
    #[arg(long)]
    pub notify: bool,
    /// Directory of the SQLite database holding the notification log (created if missing); the
    /// same as `serve`'s.
    #[arg(long, env = "SKYTRACE_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// The database holding the notification log, when not the data directory's SQLite file.
    #[arg(long, env = "DATABASE_URL")]
    pub database: Option<String>,
    #[command(flatten)]
    pub geo: GeoArgs,
}

/// Offline geolocation data and network lists.
#[derive(Debug, Args)]
pub struct GeoArgs {
    /// Directory with the @ip-location-db packages (default: geodata/node_modules/@ip-location-db,
    /// installed by ./dev).
    #[arg(long, env = "SKYTRACE_GEO_DIR")]
    pub geo_dir: Option<PathBuf>,
    /// A named list of CIDRs, addresses or AS numbers (one per line). The name says what it is:
    /// tor…, vpn…, hosting…/cloud… classify the network; office…/corporate…/allow…/trusted…
    /// mark your own egress; any other name (e.g. threat-intel) is quoted in reasons.
    #[arg(long = "ip-list", value_name = "NAME=FILE")]
    pub ip_lists: Vec<String>,
}

#[derive(Debug, Args)]
pub struct LookupArgs {
    /// IPv4 or IPv6 addresses.
    #[arg(required = true)]
    pub ips: Vec<std::net::IpAddr>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub geo: GeoArgs,
}

#[derive(Debug, Args)]
pub struct OutliersArgs {
    /// A CSV table with a header; every column not excluded must be numeric.
    pub table: PathBuf,
    /// Columns to leave out (labels, identifiers), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Number of isolation trees.
    #[arg(long, default_value_t = 100)]
    pub trees: usize,
    /// Sub-sample size per tree (ψ).
    #[arg(long, default_value_t = 256)]
    pub sample: usize,
    /// Random seed; the same seed gives the same scores.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Where to write `row,score`.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Show this file's settings (validated) instead of the defaults.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Sizes of generated scenarios.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Preset {
    /// ~4,500 logins of 60 users over 30 days (the bundled sample).
    Sample,
    /// ~49,000 logins of 400 users over 60 days, with every attack type.
    Evaluation,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[arg(long, value_enum, default_value = "sample")]
    pub preset: Preset,
    /// Seed instead of the preset's; the same seed gives the same file.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Add the ground-truth `label` column.
    #[arg(long)]
    pub labels: bool,
    /// Number of users instead of the preset's (about 120 logins per user over 60 days).
    #[arg(long)]
    pub users: Option<usize>,
    /// Length of the period in days instead of the preset's (about two logins per user a day).
    #[arg(long)]
    pub days: Option<u32>,
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Scenario families, comma-separated: office (400 staff in fifteen office cities), hybrid
    /// (1,000 staff, much travel and mobile use), remote (150 mostly remote staff), markov (the
    /// independent generator), sample (the bundled 60-user sample), or all (the four families).
    #[arg(long, value_delimiter = ',', default_value = "all", value_parser = parse_scenario)]
    pub family: Vec<EvaluatedScenario>,
    /// Seeds, comma-separated; the published figures use 1,2,3.
    #[arg(long, value_delimiter = ',', default_values_t = scenario::evaluation::REPORT_SEEDS)]
    pub seeds: Vec<u64>,
    /// Also analyse each log without its success column (as in logs that only record
    /// successes).
    #[arg(long)]
    pub without_success: bool,
    /// TOML file with thresholds and weights.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Print the runs and their spread as JSON.
    #[arg(long)]
    pub json: bool,
    /// Per run, also print the figures by attack type and what drove benign logins to High.
    #[arg(long)]
    pub details: bool,
    #[command(flatten)]
    pub geo: GeoArgs,
}

/// What `skytrace evaluate` measures the engine on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvaluatedScenario {
    Family(scenario::evaluation::Family),
    /// The bundled sample (`skytrace generate --preset sample`).
    Sample,
    /// Every family.
    All,
}

fn parse_scenario(text: &str) -> Result<EvaluatedScenario, String> {
    match text.trim() {
        "sample" => Ok(EvaluatedScenario::Sample),
        "all" => Ok(EvaluatedScenario::All),
        name => scenario::evaluation::Family::from_name(name)
            .map(EvaluatedScenario::Family)
            .ok_or_else(|| {
                format!(
                    "unknown family {name:?}; expected office, hybrid, remote, markov, sample or all"
                )
            }),
    }
}

#[derive(Debug, Args)]
pub struct BenchIngestArgs {
    /// The server's address (loopback only).
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// API token, for a server in hosted mode (--auth).
    #[arg(long, env = "SKYTRACE_TOKEN")]
    pub token: Option<String>,
    /// Events sent per run.
    #[arg(long, default_value_t = 20_000)]
    pub events: usize,
    /// Events per request, one run each (with each rate).
    #[arg(long, value_delimiter = ',', default_values_t = [1, 100, 1_000])]
    pub batches: Vec<usize>,
    /// Offered rates in events per second, one run each; 0 sends as fast as answers come.
    #[arg(long, value_delimiter = ',', default_values_t = [2_000, 10_000, 0])]
    pub rates: Vec<u64>,
    /// Connections sending at once, each to a source of its own.
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// Where events are sent: `events` (POST /api/v1/events, NDJSON) or `hec` (the Splunk HEC
    /// collector, envelopes back to back; --token is then the HEC token).
    #[arg(long, value_enum, default_value_t = IngestEndpoint::Events)]
    pub endpoint: IngestEndpoint,
    /// Measure alert latency instead: listen here for the server's webhook (its config's
    /// `[notifications.webhook] url = "http://ADDR/…"`), send --alert-rounds brute-force
    /// takeovers (each to a source of its own) and print how long each took from being sent to
    /// its alert arriving.
    #[arg(long)]
    pub alerts_listen: Option<SocketAddr>,
    /// Takeovers sent with --alerts-listen, one after another.
    #[arg(long, default_value_t = 10, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1000))]
    pub alert_rounds: usize,
    /// Scale-out benchmark instead: send this log (CSV, as `skytrace generate` writes) to a
    /// `serve --nats` server as one source, in the log's order (each connection the partitions
    /// of its own), wait until every login the stream kept has its verdict in --database, and
    /// print ingest and verdict rates, receipt-to-verdict latency and what was written. One
    /// run: the first of --batches and --rates. Needs a fresh database (it adds a column to
    /// time verdicts) and a fresh stream.
    #[arg(long, requires_all = ["database", "nats"])]
    pub file: Option<PathBuf>,
    /// With --file: the workers' PostgreSQL database (postgres://…).
    #[arg(long, requires = "file")]
    pub database: Option<String>,
    /// With --file: the NATS server the stream is on (nats://…).
    #[arg(long, requires = "file")]
    pub nats: Option<String>,
    /// With --file: the source the log is sent as.
    #[arg(long, default_value = "bench")]
    pub source: String,
    /// With --file: wait until at least this many workers are live (and the partitions
    /// balanced between them) before sending.
    #[arg(long, default_value_t = 1)]
    pub expect_workers: usize,
    /// With --file: also write the figures here as JSON.
    #[arg(long, requires = "file")]
    pub json: Option<PathBuf>,
}

/// The ingest endpoint `bench-ingest` drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum IngestEndpoint {
    Events,
    Hec,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The logs to follow: JSON records (one per line, any format the file reader knows) or
    /// sshd lines of an auth.log.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Send to this server (`POST /api/v1/events`), e.g. http://127.0.0.1:3000; without it the
    /// lines are scored here.
    #[arg(long)]
    pub to: Option<String>,
    /// API token, for a server in hosted mode (--auth).
    #[arg(long, env = "SKYTRACE_TOKEN")]
    pub token: Option<String>,
    /// The source the logins belong to.
    #[arg(long, default_value = "default")]
    pub source: String,
    /// Read what the files already hold first (default: only what is written from now on).
    #[arg(long)]
    pub from_start: bool,
    /// How often the files are looked at, in milliseconds.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub poll_ms: u64,
    /// Where the state of local scoring is kept (SQLite); not a running server's directory.
    #[arg(long, default_value = "watch-data")]
    pub data_dir: PathBuf,
    /// TOML file with the analysis settings for local scoring.
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub geo: GeoArgs,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Sizes for the end-to-end runs (approximate events).
    #[arg(long, value_delimiter = ',', default_values_t = [113_000, 1_000_000])]
    pub events: Vec<usize>,
    /// Also the 10-million-login case (160,000 users over 30 days, 1.8 GB of CSV), streamed as
    /// a whole process (minutes per run; generating it takes 3 GB).
    #[arg(long)]
    pub ten_million: bool,
    /// Repetitions; medians are reported.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Directory for the table shared with scikit-learn.
    #[arg(long, default_value = "target/bench")]
    pub scratch: PathBuf,
    #[command(flatten)]
    pub geo: GeoArgs,
}
