//! Which records of a partition belong to transactions that were not committed, read from the
//! log's own transaction markers over the Kafka protocol (Fetch v4, record batch v2).
//!
//! Why: a `read_committed` consumer drops aborted records using the aborted-transaction list
//! the broker sends with each fetch. tansu 0.6 always sends an empty list (and keeps aborted
//! batches in the log), so through it a `read_committed` reader also sees the records of
//! transactions that a fenced or killed producer never committed. The markers are in the log,
//! though: this reads them, as the broker's list would have been built from them, so a test
//! can apply `read_committed` itself.
//!
//! Only batch headers are decoded (offsets, producer id, the transactional and control bits)
//! and the key of control records; data batches may stay compressed.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::ops::RangeInclusive;
use std::time::Duration;

/// Offsets of transactional records that no COMMIT marker covers: aborted, or still open.
#[derive(Debug, Default)]
pub struct Uncommitted {
    ranges: BTreeMap<i32, Vec<RangeInclusive<i64>>>,
}

impl Uncommitted {
    /// Whether the record at `partition`/`offset` is in an uncommitted transaction.
    pub fn contains(&self, partition: i32, offset: i64) -> bool {
        self.ranges
            .get(&partition)
            .is_some_and(|r| r.iter().any(|r| r.contains(&offset)))
    }

    /// How many records the ranges hold.
    pub fn records(&self) -> i64 {
        self.ranges
            .values()
            .flatten()
            .map(|r| r.end() - r.start() + 1)
            .sum()
    }
}

/// Reads every batch of `topic`'s `partitions` (up to their high watermark) from the broker at
/// `addr` (`host:port`, a single broker that leads them all).
pub fn uncommitted(addr: &str, topic: &str, partitions: &[i32]) -> Uncommitted {
    let mut conn = TcpStream::connect(addr).expect("connect to the broker");
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut out = Uncommitted::default();
    for &p in partitions {
        let mut pending: HashMap<i64, Vec<RangeInclusive<i64>>> = HashMap::new();
        let mut aborted = Vec::new();
        let mut offset = 0i64;
        // Bounded: every round moves `offset` past at least one batch, or stops.
        for _ in 0..100_000 {
            let (hw, records) = fetch(&mut conn, topic, p, offset);
            let mut progressed = false;
            for batch in batches(&records) {
                if batch.last < offset {
                    continue;
                }
                progressed = true;
                offset = batch.last + 1;
                match batch.kind {
                    Kind::Control { commit } => {
                        let done = pending.remove(&batch.producer).unwrap_or_default();
                        if !commit {
                            aborted.extend(done);
                        }
                    }
                    Kind::Transactional => pending
                        .entry(batch.producer)
                        .or_default()
                        .push(batch.first..=batch.last),
                    Kind::Plain => {}
                }
            }
            if !progressed || offset >= hw {
                break;
            }
        }
        aborted.extend(pending.into_values().flatten());
        out.ranges.insert(p, aborted);
    }
    out
}

enum Kind {
    Plain,
    Transactional,
    Control { commit: bool },
}

struct Batch {
    first: i64,
    last: i64,
    producer: i64,
    kind: Kind,
}

/// One Fetch v4 (read_uncommitted, so aborted and open batches come too) from `offset`.
/// Returns the high watermark and the record bytes.
fn fetch(conn: &mut TcpStream, topic: &str, partition: i32, offset: i64) -> (i64, Vec<u8>) {
    let mut body = Vec::new();
    body.extend(1i16.to_be_bytes()); // api key: Fetch
    body.extend(4i16.to_be_bytes()); // api version
    body.extend(7i32.to_be_bytes()); // correlation id
    put_str(&mut body, "txn-markers");
    body.extend((-1i32).to_be_bytes()); // replica id
    body.extend(100i32.to_be_bytes()); // max wait ms
    body.extend(0i32.to_be_bytes()); // min bytes
    body.extend((4i32 << 20).to_be_bytes()); // max bytes
    body.push(0); // isolation: read_uncommitted
    body.extend(1i32.to_be_bytes()); // one topic
    put_str(&mut body, topic);
    body.extend(1i32.to_be_bytes()); // one partition
    body.extend(partition.to_be_bytes());
    body.extend(offset.to_be_bytes());
    body.extend((4i32 << 20).to_be_bytes());
    conn.write_all(&(body.len() as i32).to_be_bytes()).unwrap();
    conn.write_all(&body).unwrap();

    let mut len = [0u8; 4];
    conn.read_exact(&mut len).expect("fetch response size");
    let mut resp = vec![0u8; i32::from_be_bytes(len) as usize];
    conn.read_exact(&mut resp).expect("fetch response");
    let mut r = Cursor { b: &resp, at: 0 };
    r.i32(); // correlation id
    r.i32(); // throttle time
    assert_eq!(r.i32(), 1, "one topic in the response");
    r.string();
    assert_eq!(r.i32(), 1, "one partition in the response");
    assert_eq!(r.i32(), partition);
    let error = r.i16();
    assert_eq!(
        error, 0,
        "fetch error {error} for {topic}/{partition}@{offset}"
    );
    let hw = r.i64();
    r.i64(); // last stable offset
    let aborted = r.i32();
    for _ in 0..aborted.max(0) {
        r.i64();
        r.i64();
    }
    let n = r.i32();
    (hw, r.take(n.max(0) as usize).to_vec())
}

/// The complete batches in `records` (a response may end with a partial one).
fn batches(records: &[u8]) -> Vec<Batch> {
    let mut out = Vec::new();
    let mut r = Cursor { b: records, at: 0 };
    while r.left() >= 61 {
        let first = r.i64();
        let len = r.i32() as usize;
        if r.left() < len {
            break;
        }
        let mut b = Cursor {
            b: r.take(len),
            at: 0,
        };
        b.i32(); // partition leader epoch
        assert_eq!(b.take(1)[0], 2, "record batch v2");
        b.i32(); // crc
        let attributes = b.i16();
        let last = first + i64::from(b.i32());
        b.i64(); // first timestamp
        b.i64(); // max timestamp
        let producer = b.i64();
        b.i16(); // producer epoch
        b.i32(); // base sequence
        b.i32(); // record count
        let kind = if attributes & 0x20 != 0 {
            // One control record: length, attributes, timestamp delta, offset delta, key.
            b.varint();
            b.take(1);
            b.varint();
            b.varint();
            let key_len = b.varint();
            assert!(key_len >= 4, "control record key");
            b.i16(); // version
            Kind::Control {
                commit: b.i16() == 1,
            }
        } else if attributes & 0x10 != 0 {
            Kind::Transactional
        } else {
            Kind::Plain
        };
        out.push(Batch {
            first,
            last,
            producer,
            kind,
        });
    }
    out
}

fn put_str(buf: &mut Vec<u8>, s: &str) {
    buf.extend((s.len() as i16).to_be_bytes());
    buf.extend(s.as_bytes());
}

struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn left(&self) -> usize {
        self.b.len() - self.at
    }
    fn take(&mut self, n: usize) -> &'a [u8] {
        let s = &self.b[self.at..self.at + n];
        self.at += n;
        s
    }
    fn i16(&mut self) -> i16 {
        i16::from_be_bytes(self.take(2).try_into().unwrap())
    }
    fn i32(&mut self) -> i32 {
        i32::from_be_bytes(self.take(4).try_into().unwrap())
    }
    fn i64(&mut self) -> i64 {
        i64::from_be_bytes(self.take(8).try_into().unwrap())
    }
    fn string(&mut self) -> &'a [u8] {
        let n = self.i16();
        self.take(n.max(0) as usize)
    }
    /// A zigzag varint.
    fn varint(&mut self) -> i64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let byte = self.take(1)[0];
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        ((v >> 1) as i64) ^ -((v & 1) as i64)
    }
}
