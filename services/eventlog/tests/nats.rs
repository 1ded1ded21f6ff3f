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
