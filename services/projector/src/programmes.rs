//! The decision points and read models of RULES.md §7–9: a retroactive-credit request (the ledger's
//! recommendation) and the Ministry's decision on it, a PAR fact that makes a stage due, an ente's
//! training-adhesion event; and the read models the API answers these programmes from.

use repasse_proto::fact::Ente;
use repasse_proto::{Competencia, Date, Decision, Fact, Ibge};
use repasse_rules::Ledger;
use repasse_rules::engine::aperf::{Enrolment, LinkFound, entes_of};
use repasse_rules::law::aperf::{self, AdhesionEvent, Calendar};

use crate::step::{Write, json_write, tree};
use crate::store::Store;

/// What a programme fact leaves to write once its decisions are out.
#[derive(Debug)]
pub(crate) enum Model {
    Retro(String),
    Par(String),
    Apacs,
    Aperf(Ente),
}

/// The decisions a programme fact makes at `position` (each published once: at the fact that makes it),
/// and the read model to write after them; `None` for any other fact.
pub(crate) fn decide(
    ledger: &Ledger,
    position: u64,
    fact: &Fact,
) -> Option<(Vec<Decision>, Model)> {
    let decided = match fact {
        Fact::RetroRequest(f) => {
            let case = ledger.retro_case_at(&f.id, position)?;
            (vec![case.recommended()], Model::Retro(f.id.clone()))
        }
        Fact::RetroDecision(f) => {
            let decisions = ledger
                .retro_decision_at(&f.id, position)
                .and_then(|case| case.decided())
                .into_iter()
                .collect();
            (decisions, Model::Retro(f.id.clone()))
        }
        Fact::ParSubmitted(repasse_proto::fact::ParSubmitted { par_id, .. })
        | Fact::ParApproved(repasse_proto::fact::ParApproved { par_id, .. })
        | Fact::ParProduction(repasse_proto::fact::ParProduction { par_id, .. }) => (
            ledger.aae_stages_due_at(par_id, position),
            Model::Par(par_id.clone()),
        ),
        Fact::OciCatalog(_) | Fact::OciProcedure(_) => (Vec::new(), Model::Apacs),
        Fact::AperfAdhesion(f)
        | Fact::AperfAdhesionDeleted(f)
        | Fact::AperfResultPublished(f)
        | Fact::AperfAdhesionSuspended(f) => (
            ledger
                .aperf_status_at(f.ente, position)
                .into_iter()
                .collect(),
            Model::Aperf(f.ente),
        ),
        _ => return None,
    };
    Some(decided)
}

/// An ente's training adhesion as the API reads it: its events and the calendar they are judged by.
#[derive(serde::Serialize, serde::Deserialize)]
struct AdhesionModel {
    calendar: Calendar,
    events: Vec<AdhesionEvent>,
}

pub(crate) fn read_models(ledger: &Ledger, model: Model, writes: &mut Vec<Write>) {
    match model {
        Model::Retro(id) => {
            if let Some(case) = ledger.retro_case(&id) {
                writes.push(json_write(tree::RETROATIVO, id, &case));
            }
        }
        Model::Par(id) => {
            if let Some(par) = ledger.par(&id) {
                writes.push(json_write(tree::AAE, id, &par));
            }
        }
        Model::Apacs => {
            for apac in ledger.apacs() {
                writes.push(json_write(tree::OCI, apac.apac.clone(), &apac));
            }
        }
        Model::Aperf(ente) => {
            let model = AdhesionModel {
                calendar: ledger.aperf_calendar(),
                events: ledger.aperf_events(ente),
            };
            writes.push(json_write(tree::APERF, ente.to_string(), &model));
        }
    }
}

/// Every retroactive-credit request again (their recommendation follows the ledger's decisions): at a
/// parcela's close.
pub(crate) fn retro_read_models(ledger: &Ledger, writes: &mut Vec<Write>) {
    for case in ledger.retro_cases() {
        writes.push(json_write(tree::RETROATIVO, case.id.clone(), &case));
    }
}

/// Bytes per link of `vinculos`: the person key and the IBGE, little-endian.
const LINK_BYTES: usize = 12;

/// At a competência's close: its professionals' links, compact (12 bytes each, sorted by person), from
/// which the API answers APERF.ELEGIVEL without a ledger.
pub(crate) fn links_read_model(ledger: &Ledger, c: Competencia, writes: &mut Vec<Write>) {
    let links = ledger.links_in(c);
    let mut value = Vec::with_capacity(links.len() * LINK_BYTES);
    for (person, ibge) in links {
        value.extend_from_slice(&person.to_le_bytes());
        value.extend_from_slice(&ibge.get().to_le_bytes());
    }
    writes.push(Write {
        tree: tree::VINCULOS,
        key: c.to_string(),
        value,
    });
}

/// How far back the API looks for the latest closed competência with links.
const LINKS_LOOKBACK_MONTHS: i32 = 36;

/// APERF.ELEGIVEL from the read models, as `Ledger::aperf_enrolment` answers it from the log.
pub fn enrolment_from_store(
    store: &Store,
    persons: &[u64],
    on: Date,
) -> Result<Enrolment, crate::store::Error> {
    let month = Competencia::from_ym(on.year_month());
    let mut links = Vec::new();
    for back in 0..LINKS_LOOKBACK_MONTHS {
        let c = month.add_months(-back);
        let Some(bytes) = store.get_raw(tree::VINCULOS, &c.to_string())? else {
            continue;
        };
        let records: Vec<(u64, Ibge)> = bytes
            .chunks_exact(LINK_BYTES)
            .map(|r| {
                let person = u64::from_le_bytes(r[..8].try_into().expect("8 bytes"));
                let ibge = u32::from_le_bytes(r[8..].try_into().expect("4 bytes"));
                (
                    person,
                    Ibge::from_number(ibge).expect("stored IBGE codes are valid"),
                )
            })
            .collect();
        for person in persons {
            let from = records.partition_point(|(p, _)| p < person);
            links.extend(records[from..].iter().take_while(|(p, _)| p == person).map(
                |(_, ibge)| LinkFound {
                    competencia: c,
                    ibge: *ibge,
                    ine: None,
                },
            ));
        }
        break;
    }
    let ibges: Vec<Ibge> = links.iter().map(|l| l.ibge).collect();
    let mut calendar = None;
    let mut entes = Vec::new();
    for ente in entes_of(&ibges) {
        let model: Option<AdhesionModel> = store
            .get_raw(tree::APERF, &ente.to_string())?
            .map(|bytes| serde_json::from_slice(&bytes).expect("read models deserialize"));
        let events = match model {
            Some(m) => {
                calendar.get_or_insert(m.calendar);
                m.events
            }
            None => Vec::new(),
        };
        entes.push((ente, events));
    }
    // No ente of the links adhered: the calendar does not decide, the compiled-in one is shown.
    let cal = calendar.unwrap_or_else(|| Calendar::from_params(&repasse_rules::Params::default()));
    let (eligible, reasons, entes) = aperf::enrolment(&cal, !links.is_empty(), &entes, on);
    Ok(Enrolment {
        on,
        eligible,
        reasons,
        links,
        entes,
    })
}
