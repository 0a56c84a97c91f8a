//! Quoted spans: where quotation marks open and close, robust to what real text does with them.
//!
//! * Curly marks say which way they face; a straight `"` is read from its neighbours (space
//!   before and a letter after opens, a letter before and space or punctuation after closes), and
//!   toggles only when both sides are the same.
//! * News style runs a quote over several paragraphs by opening each with a mark and closing only
//!   the last. A quote still open when the next one opens after a sentence end (or when a
//!   paragraph ends) ends there, and the next quote is marked as continuing it.
//! * A mark that opens mid-sentence and never closes is stray: it ends at its sentence's end at
//!   the latest, so one bad mark cannot turn the rest of an article into a quote.
//! * Single quotes (‘…’) count only outside double quotes and when they hold at least
//!   [`MIN_SINGLE_QUOTE_TOKENS`] tokens: short ones are scare quotes (‘ironclad’), long ones are
//!   British-style quotations.
//!
//! One pass over the tokens; every decision looks at a fixed number of neighbours.

use super::doc::Doc;

/// Single-quoted spans shorter than this are scare quotes, not quotations.
pub const MIN_SINGLE_QUOTE_TOKENS: usize = 6;

/// One quoted span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    /// Token index of the opening mark.
    pub open: usize,
    /// Token index one past the content: the closing mark when `closed`.
    pub end: usize,
    /// Whether a closing mark ends it.
    pub closed: bool,
    /// Whether it continues the previous quote (the next paragraph of the same quotation).
    pub continues: bool,
}

impl Quote {
    /// The quoted tokens, marks excluded.
    pub fn content(&self) -> std::ops::Range<usize> {
        self.open + 1..self.end
    }

    /// Token index just past the quote, closing mark included.
    pub fn after(&self) -> usize {
        if self.closed {
            self.end + 1
        } else {
            self.end
        }
    }

    /// Word tokens inside (punctuation not counted).
    pub fn words(&self, doc: &Doc<'_>) -> usize {
        self.content()
            .filter(|&i| doc.raw(i).chars().any(char::is_alphanumeric))
            .count()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Facing {
    Open,
    Close,
    Either,
}

fn double_mark(t: &str) -> bool {
    matches!(t, "\"" | "“" | "”" | "„" | "«" | "»" | "''" | "``")
}

fn single_mark(t: &str) -> bool {
    matches!(t, "‘" | "’" | "'")
}

/// Which way the mark at token `i` faces.
fn facing(doc: &Doc<'_>, i: usize) -> Facing {
    match doc.raw(i) {
        "“" | "„" | "«" | "‘" | "``" => return Facing::Open,
        "”" | "»" | "’" | "''" => return Facing::Close,
        _ => {}
    }
    let t = doc.tokens[i];
    let before = doc.body[..t.start].chars().next_back();
    let after = doc.body[t.end..].chars().next();
    let open_side = |c: Option<char>| {
        c.is_none_or(|c| c.is_whitespace() || matches!(c, '(' | '[' | '—' | '–' | '-' | '/'))
    };
    let close_side = |c: Option<char>| {
        c.is_none_or(|c| {
            c.is_whitespace()
                || matches!(
                    c,
                    ',' | '.' | ';' | ':' | '!' | '?' | ')' | ']' | '—' | '–' | '…'
                )
        })
    };
    match (open_side(before), close_side(after)) {
        (true, false) => Facing::Open,
        (false, true) => Facing::Close,
        _ => Facing::Either,
    }
}

/// Whether token `i` ends a sentence or a paragraph (so a quote open before it may end there).
fn ends_sentence(doc: &Doc<'_>, i: usize) -> bool {
    i + 1 >= doc.len() || doc.sentence_of[i] != doc.sentence_of[i + 1] || doc.paragraph_start[i + 1]
}

/// The end of an unclosed quote opened at `open` and running to `end`, without the quotation
/// marks of another kind it ends on ("‘ … ”" at a paragraph break): they are not quoted words.
fn without_stray_marks(doc: &Doc<'_>, open: usize, mut end: usize) -> usize {
    while end > open + 1 && matches!(doc.raw(end - 1), "\"" | "“" | "”" | "‘" | "’" | "'") {
        end -= 1;
    }
    end
}

/// The quoted spans of `doc`, in order, not overlapping.
pub fn find(doc: &Doc<'_>) -> Vec<Quote> {
    let mut out = scan(doc, double_mark, 1);
    let singles = scan(doc, single_mark, MIN_SINGLE_QUOTE_TOKENS);
    if !singles.is_empty() {
        let outside: Vec<Quote> = singles
            .into_iter()
            .filter(|s| !out.iter().any(|d| s.open < d.after() && d.open < s.after()))
            .collect();
        out.extend(outside);
        out.sort_by_key(|q| q.open);
    }
    out
}

/// One pass over the marks `is_mark` recognises; quotes with fewer than `min_tokens` inside are
/// dropped.
fn scan(doc: &Doc<'_>, is_mark: fn(&str) -> bool, min_tokens: usize) -> Vec<Quote> {
    let mut out: Vec<Quote> = Vec::new();
    let mut open: Option<usize> = None;
    let mut continues = false;
    let push = |out: &mut Vec<Quote>, q: Quote| {
        if q.end > q.open + min_tokens || q.end > q.open + 1 && min_tokens <= 1 {
            out.push(q);
        }
    };
    for i in 0..doc.len() {
        if let Some(o) = open {
            // A paragraph break ends an open quote; the next paragraph may carry it on.
            if doc.paragraph_start[i] {
                push(
                    &mut out,
                    Quote {
                        open: o,
                        end: without_stray_marks(doc, o, i),
                        closed: false,
                        continues,
                    },
                );
                open = None;
                continues = is_mark(doc.raw(i)) && facing(doc, i) != Facing::Close;
            }
        }
        if !is_mark(doc.raw(i)) {
            continue;
        }
        // An apostrophe inside or at the end of a word ("Iran’s" splits it off as a clitic;
        // "Jones’" keeps it) is not a quotation mark.
        if single_mark(doc.raw(i)) && facing(doc, i) != Facing::Open {
            let t = doc.tokens[i];
            let glued_before = doc.body[..t.start]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric);
            if glued_before && open.is_none() {
                continue;
            }
        }
        let f = facing(doc, i);
        match (open, f) {
            (None, Facing::Open | Facing::Either) => open = Some(i),
            (None, Facing::Close) => {} // stray closing mark
            (Some(o), Facing::Close | Facing::Either) => {
                push(
                    &mut out,
                    Quote {
                        open: o,
                        end: i,
                        closed: true,
                        continues,
                    },
                );
                open = None;
                continues = false;
            }
            (Some(o), Facing::Open) => {
                // Opened again before closing: the next paragraph of a quotation, flattened
                // (the earlier part ends at a sentence end), or a stray mark (dropped).
                let carried = i > 0 && ends_sentence(doc, i - 1);
                if carried {
                    push(
                        &mut out,
                        Quote {
                            open: o,
                            end: without_stray_marks(doc, o, i),
                            closed: false,
                            continues,
                        },
                    );
                }
                continues = carried;
                open = Some(i);
            }
        }
    }
    if let Some(o) = open {
        push(
            &mut out,
            Quote {
                open: o,
                end: doc.len(),
                closed: false,
                continues,
            },
        );
    }
    bound_unclosed(doc, &mut out);
    out
}

/// An unclosed quote that no later quote carries on ends at the end of its first sentence: a
/// mark that never closes must not swallow the rest of the text.
fn bound_unclosed(doc: &Doc<'_>, quotes: &mut [Quote]) {
    for k in 0..quotes.len() {
        let carried_on = quotes.get(k + 1).is_some_and(|n| n.continues);
        let q = &mut quotes[k];
        if q.closed || carried_on {
            continue;
        }
        let first = (q.open + 1).min(doc.len().saturating_sub(1));
        let sentence_end = doc.sentence(first).end;
        if q.end > sentence_end {
            q.end = sentence_end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(body: &str) -> Vec<(String, bool, bool)> {
        let doc = Doc::new(body, &[]);
        find(&doc)
            .into_iter()
            .map(|q| {
                let r = q.content();
                let text = if r.is_empty() {
                    String::new()
                } else {
                    doc.span(r).text
                };
                (text, q.closed, q.continues)
            })
            .collect()
    }

    #[test]
    fn straight_and_curly_pairs() {
        assert_eq!(
            quoted("He said: \"We will win.\" Then “they left,” she said."),
            [
                ("We will win.".to_owned(), true, false),
                ("they left,".to_owned(), true, false)
            ]
        );
    }

    #[test]
    fn a_quote_reopened_after_a_sentence_end_continues() {
        let q = quoted("\"We watched it. The scale is huge. \"Yet we responded well.\" He left.");
        assert_eq!(q.len(), 2, "{q:?}");
        assert_eq!(q[0].0, "We watched it. The scale is huge.");
        assert!(!q[0].1);
        assert_eq!(q[1], ("Yet we responded well.".to_owned(), true, true));
    }

    #[test]
    fn quotes_running_over_paragraphs() {
        let q = quoted("“First paragraph of it.\n\n“Second one,” he said.");
        assert_eq!(q.len(), 2, "{q:?}");
        assert!(!q[0].1 && !q[0].2);
        assert!(q[1].1 && q[1].2);
    }

    #[test]
    fn a_stray_mark_ends_with_its_sentence() {
        let q = quoted("He said \"this never closes. Another sentence. And another.");
        assert_eq!(q, [("this never closes.".to_owned(), false, false)]);
    }

    #[test]
    fn apostrophes_and_scare_quotes_are_not_quotations() {
        assert!(quoted("Iran’s threats and the ‘ironclad’ support, the Jones’ house.").is_empty());
        assert_eq!(
            quoted("‘We will not be moved by this at all,’ he said.").len(),
            1
        );
    }
}
