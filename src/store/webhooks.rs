//! Webhook subscriptions in the database: their settings, their position in the change log (the
//! outbox of every delivery), their retry state, the lease a delivery worker holds on one, and
//! the recent delivery attempts.

use std::sync::LazyLock;

use super::BeginWrite as _;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;
use uuid::Uuid;

use super::columns::Table;
use super::{Store, StoreError, classify, compare_and_set, count_where, now, with_conn};
use crate::core::role::RoleName;
use crate::domain::stored::stored;

/// A subscription as stored, without its secrets.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Webhook {
    pub id: Uuid,
    #[sqlx(flatten)]
    pub fields: WebhookFields,
    /// Why the service disabled it; `None` while active, or when its owner paused it.
    pub disabled_reason: Option<String>,
    #[sqlx(flatten)]
    pub owner: Owner,
    /// The seq of the last change delivered or passed over.
    pub position: i64,
    /// Failed attempts at the change after `position`.
    pub attempts: i32,
    pub failing_since: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

stored! {
    /// What the owner of a subscription sets.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct WebhookFields, list webhook_fields {
        pub url: String,
        pub description: Option<String>,
        /// Comma-separated resources; `None`: every resource of the feed.
        pub types: Option<String>,
        /// Comma-separated actions; `None`: every action.
        pub actions: Option<String>,
        pub active: bool,
    }
}

/// The writable columns of `webhooks`.
pub const WEBHOOKS: Table = Table::new("webhooks", WebhookFields::COLUMNS);

/// Whose rights a subscription's deliveries follow: its creator's principal.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Owner {
    #[sqlx(rename = "owner_subject")]
    pub subject: String,
    #[sqlx(rename = "owner_role")]
    pub role: RoleName,
    #[sqlx(rename = "owner_region_code")]
    pub region_code: Option<String>,
    #[sqlx(rename = "owner_organisation_id")]
    pub organisation_id: Option<Uuid>,
}

/// The keys a subscription's deliveries are signed with.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Secrets {
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTime<Utc>>,
}

impl Secrets {
    /// The secrets that sign at `at`: the current one, and the one it replaced while it lasts.
    pub fn signing_at(&self, at: DateTime<Utc>) -> Vec<&str> {
        let mut keys = vec![self.secret.as_str()];
        if let (Some(previous), Some(until)) = (&self.previous_secret, self.previous_secret_until)
            && at < until
        {
            keys.push(previous);
        }
        keys
    }
}

/// A subscription leased for delivery, with its secrets.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Leased {
    #[sqlx(flatten)]
    pub webhook: Webhook,
    #[sqlx(flatten)]
    pub secrets: Secrets,
}

/// One attempt at delivering a message.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Delivery {
    pub message_id: String,
    /// The change's seq; `None` for a ping.
    pub seq: Option<i64>,
    pub attempted_at: DateTime<Utc>,
    /// The receiver's status; `None` when it did not answer.
    pub status: Option<i32>,
    pub duration_ms: i64,
    pub error: Option<String>,
    /// At most 1 KiB of the receiver's answer.
    pub response: Option<String>,
}

/// How many attempts of each subscription are kept.
pub const DELIVERIES_KEPT: i64 = 100;

// The columns of `Webhook`, in one place for every query.
webhook_fields!(
    columns,
    "id, ",
    "disabled_reason, owner_subject, owner_role, owner_region_code, owner_organisation_id, position, attempts, failing_since, next_attempt_at, created_at, updated_at, version"
);

static INSERT: LazyLock<String> = LazyLock::new(|| {
    WEBHOOKS.insert(
        &[
            "id",
            "secret",
            "owner_subject",
            "owner_role",
            "owner_region_code",
            "owner_organisation_id",
            "position",
        ],
        columns!(),
    )
});
static UPDATE: LazyLock<String> = LazyLock::new(|| WEBHOOKS.update(&["id"], true, columns!()));

/// The seq of the newest change of the log (0 when it is empty).
const HEAD: &str = "select coalesce(max(seq), 0) from record_changes";

/// Which subscriptions a list shows, and from where.
#[derive(Debug, Clone, Default)]
pub struct ListWebhooks {
    /// Only the subscriptions of this owner (`None`: all, for administrators).
    pub owner: Option<String>,
    /// The creation time and id of the last subscription of the previous page.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub limit: i64,
}

/// Pushes the conditions of a `&ListWebhooks` (not its page position) onto `sql`, a `QueryBuilder`
/// of either backend: the same for a page and for its count.
macro_rules! webhook_filter {
    ($sql:ident, $query:expr) => {{
        let query: &ListWebhooks = $query;
        let sql = &mut $sql;
        if let Some(owner) = &query.owner {
            sql.push(" and owner_subject = ").push_bind(owner.clone());
        }
    }};
}

impl Store {
    /// Creates a subscription that starts after the newest change of the log: it is told of
    /// the changes made from now on.
    #[tracing::instrument(skip_all)]
    pub async fn create_webhook(
        &self,
        fields: &WebhookFields,
        secret: &str,
        owner: &Owner,
    ) -> Result<Webhook, StoreError> {
        let id = Uuid::now_v7();
        let at = now();
        with_conn!(self, conn => {
            async {
                let mut tx = conn.begin_write().await?;
                let head: i64 = sqlx::query_scalar(HEAD).fetch_one(&mut *tx).await?;
                let created = fields
                    .bind(sqlx::query_as::<_, Webhook>(INSERT.as_str()))
                    .bind(id)
                    .bind(secret.to_owned())
                    .bind(owner.subject.clone())
                    .bind(owner.role)
                    .bind(owner.region_code.clone())
                    .bind(owner.organisation_id)
                    .bind(head)
                    .bind(at)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(created)
            }
            .await
        })
        .map_err(|e| classify(e, "webhook"))
    }

    #[tracing::instrument(skip_all, fields(webhook.id = %id))]
    pub async fn get_webhook(&self, id: Uuid) -> Result<Webhook, StoreError> {
        let row = with_conn!(self, conn => {
            sqlx::query_as::<_, Webhook>(concat!("select ", columns!(), " from webhooks where id = $1"))
                .bind(id)
                .fetch_optional(&mut *conn)
                .await
        })
        .map_err(|e| classify(e, "webhook"))?;
        row.ok_or(StoreError::NotFound("webhook"))
    }

    /// How many webhooks `query` matches, whatever its page: a page's `total` (`count=true`).
    #[tracing::instrument(skip_all)]
    pub async fn count_webhooks(&self, query: &ListWebhooks) -> Result<i64, StoreError> {
        count_where!(self, "webhooks", webhook_filter!(query), "webhook")
    }

    /// One page of subscriptions, oldest first.
    #[tracing::instrument(skip_all)]
    pub async fn list_webhooks(&self, query: &ListWebhooks) -> Result<Vec<Webhook>, StoreError> {
        with_conn!(self, conn => {
            let mut sql = QueryBuilder::new(concat!("select ", columns!(), " from webhooks where true"));
            webhook_filter!(sql, query);
            if let Some((at, id)) = query.after {
                sql.push(" and (created_at, id) > (").push_bind(at).push(", ").push_bind(id).push(")");
            }
            sql.push(" order by created_at, id limit ").push_bind(query.limit);
            sql.build_query_as::<Webhook>().fetch_all(&mut *conn).await
        })
        .map_err(|e| classify(e, "webhook"))
    }

    /// Compare-and-set update of a subscription's settings. A change starts its retries afresh
    /// (a new URL is tried at once); switching it on again clears why it was disabled.
    #[tracing::instrument(skip_all, fields(webhook.id = %id))]
    pub async fn update_webhook<E: From<StoreError>>(
        &self,
        id: Uuid,
        change: impl Fn(&Webhook) -> Result<WebhookFields, E>,
    ) -> Result<Webhook, E> {
        compare_and_set("webhook", async || {
            let current = self.get_webhook(id).await?;
            let fields = change(&current)?;
            if fields == current.fields {
                return Ok(Some(current));
            }
            let at = now();
            let updated = with_conn!(self, conn => {
                async {
                    let mut tx = conn.begin_write().await?;
                    let updated = fields
                        .bind(sqlx::query(UPDATE.as_str()))
                        .bind(id)
                        .bind(at)
                        .bind(current.version)
                        .execute(&mut *tx)
                        .await?;
                    if updated.rows_affected() == 0 {
                        return Ok(None);
                    }
                    let row = sqlx::query_as::<_, Webhook>(concat!(
                        "update webhooks set attempts = 0, failing_since = null, next_attempt_at = null, \
                         disabled_reason = case when active then null else disabled_reason end where id = $1 \
                         returning ",
                        columns!()
                    ))
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok::<_, sqlx::Error>(Some(row))
                }
                .await
            })
            .map_err(|e| classify(e, "webhook"))?;
            Ok(updated)
        })
        .await
    }

    /// Deletes a subscription at `version` (any version when `None`), with its delivery attempts.
    #[tracing::instrument(skip_all, fields(webhook.id = %id))]
    pub async fn delete_webhook(&self, id: Uuid, version: Option<i64>) -> Result<(), StoreError> {
        let deleted = with_conn!(self, conn => {
            async {
                let mut tx = conn.begin_write().await?;
                sqlx::query("delete from webhook_deliveries where webhook_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let gone = sqlx::query("delete from webhooks where id = $1 and version = coalesce($2, version)")
                    .bind(id)
                    .bind(version)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if gone == 0 {
                    return Ok(false);
                }
                tx.commit().await?;
                Ok::<_, sqlx::Error>(true)
            }
            .await
        })
        .map_err(|e| classify(e, "webhook"))?;
        if deleted {
            return Ok(());
        }
        match self.get_webhook(id).await {
            Ok(_) => Err(StoreError::Contended("webhook")),
            Err(e) => Err(e),
        }
    }

    /// The keys that sign a subscription's deliveries.
    #[tracing::instrument(skip_all, fields(webhook.id = %id))]
    pub async fn webhook_secrets(&self, id: Uuid) -> Result<Secrets, StoreError> {
        let row = with_conn!(self, conn => {
            sqlx::query_as::<_, Secrets>(
                "select secret, previous_secret, previous_secret_until from webhooks where id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
        })
        .map_err(|e| classify(e, "webhook"))?;
        row.ok_or(StoreError::NotFound("webhook"))
    }

    /// Replaces the signing secret; the one replaced still signs until `keep_until`.
    #[tracing::instrument(skip_all, fields(webhook.id = %id))]
    pub async fn rotate_webhook_secret(
        &self,
        id: Uuid,
        secret: &str,
        keep_until: DateTime<Utc>,
    ) -> Result<Webhook, StoreError> {
        let at = now();
        let row = with_conn!(self, conn => {
            sqlx::query_as::<_, Webhook>(concat!(
                "update webhooks set previous_secret = secret, previous_secret_until = $1, secret = $2, \
                 updated_at = $3, version = version + 1 where id = $4 returning ",
                columns!()
            ))
            .bind(keep_until)
            .bind(secret.to_owned())
            .bind(at)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
        })
        .map_err(|e| classify(e, "webhook"))?;
        row.ok_or(StoreError::NotFound("webhook"))
    }

    /// Moves a subscription's position (redelivery from there), with its retries afresh.
    #[tracing::instrument(skip_all, fields(webhook.id = %id))]
    pub async fn reposition_webhook(&self, id: Uuid, position: i64) -> Result<Webhook, StoreError> {
        let row = with_conn!(self, conn => {
            sqlx::query_as::<_, Webhook>(concat!(
                "update webhooks set position = $1, attempts = 0, failing_since = null, next_attempt_at = null, \
                 lease_holder = null, lease_until = null where id = $2 returning ",
                columns!()
            ))
            .bind(position)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
        })
        .map_err(|e| classify(e, "webhook"))?;
        row.ok_or(StoreError::NotFound("webhook"))
    }

    /// The seq of the newest change of the log.
    #[tracing::instrument(skip_all)]
    pub async fn head_position(&self) -> Result<i64, StoreError> {
        with_conn!(self, conn => sqlx::query_scalar::<_, i64>(HEAD).fetch_one(&mut *conn).await)
            .map_err(|e| classify(e, "change"))
    }

    /// How far the most-behind active subscription is from the head of the log, in changes
    /// (changes it does not want count too, until it has passed them).
    #[tracing::instrument(skip_all)]
    pub async fn webhook_lag(&self) -> Result<i64, StoreError> {
        let sql = format!("select coalesce(max(({HEAD}) - position), 0) from webhooks where active");
        with_conn!(self, conn => {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *conn).await
        })
        .map_err(|e| classify(e, "webhook"))
    }

    /// Leases one subscription that has changes to deliver and is due (not waiting for a retry,
    /// not leased by a live worker) to `holder` until `until`, with its secrets. On PostgreSQL,
    /// `for update skip locked` lets instances take different subscriptions at once.
    #[tracing::instrument(skip_all)]
    pub async fn lease_due_webhook(
        &self,
        holder: &str,
        at: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<Leased>, StoreError> {
        let lock = if self.backend() == "postgres" {
            " for update skip locked"
        } else {
            ""
        };
        let due = format!(
            "select id from webhooks where active and (next_attempt_at is null or next_attempt_at <= $1) \
             and (lease_until is null or lease_until < $1) and position < ({HEAD}) \
             order by coalesce(next_attempt_at, created_at), id limit 1"
        );
        let lease = format!(
            "update webhooks set lease_holder = $2, lease_until = $3 where id = ({}{lock}) \
             returning {}, secret, previous_secret, previous_secret_until",
            due,
            columns!()
        );
        with_conn!(self, conn => {
            async {
                // A read first: most looks find nothing due, and need no write (nor SQLite's write lock).
                let any: Option<Uuid> = sqlx::query_scalar(sqlx::AssertSqlSafe(due.clone()))
                    .bind(at)
                    .fetch_optional(&mut *conn)
                    .await?;
                if any.is_none() {
                    return Ok(None);
                }
                sqlx::query_as::<_, Leased>(sqlx::AssertSqlSafe(lease.clone()))
                    .bind(at)
                    .bind(holder.to_owned())
                    .bind(until)
                    .fetch_optional(&mut *conn)
                    .await
            }
            .await
        })
        .map_err(|e| classify(e, "webhook"))
    }

    /// Records that `holder` delivered (or passed over) the changes up to `position`, and
    /// extends its lease to `until`; `false` when the lease was lost (another worker took it).
    #[tracing::instrument(skip_all, fields(webhook.id = %id))]
    pub async fn advance_webhook(
        &self,
        id: Uuid,
        holder: &str,
        position: i64,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        with_conn!(self, conn => {
            sqlx::query(
                "update webhooks set position = $1, attempts = 0, failing_since = null, next_attempt_at = null, \
                 lease_until = $2 where id = $3 and lease_holder = $4 and position <= $1",
            )
            .bind(position)
            .bind(until)
            .bind(id)
            .bind(holder.to_owned())
            .execute(&mut *conn)
            .await
            .map(|done| done.rows_affected())
        })
        .map(|rows| rows == 1)
        .map_err(|e| classify(e, "webhook"))
    }

    /// Records a failed attempt: the retry count, since when it fails, when to try again; or,
    /// with `disable`, switches the subscription off for that reason. Releases the lease.
    #[tracing::instrument(skip_all, fields(webhook.id = %id))]
    pub async fn webhook_failed(
        &self,
        id: Uuid,
        holder: &str,
        attempts: i32,
        failing_since: DateTime<Utc>,
        next_attempt_at: DateTime<Utc>,
        disable: Option<&str>,
    ) -> Result<(), StoreError> {
        with_conn!(self, conn => {
            sqlx::query(
                "update webhooks set attempts = $1, failing_since = $2, next_attempt_at = $3, \
                 active = (active and $4 is null), disabled_reason = coalesce($4, disabled_reason), \
                 lease_holder = null, lease_until = null where id = $5 and lease_holder = $6",
            )
            .bind(attempts)
            .bind(failing_since)
            .bind(next_attempt_at)
            .bind(disable.map(str::to_owned))
            .bind(id)
            .bind(holder.to_owned())
            .execute(&mut *conn)
            .await
            .map(|_| ())
        })
        .map_err(|e| classify(e, "webhook"))
    }

    /// Switches a subscription off for `reason` (its owner's account is gone, say).
    #[tracing::instrument(skip_all, fields(webhook.id = %id))]
    pub async fn disable_webhook(&self, id: Uuid, reason: &str) -> Result<(), StoreError> {
        with_conn!(self, conn => {
            sqlx::query(
                "update webhooks set active = false, disabled_reason = $1, lease_holder = null, lease_until = null \
                 where id = $2",
            )
            .bind(reason.to_owned())
            .bind(id)
            .execute(&mut *conn)
            .await
            .map(|_| ())
        })
        .map_err(|e| classify(e, "webhook"))
    }

    /// Gives a lease back.
    #[tracing::instrument(skip_all, fields(webhook.id = %id))]
    pub async fn release_webhook(&self, id: Uuid, holder: &str) -> Result<(), StoreError> {
        with_conn!(self, conn => {
            sqlx::query("update webhooks set lease_holder = null, lease_until = null where id = $1 and lease_holder = $2")
                .bind(id)
                .bind(holder.to_owned())
                .execute(&mut *conn)
                .await
                .map(|_| ())
        })
        .map_err(|e| classify(e, "webhook"))
    }

    /// Keeps one delivery attempt, and only the newest [`DELIVERIES_KEPT`] of the subscription.
    #[tracing::instrument(skip_all, fields(webhook.id = %id))]
    pub async fn record_delivery(&self, id: Uuid, delivery: &Delivery) -> Result<(), StoreError> {
        with_conn!(self, conn => {
            async {
                let mut tx = conn.begin_write().await?;
                sqlx::query(
                    "insert into webhook_deliveries (webhook_id, message_id, seq, attempted_at, status, duration_ms, \
                     error, response) values ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(id)
                .bind(delivery.message_id.clone())
                .bind(delivery.seq)
                .bind(delivery.attempted_at)
                .bind(delivery.status)
                .bind(delivery.duration_ms)
                .bind(delivery.error.clone())
                .bind(delivery.response.clone())
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "delete from webhook_deliveries where webhook_id = $1 and id <= (select id from webhook_deliveries \
                     where webhook_id = $1 order by id desc limit 1 offset $2)",
                )
                .bind(id)
                .bind(DELIVERIES_KEPT)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(())
            }
            .await
        })
        .map_err(|e| classify(e, "webhook"))
    }

    /// The newest `limit` attempts of a subscription, newest first.
    #[tracing::instrument(skip_all, fields(webhook.id = %id))]
    pub async fn list_deliveries(&self, id: Uuid, limit: i64) -> Result<Vec<Delivery>, StoreError> {
        with_conn!(self, conn => {
            sqlx::query_as::<_, Delivery>(
                "select message_id, seq, attempted_at, status, duration_ms, error, response from webhook_deliveries \
                 where webhook_id = $1 order by id desc limit $2",
            )
            .bind(id)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await
        })
        .map_err(|e| classify(e, "webhook"))
    }
}
