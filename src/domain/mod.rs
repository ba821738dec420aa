//! Domain values: newtypes that can only hold valid data, and the `Invalid` error their parsers return.
//!
//! Every value type follows "parse, don't validate": a private field, a
//! `parse(&str) -> Result<Self, Invalid>` constructor that normalises its input, and `as_str()`.

// First, so that its `stored!` is in scope in the modules below.
#[macro_use]
pub mod stored;

pub mod club;
pub mod codes;
pub mod contact;
pub mod esus;
pub mod event;
pub mod identifiers;
pub mod json;
pub mod message;
pub mod organisation;
pub mod sponsorship;
pub mod text;

pub use codes::{CommuneCode, LegalCategoryCode, PostalCode, RegionCode};
pub use contact::{Email, Phone, WebsiteUrl};
pub use identifiers::{Rna, Siren, Siret, luhn_valid};
pub use organisation::{Category, check_legal_category};
pub use text::{clean_text, search_key};

use std::borrow::Cow;
use std::fmt;

use message::{Message, msg};

/// The one way to write a closed list of names: declares the enum with its snake_case (or
/// given) names, used alike in JSON, in the OpenAPI schema, in the database and in CSV, and
/// gives it `ALL`, `as_str`, `parse`, `Display`, `TryFrom<String>` and the sqlx text mapping
/// (read and written as its name, on both backends). `$what` names the list in errors.
///
/// ```text
/// string_enum! {
///     /// What kind of event this is.
///     pub enum EventKind("event kind") {
///         Meeting = "meeting",
///         Conference = "conference",
///     }
/// }
/// ```
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident($what:tt) {
            $( $(#[$variant_meta:meta])* $variant:ident = $text:tt ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        $vis enum $name {
            $( $(#[$variant_meta])* #[serde(rename = $text)] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            /// The name used in JSON, in the database and in CSV.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value with exactly this name, if any.
            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.as_str() == text)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(value: String) -> Result<Self, String> {
                Self::parse(&value).ok_or_else(|| format!(concat!("unknown ", $what, " {:?}"), value))
            }
        }

        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            String: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            String: sqlx::Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <String as sqlx::Decode<'r, DB>>::decode(value)?;
                Ok(Self::try_from(text)?)
            }
        }

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $name
        where
            &'static str: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&'static str as sqlx::Encode<'q, DB>>::encode(self.as_str(), buf)
            }
        }
    };
}
pub(crate) use string_enum;

/// `AsRef<str>` for the value types, so that storage code can take any of them as text.
macro_rules! as_ref_str {
    ($($name:ty),*) => {
        $(impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        })*
    };
}
as_ref_str!(
    Siren,
    Siret,
    Rna,
    RegionCode,
    PostalCode,
    CommuneCode,
    LegalCategoryCode,
    Email,
    WebsiteUrl,
    Phone
);

/// Why one value was refused: a stable snake_case `code` clients branch on, and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: &'static str,
    pub message: Message,
}

impl Invalid {
    /// Wrong shape, length or characters.
    pub const INVALID_FORMAT: &'static str = "invalid_format";
    /// Well-formed digits whose check digit (Luhn) is wrong.
    pub const INVALID_CHECKSUM: &'static str = "invalid_checksum";
    /// Well-formed, but not one of the known codes (e.g. region 05).
    pub const UNKNOWN_CODE: &'static str = "unknown_code";
    /// Longer than the field allows.
    pub const TOO_LONG: &'static str = "too_long";
    /// Empty once surrounding whitespace is removed.
    pub const BLANK: &'static str = "blank";
    /// Contradicts another field of the same record.
    pub const MISMATCH: &'static str = "mismatch";
    /// A webhook URL that deliveries may not go to (a private address, a scheme other than http(s)).
    pub const UNSAFE_URL: &'static str = "unsafe_url";

    pub fn new(code: &'static str, message: Message) -> Self {
        Self { code, message }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for Invalid {}

/// The spaces people type or paste inside and around a number: the space, and the no-break
/// spaces French formatting puts between groups of digits ("775 672 272", "356 000 000 00048").
/// Only these: the OpenAPI patterns of the fields that allow them list exactly these three
/// (`[ \u00a0\u202f]`), so that the document says what the server accepts.
const SPACES: [char; 3] = [' ', '\u{a0}', '\u{202f}'];

/// Removes the [`SPACES`]; any other character stays, for the caller's check to refuse.
fn without_spaces(input: &str) -> String {
    input.chars().filter(|c| !SPACES.contains(c)).collect()
}

/// True when `s` is exactly `len` ASCII digits.
fn is_ascii_digits(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}

/// One rule a request breaks: which field (a name, or a path into a list such as
/// `organisers[2].role`), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: Cow<'static, str>,
    pub invalid: Invalid,
}

/// The violations found so far while checking a request, so that all of them are reported at
/// once: the one collector of field errors (the HTTP layer answers them as a 422).
#[derive(Debug, Clone, Default)]
pub struct Violations(Vec<Violation>);

impl Violations {
    /// The value when `result` is `Ok`; otherwise records why `field` failed.
    pub fn check<T>(&mut self, field: impl Into<Cow<'static, str>>, result: Result<T, Invalid>) -> Option<T> {
        result.map_err(|invalid| self.refuse(field, invalid)).ok()
    }

    /// Records a failure of `field` found by a rule between fields.
    pub fn refuse(&mut self, field: impl Into<Cow<'static, str>>, invalid: Invalid) {
        self.0.push(Violation {
            field: field.into(),
            invalid,
        });
    }

    /// Whether `field` has failed already.
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|v| v.field == field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_vec(self) -> Vec<Violation> {
        self.0
    }
}

/// The failure of a required field that is absent or null.
pub fn missing() -> Invalid {
    Invalid::new("required", msg!("field-required-not-null"))
}

/// A required text value.
pub fn required(value: Option<String>) -> Result<String, Invalid> {
    value.ok_or_else(missing)
}

/// An absent (or null) value stays absent; a present one must parse: send null, not "", to
/// leave a field empty.
pub fn optional<T>(
    value: Option<String>,
    parse: impl FnOnce(&str) -> Result<T, Invalid>,
) -> Result<Option<T>, Invalid> {
    value.map(|raw| parse(&raw)).transpose()
}

#[cfg(test)]
mod test_support {
    //! Helpers shared by the property tests of every value type.
    use proptest::prelude::*;

    /// Any string: printable Unicode, any characters including controls, or arbitrary bytes
    /// decoded lossily as UTF-8.
    pub fn any_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "\\PC*",
            proptest::collection::vec(any::<u8>(), 0..64)
                .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
            "(?s).*",
        ]
    }
}
