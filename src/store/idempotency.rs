//! Idempotency keys of POST requests: who used which key for which request, whether that
//! request still runs, and the answer to replay once it has ended (the HTTP layer applies them, in `http::idempotency`).
//!
//! A key is held by the request whose `started_at` the row carries: completing or releasing it
//! is a compare-and-set on that value, so a request whose key was taken over meanwhile (after it
//! ran too long, presumably on a crashed instance) changes nothing.

use anyhow::anyhow;
use chrono::{DateTime, Utc};

use super::{Store, StoreError, classify, with_conn};

/// The answer of a request, as replayed for the same key: status, the headers that matter, body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub body: Vec<u8>,
}

/// Where the first request of a key stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    InProgress,
    Done(StoredAnswer),
}

/// A stored idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// The fingerprint of the first request (method, path, query, content type, body).
    pub fingerprint: String,
    pub started_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub state: KeyState,
}

#[derive(Debug, sqlx::FromRow)]
struct IdempotencyKeyRow {
    fingerprint: String,
    state: String,
    started_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    response_status: Option<i32>,
    response_content_type: Option<String>,
    response_location: Option<String>,
    response_etag: Option<String>,
    response_body: Option<Vec<u8>>,
}

impl TryFrom<IdempotencyKeyRow> for IdempotencyKey {
    type Error = StoreError;

    fn try_from(row: IdempotencyKeyRow) -> Result<Self, StoreError> {
        let state = match (row.state.as_str(), row.response_status, row.response_body) {
            ("in_progress", _, _) => KeyState::InProgress,
            ("done", Some(status), Some(body)) => KeyState::Done(StoredAnswer {
                status: u16::try_from(status).map_err(|_| anyhow!("stored status {status} is out of range"))?,
                content_type: row.response_content_type,
                location: row.response_location,
                etag: row.response_etag,
                body,
            }),
            (state, _, _) => return Err(anyhow!("idempotency key in state {state} without its answer").into()),
        };
        Ok(Self {
            fingerprint: row.fingerprint,
            started_at: row.started_at,
            expires_at: row.expires_at,
            state,
        })
    }
}

impl Store {
    /// Inserts the key as `in_progress`, started at `started_at`; `false` when the caller
    /// already has this key (the insert is the lock).
    #[tracing::instrument(skip_all)]
    pub async fn claim_idempotency_key(
        &self,
        subject: &str,
        key: &str,
        fingerprint: &str,
        started_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        with_conn!(self, conn => {
            sqlx::query(
                r"insert into idempotency_keys (subject, idempotency_key, fingerprint, state, started_at, expires_at)
                  values ($1, $2, $3, 'in_progress', $4, $5)
                  on conflict (subject, idempotency_key) do nothing",
            )
            .bind(subject.to_owned())
            .bind(key.to_owned())
            .bind(fingerprint.to_owned())
            .bind(started_at)
            .bind(expires_at)
            .execute(&mut *conn)
            .await
            .map(|done| done.rows_affected() == 1)
        })
        .map_err(|e| classify(e, "idempotency key"))
    }

    /// The caller's key, if it is stored (expired or not).
    #[tracing::instrument(skip_all)]
    pub async fn idempotency_key(&self, subject: &str, key: &str) -> Result<Option<IdempotencyKey>, StoreError> {
        let row = with_conn!(self, conn => {
            sqlx::query_as::<_, IdempotencyKeyRow>(
                r"select fingerprint, state, started_at, expires_at, response_status, response_content_type,
                         response_location, response_etag, response_body
                  from idempotency_keys
                  where subject = $1 and idempotency_key = $2",
            )
            .bind(subject.to_owned())
            .bind(key.to_owned())
            .fetch_optional(&mut *conn)
            .await
        })
        .map_err(|e| classify(e, "idempotency key"))?;
        row.map(IdempotencyKey::try_from).transpose()
    }

    /// Takes over a key that was seen started at `seen_started_at` (expired, or left in progress
    /// by a request that never ended): it is `in_progress` again for a new request with
    /// `fingerprint`, started at `started_at`. `false` when another request changed it first.
    #[tracing::instrument(skip_all)]
    pub async fn take_over_idempotency_key(
        &self,
        subject: &str,
        key: &str,
        seen_started_at: DateTime<Utc>,
        fingerprint: &str,
        started_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        with_conn!(self, conn => {
            sqlx::query(
                r"update idempotency_keys
                  set fingerprint = $4, state = 'in_progress', started_at = $5, expires_at = $6,
                      response_status = null, response_content_type = null, response_location = null,
                      response_etag = null, response_body = null
                  where subject = $1 and idempotency_key = $2 and started_at = $3",
            )
            .bind(subject.to_owned())
            .bind(key.to_owned())
            .bind(seen_started_at)
            .bind(fingerprint.to_owned())
            .bind(started_at)
            .bind(expires_at)
            .execute(&mut *conn)
            .await
            .map(|done| done.rows_affected() == 1)
        })
        .map_err(|e| classify(e, "idempotency key"))
    }

    /// Stores the answer of the request that holds the key (started at `started_at`) and marks
    /// the key `done`; `false` when the key is no longer held by that request.
    #[tracing::instrument(skip_all, fields(status = answer.status))]
    pub async fn complete_idempotency_key(
        &self,
        subject: &str,
        key: &str,
        started_at: DateTime<Utc>,
        answer: &StoredAnswer,
    ) -> Result<bool, StoreError> {
        with_conn!(self, conn => {
            sqlx::query(
                r"update idempotency_keys
                  set state = 'done', response_status = $4, response_content_type = $5, response_location = $6,
                      response_etag = $7, response_body = $8
                  where subject = $1 and idempotency_key = $2 and started_at = $3 and state = 'in_progress'",
            )
            .bind(subject.to_owned())
            .bind(key.to_owned())
            .bind(started_at)
            .bind(i32::from(answer.status))
            .bind(answer.content_type.clone())
            .bind(answer.location.clone())
            .bind(answer.etag.clone())
            .bind(answer.body.clone())
            .execute(&mut *conn)
            .await
            .map(|done| done.rows_affected() == 1)
        })
        .map_err(|e| classify(e, "idempotency key"))
    }

    /// Forgets the key held by the request started at `started_at` (its request failed on our
    /// side), so that a retry runs again.
    #[tracing::instrument(skip_all)]
    pub async fn release_idempotency_key(
        &self,
        subject: &str,
        key: &str,
        started_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_conn!(self, conn => {
            sqlx::query(
                r"delete from idempotency_keys
                  where subject = $1 and idempotency_key = $2 and started_at = $3 and state = 'in_progress'",
            )
            .bind(subject.to_owned())
            .bind(key.to_owned())
            .bind(started_at)
            .execute(&mut *conn)
            .await
            .map(|_| ())
        })
        .map_err(|e| classify(e, "idempotency key"))
    }

    /// Deletes at most `limit` keys expired at `now`, oldest first; returns how many.
    #[tracing::instrument(skip_all)]
    pub async fn purge_expired_idempotency_keys(&self, now: DateTime<Utc>, limit: i64) -> Result<u64, StoreError> {
        with_conn!(self, conn => {
            sqlx::query(
                r"delete from idempotency_keys
                  where (subject, idempotency_key) in (
                      select subject, idempotency_key
                      from idempotency_keys
                      where expires_at <= $1
                      order by expires_at
                      limit $2)",
            )
            .bind(now)
            .bind(limit)
            .execute(&mut *conn)
            .await
            .map(|done| done.rows_affected())
        })
        .map_err(|e| classify(e, "idempotency key"))
    }
}
