//! How a case's outcome reads: one line when it passes, a diff of every mismatch when it does not.

use std::fmt::Write;

use crate::run::Outcome;

pub fn render(outcome: &Outcome) -> String {
    let mut out = String::new();
    if outcome.mismatches.is_empty() {
        let _ = writeln!(
            out,
            "OK     {} ({}): {} fatos, {} conferências",
            outcome.name, outcome.file, outcome.facts, outcome.checks
        );
        return out;
    }
    let _ = writeln!(
        out,
        "FALHA  {} ({}): {} de {} conferências divergem",
        outcome.name,
        outcome.file,
        outcome.mismatches.len(),
        outcome.checks
    );
    for mismatch in &outcome.mismatches {
        let _ = writeln!(out, "  {}  ({})", mismatch.path, mismatch.context);
        let _ = writeln!(out, "    - esperado: {}", mismatch.expected);
        let _ = writeln!(out, "    + obtido:   {}", mismatch.actual);
    }
    out
}

pub fn to_json(outcome: &Outcome) -> String {
    serde_json::to_string(outcome).expect("outcomes serialize")
}
