//! From tagged spans to entities: mentions with char offsets, grouped into one entity per
//! referent with a canonical name, a role and a country link where the article gives them.
//!
//! Rules, each small enough to read off the output:
//! * **Mentions** are the tagger's PER/ORG/LOC spans, and MISC spans that are demonyms (NORP).
//!   A country name or demonym the tagger left untagged is added from the gazetteer
//!   (`source: "gazetteer"`), so "his Turkish, Chinese, and Saudi counterparts" yields three
//!   NORP mentions even when the model hesitates.
//! * **Countries** are one entity per ISO code whatever alias the article uses ("US", "the
//!   United States", "USA"), named by the gazetteer; demonyms carry the code and name of their
//!   country.
//! * **People**: a mention whose tokens are the last (or first) tokens of a longer name in the
//!   article is that person ("Biden" → "Joe Biden") when exactly one longer name fits. The same
//!   suffix rule joins "State Department" to "US State Department".
//! * **Organisation acronyms** join the organisation whose capitalised words they abbreviate.
//! * **Roles** come from the title run right before a person mention ("US Secretary of State
//!   Antony Blinken") or an apposition after it ("Matthew Miller, a State Department
//!   spokesman,"); the run must contain a title word from the gazetteer.
//! * The canonical name is the longest form used in the article (countries: the gazetteer name).

use std::collections::{HashMap, HashSet};
use std::ops::Range;

/// Sets and maps of an article's words: foldhash is much cheaper than SipHash for these
/// per-token look-ups, and its random per-process seed keeps an article's words from being
/// chosen to collide (they are untrusted input).
type FastSet<T> = HashSet<T, foldhash::fast::RandomState>;
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

use super::gazetteer::{kind, Gazetteer, Pos, Tags};
use super::model::Type;
use super::tokens::{sentences, tokenize, Token};
use super::{Tagger, WordMemo};
use crate::record::{Entity, EntityType, Mention, MentionSource};

/// A mention before grouping, in byte offsets and token indices.
#[derive(Debug, Clone)]
struct Raw {
    kind: EntityType,
    /// Token range in the article's token list.
    first: usize,
    last: usize,
    start: usize,
    end: usize,
    source: MentionSource,
}

/// Turns bodies into entities.
pub struct Extractor {
    tagger: Tagger,
    not_names: FastSet<&'static str>,
}

const NOT_NAMES_TSV: &str = include_str!("../../data/lexicons/not_names.tsv");

/// Words that are never a name by themselves (`data/lexicons/not_names.tsv`): function words,
/// discourse markers, interjections.
pub fn not_names() -> impl Iterator<Item = &'static str> {
    NOT_NAMES_TSV
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Groups named by faith or ethnicity: nationalities and groups (NORP), never people.
const GROUP_NAMES: &[&str] = &[
    "muslim",
    "jew",
    "jewish",
    "hindu",
    "sikh",
    "catholic",
    "protestant",
    "hispanic",
    "latino",
    "latina",
    "latinx",
    "arab",
    "kurd",
    "kurdish",
    "shia",
    "shiite",
    "sunni",
    "buddhist",
    "evangelical",
    "mormon",
    "asian",
    "african",
    "european",
    "palestinian",
    "israeli",
];

/// Group words that are also names in the singular ("Christian Vieri", "Mr White", "Mr
/// Black"): a group only in the plural ("Christians", "Whites").
const PLURAL_GROUP_NAMES: &[&str] = &["christians", "blacks", "whites"];

/// Role abbreviations that follow a party's name in a description ("Labour MP"): not part of
/// the organisation's name.
const ROLE_SUFFIXES: &[&str] = &[
    "MP", "MPs", "MSP", "MSPs", "MEP", "MEPs", "AM", "AMs", "peer",
];

/// Drops a one-word mention the tagger found only where any word is capitalised — at the start
/// of a sentence or headline ("Work and Pensions Secretary …", "Crisis in …") — when the
/// article also uses the word in lower case mid-sentence: a common word, not a name. A word the
/// article capitalises mid-sentence too ("the Budget", "Labour") keeps its mentions.
fn drop_capitalised_common_words(words: &[&str], sentence_start: &[bool], raws: &mut Vec<Raw>) {
    let mut lower_mid: FastSet<&str> = FastSet::default();
    let mut capital_mid: FastSet<&str> = FastSet::default();
    for (i, w) in words.iter().enumerate() {
        let Some(first) = w.chars().next() else {
            continue;
        };
        if first.is_lowercase() {
            lower_mid.insert(w);
        } else if first.is_uppercase() && !sentence_start[i] && i > 0 && !is_opening(words[i - 1]) {
            capital_mid.insert(w);
        }
    }
    let mut verdict: FastMap<usize, bool> = FastMap::default();
    raws.retain(|r| {
        if r.first != r.last || r.source != MentionSource::Tagger {
            return true;
        }
        let w = words[r.first];
        // Acronyms, CamelCase and web addresses ("amazon.co.uk") are names however used.
        if !w.starts_with(char::is_uppercase)
            || w.chars().skip(1).any(char::is_uppercase)
            || w.contains('.')
        {
            return true;
        }
        *verdict.entry(r.first).or_insert_with(|| {
            capital_mid.contains(w) || !lower_mid.contains(w.to_lowercase().as_str())
        })
    });
}

/// Offices written in lower case between an organisation's name and its holder's
/// ("Portsmouth chairman Milan Mandaric"), which make the run before a name a role.
const LOWER_CASE_OFFICES: &[&str] = &[
    "chairman",
    "chairwoman",
    "chair",
    "chief",
    "executive",
    "director",
    "president",
    "leader",
    "boss",
    "manager",
    "coach",
    "secretary",
    "minister",
    "spokesman",
    "spokeswoman",
    "founder",
    "owner",
    "editor",
    "captain",
    "governor",
    "commissioner",
    "head",
];

/// Nouns that introduce the title of a work: "the film Vera Drake", "hit comedy Blackadder".
/// ("the game Arsenal won" and "polls show Labour" are why "game" is not one and a determiner
/// or a work's adjective must come first.)
const WORK_NOUNS: &[&str] = &[
    "film",
    "movie",
    "show",
    "programme",
    "program",
    "comedy",
    "drama",
    "sitcom",
    "documentary",
    "album",
    "song",
    "book",
    "novel",
    "musical",
    "opera",
    "ballet",
    "thriller",
    "biopic",
    "sequel",
    "remake",
];

/// Words that come before a work noun that introduces a title.
const BEFORE_WORK_NOUN: &[&str] = &[
    "the",
    "a",
    "an",
    "his",
    "her",
    "their",
    "its",
    "new",
    "hit",
    "latest",
    "debut",
    "upcoming",
    "forthcoming",
    "acclaimed",
    "'s",
    "s",
    "’s",
];

/// Drops the names of works — films, programmes, albums, books — which the tagger reads as
/// people or organisations ("Vera Drake", "Shall We Dance"): a name the article introduces
/// right after a work noun ("her film Vera Drake") is a title in all its mentions, and a title
/// is neither a source nor a target.
fn drop_works(body: &str, words: &[&str], raws: &mut Vec<Raw>) {
    let titles: FastSet<&str> = raws
        .iter()
        .filter(|r| {
            r.kind != EntityType::Norp
                && r.first > 1
                && WORK_NOUNS.contains(&words[r.first - 1])
                && BEFORE_WORK_NOUN.contains(&words[r.first - 2])
        })
        .map(|r| &body[r.start..r.end])
        .collect();
    if titles.is_empty() {
        return;
    }
    raws.retain(|r| !titles.contains(&body[r.start..r.end]));
}

/// Last words that make a name a document — a law, a treaty, a paper, the Budget — which is
/// neither a person, an organisation nor a place ("Freedom of Information Act", "Prevention of
/// Terrorism Bill", "White Paper").
const DOCUMENT_HEADS: &[&str] = &["Act", "Bill", "Treaty", "Paper", "Budget"];

/// Drops documents the tagger reads as names: a name of two words or more ending in a
/// document's head word, and "Budget", "Act" or "Treaty" alone ("the Budget"). "Bill" alone is
/// a person's first name, unless the tagger says otherwise.
fn drop_documents(words: &[&str], raws: &mut Vec<Raw>) {
    raws.retain(|r| {
        let last = words[r.last];
        if !DOCUMENT_HEADS.contains(&last) {
            return true;
        }
        if r.last > r.first {
            return false;
        }
        last == "Bill" && r.kind == EntityType::Person || last == "Paper"
    });
}

/// Whether a token opens a phrase so that the next word is capitalised regardless: a quotation
/// mark, a bracket, a dash or a colon.
fn is_opening(w: &str) -> bool {
    matches!(w, "\"" | "“" | "‘" | "'" | "(" | "-" | "—" | "–" | ":")
}

/// Drops mentions that are only a function word or interjection ("Well", "Do", "Moreover"), the
/// tagger's commonest error on sentence-initial capitals, transcripts and quotes; trims such a
/// word opening a longer mention and a role abbreviation closing an organisation's ("Labour
/// MP" → "Labour"); retypes a person that is a nationality or faith group ("Muslims") as NORP.
/// An all-capitals acronym ("US", "ME") is a name.
fn clean_mentions(
    gaz: &Gazetteer,
    not_names: &FastSet<&'static str>,
    tokens: &[Token<'_>],
    words: &[&str],
    raws: &mut Vec<Raw>,
) {
    let acronym = |w: &str| w.len() >= 2 && w.chars().all(|c| c.is_ascii_uppercase()) && w != "OK";
    let not_name = |w: &str| !acronym(w) && not_names.contains(w.to_lowercase().as_str());
    // "Labour MP Derek Wyatt" read as one organisation: the party, then the person.
    let mut people = Vec::new();
    for r in raws.iter_mut().filter(|r| r.kind == EntityType::Org) {
        if let Some(k) = (r.first + 1..r.last).find(|&k| ROLE_SUFFIXES.contains(&words[k])) {
            if words[k + 1..=r.last]
                .iter()
                .all(|w| w.starts_with(char::is_uppercase))
            {
                people.push(Raw {
                    kind: EntityType::Person,
                    first: k + 1,
                    last: r.last,
                    start: tokens[k + 1].start,
                    end: tokens[r.last].end,
                    source: r.source,
                });
                r.last = k;
            }
        }
    }
    raws.extend(people);
    // "Work and Pensions Secretary Alan Johnson", "Culture Secretary": a one-word "person" that
    // opens a portfolio's title is the portfolio.
    let portfolio = |r: &Raw| {
        let mut k = r.last + 1;
        while k < words.len()
            && k <= r.last + 4
            && (matches!(words[k], "and" | "," | "&")
                || words[k].starts_with(char::is_uppercase)
                    && !PORTFOLIO_TITLES.contains(&words[k]))
        {
            k += 1;
        }
        r.kind == EntityType::Person
            && r.first == r.last
            && k < words.len()
            && PORTFOLIO_TITLES.contains(&words[k])
    };
    raws.retain(|r| !portfolio(r));
    raws.retain_mut(|r| {
        while r.first < r.last
            && not_name(words[r.first])
            && !words[r.first].eq_ignore_ascii_case("the")
        {
            r.first += 1;
        }
        if r.kind == EntityType::Org && r.first < r.last && ROLE_SUFFIXES.contains(&words[r.last]) {
            r.last -= 1;
        }
        r.start = tokens[r.first].start;
        r.end = tokens[r.last].end;
        if r.first == r.last && not_name(words[r.first]) {
            return false;
        }
        if r.kind != EntityType::Norp && r.first == r.last {
            let w = words[r.first].to_lowercase();
            let singular = w.strip_suffix('s').unwrap_or(&w);
            let raw = words[r.first];
            let demonym = gaz.demonym(raw).is_some()
                || gaz.demonym(raw.strip_suffix('s').unwrap_or(raw)).is_some();
            if GROUP_NAMES.contains(&singular)
                || PLURAL_GROUP_NAMES.contains(&w.as_str())
                || demonym && r.kind == EntityType::Person
            {
                r.kind = EntityType::Norp;
            }
        }
        true
    });
}

/// Title words a portfolio's name comes before ("Work and Pensions Secretary").
const PORTFOLIO_TITLES: &[&str] = &["Secretary", "Minister", "Spokesman", "Spokeswoman"];

/// Capitalised words that open sentences and are never part of a role ("But Labour spokesman
/// Fraser Kemp": the role is "Labour spokesman").
const SENTENCE_OPENERS: &[&str] = &[
    "But",
    "And",
    "Or",
    "So",
    "Yet",
    "However",
    "Meanwhile",
    "In",
    "On",
    "At",
    "As",
    "For",
    "With",
    "After",
    "Before",
    "When",
    "While",
    "If",
    "The",
    "A",
    "An",
    "Earlier",
    "Later",
    "Now",
    "Then",
    "Also",
    "Instead",
    "Speaking",
    "Responding",
    "Asked",
];

/// Honorifics are titles but not roles.
const HONORIFICS: &[&str] = &["Mr", "Mr.", "Mrs", "Mrs.", "Ms", "Ms.", "Sir", "Dame"];

impl Extractor {
    /// An extractor over `tagger`.
    pub fn new(tagger: Tagger) -> Self {
        Extractor {
            tagger,
            not_names: not_names().collect(),
        }
    }

    /// Entities of `body`, in order of first mention.
    pub fn extract(&self, body: &str) -> Vec<Entity> {
        let tokens = tokenize(body);
        let memo = &mut WordMemo::default();
        self.extract_from(body, &tokens, &sentences(body, &tokens), memo)
    }

    /// [`Extractor::extract`] of a body already split into `tokens` and `sents`, with a memo
    /// of words kept from earlier articles (see [`WordMemo`]).
    pub fn extract_from(
        &self,
        body: &str,
        tokens: &[Token<'_>],
        sents: &[Range<usize>],
        memo: &mut WordMemo,
    ) -> Vec<Entity> {
        let words: Vec<&str> = tokens.iter().map(|t| t.text).collect();
        let gaz = self.tagger.gazetteer();
        let tags = gaz.tag(&words);
        let mut spans: Vec<(usize, usize, EntityType, MentionSource)> = Vec::new();
        for range in sents {
            let base = range.start;
            let mut sent: Vec<(usize, usize, EntityType, MentionSource)> = Vec::new();
            for (s, e, t) in
                self.tagger
                    .tag_sentence(memo, &words[range.clone()], &tags[range.clone()])
            {
                let (first, last) = (base + s, base + e - 1);
                let kind = match t {
                    Type::Per => EntityType::Person,
                    Type::Org => EntityType::Org,
                    Type::Loc => EntityType::Loc,
                    Type::Misc
                        if gaz
                            .demonym(&body[tokens[first].start..tokens[last].end])
                            .is_some() =>
                    {
                        EntityType::Norp
                    }
                    Type::Misc => continue,
                };
                sent.push((first, last, kind, MentionSource::Tagger));
            }
            known_organisations(&tags, range.clone(), &mut sent);
            spans.extend(sent);
        }
        let sentence_start: Vec<bool> = {
            let mut v = vec![false; tokens.len()];
            for r in sents {
                // The first word after opening quotes starts the sentence.
                if let Some(i) =
                    (r.start..r.end).find(|&i| words[i].chars().any(char::is_alphanumeric))
                {
                    v[i] = true;
                }
            }
            v
        };
        let mut covered = vec![false; tokens.len()];
        for &(f, l, _, _) in &spans {
            covered[f..=l].iter_mut().for_each(|c| *c = true);
        }
        let ctx = Context {
            words: &words,
            tags: &tags,
            sentence_start: &sentence_start,
        };
        for (f, l, source) in ctx.people_by_cue(&covered) {
            covered[f..=l].iter_mut().for_each(|c| *c = true);
            spans.push((f, l, EntityType::Person, source));
        }
        ctx.institutions_by_head(&mut spans, &mut covered);
        ctx.people_by_document(&mut spans, &mut covered);
        ctx.capitals_as_governments(gaz, &mut spans);
        let mut raws: Vec<Raw> = spans
            .into_iter()
            .map(|(first, last, kind, source)| Raw {
                kind,
                first,
                last,
                start: tokens[first].start,
                end: tokens[last].end,
                source,
            })
            .collect();
        add_gazetteer_mentions(tokens, &words, &tags, &covered, &mut raws);
        clean_mentions(gaz, &self.not_names, tokens, &words, &mut raws);
        drop_capitalised_common_words(&words, &sentence_start, &mut raws);
        drop_works(body, &words, &mut raws);
        drop_documents(&words, &mut raws);
        raws.sort_by_key(|r| r.start);
        group(gaz, body, tokens, raws)
    }
}

/// Well-known organisations override the tagger inside their span: "Times of Israel" is one
/// ORG, not ORG + LOC. Single-word names ("Shell", "X") only retype a span the tagger found,
/// since the same word is often something else.
fn known_organisations(
    tags: &[Tags],
    range: std::ops::Range<usize>,
    sent: &mut Vec<(usize, usize, EntityType, MentionSource)>,
) {
    let mut i = range.start;
    while i < range.end {
        let (s, e) = match tags[i].position(kind::KNOWN_ORG) {
            Some(Pos::Unit) => (i, i),
            Some(Pos::Begin) => {
                let mut j = i + 1;
                while j < range.end && tags[j].position(kind::KNOWN_ORG) == Some(Pos::Inside) {
                    j += 1;
                }
                if j < range.end && tags[j].position(kind::KNOWN_ORG) == Some(Pos::Last) {
                    (i, j)
                } else {
                    i += 1;
                    continue;
                }
            }
            _ => {
                i += 1;
                continue;
            }
        };
        i = e + 1;
        let crosses = sent
            .iter()
            .any(|&(f, l, _, _)| f <= e && l >= s && (f < s || l > e));
        let exact = sent.iter().position(|&(f, l, _, _)| f == s && l == e);
        if crosses {
            continue;
        }
        match exact {
            Some(k) => sent[k].2 = EntityType::Org,
            None if e > s => {
                sent.retain(|&(f, l, _, _)| !(f >= s && l <= e));
                sent.push((s, e, EntityType::Org, MentionSource::Gazetteer));
            }
            None => {}
        }
    }
    sent.sort_by_key(|x| x.0);
}

/// Words are the article's tokens; rules read them with their gazetteer tags.
struct Context<'a> {
    words: &'a [&'a str],
    tags: &'a [Tags],
    sentence_start: &'a [bool],
}

/// Head words of institutions named with a capitalised modifier ("the High Court", "the
/// Scottish Executive").
const INSTITUTION_HEADS: &[&str] = &[
    "Court",
    "Executive",
    "Committee",
    "Commission",
    "Council",
    "Assembly",
    "Parliament",
    "Agency",
    "Authority",
    "Office",
    "Ministry",
    "Department",
    "Tribunal",
    "Inquiry",
    "Board",
    "Service",
    "Police",
    "Treasury",
];

/// Verbs of saying and posting: after a name they make it a speaker.
const SPEECH_VERBS: &[&str] = &[
    "said",
    "says",
    "told",
    "posted",
    "wrote",
    "tweeted",
    "stressed",
    "added",
    "warned",
    "stated",
    "noted",
    "insisted",
    "argued",
    "claimed",
    "announced",
    "emphasized",
    "emphasised",
    "vowed",
    "pledged",
    "urged",
    "asked",
    "replied",
    "responded",
    "explained",
    "declared",
    "reiterated",
    "conceded",
    "acknowledged",
    "say",
    "tells",
    "posts",
    "writes",
    "stresses",
    "warns",
    "states",
    "emphasizes",
    "vows",
    "affirmed",
    "reaffirmed",
    "promised",
    "demanded",
];

impl Context<'_> {
    fn capitalised(&self, i: usize) -> bool {
        let w = self.words[i];
        w.chars().next().is_some_and(char::is_uppercase) && w.chars().any(char::is_lowercase)
    }

    /// Names no gazetteer claims: not a country, demonym, place, title, organisation word.
    fn unclaimed(&self, i: usize) -> bool {
        [
            kind::COUNTRY,
            kind::DEMONYM,
            kind::CITY,
            kind::REGION,
            kind::TITLE,
            kind::ORG_WORD,
            kind::KNOWN_ORG,
        ]
        .iter()
        .all(|&k| self.tags[i].position(k).is_none())
    }

    /// Untagged names right after a title ("Foreign Minister Amir-Abdollahian",
    /// source `title`) or right before a verb of saying in mid-sentence ("Gallant posted",
    /// source `speaker`).
    fn people_by_cue(&self, covered: &[bool]) -> Vec<(usize, usize, MentionSource)> {
        let mut out = Vec::new();
        let n = self.words.len();
        let mut i = 0;
        while i < n {
            if covered[i] || !self.capitalised(i) || !self.unclaimed(i) {
                i += 1;
                continue;
            }
            let mut j = i;
            while j + 1 < n
                && j - i < 2
                && !covered[j + 1]
                && self.capitalised(j + 1)
                && self.unclaimed(j + 1)
            {
                j += 1;
            }
            let after_title = i > 0
                && matches!(
                    self.tags[i - 1].position(kind::TITLE),
                    Some(Pos::Last | Pos::Unit)
                );
            let before_speech = !self.sentence_start[i]
                && self
                    .words
                    .get(j + 1)
                    .is_some_and(|w| SPEECH_VERBS.contains(w));
            if after_title {
                out.push((i, j, MentionSource::Title));
            } else if before_speech {
                out.push((i, j, MentionSource::Speaker));
            }
            i = j + 1;
        }
        out
    }

    /// A capital followed by a possessive or a verb of saying acts for its government, so it
    /// is a mention of its country: "Washington’s apprehension" is the United States.
    fn capitals_as_governments(
        &self,
        gaz: &Gazetteer,
        spans: &mut [(usize, usize, EntityType, MentionSource)],
    ) {
        for s in spans.iter_mut() {
            if s.0 != s.1 || s.2 != EntityType::Loc || gaz.capital(self.words[s.0]).is_none() {
                continue;
            }
            let next = self.words.get(s.1 + 1).copied().unwrap_or("");
            if matches!(next, "’s" | "'s") || SPEECH_VERBS.contains(&next) {
                s.3 = MentionSource::Capital;
            }
        }
    }

    /// Institutions the tagger missed: after "the", capitalised words ending in an
    /// organisation word ("the High Court", "the Scottish Executive", "the Electoral
    /// Commission"). A nationality inside ("Scottish") is part of the name; a name the tagger
    /// found there otherwise stands.
    fn institutions_by_head(
        &self,
        spans: &mut Vec<(usize, usize, EntityType, MentionSource)>,
        covered: &mut [bool],
    ) {
        // One pass over the spans, so that a long text stays linear.
        let norp_at: std::collections::HashSet<usize> = spans
            .iter()
            .filter(|&&(f, l, k, _)| f == l && k == EntityType::Norp)
            .map(|&(f, _, _, _)| f)
            .collect();
        let mut found: Vec<(usize, usize)> = Vec::new();
        for head in 1..self.words.len() {
            let w = self.words[head];
            if covered[head]
                || !self.capitalised(head)
                || !INSTITUTION_HEADS.contains(&w)
                || head + 1 < self.words.len() && self.capitalised(head + 1)
            {
                continue;
            }
            let mut first = head;
            while first > 0
                && first + 4 > head
                && self.capitalised(first - 1)
                && !self.sentence_start[first - 1]
                && (!covered[first - 1] || norp_at.contains(&(first - 1)))
            {
                first -= 1;
            }
            if first == head || first == 0 || !matches!(self.words[first - 1], "the" | "The") {
                continue;
            }
            covered[first..=head].iter_mut().for_each(|c| *c = true);
            found.push((first, head));
        }
        if found.is_empty() {
            return;
        }
        // The nationalities inside a found name give way to it.
        let inside: std::collections::HashSet<usize> =
            found.iter().flat_map(|&(f, l)| f..=l).collect();
        spans.retain(|&(f, l, _, _)| !(inside.contains(&f) && inside.contains(&l)));
        spans.extend(
            found
                .into_iter()
                .map(|(f, l)| (f, l, EntityType::Org, MentionSource::Gazetteer)),
        );
    }

    /// Label consistency across the article: a word that is the surname of a person named in
    /// full elsewhere is that person, whether the tagger missed it ("Blinken emphasized" at a
    /// sentence start) or typed it otherwise.
    fn people_by_document(
        &self,
        spans: &mut Vec<(usize, usize, EntityType, MentionSource)>,
        covered: &mut [bool],
    ) {
        let surnames: std::collections::HashSet<&str> = spans
            .iter()
            .filter(|s| s.2 == EntityType::Person && s.1 > s.0)
            .map(|s| self.words[s.1])
            .collect();
        for s in spans.iter_mut() {
            if s.0 == s.1
                && s.2 != EntityType::Person
                && surnames.contains(self.words[s.0])
                && self.unclaimed(s.0)
            {
                s.2 = EntityType::Person;
                s.3 = MentionSource::Document;
            }
        }
        for (i, c) in covered.iter_mut().enumerate() {
            if !*c && self.capitalised(i) && surnames.contains(self.words[i]) {
                *c = true;
                spans.push((i, i, EntityType::Person, MentionSource::Document));
            }
        }
    }
}

/// Capitalised country names and demonyms the tagger left untagged.
fn add_gazetteer_mentions(
    tokens: &[Token<'_>],
    words: &[&str],
    tags: &[Tags],
    covered: &[bool],
    raws: &mut Vec<Raw>,
) {
    let mut i = 0;
    while i < tokens.len() {
        let mut next = i + 1;
        for (k, kind) in [
            (kind::COUNTRY, EntityType::Loc),
            (kind::DEMONYM, EntityType::Norp),
        ] {
            if !matches!(tags[i].position(k), Some(Pos::Begin | Pos::Unit)) {
                continue;
            }
            let mut j = i;
            while j + 1 < tokens.len()
                && matches!(tags[j + 1].position(k), Some(Pos::Inside | Pos::Last))
            {
                j += 1;
            }
            let capitalised = words[i].chars().next().is_some_and(char::is_uppercase);
            if capitalised && !covered[i..=j].iter().any(|&c| c) {
                raws.push(Raw {
                    kind,
                    first: i,
                    last: j,
                    start: tokens[i].start,
                    end: tokens[j].end,
                    source: MentionSource::Gazetteer,
                });
                next = j + 1;
                break;
            }
        }
        i = next;
    }
}

/// Working group of mentions.
struct Group {
    kind: EntityType,
    /// Token texts of the longest mention.
    words: Vec<String>,
    name: String,
    members: Vec<usize>,
    country: Option<(String, String)>,
    /// A well-known organisation's canonical name, which its aliases share.
    canon: Option<String>,
}

/// Mentions into entities, in four named steps: the longest mentions first, each mention's
/// identity (well-known organisation, country), the group it joins (the same name, or a
/// shorter form of one), and each group as an entity in order of first mention.
fn group(gaz: &Gazetteer, body: &str, tokens: &[Token<'_>], mut raws: Vec<Raw>) -> Vec<Entity> {
    short_organisation_names(gaz, tokens, &mut raws);
    let texts: Vec<&str> = raws.iter().map(|r| &body[r.start..r.end]).collect();
    let mut groups: Vec<Group> = Vec::new();
    for i in longest_first(tokens, &raws) {
        let r = &raws[i];
        let text = texts[i];
        let words = name_words(tokens, r);
        let (canon, country) = identity(gaz, r, text);
        let found = same_name(&groups, r, text, &words, &canon, &country)
            .or_else(|| shorter_form(gaz, &groups, r, &words, &country));
        let gi = match found {
            Some(g) => g,
            None => {
                let name = match (&country, r.kind) {
                    (Some((_, n)), EntityType::Loc) => n.clone(),
                    _ => text.to_owned(),
                };
                groups.push(Group {
                    kind: r.kind,
                    words,
                    name,
                    members: Vec::new(),
                    country,
                    canon,
                });
                groups.len() - 1
            }
        };
        groups[gi].members.push(i);
    }
    into_entities(gaz, body, tokens, &raws, &texts, groups)
}

/// Whether a person mention opens with an honorific that is not part of the name: "Mr Blair"
/// sorts and joins like "Blair".
fn has_honorific(tokens: &[Token<'_>], r: &Raw) -> bool {
    r.kind == EntityType::Person && HONORIFICS.contains(&tokens[r.first].text) && r.last > r.first
}

/// Mention indices, longest first (honorifics aside), so shorter mentions can join them.
fn longest_first(tokens: &[Token<'_>], raws: &[Raw]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..raws.len()).collect();
    order.sort_by_key(|&i| {
        let r = &raws[i];
        (
            std::cmp::Reverse(r.last - r.first - usize::from(has_honorific(tokens, r))),
            r.start,
        )
    });
    order
}

/// The words of a mention's name, without an honorific.
fn name_words(tokens: &[Token<'_>], r: &Raw) -> Vec<String> {
    let skip = usize::from(has_honorific(tokens, r));
    tokens[r.first + skip..=r.last]
        .iter()
        .map(|t| t.text.to_owned())
        .collect()
}

/// A country (code and name) a mention stands for.
type CountryRef = Option<(String, String)>;

/// What a mention is known to stand for: a well-known organisation's canonical name (its
/// aliases are one entity: "Tories", "Conservatives"), or a country (by name, capital or
/// demonym).
fn identity(gaz: &Gazetteer, r: &Raw, text: &str) -> (Option<String>, CountryRef) {
    let canon = (r.kind == EntityType::Org)
        .then(|| {
            gaz.organisation(text)
                .or_else(|| gaz.organisation(strip_the(text)))
        })
        .flatten()
        .map(str::to_owned);
    let country = match r.kind {
        EntityType::Loc if r.source == MentionSource::Capital => gaz.capital(text),
        EntityType::Loc => gaz.country(text).or_else(|| gaz.country(strip_the(text))),
        EntityType::Norp => gaz.demonym(text),
        _ => None,
    }
    .map(|c| (c.code.clone(), c.name.clone()));
    (canon, country)
}

/// The group a mention names outright: the same country, the same well-known organisation,
/// or the same name.
fn same_name(
    groups: &[Group],
    r: &Raw,
    text: &str,
    words: &[String],
    canon: &Option<String>,
    country: &CountryRef,
) -> Option<usize> {
    groups.iter().position(|g| {
        if g.kind != r.kind {
            return false;
        }
        match (&g.country, country) {
            (Some(a), Some(b)) => return a.0 == b.0,
            // A capital linked to its country is not the city of the same name.
            (Some(_), None) | (None, Some(_)) => return false,
            (None, None) => {}
        }
        if canon.is_some() && g.canon == *canon {
            return true;
        }
        g.name.eq_ignore_ascii_case(text)
            || g.words
                .iter()
                .map(String::as_str)
                .eq(words.iter().map(String::as_str))
    })
}

/// The one group a person or organisation mention is a shorter form of: a surname, a first
/// name, a single word of an organisation's name, an acronym. None when several fit.
fn shorter_form(
    gaz: &Gazetteer,
    groups: &[Group],
    r: &Raw,
    words: &[String],
    country: &CountryRef,
) -> Option<usize> {
    if !matches!(r.kind, EntityType::Person | EntityType::Org) || country.is_some() {
        return None;
    }
    let fits: Vec<usize> = groups
        .iter()
        .enumerate()
        .filter(|(_, g)| g.kind == r.kind && g.words.len() > words.len())
        .filter(|(_, g)| {
            let is_suffix = g.words.ends_with(words);
            let is_first_name = r.kind == EntityType::Person && g.words.starts_with(words);
            // "Merrill" for "Merrill Lynch", "Yili" for "Inner Mongolia Yili
            // Industrial".
            let is_short_name =
                r.kind == EntityType::Org && words.len() == 1 && g.words.contains(&words[0]);
            let generic = words.len() == 1 && gaz_is_org_word(gaz, &words[0]);
            (is_suffix || is_first_name || is_short_name || is_acronym(words, &g.words)) && !generic
        })
        .map(|(k, _)| k)
        .collect();
    let fits = if fits.is_empty() && r.kind == EntityType::Org && words.len() == 1 {
        groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.kind == EntityType::Org && is_acronym(words, &g.words))
            .map(|(k, _)| k)
            .collect()
    } else {
        fits
    };
    (fits.len() == 1).then(|| fits[0])
}

/// Each group as an entity — its mentions in text order, a person's role, a place's country —
/// in order of first mention.
fn into_entities(
    gaz: &Gazetteer,
    body: &str,
    tokens: &[Token<'_>],
    raws: &[Raw],
    texts: &[&str],
    groups: Vec<Group>,
) -> Vec<Entity> {
    let chars = char_offsets(body, raws);
    let mut out: Vec<(usize, Entity)> = groups
        .into_iter()
        .map(|mut g| {
            g.members.sort_unstable();
            let mentions: Vec<Mention> = g
                .members
                .iter()
                .map(|&m| Mention {
                    text: texts[m].to_owned(),
                    start: chars[m].0,
                    end: chars[m].1,
                    source: raws[m].source,
                })
                .collect();
            let role = if g.kind == EntityType::Person {
                g.members
                    .iter()
                    .find_map(|&m| role_of(gaz, body, tokens, &raws[m]))
            } else {
                None
            };
            let (country_code, country) = match (g.kind, g.country) {
                (EntityType::Norp, Some((c, n))) => (Some(c), Some(n)),
                (_, Some((c, _))) => (Some(c), None),
                (EntityType::Loc, None) => (
                    gaz.place(&g.name)
                        .filter(|c| !c.is_empty())
                        .map(str::to_owned),
                    None,
                ),
                _ => (None, None),
            };
            let first = raws[g.members[0]].start;
            (
                first,
                Entity {
                    name: g.name,
                    kind: g.kind,
                    count: mentions.len(),
                    mentions,
                    role,
                    country_code,
                    country,
                },
            )
        })
        .collect();
    out.sort_by_key(|(first, _)| *first);
    out.into_iter().map(|(_, e)| e).collect()
}

/// Label consistency for organisations: a single word of a longer organisation name found in
/// the same article is that organisation ("Merrill said" after "Merrill Lynch", whatever type
/// the tagger gave the short form).
fn short_organisation_names(gaz: &Gazetteer, tokens: &[Token<'_>], raws: &mut [Raw]) {
    // Words of longer organisation names: "Merrill" of "Merrill Lynch", "Yili" of "Inner
    // Mongolia Yili Industrial".
    // A surname of a person named in full stays that person's ("Trump" with "Donald Trump"
    // beside a mistagged "Melania Trump").
    let surnames: Vec<&str> = raws
        .iter()
        .filter(|r| r.kind == EntityType::Person && r.last > r.first)
        .map(|r| tokens[r.last].text)
        .collect();
    let firsts: Vec<&str> = raws
        .iter()
        .filter(|r| r.kind == EntityType::Org && r.last > r.first)
        .flat_map(|r| tokens[r.first..=r.last].iter().map(|t| t.text))
        .filter(|w| {
            w.chars().next().is_some_and(char::is_uppercase)
                && !gaz_is_org_word(gaz, w)
                && !surnames.contains(w)
        })
        .collect();
    for r in raws.iter_mut().filter(|_| !firsts.is_empty()) {
        if r.first == r.last
            && matches!(r.kind, EntityType::Person | EntityType::Loc)
            && firsts.contains(&tokens[r.first].text)
            && gaz.country(tokens[r.first].text).is_none()
        {
            r.kind = EntityType::Org;
        }
    }
    // The other way round: a longer name the tagger took for a person, starting with a word
    // the article uses as an organisation ("Hyundai said" … "Hyundai Motor").
    let short_orgs: Vec<&str> = raws
        .iter()
        .filter(|r| r.kind == EntityType::Org && r.first == r.last)
        .map(|r| tokens[r.first].text)
        .collect();
    for r in raws.iter_mut() {
        if r.last > r.first
            && r.kind == EntityType::Person
            && short_orgs.contains(&tokens[r.first].text)
        {
            r.kind = EntityType::Org;
        }
    }
}

fn strip_the(s: &str) -> &str {
    s.strip_prefix("the ").unwrap_or(s)
}

fn gaz_is_org_word(gaz: &Gazetteer, w: &str) -> bool {
    gaz.tag(&[w])[0].position(kind::ORG_WORD).is_some()
}

/// "IRGC" abbreviates "Islamic Revolutionary Guard Corps".
fn is_acronym(short: &[String], long: &[String]) -> bool {
    let [s] = short else { return false };
    if s.len() < 2 || !s.chars().all(|c| c.is_ascii_uppercase()) {
        return false;
    }
    let initials: String = long
        .iter()
        .filter_map(|w| w.chars().next())
        .filter(|c| c.is_uppercase())
        .collect();
    initials == *s
}

/// Title run before a person mention, or apposition after it.
fn role_of(gaz: &Gazetteer, body: &str, tokens: &[Token<'_>], r: &Raw) -> Option<String> {
    // "Portsmouth chairman Milan Mandaric", "HP chief executive Carly Fiorina": a lower-case
    // office after its organisation's name is a title too.
    let is_title = |i: usize| -> bool {
        let tags = gaz.tag(&[tokens[i].text]);
        tags[0].position(kind::TITLE).is_some() && !HONORIFICS.contains(&tokens[i].text)
            || LOWER_CASE_OFFICES.contains(&tokens[i].text)
    };
    let joins = |i: usize| -> bool {
        let w = tokens[i].text;
        w.chars().next().is_some_and(char::is_uppercase)
            && w.chars().any(char::is_alphabetic)
            && !HONORIFICS.contains(&w)
            && !SENTENCE_OPENERS.contains(&w)
            || matches!(w, "of" | "for" | "and")
            || is_title(i)
    };
    // Premodifier: the run of capitalised words, titles and "of" right before the mention.
    let mut s = r.first;
    while s > 0 && joins(s - 1) && body[tokens[s - 1].end..tokens[s].start].trim().is_empty() {
        s -= 1;
        if r.first - s > 8 {
            break;
        }
    }
    while s < r.first && matches!(tokens[s].text, "of" | "for" | "and") {
        s += 1;
    }
    if s < r.first && (s..r.first).any(is_title) {
        return Some(body[tokens[s].start..tokens[r.first - 1].end].to_owned());
    }
    // Apposition: ", (the|a|an)? ROLE ," right after the mention.
    let mut i = r.last + 1;
    if tokens.get(i).map(|t| t.text) != Some(",") {
        return None;
    }
    i += 1;
    if matches!(tokens.get(i).map(|t| t.text), Some("the" | "a" | "an")) {
        i += 1;
    }
    let begin = i;
    while i < tokens.len() && i - begin < 8 && joins(i) {
        i += 1;
    }
    let closes = tokens
        .get(i)
        .is_none_or(|t| matches!(t.text, "," | "." | ";"));
    (i > begin && closes && (begin..i).any(is_title))
        .then(|| body[tokens[begin].start..tokens[i - 1].end].to_owned())
}

/// Char offsets of each raw mention (byte ranges ascending by start).
fn char_offsets(body: &str, raws: &[Raw]) -> Vec<(usize, usize)> {
    let mut points: Vec<usize> = raws.iter().flat_map(|r| [r.start, r.end]).collect();
    points.sort_unstable();
    points.dedup();
    let mut map = std::collections::HashMap::with_capacity(points.len());
    let (mut byte, mut ch) = (0usize, 0usize);
    for p in points {
        ch += body[byte..p].chars().count();
        byte = p;
        map.insert(p, ch);
    }
    raws.iter().map(|r| (map[&r.start], map[&r.end])).collect()
}
