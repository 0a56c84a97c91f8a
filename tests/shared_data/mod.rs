//! The labelled data in `../shared/data` that some tests measure against, and running the
//! binary's `eval` commands on it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// `../shared/data/<dir>/<name>`, or `None` (with a note) on a developer checkout without it.
/// CI always has the shared data, so there a missing file fails the test instead.
pub fn file(dir: &str, name: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(dir)
        .join(name);
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing on CI",
        p.display()
    );
    eprintln!("skipping: {} not present", p.display());
    None
}

/// The `text` column of `../shared/data/bbc-news/<split>.csv`, or `None` as [`file`] says.
pub fn bbc_texts(split: &str) -> Option<Vec<String>> {
    let path = file("bbc-news", &format!("{split}.csv"))?;
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let col = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "text")
        .expect("a `text` column");
    Some(
        reader
            .records()
            .map(|row| row.unwrap()[col].to_owned())
            .collect(),
    )
}

/// Runs `news-enricher eval <what> --<flag> <file>` and returns its report (stdout).
pub fn eval(what: &str, flag: &str, file: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_news-enricher"))
        .args(["eval", what, flag])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    eprintln!("{text}");
    text
}
