//! `repasse bench …`: performance figures as one JSON object on stdout, each target set beside its floor
//! (the raw tool on the same data, in the same run). Only the binary imports this crate; the clocks the
//! measurements read are here, never in the law or the engine.

pub mod api;
pub mod close;
pub mod ingest;
mod integrator;
pub mod replay;
pub mod rules;

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Grava e relê N fatos sintéticos (tamanho real: equipes do SCNES codificadas em postcard) pelo log do
    /// projeto no JetStream e no log embutido, e pelo async-nats puro no mesmo servidor, na mesma execução.
    Log {
        /// Número de eventos.
        #[arg(long, default_value_t = 1_000_000)]
        events: u64,
        /// Servidor NATS já em execução; sem ele, um nats-server é iniciado para a medição.
        #[arg(long, env = "REPASSE_NATS")]
        nats: Option<String>,
        /// Publicações aguardando confirmação ao mesmo tempo.
        #[arg(long, default_value_t = 4_096)]
        max_in_flight: usize,
    },
    /// Replay do histórico nacional no JetStream: leitura crua × replay, pico de memória e latência sob
    /// carga constante.
    Replay(crate::replay::Args),
    /// O piso do servidor NATS para a latência de um fechamento: publica N vezes o fechamento nacional de
    /// uma parcela (um demonstrativo por município do Anexo VI e o selo, como o projetor os publica) num
    /// stream de rascunho, sem projetor nem carga, e mede quando o stream gravou a última mensagem e
    /// quando um integrador a recebeu; as mesmas mensagens sem cabeçalhos dão o piso do próprio servidor.
    #[command(alias = "fechamento")]
    Close(crate::close::Args),
    /// O dump nacional do CNES no leiaute publicado por `repasse ingest cnes`, ao lado do piso (uma
    /// passada do csv puro sobre os mesmos membros), na mesma execução; depois a reimportação.
    Ingest(crate::ingest::Args),
    /// Pontos de decisão do histórico nacional sintético, sem servidor: dobra as primeiras competências na
    /// memória, avalia-as, e mede cada ponto de decisão das seguintes (decidir; modelos de leitura).
    #[command(alias = "decisoes")]
    Decisions {
        /// Competências dobradas antes da medição.
        #[arg(long, default_value_t = 8)]
        competencias: u32,
        /// Competências measurements depois delas (dois pontos de decisão cada).
        #[arg(long, default_value_t = 2)]
        measurements: u32,
        #[arg(long, default_value_t = 100_000)]
        teams: u32,
        /// Um passo de trabalho adiantado (o do projetor ocioso) a cada tantos fatos: 100 é o ritmo de
        /// 1.000 fatos/s com um passo a cada 100 ms; 0 não adianta nada.
        #[arg(long, default_value_t = 100)]
        ahead_every: u64,
    },
    /// As rotas do demonstrativo e da explicação da API em loopback, sobre os modelos de leitura do
    /// histórico nacional, ao lado do piso: uma rota trivial do mesmo servidor que responde os mesmos bytes
    /// da memória, na mesma execução.
    Api(crate::api::Args),
    /// Avalia uma competência nacional sintética (equipes, vínculos, duplicidade e 60 h) e imprime os tempos.
    Rules {
        /// Número de equipes.
        #[arg(long, default_value_t = 100_000)]
        teams: u32,
        /// Vínculos profissionais por equipe (em média).
        #[arg(long, default_value_t = 8)]
        links_per_team: u32,
        /// Semente do gerador.
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Log {
            events,
            nats,
            max_in_flight,
        } => {
            let config = repasse_eventlog::bench::LogBenchConfig {
                events,
                nats_url: nats,
                sled_dir: None,
                max_in_flight,
            };
            let runtime = tokio::runtime::Runtime::new()?;
            let report = runtime.block_on(repasse_eventlog::bench::run_log_bench(
                config,
                synthetic_record,
            ))?;
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Command::Replay(args) => return crate::replay::run(args),
        Command::Close(args) => return crate::close::run(args),
        Command::Ingest(args) => return crate::ingest::run(args),
        Command::Api(args) => return crate::api::run(args),
        Command::Decisions {
            competencias,
            measurements,
            teams,
            ahead_every,
        } => {
            let report = decision_points(competencias, measurements, teams, ahead_every);
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Command::Rules {
            teams,
            links_per_team,
            seed,
        } => {
            let report = crate::rules::run(teams, links_per_team, seed);
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The i-th synthetic fact: a team's SCNES record with eight links, through the real envelope and codec.
fn synthetic_record(i: u64) -> repasse_eventlog::NewRecord {
    use repasse_proto::fact::{Fact, Professional, ScnesTeam};
    const CBOS: [&str; 4] = ["225142", "223565", "322245", "515105"];
    let professionals = (0..8u64)
        .map(|k| Professional {
            cpf: Some(repasse_proto::Cpf::from_base(i * 8 + k + 1)),
            cns: None,
            cbo: CBOS[(k as usize).min(3)].parse().expect("valid CBO"),
            hours: 40,
            left_on: None,
        })
        .collect();
    let fact = Fact::ScnesTeam(ScnesTeam {
        competencia: repasse_proto::Competencia::from_index(2024 * 12 + (i % 24) as i32),
        ine: format!("{:010}", 1_000_000 + i / 24)
            .parse()
            .expect("valid INE"),
        cnes: "2000001".parse().expect("valid CNES"),
        ibge: "261180".parse().expect("valid IBGE"),
        team_type: repasse_proto::TeamType::Esf.into(),
        active: true,
        professionals,
    });
    let source = repasse_proto::SourceRef {
        document: "bench".into(),
        digest: None,
        line: Some(i as u32),
    };
    repasse_ingest::writer::encode_record(fact, source, &repasse_eventlog::SystemClock, i)
        .expect("synthetic facts encode")
}

#[derive(Debug, serde::Serialize)]
struct DecisionPointsReport {
    teams: u32,
    facts_folded: u64,
    fold_ms: u128,
    /// Peak RSS (VmHWM) once the history is folded, then once it is evaluated.
    peak_mib_after_fold: u64,
    prepare_ms: u128,
    peak_mib_after_prepare: u64,
    points: Vec<DecisionPointFigures>,
    /// Work done ahead between the decision points (`step::Ahead::work`): pieces, their total and the
    /// longest, which a fact arriving meanwhile would wait.
    ahead_pieces: u64,
    ahead_ms: f64,
    ahead_max_ms: f64,
    /// `scnes_closed` whose evaluation started from the one ahead.
    closes_evaluated_ahead: u64,
}

#[derive(Debug, serde::Serialize)]
struct DecisionPointFigures {
    position: u64,
    fact: &'static str,
    decisions: usize,
    /// What stands between the fact and its decisions being published: `step::decide`, which makes
    /// them and their records (subject, id, JSON).
    decide_ms: f64,
    /// After the decisions: statuses, explanations, lines, recomposition (`step::add_read_models`).
    read_models_ms: f64,
    writes: usize,
    /// Peak RSS after the decisions, then after the read models.
    peak_mib_after_decide: u64,
    peak_mib_after_read_models: u64,
}

/// The projector's decision path, in memory: the same `decide` and `add_read_models` on the same Ledger
/// the projector holds, without the log, the publisher or sled in the way.
// Milliseconds are measurements, not money: floats are right here.
#[allow(clippy::float_arithmetic)]
fn decision_points(
    competencias: u32,
    measurements: u32,
    teams: u32,
    ahead_every: u64,
) -> DecisionPointsReport {
    use repasse_ingest::demo::{Demo, DemoConfig, history};
    use std::time::Instant;
    let demo = Demo::new(DemoConfig {
        teams,
        competencias: competencias + measurements,
        ..DemoConfig::default()
    });
    let mut chunks = history(&demo);
    let mut ledger = repasse_rules::Ledger::default();
    let mut position = 0u64;
    let started = Instant::now();
    for chunk in chunks.by_ref().take(competencias as usize + 1) {
        for (fact, _) in chunk {
            position += 1;
            ledger.apply(position, &fact);
        }
    }
    let fold_ms = started.elapsed().as_millis();
    let peak_mib_after_fold = peak_mib();
    let started = Instant::now();
    ledger.prepare();
    let prepare_ms = started.elapsed().as_millis();
    let peak_mib_after_prepare = peak_mib();
    let facts_folded = position;
    let ms = |from: Instant| (from.elapsed().as_secs_f64() * 10_000.0).round() / 10.0;
    let mut points = Vec::new();
    let mut ahead = repasse_projector::step::Ahead::default();
    let (mut ahead_pieces, mut ahead_ms, mut ahead_max_ms) = (0u64, 0.0f64, 0.0f64);
    for chunk in chunks {
        for (fact, _) in chunk {
            position += 1;
            ledger.apply(position, &fact);
            if ahead_every > 0 && position.is_multiple_of(ahead_every) {
                let started = Instant::now();
                if ahead.work(&ledger) {
                    let took = ms(started);
                    ahead_pieces += 1;
                    ahead_ms += took;
                    ahead_max_ms = ahead_max_ms.max(took);
                }
            }
            let started = Instant::now();
            let Some(mut step) = repasse_projector::step::decide(
                &ledger,
                position,
                &fact,
                repasse_proto::Timestamp(0),
                &mut ahead,
            ) else {
                continue;
            };
            let decide_ms = ms(started);
            step.records = Vec::new();
            let peak_mib_after_decide = peak_mib();
            let started = Instant::now();
            repasse_projector::step::add_read_models(&ledger, &mut step);
            points.push(DecisionPointFigures {
                position,
                fact: fact.event_type(),
                decisions: step.decisions.len(),
                decide_ms,
                read_models_ms: ms(started),
                writes: step.writes.len(),
                peak_mib_after_decide,
                peak_mib_after_read_models: peak_mib(),
            });
        }
    }
    DecisionPointsReport {
        teams,
        facts_folded,
        fold_ms,
        peak_mib_after_fold,
        prepare_ms,
        peak_mib_after_prepare,
        points,
        ahead_pieces,
        ahead_ms: ahead_ms.round(),
        ahead_max_ms,
        closes_evaluated_ahead: ledger.evaluated_ahead(),
    }
}

/// VmHWM of this process, in MiB (0 where /proc is not there).
pub(crate) fn peak_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// The Tokio runtime of a measurement: two workers, as the projector runs.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}
