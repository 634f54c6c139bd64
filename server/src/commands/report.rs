//! `skytrace report`: a report or export for a log file or a kept analysis.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use engine::DataProfile;
use engine::figures::Conclusions;
use reports::{Filter, RenderOptions, ReportFormat, ReportInput, render_with};
use service::kept::KeptRun;
use service::ports::RunStore;

use super::profile::EXIT_UNUSABLE_INPUT;
use crate::cli::ReportArgs;
use store::Store;

pub fn run(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let format = args
        .out
        .file_name()
        .and_then(|name| name.to_str())
        .and_then(ReportFormat::from_file_name)
        .with_context(|| {
            format!(
                "cannot tell the format from {}: use a .pdf, .csv or .json file name \
                 (or .ecs.ndjson, .ocsf.ndjson for the scored logins)",
                args.out.display()
            )
        })?;
    if !args.kind.formats().contains(&format) {
        let formats: Vec<&str> = args.kind.formats().iter().map(|f| f.name()).collect();
        anyhow::bail!(
            "{} reports are written as {}, not {}",
            args.kind.name(),
            formats.join(", "),
            format.name()
        );
    }
    let filter = Filter::parse(
        args.level.as_deref(),
        args.from.as_deref(),
        args.to.as_deref(),
    )?;
    let options = RenderOptions {
        pdf_incidents: args.top,
    };
    let path = Path::new(&args.input);
    let bytes = if path.exists() || args.input == "-" {
        let settings = crate::config_file::input(args.config.as_deref())?;
        let ingested = match crate::input::read(&args.reading, &settings, path)? {
            Ok(ingested) => ingested,
            Err(error) => {
                eprintln!("skytrace: cannot analyse {}: {error}", path.display());
                return Ok(ExitCode::from(EXIT_UNUSABLE_INPUT));
            }
        };
        let config = super::analyze::load_config(args.config.as_deref())?;
        let geo = super::lookup::open_for(&args.geo)?;
        let analysis = super::analyze::analyze_with_progress(&ingested, &config, geo.as_ref())?;
        let profile = DataProfile::of(&ingested);
        let name = path.file_name().map_or_else(
            || args.input.clone(),
            |name| name.to_string_lossy().into_owned(),
        );
        let input = ReportInput {
            source_name: &name,
            analysis_id: None,
            profile: &profile,
            settings: &analysis.config,
            geo_data: analysis.geo_data.as_deref(),
            events: &analysis.events,
            logins: &ingested.events,
            conclusions: &Conclusions::of(&analysis),
        };
        render_with(args.kind, format, &input, &filter, &options)?
    } else {
        let kept = kept_run(args)?;
        render_with(
            args.kind,
            format,
            &kept.report_input(&kept.conclusions()),
            &filter,
            &options,
        )?
    };
    std::fs::write(&args.out, &bytes)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!(
        "wrote {} ({} {}, {} bytes; {})",
        args.out.display(),
        args.kind.label(),
        format.name().to_uppercase(),
        bytes.len(),
        filter.describe()
    );
    Ok(ExitCode::SUCCESS)
}

/// The kept analysis named by `args.input`, from the database (never created here).
fn kept_run(args: &ReportArgs) -> anyhow::Result<KeptRun> {
    let database = match &args.database {
        Some(url) => url.clone(),
        None => {
            let file = args.data_dir.join("skytrace.db");
            anyhow::ensure!(
                file.exists(),
                "{} is neither a file nor a kept analysis (there is no database at {})",
                args.input,
                file.display()
            );
            Store::sqlite_url(&args.data_dir)
        }
    };
    super::runtime()?.block_on(async {
        let store = Store::open(&database).await?;
        let mut kept = store
            .run(&args.input)
            .await?
            .with_context(|| format!("{} is neither a file nor a kept analysis", args.input))?;
        kept.logins = store.logins(&args.input).await?.unwrap_or_default().into();
        Ok(kept)
    })
}
