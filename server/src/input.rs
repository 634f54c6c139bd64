//! Reading a sign-in log from a file for the CLI: options from the command line, progress on the
//! terminal, rejected records to a CSV.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;

use anyhow::Context;
use engine::ingest::{Field, parse_mapping};
use engine::ingest::{ReadObserver, ReadProgress};
use engine::{IngestError, IngestOptions, Ingested, LoginEvent, RejectReason, Rejection};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{InputArgs, parse_format};
use crate::config_file::InputSettings;
use reports::csv_safety::neutralise;

/// The file name that means standard input (`zcat logs.gz | skytrace analyze -`).
const STDIN: &str = "-";
/// Files from this size get a progress bar on a terminal.
const PROGRESS_FROM_BYTES: u64 = 32 * 1024 * 1024;

/// Options for the engine from the command line over the config file's `[input]`; the file's
/// modification time stands in for "when the log was written" to date year-less auth.log lines.
pub fn options(
    args: &InputArgs,
    settings: &InputSettings,
    path: &Path,
    streaming: bool,
) -> anyhow::Result<IngestOptions> {
    let zone_name = args
        .timezone
        .as_deref()
        .or(settings.timezone.as_deref())
        .unwrap_or("UTC");
    let timezone = jiff::tz::TimeZone::get(zone_name)
        .with_context(|| format!("unknown time zone {zone_name:?}"))?;
    let format = match (args.format, &settings.format) {
        (Some(choice), _) => choice.0,
        (None, Some(name)) => {
            parse_format(name)
                .map_err(|error| anyhow::anyhow!("config [input] format: {error}"))?
                .0
        }
        (None, None) => None,
    };
    let mut column_map = Vec::new();
    for (field, column) in &settings.map {
        let field = Field::from_name(field)
            .with_context(|| format!("config [input] map: unknown field {field:?}"))?;
        column_map.push((field, column.clone()));
    }
    for text in &args.map {
        for (field, column) in
            parse_mapping(text).map_err(|error| anyhow::anyhow!("--map: {error}"))?
        {
            column_map.retain(|(existing, _)| *existing != field);
            column_map.push((field, column));
        }
    }
    let modified = std::fs::metadata(path)
        .and_then(|metadata| metadata.modified())
        .unwrap_or_else(|_| std::time::SystemTime::now());
    let reference_ms = jiff::Timestamp::try_from(modified)
        .map(|instant| instant.as_millisecond())
        .ok();
    Ok(IngestOptions {
        timezone,
        format,
        column_map,
        syslog_year: args.year.or(settings.year),
        reference_ms,
        limits: args.limits(streaming),
    })
}

/// Why a log cannot be analysed, said with the flag that raises a read limit it crossed.
#[derive(Debug)]
pub struct Unusable(pub IngestError);

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            IngestError::TooLarge(limit) => write!(
                f,
                "{limit}; reading stopped there (raise the limit with {})",
                service::reading::raised_by(*limit).0
            ),
            other => other.fmt(f),
        }
    }
}

/// Reads the log; `Ok(Err(_))` is input that cannot be analysed (reported, exit status 2).
pub fn read(
    args: &InputArgs,
    settings: &InputSettings,
    path: &Path,
) -> anyhow::Result<Result<Ingested, Unusable>> {
    read_into(args, settings, path, None)
}

/// [`read`], handing every accepted login to `logins` instead of keeping it (and the limits
/// that only guard memory lifted unless given): the reading of a streamed analysis.
pub fn read_into(
    args: &InputArgs,
    settings: &InputSettings,
    path: &Path,
    logins: Option<&mut dyn ReadObserver>,
) -> anyhow::Result<Result<Ingested, Unusable>> {
    let options = options(args, settings, path, logins.is_some())?;
    let (input, size): (Box<dyn std::io::Read>, u64) = if path == Path::new(STDIN) {
        (Box::new(std::io::stdin().lock()), 0)
    } else {
        let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        let size = file.metadata().map(|metadata| metadata.len()).unwrap_or(0);
        (Box::new(file), size)
    };
    let bar = if std::io::stderr().is_terminal() && size >= PROGRESS_FROM_BYTES {
        let bar = ProgressBar::new(size);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} reading {bytes}/{total_bytes} [{bar:30}] {msg} {eta}",
            )?
            .progress_chars("=> "),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut rejects = match &args.rejects {
        Some(out) => Some(
            RejectsWriter::create(out, path)
                .with_context(|| format!("cannot write {}", out.display()))?,
        ),
        None => None,
    };
    let mut observer = Observer {
        bar: &bar,
        rejects: rejects.as_mut(),
        logins,
    };
    let result = engine::read(input, &options, &mut observer);
    bar.finish_and_clear();
    if let Some(rejects) = rejects {
        rejects.finish().with_context(|| {
            format!(
                "cannot write {}",
                args.rejects.as_deref().unwrap_or(path).display()
            )
        })?;
    }
    Ok(result.map_err(Unusable))
}

/// The progress bar and the rejects file, fed while the log is read, and whoever takes the
/// logins as they are read.
struct Observer<'a, 'b> {
    bar: &'a ProgressBar,
    rejects: Option<&'a mut RejectsWriter>,
    logins: Option<&'b mut dyn ReadObserver>,
}

impl ReadObserver for Observer<'_, '_> {
    fn progress(&mut self, progress: ReadProgress) {
        self.bar.set_position(progress.bytes_read);
        self.bar.set_message(format!(
            "{} records",
            service::text::count(progress.records)
        ));
    }

    fn rejected(&mut self, rejection: &Rejection) {
        if let Some(rejects) = self.rejects.as_deref_mut() {
            rejects.write(rejection);
        }
    }

    fn extra_columns(&mut self, names: &[String]) {
        if let Some(logins) = self.logins.as_deref_mut() {
            logins.extra_columns(names);
        }
    }

    fn accepted(&mut self, login: LoginEvent) -> Result<Option<LoginEvent>, RejectReason> {
        match self.logins.as_deref_mut() {
            Some(logins) => logins.accepted(login),
            None => Ok(Some(login)),
        }
    }
}

/// Every rejected record as `file,line,record,reason`, written as it is found (the engine keeps
/// only the first ones in memory).
struct RejectsWriter {
    writer: csv::Writer<BufWriter<File>>,
    file: String,
    error: Option<csv::Error>,
}

impl RejectsWriter {
    fn create(out: &Path, input: &Path) -> anyhow::Result<Self> {
        let mut writer = csv::Writer::from_writer(BufWriter::new(File::create(out)?));
        writer.write_record(["file", "line", "record", "reason"])?;
        Ok(Self {
            writer,
            file: neutralise(&input.display().to_string()),
            error: None,
        })
    }

    fn write(&mut self, rejection: &Rejection) {
        if self.error.is_some() {
            return;
        }
        let result = self.writer.write_record([
            self.file.as_str(),
            &rejection
                .line
                .map(|line| line.to_string())
                .unwrap_or_default(),
            &rejection.row.to_string(),
            &neutralise(&rejection.reason.to_string()),
        ]);
        self.error = result.err();
    }

    fn finish(self) -> anyhow::Result<()> {
        if let Some(error) = self.error {
            return Err(error.into());
        }
        self.writer.into_inner()?.flush()?;
        Ok(())
    }
}

/// "entra-json (gzip, UTF-16 LE)": how the input was read.
pub fn describe_format(ingested: &Ingested) -> String {
    let mut details = Vec::new();
    if ingested.gzip {
        details.push("gzip");
    }
    if ingested.encoding != engine::ingest::TextEncoding::Utf8 {
        details.push(ingested.encoding.as_str());
    }
    if details.is_empty() {
        ingested.format.name().to_owned()
    } else {
        format!("{} ({})", ingested.format.name(), details.join(", "))
    }
}

/// Records read = accepted + rejected + skipped, the first rejections, and what was skipped.
pub fn counts(ingested: &Ingested) -> String {
    use service::text::count;
    use std::fmt::Write as _;
    let mut out = format!(
        "  records read {}  =  accepted {}  +  rejected {}  +  skipped {}\n",
        count(ingested.rows_read),
        count(ingested.accepted),
        count(ingested.rejected),
        count(ingested.skipped_total()),
    );
    for rejection in ingested.rejections.iter().take(10) {
        let _ = writeln!(out, "    {}: {}", rejection.location(), rejection.reason);
    }
    if ingested.rejected > 10 {
        let _ = writeln!(
            out,
            "    … {} more rejected (all with --rejects FILE)",
            count(ingested.rejected - 10)
        );
    }
    if !ingested.skipped.is_empty() {
        let mut kinds: Vec<(&String, &u64)> = ingested.skipped.iter().collect();
        kinds.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let listed: Vec<String> = kinds
            .iter()
            .take(8)
            .map(|(kind, number)| format!("{kind} {}", count(**number)))
            .collect();
        let more = kinds.len().saturating_sub(8);
        let _ = writeln!(
            out,
            "    skipped (not sign-ins): {}{}",
            listed.join(", "),
            if more > 0 {
                format!(", … {more} more kinds")
            } else {
                String::new()
            }
        );
    }
    out
}
