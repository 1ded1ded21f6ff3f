//! `repasse ingest relatorio`: the e-Gestor APS payment report (`docs/spec/FORMATS.md` §4), as JSON:
//! - the `COMPLETO` report (`resumosPlanosOrcamentarios`, `pagamentos`): each plano's line of a parcela
//!   becomes a `published_statement` kept for reconciliation; for the parcelas before the new model
//!   (before 2024-05) it is also the history of transfers, a `historical_transfer` (RECOMP.BASE);
//! - a municipality's team detail (`relatorio-detalhado`, `validacoesEquipes`): one `published_team` per
//!   team, with its composition and each suspension flag.
//!
//! The parcela is the report's `nuCompCnes` plus two months (CAL.PARCELA); `nuParcela` (`AAAAPP`, the
//! installment within the year) is checked against it. Planos the ledger does not compute (per capita,
//! the transition incentive, …) are counted and left out. `pagamentos[]` (≈ 180 keys per row) is read as
//! a map and only counted: its totals repeat the statements.

use std::path::Path;

pub mod write;

use repasse_proto::fact::{HistoricalTransfer, PublishedStatement, PublishedTeam};
use repasse_proto::{Competencia, Fact, Ibge, Ine, Money, Parcela, Plano};
use serde_json::Value;

use crate::files::{Error, Parsed, Quarantined};
use crate::fns::{money, read_json};
use crate::table::normalise;

/// The first parcela of the new model (CAL.NOVO_MODELO): earlier lines are the history of transfers.
fn novo_modelo() -> Parcela {
    Parcela::new(2024, 5).expect("a valid parcela")
}

/// Reads a report whole; `ibge` and `parcela` for a team detail that does not name them.
pub fn read(path: &Path, ibge: Option<Ibge>, parcela: Option<Parcela>) -> Result<Parsed, Error> {
    let value = read_json(path)?;
    let file = path.display().to_string();
    let mut parsed = Parsed::default();
    if let Some(rows) = value
        .get("resumosPlanosOrcamentarios")
        .and_then(Value::as_array)
    {
        statements(&file, rows, &mut parsed);
        let payments = value
            .get("pagamentos")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        parsed.notes.push(format!(
            "{} linhas de resumosPlanosOrcamentarios; {payments} linhas de pagamentos lidas e não comparadas (repetem os totais por plano)",
            rows.len()
        ));
    } else if let Some(teams) = value.get("validacoesEquipes").and_then(Value::as_array) {
        let ibge = match field_text(&value, &["coMunicipioIbge", "coMunicipio"]) {
            Some(text) => text
                .parse::<Ibge>()
                .map_err(|e| Error::refused(path, format!("coMunicipio: {e}")))?,
            None => ibge.ok_or_else(|| {
                Error::refused(
                    path,
                    "o detalhe de equipes não nomeia o município: informe --ibge",
                )
            })?,
        };
        let parcela = match report_parcela(&value) {
            Some(Ok(p)) => p,
            Some(Err(reason)) => return Err(Error::refused(path, reason)),
            None => parcela.ok_or_else(|| {
                Error::refused(
                    path,
                    "o detalhe de equipes não nomeia a parcela: informe --parcela",
                )
            })?,
        };
        for (i, team) in teams.iter().enumerate() {
            match published_team(team, ibge, parcela) {
                Ok(fact) => parsed
                    .facts
                    .push((Fact::PublishedTeam(fact), (i + 1) as u32)),
                Err((field, value, reason)) => parsed.quarantine.push(Quarantined::new(
                    &file,
                    (i + 1) as u64,
                    &format!("validacoesEquipes[{i}].{field}"),
                    &value,
                    &reason,
                )),
            }
        }
    } else {
        return Err(Error::refused(
            path,
            "formato desconhecido: esperado o relatório COMPLETO (resumosPlanosOrcamentarios) ou o detalhe de equipes (validacoesEquipes)",
        ));
    }
    Ok(parsed)
}

fn statements(file: &str, rows: &[Value], parsed: &mut Parsed) {
    let mut other_planos = 0u64;
    for (i, row) in rows.iter().enumerate() {
        let line = (i + 1) as u64;
        let quarantine = |field: &str, value: String, reason: String| {
            Quarantined::new(
                file,
                line,
                &format!("resumosPlanosOrcamentarios[{i}].{field}"),
                &value,
                &reason,
            )
        };
        let description = field_text(row, &["dsPlanoOrcamentario"]).unwrap_or_default();
        let Some(plano) = plano_of_report(&description) else {
            other_planos += 1;
            continue;
        };
        let ibge = match field_text(row, &["coMunicipioIbge"]) {
            None => Err((String::new(), "campo ausente".to_owned())),
            Some(text) => text.parse::<Ibge>().map_err(|e| (text, e.to_string())),
        };
        let ibge = match ibge {
            Ok(ibge) => ibge,
            Err((value, reason)) => {
                parsed
                    .quarantine
                    .push(quarantine("coMunicipioIbge", value, reason));
                continue;
            }
        };
        let parcela = match report_parcela(row) {
            Some(Ok(p)) => p,
            Some(Err(reason)) => {
                parsed.quarantine.push(quarantine(
                    "nuCompCnes",
                    field_text(row, &["nuCompCnes"]).unwrap_or_default(),
                    reason,
                ));
                continue;
            }
            None => {
                parsed.quarantine.push(quarantine(
                    "nuCompCnes",
                    String::new(),
                    "parcela ausente (nuCompCnes e nuParcela)".into(),
                ));
                continue;
            }
        };
        let amounts = match amounts(row) {
            Ok(a) => a,
            Err((key, reason)) => {
                let shown = row.get(&key).map(Value::to_string).unwrap_or_default();
                parsed.quarantine.push(quarantine(&key, shown, reason));
                continue;
            }
        };
        let [integral, desconto, ajuste, efetivo, implantacao] = amounts[..] else {
            unreachable!("five amounts")
        };
        let zero = Money::ZERO;
        // The report writes discounts negative; statements show them positive.
        let desconto = if desconto < zero {
            zero - desconto
        } else {
            desconto
        };
        if parcela < novo_modelo() {
            let fact = Fact::HistoricalTransfer(HistoricalTransfer {
                ibge,
                parcela,
                plano,
                amount: efetivo,
            });
            parsed.facts.push((fact, line as u32));
        }
        let fact = Fact::PublishedStatement(PublishedStatement {
            ibge,
            parcela,
            plano,
            integral,
            desconto,
            ajuste,
            efetivo,
            implantacao,
        });
        parsed.facts.push((fact, line as u32));
    }
    if other_planos > 0 {
        parsed.skipped += other_planos;
        parsed.notes.push(format!(
            "{other_planos} linhas de planos que o razão não calcula (per capita, incentivo de transição, …) deixadas de fora"
        ));
    }
}

/// The five amounts of a statement line, in reais: integral, desconto, ajuste, efetivo, implantação.
fn amounts(row: &Value) -> Result<Vec<Money>, (String, String)> {
    [
        "vlIntegral",
        "vlDesconto",
        "vlAjuste",
        "vlEfetivoRepasse",
        "vlTotalImplantacao",
    ]
    .iter()
    .map(|key| match row.get(*key) {
        None | Some(Value::Null) if *key == "vlTotalImplantacao" || *key == "vlAjuste" => {
            Ok(Money::ZERO)
        }
        value => money(value).map_err(|r| ((*key).to_owned(), r)),
    })
    .collect()
}

/// The plano of the report's `dsPlanoOrcamentario` (the exact strings of FORMATS.md §4).
fn plano_of_report(description: &str) -> Option<Plano> {
    match normalise(description).as_str() {
        "EQUIPESDESAUDEDAFAMILIAESFEEQUIPESDEATENCAOPRIMARIAEAP" => Some(Plano::EsfEap),
        "AGENTESCOMUNITARIOSDESAUDE" => Some(Plano::Acs),
        "ATENCAOASAUDEBUCAL" => Some(Plano::SaudeBucal),
        "EQUIPESMULTIPROFISSIONAISEMULTI" => Some(Plano::EMulti),
        "DEMAISPROGRAMASSERVICOSEEQUIPESDAATENCAOPRIMARIAASAUDE" => Some(Plano::Demais),
        _ => None,
    }
}

/// A field as text (strings trimmed, numbers as written), the first of `keys` present.
fn field_text(value: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match value.get(*k)? {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// The parcela of a report row: `nuCompCnes` + 2 months (CAL.PARCELA), checked against `nuParcela`.
fn report_parcela(row: &Value) -> Option<Result<Parcela, String>> {
    let from_compact = |text: &str| -> Option<(u16, u8)> {
        (text.len() == 6 && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| (text[..4].parse().ok(), text[4..].parse().ok()))
            .and_then(|(y, m)| Some((y?, m?)))
    };
    let installment = field_text(row, &["nuParcela"]);
    let by_installment = installment
        .as_deref()
        .and_then(from_compact)
        .and_then(|(y, m)| Parcela::new(y, m));
    let Some(comp) = field_text(row, &["nuCompCnes"]) else {
        return by_installment.map(Ok);
    };
    let Some(c) = from_compact(&comp).and_then(|(y, m)| Competencia::new(y, m)) else {
        return Some(Err(format!(
            "nuCompCnes \"{comp}\" inválido: esperado AAAAMM"
        )));
    };
    let parcela = c.parcela();
    match by_installment {
        Some(p) if p != parcela => Some(Err(format!(
            "nuParcela {} não corresponde a nuCompCnes {comp} (CAL.PARCELA: parcela {parcela})",
            installment.unwrap_or_default()
        ))),
        _ => Some(Ok(parcela)),
    }
}

fn published_team(
    team: &Value,
    ibge: Ibge,
    parcela: Parcela,
) -> Result<PublishedTeam, (String, String, String)> {
    let ine_text = field_text(team, &["coEquipe", "coEquipeEsb"]).unwrap_or_default();
    let ine: Ine = format!("{ine_text:0>10}")
        .parse()
        .map_err(|e: repasse_proto::IdError| {
            ("coEquipe".to_owned(), ine_text.clone(), e.to_string())
        })?;
    let composition_pct = match field_text(team, &["composicao"]) {
        None => None,
        Some(text) => {
            let pct = text
                .trim_end_matches('%')
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| [25, 50, 75, 100].contains(p));
            Some(pct.ok_or_else(|| {
                (
                    "composicao".to_owned(),
                    text.clone(),
                    "esperado \"100%\", \"75%\", \"50%\" ou \"25%\"".to_owned(),
                )
            })?)
        }
    };
    let flag = |key: &str| -> Result<bool, (String, String, String)> {
        let Some(text) = field_text(team, &[key]) else {
            return Ok(false);
        };
        match normalise(&text).as_str() {
            "SUSPENSO" | "SIM" => Ok(true),
            "NAOSUSPENSO" | "NAO" | "" => Ok(false),
            _ => Err((
                key.to_owned(),
                text,
                "esperado \"SUSPENSO\"/\"NÃO SUSPENSO\" ou \"SIM\"/\"NÃO\"".to_owned(),
            )),
        }
    };
    let paid = match field_text(team, &["stPagamento"]) {
        None => true,
        Some(text) => {
            let plain = normalise(&text);
            plain == "VALIDO" || plain == "PAGO"
        }
    };
    Ok(PublishedTeam {
        ibge,
        parcela,
        ine,
        composition_pct,
        paid,
        duplicity: flag("stSuspensaoDuplicidadeEsf")?,
        production: flag("stSuspensaoProducao")?,
        composition: flag("stSuspensaoComposicaoProprc")?,
        control_body: flag("stSuspensaoOrgControle")?,
        over_hours: flag("stPossuiProfAcimacargahora")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_planos_are_the_exact_published_strings() {
        assert_eq!(
            plano_of_report(
                "Equipes de Saúde da Família - eSF e equipes de Atenção Primária - eAP"
            ),
            Some(Plano::EsfEap)
        );
        assert_eq!(
            plano_of_report("Agentes Comunitários de Saúde"),
            Some(Plano::Acs)
        );
        assert_eq!(
            plano_of_report("Atenção à Saúde Bucal"),
            Some(Plano::SaudeBucal)
        );
        assert_eq!(
            plano_of_report("Componente per capita de base populacional"),
            None
        );
    }

    #[test]
    fn the_parcela_is_the_cnes_competencia_plus_two_and_must_agree_with_nu_parcela() {
        let row = serde_json::json!({"nuCompCnes": "202411", "nuParcela": "202501"});
        assert_eq!(
            report_parcela(&row).unwrap().unwrap().to_string(),
            "2025-01"
        );
        let wrong = serde_json::json!({"nuCompCnes": "202411", "nuParcela": "202502"});
        assert!(report_parcela(&wrong).unwrap().is_err());
        let numbers = serde_json::json!({"nuCompCnes": 202503});
        assert_eq!(
            report_parcela(&numbers).unwrap().unwrap().to_string(),
            "2025-05"
        );
    }
}
