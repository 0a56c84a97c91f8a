//! A short fuzz run of the whole pipeline on arbitrary and adversarial messages (see
//! `tests/fuzz/mod.rs`); `cargo bench --bench fuzz_pipeline` runs the long one. Failures are
//! shrunk and saved by proptest; every crash found becomes a case below.

mod fuzz;

use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn the_pipeline_survives_any_message(bytes in fuzz::message()) {
        thread_local! {
            static ENRICHER: news_enricher_core::enrich::Enricher = fuzz::enricher();
        }
        ENRICHER.with(|e| fuzz::check(e, &bytes))?;
    }
}

#[test]
fn known_hard_inputs() {
    let e = fuzz::enricher();
    let seed = fuzz::SEED.as_bytes();
    for bytes in [
        &b""[..],
        b"{",
        b"{\"body\":\"\"}",
        b"\xff\xfe",
        &seed[..seed.len() / 2],
        "“”“”said“".as_bytes(),
    ] {
        fuzz::check(&e, bytes).unwrap();
    }
}
