//! The role a target mention plays in its clause, read off the tokens with a few clause and
//! phrase patterns (no parser: the stage must stay within the claims stage's budget).
//!
//! Only some roles can carry a stance. A mention that is the setting of an event ("in Tulsa"),
//! the channel or addressee of the speech ("on Twitter", "told the BBC"), or a modifier inside a
//! larger phrase ("Labour MP John Smith", "Republican-leaning", "Supreme Court Justice Scalia")
//! is not what the statement is about. The speaker can be for or against the **agent** of a
//! predicate ("Iran must not draw …", "Trump targeted …", "the plan is a shambles"), the
//! **patient** of a verb or noun ("backed Blair", "support for Israel"), or the **possessor** of
//! a judged thing ("Labour's plans", "the Iranian threat").

use std::ops::Range;

use crate::claims::doc::Doc;
use crate::record::EntityType;

/// What a target mention is in its clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Where something happens ("in Syria", "at the White House").
    Setting,
    /// The medium or addressee of speech ("on Twitter", "told the BBC", "interview with CNN").
    Channel,
    /// Part of a larger phrase that is not about it ("Labour MP …", "Republican-leaning").
    Modifier,
    /// The subject of the predicate whose first word is token `verb`; `passive_by`: named by
    /// "by" after a passive verb ("was attacked by Iran").
    Agent {
        /// First token of the predicate after auxiliaries ("draw" in "must not draw").
        verb: usize,
        /// First token after the subject (auxiliaries included).
        aux: usize,
        /// The agent follows its (passive) verb.
        passive_by: bool,
    },
    /// The object of token `head`, a verb ("backed Blair") or a noun with its preposition
    /// ("support for Israel").
    Patient {
        /// The governing verb or noun.
        head: usize,
        /// The preposition between, if any.
        prep: Option<usize>,
    },
    /// Owner or attribute of the noun phrase headed at `head` ("Labour's plans", "Tory cuts",
    /// "the Iranian threat").
    Possessor {
        /// The owned noun.
        head: usize,
        /// One past the noun phrase.
        end: usize,
    },
    /// None of the above: a stance needs an argument, so none is read.
    Other,
}

/// Acts that are against whoever does them, by prefix: the target that threatens, attacks or
/// invades is opposed by a speaker who reports it.
pub const HOSTILE_ACTS: &[&str] = &[
    "threat",
    "attack",
    "aggress",
    "retaliat",
    "escalat",
    "violat",
    "invad",
    "invasion",
    "terror",
    "provocat",
    "destabili",
    "hostil",
    "revenge",
    "aveng",
    "targeted",
    "targeting",
    "bomb",
    "killed",
    "kill",
    "murder",
    "massacr",
    "persecut",
    "oppress",
    "intimidat",
    "bully",
    "bullied",
    "lied",
    "lying",
    "cheat",
    "betray",
    "mislead",
    "misled",
    "squander",
    "wreck",
    "sabotag",
    "impugn",
    "smear",
    "undermin",
];

/// The hostile-act prefix a lower-case word starts with, if any.
pub fn hostile_act(w: &str) -> Option<&'static str> {
    HOSTILE_ACTS.iter().copied().find(|p| w.starts_with(p))
}

/// Words that end a clause going left or right.
const CLAUSE_BREAKS: &[&str] = &[
    ",", ";", ":", "(", ")", "—", "–", "but", "because", "while", "although", "though", "whereas",
    "that", "which", "who", "whom", "if", "when", "unless", "since", "so", "whether", "where",
    "after", "before", "until",
];

/// Prepositions that make a place a setting.
const LOCATIVE: &[&str] = &[
    "in",
    "at",
    "near",
    "across",
    "inside",
    "within",
    "around",
    "into",
    "throughout",
    "during",
    "outside",
    "to",
    "from",
];

/// Prepositions by which a verb or noun takes its object.
pub const ARGUMENT_PREPS: &[&str] = &[
    "to", "for", "with", "against", "on", "toward", "towards", "of", "over", "about", "at", "from",
    "between",
];

/// Verbs whose object is the listener, not the topic.
const ADDRESSING: &[&str] = &[
    "told",
    "tell",
    "tells",
    "telling",
    "informed",
    "briefed",
    "wrote",
    "write",
    "writes",
    "writing",
    "speaking",
    "spoke",
    "speak",
    "talking",
    "talked",
    "interview",
    "interviewed",
    "letter",
    "said",
    "says",
    "explained",
    "addressing",
    "addressed",
    "assured",
    "reassured",
];

/// Channels by name: platforms and outlets a statement goes out on.
const CHANNEL_WORDS: &[&str] = &[
    "twitter",
    "facebook",
    "x",
    "instagram",
    "youtube",
    "tiktok",
    "truth",
    "social",
    "bbc",
    "cnn",
    "itv",
    "sky",
    "radio",
    "today",
    "newsnight",
    "fox",
    "msnbc",
    "abc",
    "nbc",
    "cbs",
    "npr",
    "reuters",
    "guardian",
    "times",
    "telegraph",
    "independent",
    "observer",
    "mail",
    "mirror",
    "sun",
    "express",
    "channel",
    "gmtv",
    "breakfast",
    "frost",
];

const DETS: &[&str] = &[
    "the", "a", "an", "this", "these", "those", "that", "its", "their", "his", "her", "our", "my",
    "your",
];

/// Adjectives that stand between a preposition and a name ("in their earlier Oval Office
/// meeting"): not verbs.
const ADJECTIVES: &[&str] = &[
    "earlier", "later", "recent", "last", "next", "new", "former", "first", "latest", "own",
    "previous", "current", "then", "same", "other", "whole",
];

/// Auxiliaries, modals, negation and adverbs that stand between a subject and its verb.
pub const AUX: &[&str] = &[
    "has",
    "have",
    "had",
    "is",
    "was",
    "are",
    "were",
    "be",
    "been",
    "being",
    "will",
    "would",
    "shall",
    "should",
    "can",
    "could",
    "may",
    "might",
    "must",
    "ought",
    "do",
    "does",
    "did",
    "not",
    "n't",
    "never",
    "also",
    "still",
    "now",
    "already",
    "just",
    "only",
    "even",
    "clearly",
    "really",
    "simply",
    "always",
    "again",
    "then",
    "cannot",
    "wo",
    "ca",
    "'s",
    "'re",
    "'ve",
    "'ll",
    "'d",
    "to",
    "no",
    "longer",
    "certainly",
    "probably",
    "truly",
    "very",
    "extremely",
    "quite",
    "deeply",
    "highly",
    "absolutely",
    "completely",
    "totally",
    "utterly",
];

/// Function words that are never a predicate's verb.
pub const NOT_VERBS: &[&str] = &[
    "and", "or", "of", "in", "on", "at", "for", "with", "by", "from", "to", "as", "than", "the",
    "a", "an", "this", "that", "it", "he", "she", "they", "we", "i", "you", "his", "her", "their",
    "our", "its", "my", "your", "which", "who", "there", "here", "if", "when", "so", "too", "such",
    "about", "over", "into", "under", "after", "before", "because", "up", "out", "mr", "mrs", "ms",
    "dr", "sir", "lord", "lady",
];

fn is_word(w: &str) -> bool {
    w.chars().next().is_some_and(char::is_alphabetic)
}

/// Whether token `i` breaks a clause.
pub fn breaks_clause(doc: &Doc<'_>, i: usize) -> bool {
    doc.is(i, CLAUSE_BREAKS) || doc.w(i) == "." || doc.w(i) == "?" || doc.w(i) == "!"
}

/// The clause around `mention` within `within`: up to the nearest break on each side.
pub fn clause(doc: &Doc<'_>, mention: &Range<usize>, within: &Range<usize>) -> Range<usize> {
    let mut s = mention.start;
    while s > within.start && !breaks_clause(doc, s - 1) {
        s -= 1;
    }
    let mut e = mention.end;
    while e < within.end && !breaks_clause(doc, e) {
        e += 1;
    }
    s..e
}

/// Whether the words of a name continue past `i` in the text: a capitalised word that is not a
/// mention and not a sentence opener ("Family and Medical Leave Act", "Justice").
fn capitalised_name_word(doc: &Doc<'_>, i: usize) -> bool {
    i < doc.len()
        && doc.capitalised(i)
        && doc.mention_at(i).is_none()
        && doc.sentence(i).start != i
        && doc.raw(i).chars().all(|c| c.is_alphabetic() || c == '.')
        && !matches!(doc.w(i), "i" | "mr" | "mrs" | "ms" | "dr" | "sir" | "lord")
}

/// The role of the mention at tokens `m` in clause `c`.
pub fn role(doc: &Doc<'_>, m: &Range<usize>, c: &Range<usize>, kind: EntityType) -> Role {
    // Left context, determiners skipped.
    let mut p = m.start;
    while p > c.start && (doc.is(p - 1, DETS) || doc.is(p - 1, ADJECTIVES)) {
        p -= 1;
    }
    let prev = (p > c.start).then(|| p - 1);
    let prev2 = prev.filter(|&k| k > c.start).map(|k| k - 1);
    // Right context.
    let next = (m.end < c.end).then_some(m.end);
    let glued_right = m.end < doc.len()
        && doc.tokens[m.end - 1].end == doc.tokens[m.end].start
        && matches!(doc.raw(m.end), "-" | "–");
    let glued_left = m.start > 0
        && doc.tokens[m.start - 1].end == doc.tokens[m.start].start
        && matches!(doc.raw(m.start - 1), "-" | "–");
    if glued_right || glued_left {
        return Role::Modifier;
    }
    // Part of a longer capitalised name, or the institution in a person's title.
    if next.is_some_and(|n| capitalised_name_word(doc, n))
        || kind != EntityType::Person
            && prev.is_some_and(|k| k + 1 == m.start && capitalised_name_word(doc, k))
    {
        return Role::Modifier;
    }
    if let Some(n) = next {
        if let Some((e, _)) = doc.mention_at(n) {
            if doc.entities[e].kind == EntityType::Person && kind != EntityType::Person {
                return Role::Modifier;
            }
        }
        // "Labour MP John Smith", "Tory leader", "US officials": a description of someone else;
        // "Big Brother producer Endemol": a name's title of another name.
        if doc.noun_class(n).is_some() && kind != EntityType::Person {
            return Role::Modifier;
        }
        // "Big Brother producer Endemol", "Will Smith comedy Hitch": a name heading a common
        // noun that titles another name.
        let titled =
            n + 1 < c.end && (doc.mention_at(n + 1).is_some() || capitalised_name_word(doc, n + 1));
        if titled
            && is_word(doc.w(n))
            && !doc.capitalised(n)
            && !doc.is(n, NOT_VERBS)
            && !doc.is(n, AUX)
            && !doc.w(n).ends_with("ed")
        {
            return Role::Modifier;
        }
    }
    if let Some(k) = prev {
        let w = doc.w(k);
        if w == "according" || prev2.is_some_and(|j| doc.w(j) == "according") {
            return Role::Channel;
        }
        if w == "by" {
            if let Some(v) = prev2 {
                if doc.w(v).ends_with("ed") || doc.w(v).ends_with("en") {
                    return Role::Agent {
                        verb: v,
                        aux: v,
                        passive_by: true,
                    };
                }
            }
            return Role::Channel;
        }
        if ADDRESSING.contains(&w) {
            return Role::Channel;
        }
        if matches!(w, "to" | "with")
            && prev2.is_some_and(|j| ADDRESSING.contains(&doc.w(j)) || doc.w(j) == "interview")
        {
            return Role::Channel;
        }
        if matches!(w, "on" | "via" | "in")
            && (m.start..m.end).any(|i| CHANNEL_WORDS.contains(&doc.w(i)))
        {
            return Role::Channel;
        }
        let place = kind == EntityType::Loc;
        if LOCATIVE.contains(&w) && !matches!(w, "to" | "from") {
            // A place after "in" is a setting; so is anything after "at" or "during".
            if place || !matches!(w, "in" | "into") {
                if let Some(j) = prev2 {
                    // "interference in Iraq", "confidence in Blair": a noun's argument.
                    if matches!(w, "in" | "into") && !place {
                        return Role::Patient {
                            head: j,
                            prep: Some(k),
                        };
                    }
                }
                return Role::Setting;
            }
        }
        if ARGUMENT_PREPS.contains(&w) {
            if let Some(j) = prev2 {
                if is_word(doc.w(j)) && !doc.is(j, NOT_VERBS) && doc.mention_at(j).is_none() {
                    // "flights from London": a place after "to"/"from" is a destination or origin
                    // ("threats from Iran" is read by the stance rules).
                    if place && matches!(w, "to" | "from") && hostile_act(doc.w(j)).is_none() {
                        return Role::Setting;
                    }
                    return Role::Patient {
                        head: j,
                        prep: Some(k),
                    };
                }
            }
            if place && matches!(w, "to" | "from") {
                return Role::Setting;
            }
        }
        // Coordination: the second conjunct shares the first one's role.
        if matches!(w, "and" | "or") {
            if let Some((_, first)) = prev2.and_then(|j| doc.mention_at(j)) {
                if first.start >= c.start {
                    let k = doc.entities[doc.mention_at(first.start).map_or(0, |(e, _)| e)].kind;
                    return role(doc, &first, c, k);
                }
            }
        }
        // A verb right before: its direct object. A title right before ("its founder Mikhail
        // Khodorkovsky", "chancellor Gordon Brown") is an apposition, not a verb.
        if is_word(w)
            && !doc.is(k, NOT_VERBS)
            && !doc.is(k, AUX)
            && doc.mention_at(k).is_none()
            && !doc.capitalised(k)
            && doc.noun_class(k).is_none()
            && !doc.has(k, crate::claims::words::class::ROLE_MODIFIER)
        {
            // A possessor still owns what follows ("backed Blair's plans" is about Blair).
            return Role::Patient {
                head: k,
                prep: None,
            };
        }
    }
    // Possessor: "Labour's plans", "the Iranian threat", "Tory cuts".
    if let Some((head, end, attributive)) = possessed(doc, m, c, kind) {
        // "the Iraq war", "China embargo": a place naming a thing is a modifier.
        if attributive && kind == EntityType::Loc {
            return Role::Modifier;
        }
        return Role::Possessor { head, end };
    }
    // Subject: auxiliaries and adverbs, then a verb. A first conjunct shares its verb with the
    // names joined to it ("Lord Falconer and Baroness Morgan played no part").
    if let Some(mut n) = next {
        while n + 1 < c.end && doc.is(n, &["and", "or", ","]) {
            match doc.mention_at(n + 1) {
                Some((_, joined)) if joined.start == n + 1 && joined.end < c.end => n = joined.end,
                _ => break,
            }
        }
        let mut v = n;
        while v < c.end && (doc.is(v, AUX) || doc.w(v).ends_with("ly") || is_quote(doc, v)) {
            v += 1;
        }
        if v < c.end && is_word(doc.w(v)) && !doc.is(v, NOT_VERBS) && !doc.capitalised(v) {
            return Role::Agent {
                verb: v,
                aux: n,
                passive_by: false,
            };
        }
        // "Iran must not": a bare modal at the clause's end still has its subject.
        if v > n {
            return Role::Agent {
                verb: v.min(c.end),
                aux: n,
                passive_by: false,
            };
        }
    }
    Role::Other
}

/// Whether token `i` is a quotation mark (transparent to the phrase patterns).
pub fn is_quote(doc: &Doc<'_>, i: usize) -> bool {
    matches!(doc.raw(i), "\"" | "“" | "”" | "‘" | "’" | "'")
}

/// Where a name's genitive ending stops, if it has one: after "'s" as a token of its own
/// ("Labour 's plans"), or right after the name when the "'s" is part of its last token.
pub fn genitive_end(doc: &Doc<'_>, m: &Range<usize>) -> Option<usize> {
    let n = m.end;
    if n < doc.len() && (doc.is(n, &["'s", "'", "s"]) && !is_quote(doc, n) || doc.raw(n) == "’s")
    {
        Some(n + 1)
    } else if doc.raw(m.end - 1).ends_with("'s") || doc.raw(m.end - 1).ends_with("’s") {
        Some(n)
    } else {
        None
    }
}

/// The noun phrase the mention at `m` owns or modifies, as (head, end, attributive):
/// "Labour's plans" (head "plans"), "Tory cuts" (attributive), "the Iranian threat" (attributive).
pub fn possessed(
    doc: &Doc<'_>,
    m: &Range<usize>,
    c: &Range<usize>,
    kind: EntityType,
) -> Option<(usize, usize, bool)> {
    let n = m.end;
    if n >= c.end {
        return None;
    }
    let skip_quote = |k: usize| k + usize::from(k < c.end && is_quote(doc, k));
    let (h, attributive) = if m.len() == 1 && doc.is(m.start, &["his", "her", "its", "their"]) {
        (skip_quote(n), false)
    } else if let Some(after) = genitive_end(doc, m) {
        (skip_quote(after), false)
    } else if kind != EntityType::Person
        && is_word(doc.w(n))
        && !doc.capitalised(n)
        && !doc.is(n, NOT_VERBS)
        && !doc.is(n, AUX)
        && !looks_like_verb(doc, n, c)
    {
        (n, true)
    } else {
        return None;
    };
    if h >= c.end {
        return None;
    }
    // The noun phrase: adjectives and nouns up to a function word.
    let mut end = h;
    while end < c.end
        && end < h + 4
        && (is_word(doc.w(end)) || is_quote(doc, end))
        && !doc.is(end, NOT_VERBS)
        && !doc.is(end, AUX)
        && (end == h || !looks_like_verb(doc, end, c))
    {
        end += 1;
    }
    while end > h && is_quote(doc, end - 1) {
        end -= 1;
    }
    (end > h).then(|| (end - 1, end, attributive))
}

/// Whether token `i` reads as a verb where a noun could also stand ("plans to", "backs the"):
/// followed by "to", a determiner, a pronoun or a name.
fn looks_like_verb(doc: &Doc<'_>, i: usize, c: &Range<usize>) -> bool {
    let w = doc.w(i);
    if w.ends_with("ed") && !w.ends_with("eed") {
        return true;
    }
    let n = i + 1;
    n < c.end
        && (doc.is(
            n,
            &[
                "to", "the", "a", "an", "that", "him", "her", "them", "it", "us", "his", "their",
            ],
        ) || doc.mention_at(n).is_some())
}
