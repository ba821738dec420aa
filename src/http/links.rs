//! OpenAPI links (OpenAPI 3.1 §4.8.20): where an answer leads next, and with which of its
//! values. They are derived from the paths, so that a new resource gets them without a list to
//! keep up to date:
//!
//! - an answer that names a record (a creating POST's 201, a list's 200 by its first item, a
//!   GET's or PATCH's 200 and a DELETE's 204 on the record's own path) leads to every operation
//!   on that record and on its sub-resources (`/{id}/history`, `/{id}/members`,
//!   `/organisations/{id}/esus-accreditations`…), with the record's `ETag` as `If-Match` or
//!   `If-None-Match` when the answer carries one;
//! - a list's 200 leads to its next page: its `next_cursor` as `cursor` (the change feed's
//!   `after`), on the same path.
//!
//! Clients may follow them; schemathesis' stateful phase does (scripts/contract-test.sh), and
//! without them it could only guess how the operations connect.

use std::collections::BTreeMap;

use utoipa::Modify;
use utoipa::openapi::link::{Link, LinkBuilder};
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{OpenApi, RefOr, Response};

/// The query parameters that take a list's `next_cursor`: `cursor` on the lists, `after` on
/// the change feed.
const CURSOR_PARAMETERS: [&str; 2] = ["cursor", "after"];
/// The conditional request headers that take an answer's `ETag` (see `etag.rs`).
const CONDITIONAL_HEADERS: [&str; 2] = ["If-Match", "If-None-Match"];
/// The sub-resource that outlives its record: the history (the audit trail, deletion included)
/// still answers once the record is deleted, so a deletion does not lead to it, while every
/// other operation on the record then answers 404 (which the links from a DELETE let clients,
/// and schemathesis' use-after-free check, verify).
const OUTLIVES_ITS_RECORD: &str = "/history";

/// Adds the links to every operation of the document. Runs after the routes are collected and
/// after `etag::ConditionalRequests`, whose `ETag` headers and conditional parameters it reads.
pub struct Links;

impl Modify for Links {
    fn modify(&self, openapi: &mut OpenApi) {
        let operations = documented(openapi);
        let planned: Vec<Planned> = operations
            .iter()
            .flat_map(|source| {
                let mut links = record_links(source, &operations);
                links.extend(next_page_link(source, openapi));
                links
            })
            .collect();
        for item in openapi.paths.paths.values_mut() {
            for operation in operations_mut(item) {
                for planned in planned
                    .iter()
                    .filter(|p| operation.operation_id.as_ref() == Some(&p.source))
                {
                    if let Some(RefOr::T(response)) = operation.responses.responses.get_mut(planned.status) {
                        response
                            .links
                            .insert(planned.name.clone(), RefOr::T(planned.link.clone()));
                    }
                }
            }
        }
    }
}

/// A link to add to the answer `status` of the operation `source` (an operation id).
struct Planned {
    source: String,
    status: &'static str,
    /// The target's operation id: an answer links at most once to each operation.
    name: String,
    link: Link,
}

/// A documented operation, as much of it as links need.
struct Documented<'a> {
    path: &'a str,
    method: &'static str,
    operation: &'a Operation,
}

impl Documented<'_> {
    fn id(&self) -> &str {
        self.operation.operation_id.as_deref().unwrap_or_default()
    }

    fn parameters(&self, place: ParameterIn) -> impl Iterator<Item = &str> {
        self.operation
            .parameters
            .iter()
            .flatten()
            .filter_map(move |parameter| match parameter {
                RefOr::T(p) if p.parameter_in == place => Some(p.name.as_str()),
                _ => None,
            })
    }

    fn takes(&self, place: ParameterIn, name: &str) -> bool {
        self.parameters(place).any(|p| p == name)
    }

    fn answer(&self, status: &str) -> Option<&Response> {
        match self.operation.responses.responses.get(status) {
            Some(RefOr::T(response)) => Some(response),
            _ => None,
        }
    }

    /// Whether the operation's JSON answer `status` has the top-level property `name`.
    fn answers_property(&self, status: &str, name: &str, openapi: &OpenApi) -> bool {
        let schema = self
            .answer(status)
            .and_then(|response| response.content.get("application/json"))
            .and_then(|content| match content {
                RefOr::T(content) => content.schema.as_ref(),
                RefOr::Ref(_) => None,
            });
        let schema = match schema {
            Some(RefOr::Ref(reference)) => reference
                .ref_location
                .strip_prefix("#/components/schemas/")
                .and_then(|name| openapi.components.as_ref()?.schemas.get(name)),
            other => other,
        };
        matches!(schema, Some(RefOr::T(Schema::Object(object))) if object.properties.contains_key(name))
    }
}

/// Every operation of the document, with its path and method.
fn documented(openapi: &OpenApi) -> Vec<Documented<'_>> {
    openapi
        .paths
        .paths
        .iter()
        .flat_map(|(path, item)| {
            [
                ("get", &item.get),
                ("post", &item.post),
                ("patch", &item.patch),
                ("delete", &item.delete),
                ("put", &item.put),
            ]
            .into_iter()
            .filter_map(move |(method, operation)| {
                operation.as_ref().map(|operation| Documented {
                    path,
                    method,
                    operation,
                })
            })
        })
        .collect()
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.post.as_mut(),
        item.patch.as_mut(),
        item.delete.as_mut(),
        item.put.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// The names of the `{…}` parameters of a path, in order.
fn path_names(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

/// The path of one record of the collection at `collection`: the path that names it by a last
/// parameter right after the collection's name, and whose other parameters the collection's
/// path gives. Usually `<collection>/{…}`; records created under a parent may live at the top
/// (accreditations posted to `/organisations/{id}/esus-accreditations` are at
/// `/esus-accreditations/{id}`). `None` unless exactly one path fits.
fn record_path<'a>(collection: &str, operations: &[Documented<'a>]) -> Option<&'a str> {
    let name = collection.rsplit('/').next()?;
    let given = path_names(collection);
    let mut fitting: Vec<&str> = operations
        .iter()
        .map(|operation| operation.path)
        .filter(|path| {
            let names = path_names(path);
            let Some((last, others)) = names.split_last() else {
                return false;
            };
            path.strip_suffix(&format!("/{{{last}}}"))
                .is_some_and(|rest| rest.ends_with(&format!("/{name}")))
                && others.iter().all(|other| given.contains(other))
        })
        .collect();
    fitting.dedup();
    match fitting.as_slice() {
        [path] => Some(path),
        _ => None,
    }
}

/// A record that an answer names: its path, and the runtime expression giving the value of
/// each of the path's parameters.
struct Record<'a> {
    path: &'a str,
    values: BTreeMap<String, String>,
    /// Whether the answer deleted it.
    deleted: bool,
}

impl<'a> Record<'a> {
    /// A record at `path` whose last parameter is the property of that name in the answer's
    /// body at `pointer` (a JSON pointer prefix, such as `` or `/items/0`), the others those of
    /// the request's path.
    fn in_body(path: &'a str, pointer: &str) -> Self {
        let names = path_names(path);
        let last = names.last().copied().unwrap_or_default();
        let values = names
            .iter()
            .map(|name| {
                let value = if *name == last {
                    format!("$response.body#{pointer}/{name}")
                } else {
                    format!("$request.path.{name}")
                };
                ((*name).to_owned(), value)
            })
            .collect();
        Self {
            path,
            values,
            deleted: false,
        }
    }

    /// The record at the request's own path, `deleted` by it or not.
    fn requested(path: &'a str, deleted: bool) -> Self {
        let values = path_names(path)
            .into_iter()
            .map(|name| (name.to_owned(), format!("$request.path.{name}")))
            .collect();
        Self { path, values, deleted }
    }

    /// The operations on the record and on its sub-resources whose path parameters it gives;
    /// once it is deleted, not its history.
    fn reaches(&self, target: &Documented<'_>) -> bool {
        let within = match target.path.strip_prefix(self.path) {
            Some("") => true,
            Some(rest) => rest.starts_with('/') && !(self.deleted && rest.starts_with(OUTLIVES_ITS_RECORD)),
            None => false,
        };
        within
            && target
                .parameters(ParameterIn::Path)
                .all(|name| self.values.contains_key(name))
    }
}

/// The records that the answers of `source` name, by status.
fn named_records<'a>(source: &Documented<'a>, operations: &[Documented<'a>]) -> Vec<(&'static str, Record<'a>)> {
    let single = source.path.ends_with('}');
    let record = match (source.method, single) {
        ("post", false) => record_path(source.path, operations).map(|path| ("201", Record::in_body(path, ""))),
        ("get", false) => record_path(source.path, operations).map(|path| ("200", Record::in_body(path, "/items/0"))),
        ("get" | "patch", true) => Some(("200", Record::requested(source.path, false))),
        ("delete", true) => Some(("204", Record::requested(source.path, true))),
        _ => None,
    };
    record
        .into_iter()
        .filter(|(status, _)| source.answer(status).is_some())
        .collect()
}

/// The links from each answer of `source` that names a record to the operations on it.
fn record_links(source: &Documented<'_>, operations: &[Documented<'_>]) -> Vec<Planned> {
    let mut planned = Vec::new();
    for (status, record) in named_records(source, operations) {
        let tagged = source
            .answer(status)
            .is_some_and(|response| response.headers.contains_key("ETag"));
        for target in operations.iter().filter(|target| record.reaches(target)) {
            let mut link = LinkBuilder::new().operation_id(target.id());
            for name in target.parameters(ParameterIn::Path) {
                link = link.parameter(format!("path.{name}"), record.values[name].as_str());
            }
            if tagged && target.path == record.path {
                for header in CONDITIONAL_HEADERS {
                    if target.takes(ParameterIn::Header, header) {
                        link = link.parameter(format!("header.{header}"), "$response.header.ETag");
                    }
                }
            }
            planned.push(Planned {
                source: source.id().to_owned(),
                status,
                name: target.id().to_owned(),
                link: link.build(),
            });
        }
    }
    planned
}

/// The link from a list's 200 to its next page: `next_cursor` into the parameter that takes it,
/// on the same path. The filters and `sort` must be sent again too, but a link cannot say "the
/// request's value, when it had one" (`$request.query.q` is unresolvable when the request had no
/// `q`), so its description says it.
fn next_page_link(source: &Documented<'_>, openapi: &OpenApi) -> Option<Planned> {
    if source.method != "get" || !source.answers_property("200", "next_cursor", openapi) {
        return None;
    }
    let cursor = CURSOR_PARAMETERS
        .into_iter()
        .find(|name| source.takes(ParameterIn::Query, name))?;
    let mut link = LinkBuilder::new()
        .operation_id(source.id())
        .description(format!(
            "The next page: `{cursor}` is this page's `next_cursor`; send the same filters and order again."
        ))
        .parameter(format!("query.{cursor}"), "$response.body#/next_cursor");
    for name in source.parameters(ParameterIn::Path) {
        link = link.parameter(format!("path.{name}"), format!("$request.path.{name}"));
    }
    Some(Planned {
        source: source.id().to_owned(),
        status: "200",
        name: source.id().to_owned(),
        link: link.build(),
    })
}
