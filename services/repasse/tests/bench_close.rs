//! `repasse bench close` against a real nats-server: each round's close reaches the stand-in
//! integrator whole and in order (the bench fails otherwise), both variants are timed every round, and the
//! scratch stream is gone afterwards — the bench leaves nothing on a production server.

mod common;

use common::{json, repasse};
use futures::StreamExt;
use repasse_eventlog::testing::NatsServer;

/// The streams the server holds.
fn streams(url: &str) -> Vec<String> {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let client = async_nats::connect(url).await.expect("connects");
        async_nats::jetstream::new(client)
            .stream_names()
            .map(|name| name.expect("stream name"))
            .collect()
            .await
    })
}

#[test]
fn every_round_of_each_variant_is_delivered_and_the_scratch_stream_removed() {
    let server = NatsServer::start().expect("nats-server (scripts/test.sh installs it)");
    for integrador in ["durable", "core"] {
        let report = json(&[
            "bench",
            "close",
            "--nats",
            &server.url(),
            "--municipios",
            "40",
            "--rounds",
            "2",
            "--integrator",
            integrador,
        ]);
        assert_eq!(report["integrator"], integrador);
        assert_eq!(report["messages"], 41, "40 statements and the seal");
        assert!(
            report["payload_bytes_avg"].as_u64().unwrap() > 500,
            "{report}"
        );
        for variant in ["chain", "bare"] {
            let times = &report[variant];
            for field in ["stored_ms", "delivered_ms"] {
                let values = times[field].as_array().unwrap();
                assert_eq!(values.len(), 2, "{variant} {field}: one per round");
                assert!(values.iter().all(|v| v.as_f64().unwrap() > 0.0), "{times}");
            }
            assert!(
                times["delivered_max_ms"].as_f64().unwrap()
                    >= times["delivered_p50_ms"].as_f64().unwrap()
            );
        }
        assert_eq!(streams(&server.url()), Vec::<String>::new());
    }
}

#[test]
fn no_round_or_no_server_is_refused_with_what_was_expected() {
    let out = repasse(&["bench", "close", "--rounds", "0"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--rounds"), "{stderr}");

    let out = repasse(&["bench", "close", "--nats", "nats://127.0.0.1:1"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("127.0.0.1:1"), "{stderr}");
}
