//! `/api/v1/organisations/{id}/esus-accreditations` and `/api/v1/esus-accreditations/{id}`: the
//! ESUS accreditations (agrément « Entreprise solidaire d'utilité sociale ») of each organisation.

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
use crate::domain::esus::{
    AUTHORITY_MAX, AccreditationDraft, DECISION_REFERENCE_MAX, EsusBasis, EsusReadStatus, EsusStatus, EsusSummary,
    NOTES_MAX, NewAccreditation, check_transition,
};
use crate::domain::message::msg;
use crate::http::AppState;
use crate::http::confidential::Confidential;
use crate::http::csv::{Columns, ListFormat, Page};
use crate::http::error::{ApiError, checked};
use crate::http::etag::{self, Conditions, Tagged};
use crate::http::extract::{JsonBody, Query, pick, present};
use crate::http::kernel::{self, Kept, Listing, kept_endpoint};
use crate::http::pagination::{decode_cursor, encode_cursor, list_page, next_page, page_limit, paged};
use crate::http::responses::{BadRequest, Forbidden};
use crate::store::esus::{Accreditation, AccreditationFields, ListAccreditations};
use crate::store::{Store, StoreError, today};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_esus_accreditations)
        .service(create_esus_accreditation)
        .service(get_esus_accreditation)
        .service(update_esus_accreditation)
        .service(delete_esus_accreditation);
}

/// The ESUS summary an organisation shows (read-only): the status and end of validity of its
/// latest accreditation (by `applied_on`, then creation); `expired` when that one is granted and
/// its `valid_until` has passed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({"status": "granted", "valid_until": "2029-02-27"}))]
pub struct EsusSummaryResponse {
    pub status: EsusReadStatus,
    /// The end of validity of that accreditation (null until granted).
    #[schema(required = true)]
    pub valid_until: Option<NaiveDate>,
}

impl From<EsusSummary> for EsusSummaryResponse {
    fn from(summary: EsusSummary) -> Self {
        Self {
            status: summary.status,
            valid_until: summary.valid_until,
        }
    }
}

/// An ESUS accreditation of an organisation. `status` is read on today's date: a granted
/// accreditation whose `valid_until` has passed reads `expired`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a1f2-9b3c-7e41-8d2a-5c6b7a8e9f10",
    "organisation_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11",
    "status": "granted",
    "basis": "conditions",
    "applied_on": "2024-01-15",
    "decided_on": "2024-02-29",
    "valid_from": "2024-02-29",
    "valid_until": "2029-02-27",
    "withdrawn_on": null,
    "authority": "Préfecture de l'Hérault",
    "department_code": "34",
    "decision_reference": "DDETS34-ESUS-2024-017",
    "notes": "SCIC de l'économie solidaire à Montpellier : agrément pour cinq ans.",
    "created_at": "2024-03-04T10:15:00Z",
    "updated_at": "2024-03-04T10:15:00Z",
    "version": 1
}))]
pub struct EsusAccreditationResponse {
    pub id: Uuid,
    /// The accredited organisation.
    pub organisation_id: Uuid,
    pub status: EsusReadStatus,
    pub basis: EsusBasis,
    /// When the application was filed.
    pub applied_on: NaiveDate,
    /// When it was granted or refused.
    #[schema(required = true)]
    pub decided_on: Option<NaiveDate>,
    /// First day of validity (granted and withdrawn accreditations).
    #[schema(required = true)]
    pub valid_from: Option<NaiveDate>,
    /// Last day of validity (granted and withdrawn accreditations).
    #[schema(required = true)]
    pub valid_until: Option<NaiveDate>,
    /// When it was withdrawn.
    #[schema(required = true)]
    pub withdrawn_on: Option<NaiveDate>,
    /// The deciding authority, usually a departmental prefecture.
    #[schema(required = true)]
    pub authority: Option<String>,
    /// The department of that authority.
    #[schema(required = true)]
    pub department_code: Option<String>,
    /// The reference of the decision (prefectoral order…).
    #[schema(required = true)]
    pub decision_reference: Option<String>,
    /// Internal remarks. Confidential: present only for administrators, the Cress managers of
    /// the organisation's region and the organisation's own partner accounts.
    #[schema(value_type = Option<String>, required = false)]
    #[serde(skip_serializing_if = "Confidential::is_withheld")]
    pub notes: Confidential<Option<String>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change.
    #[schema(minimum = 1)]
    pub version: i64,
}

impl EsusAccreditationResponse {
    /// The accreditation as shown to a caller who sees its confidential fields or not.
    fn new(a: Accreditation, confidential: bool) -> Self {
        let f = a.fields;
        Self {
            id: a.id,
            organisation_id: a.organisation_id,
            status: f.status.read(f.valid_until, today()),
            basis: f.basis,
            applied_on: f.applied_on,
            decided_on: f.decided_on,
            valid_from: f.valid_from,
            valid_until: f.valid_until,
            withdrawn_on: f.withdrawn_on,
            authority: f.authority,
            department_code: f.department_code,
            decision_reference: f.decision_reference,
            notes: Confidential::shown_if(confidential, f.notes),
            created_at: a.created_at,
            updated_at: a.updated_at,
            version: a.version,
        }
    }
}

/// The status an accreditation is recorded with: `applied` (the default) for a new
/// application, or `granted` or `refused` to record a decision already taken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InitialEsusStatus {
    #[default]
    Applied,
    Granted,
    Refused,
}

impl From<InitialEsusStatus> for EsusStatus {
    fn from(status: InitialEsusStatus) -> Self {
        match status {
            InitialEsusStatus::Applied => Self::Applied,
            InitialEsusStatus::Granted => Self::Granted,
            InitialEsusStatus::Refused => Self::Refused,
        }
    }
}

/// A new accreditation. `basis` and `applied_on` are required. A `granted` one needs
/// `decided_on` and `valid_from`; `valid_until`, when left out, is `valid_from` + 5 years − 1 day
/// (+ 2 years − 1 day when the organisation was founded less than 3 years before `applied_on`).
/// A `refused` one needs `decided_on`. Spaces around texts are trimmed.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "status": "granted",
    "basis": "conditions",
    "applied_on": "2024-01-15",
    "decided_on": "2024-02-29",
    "valid_from": "2024-02-29",
    "authority": "Préfecture de l'Hérault",
    "department_code": "34",
    "decision_reference": "DDETS34-ESUS-2024-017",
    "notes": "SCIC de l'économie solidaire à Montpellier : agrément pour cinq ans."
}))]
pub struct CreateEsusAccreditationRequest {
    /// `applied` when left out.
    #[serde(default)]
    pub status: Option<InitialEsusStatus>,
    #[schema(required = true, value_type = EsusBasis)]
    #[serde(default)]
    pub basis: Option<EsusBasis>,
    /// When the application was filed; not in the future.
    #[schema(required = true, value_type = NaiveDate, example = "2024-01-15")]
    #[serde(default)]
    pub applied_on: Option<NaiveDate>,
    /// When it was granted or refused: required for those, not before `applied_on`, not in the
    /// future; absent while applied.
    #[serde(default)]
    pub decided_on: Option<NaiveDate>,
    /// First day of validity: required when granted, absent otherwise.
    #[serde(default)]
    pub valid_from: Option<NaiveDate>,
    /// Last day of validity, not before `valid_from`; computed when left out (see above).
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
    /// The deciding authority, e.g. « Préfecture de l'Hérault »; up to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    #[validate(length(max = AUTHORITY_MAX))]
    #[serde(default)]
    pub authority: Option<String>,
    /// The department of that authority: 01 to 19, 2A, 2B, 21 to 95, 971 to 976.
    #[schema(pattern = "^(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-6])$", example = "34")]
    #[serde(default)]
    pub department_code: Option<String>,
    /// Up to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(max = DECISION_REFERENCE_MAX))]
    #[serde(default)]
    pub decision_reference: Option<String>,
    /// Up to 5000 characters.
    #[schema(min_length = 1, max_length = 5000)]
    #[validate(length(max = NOTES_MAX))]
    #[serde(default)]
    pub notes: Option<String>,
}

impl From<CreateEsusAccreditationRequest> for AccreditationDraft {
    fn from(r: CreateEsusAccreditationRequest) -> Self {
        Self {
            status: Some(r.status.unwrap_or_default().into()),
            basis: r.basis,
            applied_on: r.applied_on,
            decided_on: r.decided_on,
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            withdrawn_on: None,
            authority: r.authority,
            department_code: r.department_code,
            decision_reference: r.decision_reference,
            notes: r.notes,
        }
    }
}

/// Changes to an accreditation (JSON merge patch, RFC 7396): a field left out stays as it is;
/// `null` clears an optional field. `status` may follow the lifecycle only: `applied` →
/// `granted` (with `decided_on` and `valid_from`) or `refused` (with `decided_on`); `granted`
/// (in force) → `withdrawn` (with `withdrawn_on`). Send `valid_until: null` to have it computed
/// again from `valid_from`. The same rules as on creation apply to the result.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "withdrawn", "withdrawn_on": "2025-06-30", "notes": "Agrément retiré : conditions de rémunération non respectées."}))]
pub struct UpdateEsusAccreditationRequest {
    #[schema(value_type = EsusStatus)]
    #[serde(default, deserialize_with = "present")]
    pub status: Option<Option<EsusStatus>>,
    #[schema(value_type = EsusBasis)]
    #[serde(default, deserialize_with = "present")]
    pub basis: Option<Option<EsusBasis>>,
    #[schema(value_type = NaiveDate)]
    #[serde(default, deserialize_with = "present")]
    pub applied_on: Option<Option<NaiveDate>>,
    #[schema(value_type = Option<NaiveDate>)]
    #[serde(default, deserialize_with = "present")]
    pub decided_on: Option<Option<NaiveDate>>,
    #[schema(value_type = Option<NaiveDate>)]
    #[serde(default, deserialize_with = "present")]
    pub valid_from: Option<Option<NaiveDate>>,
    #[schema(value_type = Option<NaiveDate>)]
    #[serde(default, deserialize_with = "present")]
    pub valid_until: Option<Option<NaiveDate>>,
    /// When it was withdrawn: required to withdraw, between `valid_from` and `valid_until`.
    #[schema(value_type = Option<NaiveDate>)]
    #[serde(default, deserialize_with = "present")]
    pub withdrawn_on: Option<Option<NaiveDate>>,
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200)]
    #[validate(length(max = AUTHORITY_MAX))]
    #[serde(default, deserialize_with = "present")]
    pub authority: Option<Option<String>>,
    #[schema(value_type = Option<String>, pattern = "^(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-6])$")]
    #[serde(default, deserialize_with = "present")]
    pub department_code: Option<Option<String>>,
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100)]
    #[validate(length(max = DECISION_REFERENCE_MAX))]
    #[serde(default, deserialize_with = "present")]
    pub decision_reference: Option<Option<String>>,
    #[schema(value_type = Option<String>, min_length = 1, max_length = 5000)]
    #[validate(length(max = NOTES_MAX))]
    #[serde(default, deserialize_with = "present")]
    pub notes: Option<Option<String>>,
}

impl UpdateEsusAccreditationRequest {
    /// The accreditation as it would be after this patch.
    fn apply_to(&self, current: &AccreditationFields) -> AccreditationDraft {
        AccreditationDraft {
            status: pick(&self.status, Some(current.status)),
            basis: pick(&self.basis, Some(current.basis)),
            applied_on: pick(&self.applied_on, Some(current.applied_on)),
            decided_on: pick(&self.decided_on, current.decided_on),
            valid_from: pick(&self.valid_from, current.valid_from),
            valid_until: pick(&self.valid_until, current.valid_until),
            withdrawn_on: pick(&self.withdrawn_on, current.withdrawn_on),
            authority: pick(&self.authority, current.authority.clone()),
            department_code: pick(&self.department_code, current.department_code.clone()),
            decision_reference: pick(&self.decision_reference, current.decision_reference.clone()),
            notes: pick(&self.notes, current.notes.clone()),
        }
    }
}

/// The order of a history: newest application first.
const SORT: &str = "-applied_on";

/// The page of an organisation's history.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListEsusAccreditationsParams {
    /// Page size, 1 to 200.
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// Where to start: the `next_cursor` of the previous page, unchanged.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
    /// `true` adds `total` to the page: how many accreditations match the filters in all (one more
    /// query, which reads every matching row: on a long list it costs more than the page).
    pub count: Option<bool>,
}

list_page! {
    /// One page of an organisation's accreditations, newest first.
    EsusAccreditationPage of EsusAccreditationResponse, total: "With `count=true` only: how many accreditations match the filters in all."
}

/// List an organisation's ESUS accreditations.
///
/// Its whole history, newest application first (`applied_on`, then creation, descending), each
/// with its status as read today (`expired` for a granted one whose validity has ended). Pages
/// are keyset-based: follow `next_cursor` until it is `null`.
#[utoipa::path(
    tag = "esus",
    params(("id" = Uuid, Path, description = "The organisation's id."), ListEsusAccreditationsParams),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "One page of the organisation's accreditations.", body = EsusAccreditationPage),
        (status = 400, response = BadRequest),
    )
)]
#[get("/organisations/{id}/esus-accreditations")]
pub async fn list_esus_accreditations(
    caller: Caller,
    format: ListFormat,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    Query(params): Query<ListEsusAccreditationsParams>,
) -> Result<HttpResponse, ApiError> {
    policy::require_kind(&caller, Action::Read, Resource::EsusAccreditation)?;
    let organisation = state.store.get_organisation(id.into_inner()).await?;
    let target = Target::accreditation(organisation.id, &organisation.fields.region_code);
    policy::require(&caller, Action::Read, &target)?;
    let confidential = sees_confidential(&caller, &target);
    kernel::list(
        format,
        state,
        (organisation.id, confidential),
        CSV_COLUMNS.shown(confidential),
        params,
    )
    .await
}

/// The columns of an organisation's accreditation list as CSV.
pub const CSV_COLUMNS: Columns = Columns {
    parts: &[
        &["id", "organisation_id"],
        AccreditationFields::NAMES,
        &["created_at", "updated_at", "version"],
    ],
    confidential: Resource::EsusAccreditation.confidential_keys(),
};

paged!(ListEsusAccreditationsParams);

/// An organisation's accreditations; the scope is its id and whether the caller sees their
/// confidential fields.
impl Listing for ListEsusAccreditationsParams {
    type Scope = (Uuid, bool);
    type Page = EsusAccreditationPage;

    async fn count(&self, store: &Store, (organisation_id, _): &(Uuid, bool)) -> Result<i64, ApiError> {
        Ok(store.count_esus_accreditations(*organisation_id).await?)
    }

    async fn page(
        self,
        state: web::Data<AppState>,
        (organisation_id, confidential): (Uuid, bool),
    ) -> Result<Page<EsusAccreditationResponse>, ApiError> {
        let limit = page_limit(self.limit)?;
        let after = match &self.cursor {
            None => None,
            Some(raw) => {
                let (key, id) = decode_cursor(raw, SORT)?;
                let applied_on = NaiveDate::parse_from_str(&key, "%Y-%m-%d")
                    .map_err(|_| ApiError::bad_request("invalid_cursor", msg!("esus-http-cursor-invalid")))?;
                Some((applied_on, id))
            }
        };
        let query = ListAccreditations {
            organisation_id,
            after,
            limit: limit + 1,
        };
        let mut rows = state.store.list_esus_accreditations(&query).await?;
        let next_cursor = next_page(&mut rows, limit, |last| {
            encode_cursor(SORT, &last.fields.applied_on.to_string(), last.id)
        });
        let items = rows
            .into_iter()
            .map(|a| EsusAccreditationResponse::new(a, confidential))
            .collect();
        Ok((items, next_cursor))
    }
}

/// Record an ESUS accreditation of an organisation.
///
/// A new application (`applied`, the default), or a decision already taken (`granted` or
/// `refused`). Checks every field and lists every failing one in the 422 answer: `basis` and
/// `applied_on` are required; `granted` needs `decided_on` and `valid_from` (`valid_until`, when
/// left out, is `valid_from` + 5 years − 1 day, or + 2 years − 1 day for an organisation founded
/// less than 3 years before `applied_on`); `refused` needs `decided_on`; `decided_on` ≥
/// `applied_on`, `valid_until` ≥ `valid_from`; `department_code` is a French department.
///
/// An organisation has at most one open accreditation (applied, or granted and in force): a
/// new applied or granted one is a 409 (`open_accreditation`, naming the open one) unless the
/// open one is granted and ends within 6 months (a renewal). Updates the organisation's `esus`
/// summary.
#[utoipa::path(
    tag = "esus",
    params(("id" = Uuid, Path, description = "The organisation's id.")),
    request_body(content = CreateEsusAccreditationRequest, content_type = "application/json"),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 201, description = "Recorded; `Location` is its address.", body = EsusAccreditationResponse,
            headers(("Location" = String, description = "The address of the new accreditation."))),
        (status = 403, response = Forbidden),
        (status = 409, description = "The organisation already has an open accreditation (`open_accreditation`); \
            `detail` names it.", body = crate::http::error::Problem, content_type = "application/problem+json",
            example = json!({
                "type": "/problems/open_accreditation",
                "status": 409,
                "detail": "the organisation already has an open ESUS accreditation, 0193a1f2-9b3c-7e41-8d2a-5c6b7a8e9f10 (granted, in force until 2029-02-27); a new one can be recorded once it is refused, withdrawn or ended, or, to renew a granted one, within 6 months of its end",
                "code": "open_accreditation"
            })),
    )
)]
#[post("/organisations/{id}/esus-accreditations")]
pub async fn create_esus_accreditation(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<CreateEsusAccreditationRequest>,
) -> Result<HttpResponse, ApiError> {
    policy::require_kind(&caller, Action::Create, Resource::EsusAccreditation)?;
    let organisation_id = id.into_inner();
    let shape = body.validate();
    let draft = AccreditationDraft::from(body);
    let created = state
        .store
        .create_esus_accreditation(organisation_id, &caller.actor()?, |context, region| {
            policy::require(&caller, Action::Create, &Target::accreditation(organisation_id, region))?;
            checked(shape, NewAccreditation::parse(draft, context))
        })
        .await?;
    let location = format!("/api/v1/esus-accreditations/{}", created.id);
    Ok(etag::created(
        location,
        Tagged::of(&EsusAccreditationResponse::new(created, true))?,
    ))
}

kept_endpoint! {
    /// Get an ESUS accreditation.
    read get_esus_accreditation("/esus-accreditations/{id}") -> Placed,
    tag = "esus", id = "The accreditation's id.", signed_in,
    responses(
        (status = 200, description = "The accreditation.", body = EsusAccreditationResponse),
    )
}

/// An accreditation and the policy's view of it (its organisation's region).
async fn accreditation_and_target(state: &AppState, id: Uuid) -> Result<(Accreditation, Target), StoreError> {
    let accreditation = state.store.get_esus_accreditation(id).await?;
    let organisation = state.store.get_organisation(accreditation.organisation_id).await?;
    let target = Target::accreditation(organisation.id, &organisation.fields.region_code);
    Ok((accreditation, target))
}

/// Whether `caller` sees the notes of the accreditations of `target`'s organisation.
fn sees_confidential(caller: &Caller, target: &Target) -> bool {
    policy::sees_confidential(caller, target.region.as_deref(), target.organisation)
}

/// Change an ESUS accreditation.
///
/// A JSON merge patch (`application/merge-patch+json` or `application/json`). `status` may
/// only follow the lifecycle: `applied` → `granted` | `refused`, `granted` (in force) →
/// `withdrawn`; `refused` and `withdrawn` are final, and an `expired` one has ended. Any other
/// change of status is a 409 `illegal_transition`. The result must pass the same checks as a
/// creation (422), and may not open a second accreditation of the organisation (409
/// `open_accreditation`). Updates the organisation's `esus` summary.
#[utoipa::path(
    tag = "esus",
    params(("id" = Uuid, Path, description = "The accreditation's id.")),
    request_body(content(
        (UpdateEsusAccreditationRequest = "application/merge-patch+json"),
        (UpdateEsusAccreditationRequest = "application/json"),
    )),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "The accreditation as changed.", body = EsusAccreditationResponse),
        (status = 403, response = Forbidden),
        (status = 409, description = "A change of status the lifecycle does not allow (`illegal_transition`), \
            or a second open accreditation of the organisation (`open_accreditation`).",
            body = crate::http::error::Problem, content_type = "application/problem+json",
            examples(
                ("illegal_transition" = (summary = "A refused accreditation cannot be granted", value = json!({
                    "type": "/problems/illegal_transition",
                    "status": 409,
                    "detail": "an accreditation that is refused cannot become granted; refused is final",
                    "code": "illegal_transition"
                }))),
                ("open_accreditation" = (summary = "Another accreditation is open", value = json!({
                    "type": "/problems/open_accreditation",
                    "status": 409,
                    "detail": "the organisation already has an open ESUS accreditation, 0193a1f2-9b3c-7e41-8d2a-5c6b7a8e9f10 (applied on 2026-01-15); a new one can be recorded once it is refused, withdrawn or ended, or, to renew a granted one, within 6 months of its end",
                    "code": "open_accreditation"
                }))),
            )),
    )
)]
#[patch("/esus-accreditations/{id}")]
pub async fn update_esus_accreditation(
    caller: Caller,
    conditions: Conditions,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(patch): JsonBody<UpdateEsusAccreditationRequest>,
) -> Result<HttpResponse, ApiError> {
    policy::require_kind(&caller, Action::Update, Resource::EsusAccreditation)?;
    let shape = patch.validate();
    let updated = state
        .store
        .update_esus_accreditation(id.into_inner(), &caller.actor()?, |current, context, region| {
            policy::require(
                &caller,
                Action::Update,
                &Target::accreditation(current.organisation_id, region),
            )?;
            conditions.require_current(WHAT, || {
                Tagged::of(&EsusAccreditationResponse::new(current.clone(), true))
            })?;
            // The lifecycle first: a forbidden change of status is refused whatever the dates.
            if let Some(Some(to)) = patch.status {
                check_transition(current.fields.read_status(context.today), to).map_err(|illegal| {
                    ApiError::Conflict {
                        code: "illegal_transition",
                        detail: illegal.message(),
                        existing_id: None,
                    }
                })?;
            }
            checked(shape, NewAccreditation::parse(patch.apply_to(&current.fields), context))
        })
        .await?;
    Ok(etag::ok(Tagged::of(&EsusAccreditationResponse::new(updated, true))?))
}

kept_endpoint! {
    /// Delete an ESUS accreditation.
    ///
    /// For records made in error: the history of decisions is kept by changing the status instead.
    /// Updates the organisation's `esus` summary.
    delete delete_esus_accreditation("/esus-accreditations/{id}") -> Placed,
    tag = "esus", id = "The accreditation's id.",
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, response = Forbidden),
    )
}

/// An accreditation with its organisation's place, as the policy sees it.
#[derive(Debug, Clone)]
pub struct Placed {
    accreditation: Accreditation,
    target: Target,
}

impl Kept for Placed {
    const KIND: Resource = Resource::EsusAccreditation;
    type Shown = EsusAccreditationResponse;

    async fn load(state: &AppState, id: Uuid) -> Result<Self, ApiError> {
        let (accreditation, target) = accreditation_and_target(state, id).await?;
        Ok(Self { accreditation, target })
    }

    fn target(&self) -> Target {
        self.target.clone()
    }

    fn version(&self) -> i64 {
        self.accreditation.version
    }

    fn shown_to(self, caller: &Caller) -> EsusAccreditationResponse {
        let confidential = sees_confidential(caller, &self.target);
        EsusAccreditationResponse::new(self.accreditation, confidential)
    }

    async fn remove(state: &AppState, id: Uuid, version: i64, actor: &Actor) -> Result<(), StoreError> {
        state.store.delete_esus_accreditation(id, Some(version), actor).await
    }
}

/// How the answers name an accreditation.
const WHAT: &str = "ESUS accreditation";
