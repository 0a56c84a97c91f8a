//! Feature templates of the tagger: what it looks at to decide a token's label.
//!
//! Features are hashed (one seed per template, over per-token hashes), so no feature strings
//! are built or stored; the model maps hashes to weights. Training and tagging compute the
//! same features — a token's word features in [`TokenInfo::new`], then [`context_features`] —
//! which is what makes `eval ner` measure the worker's tagger. Tagging an article computes a
//! word's own features once however often it recurs (see [`super::WordMemo`]).
//!
//! The templates are the classic ones for CoNLL-style NER with a linear model (Ratinov & Roth,
//! CoNLL 2009; Collins 2002): the word and its lower-case form, prefixes and suffixes, word
//! shape, a ±2-word window, word bigrams, sentence position, whether the sentence is a
//! capitalised headline, and gazetteer memberships of the token and its neighbours.

use super::gazetteer::{Tags, TAG_KINDS};

/// Per-token facts shared by the templates of its neighbours: hashes and flags only, so it is
/// `Copy` and a word seen again in an article costs a copy, not a re-analysis (see
/// [`TokenInfo::new`] for the features that need the text itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenInfo {
    /// Gazetteer memberships.
    pub tags: Tags,
    /// Spelling flags (see [`TokenInfo::new`]).
    flags: u64,
    letters: u16,
    upper: u16,
    word_h: u64,
    lower_h: u64,
    shape_h: u64,
}

/// Small stack buffer for the straightened word and its shape, which are hashed, never kept.
struct Scratch {
    buf: [u8; 64],
    len: usize,
    overflow: Vec<u8>,
}

impl Scratch {
    fn new() -> Self {
        Scratch {
            buf: [0; 64],
            len: 0,
            overflow: Vec::new(),
        }
    }
    fn push(&mut self, c: char) {
        let mut tmp = [0u8; 4];
        let b = c.encode_utf8(&mut tmp).as_bytes();
        if self.overflow.is_empty() && self.len + b.len() <= self.buf.len() {
            self.buf[self.len..self.len + b.len()].copy_from_slice(b);
            self.len += b.len();
        } else {
            if self.overflow.is_empty() {
                self.overflow.extend_from_slice(&self.buf[..self.len]);
            }
            self.overflow.extend_from_slice(b);
        }
    }
    fn hash(&self) -> u64 {
        if self.overflow.is_empty() {
            text_hash(&self.buf[..self.len])
        } else {
            text_hash(&self.overflow)
        }
    }
}

impl TokenInfo {
    /// Facts about one token; its word features are appended to `local`. Everything here
    /// depends on the text alone except `tags`, which the caller may change per occurrence.
    pub fn new(text: &str, tags: Tags, local: &mut Vec<u64>) -> Self {
        let b = text.as_bytes();
        if b.len() <= ASCII_FAST_MAX && b.is_ascii() && !b.contains(&b'`') {
            return Self::new_ascii(b, tags, local);
        }
        Self::new_chars(text, tags, local)
    }

    /// [`TokenInfo::new`] for any text, char by char.
    fn new_chars(text: &str, tags: Tags, local: &mut Vec<u64>) -> Self {
        let mut word = Scratch::new();
        let mut shape = Scratch::new();
        let mut lower = String::with_capacity(text.len());
        let mut last = '\0';
        let (mut letters, mut upper) = (0u16, 0u16);
        let (mut digit, mut hyphen, mut period) = (false, false, false);
        let mut first_upper = None;
        for c in text.chars() {
            let c = match c {
                '“' | '”' | '„' | '«' | '»' => '"',
                '‘' | '’' | '`' => '\'',
                '–' | '—' => '-',
                c => c,
            };
            word.push(c);
            first_upper.get_or_insert(c.is_uppercase());
            if c.is_ascii_digit() {
                lower.push('0');
                digit = true;
            } else if c.is_ascii() {
                lower.push(c.to_ascii_lowercase());
            } else {
                lower.extend(c.to_lowercase());
            }
            hyphen |= c == '-';
            period |= c == '.';
            if c.is_alphabetic() {
                letters = letters.saturating_add(1);
                upper = upper.saturating_add(u16::from(c.is_uppercase()));
            }
            let s = if c.is_uppercase() {
                'X'
            } else if c.is_lowercase() {
                'x'
            } else if c.is_numeric() {
                'd'
            } else {
                c
            };
            if s != last {
                shape.push(s);
                last = s;
            }
        }
        let flags = [
            first_upper.unwrap_or(false),
            upper == letters,
            digit,
            hyphen,
            period,
        ]
        .iter()
        .enumerate()
        .map(|(b, &f)| u64::from(f) << b)
        .sum();
        let info = TokenInfo {
            word_h: word.hash(),
            lower_h: text_hash(lower.as_bytes()),
            shape_h: shape.hash(),
            tags,
            flags,
            letters,
            upper,
        };
        word_features(&info, &lower, local);
        info
    }
}

/// Template ids; each seeds the hash of its feature values.
/// Longest token [`TokenInfo::new_ascii`] takes (its buffers live on the stack).
const ASCII_FAST_MAX: usize = 64;

impl TokenInfo {
    /// [`TokenInfo::new`] for the common case, a short ASCII token with nothing to straighten
    /// (no backquote): bytes instead of chars and no heap buffers, with the same results.
    fn new_ascii(b: &[u8], tags: Tags, local: &mut Vec<u64>) -> Self {
        let mut lower = [0u8; ASCII_FAST_MAX];
        let mut shape = [0u8; ASCII_FAST_MAX];
        let (mut shape_len, mut last) = (0, 0u8);
        let (mut letters, mut upper) = (0u16, 0u16);
        let (mut digit, mut hyphen, mut period) = (false, false, false);
        for (i, &c) in b.iter().enumerate() {
            lower[i] = if c.is_ascii_digit() {
                digit = true;
                b'0'
            } else {
                c.to_ascii_lowercase()
            };
            hyphen |= c == b'-';
            period |= c == b'.';
            if c.is_ascii_alphabetic() {
                letters = letters.saturating_add(1);
                upper = upper.saturating_add(u16::from(c.is_ascii_uppercase()));
            }
            let s = if c.is_ascii_uppercase() {
                b'X'
            } else if c.is_ascii_lowercase() {
                b'x'
            } else if c.is_ascii_digit() {
                b'd'
            } else {
                c
            };
            // As in `new`: a run starts where the class changes (a leading NUL starts none).
            if s != last {
                shape[shape_len] = s;
                shape_len += 1;
                last = s;
            }
        }
        let first_upper = b.first().is_some_and(u8::is_ascii_uppercase);
        let flags = u64::from(first_upper)
            | u64::from(upper == letters) << 1
            | u64::from(digit) << 2
            | u64::from(hyphen) << 3
            | u64::from(period) << 4;
        let lower = &lower[..b.len()];
        let info = TokenInfo {
            word_h: text_hash(b),
            lower_h: text_hash(lower),
            shape_h: text_hash(&shape[..shape_len]),
            tags,
            flags,
            letters,
            upper,
        };
        // ASCII bytes are valid UTF-8.
        word_features(&info, std::str::from_utf8(lower).unwrap_or_default(), local);
        info
    }
}

#[derive(Clone, Copy)]
#[repr(u64)]
enum T {
    Bias = 1,
    Word,
    Lower,
    Prefix,
    Suffix,
    Shape,
    Flags,
    PrevLower,
    PrevPrevLower,
    NextLower,
    NextNextLower,
    PrevShape,
    NextShape,
    BigramPrev,
    BigramNext,
    ShapeTrigram,
    Gaz,
    GazPrev,
    GazNext,
    HeadlineWord,
    FirstWord,
    ShapeLower,
}

struct Sink<'a> {
    out: &'a mut Vec<u64>,
}

impl Sink<'_> {
    /// A feature of template `t` over already-hashed parts.
    fn add(&mut self, t: T, parts: &[u64]) {
        let mut h = (t as u64).wrapping_mul(K);
        for &p in parts {
            h = (h ^ p).wrapping_mul(K).rotate_left(29);
        }
        self.out.push(fmix(h));
    }
}

const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// murmur3's 64-bit finaliser: every output bit depends on every input bit, so the hash can
/// index a hash table directly.
fn fmix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Hash of a short string. Feature strings are a word or less, where a general-purpose hash
/// spends more on set-up than on the bytes; this one folds 8 bytes per multiply. Features then
/// combine these per-token hashes instead of rehashing text, so a token's ~40 features cost
/// a few multiplies each. Changing any of this invalidates trained models
/// (`news-enricher train ner`).
fn text_hash(bytes: &[u8]) -> u64 {
    let mut h = (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h ^ v).wrapping_mul(K).rotate_left(29);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut tail = [0u8; 8];
        tail[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(tail))
            .wrapping_mul(K)
            .rotate_left(29);
    }
    fmix(h)
}

/// Sentence-level facts.
#[derive(Debug, Clone, Copy)]
pub struct SentenceInfo {
    /// Most letters are upper case (a headline or dateline such as `BRUSSELS 1996-08-22`).
    pub headline: bool,
}

impl SentenceInfo {
    /// Facts about a sentence from its tokens.
    pub fn new(tokens: &[TokenInfo]) -> Self {
        let (mut upper, mut letters) = (0usize, 0usize);
        for t in tokens {
            letters += usize::from(t.letters);
            upper += usize::from(t.upper);
        }
        SentenceInfo {
            headline: letters >= 4 && upper * 10 >= letters * 8,
        }
    }
}

/// Stand-ins for the words before the first and after the last token.
const BOS: u64 = 0x0b05;
const EOS: u64 = 0x0e05;

/// The templates that look only at the word itself (its spelling, prefixes, suffixes, shape),
/// computed with [`TokenInfo::new`] while the lower-case text is at hand. `lower`: lower case,
/// digits folded to `0`, curly quotes straightened (as CoNLL writes them).
fn word_features(tok: &TokenInfo, lower: &str, out: &mut Vec<u64>) {
    let mut k = Sink { out };
    let bytes = lower.as_bytes();
    k.add(T::Bias, &[]);
    k.add(T::Word, &[tok.word_h]);
    k.add(T::Lower, &[tok.lower_h]);
    let mut front = lower.char_indices().map(|(b, _)| b).skip(1);
    let mut back = lower.char_indices().rev().map(|(b, _)| b);
    for _ in 0..4 {
        let (Some(p), Some(s)) = (front.next().or(Some(bytes.len())), back.next()) else {
            break;
        };
        k.add(T::Prefix, &[text_hash(&bytes[..p])]);
        k.add(T::Suffix, &[text_hash(&bytes[s..])]);
        if p == bytes.len() {
            break;
        }
    }
    k.add(T::Shape, &[tok.shape_h]);
}

/// Appends the feature hashes of token `i` of `sent` that depend on its context (neighbours,
/// position, gazetteer tags) to `out`. A token's features are its word features (from
/// [`TokenInfo::new`]) followed by these.
pub fn context_features(sent: &[TokenInfo], s: SentenceInfo, i: usize, out: &mut Vec<u64>) {
    let mut k = Sink { out };
    let tok = &sent[i];
    let get =
        |j: isize| -> Option<&TokenInfo> { usize::try_from(j).ok().and_then(|j| sent.get(j)) };
    let at = |j: isize, f: fn(&TokenInfo) -> u64| -> u64 {
        match get(j) {
            Some(t) => f(t),
            None if j < 0 => BOS,
            None => EOS,
        }
    };
    let ii = i as isize;
    let lw = tok.lower_h;
    let prev_lower = at(ii - 1, |t| t.lower_h);
    let next_lower = at(ii + 1, |t| t.lower_h);

    k.add(T::ShapeLower, &[tok.shape_h, prev_lower]);

    let flag_bits = tok.flags | u64::from(i == 0) << 5 | u64::from(s.headline) << 6;
    k.add(T::Flags, &[flag_bits]);
    if i == 0 {
        k.add(T::FirstWord, &[lw]);
    }
    if s.headline {
        k.add(T::HeadlineWord, &[lw]);
    }

    k.add(T::PrevLower, &[prev_lower]);
    k.add(T::PrevPrevLower, &[at(ii - 2, |t| t.lower_h)]);
    k.add(T::NextLower, &[next_lower]);
    k.add(T::NextNextLower, &[at(ii + 2, |t| t.lower_h)]);
    let prev_shape = at(ii - 1, |t| t.shape_h);
    let next_shape = at(ii + 1, |t| t.shape_h);
    k.add(T::PrevShape, &[prev_shape]);
    k.add(T::NextShape, &[next_shape]);
    k.add(T::BigramPrev, &[prev_lower, lw]);
    k.add(T::BigramNext, &[lw, next_lower]);
    k.add(T::ShapeTrigram, &[prev_shape, tok.shape_h, next_shape]);

    for kind in 0..TAG_KINDS {
        if let Some(pos) = tok.tags.position(kind) {
            k.add(T::Gaz, &[(kind as u64) << 8 | pos as u64]);
        }
        if let Some(pos) = get(ii - 1).and_then(|t| t.tags.position(kind)) {
            k.add(T::GazPrev, &[(kind as u64) << 8 | pos as u64]);
        }
        if let Some(pos) = get(ii + 1).and_then(|t| t.tags.position(kind)) {
            k.add(T::GazNext, &[(kind as u64) << 8 | pos as u64]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ascii_path_computes_what_the_char_path_does() {
        let long = "x".repeat(ASCII_FAST_MAX);
        let words = [
            "",
            "a",
            "The",
            "BRUSSELS",
            "1996-08-22",
            "U.S.",
            "e-mail",
            "McDonald's",
            "3.5%",
            "\0x",
            "x\0",
            "AAA111bbb",
            "--",
            "'s",
            &long,
        ];
        for w in words {
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            let a = TokenInfo::new(w, Tags::default(), &mut fast);
            let b = TokenInfo::new_chars(w, Tags::default(), &mut slow);
            assert_eq!(a, b, "{w:?}");
            assert_eq!(fast, slow, "{w:?}");
        }
    }
}
