//! Claims: what is said or done, by whom, about whom — and the stance each target gets.
//!
//! A claim is a speaker (an entity of the article), a content span and a kind:
//! * `direct_quote`: text in double quotes, attributed after it (`,” Biden said`, `,” the
//!   British Foreign Minister posted`), before it in the same sentence (`Cameron … said “…”`,
//!   `the words of Biden … that “…”`), or an embedded post signed `— Name (@handle)`.
//! * `indirect`: `SPEAKER VERB [that] CLAUSE` with a verb of saying ("Blinken emphasized that
//!   …", "Biden stressed …").
//! * `reported`: an actor's position stated by the writer: `ACTOR CUE-VERB TARGET` ("Iran has
//!   accused Israel of …") or `ACTOR’s CUE-NOUN against/for TARGET` ("Iran’s threats against
//!   Israel").
//!
//! Stance toward each target in a claim, first rule that applies:
//! 1. `cue_governs_target`: a stance cue takes the target as its object —
//!    `CUE (to|for|with|against|from|on|toward|between|of) [the] TARGET` or `CUE-VERB [the]
//!    TARGET` — signed by the cue lexicon, flipped by a negation right before the cue.
//! 2. `modal_negation`: the target is the subject of "must not", "should not", "cannot",
//!    "will not be allowed": the speaker opposes what the target would do.
//! 3. `model`: the NewsMTSC-fitted polarity model on the sentence, naming its decisive word.
//!
//! Targets used only as a place ("in Syria", "at the White House") get a stance only from a
//! cue, never from the model, and a target inside a nested claim of another speaker ("Iran’s
//! threats against Israel" inside Miller's remarks) belongs to that inner claim.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::polarity::{Polarity, Sentence};
use super::TargetScorer;
use crate::dedup::paragraphs::RepeatedParagraph;
use crate::entities::resolve::SPEECH_VERBS;
use crate::entities::tokens::{sentences, tokenize, Token};
use crate::entities::{Entity, EntityType};

/// How the claim is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimKind {
    /// Quoted words, including posts.
    DirectQuote,
    /// Reported speech: "X said that …".
    Indirect,
    /// A position the writer reports: "Iran has accused Israel of …".
    Reported,
}

/// Which rule decided a stance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StanceRule {
    /// A stance cue takes the target as its object.
    CueGovernsTarget,
    /// The target is the subject of a negated modal ("Iran must not").
    ModalNegation,
    /// The polarity model, by its most decisive word.
    Model,
}

/// For, against or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StanceLabel {
    /// The speaker is for the target.
    Support,
    /// The speaker is against the target.
    Oppose,
    /// Neither.
    Neutral,
}

/// A char span of the body with its text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The text.
    pub text: String,
    /// Char offset of its first character in the body.
    pub start: usize,
    /// Char offset one past its last character.
    pub end: usize,
}

/// One speaker → target stance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stance {
    /// Canonical name of the speaker's entity.
    pub speaker: String,
    /// Its type.
    pub speaker_type: EntityType,
    /// Canonical name of the target's entity.
    pub target: String,
    /// Its type.
    pub target_type: EntityType,
    /// The stance.
    pub stance: StanceLabel,
    /// Confidence in [0, 1].
    pub confidence: f64,
    /// The sentence (within the claim) that carries it.
    pub evidence: Evidence,
    /// The cue that decided: a lexicon entry ("commitment", "accus*"), "must not", or the
    /// model's most decisive word.
    pub cue: String,
    /// Which rule decided.
    pub rule: StanceRule,
    /// How the claim was made.
    pub kind: ClaimKind,
}

/// Nouns that introduce someone's words: "the words of Biden".
const WORDS_OF: &[&str] = &[
    "words",
    "remarks",
    "comments",
    "statement",
    "message",
    "words",
];

/// Tokens that may sit between a subject and its verb.
const BETWEEN_SUBJECT_AND_VERB: &[&str] = &[
    "also",
    "has",
    "have",
    "had",
    "will",
    "would",
    "again",
    "then",
    "later",
    "earlier",
    "reportedly",
    "repeatedly",
    "publicly",
    "previously",
    "already",
    "once",
    "quickly",
    "firmly",
    "had",
    "is",
    "was",
    "has",
    "been",
];

/// Prepositions by which a cue takes its object.
const CUE_PREPS: &[&str] = &[
    "to", "for", "with", "against", "from", "on", "toward", "towards", "between", "of", "by",
];

/// Prepositions that make a place a setting, not a target.
const LOCATIVE: &[&str] = &[
    "in", "at", "near", "across", "inside", "within", "around", "into",
];

const DETERMINERS: &[&str] = &[
    "the", "a", "an", "its", "their", "his", "her", "these", "this",
];

/// Words after a demonym that make it the state acting: "the Iranian government".
const GOVERNMENT: &[&str] = &[
    "government",
    "authorities",
    "officials",
    "regime",
    "administration",
    "military",
    "army",
    "leadership",
    "forces",
];

struct Doc<'a> {
    body: &'a str,
    tokens: Vec<Token<'a>>,
    lower: Vec<String>,
    sentence_of: Vec<usize>,
    sentences: Vec<Range<usize>>,
    /// Entity index of the mention covering each token.
    entity_of: Vec<Option<usize>>,
    /// First token of the mention covering each token.
    mention_start: Vec<usize>,
    entities: &'a [Entity],
    /// Byte offset of each char, plus the body length.
    char_bytes: Vec<usize>,
    scorer: &'a TargetScorer,
}

struct Claim {
    kind: ClaimKind,
    speaker: usize,
    content: Range<usize>,
}

impl<'a> Doc<'a> {
    fn new(body: &'a str, entities: &'a [Entity], scorer: &'a TargetScorer) -> Self {
        let tokens = tokenize(body);
        let sents = sentences(body, &tokens);
        let mut sentence_of = vec![0; tokens.len()];
        for (k, r) in sents.iter().enumerate() {
            sentence_of[r.clone()].iter_mut().for_each(|s| *s = k);
        }
        let mut char_bytes: Vec<usize> = body.char_indices().map(|(b, _)| b).collect();
        char_bytes.push(body.len());
        let mut entity_of = vec![None; tokens.len()];
        let mut mention_start = (0..tokens.len()).collect::<Vec<_>>();
        for (e, ent) in entities.iter().enumerate() {
            for m in &ent.mentions {
                let (Some(&bs), Some(&be)) = (char_bytes.get(m.start), char_bytes.get(m.end))
                else {
                    continue;
                };
                let first = tokens.partition_point(|t| t.end <= bs);
                let mut i = first;
                while i < tokens.len() && tokens[i].start < be {
                    entity_of[i] = Some(e);
                    mention_start[i] = first;
                    i += 1;
                }
            }
        }
        let lower = tokens
            .iter()
            .map(|t| t.text.replace('’', "'").to_lowercase())
            .collect();
        Doc {
            body,
            tokens,
            lower,
            sentence_of,
            sentences: sents,
            entity_of,
            mention_start,
            entities,
            char_bytes,
            scorer,
        }
    }

    fn char_of(&self, byte: usize) -> usize {
        self.char_bytes.partition_point(|&b| b < byte)
    }

    fn is(&self, i: usize, words: &[&str]) -> bool {
        self.lower
            .get(i)
            .is_some_and(|w| words.contains(&w.as_str()))
    }

    /// The acting entity of the mention at token `i`: a demonym followed by "government" (or
    /// standing alone as an actor) acts for its country when the article names the country.
    fn actor_at(&self, i: usize) -> Option<usize> {
        let e = self.entity_of.get(i).copied().flatten()?;
        let ent = &self.entities[e];
        if ent.kind == EntityType::Norp {
            let country = self.entities.iter().position(|c| {
                c.kind == EntityType::Loc
                    && c.country_code.is_some()
                    && c.country_code == ent.country_code
            });
            return country.or(Some(e));
        }
        Some(e)
    }

    /// The subject of the verb at `v`: an entity mention, a pronoun or a title just before it,
    /// else the nearest person named earlier in the same sentence.
    fn subject_of(&self, v: usize) -> Option<usize> {
        let sent = self.sentences[self.sentence_of[v]].clone();
        let mut i = v;
        let mut skipped = 0;
        while i > sent.start && skipped <= 4 {
            i -= 1;
            if self.is(i, BETWEEN_SUBJECT_AND_VERB) || self.lower[i] == "," && skipped > 0 {
                skipped += 1;
                continue;
            }
            if self.is(i, GOVERNMENT) && i > sent.start {
                if let Some(a) = self.actor_at(i - 1) {
                    return Some(a);
                }
            }
            if let Some(a) = self.actor_at(i) {
                return Some(a);
            }
            if let Some(p) = self.pronoun(i) {
                return Some(p);
            }
            if let Some(t) = self.titled(i, &[]) {
                return Some(t);
            }
            break;
        }
        (sent.start..v)
            .rev()
            .filter_map(|j| self.actor_at(j))
            .find(|&e| self.entities[e].kind == EntityType::Person)
    }

    /// A pronoun at `i` resolved to the nearest compatible entity named before it.
    fn pronoun(&self, i: usize) -> Option<usize> {
        let want: &[EntityType] = match self.lower[i].as_str() {
            "he" | "she" | "i" => &[EntityType::Person],
            "they" | "it" | "we" => &[EntityType::Org, EntityType::Loc],
            _ => return None,
        };
        (0..i)
            .rev()
            .filter_map(|j| self.actor_at(j))
            .find(|&e| want.contains(&self.entities[e].kind))
    }

    /// A title-only reference ending at `i` ("the British Foreign Minister") resolved to the
    /// person whose role shares at least two of its words, preferring a role that also has its
    /// first word (the nationality, usually). People in `exclude` are not candidates.
    fn titled(&self, i: usize, exclude: &[usize]) -> Option<usize> {
        let mut s = i;
        while s > 0 && self.tokens[s - 1].text.starts_with(char::is_uppercase) && i - s < 5 {
            s -= 1;
        }
        if !self.tokens[i].text.starts_with(char::is_uppercase) {
            return None;
        }
        let words: Vec<&str> = self.tokens[s..=i].iter().map(|t| t.text).collect();
        self.entities
            .iter()
            .enumerate()
            .filter(|(k, e)| e.kind == EntityType::Person && !exclude.contains(k))
            .filter_map(|(k, e)| {
                let role = e.role.as_deref()?;
                let role_words: Vec<&str> = role.split_whitespace().collect();
                let shared = role_words.iter().filter(|w| words.contains(w)).count();
                let first = usize::from(role_words.contains(&words[0]));
                (shared >= 2).then_some((k, shared * 2 + first))
            })
            .max_by_key(|&(_, n)| n)
            .map(|(k, _)| k)
    }

    /// The speaker named in the few tokens after a closing quote (`, SPEAKER VERB` or `, VERB
    /// SPEAKER`), and the verb. Entities in `exclude` (those the quote itself names) are not
    /// candidates: a quote rarely speaks of its speaker in the third person.
    fn attribution_after(&self, close: usize, exclude: &[usize]) -> Option<(usize, usize)> {
        if close >= self.tokens.len() {
            return None;
        }
        let sent_end = self.sentences[self.sentence_of[close]].end;
        let end = (close + 10)
            .min(self.tokens.len())
            .min(sent_end.max(close + 1));
        let v = (close..end).find(|&i| self.is(i, SPEECH_VERBS))?;
        let ok = |a: &usize| !exclude.contains(a);
        let before = (close..v).rev().find_map(|i| {
            self.actor_at(i)
                .filter(ok)
                .or_else(|| self.pronoun(i).filter(ok))
                .or_else(|| self.titled(i, exclude))
        });
        let speaker = before.or_else(|| {
            (v + 1..(v + 4).min(self.tokens.len())).find_map(|i| self.actor_at(i).filter(ok))
        })?;
        Some((speaker, v))
    }

    /// The speaker introduced before an opening quote in the same sentence: the closer of
    /// "the words of SPEAKER" / "according to SPEAKER" and a verb of saying with its subject.
    fn attribution_before(&self, open: usize) -> Option<usize> {
        let sent = self.sentences[self.sentence_of[open]].clone();
        let mut i = open;
        while i > sent.start {
            i -= 1;
            if self.is(i, SPEECH_VERBS) {
                return self.subject_of(i);
            }
            if i >= 2 && self.actor_at(i).is_some() {
                let m = self.mention_start[i];
                if m >= 2
                    && (self.lower[m - 1] == "of" && self.is(m - 2, WORDS_OF)
                        || self.lower[m - 1] == "to" && self.lower[m - 2] == "according")
                {
                    return self.actor_at(i);
                }
            }
        }
        None
    }

    fn claims(&self) -> Vec<Claim> {
        let mut out = Vec::new();
        let used = self.quotes(&mut out);
        self.posts(&mut out);
        self.speech(&mut out, &used);
        self.reported(&mut out);
        out
    }

    /// Double-quoted spans: curly pairs, straight quotes toggling; a quote left open at a
    /// paragraph end closes there (news style for quotes running across paragraphs). Returns
    /// the verbs used to attribute quotes, which are not indirect speech too.
    fn quotes(&self, out: &mut Vec<Claim>) -> Vec<usize> {
        let mut used = Vec::new();
        let mut open: Option<usize> = None;
        let n = self.tokens.len();
        for i in 0..n {
            let t = self.tokens[i].text;
            let paragraph_end = i + 1 == n
                || self.body[self.tokens[i].end..self.tokens[i + 1].start].contains('\n');
            match (t, open) {
                ("“", _) | ("\"", None) => open = Some(i),
                ("”", Some(o)) | ("\"", Some(o)) => {
                    open = None;
                    if i - o > 4 {
                        let named: Vec<usize> =
                            (o + 1..i).filter_map(|k| self.actor_at(k)).collect();
                        let speaker = match self.attribution_after(i + 1, &named) {
                            Some((s, v)) => {
                                used.push(v);
                                Some(s)
                            }
                            None => self.attribution_before(o),
                        };
                        if let Some(speaker) = speaker {
                            out.push(Claim {
                                kind: ClaimKind::DirectQuote,
                                speaker,
                                content: o + 1..i,
                            });
                        }
                    }
                }
                _ => {}
            }
            if paragraph_end {
                open = None;
            }
        }
        used
    }

    /// Embedded posts: a paragraph ending `— Name (@handle) date` is the named person's post.
    fn posts(&self, out: &mut Vec<Claim>) {
        for (i, t) in self.tokens.iter().enumerate() {
            if !matches!(t.text, "—" | "–") || i == 0 {
                continue;
            }
            let Some(speaker) = self.actor_at(i + 1) else {
                continue;
            };
            let handle = self.tokens[i + 1..]
                .iter()
                .take(8)
                .any(|t| t.text.starts_with('@') || t.text.starts_with("(@"));
            if !handle {
                continue;
            }
            // The post is the paragraph before the dash.
            let mut s = i;
            while s > 0 && !self.body[self.tokens[s - 1].end..self.tokens[s].start].contains('\n') {
                s -= 1;
            }
            if i > s + 3 {
                out.push(Claim {
                    kind: ClaimKind::DirectQuote,
                    speaker,
                    content: s..i,
                });
            }
        }
    }

    /// `SPEAKER VERB [that] CLAUSE`: the rest of the sentence is the claim.
    fn speech(&self, out: &mut Vec<Claim>, used: &[usize]) {
        for v in 0..self.tokens.len() {
            if !self.is(v, SPEECH_VERBS) || used.contains(&v) {
                continue;
            }
            // A verb introducing a quote ("said “…”", "said: “…”") is the quote's attribution.
            let next = (v + 1..(v + 3).min(self.tokens.len())).find(|&k| !self.is(k, &[":", ","]));
            if next.is_some_and(|k| matches!(self.tokens[k].text, "“" | "\"")) {
                continue;
            }
            let sent = self.sentences[self.sentence_of[v]].clone();
            let mut c = v + 1;
            // "told the Associated Press (that) …": the addressee is not what is said.
            if self.is(v, &["told", "tells", "tell", "asked", "urged"]) {
                while c < sent.end && self.is(c, DETERMINERS) {
                    c += 1;
                }
                if let Some(e) = self.entity_of.get(c).copied().flatten() {
                    while c < sent.end && self.entity_of[c] == Some(e) {
                        c += 1;
                    }
                } else if self.is(c, &["reporters", "journalists", "him", "her", "them", "us"]) {
                    c += 1;
                }
            }
            if self.lower.get(c).is_some_and(|w| w == "that") {
                c += 1;
            }
            if sent.end <= c + 2 {
                continue;
            }
            let Some(speaker) = self.subject_of(v) else {
                continue;
            };
            out.push(Claim {
                kind: ClaimKind::Indirect,
                speaker,
                content: c..sent.end,
            });
        }
    }

    /// `ACTOR CUE-VERB TARGET` and `ACTOR’s CUE-NOUN PREP TARGET`.
    fn reported(&self, out: &mut Vec<Claim>) {
        for i in 0..self.tokens.len() {
            let Some(actor) = self.actor_at(i) else {
                continue;
            };
            // Only at the mention's last token.
            if self.entity_of.get(i + 1).copied().flatten() == self.entity_of[i] {
                continue;
            }
            let mut j = i + 1;
            let possessive = self.is(j, &["'s", "'"]);
            if possessive {
                j += 1;
            } else {
                while j < self.tokens.len() && self.is(j, BETWEEN_SUBJECT_AND_VERB) && j - i < 4 {
                    j += 1;
                }
            }
            let Some(cue) = self.lower.get(j) else {
                continue;
            };
            if self.cue_score(cue).is_none() || self.is(j, SPEECH_VERBS) {
                continue;
            }
            let sent_end = self.sentences[self.sentence_of[j]].end;
            let end = (j + 8).min(sent_end);
            if end > j + 1 {
                out.push(Claim {
                    kind: ClaimKind::Reported,
                    speaker: actor,
                    content: j..end,
                });
            }
        }
    }

    fn cue_score(&self, lower: &str) -> Option<f32> {
        self.scorer.cues().get(lower)
    }

    /// Whether a negation sits in the three tokens before `i`.
    fn negated(&self, i: usize) -> bool {
        (i.saturating_sub(3)..i).any(|j| self.is(j, &["not", "n't", "no", "never", "without"]))
    }

    /// Rule 1: a cue that takes the mention starting at `m` as its object, or whose agent the
    /// mention is. Returns (score, cue token); a score of 0 marks the target as the one a
    /// third party acts against, about whom the claim says nothing for or against. `agent_is_speaker`: the claim's speaker does what
    /// the cue says (a reported position), so "threats against Israel" is the speaker's
    /// opposition to Israel; in a quote the same words may describe a third party's act.
    fn governing_cue(
        &self,
        m: usize,
        floor: usize,
        agent_is_speaker: bool,
    ) -> Option<(f32, usize)> {
        let mut i = m;
        while i > floor && self.is(i - 1, DETERMINERS) {
            i -= 1;
        }
        let cue_at = |k: usize| -> Option<(f32, usize)> {
            let v = self.cue_score(&self.lower[k])?;
            Some((if self.negated(k) { -v } else { v }, k))
        };
        // "the Iranian threat", "Russian aggression": the target is the agent of a hostile act.
        if let Some(after) = self.mention_end(m) {
            if let Some((v, k)) = cue_at(after).filter(|&(v, _)| v < 0.0) {
                return Some((v, k));
            }
        }
        if i <= floor {
            return None;
        }
        let before = i - 1;
        // Coordination: "between Israel and the USA" — the second conjunct shares the first's cue.
        if self.is(before, &["and", "or"]) && before > floor {
            if let Some(prev) = self.entity_of[before - 1].map(|_| self.mention_start[before - 1]) {
                return self.governing_cue(prev, floor, agent_is_speaker);
            }
        }
        if self.is(before, &["with", "by"])
            && before > floor
            && self.is(
                before - 1,
                &[
                    "stand", "stands", "stood", "standing", "side", "sided", "sides",
                ],
            )
        {
            let k = before - 1;
            return Some((if self.negated(k) { -1.0 } else { 1.0 }, k));
        }
        if self.is(before, CUE_PREPS) && before > floor {
            let (v, k) = cue_at(before - 1)?;
            // "attack on Israel", "threats against Israel": Israel is the one acted on, which
            // says the speaker opposes Israel only if the speaker is the one acting.
            if v < 0.0
                && self.is(before, &["against", "on", "at", "toward", "towards"])
                && !agent_is_speaker
            {
                return Some((0.0, k));
            }
            return Some((v, k));
        }
        cue_at(before)
    }

    /// The token after the mention starting at `m`, skipping a possessive.
    fn mention_end(&self, m: usize) -> Option<usize> {
        let e = self.entity_of.get(m).copied().flatten()?;
        let mut k = m;
        while k < self.tokens.len() && self.entity_of[k] == Some(e) && self.mention_start[k] == m {
            k += 1;
        }
        (k < self.tokens.len()).then_some(k)
    }

    /// Rule 2: the mention ending at `e` (exclusive) is the subject of a negated modal.
    fn modal_negation(&self, e: usize, ceiling: usize) -> Option<Range<usize>> {
        let w = |k: usize| (k < ceiling).then(|| self.lower[k].as_str());
        match (w(e), w(e + 1)) {
            (
                Some("must" | "should" | "will" | "would" | "can" | "could" | "may"),
                Some("not" | "n't"),
            ) => Some(e..e + 2),
            (Some("cannot" | "mustn't" | "shouldn't" | "won't"), _) => Some(e..e + 1),
            _ => None,
        }
    }

    /// Whether the mention starting at `m` is a setting ("in Syria", "in their earlier Oval
    /// Office meeting") or the source of a report ("as reported by the State Department").
    fn setting_or_source(&self, m: usize) -> bool {
        let from = m.saturating_sub(3);
        for j in (from..m).rev() {
            let w = self.lower[j].as_str();
            if LOCATIVE.contains(&w) {
                return true;
            }
            if w == "by" && j > 0 && self.is(j - 1, &["reported", "according", "said", "confirmed"])
                || w == "to" && j > 0 && self.lower[j - 1] == "according"
            {
                return true;
            }
            if !w.chars().all(char::is_lowercase) {
                return false;
            }
        }
        false
    }

    fn span(&self, r: Range<usize>) -> Evidence {
        let (bs, be) = (self.tokens[r.start].start, self.tokens[r.end - 1].end);
        Evidence {
            text: self.body[bs..be].to_owned(),
            start: self.char_of(bs),
            end: self.char_of(be),
        }
    }
}

/// The stances of an article: its claims, their targets and the stance toward each.
/// `repeated` are the dedup stage's repeated paragraphs: claims inside a repeat are skipped,
/// so a quote printed twice counts once.
pub fn stances(
    body: &str,
    entities: &[Entity],
    repeated: &[RepeatedParagraph],
    scorer: &TargetScorer,
) -> Vec<Stance> {
    if entities.is_empty() || body.is_empty() {
        return Vec::new();
    }
    let doc = Doc::new(body, entities, scorer);
    if doc.tokens.is_empty() {
        return Vec::new();
    }
    let mut claims = doc.claims();
    // A repeated paragraph's claims were already made where it first appeared.
    claims.retain(|c| {
        let start = doc.char_of(doc.tokens[c.content.start].start);
        !repeated.iter().any(|r| (r.start..r.end).contains(&start))
    });
    // The same words claimed twice (a quote also caught as indirect speech): keep the first
    // kind found, quotes before speech before reports.
    let mut kept: Vec<Claim> = Vec::new();
    for c in claims {
        let dup = kept.iter().any(|k| {
            k.speaker == c.speaker
                && k.content.start <= c.content.start
                && c.content.end <= k.content.end
        });
        if !dup {
            kept.push(c);
        }
    }
    let mut prepared: Vec<Option<Sentence>> = vec![None; doc.sentences.len()];
    let mut out: Vec<Stance> = Vec::new();
    let mut evidence_seen: std::collections::HashMap<(usize, usize, StanceLabel), Vec<String>> =
        std::collections::HashMap::new();
    for (ci, c) in kept.iter().enumerate() {
        // Inner claims of other speakers own their targets.
        let inner: Vec<Range<usize>> = kept
            .iter()
            .enumerate()
            .filter(|&(k, o)| {
                k != ci
                    && o.speaker != c.speaker
                    && c.content.start <= o.content.start
                    && o.content.end <= c.content.end
                    && o.content != c.content
            })
            .map(|(_, o)| {
                // The inner claim's actor precedes its content.
                let from = (c.content.start..o.content.start)
                    .rev()
                    .find(|&i| doc.actor_at(i) == Some(o.speaker))
                    .unwrap_or(o.content.start);
                from..o.content.end
            })
            .collect();
        let mut i = c.content.start;
        while i < c.content.end {
            let Some(target) = doc.actor_at(i) else {
                i += 1;
                continue;
            };
            let m = doc.mention_start[i].max(c.content.start);
            let mut e = i + 1;
            while e < c.content.end
                && doc.entity_of[e] == doc.entity_of[i]
                && doc.mention_start[e] == doc.mention_start[i]
            {
                e += 1;
            }
            i = e;
            if target == c.speaker
                || inner.iter().any(|r| r.contains(&m))
                || affiliated(&entities[c.speaker], &entities[target])
            {
                continue;
            }
            let k = doc.sentence_of[m];
            let sent = doc.sentences[k].clone();
            let ev = sent.start.max(c.content.start)..sent.end.min(c.content.end);
            let mut model = || {
                let s =
                    prepared[k].get_or_insert_with(|| scorer.sentence(&doc.tokens[sent.clone()]));
                scorer.score(s, m - sent.start, e - sent.start)
            };
            let agent_is_speaker = c.kind == ClaimKind::Reported;
            let governing = doc.governing_cue(m, ev.start, agent_is_speaker);
            if governing.is_some_and(|(score, _)| score == 0.0) {
                continue;
            }
            let decided = if let Some((score, cue)) = governing {
                let label = if score > 0.0 {
                    StanceLabel::Support
                } else {
                    StanceLabel::Oppose
                };
                // Name the lexicon entry ("accus*"); "stand with" is a rule, not an entry.
                let entry = scorer
                    .cues()
                    .entry(&doc.lower[cue])
                    .map_or_else(|| format!("{} with", doc.lower[cue]), |(e, _)| e);
                Some((label, 0.9f64, entry, StanceRule::CueGovernsTarget))
            } else if let Some(r) = doc.modal_negation(e, ev.end) {
                let cue = doc.body[doc.tokens[r.start].start..doc.tokens[r.end - 1].end].to_owned();
                Some((StanceLabel::Oppose, 0.85, cue, StanceRule::ModalNegation))
            } else {
                None
            };
            let (label, confidence, cue, rule) = match decided {
                Some((label, conf, cue, rule)) => {
                    let p = model();
                    let agrees = polarity_label(p.polarity) == label;
                    let conf = if agrees {
                        conf.max(f64::from(p.confidence))
                    } else {
                        conf - 0.1
                    };
                    (label, conf, cue, rule)
                }
                None if doc.setting_or_source(m) => continue,
                None => {
                    let p = model();
                    // Below even odds the model has no stance to report.
                    if p.confidence < MIN_MODEL_CONFIDENCE {
                        continue;
                    }
                    let cue = p
                        .cue_token
                        .map(|t| doc.tokens[sent.start + t].text.to_owned())
                        .unwrap_or_else(|| "(sentence)".to_owned());
                    (
                        polarity_label(p.polarity),
                        f64::from(p.confidence),
                        cue,
                        StanceRule::Model,
                    )
                }
            };
            let speaker = &entities[c.speaker];
            let t = &entities[target];
            let stance = Stance {
                speaker: speaker.name.clone(),
                speaker_type: speaker.kind,
                target: t.name.clone(),
                target_type: t.kind,
                stance: label,
                confidence: (confidence * 1000.0).round() / 1000.0,
                evidence: doc.span(ev),
                cue,
                rule,
                kind: c.kind,
            };
            // The same words quoted again (in full or in part) are one stance. Compared only
            // within the same speaker, target and stance, so long articles stay linear-ish.
            let mine = normalised_evidence(&stance.evidence.text);
            let seen = evidence_seen
                .entry((c.speaker, target, stance.stance))
                .or_default();
            let repeat = seen
                .iter()
                .any(|theirs: &String| theirs.contains(&mine) || mine.contains(theirs.as_str()));
            if !repeat {
                seen.push(mine);
                out.push(stance);
            }
        }
    }
    // A cue or rule is evidence the model is not: where they disagree about a pair, the model
    // gives way.
    let ruled: Vec<(String, String, StanceLabel)> = out
        .iter()
        .filter(|s| s.rule != StanceRule::Model)
        .map(|s| (s.speaker.clone(), s.target.clone(), s.stance))
        .collect();
    out.retain(|s| {
        s.rule != StanceRule::Model
            || !ruled
                .iter()
                .any(|(sp, t, l)| *sp == s.speaker && *t == s.target && *l != s.stance)
    });
    out
}

/// Evidence text without quotation marks, for comparing repeats.
fn normalised_evidence(t: &str) -> String {
    t.replace(['“', '”', '"'], "").trim().to_owned()
}

/// Model-decided stances below this confidence are not reported (three classes: 0.6 is well
/// above a coin toss between two of them).
const MIN_MODEL_CONFIDENCE: f32 = 0.6;

/// Whether `target` is the speaker's own side, named in the speaker's role ("US State
/// Department spokesperson" → the United States, the US State Department).
fn affiliated(speaker: &Entity, target: &Entity) -> bool {
    let Some(role) = speaker.role.as_deref() else {
        return false;
    };
    let words: Vec<&str> = role.split_whitespace().collect();
    target.mentions.iter().any(|m| {
        let mw: Vec<&str> = m.text.split_whitespace().collect();
        !mw.is_empty() && words.windows(mw.len()).any(|w| w == mw.as_slice())
    })
}

fn polarity_label(p: Polarity) -> StanceLabel {
    match p {
        Polarity::Negative => StanceLabel::Oppose,
        Polarity::Neutral => StanceLabel::Neutral,
        Polarity::Positive => StanceLabel::Support,
    }
}
