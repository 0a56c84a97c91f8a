//! One remembered article as it travels: the verdict it got ([`Verdict`]), what the window
//! and the index topic keep of it ([`IndexEntry`], with its record format), and what the stage
//! looks up for an incoming article ([`Probe`]). The window that holds entries is
//! [`super::index`].

use serde::{Deserialize, Serialize};

use super::minhash::{Signature, SIGNATURE_BYTES};
use crate::record::{DedupStatus, MatchedOn};

/// The verdict an article got, as remembered and as published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// `unique`, `exact_duplicate` or `near_duplicate`.
    pub status: DedupStatus,
    /// The remembered article it matched.
    pub duplicate_of: Option<String>,
    /// Id of the first article of its cluster (its own id when unique).
    pub cluster_id: String,
    /// Which key matched.
    pub matched_on: Option<MatchedOn>,
    /// Estimated Jaccard similarity to `duplicate_of` (1 for exact duplicates).
    pub similarity: Option<f64>,
}

/// First byte of an index record in the compact form (a JSON record starts with `{`). The
/// compact form is not self-describing: a field added to [`IndexEntry`] or [`Verdict`], or a
/// variant of [`DedupStatus`] or [`MatchedOn`] moved, needs a new first byte, which older
/// builds then skip as unreadable. `compact_record_bytes_are_pinned` guards it.
pub const COMPACT_V1: u8 = 0xD1;

/// Why an index record cannot be read (or, never in practice, written).
#[derive(Debug, thiserror::Error)]
pub enum IndexRecordError {
    /// A compact record that does not parse.
    #[error("compact dedup index record: {0}")]
    Compact(#[from] postcard::Error),
    /// A JSON record that does not parse (or an old one, with a 256-digit signature).
    #[error("JSON dedup index record: {0}")]
    Json(#[from] serde_json::Error),
    /// A first byte that names no form this build knows: a newer build's record.
    #[error("dedup index record in an unknown form (first byte {0:#04x})")]
    UnknownForm(u8),
    /// An empty value.
    #[error("empty dedup index record")]
    Empty,
}

/// One remembered article, as published to the index topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// Article id.
    pub id: String,
    /// Hash of the source position (topic, partition, offset; or file and line) the article was
    /// read from: the same id from the same position is a redelivery, not a copy.
    pub origin: u64,
    /// Event time, seconds since the epoch.
    pub event_time: i64,
    /// Hash of the normalised text.
    pub text_key: u64,
    /// Hash of the canonical URL.
    pub url_key: Option<u64>,
    /// MinHash signature with its band keys: [`SIGNATURE_BYTES`] bytes, raw in the compact
    /// record, in hex in JSON.
    #[serde(with = "signature_hex")]
    pub signature: Signature,
    /// The verdict it got when first processed.
    pub verdict: Verdict,
}

impl IndexEntry {
    /// The index topic record's value, in the compact form: [`COMPACT_V1`], then the fields
    /// in declaration order as postcard (varint integers, the signature as its
    /// [`SIGNATURE_BYTES`] raw bytes). About 40% of the JSON's size and parsed several times
    /// faster, which is what a starting worker spends its restore on.
    pub fn encode(&self) -> Result<Vec<u8>, IndexRecordError> {
        Ok(postcard::to_extend(self, vec![COMPACT_V1])?)
    }

    /// Reads an index topic record's value, compact or JSON (what builds before the compact
    /// form wrote). `Err` for a record this version cannot read.
    pub fn decode(bytes: &[u8]) -> Result<IndexEntry, IndexRecordError> {
        match bytes.first() {
            Some(&COMPACT_V1) => Ok(postcard::from_bytes(&bytes[1..])?),
            Some(b'{') => Ok(serde_json::from_slice(bytes)?),
            Some(&other) => Err(IndexRecordError::UnknownForm(other)),
            None => Err(IndexRecordError::Empty),
        }
    }

    /// The look-up this entry's article makes, without a shingle set (so candidates are
    /// verified on the signature's estimate).
    pub fn probe(&self) -> Probe<'_> {
        Probe {
            id: &self.id,
            origin: self.origin,
            event_time: self.event_time,
            text_key: self.text_key,
            url_key: self.url_key,
            signature: &self.signature,
            shingles: None,
        }
    }
}

mod signature_hex {
    use super::{Signature, SIGNATURE_BYTES};
    use serde::{Deserialize, Deserializer, Serializer};
    use std::fmt::Write;

    pub fn serialize<S: Serializer>(sig: &Signature, s: S) -> Result<S::Ok, S::Error> {
        if !s.is_human_readable() {
            return s.serialize_bytes(&sig.to_bytes());
        }
        let mut out = String::with_capacity(SIGNATURE_BYTES * 2);
        for v in sig.to_bytes() {
            let _ = write!(out, "{v:02x}");
        }
        s.serialize_str(&out)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Signature, D::Error> {
        if !d.is_human_readable() {
            let raw = <&[u8]>::deserialize(d)?;
            let bytes: &[u8; SIGNATURE_BYTES] = raw.try_into().map_err(|_| {
                serde::de::Error::custom(format!("signature must be {SIGNATURE_BYTES} bytes"))
            })?;
            return Ok(Signature::from_bytes(bytes));
        }
        let s = <&str>::deserialize(d)?;
        if s.len() != SIGNATURE_BYTES * 2 || !s.is_ascii() {
            // Also what an index record written before the one-bit signature gets (256 digits).
            return Err(serde::de::Error::custom(format!(
                "signature must be {} hex digits",
                SIGNATURE_BYTES * 2
            )));
        }
        let mut bytes = [0u8; SIGNATURE_BYTES];
        for (i, v) in bytes.iter_mut().enumerate() {
            *v = u8::from_str_radix(&s[i * 2..i * 2 + 2], 16).map_err(serde::de::Error::custom)?;
        }
        Ok(Signature::from_bytes(&bytes))
    }
}

/// What the stage knows about an incoming article before looking it up.
#[derive(Debug, Clone)]
pub struct Probe<'a> {
    /// Article id.
    pub id: &'a str,
    /// Hash of the source position.
    pub origin: u64,
    /// Event time, seconds since the epoch.
    pub event_time: i64,
    /// Hash of the normalised text.
    pub text_key: u64,
    /// Hash of the canonical URL.
    pub url_key: Option<u64>,
    /// MinHash signature.
    pub signature: &'a Signature,
    /// Compact shingle set ([`super::minhash::compact_shingles`]), for exact verification.
    pub shingles: Option<&'a [u32]>,
}
