//! `skytrace notify-test`, and the alerts after `skytrace analyze --notify`, recorded in the
//! notification log of the database `skytrace serve` uses.

use std::path::Path;
use std::process::ExitCode;

use alerts::{DeliveryReport, Dispatcher, NotificationsConfig};
use anyhow::Context;
use engine::Analysis;
use service::notify::dispatch_logged;
use store::Store;

use super::runtime;
use crate::cli::NotifyTestArgs;

/// Where earlier versions kept the sent-log, in the data directory; moved into the database.
pub const SENT_LOG_FILE: &str = "notifications-sent.json";

/// `skytrace notify-test`: a test message on every configured channel.
pub fn notify_test(args: &NotifyTestArgs) -> anyhow::Result<ExitCode> {
    let notifications = crate::config_file::notifications(Some(&args.config))?
        .filter(NotificationsConfig::has_channels)
        .with_context(|| {
            format!(
                "{} has no [notifications.smtp], [notifications.sendgrid] or [notifications.webhook] section",
                args.config.display()
            )
        })?;
    let dispatcher = Dispatcher::new(notifications);
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let report = runtime()?.block_on(dispatcher.send_test(now_ms));
    for line in report.lines() {
        println!("{line}");
    }
    Ok(if report.failures() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Sends the analysis's alerts, recorded in the notification log of the database (`database`,
/// else the data directory's SQLite file); delivery problems are printed, never returned.
pub fn notify_analysis(
    notifications: &NotificationsConfig,
    analysis: &Analysis,
    data_dir: &Path,
    database: Option<&str>,
) -> DeliveryReport {
    let alerts = alerts::alerts_from_analysis(analysis, &notifications.rules());
    let mut report = DeliveryReport::default();
    if alerts.is_empty() {
        println!(
            "notifications: nothing at or above {}",
            notifications.min_level
        );
        return report;
    }
    let sent = (|| -> anyhow::Result<DeliveryReport> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
        let url = database.map_or_else(|| Store::sqlite_url(data_dir), str::to_owned);
        let dispatcher = Dispatcher::new(notifications.clone());
        runtime()?.block_on(async {
            let store = Store::open(&url).await?;
            store
                .import_sent_log_file(&data_dir.join(SENT_LOG_FILE))
                .await?;
            Ok(dispatch_logged(&store, &dispatcher, &alerts, None).await?)
        })
    })();
    match sent {
        Ok(sent) => report = sent,
        Err(error) => {
            eprintln!("skytrace: notifications not sent: {error:#}");
            return report;
        }
    }
    println!("notifications: {} alerts", alerts.len());
    for line in report.lines() {
        println!("  {line}");
    }
    if report.failures() > 0 {
        eprintln!(
            "skytrace: {} notification deliveries failed (they are retried on the next run)",
            report.failures()
        );
    }
    report
}
