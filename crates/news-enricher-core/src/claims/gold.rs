//! Scoring claims against a hand-annotated set (`data/eval/attribution-dev.jsonl`, format in
//! `data/eval/attribution-guideline.md`): the `eval claims` command's arithmetic.
//!
//! * **Content**: a predicted claim matches a gold claim when their contents overlap (any part
//!   with any part); pairs are matched one to one, largest overlap first. Precision, recall and
//!   F1 count matched claims.
//! * **Speaker** on matched claims: right when both are null, or when the gold name and the
//!   predicted speaker name the same entity — equal after dropping case, "the", honorifics and
//!   punctuation, one a word-suffix of the other ("Blair" / "Tony Blair"), or the gold name is
//!   one of the predicted entity's mentions.
//! * Reported overall, by gold kind, for the gold claims whose speaker is named, for claims
//!   whose speaker is named on both sides (matched among themselves), and as speaker precision
//!   (of matched claims that name a speaker, the share naming the right one).

use serde::Deserialize;

use crate::record::{ClaimKind, StanceLabel};

/// A span as annotated or predicted (char offsets).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GoldSpan {
    /// Char offset of its start.
    pub start: usize,
    /// Char offset one past its end.
    pub end: usize,
    /// The text (checked against the body when reading gold).
    #[serde(default)]
    pub text: Option<String>,
}

/// One annotated (or predicted) claim.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GoldClaim {
    /// Kind.
    pub kind: ClaimKind,
    /// The source's words, if any.
    #[serde(default)]
    pub source: Option<GoldSpan>,
    /// The cue's words, if any.
    #[serde(default)]
    pub cue: Option<GoldSpan>,
    /// The content.
    pub content: GoldSpan,
    /// Later content parts.
    #[serde(default)]
    pub content_parts: Vec<GoldSpan>,
    /// Canonical name of the speaker, or null.
    #[serde(default)]
    pub speaker: Option<String>,
    /// The stances the speaker takes in this claim (`data/eval/stance-guideline.md`).
    #[serde(default)]
    pub stances: Vec<GoldStance>,
}

/// One annotated stance of a claim's speaker.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GoldStance {
    /// Canonical name of the target.
    pub target: String,
    /// For, against or neither.
    pub label: StanceLabel,
    /// The words in the content that name the target.
    #[serde(default)]
    pub mention: Option<String>,
}

/// One annotated article.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GoldArticle {
    /// Article id.
    pub id: String,
    /// The body the offsets point into.
    pub body: String,
    /// Its claims in text order.
    pub claims: Vec<GoldClaim>,
}

/// Why a gold file was refused.
#[derive(Debug, thiserror::Error)]
pub enum GoldError {
    /// A line is not a gold article.
    #[error("line {line}: {source}")]
    Json {
        /// 1-based line.
        line: usize,
        /// What serde said.
        source: serde_json::Error,
    },
    /// A span's offsets do not cut its text out of the body.
    #[error("line {line} ({id}): span {start}..{end} does not cut {text:?} out of the body")]
    Span {
        /// 1-based line.
        line: usize,
        /// Article id.
        id: String,
        /// Start.
        start: usize,
        /// End.
        end: usize,
        /// The annotated text.
        text: String,
    },
}

/// Reads a gold file (JSON Lines), checking every span against its body.
pub fn read(text: &str) -> Result<Vec<GoldArticle>, GoldError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let a: GoldArticle = serde_json::from_str(line).map_err(|source| GoldError::Json {
            line: n + 1,
            source,
        })?;
        let chars: Vec<char> = a.body.chars().collect();
        for c in &a.claims {
            let spans = [c.source.as_ref(), c.cue.as_ref(), Some(&c.content)]
                .into_iter()
                .flatten()
                .chain(&c.content_parts);
            for s in spans {
                let cut: Option<String> = chars.get(s.start..s.end).map(|c| c.iter().collect());
                if let Some(text) = &s.text {
                    if cut.as_deref() != Some(text.as_str()) {
                        return Err(GoldError::Span {
                            line: n + 1,
                            id: a.id.clone(),
                            start: s.start,
                            end: s.end,
                            text: text.clone(),
                        });
                    }
                }
            }
        }
        out.push(a);
    }
    Ok(out)
}

/// A predicted claim as the scorer sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Predicted {
    /// Content and later parts, char ranges.
    pub spans: Vec<(usize, usize)>,
    /// Speaker name, if any.
    pub speaker: Option<String>,
    /// Other names of the same speaker (the entity's mentions).
    pub aliases: Vec<String>,
    /// The source's char range, if any.
    pub source: Option<(usize, usize)>,
}

/// `a / b`, 0 when `b` is 0.
pub fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Counts of one slice of the evaluation. `predicted` is counted only where the slice is
/// restricted on both sides (claims with named speakers); a slice by gold kind has no
/// predicted side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Gold claims in the slice.
    pub gold: usize,
    /// Predicted claims in the slice.
    pub predicted: usize,
    /// Gold claims matched by a prediction.
    pub matched: usize,
    /// Matched claims whose speaker is right.
    pub speaker_right: usize,
}

impl Counts {
    /// Matched / predicted.
    pub fn precision(&self) -> f64 {
        ratio(self.matched, self.predicted)
    }

    /// Matched / gold.
    pub fn recall(&self) -> f64 {
        ratio(self.matched, self.gold)
    }

    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        f1(self.precision(), self.recall())
    }

    /// Right speakers / matched.
    pub fn speaker_accuracy(&self) -> f64 {
        ratio(self.speaker_right, self.matched)
    }
}

/// The harmonic mean of precision and recall, 0 when both are.
pub fn f1(p: f64, r: f64) -> f64 {
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

/// The whole evaluation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Articles scored.
    pub articles: usize,
    /// Predicted claims.
    pub predicted: usize,
    /// Overall counts.
    pub overall: Counts,
    /// By gold kind: direct_quote, indirect, reported, post.
    pub by_kind: [Counts; 4],
    /// Gold claims with a named speaker.
    pub named: Counts,
    /// Matched predictions that name a speaker.
    pub named_predictions: usize,
    /// … and of those, the ones naming the right speaker.
    pub named_predictions_right: usize,
    /// Claims with a named speaker on both sides, matched among themselves.
    pub named_only: Counts,
    /// Matched predictions with a source span where the gold claim has one too.
    pub sourced: usize,
    /// … and of those, the ones whose source overlaps the gold source.
    pub sourced_right: usize,
}

impl Report {
    /// Content precision.
    pub fn precision(&self) -> f64 {
        ratio(self.overall.matched, self.predicted)
    }

    /// Content recall.
    pub fn recall(&self) -> f64 {
        self.overall.recall()
    }

    /// Content F1.
    pub fn f1(&self) -> f64 {
        f1(self.precision(), self.recall())
    }

    /// Of matched predictions naming a speaker, the share naming the right one.
    pub fn speaker_precision(&self) -> f64 {
        ratio(self.named_predictions_right, self.named_predictions)
    }

    /// Of matched predictions with a source span (where the gold has one), the share whose
    /// span overlaps the gold source: credit for pointing at the right words even unresolved
    /// ("he"), the measure a quote extractor without coreference can be held to.
    pub fn source_precision(&self) -> f64 {
        ratio(self.sourced_right, self.sourced)
    }
}

/// Index of a kind in [`Report::by_kind`].
pub fn kind_index(k: ClaimKind) -> usize {
    match k {
        ClaimKind::DirectQuote => 0,
        ClaimKind::Indirect => 1,
        ClaimKind::Reported => 2,
        ClaimKind::Post => 3,
    }
}

fn normalise_name(s: &str) -> Vec<String> {
    const DROP: &[&str] = &[
        "the",
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "sir",
        "dame",
        "prof",
        "professor",
    ];
    s.split(|c: char| c.is_whitespace() || c == '-')
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .replace(['’', '\''], "")
                .to_lowercase()
        })
        .filter(|w| !w.is_empty() && !DROP.contains(&w.as_str()))
        .collect()
}

/// Whether two names name the same entity: equal after dropping case, "the", honorifics and
/// punctuation, or one a word-suffix of the other ("Blair" / "Tony Blair").
pub fn names_agree(a: &str, b: &str) -> bool {
    let (a, b) = (normalise_name(a), normalise_name(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    a == b || a.ends_with(&b) || b.ends_with(&a)
}

/// Whether a predicted speaker is the gold one.
pub fn speaker_right(gold: Option<&str>, p: &Predicted) -> bool {
    match (gold, p.speaker.as_deref()) {
        (None, None) => true,
        (Some(g), Some(s)) => names_agree(g, s) || p.aliases.iter().any(|a| names_agree(g, a)),
        _ => false,
    }
}

fn overlap(a: &[(usize, usize)], b: &[(usize, usize)]) -> usize {
    let mut n = 0;
    for &(s1, e1) in a {
        for &(s2, e2) in b {
            n += e1.min(e2).saturating_sub(s1.max(s2));
        }
    }
    n
}

/// Pairs of (gold index, predicted index) matched one to one by content overlap, largest
/// overlap first.
fn match_claims(gold: &[&GoldClaim], predicted: &[&Predicted]) -> Vec<(usize, usize)> {
    let mut pairs: Vec<(usize, usize, usize)> = Vec::new();
    for (gi, g) in gold.iter().enumerate() {
        let gs: Vec<(usize, usize)> = std::iter::once(&g.content)
            .chain(&g.content_parts)
            .map(|s| (s.start, s.end))
            .collect();
        for (pi, p) in predicted.iter().enumerate() {
            let o = overlap(&gs, &p.spans);
            if o > 0 {
                pairs.push((o, gi, pi));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut gold_taken = vec![false; gold.len()];
    let mut pred_taken = vec![false; predicted.len()];
    let mut out = Vec::new();
    for (_, gi, pi) in pairs {
        if gold_taken[gi] || pred_taken[pi] {
            continue;
        }
        gold_taken[gi] = true;
        pred_taken[pi] = true;
        out.push((gi, pi));
    }
    out
}

/// Adds one article's gold and predicted claims to `report`.
pub fn score_article(report: &mut Report, gold: &[GoldClaim], predicted: &[Predicted]) {
    report.articles += 1;
    report.predicted += predicted.len();
    for g in gold {
        report.overall.gold += 1;
        report.by_kind[kind_index(g.kind)].gold += 1;
        if g.speaker.is_some() {
            report.named.gold += 1;
        }
    }
    let all_gold: Vec<&GoldClaim> = gold.iter().collect();
    let all_predicted: Vec<&Predicted> = predicted.iter().collect();
    for (gi, pi) in match_claims(&all_gold, &all_predicted) {
        let g = &gold[gi];
        let p = &predicted[pi];
        let right = speaker_right(g.speaker.as_deref(), p);
        for c in [
            Some(&mut report.overall),
            Some(&mut report.by_kind[kind_index(g.kind)]),
            g.speaker.is_some().then_some(&mut report.named),
        ]
        .into_iter()
        .flatten()
        {
            c.matched += 1;
            c.speaker_right += usize::from(right);
        }
        if p.speaker.is_some() {
            report.named_predictions += 1;
            report.named_predictions_right += usize::from(right);
        }
        if let (Some((ps, pe)), Some(gs)) = (p.source, g.source.as_ref()) {
            report.sourced += 1;
            report.sourced_right += usize::from(ps < gs.end && gs.start < pe);
        }
    }
    // The same, keeping only claims whose speaker is named on each side.
    let named_gold: Vec<&GoldClaim> = gold.iter().filter(|g| g.speaker.is_some()).collect();
    let named_predicted: Vec<&Predicted> =
        predicted.iter().filter(|p| p.speaker.is_some()).collect();
    let n = &mut report.named_only;
    n.gold += named_gold.len();
    n.predicted += named_predicted.len();
    for (gi, pi) in match_claims(&named_gold, &named_predicted) {
        n.matched += 1;
        n.speaker_right += usize::from(speaker_right(
            named_gold[gi].speaker.as_deref(),
            named_predicted[pi],
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gold(start: usize, end: usize, speaker: Option<&str>) -> GoldClaim {
        GoldClaim {
            kind: ClaimKind::DirectQuote,
            source: None,
            cue: None,
            content: GoldSpan {
                start,
                end,
                text: None,
            },
            content_parts: Vec::new(),
            speaker: speaker.map(str::to_owned),
            stances: Vec::new(),
        }
    }

    fn pred(start: usize, end: usize, speaker: Option<&str>) -> Predicted {
        Predicted {
            spans: vec![(start, end)],
            speaker: speaker.map(str::to_owned),
            aliases: Vec::new(),
            source: None,
        }
    }

    #[test]
    fn overlap_matching_is_one_to_one_and_scores_speakers() {
        let g = [
            gold(0, 10, Some("Tony Blair")),
            gold(20, 30, None),
            gold(40, 50, Some("Treasury")),
        ];
        let p = [
            pred(2, 12, Some("Mr Blair")),
            pred(5, 9, Some("Tony Blair")),
            pred(22, 25, Some("Labour")),
            pred(60, 70, None),
        ];
        let mut r = Report::default();
        score_article(&mut r, &g, &p);
        assert_eq!(r.overall.gold, 3);
        assert_eq!(r.predicted, 4);
        assert_eq!(r.overall.matched, 2);
        assert_eq!(r.overall.speaker_right, 1, "Blair right, Labour wrong");
        assert_eq!(r.named.matched, 1);
        assert!((r.precision() - 0.5).abs() < 1e-9);
        assert!((r.recall() - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!((r.named_predictions, r.named_predictions_right), (2, 1));
        // Named on both sides: gold Blair and Treasury, predicted Blair (twice) and Labour.
        assert_eq!(r.named_only.gold, 2);
        assert_eq!(r.named_only.predicted, 3);
        assert_eq!(r.named_only.matched, 1);
        assert_eq!(r.named_only.speaker_right, 1);
    }

    #[test]
    fn speaker_names_agree_across_forms() {
        assert!(speaker_right(
            Some("Tony Blair"),
            &pred(0, 1, Some("Blair"))
        ));
        assert!(speaker_right(Some("the CBI"), &pred(0, 1, Some("CBI"))));
        assert!(!speaker_right(
            Some("Gordon Brown"),
            &pred(0, 1, Some("Tony Blair"))
        ));
        assert!(speaker_right(None, &pred(0, 1, None)));
        assert!(!speaker_right(None, &pred(0, 1, Some("Labour"))));
        let mut p = pred(0, 1, Some("United Kingdom"));
        p.aliases.push("Britain".into());
        assert!(speaker_right(Some("Britain"), &p));
    }

    #[test]
    fn spans_that_do_not_cut_their_text_are_refused() {
        let ok = r#"{"id":"a","body":"He said yes.","claims":[{"kind":"indirect","content":{"start":8,"end":11,"text":"yes"},"speaker":null}]}"#;
        assert_eq!(read(ok).unwrap()[0].claims.len(), 1);
        let bad = ok.replace("\"start\":8", "\"start\":7");
        assert!(matches!(read(&bad), Err(GoldError::Span { .. })));
    }
}
