//! The operator's guide runs as written: the commands of `docs/operations.md` between its trial markers —
//! three nodes with the production accounts (`deploy/nats/loopback`), facts with the ingest role, `repasse
//! serve` with the projector role, readiness, seals and the page — then those between its changes'
//! markers on the same trial (backup and offline check, a rebuild under the running service, a password
//! rotated node by node), in a scratch directory, with `nats-server` and this build's `repasse` on the
//! `PATH`.

use std::path::Path;
use std::process::Command;

/// The commands between `<!-- {marker}:inicio -->` and `<!-- {marker}:fim -->`, without the fences.
fn block(guide: &str, marker: &str) -> String {
    let (_, rest) = guide
        .split_once(&format!("<!-- {marker}:inicio -->"))
        .unwrap_or_else(|| panic!("the start marker of {marker}"));
    let (block, _) = rest
        .split_once(&format!("<!-- {marker}:fim -->"))
        .unwrap_or_else(|| panic!("the end marker of {marker}"));
    block
        .lines()
        .filter(|l| !l.starts_with("```"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn the_trial_of_the_operators_guide_and_its_changes_run_as_written() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let guide = std::fs::read_to_string(repo.join("docs/operations.md")).unwrap();
    let trial = block(&guide, "ensaio");
    let changes = block(&guide, "manutencao");
    assert!(trial.contains("repasse serve") && trial.contains("nats-server"));
    assert!(changes.contains("repasse export") && changes.contains("repasse rebuild"));
    // One shell, as the guide says: the changes use the trial's nodes, variables and service.
    let script = format!("{trial}{changes}");

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
        .args(["600", "bash", "-euo", "pipefail", "-c", &script])
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
        "the guide's commands failed:\n{stdout}\n{}\n{logs}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("\"status\":\"pronto\""), "{stdout}");
    assert!(stdout.contains("\"lease_held\":true"), "{stdout}");
    assert!(
        stdout.contains("\"parcela\":\"2024-05\""),
        "a seal: {stdout}"
    );
    assert!(stdout.contains("painel: HTTP 200"), "{stdout}");
    // The changes: a verified backup, the same backup read with the rotated password, ready again.
    assert!(stdout.contains("mesma copia"), "{stdout}");
    assert_eq!(
        stdout.matches("\"status\":\"pronto\"").count(),
        2,
        "ready before and after the rotation: {stdout}"
    );
}
