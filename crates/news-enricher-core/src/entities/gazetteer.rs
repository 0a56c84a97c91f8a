//! Name lists the tagger and the resolver consult: countries with their aliases and demonyms,
//! places, organisation suffixes, person titles and organisation head words.
//!
//! The country, place and suffix tables are generated from packaged open data by
//! `scripts/build-gazetteers` (sources, versions, checksums and licences in
//! `data/gazetteers/PROVENANCE.md`) and compiled into the binary, so the worker needs no download
//! at run time. The two short word lists below are hand-written: they are cue words, not names.
//!
//! For the tagger a gazetteer hit is only a feature, weighed against context by training: "Bath"
//! is a city but "Mr Bath" is a person. The resolver uses the country tables as facts: "Turkish"
//! links to Turkey (`TR`), "the US" and "the United States" are one entity.

use crate::prehashed::PrehashedMap;
use std::collections::HashMap;

use xxhash_rust::xxh3::xxh3_64;

/// Kinds of gazetteer membership the tagger sees.
pub mod kind {
    /// A country name or alias ("Iran", "the US").
    pub const COUNTRY: usize = 0;
    /// A nationality or demonym ("Turkish").
    pub const DEMONYM: usize = 1;
    /// A city.
    pub const CITY: usize = 2;
    /// A region, continent or US state ("Middle East").
    pub const REGION: usize = 3;
    /// A company legal-form suffix ("Inc", "plc").
    pub const ORG_SUFFIX: usize = 4;
    /// A title or role word that precedes names ("President", "Foreign Minister").
    pub const TITLE: usize = 5;
    /// A head word of organisation names ("Ministry", "Corps", "Party").
    pub const ORG_WORD: usize = 6;
    /// A well-known organisation or one of its aliases ("White House", "IRGC").
    pub const KNOWN_ORG: usize = 7;
}

/// Number of kinds.
pub const TAG_KINDS: usize = 8;

/// Position of a token inside a gazetteer match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Pos {
    /// First of several.
    Begin = 1,
    /// Inside.
    Inside = 2,
    /// Last of several.
    Last = 3,
    /// The whole match.
    Unit = 4,
}

/// Gazetteer memberships of one token: three bits per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tags(u32);

impl Tags {
    /// Where the token sits in a match of `kind`, if it is in one.
    pub fn position(self, kind: usize) -> Option<Pos> {
        match (self.0 >> (kind * 3)) & 7 {
            1 => Some(Pos::Begin),
            2 => Some(Pos::Inside),
            3 => Some(Pos::Last),
            4 => Some(Pos::Unit),
            _ => None,
        }
    }

    fn set(&mut self, kind: usize, pos: Pos) {
        self.0 = (self.0 & !(7 << (kind * 3))) | ((pos as u32) << (kind * 3));
    }
}

/// What a country name, alias or demonym stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Country {
    /// ISO 3166-1 alpha-2 code.
    pub code: String,
    /// Short English name ("Turkey").
    pub name: String,
}

/// The compiled gazetteer.
#[derive(Debug)]
pub struct Gazetteer {
    /// Phrase hash → bitmask of kinds. Keyed by the hashes themselves: the tables are fixed
    /// once built, so chosen input can only probe them, never grow a collision chain.
    phrases: PrehashedMap<u8>,
    /// Hash of a phrase's first token → longest phrase starting with it, in tokens.
    starts: PrehashedMap<u8>,
    /// Country names and aliases → index into `countries`.
    country_names: HashMap<String, usize>,
    /// Demonyms → index into `countries`.
    demonyms: HashMap<String, usize>,
    /// Capital cities → index into `countries`.
    capitals: HashMap<String, usize>,
    /// Cities, regions, states → country code (may be empty).
    places: HashMap<String, String>,
    countries: Vec<Country>,
    /// Known organisation names and aliases → canonical name.
    orgs: HashMap<String, String>,
    titles: Vec<&'static str>,
}

const COUNTRIES_TSV: &str = include_str!("../../data/gazetteers/countries.tsv");
const PLACES_TSV: &str = include_str!("../../data/gazetteers/places.tsv");
const ORG_SUFFIXES_TSV: &str = include_str!("../../data/gazetteers/org_suffixes.tsv");
/// Title and role words that precede or follow person names.
const TITLES_TSV: &str = include_str!("../../data/gazetteers/titles.tsv");
/// Head words of organisation names.
const ORG_WORDS_TSV: &str = include_str!("../../data/gazetteers/org_words.tsv");
/// Hand-written: major media, government bodies, international organisations, armed groups,
/// parties and companies that news names daily (see `data/gazetteers/PROVENANCE.md`).
const ORGANISATIONS_TSV: &str = include_str!("../../data/gazetteers/organisations.tsv");

fn rows(tsv: &str) -> impl Iterator<Item = Vec<&str>> {
    tsv.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
}

fn phrase_hash<'a>(words: impl Iterator<Item = &'a str>) -> u64 {
    let mut buf = Vec::new();
    phrase_hash_with(words, &mut buf)
}

fn phrase_hash_with<'a>(words: impl Iterator<Item = &'a str>, buf: &mut Vec<u8>) -> u64 {
    buf.clear();
    for (i, w) in words.enumerate() {
        if i > 0 {
            buf.push(b' ');
        }
        buf.extend_from_slice(w.as_bytes());
    }
    xxh3_64(buf)
}

impl Gazetteer {
    /// The gazetteer compiled into the binary.
    pub fn bundled() -> Self {
        let mut g = Gazetteer {
            phrases: PrehashedMap::default(),
            starts: PrehashedMap::default(),
            country_names: HashMap::new(),
            demonyms: HashMap::new(),
            capitals: HashMap::new(),
            places: HashMap::new(),
            countries: Vec::new(),
            orgs: HashMap::new(),
            titles: rows(TITLES_TSV).map(|r| r[0]).collect(),
        };
        let mut code_index: HashMap<String, usize> = HashMap::new();
        let mut country_rows: Vec<Vec<&str>> =
            rows(COUNTRIES_TSV).filter(|r| r.len() >= 3).collect();
        // Primary names first, so aliases and demonyms find their country.
        country_rows.sort_by_key(|r| r[2] != "name");
        for r in country_rows {
            let (code, name, k) = (r[0], r[1], r[2]);
            let idx = *code_index.entry(code.to_owned()).or_insert_with(|| {
                g.countries.push(Country {
                    code: code.to_owned(),
                    name: name.to_owned(),
                });
                g.countries.len() - 1
            });
            match k {
                "demonym" => {
                    g.demonyms.entry(name.to_owned()).or_insert(idx);
                    g.add_phrase(name, kind::DEMONYM);
                }
                // Capitals are cities to the tagger (places.tsv); only the resolver links them.
                "capital" => {
                    g.capitals.entry(name.to_owned()).or_insert(idx);
                }
                _ => {
                    g.country_names.entry(name.to_owned()).or_insert(idx);
                    g.add_phrase(name, kind::COUNTRY);
                }
            }
        }
        for r in rows(PLACES_TSV).filter(|r| r.len() >= 3) {
            let (name, code, k) = (r[0], r[1], r[2]);
            let kind = if k == "city" {
                kind::CITY
            } else {
                kind::REGION
            };
            g.places
                .entry(name.to_owned())
                .or_insert_with(|| code.to_owned());
            g.add_phrase(name, kind);
        }
        // Lower-case suffix forms ("as", "co") are ordinary words in English text.
        for r in rows(ORG_SUFFIXES_TSV).filter(|r| r[0].starts_with(char::is_uppercase)) {
            g.add_phrase(r[0], kind::ORG_SUFFIX);
        }
        for r in rows(ORGANISATIONS_TSV).filter(|r| r.len() >= 2) {
            let name = r[0];
            let aliases = r[1].split(';').filter(|a| !a.is_empty());
            for alias in std::iter::once(name).chain(aliases) {
                g.orgs
                    .entry(alias.to_owned())
                    .or_insert_with(|| name.to_owned());
                g.add_phrase(alias, kind::KNOWN_ORG);
            }
        }
        for t in rows(TITLES_TSV) {
            g.add_phrase(t[0], kind::TITLE);
        }
        for w in rows(ORG_WORDS_TSV) {
            g.add_phrase(w[0], kind::ORG_WORD);
        }
        g
    }

    fn add_phrase(&mut self, phrase: &str, kind: usize) {
        let words: Vec<&str> = phrase.split_whitespace().collect();
        if words.is_empty() || words.len() > 6 {
            return;
        }
        *self
            .phrases
            .entry(phrase_hash(words.iter().copied()))
            .or_default() |= 1 << kind;
        let longest = self.starts.entry(xxh3_64(words[0].as_bytes())).or_default();
        *longest = (*longest).max(words.len() as u8);
    }

    /// Gazetteer memberships of each token: for every kind, the longest match starting at each
    /// token that does not overlap an earlier match of that kind.
    pub fn tag(&self, words: &[&str]) -> Vec<Tags> {
        let mut tags = vec![Tags::default(); words.len()];
        let mut covered_until = [0usize; TAG_KINDS];
        let mut buf = Vec::with_capacity(64);
        for i in 0..words.len() {
            let Some(&longest) = self.starts.get(&xxh3_64(words[i].as_bytes())) else {
                continue;
            };
            let max = (longest as usize).min(words.len() - i);
            let mut found = 0u8;
            for len in (1..=max).rev() {
                let key = phrase_hash_with(words[i..i + len].iter().copied(), &mut buf);
                let Some(&mask) = self.phrases.get(&key) else {
                    continue;
                };
                for (k, until) in covered_until.iter_mut().enumerate() {
                    if mask & (1 << k) == 0 || found & (1 << k) != 0 || *until > i {
                        continue;
                    }
                    found |= 1 << k;
                    *until = i + len;
                    for (j, t) in tags[i..i + len].iter_mut().enumerate() {
                        let pos = match (j, len) {
                            (_, 1) => Pos::Unit,
                            (0, _) => Pos::Begin,
                            (j, l) if j + 1 == l => Pos::Last,
                            _ => Pos::Inside,
                        };
                        t.set(k, pos);
                    }
                }
            }
        }
        tags
    }

    /// The country a name or alias stands for ("Britain" → United Kingdom).
    pub fn country(&self, name: &str) -> Option<&Country> {
        self.country_names.get(name).map(|&i| &self.countries[i])
    }

    /// The country a demonym belongs to ("Turkish" → Turkey).
    pub fn demonym(&self, word: &str) -> Option<&Country> {
        self.demonyms.get(word).map(|&i| &self.countries[i])
    }

    /// The country whose capital `name` is ("Washington" → United States).
    pub fn capital(&self, name: &str) -> Option<&Country> {
        self.capitals.get(name).map(|&i| &self.countries[i])
    }

    /// The country code of a known city, state or region (empty for regions without one).
    pub fn place(&self, name: &str) -> Option<&str> {
        self.places.get(name).map(String::as_str)
    }

    /// The canonical name of a well-known organisation, by name or alias ("IRGC" → "Islamic
    /// Revolutionary Guard Corps").
    pub fn organisation(&self, name: &str) -> Option<&str> {
        self.orgs.get(name).map(String::as_str)
    }

    /// Whether `phrase` is a title or role word.
    pub fn is_title(&self, phrase: &str) -> bool {
        self.titles.contains(&phrase)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_word_matches_are_tagged_by_position() {
        let g = Gazetteer::bundled();
        let words = ["the", "Middle", "East", "and", "Saudi", "Arabia", "said"];
        let tags = g.tag(&words);
        assert_eq!(tags[1].position(kind::REGION), Some(Pos::Begin));
        assert_eq!(tags[2].position(kind::REGION), Some(Pos::Last));
        assert_eq!(tags[4].position(kind::COUNTRY), Some(Pos::Begin));
        assert_eq!(tags[0].position(kind::COUNTRY), None);
    }

    #[test]
    fn demonyms_and_aliases_link_to_countries() {
        let g = Gazetteer::bundled();
        assert_eq!(g.demonym("Turkish").unwrap().code, "TR");
        assert_eq!(g.country("US").unwrap().code, "US");
        assert_eq!(g.country("Britain").unwrap().code, "GB");
        assert!(g.place("Damascus").is_some());
    }
}
