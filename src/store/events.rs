//! Events in the database, with their organisers and themes: the SQL of their reads and writes, for both backends.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;
use uuid::Uuid;

use super::columns::Table;

use super::changes::{NewChange, Record, data_of};
use super::logged_write;
use super::references::{Missing, MissingRecord};
use super::{Store, StoreError, classify, compare_and_set, count_where, like_pattern, now, references, with_conn};
use crate::core::{Actor, Resource, Target};
use crate::domain::event::{EventFields, EventKind, EventStatus, NewEvent, Organiser, OrganiserRole, event_fields};
use crate::domain::text::search_key;

/// An event as stored, with its organisers (and their names), themes and bookkeeping fields.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: Uuid,
    pub fields: EventFields,
    /// Organisers first, then co-organisers, then partners; by name within a role.
    pub organisers: Vec<EventOrganiser>,
    /// Sorted.
    pub themes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl Event {
    /// The event as the policy sees it: public once published.
    pub fn target(&self) -> Target {
        Target::event(
            self.fields.region_code.as_deref(),
            self.fields.status == EventStatus::Published,
        )
    }
}

/// The writable columns of `events`.
pub const EVENTS: Table = Table::new("events", EventFields::COLUMNS);

/// An organisation taking part in an event, with its name for display.
#[derive(Debug, Clone, PartialEq)]
pub struct EventOrganiser {
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub role: OrganiserRole,
}

/// The `events` row alone.
#[derive(Debug, sqlx::FromRow)]
struct EventRow {
    id: Uuid,
    #[sqlx(flatten)]
    fields: EventFields,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
}

#[derive(Debug, sqlx::FromRow)]
struct OrganiserRow {
    event_id: Uuid,
    organisation_id: Uuid,
    organisation_name: String,
    role: OrganiserRole,
}

#[derive(Debug, sqlx::FromRow)]
struct ThemeRow {
    event_id: Uuid,
    theme: String,
}

// The columns of `EventRow`, in one place for every query.
event_fields!(columns, "id, ", "created_at, updated_at, version");

static INSERT: LazyLock<String> = LazyLock::new(|| EVENTS.insert(&["id"], columns!()));
static UPDATE: LazyLock<String> = LazyLock::new(|| EVENTS.update(&["id"], true, columns!()));

/// The organisers and themes of the events `$ids`: one query each, whatever the number of
/// events. `$executor` is evaluated once per query (`&mut *conn`, or `&mut *tx`).
macro_rules! fetch_parts {
    ($executor:expr, $ids:expr) => {{
        let ids: &[Uuid] = $ids;
        if ids.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            let mut sql = QueryBuilder::new(
                "select eo.event_id, eo.organisation_id, o.name as organisation_name, eo.role \
                 from event_organisers eo join organisations o on o.id = eo.organisation_id \
                 where eo.event_id in (",
            );
            let mut list = sql.separated(", ");
            for id in ids {
                list.push_bind(*id);
            }
            sql.push(")");
            let organisers = sql.build_query_as::<OrganiserRow>().fetch_all($executor).await?;
            let mut sql = QueryBuilder::new("select event_id, theme from event_themes where event_id in (");
            let mut list = sql.separated(", ");
            for id in ids {
                list.push_bind(*id);
            }
            sql.push(")");
            let themes = sql.build_query_as::<ThemeRow>().fetch_all($executor).await?;
            (organisers, themes)
        }
    }};
}

/// Inserts the organisers and themes of the event `$id` (one statement each).
macro_rules! insert_parts {
    ($executor:expr, $id:expr, $organisers:expr, $themes:expr) => {{
        let id: Uuid = $id;
        let organisers: &[Organiser] = $organisers;
        let themes: &[String] = $themes;
        if !organisers.is_empty() {
            let mut sql = QueryBuilder::new("insert into event_organisers (event_id, organisation_id, role) ");
            sql.push_values(organisers, |mut row, organiser| {
                row.push_bind(id)
                    .push_bind(organiser.organisation_id)
                    .push_bind(organiser.role.as_str());
            });
            sql.build().execute($executor).await?;
        }
        if !themes.is_empty() {
            let mut sql = QueryBuilder::new("insert into event_themes (event_id, theme) ");
            sql.push_values(themes, |mut row, theme| {
                row.push_bind(id).push_bind(theme.clone());
            });
            sql.build().execute($executor).await?;
        }
    }};
}

/// Attaches its organisers and themes to each row, keeping the order of the rows.
fn assemble(rows: Vec<EventRow>, organisers: Vec<OrganiserRow>, themes: Vec<ThemeRow>) -> Vec<Event> {
    let mut organisers_of: HashMap<Uuid, Vec<EventOrganiser>> = HashMap::new();
    for row in organisers {
        organisers_of.entry(row.event_id).or_default().push(EventOrganiser {
            organisation_id: row.organisation_id,
            organisation_name: row.organisation_name,
            role: row.role,
        });
    }
    let mut themes_of: HashMap<Uuid, Vec<String>> = HashMap::new();
    for row in themes {
        themes_of.entry(row.event_id).or_default().push(row.theme);
    }
    rows.into_iter()
        .map(|row| {
            // Sorted here rather than in SQL: the two backends collate text differently.
            let mut organisers = organisers_of.remove(&row.id).unwrap_or_default();
            organisers.sort_by_cached_key(|o| (o.role, search_key(&o.organisation_name), o.organisation_id));
            let mut themes = themes_of.remove(&row.id).unwrap_or_default();
            themes.sort();
            Event {
                id: row.id,
                fields: row.fields,
                organisers,
                themes,
                created_at: row.created_at,
                updated_at: row.updated_at,
                version: row.version,
            }
        })
        .collect()
}

/// Which events a list shows.
#[derive(Debug, Default, Clone)]
pub struct EventFilter {
    pub region_code: Option<String>,
    pub club_id: Option<Uuid>,
    /// Events this organisation takes part in, in any role.
    pub organiser_id: Option<Uuid>,
    /// Events that end after this instant.
    pub ends_after: Option<DateTime<Utc>>,
    /// Events that start before this instant.
    pub starts_before: Option<DateTime<Utc>>,
    pub status: Option<EventStatus>,
    pub kind: Option<EventKind>,
    pub theme: Option<String>,
    /// A search key (see `search_key`) that the folded title must contain.
    pub title_contains: Option<String>,
    /// Published events only (what anonymous callers may see).
    pub published_only: bool,
}

/// One page of a list: filter, order (by `starts_at`, then id), start and size.
#[derive(Debug, Clone)]
pub struct ListEvents {
    pub filter: EventFilter,
    pub descending: bool,
    /// The `starts_at` and id of the last event of the previous page.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    /// How many rows to fetch (the caller asks for one more than it shows, to know if more follow).
    pub limit: i64,
}

/// An event as the change log keeps it: the `data` of a change in the feed and in a webhook's
/// body.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct EventRecord {
    pub id: Uuid,
    #[serde(flatten)]
    #[schema(inline)]
    pub fields: EventFields,
    /// Organisers first, then co-organisers, then partners.
    pub organisers: Vec<OrganiserRecord>,
    /// Sorted.
    pub themes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An organisation taking part in an event, as the change log keeps it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct OrganiserRecord {
    pub organisation_id: Uuid,
    pub role: OrganiserRole,
}

/// This resource's record in the change log: its identity, policy target and logged fields.
impl Record {
    /// An event with its organisers and themes (part of its data).
    pub fn event(e: &Event) -> Self {
        Self {
            id: e.id,
            parent_id: None,
            version: e.version,
            target: e.target(),
            data: data_of(&EventRecord {
                id: e.id,
                fields: e.fields.clone(),
                organisers: e
                    .organisers
                    .iter()
                    .map(|o| OrganiserRecord {
                        organisation_id: o.organisation_id,
                        role: o.role,
                    })
                    .collect(),
                themes: e.themes.clone(),
                created_at: e.created_at,
                updated_at: e.updated_at,
            }),
        }
    }
}

/// Pushes the conditions of an `&EventFilter` (events as `events`) onto `sql`, a `QueryBuilder` of either backend: the
/// same for a page and for its count.
macro_rules! event_filter {
    ($sql:ident, $filter:expr) => {{
        let filter: &EventFilter = $filter;
        let sql = &mut $sql;
        if let Some(region) = &filter.region_code {
            sql.push(" and region_code = ").push_bind(region.clone());
        }
        if let Some(club) = filter.club_id {
            sql.push(" and club_id = ").push_bind(club);
        }
        if let Some(status) = filter.status {
            sql.push(" and status = ").push_bind(status.as_str());
        }
        if filter.published_only {
            sql.push(" and status = ").push_bind(EventStatus::Published.as_str());
        }
        if let Some(kind) = filter.kind {
            sql.push(" and kind = ").push_bind(kind.as_str());
        }
        // The window [from, to) overlaps the event [starts_at, ends_at).
        if let Some(from) = filter.ends_after {
            sql.push(" and ends_at > ").push_bind(from);
        }
        if let Some(to) = filter.starts_before {
            sql.push(" and starts_at < ").push_bind(to);
        }
        if let Some(organisation) = filter.organiser_id {
            sql.push(
                " and exists (select 1 from event_organisers eo where eo.event_id = events.id \
                 and eo.organisation_id = ",
            )
            .push_bind(organisation)
            .push(")");
        }
        if let Some(theme) = &filter.theme {
            sql.push(" and exists (select 1 from event_themes et where et.event_id = events.id and et.theme = ")
                .push_bind(theme.clone())
                .push(")");
        }
        if let Some(key) = &filter.title_contains {
            match like_pattern(key) {
                Some(pattern) => sql
                    .push(r" and title_search like ")
                    .push_bind(pattern)
                    .push(r" escape '\'"),
                None => sql.push(" and false"),
            };
        }
    }};
}

impl Store {
    /// Creates an event with its organisers and themes in one transaction. A club or
    /// organisation that does not exist is reported as `Missing`.
    #[tracing::instrument(skip_all)]
    pub async fn create_event<E>(&self, new: &NewEvent, actor: &Actor) -> Result<Event, E>
    where
        E: From<StoreError> + From<Missing>,
    {
        let fields = &new.fields;
        let themes: Vec<String> = new.themes.iter().map(|t| t.as_str().to_owned()).collect();
        compare_and_set("event", async || {
            self.check_references::<E>(new).await?;
            let id = Uuid::now_v7();
            let at = now();
            let created = logged_write!(self, actor, at, tx => {
                let row = fields
                    .bind(sqlx::query_as::<_, EventRow>(INSERT.as_str()))
                    .bind(id)
                    .bind(at)
                    .fetch_one(&mut *tx)
                    .await?;
                insert_parts!(&mut *tx, id, &new.organisers, &themes);
                let (organisers, themes) = fetch_parts!(&mut *tx, &[id]);
                let events = assemble(vec![row], organisers, themes);
                let logged: Vec<NewChange> = events.iter().map(|e| NewChange::created(Record::event(e))).collect();
                (events, logged)
            });
            match created {
                Ok(mut events) => match events.pop() {
                    Some(event) => Ok(Some(event)),
                    None => Err(StoreError::NotFound("event").into()),
                },
                // A club or organisation deleted since `check_references`: check again.
                Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => Ok(None),
                Err(error) => Err(classify(error, "event").into()),
            }
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(event.id = %id))]
    pub async fn get_event(&self, id: Uuid) -> Result<Event, StoreError> {
        let events = with_conn!(self, conn => {
            async {
                let row = sqlx::query_as::<_, EventRow>(concat!("select ", columns!(), " from events where id = $1"))
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?;
                let Some(row) = row else { return Ok(Vec::new()) };
                let (organisers, themes) = fetch_parts!(&mut *conn, &[id]);
                Ok::<_, sqlx::Error>(assemble(vec![row], organisers, themes))
            }
            .await
        })
        .map_err(|e| classify(e, "event"))?;
        events.into_iter().next().ok_or(StoreError::NotFound("event"))
    }

    /// How many events `filter` matches, whatever the page: a page's `total` (`count=true`).
    #[tracing::instrument(skip_all)]
    pub async fn count_events(&self, filter: &EventFilter) -> Result<i64, StoreError> {
        count_where!(self, "events", event_filter!(filter), "event")
    }

    /// One page of events with their organisers and themes (one query for the page, one for
    /// all its organisers, one for all its themes); cost depends on the page size, not on how
    /// deep the page is.
    #[tracing::instrument(skip_all)]
    pub async fn list_events(&self, query: &ListEvents) -> Result<Vec<Event>, StoreError> {
        with_conn!(self, conn => {
            async {
                let mut sql = QueryBuilder::new(concat!("select ", columns!(), " from events where true"));
                event_filter!(sql, &query.filter);
                let (comparison, direction) = if query.descending { ("<", "desc") } else { (">", "asc") };
                if let Some((at, id)) = query.after {
                    sql.push(format_args!(" and (starts_at, id) {comparison} ("))
                        .push_bind(at)
                        .push(", ")
                        .push_bind(id)
                        .push(")");
                }
                sql.push(format_args!(" order by starts_at {direction}, id {direction} limit ")).push_bind(query.limit);
                let rows = sql.build_query_as::<EventRow>().fetch_all(&mut *conn).await?;
                let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
                let (organisers, themes) = fetch_parts!(&mut *conn, &ids);
                Ok::<_, sqlx::Error>(assemble(rows, organisers, themes))
            }
            .await
        })
        .map_err(|e| classify(e, "event"))
    }

    /// Reads the event, lets `change` compute its new content from the current one, and writes
    /// the row, and the organisers and themes when they changed, in one transaction if nobody
    /// changed the event meanwhile (compare-and-set on `version`, retried a few times). A change
    /// that changes nothing keeps the version.
    #[tracing::instrument(skip_all, fields(event.id = %id))]
    pub async fn update_event<E>(
        &self,
        id: Uuid,
        actor: &Actor,
        change: impl Fn(&Event) -> Result<NewEvent, E>,
    ) -> Result<Event, E>
    where
        E: From<StoreError> + From<Missing>,
    {
        compare_and_set("event", async || {
            let current = self.get_event(id).await?;
            let new = change(&current)?;
            let fields = &new.fields;
            let organisers_changed = {
                let mut before: Vec<(Uuid, OrganiserRole)> =
                    current.organisers.iter().map(|o| (o.organisation_id, o.role)).collect();
                let mut after: Vec<(Uuid, OrganiserRole)> =
                    new.organisers.iter().map(|o| (o.organisation_id, o.role)).collect();
                before.sort();
                after.sort();
                before != after
            };
            let themes: Vec<String> = new.themes.iter().map(|t| t.as_str().to_owned()).collect();
            let themes_changed = themes != current.themes;
            if *fields == current.fields && !organisers_changed && !themes_changed {
                return Ok(Some(current));
            }
            self.check_references::<E>(&new).await?;
            let at = now();
            let updated = logged_write!(self, actor, at, tx => maybe {
                let row = fields
                    .bind(sqlx::query_as::<_, EventRow>(UPDATE.as_str()))
                    .bind(id)
                    .bind(at)
                    .bind(current.version)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(row) = row else { return Ok(None) };
                if organisers_changed {
                    sqlx::query("delete from event_organisers where event_id = $1").bind(id).execute(&mut *tx).await?;
                }
                if themes_changed {
                    sqlx::query("delete from event_themes where event_id = $1").bind(id).execute(&mut *tx).await?;
                }
                let organisers: &[Organiser] = if organisers_changed { &new.organisers } else { &[] };
                let new_themes: &[String] = if themes_changed { &themes } else { &[] };
                insert_parts!(&mut *tx, id, organisers, new_themes);
                let (organisers, themes) = fetch_parts!(&mut *tx, &[id]);
                assemble(vec![row], organisers, themes).pop().map(|event| {
                    let logged = NewChange::updated(&Record::event(&current), Record::event(&event));
                    (event, [logged])
                })
            });
            match updated {
                // `None`: the compare-and-set found another version; read again.
                Ok(attempt) => Ok(attempt),
                Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => Ok(None),
                Err(error) => Err(classify(error, "event").into()),
            }
        })
        .await
    }

    /// Deletes an event with its organisers and themes (part of it, deleted by cascade);
    /// refused with `InUse` while a sponsorship targets it.
    #[tracing::instrument(skip_all, fields(event.id = %id))]
    pub async fn delete_event(&self, id: Uuid, version: Option<i64>, actor: &Actor) -> Result<(), StoreError> {
        self.delete_row(
            "event",
            "delete from events where id = $1 and version = coalesce($2, version) \
             returning version, region_code, status",
            id,
            version,
            references::EVENT,
            actor,
            |(version, region, status): (i64, Option<String>, String)| {
                let target = Target::event(region.as_deref(), status == EventStatus::Published.as_str());
                NewChange::deleted(Record::gone(id, None, version, target))
            },
        )
        .await
    }

    /// The club and organisations `new` names that do not exist: one query for each kind.
    async fn check_references<E>(&self, new: &NewEvent) -> Result<(), E>
    where
        E: From<StoreError> + From<Missing>,
    {
        let organisation_ids: Vec<Uuid> = new.organisers.iter().map(|o| o.organisation_id).collect();
        let (club_found, organisations_found) = with_conn!(self, conn => {
            async {
                let club_found = match new.fields.club_id {
                    Some(club) => sqlx::query_scalar::<_, Uuid>("select id from clubs where id = $1")
                        .bind(club)
                        .fetch_optional(&mut *conn)
                        .await?
                        .is_some(),
                    None => true,
                };
                let mut found = Vec::new();
                if !organisation_ids.is_empty() {
                    let mut sql = QueryBuilder::new("select id from organisations where id in (");
                    let mut list = sql.separated(", ");
                    for id in &organisation_ids {
                        list.push_bind(*id);
                    }
                    sql.push(")");
                    found = sql.build_query_scalar::<Uuid>().fetch_all(&mut *conn).await?;
                }
                Ok::<_, sqlx::Error>((club_found, found))
            }
            .await
        })
        .map_err(|e| classify(e, "event"))?;
        let mut missing = Vec::new();
        if let (Some(club), false) = (new.fields.club_id, club_found) {
            missing.push(MissingRecord::new("club_id", Resource::Club, club));
        }
        for (index, organisation_id) in organisation_ids.into_iter().enumerate() {
            if !organisations_found.contains(&organisation_id) {
                let field = format!("organisers[{index}].organisation_id");
                missing.push(MissingRecord::new(field, Resource::Organisation, organisation_id));
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Missing(missing).into())
        }
    }
}
