//! `repasse reconcile`: for a parcela, each municipality's plano — what the rules say was owed, what the
//! Ministry's report published, what the Fund's orders paid — with every difference classified and the
//! teams behind it. The CSV is for an analyst's pt-BR spreadsheet: `;`, decimal comma, UTF-8 with BOM.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use repasse_proto::{Ibge, Money, Parcela};
use repasse_rules::engine::reconcile::Reconciliation;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Parcela (AAAA-MM).
    #[arg(long)]
    pub parcela: Parcela,
    /// Só este município (IBGE, 6 dígitos).
    #[arg(long)]
    pub ibge: Option<Ibge>,
    /// Grava a conciliação em CSV (pt-BR: `;`, vírgula decimal, UTF-8 com BOM).
    #[arg(long)]
    pub csv: Option<PathBuf>,
    #[command(flatten)]
    pub from: super::explain::LedgerSource,
    /// Imprime a conciliação em JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let ledger = runtime.block_on(args.from.ledger())?;
    let rows = ledger.reconcile(args.parcela, args.ibge);
    if let Some(path) = &args.csv {
        std::fs::write(path, csv(&rows)).map_err(|e| {
            anyhow::anyhow!("{}: não foi possível gravar o CSV: {e}", path.display())
        })?;
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&rows)?)?;
    } else {
        write!(out, "{}", text(args.parcela, &rows))?;
        // The PAR incentive is reconciled per UF, not per municipality: after the municipalities.
        let aae = ledger.aae_reconcile(args.parcela);
        write!(out, "{}", super::programmes::aae_reconciliation_text(&aae))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Money as a pt-BR spreadsheet reads it: `1234,56` (no thousands separator, decimal comma).
fn decimal_comma(m: Money) -> String {
    format!("{:.2}", m.amount()).replace('.', ",")
}

fn optional(m: Option<Money>) -> String {
    m.map(decimal_comma).unwrap_or_default()
}

/// The national CSV: one row per municipality and plano.
pub fn csv(rows: &[Reconciliation]) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str("ibge;parcela;plano;devido;implantacao;publicado;pago;achados;equipes;ordens\r\n");
    for r in rows {
        let findings: Vec<&str> = r.findings.iter().map(|f| f.code()).collect();
        let teams: Vec<String> = r.teams.iter().map(|t| t.ine.to_string()).collect();
        let fields = [
            r.ibge.to_string(),
            r.parcela.to_string(),
            r.plano.to_string(),
            decimal_comma(r.owed),
            decimal_comma(r.implantacao),
            optional(r.reported),
            optional(r.paid),
            findings.join(" "),
            teams.join(" "),
            r.bank_orders.join(" "),
        ];
        out.push_str(&fields.join(";"));
        out.push_str("\r\n");
    }
    out
}

/// What a person reads at the terminal.
fn text(parcela: Parcela, rows: &[Reconciliation]) -> String {
    let mut out = format!("Conciliação da parcela {parcela}\n");
    let differing = rows.iter().filter(|r| !r.findings.is_empty()).count();
    out.push_str(&format!(
        "{} linhas (município × plano), {differing} com divergência\n",
        rows.len()
    ));
    let brl = |m: Option<Money>| m.map_or_else(|| "—".to_owned(), Money::to_brl);
    for r in rows.iter().filter(|r| !r.findings.is_empty()) {
        let findings: Vec<&str> = r.findings.iter().map(|f| f.label_pt()).collect();
        out.push_str(&format!(
            "\n{} plano {}: devido {}, publicado {}, pago {} — {}\n",
            r.ibge,
            r.plano.label_pt(),
            r.owed.to_brl(),
            brl(r.reported),
            brl(r.paid),
            findings.join("; ")
        ));
        for team in &r.teams {
            out.push_str(&format!(
                "  equipe {}: {}\n",
                team.ine,
                team.fields.join("; ")
            ));
        }
        for a in &r.ajustes {
            out.push_str(&format!("  ajuste {}: {}\n", a.amount.to_brl(), a.source));
        }
        for line in &r.withheld {
            out.push_str(&format!(
                "  razão: equipe {} {:?} integral {} desconto {} ({}; {})\n",
                line.ine,
                line.component,
                line.integral.to_brl(),
                line.desconto.to_brl(),
                line.suspension_pct,
                line.reasons.join(", ")
            ));
        }
    }
    out
}
