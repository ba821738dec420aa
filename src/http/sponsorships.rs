//! `/api/v1/sponsorships`: patronage (mécénat) and commercial sponsorship (parrainage) of a club,
//! an event or an organisation by an organisation, and their yearly totals.

use crate::domain::string_enum;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::auth::policy::{self, Action, ListScope};
use crate::core::Actor;
use crate::core::{Resource, Target};
use crate::domain::message::msg;
use crate::domain::sponsorship::{
    BeneficiaryType, Currency, Existing, FIRST_YEAR, LAST_YEAR, NewSponsorship, SponsorshipDraft, SponsorshipKind,
    SponsorshipStatus,
};
use crate::http::AppState;
use crate::http::confidential::Confidential;
use crate::http::csv::{Columns, ListFormat, Page};
use crate::http::error::{ApiError, checked};
use crate::http::etag::{self, Conditions, Tagged};
use crate::http::extract::{JsonBody, Query};
use crate::http::kernel::{self, Kept, Listing, kept, kept_endpoint};
use crate::http::pagination::{decode_cursor, encode_cursor, list_page, next_page, page_limit, paged};
use crate::http::patch::merge_patch;
use crate::http::responses::{BadRequest, Conflict, Forbidden};
use crate::store::sponsorships::{ListSponsorships, Referenced, Sponsorship, SponsorshipFilter, SummaryFilter};
use crate::store::{Store, StoreError};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // `summary` before `{id}`: actix tries routes in order, and "summary" is no id.
    cfg.service(summarise_sponsorships)
        .service(list_sponsorships)
        .service(create_sponsorship)
        .service(get_sponsorship)
        .service(update_sponsorship)
        .service(delete_sponsorship);
}

/// The supported record, with its name (a club's or organisation's name, an event's title).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "club",
    "id": "0193a1f3-1b2c-7e4d-8f5a-6b7c8d9e0f12",
    "name": "Club des collectivités locales pour l'ESS"
}))]
pub struct BeneficiaryResponse {
    #[serde(rename = "type")]
    pub kind: BeneficiaryType,
    pub id: Uuid,
    /// The club's or organisation's name, or the event's title; absent when the caller may not
    /// read the beneficiary itself (an event not yet published, for anonymous callers): then
    /// only its type and id are shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub name: Option<String>,
}

/// A sponsorship of the register. `amount_cents`, `counterparts_cents` and `notes` are
/// confidential: present only for administrators, the Cress managers of the beneficiary's region
/// and the sponsor's own partner accounts, absent for everybody else.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a1f4-2c3d-7f5e-9a6b-7c8d9e0f1a23",
    "sponsor_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11",
    "sponsor_name": "Mutuelle solidaire d'Occitanie",
    "beneficiary": {
        "type": "club",
        "id": "0193a1f3-1b2c-7e4d-8f5a-6b7c8d9e0f12",
        "name": "Club des collectivités locales pour l'ESS"
    },
    "kind": "financial_patronage",
    "amount_cents": 1_500_000,
    "currency": "EUR",
    "counterparts_cents": 200_000,
    "starts_on": "2026-01-01",
    "ends_on": "2026-12-31",
    "status": "active",
    "public": true,
    "agreement_reference": "CONV-2026-014",
    "notes": "Logo on the club's documents and invitations to its two days in person.",
    "created_at": "2026-11-26T09:30:00Z",
    "updated_at": "2026-11-26T09:30:00Z",
    "version": 1
}))]
pub struct SponsorshipResponse {
    pub id: Uuid,
    /// The sponsoring organisation.
    pub sponsor_id: Uuid,
    pub sponsor_name: String,
    pub beneficiary: BeneficiaryResponse,
    pub kind: SponsorshipKind,
    /// The amount given, or the valuation of what is given in kind or in skills, in cents.
    /// Confidential: present only for administrators, the Cress managers of the beneficiary's
    /// region and the sponsor's partner accounts.
    #[schema(value_type = i64, minimum = 1, maximum = 10_000_000_000_000_i64, required = false)]
    #[serde(skip_serializing_if = "Confidential::is_withheld")]
    pub amount_cents: Confidential<i64>,
    pub currency: Currency,
    /// The value of what the sponsor receives back (logo, invitations…), in cents.
    /// Confidential, like `amount_cents`.
    #[schema(value_type = i64, minimum = 0, required = false)]
    #[serde(skip_serializing_if = "Confidential::is_withheld")]
    pub counterparts_cents: Confidential<i64>,
    pub starts_on: NaiveDate,
    #[schema(required = true)]
    pub ends_on: Option<NaiveDate>,
    pub status: SponsorshipStatus,
    /// Whether the sponsorship may be shown to anonymous callers (its amounts never are).
    pub public: bool,
    #[schema(required = true)]
    pub agreement_reference: Option<String>,
    /// Confidential, like `amount_cents`.
    #[schema(value_type = Option<String>, required = false)]
    #[serde(skip_serializing_if = "Confidential::is_withheld")]
    pub notes: Confidential<Option<String>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change.
    #[schema(minimum = 1)]
    pub version: i64,
}

impl SponsorshipResponse {
    /// The sponsorship as shown to a caller who sees its confidential fields or not, and who
    /// may read its beneficiary or not.
    fn new(s: Sponsorship, confidential: bool, reads_beneficiary: bool) -> Self {
        let f = s.fields;
        Self {
            id: s.id,
            sponsor_id: f.sponsor_id,
            sponsor_name: s.sponsor_name,
            beneficiary: BeneficiaryResponse {
                kind: f.beneficiary.kind,
                id: f.beneficiary.id,
                name: reads_beneficiary.then_some(s.beneficiary_name),
            },
            kind: f.kind,
            amount_cents: Confidential::shown_if(confidential, f.amount_cents),
            currency: f.currency,
            counterparts_cents: Confidential::shown_if(confidential, f.counterparts_cents),
            starts_on: f.starts_on,
            ends_on: f.ends_on,
            status: f.status,
            public: f.public,
            agreement_reference: f.agreement_reference,
            notes: Confidential::shown_if(confidential, f.notes),
            created_at: s.created_at,
            updated_at: s.updated_at,
            version: s.version,
        }
    }
}

merge_patch! {
    /// Changes to a sponsorship (JSON merge patch, RFC 7396): a field left out stays as it is; `null`
    /// clears `ends_on`, `agreement_reference` or `notes` (the other fields cannot be cleared).
    /// `beneficiary` is merged too: `{"id": …}` alone keeps its type. The same rules as on
    /// creation apply to the result, and `status` follows the lifecycle: `proposed` → `active` →
    /// `ended`; `proposed` or `active` → `cancelled`; `ended` and `cancelled` are final (409
    /// `illegal_transition` otherwise).
    #[example = json!({"status": "ended", "notes": null})]
    pub type UpdateSponsorshipRequest = MergePatch<SponsorshipDraft>,
        kept: ["currency", "counterparts_cents", "status", "public"];
}

/// Checks a draft: `validator`'s shape errors and the domain rules (422), then, for a change,
/// the status lifecycle (409).
fn check_draft(
    current: Option<&NewSponsorship>,
    draft: SponsorshipDraft,
    existing: Existing,
) -> Result<NewSponsorship, ApiError> {
    let new = checked(draft.validate(), NewSponsorship::parse(draft, existing))?;
    if let Some(current) = current {
        current
            .status
            .check_transition(new.status)
            .map_err(|detail| ApiError::Conflict {
                code: "illegal_transition",
                detail,
                existing_id: None,
            })?;
    }
    Ok(new)
}

string_enum! {
    /// The orders a list can come in; ties are broken by id.
    #[derive(Default)]
    pub enum SponsorshipSort("sort") {
        /// Earliest start first.
        StartsOn = "starts_on",
        /// Latest start first (the default).
        #[default]
        StartsOnDesc = "-starts_on",
    }
}

/// Filters, order and page of the sponsorship list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListSponsorshipsParams {
    /// Page size, 1 to 200.
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// Where to start: the `next_cursor` of the previous page, unchanged.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
    /// Only the sponsorships of this sponsor.
    pub sponsor_id: Option<Uuid>,
    /// Only the sponsorships of this kind of beneficiary.
    pub beneficiary_type: Option<BeneficiaryType>,
    /// Only the sponsorships of this beneficiary (of `beneficiary_type` when given, else of any type).
    pub beneficiary_id: Option<Uuid>,
    pub status: Option<SponsorshipStatus>,
    pub kind: Option<SponsorshipKind>,
    /// Only the sponsorships whose period overlaps this calendar year (starting on or before
    /// 31 December and not ended before 1 January), 1900 to 2200, such as `2026`.
    #[param(minimum = 1900, maximum = 2200)]
    pub year: Option<i32>,
    /// Order of the list, by `starts_on`.
    #[param(inline)]
    pub sort: Option<SponsorshipSort>,
    /// `true` adds `total` to the page: how many sponsorships match the filters in all (one more
    /// query, which reads every matching row: on a long list it costs more than the page).
    pub count: Option<bool>,
}

list_page! {
    /// One page of sponsorships.
    SponsorshipPage of SponsorshipResponse, total: "With `count=true` only: how many sponsorships match the filters in all."
}

/// A year filter: 1900 to 2200, else a 400.
fn checked_year(year: Option<i32>) -> Result<Option<i32>, ApiError> {
    match year {
        Some(year) if !(FIRST_YEAR..=LAST_YEAR).contains(&year) => Err(ApiError::invalid_parameter(
            "year",
            msg!(
                "sponsorships-year-out-of-range",
                year = year,
                first = FIRST_YEAR,
                last = LAST_YEAR
            ),
        )),
        other => Ok(other),
    }
}

impl ListSponsorshipsParams {
    /// The query of this page; `public_only` for anonymous callers.
    fn into_query(self, public_only: bool) -> Result<(ListSponsorships, SponsorshipSort), ApiError> {
        let limit = page_limit(self.limit)?;
        let sort = self.sort.unwrap_or_default();
        let after = match &self.cursor {
            None => None,
            Some(raw) => {
                let (value, id) = decode_cursor(raw, sort.as_str())?;
                let starts_on = value
                    .parse::<NaiveDate>()
                    .map_err(|_| ApiError::bad_request("invalid_cursor", msg!("sponsorships-cursor-invalid")))?;
                Some((starts_on, id))
            }
        };
        let filter = SponsorshipFilter {
            sponsor_id: self.sponsor_id,
            beneficiary_type: self.beneficiary_type,
            beneficiary_id: self.beneficiary_id,
            status: self.status,
            kind: self.kind,
            year: checked_year(self.year)?,
            public_only,
        };
        Ok((
            ListSponsorships {
                filter,
                descending: sort == SponsorshipSort::StartsOnDesc,
                after,
                limit: limit + 1,
            },
            sort,
        ))
    }
}

/// Whose totals to compute.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SummaryParams {
    /// The sponsor's totals. Without `sponsor_id` nor `beneficiary_id`: the totals of the
    /// whole register (as far as the caller sees it).
    pub sponsor_id: Option<Uuid>,
    /// The kind of beneficiary; required with `beneficiary_id`.
    pub beneficiary_type: Option<BeneficiaryType>,
    /// The beneficiary's totals (with `beneficiary_type`).
    pub beneficiary_id: Option<Uuid>,
    /// Only the sponsorships starting in this year, 1900 to 2200, such as `2026`.
    #[param(minimum = 1900, maximum = 2200)]
    pub year: Option<i32>,
}

impl SummaryParams {
    /// The sponsorships to count; `public_only` for anonymous callers.
    fn into_filter(self, public_only: bool) -> Result<SummaryFilter, ApiError> {
        if self.beneficiary_id.is_some() && self.beneficiary_type.is_none() {
            return Err(ApiError::invalid_parameter(
                "beneficiary_type",
                msg!("sponsorships-beneficiary-type-required"),
            ));
        }
        Ok(SummaryFilter {
            sponsor_id: self.sponsor_id,
            beneficiary_type: self.beneficiary_type,
            beneficiary_id: self.beneficiary_id,
            year: checked_year(self.year)?,
            public_only,
        })
    }
}

/// The totals of one year and one kind. `count` counts every sponsorship the caller may list;
/// the amount fields are present only for callers who see amounts (administrators, Cress
/// managers, partners) and add up only the sponsorships whose amounts they see.
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryItem {
    /// The year of `starts_on`.
    #[schema(example = 2026)]
    pub year: i64,
    pub kind: SponsorshipKind,
    /// The sum of the amounts the caller sees, in cents: all of them for an administrator,
    /// those whose beneficiary is in its region for a Cress manager, those its organisation
    /// gives for a partner. Absent for anonymous callers and viewers.
    #[schema(value_type = i64, required = false)]
    #[serde(skip_serializing_if = "Confidential::is_withheld")]
    pub amount_cents: Confidential<i64>,
    /// The sum of the counterparts of the same sponsorships as `amount_cents`, in cents; absent
    /// like it.
    #[schema(value_type = i64, required = false)]
    #[serde(skip_serializing_if = "Confidential::is_withheld")]
    pub counterparts_cents: Confidential<i64>,
    /// How many sponsorships were counted: every one the caller may list (only the public ones
    /// for anonymous callers), its amounts seen or not.
    pub count: i64,
}

/// Totals in cents per year and kind, and their grand total. The amount fields are present
/// only for callers who see some amounts (administrators, Cress managers, partners) and add up
/// only the sponsorships whose amounts they see; `count` counts every sponsorship they may list.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [
        {"year": 2025, "kind": "in_kind_patronage", "amount_cents": 300_000, "counterparts_cents": 0, "count": 1},
        {"year": 2026, "kind": "financial_patronage", "amount_cents": 1_500_000, "counterparts_cents": 200_000, "count": 1}
    ],
    "total_amount_cents": 1_800_000
}))]
pub struct SponsorshipSummary {
    /// Sorted by year, then kind (alphabetically).
    pub items: Vec<SummaryItem>,
    /// The sum of every item's `amount_cents`; absent like them.
    #[schema(value_type = i64, required = false)]
    #[serde(skip_serializing_if = "Confidential::is_withheld")]
    pub total_amount_cents: Confidential<i64>,
}

/// Totals of sponsorships per year and kind.
///
/// Counts only `active` and `ended` sponsorships (a `proposed` one is not given yet, a
/// `cancelled` one never was), grouped by the year of `starts_on` and by kind: of the whole
/// register, of one sponsor (`sponsor_id`), of one beneficiary (`beneficiary_type` +
/// `beneficiary_id`) or of both; `year` keeps the sponsorships starting in that year.
/// `beneficiary_id` needs `beneficiary_type`.
///
/// Open to anonymous callers. `count` counts the sponsorships the caller may list (only the
/// public ones for anonymous callers). The amount fields (`amount_cents`,
/// `counterparts_cents`, `total_amount_cents`) are present only for callers who see amounts,
/// and add up only the sponsorships whose amounts they see: every one for an administrator,
/// those whose beneficiary is in its region for a Cress manager, those its organisation gives
/// for a partner. Anonymous callers and viewers get the counts alone.
#[utoipa::path(
    tag = "sponsorships",
    params(SummaryParams),
    security((), ("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "The totals, sorted by year then kind.", body = SponsorshipSummary),
        (status = 400, response = BadRequest),
    )
)]
#[get("/sponsorships/summary")]
pub async fn summarise_sponsorships(
    caller: Caller,
    state: web::Data<AppState>,
    Query(params): Query<SummaryParams>,
) -> Result<HttpResponse, ApiError> {
    let scope = policy::list_scope(&caller, Resource::Sponsorship)?;
    let filter = params.into_filter(scope.public_only)?;
    let rows = state.store.summarise_sponsorships(&filter, &scope.confidential).await?;
    let shown = scope.sees_some_confidential();
    let total_amount_cents = rows
        .iter()
        .try_fold(0i64, |total, row| total.checked_add(row.amount_cents))
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("sponsorship totals overflow an i64")))?;
    let items = rows
        .into_iter()
        .map(|row| SummaryItem {
            year: row.year,
            kind: row.kind,
            amount_cents: Confidential::shown_if(shown, row.amount_cents),
            counterparts_cents: Confidential::shown_if(shown, row.counterparts_cents),
            count: row.count,
        })
        .collect();
    Ok(HttpResponse::Ok().json(SponsorshipSummary {
        items,
        total_amount_cents: Confidential::shown_if(shown, total_amount_cents),
    }))
}

/// List sponsorships.
///
/// Filtered by sponsor, beneficiary (type, id, or both), status, kind and calendar year (periods
/// overlapping it); sorted by `starts_on` (latest first by default). Each item carries its
/// sponsor's name and its beneficiary's name. Pages are keyset-based: follow `next_cursor` until
/// it is `null`.
///
/// Anonymous callers list the public sponsorships only. Amounts and notes are shown only to
/// administrators, to the Cress managers of the beneficiary's region and to the sponsor's
/// partner accounts (absent otherwise).
#[utoipa::path(
    tag = "sponsorships",
    params(ListSponsorshipsParams),
    security((), ("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "One page of sponsorships.", body = SponsorshipPage),
        (status = 400, response = BadRequest),
    )
)]
#[get("/sponsorships")]
pub async fn list_sponsorships(
    caller: Caller,
    format: ListFormat,
    state: web::Data<AppState>,
    Query(params): Query<ListSponsorshipsParams>,
) -> Result<HttpResponse, ApiError> {
    let scope = policy::list_scope(&caller, Resource::Sponsorship)?;
    let columns = CSV_COLUMNS.shown(scope.sees_some_confidential());
    kernel::list(format, state, scope, columns, params).await
}

/// The columns of the sponsorship list as CSV (`beneficiary` flattened).
pub const CSV_COLUMNS: Columns = Columns {
    parts: &[&[
        "id",
        "sponsor_id",
        "sponsor_name",
        "beneficiary_type",
        "beneficiary_id",
        "beneficiary_name",
        "kind",
        "amount_cents",
        "currency",
        "counterparts_cents",
        "starts_on",
        "ends_on",
        "status",
        "public",
        "agreement_reference",
        "notes",
        "created_at",
        "updated_at",
        "version",
    ]],
    confidential: Resource::Sponsorship.confidential_keys(),
};

paged!(ListSponsorshipsParams);

/// The sponsorship list as `ListScope` shows it: the public ones only to anonymous callers,
/// confidential fields and beneficiaries' names to those who may see them.
impl Listing for ListSponsorshipsParams {
    type Scope = ListScope;
    type Page = SponsorshipPage;

    async fn count(&self, store: &Store, scope: &ListScope) -> Result<i64, ApiError> {
        let (query, _) = self.clone().into_query(scope.public_only)?;
        Ok(store.count_sponsorships(&query.filter).await?)
    }

    async fn page(self, state: web::Data<AppState>, scope: ListScope) -> Result<Page<SponsorshipResponse>, ApiError> {
        let (query, sort) = self.into_query(scope.public_only)?;
        let mut rows = state.store.list_sponsorships(&query).await?;
        let next_cursor = next_page(&mut rows, query.limit - 1, |last| {
            encode_cursor(sort.as_str(), &last.fields.starts_on.to_string(), last.id)
        });
        let items = rows
            .into_iter()
            .map(|s| {
                let confidential = scope.sees_confidential(s.beneficiary_region.as_deref(), Some(s.fields.sponsor_id));
                let reads_beneficiary = scope.reads(s.beneficiary_public);
                SponsorshipResponse::new(s, confidential, reads_beneficiary)
            })
            .collect();
        Ok((items, next_cursor))
    }
}

/// Create a sponsorship.
///
/// The sponsor must be an existing organisation and the beneficiary an existing club, event or
/// organisation other than the sponsor (422 `not_found` on `sponsor_id` or `beneficiary.id`,
/// 422 `same_as_sponsor`). `amount_cents` is 1 to 10^13; `currency` only `EUR`;
/// `counterparts_cents` 0 or more and, for the three patronage kinds (mécénat), at most 25 % of
/// the amount (422 `counterparts_over_25_percent`); `ends_on`, when given, on or after
/// `starts_on`. Every failing field is listed in the 422 answer.
///
/// For administrators; for a Cress manager when the beneficiary is in its region; for a partner
/// when `sponsor_id` is its organisation (403 otherwise).
#[utoipa::path(
    tag = "sponsorships",
    request_body(content = SponsorshipDraft, content_type = "application/json"),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 201, description = "Created; `Location` is its address.", body = SponsorshipResponse,
            headers(("Location" = String, description = "The address of the new sponsorship."))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    )
)]
#[post("/sponsorships")]
pub async fn create_sponsorship(
    caller: Caller,
    state: web::Data<AppState>,
    JsonBody(body): JsonBody<SponsorshipDraft>,
) -> Result<HttpResponse, ApiError> {
    policy::require_kind(&caller, Action::Create, Resource::Sponsorship)?;
    let created = state
        .store
        .create_sponsorship(body, &caller.actor()?, |draft, found| {
            let new = check_draft(None, draft, found.existing)?;
            policy::require(&caller, Action::Create, &target_of(&new, found))?;
            Ok::<_, ApiError>(new)
        })
        .await?;
    let location = format!("/api/v1/sponsorships/{}", created.id);
    Ok(etag::created(location, Tagged::of(&shown_to(&caller, created))?))
}

kept_endpoint! {
    /// Get a sponsorship.
    ///
    /// Anonymous callers may read the public sponsorships only (401 for the others). Amounts and
    /// notes are shown only to administrators, to the Cress managers of the beneficiary's region
    /// and to the sponsor's partner accounts (absent otherwise).
    read get_sponsorship("/sponsorships/{id}") -> Sponsorship,
    tag = "sponsorships", id = "The sponsorship's id.", anyone,
    responses(
        (status = 200, description = "The sponsorship.", body = SponsorshipResponse),
    )
}

/// Change a sponsorship.
///
/// A JSON merge patch (`application/merge-patch+json` or `application/json`): fields left out
/// stay as they are, `null` clears `ends_on`, `agreement_reference` or `notes`. The result must
/// pass every check of a creation (422), the beneficiary may change to another existing record,
/// and `status` follows its lifecycle: `proposed` → `active` → `ended`, `proposed` or `active` →
/// `cancelled`, `ended` and `cancelled` final (409 `illegal_transition` otherwise).
///
/// The caller must be allowed to change the sponsorship as it is and as it would be: a Cress
/// manager those whose beneficiary is in its region (it cannot give one to a beneficiary of
/// another region), a partner those its organisation gives (it cannot set another sponsor);
/// 403 otherwise.
#[utoipa::path(
    tag = "sponsorships",
    params(("id" = Uuid, Path, description = "The sponsorship's id.")),
    request_body(content(
        (UpdateSponsorshipRequest = "application/merge-patch+json"),
        (UpdateSponsorshipRequest = "application/json"),
    )),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "The sponsorship as changed.", body = SponsorshipResponse),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    )
)]
#[patch("/sponsorships/{id}")]
pub async fn update_sponsorship(
    caller: Caller,
    conditions: Conditions,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    patch: UpdateSponsorshipRequest,
) -> Result<HttpResponse, ApiError> {
    policy::require_kind(&caller, Action::Update, Resource::Sponsorship)?;
    let updated = state
        .store
        .update_sponsorship(
            id.into_inner(),
            &caller.actor()?,
            |current| patch.apply_to(&current.fields),
            |current, draft, found| {
                let change = || check_draft(Some(&current.fields), draft, found.existing);
                kernel::change(&caller, &conditions, current, change, |new| target_of(new, found))
            },
        )
        .await?;
    Ok(etag::ok(Tagged::of(&shown_to(&caller, updated))?))
}

kept_endpoint! {
    /// Delete a sponsorship.
    ///
    /// For administrators, the Cress managers of the beneficiary's region and the sponsor's partner
    /// accounts (403 otherwise).
    delete delete_sponsorship("/sponsorships/{id}") -> Sponsorship,
    tag = "sponsorships", id = "The sponsorship's id.",
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, response = Forbidden),
    )
}

kept! {
    Sponsorship, kind Resource::Sponsorship, load get_sponsorship, remove delete_sponsorship,
    target |sponsorship| sponsorship.target(),
    shown |sponsorship, caller| -> SponsorshipResponse { shown_to(caller, sponsorship) },
}

/// A sponsorship to be written as the policy sees it, with its beneficiary's region as looked
/// up for the check of the draft.
fn target_of(new: &NewSponsorship, found: Referenced<'_>) -> Target {
    Target::sponsorship(new.sponsor_id, found.beneficiary_region, new.public)
}

/// The beneficiary of a sponsorship as the policy sees it, for reading.
fn beneficiary_target(sponsorship: &Sponsorship) -> Target {
    let region = sponsorship.beneficiary_region.as_deref();
    match sponsorship.fields.beneficiary.kind {
        BeneficiaryType::Event => Target::event(region, sponsorship.beneficiary_public),
        BeneficiaryType::Club => Target::club(region.unwrap_or_default()),
        BeneficiaryType::Organisation => {
            Target::organisation(sponsorship.fields.beneficiary.id, region.unwrap_or_default())
        }
    }
}

/// The sponsorship with the confidential fields `caller` may see.
fn shown_to(caller: &Caller, sponsorship: Sponsorship) -> SponsorshipResponse {
    let confidential = policy::sees_confidential(
        caller,
        sponsorship.beneficiary_region.as_deref(),
        Some(sponsorship.fields.sponsor_id),
    );
    let reads_beneficiary = policy::reads(caller, &beneficiary_target(&sponsorship));
    SponsorshipResponse::new(sponsorship, confidential, reads_beneficiary)
}
