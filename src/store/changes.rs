//! The change log (`record_changes`): one row per write of a record, inserted in the transaction
//! of the write, read as the change feed (in commit order) and as the audit trail (who changed
//! what, with old and new values). Each resource's store module builds its `NewChange` from the
//! record as written; `record` inserts them last, just before the commit.

use crate::domain::string_enum;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use sqlx::QueryBuilder;
use uuid::Uuid;

use super::clients::ApiClient;
use super::clubs::ClubFields;
use super::esus::Accreditation;
use super::events::Event;
use super::organisations::Organisation;
use super::sponsorships::Sponsorship;
use super::users::User;
use super::{Store, StoreError, classify, with_conn};
use crate::domain::club::Membership;
use crate::domain::event::EventStatus;

string_enum! {
    /// The kinds of record the log knows, by the name the feed and the audit show.
    pub enum Resource("resource") {
        Organisation = "organisation",
        EsusAccreditation = "esus_accreditation",
        Club = "club",
        ClubMember = "club_member",
        Event = "event",
        Sponsorship = "sponsorship",
        User = "user",
        ApiClient = "api_client",
    }
}

impl Resource {
    /// What the change feed carries: everything but accounts.
    pub const FEED: [Resource; 6] = [
        Self::Organisation,
        Self::EsusAccreditation,
        Self::Club,
        Self::ClubMember,
        Self::Event,
        Self::Sponsorship,
    ];

    /// The keys of `data` that are confidential (shown only to who sees the record's
    /// confidential fields, `policy::sees_confidential`).
    pub fn confidential_keys(self) -> &'static [&'static str] {
        match self {
            Self::Organisation => &["email", "phone"],
            Self::EsusAccreditation => &["notes"],
            Self::Sponsorship => &["amount_cents", "counterparts_cents", "notes"],
            Self::Club | Self::ClubMember | Self::Event | Self::User | Self::ApiClient => &[],
        }
    }
}

string_enum! {
    /// What a change did to its record.
    pub enum ChangeAction("action") {
        Created = "created",
        Updated = "updated",
        Deleted = "deleted",
    }
}

string_enum! {
    /// What kind of caller wrote.
    pub enum ActorKind("actor kind") {
        /// A person (the token of a user account: its `sub` is the user's id).
        User = "user",
        /// A machine client (its `sub` is its `client_id`, `cli_…`).
        Client = "client",
        /// The service itself: the command line, the demo seed, a token made by `cress-api token`.
        System = "system",
    }
}

/// Who writes: every store write takes one, and the log records it with the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The `sub` of the token, or `system`.
    pub subject: String,
    /// The role name of the token (`None` for the system).
    pub role: Option<String>,
    pub kind: ActorKind,
}

impl Actor {
    /// The command line (`user create`, `client create`) and the first administrator.
    pub fn system() -> Self {
        Self {
            subject: "system".to_owned(),
            role: None,
            kind: ActorKind::System,
        }
    }

    /// The writer of a token with this `sub` and role. The kind follows from the form of the
    /// `sub`, which this service chooses when it signs: a user's id (a UUID), an API client's
    /// `client_id` (`cli_…`), or any other name (`cress-api token --sub`, the demo seed).
    pub fn of_token(subject: &str, role: &str) -> Self {
        let kind = if Uuid::parse_str(subject).is_ok() {
            ActorKind::User
        } else if subject.starts_with("cli_") {
            ActorKind::Client
        } else {
            ActorKind::System
        };
        Self {
            subject: subject.to_owned(),
            role: Some(role.to_owned()),
            kind,
        }
    }
}

/// The record's policy facts after a change (before it, for a deletion): what `policy::Target`
/// knows, kept so that the feed and the audit decide visibility in SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub region: Option<String>,
    pub organisation: Option<Uuid>,
    pub public: bool,
}

/// A change about to be logged.
#[derive(Debug, Clone)]
pub struct NewChange {
    resource: Resource,
    record_id: Uuid,
    parent_id: Option<Uuid>,
    action: ChangeAction,
    version: i64,
    facts: Facts,
    data: Option<Value>,
    changes: Option<Value>,
}

/// Keys of `data` that are bookkeeping rather than fields: never listed as changed.
const BOOKKEEPING: &[&str] = &["id", "created_at", "updated_at"];

/// Keys of `changes` standing for a secret that changed: the values are never logged.
const HIDDEN: &str = "(hidden)";

impl NewChange {
    /// A creation: `changes` lists every field, from null.
    pub fn created(resource: Resource, record: Record) -> Self {
        let changes = diff(&Value::Null, &record.data);
        Self {
            resource,
            record_id: record.id,
            parent_id: record.parent_id,
            action: ChangeAction::Created,
            version: record.version,
            facts: record.facts,
            data: Some(record.data),
            changes: Some(changes),
        }
    }

    /// An update from `before` to `after` (the same record).
    pub fn updated(resource: Resource, before: &Record, after: Record) -> Self {
        let changes = diff(&before.data, &after.data);
        Self {
            resource,
            record_id: after.id,
            parent_id: after.parent_id,
            action: ChangeAction::Updated,
            version: after.version,
            facts: after.facts,
            data: Some(after.data),
            changes: Some(changes),
        }
    }

    /// A deletion of `record` (as it was): a tombstone, without data or changes.
    pub fn deleted(resource: Resource, record: Record) -> Self {
        Self {
            resource,
            record_id: record.id,
            parent_id: record.parent_id,
            action: ChangeAction::Deleted,
            version: record.version,
            facts: record.facts,
            data: None,
            changes: None,
        }
    }

    /// Marks a secret (`password`, `secret`) as changed, without any of its values.
    pub fn with_hidden_change(mut self, key: &str) -> Self {
        if let Some(Value::Object(changes)) = &mut self.changes {
            changes.insert(key.to_owned(), json!({"old": HIDDEN, "new": HIDDEN}));
        }
        self
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

/// A record as the log keeps it: its identity, version, policy facts and stored fields.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub version: i64,
    pub facts: Facts,
    pub data: Value,
}

impl Record {
    pub fn organisation(o: &Organisation) -> Self {
        let f = &o.fields;
        Self {
            id: o.id,
            parent_id: None,
            version: o.version,
            facts: Facts {
                region: Some(f.region_code.clone()),
                organisation: Some(o.id),
                public: true,
            },
            data: json!({
                "id": o.id,
                "name": f.name,
                "category": f.category,
                "siren": f.siren,
                "siret": f.siret,
                "rna": f.rna,
                "legal_category_code": f.legal_category_code,
                "region_code": f.region_code,
                "street": f.street,
                "postal_code": f.postal_code,
                "city": f.city,
                "commune_code": f.commune_code,
                "website": f.website,
                "email": f.email,
                "phone": f.phone,
                "description": f.description,
                "founded_on": f.founded_on,
                "esus_status": o.esus_status,
                "esus_valid_until": o.esus_valid_until,
                "created_at": o.created_at,
                "updated_at": o.updated_at,
            }),
        }
    }

    /// An accreditation of an organisation of `region`.
    pub fn accreditation(a: &Accreditation, region: &str) -> Self {
        let f = &a.fields;
        Self {
            id: a.id,
            parent_id: None,
            version: a.version,
            facts: Facts {
                region: Some(region.to_owned()),
                organisation: Some(a.organisation_id),
                public: false,
            },
            data: json!({
                "id": a.id,
                "organisation_id": a.organisation_id,
                "status": f.status,
                "basis": f.basis,
                "applied_on": f.applied_on,
                "decided_on": f.decided_on,
                "valid_from": f.valid_from,
                "valid_until": f.valid_until,
                "withdrawn_on": f.withdrawn_on,
                "authority": f.authority,
                "department_code": f.department_code,
                "decision_reference": f.decision_reference,
                "notes": f.notes,
                "created_at": a.created_at,
                "updated_at": a.updated_at,
            }),
        }
    }

    pub fn club(id: Uuid, f: &ClubFields, version: i64, created_at: DateTime<Utc>, updated_at: DateTime<Utc>) -> Self {
        Self {
            id,
            parent_id: None,
            version,
            facts: Facts {
                region: Some(f.region_code.clone()),
                organisation: None,
                public: true,
            },
            data: json!({
                "id": id,
                "name": f.name,
                "region_code": f.region_code,
                "host_organisation_id": f.host_organisation_id,
                "description": f.description,
                "audience": f.audience,
                "created_at": created_at,
                "updated_at": updated_at,
            }),
        }
    }

    /// The membership of `organisation_id` in `club_id`, a club of `region` (a member belongs
    /// to its club: the club's region decides who sees it).
    pub fn club_member(
        club_id: Uuid,
        organisation_id: Uuid,
        region: Option<String>,
        terms: &Membership,
        version: i64,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id: organisation_id,
            parent_id: Some(club_id),
            version,
            facts: Facts {
                region,
                organisation: None,
                public: true,
            },
            data: json!({
                "club_id": club_id,
                "organisation_id": organisation_id,
                "role": terms.role,
                "joined_on": terms.joined_on,
                "left_on": terms.left_on,
                "created_at": created_at,
                "updated_at": updated_at,
            }),
        }
    }

    /// An event with its organisers and themes (part of its data).
    pub fn event(e: &Event) -> Self {
        let f = &e.fields;
        let organisers: Vec<Value> = e
            .organisers
            .iter()
            .map(|o| json!({"organisation_id": o.organisation_id, "role": o.role}))
            .collect();
        Self {
            id: e.id,
            parent_id: None,
            version: e.version,
            facts: Facts {
                region: f.region_code.clone(),
                organisation: None,
                public: f.status == EventStatus::Published,
            },
            data: json!({
                "id": e.id,
                "title": f.title,
                "description": f.description,
                "kind": f.kind,
                "status": f.status,
                "starts_at": f.starts_at,
                "ends_at": f.ends_at,
                "time_zone": f.time_zone,
                "online": f.online,
                "online_url": f.online_url,
                "venue": f.venue,
                "street": f.street,
                "postal_code": f.postal_code,
                "city": f.city,
                "commune_code": f.commune_code,
                "region_code": f.region_code,
                "club_id": f.club_id,
                "capacity": f.capacity,
                "attendance": f.attendance,
                "organisers": organisers,
                "themes": e.themes,
                "created_at": e.created_at,
                "updated_at": e.updated_at,
            }),
        }
    }

    pub fn sponsorship(s: &Sponsorship) -> Self {
        let f = &s.fields;
        Self {
            id: s.id,
            parent_id: None,
            version: s.version,
            facts: Facts {
                region: s.beneficiary_region.clone(),
                organisation: Some(f.sponsor_id),
                public: f.public,
            },
            data: json!({
                "id": s.id,
                "sponsor_id": f.sponsor_id,
                "beneficiary": {"type": f.beneficiary.kind, "id": f.beneficiary.id},
                "kind": f.kind,
                "amount_cents": f.amount_cents,
                "currency": f.currency,
                "counterparts_cents": f.counterparts_cents,
                "starts_on": f.starts_on,
                "ends_on": f.ends_on,
                "status": f.status,
                "public": f.public,
                "agreement_reference": f.agreement_reference,
                "notes": f.notes,
                "created_at": s.created_at,
                "updated_at": s.updated_at,
            }),
        }
    }

    /// A user account, without its password hash.
    pub fn user(u: &User) -> Self {
        let f = &u.fields;
        Self {
            id: u.id,
            parent_id: None,
            version: u.version,
            facts: Facts::account(),
            data: json!({
                "id": u.id,
                "email": f.email,
                "role": f.role,
                "region_code": f.region_code,
                "organisation_id": f.organisation_id,
                "active": f.active,
                "created_at": u.created_at,
                "updated_at": u.updated_at,
            }),
        }
    }

    /// An API client, without its secret hash.
    pub fn api_client(c: &ApiClient) -> Self {
        let f = &c.fields;
        Self {
            id: c.id,
            parent_id: None,
            version: c.version,
            facts: Facts::account(),
            data: json!({
                "id": c.id,
                "client_id": c.client_id,
                "name": f.name,
                "role": f.role,
                "region_code": f.region_code,
                "organisation_id": f.organisation_id,
                "active": f.active,
                "created_at": c.created_at,
                "updated_at": c.updated_at,
            }),
        }
    }

    /// A record of which only the identity, version and facts are known (for a tombstone).
    pub fn gone(id: Uuid, parent_id: Option<Uuid>, version: i64, facts: Facts) -> Self {
        Self {
            id,
            parent_id,
            version,
            facts,
            data: Value::Null,
        }
    }
}

impl Facts {
    /// Accounts: no region (so only administrators see them in the audit), never public.
    pub fn account() -> Self {
        Self {
            region: None,
            organisation: None,
            public: false,
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
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    Uuid: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<Uuid>: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    bool: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    DateTime<Utc>: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<Value>: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
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
                .push_bind(change.resource.as_str().to_owned())
                .push_bind(change.record_id)
                .push_bind(change.parent_id)
                .push_bind(change.action.as_str().to_owned())
                .push_bind(change.version)
                .push_bind(actor.subject.clone())
                .push_bind(actor.role.clone())
                .push_bind(actor.kind.as_str().to_owned())
                .push_bind(change.facts.region.clone())
                .push_bind(change.facts.organisation)
                .push_bind(change.facts.public)
                .push_bind(change.data.clone())
                .push_bind(change.changes.clone());
        });
        sql.build().execute(&mut **tx).await?;
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
            sql.push(" and resource in (");
            let mut list = sql.separated(", ");
            for resource in &query.resources {
                list.push_bind(resource.as_str());
            }
            sql.push(") order by seq limit ").push_bind(query.limit);
            sql.build_query_as::<LoggedChange>().fetch_all(&mut *conn).await
        })
        .map_err(|e| classify(e, "change"))
    }

    /// One page of the audit trail, newest first.
    #[tracing::instrument(skip_all)]
    pub async fn list_audit(&self, query: &AuditQuery) -> Result<Vec<LoggedChange>, StoreError> {
        with_conn!(self, conn => {
            let mut sql = QueryBuilder::new(concat!("select ", columns!(), " from record_changes where true"));
            match (query.resource, query.record_id) {
                (Some(Resource::Club), Some(id)) if query.with_members => {
                    sql.push(" and ((resource = 'club' and record_id = ").push_bind(id)
                        .push(") or (resource = 'club_member' and parent_id = ").push_bind(id).push("))");
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
            if let Some(before) = query.before {
                sql.push(" and seq < ").push_bind(before);
            }
            sql.push(" order by seq desc limit ").push_bind(query.limit);
            sql.build_query_as::<LoggedChange>().fetch_all(&mut *conn).await
        })
        .map_err(|e| classify(e, "change"))
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
