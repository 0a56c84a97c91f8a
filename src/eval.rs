//! The `train` and `eval` commands: the shell around [`crate::entities::conll`] and
//! [`crate::stance::newsmtsc`] that reads
//! files, prints reports and writes model files. Tagging itself is the worker's own code.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;

use crate::entities::conll::{self, Report, SCORED};
use crate::entities::model::Model;
use crate::entities::Tagger;
use crate::stance::newsmtsc;
use crate::stance::polarity::{Model as StanceModel, TrainSettings};
use crate::stance::TargetScorer;

fn read_conll(path: &Path) -> anyhow::Result<Vec<conll::Sentence>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    conll::read(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Writes a trained model and logs what it was trained on.
fn save_model(
    out: &Path,
    bytes: &[u8],
    trained_on: &str,
    started: Instant,
    features: usize,
    log: &mut dyn Write,
) -> anyhow::Result<()> {
    writeln!(
        log,
        "trained on {trained_on} in {:.1} s; {features} features, {} bytes",
        started.elapsed().as_secs_f64(),
        bytes.len()
    )?;
    std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))
}

/// Trains the NER model on a CoNLL file and writes it to `out`; with `dev`, prints its score
/// after training.
pub fn train_ner(
    train: &Path,
    dev: Option<&Path>,
    out: &Path,
    epochs: usize,
    prune: f32,
    log: &mut dyn Write,
) -> anyhow::Result<()> {
    let sentences = read_conll(train)?;
    let started = Instant::now();
    let scaffold = Tagger::with_model(Model::from_bytes(&Model::empty_bytes())?);
    let model = conll::train(&scaffold, &sentences, epochs, 0x5eed, |epoch, errors| {
        let _ = writeln!(log, "epoch {epoch}: {errors} token errors");
    });
    let bytes = model.to_bytes(prune);
    let what = format!("{} sentences", sentences.len());
    save_model(out, &bytes, &what, started, model.features(), log)?;
    if let Some(dev) = dev {
        let tagger = Tagger::with_model(Model::from_bytes(&bytes)?);
        let report = conll::evaluate(&tagger, &read_conll(dev)?);
        print_report(&report, log)?;
    }
    Ok(())
}

/// Scores the bundled tagger (or `model`) on a CoNLL file.
pub fn eval_ner(file: &Path, model: Option<&Path>, out: &mut dyn Write) -> anyhow::Result<Report> {
    let tagger = match model {
        Some(p) => Tagger::with_model(Model::from_bytes(
            &std::fs::read(p).with_context(|| format!("reading {}", p.display()))?,
        )?),
        None => Tagger::bundled()?,
    };
    let report = conll::evaluate(&tagger, &read_conll(file)?);
    print_report(&report, out)?;
    Ok(report)
}

/// Prints entity-level precision, recall and F1 per type and overall, and speed.
pub fn print_report(r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "type      precision  recall  f1      predicted  gold")?;
    let rows = SCORED
        .iter()
        .map(|t| t.conll())
        .zip(&r.by_type)
        .chain([("overall", &r.overall)]);
    for (name, c) in rows {
        writeln!(
            out,
            "{:<9} {:<10.4} {:<7.4} {:<7.4} {:<10} {}",
            name,
            c.precision(),
            c.recall(),
            c.f1(),
            c.predicted,
            c.gold
        )?;
    }
    writeln!(
        out,
        "{} sentences, {} tokens in {:.3} s: {:.0} tokens/s (MISC/NORP not scored)",
        r.sentences,
        r.tokens,
        r.seconds,
        r.tokens as f64 / r.seconds.max(1e-9)
    )
}

fn read_newsmtsc(path: &Path, all_targets: bool) -> anyhow::Result<Vec<newsmtsc::Item>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    newsmtsc::read(&text, all_targets).with_context(|| format!("parsing {}", path.display()))
}

/// Fits the stance polarity model on NewsMTSC (every target of every sentence) and writes it to
/// `out`; with `dev`, prints its score.
pub fn train_stance(
    train: &Path,
    dev: Option<&Path>,
    out: &Path,
    settings: TrainSettings,
    log: &mut dyn Write,
) -> anyhow::Result<()> {
    let items = read_newsmtsc(train, true)?;
    let started = Instant::now();
    let scaffold = TargetScorer::with_model(StanceModel::default());
    let model = newsmtsc::train(&scaffold, &items, settings);
    let bytes = model.to_bytes(0.0);
    let what = format!("{} targets", items.len());
    save_model(out, &bytes, &what, started, model.features(), log)?;
    if let Some(dev) = dev {
        let scorer = TargetScorer::with_model(StanceModel::from_bytes(&bytes)?);
        print_stance_report(
            &newsmtsc::evaluate(&scorer, &read_newsmtsc(dev, false)?),
            log,
        )?;
    }
    Ok(())
}

/// Scores the bundled stance model (or `model`) on NewsMTSC, primary targets only.
pub fn eval_stance(
    file: &Path,
    model: Option<&Path>,
    out: &mut dyn Write,
) -> anyhow::Result<newsmtsc::Report> {
    let scorer = match model {
        Some(p) => TargetScorer::with_model(StanceModel::from_bytes(
            &std::fs::read(p).with_context(|| format!("reading {}", p.display()))?,
        )?),
        None => TargetScorer::bundled()?,
    };
    let report = newsmtsc::evaluate(&scorer, &read_newsmtsc(file, false)?);
    print_stance_report(&report, out)?;
    Ok(report)
}

/// Prints accuracy, per-class precision/recall/F1, macro-F1, the majority baseline and speed.
pub fn print_stance_report(r: &newsmtsc::Report, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "class     precision  recall  f1      support")?;
    for (name, c) in ["oppose", "neutral", "support"].iter().zip(&r.by_class) {
        writeln!(
            out,
            "{:<9} {:<10.4} {:<7.4} {:<7.4} {}",
            name, c.precision, c.recall, c.f1, c.support
        )?;
    }
    writeln!(out, "accuracy  {:.4}", r.accuracy)?;
    writeln!(out, "macro-f1  {:.4}", r.macro_f1)?;
    writeln!(
        out,
        "majority-class baseline macro-f1 {:.4}",
        r.majority_macro_f1
    )?;
    writeln!(
        out,
        "{} sentences in {:.3} s: {:.0} sentences/s",
        r.sentences,
        r.seconds,
        r.sentences as f64 / r.seconds.max(1e-9)
    )
}
