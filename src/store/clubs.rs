//! Clubs and their members in the database: the SQL of their reads and writes, for both backends.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::QueryBuilder;
use uuid::Uuid;

use super::columns::{Table, writable};

use super::changes::{NewChange, Record, data_of};
use super::logged_write;
use super::references::Missing;
use super::{Store, StoreError, classify, compare_and_set, count_where, like_pattern, now, references, with_conn};
use crate::core::{Actor, Resource, Target};
use crate::domain::club::{ClubFields, MemberRole, Membership, club_fields};
use crate::domain::message::{Message, msg};
use crate::domain::organisation::Category;
use crate::domain::text::search_key;

/// A club as stored, with its host's name and how many members it has today.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Club {
    pub id: Uuid,
    #[sqlx(flatten)]
    pub fields: ClubFields,
    pub host_organisation_name: String,
    /// Members that have not left (no `left_on`, or a `left_on` after today).
    pub active_member_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// The writable columns of `clubs`.
pub const CLUBS: Table = Table::new("clubs", ClubFields::COLUMNS);

impl Club {
    /// The club as the policy sees it.
    pub fn target(&self) -> Target {
        Target::club(&self.fields.region_code)
    }

    /// Where the next page starts after this club (lists are in name order).
    pub fn position(&self) -> (String, Uuid) {
        (search_key(&self.fields.name), self.id)
    }
}

club_fields!(
    club_select_head,
    "select c.id, ",
    "c.",
    "c.created_at, c.updated_at, c.version, h.name as host_organisation_name, \
     (select count(*) from club_members m where m.club_id = c.id and (m.left_on is null or m.left_on > "
);
/// The select list of `Club` up to the date that counts as today, then the rest: the active
/// member count is a subquery on the primary key of `club_members`, so a page costs one query
/// whatever its size. Split in two because the date is a bound value.
const CLUB_SELECT_HEAD: &str = club_select_head!();
const CLUB_SELECT_TAIL: &str = ")) as active_member_count \
     from clubs c join organisations h on h.id = c.host_organisation_id";

/// The region of the club `$1`, which a membership belongs to (read in the membership's
/// transaction, after its write).
const CLUB_REGION: &str = "select region_code from clubs where id = $1";

/// Which clubs a list shows.
#[derive(Debug, Default, Clone)]
pub struct ClubFilter {
    pub region_code: Option<String>,
    /// A search key (see `search_key`) that the folded name must contain.
    pub name_contains: Option<String>,
}

/// One page of clubs, in name order.
#[derive(Debug, Clone)]
pub struct ListClubs {
    pub filter: ClubFilter,
    /// The folded name and id of the last club of the previous page.
    pub after: Option<(String, Uuid)>,
    /// How many rows to fetch (the caller asks for one more than it shows, to know if more follow).
    pub limit: i64,
}

/// A membership as stored, with the member organisation's name and category.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    pub club_id: Uuid,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub organisation_category: Category,
    pub role: MemberRole,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl Member {
    /// The terms of this membership, as the domain checks them.
    pub fn terms(&self) -> Membership {
        Membership {
            role: self.role,
            joined_on: self.joined_on,
            left_on: self.left_on,
        }
    }

    /// Where the next page starts after this member (lists are in organisation name order).
    pub fn position(&self) -> (String, Uuid) {
        (search_key(&self.organisation_name), self.organisation_id)
    }
}

/// The columns of `Member` and the join that brings the organisation's name and category.
macro_rules! member_select {
    () => {
        "select m.club_id, m.organisation_id, o.name as organisation_name, o.category as organisation_category, \
         m.role, m.joined_on, m.left_on, m.created_at, m.updated_at, m.version \
         from club_members m join organisations o on o.id = m.organisation_id"
    };
}

/// Which members of a club a list shows.
#[derive(Debug, Default, Clone)]
pub struct MemberFilter {
    /// `true`: members that have not left by `today`; `false`: those that have.
    pub active: Option<bool>,
    pub role: Option<MemberRole>,
}

/// One page of the members of a club, in organisation name order.
#[derive(Debug, Clone)]
pub struct ListMembers {
    pub club_id: Uuid,
    pub filter: MemberFilter,
    /// The day `active` is judged on.
    pub today: NaiveDate,
    /// The folded organisation name and organisation id of the last member of the previous page.
    pub after: Option<(String, Uuid)>,
    pub limit: i64,
}

/// Pushes the conditions of a `&ClubFilter` onto `sql` (clubs as `c`), a `QueryBuilder` of
/// either backend: the same for a page and for its count.
macro_rules! club_filter {
    ($sql:ident, $filter:expr) => {{
        let filter: &ClubFilter = $filter;
        let sql = &mut $sql;
        if let Some(region) = &filter.region_code {
            sql.push(" and c.region_code = ").push_bind(region.clone());
        }
        if let Some(key) = &filter.name_contains {
            match like_pattern(key) {
                Some(pattern) => sql
                    .push(r" and c.name_search like ")
                    .push_bind(pattern)
                    .push(r" escape '\'"),
                None => sql.push(" and false"),
            };
        }
    }};
}

/// Pushes the conditions of a `&ListMembers` (its club and filter; not its page position) onto
/// `sql` (memberships as `m`): the same for a page and for its count.
macro_rules! member_filter {
    ($sql:ident, $query:expr) => {{
        let query: &ListMembers = $query;
        let sql = &mut $sql;
        sql.push(" and m.club_id = ").push_bind(query.club_id);
        match query.filter.active {
            Some(true) => {
                sql.push(" and (m.left_on is null or m.left_on > ")
                    .push_bind(query.today)
                    .push(")");
            }
            Some(false) => {
                sql.push(" and m.left_on <= ").push_bind(query.today);
            }
            None => {}
        }
        if let Some(role) = query.filter.role {
            sql.push(" and m.role = ").push_bind(role.as_str());
        }
    }};
}

/// A club as the change log keeps it: the `data` of a change in the feed and in a webhook's body.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ClubRecord {
    pub id: Uuid,
    #[serde(flatten)]
    #[schema(inline)]
    pub fields: ClubFields,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A club's member as the change log keeps it: the `data` of a change in the feed and in a
/// webhook's body.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ClubMemberRecord {
    pub club_id: Uuid,
    /// The member organisation (the change's `id`).
    pub organisation_id: Uuid,
    #[serde(flatten)]
    #[schema(inline)]
    pub terms: Membership,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// This resource's record in the change log: its identity, policy target and logged fields.
impl Record {
    pub fn club(id: Uuid, f: &ClubFields, version: i64, created_at: DateTime<Utc>, updated_at: DateTime<Utc>) -> Self {
        Self {
            id,
            parent_id: None,
            version,
            target: Target::club(&f.region_code),
            data: data_of(&ClubRecord {
                id,
                fields: f.clone(),
                created_at,
                updated_at,
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
            target: Target::club_member(region),
            data: data_of(&ClubMemberRecord {
                club_id,
                organisation_id,
                terms: *terms,
                created_at,
                updated_at,
            }),
        }
    }
}

impl Store {
    /// Whether the organisation a club would be hosted by exists.
    #[tracing::instrument(skip_all, fields(organisation.id = %id))]
    pub async fn club_host_exists(&self, id: Uuid) -> Result<bool, StoreError> {
        organisation_exists(self, id).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_club<E>(&self, fields: &ClubFields, actor: &Actor) -> Result<Club, E>
    where
        E: From<StoreError> + From<Missing>,
    {
        let id = Uuid::now_v7();
        let at = now();
        let inserted = logged_write!(self, actor, at, tx => {
            fields
                .bind(sqlx::query(INSERT.as_str()))
                .bind(id)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            ((), [NewChange::created(Record::club(id, fields, 1, at, at))])
        });
        match inserted {
            Ok(_) => Ok(self.get_club(id).await?),
            Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => Err(Missing::one(
                "host_organisation_id",
                Resource::Organisation,
                fields.host_organisation_id,
            )
            .into()),
            Err(error) => Err(classify(error, "club").into()),
        }
    }

    #[tracing::instrument(skip_all, fields(club.id = %id))]
    pub async fn get_club(&self, id: Uuid) -> Result<Club, StoreError> {
        let today = super::today();
        let row = with_conn!(self, conn => {
            let mut sql = QueryBuilder::new(CLUB_SELECT_HEAD);
            sql.push_bind(today).push(CLUB_SELECT_TAIL).push(" where c.id = ").push_bind(id);
            sql.build_query_as::<Club>().fetch_optional(&mut *conn).await
        })
        .map_err(|e| classify(e, "club"))?;
        row.ok_or(StoreError::NotFound("club"))
    }

    /// One page of clubs in name order; cost depends on the page size, not on how deep it is.
    #[tracing::instrument(skip_all)]
    pub async fn list_clubs(&self, query: &ListClubs) -> Result<Vec<Club>, StoreError> {
        let today = super::today();
        with_conn!(self, conn => {
            let mut sql = QueryBuilder::new(CLUB_SELECT_HEAD);
            sql.push_bind(today).push(CLUB_SELECT_TAIL).push(" where true");
            club_filter!(sql, &query.filter);
            if let Some((key, id)) = &query.after {
                sql.push(" and (c.name_search, c.id) > (").push_bind(key.clone()).push(", ").push_bind(*id).push(")");
            }
            sql.push(" order by c.name_search, c.id limit ").push_bind(query.limit);
            sql.build_query_as::<Club>().fetch_all(&mut *conn).await
        })
        .map_err(|e| classify(e, "club"))
    }

    /// How many clubs `filter` matches: a page's `total` (`count=true`).
    #[tracing::instrument(skip_all)]
    pub async fn count_clubs(&self, filter: &ClubFilter) -> Result<i64, StoreError> {
        count_where!(self, "clubs c", club_filter!(filter), "club")
    }

    /// Reads the club, lets `change` compute its new content, and writes it if nobody changed it
    /// meanwhile (compare-and-set on `version`, retried a few times). A change to nothing keeps
    /// the version.
    #[tracing::instrument(skip_all, fields(club.id = %id))]
    pub async fn update_club<E>(
        &self,
        id: Uuid,
        actor: &Actor,
        change: impl Fn(&Club) -> Result<ClubFields, E>,
    ) -> Result<Club, E>
    where
        E: From<StoreError> + From<Missing>,
    {
        compare_and_set("club", async || {
            let current = self.get_club(id).await?;
            let fields = change(&current)?;
            if fields == current.fields {
                return Ok(Some(current));
            }
            let at = now();
            let updated = logged_write!(self, actor, at, tx => maybe {
                let written = fields
                    .bind(sqlx::query(UPDATE.as_str()))
                    .bind(id)
                    .bind(at)
                    .bind(current.version)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                (written > 0).then(|| {
                    let logged = NewChange::updated(
                        &Record::club(id, &current.fields, current.version, current.created_at, current.updated_at),
                        Record::club(id, &fields, current.version + 1, current.created_at, at),
                    );
                    ((), [logged])
                })
            });
            match updated {
                Ok(None) => Ok(None),
                Ok(Some(())) => return Ok(Some(self.get_club(id).await?)),
                Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => Err(Missing::one(
                    "host_organisation_id",
                    Resource::Organisation,
                    fields.host_organisation_id,
                )
                .into()),
                Err(error) => Err(classify(error, "club").into()),
            }
        })
        .await
    }

    /// Deletes a club that nothing references (`InUse` names its members, events, sponsorships).
    #[tracing::instrument(skip_all, fields(club.id = %id))]
    pub async fn delete_club(&self, id: Uuid, version: Option<i64>, actor: &Actor) -> Result<(), StoreError> {
        self.delete_row(
            "club",
            "delete from clubs where id = $1 and version = coalesce($2, version) returning version, region_code",
            id,
            version,
            references::CLUB,
            actor,
            |(version, region): (i64, String)| {
                NewChange::deleted(Record::gone(id, None, version, Target::club(&region)))
            },
        )
        .await
    }

    /// Before adding a member: `NotFound` when the club does not exist, else whether the
    /// organisation does (when one is named), so that a request is answered 404, then 422 with
    /// every failing field, then 409, in that order.
    #[tracing::instrument(skip_all, fields(club.id = %club_id))]
    pub async fn club_member_target_exists(
        &self,
        club_id: Uuid,
        organisation_id: Option<Uuid>,
    ) -> Result<bool, StoreError> {
        if !club_exists(self, club_id).await? {
            return Err(StoreError::NotFound("club"));
        }
        match organisation_id {
            Some(id) => organisation_exists(self, id).await,
            None => Ok(true),
        }
    }

    /// Adds `organisation_id` to the club. An organisation that already has a membership row
    /// (active or left) is a `Conflict` with code `already_member`: its membership is changed
    /// with a PATCH instead, so that a club keeps one row per organisation.
    #[tracing::instrument(skip_all, fields(club.id = %club_id, organisation.id = %organisation_id))]
    pub async fn add_club_member<E>(
        &self,
        club_id: Uuid,
        organisation_id: Uuid,
        terms: &Membership,
        actor: &Actor,
    ) -> Result<Member, E>
    where
        E: From<StoreError> + From<Missing>,
    {
        let at = now();
        let inserted = logged_write!(self, actor, at, tx => {
            terms
                .bind(sqlx::query(MEMBER_INSERT.as_str()))
                .bind(club_id)
                .bind(organisation_id)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            let region = sqlx::query_scalar::<_, String>(CLUB_REGION).bind(club_id).fetch_optional(&mut *tx).await?;
            let record = Record::club_member(club_id, organisation_id, region, terms, 1, at, at);
            ((), [NewChange::created(record)])
        });
        match inserted {
            Ok(_) => Ok(self.get_club_member(club_id, organisation_id).await?),
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                let existing = self.get_club_member(club_id, organisation_id).await?;
                Err(StoreError::Conflict {
                    code: "already_member",
                    detail: already_member_detail(&existing, super::today()),
                }
                .into())
            }
            // SQLite does not say which foreign key failed: ask.
            Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
                if club_exists(self, club_id).await? {
                    Err(Missing::one("organisation_id", Resource::Organisation, organisation_id).into())
                } else {
                    Err(StoreError::NotFound("club").into())
                }
            }
            Err(error) => Err(classify(error, "club member").into()),
        }
    }

    /// The membership of `organisation_id` in the club: `NotFound("club")` when the club does
    /// not exist, `NotFound("club member")` when the organisation has no membership in it.
    #[tracing::instrument(skip_all, fields(club.id = %club_id, organisation.id = %organisation_id))]
    pub async fn get_club_member(&self, club_id: Uuid, organisation_id: Uuid) -> Result<Member, StoreError> {
        let row = with_conn!(self, conn => {
            sqlx::query_as::<_, Member>(concat!(member_select!(), " where m.club_id = $1 and m.organisation_id = $2"))
                .bind(club_id)
                .bind(organisation_id)
                .fetch_optional(&mut *conn)
                .await
        })
        .map_err(|e| classify(e, "club member"))?;
        match row {
            Some(member) => Ok(member),
            None => Err(self.missing_club_member(club_id).await),
        }
    }

    /// One page of the members of a club in organisation name order, with each organisation's
    /// name and category from the same query. `NotFound` when the club does not exist.
    #[tracing::instrument(skip_all, fields(club.id = %query.club_id))]
    pub async fn list_club_members(&self, query: &ListMembers) -> Result<Vec<Member>, StoreError> {
        let rows = with_conn!(self, conn => {
            let mut sql = QueryBuilder::new(concat!(member_select!(), " where true"));
            member_filter!(sql, query);
            if let Some((key, id)) = &query.after {
                sql.push(" and (o.name_search, m.organisation_id) > (")
                    .push_bind(key.clone())
                    .push(", ")
                    .push_bind(*id)
                    .push(")");
            }
            sql.push(" order by o.name_search, m.organisation_id limit ").push_bind(query.limit);
            sql.build_query_as::<Member>().fetch_all(&mut *conn).await
        })
        .map_err(|e| classify(e, "club member"))?;
        // An empty page may mean an unknown club: only then is it worth asking.
        if rows.is_empty() && !club_exists(self, query.club_id).await? {
            return Err(StoreError::NotFound("club"));
        }
        Ok(rows)
    }

    /// How many members of its club `query` matches, whatever its page: a page's `total`.
    #[tracing::instrument(skip_all, fields(club.id = %query.club_id))]
    pub async fn count_club_members(&self, query: &ListMembers) -> Result<i64, StoreError> {
        count_where!(self, "club_members m", member_filter!(query), "club member")
    }

    /// Reads the membership, lets `change` compute its new terms, and writes them if nobody
    /// changed them meanwhile (compare-and-set on `version`). Same terms: nothing is written.
    #[tracing::instrument(skip_all, fields(club.id = %club_id, organisation.id = %organisation_id))]
    pub async fn update_club_member<E: From<StoreError>>(
        &self,
        club_id: Uuid,
        organisation_id: Uuid,
        actor: &Actor,
        change: impl Fn(&Member) -> Result<Membership, E>,
    ) -> Result<Member, E> {
        compare_and_set("club member", async || {
            let current = self.get_club_member(club_id, organisation_id).await?;
            let terms = change(&current)?;
            if terms == current.terms() {
                return Ok(Some(current));
            }
            let at = now();
            let updated = logged_write!(self, actor, at, tx => maybe {
                let written = terms
                    .bind(sqlx::query(MEMBER_UPDATE.as_str()))
                    .bind(club_id)
                    .bind(organisation_id)
                    .bind(at)
                    .bind(current.version)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if written == 0 {
                    return Ok(None);
                }
                let region = sqlx::query_scalar::<_, String>(CLUB_REGION).bind(club_id).fetch_optional(&mut *tx).await?;
                let before = Record::club_member(
                    club_id,
                    organisation_id,
                    region.clone(),
                    &current.terms(),
                    current.version,
                    current.created_at,
                    current.updated_at,
                );
                let after = Record::club_member(club_id, organisation_id, region, &terms, current.version + 1, current.created_at, at);
                Some(((), [NewChange::updated(&before, after)]))
            })
            .map_err(|e| classify(e, "club member"))?;
            if updated.is_none() {
                return Ok(None);
            }
            Ok(Some(self.get_club_member(club_id, organisation_id).await?))
        })
        .await
    }

    /// Removes the membership row, at `version` when given (`Contended` when it is no longer
    /// that version): the organisation's history in the club is gone (to record a departure,
    /// set `left_on` instead).
    #[tracing::instrument(skip_all, fields(club.id = %club_id, organisation.id = %organisation_id))]
    pub async fn remove_club_member(
        &self,
        club_id: Uuid,
        organisation_id: Uuid,
        version: Option<i64>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let at = now();
        let deleted = logged_write!(self, actor, at, tx => maybe {
            let deleted = sqlx::query_scalar::<_, i64>(
                "delete from club_members where club_id = $1 and organisation_id = $2 \
                 and version = coalesce($3, version) returning version",
            )
            .bind(club_id)
            .bind(organisation_id)
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(deleted) = deleted else { return Ok(None) };
            let region = sqlx::query_scalar::<_, String>(CLUB_REGION).bind(club_id).fetch_optional(&mut *tx).await?;
            let record = Record::gone(organisation_id, Some(club_id), deleted, Target::club_member(region));
            Some(((), [NewChange::deleted(record)]))
        })
        .map_err(|e| classify(e, "club member"))?;
        match deleted {
            None if version.is_some() => Err(StoreError::Contended("club member")),
            None => Err(self.missing_club_member(club_id).await),
            Some(()) => Ok(()),
        }
    }

    /// Why a membership was not found: the club itself, or only the membership, is missing.
    async fn missing_club_member(&self, club_id: Uuid) -> StoreError {
        match club_exists(self, club_id).await {
            Ok(true) => StoreError::NotFound("club member"),
            Ok(false) => StoreError::NotFound("club"),
            Err(error) => error,
        }
    }
}

// Free functions rather than `Store` methods: other modules add their own inherent methods to
// `Store`, and two of the same name would clash.

async fn club_exists(store: &Store, id: Uuid) -> Result<bool, StoreError> {
    with_conn!(store, conn => {
        sqlx::query_scalar::<_, i64>("select count(*) from clubs where id = $1").bind(id).fetch_one(&mut *conn).await
    })
    .map(|count| count > 0)
    .map_err(|e| classify(e, "club"))
}

async fn organisation_exists(store: &Store, id: Uuid) -> Result<bool, StoreError> {
    with_conn!(store, conn => {
        sqlx::query_scalar::<_, i64>("select count(*) from organisations where id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await
    })
    .map(|count| count > 0)
    .map_err(|e| classify(e, "organisation"))
}

/// The 409 detail for an organisation that already has a membership row: whether it is active
/// or has left, and how to change it.
fn already_member_detail(existing: &Member, today: NaiveDate) -> Message {
    let address = format!(
        "/api/v1/clubs/{}/members/{}",
        existing.club_id, existing.organisation_id
    );
    let name = &existing.organisation_name;
    match existing.left_on {
        Some(left_on) if !Membership::is_active(Some(left_on), today) => msg!(
            "store-clubs-member-left",
            name = name,
            joined_on = existing.joined_on,
            left_on = left_on,
            address = address
        ),
        Some(left_on) => msg!(
            "store-clubs-member-leaving",
            name = name,
            role = existing.role.to_string(),
            joined_on = existing.joined_on,
            left_on = left_on,
            address = address
        ),
        None => msg!(
            "store-clubs-member-active",
            name = name,
            role = existing.role.to_string(),
            joined_on = existing.joined_on,
            address = address
        ),
    }
}

static INSERT: LazyLock<String> = LazyLock::new(|| CLUBS.insert(&["id"], ""));
static UPDATE: LazyLock<String> = LazyLock::new(|| CLUBS.update(&["id"], true, ""));

writable! {
    /// The writable columns of `club_members`, the terms of a membership (its club and
    /// organisation are its key).
    MEMBERS: Membership as terms in "club_members" {
        role: terms.role,
        joined_on: terms.joined_on,
        left_on: terms.left_on,
    }
}

const MEMBER_KEY: [&str; 2] = ["club_id", "organisation_id"];
static MEMBER_INSERT: LazyLock<String> = LazyLock::new(|| MEMBERS.insert(&MEMBER_KEY, ""));
static MEMBER_UPDATE: LazyLock<String> = LazyLock::new(|| MEMBERS.update(&MEMBER_KEY, true, ""));
