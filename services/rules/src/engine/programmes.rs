//! What the fold keeps of the facts of RULES.md §7–9 — retroactive-credit requests and the Ministry's
//! decisions, the PARs and OCIs of the specialised outpatient programme, the training adhesions — for the
//! `retro`, `aae` and `aperf` modules. No team evaluation reads them; a `deferido` reaches the statements.

use std::collections::BTreeMap;

use repasse_proto::fact::{
    Ente, Fact, OciCatalog, OciProcedure, ParApproved, ParProduction, ParSubmitted, RetroDecision,
    RetroRequest,
};
use repasse_proto::{Parcela, Uf};

use crate::law::aperf::AdhesionEvent;
use crate::law::record::Position;

/// A decision of the Ministry on a request, and the parcela a `deferido` is posted in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionEntry {
    pub decision: RetroDecision,
    pub position: Position,
    /// RETRO.DECISAO [interp]: the first parcela not closed when the decision arrived, from the month of
    /// the decision and after the parcela the request is about.
    pub posted_in: Parcela,
}

/// One Plano de Ação Regional and what was reported of it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Par {
    pub submitted: Option<(ParSubmitted, Position)>,
    pub approvals: Vec<(ParApproved, Position)>,
    pub production: Vec<(ParProduction, Position)>,
}

impl Par {
    /// The UF of the PAR, once submitted.
    pub fn uf(&self) -> Option<Uf> {
        self.submitted.as_ref().map(|(s, _)| s.uf)
    }
}

#[derive(Default)]
pub(crate) struct ProgrammeFacts {
    /// The first request with each id (a repeated id changes nothing).
    pub(crate) retro_requests: BTreeMap<String, (RetroRequest, Position)>,
    /// The first decision on each request id.
    pub(crate) retro_decisions: BTreeMap<String, DecisionEntry>,
    pub(crate) pars: BTreeMap<String, Par>,
    /// The OCI catalogue: the latest entry of each code.
    pub(crate) oci_catalog: BTreeMap<String, (OciCatalog, Position)>,
    pub(crate) oci_procedures: Vec<(OciProcedure, Position)>,
    /// Each ente's training-adhesion events, in stream order.
    pub(crate) aperf: BTreeMap<Ente, Vec<(AdhesionEvent, Position)>>,
}

impl ProgrammeFacts {
    /// Folds one fact of §7–9; `closed` are the parcelas the Fund has closed so far.
    pub(crate) fn apply(
        &mut self,
        position: Position,
        fact: &Fact,
        closed: &BTreeMap<Parcela, Position>,
    ) {
        match fact {
            Fact::RetroRequest(f) => {
                self.retro_requests
                    .entry(f.id.clone())
                    .or_insert_with(|| (f.clone(), position));
            }
            Fact::RetroDecision(f) => {
                if self.retro_decisions.contains_key(&f.id) {
                    return;
                }
                let month = Parcela::from_ym(f.decided_on.year_month());
                let after_request = self
                    .retro_requests
                    .get(&f.id)
                    .map_or(month, |(r, _)| r.parcela.succ());
                let posted_in = first_open(closed, month.max(after_request), position);
                let entry = DecisionEntry {
                    decision: f.clone(),
                    position,
                    posted_in,
                };
                self.retro_decisions.insert(f.id.clone(), entry);
            }
            Fact::ParSubmitted(f) => {
                let par = self.pars.entry(f.par_id.clone()).or_default();
                par.submitted.get_or_insert_with(|| (f.clone(), position));
            }
            Fact::ParApproved(f) => self
                .pars
                .entry(f.par_id.clone())
                .or_default()
                .approvals
                .push((f.clone(), position)),
            Fact::ParProduction(f) => self
                .pars
                .entry(f.par_id.clone())
                .or_default()
                .production
                .push((f.clone(), position)),
            Fact::OciCatalog(f) => {
                self.oci_catalog
                    .insert(f.code.clone(), (f.clone(), position));
            }
            Fact::OciProcedure(f) => self.oci_procedures.push((f.clone(), position)),
            Fact::AperfAdhesion(f) => {
                self.aperf_event(f.ente, AdhesionEvent::Adhered(f.on), position)
            }
            Fact::AperfAdhesionDeleted(f) => {
                self.aperf_event(f.ente, AdhesionEvent::Deleted(f.on), position)
            }
            Fact::AperfResultPublished(f) => {
                self.aperf_event(f.ente, AdhesionEvent::ResultPublished(f.on), position)
            }
            Fact::AperfAdhesionSuspended(f) => {
                self.aperf_event(f.ente, AdhesionEvent::Suspended(f.on), position)
            }
            _ => debug_assert!(false, "not a fact of §7–9: {}", fact.event_type()),
        }
    }

    fn aperf_event(&mut self, ente: Ente, event: AdhesionEvent, position: Position) {
        self.aperf.entry(ente).or_default().push((event, position));
    }
}

/// The first parcela from `from` on that the Fund had not closed by the fact at `position`: where a
/// retroactive credit (RETRO.DECISAO) and a PAR stage (AAE.ETAPAS) are paid.
pub(crate) fn first_open(
    closed: &BTreeMap<Parcela, Position>,
    from: Parcela,
    position: Position,
) -> Parcela {
    let mut p = from;
    while closed
        .get(&p)
        .is_some_and(|closed_at| *closed_at < position)
    {
        p = p.succ();
    }
    p
}

/// The facts this module folds.
pub(crate) fn is_programme_fact(fact: &Fact) -> bool {
    matches!(
        fact,
        Fact::RetroRequest(_)
            | Fact::RetroDecision(_)
            | Fact::ParSubmitted(_)
            | Fact::ParApproved(_)
            | Fact::ParProduction(_)
            | Fact::OciCatalog(_)
            | Fact::OciProcedure(_)
            | Fact::AperfAdhesion(_)
            | Fact::AperfAdhesionDeleted(_)
            | Fact::AperfResultPublished(_)
            | Fact::AperfAdhesionSuspended(_)
    )
}
