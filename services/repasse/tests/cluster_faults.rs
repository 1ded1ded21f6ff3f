//! Faults on a three-node JetStream cluster (three real nats-server processes on loopback, streams with
//! three replicas). Given a history written competência by competência, when between the pieces a node is
//! killed and restarted, the fact stream's leader is killed, a node is paused (SIGSTOP) past the election
//! timeout, and all three nodes are restarted at once; and when the projector is killed in the middle of
//! a parcela's close (aborted by fault injection once half of the close's statements are on the stream,
//! its seal not) and a node dies while it replays; then the fact stream holds exactly the facts sent (none lost,
//! none twice), the decision stream holds each decision once, in the order a clean run on the embedded
//! log publishes them, and every seal is that clean run's.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use async_nats::jetstream;
use futures::StreamExt;
use serde_json::Value;

mod common;
use common::{HISTORY, json, path, repasse, run};

struct Node {
    name: String,
    client_port: u16,
    conf: PathBuf,
    child: Option<Child>,
}

impl Node {
    fn start(&mut self) {
        let binary = std::env::var("NATS_SERVER").unwrap_or_else(|_| "nats-server".to_owned());
        let child = Command::new(binary)
            .arg("-c")
            .arg(&self.conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server runs");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.client_port)).is_err() {
            assert!(Instant::now() < deadline, "{} did not start", self.name);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let status = Command::new("kill").args([signal, &pid]).status().unwrap();
        assert!(status.success());
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(child) = &self.child {
            let _ = Command::new("kill")
                .args(["-CONT", &child.id().to_string()])
                .status();
        }
        self.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn cluster(dir: &Path) -> Vec<Node> {
    let ports: Vec<(u16, u16)> = (0..3).map(|_| (free_port(), free_port())).collect();
    let routes: Vec<String> = ports
        .iter()
        .map(|(_, route)| format!("nats-route://127.0.0.1:{route}"))
        .collect();
    let mut nodes = Vec::new();
    for (i, (client, route)) in ports.iter().enumerate() {
        let name = format!("n{}", i + 1);
        let conf = dir.join(format!("{name}.conf"));
        std::fs::write(
            &conf,
            format!(
                "server_name: {name}\nlisten: 127.0.0.1:{client}\n\
                 jetstream {{ store_dir: \"{}\" }}\n\
                 cluster {{ name: repasse-teste, listen: 127.0.0.1:{route}, routes: [{}] }}\n",
                dir.join(&name).display(),
                routes.join(", ")
            ),
        )
        .unwrap();
        let mut node = Node {
            name,
            client_port: *client,
            conf,
            child: None,
        };
        node.start();
        nodes.push(node);
    }
    nodes
}

fn urls(nodes: &[Node]) -> String {
    nodes
        .iter()
        .map(|n| format!("nats://127.0.0.1:{}", n.client_port))
        .collect::<Vec<_>>()
        .join(",")
}

/// One piece of the history onto the cluster, again until the cluster takes it (an election may be under
/// way): sending a piece twice adds nothing, so a retry can neither lose nor duplicate.
fn write_chunk(url: &str, history: &[&str], chunk: usize) {
    let (from, to) = (chunk.to_string(), (chunk + 1).to_string());
    let mut args = vec!["demo-data", "--nats", url, "--nats-replicas", "3"];
    args.extend(history);
    args.extend(["--from-chunk", &from, "--to-chunk", &to]);
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let out = repasse(&args);
        if out.status.success() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "chunk {chunk} never taken: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The projector to the end of the fact stream, again until it finishes (as systemd restarts it). A run
/// that neither ends nor fails within two minutes fails the test with its log: a hang is a bug.
fn project(url: &str, models: &Path, mut during: impl FnMut(&mut Child)) -> Value {
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let log = models.with_extension(format!("projetor-{attempt}.log"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_repasse"))
            .args([
                "project",
                "--nats",
                url,
                "--nats-replicas",
                "3",
                "--until-end",
                "--json",
            ])
            .args(["--read-models", path(models), "--lease-seconds", "3"])
            .env("RUST_LOG", "info")
            .stdout(std::fs::File::create(log.with_extension("json")).unwrap())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        if attempt == 1 {
            during(&mut child);
        }
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(120) {
                child.kill().unwrap();
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(40).collect();
                panic!(
                    "the projector hung for 2 minutes; its last lines:\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if child.wait().unwrap().success() {
            let report = std::fs::read(log.with_extension("json")).unwrap();
            return serde_json::from_slice(&report).unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "the projector never finished: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        // A killed projector's lease expires before another may publish.
        std::thread::sleep(Duration::from_secs(4));
    }
}

async fn connect(url: &str) -> async_nats::Client {
    let servers: Vec<async_nats::ServerAddr> = url.split(',').map(|u| u.parse().unwrap()).collect();
    async_nats::connect(servers).await.unwrap()
}

/// Every message of a stream: its Nats-Msg-Id, in stream order. Read again while the cluster, just
/// restarted or electing, does not answer (its API times out): the test's reader, not what it checks.
async fn ids(url: &str, stream: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match read_ids(url, stream).await {
            Ok(ids) => return ids,
            Err(e) => {
                assert!(Instant::now() < deadline, "{stream} never answered: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

async fn read_ids(url: &str, stream: &str) -> Result<Vec<String>, String> {
    let js = jetstream::new(connect(url).await);
    let stream = js.get_stream(stream).await.map_err(|e| e.to_string())?;
    let count = stream.cached_info().state.messages as usize;
    let consumer = stream
        .create_consumer(jetstream::consumer::pull::OrderedConfig::default())
        .await
        .map_err(|e| e.to_string())?;
    let mut messages = consumer.messages().await.map_err(|e| e.to_string())?;
    let mut ids = Vec::with_capacity(count);
    while ids.len() < count {
        let next = tokio::time::timeout(Duration::from_secs(10), messages.next()).await;
        let message = next
            .map_err(|_| "no message in 10 s".to_owned())?
            .ok_or("the consumer ended")?
            .map_err(|e| e.to_string())?;
        let id = message.headers.as_ref().and_then(|h| h.get("Nats-Msg-Id"));
        ids.push(id.map(|v| v.as_str().to_owned()).unwrap_or_default());
    }
    Ok(ids)
}

/// Which node leads a stream's replicas now.
async fn leader(url: &str, stream: &str) -> String {
    let js = jetstream::new(connect(url).await);
    let mut stream = js.get_stream(stream).await.unwrap();
    let info = stream.info().await.unwrap();
    info.cluster
        .as_ref()
        .and_then(|c| c.leader.clone())
        .expect("a leader")
}

#[test]
fn faults_on_a_three_node_cluster_lose_nothing_and_decide_nothing_twice() {
    let _one = ONE_CLUSTER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let mut nodes = cluster(dir.path());
    let url = urls(&nodes);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let chunks = 15; // the registry facts and HISTORY's 14 competências

    for chunk in 0..chunks {
        match chunk {
            2 => nodes[1].kill(),
            4 => nodes[1].start(),
            5 => {
                let leader = runtime.block_on(leader(&url, "REPASSE_FATOS"));
                let node = nodes.iter_mut().find(|n| n.name == leader).unwrap();
                node.kill();
                node.start();
            }
            8 => nodes[2].signal("-STOP"),
            11 => {
                nodes.iter_mut().for_each(Node::kill);
                nodes.iter_mut().for_each(Node::start);
            }
            _ => {}
        }
        write_chunk(&url, &HISTORY, chunk);
        if chunk == 9 {
            // Paused through a whole piece: well past the election timeout.
            nodes[2].signal("-CONT");
        }
    }

    let clean = clean_run(dir.path(), &HISTORY);
    let models = dir.path().join("modelos");
    abort_mid_close(&runtime, &url, &models, &clean.0);
    // Run again; a node dies while it replays.
    let node_down = &mut nodes[0];
    let report = project(&url, &models, |_| {
        std::thread::sleep(Duration::from_millis(300));
        node_down.kill();
    });
    nodes[0].start();
    assert_as_clean(&runtime, &url, &clean, &report);
}

/// The national-size history: every municipality of Anexo VI, about 100,000 teams, three competências
/// (778,692 facts; bounded in competências so that CI runs it in minutes).
const NATIONAL: [&str; 2] = ["--competencias", "3"];

/// One cluster at a time: two on two cores would time each other out.
static ONE_CLUSTER: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_national_history_survives_a_leader_killed_mid_write_a_paused_node_and_a_projector_killed_mid_close()
 {
    let _one = ONE_CLUSTER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let mut nodes = cluster(dir.path());
    let url = urls(&nodes);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    write_chunk(&url, &NATIONAL, 0);
    // The fact stream's leader killed while a competência is being written, then restarted.
    let writer = {
        let url = url.clone();
        std::thread::spawn(move || write_chunk(&url, &NATIONAL, 1))
    };
    std::thread::sleep(Duration::from_millis(1500));
    let leader = runtime.block_on(leader(&url, "REPASSE_FATOS"));
    let node = nodes.iter_mut().find(|n| n.name == leader).unwrap();
    node.kill();
    node.start();
    writer.join().unwrap();
    // A node paused (SIGSTOP) through a whole competência, well past the election timeout.
    nodes[1].signal("-STOP");
    write_chunk(&url, &NATIONAL, 2);
    nodes[1].signal("-CONT");
    // All three restarted at once, then the last competência.
    nodes.iter_mut().for_each(Node::kill);
    nodes.iter_mut().for_each(Node::start);
    write_chunk(&url, &NATIONAL, 3);

    let clean = clean_run(dir.path(), &NATIONAL);
    let models = dir.path().join("modelos");
    abort_mid_close(&runtime, &url, &models, &clean.0);
    // Run again; a node paused while it replays, resumed after.
    let paused = &nodes[2];
    let report = project(&url, &models, |_| {
        std::thread::sleep(Duration::from_millis(500));
        paused.signal("-STOP");
        std::thread::sleep(Duration::from_secs(6));
        paused.signal("-CONT");
    });
    assert_as_clean(&runtime, &url, &clean, &report);
}

/// The clean run: `history` on the embedded log, projected; its directory and report.
fn clean_run(dir: &Path, history: &[&str]) -> (PathBuf, Value) {
    let clean = dir.join("limpo");
    let mut args = vec!["demo-data", "--log", path(&clean)];
    args.extend(history);
    run(&args);
    let report = json(&[
        "project",
        "--log",
        path(&clean),
        "--read-models",
        path(&dir.join("modelos-limpo")),
        "--json",
    ]);
    (clean, report)
}

/// The cluster's projector killed in the middle of a parcela's close — its statements partly published,
/// its seal not: the clean run's last close, aborted after half of its statements (checked on the stream).
fn abort_mid_close(runtime: &tokio::runtime::Runtime, url: &str, models: &Path, clean: &Path) {
    let clean_records = embedded_records(clean, "decisoes");
    let seal = clean_records
        .iter()
        .rposition(|(_, subject)| subject.starts_with("decisoes.selo."))
        .expect("the history seals parcelas");
    let statements = clean_records[..seal]
        .iter()
        .rev()
        .take_while(|(_, subject)| subject.starts_with("decisoes.demonstrativo."))
        .count();
    assert!(
        statements > 4,
        "a close with statements to interrupt: {statements}"
    );
    let abort_at = (seal - statements + statements / 2) as u64;
    let aborted = Command::new(env!("CARGO_BIN_EXE_repasse"))
        .args([
            "project",
            "--nats",
            url,
            "--nats-replicas",
            "3",
            "--until-end",
            "--json",
        ])
        .args(["--read-models", path(models), "--lease-seconds", "3"])
        .env("REPASSE_FAULT_ABORT_AFTER_DECISIONS", abort_at.to_string())
        .output()
        .unwrap();
    assert!(!aborted.status.success(), "the projector was to abort");
    let partial = runtime.block_on(ids(url, "REPASSE_DECISOES"));
    assert_eq!(
        partial.len() as u64,
        abort_at,
        "killed after {abort_at} decisions, mid-close: {}",
        String::from_utf8_lossy(&aborted.stderr)
    );
    std::thread::sleep(Duration::from_secs(4)); // its lease expires
}

/// Nothing lost, nothing twice, the clean run's decisions in its order, and its seals.
fn assert_as_clean(
    runtime: &tokio::runtime::Runtime,
    url: &str,
    (clean, clean_report): &(PathBuf, Value),
    report: &Value,
) {
    let (facts, decisions) = runtime.block_on(async {
        (
            ids(url, "REPASSE_FATOS").await,
            ids(url, "REPASSE_DECISOES").await,
        )
    });
    let expected_facts = clean_report["checkpoint"]["position"].as_u64().unwrap() as usize;
    assert_eq!(facts.len(), expected_facts, "facts lost or duplicated");
    assert_eq!(facts.iter().collect::<HashSet<_>>().len(), facts.len());
    // And they are the facts sent: the clean run's, id for id.
    let mut sent = embedded_ids(clean, "fatos");
    sent.sort_unstable();
    let mut stored = facts;
    stored.sort_unstable();
    assert!(stored == sent, "the stream's facts are not the ones sent");
    assert_eq!(
        decisions.iter().collect::<HashSet<_>>().len(),
        decisions.len(),
        "a decision published twice"
    );
    assert_eq!(
        decisions.len() as u64,
        clean_report["checkpoint"]["decisions"].as_u64().unwrap(),
        "decisions missing"
    );
    let clean_decisions = embedded_ids(clean, "decisoes");
    assert_eq!(
        decisions, clean_decisions,
        "not the clean run's decisions, in its order"
    );
    assert_eq!(report["seals"], clean_report["seals"], "seals differ");
}

/// The ids of an embedded stream, in order.
fn embedded_ids(dir: &Path, stream: &str) -> Vec<String> {
    embedded_records(dir, stream)
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

/// The ids and subjects of an embedded stream, in order.
fn embedded_records(dir: &Path, stream: &str) -> Vec<(String, String)> {
    use repasse_eventlog::EventLog;
    let log = repasse_eventlog::sled_log::SledLog::open_existing(
        dir,
        "fatos",
        std::sync::Arc::new(repasse_eventlog::SystemClock),
    )
    .unwrap();
    let log = if stream == "fatos" {
        log
    } else {
        log.open_sibling(stream).unwrap()
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut ids = Vec::new();
        let mut next = repasse_eventlog::Position(1);
        loop {
            let records = log.read(next, 4096).await.unwrap();
            let Some(last) = records.last() else { break };
            next = last.position.next();
            ids.extend(records.into_iter().map(|r| (r.id, r.subject)));
        }
        ids
    })
}
