//! `/api/v1/organisations`: the ESS structures and the other bodies of the network.

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
use crate::domain::codes::RegionCodeSchema;
use crate::domain::esus::EsusReadStatus;
use crate::domain::message::{Message, msg};
use crate::domain::organisation::{Category, OrganisationDraft, OrganisationFields};
use crate::domain::text::search_key;
use crate::domain::{CommuneCode, PostalCode};
use crate::http::AppState;
use crate::http::confidential::Confidential;
use crate::http::csv::{Columns, ListFormat, Page};
use crate::http::error::{ApiError, Problem, checked};
use crate::http::esus::EsusSummaryResponse;
use crate::http::etag::{self, Conditions, Tagged};
use crate::http::extract::{JsonBody, Query};
use crate::http::kernel::{self, Kept, Listing, kept, kept_endpoint};
use crate::http::pagination::{decode_cursor, encode_cursor, list_page, next_page, page_limit, paged};
use crate::http::patch::merge_patch;
use crate::http::responses::{BadRequest, Conflict, Forbidden};
use crate::store::organisations::{After, EsusFilter, ListOrganisations, Organisation, OrganisationFilter, SortKey};
use crate::store::today;
use crate::store::{Store, StoreError};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_organisations)
        .service(create_organisation)
        .service(get_organisation)
        .service(update_organisation)
        .service(delete_organisation);
}

/// An organisation of the register.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11",
    "name": "Mutuelle solidaire d'Occitanie",
    "category": "mutual",
    "is_ess": true,
    "siren": "775672272",
    "siret": null,
    "rna": null,
    "legal_category_code": "8210",
    "region_code": "76",
    "street": "12 rue de la Loge",
    "postal_code": "34000",
    "city": "Montpellier",
    "commune_code": "34172",
    "website": "https://www.mutuelle-solidaire.example/",
    "email": "contact@mutuelle-solidaire.example",
    "phone": "04 67 00 00 00",
    "description": "Mutuelle santé de l'ESS, partenaire du club des collectivités.",
    "founded_on": "1947-03-01",
    "esus": {"status": "granted", "valid_until": "2029-02-27"},
    "created_at": "2026-11-26T09:30:00Z",
    "updated_at": "2026-11-26T09:30:00Z",
    "version": 1
}))]
pub struct OrganisationResponse {
    pub id: Uuid,
    pub name: String,
    pub category: Category,
    /// Whether the organisation belongs to the ESS, derived from its category.
    pub is_ess: bool,
    #[schema(required = true, pattern = "^[0-9]{9}$")]
    pub siren: Option<String>,
    #[schema(required = true, pattern = "^[0-9]{14}$")]
    pub siret: Option<String>,
    #[schema(required = true)]
    pub rna: Option<String>,
    #[schema(required = true, pattern = "^[1-9][0-9]{3}$")]
    pub legal_category_code: Option<String>,
    #[schema(value_type = RegionCodeSchema)]
    pub region_code: String,
    #[schema(required = true)]
    pub street: Option<String>,
    #[schema(required = true)]
    pub postal_code: Option<String>,
    #[schema(required = true)]
    pub city: Option<String>,
    #[schema(required = true)]
    pub commune_code: Option<String>,
    #[schema(required = true, format = "uri")]
    pub website: Option<String>,
    /// Contact e-mail. Confidential: present only for administrators, the Cress managers of its
    /// region and the organisation's own partner accounts.
    #[schema(value_type = Option<String>, format = Email, required = false)]
    #[serde(skip_serializing_if = "Confidential::is_withheld")]
    pub email: Confidential<Option<String>>,
    /// Contact phone. Confidential, like `email`.
    #[schema(value_type = Option<String>, required = false)]
    #[serde(skip_serializing_if = "Confidential::is_withheld")]
    pub phone: Confidential<Option<String>>,
    #[schema(required = true)]
    pub description: Option<String>,
    #[schema(required = true)]
    pub founded_on: Option<NaiveDate>,
    /// Read-only: the status and end of validity of its latest ESUS accreditation, or `null`
    /// when it has none. Changed through `/organisations/{id}/esus-accreditations` only.
    #[schema(required = true)]
    pub esus: Option<EsusSummaryResponse>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change.
    #[schema(minimum = 1)]
    pub version: i64,
}

impl OrganisationResponse {
    /// The organisation as shown to a caller who sees its confidential fields or not.
    fn new(o: Organisation, confidential: bool) -> Self {
        let esus = o.esus(today()).map(EsusSummaryResponse::from);
        let f = o.fields;
        Self {
            id: o.id,
            is_ess: f.category.is_ess(),
            name: f.name,
            category: f.category,
            siren: f.siren,
            siret: f.siret,
            rna: f.rna,
            legal_category_code: f.legal_category_code,
            region_code: f.region_code,
            street: f.street,
            postal_code: f.postal_code,
            city: f.city,
            commune_code: f.commune_code,
            website: f.website,
            email: Confidential::shown_if(confidential, f.email),
            phone: Confidential::shown_if(confidential, f.phone),
            description: f.description,
            founded_on: f.founded_on,
            esus,
            created_at: o.created_at,
            updated_at: o.updated_at,
            version: o.version,
        }
    }
}

merge_patch! {
    /// Changes to an organisation (JSON merge patch, RFC 7396): a field left out stays as it is;
    /// `null` clears an optional field (`name`, `category` and `region_code` cannot be cleared).
    /// The same rules as on creation apply to the result.
    #[example = json!({"city": "Lodève", "postal_code": "34700", "commune_code": "34142", "phone": null})]
    pub type UpdateOrganisationRequest = MergePatch<OrganisationDraft>, kept: [];
}

/// Checks a draft: `validator`'s shape errors, then the domain rules.
pub(crate) fn check_draft(draft: OrganisationDraft) -> Result<OrganisationFields, ApiError> {
    checked(
        draft.validate(),
        OrganisationFields::parse(draft, Utc::now().date_naive()),
    )
}

string_enum! {
    /// The orders a list can come in; a leading `-` reverses it. Ties are broken by id.
    #[derive(Default)]
    pub enum OrganisationSort("sort") {
        /// By name, ignoring case and accents (the default).
        #[default]
        Name = "name",
        NameDesc = "-name",
        /// Oldest first.
        CreatedAt = "created_at",
        /// Newest first.
        CreatedAtDesc = "-created_at",
    }
}

impl OrganisationSort {
    fn key(self) -> (SortKey, bool) {
        match self {
            Self::Name => (SortKey::Name, false),
            Self::NameDesc => (SortKey::Name, true),
            Self::CreatedAt => (SortKey::CreatedAt, false),
            Self::CreatedAtDesc => (SortKey::CreatedAt, true),
        }
    }
}

/// Filters, order and page of the organisation list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListOrganisationsParams {
    /// Page size, 1 to 200.
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// Where to start: the `next_cursor` of the previous page, unchanged.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
    /// Only organisations of this region.
    #[param(value_type = Option<RegionCodeSchema>)]
    pub region_code: Option<String>,
    /// Only organisations of this category.
    pub category: Option<Category>,
    /// Only ESS organisations (`true`) or only the others (`false`).
    pub is_ess: Option<bool>,
    /// Only the organisation with this SIREN (spaces between the digits allowed, as on creation).
    #[param(pattern = "^[ \\u00a0\\u202f]*(?:[0-9][ \\u00a0\\u202f]*){9}$")]
    pub siren: Option<String>,
    /// Words the name contains, ignoring case, accents and punctuation (`lodeve` finds « Lodève »);
    /// a `q` of punctuation only matches nothing.
    #[param(min_length = 1, max_length = 200)]
    pub q: Option<String>,
    /// Only organisations whose ESUS summary (their latest accreditation) reads so today:
    /// `granted` is in force (its `valid_until` is today or later), `expired` is granted but
    /// ended; `none` is no accreditation at all.
    #[param(inline)]
    pub esus_status: Option<EsusStatusFilter>,
    /// Only organisations whose latest accreditation is granted and ends before this date
    /// (expired ones included): those to remind to renew. Add `esus_status=granted` to keep the
    /// ones still in force. For example `2027-06-30`.
    pub esus_valid_until_before: Option<NaiveDate>,
    /// Order of the list.
    #[param(inline)]
    pub sort: Option<OrganisationSort>,
    /// `true` adds `total` to the page: how many organisations match the filters in all (one
    /// more query, which reads every matching row: on a long list it costs more than the page).
    pub count: Option<bool>,
}

/// The ESUS summary an organisation must show: a status as read today, or `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EsusStatusFilter {
    Applied,
    Granted,
    Expired,
    Refused,
    Withdrawn,
    None,
}

impl From<EsusStatusFilter> for EsusFilter {
    fn from(filter: EsusStatusFilter) -> Self {
        match filter {
            EsusStatusFilter::Applied => Self::Is(EsusReadStatus::Applied),
            EsusStatusFilter::Granted => Self::Is(EsusReadStatus::Granted),
            EsusStatusFilter::Expired => Self::Is(EsusReadStatus::Expired),
            EsusStatusFilter::Refused => Self::Is(EsusReadStatus::Refused),
            EsusStatusFilter::Withdrawn => Self::Is(EsusReadStatus::Withdrawn),
            EsusStatusFilter::None => Self::None,
        }
    }
}

list_page! {
    /// One page of organisations.
    OrganisationPage of OrganisationResponse, total: "With `count=true` only: how many organisations match the filters in all."
}

impl ListOrganisationsParams {
    fn into_query(self) -> Result<(ListOrganisations, OrganisationSort), ApiError> {
        let bad = |name: &str, why: Message| ApiError::invalid_parameter(name, why);
        let limit = page_limit(self.limit)?;
        let sort = self.sort.unwrap_or_default();
        let (key, descending) = sort.key();
        let after = match &self.cursor {
            None => None,
            Some(raw) => {
                let (value, id) = decode_cursor(raw, sort.as_str())?;
                Some(match key {
                    SortKey::Name => After::Name(value, id),
                    SortKey::CreatedAt => {
                        let at = DateTime::parse_from_rfc3339(&value).map_err(|_| {
                            ApiError::bad_request("invalid_cursor", msg!("organisations-cursor-invalid"))
                        })?;
                        After::CreatedAt(at.with_timezone(&Utc), id)
                    }
                })
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
        let siren = match self.siren {
            Some(siren) => Some(
                crate::domain::identifiers::Siren::parse(&siren)
                    .map_err(|e| bad("siren", e.message))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        let name_contains = match self.q {
            Some(q) if q.is_empty() => return Err(bad("q", msg!("organisations-q-empty"))),
            Some(q) if q.chars().count() > 200 => {
                return Err(bad("q", msg!("organisations-q-too-long", max = 200_usize)));
            }
            Some(q) => Some(search_key(&q)),
            None => None,
        };
        let filter = OrganisationFilter {
            region_code,
            category: self.category,
            is_ess: self.is_ess,
            siren,
            name_contains,
            esus_status: self.esus_status.map(EsusFilter::from),
            esus_valid_until_before: self.esus_valid_until_before,
        };
        Ok((
            ListOrganisations {
                filter,
                sort: key,
                descending,
                after,
                limit: limit + 1,
            },
            sort,
        ))
    }
}

/// List organisations.
///
/// Filtered by region, category, ESS membership, SIREN, a search in names, and the ESUS summary
/// (`esus_status`, `esus_valid_until_before`: the accreditations to renew); sorted by name
/// (default) or creation date. Pages are keyset-based: follow `next_cursor` until it is `null`.
#[utoipa::path(
    tag = "organisations",
    params(ListOrganisationsParams),
    security((), ("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "One page of organisations.", body = OrganisationPage),
        (status = 400, response = BadRequest),
    )
)]
#[get("/organisations")]
pub async fn list_organisations(
    caller: Caller,
    format: ListFormat,
    state: web::Data<AppState>,
    Query(params): Query<ListOrganisationsParams>,
) -> Result<HttpResponse, ApiError> {
    let scope = policy::list_scope(&caller, Resource::Organisation)?;
    let columns = CSV_COLUMNS.shown(scope.sees_some_confidential());
    kernel::list(format, state, scope, columns, params).await
}

/// The columns of the organisation list as CSV (`esus` flattened into two columns).
pub const CSV_COLUMNS: Columns = Columns {
    parts: &[&[
        "id",
        "name",
        "category",
        "is_ess",
        "siren",
        "siret",
        "rna",
        "legal_category_code",
        "region_code",
        "street",
        "postal_code",
        "city",
        "commune_code",
        "website",
        "email",
        "phone",
        "description",
        "founded_on",
        "esus_status",
        "esus_valid_until",
        "created_at",
        "updated_at",
        "version",
    ]],
    confidential: Resource::Organisation.confidential_keys(),
};

paged!(ListOrganisationsParams);

/// The organisation list, its confidential fields shown as `ListScope` says.
impl Listing for ListOrganisationsParams {
    type Scope = ListScope;
    type Page = OrganisationPage;

    async fn count(&self, store: &Store, _: &ListScope) -> Result<i64, ApiError> {
        let (query, _) = self.clone().into_query()?;
        Ok(store.count_organisations(&query.filter).await?)
    }

    async fn page(self, state: web::Data<AppState>, scope: ListScope) -> Result<Page<OrganisationResponse>, ApiError> {
        let (query, sort) = self.into_query()?;
        let mut rows = state.store.list_organisations(&query).await?;
        let next_cursor = next_page(&mut rows, query.limit - 1, |last| match last.position(query.sort) {
            After::Name(key, id) => encode_cursor(sort.as_str(), &key, id),
            After::CreatedAt(at, id) => encode_cursor(sort.as_str(), &at.to_rfc3339(), id),
        });
        let items = rows
            .into_iter()
            .map(|o| {
                let confidential = scope.sees_confidential(Some(&o.fields.region_code), Some(o.id));
                OrganisationResponse::new(o, confidential)
            })
            .collect();
        Ok((items, next_cursor))
    }
}

/// Create an organisation.
///
/// Checks every field (SIREN/SIRET check digits, RNA format, region, postal and commune codes,
/// category against legal category, e-mail, URL, lengths) and lists every failing field in the
/// 422 answer. A SIREN, SIRET or RNA that another organisation holds is a 409.
#[utoipa::path(
    tag = "organisations",
    request_body(content = OrganisationDraft, content_type = "application/json"),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 201, description = "Created; `Location` is its address.", body = OrganisationResponse,
            headers(("Location" = String, description = "The address of the new organisation."))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    )
)]
#[post("/organisations")]
pub async fn create_organisation(
    caller: Caller,
    state: web::Data<AppState>,
    JsonBody(body): JsonBody<OrganisationDraft>,
) -> Result<HttpResponse, ApiError> {
    policy::require_kind(&caller, Action::Create, Resource::Organisation)?;
    let new = check_draft(body)?;
    policy::require(
        &caller,
        Action::Create,
        &Target::organisation(Uuid::nil(), &new.region_code),
    )?;
    let created = state.store.create_organisation(&new, &caller.actor()?).await?;
    let location = format!("/api/v1/organisations/{}", created.id);
    Ok(etag::created(location, Tagged::of(&shown_to(&caller, created))?))
}

kept_endpoint! {
    /// Get an organisation.
    read get_organisation("/organisations/{id}") -> Organisation,
    tag = "organisations", id = "The organisation's id.", anyone,
    responses(
        (status = 200, description = "The organisation.", body = OrganisationResponse),
    )
}

/// Change an organisation.
///
/// A JSON merge patch (`application/merge-patch+json` or `application/json`): fields left out
/// stay as they are, `null` clears an optional field. The result must pass the same checks as a
/// creation. `esus` is read-only: it follows the organisation's ESUS accreditations.
#[utoipa::path(
    tag = "organisations",
    params(("id" = Uuid, Path, description = "The organisation's id.")),
    request_body(content(
        (UpdateOrganisationRequest = "application/merge-patch+json"),
        (UpdateOrganisationRequest = "application/json"),
    )),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "The organisation as changed.", body = OrganisationResponse),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    )
)]
#[patch("/organisations/{id}")]
pub async fn update_organisation(
    caller: Caller,
    conditions: Conditions,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    patch: UpdateOrganisationRequest,
) -> Result<HttpResponse, ApiError> {
    policy::require_kind(&caller, Action::Update, Resource::Organisation)?;
    let updated = state
        .store
        .update_organisation(id.into_inner(), &caller.actor()?, |current| {
            let change = || check_draft(patch.apply_to(&current.fields)?);
            let target = |new: &OrganisationFields| Target::organisation(current.id, &new.region_code);
            let new = kernel::change(&caller, &conditions, current, change, target)?;
            policy::require_fields(
                &caller,
                Resource::Organisation,
                &changed_register_fields(&current.fields, &new),
            )?;
            // The places the change names anew, with their regions (checked codes: they parse).
            let changed =
                |new: &Option<String>, current: &Option<String>| if new == current { None } else { new.clone() };
            let postal_region = changed(&new.postal_code, &current.fields.postal_code)
                .map(|code| PostalCode::parse(&code).ok().and_then(|p| p.region()));
            let commune_region = changed(&new.commune_code, &current.fields.commune_code)
                .map(|code| CommuneCode::parse(&code).ok().and_then(|c| c.region()));
            let places: Vec<(&str, Option<&str>)> =
                [("postal_code", &postal_region), ("commune_code", &commune_region)]
                    .into_iter()
                    .filter_map(|(field, region)| region.as_ref().map(|r| (field, r.as_ref().map(|r| r.as_str()))))
                    .collect();
            policy::require_places_in_region(&caller, Resource::Organisation, &new.region_code, &places)?;
            Ok::<_, ApiError>(new)
        })
        .await?;
    Ok(etag::ok(Tagged::of(&shown_to(&caller, updated))?))
}

/// Which of the policy's [`policy::REGISTER_FIELDS`] an update changes.
fn changed_register_fields(current: &OrganisationFields, new: &OrganisationFields) -> Vec<&'static str> {
    let changes = [
        current.region_code != new.region_code,
        current.siren != new.siren,
        current.siret != new.siret,
        current.rna != new.rna,
        current.category != new.category,
        current.legal_category_code != new.legal_category_code,
    ];
    policy::REGISTER_FIELDS
        .into_iter()
        .zip(changes)
        .filter_map(|(field, changed)| changed.then_some(field))
        .collect()
}

kept_endpoint! {
    /// Delete an organisation.
    ///
    /// Refused with a 409 (`in_use`) while records still reference it (ESUS accreditations, club
    /// memberships, events, sponsorships…); `detail` names them.
    delete delete_organisation("/organisations/{id}") -> Organisation,
    tag = "organisations", id = "The organisation's id.",
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, response = Forbidden),
        (status = 409, description = "Still referenced (`in_use`); `detail` says by what.", body = Problem,
            content_type = "application/problem+json",
            example = json!({
                "type": "/problems/in_use",
                "status": 409,
                "detail": "this organisation cannot be deleted: it is still referenced by 2 ESUS accreditations",
                "code": "in_use"
            })),
    )
}

kept! {
    Organisation, kind Resource::Organisation, load get_organisation, remove delete_organisation,
    target |organisation| organisation.target(),
    shown |organisation, caller| -> OrganisationResponse { shown_to(caller, organisation) },
}

/// The organisation with the confidential fields `caller` may see.
fn shown_to(caller: &Caller, organisation: Organisation) -> OrganisationResponse {
    let confidential = policy::sees_confidential(caller, Some(&organisation.fields.region_code), Some(organisation.id));
    OrganisationResponse::new(organisation, confidential)
}
