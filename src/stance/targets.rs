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

use std::ops::Range;

use crate::claims::doc::Doc;
use crate::entities::{Entity, EntityType};
use crate::record::Claim;

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
pub fn targets(doc: &Doc<'_>, claims: &[Claim], ci: usize, speaker: usize) -> Vec<Target> {
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
            k != ci
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
            let Some((_, m)) = doc.mention_at(i) else {
                i += 1;
                continue;
            };
            let target = actor_at(doc, i).expect("a mention covers i");
            let mention = m.start.max(part.start)..m.end.min(part.end);
            i = mention.end.max(i + 1);
            if target == speaker
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
