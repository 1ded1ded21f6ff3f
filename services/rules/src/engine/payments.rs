//! What the fold keeps of the payment facts — the Fund's orders and the Ministry's published report — for
//! reconciliation (the `reconcile` module) only: no evaluation reads them.

use std::collections::BTreeMap;

use repasse_proto::fact::{Fact, PublishedStatement, PublishedTeam};
use repasse_proto::{Ibge, Ine, Money, Parcela, Plano};

use crate::law::record::Position;

/// What the fold keeps of the payment facts.
#[derive(Default)]
pub(crate) struct PaymentFacts {
    /// The Fund's orders, summed per municipality, parcela and plano, with their bank orders.
    pub(crate) paid: BTreeMap<(Ibge, Parcela, Plano), Paid>,
    /// The published report's statement; a later import of the same line replaces it.
    pub(crate) published: BTreeMap<(Ibge, Parcela, Plano), (PublishedStatement, Position)>,
    /// The published report's team detail.
    pub(crate) published_teams: BTreeMap<(Ibge, Parcela), BTreeMap<Ine, (PublishedTeam, Position)>>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Paid {
    pub(crate) amount: Money,
    pub(crate) orders: Vec<String>,
    pub(crate) positions: Vec<Position>,
}

impl PaymentFacts {
    pub(crate) fn apply(&mut self, position: Position, fact: &Fact) {
        match fact {
            Fact::TransferExecuted(f) => {
                let paid = self.paid.entry((f.ibge, f.parcela, f.plano)).or_default();
                // A bank order is one payment: the same order imported again (the same file under
                // another name, or after NATS's deduplication window) is not paid twice.
                if paid.orders.contains(&f.bank_order) {
                    return;
                }
                paid.amount += f.amount;
                paid.orders.push(f.bank_order.clone());
                paid.positions.push(position);
            }
            Fact::PublishedStatement(f) => {
                self.published
                    .insert((f.ibge, f.parcela, f.plano), (f.clone(), position));
            }
            Fact::PublishedTeam(f) => {
                self.published_teams
                    .entry((f.ibge, f.parcela))
                    .or_default()
                    .insert(f.ine, (f.clone(), position));
            }
            _ => {}
        }
    }
}
