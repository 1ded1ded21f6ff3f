//! `repasse case run FILE...`: replays golden cases and compares what was decided with what was expected.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use repasse_cases::{Outcome, report, run_case_file};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Executa cada caso: os fatos passam pela ingestão para um log embutido novo, o fold os reexecuta a
    /// partir do log e cada expectativa é conferida. Sai com código 1 se algum caso diverge ou é ilegível.
    Run {
        /// Arquivos de caso (JSON, formato de CASES.md), por exemplo `tests/cases/*.json`.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Imprime o resultado em JSON (um objeto por caso) em vez do texto.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    let Command::Run { files, json } = command;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (mut passed, mut failed) = (0usize, 0usize);
    for file in &files {
        let outcome = runtime.block_on(run_case_file(file)).map_err(|e| match e {
            repasse_cases::FileError::Read(message) => message,
            other => format!("{}: {other}", file.display()),
        });
        match &outcome {
            Ok(outcome) if outcome.mismatches.is_empty() => passed += 1,
            _ => failed += 1,
        }
        print_outcome(&outcome, json);
    }
    if !json {
        println!(
            "\n{} casos: {passed} conferem, {failed} com divergência ou ilegíveis",
            files.len()
        );
        println!("{passed} passed, {failed} failed");
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_outcome(outcome: &Result<Outcome, String>, json: bool) {
    match (outcome, json) {
        (Ok(outcome), true) => println!("{}", report::to_json(outcome)),
        (Ok(outcome), false) => print!("{}", report::render(outcome)),
        (Err(error), true) => println!("{}", serde_json::json!({ "error": error })),
        (Err(error), false) => println!("ERRO  {error}"),
    }
}
