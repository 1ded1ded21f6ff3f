//! Facts: what an outside system reported (SCNES, SISAB, the DOU, the Fund). Only ingest writes them.
//!
//! One struct per fact type of `CASES.md`, with exactly the fields of the case format. In JSON a fact is an
//! object tagged by `"type"`; on the wire the envelope names the type and schema version and the payload is
//! the struct alone, in postcard (see [`crate::codec`]). Unknown fields are errors, never ignored.

use serde::{Deserialize, Serialize};

use crate::envelope::About;
use crate::team::{Classe, CredentialType, Estrato, Plano, QualityComponent, TeamType};
use crate::{Cbo, Cnes, Competencia, Cpf, Date, Ibge, Ine, Money, Parcela, Uf};

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
    ScnesTeam(ScnesTeam) => "scnes_team", fonte "scnes", v 1;
    ScnesClosed(ScnesClosed) => "scnes_closed", fonte "scnes", v 1;
    SisabProduction(SisabProduction) => "sisab_production", fonte "sisab", v 1;
    Classification(Classification) => "classification", fonte "dou", v 1;
    ControlBodySuspension(ControlBodySuspension) => "control_body_suspension", fonte "controle", v 1;
    ControlBodyLifted(ControlBodyLifted) => "control_body_lifted", fonte "controle", v 1;
    HistoricalTransfer(HistoricalTransfer) => "historical_transfer", fonte "fns", v 1;
    TransferExecuted(TransferExecuted) => "transfer_executed", fonte "fns", v 1;
    ParcelaClosed(ParcelaClosed) => "parcela_closed", fonte "fns", v 1;
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

/// A team's SCNES record for one competência, with its professional links.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScnesTeam {
    pub competencia: Competencia,
    pub ine: Ine,
    pub cnes: Cnes,
    pub ibge: Ibge,
    pub team_type: TeamType,
    pub active: bool,
    pub professionals: Vec<Professional>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Professional {
    pub cpf: Cpf,
    pub cbo: Cbo,
    /// Weekly hours of this link.
    pub hours: u8,
    #[serde(default)]
    pub left_on: Option<Date>,
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
