//! NATS-specific behaviour beyond the shared contract: stream updates on start and a missing server binary.

use bytes::Bytes;
use repasse_eventlog::nats::{NatsConfig, NatsLog};
use repasse_eventlog::testing::NatsServer;
use repasse_eventlog::{EventLog, NewRecord, Position};

fn record(i: u64) -> NewRecord {
    NewRecord {
        subject: format!("fatos.scnes.PE.{i}"),
        id: format!("id-{i}"),
        payload: Bytes::from(vec![1; 64]),
    }
}

#[tokio::test]
async fn opening_with_a_changed_configuration_updates_the_stream_and_keeps_its_records() {
    let server = NatsServer::start().unwrap();
    let log = NatsLog::connect(&server.url(), NatsConfig::facts())
        .await
        .unwrap();
    log.append_batch((1..=20).map(record).collect())
        .await
        .unwrap();
    drop(log);
    let wider = NatsConfig {
        subjects: vec!["fatos.>".into(), "legado.>".into()],
        ..NatsConfig::facts()
    };
    let log = NatsLog::connect(&server.url(), wider).await.unwrap();
    assert_eq!(log.last_position().await.unwrap(), Position(20));
    let legado = NewRecord {
        subject: "legado.fns.PE.261180".into(),
        ..record(21)
    };
    assert_eq!(
        log.append(legado, None).await.unwrap().position,
        Position(21)
    );
    assert_eq!(log.read(Position(1), 100).await.unwrap().len(), 21);
}

#[test]
fn a_missing_server_binary_is_a_clear_error() {
    let error = NatsServer::start_with("/nonexistent/nats-server".into())
        .err()
        .expect("no server from a missing binary");
    let error = error.to_string();
    assert!(
        error.contains("/nonexistent/nats-server") && error.contains("NATS_SERVER"),
        "{error}"
    );
}

fn decision(writer: &str, i: u64) -> NewRecord {
    NewRecord {
        subject: format!("decisoes.demonstrativo.PE.{i}"),
        id: format!("{writer}-{i}"),
        payload: Bytes::from(vec![2; 600]),
    }
}

async fn ids(log: &NatsLog) -> Vec<String> {
    let mut ids = Vec::new();
    loop {
        let from = Position(ids.len() as u64 + 1);
        let records = log.read(from, 10_000).await.unwrap();
        if records.is_empty() {
            return ids;
        }
        ids.extend(records.into_iter().map(|r| r.id));
    }
}

#[tokio::test]
async fn a_chained_batch_lands_whole_in_order_with_an_answer_for_each_record() {
    let server = NatsServer::start().unwrap();
    let log = NatsLog::connect(&server.url(), NatsConfig::decisions())
        .await
        .unwrap();
    // More than one ack interval, not a multiple of it.
    let n = 3 * repasse_eventlog::nats::ACK_EVERY as u64 + 17;
    let answers = log
        .append_after((1..=n).map(|i| decision("a", i)).collect(), Position(0))
        .await
        .unwrap();
    let positions: Vec<u64> = answers.iter().map(|a| a.position.0).collect();
    assert_eq!(positions, (1..=n).collect::<Vec<_>>());
    let expected: Vec<String> = (1..=n).map(|i| format!("a-{i}")).collect();
    assert_eq!(ids(&log).await, expected);
}

#[tokio::test]
async fn two_writers_racing_from_one_position_never_interleave() {
    let server = NatsServer::start().unwrap();
    let config = NatsConfig::decisions;
    let a = NatsLog::connect(&server.url(), config()).await.unwrap();
    let b = NatsLog::connect(&server.url(), config()).await.unwrap();
    let n = 4_000u64;
    for round in 0..3u64 {
        let from = a.last_position().await.unwrap();
        let batch = |writer: &str| {
            (1..=n)
                .map(|i| decision(&format!("{writer}{round}"), i))
                .collect::<Vec<_>>()
        };
        // Given two writers with different decisions for the same positions, sent at once,
        let (ra, rb) = tokio::join!(
            a.append_after(batch("a"), from),
            b.append_after(batch("b"), from)
        );
        // then one chain is stored whole and the other refused, never a mix of the two.
        let stored = ids(&a).await.split_off(from.0 as usize);
        let winner = match (&ra, &rb) {
            (Ok(_), Err(repasse_eventlog::Error::Conflict { .. })) => "a",
            (Err(repasse_eventlog::Error::Conflict { .. }), Ok(_)) => "b",
            other => panic!("round {round}: expected one success and one conflict, got {other:?}"),
        };
        let expected: Vec<String> = (1..=n).map(|i| format!("{winner}{round}-{i}")).collect();
        assert_eq!(stored, expected, "round {round}");
    }
}

#[tokio::test]
async fn a_chain_broken_mid_batch_is_a_conflict_and_stores_nothing_after_the_break() {
    let server = NatsServer::start().unwrap();
    let log = NatsLog::connect(&server.url(), NatsConfig::decisions())
        .await
        .unwrap();
    // Given a batch whose record 300 is already in the stream (a duplicate id JetStream drops silently,
    // being unacknowledged),
    log.append_after(vec![decision("a", 300)], Position(0))
        .await
        .unwrap();
    let batch: Vec<NewRecord> = (1..=600).map(|i| decision("a", i)).collect();
    // when the chain is appended after it,
    let result = log.append_after(batch, Position(1)).await;
    // then the records before the break are stored, none after it, and the writer hears of it.
    assert!(
        matches!(result, Err(repasse_eventlog::Error::Conflict { .. })),
        "{result:?}"
    );
    let mut expected = vec!["a-300".to_owned()];
    expected.extend((1..300).map(|i| format!("a-{i}")));
    assert_eq!(ids(&log).await, expected);
}

#[tokio::test]
async fn a_stream_an_operator_configured_keeps_its_limits_and_replicas_when_opened() {
    use async_nats::jetstream::{self, stream};
    let server = NatsServer::start().unwrap();
    let client = async_nats::connect(server.url()).await.unwrap();
    let js = jetstream::new(client.clone());
    let operator = stream::Config {
        name: NatsConfig::facts().stream,
        subjects: NatsConfig::facts().subjects,
        max_age: std::time::Duration::from_secs(400 * 24 * 3600),
        max_bytes: 1 << 30,
        description: Some("configurado pelo operador".into()),
        ..Default::default()
    };
    js.create_stream(operator.clone()).await.unwrap();
    let log = NatsLog::open(client.clone(), NatsConfig::facts())
        .await
        .unwrap();
    log.append(record(1), None).await.unwrap();
    let kept = js
        .get_stream(&operator.name)
        .await
        .unwrap()
        .info()
        .await
        .unwrap()
        .config
        .clone();
    assert_eq!(kept.max_age, operator.max_age);
    assert_eq!(kept.max_bytes, operator.max_bytes);
    assert_eq!(kept.description, operator.description);
    assert_eq!(kept.num_replicas, 1);
}

#[tokio::test]
async fn a_missing_stream_is_created_with_the_configured_replicas() {
    let server = NatsServer::start().unwrap();
    // One server cannot hold three replicas: the server's refusal shows the count was asked for.
    let three = NatsConfig {
        replicas: 3,
        ..NatsConfig::facts()
    };
    let error = NatsLog::connect(&server.url(), three)
        .await
        .err()
        .expect("a single server refuses three replicas");
    let message = error.to_string();
    assert!(message.contains("REPASSE_FATOS"), "{message}");
    let one = NatsLog::connect(&server.url(), NatsConfig::facts())
        .await
        .unwrap();
    assert_eq!(one.last_position().await.unwrap(), Position(0));
}
