//! The verdict model: which stance, if any, a claim takes toward one of its candidate targets.
//!
//! The rules of [`super::decide`] read who does what to whom, and are right about three times
//! in four when they decide; but they decide for fewer than a third of the stances annotators
//! mark, and cannot say when their own reading is unsafe. The verdict model is a logistic
//! regression over four verdicts (no stance, neutral, support, oppose) for each (claim,
//! target) pair the stage considers. Its features are the rules' decision (rule, label, role,
//! deciding word), the polarity model's reading of the sentence, the target's form (name,
//! pronoun, description) and type, the claim's kind, the words around the mention and the
//! governing word, and the judged, hostile, negating and modal words of its clause.
//!
//! It is trained on `data/train/stance-train.jsonl` (BBC articles outside the dev set, their
//! claims as the claims stage found them, each claim's stances annotated by the dev set's
//! guideline), never on the dev set, which only measures it.

use std::ops::Range;

use super::decide::{ClaimView, Decider, Decision, DEMAND_MODALS, NEGATORS};
use super::linear::{self, feature as h, Feature, ModelError, Weights};
use super::polarity::Polarity;
use super::roles::{self, Role};
use super::targets::Target;
use super::TargetScorer;
use crate::claims::doc::Doc;
use crate::record::EntityType;
use crate::record::{ClaimKind, StanceLabel, StanceRule, TargetRole};

/// What a claim says of a candidate target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// No stance: not an argument of what the claim says, or not a side it can be read to take.
    None,
    /// About the target without taking a side.
    Neutral,
    /// For it.
    Support,
    /// Against it.
    Oppose,
}

impl Verdict {
    /// In class-index order.
    pub const ALL: [Verdict; 4] = [
        Verdict::None,
        Verdict::Neutral,
        Verdict::Support,
        Verdict::Oppose,
    ];

    /// Class index.
    pub fn index(self) -> usize {
        match self {
            Verdict::None => 0,
            Verdict::Neutral => 1,
            Verdict::Support => 2,
            Verdict::Oppose => 3,
        }
    }

    /// The stance label, if the verdict is one.
    pub fn label(self) -> Option<StanceLabel> {
        match self {
            Verdict::None => None,
            Verdict::Neutral => Some(StanceLabel::Neutral),
            Verdict::Support => Some(StanceLabel::Support),
            Verdict::Oppose => Some(StanceLabel::Oppose),
        }
    }

    /// The verdict that is `label`.
    pub fn of(label: StanceLabel) -> Self {
        match label {
            StanceLabel::Neutral => Verdict::Neutral,
            StanceLabel::Support => Verdict::Support,
            StanceLabel::Oppose => Verdict::Oppose,
        }
    }
}

/// Whether the model may overrule `rule`'s reading. The speaker's own stance word governing
/// the target and a demand or prohibition addressed to it are explicit syntax: on the training
/// articles `cue_governs_target` was right 29 times in 30 and `modal_demand` 2 in 2 (no
/// `modal_negation` there), while `judged` was right 13 times in 24, `argument` 29 in 53 and
/// `model` 9 in 16. Too few examples of the firm rules reach the model for it to learn them
/// ("Iran must not draw …" would be overruled), so it weighs only the others.
pub fn overrules(rule: StanceRule) -> bool {
    matches!(rule, StanceRule::Argument)
}

/// The model's verdict on one pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// The most probable verdict.
    pub verdict: Verdict,
    /// Its probability.
    pub probability: f32,
    /// The token of the word feature that pulled hardest toward it, if a word feature did.
    pub decisive: Option<usize>,
}

const MAGIC: &[u8; 8] = b"NEVRD\x00\x00\x01";

/// Fitted weights, one per verdict in [`Verdict::ALL`] order.
#[derive(Debug, Clone, Default)]
pub struct VerdictModel {
    weights: Weights<4>,
}

impl VerdictModel {
    /// The probability of each verdict (in [`Verdict::ALL`] order) for features `feats`.
    pub fn probabilities(&self, feats: &[Feature]) -> [f32; 4] {
        self.weights.probabilities(feats.iter().map(|f| f.hash))
    }

    /// The verdict for a pair with features `feats`.
    pub fn read(&self, feats: &[Feature]) -> Reading {
        let r = self.weights.read(feats, |_| true);
        Reading {
            verdict: Verdict::ALL[r.class],
            probability: r.probability,
            decisive: r.decisive,
        }
    }

    /// Serialises the weights (weights below `prune` dropped).
    pub fn to_bytes(&self, prune: f32) -> Vec<u8> {
        self.weights.to_bytes(MAGIC, prune)
    }

    /// Reads [`VerdictModel::to_bytes`] output.
    pub fn from_bytes(b: &[u8]) -> Result<Self, ModelError> {
        Ok(VerdictModel {
            weights: Weights::from_bytes(MAGIC, b)?,
        })
    }

    /// Number of features with weights.
    pub fn features(&self) -> usize {
        self.weights.len()
    }
}

/// One (claim, target) pair with its verdict, for training.
pub struct Example {
    /// Active features.
    pub features: Vec<Feature>,
    /// The annotated verdict.
    pub verdict: Verdict,
}

/// Fits the verdict model.
pub fn train(examples: &[Example], settings: linear::TrainSettings) -> VerdictModel {
    let examples: Vec<linear::Example> = examples
        .iter()
        .map(|e| linear::Example {
            features: e.features.iter().map(|f| f.hash).collect(),
            class: e.verdict.index(),
        })
        .collect();
    VerdictModel {
        weights: linear::train(&examples, settings),
    }
}

/// A rule's stance stands only if the model gives its label at least this probability (for
/// the rules it [`overrules`]). Chosen by 5-fold cross-validation on the training articles
/// (`train verdict --folds 5`), never on the dev set.
pub const MIN_FOR_RULE: f32 = 0.5;

/// Least probability at which the model's own stance is published where no rule decided.
/// Chosen as [`MIN_FOR_RULE`] was.
pub const MIN_ALONE: f32 = 0.7;

/// The published confidence of a stance decided by `rule` (`Verdict`: the model's own): the
/// precision of such stances in 5-fold cross-validation on the training articles, as the stage
/// publishes them (`train verdict --folds 5`, "published by"), shrunk toward the precision of
/// all of them (0.628) by ten pseudo-counts, since some rules decide only a handful:
/// `(right + 10 × 0.628) / (published + 10)`. Measured then: verdict 50/78, argument 38/58,
/// cue_governs_target 44/60, judged 37/69, modal_demand 3/4, modal_negation 0/1, model 17/31,
/// on BBC articles of every section outside the dev set. On the dev set (politics and business,
/// where the rules were written) they are right more often: its calibration table shows it.
pub fn rule_confidence(rule: StanceRule) -> f64 {
    match rule {
        StanceRule::Verdict => 0.64,
        StanceRule::Argument => 0.65,
        StanceRule::CueGovernsTarget => 0.72,
        StanceRule::Judged => 0.55,
        StanceRule::ModalDemand => 0.66,
        StanceRule::ModalNegation => 0.57,
        StanceRule::Model => 0.57,
    }
}

/// A stance the stage publishes for a pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Published {
    /// The label.
    pub label: StanceLabel,
    /// The model's probability of it.
    pub probability: f32,
    /// The rule whose reading it is, or `None` for the model's own.
    pub rule: Option<StanceRule>,
    /// The model's most decisive word, for its own stances.
    pub decisive: Option<usize>,
}

/// What the stage publishes for a pair with features `feats`, given what the rules read
/// (`rules`): a rule's reading unless the model [`overrules`] it (its label below
/// [`MIN_FOR_RULE`]); where no rule reads a side, the model's own verdict at [`MIN_ALONE`] or
/// above, if `alone_may` allows that label with that decisive word.
pub fn publish(
    model: &VerdictModel,
    feats: &[Feature],
    rules: Option<(StanceRule, StanceLabel)>,
    alone_may: impl Fn(StanceLabel, Option<usize>) -> bool,
) -> Option<Published> {
    if let Some((rule, label)) = rules {
        let q = model.probabilities(feats)[Verdict::of(label).index()];
        return (!overrules(rule) || q >= MIN_FOR_RULE).then_some(Published {
            label,
            probability: q,
            rule: Some(rule),
            decisive: None,
        });
    }
    let r = model.read(feats);
    let label = r.verdict.label()?;
    (r.probability >= MIN_ALONE && alone_may(label, r.decisive)).then_some(Published {
        label,
        probability: r.probability,
        rule: None,
        decisive: r.decisive,
    })
}

/// Training settings: few examples (a few thousand pairs), so features seen once are dropped
/// and the L2 pull is stronger than the polarity model's.
pub fn train_settings() -> linear::TrainSettings {
    linear::TrainSettings {
        epochs: 20,
        learning_rate: 0.05,
        l2: 0.002,
        min_count: 2,
        seed: 0x5eed,
        balanced: false,
    }
}

fn rule_name(r: StanceRule) -> &'static [u8] {
    match r {
        StanceRule::CueGovernsTarget => b"cue",
        StanceRule::ModalNegation => b"modneg",
        StanceRule::ModalDemand => b"moddem",
        StanceRule::Judged => b"judged",
        StanceRule::Argument => b"argument",
        StanceRule::Model => b"model",
        StanceRule::Verdict => b"verdict",
    }
}

fn label_name(l: StanceLabel) -> &'static [u8] {
    match l {
        StanceLabel::Support => b"support",
        StanceLabel::Oppose => b"oppose",
        StanceLabel::Neutral => b"neutral",
    }
}

fn role_name(r: &Role) -> &'static [u8] {
    match r {
        Role::Setting => b"setting",
        Role::Channel => b"channel",
        Role::Modifier => b"modifier",
        Role::Agent {
            passive_by: true, ..
        } => b"agent-by",
        Role::Agent { .. } => b"agent",
        Role::Patient { prep: Some(_), .. } => b"patient-prep",
        Role::Patient { .. } => b"patient",
        Role::Possessor { .. } => b"possessor",
        Role::Other => b"other",
    }
}

fn kind_name(k: ClaimKind) -> &'static [u8] {
    match k {
        ClaimKind::DirectQuote => b"direct",
        ClaimKind::Indirect => b"indirect",
        ClaimKind::Reported => b"reported",
        ClaimKind::Post => b"post",
    }
}

fn type_name(t: EntityType) -> &'static [u8] {
    match t {
        EntityType::Person => b"per",
        EntityType::Org => b"org",
        EntityType::Loc => b"loc",
        _ => b"other",
    }
}

/// A probability in tenths.
fn tenths(p: f32) -> &'static [u8] {
    const B: [&[u8]; 11] = [
        b"0", b"1", b"2", b"3", b"4", b"5", b"6", b"7", b"8", b"9", b"10",
    ];
    B[((p * 10.0) as usize).min(10)]
}

fn small_count(n: usize) -> &'static [u8] {
    match n {
        0 => b"0",
        1 => b"1",
        2 => b"2",
        3..=4 => b"3-4",
        _ => b"5+",
    }
}

/// Where token `i` stands relative to the mention.
fn side(i: usize, mention: &Range<usize>) -> &'static [u8] {
    if i < mention.start {
        b"<"
    } else {
        b">"
    }
}

/// What the pair looks like to the model.
pub struct Pair<'p> {
    /// The candidate target.
    pub target: &'p Target,
    /// Its type.
    pub kind: EntityType,
    /// Its index among the claim's candidates.
    pub nth: usize,
    /// How many candidates the claim has.
    pub candidates: usize,
    /// What the rules decided, if anything.
    pub decision: Option<&'p Decision>,
}

/// What the stage reads of a pair: the model's features, the target's role and its clause.
pub struct PairReading {
    /// The verdict model's features.
    pub features: Vec<Feature>,
    /// The target's role.
    pub role: TargetRole,
    /// The clause (tokens) of the target's mention.
    pub clause: Range<usize>,
}

/// What the stage reads of `pair` in a claim seen as `view`.
pub fn read_pair(
    doc: &Doc<'_>,
    scorer: &TargetScorer,
    decider: &mut Decider<'_, '_>,
    pair: &Pair<'_>,
    view: &ClaimView<'_>,
) -> PairReading {
    let m = &pair.target.mention;
    let part = &pair.target.part;
    let mut out = Vec::with_capacity(64);
    let mut add = |hash: u64, token: Option<usize>| out.push(Feature { hash, token });
    add(h(&[b"bias"]), None);
    let dlabel: &[u8] = match pair.decision {
        Some(d) => {
            add(h(&[b"rule", rule_name(d.rule), label_name(d.label)]), None);
            add(h(&[b"dlabel", label_name(d.label)]), None);
            add(
                h(&[
                    b"dcue",
                    d.cue.to_lowercase().as_bytes(),
                    label_name(d.label),
                ]),
                None,
            );
            label_name(d.label)
        }
        None => {
            add(h(&[b"rule", b"none"]), None);
            b"none"
        }
    };
    let sentence = doc.sentence(m.start);
    let within = part.start.max(sentence.start)..part.end.min(sentence.end);
    let c = roles::clause(doc, m, &within);
    let role = roles::role(doc, m, &c, pair.kind);
    let rname = role_name(&role);
    add(h(&[b"role", rname]), None);
    add(h(&[b"role-dlabel", rname, dlabel]), None);
    let head = match role {
        Role::Agent { verb, .. } => Some(verb),
        Role::Patient { head, .. } | Role::Possessor { head, .. } => Some(head),
        _ => None,
    };
    if let Some(k) = head.filter(|&k| k < doc.len()) {
        add(h(&[b"head", rname, doc.w(k).as_bytes()]), Some(k));
    }
    let form: &[u8] = if doc.mention_at(m.start).is_some() {
        b"name"
    } else if m.len() == 1 {
        b"pronoun"
    } else {
        b"description"
    };
    add(h(&[b"form", form]), None);
    add(h(&[b"type", type_name(pair.kind)]), None);
    add(h(&[b"kind", kind_name(view.kind)]), None);
    add(h(&[b"kind-dlabel", kind_name(view.kind), dlabel]), None);
    if view.denies {
        add(h(&[b"denies"]), None);
    }
    let reading = decider.reading(m);
    let pol: &[u8] = match reading.polarity {
        Polarity::Negative => b"neg",
        Polarity::Neutral => b"neu",
        Polarity::Positive => b"pos",
    };
    add(h(&[b"model", pol, tenths(reading.confidence)]), None);
    add(h(&[b"model-role", pol, rname]), None);
    if let Some(t) = reading.cue_token {
        let k = sentence.start + t;
        if k < doc.len() && c.contains(&k) {
            add(h(&[b"model-word", pol, doc.w(k).as_bytes()]), Some(k));
        }
    }
    // The words just around the mention, within its content part.
    if m.start > part.start {
        add(
            h(&[b"prev", doc.w(m.start - 1).as_bytes()]),
            Some(m.start - 1),
        );
    } else {
        add(h(&[b"prev", b"<part>"]), None);
    }
    if m.end < part.end {
        add(h(&[b"next", doc.w(m.end).as_bytes()]), Some(m.end));
        if m.end + 1 < part.end {
            add(
                h(&[
                    b"next2",
                    doc.w(m.end).as_bytes(),
                    doc.w(m.end + 1).as_bytes(),
                ]),
                Some(m.end + 1),
            );
        }
    } else {
        add(h(&[b"next", b"<part>"]), None);
    }
    // The clause's judged, hostile, negating and modal words, before or after the mention.
    let mut negated = false;
    for k in c.clone().filter(|k| !m.contains(k)) {
        let w = doc.w(k);
        let s = side(k, m);
        add(h(&[b"cw", w.as_bytes()]), Some(k));
        if let Some((entry, v)) = scorer.cues().entry(w) {
            let sign: &[u8] = if v > 0.0 { b"+" } else { b"-" };
            add(h(&[b"ccue", s, sign]), None);
            add(h(&[b"ccue-w", entry.as_bytes()]), Some(k));
        } else if let Some(p) = roles::hostile_act(w) {
            add(h(&[b"chostile", s]), None);
            add(h(&[b"chostile-w", p.as_bytes()]), Some(k));
        } else if let Some(v) = scorer.valence(w).filter(|v| v.abs() >= 1.5) {
            let sign: &[u8] = if v > 0.0 { b"+" } else { b"-" };
            add(h(&[b"cval", s, sign]), None);
            add(h(&[b"cval-w", w.as_bytes()]), Some(k));
        }
        if NEGATORS.contains(&w) {
            negated = true;
            add(h(&[b"cneg", s]), None);
        }
        if DEMAND_MODALS.contains(&w) {
            add(h(&[b"cmodal", s, w.as_bytes()]), Some(k));
        }
    }
    if negated {
        add(h(&[b"cneg-dlabel", dlabel]), None);
    }
    // Where the mention stands: opening its part or clause reads as the subject.
    if m.start <= part.start + 1 {
        add(h(&[b"opens-part"]), None);
    }
    if m.start <= c.start + 1 {
        add(h(&[b"opens-clause", rname]), None);
    }
    add(h(&[b"nth", small_count(pair.nth)]), None);
    add(h(&[b"candidates", small_count(pair.candidates)]), None);
    let role = match role {
        Role::Agent { .. } => TargetRole::Agent,
        Role::Patient { .. } => TargetRole::Patient,
        Role::Possessor { .. } => TargetRole::Possessor,
        _ => TargetRole::Other,
    };
    PairReading {
        features: out,
        role,
        clause: c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feats() -> Vec<Feature> {
        vec![Feature {
            hash: h(&[b"bias"]),
            token: None,
        }]
    }

    #[test]
    fn an_unsure_model_overrules_only_neutral_readings_and_adds_nothing() {
        // A model with no weights gives every verdict 0.25.
        let model = VerdictModel::default();
        let anything = |_: StanceLabel, _: Option<usize>| true;
        let firm = publish(
            &model,
            &feats(),
            Some((StanceRule::Judged, StanceLabel::Oppose)),
            anything,
        )
        .expect("a polar rule's reading stands");
        assert_eq!(firm.rule, Some(StanceRule::Judged));
        assert_eq!(firm.label, StanceLabel::Oppose);
        let neutral = publish(
            &model,
            &feats(),
            Some((StanceRule::Argument, StanceLabel::Neutral)),
            anything,
        );
        assert_eq!(neutral, None, "a neutral reading needs the model's assent");
        assert_eq!(publish(&model, &feats(), None, anything), None);
    }

    #[test]
    fn the_model_alone_decides_only_what_the_stage_allows() {
        // A model that has only ever seen one feature mean "oppose".
        let examples: Vec<Example> = (0..50)
            .map(|_| Example {
                features: feats(),
                verdict: Verdict::Oppose,
            })
            .collect();
        let model = train(&examples, train_settings());
        let p = publish(&model, &feats(), None, |_, _| true).expect("sure enough");
        assert_eq!((p.label, p.rule), (StanceLabel::Oppose, None));
        assert!(p.probability >= MIN_ALONE);
        assert_eq!(publish(&model, &feats(), None, |_, _| false), None);
    }

    #[test]
    fn verdict_models_round_trip_and_refuse_other_files() {
        let model = VerdictModel::default();
        let back = VerdictModel::from_bytes(&model.to_bytes(0.0)).expect("reads back");
        assert_eq!(back.features(), 0);
        assert!(VerdictModel::from_bytes(b"NESTA\x00\x00\x01\x00\x00\x00\x00").is_err());
    }
}
