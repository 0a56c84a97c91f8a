//! The article as the claim finder reads it: tokens, sentences, paragraph breaks and the entity
//! mention each token belongs to, with the char offsets the record publishes.

use std::borrow::Cow;
use std::ops::Range;

use super::words::{NounClass, WordClasses};
use crate::entities::tokens::{sentences, tokenize, Token};
use crate::record::Entity;
use crate::record::Span;

/// One body, tokenised once for every step.
pub struct Doc<'a> {
    /// The body.
    pub body: &'a str,
    /// Its tokens.
    pub tokens: Vec<Token<'a>>,
    /// Lower-case token texts, with ’ written as '.
    pub lower: Vec<Cow<'a, str>>,
    /// Word classes of each token (bits of [`super::words::class`]); empty unless built
    /// [`Doc::with_classes`].
    classes: Vec<u32>,
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
    /// Char offsets of each token's start and end.
    token_chars: Vec<(usize, usize)>,
}

/// What a body's words are, whatever its entities: tokens, sentences, lower-case forms, word
/// classes, paragraph breaks and char offsets. Owned (byte spans, not borrowed tokens), so one
/// can be kept beside the record while stages change it: the body is split into words once
/// per article for the entity, claim and stance stages (see [`crate::stage::Reading`]).
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Tokens as byte spans of the body.
    spans: Vec<(usize, usize)>,
    sentences: Vec<Range<usize>>,
    sentence_of: Vec<u32>,
    /// Lower-case text of tokens not already lower case (’ written as '); `None`: as written.
    lower: Vec<Option<String>>,
    /// Word classes of each token; empty until [`Layout::classify`].
    classes: Vec<u32>,
    paragraph_start: Vec<bool>,
    token_chars: Vec<(usize, usize)>,
}

impl Layout {
    /// Splits `body` into tokens and sentences, and prepares everything a [`Doc`] reads.
    pub fn new(body: &str) -> Self {
        let mut layout = Layout::split(body);
        layout.prepare(body);
        layout
    }

    /// Only splits `body` into tokens and sentences (what the entity stage reads); the rest is
    /// made when the layout is classified.
    pub fn split(body: &str) -> Self {
        let tokens = tokenize(body);
        Layout {
            sentences: sentences(body, &tokens),
            spans: tokens.iter().map(|t| (t.start, t.end)).collect(),
            ..Layout::default()
        }
    }

    /// Sentence of each token, lower-case forms, paragraph breaks, char offsets; once.
    fn prepare(&mut self, body: &str) {
        if self.token_chars.len() == self.spans.len() {
            return;
        }
        let tokens = self.tokens(body);
        let mut sentence_of = vec![0u32; tokens.len()];
        for (k, r) in self.sentences.iter().enumerate() {
            sentence_of[r.clone()]
                .iter_mut()
                .for_each(|s| *s = k as u32);
        }
        // Char offsets at token edges, counted in one pass (ASCII runs count as bytes).
        let mut token_chars = Vec::with_capacity(tokens.len());
        let (mut byte, mut ch) = (0usize, 0usize);
        let mut count_to = |b: usize| {
            ch += chars_in(&body[byte..b]);
            byte = b;
            ch
        };
        for t in &tokens {
            let start = count_to(t.start);
            let end = count_to(t.end);
            token_chars.push((start, end));
        }
        self.lower = tokens
            .iter()
            .map(|t| {
                if t.text
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || !b.is_ascii_alphabetic() && b.is_ascii())
                {
                    None
                } else if t.text.is_ascii() {
                    Some(t.text.to_ascii_lowercase())
                } else {
                    Some(t.text.replace('’', "'").to_lowercase())
                }
            })
            .collect();
        self.paragraph_start = (0..tokens.len())
            .map(|i| i > 0 && body[tokens[i - 1].end..tokens[i].start].contains('\n'))
            .collect();
        self.sentence_of = sentence_of;
        self.token_chars = token_chars;
    }

    /// Looks up each token's word classes, once (and prepares the rest a [`Doc`] reads).
    pub fn classify(&mut self, body: &str, words: &WordClasses) {
        self.prepare(body);
        if self.classes.len() != self.spans.len() {
            self.classes = (0..self.spans.len())
                .map(|i| words.of(self.lower(body, i)))
                .collect();
        }
    }

    /// The tokens of `body` (the body this layout was made of).
    pub fn tokens<'b>(&self, body: &'b str) -> Vec<Token<'b>> {
        self.spans
            .iter()
            .map(|&(start, end)| Token {
                text: &body[start..end],
                start,
                end,
            })
            .collect()
    }

    /// Sentences as token ranges.
    pub fn sentences(&self) -> &[Range<usize>] {
        &self.sentences
    }

    fn lower<'b>(&'b self, body: &'b str, i: usize) -> &'b str {
        let (start, end) = self.spans[i];
        self.lower[i].as_deref().unwrap_or(&body[start..end])
    }
}

impl<'a> Doc<'a> {
    /// Tokenises `body` and maps `entities`' mentions (char offsets) onto the tokens.
    pub fn new(body: &'a str, entities: &'a [Entity]) -> Self {
        Doc::owning(body, entities, Layout::new(body))
    }

    /// [`Doc::new`] with each token's word classes looked up once.
    pub fn with_classes(body: &'a str, entities: &'a [Entity], words: &WordClasses) -> Self {
        let mut layout = Layout::new(body);
        layout.classify(body, words);
        Doc::owning(body, entities, layout)
    }

    fn owning(body: &'a str, entities: &'a [Entity], mut layout: Layout) -> Self {
        let tokens = layout.tokens(body);
        let lower = std::mem::take(&mut layout.lower)
            .into_iter()
            .zip(&tokens)
            .map(|(l, t)| l.map_or(Cow::Borrowed(t.text), Cow::Owned))
            .collect();
        Doc::assemble(body, entities, tokens, lower, layout)
    }

    /// The doc of `body` from its `layout`, already classified (see [`Layout::classify`]).
    pub fn over(body: &'a str, entities: &'a [Entity], layout: &'a Layout) -> Self {
        debug_assert_eq!(
            layout.token_chars.len(),
            layout.spans.len(),
            "layout classified"
        );
        let tokens = layout.tokens(body);
        let lower = (0..tokens.len())
            .map(|i| Cow::Borrowed(layout.lower(body, i)))
            .collect();
        Doc::assemble(
            body,
            entities,
            tokens,
            lower,
            Layout {
                spans: Vec::new(),
                sentences: layout.sentences.clone(),
                sentence_of: layout.sentence_of.clone(),
                lower: Vec::new(),
                classes: layout.classes.clone(),
                paragraph_start: layout.paragraph_start.clone(),
                token_chars: layout.token_chars.clone(),
            },
        )
    }

    fn assemble(
        body: &'a str,
        entities: &'a [Entity],
        tokens: Vec<Token<'a>>,
        lower: Vec<Cow<'a, str>>,
        layout: Layout,
    ) -> Self {
        let token_chars = layout.token_chars;
        let mut entity_of = vec![None; tokens.len()];
        let mut mention_of = vec![None; tokens.len()];
        for (e, ent) in entities.iter().enumerate() {
            for m in &ent.mentions {
                let first = token_chars.partition_point(|&(_, end)| end <= m.start);
                let last = token_chars.partition_point(|&(start, _)| start < m.end);
                for i in first..last {
                    entity_of[i] = Some(e as u32);
                    mention_of[i] = Some((first as u32, last as u32));
                }
            }
        }
        Doc {
            body,
            tokens,
            lower,
            sentences: layout.sentences,
            sentence_of: layout.sentence_of,
            paragraph_start: layout.paragraph_start,
            entity_of,
            mention_of,
            entities,
            classes: layout.classes,
            token_chars,
        }
    }

    /// Whether token `i` is in any of the word classes `mask` (bits of
    /// [`super::words::class`]). Only for a doc built [`Doc::with_classes`].
    pub fn has(&self, i: usize, mask: u32) -> bool {
        self.classes.get(i).is_some_and(|c| c & mask != 0)
    }

    /// The class of token `i` as the head of a source phrase, if it can be one.
    pub fn noun_class(&self, i: usize) -> Option<NounClass> {
        NounClass::from_bits(self.classes.get(i).copied().unwrap_or(0))
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
        self.lower.get(i).map_or("", |w| w.as_ref())
    }

    /// The text of token `i` as written, or "" past the end.
    pub fn raw(&self, i: usize) -> &str {
        self.tokens.get(i).map_or("", |t| t.text)
    }

    /// Whether token `i` is one of `words` (lower case).
    pub fn is(&self, i: usize, words: &[&str]) -> bool {
        self.lower
            .get(i)
            .is_some_and(|w| words.contains(&w.as_ref()))
    }

    /// Whether token `i` starts with an upper-case letter.
    pub fn capitalised(&self, i: usize) -> bool {
        self.raw(i).starts_with(char::is_uppercase)
    }

    /// The token range of sentence of token `i`.
    pub fn sentence(&self, i: usize) -> Range<usize> {
        self.sentences[self.sentence_of[i] as usize].clone()
    }

    /// The span of tokens `r` (non-empty) as published.
    pub fn span(&self, r: Range<usize>) -> Span {
        let (bs, be) = (self.tokens[r.start].start, self.tokens[r.end - 1].end);
        Span {
            text: self.body[bs..be].to_owned(),
            start: self.token_chars[r.start].0,
            end: self.token_chars[r.end - 1].1,
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
        let first = self.token_chars.partition_point(|&(_, e)| e <= start);
        let last = self.token_chars.partition_point(|&(s, _)| s < end);
        first..last.max(first)
    }
}

/// Chars in `s`: its length when ASCII, which most of a news text is.
fn chars_in(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}
