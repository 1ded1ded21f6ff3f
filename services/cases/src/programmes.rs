//! The expectations of RULES.md §7–9: `retro`, `aae`, `oci` and `aperf`.

use std::collections::BTreeSet;

use repasse_proto::Money;

use crate::format::Expect;
use crate::run::Checker;

fn set(ids: &[String]) -> BTreeSet<String> {
    ids.iter().cloned().collect()
}

impl Checker<'_> {
    pub(crate) fn retro(&mut self, expect: &Expect) {
        for (i, e) in expect.retro.iter().enumerate() {
            let context = format!("pedido de crédito retroativo {}", e.id);
            let path = |field: &str| format!("expect.retro[{i}].{field}");
            let Some(got) = self.ledger.retro_case(&e.id) else {
                self.absent(format!("expect.retro[{i}]"), context, "um pedido avaliado");
                continue;
            };
            let recommendation = Some(got.assessment.recommendation);
            self.compare(
                path("recommendation"),
                &context,
                e.recommendation,
                recommendation,
            );
            let reasons: Vec<String> = got
                .assessment
                .reasons()
                .into_iter()
                .map(str::to_owned)
                .collect();
            let expected = e.reasons.as_deref().map(set);
            self.compare(path("reasons"), &context, expected, Some(set(&reasons)));
            let credited = got.credited.unwrap_or(Money::ZERO);
            self.compare(path("credited"), &context, e.credited, Some(credited));
            self.compare(
                path("credited_in"),
                &context,
                e.credited_in,
                got.credited_in,
            );
        }
    }

    pub(crate) fn aae(&mut self, expect: &Expect) {
        for (i, e) in expect.aae.iter().enumerate() {
            let context = format!("PAR {} etapa {}", e.par_id, e.stage);
            let path = |field: &str| format!("expect.aae[{i}].{field}");
            let stage = self
                .ledger
                .par(&e.par_id)
                .and_then(|p| p.stages.into_iter().find(|s| s.stage == e.stage));
            let Some(stage) = stage else {
                self.absent(format!("expect.aae[{i}]"), context, "a etapa do PAR");
                continue;
            };
            self.compare(path("amount"), &context, e.amount, Some(stage.amount));
            self.compare(path("due"), &context, e.due, Some(stage.due));
            self.compare(path("parcela"), &context, e.parcela, stage.parcela);
        }
        for (i, e) in expect.aae_reconciliation.iter().enumerate() {
            let context = format!("incentivo AAE da UF {} na parcela {}", e.uf, e.parcela);
            let path = |field: &str| format!("expect.aae_reconciliation[{i}].{field}");
            let rows = self.ledger.aae_reconcile(e.parcela);
            let Some(row) = rows.into_iter().find(|r| r.uf == e.uf) else {
                self.absent(
                    format!("expect.aae_reconciliation[{i}]"),
                    context,
                    "a conciliação",
                );
                continue;
            };
            self.compare(path("owed"), &context, e.owed, Some(row.owed));
            self.compare(path("paid"), &context, e.paid, row.paid);
            let set = |f: &[repasse_rules::engine::reconcile::Finding]| {
                f.iter().copied().collect::<BTreeSet<_>>()
            };
            let expected = e.findings.as_deref().map(set);
            self.compare(
                path("findings"),
                &context,
                expected,
                Some(set(&row.findings)),
            );
        }
    }

    pub(crate) fn oci(&mut self, expect: &Expect) {
        if expect.oci.is_empty() {
            return;
        }
        let apacs = self.ledger.apacs();
        for (i, e) in expect.oci.iter().enumerate() {
            let context = format!("APAC {}", e.apac);
            let path = |field: &str| format!("expect.oci[{i}].{field}");
            let Some(got) = apacs.iter().find(|a| a.apac == e.apac) else {
                self.absent(format!("expect.oci[{i}]"), context, "a APAC");
                continue;
            };
            let concluded = got.outcome.as_ref().is_some_and(|o| o.concluded);
            self.compare(path("concluded"), &context, e.concluded, Some(concluded));
            let financed = got.outcome.as_ref().map_or(Money::ZERO, |o| o.financed);
            self.compare(path("financed"), &context, e.financed, Some(financed));
            let double = !got.double_billed.is_empty();
            self.compare(
                path("double_billing"),
                &context,
                e.double_billing,
                Some(double),
            );
        }
    }

    pub(crate) fn aperf(&mut self, expect: &Expect) {
        for (i, e) in expect.aperf.iter().enumerate() {
            let path = |field: &str| format!("expect.aperf[{i}].{field}");
            let persons: Vec<u64> = e
                .cpf
                .map(|c| c.get())
                .into_iter()
                .chain(e.cns.map(|c| c.get()))
                .collect();
            let context = format!("inscrição de profissional em {}", e.on);
            if persons.is_empty() {
                self.absent(path("cpf"), context, "cpf ou cns do profissional");
                continue;
            }
            let got = self.ledger.aperf_enrolment(&persons, e.on);
            self.compare(path("eligible"), &context, e.eligible, Some(got.eligible));
            let reasons: Vec<String> = got.reasons.iter().map(|r| (*r).to_owned()).collect();
            let expected = e.reasons.as_deref().map(set);
            self.compare(path("reasons"), &context, expected, Some(set(&reasons)));
        }
    }
}
