//! Confidential fields (the README's roles section: contact details, sponsorship amounts and notes) are shown to
//! the callers the policy allows and left out of the response for the others, so that a client
//! can tell "withheld from you" (the field is absent) from "empty" (`null`).
//!
//! A response field reads:
//!
//! ```text
//! /// Contact e-mail. Confidential: absent unless you may see it.
//! #[serde(skip_serializing_if = "Confidential::is_withheld")]
//! #[schema(value_type = Option<String>, required = false)]
//! pub email: Confidential<Option<String>>,
//! ```

use serde::{Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confidential<T> {
    Shown(T),
    Withheld,
}

impl<T> Confidential<T> {
    /// `value` when `allowed`, otherwise withheld.
    pub fn shown_if(allowed: bool, value: T) -> Self {
        if allowed { Self::Shown(value) } else { Self::Withheld }
    }

    pub fn is_withheld(&self) -> bool {
        matches!(self, Self::Withheld)
    }
}

impl<T: Serialize> Serialize for Confidential<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Shown(value) => value.serialize(serializer),
            // Never reached when the field is marked `skip_serializing_if = "Confidential::is_withheld"`.
            Self::Withheld => serializer.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Card {
        name: &'static str,
        #[serde(skip_serializing_if = "Confidential::is_withheld")]
        email: Confidential<Option<&'static str>>,
    }

    #[test]
    fn a_withheld_field_is_absent_and_an_empty_one_is_null() {
        let withheld = Card {
            name: "a",
            email: Confidential::shown_if(false, Some("a@b.fr")),
        };
        let empty = Card {
            name: "a",
            email: Confidential::shown_if(true, None),
        };
        let shown = Card {
            name: "a",
            email: Confidential::shown_if(true, Some("a@b.fr")),
        };
        assert_eq!(serde_json::to_string(&withheld).unwrap(), r#"{"name":"a"}"#);
        assert_eq!(serde_json::to_string(&empty).unwrap(), r#"{"name":"a","email":null}"#);
        assert_eq!(
            serde_json::to_string(&shown).unwrap(),
            r#"{"name":"a","email":"a@b.fr"}"#
        );
    }
}
