//! The embedded log on sled: one machine, and offline audit with no server.
//!
//! Layout per stream: tree `<stream>.pages` holds *pages* (first position, big-endian → up to
//! `PAGE_RECORDS` consecutive records, each with its BLAKE3 checksum), and tree `<stream>.page_ids` holds
//! each page's ids. sled pays ~7 µs per insert, so one entry per page instead of two per record makes bulk loads
//! an order of magnitude faster; the id → position index lives in memory (a 64-bit hash of the id, rebuilt
//! from the id pages on open; a hash hit is confirmed against the stored record).
//!
//! sled recovers a torn write by dropping it, which would silently shorten the log; so after every durable
//! append a control file `<stream>.head` records the last position, its checksum and a hash chain over all
//! checksums. Opening a log whose records end before the control file says is `Error::Truncated`; a record
//! whose bytes do not match its checksum is `Error::Corrupt`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::stream::BoxStream;
use repasse_proto::Timestamp;
use rustc_hash::FxHashMap;
use tokio::sync::watch;

use crate::{
    Appended, Clock, Error, EventLog, MAX_READ_BATCH, NewRecord, Position, Record, Result,
    follow_by_polling, validate,
};

mod head;
mod record;
use head::{CHECKSUM_BYTES, Checksum, Head, checksum};
use record::{encode_value, id_hash, page_key, parse_ids};

/// Records per page: one sled entry holds up to this many consecutive records.
pub const PAGE_RECORDS: usize = 4_096;

pub struct SledLog {
    inner: Arc<Inner>,
}

struct Inner {
    stream: String,
    path: PathBuf,
    head_path: PathBuf,
    db: sled::Db,
    pages: sled::Tree,
    page_ids: sled::Tree,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    tip: watch::Sender<Position>,
}

/// What the appender keeps in memory: the head and the id index.
struct State {
    head: Head,
    /// 64-bit hash of an id → its position; `collisions` holds the rare second id with the same hash.
    ids: FxHashMap<u64, Position>,
    collisions: FxHashMap<u64, Vec<Position>>,
    /// The last page of ids read to confirm a hash hit (re-imports hit the same page again and again).
    ids_page: Option<(Position, Vec<String>)>,
}

/// sled's page cache. Records are read in pages, once, in order (the id index is kept apart, in
/// memory): a large cache only holds pages already folded; sled's default is 1 GiB.
const CACHE_BYTES: u64 = 128 << 20;

/// The sled database in `path` (created when missing).
fn open_db(path: &Path) -> Result<sled::Db> {
    sled::Config::new()
        .path(path)
        .cache_capacity(CACHE_BYTES)
        .open()
        .map_err(|e| Error::Corrupt {
            path: path.display().to_string(),
            detail: format!("sled não abriu o banco: {e}"),
        })
}

impl SledLog {
    /// Opens (or creates) the stream `stream` of the embedded log in directory `path`.
    pub fn open(path: &Path, stream: &str, clock: Arc<dyn Clock>) -> Result<SledLog> {
        let db = open_db(path)?;
        SledLog::open_in(&db, path, stream, clock)
    }

    /// Opens the stream `stream` of an embedded log that must already exist in `path`: for every command
    /// that only reads a log, so that a mistyped path is an error naming it, never a new empty log.
    pub fn open_existing(path: &Path, stream: &str, clock: Arc<dyn Clock>) -> Result<SledLog> {
        let missing = || Error::Missing {
            path: path.display().to_string(),
            stream: stream.to_owned(),
        };
        // sled keeps its database in the file `db`; checked before opening, which would create it.
        if !path.join("db").is_file() {
            return Err(missing());
        }
        let db = open_db(path)?;
        let pages = format!("{stream}.pages");
        if !db.tree_names().iter().any(|name| name == pages.as_bytes()) {
            return Err(missing());
        }
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
        let pages = db.open_tree(format!("{stream}.pages")).map_err(storage)?;
        let page_ids = db
            .open_tree(format!("{stream}.page_ids"))
            .map_err(storage)?;
        let inner = Inner {
            stream: stream.to_owned(),
            path: path.to_owned(),
            head_path: path.join(format!("{stream}.head")),
            db: db.clone(),
            pages,
            page_ids,
            clock,
            state: Mutex::new(State {
                head: Head::EMPTY,
                ids: FxHashMap::default(),
                collisions: FxHashMap::default(),
                ids_page: None,
            }),
            tip: watch::channel(Position::START).0,
        };
        let head = inner.recover()?;
        {
            let mut state = inner.state.lock().expect("state lock");
            state.head = head;
            inner.load_ids(&mut state)?;
        }
        inner.tip.send_replace(head.position);
        Ok(SledLog {
            inner: Arc::new(inner),
        })
    }

    /// Recomputes the hash chain over every record and compares it with the control file.
    pub fn verify_all(&self) -> Result<Position> {
        let inner = &self.inner;
        let mut head = Head::EMPTY;
        for entry in inner.pages.iter() {
            let (key, value) = entry.map_err(|e| inner.storage(e))?;
            let start = inner.key_position(&key)?;
            if start != head.position.next() {
                return Err(inner.corrupt(format!(
                    "lacuna no log: posição {start} depois de {}",
                    head.position
                )));
            }
            for (record, sum) in inner.decode_page(start, &value)? {
                head = head.extend(record.position, record.stamp, sum);
            }
        }
        let expected = inner.state.lock().expect("state lock").head;
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

    /// Opens another stream in the same directory (the decision stream beside the facts).
    pub fn open_sibling(&self, stream: &str) -> Result<SledLog> {
        SledLog::open_in(
            &self.inner.db,
            &self.inner.path,
            stream,
            Arc::clone(&self.inner.clock),
        )
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

    /// One record's bytes, checked against its checksum.
    fn decode(&self, position: Position, value: &[u8]) -> Result<(Record, Checksum)> {
        let bad = |what: &str| self.corrupt(format!("registro {position}: {what}"));
        if value.len() < 12 + CHECKSUM_BYTES {
            return Err(bad("curto demais"));
        }
        let (body, sum) = value.split_at(value.len() - CHECKSUM_BYTES);
        let sum: Checksum = sum.try_into().expect("checksum bytes");
        if checksum(body) != sum {
            return Err(bad("soma de verificação não confere"));
        }
        let stamp = Timestamp(i64::from_le_bytes(body[..8].try_into().expect("8 bytes")));
        let subject_end = 10 + usize::from(u16::from_le_bytes([body[8], body[9]]));
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
        let record = Record {
            position,
            subject: text(10..subject_end)?,
            id: text(subject_end + 2..id_end)?,
            stamp,
            payload: Bytes::copy_from_slice(body.get(id_end..).ok_or_else(|| bad("id truncado"))?),
        };
        Ok((record, sum))
    }

    /// A page: (u32 length, record bytes) repeated, records at consecutive positions from `start`.
    fn decode_page(&self, start: Position, page: &[u8]) -> Result<Vec<(Record, Checksum)>> {
        let mut out = Vec::new();
        let mut rest = page;
        while !rest.is_empty() {
            let position = Position(start.0 + out.len() as u64);
            let bad = || self.corrupt(format!("registro {position}: página ilegível"));
            let len =
                u32::from_le_bytes(rest.get(..4).ok_or_else(bad)?.try_into().expect("4 bytes"))
                    as usize;
            let value = rest.get(4..4 + len).ok_or_else(bad)?;
            out.push(self.decode(position, value)?);
            rest = &rest[4 + len..];
        }
        Ok(out)
    }

    fn page_ids_at(&self, start: Position) -> Result<Vec<String>> {
        let value = self
            .page_ids
            .get(page_key(start))
            .map_err(|e| self.storage(e))?;
        let value = value.ok_or_else(|| self.corrupt(format!("ids da página {start} ausentes")))?;
        parse_ids(&value).ok_or_else(|| self.corrupt(format!("ids da página {start} ilegíveis")))
    }

    /// Rebuilds the id index from the id pages.
    fn load_ids(&self, state: &mut State) -> Result<()> {
        for entry in self.page_ids.iter() {
            let (key, value) = entry.map_err(|e| self.storage(e))?;
            let start = self.key_position(&key)?;
            let ids = parse_ids(&value)
                .ok_or_else(|| self.corrupt(format!("ids da página {start} ilegíveis")))?;
            for (i, id) in ids.iter().enumerate() {
                index_id(state, id, Position(start.0 + i as u64));
            }
        }
        Ok(())
    }

    /// The position of `id` if it is stored: a hash hit is confirmed against the page's ids.
    fn find_id(&self, state: &mut State, id: &str) -> Result<Option<Position>> {
        let hash = id_hash(id);
        let Some(first) = state.ids.get(&hash).copied() else {
            return Ok(None);
        };
        let candidates: Vec<Position> = std::iter::once(first)
            .chain(state.collisions.get(&hash).into_iter().flatten().copied())
            .collect();
        for position in candidates {
            let (start, _) = self.page_of(position)?;
            if state.ids_page.as_ref().is_none_or(|(s, _)| *s != start) {
                state.ids_page = Some((start, self.page_ids_at(start)?));
            }
            let (_, ids) = state.ids_page.as_ref().expect("just loaded");
            if ids
                .get((position.0 - start.0) as usize)
                .is_some_and(|stored| stored == id)
            {
                return Ok(Some(position));
            }
        }
        Ok(None)
    }

    /// The page holding `position`: its first position and bytes.
    fn page_of(&self, position: Position) -> Result<(Position, sled::IVec)> {
        let (key, value) = self
            .pages
            .range(..=page_key(position))
            .next_back()
            .transpose()
            .map_err(|e| self.storage(e))?
            .ok_or_else(|| self.corrupt(format!("registro {position} ausente")))?;
        Ok((self.key_position(&key)?, value))
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
        let last = match self.pages.last().map_err(|e| self.storage(e))? {
            Some((key, value)) => {
                let start = self.key_position(&key)?;
                let page = self.decode_page(start, &value)?;
                page.last().map(|(r, sum)| (r.position, *sum))
            }
            None => None,
        };
        match (stored, last) {
            (None, None) => Ok(Head::EMPTY),
            (None, Some((found, _))) => Err(self.corrupt(format!(
                "há {found} registros mas falta o registro de controle {}",
                self.head_path.display()
            ))),
            (Some(head), None) if head.position > Position(0) => Err(Error::Truncated {
                path: self.path.display().to_string(),
                expected: head.position,
                found: Position(0),
            }),
            (Some(head), None) => Ok(head),
            (Some(head), Some((found, _))) if found < head.position => Err(Error::Truncated {
                path: self.path.display().to_string(),
                expected: head.position,
                found,
            }),
            (Some(head), Some((found, sum))) if found == head.position => {
                if sum != head.checksum {
                    return Err(self.corrupt(format!(
                        "o registro {found} difere do registrado no controle"
                    )));
                }
                Ok(head)
            }
            // Pages flushed after the last control write (a crash in between): extend the chain over them.
            (Some(head), Some(_)) => self.extend_head(head),
        }
    }

    fn extend_head(&self, mut head: Head) -> Result<Head> {
        for entry in self.pages.range(page_key(head.position.next())..) {
            let (key, value) = entry.map_err(|e| self.storage(e))?;
            for (record, sum) in self.decode_page(self.key_position(&key)?, &value)? {
                head = head.extend(record.position, record.stamp, sum);
            }
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

    /// Appends under the state lock; durable (flushed, control file written) when it returns.
    fn append_many(
        &self,
        records: Vec<NewRecord>,
        expected: Option<Position>,
    ) -> Result<Vec<Appended>> {
        for record in &records {
            validate(&self.stream, record)?;
        }
        let mut guard = self.state.lock().expect("state lock");
        let state = &mut *guard;
        if let Some(expected) = expected {
            let first_is_duplicate = match records.first() {
                Some(r) => self.find_id(state, &r.id)?.is_some(),
                None => false,
            };
            if !first_is_duplicate && expected != state.head.position {
                return Err(Error::Conflict {
                    stream: self.stream.clone(),
                    expected,
                    actual: state.head.position,
                });
            }
        }
        let mut answers = Vec::with_capacity(records.len());
        let mut head = state.head;
        let now = self.clock.now();
        let mut fresh: FxHashMap<&str, Position> = FxHashMap::default();
        let (mut batch_pages, mut batch_ids) = (sled::Batch::default(), sled::Batch::default());
        let (mut page, mut ids, mut page_start) = (Vec::new(), Vec::new(), head.position.next());
        for record in &records {
            let known = match fresh.get(record.id.as_str()) {
                Some(position) => Some(*position),
                None => self.find_id(state, &record.id)?,
            };
            if let Some(position) = known {
                answers.push(Appended {
                    position,
                    duplicate: true,
                });
                continue;
            }
            let position = head.position.next();
            let stamp = now.max(head.stamp);
            let (value, sum) = encode_value(stamp, record);
            page.extend_from_slice(&(value.len() as u32).to_le_bytes());
            page.extend_from_slice(&value);
            ids.extend_from_slice(&(record.id.len() as u16).to_le_bytes());
            ids.extend_from_slice(record.id.as_bytes());
            fresh.insert(&record.id, position);
            head = head.extend(position, stamp, sum);
            answers.push(Appended {
                position,
                duplicate: false,
            });
            if (head.position.0 - page_start.0 + 1) as usize == PAGE_RECORDS {
                batch_pages.insert(&page_key(page_start), std::mem::take(&mut page));
                batch_ids.insert(&page_key(page_start), std::mem::take(&mut ids));
                page_start = head.position.next();
            }
        }
        if !page.is_empty() {
            batch_pages.insert(&page_key(page_start), page);
            batch_ids.insert(&page_key(page_start), ids);
        }
        if head.position != state.head.position {
            // Pages first, then their ids: an id never points at a missing record.
            self.pages
                .apply_batch(batch_pages)
                .map_err(|e| self.storage(e))?;
            self.page_ids
                .apply_batch(batch_ids)
                .map_err(|e| self.storage(e))?;
            self.db.flush().map_err(|e| self.storage(e))?;
            self.write_head(head)?;
            for (id, position) in fresh {
                index_id(state, id, position);
            }
            state.head = head;
            self.tip.send_replace(head.position);
        }
        Ok(answers)
    }

    fn read_sync(&self, from: Position, max: usize) -> Result<Vec<Record>> {
        let max = max.min(MAX_READ_BATCH);
        let end = self.state.lock().expect("state lock").head.position;
        let start = from.max(Position(1));
        if start > end || max == 0 {
            return Ok(Vec::new());
        }
        let (first_page, _) = self.page_of(start)?;
        let mut out = Vec::with_capacity(max.min(PAGE_RECORDS));
        let mut expected_page = first_page;
        for entry in self.pages.range(page_key(first_page)..) {
            let (key, value) = entry.map_err(|e| self.storage(e))?;
            let page_start = self.key_position(&key)?;
            if page_start > end || out.len() == max {
                break;
            }
            if page_start != expected_page {
                return Err(self.corrupt(format!(
                    "lacuna no log: esperada a posição {expected_page}, encontrada {page_start}"
                )));
            }
            let records = self.decode_page(page_start, &value)?;
            expected_page = Position(page_start.0 + records.len() as u64);
            for (record, _) in records {
                if record.position >= start && record.position <= end && out.len() < max {
                    out.push(record);
                }
            }
        }
        Ok(out)
    }

    fn stamp_at(&self, position: Position) -> Result<Timestamp> {
        let (start, value) = self.page_of(position)?;
        let page = self.decode_page(start, &value)?;
        let index = (position.0 - start.0) as usize;
        page.get(index)
            .map(|(r, _)| r.stamp)
            .ok_or_else(|| self.corrupt(format!("registro {position} ausente")))
    }
}

fn index_id(state: &mut State, id: &str, position: Position) {
    let hash = id_hash(id);
    match state.ids.entry(hash) {
        std::collections::hash_map::Entry::Vacant(slot) => {
            slot.insert(position);
        }
        std::collections::hash_map::Entry::Occupied(_) => {
            state.collisions.entry(hash).or_default().push(position)
        }
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

    async fn append_after(
        &self,
        records: Vec<NewRecord>,
        expected: Position,
    ) -> Result<Vec<Appended>> {
        self.inner.append_many(records, Some(expected))
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
        let (mut low, mut high) = (
            0u64,
            self.inner.state.lock().expect("state lock").head.position.0,
        );
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
        Ok(self.inner.state.lock().expect("state lock").head.position)
    }
}
