//! Facts of the programmes of RULES.md §7–9: retroactive credit (NT 829/2022), the specialised outpatient
//! care programme (Portaria GM/MS 3.492/2024) and the training adhesion (NT 425/2025).

use serde::{Deserialize, Serialize};

use crate::{Cnes, Date, Ibge, Ine, Money, Parcela, Uf};

/// Which team a retroactive-credit request names: its INE or its establishment's CNES.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TeamRef {
    Ine(Ine),
    Cnes(Cnes),
}

/// A request for retroactive credit (NT 829/2022, Anexo I).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RetroRequestWire", into = "RetroRequestWire")]
pub struct RetroRequest {
    pub id: String,
    pub ibge: Ibge,
    pub uf: Uf,
    pub target: TeamRef,
    pub parcela: Parcela,
    /// The rule id of the irregularity, e.g. `SUSP.50.SISAB`.
    pub irregularity: String,
    pub justification: String,
    pub sei_entered_on: Date,
    pub signed: bool,
    pub conforms_to_model: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetroRequestWire {
    id: String,
    ibge: Ibge,
    uf: Uf,
    #[serde(default)]
    ine: Option<Ine>,
    #[serde(default)]
    cnes: Option<Cnes>,
    parcela: Parcela,
    irregularity: String,
    justification: String,
    sei_entered_on: Date,
    signed: bool,
    conforms_to_model: bool,
}

impl TryFrom<RetroRequestWire> for RetroRequest {
    type Error = String;
    fn try_from(w: RetroRequestWire) -> Result<Self, String> {
        let target = match (w.ine, w.cnes) {
            (Some(ine), None) => TeamRef::Ine(ine),
            (None, Some(cnes)) => TeamRef::Cnes(cnes),
            _ => {
                return Err(
                    "retro_request: informe exatamente um de \"ine\" ou \"cnes\"".to_owned(),
                );
            }
        };
        Ok(RetroRequest {
            id: w.id,
            ibge: w.ibge,
            uf: w.uf,
            target,
            parcela: w.parcela,
            irregularity: w.irregularity,
            justification: w.justification,
            sei_entered_on: w.sei_entered_on,
            signed: w.signed,
            conforms_to_model: w.conforms_to_model,
        })
    }
}

impl From<RetroRequest> for RetroRequestWire {
    fn from(r: RetroRequest) -> Self {
        let (ine, cnes) = match r.target {
            TeamRef::Ine(ine) => (Some(ine), None),
            TeamRef::Cnes(cnes) => (None, Some(cnes)),
        };
        RetroRequestWire {
            id: r.id,
            ibge: r.ibge,
            uf: r.uf,
            ine,
            cnes,
            parcela: r.parcela,
            irregularity: r.irregularity,
            justification: r.justification,
            sei_entered_on: r.sei_entered_on,
            signed: r.signed,
            conforms_to_model: r.conforms_to_model,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RetroOutcome {
    #[serde(rename = "deferido")]
    Deferido,
    #[serde(rename = "indeferido")]
    Indeferido,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetroDecision {
    pub id: String,
    pub decision: RetroOutcome,
    pub decided_on: Date,
}

/// A Plano de Ação Regional submitted for the specialised outpatient programme (Portaria 3.492/2024).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParSubmitted {
    pub par_id: String,
    pub uf: Uf,
    pub population_covered: u32,
    pub planned_amount: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParApproved {
    pub par_id: String,
    pub approved_on: Date,
    pub portaria: String,
    pub cib_resolution_sent: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParProduction {
    pub par_id: String,
    pub executed_amount: Money,
    pub reported_on: Date,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OciProcedureSpec {
    pub code: String,
    pub mandatory: bool,
}

/// An integrated care offer of the catalogue (art. 6º).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OciCatalog {
    pub code: String,
    pub procedures: Vec<OciProcedureSpec>,
    pub tr_days: u16,
    pub tm_days: u16,
    pub value: Money,
}

/// A procedure recorded (APAC) for a person, inside an OCI or on its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OciProcedure {
    pub apac: String,
    /// A hashed person id: the ledger never holds the person's identity.
    pub person: String,
    #[serde(default)]
    pub oci_code: Option<String>,
    pub procedure: String,
    pub performed_on: Date,
}

/// Who adheres to the training programme: a municipality (by IBGE) or a state (by UF).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ente {
    Municipio(Ibge),
    Estado(Uf),
}

impl std::fmt::Display for Ente {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ente::Municipio(ibge) => write!(f, "{ibge}"),
            Ente::Estado(uf) => write!(f, "{uf}"),
        }
    }
}

impl std::str::FromStr for Ente {
    type Err = String;
    fn from_str(input: &str) -> Result<Self, String> {
        if input.bytes().all(|b| b.is_ascii_digit()) {
            input
                .parse()
                .map(Ente::Municipio)
                .map_err(|e: crate::IdError| e.to_string())
        } else {
            input.parse().map(Ente::Estado).map_err(|_| {
                format!(
                    "ente inválido \"{input}\": esperado código IBGE do município ou sigla da UF"
                )
            })
        }
    }
}

impl Serialize for Ente {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Ente {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A training-adhesion event of NT 425/2025: adhesion, deletion, result published, suspension.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AperfEvent {
    pub ente: Ente,
    pub on: Date,
}
