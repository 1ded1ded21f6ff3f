//! Queries over the fold: team statuses, the decisions for integrators, explanations.

use repasse_proto::decision::{CredentialRevoked, Decision, SuspensionDecision};
use repasse_proto::{Competencia, Ine};

use crate::catalog;
use crate::engine::eval::LinkIndexPair;
use crate::engine::ledger::Ledger;
use crate::engine::teams::{Context, evaluate_team};
use crate::explain::Explanation;
use crate::law::payment::Line;
use crate::law::settings::Settings;
use crate::law::status::TeamStatus;

impl Ledger {
    /// Every homologated team known in SCNES by `c`, sorted by INE (empty if `c` is not closed).
    pub fn evaluate_competencia(&self, c: Competencia) -> Vec<TeamStatus> {
        self.evaluations()
            .by_competencia
            .get(&c)
            .map(|statuses| statuses.as_ref().clone())
            .unwrap_or_default()
    }

    pub fn team_status(&self, ine: Ine, c: Competencia) -> Option<TeamStatus> {
        let evaluations = self.evaluations();
        let statuses = evaluations.by_competencia.get(&c)?;
        statuses
            .binary_search_by_key(&ine, |s| s.ine)
            .ok()
            .map(|i| statuses[i].clone())
    }

    /// The statuses of a closed competência, shared with the evaluations (no copy); sorted by INE.
    pub fn statuses(&self, c: Competencia) -> std::sync::Arc<Vec<TeamStatus>> {
        self.evaluations()
            .by_competencia
            .get(&c)
            .map(std::sync::Arc::clone)
            .unwrap_or_default()
    }

    /// Changes of suspension state over the closed competências, in order: applied (0 → x), changed
    /// (x → y), lifted (x → 0), and SUSP.REVOGACAO revocations. A team that stops being payable (revoked,
    /// cancelled, beyond the credentialed quantity) has no suspension to lift: its state starts again at 0 %.
    pub fn suspension_decisions(&self) -> Vec<Decision> {
        self.state
            .closed
            .keys()
            .flat_map(|c| self.suspension_decisions_in(*c))
            .collect()
    }

    /// The changes of suspension state decided in one closed competência, against the closed competência
    /// before it: one merge of two INE-sorted lists, so a decision point does not walk the history. A team
    /// evaluated in a competência is evaluated in every later one (homologated and seen in SCNES by then),
    /// so its previous state is its status there: its percentage if payable, else 0.
    pub fn suspension_decisions_in(&self, c: Competencia) -> Vec<Decision> {
        let evaluations = self.evaluations();
        let Some(statuses) = evaluations.by_competencia.get(&c) else {
            return Vec::new();
        };
        let empty = Vec::new();
        let previous = evaluations
            .by_competencia
            .range(..c)
            .next_back()
            .map_or(&empty, |(_, s)| s.as_ref());
        let mut before_of = previous.iter().peekable();
        let mut out = Vec::new();
        for s in statuses.iter() {
            while before_of.next_if(|p| p.ine < s.ine).is_some() {}
            let before = before_of
                .next_if(|p| p.ine == s.ine)
                .filter(|p| p.payable)
                .map_or(0, |p| p.suspension_pct);
            if !s.payable {
                continue;
            }
            let decision = || SuspensionDecision {
                ine: s.ine,
                ibge: s.ibge,
                competencia: s.competencia,
                pct: s.suspension_pct,
                previous_pct: before,
                reasons: s.reasons.iter().map(|r| (*r).to_owned()).collect(),
            };
            match (before, s.suspension_pct) {
                (0, 0) => {}
                (0, _) => out.push(Decision::SuspensionApplied(decision())),
                (_, 0) => out.push(Decision::SuspensionLifted(decision())),
                (a, b) if a != b => out.push(Decision::SuspensionChanged(decision())),
                _ => {}
            }
            if s.revoked_now {
                out.push(Decision::CredentialRevoked(CredentialRevoked {
                    ine: s.ine,
                    ibge: s.ibge,
                    competencia: s.competencia,
                    reasons: vec![catalog::SUSP_REVOGACAO.id.to_owned()],
                }));
            }
        }
        out
    }

    /// The full explanation of a team's status in a competência: every rule checked, fired or not, with
    /// its citation, the facts (by stream position) behind each input, and the amounts of its parcela.
    pub fn explain_team(&self, ine: Ine, c: Competencia) -> Option<Explanation> {
        let status = self.team_status(ine, c)?;
        let entries = self.state.homologations.get(&ine)?;
        let mut checks = Vec::new();
        self.with_context(&self.evaluations(), c, |ctx| {
            evaluate_team(ctx, ine, entries, Some(&mut checks));
        });
        let lines = self
            .parcela(c.parcela(), Some(status.ibge))
            .lines
            .into_iter()
            .filter(|l| l.ine == ine)
            .collect();
        Some(Explanation::new(status, checks, lines))
    }

    /// The explanations of the teams of `c` for which `wanted` holds (the projector keeps those of every
    /// team suspended or not valid), sharing the competência's link indexes and parcela.
    pub fn explain_competencia(
        &self,
        c: Competencia,
        wanted: impl Fn(&TeamStatus) -> bool,
    ) -> Vec<Explanation> {
        let evaluations = self.evaluations();
        let Some(statuses) = evaluations.by_competencia.get(&c) else {
            return Vec::new();
        };
        let selected: Vec<&TeamStatus> = statuses.iter().filter(|s| wanted(s)).collect();
        if selected.is_empty() {
            return Vec::new();
        }
        // Lines of the municipalities explained only: a few hundred of 5,570 in a national competência.
        let ibges: std::collections::BTreeSet<repasse_proto::Ibge> =
            selected.iter().map(|s| s.ibge).collect();
        let mut lines: std::collections::BTreeMap<Ine, Vec<Line>> =
            std::collections::BTreeMap::new();
        for line in self
            .parcela_where(c.parcela(), &|ibge| ibges.contains(&ibge))
            .lines
        {
            lines.entry(line.ine).or_default().push(line);
        }
        self.with_context(&evaluations, c, |ctx| {
            selected
                .into_iter()
                .filter_map(|status| {
                    let entries = self.state.homologations.get(&status.ine)?;
                    let mut checks = Vec::new();
                    evaluate_team(ctx, status.ine, entries, Some(&mut checks));
                    let own = lines.remove(&status.ine).unwrap_or_default();
                    Some(Explanation::new(status.clone(), checks, own))
                })
                .collect()
        })
    }

    /// `f` with what evaluating a team of `c` again reads: the link indexes `evaluations` keep (or built),
    /// the revocations before `c` and the settings in force.
    fn with_context<R>(
        &self,
        evaluations: &crate::engine::eval::Evaluations,
        c: Competencia,
        f: impl FnOnce(&Context<'_>) -> R,
    ) -> R {
        let indexes = LinkIndexPair::of(evaluations, &self.state, c);
        let revoked = self.revocations_before(c);
        let settings = Settings::at(&self.params, c);
        let ctx = Context {
            state: &self.state,
            c,
            index: &indexes.current,
            previous: &indexes.previous,
            revoked: &revoked,
            settings: &settings,
        };
        f(&ctx)
    }

    fn revocations_before(&self, c: Competencia) -> rustc_hash::FxHashMap<u64, Competencia> {
        let evaluations = self.evaluations();
        let mut revoked = rustc_hash::FxHashMap::default();
        for (competencia, statuses) in evaluations.by_competencia.range(..c) {
            for s in statuses.iter().filter(|s| s.revoked_now) {
                revoked.insert(s.ine.get(), *competencia);
            }
        }
        revoked
    }
}
