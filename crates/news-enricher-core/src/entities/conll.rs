//! CoNLL-format NER data: reading it, training the tagger on it and scoring the tagger against
//! it. `news-enricher train ner` and `news-enricher eval ner` are thin wrappers over this module,
//! and both go through [`Tagger`], the same code the worker runs.

use std::time::Instant;

use super::model::{bio_to_bilou, spans, Example, Trainer, Type, Weights};
use super::Tagger;

/// One sentence of a CoNLL file.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentence {
    /// Tokens.
    pub words: Vec<String>,
    /// Per token: `None` for `O`, else (begins an entity, type).
    pub tags: Vec<Option<(bool, Type)>>,
}

/// A line that is not CoNLL.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct ConllError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

fn parse_tag(s: &str) -> Option<Option<(char, Type)>> {
    if s == "O" {
        return Some(None);
    }
    let (p, t) = s.split_once('-')?;
    let p = match p {
        "B" | "I" | "E" | "S" | "L" | "U" => p.chars().next()?,
        _ => return None,
    };
    Some(Some((p, Type::from_conll(t)?)))
}

/// Reads CoNLL text: one `token ... TAG ...` per line (the tag is the last column that looks
/// like one, so both `token TAG 0` and the original `token POS chunk TAG` work), blank lines
/// between sentences, `-DOCSTART-` lines skipped. BIO, IOB1 and BIOES/BILOU tags are accepted.
pub fn read(text: &str) -> Result<Vec<Sentence>, ConllError> {
    let mut out = Vec::new();
    let mut cur = Sentence {
        words: Vec::new(),
        tags: Vec::new(),
    };
    let mut prev: Option<Type> = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with("-DOCSTART-") {
            if !cur.words.is_empty() {
                out.push(std::mem::replace(
                    &mut cur,
                    Sentence {
                        words: Vec::new(),
                        tags: Vec::new(),
                    },
                ));
            }
            prev = None;
            continue;
        }
        let cols: Vec<&str> = line.split_whitespace().collect();
        let tag = cols
            .iter()
            .skip(1)
            .rev()
            .find_map(|c| parse_tag(c))
            .ok_or_else(|| ConllError {
                line: n + 1,
                reason: format!("no NER tag in {line:?}"),
            })?;
        let tag = tag.map(|(p, t)| {
            let begins = match p {
                'B' | 'S' | 'U' => true,
                _ => prev != Some(t),
            };
            (begins, t)
        });
        // In BIOES, an entity also ends at E/S; the next I then starts a new one.
        prev = tag.map(|(_, t)| t);
        cur.words.push(cols[0].to_owned());
        cur.tags.push(tag);
    }
    if !cur.words.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

/// Trains a tagger on `sentences` for `epochs` passes (shuffled with `seed`) and returns the
/// averaged weights. `progress` is called after each epoch with (epoch, token errors).
pub fn train(
    tagger: &Tagger,
    sentences: &[Sentence],
    epochs: usize,
    seed: u64,
    mut progress: impl FnMut(usize, usize),
) -> Weights {
    let examples: Vec<Example> = sentences
        .iter()
        .map(|s| {
            let words: Vec<&str> = s.words.iter().map(String::as_str).collect();
            Example {
                features: tagger.sentence_features(&words),
                labels: bio_to_bilou(&s.tags),
            }
        })
        .collect();
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut trainer = Trainer::default();
    let mut state = seed;
    for epoch in 0..epochs {
        crate::random::shuffle(&mut order, &mut state);
        let errors = trainer.epoch(&examples, &order);
        progress(epoch + 1, errors);
    }
    trainer.averaged()
}

/// Entity-level counts for one type.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    /// Predicted spans that match a gold span exactly (bounds and type).
    pub true_positives: usize,
    /// Predicted spans.
    pub predicted: usize,
    /// Gold spans.
    pub gold: usize,
}

impl Counts {
    /// Precision.
    pub fn precision(&self) -> f64 {
        ratio(self.true_positives, self.predicted)
    }
    /// Recall.
    pub fn recall(&self) -> f64 {
        ratio(self.true_positives, self.gold)
    }
    /// F1.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    fn add(&mut self, o: Counts) {
        self.true_positives += o.true_positives;
        self.predicted += o.predicted;
        self.gold += o.gold;
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The scored types: CoNLL's MISC (and so our NORP) is not scored.
pub const SCORED: [Type; 3] = [Type::Per, Type::Org, Type::Loc];

/// Result of [`evaluate`].
#[derive(Debug, Clone)]
pub struct Report {
    /// Per scored type, in [`SCORED`] order.
    pub by_type: [Counts; 3],
    /// All scored types together.
    pub overall: Counts,
    /// Sentences tagged.
    pub sentences: usize,
    /// Tokens tagged.
    pub tokens: usize,
    /// Wall time of tagging alone.
    pub seconds: f64,
}

/// Tags every sentence with `tagger` and scores exact-match entity spans of PER, ORG and LOC.
pub fn evaluate(tagger: &Tagger, sentences: &[Sentence]) -> Report {
    let mut by_type = [Counts::default(); 3];
    let mut tokens = 0;
    let mut predicted_all = Vec::with_capacity(sentences.len());
    let started = Instant::now();
    for s in sentences {
        let words: Vec<&str> = s.words.iter().map(String::as_str).collect();
        predicted_all.push(tagger.tag_words(&words));
        tokens += words.len();
    }
    let seconds = started.elapsed().as_secs_f64();
    for (s, predicted) in sentences.iter().zip(predicted_all) {
        let gold = spans(&bio_to_bilou(&s.tags));
        for (k, t) in SCORED.iter().enumerate() {
            let g: Vec<_> = gold.iter().filter(|x| x.2 == *t).collect();
            let p: Vec<_> = predicted.iter().filter(|x| x.2 == *t).collect();
            by_type[k].add(Counts {
                true_positives: p.iter().filter(|x| g.contains(x)).count(),
                predicted: p.len(),
                gold: g.len(),
            });
        }
    }
    let mut overall = Counts::default();
    for c in by_type {
        overall.add(c);
    }
    Report {
        by_type,
        overall,
        sentences: sentences.len(),
        tokens,
        seconds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_column_layouts_and_iob1() {
        let text = "-DOCSTART- -X- O O\n\nEU B-ORG 0\nrejects O 0\n\nPeter NNP I-NP I-PER\nBlackburn NNP I-NP I-PER\nand CC O O\nJohn NNP I-NP I-PER\n";
        let s = read(text).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].tags, vec![Some((true, Type::Org)), None]);
        assert_eq!(
            s[1].tags,
            vec![
                Some((true, Type::Per)),
                Some((false, Type::Per)),
                None,
                Some((true, Type::Per))
            ]
        );
        assert!(read("word\n").is_err());
    }

    #[test]
    fn counts_score_exact_spans() {
        let c = Counts {
            true_positives: 8,
            predicted: 10,
            gold: 16,
        };
        assert!((c.precision() - 0.8).abs() < 1e-9);
        assert!((c.recall() - 0.5).abs() < 1e-9);
        assert!((c.f1() - 2.0 * 0.8 * 0.5 / 1.3).abs() < 1e-9);
    }
}
