//! Runs a case: facts → ingest → a fresh embedded log → fold from the log → every expectation compared.

use std::sync::Arc;

use repasse_eventlog::sled_log::SledLog;
use repasse_eventlog::{ManualClock, Position};
use repasse_ingest::FactWriter;
use repasse_proto::decision::{Decision, SuspensionDecision};
use repasse_proto::{Fact, Money, SourceRef, Timestamp};
use repasse_rules::Ledger;
use serde::Serialize;

use crate::format::{Case, DecisionKind, Expect};

/// Every case is recorded as if on this instant: the recording time never enters a decision.
const RECORDED_AT: Timestamp = Timestamp(1_767_225_600_000);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("log temporário: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Log(#[from] repasse_eventlog::Error),
    #[error(transparent)]
    Ingest(#[from] repasse_ingest::writer::Error),
    #[error(transparent)]
    Fold(#[from] repasse_projector::fold::Error),
}

#[derive(Debug, Serialize)]
pub struct Outcome {
    pub name: String,
    pub file: String,
    pub facts: usize,
    pub checks: usize,
    pub mismatches: Vec<Mismatch>,
}

#[derive(Debug, Serialize)]
pub struct Mismatch {
    /// JSON path of the expectation, e.g. `expect.teams[1].suspension_pct`.
    pub path: String,
    /// What the expectation is about, in words.
    pub context: String,
    pub expected: String,
    pub actual: String,
}

/// A fresh embedded log recording as of `RECORDED_AT`, removed when dropped.
struct CaseLog {
    _dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    log: SledLog,
}

impl CaseLog {
    fn fresh() -> Result<CaseLog, Error> {
        let dir = tempfile::tempdir()?;
        let clock = Arc::new(ManualClock::new(RECORDED_AT));
        let log = SledLog::open(dir.path(), "fatos", clock.clone())?;
        Ok(CaseLog {
            _dir: dir,
            clock,
            log,
        })
    }

    fn writer(&self) -> FactWriter<'_, SledLog> {
        FactWriter::new(&self.log, self.clock.as_ref())
    }

    /// The ledger folded back from the log alone.
    async fn fold(&self) -> Result<Ledger, Error> {
        let mut ledger = Ledger::default();
        repasse_projector::fold_log(&self.log, &mut ledger, Position(1), None, |_| {}).await?;
        Ok(ledger)
    }
}

/// Where a case's fact came from: the case (its name) and the index of its item.
fn source(document: &str, index: usize) -> SourceRef {
    SourceRef {
        document: document.to_owned(),
        digest: None,
        line: Some(index as u32),
    }
}

/// The case's facts written through the real ingest path into a fresh embedded log and folded back.
pub async fn ledger_for(case: &Case) -> Result<Ledger, Error> {
    let log = CaseLog::fresh()?;
    let facts = case
        .facts
        .iter()
        .map(|(fact, index)| (fact.clone(), source(&case.name, *index)));
    log.writer().write(facts).await?;
    log.fold().await
}

/// Runs the case file at `path` as a stream: a thread reads it and hands its facts on through a channel of two
/// chunks, to the real ingest path, so that a case of a whole country is never held whole; then the fold
/// replays the log and every expectation is checked.
pub async fn run_case_file(path: &std::path::Path) -> Result<Outcome, FileError> {
    let log = CaseLog::fresh()?;
    let (sender, mut chunks) = tokio::sync::mpsc::channel::<(String, Vec<(Fact, usize)>)>(2);
    let owned = path.to_owned();
    let reader = std::thread::spawn(move || {
        let mut sink = |document: &str, chunk: Vec<(Fact, usize)>| {
            sender
                .blocking_send((document.to_owned(), chunk))
                .map_err(|_| "a gravação no log parou".to_owned())
        };
        crate::stream::stream_case(&owned, &mut sink)
    });
    let mut writer = log.writer();
    let mut written = Ok(());
    while let Some((document, chunk)) = chunks.recv().await {
        for (fact, index) in chunk {
            if let Err(e) = writer.push(fact, source(&document, index)).await {
                written = Err(e);
                break;
            }
        }
        if written.is_err() {
            break;
        }
    }
    // Dropping the receiver stops a reader still sending; a failed write is the cause to report, not the
    // reader's "stopped" that follows from it.
    drop(chunks);
    let read = tokio::task::spawn_blocking(move || reader.join())
        .await
        .map_err(|e| FileError::Read(format!("a leitura do caso falhou: {e}")))?;
    written.map_err(Error::from)?;
    let head = read
        .map_err(|_| FileError::Read("a leitura do caso falhou".to_owned()))?
        .map_err(|e| FileError::Read(e.to_string()))?;
    writer.finish().await.map_err(Error::from)?;
    let ledger = log.fold().await?;
    Ok(outcome(
        &ledger,
        &head.expect,
        head.name,
        head.file,
        head.facts,
    ))
}

/// Why a case file could not be run.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file is not a case: its message names the file and the JSON path.
    #[error("{0}")]
    Read(String),
    #[error(transparent)]
    Run(#[from] Error),
}

/// Replays the case through the real ingest path into a fresh embedded log and checks every expectation.
pub async fn run_case(case: &Case) -> Result<Outcome, Error> {
    let ledger = ledger_for(case).await?;
    Ok(outcome(
        &ledger,
        &case.expect,
        case.name.clone(),
        case.file.clone(),
        case.facts.len(),
    ))
}

/// Every expectation checked against the ledger.
fn outcome(ledger: &Ledger, expect: &Expect, name: String, file: String, facts: usize) -> Outcome {
    let mut checker = Checker {
        ledger,
        checks: 0,
        mismatches: Vec::new(),
    };
    checker.check(expect);
    Outcome {
        name,
        file,
        facts,
        checks: checker.checks,
        mismatches: checker.mismatches,
    }
}

pub(crate) struct Checker<'a> {
    pub(crate) ledger: &'a Ledger,
    pub(crate) checks: usize,
    pub(crate) mismatches: Vec<Mismatch>,
}

impl Checker<'_> {
    pub(crate) fn compare<T: PartialEq + std::fmt::Debug>(
        &mut self,
        path: String,
        context: &str,
        expected: Option<T>,
        actual: Option<T>,
    ) {
        let Some(expected) = expected else { return };
        self.checks += 1;
        if actual.as_ref() != Some(&expected) {
            let actual = actual.map_or_else(|| "(ausente)".to_owned(), |a| format!("{a:?}"));
            self.mismatches.push(Mismatch {
                path,
                context: context.to_owned(),
                expected: format!("{expected:?}"),
                actual,
            });
        }
    }

    fn check(&mut self, expect: &Expect) {
        self.teams(expect);
        self.lines(expect);
        self.statements(expect);
        self.decisions(expect);
        self.recomposition(expect);
        self.credentialing_requests(expect);
        self.reconciliation(expect);
        self.retro(expect);
        self.aae(expect);
        self.oci(expect);
        self.aperf(expect);
    }

    /// Records an expected item the ledger does not have.
    pub(crate) fn absent(&mut self, path: String, context: String, expected: &str) {
        self.checks += 1;
        self.mismatches.push(Mismatch {
            path,
            context,
            expected: expected.to_owned(),
            actual: "(ausente)".to_owned(),
        });
    }

    fn teams(&mut self, expect: &Expect) {
        for (i, e) in expect.teams.iter().enumerate() {
            let context = format!("equipe {} na competência {}", e.ine, e.competencia);
            let status = self.ledger.team_status(e.ine, e.competencia);
            let path = |field: &str| format!("expect.teams[{i}].{field}");
            if status.is_none() {
                self.checks += 1;
                self.mismatches.push(Mismatch {
                    path: format!("expect.teams[{i}]"),
                    context,
                    expected: "situação da equipe".into(),
                    actual: "equipe não avaliada nessa competência (sem SCNES fechado ou sem homologação)".into(),
                });
                continue;
            }
            let s = status.as_ref();
            self.compare(path("payable"), &context, e.payable, s.map(|s| s.payable));
            self.compare(
                path("suspension_pct"),
                &context,
                e.suspension_pct,
                s.map(|s| s.suspension_pct),
            );
            let sorted = |mut v: Vec<String>| {
                v.sort();
                v
            };
            let actual = s.map(|s| sorted(s.reasons.iter().map(|r| (*r).to_owned()).collect()));
            self.compare(
                path("reasons"),
                &context,
                e.reasons.clone().map(sorted),
                actual,
            );
        }
    }

    fn lines(&mut self, expect: &Expect) {
        for (i, e) in expect.lines.iter().enumerate() {
            let context = format!(
                "linha {} da equipe {} na parcela {} ({})",
                e.component.as_str(),
                e.ine,
                e.parcela,
                e.ibge
            );
            let result = self.ledger.parcela(e.parcela, Some(e.ibge));
            let line = result
                .lines
                .iter()
                .find(|l| l.ine == e.ine && l.component == e.component);
            let path = |field: &str| format!("expect.lines[{i}].{field}");
            if line.is_none() {
                self.checks += 1;
                self.mismatches.push(Mismatch {
                    path: format!("expect.lines[{i}]"),
                    context,
                    expected: "uma linha".into(),
                    actual: "nenhuma linha".into(),
                });
                continue;
            }
            self.compare(
                path("integral"),
                &context,
                e.integral,
                line.map(|l| l.integral),
            );
            self.compare(
                path("desconto"),
                &context,
                e.desconto,
                line.map(|l| l.desconto),
            );
        }
    }

    fn statements(&mut self, expect: &Expect) {
        for (i, e) in expect.statements.iter().enumerate() {
            let context = format!(
                "demonstrativo {} de {} na parcela {}",
                e.plano, e.ibge, e.parcela
            );
            let result = self.ledger.parcela(e.parcela, Some(e.ibge));
            let st = result.statements.iter().find(|s| s.plano == e.plano);
            let zero = || Some(Money::ZERO);
            let get = |f: fn(&repasse_rules::Statement) -> Money| st.map(f).or_else(zero);
            let path = |field: &str| format!("expect.statements[{i}].{field}");
            self.compare(path("integral"), &context, e.integral, get(|s| s.integral));
            self.compare(path("desconto"), &context, e.desconto, get(|s| s.desconto));
            self.compare(path("ajuste"), &context, e.ajuste, get(|s| s.ajuste));
            self.compare(path("efetivo"), &context, e.efetivo, get(|s| s.efetivo));
        }
    }

    fn decisions(&mut self, expect: &Expect) {
        let decisions = self.ledger.suspension_decisions();
        let key = |d: &Decision| -> Option<(DecisionKind, String, String, u8)> {
            let (kind, s): (DecisionKind, &SuspensionDecision) = match d {
                Decision::SuspensionApplied(s) => (DecisionKind::SuspensionApplied, s),
                Decision::SuspensionChanged(s) => (DecisionKind::SuspensionChanged, s),
                Decision::SuspensionLifted(s) => (DecisionKind::SuspensionLifted, s),
                Decision::CredentialRevoked(r) => {
                    return Some((
                        DecisionKind::CredentialRevoked,
                        r.ine.to_string(),
                        r.competencia.to_string(),
                        0,
                    ));
                }
                _ => return None,
            };
            Some((kind, s.ine.to_string(), s.competencia.to_string(), s.pct))
        };
        let actual: Vec<_> = decisions.iter().filter_map(key).collect();
        let mut matched = vec![false; actual.len()];
        for (i, e) in expect.decisions.iter().enumerate() {
            self.checks += 1;
            let found = actual
                .iter()
                .enumerate()
                .position(|(j, (kind, ine, c, pct))| {
                    !matched[j]
                        && *kind == e.kind
                        && *ine == e.ine.to_string()
                        && *c == e.competencia.to_string()
                        && e.pct.is_none_or(|p| p == *pct)
                });
            match found {
                Some(j) => matched[j] = true,
                None => self.mismatches.push(Mismatch {
                    path: format!("expect.decisions[{i}]"),
                    context: format!(
                        "decisão {} da equipe {} em {}",
                        e.kind.as_str(),
                        e.ine,
                        e.competencia
                    ),
                    expected: format!(
                        "{} {}{}",
                        e.kind.as_str(),
                        e.competencia,
                        e.pct.map(|p| format!(" {p} %")).unwrap_or_default()
                    ),
                    actual: describe(&actual, &e.ine.to_string()),
                }),
            }
        }
        if expect.decisions_exact {
            self.checks += 1;
            let extra: Vec<_> = actual
                .iter()
                .zip(&matched)
                .filter(|(_, m)| !**m)
                .map(|(a, _)| a)
                .collect();
            if !extra.is_empty() {
                self.mismatches.push(Mismatch {
                    path: "expect.decisions_exact".into(),
                    context: "nenhuma outra decisão de suspensão ou revogação".into(),
                    expected: "nenhuma".into(),
                    actual: extra
                        .iter()
                        .map(|(k, ine, c, pct)| format!("{} {ine} {c} {pct} %", k.as_str()))
                        .collect::<Vec<_>>()
                        .join("; "),
                });
            }
        }
    }

    fn credentialing_requests(&mut self, expect: &Expect) {
        use crate::format::CeilingRecommendation;
        use repasse_rules::law::teto::Recommendation;
        for (i, e) in expect.credentialing_requests.iter().enumerate() {
            let context = format!("pedido de credenciamento {}", e.id);
            let got = self
                .ledger
                .credentialing_requests()
                .find(|a| a.request.id == e.id);
            let path = |field: &str| format!("expect.credentialing_requests[{i}].{field}");
            if got.is_none() {
                self.checks += 1;
                self.mismatches.push(Mismatch {
                    path: format!("expect.credentialing_requests[{i}]"),
                    context,
                    expected: "um pedido avaliado".to_owned(),
                    actual: "(ausente)".to_owned(),
                });
                continue;
            }
            let recommendation = got.map(|a| match a.recommendation {
                Recommendation::DentroDoTeto => CeilingRecommendation::DentroDoTeto,
                Recommendation::AcimaDoTeto => CeilingRecommendation::AcimaDoTeto,
            });
            self.compare(
                path("recommendation"),
                &context,
                e.recommendation,
                recommendation,
            );
            let ceiling = got.and_then(|a| a.ceiling.as_ref().map(|c| c.value));
            self.compare(path("ceiling"), &context, e.ceiling, ceiling);
            let credentialed = got.map(|a| a.credentialed);
            self.compare(path("credentialed"), &context, e.credentialed, credentialed);
            let requested = got.map(|a| a.request.quantity);
            self.compare(path("requested"), &context, e.requested, requested);
        }
    }

    fn reconciliation(&mut self, expect: &Expect) {
        for (i, e) in expect.reconciliation.iter().enumerate() {
            let context = format!(
                "conciliação de {} na parcela {}, plano {}",
                e.ibge, e.parcela, e.plano
            );
            let path = |field: &str| format!("expect.reconciliation[{i}].{field}");
            let got = self
                .ledger
                .reconcile(e.parcela, Some(e.ibge))
                .into_iter()
                .find(|r| r.plano == e.plano);
            let Some(got) = got else {
                self.checks += 1;
                self.mismatches.push(Mismatch {
                    path: format!("expect.reconciliation[{i}]"),
                    context,
                    expected: "uma linha de conciliação".to_owned(),
                    actual: "(ausente: nada devido, publicado ou pago)".to_owned(),
                });
                continue;
            };
            self.compare(path("owed"), &context, e.owed, Some(got.owed));
            self.compare(path("reported"), &context, e.reported, got.reported);
            self.compare(path("paid"), &context, e.paid, got.paid);
            if let Some(findings) = &e.findings {
                let expected: std::collections::BTreeSet<_> = findings.iter().copied().collect();
                let actual: std::collections::BTreeSet<_> = got.findings.iter().copied().collect();
                self.compare(path("findings"), &context, Some(expected), Some(actual));
            }
            if let Some(teams) = &e.teams {
                let expected: std::collections::BTreeSet<_> = teams.iter().copied().collect();
                let actual: std::collections::BTreeSet<_> =
                    got.teams.iter().map(|t| t.ine).collect();
                self.compare(path("teams"), &context, Some(expected), Some(actual));
            }
        }
    }

    fn recomposition(&mut self, expect: &Expect) {
        for (i, e) in expect.recomposition.iter().enumerate() {
            let context = format!("recomposição de {}", e.ibge);
            let r = self.ledger.recomposition(e.ibge);
            let path = |field: &str| format!("expect.recomposition[{i}].{field}");
            self.compare(path("base"), &context, e.base, r.as_ref().map(|r| r.base));
            self.compare(path("novo"), &context, e.novo, r.as_ref().map(|r| r.novo));
            self.compare(
                path("monthly_value"),
                &context,
                e.monthly_value,
                r.as_ref().map(|r| r.monthly_value),
            );
            self.compare(
                path("compensation"),
                &context,
                e.compensation,
                r.as_ref().map(|r| r.compensation),
            );
            for (j, ep) in e.parcelas.iter().flatten().enumerate() {
                let context = format!("recomposição de {} na parcela {}", e.ibge, ep.parcela);
                let got = r
                    .as_ref()
                    .and_then(|r| r.parcelas.iter().find(|p| p.parcela == ep.parcela));
                self.compare(
                    format!("expect.recomposition[{i}].parcelas[{j}].paid"),
                    &context,
                    Some(ep.paid),
                    got.map(|p| p.paid),
                );
                if let Some(reason) = &ep.reason {
                    self.checks += 1;
                    let actual = got.map(|p| p.reason.clone()).unwrap_or_default();
                    if !actual.contains(reason.as_str()) {
                        self.mismatches.push(Mismatch {
                            path: format!("expect.recomposition[{i}].parcelas[{j}].reason"),
                            context,
                            expected: reason.clone(),
                            actual,
                        });
                    }
                }
            }
        }
    }
}

fn describe(actual: &[(DecisionKind, String, String, u8)], ine: &str) -> String {
    let of_team: Vec<_> = actual
        .iter()
        .filter(|a| a.1 == ine)
        .map(|(k, _, c, p)| format!("{} {c} {p} %", k.as_str()))
        .collect();
    if of_team.is_empty() {
        "nenhuma decisão para a equipe".into()
    } else {
        of_team.join("; ")
    }
}
