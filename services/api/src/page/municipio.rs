//! Search, a municipality's transfers over time, and its statement for one parcela.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::extract::{Path, RawQuery, State};
use repasse_projector::step::tree;
use repasse_projector::store::Store;
use repasse_proto::{Ibge, Parcela};
use serde_json::Value;

use super::{Page, PageError, badge, brl, centavos, esc, html, reais};
use crate::{Api, current, parse, storage};

/// The most municipalities a search lists.
const MAX_RESULTS: usize = 50;

/// Lowercase without accents, so "sao joao" finds "SÃO JOÃO".
fn folded(text: &str) -> String {
    text.chars()
        .map(|c| match c.to_lowercase().next().unwrap_or(c) {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'ê' | 'è' | 'ë' => 'e',
            'í' | 'î' | 'ì' | 'ï' => 'i',
            'ó' | 'ô' | 'õ' | 'ò' | 'ö' => 'o',
            'ú' | 'û' | 'ù' | 'ü' => 'u',
            'ç' => 'c',
            other => other,
        })
        .collect()
}

/// The value of `key` in a raw query string, percent-decoded (`+` is a space, as forms send it).
pub(super) fn query_value(raw: Option<&str>, key: &str) -> Option<String> {
    let raw = raw?;
    let value = raw
        .split('&')
        .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))?;
    let bytes = value.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// The sealed parcelas, oldest first.
fn sealed(store: &Store) -> Result<Vec<Parcela>, PageError> {
    let seals = store.scan(tree::SELOS, "").map_err(storage)?;
    Ok(seals
        .iter()
        .filter_map(|(key, _)| key.parse().ok())
        .collect())
}

/// `/painel?q=`: the search, the sealed parcelas and the states' live views.
pub(crate) async fn search(State(api): State<Api>, RawQuery(raw): RawQuery) -> Page {
    let q = query_value(raw.as_deref(), "q").unwrap_or_default();
    let q = q.trim();
    let mut body = String::from("<h1>Repasses federais da Atenção Primária</h1>");
    let _ = write!(
        body,
        "<form class=\"busca\" action=\"/painel\" method=\"get\" role=\"search\">\
         <label for=\"q\">Município (nome ou código IBGE)</label><br>\
         <input type=\"search\" id=\"q\" name=\"q\" value=\"{}\" autocomplete=\"off\" required> \
         <button type=\"submit\">Buscar</button></form>",
        esc(q)
    );
    if !q.is_empty() {
        body.push_str(&results(q));
    }
    let store = current(&api.store)?;
    let parcelas = sealed(&store)?;
    let _ = write!(
        body,
        "<h2>Parcelas seladas</h2><p>{}</p>",
        if parcelas.is_empty() {
            "Nenhuma parcela selada ainda.".to_owned()
        } else {
            parcelas
                .iter()
                .map(|p| format!("<a href=\"/painel/comparacao/{p}\">{p}</a>"))
                .collect::<Vec<_>>()
                .join(" · ")
        }
    );
    body.push_str("<h2>Suspensões ao vivo por UF</h2><p>");
    let mut ufs: Vec<&str> = super::municipalities()
        .iter()
        .map(|r| r.uf.as_str())
        .collect();
    ufs.dedup();
    for uf in ufs {
        let _ = write!(body, "<a href=\"/painel/uf/{uf}\">{uf}</a> ");
    }
    body.push_str("</p>");
    Ok(html("Busca", &body))
}

fn results(q: &str) -> String {
    let wanted = folded(q);
    let found: Vec<_> = super::municipalities()
        .iter()
        .filter(|r| r.ibge.to_string().starts_with(q) || folded(&r.name).contains(&wanted))
        .take(MAX_RESULTS + 1)
        .collect();
    if found.is_empty() {
        return format!(
            "<p class=\"aviso\" role=\"status\">Nenhum município encontrado para “{}”.</p>",
            esc(q)
        );
    }
    let mut out = String::from(
        "<h2 id=\"resultados\">Municípios encontrados</h2><ul aria-labelledby=\"resultados\">",
    );
    for row in found.iter().take(MAX_RESULTS) {
        let _ = write!(
            out,
            "<li><a href=\"/painel/municipio/{0}\">{1} ({2})</a> — IBGE {0}</li>",
            row.ibge,
            esc(&row.name),
            row.uf.as_str()
        );
    }
    out.push_str("</ul>");
    if found.len() > MAX_RESULTS {
        let _ = write!(
            out,
            "<p>Mostrando os {MAX_RESULTS} primeiros; refine a busca.</p>"
        );
    }
    out
}

/// The municipality's heading and facts of Anexo VI.
fn heading(ibge: Ibge) -> Result<String, PageError> {
    let row = crate::known(ibge)?;
    Ok(format!(
        "<h1>{} ({})</h1><dl class=\"ficha\"><dt>IBGE</dt><dd>{}</dd><dt>População (IBGE 2022)</dt>\
         <dd>{}</dd><dt>Estrato IED</dt><dd>{}</dd></dl>",
        esc(&row.name),
        row.uf.as_str(),
        row.ibge,
        thousands(u64::from(row.population)),
        row.stratum.get()
    ))
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// The statement's total efetivo, in centavos.
fn efetivo(statement: &Value) -> i64 {
    statement["planos"]
        .as_array()
        .map(|planos| {
            planos
                .iter()
                .map(|p| centavos(p["efetivo"].as_str().unwrap_or("0")))
                .sum()
        })
        .unwrap_or(0)
}

/// `/painel/municipio/{ibge}`: every sealed parcela's statement, as a table and a chart.
pub(crate) async fn overview(State(api): State<Api>, Path(ibge): Path<String>) -> Page {
    let ibge: Ibge = parse("ibge", &ibge)?;
    let mut body = heading(ibge)?;
    let store = current(&api.store)?;
    let mut series = Vec::new();
    for p in sealed(&store)? {
        let key = format!("{p}/{ibge}");
        if let Some(statement) = store.get(tree::DEMONSTRATIVOS, &key).map_err(storage)? {
            series.push((p, efetivo(&statement)));
        }
    }
    if series.is_empty() {
        body.push_str("<p class=\"aviso\">Nenhum demonstrativo selado para este município.</p>");
        return Ok(html("Município", &body));
    }
    body.push_str(
        "<h2 id=\"parcelas\">Parcelas</h2><table aria-labelledby=\"parcelas\"><thead><tr>\
         <th scope=\"col\">Parcela</th><th scope=\"col\" class=\"valor\">Efetivo</th></tr></thead><tbody>",
    );
    for (p, total) in series.iter().rev() {
        let _ = write!(
            body,
            "<tr><td><a href=\"/painel/municipio/{ibge}/{p}\">{p}</a></td><td class=\"valor\">{}</td></tr>",
            brl(*total)
        );
    }
    body.push_str("</tbody></table>");
    body.push_str(&chart(&series));
    Ok(html("Município", &body))
}

/// Bars of each parcela's efetivo, integers only; the table above says the same in words.
fn chart(series: &[(Parcela, i64)]) -> String {
    const HEIGHT: i64 = 200;
    const BAR: usize = 36;
    let max = series.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let width = series.len() * BAR + 20;
    let mut svg = format!(
        "<details id=\"grafico\"><summary>Gráfico dos repasses ao longo do tempo</summary>\
         <svg class=\"grafico\" role=\"img\" aria-labelledby=\"grafico-titulo\" viewBox=\"0 0 {width} {}\" \
         width=\"{width}\" height=\"{}\"><title id=\"grafico-titulo\">Efetivo por parcela, de {} a {}</title>",
        HEIGHT + 40,
        HEIGHT + 40,
        series[0].0,
        series[series.len() - 1].0
    );
    for (i, (p, value)) in series.iter().enumerate() {
        let h = (*value).max(0) * HEIGHT / max;
        let x = 10 + i * BAR;
        let _ = write!(
            svg,
            "<g><title>{p}: {}</title><rect x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{h}\"></rect>\
             <text x=\"{x}\" y=\"{}\">{}</text></g>",
            brl(*value),
            10 + HEIGHT - h,
            BAR - 6,
            HEIGHT + 25,
            &p.to_string()[2..]
        );
    }
    svg.push_str("</svg></details>");
    svg
}

/// One team's lines in a parcela, summed.
#[derive(Default)]
struct Team {
    team_type: String,
    integral: i64,
    desconto: i64,
    pct: u64,
    reasons: Vec<String>,
}

/// `/painel/municipio/{ibge}/{parcela}`: the statement, its teams with their suspensions, and the
/// reconciliation where a report or payment was imported.
pub(crate) async fn statement(
    State(api): State<Api>,
    Path((ibge, parcela)): Path<(String, String)>,
) -> Page {
    let ibge: Ibge = parse("ibge", &ibge)?;
    let p: Parcela = parse("parcela", &parcela)?;
    let mut body = heading(ibge)?;
    let store = current(&api.store)?;
    let key = format!("{p}/{ibge}");
    let Some(statement) = store.get(tree::DEMONSTRATIVOS, &key).map_err(storage)? else {
        let mut failure = crate::Failure::new(
            axum::http::StatusCode::NOT_FOUND,
            format!("sem demonstrativo da parcela {p} para o município {ibge}"),
        );
        failure.field = Some("parcela");
        return Err(failure.into());
    };
    let _ = write!(
        body,
        "<h2>Demonstrativo da parcela {p}</h2><p>Paga sobre a competência {}. \
         <a href=\"/painel/comparacao/{p}?ibge={ibge}\">Comparar o selado com o cálculo de hoje</a> · \
         <a href=\"/painel/municipio/{ibge}\">Todas as parcelas</a></p>",
        p.competencia()
    );
    body.push_str(&planos(&statement));
    let lines = store.get(tree::LINHAS, &key).map_err(storage)?;
    body.push_str(&teams(p, lines.as_ref()));
    let reconciliation = store.get(tree::CONCILIACAO, &key).map_err(storage)?;
    if let Some(rows) = reconciliation {
        body.push_str(&reconciled(&rows));
    }
    Ok(html(&format!("Parcela {p}"), &body))
}

fn planos(statement: &Value) -> String {
    let mut out = String::from(
        "<table><caption>Totais por plano orçamentário</caption><thead><tr><th scope=\"col\">Plano</th>\
         <th scope=\"col\" class=\"valor\">Integral</th><th scope=\"col\" class=\"valor\">Desconto</th>\
         <th scope=\"col\" class=\"valor\">Ajuste</th><th scope=\"col\" class=\"valor\">Efetivo</th></tr></thead><tbody>",
    );
    for plano in statement["planos"].as_array().into_iter().flatten() {
        let field = |k: &str| reais(plano[k].as_str().unwrap_or("0"));
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td class=\"valor\">{}</td><td class=\"valor\">{}</td>\
             <td class=\"valor\">{}</td><td class=\"valor\">{}</td></tr>",
            esc(plano["plano"].as_str().unwrap_or("")),
            field("integral"),
            field("desconto"),
            field("ajuste"),
            field("efetivo")
        );
    }
    let _ = write!(
        out,
        "</tbody><tfoot><tr><th scope=\"row\">Total efetivo</th><td></td><td></td><td></td>\
         <td class=\"valor\"><strong>{}</strong></td></tr></tfoot></table>",
        brl(efetivo(statement))
    );
    out
}

fn teams(p: Parcela, lines: Option<&Value>) -> String {
    let mut by_team: BTreeMap<String, Team> = BTreeMap::new();
    for line in lines.and_then(Value::as_array).into_iter().flatten() {
        let ine = line["ine"].as_str().unwrap_or("").to_owned();
        let team = by_team.entry(ine).or_default();
        team.team_type = line["team_type"].as_str().unwrap_or("").to_owned();
        team.integral += centavos(line["integral"].as_str().unwrap_or("0"));
        team.desconto += centavos(line["desconto"].as_str().unwrap_or("0"));
        team.pct = team.pct.max(line["suspension_pct"].as_u64().unwrap_or(0));
        for reason in line["reasons"].as_array().into_iter().flatten() {
            let reason = reason.as_str().unwrap_or("").to_owned();
            if !team.reasons.contains(&reason) {
                team.reasons.push(reason);
            }
        }
    }
    let suspended = by_team.values().filter(|t| t.pct > 0).count();
    let mut out = format!(
        "<h2 id=\"equipes\">Equipes: {}, {suspended} com suspensão</h2><table aria-labelledby=\"equipes\">\
         <thead><tr><th scope=\"col\">INE</th><th scope=\"col\">Tipo</th><th scope=\"col\">Situação</th>\
         <th scope=\"col\" class=\"valor\">Integral</th><th scope=\"col\" class=\"valor\">Desconto</th>\
         <th scope=\"col\" class=\"valor\">Efetivo</th></tr></thead><tbody>",
        by_team.len()
    );
    // Suspended teams first: they are what an auditor opens.
    let mut ordered: Vec<_> = by_team.iter().collect();
    ordered.sort_by_key(|(ine, t)| (std::cmp::Reverse(t.pct), (*ine).clone()));
    let c = p.competencia();
    for (ine, team) in ordered {
        let ine_cell = if team.pct > 0 || !team.reasons.is_empty() {
            format!(
                "<a href=\"/painel/equipe/{c}/{0}\" aria-label=\"Explicação da equipe {0}\">{0}</a>",
                esc(ine)
            )
        } else {
            esc(ine)
        };
        let reasons = team
            .reasons
            .iter()
            .map(|r| format!("<span class=\"regra\">{}</span>", esc(r)))
            .collect::<Vec<_>>()
            .join(" ");
        let _ = write!(
            out,
            "<tr><td>{ine_cell}</td><td>{}</td><td>{} {reasons}</td><td class=\"valor\">{}</td>\
             <td class=\"valor\">{}</td><td class=\"valor\">{}</td></tr>",
            esc(&team.team_type),
            badge(team.pct),
            brl(team.integral),
            brl(team.desconto),
            brl(team.integral - team.desconto)
        );
    }
    out.push_str("</tbody></table>");
    out
}

fn reconciled(rows: &Value) -> String {
    let mut out = String::from(
        "<h2 id=\"conciliacao\">Conciliação</h2><table aria-labelledby=\"conciliacao\"><thead><tr>\
         <th scope=\"col\">Plano</th><th scope=\"col\" class=\"valor\">Devido pelas regras</th>\
         <th scope=\"col\" class=\"valor\">Publicado</th><th scope=\"col\" class=\"valor\">Pago pelo Fundo</th>\
         <th scope=\"col\">Achados</th></tr></thead><tbody>",
    );
    let money = |v: &Value| v.as_str().map_or_else(|| "—".to_owned(), reais);
    for row in rows.as_array().into_iter().flatten() {
        let findings = row["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| finding(f.as_str().unwrap_or("")))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td class=\"valor\">{}</td><td class=\"valor\">{}</td>\
             <td class=\"valor\">{}</td><td>{}</td></tr>",
            esc(row["plano"].as_str().unwrap_or("")),
            money(&row["owed"]),
            money(&row["reported"]),
            money(&row["paid"]),
            if findings.is_empty() {
                "sem diferença".to_owned()
            } else {
                findings
            }
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// A reconciliation finding, as CASES.md codes it, in words.
fn finding(code: &str) -> String {
    let words = match code {
        "relatorio_diverge" => "o relatório publicado diverge do calculado",
        "pago_a_menos" => "pago a menos",
        "pago_a_mais" => "pago a mais",
        "nao_pago" => "não pago",
        "pago_sem_devido" => "pago sem ser devido",
        other => other,
    };
    format!("<span class=\"selo s75\">{}</span>", esc(words))
}
