//! The auditor's questions after corrections reach a sealed parcela: `replay --as-of` the seal's day gives
//! the seal's hash, `diff` names exactly the corrected teams and the facts that changed them, and the
//! projector never rewrites the seal.

use std::path::Path;
use std::sync::Arc;

use repasse_eventlog::ManualClock;
use repasse_eventlog::sled_log::SledLog;
use repasse_ingest::FactWriter;
use repasse_ingest::demo::{Demo, DemoConfig, history};
use repasse_projector::step::tree;
use repasse_projector::store::Store;
use repasse_proto::fact::ControlBodySuspension;
use repasse_proto::{Fact, Ine, Parcela, SourceRef, Timestamp, Uf};
use serde_json::Value;

mod common;
use common::{json, path};

fn at(text: &str) -> Timestamp {
    text.parse().expect("timestamp")
}

fn write(dir: &Path, clock: &Arc<ManualClock>, facts: Vec<(Fact, SourceRef)>) {
    let log = SledLog::open(dir, "fatos", Arc::clone(clock) as _).expect("log");
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            let mut writer = FactWriter::new(&log, clock.as_ref());
            for (fact, source) in facts {
                writer.push(fact, source).await.expect("written");
            }
            writer.finish().await.expect("flushed");
        });
}

#[test]
fn corrections_after_a_seal_show_in_diff_and_never_in_the_seal_or_its_as_of_replay() {
    let dir = tempfile::tempdir().unwrap();
    let (log, state) = (dir.path().join("log"), dir.path().join("estado"));
    // Given the history up to the close of parcela 2025-04, recorded on 2025-06-01,
    let clock = Arc::new(ManualClock::new(at("2025-06-01T10:00:00Z")));
    let demo = Demo::new(DemoConfig {
        teams: 100_000,
        competencias: 14,
        ufs: vec![Uf::RR, Uf::AP],
        ..DemoConfig::default()
    });
    write(&log, &clock, history(&demo).flatten().collect());
    let projected = json(&[
        "project",
        "--log",
        path(&log),
        "--read-models",
        path(&state),
        "--json",
    ]);
    let parcela: Parcela = "2025-04".parse().unwrap();
    let seal = projected["seals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["parcela"] == "2025-04")
        .expect("parcela 2025-04 sealed")
        .clone();
    // and two eSF teams paid in full in it (from the projector's read model of its lines),
    let store = Store::open(&state).unwrap();
    let lines: Vec<Value> = store
        .scan(tree::LINHAS, "2025-04/")
        .unwrap()
        .into_iter()
        .flat_map(|(_, lines)| lines.as_array().unwrap().clone())
        .collect();
    let mut paid_in_full: Vec<Ine> = lines
        .iter()
        .filter(|l| l["team_type"] == "eSF" && l["component"] == "fixo" && l["suspension_pct"] == 0)
        .map(|l| l["ine"].as_str().unwrap().parse().unwrap())
        .collect();
    // and every suspended or invalid team's explanation as decided at the close, citing each rule that held,
    let explained = store.scan(tree::EXPLICACOES, "2025-03/").unwrap();
    assert!(
        !explained.is_empty(),
        "suspended teams in 2025-03 are explained"
    );
    drop(store);
    for (key, stored) in &explained {
        let status = &stored["status"];
        assert_eq!(key, &format!("2025-03/{}", status["ine"].as_str().unwrap()));
        let fired: Vec<&str> = stored["fired"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["rule"]["id"].as_str().unwrap())
            .collect();
        let held: Vec<&str> = ["reasons", "not_valid"]
            .iter()
            .flat_map(|k| status[*k].as_array().unwrap())
            .map(|r| r.as_str().unwrap())
            .collect();
        assert!(!held.is_empty(), "{key}");
        assert!(
            held.iter().all(|r| fired.contains(r)),
            "{key}: {held:?} ⊄ {fired:?}"
        );
    }
    paid_in_full.sort();
    paid_in_full.dedup();
    let kinds: std::collections::BTreeSet<String> = lines
        .iter()
        .map(|l| {
            format!(
                "{}/{}/{}",
                l["team_type"], l["component"], l["suspension_pct"]
            )
        })
        .collect();
    assert!(paid_in_full.len() > 17, "{kinds:?}");
    let corrected = [paid_in_full[3], paid_in_full[17]];
    // when a control body's suspension of both, from the competência the parcela pays, arrives on 06-10,
    clock.set(at("2025-06-10T09:00:00Z"));
    let corrections = corrected
        .iter()
        .map(|ine| {
            let fact = Fact::ControlBodySuspension(ControlBodySuspension {
                ine: *ine,
                from_competencia: parcela.competencia(),
                body: "TCU".into(),
                process: format!("TC 000.{}/2025-1", ine.get() % 1000),
            });
            let source = SourceRef {
                document: "DOU 2025-06-10".into(),
                digest: None,
                line: None,
            };
            (fact, source)
        })
        .collect();
    write(&log, &clock, corrections);
    // then replaying as of the seal's day gives the seal's hash,
    let replayed = json(&[
        "replay",
        "--parcela",
        "2025-04",
        "--as-of",
        "2025-06-01",
        "--log",
        path(&log),
        "--json",
    ]);
    assert_eq!(replayed["hash"], seal["hash"]);
    // today's computation differs, and diff names exactly the two corrected teams and their facts,
    let today = json(&[
        "replay",
        "--parcela",
        "2025-04",
        "--log",
        path(&log),
        "--json",
    ]);
    assert_ne!(today["hash"], seal["hash"]);
    assert_eq!(
        today["last_position"].as_u64().unwrap(),
        replayed["last_position"].as_u64().unwrap() + 2
    );
    let diff = json(&[
        "diff",
        "--parcela",
        "2025-04",
        "--log",
        path(&log),
        "--json",
    ]);
    assert_eq!(diff["sealed_hash"], seal["hash"]);
    assert_eq!(diff["today_hash"], today["hash"]);
    let changed: Vec<Ine> = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["ine"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(changed, corrected);
    for change in diff["changes"].as_array().unwrap() {
        let facts = change["facts"].as_array().unwrap();
        assert_eq!(facts.len(), 1, "{change}");
        assert_eq!(facts[0]["event_type"], "control_body_suspension");
        assert!(
            change["delta"].as_str().unwrap().starts_with('-'),
            "{change}"
        );
    }
    // and the projector, catching up on the corrections, leaves the seal as it was.
    let after = json(&[
        "project",
        "--log",
        path(&log),
        "--read-models",
        path(&state),
        "--json",
    ]);
    let kept = after["seals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["parcela"] == "2025-04")
        .unwrap();
    assert_eq!(kept, &seal);
}
