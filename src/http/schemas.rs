//! OpenAPI schemas for values that travel as plain strings but have a closed set of values.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::domain::codes::RegionCode;

/// INSEE code of a region (COG since 2016): the 18 regions, each with a Cress.
pub struct RegionCodeSchema;

impl PartialSchema for RegionCodeSchema {
    fn schema() -> RefOr<Schema> {
        let description = RegionCode::ALL
            .iter()
            .filter_map(|code| {
                RegionCode::parse(code)
                    .ok()
                    .map(|region| format!("`{code}` {}", region.name()))
            })
            .collect::<Vec<_>>()
            .join(", ");
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::String))
            .description(Some(format!("INSEE region code: {description}.")))
            .enum_values(Some(RegionCode::ALL.to_vec()))
            // No example: Swagger UI would fill the region filter of every list with it.
            .into()
    }
}

impl ToSchema for RegionCodeSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("RegionCode")
    }
}

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
