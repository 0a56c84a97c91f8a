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
//! parsed once per pipeline; every stage built from one tagger shares them behind an `Arc`.

pub mod conll;
pub mod features;
pub mod gazetteer;
pub mod model;
pub mod resolve;
pub mod tokens;

use std::collections::HashMap;
use std::sync::Arc;

use features::{context_features, SentenceInfo, TokenInfo};
use gazetteer::{Gazetteer, Tags};
use model::{Model, ModelError, Type, LABELS};

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

    /// Feature hashes of every token of one sentence (training and evaluation): each token's
    /// word features, then its context features.
    pub fn sentence_features(&self, words: &[&str]) -> Vec<Vec<u64>> {
        let tags = self.gazetteer.tag(words);
        let mut feats: Vec<Vec<u64>> = Vec::with_capacity(words.len());
        let infos: Vec<TokenInfo> = words
            .iter()
            .zip(&tags)
            .map(|(w, &t)| {
                let mut f = Vec::with_capacity(48);
                let info = TokenInfo::new(w, t, &mut f);
                feats.push(f);
                info
            })
            .collect();
        let s = SentenceInfo::new(&infos);
        for (i, f) in feats.iter_mut().enumerate() {
            context_features(&infos, s, i, f);
        }
        feats
    }

    /// Entity spans (token index ranges and types) of one sentence.
    pub fn tag_words(&self, words: &[&str]) -> Vec<(usize, usize, Type)> {
        self.tag_words_with(words, &self.gazetteer.tag(words))
    }

    /// [`Tagger::tag_words`] with the sentence's gazetteer tags already computed.
    pub fn tag_words_with(&self, words: &[&str], tags: &[Tags]) -> Vec<(usize, usize, Type)> {
        self.tag_sentence(&mut WordMemo::default(), words, tags)
    }

    /// [`Tagger::tag_words_with`] with a memo of words: a word already seen is not analysed or
    /// weighed again (a processing thread tags every sentence of every article with one memo).
    /// Same result as without the memo.
    pub fn tag_sentence(
        &self,
        memo: &mut WordMemo,
        words: &[&str],
        tags: &[Tags],
    ) -> Vec<(usize, usize, Type)> {
        if words.is_empty() {
            return Vec::new();
        }
        memo.prepare(&self.model);
        let ids: Vec<u32> = words.iter().map(|w| memo.id(w, &self.model)).collect();
        let infos: Vec<TokenInfo> = ids
            .iter()
            .zip(tags)
            .map(|(&id, &t)| {
                let mut info = memo.infos[id as usize];
                info.tags = t;
                info
            })
            .collect();
        let s = SentenceInfo::new(&infos);
        let mut feats = Vec::with_capacity(32);
        let em: Vec<[f32; LABELS]> = ids
            .iter()
            .enumerate()
            .map(|(i, &id)| {
                feats.clear();
                context_features(&infos, s, i, &mut feats);
                let mut acc = memo.weights[id as usize];
                self.model.accumulate(&feats, &mut acc);
                self.model.scores(&acc)
            })
            .collect();
        model::spans(&self.model.viterbi(&em))
    }
}

/// The distinct words seen with what the tagger derives from each word alone: its
/// [`TokenInfo`] (gazetteer tags aside) and the summed weights of its word features. Articles
/// repeat their words (names, "the", "said"), and news repeats its vocabulary from one article
/// to the next, so a processing thread keeps one memo across articles (in its
/// [`crate::stage::Reading`]): analysing and weighing a token's own word was the largest part
/// of its cost. The memo is exact (integer sums), bounded by [`WordMemo::MAX_WORDS`] (then it
/// starts over), and tied to one model by its fingerprint (a memo handed a different model
/// forgets everything first).
#[derive(Default)]
pub struct WordMemo {
    /// The fingerprint of the model the weights were summed with.
    model: u64,
    /// Random seed: the keys are articles' words, untrusted input that must not be able to
    /// collide on purpose.
    ids: HashMap<Box<str>, u32, foldhash::fast::RandomState>,
    infos: Vec<TokenInfo>,
    weights: Vec<[i32; LABELS]>,
    scratch: Vec<u64>,
}

impl std::fmt::Debug for WordMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WordMemo")
            .field("words", &self.infos.len())
            .finish_non_exhaustive()
    }
}

impl WordMemo {
    /// Distinct words remembered at most (a few MB): past it the memo starts over.
    pub const MAX_WORDS: usize = 32_768;

    /// Makes the memo answer for `model`, emptying it if it was filled for another model or
    /// is full. Called before each sentence, never while ids handed out are in use.
    fn prepare(&mut self, model: &Model) {
        if self.model != model.fingerprint() || self.infos.len() >= Self::MAX_WORDS {
            self.ids.clear();
            self.infos.clear();
            self.weights.clear();
            self.model = model.fingerprint();
        }
    }

    fn id(&mut self, word: &str, model: &Model) -> u32 {
        if let Some(&id) = self.ids.get(word) {
            return id;
        }
        self.scratch.clear();
        let info = TokenInfo::new(word, Tags::default(), &mut self.scratch);
        let mut acc = [0i32; LABELS];
        model.accumulate(&self.scratch, &mut acc);
        let id = self.infos.len() as u32;
        self.infos.push(info);
        self.weights.push(acc);
        self.ids.insert(word.into(), id);
        id
    }
}
