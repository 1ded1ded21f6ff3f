//! Publishing decisions exactly once. The decisions form one deterministic sequence (see `step`), and the
//! n-th decision goes to position n of the decision stream, appended only with "expected last position
//! n − 1". A publisher resumed after a crash, or a second one running at the same time, finds the decisions
//! already there, checks that they carry the ids it computed, and appends only what is missing: the
//! stream's optimistic concurrency, not timing, makes the copy unique.

use repasse_eventlog::{EventLog, MAX_READ_BATCH, NewRecord, Position};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("falha no stream de decisões: {0}")]
    Log(#[from] repasse_eventlog::Error),
    #[error(
        "o stream de decisões diverge na posição {position}: publicada a decisão {found}, recalculada {expected} \
         (outro projetor com outras regras ou outro log de fatos escreveu nele)"
    )]
    Diverged {
        position: u64,
        expected: String,
        found: String,
    },
    #[error(
        "o stream de decisões termina na posição {last}, antes das {expected} decisões que o ponto de \
         controle diz publicadas (stream apagado ou truncado?)"
    )]
    Behind { last: u64, expected: u64 },
}

/// What one `publish` did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Published {
    pub appended: u64,
    /// Already in the stream with the same id (written before a crash or by another publisher).
    pub found: u64,
}

/// Puts `records` at positions `first..first + len` of `log`, each exactly once.
pub async fn publish<D: EventLog>(
    log: &D,
    first: u64,
    records: &[NewRecord],
) -> Result<Published, Error> {
    assert!(first >= 1, "decision positions start at 1");
    let mut outcome = Published::default();
    let mut done = 0usize;
    // The stream is taken to end right before `first`, as the checkpoint says, until an append is refused:
    // a round trip less on every decision's path (JetStream answers stream info from its API queue, behind
    // whatever else the server is doing). After a refusal the stream is read and its records compared.
    let mut read_first = false;
    while done < records.len() {
        let at = first + done as u64;
        if read_first {
            let last = log.last_position().await?.0;
            if last + 1 < at {
                return Err(Error::Behind {
                    last,
                    expected: at - 1,
                });
            }
            if last >= at {
                let present = ((last - at + 1) as usize).min(records.len() - done);
                let stored = log.read(Position(at), present.min(MAX_READ_BATCH)).await?;
                for (offset, record) in stored.iter().enumerate() {
                    let expected = &records[done + offset];
                    if record.id != expected.id {
                        return Err(Error::Diverged {
                            position: record.position.0,
                            expected: expected.id.clone(),
                            found: record.id.clone(),
                        });
                    }
                }
                done += stored.len();
                outcome.found += stored.len() as u64;
                continue;
            }
        }
        let chunk = (records.len() - done).min(MAX_READ_BATCH);
        match log
            .append_after(records[done..done + chunk].to_vec(), Position(at - 1))
            .await
        {
            Ok(answers) => {
                let read = read_first;
                read_first = false;
                for (offset, answer) in answers.iter().enumerate() {
                    let position = at + offset as u64;
                    if answer.position.0 != position {
                        // Already stored at another position. Unless the stream was read for this
                        // append, read it first: it may end elsewhere than the checkpoint says.
                        if !read {
                            read_first = true;
                            break;
                        }
                        return Err(Error::Diverged {
                            position,
                            expected: records[done + offset].id.clone(),
                            found: format!(
                                "(a mesma decisão já estava na posição {})",
                                answer.position
                            ),
                        });
                    }
                    done += 1;
                    // Written before a crash, or by another publisher, with the same id.
                    if answer.duplicate {
                        outcome.found += 1;
                    } else {
                        outcome.appended += 1;
                    }
                }
            }
            // Another publisher got there first, or this one before a crash: read what is there.
            Err(repasse_eventlog::Error::Conflict { .. }) => read_first = true,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(outcome)
}
