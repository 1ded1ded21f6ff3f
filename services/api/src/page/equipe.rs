//! A team's explanation, a sealed parcela against today's computation, and a state's live suspensions.

use std::fmt::Write as _;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use repasse_projector::step::tree;
use repasse_proto::{Competencia, Ibge, Ine, Parcela, Uf};
use serde_json::Value;

use super::municipio::query_value;
use super::{Page, badge, esc, html, municipality, reais};
use crate::{Api, Failure, current, parse, storage};

/// `/painel/equipe/{competencia}/{ine}`: every rule checked for the team, fired first, each with its id,
/// title, citation, what was found and the positions of the facts behind it; then the team's lines.
pub(crate) async fn explanation(
    State(api): State<Api>,
    Path((competencia, ine)): Path<(String, String)>,
) -> Page {
    let c: Competencia = parse("competencia", &competencia)?;
    let ine: Ine = parse("ine", &ine)?;
    let store = current(&api.store)?;
    let explained = store
        .get(tree::EXPLICACOES, &format!("{c}/{ine}"))
        .map_err(storage)?
        .ok_or_else(|| {
            let mut failure = Failure::new(
                StatusCode::NOT_FOUND,
                format!(
                    "sem explicação da equipe {ine} na competência {c}: guardam-se as das equipes \
                     suspensas ou não válidas no fechamento"
                ),
            );
            failure.field = Some("ine");
            failure
        })?;
    let status = &explained["status"];
    let ibge: Option<Ibge> = status["ibge"].as_str().and_then(|s| s.parse().ok());
    let place = ibge
        .and_then(municipality)
        .map(|r| format!("{} ({})", esc(&r.name), r.uf.as_str()))
        .unwrap_or_default();
    let mut body = format!(
        "<h1>Equipe {ine} — competência {c}</h1><dl class=\"ficha\"><dt>Município</dt><dd>{place}</dd>\
         <dt>Tipo</dt><dd>{}</dd><dt>Situação</dt><dd>{} {}</dd></dl>",
        esc(status["team_type"].as_str().unwrap_or("")),
        badge(status["suspension_pct"].as_u64().unwrap_or(0)),
        not_valid(status)
    );
    body.push_str(&rules(
        "Regras que se aplicaram",
        "aplicadas",
        &explained["fired"],
    ));
    let not_fired = rules(
        "Regras verificadas que não se aplicaram",
        "verificadas",
        &explained["not_fired"],
    );
    let _ = write!(
        body,
        "<details><summary>Regras verificadas que não se aplicaram</summary>{not_fired}</details>"
    );
    body.push_str(&team_lines(&explained["lines"]));
    if let Some(ibge) = ibge {
        let p = c.parcela();
        let _ = write!(
            body,
            "<p><a href=\"/painel/municipio/{ibge}/{p}\">Demonstrativo da parcela {p}</a>, que paga esta competência.</p>"
        );
    }
    Ok(html(&format!("Equipe {ine}"), &body))
}

/// The team's lines in the parcela that pays the competência, each with the parameter it was computed from.
fn team_lines(lines: &Value) -> String {
    let mut out = String::from(
        "<table><caption>Linhas da equipe na parcela</caption><thead><tr><th scope=\"col\">Componente</th>\
         <th scope=\"col\">Plano</th><th scope=\"col\" class=\"valor\">Integral</th>\
         <th scope=\"col\" class=\"valor\">Desconto</th><th scope=\"col\">Parâmetro</th></tr></thead><tbody>",
    );
    for line in lines.as_array().into_iter().flatten() {
        let params = line["params"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                format!(
                    "{}/{} (desde {}): {}",
                    esc(p["table"].as_str().unwrap_or("")),
                    esc(p["key"].as_str().unwrap_or("")),
                    esc(p["version_from"].as_str().unwrap_or("")),
                    esc(p["citation"].as_str().unwrap_or(""))
                )
            })
            .collect::<Vec<_>>()
            .join("<br>");
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"valor\">{}</td><td class=\"valor\">{}</td><td class=\"citacao\">{params}</td></tr>",
            esc(line["component"].as_str().unwrap_or("")),
            esc(line["plano"].as_str().unwrap_or("")),
            reais(line["integral"].as_str().unwrap_or("0")),
            reais(line["desconto"].as_str().unwrap_or("0"))
        );
    }
    out.push_str("</tbody></table>");
    out
}

fn not_valid(status: &Value) -> String {
    let reasons: Vec<String> = status["not_valid"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|r| format!("<span class=\"regra\">{}</span>", esc(r)))
        .collect();
    if reasons.is_empty() {
        String::new()
    } else {
        format!("não válida: {}", reasons.join(" "))
    }
}

/// A table of checked rules: id, title and citation, the finding, the facts' positions.
fn rules(caption: &str, id: &str, checked: &Value) -> String {
    let mut out = format!(
        "<table id=\"regras-{id}\"><caption>{}</caption><thead><tr><th scope=\"col\">Regra</th>\
         <th scope=\"col\">Fundamento</th><th scope=\"col\">O que se verificou</th>\
         <th scope=\"col\">Fatos (posição no log)</th></tr></thead><tbody>",
        esc(caption)
    );
    for check in checked.as_array().into_iter().flatten() {
        let rule = &check["rule"];
        let positions = check["positions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_u64)
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let pct = rule["pct"]
            .as_u64()
            .map_or_else(String::new, |p| format!(" ({p} %)"));
        let _ = write!(
            out,
            "<tr><th scope=\"row\"><span class=\"regra\">{}</span>{pct}<br>{}</th>\
             <td class=\"citacao\">{} — {}</td><td>{}</td><td>{}</td></tr>",
            esc(rule["id"].as_str().unwrap_or("")),
            esc(rule["title"].as_str().unwrap_or("")),
            esc(rule["section"].as_str().unwrap_or("")),
            esc(rule["citation"].as_str().unwrap_or("")),
            esc(check["detail"].as_str().unwrap_or("")),
            if positions.is_empty() {
                "—".to_owned()
            } else {
                positions
            }
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// `/painel/comparacao/{parcela}?ibge=`: the sealed parcela against today's computation, for one
/// municipality or the whole country. While the log is folded, the page refreshes itself.
pub(crate) async fn comparison(
    State(api): State<Api>,
    Path(parcela): Path<String>,
    RawQuery(raw): RawQuery,
) -> Page {
    let p: Parcela = parse("parcela", &parcela)?;
    let ibge: Option<Ibge> = match query_value(raw.as_deref(), "ibge") {
        Some(v) => Some(parse("ibge", &v)?),
        None => None,
    };
    let title = format!("Parcela {p}: selada e hoje");
    match crate::folds::comparison_value(&api, p).await? {
        None => {
            let body = format!(
                "<h1>{title}</h1><p class=\"aviso\" role=\"status\">Calculando a parcela {p} a partir do log de \
                 fatos; esta página se atualiza sozinha.</p>"
            );
            Ok(super::html_refreshing(&title, &body, 2))
        }
        Some(diff) if diff.is_null() => Err(Failure::new(
            StatusCode::NOT_FOUND,
            format!("a parcela {p} não foi selada"),
        )
        .into()),
        Some(diff) => Ok(html(&title, &compared(&title, &diff, ibge))),
    }
}

fn compared(title: &str, diff: &Value, ibge: Option<Ibge>) -> String {
    let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
    let same = diff["sealed_hash"] == diff["today_hash"];
    let mut body = format!(
        "<h1>{}</h1><dl class=\"ficha\"><dt>Selada na posição</dt><dd>{}</dd><dt>Hash selado</dt>\
         <dd><code>{}</code></dd><dt>Hoje (posição {})</dt><dd><code>{}</code></dd></dl><p class=\"{}\">{}</p>",
        esc(title),
        diff["sealed_at"],
        esc(&text(&diff["sealed_hash"])),
        diff["today_at"],
        esc(&text(&diff["today_hash"])),
        if same { "aviso" } else { "erro" },
        if same {
            "O cálculo de hoje é idêntico ao selado."
        } else {
            "O cálculo de hoje difere do selado: a parcela selada não muda; abaixo, o que uma correção mudaria."
        }
    );
    let ours = |item: &&Value| ibge.is_none_or(|i| item["ibge"].as_str() == Some(&i.to_string()));
    let changes: Vec<&Value> = diff["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(ours)
        .collect();
    let _ = write!(
        body,
        "<table><caption>Equipes que mudaram ({})</caption><thead><tr><th scope=\"col\">INE</th>\
         <th scope=\"col\">Município</th><th scope=\"col\" class=\"valor\">Diferença no efetivo</th>\
         <th scope=\"col\">Fatos posteriores ao selo</th></tr></thead><tbody>",
        changes.len()
    );
    let parcela = text(&diff["parcela"]);
    for change in changes {
        let facts = change["facts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| format!("{} ({})", f["position"], esc(&text(&f["event_type"]))))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = write!(
            body,
            "<tr><td>{}</td><td><a href=\"/painel/municipio/{1}/{2}\">{1}</a></td><td class=\"valor\">{3}</td><td>{facts}</td></tr>",
            esc(&text(&change["ine"])),
            esc(&text(&change["ibge"])),
            esc(&parcela),
            reais(&text(&change["delta"]))
        );
    }
    body.push_str("</tbody></table>");
    for credit in diff["credits"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(ours)
    {
        let _ = write!(
            body,
            "<p>Crédito retroativo {} ({}): {} devolvidos na parcela {}.</p>",
            esc(&text(&credit["id"])),
            esc(&text(&credit["irregularity"])),
            reais(&text(&credit["amount"])),
            esc(&text(&credit["credited_in"]))
        );
    }
    for ajuste in diff["ajustes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(ours)
    {
        let _ = write!(
            body,
            "<p>Ajuste de {} no plano {}: {} selado, {} hoje.</p>",
            esc(&text(&ajuste["ibge"])),
            esc(&text(&ajuste["plano"])),
            reais(&text(&ajuste["sealed"])),
            reais(&text(&ajuste["today"]))
        );
    }
    body
}

/// `/painel/uf/{uf}`: the state's suspended teams as of the last competência closed, and each suspension
/// decision as it is published (`EventSource` on `/eventos`).
pub(crate) async fn live(State(api): State<Api>, Path(uf): Path<String>) -> Page {
    let uf: Uf = parse("uf", &uf)?;
    let store = current(&api.store)?;
    let last = store.last_key(tree::SITUACAO).map_err(storage)?;
    let competencia = last.as_deref().and_then(|k| k.split('/').next());
    let mut body = format!(
        "<h1>Suspensões ao vivo — {0}</h1><p id=\"estado-feed\" role=\"status\" aria-live=\"polite\">\
         Sem JavaScript, a lista abaixo é a do último fechamento.</p><table id=\"ao-vivo\"><caption>Decisões de \
         suspensão publicadas desde que esta página abriu</caption><thead><tr><th scope=\"col\">Posição</th>\
         <th scope=\"col\">Decisão</th><th scope=\"col\">INE</th><th scope=\"col\">Município</th>\
         <th scope=\"col\">Competência</th><th scope=\"col\">%</th><th scope=\"col\">Regras</th></tr></thead>\
         <tbody></tbody></table>",
        uf.as_str()
    );
    if let Some(c) = competencia {
        body.push_str(&suspended_in(&store, c, uf)?);
    }
    let _ = write!(
        body,
        "<script>{}</script>",
        LIVE_SCRIPT.replace("{UF}", uf.as_str())
    );
    Ok(html(&format!("Suspensões ao vivo {}", uf.as_str()), &body))
}

fn suspended_in(
    store: &repasse_projector::store::Store,
    c: &str,
    uf: Uf,
) -> Result<String, Failure> {
    let mut out = format!(
        "<table id=\"fechamento\"><caption>Equipes com suspensão na competência {}</caption><thead><tr>\
         <th scope=\"col\">INE</th><th scope=\"col\">Município</th><th scope=\"col\">Situação</th>\
         <th scope=\"col\">Regras</th></tr></thead><tbody>",
        esc(c)
    );
    // The state's municipalities share the IBGE's first two digits, so the scan is of that state only.
    let prefix = super::municipalities()
        .iter()
        .find(|r| r.uf == uf)
        .map(|r| format!("{c}/{}", &r.ibge.to_string()[..2]))
        .unwrap_or_else(|| format!("{c}/--"));
    for (_, statuses) in store.scan(tree::SITUACAO, &prefix).map_err(storage)? {
        for status in statuses.as_array().into_iter().flatten() {
            let pct = status["suspension_pct"].as_u64().unwrap_or(0);
            if pct == 0 {
                continue;
            }
            let ine = esc(status["ine"].as_str().unwrap_or(""));
            let ibge = esc(status["ibge"].as_str().unwrap_or(""));
            let reasons = status["reasons"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|r| format!("<span class=\"regra\">{}</span>", esc(r)))
                .collect::<Vec<_>>()
                .join(" ");
            let _ = write!(
                out,
                "<tr><td><a href=\"/painel/equipe/{}/{ine}\">{ine}</a></td>\
                 <td><a href=\"/painel/municipio/{ibge}\">{ibge}</a></td><td>{}</td><td>{reasons}</td></tr>",
                esc(c),
                badge(pct)
            );
        }
    }
    out.push_str("</tbody></table>");
    Ok(out)
}

/// The only script of the page: follows `/eventos` for the state's suspension decisions; the browser
/// resumes by itself from the last id it saw (`Last-Event-ID`) when the connection drops.
const LIVE_SCRIPT: &str = r#"
(function () {
  var estado = document.getElementById('estado-feed');
  if (!window.EventSource) { return; }
  var corpo = document.querySelector('#ao-vivo tbody');
  var fonte = new EventSource('/eventos?uf={UF}&tipo=suspensao');
  var nomes = { suspension_applied: 'aplicada', suspension_changed: 'alterada', suspension_lifted: 'levantada' };
  fonte.onopen = function () { estado.textContent = 'Conectado: novas decisões aparecem no topo da tabela.'; };
  fonte.onerror = function () { estado.textContent = 'Conexão interrompida; reconectando…'; };
  fonte.addEventListener('suspensao', function (e) {
    var d = JSON.parse(e.data), p = d.payload, tr = document.createElement('tr');
    [e.lastEventId, nomes[d.type] || d.type, p.ine, p.ibge, p.competencia, p.pct + ' %', p.reasons.join(' ')]
      .forEach(function (v) { var td = document.createElement('td'); td.textContent = v; tr.appendChild(td); });
    corpo.insertBefore(tr, corpo.firstChild);
  });
})();
"#;
