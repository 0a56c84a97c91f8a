//! news-enricher: a Kafka worker that turns raw news articles into enriched records.
//!
//! # Architecture
//!
//! A functional core and an imperative shell, in two crates. The core, `news_enricher_core`,
//! decodes articles, runs the stages (dedup, entities, claims, stance) and encodes the record
//! or the dead letter; it has no Kafka, async, CLI or metrics dependencies at all. This crate is
//! the shell that owns all I/O: [`kafka`] (consumer, producer, rebalances, commits, shutdown,
//! the dedup index topic), [`config`] (flags, environment, TOML), [`offline`] (the `enrich`
//! command over files), [`eval`] (the `train` and `eval` commands over labelled data), [`http`]
//! and [`metrics`] (Prometheus metrics, liveness and readiness), [`otlp`] (span export),
//! [`demo`] (an in-process broker
//! running the real worker loop). `ARCHITECTURE.md` maps both.
//!
//! # Guarantees
//!
//! At-least-once: an input offset is committed only after the broker acknowledged the output
//! record (or dead-letter record) of it and of every earlier offset in its partition. Bad input
//! goes to the dead-letter topic with its original bytes and a reason; it never stops the worker.
//! A lost delivery or a fatal client error stops the worker without committing, so the process
//! exits non-zero and everything after the last commit is redone.

#![deny(missing_docs)]

pub mod config;
pub mod demo;
pub mod eval;
pub mod http;
pub mod kafka;
pub mod metrics;
pub mod offline;
pub mod otlp;
