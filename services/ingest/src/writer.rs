//! The one path from a fact to the log: wrap in an envelope (deterministic id), encode (postcard), route
//! (subject) and append in bounded batches. Re-writing the same facts from the same source adds nothing.

use repasse_eventlog::{Clock, EventLog, NewRecord, Position};
use repasse_proto::envelope::SourceRef;
use repasse_proto::{Envelope, Fact, codec, subject};

/// Facts encoded per `append_batch` call: bounds memory and keeps many publishes in flight.
pub const WRITE_BATCH: usize = 8_192;
/// The largest batch a writer accepts (bounds the memory of pending records).
pub const MAX_WRITE_BATCH: usize = 262_144;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("fato {index} ({event_type}) de {document}: {source}")]
    Encode {
        index: u64,
        event_type: &'static str,
        document: String,
        #[source]
        source: codec::CodecError,
    },
    #[error("falha ao gravar no log de fatos: {0}")]
    Log(#[from] repasse_eventlog::Error),
}

/// What one write did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteSummary {
    pub appended: u64,
    pub duplicates: u64,
    pub last_position: Position,
}

impl WriteSummary {
    fn absorb(&mut self, other: WriteSummary) {
        self.appended += other.appended;
        self.duplicates += other.duplicates;
        self.last_position = self.last_position.max(other.last_position);
    }
}

pub struct FactWriter<'a, L> {
    log: &'a L,
    clock: &'a dyn Clock,
    pending: Vec<NewRecord>,
    batch: usize,
    written: u64,
    summary: WriteSummary,
}

impl<'a, L: EventLog> FactWriter<'a, L> {
    pub fn new(log: &'a L, clock: &'a dyn Clock) -> Self {
        FactWriter::with_batch(log, clock, WRITE_BATCH)
    }

    /// A writer appending `batch` facts per call (bulk loads use larger batches: fewer durable flushes).
    pub fn with_batch(log: &'a L, clock: &'a dyn Clock, batch: usize) -> Self {
        assert!(
            batch > 0 && batch <= MAX_WRITE_BATCH,
            "batch of {batch} outside 1..={MAX_WRITE_BATCH}"
        );
        let pending = Vec::with_capacity(batch);
        FactWriter {
            log,
            clock,
            pending,
            batch,
            written: 0,
            summary: WriteSummary::default(),
        }
    }

    /// Encodes one fact, appending a batch to the log whenever one is full.
    pub async fn push(&mut self, fact: Fact, source: SourceRef) -> Result<(), Error> {
        let record = encode_record(fact, source, self.clock, self.written)?;
        self.written += 1;
        self.pending.push(record);
        if self.pending.len() >= self.batch {
            self.flush().await?;
        }
        Ok(())
    }

    /// Appends what is pending.
    pub async fn flush(&mut self) -> Result<(), Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.pending, Vec::with_capacity(self.batch));
        let answers = self.log.append_batch(batch).await?;
        let mut summary = WriteSummary::default();
        for answer in answers {
            if answer.duplicate {
                summary.duplicates += 1;
            } else {
                summary.appended += 1;
            }
            summary.last_position = summary.last_position.max(answer.position);
        }
        self.summary.absorb(summary);
        Ok(())
    }

    /// Writes every fact and flushes.
    pub async fn write(
        mut self,
        facts: impl IntoIterator<Item = (Fact, SourceRef)>,
    ) -> Result<WriteSummary, Error> {
        for (fact, source) in facts {
            self.push(fact, source).await?;
        }
        self.finish().await
    }

    pub async fn finish(mut self) -> Result<WriteSummary, Error> {
        self.flush().await?;
        Ok(self.summary)
    }
}

/// Envelope, encode and route one fact.
pub fn encode_record(
    fact: Fact,
    source: SourceRef,
    clock: &dyn Clock,
    index: u64,
) -> Result<NewRecord, Error> {
    let event_type = fact.event_type();
    let document = source.document.clone();
    let encode_error = |source| Error::Encode {
        index,
        event_type,
        document: document.clone(),
        source,
    };
    let subject = subject::fact_subject(&fact);
    let envelope = Envelope::new(fact, source, clock.now()).map_err(encode_error)?;
    let payload = codec::encode(&envelope).map_err(encode_error)?;
    Ok(NewRecord {
        subject,
        id: envelope.id.to_string(),
        payload: payload.into(),
    })
}
