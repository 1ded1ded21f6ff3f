//! `repasse ingest fatos`: facts as JSON lines, one fact per line in the case format (`docs/spec/CASES.md`,
//! without the case files' shorthands), for integrators and tests.
//!
//! The file is read twice. The first pass checks every line and sets aside those it cannot use, with their
//! line, field, value and reason (the quarantine); a file with a fatal problem — unreadable, not UTF-8, no
//! usable line at all — is refused whole before anything is written. The second pass writes the usable
//! facts through the one ingest path, each with the file's name, BLAKE3 digest and line as its source; a
//! fact's id derives from the file's name and the fact itself, so importing the same file again adds
//! nothing. Nothing shown of a line (quarantine, messages) carries a CPF in clear.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use repasse_eventlog::{Clock, EventLog};
use repasse_proto::Fact;
use repasse_proto::envelope::SourceRef;

pub use crate::files::{Error, Quarantined, Summary};
use crate::writer::{FactWriter, WriteSummary};

/// A line longer than this is refused (a fact is a few hundred bytes; bounds what one line may hold).
pub const MAX_LINE_BYTES: usize = 1 << 20;

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
    let mut lines = Lines::open(path).map_err(refused)?;
    while let Some((number, line)) = lines.next_line().map_err(refused)? {
        match parse(&file, number, &line) {
            Ok(_) => facts += 1,
            Err(q) => quarantine.push(q),
        }
    }
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
    let document = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    import_as(path, &document, log, clock).await
}

/// [`import`], with `document` as every fact's source instead of the file's name: the API names who
/// wrote the facts there.
pub async fn import_as<L: EventLog>(
    path: &Path,
    document: &str,
    log: &L,
    clock: &dyn Clock,
) -> Result<(Summary, Vec<Quarantined>), Error> {
    let (facts, quarantine, digest) = check(path)?;
    let file = path.display().to_string();
    // Parsed again line by line and written as it goes: the file is never held whole.
    let mut writer = FactWriter::new(log, clock);
    let mut lines = Lines::open(path).map_err(|reason| Error::Refused {
        file: file.clone(),
        reason,
    })?;
    while let Some((number, line)) = lines.next_line().map_err(|reason| Error::Refused {
        file: file.clone(),
        reason,
    })? {
        let Ok(fact) = parse(&file, number, &line) else {
            continue;
        };
        let source = SourceRef {
            document: document.to_owned(),
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
        notes: Vec::new(),
    };
    Ok((summary, quarantine))
}

pub(crate) fn digest(path: &Path) -> std::io::Result<String> {
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

/// The non-blank lines of a file with their numbers (from 1), without their terminators and a leading BOM;
/// a line that is not UTF-8 or longer than `MAX_LINE_BYTES` is fatal, naming it.
struct Lines {
    reader: BufReader<std::fs::File>,
    number: u64,
    bytes: Vec<u8>,
}

impl Lines {
    fn open(path: &Path) -> Result<Lines, String> {
        let input = std::fs::File::open(path)
            .map_err(|e| format!("não foi possível ler o arquivo: {e}"))?;
        Ok(Lines {
            reader: BufReader::new(input),
            number: 0,
            bytes: Vec::new(),
        })
    }

    fn next_line(&mut self) -> Result<Option<(u64, String)>, String> {
        loop {
            self.bytes.clear();
            // The terminator (`\n` or `\r\n`) does not count towards the bound.
            let n = (&mut self.reader)
                .take(MAX_LINE_BYTES as u64 + 2)
                .read_until(b'\n', &mut self.bytes)
                .map_err(|e| format!("leitura interrompida na linha {}: {e}", self.number + 1))?;
            if n == 0 {
                return Ok(None);
            }
            self.number += 1;
            let number = self.number;
            let mut body = self.bytes.as_slice();
            body = body.strip_suffix(b"\n").unwrap_or(body);
            body = body.strip_suffix(b"\r").unwrap_or(body);
            if number == 1 {
                body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(body);
            }
            if body.len() > MAX_LINE_BYTES {
                return Err(format!("linha {number}: mais de {MAX_LINE_BYTES} bytes"));
            }
            let line = std::str::from_utf8(body).map_err(|e| {
                format!(
                    "linha {number}: não é UTF-8 (byte {}); esperado JSON em UTF-8",
                    e.valid_up_to() + 1
                )
            })?;
            let line = line.trim();
            if !line.is_empty() {
                return Ok(Some((number, line.to_owned())));
            }
        }
    }
}

/// One line as a fact, or why not, with the JSON path of the field at fault.
fn parse(file: &str, line: u64, text: &str) -> Result<Fact, Quarantined> {
    let quarantined = |field: String, value: String, reason: String| Quarantined {
        file: file.to_owned(),
        line,
        field,
        value: hide_cpfs(&value),
        reason: hide_cpfs(&reason),
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
    current.to_string()
}

/// Text shown of a line, with every run of 11 digits or more (a CPF, in any field) hidden but for its
/// length: a quarantine file or a message never carries a CPF in clear.
pub(crate) fn hide_cpfs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 11 {
            out.push_str(&format!("({} dígitos, ocultados)", digits.len()));
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
        } else {
            flush(&mut digits, &mut out);
            out.push(ch);
        }
    }
    flush(&mut digits, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::hide_cpfs;

    #[test]
    fn runs_of_eleven_digits_or_more_are_hidden_wherever_they_are() {
        assert_eq!(
            hide_cpfs(r#"{"cpf":"12345678909","ine":"0001234561"}"#),
            r#"{"cpf":"(11 dígitos, ocultados)","ine":"0001234561"}"#
        );
        assert_eq!(hide_cpfs("x 52998224725y"), "x (11 dígitos, ocultados)y");
        assert_eq!(hide_cpfs("2025-01"), "2025-01");
    }
}
