//! `repasse bench api`: the API's statement and explanation routes on loopback over the national
//! synthetic history's read models, each beside its floor — a trivial route of the same server (same
//! router, middleware, HTTP stack and connection handling) answering the same bytes from memory — in the
//! same run, rounds alternated. The server runs on one thread and the clients on the other, as they
//! would on two machines' cores; clients keep their connections alive.
//!
//! Targets: each route at least half its floor's requests per second, and its p99 within twice the
//! floor's.

// Timings are measurements, not money: floats are right here.
#![allow(clippy::float_arithmetic)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, State};
use repasse_eventlog::{EventLog, SystemClock};
use repasse_projector::project::Projector;
use repasse_projector::step::tree;
use repasse_projector::store::Store;
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Log embutido com o histórico (sem ele, o histórico nacional sintético é gerado num diretório
    /// temporário).
    #[arg(long)]
    pub log: Option<PathBuf>,
    /// Equipes do histórico gerado.
    #[arg(long, default_value_t = 100_000)]
    pub teams: u32,
    /// Competências do histórico gerado.
    #[arg(long, default_value_t = 5)]
    pub competencias: u32,
    /// Conexões simultâneas dos clientes.
    #[arg(long, default_value_t = 16)]
    pub connections: usize,
    /// Requisições por rodada e rota.
    #[arg(long, default_value_t = 40_000)]
    pub requests: usize,
    /// Rodadas alternadas (rota, piso, rota, piso…); vale a melhor de cada.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
}

#[derive(Debug, Clone, Copy, Serialize)]
struct Figures {
    requests_per_second: f64,
    p50_us: u64,
    p99_us: u64,
    max_us: u64,
}

#[derive(Debug, Serialize)]
struct RouteReport {
    route: &'static str,
    distinct_keys: usize,
    mean_body_bytes: usize,
    target: Figures,
    floor: Figures,
    /// Target over floor: at least 0.5.
    rps_ratio: f64,
    /// Target over floor: at most 2.
    p99_ratio: f64,
    meets_target: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    facts: u64,
    prepare_seconds: f64,
    connections: usize,
    requests_per_round: usize,
    rounds: usize,
    routes: Vec<RouteReport>,
}

pub fn run(args: Args) -> anyhow::Result<std::process::ExitCode> {
    let work = tempfile::tempdir()?;
    let started = Instant::now();
    let setup = tokio::runtime::Runtime::new()?;
    let (store, facts) = setup.block_on(prepare(&args, work.path()))?;
    let prepare_seconds = started.elapsed().as_secs_f64();
    let samples = [
        samples(&store, tree::DEMONSTRATIVOS, "demonstrativos")?,
        samples(&store, tree::EXPLICACOES, "explicacoes")?,
    ];
    let (address, _server) = serve(store, &samples)?;
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut routes = Vec::new();
    for (kind, sample) in samples.iter().enumerate() {
        let floor: Vec<String> = (0..sample.paths.len())
            .map(|i| format!("/piso/{kind}/{i}"))
            .collect();
        let (mut best_target, mut best_floor): (Option<Figures>, Option<Figures>) = (None, None);
        for _ in 0..args.rounds {
            let t = client.block_on(load(&address, &sample.paths, &args))?;
            let f = client.block_on(load(&address, &floor, &args))?;
            best_target = Some(best(best_target, t));
            best_floor = Some(best(best_floor, f));
        }
        let (target, floor) = (best_target.expect("a round"), best_floor.expect("a round"));
        let rps_ratio = target.requests_per_second / floor.requests_per_second;
        let p99_ratio = target.p99_us as f64 / floor.p99_us.max(1) as f64;
        routes.push(RouteReport {
            route: sample.route,
            distinct_keys: sample.paths.len(),
            mean_body_bytes: sample.bodies.iter().map(Vec::len).sum::<usize>()
                / sample.bodies.len(),
            target,
            floor,
            rps_ratio,
            p99_ratio,
            meets_target: rps_ratio >= 0.5 && p99_ratio <= 2.0,
        });
    }
    let report = Report {
        facts,
        prepare_seconds,
        connections: args.connections,
        requests_per_round: args.requests,
        rounds: args.rounds,
        routes,
    };
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(std::process::ExitCode::SUCCESS)
}

fn best(previous: Option<Figures>, next: Figures) -> Figures {
    match previous {
        Some(p) if p.requests_per_second >= next.requests_per_second => p,
        _ => next,
    }
}

/// The read models of the history: the given log, or the national synthetic one, projected to its end.
async fn prepare(args: &Args, work: &std::path::Path) -> anyhow::Result<(Store, u64)> {
    use repasse_eventlog::sled_log::SledLog;
    let facts = match &args.log {
        Some(dir) => SledLog::open_existing(dir, "fatos", Arc::new(SystemClock))?,
        None => {
            let log = SledLog::open(&work.join("log"), "fatos", Arc::new(SystemClock))?;
            let demo = repasse_ingest::demo::Demo::new(repasse_ingest::demo::DemoConfig {
                teams: args.teams,
                competencias: args.competencias,
                ..Default::default()
            });
            let clock = SystemClock;
            let mut writer = repasse_ingest::writer::FactWriter::with_batch(&log, &clock, 8_192);
            for chunk in repasse_ingest::demo::history(&demo) {
                for (fact, source) in chunk {
                    writer.push(fact, source).await?;
                }
            }
            writer.finish().await?;
            log
        }
    };
    let store = Store::open(&work.join("modelos"))?;
    let mut projector = Projector::open(&facts, None::<&SledLog>, store).await?;
    let last = facts.last_position().await?;
    projector.run_to(last).await?;
    Ok((projector.into_store(), last.0))
}

/// The keys of the latest period of a tree (the latest parcela's statements, the latest competência's
/// explanations) as request paths, with the bytes each answers.
struct Sample {
    route: &'static str,
    paths: Vec<String>,
    bodies: Vec<Vec<u8>>,
}

fn samples(store: &Store, tree: &str, route: &'static str) -> anyhow::Result<Sample> {
    let last = store
        .last_key(tree)?
        .ok_or_else(|| anyhow::anyhow!("o histórico não tem {route}: use mais competências"))?;
    let period = last.split('/').next().expect("a period");
    let mut paths = Vec::new();
    let mut bodies = Vec::new();
    for (key, value) in store.scan(tree, &format!("{period}/"))? {
        paths.push(format!("/{route}/{key}"));
        bodies.push(
            store
                .get_raw(tree, &key)?
                .unwrap_or_else(|| serde_json::to_vec(&value).expect("a read model serializes")),
        );
    }
    Ok(Sample {
        route,
        paths,
        bodies,
    })
}

type Floors = Arc<[Vec<bytes::Bytes>; 2]>;

async fn floor(
    State(floors): State<Floors>,
    Path((kind, i)): Path<(usize, usize)>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let body = floors[kind.min(1)][i % floors[kind.min(1)].len()].clone();
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// The API's router plus the floor route, served on a thread of its own.
fn serve(
    store: Store,
    samples: &[Sample; 2],
) -> anyhow::Result<(String, std::thread::JoinHandle<()>)> {
    let floors: Floors = Arc::new([0, 1].map(|k| {
        samples[k]
            .bodies
            .iter()
            .cloned()
            .map(bytes::Bytes::from)
            .collect()
    }));
    let (_, store) = tokio::sync::watch::channel(Some(store));
    let (_, readiness) = tokio::sync::watch::channel(repasse_api::Health::default());
    let (_, logs) = tokio::sync::watch::channel(None);
    let router = repasse_api::router(repasse_api::Wiring {
        store,
        readiness,
        logs,
        tokens: None,
        metrics: Arc::new(repasse_api::metrics::Metrics::default()),
    })
    .merge(
        axum::Router::new()
            .route("/piso/{kind}/{i}", axum::routing::get(floor))
            .with_state(floors),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let address = listener.local_addr()?.to_string();
    let server = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("the listener");
            axum::serve(listener, router).await.expect("serves");
        });
    });
    Ok((address, server))
}

/// `requests` GETs over `connections` kept-alive connections, cycling through `paths`.
async fn load(address: &str, paths: &[String], args: &Args) -> anyhow::Result<Figures> {
    let per = args.requests / args.connections;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..args.connections {
        let address = address.to_owned();
        let paths: Vec<String> = paths
            .iter()
            .cycle()
            .skip(c * 7919 % paths.len().max(1))
            .take(per)
            .cloned()
            .collect();
        tasks.push(tokio::spawn(
            async move { connection(&address, &paths).await },
        ));
    }
    let mut latencies = Vec::with_capacity(args.requests);
    for task in tasks {
        latencies.extend(task.await??);
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let at = |q: usize| latencies[(latencies.len() * q / 100).min(latencies.len() - 1)];
    Ok(Figures {
        requests_per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50_us: at(50),
        p99_us: at(99),
        max_us: *latencies.last().expect("requests"),
    })
}

async fn connection(address: &str, paths: &[String]) -> anyhow::Result<Vec<u64>> {
    let stream = tokio::net::TcpStream::connect(address).await?;
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut latencies = Vec::with_capacity(paths.len());
    let mut line = String::new();
    let mut body = Vec::new();
    for path in paths {
        let sent = Instant::now();
        write
            .write_all(format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n").as_bytes())
            .await?;
        let mut length = None;
        let mut status = 0;
        loop {
            line.clear();
            reader.read_line(&mut line).await?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(code) = line.strip_prefix("HTTP/1.1 ") {
                status = code[..3].parse().unwrap_or(0);
            }
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse::<usize>().ok();
            }
        }
        let length =
            length.ok_or_else(|| anyhow::anyhow!("{path}: resposta sem Content-Length"))?;
        body.resize(length, 0);
        reader.read_exact(&mut body).await?;
        anyhow::ensure!(status == 200, "{path}: status {status}");
        latencies.push(u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX));
    }
    Ok(latencies)
}
