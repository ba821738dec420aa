//! People's refresh tokens: stored as SHA-256 digests, in families that start at a login.
//! Each token is used once; presenting a used one again means it was stolen (or the client
//! misbehaves), so its whole family is revoked (OAuth 2.0 Security BCP, refresh token rotation).

use super::BeginWrite as _;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Store, StoreError, classify, now, with_conn};

/// What became of a refresh token presented for a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was valid: it is now used, and the new one (same family) is stored.
    Rotated { user_id: Uuid },
    /// The token had been used already: its family is now revoked.
    Replayed,
    /// Unknown, expired or revoked.
    Invalid,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct RefreshTokenRow {
    id: Uuid,
    family_id: Uuid,
    user_id: Uuid,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Stores the first refresh token of a new family (a login).
    #[tracing::instrument(skip_all, fields(user.id = %user_id))]
    pub async fn start_refresh_family(
        &self,
        user_id: Uuid,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let at = now();
        with_conn!(self, conn => {
            sqlx::query(
                "insert into refresh_tokens (id, family_id, user_id, token_hash, expires_at, created_at) \
                 values ($1, $2, $3, $4, $5, $6)",
            )
            .bind(Uuid::now_v7())
            .bind(Uuid::now_v7())
            .bind(user_id)
            .bind(token_hash.to_owned())
            .bind(expires_at)
            .bind(at)
            .execute(&mut *conn)
            .await
            .map(|_| ())
        })
        .map_err(|e| classify(e, "refresh token"))
    }

    /// Uses the token whose digest is `old_hash` and stores `new_hash` in its family, or says
    /// why not. A family (a session) lives at most `session_max` from its login: the new token
    /// expires at `new_expires_at` or at the end of the session, whichever comes first, and a
    /// session that is over is refused.
    #[tracing::instrument(skip_all)]
    pub async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new_hash: &str,
        new_expires_at: DateTime<Utc>,
        session_max: chrono::TimeDelta,
    ) -> Result<Rotation, StoreError> {
        let at = now();
        let row = with_conn!(self, conn => {
            sqlx::query_as::<_, RefreshTokenRow>(
                "select id, family_id, user_id, expires_at, used_at, revoked_at from refresh_tokens \
                 where token_hash = $1",
            )
            .bind(old_hash.to_owned())
            .fetch_optional(&mut *conn)
            .await
        })
        .map_err(|e| classify(e, "refresh token"))?;
        let Some(row) = row else { return Ok(Rotation::Invalid) };
        if row.revoked_at.is_some() {
            return Ok(Rotation::Invalid);
        }
        if row.used_at.is_some() {
            self.revoke_refresh_family(row.family_id).await?;
            return Ok(Rotation::Replayed);
        }
        if row.expires_at <= at {
            return Ok(Rotation::Invalid);
        }
        let session_started_at: DateTime<Utc> = with_conn!(self, conn => {
            sqlx::query_scalar("select min(created_at) from refresh_tokens where family_id = $1")
                .bind(row.family_id)
                .fetch_one(&mut *conn)
                .await
        })
        .map_err(|e| classify(e, "refresh token"))?;
        let session_ends_at = session_started_at + session_max;
        if session_ends_at <= at {
            return Ok(Rotation::Invalid);
        }
        let new_expires_at = new_expires_at.min(session_ends_at);
        // The compare-and-set on used_at makes two concurrent uses of one token a replay.
        let rotated = with_conn!(self, conn => {
            async {
                let mut tx = conn.begin_write().await?;
                let used = sqlx::query(
                    "update refresh_tokens set used_at = $1 where id = $2 and used_at is null and revoked_at is null",
                )
                .bind(at)
                .bind(row.id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if used != 1 {
                    tx.rollback().await?;
                    return Ok::<bool, sqlx::Error>(false);
                }
                sqlx::query(
                    "insert into refresh_tokens (id, family_id, user_id, token_hash, expires_at, created_at) \
                     values ($1, $2, $3, $4, $5, $6)",
                )
                .bind(Uuid::now_v7())
                .bind(row.family_id)
                .bind(row.user_id)
                .bind(new_hash.to_owned())
                .bind(new_expires_at)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }
            .await
        })
        .map_err(|e| classify(e, "refresh token"))?;
        if rotated {
            Ok(Rotation::Rotated { user_id: row.user_id })
        } else {
            self.revoke_refresh_family(row.family_id).await?;
            Ok(Rotation::Replayed)
        }
    }

    /// Revokes every token of the family of the token whose digest is `token_hash` (a logout);
    /// an unknown token changes nothing.
    #[tracing::instrument(skip_all)]
    pub async fn revoke_refresh_token(&self, token_hash: &str) -> Result<(), StoreError> {
        with_conn!(self, conn => {
            sqlx::query(
                "update refresh_tokens set revoked_at = $1 where revoked_at is null and family_id in \
                 (select family_id from refresh_tokens where token_hash = $2)",
            )
            .bind(now())
            .bind(token_hash.to_owned())
            .execute(&mut *conn)
            .await
            .map(|_| ())
        })
        .map_err(|e| classify(e, "refresh token"))
    }

    /// Revokes every refresh token of a user (deactivated, new password, new role).
    #[tracing::instrument(skip_all, fields(user.id = %user_id))]
    pub async fn revoke_user_refresh_tokens(&self, user_id: Uuid) -> Result<(), StoreError> {
        with_conn!(self, conn => {
            sqlx::query("update refresh_tokens set revoked_at = $1 where user_id = $2 and revoked_at is null")
                .bind(now())
                .bind(user_id)
                .execute(&mut *conn)
                .await
                .map(|_| ())
        })
        .map_err(|e| classify(e, "refresh token"))
    }

    async fn revoke_refresh_family(&self, family_id: Uuid) -> Result<(), StoreError> {
        tracing::warn!(family.id = %family_id, "a used refresh token was presented again: its family is revoked");
        with_conn!(self, conn => {
            sqlx::query("update refresh_tokens set revoked_at = $1 where family_id = $2 and revoked_at is null")
                .bind(now())
                .bind(family_id)
                .execute(&mut *conn)
                .await
                .map(|_| ())
        })
        .map_err(|e| classify(e, "refresh token"))
    }
}
