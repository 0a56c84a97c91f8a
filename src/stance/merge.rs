//! Merging: what the stances of an article say once.
//! * The same words quoted again (in full or in part) by the same speaker about the same
//!   target with the same stance are one stance: the first.
//! * A cue or rule is evidence the model is not: where they disagree about a speaker–target
//!   pair, the model's stance gives way.

use std::collections::HashMap;

use crate::record::{Stance, StanceLabel, StanceRule};

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
        if theirs
            .iter()
            .any(|t| t.contains(&mine) || mine.contains(t.as_str()))
        {
            continue;
        }
        theirs.push(mine);
        out.push(s);
    }
    let ruled: Vec<(String, String, StanceLabel)> = out
        .iter()
        .filter(|s| s.rule != StanceRule::Model)
        .map(|s| (s.speaker.clone(), s.target.clone(), s.stance))
        .collect();
    out.retain(|s| {
        s.rule != StanceRule::Model
            || !ruled
                .iter()
                .any(|(sp, t, l)| *sp == s.speaker && *t == s.target && *l != s.stance)
    });
    out
}
