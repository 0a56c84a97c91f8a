//! The imperative shell: Kafka in, Kafka out, offsets, rebalances, shutdown.
//!
//! Everything that touches the network lives under this module; the per-message work is
//! [`news_enricher_core::enrich::Enricher`], called from a small pool of processing threads.
//!
//! ```text
//!  consumer (tokio task) ──job──▶ processing thread (partition % N) ─publish─▶ producer
//!        ▲    │ track                                                         │ delivery
//!        │    ▼                                                               ▼ callback
//!   commit ◀── OffsetTracker (Mutex) ◀──────────── ack ──────────────────────────┘
//! ```
//!
//! * Order within a partition: one partition always goes to the same processing thread, which
//!   handles its messages in order and hands them to the producer in order.
//! * Backpressure: when the number of received-but-unacknowledged messages reaches
//!   `max_in_flight`, the consumer pauses its partitions and resumes below half of it, so memory
//!   stays flat when the output topic is slow.
//! * Publishing: every record (output, dead letter, dedup index entry) goes through
//!   [`publish::Publisher`], which ties a message's records to its offset.
//! * Commits: only offsets whose outputs (or dead letters) were acknowledged, see
//!   [`news_enricher_core::offsets`], all through [`commit::Committer`]. At least once: a group commit,
//!   periodically async, synchronously on revoke and shutdown. Exactly once: the end of a Kafka
//!   transaction that holds a batch's records and the offsets they complete, see
//!   [`transaction`].
//! * Revoke: inside librdkafka's rebalance callback, wait (bounded) for the revoked partitions'
//!   outputs to be acknowledged, commit them synchronously, then let the partitions go. Work
//!   still queued after the deadline is abandoned, uncommitted, and will be redone by the next
//!   owner.
//! * A failed delivery or a fatal client error stops the worker without committing anything
//!   further; the process exits non-zero and everything after the last commit is redone.
//!   Exactly once, a failed delivery aborts the transaction instead, and the worker rewinds
//!   to its last commit and does the batch again.

pub mod clients;
pub mod commit;
mod consume;
pub mod dedup_index;
pub mod delivery;
mod process;
pub mod publish;
pub mod rebalance;
pub mod replay;
pub mod shared;
mod shutdown;
mod startup;
pub mod transaction;
pub mod worker;

pub use worker::{run_worker, WorkerError, WorkerSummary};
