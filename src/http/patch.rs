//! PATCH bodies written once for every resource: a JSON merge patch (RFC 7396) of the
//! resource's creation request. A patch is checked as the fields of a creation would be (a
//! wrong type or an unknown field is a 422 before anything is read), applied to the record as
//! its creation request would give it, and the result read and checked as a creation. Its
//! OpenAPI schema is the creation's, with nothing required. A resource declares its patch with
//! [`merge_patch!`].

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};
use validator::Validate;

use crate::domain::message::msg;
use crate::http::error::{ApiError, FieldError};
use crate::http::extract::{json_bytes, parse_json, parse_value};

/// A creation request whose merge patch is its resource's PATCH body (see [`merge_patch!`]).
pub trait Creation: DeserializeOwned + Validate + ToSchema + 'static {
    /// The name of the patch's schema, such as `UpdateEventRequest`.
    const PATCH_NAME: &'static str;
    /// The fields a creation may leave out, taking a default, that a patch may not clear: `null`
    /// for one of them is a 422 `required` (a field a creation requires is refused when the
    /// result is checked, as a creation without it would be).
    const KEPT: &'static [&'static str];
    /// The description of the patch's schema.
    fn patch_description() -> String;
    /// The example of the patch's schema.
    fn patch_example() -> Value;
}

/// Declares the PATCH body of a resource as the merge patch of its creation request: the type
/// alias its handler extracts and its OpenAPI operation names, the fields that keep a value, the
/// doc comment and the example of its schema.
macro_rules! merge_patch {
    (
        $(#[doc = $doc:literal])*
        #[example = json!($example:tt)]
        pub type $name:ident = MergePatch<$creation:ty>, kept: [$($kept:literal),* $(,)?];
    ) => {
        $(#[doc = $doc])*
        pub type $name = $crate::http::patch::MergePatch<$creation>;

        impl $crate::http::patch::Creation for $creation {
            const PATCH_NAME: &'static str = stringify!($name);
            const KEPT: &'static [&'static str] = &[$($kept),*];

            fn patch_description() -> String {
                $crate::http::patch::doc_text(&[$($doc),*])
            }

            fn patch_example() -> serde_json::Value {
                serde_json::json!($example)
            }
        }
    };
}
pub(crate) use merge_patch;

/// A JSON merge patch of the record a creation request `C` makes: the fields it names, each
/// already checked as `C` would check it.
#[derive(Debug, Clone)]
pub struct MergePatch<C> {
    fields: Map<String, Value>,
    creation: PhantomData<fn() -> C>,
}

impl<C: Creation> MergePatch<C> {
    /// The patch of `fields` (a row of a bulk import): a 422 naming the field when they would
    /// not make a creation request or clear a field that keeps a value.
    pub fn from_fields(fields: Map<String, Value>) -> Result<Self, ApiError> {
        parse_value::<C>(Value::Object(fields.clone()))?;
        Self::keeping(fields)
    }

    /// The patch of a JSON body: what [`parse_json`] answers for a creation request (a 422 naming
    /// the field, a duplicate key included), then the fields that keep a value.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ApiError> {
        parse_json::<C>(bytes)?;
        Self::keeping(parse_json(bytes)?)
    }

    fn keeping(fields: Map<String, Value>) -> Result<Self, ApiError> {
        let cleared: Vec<FieldError> = C::KEPT
            .iter()
            .filter(|field| fields.get(**field).is_some_and(Value::is_null))
            .map(|field| FieldError::new(*field, "required", msg!("field-required-not-null")))
            .collect();
        if !cleared.is_empty() {
            return Err(ApiError::Invalid(cleared));
        }
        Ok(Self {
            fields,
            creation: PhantomData,
        })
    }

    /// What the patch says of one field: `None` when it leaves the field out, `Some(None)` when it
    /// clears it.
    pub fn field<T: DeserializeOwned>(&self, name: &str) -> Option<Option<T>> {
        let value = self.fields.get(name)?;
        Some(serde_json::from_value::<Option<T>>(value.clone()).ok().flatten())
    }

    /// The creation request that would make `current` as this patch changes it. `current`
    /// serialises as the creation's fields do (a record's stored fields, with its lists).
    pub fn apply_to(&self, current: &impl Serialize) -> Result<C, ApiError> {
        let mut merged = serde_json::to_value(current).map_err(|error| ApiError::Internal(error.into()))?;
        merge(&mut merged, &self.fields);
        parse_value(merged)
    }
}

/// RFC 7396: each member of the patch replaces the target's, `null` removes it, and an object
/// is merged into the target's object member by member.
fn merge(target: &mut Value, patch: &Map<String, Value>) {
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(target) = target else { return };
    for (key, value) in patch {
        match value {
            Value::Null => {
                target.remove(key);
            }
            Value::Object(inner) => merge(target.entry(key.clone()).or_insert(Value::Null), inner),
            other => {
                target.insert(key.clone(), other.clone());
            }
        }
    }
}

/// The body of a PATCH, read by [`MergePatch::from_json`].
impl<C: Creation> FromRequest for MergePatch<C> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = json_bytes(req, payload);
        Box::pin(async move { Self::from_json(&bytes.await?) })
    }
}

impl<C: Creation> PartialSchema for MergePatch<C> {
    /// The creation's schema with nothing required, no defaults (a field left out stays as it
    /// is) and its own description and example; a field that keeps a value is not nullable.
    fn schema() -> RefOr<Schema> {
        let creation = C::schema();
        let Ok(Value::Object(mut schema)) = serde_json::to_value(&creation) else {
            return creation;
        };
        schema.remove("required");
        schema.insert("description".into(), Value::String(C::patch_description()));
        schema.insert("example".into(), C::patch_example());
        if let Some(Value::Object(properties)) = schema.get_mut("properties") {
            for (name, property) in properties.iter_mut() {
                if let Value::Object(property) = property {
                    property.remove("default");
                }
                if C::KEPT.contains(&name.as_str()) {
                    *property = not_null(property.take());
                }
            }
        }
        serde_json::from_value(Value::Object(schema)).unwrap_or(creation)
    }
}

impl<C: Creation> ToSchema for MergePatch<C> {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed(C::PATCH_NAME)
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        C::schemas(schemas);
    }
}

/// A property's schema without `null` among its types or alternatives.
fn not_null(property: Value) -> Value {
    let null = Value::String("null".into());
    let Value::Object(mut property) = property else {
        return property;
    };
    if let Some(Value::Array(types)) = property.get_mut("type") {
        types.retain(|t| *t != null);
        if let [only] = types.as_slice() {
            let only = only.clone();
            property.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(items)) = property.get("oneOf") {
        let kept: Vec<&Value> = items.iter().filter(|item| item.get("type") != Some(&null)).collect();
        if let [only] = kept.as_slice() {
            return (*only).clone();
        }
    }
    Value::Object(property)
}

/// A doc comment's lines as utoipa joins them into a description.
pub fn doc_text(lines: &[&str]) -> String {
    lines.iter().map(|line| line.trim()).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn merged(target: Value, patch: Value) -> Value {
        let mut target = target;
        let Value::Object(patch) = patch else {
            panic!("a patch is an object")
        };
        merge(&mut target, &patch);
        target
    }

    #[test]
    fn merge_follows_rfc_7396() {
        // The examples of RFC 7396, appendix A, whose patch is an object.
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "b"}), json!({"b": "c"}), json!({"a": "b", "b": "c"})),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (json!({"a": "b", "b": "c"}), json!({"a": null}), json!({"b": "c"})),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (json!({"a": [{"b": "c"}]}), json!({"a": [1]}), json!({"a": [1]})),
            (json!(["a", "b"]), json!({"a": "b"}), json!({"a": "b"})),
            (json!({"e": null}), json!({"a": 1}), json!({"e": null, "a": 1})),
            (json!([1, 2]), json!({"a": "b", "c": null}), json!({"a": "b"})),
            (json!({}), json!({"a": {"bb": {"ccc": null}}}), json!({"a": {"bb": {}}})),
        ];
        for (target, patch, result) in cases {
            assert_eq!(
                merged(target.clone(), patch.clone()),
                result,
                "{target} patched with {patch}"
            );
        }
    }

    #[test]
    fn a_kept_field_loses_null_from_its_schema() {
        assert_eq!(
            not_null(json!({"type": ["boolean", "null"]})),
            json!({"type": "boolean"})
        );
        assert_eq!(
            not_null(json!({"oneOf": [{"$ref": "#/components/schemas/EventStatus"}, {"type": "null"}]})),
            json!({"$ref": "#/components/schemas/EventStatus"})
        );
        assert_eq!(not_null(json!({"type": "string"})), json!({"type": "string"}));
    }

    #[test]
    fn doc_text_joins_trimmed_lines() {
        assert_eq!(
            doc_text(&[" Changes to a club.", " Second line."]),
            "Changes to a club.\nSecond line."
        );
    }
}
