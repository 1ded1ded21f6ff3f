//! The production backend: NATS JetStream. One stream per kind (facts, decisions) with subjects as in
//! ARCHITECTURE.md, created when missing and never downgraded. The event id travels in `Nats-Msg-Id` (JetStream drops
//! a duplicate within its window; the projector also ignores ids it has seen, since history is years),
//! an expected position in `Nats-Expected-Last-Sequence`.

use std::sync::Arc;
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, consumer, context::PublishErrorKind, stream};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use repasse_proto::Timestamp;
use tokio::sync::Mutex;

use crate::{
    Appended, Error, EventLog, MAX_READ_BATCH, NewRecord, Position, Record, Result, validate,
};

pub const MSG_ID: &str = "Nats-Msg-Id";
pub const EXPECTED_LAST_SEQUENCE: &str = "Nats-Expected-Last-Sequence";
pub const EXPECTED_LAST_MSG_ID: &str = "Nats-Expected-Last-Msg-Id";

/// In a chained batch (`append_after`), one record in this many asks for an acknowledgement.
pub const ACK_EVERY: usize = 256;

/// How long a read waits for a record known to exist before recreating its consumer, and how often.
const READ_STALL: std::time::Duration = std::time::Duration::from_secs(10);
const MAX_READ_STALLS: u32 = 3;

#[derive(Clone, Debug)]
pub struct NatsConfig {
    pub stream: String,
    pub subjects: Vec<String>,
    /// 1 on one server; 3 on the production cluster.
    pub replicas: usize,
    /// Publishes awaiting their ack at once: bounded back-pressure.
    pub max_in_flight: usize,
    /// JetStream's deduplication window.
    pub duplicate_window: Duration,
}

impl NatsConfig {
    pub fn facts() -> NatsConfig {
        NatsConfig::new("REPASSE_FATOS", "fatos.>")
    }
    /// A parcela's close publishes a statement per municipality (5,569 nationally, then the seal): all of
    /// them fit in one window, so none waits for the acks of the first ones before going out.
    pub fn decisions() -> NatsConfig {
        NatsConfig {
            max_in_flight: 8_192,
            ..NatsConfig::new("REPASSE_DECISOES", "decisoes.>")
        }
    }
    pub fn new(stream: &str, subjects: &str) -> NatsConfig {
        NatsConfig {
            stream: stream.to_owned(),
            subjects: vec![subjects.to_owned()],
            replicas: 1,
            max_in_flight: 4_096,
            duplicate_window: Duration::from_secs(10 * 60),
        }
    }
}

/// The oldest nats-server this backend runs on: the publisher lease's key-value bucket cannot be created on
/// older servers with this client (2.9.10 answers in a shape async-nats does not read).
pub const MIN_SERVER_VERSION: (u64, u64, u64) = (2, 10, 0);

/// Refuses a server older than `MIN_SERVER_VERSION`, naming both versions.
pub fn check_server_version(client: &async_nats::Client) -> std::result::Result<(), String> {
    supported(&client.server_info().version)
}

/// Whether a server reporting `version` is supported; if not, why, naming the version needed.
pub fn supported(version: &str) -> std::result::Result<(), String> {
    let (major, minor, patch) = MIN_SERVER_VERSION;
    match parse_version(version) {
        Some(found) if found >= MIN_SERVER_VERSION => Ok(()),
        Some(_) => Err(format!(
            "nats-server {version} não é suportado: é preciso {major}.{minor}.{patch} ou mais recente"
        )),
        None => Err(format!(
            "versão do nats-server ilegível \"{version}\": é preciso {major}.{minor}.{patch} ou mais recente"
        )),
    }
}

/// `2.12.1`, `v2.10.0-beta.3` → (major, minor, patch).
fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    let core = text.trim().trim_start_matches('v');
    let core = core.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let version = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(version)
}

/// Whether the subject filter `have` already takes every subject of `want` (`>` and `fatos.>` take
/// `fatos.>`): adding a subject a wider one covers would be refused by the server as an overlap.
fn covers(have: &str, want: &str) -> bool {
    if have == want || have == ">" {
        return true;
    }
    let (mut have, mut want) = (have.split('.'), want.split('.'));
    loop {
        match (have.next(), want.next()) {
            (Some(">"), Some(_)) => return true,
            (Some("*"), Some(w)) if w != ">" => {}
            (Some(h), Some(w)) if h == w => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// A request the server's permissions refuse gets no reply, only a timeout: the error then says which
/// permission was probably missing, so that an operator who starts a role too early (the service before
/// any import) reads what to do rather than "timed out".
fn denied_hint(error: &dyn std::fmt::Display, action: &str) -> String {
    let text = error.to_string();
    if text.contains("timed out") {
        format!(
            "{text} — sem resposta do servidor, o que costuma ser falta de permissão do usuário para \
             {action}; veja deploy/nats/accounts.conf"
        )
    } else {
        text
    }
}

fn is_stream_not_found(error: &jetstream::context::GetStreamError) -> bool {
    matches!(
        error.kind(),
        jetstream::context::GetStreamErrorKind::JetStream(e)
            if e.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND
    )
}

/// A reader kept between `read` calls, positioned at the next sequence, with the stream's last sequence as
/// last seen (asked again only when a read reaches it).
struct Cursor {
    next: Position,
    known_last: Position,
    messages: consumer::pull::Ordered,
}

pub struct NatsLog {
    config: NatsConfig,
    js: jetstream::Context,
    stream: stream::Stream,
    cursor: Arc<Mutex<Option<Cursor>>>,
}

impl NatsLog {
    pub async fn connect(url: &str, config: NatsConfig) -> Result<NatsLog> {
        let client = async_nats::connect(url).await.map_err(|e| Error::Nats {
            stream: config.stream.clone(),
            detail: format!("conexão com {url}: {e}"),
        })?;
        NatsLog::open(client, config).await
    }

    /// Opens the stream, creating it when it is missing. An existing stream is never downgraded: its
    /// limits and replicas stay as its operator set them; configured subjects it lacks are added, and a
    /// replica count below the configured one is raised.
    pub async fn open(client: async_nats::Client, config: NatsConfig) -> Result<NatsLog> {
        check_server_version(&client).map_err(|detail| Error::Nats {
            stream: config.stream.clone(),
            detail,
        })?;
        let js = jetstream::ContextBuilder::new()
            .max_ack_inflight(config.max_in_flight.max(1))
            .build(client);
        let nats = |e: &dyn std::fmt::Display| Error::Nats {
            stream: config.stream.clone(),
            detail: e.to_string(),
        };
        let stream = match js.get_stream(&config.stream).await {
            Ok(mut stream) => {
                let existing = stream.info().await.map_err(|e| nats(&e))?.config.clone();
                // What is missing is added; nothing the operator set is taken away.
                let mut wanted = existing.clone();
                for subject in &config.subjects {
                    if !wanted.subjects.iter().any(|have| covers(have, subject)) {
                        wanted.subjects.push(subject.clone());
                    }
                }
                wanted.num_replicas = wanted.num_replicas.max(config.replicas);
                if wanted != existing {
                    js.update_stream(wanted)
                        .await
                        .map_err(|e| nats(&denied_hint(&e, "atualizar o stream (só o admin)")))?;
                }
                js.get_stream(&config.stream).await.map_err(|e| nats(&e))?
            }
            Err(e) if is_stream_not_found(&e) => {
                let created = stream::Config {
                    name: config.stream.clone(),
                    subjects: config.subjects.clone(),
                    num_replicas: config.replicas,
                    storage: stream::StorageType::File,
                    duplicate_window: config.duplicate_window,
                    allow_direct: true,
                    ..Default::default()
                };
                js.create_stream(created).await.map_err(|e| {
                    nats(&denied_hint(
                        &e,
                        "criar o stream, que ainda não existe (REPASSE_FATOS: ingest; \
                         REPASSE_DECISOES: projector)",
                    ))
                })?
            }
            Err(e) => return Err(nats(&e)),
        };
        Ok(NatsLog {
            config,
            js,
            stream,
            cursor: Arc::new(Mutex::new(None)),
        })
    }

    pub fn config(&self) -> &NatsConfig {
        &self.config
    }

    fn error(&self, detail: impl std::fmt::Display) -> Error {
        Error::Nats {
            stream: self.config.stream.clone(),
            detail: detail.to_string(),
        }
    }

    fn headers(record: &NewRecord, expected: Option<Position>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(MSG_ID, record.id.as_str());
        if let Some(expected) = expected {
            headers.insert(EXPECTED_LAST_SEQUENCE, expected.0.to_string().as_str());
        }
        headers
    }

    async fn publish(
        &self,
        record: NewRecord,
        expected: Option<Position>,
    ) -> Result<jetstream::context::PublishAckFuture> {
        validate(&self.config.stream, &record)?;
        let headers = NatsLog::headers(&record, expected);
        self.js
            .publish_with_headers(record.subject, headers, record.payload)
            .await
            .map_err(|e| self.error(e))
    }

    async fn acked(
        &self,
        ack: jetstream::context::PublishAckFuture,
        expected: Option<Position>,
    ) -> Result<Appended> {
        match ack.await {
            Ok(ack) => Ok(Appended {
                position: Position(ack.sequence),
                duplicate: ack.duplicate,
            }),
            Err(e)
                if matches!(
                    e.kind(),
                    PublishErrorKind::WrongLastSequence | PublishErrorKind::WrongLastMessageId
                ) =>
            {
                let actual = self.last_position().await?;
                Err(Error::Conflict {
                    stream: self.config.stream.clone(),
                    expected: expected.unwrap_or_default(),
                    actual,
                })
            }
            Err(e) => Err(self.error(e)),
        }
    }

    async fn ordered(&self, from: Position) -> Result<consumer::pull::Ordered> {
        let config = consumer::pull::OrderedConfig {
            deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                start_sequence: from.0.max(1),
            },
            ..Default::default()
        };
        let consumer = self
            .stream
            .create_consumer(config)
            .await
            .map_err(|e| self.error(e))?;
        consumer.messages().await.map_err(|e| self.error(e))
    }
}

/// A JetStream message as a log record.
fn to_record(stream: &str, message: &jetstream::Message) -> Result<Record> {
    let info = message.info().map_err(|e| Error::Nats {
        stream: stream.to_owned(),
        detail: e.to_string(),
    })?;
    // A message someone published without the header is still a position of the stream: it gets an id
    // of its own, and whoever reads it judges its payload (the fold skips what is not a fact).
    let id = message
        .headers
        .as_ref()
        .and_then(|h| h.get(MSG_ID))
        .map_or_else(
            || format!("sem-id-{}", info.stream_sequence),
            |v| v.as_str().to_owned(),
        );
    Ok(Record {
        position: Position(info.stream_sequence),
        subject: message.subject.to_string(),
        id,
        stamp: Timestamp((info.published.unix_timestamp_nanos() / 1_000_000) as i64),
        payload: message.payload.clone(),
    })
}

impl EventLog for NatsLog {
    fn stream(&self) -> &str {
        &self.config.stream
    }

    async fn append(&self, record: NewRecord, expected: Option<Position>) -> Result<Appended> {
        let ack = self.publish(record, expected).await?;
        self.acked(ack, expected).await
    }

    /// Keeps up to `max_in_flight` publishes awaiting their acks, answered in order.
    async fn append_batch(&self, records: Vec<NewRecord>) -> Result<Vec<Appended>> {
        let window = self.config.max_in_flight.max(1);
        let mut pending = std::collections::VecDeque::with_capacity(window.min(records.len()));
        let mut answers = Vec::with_capacity(records.len());
        for record in records {
            if pending.len() == window {
                let ack = pending.pop_front().expect("window is full");
                answers.push(self.acked(ack, None).await?);
            }
            pending.push_back(self.publish(record, None).await?);
        }
        for ack in pending {
            answers.push(self.acked(ack, None).await?);
        }
        Ok(answers)
    }

    /// A chain: each record is stored only right after the one before it — its expected last sequence,
    /// and the id of that record as the expected last message id (the first: its sequence only). So an
    /// acknowledged record vouches for every record before it in the batch, and only the first, every
    /// `ACK_EVERY`-th and the last ask for an ack: a parcela's thousands of statements cost the server
    /// and this client a few dozen acks, not one each. A refused record (another writer got ahead, a
    /// record lost on the way) breaks the chain: every later record is refused too, and so the next one
    /// acked, which answers `Conflict`. Two writers racing from the same position cannot interleave: the
    /// loser's records never follow the winner's ids.
    async fn append_after(
        &self,
        records: Vec<NewRecord>,
        expected: Position,
    ) -> Result<Vec<Appended>> {
        let count = records.len();
        let last = records.len().saturating_sub(1);
        let mut acks = Vec::with_capacity(records.len() / ACK_EVERY + 2);
        let mut previous: Option<String> = None;
        let client = self.js.client();
        let started = std::time::Instant::now();
        for (i, record) in records.into_iter().enumerate() {
            validate(&self.config.stream, &record)?;
            let at = Position(expected.0 + i as u64);
            let mut headers = NatsLog::headers(&record, Some(at));
            if let Some(id) = &previous {
                headers.insert(EXPECTED_LAST_MSG_ID, id.as_str());
            }
            previous = Some(record.id.clone());
            if i == 0 || i == last || (i + 1) % ACK_EVERY == 0 {
                let ack = self
                    .js
                    .publish_with_headers(record.subject, headers, record.payload)
                    .await
                    .map_err(|e| self.error(e))?;
                acks.push((i, ack));
            } else {
                client
                    .publish_with_headers(record.subject, headers, record.payload)
                    .await
                    .map_err(|e| self.error(e))?;
            }
        }
        let sent = started.elapsed();
        let mut answers = Vec::with_capacity(count);
        for (i, ack) in acks {
            let at = Position(expected.0 + i as u64);
            let appended = self.acked(ack, Some(at)).await?;
            if appended.position != at.next() {
                // A duplicate id, stored before at another position. The first record's answer is its
                // own (the writer sees where it is); a later one vouches for nothing before it.
                if i == 0 {
                    return Ok(vec![appended]);
                }
                return Err(Error::Conflict {
                    stream: self.config.stream.clone(),
                    expected: at,
                    actual: self.last_position().await?,
                });
            }
            // Vouched for by this ack: every record since the last one acknowledged.
            while answers.len() < i {
                answers.push(Appended {
                    position: Position(expected.0 + answers.len() as u64 + 1),
                    duplicate: false,
                });
            }
            answers.push(appended);
        }
        tracing::debug!(
            stream = self.config.stream,
            count,
            enviar_us = sent.as_micros(),
            confirmar_us = started.elapsed().as_micros(),
            "lote encadeado"
        );
        Ok(answers)
    }

    async fn read(&self, from: Position, max: usize) -> Result<Vec<Record>> {
        let from = from.max(Position(1));
        let mut guard = self.cursor.lock().await;
        let cached = guard.take().filter(|c| c.next == from);
        let last = match &cached {
            Some(cursor) if cursor.known_last >= from => cursor.known_last,
            _ => self.last_position().await?,
        };
        if from > last || max == 0 {
            *guard = cached;
            return Ok(Vec::new());
        }
        let want = usize::try_from(last.0 - from.0 + 1)
            .unwrap_or(usize::MAX)
            .min(max)
            .min(MAX_READ_BATCH);
        let mut cursor = match cached {
            Some(cursor) => cursor,
            None => Cursor {
                next: from,
                known_last: last,
                messages: self.ordered(from).await?,
            },
        };
        cursor.known_last = last;
        let mut out = Vec::with_capacity(want);
        let mut stalls = 0;
        while out.len() < want {
            // Bounded: a consumer left on a node that died may never deliver (seen once in the fault
            // test). The records are known to exist, so the consumer is recreated from the next one.
            let next = tokio::time::timeout(READ_STALL, cursor.messages.try_next()).await;
            let Ok(message) = next else {
                stalls += 1;
                if stalls > MAX_READ_STALLS {
                    return Err(self.error(format!(
                        "leitura parada: nenhuma mensagem da posição {} em {} tentativas de {} s",
                        cursor.next.0,
                        MAX_READ_STALLS + 1,
                        READ_STALL.as_secs()
                    )));
                }
                tracing::warn!(
                    position = cursor.next.0,
                    "leitura parada; consumidor ordenado recriado"
                );
                cursor.messages = self.ordered(cursor.next).await?;
                continue;
            };
            stalls = 0;
            let message = message.map_err(|e| self.error(e))?;
            let message = message.ok_or_else(|| self.error("o consumidor ordenado terminou"))?;
            let record = to_record(&self.config.stream, &message)?;
            cursor.next = record.position.next();
            out.push(record);
        }
        *guard = Some(cursor);
        Ok(out)
    }

    fn follow(&self, from: Position) -> BoxStream<'static, Result<Record>> {
        let stream = self.stream.clone();
        let name = self.config.stream.clone();
        let config = consumer::pull::OrderedConfig {
            deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                start_sequence: from.0.max(1),
            },
            ..Default::default()
        };
        let nats = move |e: &dyn std::fmt::Display| Error::Nats {
            stream: name.clone(),
            detail: e.to_string(),
        };
        let name = self.config.stream.clone();
        futures::stream::once(async move {
            let consumer = stream.create_consumer(config).await.map_err(|e| nats(&e))?;
            let messages = consumer.messages().await.map_err(|e| nats(&e))?;
            Ok::<_, Error>(messages.map(move |m| match m {
                Ok(message) => to_record(&name, &message),
                Err(e) => Err(Error::Nats {
                    stream: name.clone(),
                    detail: e.to_string(),
                }),
            }))
        })
        .map(|result| match result {
            Ok(records) => records.boxed(),
            Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
        })
        .flatten()
        .boxed()
    }

    /// Binary search with direct gets: JetStream stamps messages on arrival, so stamps never decrease.
    async fn position_at(&self, at: Timestamp) -> Result<Position> {
        let (mut low, mut high) = (0u64, self.last_position().await?.0);
        while low < high {
            let middle = low + (high - low).div_ceil(2);
            let message = self
                .stream
                .direct_get(middle)
                .await
                .map_err(|e| self.error(e))?;
            let stamp = Timestamp((message.time.unix_timestamp_nanos() / 1_000_000) as i64);
            if stamp <= at {
                low = middle;
            } else {
                high = middle - 1;
            }
        }
        Ok(Position(low))
    }

    async fn last_position(&self) -> Result<Position> {
        let mut stream = self
            .js
            .get_stream(&self.config.stream)
            .await
            .map_err(|e| self.error(e))?;
        let info = stream.info().await.map_err(|e| self.error(e))?;
        Ok(Position(info.state.last_sequence))
    }
}

#[cfg(test)]
mod tests {
    use super::supported;

    #[test]
    fn a_wider_subject_filter_covers_a_narrower_one() {
        use super::covers;
        assert!(covers(">", "fatos.>"));
        assert!(covers("fatos.>", "fatos.>"));
        assert!(covers("fatos.>", "fatos.scnes.>"));
        assert!(covers("fatos.*.PE.>", "fatos.scnes.PE.>"));
        assert!(!covers("fatos.scnes.>", "fatos.>"));
        assert!(!covers("decisoes.>", "fatos.>"));
        assert!(!covers("fatos.*", "fatos.>"));
    }

    #[test]
    fn servers_older_than_the_minimum_are_refused_naming_the_version_needed() {
        let refused = supported("2.9.10").expect_err("2.9.10 cannot hold the lease bucket");
        assert!(
            refused.contains("2.9.10") && refused.contains("2.10.0"),
            "{refused}"
        );
        assert!(supported("").is_err());
        assert!(supported("dois.dez").is_err());
        assert!(supported("2.10").is_err());
        for ok in ["2.10.0", "2.12.8", "v2.15.1", "2.11.0-beta.2", "3.0.0"] {
            assert_eq!(supported(ok), Ok(()), "{ok}");
        }
    }
}
