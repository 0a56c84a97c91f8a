//! The attribution cue lexicon: verbs (and two-word verbs) that attribute content to a source,
//! with what each may take as its content. Hand-written in `data/lexicons/attribution_cues.tsv`.

use std::collections::HashMap;

use crate::record::ClaimKind;

const BUNDLED_TSV: &str = include_str!("../../data/lexicons/attribution_cues.tsv");

/// What a cue verb does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CueClass {
    /// A speech act: say, warn, deny.
    Speech,
    /// A thought: believe, fear, expect.
    Thought,
    /// An attitude toward something: back, oppose, criticise.
    Position,
    /// An intention or wish: want, plan, refuse.
    Intent,
    /// Publishing on a platform: post, tweet.
    Post,
}

impl CueClass {
    /// The kind of claim a cue of this class makes when its content is not quoted.
    pub fn kind(self) -> ClaimKind {
        match self {
            CueClass::Speech | CueClass::Thought => ClaimKind::Indirect,
            CueClass::Position | CueClass::Intent => ClaimKind::Reported,
            CueClass::Post => ClaimKind::Post,
        }
    }
}

/// What may follow a cue as its content (the `frames` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Frames {
    /// A clause after "that", or after whether/if/how.
    pub clause: bool,
    /// A clause without "that" as well ("said the plan failed").
    pub bare_clause: bool,
    /// An addressee before the content ("told reporters …").
    pub addressee: bool,
    /// An infinitive ("vowed to …").
    pub infinitive: bool,
    /// A noun phrase object ("backed the plan").
    pub object: bool,
    /// A prepositional object ("warned of …", "called for …").
    pub prepositional: bool,
}

/// One inflected form of a cue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cue {
    /// Index of its lemma (see [`CueLexicon::lemma`]).
    pub lemma: u16,
    /// What it does.
    pub class: CueClass,
    /// What it takes.
    pub frames: Frames,
    /// Tokens in the form (1, or 2 for "pointed out", "called for").
    pub len: u8,
    /// An -ing form ("saying", "adding"): a participle clause whose subject is the sentence's.
    pub participle: bool,
}

/// Why the lexicon could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("attribution cue lexicon line {line}: {reason}")]
pub struct LexiconError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

/// Cue forms by lower-case first word.
#[derive(Debug, Clone)]
pub struct CueLexicon {
    lemmas: Vec<String>,
    /// First word → (second word or "", cue). Two-word forms are tried first.
    forms: HashMap<String, Vec<(String, Cue)>, foldhash::fast::FixedState>,
}

impl CueLexicon {
    /// The bundled lexicon.
    pub fn bundled() -> Self {
        // Compiled in and checked by the unit tests: a parse failure is a build defect.
        Self::parse(BUNDLED_TSV).expect("the bundled attribution cue lexicon parses")
    }

    /// Parses the TSV format described at the top of the bundled file.
    pub fn parse(tsv: &str) -> Result<Self, LexiconError> {
        let mut lex = CueLexicon {
            lemmas: Vec::new(),
            forms: HashMap::default(),
        };
        for (n, line) in tsv.lines().enumerate() {
            let line_no = n + 1;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |reason: &str| LexiconError {
                line: line_no,
                reason: reason.to_owned(),
            };
            let cols: Vec<&str> = line.split('\t').collect();
            let [lemma, class, frames, forms] = cols[..] else {
                return Err(err("expected 4 tab-separated columns"));
            };
            let class = match class {
                "speech" => CueClass::Speech,
                "thought" => CueClass::Thought,
                "position" => CueClass::Position,
                "intent" => CueClass::Intent,
                "post" => CueClass::Post,
                _ => return Err(err("unknown class")),
            };
            let mut f = Frames::default();
            for c in frames.chars() {
                match c {
                    'c' => f.clause = true,
                    'z' => f.bare_clause = true,
                    'a' => f.addressee = true,
                    'i' => f.infinitive = true,
                    'o' => f.object = true,
                    'p' => f.prepositional = true,
                    _ => return Err(err("unknown frame letter")),
                }
            }
            let words_per_form = lemma.split(' ').count();
            let id = u16::try_from(lex.lemmas.len()).map_err(|_| err("too many lemmas"))?;
            lex.lemmas.push(lemma.to_owned());
            let words: Vec<&str> = forms.split(' ').filter(|w| !w.is_empty()).collect();
            if words.is_empty() || !words.len().is_multiple_of(words_per_form) {
                return Err(err("forms do not match the lemma's word count"));
            }
            for form in words.chunks(words_per_form) {
                let cue = Cue {
                    lemma: id,
                    class,
                    frames: f,
                    len: words_per_form as u8,
                    participle: form[0].ends_with("ing"),
                };
                let second = form.get(1).copied().unwrap_or("").to_owned();
                let entry = lex.forms.entry(form[0].to_owned()).or_default();
                // Two-word forms first, so "called for" wins over "called".
                if second.is_empty() {
                    entry.push((second, cue));
                } else {
                    entry.insert(0, (second, cue));
                }
            }
        }
        Ok(lex)
    }

    /// The cue starting at `words[0]` (lower-case), if any.
    pub fn at(&self, first: &str, next: Option<&str>) -> Option<Cue> {
        let forms = self.forms.get(first)?;
        forms.iter().find_map(|(second, cue)| {
            (second.is_empty() || next == Some(second.as_str())).then_some(*cue)
        })
    }

    /// The lemma of a cue ("say" for "said").
    pub fn lemma(&self, cue: &Cue) -> &str {
        &self.lemmas[usize::from(cue.lemma)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_lexicon_parses_and_finds_forms() {
        let lex = CueLexicon::bundled();
        let said = lex.at("said", None).unwrap();
        assert_eq!(lex.lemma(&said), "say");
        assert_eq!(said.class, CueClass::Speech);
        assert!(said.frames.clause && said.frames.bare_clause && !said.participle);
        assert!(!lex.at("reported", None).unwrap().frames.bare_clause);
        let called_for = lex.at("called", Some("for")).unwrap();
        assert_eq!(lex.lemma(&called_for), "call for");
        assert_eq!(called_for.len, 2);
        assert!(
            lex.at("called", Some("it")).is_none(),
            "plain \"call\" is not a cue"
        );
        assert!(lex.at("adding", None).unwrap().participle);
        assert_eq!(
            lex.at("plans", None).unwrap().class.kind(),
            ClaimKind::Reported
        );
        assert!(lex.at("table", None).is_none());
    }

    #[test]
    fn malformed_lines_are_refused_with_their_number() {
        let e = CueLexicon::parse("# c\nsay\tspeech\tc\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(CueLexicon::parse("say\tshout\tc\tsay\n").is_err());
        assert!(CueLexicon::parse("point out\tspeech\tc\tpoint\n").is_err());
    }
}
