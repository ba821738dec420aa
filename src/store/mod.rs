//! The database: one handle over PostgreSQL or SQLite, migrations, and the error type of the
//! storage layer. Each query is written once (`with_conn!`) and runs on either backend.

use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use secrecy::ExposeSecret;
use sqlx::Pool;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::config::{DatabaseUrl, Settings, default_sqlite_path};
use crate::domain::message::Message;
use spare::{Backend, Lease, Spares};

pub mod changes;
pub mod clients;
pub mod clubs;
pub mod columns;
pub mod esus;
pub mod events;
pub mod idempotency;
pub mod logins;
pub mod organisations;
pub mod references;
mod spare;
pub mod sponsorships;
pub mod tokens;
pub mod users;
pub mod webhooks;

/// Runs `$body` with `$pool` bound to the pool of whichever backend `$db` holds: for what concerns
/// the pool itself (its size, closing it). Queries use [`with_conn!`].
macro_rules! with_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Postgres($pool) => $body,
            $crate::store::Db::Sqlite($pool) => $body,
        }
    };
}

/// Runs `$body` with `$conn` bound to one connection (`&mut PgConnection` or
/// `&mut SqliteConnection`) taken from the pool of `$store` for the time of the body, counted
/// while it waits for it (the `waiting` gauge of `/metrics`), and kept at hand after a body that
/// ended with `Ok` (`spare`). The body is written once and
/// compiled once per backend, so one SQL text (`$1…$n` placeholders) serves both; it returns a
/// `Result` whose error converts from `sqlx::Error` (`unavailable:` names the conversion
/// otherwise), the error of a connection that could not be had in time (`PoolTimedOut`, the
/// database down).
macro_rules! with_conn {
    ($store:expr, $conn:ident => $body:expr) => {
        $crate::store::with_conn!($store, $conn => $body, unavailable: ::std::convert::Into::into)
    };
    ($store:expr, $conn:ident => $body:expr, unavailable: $unavailable:expr) => {{
        let store: &$crate::store::Store = $store;
        match store.db() {
            $crate::store::Db::Postgres(pool) => $crate::store::with_conn!(@lent store, pool, $conn => $body, $unavailable),
            $crate::store::Db::Sqlite(pool) => $crate::store::with_conn!(@lent store, pool, $conn => $body, $unavailable),
        }
    }};
    (@lent $store:ident, $pool:ident, $conn:ident => $body:expr, $unavailable:expr) => {
        match $store.acquire($pool).await {
            Ok(mut connection) => {
                let result = {
                    let $conn = &mut *connection;
                    $body
                };
                connection.end(&result);
                result
            }
            Err(error) => Err($unavailable(error)),
        }
    };
}
pub(crate) use with_conn;

/// A write and its change log in one transaction, on a connection of `$store` (as
/// [`with_conn!`]): `$body` runs in the write transaction `$tx` and gives the value and the
/// changes it made; they are logged as `$actor` at `$at` (`changes::record`, the transaction's
/// last statement) and it commits. With `maybe`, the body gives an `Option`: `None` (a
/// compare-and-set that found another version, a record gone) ends it without writing. The
/// result: `Result<value, sqlx::Error>`, or `Result<Option<value>, sqlx::Error>` with `maybe`.
macro_rules! logged_write {
    ($store:expr, $actor:expr, $at:expr, $tx:ident => maybe $body:expr) => {
        $crate::store::with_conn!($store, conn => {
            async {
                let mut $tx = $crate::store::BeginWrite::begin_write(conn).await?;
                let Some((value, logged)) = ($body) else { return Ok(None) };
                $crate::store::changes::record(&mut $tx, $actor, $at, &logged).await?;
                $tx.commit().await?;
                Ok::<_, ::sqlx::Error>(Some(value))
            }
            .await
        })
    };
    ($store:expr, $actor:expr, $at:expr, $tx:ident => $body:expr) => {
        $crate::store::with_conn!($store, conn => {
            async {
                let mut $tx = $crate::store::BeginWrite::begin_write(conn).await?;
                let (value, logged) = $body;
                $crate::store::changes::record(&mut $tx, $actor, $at, &logged).await?;
                $tx.commit().await?;
                Ok::<_, ::sqlx::Error>(value)
            }
            .await
        })
    };
}
pub(crate) use logged_write;

/// Starts a transaction that writes, on either backend. SQLite: `BEGIN IMMEDIATE`, which takes
/// the database's one write lock at once, waiting for it up to the busy timeout. A plain
/// (deferred) `BEGIN` takes it at the first write, and a transaction that has read something by
/// then is refused at once (`SQLITE_BUSY`, no waiting) when another writer holds the lock or
/// has committed since its read: a 503 under concurrent writes. PostgreSQL: `BEGIN`.
pub(crate) trait BeginWrite: sqlx::Connection {
    fn begin_write(
        &mut self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'_, Self::Database>, sqlx::Error>> + Send + '_;
}

impl BeginWrite for sqlx::PgConnection {
    fn begin_write(
        &mut self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'_, Self::Database>, sqlx::Error>> + Send + '_ {
        sqlx::Connection::begin(self)
    }
}

impl BeginWrite for sqlx::SqliteConnection {
    fn begin_write(
        &mut self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'_, Self::Database>, sqlx::Error>> + Send + '_ {
        sqlx::Connection::begin_with(self, "BEGIN IMMEDIATE")
    }
}

/// How many rows of `from` (a table, with its alias if the conditions use one) the conditions
/// that `filter!(sql, arg)` pushes match, on either backend: the `total` of a list asked with
/// `count=true`, counted with the very conditions of its pages.
macro_rules! count_where {
    ($store:expr, $from:literal, $filter:ident!($arg:expr), $what:expr) => {
        $crate::store::with_conn!($store, conn => {
            let mut sql = ::sqlx::QueryBuilder::new(concat!("select count(*) from ", $from, " where true"));
            $filter!(sql, $arg);
            sql.build_query_scalar::<i64>().fetch_one(&mut *conn).await
        })
        .map_err(|e| $crate::store::classify(e, $what))
    };
}
pub(crate) use count_where;

/// A connection pool on one of the two supported databases.
#[derive(Clone, Debug)]
pub enum Db {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// The register's storage: cheap to clone. On PostgreSQL each server worker thread has a pool
/// of its own ([`Store::for_worker`]), so that a connection is only ever driven by the runtime
/// that opened it.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    /// How many tasks are waiting for a connection of any of the pools right now (sqlx does not
    /// say).
    waiting: Arc<AtomicUsize>,
    /// The connections of this store's pool given back unchecked (`spare`).
    spares: Arc<Spares>,
    /// Every pool opened for this database, with its spares: this one and the workers'
    /// (`/metrics` sums them, `close` closes them all).
    pools: Arc<Mutex<Vec<PoolAndSpares>>>,
    /// Background work (the webhook deliveries) holds it, shared, for each step of its work;
    /// `close` takes it alone and marks it `true`, so that the step in progress ends (a delivery
    /// gives its lease back) while the pools are still open, and no other starts.
    background: Arc<tokio::sync::RwLock<bool>>,
}

/// How long `close` waits for the background step in progress (a delivery attempt lasts at
/// most 10 seconds); after that the pools close anyway (its lease then expires on its own).
const BACKGROUND_STEP_AT_MOST: std::time::Duration = std::time::Duration::from_secs(15);

/// A pool of a store and the connections kept beside it.
type PoolAndSpares = (Db, Arc<Spares>);

static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");
static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

impl Store {
    /// Opens the pool that `DATABASE_URL` names, or the embedded SQLite file when it is unset.
    /// Connections are opened lazily, so a server can start while its database is still down.
    pub async fn connect(settings: &Settings) -> anyhow::Result<Self> {
        let max = settings.database_max_connections;
        let timeout = settings.database_timeout();
        let db = match &settings.database_url {
            Some(DatabaseUrl::Postgres(url)) => {
                let options = PgConnectOptions::from_str(url.expose_secret())
                    .context("DATABASE_URL is not a valid PostgreSQL URL")?;
                Db::Postgres(
                    PgPoolOptions::new()
                        .max_connections(max)
                        .acquire_timeout(timeout)
                        .test_before_acquire(false)
                        .before_acquire(|conn, meta| Box::pin(ping_if_idle(conn, meta)))
                        .connect_lazy_with(options),
                )
            }
            Some(DatabaseUrl::Sqlite(url)) => {
                let options = SqliteConnectOptions::from_str(url.expose_secret())
                    .context("DATABASE_URL is not a valid SQLite URL")?;
                Db::Sqlite(sqlite_pool(options, max, timeout))
            }
            None => {
                let path = default_sqlite_path();
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("cannot create the folder {}", dir.display()))?;
                }
                Db::Sqlite(sqlite_pool(SqliteConnectOptions::new().filename(&path), max, timeout))
            }
        };
        let spares = Arc::new(Spares::default());
        Ok(Self {
            pools: Arc::new(Mutex::new(vec![(db.clone(), spares.clone())])),
            spares,
            db,
            waiting: Arc::default(),
            background: Arc::default(),
        })
    }

    /// The store one of `workers` server threads uses, called on that thread. On PostgreSQL a
    /// pool of its own with its share of `DATABASE_MAX_CONNECTIONS`: a connection opened by
    /// one worker's runtime and used by another's has each of its replies woken across threads
    /// (a pool per worker served 10 % more reads, docs/PERFORMANCE.md). On SQLite the shared
    /// pool itself (an in-memory database lives in its pool).
    pub fn for_worker(&self, workers: usize) -> Store {
        let Db::Postgres(pool) = &self.db else {
            return self.clone();
        };
        let workers = u32::try_from(workers.max(1)).unwrap_or(u32::MAX);
        let share = pool.options().get_max_connections().div_ceil(workers).max(1);
        let own = pool
            .options()
            .clone()
            .max_connections(share)
            .connect_lazy_with((*pool.connect_options()).clone());
        let spares = Arc::new(Spares::default());
        self.pools_now().push((Db::Postgres(own.clone()), spares.clone()));
        Store {
            db: Db::Postgres(own),
            spares,
            waiting: self.waiting.clone(),
            pools: self.pools.clone(),
            background: self.background.clone(),
        }
    }

    /// Every pool of this database (a poisoned lock still holds a whole list: pushes only).
    fn pools_now(&self) -> std::sync::MutexGuard<'_, Vec<PoolAndSpares>> {
        self.pools.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The connections of every pool of this database: open, idle among them, and the most
    /// they may open (a worker's pool opens its connections when it first needs them).
    pub fn pool_sizes(&self) -> PoolSizes {
        let pools = self.pools_now();
        let mut sizes = PoolSizes::default();
        for (db, spares) in pools.iter() {
            with_pool!(db, pool => {
                sizes.open += pool.size();
                sizes.idle += u32::try_from(pool.num_idle() + spares.count()).unwrap_or(u32::MAX);
                sizes.max += pool.options().get_max_connections();
            });
        }
        sizes
    }

    /// Applies the migrations of this backend that are not applied yet.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match &self.db {
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
            Db::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await,
        }
        .context("cannot migrate the database (is DATABASE_URL reachable?)")
    }

    /// `postgres` or `sqlite`, for logs and health answers.
    pub fn backend(&self) -> &'static str {
        match &self.db {
            Db::Postgres(_) => "postgres",
            Db::Sqlite(_) => "sqlite",
        }
    }

    /// Whether the database answers a trivial query.
    #[tracing::instrument(skip_all)]
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_conn!(self, conn => sqlx::query("select 1").execute(conn).await.map(|_| ()))
            .map_err(|e| classify(e, "database"))
    }

    /// Closes every connection of every pool of this database; pending acquisitions fail.
    pub async fn close(&self) {
        match tokio::time::timeout(BACKGROUND_STEP_AT_MOST, self.background.write()).await {
            Ok(mut closing) => *closing = true,
            Err(_) => tracing::warn!("closing while a background step still runs"),
        }
        let pools = self.pools_now().clone();
        for (db, spares) in pools {
            spares.close();
            with_pool!(&db, pool => pool.close().await);
        }
    }

    /// Leave for one step of background work, held until the guard drops; `None` once the
    /// store is closing.
    pub async fn background_step(&self) -> Option<tokio::sync::OwnedRwLockReadGuard<bool>> {
        let step = self.background.clone().read_owned().await;
        (!*step).then_some(step)
    }

    /// Whether `close` has begun (it waits for the step in progress): background work stops at
    /// its next step.
    pub fn closing(&self) -> bool {
        self.background.try_read().map_or(true, |closed| *closed)
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    /// A connection of `pool` (this store's): the one given back last to its spares, else one
    /// of the pool, counted in [`Store::waiting`] until it is had or the wait ends (timed out,
    /// or the request abandoned). While a task waits for the pool, connections go back to the
    /// pool, which serves its waiters first come, first served (`Spares::give_back`).
    pub(crate) async fn acquire<DB: Backend>(&self, pool: &Pool<DB>) -> Result<Lease<'_, DB>, sqlx::Error> {
        if let Some(connection) = self.spares.take::<DB>() {
            return Ok(Lease::new(connection, &self.spares));
        }
        let _waiting = Waiting::enter(&self.waiting);
        let _for_pool = self.spares.wait();
        // Given back between the first look and the count just above: take it.
        if let Some(connection) = self.spares.take::<DB>() {
            return Ok(Lease::new(connection, &self.spares));
        }
        pool.acquire()
            .await
            .map(|connection| Lease::new(connection, &self.spares))
    }

    /// How many tasks are waiting for a database connection right now: more than zero for long
    /// means the pool (DATABASE_MAX_CONNECTIONS) or the database is too small for the load.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }
}

/// The connections of a store's pools, summed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PoolSizes {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// One task counted as waiting (in a store's gauge, or in its spares) for as long as the guard
/// lives.
pub(crate) struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// WAL lets readers and the writer proceed together; the busy timeout makes concurrent writers
/// wait for each other instead of failing; SQLite only enforces foreign keys when asked. Each
/// connection keeps a page cache of its own: 512 KiB (SQLite's default is 2 MiB) keeps 16
/// connections within 8 MiB; the pages they miss come from the system's file cache.
fn sqlite_pool(options: SqliteConnectOptions, max: u32, timeout: Duration) -> SqlitePool {
    let options = options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(timeout)
        .foreign_keys(true)
        .pragma("cache_size", "-512");
    SqlitePoolOptions::new()
        .max_connections(max)
        .acquire_timeout(timeout)
        .test_before_acquire(false)
        .before_acquire(|conn, meta| Box::pin(ping_if_idle(conn, meta)))
        .connect_lazy_with(options)
}

/// A pooled connection idle for longer than this is checked (a round trip) before it is
/// used: the database may have restarted meanwhile.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(10);

/// Checks a connection taken from the pool only if it has been idle for `IDLE_BEFORE_PING`.
/// sqlx checks every connection it is given back (a round trip on release), so one that served
/// a moment ago is known to work; its default, a check on every acquisition too, made each
/// request pay three round trips to the database (check, query, check) instead of two: 14 % of
/// the server's time on `GET /organisations/{id}` (docs/PERFORMANCE.md).
async fn ping_if_idle<C: sqlx::Connection>(
    conn: &mut C,
    meta: sqlx::pool::PoolConnectionMetadata,
) -> Result<bool, sqlx::Error> {
    if meta.idle_for >= IDLE_BEFORE_PING {
        conn.ping().await?;
    }
    Ok(true)
}

/// The current time as stored: PostgreSQL keeps microseconds, so SQLite gets no more.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Today's date, for the rules that depend on it (an accreditation expires, a member leaves).
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// How often a compare-and-set write (an update checked against the `version` it read) is
/// tried again when another request changed the record meanwhile, before answering 409
/// `concurrent_update`. Each try re-reads the record and re-applies the change to it.
const WRITE_ATTEMPTS: usize = 10;

/// The one compare-and-set loop of every write: runs `attempt` — read the record, compute the
/// change, write it only if the record's `version` is still the one read — until it has an
/// answer (`Some`, or an error), trying again while another request changed the record
/// meanwhile (`None`), at most [`WRITE_ATTEMPTS`] times; then `Contended(what)` (409).
pub async fn compare_and_set<T, E: From<StoreError>>(
    what: &'static str,
    mut attempt: impl AsyncFnMut() -> Result<Option<T>, E>,
) -> Result<T, E> {
    for _ in 0..WRITE_ATTEMPTS {
        if let Some(answer) = attempt().await? {
            return Ok(answer);
        }
    }
    Err(StoreError::Contended(what).into())
}

/// A GLOB pattern that matches the texts containing `key` (SQLite: GLOB is exact, case and all;
/// a `*`, `?` or `[` of the key is matched as itself).
pub(crate) fn glob_pattern(key: &str) -> String {
    let mut pattern = String::with_capacity(key.len() + 2);
    pattern.push('*');
    for c in key.chars() {
        match c {
            '*' | '?' | '[' => {
                pattern.push('[');
                pattern.push(c);
                pattern.push(']');
            }
            _ => pattern.push(c),
        }
    }
    pattern.push('*');
    pattern
}

/// Whether `sql` is written for SQLite, where a query must differ from PostgreSQL's.
pub(crate) fn is_sqlite<DB: sqlx::Database>(_: &sqlx::QueryBuilder<DB>) -> bool {
    DB::NAME == <sqlx::Sqlite as sqlx::Database>::NAME
}

/// A LIKE pattern matching `key` anywhere (with `escape '\'`), LIKE's own wildcards taken
/// literally: the one search of every list (`q`) on a folded column. `None` for an empty key
/// (a `q` of punctuation only), which matches no name rather than every one.
pub(crate) fn like_pattern(key: &str) -> Option<String> {
    if key.is_empty() {
        return None;
    }
    let mut pattern = String::with_capacity(key.len() + 2);
    pattern.push('%');
    for c in key.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Some(pattern)
}

/// What can go wrong in the storage layer, in terms the HTTP layer can answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness rule: `field` holds `value` already, on the record `existing_id` when known.
    #[error("{what} with this {field} already exists")]
    Duplicate {
        what: &'static str,
        field: &'static str,
        value: String,
        existing_id: Option<uuid::Uuid>,
    },
    /// The record is still referenced (`holders` says by what), so it cannot be deleted.
    /// `with_accounts`: whether the answer may name user accounts and API clients among the
    /// holders (administrators' data: false unless the caller is one, see [`StoreError::shown_to_admin`]).
    #[error("{what} is still referenced: {}", references::describe(holders, *with_accounts))]
    InUse {
        what: &'static str,
        holders: Vec<references::HolderCount>,
        with_accounts: bool,
    },
    /// The request breaks a rule that depends on the stored state (an illegal status change, a
    /// second open accreditation…): `code` is the problem code, `detail` says why.
    #[error("{detail}")]
    Conflict { code: &'static str, detail: Message },
    /// The record changed between the read and the write of an update; try again.
    #[error("{0} was changed concurrently")]
    Contended(&'static str),
    #[error("the database is unavailable")]
    Unavailable(#[source] sqlx::Error),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl StoreError {
    /// The same error, for an administrator: an `InUse` names user accounts and API clients too.
    pub fn shown_to_admin(self, admin: bool) -> Self {
        match self {
            Self::InUse { what, holders, .. } => Self::InUse {
                what,
                holders,
                with_accounts: admin,
            },
            other => other,
        }
    }
}

/// Turns a driver error into a `StoreError`, by kind rather than by message text (which differs
/// between the two backends).
pub(crate) fn classify(err: sqlx::Error, what: &'static str) -> StoreError {
    match err {
        sqlx::Error::RowNotFound => StoreError::NotFound(what),
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
            StoreError::Unavailable(err)
        }
        sqlx::Error::Database(ref db) if is_unavailable(db.as_ref()) => StoreError::Unavailable(err),
        other => StoreError::Unexpected(anyhow::Error::new(other).context(format!("query on {what}"))),
    }
}

/// Errors meaning "the server is going away or refusing work", not "your query is wrong".
/// PostgreSQL SQLSTATE classes: 08 connection exception, 57P operator intervention (shutdown),
/// 53 insufficient resources. SQLite: busy or locked (primary codes 5 and 6) after the busy timeout.
fn is_unavailable(db: &dyn sqlx::error::DatabaseError) -> bool {
    let Some(code) = db.code() else { return false };
    if db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().is_some() {
        code.starts_with("08") || code.starts_with("57P") || code.starts_with("53")
    } else {
        code.parse::<i32>()
            .is_ok_and(|extended| matches!(extended & 0xff, 5 | 6))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_pattern_matches_the_key_anywhere_and_its_wildcards_as_themselves() {
        assert_eq!(glob_pattern("lodeve sud"), "*lodeve sud*");
        assert_eq!(glob_pattern("a*b?c[d"), "*a[*]b[?]c[[]d*");
    }
}
