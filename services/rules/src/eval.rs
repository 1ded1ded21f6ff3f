//! Team validity (RULES.md §2) and suspensions (§4), per team per closed competência, in order (revocation
//! depends on the competências before). Explanations are traced only when asked for.

use std::collections::BTreeMap;
use std::sync::Arc;

use repasse_proto::{Competencia, Fact, Ibge, Ine, Parcela, TeamType};
use rustc_hash::FxHashMap;

use crate::catalog::{self, Rule, RuleSet};
use crate::category::{Categories, Category, minimum_team};
use crate::ledger::{HomologationEntry, Ledger, Position, State, TeamRecord};

/// The parameters of §1–4 in force for one competência (tables `REGRAS.PRAZOS` and `CBO.CATEGORIA`, read at
/// the parcela that pays on it).
pub(crate) struct Settings {
    pub categories: FxHashMap<u32, Category>,
    /// SUSP.50.SISAB: consecutive competências without valid production.
    pub sisab_months: i32,
    /// SUSP.100.ACS_SISAB.
    pub acs_months: i32,
    /// SUSP.REVOGACAO [interp]: consecutive irregular competências.
    pub revocation_months: u32,
    /// SUSP.100.CARGA_60H: more than this many weekly hours summed over all teams.
    pub max_weekly_hours: u16,
    /// SUSP.50.DUPLICIDADE: links with fewer weekly hours (flexible workload) do not count.
    pub duplicity_min_hours: u8,
    /// SUSP.100.SEM_CADASTRO replaces VAL.CADASTRADA for eSF/eAP from this competência [interp].
    pub sem_cadastro_from: Competencia,
    /// CAL.SISAB_PRAZO: the deadline of each competência the rules look back at.
    deadlines: Vec<(Competencia, repasse_proto::Date)>,
}

impl Settings {
    pub fn at(params: &crate::params::Params, c: Competencia) -> Settings {
        use crate::params::PRAZOS;
        let p = c.parcela();
        let count = |key| params.count(PRAZOS, key, p);
        let day = u8::try_from(count("sisab_dia_util"))
            .unwrap_or(u8::MAX)
            .clamp(1, 23);
        let sisab_months = count("sisab_competencias").max(1) as i32;
        let acs_months = count("acs_sisab_competencias").max(1) as i32;
        let lookback = sisab_months.max(acs_months);
        let deadlines = (0..lookback)
            .map(|k| c.add_months(-k))
            .map(|m| {
                (
                    m,
                    repasse_proto::calendar::nth_business_day(m.ym().succ(), day),
                )
            })
            .collect();
        Settings {
            categories: params.categories(p),
            sisab_months,
            acs_months,
            revocation_months: count("revogacao_competencias").max(1),
            max_weekly_hours: u16::try_from(count("carga_maxima_horas")).unwrap_or(u16::MAX),
            duplicity_min_hours: u8::try_from(count("duplicidade_horas_minimas"))
                .unwrap_or(u8::MAX),
            sem_cadastro_from: params
                .text(PRAZOS, "sem_cadastro_desde", p)
                .parse()
                .expect("validated on publish"),
            deadlines,
        }
    }

    /// Valid production of `ine` (or of one agent) in `m`, by the deadline in force.
    fn produced(
        &self,
        state: &State,
        ine: u64,
        agent: Option<u64>,
        m: Competencia,
    ) -> Option<Position> {
        let deadline = self
            .deadlines
            .iter()
            .find(|(c, _)| *c == m)
            .map(|(_, d)| *d)?;
        let upload = match agent {
            Some(cpf) => state.sisab_agent.get(&(ine, cpf, m.index())),
            None => state.sisab.get(&(ine, m.index())),
        };
        upload.and_then(|u| u.valid_by(deadline))
    }
}

/// Marks a rule that suspends one agent's line, not the team: traced, but not a reason of the team.
const AGENT_ONLY: u8 = 0;

/// What the rules decided for one team in one competência.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TeamStatus {
    pub ine: Ine,
    pub ibge: Ibge,
    pub team_type: TeamType,
    pub competencia: Competencia,
    pub has_record: bool,
    pub payable: bool,
    pub suspension_pct: u8,
    /// Suspension rules that hold (listed sorted by id).
    pub reasons: RuleSet,
    /// Validity rules that failed (the team is not payable), listed sorted by id.
    pub not_valid: RuleSet,
    /// SUSP.REVOGACAO was decided in this competência.
    pub revoked_now: bool,
    /// ACS present in the team (CPF), sorted, and those under SUSP.100.ACS_SISAB.
    /// Shared with the team's status in the competência before when equal (`share_agents`).
    /// Serialized masked (`***.456.789-**`): a status is what APIs and read models show people.
    #[serde(serialize_with = "masked_cpfs")]
    pub agents: Arc<[u64]>,
    #[serde(serialize_with = "masked_cpfs")]
    pub suspended_agents: Box<[u64]>,
}

fn masked_cpfs<S: serde::Serializer>(cpfs: &[u64], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(cpfs.iter().map(|cpf| repasse_proto::ids::masked_cpf(*cpf)))
}

/// One rule checked for an explanation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Check {
    pub rule: Rule,
    pub fired: bool,
    pub detail: String,
    pub positions: Vec<Position>,
}

pub struct Evaluations {
    /// Shared, so that a re-evaluation reuses the competências the new facts cannot reach.
    pub by_competencia: BTreeMap<Competencia, Arc<Vec<TeamStatus>>>,
    /// What the last competência carries to the next: the next evaluation, when the new facts reach
    /// nothing evaluated, starts from it instead of walking every status of the history again.
    carried: Arc<Carried>,
    /// What the competências before the last one carry to it: when the new facts reach only the last
    /// (a SISAB upload of the competência just closed, the usual case), it alone is evaluated again.
    carried_before_last: Arc<Carried>,
    /// The link indexes of the last competência and of the one before it, for the next evaluation to
    /// start from instead of building them again (~800,000 links each at national scale).
    indexes: Option<(Competencia, LinkIndexPair)>,
}

impl Evaluations {
    /// The first competência in which each team was payable.
    pub fn first_payable(&self, ine: Ine) -> Option<Competencia> {
        self.carried.first_payable.get(&ine.get()).copied()
    }

    /// Teams revoked (SUSP.REVOGACAO) up to the last competência, with the competência of the revocation.
    pub(crate) fn revoked(&self) -> &FxHashMap<u64, Competencia> {
        &self.carried.revoked
    }

    /// The link index of `c`: the one kept when `c` is the last competência, else built.
    pub(crate) fn index_of(&self, state: &State, c: Competencia) -> Arc<LinkIndex> {
        match &self.indexes {
            Some((kept, pair)) if *kept == c => Arc::clone(&pair.current),
            _ => Arc::new(LinkIndex::build(state, c)),
        }
    }
}

/// Per-competência index over every SCNES link: weekly hours summed over all teams, and how many
/// homologated teams the CPF is linked to.
#[derive(Default)]
pub(crate) struct LinkIndex {
    by_cpf: FxHashMap<u64, (u16, u8)>,
}

impl LinkIndex {
    pub(crate) fn build(state: &State, c: Competencia) -> LinkIndex {
        let mut by_cpf: FxHashMap<u64, (u16, u8)> = FxHashMap::default();
        if let Some(records) = state.scnes.get(&c) {
            by_cpf.reserve(records.len() * 8);
            for (ine, record) in records.iter().filter(|(_, r)| r.active) {
                let homologated = state.homologated.contains(ine);
                for link in record.links.iter().filter(|l| l.present) {
                    let entry = by_cpf.entry(link.cpf).or_default();
                    entry.0 = entry.0.saturating_add(u16::from(link.hours));
                    entry.1 = entry.1.saturating_add(u8::from(homologated));
                }
            }
        }
        LinkIndex { by_cpf }
    }
    /// Takes one team's record out of the index (`add` false) or puts it in: what the record added to
    /// `build`'s sums. `false` when a sum is saturated, so the delta cannot be undone exactly: build again.
    pub(crate) fn account(&mut self, record: &TeamRecord, homologated: bool, add: bool) -> bool {
        if !record.active {
            return true;
        }
        for link in record.links.iter().filter(|l| l.present) {
            let entry = self.by_cpf.entry(link.cpf).or_default();
            if entry.0 == u16::MAX || entry.1 == u8::MAX {
                return false;
            }
            let (hours, teams) = (u16::from(link.hours), u8::from(homologated));
            if add {
                entry.0 = entry.0.saturating_add(hours);
                entry.1 = entry.1.saturating_add(teams);
            } else {
                entry.0 = entry
                    .0
                    .checked_sub(hours)
                    .expect("the record was in the index");
                entry.1 = entry
                    .1
                    .checked_sub(teams)
                    .expect("the record was in the index");
            }
        }
        true
    }
    /// All a team's evaluation reads of the index for one of its professionals (`links`): over the
    /// weekly hours summed over every team (SUSP.100.CARGA_60H), and linked to two homologated teams or
    /// more (SUSP.50.DUPLICIDADE). A team whose professionals all read the same here evaluates the same.
    pub(crate) fn read_by_rules(&self, cpf: u64, settings: &Settings) -> (bool, bool) {
        (
            self.hours(cpf) > settings.max_weekly_hours,
            self.homologated_teams(cpf) >= 2,
        )
    }
    fn hours(&self, cpf: u64) -> u16 {
        self.by_cpf.get(&cpf).map_or(0, |e| e.0)
    }
    fn homologated_teams(&self, cpf: u64) -> u8 {
        self.by_cpf.get(&cpf).map_or(0, |e| e.1)
    }
}

/// The indexes of a competência and of the one before it.
#[derive(Clone)]
pub(crate) struct LinkIndexPair {
    pub current: Arc<LinkIndex>,
    pub previous: Arc<LinkIndex>,
}

impl LinkIndexPair {
    /// Those `evaluations` keep when `c` is their last competência (`evaluations` must be of the current
    /// state), else built.
    pub fn of(evaluations: &Evaluations, state: &State, c: Competencia) -> LinkIndexPair {
        match &evaluations.indexes {
            Some((kept, pair)) if *kept == c => pair.clone(),
            _ => LinkIndexPair {
                current: Arc::new(LinkIndex::build(state, c)),
                previous: Arc::new(LinkIndex::build(state, c.pred())),
            },
        }
    }
}

/// What evaluating one competência needs besides the state.
pub(crate) struct Context<'a> {
    pub ledger: &'a Ledger,
    pub c: Competencia,
    pub index: &'a LinkIndex,
    pub previous: &'a LinkIndex,
    pub revoked: &'a FxHashMap<u64, Competencia>,
    pub settings: &'a Settings,
}

impl<'a> Context<'a> {
    /// `indexes`: the link index of `c` and of the competência before.
    pub fn of(
        ledger: &'a Ledger,
        c: Competencia,
        indexes: (&'a LinkIndex, &'a LinkIndex),
        revoked: &'a FxHashMap<u64, Competencia>,
        settings: &'a Settings,
    ) -> Context<'a> {
        Context {
            ledger,
            c,
            index: indexes.0,
            previous: indexes.1,
            revoked,
            settings,
        }
    }
}

/// How far back a fact can change the evaluations: the first competência it can affect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reach {
    Nothing,
    From(Competencia),
    Everything,
}

impl Reach {
    /// Conservative by construction: a fact the evaluation does not read reaches nothing; one whose
    /// effect starts at a competência or parcela reaches from there; anything else (parameters,
    /// municipalities, strata, homologations, classifications) reaches everything.
    pub(crate) fn of(fact: &Fact) -> Reach {
        match fact {
            Fact::ScnesTeam(f) => Reach::From(f.competencia),
            Fact::ScnesClosed(f) => Reach::From(f.competencia),
            Fact::SisabProduction(f) => Reach::From(f.competencia),
            Fact::ControlBodySuspension(f) => Reach::From(f.from_competencia),
            Fact::ControlBodyLifted(f) => Reach::From(f.from_competencia),
            // In force for the competências whose parcela is on or after `from_parcela`.
            Fact::Credentialing(f) => Reach::From(f.from_parcela.competencia()),
            Fact::HomologationCancelled(f) => Reach::From(f.from_parcela.competencia()),
            // Read only by the payment and recomposition queries, never by the evaluation.
            Fact::HistoricalTransfer(_)
            | Fact::AdjustmentAuthorized(_)
            | Fact::ParcelaClosed(_)
            | Fact::CredentialingRequest(_) => Reach::Nothing,
            f if crate::ledger::kept_not_folded(f) => Reach::Nothing,
            _ => Reach::Everything,
        }
    }

    pub(crate) fn widen(&mut self, other: Reach) {
        *self = match (*self, other) {
            (Reach::Everything, _) | (_, Reach::Everything) => Reach::Everything,
            (Reach::Nothing, x) | (x, Reach::Nothing) => x,
            (Reach::From(a), Reach::From(b)) => Reach::From(a.min(b)),
        };
    }

    pub(crate) fn reaches(self, c: Competencia) -> bool {
        match self {
            Reach::Nothing => false,
            Reach::From(from) => c >= from,
            Reach::Everything => true,
        }
    }
}

/// What one competência's evaluation carries to the next: first payable competência per team, runs of
/// irregular competências (SUSP.REVOGACAO) and revocations.
#[derive(Clone, Default)]
struct Carried {
    first_payable: FxHashMap<u64, Competencia>,
    irregular_run: FxHashMap<u64, (u32, Competencia)>,
    revoked: FxHashMap<u64, Competencia>,
}

impl Carried {
    /// Books one status of competência `c`; returns the length of the team's run of irregular ones.
    fn advance(&mut self, c: Competencia, status: &TeamStatus) -> u32 {
        let ine = status.ine.get();
        if status.payable {
            self.first_payable.entry(ine).or_insert(c);
        }
        // SUSP.REVOGACAO: count consecutive competências with a suspension reason.
        let run = self.irregular_run.entry(ine).or_insert((0, c));
        *run = if status.payable && !status.reasons.is_empty() {
            if run.0 > 0 && run.1 == c.pred() {
                (run.0 + 1, c)
            } else {
                (1, c)
            }
        } else {
            (0, c)
        };
        run.0
    }

    fn revoke(&mut self, c: Competencia, ine: u64) {
        self.revoked.insert(ine, c);
        self.irregular_run.insert(ine, (0, c));
    }
}

/// Every closed competência, in order. With `stale` (the previous evaluations and how far back the facts
/// applied since reach), the competências before the first one reached are taken as they were and only
/// the rest is evaluated again; the result is the same as from scratch (tested against it).
pub(crate) fn evaluate_all(
    ledger: &Ledger,
    stale: Option<&(Arc<Evaluations>, Reach)>,
) -> Evaluations {
    let state = &ledger.state;
    let mut by_competencia = BTreeMap::new();
    let mut carried = Carried::default();
    let mut previous: Option<(Competencia, Arc<LinkIndex>)> = None;
    let mut indexes = None;
    let mut reusing = stale.is_some();
    // The usual decision point: a competência closes after every one evaluated, and nothing since reaches
    // back. Take them all as they were, with what the last one carries.
    let last_closed = state.closed.keys().next_back().copied();
    let mut resume_after = None;
    let mut carried_before_last = Arc::default();
    // What `carried` was cloned from, while it is unchanged: shared rather than cloned again.
    let mut unchanged_from: Option<Arc<Carried>> = None;
    if let Some((old, reach)) = stale
        && let Some((&last, _)) = old.by_competencia.last_key_value()
    {
        if !reach.reaches(last) {
            by_competencia.clone_from(&old.by_competencia);
            carried = (*old.carried).clone();
            unchanged_from = Some(Arc::clone(&old.carried));
            carried_before_last = Arc::clone(&old.carried_before_last);
            resume_after = Some(last);
            // Nothing applied since reaches `last`: its records, hence its index, are as they were.
            indexes = old.indexes.clone().filter(|(kept, _)| *kept == last);
            previous = indexes
                .as_ref()
                .map(|(kept, pair)| (*kept, Arc::clone(&pair.current)));
        } else if !reach.reaches(last.pred()) {
            // Only the last is reached: everything before it as it was, and what it carried to the last.
            by_competencia.clone_from(&old.by_competencia);
            by_competencia.remove(&last);
            carried = (*old.carried_before_last).clone();
            unchanged_from = Some(Arc::clone(&old.carried_before_last));
            resume_after = Some(last.pred());
            previous = old
                .indexes
                .as_ref()
                .filter(|(kept, _)| *kept == last)
                .map(|(_, pair)| (last.pred(), Arc::clone(&pair.previous)));
        }
    }
    for &c in state.closed.keys() {
        if resume_after.is_some_and(|after| c <= after) {
            continue;
        }
        if Some(c) == last_closed {
            carried_before_last = unchanged_from
                .clone()
                .unwrap_or_else(|| Arc::new(carried.clone()));
        }
        let settings = Settings::at(&ledger.params, c);
        if reusing
            && let Some((old, reach)) = stale
            && !reach.reaches(c)
            && let Some(statuses) = old.by_competencia.get(&c)
        {
            unchanged_from = None;
            for status in statuses.iter() {
                carried.advance(c, status);
                if status.revoked_now {
                    carried.revoke(c, status.ine.get());
                }
            }
            by_competencia.insert(c, Arc::clone(statuses));
            continue;
        }
        reusing = false;
        let prior = match previous.take() {
            Some((pc, idx)) if pc == c.pred() => idx,
            _ => Arc::new(LinkIndex::build(state, c.pred())),
        };
        // The competência evaluated ahead of its close, if it was after what the ones before carry now.
        let ahead = ledger.take_ahead(c).filter(|a| {
            by_competencia
                .get(&c.pred())
                .is_some_and(|b| a.follows(b, &prior))
        });
        let (index, teams) = match ahead {
            Some(ahead) => {
                ledger
                    .ahead_used
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                ahead.finish(ledger, &carried.revoked)
            }
            None => {
                let index = LinkIndex::build(state, c);
                let ctx = Context::of(ledger, c, (&index, &prior), &carried.revoked, &settings);
                let teams = evaluate_teams(&ctx, &teams_in(state, c));
                (index, teams)
            }
        };
        let index = Arc::new(index);
        let ctx = Context::of(ledger, c, (&index, &prior), &carried.revoked, &settings);
        let mut statuses = limit_and_settle(&ctx, teams);
        unchanged_from = None;
        for status in &mut statuses {
            if carried.advance(c, status) == settings.revocation_months {
                status.revoked_now = true;
                carried.revoke(c, status.ine.get());
            }
        }
        if let Some(before) = by_competencia.values().next_back() {
            share_agents(&mut statuses, before);
        }
        by_competencia.insert(c, Arc::new(statuses));
        let pair = LinkIndexPair {
            current: Arc::clone(&index),
            previous: prior,
        };
        indexes = Some((c, pair));
        previous = Some((c, index));
    }
    Evaluations {
        by_competencia,
        carried: unchanged_from.unwrap_or_else(|| Arc::new(carried)),
        carried_before_last,
        indexes,
    }
}

/// Points each status's agent list at the equal one of the competência before (both sorted by INE): the
/// evaluations keep a status per team per competência, and a team's agents rarely change.
pub(crate) fn share_agents(statuses: &mut [TeamStatus], before: &[TeamStatus]) {
    assert!(
        statuses.is_sorted_by_key(|s| s.ine) && before.is_sorted_by_key(|s| s.ine),
        "statuses are in INE order"
    );
    let mut before = before.iter().peekable();
    for status in statuses.iter_mut() {
        while before.next_if(|b| b.ine < status.ine).is_some() {}
        if let Some(b) = before.next_if(|b| b.ine == status.ine)
            && b.agents == status.agents
        {
            status.agents = Arc::clone(&b.agents);
        }
    }
}

/// Every homologated team known in SCNES by competência `c`, sorted by INE.
pub(crate) fn teams_in(state: &State, c: Competencia) -> Vec<(&Ine, &Vec<HomologationEntry>)> {
    state
        .homologations
        .iter()
        .filter(|(ine, _)| {
            state
                .first_scnes
                .get(&ine.get())
                .is_some_and(|first| *first <= c)
        })
        .collect()
}

/// What follows the teams' own evaluations: the municipality's credentialed quantity (VAL.CREDENCIADA), and
/// no suspension on a team that is not payable.
pub(crate) fn limit_and_settle(
    ctx: &Context<'_>,
    mut statuses: Vec<TeamStatus>,
) -> Vec<TeamStatus> {
    apply_credential_limits(ctx, &mut statuses);
    for status in statuses.iter_mut().filter(|s| !s.payable) {
        status.suspension_pct = 0;
        status.reasons = RuleSet::EMPTY;
        status.suspended_agents = Box::default();
    }
    statuses
}

/// Below this many teams a competência is evaluated on the calling thread: threads cost more than they save.
const PARALLEL_FROM: usize = 4_096;

/// `evaluate_team` over `teams`, in their order, on the available cores: each team's evaluation reads the
/// state and the shared indexes only, so the teams are independent.
pub(crate) fn evaluate_teams(
    ctx: &Context<'_>,
    teams: &[(&Ine, &Vec<HomologationEntry>)],
) -> Vec<TeamStatus> {
    crate::in_parallel(teams, PARALLEL_FROM, |(ine, entries)| {
        evaluate_team(ctx, **ine, entries, None)
    })
}

/// The team's active SCNES record in a competência, if any.
fn active_record(state: &State, ine: u64, c: Competencia) -> Option<&TeamRecord> {
    state
        .scnes
        .get(&c)
        .and_then(|m| m.get(&ine))
        .filter(|r| r.active)
}

/// The homologation in force at `p`: the latest with effect on or before it.
pub(crate) fn homologation_at(
    entries: &[HomologationEntry],
    p: Parcela,
) -> Option<&HomologationEntry> {
    entries
        .iter()
        .filter(|e| e.from <= p)
        .max_by_key(|e| (e.from, e.position))
}

/// VAL.CREDENCIADA: teams beyond the credentialed quantity, most recently homologated first, are not valid.
fn apply_credential_limits(ctx: &Context<'_>, statuses: &mut [TeamStatus]) {
    let state = &ctx.ledger.state;
    let p = ctx.c.parcela();
    // Per municipality and type: (homologated from, position, index into statuses). Groups are
    // independent, so a hash map serves; the statuses and the homologations are both in INE order, so
    // they are walked together rather than looked up one by one (100,000 teams at each close).
    type Members = Vec<(Parcela, Position, usize)>;
    assert!(
        statuses.is_sorted_by_key(|s| s.ine),
        "statuses are evaluated in INE order"
    );
    let mut groups: FxHashMap<(Ibge, TeamType), Members> = FxHashMap::default();
    let mut homologations = state.homologations.iter().peekable();
    for (i, status) in statuses.iter().enumerate() {
        while homologations
            .next_if(|(ine, _)| **ine < status.ine)
            .is_some()
        {}
        if !status.payable {
            continue;
        }
        let entries = homologations
            .peek()
            .filter(|(ine, _)| **ine == status.ine)
            .map(|(_, entries)| *entries)
            .expect("payable teams are homologated");
        let h = homologation_at(entries, p).expect("payable teams are homologated");
        groups
            .entry((status.ibge, status.team_type))
            .or_default()
            .push((h.from, h.position, i));
    }
    // In key order, to walk the credentials (keyed by municipality, then type) alongside.
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort_unstable_by_key(|(key, _)| *key);
    let mut credentials = state.credentials.iter().peekable();
    for ((ibge, team_type), mut members) in groups {
        let key = (ibge, repasse_proto::CredentialType::Team(team_type));
        while credentials.next_if(|(k, _)| **k < key).is_some() {}
        let quantity = credentials
            .peek()
            .filter(|(k, _)| **k == key)
            .map_or(0, |(_, entries)| in_force(entries, p));
        members.sort();
        for (_, _, i) in members.into_iter().skip(quantity as usize) {
            statuses[i].payable = false;
            statuses[i].not_valid.insert(catalog::VAL_CREDENCIADA.id);
        }
    }
}

/// The quantity credentialed for a municipality and type in force at `p` (each portaria adds).
pub(crate) fn credentialed(
    state: &State,
    ibge: Ibge,
    t: repasse_proto::CredentialType,
    p: Parcela,
) -> u32 {
    state
        .credentials
        .get(&(ibge, t))
        .map_or(0, |entries| in_force(entries, p))
}

/// What a municipality's credentialings of one type add up to at `p`.
fn in_force(entries: &[crate::ledger::Credential], p: Parcela) -> u32 {
    entries.iter().filter(|e| e.0 <= p).map(|e| e.1).sum()
}

/// Validity and suspensions of one team; with `trace`, every rule checked is recorded with its detail.
pub(crate) fn evaluate_team(
    ctx: &Context<'_>,
    ine: Ine,
    entries: &[HomologationEntry],
    mut trace: Option<&mut Vec<Check>>,
) -> TeamStatus {
    let state = &ctx.ledger.state;
    let (c, p) = (ctx.c, ctx.c.parcela());
    let raw = ine.get();
    let record = active_record(state, raw, c);
    let h = homologation_at(entries, p);
    let latest = entries
        .iter()
        .max_by_key(|e| (e.from, e.position))
        .expect("at least one homologation");
    let (ibge, team_type) =
        record.map_or((latest.ibge, latest.team_type), |r| (r.ibge, r.team_type));
    let mut status = TeamStatus {
        ine,
        ibge,
        team_type,
        competencia: c,
        has_record: record.is_some(),
        payable: true,
        suspension_pct: 0,
        reasons: RuleSet::EMPTY,
        not_valid: RuleSet::EMPTY,
        revoked_now: false,
        agents: Arc::default(),
        suspended_agents: Box::default(),
    };
    // The detail is built only when traced: formatting it for every team was a third of the evaluation.
    let mut note = |rule: Rule, fired: bool, detail: Detail<'_>| {
        if let Some(trace) = trace.as_deref_mut() {
            let (detail, positions) = detail();
            trace.push(Check {
                rule,
                fired,
                detail,
                positions,
            });
        }
    };
    validity(ctx, ine, entries, h, record, &mut status, &mut note);
    if status.payable {
        suspensions(
            ctx,
            ine,
            h.expect("payable teams are homologated"),
            record,
            &mut status,
            &mut note,
        );
    }
    status
}

/// What a checked rule shows in an explanation: its detail and the fact positions behind it, built lazily.
type Detail<'d> = &'d dyn Fn() -> (String, Vec<Position>);

type Note<'n> = dyn FnMut(Rule, bool, Detail<'_>) + 'n;

fn validity(
    ctx: &Context<'_>,
    ine: Ine,
    entries: &[HomologationEntry],
    h: Option<&HomologationEntry>,
    record: Option<&TeamRecord>,
    status: &mut TeamStatus,
    note: &mut Note<'_>,
) {
    let state = &ctx.ledger.state;
    let (c, p) = (ctx.c, ctx.c.parcela());
    let cancelled = state
        .cancellations
        .get(&ine)
        .and_then(|v| v.iter().filter(|x| x.0 <= p).max());
    let homologated = match (h, cancelled) {
        (None, _) => {
            note(catalog::VAL_HOMOLOGADA, true, &|| {
                (
                    format!("sem homologação com efeito até a parcela {p}"),
                    vec![],
                )
            });
            false
        }
        (Some(h), Some((from, at))) if *at > h.position => {
            note(catalog::VAL_HOMOLOGADA, true, &|| {
                let detail = format!("homologação cancelada a partir da parcela {from}");
                (detail, vec![h.position, *at])
            });
            false
        }
        (Some(h), _) => {
            note(catalog::VAL_HOMOLOGADA, false, &|| {
                let detail = format!("homologada com efeito a partir da parcela {}", h.from);
                (detail, vec![h.position])
            });
            true
        }
    };
    if !homologated {
        status.payable = false;
        status.not_valid.insert(catalog::VAL_HOMOLOGADA.id);
    }
    // SUSP.REVOGACAO: revoked earlier, and no homologation since the revocation's parcela.
    if let Some(revoked_at) = ctx.revoked.get(&ine.get()).filter(|r| **r < c) {
        let renewed = entries
            .iter()
            .any(|e| e.from > revoked_at.parcela() && e.from <= p);
        note(catalog::SUSP_REVOGACAO, !renewed, &|| {
            let detail = format!(
                "credenciamento revogado na competência {revoked_at}; nova homologação: {renewed}"
            );
            (detail, vec![])
        });
        if !renewed {
            status.payable = false;
            status.not_valid.insert(catalog::SUSP_REVOGACAO.id);
        }
    }
    let sem_cadastro_from = ctx.settings.sem_cadastro_from;
    match record {
        Some(r) => note(catalog::VAL_CADASTRADA, false, &|| {
            (format!("registro ativo no SCNES em {c}"), vec![r.position])
        }),
        None if status.team_type.is_esf_or_eap() && c >= sem_cadastro_from => {
            note(catalog::SUSP_100_SEM_CADASTRO, true, &|| {
                let detail = format!("sem registro ativo no SCNES em {c} (competência fechada)");
                (detail, state.closed.get(&c).copied().into_iter().collect())
            });
            status.reasons.insert(catalog::SUSP_100_SEM_CADASTRO.id);
            status.suspension_pct = 100;
        }
        None => {
            note(catalog::VAL_CADASTRADA, true, &|| {
                let detail = format!("sem registro ativo no SCNES em {c}");
                (detail, state.closed.get(&c).copied().into_iter().collect())
            });
            status.payable = false;
            status.not_valid.insert(catalog::VAL_CADASTRADA.id);
        }
    }
    let quantity = credentialed(
        state,
        status.ibge,
        repasse_proto::CredentialType::Team(status.team_type),
        p,
    );
    let (team_type, ibge) = (status.team_type, status.ibge);
    note(catalog::VAL_CREDENCIADA, quantity == 0, &|| {
        let detail =
            format!("{quantity} equipe(s) {team_type} credenciada(s) para {ibge} na parcela {p}");
        (detail, vec![])
    });
    if quantity == 0 && status.payable {
        status.payable = false;
        status.not_valid.insert(catalog::VAL_CREDENCIADA.id);
    }
}

fn suspensions(
    ctx: &Context<'_>,
    ine: Ine,
    h: &HomologationEntry,
    record: Option<&TeamRecord>,
    status: &mut TeamStatus,
    note: &mut Note<'_>,
) {
    let state = &ctx.ledger.state;
    let (c, t) = (ctx.c, status.team_type);
    let mut fire =
        |status: &mut TeamStatus, rule: Rule, pct: u8, fired: bool, detail: Detail<'_>| {
            note(rule, fired, detail);
            if fired && pct != AGENT_ONLY {
                status.reasons.insert(rule.id);
                status.suspension_pct = status.suspension_pct.max(pct);
            }
        };
    let first = state.first_scnes[&ine.get()];
    if let Some(record) = record {
        absences(ctx, ine, record, first, status, &mut fire);
        links(ctx, ine, record, status, &mut fire);
        agents(ctx, ine, record, status, &mut fire);
    }
    if t.is_esf_or_eap() {
        // SUSP.50.SISAB, counting from the first payable competência.
        let start = first.max(h.from.competencia());
        let window = ctx.settings.sisab_months;
        let oldest = c.add_months(-(window - 1));
        let counted = oldest >= start;
        let valid = || {
            (0..window).rev().filter_map(|k| {
                ctx.settings
                    .produced(state, ine.get(), None, c.add_months(-k))
            })
        };
        let fired = counted && valid().next().is_none();
        fire(status, catalog::SUSP_50_SISAB, 50, fired, &|| {
            let valid: Vec<Position> = valid().collect();
            let detail = if counted {
                format!(
                    "{} de {window} competências ({oldest} a {c}) com produção válida no prazo",
                    valid.len(),
                )
            } else {
                format!("contagem começa em {start}: menos de {window} competências a considerar")
            };
            (detail, valid)
        });
        // SUSP.100.ORGAO_CONTROLE: in force from its competência until lifted.
        let control = state
            .control
            .get(&ine)
            .and_then(|v| v.iter().filter(|e| e.0 <= c).max_by_key(|e| (e.0, e.2)));
        let fired = matches!(control, Some((_, true, _)));
        fire(
            status,
            catalog::SUSP_100_ORGAO_CONTROLE,
            100,
            fired,
            &|| match control {
                Some((from, true, at)) => (
                    format!("suspensão por órgão de controle desde {from}"),
                    vec![*at],
                ),
                Some((from, false, at)) => {
                    (format!("suspensão levantada a partir de {from}"), vec![*at])
                }
                None => ("nenhuma suspensão por órgão de controle".to_owned(), vec![]),
            },
        );
    }
}

type Fire<'f> = dyn FnMut(&mut TeamStatus, Rule, u8, bool, Detail<'_>) + 'f;

/// A1/A2 absence rules: A1 = categories of the minimum team absent in C, A2 = absent in both C − 1 and C.
fn absences(
    ctx: &Context<'_>,
    ine: Ine,
    record: &TeamRecord,
    first: Competencia,
    status: &mut TeamStatus,
    fire: &mut Fire<'_>,
) {
    let state = &ctx.ledger.state;
    let (c, t) = (ctx.c, status.team_type);
    let minimum = minimum_team(t);
    if minimum.is_empty() {
        return;
    }
    let categories = &ctx.settings.categories;
    let a1 = minimum.minus(record.present_categories(categories));
    let prior = active_record(state, ine.get(), c.pred());
    // RULES.md §3: a competência without an active record, after the team's first one, has every category
    // of the minimum team absent; months before the first one are never counted.
    let a_prior = match prior {
        _ if c.pred() < first => Categories::default(),
        Some(r) => minimum.minus(r.present_categories(categories)),
        None => minimum,
    };
    let a2 = a1.intersect(a_prior);
    let pos = || {
        std::iter::once(record.position)
            .chain(prior.map(|r| r.position))
            .collect::<Vec<_>>()
    };
    let in_both = || (format!("ausentes em C − 1 e C: {}", a2.labels()), pos());
    let in_c = || (format!("ausentes em C: {}", a1.labels()), pos());
    use Category::*;
    if t.is_esf() {
        let fired = a2.is_exactly(&[AuxTecEnf]) || a2.is_exactly(&[Acs]);
        fire(status, catalog::SUSP_25_AUX_OU_ACS, 25, fired, &in_both);
        let fired = a2.is_exactly(&[AuxTecEnf, Acs]);
        fire(status, catalog::SUSP_50_AUX_E_ACS, 50, fired, &in_both);
        let two = a2.len() == 2
            && a2.intersect(Categories::MEDICO_ENFERMEIRO).len() == 1
            && a2.minus(Categories::MEDICO_ENFERMEIRO).len() == 1;
        fire(status, catalog::SUSP_75_DUAS_CATEGORIAS, 75, two, &in_both);
        let three = a1.len() >= 3;
        fire(status, catalog::SUSP_100_TRES_CATEGORIAS, 100, three, &in_c);
    }
    let one = a2.is_exactly(&[Medico]) || a2.is_exactly(&[Enfermeiro]);
    fire(status, catalog::SUSP_75_MED_OU_ENF, 75, one, &in_both);
    let both = a1.contains(Medico) && a1.contains(Enfermeiro);
    fire(status, catalog::SUSP_100_MED_E_ENF, 100, both, &in_c);
}

/// SUSP.50.DUPLICIDADE (eSF) and SUSP.100.CARGA_60H (eSF, eAP) over every team's links.
fn links(
    ctx: &Context<'_>,
    ine: Ine,
    record: &TeamRecord,
    status: &mut TeamStatus,
    fire: &mut Fire<'_>,
) {
    let state = &ctx.ledger.state;
    let t = status.team_type;
    if t.is_esf() {
        let prior = active_record(state, ine.get(), ctx.c.pred());
        let duplicated = record
            .links
            .iter()
            .filter(|l| l.present && l.hours >= ctx.settings.duplicity_min_hours)
            .find(|l| {
                ctx.index.read_by_rules(l.cpf, ctx.settings).1
                    && prior.is_some_and(|p| {
                        p.links.iter().any(|x| {
                            x.cpf == l.cpf
                                && x.present
                                && x.hours >= ctx.settings.duplicity_min_hours
                        })
                    })
                    && ctx.previous.homologated_teams(l.cpf) >= 2
            });
        let fired = duplicated.is_some();
        fire(status, catalog::SUSP_50_DUPLICIDADE, 50, fired, &|| {
            let detail = match duplicated {
                Some(l) => format!(
                    "CPF {} vinculado a outra equipe homologada em C − 1 e C",
                    masked(l.cpf)
                ),
                None => {
                    "nenhum profissional de 40 h vinculado a outra equipe em C − 1 e C".to_owned()
                }
            };
            (detail, vec![record.position])
        });
    }
    if t.is_esf_or_eap() {
        let over = record
            .links
            .iter()
            .filter(|l| l.present)
            .find(|l| ctx.index.read_by_rules(l.cpf, ctx.settings).0);
        fire(
            status,
            catalog::SUSP_100_CARGA_60H,
            100,
            over.is_some(),
            &|| {
                let detail = match over {
                    Some(l) => format!(
                        "CPF {} soma {} h semanais em todas as equipes",
                        masked(l.cpf),
                        ctx.index.hours(l.cpf)
                    ),
                    None => format!(
                        "nenhum profissional acima de {} h semanais somadas",
                        ctx.settings.max_weekly_hours
                    ),
                };
                (detail, vec![record.position])
            },
        );
    }
}

/// SUSP.100.ACS_SISAB: an agent without valid production in 6 consecutive competências. [interp] The team's
/// own upload (without CPF) counts as its agents' production.
fn agents(
    ctx: &Context<'_>,
    ine: Ine,
    record: &TeamRecord,
    status: &mut TeamStatus,
    fire: &mut Fire<'_>,
) {
    let state = &ctx.ledger.state;
    let c = ctx.c;
    let raw = ine.get();
    let mut agents: Vec<u64> = record
        .links
        .iter()
        .filter(|l| l.present && ctx.settings.categories.get(&l.cbo) == Some(&Category::Acs))
        .map(|l| l.cpf)
        .collect();
    agents.sort_unstable();
    agents.dedup();
    let mut suspended = Vec::new();
    for &cpf in &agents {
        let start = state.agent_first.get(&(raw, cpf)).copied().unwrap_or(c);
        let window = ctx.settings.acs_months;
        let from = c.add_months(-(window - 1));
        if from < start {
            continue;
        }
        let settings = ctx.settings;
        let produced = (0..window).map(|k| c.add_months(-k)).any(|m| {
            settings.produced(state, raw, Some(cpf), m).is_some()
                || settings.produced(state, raw, None, m).is_some()
        });
        if !produced {
            suspended.push(cpf);
        }
    }
    let fired = !suspended.is_empty();
    let (count, window) = (suspended.len(), ctx.settings.acs_months);
    status.suspended_agents = suspended.into_boxed_slice();
    // The agent's suspension withholds that agent's ACS line only: it is not a reason of the team's percentage.
    fire(
        status,
        catalog::SUSP_100_ACS_SISAB,
        AGENT_ONLY,
        fired,
        &|| {
            let detail = format!(
                "{count} de {} ACS sem produção válida em {window} competências",
                agents.len()
            );
            (detail, vec![record.position])
        },
    );
    status.agents = Arc::from(agents);
}

fn masked(cpf: u64) -> String {
    repasse_proto::ids::masked_cpf(cpf)
}
