//! Every parser of every declared endpoint, fed hostile answers: none panics, whatever the
//! status and body (random bytes, truncated and mutated official samples, deep nesting).

use proptest::prelude::*;
use wechat_core::api::registry;
use wechat_core::http::ApiResponse;

fn parse_everywhere(response: &ApiResponse) {
    for e in registry::all() {
        let _ = (e.parse)(response.clone());
    }
}

#[test]
fn the_registry_is_not_empty() {
    assert!(registry::all().count() > 0);
}

#[test]
fn deep_nesting_and_huge_numbers_are_refused_without_panicking() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    parse_everywhere(&ApiResponse::json(deep.into_bytes()));
    let numbers = r#"{"errcode":1e999999,"total":184467440737095516150,"count":-1,"expires_in":1e308}"#;
    parse_everywhere(&ApiResponse::json(numbers.as_bytes().to_vec()));
}

/// The answers the parsers are fed, mutated: the official samples when compiled in.
fn seeds() -> Vec<Vec<u8>> {
    #[allow(unused_mut)]
    let mut seeds = vec![
        br#"{"errcode":0,"errmsg":"ok"}"#.to_vec(),
        br#"{"errcode":"40001"}"#.to_vec(),
    ];
    #[cfg(feature = "samples")]
    seeds.extend(
        registry::samples()
            .iter()
            .map(|s| serde_json::to_vec(&s.response).unwrap()),
    );
    seeds
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_bodies(body in proptest::collection::vec(any::<u8>(), 0..200), status in 100u16..600, json in any::<bool>()) {
        let mut response = ApiResponse::new(status, body);
        if json {
            response.content_type = Some("application/json".into());
        }
        parse_everywhere(&response);
    }

    #[test]
    fn mutated_samples(seed in any::<proptest::sample::Index>(), edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4), cut in any::<proptest::sample::Index>()) {
        let seeds = seeds();
        let mut body = seeds[seed.index(seeds.len())].clone();
        for (at, byte) in edits {
            let at = at % body.len();
            body[at] = byte;
        }
        parse_everywhere(&ApiResponse::json(body.clone()));
        body.truncate(cut.index(body.len() + 1));
        parse_everywhere(&ApiResponse::json(body));
    }
}
