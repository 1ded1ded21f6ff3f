//! `repasse bench …`: performance figures as one JSON object on stdout.

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum Command {
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
