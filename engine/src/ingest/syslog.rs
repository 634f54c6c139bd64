//! sshd sign-ins from a Linux `auth.log` (Debian, Ubuntu) or `secure` (RHEL) file.
//!
//! Lines look like `Mar  3 14:02:11 web1 sshd[812]: Failed password for root from 203.0.113.5
//! port 40022 ssh2`, or start with an RFC 3339 time when rsyslog is set to high precision.
//! Classic lines carry no year and no zone: the zone is the caller's (`--timezone`, the host's
//! zone) and the year is the caller's (`--year`), or else the year of the reference time (the
//! file's modification time) — the previous year when that would put the line more than a week
//! after the reference.
//!
//! A login is `Accepted …`, `Failed …` or `Invalid user … from …`. sshd writes `Invalid user`
//! once per connection and `Failed password for invalid user` once per guess; the notice counts
//! as an attempt only when no guess from the same sshd process follows it, so nothing is
//! counted twice. `message repeated N times: [ … ]` expands into its N attempts. Other lines
//! are skipped and counted by program.

use std::collections::HashMap;
use std::io::BufRead;

use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use super::values::parse_ip;
use super::{Collector, IngestOptions, RejectReason};
use crate::LoginEvent;
use crate::time::TimestampError;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
/// How far past the reference time a year-less line may fall before it is put in the year before.
const FUTURE_TOLERANCE_MS: i64 = 7 * 24 * 3600 * 1000;
/// rsyslog folds repeats within a flush interval (seconds), so real counts are small; a larger
/// count is a damaged or forged line and is rejected rather than expanded.
const MAX_REPEATS: u32 = 10_000;
/// Connections with an `Invalid user` notice waiting for a guess; beyond this they are emitted.
const MAX_PENDING_NOTICES: usize = 65_536;

/// The time part of a line.
pub enum Stamp<'a> {
    /// `Mar  3 14:02:11`: month (1-based), day, hour, minute, second.
    Classic([i8; 5]),
    Rfc3339(&'a str),
}

pub struct Prefix<'a> {
    pub stamp: Stamp<'a>,
    pub program: &'a str,
    pub pid: Option<u32>,
    pub message: &'a str,
}

/// Splits a syslog line into time, program, pid and message.
pub fn split_prefix(line: &str) -> Option<Prefix<'_>> {
    let (stamp, rest) = if line.len() >= 16 && MONTHS.contains(&line.get(..3)?) {
        let month = MONTHS.iter().position(|m| *m == &line[..3])? as i8 + 1;
        let day: i8 = line.get(4..6)?.trim().parse().ok()?;
        let clock = line.get(7..15)?;
        let mut parts = clock.split(':').map(|part| part.parse::<i8>().ok());
        let (hour, minute, second) = (parts.next()??, parts.next()??, parts.next()??);
        if line.as_bytes()[15] != b' ' {
            return None;
        }
        (
            Stamp::Classic([month, day, hour, minute, second]),
            &line[16..],
        )
    } else {
        let (stamp, rest) = line.split_once(' ')?;
        let looks_iso = stamp.len() >= 19
            && stamp.as_bytes()[4] == b'-'
            && stamp.as_bytes()[10] == b'T'
            && stamp.as_bytes()[..4].iter().all(u8::is_ascii_digit);
        if !looks_iso {
            return None;
        }
        (Stamp::Rfc3339(stamp), rest)
    };
    let (_host, rest) = rest.split_once(' ')?;
    let (word, message) = rest.split_once(' ')?;
    // `sshd[812]:`; rsyslog's traditional forwarding format drops the colon of a `sshd[812]`
    // tag that reached it as RFC 5424.
    let tag = match word.strip_suffix(':') {
        Some(tag) => tag,
        None if word.ends_with(']') => word,
        None => return None,
    };
    let (program, pid) = match tag.split_once('[') {
        Some((program, pid)) => (program, pid.strip_suffix(']')?.parse().ok()),
        None => (tag, None),
    };
    if program.is_empty() || program.contains(' ') {
        return None;
    }
    Some(Prefix {
        stamp,
        program,
        pid,
        message,
    })
}

/// A syslog message as received over the network (RFC 5424, or RFC 3164 as rsyslog and
/// util-linux `logger` send it), written as the log line [`read`] takes: the `<PRI>` dropped,
/// an RFC 5424 header turned into `TIMESTAMP HOST APP[PROCID]: MSG`. `None` when it is neither.
pub fn network_line(message: &str) -> Option<String> {
    let message = message.trim_end_matches(['\r', '\n', '\0']);
    let rest = message.strip_prefix('<')?;
    let (priority, rest) = rest.split_once('>')?;
    if priority.is_empty() || priority.len() > 3 || !priority.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let Some(rest) = rest.strip_prefix("1 ") else {
        // RFC 3164: what follows the priority is a classic log line.
        return split_prefix(rest).is_some().then(|| rest.to_owned());
    };
    let mut fields = rest.splitn(6, ' ');
    let (stamp, host, app, procid, _msgid, rest) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    if stamp == "-" || app == "-" {
        return None;
    }
    let text = skip_structured_data(rest)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let tag = if procid == "-" {
        app.to_owned()
    } else {
        format!("{app}[{procid}]")
    };
    Some(format!("{stamp} {host} {tag}: {text}"))
}

/// The MSG after RFC 5424's STRUCTURED-DATA (`-`, or `[id name="value" …]` elements, where
/// `\"`, `\\` and `\]` are escaped inside values).
fn skip_structured_data(rest: &str) -> Option<&str> {
    if let Some(text) = rest.strip_prefix('-') {
        return Some(text.strip_prefix(' ').unwrap_or(text));
    }
    let bytes = rest.as_bytes();
    let mut at = 0;
    while bytes.get(at) == Some(&b'[') {
        let mut quoted = false;
        at += 1;
        loop {
            match *bytes.get(at)? {
                b'\\' if quoted => at += 1,
                b'"' => quoted = !quoted,
                b']' if !quoted => break,
                _ => {}
            }
            at += 1;
        }
        at += 1;
    }
    let text = rest.get(at..)?;
    Some(text.strip_prefix(' ').unwrap_or(text))
}

struct Attempt<'a> {
    success: bool,
    user: &'a str,
    ip: &'a str,
    reason: Option<String>,
    invalid_notice: bool,
    repeats: u32,
}

/// The sign-in in an sshd message, if it is one.
fn attempt(message: &str) -> Option<Attempt<'_>> {
    let (message, repeats) = match message
        .strip_prefix("message repeated ")
        .and_then(|rest| rest.split_once(" times: [ "))
    {
        Some((count, inner)) => (inner.trim_end_matches(']').trim_end(), count.parse().ok()?),
        None => (message, 1),
    };
    if let Some(rest) = message.strip_prefix("Invalid user ") {
        let (user, rest) = rest.rsplit_once(" from ")?;
        let ip = rest.split(' ').next()?;
        return Some(Attempt {
            success: false,
            user,
            ip,
            reason: Some("invalid user".to_owned()),
            invalid_notice: true,
            repeats,
        });
    }
    let (success, rest) = if let Some(rest) = message.strip_prefix("Accepted ") {
        (true, rest)
    } else {
        (false, message.strip_prefix("Failed ")?)
    };
    let (method, rest) = rest.split_once(" for ")?;
    let (user, rest) = rest.rsplit_once(" from ")?;
    let ip = rest.split(' ').next()?;
    let (user, invalid) = match user.strip_prefix("invalid user ") {
        Some(user) => (user, true),
        None => (user, false),
    };
    let reason = (!success).then(|| {
        if invalid {
            format!("failed {method} for invalid user")
        } else {
            format!("failed {method}")
        }
    });
    Some(Attempt {
        success,
        user,
        ip,
        reason,
        invalid_notice: false,
        repeats,
    })
}

pub fn read(reader: &mut dyn BufRead, options: &IngestOptions, out: &mut Collector<'_>) {
    let mut pending: HashMap<u32, (LoginEvent, u64)> = HashMap::new();
    let mut raw = Vec::new();
    let mut number = 0u64;
    loop {
        raw.clear();
        match super::source::read_line(reader, &mut raw) {
            Ok((0, _)) => break,
            Ok((_, false)) => {}
            Ok((_, true)) => {
                number += 1;
                let limit_bytes = super::MAX_LINE_BYTES;
                out.push(Err(RejectReason::LineTooLong { limit_bytes }), Some(number));
                continue;
            }
            Err(error) => {
                out.stop_early(Some(number + 1), error.to_string());
                break;
            }
        }
        number += 1;
        let Ok(line) = std::str::from_utf8(&raw) else {
            out.push(Err(RejectReason::NotUtf8), Some(number));
            continue;
        };
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        let Some(prefix) = split_prefix(line) else {
            out.push(Err(RejectReason::NotSyslog), Some(number));
            continue;
        };
        if prefix.program != "sshd" {
            out.skip(prefix.program.to_owned());
            continue;
        }
        let Some(attempt) = attempt(prefix.message) else {
            out.skip("sshd (not a sign-in)".to_owned());
            continue;
        };
        if attempt.repeats > MAX_REPEATS {
            out.push(Err(RejectReason::Repeats(attempt.repeats)), Some(number));
            continue;
        }
        let guess_after_notice = |(event, _): &(LoginEvent, u64)| {
            !attempt.success
                && !attempt.invalid_notice
                && attempt
                    .reason
                    .as_deref()
                    .is_some_and(|r| r.ends_with("invalid user"))
                && event.user_id == attempt.user
                && parse_ip(attempt.ip) == Some(event.ip)
        };
        if let Some(pid) = prefix.pid
            && pending.get(&pid).is_some_and(guess_after_notice)
        {
            pending.remove(&pid);
            out.skip("sshd invalid-user notice (followed by a guess)".to_owned());
        } else if let Some(pid) = prefix.pid
            && let Some((event, line)) = pending.remove(&pid)
        {
            out.push(Ok(event), Some(line));
        }
        let event = timestamp(&prefix.stamp, options).and_then(|timestamp_ms| {
            let ip = parse_ip(attempt.ip)
                .ok_or_else(|| RejectReason::IpAddress(attempt.ip.to_owned()))?;
            if attempt.user.trim().is_empty() {
                return Err(RejectReason::EmptyUser);
            }
            Ok(LoginEvent {
                timestamp_ms,
                user_id: attempt.user.to_owned(),
                ip,
                success: Some(attempt.success),
                failure_reason: attempt.reason.as_deref().map(Box::from),
                ..LoginEvent::default()
            })
        });
        match (event, prefix.pid) {
            (Ok(event), Some(pid)) if attempt.invalid_notice => {
                if pending.len() >= MAX_PENDING_NOTICES {
                    flush(&mut pending, out);
                }
                pending.insert(pid, (event, number));
            }
            (Ok(event), _) => {
                for _ in 1..attempt.repeats {
                    out.push(Ok(event.clone()), Some(number));
                }
                out.push(Ok(event), Some(number));
            }
            (Err(reason), _) => out.push(Err(reason), Some(number)),
        }
    }
    flush(&mut pending, out);
}

fn flush(pending: &mut HashMap<u32, (LoginEvent, u64)>, out: &mut Collector<'_>) {
    let mut waiting: Vec<(LoginEvent, u64)> = pending.drain().map(|(_, entry)| entry).collect();
    waiting.sort_by_key(|(_, line)| *line);
    for (event, line) in waiting {
        out.push(Ok(event), Some(line));
    }
}

fn timestamp(stamp: &Stamp<'_>, options: &IngestOptions) -> Result<i64, RejectReason> {
    match stamp {
        Stamp::Rfc3339(text) => Ok(crate::time::parse_timestamp(text, &options.timezone)?),
        Stamp::Classic([month, day, hour, minute, second]) => {
            let at = |year: i16| -> Option<i64> {
                let civil = DateTime::new(year, *month, *day, *hour, *minute, *second, 0).ok()?;
                let zone: &TimeZone = &options.timezone;
                zone.to_ambiguous_timestamp(civil)
                    .compatible()
                    .ok()
                    .map(|instant| instant.as_millisecond())
            };
            let written = format!(
                "{} {day} {hour:02}:{minute:02}:{second:02}",
                MONTHS[(*month as usize).saturating_sub(1) % 12]
            );
            let invalid = || RejectReason::Timestamp(TimestampError::Unrecognised(written.clone()));
            let timestamp_ms = if let Some(year) = options.syslog_year {
                at(year).ok_or_else(invalid)?
            } else {
                let reference_ms = options.reference_ms.ok_or(RejectReason::NoYear)?;
                let year = jiff::Timestamp::from_millisecond(reference_ms)
                    .map(|instant| options.timezone.to_datetime(instant).year())
                    .map_err(|_| RejectReason::NoYear)?;
                match at(year) {
                    Some(ms) if ms <= reference_ms + FUTURE_TOLERANCE_MS => ms,
                    // Past the reference, or 29 February in a common year: the year before.
                    _ => at(year - 1).ok_or_else(invalid)?,
                }
            };
            Ok(crate::time::check_range(timestamp_ms, &written)?)
        }
    }
}
