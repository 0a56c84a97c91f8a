//! The stage interface: what every stage implements, and what it may read of the article that
//! earlier stages derived ([`Reading`]). The pipeline that builds and runs stages is
//! [`crate::pipeline`].
//!
//! A stage is pure, synchronous code over an [`EnrichedRecord`]: no Kafka, no async, no globals.
//! That keeps every stage testable and benchmarkable on plain strings, and lets the shell decide
//! concurrency. Stages that remember things across articles (deduplication) hold their state
//! themselves behind `&self`, so one pipeline can serve every partition at once.

use crate::claims::doc::Layout;
use crate::claims::words::WordClasses;
use crate::dedup::entry::IndexEntry;
use crate::entities::WordMemo;
use crate::record::EnrichedRecord;

/// Why a stage gave up on an article. The article then goes to the dead-letter topic with
/// [`StageError::reason`] and the stage's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StageError {
    /// The article cannot be processed by this stage (bad content for it).
    #[error("rejected: {0}")]
    Rejected(String),
    /// The stage panicked; the panic is contained so the worker keeps going.
    #[error("stage panicked: {0}")]
    Panicked(String),
}

impl StageError {
    /// Stable reason code for dead-letter headers.
    pub fn reason(&self) -> &'static str {
        match self {
            StageError::Rejected(_) => "stage_rejected",
            StageError::Panicked(_) => "stage_panicked",
        }
    }
}

/// One transformation of an enriched record.
pub trait Stage: Send + Sync {
    /// Name used in configuration, provenance and dead-letter headers.
    fn name(&self) -> &'static str;
    /// Adds this stage's findings to `record`. `reading` holds what earlier stages derived from
    /// the same body (its words), to reuse instead of redoing.
    fn process(&self, record: &mut EnrichedRecord, reading: &mut Reading)
        -> Result<(), StageError>;
}

/// What stages have derived from one article besides its record: for the stages after them,
/// the body split into words (once per article, not once per stage that reads words: entities,
/// claims, stance); for the shell, the dedup window's entry to publish to the index topic
/// ([`Reading::take_index_entry`]), which travels beside the record, not in it. Stages do not
/// change the body.
///
/// A processing thread keeps one `Reading` for all its articles
/// ([`crate::pipeline::Pipeline::run_with`]): what belongs to an article is dropped before the
/// next ([`Reading::next_article`]), while what was learnt about words alone ([`WordMemo`]) is
/// kept. Either way the output is the same.
#[derive(Debug, Default)]
pub struct Reading {
    layout: Option<Layout>,
    words: WordMemo,
    index_entry: Option<IndexEntry>,
}

impl Reading {
    /// Forgets the article read last; keeps the memo of words.
    pub fn next_article(&mut self) {
        self.layout = None;
        self.index_entry = None;
    }

    /// Hands the shell what the dedup window remembered of this article, to publish.
    pub fn publish_index_entry(&mut self, entry: Option<IndexEntry>) {
        self.index_entry = entry;
    }

    /// What the dedup stage handed the shell for this article, if anything.
    pub fn take_index_entry(&mut self) -> Option<IndexEntry> {
        self.index_entry.take()
    }

    /// [`Reading::layout`] with the memo of words, for the tagger.
    pub fn layout_and_words(&mut self, body: &str) -> (&Layout, &mut WordMemo) {
        let layout = self.layout.get_or_insert_with(|| Layout::split(body));
        (layout, &mut self.words)
    }

    /// The body's tokens and sentences, made on first use.
    pub fn layout(&mut self, body: &str) -> &Layout {
        self.layout.get_or_insert_with(|| Layout::split(body))
    }

    /// [`Reading::layout`] with each token's word classes looked up. The classes are looked up
    /// once, with the first `words` given: the claim and stance stages both read the bundled
    /// word classes, so they share them.
    pub fn classified(&mut self, body: &str, words: &WordClasses) -> &Layout {
        let layout = self.layout.get_or_insert_with(|| Layout::split(body));
        layout.classify(body, words);
        layout
    }
}
