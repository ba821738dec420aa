//! The two sets of migrations describe the same database: same tables, same columns, same
//! nullability, same secondary indexes; and each indexes the folded names for substring search
//! its own way (pg_trgm, FTS5).

use std::collections::BTreeSet;
use std::fmt::Debug;

use sqlx::Connection;

use crate::helpers::{Backend, TestApp};

/// The migrated SQLite and PostgreSQL test databases, or `None` (said on stderr) when
/// `TEST_DATABASE_URL` is unset.
async fn both_databases() -> Option<(sqlx::SqliteConnection, sqlx::PgConnection, TestApp, TestApp)> {
    let Some(postgres) = TestApp::spawn_postgres().await else {
        eprintln!("TEST_DATABASE_URL is unset: the SQLite and PostgreSQL schemas were not compared");
        return None;
    };
    let sqlite = TestApp::spawn(Backend::Sqlite).await;
    let lite = sqlx::SqliteConnection::connect(&sqlite.database_url)
        .await
        .expect("the SQLite test database opens");
    let pg = sqlx::PgConnection::connect(&postgres.database_url)
        .await
        .expect("the PostgreSQL test schema opens");
    Some((lite, pg, sqlite, postgres))
}

/// Fails with what only one side has, when the two sets differ.
fn assert_same<T: Ord + Debug>(what: &str, sqlite: BTreeSet<T>, postgres: BTreeSet<T>) {
    let only_sqlite: Vec<&T> = sqlite.difference(&postgres).collect();
    let only_postgres: Vec<&T> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the {what} differ between the migrations\n  only in SQLite:     {only_sqlite:?}\n  only in PostgreSQL: {only_postgres:?}"
    );
    assert!(
        !sqlite.is_empty(),
        "no {what} found: the comparison would prove nothing"
    );
}

/// (table, column, declared NOT NULL). A SQLite PRIMARY KEY that is not an INTEGER accepts NULL
/// unless declared NOT NULL, so `pk` does not count. Tables only: not the search index (a
/// virtual table) nor the tables it keeps (shadow tables).
const SQLITE_COLUMNS: &str = r#"
    select m.name, c.name, c."notnull" != 0
    from pragma_table_list m join pragma_table_info(m.name) c
    where m.schema = 'main' and m.type = 'table' and m.name not like 'sqlite\_%' escape '\'
      and m.name != '_sqlx_migrations'"#;

const POSTGRES_COLUMNS: &str = r"
    select table_name::text, column_name::text, is_nullable = 'NO'
    from information_schema.columns
    where table_schema = current_schema() and table_name != '_sqlx_migrations'";

#[tokio::test]
async fn sqlite_and_postgres_schemas_have_the_same_tables_and_columns() {
    // Arrange
    let Some((mut sqlite, mut postgres, _lite, _pg)) = both_databases().await else {
        return;
    };
    // Act
    let lite: Vec<(String, String, bool)> = sqlx::query_as(SQLITE_COLUMNS)
        .fetch_all(&mut sqlite)
        .await
        .expect("SQLite columns");
    let pg: Vec<(String, String, bool)> = sqlx::query_as(POSTGRES_COLUMNS)
        .fetch_all(&mut postgres)
        .await
        .expect("PostgreSQL columns");
    // Assert
    let names = |rows: &[(String, String, bool)]| -> BTreeSet<(String, String)> {
        rows.iter()
            .map(|(table, column, _)| (table.clone(), column.clone()))
            .collect()
    };
    assert_same("(table, column) pairs", names(&lite), names(&pg));
}

#[tokio::test]
async fn sqlite_and_postgres_schemas_have_the_same_not_null_columns() {
    // Arrange
    let Some((mut sqlite, mut postgres, _lite, _pg)) = both_databases().await else {
        return;
    };
    // Act
    let lite: Vec<(String, String, bool)> = sqlx::query_as(SQLITE_COLUMNS)
        .fetch_all(&mut sqlite)
        .await
        .expect("SQLite columns");
    let pg: Vec<(String, String, bool)> = sqlx::query_as(POSTGRES_COLUMNS)
        .fetch_all(&mut postgres)
        .await
        .expect("PostgreSQL columns");
    // Assert
    let not_null = |rows: Vec<(String, String, bool)>| -> BTreeSet<(String, String)> {
        rows.into_iter()
            .filter(|(_, _, not_null)| *not_null)
            .map(|(table, column, _)| (table, column))
            .collect()
    };
    assert_same("NOT NULL (table, column) pairs", not_null(lite), not_null(pg));
}

#[tokio::test]
async fn sqlite_and_postgres_schemas_have_the_same_secondary_indexes() {
    // Arrange
    let Some((mut sqlite, mut postgres, _lite, _pg)) = both_databases().await else {
        return;
    };
    // Act: (table, index, unique, columns in order), primary keys left out.
    let lite: Vec<(String, String, bool, String)> = sqlx::query_as(
        r#"select m.name, i.name, i."unique" != 0,
                 (select group_concat(c.name, ',' order by c.seqno) from pragma_index_info(i.name) c)
          from pragma_table_list m join pragma_index_list(m.name) i
          where m.schema = 'main' and m.type = 'table' and m.name != '_sqlx_migrations' and i.origin != 'pk'"#,
    )
    .fetch_all(&mut sqlite)
    .await
    .expect("SQLite indexes");
    let pg: Vec<(String, String, bool, String)> = sqlx::query_as(
        r"select t.relname::text, i.relname::text, x.indisunique,
                 (select string_agg(a.attname::text, ',' order by k.ord)
                  from unnest(x.indkey::int2[]) with ordinality k(attnum, ord)
                  join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum)
          from pg_index x
          join pg_class t on t.oid = x.indrelid
          join pg_class i on i.oid = x.indexrelid
          join pg_namespace n on n.oid = t.relnamespace
          where n.nspname = current_schema() and t.relname != '_sqlx_migrations' and not x.indisprimary
            and i.relname != 'organisations_name_trgm_idx'",
    )
    .fetch_all(&mut postgres)
    .await
    .expect("PostgreSQL indexes");
    // Assert
    assert_same(
        "(table, index, unique, columns) of the secondary indexes",
        lite.into_iter().collect(),
        pg.into_iter().collect(),
    );
}

#[tokio::test]
async fn both_schemas_index_the_folded_names_for_substring_search() {
    // Arrange
    let Some((mut sqlite, mut postgres, _lite, _pg)) = both_databases().await else {
        return;
    };
    // Act
    let fts: Option<String> = sqlx::query_scalar("select sql from sqlite_master where name = 'organisations_search'")
        .fetch_optional(&mut sqlite)
        .await
        .expect("the SQLite schema");
    let trigrams: Option<String> = sqlx::query_scalar(
        "select indexdef from pg_indexes where schemaname = current_schema() and indexname = 'organisations_name_trgm_idx'",
    )
    .fetch_optional(&mut postgres)
    .await
    .expect("the PostgreSQL schema");
    // Assert
    let fts = fts.expect("SQLite has the search index");
    assert!(
        fts.contains("fts5") && fts.contains("name_search") && fts.contains("trigram"),
        "{fts}"
    );
    let trigrams = trigrams.expect("PostgreSQL has the search index");
    assert!(
        trigrams.contains("gin_trgm_ops") && trigrams.contains("(name_search"),
        "{trigrams}"
    );
}
