//! `cress-api copy-db`: copies a SQLite register into a fresh PostgreSQL database, the way an
//! installation moves from the embedded default to production.
//!
//! Nothing here names a table: the tables come from the schemas (so a table that a later
//! migration adds is copied too), they are filled parents first (their foreign keys give the
//! order), and each column is converted by its PostgreSQL type (SQLite keeps uuids as 16-byte
//! blobs, dates and timestamps as text, booleans as integers). Everything is written in one
//! PostgreSQL transaction, then read back inside it: the row count and a checksum of every
//! table must match the source's, or nothing is committed.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteRow};
use sqlx::{AssertSqlSafe, Connection, PgConnection, Postgres, QueryBuilder, Row, SqliteConnection};
use uuid::Uuid;

static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The migrations' own bookkeeping table: each side has its own, written by `migrate`.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// What was copied: one entry per table, in the order they were filled.
#[derive(Debug)]
pub struct CopyReport {
    pub tables: Vec<TableCopy>,
}

/// One table's row count and checksum, the same on both sides.
#[derive(Debug)]
pub struct TableCopy {
    pub name: String,
    pub rows: u64,
    /// SHA-256 over the table's rows (order-independent), in hex.
    pub checksum: String,
}

/// How a column's values are read from SQLite and written to PostgreSQL, from its PostgreSQL
/// type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Uuid,
    Timestamp,
    Date,
    Bool,
    Int4,
    Int8,
    Float,
    Text,
    Json,
    Bytes,
}

impl Kind {
    fn of(table: &str, column: &str, data_type: &str) -> anyhow::Result<Self> {
        Ok(match data_type {
            "uuid" => Self::Uuid,
            "timestamp with time zone" => Self::Timestamp,
            "date" => Self::Date,
            "boolean" => Self::Bool,
            "smallint" | "integer" => Self::Int4,
            "bigint" => Self::Int8,
            "double precision" | "real" => Self::Float,
            "text" | "character varying" | "character" => Self::Text,
            "json" | "jsonb" => Self::Json,
            "bytea" => Self::Bytes,
            other => bail!("{table}.{column}: copy-db does not know how to copy the PostgreSQL type {other}"),
        })
    }
}

/// One value, typed by its column's kind (`None` for SQL null).
#[derive(Debug)]
enum Value {
    Uuid(Option<Uuid>),
    Timestamp(Option<DateTime<Utc>>),
    Date(Option<NaiveDate>),
    Bool(Option<bool>),
    Int4(Option<i32>),
    Int8(Option<i64>),
    Float(Option<f64>),
    Text(Option<String>),
    Json(Option<serde_json::Value>),
    Bytes(Option<Vec<u8>>),
}

/// A table to copy: its name and its columns with their kinds, in the target's order.
#[derive(Debug)]
struct Table {
    name: String,
    columns: Vec<(String, Kind)>,
}

impl Table {
    fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|(name, _)| quoted(name))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn select(&self) -> String {
        format!("select {} from {}", self.column_list(), quoted(&self.name))
    }
}

/// An SQL identifier, quoted. The names come from the databases' own catalogs.
fn quoted(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// Copies every table of the SQLite database `from` into the PostgreSQL database `to`, which
/// is migrated first and must hold no row.
pub async fn copy(from: &str, to: &str) -> anyhow::Result<CopyReport> {
    let source_options = SqliteConnectOptions::from_str(from)
        .context("--from is not a SQLite URL")?
        .read_only(true);
    let mut source = SqliteConnection::connect_with(&source_options)
        .await
        .context("cannot open the SQLite database --from")?;
    let target_options = PgConnectOptions::from_str(to).context("--to is not a PostgreSQL URL")?;
    let mut target = PgConnection::connect_with(&target_options)
        .await
        .context("cannot connect to the PostgreSQL database --to")?;
    POSTGRES_MIGRATIONS
        .run(&mut target)
        .await
        .context("cannot migrate the PostgreSQL database --to")?;
    check_same_migrations(&mut source, &mut target).await?;
    let tables = tables_in_order(&mut source, &mut target).await?;
    refuse_non_empty(&mut target, &tables).await?;

    // One snapshot of the source, one transaction on the target.
    let mut source_tx = source.begin().await.context("cannot read the SQLite database")?;
    let mut target_tx = target.begin().await.context("cannot write the PostgreSQL database")?;
    let mut report = CopyReport { tables: Vec::new() };
    for table in &tables {
        let (rows, source_sum) = copy_table(&mut source_tx, &mut target_tx, table).await?;
        let (copied, target_sum) = checksum_target(&mut target_tx, table).await?;
        if copied != rows || target_sum != source_sum {
            bail!(
                "{}: the copy differs from the source ({rows} rows, checksum {source_sum}; copied {copied} rows, checksum {target_sum}); nothing was committed",
                table.name
            );
        }
        report.tables.push(TableCopy {
            name: table.name.clone(),
            rows,
            checksum: source_sum,
        });
        advance_sequences(&mut target_tx, table).await?;
    }
    target_tx.commit().await.context("cannot commit the copy")?;
    source_tx.rollback().await.ok();
    Ok(report)
}

/// The source must be at the same migration as the freshly migrated target: the same schema.
async fn check_same_migrations(source: &mut SqliteConnection, target: &mut PgConnection) -> anyhow::Result<()> {
    let sql = "select version from _sqlx_migrations where success order by version";
    let source_versions: Vec<i64> = sqlx::query_scalar(sql)
        .fetch_all(&mut *source)
        .await
        .context("the SQLite database --from has no migrations table: is it a cress-api database?")?;
    let target_versions: Vec<i64> = sqlx::query_scalar(sql).fetch_all(&mut *target).await?;
    if source_versions != target_versions {
        bail!(
            "the SQLite database has migrations {source_versions:?} and this cress-api {target_versions:?}: run `cress-api migrate` on it first (DATABASE_URL={{--from}})"
        );
    }
    Ok(())
}

/// The tables of the schema with their columns, parents before the tables that refer to them.
async fn tables_in_order(source: &mut SqliteConnection, target: &mut PgConnection) -> anyhow::Result<Vec<Table>> {
    let target_tables: BTreeSet<String> = sqlx::query_scalar(
        r"select table_name::text
          from information_schema.tables
          where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name != $1",
    )
    .bind(MIGRATIONS_TABLE)
    .fetch_all(&mut *target)
    .await?
    .into_iter()
    .collect();
    let source_tables: BTreeSet<String> = sqlx::query_scalar(
        // `type = 'table'`: not the search index (`virtual`) nor the tables it keeps (`shadow`),
        // which SQLite fills by itself as rows are copied in.
        r"select name from pragma_table_list
          where schema = 'main' and type = 'table' and name not like 'sqlite\_%' escape '\' and name != $1",
    )
    .bind(MIGRATIONS_TABLE)
    .fetch_all(&mut *source)
    .await?
    .into_iter()
    .collect();
    if source_tables != target_tables {
        bail!(
            "the two schemas differ: only in SQLite {:?}, only in PostgreSQL {:?}",
            source_tables.difference(&target_tables).collect::<Vec<_>>(),
            target_tables.difference(&source_tables).collect::<Vec<_>>()
        );
    }
    let references: Vec<(String, String)> = sqlx::query_as(
        r"select child.relname::text, parent.relname::text
          from pg_constraint c
          join pg_class child on child.oid = c.conrelid
          join pg_namespace n on n.oid = child.relnamespace
          join pg_class parent on parent.oid = c.confrelid
          where c.contype = 'f' and n.nspname = current_schema()",
    )
    .fetch_all(&mut *target)
    .await?;
    let order = dependency_order(&target_tables, &references)?;
    let mut tables = Vec::with_capacity(order.len());
    for name in order {
        let columns = columns_of(source, target, &name).await?;
        tables.push(Table { name, columns });
    }
    Ok(tables)
}

/// Orders `tables` so that every table comes after the tables it refers to (`(child, parent)`
/// pairs); ties by name. A self-reference is no constraint on the order; a cycle is an error.
fn dependency_order(tables: &BTreeSet<String>, references: &[(String, String)]) -> anyhow::Result<Vec<String>> {
    let mut parents: BTreeMap<&str, BTreeSet<&str>> = tables.iter().map(|t| (t.as_str(), BTreeSet::new())).collect();
    for (child, parent) in references {
        if child != parent
            && let Some(set) = parents.get_mut(child.as_str())
        {
            set.insert(parent.as_str());
        }
    }
    let mut order: Vec<String> = Vec::with_capacity(tables.len());
    while order.len() < tables.len() {
        let ready: Vec<&str> = parents
            .iter()
            .filter(|(table, waiting)| waiting.is_empty() && !order.iter().any(|done| done == *table))
            .map(|(table, _)| *table)
            .collect();
        if ready.is_empty() {
            let left: Vec<&str> = parents
                .keys()
                .filter(|t| !order.iter().any(|done| done == *t))
                .copied()
                .collect();
            bail!("the foreign keys between {left:?} form a cycle: copy-db cannot order them");
        }
        for table in ready {
            order.push(table.to_owned());
            for waiting in parents.values_mut() {
                waiting.remove(table);
            }
        }
    }
    Ok(order)
}

/// The columns of `table` with their kinds, from PostgreSQL; SQLite must have the same names.
async fn columns_of(
    source: &mut SqliteConnection,
    target: &mut PgConnection,
    table: &str,
) -> anyhow::Result<Vec<(String, Kind)>> {
    let target_columns: Vec<(String, String)> = sqlx::query_as(
        r"select column_name::text, data_type::text
          from information_schema.columns
          where table_schema = current_schema() and table_name = $1
          order by ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut *target)
    .await?;
    let source_columns: BTreeSet<String> = sqlx::query_scalar("select name from pragma_table_info($1)")
        .bind(table)
        .fetch_all(&mut *source)
        .await?
        .into_iter()
        .collect();
    let target_names: BTreeSet<String> = target_columns.iter().map(|(name, _)| name.clone()).collect();
    if source_columns != target_names {
        bail!(
            "{table}: the columns differ: only in SQLite {:?}, only in PostgreSQL {:?}",
            source_columns.difference(&target_names).collect::<Vec<_>>(),
            target_names.difference(&source_columns).collect::<Vec<_>>()
        );
    }
    target_columns
        .into_iter()
        .map(|(name, data_type)| Kind::of(table, &name, &data_type).map(|kind| (name, kind)))
        .collect()
}

/// Refuses a target that holds any row: the copy never merges into existing data.
async fn refuse_non_empty(target: &mut PgConnection, tables: &[Table]) -> anyhow::Result<()> {
    let mut filled = Vec::new();
    for table in tables {
        let sql = format!("select exists (select 1 from {})", quoted(&table.name));
        let any: bool = sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(&mut *target).await?;
        if any {
            filled.push(table.name.as_str());
        }
    }
    if !filled.is_empty() {
        bail!(
            "the PostgreSQL database --to is not empty (rows in {}): copy-db only fills a fresh database",
            filled.join(", ")
        );
    }
    Ok(())
}

/// Most values bound in one INSERT (PostgreSQL allows 65535 parameters).
const MAX_BINDS: usize = 30_000;

/// Copies one table, batch by batch; returns its row count and checksum as read from SQLite.
async fn copy_table(
    source: &mut SqliteConnection,
    target: &mut PgConnection,
    table: &Table,
) -> anyhow::Result<(u64, String)> {
    let batch_rows = (MAX_BINDS / table.columns.len().max(1)).clamp(1, 1000);
    let mut checksum = Checksum::default();
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(batch_rows);
    let select = table.select();
    let mut rows = sqlx::query(AssertSqlSafe(select.as_str())).fetch(&mut *source);
    while let Some(row) = rows
        .try_next()
        .await
        .with_context(|| format!("cannot read {}", table.name))?
    {
        let values = read_sqlite_row(&row, table)?;
        checksum.add(&values);
        batch.push(values);
        if batch.len() == batch_rows {
            insert(target, table, &mut batch).await?;
        }
    }
    drop(rows);
    if !batch.is_empty() {
        insert(target, table, &mut batch).await?;
    }
    Ok(checksum.finish())
}

/// Reads the table back from PostgreSQL: its row count and checksum.
/// Moves the sequence of each serial column of `table` (the change log's `seq`) past the values
/// copied, so that the next insert on PostgreSQL does not reuse one.
async fn advance_sequences(target: &mut PgConnection, table: &Table) -> anyhow::Result<()> {
    for (column, _) in &table.columns {
        let sequence: Option<String> = sqlx::query_scalar("select pg_get_serial_sequence($1, $2)")
            .bind(quoted(&table.name))
            .bind(column)
            .fetch_one(&mut *target)
            .await
            .with_context(|| format!("cannot look up the sequence of {}.{column}", table.name))?;
        let Some(sequence) = sequence else { continue };
        let sql = format!(
            "select setval($1::regclass, coalesce((select max({}) from {}), 0) + 1, false)",
            quoted(column),
            quoted(&table.name)
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(sequence)
            .execute(&mut *target)
            .await
            .with_context(|| format!("cannot move the sequence of {}.{column}", table.name))?;
    }
    Ok(())
}

async fn checksum_target(target: &mut PgConnection, table: &Table) -> anyhow::Result<(u64, String)> {
    let mut checksum = Checksum::default();
    let select = table.select();
    let mut rows = sqlx::query(AssertSqlSafe(select.as_str())).fetch(&mut *target);
    while let Some(row) = rows.try_next().await? {
        checksum.add(&read_postgres_row(&row, table)?);
    }
    Ok(checksum.finish())
}

async fn insert(target: &mut PgConnection, table: &Table, batch: &mut Vec<Vec<Value>>) -> anyhow::Result<()> {
    let mut query: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "insert into {} ({}) ",
        quoted(&table.name),
        table.column_list()
    ));
    query.push_values(batch.drain(..), |mut row, values| {
        for value in values {
            match value {
                Value::Uuid(v) => row.push_bind(v),
                Value::Timestamp(v) => row.push_bind(v),
                Value::Date(v) => row.push_bind(v),
                Value::Bool(v) => row.push_bind(v),
                Value::Int4(v) => row.push_bind(v),
                Value::Int8(v) => row.push_bind(v),
                Value::Float(v) => row.push_bind(v),
                Value::Text(v) => row.push_bind(v),
                Value::Json(v) => row.push_bind(v.map(sqlx::types::Json)),
                Value::Bytes(v) => row.push_bind(v),
            };
        }
    });
    query
        .build()
        .execute(&mut *target)
        .await
        .with_context(|| format!("cannot write {}", table.name))?;
    Ok(())
}

fn read_sqlite_row(row: &SqliteRow, table: &Table) -> anyhow::Result<Vec<Value>> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, (column, kind))| {
            let value = match kind {
                Kind::Uuid => row.try_get(i).map(Value::Uuid),
                // PostgreSQL keeps microseconds; SQLite text may hold nanoseconds.
                Kind::Timestamp => row
                    .try_get::<Option<DateTime<Utc>>, _>(i)
                    .map(|v| Value::Timestamp(v.map(|t| t.trunc_subsecs(6)))),
                Kind::Date => row.try_get(i).map(Value::Date),
                Kind::Bool => row.try_get(i).map(Value::Bool),
                Kind::Int4 => row.try_get(i).map(Value::Int4),
                Kind::Int8 => row.try_get(i).map(Value::Int8),
                Kind::Float => row.try_get(i).map(Value::Float),
                Kind::Text => row.try_get(i).map(Value::Text),
                Kind::Json => row
                    .try_get::<Option<sqlx::types::Json<serde_json::Value>>, _>(i)
                    .map(|v| Value::Json(v.map(|j| j.0))),
                Kind::Bytes => row.try_get(i).map(Value::Bytes),
            };
            value.with_context(|| format!("{}.{column} in SQLite cannot be read as {kind:?}", table.name))
        })
        .collect()
}

fn read_postgres_row(row: &PgRow, table: &Table) -> anyhow::Result<Vec<Value>> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, (column, kind))| {
            let value = match kind {
                Kind::Uuid => row.try_get(i).map(Value::Uuid),
                Kind::Timestamp => row.try_get(i).map(Value::Timestamp),
                Kind::Date => row.try_get(i).map(Value::Date),
                Kind::Bool => row.try_get(i).map(Value::Bool),
                Kind::Int4 => row.try_get(i).map(Value::Int4),
                Kind::Int8 => row.try_get(i).map(Value::Int8),
                Kind::Float => row.try_get(i).map(Value::Float),
                Kind::Text => row.try_get(i).map(Value::Text),
                Kind::Json => row
                    .try_get::<Option<sqlx::types::Json<serde_json::Value>>, _>(i)
                    .map(|v| Value::Json(v.map(|j| j.0))),
                Kind::Bytes => row.try_get(i).map(Value::Bytes),
            };
            value.with_context(|| format!("{}.{column} in PostgreSQL cannot be read as {kind:?}", table.name))
        })
        .collect()
}

/// A table's checksum that does not depend on the order rows come in (the two databases sort
/// text differently): the SHA-256 of the sorted SHA-256 digests of the rows, each row digested
/// from its typed values.
#[derive(Default)]
struct Checksum {
    rows: Vec<[u8; 32]>,
}

impl Checksum {
    fn add(&mut self, values: &[Value]) {
        // Debug output is unambiguous here: strings are quoted and escaped, every value is
        // tagged with its kind, nulls are `None`.
        self.rows.push(Sha256::digest(format!("{values:?}").as_bytes()).into());
    }

    fn finish(mut self) -> (u64, String) {
        self.rows.sort_unstable();
        let mut table = Sha256::new();
        for row in &self.rows {
            table.update(row);
        }
        let hex: String = table.finalize().iter().map(|b| format!("{b:02x}")).collect();
        (self.rows.len() as u64, hex)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    fn pair(child: &str, parent: &str) -> (String, String) {
        (child.to_owned(), parent.to_owned())
    }

    #[test]
    fn dependency_order_puts_parents_first_and_ignores_self_references() {
        let tables = set(&["b_child", "a_grandchild", "z_parent", "loner"]);
        let references = [
            pair("b_child", "z_parent"),
            pair("a_grandchild", "b_child"),
            pair("z_parent", "z_parent"),
        ];
        let order = dependency_order(&tables, &references).unwrap();
        assert_eq!(order, ["loner", "z_parent", "b_child", "a_grandchild"]);
    }

    #[test]
    fn dependency_order_refuses_a_cycle() {
        let tables = set(&["a", "b"]);
        let error = dependency_order(&tables, &[pair("a", "b"), pair("b", "a")]).unwrap_err();
        assert!(error.to_string().contains("cycle"), "{error}");
    }

    #[test]
    fn checksum_ignores_row_order_but_not_values() {
        let row = |name: &str, n: i64| vec![Value::Text(Some(name.into())), Value::Int8(Some(n))];
        let mut one = Checksum::default();
        one.add(&row("a", 1));
        one.add(&row("b", 2));
        let mut other = Checksum::default();
        other.add(&row("b", 2));
        other.add(&row("a", 1));
        let mut changed = Checksum::default();
        changed.add(&row("a", 1));
        changed.add(&row("b", 3));
        let mut null = Checksum::default();
        null.add(&[Value::Text(None), Value::Int8(Some(1))]);
        let mut empty_text = Checksum::default();
        empty_text.add(&[Value::Text(Some(String::new())), Value::Int8(Some(1))]);
        let (one, other, changed) = (one.finish(), other.finish(), changed.finish());
        assert_eq!(one, other);
        assert_ne!(one, changed);
        assert_ne!(null.finish(), empty_text.finish(), "null and empty text differ");
    }
}
