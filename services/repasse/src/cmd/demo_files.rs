//! The synthetic history as the files the Ministry publishes (`repasse demo-data --formato …`): a CNES
//! dump and SISAB's validation reports per competência, and — from the ledger's own parcelas, with the
//! deliberate differences of `repasse_ingest::demo::published` — the e-Gestor report per UF and parcela
//! and the Fund's payment orders per UF and year. `repasse demo --from-files` reads them back through the
//! real readers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use repasse_ingest::demo::Demo;
use repasse_ingest::demo::published::{self, Differences, Names};
use repasse_ingest::fns::write::{Order, write_orders};
use repasse_ingest::relatorio::write::{ReportLine, write_completo};
use repasse_ingest::sisab::write::{Report, write_reports};
use repasse_proto::fact::HistoricalTransfer;
use repasse_proto::{Competencia, Fact, Parcela, Uf};
use repasse_rules::Ledger;

/// The published layouts `demo-data` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FileFormat {
    Cnes,
    Sisab,
    Relatorio,
    Fns,
}

/// A competência's SCNES teams and SISAB uploads, from its facts.
pub fn scnes_and_sisab(
    facts: &[(Fact, repasse_proto::SourceRef)],
) -> (
    Vec<repasse_proto::fact::ScnesTeam>,
    Vec<repasse_proto::fact::SisabProduction>,
) {
    let mut teams = Vec::new();
    let mut uploads = Vec::new();
    for (fact, _) in facts {
        match fact {
            Fact::ScnesTeam(t) => teams.push(t.clone()),
            Fact::SisabProduction(u) => uploads.push(u.clone()),
            _ => {}
        }
    }
    (teams, uploads)
}

/// SISAB's reports of competência `c` into `dir`.
pub fn sisab(
    dir: &Path,
    c: Competencia,
    facts: &[(Fact, repasse_proto::SourceRef)],
) -> anyhow::Result<Vec<Report>> {
    let (teams, uploads) = scnes_and_sisab(facts);
    Ok(write_reports(dir, c, &teams, &uploads)?)
}

/// The history of transfers the generator reports (RECOMP.BASE), from its registry facts.
pub fn historical(demo: &Demo) -> Vec<HistoricalTransfer> {
    demo.initial_facts()
        .into_iter()
        .filter_map(|(fact, _)| match fact {
            Fact::HistoricalTransfer(t) => Some(t),
            _ => None,
        })
        .collect()
}

/// What the report and order files hold.
#[derive(Clone, Debug, Default)]
pub struct PublishedFiles {
    pub report_files: Vec<PathBuf>,
    pub order_files: Vec<PathBuf>,
    pub report_rows: u64,
    pub orders: u64,
    pub parcelas: Vec<Parcela>,
    /// What was written to differ, per parcela.
    pub differences: BTreeMap<Parcela, Differences>,
}

impl PublishedFiles {
    /// The differences written over every parcela.
    pub fn total(&self) -> Differences {
        let mut total = Differences::default();
        for d in self.differences.values() {
            total.report_differs += d.report_differs;
            total.not_paid += d.not_paid;
            total.paid_less += d.paid_less;
            total.paid_twice += d.paid_twice;
        }
        total
    }
}

/// The e-Gestor report (one file per UF and parcela, the history of transfers included) and the Fund's
/// orders (one file per UF and year) of every closed parcela of the new model in `ledger`.
pub fn published(
    ledger: &Ledger,
    seed: u64,
    history: &[HistoricalTransfer],
    dir: &Path,
    formats: &[FileFormat],
) -> anyhow::Result<PublishedFiles> {
    let names: Names = published::names();
    let mut out = PublishedFiles::default();
    let mut report: BTreeMap<(Uf, Parcela), Vec<ReportLine>> = BTreeMap::new();
    for line in published::history(history, &names) {
        report
            .entry((line.uf, line.parcela))
            .or_default()
            .push(line);
    }
    let mut orders: BTreeMap<(Uf, i32), Vec<Order>> = BTreeMap::new();
    let novo_modelo = Parcela::new(2024, 5).expect("a valid parcela");
    let mut next_order = 0u32;
    for &p in ledger
        .closed_parcelas()
        .keys()
        .filter(|p| **p >= novo_modelo)
    {
        let result = ledger.parcela(p, None);
        let parcela = published::parcela(seed, &result, &names, &mut next_order);
        out.differences.insert(p, parcela.differences);
        out.parcelas.push(p);
        for line in parcela.report {
            report
                .entry((line.uf, line.parcela))
                .or_default()
                .push(line);
        }
        for order in parcela.orders {
            orders
                .entry((order.uf, order.paid_on.year()))
                .or_default()
                .push(order);
        }
    }
    if formats.contains(&FileFormat::Relatorio) {
        for ((uf, p), lines) in &report {
            let path = dir.join(format!(
                "pagamento-completo-{}-{}.json",
                uf.as_str(),
                p.compact()
            ));
            out.report_rows += write_completo(&path, lines)?;
            out.report_files.push(path);
        }
    }
    if formats.contains(&FileFormat::Fns) {
        for ((uf, year), list) in &orders {
            let path = dir.join(format!("detalhe-pagamento-{}-{year}.json", uf.as_str()));
            write_orders(&path, list)?;
            out.orders += list.len() as u64;
            out.order_files.push(path);
        }
    }
    Ok(out)
}

/// The whole history folded in memory, as the report and orders are written from the ledger's parcelas.
pub fn fold(demo: &Demo) -> Ledger {
    let mut ledger = Ledger::default();
    let mut position = 0u64;
    for chunk in repasse_ingest::demo::history(demo) {
        for (fact, _) in chunk {
            position += 1;
            ledger.apply(position, &fact);
        }
    }
    ledger
}

type Chunk = Vec<(Fact, repasse_proto::SourceRef)>;

/// Facts as a reader made them of `name`, each named by its line in the file.
fn from_reader(name: &str, parsed: repasse_ingest::files::Parsed) -> anyhow::Result<Chunk> {
    anyhow::ensure!(
        parsed.quarantine.is_empty(),
        "{name}: {} registros em quarentena",
        parsed.quarantine.len()
    );
    Ok(parsed
        .facts
        .into_iter()
        .map(|(fact, line)| {
            let source = repasse_proto::SourceRef {
                document: name.to_owned(),
                digest: None,
                line: Some(line),
            };
            (fact, source)
        })
        .collect())
}

/// A file `path` read by the reader of `source` with `options`, then removed.
fn read_back(
    source: repasse_ingest::sources::Source,
    path: &Path,
    options: &repasse_ingest::sources::Options,
) -> anyhow::Result<Chunk> {
    let parsed = repasse_ingest::sources::read(source, path, options, &mut |_, _| {})?;
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    std::fs::remove_file(path)?;
    from_reader(&name, parsed)
}

/// A chunk of the history with what the Ministry publishes as files passed through those files and the
/// real readers: in the registry chunk, the history of transfers through the e-Gestor report; in a
/// competência's, its SCNES through a CNES dump and its SISAB uploads through the validation reports. The
/// files are removed once read.
pub fn through_files(dir: &Path, chunk: Chunk) -> anyhow::Result<Chunk> {
    use repasse_ingest::sources::{Options, Source};
    let competencia = chunk.iter().find_map(|(fact, _)| match fact {
        Fact::ScnesClosed(closed) => Some(closed.competencia),
        _ => None,
    });
    let Some(c) = competencia else {
        let (history, mut rest): (Chunk, Chunk) = chunk
            .into_iter()
            .partition(|(fact, _)| matches!(fact, Fact::HistoricalTransfer(_)));
        let transfers: Vec<HistoricalTransfer> = history
            .into_iter()
            .filter_map(|(fact, _)| match fact {
                Fact::HistoricalTransfer(t) => Some(t),
                _ => None,
            })
            .collect();
        let files = published(
            &Ledger::default(),
            0,
            &transfers,
            dir,
            &[FileFormat::Relatorio],
        )?;
        for path in &files.report_files {
            rest.extend(read_back(Source::Relatorio, path, &Options::default())?);
        }
        return Ok(rest);
    };
    let (scnes, rest): (Chunk, Chunk) = chunk
        .into_iter()
        .partition(|(fact, _)| matches!(fact, Fact::ScnesTeam(_) | Fact::ScnesClosed(_)));
    let (sisab, rest): (Chunk, Chunk) = rest
        .into_iter()
        .partition(|(fact, _)| matches!(fact, Fact::SisabProduction(_)));
    let (teams, _) = scnes_and_sisab(&scnes);
    repasse_ingest::cnes::write::write_dump(dir, c, &teams, Some(1))?;
    let dump = dir.join(format!("BASE_DE_DADOS_CNES_{}.ZIP", c.compact()));
    // The SCNES of the competência first, then its SISAB, as the generator orders them.
    let mut facts = read_back(Source::Cnes, &dump, &Options::default())?;
    for report in write_reports(dir, c, &teams, &scnes_and_sisab(&sisab).1)? {
        let options = Options {
            received: Some(report.received),
            ..Options::default()
        };
        facts.extend(read_back(Source::Sisab, &report.path, &options)?);
    }
    facts.extend(rest);
    Ok(facts)
}

/// The reconciliation the demo shows: the last closed parcela's, once the report and the orders written
/// from the ledger (with their deliberate differences) went through the real readers into the log.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DemoReconciliation {
    pub parcela: Parcela,
    pub report_files: usize,
    pub order_files: usize,
    pub facts_written: u64,
    /// Municipality × plano lines of the parcela, and those with a finding.
    pub lines: usize,
    pub differing: usize,
    pub by_finding: BTreeMap<&'static str, u64>,
    pub owed: repasse_proto::Money,
    /// The implantation incentives the Fund transfers beside the efetivo.
    pub implantacao: repasse_proto::Money,
    pub reported: repasse_proto::Money,
    pub paid: repasse_proto::Money,
    /// What the generator wrote to differ in this parcela.
    pub written_differences: Differences,
}

/// Writes the report and orders of every closed parcela of `ledger`, ingests them through their readers
/// into `log`, folds them, and reconciles the last closed parcela.
pub async fn reconcile_published<L: repasse_eventlog::EventLog>(
    log: &L,
    ledger: &mut Ledger,
    seed: u64,
) -> anyhow::Result<Option<DemoReconciliation>> {
    use repasse_ingest::sources::{Options, Source};
    let dir = tempfile::tempdir()?;
    let formats = [FileFormat::Relatorio, FileFormat::Fns];
    let files = published(ledger, seed, &[], dir.path(), &formats)?;
    let Some(&parcela) = files.parcelas.last() else {
        return Ok(None);
    };
    let clock = repasse_eventlog::SystemClock;
    let mut writer = repasse_ingest::FactWriter::with_batch(log, &clock, 65_536);
    let sources = files
        .report_files
        .iter()
        .map(|p| (Source::Relatorio, p))
        .chain(files.order_files.iter().map(|p| (Source::Fns, p)));
    for (source, path) in sources {
        for (fact, from) in read_back(source, path, &Options::default())? {
            writer.push(fact, from).await?;
        }
    }
    let facts_written = writer.finish().await?.appended;
    let from = repasse_eventlog::Position(ledger.last_position() + 1);
    repasse_projector::fold_log(log, ledger, from, None, |_| {}).await?;
    let rows = ledger.reconcile(parcela, None);
    let mut by_finding = BTreeMap::new();
    for finding in rows.iter().flat_map(|r| &r.findings) {
        *by_finding.entry(finding.label_pt()).or_default() += 1;
    }
    let sum = |f: &dyn Fn(
        &repasse_rules::engine::reconcile::Reconciliation,
    ) -> Option<repasse_proto::Money>| {
        rows.iter()
            .filter_map(f)
            .fold(repasse_proto::Money::ZERO, |a, b| a + b)
    };
    Ok(Some(DemoReconciliation {
        parcela,
        report_files: files.report_files.len(),
        order_files: files.order_files.len(),
        facts_written,
        lines: rows.len(),
        differing: rows.iter().filter(|r| !r.findings.is_empty()).count(),
        by_finding,
        owed: sum(&|r| Some(r.owed)),
        implantacao: sum(&|r| Some(r.implantacao)),
        reported: sum(&|r| r.reported),
        paid: sum(&|r| r.paid),
        written_differences: files.differences.get(&parcela).copied().unwrap_or_default(),
    }))
}
