//! `repasse explain`: why a team got its status and amounts in a competência, rule by rule, with the
//! citation, the facts (stream positions) and the parameter versions behind each value.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use repasse_eventlog::SystemClock;
use repasse_eventlog::sled_log::SledLog;
use repasse_projector::replay::{AsOf, ledger_as_of};
use repasse_proto::{Competencia, Ine};
use repasse_rules::Ledger;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// INE da equipe (10 dígitos).
    #[arg(long)]
    pub ine: Ine,
    /// Competência (AAAA-MM ou AAAAMM).
    #[arg(long)]
    pub competencia: Competencia,
    #[command(flatten)]
    pub from: LedgerSource,
    /// Imprime a explicação em JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let ledger = runtime.block_on(args.from.ledger())?;
    let Some(explanation) = ledger.explain_team(args.ine, args.competencia) else {
        eprintln!(
            "a equipe {} não foi avaliada na competência {} (sem homologação, sem SCNES ou competência não fechada)",
            args.ine, args.competencia
        );
        return Ok(ExitCode::FAILURE);
    };
    if args.json {
        println!("{}", explanation.to_json());
    } else {
        print!("{}", explanation.render_pt_br());
    }
    Ok(ExitCode::SUCCESS)
}

/// Where a command that recomputes reads its facts: an embedded log or the cluster's fact stream as it
/// stands, or a case file.
#[derive(Debug, clap::Args)]
pub struct LedgerSource {
    /// Log embutido (diretório) de onde recalcular, por exemplo o de `repasse demo --log`.
    #[arg(long, required_unless_present_any = ["case", "nats"], conflicts_with_all = ["case", "nats"])]
    pub log: Option<PathBuf>,
    /// Ou o stream de fatos de um NATS JetStream (REPASSE_FATOS; nós separados por vírgula). Só lê: o
    /// papel auditor basta.
    #[arg(long, conflicts_with = "case")]
    pub nats: Option<String>,
    #[command(flatten)]
    pub access: super::source::NatsAccess,
    /// Ou um arquivo de caso (os fatos passam pela ingestão para um log embutido novo).
    #[arg(long)]
    pub case: Option<PathBuf>,
}

impl LedgerSource {
    /// The ledger folded from the log or the stream, or from the case's facts through ingest into a fresh
    /// log.
    pub async fn ledger(&self) -> anyhow::Result<Ledger> {
        if let Some(case) = &self.case {
            let case = repasse_cases::read_case(case)?;
            return Ok(repasse_cases::ledger_for(&case).await?);
        }
        if let Some(url) = &self.nats {
            let client = self.access.connect(url).await?;
            let log = repasse_eventlog::nats::NatsLog::open(client, self.access.facts()).await?;
            return Ok(ledger_as_of(&log, AsOf::Now).await?.0);
        }
        let dir = self
            .log
            .as_deref()
            .ok_or_else(|| anyhow::anyhow!("informe --log, --nats ou --case"))?;
        let log = SledLog::open_existing(dir, "fatos", Arc::new(SystemClock))?;
        Ok(ledger_as_of(&log, AsOf::Now).await?.0)
    }
}
