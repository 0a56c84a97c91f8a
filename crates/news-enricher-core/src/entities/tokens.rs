//! Tokens and sentences of a body, in the conventions the tagger was trained on.
//!
//! CoNLL-2003 is tokenised Penn-Treebank style: punctuation and quotes are tokens of their own,
//! the possessive `'s` and `n't` are split off, hyphenated words and abbreviations such as
//! `U.S.` stay whole. Tagging raw news in the same conventions is what lets a model trained on
//! CoNLL work on it, so the tokenizer follows them rather than UAX #29 word boundaries (which
//! split `U.S.` and keep `Iran's` whole).
//!
//! Offsets are byte offsets into the body; [`super`] converts them to the `char` offsets the
//! record publishes.

/// One token: a slice of the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    /// The token as written.
    pub text: &'a str,
    /// Byte offset of its first byte.
    pub start: usize,
    /// Byte offset one past its last byte.
    pub end: usize,
}

/// Abbreviations whose final period belongs to the word (and so does not end a sentence).
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "inc", "ltd", "co", "corp", "gen", "lt", "col",
    "sen", "rep", "gov", "prof", "vs", "etc", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", "mt", "ft", "capt", "sgt", "adm", "maj", "rev", "hon",
    "pres", "dept", "univ", "assn", "bros", "messrs", "approx", "est", "fig",
];

/// Characters split off the front of a word as tokens of their own.
fn is_opening(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '“' | '‘' | '(' | '[' | '{' | '«' | '„' | '`'
    )
}

/// Characters split off the end of a word as tokens of their own.
fn is_closing(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '”' | '’' | ')' | ']' | '}' | '»' | ',' | ';' | ':' | '!' | '?' | '…'
    )
}

/// Dashes that separate words even without spaces ("conflict—and").
fn is_dash(c: char) -> bool {
    matches!(c, '—' | '–')
}

/// Whether a word's final period is part of it.
fn keeps_period(word: &str) -> bool {
    let stem = &word[..word.len() - 1];
    if stem.is_empty() {
        return false;
    }
    // Initials and dotted acronyms: "J.", "U.S.", "a.m."
    let dotted = stem
        .split('.')
        .all(|part| part.chars().count() == 1 && part.chars().all(char::is_alphabetic));
    if dotted {
        return true;
    }
    let lower = stem.to_ascii_lowercase();
    ABBREVIATIONS.contains(&lower.as_str())
}

/// Clitics split off the end of a word, longest first ("n't" before "t").
const CLITICS: &[&str] = &[
    "n't", "n’t", "'s", "’s", "'S", "’S", "'re", "’re", "'ve", "’ve", "'ll", "’ll", "'m", "’m",
    "'d", "’d",
];

/// Splits the body into tokens.
pub fn tokenize(body: &str) -> Vec<Token<'_>> {
    let mut out = Vec::with_capacity(body.len() / 5);
    let mut pos = 0;
    for chunk in body.split_inclusive(|c: char| c.is_whitespace()) {
        let start = pos;
        pos += chunk.len();
        let word = chunk.trim_end_matches(|c: char| c.is_whitespace());
        if !word.is_empty() {
            split_word(word, start, &mut out);
        }
    }
    out
}

fn push<'a>(out: &mut Vec<Token<'a>>, text: &'a str, start: usize) {
    if !text.is_empty() {
        out.push(Token {
            text,
            start,
            end: start + text.len(),
        });
    }
}

/// Splits one whitespace-delimited word: dashes first, then leading punctuation, then trailing
/// punctuation, clitics and the final period.
fn split_word<'a>(word: &'a str, start: usize, out: &mut Vec<Token<'a>>) {
    if let Some((i, c)) = word.char_indices().find(|&(_, c)| is_dash(c)) {
        split_word(&word[..i], start, out);
        push(out, &word[i..i + c.len_utf8()], start + i);
        split_word(&word[i + c.len_utf8()..], start + i + c.len_utf8(), out);
        return;
    }
    let mut s = 0;
    let mut e = word.len();
    // Leading punctuation, each its own token.
    while let Some(c) = word[s..e].chars().next() {
        if !is_opening(c) || s + c.len_utf8() >= e && !is_closing(c) {
            break;
        }
        // A leading apostrophe that starts a clitic-like word ("'90s") stays.
        if (c == '\'' || c == '’')
            && word[s + c.len_utf8()..e].starts_with(|d: char| d.is_ascii_digit())
        {
            break;
        }
        push(out, &word[s..s + c.len_utf8()], start + s);
        s += c.len_utf8();
    }
    // Trailing punctuation, collected in reverse.
    let mut tail: Vec<(usize, usize)> = Vec::new();
    while let Some(c) = word[s..e].chars().next_back() {
        let cs = e - c.len_utf8();
        if is_closing(c) && cs > s || (is_closing(c) && cs == s && !tail.is_empty()) {
            tail.push((cs, e));
            e = cs;
            continue;
        }
        if c == '.' && cs > s {
            let w = &word[s..e];
            if !keeps_period(w) {
                // "..." stays one token.
                let dots = w.len() - w.trim_end_matches('.').len();
                let ds = e - dots;
                if ds > s {
                    tail.push((ds, e));
                    e = ds;
                    continue;
                }
            }
        }
        let has_apostrophe = word[s..e].contains(['\'', '’']);
        if let Some(cl) = CLITICS.iter().filter(|_| has_apostrophe).find(|cl| {
            word[s..e].ends_with(**cl)
                && e - cl.len() > s
                && word[s..e - cl.len()]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric)
        }) {
            let cs = e - cl.len();
            tail.push((cs, e));
            e = cs;
            continue;
        }
        break;
    }
    push(out, &word[s..e], start + s);
    for &(ts, te) in tail.iter().rev() {
        push(out, &word[ts..te], start + ts);
    }
}

/// Whether a token ends a sentence.
fn ends_sentence(t: &str) -> bool {
    matches!(t, "." | "!" | "?" | "..." | "…") || t.chars().all(|c| c == '.') && !t.is_empty()
}

/// Groups tokens into sentences: after `.`, `!` or `?` (and any closing quotes that follow it),
/// and at paragraph breaks. Returns index ranges into `tokens`.
pub fn sentences(body: &str, tokens: &[Token<'_>]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut begin = 0;
    let mut i = 0;
    while i < tokens.len() {
        let mut end_here = false;
        if ends_sentence(tokens[i].text) {
            // Closing quotes and brackets stay with the sentence they close. A straight quote
            // after a space opens the next sentence's quote instead ("said. \"Next").
            while i + 1 < tokens.len()
                && matches!(tokens[i + 1].text, "\"" | "”" | "’" | "'" | ")")
                && !(matches!(tokens[i + 1].text, "\"" | "'")
                    && tokens[i + 1].start > tokens[i].end)
            {
                i += 1;
            }
            // A stop before a lower-case word ("approx. five") does not end the sentence.
            end_here = tokens
                .get(i + 1)
                .is_none_or(|t| !t.text.starts_with(char::is_lowercase));
        } else if i + 1 < tokens.len() {
            let gap = &body[tokens[i].end..tokens[i + 1].start];
            end_here = gap.matches('\n').count() >= 1;
        }
        if end_here || i + 1 == tokens.len() {
            out.push(begin..i + 1);
            begin = i + 1;
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<&str> {
        tokenize(s).iter().map(|t| t.text).collect()
    }

    #[test]
    fn splits_punctuation_and_clitics_like_conll() {
        assert_eq!(
            texts("Iran’s threats against Israel, the U.S. said."),
            ["Iran", "’s", "threats", "against", "Israel", ",", "the", "U.S.", "said", "."]
        );
        assert_eq!(
            texts("“Iran must not draw the Middle East into a wider conflict.”"),
            [
                "“", "Iran", "must", "not", "draw", "the", "Middle", "East", "into", "a", "wider",
                "conflict", ".", "”"
            ]
        );
        assert_eq!(texts("don't (Reuters)"), ["do", "n't", "(", "Reuters", ")"]);
        assert_eq!(
            texts("Amir-Abdollahian Mr. Smith"),
            ["Amir-Abdollahian", "Mr.", "Smith"]
        );
        assert_eq!(texts("attacks. — David"), ["attacks", ".", "—", "David"]);
        assert_eq!(
            texts("the US’ “commitment"),
            ["the", "US", "’", "“", "commitment"]
        );
        assert_eq!(texts("1,000.5 ..."), ["1,000.5", "..."]);
    }

    #[test]
    fn offsets_point_into_the_body() {
        let body = "  “Today,” he said.\nNext";
        for t in tokenize(body) {
            assert_eq!(&body[t.start..t.end], t.text);
        }
    }

    #[test]
    fn sentences_end_at_stops_and_paragraphs() {
        let body = "He said “no.” Then left\nNew paragraph here. Mr. Smith came";
        let toks = tokenize(body);
        let sents: Vec<Vec<&str>> = sentences(body, &toks)
            .into_iter()
            .map(|r| toks[r].iter().map(|t| t.text).collect())
            .collect();
        assert_eq!(sents.len(), 4);
        assert_eq!(sents[0], ["He", "said", "“", "no", ".", "”"]);
        assert_eq!(sents[1], ["Then", "left"]);
        assert_eq!(sents[3], ["Mr.", "Smith", "came"]);
    }
}
