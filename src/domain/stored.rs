//! A record's checked fields as they are stored, declared once ([`stored!`]): the struct (with
//! the documentation of the answers and of the change log), the columns it writes, how each is
//! bound to a statement of either backend, and the names the CSV lists and the SQL read lists
//! use. The domain's parse functions give these structs, the store writes and reads them, the
//! answers show them: adding a field is its line here, its line in the draft, its rule and its
//! value where the draft is parsed.

use sqlx::query::{Query, QueryAs};
use sqlx::query_builder::Separated;
use sqlx::{Column, ColumnIndex, Database, Decode, Encode, Postgres, Row, Sqlite, Type};

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

/// Reads a record's fields from a row in their declared order, as the read lists name them:
/// each field is taken from the column after the previous one when that column has its name,
/// else found by name. A hashed lookup by name for every field of every row was 4 to 6 % of
/// the server's time on a page of organisations (docs/PERFORMANCE.md).
pub struct Columns<'r, R> {
    row: &'r R,
    next: usize,
}

impl<'r, R> Columns<'r, R>
where
    R: Row,
    usize: ColumnIndex<R>,
    &'static str: ColumnIndex<R>,
{
    pub fn new(row: &'r R) -> Self {
        Self { row, next: 0 }
    }

    /// The value of the field `name`.
    pub fn get<T: Decode<'r, R::Database> + Type<R::Database>>(
        &mut self,
        name: &'static str,
    ) -> Result<T, sqlx::Error> {
        let index = match self.row.columns().get(self.next) {
            Some(column) if column.name() == name => self.next,
            _ => name.index(self.row)?,
        };
        self.next = index + 1;
        self.row.try_get(index)
    }
}

/// A checked value as stored: its text.
pub fn stored_text<T: AsRef<str>>(value: Option<T>) -> Option<String> {
    value.as_ref().map(|v| v.as_ref().to_owned())
}

/// Declares a record's stored fields once: the struct (its attributes and each field's), how a
/// row is read into it (`sqlx::FromRow`, by position where the read list allows), its
/// writable columns (`COLUMNS`: the `computed` ones first, bound from the fields `$f`, then one
/// per field), `bind`, which binds their values in that order to a query (or a row of a
/// multi-row statement) of either backend, the names of the fields in their order (`NAMES`: the
/// CSV columns), and `$list!`, which defines the read list of the SQL texts
/// (`event_fields!(columns, "id, ", "created_at")`: `columns!()` is
/// `"id, title, …, created_at"`).
///
/// ```text
/// stored! {
///     /// A club's fields, checked.
///     #[derive(Debug, Clone)]
///     pub struct ClubFields, list club_fields, computed(f) {
///         name_search: search_key(&f.name),
///     } {
///         pub name: String,
///     }
/// }
/// ```
macro_rules! stored {
    (
        $(#[$meta:meta])*
        $vis:vis struct $fields:ident, list $list:ident
            $(, computed($f:ident) { $($column:ident: $value:expr),+ $(,)? })? {
            $($(#[$field_meta:meta])* $field_vis:vis $field:ident: $type:ty),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $fields {
            $($(#[$field_meta])* $field_vis $field: $type,)+
        }

        impl<'r, R> sqlx::FromRow<'r, R> for $fields
        where
            R: sqlx::Row,
            usize: sqlx::ColumnIndex<R>,
            &'static str: sqlx::ColumnIndex<R>,
            $($type: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,)+
        {
            fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
                let mut columns = $crate::domain::stored::Columns::new(row);
                Ok(Self {
                    $($field: columns.get(stringify!($field))?,)+
                })
            }
        }

        impl $fields {
            /// The names of the fields, in their declared order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($field)),+];

            /// The writable columns, in the order `bind` binds them.
            pub const COLUMNS: &'static [&'static str] = &[$($(stringify!($column),)+)? $(stringify!($field)),+];

            /// Binds the values of the writable columns, in their declared order.
            #[allow(clippy::clone_on_copy)]
            pub fn bind<'q, B: $crate::domain::stored::Bind<'q>>(&self, query: B) -> B {
                let record = self;
                query
                    $($(.value({ let $f = record; $value }))+)?
                    $(.value(record.$field.clone()))+
            }
        }

        /// `$list!(columns, "id, ", "created_at")` defines `columns!()`: the fields as one
        /// string literal, each followed by `, `, between the two given (the read list of the
        /// SQL texts); `$list!(columns, "c.id, ", "c.", "c.created_at")` puts `c.` before each
        /// field. A definition, not the list itself, so that the store's `concat!` finds it in
        /// its own module.
        #[allow(unused_macros)]
        macro_rules! $list {
            ($columns:ident, $before:literal, $after:literal) => {
                $list!($columns, $before, "", $after);
            };
            ($columns:ident, $before:literal, $prefix:literal, $after:literal) => {
                macro_rules! $columns {
                    () => {
                        concat!($before, $($prefix, stringify!($field), ", ",)+ $after)
                    };
                }
            };
        }
        #[allow(unused_imports)]
        pub(crate) use $list;
    };
}
pub(crate) use stored;

#[cfg(test)]
mod tests {
    use sqlx::sqlite::SqlitePoolOptions;

    stored! {
        #[derive(Debug, PartialEq)]
        struct Probe, list probe_fields, computed(f) {
            name_key: f.name.to_lowercase(),
        } {
            name: String,
            size: i64,
            note: Option<String>,
        }
    }

    async fn database() -> sqlx::SqlitePool {
        SqlitePoolOptions::new()
            .connect("sqlite::memory:")
            .await
            .expect("an in-memory database")
    }

    async fn read(sql: &'static str) -> Probe {
        sqlx::query_as::<_, Probe>(sql)
            .fetch_one(&database().await)
            .await
            .expect("a row")
    }

    #[tokio::test]
    async fn a_record_is_written_through_its_columns_computed_first_and_read_back_the_same() {
        static INSERT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!("insert into probes ({}) values (?, ?, ?, ?)", Probe::COLUMNS.join(", "))
        });
        assert_eq!(Probe::NAMES, ["name", "size", "note"]);
        assert_eq!(Probe::COLUMNS, ["name_key", "name", "size", "note"]);
        let pool = database().await;
        sqlx::query("create table probes (note text, size integer, name text, name_key text)")
            .execute(&pool)
            .await
            .expect("a table");
        probe()
            .bind(sqlx::query(INSERT.as_str()))
            .execute(&pool)
            .await
            .expect("written");
        probe_fields!(columns, "name_key, ", "1 as version");
        let read = sqlx::query_as::<_, Probe>(concat!("select ", columns!(), " from probes"));
        assert_eq!(read.fetch_one(&pool).await.expect("a row"), probe());
        let key: String = sqlx::query_scalar("select name_key from probes")
            .fetch_one(&pool)
            .await
            .expect("a key");
        assert_eq!(key, "cress");
    }

    fn probe() -> Probe {
        Probe {
            name: "Cress".to_owned(),
            size: 12,
            note: None,
        }
    }

    #[tokio::test]
    async fn a_row_is_read_by_position_when_the_read_list_names_the_fields_in_order() {
        probe_fields!(columns, "7 as id, ", "3 as version");
        let sql = concat!(
            "with t (name, size, note) as (values ('Cress', 12, null)) select ",
            columns!(),
            " from t"
        );
        assert_eq!(read(sql).await, probe());
    }

    #[tokio::test]
    async fn a_row_is_read_by_name_when_its_columns_come_in_another_order() {
        assert_eq!(
            read("select null as note, 12 as size, 'x' as other, 'Cress' as name").await,
            probe()
        );
    }
}
