//! A table's writable columns ([`Table`]: those of a record's stored fields, `domain::stored`,
//! or a [`writable!`] declaration): the INSERT and the UPDATE statements are generated from that
//! list, so that no placeholder is numbered by hand and the bind order cannot drift from the SQL
//! text.

/// A table's writable columns, in the order [`writable!`]'s `bind` binds them.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [&'static str],
}

impl Table {
    pub const fn new(name: &'static str, columns: &'static [&'static str]) -> Self {
        Self { name, columns }
    }

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
///     MEMBERS: Membership as terms in "club_members" {
///         role: terms.role,
///         joined_on: terms.joined_on,
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
            pub(crate) fn bind<'q, B: $crate::domain::stored::Bind<'q>>(&self, query: B) -> B {
                let $f = self;
                query$(.value($value))+
            }
        }
    };
}
pub(crate) use writable;

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
