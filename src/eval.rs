//! The `train` and `eval` commands: the shell around [`crate::entities::conll`] that reads
//! files, prints reports and writes model files. Tagging itself is the worker's own code.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;

use crate::entities::conll::{self, Report, SCORED};
use crate::entities::model::Model;
use crate::entities::Tagger;

fn read_conll(path: &Path) -> anyhow::Result<Vec<conll::Sentence>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    conll::read(&text).with_context(|| format!("parsing {}", path.display()))
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
    writeln!(
        log,
        "trained on {} sentences in {:.1} s; {} features, {} bytes",
        sentences.len(),
        started.elapsed().as_secs_f64(),
        model.features(),
        bytes.len()
    )?;
    std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
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
