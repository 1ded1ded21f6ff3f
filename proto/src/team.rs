//! Team types, budget plans and classifications: the closed vocabularies of the portarias.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An unknown word in a closed vocabulary; the message lists what was expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} inválido \"{input}\": esperado um de {expected}")]
pub struct VocabularyError {
    pub kind: &'static str,
    pub input: String,
    pub expected: &'static str,
}

/// Defines a closed vocabulary: an enum whose serde and text forms are the words users write.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $kind:literal, { $($variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $word)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            const EXPECTED: &'static str = concat!($("\"", $word, "\" "),+);

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = VocabularyError;
            fn from_str(input: &str) -> Result<Self, Self::Err> {
                match input {
                    $($word => Ok($name::$variant),)+
                    _ => Err(VocabularyError {
                        kind: $kind,
                        input: input.to_owned(),
                        expected: Self::EXPECTED.trim_end(),
                    }),
                }
            }
        }
    };
}

vocabulary!(
    /// A team type as CASES.md spells it (CNES team types 70 = eSF, 76 = eAP; eSB and eMulti modalities).
    TeamType, "tipo de equipe", {
        Esf => "eSF",
        Eap30 => "eAP30",
        Eap20 => "eAP20",
        Esb1 => "eSB1",
        Esb2 => "eSB2",
        Esb1Q => "eSB1Q",
        Esb2Q => "eSB2Q",
        EMultiAmpliada => "eMultiAmpliada",
        EMultiComplementar => "eMultiComplementar",
        EMultiEstrategica => "eMultiEstrategica",
    }
);

impl TeamType {
    /// The plano orçamentário that pays this team type (RULES.md §5.5).
    pub fn plano(self) -> Plano {
        match self {
            TeamType::Esf | TeamType::Eap30 | TeamType::Eap20 => Plano::EsfEap,
            TeamType::Esb1 | TeamType::Esb2 | TeamType::Esb1Q | TeamType::Esb2Q => {
                Plano::SaudeBucal
            }
            TeamType::EMultiAmpliada
            | TeamType::EMultiComplementar
            | TeamType::EMultiEstrategica => Plano::EMulti,
        }
    }
    pub fn is_esf(self) -> bool {
        self == TeamType::Esf
    }
    pub fn is_eap(self) -> bool {
        matches!(self, TeamType::Eap30 | TeamType::Eap20)
    }
    pub fn is_esf_or_eap(self) -> bool {
        self.plano() == Plano::EsfEap
    }
    pub fn is_esb(self) -> bool {
        self.plano() == Plano::SaudeBucal
    }
    pub fn is_emulti(self) -> bool {
        self.plano() == Plano::EMulti
    }
}

/// A team type as a SCNES record states it. The CNES dump names the team's family (TP_EQUIPE) but not
/// always its modality (eAP 20 h or 30 h, eSB I or II, the eMulti modality: `docs/spec/FORMATS.md` §1);
/// there the record carries only the family, and the homologated type decides the modality.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScnesTeamType {
    Exact(TeamType),
    /// `"eAP"`, `"eSB"` or `"eMulti"`: the family, modality unstated.
    Family(TeamFamily),
}

/// A family of team types whose modality a CNES dump may leave unstated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TeamFamily {
    Eap,
    Esb,
    EMulti,
}

impl TeamFamily {
    pub const ALL: [TeamFamily; 3] = [TeamFamily::Eap, TeamFamily::Esb, TeamFamily::EMulti];

    pub fn as_str(self) -> &'static str {
        match self {
            TeamFamily::Eap => "eAP",
            TeamFamily::Esb => "eSB",
            TeamFamily::EMulti => "eMulti",
        }
    }

    pub fn contains(self, t: TeamType) -> bool {
        match self {
            TeamFamily::Eap => t.is_eap(),
            TeamFamily::Esb => t.is_esb(),
            TeamFamily::EMulti => t.is_emulti(),
        }
    }

    /// The modality assumed when the team's homologated type is of another family (the record and the
    /// homologation disagree): the family's first modality, named in the explanation by its type.
    pub fn fallback(self) -> TeamType {
        match self {
            TeamFamily::Eap => TeamType::Eap30,
            TeamFamily::Esb => TeamType::Esb1,
            TeamFamily::EMulti => TeamType::EMultiAmpliada,
        }
    }
}

impl ScnesTeamType {
    /// The type the rules apply: the record's when exact, else the homologated one if of the same family.
    pub fn resolve(self, homologated: TeamType) -> TeamType {
        match self {
            ScnesTeamType::Exact(t) => t,
            ScnesTeamType::Family(f) if f.contains(homologated) => homologated,
            ScnesTeamType::Family(f) => f.fallback(),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ScnesTeamType::Exact(t) => t.as_str(),
            ScnesTeamType::Family(f) => f.as_str(),
        }
    }

    /// A compact code for the binary form: the exact types by their order, the families after them.
    fn code(self) -> u8 {
        match self {
            ScnesTeamType::Exact(t) => {
                TeamType::ALL.iter().position(|x| *x == t).expect("listed") as u8
            }
            ScnesTeamType::Family(f) => {
                (TeamType::ALL.len()
                    + TeamFamily::ALL
                        .iter()
                        .position(|x| *x == f)
                        .expect("listed")) as u8
            }
        }
    }

    fn from_code(code: u8) -> Option<ScnesTeamType> {
        let i = usize::from(code);
        TeamType::ALL
            .get(i)
            .map(|t| ScnesTeamType::Exact(*t))
            .or_else(|| {
                TeamFamily::ALL
                    .get(i.checked_sub(TeamType::ALL.len())?)
                    .map(|f| ScnesTeamType::Family(*f))
            })
    }
}

impl From<TeamType> for ScnesTeamType {
    fn from(t: TeamType) -> Self {
        ScnesTeamType::Exact(t)
    }
}

impl fmt::Display for ScnesTeamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ScnesTeamType {
    type Err = VocabularyError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if let Some(f) = TeamFamily::ALL.iter().find(|f| f.as_str() == input) {
            return Ok(ScnesTeamType::Family(*f));
        }
        input
            .parse()
            .map(ScnesTeamType::Exact)
            .map_err(|e: VocabularyError| VocabularyError {
                expected: "um tipo de equipe (\"eSF\", \"eAP30\", …) ou só a família (\"eAP\", \"eSB\", \"eMulti\")",
                ..e
            })
    }
}

impl Serialize for ScnesTeamType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(self.as_str())
        } else {
            s.serialize_u8(self.code())
        }
    }
}

impl<'de> Deserialize<'de> for ScnesTeamType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            String::deserialize(d)?
                .parse()
                .map_err(serde::de::Error::custom)
        } else {
            let code = u8::deserialize(d)?;
            ScnesTeamType::from_code(code).ok_or_else(|| {
                serde::de::Error::custom(format!("código de tipo de equipe {code} desconhecido"))
            })
        }
    }
}

vocabulary!(
    /// A plano orçamentário of the public payment report.
    Plano, "plano orçamentário", {
        EsfEap => "eSF_eAP",
        SaudeBucal => "SaudeBucal",
        EMulti => "eMulti",
        Acs => "ACS",
        Demais => "Demais",
        // Portaria GM/MS 3.492/2024: the PAR incentive of the specialised outpatient programme (RULES.md §8),
        // transferred to the entes of a PAR, not a plano of the Piso da APS. Last: postcard codes by position.
        Aae => "AAE",
    }
);

impl Plano {
    /// The label the Fund's payment report uses.
    pub fn label_pt(self) -> &'static str {
        match self {
            Plano::EsfEap => "eSF e eAP",
            Plano::SaudeBucal => "Saúde Bucal",
            Plano::EMulti => "eMulti",
            Plano::Acs => "ACS",
            Plano::Demais => "Demais",
            Plano::Aae => "Atenção Ambulatorial Especializada (PAR)",
        }
    }
}

vocabulary!(
    /// A team's classification in the vínculo or qualidade component (seed 003 Q6).
    Classe, "classificação", {
        Otimo => "otimo",
        Bom => "bom",
        Suficiente => "suficiente",
        Regular => "regular",
    }
);

vocabulary!(
    /// The components paid by classification.
    QualityComponent, "componente", {
        Vinculo => "vinculo",
        Qualidade => "qualidade",
    }
);

/// What a credenciamento portaria credentials: a team type or ACS vacancies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CredentialType {
    Team(TeamType),
    Acs,
}

impl CredentialType {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialType::Team(t) => t.as_str(),
            CredentialType::Acs => "ACS",
        }
    }
}

impl fmt::Display for CredentialType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CredentialType {
    type Err = VocabularyError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if input == "ACS" {
            return Ok(CredentialType::Acs);
        }
        input
            .parse()
            .map(CredentialType::Team)
            .map_err(|e: VocabularyError| VocabularyError {
                expected: "um tipo de equipe (\"eSF\", \"eAP30\", …) ou \"ACS\"",
                ..e
            })
    }
}

impl Serialize for CredentialType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CredentialType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The IED stratum of a municipality, 1 to 4 (Portaria 3.493/2024, Anexo VI).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Estrato(u8);

impl Estrato {
    pub fn new(value: u8) -> Result<Estrato, VocabularyError> {
        if (1..=4).contains(&value) {
            Ok(Estrato(value))
        } else {
            Err(VocabularyError {
                kind: "estrato IED",
                input: value.to_string(),
                expected: "1 2 3 4",
            })
        }
    }
    pub fn get(self) -> u8 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Estrato {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Estrato::new(u8::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_types_parse_from_the_words_of_the_case_format() {
        for t in TeamType::ALL {
            assert_eq!(t.as_str().parse::<TeamType>().unwrap(), *t);
        }
        let err = "ESF".parse::<TeamType>().unwrap_err();
        assert!(err.to_string().contains("\"ESF\""), "{err}");
        assert!(err.to_string().contains("\"eSF\""), "{err}");
    }

    #[test]
    fn a_scnes_type_without_modality_takes_the_homologated_one_of_its_family() {
        let eap: ScnesTeamType = "eAP".parse().unwrap();
        assert_eq!(eap.resolve(TeamType::Eap20), TeamType::Eap20);
        assert_eq!(eap.resolve(TeamType::Esf), TeamType::Eap30);
        let exact: ScnesTeamType = "eSB2Q".parse().unwrap();
        assert_eq!(exact.resolve(TeamType::Esb1), TeamType::Esb2Q);
        for code in 0..=u8::MAX {
            if let Some(t) = ScnesTeamType::from_code(code) {
                assert_eq!(t.code(), code);
                assert_eq!(t.as_str().parse::<ScnesTeamType>().unwrap(), t);
            }
        }
        assert!("eap".parse::<ScnesTeamType>().is_err());
    }

    #[test]
    fn credential_type_accepts_acs_and_every_team_type() {
        assert_eq!(
            "ACS".parse::<CredentialType>().unwrap(),
            CredentialType::Acs
        );
        assert_eq!(
            "eAP20".parse::<CredentialType>().unwrap(),
            CredentialType::Team(TeamType::Eap20)
        );
        assert!("acs".parse::<CredentialType>().is_err());
    }

    #[test]
    fn stratum_outside_one_to_four_is_rejected() {
        assert!(Estrato::new(0).is_err());
        assert!(Estrato::new(5).is_err());
        assert_eq!(Estrato::new(4).unwrap().get(), 4);
        assert!(
            serde_json::from_str::<Estrato>("7")
                .unwrap_err()
                .to_string()
                .contains("estrato IED")
        );
    }
}
