//! The event log: one append-only, totally ordered stream of opaque records per stream name.
//!
//! The contract lives here (the `EventLog` trait); backends implement it: `nats` (JetStream, production),
//! `sled_log` (embedded, one machine and offline audit) and `memory` (tests). One conformance suite
//! (`tests/conformance.rs`) runs against all of them. The log never looks inside a payload: meaning lives in
//! `repasse-proto`.

use std::future::Future;

use bytes::Bytes;
use futures::stream::BoxStream;
use repasse_proto::Timestamp;

pub mod bench;
pub mod clock;
pub mod memory;
pub mod nats;
pub mod sled_log;
/// A real `nats-server` on a free loopback port, for tests and benchmarks.
pub mod testing;

pub use clock::{Clock, ManualClock, SystemClock};

/// Largest payload accepted by any backend (NATS default max_payload is 1 MiB; keep headroom for headers).
pub const MAX_PAYLOAD_BYTES: usize = 900 * 1024;
/// Largest number of records one `read` call returns.
pub const MAX_READ_BATCH: usize = 10_000;
/// Largest idempotency key (NATS header values must stay small).
pub const MAX_ID_BYTES: usize = 128;

/// A record's place in its stream: 1 for the first record, like a JetStream sequence.
/// `Position(0)` means "before the first record" (an empty stream's last position).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Position(pub u64);

impl Position {
    pub const START: Position = Position(0);
    pub fn next(self) -> Position {
        Position(self.0 + 1)
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What a producer hands to the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRecord {
    /// Routing subject, e.g. `fatos.scnes.PE.261180` (validated by the backend: tokens of
    /// `[A-Za-z0-9_-]`, separated by `.`, no wildcards).
    pub subject: String,
    /// Idempotency key (the event id): appending a record whose id is already in the stream stores nothing
    /// and answers the original position with `duplicate: true`.
    pub id: String,
    pub payload: Bytes,
}

/// A record as stored, with the position and the time the log accepted it (the log's clock: the injected
/// clock for sled/memory, the server's for JetStream). Stamps never decrease along the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub position: Position,
    pub subject: String,
    pub id: String,
    pub stamp: Timestamp,
    pub payload: Bytes,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    pub position: Position,
    /// True when the id was already in the stream: nothing new was stored.
    pub duplicate: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Optimistic concurrency lost: the caller expected the stream to end at `expected`.
    #[error(
        "conflito de posição no log \"{stream}\": esperada a última posição {expected}, encontrada {actual}"
    )]
    Conflict {
        stream: String,
        expected: Position,
        actual: Position,
    },
    #[error("registro inválido para o log \"{stream}\": {detail}")]
    InvalidRecord { stream: String, detail: String },
    /// The embedded log failed an integrity check: never silently dropped.
    #[error("log embutido corrompido em {path}: {detail}")]
    Corrupt { path: String, detail: String },
    #[error(
        "log embutido truncado em {path}: o registro de controle indica a posição {expected}, mas o último registro legível é {found}"
    )]
    Truncated {
        path: String,
        expected: Position,
        found: Position,
    },
    #[error("erro de armazenamento do log \"{stream}\": {detail}")]
    Storage { stream: String, detail: String },
    /// A command that reads a log was pointed at a place that holds none: it never creates one.
    #[error(
        "não há log embutido com o stream \"{stream}\" em {path}: confira o caminho (um log é criado por `repasse demo --log` ou `repasse demo-data --log`)"
    )]
    Missing { path: String, stream: String },
    #[error("erro de NATS JetStream no stream \"{stream}\": {detail}")]
    Nats { stream: String, detail: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The contract every backend honours, checked by the conformance suite.
///
/// Appends are totally ordered; a reader always sees a prefix of the stream; `follow` yields every record
/// from a position on, then keeps yielding new ones as they are appended, in order, without gaps.
pub trait EventLog: Send + Sync {
    /// The stream's name (for messages and metrics).
    fn stream(&self) -> &str;

    /// Appends one record. With `expected = Some(p)`, fails with `Error::Conflict` unless the stream's last
    /// position is exactly `p` (a duplicate id is answered as a duplicate before the check).
    fn append(
        &self,
        record: NewRecord,
        expected: Option<Position>,
    ) -> impl Future<Output = Result<Appended>> + Send;

    /// Appends `records` at the positions right after `expected`, in order: optimistic concurrency for a
    /// writer that owns a deterministic sequence (the decision publisher). Fails with `Error::Conflict` when
    /// the stream's last position is not `expected` (another writer got there first); a prefix may have been
    /// stored when that happens mid-batch, which the writer sees on its next read of the stream.
    fn append_after(
        &self,
        records: Vec<NewRecord>,
        expected: Position,
    ) -> impl Future<Output = Result<Vec<Appended>>> + Send;

    /// Appends many records in order with many in flight (bounded), answering one `Appended` per record,
    /// in the same order. Not atomic: on error, a prefix may have been stored; re-appending the whole batch
    /// is safe because ids deduplicate.
    fn append_batch(
        &self,
        records: Vec<NewRecord>,
    ) -> impl Future<Output = Result<Vec<Appended>>> + Send;

    /// Reads up to `max` (≤ `MAX_READ_BATCH`) records with positions ≥ `from`, in order. Fewer (or none)
    /// when the stream ends.
    fn read(&self, from: Position, max: usize) -> impl Future<Output = Result<Vec<Record>>> + Send;

    /// Every record from `from` on, then live ones as they arrive. Ends only on error or drop.
    fn follow(&self, from: Position) -> BoxStream<'static, Result<Record>>;

    /// The last position whose stamp is ≤ `at` (`Position::START` if none): the stream "as of" `at`.
    fn position_at(&self, at: Timestamp) -> impl Future<Output = Result<Position>> + Send;

    /// The stream's last position (`Position::START` when empty).
    fn last_position(&self) -> impl Future<Output = Result<Position>> + Send;
}

/// Checks what every backend refuses, with a message naming what was wrong.
pub fn validate(stream: &str, record: &NewRecord) -> Result<()> {
    let invalid = |detail: String| {
        Err(Error::InvalidRecord {
            stream: stream.to_owned(),
            detail,
        })
    };
    if record.id.is_empty() || record.id.len() > MAX_ID_BYTES {
        return invalid(format!(
            "id deve ter de 1 a {MAX_ID_BYTES} bytes (tem {})",
            record.id.len()
        ));
    }
    if record
        .id
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return invalid(format!(
            "id \"{}\" contém espaço ou caractere de controle",
            record.id
        ));
    }
    if record.payload.len() > MAX_PAYLOAD_BYTES {
        return invalid(format!(
            "conteúdo de {} bytes excede o limite de {MAX_PAYLOAD_BYTES}",
            record.payload.len()
        ));
    }
    let token_ok = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    if record.subject.is_empty() || !record.subject.split('.').all(token_ok) {
        return invalid(format!(
            "assunto \"{}\" inválido: esperados termos de [A-Za-z0-9_-] separados por '.', sem curingas",
            record.subject
        ));
    }
    Ok(())
}

/// Turns "read from a position" plus a watch of the stream's tip into a live, gap-free stream of records.
pub(crate) fn follow_by_polling<F, Fut>(
    from: Position,
    tip: tokio::sync::watch::Receiver<Position>,
    read: F,
) -> BoxStream<'static, Result<Record>>
where
    F: Fn(Position) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Vec<Record>>> + Send + 'static,
{
    let state = (
        from.max(Position(1)),
        tip,
        read,
        std::collections::VecDeque::<Record>::new(),
    );
    Box::pin(futures::stream::unfold(Some(state), |state| async move {
        let (mut next, mut tip, read, mut buffer) = state?;
        loop {
            if let Some(record) = buffer.pop_front() {
                next = record.position.next();
                return Some((Ok(record), Some((next, tip, read, buffer))));
            }
            match read(next).await {
                Ok(records) if !records.is_empty() => buffer.extend(records),
                Ok(_) => {
                    // Nothing new: wait until an append moves the tip past what we have read.
                    if tip.wait_for(|last| *last >= next).await.is_err() {
                        return None;
                    }
                }
                Err(error) => return Some((Err(error), None)),
            }
        }
    }))
}
