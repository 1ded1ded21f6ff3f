//! What changed in a sealed parcela: its lines as of the seal (the `parcela_closed` fact) against today's
//! computation, team by team, with the facts recorded after the seal that concern each changed team (its
//! INE, its municipality, or the whole country). The sealed parcela itself is never edited: this is the
//! auditor's view of what a correction would change.

use std::collections::BTreeMap;

use repasse_eventlog::{EventLog, MAX_READ_BATCH, Position};
use repasse_proto::{Fact, Ibge, Ine, Money, Parcela, codec};
use repasse_rules::Line;
use serde::Serialize;

use crate::fold::{Error, Folder};
use crate::replay::lines_hash;

/// One component of a team's parcela, as the diff shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Amount {
    pub component: &'static str,
    pub integral: Money,
    pub desconto: Money,
    pub suspension_pct: u8,
}

/// A fact recorded after the seal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LateFact {
    pub position: u64,
    pub event_type: &'static str,
    pub id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TeamChange {
    pub ine: Ine,
    pub ibge: Ibge,
    pub sealed: Vec<Amount>,
    pub today: Vec<Amount>,
    /// Efetivo today minus efetivo sealed (integral − desconto).
    pub delta: Money,
    pub facts: Vec<LateFact>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParcelaDiff {
    pub parcela: Parcela,
    /// Position of the `parcela_closed` fact the seal was taken at.
    pub sealed_at: u64,
    pub sealed_hash: String,
    pub today_at: u64,
    pub today_hash: String,
    pub changes: Vec<TeamChange>,
    /// Retroactive credits (RETRO.DECISAO) that return what this parcela withheld, as an *ajuste* of a
    /// later one: the sealed parcela keeps its desconto, the credit is where the money went.
    pub credits: Vec<RetroCredit>,
    /// The parcela's own *ajustes* (authorized adjustments and credits posted in it), per municipality and
    /// plano, as sealed and today.
    pub ajustes: Vec<AjusteChange>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RetroCredit {
    pub id: String,
    pub ibge: Ibge,
    pub irregularity: String,
    pub amount: Money,
    pub credited_in: Parcela,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AjusteChange {
    pub ibge: Ibge,
    pub plano: repasse_proto::Plano,
    pub sealed: Money,
    pub today: Money,
}

/// `None` when parcela `p` has no `parcela_closed` in the log.
pub async fn diff_parcela<L: EventLog>(log: &L, p: Parcela) -> Result<Option<ParcelaDiff>, Error> {
    // One fold: the parcela's lines are taken when its first `parcela_closed` is applied (the seal), and
    // again at the end of the log (today).
    let end = log.last_position().await?;
    let mut folder = Folder::default();
    let mut sealed: Option<(u64, Vec<Line>, Vec<repasse_rules::Statement>)> = None;
    let mut next = Position(1);
    while next <= end {
        let records = log.read(next, MAX_READ_BATCH).await?;
        let Some(tail) = records.last() else { break };
        next = tail.position.next();
        for record in records.iter().take_while(|r| r.position <= end) {
            let applied = folder.apply(record)?;
            let closes_p = applied
                .is_some_and(|e| matches!(&e.payload, Fact::ParcelaClosed(f) if f.parcela == p));
            if closes_p && sealed.is_none() {
                let result = folder.ledger.parcela(p, None);
                sealed = Some((record.position.0, result.lines, result.statements));
            }
        }
    }
    let Some((sealed_at, sealed_lines, sealed_statements)) = sealed else {
        return Ok(None);
    };
    let today = folder.ledger.parcela(p, None);
    let today_lines = today.lines;
    let ajustes = ajuste_changes(&sealed_statements, &today.statements);
    let credits = folder
        .ledger
        .retro_cases()
        .into_iter()
        .filter(|case| case.request.parcela == p)
        .filter_map(|case| {
            Some(RetroCredit {
                id: case.id,
                ibge: case.request.ibge,
                irregularity: case.request.irregularity,
                amount: case.credited?,
                credited_in: case.credited_in?,
            })
        })
        .collect();
    let today_at = folder.summary.last_position;
    drop(folder);
    let by_team = |lines: &[Line]| {
        let mut map: BTreeMap<Ine, (Ibge, Vec<Amount>)> = BTreeMap::new();
        for line in lines {
            map.entry(line.ine)
                .or_insert_with(|| (line.ibge, Vec::new()))
                .1
                .push(Amount {
                    component: line.component.as_str(),
                    integral: line.integral,
                    desconto: line.desconto,
                    suspension_pct: line.suspension_pct,
                });
        }
        map
    };
    let (before, after) = (by_team(&sealed_lines), by_team(&today_lines));
    let mut changes = Vec::new();
    let teams: std::collections::BTreeSet<&Ine> = before.keys().chain(after.keys()).collect();
    for ine in teams {
        let (b, a) = (before.get(ine), after.get(ine));
        if b.map(|x| &x.1) == a.map(|x| &x.1) {
            continue;
        }
        let ibge = a.or(b).map(|x| x.0).expect("in one of the two");
        let efetivo = |x: Option<&(Ibge, Vec<Amount>)>| -> Money {
            x.map(|x| x.1.iter().map(|l| l.integral - l.desconto).sum())
                .unwrap_or_default()
        };
        changes.push(TeamChange {
            ine: *ine,
            ibge,
            sealed: b.map(|x| x.1.clone()).unwrap_or_default(),
            today: a.map(|x| x.1.clone()).unwrap_or_default(),
            delta: efetivo(a) - efetivo(b),
            facts: Vec::new(),
        });
    }
    attribute_late_facts(log, p, sealed_at, today_at.0, &mut changes).await?;
    Ok(Some(ParcelaDiff {
        parcela: p,
        sealed_at,
        sealed_hash: lines_hash(&sealed_lines),
        today_at: today_at.0,
        today_hash: lines_hash(&today_lines),
        changes,
        credits,
        ajustes,
    }))
}

/// The statements whose *ajuste* differs between the seal and today, or is not zero.
fn ajuste_changes(
    sealed: &[repasse_rules::Statement],
    today: &[repasse_rules::Statement],
) -> Vec<AjusteChange> {
    let mut by: BTreeMap<(Ibge, repasse_proto::Plano), (Money, Money)> = BTreeMap::new();
    for s in sealed {
        by.entry((s.ibge, s.plano)).or_default().0 = s.ajuste;
    }
    for s in today {
        by.entry((s.ibge, s.plano)).or_default().1 = s.ajuste;
    }
    by.into_iter()
        .filter(|(_, (a, b))| !a.is_zero() || !b.is_zero())
        .map(|((ibge, plano), (sealed, today))| AjusteChange {
            ibge,
            plano,
            sealed,
            today,
        })
        .collect()
}

/// Lists, for each changed team, the facts after the seal about its INE, its municipality (without a
/// team) or, for parameter tables, the whole country, and about no period later than the parcela's.
async fn attribute_late_facts<L: EventLog>(
    log: &L,
    p: Parcela,
    sealed_at: u64,
    end: u64,
    changes: &mut [TeamChange],
) -> Result<(), Error> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut next = Position(sealed_at + 1);
    while next.0 <= end {
        let records = log.read(next, MAX_READ_BATCH).await?;
        let Some(tail) = records.last() else { break };
        next = tail.position.next();
        for record in records.iter().filter(|r| r.position.0 <= end) {
            // Not a fact (counted by the fold): nothing a correction could come from.
            let Ok(envelope) = codec::decode::<Fact>(&record.payload) else {
                continue;
            };
            let about = envelope.payload.about();
            // A fact about a later competência or parcela cannot change this one.
            if about.competencia.is_some_and(|c| c > p.competencia())
                || about.parcela.is_some_and(|q| q > p)
            {
                continue;
            }
            for change in changes.iter_mut() {
                let concerns = match (about.ine, about.ibge) {
                    (Some(ine), _) => ine == change.ine,
                    (None, Some(ibge)) => ibge == change.ibge,
                    // National facts: only a parameter table can change a sealed amount.
                    (None, None) => matches!(envelope.payload, Fact::ParameterTable(_)),
                };
                if concerns {
                    change.facts.push(LateFact {
                        position: record.position.0,
                        event_type: envelope.payload.event_type(),
                        id: envelope.id.to_string(),
                    });
                }
            }
        }
    }
    Ok(())
}
