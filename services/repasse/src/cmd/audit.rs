//! The auditor's commands: `repasse diff` (what changed in a sealed parcela and which facts did it),
//! `repasse export` (the fact stream and its seals in a hash-chained file), `repasse verify` (replays
//! such a file with the embedded log, no server, and checks every seal) and the operator's `repasse
//! restore` (such a file back into an empty fact stream).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use repasse_eventlog::{Position, SystemClock};
use repasse_projector::diff::diff_parcela;
use repasse_projector::export::{export, verify};
use repasse_proto::Parcela;

use super::source::{Source, runtime, with_logs};

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub source: Source,
    /// Parcela selada (AAAA-MM ou AAAAMM).
    #[arg(long)]
    pub parcela: Parcela,
    #[arg(long)]
    pub json: bool,
}

pub fn diff(args: DiffArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let logs = args.source.open().await?;
        let found = with_logs!(logs, |facts, _decisions| diff_parcela(&facts, args.parcela)
            .await?);
        let Some(diff) = found else {
            anyhow::bail!(
                "a parcela {} não foi fechada (não há parcela_closed no log): não há selo a comparar",
                args.parcela
            );
        };
        if args.json {
            println!("{}", serde_json::to_string_pretty(&diff)?);
            return Ok(ExitCode::SUCCESS);
        }
        println!(
            "Parcela {}: selada na posição {} (hash {}), recalculada hoje até a posição {} (hash {})",
            diff.parcela, diff.sealed_at, diff.sealed_hash, diff.today_at, diff.today_hash
        );
        if diff.changes.is_empty() {
            println!("Nenhuma equipe mudou desde o selo.");
        }
        for change in &diff.changes {
            println!(
                "INE {} (IBGE {}): diferença no efetivo {}",
                change.ine,
                change.ibge,
                change.delta.to_brl()
            );
            for (label, amounts) in [("  selado", &change.sealed), ("  hoje  ", &change.today)] {
                for a in amounts {
                    println!(
                        "{label} {:<12} integral {:>14} desconto {:>14} suspensão {:>3} %",
                        a.component,
                        a.integral.to_brl(),
                        a.desconto.to_brl(),
                        a.suspension_pct
                    );
                }
            }
            for fact in &change.facts {
                println!(
                    "  fato posterior ao selo: posição {} {} ({})",
                    fact.position, fact.event_type, fact.id
                );
            }
        }
        for a in &diff.ajustes {
            println!(
                "Ajuste do município {} no plano {}: selado {}, hoje {}",
                a.ibge,
                a.plano,
                a.sealed.to_brl(),
                a.today.to_brl()
            );
        }
        for c in &diff.credits {
            println!(
                "Crédito retroativo {} (município {}, {}): {} devolvido como ajuste na parcela {} [RETRO.DECISAO]",
                c.id,
                c.ibge,
                c.irregularity,
                c.amount.to_brl(),
                c.credited_in
            );
        }
        println!(
            "{} equipes mudaram; o selo não é alterado (um fato tardio nunca edita uma parcela selada).",
            diff.changes.len()
        );
        Ok(ExitCode::SUCCESS)
    })
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub source: Source,
    /// Arquivo de saída.
    #[arg(long)]
    pub out: PathBuf,
    /// Primeira posição do stream de fatos (padrão: 1).
    #[arg(long, default_value_t = 1)]
    pub from_position: u64,
    /// Última posição, inclusive (padrão: o fim do stream).
    #[arg(long)]
    pub to_position: Option<u64>,
}

pub fn export_cmd(args: ExportArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let logs = args.source.open().await?;
        let exported = with_logs!(logs, |facts, decisions| export(
            &facts,
            Some(&decisions),
            Position(args.from_position),
            args.to_position.map(Position),
            &args.out
        )
        .await?);
        println!(
            "{} fatos (posições {} a {}) e {} selos exportados para {}; hash final da cadeia {}",
            super::thousands(exported.facts),
            exported.first,
            exported.last,
            exported.seals,
            args.out.display(),
            hex(&exported.chain)
        );
        Ok(ExitCode::SUCCESS)
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Arquivo de `repasse export`.
    pub file: PathBuf,
    #[arg(long)]
    pub json: bool,
}

pub fn verify_cmd(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let work = tempfile::tempdir()?;
    let verified = runtime()?.block_on(verify(&args.file, work.path(), Arc::new(SystemClock)))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&verified)?);
    } else {
        println!(
            "Cadeia de hashes íntegra: {} fatos (posições {} a {}), hash final {}",
            super::thousands(verified.facts),
            verified.first,
            verified.last,
            verified.chain
        );
        if !verified.replayed {
            println!(
                "O arquivo começa na posição {}: sem o início do log não há como recalcular os selos.",
                verified.first
            );
        }
        for check in &verified.seals {
            let status = if check.ok { "confere" } else { "NÃO CONFERE" };
            let recomputed = check
                .recomputed
                .as_ref()
                .map_or("(não recalculado)".to_owned(), |s| s.hash.clone());
            println!(
                "Selo da parcela {}: {status} (exportado {}, recalculado {recomputed})",
                check.exported.parcela, check.exported.hash
            );
        }
    }
    Ok(if verified.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// Arquivo de `repasse export`, desde a posição 1.
    pub file: PathBuf,
    /// Log embutido de destino (criado se não existir; o stream de fatos precisa estar vazio).
    #[arg(long, conflicts_with = "nats", required_unless_present = "nats")]
    pub log: Option<PathBuf>,
    /// Servidor NATS JetStream de destino (o stream REPASSE_FATOS precisa estar vazio).
    #[arg(long, env = "REPASSE_NATS")]
    pub nats: Option<String>,
    #[command(flatten)]
    pub access: super::source::NatsAccess,
    #[arg(long)]
    pub json: bool,
}

pub fn restore_cmd(args: RestoreArgs) -> anyhow::Result<ExitCode> {
    use repasse_projector::restore::restore;
    let restored = runtime()?.block_on(async {
        match (&args.log, &args.nats) {
            (Some(dir), _) => {
                let log =
                    repasse_eventlog::sled_log::SledLog::open(dir, "fatos", Arc::new(SystemClock))?;
                anyhow::Ok(restore(&args.file, &log).await?)
            }
            (None, Some(url)) => {
                let client = args.access.connect(url).await?;
                let log =
                    repasse_eventlog::nats::NatsLog::open(client, args.access.facts()).await?;
                anyhow::Ok(restore(&args.file, &log).await?)
            }
            (None, None) => anyhow::bail!("informe --log DIRETÓRIO ou --nats URL"),
        }
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&restored)?);
    } else {
        println!(
            "{} fatos restaurados nas posições 1 a {} (hash final da cadeia {}); o arquivo traz {} selos: \
             o projetor, ao dobrar o stream restaurado, deve chegar aos mesmos (repasse verify os recalcula)",
            super::thousands(restored.facts),
            restored.last,
            restored.chain,
            restored.seals
        );
        if !restored.repeated.is_empty() {
            let shown: Vec<String> = restored
                .repeated
                .iter()
                .take(10)
                .map(u64::to_string)
                .collect();
            println!(
                "{} fatos repetem o id de uma posição anterior (um arquivo importado de novo depois da \
                 janela de deduplicação) e foram gravados com o id ID+POSIÇÃO, conteúdo intacto; o projetor \
                 os ignora, como no stream original: posições {}{}",
                super::thousands(restored.repeated.len() as u64),
                shown.join(", "),
                if restored.repeated.len() > 10 {
                    ", …"
                } else {
                    ""
                }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
