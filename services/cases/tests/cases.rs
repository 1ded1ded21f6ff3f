//! Every golden case of `tests/cases/`, one test each, named after its file: the case goes through the real
//! path (ingest → sled log → fold) and every expectation is compared; a failure prints the case's diff.
//! `cargo test -p repasse-cases --test cases -- NAME` runs one.

use std::path::PathBuf;

use libtest_mimic::{Arguments, Failed, Trial};

fn cases_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/cases")
}

fn run(file: &std::path::Path) -> Result<(), Failed> {
    let case = repasse_cases::read_case(file).map_err(|e| Failed::from(e.to_string()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failed::from(e.to_string()))?;
    let outcome = runtime
        .block_on(repasse_cases::run_case(&case))
        .map_err(|e| Failed::from(e.to_string()))?;
    if outcome.checks == 0 {
        return Err(format!("{} checks nothing", file.display()).into());
    }
    if !outcome.mismatches.is_empty() {
        return Err(repasse_cases::report::render(&outcome).into());
    }
    Ok(())
}

fn main() {
    let arguments = Arguments::from_args();
    let mut files: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("tests/cases is beside the workspace")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 40, "the golden cases are in tests/cases");
    let trials = files
        .into_iter()
        .map(|file| {
            let name = file
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("a case file's name is UTF-8")
                .to_owned();
            Trial::test(name, move || run(&file))
        })
        .collect();
    libtest_mimic::run(&arguments, trials).exit();
}
