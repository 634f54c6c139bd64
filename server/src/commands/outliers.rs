//! `skytrace outliers`: the Isolation Forest on any numeric table.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use isolation_forest::{IsolationForestParams, Matrix, fit};

use super::profile::EXIT_UNUSABLE_INPUT;
use crate::cli::OutliersArgs;

/// A numeric table read from CSV: kept rows (with their 1-based data row number) and columns.
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<u64>,
    pub values: Vec<f64>,
    pub rejected: Vec<(u64, String)>,
    pub rows_read: u64,
}

pub fn read_table(path: &Path, exclude: &[String]) -> anyhow::Result<Table> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let header = reader.headers()?.clone();
    for name in exclude {
        if !header.iter().any(|column| column == name) {
            bail!(
                "--exclude {name:?}: no such column (columns: {})",
                header.iter().collect::<Vec<_>>().join(", ")
            );
        }
    }
    let kept: Vec<usize> = (0..header.len())
        .filter(|&index| !exclude.iter().any(|name| name == &header[index]))
        .collect();
    if kept.is_empty() {
        bail!("no columns left to score after --exclude");
    }
    let mut table = Table {
        columns: kept.iter().map(|&index| header[index].to_owned()).collect(),
        rows: Vec::new(),
        values: Vec::new(),
        rejected: Vec::new(),
        rows_read: 0,
    };
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                table.rows_read += 1;
                table
                    .rejected
                    .push((line, format!("unreadable record: {error}")));
                continue;
            }
        }
        table.rows_read += 1;
        if record.len() != header.len() {
            table.rejected.push((
                line,
                format!("expected {} fields, found {}", header.len(), record.len()),
            ));
            continue;
        }
        let parsed: Result<Vec<f64>, String> = kept
            .iter()
            .map(|&index| {
                let cell = record[index].trim();
                cell.parse::<f64>()
                    .ok()
                    .filter(|value| value.is_finite())
                    .ok_or_else(|| {
                        format!("column {}: {cell:?} is not a finite number", &header[index])
                    })
            })
            .collect();
        match parsed {
            Ok(values) => {
                table.rows.push(table.rows_read);
                table.values.extend(values);
            }
            Err(reason) => table.rejected.push((line, reason)),
        }
    }
    Ok(table)
}

pub fn run(args: &OutliersArgs) -> anyhow::Result<ExitCode> {
    let params = IsolationForestParams::default()
        .n_trees(args.trees)
        .sample_size(args.sample)
        .seed(args.seed);
    params.check_ref()?;
    let table = read_table(&args.table, &args.exclude)?;
    if table.rows.is_empty() {
        eprintln!(
            "skytrace: {}: no numeric rows to score",
            args.table.display()
        );
        return Ok(ExitCode::from(EXIT_UNUSABLE_INPUT));
    }
    let started = Instant::now();
    let matrix = Matrix::new(&table.values, table.columns.len())?;
    let forest = fit(&params, matrix)?;
    let scores = forest.score_many(matrix);
    let elapsed = started.elapsed();

    let mut out = BufWriter::new(
        File::create(&args.out).with_context(|| format!("cannot write {}", args.out.display()))?,
    );
    writeln!(out, "row,score")?;
    for (row, score) in table.rows.iter().zip(&scores) {
        writeln!(out, "{row},{score:.6}")?;
    }
    out.flush()?;
    eprintln!(
        "{}: rows read {} = scored {} + rejected {}; {} columns ({}); fit+score {:.1} ms",
        args.table.display(),
        table.rows_read,
        table.rows.len(),
        table.rejected.len(),
        table.columns.len(),
        table.columns.join(", "),
        elapsed.as_secs_f64() * 1000.0
    );
    for (line, reason) in table.rejected.iter().take(20) {
        eprintln!("  line {line}: {reason}");
    }
    Ok(ExitCode::SUCCESS)
}
