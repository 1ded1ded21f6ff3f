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
use repasse_ingest::sisab::Received;

use super::demo_files::{self, FileFormat};

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
    /// Escreve o histórico nos leiautes publicados em vez de JSON lines, um ou mais separados por vírgula:
    /// `cnes` (um BASE_DE_DADOS_CNES_AAAAMM.ZIP por competência, com as linhas de fora da APS de um dump
    /// nacional), `sisab` (os relatórios de validação de cada competência), `relatorio` (o relatório de
    /// pagamentos COMPLETO do e-Gestor por UF e parcela) e `fns` (as ordens de pagamento do Fundo por UF e
    /// ano). Relatório e ordens saem das parcelas que o próprio razão calcula, com diferenças deliberadas.
    #[arg(long, alias = "formato", value_delimiter = ',', requires = "out_dir", conflicts_with_all = ["log", "nats", "out"])]
    pub format: Vec<FileFormat>,
    /// Diretório dos arquivos de --format.
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
}

/// The history's files of `formats` in `dir`: the per-competência ones as it is generated, then the
/// report and orders from its fold.
fn write_files(demo: &Demo, formats: &[FileFormat], dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    for c in demo.competencias() {
        let facts = demo.competencia_facts(c);
        if formats.contains(&FileFormat::Cnes) {
            let (teams, _) = demo_files::scnes_and_sisab(&facts);
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
        if formats.contains(&FileFormat::Sisab) {
            for report in demo_files::sisab(dir, c, &facts)? {
                let how = match report.received {
                    Received::Deadline => "no prazo".to_owned(),
                    Received::On(date) => {
                        format!("recebidas em {date}: importe com --received-on {date}")
                    }
                };
                eprintln!(
                    "{}: {} equipes ({how})",
                    report.path.display(),
                    super::thousands(report.teams)
                );
            }
        }
    }
    if formats.contains(&FileFormat::Relatorio) || formats.contains(&FileFormat::Fns) {
        eprintln!("calculando as parcelas do histórico para o relatório e as ordens de pagamento…");
        let ledger = demo_files::fold(demo);
        let history = demo_files::historical(demo);
        let seed = demo.seed();
        let files = demo_files::published(&ledger, seed, &history, dir, formats)?;
        let d = files.total();
        eprintln!(
            "{} arquivos de relatório ({} linhas por plano), {} arquivos de ordens ({} ordens), parcelas {}; diferenças deliberadas: {} relatórios divergentes, {} não pagos, {} pagos a menos, {} pagos em dobro",
            files.report_files.len(),
            super::thousands(files.report_rows),
            files.order_files.len(),
            super::thousands(files.orders),
            files
                .parcelas
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            d.report_differs,
            d.not_paid,
            d.paid_less,
            d.paid_twice
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
    if let (false, Some(dir)) = (args.format.is_empty(), &args.out_dir) {
        write_files(&demo, &args.format, dir)?;
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
