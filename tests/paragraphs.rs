//! Repeated paragraphs inside one article: the seed article's twice-quoted post, quote fragments
//! that are not repeats, chains of copies, paragraph splitting, char offsets, robustness, and a
//! run over the BBC dataset (stats printed, not asserted).

mod shared_data;

use std::path::Path;

use news_enricher_core::article::{decode, Limits};
use news_enricher_core::dedup::paragraphs::repeated_paragraphs;
use news_enricher_core::record::RepeatedParagraph;
use proptest::prelude::*;

/// The substring `[start, end)` of `text`, counted in chars.
fn chars(text: &str, start: usize, end: usize) -> String {
    text.chars().skip(start).take(end - start).collect()
}

fn repeat_text(body: &str, r: &RepeatedParagraph) -> String {
    chars(body, r.start, r.end)
}

fn first_text(body: &str, r: &RepeatedParagraph) -> String {
    chars(body, r.first_start, r.first_end)
}

fn seed_body() -> String {
    let raw =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo/seed-article.txt"))
            .unwrap();
    decode(Some(&raw), &Limits::default()).unwrap().body
}

/// Paragraphs of the seed body, split the way the fixture is laid out.
fn seed_paragraphs(body: &str) -> Vec<&str> {
    body.split("\n\n").map(str::trim).collect()
}

// ---------------------------------------------------------------------------------------------
// The seed article
// ---------------------------------------------------------------------------------------------

#[test]
fn seed_article_has_exactly_one_repeat_the_embedded_post() {
    let body = seed_body();
    let found = repeated_paragraphs(&body);
    assert_eq!(found.len(), 1, "{found:#?}");
    let r = &found[0];

    let repeat = repeat_text(&body, r);
    let first = first_text(&body, r);
    assert!(repeat.starts_with("Today I made clear"), "{repeat}");
    assert!(repeat.ends_with("April 11, 2024"), "{repeat}");
    assert!(first.starts_with("“Today I made clear"), "{first}");
    assert!(first.ends_with("posted from his X handle."), "{first}");

    // The ranges are exactly paragraphs 3 and 4 (1-based), surrounding whitespace excluded.
    let paragraphs = seed_paragraphs(&body);
    assert_eq!(first, paragraphs[2]);
    assert_eq!(repeat, paragraphs[3]);
    assert!(r.first_end <= r.start);
    assert!(
        (0.8..=1.0).contains(&r.similarity),
        "similarity {}",
        r.similarity
    );
}

#[test]
fn seed_paragraph_two_sharing_one_quoted_sentence_is_not_involved() {
    let body = seed_body();
    let paragraph_two = seed_paragraphs(&body)[1].to_owned();
    assert!(paragraph_two.contains("Iran must not draw the Middle East into a wider conflict."));
    for r in repeated_paragraphs(&body) {
        assert_ne!(repeat_text(&body, &r), paragraph_two);
        assert_ne!(first_text(&body, &r), paragraph_two);
    }
}

#[test]
fn seed_without_the_embed_has_no_repeats() {
    let body = seed_body();
    let mut paragraphs = seed_paragraphs(&body);
    paragraphs.remove(3);
    assert_eq!(repeated_paragraphs(&paragraphs.join("\n\n")), []);
}

#[test]
fn a_quoted_sentence_alone_is_not_a_repeat_of_its_paragraph() {
    // The later paragraph is wholly contained in the earlier one, but is a fragment of it.
    let body =
        "“Today I made clear to Foreign Minister Amir-Abdollahian that Iran must not draw the \
                Middle East into a wider conflict. I am deeply concerned about the potential for \
                miscalculation leading to further violence,” he posted.\n\n\
                Iran must not draw the Middle East into a wider conflict.";
    assert_eq!(repeated_paragraphs(body), []);
}

// ---------------------------------------------------------------------------------------------
// The rule on small bodies
// ---------------------------------------------------------------------------------------------

#[test]
fn distinct_paragraphs_have_no_repeats() {
    let body = "The council approved the budget on Monday after a long debate.\n\n\
                Opposition members said the spending plans were unrealistic and too late.\n\n\
                The mayor said the tram extension would open to passengers next spring.";
    assert_eq!(repeated_paragraphs(body), []);
    assert_eq!(repeated_paragraphs(""), []);
    assert_eq!(repeated_paragraphs(" \n\n \t\n"), []);
}

#[test]
fn identical_triple_copy_yields_two_repeats_of_the_first() {
    let a = "The minister said the new rules would apply to every company from next year.";
    let body = format!("{a}\n\nMarkets were calm.\n\n{a}\n\nUnions asked for more time.\n\n{a}");
    let found = repeated_paragraphs(&body);
    assert_eq!(found.len(), 2, "{found:#?}");
    for r in &found {
        assert_eq!((r.first_start, r.first_end), (0, a.chars().count()));
        assert_eq!(repeat_text(&body, r), a);
        assert_eq!(r.similarity, 1.0);
    }
    assert!(found[0].end <= found[1].start);
}

#[test]
fn third_copy_points_at_the_first_even_when_the_second_matches_it_better() {
    let a = "The minister said on Monday that the new rules would apply to every company in the \
             country from next year.";
    // The second and third copies are identical to each other and differ from the first in
    // their last word, so the third matches the second (1.0) better than the first (17/18).
    let b = "The minister said on Monday that the new rules would apply to every company in the \
             country from next January.";
    let other = "Unions welcomed the announcement but asked for more time to prepare.";
    let body = format!("{a}\n\n{other}\n\n{b}\n\nMarkets were calm.\n\n{b}");
    let found = repeated_paragraphs(&body);
    assert_eq!(found.len(), 2, "{found:#?}");
    for r in &found {
        assert_eq!(first_text(&body, r), a);
        assert_eq!(repeat_text(&body, r), b);
        assert!(
            (r.similarity - 17.0 / 18.0).abs() < 1e-12,
            "{}",
            r.similarity
        );
    }
    assert!(found[0].end <= found[1].start);
}

#[test]
fn equally_good_first_occurrences_resolve_to_the_earliest() {
    // Overlapping windows of one word sequence: `a` = words 1–16, `b` = words 5–20 (they share
    // 10 of 14 shingles, 0.71: not a repeat), `c` = words 3–18, which shares 12 of 14 shingles
    // with each (0.857): an exact tie, resolved to the earlier paragraph.
    let words: Vec<String> = (1..=20).map(|i| format!("word{i}")).collect();
    let a = words[0..16].join(" ");
    let b = words[4..20].join(" ");
    let c = words[2..18].join(" ");
    let body = format!("{a}\n\n{b}\n\n{c}");
    let found = repeated_paragraphs(&body);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(repeat_text(&body, &found[0]), c);
    assert_eq!(first_text(&body, &found[0]), a);
    assert!((found[0].similarity - 12.0 / 14.0).abs() < 1e-12);
}

#[test]
fn a_sentence_inside_a_longer_paragraph_is_not_a_repeat() {
    // The last paragraph contains both earlier ones whole, but each is under half of it.
    let a = "The ministry confirmed that nine ferries were cancelled this morning.";
    let b = "Passengers were offered refunds or seats on later flights instead.";
    let body = format!("{a}\n\n{b}\n\n{a} {b}");
    assert_eq!(repeated_paragraphs(&body), vec![]);
}

#[test]
fn without_blank_lines_every_line_is_a_paragraph() {
    let line = "Police said the road would stay closed until the investigation ends.";
    let body = format!(
        "{line}\nWitnesses described hearing a loud bang shortly after midnight.\n{line}\n"
    );
    let found = repeated_paragraphs(&body);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(repeat_text(&body, &found[0]), line);
    assert_eq!(first_text(&body, &found[0]), line);
    assert_eq!(found[0].first_start, 0);
    assert_eq!(found[0].similarity, 1.0);
}

#[test]
fn with_blank_lines_single_newlines_do_not_split() {
    // The repeated line sits inside a two-line paragraph: paragraphs are the blank-line blocks,
    // and neither block repeats the other.
    let line = "Police said the road would stay closed until the investigation ends.";
    let body = format!(
        "{line}\nWitnesses described hearing a loud bang shortly after midnight, and then \
         several sirens, and the street was full of smoke for an hour or so.\n\n{line}"
    );
    assert_eq!(repeated_paragraphs(&body), []);
}

#[test]
fn short_identical_lines_are_not_repeats() {
    let seven = "Reporting by Jane Doe in London today";
    let eight = "Reporting by Jane Doe in London on Tuesday";
    let text = "The council approved the budget on Monday after a long debate.";

    let body = format!("Reuters\n\n{text}\n\nReuters\n\n{seven}\n\n{seven}");
    assert_eq!(repeated_paragraphs(&body), []);

    // Eight words is enough.
    let body = format!("{eight}\n\n{text}\n\n{eight}");
    let found = repeated_paragraphs(&body);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(repeat_text(&body, &found[0]), eight);
}

#[test]
fn offsets_count_chars_not_bytes() {
    let intro = "Zürich — “quoted” remarks opened the session of the cantonal parliament.";
    let quote = "The council voted on Tuesday to expand the tram network across the city.";
    let attributed = "“The council voted on Tuesday to expand the tram network across the city,” \
                      she said.";
    let body = format!("{intro}\n\n{quote}\n\n{attributed}");
    let found = repeated_paragraphs(&body);
    assert_eq!(found.len(), 1, "{found:#?}");
    let r = &found[0];

    let first_start = intro.chars().count() + 2;
    let start = first_start + quote.chars().count() + 2;
    assert_eq!(
        (r.first_start, r.first_end),
        (first_start, first_start + quote.chars().count())
    );
    assert_eq!(
        (r.start, r.end),
        (start, start + attributed.chars().count())
    );
    assert_eq!(r.end, body.chars().count());
    // Byte offsets would differ: the test would catch them.
    assert_ne!(body.find(attributed), Some(start));
    assert_eq!(repeat_text(&body, r), attributed);
    assert_eq!(first_text(&body, r), quote);
    assert_eq!(r.similarity, 1.0);
}

#[test]
fn serialises_as_plain_fields() {
    let r = RepeatedParagraph {
        start: 10,
        end: 20,
        first_start: 0,
        first_end: 8,
        similarity: 0.875,
    };
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "start": 10, "end": 20, "first_start": 0, "first_end": 8, "similarity": 0.875
        })
    );
    assert_eq!(
        serde_json::from_value::<RepeatedParagraph>(json).unwrap(),
        r
    );
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

fn check_ranges(body: &str) -> Result<(), TestCaseError> {
    let n = body.chars().count();
    let found = repeated_paragraphs(body);
    for r in &found {
        prop_assert!(r.start < r.end && r.end <= n, "{r:?} in {n} chars");
        prop_assert!(
            r.first_start < r.first_end && r.first_end <= r.start,
            "{r:?}"
        );
        prop_assert!((0.8..=1.0).contains(&r.similarity), "{r:?}");
    }
    for pair in found.windows(2) {
        prop_assert!(pair[0].end <= pair[1].start, "{pair:?}");
    }
    // No reported repeat is anybody's first occurrence.
    for r in &found {
        prop_assert!(found.iter().all(|o| o.start != r.first_start), "{found:?}");
    }
    Ok(())
}

proptest! {
    #[test]
    fn never_panics_and_ranges_are_sane(body in any::<String>()) {
        check_ranges(&body)?;
    }

    /// Bodies built from a few repeated, multi-byte paragraphs, so repeats actually occur.
    #[test]
    fn ranges_are_sane_when_repeats_occur(
        picks in proptest::collection::vec(0usize..4, 0..12),
        seps in proptest::collection::vec(
            proptest::sample::select(vec!["\n", "\n\n", " \n\t\n", "\r\n\r\n"]),
            12,
        ),
    ) {
        let pool = [
            "Zürich — “die Regierung” hat heute die neuen Regeln für alle Firmen bestätigt.",
            "Die Regierung hat heute die neuen Regeln für alle Firmen bestätigt, sagte sie.",
            "Короче: the ministry said the plan would be reviewed again next month.",
            "Reuters",
        ];
        let mut body = String::new();
        for (k, &p) in picks.iter().enumerate() {
            body.push_str(pool[p]);
            body.push_str(seps[k]);
        }
        check_ranges(&body)?;
    }
}
