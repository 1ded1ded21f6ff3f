//! `repasse ingest <fonte> FILE...`: source files in, facts out to the fact stream. Each file is checked
//! whole before anything of it is written; the lines set aside go to a quarantine file beside it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;
use repasse_eventlog::SystemClock;
use repasse_eventlog::nats::{NatsConfig, NatsLog};
use repasse_eventlog::sled_log::SledLog;
use repasse_ingest::jsonl::{self, Quarantined, Summary};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fatos em JSON lines, um por linha, no formato dos casos (CASES.md): para integradores e testes.
    Fatos(Args),
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Arquivos de fatos (JSON lines, UTF-8).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Log embutido (criado se não existir).
    #[arg(long, conflicts_with = "nats", required_unless_present = "nats")]
    log: Option<PathBuf>,
    /// Servidor NATS JetStream (stream REPASSE_FATOS).
    #[arg(long, env = "REPASSE_NATS")]
    nats: Option<String>,
    /// Imprime um resumo JSON por arquivo em vez do texto.
    #[arg(long)]
    json: bool,
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    let Command::Fatos(args) = command;
    super::source::runtime()?.block_on(ingest(args))
}

async fn ingest(args: Args) -> anyhow::Result<ExitCode> {
    let clock = SystemClock;
    let mut refused = 0;
    let mut results = Vec::new();
    match (&args.log, &args.nats) {
        (Some(dir), _) => {
            let log = SledLog::open(dir, "fatos", Arc::new(SystemClock))?;
            for file in &args.files {
                results.push(jsonl::import(file, &log, &clock).await);
            }
        }
        (None, Some(url)) => {
            let log = NatsLog::connect(url, NatsConfig::facts()).await?;
            for file in &args.files {
                results.push(jsonl::import(file, &log, &clock).await);
            }
        }
        (None, None) => anyhow::bail!("informe --log DIRETÓRIO ou --nats URL"),
    }
    for (file, result) in args.files.iter().zip(results) {
        match result {
            Ok((summary, quarantine)) => report(file, &summary, &quarantine, args.json)?,
            Err(error) => {
                refused += 1;
                super::say!("erro: {error}");
            }
        }
    }
    Ok(if refused == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The summary, and the lines set aside written beside the file (`FILE.quarantine.jsonl`).
fn report(
    file: &std::path::Path,
    summary: &Summary,
    quarantine: &[Quarantined],
    json: bool,
) -> anyhow::Result<()> {
    let mut quarantine_file = None;
    if !quarantine.is_empty() {
        let mut path = file.as_os_str().to_owned();
        path.push(".quarantine.jsonl");
        let mut text = String::new();
        for q in quarantine {
            text.push_str(&serde_json::to_string(q)?);
            text.push('\n');
        }
        std::fs::write(&path, text)?;
        quarantine_file = Some(PathBuf::from(path));
    }
    if json {
        let mut value = serde_json::to_value(summary)?;
        value["quarantine"] = serde_json::json!(quarantine_file);
        println!("{value}");
        return Ok(());
    }
    println!(
        "{}: {} lidos, {} novos, {} já presentes, {} em quarentena",
        summary.file,
        super::thousands(summary.read),
        super::thousands(summary.new),
        super::thousands(summary.already_present),
        super::thousands(summary.rejected)
    );
    if let Some(path) = quarantine_file {
        println!("  quarentena: {}", path.display());
        for q in quarantine.iter().take(5) {
            println!("  linha {} {}: {} ({})", q.line, q.field, q.reason, q.value);
        }
    }
    Ok(())
}
