//! The measurement behind `repasse bench log`: the project's log against raw async-nats on the same
//! server in the same run, plus the embedded sled log.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use async_nats::jetstream::{self, consumer, stream};
use futures::TryStreamExt;

use crate::nats::{NatsConfig, NatsLog};
use crate::sled_log::SledLog;
use crate::testing::given_or_started;
use crate::{Error, EventLog, MAX_READ_BATCH, NewRecord, Position, Result, SystemClock};

/// Records per `append_batch` call on the embedded log (what ingest uses).
pub const SLED_BATCH: usize = 8_192;

pub struct LogBenchConfig {
    pub events: u64,
    /// `None`: start a nats-server for the run.
    pub nats_url: Option<String>,
    /// `None`: a temporary directory.
    pub sled_dir: Option<PathBuf>,
    pub max_in_flight: usize,
}

impl Default for LogBenchConfig {
    fn default() -> Self {
        LogBenchConfig {
            events: 1_000_000,
            nats_url: None,
            sled_dir: None,
            max_in_flight: 4_096,
        }
    }
}

#[derive(Debug, serde::Serialize)]
pub struct LogBenchReport {
    pub events: u64,
    pub payload_bytes_avg: u64,
    pub max_in_flight: usize,
    pub raw_publish_events_per_s: u64,
    pub jetstream_append_events_per_s: u64,
    pub append_ratio: String,
    pub raw_ordered_read_events_per_s: u64,
    pub jetstream_read_events_per_s: u64,
    pub read_ratio: String,
    pub sled_append_events_per_s: u64,
    pub sled_read_events_per_s: u64,
}

#[expect(clippy::float_arithmetic, reason = "rates for a report, not money")]
fn rate(events: u64, started: Instant) -> u64 {
    (events as f64 / started.elapsed().as_secs_f64()) as u64
}

#[expect(clippy::float_arithmetic, reason = "ratios for a report, not money")]
fn ratio(project: u64, raw: u64) -> String {
    format!("{:.3}", project as f64 / raw.max(1) as f64)
}

fn nats_error(detail: impl std::fmt::Display) -> Error {
    Error::Nats {
        stream: "BENCH_RAW".into(),
        detail: detail.to_string(),
    }
}

/// Runs the whole comparison; `make_record(i)` builds the i-th record (realistic encoded facts).
pub async fn run_log_bench(
    config: LogBenchConfig,
    make_record: impl Fn(u64) -> NewRecord,
) -> Result<LogBenchReport> {
    let records: Vec<NewRecord> = (0..config.events).map(&make_record).collect();
    let payload_bytes_avg =
        records.iter().map(|r| r.payload.len() as u64).sum::<u64>() / config.events.max(1);
    let (_server, url) = given_or_started(config.nats_url.as_deref()).map_err(nats_error)?;
    let client = async_nats::connect(&url).await.map_err(nats_error)?;
    let (raw_publish, raw_read) = raw(&client, &records, config.max_in_flight).await?;
    let (append, read) = project(&client, records.clone(), config.max_in_flight).await?;
    let (sled_append, sled_read) = embedded(&config, records).await?;
    Ok(LogBenchReport {
        events: config.events,
        payload_bytes_avg,
        max_in_flight: config.max_in_flight,
        raw_publish_events_per_s: raw_publish,
        jetstream_append_events_per_s: append,
        append_ratio: ratio(append, raw_publish),
        raw_ordered_read_events_per_s: raw_read,
        jetstream_read_events_per_s: read,
        read_ratio: ratio(read, raw_read),
        sled_append_events_per_s: sled_append,
        sled_read_events_per_s: sled_read,
    })
}

/// Raw async-nats: publish with the same window of acks in flight, then an ordered consumer reads it all.
async fn raw(
    client: &async_nats::Client,
    records: &[NewRecord],
    window: usize,
) -> Result<(u64, u64)> {
    let js = jetstream::ContextBuilder::new()
        .max_ack_inflight(window)
        .build(client.clone());
    let config = stream::Config {
        name: "BENCH_RAW".into(),
        subjects: vec!["rawfa.>".into()],
        allow_direct: true,
        ..Default::default()
    };
    let raw_stream = js.create_stream(config).await.map_err(nats_error)?;
    let subjects: Vec<String> = records
        .iter()
        .map(|r| r.subject.replacen("fatos", "rawfa", 1))
        .collect();
    let started = Instant::now();
    let mut pending = VecDeque::with_capacity(window);
    for (record, subject) in records.iter().zip(subjects) {
        if pending.len() == window {
            let ack: jetstream::context::PublishAckFuture =
                pending.pop_front().expect("full window");
            ack.await.map_err(nats_error)?;
        }
        // The same message the project sends: the event id in Nats-Msg-Id, JetStream deduplicating.
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(crate::nats::MSG_ID, record.id.as_str());
        let ack = js
            .publish_with_headers(subject, headers, record.payload.clone())
            .await
            .map_err(nats_error)?;
        pending.push_back(ack);
    }
    for ack in pending {
        ack.await.map_err(nats_error)?;
    }
    let publish = rate(records.len() as u64, started);
    let started = Instant::now();
    let consumer = raw_stream
        .create_consumer(consumer::pull::OrderedConfig::default())
        .await
        .map_err(nats_error)?;
    let mut messages = consumer.messages().await.map_err(nats_error)?;
    let mut bytes = 0usize;
    for _ in 0..records.len() {
        let message = messages
            .try_next()
            .await
            .map_err(nats_error)?
            .ok_or_else(|| nats_error("fim inesperado"))?;
        bytes += message.payload.len();
    }
    assert!(bytes > 0, "the raw read saw the payloads");
    Ok((publish, rate(records.len() as u64, started)))
}

/// The project's JetStream log: append_batch, then read in MAX_READ_BATCH chunks.
async fn project(
    client: &async_nats::Client,
    records: Vec<NewRecord>,
    window: usize,
) -> Result<(u64, u64)> {
    let config = NatsConfig {
        max_in_flight: window,
        ..NatsConfig::new("BENCH_PROJECT", "fatos.>")
    };
    let log = NatsLog::open(client.clone(), config).await?;
    let events = records.len() as u64;
    let started = Instant::now();
    log.append_batch(records).await?;
    let append = rate(events, started);
    let read = read_all(&log, events).await?;
    Ok((append, read))
}

async fn read_all<L: EventLog>(log: &L, events: u64) -> Result<u64> {
    let started = Instant::now();
    let (mut next, mut seen) = (Position(1), 0u64);
    while seen < events {
        let records = log.read(next, MAX_READ_BATCH).await?;
        let Some(last) = records.last() else { break };
        next = last.position.next();
        seen += records.len() as u64;
    }
    assert_eq!(seen, events, "every record read back");
    Ok(rate(events, started))
}

async fn embedded(config: &LogBenchConfig, records: Vec<NewRecord>) -> Result<(u64, u64)> {
    let temp = tempfile::tempdir().map_err(|e| Error::Storage {
        stream: "bench".into(),
        detail: e.to_string(),
    })?;
    let dir = config
        .sled_dir
        .clone()
        .unwrap_or_else(|| temp.path().to_owned());
    let log = SledLog::open(&dir, "bench", Arc::new(SystemClock))?;
    let events = records.len() as u64;
    let started = Instant::now();
    let mut records = records.into_iter().peekable();
    while records.peek().is_some() {
        log.append_batch(records.by_ref().take(SLED_BATCH).collect())
            .await?;
    }
    let append = rate(events, started);
    Ok((append, read_all(&log, events).await?))
}
