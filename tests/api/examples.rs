//! Try it out as given (issue 15): every operation of the OpenAPI document, sent as Swagger UI
//! pre-fills it — the example of its request body, no query parameter (none has an example) —
//! with the ids of the demo data in its path, answers its documented success. Ids that an
//! example names in its body (a host organisation, a sponsor) are demo ids too: a person trying
//! it out types the ids they see in the lists. Each answer holds every field its schema says is
//! required.

use std::collections::HashMap;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{TestApp, json_of, settings_for};
use crate::on_both_backends;
use crate::openapi::{operations, resolve};

/// Records are created in this order and deleted in the reverse one, so that what a record
/// refers to exists when it is created and is no longer referred to when it is deleted.
const COLLECTIONS: [&str; 9] = [
    "organisations",
    "esus-accreditations",
    "clubs",
    "members",
    "events",
    "sponsorships",
    "users",
    "clients",
    "webhooks",
];

/// One operation as Swagger UI's Try it out sends it.
struct TryItOut {
    method: Method,
    path: String,
    /// The content type and the example of the request body, if it has one.
    body: Option<(String, Value)>,
    success: StatusCode,
    /// The schema of the success's JSON answer, if it has one.
    answer: Option<Value>,
}

/// What the document pre-fills for an operation.
fn try_it_out(doc: &Value, path: &str, method: &str, operation: &Value) -> TryItOut {
    // Swagger UI offers the first media type (JSON, in name order), with its example or one
    // made from its schema's: an array of the items' example.
    let body = operation["requestBody"]["content"].as_object().and_then(|content| {
        let (content_type, media) = content
            .get_key_value("application/json")
            .or_else(|| content.iter().next())?;
        let schema_example = |schema: &Value| match schema["$ref"].as_str() {
            Some(reference) => resolve(doc, reference).and_then(|s| s.get("example")).cloned(),
            None => schema.get("example").cloned(),
        };
        let schema = &media["schema"];
        let example = media
            .get("example")
            .cloned()
            .or_else(|| match schema["type"].as_str() {
                Some("array") => schema_example(&schema["items"]).map(|item| Value::Array(vec![item])),
                _ => schema_example(schema),
            })?;
        Some((content_type.clone(), example))
    });
    let success = operation["responses"]
        .as_object()
        .and_then(|responses| responses.keys().filter(|code| code.starts_with('2')).min().cloned())
        .unwrap_or_else(|| panic!("{method} {path} documents a success"));
    TryItOut {
        method: method.to_uppercase().parse().expect("an HTTP method"),
        path: path.to_owned(),
        body,
        success: success
            .parse::<u16>()
            .ok()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .expect("a status"),
        answer: Some(operation["responses"][success.as_str()]["content"]["application/json"]["schema"].clone())
            .filter(|schema| !schema.is_null()),
    }
}

/// What an operation's path is about: the collection its `{id}` names, and the collection a POST
/// to it creates (if any).
fn collections_of(path: &str) -> (&'static str, Option<&'static str>) {
    let segments: Vec<&str> = path.trim_start_matches("/api/v1/").split('/').collect();
    let known = |name: &str| COLLECTIONS.iter().find(|c| **c == name).copied();
    match segments.as_slice() {
        ["organisations", "{id}", "esus-accreditations"] => ("organisations", Some("esus-accreditations")),
        ["clubs", "{id}", "members"] => ("clubs", Some("members")),
        ["clubs", "{id}", "members", _] => ("members", None),
        [first] => (known(first).unwrap_or(""), known(first)),
        [first, ..] => (known(first).unwrap_or(""), None),
        [] => ("", None),
    }
}

/// When an operation runs: creations first (in `COLLECTIONS` order), then reads and actions,
/// then changes, then deletions (in reverse order).
fn turn(method: &Method, path: &str) -> (u8, usize) {
    let (named, creates) = collections_of(path);
    let rank = |c: &str| COLLECTIONS.iter().position(|known| *known == c).unwrap_or(0);
    match (method, creates) {
        (&Method::POST, Some(created)) => (0, rank(created)),
        (&Method::PATCH, _) => (2, rank(named)),
        (&Method::DELETE, _) => (3, COLLECTIONS.len() - rank(named)),
        _ => (1, rank(named)),
    }
}

/// Where `value` lacks a property that `schema` requires (following `$ref`s, array items and
/// object properties): the document promises a client that every required field is sent.
fn missing_required(doc: &Value, schema: &Value, value: &Value, at: &str, missing: &mut Vec<String>) {
    let schema = match schema["$ref"].as_str() {
        Some(reference) => resolve(doc, reference).unwrap_or(&Value::Null),
        None => schema,
    };
    match value {
        Value::Object(fields) => {
            for name in schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !fields.contains_key(name) {
                    missing.push(format!("{at}.{name}"));
                }
            }
            for (name, field) in fields {
                let property = &schema["properties"][name.as_str()];
                if !property.is_null() {
                    missing_required(doc, property, field, &format!("{at}.{name}"), missing);
                }
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                missing_required(doc, &schema["items"], item, &format!("{at}[{index}]"), missing);
            }
        }
        _ => {}
    }
}

/// The id of the first item of a list.
async fn first_id(app: &TestApp, path: &str, field: &str) -> String {
    let page = json_of(app.get(path).await, StatusCode::OK).await;
    page["items"][0][field]
        .as_str()
        .unwrap_or_else(|| panic!("{path} lists something: {page}"))
        .to_owned()
}

/// Replaces the ids an example body names with records that exist: demo organisations, clubs and
/// events, and for a new membership or an accreditation the organisation the run created.
fn with_ids(body: &mut Value, demo: &HashMap<&str, String>, created: &HashMap<&str, String>) {
    let Some(fields) = body.as_object_mut() else { return };
    for (key, value) in fields.iter_mut() {
        let replacement = match key.as_str() {
            "host_organisation_id" | "sponsor_id" => demo.get("organisations"),
            "organisation_id" => created.get("organisations"),
            "club_id" => demo.get("clubs"),
            "beneficiary" => {
                let kind = match value["type"].as_str() {
                    Some("club") => "clubs",
                    Some("event") => "events",
                    _ => "organisations",
                };
                value["id"] = Value::from(created.get(kind).or(demo.get(kind)).cloned());
                None
            }
            _ => None,
        };
        if let Some(id) = replacement {
            *value = Value::from(id.clone());
        }
    }
}

on_both_backends! {
    async fn every_operation_succeeds_as_try_it_out_sends_it_on_the_demo_data(app: TestApp) {
        let settings = settings_for(&app.database_url);
        let store = cress_api::store::Store::connect(&settings).await.expect("the database");
        let auth = cress_api::auth::Auth::load(&settings).expect("the keys");
        cress_api::seed::demo(store, auth).await.expect("the demo data loads");
        let doc: Value = serde_json::from_str(&cress_api::app::openapi_json()).expect("the document");
        let mut demo: HashMap<&str, String> = HashMap::new();
        demo.insert("organisations", first_id(&app, "/api/v1/organisations?q=mutuelle", "id").await);
        demo.insert("clubs", first_id(&app, "/api/v1/clubs", "id").await);
        demo.insert("events", first_id(&app, "/api/v1/events", "id").await);
        demo.insert("sponsorships", first_id(&app, "/api/v1/sponsorships", "id").await);
        let accredited = first_id(&app, "/api/v1/organisations?esus_status=granted", "id").await;
        demo.insert(
            "esus-accreditations",
            first_id(&app, &format!("/api/v1/organisations/{accredited}/esus-accreditations"), "id").await,
        );

        let mut runs: Vec<TryItOut> = operations(&doc)
            .iter()
            .map(|(path, method, operation)| try_it_out(&doc, path, method, operation))
            .collect();
        runs.sort_by_key(|run| turn(&run.method, &run.path));
        let mut created: HashMap<&str, String> = HashMap::new();
        let mut failures = Vec::new();
        for run in runs {
            let (named, creates) = collections_of(&run.path);
            let (turn, _) = turn(&run.method, &run.path);
            // Creations and reads of what only the run has (accounts, clients, subscriptions)
            // use the run's records; reads of the register use the demo's; changes and
            // deletions, the run's own, so that the demo stays whole for the other operations.
            // A membership is of the demo club; an accreditation is made for the run's organisation.
            let own = |c: &str| created.get(c).cloned();
            let id = match (turn, named) {
                (_, "members" | "clubs") if creates == Some("members") || named == "members" => demo.get("clubs").cloned(),
                (0, "organisations") => own("organisations"),
                (1, c) => demo.get(c).cloned().or_else(|| own(c)),
                (_, c) => own(c),
            };
            let mut path = run.path.clone();
            if path.contains("{id}") {
                let Some(id) = id else {
                    failures.push(format!("{} {}: no id for {named}", run.method, run.path));
                    continue;
                };
                path = path.replace("{id}", &id);
            }
            path = path.replace("{organisation_id}", &own("organisations").unwrap_or_default());
            if let Some(first) = doc["paths"][run.path.as_str()]["get"]["parameters"][0]["schema"]["enum"][0].as_str()
                && path.contains("{code}")
            {
                path = path.replace("{code}", first);
            }
            let mut request = app.as_admin().request(run.method.clone(), &path);
            if let Some((content_type, mut example)) = run.body.clone() {
                with_ids(&mut example, &demo, &created);
                request = request.header("content-type", content_type.as_str());
                request = match example {
                    Value::String(text) => request.body(text),
                    json => request.body(json.to_string()),
                };
            }
            let response = request.send().await.expect("the server answers");
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            if status != run.success {
                failures.push(format!("{} {path} answered {status} (documented: {}): {text}", run.method, run.success));
                continue;
            }
            if let (Some(schema), Ok(answer)) = (&run.answer, serde_json::from_str::<Value>(&text)) {
                let mut missing = Vec::new();
                missing_required(&doc, schema, &answer, "", &mut missing);
                if !missing.is_empty() {
                    failures.push(format!("{} {path}: required but not sent: {}", run.method, missing.join(", ")));
                }
            }
            if let (0, Some(collection)) = (turn, creates) {
                let answer: Value = serde_json::from_str(&text).unwrap_or_default();
                let id = answer["id"].as_str().or(answer["organisation_id"].as_str()).unwrap_or_default();
                created.insert(collection, id.to_owned());
            }
        }
        assert!(failures.is_empty(), "{} operations failed as pre-filled:\n{}", failures.len(), failures.join("\n"));
    }
}
