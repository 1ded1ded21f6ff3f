//! `repasse ingest <fonte> FILE...`: source files in, facts out to the fact stream. Each file is read and
//! checked whole before anything of it is written; the records set aside go to a quarantine file beside
//! it (`FILE.quarantine.jsonl`); a file refused whole writes nothing.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;
use repasse_eventlog::SystemClock;
use repasse_eventlog::nats::NatsLog;
use repasse_eventlog::sled_log::SledLog;
use repasse_ingest::files::{Quarantined, Summary};
use repasse_ingest::jsonl;
use repasse_ingest::portarias::{self, Act, Portaria};
use repasse_ingest::sisab::Received;
use repasse_ingest::sources::{self, Options, Source};
use repasse_proto::{Competencia, CredentialType, Date, Ibge, Parcela};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fatos em JSON lines, um por linha, no formato dos casos (CASES.md): para integradores e testes.
    Fatos(Args),
    /// O dump mensal do CNES (BASE_DE_DADOS_CNES_AAAAMM.ZIP), lido do zip sem descompactar.
    Cnes(Args),
    /// O relatório de validação da produção do SISAB (CSV).
    Sisab {
        #[command(flatten)]
        args: Args,
        /// Competência, quando o preâmbulo do relatório não a informa (AAAA-MM).
        #[arg(long)]
        competencia: Option<Competencia>,
        /// Data de recebimento da produção (AAAA-MM-DD); por padrão, o último dia do prazo.
        #[arg(long)]
        received_on: Option<Date>,
    },
    /// O relatório de pagamentos da APS do e-Gestor (JSON COMPLETO ou detalhe de equipes).
    Relatorio {
        #[command(flatten)]
        args: Args,
        /// Município do detalhe de equipes, quando o arquivo não o informa.
        #[arg(long)]
        ibge: Option<Ibge>,
        /// Parcela do detalhe de equipes, quando o arquivo não a informa (AAAA-MM).
        #[arg(long)]
        parcela: Option<Parcela>,
    },
    /// Tabelas de parâmetros publicadas por portaria (JSON: uma tabela ou uma lista; PARAMETERS.md).
    Parametros(Args),
    /// A lista de um anexo de portaria publicada no DOU (CSV): equipes homologadas (INE), quantidades
    /// credenciadas por município, homologações canceladas. O que está nos artigos da portaria, e não no
    /// anexo, é dado aqui.
    Portarias {
        #[command(flatten)]
        args: Args,
        /// O que o anexo lista: homologacao, credenciamento ou cancelamento.
        #[arg(long)]
        act: Act,
        /// O número da portaria, como publicado (por exemplo "GM/MS nº 3.382").
        #[arg(long)]
        portaria: String,
        /// A data da portaria (AAAA-MM-DD).
        #[arg(long)]
        published_on: Date,
        /// A primeira parcela dos efeitos financeiros: AAAA-MM ou como no artigo, "10/12 de 2025".
        #[arg(long, value_parser = portarias::parcela_of)]
        from_parcela: Parcela,
        /// O tipo de equipe do anexo, quando ele não tem a coluna TIPO DE EQUIPE (eSF, eAP30, ACS…).
        #[arg(long, value_parser = portarias::team_type_arg)]
        team_type: Option<CredentialType>,
    },
    /// As ordens de pagamento do Fundo (JSON de detalhe-pagamento).
    Fns {
        #[command(flatten)]
        args: Args,
        /// Município consultado, quando as ordens não o informam.
        #[arg(long)]
        ibge: Option<Ibge>,
    },
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Arquivos a importar.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Log embutido (criado se não existir).
    #[arg(long, conflicts_with = "nats", required_unless_present = "nats")]
    log: Option<PathBuf>,
    /// Servidor NATS JetStream (stream REPASSE_FATOS).
    #[arg(long, env = "REPASSE_NATS")]
    nats: Option<String>,
    #[command(flatten)]
    access: super::source::NatsAccess,
    /// Imprime um resumo JSON por arquivo em vez do texto.
    #[arg(long)]
    json: bool,
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    let (source, args, options) = match command {
        Command::Fatos(args) => (None, args, Options::default()),
        Command::Cnes(args) => (Some(Source::Cnes), args, Options::default()),
        Command::Parametros(args) => (Some(Source::Parametros), args, Options::default()),
        Command::Sisab {
            args,
            competencia,
            received_on,
        } => {
            let received = received_on.map(Received::On);
            (
                Some(Source::Sisab),
                args,
                Options {
                    competencia,
                    received,
                    ..Options::default()
                },
            )
        }
        Command::Relatorio {
            args,
            ibge,
            parcela,
        } => (
            Some(Source::Relatorio),
            args,
            Options {
                ibge,
                parcela,
                ..Options::default()
            },
        ),
        Command::Portarias {
            args,
            act,
            portaria,
            published_on,
            from_parcela,
            team_type,
        } => {
            let portaria = Portaria {
                act,
                number: portaria,
                published_on,
                from_parcela,
                team_type,
            };
            let options = Options {
                portaria: Some(portaria),
                ..Options::default()
            };
            (Some(Source::Portarias), args, options)
        }
        Command::Fns { args, ibge } => (
            Some(Source::Fns),
            args,
            Options {
                ibge,
                ..Options::default()
            },
        ),
    };
    super::source::runtime()?.block_on(ingest(source, args, options))
}

/// One file into the log: facts as JSON lines are streamed; a published file is read whole first.
async fn import_one<L: repasse_eventlog::EventLog>(
    source: Option<Source>,
    file: &std::path::Path,
    options: &Options,
    log: &L,
) -> Result<(Summary, Vec<Quarantined>), repasse_ingest::files::Error> {
    let clock = SystemClock;
    let Some(source) = source else {
        return jsonl::import(file, log, &clock).await;
    };
    let started = std::time::Instant::now();
    // Long tables only: a fixture of a few rows says nothing while it is read.
    let mut progress = |table: &str, rows: u64| {
        if rows < 1 << 20 {
            return;
        }
        eprintln!(
            "  {table}: {} linhas lidas ({} s)",
            super::thousands(rows),
            started.elapsed().as_secs()
        );
    };
    let parsed =
        tokio::task::block_in_place(|| sources::read(source, file, options, &mut progress))?;
    repasse_ingest::files::write(file, parsed, log, &clock).await
}

async fn ingest(source: Option<Source>, args: Args, options: Options) -> anyhow::Result<ExitCode> {
    let mut refused = 0;
    let mut results = Vec::new();
    match (&args.log, &args.nats) {
        (Some(dir), _) => {
            let log = SledLog::open(dir, "fatos", Arc::new(SystemClock))?;
            for file in &args.files {
                results.push(import_one(source, file, &options, &log).await);
            }
        }
        (None, Some(url)) => {
            let client = args.access.connect(url).await?;
            let log = NatsLog::open(client, args.access.facts()).await?;
            for file in &args.files {
                results.push(import_one(source, file, &options, &log).await);
            }
        }
        (None, None) => anyhow::bail!("informe --log DIRETÓRIO ou --nats URL"),
    }
    for (file, result) in args.files.iter().zip(results) {
        match result {
            Ok((summary, quarantine)) => {
                // The facts are written: a quarantine that cannot be written is said, and the other
                // files' summaries still follow.
                if let Err(error) = report(file, &summary, &quarantine, args.json) {
                    refused += 1;
                    super::say!("erro: {}: {error:#}", file.display());
                }
            }
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
    let mut beside = file.as_os_str().to_owned();
    beside.push(".quarantine.jsonl");
    let beside = PathBuf::from(beside);
    if quarantine.is_empty() {
        // A quarantine left by an earlier import of a file of this name no longer describes it.
        match std::fs::remove_file(&beside) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                anyhow::bail!("quarentena antiga {} não removida: {e}", beside.display())
            }
            _ => {}
        }
    } else {
        let mut text = String::new();
        for q in quarantine {
            text.push_str(&serde_json::to_string(q)?);
            text.push('\n');
        }
        // Beside the file; where that folder is read-only, in the working directory.
        let here = PathBuf::from(beside.file_name().unwrap_or(beside.as_os_str()));
        let written = std::fs::write(&beside, &text)
            .map(|()| beside.clone())
            .or_else(|first| {
                std::fs::write(&here, &text).map(|()| here.clone()).map_err(|e| {
                    anyhow::anyhow!(
                        "a quarentena não pôde ser gravada em {} ({first}) nem em {} ({e}); os fatos \
                         foram gravados",
                        beside.display(),
                        here.display()
                    )
                })
            })?;
        quarantine_file = Some(written);
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
    for note in &summary.notes {
        println!("  nota: {note}");
    }
    if let Some(path) = quarantine_file {
        println!("  quarentena: {}", path.display());
        for q in quarantine.iter().take(5) {
            println!("  linha {} {}: {} ({})", q.line, q.field, q.reason, q.value);
        }
    }
    Ok(())
}
