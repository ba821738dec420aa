//! The layers of `src/` point one way (docs/ARCHITECTURE.md): domain ← core (with config and
//! telemetry) ← store ← auth ← http ← app. A module may use its own layer and the layers below
//! it, never one above: this test reads every source file and fails on an upward `crate::` path,
//! naming the file and line.

use std::path::{Path, PathBuf};

/// The layer of each top-level module of `src/`, lowest first.
const LAYERS: &[(&str, u8)] = &[
    ("domain", 0),
    ("config", 1),
    ("telemetry", 1),
    ("core", 1),
    ("store", 2),
    ("auth", 3),
    ("http", 4),
    ("app", 5),
    ("seed", 5),
    ("cli", 5),
    ("copy_db", 5),
    ("main", 5),
    ("lib", 5),
];

fn layer_of(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(name, _)| *name == module).map(|(_, rank)| *rank)
}

/// The top-level module a file of `src/` belongs to: `src/store/events.rs` → `store`.
fn module_of(relative: &Path) -> String {
    let first = relative.components().next().expect("a path under src");
    let name = first.as_os_str().to_string_lossy();
    name.strip_suffix(".rs").unwrap_or(&name).to_owned()
}

/// The code of a file without its comments (doc comments name other modules in prose).
fn code_of(source: &str) -> String {
    source
        .lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a piece of code names through `crate::`, with the line of each:
/// `crate::store::x`, and each root of a group `crate::{store::x, auth::{y, z}}`.
fn crate_paths(code: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (index, line) in code.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            let preceded = rest[..at].chars().next_back();
            rest = &rest[at + "crate::".len()..];
            if preceded.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // `cress_api::…` or another identifier ending in `crate`
            }
            if let Some(group) = rest.strip_prefix('{') {
                // The roots of a group: the names at its first level of nesting, which may span lines.
                let after = code.lines().skip(index).collect::<Vec<_>>().join("\n");
                let start = after.find("crate::{").map_or(0, |p| p + "crate::{".len());
                let mut depth = 0usize;
                let mut root = String::new();
                let mut expecting = true;
                for c in after[start..].chars() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => expecting = true,
                        c if depth == 0 && expecting && (c.is_alphanumeric() || c == '_') => root.push(c),
                        _ if depth == 0 && !root.is_empty() => {
                            found.push((index + 1, std::mem::take(&mut root)));
                            expecting = false;
                        }
                        _ => {}
                    }
                }
                if !root.is_empty() {
                    found.push((index + 1, root));
                }
                rest = group;
            } else {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    found.push((index + 1, name));
                }
            }
        }
    }
    found
}

/// Every upward use in one file, as `file:line: layer → higher layer`.
fn upward_uses(relative: &Path, source: &str) -> Vec<String> {
    let module = module_of(relative);
    let Some(own) = layer_of(&module) else {
        return vec![format!(
            "{}: the module {module} has no layer in tests/layers.rs",
            relative.display()
        )];
    };
    crate_paths(&code_of(source))
        .into_iter()
        .filter_map(|(line, used)| {
            let rank = layer_of(&used)?;
            (rank > own).then(|| {
                format!(
                    "src/{}:{line}: {module} uses {used}, a higher layer",
                    relative.display()
                )
            })
        })
        .collect()
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn no_module_of_src_uses_a_higher_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.len() > 20,
        "found only {} files under {}",
        files.len(),
        src.display()
    );
    let mut violations = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).expect("a readable source file");
        violations.extend(upward_uses(file.strip_prefix(&src).expect("under src"), &source));
    }
    assert!(violations.is_empty(), "upward imports:\n{}", violations.join("\n"));
}

#[test]
fn the_check_finds_upward_paths_in_use_lines_groups_and_expressions() {
    let store = Path::new("store/events.rs");
    assert_eq!(
        upward_uses(store, "use crate::domain::event::Event;\nuse crate::core::Actor;"),
        Vec::<String>::new()
    );
    assert_eq!(
        upward_uses(store, "use crate::http::error::ApiError;"),
        ["src/store/events.rs:1: store uses http, a higher layer"]
    );
    assert_eq!(
        upward_uses(store, "use crate::{\n    core::Actor,\n    auth::{policy, Caller},\n};"),
        ["src/store/events.rs:1: store uses auth, a higher layer"]
    );
    assert_eq!(
        upward_uses(Path::new("auth/caller.rs"), "fn f() { let s = crate::app::serve; }"),
        ["src/auth/caller.rs:1: auth uses app, a higher layer"]
    );
    assert_eq!(
        upward_uses(store, "// see crate::http::import\nlet x = cress_api::http::x;"),
        Vec::<String>::new()
    );
    assert_eq!(
        upward_uses(Path::new("http/events.rs"), "use crate::store::Store;"),
        Vec::<String>::new()
    );
}
