//! Reads the fact stream in order, decodes each record and applies it to the `Ledger`, ignoring ids already
//! seen (JetStream deduplicates only within its window; history is years).

use repasse_eventlog::{EventLog, MAX_READ_BATCH, Position};
use repasse_proto::{Fact, codec};
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
    pub last_position: Position,
}

/// Folds records with positions in `from..=to` (to the end of the stream when `to` is `None`).
/// `progress` is called after each batch with the last position read.
pub async fn fold_log<L: EventLog>(
    log: &L,
    ledger: &mut Ledger,
    from: Position,
    to: Option<Position>,
    mut progress: impl FnMut(Position),
) -> Result<FoldSummary, Error> {
    let mut seen: FxHashSet<u128> = FxHashSet::default();
    let mut summary = FoldSummary {
        last_position: from.0.checked_sub(1).map_or(Position::START, Position),
        ..Default::default()
    };
    let end = match to {
        Some(to) => to,
        None => log.last_position().await?,
    };
    let mut next = from.max(Position(1));
    while next <= end {
        let want = usize::try_from(end.0 - next.0 + 1)
            .unwrap_or(usize::MAX)
            .min(MAX_READ_BATCH);
        let records = log.read(next, want).await?;
        let Some(last) = records.last() else { break };
        next = last.position.next();
        for record in records {
            if record.position > end {
                break;
            }
            let envelope =
                codec::decode::<Fact>(&record.payload).map_err(|source| Error::Decode {
                    position: record.position,
                    source,
                })?;
            if seen.insert(u128::from_le_bytes(envelope.id.0)) {
                ledger.apply(record.position.0, &envelope.payload);
                summary.applied += 1;
            } else {
                summary.duplicates_ignored += 1;
            }
            summary.last_position = record.position;
        }
        progress(summary.last_position);
    }
    Ok(summary)
}
