//! Recomposition (RULES.md §6, PRC 6/2017 art. 12-T): municipalities that receive less eSF/eAP under the
//! new model than in the 12 parcelas before it are compensated, while they keep their teams.

use std::sync::Arc;

use repasse_proto::{Ibge, Money, Parcela, Plano};
use rust_decimal::Decimal;

use crate::calendar::novo_modelo_from;
use crate::engine::ledger::Ledger;
use crate::engine::pay::ParcelaBasis;
use crate::law::payment::{Component, Line};
use crate::law::recomposition::{
    self, Recomposition, RecompositionParcela, WINDOW_MONTHS, equivalence,
};
use crate::law::status::TeamStatus;

/// Per parcela, per municipality: eSF/eAP efetivo and equivalent team count, computed once for the country.
type NationalSeries =
    std::collections::BTreeMap<Parcela, std::collections::BTreeMap<Ibge, (Money, Decimal)>>;

/// Municipalities per range when the series computes a parcela's lines.
const SERIES_MUNICIPALITIES: usize = 512;

/// Adds the eSF/eAP efetivo of `lines` to the series entry, per municipality.
fn add_lines<'l>(
    per_ibge: &mut std::collections::BTreeMap<Ibge, (Money, Decimal)>,
    lines: impl IntoIterator<Item = &'l Line>,
) {
    for line in lines {
        if line.plano == Plano::EsfEap && line.component != Component::Implantacao {
            per_ibge.entry(line.ibge).or_default().0 += line.integral - line.desconto;
        }
    }
}

impl Ledger {
    /// The recomposition of every municipality with historical transfers, in one pass over the parcelas.
    pub fn recompositions(&self) -> Vec<Recomposition> {
        let mut series: NationalSeries = std::collections::BTreeMap::new();
        let evaluations = self.evaluations();
        let mut cache = self.series_cache.lock().expect("series cache lock");
        for p in self.parcelas() {
            // A parcela's lines follow from its competência's statuses and from facts that reach every
            // competência (parameters, strata, classifications): the same shared statuses, same series.
            let statuses = evaluations.by_competencia.get(&p.competencia());
            if let (Some(statuses), Some((cached_for, cached))) = (statuses, cache.get(&p))
                && Arc::ptr_eq(statuses, cached_for)
            {
                series.insert(p, cached.clone());
                continue;
            }
            // Range by range of municipalities: the country's lines are never all held at once.
            let mut per_ibge = self.series_entry(p, statuses.map(|s| s.as_slice()), []);
            for (from, to) in self.municipality_ranges(SERIES_MUNICIPALITIES) {
                let keep =
                    |ibge: Ibge| from.is_none_or(|f| ibge >= f) && to.is_none_or(|t| ibge < t);
                add_lines(&mut per_ibge, &self.parcela_where(p, &keep).lines);
            }
            if let Some(statuses) = statuses {
                cache.insert(p, (Arc::clone(statuses), per_ibge.clone()));
            }
            series.insert(p, per_ibge);
        }
        drop(cache);
        let ibges: std::collections::BTreeSet<Ibge> = self
            .state
            .historical
            .keys()
            .map(|(ibge, ..)| *ibge)
            .collect();
        ibges
            .into_iter()
            .filter_map(|ibge| {
                let efetivo = |p: Parcela| {
                    series
                        .get(&p)
                        .and_then(|m| m.get(&ibge))
                        .map_or(Money::ZERO, |v| v.0)
                };
                let count = |p: Parcela| {
                    series
                        .get(&p)
                        .and_then(|m| m.get(&ibge))
                        .map_or(Decimal::ZERO, |v| v.1)
                };
                self.recomposition_with(ibge, &efetivo, &count)
            })
            .collect()
    }

    /// Parcela `p`'s entry of the national series: per municipality, the eSF/eAP efetivo of its lines and
    /// the equivalent count of its payable teams.
    fn series_entry<'l>(
        &self,
        p: Parcela,
        statuses: Option<&[TeamStatus]>,
        lines: impl IntoIterator<Item = &'l Line>,
    ) -> std::collections::BTreeMap<Ibge, (Money, Decimal)> {
        let mut per_ibge: std::collections::BTreeMap<Ibge, (Money, Decimal)> =
            std::collections::BTreeMap::new();
        add_lines(&mut per_ibge, lines);
        for status in statuses.into_iter().flatten() {
            if status.payable {
                per_ibge.entry(status.ibge).or_default().1 +=
                    equivalence(self.params(), status.team_type, p);
            }
        }
        per_ibge
    }

    /// Keeps parcela `p`'s entry of the national series from its lines computed on `basis` elsewhere (the
    /// projector's decision point computed them all): `recompositions` then does not compute them again.
    /// `lines` must be all the lines of the parcela on that basis, and `basis` the ledger's current one.
    pub fn remember_series<'l>(
        &self,
        basis: &ParcelaBasis,
        lines: impl IntoIterator<Item = &'l Line>,
    ) {
        let Some(statuses) = basis.statuses() else {
            return;
        };
        let p = basis.parcela();
        let per_ibge = self.series_entry(p, Some(statuses.as_slice()), lines);
        let mut cache = self.series_cache.lock().expect("series cache lock");
        cache.insert(p, (Arc::clone(statuses), per_ibge));
    }

    /// eSF/eAP efetivo of fixed + vínculo + qualidade lines (RECOMP.NOVO's definition).
    fn esf_eap_efetivo(&self, ibge: Ibge, p: Parcela) -> Money {
        self.parcela(p, Some(ibge))
            .lines
            .iter()
            .filter(|l| l.plano == Plano::EsfEap && l.component != Component::Implantacao)
            .map(|l| l.integral - l.desconto)
            .sum()
    }

    fn equivalent_count(&self, ibge: Ibge, p: Parcela) -> Decimal {
        let evaluations = self.evaluations();
        let Some(statuses) = evaluations.by_competencia.get(&p.competencia()) else {
            return Decimal::ZERO;
        };
        statuses
            .iter()
            .filter(|s| s.payable && s.ibge == ibge)
            .map(|s| equivalence(self.params(), s.team_type, p))
            .sum()
    }

    /// The municipality's recomposition, or `None` without any historical transfer (no base to compare).
    pub fn recomposition(&self, ibge: Ibge) -> Option<Recomposition> {
        let efetivo = |p: Parcela| self.esf_eap_efetivo(ibge, p);
        let count = |p: Parcela| self.equivalent_count(ibge, p);
        self.recomposition_with(ibge, &efetivo, &count)
    }

    fn recomposition_with(
        &self,
        ibge: Ibge,
        efetivo: &dyn Fn(Parcela) -> Money,
        count: &dyn Fn(Parcela) -> Decimal,
    ) -> Option<Recomposition> {
        let start = novo_modelo_from();
        let base_window = (start.add_months(-WINDOW_MONTHS), start.pred());
        let mut base = Money::ZERO;
        let mut base_positions = Vec::new();
        for ((_, _, _), (amount, positions)) in self
            .state
            .historical
            .range((ibge, Plano::EsfEap, base_window.0)..=(ibge, Plano::EsfEap, base_window.1))
        {
            base += *amount;
            base_positions.extend(positions);
        }
        if base_positions.is_empty() {
            return None;
        }
        let novo: Money = Parcela::range_inclusive(start, start.add_months(WINDOW_MONTHS - 1))
            .map(efetivo)
            .sum();
        let factor = self.params.number(
            crate::params::RECOMP,
            "compensacao",
            start.add_months(WINDOW_MONTHS),
        );
        let (monthly_value, compensation) = recomposition::value(base, novo, factor);
        let reference_count = count(start);
        let parcelas = if compensation.is_zero() {
            Vec::new()
        } else {
            self.recomposition_parcelas(base, compensation, reference_count, efetivo, count)
        };
        Some(Recomposition {
            ibge,
            base,
            base_positions,
            novo,
            monthly_value,
            compensation,
            reference_count,
            parcelas,
        })
    }

    /// RECOMP.CONDICAO for every computable parcela from 2025-05 on.
    fn recomposition_parcelas(
        &self,
        base: Money,
        compensation: Money,
        reference: Decimal,
        efetivo: &dyn Fn(Parcela) -> Money,
        count: &dyn Fn(Parcela) -> Decimal,
    ) -> Vec<RecompositionParcela> {
        let first = novo_modelo_from().add_months(WINDOW_MONTHS);
        let mut out = Vec::new();
        let mut stopped = false;
        for p in self.parcelas().into_iter().filter(|p| *p >= first) {
            let count = count(p);
            let trailing: Money = Parcela::range_inclusive(p.add_months(-WINDOW_MONTHS), p.pred())
                .map(efetivo)
                .sum();
            stopped = stopped || recomposition::reached(trailing, base);
            let (paid, reason) =
                recomposition::condition(stopped, trailing, base, count, reference);
            let amount = if paid { compensation } else { Money::ZERO };
            out.push(RecompositionParcela {
                parcela: p,
                paid,
                amount,
                equivalent_count: count,
                reason,
            });
        }
        out
    }
}
