//! `/api/v1/events`: meetings, conferences, webinars and trainings, with their organisers and themes inline.

use crate::domain::string_enum;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::auth::policy::{self, Action};
use crate::core::Actor;
use crate::core::{Resource, Target};
use crate::domain::codes::RegionCodeSchema;
use crate::domain::event::{
    EventDraft, EventFields, EventKind, EventStatus, NewEvent, OrganiserDraft, OrganiserRole, Theme, format_instant,
};
use crate::domain::message::{Message, msg};
use crate::domain::text::search_key;
use crate::http::AppState;
use crate::http::csv::{Columns, ListFormat, Page};
use crate::http::error::{ApiError, checked};
use crate::http::etag::{self, Conditions, Tagged};
use crate::http::extract::{JsonBody, Query};
use crate::http::kernel::{self, Kept, Listing, kept, kept_endpoint};
use crate::http::pagination::{decode_cursor, encode_cursor, list_page, next_page, page_limit, paged};
use crate::http::patch::merge_patch;
use crate::http::responses::{BadRequest, Conflict, Forbidden};
use crate::http::schemas::DateOrDateTimeSchema;
use crate::store::events::{Event, EventFilter, ListEvents};
use crate::store::{Store, StoreError};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_events)
        .service(create_event)
        .service(get_event)
        .service(update_event)
        .service(delete_event);
}

/// An organisation taking part in an event, with its name.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "organisation_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11",
    "organisation_name": "Mutuelle solidaire d'Occitanie",
    "role": "organiser"
}))]
pub struct OrganiserResponse {
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub role: OrganiserRole,
}

/// An event of the register. Times are in UTC; `time_zone` is the zone to show them in.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a1f3-1b2c-7d4e-8f90-a1b2c3d4e5f6",
    "title": "Club des collectivités pour l'ESS : rencontre de Lodève",
    "description": "Les outils des collectivités pour développer les territoires ruraux et périurbains avec l'ESS.",
    "kind": "meeting",
    "status": "published",
    "starts_at": "2026-09-19T07:30:00Z",
    "ends_at": "2026-09-19T15:00:00Z",
    "time_zone": "Europe/Paris",
    "online": false,
    "online_url": null,
    "venue": "Salle du Peuple",
    "street": "Place de l'Hôtel de Ville",
    "postal_code": "34700",
    "city": "Lodève",
    "commune_code": "34142",
    "region_code": "76",
    "club_id": "0193a1f2-9d8e-7c6b-a5f4-e3d2c1b0a998",
    "capacity": 80,
    "attendance": 60,
    "organisers": [
        {"organisation_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e10", "organisation_name": "Cress Occitanie", "role": "organiser"},
        {"organisation_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11", "organisation_name": "Mutuelle solidaire d'Occitanie", "role": "partner"}
    ],
    "themes": ["developpement-rural", "territoires"],
    "created_at": "2026-08-20T10:00:00Z",
    "updated_at": "2026-09-22T08:15:00Z",
    "version": 3
}))]
pub struct EventResponse {
    pub id: Uuid,
    #[serde(flatten)]
    #[schema(inline)]
    pub fields: EventFields,
    /// Organisers first, then co-organisers, then partners.
    pub organisers: Vec<OrganiserResponse>,
    /// Sorted.
    pub themes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change, organisers and themes included.
    #[schema(minimum = 1)]
    pub version: i64,
}

impl From<Event> for EventResponse {
    fn from(e: Event) -> Self {
        Self {
            id: e.id,
            fields: e.fields,
            organisers: e
                .organisers
                .into_iter()
                .map(|o| OrganiserResponse {
                    organisation_id: o.organisation_id,
                    organisation_name: o.organisation_name,
                    role: o.role,
                })
                .collect(),
            themes: e.themes,
            created_at: e.created_at,
            updated_at: e.updated_at,
            version: e.version,
        }
    }
}

merge_patch! {
    /// Changes to an event (JSON merge patch, RFC 7396): a field left out stays as it is; `null`
    /// clears an optional field (`time_zone` goes back to `Europe/Paris`; `title`, `kind`,
    /// `status`, `starts_at`, `ends_at` and `online` cannot be cleared). `organisers` and `themes`,
    /// when given, replace the whole list (`null` or `[]` empties it). The same rules as on
    /// creation apply to the result; `status` may only move `draft` → `published` → `cancelled`
    /// or `draft` → `cancelled`.
    #[example = json!({"status": "published", "themes": ["mois-de-l-ess", "jeunesse"]})]
    pub type UpdateEventRequest = MergePatch<EventDraft>, kept: ["status", "online"];
}

/// An event as its creation request would give it: what a merge patch applies to.
#[derive(Serialize)]
struct AsCreated<'a> {
    #[serde(flatten)]
    fields: &'a EventFields,
    organisers: Vec<OrganiserDraft>,
    themes: &'a [String],
}

impl<'a> From<&'a Event> for AsCreated<'a> {
    fn from(event: &'a Event) -> Self {
        let organisers = event.organisers.iter().map(|o| OrganiserDraft {
            organisation_id: Some(o.organisation_id),
            role: Some(o.role),
        });
        Self {
            fields: &event.fields,
            organisers: organisers.collect(),
            themes: &event.themes,
        }
    }
}

/// Checks a draft: `validator`'s shape errors, then the domain rules, every failing field once.
fn check_draft(draft: EventDraft) -> Result<NewEvent, ApiError> {
    checked(draft.validate(), NewEvent::parse(draft, crate::store::now()))
}

string_enum! {
    /// The orders a list can come in; ties are broken by id.
    #[derive(Default)]
    pub enum EventSort("sort") {
        /// Soonest first (the default).
        #[default]
        StartsAt = "starts_at",
        /// Latest first.
        StartsAtDesc = "-starts_at",
    }
}

/// Filters, order and page of the event list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListEventsParams {
    /// Page size, 1 to 200.
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// Where to start: the `next_cursor` of the previous page, unchanged.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
    /// Only events of this region.
    #[param(value_type = Option<RegionCodeSchema>)]
    pub region_code: Option<String>,
    /// Only events of this club.
    pub club_id: Option<Uuid>,
    /// Only events this organisation takes part in, in any role.
    pub organiser_id: Option<Uuid>,
    /// Only events that end after this time: RFC 3339, or a date meaning its midnight in
    /// Europe/Paris: `2026-11-01`, `2026-11-01T14:00:00+01:00`.
    #[param(value_type = Option<DateOrDateTimeSchema>)]
    pub from: Option<String>,
    /// Only events that start before this time: RFC 3339 (excluded), or a date (the whole day
    /// is included: until the next midnight in Europe/Paris). With `from`, lists every event
    /// that overlaps the window. For example `2026-11-30`.
    #[param(value_type = Option<DateOrDateTimeSchema>)]
    pub to: Option<String>,
    /// Only events in this status.
    pub status: Option<EventStatus>,
    /// Only events of this kind.
    pub kind: Option<EventKind>,
    /// Only events tagged with this theme, such as `mois-de-l-ess`.
    #[param(pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 50)]
    pub theme: Option<String>,
    /// Words the title contains, ignoring case, accents and punctuation (`lodeve` finds
    /// « Lodève »); a `q` of punctuation only matches nothing.
    #[param(min_length = 1, max_length = 200)]
    pub q: Option<String>,
    /// Order of the list.
    #[param(inline)]
    pub sort: Option<EventSort>,
    /// `true` adds `total` to the page: how many events match the filters in all (one more
    /// query, which reads every matching row: on a long list it costs more than the page).
    pub count: Option<bool>,
}

list_page! {
    /// One page of events.
    EventPage of EventResponse, total: "With `count=true` only: how many events match the filters in all."
}
paged!(ListEventsParams);

/// A bound of the `from`/`to` window: an RFC 3339 instant, or a date taken in Europe/Paris
/// (the zone of most events of the register): its midnight, or the next one for `to` so that
/// the whole day is included.
fn window_bound(name: &str, raw: &str, end_of_day: bool) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(at.with_timezone(&Utc));
    }
    let invalid = || ApiError::invalid_parameter(name, msg!("events-window-bound-invalid", raw = format!("{raw:?}")));
    // Exactly `YYYY-MM-DD`, as the schema's `format: date` says (chrono alone would take `2026-1-5`).
    let shaped = raw.len() == 10
        && raw.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !shaped {
        return Err(invalid());
    }
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| invalid())?;
    let date = if end_of_day {
        date.succ_opt().ok_or_else(invalid)?
    } else {
        date
    };
    let midnight = date.and_hms_opt(0, 0, 0).ok_or_else(invalid)?;
    chrono_tz::Europe::Paris
        .from_local_datetime(&midnight)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(invalid)
}

impl ListEventsParams {
    fn into_query(self) -> Result<(ListEvents, EventSort), ApiError> {
        let bad = |name: &str, why: Message| ApiError::invalid_parameter(name, why);
        let limit = page_limit(self.limit)?;
        let sort = self.sort.unwrap_or_default();
        let after = match &self.cursor {
            None => None,
            Some(raw) => {
                let (value, id) = decode_cursor(raw, sort.as_str())?;
                let at = DateTime::parse_from_rfc3339(&value)
                    .map_err(|_| ApiError::bad_request("invalid_cursor", msg!("events-cursor-invalid")))?;
                Some((at.with_timezone(&Utc), id))
            }
        };
        let region_code = match self.region_code {
            Some(code) => Some(
                crate::domain::codes::RegionCode::parse(&code)
                    .map_err(|e| bad("region_code", e.message))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        let ends_after = self
            .from
            .as_deref()
            .map(|raw| window_bound("from", raw, false))
            .transpose()?;
        let starts_before = self
            .to
            .as_deref()
            .map(|raw| window_bound("to", raw, true))
            .transpose()?;
        if let (Some(from), Some(to)) = (ends_after, starts_before)
            && from >= to
        {
            return Err(bad(
                "to",
                msg!(
                    "events-window-reversed",
                    to = format_instant(to),
                    from = format_instant(from)
                ),
            ));
        }
        let theme = match self.theme {
            Some(theme) => Some(
                Theme::parse(&theme)
                    .map_err(|e| bad("theme", e.message))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        let title_contains = match self.q {
            Some(q) if q.is_empty() => return Err(bad("q", msg!("events-q-empty"))),
            Some(q) if q.chars().count() > 200 => return Err(bad("q", msg!("events-q-too-long", max = 200_usize))),
            Some(q) => Some(search_key(&q)),
            None => None,
        };
        let filter = EventFilter {
            region_code,
            club_id: self.club_id,
            organiser_id: self.organiser_id,
            ends_after,
            starts_before,
            status: self.status,
            kind: self.kind,
            theme,
            title_contains,
            published_only: false,
        };
        Ok((
            ListEvents {
                filter,
                descending: sort == EventSort::StartsAtDesc,
                after,
                limit: limit + 1,
            },
            sort,
        ))
    }
}

/// List events.
///
/// Filtered by region, club, organiser (in any role), time window (`from`/`to`: every event
/// that overlaps it), status, kind, theme and words of the title; sorted by start time, ties
/// broken by id. Each event comes with its organisers and themes. Pages are keyset-based:
/// follow `next_cursor` until it is `null`.
///
/// Without a token, only published events are listed.
#[utoipa::path(
    tag = "events",
    params(ListEventsParams),
    security((), ("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "One page of events.", body = EventPage),
        (status = 400, response = BadRequest),
    )
)]
#[get("/events")]
pub async fn list_events(
    caller: Caller,
    format: ListFormat,
    state: web::Data<AppState>,
    Query(params): Query<ListEventsParams>,
) -> Result<HttpResponse, ApiError> {
    let scope = policy::list_scope(&caller, Resource::Event)?;
    kernel::list(format, state, scope.public_only, CSV_COLUMNS.shown(false), params).await
}

/// The columns of the event list as CSV: `organisers` and `themes` are one cell each, holding
/// their JSON text.
pub const CSV_COLUMNS: Columns = Columns {
    parts: &[
        &["id"],
        EventFields::NAMES,
        &["organisers", "themes", "created_at", "updated_at", "version"],
    ],
    confidential: &[],
};

/// The event list; the scope is whether only published events are listed (for anonymous
/// callers).
impl Listing for ListEventsParams {
    type Scope = bool;
    type Page = EventPage;

    async fn count(&self, store: &Store, published_only: &bool) -> Result<i64, ApiError> {
        let (mut query, _) = self.clone().into_query()?;
        query.filter.published_only = *published_only;
        Ok(store.count_events(&query.filter).await?)
    }

    async fn page(self, state: web::Data<AppState>, published_only: bool) -> Result<Page<EventResponse>, ApiError> {
        let (mut query, sort) = self.into_query()?;
        query.filter.published_only = published_only;
        let mut events = state.store.list_events(&query).await?;
        let next_cursor = next_page(&mut events, query.limit - 1, |last| {
            encode_cursor(sort.as_str(), &format_instant(last.fields.starts_at), last.id)
        });
        Ok((events.into_iter().map(EventResponse::from).collect(), next_cursor))
    }
}

/// Create an event.
///
/// Checks every field and lists every failing one in the 422 answer: `starts_at` before
/// `ends_at` (RFC 3339 with an offset, returned in UTC), an IANA `time_zone`, `online_url` for
/// an online event, `city` and `region_code` for one held in person, `capacity` ≥ 1,
/// `attendance` ≥ 0 and ≤ `capacity` and only once the event has ended, theme slugs, each
/// organiser once with a role. A `club_id` or an organiser's `organisation_id` that does not
/// exist is a 422 `not_found` on that field. The event, its organisers and its themes are
/// written together.
#[utoipa::path(
    tag = "events",
    request_body(content(
        (EventDraft = "application/json", examples(
            ("club_meeting_lodeve" = (
                summary = "The club meeting in Lodève, held (with attendance)",
                description = "The club of local authorities met in Lodève (Hérault) on 19 September 2026, about sixty participants. Add `club_id` and `organisers` with ids from your register.",
                value = json!({
                    "title": "Club des collectivités pour l'ESS : rencontre de Lodève",
                    "description": "Les outils des collectivités pour développer les territoires ruraux et périurbains avec l'ESS.",
                    "kind": "meeting",
                    "status": "published",
                    "starts_at": "2026-09-19T09:30:00+02:00",
                    "ends_at": "2026-09-19T17:00:00+02:00",
                    "time_zone": "Europe/Paris",
                    "online": false,
                    "venue": "Salle du Peuple",
                    "street": "Place de l'Hôtel de Ville",
                    "postal_code": "34700",
                    "city": "Lodève",
                    "commune_code": "34142",
                    "region_code": "76",
                    "capacity": 80,
                    "attendance": 60,
                    "themes": ["developpement-rural", "territoires"]
                })
            )),
            ("mois_de_l_ess_conference" = (
                summary = "The mutual's conference of the Mois de l'ESS",
                description = "In November, during the Mois de l'ESS, the mutual presents the ESS and mutualism to young people. Add `organisers` with the mutual's id, role `organiser`.",
                value = json!({
                    "title": "Le Mois de l'ESS : l'ESS et le mutualisme expliqués aux jeunes",
                    "kind": "conference",
                    "status": "published",
                    "starts_at": "2026-11-18T14:00:00+01:00",
                    "ends_at": "2026-11-18T17:30:00+01:00",
                    "online": false,
                    "city": "Montpellier",
                    "postal_code": "34000",
                    "commune_code": "34172",
                    "region_code": "76",
                    "capacity": 150,
                    "themes": ["mois-de-l-ess", "jeunesse"]
                })
            )),
            ("club_webinar" = (
                summary = "An online session of the club, ahead",
                value = json!({
                    "title": "Club des collectivités : visio de printemps",
                    "kind": "webinar",
                    "starts_at": "2027-03-16T10:00:00+01:00",
                    "ends_at": "2027-03-16T11:30:00+01:00",
                    "online": true,
                    "online_url": "https://visio.cress-occitanie.example/club",
                    "region_code": "76"
                })
            ))
        )),
    )),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 201, description = "Created; `Location` is its address.", body = EventResponse,
            headers(("Location" = String, description = "The address of the new event."))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    )
)]
#[post("/events")]
pub async fn create_event(
    caller: Caller,
    state: web::Data<AppState>,
    JsonBody(body): JsonBody<EventDraft>,
) -> Result<HttpResponse, ApiError> {
    policy::require_kind(&caller, Action::Create, Resource::Event)?;
    let new = check_draft(body)?;
    policy::require(&caller, Action::Create, &target_of_new(&new))?;
    require_club_of_caller(&caller, &state, new.fields.club_id).await?;
    let created: Event = state.store.create_event::<ApiError>(&new, &caller.actor()?).await?;
    let location = format!("/api/v1/events/{}", created.id);
    Ok(etag::created(location, Tagged::of(&EventResponse::from(created))?))
}

kept_endpoint! {
    /// Get an event, with its organisers and themes.
    ///
    /// Without a token, only a published event can be read (401 for the others).
    read get_event("/events/{id}") -> Event,
    tag = "events", id = "The event's id.", anyone,
    responses(
        (status = 200, description = "The event.", body = EventResponse),
    )
}

/// Change an event.
///
/// A JSON merge patch (`application/merge-patch+json` or `application/json`): fields left out
/// stay as they are, `null` clears an optional field, and `organisers` or `themes`, when
/// given, replace the whole list, in the same transaction as the event. The result must pass
/// the same checks as a creation (422). A status change other than `draft` → `published`,
/// `published` → `cancelled` or `draft` → `cancelled` is a 409 `illegal_transition` naming the
/// current and the requested status. A patch that changes nothing keeps the version.
#[utoipa::path(
    tag = "events",
    params(("id" = Uuid, Path, description = "The event's id.")),
    request_body(content(
        (UpdateEventRequest = "application/merge-patch+json"),
        (UpdateEventRequest = "application/json"),
    )),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "The event as changed.", body = EventResponse),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    )
)]
#[patch("/events/{id}")]
pub async fn update_event(
    caller: Caller,
    conditions: Conditions,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    patch: UpdateEventRequest,
) -> Result<HttpResponse, ApiError> {
    policy::require_kind(&caller, Action::Update, Resource::Event)?;
    if let Some(club_id) = patch.field("club_id") {
        require_club_of_caller(&caller, &state, club_id).await?;
    }
    let updated = state
        .store
        .update_event(id.into_inner(), &caller.actor()?, |current| {
            let change = || check_draft(patch.apply_to(&AsCreated::from(current))?);
            let new = kernel::change(&caller, &conditions, current, change, target_of_new)?;
            match current.fields.status.refusal(new.fields.status) {
                Some(detail) => Err(ApiError::Conflict {
                    code: "illegal_transition",
                    detail,
                    existing_id: None,
                }),
                None => Ok(new),
            }
        })
        .await?;
    Ok(etag::ok(Tagged::of(&EventResponse::from(updated))?))
}

/// An event may be held by a club only if the caller may change that club: a Cress manager
/// points its events at the clubs of its own region. (An unknown club is left to the reference
/// check, which answers 422 `not_found`.)
async fn require_club_of_caller(caller: &Caller, state: &AppState, club_id: Option<Uuid>) -> Result<(), ApiError> {
    let Some(club_id) = club_id else { return Ok(()) };
    let club = match state.store.get_club(club_id).await {
        Ok(club) => club,
        Err(crate::store::StoreError::NotFound(_)) => return Ok(()),
        Err(error) => return Err(error.into()),
    };
    let region = &club.fields.region_code;
    policy::require(caller, Action::Update, &Target::club(region))
        .map_err(|_| ApiError::Forbidden(msg!("events-club-out-of-reach", club_id = club_id, region = region)))
}

kept_endpoint! {
    /// Delete an event, with its themes.
    ///
    /// Refused with a 409 `in_use` naming what holds it while the event still has organisers (clear
    /// them first with a PATCH `{"organisers": []}`) or a sponsorship targets it: nothing is lost
    /// silently.
    delete delete_event("/events/{id}") -> Event,
    tag = "events", id = "The event's id.",
    responses(
        (status = 204, description = "Deleted, with its organisers and themes."),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    )
}

kept! {
    Event, kind Resource::Event, load get_event, remove delete_event,
    target |event| event.target(),
    shown |event, _caller| -> EventResponse { EventResponse::from(event) },
}

/// The event a create or a change would make, as the policy sees it.
fn target_of_new(new: &NewEvent) -> Target {
    Target::event(
        new.fields.region_code.as_deref(),
        new.fields.status == EventStatus::Published,
    )
}
