//! The law imports nothing of the engine, and the law's and the engine's modules import only those before
//! them in their layering: no import circle in the crate.

use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// The engine's modules, each allowed to import only those before it.
const ENGINE_LAYERS: &[&str] = &[
    "parallel",
    "payments",
    "programmes",
    "state",
    "teams",
    "ahead",
    "eval",
    "ledger",
    "queries",
    "pay",
    "recomposition",
    "reconcile",
    "retro",
    "aae",
    "aperf",
];

/// The law's modules, each allowed to import only those before it: what the rules read, then the rule
/// families (which import none of each other), then the order of §2 and §4, then the plain evaluator.
const LAW_LAYERS: &[&[&str]] = &[
    &["record"],
    &["settings", "status"],
    &["view"],
    &[
        "aae",
        "absences",
        "aperf",
        "control",
        "links",
        "payment",
        "recomposition",
        "retro",
        "revocation",
        "sisab",
        "teto",
        "validity",
    ],
    &["team"],
    &["plain"],
];

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// `crate::engine::x` and `crate::x` paths named in a source, outside its tests.
fn imports(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or(text);
    let mut found = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        let path: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        found.push(path);
    }
    found
}

#[test]
fn the_law_imports_nothing_of_the_engine() {
    let law = sources(&Path::new(SRC).join("law"));
    assert!(law.len() >= 10, "the law's modules were found");
    for path in law {
        let text = std::fs::read_to_string(&path).unwrap();
        for import in imports(&text) {
            assert!(
                !import.starts_with("engine") && !import.starts_with("bench"),
                "{} imports crate::{import}",
                path.display()
            );
        }
    }
    for top in [
        "catalog", "params", "calendar", "category", "ied", "explain",
    ] {
        let text = std::fs::read_to_string(Path::new(SRC).join(format!("{top}.rs"))).unwrap();
        assert!(
            imports(&text).iter().all(|i| !i.starts_with("engine")),
            "{top}.rs imports the engine"
        );
    }
}

#[test]
fn the_engine_modules_import_only_the_layers_before_them() {
    for (level, module) in ENGINE_LAYERS.iter().enumerate() {
        let path = Path::new(SRC).join("engine").join(format!("{module}.rs"));
        let text = std::fs::read_to_string(&path).unwrap();
        for import in imports(&text) {
            let Some(target) = import.strip_prefix("engine::") else {
                continue;
            };
            let target = target.split("::").next().unwrap();
            let at = ENGINE_LAYERS
                .iter()
                .position(|m| *m == target)
                .unwrap_or_else(|| panic!("engine::{target} is not in the layering"));
            assert!(
                at < level,
                "engine::{module} imports engine::{target}, a layer after it"
            );
        }
    }
}

#[test]
fn the_law_modules_import_only_the_layers_before_them() {
    let level = |module: &str| LAW_LAYERS.iter().position(|layer| layer.contains(&module));
    for (at, layer) in LAW_LAYERS.iter().enumerate() {
        for module in *layer {
            let path = Path::new(SRC).join("law").join(format!("{module}.rs"));
            let text = std::fs::read_to_string(&path).unwrap();
            for import in imports(&text) {
                let Some(target) = import.strip_prefix("law::") else {
                    continue;
                };
                // `crate::law::{absences, control, …}`: every name listed counts.
                let names: Vec<&str> = target
                    .trim_start_matches('{')
                    .split([',', ':', '{', '}', ' '])
                    .filter(|n| !n.is_empty())
                    .collect();
                for name in names {
                    if let Some(target_level) = level(name) {
                        assert!(
                            target_level < at,
                            "law::{module} imports law::{name}, which is not in a layer before it"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn no_source_file_is_over_600_lines() {
    for path in sources(Path::new(SRC)) {
        let text = std::fs::read_to_string(&path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or(&text);
        let lines = code.lines().count();
        // Data tables are exempt: params.rs holds the portarias' tables.
        let limit = if path.ends_with("params.rs") {
            650
        } else {
            600
        };
        assert!(lines <= limit, "{} has {lines} lines", path.display());
    }
}
