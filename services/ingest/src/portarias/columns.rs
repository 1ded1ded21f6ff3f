//! The columns of the annexes: the names each goes by (accents, case and punctuation dropped), where
//! each is in a header, and what an act cannot do without.

use super::Act;

/// The names each column goes by in the annexes, normalised.
const UF: &[&str] = &["UF", "SGUF", "SIGLAUF", "SIGLADAUF"];
const IBGE: &[&str] = &[
    "IBGE",
    "CODIGOIBGE",
    "CODIBGE",
    "CODIGO",
    "CODM",
    "CODMUN",
    "COMUNICIPIO",
    "CODIGODOMUNICIPIO",
    "CODIGOIBGEDOMUNICIPIO",
    "IBGEDOMUNICIPIO",
];
const MUNICIPIO: &[&str] = &["MUNICIPIO", "MUNICIPIOS", "NOMEDOMUNICIPIO", "NOMUNICIPIO"];
const CNES: &[&str] = &["CNES", "CODIGOCNES", "COCNES", "CNESDOESTABELECIMENTO"];
const INE: &[&str] = &[
    "INE",
    "CODIGOINE",
    "COINE",
    "CODIGODAEQUIPE",
    "CODIGODAEQUIPEINE",
];
const TIPO: &[&str] = &[
    "TIPODEEQUIPE",
    "TIPOEQUIPE",
    "TIPODAEQUIPE",
    "TIPO",
    "MODALIDADE",
];
/// A quantity of the row's (or the annex's) team type.
const QUANTIDADE: &[&str] = &[
    "QUANTIDADE",
    "QUANTITATIVO",
    "QTD",
    "QUANTIDADECREDENCIADA",
    "QUANTIDADEDEEQUIPES",
    "NDEEQUIPES",
    "NUMERODEEQUIPES",
    "EQUIPES",
    "EQUIPESCREDENCIADAS",
    "CREDENCIADAS",
];
/// A quantity of ACS vacancies, beside the teams' in the older annexes (`AGENTES EQUIPES`).
const AGENTES: &[&str] = &[
    "AGENTES",
    "ACS",
    "QUANTIDADEDEACS",
    "AGENTESCOMUNITARIOSDESAUDE",
    "VAGASDEACS",
];

/// Where each known column is in the header.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Columns {
    pub(super) uf: Option<usize>,
    pub(super) ibge: Option<usize>,
    pub(super) municipio: Option<usize>,
    pub(super) cnes: Option<usize>,
    pub(super) ine: Option<usize>,
    pub(super) tipo: Option<usize>,
    pub(super) quantidade: Option<usize>,
    pub(super) agentes: Option<usize>,
    /// The header's number of columns.
    pub(super) width: usize,
}

impl Columns {
    pub(super) fn of(cells: &[String]) -> Columns {
        let find = |names: &[&str]| cells.iter().position(|c| names.contains(&c.as_str()));
        Columns {
            uf: find(UF),
            ibge: find(IBGE),
            municipio: find(MUNICIPIO),
            cnes: find(CNES),
            ine: find(INE),
            tipo: find(TIPO),
            quantidade: find(QUANTIDADE),
            agentes: find(AGENTES),
            width: cells.len(),
        }
    }

    /// What `act` cannot do without, named as a person reads the annex.
    pub(super) fn missing(&self, act: Act, typed: bool) -> Vec<&'static str> {
        let mut missing = Vec::new();
        let needs = match act {
            Act::Homologacao => vec![(self.ibge, "IBGE"), (self.cnes, "CNES"), (self.ine, "INE")],
            Act::Credenciamento => vec![(self.ibge, "IBGE")],
            Act::Cancelamento => vec![(self.ine, "INE")],
        };
        missing.extend(
            needs
                .into_iter()
                .filter(|(at, _)| at.is_none())
                .map(|(_, n)| n),
        );
        if act == Act::Credenciamento && self.quantidade.is_none() && self.agentes.is_none() {
            missing.push("QUANTIDADE (ou AGENTES)");
        }
        let needs_type =
            act == Act::Homologacao || (act == Act::Credenciamento && self.quantidade.is_some());
        if needs_type && self.tipo.is_none() && !typed {
            missing.push("TIPO DE EQUIPE (ou --team-type)");
        }
        missing
    }
}

/// Whether a normalised header cell is one of the annexes' columns.
pub(super) fn known(name: &str) -> bool {
    [UF, IBGE, MUNICIPIO, CNES, INE, TIPO, QUANTIDADE, AGENTES]
        .iter()
        .any(|aliases| aliases.contains(&name))
}

/// Two columns of the header that mean the same thing (`IBGE` and `CÓDIGO`, `QUANTIDADE` and `EQUIPES`):
/// which one counts cannot be told.
pub(super) fn ambiguous(names: &[String]) -> Option<String> {
    let roles: [(&str, &[&str]); 8] = [
        ("UF", UF),
        ("IBGE", IBGE),
        ("MUNICÍPIO", MUNICIPIO),
        ("CNES", CNES),
        ("INE", INE),
        ("TIPO DE EQUIPE", TIPO),
        ("QUANTIDADE", QUANTIDADE),
        ("AGENTES", AGENTES),
    ];
    roles.iter().find_map(|(role, aliases)| {
        let matching: Vec<&str> = names
            .iter()
            .filter(|n| aliases.contains(&n.as_str()))
            .map(String::as_str)
            .collect();
        (matching.len() > 1).then(|| {
            format!(
                "mais de uma coluna para {role} ({}): deixe só uma no arquivo",
                matching.join(", ")
            )
        })
    })
}
