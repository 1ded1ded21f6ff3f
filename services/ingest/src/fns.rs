//! `repasse ingest fns`: the Fund's payment orders, as the public "consulta detalhada de pagamento" route
//! `detalhe-pagamento` returns them (`docs/spec/FORMATS.md` §5), one `transfer_executed` per order (OB).
//!
//! What the route does not make easy, and how it is read:
//! - the envelope `{"resultado":{"dados":[…]}}` (a bare list or `{"dados":[…]}` is accepted too);
//! - money as a JSON number or a string (`"10.10"`), in reais: read as decimal centavos, never as a float;
//! - the competência is a label: `"05/12 em 2026"` (parcela 5 of 12 of 2026 → parcela 2026-05) or
//!   `"NOV de 2024"`; `"Única em 2026"` is not a monthly parcela and is set aside;
//! - the label's known mojibake (UTF-8 read as Latin-1: `"Ãšnica"`) is repaired;
//! - the rows name no municipality: the IBGE comes from the row when it has one (`codigoIBGE`), else from
//!   the command line (`--ibge`), as the route is asked per municipality;
//! - the plano comes from the programme's description; a rejected order (`motivoRejeicao`) or an annulled
//!   amount (`valorAnulacao`) is not money paid.

use std::path::Path;

pub mod write;

use repasse_proto::fact::TransferExecuted;
use repasse_proto::{Fact, Ibge, Money, Parcela, Plano};
use serde_json::Value;

use crate::files::{Error, Parsed, Quarantined};
use crate::table::{normalise, unaccented};

/// Reads a page of payment orders whole; `ibge` for rows that do not name their municipality.
pub fn read(path: &Path, ibge: Option<Ibge>) -> Result<Parsed, Error> {
    let value = read_json(path)?;
    let rows = value
        .pointer("/resultado/dados")
        .or_else(|| value.get("dados"))
        .or(Some(&value))
        .and_then(Value::as_array)
        .ok_or_else(|| {
            Error::refused(
                path,
                "esperado o JSON de detalhe-pagamento ({\"resultado\":{\"dados\":[…]}}) ou uma lista de ordens",
            )
        })?;
    let file = path.display().to_string();
    let mut parsed = Parsed::default();
    for (i, row) in rows.iter().enumerate() {
        let line = (i + 1) as u64;
        match order(row, ibge) {
            Ok(fact) => parsed
                .facts
                .push((Fact::TransferExecuted(fact), line as u32)),
            Err((field, value, reason)) => parsed.quarantine.push(Quarantined::new(
                &file,
                line,
                &format!("dados[{i}].{field}"),
                &value,
                &reason,
            )),
        }
    }
    Ok(parsed)
}

/// A JSON file, refused whole when it is not UTF-8 JSON.
pub(crate) fn read_json(path: &Path) -> Result<Value, Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::refused(path, format!("não foi possível ler o arquivo: {e}")))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        Error::refused(
            path,
            format!(
                "não é UTF-8 (byte {}); esperado JSON em UTF-8",
                e.valid_up_to() + 1
            ),
        )
    })?;
    serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| {
        Error::refused(
            path,
            format!(
                "JSON inválido na linha {}, coluna {}: {e}",
                e.line(),
                e.column()
            ),
        )
    })
}

type Refusal = (String, String, String);

fn order(row: &Value, ibge: Option<Ibge>) -> Result<TransferExecuted, Refusal> {
    let text = |key: &str| row.get(key).map(shown).unwrap_or_default();
    let refusal = |key: &str, reason: &str| (key.to_owned(), text(key), reason.to_owned());
    if !text("motivoRejeicao").is_empty() {
        return Err(refusal(
            "motivoRejeicao",
            "ordem bancária rejeitada: não é pagamento",
        ));
    }
    let label = text("competencia");
    let parcela = parcela_of_label(&label)
        .map_err(|reason| ("competencia".to_owned(), label.clone(), reason))?;
    let ibge = match ["codigoIBGE", "codigoMunicipioIBGE", "coMunicipioIbge"]
        .iter()
        .find(|k| row.get(**k).is_some())
    {
        Some(key) => text(key)
            .parse::<Ibge>()
            .map_err(|e| refusal(key, &e.to_string()))?,
        None => {
            ibge.ok_or_else(|| refusal("codigoIBGE", "município ausente na ordem: informe --ibge"))?
        }
    };
    let description = row
        .pointer("/id/programaFundo/descricao")
        .map(shown)
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| text("nomeComponente"));
    let plano = plano_of_programme(&description).ok_or_else(|| {
        (
            "id.programaFundo.descricao".to_owned(),
            description.clone(),
            "programa fora dos planos do Piso da APS calculados pelo razão".to_owned(),
        )
    })?;
    let net = money(row.get("valorLiquido")).map_err(|r| refusal("valorLiquido", &r))?;
    let annulled = match row.get("valorAnulacao") {
        None | Some(Value::Null) => Money::ZERO,
        some => money(some).map_err(|r| refusal("valorAnulacao", &r))?,
    };
    let number = text("numeroDocumentoSiafi");
    if number.is_empty() {
        return Err(refusal(
            "numeroDocumentoSiafi",
            "número da ordem bancária ausente",
        ));
    }
    let paid_on = crate::table::dump_date(&text("dataCriacaoSiafi"))
        .map_err(|r| refusal("dataCriacaoSiafi", &r))?
        .ok_or_else(|| refusal("dataCriacaoSiafi", "data da ordem bancária ausente"))?;
    let year = text("anoPagamento");
    let kind = Some(text("tipoDocumentoPagamento"))
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| "OB".into());
    Ok(TransferExecuted {
        ibge,
        parcela,
        plano,
        amount: net - annulled,
        bank_order: format!("{year}{kind}{number}"),
        paid_on,
    })
}

/// A value as text: strings as they are, numbers as written.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Money in reais as a JSON number or string, to the centavo.
pub(crate) fn money(value: Option<&Value>) -> Result<Money, String> {
    let text = match value {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.trim().to_owned(),
        _ => return Err("valor ausente: esperado um número em reais".into()),
    };
    text.parse::<Money>().map_err(|_| {
        format!("valor \"{text}\" inválido: esperado reais com até duas casas decimais")
    })
}

/// UTF-8 text that was read as Windows-1252 or Latin-1 (`Ãšnica`) back to what it was (`Única`); other
/// text unchanged.
pub fn repair_mojibake(text: &str) -> String {
    if !text.contains(['Ã', 'Â']) {
        return text.to_owned();
    }
    let bytes: Option<Vec<u8>> = text.chars().map(cp1252_byte).collect();
    bytes
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_else(|| text.to_owned())
}

/// The byte Windows-1252 writes as `c` (Latin-1 beside it, the 0x80–0x9F specials of 1252).
fn cp1252_byte(c: char) -> Option<u8> {
    const SPECIALS: [(char, u8); 27] = [
        ('€', 0x80),
        ('‚', 0x82),
        ('ƒ', 0x83),
        ('„', 0x84),
        ('…', 0x85),
        ('†', 0x86),
        ('‡', 0x87),
        ('ˆ', 0x88),
        ('‰', 0x89),
        ('Š', 0x8A),
        ('‹', 0x8B),
        ('Œ', 0x8C),
        ('Ž', 0x8E),
        ('‘', 0x91),
        ('’', 0x92),
        ('“', 0x93),
        ('”', 0x94),
        ('•', 0x95),
        ('–', 0x96),
        ('—', 0x97),
        ('˜', 0x98),
        ('™', 0x99),
        ('š', 0x9A),
        ('›', 0x9B),
        ('œ', 0x9C),
        ('ž', 0x9E),
        ('Ÿ', 0x9F),
    ];
    u8::try_from(u32::from(c))
        .ok()
        .or_else(|| SPECIALS.iter().find(|(s, _)| *s == c).map(|(_, b)| *b))
}

/// The parcela a payment label names: `"05/12 em 2026"` → 2026-05, `"NOV de 2024"` → 2024-11.
pub fn parcela_of_label(label: &str) -> Result<Parcela, String> {
    const MONTHS: [&str; 12] = [
        "JAN", "FEV", "MAR", "ABR", "MAI", "JUN", "JUL", "AGO", "SET", "OUT", "NOV", "DEZ",
    ];
    let repaired = unaccented(&repair_mojibake(label)).to_uppercase();
    let words: Vec<&str> = repaired.split_whitespace().collect();
    let expected = || {
        format!(
            "competência \"{label}\" não é de parcela mensal; esperado \"PP/12 em AAAA\" ou \"MMM de AAAA\""
        )
    };
    let (first, year) = match words.as_slice() {
        [first, "EM" | "DE", year] => (*first, *year),
        _ => return Err(expected()),
    };
    let year: u16 = year.parse().map_err(|_| expected())?;
    let month = if let Some((n, of)) = first.split_once('/') {
        if of != "12" {
            return Err(expected());
        }
        n.parse::<u8>().map_err(|_| expected())?
    } else {
        MONTHS
            .iter()
            .position(|m| first.starts_with(m))
            .map(|i| i as u8 + 1)
            .ok_or_else(expected)?
    };
    Parcela::new(year, month).ok_or_else(expected)
}

/// The plano of a programme's description (Piso da APS programmes of the Fund's payment orders).
pub fn plano_of_programme(description: &str) -> Option<Plano> {
    let text = normalise(description);
    if text.contains("AGENTESCOMUNITARIOS") || text.contains("AGENTECOMUNITARIO") {
        Some(Plano::Acs)
    } else if text.contains("SAUDEBUCAL") {
        Some(Plano::SaudeBucal)
    } else if text.contains("MULTIPROFISSIONA") || text.contains("EMULTI") {
        Some(Plano::EMulti)
    } else if text.contains("SAUDEDAFAMILIA") || text.contains("EQUIPESDEATENCAOPRIMARIA") {
        Some(Plano::EsfEap)
    } else if text.contains("DEMAISPROGRAMAS") {
        Some(Plano::Demais)
    } else if text.contains("AMBULATORIALESPECIALIZADA")
        || text.contains("MAISACESSOAESPECIALISTAS")
    {
        // [interp] The PAR incentive of Portaria 3.492/2024: no published order of it was seen; named by
        // the programme's own words.
        Some(Plano::Aae)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_labels_name_their_parcela() {
        assert_eq!(
            parcela_of_label("05/12 em 2026").unwrap().to_string(),
            "2026-05"
        );
        assert_eq!(
            parcela_of_label("NOV de 2024").unwrap().to_string(),
            "2024-11"
        );
        assert!(parcela_of_label("Única em 2026").is_err());
        assert!(
            parcela_of_label("Ãšnica em 2026")
                .unwrap_err()
                .contains("Ãšnica")
        );
        assert!(parcela_of_label("13/12 em 2026").is_err());
    }

    #[test]
    fn mojibake_is_repaired_and_plain_text_kept() {
        assert_eq!(repair_mojibake("Ãšnica"), "Única");
        assert_eq!(repair_mojibake("Única"), "Única");
        assert_eq!(repair_mojibake("SAÃšDE"), "SAÚDE");
    }

    #[test]
    fn money_is_read_from_numbers_and_strings_to_the_centavo() {
        let m = |v: Value| money(Some(&v)).map(|m| m.to_string());
        assert_eq!(m(serde_json::json!(13200.5)).unwrap(), "13200.50");
        assert_eq!(m(serde_json::json!("10.10")).unwrap(), "10.10");
        assert!(m(serde_json::json!("10,10")).is_err());
        assert!(m(serde_json::json!(0.001)).is_err());
    }

    #[test]
    fn programmes_map_to_planos() {
        assert_eq!(
            plano_of_programme("INCENTIVO FINANCEIRO DA APS - EQUIPES DE SAÚDE DA FAMÍLIA/ESF"),
            Some(Plano::EsfEap)
        );
        assert_eq!(
            plano_of_programme("INCENTIVO FINANCEIRO DA APS - SAÚDE BUCAL"),
            Some(Plano::SaudeBucal)
        );
        assert_eq!(
            plano_of_programme(
                "ASSISTÊNCIA FINANCEIRA COMPLEMENTAR - AGENTES COMUNITÁRIOS DE SAÚDE"
            ),
            Some(Plano::Acs)
        );
        assert_eq!(plano_of_programme("MÉDIA E ALTA COMPLEXIDADE"), None);
    }
}
