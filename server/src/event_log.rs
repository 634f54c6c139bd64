//! Scale-out mode's event log on NATS JetStream: the stream the servers publish accepted logins
//! to ([`JetStreamLog`]) and the workers read each partition of.

use std::time::Duration;

use async_nats::jetstream;
use service::partitions::{STREAM, SUBJECTS, partition_of, subject};
use service::ports::{EventLog, LogUnavailable, Published, PublishedLogin};

/// How long a publish may wait for the stream's acknowledgement, and a readiness check for an
/// answer: ingest answers 503 soon rather than holding shippers.
const ACK_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest a request's logins may take to be published and acknowledged together: a client
/// that stalls while the connection is lost (its buffer full) must not hold the request.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(5);
/// A login published again within this long is kept once (by its id: the message id header).
const DUPLICATE_WINDOW: Duration = Duration::from_secs(10 * 60);
/// How long the stream keeps logins: a partition's checkpoint must be younger, so that a worker
/// taking it over can read on from it.
pub const RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// Connects to `url`, retrying in the background while it does not answer (the first use
/// then fails, and ingest answers 503 until it does).
pub async fn connect(url: &str) -> Result<async_nats::Client, async_nats::ConnectError> {
    async_nats::ConnectOptions::new()
        .name("skytrace")
        .retry_on_initial_connect()
        .connection_timeout(ACK_TIMEOUT)
        .connect(url)
        .await
}

/// The JetStream context of `client`, its requests held to [`ACK_TIMEOUT`].
pub fn context(client: async_nats::Client) -> jetstream::Context {
    let mut context = jetstream::new(client);
    context.set_timeout(ACK_TIMEOUT);
    context
}

/// Makes the stream if it is missing (file storage, the partitioned subjects).
pub async fn ensure_stream(
    context: &jetstream::Context,
) -> Result<jetstream::stream::Stream, jetstream::context::CreateStreamError> {
    context
        .get_or_create_stream(jetstream::stream::Config {
            name: STREAM.to_owned(),
            subjects: vec![SUBJECTS.to_owned()],
            storage: jetstream::stream::StorageType::File,
            max_age: RETENTION,
            duplicate_window: DUPLICATE_WINDOW,
            ..Default::default()
        })
        .await
}

/// The servers' side of the log.
pub struct JetStreamLog {
    client: async_nats::Client,
    context: jetstream::Context,
    stream_made: tokio::sync::OnceCell<()>,
}

impl JetStreamLog {
    pub fn new(client: async_nats::Client) -> Self {
        Self {
            context: context(client.clone()),
            client,
            stream_made: tokio::sync::OnceCell::new(),
        }
    }

    async fn usable(&self) -> Result<(), LogUnavailable> {
        if self.client.connection_state() != async_nats::connection::State::Connected {
            return Err(LogUnavailable("not connected".to_owned()));
        }
        self.stream_made
            .get_or_try_init(|| async {
                ensure_stream(&self.context)
                    .await
                    .map(drop)
                    .map_err(|error| LogUnavailable(error.to_string()))
            })
            .await
            .map(drop)
    }

    async fn publish_all(&self, logins: &[PublishedLogin]) -> Result<(), LogUnavailable> {
        self.usable().await?;
        let unavailable = |error: &dyn std::fmt::Display| LogUnavailable(error.to_string());
        let mut acks = Vec::with_capacity(logins.len());
        for login in logins {
            let payload = serde_json::to_vec(login).map_err(|error| unavailable(&error))?;
            let mut headers = async_nats::HeaderMap::new();
            headers.insert(
                async_nats::header::NATS_MESSAGE_ID,
                format!("{}/{}", login.source, login.login_id).as_str(),
            );
            let partition = partition_of(&login.login.user_id);
            acks.push(
                self.context
                    .publish_with_headers(
                        subject(&login.source, partition),
                        headers,
                        payload.into(),
                    )
                    .await
                    .map_err(|error| unavailable(&error))?,
            );
        }
        for ack in acks {
            ack.await.map_err(|error| unavailable(&error))?;
        }
        Ok(())
    }
}

impl EventLog for JetStreamLog {
    fn publish<'a>(&'a self, logins: &'a [PublishedLogin]) -> Published<'a> {
        Box::pin(async move {
            tokio::time::timeout(PUBLISH_TIMEOUT, self.publish_all(logins))
                .await
                .unwrap_or_else(|_| {
                    Err(LogUnavailable(format!(
                        "not acknowledged within {} s",
                        PUBLISH_TIMEOUT.as_secs()
                    )))
                })
        })
    }

    fn reachable(&self) -> Published<'_> {
        Box::pin(async move {
            self.usable().await?;
            self.context
                .get_stream(STREAM)
                .await
                .map(drop)
                .map_err(|error| LogUnavailable(error.to_string()))
        })
    }
}
