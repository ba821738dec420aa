//! Problem types that resolve (issue 15, point 4): every problem's `type` is a page saying what
//! its code means, and every code the server can answer is on one.

use reqwest::StatusCode;
use serde_json::Value;

use cress_api::http::problems::{FIELD_CODES, PROBLEMS};

use crate::helpers::{Backend, TestApp, json_of};

#[tokio::test]
async fn a_problems_type_resolves_to_what_it_means_in_json_and_in_html() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let missing = app
        .get("/api/v1/organisations/0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11")
        .await;
    let problem: Value = missing.json().await.unwrap();
    let page = json_of(
        app.as_anonymous().get(problem["type"].as_str().unwrap()).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(page["code"], "not_found");
    assert_eq!(page["status"], 404);
    assert!(page["remedy"].as_str().is_some_and(|r| !r.is_empty()));
    let html = app
        .as_anonymous()
        .request(reqwest::Method::GET, "/problems/validation_failed")
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert!(
        html.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let text = html.text().await.unwrap();
    for (code, _) in FIELD_CODES {
        assert!(text.contains(&format!("<code>{code}</code>")), "{code} is explained");
    }
    let unknown = app.as_anonymous().get("/problems/no_such_code").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

/// The string literals of `source` that follow `before` (`code: "…"`).
fn literals_after<'a>(source: &'a str, before: &str) -> Vec<&'a str> {
    source
        .match_indices(before)
        .filter_map(|(at, _)| {
            let rest = &source[at + before.len()..];
            let rest = rest.trim_start();
            let rest = rest.strip_prefix('"')?;
            let end = rest.find('"')?;
            let word = &rest[..end];
            let snake = word
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            (snake && word.starts_with(|c: char| c.is_ascii_lowercase())).then_some(word)
        })
        .collect()
}

fn sources() -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out
}

#[test]
fn every_problem_code_the_source_answers_has_its_page() {
    let known: Vec<&str> = PROBLEMS.iter().map(|p| p.code).collect();
    let mut missing = Vec::new();
    for (file, source) in sources() {
        if file.ends_with("problems.rs") {
            continue;
        }
        let mut codes = literals_after(&source, "code: ");
        codes.extend(literals_after(&source, "bad_request("));
        codes.extend(literals_after(&source, "error: "));
        if file.ends_with("error.rs") {
            codes.extend(literals_after(&source, "=> "));
        }
        for code in codes {
            if !known.contains(&code) && !FIELD_CODES.iter().any(|(c, _)| *c == code) {
                missing.push(format!("{file}: {code}"));
            }
        }
    }
    assert!(missing.is_empty(), "problem codes without a page: {missing:?}");
}

#[test]
fn every_field_error_code_the_source_answers_is_explained() {
    let known: Vec<&str> = FIELD_CODES.iter().map(|(c, _)| *c).collect();
    let mut missing = Vec::new();
    for (file, source) in sources() {
        if file.ends_with("problems.rs") {
            continue;
        }
        let mut codes = literals_after(&source, "Invalid::new(");
        codes.extend(literals_after(&source, ": &'static str = "));
        if file.contains("/domain/") {
            // The domain's named codes: `pub const COUNTERPARTS_OVER_25_PERCENT: &str = "…"`.
            codes.extend(literals_after(&source, ": &str = "));
        }
        // `(field, "code")`, as serde's errors about a body's shape are named.
        if file.ends_with("extract.rs") {
            codes.extend(literals_after(&source, "), "));
        }
        for line in source.lines() {
            // `("field", "code")` pairs of the domain's cross-field rules and `FieldError::new(field, "code", …)`.
            for marker in ["FieldError::new(", "invalid_field("] {
                if let Some(at) = line.find(marker) {
                    let args: Vec<&str> = line[at + marker.len()..].split(',').collect();
                    let literal = args
                        .get(1)
                        .map(|a| a.trim())
                        .filter(|a| a.starts_with('"') && a.ends_with('"'));
                    if let Some(code) = literal.map(|a| a.trim_matches('"')) {
                        codes.push(code);
                    }
                }
            }
        }
        for code in codes {
            if !known.contains(&code) {
                missing.push(format!("{file}: {code}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "field error codes without an explanation: {missing:?}"
    );
}
