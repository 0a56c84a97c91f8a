//! W3C Trace Context (<https://www.w3.org/TR/trace-context/>) carried from an input message to
//! the records the worker publishes for it, so one article can be followed across services.
//!
//! The worker's processing of a message is one span: its output and dead-letter records carry a
//! `traceparent` with the input's trace id and a new parent id (the worker's span), and the
//! input's `tracestate` unchanged. An input with no valid `traceparent` starts a new trace, and
//! its `tracestate`, if any, is dropped (the specification forbids reading a `tracestate`
//! without a valid `traceparent`).
//!
//! Ids are derived, not drawn: a hash of where the message came from, its key and when it was
//! processed. That keeps this module pure (no random source), gives a new span to each
//! processing of a message (a redelivery is processed at another time), and spreads ids
//! uniformly, which is what tracing back ends sample on. They are unique in practice, not
//! secret; the "random trace id" flag of Trace Context level 2 is therefore not set.
//!
//! Sampling follows the parent: a message's trace keeps its `sampled` flag. Of the traces the
//! worker starts, a share ([`Sampling`]) is sampled, decided from the trace id the way
//! OpenTelemetry's `TraceIdRatioBased` sampler decides, so any service that sees the id agrees.

use chrono::{DateTime, Utc};
use xxhash_rust::xxh3::Xxh3;

use crate::message::{Header, RawMessage};

/// Header carrying the trace id, parent span id and flags.
pub const TRACEPARENT: &str = "traceparent";
/// Header carrying vendor-specific trace state, passed on unchanged.
pub const TRACESTATE: &str = "tracestate";

/// The `sampled` trace flag.
const SAMPLED: u8 = 0x01;

/// Which of the traces the worker starts are sampled (flag `01` in their `traceparent`, and
/// exported when span export is on). Traces continued from an input keep the input's flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sampling {
    /// A trace is sampled when the upper 63 bits of its id's lower half are below this.
    threshold: u64,
}

impl Sampling {
    /// Every trace the worker starts is sampled.
    pub const ALL: Sampling = Sampling { threshold: 1 << 63 };

    /// About `ratio` of the traces the worker starts are sampled; values outside 0..=1 (and NaN)
    /// are clamped to them.
    pub fn ratio(ratio: f64) -> Sampling {
        let ratio = if ratio.is_nan() {
            0.0
        } else {
            ratio.clamp(0.0, 1.0)
        };
        Sampling {
            threshold: (ratio * (1u64 << 63) as f64) as u64,
        }
    }

    /// Whether a trace with this id is sampled: OpenTelemetry's `TraceIdRatioBased` rule (the id's
    /// last 8 bytes, big-endian, shifted right by one, against the ratio's share of 2^63).
    pub fn samples(&self, trace_id: u128) -> bool {
        ((trace_id as u64) >> 1) < self.threshold
    }
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling::ALL
    }
}

/// A parsed `traceparent`: version 00's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceParent {
    /// 16-byte trace id, never all zeros.
    pub trace_id: u128,
    /// 8-byte id of the span that sent the message, never all zeros.
    pub parent_id: u64,
    /// Trace flags (bit 0: sampled).
    pub flags: u8,
}

impl TraceParent {
    /// Parses a `traceparent` value. Version 00 must be exactly
    /// `00-<32 hex>-<16 hex>-<2 hex>`, lower-case; a later version is read by those fields
    /// when what follows them starts with `-` (as the specification asks, so that a newer
    /// sender's trace is continued rather than cut). Version `ff`, all-zero ids and anything
    /// else malformed are `None`.
    pub fn parse(value: &[u8]) -> Option<TraceParent> {
        let s = std::str::from_utf8(value).ok()?.trim_matches([' ', '\t']);
        if s.len() < 55 {
            return None;
        }
        let (head, rest) = s.split_at(55);
        let version = hex(&head[0..2])? as u8;
        let valid_rest = match version {
            0x00 => rest.is_empty(),
            0xff => false,
            _ => rest.is_empty() || rest.starts_with('-'),
        };
        let dashes = [2, 35, 52].iter().all(|&i| head.as_bytes()[i] == b'-');
        if !valid_rest || !dashes {
            return None;
        }
        let trace_id = hex(&head[3..35])?;
        let parent_id = hex(&head[36..52])? as u64;
        let flags = hex(&head[53..55])? as u8;
        (trace_id != 0 && parent_id != 0).then_some(TraceParent {
            trace_id,
            parent_id,
            flags,
        })
    }

    /// The header value, version 00.
    pub fn to_header(&self) -> String {
        format!(
            "00-{:032x}-{:016x}-{:02x}",
            self.trace_id, self.parent_id, self.flags
        )
    }

    /// The trace id as it is written in headers and logs.
    pub fn trace_id_hex(&self) -> String {
        format!("{:032x}", self.trace_id)
    }
}

/// Lower-case hex digits only (the specification rejects upper case), at most 32 of them.
fn hex(digits: &str) -> Option<u128> {
    if digits.is_empty()
        || digits.len() > 32
        || !digits
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return None;
    }
    u128::from_str_radix(digits, 16).ok()
}

/// The trace a message's processing belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    /// The input's `traceparent`, when it had a valid one.
    pub parent: Option<TraceParent>,
    /// The worker's span: the input's trace id (or a new one) and a new span id.
    pub span: TraceParent,
    /// The input's `tracestate`, passed on when its `traceparent` was valid.
    pub state: Option<Vec<u8>>,
}

impl TraceContext {
    /// The worker's span for processing `msg` at `now`: a child of the input's trace, or the
    /// root of a new one, sampled as `sampling` says.
    pub fn for_message(msg: &RawMessage, now: DateTime<Utc>, sampling: Sampling) -> TraceContext {
        let parent = single(&msg.headers, TRACEPARENT).and_then(TraceParent::parse);
        let state = parent
            .and_then(|_| single(&msg.headers, TRACESTATE))
            .map(<[u8]>::to_vec);
        let ids = derive_ids(msg, parent, now);
        let span = match parent {
            Some(p) => TraceParent {
                trace_id: p.trace_id,
                parent_id: nonzero(ids as u64),
                flags: p.flags,
            },
            None => {
                let trace_id = match ids {
                    0 => 1,
                    id => id,
                };
                TraceParent {
                    trace_id,
                    parent_id: nonzero((ids >> 64) as u64 ^ (ids as u64).rotate_left(17)),
                    flags: if sampling.samples(trace_id) {
                        SAMPLED
                    } else {
                        0
                    },
                }
            }
        };
        TraceContext {
            parent,
            span,
            state,
        }
    }

    /// `headers` with the input's trace headers replaced by this span's: `traceparent` (and
    /// `tracestate` when kept) after the others.
    pub fn apply(&self, headers: &mut Vec<Header>) {
        headers.retain(|(k, _)| k != TRACEPARENT && k != TRACESTATE);
        headers.push((
            TRACEPARENT.to_owned(),
            Some(self.span.to_header().into_bytes()),
        ));
        if let Some(state) = &self.state {
            headers.push((TRACESTATE.to_owned(), Some(state.clone())));
        }
    }

    /// The trace id, for logs.
    pub fn trace_id(&self) -> String {
        self.span.trace_id_hex()
    }

    /// Whether the worker's span is sampled (recorded and exported, by this worker and, as
    /// the flag travels on, by the services after it).
    pub fn sampled(&self) -> bool {
        self.span.flags & SAMPLED != 0
    }
}

/// The value of the one header named `name`; `None` when it is missing, null, or repeated
/// (two `traceparent`s cannot both be right).
fn single<'h>(headers: &'h [Header], name: &str) -> Option<&'h [u8]> {
    let mut found = headers.iter().filter(|(k, _)| k == name);
    let first = found.next()?;
    if found.next().is_some() {
        return None;
    }
    first.1.as_deref()
}

fn nonzero(id: u64) -> u64 {
    if id == 0 {
        1
    } else {
        id
    }
}

/// 128 well-spread bits from what identifies this processing of `msg`.
fn derive_ids(msg: &RawMessage, parent: Option<TraceParent>, now: DateTime<Utc>) -> u128 {
    let mut h = Xxh3::new();
    let field = |h: &mut Xxh3, bytes: &[u8]| {
        h.update(&(bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(&mut h, msg.topic.as_deref().unwrap_or_default().as_bytes());
    field(&mut h, &msg.partition.unwrap_or(-1).to_le_bytes());
    field(&mut h, &msg.offset.unwrap_or(-1).to_le_bytes());
    field(&mut h, msg.file.as_deref().unwrap_or_default().as_bytes());
    field(&mut h, &msg.line.unwrap_or(0).to_le_bytes());
    field(&mut h, msg.key.as_deref().unwrap_or_default());
    field(
        &mut h,
        &now.timestamp_nanos_opt().unwrap_or_default().to_le_bytes(),
    );
    if let Some(p) = parent {
        field(&mut h, &p.trace_id.to_le_bytes());
        field(&mut h, &p.parent_id.to_le_bytes());
    }
    h.digest128()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn message(headers: Vec<Header>) -> RawMessage {
        RawMessage {
            topic: Some("articles.raw".into()),
            partition: Some(3),
            offset: Some(42),
            headers,
            ..RawMessage::default()
        }
    }

    fn header(k: &str, v: &str) -> Header {
        (k.to_owned(), Some(v.as_bytes().to_vec()))
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_712_900_000, 123_456_789).unwrap()
    }

    #[test]
    fn the_specifications_example_round_trips() {
        let p = TraceParent::parse(EXAMPLE.as_bytes()).unwrap();
        assert_eq!(p.trace_id, 0x4bf92f3577b34da6a3ce929d0e0e4736);
        assert_eq!(p.parent_id, 0x00f067aa0ba902b7);
        assert_eq!(p.flags, 1);
        assert_eq!(p.to_header(), EXAMPLE);
        assert_eq!(p.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
    }

    #[test]
    fn malformed_values_are_refused() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
            "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceParent::parse(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(TraceParent::parse(&[0xff, 0xfe]), None);
    }

    #[test]
    fn a_later_version_is_read_by_its_first_fields() {
        let v = "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-next";
        let p = TraceParent::parse(v.as_bytes()).unwrap();
        assert_eq!(p.trace_id, 0x4bf92f3577b34da6a3ce929d0e0e4736);
        assert_eq!(
            TraceParent::parse(&v.as_bytes()[..55]).map(|p| p.parent_id),
            Some(0x00f067aa0ba902b7)
        );
        let glued = "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x";
        assert_eq!(TraceParent::parse(glued.as_bytes()), None);
    }

    #[test]
    fn a_message_with_a_trace_gets_a_child_span_of_it() {
        let msg = message(vec![
            header("other", "kept"),
            header(TRACEPARENT, EXAMPLE),
            header(TRACESTATE, "congo=t61rcWkgMzE"),
        ]);
        let t = TraceContext::for_message(&msg, now(), Sampling::ALL);
        let parent = TraceParent::parse(EXAMPLE.as_bytes()).unwrap();
        assert_eq!(t.parent, Some(parent));
        assert_eq!(t.span.trace_id, parent.trace_id);
        assert_eq!(t.span.flags, parent.flags);
        assert_ne!(t.span.parent_id, parent.parent_id);
        assert_ne!(t.span.parent_id, 0);
        let mut headers = msg.headers.clone();
        t.apply(&mut headers);
        assert_eq!(
            headers,
            [
                header("other", "kept"),
                header(TRACEPARENT, &t.span.to_header()),
                header(TRACESTATE, "congo=t61rcWkgMzE"),
            ]
        );
        // Another processing of the same message (a redelivery) is another span.
        let later = TraceContext::for_message(
            &msg,
            now() + chrono::Duration::milliseconds(1),
            Sampling::ALL,
        );
        assert_eq!(later.span.trace_id, t.span.trace_id);
        assert_ne!(later.span.parent_id, t.span.parent_id);
        // The same processing gives the same ids: nothing here is random.
        assert_eq!(TraceContext::for_message(&msg, now(), Sampling::ALL), t);
    }

    #[test]
    fn a_message_without_a_valid_trace_starts_one_and_drops_its_state() {
        for headers in [
            vec![],
            vec![header(TRACESTATE, "congo=t61rcWkgMzE")],
            vec![
                header(TRACEPARENT, "garbage"),
                header(TRACESTATE, "congo=t61rcWkgMzE"),
            ],
            vec![header(TRACEPARENT, EXAMPLE), header(TRACEPARENT, EXAMPLE)],
            vec![(TRACEPARENT.to_owned(), None)],
        ] {
            let msg = message(headers.clone());
            let t = TraceContext::for_message(&msg, now(), Sampling::ALL);
            assert_eq!(t.parent, None, "{headers:?}");
            assert_eq!(t.state, None);
            assert_ne!(t.span.trace_id, 0);
            assert_ne!(t.span.parent_id, 0);
            assert_eq!(t.span.flags, SAMPLED);
            let mut out = headers;
            t.apply(&mut out);
            assert_eq!(out, [header(TRACEPARENT, &t.span.to_header())]);
        }
        // Different messages start different traces.
        let a = TraceContext::for_message(&message(vec![]), now(), Sampling::ALL);
        let mut other = message(vec![]);
        other.offset = Some(43);
        let b = TraceContext::for_message(&other, now(), Sampling::ALL);
        assert_ne!(a.span.trace_id, b.span.trace_id);
    }

    #[test]
    fn sampling_decides_new_traces_from_their_id_and_follows_an_inputs_flag() {
        // OpenTelemetry's rule on ids either side of the half-way threshold.
        let half = Sampling::ratio(0.5);
        assert!(half.samples(0xffff_0000_0000_0000_0000_0000_0000_0000));
        assert!(half.samples(0x7fff_ffff_ffff_fffe));
        assert!(!half.samples(0x8000_0000_0000_0000));
        assert!(Sampling::ALL.samples(u128::MAX));
        assert!(!Sampling::ratio(0.0).samples(1));
        assert_eq!(Sampling::ratio(7.0), Sampling::ALL);
        assert_eq!(Sampling::ratio(f64::NAN), Sampling::ratio(0.0));
        assert_eq!(Sampling::default(), Sampling::ALL);

        // About the asked share of the traces the worker starts.
        let sampled = (0..2_000)
            .filter(|&offset| {
                let mut msg = message(vec![]);
                msg.offset = Some(offset);
                TraceContext::for_message(&msg, now(), Sampling::ratio(0.25)).sampled()
            })
            .count();
        assert!((400..600).contains(&sampled), "{sampled} of 2,000 sampled");
        let none = TraceContext::for_message(&message(vec![]), now(), Sampling::ratio(0.0));
        assert_eq!(none.span.flags, 0);
        assert!(none.span.to_header().ends_with("-00"));

        // An input's decision stands, whatever the ratio.
        let unsampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
        let msg = message(vec![header(TRACEPARENT, unsampled)]);
        assert!(!TraceContext::for_message(&msg, now(), Sampling::ALL).sampled());
        let msg = message(vec![header(TRACEPARENT, EXAMPLE)]);
        assert!(TraceContext::for_message(&msg, now(), Sampling::ratio(0.0)).sampled());
    }
}
