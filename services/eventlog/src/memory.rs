//! An in-memory log: the reference implementation for the conformance suite and for tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::stream::BoxStream;
use repasse_proto::Timestamp;
use tokio::sync::watch;

use crate::{
    Appended, Clock, Error, EventLog, MAX_READ_BATCH, NewRecord, Position, Record, Result,
    follow_by_polling, validate,
};

struct State {
    records: Vec<Record>,
    ids: HashMap<String, Position>,
}

#[derive(Clone)]
pub struct MemoryLog {
    stream: String,
    clock: Arc<dyn Clock>,
    state: Arc<Mutex<State>>,
    tip: Arc<watch::Sender<Position>>,
}

impl MemoryLog {
    pub fn new(stream: &str, clock: Arc<dyn Clock>) -> MemoryLog {
        MemoryLog {
            stream: stream.to_owned(),
            clock,
            state: Arc::new(Mutex::new(State {
                records: Vec::new(),
                ids: HashMap::new(),
            })),
            tip: Arc::new(watch::channel(Position::START).0),
        }
    }

    fn append_locked(
        &self,
        state: &mut State,
        record: NewRecord,
        expected: Option<Position>,
    ) -> Result<Appended> {
        validate(&self.stream, &record)?;
        if let Some(&position) = state.ids.get(&record.id) {
            return Ok(Appended {
                position,
                duplicate: true,
            });
        }
        let last = Position(state.records.len() as u64);
        if let Some(expected) = expected
            && expected != last
        {
            return Err(Error::Conflict {
                stream: self.stream.clone(),
                expected,
                actual: last,
            });
        }
        let previous = state
            .records
            .last()
            .map_or(Timestamp(i64::MIN), |r| r.stamp);
        let position = last.next();
        state.ids.insert(record.id.clone(), position);
        state.records.push(Record {
            position,
            subject: record.subject,
            id: record.id,
            stamp: self.clock.now().max(previous),
            payload: record.payload,
        });
        Ok(Appended {
            position,
            duplicate: false,
        })
    }

    fn read_sync(&self, from: Position, max: usize) -> Vec<Record> {
        let state = self.state.lock().expect("memory log lock");
        let start = usize::try_from(from.0.max(1) - 1).unwrap_or(usize::MAX);
        state
            .records
            .iter()
            .skip(start)
            .take(max.min(MAX_READ_BATCH))
            .cloned()
            .collect()
    }
}

impl EventLog for MemoryLog {
    fn stream(&self) -> &str {
        &self.stream
    }

    async fn append(&self, record: NewRecord, expected: Option<Position>) -> Result<Appended> {
        let appended = {
            let mut state = self.state.lock().expect("memory log lock");
            self.append_locked(&mut state, record, expected)?
        };
        let tip = appended.position.max(*self.tip.borrow());
        self.tip.send_replace(tip);
        Ok(appended)
    }

    async fn append_batch(&self, records: Vec<NewRecord>) -> Result<Vec<Appended>> {
        let mut answers = Vec::with_capacity(records.len());
        {
            let mut state = self.state.lock().expect("memory log lock");
            for record in records {
                answers.push(self.append_locked(&mut state, record, None)?);
            }
        }
        let last = Position(self.state.lock().expect("memory log lock").records.len() as u64);
        self.tip.send_replace(last);
        Ok(answers)
    }

    async fn append_after(
        &self,
        records: Vec<NewRecord>,
        expected: Position,
    ) -> Result<Vec<Appended>> {
        let mut answers = Vec::with_capacity(records.len());
        let result = {
            let mut state = self.state.lock().expect("memory log lock");
            records.into_iter().enumerate().try_for_each(|(i, record)| {
                let at = Position(expected.0 + i as u64);
                answers.push(self.append_locked(&mut state, record, Some(at))?);
                Ok(())
            })
        };
        let last = Position(self.state.lock().expect("memory log lock").records.len() as u64);
        self.tip.send_replace(last);
        result.map(|()| answers)
    }

    async fn read(&self, from: Position, max: usize) -> Result<Vec<Record>> {
        Ok(self.read_sync(from, max))
    }

    fn follow(&self, from: Position) -> BoxStream<'static, Result<Record>> {
        let log = self.clone();
        follow_by_polling(from, self.tip.subscribe(), move |from| {
            let log = log.clone();
            async move { Ok(log.read_sync(from, MAX_READ_BATCH)) }
        })
    }

    async fn position_at(&self, at: Timestamp) -> Result<Position> {
        let state = self.state.lock().expect("memory log lock");
        Ok(Position(
            state.records.partition_point(|r| r.stamp <= at) as u64
        ))
    }

    async fn last_position(&self) -> Result<Position> {
        Ok(Position(
            self.state.lock().expect("memory log lock").records.len() as u64,
        ))
    }
}
