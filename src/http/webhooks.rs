//! `/api/v1/webhooks`: subscriptions of partner systems to the register's changes, delivered as
//! signed HTTP calls (`http::delivery`) instead of polled from `GET /api/v1/changes`.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::auth::policy;
use crate::core::role::RoleName;
use crate::core::{Denial, Resource};
use crate::domain::codes::RegionCodeSchema;
use crate::domain::message::msg;
use crate::domain::text::clean_text;
use crate::domain::{Invalid, Violations, missing};
use crate::http::AppState;
use crate::http::changes::{decode_position, encode_position};
use crate::http::csv::{Columns, ListFormat, Page};
use crate::http::delivery::{self, new_secret};
use crate::http::error::ApiError;
use crate::http::etag::{self, Conditions, Tagged};
use crate::http::extract::{JsonBody, Query, present};
use crate::http::kernel::{self, Listing};
use crate::http::pagination::{decode_cursor, encode_cursor, list_page, next_page, page_limit, paged};
use crate::http::responses::{BadRequest, Conflict, Forbidden};
use crate::store::changes::ChangeAction;
use crate::store::webhooks::{DELIVERIES_KEPT, Delivery, ListWebhooks, Owner, Webhook, WebhookFields};
use crate::store::{Store, StoreError, now};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_webhooks)
        .service(create_webhook)
        .service(get_webhook)
        .service(update_webhook)
        .service(delete_webhook)
        .service(rotate_webhook_secret)
        .service(list_webhook_deliveries)
        .service(redeliver_webhook)
        .service(ping_webhook);
}

const WHAT: &str = "webhook";
/// The longest URL accepted.
pub const URL_MAX: usize = 2000;
/// The longest description.
pub const DESCRIPTION_MAX: usize = 500;
/// How long a replaced secret still signs, beside the new one.
const PREVIOUS_SECRET_SIGNS: TimeDelta = TimeDelta::hours(24);

/// Whose rights the deliveries of a subscription follow: its creator's, as its token said.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookOwner {
    /// The `sub` of the creator's token: a user's id, an API client's `client_id`.
    pub subject: String,
    pub role: RoleName,
    #[schema(required = true, value_type = Option<RegionCodeSchema>)]
    pub region_code: Option<String>,
    #[schema(required = true)]
    pub organisation_id: Option<Uuid>,
}

/// A webhook subscription.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a1f4-2c1d-7e5f-8a90-1b2c3d4e5f60",
    "url": "https://si.mutuelle-solidaire.example/hooks/cress",
    "description": "Mise à jour du référentiel des adhérents",
    "types": ["organisation", "sponsorship"],
    "actions": null,
    "active": true,
    "disabled_reason": null,
    "owner": {"subject": "cli_3kTz8qLmV0aN4xWb", "role": "partner", "region_code": null,
              "organisation_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11"},
    "created_at": "2026-12-05T09:30:00Z",
    "updated_at": "2026-12-05T09:30:00Z",
    "version": 1
}))]
pub struct WebhookResponse {
    pub id: Uuid,
    /// Where deliveries are POSTed.
    pub url: String,
    #[schema(required = true)]
    pub description: Option<String>,
    /// The resources whose changes are delivered; `null`: every resource of the change feed.
    #[schema(required = true)]
    pub types: Option<Vec<Resource>>,
    /// The actions delivered; `null`: `created`, `updated` and `deleted`.
    #[schema(required = true)]
    pub actions: Option<Vec<ChangeAction>>,
    /// Whether changes are delivered. The service switches it off when deliveries have failed
    /// for 3 days (`disabled_reason` says so); `PATCH {"active": true}` starts again where it
    /// stopped.
    pub active: bool,
    /// Why the service switched it off; `null` otherwise.
    #[schema(required = true)]
    pub disabled_reason: Option<String>,
    pub owner: WebhookOwner,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change of its settings or secret.
    #[schema(minimum = 1)]
    pub version: i64,
}

impl From<Webhook> for WebhookResponse {
    fn from(w: Webhook) -> Self {
        let split = |list: Option<String>| list.map(|l| l.split(',').map(str::to_owned).collect::<Vec<_>>());
        Self {
            id: w.id,
            url: w.fields.url,
            description: w.fields.description,
            types: split(w.fields.types).map(|l| l.iter().filter_map(|t| Resource::parse(t)).collect()),
            actions: split(w.fields.actions).map(|l| l.iter().filter_map(|a| ChangeAction::parse(a)).collect()),
            active: w.fields.active,
            disabled_reason: w.disabled_reason,
            owner: WebhookOwner {
                subject: w.owner.subject,
                role: w.owner.role,
                region_code: w.owner.region_code,
                organisation_id: w.owner.organisation_id,
            },
            created_at: w.created_at,
            updated_at: w.updated_at,
            version: w.version,
        }
    }
}

/// A new subscription with its signing secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: WebhookResponse,
    /// The signing secret: `whsec_` and the base64 of 32 random bytes. Verify each delivery's
    /// `webhook-signature` with it (README, "Webhooks"). Shown this once.
    pub secret: String,
}

/// A subscription's new signing secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecret {
    /// The new secret, shown this once. Deliveries carry a signature with each secret in force.
    pub secret: String,
    /// Until when the secret it replaces still signs deliveries too (24 hours).
    pub previous_secret_valid_until: DateTime<Utc>,
}

/// A new subscription. Only `url` is required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "url": "https://si.mutuelle-solidaire.example/hooks/cress",
    "description": "Mise à jour du référentiel des adhérents",
    "types": ["organisation", "sponsorship"]
}))]
pub struct CreateWebhookRequest {
    /// Where to POST the deliveries: `https://` (or `http://`), without user name or password,
    /// on a host whose addresses are public (a 422 `unsafe_url` otherwise).
    #[schema(required = true, value_type = String, max_length = 2000)]
    #[serde(default)]
    pub url: Option<String>,
    /// Up to 500 characters.
    #[schema(min_length = 1, max_length = 500)]
    #[serde(default)]
    pub description: Option<String>,
    /// The resources whose changes to deliver, among `organisation`, `esus_accreditation`,
    /// `club`, `club_member`, `event` and `sponsorship`; left out or `null`: all of them.
    #[schema(min_items = 1)]
    #[serde(default)]
    pub types: Option<Vec<Resource>>,
    /// The actions to deliver; left out or `null`: all of them.
    #[schema(min_items = 1)]
    #[serde(default)]
    pub actions: Option<Vec<ChangeAction>>,
    /// `true` when left out.
    #[serde(default)]
    pub active: Option<bool>,
}

/// Changes to a subscription (JSON merge patch): a field left out stays as it is; `null`
/// clears `description`, and makes `types` or `actions` all of them. Any change starts failed
/// deliveries' retries afresh.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": true}))]
pub struct UpdateWebhookRequest {
    #[schema(value_type = String, max_length = 2000)]
    #[serde(default, deserialize_with = "present")]
    pub url: Option<Option<String>>,
    #[schema(value_type = Option<String>, min_length = 1, max_length = 500)]
    #[serde(default, deserialize_with = "present")]
    pub description: Option<Option<String>>,
    #[schema(value_type = Option<Vec<Resource>>, min_items = 1)]
    #[serde(default, deserialize_with = "present")]
    pub types: Option<Option<Vec<Resource>>>,
    #[schema(value_type = Option<Vec<ChangeAction>>, min_items = 1)]
    #[serde(default, deserialize_with = "present")]
    pub actions: Option<Option<Vec<ChangeAction>>>,
    #[schema(value_type = bool)]
    #[serde(default, deserialize_with = "present")]
    pub active: Option<Option<bool>>,
}

/// Where to deliver again from.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({}))]
pub struct RedeliverRequest {
    /// Deliver again every change after this position of the change feed (an item's
    /// `position`, as deliveries and `GET /api/v1/changes` carry it); left out or `null`: from
    /// the first change of the log.
    #[schema(min_length = 1, max_length = 64, example = "MTI3")]
    #[serde(default)]
    pub after: Option<String>,
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryResponse {
    /// The `webhook-id` header: the same for every attempt at one change.
    pub message_id: String,
    /// The change's position in the feed; `null` for a ping.
    #[schema(required = true)]
    pub position: Option<String>,
    pub attempted_at: DateTime<Utc>,
    /// The receiver's HTTP status; `null` when it did not answer (refused, unreachable, timed out).
    #[schema(required = true)]
    pub status: Option<i32>,
    #[schema(minimum = 0)]
    pub duration_ms: i64,
    /// Why it failed; `null` for a 2xx.
    #[schema(required = true)]
    pub error: Option<String>,
    /// The start of the receiver's answer (at most 1 KiB).
    #[schema(required = true)]
    pub response: Option<String>,
}

impl From<Delivery> for DeliveryResponse {
    fn from(d: Delivery) -> Self {
        Self {
            message_id: d.message_id,
            position: d.seq.map(encode_position),
            attempted_at: d.attempted_at,
            status: d.status,
            duration_ms: d.duration_ms,
            error: d.error,
            response: d.response,
        }
    }
}

/// Where a subscription's deliveries stand, with its recent attempts.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryLog {
    /// The position of the last change delivered (or passed over: not of the wanted types or
    /// actions); the next delivery is of a change after it.
    pub position: String,
    /// Failed attempts at the next change.
    #[schema(minimum = 0)]
    pub attempts: i32,
    /// Since when deliveries fail; `null` when the last one succeeded.
    #[schema(required = true)]
    pub failing_since: Option<DateTime<Utc>>,
    /// When the next attempt is due after a failure; `null`: as soon as a change comes.
    #[schema(required = true)]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The newest attempts first (the 100 newest are kept).
    pub items: Vec<DeliveryResponse>,
}

/// Filters and page of the subscription list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListWebhooksParams {
    /// Page size, 1 to 200.
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// Where to start: the `next_cursor` of the previous page, unchanged.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
    /// `true` adds `total` to the page: how many subscriptions match the filters in all (one more
    /// query, which reads every matching row: on a long list it costs more than the page).
    pub count: Option<bool>,
}

/// How many delivery attempts to show.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListDeliveriesParams {
    /// 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
}

list_page! {
    /// One page of subscriptions, oldest first.
    WebhookPage of WebhookResponse, total: "With `count=true` only: how many subscriptions match the filters in all."
}

/// The only order of the list, named in its cursors.
const ORDER: &str = "created_at";

/// The columns of the subscription list as CSV (`owner` spread into `owner_…` columns; `types`
/// and `actions` as JSON text).
pub const CSV_COLUMNS: Columns = Columns {
    parts: &[
        &["id"],
        WebhookFields::NAMES,
        &[
            "disabled_reason",
            "owner_subject",
            "owner_role",
            "owner_region_code",
            "owner_organisation_id",
            "created_at",
            "updated_at",
            "version",
        ],
    ],
    confidential: &[],
};

/// Checks a URL (shape, then where it resolves), recording why it is refused.
async fn check_url(state: &AppState, raw: Option<String>, errors: &mut Violations) -> Option<String> {
    let Some(raw) = raw else {
        errors.refuse("url", missing());
        return None;
    };
    let raw = raw.trim().to_owned();
    if raw.chars().count() > URL_MAX {
        errors.refuse(
            "url",
            Invalid::new(Invalid::TOO_LONG, msg!("webhooks-url-too-long", max = URL_MAX)),
        );
        return None;
    }
    match state.sender.check_url(&raw).await {
        Ok(url) => Some(url.to_string()),
        Err(refused) => {
            errors.refuse(
                "url",
                Invalid::new(Invalid::UNSAFE_URL, msg!("webhooks-url-unsafe", why = refused.0)),
            );
            None
        }
    }
}

fn check_description(raw: Option<String>, errors: &mut Violations) -> Option<String> {
    raw.and_then(|text| errors.check("description", clean_text(&text, DESCRIPTION_MAX, "description")))
}

/// A list of names as stored (comma-separated, each once, in the order given), or `None` for all.
fn check_list<T: Copy + PartialEq>(
    field: &'static str,
    list: Option<Vec<T>>,
    allowed: impl Fn(T) -> bool,
    name: impl Fn(T) -> &'static str,
    errors: &mut Violations,
) -> Option<String> {
    let list = list?;
    if list.is_empty() {
        errors.refuse(
            field,
            Invalid::new(Invalid::BLANK, msg!("webhooks-list-empty", field = field)),
        );
        return None;
    }
    let mut names: Vec<&str> = Vec::new();
    for item in list {
        if !allowed(item) {
            errors.refuse(
                field,
                Invalid::new(
                    Invalid::UNKNOWN_CODE,
                    msg!("webhooks-type-not-in-feed", name = name(item)),
                ),
            );
            return None;
        }
        if !names.contains(&name(item)) {
            names.push(name(item));
        }
    }
    Some(names.join(","))
}

fn check_types(types: Option<Vec<Resource>>, errors: &mut Violations) -> Option<String> {
    check_list(
        "types",
        types,
        |r| Resource::FEED.contains(&r),
        Resource::as_str,
        errors,
    )
}

fn check_actions(actions: Option<Vec<ChangeAction>>, errors: &mut Violations) -> Option<String> {
    check_list("actions", actions, |_| true, ChangeAction::as_str, errors)
}

/// The subscription `id` if `caller` manages it (its creator, administrators): 404 otherwise,
/// as if it did not exist.
async fn managed(caller: &Caller, state: &AppState, id: Uuid) -> Result<Webhook, ApiError> {
    policy::require_subscriber(caller)?;
    let webhook = state.store.get_webhook(id).await?;
    if policy::manages_subscription(caller, &webhook.owner.subject) {
        Ok(webhook)
    } else {
        Err(StoreError::NotFound(WHAT).into())
    }
}

/// List webhook subscriptions.
///
/// Administrators see every subscription; Cress managers and partners see theirs. Oldest
/// first; pages are keyset-based: follow `next_cursor` until it is `null`.
#[utoipa::path(
    tag = "webhooks",
    params(ListWebhooksParams),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "One page of subscriptions.", body = WebhookPage),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
    )
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    caller: Caller,
    format: ListFormat,
    state: web::Data<AppState>,
    Query(params): Query<ListWebhooksParams>,
) -> Result<HttpResponse, ApiError> {
    policy::require_subscriber(&caller)?;
    let owner = (!policy::sees_every_subscription(&caller)).then(|| caller.subject().unwrap_or_default().to_owned());
    kernel::list(format, state, owner, CSV_COLUMNS.shown(false), params).await
}

paged!(ListWebhooksParams);

/// The subscriptions; the scope is the owner whose own the caller sees (`None`: every one).
impl Listing for ListWebhooksParams {
    type Scope = Option<String>;
    type Page = WebhookPage;

    async fn count(&self, store: &Store, owner: &Option<String>) -> Result<i64, ApiError> {
        let owned = ListWebhooks {
            owner: owner.clone(),
            ..Default::default()
        };
        Ok(store.count_webhooks(&owned).await?)
    }

    async fn page(self, state: web::Data<AppState>, owner: Option<String>) -> Result<Page<WebhookResponse>, ApiError> {
        let limit = page_limit(self.limit)?;
        let after = match self
            .cursor
            .as_deref()
            .map(|raw| decode_cursor(raw, ORDER))
            .transpose()?
        {
            Some((at, id)) => Some((
                DateTime::parse_from_rfc3339(&at)
                    .map_err(|_| ApiError::bad_request("invalid_cursor", msg!("webhooks-cursor-invalid")))?
                    .with_timezone(&Utc),
                id,
            )),
            None => None,
        };
        let query = ListWebhooks {
            owner,
            after,
            limit: limit + 1,
        };
        let mut rows = state.store.list_webhooks(&query).await?;
        let next_cursor = next_page(&mut rows, limit, |last| {
            encode_cursor(ORDER, &last.created_at.to_rfc3339(), last.id)
        });
        Ok((rows.into_iter().map(WebhookResponse::from).collect(), next_cursor))
    }
}

/// Subscribe to the register's changes.
///
/// Administrators, Cress managers and partners. Every change committed from now on, of the
/// `types` and `actions` asked for, is POSTed to `url` as the change feed's item (`GET
/// /api/v1/changes`) exactly as the subscription's creator may see it at delivery time
/// (confidential fields withheld as in the feed), in commit order, at least once, signed as
/// Standard Webhooks specify (headers `webhook-id`, `webhook-timestamp`, `webhook-signature`).
/// A 2xx answer within 10 seconds acknowledges a change; anything else is retried, waits
/// doubling from seconds up to an hour, for 3 days; then the subscription is switched off.
///
/// The answer holds the signing `secret`, shown this once. A URL on a loopback, private,
/// link-local or metadata address is a 422 `unsafe_url` (unless the operator allows its host
/// with `WEBHOOK_ALLOWED_HOSTS`).
#[utoipa::path(
    tag = "webhooks",
    request_body(content = CreateWebhookRequest, content_type = "application/json"),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 201, description = "Subscribed, with the signing secret; `Location` is its address.",
            body = WebhookWithSecret,
            headers(("Location" = String, description = "The address of the new subscription."))),
        (status = 403, response = Forbidden),
    )
)]
#[post("/webhooks")]
pub async fn create_webhook(
    caller: Caller,
    state: web::Data<AppState>,
    JsonBody(body): JsonBody<CreateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    policy::require_subscriber(&caller)?;
    // Every failing field at once.
    let mut errors = Violations::default();
    let url = check_url(&state, body.url, &mut errors).await;
    let description = check_description(body.description, &mut errors);
    let types = check_types(body.types, &mut errors);
    let actions = check_actions(body.actions, &mut errors);
    let (Some(url), true) = (url, errors.is_empty()) else {
        return Err(errors.into());
    };
    let fields = WebhookFields {
        url,
        description,
        types,
        actions,
        active: body.active.unwrap_or(true),
    };
    let role = caller
        .role()
        .ok_or_else(|| ApiError::from(Denial::log_in_to(msg!("webhooks-to-subscribe"))))?;
    let (role_name, region_code, organisation_id) = crate::http::users::role_columns(role);
    let owner = Owner {
        subject: caller.subject().unwrap_or_default().to_owned(),
        role: role_name,
        region_code,
        organisation_id,
    };
    let secret = new_secret();
    let webhook = state.store.create_webhook(&fields, &secret, &owner).await?;
    tracing::info!(webhook.id = %webhook.id, by = owner.subject, "webhook subscribed");
    let tagged = Tagged::of(&WebhookResponse::from(webhook.clone()))?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/webhooks/{}", webhook.id)))
        .insert_header((header::ETAG, tagged.etag()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(WebhookWithSecret {
            webhook: webhook.into(),
            secret,
        }))
}

/// Get a webhook subscription (without its secret).
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The subscription's id.")),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "The subscription.", body = WebhookResponse),
        (status = 403, response = Forbidden),
    )
)]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    caller: Caller,
    conditions: Conditions,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let webhook = managed(&caller, &state, id.into_inner()).await?;
    Ok(etag::read(&conditions, Tagged::of(&WebhookResponse::from(webhook))?))
}

/// Change a webhook subscription.
///
/// A JSON merge patch. `{"active": false}` pauses deliveries (changes wait in the log);
/// `{"active": true}` resumes them where they stopped, also after the service switched the
/// subscription off.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The subscription's id.")),
    request_body(content(
        (UpdateWebhookRequest = "application/merge-patch+json"),
        (UpdateWebhookRequest = "application/json"),
    )),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "The subscription as changed.", body = WebhookResponse),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    )
)]
#[patch("/webhooks/{id}")]
pub async fn update_webhook(
    caller: Caller,
    conditions: Conditions,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(patch): JsonBody<UpdateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    managed(&caller, &state, id).await?;
    let mut checked = Violations::default();
    let url = match patch.url {
        Some(url) => Some(check_url(&state, url, &mut checked).await),
        None => None,
    };
    let description = patch.description.map(|d| check_description(d, &mut checked));
    let types = patch.types.map(|t| check_types(t, &mut checked));
    let actions = patch.actions.map(|a| check_actions(a, &mut checked));
    let active = match patch.active {
        Some(None) => {
            checked.refuse("active", missing());
            None
        }
        Some(Some(active)) => Some(active),
        None => None,
    };
    if !checked.is_empty() {
        return Err(checked.into());
    }
    let updated = state
        .store
        .update_webhook(id, |current| {
            conditions.require_current(WHAT, || Tagged::of(&WebhookResponse::from(current.clone())))?;
            let f = &current.fields;
            Ok::<_, ApiError>(WebhookFields {
                url: url.clone().flatten().unwrap_or_else(|| f.url.clone()),
                description: description.clone().unwrap_or_else(|| f.description.clone()),
                types: types.clone().unwrap_or_else(|| f.types.clone()),
                actions: actions.clone().unwrap_or_else(|| f.actions.clone()),
                active: active.unwrap_or(f.active),
            })
        })
        .await?;
    Ok(etag::ok(Tagged::of(&WebhookResponse::from(updated))?))
}

/// Delete a webhook subscription.
///
/// Deliveries stop at once (one in flight may still arrive); its delivery attempts go with it.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The subscription's id.")),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, response = Forbidden),
    )
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    caller: Caller,
    conditions: Conditions,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    etag::delete_checked(
        WHAT,
        async || managed(&caller, &state, id).await,
        |current: &Webhook| {
            conditions.require_current(WHAT, || Tagged::of(&WebhookResponse::from(current.clone())))?;
            Ok(current.version)
        },
        async |version| state.store.delete_webhook(id, Some(version)).await,
    )
    .await?;
    tracing::info!(webhook.id = %id, by = caller.subject().unwrap_or_default(), "webhook deleted");
    Ok(HttpResponse::NoContent().finish())
}

/// Rotate a webhook subscription's signing secret.
///
/// The answer holds the new secret, shown this once. For 24 hours, deliveries carry two
/// signatures in `webhook-signature` (one per secret, space-separated), so that the receiver
/// can switch to the new secret at its own pace.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The subscription's id.")),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "The new secret.", body = RotatedSecret),
        (status = 403, response = Forbidden),
    )
)]
#[post("/webhooks/{id}/secret")]
pub async fn rotate_webhook_secret(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    managed(&caller, &state, id).await?;
    let secret = new_secret();
    let until = now() + PREVIOUS_SECRET_SIGNS;
    state.store.rotate_webhook_secret(id, &secret, until).await?;
    tracing::info!(webhook.id = %id, by = caller.subject().unwrap_or_default(), "webhook secret rotated");
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(RotatedSecret {
            secret,
            previous_secret_valid_until: until,
        }))
}

async fn delivery_log(state: &AppState, id: Uuid, limit: i64) -> Result<DeliveryLog, ApiError> {
    let webhook = state.store.get_webhook(id).await?;
    let items = state.store.list_deliveries(id, limit).await?;
    Ok(DeliveryLog {
        position: encode_position(webhook.position),
        attempts: webhook.attempts,
        failing_since: webhook.failing_since,
        next_attempt_at: webhook.next_attempt_at,
        items: items.into_iter().map(DeliveryResponse::from).collect(),
    })
}

/// A webhook subscription's deliveries.
///
/// Where its deliveries stand (the position of the last change delivered, failed attempts at
/// the next one, when it is tried again) and its recent attempts, newest first: status,
/// duration, error and the start of the receiver's answer.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The subscription's id."), ListDeliveriesParams),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "Its deliveries.", body = DeliveryLog),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
    )
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_webhook_deliveries(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    Query(params): Query<ListDeliveriesParams>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let limit = match params.limit {
        None => 20,
        Some(n) if (1..=DELIVERIES_KEPT).contains(&n) => n,
        Some(n) => {
            return Err(ApiError::invalid_parameter(
                "limit",
                msg!("webhooks-limit-out-of-range", n = n.to_string(), max = DELIVERIES_KEPT),
            ));
        }
    };
    managed(&caller, &state, id).await?;
    Ok(HttpResponse::Ok().json(delivery_log(&state, id, limit).await?))
}

/// Deliver again from a position.
///
/// Moves the subscription back (or forward) to `after`: every change after it, of the wanted
/// types and actions, is delivered again, in order, with the `webhook-id` it had. For a
/// receiver that lost what it had received.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The subscription's id.")),
    request_body(content = RedeliverRequest, content_type = "application/json"),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "Where its deliveries now stand.", body = DeliveryLog),
        (status = 403, response = Forbidden),
    )
)]
#[post("/webhooks/{id}/redeliver")]
pub async fn redeliver_webhook(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(body): JsonBody<RedeliverRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    managed(&caller, &state, id).await?;
    let position = match body.after.as_deref() {
        None => 0,
        Some(raw) => decode_position(raw, "after").map_err(|_| {
            let mut errors = Violations::default();
            errors.refuse(
                "after",
                Invalid::new(Invalid::INVALID_FORMAT, msg!("webhooks-after-not-a-position")),
            );
            ApiError::from(errors)
        })?,
    };
    let head = state.store.head_position().await?;
    if position > head {
        let mut errors = Violations::default();
        errors.refuse(
            "after",
            Invalid::new(Invalid::INVALID_FORMAT, msg!("webhooks-after-beyond-head")),
        );
        return Err(errors.into());
    }
    state.store.reposition_webhook(id, position).await?;
    tracing::info!(webhook.id = %id, position, by = caller.subject().unwrap_or_default(), "webhook redelivery");
    Ok(HttpResponse::Ok().json(delivery_log(&state, id, 20).await?))
}

/// Send a test delivery.
///
/// POSTs `{"type": "ping", "webhook_id": …, "at": …}`, signed like every delivery, to the
/// subscription's URL now (also when it is switched off), and answers how it went. The
/// attempt is kept with the others.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The subscription's id.")),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "The attempt (whether the receiver answered 2xx or not).", body = DeliveryResponse),
        (status = 403, response = Forbidden),
    )
)]
#[post("/webhooks/{id}/ping")]
pub async fn ping_webhook(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let webhook = managed(&caller, &state, id).await?;
    let secrets = state.store.webhook_secrets(id).await?;
    let at = now();
    let message_id = format!("msg_ping_{}", Uuid::now_v7().simple());
    let body = serde_json::to_vec(&json!({"type": "ping", "webhook_id": id, "at": at})).unwrap_or_default();
    let attempt = state
        .sender
        .send(&webhook.fields.url, &message_id, body, &secrets.signing_at(at))
        .await;
    let kept = delivery::delivery(&message_id, None, at, &attempt);
    state.store.record_delivery(id, &kept).await?;
    Ok(HttpResponse::Ok().json(DeliveryResponse::from(kept)))
}
