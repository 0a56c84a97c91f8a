//! The functional core of news-enricher: pure, synchronous Rust over strings and structs, with
//! no Kafka, async, globals, CLI or metrics types. Its `Cargo.toml` leaves out every crate that
//! does the worker's I/O, so the compiler keeps it that way; the worker crate (`news-enricher`)
//! is the shell around it. `ARCHITECTURE.md` at the repository root maps both.
//!
//! * [`message`] is a raw message as received; [`article`] decodes its bytes into an
//!   [`article::Article`].
//! * [`record`] is the output document and every type it publishes.
//! * [`stage`] defines the [`stage::Stage`] interface and what stages share of one article
//!   ([`stage::Reading`]); [`pipeline`] is where stages are composed by name, adapted to the
//!   interface and run in order.
//! * The stages: [`dedup`] (exact and near copies, repeated paragraphs, and its window);
//!   [`entities`] (people, organisations, places and nationalities, with a bundled perceptron
//!   tagger, resolved into entities); [`claims`] (every attributed statement with its source,
//!   cue and content spans and the entity that speaks); [`stance`] (who is for or against whom
//!   on those claims, with evidence and the deciding cue). Each also holds what scores it
//!   against labelled data (`conll`, `newsmtsc`, `gold`).
//! * [`enrich`] runs one message end to end and yields either an output record or a
//!   [`dead_letter::DeadLetter`], both in the message's trace ([`trace`]: W3C trace context);
//!   [`offsets`] decides which input offsets may be committed.
//! * [`names`], [`random`] and [`prehashed`] are small helpers shared by the above.
//!
//! The models and data compiled in (`models/`, `data/gazetteers/`, `data/lexicons/`) live in
//! this crate's directory.

#![deny(missing_docs)]

pub mod article;
pub mod claims;
pub mod dead_letter;
pub mod dedup;
pub mod enrich;
pub mod entities;
pub mod message;
pub mod names;
pub mod offsets;
pub mod pipeline;
pub mod prehashed;
pub mod random;
pub mod record;
pub mod stage;
pub mod stance;
pub mod trace;
