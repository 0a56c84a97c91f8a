//! Memory per remembered article in the dedup window, measured as resident set size.
//!
//! `cargo bench --bench dedup_memory` measures 1 M and 10 M entries (10 M only when at least
//! 12 GB are available), each in a fresh child process (this binary re-executed with
//! `--child N`), so one size's allocator state does not leak into the next. Under `cargo test`
//! (no `--bench` argument) it measures 10,000 entries only.
//!
//! Each child builds a [`DedupIndex`] with room for N entries and a horizon that evicts nothing,
//! then remembers N synthetic [`IndexEntry`]s shaped like the worker's: random MinHash
//! signatures, 32-hex-digit ids, a text key and a URL key each, event times spread over 7 days,
//! and about one in five a near-copy of an earlier entry (a `near_duplicate` verdict whose
//! `duplicate_of` and `cluster_id` point at it). It reports (VmRSS after − VmRSS before) / N,
//! which includes the band table allocated for N entries, and how often a J = 0.8 copy of one of
//! the oldest and of the newest tenth of the entries is still found (the band table is lossy;
//! see `news_enricher_core::dedup::index`).

mod common;
use common::synthetic_index::{entry, head_of, head_signature, id_of};
use common::{near_signature, Rng};
use std::process::Command;
use std::time::Instant;

use news_enricher_core::dedup::entry::{IndexEntry, Probe, Verdict};
use news_enricher_core::dedup::index::{DedupIndex, IndexConfig};
use news_enricher_core::dedup::minhash::Signature;
use news_enricher_core::record::DedupStatus;

const TARGET_BYTES: f64 = 64.0;
const NEED_FOR_10M_KB: u64 = 12 * 1024 * 1024;

fn proc_status_kb(field: &str) -> u64 {
    read_kb("/proc/self/status", field)
}

fn read_kb(path: &str, field: &str) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn child(n: u64) {
    let start_time = 1_700_000_000;
    let mut index = DedupIndex::new(IndexConfig {
        max_entries: n as usize,
        horizon_secs: 10 * 365 * 86_400,
        ..IndexConfig::default()
    });
    let before = proc_status_kb("VmRSS:");
    let t0 = Instant::now();
    let mut added = 0u64;
    for k in 0..n {
        added += u64::from(index.remember(&entry(k, n, start_time)));
    }
    let secs = t0.elapsed().as_secs_f64();
    let after = proc_status_kb("VmRSS:");
    let peak = proc_status_kb("VmHWM:");
    // Sanity: a near-copy is found, an unrelated probe is not.
    let check = |sig: &Signature| {
        index.check(&Probe {
            id: "probe",
            origin: 0,
            event_time: start_time,
            text_key: 0,
            url_key: None,
            signature: sig,
            shingles: None,
        })
    };
    let found = check(&entry(n - 1, n, start_time).signature).status != DedupStatus::Unique;
    let fresh = check(&head_signature(u64::MAX / 3)).status == DedupStatus::Unique;
    // What the lossy band table still finds: copies at J = 0.8 (band keys drawn from the model,
    // signature bits left equal so the estimate always passes) of articles among the oldest and
    // the newest tenth of the window. Only candidate retrieval is measured here.
    let retrieved = |from: u64, to: u64| {
        let mut rng = Rng::new(from ^ 0x5EED);
        let (mut tried, mut hit) = (0u32, 0u32);
        let step = ((to - from) / 4_000).max(1);
        for k in (from..to).step_by(step as usize) {
            if head_of(k).is_some() {
                continue;
            }
            let head = head_signature(k);
            let mut sig = near_signature(&head, 0.8, &mut rng);
            sig.bits = head.bits;
            tried += 1;
            hit += u32::from(check(&sig).cluster_id == id_of(k));
        }
        f64::from(hit) / f64::from(tried.max(1))
    };
    let (oldest, newest) = (retrieved(0, n / 10), retrieved(n - n / 10, n));
    println!(
        "RESULT n={n} added={added} len={} before_kb={before} after_kb={after} peak_kb={peak} secs={secs:.2} sane={} oldest={oldest:.4} newest={newest:.4}",
        index.len(),
        found && fresh
    );
    drop(index);
}

struct Measured {
    n: u64,
    added: u64,
    before_kb: u64,
    after_kb: u64,
    peak_kb: u64,
    secs: f64,
    sane: bool,
    oldest: f64,
    newest: f64,
}

fn parse_result(out: &str) -> Option<Measured> {
    let line = out.lines().find(|l| l.starts_with("RESULT "))?;
    let field = |name: &str| -> Option<&str> {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
    };
    Some(Measured {
        n: field("n")?.parse().ok()?,
        added: field("added")?.parse().ok()?,
        before_kb: field("before_kb")?.parse().ok()?,
        after_kb: field("after_kb")?.parse().ok()?,
        peak_kb: field("peak_kb")?.parse().ok()?,
        secs: field("secs")?.parse().ok()?,
        sane: field("sane")? == "true",
        oldest: field("oldest")?.parse().ok()?,
        newest: field("newest")?.parse().ok()?,
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--child") {
        let n: u64 = args
            .get(pos + 1)
            .and_then(|v| v.parse().ok())
            .expect("--child N");
        child(n);
        return;
    }
    let full = args.iter().any(|a| a == "--bench");
    let started = Instant::now();
    println!("== dedup window memory (RSS per remembered entry) ==");
    println!(
        "size_of: IndexEntry {} B (published form; the in-memory form is private), Verdict {} B, Signature {} B (of which {} B are kept in memory)",
        std::mem::size_of::<IndexEntry>(),
        std::mem::size_of::<Verdict>(),
        std::mem::size_of::<Signature>(),
        std::mem::size_of::<news_enricher_core::dedup::minhash::SignatureBits>(),
    );
    let sizes: &[u64] = if full {
        &[1_000_000, 10_000_000]
    } else {
        &[10_000]
    };
    let exe = std::env::current_exe().expect("current exe");
    let mut rows = Vec::new();
    for &n in sizes {
        if n >= 10_000_000 {
            let avail = read_kb("/proc/meminfo", "MemAvailable:");
            if avail < NEED_FOR_10M_KB {
                println!(
                    "skipping {n} entries: {:.1} GB available, need 12 GB",
                    avail as f64 / 1024.0 / 1024.0
                );
                continue;
            }
        }
        let out = Command::new(&exe)
            .arg("--child")
            .arg(n.to_string())
            .output()
            .expect("run child");
        let stdout = String::from_utf8_lossy(&out.stdout);
        match parse_result(&stdout) {
            Some(m) if out.status.success() => rows.push(m),
            _ => println!(
                "child for {n} entries failed ({}): {}{}",
                out.status,
                stdout,
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }
    println!(
        "{:>12} {:>12} {:>12} {:>12} {:>12} {:>10} {:>9} {:>6} {:>14}",
        "entries",
        "RSS before",
        "RSS after",
        "peak RSS",
        "bytes/entry",
        "vs 64 B",
        "build s",
        "sane",
        "J=.8 old/new"
    );
    for m in &rows {
        let per = (m.after_kb.saturating_sub(m.before_kb) * 1024) as f64 / m.n as f64;
        println!(
            "{:>12} {:>9} MB {:>9} MB {:>9} MB {:>12.0} {:>9.1}x {:>9.1} {:>6} {:>6.3}/{:.3}",
            m.n,
            m.before_kb / 1024,
            m.after_kb / 1024,
            m.peak_kb / 1024,
            per,
            per / TARGET_BYTES,
            m.secs,
            m.sane,
            m.oldest,
            m.newest
        );
        if m.added != m.n {
            println!(
                "  warning: only {} of {} entries were remembered",
                m.added, m.n
            );
        }
    }
    println!("target: {TARGET_BYTES} bytes per entry; J=.8 old/new: share of J = 0.8 copies of the oldest / newest tenth of the entries that are found");
    println!(
        "dedup_memory: done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
