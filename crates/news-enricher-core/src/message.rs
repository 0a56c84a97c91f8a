//! Raw messages as the worker receives them — bytes, headers and where they came from —
//! shared by decoding ([`crate::enrich`]) and dead-lettering ([`crate::dead_letter`]), which
//! both need the original message and neither should depend on the other for it.

/// A message header: name and optional value, as Kafka allows null header values.
pub type Header = (String, Option<Vec<u8>>);

/// A raw input message with the coordinates it came from. Kafka fields are `None` offline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawMessage {
    /// Source topic.
    pub topic: Option<String>,
    /// Source partition.
    pub partition: Option<i32>,
    /// Source offset.
    pub offset: Option<i64>,
    /// Message timestamp in milliseconds since the epoch.
    pub timestamp_ms: Option<i64>,
    /// Input file (offline runs).
    pub file: Option<String>,
    /// Line in the input file (offline runs).
    pub line: Option<u64>,
    /// Original key.
    pub key: Option<Vec<u8>>,
    /// Original value; `None` for a tombstone.
    pub payload: Option<Vec<u8>>,
    /// Original headers, in order.
    pub headers: Vec<Header>,
}
