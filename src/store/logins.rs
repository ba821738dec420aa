//! Failed-login counters, shared by every instance through the database (see the migration
//! `0009_login_limits`). A counter counts the failures of its fixed window, which starts at its
//! first failure and lasts `window`; then the count starts again.

use super::BeginWrite as _;
use chrono::{DateTime, TimeDelta, Utc};

use super::{Store, StoreError, classify, now, with_conn};

/// One counter a login attempt counts on, and how many failures it allows per window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    /// The SHA-256 (hex) of the counter's name.
    pub key: String,
    pub limit: u32,
}

/// Whether a login attempt may check its password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// One failure is counted on every counter in advance; give it back if the password is right.
    Reserved,
    /// A counter has used up its failures: nothing was counted; wait this long.
    Refused { retry_after: TimeDelta },
}

impl Store {
    /// Counts one failure on each of `counters`, in one transaction, unless one of them has used
    /// up its limit: then nothing is counted (a refused attempt costs the other counters
    /// nothing, so that one address's refused guesses never use up an account's own ceiling).
    /// Counters are updated in the order given, always the same, so concurrent attempts queue
    /// on the first row they share and never deadlock.
    #[tracing::instrument(skip_all)]
    pub async fn reserve_login_failure(
        &self,
        counters: &[Counter],
        window: TimeDelta,
    ) -> Result<Reservation, StoreError> {
        let at = now();
        with_conn!(self, conn => {
            async {
                let mut tx = conn.begin_write().await?;
                for counter in counters {
                    let (failures, window_start): (i32, DateTime<Utc>) = sqlx::query_as(
                        "insert into login_limits (key, window_start, failures) values ($1, $2, 1) \
                         on conflict (key) do update set \
                           failures = case when login_limits.window_start <= $3 then 1 \
                                      else login_limits.failures + 1 end, \
                           window_start = case when login_limits.window_start <= $3 then $2 \
                                          else login_limits.window_start end \
                         returning failures, window_start",
                    )
                    .bind(counter.key.clone())
                    .bind(at)
                    .bind(at - window)
                    .fetch_one(&mut *tx)
                    .await?;
                    if u32::try_from(failures).unwrap_or(u32::MAX) > counter.limit {
                        tx.rollback().await?;
                        let retry_after = (window_start + window - at).max(TimeDelta::seconds(1));
                        return Ok::<_, sqlx::Error>(Reservation::Refused { retry_after });
                    }
                }
                tx.commit().await?;
                Ok(Reservation::Reserved)
            }
            .await
        })
        .map_err(|e| classify(e, "login limit"))
    }

    /// Gives back the failure reserved on `counters` by an attempt whose password was right, and
    /// clears `cleared` (the counter of this account from this address) altogether.
    #[tracing::instrument(skip_all)]
    pub async fn release_login_failure(&self, counters: &[Counter], cleared: &Counter) -> Result<(), StoreError> {
        with_conn!(self, conn => {
            async {
                let mut tx = conn.begin_write().await?;
                sqlx::query("delete from login_limits where key = $1")
                    .bind(cleared.key.clone())
                    .execute(&mut *tx)
                    .await?;
                for counter in counters.iter().filter(|c| c.key != cleared.key) {
                    sqlx::query("update login_limits set failures = failures - 1 where key = $1 and failures > 0")
                        .bind(counter.key.clone())
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await
            }
            .await
        })
        .map_err(|e| classify(e, "login limit"))
    }

    /// Deletes up to `batch` counters whose window ended before `before`.
    #[tracing::instrument(skip_all)]
    pub async fn purge_login_limits(&self, before: DateTime<Utc>, batch: i64) -> Result<u64, StoreError> {
        with_conn!(self, conn => {
            sqlx::query(
                "delete from login_limits where key in \
                 (select key from login_limits where window_start < $1 limit $2)",
            )
            .bind(before)
            .bind(batch)
            .execute(&mut *conn)
            .await
            .map(|done| done.rows_affected())
        })
        .map_err(|e| classify(e, "login limit"))
    }
}
