//! How request bodies read their values where serde's defaults are not what the API promises:
//! integers as JSON Schema counts them, and lists that may be sent as `null`.

/// An integer of a JSON body as JSON Schema counts integers (`"type": "integer"`): `12` and
/// `12.0` alike, since JSON Schema judges the value, not its spelling. A fraction, or a number
/// beyond what an f64 holds exactly (2^53) when written with a decimal point or an exponent, is
/// not one: a 422 `invalid_type` on the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonInteger(pub i64);

/// The largest integer that every f64 below it represents exactly.
const F64_EXACT: f64 = 9_007_199_254_740_992.0;

impl<'de> serde::Deserialize<'de> for JsonInteger {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = JsonInteger;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an integer from -9223372036854775808 to 9223372036854775807")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<JsonInteger, E> {
                Ok(JsonInteger(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<JsonInteger, E> {
                i64::try_from(v)
                    .map(JsonInteger)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<JsonInteger, E> {
                if v.fract() == 0.0 && v.abs() <= F64_EXACT {
                    // Exact: |v| <= 2^53 is well inside i64.
                    #[allow(clippy::cast_possible_truncation)]
                    Ok(JsonInteger(v as i64))
                } else {
                    Err(E::invalid_type(serde::de::Unexpected::Float(v), &self))
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// For an optional integer of a create body (`#[serde(default, deserialize_with = "integer")]`).
pub fn integer<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    <Option<JsonInteger> as serde::Deserialize>::deserialize(deserializer).map(|v| v.map(|i| i.0))
}

/// For an optional list of a request (`#[serde(default, deserialize_with = "list_or_null")]`):
/// `null`, like a list left out, is an empty list.
pub fn list_or_null<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<T>, D::Error> {
    <Option<Vec<T>> as serde::Deserialize>::deserialize(deserializer).map(Option::unwrap_or_default)
}
