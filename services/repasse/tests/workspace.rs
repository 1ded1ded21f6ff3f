//! The workspace as a newcomer finds it: every dependency a crate declares is used by it, and the
//! toolchain is pinned to the version the workspace declares.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The dependency names of one `[section]` of a Cargo.toml.
fn section(manifest: &str, name: &str) -> Vec<String> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == format!("[{name}]");
            continue;
        }
        if inside
            && let Some((dep, _)) = line.split_once(['.', ' ', '='])
            && !dep.is_empty()
            && !dep.starts_with('#')
        {
            out.push(dep.to_owned());
        }
    }
    out
}

fn sources(dir: &Path, out: &mut String) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
}

#[test]
fn every_declared_dependency_is_used_by_its_crate() {
    let workspace = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let members: Vec<String> = workspace
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix('"')?
                .strip_suffix("\",")
                .map(str::to_owned)
        })
        .collect();
    assert!(members.len() >= 8, "{members:?}");
    let mut declared_anywhere = Vec::new();
    for member in &members {
        let dir = root().join(member);
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let mut code = String::new();
        for sub in ["src", "tests", "examples", "benches", "build.rs"] {
            sources(&dir.join(sub), &mut code);
        }
        for (kind, deps) in [
            ("dependencies", section(&manifest, "dependencies")),
            ("dev-dependencies", section(&manifest, "dev-dependencies")),
        ] {
            for dep in deps {
                let crate_name = dep.replace('-', "_");
                let used = code.contains(&format!("{crate_name}::"))
                    || code.contains(&format!("use {crate_name}"))
                    || code.contains(&format!("{crate_name}!"));
                assert!(used, "{member}: {kind} declares {dep}, which it never uses");
                declared_anywhere.push(dep);
            }
        }
    }
    for dep in section(&workspace, "workspace.dependencies") {
        assert!(
            declared_anywhere.contains(&dep),
            "the workspace declares {dep}, which no crate uses"
        );
    }
}

#[test]
fn the_toolchain_is_pinned_to_the_declared_rust_version() {
    let workspace = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let declared = workspace
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("rust-version in the workspace");
    let pinned = std::fs::read_to_string(root().join("rust-toolchain.toml")).unwrap();
    let channel = pinned
        .lines()
        .find_map(|l| l.strip_prefix("channel = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("a channel in rust-toolchain.toml");
    assert!(
        channel.starts_with(declared),
        "rust-toolchain.toml pins {channel}, the workspace declares {declared}"
    );
    assert!(pinned.contains("clippy") && pinned.contains("rustfmt"));
}

/// Every source file of the workspace outside `tests/` and `target/`, with its text before `#[cfg(test)]`.
fn code_files() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !["target", "tests", ".git"].contains(&name.as_str()) {
                    walk(&path, out);
                }
            } else if name.ends_with(".rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let code = text
                    .split("#[cfg(test)]")
                    .next()
                    .unwrap_or(&text)
                    .to_owned();
                out.push((path, code));
            }
        }
    }
    let mut out = Vec::new();
    for top in ["proto", "services"] {
        walk(&root().join(top), &mut out);
    }
    out
}

/// Data tables are exempt: the portarias' compiled-in parameters.
const DATA_TABLES: &[&str] = &["services/rules/src/params.rs"];

#[test]
fn no_source_file_over_600_lines_and_no_function_over_100_outside_tests_and_data_tables() {
    let files = code_files();
    assert!(files.len() > 50, "{} files", files.len());
    for (path, code) in files {
        let shown = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .display()
            .to_string();
        let shown = shown.trim_start_matches("./").to_owned();
        if DATA_TABLES.iter().any(|t| shown.ends_with(t)) {
            continue;
        }
        let lines: Vec<&str> = code.lines().collect();
        assert!(lines.len() <= 600, "{shown} has {} lines", lines.len());
        // A function runs from its `fn` line to the closing brace at the same indentation.
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            let is_fn = [
                "fn ",
                "pub fn ",
                "pub(crate) fn ",
                "async fn ",
                "pub async fn ",
            ]
            .iter()
            .any(|p| trimmed.starts_with(p));
            if !is_fn || trimmed.ends_with(';') {
                continue;
            }
            let indent = &line[..line.len() - trimmed.len()];
            let close = format!("{indent}}}");
            if let Some(end) = lines[i + 1..].iter().position(|l| *l == close) {
                assert!(end < 100, "{shown}:{} is a function of {end} lines", i + 1);
            }
        }
    }
}
