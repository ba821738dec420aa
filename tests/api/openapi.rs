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
pub(crate) fn operations(doc: &Value) -> Vec<(String, String, Value)> {
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
pub(crate) fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
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
    assert!(
        page.contains("<title>cress-api"),
        "the page's title names the API: {page}"
    );
    let initializer = app
        .get("/swagger-ui/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        initializer.contains("\"persistAuthorization\": true"),
        "an authorisation survives a reload: {initializer}"
    );
}

/// Swagger UI fills a parameter's field from its example: a list filter with one would be sent
/// by "Try it out" and hide most of the list. Examples of filters go into their description.
#[test]
fn no_query_parameter_has_an_example_that_try_it_out_would_send() {
    let doc = generated();
    let mut prefilled = Vec::new();
    for (path, method, op) in operations(&doc) {
        for parameter in op["parameters"].as_array().into_iter().flatten() {
            // The parameter, its schema, and the components its schema names.
            let mut schemas = vec![parameter.clone(), parameter["schema"].clone()];
            let text = parameter["schema"].to_string();
            for piece in text.split("#/components/schemas/").skip(1) {
                let name = piece.split('"').next().unwrap_or_default();
                schemas.push(doc["components"]["schemas"][name].clone());
            }
            if parameter["in"] == "query"
                && schemas.iter().any(|s| {
                    s.get("example").is_some()
                        || s.get("examples").is_some()
                        || s.get("default").is_some() && s.get("enum").is_some()
                })
            {
                prefilled.push(format!(
                    "{method} {path} ?{}",
                    parameter["name"].as_str().unwrap_or_default()
                ));
            }
        }
    }
    assert!(prefilled.is_empty(), "pre-filled by Try it out: {prefilled:?}");
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
            // A shared response (`$ref`), or one written for this operation with its own examples.
            let (name, described) = match response["$ref"].as_str() {
                Some(reference) => match resolve(&doc, reference) {
                    Some(shared) if reference.starts_with("#/components/responses/") => (reference.to_owned(), shared),
                    _ => {
                        faults.push(format!(
                            "{at}: {status} refers to {reference}, which is not a shared response"
                        ));
                        continue;
                    }
                },
                None => (format!("its inline {status}"), response),
            };
            let content = &described["content"]["application/problem+json"];
            if content["schema"]["$ref"] != "#/components/schemas/Problem" {
                faults.push(format!(
                    "{at}: {status} ({name}) is not an application/problem+json Problem"
                ));
                continue;
            }
            let mut examples: Vec<&Value> = content["examples"]
                .as_object()
                .map(|named| named.values().map(|e| &e["value"]).collect())
                .unwrap_or_default();
            if content["example"].is_object() {
                examples.push(&content["example"]);
            }
            if examples.is_empty() {
                faults.push(format!("{at}: {status} ({name}) has no example"));
            }
            for example in examples {
                if status.parse::<u64>().ok() != example["status"].as_u64() {
                    faults.push(format!(
                        "{at}: {status} ({name}) has an example of status {}",
                        example["status"]
                    ));
                }
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

/// Every link of the document, as (source operation, status, link name, link).
fn links(doc: &Value) -> Vec<(Value, String, String, Value)> {
    operations(doc)
        .into_iter()
        .flat_map(|(_, _, op)| {
            let responses = op["responses"].as_object().cloned().unwrap_or_default();
            responses
                .into_iter()
                .flat_map(|(status, response)| {
                    let links = response["links"].as_object().cloned().unwrap_or_default();
                    links.into_iter().map(move |(name, link)| (status.clone(), name, link))
                })
                .map(|(status, name, link)| (op.clone(), status, name, link))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The operation with this `operationId`, as (path, method, operation).
fn operation_by_id(doc: &Value, id: &str) -> Option<(String, String, Value)> {
    operations(doc).into_iter().find(|(_, _, op)| op["operationId"] == id)
}

/// Whether `op` declares the parameter `name` in `place` (`path`, `query`, `header`).
fn declares(op: &Value, place: &str, name: &str) -> bool {
    op["parameters"]
        .as_array()
        .is_some_and(|parameters| parameters.iter().any(|p| p["in"] == place && p["name"] == name))
}

/// The creating operations (a POST answering 201) and the operations on what each creates.
const CREATED_RECORDS: [(&str, [&str; 3]); 9] = [
    (
        "create_organisation",
        ["get_organisation", "update_organisation", "delete_organisation"],
    ),
    (
        "create_esus_accreditation",
        [
            "get_esus_accreditation",
            "update_esus_accreditation",
            "delete_esus_accreditation",
        ],
    ),
    ("create_club", ["get_club", "update_club", "delete_club"]),
    (
        "add_club_member",
        ["get_club_member", "update_club_member", "remove_club_member"],
    ),
    ("create_event", ["get_event", "update_event", "delete_event"]),
    (
        "create_sponsorship",
        ["get_sponsorship", "update_sponsorship", "delete_sponsorship"],
    ),
    ("create_user", ["get_user", "update_user", "delete_user"]),
    ("create_client", ["get_client", "update_client", "delete_client"]),
    ("create_webhook", ["get_webhook", "update_webhook", "delete_webhook"]),
];

#[test]
fn openapi_links_each_creating_post_to_the_get_patch_and_delete_of_what_it_created() {
    // Arrange
    let doc = generated();
    let mut creating: Vec<String> = operations(&doc)
        .into_iter()
        .filter(|(_, method, op)| method == "post" && op["responses"].get("201").is_some())
        .map(|(_, _, op)| op["operationId"].as_str().unwrap_or_default().to_owned())
        .collect();
    creating.sort();
    let mut known: Vec<String> = CREATED_RECORDS.iter().map(|(id, _)| (*id).to_owned()).collect();
    known.sort();
    assert_eq!(
        creating, known,
        "every creating POST is listed here, with the operations on what it creates"
    );
    let mut faults = Vec::new();
    for (source, targets) in CREATED_RECORDS {
        let (_, _, op) = operation_by_id(&doc, source).expect("the creating operation exists");
        for target in targets {
            // Act
            let link = &op["responses"]["201"]["links"][target];
            // Assert
            if link["operationId"] != target {
                faults.push(format!("{source} 201: no link to {target}"));
                continue;
            }
            let parameters = link["parameters"].as_object().cloned().unwrap_or_default();
            if !parameters.iter().any(|(name, value)| {
                name.starts_with("path.") && value.as_str().is_some_and(|v| v.starts_with("$response.body#/"))
            }) {
                faults.push(format!(
                    "{source} 201 → {target}: the created record's id does not come from the body: {link}"
                ));
            }
            let condition = if target.starts_with("get_") {
                "header.If-None-Match"
            } else {
                "header.If-Match"
            };
            if parameters.get(condition).and_then(Value::as_str) != Some("$response.header.ETag") {
                faults.push(format!(
                    "{source} 201 → {target}: the answer's ETag is not sent as {condition}: {link}"
                ));
            }
        }
    }
    assert!(faults.is_empty(), "{faults:#?}");
}

#[test]
fn openapi_links_each_list_to_its_next_page_with_next_cursor_when_generated() {
    // Arrange
    let doc = generated();
    let lists: Vec<(String, Value)> = operations(&doc)
        .into_iter()
        .filter(|(_, method, op)| {
            method == "get" && (declares(op, "query", "cursor") || declares(op, "query", "after"))
        })
        .map(|(path, _, op)| (path, op))
        .collect();
    assert!(
        lists.len() >= 10,
        "the lists: {:?}",
        lists.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    let mut faults = Vec::new();
    for (path, op) in lists {
        let id = op["operationId"].as_str().unwrap_or_default();
        let cursor = if declares(&op, "query", "cursor") {
            "cursor"
        } else {
            "after"
        };
        // Act
        let link = &op["responses"]["200"]["links"][id];
        // Assert
        if link["parameters"][format!("query.{cursor}")] != "$response.body#/next_cursor" {
            faults.push(format!("GET {path}: no link to its next page through {cursor}: {link}"));
        }
        for parameter in op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
        {
            let name = parameter["name"].as_str().unwrap_or_default();
            if link["parameters"][format!("path.{name}")] != format!("$request.path.{name}") {
                faults.push(format!(
                    "GET {path}: the next page is not on the same path ({name}): {link}"
                ));
            }
        }
    }
    assert!(faults.is_empty(), "{faults:#?}");
}

#[test]
fn openapi_links_name_existing_operations_and_parameters_when_generated() {
    // Arrange
    let doc = generated();
    let mut ids: Vec<String> = operations(&doc)
        .iter()
        .filter_map(|(_, _, op)| op["operationId"].as_str().map(str::to_owned))
        .collect();
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "operationIds are unique, so that links can name them");
    let links = links(&doc);
    assert!(links.len() >= 150, "the document has its links: {}", links.len());
    let mut faults = Vec::new();
    for (source, status, name, link) in links {
        let at = format!("{} {status} → {name}", source["operationId"]);
        // Act
        let Some((_, _, target)) = link["operationId"].as_str().and_then(|id| operation_by_id(&doc, id)) else {
            faults.push(format!("{at}: names no operation: {link}"));
            continue;
        };
        // Assert
        for (parameter, expression) in link["parameters"].as_object().cloned().unwrap_or_default() {
            let (place, parameter_name) = parameter.split_once('.').unwrap_or_default();
            if !declares(&target, place, parameter_name) {
                faults.push(format!(
                    "{at}: {parameter} is no parameter of {}",
                    target["operationId"]
                ));
            }
            let expression = expression.as_str().unwrap_or_default();
            if let Some(given) = expression.strip_prefix("$request.") {
                let (place, given_name) = given.split_once('.').unwrap_or_default();
                if !declares(&source, place, given_name) {
                    faults.push(format!("{at}: {expression} is no parameter of the source"));
                }
            } else if !(expression.starts_with("$response.body#/") || expression == "$response.header.ETag") {
                faults.push(format!(
                    "{at}: {parameter} takes {expression}, which is not a value of the answer"
                ));
            }
            if expression == "$response.header.ETag" && source["responses"][&status]["headers"].get("ETag").is_none() {
                faults.push(format!("{at}: the answer {status} documents no ETag to send"));
            }
        }
    }
    assert!(faults.is_empty(), "{faults:#?}");
}

/// The value of a link's runtime expression in an answer with this body and `ETag`.
fn evaluate(expression: &str, body: &Value, etag: &str) -> String {
    if expression == "$response.header.ETag" {
        return etag.to_owned();
    }
    let pointer = expression.strip_prefix("$response.body#").expect("a body expression");
    body.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{expression} is not a string of {body}"))
        .to_owned()
}

on_both_backends! {
    async fn following_the_links_of_a_created_organisation_reaches_it_when_the_server_answers(app: TestApp) {
        // Arrange
        let doc = generated();
        let response = app.post_json("/api/v1/organisations", &organisation("Cress Occitanie", json!({"category": "network"}))).await;
        let etag = response.headers().get("etag").and_then(|v| v.to_str().ok()).expect("an ETag").to_owned();
        let created = json_of(response, StatusCode::CREATED).await;
        let (_, _, create) = operation_by_id(&doc, "create_organisation").expect("create_organisation");
        // the reads first, the deletion last
        for (target, expected) in [
            ("get_organisation", StatusCode::NOT_MODIFIED),
            ("organisation_history", StatusCode::OK),
            ("list_esus_accreditations", StatusCode::OK),
            ("delete_organisation", StatusCode::NO_CONTENT),
        ] {
            let link = &create["responses"]["201"]["links"][target];
            let (mut url, method, _) = operation_by_id(&doc, target).expect("the target exists");
            let mut headers = Vec::new();
            for (parameter, expression) in link["parameters"].as_object().cloned().unwrap_or_default() {
                let value = evaluate(expression.as_str().unwrap_or_default(), &created, &etag);
                match parameter.split_once('.') {
                    Some(("path", name)) => url = url.replace(&format!("{{{name}}}"), &value),
                    Some(("header", name)) => headers.push((name.to_owned(), value)),
                    other => panic!("{target}: unexpected parameter {other:?}"),
                }
            }
            let method: reqwest::Method = method.to_ascii_uppercase().parse().expect("an HTTP method");
            let mut request = app.as_admin().request(method.clone(), &url);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            // Act
            let answer = request.send().await.expect("the server answers");
            // Assert
            assert_eq!(answer.status(), expected, "{method} {url} from the link to {target}");
        }
    }
}

#[test]
fn openapi_links_each_deletion_to_the_reads_that_then_answer_404_but_not_to_the_history() {
    // Arrange
    let doc = generated();
    let deletions: Vec<(String, Value)> = operations(&doc)
        .into_iter()
        .filter(|(_, method, op)| method == "delete" && op["responses"].get("204").is_some())
        .map(|(path, _, op)| (path, op))
        .collect();
    assert!(deletions.len() >= 8, "the deletions: {deletions:?}");
    let mut faults = Vec::new();
    for (path, op) in deletions {
        // Act
        let links = op["responses"]["204"]["links"].as_object().cloned().unwrap_or_default();
        // Assert
        let read = operations(&doc)
            .into_iter()
            .find(|(p, method, _)| *p == path && method == "get")
            .map(|(_, _, read)| read["operationId"].clone());
        if read
            .as_ref()
            .and_then(Value::as_str)
            .is_none_or(|read| !links.contains_key(read))
        {
            faults.push(format!(
                "DELETE {path}: no link to the read of what it deleted ({read:?})"
            ));
        }
        if links.keys().any(|name| name.ends_with("_history")) {
            faults.push(format!(
                "DELETE {path}: links to the history, which outlives the record"
            ));
        }
    }
    assert!(faults.is_empty(), "{faults:#?}");
}

/// The values of the `code` enum of the schema `name`.
fn code_enum(doc: &Value, name: &str) -> Vec<String> {
    schema(doc, name)["properties"]["code"]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("{name}.code is an enum"))
        .iter()
        .map(|code| code.as_str().expect("a code is a string").to_owned())
        .collect()
}

on_both_backends! {
    async fn the_codes_answered_are_among_the_closed_sets_the_document_lists(app: TestApp) {
        let doc = generated();
        let (problems, fields) = (code_enum(&doc, "Problem"), code_enum(&doc, "FieldError"));
        assert!(problems.len() > 30 && fields.len() > 20, "{problems:?} {fields:?}");
        assert_eq!(code_enum(&doc, "ProblemType"), problems);
        let page = &doc["paths"]["/problems/{code}"]["get"]["parameters"][0];
        assert_eq!(page["schema"]["enum"], json!(problems), "the problem page's path lists the codes");
        let bad = organisation("", json!({"siren": "775672273", "region_code": "99", "email": "x"}));
        let invalid = app.post_json("/api/v1/organisations", &bad).await;
        let body = json_of(invalid, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(problems.contains(&body["code"].as_str().unwrap().to_owned()));
        let answered: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
        assert_eq!(answered.len(), 4, "{body}");
        for code in answered {
            assert!(fields.iter().any(|f| f == code), "{code} is not among {fields:?}");
        }
        let missing = json_of(app.get("/api/v1/nothing").await, StatusCode::NOT_FOUND).await;
        assert!(problems.contains(&missing["code"].as_str().unwrap().to_owned()));
    }
}

/// The component schemas `value` refers to, followed through the schemas they refer to.
fn schemas_reached(doc: &Value, value: &Value, reached: &mut std::collections::BTreeSet<String>) {
    match value {
        Value::Object(fields) => {
            if let Some(name) = fields
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                && reached.insert(name.to_owned())
            {
                schemas_reached(doc, &doc["components"]["schemas"][name], reached);
            }
            fields.values().for_each(|field| schemas_reached(doc, field, reached));
        }
        Value::Array(items) => items.iter().for_each(|item| schemas_reached(doc, item, reached)),
        _ => {}
    }
}

/// The fields that answers leave out at times, by `Schema.property`: the `total` of a page
/// without `count=true`, confidential fields the caller may not see, the extension members of
/// a problem, and the like. Any other field of an answer is always sent.
const MAY_BE_ABSENT: [&str; 18] = [
    "BeneficiaryResponse.name",
    "EsusAccreditationRecord.notes",
    "EsusAccreditationResponse.notes",
    "FieldError.line",
    "FieldError.row",
    "Health.database",
    "OrganisationRecord.email",
    "OrganisationRecord.phone",
    "OrganisationResponse.email",
    "OrganisationResponse.phone",
    "Problem.error",
    "Problem.error_count",
    "Problem.error_counts",
    "Problem.error_description",
    "Problem.existing_id",
    "SponsorshipRecord.notes",
    "SponsorshipResponse.notes",
    "TokenResponse.refresh_token",
];

#[test]
fn every_field_an_answer_always_sends_is_required_and_nullable_where_null_is_possible() {
    let doc = generated();
    let (mut requests, mut answers) = (Default::default(), Default::default());
    for (_, _, operation) in operations(&doc) {
        schemas_reached(&doc, &operation["requestBody"], &mut requests);
        schemas_reached(&doc, &operation["parameters"], &mut requests);
        schemas_reached(&doc, &operation["responses"], &mut answers);
    }
    schemas_reached(&doc, &doc["components"]["responses"], &mut answers);
    let mut optional = Vec::new();
    for name in answers.difference(&requests) {
        let schema = schema(&doc, name);
        let required: Vec<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for (property, value) in schema["properties"].as_object().into_iter().flatten() {
            let nullable = value["type"].as_array().is_some_and(|t| t.contains(&json!("null")))
                || value["oneOf"]
                    .as_array()
                    .is_some_and(|o| o.iter().any(|s| s["type"] == "null"));
            let may_be_absent = property == "total" && name.ends_with("Page")
                || MAY_BE_ABSENT.contains(&format!("{name}.{property}").as_str());
            if nullable && !required.contains(&property.as_str()) && !may_be_absent {
                optional.push(format!("{name}.{property}"));
            }
        }
    }
    assert!(
        optional.is_empty(),
        "always sent, yet not required (add #[schema(required = true)], or list it in MAY_BE_ABSENT when the server leaves it out): {optional:?}"
    );
}
