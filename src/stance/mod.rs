//! Stance tagging: who says what for or against whom, with the evidence quote.
//!
//! Built on the entity stage's output (it must run after `entities`):
//! 1. [`claims`] finds what is said and by whom: direct quotes (straight or curly, across
//!    sentences, attributed before or after), posts ("posted on X"), indirect speech ("X said
//!    that …", "X warned …") and reported positions ("Iran has accused Israel of …").
//! 2. Speakers resolve to entities: a name in the attribution, a title-only reference ("the
//!    British Foreign Minister" → the person with that role), a pronoun (the nearest earlier
//!    compatible speaker), or a country or organisation acting as a body.
//! 3. Targets are the other entities mentioned in the claim.
//! 4. [`TargetScorer`] decides the stance toward each target: a stance cue governing the target
//!    ("commitment to Israel's security", "threats from Iran", "Iran must not"), negation
//!    flipping it, else the NewsMTSC-fitted [`polarity`] model; the cue that decided is named.
//!
//! The stage is pure and synchronous; model and lexicons are compiled into the binary.

pub mod claims;
pub mod newsmtsc;
pub mod polarity;

use std::sync::Arc;

use polarity::{Lexicon, Model, Prediction, Sentence};

use crate::entities::tokens::{tokenize, Token};

const BUNDLED_MODEL: &[u8] = include_bytes!("../../models/stance.bin");
const SENTIMENT_TSV: &str = include_str!("../../data/lexicons/sentiment.tsv");
const CUES_TSV: &str = include_str!("../../data/lexicons/stance_cues.tsv");

/// The polarity model with its lexicons: scores how a sentence positions a target.
#[derive(Debug, Clone)]
pub struct TargetScorer {
    model: Arc<Model>,
    sentiment: Arc<Lexicon>,
    cues: Arc<Lexicon>,
}

impl TargetScorer {
    /// The bundled model and lexicons.
    pub fn bundled() -> Result<Self, polarity::ModelError> {
        Ok(Self::with_model(Model::from_bytes(BUNDLED_MODEL)?))
    }

    /// `model` with the bundled lexicons (training, evaluating a model file).
    pub fn with_model(model: Model) -> Self {
        TargetScorer {
            model: Arc::new(model),
            sentiment: Arc::new(Lexicon::parse(SENTIMENT_TSV)),
            cues: Arc::new(Lexicon::parse(CUES_TSV)),
        }
    }

    /// The stance-cue lexicon.
    pub fn cues(&self) -> &Lexicon {
        &self.cues
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

/// The stance stage. Runs after the entity stage, whose entities it reads.
pub struct StanceStage {
    scorer: TargetScorer,
}

impl StanceStage {
    /// A stage over `scorer`.
    pub fn new(scorer: TargetScorer) -> Self {
        StanceStage { scorer }
    }
}

impl crate::stage::Stage for StanceStage {
    fn name(&self) -> &'static str {
        "stance"
    }

    fn process(
        &self,
        record: &mut crate::record::EnrichedRecord,
    ) -> Result<(), crate::stage::StageError> {
        record.stances = claims::stances(
            &record.article.body,
            &record.entities,
            &record.dedup.repeated_paragraphs,
            &self.scorer,
        );
        Ok(())
    }
}

pub use claims::{ClaimKind, Evidence, Stance, StanceLabel, StanceRule};
