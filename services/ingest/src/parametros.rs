//! `repasse ingest parametros`: parameter tables as published by portaria, as JSON — one table
//! (`{"table", "from_parcela", "portaria", "values"}`, the fields of the `parameter_table` fact) or a list
//! of them. Each table is checked against the ledger's tables before anything is written (an unknown
//! table or key, a value of the wrong kind): what the fold would refuse at its position is set aside here,
//! naming the table and key (`services/rules/PARAMETERS.md`).

use std::path::Path;

use repasse_proto::Fact;
use repasse_rules::params::{ParamError, Params};
use serde_json::Value;

use crate::files::{Error, Parsed, Quarantined};

pub fn read(path: &Path) -> Result<Parsed, Error> {
    let value = crate::fns::read_json(path)?;
    let items = match value {
        Value::Array(items) => items,
        object @ Value::Object(_) => vec![object],
        _ => {
            return Err(Error::refused(
                path,
                "esperada uma tabela de parâmetros (objeto com table, from_parcela, portaria, values) ou uma lista delas",
            ));
        }
    };
    let file = path.display().to_string();
    let mut parsed = Parsed::default();
    let mut params = Params::default();
    for (i, mut item) in items.into_iter().enumerate() {
        let at = |field: &str| format!("[{i}].{field}");
        if let Some(object) = item.as_object_mut() {
            object.insert("type".into(), Value::String("parameter_table".into()));
        }
        let fact = match Fact::from_json_value(item.clone()) {
            Ok(Fact::ParameterTable(table)) => table,
            Ok(_) => unreachable!("the type was set to parameter_table"),
            Err((field, reason)) => {
                let value = item
                    .pointer(&format!("/{}", field.replace('.', "/")))
                    .map(Value::to_string)
                    .unwrap_or_default();
                parsed.quarantine.push(Quarantined::new(
                    &file,
                    (i + 1) as u64,
                    &at(&field),
                    &value,
                    &reason,
                ));
                continue;
            }
        };
        // Checked in order, each against the tables as the earlier ones of the file left them.
        if let Err(e) = params.publish(&fact, i as u64) {
            let field = match &e {
                ParamError::UnknownTable { .. } => at("table"),
                ParamError::UnknownKey { key, .. } | ParamError::BadValue { key, .. } => {
                    at(&format!("values.{key}"))
                }
            };
            parsed.quarantine.push(Quarantined::new(
                &file,
                (i + 1) as u64,
                &field,
                &fact.table,
                &e.to_string(),
            ));
            continue;
        }
        parsed
            .facts
            .push((Fact::ParameterTable(fact), (i + 1) as u32));
    }
    Ok(parsed)
}
