//! `repasse bench replay` on a small national history against a real nats-server: whichever stand-in
//! times the integrators' side — a durable consumer of the decision stream or a core subscription — it
//! receives every decision the projector published during the steady load, once, and each decision
//! point's phases come in the order the projector takes them.

mod common;

use common::json;
use repasse_eventlog::testing::NatsServer;

fn bench_replay(integrador: &str) -> serde_json::Value {
    let server = NatsServer::start().expect("nats-server (scripts/test.sh installs it)");
    json(&[
        "bench",
        "replay",
        "--nats",
        &server.url(),
        "--competencias",
        "4",
        "--teams",
        "2000",
        "--rate",
        "20000",
        "--integrator",
        integrador,
    ])
}

#[test]
fn each_stand_in_integrator_receives_every_decision_of_the_load_once() {
    for integrador in ["durable", "core"] {
        let report = bench_replay(integrador);
        assert!(report["facts"].as_u64().unwrap() > 0, "{report}");
        assert!(report["replay_facts_per_s"].as_u64().unwrap() > 0);
        let floor = &report["close_floor"];
        assert_eq!(floor["integrator"], integrador);
        assert_eq!(floor["chain"]["delivered_ms"].as_array().unwrap().len(), 5);
        let latency = &report["latency"];
        assert_eq!(latency["integrator"], integrador);
        let published = latency["decisions_published"].as_u64().unwrap();
        assert!(published > 0, "the load closes a parcela: {latency}");
        assert_eq!(
            latency["decisions_received"].as_u64().unwrap(),
            published,
            "{integrador}: every decision once"
        );
        let points = latency["decision_points"].as_array().unwrap();
        assert_eq!(
            points
                .iter()
                .map(|p| p["decisions"].as_u64().unwrap())
                .sum::<u64>(),
            published,
            "{integrador}: every decision names the fact of its decision point"
        );
        for point in points {
            let ms = |field: &str| point[field].as_f64().unwrap();
            assert!(ms("received_ms") <= ms("decided_ms"), "{point}");
            assert!(ms("decided_ms") <= ms("acked_ms"), "{point}");
            assert!(ms("decided_ms") <= ms("first_ms"), "{point}");
            assert!(ms("first_ms") <= ms("last_ms"), "{point}");
        }
    }
}
