//! Decisions: what the rules concluded. Only the projector writes them, and a replay of the same facts must
//! reproduce them byte for byte. Integrators subscribe to them on `decisoes.<tipo>.<uf>.<ibge>.<ine>`.

use serde::{Deserialize, Serialize};

use crate::envelope::About;
use crate::{Competencia, CredentialType, Date, Ibge, Ine, Money, Parcela, Plano, Uf};

/// Defines the `Decision` enum over its payload structs, like `facts!` does for facts.
macro_rules! decisions {
    ($($variant:ident($payload:ty) => $word:literal, tipo $tipo:literal, v $version:literal;)+) => {
        /// Every decision kind, tagged by `"kind"` in JSON.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "kind")]
        pub enum Decision {
            $(#[serde(rename = $word)] $variant($payload),)+
        }

        impl Decision {
            pub const KINDS: &'static [&'static str] = &[$($word),+];

            pub fn event_type(&self) -> &'static str {
                match self { $(Decision::$variant(_) => $word,)+ }
            }

            /// The subject's second word, what an integrator filters on (`decisoes.suspensao.PE.>`).
            pub fn tipo(&self) -> &'static str {
                match self { $(Decision::$variant(_) => $tipo,)+ }
            }

            pub fn schema_version(&self) -> u16 {
                match self { $(Decision::$variant(_) => $version,)+ }
            }

            pub fn current_version(event_type: &str) -> Option<u16> {
                match event_type { $($word => Some($version),)+ _ => None }
            }

            pub(crate) fn encode_payload(&self) -> Result<Vec<u8>, postcard::Error> {
                match self { $(Decision::$variant(p) => postcard::to_stdvec(p),)+ }
            }

            pub(crate) fn decode_current(
                event_type: &str,
                bytes: &[u8],
            ) -> Option<Result<Decision, postcard::Error>> {
                match event_type {
                    $($word => Some(postcard::from_bytes::<$payload>(bytes).map(Decision::$variant)),)+
                    _ => None,
                }
            }
        }
    };
}

decisions! {
    SuspensionApplied(SuspensionDecision) => "suspension_applied", tipo "suspensao", v 1;
    SuspensionChanged(SuspensionDecision) => "suspension_changed", tipo "suspensao", v 1;
    SuspensionLifted(SuspensionDecision) => "suspension_lifted", tipo "suspensao", v 1;
    CredentialRevoked(CredentialRevoked) => "credential_revoked", tipo "revogacao", v 1;
    CredentialingRecommended(CredentialingRecommended) => "credentialing_recommended", tipo "credenciamento", v 1;
    StatementIssued(StatementIssued) => "statement_issued", tipo "demonstrativo", v 1;
    ParcelaSealed(ParcelaSealed) => "parcela_sealed", tipo "selo", v 1;
    RetroRecommended(RetroRecommended) => "retro_recommended", tipo "retroativo", v 1;
    RetroDecided(RetroDecided) => "retro_decided", tipo "retroativo", v 1;
    AaeStageDue(AaeStageDue) => "aae_stage_due", tipo "aae", v 1;
    AperfAdhesionStatus(AperfAdhesionStatus) => "aperf_adhesion_status", tipo "aperf", v 1;
}

impl Decision {
    pub fn about(&self) -> About {
        let mut about = About::default();
        match self {
            Decision::SuspensionApplied(d)
            | Decision::SuspensionChanged(d)
            | Decision::SuspensionLifted(d) => {
                (about.ine, about.ibge, about.competencia) =
                    (Some(d.ine), Some(d.ibge), Some(d.competencia));
            }
            Decision::CredentialRevoked(d) => {
                (about.ine, about.ibge, about.competencia) =
                    (Some(d.ine), Some(d.ibge), Some(d.competencia));
            }
            Decision::CredentialingRecommended(d) => about.ibge = Some(d.ibge),
            Decision::StatementIssued(d) => {
                (about.ibge, about.parcela) = (Some(d.ibge), Some(d.parcela))
            }
            Decision::ParcelaSealed(d) => about.parcela = Some(d.parcela),
            Decision::RetroRecommended(d) => {
                (about.ibge, about.ine, about.parcela) = (Some(d.ibge), d.ine, Some(d.parcela))
            }
            Decision::RetroDecided(d) => {
                (about.ibge, about.parcela) = (Some(d.ibge), Some(d.parcela))
            }
            Decision::AaeStageDue(_) => {}
            Decision::AperfAdhesionStatus(d) => {
                if let crate::fact::Ente::Municipio(ibge) = d.ente {
                    about.ibge = Some(ibge);
                }
            }
        }
        about
    }

    /// The state the decision concerns, for its subject: its municipality's, or the UF of a PAR or of a
    /// state's training adhesion (`None`: the whole country).
    pub fn uf(&self) -> Option<Uf> {
        match self {
            Decision::AaeStageDue(d) => Some(d.uf),
            Decision::AperfAdhesionStatus(d) => match d.ente {
                crate::fact::Ente::Estado(uf) => Some(uf),
                crate::fact::Ente::Municipio(ibge) => ibge.uf(),
            },
            _ => self.about().ibge.and_then(Ibge::uf),
        }
    }
}

/// A change of a team's suspension state in a competência (applied 0 → x, changed x → y, lifted x → 0).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuspensionDecision {
    pub ine: Ine,
    pub ibge: Ibge,
    pub competencia: Competencia,
    pub pct: u8,
    pub previous_pct: u8,
    /// Rule ids that hold, sorted.
    pub reasons: Vec<String>,
}

/// SUSP.REVOGACAO: the credenciamento of the team was revoked automatically.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialRevoked {
    pub ine: Ine,
    pub ibge: Ibge,
    pub competencia: Competencia,
    pub reasons: Vec<String>,
}

/// VAL.TETO on a credentialing request: within or above the population ceiling. A recommendation: the
/// portaria that follows (a `credentialing` fact) is applied as published, whatever this said.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialingRecommended {
    pub id: String,
    pub ibge: Ibge,
    pub team_type: CredentialType,
    /// `dentro_do_teto` or `acima_do_teto`.
    pub recommendation: String,
    /// The ceiling, where the law sets one for the type (eSF and ACS).
    pub ceiling: Option<u32>,
    /// Already credentialed by portarias published before the request.
    pub credentialed: u32,
    pub requested: u32,
    /// How the ceiling was computed, in Portuguese.
    pub basis: String,
    pub reasons: Vec<String>,
}

/// A municipality's statement for a parcela, per plano orçamentário, with the hash of its ledger lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementIssued {
    pub ibge: Ibge,
    pub parcela: Parcela,
    pub planos: Vec<PlanoTotals>,
    pub implantacao: Money,
    pub hash: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanoTotals {
    pub plano: Plano,
    pub integral: Money,
    pub desconto: Money,
    pub ajuste: Money,
    pub efetivo: Money,
}

/// The Fund closed a parcela: the last fact position it was computed from and a hash over every line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParcelaSealed {
    pub parcela: Parcela,
    pub last_position: u64,
    pub lines: u64,
    pub hash: String,
}

/// RETRO.*: the ledger's recommendation on a retroactive-credit request, published when the request
/// arrives, before the Ministry decides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetroRecommended {
    pub id: String,
    pub ibge: Ibge,
    /// The team, when the request names it by INE (a request by CNES may cover several).
    pub ine: Option<Ine>,
    pub parcela: Parcela,
    /// `elegivel` or `inelegivel`.
    pub recommendation: String,
    /// RETRO.PRAZO: the last day the request could enter SEI.
    pub deadline: Date,
    /// What the eligible teams had withheld in the parcela: what a `deferido` would credit.
    pub creditable: Money,
    /// The rule ids that make it ineligible (empty when eligible).
    pub reasons: Vec<String>,
}

/// RETRO.DECISAO: the Ministry decided a request; a `deferido` is credited as an *ajuste* of a parcela.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetroDecided {
    pub id: String,
    pub ibge: Ibge,
    pub parcela: Parcela,
    /// `deferido` or `indeferido`.
    pub decision: String,
    /// What the ledger had recommended.
    pub recommendation: String,
    pub credited_in: Option<Parcela>,
    pub credited: Option<Money>,
}

/// AAE.ETAPAS: a stage of a PAR's incentive became due (art. 15 §2º), once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AaeStageDue {
    pub par_id: String,
    pub uf: Uf,
    /// 1 (PAR approved with the CIB resolution) or 2 (half the planned production executed).
    pub stage: u8,
    pub amount: Money,
    /// The date of the fact that made it due (the approval, or the production report).
    pub due_on: Date,
    pub reasons: Vec<String>,
}

/// APERF.*: an ente's training adhesion after one of its events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AperfAdhesionStatus {
    pub ente: crate::fact::Ente,
    /// The date of the event.
    pub on: Date,
    /// `aderida`, `excluida`, `valida`, `suspensa`, or `sem_efeito` (outside the window, or a deletion
    /// after it).
    pub status: String,
    pub valid_until: Option<Date>,
    pub detail: String,
    pub reasons: Vec<String>,
}
