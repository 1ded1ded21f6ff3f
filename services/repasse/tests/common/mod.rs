//! What the binary's integration tests share: running `repasse`, and the small history they load.
// Each test crate uses a part of this.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// The synthetic history on two small UFs (RR, AP) of a 100,000-team country, 14 competências: every
/// kind of decision point, in seconds.
pub const HISTORY: [&str; 8] = [
    "--uf",
    "RR",
    "--uf",
    "AP",
    "--teams",
    "100000",
    "--competencias",
    "14",
];

/// Runs the binary, whatever its exit.
pub fn repasse(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_repasse"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs the binary and requires success.
pub fn run(args: &[&str]) -> Output {
    let out = repasse(args);
    assert!(
        out.status.success(),
        "repasse {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Its standard output, after a successful run.
pub fn ok(args: &[&str]) -> String {
    String::from_utf8(run(args).stdout).expect("utf-8")
}

pub fn json(args: &[&str]) -> Value {
    serde_json::from_str(&ok(args)).expect("JSON on stdout")
}

pub fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}
