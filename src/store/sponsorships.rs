//! Sponsorships in the database: the SQL of their reads and writes and of their yearly totals,
//! for both backends.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::QueryBuilder;
use uuid::Uuid;

use super::columns::writable;

use super::changes::{NewChange, Record, data_of};
use super::logged_write;
use super::{Db, Store, StoreError, classify, compare_and_set, count_where, now, with_conn};
use crate::core::Confidential;
use crate::core::{Actor, Target};
use crate::domain::sponsorship::{
    Beneficiary, BeneficiaryType, Currency, Existing, NewSponsorship, SponsorshipDraft, SponsorshipKind,
    SponsorshipStatus,
};

/// A sponsorship as stored, with the names of its sponsor and beneficiary and its bookkeeping
/// fields.
#[derive(Debug, Clone)]
pub struct Sponsorship {
    pub id: Uuid,
    /// The checked fields, as stored.
    pub fields: NewSponsorship,
    pub sponsor_name: String,
    /// The beneficiary's name (a club or an organisation) or title (an event).
    pub beneficiary_name: String,
    /// The beneficiary's region: the region of the organisation or club, or the event's region
    /// (`None` for an event without one). The policy places the sponsorship there.
    pub beneficiary_region: Option<String>,
    /// Whether the beneficiary itself is public (what the policy's `Target.public` says):
    /// clubs and organisations always, an event once published. Its name is shown to callers
    /// who may read it only.
    pub beneficiary_public: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl Sponsorship {
    /// The sponsorship as the policy sees it: its sponsor, its beneficiary's region, whether public.
    pub fn target(&self) -> Target {
        Target::sponsorship(
            self.fields.sponsor_id,
            self.beneficiary_region.as_deref(),
            self.fields.public,
        )
    }
}

/// The columns of the `sponsorships` table, as read.
#[derive(Debug, sqlx::FromRow)]
struct Row {
    id: Uuid,
    sponsor_id: Uuid,
    beneficiary_type: String,
    beneficiary_club_id: Option<Uuid>,
    beneficiary_event_id: Option<Uuid>,
    beneficiary_organisation_id: Option<Uuid>,
    kind: String,
    amount_cents: i64,
    currency: String,
    counterparts_cents: i64,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
    status: String,
    public: bool,
    agreement_reference: Option<String>,
    notes: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
}

/// What a deletion returns of the deleted row, for the change log.
#[derive(Debug, sqlx::FromRow)]
struct DeletedRow {
    version: i64,
    sponsor_id: Uuid,
    public: bool,
    beneficiary_club_id: Option<Uuid>,
    beneficiary_event_id: Option<Uuid>,
    beneficiary_organisation_id: Option<Uuid>,
}

/// A row with the names and the beneficiary's region the page and single reads join in.
#[derive(Debug, sqlx::FromRow)]
struct NamedRow {
    #[sqlx(flatten)]
    row: Row,
    sponsor_name: String,
    beneficiary_name: String,
    beneficiary_region: Option<String>,
    beneficiary_event_status: Option<String>,
}

impl NamedRow {
    fn into_sponsorship(self) -> Result<Sponsorship, StoreError> {
        self.row.into_sponsorship(
            self.sponsor_name,
            self.beneficiary_name,
            self.beneficiary_region,
            beneficiary_public(self.beneficiary_event_status.as_deref()),
        )
    }
}

/// Whether a beneficiary whose event (if it is one) has `event_status` is public: see
/// `Sponsorship::beneficiary_public`.
fn beneficiary_public(event_status: Option<&str>) -> bool {
    event_status.is_none_or(|status| status == crate::domain::event::EventStatus::Published.as_str())
}

impl Row {
    /// The stored form back in domain types; a value the schema should have refused is an
    /// internal error, not a panic.
    fn into_sponsorship(
        self,
        sponsor_name: String,
        beneficiary_name: String,
        beneficiary_region: Option<String>,
        beneficiary_public: bool,
    ) -> Result<Sponsorship, StoreError> {
        let corrupt = |what: String| StoreError::Unexpected(anyhow::anyhow!("sponsorship {}: {what}", self.id));
        let kind = BeneficiaryType::try_from(self.beneficiary_type.clone()).map_err(corrupt)?;
        let beneficiary_id = match kind {
            BeneficiaryType::Club => self.beneficiary_club_id,
            BeneficiaryType::Event => self.beneficiary_event_id,
            BeneficiaryType::Organisation => self.beneficiary_organisation_id,
        }
        .ok_or_else(|| corrupt(format!("no {kind} id")))?;
        let fields = NewSponsorship {
            sponsor_id: self.sponsor_id,
            beneficiary: Beneficiary {
                kind,
                id: beneficiary_id,
            },
            kind: SponsorshipKind::try_from(self.kind.clone()).map_err(corrupt)?,
            amount_cents: self.amount_cents,
            currency: Currency::try_from(self.currency.clone()).map_err(corrupt)?,
            counterparts_cents: self.counterparts_cents,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            status: SponsorshipStatus::try_from(self.status.clone()).map_err(corrupt)?,
            public: self.public,
            agreement_reference: self.agreement_reference,
            notes: self.notes,
        };
        Ok(Sponsorship {
            id: self.id,
            fields,
            sponsor_name,
            beneficiary_name,
            beneficiary_region,
            beneficiary_public,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        })
    }
}

/// The columns of `Row`, unqualified, for `returning`.
macro_rules! columns {
    () => {
        "id, sponsor_id, beneficiary_type, beneficiary_club_id, beneficiary_event_id, \
         beneficiary_organisation_id, kind, amount_cents, currency, counterparts_cents, starts_on, \
         ends_on, status, public, agreement_reference, notes, created_at, updated_at, version"
    };
}

/// The beneficiary of the sponsorship `s` joined in: `club`, `event` or `organisation` (only
/// the one of its type matches), so that its name and region are read in the same query.
macro_rules! beneficiary_joins {
    () => {
        " left join clubs club on club.id = s.beneficiary_club_id \
         left join events event on event.id = s.beneficiary_event_id \
         left join organisations organisation on organisation.id = s.beneficiary_organisation_id"
    };
}

/// The region of the beneficiary joined by `beneficiary_joins!`: the club's or organisation's
/// region, or the event's (which may be null).
macro_rules! beneficiary_region {
    () => {
        "coalesce(club.region_code, event.region_code, organisation.region_code)"
    };
}

/// The columns of `NamedRow`: the sponsorship `s` with its sponsor's name and its
/// beneficiary's name or title and region, joined in the same query (never one query per row).
macro_rules! named_select {
    () => {
        concat!(
            "select s.id as id, s.sponsor_id as sponsor_id, s.beneficiary_type as beneficiary_type, \
             s.beneficiary_club_id as beneficiary_club_id, s.beneficiary_event_id as beneficiary_event_id, \
             s.beneficiary_organisation_id as beneficiary_organisation_id, s.kind as kind, \
             s.amount_cents as amount_cents, s.currency as currency, s.counterparts_cents as counterparts_cents, \
             s.starts_on as starts_on, s.ends_on as ends_on, s.status as status, s.public as public, \
             s.agreement_reference as agreement_reference, s.notes as notes, s.created_at as created_at, \
             s.updated_at as updated_at, s.version as version, \
             sponsor.name as sponsor_name, \
             coalesce(club.name, event.title, organisation.name) as beneficiary_name, \
             event.status as beneficiary_event_status, ",
            beneficiary_region!(),
            " as beneficiary_region \
             from sponsorships s \
             join organisations sponsor on sponsor.id = s.sponsor_id",
            beneficiary_joins!()
        )
    };
}

/// Which sponsorships a list shows.
#[derive(Debug, Default, Clone)]
pub struct SponsorshipFilter {
    pub sponsor_id: Option<Uuid>,
    pub beneficiary_type: Option<BeneficiaryType>,
    /// With `beneficiary_type`: that record; without: a club, event or organisation with this id.
    pub beneficiary_id: Option<Uuid>,
    pub status: Option<SponsorshipStatus>,
    pub kind: Option<SponsorshipKind>,
    /// Only sponsorships whose period overlaps this calendar year.
    pub year: Option<i32>,
    /// Only the public ones (for anonymous callers).
    pub public_only: bool,
}

/// One page of a list, sorted by `starts_on` then id: filter, direction, start and size.
#[derive(Debug, Clone)]
pub struct ListSponsorships {
    pub filter: SponsorshipFilter,
    pub descending: bool,
    /// The `starts_on` and id of the last item of the previous page.
    pub after: Option<(NaiveDate, Uuid)>,
    /// How many rows to fetch (the caller asks for one more than it shows, to know if more follow).
    pub limit: i64,
}

/// Which sponsorships the yearly totals count (besides their status, always active or ended).
#[derive(Debug, Default, Clone)]
pub struct SummaryFilter {
    pub sponsor_id: Option<Uuid>,
    pub beneficiary_type: Option<BeneficiaryType>,
    pub beneficiary_id: Option<Uuid>,
    /// Only sponsorships starting in this year.
    pub year: Option<i32>,
    /// Only the public ones (for anonymous callers).
    pub public_only: bool,
}

/// The totals of one year (of `starts_on`) and one kind.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SummaryRow {
    pub year: i64,
    pub kind: SponsorshipKind,
    /// The sum of the amounts the summary was asked to add up (0 when none).
    pub amount_cents: i64,
    /// The sum of the counterparts of the same sponsorships.
    pub counterparts_cents: i64,
    /// How many sponsorships there are, whether their amounts were added up or not.
    pub count: i64,
}

/// What the database holds of the records a draft references, for the check that turns the
/// draft into a sponsorship (and asks the policy about it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Referenced<'a> {
    /// Whether the sponsor and the beneficiary exist.
    pub existing: Existing,
    /// The beneficiary's region (see `Sponsorship::beneficiary_region`).
    pub beneficiary_region: Option<&'a str>,
}

/// The names of the records a draft references, `None` where there is no such record, and the
/// beneficiary's region.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
struct ReferenceNames {
    sponsor_name: Option<String>,
    beneficiary_name: Option<String>,
    beneficiary_region: Option<String>,
    beneficiary_event_status: Option<String>,
    /// Known already (an update that keeps its beneficiary): whether the beneficiary is public.
    #[sqlx(skip)]
    beneficiary_public: Option<bool>,
}

impl ReferenceNames {
    fn referenced(&self) -> Referenced<'_> {
        Referenced {
            existing: Existing {
                sponsor: self.sponsor_name.is_some(),
                beneficiary: self.beneficiary_name.is_some(),
            },
            beneficiary_region: self.beneficiary_region.as_deref(),
        }
    }

    /// The inserted or updated row with these names.
    fn into_sponsorship(self, row: Row) -> Result<Sponsorship, StoreError> {
        row.into_sponsorship(
            self.sponsor_name.unwrap_or_default(),
            self.beneficiary_name.unwrap_or_default(),
            self.beneficiary_region,
            self.beneficiary_public
                .unwrap_or_else(|| beneficiary_public(self.beneficiary_event_status.as_deref())),
        )
    }
}

/// A sponsorship as the change log keeps it: the `data` of a change in the feed and in a
/// webhook's body.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SponsorshipRecord {
    pub id: Uuid,
    #[serde(flatten)]
    #[schema(inline)]
    pub fields: NewSponsorship,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// This resource's record in the change log: its identity, policy target and logged fields.
impl Record {
    pub fn sponsorship(s: &Sponsorship) -> Self {
        Self {
            id: s.id,
            parent_id: None,
            version: s.version,
            target: s.target(),
            data: data_of(&SponsorshipRecord {
                id: s.id,
                fields: s.fields.clone(),
                created_at: s.created_at,
                updated_at: s.updated_at,
            }),
        }
    }
}

/// Pushes the conditions of a `&SponsorshipFilter` (sponsorships as `s`) onto `sql`, a `QueryBuilder` of either backend: the
/// same for a page and for its count.
macro_rules! sponsorship_filter {
    ($sql:ident, $filter:expr) => {{
        let filter: &SponsorshipFilter = $filter;
        let sql = &mut $sql;
        if let Some(sponsor_id) = filter.sponsor_id {
            sql.push(" and s.sponsor_id = ").push_bind(sponsor_id);
        }
        push_beneficiary_filter(sql, filter.beneficiary_type, filter.beneficiary_id);
        if let Some(status) = filter.status {
            sql.push(" and s.status = ").push_bind(status.as_str());
        }
        if let Some(kind) = filter.kind {
            sql.push(" and s.kind = ").push_bind(kind.as_str());
        }
        if filter.public_only {
            sql.push(" and s.public");
        }
        if let Some((first, last)) = filter.year.and_then(year_bounds) {
            sql.push(" and s.starts_on <= ")
                .push_bind(last)
                .push(" and (s.ends_on is null or s.ends_on >= ")
                .push_bind(first)
                .push(")");
        }
    }};
}

impl Store {
    /// Looks up the records `draft` references, lets `check` turn the draft into a sponsorship
    /// knowing which of them exist and the beneficiary's region, and inserts it. A referenced record deleted between the
    /// check and the insert makes the foreign key refuse it: then everything is checked again,
    /// so the caller gets `check`'s answer (a 422 on that field), never a 500.
    #[tracing::instrument(skip_all)]
    pub async fn create_sponsorship<E: From<StoreError>>(
        &self,
        draft: SponsorshipDraft,
        actor: &Actor,
        check: impl Fn(SponsorshipDraft, Referenced<'_>) -> Result<NewSponsorship, E>,
    ) -> Result<Sponsorship, E> {
        compare_and_set("sponsorship", async || {
            let names = self.reference_names(draft.sponsor_id, draft.beneficiary()).await?;
            let new = check(draft.clone(), names.referenced())?;
            let at = now();
            let inserted = logged_write!(self, actor, at, tx => {
                let row = new
                    .bind(sqlx::query_as::<_, Row>(INSERT.as_str()))
                    .bind(Uuid::now_v7())
                    .bind(at)
                    .fetch_one(&mut *tx)
                    .await?;
                let created = match names.clone().into_sponsorship(row) {
                    Ok(created) => created,
                    Err(error) => return Ok(Err(error)),
                };
                let logged = NewChange::created(Record::sponsorship(&created));
                (Ok(created), [logged])
            });
            match inserted {
                Ok(created) => Ok(Some(created?)),
                Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => Ok(None),
                Err(error) => Err(classify(error, "sponsorship").into()),
            }
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(sponsorship.id = %id))]
    pub async fn get_sponsorship(&self, id: Uuid) -> Result<Sponsorship, StoreError> {
        let row = with_conn!(self, conn => {
            sqlx::query_as::<_, NamedRow>(concat!(named_select!(), " where s.id = $1"))
                .bind(id)
                .fetch_optional(&mut *conn)
                .await
        })
        .map_err(|e| classify(e, "sponsorship"))?;
        row.ok_or(StoreError::NotFound("sponsorship"))?.into_sponsorship()
    }

    /// How many sponsorships `filter` matches, whatever the page: a page's `total` (`count=true`).
    #[tracing::instrument(skip_all)]
    pub async fn count_sponsorships(&self, filter: &SponsorshipFilter) -> Result<i64, StoreError> {
        count_where!(self, "sponsorships s", sponsorship_filter!(filter), "sponsorship")
    }

    /// One page of sponsorships with their sponsor's and beneficiary's names, in one query;
    /// cost depends on the page size, not on how deep the page is.
    #[tracing::instrument(skip_all)]
    pub async fn list_sponsorships(&self, query: &ListSponsorships) -> Result<Vec<Sponsorship>, StoreError> {
        let rows = with_conn!(self, conn => {
            let mut sql = QueryBuilder::new(concat!(named_select!(), " where true"));
            sponsorship_filter!(sql, &query.filter);
            let (comparison, direction) = if query.descending { ("<", "desc") } else { (">", "asc") };
            if let Some((starts_on, id)) = query.after {
                sql.push(format_args!(" and (s.starts_on, s.id) {comparison} ("))
                    .push_bind(starts_on).push(", ").push_bind(id).push(")");
            }
            sql.push(format_args!(" order by s.starts_on {direction}, s.id {direction} limit ")).push_bind(query.limit);
            sql.build_query_as::<NamedRow>().fetch_all(&mut *conn).await
        })
        .map_err(|e| classify(e, "sponsorship"))?;
        rows.into_iter().map(NamedRow::into_sponsorship).collect()
    }

    /// Reads the sponsorship, lays `patch` over it, looks up the records the result references
    /// (only when they changed: the foreign keys vouch for the current ones, and the current
    /// beneficiary's region is known), lets `check` turn it into a sponsorship (or refuse it,
    /// e.g. an illegal status change or a caller out of scope), and writes it if
    /// nobody changed it meanwhile (compare-and-set on `version`, retried a few times). A patch
    /// that changes nothing keeps the version.
    #[tracing::instrument(skip_all, fields(sponsorship.id = %id))]
    pub async fn update_sponsorship<E: From<StoreError>>(
        &self,
        id: Uuid,
        actor: &Actor,
        patch: impl Fn(&Sponsorship) -> Result<SponsorshipDraft, E>,
        check: impl Fn(&Sponsorship, SponsorshipDraft, Referenced<'_>) -> Result<NewSponsorship, E>,
    ) -> Result<Sponsorship, E> {
        compare_and_set("sponsorship", async || {
            let current = self.get_sponsorship(id).await?;
            let draft = patch(&current)?;
            let sponsor_kept = draft.sponsor_id == Some(current.fields.sponsor_id);
            let beneficiary_kept = draft.beneficiary() == Some(current.fields.beneficiary);
            let names = if sponsor_kept && beneficiary_kept {
                ReferenceNames {
                    sponsor_name: Some(current.sponsor_name.clone()),
                    beneficiary_name: Some(current.beneficiary_name.clone()),
                    beneficiary_region: current.beneficiary_region.clone(),
                    beneficiary_event_status: None,
                    beneficiary_public: Some(current.beneficiary_public),
                }
            } else {
                self.reference_names(draft.sponsor_id, draft.beneficiary()).await?
            };
            let new = check(&current, draft, names.referenced())?;
            if new == current.fields {
                return Ok(Some(current));
            }
            let at = now();
            let updated = logged_write!(self, actor, at, tx => maybe {
                let row = new
                    .bind(sqlx::query_as::<_, Row>(UPDATE.as_str()))
                    .bind(id)
                    .bind(at)
                    .bind(current.version)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(row) = row else { return Ok(None) };
                let updated = match names.clone().into_sponsorship(row) {
                    Ok(updated) => updated,
                    Err(error) => return Ok(Some(Err(error))),
                };
                let logged = NewChange::updated(&Record::sponsorship(&current), Record::sponsorship(&updated));
                Some((Ok(updated), [logged]))
            });
            match updated {
                Ok(Some(updated)) => Ok(Some(updated?)),
                // Changed meanwhile, or a new reference deleted meanwhile: read and check again.
                Ok(None) => Ok(None),
                Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => Ok(None),
                Err(error) => Err(classify(error, "sponsorship").into()),
            }
        })
        .await
    }

    /// Deletes a sponsorship; nothing references one.
    #[tracing::instrument(skip_all, fields(sponsorship.id = %id))]
    pub async fn delete_sponsorship(&self, id: Uuid, version: Option<i64>, actor: &Actor) -> Result<(), StoreError> {
        let at = now();
        let deleted = logged_write!(self, actor, at, tx => maybe {
            let row = sqlx::query_as::<_, DeletedRow>(
                "delete from sponsorships where id = $1 and version = coalesce($2, version) returning version, \
                 sponsor_id, public, beneficiary_club_id, beneficiary_event_id, beneficiary_organisation_id",
            )
            .bind(id)
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else { return Ok(None) };
            // The beneficiary, which nothing deleted, gives the region (after the write, so
            // that SQLite took its write lock first).
            let region = sqlx::query_scalar::<_, Option<String>>(
                "select coalesce((select region_code from clubs where id = $1), \
                 (select region_code from events where id = $2), \
                 (select region_code from organisations where id = $3))",
            )
            .bind(row.beneficiary_club_id)
            .bind(row.beneficiary_event_id)
            .bind(row.beneficiary_organisation_id)
            .fetch_one(&mut *tx)
            .await?;
            let target = Target::sponsorship(row.sponsor_id, region.as_deref(), row.public);
            Some(((), [NewChange::deleted(Record::gone(id, None, row.version, target))]))
        });
        match deleted {
            Ok(Some(())) => Ok(()),
            Ok(None) if version.is_some() => Err(StoreError::Contended("sponsorship")),
            Ok(None) => Err(StoreError::NotFound("sponsorship")),
            Err(error) => Err(classify(error, "sponsorship")),
        }
    }

    /// Totals per year of `starts_on` and kind, of the active and ended sponsorships only (a
    /// proposal is not yet given, a cancelled one never was), in one `group by` query. `count`
    /// counts every sponsorship of the filter; the amounts and counterparts add up only those
    /// of the sponsorships whose amounts `amounts_of` reaches (0 where it reaches none).
    #[tracing::instrument(skip_all)]
    pub async fn summarise_sponsorships(
        &self,
        filter: &SummaryFilter,
        amounts_of: &Confidential,
    ) -> Result<Vec<SummaryRow>, StoreError> {
        let year = year_of_starts_on(self.db());
        with_conn!(self, conn => {
            let mut sql = QueryBuilder::new("select ");
            sql.push(year).push(" as year, s.kind as kind, cast(sum(case when ");
            push_reached(&mut sql, amounts_of);
            sql.push(" then s.amount_cents else 0 end) as bigint) as amount_cents, cast(sum(case when ");
            push_reached(&mut sql, amounts_of);
            sql.push(concat!(
                " then s.counterparts_cents else 0 end) as bigint) as counterparts_cents, count(*) as count \
                 from sponsorships s",
                beneficiary_joins!(),
                " where s.status in ('active', 'ended')"
            ));
            if let Some(sponsor_id) = filter.sponsor_id {
                sql.push(" and s.sponsor_id = ").push_bind(sponsor_id);
            }
            push_beneficiary_filter(&mut sql, filter.beneficiary_type, filter.beneficiary_id);
            if filter.public_only {
                sql.push(" and s.public");
            }
            if let Some((first, last)) = filter.year.and_then(year_bounds) {
                sql.push(" and s.starts_on >= ").push_bind(first).push(" and s.starts_on <= ").push_bind(last);
            }
            sql.push(" group by 1, 2 order by 1, 2");
            sql.build_query_as::<SummaryRow>().fetch_all(&mut *conn).await
        })
        .map_err(|e| classify(e, "sponsorship"))
    }

    /// The name of the sponsor and of the beneficiary, `None` for a record that does not exist
    /// (or an id not given), and the beneficiary's region, in one query.
    async fn reference_names(
        &self,
        sponsor_id: Option<Uuid>,
        beneficiary: Option<Beneficiary>,
    ) -> Result<ReferenceNames, StoreError> {
        let of = |kind: BeneficiaryType| beneficiary.filter(|b| b.kind == kind).map(|b| b.id);
        with_conn!(self, conn => {
            sqlx::query_as::<_, ReferenceNames>(
                "select (select name from organisations where id = $1) as sponsor_name, \
                 coalesce((select name from clubs where id = $2), (select title from events where id = $3), \
                 (select name from organisations where id = $4)) as beneficiary_name, \
                 coalesce((select region_code from clubs where id = $2), \
                 (select region_code from events where id = $3), \
                 (select region_code from organisations where id = $4)) as beneficiary_region, \
                 (select status from events where id = $3) as beneficiary_event_status",
            )
            .bind(sponsor_id)
            .bind(of(BeneficiaryType::Club))
            .bind(of(BeneficiaryType::Event))
            .bind(of(BeneficiaryType::Organisation))
            .fetch_one(&mut *conn)
            .await
        })
        .map_err(|e| classify(e, "sponsorship"))
    }
}

/// The SQL expression of the year of `s.starts_on`, as a bigint. The one dialect difference of
/// this module: PostgreSQL stores a `date` (whose text form depends on the `DateStyle` setting,
/// so `extract` is the safe way), SQLite an ISO `YYYY-MM-DD` text, whose first four characters
/// are the year (dates are kept within the years 1900–2200, always four digits).
fn year_of_starts_on(db: &Db) -> &'static str {
    match db {
        Db::Postgres(_) => "cast(extract(year from s.starts_on) as bigint)",
        Db::Sqlite(_) => "cast(substr(s.starts_on, 1, 4) as integer)",
    }
}

/// The first and last day of a year, if the year is one chrono can represent.
fn year_bounds(year: i32) -> Option<(NaiveDate, NaiveDate)> {
    Some((
        NaiveDate::from_ymd_opt(year, 1, 1)?,
        NaiveDate::from_ymd_opt(year, 12, 31)?,
    ))
}

/// The beneficiary filter shared by lists and totals: a type, an id of that type, or an id of
/// any type.
fn push_beneficiary_filter<DB>(
    sql: &mut QueryBuilder<DB>,
    beneficiary_type: Option<BeneficiaryType>,
    beneficiary_id: Option<Uuid>,
) where
    DB: sqlx::Database,
    Uuid: sqlx::Encode<'static, DB> + sqlx::Type<DB>,
    &'static str: sqlx::Encode<'static, DB> + sqlx::Type<DB>,
{
    if let Some(kind) = beneficiary_type {
        sql.push(" and s.beneficiary_type = ").push_bind(kind.as_str());
    }
    if let Some(id) = beneficiary_id {
        match beneficiary_type {
            Some(BeneficiaryType::Club) => sql.push(" and s.beneficiary_club_id = ").push_bind(id),
            Some(BeneficiaryType::Event) => sql.push(" and s.beneficiary_event_id = ").push_bind(id),
            Some(BeneficiaryType::Organisation) => sql.push(" and s.beneficiary_organisation_id = ").push_bind(id),
            None => sql
                .push(" and (s.beneficiary_club_id = ")
                .push_bind(id)
                .push(" or s.beneficiary_event_id = ")
                .push_bind(id)
                .push(" or s.beneficiary_organisation_id = ")
                .push_bind(id)
                .push(")"),
        };
    }
}

/// The SQL condition of a summary row whose amounts `amounts_of` reaches: every row, none, the
/// rows whose beneficiary is of a region, or the rows of a sponsor (the policy's rule for
/// amounts, `policy::sees_confidential`, as SQL over `s` and `beneficiary_joins!`).
fn push_reached<DB>(sql: &mut QueryBuilder<DB>, amounts_of: &Confidential)
where
    DB: sqlx::Database,
    Uuid: sqlx::Encode<'static, DB> + sqlx::Type<DB>,
    String: sqlx::Encode<'static, DB> + sqlx::Type<DB>,
{
    match amounts_of {
        Confidential::Everyone => sql.push("true"),
        Confidential::Nobody => sql.push("false"),
        Confidential::Region(region) => sql
            .push(concat!(beneficiary_region!(), " = "))
            .push_bind(region.clone()),
        Confidential::Organisation(sponsor_id) => sql.push("s.sponsor_id = ").push_bind(*sponsor_id),
    };
}

writable! {
    /// The writable columns of `sponsorships`: the beneficiary in the column of its type.
    SPONSORSHIPS: NewSponsorship as new in "sponsorships" {
        sponsor_id: new.sponsor_id,
        beneficiary_type: new.beneficiary.kind,
        beneficiary_club_id: new.beneficiary_of(BeneficiaryType::Club),
        beneficiary_event_id: new.beneficiary_of(BeneficiaryType::Event),
        beneficiary_organisation_id: new.beneficiary_of(BeneficiaryType::Organisation),
        kind: new.kind,
        amount_cents: new.amount_cents,
        currency: new.currency.as_str(),
        counterparts_cents: new.counterparts_cents,
        starts_on: new.starts_on,
        ends_on: new.ends_on,
        status: new.status,
        public: new.public,
        agreement_reference: new.agreement_reference.clone(),
        notes: new.notes.clone(),
    }
}

static INSERT: LazyLock<String> = LazyLock::new(|| SPONSORSHIPS.insert(&["id"], columns!()));
static UPDATE: LazyLock<String> = LazyLock::new(|| SPONSORSHIPS.update(&["id"], true, columns!()));

impl NewSponsorship {
    /// The id of the beneficiary when it is of type `kind`, for that type's column.
    fn beneficiary_of(&self, kind: BeneficiaryType) -> Option<Uuid> {
        (self.beneficiary.kind == kind).then_some(self.beneficiary.id)
    }
}
