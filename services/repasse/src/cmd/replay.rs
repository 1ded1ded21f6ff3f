//! `repasse replay`: recomputes a parcela from the log alone, as of a position or a day, and prints its
//! statement and the hash over its lines (what a seal records).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use repasse_eventlog::SystemClock;
use repasse_eventlog::sled_log::SledLog;
use repasse_projector::replay::{AsOf, ledger_as_of, lines_hash};
use repasse_proto::{Ibge, Parcela};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Parcela (AAAA-MM ou AAAAMM).
    #[arg(long)]
    pub parcela: Parcela,
    /// Até quando considerar os fatos: uma data (o dia inteiro), um instante UTC ou uma posição do log.
    #[arg(long, default_value = "agora", value_parser = parse_as_of)]
    pub as_of: AsOf,
    /// Somente este município.
    #[arg(long)]
    pub ibge: Option<Ibge>,
    /// Log embutido (diretório), por exemplo o de `repasse demo --log`.
    #[arg(long)]
    pub log: PathBuf,
    #[arg(long)]
    pub json: bool,
}

fn parse_as_of(text: &str) -> Result<AsOf, String> {
    if text == "agora" {
        Ok(AsOf::Now)
    } else {
        text.parse()
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let log = SledLog::open_existing(&args.log, "fatos", Arc::new(SystemClock))?;
    let (ledger, position) = runtime.block_on(ledger_as_of(&log, args.as_of))?;
    let result = ledger.parcela(args.parcela, args.ibge);
    let hash = lines_hash(&result.lines);
    if args.json {
        let out = serde_json::json!({
            "parcela": args.parcela, "ibge": args.ibge, "last_position": position.0,
            "lines": result.lines.len(), "hash": hash, "statements": result.statements,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "Parcela {} recalculada do log até a posição {}",
        args.parcela, position
    );
    println!(
        "{:<8} {:<12} {:>20} {:>18} {:>16} {:>20}",
        "IBGE", "Plano", "Integral", "Desconto", "Ajuste", "Efetivo"
    );
    for s in &result.statements {
        println!(
            "{:<8} {:<12} {:>20} {:>18} {:>16} {:>20}",
            s.ibge.to_string(),
            s.plano.label_pt(),
            s.integral.to_brl(),
            s.desconto.to_brl(),
            s.ajuste.to_brl(),
            s.efetivo.to_brl()
        );
    }
    println!(
        "{} linhas; hash das linhas (BLAKE3): {hash}",
        result.lines.len()
    );
    Ok(ExitCode::SUCCESS)
}
