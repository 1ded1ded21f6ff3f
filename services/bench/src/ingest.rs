//! `repasse bench ingest`: the national CNES dump in the published layout through `repasse ingest cnes`
//! (read out of the zip, joined, written to a fresh embedded log), beside its floor — a bare pass of the
//! csv crate over the same five members, decompressing and splitting every record and nothing else — in
//! the same run. The ingest runs in a child process, so that its peak RSS is its own; then again over the
//! same log, which must append nothing.

// Timings are measurements, not money: floats are right here.
#![allow(clippy::float_arithmetic)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use repasse_ingest::cnes::TABLES;
use repasse_ingest::demo::{Demo, DemoConfig};
use serde::Serialize;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Equipes da APS do histórico sintético (o dump nacional tem as demais em proporção).
    #[arg(long, default_value_t = 100_000)]
    pub teams: u32,
    /// Um dump já escrito (BASE_DE_DADOS_CNES_AAAAMM.ZIP) em vez de gerar um.
    #[arg(long)]
    pub dump: Option<PathBuf>,
    /// Só a importação, num processo à parte (uso interno): o dump e o log.
    #[arg(long, hide = true, requires = "log")]
    pub only_ingest: Option<PathBuf>,
    #[arg(long, hide = true)]
    pub log: Option<PathBuf>,
}

#[derive(Debug, Serialize, serde::Deserialize)]
struct Ingested {
    seconds: f64,
    /// Of which reading the dump (the join included) and writing its facts to the log.
    read_seconds: f64,
    write_seconds: f64,
    peak_rss_mib: u64,
    new: u64,
    already_present: u64,
}

#[derive(Debug, Serialize)]
struct Report {
    dump: repasse_ingest::cnes::write::Written,
    generate_seconds: f64,
    /// The bare csv pass, before and after the ingest.
    floor_seconds: [f64; 2],
    floor_records: u64,
    ingest: Ingested,
    /// The ingest's time over the faster floor: the target is at most 2.
    ratio_to_floor: f64,
    reingest: Ingested,
}

pub fn run(args: Args) -> anyhow::Result<std::process::ExitCode> {
    if let (Some(dump), Some(log)) = (&args.only_ingest, &args.log) {
        let ingested = ingest(dump, log)?;
        println!("{}", serde_json::to_string(&ingested)?);
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let dir = tempfile::tempdir()?;
    let started = Instant::now();
    let (dump, written) = match &args.dump {
        Some(path) => (
            path.clone(),
            repasse_ingest::cnes::write::Written::default(),
        ),
        None => {
            eprintln!("Gerando o dump nacional de {} equipes da APS…", args.teams);
            let demo = Demo::new(DemoConfig {
                teams: args.teams,
                competencias: 1,
                ..DemoConfig::default()
            });
            let c = demo.competencias().next().expect("one competência");
            let teams: Vec<_> = demo
                .competencia_facts(c)
                .into_iter()
                .filter_map(|(fact, _)| match fact {
                    repasse_proto::Fact::ScnesTeam(team) => Some(team),
                    _ => None,
                })
                .collect();
            drop(demo);
            let written = repasse_ingest::cnes::write::write_dump(dir.path(), c, &teams, None)?;
            let name = format!("BASE_DE_DADOS_CNES_{}.ZIP", c.compact());
            (dir.path().join(name), written)
        }
    };
    let generate_seconds = started.elapsed().as_secs_f64();
    eprintln!("Piso: o csv puro sobre os mesmos membros…");
    let (first_floor, floor_records) = floor(&dump)?;
    let log = dir.path().join("log");
    eprintln!("Importação (processo à parte)…");
    let ingest = child(&dump, &log)?;
    eprintln!("Piso de novo…");
    let (second_floor, _) = floor(&dump)?;
    eprintln!("Reimportação do mesmo dump…");
    let reingest = child(&dump, &log)?;
    let floor_seconds = [first_floor, second_floor];
    let report = Report {
        dump: written,
        generate_seconds,
        floor_seconds,
        floor_records,
        ratio_to_floor: ingest.seconds / first_floor.min(second_floor),
        ingest,
        reingest,
    };
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(std::process::ExitCode::SUCCESS)
}

/// `repasse bench ingest --only-ingest DUMP --log LOG` in a child process.
fn child(dump: &Path, log: &Path) -> anyhow::Result<Ingested> {
    let output = std::process::Command::new(std::env::current_exe()?)
        .args(["bench", "ingest", "--only-ingest"])
        .arg(dump)
        .arg("--log")
        .arg(log)
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "a importação falhou: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// What `repasse ingest cnes DUMP --log LOG` does: read the dump whole, then write its facts.
fn ingest(dump: &Path, log: &Path) -> anyhow::Result<Ingested> {
    let clock = repasse_eventlog::SystemClock;
    let started = Instant::now();
    let log = repasse_eventlog::sled_log::SledLog::open(
        log,
        "fatos",
        std::sync::Arc::new(repasse_eventlog::SystemClock),
    )?;
    let options = repasse_ingest::sources::Options::default();
    let parsed = repasse_ingest::sources::read(
        repasse_ingest::sources::Source::Cnes,
        dump,
        &options,
        &mut |_, _| {},
    )?;
    let read_seconds = started.elapsed().as_secs_f64();
    let runtime = crate::runtime()?;
    let (summary, _) =
        runtime.block_on(repasse_ingest::files::write(dump, parsed, &log, &clock))?;
    Ok(Ingested {
        seconds: started.elapsed().as_secs_f64(),
        read_seconds,
        write_seconds: started.elapsed().as_secs_f64() - read_seconds,
        peak_rss_mib: crate::peak_mib(),
        new: summary.new,
        already_present: summary.already_present,
    })
}

/// The floor: every record of the five members the reader reads, decompressed and split by the csv crate
/// with the reader's settings, and nothing else.
fn floor(dump: &Path) -> anyhow::Result<(f64, u64)> {
    let started = Instant::now();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(dump)?)?;
    let names: Vec<String> = zip.file_names().map(str::to_owned).collect();
    let mut records = 0u64;
    for table in TABLES {
        let name = names
            .iter()
            .find(|n| n.starts_with(table) && n.len() == table.len() + 10)
            .ok_or_else(|| anyhow::anyhow!("{table} ausente no dump"))?;
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .quote(b'"')
            .has_headers(false)
            .flexible(true)
            .from_reader(zip.by_name(name)?);
        let mut record = csv::ByteRecord::new();
        while reader.read_byte_record(&mut record)? {
            records += 1;
        }
    }
    Ok((started.elapsed().as_secs_f64(), records))
}
