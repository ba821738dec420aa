//! `/api/v1/clients`: machine clients (partner information systems) and their credentials, for
//! administrators only. A secret is shown once, when it is made, and stored as a digest.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};

use crate::core::Actor;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::auth::password::{random_bytes, random_token, secret_digest};
use crate::auth::policy::{self, Action};
use crate::core::Resource;
use crate::core::Target;
use crate::core::role::RoleName;
use crate::domain::codes::RegionCodeSchema;
use crate::domain::text::clean_text;
use crate::domain::{Violations, missing};
use crate::http::AppState;
use crate::http::csv::{Columns, ListFormat, Page};
use crate::http::error::ApiError;
use crate::http::etag::{self, Conditions, Tagged};
use crate::http::extract::{JsonBody, Query, present};
use crate::http::kernel::{self, Kept, Listing, kept, kept_endpoint};
use crate::http::pagination::{encode_cursor, list_page, next_page, paged};
use crate::http::responses::{BadRequest, Forbidden};
use crate::http::users::{RolePatch, accounts, accounts_page, check_role, patched_active, role_columns};
use crate::store::Store;
use crate::store::StoreError;
use crate::store::clients::{ApiClient, ApiClientFields};

/// Longest client name.
pub const NAME_MAX: usize = 200;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_clients)
        .service(create_client)
        .service(get_client)
        .service(update_client)
        .service(delete_client)
        .service(renew_client_secret);
}

/// A machine client: it gets access tokens with the OAuth 2.0 client-credentials grant.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e13",
    "client_id": "cli_3kTz8qLmV0aN4xWb",
    "name": "SI de la Mutuelle solidaire",
    "role": "partner",
    "region_code": null,
    "organisation_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11",
    "active": true,
    "created_at": "2026-11-26T09:30:00Z",
    "updated_at": "2026-11-26T09:30:00Z",
    "version": 1
}))]
pub struct ApiClientResponse {
    pub id: Uuid,
    /// The `client_id` of the client-credentials grant.
    pub client_id: String,
    pub name: String,
    pub role: RoleName,
    #[schema(required = true, value_type = Option<RegionCodeSchema>)]
    pub region_code: Option<String>,
    #[schema(required = true)]
    pub organisation_id: Option<Uuid>,
    /// An inactive client gets no token.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(minimum = 1)]
    pub version: i64,
}

impl From<ApiClient> for ApiClientResponse {
    fn from(c: ApiClient) -> Self {
        Self {
            id: c.id,
            client_id: c.client_id,
            name: c.fields.name,
            role: c.fields.role,
            region_code: c.fields.region_code,
            organisation_id: c.fields.organisation_id,
            active: c.fields.active,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

/// A client with its secret: answered once, when the secret is made. Keep the secret now; it
/// cannot be read again (renew it if it is lost).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e13",
    "client_id": "cli_3kTz8qLmV0aN4xWb",
    "client_secret": "q0vJb0m1Yc8mZ8b2ZJ8j3c1W6oYp1rQ9x5kT2nL4s7E",
    "name": "SI de la Mutuelle solidaire",
    "role": "partner",
    "region_code": null,
    "organisation_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11",
    "active": true,
    "created_at": "2026-11-26T09:30:00Z",
    "updated_at": "2026-11-26T09:30:00Z",
    "version": 1
}))]
pub struct ApiClientWithSecret {
    #[serde(flatten)]
    pub client: ApiClientResponse,
    /// The client secret, shown this once.
    pub client_secret: String,
}

/// A new machine client. A `cress_manager` needs `region_code`, a `partner` an existing
/// `organisation_id`; the other roles take neither.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "SI de la Mutuelle solidaire",
    "role": "viewer"
}))]
pub struct CreateApiClientRequest {
    /// 1 to 200 characters.
    #[schema(required = true, value_type = String, min_length = 1, max_length = 200)]
    #[serde(default)]
    pub name: Option<String>,
    #[schema(required = true, value_type = RoleName)]
    #[serde(default)]
    pub role: Option<RoleName>,
    #[schema(value_type = Option<RegionCodeSchema>)]
    #[serde(default)]
    pub region_code: Option<String>,
    #[serde(default)]
    pub organisation_id: Option<Uuid>,
    /// `true` when left out.
    #[serde(default)]
    pub active: Option<bool>,
}

/// Changes to a client (JSON merge patch).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct UpdateApiClientRequest {
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    #[serde(default, deserialize_with = "present")]
    pub name: Option<Option<String>>,
    #[schema(value_type = RoleName)]
    #[serde(default, deserialize_with = "present")]
    pub role: Option<Option<RoleName>>,
    #[schema(value_type = Option<RegionCodeSchema>)]
    #[serde(default, deserialize_with = "present")]
    pub region_code: Option<Option<String>>,
    #[schema(value_type = Option<Uuid>)]
    #[serde(default, deserialize_with = "present")]
    pub organisation_id: Option<Option<Uuid>>,
    #[schema(value_type = bool)]
    #[serde(default, deserialize_with = "present")]
    pub active: Option<Option<bool>>,
}

/// Filters and page of the client list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListApiClientsParams {
    /// Page size, 1 to 200.
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page, unchanged.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
    pub role: Option<RoleName>,
    pub active: Option<bool>,
    /// `true` adds `total` to the page: how many clients match the filters in all (one more
    /// query, which reads every matching row: on a long list it costs more than the page).
    pub count: Option<bool>,
}

list_page! {
    /// One page of clients, by name.
    ApiClientPage of ApiClientResponse, total: "With `count=true` only: how many clients match the filters in all."
}

fn check_name(raw: Option<String>, errors: &mut Violations) -> Option<String> {
    let Some(raw) = raw else {
        errors.refuse("name", missing());
        return None;
    };
    match clean_text(&raw, NAME_MAX, "name") {
        Ok(name) => Some(name),
        Err(invalid) => {
            errors.refuse("name", invalid);
            None
        }
    }
}

/// A new client id: `cli_` and 16 random URL-safe characters.
pub fn new_client_id() -> String {
    format!("cli_{}", URL_SAFE_NO_PAD.encode(random_bytes::<12>()))
}

/// Makes a client with a fresh id and secret; used by the endpoint and by `cress-api client create`.
pub async fn create_api_client(
    store: &Store,
    fields: &ApiClientFields,
    actor: &Actor,
) -> Result<(ApiClient, String), ApiError> {
    let secret = random_token();
    let client = store
        .create_api_client(&new_client_id(), &secret_digest(&secret), fields, actor)
        .await?;
    Ok((client, secret))
}

/// List API clients.
///
/// Administrators only. Sorted by name; filtered by role and active flag.
#[utoipa::path(
    tag = "clients",
    params(ListApiClientsParams),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "One page of clients.", body = ApiClientPage),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
    )
)]
#[get("/clients")]
pub async fn list_clients(
    caller: Caller,
    format: ListFormat,
    state: web::Data<AppState>,
    Query(params): Query<ListApiClientsParams>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::Read, &Target::api_clients())?;
    kernel::list(format, state, (), CSV_COLUMNS.shown(false), params).await
}

/// The columns of the client list as CSV.
pub const CSV_COLUMNS: Columns = Columns {
    parts: &[
        &["id", "client_id"],
        ApiClientFields::NAMES,
        &["created_at", "updated_at", "version"],
    ],
    confidential: &[],
};

paged!(ListApiClientsParams);

impl Listing for ListApiClientsParams {
    type Scope = ();
    type Page = ApiClientPage;

    async fn count(&self, store: &Store, _: &()) -> Result<i64, ApiError> {
        Ok(store.count_api_clients(&accounts(self.role, self.active)).await?)
    }

    async fn page(self, state: web::Data<AppState>, _: ()) -> Result<Page<ApiClientResponse>, ApiError> {
        let (query, limit) = accounts_page(accounts(self.role, self.active), self.cursor, self.limit, "name")?;
        let mut rows = state.store.list_api_clients(&query).await?;
        let next_cursor = next_page(&mut rows, limit, |last| {
            encode_cursor("name", &last.fields.name, last.id)
        });
        Ok((rows.into_iter().map(ApiClientResponse::from).collect(), next_cursor))
    }
}

/// Create an API client.
///
/// Administrators only. The answer holds the `client_secret`, shown this once and stored as a
/// digest only. The client gets tokens from `POST /api/v1/auth/token` with
/// `grant_type=client_credentials`.
#[utoipa::path(
    tag = "clients",
    request_body(content = CreateApiClientRequest, content_type = "application/json"),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 201, description = "Created, with its secret; `Location` is its address.", body = ApiClientWithSecret,
            headers(("Location" = String, description = "The address of the new client."))),
        (status = 403, response = Forbidden),
    )
)]
#[post("/clients")]
pub async fn create_client(
    caller: Caller,
    state: web::Data<AppState>,
    JsonBody(body): JsonBody<CreateApiClientRequest>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::Create, &Target::api_clients())?;
    let mut errors = Violations::default();
    let name = check_name(body.name, &mut errors);
    let role = check_role(&state, body.role, body.region_code, body.organisation_id, &mut errors).await?;
    let (Some(name), Some(role)) = (name, role) else {
        return Err(errors.into());
    };
    let (role, region_code, organisation_id) = role_columns(&role);
    let fields = ApiClientFields {
        name,
        role,
        region_code,
        organisation_id,
        active: body.active.unwrap_or(true),
    };
    let (client, secret) = create_api_client(&state.store, &fields, &caller.actor()?).await?;
    tracing::info!(api_client.id = %client.id, by = caller.subject().unwrap_or_default(), "API client created");
    // The tag of the client as GET shows it (without the secret), for a later If-Match.
    let tagged = Tagged::of(&ApiClientResponse::from(client.clone()))?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/clients/{}", client.id)))
        .insert_header((header::ETAG, tagged.etag()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(ApiClientWithSecret {
            client: client.into(),
            client_secret: secret,
        }))
}

kept_endpoint! {
    /// Get an API client (without its secret).
    ///
    /// Administrators only.
    read get_client("/clients/{id}") -> ApiClient,
    tag = "clients", id = "The client's id (not its client_id).", signed_in,
    responses(
        (status = 200, description = "The client.", body = ApiClientResponse),
        (status = 403, response = Forbidden),
    )
}

/// Change an API client.
///
/// Administrators only. A JSON merge patch; the result must pass the checks of a creation. A
/// deactivated client gets no new token (tokens already issued expire on their own).
#[utoipa::path(
    tag = "clients",
    params(("id" = Uuid, Path, description = "The client's id.")),
    request_body(content(
        (UpdateApiClientRequest = "application/merge-patch+json"),
        (UpdateApiClientRequest = "application/json"),
    )),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "The client as changed.", body = ApiClientResponse),
        (status = 403, response = Forbidden),
    )
)]
#[patch("/clients/{id}")]
pub async fn update_client(
    caller: Caller,
    conditions: Conditions,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(patch): JsonBody<UpdateApiClientRequest>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::Update, &Target::api_clients())?;
    let id = id.into_inner();
    let mut checked = Violations::default();
    let role_patch = RolePatch {
        role: patch.role,
        region_code: patch.region_code.clone(),
        organisation_id: patch.organisation_id,
    };
    role_patch.check_organisation(&state, &mut checked).await?;
    // Computed from the client as read by the compare-and-set update.
    let change = |current: &ApiClient| -> Result<ApiClientFields, ApiError> {
        conditions.require_current(WHAT, || Tagged::of(&ApiClientResponse::from(current.clone())))?;
        let mut errors = checked.clone();
        let name = match patch.name.clone() {
            Some(name) => check_name(name, &mut errors),
            None => Some(current.fields.name.clone()),
        };
        let f = &current.fields;
        let role = role_patch.apply(f.role, &f.region_code, f.organisation_id, &mut errors);
        let active = patched_active(patch.active, f.active, &mut errors);
        let (Some(name), Some(role), Some(active), true) = (name, role, active, errors.is_empty()) else {
            return Err(errors.into());
        };
        let (role, region_code, organisation_id) = role_columns(&role);
        Ok(ApiClientFields {
            name,
            role,
            region_code,
            organisation_id,
            active,
        })
    };
    let updated = state.store.update_api_client(id, &caller.actor()?, change).await?;
    tracing::info!(api_client.id = %id, by = caller.subject().unwrap_or_default(), "API client changed");
    Ok(etag::ok(Tagged::of(&ApiClientResponse::from(updated))?))
}

/// Renew an API client's secret.
///
/// Administrators only. The old secret stops working at once; the answer holds the new one,
/// shown this once.
#[utoipa::path(
    tag = "clients",
    params(("id" = Uuid, Path, description = "The client's id.")),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "The client with its new secret.", body = ApiClientWithSecret),
        (status = 403, response = Forbidden),
    )
)]
#[post("/clients/{id}/secret")]
pub async fn renew_client_secret(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::Update, &Target::api_clients())?;
    let id = id.into_inner();
    let secret = random_token();
    let client = state
        .store
        .replace_api_client_secret(id, &secret_digest(&secret), &caller.actor()?)
        .await?;
    tracing::info!(api_client.id = %id, by = caller.subject().unwrap_or_default(), "API client secret renewed");
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(ApiClientWithSecret {
            client: client.into(),
            client_secret: secret,
        }))
}

kept_endpoint! {
    /// Delete an API client.
    ///
    /// Administrators only. It gets no new token (tokens already issued expire on their own).
    delete delete_client("/clients/{id}") -> ApiClient,
    tag = "clients", id = "The client's id.",
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, response = Forbidden),
    )
}

kept! {
    ApiClient, kind Resource::ApiClient, load get_api_client, remove delete_api_client,
    target |_client| Target::api_clients(),
    shown |client, _caller| -> ApiClientResponse { ApiClientResponse::from(client) },
}

/// How the answers name an API client.
const WHAT: &str = "API client";
