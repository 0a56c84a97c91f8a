//! Entity extraction: people, organisations, places and nationalities, with canonical names,
//! roles and char offsets.
//!
//! Three steps, each in its own module:
//! 1. [`tokens`]: the body split into CoNLL-style tokens and sentences, with byte offsets.
//! 2. [`Tagger`]: an averaged structured perceptron ([`model`]) over hand-made features
//!    ([`features`]) and gazetteer hits ([`gazetteer`]) labels token spans PER/ORG/LOC/MISC.
//! 3. [`resolve`]: mentions become entities — one per referent in the article, with the longest
//!    name used as canonical, countries linked through aliases and demonyms, roles read from
//!    titles and appositions.
//!
//! The stage is pure and synchronous. The model and gazetteers are compiled into the binary and
//! parsed once per pipeline; the [`EntityStage`] shares them behind an `Arc`.

pub mod conll;
pub mod features;
pub mod gazetteer;
pub mod model;
pub mod resolve;
pub mod tokens;

use std::sync::Arc;

use features::{token_features, SentenceInfo, TokenInfo};
use gazetteer::{Gazetteer, Tags};
use model::{Model, ModelError, Type, LABELS};

pub use resolve::{Entity, EntityType, Mention};

use crate::record::EnrichedRecord;
use crate::stage::{Stage, StageError};

/// The trained model compiled into the binary (`news-enricher train ner` writes it).
const BUNDLED_MODEL: &[u8] = include_bytes!("../../models/ner.bin");

/// Tagger: model plus gazetteer.
#[derive(Debug, Clone)]
pub struct Tagger {
    model: Arc<Model>,
    gazetteer: Arc<Gazetteer>,
}

impl Tagger {
    /// The bundled model and gazetteer.
    pub fn bundled() -> Result<Self, ModelError> {
        Ok(Tagger {
            model: Arc::new(Model::from_bytes(BUNDLED_MODEL)?),
            gazetteer: Arc::new(Gazetteer::bundled()),
        })
    }

    /// A tagger with `model` and the bundled gazetteer (training, evaluation of a model file).
    pub fn with_model(model: Model) -> Self {
        Tagger {
            model: Arc::new(model),
            gazetteer: Arc::new(Gazetteer::bundled()),
        }
    }

    /// The gazetteer.
    pub fn gazetteer(&self) -> &Gazetteer {
        &self.gazetteer
    }

    /// The gazetteer, shared (the claims stage reads which places are states).
    pub fn shared_gazetteer(&self) -> Arc<Gazetteer> {
        Arc::clone(&self.gazetteer)
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Feature hashes of every token of one sentence.
    pub fn sentence_features(&self, words: &[&str]) -> Vec<Vec<u64>> {
        let tags = self.gazetteer.tag(words);
        let infos = infos(words, &tags);
        let s = SentenceInfo::new(&infos);
        (0..infos.len())
            .map(|i| {
                let mut f = Vec::with_capacity(48);
                token_features(&infos, s, i, &mut f);
                f
            })
            .collect()
    }

    /// Entity spans (token index ranges and types) of one sentence.
    pub fn tag_words(&self, words: &[&str]) -> Vec<(usize, usize, Type)> {
        self.tag_words_with(words, &self.gazetteer.tag(words))
    }

    /// [`Tagger::tag_words`] with the sentence's gazetteer tags already computed (the extractor
    /// tags the whole article once).
    pub fn tag_words_with(&self, words: &[&str], tags: &[Tags]) -> Vec<(usize, usize, Type)> {
        if words.is_empty() {
            return Vec::new();
        }
        let infos = infos(words, tags);
        let s = SentenceInfo::new(&infos);
        let mut feats = Vec::with_capacity(48);
        let mut em = vec![[0f32; LABELS]; infos.len()];
        for (i, e) in em.iter_mut().enumerate() {
            feats.clear();
            token_features(&infos, s, i, &mut feats);
            self.model.emissions(&feats, e);
        }
        model::spans(&self.model.viterbi(&em))
    }
}

fn infos(words: &[&str], tags: &[Tags]) -> Vec<TokenInfo> {
    words
        .iter()
        .zip(tags)
        .map(|(w, &t)| TokenInfo::new(w, t))
        .collect()
}

/// The entity stage.
pub struct EntityStage {
    extractor: resolve::Extractor,
}

impl EntityStage {
    /// A stage over `tagger`.
    pub fn new(tagger: Tagger) -> Self {
        EntityStage {
            extractor: resolve::Extractor::new(tagger),
        }
    }
}

impl Stage for EntityStage {
    fn name(&self) -> &'static str {
        "entities"
    }

    fn process(&self, record: &mut EnrichedRecord) -> Result<(), StageError> {
        record.entities = self.extractor.extract(&record.article.body);
        Ok(())
    }
}
