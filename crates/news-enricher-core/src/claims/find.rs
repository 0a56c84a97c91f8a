//! Finding claims: the attribution patterns of news writing, each a [`ClaimRule`].
//!
//! In the order they run (an earlier pattern's cue is not used again by a later one):
//! 1. Quotes ([`super::quotes`]) attributed after them (`“…,” he said`, `“…,” said Mr Smith`,
//!    `“…,” he said, “…”` with the second part as a content part), before them (`She said:
//!    “…”`, `the words of Biden that “…”`, `according to X, “…”`), or continuing the previous
//!    claim's words (a quote opening a sentence right after another claim, or the next
//!    paragraph of a quotation). A quote that the sentence's own words lead into (`Mr Blair's
//!    government was a “bossy …,” he added`) is indirect: the content starts with the sentence.
//! 2. Posts embedded and signed `— Name (@handle) date`.
//! 3. `according to X, …` and `…, according to X` (also `…, as reported by X`).
//! 4. Verbs of the cue lexicon ([`super::cues`]): with their subject before and their content
//!    after (`X said (that) …`, `X warned MPs …`, `X plans to …`, `X backed …`), or after the
//!    content (`…, X said.`, `…, says X.`, `…, the minister said, …`); participles (`…, adding
//!    that …`) take the subject of their sentence.
//! 5. Nouns of saying with their owner (`X's claim that …`, `his pledge to …`).
//!
//! Every scan is bounded by the sentence it is in and by fixed windows, so the whole is linear
//! in the body.

use std::ops::Range;

use super::cues::{Cue, CueClass, CueLexicon};
use super::doc::Doc;
use super::quotes::Quote;
use super::sources::{np_after, np_before, subject_before, Head, Np};
use super::words::{self, class};
use crate::record::{ClaimKind, ClaimRule};

/// A claim as found, in tokens, before its speaker is resolved.
#[derive(Debug, Clone)]
pub struct Found {
    /// Stable id (its index when found), for [`Found::carries`].
    pub id: usize,
    /// Kind.
    pub kind: ClaimKind,
    /// The pattern.
    pub rule: ClaimRule,
    /// Cue tokens.
    pub cue: Option<Range<usize>>,
    /// The source phrase.
    pub source: Option<Np>,
    /// Content tokens.
    pub content: Range<usize>,
    /// Later content parts.
    pub parts: Vec<Range<usize>>,
    /// The claim (by id) whose speaker this one carries: a quote continuing it, a participle
    /// clause of its sentence.
    pub carries: Option<usize>,
    /// Entities named in the content, which are not its speaker.
    pub exclude: Vec<usize>,
}

impl Found {
    /// Where the claim starts in the text: its earliest token.
    pub fn anchor(&self) -> usize {
        let mut a = self.content.start;
        if let Some(c) = &self.cue {
            a = a.min(c.start);
        }
        if let Some(s) = &self.source {
            a = a.min(s.range.start);
        }
        a
    }
}

/// Most tokens of a content clause.
/// Speech and thought cues with a common sense that takes a plain object ("maintains the
/// line", "recalled the cars", "wrote the book", "knows the area", "added a stop").
const OTHER_SENSE_CUES: &[&str] = &[
    "maintain",
    "maintains",
    "maintained",
    "maintaining",
    "recall",
    "recalls",
    "recalled",
    "recalling",
    "write",
    "writes",
    "wrote",
    "written",
    "writing",
    "know",
    "knows",
    "knew",
    "known",
    "feel",
    "feels",
    "felt",
    "note",
    "notes",
    "noted",
    "add",
    "adds",
    "added",
    "recognise",
    "recognises",
    "recognised",
    "realise",
    "realises",
    "realised",
    "declare",
    "declares",
    "declared",
];

const MAX_CLAUSE: usize = 120;
/// How many of the latest claims a participle looks back through for its subject's claim.
const RECENT_CLAIMS: usize = 16;
/// Tokens between a cue and the quote it introduces.
const CUE_TO_QUOTE: usize = 12;

/// Prepositions that open the setting of an attribution ("said on Monday", "told reporters at
/// a news conference", "said in a statement").
#[rustfmt::skip]
const SETTING: &[&str] = &[
    "on", "in", "at", "during", "before", "after", "while", "to", "from", "outside", "via",
    "through", "following", "ahead", "last", "yesterday", "today", "tonight", "earlier", "later",
    "this", "when", "as", "late", "again", "also", "recently", "publicly", "privately",
];

/// Words after a verb of saying that do not open its clause ("said on Monday", "told him",
/// "said so", "said nothing").
#[rustfmt::skip]
const NOT_CLAUSE_OPENERS: &[&str] = &[
    "on", "in", "at", "to", "for", "with", "by", "from", "about", "of", "after", "before",
    "during", "as", "and", "or", "but", "so", "than", "yesterday", "today", "tonight", "earlier",
    "later", "last", "next", "nothing", "him", "them", "me", "us", "goodbye", "sorry", "thanks",
    "hello", "yes", "no", "again", "afterwards", "recently", "previously", "once", "twice",
    "publicly", "privately", "repeatedly", "while", "when", "since", "until", "through", "into",
    "over", "under", "against", "without", "within", "via", "per", "instead", "too", "also",
];

/// Prepositions that open the setting of an attribution frame beyond [`SETTING`] ("said in
/// a statement", "told the BBC's Today programme", "said alongside …").
#[rustfmt::skip]
const FRAME_PREPOSITIONS: &[&str] = &[
    "alongside", "with", "by", "for", "of", "into", "over", "about", "under", "amid", "outside",
    "inside", "near", "at", "in", "on", "during", "yesterday", "today", "tonight",
];

/// Conjunctions that open a subordinate clause, which may carry an attribution of its own.
const SUBORDINATORS: &[&str] = &[
    "as", "after", "because", "while", "although", "though", "since", "when", "whereas", "before",
    "until", "unless", "if",
];

/// Words that show a clause, not the end of an attribution frame, follows a verb of saying.
#[rustfmt::skip]
const FRAME_BREAKERS: &[&str] = &[
    "that", "is", "was", "are", "were", "has", "have", "had", "will", "would", "could", "should",
    "can", "may", "might", "must", "shall", "does", "did", "do", "'s", "'re", "'ll", "'d", "be",
    "been", "not", "n't", "there",
];

/// Nouns of saying that make a reported position rather than a speech act.
#[rustfmt::skip]
const POSITION_NOUNS: &[&str] = &[
    "threat", "threats", "plan", "plans", "pledge", "pledges", "proposal", "proposals", "bid",
    "decision", "intention", "commitment", "support", "opposition", "criticism", "call", "calls",
    "demand", "demands", "vow", "refusal", "hope", "hopes", "promise", "promises",
];

/// An attribution that leads into a quote: its cue, its source (or the claim whose speaker it
/// carries) and the kind of claim it makes.
struct LeadIn {
    cue: Range<usize>,
    source: Option<Np>,
    carries: Option<usize>,
    kind: ClaimKind,
}

/// The claim finder over one article.
pub struct Finder<'d, 'a> {
    doc: &'d Doc<'a>,
    quotes: &'d [Quote],
    /// The cue each token starts, if any.
    lexical: Vec<Option<Cue>>,
    /// Index of the quote whose content covers each token.
    quote_of: Vec<Option<u32>>,
    /// Cue tokens already used by a claim.
    used: Vec<bool>,
    /// Quotes used as a later part of another quote's claim.
    part_of: Vec<bool>,
    /// Quotes that are titles of programmes or papers, not anyone's words.
    title: Vec<bool>,
    out: Vec<Found>,
}

impl<'d, 'a> Finder<'d, 'a> {
    /// A finder over `doc` with its `quotes`.
    pub fn new(doc: &'d Doc<'a>, quotes: &'d [Quote], cues: &'d CueLexicon) -> Self {
        // Each token's cue, looked up once (two-word forms need the next word).
        let lexical = (0..doc.len())
            .map(|i| cues.at(doc.w(i), (i + 1 < doc.len()).then(|| doc.w(i + 1))))
            .collect();
        let mut quote_of = vec![None; doc.len()];
        for (k, q) in quotes.iter().enumerate() {
            for i in q.content() {
                quote_of[i] = Some(k as u32);
            }
        }
        let title = quotes
            .iter()
            .map(|q| {
                let first = q.open + 1;
                q.closed
                    && q.words(doc) <= 6
                    && q.open > 0
                    && doc.is(q.open - 1, &["'s", "'", "on", "in", "programme", "show"])
                    && doc.capitalised(first)
            })
            .collect();
        Finder {
            doc,
            quotes,
            lexical,
            title,
            quote_of,
            used: vec![false; doc.len()],
            part_of: vec![false; quotes.len()],
            out: Vec::new(),
        }
    }

    /// Tokens inside quotation marks.
    pub fn quoted(&self) -> Vec<bool> {
        self.quote_of.iter().map(Option::is_some).collect()
    }

    /// Runs every pattern; claims come back in the order found (see [`Found::anchor`] for text
    /// order).
    pub fn find(mut self) -> Vec<Found> {
        let unattributed = self.direct_quotes();
        self.signed_posts();
        self.according_to();
        self.verbs();
        self.cue_nouns();
        // Last, once every other claim is known: quotes that go on with the claim before them.
        // One sweep: claims by where their content ends, the quotes in text order.
        let mut ends: Vec<(usize, usize)> = self
            .out
            .iter()
            .enumerate()
            .map(|(i, f)| (f.content.end, i))
            .collect();
        ends.sort_unstable();
        let (mut next, mut prev): (usize, Option<(usize, usize)>) = (0, None);
        for k in unattributed {
            let open = self.quotes[k].open;
            while next < ends.len() && ends[next].0 <= open {
                prev = Some(ends[next]);
                next += 1;
            }
            if self.part_of[k] {
                continue;
            }
            if let Some((_, p)) = prev {
                if self.quote_continues(k, p) {
                    let i = self.out.len() - 1;
                    prev = Some((self.out[i].content.end, i));
                }
            }
        }
        self.out
    }

    fn push(&mut self, mut f: Found) -> usize {
        f.id = self.out.len();
        if let Some(c) = &f.cue {
            for i in c.clone() {
                self.used[i] = true;
            }
        }
        if f.exclude.is_empty() {
            f.exclude = self.named_in(&f.content);
        }
        self.out.push(f);
        self.out.len() - 1
    }

    fn named_in(&self, r: &Range<usize>) -> Vec<usize> {
        let mut v: Vec<usize> = r
            .clone()
            .filter_map(|i| self.doc.mention_at(i).map(|m| m.0))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The cue starting at token `i`, unless it is used or is a noun or passive here.
    fn cue_at(&self, i: usize) -> Option<Cue> {
        if i >= self.doc.len() || self.used[i] {
            return None;
        }
        let cue = self.lexical[i]?;
        // A capitalised cue inside a sentence is part of a name ("the Senate Rules Committee").
        if self.doc.capitalised(i) && self.doc.sentence(i).start != i {
            return None;
        }
        if i > 0 {
            let prev = self.doc.w(i - 1);
            // "the plans", "Iran's threats", "his claims": a noun, not the verb.
            if self.doc.has(i - 1, class::DETERMINER) && !cue.participle
                || matches!(prev, "'s" | "'")
            {
                return None;
            }
            // "is said to", "was told": passive, the subject is not the source.
            let mut k = i - 1;
            while k > 0
                && self
                    .doc
                    .is(k, &["not", "n't", "also", "widely", "being", "been"])
            {
                k -= 1;
            }
            if self.doc.has(k, class::BE) && !cue.participle && self.past_participle(i) {
                return None;
            }
        }
        Some(cue)
    }

    /// The quote opening at token `k` if it is a short title ("NBC's “Meet the Press”", "on
    /// “Face the Nation”"): after a possessive or "on"/"in", capitalised, at most six words.
    fn title_at(&self, k: usize) -> Option<usize> {
        let q = self.quote_of.get(k + 1).copied().flatten()? as usize;
        self.title[q]
            .then_some(q)
            .filter(|&q| self.quotes[q].open == k)
    }

    /// The cue token `i` starts, whatever its use here.
    fn cue_word(&self, i: usize) -> Option<Cue> {
        self.lexical.get(i).copied().flatten()
    }

    fn past_participle(&self, i: usize) -> bool {
        let w = self.doc.w(i);
        w.ends_with("ed")
            || matches!(
                w,
                "said"
                    | "told"
                    | "thought"
                    | "found"
                    | "shown"
                    | "known"
                    | "sought"
                    | "felt"
                    | "written"
                    | "held"
                    | "forecast"
                    | "meant"
            )
    }

    /// Cue tokens, extended over "on PLATFORM" for posts and over a short addressee ("told
    /// reporters").
    fn cue_end(&self, i: usize, cue: Cue) -> usize {
        let mut end = i + usize::from(cue.len);
        if self.doc.w(end) == "on" && self.doc.has(end + 1, class::PLATFORM) {
            end += 2;
            if self.doc.w(end - 1) == "truth" && self.doc.w(end) == "social" {
                end += 1;
            }
        } else if cue.frames.addressee && self.doc.is(end, &["reporters", "journalists"]) {
            end += 1;
        }
        end
    }

    fn kind_of(&self, i: usize, cue: Cue) -> ClaimKind {
        let end = i + usize::from(cue.len);
        if cue.class == CueClass::Post
            || self.doc.w(end) == "on" && self.doc.has(end + 1, class::PLATFORM)
        {
            ClaimKind::Post
        } else {
            cue.class.kind()
        }
    }

    // ---- 1. quotes ----------------------------------------------------------------------

    /// Quotes attributed before or after; returns the quotes left without an attribution.
    fn direct_quotes(&mut self) -> Vec<usize> {
        let mut unattributed = Vec::new();
        for k in 0..self.quotes.len() {
            if self.part_of[k] {
                continue;
            }
            let q = self.quotes[k];
            if q.content().is_empty() || self.title[k] {
                continue;
            }
            if self.quote_attributed_after(k) || self.quote_attributed_before(k) {
                continue;
            }
            unattributed.push(k);
        }
        unattributed
    }

    /// `“…,” SOURCE CUE` or `“…,” CUE SOURCE`, then maybe `, “second part”`.
    fn quote_attributed_after(&mut self, k: usize) -> bool {
        let doc = self.doc;
        let q = self.quotes[k];
        if !q.closed {
            return false;
        }
        let mut j = q.after();
        let ends_with_stop = doc.is(q.end - 1, &[",", ".", "?", "!", "...", "…", "-", "—", ";"]);
        if doc.is(j, &[",", "—", "-", "–"]) {
            j += 1;
        } else if !ends_with_stop {
            return false;
        }
        let ceil = (j + 16).min(doc.len());
        let ceil = (j..ceil)
            .find(|&i| doc.is(i, &[".", "!", "?", ";"]) || self.quote_of[i].is_some())
            .unwrap_or(ceil);
        // SOURCE [adverbs] CUE
        let mut found: Option<(usize, Cue, Np)> = None;
        if let Some(np) = np_after(doc, j, ceil) {
            let mut v = np.range.end;
            while v < ceil
                && v - np.range.end < 3
                && (doc.has(v, class::BETWEEN_SUBJECT_AND_VERB) || doc.has(v, class::DAY))
            {
                v += 1;
            }
            if let Some(cue) = self.cue_at(v).filter(|c| self.quotable(*c)) {
                found = Some((v, cue, np));
            }
        }
        // CUE SOURCE
        if found.is_none() {
            if let Some(cue) = self.cue_at(j).filter(|c| self.quotable(*c)) {
                if let Some(np) = np_after(doc, j + usize::from(cue.len), ceil) {
                    found = Some((j, cue, np));
                }
            }
        }
        let Some((v, cue, np)) = found else {
            return false;
        };
        let cue_range = v..self.cue_end(v, cue);
        let frame_end = cue_range.end.max(np.range.end);
        // The frame must end the sentence (or lead into the quote's next part): "“…” Mr X said
        // the plan …" starts a new claim instead.
        let sentence_end = doc.sentence(frame_end.min(doc.len() - 1)).end;
        if self.frame_rest(frame_end, cue, sentence_end).is_none() {
            return false;
        }
        // "“…,” he said, “…”": the next quote right after the frame is a second part.
        let mut parts = Vec::new();
        if let Some(next) = self.quotes.get(k + 1) {
            let gap = frame_end..next.open;
            if !next.continues
                && gap.len() <= 8
                && gap.clone().all(|i| !doc.is(i, &[".", "!", "?"]))
                && gap.clone().last().is_some_and(|i| doc.is(i, &[",", ":"]))
            {
                parts.push(next.content());
                self.part_of[k + 1] = true;
            }
        }
        let kind = self.kind_of(v, cue).max_quote();
        // A quote the sentence's own words lead into is that sentence's claim, in part quoted.
        let lead = self.lead_in(q.open);
        let (kind, content) = match lead {
            Some(s) => (ClaimKind::Indirect, s..q.end),
            None => (kind, q.content()),
        };
        let exclude = self.named_in(&q.content());
        self.push(Found {
            id: 0,
            kind,
            rule: ClaimRule::QuoteThenCue,
            cue: Some(cue_range),
            source: Some(np),
            content,
            parts,
            carries: None,
            exclude,
        });
        true
    }

    /// Whether a cue can attribute a quote (verbs of saying, thinking and posting).
    fn quotable(&self, cue: Cue) -> bool {
        matches!(
            cue.class,
            CueClass::Speech | CueClass::Thought | CueClass::Post
        ) && !cue.participle
    }

    /// The sentence start when words of the writer's sentence lead into the quote opening at
    /// `open` (so the quote is part of a paraphrase), else `None`.
    fn lead_in(&self, open: usize) -> Option<usize> {
        let doc = self.doc;
        let s = doc
            .sentence(open)
            .start
            .max(open.saturating_sub(MAX_CLAUSE));
        let mut start = s;
        while start < open
            && (doc.is(start, &["but", "and", "yet", "so", ","]) || doc.raw(start) == "“")
        {
            start += 1;
        }
        let words = (start..open)
            .filter(|&i| doc.raw(i).chars().any(char::is_alphanumeric))
            .count();
        (words >= 2
            && !doc.is(open - 1, &[":"])
            && (start..open).all(|i| self.quote_of[i].is_none()))
        .then_some(start)
    }

    /// `SOURCE CUE [addressee, setting] [:|,|that] “…”`, `the words of X … “…”`, `according to
    /// X, “…”`.
    fn quote_attributed_before(&mut self, k: usize) -> bool {
        let doc = self.doc;
        let q = self.quotes[k];
        let s = doc.sentence(q.open).start;
        let floor = s.max(q.open.saturating_sub(CUE_TO_QUOTE));
        let mut found: Option<LeadIn> = None;
        for v in (floor..q.open).rev() {
            if self.quote_of[v].is_some() {
                break;
            }
            if let Some(cue) = self.cue_at(v).filter(|c| {
                matches!(
                    c.class,
                    CueClass::Speech | CueClass::Thought | CueClass::Post
                )
            }) {
                let between = v + usize::from(cue.len)..q.open;
                if !self.leads_into_quote(between, cue) {
                    break;
                }
                let (source, carries) = self.subject_of(v, s);
                if source.is_none() && carries.is_none() {
                    break;
                }
                let kind = self.kind_of(v, cue).max_quote();
                found = Some(LeadIn {
                    cue: v..self.cue_end(v, cue),
                    source,
                    carries,
                    kind,
                });
                break;
            }
            // "according to X, “…”", "the words of X that “…”": the quote is credited to X.
            let credited = |cue: Range<usize>, np: Np| LeadIn {
                cue,
                source: Some(np),
                carries: None,
                kind: ClaimKind::DirectQuote,
            };
            if doc.w(v) == "according" && doc.w(v + 1) == "to" {
                found = np_after(doc, v + 2, q.open).map(|np| credited(v..v + 2, np));
                break;
            }
            if doc.is(v, &["words", "remarks", "comments", "statement", "message"])
                && doc.is(v + 1, &["of", "by", "from"])
            {
                let c = if v > s && doc.is(v - 1, &["the", "his", "her", "their"]) {
                    v - 1
                } else {
                    v
                };
                found = np_after(doc, v + 2, q.open).map(|np| credited(c..v + 1, np));
                break;
            }
        }
        let Some(LeadIn {
            cue,
            source,
            carries,
            kind,
        }) = found
        else {
            return false;
        };
        let exclude = self.named_in(&q.content());
        self.push(Found {
            id: 0,
            kind,
            rule: ClaimRule::CueThenQuote,
            cue: Some(cue),
            source,
            content: q.content(),
            parts: Vec::new(),
            carries,
            exclude,
        });
        true
    }

    /// Whether the tokens between a cue and a quote only lead into the quote: an addressee, a
    /// setting, "that", a colon.
    fn leads_into_quote(&self, between: Range<usize>, cue: Cue) -> bool {
        let doc = self.doc;
        if between.is_empty() {
            return true;
        }
        let last = between.end - 1;
        if doc.is(last, &[":", ",", "that"]) {
            return between.clone().all(|i| !doc.is(i, &[".", "!", "?", ";"]));
        }
        // "said “…”" directly, or "told the BBC “…”" with an addressee.
        cue.frames.addressee && between.len() <= 5
    }

    /// A quote with no attribution of its own that goes on with the previous claim's words.
    /// `prev`: the claim (index into the claims found) whose content ends last before the
    /// quote.
    fn quote_continues(&mut self, k: usize, prev: usize) -> bool {
        let doc = self.doc;
        let q = self.quotes[k];
        if q.words(doc) < 3 {
            return false;
        }
        let starts_sentence = {
            let s = doc.sentence(q.open).start;
            q.open - s <= 3 && (s..q.open).all(|i| !doc.raw(i).chars().any(char::is_alphanumeric))
        };
        if !q.continues && !starts_sentence {
            return false;
        }
        let prev = &self.out[prev];
        let gap = doc.sentence_of[q.open].saturating_sub(doc.sentence_of[prev.content.end - 1]);
        let near = if q.continues { gap <= 4 } else { gap <= 2 };
        if !near
            || !matches!(
                prev.kind,
                ClaimKind::DirectQuote | ClaimKind::Indirect | ClaimKind::Post
            )
        {
            return false;
        }
        let (carries, kind) = (prev.id, prev.kind.max_quote());
        let exclude = self.named_in(&q.content());
        self.push(Found {
            id: 0,
            kind,
            rule: ClaimRule::QuoteContinues,
            cue: None,
            source: None,
            content: q.content(),
            parts: Vec::new(),
            carries: Some(carries),
            exclude,
        });
        true
    }

    // ---- 2. signed posts ----------------------------------------------------------------

    /// A paragraph ending `— Name (@handle) date` is the named author's post.
    fn signed_posts(&mut self) {
        let doc = self.doc;
        for i in 1..doc.len() {
            if !matches!(doc.raw(i), "—" | "–") {
                continue;
            }
            let handle = (i + 1..(i + 9).min(doc.len())).any(|t| doc.raw(t).starts_with('@'));
            if !handle {
                continue;
            }
            let Some(np) = np_after(doc, i + 1, (i + 6).min(doc.len())) else {
                continue;
            };
            let mut s = i;
            while s > 0 && !doc.paragraph_start[s] && i - s < 400 {
                s -= 1;
            }
            // Quote marks around the post are not its content.
            let (mut cs, mut ce) = (s, i);
            while cs < ce && doc.raw(cs).chars().all(|c| !c.is_alphanumeric()) {
                cs += 1;
            }
            while ce > cs && matches!(doc.raw(ce - 1), "\"" | "”" | "“") {
                ce -= 1;
            }
            if ce > cs + 3 {
                self.push(Found {
                    id: 0,
                    kind: ClaimKind::Post,
                    rule: ClaimRule::SignedPost,
                    cue: Some(i..i + 1),
                    source: Some(np),
                    content: cs..ce,
                    parts: Vec::new(),
                    carries: None,
                    exclude: Vec::new(),
                });
            }
        }
    }

    // ---- 3. according to ----------------------------------------------------------------

    fn according_to(&mut self) {
        let doc = self.doc;
        for i in 0..doc.len().saturating_sub(2) {
            // ", as reported by X", ", as (already) announced by X".
            let skip = usize::from(doc.is(i + 1, &["already", "first", "previously"]));
            let as_reported = doc.w(i) == "as"
                && doc.is(
                    i + 1 + skip,
                    &[
                        "reported",
                        "announced",
                        "stated",
                        "revealed",
                        "disclosed",
                        "confirmed",
                        "predicted",
                        "forecast",
                        "noted",
                    ],
                )
                && doc.w(i + 2 + skip) == "by";
            let according = doc.w(i) == "according" && doc.w(i + 1) == "to";
            if !(according || as_reported) || self.used[i] || self.quote_of[i].is_some() {
                continue;
            }
            let cue = if as_reported {
                i + 1 + skip..i + 2 + skip
            } else {
                i..i + 2
            };
            let s = doc.sentence(i);
            let Some(np) = np_after(doc, cue.end + usize::from(as_reported), s.end) else {
                continue;
            };
            let opening = (s.start..i).all(|t| doc.is(t, &["but", "and", ",", "yet"]));
            let content = if opening && according && doc.w(np.range.end) == "," {
                let start = np.range.end + 1;
                start..self.clause_end(start, s.end)
            } else if i > s.start && doc.w(i - 1) == "," {
                self.trimmed(s.start..i - 1)
            } else {
                continue;
            };
            if content.len() < 2 {
                continue;
            }
            self.push(Found {
                id: 0,
                kind: ClaimKind::Indirect,
                rule: ClaimRule::AccordingTo,
                cue: Some(cue),
                source: Some(np),
                content,
                parts: Vec::new(),
                carries: None,
                exclude: Vec::new(),
            });
        }
    }

    // ---- 4. verbs -----------------------------------------------------------------------

    fn verbs(&mut self) {
        let doc = self.doc;
        let mut i = 0;
        while i < doc.len() {
            let Some(cue) = self.cue_at(i) else {
                i += 1;
                continue;
            };
            if self.quote_of[i].is_some() {
                i += 1;
                continue;
            }
            let s = doc.sentence(i);
            if cue.participle {
                self.participle(i, cue, s);
            } else if !self.after_clause(i, cue, s.clone()) {
                self.before_clause(i, cue, s);
            }
            i += usize::from(cue.len);
        }
    }

    /// `…, adding that …`, `before adding …`: the subject is the sentence's.
    fn participle(&mut self, i: usize, cue: Cue, s: Range<usize>) {
        let doc = self.doc;
        if i == s.start
            || !doc.is(
                i - 1,
                &[
                    ",", "and", "but", "before", "after", "while", "when", "by", "as",
                ],
            )
        {
            return;
        }
        // "was quoted as saying": the subject of "was quoted".
        let Some(content) = self.complement(i, cue, s.clone()) else {
            return;
        };
        let (source, carries) = self.subject_of(i, s.start);
        if source.is_none() && carries.is_none() {
            return;
        }
        let kind = self.kind_of(i, cue);
        self.push(Found {
            id: 0,
            kind,
            rule: ClaimRule::CueThenClause,
            cue: Some(i..self.cue_end(i, cue)),
            source,
            content,
            parts: Vec::new(),
            carries,
            exclude: Vec::new(),
        });
    }

    /// The subject of a cue: the source phrase before it, or for a participle or a second verb
    /// ("… and said"), the claim before it in the sentence or the sentence's subject.
    fn subject_of(&self, v: usize, sentence_start: usize) -> (Option<Np>, Option<usize>) {
        let doc = self.doc;
        let participle = self.cue_word(v).is_some_and(|c| c.participle);
        // "… and said", "… but added": a second verb of the sentence's subject.
        let mut p = v;
        while p > sentence_start
            && (doc.is(p - 1, &["also", "then", "later"]) || doc.w(p - 1).ends_with("ly"))
        {
            p -= 1;
        }
        let coordinated = p > sentence_start && doc.is(p - 1, &["and", "but"]);
        let participle_like = v > sentence_start && (participle || coordinated);
        if !participle_like {
            if let Some(np) = subject_before(doc, v, sentence_start) {
                return (Some(np), None);
            }
        }
        if participle_like {
            if let Some(prev) = self
                .out
                .iter()
                .rev()
                .take(RECENT_CLAIMS)
                .find(|f| f.anchor() >= sentence_start && f.anchor() < v && f.cue.is_some())
            {
                return (None, Some(prev.id));
            }
            if let Some(np) = np_after(doc, sentence_start, v) {
                if !matches!(np.head, Head::Noun(_, words::NounClass::Document)) {
                    return (Some(np), None);
                }
            }
        }
        (None, None)
    }

    /// `…, SOURCE CUE [addressee, setting].`, `…, CUE SOURCE.`, and the parenthetical `…,
    /// SOURCE CUE, …`: the content is the clause before (and after).
    fn after_clause(&mut self, i: usize, cue: Cue, s: Range<usize>) -> bool {
        let doc = self.doc;
        if !matches!(
            cue.class,
            CueClass::Speech | CueClass::Thought | CueClass::Post
        ) {
            return false;
        }
        let cue_end = i + usize::from(cue.len);
        // ", SOURCE CUE" or ", CUE SOURCE"
        let (source, frame_end, comma) = if let Some(np) = subject_before(doc, i, s.start)
            .filter(|np| np.range.start > s.start && doc.w(np.range.start - 1) == ",")
        {
            let c = np.range.start - 1;
            (np, cue_end, c)
        } else if i > s.start && doc.w(i - 1) == "," {
            let Some(np) = np_after(doc, cue_end, s.end) else {
                return false;
            };
            let e = np.range.end;
            (np, e, i - 1)
        } else {
            return false;
        };
        let Some(rest) = self.frame_rest(frame_end, cue, s.end) else {
            return false;
        };
        let from = s.start.max(comma.saturating_sub(MAX_CLAUSE));
        let content = self.trimmed(self.clause_start(from, comma)..comma);
        let min = if rest.is_some() { 1 } else { 3 };
        if content.len() < min {
            return false;
        }
        let mut parts = Vec::new();
        if let Some(r) = rest {
            parts.push(r);
        }
        let kind = self.kind_of(i, cue);
        self.push(Found {
            id: 0,
            kind,
            rule: ClaimRule::ClauseThenCue,
            cue: Some(i..self.cue_end(i, cue)),
            source: Some(source),
            content,
            parts,
            carries: None,
            exclude: Vec::new(),
        });
        true
    }

    /// Where a clause ending at `comma` starts: the sentence start, past a leading connective,
    /// or past an earlier attribution frame in the same sentence.
    fn clause_start(&self, s: usize, comma: usize) -> usize {
        let doc = self.doc;
        let mut start = s;
        while start < comma && doc.is(start, &["but", "and", "yet", "so", ",", "\"", "“"]) {
            start += 1;
        }
        start
    }

    /// What follows an attribution frame that ends at `j`: `Some(None)` when the sentence ends
    /// there (past an addressee and settings), `Some(Some(part))` when a parenthetical frame is
    /// followed by the rest of the content; `None` when something else follows (the frame then
    /// introduces content instead).
    fn frame_rest(&self, j: usize, cue: Cue, end: usize) -> Option<Option<Range<usize>>> {
        let doc = self.doc;
        let mut k = j;
        if cue.frames.addressee {
            if let Some(np) = np_after(doc, k, end) {
                k = np.range.end;
            }
        }
        // The rest of the frame: where and when ("in his New Year message", "on BBC Radio 4's
        // Today programme"), up to the sentence end or a comma. A "that", a finite verb, a
        // quote or another cue means a clause follows instead.
        // After the verb (and addressee) comes a setting or nothing: an object ("has pledged
        // retaliation") means the verb is not a frame after its content.
        let possessive = doc.is(k, &["'s", "'"]) && k > 0 && doc.capitalised(k - 1);
        if k < end
            && !possessive
            && !doc.is(k, &[",", ".", "!", "?", ";"])
            && !doc.is(k, SETTING)
            && !doc.is(k, FRAME_PREPOSITIONS)
            && !doc.has(k, class::DAY)
        {
            return None;
        }
        let mut steps = 0;
        while k < end && steps < 20 && !doc.is(k, &[",", ".", "!", "?", ";"]) {
            // A programme's or paper's title in quotes ("on NBC's “Meet the Press”") is part of
            // the setting.
            if let Some(q) = self.title_at(k) {
                k = self.quotes[q].after();
                steps += 1;
                continue;
            }
            // "'s" after a name is a possessive ("NBC's"), not "is".
            let possessive = doc.is(k, &["'s"]) && k > 0 && doc.capitalised(k - 1);
            if doc.is(k, FRAME_BREAKERS) && !possessive
                || self.quote_of[k].is_some()
                || doc.is(k, &["\"", "“", ":"])
                || self.cue_word(k).is_some_and(|c| !c.participle)
            {
                return None;
            }
            k += 1;
            steps += 1;
        }
        if k >= end || doc.is(k, &[".", "!", "?", ";"]) {
            return Some(None);
        }
        if doc.w(k) != "," {
            return None;
        }
        let after = k + 1;
        // ", said Mr Trump, the Republican nominee.": a short verbless apposition to the source
        // ends it.
        let rest = after..(after + 9).min(end);
        if let Some(stop) = rest
            .clone()
            .find(|&t| doc.is(t, &[".", "!", "?"]))
            .or((end <= after + 8).then_some(end))
        {
            let verbless = (after..stop).all(|t| {
                !doc.is(t, FRAME_BREAKERS)
                    && self.cue_word(t).is_none()
                    && self.quote_of[t].is_none()
            });
            if verbless
                && doc.is(
                    after,
                    &["the", "a", "an", "who", "his", "her", "its", "their"],
                )
            {
                return Some(None);
            }
        }
        // ", “…”": the quote's next part, which the quote pattern takes.
        if after < end && doc.is(after, &["\"", "“"]) {
            return Some(None);
        }
        // ", adding that …", ", but added …", ", while …": a new frame or a new clause, the
        // content ends before ours; ", and rates may follow" goes on with the content.
        let new_frame = doc.is(after, &["but", "and"])
            && self.cue_word(after + 1).is_some_and(|c| !c.participle);
        if after >= end
            || new_frame
            || doc.is(
                after,
                &["while", "whereas", "although", "though", "as", "according"],
            )
            || self.cue_word(after).is_some_and(|c| c.participle)
        {
            return Some(None);
        }
        // ", and rates may follow": the part starts after the conjunction.
        let after = after + usize::from(doc.is(after, &["and", "but"]));
        let part = after..self.clause_end(after, end);
        Some((part.len() >= 2).then_some(part))
    }

    /// `SOURCE CUE [addressee] [setting] [that] CONTENT`.
    fn before_clause(&mut self, i: usize, cue: Cue, s: Range<usize>) {
        let doc = self.doc;
        let Some(content) = self.complement(i, cue, s.clone()) else {
            return;
        };
        let (source, carries) = self.subject_of(i, s.start);
        let Some(np) = source.as_ref() else {
            if let Some(c) = carries {
                let kind = self.kind_of(i, cue);
                self.push(Found {
                    id: 0,
                    kind,
                    rule: self.rule_of(cue),
                    cue: Some(i..self.cue_end(i, cue)),
                    source: None,
                    content,
                    parts: Vec::new(),
                    carries: Some(c),
                    exclude: Vec::new(),
                });
            }
            return;
        };
        // Positions and intentions need someone who can hold them.
        let holder = match np.head {
            Head::Noun(_, words::NounClass::Other) => {
                matches!(cue.class, CueClass::Speech | CueClass::Thought)
            }
            Head::Noun(_, words::NounClass::Document) => {
                matches!(cue.class, CueClass::Speech)
                    && doc.is(
                        i,
                        &[
                            "found",
                            "finds",
                            "shows",
                            "showed",
                            "suggests",
                            "suggested",
                            "says",
                            "said",
                            "concluded",
                            "concludes",
                            "warned",
                            "warns",
                            "claimed",
                            "claims",
                            "recommended",
                            "predicts",
                            "predicted",
                            "estimated",
                            "estimates",
                            "proposes",
                            "proposed",
                            "argues",
                            "argued",
                        ],
                    )
            }
            Head::Name(_) => true,
            _ => true,
        };
        if !holder {
            return;
        }
        let kind = self.kind_of(i, cue);
        self.push(Found {
            id: 0,
            kind,
            rule: self.rule_of(cue),
            cue: Some(i..self.cue_end(i, cue)),
            source,
            content,
            parts: Vec::new(),
            carries: None,
            exclude: Vec::new(),
        });
    }

    fn rule_of(&self, cue: Cue) -> ClaimRule {
        match cue.class {
            CueClass::Position | CueClass::Intent => ClaimRule::Position,
            _ => ClaimRule::CueThenClause,
        }
    }

    /// The content a cue at `i` takes after it, by its frames.
    fn complement(&self, i: usize, cue: Cue, s: Range<usize>) -> Option<Range<usize>> {
        let doc = self.doc;
        let f = cue.frames;
        let end = s.end;
        let mut k = self.cue_end(i, cue);
        if cue.class == CueClass::Post && k == i + usize::from(cue.len) {
            // "posted a loss": a post needs its platform or a quote.
            return None;
        }
        // "warned MPs (that) …", but not "warned it would …": a subject pronoun starts the
        // clause.
        if f.addressee && !doc.is(k, &["that", "to", ":", ","]) && !doc.has(k, class::PRONOUN) {
            if let Some(np) = np_after(doc, k, end) {
                if !matches!(np.head, Head::Noun(_, words::NounClass::Document)) {
                    k = np.range.end;
                }
            } else if doc.is(k, &["him", "her", "them", "us", "me", "you"]) {
                k += 1;
            }
        }
        // A setting before "that": "said on Monday that …", "told MPs in the Commons that …".
        let time_word = |t: usize| {
            doc.is(
                t,
                &[
                    "week",
                    "month",
                    "year",
                    "morning",
                    "afternoon",
                    "evening",
                    "weekend",
                    "night",
                    "time",
                ],
            )
        };
        // "vowed to retaliate", "pledged to “turn these beliefs into reality”".
        let next_word = if doc.is(k + 1, &["\"", "“"]) {
            k + 2
        } else {
            k + 1
        };
        let infinitive = f.infinitive
            && doc.w(k) == "to"
            && doc
                .raw(next_word)
                .chars()
                .next()
                .is_some_and(char::is_lowercase);
        let setting = if infinitive {
            false
        } else if doc.has(k, class::DAY) {
            true
        } else if doc.is(k, &["this", "last"]) {
            time_word(k + 1)
        } else {
            doc.is(k, SETTING)
        };
        if setting {
            let that = (k..(k + 12).min(end))
                .find(|&t| doc.w(t) == "that" || doc.is(t, &[",", ";", ":", "\"", "“"]));
            match that {
                Some(t) if doc.w(t) == "that" => k = t,
                _ => return None,
            }
        }
        // A clause needs two words; an object may be one ("pledged retaliation").
        let (start, min, bare) = match doc.w(k) {
            "that" if f.clause || f.bare_clause => (k + 1, 2, false),
            "to" if f.infinitive => (k, 2, false),
            "whether" | "if" if f.clause || f.bare_clause => (k + 1, 2, false),
            "how" | "why" | "what" | "when" | "where" | "who" if f.clause || f.bare_clause => {
                (k, 2, false)
            }
            "of" | "against" | "about" | "over" if f.prepositional => (k + 1, 1, false),
            _ if f.object && self.object_start(k) => (k, 1, false),
            _ if f.bare_clause && self.clause_opener(k) => (k, 2, true),
            _ => return None,
        };
        if start >= end || self.quote_of[start].is_some() && self.quote_starts_content(start) {
            return None;
        }
        let e = self.clause_end(start, end);
        // "Tube Lines, which maintains the Jubilee and Northern lines": after a verb with a
        // common sense that is not speech, a clause without "that" needs a predicate, or the
        // verb took a plain object in that other sense.
        let other_sense = doc.is(i, OTHER_SENSE_CUES);
        if bare && other_sense && self.quote_of[start].is_none() && !self.has_predicate(start, e) {
            return None;
        }
        (e >= start + min).then_some(start..e)
    }

    /// Whether content starting at `start` is a quote someone already claims (a quote the cue
    /// introduces is the quote's claim).
    fn quote_starts_content(&self, start: usize) -> bool {
        let Some(k) = self.quote_of[start] else {
            return false;
        };
        self.quotes[k as usize].open + 1 == start
    }

    fn object_start(&self, k: usize) -> bool {
        let doc = self.doc;
        let w = doc.w(k);
        !w.is_empty()
            && !doc.is(
                k,
                &[
                    ",", ".", ";", ":", "!", "?", "that", "to", "by", "as", "in", "on", "at",
                    "for", "with", "and", "but", "or", "from", "after", "before", "if", "when",
                    "while", "up", "out", "down", "off", "back", "also", "not", "n't", "it",
                    "there",
                ],
            )
            && !doc.is(k, FRAME_BREAKERS)
            && (doc.raw(k).chars().next().is_some_and(char::is_alphanumeric)
                || doc.is(k, &["“", "\"", "£", "$", "€"]))
    }

    /// Whether tokens `start..end` hold a predicate: an auxiliary or modal, a word in -ed or
    /// -n't, or a word in -s after a name or pronoun with more words after it ("Iran wants
    /// peace", not "the Jubilee and Northern lines"). A heuristic, used only after the verbs of
    /// [`OTHER_SENSE_CUES`]: irregular pasts ("found") and verbs after a common noun ("the
    /// party needs") escape it.
    fn has_predicate(&self, start: usize, end: usize) -> bool {
        let doc = self.doc;
        (start..end).any(|k| {
            let w = doc.w(k);
            let lower = doc.raw(k).starts_with(char::is_lowercase);
            // The auxiliaries and negations among the frame breakers.
            let auxiliary = doc.is(k, FRAME_BREAKERS) && !doc.is(k, &["that", "there"])
                || doc.is(k, &["'ve", "cannot"]);
            auxiliary
                || lower && (w.ends_with("ed") || w.ends_with("n't"))
                || lower
                    && w.ends_with('s')
                    && k > start
                    && k + 1 < end
                    && (doc.capitalised(k - 1) || doc.has(k - 1, class::PRONOUN))
        })
    }

    /// Whether a clause without "that" can start at `k`: a word that is not a preposition, a
    /// conjunction or an adverb of time ("said on Monday", "said yesterday" lead nowhere).
    fn clause_opener(&self, k: usize) -> bool {
        let doc = self.doc;
        doc.raw(k).chars().next().is_some_and(char::is_alphanumeric)
            && !doc.is(k, NOT_CLAUSE_OPENERS)
            && self.cue_word(k).is_none_or(|c| !c.participle)
    }

    /// Where a content clause starting at `start` ends (exclusive), within `end`: before a new
    /// frame (", adding …", "but said …", ", according to …", ";") or at the sentence end,
    /// trailing punctuation excluded.
    fn clause_end(&self, start: usize, end: usize) -> usize {
        let doc = self.doc;
        let limit = end.min(start + MAX_CLAUSE);
        let mut k = start;
        while k < limit {
            if doc.is(k, &[";"]) {
                break;
            }
            if doc.w(k) == "," && k + 1 < limit {
                let n = k + 1;
                if doc.is(n, &["according", "while", "whereas"])
                    || self.cue_word(n).is_some_and(|c| c.participle) && self.quote_of[n].is_none()
                {
                    break;
                }
                // ", he said." / ", the minister added": a frame that closes the sentence.
                if let Some(np) = np_after(doc, n, limit) {
                    let v = np.range.end;
                    if let Some(c) = self.cue_word(v) {
                        if matches!(c.class, CueClass::Speech | CueClass::Thought) && !c.participle
                        {
                            break;
                        }
                    }
                }
            }
            if doc.is(k, &["and", "but"]) && k + 1 < limit {
                if let Some(c) = self.cue_word(k + 1) {
                    if !c.participle {
                        break;
                    }
                }
            }
            // "… after Iran vowed to retaliate", "… as the police said they would help": a
            // subordinate clause with an attribution of its own is that claim, not this one's.
            if k > start && doc.is(k, SUBORDINATORS) && self.attribution_follows(k + 1, limit) {
                break;
            }
            k += 1;
        }
        self.trimmed(start..k).end
    }

    /// Whether a subject and a finite verb of saying (or position) start at `k`, within a few
    /// tokens: "the police said", "Iran vowed", "figures showed".
    fn attribution_follows(&self, k: usize, limit: usize) -> bool {
        let doc = self.doc;
        let Some(np) = np_after(doc, k, limit) else {
            return false;
        };
        let mut v = np.range.end;
        while v < limit && v - np.range.end < 2 && doc.has(v, class::BETWEEN_SUBJECT_AND_VERB) {
            v += 1;
        }
        self.cue_word(v).is_some_and(|c| !c.participle)
    }

    /// `r` without trailing punctuation, and without a quotation mark at either edge that no
    /// mark inside pairs with.
    fn trimmed(&self, r: Range<usize>) -> Range<usize> {
        let doc = self.doc;
        let mark = |i: usize| doc.is(i, &["\"", "“", "”"]);
        let (mut s, mut e) = (r.start, r.end);
        loop {
            let before = (s, e);
            while e > s && doc.is(e - 1, &[".", ",", ";", ":", "!", "-", "—", "–"]) {
                e -= 1;
            }
            if e > s && mark(e - 1) && (s..e - 1).filter(|&i| mark(i)).count() % 2 == 0 {
                e -= 1;
            }
            if e > s && mark(s) && (s + 1..e).filter(|&i| mark(i)).count() % 2 == 0 {
                s += 1;
            }
            if (s, e) == before {
                return s..e;
            }
        }
    }

    // ---- 5. nouns of saying -------------------------------------------------------------

    /// `X's claim that …`, `his pledge to …`, `their calls for …`.
    fn cue_nouns(&mut self) {
        let doc = self.doc;
        for i in 1..doc.len() {
            if !doc.has(i, class::CUE_NOUN) || self.used[i] || self.quote_of[i].is_some() {
                continue;
            }
            let s = doc.sentence(i);
            let next = doc.w(i + 1);
            // "claim that [A]", "pledge [to B]", "threats [against C]": what the noun is about.
            let start = match next {
                "that" => i + 2,
                "to" | "of" | "for" | "against" | "over" | "about" | "on" => i + 1,
                _ => continue,
            };
            if next == "to" && !doc.raw(i + 2).chars().all(char::is_lowercase) {
                continue;
            }
            if start >= s.end {
                continue;
            }
            let source = if matches!(doc.w(i - 1), "'s" | "'") && i >= 2 {
                np_before(doc, i - 1, s.start)
            } else if doc.is(i - 1, &["his", "her"]) {
                Some(Np {
                    range: i - 1..i,
                    head: Head::Pronoun(i - 1),
                    apposition: None,
                })
            } else {
                None
            };
            let Some(source) = source else {
                continue;
            };
            if matches!(source.head, Head::Noun(_, words::NounClass::Document)) {
                continue;
            }
            let content = start..self.clause_end(start, s.end);
            if content.len() < 2 {
                continue;
            }
            let kind = if doc.is(i, POSITION_NOUNS) {
                ClaimKind::Reported
            } else {
                ClaimKind::Indirect
            };
            self.push(Found {
                id: 0,
                kind,
                rule: ClaimRule::CueNoun,
                cue: Some(i..i + 1),
                source: Some(source),
                content,
                parts: Vec::new(),
                carries: None,
                exclude: Vec::new(),
            });
        }
    }
}

trait QuoteKind {
    /// The kind of a quoted claim: posts stay posts, everything else is a direct quote.
    fn max_quote(self) -> ClaimKind;
}

impl QuoteKind for ClaimKind {
    fn max_quote(self) -> ClaimKind {
        if self == ClaimKind::Post {
            ClaimKind::Post
        } else {
            ClaimKind::DirectQuote
        }
    }
}
