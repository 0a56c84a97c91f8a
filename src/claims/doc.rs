//! The article as the claim finder reads it: tokens, sentences, paragraph breaks and the entity
//! mention each token belongs to, with the char offsets the record publishes.

use std::ops::Range;

use crate::entities::tokens::{sentences, tokenize, Token};
use crate::entities::Entity;
use crate::record::Span;

/// One body, tokenised once for every step.
pub struct Doc<'a> {
    /// The body.
    pub body: &'a str,
    /// Its tokens.
    pub tokens: Vec<Token<'a>>,
    /// Lower-case token texts, with ’ written as '.
    pub lower: Vec<String>,
    /// Sentences as token ranges.
    pub sentences: Vec<Range<usize>>,
    /// Sentence index of each token.
    pub sentence_of: Vec<u32>,
    /// Whether a paragraph break (a newline) precedes each token.
    pub paragraph_start: Vec<bool>,
    /// The entity (index into `entities`) whose mention covers each token.
    pub entity_of: Vec<Option<u32>>,
    /// The mention covering each token, as a token range.
    pub mention_of: Vec<Option<(u32, u32)>>,
    /// The article's entities.
    pub entities: &'a [Entity],
    /// Byte offset of every char boundary, plus the body's length.
    char_bytes: Vec<usize>,
}

impl<'a> Doc<'a> {
    /// Tokenises `body` and maps `entities`' mentions (char offsets) onto the tokens.
    pub fn new(body: &'a str, entities: &'a [Entity]) -> Self {
        let tokens = tokenize(body);
        let sents = sentences(body, &tokens);
        let mut sentence_of = vec![0u32; tokens.len()];
        for (k, r) in sents.iter().enumerate() {
            sentence_of[r.clone()]
                .iter_mut()
                .for_each(|s| *s = k as u32);
        }
        let mut char_bytes: Vec<usize> = body.char_indices().map(|(b, _)| b).collect();
        char_bytes.push(body.len());
        let mut entity_of = vec![None; tokens.len()];
        let mut mention_of = vec![None; tokens.len()];
        for (e, ent) in entities.iter().enumerate() {
            for m in &ent.mentions {
                let (Some(&bs), Some(&be)) = (char_bytes.get(m.start), char_bytes.get(m.end))
                else {
                    continue;
                };
                let first = tokens.partition_point(|t| t.end <= bs);
                let last = tokens.partition_point(|t| t.start < be);
                for i in first..last {
                    entity_of[i] = Some(e as u32);
                    mention_of[i] = Some((first as u32, last as u32));
                }
            }
        }
        let lower = tokens
            .iter()
            .map(|t| {
                if t.text.is_ascii() {
                    t.text.to_ascii_lowercase()
                } else {
                    t.text.replace('’', "'").to_lowercase()
                }
            })
            .collect();
        let paragraph_start = (0..tokens.len())
            .map(|i| i > 0 && body[tokens[i - 1].end..tokens[i].start].contains('\n'))
            .collect();
        Doc {
            body,
            tokens,
            lower,
            sentences: sents,
            sentence_of,
            paragraph_start,
            entity_of,
            mention_of,
            entities,
            char_bytes,
        }
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the body has no tokens.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The lower-case text of token `i`, or "" past the end.
    pub fn w(&self, i: usize) -> &str {
        self.lower.get(i).map_or("", String::as_str)
    }

    /// The text of token `i` as written, or "" past the end.
    pub fn raw(&self, i: usize) -> &str {
        self.tokens.get(i).map_or("", |t| t.text)
    }

    /// Whether token `i` is one of `words` (lower case).
    pub fn is(&self, i: usize, words: &[&str]) -> bool {
        self.lower
            .get(i)
            .is_some_and(|w| words.contains(&w.as_str()))
    }

    /// Whether token `i` starts with an upper-case letter.
    pub fn capitalised(&self, i: usize) -> bool {
        self.raw(i).starts_with(char::is_uppercase)
    }

    /// The token range of sentence of token `i`.
    pub fn sentence(&self, i: usize) -> Range<usize> {
        self.sentences[self.sentence_of[i] as usize].clone()
    }

    /// Char offset of a byte offset of the body.
    pub fn char_of(&self, byte: usize) -> usize {
        self.char_bytes.partition_point(|&b| b < byte)
    }

    /// Byte offset of a char offset of the body.
    pub fn byte_of(&self, ch: usize) -> usize {
        self.char_bytes.get(ch).copied().unwrap_or(self.body.len())
    }

    /// The span of tokens `r` (non-empty) as published.
    pub fn span(&self, r: Range<usize>) -> Span {
        let (bs, be) = (self.tokens[r.start].start, self.tokens[r.end - 1].end);
        Span {
            text: self.body[bs..be].to_owned(),
            start: self.char_of(bs),
            end: self.char_of(be),
        }
    }

    /// The entity mentioned at token `i` when `i` is the mention's last token.
    pub fn mention_ending_at(&self, i: usize) -> Option<(usize, Range<usize>)> {
        let (s, e) = self.mention_of.get(i).copied().flatten()?;
        (e as usize == i + 1).then(|| (self.entity_of[i].unwrap() as usize, s as usize..e as usize))
    }

    /// The mention covering token `i`: its entity and token range.
    pub fn mention_at(&self, i: usize) -> Option<(usize, Range<usize>)> {
        let (s, e) = self.mention_of.get(i).copied().flatten()?;
        Some((self.entity_of[i]? as usize, s as usize..e as usize))
    }

    /// Token range covering chars `start..end` (empty when nothing is there).
    pub fn tokens_in(&self, start: usize, end: usize) -> Range<usize> {
        let (bs, be) = (self.byte_of(start), self.byte_of(end));
        let first = self.tokens.partition_point(|t| t.end <= bs);
        let last = self.tokens.partition_point(|t| t.start < be);
        first..last.max(first)
    }
}
