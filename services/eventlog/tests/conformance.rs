//! The backend contract, written once and run against every backend (memory, sled, NATS JetStream).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use repasse_eventlog::{Error, EventLog, ManualClock, NewRecord, Position};
use repasse_proto::Timestamp;

/// Creates fresh logs of one backend and reopens them from the same storage.
trait Fixture: Send {
    type Log: EventLog + 'static;
    /// A fresh, empty log whose stamps come from `clock` where the backend allows it.
    async fn fresh(&mut self, clock: Arc<ManualClock>) -> Self::Log;
    /// Drops `log` and opens the same storage again.
    async fn reopen(&mut self, log: Self::Log, clock: Arc<ManualClock>) -> Self::Log;
    /// Whether stamps come from the injected clock (false for JetStream: the server stamps).
    fn clock_driven(&self) -> bool {
        true
    }
}

fn record(i: u64) -> NewRecord {
    NewRecord {
        subject: format!("fatos.scnes.PE.{}", 261_000 + i % 7),
        id: format!("evento-{i}"),
        payload: Bytes::from(format!("conteúdo {i} {}", "x".repeat((i % 300) as usize))),
    }
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(Timestamp(1_750_000_000_000)))
}

async fn appends_are_ordered_and_read_back_in_ranges<F: Fixture>(fixture: &mut F) {
    let log = fixture.fresh(clock()).await;
    assert_eq!(log.last_position().await.unwrap(), Position(0));
    for i in 1..=5 {
        let appended = log.append(record(i), None).await.unwrap();
        assert_eq!(
            (appended.position, appended.duplicate),
            (Position(i), false)
        );
    }
    let batch: Vec<_> = (6..=250).map(record).collect();
    let answers = log.append_batch(batch).await.unwrap();
    assert_eq!(
        answers.iter().map(|a| a.position.0).collect::<Vec<_>>(),
        (6..=250).collect::<Vec<_>>()
    );
    let all = log.read(Position(1), 1_000).await.unwrap();
    assert_eq!(all.len(), 250);
    for (i, r) in all.iter().enumerate() {
        let expected = record(i as u64 + 1);
        assert_eq!(
            (r.position.0, &r.subject, &r.id, &r.payload),
            (
                i as u64 + 1,
                &expected.subject,
                &expected.id,
                &expected.payload
            )
        );
    }
    let middle = log.read(Position(100), 10).await.unwrap();
    assert_eq!(
        middle.iter().map(|r| r.position.0).collect::<Vec<_>>(),
        (100..110).collect::<Vec<_>>()
    );
    assert!(log.read(Position(251), 10).await.unwrap().is_empty());
    assert_eq!(log.last_position().await.unwrap(), Position(250));
}

async fn re_appending_an_id_stores_nothing_and_answers_the_original_position<F: Fixture>(
    fixture: &mut F,
) {
    let log = fixture.fresh(clock()).await;
    log.append_batch((1..=3).map(record).collect())
        .await
        .unwrap();
    let again = log.append(record(2), None).await.unwrap();
    assert_eq!((again.position, again.duplicate), (Position(2), true));
    let mixed = log
        .append_batch(vec![record(3), record(4), record(4), record(1)])
        .await
        .unwrap();
    let got: Vec<_> = mixed.iter().map(|a| (a.position.0, a.duplicate)).collect();
    assert_eq!(got, [(3, true), (4, false), (4, true), (1, true)]);
    assert_eq!(log.last_position().await.unwrap(), Position(4));
}

async fn an_unexpected_last_position_is_a_typed_conflict<F: Fixture>(fixture: &mut F) {
    let log = fixture.fresh(clock()).await;
    log.append(record(1), Some(Position(0))).await.unwrap();
    log.append(record(2), Some(Position(1))).await.unwrap();
    match log.append(record(3), Some(Position(1))).await {
        Err(Error::Conflict {
            expected, actual, ..
        }) => assert_eq!((expected, actual), (Position(1), Position(2))),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(log.last_position().await.unwrap(), Position(2));
    assert!(log.append(record(3), Some(Position(2))).await.is_ok());
}

async fn followers_get_the_tail_then_live_records_in_order<F: Fixture>(fixture: &mut F) {
    let log = fixture.fresh(clock()).await;
    log.append_batch((1..=10).map(record).collect())
        .await
        .unwrap();
    let mut follower = log.follow(Position(8));
    for expected in 8..=10 {
        let r = tokio::time::timeout(Duration::from_secs(10), follower.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(r.position.0, expected);
    }
    log.append_batch((11..=40).map(record).collect())
        .await
        .unwrap();
    for expected in 11..=40 {
        let r = tokio::time::timeout(Duration::from_secs(10), follower.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(
            (r.position.0, r.id.as_str()),
            (expected, format!("evento-{expected}").as_str())
        );
    }
    let quiet = tokio::time::timeout(Duration::from_millis(200), follower.next()).await;
    assert!(
        quiet.is_err(),
        "no record may arrive before one is appended"
    );
}

async fn position_at_answers_the_stream_as_of_an_instant<F: Fixture>(fixture: &mut F) {
    let clock = clock();
    let log = fixture.fresh(Arc::clone(&clock)).await;
    let before = if fixture.clock_driven() {
        clock.now_for_test()
    } else {
        wall()
    };
    assert_eq!(log.position_at(before).await.unwrap(), Position(0));
    log.append_batch((1..=3).map(record).collect())
        .await
        .unwrap();
    pause(&clock, fixture.clock_driven()).await;
    let between = if fixture.clock_driven() {
        clock.now_for_test()
    } else {
        wall()
    };
    pause(&clock, fixture.clock_driven()).await;
    log.append_batch((4..=9).map(record).collect())
        .await
        .unwrap();
    assert_eq!(log.position_at(between).await.unwrap(), Position(3));
    pause(&clock, fixture.clock_driven()).await;
    let after = if fixture.clock_driven() {
        clock.now_for_test()
    } else {
        wall()
    };
    assert_eq!(log.position_at(after).await.unwrap(), Position(9));
    let stamps: Vec<_> = log
        .read(Position(1), 100)
        .await
        .unwrap()
        .iter()
        .map(|r| r.stamp)
        .collect();
    assert!(
        stamps.windows(2).all(|w| w[0] <= w[1]),
        "stamps never decrease: {stamps:?}"
    );
}

async fn everything_survives_a_restart_and_ids_still_deduplicate<F: Fixture>(fixture: &mut F) {
    let clock = clock();
    let log = fixture.fresh(Arc::clone(&clock)).await;
    log.append_batch((1..=100).map(record).collect())
        .await
        .unwrap();
    let before = log.read(Position(1), 1_000).await.unwrap();
    let log = fixture.reopen(log, Arc::clone(&clock)).await;
    assert_eq!(log.read(Position(1), 1_000).await.unwrap(), before);
    assert!(log.append(record(50), None).await.unwrap().duplicate);
    assert_eq!(
        log.append(record(101), None).await.unwrap().position,
        Position(101)
    );
}

async fn invalid_records_are_refused_with_what_was_wrong<F: Fixture>(fixture: &mut F) {
    let log = fixture.fresh(clock()).await;
    let cases = [
        NewRecord {
            subject: "fatos.*.PE".into(),
            ..record(1)
        },
        NewRecord {
            subject: "fatos..PE".into(),
            ..record(1)
        },
        NewRecord {
            id: String::new(),
            ..record(1)
        },
        NewRecord {
            payload: Bytes::from(vec![0; repasse_eventlog::MAX_PAYLOAD_BYTES + 1]),
            ..record(1)
        },
    ];
    for bad in cases {
        match log.append(bad.clone(), None).await {
            Err(Error::InvalidRecord { detail, .. }) => assert!(!detail.is_empty()),
            other => panic!("{bad:?} should be refused, got {other:?}"),
        }
    }
    assert_eq!(log.last_position().await.unwrap(), Position(0));
}

trait NowForTest {
    fn now_for_test(&self) -> Timestamp;
}
impl NowForTest for ManualClock {
    fn now_for_test(&self) -> Timestamp {
        repasse_eventlog::Clock::now(self)
    }
}

fn wall() -> Timestamp {
    repasse_eventlog::Clock::now(&repasse_eventlog::SystemClock)
}

/// Moves time forward: the manual clock for clock-driven backends, real time for server-stamped ones.
async fn pause(clock: &ManualClock, clock_driven: bool) {
    if clock_driven {
        clock.advance_millis(1_000);
    } else {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn append_after_places_a_batch_right_after_the_expected_position<F: Fixture>(
    fixture: &mut F,
) {
    let log = fixture.fresh(clock()).await;
    let first = log
        .append_after(vec![record(1), record(2)], Position(0))
        .await
        .unwrap();
    let positions: Vec<_> = first.iter().map(|a| a.position.0).collect();
    assert_eq!(positions, [1, 2]);
    // A second writer that still believes the stream ends at 1 is refused and stores nothing.
    match log.append_after(vec![record(3)], Position(1)).await {
        Err(Error::Conflict { actual, .. }) => assert_eq!(actual, Position(2)),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(log.last_position().await.unwrap(), Position(2));
    let next = log
        .append_after(vec![record(3), record(4)], Position(2))
        .await
        .unwrap();
    assert_eq!(next.last().map(|a| a.position), Some(Position(4)));
    let ids: Vec<_> = log
        .read(Position(1), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["evento-1", "evento-2", "evento-3", "evento-4"]);
}

macro_rules! conformance {
    ($module:ident, $fixture:expr) => {
        mod $module {
            use super::*;
            #[tokio::test]
            async fn appends_are_ordered_and_read_back_in_ranges() {
                super::appends_are_ordered_and_read_back_in_ranges(&mut $fixture).await;
            }
            #[tokio::test]
            async fn re_appending_an_id_stores_nothing_and_answers_the_original_position() {
                super::re_appending_an_id_stores_nothing_and_answers_the_original_position(
                    &mut $fixture,
                )
                .await;
            }
            #[tokio::test]
            async fn an_unexpected_last_position_is_a_typed_conflict() {
                super::an_unexpected_last_position_is_a_typed_conflict(&mut $fixture).await;
            }
            #[tokio::test]
            async fn append_after_places_a_batch_right_after_the_expected_position() {
                super::append_after_places_a_batch_right_after_the_expected_position(&mut $fixture)
                    .await;
            }
            #[tokio::test]
            async fn followers_get_the_tail_then_live_records_in_order() {
                super::followers_get_the_tail_then_live_records_in_order(&mut $fixture).await;
            }
            #[tokio::test]
            async fn position_at_answers_the_stream_as_of_an_instant() {
                super::position_at_answers_the_stream_as_of_an_instant(&mut $fixture).await;
            }
            #[tokio::test]
            async fn everything_survives_a_restart_and_ids_still_deduplicate() {
                super::everything_survives_a_restart_and_ids_still_deduplicate(&mut $fixture).await;
            }
            #[tokio::test]
            async fn invalid_records_are_refused_with_what_was_wrong() {
                super::invalid_records_are_refused_with_what_was_wrong(&mut $fixture).await;
            }
        }
    };
}

// Fixtures, one per backend.
use repasse_eventlog::memory::MemoryLog;
use repasse_eventlog::sled_log::SledLog;

/// The memory log cannot survive a restart: "reopen" hands back the same log.
struct MemoryFixture;

impl Fixture for MemoryFixture {
    type Log = MemoryLog;
    async fn fresh(&mut self, clock: Arc<ManualClock>) -> MemoryLog {
        MemoryLog::new("teste", clock)
    }
    async fn reopen(&mut self, log: MemoryLog, _clock: Arc<ManualClock>) -> MemoryLog {
        log
    }
}

struct SledFixture {
    dir: tempfile::TempDir,
}

impl SledFixture {
    fn new() -> Self {
        SledFixture {
            dir: tempfile::tempdir().unwrap(),
        }
    }
}

impl Fixture for SledFixture {
    type Log = SledLog;
    async fn fresh(&mut self, clock: Arc<ManualClock>) -> SledLog {
        SledLog::open(self.dir.path(), "teste", clock).unwrap()
    }
    async fn reopen(&mut self, log: SledLog, clock: Arc<ManualClock>) -> SledLog {
        let path = log.path().to_owned();
        assert_eq!(log.stream(), "teste");
        drop(log);
        SledLog::open(&path, "teste", clock).unwrap()
    }
}

/// Each test starts its own nats-server (from NATS_SERVER or PATH); "reopen" restarts the server on the
/// same store, so durability is the server's, not the client's.
struct NatsFixture {
    server: repasse_eventlog::testing::NatsServer,
    streams: u32,
}

impl NatsFixture {
    fn new() -> Self {
        let server = repasse_eventlog::testing::NatsServer::start()
            .expect("nats-server (see README: scripts/test.sh installs it)");
        NatsFixture { server, streams: 0 }
    }
    fn config(&self) -> repasse_eventlog::nats::NatsConfig {
        let n = self.streams;
        repasse_eventlog::nats::NatsConfig::new(&format!("TESTE_{n}"), &format!("fatos{n}.>"))
    }
}

fn nats_record_subject(record: NewRecord, n: u32) -> NewRecord {
    NewRecord {
        subject: record.subject.replacen("fatos", &format!("fatos{n}"), 1),
        ..record
    }
}

/// Rewrites subjects into the fixture's stream, so the generic scenarios run unchanged.
struct NatsUnderTest {
    log: repasse_eventlog::nats::NatsLog,
    n: u32,
}

impl EventLog for NatsUnderTest {
    fn stream(&self) -> &str {
        self.log.stream()
    }
    async fn append(
        &self,
        record: NewRecord,
        expected: Option<Position>,
    ) -> repasse_eventlog::Result<repasse_eventlog::Appended> {
        self.log
            .append(nats_record_subject(record, self.n), expected)
            .await
    }
    async fn append_batch(
        &self,
        records: Vec<NewRecord>,
    ) -> repasse_eventlog::Result<Vec<repasse_eventlog::Appended>> {
        self.log
            .append_batch(
                records
                    .into_iter()
                    .map(|r| nats_record_subject(r, self.n))
                    .collect(),
            )
            .await
    }
    async fn append_after(
        &self,
        records: Vec<NewRecord>,
        expected: Position,
    ) -> repasse_eventlog::Result<Vec<repasse_eventlog::Appended>> {
        self.log
            .append_after(
                records
                    .into_iter()
                    .map(|r| nats_record_subject(r, self.n))
                    .collect(),
                expected,
            )
            .await
    }
    async fn read(
        &self,
        from: Position,
        max: usize,
    ) -> repasse_eventlog::Result<Vec<repasse_eventlog::Record>> {
        let n = self.n;
        let records = self.log.read(from, max).await?;
        Ok(records
            .into_iter()
            .map(|r| repasse_eventlog::Record {
                subject: r.subject.replacen(&format!("fatos{n}"), "fatos", 1),
                ..r
            })
            .collect())
    }
    fn follow(
        &self,
        from: Position,
    ) -> futures::stream::BoxStream<'static, repasse_eventlog::Result<repasse_eventlog::Record>>
    {
        self.log.follow(from)
    }
    async fn position_at(&self, at: Timestamp) -> repasse_eventlog::Result<Position> {
        self.log.position_at(at).await
    }
    async fn last_position(&self) -> repasse_eventlog::Result<Position> {
        self.log.last_position().await
    }
}

impl Fixture for NatsFixture {
    type Log = NatsUnderTest;
    async fn fresh(&mut self, _clock: Arc<ManualClock>) -> NatsUnderTest {
        self.streams += 1;
        let log = repasse_eventlog::nats::NatsLog::connect(&self.server.url(), self.config())
            .await
            .unwrap();
        NatsUnderTest {
            log,
            n: self.streams,
        }
    }
    async fn reopen(&mut self, log: NatsUnderTest, _clock: Arc<ManualClock>) -> NatsUnderTest {
        drop(log);
        self.server.restart().unwrap();
        let log = repasse_eventlog::nats::NatsLog::connect(&self.server.url(), self.config())
            .await
            .unwrap();
        NatsUnderTest {
            log,
            n: self.streams,
        }
    }
    fn clock_driven(&self) -> bool {
        false
    }
}

conformance!(memory, MemoryFixture);
conformance!(nats, NatsFixture::new());
conformance!(sled, SledFixture::new());
