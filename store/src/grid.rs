//! The triage grid's queries: kept logins filtered (level, score, user, time, outcome,
//! detections, account verdict, source), sorted, counted per facet and paged by the database;
//! one login of a run for the side panel; the columns they need, written with every run,
//! filled in for runs kept before they existed, and updated in place when a run is re-scored.

use engine::{AccountStatus, RiskLevel, ScoredEvent};
use service::detection::{
    AccountStatuses, EventOrder, EventPage, EventQuery, Facets, PAGE_SIZE, account_statuses,
};
use service::kept::SavedRun;
use service::review::{Outcome, SourceFilter, detections_column, network_of};
use sqlx::{AssertSqlSafe, Connection, Row};

use super::{Backend, Failure, Result, Store, decode_event, escape_like, value_rows};

/// Logins per INSERT statement (18 values each; well under SQLite's and PostgreSQL's limits).
const ROWS_PER_INSERT: usize = 500;
const COLUMNS: usize = 18;

/// A value bound to a numbered placeholder.
#[derive(Clone, Debug)]
enum Bind {
    Text(String),
    Float(f64),
    Int(i64),
}

/// A WHERE clause over `scored_events` and its values, `$1` first.
struct Filter {
    sql: String,
    binds: Vec<Bind>,
}

impl Filter {
    fn of(id: &str, query: &EventQuery) -> Self {
        let mut filter = Self {
            sql: String::new(),
            binds: Vec::new(),
        };
        filter.push("analysis_id = ", Bind::Text(id.to_owned()));
        filter.push(" AND risk_score >= ", Bind::Float(query.min_score));
        if let Some(level) = query.level {
            filter.push(" AND risk_level = ", Bind::Text(level.as_str().to_owned()));
        }
        if let Some(min) = query.min_level {
            let levels: Vec<Bind> = RiskLevel::ALL
                .iter()
                .filter(|level| **level >= min)
                .map(|level| Bind::Text(level.as_str().to_owned()))
                .collect();
            filter.any_of(" AND risk_level IN (", "", levels, ", ", ")");
        }
        let needle = query.user.trim().to_lowercase();
        if !needle.is_empty() {
            filter.push(
                " AND user_key LIKE ",
                Bind::Text(format!("%{}%", escape_like(&needle))),
            );
            filter.sql.push_str(" ESCAPE '\\'");
        }
        if let Some(from) = query.from_ms {
            filter.push(" AND timestamp_ms >= ", Bind::Int(from));
        }
        if let Some(to) = query.to_ms {
            filter.push(" AND timestamp_ms < ", Bind::Int(to));
        }
        if let Some(outcome) = query.outcome {
            filter.push(" AND outcome = ", Bind::Text(outcome.as_str().to_owned()));
        }
        if !query.detections.is_empty() {
            let patterns: Vec<Bind> = query
                .detections
                .iter()
                .map(|detection| Bind::Text(format!("%,{},%", escape_like(detection.as_str()))))
                .collect();
            filter.any_of(
                " AND (",
                "detections LIKE ",
                patterns,
                " ESCAPE '\\' OR ",
                " ESCAPE '\\')",
            );
        }
        if let Some(status) = query.account {
            filter.push(
                " AND account_status = ",
                Bind::Text(status.as_str().to_owned()),
            );
        }
        match &query.source {
            None => {}
            Some(SourceFilter::Address(ip)) => {
                filter.push(" AND ip = ", Bind::Text(ip.to_string()))
            }
            Some(SourceFilter::Network(network)) => {
                filter.push(" AND network = ", Bind::Text(network.clone()))
            }
            Some(SourceFilter::Asn(asn)) => filter.push(" AND asn = ", Bind::Int(i64::from(*asn))),
            Some(SourceFilter::Country(code)) => {
                filter.push(" AND country = ", Bind::Text(code.to_ascii_uppercase()))
            }
        }
        filter
    }

    /// Appends `sql` and a placeholder for `value`.
    fn push(&mut self, sql: &str, value: Bind) {
        self.binds.push(value);
        self.sql.push_str(sql);
        self.sql.push_str(&format!("${}", self.binds.len()));
    }

    /// `open` + (`each` $n `separator` …) + `close`.
    fn any_of(&mut self, open: &str, each: &str, values: Vec<Bind>, separator: &str, close: &str) {
        self.sql.push_str(open);
        let count = values.len();
        for (index, value) in values.into_iter().enumerate() {
            self.push(each, value);
            if index + 1 < count {
                self.sql.push_str(separator);
            }
        }
        self.sql.push_str(close);
    }

    /// The placeholder after the filter's own.
    fn next(&self) -> usize {
        self.binds.len() + 1
    }

    /// A statement of `sql` (built from constant fragments and numbered placeholders only)
    /// with the filter's values bound.
    fn bound(&self, sql: String) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments> {
        let mut statement = sqlx::query(AssertSqlSafe(sql));
        for value in &self.binds {
            statement = match value {
                Bind::Text(text) => statement.bind(text.clone()),
                Bind::Float(number) => statement.bind(*number),
                Bind::Int(number) => statement.bind(*number),
            };
        }
        statement
    }
}

fn order_by(order: EventOrder, backend: Backend) -> String {
    // Byte order of the lower-case names, as Rust compares strings, on both databases.
    let user = match backend {
        Backend::Sqlite => "user_key COLLATE BINARY",
        Backend::Postgres => "user_key COLLATE \"C\"",
    };
    match order {
        EventOrder::RiskiestFirst => "risk_score DESC, timestamp_ms ASC, record ASC".to_owned(),
        EventOrder::LeastRiskyFirst => "risk_score ASC, timestamp_ms ASC, record ASC".to_owned(),
        EventOrder::NewestFirst => "timestamp_ms DESC, record ASC".to_owned(),
        EventOrder::OldestFirst => "timestamp_ms ASC, record ASC".to_owned(),
        EventOrder::UserAscending => format!("{user} ASC, timestamp_ms ASC, record ASC"),
        EventOrder::UserDescending => format!("{user} DESC, timestamp_ms ASC, record ASC"),
    }
}

fn level_named(text: &str) -> Result<RiskLevel> {
    RiskLevel::ALL
        .into_iter()
        .find(|level| level.as_str() == text)
        .ok_or_else(|| Failure::Corrupt(format!("unknown risk level {text:?}")))
}

fn status_named(text: &str) -> Result<AccountStatus> {
    [
        AccountStatus::Clean,
        AccountStatus::Suspicious,
        AccountStatus::Compromised,
    ]
    .into_iter()
    .find(|status| status.as_str() == text)
    .ok_or_else(|| Failure::Corrupt(format!("unknown account verdict {text:?}")))
}

/// One login of a run, by id ([`Store::load_login_in_run`]).
pub(super) const LOGIN_IN_RUN: &str = "SELECT event, account_status FROM scored_events \
     WHERE analysis_id = $1 AND login_id = $2 ORDER BY record LIMIT 1";

impl Store {
    pub(super) async fn load_page(
        &self,
        id: &str,
        query: &EventQuery,
    ) -> Result<Option<EventPage>> {
        let Some(source) = self.prepare_run(id).await? else {
            return Ok(None);
        };
        let filter = Filter::of(id, query);
        let groups = filter
            .bound(format!(
                "SELECT risk_level, outcome, detections, COUNT(*) AS logins FROM scored_events \
                 WHERE {} GROUP BY risk_level, outcome, detections",
                filter.sql
            ))
            .fetch_all(&self.pool)
            .await?;
        let mut counted = Vec::with_capacity(groups.len());
        for row in &groups {
            let outcome: String = row.try_get("outcome")?;
            counted.push((
                level_named(&row.try_get::<String, _>("risk_level")?)?,
                outcome.parse::<Outcome>().map_err(Failure::Corrupt)?,
                row.try_get::<String, _>("detections")?,
                row.try_get::<i64, _>("logins")? as u64,
            ));
        }
        let matching: u64 = counted.iter().map(|(_, _, _, logins)| logins).sum();
        let facets =
            Facets::count(counted.iter().map(|(level, outcome, column, logins)| {
                (*level, *outcome, column.as_str(), *logins)
            }));
        let pages = (matching as usize).div_ceil(PAGE_SIZE).max(1);
        let page = query.page.min(pages - 1);
        let next = filter.next();
        let rows = filter
            .bound(format!(
                "SELECT event, account_status FROM scored_events WHERE {} ORDER BY {} \
                 LIMIT ${next} OFFSET ${}",
                filter.sql,
                order_by(query.order, self.backend),
                next + 1
            ))
            .bind(PAGE_SIZE as i64)
            .bind((page * PAGE_SIZE) as i64)
            .fetch_all(&self.pool)
            .await?;
        let mut events = Vec::with_capacity(rows.len());
        let mut accounts = AccountStatuses::new();
        for row in &rows {
            let event = decode_event(row)?;
            if let Some(status) = row.try_get::<Option<String>, _>("account_status")? {
                accounts.insert(event.user_id.to_string(), status_named(&status)?);
            }
            events.push(event);
        }
        let verdicts = self.verdicts_of(&source, &events).await?;
        Ok(Some(EventPage {
            matching,
            page,
            pages,
            rows: events,
            verdicts,
            accounts,
            facets,
        }))
    }

    /// One login of a kept run, with its account's verdict in the run; `None` when the run does
    /// not keep it (or there is no such run).
    pub(super) async fn load_login_in_run(
        &self,
        id: &str,
        login_id: &str,
    ) -> Result<Option<(ScoredEvent, Option<AccountStatus>)>> {
        if self.prepare_run(id).await?.is_none() {
            return Ok(None);
        }
        let row = sqlx::query(LOGIN_IN_RUN)
            .bind(id)
            .bind(login_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            let status = row
                .try_get::<Option<String>, _>("account_status")?
                .map(|status| status_named(&status))
                .transpose()?;
            Ok((decode_event(&row)?, status))
        })
        .transpose()
    }

    /// The run's source, after filling in the grid's columns if the run was kept before they
    /// existed; `None` for an unknown run.
    async fn prepare_run(&self, id: &str) -> Result<Option<String>> {
        let Some(row) = sqlx::query("SELECT source, triage_columns FROM analyses WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        if row.try_get::<Option<i64>, _>("triage_columns")?.is_none() {
            self.fill_triage_columns(id).await?;
        }
        Ok(Some(row.try_get("source")?))
    }

    /// Rewrites a run kept before the grid's columns existed with them (once: the flag on the
    /// analysis is set in the same transaction, and a concurrent fill finds it set).
    async fn fill_triage_columns(&self, id: &str) -> Result<()> {
        let mut transaction = self.pool.begin().await?;
        let claimed = sqlx::query(
            "UPDATE analyses SET triage_columns = 1 WHERE id = $1 AND triage_columns IS NULL",
        )
        .bind(id)
        .execute(&mut *transaction)
        .await?;
        if claimed.rows_affected() == 0 {
            return Ok(());
        }
        let analysis = sqlx::query("SELECT settings, source FROM analyses WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *transaction)
            .await?;
        let settings: engine::AnalysisConfig =
            serde_json::from_str(&analysis.try_get::<String, _>("settings")?)?;
        let source: String = analysis.try_get("source")?;
        let rows = sqlx::query(
            "SELECT event, login FROM scored_events WHERE analysis_id = $1 ORDER BY record",
        )
        .bind(id)
        .fetch_all(&mut *transaction)
        .await?;
        let mut events = Vec::with_capacity(rows.len());
        let mut logins = Vec::with_capacity(rows.len());
        for row in &rows {
            events.push(decode_event(row)?);
            logins.push(row.try_get::<Option<String>, _>("login")?);
        }
        drop(rows);
        sqlx::query("DELETE FROM scored_events WHERE analysis_id = $1")
            .bind(id)
            .execute(&mut *transaction)
            .await?;
        let accounts = account_statuses(&events, &settings);
        let rows = events
            .iter()
            .zip(logins)
            .map(|(event, login)| EncodedRow::of(event, login, &accounts));
        insert_rows(&mut transaction, self.backend, id, &source, rows).await?;
        transaction.commit().await?;
        tracing::info!(
            analysis = id,
            logins = events.len(),
            "triage columns filled in"
        );
        Ok(())
    }

    /// Replaces a run's summary, settings and scores: only the logins whose score, findings or
    /// account verdict changed are written again (a verdict or two change a few logins, not
    /// the run). Its dataset, rejections and logins stay.
    pub(super) async fn rescore_run(
        &self,
        run: &SavedRun,
        changed: &[usize],
        accounts: &AccountStatuses,
    ) -> Result<bool> {
        let _one_at_a_time = self.run_writes.lock().await;
        let mut connection = self.writer().await?;
        let rescored = self
            .rescore_run_on(&mut connection, run, changed, accounts)
            .await;
        // The same logins with new scores: the planner's statistics still hold.
        self.rest(connection, false).await?;
        rescored
    }

    async fn rescore_run_on(
        &self,
        connection: &mut sqlx::AnyConnection,
        run: &SavedRun,
        changed: &[usize],
        accounts: &AccountStatuses,
    ) -> Result<bool> {
        let id = run.summary.id.clone();
        let mut transaction = connection.begin().await?;
        let Some(analysis) = sqlx::query("SELECT triage_columns FROM analyses WHERE id = $1")
            .bind(&id)
            .fetch_optional(&mut *transaction)
            .await?
        else {
            return Ok(false);
        };
        let had_columns = analysis
            .try_get::<Option<i64>, _>("triage_columns")?
            .is_some();
        sqlx::query(
            "UPDATE analyses SET settings = $1, summary = $2, triage_columns = 1 WHERE id = $3",
        )
        .bind(serde_json::to_string(&run.settings)?)
        .bind(serde_json::to_string(&run.summary)?)
        .bind(&id)
        .execute(&mut *transaction)
        .await?;
        if !had_columns {
            // Kept before the triage columns: every row is written again, with them.
            sqlx::query("DELETE FROM scored_events WHERE analysis_id = $1")
                .bind(&id)
                .execute(&mut *transaction)
                .await?;
            insert_events(&mut transaction, self.backend, &id, run).await?;
            transaction.commit().await?;
            return Ok(true);
        }
        let rescored = changed.iter().filter_map(|&index| run.events.get(index));
        update_rows(&mut transaction, self.backend, &id, rescored, accounts).await?;
        transaction.commit().await?;
        tracing::info!(analysis = %id, updated = changed.len(), "re-scored logins written");
        Ok(true)
    }
}

/// Rows per UPDATE of re-scored logins.
const ROWS_PER_UPDATE: usize = 300;

/// The columns a re-score rewrites (in [`RescoredRow::bind`]'s order), each with its SQL type;
/// `record` names the row.
const RESCORED_COLUMNS: [(&str, &str); 5] = [
    ("risk_score", "DOUBLE PRECISION"),
    ("risk_level", "TEXT"),
    ("event", "TEXT"),
    ("detections", "TEXT"),
    ("account_status", "TEXT"),
];

/// Writes the new scores, findings and account verdicts of re-scored logins of the run `id`,
/// many rows per statement.
async fn update_rows<'e>(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    id: &str,
    mut events: impl Iterator<Item = &'e ScoredEvent> + Send,
    accounts: &AccountStatuses,
) -> Result<()> {
    loop {
        let chunk: Vec<&ScoredEvent> = events.by_ref().take(ROWS_PER_UPDATE).collect();
        if chunk.is_empty() {
            return Ok(());
        }
        let mut rows = Vec::with_capacity(chunk.len());
        for event in chunk {
            rows.push(RescoredRow {
                record: event.row as i64,
                risk_score: event.risk_score,
                risk_level: event.risk_level.as_str(),
                event: serde_json::to_string(event)?,
                detections: detections_column(event),
                account_status: accounts
                    .get(event.user_id.as_ref())
                    .map(|status| status.as_str()),
            });
        }
        match backend {
            Backend::Sqlite => update_sqlite_rows(transaction, id, &rows).await?,
            Backend::Postgres => update_postgres_rows(transaction, id, &rows).await?,
        }
    }
}

/// One re-scored login's new values.
struct RescoredRow<'e> {
    record: i64,
    risk_score: f64,
    risk_level: &'e str,
    event: String,
    detections: String,
    account_status: Option<&'e str>,
}

impl<'e> RescoredRow<'e> {
    fn bind<'q>(
        &'q self,
        column: usize,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
        match column {
            0 => query.bind(self.risk_score),
            1 => query.bind(self.risk_level),
            2 => query.bind(self.event.as_str()),
            3 => query.bind(self.detections.as_str()),
            _ => query.bind(self.account_status),
        }
    }
}

/// SQLite: each column set by a `CASE` on the row's record, the rows found by the primary key
/// (`record IN (…)`). Not `UPDATE … FROM (VALUES …)`: past about 200 rows SQLite's planner joins
/// such a list through a Bloom filter that it builds by reading the whole table, once per
/// statement (measured on a 118k-login run: 5,000 rows in 0.42 s, against 0.12 s this way).
async fn update_sqlite_rows(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &str,
    rows: &[RescoredRow<'_>],
) -> Result<()> {
    let cases = " WHEN ? THEN ?".repeat(rows.len());
    let sets: Vec<String> = RESCORED_COLUMNS
        .iter()
        .map(|(column, _)| format!("{column} = CASE record{cases} END"))
        .collect();
    let records = vec!["?"; rows.len()].join(", ");
    // Built from constant fragments and anonymous placeholders only, bound in the order they
    // appear.
    let sql = format!(
        "UPDATE scored_events SET {} WHERE analysis_id = ? AND record IN ({records})",
        sets.join(", ")
    );
    let mut update = sqlx::query(AssertSqlSafe(sql));
    for column in 0..RESCORED_COLUMNS.len() {
        for row in rows {
            update = row.bind(column, update.bind(row.record));
        }
    }
    update = update.bind(id);
    for row in rows {
        update = update.bind(row.record);
    }
    update.execute(&mut **transaction).await?;
    Ok(())
}

/// PostgreSQL: the rows joined from a typed `VALUES` list.
async fn update_postgres_rows(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &str,
    rows: &[RescoredRow<'_>],
) -> Result<()> {
    let mut next = 0;
    let mut place = || {
        next += 1;
        format!("${next}")
    };
    // Typed on every row: PostgreSQL reads an untyped VALUES parameter as text.
    let values: Vec<String> = rows
        .iter()
        .map(|_| {
            let mut row = format!("(CAST({} AS BIGINT)", place());
            for (_, sql_type) in RESCORED_COLUMNS {
                row.push_str(&format!(", CAST({} AS {sql_type})", place()));
            }
            row.push(')');
            row
        })
        .collect();
    let analysis_place = place();
    // VALUES columns are named column1 (the record), column2, …
    let sets: Vec<String> = RESCORED_COLUMNS
        .iter()
        .enumerate()
        .map(|(index, (column, _))| format!("{column} = changed.column{}", index + 2))
        .collect();
    let sql = format!(
        "UPDATE scored_events SET {} FROM (VALUES {}) AS changed \
         WHERE scored_events.analysis_id = {analysis_place} \
         AND scored_events.record = changed.column1",
        sets.join(", "),
        values.join(", ")
    );
    // Built from constant fragments and numbered placeholders only.
    let mut update = sqlx::query(AssertSqlSafe(sql));
    for row in rows {
        update = update.bind(row.record);
        for column in 0..RESCORED_COLUMNS.len() {
            update = row.bind(column, update);
        }
    }
    update.bind(id).execute(&mut **transaction).await?;
    Ok(())
}

/// A run's scored logins with the validated logins behind them.
pub(super) async fn insert_events(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    id: &str,
    run: &SavedRun,
) -> Result<()> {
    if run.logins.len() != run.events.len() {
        return Err(Failure::Corrupt(
            "every scored login needs its login".to_owned(),
        ));
    }
    let accounts = account_statuses(&run.events, &run.settings);
    let rows = run
        .events
        .iter()
        .zip(run.logins.iter())
        .map(|(event, login)| {
            EncodedRow::of(event, Some(serde_json::to_string(login)?), &accounts)
        });
    insert_rows(transaction, backend, id, run.summary.source.as_str(), rows).await
}

/// A scored login's columns as written, each value encoded once and then moved into the
/// statement.
struct EncodedRow {
    record: i64,
    timestamp_ms: i64,
    user_id: String,
    user_key: String,
    risk_score: f64,
    risk_level: &'static str,
    event: String,
    login_id: String,
    login: Option<String>,
    outcome: &'static str,
    detections: String,
    account_status: Option<&'static str>,
    ip: String,
    network: String,
    asn: Option<i64>,
    country: Option<String>,
}

impl EncodedRow {
    /// `event` with its login as JSON (when kept) and its account's verdict in `accounts`.
    fn of(event: &ScoredEvent, login: Option<String>, accounts: &AccountStatuses) -> Result<Self> {
        Ok(Self {
            record: event.row as i64,
            timestamp_ms: event.timestamp_ms,
            user_id: event.user_id.to_string(),
            user_key: event.user_id.to_lowercase(),
            risk_score: event.risk_score,
            risk_level: event.risk_level.as_str(),
            event: serde_json::to_string(event)?,
            login_id: event.login_id(),
            login,
            outcome: Outcome::of(event.success).as_str(),
            detections: detections_column(event),
            account_status: accounts
                .get(event.user_id.as_ref())
                .map(|status| status.as_str()),
            ip: event.ip.to_string(),
            network: network_of(event.ip),
            asn: event.asn.map(i64::from),
            country: event
                .country
                .as_deref()
                .map(|country| country.to_ascii_uppercase()),
        })
    }
}

/// Inserts scored logins of the run `id` in `source` with the grid's columns, encoding each
/// statement's rows just before it (a run's encoded rows are never all held at once).
async fn insert_rows(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    id: &str,
    source: &str,
    mut rows: impl Iterator<Item = Result<EncodedRow>> + Send,
) -> Result<()> {
    loop {
        let chunk = rows
            .by_ref()
            .take(ROWS_PER_INSERT)
            .collect::<Result<Vec<EncodedRow>>>()?;
        if chunk.is_empty() {
            return Ok(());
        }
        let values = value_rows(backend, chunk.len(), COLUMNS);
        let sql = format!(
            "INSERT INTO scored_events (analysis_id, record, timestamp_ms, user_id, user_key, \
             risk_score, risk_level, event, login_id, login, source, outcome, detections, \
             account_status, ip, network, asn, country) VALUES {values}"
        );
        // Built from constant fragments and numbered placeholders only.
        let mut insert = sqlx::query(AssertSqlSafe(sql));
        for row in chunk {
            insert = insert
                .bind(id)
                .bind(row.record)
                .bind(row.timestamp_ms)
                .bind(row.user_id)
                .bind(row.user_key)
                .bind(row.risk_score)
                .bind(row.risk_level)
                .bind(row.event)
                .bind(row.login_id)
                .bind(row.login)
                .bind(source)
                .bind(row.outcome)
                .bind(row.detections)
                .bind(row.account_status)
                .bind(row.ip)
                .bind(row.network)
                .bind(row.asn)
                .bind(row.country);
        }
        insert.execute(&mut **transaction).await?;
    }
}
