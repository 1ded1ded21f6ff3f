//! `repasse bench ingest` on a small dump: every figure reported beside its floor, the ingest's peak RSS
//! its own, and the second import appending nothing. No timing is asserted (the machine is noisy).

use std::process::Command;

#[test]
fn the_ingest_is_set_beside_a_bare_csv_pass_and_a_second_import_appends_nothing() {
    let out = Command::new(env!("CARGO_BIN_EXE_repasse"))
        .args(["bench", "ingest", "--teams", "2000"])
        .output()
        .expect("the binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let aps = report["dump"]["aps_teams"].as_u64().unwrap();
    assert!(aps > 1_000, "{report}");
    assert!(
        report["dump"]["teams"].as_u64().unwrap() > aps,
        "other team types beside the APS"
    );
    assert!(report["dump"]["workload_rows"].as_u64().unwrap() > 50 * aps);
    // The floor splits every record of the five members: headers and every row of each.
    let d = &report["dump"];
    let rows = d["teams"].as_u64().unwrap()
        + d["team_links"].as_u64().unwrap()
        + d["workload_rows"].as_u64().unwrap()
        + d["professionals"].as_u64().unwrap();
    assert_eq!(report["floor_records"].as_u64().unwrap(), rows + 6 + 5);
    // Every APS team and the competência's close are new the first time, nothing the second.
    assert_eq!(report["ingest"]["new"].as_u64(), Some(aps + 1));
    assert_eq!(report["reingest"]["new"].as_u64(), Some(0));
    assert_eq!(
        report["reingest"]["already_present"].as_u64(),
        Some(aps + 1)
    );
    assert!(report["ingest"]["peak_rss_mib"].as_u64().unwrap() > 0);
    assert!(report["ratio_to_floor"].as_f64().unwrap() > 0.0);
}
