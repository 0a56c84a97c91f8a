//! Repeats: a statement printed twice word for word (an embedded post the article also quotes)
//! is one claim, with the other places listed in `repeats`.

use crate::record::Claim;

/// Content text as compared for repeats: without quotation marks, spaces collapsed, trailing
/// punctuation dropped, case kept (a repeat is word for word).
fn comparable(text: &str) -> String {
    let no_marks: String = text
        .chars()
        .filter(|c| !matches!(c, '"' | '“' | '”' | '„' | '«' | '»'))
        .collect();
    let words: Vec<&str> = no_marks.split_whitespace().collect();
    words
        .join(" ")
        .trim_end_matches(['.', ',', ';', ':', '!', '?', '…'])
        .to_owned()
}

/// Shorter contents than this are not treated as repeats: two speakers may both say "No".
const MIN_REPEAT_CHARS: usize = 20;

/// Merges claims whose content repeats an earlier claim's word for word; `claims` are in text
/// order and stay so.
pub fn merge(claims: Vec<Claim>) -> Vec<Claim> {
    let mut out: Vec<Claim> = Vec::with_capacity(claims.len());
    let mut keys: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for c in claims {
        let key = comparable(&c.content.text);
        if key.chars().count() >= MIN_REPEAT_CHARS {
            if let Some(&first) = keys.get(&key) {
                let kept = &mut out[first];
                kept.repeats.push(c.content);
                if kept.speaker.is_none() && c.speaker.is_some() {
                    kept.speaker = c.speaker;
                    kept.speaker_type = c.speaker_type;
                    kept.speaker_rule = c.speaker_rule;
                }
                continue;
            }
            keys.insert(key, out.len());
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{ClaimKind, ClaimRule, Span, SpeakerRule};

    fn claim(text: &str, start: usize) -> Claim {
        Claim {
            kind: ClaimKind::DirectQuote,
            speaker: None,
            speaker_type: None,
            speaker_rule: SpeakerRule::Unresolved,
            source: None,
            cue: None,
            content: Span {
                text: text.to_owned(),
                start,
                end: start + text.chars().count(),
            },
            content_parts: Vec::new(),
            repeats: Vec::new(),
            rule: ClaimRule::QuoteContinues,
        }
    }

    #[test]
    fn a_verbatim_repeat_joins_the_first_claim() {
        let merged = merge(vec![
            claim("Iran must not draw the region into a war,", 0),
            claim("Something else entirely was said here.", 50),
            claim("Iran must not draw the region into a war.", 100),
            claim("No.", 150),
            claim("No.", 160),
        ]);
        assert_eq!(merged.len(), 4);
        assert_eq!(merged[0].repeats.len(), 1);
        assert_eq!(merged[0].repeats[0].start, 100);
    }
}
