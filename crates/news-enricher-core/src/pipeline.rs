//! The one place where stages are composed: the configuration names of the stages
//! ([`StageKind`]), what they are built with ([`StageSettings`]), and the [`Pipeline`] that
//! builds the configured ones and runs them in order on each article. Adding a stage means
//! writing it (a module doing the work, pure, with its output type in [`crate::record`]) and
//! registering it here: a `StageKind` variant with its name, what it needs before it
//! ([`StageKind::check_order`]), its [`Stage`] implementation (which inputs it reads, where its
//! output goes) and its construction in [`Pipeline::from_kinds`]. Stage modules do not know
//! the [`Stage`] trait or [`Reading`], so none of them depends on another stage's internals
//! through it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use crate::claims::doc::Doc;
use crate::claims::ClaimFinder;
use crate::dedup::index::IndexConfig;
use crate::dedup::{DedupStage, SharedIndex};
use crate::entities::resolve::Extractor;
use crate::entities::Tagger;
use crate::names::UnknownName;
use crate::record::EnrichedRecord;
use crate::stage::{Reading, Stage, StageError};
use crate::stance::{stances_in, TargetScorer};

/// The stages a pipeline can be built from, by configuration name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// Deduplication: exact and near-duplicates, repeated paragraphs.
    Dedup,
    /// Entity extraction: people, organisations, places, nationalities.
    Entities,
    /// Claims: who said, wrote, holds or wants what. Reads the entities, so it must come after
    /// `entities`.
    Claims,
    /// Stance tagging: who is for or against whom. Built on the claims, so it must come after
    /// `claims`.
    Stance,
}

impl std::str::FromStr for StageKind {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<Self, UnknownName> {
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| UnknownName {
                what: "stage",
                name: name.to_owned(),
                expected: Self::NAMES,
            })
    }
}

impl StageKind {
    /// Every stage, in pipeline order.
    pub const ALL: &'static [StageKind] = &[
        StageKind::Dedup,
        StageKind::Entities,
        StageKind::Claims,
        StageKind::Stance,
    ];

    /// Their configuration names, in the same order.
    pub const NAMES: &'static [&'static str] = &["dedup", "entities", "claims", "stance"];

    /// The configuration name.
    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::Dedup => "dedup",
            StageKind::Entities => "entities",
            StageKind::Claims => "claims",
            StageKind::Stance => "stance",
        }
    }

    /// Default pipeline.
    pub const DEFAULT: &'static [StageKind] = &[
        StageKind::Dedup,
        StageKind::Entities,
        StageKind::Claims,
        StageKind::Stance,
    ];

    /// Checks that every stage's inputs are produced by an earlier stage.
    pub fn check_order(kinds: &[StageKind]) -> Result<(), String> {
        let needs = [
            (StageKind::Claims, StageKind::Entities, "claims", "entities"),
            (StageKind::Stance, StageKind::Claims, "stance", "claims"),
        ];
        for (stage, input, name, input_name) in needs {
            if let Some(s) = kinds.iter().position(|k| *k == stage) {
                if !kinds[..s].contains(&input) {
                    return Err(format!("stage `{name}` needs `{input_name}` before it"));
                }
            }
        }
        Ok(())
    }
}

/// What stages are built with.
#[derive(Debug, Clone)]
pub struct StageSettings {
    /// The dedup window (shared with whoever restores and follows it).
    pub dedup_index: SharedIndex,
    /// The entity tagger (model and gazetteers, shared by every stage built from these
    /// settings).
    pub tagger: Tagger,
    /// The claim finder's lexicons.
    pub claims: ClaimFinder,
    /// The stance polarity model and lexicons.
    pub stance: TargetScorer,
}

impl StageSettings {
    /// Settings with the bundled tagger and `dedup_index`.
    pub fn with_index(dedup_index: SharedIndex) -> Self {
        // The bundled models are compiled in and checked by the test suite; failing to read one
        // is a build defect, not a runtime condition.
        let tagger = Tagger::bundled().expect("the bundled NER model is readable");
        StageSettings {
            dedup_index,
            claims: ClaimFinder::new(tagger.shared_gazetteer()),
            tagger,
            stance: TargetScorer::bundled().expect("the bundled stance model is readable"),
        }
    }
}

impl Default for StageSettings {
    fn default() -> Self {
        StageSettings::with_index(SharedIndex::new(IndexConfig::default()))
    }
}

// The stages as the pipeline runs them: each takes what earlier stages left in the record and
// the `Reading`, and adds its findings. The work itself is in the stage's module; what is here is
// only which inputs it reads and where its output goes.

impl Stage for DedupStage {
    fn name(&self) -> &'static str {
        "dedup"
    }

    fn process(
        &self,
        record: &mut EnrichedRecord,
        reading: &mut Reading,
    ) -> Result<(), StageError> {
        reading.publish_index_entry(self.judge(record));
        Ok(())
    }
}

/// The entity stage: tags the body's words and groups the mentions into entities.
struct EntityStage(Extractor);

impl Stage for EntityStage {
    fn name(&self) -> &'static str {
        "entities"
    }

    fn process(
        &self,
        record: &mut EnrichedRecord,
        reading: &mut Reading,
    ) -> Result<(), StageError> {
        let body = &record.article.body;
        let (layout, memo) = reading.layout_and_words(body);
        record.entities = self
            .0
            .extract_from(body, &layout.tokens(body), layout.sentences(), memo);
        Ok(())
    }
}

/// The claims stage: reads the entities, so it runs after the entity stage.
struct ClaimStage(ClaimFinder);

impl Stage for ClaimStage {
    fn name(&self) -> &'static str {
        "claims"
    }

    fn process(
        &self,
        record: &mut EnrichedRecord,
        reading: &mut Reading,
    ) -> Result<(), StageError> {
        let body = &record.article.body;
        let layout = reading.classified(body, self.0.words());
        record.claims = self.0.claims_in(&Doc::over(body, &record.entities, layout));
        Ok(())
    }
}

/// The stance stage: reads the claims (and entities), so it runs after the claims stage.
struct StanceStage(TargetScorer);

impl Stage for StanceStage {
    fn name(&self) -> &'static str {
        "stance"
    }

    fn process(
        &self,
        record: &mut EnrichedRecord,
        reading: &mut Reading,
    ) -> Result<(), StageError> {
        let body = &record.article.body;
        let layout = reading.classified(body, self.0.words());
        record.stances = stances_in(
            &Doc::over(body, &record.entities, layout),
            &record.claims,
            &self.0,
        );
        Ok(())
    }
}

/// A failed stage run, naming the stage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stage `{stage}`: {error}")]
pub struct PipelineError {
    /// Stage name.
    pub stage: &'static str,
    /// What went wrong.
    pub error: StageError,
}

/// An ordered list of stages.
pub struct Pipeline {
    stages: Vec<Box<dyn Stage>>,
}

impl Pipeline {
    /// Pipeline of explicit stages (tests, embedding).
    pub fn new(stages: Vec<Box<dyn Stage>>) -> Self {
        Pipeline { stages }
    }

    /// Builds the configured stages in order. An empty list is a passthrough pipeline.
    pub fn from_kinds(kinds: &[StageKind], settings: &StageSettings) -> Self {
        let stages = kinds
            .iter()
            .map(|kind| -> Box<dyn Stage> {
                match kind {
                    StageKind::Dedup => Box::new(DedupStage::new(settings.dedup_index.clone())),
                    StageKind::Entities => {
                        Box::new(EntityStage(Extractor::new(settings.tagger.clone())))
                    }
                    StageKind::Claims => Box::new(ClaimStage(settings.claims.clone())),
                    StageKind::Stance => Box::new(StanceStage(settings.stance.clone())),
                }
            })
            .collect();
        Pipeline { stages }
    }

    /// Names of the stages, in order.
    pub fn stage_names(&self) -> Vec<String> {
        self.stages.iter().map(|s| s.name().to_owned()).collect()
    }

    /// Runs every stage in order; the first failure stops the run. A panicking stage is reported
    /// as [`StageError::Panicked`] instead of taking the worker down.
    pub fn run(&self, record: &mut EnrichedRecord) -> Result<(), PipelineError> {
        self.run_with(record, &mut Reading::default(), &mut |_, _| {})
    }

    /// [`Pipeline::run`] with the caller's `reading`, kept from article to article by a
    /// processing thread, reporting each stage's wall time to `observe` (the shell turns them
    /// into metrics; the stages stay free of them).
    pub fn run_with(
        &self,
        record: &mut EnrichedRecord,
        reading: &mut Reading,
        observe: &mut dyn FnMut(&'static str, Duration),
    ) -> Result<(), PipelineError> {
        reading.next_article();
        let reading = &mut *reading;
        for stage in &self.stages {
            let started = Instant::now();
            let outcome = catch_unwind(AssertUnwindSafe(|| stage.process(record, reading)));
            observe(stage.name(), started.elapsed());
            let result = match outcome {
                Ok(result) => result,
                Err(panic) => {
                    // Whatever the stage was filling in may be half done: start afresh.
                    *reading = Reading::default();
                    Err(StageError::Panicked(panic_message(&*panic)))
                }
            };
            result.map_err(|error| PipelineError {
                stage: stage.name(),
                error,
            })?;
        }
        Ok(())
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".into()
    }
}
