//! Test fixtures for the law's given/when/then tests: a team's records, a history and the professionals
//! across teams, built by hand.

use std::collections::BTreeMap;
use std::sync::Arc;

use repasse_proto::{Competencia, CredentialType, Ibge, Ine, Parcela, TeamType};

use crate::law::record::{HomologationEntry, Link, Position, TeamRecord, Upload};
use crate::law::settings::Settings;
use crate::law::view::{History, Professionals, TeamView};
use crate::params::Params;

pub const MEDICO: u32 = 225142;
pub const ENFERMEIRO: u32 = 223565;
pub const AUX: u32 = 322245;
pub const ACS: u32 = 515105;
pub const FULL_ESF: [u32; 4] = [MEDICO, ENFERMEIRO, AUX, ACS];

pub fn c(text: &str) -> Competencia {
    text.parse().expect("a competência")
}

pub fn ine() -> Ine {
    "0001234561".parse().expect("an INE")
}

pub fn ibge() -> Ibge {
    "261180".parse().expect("an IBGE code")
}

/// An active eSF record with one 40 h professional per CBO, person keys 1, 2, 3…
pub fn record(cbos: &[u32], position: Position) -> TeamRecord {
    record_with(
        cbos.iter()
            .enumerate()
            .map(|(i, cbo)| (i as u64 + 1, *cbo, 40))
            .collect(),
        position,
    )
}

/// An active eSF record with (person, CBO, weekly hours) links.
pub fn record_with(links: Vec<(u64, u32, u8)>, position: Position) -> TeamRecord {
    TeamRecord {
        ibge: ibge(),
        team_type: TeamType::Esf.into(),
        active: true,
        links: Arc::from(
            links
                .into_iter()
                .map(|(cpf, cbo, hours)| Link {
                    person: cpf,
                    cbo,
                    hours,
                    present: true,
                })
                .collect::<Vec<_>>(),
        ),
        position,
    }
}

pub fn homologated_from(p: &str) -> Vec<HomologationEntry> {
    vec![HomologationEntry {
        ibge: ibge(),
        cnes: "2000001".parse().expect("a CNES"),
        team_type: TeamType::Esf,
        from: p.parse::<Parcela>().expect("a parcela"),
        position: 1,
    }]
}

/// The settings in force for `c` with the compiled-in parameters.
pub fn settings(at: Competencia) -> Settings {
    Settings::at(&Params::default(), at)
}

/// The view of the team in `at`, with its records of C and C − 1.
pub fn view<'a>(
    at: Competencia,
    homologations: &'a [HomologationEntry],
    record: Option<&'a TeamRecord>,
    prior: Option<&'a TeamRecord>,
    first: Competencia,
) -> TeamView<'a> {
    TeamView {
        ine: ine(),
        c: at,
        homologations,
        cancellations: &[],
        record,
        prior,
        first_scnes: first,
        revoked_at: None,
    }
}

/// A history: credentialed quantity, the team's uploads by competência, control body acts.
#[derive(Default)]
pub struct GivenHistory {
    pub credentialed: u32,
    pub uploads: BTreeMap<(Option<u64>, Competencia), Upload>,
    pub control: Vec<(Competencia, bool, Position)>,
}

impl GivenHistory {
    /// The team's production of `m`, approved and received on the deadline of CAL.SISAB_PRAZO.
    pub fn on_time(mut self, m: Competencia, position: Position) -> GivenHistory {
        let received = crate::calendar::sisab_deadline(m);
        self.uploads.insert(
            (None, m),
            Upload {
                approved: Some((received, position)),
                first: position,
            },
        );
        self
    }
}

impl History for GivenHistory {
    fn credentialed(&self, _: Ibge, _: CredentialType, _: Parcela) -> u32 {
        self.credentialed
    }
    fn upload(&self, _: Ine, agent: Option<u64>, m: Competencia) -> Option<Upload> {
        self.uploads.get(&(agent, m)).copied()
    }
    fn control(&self, _: Ine) -> &[(Competencia, bool, Position)] {
        &self.control
    }
    fn agent_first(&self, _: Ine, _: u64) -> Option<Competencia> {
        None
    }
    fn closed_at(&self, _: Competencia) -> Option<Position> {
        None
    }
}

/// Each person's (summed weekly hours, homologated teams) across every team of a competência.
#[derive(Default)]
pub struct GivenProfessionals(pub BTreeMap<u64, (u16, u8)>);

impl Professionals for GivenProfessionals {
    fn weekly_hours(&self, person: u64) -> u16 {
        self.0.get(&person).map_or(0, |e| e.0)
    }
    fn homologated_teams(&self, person: u64) -> u8 {
        self.0.get(&person).map_or(0, |e| e.1)
    }
}
