//! Reads the fact stream in order, decodes each record and applies it to the `Ledger`, ignoring ids already
//! seen (JetStream deduplicates only within its window; history is years).

use repasse_eventlog::{EventLog, MAX_READ_BATCH, Position, Record};
use repasse_proto::{Envelope, Fact, codec};
use repasse_rules::Ledger;
use rustc_hash::FxHashSet;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("falha ao ler o log de fatos: {0}")]
    Log(#[from] repasse_eventlog::Error),
    #[error("registro {position} do log de fatos ilegível: {source}")]
    Decode {
        position: Position,
        #[source]
        source: codec::CodecError,
    },
}

/// What one fold did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FoldSummary {
    pub applied: u64,
    pub duplicates_ignored: u64,
    /// Records on the fact subjects that are not a fact of this ledger (anyone with publish rights could
    /// put bytes there): skipped, counted and logged, never folded and never a reason to stop.
    pub malformed: u64,
    pub last_position: Position,
}

/// Batches read ahead of the fold.
const FOLD_QUEUE: usize = 4;

/// The ledger and the fact ids already applied: the one place where log records become `Ledger` state.
#[derive(Default)]
pub struct Folder {
    pub ledger: Ledger,
    seen: FxHashSet<u128>,
    pub summary: FoldSummary,
}

impl Folder {
    pub fn new(ledger: Ledger) -> Folder {
        Folder {
            ledger,
            ..Folder::default()
        }
    }

    /// Decodes and applies one record; `None` when its id was already applied (a duplicate re-import) or
    /// it is not a fact (`FoldSummary::malformed`).
    pub fn apply(&mut self, record: &Record) -> Result<Option<Envelope<Fact>>, Error> {
        assert!(
            record.position > self.summary.last_position,
            "records are folded in stream order"
        );
        self.summary.last_position = record.position;
        let envelope = match codec::decode::<Fact>(&record.payload) {
            Ok(envelope) => envelope,
            Err(source) => {
                // The same bytes are skipped on every replay, so decisions and seals stay the same.
                self.summary.malformed += 1;
                tracing::warn!(
                    position = record.position.0,
                    subject = %record.subject,
                    error = %source,
                    "registro do stream de fatos que não é um fato: ignorado"
                );
                return Ok(None);
            }
        };
        if self.seen.insert(u128::from_le_bytes(envelope.id.0)) {
            self.ledger.apply(record.position.0, &envelope.payload);
            self.summary.applied += 1;
            Ok(Some(envelope))
        } else {
            self.summary.duplicates_ignored += 1;
            Ok(None)
        }
    }

    /// Folds records with positions in `from..=to` (to the end of the stream when `to` is `None`).
    /// `progress` is called after each batch with the last position read.
    ///
    /// Reading and folding overlap: this task reads batches from the log while a blocking thread decodes and
    /// folds the previous ones, through a channel of `FOLD_QUEUE` batches (memory stays bounded).
    pub async fn fold<L: EventLog>(
        &mut self,
        log: &L,
        from: Position,
        to: Option<Position>,
        mut progress: impl FnMut(Position),
    ) -> Result<FoldSummary, Error> {
        let end = match to {
            Some(to) => to,
            None => log.last_position().await?,
        };
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<Record>>(FOLD_QUEUE);
        let (done_sender, mut done) = tokio::sync::mpsc::unbounded_channel::<Position>();
        let mut folder = std::mem::take(self);
        let worker = tokio::task::spawn_blocking(move || {
            while let Some(batch) = receiver.blocking_recv() {
                for record in &batch {
                    if let Err(e) = folder.apply(record) {
                        return (folder, Err(e));
                    }
                }
                let _ = done_sender.send(folder.summary.last_position);
            }
            (folder, Ok(()))
        });
        let mut next = from.max(Position(1));
        let mut failed = None;
        while next <= end {
            let want = usize::try_from(end.0 - next.0 + 1)
                .unwrap_or(usize::MAX)
                .min(MAX_READ_BATCH);
            let records = match log.read(next, want).await {
                Ok(records) => records,
                Err(e) => {
                    failed = Some(Error::from(e));
                    break;
                }
            };
            let Some(last) = records.last() else { break };
            next = last.position.next();
            let batch: Vec<Record> = records
                .into_iter()
                .take_while(|r| r.position <= end)
                .collect();
            if sender.send(batch).await.is_err() {
                break; // the worker stopped on a bad record; its error is returned below
            }
            while let Ok(position) = done.try_recv() {
                progress(position);
            }
        }
        drop(sender);
        let (folder, result) = worker.await.expect("the fold thread does not panic");
        *self = folder;
        while let Ok(position) = done.try_recv() {
            progress(position);
        }
        result?;
        if let Some(e) = failed {
            return Err(e);
        }
        Ok(self.summary)
    }
}

/// Folds records with positions in `from..=to` into `ledger` (see [`Folder::fold`]).
pub async fn fold_log<L: EventLog>(
    log: &L,
    ledger: &mut Ledger,
    from: Position,
    to: Option<Position>,
    progress: impl FnMut(Position),
) -> Result<FoldSummary, Error> {
    let mut folder = Folder::new(std::mem::take(ledger));
    folder.summary.last_position = from.0.checked_sub(1).map_or(Position::START, Position);
    let result = folder.fold(log, from, to, progress).await;
    *ledger = folder.ledger;
    result
}
