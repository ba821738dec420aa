//! Organisations in the database: the SQL of their reads and writes, for both backends.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::BeginWrite as _;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::QueryBuilder;
use uuid::Uuid;

use super::columns::Table;

use super::changes::{self, NewChange, Record, data_of};
use super::logged_write;
use super::{
    Db, Store, StoreError, classify, compare_and_set, count_where, glob_pattern, is_sqlite, like_pattern, now,
    references, today, with_conn,
};
use crate::core::{Actor, Target};
use crate::domain::esus::{EsusReadStatus, EsusStatus, EsusSummary};
use crate::domain::message::msg;
use crate::domain::organisation::{Category, OrganisationFields, organisation_fields};
use crate::domain::text::search_key;

/// An organisation as stored, with its bookkeeping fields.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Organisation {
    pub id: Uuid,
    #[sqlx(flatten)]
    pub fields: OrganisationFields,
    /// The status of its latest ESUS accreditation as stored (never `expired`), kept up to date
    /// by every accreditation change (`refresh_esus_summary`); read-only here.
    pub esus_status: Option<EsusStatus>,
    pub esus_valid_until: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// The writable columns of `organisations`.
pub const ORGANISATIONS: Table = Table::new("organisations", OrganisationFields::COLUMNS);

// The columns of `Organisation`, in one place for every query.
organisation_fields!(
    columns,
    "id, ",
    "esus_status, esus_valid_until, created_at, updated_at, version"
);

/// One organisation by id `$1`, for the writes of other modules that log its change.
pub(crate) const SELECT_ORGANISATION: &str = concat!("select ", columns!(), " from organisations where id = $1");

/// Which organisations a list shows.
#[derive(Debug, Default, Clone)]
pub struct OrganisationFilter {
    pub region_code: Option<String>,
    pub category: Option<Category>,
    pub is_ess: Option<bool>,
    pub siren: Option<String>,
    /// A search key (see `search_key`) that the folded name must contain.
    pub name_contains: Option<String>,
    /// The ESUS summary status, `expired` and `granted` (in force) told apart on today's date.
    pub esus_status: Option<EsusFilter>,
    /// Only organisations whose latest accreditation is granted (in force or expired) and ends
    /// before this date.
    pub esus_valid_until_before: Option<NaiveDate>,
}

/// How SQLite finds the names that contain a search key (see `Store::name_search`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameSearch {
    /// Through the trigram index (`organisations_search`).
    Indexed,
    /// By reading the names in the order of the page until it is full.
    Scanned,
}

/// Up to how many names the trigram index is worth asking for (SQLite): beyond, the names that
/// match are many enough for walking them in order to fill a page sooner.
const NAMES_FEW: i64 = 2_000;

/// Which ESUS summary an organisation must show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EsusFilter {
    /// No accreditation at all.
    None,
    /// Its latest accreditation reads so today.
    Is(EsusReadStatus),
}

/// The orders a list can come in; each ends with the id as a tie-breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    CreatedAt,
}

/// Where the previous page ended: the sort value and id of its last item.
#[derive(Debug, Clone, PartialEq)]
pub enum After {
    Name(String, Uuid),
    CreatedAt(DateTime<Utc>, Uuid),
}

/// One page of a list: filter, order, start and size.
#[derive(Debug, Clone)]
pub struct ListOrganisations {
    pub filter: OrganisationFilter,
    pub sort: SortKey,
    pub descending: bool,
    pub after: Option<After>,
    /// How many rows to fetch (the caller asks for one more than it shows, to know if more follow).
    pub limit: i64,
}

impl Organisation {
    /// The organisation as the policy sees it.
    pub fn target(&self) -> Target {
        Target::organisation(self.id, &self.fields.region_code)
    }

    /// The ESUS summary as read on `today` (`expired` derived), or `None` without accreditation.
    pub fn esus(&self, today: NaiveDate) -> Option<EsusSummary> {
        EsusSummary::read(self.esus_status, self.esus_valid_until, today)
    }

    /// The value of the sort key of this organisation, where the next page starts.
    pub fn position(&self, sort: SortKey) -> After {
        match sort {
            SortKey::Name => After::Name(search_key(&self.fields.name), self.id),
            SortKey::CreatedAt => After::CreatedAt(self.created_at, self.id),
        }
    }
}

/// An organisation as the change log keeps it: the `data` of a change in the feed and in a
/// webhook's body. Its ESUS summary is the stored one (`expired` is read, never stored).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct OrganisationRecord {
    pub id: Uuid,
    #[serde(flatten)]
    #[schema(inline)]
    pub fields: OrganisationFields,
    /// The status of its latest ESUS accreditation as stored: `applied`, `granted`, `refused` or
    /// `withdrawn`; `null` without any.
    pub esus_status: Option<EsusStatus>,
    /// The end of the granted accreditation's validity, if any.
    pub esus_valid_until: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// This resource's record in the change log: its identity, policy target and logged fields.
impl Record {
    pub fn organisation(o: &Organisation) -> Self {
        Self {
            id: o.id,
            parent_id: None,
            version: o.version,
            target: o.target(),
            data: data_of(&OrganisationRecord {
                id: o.id,
                fields: o.fields.clone(),
                esus_status: o.esus_status,
                esus_valid_until: o.esus_valid_until,
                created_at: o.created_at,
                updated_at: o.updated_at,
            }),
        }
    }
}

/// Pushes the conditions of `filter` (an `&OrganisationFilter`) onto `sql`, a `QueryBuilder` of
/// either backend: the same for a page and for its count. `names` says how SQLite finds a name
/// that contains the search key (PostgreSQL's planner chooses by itself).
macro_rules! organisation_filter {
    ($sql:ident, $filter:expr) => {
        organisation_filter!($sql, $filter, names: NameSearch::Indexed)
    };
    ($sql:ident, $filter:expr, names: $names:expr) => {{
        let filter: &OrganisationFilter = $filter;
        let names: NameSearch = $names;
        let sql = &mut $sql;
        if let Some(region) = &filter.region_code {
            sql.push(" and region_code = ").push_bind(region.clone());
        }
        if let Some(category) = filter.category {
            sql.push(" and category = ").push_bind(category.as_str());
        }
        if let Some(is_ess) = filter.is_ess {
            let categories = Category::ALL.into_iter().filter(|c| c.is_ess() == is_ess);
            sql.push(" and category in (");
            let mut list = sql.separated(", ");
            for category in categories {
                list.push_bind(category.as_str());
            }
            sql.push(")");
        }
        if let Some(siren) = &filter.siren {
            sql.push(" and siren = ").push_bind(siren.clone());
        }
        if let Some(key) = &filter.name_contains {
            if key.is_empty() {
                sql.push(" and false");
            } else if is_sqlite(sql) {
                // The trigram index is asked with GLOB (exact, case and all, as PostgreSQL's
                // LIKE on a "C" column): it does not answer LIKE … ESCAPE, nor a case-blind LIKE
                // exactly.
                match names {
                    NameSearch::Indexed => sql
                        .push(" and rowid in (select rowid from organisations_search where name_search glob ")
                        .push_bind(glob_pattern(key))
                        .push(")"),
                    NameSearch::Scanned => sql.push(" and name_search glob ").push_bind(glob_pattern(key)),
                };
            } else if let Some(pattern) = like_pattern(key) {
                sql.push(r" and name_search like ").push_bind(pattern).push(r" escape '\'");
            }
        }
        // On the summary columns (indexed together); `expired` is derived, never stored, so
        // granted and expired differ only by the end of validity against today.
        match filter.esus_status {
            None => {}
            Some(EsusFilter::None) => {
                sql.push(" and esus_status is null");
            }
            Some(EsusFilter::Is(status)) => {
                sql.push(" and esus_status = ").push_bind(status.stored().as_str());
                match status {
                    EsusReadStatus::Granted => {
                        sql.push(" and esus_valid_until >= ").push_bind(today());
                    }
                    EsusReadStatus::Expired => {
                        sql.push(" and esus_valid_until < ").push_bind(today());
                    }
                    EsusReadStatus::Applied | EsusReadStatus::Refused | EsusReadStatus::Withdrawn => {}
                }
            }
        }
        if let Some(before) = filter.esus_valid_until_before {
            sql.push(" and esus_status = ").push_bind(EsusStatus::Granted.as_str());
            sql.push(" and esus_valid_until < ").push_bind(before);
        }
    }};
}

impl Store {
    #[tracing::instrument(skip_all)]
    pub async fn create_organisation(
        &self,
        fields: &OrganisationFields,
        actor: &Actor,
    ) -> Result<Organisation, StoreError> {
        let id = Uuid::now_v7();
        let at = now();
        let inserted = logged_write!(self, actor, at, tx => {
            let created = fields
                .bind(sqlx::query_as::<_, Organisation>(INSERT.as_str()))
                .bind(id)
                .bind(at)
                .fetch_one(&mut *tx)
                .await?;
            let logged = NewChange::created(Record::organisation(&created));
            (created, [logged])
        });
        match inserted {
            Ok(organisation) => Ok(organisation),
            Err(error) => Err(self.explain_duplicate(error, fields, None).await),
        }
    }

    #[tracing::instrument(skip_all, fields(organisation.id = %id))]
    pub async fn get_organisation(&self, id: Uuid) -> Result<Organisation, StoreError> {
        let row = with_conn!(self, conn => {
            sqlx::query_as::<_, Organisation>(concat!("select ", columns!(), " from organisations where id = $1"))
                .bind(id)
                .fetch_optional(&mut *conn)
                .await
        })
        .map_err(|e| classify(e, "organisation"))?;
        row.ok_or(StoreError::NotFound("organisation"))
    }

    /// One page of organisations; cost depends on the page size, not on how deep the page is.
    #[tracing::instrument(skip_all)]
    pub async fn list_organisations(&self, query: &ListOrganisations) -> Result<Vec<Organisation>, StoreError> {
        let names = self.name_search(&query.filter).await?;
        with_conn!(self, conn => {
            let mut sql = QueryBuilder::new(concat!("select ", columns!(), " from organisations where true"));
            organisation_filter!(sql, &query.filter, names: names);
            let (column, comparison, direction) = match (query.sort, query.descending) {
                (SortKey::Name, false) => ("name_search", ">", "asc"),
                (SortKey::Name, true) => ("name_search", "<", "desc"),
                (SortKey::CreatedAt, false) => ("created_at", ">", "asc"),
                (SortKey::CreatedAt, true) => ("created_at", "<", "desc"),
            };
            match &query.after {
                Some(After::Name(key, id)) => {
                    sql.push(format_args!(" and ({column}, id) {comparison} (")).push_bind(key.clone())
                        .push(", ").push_bind(*id).push(")");
                }
                Some(After::CreatedAt(at, id)) => {
                    sql.push(format_args!(" and ({column}, id) {comparison} (")).push_bind(*at)
                        .push(", ").push_bind(*id).push(")");
                }
                None => {}
            }
            sql.push(format_args!(" order by {column} {direction}, id {direction} limit ")).push_bind(query.limit);
            sql.build_query_as::<Organisation>().fetch_all(&mut *conn).await
        })
        .map_err(|e| classify(e, "organisation"))
    }

    /// How SQLite should find the names that contain the search key of `filter`, if any: by the
    /// trigram index, whose cost grows with the number of names that match (all are sorted
    /// before the first page is known), unless it finds many, which walking the names in the
    /// page's order meets soon. The trigram index is asked how many it finds, up to
    /// `NAMES_FEW` (PostgreSQL's planner makes this choice itself, from its statistics).
    async fn name_search(&self, filter: &OrganisationFilter) -> Result<NameSearch, StoreError> {
        let Some(key) = filter.name_contains.as_deref().filter(|key| !key.is_empty()) else {
            return Ok(NameSearch::Indexed);
        };
        let Db::Sqlite(_) = self.db() else {
            return Ok(NameSearch::Indexed);
        };
        let found: i64 = with_conn!(self, conn => {
            sqlx::query_scalar(
                "select count(*) from (select 1 from organisations_search where name_search glob $1 limit $2)",
            )
            .bind(glob_pattern(key))
            .bind(NAMES_FEW)
            .fetch_one(&mut *conn)
            .await
        })
        .map_err(|e| classify(e, "organisation"))?;
        Ok(if found < NAMES_FEW {
            NameSearch::Indexed
        } else {
            NameSearch::Scanned
        })
    }

    /// How many organisations `filter` matches: a page's `total` (`count=true`).
    #[tracing::instrument(skip_all)]
    pub async fn count_organisations(&self, filter: &OrganisationFilter) -> Result<i64, StoreError> {
        count_where!(self, "organisations", organisation_filter!(filter), "organisation")
    }

    /// Reads the organisation, lets `change` compute its new content from the current one, and
    /// writes it if nobody changed it meanwhile (compare-and-set on `version`, retried a few
    /// times), so that concurrent updates never overwrite each other unseen.
    /// The ESUS summary columns are not written here: only `refresh_esus_summary` sets them.
    #[tracing::instrument(skip_all, fields(organisation.id = %id))]
    pub async fn update_organisation<E: From<StoreError>>(
        &self,
        id: Uuid,
        actor: &Actor,
        change: impl Fn(&Organisation) -> Result<OrganisationFields, E>,
    ) -> Result<Organisation, E> {
        compare_and_set("organisation", async || {
            let current = self.get_organisation(id).await?;
            let fields = change(&current)?;
            if fields == current.fields {
                return Ok(Some(current));
            }
            let at = now();
            let updated = logged_write!(self, actor, at, tx => maybe {
                let updated = fields
                    .bind(sqlx::query_as::<_, Organisation>(UPDATE.as_str()))
                    .bind(id)
                    .bind(at)
                    .bind(current.version)
                    .fetch_optional(&mut *tx)
                    .await?;
                updated.map(|updated| {
                    let logged = NewChange::updated(&Record::organisation(&current), Record::organisation(&updated));
                    (updated, [logged])
                })
            });
            match updated {
                Ok(Some(updated)) => Ok(Some(updated)),
                Ok(None) => Ok(None),
                Err(error) => return Err(self.explain_duplicate(error, &fields, Some(id)).await.into()),
            }
        })
        .await
    }

    /// Deletes an organisation that nothing references (`InUse` names what still does).
    #[tracing::instrument(skip_all, fields(organisation.id = %id))]
    pub async fn delete_organisation(&self, id: Uuid, version: Option<i64>, actor: &Actor) -> Result<(), StoreError> {
        self.delete_row(
            "organisation",
            "delete from organisations where id = $1 and version = coalesce($2, version) returning version, region_code",
            id,
            version,
            references::ORGANISATION,
            actor,
            |(version, region): (i64, String)| {
                NewChange::deleted(Record::gone(id, None, version, Target::organisation(id, &region)))
            },
        )
        .await
    }

    /// After a unique violation, finds which identifier is taken and by whom. SQLite does not
    /// name the violated constraint, so both backends ask the table.
    async fn explain_duplicate(
        &self,
        error: sqlx::Error,
        new: &OrganisationFields,
        exclude: Option<Uuid>,
    ) -> StoreError {
        let is_duplicate = matches!(&error, sqlx::Error::Database(db) if db.is_unique_violation());
        if !is_duplicate {
            return classify(error, "organisation");
        }
        let identifiers = [("siren", &new.siren), ("siret", &new.siret), ("rna", &new.rna)];
        for (field, value) in identifiers {
            let Some(value) = value else { continue };
            let holder = with_conn!(self, conn => {
                let sql = match field {
                    "siren" => "select id from organisations where siren = $1",
                    "siret" => "select id from organisations where siret = $1",
                    _ => "select id from organisations where rna = $1",
                };
                sqlx::query_scalar::<_, Uuid>(sql).bind(value.as_str()).fetch_optional(&mut *conn).await
            });
            match holder {
                Ok(Some(existing)) if Some(existing) != exclude => {
                    return StoreError::Duplicate {
                        what: "organisation",
                        field,
                        value: value.clone(),
                        existing_id: Some(existing),
                    };
                }
                Ok(_) => {}
                Err(error) => return classify(error, "organisation"),
            }
        }
        StoreError::Duplicate {
            what: "organisation",
            field: "identifier",
            value: String::new(),
            existing_id: None,
        }
    }
}

static INSERT: LazyLock<String> = LazyLock::new(|| ORGANISATIONS.insert(&["id"], columns!()));
static UPDATE: LazyLock<String> = LazyLock::new(|| ORGANISATIONS.update(&["id"], true, columns!()));

/// The bulk import's multi-row insert, up to its `values`: the id, then the writable columns.
static IMPORT_INSERT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "insert into organisations (id, {}, created_at, updated_at, version) ",
        ORGANISATIONS.columns.join(", ")
    )
});

/// The bulk import's update from the table of values `v` (id, version, the writable columns,
/// updated_at), joined on id and version (UPDATE … FROM: PostgreSQL, and SQLite since 3.33).
static IMPORT_UPDATE: LazyLock<String> = LazyLock::new(|| {
    let sets: Vec<String> = ORGANISATIONS.columns.iter().map(|c| format!("{c} = v.{c}")).collect();
    format!(
        ") update organisations set {}, updated_at = v.updated_at, version = organisations.version + 1 \
         from v where organisations.id = v.id and organisations.version = v.version",
        sets.join(", ")
    )
});

/// Rows per statement of a bulk import: 21 bound values per inserted row and 20 per updated
/// row keep each statement far under SQLite's 32,766 bound values (PostgreSQL allows 65,535).
const IMPORT_BATCH: usize = 1000;

/// Rows an import writes from which the statistics of `organisations` are refreshed
/// (`Store::analyse_organisations`).
const ANALYSE_AFTER: usize = 10_000;

/// Identifiers looked up per query by the bulk import.
const LOOKUP_BATCH: usize = 1000;

/// An organisation identifier that is unique in the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Identifier {
    Siren,
    Siret,
    Rna,
}

impl Identifier {
    pub const ALL: [Self; 3] = [Self::Siren, Self::Siret, Self::Rna];

    pub fn column(self) -> &'static str {
        match self {
            Self::Siren => "siren",
            Self::Siret => "siret",
            Self::Rna => "rna",
        }
    }

    /// Its value in stored fields.
    pub fn of(self, fields: &OrganisationFields) -> Option<&str> {
        match self {
            Self::Siren => fields.siren.as_deref(),
            Self::Siret => fields.siret.as_deref(),
            Self::Rna => fields.rna.as_deref(),
        }
    }
}

/// An organisation to update by a bulk import: its id, the version read, its new content.
#[derive(Debug, Clone)]
pub struct ImportUpdate {
    /// The organisation as read when the import was checked (written only if still that version).
    pub before: Organisation,
    pub new: OrganisationFields,
}

/// The organisations of the register that hold identifiers an import's rows name, by
/// identifier and value.
pub type Holders = HashMap<(Identifier, String), Organisation>;

/// What an import writes for one batch of its rows.
#[derive(Debug, Default)]
pub struct ImportWrites {
    pub creates: Vec<OrganisationFields>,
    pub updates: Vec<ImportUpdate>,
}

/// The rows of an import, in batches as they are read and checked, for
/// [`Store::import_organisations`]: it asks who holds the identifiers of each batch (in its own
/// transaction, so that it sees the batches written before), then what to write, and at the end
/// whether to commit.
pub trait ImportBatches {
    type Batch;

    /// The identifiers of `batch` whose holders [`ImportBatches::decide`] must know.
    fn identifiers(&self, batch: &Self::Batch) -> Vec<(Identifier, String)>;

    /// What to write for `batch`, knowing who holds its identifiers.
    fn decide(&mut self, batch: Self::Batch, holders: &Holders) -> ImportWrites;

    /// Whether what was written stays, once there are no more batches.
    fn commit(&self) -> bool;
}

impl Store {
    /// Imports organisations from `batches` as they come, in one transaction: all or nothing.
    /// Its statements of a thousand rows are not kept prepared (each would hold megabytes on
    /// its connection for nothing).
    /// Each batch's identifiers are looked up, `import` decides what to write, and the batch is
    /// written at once with multi-row statements (`IMPORT_BATCH` rows), its change log with it,
    /// so that only a batch at a time is in memory. When the batches end, the transaction is
    /// committed if `import` says so (`Ok(true)`), else rolled back (`Ok(false)`). An update
    /// applies only if the organisation still has the version read (else `Contended`); an
    /// identifier taken meanwhile by another request is a `Conflict` `duplicate`; either way
    /// nothing is written.
    #[tracing::instrument(skip_all)]
    pub async fn import_organisations<I: ImportBatches>(
        &self,
        mut batches: tokio::sync::mpsc::Receiver<I::Batch>,
        import: &mut I,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        let at = now();
        let failed = |error: sqlx::Error| match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict {
                code: "duplicate",
                detail: msg!("store-organisations-import-taken"),
            },
            _ => classify(error, "organisation"),
        };
        let mut written = 0;
        let committed = with_conn!(self, conn => {
            let mut tx = conn.begin_write().await.map_err(failed)?;
            while let Some(batch) = batches.recv().await {
                let mut holders = Holders::new();
                let wanted = import.identifiers(&batch);
                for identifier in Identifier::ALL {
                    let values: Vec<&String> = wanted.iter().filter(|(i, _)| *i == identifier).map(|(_, v)| v).collect();
                    for chunk in values.chunks(LOOKUP_BATCH) {
                        let mut sql = QueryBuilder::new(concat!("select ", columns!(), " from organisations where "));
                        sql.push(identifier.column()).push(" in (");
                        let mut list = sql.separated(", ");
                        for value in chunk {
                            list.push_bind((*value).clone());
                        }
                        sql.push(")");
                        let found = sql.build_query_as::<Organisation>().persistent(false).fetch_all(&mut *tx);
                        for organisation in found.await.map_err(failed)? {
                            if let Some(value) = identifier.of(&organisation.fields) {
                                holders.insert((identifier, value.to_owned()), organisation);
                            }
                        }
                    }
                }
                let writes = import.decide(batch, &holders);
                drop(holders);
                // The records as they will be, for the change log (written in the same transaction).
                let created: Vec<Organisation> = writes
                    .creates
                    .iter()
                    .map(|new| Organisation {
                        id: Uuid::now_v7(),
                        fields: new.clone(),
                        esus_status: None,
                        esus_valid_until: None,
                        created_at: at,
                        updated_at: at,
                        version: 1,
                    })
                    .collect();
                // The change log is written out while the database writes the records.
                let write = async {
                    for chunk in created.chunks(IMPORT_BATCH) {
                        let mut sql = QueryBuilder::new(&*IMPORT_INSERT);
                        sql.push_values(chunk, |mut row, organisation| {
                            row.push_bind(organisation.id);
                            organisation.fields.bind(&mut row);
                            row.push_bind(at).push_bind(at).push_bind(1_i64);
                        });
                        sql.build().persistent(false).execute(&mut *tx).await.map_err(failed)?;
                    }
                    for chunk in writes.updates.chunks(IMPORT_BATCH) {
                        // One statement per batch: the new contents as a table of values, joined
                        // on id and version (UPDATE … FROM: PostgreSQL, and SQLite since 3.33).
                        let mut sql = QueryBuilder::new("with v (id, version, ");
                        sql.push(ORGANISATIONS.columns.join(", ")).push(", updated_at) as (");
                        sql.push_values(chunk, |mut row, update| {
                            row.push_bind(update.before.id).push_bind(update.before.version);
                            update.new.bind(&mut row);
                            row.push_bind(at);
                        });
                        sql.push(&*IMPORT_UPDATE);
                        let done = sql.build().persistent(false).execute(&mut *tx).await.map_err(failed)?;
                        if usize::try_from(done.rows_affected()).unwrap_or(0) != chunk.len() {
                            return Err(StoreError::Contended("organisation"));
                        }
                    }
                    Ok(())
                };
                let log = async {
                    let mut logged: Vec<NewChange> =
                        created.iter().map(|o| NewChange::created(Record::organisation(o))).collect();
                    logged.extend(writes.updates.iter().map(|update| {
                        let after = Organisation {
                            fields: update.new.clone(),
                            updated_at: at,
                            version: update.before.version + 1,
                            ..update.before.clone()
                        };
                        NewChange::updated(&Record::organisation(&update.before), Record::organisation(&after))
                    }));
                    logged
                };
                let (wrote, logged) = tokio::join!(write, log);
                wrote?;
                written += logged.len();
                changes::record(&mut tx, actor, at, &logged).await.map_err(failed)?;
            }
            if import.commit() {
                tx.commit().await.map_err(failed)?;
                Ok(true)
            } else {
                tx.rollback().await.map_err(failed)?;
                Ok(false)
            }
        }, unavailable: failed)?;
        if committed && written >= ANALYSE_AFTER {
            self.analyse_organisations().await;
        }
        Ok(committed)
    }

    /// Has PostgreSQL read the statistics of `organisations` anew, after an import that wrote
    /// many rows, so that the next queries are planned for what the table now holds. Autovacuum
    /// would, a minute or so later; until then, measured after 100,000 rows, a filtered page
    /// took a plan made for a table a hundred times smaller (a second instead of a
    /// millisecond). SQLite plans without statistics. A failure is logged: it costs only time.
    async fn analyse_organisations(&self) {
        let Db::Postgres(_) = self.db() else {
            return;
        };
        let analysed = with_conn!(self, conn => {
            sqlx::query("analyze organisations").execute(&mut *conn).await.map(|_| ())
        });
        if let Err(error) = analysed {
            tracing::warn!(%error, "the organisations' statistics were not refreshed after an import");
        }
    }
}
