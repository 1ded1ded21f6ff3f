//! `repasse bench replay`: the national demo history on JetStream, replayed. Measures, in one run on one
//! stream: the raw ordered-consumer read (async-nats alone), the replay (read + decode + fold into the
//! Ledger), the peak RSS, and, under a steady load of facts published at a fixed rate, the latency from a
//! fact's publish to its being folded and to each decision it causes reaching an integrator: a durable
//! consumer of the decision stream, as integrators run (`--integrator durable`), or a core subscription
//! of the decision subjects, which sees a decision before it is stored (`core`). Last, on the same server,
//! what the server alone takes to hand a national close to the same integrator (`bench close`): the
//! floor under the close's latency.

// Timings and ratios are measurements, not money: floats are right here.
#![allow(clippy::float_arithmetic)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use repasse_eventlog::nats::{NatsConfig, NatsLog};
use repasse_eventlog::{EventLog, Position, SystemClock};
use repasse_ingest::demo::{Demo, DemoConfig, history};
use repasse_ingest::writer::encode_record;
use repasse_projector::Folder;
use repasse_projector::project::{Projector, StepTimes};
use repasse_projector::store::{Checkpoint, Store};
use repasse_proto::Fact;
use serde::Serialize;

pub(crate) use crate::integrator::{Listen, StandIn};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Competências do histórico nacional; a última fica para a fase de latência (51: 50 gravadas,
    /// ≈ 10,1 milhões de fatos).
    #[arg(long, default_value_t = 51)]
    pub competencias: u32,
    #[arg(long, default_value_t = 100_000)]
    pub teams: u32,
    /// Servidor NATS já em execução; sem ele, um nats-server é iniciado para a medição.
    #[arg(long, env = "REPASSE_NATS")]
    pub nats: Option<String>,
    /// Réplicas do stream de rascunho do piso do fechamento (3 no cluster); os streams do razão, crie-os
    /// antes com `--nats-replicas` de `demo-data` e `project`, que nunca os rebaixam.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub nats_replicas: u8,
    /// Fatos por segundo na fase de latência: a competência seguinte inteira, na ordem em que os fatos
    /// chegam (≈ 200 mil fatos; ≈ 200 s a 1.000 fatos/s).
    #[arg(long, default_value_t = 1_000)]
    pub rate: u64,
    /// Quem representa os integradores na fase de latência: `durable`, um consumidor durável do stream
    /// de decisões com confirmação explícita, como o exemplo `assinante` (recebe cada decisão depois de
    /// gravada); `core`, uma assinatura simples de `decisoes.>` (recebe cada decisão quando o servidor a
    /// roteia, antes de gravada: o limite inferior do que um integrador pode ver).
    #[arg(long, value_enum, default_value_t = Integrator::Durable)]
    pub integrator: Integrator,
    /// Interno: só a fase de latência (o processo filho que a mede), com o stream já carregado.
    #[arg(long, hide = true, requires = "nats")]
    pub so_latencia: bool,
}

/// The stand-in for integrators in the latency phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Integrator {
    /// A durable consumer of the decision stream with explicit acks, as `examples/assinante.rs`: each
    /// decision arrives once stored, as integrators receive it.
    Durable,
    /// A core subscription of `decisoes.>`: each decision arrives as the server routes its publish,
    /// before the stream has stored it — the earliest any subscriber could see it.
    Core,
}

#[derive(Debug, Serialize)]
struct Report {
    facts: u64,
    stream_bytes: u64,
    raw_ordered_read_facts_per_s: u64,
    replay_facts_per_s: u64,
    replay_over_raw: f64,
    replay_seconds: f64,
    /// Peak RSS of the process that replayed (raw read + replay).
    peak_rss_mib_replay: u64,
    latency: Latency,
    /// What the server alone takes to store a national close and hand it to the same kind of integrator,
    /// in the same run (`bench close`): the floor under the latency of the close above.
    close_floor: crate::close::Report,
}

/// Closes published by the floor measurement after the latency phase.
const CLOSE_FLOOR_ROUNDS: u32 = 5;

#[derive(Debug, Serialize, serde::Deserialize)]
struct Latency {
    /// Who timed the decisions (`--integrator`).
    integrator: Integrator,
    rate_facts_per_s: u64,
    facts_published: u64,
    fact_to_fold_p50_ms: f64,
    fact_to_fold_p99_ms: f64,
    /// Decisions the projector appended to the decision stream during the load.
    decisions_published: u64,
    /// Every decision received by the subscriber: from its fact's publish to its arrival.
    decisions_received: u64,
    fact_to_decision_p50_ms: f64,
    fact_to_decision_p99_ms: f64,
    fact_to_decision_max_ms: f64,
    /// Per decision point: the fact's position, its decisions, when each phase of the projector's step
    /// ended and when the first and the last decision arrived, all from the fact's publish.
    decision_points: Vec<DecisionPoint>,
    /// Peak RSS of the projector's process once it has folded the history again and evaluated it.
    projector_peak_rss_mib_open: u64,
    /// Peak RSS of the projector's process: the history folded again, evaluated, then the steady load.
    projector_peak_rss_mib: u64,
}

#[derive(Debug, Default, Serialize, serde::Deserialize)]
struct DecisionPoint {
    position: u64,
    decisions: u64,
    /// The projector took the fact (it waits behind earlier facts and any piece of work ahead).
    received_ms: f64,
    /// The fact folded; the decisions and their records made.
    folded_ms: f64,
    decided_ms: f64,
    /// Every decision acknowledged by the decision stream.
    acked_ms: f64,
    first_ms: f64,
    last_ms: f64,
}

pub fn run(args: Args) -> anyhow::Result<std::process::ExitCode> {
    if args.so_latencia {
        let url = args.nats.clone().expect("clap requires it");
        let latency = crate::runtime()?.block_on(async {
            let client = async_nats::connect(&url).await?;
            let facts = NatsLog::open(client.clone(), NatsConfig::facts()).await?;
            let end = facts.last_position().await?;
            steady_load(&args, &client, &facts, end).await
        })?;
        println!("{}", serde_json::to_string(&latency)?);
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let (_server, url) = repasse_eventlog::testing::given_or_started(args.nats.as_deref())?;
    // Loading runs in a child process, so that this one's peak RSS is the replay's alone.
    let facts_now = crate::runtime()?.block_on(async {
        let log = NatsLog::connect(&url, NatsConfig::facts()).await?;
        anyhow::Ok(log.last_position().await?.0)
    })?;
    if facts_now == 0 {
        eprintln!(
            "Gravando o histórico nacional de {} competências no JetStream…",
            args.competencias
        );
        let status = std::process::Command::new(std::env::current_exe()?)
            .args([
                "demo-data",
                "--nats",
                &url,
                "--teams",
                &args.teams.to_string(),
                "--competencias",
                &args.competencias.to_string(),
                // The last competência is kept for the latency phase.
                "--to-chunk",
                &args.competencias.to_string(),
            ])
            .status()?;
        anyhow::ensure!(status.success(), "demo-data falhou");
    }
    let runtime = crate::runtime()?;
    let report = runtime.block_on(measure(&args, &url))?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(std::process::ExitCode::SUCCESS)
}

async fn measure(args: &Args, url: &str) -> anyhow::Result<Report> {
    let client = async_nats::connect(url).await?;
    let facts = NatsLog::open(client.clone(), NatsConfig::facts()).await?;
    let end = facts.last_position().await?;
    eprintln!(
        "Leitura crua de {} fatos (consumidor ordenado)…",
        repasse_proto::money::thousands(end.0)
    );
    let (raw_rate, bytes) = raw_read(&client, end.0).await?;
    eprintln!("Replay (leitura, decodificação e dobra no razão)…");
    let started = Instant::now();
    let mut folder = Folder::default();
    folder.fold(&facts, Position(1), Some(end), |_| {}).await?;
    let replay_seconds = started.elapsed().as_secs_f64();
    let replay_rate = (end.0 as f64 / replay_seconds) as u64;
    let rss_after_replay = crate::peak_mib();
    drop(folder);
    // The projector runs in a child process: its peak RSS is its own, not the replay's high-water mark.
    eprintln!("Fase de latência num processo à parte…");
    let output = tokio::process::Command::new(std::env::current_exe()?)
        .args([
            "bench",
            "replay",
            "--so-latencia",
            "--nats",
            url,
            "--competencias",
            &args.competencias.to_string(),
            "--teams",
            &args.teams.to_string(),
            "--rate",
            &args.rate.to_string(),
            "--integrator",
            clap::ValueEnum::to_possible_value(&args.integrator)
                .expect("every stand-in has a name")
                .get_name(),
        ])
        .stderr(std::process::Stdio::inherit())
        .output()
        .await?;
    anyhow::ensure!(output.status.success(), "a fase de latência falhou");
    let latency: Latency = serde_json::from_slice(&output.stdout)?;
    eprintln!("Piso do servidor para um fechamento (`bench close`)…");
    let close_floor = crate::close::measure(
        &crate::close::Args {
            nats: Some(url.to_owned()),
            rounds: CLOSE_FLOOR_ROUNDS,
            municipios: 0,
            integrator: args.integrator,
            nats_replicas: args.nats_replicas,
        },
        url,
    )
    .await?;
    Ok(Report {
        facts: end.0,
        stream_bytes: bytes,
        raw_ordered_read_facts_per_s: raw_rate,
        replay_facts_per_s: replay_rate,
        replay_over_raw: (replay_rate as f64 / raw_rate as f64 * 1000.0).round() / 1000.0,
        replay_seconds: (replay_seconds * 10.0).round() / 10.0,
        peak_rss_mib_replay: rss_after_replay,
        latency,
        close_floor,
    })
}

async fn raw_read(client: &async_nats::Client, count: u64) -> anyhow::Result<(u64, u64)> {
    use async_nats::jetstream::consumer;
    let js = async_nats::jetstream::new(client.clone());
    let stream = js.get_stream(NatsConfig::facts().stream).await?;
    let started = Instant::now();
    let consumer = stream
        .create_consumer(consumer::pull::OrderedConfig::default())
        .await?;
    let mut messages = consumer.messages().await?;
    let mut bytes = 0u64;
    for _ in 0..count {
        let message = messages
            .try_next()
            .await?
            .ok_or_else(|| anyhow::anyhow!("fim inesperado do stream"))?;
        bytes += message.payload.len() as u64;
    }
    Ok((
        (count as f64 / started.elapsed().as_secs_f64()) as u64,
        bytes,
    ))
}

/// Publishes the next competência's facts, in the order the sources deliver them, at `taxa` per second
/// while a projector follows the stream; its read models start at the end of the loaded history (a fresh
/// generation whose checkpoint is set there), its Ledger is folded from the log as on any start. A
/// consumer of `decisoes.>` (`--integrator`) stands for the integrators: each decision's latency runs from
/// the publish of the fact that caused it (its `source.document`, `fatos@POSITION`) to its arrival there.
async fn steady_load(
    args: &Args,
    client: &async_nats::Client,
    facts: &NatsLog,
    end: Position,
) -> anyhow::Result<Latency> {
    let decisions = NatsLog::open(client.clone(), NatsConfig::decisions()).await?;
    let state = tempfile::tempdir()?;
    let store = Store::open(state.path())?;
    store.put_checkpoint(&Checkpoint {
        position: end.0,
        decisions: decisions.last_position().await?.0,
        ..Checkpoint::default()
    })?;
    eprintln!("Projetor: dobrando o histórico até a posição {end}…");
    let published: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let mut projector = Projector::open(facts, Some(&decisions), store).await?;
    let peak_open = crate::peak_mib();
    let applied: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::default();
    let applied_in = Arc::clone(&applied);
    let steps: Arc<Mutex<HashMap<u64, StepTimes>>> = Arc::default();
    let steps_in = Arc::clone(&steps);
    projector.on_step(move |step, times| {
        steps_in
            .lock()
            .expect("latency lock")
            .insert(step.position, *times);
    });
    projector.on_applied(move |position, _| {
        applied_in
            .lock()
            .expect("latency lock")
            .push((position, Instant::now()));
    });
    // The integrator and the source are other processes: each on its own connection, as they would be.
    let url = args.nats.as_deref().expect("clap requires it");
    let integrator = StandIn::start(
        url,
        args.integrator,
        Listen {
            stream: NatsConfig::decisions().stream,
            subjects: format!("{}.>", repasse_proto::subject::DECISIONS_PREFIX),
            until: None,
        },
    )
    .await?;
    let producer = spawn_producer(args, url, Arc::clone(&published)).await?;
    let stop = async {
        while !producer.is_finished() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    eprintln!(
        "Carga constante de {} fatos/s: a competência seguinte inteira…",
        args.rate
    );
    projector
        .follow(state.path(), stop, Duration::from_secs(3600))
        .await?;
    // What was published after the producer stopped.
    let last = facts.last_position().await?;
    projector.run_to(last).await?;
    let peak = crate::peak_mib();
    let decisions_published = projector.progress.published.appended;
    drop(projector);
    // The last decisions reach the subscriber; then it is closed.
    let received = integrator
        .received(Duration::from_secs(2))
        .await?
        .into_iter()
        .map(|(payload, at)| Ok((fact_position(&payload)?, at)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let published = published.lock().expect("latency lock").clone();
    let applied = applied.lock().expect("latency lock").clone();
    let steps = steps.lock().expect("latency lock").clone();
    Ok(summarize(
        args,
        &published,
        &applied,
        &received,
        &steps,
        decisions_published,
        (peak_open, peak),
    ))
}

/// The next competência's facts, published by a producer of their own at `--rate` facts per second;
/// each publish's instant is kept in `published`, by position.
async fn spawn_producer(
    args: &Args,
    url: &str,
    published: Arc<Mutex<HashMap<u64, Instant>>>,
) -> anyhow::Result<tokio::task::JoinHandle<anyhow::Result<()>>> {
    let demo = Demo::new(DemoConfig {
        teams: args.teams,
        competencias: args.competencias,
        ..DemoConfig::default()
    });
    let load = history(&demo)
        .nth(args.competencias as usize)
        .unwrap_or_default();
    anyhow::ensure!(
        load.iter()
            .any(|(f, _)| matches!(f, Fact::ParcelaClosed(_))),
        "a competência da carga não fecha uma parcela"
    );
    let producer_log = NatsLog::open(async_nats::connect(url).await?, NatsConfig::facts()).await?;
    let published_in = published;
    let rate = args.rate;
    let producer = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        for (i, (fact, source)) in load.into_iter().enumerate() {
            tick.tick().await;
            let record = encode_record(fact, source, &SystemClock, i as u64)?;
            let sent = Instant::now();
            let appended = producer_log.append(record, None).await?;
            published_in
                .lock()
                .expect("latency lock")
                .insert(appended.position.0, sent);
        }
        anyhow::Ok(())
    });
    Ok(producer)
}

/// The latencies from each fact's publish: to its fold, to each decision it caused reaching the
/// integrator, and the phases of each decision point.
fn summarize(
    args: &Args,
    published: &HashMap<u64, Instant>,
    applied: &[(u64, Instant)],
    received: &[(u64, Instant)],
    steps: &HashMap<u64, StepTimes>,
    decisions_published: u64,
    (peak_open, peak): (u64, u64),
) -> Latency {
    let since = |position: &u64, at: &Instant| {
        published
            .get(position)
            .map(|sent| at.duration_since(*sent).as_secs_f64() * 1000.0)
    };
    let mut fold_ms: Vec<f64> = applied
        .iter()
        .filter_map(|(position, at)| since(position, at))
        .collect();
    fold_ms.sort_by(f64::total_cmp);
    let mut points: std::collections::BTreeMap<u64, Vec<f64>> = Default::default();
    for (position, at) in received {
        if let Some(ms) = since(position, at) {
            points.entry(*position).or_default().push(ms);
        }
    }
    let mut decision_ms: Vec<f64> = points.values().flatten().copied().collect();
    decision_ms.sort_by(f64::total_cmp);
    let round = |ms: f64| (ms * 10.0).round() / 10.0;
    let phase = |position: u64, at: fn(&StepTimes) -> Instant| {
        steps
            .get(&position)
            .and_then(|times| since(&position, &at(times)))
            .map_or(f64::NAN, round)
    };
    Latency {
        integrator: args.integrator,
        rate_facts_per_s: args.rate,
        facts_published: published.len() as u64,
        fact_to_fold_p50_ms: percentile(&fold_ms, 0.50),
        fact_to_fold_p99_ms: percentile(&fold_ms, 0.99),
        decisions_published,
        decisions_received: received.len() as u64,
        fact_to_decision_p50_ms: percentile(&decision_ms, 0.50),
        fact_to_decision_p99_ms: percentile(&decision_ms, 0.99),
        fact_to_decision_max_ms: percentile(&decision_ms, 1.0),
        decision_points: points
            .into_iter()
            .map(|(position, ms)| DecisionPoint {
                position,
                decisions: ms.len() as u64,
                received_ms: phase(position, |t| t.received),
                folded_ms: phase(position, |t| t.started),
                decided_ms: phase(position, |t| t.decided),
                acked_ms: phase(position, |t| t.published),
                first_ms: round(ms.iter().copied().fold(f64::INFINITY, f64::min)),
                last_ms: round(ms.iter().copied().fold(0.0, f64::max)),
            })
            .collect(),
        projector_peak_rss_mib_open: peak_open,
        projector_peak_rss_mib: peak,
    }
}

/// The position of the fact a decision came from: its envelope's `source.document` is `fatos@POSITION`.
fn fact_position(payload: &[u8]) -> anyhow::Result<u64> {
    #[derive(serde::Deserialize)]
    struct Source {
        document: String,
    }
    #[derive(serde::Deserialize)]
    struct Envelope {
        source: Source,
    }
    let envelope: Envelope = serde_json::from_slice(payload)?;
    envelope
        .source
        .document
        .strip_prefix("fatos@")
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("decisão sem fato de origem: {}", envelope.source.document))
}

pub(super) fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    (sorted[index] * 10.0).round() / 10.0
}
