use engine::{DataProfile, time::format_utc};
use leptos::prelude::*;

use crate::format::count;

/// Where a profile was computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Analysed {
    OnServer,
    InBrowser,
}

/// The answer to "profile this file", from either place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileOutcome {
    pub file_name: String,
    pub analysed: Analysed,
    pub result: Result<DataProfile, String>,
}

#[component]
pub fn ProfileView(outcome: ProfileOutcome) -> impl IntoView {
    let badge = match outcome.analysed {
        Analysed::OnServer => {
            view! { <span class="badge" data-testid="analysed-where">"Analysed on the server"</span> }
        }
        Analysed::InBrowser => view! {
            <span class="badge local" data-testid="analysed-where">"Analysed locally — nothing left your browser"</span>
        },
    };
    match outcome.result {
        Err(message) => view! {
            <section class="result error" role="alert" data-testid="profile-error">
                <h2>"Cannot analyse " {outcome.file_name}</h2>
                <p>{message}</p>
                {badge}
            </section>
        }
        .into_any(),
        Ok(profile) => view! {
            <section class="result" data-testid="profile">
                <header class="result-header">
                    <h2>"Profile of " {outcome.file_name}</h2>
                    {badge}
                </header>
                <ProfileStats profile=profile.clone() />
                <RejectedRows profile />
            </section>
        }
        .into_any(),
    }
}

#[component]
fn ProfileStats(profile: DataProfile) -> impl IntoView {
    let time_or_dash = |ms: Option<i64>| ms.map(format_utc).unwrap_or_else(|| "—".to_owned());
    let mut format = profile.format.label().to_owned();
    if profile.gzip {
        format.push_str(", gzip");
    }
    if profile.encoding != engine::ingest::TextEncoding::Utf8 {
        format = format!("{format}, {}", profile.encoding.as_str());
    }
    let stats = [
        ("format", "Format", format),
        ("rows-read", "Records read", count(profile.rows_read)),
        ("accepted", "Accepted", count(profile.accepted)),
        ("rejected", "Rejected", count(profile.rejected)),
        (
            "skipped",
            "Skipped (not sign-ins)",
            count(profile.skipped_total()),
        ),
        ("users", "Distinct users", count(profile.distinct_users)),
        ("ips", "Distinct IP addresses", count(profile.distinct_ips)),
        ("successes", "Successful logins", count(profile.successes)),
        ("failures", "Failed logins", count(profile.failures)),
        (
            "first-seen",
            "First login",
            time_or_dash(profile.first_timestamp_ms),
        ),
        (
            "last-seen",
            "Last login",
            time_or_dash(profile.last_timestamp_ms),
        ),
    ];
    view! {
        <dl class="stats">
            {stats
                .into_iter()
                .map(|(id, label, value)| {
                    view! {
                        <div class="stat">
                            <dt>{label}</dt>
                            <dd data-testid=id>{value}</dd>
                        </div>
                    }
                })
                .collect_view()}
        </dl>
        {(!profile.columns.is_empty())
            .then(|| {
                view! {
                    <p class="muted">
                        "Columns: " {profile.columns.join(", ")}
                        {(!profile.extra_columns.is_empty())
                            .then(|| {
                                format!(" (passed through: {})", profile.extra_columns.join(", "))
                            })}
                    </p>
                }
            })}
        {(!profile.skipped.is_empty())
            .then(|| {
                let kinds = profile
                    .skipped
                    .iter()
                    .map(|(kind, number)| format!("{kind} ({})", count(*number)))
                    .collect::<Vec<_>>()
                    .join(", ");
                view! {
                    <p class="muted" data-testid="skipped-kinds">
                        "Skipped, by event type: " {kinds}
                    </p>
                }
            })}
    }
}

#[component]
fn RejectedRows(profile: DataProfile) -> impl IntoView {
    if profile.rejected == 0 {
        return view! { <p class="ok" data-testid="no-rejections">"Every record was accepted."</p> }
            .into_any();
    }
    let shown = profile.rejected_rows.len() as u64;
    view! {
        <h3>"Rejected records"</h3>
        <p class="muted">
            {if shown < profile.rejected {
                format!("The first {} of {} rejected records:", count(shown), count(profile.rejected))
            } else {
                format!("All {} rejected records:", count(profile.rejected))
            }}
        </p>
        <div class="table-scroll">
            <table class="rejections" data-testid="rejections">
                <thead>
                    <tr>
                        <th scope="col">"Where"</th>
                        <th scope="col">"Reason"</th>
                    </tr>
                </thead>
                <tbody>
                    {profile
                        .rejected_rows
                        .into_iter()
                        .map(|row| {
                            view! {
                                <tr>
                                    <td>{row.location()}</td>
                                    <td>{row.reason}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
