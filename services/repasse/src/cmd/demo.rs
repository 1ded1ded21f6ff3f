//! `repasse demo`: the main job on the embedded default. Generates the national synthetic history, writes
//! it through ingest into a fresh embedded log, folds it back from the log, and prints the national summary.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use repasse_eventlog::sled_log::SledLog;
use repasse_eventlog::{EventLog, Position, SystemClock};
use repasse_ingest::FactWriter;
use repasse_ingest::demo::{Demo, DemoConfig, history};
use repasse_projector::national::{Summary, summarize};
use repasse_proto::{Competencia, Plano};
use repasse_rules::Ledger;

/// Facts per durable append during the bulk load.
const DEMO_WRITE_BATCH: usize = 65_536;
/// Chunks (one competência each) generated ahead of the writer.
const CHUNKS_AHEAD: usize = 2;

/// What the synthetic history is made of (shared by `demo` and `demo-data`).
#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// Semente do gerador (mesma semente, mesmos fatos).
    #[arg(long, default_value_t = 2024)]
    pub seed: u64,
    /// Número aproximado de equipes no país (com --uf, cada UF fica com a sua parte).
    #[arg(long, default_value_t = 100_000)]
    pub teams: u32,
    /// Competências do histórico, a partir de 2024-03.
    #[arg(long, default_value_t = 24)]
    pub competencias: u32,
    /// Só os municípios destas UFs (repita a opção; padrão: todas).
    #[arg(long = "uf")]
    pub ufs: Vec<repasse_proto::Uf>,
}

impl HistoryArgs {
    pub fn config(&self) -> DemoConfig {
        DemoConfig {
            seed: self.seed,
            teams: self.teams,
            competencias: self.competencias,
            ufs: self.ufs.clone(),
            ..DemoConfig::default()
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub history: HistoryArgs,
    /// Diretório do log embutido (padrão: um diretório temporário apagado ao final).
    #[arg(long)]
    pub log: Option<PathBuf>,
    /// Imprime o resumo em JSON.
    #[arg(long)]
    pub json: bool,
    /// Passa o SCNES de cada competência por um dump no leiaute publicado
    /// (BASE_DE_DADOS_CNES_AAAAMM.ZIP, com as linhas de fora da APS de um dump nacional) e pelo leitor de
    /// `repasse ingest cnes`, em vez de gravar os fatos gerados.
    #[arg(long)]
    pub from_files: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = args.history.config();
    let (seed, competencias) = (args.history.seed, args.history.competencias);
    let started = Instant::now();
    let demo = Arc::new(Demo::new(config));
    eprintln!(
        "Histórico sintético: {} equipes em 5.570 municípios, {} competências (semente {})",
        super::thousands(demo.teams() as u64),
        competencias,
        seed
    );
    let temp = tempfile::tempdir()?;
    let dir = args.log.clone().unwrap_or_else(|| temp.path().to_owned());
    let log = SledLog::open(&dir, "fatos", Arc::new(SystemClock))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let written = runtime.block_on(write_history(
        &log,
        Arc::clone(&demo),
        u64::from(competencias) + 1,
        args.from_files,
    ))?;
    let write_s = started.elapsed().as_secs();
    let mut ledger = Ledger::default();
    let total = runtime.block_on(log.last_position())?;
    let bar = progress(total.0, "recalculando a partir do log");
    let fold_started = Instant::now();
    runtime.block_on(repasse_projector::fold_log(
        &log,
        &mut ledger,
        Position(1),
        None,
        |p| bar.set_position(p.0),
    ))?;
    bar.finish_and_clear();
    let fold_s = fold_started.elapsed().as_secs();
    let latest = *ledger
        .parcelas()
        .last()
        .ok_or_else(|| anyhow::anyhow!("nenhuma parcela calculável"))?;
    let summary_started = Instant::now();
    let summary = summarize(&ledger, latest);
    eprintln!(
        "{} fatos gravados ({} novos) em {write_s} s; fold em {fold_s} s; decisões e resumo em {} s; total {} s",
        super::thousands(total.0),
        super::thousands(written),
        summary_started.elapsed().as_secs(),
        started.elapsed().as_secs()
    );
    let reconciliation = if args.from_files {
        eprintln!(
            "relatório do e-Gestor e ordens do Fundo: escritos das parcelas fechadas, lidos pelos leitores reais…"
        );
        runtime.block_on(super::demo_files::reconcile_published(
            &log,
            &mut ledger,
            seed,
        ))?
    } else {
        None
    };
    if args.json {
        let mut value = serde_json::to_value(&summary)?;
        if let (Some(r), Some(object)) = (&reconciliation, value.as_object_mut()) {
            object.insert("reconciliation".into(), serde_json::to_value(r)?);
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{}", render(&summary));
        if let Some(r) = &reconciliation {
            print!("{}", render_reconciliation(r, args.log.as_deref()));
        }
    }
    page_hint(args.log.as_deref());
    Ok(ExitCode::SUCCESS)
}

/// How to look at these data in the auditor's page (on stderr: stdout is the summary).
fn page_hint(log: Option<&std::path::Path>) {
    let (keep, dir) = match log {
        Some(dir) => (String::new(), dir.display().to_string()),
        None => (
            "repasse demo --log repasse-demo  (este log era temporário; guarde-o assim), depois\n    "
                .to_owned(),
            "repasse-demo".to_owned(),
        ),
    };
    eprintln!(
        "\nPara ver estes dados no painel do auditor:\n    {keep}repasse serve --log {dir} --read-models {dir}-modelos\n\
         e abra http://127.0.0.1:8080/painel quando /readyz responder (o projetor recalcula o log primeiro)."
    );
}

fn progress(total: u64, message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {human_pos}/{human_len} ({eta})")
            .expect("valid template"),
    );
    bar.set_message(message);
    bar
}

/// Generates competência by competência on another thread while this one encodes and appends.
async fn write_history(
    log: &SledLog,
    demo: Arc<Demo>,
    chunks: u64,
    from_files: bool,
) -> anyhow::Result<u64> {
    let (sender, receiver) = std::sync::mpsc::sync_channel(CHUNKS_AHEAD);
    let producer = std::thread::spawn(move || -> anyhow::Result<()> {
        let files = tempfile::tempdir()?;
        for chunk in history(&demo) {
            let chunk = if from_files {
                super::demo_files::through_files(files.path(), chunk)?
            } else {
                chunk
            };
            if sender.send(chunk).is_err() {
                break;
            }
        }
        Ok(())
    });
    let clock = SystemClock;
    let mut writer = FactWriter::with_batch(log, &clock, DEMO_WRITE_BATCH);
    let bar = progress(chunks, "gravando fatos no log embutido (competências)");
    for chunk in receiver {
        for (fact, source) in chunk {
            writer.push(fact, source).await?;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    producer
        .join()
        .map_err(|_| anyhow::anyhow!("o gerador do histórico falhou"))??;
    Ok(writer.finish().await?.appended)
}

/// The reconciliation of the demo's last closed parcela, as the Fund's analyst reads it.
fn render_reconciliation(
    r: &super::demo_files::DemoReconciliation,
    log: Option<&std::path::Path>,
) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nCONCILIAÇÃO — parcela {}: o devido pelo razão, o publicado no relatório do e-Gestor e o pago pelo Fundo",
        r.parcela
    );
    let _ = writeln!(
        out,
        "{} arquivos de relatório e {} de ordens lidos pelos leitores reais ({} fatos)",
        r.report_files,
        r.order_files,
        super::thousands(r.facts_written)
    );
    let _ = writeln!(
        out,
        "Devido {} (e {} de implantação); publicado {}; pago {}",
        r.owed.to_brl(),
        r.implantacao.to_brl(),
        r.reported.to_brl(),
        r.paid.to_brl()
    );
    let _ = writeln!(
        out,
        "{} linhas (município × plano), {} com divergência:",
        super::thousands(r.lines as u64),
        super::thousands(r.differing as u64)
    );
    for (finding, count) in &r.by_finding {
        let _ = writeln!(out, "  {finding:<40} {:>8}", super::thousands(*count));
    }
    let command = match log {
        Some(dir) => format!(
            "repasse reconcile --parcela {} --log {} --csv conciliacao.csv",
            r.parcela,
            dir.display()
        ),
        None => format!(
            "repasse demo --from-files --log DIR e depois repasse reconcile --parcela {} --log DIR",
            r.parcela
        ),
    };
    let _ = writeln!(
        out,
        "Cada divergência explicada, equipe por equipe: {command}"
    );
    out
}

/// The summary as an analyst reads it (pt-BR, R$).
pub fn render(s: &Summary) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let c: Competencia = s.parcela.competencia();
    let _ = writeln!(
        out,
        "\nRESUMO NACIONAL — parcela {} (competência SCNES {c})",
        s.parcela.ym().compact()
    );
    let _ = writeln!(
        out,
        "Equipes avaliadas: {}; válidas: {}; linhas do razão: {}\n",
        super::thousands(s.teams_evaluated as u64),
        super::thousands(s.teams_payable as u64),
        super::thousands(s.lines as u64)
    );
    let _ = writeln!(
        out,
        "{:<12} {:>22} {:>20} {:>16} {:>22}",
        "Plano", "Integral", "Desconto", "Ajuste", "Efetivo"
    );
    for (plano, t) in &s.by_plano {
        let _ = writeln!(
            out,
            "{:<12} {:>22} {:>20} {:>16} {:>22}",
            plano.label_pt(),
            t.integral.to_brl(),
            t.desconto.to_brl(),
            t.ajuste.to_brl(),
            t.efetivo.to_brl()
        );
    }
    let _ = writeln!(
        out,
        "{:<12} {:>22}   (incentivo de implantação, à parte)\n",
        "Implantação",
        s.implantacao.to_brl()
    );
    let planos = [Plano::EsfEap, Plano::SaudeBucal, Plano::EMulti, Plano::Acs];
    let _ = writeln!(out, "Efetivo por UF");
    let _ = writeln!(
        out,
        "{:<4} {:>20} {:>18} {:>18} {:>18}",
        "UF", "eSF e eAP", "Saúde Bucal", "eMulti", "ACS"
    );
    for (uf, by_plano) in &s.by_uf {
        let cell = |p: Plano| {
            by_plano
                .get(&p)
                .map_or_else(|| "R$ 0,00".to_owned(), |t| t.efetivo.to_brl())
        };
        let _ = writeln!(
            out,
            "{:<4} {:>20} {:>18} {:>18} {:>18}",
            uf.as_str(),
            cell(planos[0]),
            cell(planos[1]),
            cell(planos[2]),
            cell(planos[3])
        );
    }
    let [p100, p75, p50, p25, p0] = s.esf_paid_at;
    let _ = writeln!(
        out,
        "\neSF pagas a 100 %: {}; 75 %: {}; 50 %: {}; 25 %: {}; retidas (suspensão de 100 %): {}",
        super::thousands(p100),
        super::thousands(p75),
        super::thousands(p50),
        super::thousands(p25),
        super::thousands(p0)
    );
    let _ = writeln!(out, "\nSuspensões na competência {c}, por regra");
    for (rule, count) in &s.suspensions_by_rule {
        let title = repasse_rules::catalog::find(rule).map_or("", |r| r.title);
        let _ = writeln!(
            out,
            "  {:<26} {:>8} equipes  {title}",
            rule,
            super::thousands(*count)
        );
    }
    let _ = writeln!(out, "\nDecisões no histórico (publicadas a integradores)");
    for (kind, count) in &s.decisions_by_kind {
        let _ = writeln!(out, "  {:<26} {:>8}", kind, super::thousands(*count));
    }
    let _ = writeln!(
        out,
        "\nRecomposição (PRC 6/2017 art. 12-T): {} municípios com compensação; devida na parcela {}: {}",
        super::thousands(s.recomposition_municipalities),
        s.parcela.ym().compact(),
        s.recomposition_paid.to_brl()
    );
    out
}
