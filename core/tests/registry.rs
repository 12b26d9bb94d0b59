//! The registry against the official documentation: every endpoint has its page's example,
//! the example's answer decodes into the typed response without losing a field, the example's
//! request is what the typed request encodes to, and the declarations follow the project's
//! rules (names, idempotency).

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use wechat_core::api::registry::{self, Fields, Output, Product, dynamic};
use wechat_core::http::{ApiRequest, ApiResponse, Idempotency, Method, TokenKind};

#[test]
fn names_are_unique_and_say_their_product() {
    let mut seen = BTreeSet::new();
    for e in registry::all() {
        assert!(seen.insert(e.name), "{} is declared twice", e.name);
        let mut parts = e.name.split('.');
        assert_eq!(parts.next(), Some(e.product.as_str()), "{}", e.name);
        assert!(e.name.split('.').count() >= 3, "{}: product.group.method", e.name);
        assert!(
            e.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'),
            "{}",
            e.name
        );
        assert!(e.doc.starts_with("https://"), "{}: doc {}", e.name, e.doc);
        assert!(e.path.starts_with('/') || e.path.starts_with("https://"), "{}", e.name);
        assert_eq!(Product::from_name(e.product.as_str()), Some(e.product));
        for py in e.wechatpy {
            assert!(!py.is_empty() && !py.contains(' '), "{}: wechatpy name {py:?}", e.name);
        }
    }
    assert!(seen.len() > 5, "the registry is empty");
}

#[test]
fn every_endpoint_has_an_official_sample_and_every_sample_an_endpoint() {
    let samples = registry::samples();
    let named: BTreeSet<_> = samples.iter().map(|s| s.name.as_str()).collect();
    let mut missing = Vec::new();
    for e in registry::all() {
        if !named.contains(e.name) {
            missing.push(e.name);
        }
    }
    assert!(missing.is_empty(), "endpoints without a sample: {missing:?}");
    for s in &samples {
        assert!(
            registry::find(&s.name).is_some(),
            "a sample for no endpoint: {} ({})",
            s.name,
            s.source
        );
        assert!(
            s.source.starts_with("https://"),
            "{}: the sample's source page is {:?}",
            s.name,
            s.source
        );
    }
}

/// `errcode: 0` and `errmsg` say nothing a typed answer must keep.
fn without_status(mut v: Value) -> Value {
    if let Value::Object(map) = &mut v
        && map.get("errcode").is_none_or(|c| c == 0 || c == "0")
    {
        map.remove("errcode");
        map.remove("errmsg");
    }
    v
}

#[test]
fn sample_answers_decode_into_the_typed_response_without_losing_a_field() {
    let mut failures = Vec::new();
    for s in registry::samples() {
        let Some(e) = registry::find(&s.name) else { continue };
        if e.answer == registry::Answer::Binary {
            continue;
        }
        let body = serde_json::to_vec(&s.response).unwrap();
        match (e.dynamic.response)(ApiResponse::json(body)) {
            Ok(Output::Json(typed)) => {
                let lost = dynamic::differences(&without_status(s.response.clone()), &without_status(typed));
                if !lost.is_empty() {
                    failures.push(format!("{}: {}", s.name, lost.join("; ")));
                }
            }
            Ok(other) => failures.push(format!("{}: not JSON: {other:?}", s.name)),
            Err(err) => failures.push(format!("{}: {err}", s.name)),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// What a request value carries, as the documentation spells it: the query parameters and the
/// JSON body's fields in one object.
fn fields_of(request: &ApiRequest) -> Value {
    let mut fields = Map::new();
    for (k, v) in &request.query {
        fields.insert(k.to_string(), Value::String(v.clone()));
    }
    if let Some(body) = &request.body
        && let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&body.bytes)
    {
        fields.extend(body);
    }
    Value::Object(fields)
}

#[test]
fn sample_requests_are_what_the_typed_requests_encode_to() {
    let mut failures = Vec::new();
    for s in registry::samples() {
        let Some(e) = registry::find(&s.name) else { continue };
        let fields = s.request.clone().unwrap_or(Value::Object(Map::new()));
        for required in e.required {
            if fields.get(required).is_none() {
                failures.push(format!("{}: the sample request lacks the required {required}", s.name));
            }
        }
        let request = match (e.dynamic.request)(fields.clone(), [7; 16]) {
            Ok(request) => request,
            Err(err) => {
                failures.push(format!("{}: the sample request is refused: {err}", s.name));
                continue;
            }
        };
        let declared = (e.method, e.path, e.credential, e.idempotency);
        let built = (request.method, &*request.path, request.token, request.idempotency);
        if declared != built {
            failures.push(format!("{}: declared {declared:?}, built {built:?}", s.name));
        }
        if e.fields != Fields::Multipart {
            let diff = dynamic::differences(&fields, &fields_of(&request));
            if !diff.is_empty() {
                failures.push(format!("{}: {}", s.name, diff.join("; ")));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The project's rule: reads and writes that set a state may be retried, anything that
/// creates or delivers something may not.
#[test]
fn idempotency_follows_the_rules() {
    const DELIVERS: &[&str] = &["send", "create", "upload", "submit", "mass", "invite", "book", "apply"];
    const READS: &[&str] = &["get", "list", "search", "count", "query", "info"];
    for e in registry::all() {
        let last = e.path.rsplit('/').next().unwrap_or_default().to_ascii_lowercase();
        if e.method == Method::Get {
            assert_eq!(e.idempotency, Idempotency::Idempotent, "{}: a GET", e.name);
        } else if DELIVERS.iter().any(|d| last.contains(d)) {
            assert_eq!(
                e.idempotency,
                Idempotency::NonIdempotent,
                "{}: delivers or creates",
                e.name
            );
        } else if READS.iter().any(|r| last.starts_with(r)) {
            assert_eq!(e.idempotency, Idempotency::Idempotent, "{}: reads", e.name);
        }
        if e.credential == TokenKind::None {
            assert!(
                e.name.contains("token") || e.path.starts_with("https://"),
                "{}: no token",
                e.name
            );
        }
    }
}
