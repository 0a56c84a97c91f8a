//! Paragraphs repeated inside one article.
//!
//! # Why
//!
//! Articles often carry the same text twice. The usual case is an embedded social-media post: the
//! writer quotes it in prose, and the embed's own text follows it (the seed article quotes David
//! Cameron's post once as `“Today I made clear …,” the British Foreign Minister posted …` and
//! again as `Today I made clear … — David Cameron (@David_Cameron) April 11, 2024`). Stages that
//! count mentions, quotes or stances would count that text twice. This module finds such
//! repeats so later stages can skip them; it changes nothing itself.
//!
//! The two copies are rarely byte-identical: quote marks, the attribution around the quote and
//! trailing punctuation differ. So paragraphs are compared by their words, not their bytes.
//!
//! # The rule
//!
//! 1. **Paragraphs.** The body is split at blank lines (one or more lines holding only
//!    whitespace). When that yields a single paragraph (the body has no blank line between two
//!    pieces of text), it is split at every newline instead, and each non-blank line is a
//!    paragraph. A paragraph's range excludes the whitespace around it. Lines end at `\n`
//!    (`\r\n` works too, because `\r` is whitespace); a lone `\r` does not end a line.
//! 2. **Words.** A paragraph's text goes through [`crate::article::normalise_text`] (NFKC,
//!    case-folded, whitespace collapsed), and each whitespace-separated token keeps only its
//!    letters and digits (`Iran’s` and `Iran's` are both `irans`, `attacks,” ` is `attacks`,
//!    a lone `—` is no word at all).
//! 3. **Similarity.** Each paragraph becomes the set of its distinct 3-word shingles (runs of
//!    three consecutive words, hashed). The similarity of two paragraphs is the *overlap
//!    coefficient* of their sets, `|A ∩ B| / min(|A|, |B|)`: how much of the smaller set lies in
//!    the larger. Jaccard (`|A ∩ B| / |A ∪ B|`) is not used because the attribution a quote picks
//!    up counts against it twice: the seed article's pair scores about 0.73 under Jaccard and
//!    about 0.87 under overlap.
//! 4. **Repeat.** A paragraph repeats an earlier one when, for the two of them, all of:
//!    * the shorter has at least 8 words (so `Reuters`, a byline or a dateline never counts);
//!    * the longer has at most twice the words of the shorter (so one quoted sentence is never
//!      a repeat of the paragraph it came from, nor that paragraph of it; overlap alone would
//!      call any subset a full match);
//!    * the similarity is at least 0.8;
//!    * the shared shingles are at least half of the *larger* set too, so a sentence that merely
//!      reappears inside a longer paragraph is not a repeat (on BBC text split one sentence per
//!      line this removed both false positives found, and keeps the seed article's pair, 0.82).
//! 5. **Reporting.** Paragraphs are taken in order. Each repeat is reported once, pointing at the
//!    earlier paragraph it is most similar to (the earliest of those on a tie). A paragraph
//!    reported as a repeat is never used as a first occurrence, so a third copy points at the
//!    first copy, not the second. Offsets are counted in `char`s (Unicode scalar values) of the
//!    body, because consumers outside Rust index text by characters, not UTF-8 bytes.
//!
//! # Cost
//!
//! One pass splits the body, one normalises each paragraph, and the comparison goes through an
//! inverted index from shingle to the earlier first occurrences holding it, so a paragraph is
//! only compared with paragraphs it shares a shingle with. For ordinary text (few shingles shared
//! between paragraphs) that is linear in the body's length, even for a long body of many short
//! lines; paragraphs under 8 words are not indexed at all. The worst case is many paragraphs
//! sharing one shingle (every line of a long list starting "according to the"): the work then
//! grows with the square of their number, still only a counter increment per pair. Allocations
//! are per paragraph (its normalised text and shingle set), never per character or word.

use xxhash_rust::xxh3::xxh3_64;

use crate::article::normalise_text;
use crate::prehashed::PrehashedMap;
use crate::record::RepeatedParagraph;

/// Fewest words the shorter paragraph of a pair needs for the pair to count.
const MIN_WORDS: usize = 8;
/// Most words the longer paragraph of a pair may have, as a multiple of the shorter's.
const MAX_LENGTH_RATIO: usize = 2;
/// Least similarity for a repeat, as the fraction `NUM / DEN` (0.8), compared in integers.
const MIN_SIMILARITY_NUM: usize = 4;
const MIN_SIMILARITY_DEN: usize = 5;
/// Words per shingle.
const SHINGLE_WORDS: usize = 3;
/// End of a posting list.
const NONE: usize = usize::MAX;

/// What the comparison needs to know about a paragraph.
struct Features {
    /// Words after normalisation.
    words: usize,
    /// Distinct shingles, sorted.
    shingles: Vec<u64>,
}

/// Finds the paragraphs of `body` that repeat an earlier paragraph, in body order. See the module
/// documentation for the rule. Never panics; an empty or one-paragraph body has no repeats.
pub fn repeated_paragraphs(body: &str) -> Vec<RepeatedParagraph> {
    let ranges = split_paragraphs(body);
    if ranges.len() < 2 {
        return Vec::new();
    }

    let mut word = String::new();
    let mut word_hashes = Vec::new();
    let features: Vec<Features> = ranges
        .iter()
        .map(|&(s, e)| features(&body[s..e], &mut word, &mut word_hashes))
        .collect();

    // Inverted index over first occurrences: shingle -> head of a linked list in `postings`,
    // each entry `(paragraph, next entry)`. One map entry per distinct shingle, no per-entry
    // allocation.
    let mut heads: PrehashedMap<usize> = PrehashedMap::default();
    let mut postings: Vec<(usize, usize)> = Vec::new();
    // Shared shingles per earlier paragraph, for the paragraph being checked; `touched` lists
    // the non-zero entries so resetting costs what filling did.
    let mut shared = vec![0usize; ranges.len()];
    let mut touched: Vec<usize> = Vec::new();
    // (repeat, first occurrence, shared shingles, smaller set size)
    let mut found: Vec<(usize, usize, usize, usize)> = Vec::new();

    for (i, this) in features.iter().enumerate() {
        if this.words < MIN_WORDS {
            continue;
        }
        for s in &this.shingles {
            let mut p = heads.get(s).copied().unwrap_or(NONE);
            while p != NONE {
                let (j, next) = postings[p];
                if shared[j] == 0 {
                    touched.push(j);
                }
                shared[j] += 1;
                p = next;
            }
        }

        // Best earlier match: highest similarity, then earliest paragraph.
        let mut best: Option<(usize, usize, usize)> = None;
        for &j in &touched {
            let common = std::mem::take(&mut shared[j]);
            let other = &features[j];
            let shorter = this.words.min(other.words);
            let longer = this.words.max(other.words);
            if shorter < MIN_WORDS || longer > MAX_LENGTH_RATIO * shorter {
                continue;
            }
            let smaller = this.shingles.len().min(other.shingles.len());
            let larger = this.shingles.len().max(other.shingles.len());
            if common * MIN_SIMILARITY_DEN < smaller * MIN_SIMILARITY_NUM || 2 * common < larger {
                continue;
            }
            let better = match best {
                None => true,
                // common/smaller vs b_common/b_smaller, cross-multiplied to stay exact.
                Some((b_j, b_common, b_smaller)) => {
                    let (lhs, rhs) = (common * b_smaller, b_common * smaller);
                    lhs > rhs || (lhs == rhs && j < b_j)
                }
            };
            if better {
                best = Some((j, common, smaller));
            }
        }
        touched.clear();

        match best {
            Some((j, common, smaller)) => found.push((i, j, common, smaller)),
            None => {
                for &s in &this.shingles {
                    let next = heads.insert(s, postings.len()).unwrap_or(NONE);
                    postings.push((i, next));
                }
            }
        }
    }

    if found.is_empty() {
        return Vec::new();
    }
    let chars = char_ranges(body, &ranges);
    found
        .into_iter()
        .map(|(i, j, common, smaller)| RepeatedParagraph {
            start: chars[i].0,
            end: chars[i].1,
            first_start: chars[j].0,
            first_end: chars[j].1,
            // `smaller` is non-zero: a paragraph of 8+ words has 6+ shingles.
            similarity: (common as f64 / smaller as f64).min(1.0),
        })
        .collect()
}

/// Byte ranges of the paragraphs, trimmed, in order (rule 1).
fn split_paragraphs(body: &str) -> Vec<(usize, usize)> {
    let by_blank_lines = split_lines(body, false);
    if by_blank_lines.len() > 1 {
        by_blank_lines
    } else {
        split_lines(body, true)
    }
}

/// Groups consecutive non-blank lines into paragraphs, or makes each non-blank line one when
/// `every_line` is set.
fn split_lines(body: &str, every_line: bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, usize)> = None;
    let mut pos = 0;
    for line in body.split_inclusive('\n') {
        let start = pos;
        pos += line.len();
        if line.trim().is_empty() {
            out.extend(current.take());
        } else {
            if every_line {
                out.extend(current.take());
            }
            current = Some((current.map_or(start, |c| c.0), pos));
        }
    }
    out.extend(current);
    for range in &mut out {
        let text = &body[range.0..range.1];
        let end = range.0 + text.trim_end().len();
        range.0 += text.len() - text.trim_start().len();
        range.1 = end;
    }
    out
}

/// Words and shingle set of one paragraph (rules 2 and 3). `word` and `word_hashes` are scratch
/// buffers reused across paragraphs.
fn features(text: &str, word: &mut String, word_hashes: &mut Vec<u64>) -> Features {
    let normalised = normalise_text(text);
    word_hashes.clear();
    for token in normalised.split(' ') {
        word.clear();
        word.extend(token.chars().filter(|c| c.is_alphanumeric()));
        if !word.is_empty() {
            word_hashes.push(xxh3_64(word.as_bytes()));
        }
    }
    let mut shingles: Vec<u64> = word_hashes
        .windows(SHINGLE_WORDS)
        .map(|w| {
            let mut bytes = [0u8; 8 * SHINGLE_WORDS];
            for (chunk, h) in bytes.chunks_exact_mut(8).zip(w) {
                chunk.copy_from_slice(&h.to_le_bytes());
            }
            xxh3_64(&bytes)
        })
        .collect();
    shingles.sort_unstable();
    shingles.dedup();
    Features {
        words: word_hashes.len(),
        shingles,
    }
}

/// Converts ascending, non-overlapping byte ranges to char ranges in one pass over the body.
fn char_ranges(body: &str, ranges: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(ranges.len());
    let (mut byte, mut char) = (0, 0);
    for &(s, e) in ranges {
        char += body[byte..s].chars().count();
        let start = char;
        char += body[s..e].chars().count();
        out.push((start, char));
        byte = e;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_group_lines_and_trim() {
        let body = "  a\nb  \n \t\n\nc\r\n\r\nd";
        let got: Vec<&str> = split_paragraphs(body)
            .into_iter()
            .map(|(s, e)| &body[s..e])
            .collect();
        assert_eq!(got, ["a\nb", "c", "d"]);
    }

    #[test]
    fn no_blank_line_falls_back_to_lines() {
        let body = "\n a\nb\n\n";
        let got: Vec<&str> = split_paragraphs(body)
            .into_iter()
            .map(|(s, e)| &body[s..e])
            .collect();
        assert_eq!(got, ["a", "b"]);
    }

    #[test]
    fn punctuation_and_quotes_do_not_change_words() {
        let (mut w, mut h) = (String::new(), Vec::new());
        let a = features("“Iran’s move, — they said,” today.", &mut w, &mut h);
        let b = features("Iran's move they said today", &mut w, &mut h);
        assert_eq!(a.words, 5);
        assert_eq!(a.shingles, b.shingles);
    }
}
