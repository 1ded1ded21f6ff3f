//! The embedded log on sled: one machine, and offline audit with no server.
//!
//! Layout per stream: tree `<stream>.records` (position, big-endian → record with a BLAKE3 checksum) and
//! tree `<stream>.ids` (id → position). sled recovers a torn write by dropping it, which would silently
//! shorten the log; so after every durable append a control file `<stream>.head` records the last position,
//! its checksum and a hash chain over all checksums. Opening a log whose records end before the control
//! file says is `Error::Truncated`; a record whose bytes do not match its checksum is `Error::Corrupt`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::stream::BoxStream;
use repasse_proto::Timestamp;
use tokio::sync::watch;

use crate::{
    Appended, Clock, Error, EventLog, MAX_READ_BATCH, NewRecord, Position, Record, Result,
    follow_by_polling, validate,
};

const CHECKSUM_BYTES: usize = 16;
type Checksum = [u8; CHECKSUM_BYTES];

/// What the control file says, and what the appender keeps in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Head {
    position: Position,
    stamp: Timestamp,
    checksum: Checksum,
    chain: [u8; 32],
}

impl Head {
    const EMPTY: Head = Head {
        position: Position(0),
        stamp: Timestamp(i64::MIN),
        checksum: [0; 16],
        chain: [0; 32],
    };

    fn extend(self, position: Position, stamp: Timestamp, checksum: Checksum) -> Head {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&self.chain);
        hasher.update(&checksum);
        Head {
            position,
            stamp,
            checksum,
            chain: *hasher.finalize().as_bytes(),
        }
    }

    fn to_text(self) -> String {
        format!(
            "{} {} {} {}\n",
            self.position.0,
            self.stamp.0,
            hex(&self.checksum),
            hex(&self.chain)
        )
    }

    fn parse(text: &str) -> Option<Head> {
        let mut words = text.split_whitespace();
        let position = Position(words.next()?.parse().ok()?);
        let stamp = Timestamp(words.next()?.parse().ok()?);
        let mut checksum = [0u8; CHECKSUM_BYTES];
        unhex(words.next()?, &mut checksum)?;
        let mut chain = [0u8; 32];
        unhex(words.next()?, &mut chain)?;
        Some(Head {
            position,
            stamp,
            checksum,
            chain,
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str, out: &mut [u8]) -> Option<()> {
    if text.len() != out.len() * 2 {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(())
}

fn checksum(body: &[u8]) -> Checksum {
    let mut sum = [0u8; CHECKSUM_BYTES];
    sum.copy_from_slice(&blake3::hash(body).as_bytes()[..CHECKSUM_BYTES]);
    sum
}

/// Record value: stamp (8, LE) | subject length (2) | subject | id length (2) | id | payload | checksum (16).
fn encode_value(stamp: Timestamp, record: &NewRecord) -> (Vec<u8>, Checksum) {
    let mut value =
        Vec::with_capacity(12 + record.subject.len() + record.id.len() + record.payload.len() + 16);
    value.extend_from_slice(&stamp.0.to_le_bytes());
    value.extend_from_slice(&(record.subject.len() as u16).to_le_bytes());
    value.extend_from_slice(record.subject.as_bytes());
    value.extend_from_slice(&(record.id.len() as u16).to_le_bytes());
    value.extend_from_slice(record.id.as_bytes());
    value.extend_from_slice(&record.payload);
    let sum = checksum(&value);
    value.extend_from_slice(&sum);
    (value, sum)
}

pub struct SledLog {
    inner: Arc<Inner>,
}

struct Inner {
    stream: String,
    path: PathBuf,
    head_path: PathBuf,
    db: sled::Db,
    records: sled::Tree,
    ids: sled::Tree,
    clock: Arc<dyn Clock>,
    head: Mutex<Head>,
    tip: watch::Sender<Position>,
}

impl SledLog {
    /// Opens (or creates) the stream `stream` of the embedded log in directory `path`.
    pub fn open(path: &Path, stream: &str, clock: Arc<dyn Clock>) -> Result<SledLog> {
        let db = sled::Config::new()
            .path(path)
            .open()
            .map_err(|e| Error::Corrupt {
                path: path.display().to_string(),
                detail: format!("sled não abriu o banco: {e}"),
            })?;
        SledLog::open_in(&db, path, stream, clock)
    }

    /// Opens a stream inside an already open sled database (several streams share one directory).
    pub fn open_in(
        db: &sled::Db,
        path: &Path,
        stream: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<SledLog> {
        let storage = |e: sled::Error| Error::Storage {
            stream: stream.to_owned(),
            detail: e.to_string(),
        };
        let records = db.open_tree(format!("{stream}.records")).map_err(storage)?;
        let ids = db.open_tree(format!("{stream}.ids")).map_err(storage)?;
        let head_path = path.join(format!("{stream}.head"));
        let inner = Inner {
            stream: stream.to_owned(),
            path: path.to_owned(),
            head_path,
            db: db.clone(),
            records,
            ids,
            clock,
            head: Mutex::new(Head::EMPTY),
            tip: watch::channel(Position::START).0,
        };
        let head = inner.recover()?;
        *inner.head.lock().expect("head lock") = head;
        inner.tip.send_replace(head.position);
        Ok(SledLog {
            inner: Arc::new(inner),
        })
    }

    /// Recomputes the hash chain over every record and compares it with the control file.
    pub fn verify_all(&self) -> Result<Position> {
        let inner = &self.inner;
        let mut head = Head::EMPTY;
        for entry in inner.records.iter() {
            let (key, value) = entry.map_err(|e| inner.storage(e))?;
            let position = inner.key_position(&key)?;
            if position != head.position.next() {
                return Err(inner.corrupt(format!(
                    "lacuna no log: posição {position} depois de {}",
                    head.position
                )));
            }
            let record = inner.decode(position, &value)?;
            head = head.extend(
                position,
                record.stamp,
                checksum(&value[..value.len() - CHECKSUM_BYTES]),
            );
        }
        let expected = *inner.head.lock().expect("head lock");
        if head != expected {
            return Err(inner.corrupt(format!(
                "cadeia de hashes diverge do registro de controle (posição {} calculada, {} registrada)",
                head.position, expected.position
            )));
        }
        Ok(head.position)
    }

    /// The directory of the log.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }
}

impl Inner {
    fn storage(&self, e: sled::Error) -> Error {
        Error::Storage {
            stream: self.stream.clone(),
            detail: e.to_string(),
        }
    }

    fn corrupt(&self, detail: String) -> Error {
        Error::Corrupt {
            path: self.path.display().to_string(),
            detail: format!("stream {}: {detail}", self.stream),
        }
    }

    fn key_position(&self, key: &[u8]) -> Result<Position> {
        let bytes: [u8; 8] = key
            .try_into()
            .map_err(|_| self.corrupt(format!("chave de {} bytes", key.len())))?;
        Ok(Position(u64::from_be_bytes(bytes)))
    }

    fn decode(&self, position: Position, value: &[u8]) -> Result<Record> {
        let bad = |what: &str| self.corrupt(format!("registro {position}: {what}"));
        if value.len() < 12 + CHECKSUM_BYTES {
            return Err(bad("curto demais"));
        }
        let (body, sum) = value.split_at(value.len() - CHECKSUM_BYTES);
        if checksum(body) != sum {
            return Err(bad("soma de verificação não confere"));
        }
        let stamp = Timestamp(i64::from_le_bytes(body[..8].try_into().expect("8 bytes")));
        let subject_len = usize::from(u16::from_le_bytes([body[8], body[9]]));
        let subject_end = 10 + subject_len;
        let id_len_bytes = body
            .get(subject_end..subject_end + 2)
            .ok_or_else(|| bad("assunto truncado"))?;
        let id_end =
            subject_end + 2 + usize::from(u16::from_le_bytes([id_len_bytes[0], id_len_bytes[1]]));
        let text = |range: std::ops::Range<usize>| {
            body.get(range)
                .and_then(|b| std::str::from_utf8(b).ok())
                .map(str::to_owned)
                .ok_or_else(|| bad("texto inválido"))
        };
        Ok(Record {
            position,
            subject: text(10..subject_end)?,
            id: text(subject_end + 2..id_end)?,
            stamp,
            payload: Bytes::copy_from_slice(body.get(id_end..).ok_or_else(|| bad("id truncado"))?),
        })
    }

    /// Reconciles the records with the control file on open.
    fn recover(&self) -> Result<Head> {
        let stored = match std::fs::read_to_string(&self.head_path) {
            Ok(text) => Some(
                Head::parse(&text)
                    .ok_or_else(|| self.corrupt("registro de controle ilegível".into()))?,
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(self.corrupt(format!("registro de controle: {e}"))),
        };
        let last = match self.records.last().map_err(|e| self.storage(e))? {
            Some((key, value)) => {
                let position = self.key_position(&key)?;
                let record = self.decode(position, &value)?;
                Some((
                    position,
                    record.stamp,
                    checksum(&value[..value.len() - CHECKSUM_BYTES]),
                ))
            }
            None => None,
        };
        match (stored, last) {
            (None, None) => Ok(Head::EMPTY),
            (None, Some((found, ..))) => Err(self.corrupt(format!(
                "há {found} registros mas falta o registro de controle {}",
                self.head_path.display()
            ))),
            (Some(head), None) if head.position > Position(0) => Err(Error::Truncated {
                path: self.path.display().to_string(),
                expected: head.position,
                found: Position(0),
            }),
            (Some(head), None) => Ok(head),
            (Some(head), Some((found, ..))) if found < head.position => Err(Error::Truncated {
                path: self.path.display().to_string(),
                expected: head.position,
                found,
            }),
            (Some(head), Some((found, _, sum))) if found == head.position => {
                if sum != head.checksum {
                    return Err(self.corrupt(format!(
                        "o registro {found} difere do registrado no controle"
                    )));
                }
                Ok(head)
            }
            // Records flushed after the last control write (a crash in between): extend the chain over them.
            (Some(head), Some(_)) => self.extend_head(head),
        }
    }

    fn extend_head(&self, mut head: Head) -> Result<Head> {
        for entry in self.records.range(head.position.next().0.to_be_bytes()..) {
            let (key, value) = entry.map_err(|e| self.storage(e))?;
            let position = self.key_position(&key)?;
            let record = self.decode(position, &value)?;
            head = head.extend(
                position,
                record.stamp,
                checksum(&value[..value.len() - CHECKSUM_BYTES]),
            );
        }
        self.write_head(head)?;
        Ok(head)
    }

    fn write_head(&self, head: Head) -> Result<()> {
        let temp = self.head_path.with_extension("head.tmp");
        let io = |e: std::io::Error| self.corrupt(format!("gravando o registro de controle: {e}"));
        {
            use std::io::Write;
            let mut file = std::fs::File::create(&temp).map_err(io)?;
            file.write_all(head.to_text().as_bytes()).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        std::fs::rename(&temp, &self.head_path).map_err(io)
    }

    /// Appends under the head lock; durable (flushed, control file written) when it returns.
    fn append_many(
        &self,
        records: Vec<NewRecord>,
        expected: Option<Position>,
    ) -> Result<Vec<Appended>> {
        for record in &records {
            validate(&self.stream, record)?;
        }
        let mut guard = self.head.lock().expect("head lock");
        let mut head = *guard;
        if let Some(expected) = expected {
            let first_is_duplicate = match records.first() {
                Some(r) => self
                    .ids
                    .get(r.id.as_bytes())
                    .map_err(|e| self.storage(e))?
                    .is_some(),
                None => false,
            };
            if !first_is_duplicate && expected != head.position {
                return Err(Error::Conflict {
                    stream: self.stream.clone(),
                    expected,
                    actual: head.position,
                });
            }
        }
        let mut answers = Vec::with_capacity(records.len());
        let mut batch_records = sled::Batch::default();
        let mut batch_ids = sled::Batch::default();
        let mut fresh: std::collections::HashMap<&str, Position> = std::collections::HashMap::new();
        let now = self.clock.now();
        for record in &records {
            if let Some(position) = fresh.get(record.id.as_str()) {
                answers.push(Appended {
                    position: *position,
                    duplicate: true,
                });
                continue;
            }
            if let Some(found) = self
                .ids
                .get(record.id.as_bytes())
                .map_err(|e| self.storage(e))?
            {
                answers.push(Appended {
                    position: self.key_position(&found)?,
                    duplicate: true,
                });
                continue;
            }
            let position = head.position.next();
            let stamp = now.max(head.stamp);
            let (value, sum) = encode_value(stamp, record);
            batch_records.insert(&position.0.to_be_bytes(), value);
            batch_ids.insert(record.id.as_bytes(), &position.0.to_be_bytes());
            fresh.insert(&record.id, position);
            head = head.extend(position, stamp, sum);
            answers.push(Appended {
                position,
                duplicate: false,
            });
        }
        if head.position != guard.position {
            // Records first, then ids: an id never points at a missing record.
            self.records
                .apply_batch(batch_records)
                .map_err(|e| self.storage(e))?;
            self.ids
                .apply_batch(batch_ids)
                .map_err(|e| self.storage(e))?;
            self.db.flush().map_err(|e| self.storage(e))?;
            self.write_head(head)?;
            *guard = head;
            self.tip.send_replace(head.position);
        }
        Ok(answers)
    }

    fn read_sync(&self, from: Position, max: usize) -> Result<Vec<Record>> {
        let max = max.min(MAX_READ_BATCH);
        let end = self.head.lock().expect("head lock").position;
        let mut out = Vec::with_capacity(max.min(1024));
        let start = from.max(Position(1));
        for entry in self.records.range(start.0.to_be_bytes()..) {
            if out.len() == max {
                break;
            }
            let (key, value) = entry.map_err(|e| self.storage(e))?;
            let position = self.key_position(&key)?;
            if position > end {
                break;
            }
            let expected = out.last().map_or(start, |r: &Record| r.position.next());
            if position != expected {
                return Err(self.corrupt(format!(
                    "lacuna no log: esperada a posição {expected}, encontrada {position}"
                )));
            }
            out.push(self.decode(position, &value)?);
        }
        Ok(out)
    }

    fn stamp_at(&self, position: Position) -> Result<Timestamp> {
        let value = self
            .records
            .get(position.0.to_be_bytes())
            .map_err(|e| self.storage(e))?
            .ok_or_else(|| self.corrupt(format!("registro {position} ausente")))?;
        Ok(self.decode(position, &value)?.stamp)
    }
}

impl EventLog for SledLog {
    fn stream(&self) -> &str {
        &self.inner.stream
    }

    async fn append(&self, record: NewRecord, expected: Option<Position>) -> Result<Appended> {
        let mut answers = self.inner.append_many(vec![record], expected)?;
        Ok(answers.pop().expect("one answer per record"))
    }

    async fn append_batch(&self, records: Vec<NewRecord>) -> Result<Vec<Appended>> {
        self.inner.append_many(records, None)
    }

    async fn read(&self, from: Position, max: usize) -> Result<Vec<Record>> {
        self.inner.read_sync(from, max)
    }

    fn follow(&self, from: Position) -> BoxStream<'static, Result<Record>> {
        let inner = Arc::clone(&self.inner);
        follow_by_polling(from, self.inner.tip.subscribe(), move |from| {
            let inner = Arc::clone(&inner);
            async move { inner.read_sync(from, MAX_READ_BATCH) }
        })
    }

    /// Binary search over positions: stamps never decrease along the stream.
    async fn position_at(&self, at: Timestamp) -> Result<Position> {
        let (mut low, mut high) = (0u64, self.inner.head.lock().expect("head lock").position.0);
        while low < high {
            let middle = low + (high - low).div_ceil(2);
            if self.inner.stamp_at(Position(middle))? <= at {
                low = middle;
            } else {
                high = middle - 1;
            }
        }
        Ok(Position(low))
    }

    async fn last_position(&self) -> Result<Position> {
        Ok(self.inner.head.lock().expect("head lock").position)
    }
}
