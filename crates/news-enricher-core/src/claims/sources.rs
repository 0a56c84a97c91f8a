//! Sources: the words that name who holds a claim, and the entity they refer to.
//!
//! Finding the source phrase is chunking by word classes, not parsing: a source phrase ends at
//! its head (a name, a pronoun, or a noun that can name a source, see
//! [`super::words::noun_class`]) and extends left over titles, names, determiners, possessors
//! and a few modifiers, and over `of`/`for` post-modifiers of a role ("a spokesman for the
//! Treasury"). An apposition between commas or dashes is skipped; a relative clause is skipped
//! back to what it describes; a phrase right after a verb is an object, not a source; two
//! sources joined by "and" are a group with no one speaker.
//!
//! Resolving the phrase to an entity ([`Resolver`]):
//! * **Name**: the head is a mention (or a word the entity stage found elsewhere in the
//!   article). A place speaks only as a state: a country, or a capital standing for one; a
//!   demonym acts for its country; a region never speaks ("Iowa said").
//! * **Pronoun**: "he"/"she" go to the most salient compatible antecedent — recent narrative
//!   sentences (wholly quoted ones do not count), sentence subjects, and the previous claim's
//!   speaker unless someone else has become the subject since — in agreement with the person's
//!   gender (honorifics, first names, roles); right after an unnamed source ("a spokesman") it
//!   is that source. "They" takes a subject organisation or state of the last sentence or two,
//!   "it" only the organisation that just spoke. People named only inside quotes are not
//!   candidates; a tie is no answer.
//! * **Description**: a definite role ("the chancellor") goes to the person the article gives
//!   that role, including roles read off earlier sources ("BBC labour affairs correspondent
//!   Stephen Cape"), else to the most salient person whose known role does not contradict it;
//!   generic roles ("the spokesman", "the lawyer") are never guessed. A definite kind of
//!   organisation ("the newspaper", "the firm") goes to the last organisation of that kind, or
//!   to the one the article is about.
//! * Everything else (indefinite roles, unnamed groups, documents) stays unresolved: the claim
//!   is kept with a null speaker rather than a guess.

use std::ops::Range;

use super::doc::Doc;
use super::words::{self, class, NounClass};
use crate::entities::gazetteer::Gazetteer;
use crate::record::EntityType;
use crate::record::SpeakerRule;

/// What heads a source phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    /// A mention of entity `.0`.
    Entity(usize),
    /// A country acting through its government ("the Iranian government"): entity `.0`.
    Government(usize),
    /// The pronoun at this token.
    Pronoun(usize),
    /// A noun of the given class at this token.
    Noun(usize, NounClass),
    /// A capitalised word no entity covers (a name the entity stage missed).
    Name(usize),
}

/// A source phrase: its tokens and its head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Np {
    /// Token range (published as the claim's `source`).
    pub range: Range<usize>,
    /// Its head.
    pub head: Head,
    /// An apposition naming the same source ("His party leader, Michael Howard, said"), tried
    /// when the phrase itself does not resolve.
    pub apposition: Option<Box<Np>>,
}

/// Most tokens a source phrase spans.
const MAX_NP: usize = 12;

/// Whether token `i` is a capitalised word that may be part of a name (not a sentence-opening
/// function word).
fn name_like(doc: &Doc<'_>, i: usize) -> bool {
    if !doc.capitalised(i) || !doc.raw(i).chars().any(char::is_alphabetic) {
        return false;
    }
    let sentence_start = doc.sentence(i).start == i
        || i > 0 && matches!(doc.raw(i - 1), "\"" | "“" | "‘" | "'" | "(" | "—" | "-");
    !(sentence_start && doc.has(i, class::SENTENCE_WORD))
}

/// The source phrase whose last token is `end - 1`, not reaching below `floor`.
pub fn np_before(doc: &Doc<'_>, end: usize, floor: usize) -> Option<Np> {
    if end <= floor || end > doc.len() {
        return None;
    }
    let last = end - 1;
    // A "name" that is a role or a group ("MP", "Labour MPs") heads like the noun it ends in.
    let role_word_as_name = |m: &Range<usize>| {
        m.len() == 1 && doc.noun_class(m.start) == Some(NounClass::Role)
            || doc.noun_class(m.end - 1) == Some(NounClass::People)
    };
    let (head, mut start) = if let Some((e, m)) = doc
        .mention_ending_at(last)
        .filter(|(_, m)| !role_word_as_name(m))
    {
        (Head::Entity(e), m.start.max(floor))
    } else if doc.has(last, class::PRONOUN) {
        return Some(Np {
            range: last..end,
            head: Head::Pronoun(last),
            apposition: None,
        });
    } else if doc.has(last, class::GOVERNMENT) && last > floor {
        match doc.mention_ending_at(last - 1) {
            Some((e, m)) if state_like(doc, e) => (Head::Government(e), m.start.max(floor)),
            _ => (Head::Noun(last, NounClass::People), last),
        }
    } else if let Some(class) = doc.noun_class(last) {
        (Head::Noun(last, class), last)
    } else if name_like(doc, last) {
        (Head::Name(last), last)
    } else if unknown_noun_after_determiner(doc, last, floor) {
        (Head::Noun(last, NounClass::Other), last)
    } else {
        return None;
    };
    let mut lowercase_modifiers = 0;
    while start > floor && end - start < MAX_NP {
        let p = start - 1;
        let w = doc.w(p);
        if matches!(w, "'s" | "'") && p > floor {
            // A possessor: "Labour's campaign spokesman".
            if let Some((_, m)) = doc.mention_ending_at(p - 1) {
                start = m.start.max(floor);
            } else if name_like(doc, p - 1) || doc.noun_class(p - 1).is_some() {
                start = p - 1;
            } else {
                break;
            }
            continue;
        }
        if doc.has(p, class::DETERMINER) {
            start = p;
            // A determiner opens the phrase, unless it opens a post-modifier ("a spokesman for
            // the Home Office") or follows a possessor ("the two").
            let post_modifier = p > floor + 1 && joiner(doc, p - 1) && joinable(doc, p - 2);
            if !post_modifier
                && !doc.is(
                    p,
                    &[
                        "two", "three", "four", "five", "six", "seven", "eight", "nine",
                    ],
                )
            {
                break;
            }
            continue;
        }
        if let Some((_, m)) = doc.mention_at(p) {
            start = m.start.max(floor);
            continue;
        }
        if name_like(doc, p) {
            start = p;
            continue;
        }
        // "Work and Pensions Secretary Alan Johnson": a portfolio's name joined by "and".
        if w == "and"
            && p > floor
            && name_like(doc, p - 1)
            && doc.mention_at(start).is_none()
            && name_like(doc, start)
        {
            start = p - 1;
            continue;
        }
        if joiner(doc, p) && p > floor && joinable(doc, p - 1) {
            // "researchers from Leeds University": the noun before the joiner is in too.
            start = doc
                .mention_ending_at(p - 1)
                .map_or(p - 1, |(_, m)| m.start)
                .max(floor);
            continue;
        }
        let lower_word = w.chars().next().is_some_and(char::is_lowercase)
            && w.chars().all(|c| c.is_alphabetic() || c == '-');
        // A name takes only a role before it ("shadow home secretary David Davis"); a noun
        // head takes any modifier ("the new health minister").
        let modifier_ok = match head {
            Head::Entity(_) | Head::Name(_) => {
                doc.noun_class(p) == Some(NounClass::Role) || doc.has(p, class::ROLE_MODIFIER)
            }
            _ => !doc.has(p, class::NP_STOP) && !w.ends_with("ly"),
        };
        if lower_word && modifier_ok && lowercase_modifiers < 4 {
            lowercase_modifiers += 1;
            start = p;
            continue;
        }
        break;
    }
    // A phrase right after a verb is its object, not a subject ("unions meeting Mr Prescott
    // want": Mr Prescott is not the one who wants).
    if start > floor {
        let p = start - 1;
        let w = doc.w(p);
        let verb_like = doc.has(p, class::TRANSITIVE)
            || (w.ends_with("ing") || w.ends_with("ed")) && !doc.has(p, class::ROLE_MODIFIER);
        // "After the ruling Carla Ferstman said": a noun in -ing after a determiner.
        let noun_before = p > 0 && doc.has(p - 1, class::DETERMINER);
        if verb_like
            && !noun_before
            && !doc.has(p, class::SUBJECT_BOUNDARY)
            && !doc.has(p, class::DAY)
        {
            return None;
        }
    }
    let head = refine_head(doc, start..end, head);
    Some(Np {
        range: start..end,
        head,
        apposition: None,
    })
}

/// Whether `last` is a lower-case word no list knows, heading a phrase a determiner opens a few
/// words before ("one hugely-disgruntled backbencher"): a source with no name.
fn unknown_noun_after_determiner(doc: &Doc<'_>, last: usize, floor: usize) -> bool {
    let w = doc.w(last);
    if !w.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        || w.len() < 3
        || doc.has(last, class::NP_STOP)
    {
        return false;
    }
    (last.saturating_sub(3).max(floor)..last)
        .any(|k| doc.is(k, &["the", "a", "an", "one", "some", "many", "several"]))
        && (last.saturating_sub(3).max(floor)..last)
            .all(|k| !doc.has(k, class::NP_STOP) || doc.is(k, &["the", "a", "an"]))
}

/// Whether token `k` joins a post-modifier to a noun ("a spokesman for …", "sources within
/// …"); "in"/"within" only after a noun of people.
fn joiner(doc: &Doc<'_>, k: usize) -> bool {
    doc.has(k, class::NP_JOINER)
        || doc.is(k, &["in", "within", "inside", "close"])
            && k > 0
            && matches!(
                doc.noun_class(k - 1),
                Some(NounClass::People | NounClass::Role)
            )
}

/// Whether token `k` can be what a post-modifier attaches to.
fn joinable(doc: &Doc<'_>, k: usize) -> bool {
    doc.noun_class(k).is_some() || name_like(doc, k) || doc.mention_ending_at(k).is_some()
}

/// The head of a phrase: before its first joiner ("a spokesman for the Treasury", "the wife of
/// Tony Blair", "sources within the party") — unless a title runs into a name ("Secretary of
/// State Antony Blinken") — and a person's name before a suffix ("Guy Mansfield QC").
fn refine_head(doc: &Doc<'_>, r: Range<usize>, head: Head) -> Head {
    let last = r.end - 1;
    if let Head::Name(t) | Head::Noun(t, NounClass::Role) = head {
        if t > r.start {
            if let Some((e, _)) = doc.mention_ending_at(t - 1) {
                if doc.entities[e].kind == EntityType::Person {
                    return Head::Entity(e);
                }
            }
        }
    }
    let Some(j) = (r.start + 1..last).find(|&k| joiner(doc, k) && doc.mention_at(k).is_none())
    else {
        return head;
    };
    if let Head::Entity(e) = head {
        let mention_start = doc.mention_at(last).map_or(last, |(_, m)| m.start);
        let title_runs_into_name = doc.entities[e].kind == EntityType::Person
            && (j + 1..mention_start).any(|k| {
                !doc.has(k, class::DETERMINER)
                    && !doc.has(k, class::MALE_HONORIFIC)
                    && !doc.has(k, class::FEMALE_HONORIFIC)
            });
        if title_runs_into_name {
            return head;
        }
    }
    let k = j - 1;
    if let Some((e, _)) = doc.mention_ending_at(k) {
        Head::Entity(e)
    } else if let Some(class) = doc.noun_class(k) {
        Head::Noun(k, class)
    } else if name_like(doc, k) {
        Head::Name(k)
    } else {
        head
    }
}

/// The source phrase starting at `start` (after an inverted cue: "said Mr Howard", "according
/// to the newspaper"), not reaching `ceil`.
pub fn np_after(doc: &Doc<'_>, start: usize, ceil: usize) -> Option<Np> {
    let ceil = ceil.min(doc.len());
    if start >= ceil {
        return None;
    }
    if doc.has(start, class::PRONOUN) && !doc.is(start, &["who", "which"]) {
        return Some(Np {
            range: start..start + 1,
            head: Head::Pronoun(start),
            apposition: None,
        });
    }
    let mut i = start;
    let mut last_head: Option<usize> = None;
    let mut possessor: Option<usize> = None;
    let mut lowercase = 0;
    while i < ceil && i - start < MAX_NP {
        if let Some((_, m)) = doc.mention_at(i) {
            // A new mention right after a complete one starts something else.
            if last_head.is_some_and(|h| doc.mention_ending_at(h).is_some()) && m.start == i {
                break;
            }
            i = m.end.min(ceil);
            last_head = Some(i - 1);
            continue;
        }
        let w = doc.w(i);
        if doc.has(i, class::DETERMINER) && last_head.is_none() {
            i += 1;
            continue;
        }
        if matches!(w, "'s" | "'") && last_head.is_some() {
            possessor = last_head;
            i += 1;
            last_head = None;
            continue;
        }
        if name_like(doc, i)
            || doc.noun_class(i).is_some()
            || last_head.is_some() && doc.has(i, class::OUTLET_NOUN)
        {
            last_head = Some(i);
            i += 1;
            continue;
        }
        // "BBC Radio 4's Today programme": a number inside a name.
        if last_head.is_some_and(|h| h + 1 == i && name_like(doc, h))
            && doc.raw(i).chars().all(|c| c.is_ascii_digit())
        {
            last_head = Some(i);
            i += 1;
            continue;
        }
        if doc.has(i, class::NP_JOINER) && last_head.is_some() && i + 1 < ceil {
            // "a spokesman for the firm": the post-modifier belongs to the phrase.
            let mut k = i + 1;
            while k < ceil && doc.has(k, class::DETERMINER) {
                k += 1;
            }
            if doc.mention_at(k).is_some() || name_like(doc, k) || doc.noun_class(k).is_some() {
                i = k;
                continue;
            }
            break;
        }
        let lower_word = w.chars().next().is_some_and(char::is_lowercase)
            && w.chars().all(|c| c.is_alphabetic() || c == '-');
        // "BBC labour affairs correspondent Stephen Cape": role words between names.
        if lower_word && doc.has(i, class::ROLE_MODIFIER) && lowercase < 4 {
            lowercase += 1;
            i += 1;
            continue;
        }
        if lower_word
            && last_head.is_none()
            && lowercase < 3
            && !doc.has(i, class::NP_STOP)
            && !w.ends_with("ly")
        {
            lowercase += 1;
            i += 1;
            continue;
        }
        break;
    }
    // "Fox News's “Hannity”": a possessive that leads to no noun leaves its possessor.
    let end = last_head.or(possessor)? + 1;
    let r = start..end;
    let head_tok = end - 1;
    let head = if let Some((e, _)) = doc.mention_at(head_tok) {
        Head::Entity(e)
    } else if let Some(class) = doc.noun_class(head_tok) {
        if doc.has(head_tok, class::GOVERNMENT) && head_tok > start {
            match doc.mention_at(head_tok - 1) {
                Some((e, _)) if state_like(doc, e) => Head::Government(e),
                _ => Head::Noun(head_tok, class),
            }
        } else {
            Head::Noun(head_tok, class)
        }
    } else if name_like(doc, head_tok) {
        Head::Name(head_tok)
    } else if doc.has(head_tok, class::OUTLET_NOUN) {
        Head::Noun(head_tok, NounClass::Other)
    } else {
        return None;
    };
    let head = refine_head(doc, r.clone(), head);
    Some(Np {
        range: r,
        head,
        apposition: None,
    })
}

/// The subject of the verb at `verb`: the source phrase right before it, past auxiliaries and
/// adverbs ("has also said"), an apposition ("Michael Howard, the Tory leader, said") or a
/// relative clause ("officials, who …, said"); not below `floor`.
pub fn subject_before(doc: &Doc<'_>, verb: usize, floor: usize) -> Option<Np> {
    let mut i = verb;
    let mut skipped = 0;
    while i > floor + 1
        && skipped < 5
        && (doc.has(i - 1, class::BETWEEN_SUBJECT_AND_VERB)
            || doc.has(i - 1, class::DAY)
            || adverb(doc.w(i - 1)))
    {
        // "on Monday" only as a time phrase.
        if doc.w(i - 1) == "on" && !doc.has(i, class::DAY) {
            break;
        }
        i -= 1;
        skipped += 1;
    }
    // Commas and dashes both set off appositions and relative clauses.
    let separator = |k: usize| doc.is(k, &[",", "-", "—", "–"]);
    if i > floor && separator(i - 1) {
        let comma = i - 1;
        // ", which was commissioned by A, B and C, found": the relative clause may hold commas
        // of its own; the source is what it describes.
        if let Some(rel) = (comma.saturating_sub(30).max(floor + 1)..comma)
            .rev()
            .find(|&k| separator(k - 1) && doc.is(k, &["who", "which", "whose"]))
        {
            return np_before(doc, rel - 1, floor);
        }
        let open = (comma.saturating_sub(25).max(floor)..comma)
            .rev()
            .find(|&k| separator(k))?;
        if open + 1 >= comma {
            return None;
        }
        let before = np_before(doc, open, floor)?;
        let inner = np_before(doc, comma, open + 1).filter(|n| n.range.start == open + 1);
        return Some(Np {
            apposition: inner.map(Box::new),
            ..before
        });
    }
    let np = np_before(doc, i, floor)?;
    // "Peter Misselbrook, executive partner of Tods Murray said": a role phrase set off after a
    // person's name (its closing comma left out) describes that person, not what it names.
    if let Head::Entity(e) = np.head {
        // Back over the role's lower-case words ("executive partner of") to the comma.
        let mut k = np.range.start;
        while k > floor + 2
            && np.range.start - k < 6
            && doc.raw(k - 1).starts_with(char::is_lowercase)
            && doc.w(k - 1).chars().all(char::is_alphabetic)
        {
            k -= 1;
        }
        let described = k < np.range.start
            && k >= floor + 2
            && doc.is(k - 1, &[","])
            && doc.mention_at(k).is_none_or(|(o, _)| o != e);
        if described {
            if let Some((p, m)) = doc.mention_ending_at(k - 2) {
                if doc.entities[p].kind == EntityType::Person && p != e && m.start >= floor {
                    return Some(Np {
                        range: m,
                        head: Head::Entity(p),
                        apposition: None,
                    });
                }
            }
        }
    }
    // "both Plaid Cymru and the Liberal Democrats said": several sources, no one speaker.
    if np.range.start > floor + 1 && doc.is(np.range.start - 1, &["and", "or"]) {
        if let Some(first) = np_before(doc, np.range.start - 1, floor) {
            let listed = first.range.start == floor
                || doc.is(first.range.start - 1, &["both", "either", ",", "and", "."])
                || doc.capitalised(first.range.start)
                    && doc.sentence(first.range.start).start == first.range.start
                || doc.is(first.range.start - 1, &["but", "and", "while", "that"]);
            let is_source = |n: &Np| {
                !matches!(
                    n.head,
                    Head::Name(_) | Head::Noun(_, NounClass::Document | NounClass::Other)
                )
            };
            if listed && is_source(&first) && is_source(&np) {
                let start = if first.range.start > floor
                    && doc.is(first.range.start - 1, &["both", "either"])
                {
                    first.range.start - 1
                } else {
                    first.range.start
                };
                return Some(Np {
                    range: start..np.range.end,
                    head: Head::Noun(np.range.end - 1, NounClass::People),
                    apposition: None,
                });
            }
        }
    }
    if let Head::Pronoun(p) = np.head {
        if doc.is(p, &["who", "which"]) {
            // "officials who said": the relative pronoun's antecedent is the source.
            let k = if p > floor && doc.w(p - 1) == "," {
                p - 1
            } else {
                p
            };
            return np_before(doc, k, floor);
        }
    }
    Some(np)
}

/// An adverb in -ly ("bitterly said", "has repeatedly claimed").
fn adverb(w: &str) -> bool {
    w.len() > 4 && w.ends_with("ly") && w.chars().all(|c| c.is_ascii_lowercase())
}

/// Whether entity `e` can act as a state: a country, a capital standing for one, or a
/// nationality.
fn state_like(doc: &Doc<'_>, e: usize) -> bool {
    let ent = &doc.entities[e];
    match ent.kind {
        EntityType::Norp => ent.country_code.is_some(),
        EntityType::Loc => {
            ent.country_code.is_some()
                && ent.mentions.iter().any(|m| {
                    m.source == crate::record::MentionSource::Capital
                        || m.source == crate::record::MentionSource::Gazetteer
                        || m.text.len() <= 3 && m.text.chars().all(|c| c.is_uppercase())
                })
        }
        _ => false,
    }
}

/// Gender agreement for pronouns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    /// He.
    Male,
    /// She.
    Female,
    /// Either.
    Unknown,
}

/// First names by the gender they usually mark.
#[derive(Debug, Clone, Default)]
pub struct FirstNames {
    names: std::collections::HashMap<String, Gender>,
}

impl FirstNames {
    /// Parses `name<TAB>m|f|x` lines.
    pub fn parse(tsv: &str) -> Self {
        let names = tsv
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (n, g) = l.split_once('\t')?;
                let g = match g.trim() {
                    "m" => Gender::Male,
                    "f" => Gender::Female,
                    _ => Gender::Unknown,
                };
                Some((n.to_owned(), g))
            })
            .collect();
        FirstNames { names }
    }

    /// The gender `name` usually marks.
    pub fn gender(&self, name: &str) -> Gender {
        self.names.get(name).copied().unwrap_or(Gender::Unknown)
    }
}

/// A claim already resolved, as later pronouns see it.
#[derive(Debug, Clone, Copy)]
pub struct Resolved {
    /// Token where its source (or content, when it has no source) starts.
    pub at: usize,
    /// Its speaker.
    pub speaker: Option<usize>,
    /// Whether it lies inside another claim's content.
    pub nested: bool,
    /// Whether the source was a plural group the article does not name ("critics").
    pub unnamed_group: bool,
    /// Whether the source was one person the article does not name ("a spokesman"): a "he"
    /// right after is that person, not someone named earlier.
    pub unnamed_person: bool,
}

/// Resolves source phrases of one article to its entities.
pub struct Resolver<'d, 'a> {
    doc: &'d Doc<'a>,
    gazetteer: &'d Gazetteer,
    genders: Vec<Gender>,
    /// Entity mentions in text order: (first token, entity), outside quotes.
    mentions: Vec<(usize, usize)>,
    /// Whether each mention is its sentence's subject (its first mention not after a
    /// preposition).
    subject: Vec<bool>,
    /// Per sentence: how many sentences before it are narrative (not wholly quoted).
    narrative: Vec<u32>,
    /// Role words found before people's names in claim sources, by person.
    learned_roles: std::collections::HashMap<usize, Vec<String>>,
    /// Per entity: the first tokens of its mentions outside quotes, in order.
    positions: Vec<Vec<usize>>,
}

/// Most mentions (or claims) back a pronoun looks through: a bound that keeps very long
/// paragraphs linear.
const MAX_CANDIDATES: usize = 64;

/// Sentences back a pronoun or description looks for its antecedent.
const ANTECEDENT_SENTENCES: usize = 3;

impl<'d, 'a> Resolver<'d, 'a> {
    /// A resolver over `doc`; `quoted` marks the tokens inside quotation marks (mentions there
    /// are not antecedents); `sources` are the claims' source phrases: names heading them are
    /// subjects wherever they stand, and the role words before a name are that person's roles.
    pub fn new(
        doc: &'d Doc<'a>,
        gazetteer: &'d Gazetteer,
        names: &FirstNames,
        quoted: &[bool],
        sources: &[&Np],
    ) -> Self {
        let mut source_mentions = std::collections::HashSet::new();
        let mut learned_roles: std::collections::HashMap<usize, Vec<String>> =
            std::collections::HashMap::new();
        for np in sources {
            let Head::Entity(e) = np.head else {
                continue;
            };
            let Some((_, m)) = doc.mention_at(np.range.end - 1) else {
                continue;
            };
            source_mentions.insert(m.start);
            if doc.entities[e].kind == EntityType::Person {
                let role: Vec<String> = (np.range.start..m.start)
                    .filter(|&k| {
                        doc.noun_class(k) == Some(NounClass::Role)
                            || doc.has(k, class::ROLE_MODIFIER)
                    })
                    .map(|k| doc.w(k).to_owned())
                    .collect();
                let known = learned_roles.entry(e).or_default();
                for w in role {
                    if !known.contains(&w) {
                        known.push(w);
                    }
                }
            }
        }
        // A sentence's subject: its first mention outside quotes, past an opening adverbial
        // ("During Labour's years in opposition, Mr Cunningham …"), not after a preposition,
        // not premodifying a name ("British Commander Colonel Bob Stewart"). A possessor at
        // the start counts ("Mr Brown's insistence …" is about Mr Brown).
        let mut subject_zone = vec![0usize; doc.sentences.len()];
        // Sentences whose subject is a pronoun ("They said they would press Labour"): no name
        // in them is the subject.
        let mut pronoun_subject = vec![false; doc.sentences.len()];
        for (k, r) in doc.sentences.iter().enumerate() {
            let first = (r.start..r.end)
                .find(|&i| doc.raw(i).chars().any(char::is_alphanumeric))
                .unwrap_or(r.start);
            subject_zone[k] = if doc.has(first, class::ADVERBIAL_OPENER) {
                (first..r.end.min(first + 20))
                    .find(|&i| doc.w(i) == ",")
                    .map_or(r.start, |c| c + 1)
            } else {
                r.start
            };
        }
        for (k, r) in doc.sentences.iter().enumerate() {
            let zone = subject_zone[k].max(r.start);
            pronoun_subject[k] = (zone..r.end)
                .find(|&i| doc.raw(i).chars().any(char::is_alphanumeric))
                .is_some_and(|i| doc.is(i, &["he", "she", "they", "it", "we", "i"]) && !quoted[i]);
        }

        let mut mentions = Vec::new();
        let mut subject = Vec::new();
        let mut last_sentence = u32::MAX;
        for (i, &in_quote) in quoted.iter().enumerate() {
            let Some((e, m)) = doc.mention_at(i) else {
                continue;
            };
            if m.start != i || in_quote {
                continue;
            }
            let s = doc.sentence_of[i];
            let premodifier = {
                let mut k = m.end;
                while k < doc.len()
                    && k - m.end < 4
                    && (doc.has(k, class::ROLE_MODIFIER)
                        || doc.noun_class(k) == Some(NounClass::Role)
                        || doc.has(k, class::MALE_HONORIFIC)
                        || doc.has(k, class::FEMALE_HONORIFIC))
                {
                    k += 1;
                }
                doc.mention_at(k).is_some_and(|(f, _)| f != e)
            };
            let after_preposition = i > 0 && doc.has(i - 1, class::PREPOSITION);
            let candidate = i >= subject_zone[s as usize]
                && !premodifier
                && !after_preposition
                && !pronoun_subject[s as usize];
            let first_in_sentence = candidate && s != last_sentence;
            if candidate {
                last_sentence = s;
            }
            mentions.push((i, e));
            subject.push(first_in_sentence || source_mentions.contains(&i));
        }
        let mut positions = vec![Vec::new(); doc.entities.len()];
        for &(t, e) in &mentions {
            positions[e].push(t);
        }
        let genders = doc
            .entities
            .iter()
            .map(|e| entity_gender(doc, e, names))
            .collect();
        let mut narrative = Vec::with_capacity(doc.sentences.len());
        let mut n = 0u32;
        for r in &doc.sentences {
            narrative.push(n);
            let wholly_quoted = r
                .clone()
                .filter(|&i| doc.raw(i).chars().any(char::is_alphanumeric))
                .all(|i| quoted[i]);
            if !wholly_quoted {
                n += 1;
            }
        }
        Resolver {
            doc,
            gazetteer,
            genders,
            mentions,
            subject,
            narrative,
            learned_roles,
            positions,
        }
    }

    /// The entity `np` refers to, and how it was found. `exclude`: entities that cannot be the
    /// speaker (those the quoted words name). `before`: claims resolved so far, in text order.
    pub fn resolve(
        &self,
        np: &Np,
        exclude: &[usize],
        before: &[Resolved],
    ) -> (Option<usize>, SpeakerRule) {
        // "His party leader, Michael Howard, said": the name in the apposition says who.
        if let Some(a) = &np.apposition {
            // "shadow chief secretary to the Treasury, George Osborne, said": a person named
            // after a role phrase is who speaks, not the body the role belongs to.
            let person = |h: &Head| match h {
                Head::Entity(e) => self.doc.entities[*e].kind == EntityType::Person,
                _ => false,
            };
            let outer_is_role_of = match np.head {
                Head::Entity(e) => {
                    !person(&np.head)
                        && self
                            .doc
                            .mention_at(np.range.start)
                            .is_none_or(|(o, _)| o != e)
                }
                _ => true,
            };
            if matches!(a.head, Head::Entity(_))
                && (outer_is_role_of && person(&a.head) || !matches!(np.head, Head::Entity(_)))
            {
                let named = self.resolve_head(a, exclude, before);
                if named.0.is_some() {
                    return named;
                }
            }
        }
        let found = self.resolve_head(np, exclude, before);
        if found.0.is_none() {
            if let Some(a) = &np.apposition {
                let again = self.resolve_head(a, exclude, before);
                if again.0.is_some() {
                    return again;
                }
            }
        }
        found
    }

    fn resolve_head(
        &self,
        np: &Np,
        exclude: &[usize],
        before: &[Resolved],
    ) -> (Option<usize>, SpeakerRule) {
        let none = (None, SpeakerRule::Unresolved);
        match np.head {
            // A name says who, whatever the content mentions.
            Head::Entity(e) => match self.speaker_entity(e) {
                Some(s) => (Some(s), SpeakerRule::Name),
                None => none,
            },
            // A name the entity stage missed here but found elsewhere in the article.
            Head::Name(t) => self
                .named_elsewhere(t)
                .and_then(|e| self.speaker_entity(e))
                .map_or(none, |e| (Some(e), SpeakerRule::Name)),
            Head::Government(e) => match self.speaker_entity(e) {
                Some(s) => (Some(s), SpeakerRule::Name),
                None => none,
            },
            Head::Pronoun(p) => self
                .pronoun(p, np.range.start, exclude, before)
                .map_or(none, |e| (Some(e), SpeakerRule::Pronoun)),
            Head::Noun(t, NounClass::Role) if self.definite(np) => self
                .role(np, t, exclude)
                .or_else(|| {
                    // "the spokesman", "the lawyer" are usually someone not named yet; a title
                    // ("the chancellor") is someone the article has named.
                    (!self.doc.has(t, class::GENERIC_ROLE))
                        .then(|| self.described(np, exclude, before))
                        .flatten()
                })
                .map_or(none, |e| (Some(e), SpeakerRule::Description)),
            Head::Noun(t, NounClass::Org) if self.definite(np) => self
                .organisation(t, np.range.start, exclude)
                .map_or(none, |e| (Some(e), SpeakerRule::Description)),
            _ => none,
        }
    }

    /// The one entity with a mention written as token `t`, or with that word in its name
    /// ("Yili" for "Inner Mongolia Yili Industrial").
    fn named_elsewhere(&self, t: usize) -> Option<usize> {
        let word = self.doc.raw(t);
        let hits: Vec<usize> = self
            .doc
            .entities
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.kind != EntityType::Norp
                    && (e.mentions.iter().any(|m| m.text == word)
                        || e.name.split_whitespace().any(|w| w == word))
            })
            .map(|(k, _)| k)
            .collect();
        match hits.as_slice() {
            [e] => Some(*e),
            _ => {
                // Several: the one mentioned exactly so, if only one is.
                let exact: Vec<usize> = hits
                    .into_iter()
                    .filter(|&e| self.doc.entities[e].mentions.iter().any(|m| m.text == word))
                    .collect();
                (exact.len() == 1).then(|| exact[0])
            }
        }
    }

    /// Words of the roles the article gives person `e`: its entity role, and the role words
    /// before its name in the claims' sources ("BBC labour affairs correspondent Stephen
    /// Cape said" makes a later "our correspondent" him).
    fn role_words(&self, e: usize) -> Vec<String> {
        let mut words: Vec<String> = self.doc.entities[e]
            .role
            .as_deref()
            .map(|r| r.split_whitespace().map(str::to_lowercase).collect())
            .unwrap_or_default();
        if let Some(learned) = self.learned_roles.get(&e) {
            words.extend(learned.iter().cloned());
        }
        words
    }

    /// Whether a phrase refers to one known thing ("the chancellor", "his spokesman", "Tory
    /// leader" without an article), not any one ("a spokesman").
    fn definite(&self, np: &Np) -> bool {
        let first = np.range.start;
        self.doc
            .is(first, &["the", "his", "her", "its", "their", "this", "our"])
            || self.doc.capitalised(first)
                && !self
                    .doc
                    .is(first, &["a", "an", "one", "some", "many", "several"])
    }

    /// The entity that speaks for a mention of `e`: people and organisations themselves,
    /// states for their places and nationalities.
    fn speaker_entity(&self, e: usize) -> Option<usize> {
        let ent = &self.doc.entities[e];
        match ent.kind {
            // A region the tagger took for a person ("Iowa said") is a place.
            EntityType::Person if self.place_not_body(&ent.name) => None,
            EntityType::Person => Some(e),
            // A region the tagger took for an organisation ("Iowa said"): a place still, and
            // places speak only as states.
            EntityType::Org if self.place_not_body(&ent.name) => None,
            EntityType::Org => Some(e),
            EntityType::Loc if self.is_state(e) => Some(e),
            // A body the tagger took for a place ("the High Court", "BAA"): an organisation
            // word in its name, or the same name typed otherwise elsewhere in the article.
            EntityType::Loc => {
                let words: Vec<&str> = ent.name.split_whitespace().collect();
                let tags = self.gazetteer.tag(&words);
                if tags.iter().any(|t| {
                    t.position(crate::entities::gazetteer::kind::ORG_WORD)
                        .is_some()
                }) {
                    return Some(e);
                }
                self.doc.entities.iter().position(|o| {
                    o.name == ent.name && matches!(o.kind, EntityType::Org | EntityType::Person)
                })
            }
            EntityType::Norp => {
                let code = ent.country_code.as_deref()?;
                self.doc
                    .entities
                    .iter()
                    .position(|c| {
                        c.kind == EntityType::Loc && c.country_code.as_deref() == Some(code)
                    })
                    .filter(|&c| self.is_state(c))
                    .or(Some(e))
            }
        }
    }

    /// Whether `name` is a state, province or region and nothing says it is a body: no well-known organisation of that name, no organisation word in it. Cities are
    /// left alone: too many share their names with people and groups ("Victoria", "Liberty").
    fn place_not_body(&self, name: &str) -> bool {
        use crate::entities::gazetteer::{kind, Pos};
        if self.gazetteer.organisation(name).is_some() {
            return false;
        }
        let words: Vec<&str> = name.split_whitespace().collect();
        let tags = self.gazetteer.tag(&words);
        let whole_region = match tags.as_slice() {
            [t] => t.position(kind::REGION) == Some(Pos::Unit),
            [first, .., last] => {
                first.position(kind::REGION) == Some(Pos::Begin)
                    && last.position(kind::REGION) == Some(Pos::Last)
            }
            [] => false,
        };
        whole_region && !tags.iter().any(|t| t.position(kind::ORG_WORD).is_some())
    }

    /// Whether a place entity is a state (a country or a capital standing for one), which alone
    /// among places can speak.
    fn is_state(&self, e: usize) -> bool {
        let ent = &self.doc.entities[e];
        ent.kind == EntityType::Loc
            && (self.gazetteer.country(&ent.name).is_some()
                || ent
                    .mentions
                    .iter()
                    .any(|m| m.source == crate::record::MentionSource::Capital))
    }

    /// The antecedent of the pronoun at token `p`.
    fn pronoun(
        &self,
        p: usize,
        at: usize,
        exclude: &[usize],
        before: &[Resolved],
    ) -> Option<usize> {
        // Possessive determiners stand for their pronoun ("his claim that …").
        let pronoun = match self.doc.w(p) {
            "his" => "he",
            "her" => "she",
            "their" => "they",
            "its" => "it",
            w => w,
        };
        let gender = match pronoun {
            "he" => Gender::Male,
            "she" => Gender::Female,
            _ => Gender::Unknown,
        };
        let latest = self.latest(at, before);
        let near = |r: &&Resolved| self.narrative_of(at) - self.narrative_of(r.at) <= 1;
        match pronoun {
            "he" | "she" => {
                let person = |e: usize| {
                    let ent = &self.doc.entities[e];
                    ent.kind == EntityType::Person
                        && (gender == Gender::Unknown
                            || self.genders[e] == Gender::Unknown
                            || self.genders[e] == gender)
                };
                // "a spokesman … He said": the unnamed person, unless someone is named since.
                if latest.filter(near).is_some_and(|r| r.unnamed_person)
                    && !self.subject_between(latest.map_or(0, |r| r.at), at, &person)
                {
                    return None;
                }
                self.salient(at, exclude, before, false, person)
                    .or_else(|| self.protagonist(at, exclude, person))
            }
            // "it" refers to too many things (a bill, a study, a motion) to be any organisation
            // named before: only the organisation that just spoke.
            // "it" refers to too many things (a bill, a study, a motion) to be any organisation
            // named before: only the organisation that just spoke.
            "it" => latest
                .filter(near)
                .and_then(|r| r.speaker)
                .filter(|&e| self.doc.entities[e].kind == EntityType::Org && !exclude.contains(&e)),
            "they" => {
                // "they" after a claim of an unnamed group ("critics say … they argue") is that
                // group, which has no name.
                if latest.is_some_and(|r| r.unnamed_group) {
                    return None;
                }
                self.salient(at, exclude, before, true, |e| {
                    self.doc.entities[e].kind == EntityType::Org || self.is_state(e)
                })
            }
            _ => None,
        }
    }

    /// Whether a mention that `fits` is a sentence subject between tokens `from` and `to`.
    fn subject_between(&self, from: usize, to: usize, fits: &impl Fn(usize) -> bool) -> bool {
        let lo = self.mentions.partition_point(|&(t, _)| t < from);
        let hi = self.mentions.partition_point(|&(t, _)| t < to);
        (lo.max(hi.saturating_sub(MAX_CANDIDATES))..hi)
            .any(|k| self.subject[k] && fits(self.mentions[k].1))
    }

    /// The person an article is about, for a pronoun with no antecedent in reach: the one
    /// mentioned before it at least three times and twice as often as anyone else who fits.
    fn protagonist(
        &self,
        at: usize,
        exclude: &[usize],
        fits: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        let mut ranked: Vec<(usize, usize)> = self
            .positions
            .iter()
            .enumerate()
            .filter(|&(e, _)| !exclude.contains(&e) && fits(e))
            .map(|(e, ps)| (ps.partition_point(|&t| t < at), e))
            .filter(|&(n, _)| n > 0)
            .collect();
        ranked.sort_unstable_by(|a, b| b.cmp(a));
        match ranked.as_slice() {
            [(n, e)] if *n >= 3 => Some(*e),
            [(n, e), (m, _), ..] if *n >= 3 && *n >= 2 * m => Some(*e),
            _ => None,
        }
    }

    /// The claim resolved last before token `at`, if it is recent.
    fn latest<'r>(&self, at: usize, before: &'r [Resolved]) -> Option<&'r Resolved> {
        let here = self.narrative_of(at);
        before
            .iter()
            .rev()
            .take(MAX_CANDIDATES)
            .find(|r| r.at < at && !r.nested)
            .filter(|r| here.saturating_sub(self.narrative_of(r.at)) <= ANTECEDENT_SENTENCES)
    }

    /// The narrative sentence index of token `i`: sentences wholly inside quotation marks do
    /// not count, so a long quote does not push its speaker out of reach.
    fn narrative_of(&self, i: usize) -> usize {
        self.narrative[self.doc.sentence_of[i] as usize] as usize
    }

    /// The most salient entity before token `at` that `fits`: recent narrative sentences
    /// first, sentence subjects and the previous claim's speaker ahead of other mentions.
    /// `strict`: only subjects and the previous speaker of the last two sentences count (for
    /// "it" and "they", which refer to so many things). A tie is no answer.
    fn salient(
        &self,
        at: usize,
        exclude: &[usize],
        before: &[Resolved],
        strict: bool,
        fits: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        let here = self.narrative_of(at);
        let reach = if strict { 1 } else { ANTECEDENT_SENTENCES };
        // The previous claim's speaker goes on speaking, unless someone else who fits has
        // become the subject since.
        let previous_speaker = self
            .latest(at, before)
            .and_then(|r| r.speaker.map(|s| (s, here - self.narrative_of(r.at), r.at)))
            .filter(|&(s, d, from)| {
                d <= reach
                    && !exclude.contains(&s)
                    && fits(s)
                    && !self.subject_between(from + 1, at, &|e| e != s && fits(e))
            })
            .map(|(s, d, _)| (s, d));
        let mut best: Option<(i32, usize)> = None;
        let mut tied = false;
        let mut consider = |score: i32, e: usize| match best {
            Some((b, be)) if score == b && be != e => tied = true,
            Some((b, _)) if score <= b => {}
            _ => {
                best = Some((score, e));
                tied = false;
            }
        };
        if let Some((s, d)) = previous_speaker {
            consider(10 - 3 * d as i32 + 5, s);
        }
        let upto = self.mentions.partition_point(|&(t, _)| t < at);
        for k in (upto.saturating_sub(MAX_CANDIDATES)..upto).rev() {
            let (t, e) = self.mentions[k];
            let dist = here - self.narrative_of(t);
            if dist > reach {
                break;
            }
            if exclude.contains(&e) || !fits(e) || strict && !self.subject[k] {
                continue;
            }
            let mut score = 10 - 3 * dist as i32;
            if self.subject[k] {
                score += 2;
            }
            if previous_speaker.is_some_and(|(s, _)| s == e) {
                score += 3;
            }
            consider(score, e);
        }
        if tied {
            return None;
        }
        best.map(|(_, e)| e)
    }

    /// The person whose role the definite role phrase `np` names ("the chancellor", "the
    /// British Foreign Minister").
    fn role(&self, np: &Np, head: usize, exclude: &[usize]) -> Option<usize> {
        let doc = self.doc;
        let words: Vec<&str> = np
            .range
            .clone()
            .filter(|&i| {
                !doc.has(i, class::DETERMINER) && !doc.is(i, &["'s", "'", "former", "new"])
            })
            .map(|i| doc.w(i))
            .collect();
        if words.is_empty() {
            return None;
        }
        let at = np.range.start;
        let mut best: Option<(usize, usize, usize)> = None; // (score, last mention, entity)
        let mut tied = false;
        for (k, e) in doc.entities.iter().enumerate() {
            if e.kind != EntityType::Person || exclude.contains(&k) {
                continue;
            }
            let role_words = self.role_words(k);
            if role_words.is_empty() {
                continue;
            }
            let Some(last) = self.last_mention_before(k, at) else {
                continue;
            };
            let shared = words
                .iter()
                .filter(|w| role_words.iter().any(|r| r == *w))
                .count();
            let head_matches = role_words.iter().any(|r| r == doc.w(head));
            let first = usize::from(role_words.first().is_some_and(|r| r == words[0]));
            let ok = shared >= 2 || (words.len() == 1 && head_matches);
            if !ok {
                continue;
            }
            let score = shared * 2 + first;
            match best {
                Some((b, bl, be)) if score == b && be != k => {
                    // The more recently mentioned of equals, unless both are far.
                    if last > bl {
                        best = Some((score, last, k));
                    }
                    tied = true;
                }
                Some((b, _, _)) if score < b => {}
                Some((b, _, _)) if score == b => {}
                _ => {
                    best = Some((score, last, k));
                    tied = false;
                }
            }
        }
        let (_, _, e) = best?;
        if tied {
            return None;
        }
        Some(e)
    }

    /// A definite role the article gives nobody ("the Tory leader said" after "Michael Howard
    /// has said"): news writing varies how it names the person it is talking about, so this is
    /// the most salient person, as for "he" — unless that person's known role shares no word
    /// with the description.
    fn described(&self, np: &Np, exclude: &[usize], before: &[Resolved]) -> Option<usize> {
        let doc = self.doc;
        let words: Vec<&str> = np
            .range
            .clone()
            .filter(|&i| !doc.has(i, class::DETERMINER))
            .map(|i| doc.w(i))
            .collect();
        // Someone named earlier in the same sentence is someone else ("Mr Prescott hosted a
        // dinner where the prime minister told …").
        let same_sentence: Vec<usize> = (doc.sentence(np.range.start).start..np.range.start)
            .filter_map(|i| doc.mention_at(i).map(|m| m.0))
            .collect();
        self.salient(np.range.start, exclude, before, false, |e| {
            let ent = &doc.entities[e];
            ent.kind == EntityType::Person && !same_sentence.contains(&e) && {
                let known = self.role_words(e);
                known.is_empty() || known.iter().any(|r| words.iter().any(|w| r == w))
            }
        })
    }

    /// The organisation a definite description of kind `head` ("the firm", "the newspaper")
    /// refers to: the last one of that kind named in the sentences before.
    fn organisation(&self, head: usize, at: usize, exclude: &[usize]) -> Option<usize> {
        let kind = self.doc.w(head);
        let here = self.doc.sentence_of[at] as usize;
        let upto = self.mentions.partition_point(|&(t, _)| t < at);
        let fits = |e: usize| {
            let ent = &self.doc.entities[e];
            ent.kind == EntityType::Org && !exclude.contains(&e) && org_fits(kind, &ent.name)
        };
        for k in (upto.saturating_sub(MAX_CANDIDATES)..upto).rev() {
            let (t, e) = self.mentions[k];
            if here - self.doc.sentence_of[t] as usize > ANTECEDENT_SENTENCES + 2 {
                break;
            }
            if fits(e) {
                return Some(e);
            }
        }
        // "the company" far from any name: the organisation the article is about.
        self.protagonist(at, exclude, fits)
    }

    fn last_mention_before(&self, e: usize, at: usize) -> Option<usize> {
        let ps = &self.positions[e];
        let n = ps.partition_point(|&t| t < at);
        n.checked_sub(1).map(|k| ps[k])
    }
}

/// Whether an organisation called `name` is the kind of body `kind` ("newspaper", "party",
/// "firm") describes.
fn org_fits(kind: &str, name: &str) -> bool {
    #[rustfmt::skip]
    const MEDIA: &[&str] = &[
        "Times", "Post", "News", "Journal", "Telegraph", "Guardian", "Herald", "Mail", "Express",
        "Gazette", "Tribune", "Daily", "Star", "Mirror", "Sun", "Observer", "Independent",
        "Standard", "Chronicle", "Economist", "FT", "Reuters", "BBC", "CNN", "Jazeera", "Xinhua",
        "Press", "Agency", "Magazine", "Globe", "Record", "Today", "Week",
    ];
    #[rustfmt::skip]
    const PARTY: &[&str] = &[
        "Party", "Labour", "Conservative", "Conservatives", "Tory", "Tories", "Democrats",
        "Democrat", "Republicans", "Republican", "UKIP", "SNP", "Plaid", "Greens", "Green",
        "Liberal", "Dems", "Alliance", "Front", "Congress", "League",
    ];
    #[rustfmt::skip]
    const PUBLIC: &[&str] = &[
        "Department", "Ministry", "Office", "Treasury", "Committee", "Court", "Commons", "Lords",
        "Parliament", "Council", "Commission", "Senate", "Congress", "Assembly", "Government",
        "Cabinet", "Downing", "House", "Police", "Tribunal",
    ];
    let has = |set: &[&str]| name.split_whitespace().any(|w| set.contains(&w));
    match kind {
        "newspaper" | "paper" | "daily" | "magazine" | "broadcaster" | "network" | "channel"
        | "station" | "website" | "agency" | "publisher" => has(MEDIA),
        "party" => has(PARTY),
        "committee" => name.contains("Committee"),
        "court" | "tribunal" => name.contains("Court") || name.contains("Tribunal"),
        "commission" => name.contains("Commission"),
        "council" => name.contains("Council"),
        "union" | "federation" => {
            name.contains("Union") || name.contains("Federation") || name.contains("TUC")
        }
        "bank" | "lender" => name.contains("Bank") || !has(PUBLIC) && !has(PARTY) && !has(MEDIA),
        "department" | "ministry" | "office" => has(PUBLIC),
        "airline" | "carrier" => !has(PUBLIC) && !has(PARTY) && !has(MEDIA),
        _ => !has(PUBLIC) && !has(PARTY) && !has(MEDIA),
    }
}

/// A person's gender as the article marks it: an honorific before a mention, a role word, or
/// the first name.
pub fn entity_gender(doc: &Doc<'_>, e: &crate::record::Entity, names: &FirstNames) -> Gender {
    if e.kind != EntityType::Person {
        return Gender::Unknown;
    }
    for m in &e.mentions {
        let r = doc.tokens_in(m.start, m.end);
        let prev = if r.start > 0 { doc.w(r.start - 1) } else { "" };
        let first = doc.w(r.start);
        for w in [prev, first] {
            if words::MALE_HONORIFICS.contains(&w) {
                return Gender::Male;
            }
            if words::FEMALE_HONORIFICS.contains(&w) {
                return Gender::Female;
            }
        }
    }
    if let Some(role) = e.role.as_deref() {
        let role = role.to_lowercase();
        if [
            "spokeswoman",
            "chairwoman",
            "businesswoman",
            "queen",
            "princess",
            "duchess",
        ]
        .iter()
        .any(|w| role.contains(w))
        {
            return Gender::Female;
        }
    }
    e.name
        .split_whitespace()
        .find(|w| {
            !words::MALE_HONORIFICS.contains(&w.to_lowercase().as_str())
                && !words::FEMALE_HONORIFICS.contains(&w.to_lowercase().as_str())
        })
        .map_or(Gender::Unknown, |first| names.gender(first))
}
