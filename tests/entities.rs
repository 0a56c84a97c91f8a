//! The entity stage end to end: the seed article's people, places, nationalities and
//! organisations; resolution rules on small texts; the CoNLL-2003 dev score through the
//! `eval ner` command; and that the shipped model is exactly what `train ner` makes from the
//! training data.

mod shared_data;

use std::path::Path;

use news_enricher_core::entities::conll;
use news_enricher_core::entities::model::Model;
use news_enricher_core::entities::resolve::Extractor;
use news_enricher_core::entities::tokens::{sentences, tokenize};
use news_enricher_core::entities::{Tagger, WordMemo};
use news_enricher_core::record::MentionSource;
use news_enricher_core::record::{Entity, EntityType};

fn extractor() -> Extractor {
    Extractor::new(Tagger::bundled().expect("bundled model"))
}

fn seed_body() -> String {
    let raw = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo/seed-article.txt"),
    )
    .unwrap();
    news_enricher_core::article::decode(Some(raw.as_bytes()), &Default::default())
        .expect("seed article decodes")
        .body
}

fn find<'a>(entities: &'a [Entity], kind: EntityType, name: &str) -> &'a Entity {
    entities
        .iter()
        .find(|e| e.kind == kind && e.name == name)
        .unwrap_or_else(|| {
            let all: Vec<String> = entities
                .iter()
                .map(|e| format!("{:?} {}", e.kind, e.name))
                .collect();
            panic!("no {kind:?} {name:?} among {all:?}")
        })
}

/// Every mention's offsets are char offsets that cut exactly its text out of the body.
fn assert_offsets(body: &str, entities: &[Entity]) {
    let chars: Vec<char> = body.chars().collect();
    for e in entities {
        assert_eq!(e.count, e.mentions.len());
        for m in &e.mentions {
            let cut: String = chars[m.start..m.end].iter().collect();
            assert_eq!(cut, m.text, "offsets of {m:?}");
        }
    }
}

#[test]
fn seed_article_yields_its_people_places_nationalities_and_organisations() {
    let body = seed_body();
    let entities = extractor().extract(&body);
    assert_offsets(&body, &entities);

    for person in [
        "Antony Blinken",
        "Matthew Miller",
        "David Cameron",
        "Amir-Abdollahian",
        "Gallant",
        "Joe Biden",
        "Netanyahu",
        "Kishida Fumio",
    ] {
        find(&entities, EntityType::Person, person);
    }
    let biden = find(&entities, EntityType::Person, "Joe Biden");
    assert!(
        biden.mentions.iter().filter(|m| m.text == "Biden").count() >= 3,
        "every bare \"Biden\" is Joe Biden: {biden:?}"
    );
    assert!(
        !entities
            .iter()
            .any(|e| e.kind != EntityType::Person && e.name == "Biden"),
        "\"Biden\" is never a place or organisation"
    );
    let blinken = find(&entities, EntityType::Person, "Antony Blinken");
    assert_eq!(blinken.role.as_deref(), Some("US Secretary of State"));
    assert!(blinken.mentions.iter().any(|m| m.text == "Blinken"));
    assert_eq!(
        find(&entities, EntityType::Person, "David Cameron")
            .role
            .as_deref(),
        Some("British Foreign Secretary")
    );

    for (place, code) in [
        ("Iran", Some("IR")),
        ("Israel", Some("IL")),
        ("Syria", Some("SY")),
        ("Damascus", Some("SY")),
        ("Middle East", None),
    ] {
        let e = find(&entities, EntityType::Loc, place);
        assert_eq!(e.country_code.as_deref(), code, "{place}");
    }
    let us = find(&entities, EntityType::Loc, "United States");
    assert!(us.mentions.iter().any(|m| m.text == "US"), "{us:?}");
    assert!(
        us.mentions
            .iter()
            .any(|m| m.text == "Washington" && m.source == MentionSource::Capital),
        "\"Washington’s apprehension\" is the US government: {us:?}"
    );

    for (demonym, code, country) in [
        ("Turkish", "TR", "Turkey"),
        ("Chinese", "CN", "China"),
        ("Saudi", "SA", "Saudi Arabia"),
        ("Iranian", "IR", "Iran"),
    ] {
        let e = find(&entities, EntityType::Norp, demonym);
        assert_eq!(e.country_code.as_deref(), Some(code));
        assert_eq!(e.country.as_deref(), Some(country));
    }

    for org in [
        "US State Department",
        "Islamic Revolutionary Guard Corps",
        "Al Jazeera",
        "Times of Israel",
        "White House",
    ] {
        find(&entities, EntityType::Org, org);
    }
}

#[test]
fn short_names_aliases_and_acronyms_join_their_entity() {
    let body = "Prime Minister Jane Okafor met the Islamic Revolutionary Guard Corps in Tehran. \
                Okafor said the IRGC had agreed. The United States and the US Treasury welcomed it.";
    let entities = extractor().extract(body);
    assert_offsets(body, &entities);
    let okafor = find(&entities, EntityType::Person, "Jane Okafor");
    assert_eq!(okafor.count, 2, "{okafor:?}");
    assert_eq!(okafor.role.as_deref(), Some("Prime Minister"));
    let irgc = find(
        &entities,
        EntityType::Org,
        "Islamic Revolutionary Guard Corps",
    );
    assert!(
        irgc.mentions.iter().any(|m| m.text == "IRGC"),
        "{entities:?}"
    );
    assert_eq!(
        find(&entities, EntityType::Loc, "Tehran")
            .country_code
            .as_deref(),
        Some("IR")
    );
}

#[test]
fn a_capital_is_its_government_only_as_an_actor() {
    let body = "The minister flew to Moscow on Monday. Moscow said the talks had failed.";
    let entities = extractor().extract(body);
    let city = find(&entities, EntityType::Loc, "Moscow");
    assert_eq!(city.count, 1, "{entities:?}");
    assert_eq!(city.country_code.as_deref(), Some("RU"));
    let russia = find(&entities, EntityType::Loc, "Russia");
    assert_eq!(russia.mentions[0].text, "Moscow");
    assert_eq!(russia.mentions[0].source, MentionSource::Capital);
}

#[test]
fn apposition_gives_a_role() {
    let body = "Matthew Miller, a State Department spokesman, declined to comment on Monday.";
    let entities = extractor().extract(body);
    let miller = find(&entities, EntityType::Person, "Matthew Miller");
    assert_eq!(miller.role.as_deref(), Some("State Department spokesman"));
}

#[test]
fn empty_and_entity_free_bodies_yield_nothing() {
    assert!(extractor().extract("").is_empty());
    assert!(extractor()
        .extract("it was a quiet day and nothing much happened at all.")
        .is_empty());
}

#[test]
fn eval_ner_on_conll_dev_scores_above_the_target() {
    let Some(dev) = shared_data::file("conll2003", "valid.txt") else {
        return;
    };
    let text = shared_data::eval("ner", "--conll", &dev);
    let overall: Vec<f64> = text
        .lines()
        .find(|l| l.starts_with("overall"))
        .expect("an overall line")
        .split_whitespace()
        .skip(1)
        .take(3)
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(
        overall[2] >= 0.85,
        "overall F1 {} < 0.85\n{text}",
        overall[2]
    );
    for t in ["PER", "ORG", "LOC"] {
        assert!(
            text.lines().any(|l| l.starts_with(t)),
            "{t} line in\n{text}"
        );
    }
    assert!(text.contains("tokens/s"));
}

#[test]
fn shipped_model_is_what_training_on_conll_train_produces() {
    let Some(train) = shared_data::file("conll2003", "train.txt") else {
        return;
    };
    let sentences = conll::read(&std::fs::read_to_string(train).unwrap()).unwrap();
    let scaffold = Tagger::with_model(Model::from_bytes(&Model::empty_bytes()).unwrap());
    let weights = conll::train(&scaffold, &sentences, 10, 0x5eed, |_, _| {});
    let shipped = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/news-enricher-core/models/ner.bin"),
    )
    .unwrap();
    assert!(
        weights.to_bytes(0.5) == shipped,
        "models/ner.bin is stale: regenerate it with scripts/train-ner"
    );
}

/// Real news text: no PERSON, ORG or LOC entity is only a function word or interjection ("Do",
/// "Well", "Moreover"), and no faith or ethnic group is a person. Over the BBC validation and
/// test splits (the training split is the dedup and throughput corpus).
#[test]
fn no_function_word_names_and_no_groups_as_people_on_bbc_text() {
    let Some(mut texts) = shared_data::bbc_texts("val") else {
        return;
    };
    texts.extend(shared_data::bbc_texts("test").unwrap_or_default());
    let not_names: std::collections::HashSet<&str> =
        news_enricher_core::entities::resolve::not_names().collect();
    let x = extractor();
    let (mut seen, mut bad, mut groups) = (0usize, Vec::new(), Vec::new());
    for body in &texts {
        for e in x.extract(body) {
            if e.kind == EntityType::Norp {
                continue;
            }
            seen += 1;
            let acronym = e.name.len() >= 2 && e.name.chars().all(|c| c.is_ascii_uppercase());
            if !acronym && not_names.contains(e.name.to_lowercase().as_str()) {
                bad.push(e.name.clone());
            }
            let singular = e.name.trim_end_matches('s').to_lowercase();
            if e.kind == EntityType::Person
                && [
                    "muslim",
                    "hindu",
                    "christian",
                    "hispanic",
                    "latino",
                    "arab",
                    "jew",
                ]
                .contains(&singular.as_str())
            {
                groups.push(e.name.clone());
            }
        }
    }
    assert!(seen > 5_000, "{seen} entities: the splits were read");
    assert!(bad.is_empty(), "function words as names: {bad:?}");
    assert!(groups.is_empty(), "groups typed PERSON: {groups:?}");
}

#[test]
fn sentence_initial_function_words_and_role_suffixes_are_not_names() {
    let body = "Well, the vote is close. Moreover Labour MP Derek Wyatt said Muslims and \
                Hispanics would decide it. Do you agree? US officials did.";
    let entities = extractor().extract(body);
    let names: Vec<(&str, EntityType)> =
        entities.iter().map(|e| (e.name.as_str(), e.kind)).collect();
    for junk in ["Well", "Moreover", "Do", "Labour MP"] {
        assert!(
            !names.iter().any(|(n, _)| *n == junk),
            "{junk} in {names:?}"
        );
    }
    assert!(names.contains(&("Labour", EntityType::Org)), "{names:?}");
    assert!(
        names.contains(&("Derek Wyatt", EntityType::Person)),
        "{names:?}"
    );
    assert!(
        !names
            .iter()
            .any(|(n, k)| n.starts_with("Muslim") && *k == EntityType::Person),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .any(|(n, _)| *n == "US" || *n == "United States"),
        "an acronym stays: {names:?}"
    );
}

#[test]
fn a_common_word_capitalised_only_to_open_a_sentence_is_not_a_name() {
    let body = "Mobile phones are everywhere. Sales of mobile handsets rose again. \
                Mr Young said mobile firms were winning. Young people buy most of them.";
    let names: Vec<String> = extractor()
        .extract(body)
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert!(!names.iter().any(|n| n == "Mobile"), "{names:?}");
    assert!(
        names.iter().any(|n| n.contains("Young")),
        "a name capitalised mid-sentence stays: {names:?}"
    );
}

#[test]
fn a_portfolio_opening_a_title_is_not_a_person() {
    let body = "Ministers would not rule out scrapping the Child Support Agency if it failed to \
                improve, Work and Pensions Secretary Alan Johnson has warned.";
    let entities = extractor().extract(body);
    let names: Vec<(&str, EntityType)> =
        entities.iter().map(|e| (e.name.as_str(), e.kind)).collect();
    assert!(
        !names.iter().any(|(n, _)| *n == "Work" || *n == "Pensions"),
        "{names:?}"
    );
    assert!(
        names.contains(&("Alan Johnson", EntityType::Person)),
        "{names:?}"
    );
}

#[test]
fn a_work_introduced_by_its_kind_is_no_entity() {
    let body = "Imelda Staunton starred in the film Vera Drake. She said Vera Drake was the \
                highlight of her career. Polls show Labour ahead. After the game Arsenal \
                manager Arsene Wenger was happy.";
    let names: Vec<String> = extractor()
        .extract(body)
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert!(!names.iter().any(|n| n.contains("Vera")), "{names:?}");
    for kept in ["Imelda Staunton", "Labour", "Arsenal", "Arsene Wenger"] {
        assert!(names.iter().any(|n| n == kept), "{kept} in {names:?}");
    }
}

#[test]
fn institutions_after_the_are_organisations() {
    let body = "The High Court ruled on Tuesday. The Scottish Executive believes the law is \
                wrong.";
    let entities = extractor().extract(body);
    for name in ["High Court", "Scottish Executive"] {
        assert!(
            entities
                .iter()
                .any(|e| e.name == name && e.kind == EntityType::Org),
            "{name} in {:?}",
            entities.iter().map(|e| &e.name).collect::<Vec<_>>()
        );
    }
}

#[test]
fn laws_papers_and_the_budget_are_no_entities() {
    let body = "The Freedom of Information Act came into force. Mr Brown said the Budget would \
                help. The Prevention of Terrorism Bill and the White Paper were debated. Bill \
                Clinton and Bill arrived.";
    let names: Vec<String> = extractor()
        .extract(body)
        .into_iter()
        .map(|e| e.name)
        .collect();
    for gone in ["Act", "Budget", "Bill", "Paper"] {
        assert!(
            !names.iter().any(|n| n.ends_with(gone) && n != "Bill"),
            "{gone} in {names:?}"
        );
    }
    assert!(names.iter().any(|n| n == "Bill Clinton"), "{names:?}");
}

/// A processing thread keeps one memo of words for all its articles: the entities are those a
/// fresh memo per article gives, also when the memo was filled under another model (it must
/// forget those weights) or overflows and starts over in the middle of an article.
#[test]
fn a_memo_kept_across_articles_and_models_changes_nothing() {
    let mut bodies = vec![seed_body()];
    bodies.extend(
        shared_data::bbc_texts("val")
            .unwrap_or_default()
            .into_iter()
            .take(100),
    );
    // More distinct words than the memo holds, in one article.
    let many: String = (0..WordMemo::MAX_WORDS / 2 + 500)
        .map(|i| format!("The wrd{i}x met kaz{i}y in Paris. "))
        .collect();
    bodies.insert(1, many.clone());
    bodies.push(many);
    let x = extractor();
    let untrained = Extractor::new(Tagger::with_model(
        Model::from_bytes(&Model::empty_bytes()).unwrap(),
    ));
    let mut memo = WordMemo::default();
    for (i, body) in bodies.iter().enumerate() {
        let e = if i % 7 == 3 { &untrained } else { &x };
        let tokens = tokenize(body);
        let kept = e.extract_from(body, &tokens, &sentences(body, &tokens), &mut memo);
        assert_eq!(kept, e.extract(body), "article {i}");
    }
}
