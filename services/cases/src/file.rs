//! `{"type": "file", "source": "cnes", "path": "BASE.ZIP"}` among a case's facts: a real-layout file read
//! by the ledger's own reader (`repasse ingest <source>`), its facts entering at that point of the list.
//! What the file does not say is given beside it, as on the command line: `competencia` and
//! `received_on` (sisab), `ibge` (fns, the report's team detail), `parcela` (the team detail).
//! A file the reader refuses, or any record it sets aside, fails the case: a fixture is exact.

use std::path::Path;

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
    let source: Source = optional(&object, "source", at("source"))?
        .ok_or_else(|| (at("source"), "campo obrigatório ausente".to_owned()))?;
    let relative: String = optional(&object, "path", at("path"))?
        .ok_or_else(|| (at("path"), "campo obrigatório ausente".to_owned()))?;
    let options = Options {
        competencia: optional(&object, "competencia", at("competencia"))?,
        received: optional(&object, "received_on", at("received_on"))?,
        ibge: optional(&object, "ibge", at("ibge"))?,
        parcela: optional(&object, "parcela", at("parcela"))?,
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

/// A text field of the item read as `T`, absent as `None`, an error at `path` naming what was wrong.
fn optional<T: std::str::FromStr>(
    object: &Map<String, Value>,
    name: &str,
    path: String,
) -> Result<Option<T>, PathError>
where
    T::Err: std::fmt::Display,
{
    match object.get(name) {
        None => Ok(None),
        Some(Value::String(text)) => text
            .parse()
            .map(Some)
            .map_err(|e: T::Err| (path, e.to_string())),
        Some(_) => Err((path, "esperado texto".to_owned())),
    }
}
