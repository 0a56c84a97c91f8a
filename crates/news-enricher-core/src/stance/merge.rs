//! Merging: what the stances of an article say once.
//! * The same words quoted again (in full or in part) by the same speaker about the same
//!   target with the same stance are one stance: the first.
//! * Within one claim, contradicting sides are a concession and its point: the later one
//!   stands ("he is clever, but he is not wise").
//! * A cue or polar rule is evidence the model is not: where they disagree about a
//!   speaker–target pair, the model's stance gives way. A neutral argument does not overrule
//!   it: mentioning a target in one clause says nothing against a side taken in another.

use std::collections::HashMap;

use crate::record::{Stance, StanceLabel, StanceRule};

/// Earlier evidence of the same speaker, target and stance a new one is compared with.
const MAX_COMPARED: usize = 32;

/// Evidence text without quotation marks, for comparing repeats.
fn normalised_evidence(t: &str) -> String {
    t.replace(['“', '”', '"'], "").trim().to_owned()
}

/// `stances` (in claim order) with repeats and overruled model stances removed.
pub fn merge(stances: Vec<Stance>) -> Vec<Stance> {
    // Compared only within the same speaker, target and stance, so long articles stay linear-ish.
    let mut seen: HashMap<(String, String, StanceLabel), Vec<String>> = HashMap::new();
    let mut out: Vec<Stance> = Vec::with_capacity(stances.len());
    for s in stances {
        let mine = normalised_evidence(&s.evidence.text);
        let theirs = seen
            .entry((s.speaker.clone(), s.target.clone(), s.stance))
            .or_default();
        // The latest few suffice: a repeat follows what it repeats, and a bound keeps an article
        // that says the same thing thousands of times linear.
        if theirs
            .iter()
            .rev()
            .take(MAX_COMPARED)
            .any(|t| t.contains(&mine) || mine.contains(t.as_str()))
        {
            continue;
        }
        theirs.push(mine);
        out.push(s);
    }
    let mut ruled: HashMap<(String, String), Vec<StanceLabel>> = HashMap::new();
    // A neutral argument is no evidence against a side taken elsewhere: only a polar rule
    // overrules the model.
    for s in out.iter().filter(|s| {
        !matches!(
            s.rule,
            StanceRule::Model | StanceRule::Argument | StanceRule::Verdict
        )
    }) {
        let labels = ruled
            .entry((s.speaker.clone(), s.target.clone()))
            .or_default();
        if !labels.contains(&s.stance) {
            labels.push(s.stance);
        }
    }
    out.retain(|s| {
        !matches!(s.rule, StanceRule::Model | StanceRule::Verdict)
            || ruled
                .get(&(s.speaker.clone(), s.target.clone()))
                .is_none_or(|labels| labels.iter().all(|l| *l == s.stance))
    });
    // Within one claim, sides that contradict each other are a concession and its point ("he
    // is clever, but he is not wise"; "whilst I disagree with his views, it is extraordinary
    // to sack him"): the later side is the one the speaker takes.
    let mut last_side: HashMap<(usize, &str, &str), (usize, StanceLabel)> = HashMap::new();
    for s in out.iter().filter(|s| s.stance != StanceLabel::Neutral) {
        let at = s.target_mention.start;
        let e = last_side
            .entry((s.claim, s.speaker.as_str(), s.target.as_str()))
            .or_insert((at, s.stance));
        if at >= e.0 {
            *e = (at, s.stance);
        }
    }
    let keep: Vec<bool> = out
        .iter()
        .map(|s| {
            s.stance == StanceLabel::Neutral
                || last_side
                    .get(&(s.claim, s.speaker.as_str(), s.target.as_str()))
                    .is_none_or(|&(_, l)| l == s.stance)
        })
        .collect();
    let mut keep = keep.into_iter();
    out.retain(|_| keep.next().unwrap_or(true));
    out
}
