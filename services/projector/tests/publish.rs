//! Exactly-once publishing, given/when/then over the in-memory log: the n-th decision lands at position n
//! whatever crashes or concurrent publishers do.

use std::sync::Arc;

use bytes::Bytes;
use repasse_eventlog::memory::MemoryLog;
use repasse_eventlog::{EventLog, ManualClock, NewRecord, Position};
use repasse_projector::publish::{Error, Published, publish};
use repasse_proto::Timestamp;

fn decisions(n: u64) -> Vec<NewRecord> {
    (1..=n)
        .map(|i| NewRecord {
            subject: format!("decisoes.suspensao.PE.2611606.{:010}", 1000 + i),
            id: format!("decisao-{i:04}"),
            payload: Bytes::from(format!("decisão {i}")),
        })
        .collect()
}

fn log() -> MemoryLog {
    MemoryLog::new("decisoes", Arc::new(ManualClock::new(Timestamp(0))))
}

async fn ids(log: &MemoryLog) -> Vec<String> {
    log.read(Position(1), 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect()
}

#[tokio::test]
async fn a_publisher_resumed_after_a_crash_mid_batch_appends_only_what_is_missing() {
    let log = log();
    let all = decisions(10);
    // Given a publisher that stored 6 of 10 decisions and crashed before its checkpoint,
    publish(&log, 1, &all[..6]).await.unwrap();
    // when it is started again from the checkpoint before the batch,
    let outcome = publish(&log, 1, &all).await.unwrap();
    // then it finds the 6, appends the 4 others, and every id is there once, in order.
    assert_eq!(
        outcome,
        Published {
            appended: 4,
            found: 6
        }
    );
    let expected: Vec<_> = all.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids(&log).await, expected);
}

#[tokio::test]
async fn two_publishers_at_once_write_each_decision_once() {
    let log = log();
    let all = decisions(500);
    // Given two publishers computing the same sequence, started together and publishing in chunks,
    let run = |offset: usize| {
        let (log, all) = (&log, &all);
        async move {
            let mut published = Published::default();
            for start in (0..all.len()).step_by(7 + offset) {
                let end = (start + 7 + offset).min(all.len());
                let outcome = publish(log, start as u64 + 1, &all[start..end])
                    .await
                    .unwrap();
                published.appended += outcome.appended;
                published.found += outcome.found;
                tokio::task::yield_now().await;
            }
            published
        }
    };
    let (a, b) = tokio::join!(run(0), run(4));
    // then between them they appended each decision exactly once.
    assert_eq!(a.appended + b.appended, 500);
    let expected: Vec<_> = all.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids(&log).await, expected);
}

#[tokio::test]
async fn a_stream_written_by_another_sequence_is_refused_not_overwritten() {
    let log = log();
    publish(&log, 1, &decisions(3)).await.unwrap();
    let mut other = decisions(3);
    other[1].id = "decisao-de-outras-regras".into();
    match publish(&log, 1, &other).await {
        Err(Error::Diverged {
            position,
            expected,
            found,
        }) => {
            assert_eq!(position, 2);
            assert_eq!(expected, "decisao-de-outras-regras");
            assert_eq!(found, "decisao-0002");
        }
        other => panic!("expected a divergence, got {other:?}"),
    }
    assert_eq!(log.last_position().await.unwrap(), Position(3));
}

#[tokio::test]
async fn a_decision_stream_behind_the_checkpoint_is_an_error_naming_both_positions() {
    let log = log();
    publish(&log, 1, &decisions(2)).await.unwrap();
    let message = publish(&log, 5, &decisions(1))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("posição 2") && message.contains("4 decisões"),
        "{message}"
    );
}
