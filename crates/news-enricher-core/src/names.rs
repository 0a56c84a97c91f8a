//! Names that configuration picks things by (stages, dedup policies), and the error for a name
//! that picks nothing.

/// A configuration name that names nothing (`"{name}"` is not a `{what}`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{name}`; expected one of: {}", expected.join(", "))]
pub struct UnknownName {
    /// What was being named (`stage`, `dedup policy`).
    pub what: &'static str,
    /// The name given.
    pub name: String,
    /// The names there are.
    pub expected: &'static [&'static str],
}
