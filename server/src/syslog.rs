//! `skytrace serve --syslog-listen ADDR`: sshd sign-ins forwarded by rsyslog, syslog-ng or
//! util-linux `logger`, as RFC 5424 or RFC 3164 messages over UDP (one per datagram) and TCP
//! (newline or octet-counting framing, RFC 6587), scored as they arrive in one source.
//!
//! Messages are gathered for at most [`GATHER`] (or [`BATCH_MESSAGES`]) and read as one piece
//! of `auth.log` ([`engine::ingest::network_line`]), so sshd's `Invalid user` notice and the
//! guess after it count once, as in a file. Lines that are not sign-ins are skipped; messages
//! that are not syslog, and sign-ins the monitor rejects, are logged with the reason. When the
//! monitor's queue is full the batch waits and TCP senders are held back; UDP has no way to
//! hold a sender back, so datagrams past [`QUEUE_MESSAGES`] waiting are dropped and counted.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use engine::ingest::{RecordOutcome, network_line};
use service::monitor::{Monitor, MonitorError, RecordVerdict};
use service::source::SourceName;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;

use crate::lines::records_of_lines;

/// Longest message taken (RFC 5425 asks receivers for at least 2 KiB; rsyslog's default
/// maximum is 8 KiB).
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Messages waiting to be scored; past it TCP readers wait and datagrams are dropped.
const QUEUE_MESSAGES: usize = 65_536;
const BATCH_MESSAGES: usize = 1_000;
const GATHER: Duration = Duration::from_millis(50);

/// Listens on `addr` (UDP and TCP) and scores what arrives in `source`; returns once bound.
pub async fn listen(
    addr: SocketAddr,
    source: SourceName,
    monitor: Monitor,
) -> std::io::Result<SocketAddr> {
    let tcp = TcpListener::bind(addr).await?;
    let bound = tcp.local_addr()?;
    let udp = UdpSocket::bind(bound).await?;
    let (messages, waiting) = mpsc::channel(QUEUE_MESSAGES);
    let dropped = Arc::new(AtomicU64::new(0));
    tokio::spawn(receive_datagrams(udp, messages.clone(), dropped));
    tokio::spawn(accept_streams(tcp, messages));
    tokio::spawn(score(waiting, source, monitor));
    Ok(bound)
}

async fn receive_datagrams(
    udp: UdpSocket,
    messages: mpsc::Sender<String>,
    dropped: Arc<AtomicU64>,
) {
    let mut buffer = vec![0u8; MAX_MESSAGE_BYTES];
    loop {
        let length = match udp.recv_from(&mut buffer).await {
            Ok((length, _)) => length,
            Err(error) => {
                tracing::warn!(%error, "syslog: a datagram could not be read");
                continue;
            }
        };
        let message = String::from_utf8_lossy(&buffer[..length]).into_owned();
        if let Err(mpsc::error::TrySendError::Full(_)) = messages.try_send(message) {
            let count = dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if count.is_power_of_two() {
                tracing::warn!(dropped = count, "syslog: queue full, UDP messages dropped");
            }
        }
    }
}

async fn accept_streams(tcp: TcpListener, messages: mpsc::Sender<String>) {
    loop {
        match tcp.accept().await {
            Ok((stream, peer)) => {
                tokio::spawn(read_stream(stream, peer, messages.clone()));
            }
            Err(error) => {
                tracing::warn!(%error, "syslog: a connection could not be accepted");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// The messages of one TCP connection, each framed by its length (`LEN SP MSG`) or by a line
/// end, whichever the first byte says.
async fn read_stream(stream: TcpStream, peer: SocketAddr, messages: mpsc::Sender<String>) {
    let mut reader = BufReader::new(stream);
    loop {
        let first = match reader.fill_buf().await {
            Ok([]) => return,
            Ok(bytes) => bytes[0],
            Err(error) => {
                tracing::debug!(%peer, %error, "syslog: connection ended");
                return;
            }
        };
        let framed = if first.is_ascii_digit() {
            octet_counted(&mut reader).await
        } else {
            line(&mut reader).await
        };
        match framed {
            Ok(Some(message)) => {
                if messages.send(message).await.is_err() {
                    return;
                }
            }
            Ok(None) => {}
            Err(reason) => {
                tracing::warn!(%peer, %reason, "syslog: connection closed");
                return;
            }
        }
    }
}

async fn octet_counted(reader: &mut BufReader<TcpStream>) -> Result<Option<String>, String> {
    let mut digits = Vec::new();
    reader
        .read_until(b' ', &mut digits)
        .await
        .map_err(|error| error.to_string())?;
    let length: usize = std::str::from_utf8(digits.trim_ascii())
        .ok()
        .and_then(|digits| digits.parse().ok())
        .ok_or_else(|| format!("bad octet count {:?}", String::from_utf8_lossy(&digits)))?;
    if length > MAX_MESSAGE_BYTES {
        return Err(format!(
            "a message of {length} bytes (at most {MAX_MESSAGE_BYTES})"
        ));
    }
    let mut message = vec![0; length];
    reader
        .read_exact(&mut message)
        .await
        .map_err(|error| error.to_string())?;
    Ok(Some(String::from_utf8_lossy(&message).into_owned()))
}

async fn line(reader: &mut BufReader<TcpStream>) -> Result<Option<String>, String> {
    let mut message = Vec::new();
    let read = (&mut *reader)
        .take(MAX_MESSAGE_BYTES as u64 + 1)
        .read_until(b'\n', &mut message)
        .await
        .map_err(|error| error.to_string())?;
    if read > MAX_MESSAGE_BYTES {
        return Err(format!("a line longer than {MAX_MESSAGE_BYTES} bytes"));
    }
    let message = String::from_utf8_lossy(message.trim_ascii());
    Ok((!message.is_empty()).then(|| message.into_owned()))
}

/// Gathers messages into batches and scores them, one batch at a time, in arrival order.
async fn score(mut waiting: mpsc::Receiver<String>, source: SourceName, monitor: Monitor) {
    while let Some(first) = waiting.recv().await {
        let mut batch = vec![first];
        let until = tokio::time::Instant::now() + GATHER;
        while batch.len() < BATCH_MESSAGES {
            match tokio::time::timeout_at(until, waiting.recv()).await {
                Ok(Some(message)) => batch.push(message),
                Ok(None) | Err(_) => break,
            }
        }
        let records = read_batch(&batch);
        if records.is_empty() {
            continue;
        }
        keep(&monitor, &source, records).await;
    }
}

/// The sign-ins in a batch of messages, read together as `auth.log` lines.
fn read_batch(batch: &[String]) -> Vec<RecordOutcome> {
    let lines: Vec<(u64, String)> = batch
        .iter()
        .filter_map(|message| {
            let line = network_line(message);
            if line.is_none() {
                tracing::warn!(message = %message.chars().take(200).collect::<String>(),
                    "syslog: not an RFC 5424 or RFC 3164 message");
            }
            line
        })
        .enumerate()
        .map(|(index, line)| (index as u64 + 1, line))
        .collect();
    records_of_lines(&lines)
        .into_iter()
        .filter_map(|(_, record)| match record.read() {
            RecordOutcome::Event(login) => Some(RecordOutcome::Event(login)),
            RecordOutcome::Rejected(reason) => {
                tracing::warn!(%reason, "syslog: sign-in line rejected");
                None
            }
            RecordOutcome::Skipped(_) => None,
        })
        .collect()
}

/// Scores and keeps `records`, waiting while the monitor is busy.
async fn keep(monitor: &Monitor, source: &SourceName, records: Vec<RecordOutcome>) {
    loop {
        match monitor.submit_read(source.clone(), records.clone()).await {
            Ok(monitored) => {
                for result in &monitored.results {
                    if let RecordVerdict::Rejected { reason, .. } = result {
                        tracing::warn!(%source, %reason, "syslog: sign-in rejected");
                    }
                }
                return;
            }
            Err(MonitorError::Busy | MonitorError::Unavailable(_)) => {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(error) => {
                tracing::error!(%error, %source, lost = records.len(),
                    "syslog: sign-ins could not be kept");
                return;
            }
        }
    }
}
