//! RULES.md §3: categories by CBO and the minimum team of each team type.

use repasse_proto::{Cbo, TeamType};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Category {
    Medico,
    Enfermeiro,
    AuxTecEnf,
    Acs,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::Medico,
        Category::Enfermeiro,
        Category::AuxTecEnf,
        Category::Acs,
    ];

    /// The word of the CBO parameter table.
    pub fn code(self) -> &'static str {
        match self {
            Category::Medico => "MEDICO",
            Category::Enfermeiro => "ENFERMEIRO",
            Category::AuxTecEnf => "AUX_TEC_ENF",
            Category::Acs => "ACS",
        }
    }

    /// `NENHUMA` (and anything else) is no category.
    pub fn from_code(code: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.code() == code)
    }

    pub fn bit(self) -> u8 {
        1 << self as u8
    }
    pub fn label(self) -> &'static str {
        match self {
            Category::Medico => "médico",
            Category::Enfermeiro => "enfermeiro",
            Category::AuxTecEnf => "auxiliar/técnico de enfermagem",
            Category::Acs => "ACS",
        }
    }
}

/// The compiled-in default of the CBO parameter table (public e-SUS APS documentation; the official
/// per-team-type list was not found). A `parameter_table` fact for `CBO.CATEGORIA` replaces it.
pub const CBO_TABLE: &[(u32, Category)] = &[
    (225142, Category::Medico),
    (225130, Category::Medico),
    (225170, Category::Medico),
    (225125, Category::Medico),
    (225250, Category::Medico),
    (223565, Category::Enfermeiro),
    (223505, Category::Enfermeiro),
    (322245, Category::AuxTecEnf),
    (322250, Category::AuxTecEnf),
    (322205, Category::AuxTecEnf),
    (322230, Category::AuxTecEnf),
    (515105, Category::Acs),
    (322255, Category::Acs),
];

pub fn category(cbo: Cbo) -> Option<Category> {
    CBO_TABLE
        .iter()
        .find(|(code, _)| *code == cbo.get())
        .map(|(_, c)| *c)
}

/// A set of categories as a bit mask.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Categories(pub u8);

impl Categories {
    pub const MEDICO_ENFERMEIRO: Categories = Categories(1 | 2);
    pub const ESF: Categories = Categories(1 | 2 | 4 | 8);

    pub fn with(self, c: Category) -> Categories {
        Categories(self.0 | c.bit())
    }
    pub fn contains(self, c: Category) -> bool {
        self.0 & c.bit() != 0
    }
    pub fn len(self) -> u32 {
        self.0.count_ones()
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn intersect(self, other: Categories) -> Categories {
        Categories(self.0 & other.0)
    }
    pub fn minus(self, other: Categories) -> Categories {
        Categories(self.0 & !other.0)
    }
    pub fn is_exactly(self, cs: &[Category]) -> bool {
        self == cs.iter().fold(Categories::default(), |s, c| s.with(*c))
    }
    pub fn labels(self) -> String {
        let names: Vec<_> = Category::ALL
            .iter()
            .filter(|c| self.contains(**c))
            .map(|c| c.label())
            .collect();
        if names.is_empty() {
            "nenhuma".to_owned()
        } else {
            names.join(", ")
        }
    }
}

/// The minimum team: eSF = médico, enfermeiro, aux/téc, ACS; eAP = médico, enfermeiro; others none here.
pub fn minimum_team(team_type: TeamType) -> Categories {
    if team_type.is_esf() {
        Categories::ESF
    } else if team_type.is_eap() {
        Categories::MEDICO_ENFERMEIRO
    } else {
        Categories::default()
    }
}
