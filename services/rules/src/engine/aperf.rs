//! RULES.md §9 through the ledger: each ente's training adhesion, and whether a professional (by CPF or
//! CNS) may enrol on a date ([`crate::law::aperf`]), from the SCNES links the ledger holds.

use repasse_proto::fact::Ente;
use repasse_proto::{Competencia, Date, Ibge, Ine};

use crate::catalog;
use crate::engine::ledger::Ledger;
use crate::law::aperf::{self, AdhesionEvent, AdhesionOn, Calendar};
use crate::law::record::Position;

/// A link of the professional found in SCNES.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LinkFound {
    pub competencia: Competencia,
    pub ibge: Ibge,
    /// The team (unknown where the links come from the API's compact read model).
    pub ine: Option<Ine>,
}

/// Whether a professional may enrol on a date, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Enrolment {
    pub on: Date,
    pub eligible: bool,
    /// The rule ids that make the professional ineligible (empty when eligible).
    pub reasons: Vec<&'static str>,
    pub links: Vec<LinkFound>,
    /// Each ente checked (the municipality and the state of every link), with its rule checks.
    pub entes: Vec<(Ente, AdhesionOn)>,
}

/// The entes a professional's links reach: the municipality of each link (a municipal team's
/// professional is linked to the municipality, NT 425/2025 §7.1), and the Distrito Federal as a state
/// for a link in it. [interp] A state's adhesion covers its own establishments, which the APS teams the
/// ledger holds are not.
pub fn entes_of(ibges: &[Ibge]) -> Vec<Ente> {
    let mut entes: Vec<Ente> = ibges
        .iter()
        .flat_map(|ibge| {
            let df = ibge
                .uf()
                .filter(|uf| *uf == repasse_proto::Uf::DF)
                .map(Ente::Estado);
            std::iter::once(Ente::Municipio(*ibge)).chain(df)
        })
        .collect();
    entes.sort();
    entes.dedup();
    entes
}

impl Ledger {
    /// The adhesion calendar in force (table `APERF.PRAZOS`).
    pub fn aperf_calendar(&self) -> Calendar {
        Calendar::from_params(&self.params)
    }

    /// An ente's adhesion as of `on`.
    pub fn aperf_adhesion(&self, ente: Ente, on: Date) -> AdhesionOn {
        aperf::adhesion_on(&self.aperf_calendar(), &self.aperf_events(ente), on)
    }

    /// APERF.ELEGIVEL: may the professional whose person key (CPF, or CNS where SCNES masks the CPF) is
    /// one of `persons` enrol on `on`? [interp] The links are those of the latest closed SCNES competência
    /// up to the date's month (without one, the latest with records), present on its last day; the ledger
    /// holds the APS teams' links only, so a professional of specialised care or surveillance is not found.
    pub fn aperf_enrolment(&self, persons: &[u64], on: Date) -> Enrolment {
        let month = Competencia::from_ym(on.year_month());
        // The latest closed competência up to the month; without one, the latest with SCNES records.
        let latest = self
            .state
            .closed
            .range(..=month)
            .next_back()
            .map(|(c, _)| c)
            .or_else(|| self.state.scnes.range(..=month).next_back().map(|(c, _)| c));
        let links: Vec<LinkFound> = latest
            .map(|c| {
                let mut found: Vec<LinkFound> = self
                    .state
                    .scnes
                    .get(c)
                    .into_iter()
                    .flatten()
                    .filter(|(_, r)| r.active)
                    .filter(|(_, r)| {
                        r.links
                            .iter()
                            .any(|l| l.present && persons.contains(&l.person))
                    })
                    .map(|(ine, r)| LinkFound {
                        competencia: *c,
                        ibge: r.ibge,
                        ine: Ine::from_number(*ine).ok(),
                    })
                    .collect();
                found.sort_by_key(|l| l.ine);
                found
            })
            .unwrap_or_default();
        let ibges: Vec<Ibge> = links.iter().map(|l| l.ibge).collect();
        let entes = entes_of(&ibges)
            .into_iter()
            .map(|ente| (ente, self.aperf_events(ente)))
            .collect::<Vec<_>>();
        let (eligible, reasons, entes) =
            aperf::enrolment(&self.aperf_calendar(), !links.is_empty(), &entes, on);
        Enrolment {
            on,
            eligible,
            reasons,
            links,
            entes,
        }
    }

    /// An ente's training-adhesion events, in stream order.
    pub fn aperf_events(&self, ente: Ente) -> Vec<AdhesionEvent> {
        self.state
            .programmes
            .aperf
            .get(&ente)
            .map(|v| v.iter().map(|(e, _)| *e).collect())
            .unwrap_or_default()
    }

    /// Every professional present in an active team of competência `c`, with the team's municipality:
    /// (person key, IBGE), sorted, without repeats (what the API answers APERF.ELEGIVEL from).
    pub fn links_in(&self, c: Competencia) -> Vec<(u64, Ibge)> {
        let mut links: Vec<(u64, Ibge)> = self
            .state
            .scnes
            .get(&c)
            .into_iter()
            .flatten()
            .filter(|(_, r)| r.active)
            .flat_map(|(_, r)| {
                r.links
                    .iter()
                    .filter(|l| l.present)
                    .map(move |l| (l.person, r.ibge))
            })
            .collect();
        links.sort_unstable();
        links.dedup();
        links
    }

    /// The adhesion status an ente's event at `position` leads to (what the projector publishes).
    pub fn aperf_status_at(
        &self,
        ente: Ente,
        position: Position,
    ) -> Option<repasse_proto::Decision> {
        let events = self.state.programmes.aperf.get(&ente)?;
        let upto = events.iter().position(|(_, at)| *at == position)?;
        let cal = self.aperf_calendar();
        let before: Vec<AdhesionEvent> = events[..=upto].iter().map(|(e, _)| *e).collect();
        let event = before[upto];
        let on = match event {
            AdhesionEvent::Adhered(d)
            | AdhesionEvent::Deleted(d)
            | AdhesionEvent::ResultPublished(d)
            | AdhesionEvent::Suspended(d) => d,
        };
        let judged = aperf::adhesion_on(&cal, &before, on);
        let adhered = !judged
            .checks
            .iter()
            .any(|(r, against, _)| r.key == catalog::RuleId::AperfJanela && *against);
        let status = match event {
            AdhesionEvent::Adhered(_) if adhered => "aderida",
            AdhesionEvent::Deleted(_) if !adhered => "excluida",
            AdhesionEvent::ResultPublished(_) if judged.valid => "valida",
            AdhesionEvent::Suspended(_) if adhered => "suspensa",
            _ => "sem_efeito",
        };
        let detail = judged
            .checks
            .iter()
            .map(|(rule, _, detail)| format!("{}: {detail}", rule.id))
            .collect::<Vec<_>>()
            .join("; ");
        let reasons = judged
            .checks
            .iter()
            .filter(|(_, against, _)| *against)
            .map(|(rule, _, _)| rule.id.to_owned())
            .collect();
        Some(repasse_proto::Decision::AperfAdhesionStatus(
            repasse_proto::decision::AperfAdhesionStatus {
                ente,
                on,
                status: status.to_owned(),
                valid_until: judged.valid_until.filter(|_| adhered),
                detail,
                reasons,
            },
        ))
    }
}
