//! Decisions: what the rules concluded. Only the projector writes them, and a replay of the same facts must
//! reproduce them byte for byte. Integrators subscribe to them on `decisoes.<tipo>.<uf>.<ibge>.<ine>`.

use serde::{Deserialize, Serialize};

use crate::envelope::About;
use crate::{Competencia, CredentialType, Ibge, Ine, Money, Parcela, Plano};

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
        }
        about
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
