//! `repasse bench …`: performance figures as one JSON object on stdout.

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
        #[arg(long, env = "NATS_URL")]
        nats_url: Option<String>,
        /// Publicações aguardando confirmação ao mesmo tempo.
        #[arg(long, default_value_t = 4_096)]
        max_in_flight: usize,
    },
    /// Replay do histórico nacional no JetStream: leitura crua × replay, pico de memória e latência sob
    /// carga constante.
    Replay(super::bench_replay::Args),
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
            nats_url,
            max_in_flight,
        } => {
            let config = repasse_eventlog::bench::LogBenchConfig {
                events,
                nats_url,
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
        Command::Replay(args) => return super::bench_replay::run(args),
        Command::Rules {
            teams,
            links_per_team,
            seed,
        } => {
            let report = repasse_rules::bench::run(teams, links_per_team, seed);
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
            cpf: repasse_proto::Cpf::from_base(i * 8 + k + 1),
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
        team_type: repasse_proto::TeamType::Esf,
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
