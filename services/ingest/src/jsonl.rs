//! `repasse ingest fatos`: facts as JSON lines, one fact per line in the case format (`docs/spec/CASES.md`,
//! without the case files' shorthands), for integrators and tests.
//!
//! The file is read twice. The first pass checks every line and sets aside those it cannot use, with their
//! line, field, value and reason (the quarantine); a file with a fatal problem — unreadable, not UTF-8, no
//! usable line at all — is refused whole before anything is written. The second pass writes the usable
//! facts through the one ingest path, each with the file's name, BLAKE3 digest and line as its source, so
//! that importing the same file again adds nothing.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use repasse_eventlog::{Clock, EventLog};
use repasse_proto::Fact;
use repasse_proto::envelope::SourceRef;

use crate::writer::{FactWriter, WriteSummary};

/// A line longer than this is refused (a fact is a few hundred bytes; bounds what one line may hold).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// A line set aside: where, which field, what value, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Quarantined {
    pub file: String,
    pub line: u64,
    /// The JSON path of the field at fault (`$` for the line itself).
    pub field: String,
    pub value: String,
    pub reason: String,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub file: String,
    /// Lines holding a fact (blank lines are not counted).
    pub read: u64,
    pub new: u64,
    pub already_present: u64,
    pub rejected: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{file}: {reason}; nada foi gravado")]
    Refused { file: String, reason: String },
    #[error(transparent)]
    Write(#[from] crate::writer::Error),
}

/// Checks every line of `path`: the facts' count and the lines set aside, or the reason the whole file is
/// refused.
pub fn check(path: &Path) -> Result<(u64, Vec<Quarantined>, String), Error> {
    let file = path.display().to_string();
    let refused = |reason: String| Error::Refused {
        file: file.clone(),
        reason,
    };
    let digest =
        digest(path).map_err(|e| refused(format!("não foi possível ler o arquivo: {e}")))?;
    let mut facts = 0u64;
    let mut quarantine = Vec::new();
    for_each_line(path, &mut |number, line| {
        match parse(&file, number, line) {
            Ok(_) => facts += 1,
            Err(q) => quarantine.push(q),
        }
        Ok(())
    })
    .map_err(refused)?;
    if facts == 0 && !quarantine.is_empty() {
        let first = &quarantine[0];
        return Err(refused(format!(
            "nenhuma linha é um fato (linha {}: {}): o arquivo não está no formato de fatos em JSON lines",
            first.line, first.reason
        )));
    }
    Ok((facts, quarantine, digest))
}

/// Imports `path` into `log`: checks it whole first, then writes its usable facts.
pub async fn import<L: EventLog>(
    path: &Path,
    log: &L,
    clock: &dyn Clock,
) -> Result<(Summary, Vec<Quarantined>), Error> {
    let (facts, quarantine, digest) = check(path)?;
    let file = path.display().to_string();
    let document = path
        .file_name()
        .map_or_else(|| file.clone(), |n| n.to_string_lossy().into_owned());
    // Parsed again line by line: the file is never held whole.
    let mut parsed = Vec::new();
    for_each_line(path, &mut |number, line| {
        if let Ok(fact) = parse(&file, number, line) {
            parsed.push((fact, number));
        }
        Ok(())
    })
    .map_err(|reason| Error::Refused {
        file: file.clone(),
        reason,
    })?;
    let mut writer = FactWriter::new(log, clock);
    for (fact, number) in parsed {
        let source = SourceRef {
            document: document.clone(),
            digest: Some(digest.clone()),
            line: Some(u32::try_from(number).unwrap_or(u32::MAX)),
        };
        writer.push(fact, source).await?;
    }
    let written: WriteSummary = writer.finish().await?;
    let summary = Summary {
        file,
        read: facts + quarantine.len() as u64,
        new: written.appended,
        already_present: written.duplicates,
        rejected: quarantine.len() as u64,
    };
    Ok((summary, quarantine))
}

fn digest(path: &Path) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    let mut input = std::fs::File::open(path)?;
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = input.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher.finalize().to_hex().to_string())
}

/// Calls `f` with each non-blank line and its number (from 1); a line that is not UTF-8 or too long is
/// fatal, naming it.
fn for_each_line(
    path: &Path,
    f: &mut dyn FnMut(u64, &str) -> Result<(), String>,
) -> Result<(), String> {
    let input =
        std::fs::File::open(path).map_err(|e| format!("não foi possível ler o arquivo: {e}"))?;
    let mut reader = BufReader::new(input);
    let mut bytes = Vec::new();
    let mut number = 0u64;
    loop {
        bytes.clear();
        let n = reader
            .by_ref()
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut bytes)
            .map_err(|e| format!("leitura interrompida na linha {}: {e}", number + 1))?;
        if n == 0 {
            return Ok(());
        }
        number += 1;
        if bytes.len() > MAX_LINE_BYTES {
            return Err(format!("linha {number}: mais de {MAX_LINE_BYTES} bytes"));
        }
        let line = std::str::from_utf8(&bytes).map_err(|e| {
            format!(
                "linha {number}: não é UTF-8 (byte {}); esperado JSON em UTF-8",
                e.valid_up_to() + 1
            )
        })?;
        let line = line.trim();
        if !line.is_empty() {
            f(number, line)?;
        }
    }
}

/// One line as a fact, or why not, with the JSON path of the field at fault.
fn parse(file: &str, line: u64, text: &str) -> Result<Fact, Quarantined> {
    let quarantined = |field: String, value: String, reason: String| Quarantined {
        file: file.to_owned(),
        line,
        field,
        value,
        reason,
    };
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        let shown: String = text.chars().take(80).collect();
        quarantined(
            "$".into(),
            shown,
            format!("JSON inválido na coluna {}", e.column()),
        )
    })?;
    match value.get("type").and_then(serde_json::Value::as_str) {
        Some(t) if Fact::TYPES.contains(&t) => {}
        Some(t) => {
            return Err(quarantined(
                "$.type".into(),
                t.to_owned(),
                format!(
                    "tipo de fato desconhecido; esperado um de: {}",
                    Fact::TYPES.join(", ")
                ),
            ));
        }
        None => {
            return Err(quarantined(
                "$.type".into(),
                String::new(),
                "campo \"type\" ausente ou não textual".into(),
            ));
        }
    }
    Fact::from_json_value(value.clone()).map_err(|(at, reason)| {
        let field = if at == "." {
            "$".to_owned()
        } else {
            format!("$.{at}").replace(".[", "[")
        };
        quarantined(field, pointer(&value, &at), reason)
    })
}

/// The value at a serde path (`professionals[0].cpf`), shown as JSON, a CPF masked.
fn pointer(value: &serde_json::Value, path: &str) -> String {
    let mut current = value;
    for part in path.split('.').filter(|p| !p.is_empty() && *p != "?") {
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        if !name.is_empty() {
            match current.get(name) {
                Some(next) => current = next,
                None => return String::new(),
            }
        }
        if let Some(i) = index {
            match current.get(i) {
                Some(next) => current = next,
                None => return String::new(),
            }
        }
    }
    let shown = current.to_string();
    if path.ends_with("cpf") {
        let digits: String = shown.chars().filter(char::is_ascii_digit).collect();
        return format!("({} dígitos, ocultados)", digits.len());
    }
    shown
}
