//! Offline audit files. `export` writes the fact stream (all of it, or a range) and the seals published on
//! the decision stream into one file in which every entry carries a BLAKE3 hash chained over all entries
//! before it; `verify` checks the chain entry by entry, then replays the facts on the embedded log, with no
//! server, and compares every seal it recomputes with the one exported.
//!
//! Layout: the line `REPASSE-EXPORT 1\n`, then entries, each `u32 LE length | postcard(Entry) | 32-byte
//! chain hash`, the last one being `Entry::End`. chain₀ = BLAKE3("REPASSE-EXPORT 1"), chainᵢ =
//! BLAKE3(chainᵢ₋₁ ‖ bytesᵢ).

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::sync::Arc;

use repasse_eventlog::sled_log::SledLog;
use repasse_eventlog::{Clock, EventLog, MAX_READ_BATCH, NewRecord, Position};
use repasse_proto::decision::ParcelaSealed;
use repasse_proto::{Decision, codec};
use serde::{Deserialize, Serialize};

use crate::project::Projector;
use crate::step::tree;
use crate::store::Store;

pub(crate) const MAGIC: &[u8] = b"REPASSE-EXPORT 1\n";
/// Bound on one entry: a record's payload limit plus its subject and id.
const MAX_ENTRY_BYTES: usize = repasse_eventlog::MAX_PAYLOAD_BYTES + 4096;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {detail}")]
    Io { path: String, detail: String },
    #[error("{path}, entrada {entry}: {detail}")]
    Format {
        path: String,
        entry: u64,
        detail: String,
    },
    #[error(transparent)]
    Log(#[from] repasse_eventlog::Error),
    #[error(transparent)]
    Project(#[from] crate::project::Error),
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error(
        "o stream de fatos de destino já tem {last} registros: a restauração grava cada fato na sua posição \
         original e só vai num stream vazio; nada foi gravado"
    )]
    NotEmpty { last: u64 },
}

#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Entry {
    Fact {
        position: u64,
        subject: String,
        id: String,
        stamp: i64,
        payload: Vec<u8>,
    },
    /// A `parcela_sealed` decision as published (its encoded envelope) and its stream position.
    Seal {
        position: u64,
        payload: Vec<u8>,
    },
    End {
        facts: u64,
        seals: u64,
    },
}

/// What an export wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Exported {
    pub facts: u64,
    pub seals: u64,
    pub first: u64,
    pub last: u64,
    pub chain: [u8; 32],
}

struct ChainWriter<W: Write> {
    out: W,
    chain: blake3::Hash,
}

impl<W: Write> ChainWriter<W> {
    fn entry(&mut self, entry: &Entry) -> std::io::Result<()> {
        let bytes = postcard::to_stdvec(entry).expect("entries serialize");
        let mut hasher = blake3::Hasher::new();
        hasher.update(self.chain.as_bytes());
        hasher.update(&bytes);
        self.chain = hasher.finalize();
        self.out.write_all(&(bytes.len() as u32).to_le_bytes())?;
        self.out.write_all(&bytes)?;
        self.out.write_all(self.chain.as_bytes())
    }
}

/// Writes facts `from..=to` of `facts` (to its end when `to` is `None`) and every seal of `decisions`.
/// Writes to a temporary file renamed at the end: an interrupted export leaves no partial file.
pub async fn export<F: EventLog, D: EventLog>(
    facts: &F,
    decisions: Option<&D>,
    from: Position,
    to: Option<Position>,
    path: &Path,
) -> Result<Exported, Error> {
    let io = |e: std::io::Error| Error::Io {
        path: path.display().to_string(),
        detail: e.to_string(),
    };
    let temp = path.with_extension("parcial");
    let file = std::fs::File::create(&temp).map_err(io)?;
    let mut out = BufWriter::new(file);
    out.write_all(MAGIC).map_err(io)?;
    let mut writer = ChainWriter {
        out,
        chain: blake3::hash(MAGIC.trim_ascii_end()),
    };
    let last = facts.last_position().await?;
    let end = to.map_or(last, |to| to.min(last));
    let mut exported = Exported {
        first: from.0.max(1),
        ..Exported::default()
    };
    let mut next = from.max(Position(1));
    while next <= end {
        let want = ((end.0 - next.0 + 1) as usize).min(MAX_READ_BATCH);
        let records = facts.read(next, want).await?;
        let Some(tail) = records.last() else { break };
        next = tail.position.next();
        for record in records.into_iter().filter(|r| r.position <= end) {
            exported.last = record.position.0;
            exported.facts += 1;
            writer
                .entry(&Entry::Fact {
                    position: record.position.0,
                    subject: record.subject,
                    id: record.id,
                    stamp: record.stamp.0,
                    payload: record.payload.to_vec(),
                })
                .map_err(io)?;
        }
    }
    if let Some(decisions) = decisions {
        let mut next = Position(1);
        loop {
            let records = decisions.read(next, MAX_READ_BATCH).await?;
            let Some(tail) = records.last() else { break };
            next = tail.position.next();
            for record in records {
                if !record.subject.starts_with("decisoes.selo.") {
                    continue;
                }
                exported.seals += 1;
                writer
                    .entry(&Entry::Seal {
                        position: record.position.0,
                        payload: record.payload.to_vec(),
                    })
                    .map_err(io)?;
            }
        }
    }
    writer
        .entry(&Entry::End {
            facts: exported.facts,
            seals: exported.seals,
        })
        .map_err(io)?;
    exported.chain = *writer.chain.as_bytes();
    let file = writer.out.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&temp, path).map_err(io)?;
    Ok(exported)
}

/// One seal compared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SealCheck {
    pub exported: ParcelaSealed,
    pub recomputed: Option<ParcelaSealed>,
    pub ok: bool,
}

/// What `verify` found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Verified {
    pub facts: u64,
    pub first: u64,
    pub last: u64,
    pub chain: String,
    /// False when the file starts after position 1: the chain is checked but nothing can be replayed.
    pub replayed: bool,
    pub seals: Vec<SealCheck>,
}

impl Verified {
    pub fn ok(&self) -> bool {
        self.seals.iter().all(|s| s.ok)
    }
}

/// Checks the chain of `path`, then (when it starts at position 1) replays its facts into a fresh embedded
/// log under `work` and checks every exported seal against the recomputed one.
pub async fn verify(path: &Path, work: &Path, clock: Arc<dyn Clock>) -> Result<Verified, Error> {
    let name = path.display().to_string();
    let io = |e: std::io::Error| Error::Io {
        path: name.clone(),
        detail: e.to_string(),
    };
    let format = |entry: u64, detail: String| Error::Format {
        path: name.clone(),
        entry,
        detail,
    };
    let (mut input, mut chain) = open_export(path, &format).map_err(io)??;
    let facts = SledLog::open(&work.join("fatos"), "fatos", clock)?;
    let mut verified = Verified::default();
    let mut seals: Vec<ParcelaSealed> = Vec::new();
    let mut pending: Vec<NewRecord> = Vec::new();
    let mut n = 0u64;
    let mut ended = false;
    while !ended {
        n += 1;
        let entry = next_entry(&mut input, &mut chain, n, &format)?;
        match entry {
            Entry::Fact {
                position,
                subject,
                id,
                stamp: _,
                payload,
            } => {
                if verified.facts == 0 {
                    verified.first = position;
                } else if position != verified.last + 1 {
                    return Err(format(
                        n,
                        format!("posição {position} depois de {}", verified.last),
                    ));
                }
                verified.last = position;
                verified.facts += 1;
                pending.push(NewRecord {
                    subject,
                    id,
                    payload: payload.into(),
                });
                if pending.len() == 65_536 {
                    store_facts(&facts, &mut pending, &verified, n, &format).await?;
                }
            }
            Entry::Seal { position, payload } => {
                let envelope = std::str::from_utf8(&payload)
                    .map_err(|e| e.to_string())
                    .and_then(|text| codec::from_json::<Decision>(text).map_err(|e| e.to_string()))
                    .map_err(|e| format(n, format!("selo {position} ilegível: {e}")))?;
                match envelope.payload {
                    Decision::ParcelaSealed(seal) => seals.push(seal),
                    other => {
                        return Err(format(
                            n,
                            format!("esperado um selo, lido {}", other.event_type()),
                        ));
                    }
                }
            }
            Entry::End { facts: count, .. } => {
                if count != verified.facts {
                    return Err(format(
                        n,
                        format!(
                            "a entrada final conta {count} fatos, o arquivo tem {}",
                            verified.facts
                        ),
                    ));
                }
                ended = true;
            }
        }
    }
    store_facts(&facts, &mut pending, &verified, n, &format).await?;
    verified.chain = chain.to_hex().to_string();
    verified.replayed = verified.first <= 1;
    if !verified.replayed {
        return Ok(verified);
    }
    verified.seals = recompute_seals(&facts, work, verified.last, seals, &|detail| {
        format(n, detail)
    })
    .await?;
    Ok(verified)
}

/// Opens an export and checks its first line: the reader, at the first entry, and the chain's start. An
/// I/O error is the caller's to name; a file that is no export is a format error at entry 0.
pub(crate) fn open_export(
    path: &Path,
    format: &dyn Fn(u64, String) -> Error,
) -> Result<Result<(BufReader<std::fs::File>, blake3::Hash), Error>, std::io::Error> {
    let mut input = BufReader::new(std::fs::File::open(path)?);
    let mut magic = vec![0u8; MAGIC.len()];
    if input.read_exact(&mut magic).is_err() {
        return Ok(Err(format(
            0,
            "arquivo curto demais para uma exportação".into(),
        )));
    }
    if magic != MAGIC {
        return Ok(Err(format(
            0,
            "não começa com \"REPASSE-EXPORT 1\": não é uma exportação do repasse".into(),
        )));
    }
    Ok(Ok((input, blake3::hash(MAGIC.trim_ascii_end()))))
}

/// Reads entry `n`: its length, its bytes and its chained hash, checked against the chain so far.
pub(crate) fn next_entry(
    input: &mut impl Read,
    chain: &mut blake3::Hash,
    n: u64,
    format: &dyn Fn(u64, String) -> Error,
) -> Result<Entry, Error> {
    let mut len = [0u8; 4];
    input
        .read_exact(&mut len)
        .map_err(|_| format(n, "arquivo termina sem a entrada final (truncado)".into()))?;
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_ENTRY_BYTES {
        return Err(format(n, format!("tamanho {len} acima do limite")));
    }
    let mut bytes = vec![0u8; len];
    let mut stored = [0u8; 32];
    input
        .read_exact(&mut bytes)
        .and_then(|()| input.read_exact(&mut stored))
        .map_err(|_| format(n, "entrada truncada".into()))?;
    let mut hasher = blake3::Hasher::new();
    hasher.update(chain.as_bytes());
    hasher.update(&bytes);
    *chain = hasher.finalize();
    if chain.as_bytes() != &stored {
        return Err(format(
            n,
            "hash encadeado não confere: a entrada ou alguma anterior foi alterada".into(),
        ));
    }
    postcard::from_bytes(&bytes).map_err(|e| format(n, format!("entrada ilegível: {e}")))
}

/// Replays the stored facts into fresh read models and sets each exported seal beside the recomputed one.
async fn recompute_seals(
    facts: &SledLog,
    work: &Path,
    last: u64,
    seals: Vec<ParcelaSealed>,
    unreadable: &dyn Fn(String) -> Error,
) -> Result<Vec<SealCheck>, Error> {
    let store = Store::open(&work.join("modelos"))?;
    let mut projector = Projector::<SledLog, SledLog>::open(facts, None, store).await?;
    projector.run_to(Position(last)).await?;
    let mut checks = Vec::with_capacity(seals.len());
    for exported in seals {
        let recomputed = match projector
            .store()
            .get(tree::SELOS, &exported.parcela.to_string())?
        {
            Some(value) => Some(
                serde_json::from_value::<ParcelaSealed>(value)
                    .map_err(|e| unreadable(format!("selo recalculado ilegível: {e}")))?,
            ),
            None => None,
        };
        let ok = recomputed.as_ref() == Some(&exported);
        checks.push(SealCheck {
            exported,
            recomputed,
            ok,
        });
    }
    Ok(checks)
}

async fn store_facts(
    log: &SledLog,
    pending: &mut Vec<NewRecord>,
    verified: &Verified,
    entry: u64,
    format: &impl Fn(u64, String) -> Error,
) -> Result<(), Error> {
    if pending.is_empty() {
        return Ok(());
    }
    let first = verified.last + 1 - pending.len() as u64;
    let answers = log.append_batch(std::mem::take(pending)).await?;
    for (i, answer) in answers.iter().enumerate() {
        let expected = first + i as u64;
        if answer.duplicate || (verified.first <= 1 && answer.position.0 != expected) {
            return Err(format(
                entry,
                format!(
                    "o fato da posição {expected} repete o id de um fato anterior: o log exportado não \
                     guarda ids repetidos"
                ),
            ));
        }
    }
    Ok(())
}
