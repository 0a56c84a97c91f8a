//! Claims: who said, wrote, holds or wants what — every attributed statement of an article,
//! with its source, cue and content spans and the entity that speaks.
//!
//! One article goes through named steps, each in its own module:
//! 1. [`doc`]: the body tokenised once, with sentences and the entity mention of each token.
//! 2. [`quotes`]: where quotation marks open and close, robust to unbalanced and mixed marks.
//! 3. [`find`]: the attribution patterns (quotes attributed before or after, continuing quotes,
//!    signed posts, "according to", verbs of saying, thinking, position and intention from
//!    [`cues`], nouns of saying), each claim naming the [`ClaimRule`] that found it.
//! 4. [`sources`]: each source phrase resolved to an entity — a name, a pronoun by salience and
//!    agreement, a description by role or kind, a continuing quote by its speaker — or left
//!    null when the text does not say who. Places speak only as states.
//! 5. [`repeats`]: a statement printed twice word for word is one claim with `repeats`.
//!
//! The stage reads the entity stage's output (it must run after `entities`) and the dedup
//! stage's repeated paragraphs when present. It is pure and linear in the body: every scan is
//! bounded by a sentence and a fixed window.

pub mod cues;
pub mod doc;
pub mod find;
pub mod gold;
pub mod quotes;
pub mod repeats;
pub mod sources;
pub mod words;

use std::sync::Arc;

use cues::CueLexicon;
use doc::Doc;
use find::{Finder, Found};
use sources::{FirstNames, Head, Resolved, Resolver};

use crate::entities::gazetteer::Gazetteer;
use crate::record::Entity;
use crate::record::{Claim, ClaimRule, SpeakerRule};
use words::WordClasses;

/// First names by gender (hand-written), for pronoun agreement here and in the stance stage.
pub const FIRST_NAMES_TSV: &str = include_str!("../../data/lexicons/first_names.tsv");

/// What the claim finder reads text with: the cue lexicon, first names for pronoun agreement,
/// and the gazetteer (which places are states).
#[derive(Debug, Clone)]
pub struct ClaimFinder {
    cues: Arc<CueLexicon>,
    words: Arc<words::WordClasses>,
    names: Arc<FirstNames>,
    gazetteer: Arc<Gazetteer>,
}

impl ClaimFinder {
    /// The bundled lexicons with `gazetteer` (the entity stage's).
    pub fn new(gazetteer: Arc<Gazetteer>) -> Self {
        ClaimFinder {
            cues: Arc::new(CueLexicon::bundled()),
            words: Arc::new(words::WordClasses::new()),
            names: Arc::new(FirstNames::parse(FIRST_NAMES_TSV)),
            gazetteer,
        }
    }

    /// The claims of `body`, whose entities are `entities`, in text order of their content.
    pub fn claims(&self, body: &str, entities: &[Entity]) -> Vec<Claim> {
        self.claims_in(&Doc::with_classes(body, entities, &self.words))
    }

    /// The word classes the finder reads (a [`Doc`] for [`ClaimFinder::claims_in`] is
    /// classified with them).
    pub fn words(&self) -> &WordClasses {
        &self.words
    }

    /// [`ClaimFinder::claims`] of a doc already made, with word classes.
    pub fn claims_in(&self, doc: &Doc<'_>) -> Vec<Claim> {
        if doc.is_empty() {
            return Vec::new();
        }
        let quotes = quotes::find(doc);
        let finder = Finder::new(doc, &quotes, &self.cues);
        let quoted = finder.quoted();
        let mut found = finder.find();
        strip_edge_marks(doc, &mut found);
        found.sort_by_key(|f| (f.anchor(), f.content.start));
        let found = drop_nested_duplicates(found);
        // Sources of claims nested in another's content ("Robin Cook said Lord Goldsmith's
        // admission …") are not the subjects of their sentences.
        let nested = nested_flags(&found);
        let sources: Vec<&sources::Np> = found
            .iter()
            .zip(&nested)
            .filter(|(_, &n)| !n)
            .filter_map(|(f, _)| f.source.as_ref())
            .collect();
        let resolver = Resolver::new(doc, &self.gazetteer, &self.names, &quoted, &sources);
        let claims = resolve(doc, &resolver, &found, &nested);
        repeats::merge(claims)
    }
}

/// For each claim (sorted by anchor), whether it starts inside the content of a claim that
/// starts before it ("Robin Cook said [Lord Goldsmith's admission …]"). One sweep: claims that
/// start earlier wait in a heap until the sweep reaches their content.
fn nested_flags(found: &[Found]) -> Vec<bool> {
    use std::cmp::Reverse;
    let mut waiting: std::collections::BinaryHeap<Reverse<(usize, usize)>> =
        std::collections::BinaryHeap::new();
    let (mut added, mut open_until) = (0usize, 0usize);
    let mut out = Vec::with_capacity(found.len());
    for f in found {
        let at = f.anchor();
        while added < found.len() && found[added].anchor() < at {
            let o = &found[added];
            waiting.push(Reverse((o.content.start, o.content.end)));
            added += 1;
        }
        while let Some(&Reverse((start, end))) = waiting.peek() {
            if start > at {
                break;
            }
            waiting.pop();
            open_until = open_until.max(end);
        }
        out.push(at < open_until);
    }
    out
}

/// The same content found twice by different patterns (a quote and the verb before it): the
/// first found wins.
fn drop_nested_duplicates(found: Vec<Found>) -> Vec<Found> {
    let mut contents: std::collections::HashSet<(usize, usize)> = std::collections::HashSet::new();
    let mut cues: std::collections::HashMap<(usize, usize), Vec<std::ops::Range<usize>>> =
        std::collections::HashMap::new();
    let mut out: Vec<Found> = Vec::with_capacity(found.len());
    for f in found {
        let same_content = contents.contains(&(f.content.start, f.content.end));
        let same_cue = f.cue.as_ref().is_some_and(|c| {
            cues.get(&(c.start, c.end))
                .is_some_and(|cs| cs.iter().any(|k| ranges_overlap(k, &f.content)))
        });
        if same_content || same_cue {
            continue;
        }
        contents.insert((f.content.start, f.content.end));
        if let Some(c) = &f.cue {
            cues.entry((c.start, c.end))
                .or_default()
                .push(f.content.clone());
        }
        out.push(f);
    }
    out
}

fn ranges_overlap(a: &std::ops::Range<usize>, b: &std::ops::Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// Speakers for every found claim, in text order, then the published form sorted by content.
fn resolve(
    doc: &Doc<'_>,
    resolver: &Resolver<'_, '_>,
    found: &[Found],
    nested: &[bool],
) -> Vec<Claim> {
    let mut resolved: Vec<Resolved> = Vec::with_capacity(found.len());
    let mut by_id: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    let mut out: Vec<Claim> = Vec::with_capacity(found.len());
    for (f, &nested) in found.iter().zip(nested) {
        let (speaker, rule) = match (f.carries.and_then(|id| by_id.get(&id)), &f.source) {
            (Some(&k), None) => (resolved[k].speaker, carried_rule(&out[k])),
            (Some(&k), Some(np)) => {
                let own = resolver.resolve(np, &f.exclude, &resolved);
                if own.0.is_some() {
                    own
                } else {
                    (resolved[k].speaker, carried_rule(&out[k]))
                }
            }
            (None, Some(np)) => resolver.resolve(np, &f.exclude, &resolved),
            (None, None) => (None, SpeakerRule::Unresolved),
        };
        let (speaker, rule) = match speaker {
            Some(_) => (speaker, rule),
            None => (None, SpeakerRule::Unresolved),
        };
        let unnamed = |class: words::NounClass| {
            speaker.is_none()
                && f.source
                    .as_ref()
                    .is_some_and(|np| matches!(np.head, Head::Noun(_, c) if c == class))
        };
        // A claim that carries another's speaker carries its unnamed source too ("A Labour
        // spokesman criticised …, saying …").
        let carried = f
            .carries
            .filter(|_| f.source.is_none())
            .and_then(|id| by_id.get(&id))
            .map(|&k| resolved[k]);
        let (unnamed_group, unnamed_person) = match carried {
            Some(r) => (r.unnamed_group, r.unnamed_person),
            None => (
                unnamed(words::NounClass::People),
                unnamed(words::NounClass::Role) || unnamed(words::NounClass::Other),
            ),
        };
        // A claim inside another's content ("Robin Cook said Lord Goldsmith's admission …") is
        // not who speaks next.
        by_id.insert(f.id, resolved.len());
        resolved.push(Resolved {
            at: f.anchor(),
            nested,
            speaker,
            unnamed_group,
            unnamed_person,
        });
        let ent = speaker.map(|e| &doc.entities[e]);
        out.push(Claim {
            kind: f.kind,
            speaker: ent.map(|e| e.name.clone()),
            speaker_type: ent.map(|e| e.kind),
            speaker_rule: rule,
            source: f.source.as_ref().map(|np| doc.span(np.range.clone())),
            cue: f.cue.clone().map(|c| doc.span(c)),
            content: doc.span(f.content.clone()),
            content_parts: f.parts.iter().map(|p| doc.span(p.clone())).collect(),
            repeats: Vec::new(),
            rule: f.rule,
        });
    }
    out.sort_by_key(|c| (c.content.start, c.content.end));
    out
}

/// Quoted content never starts or ends with a quotation mark, whatever marks a garbled text
/// mixes ("‘ … ”", a stray closer before a paragraph break); content left empty is no claim.
fn strip_edge_marks(doc: &Doc<'_>, found: &mut Vec<find::Found>) {
    let mark = |i: usize| {
        matches!(
            doc.raw(i),
            "\"" | "“" | "”" | "‘" | "’" | "'" | "„" | "«" | "»"
        )
    };
    let strip = |r: &mut std::ops::Range<usize>| {
        while r.start < r.end && mark(r.start) {
            r.start += 1;
        }
        while r.end > r.start && mark(r.end - 1) {
            r.end -= 1;
        }
    };
    for f in found.iter_mut() {
        if matches!(
            f.rule,
            ClaimRule::QuoteThenCue | ClaimRule::CueThenQuote | ClaimRule::QuoteContinues
        ) {
            strip(&mut f.content);
            f.parts.iter_mut().for_each(&strip);
            f.parts.retain(|p| !p.is_empty());
        }
    }
    found.retain(|f| !f.content.is_empty());
}

/// How a claim that carries another's speaker names its rule: a continuing quote has no source
/// words; a participle clause takes the rule of the claim it continues.
fn carried_rule(from: &Claim) -> SpeakerRule {
    if from.speaker.is_some() {
        SpeakerRule::PreviousSpeaker
    } else {
        SpeakerRule::Unresolved
    }
}
