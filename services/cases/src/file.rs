//! `{"type": "file", "source": "cnes", "path": "BASE.ZIP"}` among a case's facts: a real-layout file read
//! by the ledger's own reader (`repasse ingest <source>`), its facts entering at that point of the list.
//! What the file does not say is given beside it, as on the command line: `competencia` and
//! `received_on` (sisab), `ibge` (fns, the report's team detail), `parcela` (the team detail).
//! A file the reader refuses, or any record it sets aside, fails the case: a fixture is exact.

use std::path::Path;

use repasse_ingest::portarias::{self, Act, Portaria};
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
            "act",
            "portaria",
            "published_on",
            "from_parcela",
            "team_type",
        ]
        .contains(&key.as_str())
        {
            return Err((
                at(key),
                "campo desconhecido (esperado source, path e, conforme a fonte, competencia, received_on, ibge, parcela; act, portaria, published_on, from_parcela, team_type)".to_owned(),
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
        portaria: portaria(&object, &at)?,
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

/// The portaria whose annex the file is (source `portarias`): `act`, `portaria`, `published_on` and
/// `from_parcela` together, `team_type` where the annex has no column of it.
fn portaria(
    object: &Map<String, Value>,
    at: &dyn Fn(&str) -> String,
) -> Result<Option<Portaria>, PathError> {
    let Some(act) = optional::<Act>(object, "act", at("act"))? else {
        return Ok(None);
    };
    let required = |name: &str| {
        object
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| (at(name), "campo obrigatório com act".to_owned()))
    };
    let from_parcela =
        portarias::parcela_of(required("from_parcela")?).map_err(|e| (at("from_parcela"), e))?;
    let team_type = match object.get("team_type").and_then(Value::as_str) {
        Some(text) => Some(portarias::team_type_arg(text).map_err(|e| (at("team_type"), e))?),
        None => None,
    };
    Ok(Some(Portaria {
        act,
        number: required("portaria")?.to_owned(),
        published_on: optional(object, "published_on", at("published_on"))?
            .ok_or_else(|| (at("published_on"), "campo obrigatório com act".to_owned()))?,
        from_parcela,
        team_type,
    }))
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
