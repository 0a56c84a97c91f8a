//! Targets: the entities a claim's content is about, other than its speaker.
//!
//! A target is an entity mentioned in the claim's content (any of its parts), except:
//! * the speaker itself, and the speaker's own side named in its role ("US State Department
//!   spokesperson" → the United States, the US State Department);
//! * an entity inside a nested claim of another speaker ("Iran’s threats against Israel" inside
//!   Miller's remarks): that claim owns it.
//!
//! A demonym stands for its country when the article names the country ("the Iranian threat"
//! is Iran's).
//!
//! Besides names, the content refers to entities by [`Referents`]: a third-person pronoun
//! ("he", "his", "her") is the nearest earlier person of its gender (in a quote, not the
//! speaker, who says "I"; in reported speech the speaker, unless the content itself has named
//! another person of that gender before "he", "him" or "she" who is not being told something);
//! a description is the person whose role it names ("the chancellor" → Gordon Brown when the
//! article calls him Chancellor Gordon Brown), or the nearest earlier organisation whose name
//! ends with its noun ("the agency" → Child Support Agency).

use std::ops::Range;

use crate::claims::doc::Doc;
use crate::claims::sources::{entity_gender, FirstNames, Gender};
use crate::record::{Claim, ClaimKind};
use crate::record::{Entity, EntityType};

/// Sentences back a pronoun or description looks for what it refers to.
const REFERENT_SENTENCES: u32 = 3;

/// Tokens back it looks at most: a text with no sentence breaks (a megabyte of one run-on
/// paragraph) stays linear.
const REFERENT_TOKENS: usize = 300;

/// Nouns by which a description refers to an organisation named with them ("the agency").
const ORG_HEADS: &[&str] = &[
    "agency",
    "executive",
    "committee",
    "department",
    "council",
    "commission",
    "office",
    "court",
    "union",
    "federation",
    "authority",
    "association",
    "institute",
    "bank",
    "service",
    "assembly",
    "board",
    "foundation",
    "corporation",
    "ministry",
];

/// Words that make a role another office than the one a description names: the deputy prime
/// minister is not "the prime minister".
const OTHER_OFFICE: &[&str] = &[
    "deputy",
    "shadow",
    "former",
    "vice",
    "junior",
    "assistant",
    "acting",
    "ex",
    "under",
];

/// Verbs whose object is told something: what follows is about their subject.
const TELLING: &[&str] = &[
    "told", "tells", "tell", "asked", "asks", "warned", "warns", "assured", "assures", "promised",
    "promises", "informed", "informs", "reminded", "reminds", "urged", "urges",
];

/// Pronouns and descriptions in content that refer to the article's entities.
pub struct Referents<'d, 'a> {
    doc: &'d Doc<'a>,
    genders: Vec<Gender>,
    /// Lower-cased roles of people ("chancellor", "prime minister").
    roles: Vec<Option<String>>,
}

impl<'d, 'a> Referents<'d, 'a> {
    /// The referents of `doc`'s entities.
    pub fn new(doc: &'d Doc<'a>, names: &FirstNames) -> Self {
        let genders = doc
            .entities
            .iter()
            .map(|e| entity_gender(doc, e, names))
            .collect();
        let roles = doc
            .entities
            .iter()
            .map(|e| {
                e.role
                    .as_deref()
                    .filter(|_| e.kind == EntityType::Person)
                    .map(str::to_lowercase)
            })
            .collect();
        Referents {
            doc,
            genders,
            roles,
        }
    }

    /// The nearest entity mentioned before token `i` (within a few sentences) that `fits`.
    fn nearest_before(&self, i: usize, fits: impl Fn(usize) -> bool) -> Option<usize> {
        let doc = self.doc;
        let floor_sentence = doc.sentence_of[i].saturating_sub(REFERENT_SENTENCES);
        let floor = i.saturating_sub(REFERENT_TOKENS);
        let mut j = i;
        while j > floor {
            j -= 1;
            if doc.sentence_of[j] < floor_sentence {
                return None;
            }
            if let Some((e, _)) = doc.mention_at(j) {
                if fits(e) {
                    return Some(e);
                }
            }
        }
        None
    }

    /// The entity and tokens a pronoun or description at token `i` refers to, in a claim of
    /// `kind` whose speaker is `speaker`. `None` for anything else.
    pub fn at(
        &self,
        i: usize,
        kind: ClaimKind,
        speaker: usize,
        content_start: usize,
    ) -> Option<(usize, Range<usize>)> {
        let doc = self.doc;
        let w = doc.w(i);
        let gender = match w {
            "he" | "him" | "his" => Some(Gender::Male),
            "she" | "her" => Some(Gender::Female),
            _ => None,
        };
        if let Some(g) = gender {
            // "I" is the speaker in a quote: "he" there is someone else. In reported speech
            // "he" of the speaker's gender is the speaker ("Mr Howard said he was confident"),
            // which the caller sets aside as its own side.
            let quoted = kind == ClaimKind::DirectQuote;
            if !quoted && (self.genders[speaker] == g || self.genders[speaker] == Gender::Unknown) {
                // "he said Mr Blair had failed and that he had the wrong solution": a person of
                // that gender named earlier in the content itself comes first, unless told
                // something ("Mr Blair told Mr Brown he would quit": he is Mr Blair).
                // A possessive ("his plans", "her plans") stays the speaker's: its owner is most
                // often who speaks.
                let possessive = matches!(w, "his" | "her");
                let from = content_start.max(i.saturating_sub(REFERENT_TOKENS));
                let named = (from..i).rev().filter(|_| !possessive).find_map(|j| {
                    let (e, m) = doc.mention_at(j)?;
                    let mut k = m.start;
                    while k > 0 && doc.is(k - 1, &["mr", "mrs", "ms", "dr", "sir", "lord", "the"]) {
                        k -= 1;
                    }
                    let addressed = k > 0 && doc.is(k - 1, TELLING);
                    (e != speaker
                        && !addressed
                        && doc.entities[e].kind == EntityType::Person
                        && self.genders[e] == g)
                        .then_some(e)
                });
                return Some((named.unwrap_or(speaker), i..i + 1));
            }
            // A person known to be of that gender first; one of unknown gender only when
            // there is none ("She" is not "Carry On", a title the tagger took for a name).
            let person = |e: usize, want: Gender| {
                doc.entities[e].kind == EntityType::Person
                    && self.genders[e] == want
                    && !(quoted && e == speaker)
            };
            let e = self
                .nearest_before(i, |e| person(e, g))
                .or_else(|| self.nearest_before(i, |e| person(e, Gender::Unknown)))?;
            return Some((e, i..i + 1));
        }
        if !doc.is(i, &["the", "this", "his", "her", "their"]) || i + 1 >= doc.len() {
            return None;
        }
        // "the prime minister", "the home secretary": up to three lower-case words naming a
        // role one person of the article holds.
        let words: Vec<&str> = (i + 1..(i + 4).min(doc.len()))
            .take_while(|&k| {
                doc.mention_at(k).is_none()
                    && doc.raw(k).chars().all(|c| c.is_alphabetic() || c == '-')
                    && !doc.raw(k).is_empty()
            })
            .map(|k| doc.w(k))
            .collect();
        for n in (1..=words.len()).rev() {
            let phrase = words[..n].join(" ");
            let holders: Vec<usize> = (0..doc.entities.len())
                .filter(|&e| {
                    self.roles[e].as_deref().is_some_and(|r| {
                        r.strip_suffix(phrase.as_str()).is_some_and(|rest| {
                            rest.is_empty()
                                || rest.ends_with(' ')
                                    && !rest
                                        .split_whitespace()
                                        .next_back()
                                        .is_some_and(|w| OTHER_OFFICE.contains(&w))
                        })
                    })
                })
                .collect();
            if let [e] = holders[..] {
                return Some((e, i..i + 1 + n));
            }
            if n == 1 && ORG_HEADS.contains(&words[0]) {
                let head = words[0];
                let e = self.nearest_before(i, |e| {
                    doc.entities[e].kind == EntityType::Org
                        && doc.entities[e]
                            .name
                            .rsplit(' ')
                            .next()
                            .is_some_and(|last| last.eq_ignore_ascii_case(head))
                })?;
                return Some((e, i..i + 2));
            }
        }
        None
    }
}

/// One target mention in a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The entity (index into the article's entities).
    pub entity: usize,
    /// Its mention's tokens, clipped to the content part.
    pub mention: Range<usize>,
    /// The content part (tokens) it is in.
    pub part: Range<usize>,
}

/// The acting entity of the mention at token `i`: a demonym acts for its country when the
/// article names the country.
pub fn actor_at(doc: &Doc<'_>, i: usize) -> Option<usize> {
    let (e, _) = doc.mention_at(i)?;
    let ent = &doc.entities[e];
    if ent.kind == EntityType::Norp {
        let country = doc.entities.iter().position(|c| {
            c.kind == EntityType::Loc
                && c.country_code.is_some()
                && c.country_code == ent.country_code
        });
        return country.or(Some(e));
    }
    Some(e)
}

/// Token ranges of a claim's content parts.
pub fn parts(doc: &Doc<'_>, claim: &Claim) -> Vec<Range<usize>> {
    std::iter::once(&claim.content)
        .chain(&claim.content_parts)
        .map(|s| doc.tokens_in(s.start, s.end))
        .filter(|r| !r.is_empty())
        .collect()
}

/// The targets of claim `ci` (of `claims`, in text order of their content), whose speaker is
/// entity `speaker`.
pub fn targets(
    doc: &Doc<'_>,
    referents: &Referents<'_, '_>,
    claims: &[Claim],
    ci: usize,
    speaker: usize,
) -> Vec<Target> {
    let claim = &claims[ci];
    // Nested claims of other speakers own what they say.
    // Claims are in text order of their content: the candidates start inside this content.
    let lo = claims.partition_point(|o| o.content.start < claim.content.start);
    let hi = claims.partition_point(|o| o.content.start < claim.content.end);
    let inner: Vec<Range<usize>> = claims[lo..hi.max(lo)]
        .iter()
        .enumerate()
        .map(|(k, o)| (k + lo, o))
        .filter(|&(k, o)| {
            // A nested claim whose source is a pronoun left unresolved ("she thought that …"
            // inside the speaker's own words) is the speaker's own; unnamed others ("critics
            // believed …") still own what they say.
            let own_pronoun = o.speaker.is_none()
                && o.source.as_ref().is_some_and(|s| {
                    matches!(
                        s.text.to_lowercase().as_str(),
                        "he" | "she" | "they" | "we" | "i" | "it"
                    )
                });
            k != ci
                && !own_pronoun
                && o.speaker != claim.speaker
                && claim.content.start <= o.content.start
                && o.content.end <= claim.content.end
                && (o.content.start, o.content.end) != (claim.content.start, claim.content.end)
        })
        .map(|(_, o)| {
            let from = [o.source.as_ref(), o.cue.as_ref()]
                .into_iter()
                .flatten()
                .map(|s| s.start)
                .filter(|&s| s >= claim.content.start)
                .chain([o.content.start])
                .min()
                .unwrap_or(o.content.start);
            doc.tokens_in(from, o.content.end)
        })
        .collect();
    let mut out = Vec::new();
    for part in parts(doc, claim) {
        let mut i = part.start;
        while i < part.end {
            let (target, m) = match doc.mention_at(i) {
                Some((_, m)) => (actor_at(doc, i).expect("a mention covers i"), m),
                None => match referents.at(i, claim.kind, speaker, part.start) {
                    Some((e, r)) => (e, r),
                    None => {
                        i += 1;
                        continue;
                    }
                },
            };
            let mention = m.start.max(part.start)..m.end.min(part.end);
            i = mention.end.max(i + 1);
            // A group named by nationality or faith ("Muslims", "Hispanics") whose state the
            // article does not name is not an actor a stance can be toward.
            if target == speaker
                || doc.entities[target].kind == EntityType::Norp
                || inner.iter().any(|r| r.contains(&mention.start))
                || affiliated(&doc.entities[speaker], &doc.entities[target])
            {
                continue;
            }
            out.push(Target {
                entity: target,
                mention,
                part: part.clone(),
            });
        }
    }
    out
}

/// Whether `target` is the speaker's own side, named in the speaker's role ("US State
/// Department spokesperson" → the United States, the US State Department).
pub fn affiliated(speaker: &Entity, target: &Entity) -> bool {
    let Some(role) = speaker.role.as_deref() else {
        return false;
    };
    let words: Vec<&str> = role.split_whitespace().collect();
    target.mentions.iter().any(|m| {
        let mw: Vec<&str> = m.text.split_whitespace().collect();
        !mw.is_empty() && words.windows(mw.len()).any(|w| w == mw.as_slice())
    })
}
