//! Stance tagging: who is for or against whom, built on the claims of the article.
//!
//! Runs after the claims stage (which runs after `entities`). For each claim with a speaker, in
//! the order of the record's `claims`:
//! 1. [`targets`]: the entities the claim's content is about — named, or referred to by a
//!    pronoun or description ([`targets::Referents`]) — other than the speaker, its own side,
//!    and what nested claims of others own.
//! 2. [`roles`]: what each target mention is in its clause — setting, channel, modifier (no
//!    stance), or agent, patient, possessor.
//! 3. [`decide`]: the label the rules read from who does what to whom, or none; the rule and
//!    word that decided are named, the evidence is the claim's sentence within its content.
//! 4. [`verdict`]: a model trained on annotated articles weighs every pair. It may overrule a
//!    neutral reading, and decides alone where no rule did when it is sure enough; the
//!    published confidence is the deciding rule's precision measured on those articles.
//! 5. [`merge`]: a stance repeated word for word counts once, and a rule overrules the model.
//!
//! A claim that denies (or lies in a denial by the same speaker) takes no side. Each stance
//! names its claim (`claim`, an index into `claims`). The stage is pure and synchronous; model
//! and lexicons are compiled into the binary. [`gold`] scores stances against the annotated
//! dev set.

pub mod decide;
pub mod gold;
pub mod linear;
pub mod merge;
pub mod newsmtsc;
pub mod polarity;
pub mod roles;
pub mod targets;
pub mod verdict;

use std::ops::Range;
use std::sync::Arc;

use polarity::{Feature, Lexicon, Model, Prediction, Sentence};
use verdict::{Pair, VerdictModel};

use crate::claims::cues::CueLexicon;
use crate::claims::doc::Doc;
use crate::claims::sources::FirstNames;
use crate::claims::words::WordClasses;
use crate::entities::tokens::{tokenize, Token};
use crate::record::{Claim, Stance, StanceLabel, StanceRule, TargetRole};
use crate::record::{Entity, EntityType};
use std::collections::HashMap;

const BUNDLED_MODEL: &[u8] = include_bytes!("../../models/stance.bin");
const BUNDLED_VERDICT: &[u8] = include_bytes!("../../models/verdict.bin");
const SENTIMENT_TSV: &str = include_str!("../../data/lexicons/sentiment.tsv");
const CUES_TSV: &str = include_str!("../../data/lexicons/stance_cues.tsv");

/// The polarity model with its lexicons: scores how a sentence positions a target.
#[derive(Debug, Clone)]
pub struct TargetScorer {
    model: Arc<Model>,
    verdict: Arc<VerdictModel>,
    sentiment: Arc<Lexicon>,
    cues: Arc<Lexicon>,
    attribution: Arc<CueLexicon>,
    names: Arc<FirstNames>,
    words: Arc<WordClasses>,
}

impl TargetScorer {
    /// The bundled model and lexicons.
    pub fn bundled() -> Result<Self, polarity::ModelError> {
        Ok(Self::with_model(Model::from_bytes(BUNDLED_MODEL)?)
            .with_verdict(VerdictModel::from_bytes(BUNDLED_VERDICT)?))
    }

    /// This scorer with `verdict` as its verdict model (training, evaluating a model file).
    pub fn with_verdict(self, verdict: VerdictModel) -> Self {
        TargetScorer {
            verdict: Arc::new(verdict),
            ..self
        }
    }

    /// `model` with the bundled lexicons (training, evaluating a model file).
    pub fn with_model(model: Model) -> Self {
        TargetScorer {
            model: Arc::new(model),
            verdict: Arc::new(VerdictModel::default()),
            sentiment: Arc::new(Lexicon::parse(SENTIMENT_TSV)),
            cues: Arc::new(Lexicon::parse(CUES_TSV)),
            attribution: Arc::new(CueLexicon::bundled()),
            names: Arc::new(FirstNames::parse(crate::claims::FIRST_NAMES_TSV)),
            words: Arc::new(WordClasses::new()),
        }
    }

    /// Sentiment valence of a lower-case word, if listed.
    pub fn valence(&self, lower: &str) -> Option<f32> {
        self.sentiment.get(lower)
    }

    /// Whether a lower-case word (with the next one) is a verb of saying, thinking or holding
    /// a position: what its subject then says is a claim of its own.
    pub fn is_attribution_cue(&self, lower: &str, next: &str) -> bool {
        self.attribution.at(lower, Some(next)).is_some()
    }

    /// The stance-cue lexicon.
    pub fn cues(&self) -> &Lexicon {
        &self.cues
    }

    /// The word classes the scorer reads (the claim finder reads the same ones).
    pub fn words(&self) -> &WordClasses {
        &self.words
    }

    /// The article as the stage reads it.
    pub fn doc<'a>(&self, body: &'a str, entities: &'a [Entity]) -> Doc<'a> {
        Doc::with_classes(body, entities, &self.words)
    }

    /// Prepares tokens of one sentence for scoring.
    pub fn sentence(&self, tokens: &[Token<'_>]) -> Sentence {
        Sentence::new(tokens, &self.sentiment, &self.cues)
    }

    /// How `s` positions target tokens `ts..te`.
    pub fn score(&self, s: &Sentence, ts: usize, te: usize) -> Prediction {
        self.model.predict(s, &polarity::features(s, ts, te))
    }

    /// Features of the target at chars `from..to` of a standalone sentence.
    pub fn sentence_features(
        &self,
        sentence: &str,
        from: usize,
        to: usize,
    ) -> Vec<polarity::Feature> {
        let tokens = tokenize(sentence);
        let (ts, te) = token_range(sentence, &tokens, from, to);
        polarity::features(&self.sentence(&tokens), ts, te)
    }

    /// How a standalone sentence positions the target at chars `from..to` (`eval stance`).
    pub fn score_sentence(&self, sentence: &str, from: usize, to: usize) -> Prediction {
        let tokens = tokenize(sentence);
        let (ts, te) = token_range(sentence, &tokens, from, to);
        self.score(&self.sentence(&tokens), ts, te)
    }
}

/// Tokens covering chars `from..to` of `text` (at least one token when there are any).
pub fn token_range(text: &str, tokens: &[Token<'_>], from: usize, to: usize) -> (usize, usize) {
    let byte = |c: usize| text.char_indices().nth(c).map_or(text.len(), |(b, _)| b);
    let (fb, tb) = (byte(from), byte(to));
    let ts = tokens
        .iter()
        .position(|t| t.end > fb)
        .unwrap_or(tokens.len().saturating_sub(1));
    let te = tokens
        .iter()
        .rposition(|t| t.start < tb)
        .map_or(ts + 1, |i| i + 1)
        .max(ts + 1)
        .min(tokens.len().max(ts + 1));
    (ts, te)
}

/// Cue lemmas by which a claim denies what it reports: it takes no side on it.
const DENIALS: &[&str] = &["deni", "deny", "refut", "rebut"];

/// Which claims deny ("denied that …"), or lie inside a denial by the same speaker ("denied
/// that he had attacked Labour"): they take no side on what they say. One pass over the claims
/// in text order of their content, remembering how far each speaker's latest denial reaches.
fn denied_claims(claims: &[Claim]) -> Vec<bool> {
    let denial = |c: &Claim| {
        c.cue.as_ref().is_some_and(|cue| {
            let w = cue.text.to_lowercase();
            DENIALS.iter().any(|d| w.starts_with(d))
        })
    };
    let mut reach: HashMap<Option<&str>, usize> = HashMap::new();
    claims
        .iter()
        .map(|c| {
            let speaker = c.speaker.as_deref();
            let inside = reach.get(&speaker).is_some_and(|&end| c.content.end <= end);
            let own = denial(c);
            if own {
                let end = reach.entry(speaker).or_default();
                *end = (*end).max(c.content.end);
            }
            own || inside
        })
        .collect()
}

/// One (claim, target) pair the stage considers, with what the rules and the verdict model's
/// features make of it.
pub struct Candidate {
    /// Index into the claims.
    pub claim: usize,
    /// The speaker (index into the entities).
    pub speaker: usize,
    /// The target.
    pub target: targets::Target,
    /// What the rules decided, if anything.
    pub decision: Option<decide::Decision>,
    /// The target's role as the rules parse it.
    pub role: TargetRole,
    /// The clause (tokens) of the target's mention.
    pub clause: Range<usize>,
    /// The verdict model's features.
    pub features: Vec<Feature>,
}

/// Every candidate pair of the article's `claims` (in record order), in text order within a
/// claim. `doc` is the article with its entities.
pub fn candidates(doc: &Doc<'_>, claims: &[Claim], scorer: &TargetScorer) -> Vec<Candidate> {
    let entities = doc.entities;
    let referents = targets::Referents::new(doc, &scorer.names);
    let mut decider = decide::Decider::new(doc, scorer);
    let by_name: HashMap<(&str, EntityType), usize> = entities
        .iter()
        .enumerate()
        .map(|(k, e)| ((e.name.as_str(), e.kind), k))
        .collect();
    let denied = denied_claims(claims);
    let mut out = Vec::new();
    for (ci, claim) in claims.iter().enumerate() {
        // The entity the speaker names (canonical names are unique per type).
        let (Some(name), Some(kind)) = (claim.speaker.as_deref(), claim.speaker_type) else {
            continue;
        };
        let Some(&speaker) = by_name.get(&(name, kind)) else {
            continue;
        };
        let cue = claim.cue.as_ref().map(|c| doc.tokens_in(c.start, c.end));
        let denies = denied[ci];
        // The speaker, an entity of the same name (the entity stage may type one name two ways
        // in a garbled text), and the speaker's own side.
        let own = |e: usize| {
            e == speaker
                || entities[e].name == entities[speaker].name
                || targets::affiliated(&entities[speaker], &entities[e])
        };
        let view = decide::ClaimView {
            kind: claim.kind,
            cue,
            denies,
            own: &own,
        };
        let found: Vec<targets::Target> = targets::targets(doc, &referents, claims, ci, speaker)
            .into_iter()
            .filter(|t| !own(t.entity))
            .collect();
        let n = found.len();
        for (nth, t) in found.into_iter().enumerate() {
            let kind = entities[t.entity].kind;
            let decision = decider.decide(&t.mention, kind, &t.part, &view);
            let pair = Pair {
                target: &t,
                kind,
                nth,
                candidates: n,
                decision: decision.as_ref(),
            };
            let read = verdict::read_pair(doc, scorer, &mut decider, &pair, &view);
            out.push(Candidate {
                claim: ci,
                speaker,
                role: decision.as_ref().map_or(read.role, |d| d.role),
                clause: read.clause,
                target: t,
                decision,
                features: read.features,
            });
        }
    }
    out
}

/// The stances of an article, built on its `claims` (in record order; each stance names its
/// claim by index).
pub fn stances(
    body: &str,
    entities: &[Entity],
    claims: &[Claim],
    scorer: &TargetScorer,
) -> Vec<Stance> {
    if entities.is_empty() || claims.is_empty() {
        return Vec::new();
    }
    stances_in(&scorer.doc(body, entities), claims, scorer)
}

/// [`stances`] over a doc already made (classified with the scorer's word classes).
pub fn stances_in(doc: &Doc<'_>, claims: &[Claim], scorer: &TargetScorer) -> Vec<Stance> {
    let entities = doc.entities;
    if entities.is_empty() || claims.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for c in candidates(doc, claims, scorer) {
        let rules = c.decision.as_ref().map(|d| (d.rule, d.label));
        // Alone, the model decides only an argument of the content, and a side only by a word
        // of the target's own clause that judges it (as the `model` rule).
        let alone_may = |label: StanceLabel, decisive: Option<usize>| {
            c.role != TargetRole::Other
                && (label == StanceLabel::Neutral
                    || decisive.is_some_and(|k| {
                        c.clause.contains(&k)
                            && !c.target.mention.contains(&k)
                            && decide::may_judge(doc, k)
                    }))
        };
        let Some(p) = verdict::publish(&scorer.verdict, &c.features, rules, alone_may) else {
            continue;
        };
        let label = p.label;
        // A rule's reading explains its stance; the model's most decisive word its own.
        let (rule, cue) = match (p.rule, &c.decision) {
            (Some(rule), Some(d)) => (rule, d.cue.clone()),
            _ => (
                StanceRule::Verdict,
                p.decisive
                    .map_or_else(String::new, |k| doc.tokens[k].text.to_owned()),
            ),
        };
        let t = &c.target;
        let sentence = doc.sentence(t.mention.start);
        let ev = sentence.start.max(t.part.start)..sentence.end.min(t.part.end);
        let sp = &entities[c.speaker];
        let target = &entities[t.entity];
        out.push(Stance {
            claim: c.claim,
            speaker: sp.name.clone(),
            speaker_type: sp.kind,
            target: target.name.clone(),
            target_type: target.kind,
            target_mention: doc.span(t.mention.clone()),
            role: c.role,
            stance: label,
            confidence: verdict::rule_confidence(rule),
            evidence: doc.span(ev),
            cue,
            rule,
            kind: claims[c.claim].kind,
        });
    }
    merge::merge(out)
}
