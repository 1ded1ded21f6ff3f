//! Lists with filters and pages, and their CSV for a pt-BR spreadsheet: the suspended teams of a competência
//! by UF and rule, the statements of a parcela by UF. They read the per-municipality read models of the
//! period (5,570 at most), so a national view is one request, not 5,570.

use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use repasse_projector::step::tree;
use repasse_proto::{Competencia, Ibge, Parcela, Uf};
use serde_json::Value;

use crate::{Failure, Served, current, parse, storage};

/// The most items one page holds.
const MAX_LIMIT: usize = 1_000;
const DEFAULT_LIMIT: usize = 100;
/// Bounds what a client may ask to skip (the contract says so too).
const MAX_OFFSET: usize = 1_000_000_000;

/// The query of a list: `uf`, `rule` (suspensions only), `limit`, `offset`, `format=csv`.
struct Query {
    uf: Option<Uf>,
    rule: Option<&'static str>,
    limit: usize,
    offset: usize,
    csv: bool,
}

fn query(raw: Option<String>, rules: bool) -> Result<Query, Failure> {
    let mut q = Query {
        uf: None,
        rule: None,
        limit: DEFAULT_LIMIT,
        offset: 0,
        csv: false,
    };
    for pair in raw.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "uf" => q.uf = Some(parse("uf", value)?),
            "rule" if rules => {
                let rule = repasse_rules::catalog::find(value)
                    .filter(|r| r.id.starts_with("SUSP."))
                    .ok_or_else(|| {
                        Failure::bad(
                            "rule",
                            format!(
                                "regra \"{value}\" desconhecida: esperado um id SUSP.* do catálogo"
                            ),
                        )
                    })?;
                q.rule = Some(rule.id);
            }
            "limit" => {
                q.limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| {
                        Failure::bad(
                            "limit",
                            format!("limit \"{value}\": esperado de 1 a {MAX_LIMIT}"),
                        )
                    })?;
            }
            "offset" => {
                q.offset = value
                    .parse()
                    .ok()
                    .filter(|n| *n <= MAX_OFFSET)
                    .ok_or_else(|| {
                        Failure::bad(
                            "offset",
                            format!("offset \"{value}\": esperado um inteiro de 0 a {MAX_OFFSET}"),
                        )
                    })?;
            }
            "format" if value == "csv" => q.csv = true,
            "format" => return Err(Failure::bad("format", "format: só \"csv\" (sem ele, JSON)")),
            other => {
                let expected = if rules {
                    "uf, rule, limit, offset e format"
                } else {
                    "uf, limit, offset e format"
                };
                return Err(Failure::bad(
                    "query",
                    format!("parâmetro desconhecido \"{other}\": esperados {expected}"),
                ));
            }
        }
    }
    Ok(q)
}

fn ibge_of(item: &Value) -> Option<Ibge> {
    item["ibge"].as_str()?.parse().ok()
}

/// A page of `items` as JSON, or all of them as CSV through `row`.
fn answer(items: Vec<Value>, q: &Query, header_row: &str, row: fn(&Value) -> String) -> Response {
    if q.csv {
        let mut out = String::from("\u{feff}");
        out.push_str(header_row);
        out.push_str("\r\n");
        for item in &items {
            out.push_str(&row(item));
            out.push_str("\r\n");
        }
        return ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], out).into_response();
    }
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(q.offset).take(q.limit).collect();
    let body =
        serde_json::json!({ "total": total, "limit": q.limit, "offset": q.offset, "items": page });
    axum::Json(body).into_response()
}

/// Money as a pt-BR spreadsheet reads it: `1234,56`.
fn decimal_comma(v: &Value) -> String {
    v.as_str().unwrap_or("").replace('.', ",")
}

fn joined(v: &Value) -> String {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// `GET /suspensoes/{competencia}?uf=&rule=&limit=&offset=&format=csv`: the teams under a suspension in a
/// closed competência (their percentage, or an agent under SUSP.100.ACS_SISAB), by INE within IBGE.
pub(crate) async fn suspended(
    State(store): State<Served>,
    Path(competencia): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Failure> {
    let c: Competencia = parse("competencia", &competencia)?;
    let q = query(raw, true)?;
    let mut items = Vec::new();
    for (_, statuses) in current(&store)?
        .scan(tree::SITUACAO, &format!("{c}/"))
        .map_err(storage)?
    {
        for status in statuses.as_array().into_iter().flatten() {
            let reasons = joined(&status["reasons"]);
            let agents = status["suspended_agents"]
                .as_array()
                .is_some_and(|a| !a.is_empty());
            let pct = status["suspension_pct"].as_u64().unwrap_or(0);
            let in_uf =
                q.uf.is_none_or(|uf| ibge_of(status).and_then(Ibge::uf) == Some(uf));
            let by_rule = match q.rule {
                None => pct > 0 || agents,
                Some("SUSP.100.ACS_SISAB") => agents,
                Some(rule) => reasons.split(' ').any(|r| r == rule),
            };
            if in_uf && by_rule {
                items.push(status.clone());
            }
        }
    }
    let header_row = "competencia;ibge;ine;tipo;percentual;regras;acs_suspensos";
    Ok(answer(items, &q, header_row, |s| {
        format!(
            "{};{};{};{};{};{};{}",
            s["competencia"].as_str().unwrap_or(""),
            s["ibge"].as_str().unwrap_or(""),
            s["ine"].as_str().unwrap_or(""),
            s["team_type"].as_str().unwrap_or(""),
            s["suspension_pct"],
            joined(&s["reasons"]),
            s["suspended_agents"].as_array().map_or(0, Vec::len),
        )
    }))
}

/// `GET /demonstrativos/{parcela}?uf=&limit=&offset=&format=csv`: the statements of a closed parcela, by
/// IBGE; the CSV has one row per municipality and plano.
pub(crate) async fn statements(
    State(store): State<Served>,
    Path(parcela): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Failure> {
    let p: Parcela = parse("parcela", &parcela)?;
    let q = query(raw, false)?;
    let items: Vec<Value> = current(&store)?
        .scan(tree::DEMONSTRATIVOS, &format!("{p}/"))
        .map_err(storage)?
        .into_iter()
        .map(|(_, statement)| statement)
        .filter(|s| {
            q.uf.is_none_or(|uf| ibge_of(s).and_then(Ibge::uf) == Some(uf))
        })
        .collect();
    let header_row = "parcela;ibge;plano;integral;desconto;ajuste;efetivo";
    Ok(answer(items, &q, header_row, |s| {
        s["planos"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|plano| {
                format!(
                    "{};{};{};{};{};{};{}",
                    s["parcela"].as_str().unwrap_or(""),
                    s["ibge"].as_str().unwrap_or(""),
                    plano["plano"].as_str().unwrap_or(""),
                    decimal_comma(&plano["integral"]),
                    decimal_comma(&plano["desconto"]),
                    decimal_comma(&plano["ajuste"]),
                    decimal_comma(&plano["efetivo"]),
                )
            })
            .collect::<Vec<_>>()
            .join("\r\n")
    }))
}
