//! Facts: what an outside system reported (SCNES, SISAB, the DOU, the Fund). Only ingest writes them.
//!
//! One struct per fact type of `CASES.md`, with exactly the fields of the case format. In JSON a fact is an
//! object tagged by `"type"`; on the wire the envelope names the type and schema version and the payload is
//! the struct alone, in postcard (see [`crate::codec`]). Unknown fields are errors, never ignored.

use serde::{Deserialize, Serialize};

use crate::envelope::About;
use crate::team::{
    Classe, CredentialType, Estrato, Plano, QualityComponent, ScnesTeamType, TeamType,
};
use crate::{Cbo, Cnes, Cns, Competencia, Cpf, Date, Ibge, Ine, Money, Parcela, Uf};

/// Defines the `Fact` enum over its payload structs: the `type` word, the subject's source word, and the
/// schema version currently written for each.
macro_rules! facts {
    ($($variant:ident($payload:ty) => $word:literal, fonte $fonte:literal, v $version:literal;)+) => {
        /// Every fact type of the case format, tagged by `"type"` in JSON.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "type")]
        pub enum Fact {
            $(#[serde(rename = $word)] $variant($payload),)+
        }

        impl Fact {
            /// Every `type` word, in catalog order.
            pub const TYPES: &'static [&'static str] = &[$($word),+];

            /// The `type` word of the case format.
            pub fn event_type(&self) -> &'static str {
                match self { $(Fact::$variant(_) => $word,)+ }
            }

            /// The source system, the second word of the subject `fatos.<fonte>.<uf>.<ibge>`.
            pub fn fonte(&self) -> &'static str {
                match self { $(Fact::$variant(_) => $fonte,)+ }
            }

            /// The schema version this build writes for the fact's type.
            pub fn schema_version(&self) -> u16 {
                match self { $(Fact::$variant(_) => $version,)+ }
            }

            /// The current schema version written for a `type` word.
            pub fn current_version(event_type: &str) -> Option<u16> {
                match event_type { $($word => Some($version),)+ _ => None }
            }

            pub(crate) fn encode_payload(&self) -> Result<Vec<u8>, postcard::Error> {
                match self { $(Fact::$variant(p) => postcard::to_stdvec(p),)+ }
            }

            /// A fact of the JSON case format, or the path of the first field at fault (`professionals[0].cpf`)
            /// and why: each type's payload is read on its own, so the path survives the `type` tag.
            pub fn from_json_value(mut value: serde_json::Value) -> Result<Fact, (String, String)> {
                let event_type = match value.as_object_mut().and_then(|o| o.remove("type")) {
                    Some(serde_json::Value::String(t)) => t,
                    _ => return Err(("type".to_owned(), "campo \"type\" ausente ou não textual".to_owned())),
                };
                let at = |e: serde_path_to_error::Error<serde_json::Error>| {
                    (e.path().to_string(), e.into_inner().to_string())
                };
                match event_type.as_str() {
                    $($word => serde_path_to_error::deserialize::<_, $payload>(value).map(Fact::$variant).map_err(at),)+
                    other => Err((
                        "type".to_owned(),
                        format!("tipo de fato desconhecido \"{other}\"; esperado um de: {}", Fact::TYPES.join(", ")),
                    )),
                }
            }

            /// Decodes a payload written at the current version of its type.
            pub(crate) fn decode_current(
                event_type: &str,
                bytes: &[u8],
            ) -> Option<Result<Fact, postcard::Error>> {
                match event_type {
                    $($word => Some(postcard::from_bytes::<$payload>(bytes).map(Fact::$variant)),)+
                    _ => None,
                }
            }
        }
    };
}

facts! {
    Municipality(Municipality) => "municipality", fonte "ibge", v 2;
    IedStratum(IedStratum) => "ied_stratum", fonte "dou", v 1;
    Credentialing(Credentialing) => "credentialing", fonte "dou", v 1;
    CredentialingRequest(CredentialingRequest) => "credentialing_request", fonte "egestor", v 1;
    Homologation(Homologation) => "homologation", fonte "dou", v 1;
    HomologationCancelled(HomologationCancelled) => "homologation_cancelled", fonte "dou", v 1;
    ScnesTeam(ScnesTeam) => "scnes_team", fonte "scnes", v 2;
    ScnesClosed(ScnesClosed) => "scnes_closed", fonte "scnes", v 1;
    SisabProduction(SisabProduction) => "sisab_production", fonte "sisab", v 1;
    Classification(Classification) => "classification", fonte "dou", v 1;
    ControlBodySuspension(ControlBodySuspension) => "control_body_suspension", fonte "controle", v 1;
    ControlBodyLifted(ControlBodyLifted) => "control_body_lifted", fonte "controle", v 1;
    HistoricalTransfer(HistoricalTransfer) => "historical_transfer", fonte "fns", v 1;
    TransferExecuted(TransferExecuted) => "transfer_executed", fonte "fns", v 1;
    ParcelaClosed(ParcelaClosed) => "parcela_closed", fonte "fns", v 1;
    PublishedStatement(PublishedStatement) => "published_statement", fonte "egestor", v 1;
    PublishedTeam(PublishedTeam) => "published_team", fonte "egestor", v 1;
    RetroRequest(RetroRequest) => "retro_request", fonte "sei", v 1;
    RetroDecision(RetroDecision) => "retro_decision", fonte "sei", v 1;
    AdjustmentAuthorized(AdjustmentAuthorized) => "adjustment_authorized", fonte "fns", v 1;
    ParameterTable(ParameterTable) => "parameter_table", fonte "dou", v 1;
    ParSubmitted(ParSubmitted) => "par_submitted", fonte "aae", v 1;
    ParApproved(ParApproved) => "par_approved", fonte "aae", v 1;
    ParProduction(ParProduction) => "par_production", fonte "aae", v 1;
    OciCatalog(OciCatalog) => "oci_catalog", fonte "aae", v 1;
    OciProcedure(OciProcedure) => "oci_procedure", fonte "aae", v 1;
    AperfAdhesion(AperfEvent) => "aperf_adhesion", fonte "aperf", v 1;
    AperfAdhesionDeleted(AperfEvent) => "aperf_adhesion_deleted", fonte "aperf", v 1;
    AperfResultPublished(AperfEvent) => "aperf_result_published", fonte "aperf", v 1;
    AperfAdhesionSuspended(AperfEvent) => "aperf_adhesion_suspended", fonte "aperf", v 1;
}

impl Fact {
    /// What the fact is about: the keys an auditor filters by and the subject is built from.
    pub fn about(&self) -> About {
        let mut about = About::default();
        match self {
            Fact::Municipality(f) => about.ibge = Some(f.ibge),
            Fact::IedStratum(f) => {
                (about.ibge, about.parcela) = (Some(f.ibge), Some(f.from_parcela))
            }
            Fact::Credentialing(f) => {
                (about.ibge, about.parcela) = (Some(f.ibge), Some(f.from_parcela))
            }
            Fact::CredentialingRequest(f) => about.ibge = Some(f.ibge),
            Fact::Homologation(f) => {
                (about.ibge, about.ine, about.parcela) =
                    (Some(f.ibge), Some(f.ine), Some(f.from_parcela));
            }
            Fact::HomologationCancelled(f) => {
                (about.ine, about.parcela) = (Some(f.ine), Some(f.from_parcela))
            }
            Fact::ScnesTeam(f) => {
                (about.ibge, about.ine, about.competencia) =
                    (Some(f.ibge), Some(f.ine), Some(f.competencia));
            }
            Fact::ScnesClosed(f) => about.competencia = Some(f.competencia),
            Fact::SisabProduction(f) => {
                (about.ine, about.competencia) = (Some(f.ine), Some(f.competencia))
            }
            Fact::Classification(f) => {
                about.parcela = Some(f.from_parcela);
                match f.target {
                    ClassificationTarget::Ine(ine) => about.ine = Some(ine),
                    ClassificationTarget::Ibge(ibge) => about.ibge = Some(ibge),
                }
            }
            Fact::ControlBodySuspension(f) => {
                (about.ine, about.competencia) = (Some(f.ine), Some(f.from_competencia));
            }
            Fact::ControlBodyLifted(f) => {
                (about.ine, about.competencia) = (Some(f.ine), Some(f.from_competencia))
            }
            Fact::HistoricalTransfer(f) => {
                (about.ibge, about.parcela) = (Some(f.ibge), Some(f.parcela))
            }
            Fact::TransferExecuted(f) => {
                (about.ibge, about.parcela) = (Some(f.ibge), Some(f.parcela))
            }
            Fact::ParcelaClosed(f) => about.parcela = Some(f.parcela),
            Fact::PublishedStatement(f) => {
                (about.ibge, about.parcela) = (Some(f.ibge), Some(f.parcela))
            }
            Fact::PublishedTeam(f) => {
                (about.ibge, about.parcela, about.ine) =
                    (Some(f.ibge), Some(f.parcela), Some(f.ine))
            }
            Fact::RetroRequest(f) => {
                (about.ibge, about.parcela) = (Some(f.ibge), Some(f.parcela));
                if let TeamRef::Ine(ine) = f.target {
                    about.ine = Some(ine);
                }
            }
            Fact::AdjustmentAuthorized(f) => {
                (about.ibge, about.parcela, about.ine) = (Some(f.ibge), Some(f.parcela), f.ine);
            }
            Fact::ParameterTable(f) => about.parcela = Some(f.from_parcela),
            Fact::AperfAdhesion(f)
            | Fact::AperfAdhesionDeleted(f)
            | Fact::AperfResultPublished(f)
            | Fact::AperfAdhesionSuspended(f) => {
                if let Ente::Municipio(ibge) = f.ente {
                    about.ibge = Some(ibge);
                }
            }
            Fact::RetroDecision(_)
            | Fact::ParSubmitted(_)
            | Fact::ParApproved(_)
            | Fact::ParProduction(_)
            | Fact::OciCatalog(_)
            | Fact::OciProcedure(_) => {}
        }
        about
    }

    /// The state the fact concerns, when it names one (for the subject's `<uf>` word).
    pub fn uf(&self) -> Option<Uf> {
        match self {
            Fact::Municipality(f) => Some(f.uf),
            Fact::RetroRequest(f) => Some(f.uf),
            Fact::ParSubmitted(f) => Some(f.uf),
            Fact::AperfAdhesion(f)
            | Fact::AperfAdhesionDeleted(f)
            | Fact::AperfResultPublished(f)
            | Fact::AperfAdhesionSuspended(f) => match f.ente {
                Ente::Estado(uf) => Some(uf),
                Ente::Municipio(ibge) => ibge.uf(),
            },
            _ => self.about().ibge.and_then(Ibge::uf),
        }
    }
}

/// A municipality as IBGE reports it. Version 2 added the urban and rural populations that the ACS ceiling
/// of VAL.TETO needs; version 1 payloads are upcast with both unknown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Municipality {
    pub ibge: Ibge,
    pub name: String,
    pub uf: Uf,
    pub population: u32,
    #[serde(default)]
    pub urban_population: Option<u32>,
    #[serde(default)]
    pub rural_population: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IedStratum {
    pub ibge: Ibge,
    pub stratum: Estrato,
    #[serde(default)]
    pub ivs_band: Option<u8>,
    #[serde(default)]
    pub size_band: Option<u8>,
    pub from_parcela: Parcela,
    pub source: String,
}

/// A credenciamento portaria: `quantity` more teams (or ACS vacancies) for the municipality.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentialing {
    pub ibge: Ibge,
    pub team_type: CredentialType,
    pub quantity: u32,
    pub from_parcela: Parcela,
    pub portaria: String,
}

/// A municipality's request for credentialing (`quantity` more teams or ACS vacancies), before any
/// portaria: checked against the population ceiling (VAL.TETO), whose outcome is a recommendation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialingRequest {
    /// The request's own number (e-Gestor or SEI), its key: the first fact with an id is the request.
    pub id: String,
    pub ibge: Ibge,
    pub team_type: CredentialType,
    pub quantity: u32,
    pub requested_on: Date,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Homologation {
    pub ine: Ine,
    pub cnes: Cnes,
    pub ibge: Ibge,
    pub team_type: TeamType,
    pub from_parcela: Parcela,
    pub portaria: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HomologationCancelled {
    pub ine: Ine,
    pub from_parcela: Parcela,
    pub portaria: String,
}

/// A team's SCNES record for one competência, with its professional links. Version 2: the type may name
/// only the family (the CNES dump does not state every modality), and a professional is known by CPF or CNS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScnesTeam {
    pub competencia: Competencia,
    pub ine: Ine,
    pub cnes: Cnes,
    pub ibge: Ibge,
    pub team_type: ScnesTeamType,
    pub active: bool,
    pub professionals: Vec<Professional>,
}

/// A professional link of a team: the person by CPF, or by CNS where the source masks the CPF (at least
/// one of them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ProfessionalFields")]
pub struct Professional {
    pub cpf: Option<Cpf>,
    pub cns: Option<Cns>,
    pub cbo: Cbo,
    /// Weekly hours of this link.
    pub hours: u8,
    pub left_on: Option<Date>,
}

impl Professional {
    /// The person key the rules sum hours and find duplicity by: the CPF, else the CNS (a CNS is never
    /// below 10¹⁴ and a CPF always is, so the two never collide).
    pub fn person(&self) -> u64 {
        match (self.cpf, self.cns) {
            (Some(cpf), _) => cpf.get(),
            (None, Some(cns)) => cns.get(),
            (None, None) => unreachable!("a professional has a CPF or a CNS by construction"),
        }
    }
}

/// The fields of a professional as read, before the check that at least one person key is there.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfessionalFields {
    #[serde(default)]
    cpf: Option<Cpf>,
    #[serde(default)]
    cns: Option<Cns>,
    cbo: Cbo,
    hours: u8,
    #[serde(default)]
    left_on: Option<Date>,
}

impl TryFrom<ProfessionalFields> for Professional {
    type Error = &'static str;
    fn try_from(f: ProfessionalFields) -> Result<Self, Self::Error> {
        if f.cpf.is_none() && f.cns.is_none() {
            return Err("profissional sem cpf nem cns: informe ao menos um");
        }
        Ok(Professional {
            cpf: f.cpf,
            cns: f.cns,
            cbo: f.cbo,
            hours: f.hours,
            left_on: f.left_on,
        })
    }
}

/// The SCNES data of a competência is complete: a homologated team without a record has none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScnesClosed {
    pub competencia: Competencia,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SisabStatus {
    #[serde(rename = "approved")]
    Approved,
    #[serde(rename = "rejected")]
    Rejected,
}

/// A SISAB production upload of a team (or of one ACS, by CPF) for a competência.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SisabProduction {
    pub competencia: Competencia,
    pub ine: Ine,
    #[serde(default)]
    pub cpf: Option<Cpf>,
    pub received_on: Date,
    pub status: SisabStatus,
}

/// Whom a classification is published for: one team, or every team of a municipality.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClassificationTarget {
    Ine(Ine),
    Ibge(Ibge),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ClassificationWire", into = "ClassificationWire")]
pub struct Classification {
    pub target: ClassificationTarget,
    pub component: QualityComponent,
    pub class: Classe,
    pub from_parcela: Parcela,
    pub to_parcela: Option<Parcela>,
}

/// The case format's shape: `ine` or `ibge`, exactly one.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassificationWire {
    #[serde(default)]
    ine: Option<Ine>,
    #[serde(default)]
    ibge: Option<Ibge>,
    component: QualityComponent,
    class: Classe,
    from_parcela: Parcela,
    #[serde(default)]
    to_parcela: Option<Parcela>,
}

impl TryFrom<ClassificationWire> for Classification {
    type Error = String;
    fn try_from(w: ClassificationWire) -> Result<Self, String> {
        let target = match (w.ine, w.ibge) {
            (Some(ine), None) => ClassificationTarget::Ine(ine),
            (None, Some(ibge)) => ClassificationTarget::Ibge(ibge),
            _ => {
                return Err(
                    "classification: informe exatamente um de \"ine\" ou \"ibge\"".to_owned(),
                );
            }
        };
        if let Some(to) = w.to_parcela
            && to < w.from_parcela
        {
            return Err(format!(
                "classification: to_parcela {to} anterior a from_parcela {}",
                w.from_parcela
            ));
        }
        Ok(Classification {
            target,
            component: w.component,
            class: w.class,
            from_parcela: w.from_parcela,
            to_parcela: w.to_parcela,
        })
    }
}

impl From<Classification> for ClassificationWire {
    fn from(c: Classification) -> Self {
        let (ine, ibge) = match c.target {
            ClassificationTarget::Ine(ine) => (Some(ine), None),
            ClassificationTarget::Ibge(ibge) => (None, Some(ibge)),
        };
        ClassificationWire {
            ine,
            ibge,
            component: c.component,
            class: c.class,
            from_parcela: c.from_parcela,
            to_parcela: c.to_parcela,
        }
    }
}

/// A control body's suspension of a team (PRC 6/2017 art. 12-N), in force until lifted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlBodySuspension {
    pub ine: Ine,
    pub from_competencia: Competencia,
    pub body: String,
    pub process: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlBodyLifted {
    pub ine: Ine,
    pub from_competencia: Competencia,
    pub report: String,
}

/// What the municipality received in a parcela before the new model (input of RECOMP.BASE).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoricalTransfer {
    pub ibge: Ibge,
    pub parcela: Parcela,
    pub plano: Plano,
    pub amount: Money,
}

/// A payment the Fund executed (for reconciliation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferExecuted {
    pub ibge: Ibge,
    pub parcela: Parcela,
    pub plano: Plano,
    pub amount: Money,
    pub bank_order: String,
    pub paid_on: Date,
}

/// The Fund closed the parcela: later facts about it produce adjustments, never edits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParcelaClosed {
    pub parcela: Parcela,
}

/// An adjustment the Ministry authorised (an error of its own, or a granted retroactive credit).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentAuthorized {
    pub ibge: Ibge,
    pub parcela: Parcela,
    pub plano: Plano,
    #[serde(default)]
    pub ine: Option<Ine>,
    pub amount: Money,
    pub reason: String,
}

/// A new version of a parameter table, in force from `from_parcela` on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterTable {
    pub table: String,
    pub from_parcela: Parcela,
    pub portaria: String,
    pub values: ParamValues,
}

/// A parameter table's values: a JSON object, kept as canonical JSON text (keys sorted) so that postcard,
/// which cannot carry free-form JSON, stores it as a string and the event id is stable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamValues(String);

impl ParamValues {
    /// Canonicalises a JSON object (keys sorted, no insignificant white space).
    pub fn from_json(value: &serde_json::Value) -> Result<ParamValues, String> {
        if !value.is_object() {
            return Err("parameter_table.values: esperado um objeto JSON".to_owned());
        }
        serde_json::to_string(value)
            .map(ParamValues)
            .map_err(|e| e.to_string())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.0).expect("ParamValues holds JSON by construction")
    }
}

impl Serialize for ParamValues {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            self.json().serialize(s)
        } else {
            s.serialize_str(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for ParamValues {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = if d.is_human_readable() {
            serde_json::Value::deserialize(d)?
        } else {
            let text = String::deserialize(d)?;
            serde_json::from_str(&text).map_err(serde::de::Error::custom)?
        };
        ParamValues::from_json(&value).map_err(serde::de::Error::custom)
    }
}

mod programmes;
pub use programmes::*;
mod published;
pub use published::*;
