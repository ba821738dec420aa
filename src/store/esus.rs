//! ESUS accreditations in the database: the SQL of their reads and writes for both backends, the
//! one-open rule checked under a lock on the organisation, and the organisation's ESUS summary
//! kept in the same transaction as every change.

use std::sync::LazyLock;

use super::BeginWrite as _;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::QueryBuilder;
use uuid::Uuid;

use super::columns::Table;
use crate::domain::stored::stored;

use super::changes::{self, NewChange, Record, data_of};
use super::organisations::{Organisation, SELECT_ORGANISATION};
use super::{Store, StoreError, classify, now, today, with_conn};
use crate::core::{Actor, Target};
use crate::domain::esus::{
    EsusBasis, EsusContext, EsusReadStatus, EsusStatus, NewAccreditation, OpenAccreditation, OpenAccreditationConflict,
    check_new_open, check_still_open, is_open,
};

const WHAT: &str = "ESUS accreditation";

/// An accreditation as stored, with its bookkeeping fields.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Accreditation {
    pub id: Uuid,
    pub organisation_id: Uuid,
    #[sqlx(flatten)]
    pub fields: AccreditationFields,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

stored! {
    /// The writable columns of an accreditation, in their stored form.
    #[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
    pub struct AccreditationFields, list accreditation_fields {
        pub status: EsusStatus,
        pub basis: EsusBasis,
        pub applied_on: NaiveDate,
        pub decided_on: Option<NaiveDate>,
        pub valid_from: Option<NaiveDate>,
        pub valid_until: Option<NaiveDate>,
        pub withdrawn_on: Option<NaiveDate>,
        pub authority: Option<String>,
        pub department_code: Option<String>,
        pub decision_reference: Option<String>,
        pub notes: Option<String>,
    }
}

/// The writable columns of `esus_accreditations`.
pub const ACCREDITATIONS: Table = Table::new("esus_accreditations", AccreditationFields::COLUMNS);

impl From<&NewAccreditation> for AccreditationFields {
    fn from(new: &NewAccreditation) -> Self {
        Self {
            status: new.status(),
            basis: new.basis,
            applied_on: new.applied_on,
            decided_on: new.decided_on(),
            valid_from: new.valid_from(),
            valid_until: new.valid_until(),
            withdrawn_on: new.withdrawn_on(),
            authority: new.authority.clone(),
            department_code: new.department_code.as_ref().map(|code| code.as_str().to_owned()),
            decision_reference: new.decision_reference.clone(),
            notes: new.notes.clone(),
        }
    }
}

impl AccreditationFields {
    /// The status as read on `today`: a granted accreditation past its end is `expired`.
    pub fn read_status(&self, today: NaiveDate) -> EsusReadStatus {
        self.status.read(self.valid_until, today)
    }

    fn is_open(&self, today: NaiveDate) -> bool {
        is_open(self.status, self.valid_until, today)
    }

    fn open_ref(&self, id: Uuid) -> OpenAccreditation {
        OpenAccreditation {
            id,
            status: self.status,
            applied_on: self.applied_on,
            valid_until: self.valid_until,
        }
    }
}

// The columns of `Accreditation`, in one place for every query.
accreditation_fields!(columns, "id, organisation_id, ", "created_at, updated_at, version");

/// The first statement of every write: a write lock on the organisation, so that the one-open
/// check, the write and the summary refresh of concurrent requests run one after the other.
/// `version = version` changes nothing; on PostgreSQL the update locks the row until commit,
/// on SQLite it takes the database's write lock before anything is read (no stale snapshot to
/// upgrade). No row: the organisation does not exist.
const LOCK_ORGANISATION: &str = "update organisations set version = version where id = $1 \
     returning id, founded_on, region_code, esus_status, esus_valid_until";

/// The same lock, on the organisation of the accreditation `$1`. No row: no such accreditation.
const LOCK_ORGANISATION_OF: &str = "update organisations set version = version \
     where id = (select organisation_id from esus_accreditations where id = $1) \
     returning id, founded_on, region_code, esus_status, esus_valid_until";

/// What the lock reads of the organisation: its id, foundation date and region (for the rules
/// and the policy) and its ESUS summary before the write (for the change log).
type Locked = (Uuid, Option<NaiveDate>, String, Option<EsusStatus>, Option<NaiveDate>);

/// Sets the organisation's ESUS summary to the status and end of validity of its latest
/// accreditation (by `applied_on`, then id; null without any), in one statement. The version
/// and `updated_at` change only when the summary does, so a change that leaves it as it was
/// does not make the organisation look modified.
const REFRESH_SUMMARY: &str = "with latest as (
    select status, valid_until
    from esus_accreditations
    where organisation_id = $1
    order by applied_on desc, id desc
    limit 1
)
update organisations
set esus_status = (select status from latest),
    esus_valid_until = (select valid_until from latest),
    updated_at = $2,
    version = version + 1
where id = $1
  and (esus_status is distinct from (select status from latest)
       or esus_valid_until is distinct from (select valid_until from latest))
returning id";

/// The other accreditations of organisation `$1` that are open on `$3` (applied, or granted
/// and in force), newest first; `$2` is the one being written, left out.
const OPEN_ACCREDITATIONS: &str = "select id, status, applied_on, valid_until
from esus_accreditations
where organisation_id = $1
  and id <> $2
  and (status = 'applied' or (status = 'granted' and valid_until >= $3))
order by applied_on desc, id desc";

#[derive(sqlx::FromRow)]
struct OpenRow {
    id: Uuid,
    status: EsusStatus,
    applied_on: NaiveDate,
    valid_until: Option<NaiveDate>,
}

impl From<OpenRow> for OpenAccreditation {
    fn from(row: OpenRow) -> Self {
        Self {
            id: row.id,
            status: row.status,
            applied_on: row.applied_on,
            valid_until: row.valid_until,
        }
    }
}

/// One page of an organisation's history, newest first.
#[derive(Debug, Clone)]
pub struct ListAccreditations {
    pub organisation_id: Uuid,
    /// Where the previous page ended: the `applied_on` and id of its last item.
    pub after: Option<(NaiveDate, Uuid)>,
    /// How many rows to fetch (the caller asks for one more than it shows, to know if more follow).
    pub limit: i64,
}

/// An ESUS accreditation as the change log keeps it: the `data` of a change in the feed and in
/// a webhook's body.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct EsusAccreditationRecord {
    pub id: Uuid,
    /// The accredited organisation.
    pub organisation_id: Uuid,
    #[serde(flatten)]
    #[schema(inline)]
    pub fields: AccreditationFields,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// This resource's record in the change log: its identity, policy target and logged fields.
impl Record {
    /// An accreditation of an organisation of `region`.
    pub fn accreditation(a: &Accreditation, region: &str) -> Self {
        Self {
            id: a.id,
            parent_id: None,
            version: a.version,
            target: Target::accreditation(a.organisation_id, region),
            data: data_of(&EsusAccreditationRecord {
                id: a.id,
                organisation_id: a.organisation_id,
                fields: a.fields.clone(),
                created_at: a.created_at,
                updated_at: a.updated_at,
            }),
        }
    }
}

impl Store {
    #[tracing::instrument(skip_all, fields(esus_accreditation.id = %id))]
    pub async fn get_esus_accreditation(&self, id: Uuid) -> Result<Accreditation, StoreError> {
        let row = with_conn!(self, conn => {
            sqlx::query_as::<_, Accreditation>(concat!("select ", columns!(), " from esus_accreditations where id = $1"))
                .bind(id)
                .fetch_optional(&mut *conn)
                .await
        })
        .map_err(|e| classify(e, WHAT))?;
        row.ok_or(StoreError::NotFound(WHAT))
    }

    /// One page of an organisation's accreditations, newest first (`applied_on` desc, id desc);
    /// `NotFound` when the organisation does not exist.
    #[tracing::instrument(skip_all, fields(organisation.id = %query.organisation_id))]
    pub async fn list_esus_accreditations(&self, query: &ListAccreditations) -> Result<Vec<Accreditation>, StoreError> {
        let rows = with_conn!(self, conn => {
            let mut sql = QueryBuilder::new(concat!(
                "select ", columns!(), " from esus_accreditations where organisation_id = "
            ));
            sql.push_bind(query.organisation_id);
            if let Some((applied_on, id)) = query.after {
                sql.push(" and (applied_on, id) < (").push_bind(applied_on).push(", ").push_bind(id).push(")");
            }
            sql.push(" order by applied_on desc, id desc limit ").push_bind(query.limit);
            sql.build_query_as::<Accreditation>().fetch_all(&mut *conn).await
        })
        .map_err(|e| classify(e, WHAT))?;
        // An empty page is either an organisation without (more) accreditations or none at all.
        if rows.is_empty() {
            let exists = with_conn!(self, conn => {
                sqlx::query_scalar::<_, Uuid>("select id from organisations where id = $1")
                    .bind(query.organisation_id)
                    .fetch_optional(&mut *conn)
                    .await
            })
            .map_err(|e| classify(e, "organisation"))?;
            if exists.is_none() {
                return Err(StoreError::NotFound("organisation"));
            }
        }
        Ok(rows)
    }

    /// How many accreditations `organisation_id` has: a page's `total` (`count=true`).
    #[tracing::instrument(skip_all, fields(organisation.id = %organisation_id))]
    pub async fn count_esus_accreditations(&self, organisation_id: Uuid) -> Result<i64, StoreError> {
        with_conn!(self, conn => {
            sqlx::query_scalar::<_, i64>("select count(*) from esus_accreditations where organisation_id = $1")
                .bind(organisation_id)
                .fetch_one(&mut *conn)
                .await
        })
        .map_err(|e| classify(e, WHAT))
    }

    /// Records an accreditation of `organisation_id`, built by `build` from what the rules need
    /// to know (the organisation's foundation date, today) and the organisation's region (for
    /// the policy). In one transaction that first locks
    /// the organisation: an open accreditation (applied, or granted and in force) is refused
    /// while another is open, except as a renewal of a granted one ending within 6 months; then
    /// the insert and the organisation's summary. `NotFound` when the organisation does not exist.
    #[tracing::instrument(skip_all, fields(organisation.id = %organisation_id))]
    pub async fn create_esus_accreditation<E: From<StoreError>>(
        &self,
        organisation_id: Uuid,
        actor: &Actor,
        build: impl FnOnce(&EsusContext, &str) -> Result<NewAccreditation, E>,
    ) -> Result<Accreditation, E> {
        let id = Uuid::now_v7();
        let at = now();
        let today = today();
        with_conn!(self, conn => {
            let mut tx = conn.begin_write().await.map_err(db::<E>)?;
            let locked = sqlx::query_as::<_, Locked>(LOCK_ORGANISATION)
                .bind(organisation_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db::<E>)?;
            let Some((_, founded_on, region_code, summary_status, summary_until)) = locked else {
                return Err(StoreError::NotFound("organisation").into());
            };
            let new = build(&EsusContext { founded_on, today }, &region_code)?;
            let fields = AccreditationFields::from(&new);
            if fields.is_open(today) {
                let others = sqlx::query_as::<_, OpenRow>(OPEN_ACCREDITATIONS)
                    .bind(organisation_id)
                    .bind(id)
                    .bind(today)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db::<E>)?;
                let others: Vec<OpenAccreditation> = others.into_iter().map(Into::into).collect();
                check_new_open(&others, today).map_err(open_conflict::<E>)?;
            }
            let created = fields
                .bind(sqlx::query_as::<_, Accreditation>(INSERT.as_str()))
            .bind(id)
            .bind(organisation_id)
            .bind(at)
            .fetch_one(&mut *tx)
            .await
            .map_err(db::<E>)?;
            let mut logged = vec![NewChange::created(Record::accreditation(&created, &region_code))];
            logged.extend(
                refresh_esus_summary(&mut tx, organisation_id, at, (summary_status, summary_until))
                    .await
                    .map_err(db::<E>)?,
            );
            changes::record(&mut tx, actor, at, &logged).await.map_err(db::<E>)?;
            tx.commit().await.map_err(db::<E>)?;
            Ok(created)
        }, unavailable: db::<E>)
    }

    /// Changes an accreditation: `change` computes its new content from the current one, given
    /// the organisation's region for the policy (and
    /// decides whether the status change is allowed). Under the organisation's lock, so no
    /// compare-and-set is needed: concurrent changes of one organisation's accreditations run
    /// one after the other. An accreditation that is open after the change must respect the
    /// one-open rule; the organisation's summary is refreshed in the same transaction. A change
    /// that changes nothing keeps the version.
    #[tracing::instrument(skip_all, fields(esus_accreditation.id = %id))]
    pub async fn update_esus_accreditation<E: From<StoreError>>(
        &self,
        id: Uuid,
        actor: &Actor,
        change: impl FnOnce(&Accreditation, &EsusContext, &str) -> Result<NewAccreditation, E>,
    ) -> Result<Accreditation, E> {
        let at = now();
        let today = today();
        with_conn!(self, conn => {
            let mut tx = conn.begin_write().await.map_err(db::<E>)?;
            let locked = sqlx::query_as::<_, Locked>(LOCK_ORGANISATION_OF)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db::<E>)?;
            let Some((organisation_id, founded_on, region_code, summary_status, summary_until)) = locked else {
                return Err(StoreError::NotFound(WHAT).into());
            };
            // Read under the lock: deleted meanwhile is not found.
            let current = sqlx::query_as::<_, Accreditation>(concat!(
                "select ", columns!(), " from esus_accreditations where id = $1"
            ))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db::<E>)?
            .ok_or(StoreError::NotFound(WHAT))?;
            let new = change(&current, &EsusContext { founded_on, today }, &region_code)?;
            let fields = AccreditationFields::from(&new);
            if fields == current.fields {
                tx.commit().await.map_err(db::<E>)?;
                return Ok(current);
            }
            if fields.is_open(today) {
                let others = sqlx::query_as::<_, OpenRow>(OPEN_ACCREDITATIONS)
                    .bind(organisation_id)
                    .bind(id)
                    .bind(today)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db::<E>)?;
                let others: Vec<OpenAccreditation> = others.into_iter().map(Into::into).collect();
                check_still_open(&fields.open_ref(id), &others, today).map_err(open_conflict::<E>)?;
            }
            let updated = fields
                .bind(sqlx::query_as::<_, Accreditation>(UPDATE.as_str()))
            .bind(id)
            .bind(at)
            .fetch_one(&mut *tx)
            .await
            .map_err(db::<E>)?;
            let mut logged = vec![NewChange::updated(&Record::accreditation(&current, &region_code),
                Record::accreditation(&updated, &region_code),
            )];
            logged.extend(
                refresh_esus_summary(&mut tx, organisation_id, at, (summary_status, summary_until))
                    .await
                    .map_err(db::<E>)?,
            );
            changes::record(&mut tx, actor, at, &logged).await.map_err(db::<E>)?;
            tx.commit().await.map_err(db::<E>)?;
            Ok(updated)
        }, unavailable: db::<E>)
    }

    /// Deletes an accreditation (at `version` when given: `Contended` when it is no longer that
    /// version) and refreshes its organisation's summary, in one transaction.
    #[tracing::instrument(skip_all, fields(esus_accreditation.id = %id))]
    pub async fn delete_esus_accreditation(
        &self,
        id: Uuid,
        version: Option<i64>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let at = now();
        with_conn!(self, conn => {
            let mut tx = conn.begin_write().await.map_err(db::<StoreError>)?;
            let locked = sqlx::query_as::<_, Locked>(LOCK_ORGANISATION_OF)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db::<StoreError>)?;
            let Some((organisation_id, _, region_code, summary_status, summary_until)) = locked else {
                return Err(StoreError::NotFound(WHAT));
            };
            let deleted = sqlx::query_scalar::<_, i64>(
                "delete from esus_accreditations where id = $1 and version = coalesce($2, version) returning version",
            )
            .bind(id)
            .bind(version)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db::<StoreError>)?;
            let Some(deleted_version) = deleted else {
                // Under the organisation's lock: the row is there, at another version.
                return Err(StoreError::Contended(WHAT));
            };
            let target = Target::accreditation(organisation_id, &region_code);
            let mut logged = vec![NewChange::deleted(Record::gone(id, None, deleted_version, target))];
            logged.extend(
                refresh_esus_summary(&mut tx, organisation_id, at, (summary_status, summary_until))
                    .await
                    .map_err(db::<StoreError>)?,
            );
            changes::record(&mut tx, actor, at, &logged).await.map_err(db::<StoreError>)?;
            tx.commit().await.map_err(db::<StoreError>)
        }, unavailable: db::<StoreError>)
    }
}

/// Refreshes the ESUS summary of `organisation_id` inside the caller's transaction: the one place
/// that writes `organisations.esus_status` and `esus_valid_until`. When the summary changed (from
/// `before`), the organisation's update for the change log: the accreditations' writes change
/// the organisation's summary, so a mirror of organisations learns it from the feed too.
async fn refresh_esus_summary<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    organisation_id: Uuid,
    at: DateTime<Utc>,
    before: (Option<EsusStatus>, Option<NaiveDate>),
) -> Result<Option<NewChange>, sqlx::Error>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    Uuid: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    DateTime<Utc>: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Organisation: for<'r> sqlx::FromRow<'r, DB::Row>,
    Uuid: for<'r> sqlx::Decode<'r, DB>,
    (Uuid,): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let refreshed = sqlx::query_scalar::<DB, Uuid>(REFRESH_SUMMARY)
        .bind(organisation_id)
        .bind(at)
        .fetch_optional(&mut **tx)
        .await?;
    if refreshed.is_none() {
        return Ok(None);
    }
    let after = sqlx::query_as::<DB, Organisation>(SELECT_ORGANISATION)
        .bind(organisation_id)
        .fetch_one(&mut **tx)
        .await?;
    let mut previous = after.clone();
    (previous.esus_status, previous.esus_valid_until) = before;
    Ok(Some(NewChange::updated(
        &Record::organisation(&previous),
        Record::organisation(&after),
    )))
}

fn db<E: From<StoreError>>(error: sqlx::Error) -> E {
    classify(error, WHAT).into()
}

fn open_conflict<E: From<StoreError>>(conflict: OpenAccreditationConflict) -> E {
    StoreError::Conflict {
        code: "open_accreditation",
        detail: conflict.message(),
    }
    .into()
}

static INSERT: LazyLock<String> = LazyLock::new(|| ACCREDITATIONS.insert(&["id", "organisation_id"], columns!()));
/// Not checked against a version: updates run under their organisation's lock.
static UPDATE: LazyLock<String> = LazyLock::new(|| ACCREDITATIONS.update(&["id"], false, columns!()));
