//! NATS subjects: one stream of facts (`fatos.<fonte>.<uf>.<ibge>`) and one of decisions
//! (`decisoes.<tipo>.<uf>.<ibge>.<ine>`), never a stream per entity. A state replica follows
//! `fatos.*.PE.>`; an integrator subscribes to `decisoes.suspensao.PE.>`.

use crate::{Decision, Fact, Ibge, Ine};

pub const FACTS_PREFIX: &str = "fatos";
pub const DECISIONS_PREFIX: &str = "decisoes";
/// The `<uf>` word of events that concern the whole country (e.g. `scnes_closed`).
pub const NATIONAL: &str = "BR";
/// The `<ibge>`/`<ine>` word of events that concern no single municipality or team.
pub const ALL: &str = "todos";

pub fn fact_subject(fact: &Fact) -> String {
    let about = fact.about();
    let uf = fact.uf().map_or(NATIONAL, |uf| uf.as_str());
    format!("{FACTS_PREFIX}.{}.{uf}.{}", fact.fonte(), word(about.ibge))
}

pub fn decision_subject(decision: &Decision) -> String {
    let about = decision.about();
    let uf = decision.uf().map_or(NATIONAL, |uf| uf.as_str());
    let ine = about
        .ine
        .map_or_else(|| ALL.to_owned(), |ine: Ine| ine.to_string());
    format!(
        "{DECISIONS_PREFIX}.{}.{uf}.{}.{ine}",
        decision.tipo(),
        word(about.ibge)
    )
}

fn word(ibge: Option<Ibge>) -> String {
    ibge.map_or_else(|| ALL.to_owned(), |ibge| ibge.to_string())
}
