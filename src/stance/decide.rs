//! Deciding the stance toward one target, first rule that applies:
//! 1. `cue_governs_target`: a stance cue takes the target as its object — `CUE (to|for|with|
//!    against|from|on|toward|between|of) [the] TARGET` or `CUE [the] TARGET` — signed by the
//!    cue lexicon, flipped by a negation right before the cue. The claim's own cue counts for a
//!    reported position ("Iran has accused Israel of …"): the speaker does what it says.
//! 2. `modal_negation`: the target is the subject of "must not", "should not", "cannot": the
//!    speaker opposes what the target would do.
//! 3. `model`: the NewsMTSC-fitted polarity model on the sentence, naming its decisive word;
//!    below [`MIN_MODEL_CONFIDENCE`] there is no stance to report.
//!
//! A target used only as a place ("in Syria", "at the White House") or as the source of a
//! report gets a stance only from a cue, never from the model. A target a third party acts
//! against ("militants launched an attack on Egypt", in a quote) gets none.

use std::ops::Range;

use super::polarity::{Polarity, Sentence};
use super::targets::Target;
use super::TargetScorer;
use crate::claims::doc::Doc;
use crate::record::{StanceLabel, StanceRule};

/// Model-decided stances below this confidence are not reported (three classes: 0.6 is well
/// above a coin toss between two of them).
pub const MIN_MODEL_CONFIDENCE: f32 = 0.6;

/// Prepositions by which a cue takes its object.
const CUE_PREPS: &[&str] = &[
    "to", "for", "with", "against", "from", "on", "toward", "towards", "between", "of", "by",
];

/// Prepositions that make a place a setting, not a target.
const LOCATIVE: &[&str] = &[
    "in", "at", "near", "across", "inside", "within", "around", "into",
];

const DETERMINERS: &[&str] = &[
    "the", "a", "an", "its", "their", "his", "her", "these", "this",
];

/// A decision: label, confidence, the deciding cue as published, and the rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The stance.
    pub label: StanceLabel,
    /// Confidence in [0, 1].
    pub confidence: f64,
    /// The lexicon entry, rule phrase or model word that decided.
    pub cue: String,
    /// Which rule decided.
    pub rule: StanceRule,
}

/// Decides stances in one article.
pub struct Decider<'d, 'a> {
    doc: &'d Doc<'a>,
    scorer: &'d TargetScorer,
    /// Sentences prepared for the model, by sentence index.
    prepared: Vec<Option<Sentence>>,
}

impl<'d, 'a> Decider<'d, 'a> {
    /// A decider over `doc`.
    pub fn new(doc: &'d Doc<'a>, scorer: &'d TargetScorer) -> Self {
        Decider {
            doc,
            scorer,
            prepared: vec![None; doc.sentences.len()],
        }
    }

    /// The stance toward `t` in evidence tokens `ev`. `floor`: where a governing cue may start
    /// (the claim's cue for a reported position, else the evidence start). `agent_is_speaker`:
    /// the speaker does what the cue says (a reported position), so "threats against Israel"
    /// is the speaker's opposition to Israel; in a quote the same words may describe a third
    /// party's act. `None` when there is no stance to report.
    pub fn decide(
        &mut self,
        t: &Target,
        ev: &Range<usize>,
        floor: usize,
        agent_is_speaker: bool,
    ) -> Option<Decision> {
        let doc = self.doc;
        let m = t.mention.start;
        let e = t.mention.end;
        let governing = self.governing_cue(m, floor, agent_is_speaker);
        if governing.is_some_and(|(score, _)| score == 0.0) {
            return None;
        }
        let ruled = if let Some((score, cue)) = governing {
            let label = if score > 0.0 {
                StanceLabel::Support
            } else {
                StanceLabel::Oppose
            };
            // Name the lexicon entry ("accus*"); "stand with" is a rule, not an entry.
            let entry = self
                .scorer
                .cues()
                .entry(doc.w(cue))
                .map_or_else(|| format!("{} with", doc.w(cue)), |(e, _)| e);
            Some((label, 0.9f64, entry, StanceRule::CueGovernsTarget))
        } else if let Some(r) = self.modal_negation(e, ev.end) {
            let cue = doc.body[doc.tokens[r.start].start..doc.tokens[r.end - 1].end].to_owned();
            Some((StanceLabel::Oppose, 0.85, cue, StanceRule::ModalNegation))
        } else {
            None
        };
        if let Some((label, conf, cue, rule)) = ruled {
            let (agrees, p_conf) = {
                let p = self.model(m, e);
                (polarity_label(p.polarity) == label, p.confidence)
            };
            let confidence = if agrees {
                conf.max(f64::from(p_conf))
            } else {
                conf - 0.1
            };
            return Some(Decision {
                label,
                confidence,
                cue,
                rule,
            });
        }
        if self.setting_or_source(m) {
            return None;
        }
        let sentence = doc.sentence(m).start;
        let p = self.model(m, e);
        if p.confidence < MIN_MODEL_CONFIDENCE {
            return None;
        }
        let cue = p
            .cue_token
            .map(|k| doc.tokens[sentence + k].text.to_owned())
            .unwrap_or_else(|| "(sentence)".to_owned());
        Some(Decision {
            label: polarity_label(p.polarity),
            confidence: f64::from(p.confidence),
            cue,
            rule: StanceRule::Model,
        })
    }

    /// The polarity model on the sentence of tokens `m..e`.
    fn model(&mut self, m: usize, e: usize) -> super::polarity::Prediction {
        let doc = self.doc;
        let k = doc.sentence_of[m] as usize;
        let sent = doc.sentences[k].clone();
        let scorer = self.scorer;
        let s = self.prepared[k].get_or_insert_with(|| scorer.sentence(&doc.tokens[sent.clone()]));
        let e = e.min(sent.end);
        scorer.score(s, m - sent.start, e - sent.start)
    }

    fn cue_score(&self, i: usize) -> Option<f32> {
        self.scorer.cues().get(self.doc.w(i))
    }

    /// Whether a negation sits in the three tokens before `i`.
    fn negated(&self, i: usize) -> bool {
        (i.saturating_sub(3)..i).any(|j| self.doc.is(j, &["not", "n't", "no", "never", "without"]))
    }

    /// Rule 1: a cue that takes the mention starting at `m` as its object, or whose agent the
    /// mention is. Returns (score, cue token); a score of 0 marks the target as the one a third
    /// party acts against, about whom the claim says nothing for or against.
    fn governing_cue(
        &self,
        m: usize,
        floor: usize,
        agent_is_speaker: bool,
    ) -> Option<(f32, usize)> {
        let doc = self.doc;
        let mut i = m;
        while i > floor && doc.is(i - 1, DETERMINERS) {
            i -= 1;
        }
        let cue_at = |k: usize| -> Option<(f32, usize)> {
            let v = self.cue_score(k)?;
            Some((if self.negated(k) { -v } else { v }, k))
        };
        // "the Iranian threat", "Russian aggression": the target is the agent of a hostile act.
        if let Some(after) = self.mention_end(m) {
            if let Some((v, k)) = cue_at(after).filter(|&(v, _)| v < 0.0) {
                return Some((v, k));
            }
        }
        if i <= floor {
            return None;
        }
        let before = i - 1;
        // Coordination: "between Israel and the USA" — the second conjunct shares the first's cue.
        if doc.is(before, &["and", "or"]) && before > floor {
            if let Some((_, prev)) = doc.mention_at(before - 1) {
                return self.governing_cue(prev.start, floor, agent_is_speaker);
            }
        }
        if doc.is(before, &["with", "by"])
            && before > floor
            && doc.is(
                before - 1,
                &[
                    "stand", "stands", "stood", "standing", "side", "sided", "sides",
                ],
            )
        {
            let k = before - 1;
            return Some((if self.negated(k) { -1.0 } else { 1.0 }, k));
        }
        if doc.is(before, CUE_PREPS) && before > floor {
            let (v, k) = cue_at(before - 1)?;
            // "attack on Israel", "threats against Israel": Israel is the one acted on, which
            // says the speaker opposes Israel only if the speaker is the one acting.
            if v < 0.0
                && doc.is(before, &["against", "on", "at", "toward", "towards"])
                && !agent_is_speaker
            {
                return Some((0.0, k));
            }
            return Some((v, k));
        }
        cue_at(before)
    }

    /// The token after the mention starting at `m`, skipping the mention.
    fn mention_end(&self, m: usize) -> Option<usize> {
        let (_, r) = self.doc.mention_at(m)?;
        (r.end < self.doc.len()).then_some(r.end)
    }

    /// Rule 2: the mention ending at `e` (exclusive) is the subject of a negated modal.
    fn modal_negation(&self, e: usize, ceiling: usize) -> Option<Range<usize>> {
        let w = |k: usize| (k < ceiling).then(|| self.doc.w(k));
        match (w(e), w(e + 1)) {
            (
                Some("must" | "should" | "will" | "would" | "can" | "could" | "may"),
                Some("not" | "n't"),
            ) => Some(e..e + 2),
            (Some("cannot" | "mustn't" | "shouldn't" | "won't"), _) => Some(e..e + 1),
            _ => None,
        }
    }

    /// Whether the mention starting at `m` is a setting ("in Syria", "in their earlier Oval
    /// Office meeting") or the source of a report ("as reported by the State Department").
    fn setting_or_source(&self, m: usize) -> bool {
        let doc = self.doc;
        for j in (m.saturating_sub(3)..m).rev() {
            let w = doc.w(j);
            if LOCATIVE.contains(&w) {
                return true;
            }
            if w == "by" && j > 0 && doc.is(j - 1, &["reported", "according", "said", "confirmed"])
                || w == "to" && j > 0 && doc.w(j - 1) == "according"
            {
                return true;
            }
            if !w.chars().all(char::is_lowercase) {
                return false;
            }
        }
        false
    }
}

fn polarity_label(p: Polarity) -> StanceLabel {
    match p {
        Polarity::Negative => StanceLabel::Oppose,
        Polarity::Neutral => StanceLabel::Neutral,
        Polarity::Positive => StanceLabel::Support,
    }
}
