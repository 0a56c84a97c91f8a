//! `news-enricher enrich`: the pipeline over files, no Kafka.
//!
//! A file whose first non-blank character is `{` is JSON Lines (one article per line); any
//! other file is one plain-text article; `-` is standard input. Records go to the output writer
//! one per line; bad input is reported as `file:line: reason: detail` and processing goes on.

use std::io::{Read, Write};
use std::path::Path;

use chrono::Utc;
use indicatif::{ProgressBar, ProgressState, ProgressStyle};

use news_enricher_core::enrich::{Enricher, Outcome};
use news_enricher_core::message::RawMessage;
use news_enricher_core::stage::Reading;

/// Totals of an offline run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OfflineSummary {
    /// Records written.
    pub enriched: u64,
    /// Exact or near duplicates found (written or, with the drop policy, not).
    pub duplicates: u64,
    /// Messages that could not be enriched.
    pub failed: u64,
    /// Inputs that could not be read at all.
    pub unreadable: u64,
}

/// One named input: a path, or `-` for stdin.
pub struct Input {
    /// Display name (`-` shows as `<stdin>`).
    pub name: String,
    /// Whole content.
    pub bytes: Vec<u8>,
}

/// Reads an input by name; `-` is stdin.
pub fn read_input(name: &str) -> std::io::Result<Input> {
    let bytes = if name == "-" {
        let mut buf = Vec::new();
        std::io::stdin().lock().read_to_end(&mut buf)?;
        buf
    } else {
        std::fs::read(Path::new(name))?
    };
    let name = if name == "-" {
        "<stdin>".into()
    } else {
        name.to_owned()
    };
    Ok(Input { name, bytes })
}

/// Splits an input into messages, each with its file and line.
pub fn messages(input: &Input) -> Vec<RawMessage> {
    let first = input.bytes.iter().find(|b| !b.is_ascii_whitespace());
    let message = |line: u64, payload: &[u8]| RawMessage {
        file: Some(input.name.clone()),
        line: Some(line),
        payload: Some(payload.to_vec()),
        ..RawMessage::default()
    };
    if first == Some(&b'{') {
        input
            .bytes
            .split(|&b| b == b'\n')
            .enumerate()
            .filter(|(_, l)| l.iter().any(|b| !b.is_ascii_whitespace()))
            .map(|(i, l)| message(i as u64 + 1, l))
            .collect()
    } else {
        vec![message(1, &input.bytes)]
    }
}

/// Enriches `names` in order, writing records to `out` and problems to `err`.
pub fn run(
    names: &[String],
    enricher: &Enricher,
    out: &mut impl Write,
    err: &mut impl Write,
    progress: bool,
) -> std::io::Result<OfflineSummary> {
    let mut summary = OfflineSummary::default();
    let mut batches = Vec::new();
    for name in names {
        match read_input(name) {
            Ok(input) => batches.push(messages(&input)),
            Err(e) => {
                writeln!(err, "{name}: cannot read: {e}")?;
                summary.unreadable += 1;
            }
        }
    }
    let total: usize = batches.iter().map(Vec::len).sum();
    let bar = if progress && total >= 200 {
        ProgressBar::new(total as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} articles {rate} eta {eta}")
            .map(|style| {
                // indicatif's own `{per_sec}` prints four decimals ("1,671.8408/s").
                style.with_key(
                    "rate",
                    |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{}", articles_per_second(state.per_sec()));
                    },
                )
            })
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut reading = Reading::default();
    for msg in batches.iter().flatten() {
        match enricher.enrich_with(msg, Utc::now(), &mut reading, &mut |_, _| {}) {
            Outcome::Enriched(o) => {
                if o.publish {
                    out.write_all(&o.value)?;
                    out.write_all(b"\n")?;
                    summary.enriched += 1;
                }
                if o.dedup_status.is_duplicate() {
                    summary.duplicates += 1;
                }
            }
            Outcome::DeadLetter(dl) => {
                bar.suspend(|| {
                    writeln!(
                        err,
                        "{}:{}: {}: {}",
                        msg.file.as_deref().unwrap_or("?"),
                        msg.line.unwrap_or(0),
                        dl.reason,
                        dl.detail
                    )
                })?;
                summary.failed += 1;
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    out.flush()?;
    Ok(summary)
}

/// A rate as a person reads it: whole articles per second with thousands separators.
fn articles_per_second(rate: f64) -> String {
    format!("{}/s", indicatif::HumanCount(rate.max(0.0).round() as u64))
}

#[cfg(test)]
mod tests {
    use super::articles_per_second;

    #[test]
    fn the_progress_rate_is_whole_articles_with_separators() {
        assert_eq!(articles_per_second(1671.8408), "1,672/s");
        assert_eq!(articles_per_second(999.4), "999/s");
        assert_eq!(articles_per_second(1_234_567.0), "1,234,567/s");
        assert_eq!(articles_per_second(0.2), "0/s");
    }
}
