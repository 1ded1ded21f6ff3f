//! `repasse retro`, `repasse aae` and `repasse aperf`: the programmes of RULES.md §7–9 recomputed from a
//! log or a case — a retroactive-credit request's recommendation with every rule checked, the PARs'
//! stages and the OCIs judged, and whether a professional may enrol in the training on a date.

use std::fmt::Write as _;
use std::process::ExitCode;

use repasse_proto::{Cns, Cpf, Date};
use repasse_rules::engine::aae::{ApacResult, ParStatus};
use repasse_rules::engine::aperf::Enrolment;
use repasse_rules::engine::retro::RetroCase;

use super::explain::LedgerSource;

#[derive(Debug, clap::Args)]
pub struct RetroArgs {
    /// Só este pedido (o `id` do `retro_request`); sem ele, todos.
    #[arg(long)]
    pub id: Option<String>,
    #[command(flatten)]
    pub from: LedgerSource,
    /// Imprime em JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct AaeArgs {
    /// Só este Plano de Ação Regional; sem ele, todos os PAR e todas as APAC de OCI.
    #[arg(long)]
    pub par: Option<String>,
    /// Concilia o incentivo do PAR (plano AAE) desta parcela por UF: devido pelas etapas e pago pelas
    /// ordens do Fundo.
    #[arg(long)]
    pub parcela: Option<repasse_proto::Parcela>,
    #[command(flatten)]
    pub from: LedgerSource,
    /// Imprime em JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct AperfArgs {
    /// CPF do profissional (11 dígitos).
    #[arg(long, required_unless_present = "cns")]
    pub cpf: Option<Cpf>,
    /// Ou o CNS (15 dígitos), onde o SCNES mascara o CPF.
    #[arg(long)]
    pub cns: Option<Cns>,
    /// Data da inscrição (AAAA-MM-DD).
    #[arg(long)]
    pub data: Date,
    #[command(flatten)]
    pub from: LedgerSource,
    /// Imprime em JSON.
    #[arg(long)]
    pub json: bool,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

pub fn retro(args: RetroArgs) -> anyhow::Result<ExitCode> {
    let ledger = runtime()?.block_on(args.from.ledger())?;
    let cases: Vec<RetroCase> = match &args.id {
        Some(id) => match ledger.retro_case(id) {
            Some(case) => vec![case],
            None => {
                eprintln!("pedido de crédito retroativo \"{id}\" não encontrado no log");
                return Ok(ExitCode::FAILURE);
            }
        },
        None => ledger.retro_cases(),
    };
    if args.json {
        println!("{}", serde_json::to_string(&cases)?);
    } else {
        cases.iter().for_each(|c| print!("{}", retro_text(c)));
    }
    Ok(ExitCode::SUCCESS)
}

fn mark(against: bool) -> &'static str {
    if against { "✗" } else { "✓" }
}

/// A request as an auditor reads it: the recommendation, then every rule checked with its citation.
pub fn retro_text(case: &RetroCase) -> String {
    let a = &case.assessment;
    let r = &case.request;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Pedido {} — município {} ({}), parcela {}, irregularidade {}",
        case.id, r.ibge, r.uf, r.parcela, r.irregularity
    );
    let _ = writeln!(
        out,
        "  Recomendação: {} (prazo até {}, entrada no SEI em {})",
        a.recommendation.as_str().to_uppercase(),
        a.deadline.format_br(),
        r.sei_entered_on.format_br()
    );
    for check in &a.checks {
        let _ = writeln!(
            out,
            "  {} {} — {} [{}]",
            mark(check.against),
            check.rule.id,
            check.detail,
            check.rule.citation
        );
    }
    let _ = writeln!(
        out,
        "  Valor suspenso elegível: {}",
        a.creditable().to_brl()
    );
    match (case.decision, case.credited_in, case.credited) {
        (None, ..) => {
            let _ = writeln!(out, "  Decisão do Ministério: pendente");
        }
        (Some(repasse_proto::fact::RetroOutcome::Deferido), Some(p), Some(m)) => {
            let _ = writeln!(
                out,
                "  Decisão do Ministério: deferido — {} como ajuste na parcela {p} [RETRO.DECISAO]",
                m.to_brl()
            );
        }
        (Some(d), ..) => {
            let _ = writeln!(out, "  Decisão do Ministério: {d:?}");
        }
    }
    out
}

pub fn aae(args: AaeArgs) -> anyhow::Result<ExitCode> {
    let ledger = runtime()?.block_on(args.from.ledger())?;
    let pars: Vec<ParStatus> = match &args.par {
        Some(id) => match ledger.par(id) {
            Some(par) => vec![par],
            None => {
                eprintln!("Plano de Ação Regional \"{id}\" não encontrado no log");
                return Ok(ExitCode::FAILURE);
            }
        },
        None => ledger.pars(),
    };
    let apacs: Vec<ApacResult> = if args.par.is_some() {
        Vec::new()
    } else {
        ledger.apacs()
    };
    let reconciled = args
        .parcela
        .map(|p| ledger.aae_reconcile(p))
        .unwrap_or_default();
    if args.json {
        let body = serde_json::json!({ "pars": pars, "apacs": apacs, "conciliacao": reconciled });
        println!("{body}");
        return Ok(ExitCode::SUCCESS);
    }
    for par in &pars {
        let uf = par.uf.map_or("?", |uf| uf.as_str());
        println!();
        println!(
            "PAR {} ({uf}) — incentivo {} ({}) [AAE.INCENTIVO]",
            par.par_id,
            par.incentive.to_brl(),
            par.band
        );
        println!("  Adesão: {} [AAE.ADESAO]", par.adhesion);
        for stage in &par.stages {
            let when = stage
                .due_on
                .map_or_else(String::new, |d| format!(" desde {}", d.format_br()));
            println!(
                "  Etapa {}: {} — {}{when}; {} [AAE.ETAPAS]",
                stage.stage,
                stage.amount.to_brl(),
                if stage.due { "devida" } else { "não devida" },
                stage.detail
            );
        }
    }
    for apac in &apacs {
        let double = if apac.double_billed.is_empty() {
            String::new()
        } else {
            format!(
                "; cobrança em duplicidade: {}",
                apac.double_billed.join(", ")
            )
        };
        println!("APAC {}: {}{double} [AAE.OCI]", apac.apac, apac.detail);
    }
    print!("{}", aae_reconciliation_text(&reconciled));
    Ok(ExitCode::SUCCESS)
}

pub fn aperf(args: AperfArgs) -> anyhow::Result<ExitCode> {
    let ledger = runtime()?.block_on(args.from.ledger())?;
    let persons: Vec<u64> = args
        .cpf
        .map(|c| c.get())
        .into_iter()
        .chain(args.cns.map(|c| c.get()))
        .collect();
    let answer = ledger.aperf_enrolment(&persons, args.data);
    if args.json {
        println!("{}", serde_json::to_string(&answer)?);
    } else {
        print!("{}", aperf_text(&answer));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn aperf_text(e: &Enrolment) -> String {
    let mut out = String::new();
    let verdict = if e.eligible {
        "PODE se inscrever"
    } else {
        "NÃO pode se inscrever"
    };
    let reasons = if e.reasons.is_empty() {
        String::new()
    } else {
        format!(" ({})", e.reasons.join(", "))
    };
    let _ = writeln!(
        out,
        "Em {}: o profissional {verdict}{reasons}",
        e.on.format_br()
    );
    if e.links.is_empty() {
        let _ = writeln!(
            out,
            "  ✗ APERF.ELEGIVEL — sem vínculo em equipe da APS no SCNES até a competência da data"
        );
    }
    for link in &e.links {
        let ine = link
            .ine
            .map_or_else(String::new, |i| format!(", equipe {i}"));
        let _ = writeln!(
            out,
            "  Vínculo no SCNES {}: município {}{ine}",
            link.competencia, link.ibge
        );
    }
    for (ente, judged) in &e.entes {
        let _ = writeln!(out, "  Ente {ente}:");
        for (rule, against, detail) in &judged.checks {
            let _ = writeln!(
                out,
                "    {} {} — {detail} [{}]",
                mark(*against),
                rule.id,
                rule.citation
            );
        }
    }
    out
}

/// The PAR incentive's reconciliation as an analyst reads it.
pub fn aae_reconciliation_text(rows: &[repasse_rules::engine::aae::AaeReconciliation]) -> String {
    let mut out = String::new();
    for r in rows {
        let findings: Vec<&str> = r.findings.iter().map(|f| f.label_pt()).collect();
        let paid = r.paid.map_or_else(|| "—".to_owned(), |m| m.to_brl());
        let _ = writeln!(
            out,
            "Incentivo AAE da UF {} na parcela {}: devido {}, pago {} — {}",
            r.uf,
            r.parcela,
            r.owed.to_brl(),
            paid,
            if findings.is_empty() {
                "confere".to_owned()
            } else {
                findings.join("; ")
            }
        );
        for stage in &r.stages {
            let _ = writeln!(
                out,
                "  PAR {} etapa {}: {} [AAE.ETAPAS]",
                stage.par_id,
                stage.stage,
                stage.amount.to_brl()
            );
        }
    }
    out
}
