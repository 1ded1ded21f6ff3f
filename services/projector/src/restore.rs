//! `repasse restore`: an export (`repasse export`) back into an empty fact stream — a new cluster after a
//! loss, or an embedded log — every fact at its own position, on its own subject, with its own id, so that
//! the projector derives the same decisions in the same order and seals the same parcelas.
//!
//! The whole file is read and checked first — the hash chain, positions from 1 without a gap, the final
//! count — and the target must be empty: a file that fails a check, or a stream that already holds
//! records, writes nothing. An id may be in the file twice (JetStream drops a repeat only within its
//! deduplication window, so a file imported again later is stored again); a log keeps one id once, so the
//! repeat is written at its own position under the record id `ID+POSITION`, its payload unchanged — the
//! fold ignores it by the envelope's id, as it did in the original stream, so decisions and seals are the
//! same — and the summary lists those positions. Each batch is appended
//! only after the position the previous one ended at, so a writer running beside the restore stops it.
//! The facts get the time of the restore as their recording time: `replay --as-of` an instant before it
//! sees none of them.

use std::path::Path;

use repasse_eventlog::{EventLog, NewRecord};
use serde::Serialize;

use crate::export::{Entry, Error, next_entry, open_export};

/// Facts per append.
const BATCH: usize = 65_536;

/// What a restore wrote (or, on the checking pass, would write).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Restored {
    pub facts: u64,
    pub last: u64,
    /// Seals in the file: the projector's own, once it has folded the restored stream, must equal them
    /// (`repasse verify` compares them offline).
    pub seals: u64,
    pub chain: String,
    /// Positions whose fact's id was already at an earlier position: written under `ID+POSITION`.
    pub repeated: Vec<u64>,
}

/// Restores the export at `path` into the fact stream `log`, which must be empty.
pub async fn restore<L: EventLog>(path: &Path, log: &L) -> Result<Restored, Error> {
    let checked = pass(path, None::<&L>, &[]).await?;
    let last = log.last_position().await?;
    if last.0 != 0 {
        return Err(Error::NotEmpty { last: last.0 });
    }
    let written = pass(path, Some(log), &checked.repeated).await?;
    debug_assert_eq!(
        checked, written,
        "the file did not change between the passes"
    );
    Ok(written)
}

/// Reads the whole file, checking it and finding the repeated ids; with `log`, appends its facts as they
/// come, the repeats (`repeated`, sorted, from the checking pass) under a record id of their own.
async fn pass<L: EventLog>(
    path: &Path,
    log: Option<&L>,
    repeated: &[u64],
) -> Result<Restored, Error> {
    // On the checking pass: each id's first position (by a 128-bit digest of it, 16 bytes a fact).
    let mut seen: Option<std::collections::HashMap<u128, u64>> =
        log.is_none().then(Default::default);
    let name = path.display().to_string();
    let format = |entry: u64, detail: String| Error::Format {
        path: name.clone(),
        entry,
        detail,
    };
    let (mut input, mut chain) = open_export(path, &format).map_err(|e| Error::Io {
        path: name.clone(),
        detail: e.to_string(),
    })??;
    let mut restored = Restored::default();
    let mut pending: Vec<NewRecord> = Vec::with_capacity(BATCH);
    for n in 1u64.. {
        match next_entry(&mut input, &mut chain, n, &format)? {
            Entry::Fact {
                position,
                subject,
                id,
                stamp: _,
                payload,
            } => {
                if position != restored.last + 1 {
                    let detail = if restored.facts == 0 {
                        format!(
                            "o arquivo começa na posição {position}: só um log exportado desde a posição 1 se restaura"
                        )
                    } else {
                        format!("posição {position} depois de {}", restored.last)
                    };
                    return Err(format(n, detail));
                }
                let mut id = id;
                if let Some(seen) = seen.as_mut() {
                    let digest = blake3::hash(id.as_bytes());
                    let key =
                        u128::from_le_bytes(digest.as_bytes()[..16].try_into().expect("16 bytes"));
                    if seen.insert(key, position).is_some() {
                        restored.repeated.push(position);
                    }
                } else if repeated.binary_search(&position).is_ok() {
                    id = format!("{id}+{position}");
                }
                restored.last = position;
                restored.facts += 1;
                pending.push(NewRecord {
                    subject,
                    id,
                    payload: payload.into(),
                });
                if pending.len() == BATCH {
                    append(log, &mut pending, restored.last, n, &format).await?;
                }
            }
            Entry::Seal { .. } => restored.seals += 1,
            Entry::End { facts, .. } => {
                if facts != restored.facts {
                    let detail = format!(
                        "a entrada final conta {facts} fatos, o arquivo tem {}",
                        restored.facts
                    );
                    return Err(format(n, detail));
                }
                break;
            }
        }
    }
    append(log, &mut pending, restored.last, 0, &format).await?;
    restored.chain = chain.to_hex().to_string();
    if log.is_some() {
        restored.repeated = repeated.to_vec();
    }
    Ok(restored)
}

/// Appends `pending` (facts up to position `last`) and checks that each landed at its own position.
async fn append<L: EventLog>(
    log: Option<&L>,
    pending: &mut Vec<NewRecord>,
    last: u64,
    entry: u64,
    format: &impl Fn(u64, String) -> Error,
) -> Result<(), Error> {
    let Some(log) = log else {
        pending.clear();
        return Ok(());
    };
    if pending.is_empty() {
        return Ok(());
    }
    let first = last + 1 - pending.len() as u64;
    let answers = log
        .append_after(
            std::mem::take(pending),
            repasse_eventlog::Position(first - 1),
        )
        .await?;
    for (i, answer) in answers.iter().enumerate() {
        let expected = first + i as u64;
        if answer.duplicate || answer.position.0 != expected {
            let detail = format!(
                "o fato da posição {expected} foi gravado na posição {} (repetido: {}): o stream mudou \
                 durante a restauração",
                answer.position.0, answer.duplicate
            );
            return Err(format(entry, detail));
        }
    }
    Ok(())
}
