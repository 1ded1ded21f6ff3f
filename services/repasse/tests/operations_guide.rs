//! The operator's guide runs as written: the commands of `docs/operations.md` between its trial markers —
//! three nodes with the production accounts (`deploy/nats/loopback`), facts with the ingest role, `repasse
//! serve` with the projector role, readiness, seals and the page — in a scratch directory, with
//! `nats-server` and this build's `repasse` on the `PATH`.

use std::path::Path;
use std::process::Command;

#[test]
fn the_trial_of_the_operators_guide_runs_as_written() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let guide = std::fs::read_to_string(repo.join("docs/operations.md")).unwrap();
    let (_, rest) = guide
        .split_once("<!-- ensaio:inicio -->")
        .expect("the trial's start marker");
    let (block, _) = rest
        .split_once("<!-- ensaio:fim -->")
        .expect("its end marker");
    let script: String = block
        .lines()
        .filter(|l| !l.starts_with("```"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(script.contains("repasse serve") && script.contains("nats-server"));

    let nats = std::env::var("NATS_SERVER").unwrap_or_else(|_| "nats-server".to_owned());
    let nats_dir = Path::new(&nats)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf);
    let repasse_dir = Path::new(env!("CARGO_BIN_EXE_repasse")).parent().unwrap();
    let mut path =
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).collect::<Vec<_>>();
    path.insert(0, repasse_dir.to_path_buf());
    if let Some(dir) = nats_dir {
        path.insert(0, dir);
    }
    let work = tempfile::tempdir().unwrap();
    let out = Command::new("timeout")
        .args(["300", "bash", "-euo", "pipefail", "-c", &script])
        .current_dir(work.path())
        .env("PATH", std::env::join_paths(path).unwrap())
        .env(
            "REPASSE_DEPLOY",
            std::fs::canonicalize(repo.join("deploy")).unwrap(),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let logs: String = ["servico.log", "no-1.log"]
        .iter()
        .map(|f| std::fs::read_to_string(work.path().join(f)).unwrap_or_default())
        .collect();
    assert!(
        out.status.success(),
        "the guide's trial failed:\n{stdout}\n{}\n{logs}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("\"status\":\"pronto\""), "{stdout}");
    assert!(stdout.contains("\"lease_held\":true"), "{stdout}");
    assert!(
        stdout.contains("\"parcela\":\"2024-05\""),
        "a seal: {stdout}"
    );
    assert!(stdout.contains("painel: HTTP 200"), "{stdout}");
}
