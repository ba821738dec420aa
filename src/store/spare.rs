//! Connections kept at hand between two uses, beside the pool.
//!
//! sqlx checks every connection it is given back (a round trip to the database: on PostgreSQL
//! a Sync and its ReadyForQuery) before another task may have it. After a query that ended
//! normally the connection is known to be ready, and that check made each request pay two round
//! trips instead of one (a fifth of the reads' throughput, docs/PERFORMANCE.md). So a body of
//! `with_conn!` that ends with `Ok` gives its connection back here, unchecked, when nothing is
//! left pending on it (no transaction open, nothing unsent); the next acquisition takes it from
//! here first. A body that fails, or is abandoned midway (the request cancelled, a timeout),
//! drops its connection the usual way, and sqlx checks it, flushes what was left (a rollback)
//! or closes it. A connection kept here longer than [`KEPT_AT_MOST`] goes back to the pool,
//! which checks it and closes it once idle for long.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{Connection as _, Database, Postgres, Sqlite};

use super::Waiting;

/// How long a connection may wait here unused; older ones go back to the pool, as the pool's
/// own check on acquisition (`ping_if_idle`) would check them.
pub(crate) const KEPT_AT_MOST: Duration = Duration::from_secs(10);

/// The connections of one pool given back unchecked, newest last.
#[derive(Debug, Default)]
pub(crate) struct Spares {
    postgres: Mutex<Vec<Spare<Postgres>>>,
    sqlite: Mutex<Vec<Spare<Sqlite>>>,
    /// How many tasks wait for a connection of the pool: while any does, connections go back
    /// to the pool, which serves its waiters in turn (and keeps opening connections up to its
    /// maximum while they wait).
    waiting: AtomicUsize,
    /// Set when the pool closes: from then on every connection goes back to it (the pool's
    /// `close` waits for each one lent, and one kept here would never come back).
    closed: AtomicBool,
}

#[derive(Debug)]
pub(crate) struct Spare<DB: Database> {
    connection: PoolConnection<DB>,
    since: Instant,
}

/// A backend whose connections [`Spares`] keeps.
pub(crate) trait Backend: Database {
    fn spares(spares: &Spares) -> &Mutex<Vec<Spare<Self>>>;
}

impl Backend for Postgres {
    fn spares(spares: &Spares) -> &Mutex<Vec<Spare<Self>>> {
        &spares.postgres
    }
}

impl Backend for Sqlite {
    fn spares(spares: &Spares) -> &Mutex<Vec<Spare<Self>>> {
        &spares.sqlite
    }
}

/// The list (a poisoned lock still holds a whole list: only pushes, pops and removals).
fn kept<DB: Backend>(spares: &Spares) -> MutexGuard<'_, Vec<Spare<DB>>> {
    DB::spares(spares).lock().unwrap_or_else(PoisonError::into_inner)
}

impl Spares {
    /// The connection given back last, if any; those kept too long go back to the pool.
    pub(crate) fn take<DB: Backend>(&self) -> Option<PoolConnection<DB>> {
        let mut kept = kept::<DB>(self);
        kept.retain(|spare| spare.since.elapsed() < KEPT_AT_MOST);
        kept.pop().map(|spare| spare.connection)
    }

    /// Keeps a connection whose last use ended normally, if nothing is pending on it and no
    /// task waits for the pool; else drops it, for sqlx to check it and give it to the pool.
    fn give_back<DB: Backend>(&self, connection: PoolConnection<DB>) {
        if connection.should_flush() || connection.is_in_transaction() || self.waiting.load(Ordering::SeqCst) > 0 {
            return;
        }
        let mut kept = kept::<DB>(self);
        // Looked at under the lock that `close` takes after setting it: a connection is either
        // kept before `close` empties the list, or given back to the closing pool.
        if self.closed.load(Ordering::SeqCst) {
            return;
        }
        kept.push(Spare {
            connection,
            since: Instant::now(),
        });
        drop(kept);
        // A task that began to wait after the look above, and looked here before the push,
        // waits for the pool: give it one through the pool.
        if self.waiting.load(Ordering::SeqCst) > 0 {
            drop(self.take::<DB>());
        }
    }

    /// Counts a task waiting for the pool for as long as the guard lives.
    pub(crate) fn wait(&self) -> Waiting<'_> {
        Waiting::enter(&self.waiting)
    }

    /// How many connections are kept here (idle, for `/metrics`).
    pub(crate) fn count(&self) -> usize {
        kept::<Postgres>(self).len() + kept::<Sqlite>(self).len()
    }

    /// Gives every kept connection back to its pool, and every one lent from now on (before the
    /// pool closes: it waits for them).
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        kept::<Postgres>(self).clear();
        kept::<Sqlite>(self).clear();
    }
}

/// A connection lent to one `with_conn!` body: given back to the [`Spares`] by [`Lease::end`]
/// when the body ended with `Ok`; else dropped, and checked by sqlx.
pub(crate) struct Lease<'a, DB: Backend> {
    connection: Option<PoolConnection<DB>>,
    spares: &'a Spares,
}

impl<'a, DB: Backend> Lease<'a, DB> {
    pub(crate) fn new(connection: PoolConnection<DB>, spares: &'a Spares) -> Self {
        Self {
            connection: Some(connection),
            spares,
        }
    }

    /// Ends the lease after the body's `result`.
    pub(crate) fn end<T, E>(mut self, result: &Result<T, E>) {
        if result.is_ok()
            && let Some(connection) = self.connection.take()
        {
            self.spares.give_back(connection);
        }
    }
}

impl<DB: Backend> std::ops::Deref for Lease<'_, DB> {
    type Target = DB::Connection;

    fn deref(&self) -> &DB::Connection {
        self.connection
            .as_deref()
            .expect("a lease holds its connection until it ends")
    }
}

impl<DB: Backend> std::ops::DerefMut for Lease<'_, DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        self.connection
            .as_deref_mut()
            .expect("a lease holds its connection until it ends")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::SqlitePoolOptions;

    async fn pool() -> sqlx::SqlitePool {
        SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .expect("an in-memory database")
    }

    #[tokio::test]
    async fn a_connection_whose_use_ended_well_is_kept_and_taken_next() {
        let (pool, spares) = (pool().await, Spares::default());
        let mut lease = Lease::new(pool.acquire().await.unwrap(), &spares);
        sqlx::query("select 1").execute(&mut *lease).await.unwrap();
        lease.end(&Ok::<(), ()>(()));
        assert_eq!(spares.count(), 1);
        assert!(spares.take::<Sqlite>().is_some(), "taken back");
        assert_eq!(spares.count(), 0);
    }

    #[tokio::test]
    async fn a_connection_lent_before_the_pool_closes_goes_back_to_it_so_that_closing_ends() {
        let (pool, spares) = (pool().await, Spares::default());
        let mut lease = Lease::new(pool.acquire().await.unwrap(), &spares);
        sqlx::query("select 1").execute(&mut *lease).await.unwrap();
        spares.close();
        lease.end(&Ok::<(), ()>(()));
        assert_eq!(spares.count(), 0, "not kept once closed");
        tokio::time::timeout(Duration::from_secs(5), pool.close())
            .await
            .expect("the pool closes: its connection came back");
    }

    #[tokio::test]
    async fn a_connection_whose_use_failed_or_left_a_transaction_open_goes_back_to_the_pool() {
        let (pool, spares) = (pool().await, Spares::default());
        let lease = Lease::new(pool.acquire().await.unwrap(), &spares);
        lease.end(&Err::<(), ()>(()));
        assert_eq!(spares.count(), 0, "a failed use");
        let mut lease = Lease::new(pool.acquire().await.unwrap(), &spares);
        // A transaction neither committed nor rolled back (nor dropped, which queues a rollback).
        std::mem::forget(sqlx::Connection::begin(&mut *lease).await.unwrap());
        lease.end(&Ok::<(), ()>(()));
        assert_eq!(spares.count(), 0, "a transaction left open");
        // Dropped, the connection went back to the pool, which gives it out again.
        let mut again = pool.acquire().await.unwrap();
        sqlx::query("select 1").execute(&mut *again).await.unwrap();
    }

    #[tokio::test]
    async fn while_a_task_waits_for_the_pool_a_connection_given_back_goes_to_the_pool() {
        let (pool, spares) = (pool().await, Spares::default());
        let lease = Lease::new(pool.acquire().await.unwrap(), &spares);
        let waiting = spares.wait();
        lease.end(&Ok::<(), ()>(()));
        assert_eq!(spares.count(), 0, "not kept");
        // The pool's only connection is the waiter's.
        let connection = tokio::time::timeout(Duration::from_secs(5), pool.acquire()).await;
        assert!(connection.is_ok_and(|c| c.is_ok()), "the pool gave it");
        drop(waiting);
    }

    #[tokio::test]
    async fn a_connection_kept_too_long_goes_back_to_the_pool() {
        let (pool, spares) = (pool().await, Spares::default());
        let lease = Lease::new(pool.acquire().await.unwrap(), &spares);
        lease.end(&Ok::<(), ()>(()));
        kept::<Sqlite>(&spares)[0].since -= KEPT_AT_MOST;
        assert!(spares.take::<Sqlite>().is_none());
        assert_eq!(spares.count(), 0);
    }
}
