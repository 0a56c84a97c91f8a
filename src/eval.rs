//! The `train` and `eval` commands: the shell around [`crate::entities::conll`],
//! [`crate::stance::newsmtsc`] and [`crate::claims::gold`] that reads files, prints reports and
//! writes model files. Tagging itself is the worker's own code.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;

use crate::claims::gold::{self, Predicted};
use crate::claims::ClaimFinder;
use crate::entities::conll::{self, Report, SCORED};
use crate::entities::model::Model;
use crate::entities::resolve::Extractor;
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

/// Where the claims being scored come from.
pub enum ClaimSource<'p> {
    /// The worker's own entity and claims stages, run on each gold body.
    Worker,
    /// A JSON Lines file of `{"id", "claims": [...], "entities"?: [...]}` (another system's
    /// output, or the worker's enriched records), matched to the gold by id.
    File(&'p Path),
}

/// Scores claims against a hand-annotated gold file and prints the report (`eval claims`).
pub fn eval_claims(
    gold_path: &Path,
    source: ClaimSource<'_>,
    out: &mut dyn Write,
) -> anyhow::Result<gold::Report> {
    let text = std::fs::read_to_string(gold_path)
        .with_context(|| format!("reading {}", gold_path.display()))?;
    let articles = gold::read(&text).with_context(|| format!("parsing {}", gold_path.display()))?;
    let mut report = gold::Report::default();
    let mut timing: Option<(f64, f64)> = None;
    match source {
        ClaimSource::Worker => {
            let tagger = Tagger::bundled()?;
            let finder = ClaimFinder::new(tagger.shared_gazetteer());
            let extractor = Extractor::new(tagger);
            let (mut entity_s, mut claim_s) = (0.0, 0.0);
            for a in &articles {
                let t = Instant::now();
                let entities = extractor.extract(&a.body);
                entity_s += t.elapsed().as_secs_f64();
                let t = Instant::now();
                let claims = finder.claims(&a.body, &entities);
                claim_s += t.elapsed().as_secs_f64();
                let predicted: Vec<Predicted> = claims
                    .iter()
                    .map(|c| {
                        let aliases = entities
                            .iter()
                            .find(|e| {
                                Some(&e.name) == c.speaker.as_ref()
                                    && Some(e.kind) == c.speaker_type
                            })
                            .map(|e| e.mentions.iter().map(|m| m.text.clone()).collect())
                            .unwrap_or_default();
                        Predicted {
                            spans: std::iter::once(&c.content)
                                .chain(&c.content_parts)
                                .map(|s| (s.start, s.end))
                                .collect(),
                            speaker: c.speaker.clone(),
                            aliases,
                            source: c.source.as_ref().map(|s| (s.start, s.end)),
                        }
                    })
                    .collect();
                gold::score_article(&mut report, &a.claims, &predicted);
            }
            timing = Some((entity_s, claim_s));
        }
        ClaimSource::File(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let mut by_id = std::collections::HashMap::new();
            for (n, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                let v: serde_json::Value = serde_json::from_str(line)
                    .with_context(|| format!("{} line {}", path.display(), n + 1))?;
                let id = v["id"].as_str().unwrap_or_default().to_owned();
                by_id.insert(id, predictions_of(&v));
            }
            for a in &articles {
                let predicted = by_id.get(&a.id).cloned().unwrap_or_default();
                gold::score_article(&mut report, &a.claims, &predicted);
            }
        }
    }
    print_claims_report(&report, timing, out)?;
    Ok(report)
}

/// The claims of one line of a predictions file.
fn predictions_of(v: &serde_json::Value) -> Vec<Predicted> {
    let span = |s: &serde_json::Value| -> Option<(usize, usize)> {
        Some((s["start"].as_u64()? as usize, s["end"].as_u64()? as usize))
    };
    let entities = v["entities"].as_array().cloned().unwrap_or_default();
    v["claims"]
        .as_array()
        .map(|claims| {
            claims
                .iter()
                .filter_map(|c| {
                    let mut spans = vec![span(&c["content"])?];
                    if let Some(parts) = c["content_parts"].as_array() {
                        spans.extend(parts.iter().filter_map(span));
                    }
                    let speaker = c["speaker"].as_str().map(str::to_owned);
                    let aliases = entities
                        .iter()
                        .find(|e| e["name"].as_str() == speaker.as_deref() && speaker.is_some())
                        .and_then(|e| e["mentions"].as_array())
                        .map(|ms| {
                            ms.iter()
                                .filter_map(|m| m["text"].as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default();
                    Some(Predicted {
                        spans,
                        speaker,
                        aliases,
                        source: span(&c["source"]),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Prints content precision, recall and F1, speaker accuracy overall, by kind and for named
/// sources, and speed.
pub fn print_claims_report(
    r: &gold::Report,
    timing: Option<(f64, f64)>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{} articles: {} gold claims, {} predicted, {} matched (content overlap)",
        r.articles, r.overall.gold, r.predicted, r.overall.matched
    )?;
    writeln!(
        out,
        "content   precision {:.4}  recall {:.4}  f1 {:.4}",
        r.precision(),
        r.recall(),
        r.f1()
    )?;
    writeln!(
        out,
        "speaker accuracy on matched claims {:.4} ({}/{})",
        r.overall.speaker_accuracy(),
        r.overall.speaker_right,
        r.overall.matched
    )?;
    writeln!(
        out,
        "speaker precision (matched claims naming a speaker) {:.4} ({}/{})",
        r.speaker_precision(),
        r.named_predictions_right,
        r.named_predictions
    )?;
    writeln!(
        out,
        "source-span precision (matched claims with a source) {:.4} ({}/{})",
        r.source_precision(),
        r.sourced_right,
        r.sourced
    )?;
    writeln!(out, "kind          gold  matched  recall  speaker-accuracy")?;
    let kinds = ["direct_quote", "indirect", "reported", "post"];
    let rows = kinds
        .iter()
        .zip(&r.by_kind)
        .chain([(&"named source", &r.named)]);
    for (name, c) in rows {
        writeln!(
            out,
            "{:<13} {:<5} {:<8} {:<7.4} {:.4}",
            name,
            c.gold,
            c.matched,
            c.recall(),
            c.speaker_accuracy()
        )?;
    }
    let n = &r.named_only;
    writeln!(
        out,
        "named speakers only (both sides): precision {:.4}  recall {:.4}  f1 {:.4}  speaker accuracy {:.4} ({}/{})",
        n.precision(),
        n.recall(),
        n.f1(),
        n.speaker_accuracy(),
        n.speaker_right,
        n.matched
    )?;
    if let Some((entities, claims)) = timing {
        writeln!(
            out,
            "{} articles: claims stage {:.0} articles/s; entities + claims {:.0} articles/s",
            r.articles,
            r.articles as f64 / claims.max(1e-9),
            r.articles as f64 / (entities + claims).max(1e-9)
        )?;
    }
    Ok(())
}
