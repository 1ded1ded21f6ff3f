//! What every reader of a published file shares: the quarantine of records it cannot use, the summary of
//! an import, and the write of a file's facts once the whole file was read and found usable.

use std::path::Path;

use repasse_eventlog::{Clock, EventLog};
use repasse_proto::Fact;
use repasse_proto::envelope::SourceRef;

use crate::writer::FactWriter;

/// A record set aside: where, which field, what value, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Quarantined {
    pub file: String,
    pub line: u64,
    /// The field at fault: a JSON path for JSON sources, the column name (or `table:column`) for CSV.
    pub field: String,
    pub value: String,
    pub reason: String,
}

impl Quarantined {
    /// A record set aside, with any CPF in its value or reason hidden.
    pub fn new(file: &str, line: u64, field: &str, value: &str, reason: &str) -> Quarantined {
        Quarantined {
            file: file.to_owned(),
            line,
            field: field.to_owned(),
            value: crate::jsonl::hide_cpfs(value),
            reason: crate::jsonl::hide_cpfs(reason),
        }
    }
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub file: String,
    /// Records holding a fact or set aside.
    pub read: u64,
    pub new: u64,
    pub already_present: u64,
    pub rejected: u64,
    /// What the reader decided that a person should know (a modality taken from the homologation, rows
    /// of other team types skipped, …).
    pub notes: Vec<String>,
}

/// A file read whole: its facts (each with the line it came from), the records set aside, and notes.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    pub facts: Vec<(Fact, u32)>,
    pub quarantine: Vec<Quarantined>,
    pub notes: Vec<String>,
    /// Records read that are neither a fact nor set aside (other team types, rows without a team…).
    pub skipped: u64,
    /// The document the facts come from, when it is not the file itself (an annex's portaria).
    pub document: Option<String>,
}

/// A file refused whole: nothing of it was written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{file}: {reason}; nada foi gravado")]
    Refused { file: String, reason: String },
    #[error(transparent)]
    Write(#[from] crate::writer::Error),
}

impl Error {
    pub fn refused(path: &Path, reason: impl Into<String>) -> Error {
        Error::Refused {
            file: path.display().to_string(),
            reason: reason.into(),
        }
    }
}

/// Writes a file's facts through the one ingest path, each with the file's name, digest and line as its
/// source (or the document it stands for): a fact's id derives from it and the fact, so importing it again
/// adds nothing.
pub async fn write<L: EventLog>(
    path: &Path,
    parsed: Parsed,
    log: &L,
    clock: &dyn Clock,
) -> Result<(Summary, Vec<Quarantined>), Error> {
    let digest = crate::jsonl::digest(path)
        .map_err(|e| Error::refused(path, format!("não foi possível ler o arquivo: {e}")))?;
    let document = parsed.document.clone().unwrap_or_else(|| {
        path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    });
    let read = parsed.facts.len() as u64 + parsed.quarantine.len() as u64;
    let mut writer = FactWriter::new(log, clock);
    for (fact, line) in parsed.facts {
        let source = SourceRef {
            document: document.clone(),
            digest: Some(digest.clone()),
            line: Some(line),
        };
        writer.push(fact, source).await?;
    }
    let written = writer.finish().await?;
    let summary = Summary {
        file: path.display().to_string(),
        read,
        new: written.appended,
        already_present: written.duplicates,
        rejected: parsed.quarantine.len() as u64,
        notes: parsed.notes,
    };
    Ok((summary, parsed.quarantine))
}
