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
    #[arg(long, conflicts_with = "nats")]
    pub log: Option<PathBuf>,
    /// Publica no stream de fatos de um NATS JetStream (REPASSE_FATOS) em vez de JSON lines.
    #[arg(long)]
    pub nats: Option<String>,
    #[command(flatten)]
    pub access: super::source::NatsAccess,
    /// Com --log ou --nats: grava só os pedaços do histórico antes do pedaço K (o pedaço 0 são os fatos
    /// cadastrais, o pedaço k a k-ésima competência); o restante pode ser gravado depois com --from-chunk K.
    #[arg(long)]
    pub to_chunk: Option<usize>,
    /// Com --log ou --nats: começa no pedaço K (0 são os fatos cadastrais).
    #[arg(long, default_value_t = 0)]
    pub from_chunk: usize,
    /// Escreve o histórico nos leiautes publicados em vez de JSON lines: `cnes` (um
    /// BASE_DE_DADOS_CNES_AAAAMM.ZIP por competência, com as linhas de fora da APS de um dump nacional).
    #[arg(long, alias = "formato", requires = "out_dir", conflicts_with_all = ["log", "nats", "out"])]
    pub format: Option<FileFormat>,
    /// Diretório dos arquivos de --format.
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
}

/// The published layouts `demo-data` writes.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum FileFormat {
    Cnes,
}

/// One CNES dump per competência of the history, in `dir`.
fn write_files(demo: &Demo, dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    for c in demo.competencias() {
        let teams: Vec<_> = demo
            .competencia_facts(c)
            .into_iter()
            .filter_map(|(fact, _)| match fact {
                repasse_proto::Fact::ScnesTeam(team) => Some(team),
                _ => None,
            })
            .collect();
        let written = repasse_ingest::cnes::write::write_dump(dir, c, &teams, None)?;
        eprintln!(
            "{}: {} equipes ({} da APS), {} vínculos, {} linhas de carga horária, {} profissionais, {} MiB",
            c,
            super::thousands(written.teams),
            super::thousands(written.aps_teams),
            super::thousands(written.team_links),
            super::thousands(written.workload_rows),
            super::thousands(written.professionals),
            written.bytes >> 20
        );
    }
    Ok(())
}

/// Writes chunks `from..to` of the history through ingest into `log`.
async fn write_chunks<L: repasse_eventlog::EventLog>(
    log: &L,
    demo: &Demo,
    from: usize,
    to: Option<usize>,
) -> anyhow::Result<repasse_ingest::writer::WriteSummary> {
    let clock = SystemClock;
    let mut writer = FactWriter::new(log, &clock);
    for chunk in history(demo)
        .skip(from)
        .take(to.map_or(usize::MAX, |to| to.saturating_sub(from)))
    {
        for (fact, source) in chunk {
            writer.push(fact, source).await?;
        }
    }
    Ok(writer.finish().await?)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let demo = Demo::new(args.history.config());
    if let (Some(FileFormat::Cnes), Some(dir)) = (args.format, &args.out_dir) {
        write_files(&demo, dir)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(dir) = &args.log {
        let log = SledLog::open(dir, "fatos", Arc::new(SystemClock))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let summary =
            runtime.block_on(write_chunks(&log, &demo, args.from_chunk, args.to_chunk))?;
        eprintln!(
            "{} fatos gravados em {} ({} já existiam)",
            summary.appended,
            dir.display(),
            summary.duplicates
        );
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(url) = &args.nats {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let summary = runtime.block_on(async {
            let client = args.access.connect(url).await?;
            let log = repasse_eventlog::nats::NatsLog::open(client, args.access.facts()).await?;
            write_chunks(&log, &demo, args.from_chunk, args.to_chunk).await
        })?;
        eprintln!(
            "{} fatos publicados em {url} ({} já existiam)",
            summary.appended, summary.duplicates
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
