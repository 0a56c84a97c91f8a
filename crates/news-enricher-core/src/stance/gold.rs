//! Scoring stances against the hand-annotated stances of `data/eval/attribution-dev.jsonl`
//! (`data/eval/stance-guideline.md`): the stance half of `eval claims`.
//!
//! An article's stances are compared as a set of (speaker, target, label) triples: a stance
//! repeated across claims counts once. A predicted triple is right when a gold triple of the
//! same article has the same label and names the same speaker and target (names compared as for
//! claim speakers, or one of the predicted entity's mentions). Matching is one to one, most
//! confident prediction first.
//!
//! Reported: precision, recall and F1 over all labels and over support/oppose only; precision
//! by the rule that decided; recall by the kind of the gold claim; the share of wrong triples
//! whose speaker–target pair is right (a wrong label) and a calibration table of the worker's
//! confidence.

use std::collections::HashMap;

use crate::claims::gold::{f1, names_agree, ratio, GoldClaim};
use crate::record::{ClaimKind, StanceLabel};

/// A predicted stance as the scorer sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictedStance {
    /// Speaker's canonical name.
    pub speaker: String,
    /// Other names of the speaker (its entity's mentions).
    pub speaker_aliases: Vec<String>,
    /// Target's canonical name.
    pub target: String,
    /// Other names of the target.
    pub target_aliases: Vec<String>,
    /// The label.
    pub label: StanceLabel,
    /// The rule that decided, as published.
    pub rule: String,
    /// The kind of its claim.
    pub kind: ClaimKind,
    /// The published confidence.
    pub confidence: f64,
}

/// Right / predicted / gold counts of one slice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Triples {
    /// Gold triples.
    pub gold: usize,
    /// Predicted triples.
    pub predicted: usize,
    /// Predicted triples matching a gold one.
    pub right: usize,
}

impl Triples {
    /// Right / predicted.
    pub fn precision(&self) -> f64 {
        ratio(self.right, self.predicted)
    }

    /// Right / gold.
    pub fn recall(&self) -> f64 {
        ratio(self.right, self.gold)
    }

    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        f1(self.precision(), self.recall())
    }
}

/// Calibration bins: confidence in [k/10, (k+1)/10), the last one closed.
pub const BINS: usize = 10;

/// The stance evaluation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StanceReport {
    /// All labels.
    pub all: Triples,
    /// Support and oppose only, on both sides.
    pub polar: Triples,
    /// By label (support, oppose, neutral) on both sides.
    pub by_label: [Triples; 3],
    /// Precision by the deciding rule (`gold` unused).
    pub by_rule: Vec<(String, Triples)>,
    /// Recall by the gold claim's kind (`predicted` unused), and precision by the predicted
    /// claim's kind (`gold` unused), in [`crate::claims::gold::kind_index`] order.
    pub by_kind_recall: [Triples; 4],
    /// See `by_kind_recall`.
    pub by_kind_precision: [Triples; 4],
    /// Wrong predictions whose speaker and target are a gold pair (the label is what is wrong).
    pub wrong_label: usize,
    /// Wrong predictions whose speaker has no such target in gold at all.
    pub wrong_pair: usize,
    /// (predicted, right, sum of confidence) by confidence bin.
    pub calibration: [(usize, usize, f64); BINS],
}

/// Index of a label in [`StanceReport::by_label`].
pub fn label_index(l: StanceLabel) -> usize {
    match l {
        StanceLabel::Support => 0,
        StanceLabel::Oppose => 1,
        StanceLabel::Neutral => 2,
    }
}

struct GoldTriple<'g> {
    speaker: &'g str,
    target: &'g str,
    label: StanceLabel,
    kind: ClaimKind,
}

/// Whether gold name `gold` names the entity called `name` (or one of its `aliases`).
pub fn agree(gold: &str, name: &str, aliases: &[String]) -> bool {
    names_agree(gold, name) || aliases.iter().any(|a| names_agree(gold, a))
}

/// The article's gold triples, each once (first claim's kind).
fn gold_triples(gold: &[GoldClaim]) -> Vec<GoldTriple<'_>> {
    let mut out: Vec<GoldTriple<'_>> = Vec::new();
    for c in gold {
        let Some(speaker) = c.speaker.as_deref() else {
            continue;
        };
        for s in &c.stances {
            let dup = out.iter().any(|t| {
                t.label == s.label
                    && names_agree(t.speaker, speaker)
                    && names_agree(t.target, &s.target)
            });
            if !dup {
                out.push(GoldTriple {
                    speaker,
                    target: &s.target,
                    label: s.label,
                    kind: c.kind,
                });
            }
        }
    }
    out
}

/// The article's predicted triples, each once: the most confident stance stands for it.
fn predicted_triples(predicted: &[PredictedStance]) -> Vec<&PredictedStance> {
    let mut best: HashMap<(&str, &str, StanceLabel), &PredictedStance> = HashMap::new();
    for p in predicted {
        let slot = best
            .entry((p.speaker.as_str(), p.target.as_str(), p.label))
            .or_insert(p);
        if p.confidence > slot.confidence {
            *slot = p;
        }
    }
    let mut out: Vec<&PredictedStance> = best.into_values().collect();
    out.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then_with(|| (&a.speaker, &a.target).cmp(&(&b.speaker, &b.target)))
    });
    out
}

fn bin(confidence: f64) -> usize {
    ((confidence * BINS as f64) as usize).min(BINS - 1)
}

/// Adds one article's gold claims (with their stances) and predicted stances to `report`.
pub fn score_article(report: &mut StanceReport, gold: &[GoldClaim], predicted: &[PredictedStance]) {
    use crate::claims::gold::kind_index;
    let golds = gold_triples(gold);
    let preds = predicted_triples(predicted);
    let polar = |l: StanceLabel| l != StanceLabel::Neutral;
    for g in &golds {
        report.all.gold += 1;
        report.by_label[label_index(g.label)].gold += 1;
        report.polar.gold += usize::from(polar(g.label));
        report.by_kind_recall[kind_index(g.kind)].gold += 1;
    }
    let mut taken = vec![false; golds.len()];
    for p in preds {
        let hit = golds.iter().enumerate().position(|(k, g)| {
            !taken[k]
                && g.label == p.label
                && agree(g.speaker, &p.speaker, &p.speaker_aliases)
                && agree(g.target, &p.target, &p.target_aliases)
        });
        let right = hit.is_some();
        if let Some(k) = hit {
            taken[k] = true;
            report.by_kind_recall[kind_index(golds[k].kind)].right += 1;
        } else if golds.iter().any(|g| {
            agree(g.speaker, &p.speaker, &p.speaker_aliases)
                && agree(g.target, &p.target, &p.target_aliases)
        }) {
            report.wrong_label += 1;
        } else {
            report.wrong_pair += 1;
        }
        let rule = match report.by_rule.iter().position(|(r, _)| *r == p.rule) {
            Some(k) => k,
            None => {
                report.by_rule.push((p.rule.clone(), Triples::default()));
                report.by_rule.len() - 1
            }
        };
        let slices = [
            Some(&mut report.all),
            Some(&mut report.by_label[label_index(p.label)]),
            polar(p.label).then_some(&mut report.polar),
            Some(&mut report.by_rule[rule].1),
            Some(&mut report.by_kind_precision[kind_index(p.kind)]),
        ];
        for t in slices.into_iter().flatten() {
            t.predicted += 1;
            t.right += usize::from(right);
        }
        let b = &mut report.calibration[bin(p.confidence)];
        b.0 += 1;
        b.1 += usize::from(right);
        b.2 += p.confidence;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::gold::{GoldSpan, GoldStance};

    fn claim(speaker: &str, stances: &[(&str, StanceLabel)]) -> GoldClaim {
        GoldClaim {
            kind: ClaimKind::Indirect,
            source: None,
            cue: None,
            content: GoldSpan {
                start: 0,
                end: 1,
                text: None,
            },
            content_parts: Vec::new(),
            speaker: Some(speaker.to_owned()),
            stances: stances
                .iter()
                .map(|&(t, l)| GoldStance {
                    target: t.to_owned(),
                    label: l,
                    mention: None,
                })
                .collect(),
        }
    }

    fn pred(speaker: &str, target: &str, label: StanceLabel, confidence: f64) -> PredictedStance {
        PredictedStance {
            speaker: speaker.to_owned(),
            speaker_aliases: Vec::new(),
            target: target.to_owned(),
            target_aliases: Vec::new(),
            label,
            rule: "cue_governs_target".to_owned(),
            kind: ClaimKind::Indirect,
            confidence,
        }
    }

    #[test]
    fn triples_count_once_per_article_and_names_agree_across_forms() {
        use StanceLabel::*;
        let gold = [
            claim(
                "Tony Blair",
                &[("Conservatives", Oppose), ("Gordon Brown", Support)],
            ),
            claim("Mr Blair", &[("the Conservatives", Oppose)]),
        ];
        let predicted = [
            pred("Tony Blair", "Conservatives", Oppose, 0.9),
            pred("Tony Blair", "Conservatives", Oppose, 0.7),
            pred("Tony Blair", "Gordon Brown", Oppose, 0.65),
            pred("Tony Blair", "Iraq", Neutral, 0.5),
        ];
        let mut r = StanceReport::default();
        score_article(&mut r, &gold, &predicted);
        assert_eq!(
            r.all,
            Triples {
                gold: 2,
                predicted: 3,
                right: 1
            }
        );
        assert_eq!(
            r.polar,
            Triples {
                gold: 2,
                predicted: 2,
                right: 1
            }
        );
        assert_eq!((r.wrong_label, r.wrong_pair), (1, 1));
        assert_eq!(r.calibration[9], (1, 1, 0.9));
        assert_eq!(r.calibration[6].0, 1);
        assert_eq!(
            r.by_kind_recall[1],
            Triples {
                gold: 2,
                predicted: 0,
                right: 1
            }
        );
        assert!((r.all.precision() - 1.0 / 3.0).abs() < 1e-9);
    }
}
