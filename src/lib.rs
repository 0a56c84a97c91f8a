//! news-enricher: a Kafka worker that turns raw news articles into enriched records.
//!
//! # Architecture
//!
//! A functional core and an imperative shell.
//!
//! * **Core** (no Kafka, no async, no globals): [`message`] is a raw message as received;
//!   [`article`] decodes its bytes into an [`article::Article`]; [`stage`] defines the
//!   [`stage::Stage`] interface; [`pipeline`] is where stages are composed by name and run in
//!   order; [`dedup`] is the deduplication stage (exact and near copies, repeated paragraphs)
//!   and its window; [`entities`] extracts people, organisations, places
//!   and nationalities with a bundled perceptron tagger and resolves them into entities;
//!   [`claims`] finds every attributed statement (who said, wrote, holds or wants what) with its
//!   source, cue and content spans and the entity that speaks; [`stance`] finds who is for or
//!   against whom on those claims, with evidence and the deciding cue;
//!   [`record`] is the output
//!   document; [`enrich`] runs one message end to end and yields either an output record or a
//!   [`dead_letter::DeadLetter`]; [`offsets`] decides which input offsets may be committed.
//! * **Shell**: [`kafka`] (consumer, producer, rebalances, commits, shutdown, the dedup index
//!   topic), [`config`]
//!   (flags, environment, TOML), [`offline`] (the `enrich` command over files), [`eval`] (the
//!   `train` and `eval` commands over labelled data), [`http`] and [`metrics`] (Prometheus
//!   metrics, liveness and readiness), [`demo`] (an
//!   in-process broker running the real worker loop).
//!
//! # Guarantees
//!
//! At-least-once: an input offset is committed only after the broker acknowledged the output
//! record (or dead-letter record) of it and of every earlier offset in its partition. Bad input
//! goes to the dead-letter topic with its original bytes and a reason; it never stops the worker.
//! A lost delivery or a fatal client error stops the worker without committing, so the process
//! exits non-zero and everything after the last commit is redone.

#![deny(missing_docs)]

pub mod article;
pub mod claims;
pub mod config;
pub mod dead_letter;
pub mod dedup;
pub mod demo;
pub mod enrich;
pub mod entities;
pub mod eval;
pub mod http;
pub mod kafka;
pub mod message;
pub mod metrics;
pub mod names;
pub mod offline;
pub mod offsets;
pub mod pipeline;
pub mod prehashed;
pub mod random;
pub mod record;
pub mod stage;
pub mod stance;
