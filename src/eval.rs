//! The `train` and `eval` commands: the shell around [`news_enricher_core::entities::conll`],
//! [`news_enricher_core::stance::newsmtsc`] and [`news_enricher_core::claims::gold`] that reads files, prints reports and
//! writes model files. Tagging itself is the worker's own code.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;

use news_enricher_core::claims::gold::{self, Predicted};
use news_enricher_core::claims::ClaimFinder;
use news_enricher_core::entities::conll::{self, Report, SCORED};
use news_enricher_core::entities::model::Model;
use news_enricher_core::entities::resolve::Extractor;
use news_enricher_core::entities::Tagger;
use news_enricher_core::stance::gold::{self as stance_gold, PredictedStance, StanceReport};
use news_enricher_core::stance::polarity::{Model as StanceModel, TrainSettings};
use news_enricher_core::stance::TargetScorer;
use news_enricher_core::stance::{newsmtsc, verdict};

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

/// What the stage knows of a training pair besides its features: its article, what the rules
/// read, and which decisive words would let the model decide it alone.
struct PairFacts {
    article: usize,
    rules: Option<(
        news_enricher_core::record::StanceRule,
        news_enricher_core::record::StanceLabel,
    )>,
    argument: bool,
    judging: Vec<usize>,
}

/// The verdict model's training pairs from annotated articles: every candidate pair of the
/// worker's own claims (entities and claims as the worker finds them), labelled by the
/// annotated claim it overlaps most whose speaker agrees; pairs of claims with no such
/// annotated claim are left out. Returns the pairs and what else the stage knows of each.
fn verdict_examples(
    articles: &[gold::GoldArticle],
    log: &mut dyn Write,
) -> anyhow::Result<(Vec<verdict::Example>, Vec<PairFacts>)> {
    let tagger = Tagger::bundled()?;
    let gazetteer = tagger.shared_gazetteer();
    let canon = |name: &str| -> String {
        let bare = name.strip_prefix("the ").unwrap_or(name);
        gazetteer.organisation(bare).unwrap_or(name).to_owned()
    };
    let finder = ClaimFinder::new(tagger.shared_gazetteer());
    let extractor = Extractor::new(tagger);
    let scorer = TargetScorer::bundled()?;
    let mut examples = Vec::new();
    let mut from = Vec::new();
    let mut counts = [0usize; 4];
    for (ai, a) in articles.iter().enumerate() {
        let entities = extractor.extract(&a.body);
        let claims = finder.claims(&a.body, &entities);
        let doc = scorer.doc(&a.body, &entities);
        for c in news_enricher_core::stance::candidates(&doc, &claims, &scorer) {
            let claim = &claims[c.claim];
            let speaker = &entities[c.speaker];
            let spans = |s: &news_enricher_core::record::Span| (s.start, s.end);
            let mine: Vec<(usize, usize)> = std::iter::once(&claim.content)
                .chain(&claim.content_parts)
                .map(spans)
                .collect();
            let overlap = |g: &gold::GoldClaim| -> usize {
                std::iter::once(&g.content)
                    .chain(&g.content_parts)
                    .flat_map(|gs| {
                        mine.iter()
                            .map(move |&(s, e)| e.min(gs.end).saturating_sub(s.max(gs.start)))
                    })
                    .sum()
            };
            let annotated = a
                .claims
                .iter()
                .filter(|g| {
                    g.speaker
                        .as_deref()
                        .is_some_and(|s| gold::names_agree(&canon(s), &canon(&speaker.name)))
                })
                .map(|g| (overlap(g), g))
                .filter(|&(o, _)| o > 0)
                .max_by_key(|&(o, _)| o)
                .map(|(_, g)| g);
            let Some(annotated) = annotated else {
                continue;
            };
            let target = &doc.entities[c.target.entity];
            let aliases: Vec<String> = target.mentions.iter().map(|m| canon(&m.text)).collect();
            let verdict = annotated
                .stances
                .iter()
                .filter(|s| stance_gold::agree(&canon(&s.target), &canon(&target.name), &aliases))
                .map(|s| verdict::Verdict::of(s.label))
                // A side marked beside a neutral mention of the same target is the claim's.
                .max_by_key(|v| v.index())
                .unwrap_or(verdict::Verdict::None);
            counts[verdict.index()] += 1;
            let judging = c
                .clause
                .clone()
                .filter(|k| {
                    !c.target.mention.contains(k)
                        && news_enricher_core::stance::decide::may_judge(&doc, *k)
                })
                .collect();
            from.push(PairFacts {
                article: ai,
                rules: c.decision.as_ref().map(|d| (d.rule, d.label)),
                argument: c.role != news_enricher_core::record::TargetRole::Other,
                judging,
            });
            examples.push(verdict::Example {
                features: c.features,
                verdict,
            });
        }
    }
    writeln!(
        log,
        "{} pairs from {} articles: {} none, {} neutral, {} support, {} oppose",
        examples.len(),
        articles.len(),
        counts[0],
        counts[1],
        counts[2],
        counts[3]
    )?;
    Ok((examples, from))
}

/// One held-out pair in cross-validation: its annotated verdict, the rules' verdict, the
/// model's verdict with its probability, and what the stage would publish.
struct Held {
    annotated: verdict::Verdict,
    rules: verdict::Verdict,
    model: (verdict::Verdict, f32),
    published: verdict::Verdict,
}

/// Prints the verdict model's cross-validated scores over (claim, target) pairs, folds by
/// article: the rules alone, the model alone at several probabilities, and the two as the
/// stage publishes them.
fn cross_validate(
    examples: &[verdict::Example],
    from: &[PairFacts],
    folds: usize,
    settings: TrainSettings,
    log: &mut dyn Write,
) -> anyhow::Result<()> {
    use verdict::Verdict;
    let mut held: Vec<Held> = Vec::new();
    // Published stances by the rule that decided (`None`: the model's own): right, predicted.
    let mut by_rule: Vec<(Option<news_enricher_core::record::StanceRule>, usize, usize)> =
        Vec::new();
    for fold in 0..folds {
        let fit: Vec<verdict::Example> = (0..examples.len())
            .filter(|&k| from[k].article % folds != fold)
            .map(|k| verdict::Example {
                features: examples[k].features.clone(),
                verdict: examples[k].verdict,
            })
            .collect();
        let model = verdict::train(&fit, settings);
        for k in (0..examples.len()).filter(|&k| from[k].article % folds == fold) {
            let (e, f) = (&examples[k], &from[k]);
            let r = model.read(&e.features);
            let alone_may = |label: news_enricher_core::record::StanceLabel,
                             decisive: Option<usize>| {
                f.argument
                    && (label == news_enricher_core::record::StanceLabel::Neutral
                        || decisive.is_some_and(|d| f.judging.contains(&d)))
            };
            let p = verdict::publish(&model, &e.features, f.rules, alone_may);
            if let Some(p) = p {
                let slot = match by_rule.iter().position(|b| b.0 == p.rule) {
                    Some(i) => i,
                    None => {
                        by_rule.push((p.rule, 0, 0));
                        by_rule.len() - 1
                    }
                };
                by_rule[slot].1 += usize::from(Verdict::of(p.label) == e.verdict);
                by_rule[slot].2 += 1;
            }
            let published = p.map_or(Verdict::None, |p| Verdict::of(p.label));
            let rules = f.rules.map_or(Verdict::None, |(_, l)| Verdict::of(l));
            held.push(Held {
                annotated: e.verdict,
                rules,
                model: (r.verdict, r.probability),
                published,
            });
        }
    }
    let annotated = held.iter().filter(|h| h.annotated != Verdict::None).count();
    let line = |what: &str, decide: &dyn Fn(&Held) -> Verdict| {
        let (mut right, mut predicted) = (0, 0);
        for h in &held {
            let v = decide(h);
            if v != Verdict::None {
                predicted += 1;
                right += usize::from(v == h.annotated);
            }
        }
        let (pr, rc) = (gold::ratio(right, predicted), gold::ratio(right, annotated));
        format!(
            "  {what:<44} precision {pr:.4} recall {rc:.4} f1 {:.4} ({right} right of {predicted})",
            gold::f1(pr, rc)
        )
    };
    writeln!(
        log,
        "{folds}-fold cross-validation (folds by article) over {} pairs, {annotated} with an annotated stance:",
        held.len()
    )?;
    writeln!(log, "{}", line("the rules alone", &|h| h.rules))?;
    for t in [0.5f32, 0.6, 0.7, 0.8, 0.9] {
        let what = format!("the model alone at probability >= {t:.1}");
        let alone = line(&what, &|h| {
            if h.model.1 >= t {
                h.model.0
            } else {
                Verdict::None
            }
        });
        writeln!(log, "{alone}")?;
    }
    writeln!(
        log,
        "{}",
        line("as published (rules weighed by the model)", &|h| h
            .published)
    )?;
    by_rule.sort_by_key(|b| b.0.map(rule_name));
    for (rule, right, predicted) in by_rule {
        let name = rule.map_or_else(|| "verdict".to_owned(), rule_name);
        writeln!(
            log,
            "    published by {name:<20} precision {:.4} ({right} right of {predicted})",
            gold::ratio(right, predicted)
        )?;
    }
    Ok(())
}

/// Fits the verdict model on the annotated articles of `train` and writes it to `out`. With
/// `folds` > 1, first prints the model's cross-validated pair scores on `train` (folds by
/// article): how settings are chosen without looking at the dev set.
pub fn train_verdict(
    train: &Path,
    out: &Path,
    settings: TrainSettings,
    folds: usize,
    log: &mut dyn Write,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(train).with_context(|| format!("reading {}", train.display()))?;
    let articles = gold::read(&text).with_context(|| format!("parsing {}", train.display()))?;
    let started = Instant::now();
    let (examples, from) = verdict_examples(&articles, log)?;
    if folds > 1 {
        cross_validate(&examples, &from, folds, settings, log)?;
    }
    let model = verdict::train(&examples, settings);
    let bytes = model.to_bytes(0.0);
    let what = format!("{} pairs", examples.len());
    save_model(out, &bytes, &what, started, model.features(), log)?;
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
) -> anyhow::Result<(gold::Report, StanceReport)> {
    let text = std::fs::read_to_string(gold_path)
        .with_context(|| format!("reading {}", gold_path.display()))?;
    let mut articles =
        gold::read(&text).with_context(|| format!("parsing {}", gold_path.display()))?;
    // Known organisations go by several names ("Tories", "Conservatives"): both sides are
    // compared by the gazetteer's canonical name, as the entity stage groups them.
    let tagger = Tagger::bundled()?;
    let gazetteer = tagger.shared_gazetteer();
    let canon = |name: &str| -> String {
        let bare = name.strip_prefix("the ").unwrap_or(name);
        gazetteer.organisation(bare).unwrap_or(name).to_owned()
    };
    for c in articles.iter_mut().flat_map(|a| a.claims.iter_mut()) {
        c.speaker = c.speaker.as_deref().map(canon);
        for s in &mut c.stances {
            s.target = canon(&s.target);
        }
    }
    let canon_stance = |mut p: PredictedStance| {
        p.speaker = canon(&p.speaker);
        p.target = canon(&p.target);
        p.speaker_aliases = p.speaker_aliases.iter().map(|a| canon(a)).collect();
        p.target_aliases = p.target_aliases.iter().map(|a| canon(a)).collect();
        p
    };
    let canon_claim = |mut p: Predicted| {
        p.speaker = p.speaker.as_deref().map(canon);
        p.aliases = p.aliases.iter().map(|a| canon(a)).collect();
        p
    };
    let mut report = gold::Report::default();
    let mut stance_report = StanceReport::default();
    let mut timing: Option<(f64, f64, f64)> = None;
    match source {
        ClaimSource::Worker => {
            let finder = ClaimFinder::new(tagger.shared_gazetteer());
            let extractor = Extractor::new(tagger);
            let scorer = TargetScorer::bundled()?;
            let (mut entity_s, mut claim_s, mut stance_s) = (0.0, 0.0, 0.0);
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
                let predicted: Vec<Predicted> = predicted.into_iter().map(canon_claim).collect();
                gold::score_article(&mut report, &a.claims, &predicted);
                let t = Instant::now();
                let stances =
                    news_enricher_core::stance::stances(&a.body, &entities, &claims, &scorer);
                stance_s += t.elapsed().as_secs_f64();
                let mentions = |name: &str| -> Vec<String> {
                    entities
                        .iter()
                        .find(|e| e.name == name)
                        .map(|e| e.mentions.iter().map(|m| m.text.clone()).collect())
                        .unwrap_or_default()
                };
                let predicted: Vec<PredictedStance> = stances
                    .iter()
                    .map(|s| PredictedStance {
                        speaker: s.speaker.clone(),
                        speaker_aliases: mentions(&s.speaker),
                        target: s.target.clone(),
                        target_aliases: mentions(&s.target),
                        label: s.stance,
                        rule: rule_name(s.rule),
                        kind: s.kind,
                        confidence: s.confidence,
                    })
                    .map(canon_stance)
                    .collect();
                stance_gold::score_article(&mut stance_report, &a.claims, &predicted);
            }
            timing = Some((entity_s, claim_s, stance_s));
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
                by_id.insert(id, (predictions_of(&v), stance_predictions_of(&v)));
            }
            for a in &articles {
                let (predicted, stances) = by_id.get(&a.id).cloned().unwrap_or_default();
                let predicted: Vec<Predicted> = predicted.into_iter().map(canon_claim).collect();
                let stances: Vec<PredictedStance> = stances.into_iter().map(canon_stance).collect();
                gold::score_article(&mut report, &a.claims, &predicted);
                stance_gold::score_article(&mut stance_report, &a.claims, &stances);
            }
        }
    }
    print_claims_report(&report, timing, out)?;
    print_stance_triples(&stance_report, out)?;
    Ok((report, stance_report))
}

/// A rule's published name.
fn rule_name(rule: news_enricher_core::record::StanceRule) -> String {
    serde_json::to_value(rule)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The stances of one line of a predictions file (the worker's enriched records).
fn stance_predictions_of(v: &serde_json::Value) -> Vec<PredictedStance> {
    let entities = v["entities"].as_array().cloned().unwrap_or_default();
    let mentions = |name: &str| -> Vec<String> {
        entities
            .iter()
            .find(|e| e["name"].as_str() == Some(name))
            .and_then(|e| e["mentions"].as_array())
            .map(|ms| {
                ms.iter()
                    .filter_map(|m| m["text"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let Some(stances) = v["stances"].as_array() else {
        return Vec::new();
    };
    stances
        .iter()
        .filter_map(|s| {
            let speaker = s["speaker"].as_str()?.to_owned();
            let target = s["target"].as_str()?.to_owned();
            Some(PredictedStance {
                speaker_aliases: mentions(&speaker),
                target_aliases: mentions(&target),
                speaker,
                target,
                label: serde_json::from_value(s["stance"].clone()).ok()?,
                rule: s["rule"].as_str().unwrap_or_default().to_owned(),
                kind: serde_json::from_value(s["kind"].clone()).ok()?,
                confidence: s["confidence"].as_f64().unwrap_or(0.0),
            })
        })
        .collect()
}

/// Prints stance-triple precision, recall and F1 (all labels, support/oppose, by label, by
/// rule, by kind), the kind of error, and the calibration table.
pub fn print_stance_triples(r: &StanceReport, out: &mut dyn Write) -> std::io::Result<()> {
    let row = |out: &mut dyn Write, name: &str, t: &stance_gold::Triples| {
        writeln!(
            out,
            "{:<20} {:<5} {:<9} {:<5} {:<9.4} {:<7.4} {:.4}",
            name,
            t.gold,
            t.predicted,
            t.right,
            t.precision(),
            t.recall(),
            t.f1()
        )
    };
    writeln!(
        out,
        "stance triples (speaker, target, label), once per article:"
    )?;
    writeln!(
        out,
        "{:<20} {:<5} {:<9} {:<5} {:<9} {:<7} f1",
        "slice", "gold", "predicted", "right", "precision", "recall"
    )?;
    row(out, "all labels", &r.all)?;
    row(out, "support/oppose", &r.polar)?;
    for (name, t) in ["support", "oppose", "neutral"].iter().zip(&r.by_label) {
        row(out, name, t)?;
    }
    let wrong = r.all.predicted - r.all.right;
    writeln!(
        out,
        "wrong triples: {} ({} right pair with the wrong label, {} pair not in gold)",
        wrong, r.wrong_label, r.wrong_pair
    )?;
    writeln!(out, "by rule (precision)    predicted  right  precision")?;
    for (rule, t) in &r.by_rule {
        writeln!(
            out,
            "  {:<20} {:<10} {:<6} {:.4}",
            rule,
            t.predicted,
            t.right,
            t.precision()
        )?;
    }
    writeln!(
        out,
        "by claim kind          gold  found  recall  | predicted  right  precision"
    )?;
    let kinds = ["direct_quote", "indirect", "reported", "post"];
    for ((name, g), p) in kinds
        .iter()
        .zip(&r.by_kind_recall)
        .zip(&r.by_kind_precision)
    {
        writeln!(
            out,
            "  {:<20} {:<5} {:<6} {:<7.4} | {:<10} {:<6} {:.4}",
            name,
            g.gold,
            g.right,
            g.recall(),
            p.predicted,
            p.right,
            p.precision()
        )?;
    }
    writeln!(
        out,
        "calibration  confidence  predicted  right  accuracy  mean-confidence"
    )?;
    for (k, &(n, right, sum)) in r.calibration.iter().enumerate() {
        if n == 0 {
            continue;
        }
        writeln!(
            out,
            "  {:.1}-{:.1}     {:<10} {:<6} {:<9.4} {:.4}",
            k as f64 / stance_gold::BINS as f64,
            (k + 1) as f64 / stance_gold::BINS as f64,
            n,
            right,
            right as f64 / n as f64,
            sum / n as f64
        )?;
    }
    Ok(())
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
    timing: Option<(f64, f64, f64)>,
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
    if let Some((entities, claims, stances)) = timing {
        writeln!(
            out,
            "{} articles: claims stage {:.0} articles/s; stance stage {:.0} articles/s; entities + claims + stance {:.0} articles/s",
            r.articles,
            r.articles as f64 / claims.max(1e-9),
            r.articles as f64 / stances.max(1e-9),
            r.articles as f64 / (entities + claims + stances).max(1e-9)
        )?;
    }
    Ok(())
}
