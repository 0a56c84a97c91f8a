//! The article: what a raw message means once decoded.
//!
//! Raw messages arrive in two shapes and both are decoded here, in one place, so the worker, the
//! offline `enrich` command and the tests agree on what is valid:
//!
//! * a JSON object with `body` (or `text`) and optional metadata; unknown fields are kept, because
//!   upstream producers add fields we do not know about and analytics may still want them;
//! * plain UTF-8 text, optionally led by a `date YYYY-MM-DD` header (the wire format of the seed
//!   article, leading whitespace included).
//!
//! Anything else is rejected with a [`DecodeError`] whose [`DecodeError::reason`] becomes the
//! dead-letter reason. Decoding never panics on any input (property-tested).

use caseless::Caseless;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};
use xxhash_rust::xxh3::xxh3_128;

/// Size limits applied before any stage runs, so one huge message cannot stall a partition or
/// blow the memory budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest raw message accepted, in bytes.
    pub max_message_bytes: usize,
    /// Largest article body accepted, in Unicode scalar values.
    pub max_body_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // Kafka's default max message size is ~1 MB; real articles are a few KB. 200k chars is
        // far above any genuine article and well below anything that would hurt.
        Limits {
            max_message_bytes: 1_048_576,
            max_body_chars: 200_000,
        }
    }
}

/// Which wire shape a message was decoded from; kept in the output so consumers can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputFormat {
    /// A JSON object.
    Json,
    /// Plain text, possibly with a `date` header.
    PlainText,
}

/// A decoded article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// Stable identifier: the producer's `id`, else a hash of the canonical URL, else of the
    /// normalised body (see [`IdSource`]).
    pub id: String,
    /// Where [`Article::id`] came from, so a consumer can judge how stable it is.
    pub id_source: IdSource,
    /// The wire shape.
    pub format: InputFormat,
    /// URL as given by the producer.
    pub url: Option<String>,
    /// URL with tracking parameters, fragment, `www.` and scheme differences removed.
    pub canonical_url: Option<String>,
    /// Publisher or feed name.
    pub source: Option<String>,
    /// Headline.
    pub title: Option<String>,
    /// Article text, as given (offsets emitted by later stages refer to this string).
    pub body: String,
    /// Publication time (UTC). A bare date means midnight UTC.
    pub published_at: Option<DateTime<Utc>>,
    /// Language tag as given.
    pub language: Option<String>,
    /// Fields of a JSON input that this schema does not know, preserved verbatim.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Value>,
}

/// Origin of an article id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdSource {
    /// The producer supplied `id`.
    Given,
    /// Hash of the canonical URL.
    Url,
    /// Hash of the normalised body.
    Content,
}

/// Why a message could not be decoded. Each variant maps to a stable, machine-readable reason
/// that is written into the dead-letter record's headers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The message had no value (a tombstone).
    #[error("message has no value")]
    Empty,
    /// The raw message exceeds [`Limits::max_message_bytes`].
    #[error("message is {size} bytes, limit is {limit}")]
    TooLarge {
        /// Actual size.
        size: usize,
        /// Configured limit.
        limit: usize,
    },
    /// The bytes are not UTF-8.
    #[error("message is not valid UTF-8 (first bad byte at {0})")]
    InvalidUtf8(usize),
    /// The message looks like JSON but does not parse as a JSON object.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// Neither `body` nor `text` holds non-blank text.
    #[error("article has no body: {0}")]
    MissingBody(&'static str),
    /// A known field has the wrong type or an unparseable value.
    #[error("field `{field}`: {problem}")]
    InvalidField {
        /// The JSON field name.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// The body exceeds [`Limits::max_body_chars`].
    #[error("body is {chars} characters, limit is {limit}")]
    BodyTooLong {
        /// Actual length.
        chars: usize,
        /// Configured limit.
        limit: usize,
    },
}

impl DecodeError {
    /// Stable machine-readable reason code for dead-letter headers and metrics labels.
    pub fn reason(&self) -> &'static str {
        match self {
            DecodeError::Empty => "empty_message",
            DecodeError::TooLarge { .. } => "message_too_large",
            DecodeError::InvalidUtf8(_) => "invalid_utf8",
            DecodeError::InvalidJson(_) => "invalid_json",
            DecodeError::MissingBody(_) => "missing_body",
            DecodeError::InvalidField { .. } => "invalid_field",
            DecodeError::BodyTooLong { .. } => "body_too_long",
        }
    }
}

/// Decodes one raw message value into an [`Article`].
pub fn decode(payload: Option<&[u8]>, limits: &Limits) -> Result<Article, DecodeError> {
    let bytes = payload.ok_or(DecodeError::Empty)?;
    if bytes.len() > limits.max_message_bytes {
        return Err(DecodeError::TooLarge {
            size: bytes.len(),
            limit: limits.max_message_bytes,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| DecodeError::InvalidUtf8(e.valid_up_to()))?;
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(DecodeError::MissingBody("message is blank"));
    }
    let article = if trimmed.starts_with('{') {
        decode_json(trimmed)?
    } else {
        decode_plain(trimmed)?
    };
    let chars = article.body.chars().count();
    if chars > limits.max_body_chars {
        return Err(DecodeError::BodyTooLong {
            chars,
            limit: limits.max_body_chars,
        });
    }
    Ok(article)
}

fn decode_json(text: &str) -> Result<Article, DecodeError> {
    let mut map: Map<String, Value> = match serde_json::from_str(text) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(DecodeError::InvalidJson("not a JSON object".into())),
        Err(e) => return Err(DecodeError::InvalidJson(e.to_string())),
    };
    let body = match (
        take_string(&mut map, "body")?,
        take_string(&mut map, "text")?,
    ) {
        (Some(body), text) => {
            // Both present: keep `text` as an unknown field rather than silently lose it.
            if let Some(text) = text {
                map.insert("text".into(), Value::String(text));
            }
            body
        }
        (None, Some(text)) => text,
        (None, None) => return Err(DecodeError::MissingBody("neither `body` nor `text` is set")),
    };
    if body.trim().is_empty() {
        return Err(DecodeError::MissingBody("`body` is blank"));
    }
    let given_id = take_id(&mut map)?;
    let url = take_string(&mut map, "url")?;
    let source = take_string(&mut map, "source")?;
    let title = take_string(&mut map, "title")?;
    let language = take_string(&mut map, "language")?;
    let published_at = match take_string(&mut map, "published_at")? {
        Some(raw) => Some(
            parse_timestamp(&raw).ok_or_else(|| DecodeError::InvalidField {
                field: "published_at",
                // The value itself stays out: details end up in headers and logs.
                problem: format!(
                    "a {}-character value that is neither RFC 3339 nor YYYY-MM-DD",
                    raw.chars().count()
                ),
            })?,
        ),
        None => None,
    };
    Ok(build(
        InputFormat::Json,
        given_id,
        url,
        source,
        title,
        body,
        published_at,
        language,
        map,
    ))
}

fn decode_plain(text: &str) -> Result<Article, DecodeError> {
    let (published_at, rest) = split_date_header(text);
    let body = rest.trim();
    if body.is_empty() {
        return Err(DecodeError::MissingBody(
            "plain-text message has only a date header",
        ));
    }
    Ok(build(
        InputFormat::PlainText,
        None,
        None,
        None,
        None,
        body.to_owned(),
        published_at,
        None,
        Map::new(),
    ))
}

/// Splits a leading `date YYYY-MM-DD` header off plain text. Text without a well-formed header
/// is returned whole: a sentence that merely starts with "date" is still an article.
fn split_date_header(text: &str) -> (Option<DateTime<Utc>>, &str) {
    let Some(rest) = text.strip_prefix("date") else {
        return (None, text);
    };
    let rest_trimmed = rest.trim_start_matches([' ', '\t']);
    if rest_trimmed.len() == rest.len()
        || rest_trimmed.len() < 10
        || !rest_trimmed.is_char_boundary(10)
    {
        return (None, text);
    }
    let (date, after) = rest_trimmed.split_at(10);
    match NaiveDate::parse_from_str(date, "%Y-%m-%d") {
        Ok(d) if after.is_empty() || after.starts_with(char::is_whitespace) => {
            (Some(midnight_utc(d)), after)
        }
        _ => (None, text),
    }
}

fn midnight_utc(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()
}

/// Parses RFC 3339 or a bare `YYYY-MM-DD` (midnight UTC).
pub fn parse_timestamp(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .map(midnight_utc)
}

#[allow(clippy::too_many_arguments)]
fn build(
    format: InputFormat,
    given_id: Option<String>,
    url: Option<String>,
    source: Option<String>,
    title: Option<String>,
    body: String,
    published_at: Option<DateTime<Utc>>,
    language: Option<String>,
    extra: Map<String, Value>,
) -> Article {
    let canonical_url = url.as_deref().and_then(canonical_url);
    let (id, id_source) = match (given_id, &canonical_url) {
        (Some(id), _) => (id, IdSource::Given),
        (None, Some(c)) => (hash_hex("url", c), IdSource::Url),
        (None, None) => (hash_hex("text", &normalise_text(&body)), IdSource::Content),
    };
    Article {
        id,
        id_source,
        format,
        url,
        canonical_url,
        source,
        title,
        body,
        published_at,
        language,
        extra,
    }
}

fn take_string(
    map: &mut Map<String, Value>,
    field: &'static str,
) -> Result<Option<String>, DecodeError> {
    match map.shift_remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(DecodeError::InvalidField {
            field,
            problem: format!("expected a string, got {}", json_type(&other)),
        }),
    }
}

/// Ids may arrive as strings or integers (many producers use numeric keys).
fn take_id(map: &mut Map<String, Value>) -> Result<Option<String>, DecodeError> {
    let id = match map.shift_remove("id") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s,
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
        Some(other) => {
            return Err(DecodeError::InvalidField {
                field: "id",
                problem: format!("expected a string or integer, got {}", json_type(&other)),
            })
        }
    };
    if id.trim().is_empty() {
        return Err(DecodeError::InvalidField {
            field: "id",
            problem: "is blank".into(),
        });
    }
    Ok(Some(id))
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Text as compared for identity: NFKC-normalised, Unicode case-folded, whitespace collapsed to
/// single spaces. Curly vs straight quotes and ligatures are NFKC's business; case and layout
/// differences between republished copies are not meaningful.
pub fn normalise_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    let mut push = |c: char, out: &mut String| {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    };
    if text.is_ascii() {
        // NFKC is the identity on ASCII and case folding is ASCII lower-casing: skip both
        // Unicode passes, which dominate the dedup stage's cost on English news.
        for b in text.bytes() {
            push(char::from(b.to_ascii_lowercase()), &mut out);
        }
    } else if is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        // Already NFKC, as most non-ASCII news text is (accents, quotes, currency signs): NFKC
        // would be the identity, and it is the costly pass. Case folding is per character.
        for c in text.chars() {
            if c.is_ascii() {
                push(c.to_ascii_lowercase(), &mut out);
            } else {
                for f in std::iter::once(c).default_case_fold() {
                    push(f, &mut out);
                }
            }
        }
    } else {
        for c in text.nfkc().default_case_fold() {
            push(c, &mut out);
        }
    }
    out
}

/// Query parameters that identify a campaign or click, not a document.
fn is_tracking_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("utm_")
        || matches!(
            n.as_str(),
            "fbclid"
                | "gclid"
                | "dclid"
                | "msclkid"
                | "mc_cid"
                | "mc_eid"
                | "igshid"
                | "ref"
                | "ref_src"
                | "cmpid"
                | "ocid"
        )
}

/// Canonical form of an article URL, used for ids and exact-duplicate detection: `https`, host
/// lower-cased without a leading `www.` (kept when only a top-level label would remain), no
/// default port, no fragment, no tracking parameters, remaining parameters sorted, no trailing
/// slash. `None` for anything that is not an absolute http(s) URL.
pub fn canonical_url(raw: &str) -> Option<String> {
    let parsed = url::Url::parse(raw.trim()).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    let host = parsed.host_str()?.to_ascii_lowercase();
    // `www.com` is a domain of its own, not `com` with a `www.` in front: only a prefix that
    // leaves a dotted name behind is dropped.
    let host = match host.strip_prefix("www.") {
        Some(rest) if rest.contains('.') => rest,
        _ => &host,
    };
    let mut params: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| !is_tracking_param(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    params.sort();
    let mut out = format!("https://{host}");
    if let Some(port) = parsed.port() {
        out.push_str(&format!(":{port}"));
    }
    let path = parsed.path().trim_end_matches('/');
    out.push_str(path);
    if !params.is_empty() {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        out.push('?');
        out.push_str(&query);
    }
    Some(out)
}

/// Stable 128-bit content hash as 32 hex digits. The domain tag keeps a URL and a body that
/// happen to be the same string from colliding. xxh3 is fixed by its specification, so ids stay
/// the same across versions and machines.
pub fn hash_hex(domain: &str, value: &str) -> String {
    let mut buf = String::with_capacity(domain.len() + 1 + value.len());
    buf.push_str(domain);
    buf.push('\0');
    buf.push_str(value);
    format!("{:032x}", xxh3_128(buf.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The ASCII fast path must agree with the general NFKC + case-fold path.
        #[test]
        fn ascii_fast_path_matches_unicode_path(s in "[ -~\t\n\r\x0b\x0c]{0,80}") {
            let slow: String = caseless::default_case_fold_str(&s.nfkc().collect::<String>())
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            proptest::prop_assert_eq!(normalise_text(&s), slow);
        }

        /// So must the path for text that is already NFKC, and text that is not (ligatures,
        /// full-width letters, combining marks, compatibility spaces).
        #[test]
        fn nfkc_quick_path_matches_unicode_path(
            s in "[a-zA-Z0-9 .\n\u{00C0}-\u{024F}\u{0300}-\u{036F}\u{FB00}-\u{FB06}\u{FF21}-\u{FF3A}ßẞİıΣσςﬀ’“”£€\u{00A0}\u{2003}\u{0391}-\u{03C9}\u{0410}-\u{044F}]{0,60}"
        ) {
            let slow: String = caseless::default_case_fold_str(&s.nfkc().collect::<String>())
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            proptest::prop_assert_eq!(normalise_text(&s), slow);
        }
    }

    #[test]
    fn date_header_needs_whitespace_after_date() {
        assert_eq!(split_date_header("date 2024-04-12X").0, None);
        assert!(split_date_header("date 2024-04-12 x").0.is_some());
        assert_eq!(split_date_header("dated 2024-04-12 x").0, None);
        assert_eq!(split_date_header("date 2024-13-12 x").0, None);
        assert_eq!(split_date_header("date é").0, None);
    }
}
