//! The Ministry's CSV tables as published: `;`-separated, every field quoted, ISO-8859-1, one header line
//! whose names are matched by name — normalised, because some are SQL expressions
//! (`TO_CHAR(A.DT_ATUALIZACAO,'DD/MM/YYYY')`) and one is quoted (`'CO_CPF'`) — never by position, since
//! layouts grow trailing columns (`docs/spec/FORMATS.md` §1).

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, SyncSender};

use repasse_proto::Date;

/// A header name (or a closed value) as compared: accents dropped, then quotes and every other
/// non-alphanumeric, upper-cased (`Validação` → `VALIDACAO`).
pub fn normalise(name: &str) -> String {
    unaccented(name)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Latin letters without their accents (the descriptions are compared without them).
pub fn unaccented(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'Á' | 'À' | 'Â' | 'Ã' | 'Ä' => 'A',
            'é' | 'ê' | 'è' => 'e',
            'É' | 'Ê' | 'È' => 'E',
            'í' | 'î' => 'i',
            'Í' | 'Î' => 'I',
            'ó' | 'ô' | 'õ' | 'ö' => 'o',
            'Ó' | 'Ô' | 'Õ' | 'Ö' => 'O',
            'ú' | 'ü' => 'u',
            'Ú' | 'Ü' => 'U',
            'ç' => 'c',
            'Ç' => 'C',
            other => other,
        })
        .collect()
}

/// Digits as the Ministry's files print a count: `3382` → `3.382` (leading zeros dropped).
pub fn with_thousands(digits: &str) -> String {
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(d);
    }
    out
}

/// ISO-8859-1 to text: every byte is the code point of the same number.
pub fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|b| char::from(*b)).collect()
}

/// A fatal problem of a table, naming where it is.
#[derive(Debug, thiserror::Error)]
#[error("{table}: {reason}")]
pub struct TableError {
    pub table: String,
    pub reason: String,
}

/// Where a table's bytes are: a member of a zip (opened again by the reading thread, which owns it) or
/// bytes in memory.
#[derive(Clone, Debug)]
pub enum Input {
    Zip { path: PathBuf, member: String },
    Bytes(Vec<u8>),
}

/// Records handed from the reading thread per message, and messages in flight: the memory of a table
/// being read is bounded by `BATCH × (IN_FLIGHT + 2)` records, whatever its size.
const BATCH: usize = 4_096;
const IN_FLIGHT: usize = 2;

/// What the reading thread sends: the header alone first, then batches of records, then how the table
/// ended.
enum Message {
    Batch(Vec<csv::ByteRecord>),
    /// The end, with the records holding a byte ≥ 0x80 that are valid UTF-8 multi-byte text / that are
    /// not: a file in UTF-8 where ISO-8859-1 is published is refused, not read as mojibake.
    End {
        utf8_like: u64,
        latin1_like: u64,
    },
    Failed(String),
}

/// Records a caller can tell it does not want before they are handed over: those whose `column` is
/// certainly not among a set of keys, by a bit set of the keys' hashes ([`KeyFilter::bit`]). False
/// positives pass (the caller looks them up); no wanted record is ever dropped.
#[derive(Clone, Debug)]
pub struct KeyFilter {
    pub column: &'static str,
    pub bits: Arc<Vec<u64>>,
}

impl KeyFilter {
    /// The word and bit of `key` in a set of `words` 64-bit words (a power of two).
    pub fn bit(key: &[u8], words: usize) -> (usize, u64) {
        use std::hash::Hasher;
        let mut hasher = rustc_hash::FxHasher::default();
        hasher.write(key);
        let h = hasher.finish().rotate_left(26);
        ((h >> 6) as usize & (words - 1), 1 << (h & 63))
    }

    /// A set of `bits_per_key` bits per key (rounded up to a power of two words) holding `keys`.
    pub fn bits<'a>(
        keys: impl ExactSizeIterator<Item = &'a [u8]>,
        bits_per_key: usize,
    ) -> Vec<u64> {
        let words = (keys.len() * bits_per_key / 64).next_power_of_two().max(1);
        let mut bits = vec![0u64; words];
        for key in keys {
            let (word, bit) = KeyFilter::bit(key, words);
            bits[word] |= bit;
        }
        bits
    }

    pub fn may_hold(bits: &[u64], key: &[u8]) -> bool {
        let (word, bit) = KeyFilter::bit(key, bits.len());
        bits[word] & bit != 0
    }
}

/// A CSV table read record by record, with the positions of the columns asked for. A thread of its own
/// decompresses and splits the records (the work of the csv crate alone, the floor of `bench ingest`),
/// checks their encoding and drops those a [`KeyFilter`] rules out, while the caller joins the rest: on
/// two cores the two halves overlap.
pub struct Table {
    name: String,
    batches: Receiver<Message>,
    recycle: Sender<Vec<csv::ByteRecord>>,
    /// The batch being read and the index of the next record in it; a spent batch goes back to the
    /// reading thread, which reuses its records' buffers.
    batch: Vec<csv::ByteRecord>,
    at: usize,
    columns: Vec<Option<usize>>,
    width: usize,
}

/// A column asked for: its published name, and whether the table is unusable without it.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub name: &'static str,
    pub required: bool,
}

pub const fn required(name: &'static str) -> Column {
    Column {
        name,
        required: true,
    }
}

pub const fn optional(name: &'static str) -> Column {
    Column {
        name,
        required: false,
    }
}

/// The reading thread. It stops as soon as the table is dropped (its sends fail).
fn split(
    input: Input,
    separator: u8,
    keep: Option<KeyFilter>,
    batches: SyncSender<Message>,
    recycle: Receiver<Vec<csv::ByteRecord>>,
) {
    let run = |read: &mut dyn Read| -> Result<Option<(u64, u64)>, String> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(separator)
            .quote(b'"')
            .has_headers(false)
            .flexible(true)
            .from_reader(read);
        let mut header = csv::ByteRecord::new();
        if !reader
            .read_byte_record(&mut header)
            .map_err(|e| format!("registro ilegível: {e}"))?
        {
            return Ok(None);
        }
        // The filtered column, found by name as the caller finds its own.
        let filter = keep.as_ref().and_then(|k| {
            let name = normalise(k.column);
            let at = header.iter().position(|h| normalise(&latin1(h)) == name)?;
            Some((at, k.bits.as_slice()))
        });
        if batches.send(Message::Batch(vec![header])).is_err() {
            return Ok(None);
        }
        let (mut utf8_like, mut latin1_like) = (0u64, 0u64);
        loop {
            let mut batch = recycle
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(BATCH));
            batch.resize_with(BATCH, csv::ByteRecord::new);
            let mut filled = 0;
            let mut done = false;
            while filled < BATCH {
                match reader.read_byte_record(&mut batch[filled]) {
                    Ok(true) => {}
                    Ok(false) => {
                        done = true;
                        break;
                    }
                    Err(e) => return Err(format!("registro ilegível: {e}")),
                }
                let record = &batch[filled];
                let wanted = filter.is_none_or(|(at, bits)| {
                    record
                        .get(at)
                        .is_none_or(|key| KeyFilter::may_hold(bits, key.trim_ascii()))
                });
                if !wanted {
                    continue;
                }
                // The encoding is judged on the records handed over (a UTF-8 file has accents in them as
                // in the others), and only until one is certainly not UTF-8.
                let bytes = record.as_slice();
                if latin1_like == 0 && bytes.iter().any(|b| *b >= 0x80) {
                    if std::str::from_utf8(bytes).is_ok() {
                        utf8_like += 1;
                    } else {
                        latin1_like += 1;
                    }
                }
                filled += 1;
            }
            batch.truncate(filled);
            if filled > 0 && batches.send(Message::Batch(batch)).is_err() {
                return Ok(None);
            }
            if done {
                return Ok(Some((utf8_like, latin1_like)));
            }
        }
    };
    let result = match input {
        Input::Bytes(bytes) => run(&mut &bytes[..]),
        Input::Zip { path, member } => run(&mut Inflated::start(path, member)),
    };
    let _ = match result {
        Ok(Some((utf8_like, latin1_like))) => batches.send(Message::End {
            utf8_like,
            latin1_like,
        }),
        Ok(None) => Ok(()),
        Err(reason) => batches.send(Message::Failed(reason)),
    };
}

/// A zip member decompressed on a thread of its own, read here in chunks: the third stage of the
/// pipeline (inflate → split → join), so that splitting the records never waits on decompression.
struct Inflated {
    chunks: Receiver<Result<Vec<u8>, String>>,
    chunk: Vec<u8>,
    at: usize,
}

/// Bytes per decompressed chunk, and chunks in flight.
const CHUNK: usize = 1 << 18;
const CHUNKS_IN_FLIGHT: usize = 4;

impl Inflated {
    fn start(path: PathBuf, member: String) -> Inflated {
        let (send, chunks) = std::sync::mpsc::sync_channel(CHUNKS_IN_FLIGHT);
        let failed = send.clone();
        let spawned = std::thread::Builder::new()
            .name("descompressao".into())
            .spawn(move || {
                if let Err(reason) = inflate(&path, &member, &send) {
                    let _ = send.send(Err(reason));
                }
            });
        if let Err(e) = spawned {
            let _ = failed.send(Err(format!(
                "não foi possível iniciar a descompressão: {e}"
            )));
        }
        Inflated {
            chunks,
            chunk: Vec::new(),
            at: 0,
        }
    }
}

/// Decompresses `member` of the zip at `path` into chunks until the end or until nobody reads them.
fn inflate(
    path: &std::path::Path,
    member: &str,
    send: &SyncSender<Result<Vec<u8>, String>>,
) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut zip =
        zip::ZipArchive::new(file).map_err(|e| format!("zip ilegível ou truncado ({e})"))?;
    let mut entry = zip
        .by_name(member)
        .map_err(|e| format!("membro ilegível no zip ({e})"))?;
    loop {
        let mut chunk = vec![0u8; CHUNK];
        let mut filled = 0;
        while filled < CHUNK {
            match entry.read(&mut chunk[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("membro ilegível no zip ({e})")),
            }
        }
        chunk.truncate(filled);
        let last = filled < CHUNK;
        if (filled > 0 && send.send(Ok(chunk)).is_err()) || last {
            return Ok(());
        }
    }
}

impl Read for Inflated {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.chunk.len() {
            match self.chunks.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
                Ok(Err(reason)) => return Err(std::io::Error::other(reason)),
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.chunk.len() - self.at);
        out[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

impl Table {
    /// Starts reading `input` and finds `columns` in its header; `keep`, where given, drops on the
    /// reading thread the records it rules out.
    pub fn open(
        name: &str,
        input: Input,
        separator: u8,
        columns: &[Column],
        keep: Option<KeyFilter>,
    ) -> Result<Table, TableError> {
        let error = |reason: String| TableError {
            table: name.to_owned(),
            reason,
        };
        let (send, batches) = std::sync::mpsc::sync_channel(IN_FLIGHT);
        let (recycle, recycled) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("tabela".into())
            .spawn(move || split(input, separator, keep, send, recycled))
            .map_err(|e| error(format!("não foi possível iniciar a leitura: {e}")))?;
        let header = match batches.recv() {
            Ok(Message::Batch(mut batch)) => batch.pop().expect("the header is sent alone"),
            Ok(Message::Failed(reason)) => {
                return Err(error(format!("cabeçalho ilegível: {reason}")));
            }
            Ok(Message::End { .. }) | Err(_) => {
                return Err(error("tabela vazia: esperado um cabeçalho".into()));
            }
        };
        let (columns, width) = locate(&header, separator, columns).map_err(error)?;
        Ok(Table {
            name: name.to_owned(),
            batches,
            recycle,
            batch: Vec::new(),
            at: 0,
            columns,
            width,
        })
    }

    /// The next record, or `None` at the end; a broken record (an unclosed quote, a read error) is fatal,
    /// and so is a table in UTF-8, found at its end.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>, TableError> {
        while self.at == self.batch.len() {
            let failed = |reason: String| TableError {
                table: self.name.clone(),
                reason,
            };
            match self.batches.recv() {
                Ok(Message::Batch(batch)) => {
                    let spent = std::mem::replace(&mut self.batch, batch);
                    let _ = self.recycle.send(spent);
                    self.at = 0;
                }
                Ok(Message::Failed(reason)) => return Err(failed(reason)),
                Ok(Message::End {
                    utf8_like,
                    latin1_like,
                }) => {
                    if utf8_like > 0 && latin1_like == 0 {
                        return Err(failed(
                            "o texto está em UTF-8; esperado ISO-8859-1 (latin-1), como o DATASUS publica".into(),
                        ));
                    }
                    return Ok(None);
                }
                Err(_) => return Err(failed("leitura interrompida".into())),
            }
        }
        let record = &self.batch[self.at];
        self.at += 1;
        let line = record.position().map_or(0, |p| p.line());
        Ok(Some(Row {
            record,
            columns: &self.columns,
            width: self.width,
            line,
        }))
    }
}

/// The positions of `columns` in a header, and the header's width; or why the table cannot be read.
fn locate(
    header: &csv::ByteRecord,
    separator: u8,
    columns: &[Column],
) -> Result<(Vec<Option<usize>>, usize), String> {
    let names: Vec<String> = header
        .iter()
        .map(|h| normalise(latin1(h).trim_start_matches('\u{feff}')))
        .collect();
    if names.len() == 1 && header.as_slice().contains(&b',') {
        return Err(format!(
            "separador errado: o cabeçalho tem uma só coluna com vírgulas; esperado \"{}\"",
            char::from(separator)
        ));
    }
    let mut found = Vec::with_capacity(columns.len());
    let mut missing = Vec::new();
    for column in columns {
        let at = names.iter().position(|n| *n == normalise(column.name));
        if at.is_none() && column.required {
            missing.push(column.name);
        }
        found.push(at);
    }
    if !missing.is_empty() {
        return Err(format!(
            "coluna obrigatória ausente: {} (cabeçalho lido: {})",
            missing.join(", "),
            header
                .iter()
                .map(latin1)
                .collect::<Vec<_>>()
                .join(&char::from(separator).to_string())
        ));
    }
    Ok((found, names.len()))
}

/// One record, its fields by the index of the column asked for.
#[derive(Debug)]
pub struct Row<'a> {
    record: &'a csv::ByteRecord,
    columns: &'a [Option<usize>],
    width: usize,
    /// The line the record starts on (1 is the header).
    pub line: u64,
}

impl Row<'_> {
    /// The raw bytes of column `i` (empty when the table lacks the optional column), trimmed.
    pub fn bytes(&self, i: usize) -> &[u8] {
        self.columns[i]
            .and_then(|at| self.record.get(at))
            .map_or(&[][..], |b| b.trim_ascii())
    }

    pub fn text(&self, i: usize) -> String {
        latin1(self.bytes(i))
    }

    /// Whether the record has as many fields as the header (a short record is a truncated line).
    pub fn is_complete(&self) -> bool {
        self.record.len() >= self.width
    }
}

/// A date as the dump writes it, `DD/MM/YYYY`; empty is none, and so is a date before 1900 (a CNES
/// sentinel, FORMATS.md §1).
pub fn dump_date(text: &str) -> Result<Option<Date>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = text.split('/').collect();
    let [d, m, y] = parts.as_slice() else {
        return Err("data inválida: esperado DD/MM/AAAA".into());
    };
    if d.len() != 2 || m.len() != 2 || y.len() != 4 {
        return Err("data inválida: esperado DD/MM/AAAA".into());
    }
    if y.parse::<u32>().is_ok_and(|y| y < 1900) {
        return Ok(None);
    }
    format!("{y}-{m}-{d}")
        .parse::<Date>()
        .map(Some)
        .map_err(|e| format!("data inválida: {e}"))
}

/// A whole number of hours as published (digits, empty is 0).
pub fn hours(bytes: &[u8]) -> Result<u32, String> {
    if bytes.is_empty() {
        return Ok(0);
    }
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|t| t.parse::<u32>().ok())
        .filter(|h| *h <= 999)
        .ok_or_else(|| {
            format!(
                "carga horária inválida \"{}\": esperado um número inteiro de horas",
                latin1(bytes)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_that_are_sql_expressions_or_quoted_match_by_name() {
        assert_eq!(
            normalise("TO_CHAR(A.DT_ATUALIZACAO,'DD/MM/YYYY')"),
            "TOCHARADTATUALIZACAODDMMYYYY"
        );
        assert_eq!(normalise("'CO_CPF'"), normalise("CO_CPF"));
        assert_eq!(normalise("co_cpf"), normalise("CO_CPF"));
    }

    #[test]
    fn dates_are_read_as_published_and_sentinels_are_none() {
        assert_eq!(
            dump_date("05/03/2025").unwrap(),
            Some("2025-03-05".parse().unwrap())
        );
        assert_eq!(dump_date("").unwrap(), None);
        assert_eq!(dump_date("01/01/1800").unwrap(), None);
        assert!(dump_date("2025-03-05").is_err());
        assert!(dump_date("31/02/2025").is_err());
    }

    #[test]
    fn a_table_reads_latin1_by_column_name_and_refuses_utf8() {
        let text = b"\"A\";\"TO_CHAR(B,'x')\";\"C\"\n\"1\";\"Jo\xe3o\";\"x\"\n".to_vec();
        let mut table = Table::open(
            "t",
            Input::Bytes(text),
            b';',
            &[required("C"), required("TO_CHAR(B,'x')")],
            None,
        )
        .unwrap();
        let row = table.next_row().unwrap().unwrap();
        assert_eq!(row.text(0), "x");
        assert_eq!(row.text(1), "João");
        assert_eq!(row.line, 2);
        assert!(table.next_row().unwrap().is_none());
        let utf8 = "\"A\"\n\"João\"\n".as_bytes().to_vec();
        let mut table = Table::open("t", Input::Bytes(utf8), b';', &[required("A")], None).unwrap();
        table.next_row().unwrap();
        assert!(table.next_row().unwrap_err().reason.contains("UTF-8"));
        let missing = Table::open(
            "t",
            Input::Bytes(b"\"A\";\"B\"\n".to_vec()),
            b';',
            &[required("Z")],
            None,
        );
        assert!(missing.err().unwrap().reason.contains("Z"));
        let comma = Table::open(
            "t",
            Input::Bytes(b"\"A\",\"B\"\n".to_vec()),
            b';',
            &[required("A")],
            None,
        );
        assert!(comma.err().unwrap().reason.contains("separador"));
    }

    #[test]
    fn a_key_filter_never_drops_a_wanted_record_and_keeps_line_numbers() {
        let mut text = String::from("\"K\";\"V\"\n");
        for i in 0..10_000 {
            text.push_str(&format!("\"k{i}\";\"{i}\"\n"));
        }
        let wanted: Vec<Vec<u8>> = (0..10_000)
            .step_by(97)
            .map(|i| format!("k{i}").into_bytes())
            .collect();
        let bits = KeyFilter::bits(wanted.iter().map(Vec::as_slice), 4);
        let keep = KeyFilter {
            column: "K",
            bits: Arc::new(bits),
        };
        let mut table = Table::open(
            "t",
            Input::Bytes(text.into_bytes()),
            b';',
            &[required("K")],
            Some(keep),
        )
        .unwrap();
        let (mut seen, mut passed) = (Vec::new(), 0);
        while let Some(row) = table.next_row().unwrap() {
            passed += 1;
            let key = row.bytes(0).to_vec();
            let i: u64 = std::str::from_utf8(&key[1..]).unwrap().parse().unwrap();
            assert_eq!(row.line, i + 2, "the record's own line");
            if wanted.contains(&key) {
                seen.push(key);
            }
        }
        assert_eq!(seen, wanted);
        assert!(
            passed < 4_000,
            "most records ruled out on the reading thread: {passed} passed"
        );
    }
}
