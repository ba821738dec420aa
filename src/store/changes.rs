//! The change log (`record_changes`): one row per write of a record, inserted in the transaction
//! of the write, read as the change feed (in commit order) and as the audit trail (who changed
//! what, with old and new values). Each resource's store module builds its `NewChange` from the
//! record as written; `record` inserts them last, just before the commit.

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use sqlx::QueryBuilder;
use uuid::Uuid;

use crate::domain::string_enum;

use super::{Store, StoreError, classify, count_where, with_conn};
use crate::core::{Actor, ActorKind, Resource, Target};

string_enum! {
    /// What a change did to its record.
    pub enum ChangeAction("action") {
        Created = "created",
        Updated = "updated",
        Deleted = "deleted",
    }
}

/// A change about to be logged.
#[derive(Debug, Clone)]
pub struct NewChange {
    record_id: Uuid,
    parent_id: Option<Uuid>,
    action: ChangeAction,
    version: i64,
    target: Target,
    /// The record as written, and what changed (`{field: {new, old}}`), as JSON text: written
    /// once when the change is made, and stored as it is.
    data: Option<Box<RawValue>>,
    changes: Option<Box<RawValue>>,
}

/// Keys of `data` that are bookkeeping rather than fields: never listed as changed.
const BOOKKEEPING: &[&str] = &["id", "created_at", "updated_at"];

/// Keys of `changes` standing for a secret that changed: the values are never logged.
const HIDDEN: &str = "(hidden)";

impl NewChange {
    /// A creation: `changes` lists every field that has a value, from null.
    pub fn created(record: Record) -> Self {
        let changes = match &record.data {
            Value::Object(fields) => json_text(&FromNull(fields)),
            _ => json_text(&Map::new()),
        };
        Self {
            record_id: record.id,
            parent_id: record.parent_id,
            action: ChangeAction::Created,
            version: record.version,
            target: record.target,
            data: Some(json_text(&record.data)),
            changes: Some(changes),
        }
    }

    /// An update from `before` to `after` (the same record).
    pub fn updated(before: &Record, after: Record) -> Self {
        let changes = diff(&before.data, &after.data);
        Self {
            record_id: after.id,
            parent_id: after.parent_id,
            action: ChangeAction::Updated,
            version: after.version,
            target: after.target,
            data: Some(json_text(&after.data)),
            changes: Some(json_text(&changes)),
        }
    }

    /// A deletion of `record` (as it was): a tombstone, without data or changes.
    pub fn deleted(record: Record) -> Self {
        Self {
            record_id: record.id,
            parent_id: record.parent_id,
            action: ChangeAction::Deleted,
            version: record.version,
            target: record.target,
            data: None,
            changes: None,
        }
    }

    /// Marks a secret (`password`, `secret`) as changed, without any of its values.
    pub fn with_hidden_change(mut self, key: &str) -> Self {
        if let Some(text) = &self.changes
            && let Ok(Value::Object(mut changes)) = serde_json::from_str::<Value>(text.get())
        {
            changes.insert(key.to_owned(), json!({"old": HIDDEN, "new": HIDDEN}));
            self.changes = Some(json_text(&changes));
        }
        self
    }
}

/// `value` as JSON text (JSON `null` if it could not be written, which a `Value` always can).
fn json_text<T: serde::Serialize + ?Sized>(value: &T) -> Box<RawValue> {
    serde_json::value::to_raw_value(value).unwrap_or_default()
}

/// A creation's changes as [`diff`] from null would list them, `{field: {new, old: null}}` for
/// every field with a value (bookkeeping aside), serialized straight from the record's data.
struct FromNull<'a>(&'a Map<String, Value>);

impl serde::Serialize for FromNull<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct Change<'a> {
            new: &'a Value,
            old: (),
        }
        let fields = self
            .0
            .iter()
            .filter(|(key, value)| !BOOKKEEPING.contains(&key.as_str()) && !value.is_null());
        serializer.collect_map(fields.map(|(key, new)| (key, Change { new, old: () })))
    }
}

/// `{field: {old, new}}` for every field of `after` whose value differs from `before`'s.
fn diff(before: &Value, after: &Value) -> Value {
    let mut changes = Map::new();
    if let Value::Object(fields) = after {
        for (key, new) in fields {
            if BOOKKEEPING.contains(&key.as_str()) {
                continue;
            }
            let old = before.get(key).unwrap_or(&Value::Null);
            if old != new {
                changes.insert(key.clone(), json!({"old": old, "new": new}));
            }
        }
    }
    Value::Object(changes)
}

/// A record's logged data: its typed record (`OrganisationRecord`, …: the stored fields with
/// the record's id, what is derived or joined and its times) as it serializes.
pub fn data_of(record: &impl serde::Serialize) -> Value {
    serde_json::to_value(record).unwrap_or_default()
}

/// A record as the log keeps it: its identity, version, policy facts and stored fields.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub version: i64,
    pub target: Target,
    pub data: Value,
}

impl Record {
    /// A record of which only the identity, version and facts are known (for a tombstone).
    pub fn gone(id: Uuid, parent_id: Option<Uuid>, version: i64, target: Target) -> Self {
        Self {
            id,
            parent_id,
            version,
            target,
            data: Value::Null,
        }
    }
}

/// The one key of the transaction-level advisory lock that orders the log on PostgreSQL.
const LOG_LOCK_KEY: i64 = 0x6372_6573_735f_6c6f; // "cress_lo"

/// Logs `changes` as `actor` at `at`, inside the write's transaction `tx`: call it as the last
/// statement before the commit (a bulk import calls it once per batch, after all its other
/// statements; the lock taken by the first call is held until the commit).
///
/// Why the lock: the feed is read by `seq`, and a consumer resumes after the last `seq` it saw.
/// On PostgreSQL, `seq` comes from a sequence, whose values are handed out at insert time but
/// become visible at commit time: a transaction that took 41 could commit after one that took
/// 42, and a consumer that had read 42 would never see 41. Each writer therefore takes one
/// transaction-level advisory lock immediately before it inserts its rows; the lock is held
/// until its commit, so the next writer draws its `seq` only after the previous one committed:
/// `seq` order is commit order. SQLite has a single writer at a time (every write transaction
/// holds the database's write lock from its first write to its commit), which already gives that.
pub(crate) async fn record<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    actor: &Actor,
    at: DateTime<Utc>,
    changes: &[NewChange],
) -> Result<(), sqlx::Error>
where
    DB: sqlx::Database + sqlx::database::HasStatementCache,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    Uuid: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<Uuid>: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    bool: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    DateTime<Utc>: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<Box<RawValue>>: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    if changes.is_empty() {
        return Ok(());
    }
    if DB::NAME == "PostgreSQL" {
        sqlx::query::<DB>("select pg_advisory_xact_lock($1)")
            .bind(LOG_LOCK_KEY)
            .execute(&mut **tx)
            .await?;
    }
    // Many rows per statement (a bulk import logs thousands): 14 parameters a row stays under
    // SQLite's 32,766 and PostgreSQL's 65,535 bound parameters.
    for chunk in changes.chunks(1000) {
        let mut sql = sqlx::QueryBuilder::<DB>::new(
            "insert into record_changes (at, resource, record_id, parent_id, action, version, actor_subject, \
             actor_role, actor_kind, region_code, organisation_id, public, data, changes) ",
        );
        sql.push_values(chunk, |mut row, change| {
            row.push_bind(at)
                .push_bind(change.target.kind.as_str().to_owned())
                .push_bind(change.record_id)
                .push_bind(change.parent_id)
                .push_bind(change.action.as_str().to_owned())
                .push_bind(change.version)
                .push_bind(actor.subject.clone())
                .push_bind(actor.role.clone())
                .push_bind(actor.kind.as_str().to_owned())
                .push_bind(change.target.region.clone())
                .push_bind(change.target.organisation)
                .push_bind(change.target.public)
                .push_bind(change.data.clone())
                .push_bind(change.changes.clone());
        });
        // A statement of many rows is not kept prepared: it would hold its memory on the
        // connection, for a statement of that very length only.
        sql.build().persistent(chunk.len() == 1).execute(&mut **tx).await?;
    }
    Ok(())
}

/// One row of the log, as read.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoggedChange {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub resource: Resource,
    pub record_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub action: ChangeAction,
    pub version: i64,
    pub actor_subject: String,
    pub actor_role: Option<String>,
    pub actor_kind: ActorKind,
    pub region_code: Option<String>,
    pub organisation_id: Option<Uuid>,
    pub public: bool,
    pub data: Option<Value>,
    pub changes: Option<Value>,
}

macro_rules! columns {
    () => {
        "seq, at, resource, record_id, parent_id, action, version, actor_subject, actor_role, actor_kind, \
         region_code, organisation_id, public, data, changes"
    };
}

/// One page of the feed.
#[derive(Debug, Clone)]
pub struct FeedQuery {
    /// Only changes after this position (0: from the start).
    pub after: i64,
    /// Only these resources (never accounts).
    pub resources: Vec<Resource>,
    /// Only changes up to this position (a webhook reads up to the head it saw first).
    pub until: Option<i64>,
    /// Only these actions (empty: all).
    pub actions: Vec<ChangeAction>,
    /// Anonymous callers: a change that leaves its record not public reads as a deletion.
    pub public_only: bool,
    /// Rows to fetch (one more than shown, to know whether more follow).
    pub limit: i64,
}

/// One page of the audit trail, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub resource: Option<Resource>,
    pub record_id: Option<Uuid>,
    /// With `resource = club`: the changes of its members too.
    pub with_members: bool,
    pub actor: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// A Cress manager: only the changes of records of its region.
    pub region: Option<String>,
    /// Only changes before this position (the previous page's last).
    pub before: Option<i64>,
    pub limit: i64,
}

/// Pushes the conditions of a `&FeedQuery` (not its position `after`) onto `sql`, a
/// `QueryBuilder` of either backend: the same for a page and for its count.
macro_rules! feed_filter {
    ($sql:ident, $query:expr) => {{
        let query: &FeedQuery = $query;
        let sql = &mut $sql;
        if let Some(until) = query.until {
            sql.push(" and seq <= ").push_bind(until);
        }
        sql.push(" and resource in (");
        let mut list = sql.separated(", ");
        for resource in &query.resources {
            list.push_bind(resource.as_str());
        }
        sql.push(")");
        if !query.actions.is_empty() {
            sql.push(" and action in (");
            let mut list = sql.separated(", ");
            for action in &query.actions {
                list.push_bind(action.as_str());
            }
            sql.push(")");
        }
    }};
}

/// Pushes the conditions of an `&AuditQuery` (not its position `before`) onto `sql`: the same
/// for a page and for its count.
macro_rules! audit_filter {
    ($sql:ident, $query:expr) => {{
        let query: &AuditQuery = $query;
        let sql = &mut $sql;
        match (query.resource, query.record_id) {
            (Some(Resource::Club), Some(id)) if query.with_members => {
                sql.push(" and ((resource = 'club' and record_id = ")
                    .push_bind(id)
                    .push(") or (resource = 'club_member' and parent_id = ")
                    .push_bind(id)
                    .push("))");
            }
            (resource, id) => {
                if let Some(resource) = resource {
                    sql.push(" and resource = ").push_bind(resource.as_str());
                }
                if let Some(id) = id {
                    sql.push(" and record_id = ").push_bind(id);
                }
            }
        }
        if let Some(actor) = &query.actor {
            sql.push(" and actor_subject = ").push_bind(actor.clone());
        }
        if let Some(from) = query.from {
            sql.push(" and at >= ").push_bind(from);
        }
        if let Some(to) = query.to {
            sql.push(" and at < ").push_bind(to);
        }
        if let Some(region) = &query.region {
            sql.push(" and region_code = ").push_bind(region.clone());
        }
    }};
}

impl Store {
    /// One page of the feed in `seq` (commit) order. For `public_only`, a change that leaves
    /// its record not public (a draft or cancelled event, a non-public sponsorship) is read as a
    /// deletion without data, in the SQL itself, so that an anonymous mirror drops the record.
    #[tracing::instrument(skip_all)]
    pub async fn list_changes(&self, query: &FeedQuery) -> Result<Vec<LoggedChange>, StoreError> {
        with_conn!(self, conn => {
            let mut sql = QueryBuilder::new(if query.public_only {
                "select seq, at, resource, record_id, parent_id, \
                 case when public then action else 'deleted' end as action, version, actor_subject, actor_role, \
                 actor_kind, region_code, organisation_id, public, \
                 case when public then data else null end as data, \
                 case when public then changes else null end as changes"
            } else {
                concat!("select ", columns!())
            });
            sql.push(" from record_changes where seq > ").push_bind(query.after);
            feed_filter!(sql, query);
            sql.push(" order by seq limit ").push_bind(query.limit);
            sql.build_query_as::<LoggedChange>().fetch_all(&mut *conn).await
        })
        .map_err(|e| classify(e, "change"))
    }

    /// One page of the audit trail, newest first.
    #[tracing::instrument(skip_all)]
    pub async fn list_audit(&self, query: &AuditQuery) -> Result<Vec<LoggedChange>, StoreError> {
        with_conn!(self, conn => {
            let mut sql = QueryBuilder::new(concat!("select ", columns!(), " from record_changes where true"));
            audit_filter!(sql, query);
            if let Some(before) = query.before {
                sql.push(" and seq < ").push_bind(before);
            }
            sql.push(" order by seq desc limit ").push_bind(query.limit);
            sql.build_query_as::<LoggedChange>().fetch_all(&mut *conn).await
        })
        .map_err(|e| classify(e, "change"))
    }

    /// How many changes of the feed `query` matches from its first, whatever `after`: a page's
    /// `total` (`count=true`).
    #[tracing::instrument(skip_all)]
    pub async fn count_changes(&self, query: &FeedQuery) -> Result<i64, StoreError> {
        count_where!(self, "record_changes", feed_filter!(query), "change")
    }

    /// How many changes of the audit trail `query` matches, whatever `before`: a page's `total`.
    #[tracing::instrument(skip_all)]
    pub async fn count_audit(&self, query: &AuditQuery) -> Result<i64, StoreError> {
        count_where!(self, "record_changes", audit_filter!(query), "change")
    }

    /// Whether the log holds any change of this record (for a 404 on an unknown record's history).
    #[tracing::instrument(skip_all)]
    pub async fn has_changes(&self, resource: Resource, id: Uuid) -> Result<bool, StoreError> {
        with_conn!(self, conn => {
            sqlx::query_scalar::<_, i64>(
                "select count(*) from (select 1 from record_changes where resource = $1 and record_id = $2 limit 1) c",
            )
            .bind(resource.as_str())
            .bind(id)
            .fetch_one(&mut *conn)
            .await
        })
        .map(|n| n > 0)
        .map_err(|e| classify(e, "change"))
    }
}
