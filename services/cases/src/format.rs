//! The case file format, parsed with the JSON path of every problem (`facts[3].professionals[0].cpf`).

use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

use repasse_proto::{Competencia, Fact, Ibge, Ine, Money, Parcela, Plano};
pub use repasse_rules::Component;

/// The most facts one case may expand to (ranges included): a case is a scenario, not a data set.
pub const MAX_CASE_FACTS: usize = 100_000;

#[derive(Debug, thiserror::Error)]
#[error("{file}: {path}: {message}")]
pub struct ReadError {
    pub file: String,
    /// JSON path of the problem, `$` for the whole document.
    pub path: String,
    pub message: String,
}

/// A parsed case: its facts in order (ranges expanded) and what must have been decided.
#[derive(Debug)]
pub struct Case {
    pub file: String,
    pub name: String,
    pub rules: Vec<String>,
    /// Each fact with the index of the `facts` item it came from.
    pub facts: Vec<(Fact, usize)>,
    pub expect: Expect,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub teams: Vec<TeamExpect>,
    #[serde(default)]
    pub lines: Vec<LineExpect>,
    #[serde(default)]
    pub statements: Vec<StatementExpect>,
    #[serde(default)]
    pub decisions: Vec<DecisionExpect>,
    #[serde(default)]
    pub decisions_exact: bool,
    #[serde(default)]
    pub recomposition: Vec<RecompositionExpect>,
    #[serde(default)]
    pub credentialing_requests: Vec<CredentialingRequestExpect>,
    #[serde(default)]
    pub reconciliation: Vec<ReconciliationExpect>,
    #[serde(default)]
    pub retro: Vec<RetroExpect>,
    #[serde(default)]
    pub aae: Vec<AaeExpect>,
    #[serde(default)]
    pub aae_reconciliation: Vec<AaeReconciliationExpect>,
    #[serde(default)]
    pub oci: Vec<OciExpect>,
    #[serde(default)]
    pub aperf: Vec<AperfExpect>,
}

/// RETRO.*: the ledger's recommendation on a retroactive-credit request, and what a `deferido` credited.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetroExpect {
    pub id: String,
    pub recommendation: Option<repasse_rules::law::retro::Recommendation>,
    /// Compared as a set: the rule ids that make the request ineligible.
    pub reasons: Option<Vec<String>>,
    /// What was credited as an *ajuste* (`"0.00"` when nothing was).
    pub credited: Option<Money>,
    /// The parcela the credit was posted in.
    pub credited_in: Option<Parcela>,
}

/// AAE.ETAPAS: one stage of a PAR's incentive.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AaeExpect {
    pub par_id: String,
    pub stage: u8,
    pub amount: Option<Money>,
    pub due: Option<bool>,
    /// The parcela the stage is paid in.
    pub parcela: Option<Parcela>,
}

/// The PAR incentive of a UF in a parcela (plano `AAE`): owed, paid, findings (compared as a set).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AaeReconciliationExpect {
    pub uf: repasse_proto::Uf,
    pub parcela: Parcela,
    pub owed: Option<Money>,
    pub paid: Option<Money>,
    pub findings: Option<Vec<repasse_rules::engine::reconcile::Finding>>,
}

/// AAE.OCI: one APAC judged.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OciExpect {
    pub apac: String,
    pub concluded: Option<bool>,
    pub financed: Option<Money>,
    /// Whether a procedure of this APAC is billed both on its own and inside an OCI.
    pub double_billing: Option<bool>,
}

/// APERF.ELEGIVEL: may the professional (by CPF or CNS) enrol on the date?
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AperfExpect {
    pub cpf: Option<repasse_proto::Cpf>,
    pub cns: Option<repasse_proto::Cns>,
    pub on: repasse_proto::Date,
    pub eligible: Option<bool>,
    /// Compared as a set.
    pub reasons: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamExpect {
    pub ine: Ine,
    pub competencia: Competencia,
    pub payable: Option<bool>,
    pub suspension_pct: Option<u8>,
    pub reasons: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineExpect {
    pub ibge: Ibge,
    pub parcela: Parcela,
    pub ine: Ine,
    pub component: Component,
    pub integral: Option<Money>,
    pub desconto: Option<Money>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementExpect {
    pub ibge: Ibge,
    pub parcela: Parcela,
    pub plano: Plano,
    pub integral: Option<Money>,
    pub desconto: Option<Money>,
    pub ajuste: Option<Money>,
    pub efetivo: Option<Money>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    SuspensionApplied,
    SuspensionChanged,
    SuspensionLifted,
    CredentialRevoked,
}

impl DecisionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::SuspensionApplied => "suspension_applied",
            DecisionKind::SuspensionChanged => "suspension_changed",
            DecisionKind::SuspensionLifted => "suspension_lifted",
            DecisionKind::CredentialRevoked => "credential_revoked",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionExpect {
    pub kind: DecisionKind,
    pub ine: Ine,
    pub competencia: Competencia,
    pub pct: Option<u8>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecompositionExpect {
    pub ibge: Ibge,
    pub base: Option<Money>,
    pub novo: Option<Money>,
    pub monthly_value: Option<Money>,
    pub compensation: Option<Money>,
    pub parcelas: Option<Vec<RecompositionParcelaExpect>>,
}

/// VAL.TETO's recommendation for a credentialing request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialingRequestExpect {
    pub id: String,
    pub recommendation: Option<CeilingRecommendation>,
    pub ceiling: Option<u32>,
    pub credentialed: Option<u32>,
    pub requested: Option<u32>,
}

/// A municipality's plano in a parcela: owed, reported and paid, and the differences found.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconciliationExpect {
    pub ibge: Ibge,
    pub parcela: Parcela,
    pub plano: Plano,
    pub owed: Option<Money>,
    pub reported: Option<Money>,
    pub paid: Option<Money>,
    /// Compared as a set; empty when everything agrees.
    pub findings: Option<Vec<repasse_rules::engine::reconcile::Finding>>,
    /// The INEs behind the difference, as a set.
    pub teams: Option<Vec<Ine>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CeilingRecommendation {
    DentroDoTeto,
    AcimaDoTeto,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecompositionParcelaExpect {
    pub parcela: Parcela,
    pub paid: bool,
    pub reason: Option<String>,
}

/// Reads and parses one case file.
pub fn read_case(path: &Path) -> Result<Case, ReadError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ReadError {
        file: file.clone(),
        path: "$".to_owned(),
        message: format!("não foi possível ler o arquivo: {e}"),
    })?;
    parse_case(&file, &text)
}

/// Parses a case from its text; `file` names it in errors.
pub fn parse_case(file: &str, text: &str) -> Result<Case, ReadError> {
    let error = |path: &str, message: String| ReadError {
        file: file.to_owned(),
        path: path.to_owned(),
        message,
    };
    let root: Value = serde_json::from_str(text).map_err(|e| {
        error(
            "$",
            format!(
                "JSON inválido (linha {}, coluna {}): {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    let Value::Object(mut root) = root else {
        return Err(error(
            "$",
            "esperado um objeto com name, rules, facts e expect".to_owned(),
        ));
    };
    for key in root.keys() {
        if !["name", "rules", "facts", "expect"].contains(&key.as_str()) {
            return Err(error(
                &format!("$.{key}"),
                "campo desconhecido (esperado name, rules, facts, expect)".into(),
            ));
        }
    }
    let name = typed::<String>(root.remove("name"), "name").map_err(|(p, m)| error(&p, m))?;
    let rules = typed::<Vec<String>>(root.remove("rules").or(Some(Value::Array(vec![]))), "rules")
        .map_err(|(p, m)| error(&p, m))?;
    let facts = match root.remove("facts") {
        Some(Value::Array(items)) => {
            parse_facts(items, Path::new(file).parent().unwrap_or(Path::new(".")))
                .map_err(|(p, m)| error(&p, m))?
        }
        Some(_) => return Err(error("facts", "esperada uma lista de fatos".to_owned())),
        None => return Err(error("facts", "campo obrigatório ausente".to_owned())),
    };
    let expect = typed::<Expect>(
        root.remove("expect").or(Some(Value::Object(Map::new()))),
        "expect",
    )
    .map_err(|(p, m)| error(&p, m))?;
    Ok(Case {
        file: file.to_owned(),
        name,
        rules,
        facts,
        expect,
    })
}

pub(crate) type PathError = (String, String);

/// Deserializes with the JSON path of the first problem below `prefix`.
pub(crate) fn typed<T: for<'de> Deserialize<'de>>(
    value: Option<Value>,
    prefix: &str,
) -> Result<T, PathError> {
    let Some(value) = value else {
        return Err((prefix.to_owned(), "campo obrigatório ausente".to_owned()));
    };
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let path = if inner == "." {
            prefix.to_owned()
        } else {
            format!("{prefix}.{inner}")
        };
        (path.replace(".[", "["), e.into_inner().to_string())
    })
}

fn parse_facts(items: Vec<Value>, base: &Path) -> Result<Vec<(Fact, usize)>, PathError> {
    let mut facts = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        facts.extend(parse_fact(index, item, base)?);
        if facts.len() > MAX_CASE_FACTS {
            return Err((
                format!("facts[{index}]"),
                format!(
                    "o caso passa de {MAX_CASE_FACTS} fatos: leia-o com `repasse case run`, que o lê em fluxo"
                ),
            ));
        }
    }
    Ok(facts)
}

/// The facts one item of `facts` stands for (a range of competências stands for one per month).
pub(crate) fn parse_fact(
    index: usize,
    item: Value,
    base: &Path,
) -> Result<Vec<(Fact, usize)>, PathError> {
    let path = format!("facts[{index}]");
    let Value::Object(object) = item else {
        return Err((path, "esperado um objeto com \"type\"".to_owned()));
    };
    if object.get("type").and_then(Value::as_str) == Some("file") {
        return crate::file::facts(index, object, base);
    }
    let event_type = match object.get("type") {
        Some(Value::String(t)) if Fact::TYPES.contains(&t.as_str()) => t.clone(),
        Some(Value::String(t)) => {
            return Err((
                format!("{path}.type"),
                format!(
                    "tipo de fato desconhecido \"{t}\"; esperado um de: {}",
                    Fact::TYPES.join(", ")
                ),
            ));
        }
        _ => {
            return Err((
                format!("{path}.type"),
                "campo \"type\" ausente ou não textual".to_owned(),
            ));
        }
    };
    expand(&event_type, object, &path)?
        .into_iter()
        .map(|expanded| Ok((typed::<Fact>(Some(Value::Object(expanded)), &path)?, index)))
        .collect()
}

/// The case format's shorthand: a competência range `"2024-03..2025-02"` in `scnes_team` and
/// `sisab_production` stands for one fact per month, and `received_on: "deadline"` for the last on-time day
/// (CAL.SISAB_PRAZO).
fn expand(
    event_type: &str,
    object: Map<String, Value>,
    path: &str,
) -> Result<Vec<Map<String, Value>>, PathError> {
    if event_type != "scnes_team"
        && event_type != "sisab_production"
        && event_type != "scnes_closed"
    {
        return Ok(vec![object]);
    }
    let months = match object.get("competencia") {
        Some(Value::String(text)) => {
            competencias(text).map_err(|m| (format!("{path}.competencia"), m))?
        }
        _ => return Ok(vec![object]),
    };
    let mut out = Vec::with_capacity(months.len());
    for competencia in months {
        let mut one = object.clone();
        one.insert(
            "competencia".to_owned(),
            Value::String(competencia.to_string()),
        );
        if one.get("received_on").and_then(Value::as_str) == Some("deadline") {
            let deadline = repasse_rules::calendar::sisab_deadline(competencia);
            one.insert(
                "received_on".to_owned(),
                Value::String(deadline.to_string()),
            );
        }
        out.push(one);
    }
    Ok(out)
}

fn competencias(text: &str) -> Result<Vec<Competencia>, String> {
    let Some((from, to)) = text.split_once("..") else {
        return text
            .parse::<Competencia>()
            .map(|c| vec![c])
            .map_err(|e| e.to_string());
    };
    let from: Competencia = from
        .parse()
        .map_err(|e: repasse_proto::PeriodError| e.to_string())?;
    let to: Competencia = to
        .parse()
        .map_err(|e: repasse_proto::PeriodError| e.to_string())?;
    if to < from {
        return Err(format!(
            "intervalo \"{text}\" invertido: {to} é anterior a {from}"
        ));
    }
    Ok(Competencia::range_inclusive(from, to).collect())
}
