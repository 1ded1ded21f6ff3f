//! `{"type": "file", "source": "cnes", "path": "BASE.ZIP"}` among a case's facts: a real-layout file read
//! by the ledger's own reader (`repasse ingest <source>`), its facts entering at that point of the list.
//! What the file does not say is given beside it, as on the command line: `competencia` and
//! `received_on` (sisab), `ibge` (fns, the report's team detail), `parcela` (the team detail).
//! A file the reader refuses, or any record it sets aside, fails the case: a fixture is exact.

use std::path::Path;

use repasse_ingest::sisab::Received;
use repasse_ingest::sources::{self, Options, Source};
use repasse_proto::Fact;
use serde_json::{Map, Value};

use crate::format::PathError;

/// The facts a `file` item stands for, each with the item's index.
pub(crate) fn facts(
    index: usize,
    object: Map<String, Value>,
    base: &Path,
) -> Result<Vec<(Fact, usize)>, PathError> {
    let at = |field: &str| format!("facts[{index}].{field}");
    let text = |field: &str| -> Result<Option<String>, PathError> {
        match object.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err((at(field), "esperado texto".to_owned())),
        }
    };
    for key in object.keys() {
        if ![
            "type",
            "source",
            "path",
            "competencia",
            "received_on",
            "ibge",
            "parcela",
        ]
        .contains(&key.as_str())
        {
            return Err((
                at(key),
                "campo desconhecido (esperado source, path e, conforme a fonte, competencia, received_on, ibge, parcela)".to_owned(),
            ));
        }
    }
    let source: Source = text("source")?
        .ok_or_else(|| (at("source"), "campo obrigatório ausente".to_owned()))?
        .parse()
        .map_err(|e: String| (at("source"), e))?;
    let relative =
        text("path")?.ok_or_else(|| (at("path"), "campo obrigatório ausente".to_owned()))?;
    let parse = |field: &str| -> Result<Option<String>, PathError> { text(field) };
    let options = Options {
        competencia: parse("competencia")?
            .map(|t| {
                t.parse()
                    .map_err(|e: repasse_proto::PeriodError| (at("competencia"), e.to_string()))
            })
            .transpose()?,
        received: parse("received_on")?
            .map(|t| match t.as_str() {
                "deadline" => Ok(Received::Deadline),
                date => date
                    .parse()
                    .map(Received::On)
                    .map_err(|e: repasse_proto::DateError| (at("received_on"), e.to_string())),
            })
            .transpose()?,
        ibge: parse("ibge")?
            .map(|t| {
                t.parse()
                    .map_err(|e: repasse_proto::IdError| (at("ibge"), e.to_string()))
            })
            .transpose()?,
        parcela: parse("parcela")?
            .map(|t| {
                t.parse()
                    .map_err(|e: repasse_proto::PeriodError| (at("parcela"), e.to_string()))
            })
            .transpose()?,
    };
    let path = base.join(&relative);
    let parsed = sources::read(source, &path, &options, &mut |_, _| {})
        .map_err(|e| (at("path"), e.to_string()))?;
    if let Some(q) = parsed.quarantine.first() {
        return Err((
            at("path"),
            format!(
                "{} registros em quarentena; o primeiro: linha {} {}: {} ({})",
                parsed.quarantine.len(),
                q.line,
                q.field,
                q.reason,
                q.value
            ),
        ));
    }
    Ok(parsed
        .facts
        .into_iter()
        .map(|(fact, _)| (fact, index))
        .collect())
}
