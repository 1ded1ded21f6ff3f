//! `repasse demo-data`: the national synthetic history as JSON lines (the case-file fact format) or
//! written into an embedded log.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use repasse_eventlog::SystemClock;
use repasse_eventlog::sled_log::SledLog;
use repasse_ingest::FactWriter;
use repasse_ingest::demo::{Demo, history};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub history: super::demo::HistoryArgs,
    /// Arquivo JSON lines de saída (padrão: stdout).
    #[arg(long, conflicts_with = "log")]
    pub out: Option<PathBuf>,
    /// Grava num log embutido neste diretório em vez de JSON lines.
    #[arg(long)]
    pub log: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let demo = Demo::new(args.history.config());
    if let Some(dir) = &args.log {
        let log = SledLog::open(dir, "fatos", Arc::new(SystemClock))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let summary = runtime.block_on(async {
            let clock = SystemClock;
            let mut writer = FactWriter::new(&log, &clock);
            for chunk in history(&demo) {
                for (fact, source) in chunk {
                    writer.push(fact, source).await?;
                }
            }
            writer.finish().await
        })?;
        eprintln!(
            "{} fatos gravados em {} ({} já existiam)",
            summary.appended,
            dir.display(),
            summary.duplicates
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    for chunk in history(&demo) {
        for (fact, _) in chunk {
            serde_json::to_writer(&mut out, &fact)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
