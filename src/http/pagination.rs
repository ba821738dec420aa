//! Keyset pagination: page sizes and the opaque cursors that say where the next page starts.

use std::future::Future;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::message::{Message, msg};
use crate::http::csv::{Form, ListFormat};
use crate::http::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;
/// Longest cursor accepted; ours are far shorter.
const MAX_CURSOR_LEN: usize = 1024;

/// The page size asked for, checked: 1 to 200, 50 when absent.
pub fn page_limit(limit: Option<i64>) -> Result<i64, ApiError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        // As text: a Fluent number would round a huge limit.
        Some(n) => Err(ApiError::invalid_parameter(
            "limit",
            msg!("pagination-limit-out-of-range", limit = n.to_string(), max = MAX_LIMIT),
        )),
    }
}

/// The `total` of a JSON page whose request asks `count=true`: how many items its filters (and
/// the caller's scope, which the store query carries) match in all. `count` runs only then: CSV
/// and XLSX exports hold every row and carry no total.
pub async fn total<F, E>(
    asked: Option<bool>,
    format: &ListFormat,
    count: impl FnOnce() -> F,
) -> Result<Option<u64>, ApiError>
where
    F: Future<Output = Result<i64, E>>,
    ApiError: From<E>,
{
    if asked != Some(true) || format.form != Form::Json {
        return Ok(None);
    }
    Ok(Some(u64::try_from(count().await?).unwrap_or_default()))
}

/// Where a list's page starts and how long it is, as asked (`cursor`, `limit`), and whether
/// its total is asked (`count`).
#[derive(Debug, Clone, Default)]
pub struct Paging {
    pub cursor: Option<String>,
    pub limit: Option<i64>,
    pub count: Option<bool>,
}

/// A list's query parameters, which all have `cursor`, `limit` and `count`; `paged!` writes
/// this for them.
pub trait Paged: Sized {
    fn paging(&self) -> Paging;
    /// The same parameters for the page at `cursor` of `limit` items.
    fn at(self, cursor: Option<String>, limit: Option<i64>) -> Self;
}

/// Implements [`Paged`] for a list's parameters with the fields `cursor`, `limit` and `count`.
macro_rules! paged {
    ($params:ty) => {
        impl $crate::http::pagination::Paged for $params {
            fn paging(&self) -> $crate::http::pagination::Paging {
                $crate::http::pagination::Paging {
                    cursor: self.cursor.clone(),
                    limit: self.limit,
                    count: self.count,
                }
            }

            fn at(self, cursor: Option<String>, limit: Option<i64>) -> Self {
                Self {
                    cursor,
                    limit,
                    ..self
                }
            }
        }
    };
}
pub(crate) use paged;

/// The JSON answer of a list: one page of items, the next page's cursor and the total.
pub trait JsonPage: Serialize {
    type Item: Serialize + 'static;

    fn new(items: Vec<Self::Item>, next_cursor: Option<String>, total: Option<u64>) -> Self;
}

/// Declares a list's JSON page (`EventPage`…): its `items`, `next_cursor`, `has_more` and,
/// with `count=true` only, `total` (`$total`: what it counts), the same for every list.
macro_rules! list_page {
    ($(#[$doc:meta])* $page:ident of $item:ty, total: $total:literal) => {
        $(#[$doc])*
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $page {
            pub items: Vec<$item>,
            /// The cursor of the next page, or `null` on the last page.
            #[schema(required = true)]
            pub next_cursor: Option<String>,
            /// Whether more items follow this page (then `next_cursor` is set): what a UI needs to
            /// show a "next" button.
            pub has_more: bool,
            #[doc = $total]
            #[serde(skip_serializing_if = "Option::is_none")]
            #[schema(value_type = u64, required = false)]
            pub total: Option<u64>,
        }

        impl $crate::http::pagination::JsonPage for $page {
            type Item = $item;

            fn new(items: Vec<$item>, next_cursor: Option<String>, total: Option<u64>) -> Self {
                Self {
                    has_more: next_cursor.is_some(),
                    items,
                    next_cursor,
                    total,
                }
            }
        }
    };
}
pub(crate) use list_page;

/// Cuts rows fetched with one extra (`limit + 1`, to learn whether more follow) down to `shown`
/// and, when the extra row was there, makes the next page's cursor from the last row shown.
pub fn next_page<T>(rows: &mut Vec<T>, shown: i64, cursor_of: impl FnOnce(&T) -> String) -> Option<String> {
    let shown = usize::try_from(shown).unwrap_or(0);
    if rows.len() <= shown {
        return None;
    }
    rows.truncate(shown);
    rows.last().map(cursor_of)
}

/// What a cursor carries: the order it was made for, and the sort value and id of the last item
/// of the page it follows. Encoded as base64url JSON; clients treat it as opaque.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CursorData {
    #[serde(rename = "s")]
    sort: String,
    #[serde(rename = "k")]
    key: String,
    #[serde(rename = "i")]
    id: Uuid,
}

/// A cursor for the page after the item with this sort `key` and `id`, in the order `sort`.
pub fn encode_cursor(sort: &str, key: &str, id: Uuid) -> String {
    let data = CursorData {
        sort: sort.to_owned(),
        key: key.to_owned(),
        id,
    };
    let json = serde_json::to_vec(&data).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// The sort key and id a cursor carries, if it is one of ours and made for the order `sort`.
pub fn decode_cursor(raw: &str, sort: &str) -> Result<(String, Uuid), ApiError> {
    let invalid = |why: Message| ApiError::bad_request("invalid_cursor", msg!("pagination-cursor-invalid", why = why));
    if raw.len() > MAX_CURSOR_LEN {
        return Err(invalid(msg!("pagination-cursor-too-long")));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(raw.trim_end_matches('='))
        .map_err(|_| invalid(msg!("pagination-cursor-not-a-cursor")))?;
    let data: CursorData =
        serde_json::from_slice(&bytes).map_err(|_| invalid(msg!("pagination-cursor-not-a-cursor")))?;
    if data.sort != sort {
        return Err(invalid(msg!(
            "pagination-cursor-other-sort",
            made_for = &data.sort,
            sort = sort
        )));
    }
    if data.key.len() > MAX_CURSOR_LEN || data.key.chars().any(char::is_control) {
        return Err(invalid(msg!("pagination-cursor-not-a-cursor")));
    }
    Ok((data.key, data.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decode_cursor_refuses_a_cursor_made_for_another_order() {
        let cursor = encode_cursor("name", "lodeve", Uuid::nil());
        assert!(decode_cursor(&cursor, "-created_at").is_err());
        assert_eq!(
            decode_cursor(&cursor, "name").unwrap(),
            ("lodeve".to_owned(), Uuid::nil())
        );
    }

    #[test]
    fn next_page_drops_the_extra_row_and_points_at_the_last_shown() {
        let mut rows = vec![1, 2, 3];
        assert_eq!(next_page(&mut rows, 2, |last| last.to_string()), Some("2".to_owned()));
        assert_eq!(rows, [1, 2]);
        let mut last_page = vec![1, 2];
        assert_eq!(next_page(&mut last_page, 2, |last| last.to_string()), None);
        assert_eq!(last_page, [1, 2]);
    }

    #[test]
    fn page_limit_accepts_1_to_200_only() {
        assert_eq!(page_limit(None).unwrap(), 50);
        assert_eq!(page_limit(Some(1)).unwrap(), 1);
        assert_eq!(page_limit(Some(200)).unwrap(), 200);
        for bad in [0, -1, 201, i64::MIN, i64::MAX] {
            assert!(page_limit(Some(bad)).is_err(), "limit {bad} should be refused");
        }
    }

    proptest! {
        #[test]
        fn decode_cursor_never_panics_on_arbitrary_input(raw in ".{0,300}") {
            let _ = decode_cursor(&raw, "name");
        }

        #[test]
        fn cursors_round_trip(key in "[^\\p{Cc}]{0,100}", bytes in any::<[u8; 16]>()) {
            let id = Uuid::from_bytes(bytes);
            let cursor = encode_cursor("-name", &key, id);
            prop_assert_eq!(decode_cursor(&cursor, "-name").unwrap(), (key, id));
        }
    }
}
