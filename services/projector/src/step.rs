//! What the projector does at a decision point, as a pure function of the ledger right after the fact that
//! triggered it: the decisions for integrators and the read-model writes. The decision points are the first
//! `scnes_closed` of a competência (team statuses and suspension decisions), the first `parcela_closed` of
//! a parcela (lines, statements, recomposition and the seal), the first `credentialing_request` with its id
//! (VAL.TETO's recommendation), and the facts of §7–9 (`crate::programmes`: a retroactive request and its
//! decision, a PAR fact that makes a stage due, an adhesion event) — so the sequence of decisions is a
//! function of the fact stream alone: a live projector, one resumed after a crash and a fresh replay
//! publish the same decisions with the same ids, in the same order.

use std::collections::{BTreeMap, VecDeque};

use repasse_eventlog::NewRecord;
use repasse_proto::codec::{self, Encoded, Stamp};
use repasse_proto::decision::{ParcelaSealed, PlanoTotals, StatementIssued};
use repasse_proto::{Decision, Envelope, Fact, Ibge, Parcela, SourceRef, Timestamp};
use repasse_rules::{Ledger, Line, ParcelaBasis, Statement, in_parallel};

use crate::replay::{LinesHasher, canonical};

/// Municipalities per range of a `ParcelaDraft`: about 30 ms of work at national scale, so that a fact
/// arriving while the projector drafts waits little.
const DRAFT_MUNICIPALITIES: usize = 256;

/// A parcela's statements and seal, computed range of municipalities by range (`ParcelaDraft::advance`):
/// ahead of its close while the projector is idle, and what is left at the close. Every municipality is
/// computed whole (`Ledger::parcela_where`) and the seal's hash runs in IBGE order (`lines_hash`), so the
/// ranges give what one pass would. Used at the close only while its basis holds (`Ledger::parcela_basis`).
pub struct ParcelaDraft {
    basis: ParcelaBasis,
    /// The ranges of IBGE codes still to compute, `[from, to)`, in order.
    ranges: VecDeque<(Option<Ibge>, Option<Ibge>)>,
    /// Every municipality with a statement, in IBGE order.
    municipalities: Vec<Drafted>,
    seal: LinesHasher,
}

/// A municipality of a drafted parcela: its lines and its statement, already encoded with its subject
/// (only the envelope, which names the closing fact, is left for the close).
#[derive(Debug)]
struct Drafted {
    lines: Vec<Line>,
    statement: Encoded<Decision>,
    subject: String,
}

impl Drafted {
    fn issued(&self) -> &StatementIssued {
        match self.statement.payload() {
            Decision::StatementIssued(issued) => issued,
            other => unreachable!("a drafted municipality holds a statement, not {other:?}"),
        }
    }
}

impl ParcelaDraft {
    /// A draft of the parcela `basis` is of (the ledger's current basis for it), `range` municipalities
    /// at a time.
    pub fn on(ledger: &Ledger, basis: ParcelaBasis, range: usize) -> ParcelaDraft {
        ParcelaDraft {
            basis,
            ranges: ledger.municipality_ranges(range).into(),
            municipalities: Vec::new(),
            seal: LinesHasher::default(),
        }
    }

    pub fn parcela(&self) -> Parcela {
        self.basis.parcela()
    }

    pub fn basis(&self) -> &ParcelaBasis {
        &self.basis
    }

    pub fn is_done(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Computes the next range of municipalities; `false` when every one is done. The ledger's basis for
    /// the parcela must still be the draft's.
    pub fn advance(&mut self, ledger: &Ledger) -> bool {
        let Some((from, to)) = self.ranges.pop_front() else {
            return false;
        };
        let p = self.parcela();
        let keep = |ibge: Ibge| from.is_none_or(|f| ibge >= f) && to.is_none_or(|t| ibge < t);
        let result = ledger.parcela_where(p, &keep);
        let mut lines: BTreeMap<Ibge, Vec<Line>> = BTreeMap::new();
        for line in result.lines {
            lines.entry(line.ibge).or_default().push(line);
        }
        let mut statements: BTreeMap<Ibge, Vec<&Statement>> = BTreeMap::new();
        for statement in &result.statements {
            statements
                .entry(statement.ibge)
                .or_default()
                .push(statement);
        }
        let ibges: std::collections::BTreeSet<Ibge> =
            lines.keys().chain(statements.keys()).copied().collect();
        for ibge in ibges {
            let own = lines.remove(&ibge).unwrap_or_default();
            let mut hasher = LinesHasher::default();
            for line in &own {
                let bytes = canonical(line);
                hasher.add_canonical(&bytes);
                self.seal.add_canonical(&bytes);
            }
            // A municipality with implantation lines only has no statement (they are paid apart).
            let Some(planos) = statements.get(&ibge) else {
                continue;
            };
            let issued = StatementIssued {
                ibge,
                parcela: p,
                planos: planos
                    .iter()
                    .map(|s| PlanoTotals {
                        plano: s.plano,
                        integral: s.integral,
                        desconto: s.desconto,
                        ajuste: s.ajuste,
                        efetivo: s.efetivo,
                    })
                    .collect(),
                implantacao: result.implantacao.get(&ibge).copied().unwrap_or_default(),
                hash: hasher.finish(),
            };
            let statement = Decision::StatementIssued(issued);
            self.municipalities.push(Drafted {
                lines: own,
                subject: repasse_proto::subject::decision_subject(&statement),
                statement: Encoded::new(statement).expect("decisions encode"),
            });
        }
        true
    }
}

/// The work the next decision points will need, done ahead while the projector is idle, one bounded piece
/// at a time (`work`): the open competência evaluated ahead of its close (`Ledger::work_ahead`), and the
/// next parcela to close drafted range by range (`ParcelaDraft`). Changes no decision, only when it is
/// ready: `decide` uses what still holds and computes the rest.
pub struct Ahead {
    draft: Option<ParcelaDraft>,
    /// Municipalities per range of a draft.
    range: usize,
}

impl Default for Ahead {
    fn default() -> Ahead {
        Ahead::with_draft_ranges_of(DRAFT_MUNICIPALITIES)
    }
}

impl Ahead {
    /// Drafts parcelas `municipalities` at a time (tests use small ranges on small histories).
    pub fn with_draft_ranges_of(municipalities: usize) -> Ahead {
        assert!(
            municipalities > 0,
            "a range holds at least one municipality"
        );
        Ahead {
            draft: None,
            range: municipalities,
        }
    }

    /// The parcela drafted to the end, if any.
    pub fn drafted(&self) -> Option<Parcela> {
        self.draft
            .as_ref()
            .filter(|d| d.is_done())
            .map(ParcelaDraft::parcela)
    }

    /// Does one piece; `false` when there was nothing to do.
    pub fn work(&mut self, ledger: &Ledger) -> bool {
        if ledger.work_ahead() {
            return true;
        }
        let Some(p) = ledger
            .parcelas()
            .into_iter()
            .find(|p| !ledger.closed_parcelas().contains_key(p))
        else {
            self.draft = None;
            return false;
        };
        // Only on what is evaluated already: idle work never evaluates the history for a draft.
        let Some(basis) = ledger.parcela_basis_if_evaluated(p) else {
            return false;
        };
        match self.draft.as_mut() {
            Some(draft) if *draft.basis() == basis => draft.advance(ledger),
            _ => {
                let mut draft = ParcelaDraft::on(ledger, basis, self.range);
                draft.advance(ledger);
                self.draft = Some(draft);
                true
            }
        }
    }
}

/// Read-model trees, keyed by text so that an operator can read them with any sled tool.
pub mod tree {
    /// `AAAA-MM/IBGE` → the statuses of the municipality's teams in the competência (JSON array).
    pub const SITUACAO: &str = "situacao";
    /// `AAAA-MM/IBGE` → the ledger lines of the municipality in the parcela (JSON array).
    pub const LINHAS: &str = "linhas";
    /// `AAAA-MM/IBGE` → the municipality's statement for the parcela (JSON `StatementIssued`).
    pub const DEMONSTRATIVOS: &str = "demonstrativos";
    /// `AAAA-MM` → the seal of the parcela (JSON `ParcelaSealed`).
    pub const SELOS: &str = "selos";
    /// `AAAA-MM/IBGE` → the municipality's recomposition as known when the parcela closed (JSON).
    pub const RECOMPOSICAO: &str = "recomposicao";
    /// `AAAA-MM/INE` → the explanation, as decided at the competência's close, of every team suspended or
    /// not valid in it: rules checked and fired, citations, fact positions, lines (JSON).
    pub const EXPLICACOES: &str = "explicacoes";
    /// `AAAA-MM/IBGE` → the municipality's reconciliation in the parcela, every plano (JSON array): written
    /// at the parcela's close for the municipalities of which a published report or a payment order was
    /// imported, and again at each such fact that arrives after the close.
    pub const CONCILIACAO: &str = "conciliacao";
    /// Request id → the retroactive-credit request, the ledger's recommendation with every rule checked,
    /// the Ministry's decision and the credit (JSON): written at its facts and at every parcela's close.
    pub const RETROATIVO: &str = "retroativo";
    /// PAR id → its band, incentive and two stages (JSON), written at each of its facts.
    pub const AAE: &str = "aae";
    /// `AAAA-MM` → the PAR incentive's reconciliation in the parcela, per UF (JSON array), at its close.
    pub const AAE_CONCILIACAO: &str = "aae_conciliacao";
    /// APAC → the OCI judged (concluded adequately, financed) and any double billing (JSON).
    pub const OCI: &str = "oci";
    /// Ente (IBGE or UF) → its training-adhesion events and the calendar that judges them (JSON).
    pub const APERF: &str = "aperf";
    /// `AAAA-MM` → the competência's professionals and their municipalities, 12 bytes each (person key
    /// and IBGE, little-endian, sorted): what APERF.ELEGIVEL reads.
    pub const VINCULOS: &str = "vinculos";
    pub const ALL: [&str; 13] = [
        SITUACAO,
        LINHAS,
        DEMONSTRATIVOS,
        SELOS,
        RECOMPOSICAO,
        EXPLICACOES,
        CONCILIACAO,
        RETROATIVO,
        AAE,
        AAE_CONCILIACAO,
        OCI,
        APERF,
        VINCULOS,
    ];
}

/// One write into a read-model tree. Writes are overwrites of whole values, so re-running a step after a
/// crash converges to the same state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    pub tree: &'static str,
    pub key: String,
    pub value: Vec<u8>,
}

/// Everything one decision point produces.
#[derive(Debug, Default)]
pub struct Step {
    /// Position of the triggering fact.
    pub position: u64,
    pub decisions: Vec<Envelope<Decision>>,
    /// The decisions as published (`decision_record`), in the same order.
    pub records: Vec<NewRecord>,
    /// The read-model writes (`add_read_models`); the projector moves them into the store.
    pub writes: Vec<Write>,
    /// What `add_read_models` has left to write, kept from `decide`.
    pending: Option<Pending>,
    /// Municipalities of a closing parcela computed at its close rather than drafted ahead (0 when the
    /// draft held): what an operator reads when a close is slow.
    pub computed_at_close: usize,
}

#[derive(Debug)]
enum Pending {
    /// A competência closed: its statuses and explanations.
    Competencia(repasse_proto::Competencia),
    /// A parcela closed: its lines, statements, recomposition and seal.
    Parcela(SealedParcela),
    /// A published report's line or a payment order of a closed parcela: the municipality's reconciliation.
    Reconciliation(repasse_proto::Parcela, Ibge),
    /// A fact of §7–9: its programme's read model.
    Programme(crate::programmes::Model),
}

#[derive(Debug)]
struct SealedParcela {
    /// What its lines were computed on: the ledger's basis for the parcela still.
    basis: ParcelaBasis,
    /// Every municipality with a statement, in IBGE order.
    municipalities: Vec<Drafted>,
    seal: ParcelaSealed,
}

impl Step {
    /// BLAKE3 over the decision ids and the writes, in order: what the checkpoint's state hash chains.
    pub fn digest(&self) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&self.position.to_le_bytes());
        for decision in &self.decisions {
            hasher.update(&decision.id.0);
        }
        for write in &self.writes {
            for part in [write.tree.as_bytes(), write.key.as_bytes(), &write.value] {
                hasher.update(&(part.len() as u64).to_le_bytes());
                hasher.update(part);
            }
        }
        *hasher.finalize().as_bytes()
    }
}

/// The step triggered by `fact`, applied at `position` and recorded at `recorded_at` (`None` when the fact
/// is not a decision point, or repeats one already taken), with its decisions and their log records only:
/// what integrators wait for. The projector publishes them before `add_read_models`, so the read models'
/// JSON, the explanations and the recomposition are not on a decision's path.
///
/// What `ahead` computed while idle is used where it still holds: the same decisions, sooner.
pub fn decide(
    ledger: &Ledger,
    position: u64,
    fact: &Fact,
    recorded_at: Timestamp,
    ahead: &mut Ahead,
) -> Option<Step> {
    let mut step = Step {
        position,
        ..Step::default()
    };
    match fact {
        Fact::ScnesClosed(f) if ledger.competencia_closed_at(f.competencia) == Some(position) => {
            // Decisions on the competência that just closed; earlier ones were published at their own close.
            step.decisions = ledger
                .suspension_decisions_in(f.competencia)
                .into_iter()
                .map(|decision| envelope(decision, position, recorded_at))
                .collect();
            step.records = in_parallel(&step.decisions, PARALLEL_FROM, decision_record);
            step.pending = Some(Pending::Competencia(f.competencia));
        }
        Fact::ParcelaClosed(f) if ledger.closed_parcelas().get(&f.parcela) == Some(&position) => {
            let p = f.parcela;
            // What was drafted ahead, if it still holds; else, or what is left, computed now.
            let basis = ledger.parcela_basis(p);
            let mut draft = match ahead.draft.take() {
                Some(d) if d.basis == basis => d,
                _ => ParcelaDraft::on(ledger, basis, ahead.range),
            };
            let drafted = draft.municipalities.len();
            while draft.advance(ledger) {}
            step.computed_at_close = draft.municipalities.len() - drafted;
            let seal = ParcelaSealed {
                parcela: p,
                last_position: position,
                lines: draft.seal.lines(),
                hash: draft.seal.finish(),
            };
            // Thousands of envelopes while integrators wait, of statements encoded ahead.
            let stamp = Stamp::new(source_of(position), recorded_at);
            (step.decisions, step.records) = wrap(&draft.municipalities, &stamp);
            let sealed = envelope(Decision::ParcelaSealed(seal.clone()), position, recorded_at);
            step.records.push(decision_record(&sealed));
            step.decisions.push(sealed);
            step.pending = Some(Pending::Parcela(SealedParcela {
                basis: draft.basis,
                municipalities: draft.municipalities,
                seal,
            }));
        }
        Fact::TransferExecuted(repasse_proto::fact::TransferExecuted { ibge, parcela, .. })
        | Fact::PublishedStatement(repasse_proto::fact::PublishedStatement {
            ibge, parcela, ..
        })
        | Fact::PublishedTeam(repasse_proto::fact::PublishedTeam { ibge, parcela, .. })
            if ledger.closed_parcelas().contains_key(parcela) =>
        {
            // No decision: the reconciliation read model only (before the close, the close writes it).
            step.pending = Some(Pending::Reconciliation(*parcela, *ibge));
        }
        Fact::CredentialingRequest(f) => {
            // VAL.TETO's recommendation, published once: at the request's first fact.
            let assessment = ledger.credentialing_request_at(&f.id, position)?;
            step.decisions = vec![envelope(assessment.decision(), position, recorded_at)];
            step.records = step.decisions.iter().map(decision_record).collect();
        }
        _ => {
            let (decisions, model) = crate::programmes::decide(ledger, position, fact)?;
            step.decisions = decisions
                .into_iter()
                .map(|decision| envelope(decision, position, recorded_at))
                .collect();
            step.records = step.decisions.iter().map(decision_record).collect();
            step.pending = Some(Pending::Programme(model));
        }
    }
    Some(step)
}

/// The envelopes and log records of drafted statements: about a microsecond each, their JSON in one buffer
/// (an allocation each would cost more than the copying). Split over both cores it was no faster (decide
/// 6.0–12.7 against 5.6–8.9 ms for a national parcela in `bench decisions`): fresh threads start with cold
/// caches and allocator state, and the work is moving memory.
fn wrap(statements: &[Drafted], stamp: &Stamp) -> (Vec<Envelope<Decision>>, Vec<NewRecord>) {
    let mut json = Vec::with_capacity(statements.iter().map(|d| d.statement.json_len(stamp)).sum());
    let mut ends = Vec::with_capacity(statements.len());
    let decisions: Vec<_> = statements
        .iter()
        .map(|drafted| {
            let envelope = drafted.statement.write_envelope(stamp, &mut json);
            ends.push(json.len());
            envelope
        })
        .collect();
    let json = bytes::Bytes::from(json);
    let mut start = 0;
    let records = statements
        .iter()
        .zip(&decisions)
        .zip(ends)
        .map(|((drafted, envelope), end)| {
            let payload = json.slice(start..end);
            start = end;
            NewRecord {
                subject: drafted.subject.clone(),
                id: envelope.id.to_string(),
                payload,
            }
        })
        .collect();
    (decisions, records)
}

/// The read models of a decision point, after its decisions are out. A competência's close: every
/// municipality's statuses and the explanation of every team suspended or not valid. A parcela's close:
/// each municipality's lines and statement, the recomposition as known then, and the seal.
pub fn add_read_models(ledger: &Ledger, step: &mut Step) {
    match step.pending.take() {
        Some(Pending::Parcela(sealed)) => {
            let p = sealed.basis.parcela();
            // The recomposition's series takes this parcela's lines as decided, not computed again.
            let lines = sealed.municipalities.iter().flat_map(|m| &m.lines);
            ledger.remember_series(&sealed.basis, lines);
            // Each municipality's lines dropped once written out: they and their JSON are not all held at once.
            for drafted in sealed.municipalities {
                let issued = drafted.issued();
                let key = format!("{p}/{}", issued.ibge);
                step.writes
                    .push(json_write(tree::LINHAS, key.clone(), &drafted.lines));
                step.writes
                    .push(json_write(tree::DEMONSTRATIVOS, key, issued));
            }
            for recomposition in ledger.recompositions() {
                let key = format!("{p}/{}", recomposition.ibge);
                step.writes
                    .push(json_write(tree::RECOMPOSICAO, key, &recomposition));
            }
            step.writes
                .push(json_write(tree::SELOS, p.to_string(), &sealed.seal));
            for ibge in ledger.payment_municipalities(p) {
                reconciliation_read_model(ledger, p, ibge, step);
            }
            crate::programmes::retro_read_models(ledger, &mut step.writes);
            step.writes.push(json_write(
                tree::AAE_CONCILIACAO,
                p.to_string(),
                &ledger.aae_reconcile(p),
            ));
        }
        Some(Pending::Programme(model)) => {
            crate::programmes::read_models(ledger, model, &mut step.writes)
        }
        Some(Pending::Reconciliation(p, ibge)) => reconciliation_read_model(ledger, p, ibge, step),
        Some(Pending::Competencia(c)) => competencia_read_models(ledger, c, step),
        None => {}
    }
}

fn competencia_read_models(ledger: &Ledger, c: repasse_proto::Competencia, step: &mut Step) {
    let statuses = ledger.statuses(c);
    let mut by_ibge: BTreeMap<Ibge, Vec<&repasse_rules::TeamStatus>> = BTreeMap::new();
    for status in statuses.iter() {
        by_ibge.entry(status.ibge).or_default().push(status);
    }
    for (ibge, statuses) in &by_ibge {
        step.writes
            .push(json_write(tree::SITUACAO, format!("{c}/{ibge}"), statuses));
    }
    let explained =
        ledger.explain_competencia(c, |s| !s.reasons.is_empty() || !s.not_valid.is_empty());
    for explanation in explained {
        step.writes.push(Write {
            tree: tree::EXPLICACOES,
            key: format!("{c}/{}", explanation.status.ine),
            value: explanation.to_json().into_bytes(),
        });
    }
    crate::programmes::links_read_model(ledger, c, &mut step.writes);
}

fn reconciliation_read_model(
    ledger: &Ledger,
    p: repasse_proto::Parcela,
    ibge: Ibge,
    step: &mut Step,
) {
    let rows = ledger.reconcile(p, Some(ibge));
    step.writes
        .push(json_write(tree::CONCILIACAO, format!("{p}/{ibge}"), &rows));
}

pub(crate) fn json_write(tree: &'static str, key: String, value: &impl serde::Serialize) -> Write {
    Write {
        tree,
        key,
        value: serde_json::to_vec(value).expect("read models serialize"),
    }
}

/// A decision's envelope: its id derives from the triggering fact's position and the payload, its time is
/// the triggering fact's, so a replay on any backend rebuilds it byte for byte.
fn envelope(decision: Decision, position: u64, recorded_at: Timestamp) -> Envelope<Decision> {
    Envelope::new(decision, source_of(position), recorded_at).expect("decisions encode")
}

/// Every decision names the fact that triggered it as its source.
fn source_of(position: u64) -> SourceRef {
    SourceRef {
        document: format!("fatos@{position}"),
        digest: None,
        line: None,
    }
}

/// Below this many decisions, envelopes and JSON are made on the calling thread.
pub const PARALLEL_FROM: usize = 1_024;

/// The log record of a decision: subject for integrators' filters, id for deduplication, and the JSON
/// envelope as payload — state and municipal systems read it in any language (`proto/EVENTS.md`); facts
/// stay in postcard, which only this project reads.
pub fn decision_record(envelope: &Envelope<Decision>) -> NewRecord {
    NewRecord {
        subject: repasse_proto::subject::decision_subject(&envelope.payload),
        id: envelope.id.to_string(),
        payload: codec::to_json(envelope).into_bytes().into(),
    }
}
