//! Parameter tables: values of the portarias as data, versioned by start parcela with their citation.
//!
//! Compiled-in defaults come from RULES.md §5; a `parameter_table` fact publishes a new version of a table
//! from its start parcela on: the keys it gives replace those of the version before, the others carry over.
//! Table names and keys are documented in `PARAMETERS.md` beside this crate.

use std::collections::BTreeMap;
use std::sync::Arc;

use repasse_proto::fact::ParameterTable;
use repasse_proto::{Money, Parcela};

pub const FIXO: &str = "PAG.FIXO";
pub const VINCULO: &str = "PAG.VINCULO";
pub const QUALIDADE: &str = "PAG.QUALIDADE";
pub const ACS: &str = "PAG.ACS";
pub const IMPLANTACAO: &str = "PAG.IMPLANTACAO";
pub const TETO: &str = "VAL.TETO";
/// CBO code → category of RULES.md §3 (`MEDICO`, `ENFERMEIRO`, `AUX_TEC_ENF`, `ACS`, or `NENHUMA`).
pub const CBO: &str = "CBO.CATEGORIA";
/// Deadlines and counts of §1 and §4.
pub const PRAZOS: &str = "REGRAS.PRAZOS";
/// Defaults of the [interp] choices of §5.
pub const PADRAO: &str = "PAG.PADRAO";
/// RECOMP.VALOR and RECOMP.CONDICAO factors.
pub const RECOMP: &str = "RECOMP.FATORES";
/// AAE.INCENTIVO: the incentive of each population band of art. 15 §1º.
pub const AAE_INCENTIVO: &str = "AAE.INCENTIVO";
/// APERF.JANELA and APERF.RESULTADO: the adhesion window, the result's deadline and the validity.
pub const APERF: &str = "APERF.PRAZOS";

const CITATION_3493: &str = "Portaria GM/MS 3.493/2024 (FAQ Q4–Q11, Figura 3)";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("tabela de parâmetros \"{table}\" desconhecida; esperada uma de {expected}")]
    UnknownTable { table: String, expected: String },
    #[error("tabela \"{table}\": chave \"{key}\" desconhecida")]
    UnknownKey { table: String, key: String },
    #[error("tabela \"{table}\", chave \"{key}\": valor inválido {value}; esperado {expected}")]
    BadValue {
        table: String,
        key: String,
        value: String,
        expected: &'static str,
    },
}

/// One version of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableVersion {
    pub from: Parcela,
    /// Shared with every amount computed from this version (hundreds of thousands of lines a parcela).
    pub citation: Arc<str>,
    /// Position of the `parameter_table` fact, `None` for compiled-in defaults.
    pub position: Option<u64>,
    /// Values as validated text (money `18000.00`, numbers `0.75`, words `bom`, competências `2025-04`).
    pub values: BTreeMap<Arc<str>, String>,
}

/// What a table's values are, checked when a version is published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Money,
    Number,
    Category,
    Words,
    /// Dates (`*_inicio`, `*_fim`) and whole numbers.
    Calendar,
}

fn kind(table: &str) -> Kind {
    match table {
        CBO => Kind::Category,
        PRAZOS | RECOMP => Kind::Number,
        PADRAO => Kind::Words,
        APERF => Kind::Calendar,
        _ => Kind::Money,
    }
}

/// Checks one value of a table of `kind`; `None` when it is not of that kind.
fn valid(kind: Kind, key: &str, value: &str) -> bool {
    match kind {
        Kind::Money => value.parse::<Money>().is_ok(),
        Kind::Number if key.ends_with("_desde") => {
            value.parse::<repasse_proto::Competencia>().is_ok()
        }
        // Counts, hours, months and factors: bounded, so that no date arithmetic leaves the calendar.
        Kind::Number => value
            .parse::<rust_decimal::Decimal>()
            .is_ok_and(|d| !d.is_sign_negative() && d <= rust_decimal::Decimal::ONE_THOUSAND),
        Kind::Category => {
            ["MEDICO", "ENFERMEIRO", "AUX_TEC_ENF", "ACS", "NENHUMA"].contains(&value)
        }
        Kind::Words => value.parse::<repasse_proto::Classe>().is_ok(),
        Kind::Calendar if key.ends_with("_inicio") || key.ends_with("_fim") => {
            value.parse::<repasse_proto::Date>().is_ok()
        }
        Kind::Calendar => value.parse::<u32>().is_ok_and(|n| n <= 1_000),
    }
}

/// What a value of `kind` must be, for the error that refuses one.
fn expected_of(kind: Kind, key: &str) -> &'static str {
    match kind {
        Kind::Money => "decimal com até 2 casas em texto, ex. \"18000.00\"",
        Kind::Number if key.ends_with("_desde") => "competência em texto, ex. \"2025-04\"",
        Kind::Number => "número não negativo até 1000 em texto, ex. \"10\"",
        Kind::Category => "MEDICO, ENFERMEIRO, AUX_TEC_ENF, ACS ou NENHUMA",
        Kind::Words => "uma classe: otimo, bom, suficiente ou regular",
        Kind::Calendar if key.ends_with("_inicio") || key.ends_with("_fim") => {
            "data em texto, ex. \"2025-11-30\""
        }
        Kind::Calendar => "número inteiro até 1000 em texto, ex. \"24\"",
    }
}

/// A value as used in a computation: what an explanation cites.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ParamUse {
    pub table: &'static str,
    pub key: Arc<str>,
    pub version_from: Parcela,
    pub citation: Arc<str>,
    pub value: Money,
    pub position: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    tables: BTreeMap<String, Vec<TableVersion>>,
}

fn m(text: &str) -> Money {
    text.parse().expect("compiled-in parameter")
}

/// A compiled-in table; money values are checked here so that a typo fails every test at once.
fn table(entries: &[(&str, &str)]) -> BTreeMap<Arc<str>, String> {
    entries
        .iter()
        .map(|(k, v)| (Arc::from(*k), (*v).to_owned()))
        .collect()
}

fn money_table(entries: &[(&str, &str)]) -> BTreeMap<Arc<str>, String> {
    entries
        .iter()
        .map(|(k, v)| (Arc::from(*k), m(v).to_string()))
        .collect()
}

impl Default for Params {
    fn default() -> Self {
        let from = crate::calendar::novo_modelo_from();
        let version = |values, citation: &str| {
            vec![TableVersion {
                from,
                citation: Arc::from(citation),
                position: None,
                values,
            }]
        };
        let class_table = money_table(&[
            ("eSF.otimo", "8000.00"),
            ("eSF.bom", "6000.00"),
            ("eSF.suficiente", "4000.00"),
            ("eSF.regular", "2000.00"),
            ("eAP30.otimo", "4000.00"),
            ("eAP30.bom", "3000.00"),
            ("eAP30.suficiente", "2000.00"),
            ("eAP30.regular", "1000.00"),
            ("eAP20.otimo", "3000.00"),
            ("eAP20.bom", "2250.00"),
            ("eAP20.suficiente", "1500.00"),
            ("eAP20.regular", "750.00"),
        ]);
        let mut qualidade = class_table.clone();
        // eSB and eMulti: the ótimo value; the other classes are a ladder of it (RULES.md §5.2).
        qualidade.extend(money_table(&[
            ("eSB1.otimo", "2449.00"),
            ("eSB2.otimo", "3267.00"),
            ("eSB1Q.otimo", "3673.50"),
            ("eSB2Q.otimo", "4900.50"),
            ("eMultiAmpliada.otimo", "9000.00"),
            ("eMultiComplementar.otimo", "6000.00"),
            ("eMultiEstrategica.otimo", "3000.00"),
        ]));
        let fixo = money_table(&[
            ("eSF.1", "18000.00"),
            ("eSF.2", "16000.00"),
            ("eSF.3", "14000.00"),
            ("eSF.4", "12000.00"),
            ("eAP30.1", "10800.00"),
            ("eAP30.2", "9600.00"),
            ("eAP30.3", "8400.00"),
            ("eAP30.4", "7200.00"),
            ("eAP20.1", "7200.00"),
            ("eAP20.2", "6400.00"),
            ("eAP20.3", "5600.00"),
            ("eAP20.4", "4800.00"),
            ("eSB1", "4014.00"),
            ("eSB2", "7064.00"),
            ("eSB1Q", "6021.00"),
            ("eSB2Q", "10596.00"),
            ("eMultiAmpliada", "36000.00"),
            ("eMultiComplementar", "24000.00"),
            ("eMultiEstrategica", "12000.00"),
        ]);
        let implantacao = money_table(&[
            ("eSF", "30000.00"),
            ("eAP30", "16800.00"),
            ("eAP20", "10800.00"),
            ("eSB1", "14000.00"),
            ("eSB2", "14000.00"),
            ("eSB1Q", "14000.00"),
            ("eSB2Q", "14000.00"),
            ("eMultiAmpliada", "36000.00"),
            ("eMultiComplementar", "24000.00"),
            ("eMultiEstrategica", "12000.00"),
        ]);
        // Per agent per month: 2 × the national minimum wage of the parcela's year (public payment report).
        let acs = money_table(&[("2024", "2824.00"), ("2025", "3036.00")]);
        // VAL.TETO divisors (inhabitants per team / per agent): parameters because the payment report shows
        // ceilings that do not follow the formula.
        let teto = money_table(&[
            ("eSF", "2000.00"),
            ("ACS.urbano", "400.00"),
            ("ACS.rural_norte", "280.00"),
        ]);
        let mut tables = BTreeMap::new();
        tables.insert(FIXO.to_owned(), version(fixo, CITATION_3493));
        tables.insert(VINCULO.to_owned(), version(class_table, CITATION_3493));
        tables.insert(QUALIDADE.to_owned(), version(qualidade, CITATION_3493));
        tables.insert(
            IMPLANTACAO.to_owned(),
            version(implantacao, "FAQ Portaria GM/MS 3.493/2024 Q9–Q11"),
        );
        tables.insert(
            ACS.to_owned(),
            version(
                acs,
                "Relatório público de pagamentos do FNS (2 × salário mínimo)",
            ),
        );
        tables.insert(
            TETO.to_owned(),
            version(teto, "FAQ Portaria GM/MS 3.493/2024 Q15–Q16"),
        );
        let cbo = crate::category::CBO_TABLE
            .iter()
            .map(|(code, c)| (Arc::from(format!("{code:06}")), c.code().to_owned()))
            .collect();
        tables.insert(
            CBO.to_owned(),
            version(
                cbo,
                "Documentação pública do e-SUS APS (tabela de CBO por categoria)",
            ),
        );
        let prazos = table(&[
            // CAL.SISAB_PRAZO, CAL.SISAB_DESCARTE [interp]
            ("sisab_dia_util", "10"),
            ("sisab_descarte_meses", "4"),
            // SUSP.50.SISAB, SUSP.100.ACS_SISAB, SUSP.REVOGACAO [interp]
            ("sisab_competencias", "3"),
            ("acs_sisab_competencias", "6"),
            ("revogacao_competencias", "12"),
            // SUSP.100.CARGA_60H, SUSP.50.DUPLICIDADE (NT 829/2022 §4.2.1)
            ("carga_maxima_horas", "60"),
            ("duplicidade_horas_minimas", "40"),
            // SUSP.100.SEM_CADASTRO replaces VAL.CADASTRADA from this competência [interp]
            ("sem_cadastro_desde", "2025-04"),
            // RETRO.PRAZO [interp]: the seed's table is a constant + 5 months with typos
            ("retro_prazo_meses", "5"),
        ]);
        let prazos_citation =
            "Portaria GM/MS 6.907/2025; NT 829/2022 §4–5 (escolhas [interp] de RULES.md)";
        tables.insert(PRAZOS.to_owned(), version(prazos, prazos_citation));
        let padrao = table(&[("classe", "bom")]);
        tables.insert(
            PADRAO.to_owned(),
            version(
                padrao,
                "FAQ Portaria GM/MS 3.493/2024 Q5, Q8 (PAG.TRANSICAO [interp])",
            ),
        );
        let recomp = table(&[("eAP30", "0.75"), ("eAP20", "0.5"), ("compensacao", "1.10")]);
        tables.insert(
            RECOMP.to_owned(),
            version(
                recomp,
                "PRC GM/MS 6/2017 art. 12-T; FAQ Q17 (RECOMP.CONDICAO [interp])",
            ),
        );
        tables.insert(
            AAE_INCENTIVO.to_owned(),
            version(
                money_table(&[
                    ("mais_de_1000000", "1200000.00"),
                    ("mais_de_500000", "600000.00"),
                    ("mais_de_100000", "360000.00"),
                ]),
                "Portaria GM/MS 3.492/2024, art. 15 §1º",
            ),
        );
        let aperf = table(&[
            ("adesao_inicio", "2025-11-15"),
            ("adesao_fim", "2025-11-30"),
            ("resultado_dias_uteis", "3"),
            ("validade_meses", "24"),
        ]);
        tables.insert(
            APERF.to_owned(),
            version(aperf, "NT Conjunta 425/2025 §8.1–8.3"),
        );
        Params { tables }
    }
}

impl Params {
    /// Publishes a new version of a table from a `parameter_table` fact.
    pub fn publish(&mut self, fact: &ParameterTable, position: u64) -> Result<(), ParamError> {
        let expected = self.tables.keys().cloned().collect::<Vec<_>>().join(", ");
        let versions =
            self.tables
                .get_mut(&fact.table)
                .ok_or_else(|| ParamError::UnknownTable {
                    table: fact.table.clone(),
                    expected,
                })?;
        let base = versions
            .iter()
            .rev()
            .find(|v| v.from <= fact.from_parcela)
            .unwrap_or(&versions[0]);
        let mut values = base.values.clone();
        let serde_json::Value::Object(given) = fact.values.json() else {
            unreachable!("ParamValues is an object")
        };
        let kind = kind(&fact.table);
        for (key, value) in given {
            // The CBO table may gain occupations; every other table has a fixed set of keys.
            let new_cbo =
                kind == Kind::Category && key.len() == 6 && key.bytes().all(|b| b.is_ascii_digit());
            if !values.contains_key(key.as_str()) && !new_cbo {
                return Err(ParamError::UnknownKey {
                    table: fact.table.clone(),
                    key,
                });
            }
            let bad = || ParamError::BadValue {
                table: fact.table.clone(),
                key: key.clone(),
                value: value.to_string(),
                expected: expected_of(kind, &key),
            };
            let text = value
                .as_str()
                .filter(|text| valid(kind, &key, text))
                .ok_or_else(bad)?;
            values.insert(Arc::from(key.as_str()), text.to_owned());
        }
        let version = TableVersion {
            from: fact.from_parcela,
            citation: Arc::from(fact.portaria.as_str()),
            position: Some(position),
            values,
        };
        let at = versions.partition_point(|v| v.from <= fact.from_parcela);
        versions.insert(at, version);
        Ok(())
    }

    /// The value of `key` in the version of `table` in force at parcela `at`.
    pub fn money(&self, table: &'static str, key: &str, at: Parcela) -> Option<ParamUse> {
        let version = self.version(table, at)?;
        let (key, text) = version.values.get_key_value(key)?;
        let value = text.parse().expect("money tables hold validated amounts");
        Some(ParamUse {
            table,
            key: Arc::clone(key),
            version_from: version.from,
            citation: Arc::clone(&version.citation),
            value,
            position: version.position,
        })
    }

    fn version(&self, table: &str, at: Parcela) -> Option<&TableVersion> {
        let versions = self.tables.get(table)?;
        Some(
            versions
                .iter()
                .rev()
                .find(|v| v.from <= at)
                .unwrap_or(&versions[0]),
        )
    }

    fn raw(&self, table: &str, key: &str, at: Parcela) -> Option<(&TableVersion, &str)> {
        let version = self.version(table, at)?;
        Some((version, version.values.get(key)?.as_str()))
    }

    /// A number of a settings table in force at `at` (compiled-in defaults hold every key).
    pub fn number(&self, table: &str, key: &str, at: Parcela) -> rust_decimal::Decimal {
        let (_, text) = self
            .raw(table, key, at)
            .unwrap_or_else(|| panic!("parameter {table}/{key} has a default"));
        text.parse().expect("settings hold validated numbers")
    }

    /// A whole number of a settings table (counts, days, hours).
    pub fn count(&self, table: &str, key: &str, at: Parcela) -> u32 {
        u32::try_from(self.number(table, key, at).trunc()).unwrap_or(u32::MAX)
    }

    /// A word or date of a settings table.
    pub fn text(&self, table: &str, key: &str, at: Parcela) -> &str {
        self.raw(table, key, at)
            .map(|(_, text)| text)
            .unwrap_or_else(|| panic!("parameter {table}/{key} has a default"))
    }

    /// The CBO → category table in force at `at`.
    pub fn categories(&self, at: Parcela) -> rustc_hash::FxHashMap<u32, crate::category::Category> {
        let version = self.version(CBO, at).expect("the CBO table has a default");
        version
            .values
            .iter()
            .filter_map(|(code, name)| {
                Some((
                    code.parse().ok()?,
                    crate::category::Category::from_code(name)?,
                ))
            })
            .collect()
    }

    /// PAG.ACS for the parcela's year; a year not yet published uses the latest earlier one [interp].
    pub fn acs_value(&self, at: Parcela) -> Option<ParamUse> {
        (2000..=at.year())
            .rev()
            .find_map(|year| self.money(ACS, &year.to_string(), at))
    }

    pub fn tables(&self) -> impl Iterator<Item = (&String, &Vec<TableVersion>)> {
        self.tables.iter()
    }
}

#[cfg(test)]
mod tests {
    use repasse_proto::fact::ParamValues;

    use super::*;

    fn p(s: &str) -> Parcela {
        s.parse().unwrap()
    }

    #[test]
    fn a_published_table_replaces_its_keys_from_its_start_parcela_on() {
        let mut params = Params::default();
        let values = ParamValues::from_json(&serde_json::json!({"eSF.1": "19000.00"})).unwrap();
        let fact = ParameterTable {
            table: FIXO.into(),
            from_parcela: p("2026-01"),
            portaria: "Portaria X/2025".into(),
            values,
        };
        params.publish(&fact, 42).unwrap();
        assert_eq!(
            params.money(FIXO, "eSF.1", p("2025-12")).unwrap().value,
            m("18000.00")
        );
        let used = params.money(FIXO, "eSF.1", p("2026-01")).unwrap();
        assert_eq!(
            (used.value, &*used.citation, used.position),
            (m("19000.00"), "Portaria X/2025", Some(42))
        );
        assert_eq!(
            params.money(FIXO, "eSF.2", p("2026-03")).unwrap().value,
            m("16000.00"),
            "other keys carry over"
        );
    }

    #[test]
    fn unknown_tables_keys_and_values_are_rejected_by_name() {
        let mut params = Params::default();
        let fact = |table: &str, values: serde_json::Value| ParameterTable {
            table: table.into(),
            from_parcela: p("2026-01"),
            portaria: "X".into(),
            values: ParamValues::from_json(&values).unwrap(),
        };
        let e = params
            .publish(&fact("PAG.NADA", serde_json::json!({})), 1)
            .unwrap_err();
        assert!(e.to_string().contains("PAG.NADA"));
        let e = params
            .publish(&fact(FIXO, serde_json::json!({"eSF.9": "1.00"})), 1)
            .unwrap_err();
        assert_eq!(
            e,
            ParamError::UnknownKey {
                table: FIXO.into(),
                key: "eSF.9".into()
            }
        );
        let e = params
            .publish(&fact(FIXO, serde_json::json!({"eSF.1": 18000.5})), 1)
            .unwrap_err();
        assert!(matches!(e, ParamError::BadValue { .. }));
    }

    #[test]
    fn acs_uses_the_parcela_year_or_the_latest_published() {
        let params = Params::default();
        assert_eq!(params.acs_value(p("2024-07")).unwrap().value, m("2824.00"));
        assert_eq!(params.acs_value(p("2026-02")).unwrap().key.as_ref(), "2025");
    }
}

#[cfg(test)]
mod settings_tests {
    use repasse_proto::fact::ParamValues;

    use super::*;

    #[test]
    fn settings_and_the_cbo_table_are_versioned_like_the_money_tables() {
        let mut params = Params::default();
        let at = |s: &str| s.parse::<Parcela>().unwrap();
        assert_eq!(params.count(PRAZOS, "sisab_dia_util", at("2025-01")), 10);
        let values = ParamValues::from_json(
            &serde_json::json!({"sisab_dia_util": "12", "sem_cadastro_desde": "2025-06"}),
        )
        .unwrap();
        params
            .publish(
                &ParameterTable {
                    table: PRAZOS.into(),
                    from_parcela: at("2026-01"),
                    portaria: "X".into(),
                    values,
                },
                9,
            )
            .unwrap();
        assert_eq!(params.count(PRAZOS, "sisab_dia_util", at("2025-12")), 10);
        assert_eq!(params.count(PRAZOS, "sisab_dia_util", at("2026-01")), 12);
        assert_eq!(
            params.text(PRAZOS, "sem_cadastro_desde", at("2026-02")),
            "2025-06"
        );
        let values =
            ParamValues::from_json(&serde_json::json!({"225142": "NENHUMA", "225151": "MEDICO"}))
                .unwrap();
        params
            .publish(
                &ParameterTable {
                    table: CBO.into(),
                    from_parcela: at("2026-01"),
                    portaria: "Y".into(),
                    values,
                },
                10,
            )
            .unwrap();
        let categories = params.categories(at("2026-01"));
        assert_eq!(
            categories.get(&225151),
            Some(&crate::category::Category::Medico)
        );
        assert_eq!(
            categories.get(&225142),
            None,
            "an occupation can leave the table"
        );
        assert_eq!(
            params.categories(at("2025-12")).get(&225142),
            Some(&crate::category::Category::Medico)
        );
    }
}
