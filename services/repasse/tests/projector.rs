//! The projector as its operators run it: `repasse project` on the embedded log and on a real
//! `nats-server`, killed with SIGKILL at random points, two publishers at once, rebuilds, seals and the
//! auditor's as-of, diff, export and verify. The history is the synthetic one on two small UFs (RR, AP) of a
//! 100,000-team country,
//! 14 competências: every kind of decision point, in seconds.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use repasse_eventlog::nats::{NatsConfig, NatsLog};
use repasse_eventlog::sled_log::SledLog;
use repasse_eventlog::testing::NatsServer;
use repasse_eventlog::{EventLog, MAX_READ_BATCH, Position, SystemClock};
use serde_json::Value;

mod common;
use common::{HISTORY, json, ok, path, repasse};

/// Pernambuco over 20 competências: a run long enough (seconds) to be killed at many points.
const LONG_HISTORY: [&str; 4] = ["--uf", "PE", "--competencias", "20"];

fn load_embedded(dir: &Path, history: &[&str]) {
    let mut args = vec!["demo-data", "--log", path(dir)];
    args.extend(history);
    ok(&args);
}

fn load_nats(url: &str, history: &[&str]) {
    let mut args = vec!["demo-data", "--nats", url];
    args.extend(history);
    ok(&args);
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

async fn ids<L: EventLog>(log: &L) -> Vec<String> {
    let mut out = Vec::new();
    let mut next = Position(1);
    loop {
        let records = log.read(next, MAX_READ_BATCH).await.expect("read");
        let Some(last) = records.last() else { break };
        next = last.position.next();
        out.extend(records.into_iter().map(|r| r.id));
    }
    out
}

fn nats_decision_ids(url: &str) -> Vec<String> {
    runtime().block_on(async {
        let log = NatsLog::connect(url, NatsConfig::decisions())
            .await
            .expect("decisions stream");
        ids(&log).await
    })
}

fn embedded_decision_ids(dir: &Path) -> Vec<String> {
    let facts = SledLog::open(dir, "fatos", Arc::new(SystemClock)).expect("log");
    let decisions = facts.open_sibling("decisoes").expect("decisions");
    runtime().block_on(ids(&decisions))
}

fn assert_each_once(ids: &[String]) {
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "a decision id appears twice");
}

/// The parts of a `project --json` report that must not depend on how the run went.
fn outcome(report: &Value) -> (Value, Value) {
    (report["checkpoint"].clone(), report["seals"].clone())
}

#[test]
fn jetstream_and_the_embedded_log_seal_the_same_parcelas_and_publish_the_same_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let (log, state) = (dir.path().join("log"), dir.path().join("estado"));
    load_embedded(&log, &HISTORY);
    let embedded = json(&[
        "project",
        "--log",
        path(&log),
        "--read-models",
        path(&state),
        "--json",
    ]);
    let server = NatsServer::start().expect("nats-server (scripts/test.sh installs it)");
    let url = server.url();
    load_nats(&url, &HISTORY);
    let nats_state = dir.path().join("estado-nats");
    let on_nats = json(&[
        "project",
        "--nats",
        &url,
        "--read-models",
        path(&nats_state),
        "--until-end",
        "--json",
    ]);
    assert_eq!(outcome(&embedded), outcome(&on_nats));
    let seals = embedded["seals"].as_array().expect("seals");
    assert_eq!(seals.len(), 13, "one seal per parcela_closed");
    let published = nats_decision_ids(&url);
    assert_eq!(
        published.len() as u64,
        on_nats["checkpoint"]["decisions"].as_u64().unwrap()
    );
    assert_eq!(published, embedded_decision_ids(&log));
    // A fresh replay (a rebuild from the log, publishing nothing) computes the same decisions: the state
    // hash chains every decision id.
    let rebuilt = json(&[
        "rebuild",
        "--log",
        path(&log),
        "--read-models",
        path(&state),
        "--json",
    ]);
    assert_eq!(outcome(&rebuilt), outcome(&embedded));
    assert_eq!(rebuilt["generation"], "g000002");
    assert!(
        !state.join("g000001").exists(),
        "the old generation is removed"
    );
}

/// A small deterministic generator for the kill points (SplitMix64).
fn next(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *seed;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `repasse project` following `url` to the end, as publisher candidate `name`, with a 2 s lease.
fn projector_command(url: &str, state: &Path, name: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_repasse"));
    command.args([
        "project",
        "--nats",
        url,
        "--read-models",
        path(state),
        "--until-end",
        "--json",
        "--name",
        name,
        "--lease-seconds",
        "2",
    ]);
    command
}

fn spawn_projector(url: &str, state: &Path, name: &str) -> std::process::Child {
    projector_command(url, state, name)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

/// As `spawn_projector`, logging each decision point to stderr.
fn spawn_projector_logging(url: &str, state: &Path, name: &str) -> std::process::Child {
    projector_command(url, state, name)
        .env("RUST_LOG", "warn,repasse_projector=info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

fn finish(child: std::process::Child) -> Value {
    let out = child.wait_with_output().expect("waits");
    assert!(
        out.status.success(),
        "projector failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

#[test]
fn a_projector_killed_at_random_points_resumes_to_the_clean_replay_and_publishes_each_decision_once()
 {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    load_embedded(&log, &LONG_HISTORY);
    let clean = json(&[
        "project",
        "--log",
        path(&log),
        "--read-models",
        path(&dir.path().join("limpo")),
        "--json",
        "--no-publish",
    ]);
    let server = NatsServer::start().expect("nats-server");
    let url = server.url();
    load_nats(&url, &LONG_HISTORY);
    let state = dir.path().join("estado");
    let mut seed = 2024;
    let mut killed_at = Vec::new();
    while killed_at.len() < 6 {
        // Each run is killed at a random point after a random number of its decision points (1 to 3), not
        // after a random time: on a fast machine a timed kill can come after the history is done.
        let mut child = spawn_projector_logging(&url, &state, "projetor-a");
        let wanted = 1 + next(&mut seed) % 3;
        // Read up to the kill (a closed pipe would only drop the projector's log lines).
        let mut stderr = BufReader::new(child.stderr.take().expect("piped"));
        let mut seen = 0;
        for line in (&mut stderr).lines() {
            if line.expect("stderr").contains("ponto de decisão") {
                seen += 1;
                if seen == wanted {
                    break;
                }
            }
        }
        if seen < wanted {
            break; // it finished first: the history is done
        }
        // Anywhere in what follows: folding, deciding, publishing, writing read models.
        std::thread::sleep(Duration::from_millis(next(&mut seed) % 400));
        if child.try_wait().expect("status").is_some() {
            break;
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        drop(stderr);
        let store = repasse_projector::store::Store::open(&state).expect("read models reopen");
        killed_at.push(store.checkpoint().expect("checkpoint").position);
        // Let the lease of the killed holder expire, as a supervisor's restart delay would.
        std::thread::sleep(Duration::from_millis(2100));
    }
    assert!(
        killed_at.len() >= 5,
        "only {} kills landed before the projector finished",
        killed_at.len()
    );
    eprintln!("mortos nas posições {killed_at:?}");
    // A checkpoint survives a kill and never goes back; the kills fell at different points of the history.
    assert!(killed_at.windows(2).all(|w| w[0] <= w[1]), "{killed_at:?}");
    assert!(
        killed_at.iter().collect::<HashSet<_>>().len() >= 4,
        "{killed_at:?}"
    );
    let resumed = finish(spawn_projector(&url, &state, "projetor-a"));
    assert_eq!(outcome(&resumed), outcome(&clean));
    let published = nats_decision_ids(&url);
    assert_each_once(&published);
    assert_eq!(
        published.len() as u64,
        clean["checkpoint"]["decisions"].as_u64().unwrap()
    );
    assert_eq!(
        published,
        embedded_decision_ids_of_clean_run(&log, dir.path())
    );
}

#[test]
fn a_projector_whose_stderr_is_closed_goes_on_to_the_clean_result() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    load_embedded(&log, &HISTORY);
    let run = |name: &str| {
        Command::new(env!("CARGO_BIN_EXE_repasse"))
            .args(["project", "--log", path(&log), "--read-models"])
            .arg(dir.path().join(name))
            .arg("--json")
            .env("RUST_LOG", "warn,repasse_projector=info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs")
    };
    let clean = finish(run("limpo"));
    // The log collector goes away after the first decision point: the projector's next lines have nowhere
    // to go, and it must still finish with the same checkpoint and seals.
    let mut child = run("sem-stderr");
    let mut stderr = BufReader::new(child.stderr.take().expect("piped"));
    let mut first = String::new();
    stderr.read_line(&mut first).expect("a first log line");
    assert!(first.contains("ponto de decisão"), "{first}");
    drop(stderr);
    let report = finish(child);
    assert_eq!(outcome(&report), outcome(&clean));
    assert!(clean["decision_points"].as_u64().unwrap() > 1, "{clean}");
}

/// The decisions a clean embedded run publishes, for comparison with the NATS stream.
fn embedded_decision_ids_of_clean_run(log: &Path, dir: &Path) -> Vec<String> {
    ok(&[
        "project",
        "--log",
        path(log),
        "--read-models",
        path(&dir.join("limpo-publicado")),
    ]);
    embedded_decision_ids(log)
}

#[test]
fn two_publishers_started_at_once_one_killed_publish_each_decision_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    load_embedded(&log, &LONG_HISTORY);
    let clean = json(&[
        "project",
        "--log",
        path(&log),
        "--read-models",
        path(&dir.path().join("limpo")),
        "--json",
        "--no-publish",
    ]);
    let server = NatsServer::start().expect("nats-server");
    let url = server.url();
    load_nats(&url, &LONG_HISTORY);
    let a = spawn_projector(&url, &dir.path().join("a"), "projetor-a");
    let b = spawn_projector(&url, &dir.path().join("b"), "projetor-b");
    // Both start at once; one holds the lease, the other waits. Kill one of them mid-run.
    std::thread::sleep(Duration::from_millis(3000));
    let mut a = a;
    a.kill().expect("SIGKILL");
    a.wait().expect("reaped");
    let b = finish(b);
    let a = finish(spawn_projector(&url, &dir.path().join("a"), "projetor-a"));
    assert_eq!(outcome(&a), outcome(&clean));
    assert_eq!(outcome(&b), outcome(&clean));
    let published = nats_decision_ids(&url);
    assert_each_once(&published);
    assert_eq!(
        published.len() as u64,
        clean["checkpoint"]["decisions"].as_u64().unwrap()
    );
}

#[test]
fn export_and_verify_check_the_chain_and_every_seal_without_a_server_and_name_a_tampered_entry() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    load_embedded(&log, &HISTORY);
    ok(&[
        "project",
        "--log",
        path(&log),
        "--read-models",
        path(&dir.path().join("e")),
    ]);
    let file = dir.path().join("auditoria.bin");
    ok(&["export", "--log", path(&log), "--out", path(&file)]);
    let verified = json(&["verify", path(&file), "--json"]);
    let seals = verified["seals"].as_array().unwrap();
    assert_eq!(seals.len(), 13);
    assert!(seals.iter().all(|s| s["ok"] == true), "{seals:?}");
    // One flipped byte in the middle of the file: the chain breaks at that entry.
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    let tampered = dir.path().join("adulterado.bin");
    std::fs::write(&tampered, bytes).unwrap();
    let out = repasse(&["verify", path(&tampered)]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("adulterado.bin, entrada ")
            && (stderr.contains("hash encadeado não confere")
                || stderr.contains("ilegível")
                || stderr.contains("limite")
                || stderr.contains("truncad")),
        "{stderr}"
    );
    // A truncated file is refused too, naming the missing end.
    let whole = std::fs::read(&file).unwrap();
    std::fs::write(&tampered, &whole[..whole.len() - 40]).unwrap();
    let out = repasse(&["verify", path(&tampered)]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("trunca"));
}

/// The seals of a projector run to the end of the log named by `log`, its read models in `models`.
fn seals(log: &[&str], models: &Path) -> Value {
    let mut args = vec!["project"];
    args.extend(log);
    args.extend(["--read-models", path(models), "--until-end", "--json"]);
    json(&args)["seals"].clone()
}

#[test]
fn restore_puts_an_export_into_an_empty_stream_where_the_projector_seals_the_same_parcelas() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    load_embedded(&log, &HISTORY);
    let original = seals(&["--log", path(&log)], &dir.path().join("m0"));
    assert_eq!(original.as_array().unwrap().len(), 13);
    let file = dir.path().join("copia.bin");
    ok(&["export", "--log", path(&log), "--out", path(&file)]);
    // A truncated copy is refused before anything is written: the same target then takes the whole one.
    let whole = std::fs::read(&file).unwrap();
    let truncated = dir.path().join("truncada.bin");
    std::fs::write(&truncated, &whole[..whole.len() * 2 / 3]).unwrap();
    let target = dir.path().join("restaurado");
    let out = repasse(&["restore", path(&truncated), "--log", path(&target)]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("truncada.bin") && stderr.contains("trunca"),
        "{stderr}"
    );
    let restored = json(&["restore", path(&file), "--log", path(&target), "--json"]);
    assert_eq!(restored["seals"], 13, "{restored}");
    assert!(restored["facts"].as_u64().unwrap() > 10_000, "{restored}");
    assert_eq!(
        restored["facts"], restored["last"],
        "positions from 1 without a gap"
    );
    assert_eq!(
        seals(&["--log", path(&target)], &dir.path().join("m1")),
        original
    );
    // Into a stream that holds records: refused, nothing added.
    let out = repasse(&["restore", path(&file), "--log", path(&target)]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("só vai num stream vazio") && stderr.contains("nada foi gravado"),
        "{stderr}"
    );
    let again = dir.path().join("de-novo.bin");
    ok(&["export", "--log", path(&target), "--out", path(&again)]);
    assert_eq!(
        json(&["verify", path(&again), "--json"])["facts"],
        restored["facts"]
    );
    // Onto JetStream, as after the loss of a cluster: the same seals.
    let server = NatsServer::start().expect("nats-server");
    let url = server.url();
    let restored = json(&["restore", path(&file), "--nats", &url, "--json"]);
    assert_eq!(restored["seals"], 13, "{restored}");
    assert_eq!(seals(&["--nats", &url], &dir.path().join("m2")), original);
}

#[test]
fn a_history_imported_again_after_the_deduplication_window_restores_and_seals_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start().expect("nats-server");
    let url = server.url();
    // A stream whose window is one second (the ledger's is ten minutes; it keeps what exists).
    runtime().block_on(async {
        let client = async_nats::connect(&url).await.unwrap();
        let short = NatsConfig {
            duplicate_window: Duration::from_secs(1),
            ..NatsConfig::facts()
        };
        NatsLog::open(client, short).await.unwrap();
    });
    load_nats(&url, &HISTORY);
    std::thread::sleep(Duration::from_millis(1500));
    load_nats(&url, &HISTORY);
    let on_nats = seals(&["--nats", &url], &dir.path().join("m0"));
    assert_eq!(on_nats.as_array().unwrap().len(), 13);
    let file = dir.path().join("copia.bin");
    ok(&["export", "--nats", &url, "--out", path(&file)]);
    let target = dir.path().join("restaurado");
    let restored = json(&["restore", path(&file), "--log", path(&target), "--json"]);
    let facts = restored["facts"].as_u64().unwrap();
    let repeated = restored["repeated"].as_array().unwrap();
    assert_eq!(repeated.len() as u64 * 2, facts, "the second import, whole");
    assert_eq!(repeated[0].as_u64().unwrap(), facts / 2 + 1);
    assert_eq!(
        seals(&["--log", path(&target)], &dir.path().join("m1")),
        on_nats
    );
    // The restored log holds every position, the repeats under ids of their own.
    let again = dir.path().join("de-novo.bin");
    ok(&["export", "--log", path(&target), "--out", path(&again)]);
    assert_eq!(json(&["verify", path(&again), "--json"])["facts"], facts);
}

#[test]
fn a_rebuild_under_a_running_projector_on_nats_switches_it_to_the_new_generation() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start().expect("nats-server");
    let url = server.url();
    load_nats(&url, &HISTORY);
    let state = dir.path().join("estado");
    // A projector following the stream (no --until-end), serving generation g000001,
    let running = Command::new(env!("CARGO_BIN_EXE_repasse"))
        .args([
            "project",
            "--nats",
            &url,
            "--read-models",
            path(&state),
            "--json",
            "--lease-seconds",
            "2",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let generation = || std::fs::read_to_string(state.join("ATUAL")).unwrap_or_default();
    let wait_for = |what: &dyn Fn() -> bool| {
        for _ in 0..600 {
            if what() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    };
    assert!(wait_for(&|| generation().trim() == "g000001"));
    // while a rebuild projects g000002 beside it and switches,
    let rebuilt = json(&[
        "rebuild",
        "--nats",
        &url,
        "--read-models",
        path(&state),
        "--json",
    ]);
    assert_eq!(rebuilt["generation"], "g000002");
    assert_eq!(generation().trim(), "g000002");
    // it moves to the new generation and removes the old one, then stops cleanly on SIGTERM.
    assert!(
        wait_for(&|| !state.join("g000001").exists()),
        "the running projector did not leave g000001"
    );
    let status = Command::new("kill")
        .args(["-TERM", &running.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let out = running.wait_with_output().expect("waits");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reports: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON report"))
        .collect();
    let last = reports.last().expect("a report");
    assert_eq!(last["generation"], "g000002");
    assert_eq!(outcome(last), outcome(&rebuilt));
}
