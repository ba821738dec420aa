//! `/api/v1/clubs`: clubs run by a Cress (such as its club of local authorities for the ESS)
//! and `/api/v1/clubs/{id}/members`: the organisations that belong to them.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::auth::policy::{self, Action};
use crate::core::Actor;
use crate::core::{Resource, Target};
use crate::domain::club::{ClubDraft, ClubFields, MemberRole, Membership, MembershipDraft, NewMember};
use crate::domain::codes::RegionCode;
use crate::domain::codes::RegionCodeSchema;
use crate::domain::message::{Message, msg};
use crate::domain::organisation::Category;
use crate::domain::text::search_key;
use crate::http::AppState;
use crate::http::csv::{Columns, ListFormat, Page};
use crate::http::error::{ApiError, FieldError, checked};
use crate::http::etag::{self, Conditions, Tagged};
use crate::http::extract::{JsonBody, Query, pick, present};
use crate::http::kernel::{self, Kept, Listing, kept, kept_endpoint};
use crate::http::pagination::{decode_cursor, encode_cursor, list_page, next_page, page_limit, paged};
use crate::http::patch::merge_patch;
use crate::http::responses::{BadRequest, Conflict, Forbidden};
use crate::store::clubs::{Club, ClubFilter, ListClubs, ListMembers, Member, MemberFilter};
use crate::store::references::MissingRecord;
use crate::store::today;
use crate::store::{Store, StoreError};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_clubs)
        .service(create_club)
        .service(get_club)
        .service(update_club)
        .service(delete_club)
        .service(list_club_members)
        .service(add_club_member)
        .service(get_club_member)
        .service(update_club_member)
        .service(remove_club_member);
}

/// `result`, with `unknown` (a reference found missing in the database) added to its 422 so that
/// every failing field is listed at once.
fn with_unknown<T>(result: Result<T, ApiError>, unknown: Option<FieldError>) -> Result<T, ApiError> {
    match (result, unknown) {
        (result, None) => result,
        (Ok(_), Some(error)) => Err(ApiError::Invalid(vec![error])),
        (Err(ApiError::Invalid(mut errors)), Some(error)) => {
            if !errors.iter().any(|e| e.field == error.field) {
                errors.push(error);
            }
            Err(ApiError::Invalid(errors))
        }
        (Err(other), Some(_)) => Err(other),
    }
}

// ---------------------------------------------------------------------------------------------
// Clubs
// ---------------------------------------------------------------------------------------------

/// The organisation that hosts (runs) a club, usually the region's Cress.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a1f1-5a3b-7c2d-8e4f-1a2b3c4d5e6f", "name": "Cress Occitanie"}))]
pub struct HostOrganisation {
    pub id: Uuid,
    pub name: String,
}

/// A club.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a1f3-0b2c-7e4d-8f10-3c6d9e0a1b22",
    "name": "Club des collectivités locales pour l'ESS",
    "region_code": "76",
    "host_organisation_id": "0193a1f1-5a3b-7c2d-8e4f-1a2b3c4d5e6f",
    "host_organisation": {"id": "0193a1f1-5a3b-7c2d-8e4f-1a2b3c4d5e6f", "name": "Cress Occitanie"},
    "description": "Élus et techniciens des communes, EPCI et départements d'Occitanie se forment à l'ESS : plusieurs visios par an et deux journées en présentiel.",
    "audience": "Élus et agents des collectivités locales",
    "active_member_count": 2,
    "created_at": "2026-11-26T09:30:00Z",
    "updated_at": "2026-11-26T09:30:00Z",
    "version": 1
}))]
pub struct ClubResponse {
    pub id: Uuid,
    pub name: String,
    #[schema(value_type = RegionCodeSchema)]
    pub region_code: String,
    pub host_organisation_id: Uuid,
    /// The host's id and current name.
    pub host_organisation: HostOrganisation,
    #[schema(required = true)]
    pub description: Option<String>,
    #[schema(required = true)]
    pub audience: Option<String>,
    /// Members that have not left today (no `left_on`, or a `left_on` after today).
    #[schema(minimum = 0)]
    pub active_member_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change.
    #[schema(minimum = 1)]
    pub version: i64,
}

impl From<Club> for ClubResponse {
    fn from(c: Club) -> Self {
        let f = c.fields;
        Self {
            id: c.id,
            name: f.name,
            region_code: f.region_code,
            host_organisation_id: f.host_organisation_id,
            host_organisation: HostOrganisation {
                id: f.host_organisation_id,
                name: c.host_organisation_name,
            },
            description: f.description,
            audience: f.audience,
            active_member_count: c.active_member_count,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

merge_patch! {
    /// Changes to a club (JSON merge patch, RFC 7396): a field left out stays as it is; `null`
    /// clears an optional field (`name`, `region_code` and `host_organisation_id` cannot be
    /// cleared). The same rules as on creation apply to the result.
    #[example = json!({
        "description": "Élus et techniciens se forment à l'ESS : visios et deux journées par an, dont une à Lodève.",
        "audience": "Élus, agents et techniciens des collectivités locales"
    })]
    pub type UpdateClubRequest = MergePatch<ClubDraft>, kept: [];
}

/// Whether `host`, when given, names an existing organisation; the 422 entry when it does not.
async fn check_host(state: &AppState, host: Option<Uuid>) -> Result<Option<FieldError>, ApiError> {
    match host {
        Some(id) if !state.store.club_host_exists(id).await? => Ok(Some(
            MissingRecord::new("host_organisation_id", Resource::Organisation, id).into(),
        )),
        _ => Ok(None),
    }
}

/// Filters and page of the club list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListClubsParams {
    /// Page size, 1 to 200.
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// Where to start: the `next_cursor` of the previous page, unchanged.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
    /// Only clubs of this region.
    #[param(value_type = Option<RegionCodeSchema>)]
    pub region_code: Option<String>,
    /// Words the name contains, ignoring case, accents and punctuation (`collectivites` finds
    /// « Club des collectivités locales pour l'ESS »); a `q` of punctuation only matches nothing.
    #[param(min_length = 1, max_length = 200)]
    pub q: Option<String>,
    /// `true` adds `total` to the page: how many clubs match the filters in all (one more
    /// query, which reads every matching row: on a long list it costs more than the page).
    pub count: Option<bool>,
}

list_page! {
    /// One page of clubs.
    ClubPage of ClubResponse, total: "With `count=true` only: how many clubs match the filters in all."
}

/// The only order of the club list, named in its cursors.
const CLUB_ORDER: &str = "name";

impl ListClubsParams {
    fn into_query(self) -> Result<ListClubs, ApiError> {
        let bad = |name: &str, why: Message| ApiError::invalid_parameter(name, why);
        let limit = page_limit(self.limit)?;
        let after = self
            .cursor
            .as_deref()
            .map(|raw| decode_cursor(raw, CLUB_ORDER))
            .transpose()?;
        let region_code = match self.region_code {
            Some(code) => Some(
                RegionCode::parse(&code)
                    .map_err(|e| bad("region_code", e.message))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        let name_contains = match self.q {
            Some(q) if q.is_empty() => return Err(bad("q", msg!("clubs-q-empty"))),
            Some(q) if q.chars().count() > 200 => return Err(bad("q", msg!("clubs-q-too-long", max = 200_usize))),
            Some(q) => Some(search_key(&q)),
            None => None,
        };
        Ok(ListClubs {
            filter: ClubFilter {
                region_code,
                name_contains,
            },
            after,
            limit: limit + 1,
        })
    }
}

/// List clubs.
///
/// Filtered by region and by words of the name (ignoring case and accents); sorted by name.
/// Each club shows its host organisation and its number of active members. Pages are
/// keyset-based: follow `next_cursor` until it is `null`.
#[utoipa::path(
    tag = "clubs",
    params(ListClubsParams),
    security((), ("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "One page of clubs.", body = ClubPage),
        (status = 400, response = BadRequest),
    )
)]
#[get("/clubs")]
pub async fn list_clubs(
    caller: Caller,
    format: ListFormat,
    state: web::Data<AppState>,
    Query(params): Query<ListClubsParams>,
) -> Result<HttpResponse, ApiError> {
    policy::list_scope(&caller, Resource::Club)?;
    kernel::list(format, state, (), CLUB_COLUMNS.shown(false), params).await
}

/// The columns of the club list as CSV (`host_organisation` flattened).
pub const CLUB_COLUMNS: Columns = Columns {
    parts: &[&[
        "id",
        "name",
        "region_code",
        "host_organisation_id",
        "host_organisation_name",
        "description",
        "audience",
        "active_member_count",
        "created_at",
        "updated_at",
        "version",
    ]],
    confidential: &[],
};

paged!(ListClubsParams);

impl Listing for ListClubsParams {
    type Scope = ();
    type Page = ClubPage;

    async fn count(&self, store: &Store, _: &()) -> Result<i64, ApiError> {
        Ok(store.count_clubs(&self.clone().into_query()?.filter).await?)
    }

    async fn page(self, state: web::Data<AppState>, _: ()) -> Result<Page<ClubResponse>, ApiError> {
        let query = self.into_query()?;
        let mut rows = state.store.list_clubs(&query).await?;
        let next_cursor = next_page(&mut rows, query.limit - 1, |last| {
            let (key, id) = last.position();
            encode_cursor(CLUB_ORDER, &key, id)
        });
        Ok((rows.into_iter().map(ClubResponse::from).collect(), next_cursor))
    }
}

/// Create a club.
///
/// Checks every field (name and lengths, region code, host organisation) and lists every failing
/// field in the 422 answer; a `host_organisation_id` that names no organisation fails with code
/// `not_found`.
#[utoipa::path(
    tag = "clubs",
    request_body(content = ClubDraft, content_type = "application/json"),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 201, description = "Created; `Location` is its address.", body = ClubResponse,
            headers(("Location" = String, description = "The address of the new club."))),
        (status = 403, response = Forbidden),
    )
)]
#[post("/clubs")]
pub async fn create_club(
    caller: Caller,
    state: web::Data<AppState>,
    JsonBody(draft): JsonBody<ClubDraft>,
) -> Result<HttpResponse, ApiError> {
    policy::require_kind(&caller, Action::Create, Resource::Club)?;
    let shape = draft.validate();
    let unknown = check_host(&state, draft.host_organisation_id).await?;
    let new = with_unknown(checked(shape, ClubFields::parse(draft)), unknown)?;
    policy::require(&caller, Action::Create, &Target::club(&new.region_code))?;
    let created = state.store.create_club::<ApiError>(&new, &caller.actor()?).await?;
    let location = format!("/api/v1/clubs/{}", created.id);
    Ok(etag::created(location, Tagged::of(&ClubResponse::from(created))?))
}

kept_endpoint! {
    /// Get a club.
    read get_club("/clubs/{id}") -> Club,
    tag = "clubs", id = "The club's id.", anyone,
    responses(
        (status = 200, description = "The club.", body = ClubResponse),
    )
}

/// Change a club.
///
/// A JSON merge patch (`application/merge-patch+json` or `application/json`): fields left out
/// stay as they are, `null` clears an optional field. The result must pass the same checks as a
/// creation; a patch that changes nothing keeps the version.
#[utoipa::path(
    tag = "clubs",
    params(("id" = Uuid, Path, description = "The club's id.")),
    request_body(content(
        (UpdateClubRequest = "application/merge-patch+json"),
        (UpdateClubRequest = "application/json"),
    )),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "The club as changed.", body = ClubResponse),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    )
)]
#[patch("/clubs/{id}")]
pub async fn update_club(
    caller: Caller,
    conditions: Conditions,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    patch: UpdateClubRequest,
) -> Result<HttpResponse, ApiError> {
    policy::require_kind(&caller, Action::Update, Resource::Club)?;
    let unknown = check_host(&state, patch.field("host_organisation_id").flatten()).await?;
    let updated = state
        .store
        .update_club(id.into_inner(), &caller.actor()?, |current| {
            let change = || {
                let request = patch.apply_to(&current.fields)?;
                with_unknown(checked(request.validate(), ClubFields::parse(request)), unknown.clone())
            };
            kernel::change(&caller, &conditions, current, change, |new| {
                Target::club(&new.region_code)
            })
        })
        .await?;
    Ok(etag::ok(Tagged::of(&ClubResponse::from(updated))?))
}

kept_endpoint! {
    /// Delete a club.
    ///
    /// Refused with a 409 (`in_use`) while the club still has members (active or not), events or
    /// sponsorships: remove those first.
    delete delete_club("/clubs/{id}") -> Club,
    tag = "clubs", id = "The club's id.",
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    )
}

kept! {
    Club, kind Resource::Club, load get_club, remove delete_club,
    target |club| club.target(),
    shown |club, _caller| -> ClubResponse { ClubResponse::from(club) },
}

/// How the answers name a membership.
const MEMBERSHIP: &str = "club membership";

/// For a change of a club's members: the club must exist (404) and the caller may change it
/// (a membership belongs to its club: the club's region decides).
async fn require_club_change(caller: &Caller, state: &AppState, club_id: Uuid) -> Result<(), ApiError> {
    policy::require_kind(caller, Action::Update, Resource::Club)?;
    let club = state.store.get_club(club_id).await?;
    Ok(policy::require(caller, Action::Update, &club.target())?)
}

// ---------------------------------------------------------------------------------------------
// Members
// ---------------------------------------------------------------------------------------------

/// An organisation's membership of a club.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "club_id": "0193a1f3-0b2c-7e4d-8f10-3c6d9e0a1b22",
    "organisation_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11",
    "organisation_name": "Mutuelle solidaire d'Occitanie",
    "organisation_category": "mutual",
    "role": "steering_committee",
    "joined_on": "2026-01-15",
    "left_on": null,
    "active": true,
    "created_at": "2026-11-26T09:30:00Z",
    "updated_at": "2026-11-26T09:30:00Z",
    "version": 1
}))]
pub struct ClubMemberResponse {
    pub club_id: Uuid,
    pub organisation_id: Uuid,
    /// The member organisation's current name.
    pub organisation_name: String,
    pub organisation_category: Category,
    pub role: MemberRole,
    pub joined_on: NaiveDate,
    /// The day the organisation left (or leaves) the club; `null` while it stays.
    #[schema(required = true)]
    pub left_on: Option<NaiveDate>,
    /// Whether it is a member today: no `left_on`, or a `left_on` after today.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change.
    #[schema(minimum = 1)]
    pub version: i64,
}

impl ClubMemberResponse {
    fn new(m: Member, today: NaiveDate) -> Self {
        Self {
            club_id: m.club_id,
            organisation_id: m.organisation_id,
            organisation_name: m.organisation_name,
            organisation_category: m.organisation_category,
            role: m.role,
            joined_on: m.joined_on,
            left_on: m.left_on,
            active: Membership::is_active(m.left_on, today),
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

/// A new member of a club: an existing organisation, with a role (default `member`), the day
/// it joined (default today) and, optionally, the day it left, not before it joined.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "organisation_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11",
    "role": "steering_committee",
    "joined_on": "2026-01-15"
}))]
pub struct AddClubMemberRequest {
    /// The id of an existing organisation (else 422 `not_found`); create it first with
    /// `POST /api/v1/organisations` and paste its id here.
    #[schema(required = true, value_type = Uuid)]
    #[serde(default)]
    pub organisation_id: Option<Uuid>,
    /// Default `member`.
    #[serde(default)]
    pub role: Option<MemberRole>,
    /// Default today.
    #[schema(example = "2026-01-15")]
    #[serde(default)]
    pub joined_on: Option<NaiveDate>,
    /// Not before `joined_on` (else 422 `mismatch`).
    #[serde(default)]
    pub left_on: Option<NaiveDate>,
}

/// Changes to a membership (JSON merge patch): a field left out stays as it is; `null` clears
/// `left_on` (the organisation rejoins); `role` and `joined_on` cannot be cleared. `left_on`
/// must not be before `joined_on` in the result.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "patron"}))]
pub struct UpdateClubMemberRequest {
    #[schema(value_type = MemberRole)]
    #[serde(default, deserialize_with = "present")]
    pub role: Option<Option<MemberRole>>,
    #[schema(value_type = NaiveDate)]
    #[serde(default, deserialize_with = "present")]
    pub joined_on: Option<Option<NaiveDate>>,
    #[schema(value_type = Option<NaiveDate>)]
    #[serde(default, deserialize_with = "present")]
    pub left_on: Option<Option<NaiveDate>>,
}

impl UpdateClubMemberRequest {
    /// The membership as it would be after this patch.
    fn apply_to(&self, current: &Member) -> MembershipDraft {
        MembershipDraft {
            role: pick(&self.role, Some(current.role)),
            joined_on: pick(&self.joined_on, Some(current.joined_on)),
            left_on: pick(&self.left_on, current.left_on),
        }
    }
}

/// Filters and page of a club's member list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListClubMembersParams {
    /// Page size, 1 to 200.
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// Where to start: the `next_cursor` of the previous page, unchanged.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
    /// `true`: only members today (no `left_on`, or a `left_on` after today); `false`: only those
    /// that have left.
    pub active: Option<bool>,
    /// Only members with this role.
    pub role: Option<MemberRole>,
    /// `true` adds `total` to the page: how many members match the filters in all (one more
    /// query, which reads every matching row: on a long list it costs more than the page).
    pub count: Option<bool>,
}

list_page! {
    /// One page of members.
    ClubMemberPage of ClubMemberResponse, total: "With `count=true` only: how many members match the filters in all."
}

/// The only order of the member list, named in its cursors.
const MEMBER_ORDER: &str = "organisation_name";

/// List the members of a club.
///
/// Each member carries its organisation's name and category. Filtered by `active` and `role`;
/// sorted by organisation name (ignoring case and accents). Pages are keyset-based: follow
/// `next_cursor` until it is `null`.
#[utoipa::path(
    tag = "clubs",
    params(("id" = Uuid, Path, description = "The club's id."), ListClubMembersParams),
    security((), ("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "One page of members.", body = ClubMemberPage),
        (status = 400, response = BadRequest),
    )
)]
#[get("/clubs/{id}/members")]
pub async fn list_club_members(
    caller: Caller,
    format: ListFormat,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    Query(params): Query<ListClubMembersParams>,
) -> Result<HttpResponse, ApiError> {
    policy::list_scope(&caller, Resource::Club)?;
    kernel::list(format, state, id.into_inner(), MEMBER_COLUMNS.shown(false), params).await
}

/// The columns of a club's member list as CSV.
pub const MEMBER_COLUMNS: Columns = Columns {
    parts: &[&[
        "club_id",
        "organisation_id",
        "organisation_name",
        "organisation_category",
        "role",
        "joined_on",
        "left_on",
        "active",
        "created_at",
        "updated_at",
        "version",
    ]],
    confidential: &[],
};

paged!(ListClubMembersParams);

/// The members of a club; the scope is the club's id.
impl Listing for ListClubMembersParams {
    type Scope = Uuid;
    type Page = ClubMemberPage;

    async fn count(&self, store: &Store, club_id: &Uuid) -> Result<i64, ApiError> {
        Ok(store.count_club_members(&self.query(*club_id, today())).await?)
    }

    async fn page(self, state: web::Data<AppState>, club_id: Uuid) -> Result<Page<ClubMemberResponse>, ApiError> {
        let limit = page_limit(self.limit)?;
        let after = self
            .cursor
            .as_deref()
            .map(|raw| decode_cursor(raw, MEMBER_ORDER))
            .transpose()?;
        let today = today();
        let query = ListMembers {
            after,
            limit: limit + 1,
            ..self.query(club_id, today)
        };
        let mut rows = state.store.list_club_members(&query).await?;
        let next_cursor = next_page(&mut rows, limit, |last| {
            let (key, id) = last.position();
            encode_cursor(MEMBER_ORDER, &key, id)
        });
        let items = rows.into_iter().map(|m| ClubMemberResponse::new(m, today)).collect();
        Ok((items, next_cursor))
    }
}

impl ListClubMembersParams {
    /// The members of the club that these parameters filter, from the start of the list.
    fn query(&self, club_id: Uuid, today: NaiveDate) -> ListMembers {
        ListMembers {
            club_id,
            filter: MemberFilter {
                active: self.active,
                role: self.role,
            },
            today,
            after: None,
            limit: 0,
        }
    }
}

/// Add a member to a club.
///
/// `organisation_id` must name an existing organisation (else 422 `not_found`); `role` defaults
/// to `member` and `joined_on` to today; `left_on`, when given, is not before `joined_on`. An
/// organisation has one membership per club: if it already has one, active or left, the answer
/// is a 409 with code `already_member`, and its membership is changed with a PATCH instead
/// (e.g. `left_on: null` to rejoin).
#[utoipa::path(
    tag = "clubs",
    params(("id" = Uuid, Path, description = "The club's id.")),
    request_body(content = AddClubMemberRequest, content_type = "application/json", examples(
        ("steering_committee" = (summary = "A mutual joins the steering committee",
            value = json!({"organisation_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11", "role": "steering_committee", "joined_on": "2026-01-15"}))),
        ("patron" = (summary = "A patron supports the club",
            value = json!({"organisation_id": "0193a1f4-2d3e-7f40-9a51-6b7c8d9e0f33", "role": "patron", "joined_on": "2026-03-01"}))),
        ("member" = (summary = "A commune joins today as a member",
            value = json!({"organisation_id": "0193a1f5-4e5f-7a61-8b72-7c8d9e0f1a44"}))),
    )),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 201, description = "Added; `Location` is the membership's address.", body = ClubMemberResponse,
            headers(("Location" = String, description = "The address of the new membership."))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    )
)]
#[post("/clubs/{id}/members")]
pub async fn add_club_member(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<AddClubMemberRequest>,
) -> Result<HttpResponse, ApiError> {
    let club_id = id.into_inner();
    require_club_change(&caller, &state, club_id).await?;
    let today = today();
    let exists = state
        .store
        .club_member_target_exists(club_id, body.organisation_id)
        .await?;
    let unknown = match body.organisation_id {
        Some(organisation_id) if !exists => {
            Some(MissingRecord::new("organisation_id", Resource::Organisation, organisation_id).into())
        }
        _ => None,
    };
    let draft = MembershipDraft {
        role: body.role,
        joined_on: body.joined_on,
        left_on: body.left_on,
    };
    let new = with_unknown(
        checked(Ok(()), NewMember::parse(body.organisation_id, draft, today)),
        unknown,
    )?;
    let organisation_id = new.organisation_id;
    let added = state
        .store
        .add_club_member::<ApiError>(club_id, organisation_id, &new.terms, &caller.actor()?)
        .await?;
    let location = format!("/api/v1/clubs/{club_id}/members/{organisation_id}");
    Ok(etag::created(
        location,
        Tagged::of(&ClubMemberResponse::new(added, today))?,
    ))
}

/// Get a member of a club.
///
/// 404 when the club does not exist or the organisation has no membership in it.
#[utoipa::path(
    tag = "clubs",
    params(
        ("id" = Uuid, Path, description = "The club's id."),
        ("organisation_id" = Uuid, Path, description = "The member organisation's id."),
    ),
    security((), ("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "The membership.", body = ClubMemberResponse),
    )
)]
#[get("/clubs/{id}/members/{organisation_id}")]
pub async fn get_club_member(
    caller: Caller,
    conditions: Conditions,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    policy::require_kind(&caller, Action::Read, Resource::Club)?;
    let (club_id, organisation_id) = path.into_inner();
    let member = state.store.get_club_member(club_id, organisation_id).await?;
    Ok(etag::read(
        &conditions,
        Tagged::of(&ClubMemberResponse::new(member, today()))?,
    ))
}

/// Change a member's role or dates.
///
/// A JSON merge patch: fields left out stay as they are; `left_on: null` means the organisation
/// rejoins (or never left); `role` and `joined_on` cannot be cleared. `left_on` must not be
/// before `joined_on` in the result. A patch that changes nothing keeps the version.
#[utoipa::path(
    tag = "clubs",
    params(
        ("id" = Uuid, Path, description = "The club's id."),
        ("organisation_id" = Uuid, Path, description = "The member organisation's id."),
    ),
    request_body(content(
        (UpdateClubMemberRequest = "application/merge-patch+json"),
        (UpdateClubMemberRequest = "application/json"),
    )),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "The membership as changed.", body = ClubMemberResponse),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    )
)]
#[patch("/clubs/{id}/members/{organisation_id}")]
pub async fn update_club_member(
    caller: Caller,
    conditions: Conditions,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    JsonBody(patch): JsonBody<UpdateClubMemberRequest>,
) -> Result<HttpResponse, ApiError> {
    let (club_id, organisation_id) = path.into_inner();
    require_club_change(&caller, &state, club_id).await?;
    let updated = state
        .store
        .update_club_member(club_id, organisation_id, &caller.actor()?, |current| {
            conditions.require_current(MEMBERSHIP, || {
                Tagged::of(&ClubMemberResponse::new(current.clone(), today()))
            })?;
            checked(Ok(()), Membership::parse(patch.apply_to(current)))
        })
        .await?;
    Ok(etag::ok(Tagged::of(&ClubMemberResponse::new(updated, today()))?))
}

/// Remove a member from a club.
///
/// Deletes the membership and its history; to record that an organisation left, set its
/// `left_on` with a PATCH instead.
#[utoipa::path(
    tag = "clubs",
    params(
        ("id" = Uuid, Path, description = "The club's id."),
        ("organisation_id" = Uuid, Path, description = "The member organisation's id."),
    ),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 204, description = "Removed."),
        (status = 403, response = Forbidden),
    )
)]
#[delete("/clubs/{id}/members/{organisation_id}")]
pub async fn remove_club_member(
    caller: Caller,
    conditions: Conditions,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (club_id, organisation_id) = path.into_inner();
    require_club_change(&caller, &state, club_id).await?;
    let actor = caller.actor()?;
    etag::delete_checked(
        MEMBERSHIP,
        async || state.store.get_club_member(club_id, organisation_id).await,
        |current| {
            conditions.require_current(MEMBERSHIP, || {
                Tagged::of(&ClubMemberResponse::new(current.clone(), today()))
            })?;
            Ok(current.version)
        },
        async |version| {
            state
                .store
                .remove_club_member(club_id, organisation_id, Some(version), &actor)
                .await
        },
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
