//! OpenAPI schemas written by hand: query parameters that take more than one form, and
//! answers that flatten a struct of fields into their own.

use std::borrow::Cow;

use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{OpenApi, RefOr};
use utoipa::{Modify, PartialSchema, ToSchema};

/// A bound of a time window given as a query parameter: an ISO 8601 date (`2026-11-01`) or an
/// RFC 3339 date and time with offset (`2026-11-01T09:30:00+01:00`).
pub struct DateOrDateTimeSchema;

impl PartialSchema for DateOrDateTimeSchema {
    fn schema() -> RefOr<Schema> {
        let date = ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::String))
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Date,
            )));
        let date_time = ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::String))
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )));
        utoipa::openapi::schema::AnyOfBuilder::new()
            .item(date)
            .item(date_time)
            .description(Some(
                "A date (`2026-11-01`) or an RFC 3339 date and time with offset (`2026-11-01T09:30:00+01:00`).",
            ))
            .into()
    }
}

impl ToSchema for DateOrDateTimeSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("DateOrDateTime")
    }
}

/// Answers that flatten a struct of fields into their own (`#[serde(flatten)]`, as
/// `EventResponse` does with the stored `EventFields`) are one object on the wire; the derive
/// writes an `allOf` of two inline objects. This makes each such schema the one object it is,
/// so that generated clients get one plain type.
pub struct FlattenedObjects;

impl Modify for FlattenedObjects {
    fn modify(&self, openapi: &mut OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for schema in components.schemas.values_mut() {
            if let RefOr::T(Schema::AllOf(all)) = schema
                && all.items.iter().all(|part| matches!(part, RefOr::T(Schema::Object(_))))
            {
                *schema = RefOr::T(Schema::Object(one_object(schema.clone())));
            }
        }
    }
}

/// One object of the parts of an `allOf` of inline objects: their properties and required
/// ones together, the description and example of the whole (or of its first described part).
pub fn one_object(schema: RefOr<Schema>) -> Object {
    let (description, example, parts) = match schema {
        RefOr::T(Schema::AllOf(all)) => (all.description, all.example, all.items),
        other => (None, None, vec![other]),
    };
    let mut object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(description)
        .build();
    object.example = example;
    for part in parts {
        if let RefOr::T(Schema::Object(part)) = part {
            object.description = object.description.or(part.description);
            object.example = object.example.or(part.example);
            object.properties.extend(part.properties);
            object.required.extend(part.required);
        }
    }
    object
}
