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
