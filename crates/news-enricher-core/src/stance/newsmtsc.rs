//! NewsMTSC data (Hamborg & Donnay, EACL 2021): news sentences with a target mention and the
//! polarity the sentence expresses toward it. `news-enricher train stance` fits the polarity
//! model on it and `news-enricher eval stance` scores [`TargetScorer`], the code the worker uses
//! for each speaker → target pair, on it.

use std::time::Instant;

use super::polarity::{self, Example, Polarity};
use super::TargetScorer;

/// One sentence with its primary target.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The sentence.
    pub sentence: String,
    /// Char offset of the target mention's first character.
    pub from: usize,
    /// Char offset one past its last character.
    pub to: usize,
    /// Gold polarity.
    pub polarity: Polarity,
}

/// A line that is not NewsMTSC.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct NewsMtscError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

#[derive(serde::Deserialize)]
struct Line {
    primary_gid: Option<String>,
    sentence_normalized: String,
    targets: Vec<Target>,
}

#[derive(serde::Deserialize)]
struct Target {
    #[serde(rename = "Input.gid")]
    gid: Option<String>,
    from: usize,
    to: usize,
    polarity: f64,
}

fn polarity_of(v: f64) -> Option<Polarity> {
    match v.round() as i64 {
        2 => Some(Polarity::Negative),
        4 => Some(Polarity::Neutral),
        6 => Some(Polarity::Positive),
        _ => None,
    }
}

/// Reads NewsMTSC JSON Lines. With `all_targets`, every target of a sentence is an item
/// (training); otherwise only the primary one (evaluation, as NewsMTSC scores it).
pub fn read(text: &str, all_targets: bool) -> Result<Vec<Item>, NewsMtscError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let err = |reason: String| NewsMtscError {
            line: n + 1,
            reason,
        };
        let l: Line = serde_json::from_str(line).map_err(|e| err(e.to_string()))?;
        let chars = l.sentence_normalized.chars().count();
        let primary = l
            .targets
            .iter()
            .position(|t| t.gid.is_some() && t.gid == l.primary_gid)
            .unwrap_or(0);
        for (i, t) in l.targets.iter().enumerate() {
            if !all_targets && i != primary {
                continue;
            }
            if t.from >= t.to || t.to > chars {
                return Err(err(format!(
                    "target {}..{} outside the sentence",
                    t.from, t.to
                )));
            }
            let polarity = polarity_of(t.polarity)
                .ok_or_else(|| err(format!("polarity {} is not 2, 4 or 6", t.polarity)))?;
            out.push(Item {
                sentence: l.sentence_normalized.clone(),
                from: t.from,
                to: t.to,
                polarity,
            });
        }
    }
    Ok(out)
}

/// Fits the polarity model on `items`.
pub fn train(
    scorer: &TargetScorer,
    items: &[Item],
    settings: polarity::TrainSettings,
) -> polarity::Model {
    let examples: Vec<Example> = items
        .iter()
        .map(|it| Example {
            features: scorer
                .sentence_features(&it.sentence, it.from, it.to)
                .into_iter()
                .map(|f| f.hash)
                .collect(),
            label: it.polarity,
        })
        .collect();
    polarity::train(&examples, settings)
}

/// Precision, recall and F1 of one class.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ClassScore {
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
    /// Gold items of the class.
    pub support: usize,
}

/// Result of [`evaluate`].
#[derive(Debug, Clone)]
pub struct Report {
    /// Fraction predicted correctly.
    pub accuracy: f64,
    /// Per class, in [`Polarity::ALL`] order.
    pub by_class: [ClassScore; 3],
    /// Mean F1 over the three classes.
    pub macro_f1: f64,
    /// Macro-F1 of always predicting the most frequent gold class.
    pub majority_macro_f1: f64,
    /// Items scored.
    pub sentences: usize,
    /// Wall time of prediction alone.
    pub seconds: f64,
}

fn scores(gold: &[Polarity], pred: &[Polarity]) -> ([ClassScore; 3], f64, f64) {
    let mut by_class = [ClassScore::default(); 3];
    for (k, c) in Polarity::ALL.iter().enumerate() {
        let tp = gold
            .iter()
            .zip(pred)
            .filter(|(g, p)| *g == c && *p == c)
            .count();
        let predicted = pred.iter().filter(|p| *p == c).count();
        let support = gold.iter().filter(|g| *g == c).count();
        let precision = if predicted == 0 {
            0.0
        } else {
            tp as f64 / predicted as f64
        };
        let recall = if support == 0 {
            0.0
        } else {
            tp as f64 / support as f64
        };
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        by_class[k] = ClassScore {
            precision,
            recall,
            f1,
            support,
        };
    }
    let accuracy =
        gold.iter().zip(pred).filter(|(g, p)| g == p).count() as f64 / gold.len().max(1) as f64;
    let macro_f1 = by_class.iter().map(|c| c.f1).sum::<f64>() / 3.0;
    (by_class, accuracy, macro_f1)
}

/// Predicts every item with `scorer` and scores it against the gold polarity.
pub fn evaluate(scorer: &TargetScorer, items: &[Item]) -> Report {
    let started = Instant::now();
    let pred: Vec<Polarity> = items
        .iter()
        .map(|it| scorer.score_sentence(&it.sentence, it.from, it.to).polarity)
        .collect();
    let seconds = started.elapsed().as_secs_f64();
    let gold: Vec<Polarity> = items.iter().map(|it| it.polarity).collect();
    let (by_class, accuracy, macro_f1) = scores(&gold, &pred);
    let majority = Polarity::ALL
        .into_iter()
        .max_by_key(|c| gold.iter().filter(|g| *g == c).count())
        .unwrap_or(Polarity::Neutral);
    let (_, _, majority_macro_f1) = scores(&gold, &vec![majority; gold.len()]);
    Report {
        accuracy,
        by_class,
        macro_f1,
        majority_macro_f1,
        sentences: items.len(),
        seconds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_primary_or_all_targets() {
        let line = r#"{"primary_gid":"b","sentence_normalized":"Ann praised Bob.","targets":[{"Input.gid":"a","from":0,"to":3,"polarity":4.0},{"Input.gid":"b","from":12,"to":15,"polarity":6.0}]}"#;
        let primary = read(line, false).unwrap();
        assert_eq!(primary.len(), 1);
        assert_eq!(
            (primary[0].from, primary[0].polarity),
            (12, Polarity::Positive)
        );
        assert_eq!(read(line, true).unwrap().len(), 2);
        assert!(read(
            r#"{"sentence_normalized":"x","targets":[{"from":0,"to":9,"polarity":4}]}"#,
            false
        )
        .is_err());
    }

    #[test]
    fn macro_f1_of_the_majority_class() {
        use Polarity::*;
        let gold = [Neutral, Neutral, Negative, Positive];
        let (_, acc, m) = scores(&gold, &[Neutral; 4]);
        assert!((acc - 0.5).abs() < 1e-9);
        // Neutral: P 0.5, R 1 → F1 2/3; the others 0.
        assert!((m - (2.0 / 3.0) / 3.0).abs() < 1e-9);
    }
}
