//! What the Ministry published and the Fund paid for the synthetic history, written from the ledger's own
//! parcelas with deliberate differences, so that a reconciliation of the demo has something to find: the
//! report of a few municipalities' planos differs from the ledger, and a few are not paid, paid less or
//! paid twice. Which ones is a hash of the seed, the municipality, the parcela and the plano: the same
//! seed, the same files.

use std::collections::BTreeMap;

use repasse_proto::fact::HistoricalTransfer;
use repasse_proto::{Date, Ibge, Money, Parcela, Plano, Uf};
use repasse_rules::{Component, ParcelaResult};

use super::hash;
use crate::fns::write::Order;
use crate::relatorio::write::ReportLine;

/// Per thousand planos of a parcela: the report differs, not paid, paid 10 % less, paid twice.
const REPORT_DIFFERS: u64 = 4;
const NOT_PAID: u64 = 3;
const PAID_LESS: u64 = 3;
const PAID_TWICE: u64 = 2;

/// How many of each difference were written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Differences {
    pub report_differs: u64,
    pub not_paid: u64,
    pub paid_less: u64,
    pub paid_twice: u64,
}

/// What was published and paid for one parcela.
#[derive(Clone, Debug, Default)]
pub struct Published {
    pub report: Vec<ReportLine>,
    pub orders: Vec<Order>,
    pub differences: Differences,
}

/// Municipality names and UFs, by code (Anexo VI).
pub type Names = BTreeMap<Ibge, (String, Uf)>;

/// The names of Anexo VI's municipalities.
pub fn names() -> Names {
    crate::anexo_vi::rows()
        .into_iter()
        .map(|r| (r.ibge, (r.name, r.uf)))
        .collect()
}

fn plano_key(plano: Plano) -> u64 {
    Plano::ALL.iter().position(|p| *p == plano).unwrap_or(0) as u64
}

/// The report and the orders of parcela `result`; `next_order` numbers the OBs of the year.
pub fn parcela(
    seed: u64,
    result: &ParcelaResult,
    names: &Names,
    next_order: &mut u32,
) -> Published {
    let mut implantacao: BTreeMap<(Ibge, Plano), Money> = BTreeMap::new();
    for line in result
        .lines
        .iter()
        .filter(|l| l.component == Component::Implantacao)
    {
        *implantacao.entry((line.ibge, line.plano)).or_default() += line.integral;
    }
    let mut out = Published::default();
    for s in result.statements.iter().filter(|s| s.plano != Plano::Aae) {
        let Some((name, uf)) = names.get(&s.ibge) else {
            continue;
        };
        let implantacao = implantacao
            .get(&(s.ibge, s.plano))
            .copied()
            .unwrap_or(Money::ZERO);
        let keys = [
            u64::from(s.ibge.code()),
            s.parcela.index() as u64,
            plano_key(s.plano),
        ];
        let (mut desconto, mut efetivo) = (s.desconto, s.efetivo);
        if hash(seed, &[keys[0], keys[1], keys[2], 11]) % 1000 < REPORT_DIFFERS
            && !efetivo.is_zero()
        {
            // One centavo in a hundred more withheld than the ledger withholds.
            let more = Money::from_centavos((efetivo.centavos() / 100).max(1));
            desconto += more;
            efetivo -= more;
            out.differences.report_differs += 1;
        }
        out.report.push(ReportLine {
            ibge: s.ibge,
            name: name.clone(),
            uf: *uf,
            parcela: s.parcela,
            plano: s.plano,
            integral: s.integral,
            desconto,
            ajuste: s.ajuste,
            efetivo,
            implantacao,
        });
        let due = s.efetivo + implantacao;
        if due.is_zero() {
            continue;
        }
        let roll = hash(seed, &[keys[0], keys[1], keys[2], 12]) % 1000;
        let (amount, times) = match roll {
            r if r < NOT_PAID => {
                out.differences.not_paid += 1;
                continue;
            }
            r if r < NOT_PAID + PAID_LESS => {
                out.differences.paid_less += 1;
                (
                    Money::from_centavos(due.centavos() - due.centavos() / 10),
                    1,
                )
            }
            r if r < NOT_PAID + PAID_LESS + PAID_TWICE => {
                out.differences.paid_twice += 1;
                (due, 2)
            }
            _ => (due, 1),
        };
        for _ in 0..times {
            *next_order += 1;
            out.orders.push(Order {
                ibge: s.ibge,
                uf: *uf,
                parcela: s.parcela,
                plano: s.plano,
                amount,
                number: *next_order,
                paid_on: paid_on(s.parcela),
            });
        }
    }
    out
}

/// The Fund pays a parcela in its own month.
fn paid_on(p: Parcela) -> Date {
    Date::new(i32::from(p.year()), p.month(), 14).expect("the 14th is a date of every month")
}

/// The report's lines of the parcelas before the new model: the history of transfers (RECOMP.BASE), paid
/// in full.
pub fn history(transfers: &[HistoricalTransfer], names: &Names) -> Vec<ReportLine> {
    transfers
        .iter()
        .filter_map(|t| {
            let (name, uf) = names.get(&t.ibge)?;
            Some(ReportLine {
                ibge: t.ibge,
                name: name.clone(),
                uf: *uf,
                parcela: t.parcela,
                plano: t.plano,
                integral: t.amount,
                desconto: Money::ZERO,
                ajuste: Money::ZERO,
                efetivo: t.amount,
                implantacao: Money::ZERO,
            })
        })
        .collect()
}
