//! Decoding raw messages into articles: both wire shapes, every rejection reason, size limits at
//! their exact boundaries, article ids and URL canonicalisation. Property tests check that no
//! input makes `decode` panic and that ids are a deterministic, normalisation-stable function of
//! the input.

use chrono::{DateTime, TimeZone, Utc};
use news_enricher_core::article::{
    canonical_url, decode, hash_hex, normalise_text, Article, DecodeError, IdSource, InputFormat,
    Limits,
};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{json, Value};

/// Every reason code `DecodeError::reason` may return.
const REASONS: &[&str] = &[
    "empty_message",
    "message_too_large",
    "invalid_utf8",
    "invalid_json",
    "missing_body",
    "invalid_field",
    "body_too_long",
];

fn dec(s: &str) -> Result<Article, DecodeError> {
    decode(Some(s.as_bytes()), &Limits::default())
}

fn dec_json(v: &Value) -> Result<Article, DecodeError> {
    dec(&v.to_string())
}

fn ok_json(v: Value) -> Article {
    dec_json(&v).unwrap_or_else(|e| panic!("{v} should decode, got {e:?}"))
}

fn err_json(v: Value) -> DecodeError {
    match dec_json(&v) {
        Ok(a) => panic!("{v} should be rejected, decoded to {a:?}"),
        Err(e) => e,
    }
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

fn assert_invalid_field(e: &DecodeError, expected_field: &str) {
    match e {
        DecodeError::InvalidField { field, problem } => {
            assert_eq!(*field, expected_field, "wrong field named in {e:?}");
            assert!(!problem.is_empty(), "{e:?} has no problem description");
        }
        other => panic!("expected invalid_field for `{expected_field}`, got {other:?}"),
    }
    assert_eq!(e.reason(), "invalid_field");
}

fn assert_well_formed_error(e: &DecodeError) {
    assert!(!e.reason().is_empty(), "{e:?} has an empty reason");
    assert!(
        REASONS.contains(&e.reason()),
        "unknown reason {}",
        e.reason()
    );
    assert!(!e.to_string().is_empty(), "{e:?} has an empty message");
}

fn seed_fixture() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo/seed-article.txt");
    std::fs::read_to_string(path).expect("seed fixture is readable")
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

#[test]
fn json_maps_every_known_field() {
    let a = ok_json(json!({
        "id": "art-1",
        "url": "https://www.example.com/news/1?utm_source=feed",
        "source": "Example News",
        "title": "A headline",
        "body": "The body text.",
        "published_at": "2024-04-12T10:30:00Z",
        "language": "en",
    }));
    assert_eq!(a.id, "art-1");
    assert_eq!(a.id_source, IdSource::Given);
    assert_eq!(a.format, InputFormat::Json);
    assert_eq!(
        a.url.as_deref(),
        Some("https://www.example.com/news/1?utm_source=feed")
    );
    assert_eq!(
        a.canonical_url.as_deref(),
        Some("https://example.com/news/1")
    );
    assert_eq!(a.source.as_deref(), Some("Example News"));
    assert_eq!(a.title.as_deref(), Some("A headline"));
    assert_eq!(a.body, "The body text.");
    assert_eq!(a.published_at, Some(utc(2024, 4, 12, 10, 30, 0)));
    assert_eq!(a.language.as_deref(), Some("en"));
    assert!(
        a.extra.is_empty(),
        "known fields leaked into extra: {:?}",
        a.extra
    );
}

#[test]
fn json_optional_fields_may_be_absent_or_null() {
    let a = ok_json(json!({"body": "Only a body.", "title": null, "url": null}));
    assert_eq!(a.body, "Only a body.");
    assert_eq!(a.title, None);
    assert_eq!(a.url, None);
    assert_eq!(a.canonical_url, None);
    assert_eq!(a.source, None);
    assert_eq!(a.published_at, None);
    assert_eq!(a.language, None);
    assert_eq!(a.id_source, IdSource::Content);
    assert!(a.extra.is_empty());
}

#[test]
fn json_body_is_kept_verbatim() {
    // Later stages emit character offsets into this string: it must not be trimmed or normalised.
    let body = "  Leading and trailing space,\n\ttabs, “curly quotes” and ﬁ ligatures.  \n";
    let a = ok_json(json!({ "body": body }));
    assert_eq!(a.body, body);
}

#[test]
fn json_leading_whitespace_before_object_is_accepted() {
    let a = dec("\n\t  {\"body\": \"Indented.\"}").unwrap();
    assert_eq!(a.format, InputFormat::Json);
    assert_eq!(a.body, "Indented.");
}

#[test]
fn json_text_is_accepted_when_body_is_absent() {
    let a = ok_json(json!({"text": "Story in the text field."}));
    assert_eq!(a.body, "Story in the text field.");
    assert!(
        !a.extra.contains_key("text"),
        "`text` used as the body must not also be kept in extra"
    );
}

#[test]
fn json_null_body_falls_back_to_text() {
    let a = ok_json(json!({"body": null, "text": "From text."}));
    assert_eq!(a.body, "From text.");
}

#[test]
fn json_with_body_and_text_keeps_text_in_extra() {
    let a = ok_json(json!({"body": "The body.", "text": "The other text."}));
    assert_eq!(a.body, "The body.");
    assert_eq!(a.extra.get("text"), Some(&json!("The other text.")));
    assert_eq!(a.extra.len(), 1);
}

#[test]
fn json_unknown_fields_are_preserved_with_values() {
    let a = ok_json(json!({
        "body": "x",
        "tags": ["a", "b"],
        "meta": {"n": 1, "nested": [true, null]},
        "score": 0.5,
    }));
    assert_eq!(a.extra.get("tags"), Some(&json!(["a", "b"])));
    assert_eq!(
        a.extra.get("meta"),
        Some(&json!({"n": 1, "nested": [true, null]}))
    );
    assert_eq!(a.extra.get("score"), Some(&json!(0.5)));
    assert_eq!(a.extra.len(), 3);
}

#[test]
fn json_unknown_fields_are_preserved_in_order() {
    // Known fields are interleaved with unknown ones; removing the known ones must not reorder
    // what is left. (Fails if known fields are taken out with an order-disturbing swap-remove.)
    let raw = r#"{"body":"x","zeta":1,"title":"t","alpha":2,"url":"https://example.com/a","mid":3,"omega":4}"#;
    let a = dec(raw).unwrap();
    let keys: Vec<&str> = a.extra.keys().map(String::as_str).collect();
    assert_eq!(keys, ["zeta", "alpha", "mid", "omega"]);
}

#[test]
fn json_numeric_id_becomes_its_decimal_string() {
    let a = ok_json(json!({"id": 42, "body": "x"}));
    assert_eq!(a.id, "42");
    assert_eq!(a.id_source, IdSource::Given);
    assert_eq!(ok_json(json!({"id": -7, "body": "x"})).id, "-7");
    assert_eq!(
        ok_json(json!({"id": u64::MAX, "body": "x"})).id,
        u64::MAX.to_string()
    );
}

#[test]
fn json_blank_id_is_rejected() {
    for id in ["", "   ", "\t\n"] {
        let e = err_json(json!({"id": id, "body": "x"}));
        assert_invalid_field(&e, "id");
    }
}

#[test]
fn json_non_integer_id_is_rejected() {
    for id in [json!(1.5), json!(true), json!(["a"]), json!({"a": 1})] {
        let e = err_json(json!({"id": id, "body": "x"}));
        assert_invalid_field(&e, "id");
    }
}

#[test]
fn json_wrong_types_name_the_field() {
    for field in [
        "body",
        "text",
        "url",
        "source",
        "title",
        "language",
        "published_at",
    ] {
        for bad in [json!(5), json!(true), json!(["x"]), json!({"x": 1})] {
            let mut obj = serde_json::Map::new();
            if field != "body" {
                obj.insert("body".into(), json!("a valid body"));
            }
            obj.insert(field.into(), bad.clone());
            let e = err_json(Value::Object(obj));
            assert_invalid_field(&e, field);
        }
    }
}

#[test]
fn json_missing_or_blank_body_is_missing_body() {
    for v in [
        json!({}),
        json!({"title": "Only a title"}),
        json!({"body": null}),
        json!({"body": ""}),
        json!({"body": " \n\t "}),
        json!({"text": "   "}),
        json!({"body": null, "text": null}),
    ] {
        let e = err_json(v.clone());
        assert_eq!(e.reason(), "missing_body", "{v} gave {e:?}");
    }
}

#[test]
fn json_published_at_rfc3339_offset_is_normalised_to_utc() {
    let cases = [
        ("2024-04-12T10:30:00+02:00", utc(2024, 4, 12, 8, 30, 0)),
        ("2024-04-12T23:30:00-05:00", utc(2024, 4, 13, 4, 30, 0)),
        ("2024-04-12T10:30:00Z", utc(2024, 4, 12, 10, 30, 0)),
        ("2024-04-12T10:30:00+00:00", utc(2024, 4, 12, 10, 30, 0)),
    ];
    for (raw, expected) in cases {
        let a = ok_json(json!({"body": "x", "published_at": raw}));
        assert_eq!(a.published_at, Some(expected), "{raw}");
    }
    let a = ok_json(json!({"body": "x", "published_at": "2024-04-12T10:30:00.250+01:00"}));
    assert_eq!(
        a.published_at,
        Some(utc(2024, 4, 12, 9, 30, 0) + chrono::Duration::milliseconds(250))
    );
}

#[test]
fn json_published_at_bare_date_is_midnight_utc() {
    let a = ok_json(json!({"body": "x", "published_at": "2024-04-12"}));
    assert_eq!(a.published_at, Some(utc(2024, 4, 12, 0, 0, 0)));
}

#[test]
fn json_published_at_garbage_is_invalid_field() {
    for raw in [
        "yesterday",
        "",
        "2024-13-01",
        "2024-02-30",
        "12/04/2024",
        "2024-04-12T10:30:00", // no offset: ambiguous
        "2024-04-12 garbage",
    ] {
        let e = err_json(json!({"body": "x", "published_at": raw}));
        assert_invalid_field(&e, "published_at");
    }
}

#[test]
fn json_syntax_errors_are_invalid_json() {
    for raw in [
        "{",
        "{\"body\": \"x\"",
        "{\"body\": \"x\",}",
        "{body: \"x\"}",
        "{\"body\": \"x\"} trailing",
        "{\"body\": \"x\"}{\"body\": \"y\"}",
    ] {
        let e = dec(raw).unwrap_err();
        assert_eq!(e.reason(), "invalid_json", "{raw:?} gave {e:?}");
    }
}

#[test]
fn non_object_json_is_not_a_panic_and_is_treated_as_plain_text() {
    // Only a message starting with `{` is taken as JSON; any other UTF-8 is a plain-text article.
    // So a JSON array or string is not rejected: it decodes as plain text holding the raw JSON.
    // (Pinned here so a change of policy is a conscious one.)
    for raw in ["[1]", "\"x\"", "42", "null", "[{\"body\": \"x\"}]"] {
        let a = dec(raw).unwrap_or_else(|e| panic!("{raw:?}: {e:?}"));
        assert_eq!(a.format, InputFormat::PlainText, "{raw:?}");
        assert_eq!(a.body, raw);
        assert_eq!(a.id_source, IdSource::Content);
    }
}

// ---------------------------------------------------------------------------------------------
// Plain text
// ---------------------------------------------------------------------------------------------

#[test]
fn seed_fixture_decodes_with_date_and_stripped_header() {
    let raw = seed_fixture();
    assert!(raw.starts_with(" date 2024-04-12 According to Al Jazeera"));
    let a = decode(Some(raw.as_bytes()), &Limits::default()).expect("seed decodes");
    assert_eq!(a.format, InputFormat::PlainText);
    assert_eq!(a.published_at, Some(utc(2024, 4, 12, 0, 0, 0)));
    assert!(
        a.body.starts_with("According to Al Jazeera"),
        "{:?}",
        &a.body[..40]
    );
    // Only the leading space, the header and surrounding whitespace go; the rest is unchanged.
    let expected = raw
        .trim_start()
        .strip_prefix("date 2024-04-12")
        .unwrap()
        .trim();
    assert_eq!(a.body, expected);
    assert!(a.body.contains("\n\n"), "paragraph breaks must be kept");
    assert!(a.body.contains('’'), "curly quotes must not be normalised");
    assert_eq!(a.id_source, IdSource::Content);
    assert_eq!(a.id, hash_hex("text", &normalise_text(&a.body)));
    assert_eq!(a.url, None);
    assert_eq!(a.title, None);
    assert!(a.extra.is_empty());
}

#[test]
fn plain_text_without_header_is_the_whole_trimmed_text() {
    let a = dec("  Just a story.\nSecond line.\n\n").unwrap();
    assert_eq!(a.format, InputFormat::PlainText);
    assert_eq!(a.body, "Just a story.\nSecond line.");
    assert_eq!(a.published_at, None);
}

#[test]
fn date_word_without_valid_date_stays_in_body() {
    for raw in [
        "date night was a success",
        "dated 2024-04-12 documents",
        "date 2024-13-12 is not a month",
        "date 2024-04-12X glued to text",
        "date 12-04-2024 wrong order",
        "date\n2024-04-12 newline is not a header separator",
        "date 2024-04",
        "date é",
        "Date 2024-04-12 capitalised",
    ] {
        let a = dec(raw).unwrap_or_else(|e| panic!("{raw:?}: {e:?}"));
        assert_eq!(a.body, raw, "{raw:?}");
        assert_eq!(a.published_at, None, "{raw:?}");
    }
}

#[test]
fn date_header_variants_are_recognised() {
    for (raw, body) in [
        ("date 2024-04-12 Body.", "Body."),
        ("date\t2024-04-12\tBody.", "Body."),
        ("date   2024-04-12\n\nBody.", "Body."),
        ("\n\n date 2024-04-12 Body.", "Body."),
    ] {
        let a = dec(raw).unwrap();
        assert_eq!(a.published_at, Some(utc(2024, 4, 12, 0, 0, 0)), "{raw:?}");
        assert_eq!(a.body, body, "{raw:?}");
    }
}

#[test]
fn header_only_is_missing_body() {
    for raw in [
        "date 2024-04-12",
        " date 2024-04-12 ",
        "date 2024-04-12\n\n\t",
    ] {
        let e = dec(raw).unwrap_err();
        assert_eq!(e.reason(), "missing_body", "{raw:?}: {e:?}");
    }
}

#[test]
fn blank_message_is_missing_body() {
    for raw in ["", " ", "\n\t\r\n"] {
        let e = dec(raw).unwrap_err();
        assert_eq!(e.reason(), "missing_body", "{raw:?}: {e:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Empty, UTF-8 and size limits
// ---------------------------------------------------------------------------------------------

#[test]
fn tombstone_is_empty_message() {
    let e = decode(None, &Limits::default()).unwrap_err();
    assert_eq!(e, DecodeError::Empty);
    assert_eq!(e.reason(), "empty_message");
}

#[test]
fn invalid_utf8_is_rejected_with_position() {
    let e = decode(Some(b"abc\xffdef"), &Limits::default()).unwrap_err();
    assert_eq!(e, DecodeError::InvalidUtf8(3));
    assert_eq!(e.reason(), "invalid_utf8");
    // A multi-byte sequence cut short, in a JSON message.
    let e = decode(Some(b"{\"body\": \"caf\xc3\"}"), &Limits::default()).unwrap_err();
    assert_eq!(e.reason(), "invalid_utf8");
    // Latin-1 encoded text.
    let e = decode(Some(b"Caf\xe9 society"), &Limits::default()).unwrap_err();
    assert_eq!(e.reason(), "invalid_utf8");
}

#[test]
fn message_size_limit_is_exact() {
    let payload = json!({"body": "héllo wörld"}).to_string().into_bytes();
    let n = payload.len();
    let at_limit = Limits {
        max_message_bytes: n,
        ..Limits::default()
    };
    assert!(decode(Some(&payload), &at_limit).is_ok());
    let below = Limits {
        max_message_bytes: n - 1,
        ..Limits::default()
    };
    let e = decode(Some(&payload), &below).unwrap_err();
    assert_eq!(
        e,
        DecodeError::TooLarge {
            size: n,
            limit: n - 1
        }
    );
    assert_eq!(e.reason(), "message_too_large");
}

#[test]
fn message_size_is_checked_before_utf8() {
    let limits = Limits {
        max_message_bytes: 4,
        ..Limits::default()
    };
    let e = decode(Some(b"\xff\xff\xff\xff\xff"), &limits).unwrap_err();
    assert_eq!(e.reason(), "message_too_large");
}

fn body_limits(max_body_chars: usize) -> Limits {
    Limits {
        max_message_bytes: 1 << 20,
        max_body_chars,
    }
}

#[test]
fn body_limit_counts_unicode_scalar_values_json() {
    // 'é' is 2 bytes, '😀' 4 bytes, "e\u{301}" is two scalar values: a byte count or a
    // grapheme count would give a different boundary.
    for unit in ["é", "😀", "e\u{301}", "a"] {
        let per_unit = unit.chars().count();
        let limit = 30 * per_unit;
        let at_limit = unit.repeat(30);
        let over = format!("{at_limit}x");
        let a = decode(
            Some(json!({ "body": at_limit }).to_string().as_bytes()),
            &body_limits(limit),
        )
        .unwrap_or_else(|e| panic!("{unit:?} x30 at limit {limit}: {e:?}"));
        assert_eq!(a.body.chars().count(), limit);
        let e = decode(
            Some(json!({ "body": over }).to_string().as_bytes()),
            &body_limits(limit),
        )
        .unwrap_err();
        assert_eq!(
            e,
            DecodeError::BodyTooLong {
                chars: limit + 1,
                limit
            },
            "{unit:?}"
        );
        assert_eq!(e.reason(), "body_too_long");
    }
}

#[test]
fn body_limit_applies_to_plain_text_body_after_header_and_trim() {
    let body = "ü".repeat(50);
    let raw = format!("  date 2024-04-12   {body}\n\n");
    assert!(decode(Some(raw.as_bytes()), &body_limits(50)).is_ok());
    let e = decode(Some(raw.as_bytes()), &body_limits(49)).unwrap_err();
    assert_eq!(
        e,
        DecodeError::BodyTooLong {
            chars: 50,
            limit: 49
        }
    );
}

#[test]
fn body_limit_applies_to_text_field() {
    let raw = json!({"text": "ß".repeat(11)}).to_string();
    assert!(decode(Some(raw.as_bytes()), &body_limits(11)).is_ok());
    assert_eq!(
        decode(Some(raw.as_bytes()), &body_limits(10))
            .unwrap_err()
            .reason(),
        "body_too_long"
    );
}

// ---------------------------------------------------------------------------------------------
// Ids
// ---------------------------------------------------------------------------------------------

#[test]
fn given_id_wins_over_url_and_content() {
    let a = ok_json(json!({"id": "given", "url": "https://example.com/a", "body": "x"}));
    assert_eq!(a.id, "given");
    assert_eq!(a.id_source, IdSource::Given);
}

#[test]
fn url_id_is_hash_of_canonical_url() {
    let a = ok_json(json!({"url": "https://example.com/a", "body": "x"}));
    assert_eq!(a.id_source, IdSource::Url);
    assert_eq!(a.id, hash_hex("url", "https://example.com/a"));
    assert_eq!(a.id.len(), 32);
    assert!(a.id.chars().all(|c| c.is_ascii_hexdigit()));
    // The URL id does not depend on the body.
    let b = ok_json(json!({"url": "https://example.com/a", "body": "something else"}));
    assert_eq!(a.id, b.id);
}

const URL_VARIANTS: &[&str] = &[
    "https://example.com/news/world/story-1?a=1&b=2",
    "http://example.com/news/world/story-1?a=1&b=2",
    "https://www.example.com/news/world/story-1?a=1&b=2",
    "HTTPS://WWW.EXAMPLE.COM/news/world/story-1?a=1&b=2",
    "https://example.com/news/world/story-1/?a=1&b=2",
    "https://example.com/news/world/story-1?b=2&a=1",
    "https://example.com/news/world/story-1?a=1&b=2#comments",
    "https://example.com/news/world/story-1?utm_source=twitter&a=1&utm_medium=social&b=2",
    "https://example.com/news/world/story-1?a=1&fbclid=XYZ&b=2&gclid=abc",
    "https://example.com:443/news/world/story-1?a=1&b=2",
    "  http://www.example.com/news/world/story-1/?b=2&utm_campaign=c&a=1#top  ",
];

#[test]
fn url_variants_canonicalise_to_one_url_and_one_id() {
    let expected = "https://example.com/news/world/story-1?a=1&b=2";
    let mut ids = Vec::new();
    for (i, variant) in URL_VARIANTS.iter().enumerate() {
        assert_eq!(
            canonical_url(variant).as_deref(),
            Some(expected),
            "{variant}"
        );
        let a = ok_json(json!({"url": variant, "body": format!("body {i}")}));
        assert_eq!(a.id_source, IdSource::Url, "{variant}");
        assert_eq!(a.url.as_deref(), Some(*variant), "url kept as given");
        ids.push(a.id);
    }
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
}

#[test]
fn www_is_kept_when_only_a_top_level_label_would_remain() {
    // `www.com` is a registered domain; dropping its `www.` would merge it with the TLD `com`.
    assert_eq!(
        canonical_url("http://www.com/a/").as_deref(),
        Some("https://www.com/a")
    );
    assert_eq!(
        canonical_url("https://www.www.com/a").as_deref(),
        Some("https://www.com/a")
    );
    assert_eq!(
        canonical_url("https://www.bbc.co.uk/news").as_deref(),
        Some("https://bbc.co.uk/news")
    );
}

#[test]
fn different_urls_give_different_ids() {
    let urls = [
        "https://example.com/news/world/story-1",
        "https://example.com/news/world/story-2",
        "https://example.com/news/World/story-1", // path case is significant
        "https://example.com/news/world/story-1?page=2",
        "https://example.com:8443/news/world/story-1",
        "https://example.org/news/world/story-1",
        "https://news.example.com/news/world/story-1",
    ];
    let mut ids: Vec<String> = urls
        .iter()
        .map(|u| ok_json(json!({"url": u, "body": "same body"})).id)
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), urls.len());
}

#[test]
fn unusable_url_falls_back_to_content_id() {
    let a = ok_json(json!({"url": "ftp://example.com/a", "body": "Some text."}));
    assert_eq!(a.url.as_deref(), Some("ftp://example.com/a"));
    assert_eq!(a.canonical_url, None);
    assert_eq!(a.id_source, IdSource::Content);
    let b = ok_json(json!({"body": "Some text."}));
    assert_eq!(a.id, b.id);
}

#[test]
fn content_id_is_stable_under_whitespace_case_and_nfkc() {
    let base = ok_json(json!({"body": "The final office fight in Paris"}));
    assert_eq!(base.id_source, IdSource::Content);
    for variant in [
        "The final office fight in Paris",
        "  The   final\noffice\tfight in Paris \n",
        "THE FINAL OFFICE FIGHT IN PARIS",
        "the final office fight in paris",
        "The ﬁnal oﬃce ﬁght in Paris", // ligatures ﬁ, ﬃ
        "Ｔｈｅ ｆｉｎａｌ ｏｆｆｉｃｅ ｆｉｇｈｔ ｉｎ Ｐａｒｉｓ", // full-width
        "The\u{00a0}final\u{2003}office fight in Paris", // no-break and em spaces
    ] {
        let a = ok_json(json!({ "body": variant }));
        assert_eq!(a.id_source, IdSource::Content, "{variant:?}");
        assert_eq!(a.id, base.id, "{variant:?}");
    }
    // Plain text and JSON with the same body get the same content id.
    assert_eq!(dec("The final office fight in Paris").unwrap().id, base.id);
}

#[test]
fn content_id_differs_for_different_text() {
    let bodies = [
        "The final office fight in Paris",
        "The final office fight in Lyon",
        "The final office fight in Paris.",
        "Thefinal office fight in Paris",
        "The final offce fight in Paris",
    ];
    let mut ids: Vec<String> = bodies
        .iter()
        .map(|b| ok_json(json!({ "body": b })).id)
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), bodies.len());
}

#[test]
fn url_and_text_ids_do_not_collide_for_the_same_string() {
    let s = "https://example.com/a";
    let by_url = ok_json(json!({"url": s, "body": "x"}));
    let by_text = ok_json(json!({ "body": s }));
    assert_eq!(by_text.id_source, IdSource::Content);
    assert_ne!(by_url.id, by_text.id);
}

// ---------------------------------------------------------------------------------------------
// canonical_url
// ---------------------------------------------------------------------------------------------

#[test]
fn canonical_url_rejects_non_http_and_garbage() {
    for raw in [
        "ftp://example.com/a",
        "mailto:editor@example.com",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:text/plain,hello",
        "ws://example.com/socket",
        "not a url",
        "",
        "   ",
        "example.com/news/1",
        "//example.com/news/1",
        "/news/1",
        "http://",
        "https://exa mple.com/",
    ] {
        assert_eq!(canonical_url(raw), None, "{raw:?}");
    }
}

#[test]
fn canonical_url_drops_tracking_params_case_insensitively_and_keeps_others() {
    assert_eq!(
        canonical_url("https://example.com/a?UTM_Source=x&id=5&Ref=home&mc_cid=1&q=rust")
            .as_deref(),
        Some("https://example.com/a?id=5&q=rust")
    );
    assert_eq!(
        canonical_url("https://example.com/?utm_source=x").as_deref(),
        Some("https://example.com")
    );
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/// Fragments that steer generated text through the JSON parser and the known-field code paths.
fn json_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "{",
            "}",
            "[",
            "]",
            ":",
            ",",
            "\"body\"",
            "\"text\"",
            "\"id\"",
            "\"url\"",
            "\"title\"",
            "\"published_at\"",
            "\"language\"",
            "\"source\"",
            "\"x\"",
            "\" \"",
            "\"2024-04-12\"",
            "\"2024-04-12T10:00:00+02:00\"",
            "\"https://www.example.com/a?utm_source=x\"",
            "1",
            "-1",
            "1.5",
            "1e400",
            "18446744073709551616",
            "true",
            "null",
            " ",
            "\\u0000",
            "\"\\ud800\"",
        ])
        .prop_map(str::to_owned),
        any::<String>(),
    ]
}

fn json_value_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[a-z ]{0,12}".prop_map(Value::String),
        Just(json!("2024-04-12")),
        Just(json!("https://www.example.com/news?utm_source=x")),
        Just(json!([1, "a"])),
        Just(json!({"nested": true})),
    ]
}

fn known_or_other_key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "id",
            "url",
            "source",
            "title",
            "body",
            "text",
            "published_at",
            "language",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,8}",
    ]
}

fn check_outcome(result: &Result<Article, DecodeError>) {
    match result {
        Ok(a) => {
            assert!(!a.body.trim().is_empty(), "accepted a blank body");
            assert!(!a.id.trim().is_empty(), "accepted a blank id");
        }
        Err(e) => assert_well_formed_error(e),
    }
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Regressions go next to this file (`tests/decoding.proptest-regressions`).
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn decode_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check_outcome(&decode(Some(&bytes), &Limits::default()));
    }

    #[test]
    fn decode_never_panics_on_text_starting_with_brace(rest in any::<String>()) {
        let raw = format!("{{{rest}");
        let result = decode(Some(raw.as_bytes()), &Limits::default());
        check_outcome(&result);
        if let Ok(a) = &result {
            prop_assert_eq!(a.format, InputFormat::Json);
        }
    }

    #[test]
    fn decode_never_panics_on_json_like_token_soup(parts in prop::collection::vec(json_fragment(), 0..24)) {
        let raw = format!("{{{}", parts.concat());
        check_outcome(&decode(Some(raw.as_bytes()), &Limits::default()));
    }

    #[test]
    fn decode_never_panics_on_objects_with_any_field_types(
        fields in prop::collection::vec((known_or_other_key(), json_value_leaf()), 0..10),
    ) {
        let raw = Value::Object(fields.into_iter().collect()).to_string();
        // Compare against the parsed wire form (floats need not survive a text round trip).
        let obj: serde_json::Map<String, Value> = serde_json::from_str(&raw).unwrap();
        let result = decode(Some(raw.as_bytes()), &Limits::default());
        check_outcome(&result);
        if let Ok(a) = &result {
            // Nothing known leaks into extra, and nothing unknown is lost.
            for k in ["id", "url", "source", "title", "body", "published_at", "language"] {
                prop_assert!(!a.extra.contains_key(k), "{} leaked into extra", k);
            }
            for (k, v) in &obj {
                let known = ["id", "url", "source", "title", "body", "text", "published_at", "language"];
                if !known.contains(&k.as_str()) {
                    prop_assert_eq!(a.extra.get(k), Some(v));
                }
            }
        }
    }

    #[test]
    fn decode_never_panics_on_text_starting_with_date(
        rest in prop_oneof![
            any::<String>(),
            "[0-9]{4}-[0-9]{2}-[0-9]{2}[ \t\n]?[a-zA-Z ]{0,20}",
            "[ \t]{0,3}[0-9-]{0,12}.{0,10}",
        ],
    ) {
        let raw = format!("date {rest}");
        let result = decode(Some(raw.as_bytes()), &Limits::default());
        check_outcome(&result);
        if let Ok(a) = &result {
            prop_assert_eq!(a.format, InputFormat::PlainText);
            // Either the header was recognised (date set), or the whole text is the body.
            if a.published_at.is_none() {
                prop_assert_eq!(a.body.as_str(), raw.trim());
            }
        }
    }

    #[test]
    fn plain_text_body_is_the_trimmed_input(
        first in "[a-ce-zA-Z0-9\"“(]",
        rest in any::<String>(),
    ) {
        // Not starting with `{`, `d` or whitespace: no JSON, no header.
        let raw = format!("{first}{rest}");
        let a = decode(Some(raw.as_bytes()), &Limits::default()).unwrap();
        prop_assert_eq!(a.format, InputFormat::PlainText);
        prop_assert_eq!(a.body.as_str(), raw.trim());
        prop_assert_eq!(a.published_at, None);
    }

    #[test]
    fn id_is_a_deterministic_function_of_the_input(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let first = decode(Some(&bytes), &Limits::default());
        let second = decode(Some(&bytes), &Limits::default());
        prop_assert_eq!(first, second);
    }

    #[test]
    fn json_id_is_deterministic_and_matches_its_source(
        id in prop::option::of("[a-zA-Z0-9-]{1,12}"),
        url in prop::option::of("https?://(www\\.)?[a-z]{1,8}\\.(com|org)(/[a-z0-9]{1,6}){0,3}/?"),
        body in "[^\u{0}]{1,40}[a-zA-Z]",
    ) {
        let mut obj = serde_json::Map::new();
        if let Some(id) = &id { obj.insert("id".into(), json!(id)); }
        if let Some(url) = &url { obj.insert("url".into(), json!(url)); }
        obj.insert("body".into(), json!(body));
        let raw = Value::Object(obj).to_string();
        let a = decode(Some(raw.as_bytes()), &Limits::default()).unwrap();
        let b = decode(Some(raw.as_bytes()), &Limits::default()).unwrap();
        prop_assert_eq!(&a.id, &b.id);
        match (&id, &url) {
            (Some(id), _) => {
                prop_assert_eq!(&a.id, id);
                prop_assert_eq!(a.id_source, IdSource::Given);
            }
            (None, Some(url)) => {
                prop_assert_eq!(a.id_source, IdSource::Url);
                prop_assert_eq!(a.id, hash_hex("url", &canonical_url(url).unwrap()));
            }
            (None, None) => {
                prop_assert_eq!(a.id_source, IdSource::Content);
                prop_assert_eq!(a.id, hash_hex("text", &normalise_text(&body)));
            }
        }
    }

    #[test]
    fn content_id_ignores_whitespace_layout_and_case(
        words in prop::collection::vec("[a-zA-Z0-9]{1,8}", 1..12),
        seps in prop::collection::vec("[ \t\n\r]{1,3}", 12),
        lead in "[ \t\n]{0,3}",
        trail in "[ \t\n]{0,3}",
    ) {
        let plain = words.join(" ");
        let mut messy = lead;
        for (i, w) in words.iter().enumerate() {
            if i > 0 { messy.push_str(&seps[i]); }
            messy.push_str(&w.to_uppercase());
        }
        messy.push_str(&trail);
        let a = ok_json(json!({ "body": plain }));
        let b = ok_json(json!({ "body": messy }));
        prop_assert_eq!(a.id, b.id);
    }

    #[test]
    fn url_id_ignores_tracking_fragment_www_scheme_slash_and_param_order(
        host in "[a-z]{1,10}\\.(com|org|net)",
        segments in prop::collection::vec("[a-z0-9_-]{1,8}", 0..4),
        params in prop::collection::btree_map("[a-k]{1,4}", "[a-z0-9]{0,4}", 0..4),
        fragment in "[a-z]{0,6}",
        utm in "[a-z]{1,6}",
    ) {
        let path: String = segments.iter().map(|s| format!("/{s}")).collect();
        let query = |pairs: Vec<(&String, &String)>| -> String {
            pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
        };
        let sorted: Vec<_> = params.iter().collect();
        let mut reversed = sorted.clone();
        reversed.reverse();
        let q1 = query(sorted);
        let plain = if q1.is_empty() {
            format!("https://{host}{path}")
        } else {
            format!("https://{host}{path}?{q1}")
        };
        let q2 = query(reversed);
        let sep = if q2.is_empty() { "" } else { "&" };
        let messy = format!("http://www.{host}{path}/?utm_source={utm}{sep}{q2}&fbclid={utm}#{fragment}");
        prop_assert_eq!(canonical_url(&plain), canonical_url(&messy));
        let a = ok_json(json!({"url": plain, "body": "a"}));
        let b = ok_json(json!({"url": messy, "body": "b"}));
        prop_assert_eq!(a.id_source, IdSource::Url);
        prop_assert_eq!(a.id, b.id);
    }

    #[test]
    fn canonical_url_is_idempotent(
        raw in "https?://(www\\.)?[a-z]{1,8}\\.com(/[a-z0-9%]{0,6}){0,3}/?(\\?[a-z]{1,3}=[a-z0-9+]{0,3}(&[a-z_]{1,6}=[a-z]{0,3}){0,3})?(#[a-z]*)?",
    ) {
        if let Some(c) = canonical_url(&raw) {
            let again = canonical_url(&c);
            prop_assert_eq!(again.as_deref(), Some(c.as_str()));
        }
    }

    #[test]
    fn canonical_url_rejects_other_schemes(
        scheme in "(ftp|file|mailto|javascript|data|ws|wss|gopher|news|[a-z]{2,6})",
        rest in "[a-z0-9./:@]{0,20}",
    ) {
        prop_assume!(scheme != "http" && scheme != "https");
        let raw = format!("{scheme}:{rest}");
        prop_assert_eq!(canonical_url(&raw), None);
    }
}
