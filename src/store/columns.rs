//! One declaration of a table's writable columns and of how each is bound from a record's
//! fields ([`writable!`]): the INSERT and the UPDATE statements are generated from that list, so
//! that no placeholder is numbered by hand and the bind order cannot drift from the SQL text.

use sqlx::query::{Query, QueryAs};
use sqlx::query_builder::Separated;
use sqlx::{Database, Encode, Postgres, Sqlite, Type};

/// A value that binds on both backends.
pub trait Value<'q>: 'q + Encode<'q, Postgres> + Type<Postgres> + Encode<'q, Sqlite> + Type<Sqlite> {}

impl<'q, T> Value<'q> for T where T: 'q + Encode<'q, Postgres> + Type<Postgres> + Encode<'q, Sqlite> + Type<Sqlite> {}

/// A statement (or a row of a multi-row statement) that takes values in order, on either
/// backend: what a declaration's `bind` fills.
pub trait Bind<'q>: Sized {
    fn value<T: Value<'q>>(self, value: T) -> Self;
}

impl<'q, O> Bind<'q> for QueryAs<'q, Postgres, O, <Postgres as Database>::Arguments> {
    fn value<T: Value<'q>>(self, value: T) -> Self {
        self.bind(value)
    }
}

impl<'q, O> Bind<'q> for QueryAs<'q, Sqlite, O, <Sqlite as Database>::Arguments> {
    fn value<T: Value<'q>>(self, value: T) -> Self {
        self.bind(value)
    }
}

impl<'q> Bind<'q> for Query<'q, Postgres, <Postgres as Database>::Arguments> {
    fn value<T: Value<'q>>(self, value: T) -> Self {
        self.bind(value)
    }
}

impl<'q> Bind<'q> for Query<'q, Sqlite, <Sqlite as Database>::Arguments> {
    fn value<T: Value<'q>>(self, value: T) -> Self {
        self.bind(value)
    }
}

impl<'q> Bind<'q> for &mut Separated<'_, Postgres, &'static str> {
    fn value<T: Value<'q>>(self, value: T) -> Self {
        self.push_bind(value)
    }
}

impl<'q> Bind<'q> for &mut Separated<'_, Sqlite, &'static str> {
    fn value<T: Value<'q>>(self, value: T) -> Self {
        self.push_bind(value)
    }
}

/// A table's writable columns, in the order [`writable!`]'s `bind` binds them.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [&'static str],
}

impl Table {
    /// `insert into T (columns…, keys…, created_at, updated_at, version) values (…, 1)`, then
    /// `returning` when given: bind the columns, then the keys, then the time.
    pub fn insert(&self, keys: &[&str], returning: &str) -> String {
        let n = self.columns.len() + keys.len();
        let values: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
        let at = n + 1;
        format!(
            "insert into {} ({}, created_at, updated_at, version) values ({}, ${at}, ${at}, 1){}",
            self.name,
            [self.columns, keys].concat().join(", "),
            values.join(", "),
            returning_clause(returning)
        )
    }

    /// `update T set columns… = …, updated_at, version = version + 1 where keys… [and version]`,
    /// then `returning` when given: bind the columns, then the keys, then the time, then (when
    /// `versioned`) the version the change was computed from (compare-and-set).
    pub fn update(&self, keys: &[&str], versioned: bool, returning: &str) -> String {
        let n = self.columns.len();
        let sets: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, column)| format!("{column} = ${}", i + 1))
            .collect();
        let wheres: Vec<String> = keys
            .iter()
            .enumerate()
            .map(|(i, key)| format!("{key} = ${}", n + 1 + i))
            .collect();
        let at = n + keys.len() + 1;
        let version = if versioned {
            format!(" and version = ${}", at + 1)
        } else {
            String::new()
        };
        format!(
            "update {} set {}, updated_at = ${at}, version = version + 1 where {}{version}{}",
            self.name,
            sets.join(", "),
            wheres.join(" and "),
            returning_clause(returning)
        )
    }
}

fn returning_clause(returning: &str) -> String {
    if returning.is_empty() {
        String::new()
    } else {
        format!(" returning {returning}")
    }
}

/// Declares a table's writable columns once, each with the value it is bound to from the
/// record's fields `$f`: gives the [`Table`] constant `$name` and `$fields::bind`, which binds
/// the values in the order of the columns to a query (or a row of a multi-row statement) of
/// either backend.
///
/// ```text
/// writable! {
///     CLUBS: ClubFields as f in "clubs" {
///         name_search: search_key(&f.name),
///         name: f.name.clone(),
///     }
/// }
/// ```
macro_rules! writable {
    (
        $(#[$meta:meta])*
        $vis:vis $name:ident: $fields:ty as $f:ident in $table:literal {
            $($column:ident: $value:expr),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis const $name: $crate::store::columns::Table = $crate::store::columns::Table {
            name: $table,
            columns: &[$(stringify!($column)),+],
        };

        impl $fields {
            /// Binds the values of the writable columns, in their declared order.
            #[allow(clippy::clone_on_copy)]
            pub(crate) fn bind<'q, B: $crate::store::columns::Bind<'q>>(&self, query: B) -> B {
                let $f = self;
                query$(.value($value))+
            }
        }
    };
}
pub(crate) use writable;

/// Declares a record's stored fields once: the struct (its attributes and each field's: the
/// documentation of the answers and of the change log), its table's writable columns given to
/// [`writable!`] — the `computed` ones first (bound from the fields `$f`), then one per field,
/// bound from it — the names of the fields in their order (`NAMES`: the CSV columns),
/// and `$list!()`, those names as one string literal, each followed by `, ` (for the read lists
/// of the SQL texts: `concat!("id, ", event_fields!(), "created_at")`).
///
/// ```text
/// stored! {
///     /// The writable columns of a club.
///     #[derive(Debug, Clone, sqlx::FromRow)]
///     pub struct ClubFields: CLUBS in "clubs", list club_fields, computed(f) {
///         name_search: search_key(&f.name),
///     } {
///         pub name: String,
///     }
/// }
/// ```
macro_rules! stored {
    (
        $(#[$meta:meta])*
        $vis:vis struct $fields:ident: $table_name:ident in $table:literal, list $list:ident
            $(, computed($f:ident) { $($column:ident: $value:expr),+ $(,)? })? {
            $($(#[$field_meta:meta])* $field_vis:vis $field:ident: $type:ty),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $fields {
            $($(#[$field_meta])* $field_vis $field: $type,)+
        }

        $crate::store::columns::writable! {
            /// The writable columns of the table.
            $vis $table_name: $fields as record in $table {
                $($($column: { let $f = record; $value },)+)?
                $($field: record.$field.clone()),+
            }
        }

        impl $fields {
            /// The names of the fields, in their declared order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($field)),+];
        }

        #[allow(unused_macros)]
        macro_rules! $list {
            () => {
                concat!($(stringify!($field), ", "),+)
            };
        }
    };
}
pub(crate) use stored;

#[cfg(test)]
mod tests {
    use super::*;

    const CLUBS: Table = Table {
        name: "clubs",
        columns: &["name", "region_code"],
    };

    #[test]
    fn insert_binds_the_columns_then_the_keys_then_the_time() {
        assert_eq!(
            CLUBS.insert(&["id"], "id, version"),
            "insert into clubs (name, region_code, id, created_at, updated_at, version) \
             values ($1, $2, $3, $4, $4, 1) returning id, version"
        );
    }

    #[test]
    fn update_binds_the_columns_then_the_keys_then_the_time_then_the_version() {
        assert_eq!(
            CLUBS.update(&["id"], true, ""),
            "update clubs set name = $1, region_code = $2, updated_at = $4, version = version + 1 \
             where id = $3 and version = $5"
        );
        assert_eq!(
            CLUBS.update(&["club_id", "organisation_id"], false, "version"),
            "update clubs set name = $1, region_code = $2, updated_at = $5, version = version + 1 \
             where club_id = $3 and organisation_id = $4 returning version"
        );
    }
}
