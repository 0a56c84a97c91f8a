//! The architecture's rules that the compiler alone does not check (ARCHITECTURE.md): the core
//! crate depends on nothing that does the worker's I/O, not even through another crate, and its
//! modules import one another without cycles.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Crates the core must not depend on, directly or through others (issue 15).
const SHELL_ONLY: &[&str] = &[
    "rdkafka",
    "rdkafka-sys",
    "tokio",
    "clap",
    "prometheus",
    "axum",
    "hyper",
    "tracing-subscriber",
];

const CORE: &str = "news-enricher-core";

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn host_triple() -> String {
    let out = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("-vV")
        .output()
        .expect("rustc runs");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .expect("rustc -vV names the host")
}

/// `cargo metadata` for this platform: the resolved dependency graph cargo builds from.
fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--filter-platform",
        ])
        .arg(host_triple())
        .current_dir(workspace_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// Names of every package `root` is built with (normal and build dependencies, transitively;
/// dev-dependencies are the tests' business).
fn built_with(meta: &Value, root: &str) -> BTreeSet<String> {
    let names: BTreeMap<&str, &str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let nodes: BTreeMap<&str, &Value> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let start = names
        .iter()
        .find(|(_, n)| **n == root)
        .map(|(id, _)| *id)
        .unwrap_or_else(|| panic!("{root} is a workspace member"));
    let mut seen = BTreeSet::new();
    let mut todo = vec![start];
    while let Some(id) = todo.pop() {
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let not_dev = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].as_str() != Some("dev"));
            let pkg = dep["pkg"].as_str().unwrap();
            if not_dev && seen.insert(pkg) {
                todo.push(pkg);
            }
        }
    }
    seen.into_iter().map(|id| names[id].to_owned()).collect()
}

#[test]
fn the_core_is_built_without_any_crate_of_the_shell() {
    let meta = metadata();
    let core = built_with(&meta, CORE);
    let leaked: Vec<&&str> = SHELL_ONLY.iter().filter(|c| core.contains(**c)).collect();
    assert!(leaked.is_empty(), "the core depends on {leaked:?}");
    // The check can fail: the worker is built with all of them.
    let worker = built_with(&meta, "news-enricher");
    assert!(worker.contains(CORE));
    for c in ["rdkafka", "tokio", "clap", "prometheus", "axum", "hyper"] {
        assert!(worker.contains(c), "the worker is built with {c}");
    }
}

/// The core's top-level module each of its files belongs to, with the top-level modules it
/// names as `crate::…` in code (comments and `#[cfg(test)]` modules aside).
fn module_imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, files);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_str()
            .unwrap()
            .trim_end_matches(".rs")
            .to_owned();
        if top == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        let deps = graph.entry(top.clone()).or_default();
        for line in code.lines() {
            let line = line.trim_start();
            if line.starts_with("//") {
                continue;
            }
            for (i, _) in line.match_indices("crate::") {
                let name: String = line[i + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != top {
                    deps.insert(name);
                }
            }
        }
    }
    graph
}

/// A cycle of `graph`, if it has one (depth-first search, the path so far on a stack).
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_cores_modules_import_one_another_without_cycles() {
    let graph = module_imports(&workspace_root().join("crates/news-enricher-core/src"));
    assert!(graph.len() >= 10, "read the core's modules: {graph:?}");
    // Stage modules are their work over plain inputs; the pipeline adapts them.
    for stage in ["dedup", "entities", "claims", "stance"] {
        for shared in ["stage", "pipeline"] {
            assert!(
                !graph[stage].contains(shared),
                "`{stage}` imports `{shared}`"
            );
        }
    }
    assert_eq!(
        graph["record"].iter().collect::<Vec<_>>(),
        ["article"],
        "the record imports only the article"
    );
    assert_eq!(find_cycle(&graph), None);
    // The search finds a cycle where there is one.
    let mut with_cycle = graph.clone();
    with_cycle
        .get_mut("record")
        .unwrap()
        .insert("dedup".to_owned());
    assert!(find_cycle(&with_cycle).is_some());
}
