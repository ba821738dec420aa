//! The OpenAPI document: committed and current, served as generated, complete for every
//! operation, and with examples that work when pasted.

use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, json_of, organisation};
use crate::on_both_backends;

const REGENERATE: &str = "UPDATE_OPENAPI=1 cargo test --test api openapi";
const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn generated() -> Value {
    serde_json::from_str(&cress_api::app::openapi_json()).expect("the generated document is JSON")
}

/// Every operation of the document as (path, method, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    doc["paths"]
        .as_object()
        .expect("the document has paths")
        .iter()
        .flat_map(|(path, item)| {
            METHODS.iter().filter_map(|method| {
                item.get(*method)
                    .map(|op| (path.clone(), (*method).to_owned(), op.clone()))
            })
        })
        .collect()
}

/// Follows a local `$ref` (`#/components/…`) in `doc`.
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

#[test]
fn committed_openapi_matches_the_generated_one() {
    // Arrange
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("openapi")
        .join("openapi.json");
    let generated = format!("{}\n", cress_api::app::openapi_json());
    assert!(generated.len() > 1, "the document is generated");
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|value| value == "1") {
        std::fs::write(&path, &generated).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        eprintln!("UPDATE_OPENAPI=1: wrote {}", path.display());
        return;
    }
    // Act
    let committed = std::fs::read_to_string(&path);
    // Assert
    let committed = committed.unwrap_or_else(|e| {
        panic!(
            "{} cannot be read ({e}); generate it with `{REGENERATE}`",
            path.display()
        )
    });
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(old, new)| old != new)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "{} is out of date (first difference at line {}):\n  committed: {}\n  generated: {}\nregenerate it with `{REGENERATE}` and commit it",
            path.display(),
            line + 1,
            committed.lines().nth(line).unwrap_or("<end of file>"),
            generated.lines().nth(line).unwrap_or("<end of file>"),
        );
    }
}

#[tokio::test]
async fn served_openapi_equals_the_generated_one_when_fetched() {
    // Arrange
    let app = TestApp::spawn(Backend::Sqlite).await;
    // Act
    let served = json_of(app.get("/api-docs/openapi.json").await, StatusCode::OK).await;
    // Assert
    let generated = generated();
    let differing = |section: &str| -> Vec<String> {
        let keys = |doc: &Value| doc[section].as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
        let mut names = keys(&served).unwrap_or_default();
        names.extend(keys(&generated).unwrap_or_default());
        names.sort();
        names.dedup();
        names.retain(|name| served[section][name] != generated[section][name]);
        names
    };
    assert!(
        served == generated,
        "the served document differs from cress_api::app::openapi_json(): paths {:?}, components {:?}",
        differing("paths"),
        differing("components"),
    );
}

#[tokio::test]
async fn swagger_ui_returns_html_when_asked_with_a_trailing_slash() {
    // Arrange
    let app = TestApp::spawn(Backend::Sqlite).await;
    // Act
    let response = app.get("/swagger-ui/").await;
    // Assert
    assert_eq!(response.status(), StatusCode::OK, "/swagger-ui/");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "content type {content_type:?}");
    let page = response.text().await.expect("a body");
    assert!(page.to_ascii_lowercase().contains("<html"), "an HTML page: {page}");
}

#[tokio::test]
async fn swagger_ui_redirects_to_the_trailing_slash_when_asked_without() {
    // Arrange
    let app = TestApp::spawn(Backend::Sqlite).await;
    for path in ["/swagger-ui", "/"] {
        // Act
        let response = app.get(path).await;
        // Assert
        assert!(
            response.status().is_redirection(),
            "{path} answered {}",
            response.status()
        );
        let location = response.headers().get("location").and_then(|v| v.to_str().ok());
        assert_eq!(location, Some("/swagger-ui/"), "{path} redirects to the Swagger UI");
    }
}

#[test]
fn openapi_documents_summary_tag_success_and_problem_responses_when_generated() {
    // Arrange
    let doc = generated();
    let operations = operations(&doc);
    assert!(
        operations.len() >= 7,
        "the document lists the operations: {operations:?}"
    );
    let mut faults = Vec::new();
    // Act
    for (path, method, op) in &operations {
        let at = format!("{} {path}", method.to_ascii_uppercase());
        if op["summary"].as_str().is_none_or(|s| s.trim().is_empty()) {
            faults.push(format!("{at}: no summary"));
        }
        if op["tags"].as_array().is_none_or(|tags| tags.is_empty()) {
            faults.push(format!("{at}: no tag"));
        }
        let responses = op["responses"].as_object().cloned().unwrap_or_default();
        if !responses.keys().any(|status| status.starts_with('2')) {
            faults.push(format!("{at}: no 2xx response"));
        }
        if path != "/health/live" && !responses.contains_key("500") {
            faults.push(format!("{at}: 500 is not documented"));
        }
        for (status, response) in responses
            .iter()
            .filter(|(s, _)| s.starts_with('4') || s.starts_with('5'))
        {
            let Some(reference) = response["$ref"]
                .as_str()
                .filter(|r| r.starts_with("#/components/responses/"))
            else {
                faults.push(format!(
                    "{at}: {status} does not refer to a shared problem response: {response}"
                ));
                continue;
            };
            let Some(shared) = resolve(&doc, reference) else {
                faults.push(format!("{at}: {status} refers to {reference}, which does not exist"));
                continue;
            };
            let example = &shared["content"]["application/problem+json"]["example"];
            if !example.is_object() {
                faults.push(format!("{at}: {reference} has no application/problem+json example"));
            } else if status.parse::<u64>().ok() != example["status"].as_u64() {
                faults.push(format!(
                    "{at}: {status} refers to {reference}, whose example has status {}",
                    example["status"]
                ));
            }
        }
    }
    // Assert
    assert!(
        faults.is_empty(),
        "the OpenAPI document is incomplete:\n  {}",
        faults.join("\n  ")
    );
}

#[test]
fn openapi_resolves_every_ref_when_generated() {
    // Arrange
    let doc = generated();
    let mut references = Vec::new();
    let mut pending = vec![&doc];
    while let Some(value) = pending.pop() {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    references.push(reference.clone());
                }
                pending.extend(map.values());
            }
            Value::Array(items) => pending.extend(items),
            _ => {}
        }
    }
    // Act
    let dangling: Vec<&String> = references.iter().filter(|r| resolve(&doc, r).is_none()).collect();
    // Assert
    assert!(!references.is_empty(), "the document has references");
    assert!(dangling.is_empty(), "references to nothing: {dangling:?}");
}

/// The schema `name` of the generated document.
fn schema(doc: &Value, name: &str) -> Value {
    doc["components"]["schemas"][name].clone()
}

on_both_backends! {
    async fn create_returns_201_when_body_is_the_documented_example(app: TestApp) {
        // Arrange
        let doc = generated();
        let example = schema(&doc, "CreateOrganisationRequest")["example"].clone();
        assert!(example.is_object(), "CreateOrganisationRequest has an example");
        // Act
        let response = app.post_json("/api/v1/organisations", &example).await;
        // Assert
        let created = json_of(response, StatusCode::CREATED).await;
        assert_eq!(created["name"], example["name"], "created from the example: {created}");
        let documented = schema(&doc, "OrganisationResponse")["example"].clone();
        let keys = |value: &Value| -> Vec<String> {
            let mut keys: Vec<String> = value.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
            keys.sort();
            keys
        };
        assert_eq!(keys(&created), keys(&documented), "the response example has the fields of a real response");
    }

    async fn update_returns_200_when_body_is_the_documented_example(app: TestApp) {
        // Arrange
        let doc = generated();
        let example = schema(&doc, "UpdateOrganisationRequest")["example"].clone();
        assert!(example.is_object(), "UpdateOrganisationRequest has an example");
        let target = app.create_organisation(organisation("Cress Occitanie", json!({"category": "network"}))).await;
        let path = format!("/api/v1/organisations/{}", target["id"].as_str().expect("an id"));
        // Act
        let response = app.patch_json(&path, &example).await;
        // Assert
        let updated = json_of(response, StatusCode::OK).await;
        for (field, value) in example.as_object().expect("an object") {
            assert_eq!(&updated[field], value, "{field} patched from the example: {updated}");
        }
    }

    async fn create_returns_201_when_a_documented_property_example_is_added(app: TestApp) {
        // Arrange
        let doc = generated();
        let properties = schema(&doc, "CreateOrganisationRequest")["properties"].clone();
        let examples: Vec<(String, Value)> = properties
            .as_object()
            .expect("CreateOrganisationRequest has properties")
            .iter()
            .filter_map(|(field, property)| {
                let example = property.get("example").cloned().or_else(|| property["examples"].get(0).cloned())?;
                Some((field.clone(), example))
            })
            .collect();
        assert!(examples.len() >= 5, "properties have examples: {examples:?}");
        for (field, example) in examples {
            // Act
            let body = organisation(&format!("Exemple de {field}"), json!({ field.clone(): example }));
            let response = app.post_json("/api/v1/organisations", &body).await;
            // Assert
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            assert_eq!(status, StatusCode::CREATED, "the example of {field}, {example}, is refused: {text}");
        }
    }
}
