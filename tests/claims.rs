//! The claims stage end to end: the seed article's claims with their source, cue and content
//! spans; each attribution pattern and speaker resolution rule on small texts; bad input
//! (unbalanced, mixed and unclosed quote marks, a 1 MB paragraph, an article of quotes only);
//! and the dev-set targets through `eval claims`.

use std::path::Path;
use std::process::Command;

use news_enricher_core::claims::ClaimFinder;
use news_enricher_core::entities::resolve::Extractor;
use news_enricher_core::entities::Tagger;
use news_enricher_core::record::{Claim, ClaimKind, ClaimRule, Span, SpeakerRule};
use proptest::prelude::*;

struct Stage {
    extractor: Extractor,
    finder: ClaimFinder,
}

impl Stage {
    fn new() -> Self {
        let tagger = Tagger::bundled().unwrap();
        Stage {
            finder: ClaimFinder::new(tagger.shared_gazetteer()),
            extractor: Extractor::new(tagger),
        }
    }

    fn claims(&self, body: &str) -> Vec<Claim> {
        let entities = self.extractor.extract(body);
        let claims = self.finder.claims(body, &entities);
        assert_sane(body, &claims);
        claims
    }
}

fn claims_of(body: &str) -> Vec<Claim> {
    Stage::new().claims(body)
}

/// Every span cuts its text out of the body; contents are non-empty and in text order.
fn assert_sane(body: &str, claims: &[Claim]) {
    let chars: Vec<char> = body.chars().collect();
    let cut = |s: &Span| -> String { chars[s.start..s.end].iter().collect() };
    let mut last = 0;
    for c in claims {
        assert!(c.content.start < c.content.end, "{c:?}");
        assert!(c.content.start >= last, "claims out of text order: {c:?}");
        last = c.content.start;
        let spans = [c.source.as_ref(), c.cue.as_ref(), Some(&c.content)]
            .into_iter()
            .flatten()
            .chain(&c.content_parts)
            .chain(&c.repeats);
        for s in spans {
            assert!(s.end <= chars.len(), "{s:?}");
            assert_eq!(cut(s), s.text, "{c:?}");
        }
        assert_eq!(c.speaker.is_some(), c.speaker_type.is_some(), "{c:?}");
        assert_eq!(
            c.speaker.is_none(),
            c.speaker_rule == SpeakerRule::Unresolved,
            "{c:?}"
        );
        let quoted = matches!(
            c.rule,
            ClaimRule::QuoteThenCue | ClaimRule::CueThenQuote | ClaimRule::QuoteContinues
        ) && matches!(c.kind, ClaimKind::DirectQuote | ClaimKind::Post);
        assert!(
            !quoted
                || !c.content.text.starts_with(['"', '“']) && !c.content.text.ends_with(['"', '”']),
            "quote marks are not content: {c:?}"
        );
    }
}

/// The one claim whose cue is `cue` and whose source is `source`.
fn by<'a>(claims: &'a [Claim], source: &str, cue: &str) -> &'a Claim {
    let found: Vec<&Claim> = claims
        .iter()
        .filter(|c| {
            c.cue.as_ref().is_some_and(|s| s.text == cue)
                && c.source.as_ref().is_some_and(|s| s.text == source)
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one claim by {source:?} with cue {cue:?} among {:#?}",
        claims
            .iter()
            .map(|c| format!(
                "{:?} | {:?} | {:?} | {}",
                c.source.as_ref().map(|s| &s.text),
                c.cue.as_ref().map(|s| &s.text),
                c.speaker,
                c.content.text
            ))
            .collect::<Vec<_>>()
    );
    found[0]
}

fn speaker(c: &Claim) -> Option<&str> {
    c.speaker.as_deref()
}

#[test]
fn seed_article_claims_name_their_sources() {
    let raw =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo/seed-article.txt"))
            .unwrap();
    let article = news_enricher_core::article::decode(Some(&raw), &Default::default()).unwrap();
    let claims = claims_of(&article.body);

    let blinken = by(&claims, "Blinken", "emphasized");
    assert_eq!(speaker(blinken), Some("Antony Blinken"));
    assert_eq!(blinken.kind, ClaimKind::Indirect);
    assert!(blinken
        .content
        .text
        .starts_with("escalation in the Middle East"));

    let miller = by(
        &claims,
        "US State Department spokesperson Matthew Miller",
        "reiterated",
    );
    assert_eq!(speaker(miller), Some("Matthew Miller"));

    let said = by(&claims, "British Foreign Secretary David Cameron", "said");
    assert_eq!(speaker(said), Some("David Cameron"));
    assert_eq!(said.kind, ClaimKind::DirectQuote);
    assert_eq!(
        said.content.text,
        "Iran must not draw the Middle East into a wider conflict."
    );
    // The post is quoted, then embedded again: one claim, with the embed as its repeat.
    let posted = by(&claims, "the British Foreign Minister", "posted");
    assert_eq!(speaker(posted), Some("David Cameron"));
    assert_eq!(posted.kind, ClaimKind::Post);
    assert_eq!(posted.speaker_rule, SpeakerRule::Description);
    assert_eq!(posted.repeats.len(), 1, "{posted:?}");
    let cameron_posts = claims
        .iter()
        .filter(|c| speaker(c) == Some("David Cameron") && c.kind == ClaimKind::Post)
        .count();
    assert_eq!(
        cameron_posts, 1,
        "the embedded repeat is not a claim of its own"
    );

    let gallant = by(&claims, "Gallant", "posted on X");
    assert_eq!(speaker(gallant), Some("Gallant"));
    assert_eq!(gallant.kind, ClaimKind::Post);

    let biden_said = by(&claims, "Biden", "said");
    assert_eq!(speaker(biden_said), Some("Joe Biden"));
    assert!(biden_said
        .content
        .text
        .starts_with("As I told Prime Minister Netanyahu"));
    let stated = by(&claims, "Biden", "stated");
    assert_eq!(speaker(stated), Some("Joe Biden"));

    let times = by(&claims, "Times of Israel", "According to");
    assert_eq!(speaker(times), Some("Times of Israel"));
    assert_eq!(times.rule, ClaimRule::AccordingTo);
    // Nested: the Times reports what Biden stated; both are claims.
    assert!(times.content.text.starts_with("Biden stated that"));
    let jazeera = by(&claims, "Al Jazeera", "According to");
    assert_eq!(speaker(jazeera), Some("Al Jazeera"));

    // Iran's positions are reported too, with Iran (a state) as the speaker.
    assert!(claims
        .iter()
        .any(|c| speaker(c) == Some("Iran") && c.kind == ClaimKind::Reported));
}

#[test]
fn quotes_attributed_after_before_and_inside() {
    let claims = claims_of(
        "“We will win the vote,” said Labour leader Mary Jones. Critics were unconvinced. \
         Mr Smith told reporters: “This plan has failed.” \
         “It is too late,” he said, “and everyone knows it.”",
    );
    let jones = by(&claims, "Labour leader Mary Jones", "said");
    assert_eq!(speaker(jones), Some("Mary Jones"));
    assert_eq!(jones.rule, ClaimRule::QuoteThenCue);
    let smith = by(&claims, "Mr Smith", "told reporters");
    assert_eq!(smith.rule, ClaimRule::CueThenQuote);
    assert_eq!(smith.content.text, "This plan has failed.");
    let inside = by(&claims, "he", "said");
    assert_eq!(speaker(inside), speaker(smith), "he = Mr Smith");
    assert_eq!(inside.speaker_rule, SpeakerRule::Pronoun);
    assert_eq!(inside.content.text, "It is too late,");
    assert_eq!(inside.content_parts.len(), 1);
    assert_eq!(inside.content_parts[0].text, "and everyone knows it.");
}

#[test]
fn a_quote_running_over_paragraphs_keeps_its_speaker() {
    let claims = claims_of(
        "“The first part of what she said is here,” Finance Minister Ana Lopez said.\n\n\
         “The next paragraph goes on with her argument.\n\n\
         “And the last one ends it,” she added.",
    );
    let lopez = claims
        .iter()
        .filter(|c| speaker(c) == Some("Ana Lopez"))
        .count();
    assert_eq!(lopez, 3, "{claims:#?}");
    let continued = claims
        .iter()
        .find(|c| c.content.text.starts_with("The next paragraph"))
        .unwrap();
    assert_eq!(continued.rule, ClaimRule::QuoteContinues);
    assert_eq!(continued.speaker_rule, SpeakerRule::PreviousSpeaker);
    assert!(continued.cue.is_none() && continued.source.is_none());
}

#[test]
fn indirect_speech_with_verbs_of_saying_and_thinking() {
    let claims = claims_of(
        "Chancellor Gordon Brown said the economy would grow. \
         The chancellor believes that inflation will stay low. \
         Inflation will fall, Mr Brown added, and rates may follow. \
         According to the Treasury, borrowing rose in May.",
    );
    let said = by(&claims, "Chancellor Gordon Brown", "said");
    assert_eq!(said.content.text, "the economy would grow");
    assert_eq!(said.kind, ClaimKind::Indirect);
    let believes = by(&claims, "The chancellor", "believes");
    assert_eq!(speaker(believes), Some("Gordon Brown"));
    assert_eq!(believes.speaker_rule, SpeakerRule::Description);
    let added = by(&claims, "Mr Brown", "added");
    assert_eq!(added.rule, ClaimRule::ClauseThenCue);
    assert_eq!(added.content.text, "Inflation will fall");
    assert_eq!(added.content_parts[0].text, "rates may follow");
    let treasury = by(&claims, "the Treasury", "According to");
    assert_eq!(treasury.content.text, "borrowing rose in May");
}

#[test]
fn reported_positions_posts_and_nouns_of_saying() {
    let claims = claims_of(
        "The Conservative Party plans to abolish 162 quangos. \
         Senator Ann Green wrote on X that the bill was a mistake. \
         Mr Hall's claim that taxes would rise was rejected.",
    );
    let plans = by(&claims, "The Conservative Party", "plans");
    assert_eq!(plans.kind, ClaimKind::Reported);
    assert_eq!(plans.content.text, "to abolish 162 quangos");
    let post = by(&claims, "Senator Ann Green", "wrote on X");
    assert_eq!(post.kind, ClaimKind::Post);
    let noun = by(&claims, "Mr Hall", "claim");
    assert_eq!(noun.rule, ClaimRule::CueNoun);
    assert_eq!(noun.content.text, "taxes would rise was rejected");
}

#[test]
fn unnamed_sources_keep_their_claim_with_no_speaker() {
    let claims = claims_of(
        "Tony Blair visited Leeds. A Downing Street spokesman said the trip was planned. \
         He said it had gone well. Officials warned of delays.",
    );
    let spokesman = by(&claims, "A Downing Street spokesman", "said");
    assert_eq!(speaker(spokesman), None, "a spokesman is nobody named");
    // "He" right after an unnamed spokesman is the spokesman, not Mr Blair.
    assert_eq!(speaker(by(&claims, "He", "said")), None);
    assert_eq!(speaker(by(&claims, "Officials", "warned")), None);
}

#[test]
fn places_speak_only_as_states() {
    let claims = claims_of(
        "Iran said the talks had failed. Washington warned it would respond. \
         Iowa said the farm figures were good.",
    );
    assert_eq!(speaker(by(&claims, "Iran", "said")), Some("Iran"));
    assert_eq!(
        speaker(by(&claims, "Washington", "warned")),
        Some("United States")
    );
    assert_eq!(speaker(by(&claims, "Iowa", "said")), None);
}

#[test]
fn pronouns_agree_in_gender_and_prefer_the_subject() {
    let claims = claims_of(
        "Mrs Patel met Mr Jones on Monday. She said the meeting was useful. \
         Mr Jones later left London. He said he would return.",
    );
    assert_eq!(speaker(by(&claims, "She", "said")), Some("Patel"));
    assert_eq!(speaker(by(&claims, "He", "said")), Some("Jones"));
}

#[test]
fn the_interviewer_is_not_the_speaker() {
    let claims = claims_of(
        "Defence Secretary John Reid told BBC Radio 4's Today programme the troops would stay. \
         Asked by presenter John Humphrys whether that was wise, Mr Reid said it was.",
    );
    let told = by(&claims, "Defence Secretary John Reid", "told");
    assert_eq!(speaker(told), Some("John Reid"));
    assert_eq!(told.content.text, "the troops would stay");
    let said = by(&claims, "Mr Reid", "said");
    assert_eq!(speaker(said), Some("John Reid"));
    assert!(claims.iter().all(|c| speaker(c) != Some("John Humphrys")));
}

#[test]
fn us_style_frames_with_programme_titles_and_appositions() {
    let claims = claims_of(
        "Hillary Clinton spoke in Iowa. \"We will win this state,\" she said on NBC's \"Meet \
         the Press.\" Taxes will rise, said Mr. Trump, the Republican nominee. \"It is over,\" \
         Mr. Trump told Fox News's \"Hannity\" on Tuesday.",
    );
    let she = by(&claims, "she", "said");
    assert_eq!(speaker(she), Some("Hillary Clinton"));
    assert_eq!(she.content.text, "We will win this state,");
    let taxes = by(&claims, "Mr. Trump", "said");
    assert_eq!(taxes.content.text, "Taxes will rise");
    assert!(
        taxes.content_parts.is_empty(),
        "the apposition is not content"
    );
    let told = by(&claims, "Mr. Trump", "told");
    assert_eq!(told.content.text, "It is over,");
    // Programme titles in quotes are nobody's words.
    assert!(claims
        .iter()
        .all(|c| c.content.text != "Meet the Press." && c.content.text != "Hannity"));
}

#[test]
fn no_entities_still_finds_claims_with_null_speakers() {
    let claims = claims_of("“This is terrible,” someone said.");
    assert_eq!(claims.len(), 1);
    assert_eq!(speaker(&claims[0]), None);
}

// ---- bad input: bounded, sane results ----------------------------------------------------

#[test]
fn unbalanced_and_mixed_quote_marks() {
    let stage = Stage::new();
    for body in [
        "He said: \"This never closes. Another sentence follows. And another one.",
        "“Curly open and straight close,\" she said. Then “another one” appeared.",
        "\"\"\"\" ” ” “ “ \" said he “",
        "Mr Smith said “one” and “two” and “three “four” five” six”.",
        "“Nested ‘single “double” single’ quotes,” he said.",
        "“",
        "”",
        "\"",
    ] {
        let claims = stage.claims(body);
        assert!(claims.len() <= 4, "{body:?}: {claims:#?}");
    }
    // A mark that never closes does not swallow the rest of the text.
    let claims = stage.claims(
        "Ms Brown said: \"we will see. Later the minister arrived in Paris. \
         The minister said the plan was good.",
    );
    assert!(
        claims
            .iter()
            .all(|c| !c.content.text.contains("minister arrived")),
        "{claims:#?}"
    );
}

#[test]
fn a_one_megabyte_paragraph_is_handled() {
    let sentence = "“The plan will work, and it will work well,” Mr Brown said, adding that \
                    the Tories, he said, were wrong about it according to the Treasury ";
    let body = sentence.repeat(1_000_000 / sentence.len() + 1);
    assert!(body.len() >= 1_000_000 && !body.contains('\n'));
    let claims = claims_of(&body);
    assert!(!claims.is_empty());
    assert!(claims.len() < body.len() / 20, "{}", claims.len());
}

#[test]
fn an_article_made_only_of_quotes() {
    let one = "“We are ready and we will not stop now.” ";
    let body = one.repeat(5_000);
    let claims = claims_of(&body);
    // Nobody is named: no quote has a speaker, and none is invented.
    assert!(
        claims.iter().all(|c| c.speaker.is_none()),
        "{:?}",
        &claims[..3]
    );
    // A verbatim repeat is one claim.
    assert!(claims.len() <= 1, "{}", claims.len());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any mix of names, cue words, quote marks and punctuation gives sane claims.
    #[test]
    fn arbitrary_token_soup_gives_sane_claims(words in proptest::collection::vec(
        prop_oneof![
            Just("said"), Just("told"), Just("“"), Just("”"), Just("\""), Just("‘"), Just("’"),
            Just(","), Just("."), Just(":"), Just("-"), Just("—"), Just("\n\n"), Just("he"),
            Just("she"), Just("they"), Just("it"), Just("Mr"), Just("Smith"), Just("Labour"),
            Just("Iran"), Just("according"), Just("to"), Just("that"), Just("the"),
            Just("spokesman"), Just("plans"), Just("adding"), Just("who"), Just("'s"),
            Just("(@handle)"), Just("claim"), Just("and"), Just("posted"), Just("on"), Just("X"),
        ],
        0..120,
    )) {
        let body = words.join(" ");
        let stage = Stage::new();
        let _ = stage.claims(&body);
    }
}

// ---- the dev set ---------------------------------------------------------------------------

#[test]
fn dev_set_spans_are_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/eval/attribution-dev.jsonl");
    let gold = news_enricher_core::claims::gold::read(&std::fs::read_to_string(path).unwrap())
        .expect("every span cuts its text");
    let claims: usize = gold.iter().map(|a| a.claims.len()).sum();
    assert!(gold.len() >= 40, "{} articles", gold.len());
    assert!(claims >= 400, "{claims} claims");
}

/// Runs `eval claims` on `gold` and returns its report.
fn eval_claims(gold: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_news-enricher"))
        .args(["eval", "claims", "--gold"])
        .arg(gold)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The number after `key` on the report line starting with `prefix`.
fn number_after(text: &str, prefix: &str, key: &str) -> f64 {
    let line = text
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} line in\n{text}"));
    let rest = &line[line.find(key).unwrap_or_else(|| panic!("{key} in {line}")) + key.len()..];
    rest.split_whitespace().next().unwrap().parse().unwrap()
}

/// Issue 11's targets on the articles it was annotated and tuned on (the dev set's first 49
/// lines, `data/eval/README.md`), and floors at today's figures on the whole set, whose last 24
/// articles were annotated later and never tuned on for claims.
#[test]
fn eval_claims_on_the_dev_set_meets_the_targets() {
    let gold = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/eval/attribution-dev.jsonl");
    let first: String = std::fs::read_to_string(&gold)
        .unwrap()
        .lines()
        .take(49)
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let first_path = dir.path().join("first-49.jsonl");
    std::fs::write(&first_path, first).unwrap();
    // (file, speaker-accuracy floor): the issue-11 target on its own articles, today's 0.88 less
    // a margin on all of them.
    let mut text = String::new();
    for (path, floor) in [(first_path.as_path(), 0.93), (gold.as_path(), 0.85)] {
        text = eval_claims(path);
        let f1 = number_after(&text, "content", "f1");
        let speaker = number_after(&text, "speaker accuracy", "claims");
        assert!(f1 >= 0.80, "content F1 {f1} below 0.80\n{text}");
        assert!(
            speaker >= floor,
            "speaker accuracy {speaker} below {floor}\n{text}"
        );
    }
    assert!(
        text.contains("direct_quote") && text.contains("named source"),
        "{text}"
    );
    assert!(text.contains("articles/s"), "{text}");
}

#[test]
fn eval_claims_scores_a_predictions_file_the_same_way() {
    // The gold file scored as its own predictions is perfect.
    let gold = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/eval/attribution-dev.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_news-enricher"))
        .args(["eval", "claims", "--gold"])
        .arg(&gold)
        .arg("--predictions")
        .arg(&gold)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("precision 1.0000  recall 1.0000  f1 1.0000"),
        "{text}"
    );
    assert!(
        text.contains("speaker accuracy on matched claims 1.0000"),
        "{text}"
    );
}

#[test]
fn a_role_phrase_set_off_by_commas_names_the_person_not_the_body() {
    let claims = claims_of(
        "Responding to the speech, shadow chief secretary to the Treasury, George Osborne, \
         said: \"This was more talk from Gordon Brown.\" Peter Misselbrook, executive partner \
         of Tods Murray said Mr McLetchie had been considering retirement. Ministers would not \
         close the agency, Work and Pensions Secretary Alan Johnson has warned.",
    );
    let speaker_of = |content: &str| {
        claims
            .iter()
            .find(|c| c.content.text.starts_with(content))
            .unwrap_or_else(|| panic!("no claim {content:?} in {claims:#?}"))
            .speaker
            .clone()
    };
    assert_eq!(
        speaker_of("This was more talk").as_deref(),
        Some("George Osborne")
    );
    assert_eq!(
        speaker_of("Mr McLetchie had been").as_deref(),
        Some("Peter Misselbrook")
    );
    assert_eq!(
        speaker_of("Ministers would not close").as_deref(),
        Some("Alan Johnson")
    );
}

#[test]
fn a_verb_in_its_other_sense_takes_no_content() {
    let claims = claims_of(
        "Ferrovial holds a stake in Tube Lines, which maintains the Jubilee, Northern and \
         Piccadilly lines. She wrote the award-winning musical Spend Spend Spend. Tube Lines \
         maintains the line is safe.",
    );
    assert!(
        !claims
            .iter()
            .any(|c| c.content.text.contains("Jubilee") || c.content.text.contains("musical")),
        "{claims:#?}"
    );
    assert!(
        claims.iter().any(|c| c.content.text == "the line is safe"),
        "{claims:#?}"
    );
}
