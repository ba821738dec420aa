//! The audit trail: who changed what and when, with the old and new values
//! (`GET /api/v1/audit`), and the history of one record (`GET /api/v1/{resource}/{id}/history`).
//! Confidential: administrators read all of it, Cress managers the changes of their region.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::auth::policy::{self, Action};
use crate::core::Target;
use crate::core::{ActorKind, Resource};
use crate::domain::message::msg;
use crate::http::AppState;
use crate::http::changes::{decode_position, encode_position};
use crate::http::csv::{Columns, ListFormat, Page};
use crate::http::error::ApiError;
use crate::http::extract::Query;
use crate::http::kernel::{self, Listing};
use crate::http::pagination::{list_page, next_page, page_limit, paged};
use crate::http::responses::{BadRequest, Forbidden, InternalError, NotFound, Unauthorized, Unavailable};
use crate::store::Store;
use crate::store::changes::{AuditQuery, ChangeAction, LoggedChange};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_audit)
        .service(organisation_history)
        .service(esus_accreditation_history)
        .service(club_history)
        .service(event_history)
        .service(sponsorship_history)
        .service(user_history)
        .service(client_history);
}

/// Who made a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActorResponse {
    /// The `sub` of the token: a user's id, an API client's `client_id`, or the name of a
    /// token made by `cress-api token` (`system` for the command line).
    #[schema(example = "0193a1f2-5b6c-7d8e-9f0a-1b2c3d4e5f60")]
    pub subject: String,
    /// The role of the token (`null` for the command line).
    #[schema(required = true, example = "cress_manager")]
    pub role: Option<String>,
    /// `user` (a person), `client` (a machine client) or `system` (the command line, the demo
    /// seed, a token made by `cress-api token`).
    pub kind: ActorKind,
}

/// One change of one record, as the audit trail keeps it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "position": "MTI3",
    "at": "2026-09-19T08:30:00Z",
    "resource": "organisation",
    "id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11",
    "parent_id": null,
    "action": "updated",
    "version": 3,
    "actor": {"subject": "0193a1f2-5b6c-7d8e-9f0a-1b2c3d4e5f60", "role": "cress_manager", "kind": "user"},
    "region_code": "76",
    "organisation_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11",
    "data": {"name": "Mutuelle solidaire d'Occitanie", "phone": "04 67 00 00 00", "region_code": "76"},
    "changes": {"phone": {"old": null, "new": "04 67 00 00 00"}}
}))]
pub struct AuditEntry {
    /// The change's position (the same as in the change feed).
    pub position: String,
    /// When it was committed (UTC).
    pub at: DateTime<Utc>,
    pub resource: Resource,
    /// The record's id; for a `club_member`, the member organisation's id.
    pub id: Uuid,
    /// The club of a `club_member`; `null` otherwise.
    #[schema(required = true)]
    pub parent_id: Option<Uuid>,
    pub action: ChangeAction,
    /// The record's version after the change (the deleted version for a deletion).
    pub version: i64,
    pub actor: ActorResponse,
    /// The region of the record at the time (an accreditation's organisation's, a
    /// sponsorship's beneficiary's, a club member's club's); `null` for accounts and events
    /// without a region.
    #[schema(required = true)]
    pub region_code: Option<String>,
    /// The organisation the record belongs to (an organisation itself, an accreditation's, a
    /// sponsorship's sponsor); `null` otherwise.
    #[schema(required = true)]
    pub organisation_id: Option<Uuid>,
    /// The record's stored fields after the change, confidential ones included (never a
    /// password or secret digest); `null` for a deletion.
    #[schema(required = true, value_type = Option<std::collections::HashMap<String, Value>>)]
    pub data: Option<Value>,
    /// `{field: {old, new}}` for each field that changed: every field on a creation (`old`
    /// null), `null` for a deletion. A new password or client secret shows as
    /// `{"old": "(hidden)", "new": "(hidden)"}`.
    #[schema(required = true, value_type = Option<std::collections::HashMap<String, FieldChange>>)]
    pub changes: Option<Value>,
}

/// How one field changed, in the audit: its value before and after (`null` when it had none).
/// Only its schema is used: the change log writes `changes` as JSON.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FieldChange {
    #[schema(value_type = Value)]
    old: Value,
    #[schema(value_type = Value)]
    new: Value,
}

impl From<LoggedChange> for AuditEntry {
    fn from(change: LoggedChange) -> Self {
        Self {
            position: encode_position(change.seq),
            at: change.at,
            resource: change.resource,
            id: change.record_id,
            parent_id: change.parent_id,
            action: change.action,
            version: change.version,
            actor: ActorResponse {
                subject: change.actor_subject,
                role: change.actor_role,
                kind: change.actor_kind,
            },
            region_code: change.region_code,
            organisation_id: change.organisation_id,
            data: change.data,
            changes: change.changes,
        }
    }
}

list_page! {
    /// One page of the audit trail, newest first.
    AuditPage of AuditEntry, total: "With `count=true` only: how many changes match the filters in all."
}

/// Filters and page of the audit trail.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListAuditParams {
    /// Only changes of this kind of record.
    #[param(inline)]
    pub resource: Option<Resource>,
    /// Only changes of the record with this id (for a club member, its organisation's id).
    pub id: Option<Uuid>,
    /// Only changes made by this caller: the `subject` of `actor` (a user's id, a client's
    /// `client_id`), for example `cli_3kTz8qLmV0aN4xWb`.
    #[param(min_length = 1, max_length = 255)]
    pub actor: Option<String>,
    /// Only changes committed at or after this instant (RFC 3339), for example
    /// `2026-09-01T00:00:00Z`.
    pub from: Option<DateTime<Utc>>,
    /// Only changes committed before this instant (RFC 3339); after `from`. For example
    /// `2026-10-01T00:00:00Z`.
    pub to: Option<DateTime<Utc>>,
    /// How many changes per page (1 to 200).
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// Where to start: the `next_cursor` of the previous page, unchanged.
    #[param(min_length = 1, max_length = 64)]
    pub cursor: Option<String>,
    /// `true` adds `total` to the page: how many changes match the filters in all (one more
    /// query, which reads every matching row: on a long list it costs more than the page).
    pub count: Option<bool>,
}

/// The page of a record's history.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    /// How many changes per page (1 to 200).
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// Where to start: the `next_cursor` of the previous page, unchanged.
    #[param(min_length = 1, max_length = 64)]
    pub cursor: Option<String>,
    /// `true` adds `total` to the page: how many changes match the filters in all (one more
    /// query, which reads every matching row: on a long list it costs more than the page).
    pub count: Option<bool>,
}

/// The audit trail: who changed what, when, with the old and new values.
///
/// Every creation, update and deletion of every record (organisations, ESUS accreditations,
/// clubs, club members, events, sponsorships, users and API clients), newest first, each with
/// its author (the token's subject, role and kind), the record's fields after the change and the
/// changed fields with their old and new values; written in the same transaction as the change
/// itself. Filtered by `resource`, `id`, `actor` and period (`from`, `to`).
///
/// Confidential: administrators read all of it; a Cress manager the changes of the records of
/// its region (by the record's region at the time of the change: never users or API clients);
/// other roles 403, anonymous callers 401.
#[utoipa::path(
    tag = "audit",
    params(ListAuditParams),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "One page of the audit trail, newest first.", body = AuditPage),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
    )
)]
#[get("/audit")]
pub async fn list_audit(
    caller: Caller,
    format: ListFormat,
    state: web::Data<AppState>,
    Query(params): Query<ListAuditParams>,
) -> Result<HttpResponse, ApiError> {
    let region = policy::audit_scope(&caller)?;
    if let (Some(from), Some(to)) = (params.from, params.to)
        && from >= to
    {
        return Err(ApiError::invalid_parameter("to", msg!("audit-to-before-from")));
    }
    if let Some(actor) = &params.actor
        && (actor.is_empty() || actor.chars().count() > 255)
    {
        return Err(ApiError::invalid_parameter("actor", msg!("audit-actor-length")));
    }
    let filter = AuditQuery {
        resource: params.resource,
        record_id: params.id,
        with_members: false,
        actor: params.actor,
        from: params.from,
        to: params.to,
        region,
        ..AuditQuery::default()
    };
    let page = HistoryParams {
        limit: params.limit,
        cursor: params.cursor,
        count: params.count,
    };
    kernel::list(
        format,
        state,
        Trail { filter, record: None },
        CSV_COLUMNS.shown(false),
        page,
    )
    .await
}

/// The columns of the audit trail and of the histories as CSV: `actor` flattened into its three
/// fields; `data` and `changes` (`{field: {old, new}}`) one cell each, holding their JSON text.
/// Nothing is confidential within what the audit shows its readers.
pub const CSV_COLUMNS: Columns = Columns {
    parts: &[&[
        "position",
        "at",
        "resource",
        "id",
        "parent_id",
        "action",
        "version",
        "actor_subject",
        "actor_role",
        "actor_kind",
        "region_code",
        "organisation_id",
        "data",
        "changes",
    ]],
    confidential: &[],
};

paged!(HistoryParams);

/// The changes a list of the audit shows: the trail's (filtered) or one record's history, as
/// `filter` selects them.
#[derive(Debug, Clone)]
pub struct Trail {
    filter: AuditQuery,
    /// The record whose history it is: 404 when the log holds no change of it at all.
    record: Option<(Resource, Uuid)>,
}

impl Listing for HistoryParams {
    type Scope = Trail;
    type Page = AuditPage;

    async fn count(&self, store: &Store, trail: &Trail) -> Result<i64, ApiError> {
        Ok(store.count_audit(&trail.filter).await?)
    }

    async fn page(self, state: web::Data<AppState>, trail: Trail) -> Result<Page<AuditEntry>, ApiError> {
        let first = self.cursor.is_none();
        let page = audit_page(&state, trail.filter, self.cursor, self.limit).await?;
        if let Some((resource, id)) = trail.record
            && first
            && page.0.is_empty()
            && !state.store.has_changes(resource, id).await?
        {
            return Err(ApiError::NotFound(msg!(
                "audit-history-none",
                what = resource.as_str().replace('_', " "),
                kind = resource.as_str(),
                noun = resource.noun(1)
            )));
        }
        Ok(page)
    }
}

/// One page of the changes `filter` selects (its `before` and `limit` are this page's), newest
/// first, from `cursor` (absent: the newest), with the cursor of the next.
async fn audit_page(
    state: &AppState,
    filter: AuditQuery,
    cursor: Option<String>,
    limit: Option<i64>,
) -> Result<Page<AuditEntry>, ApiError> {
    let limit = page_limit(limit)?;
    let query = AuditQuery {
        before: cursor.as_deref().map(|c| decode_position(c, "cursor")).transpose()?,
        limit: limit + 1,
        ..filter
    };
    let mut rows = state.store.list_audit(&query).await?;
    let next_cursor = next_page(&mut rows, limit, |last| encode_position(last.seq));
    Ok((rows.into_iter().map(AuditEntry::from).collect(), next_cursor))
}

/// The history of one record: its changes, newest first (a club's includes its members').
async fn history(
    caller: &Caller,
    format: ListFormat,
    state: web::Data<AppState>,
    resource: Resource,
    id: Uuid,
    params: HistoryParams,
) -> Result<HttpResponse, ApiError> {
    match resource {
        Resource::User => policy::require(caller, Action::Read, &Target::users())?,
        Resource::ApiClient => policy::require(caller, Action::Read, &Target::api_clients())?,
        _ => {}
    }
    let trail = Trail {
        filter: history_of(resource, id, policy::audit_scope(caller)?),
        record: Some((resource, id)),
    };
    kernel::list(format, state, trail, CSV_COLUMNS.shown(false), params).await
}

/// The changes of the history of the record `resource` `id`, as seen from `region` (a Cress
/// manager's; `None`: everything): a club's include its members'.
fn history_of(resource: Resource, id: Uuid, region: Option<String>) -> AuditQuery {
    AuditQuery {
        resource: Some(resource),
        record_id: Some(id),
        with_members: resource == Resource::Club,
        region,
        ..AuditQuery::default()
    }
}

/// One history operation per resource path, documented alike.
macro_rules! history_endpoint {
    ($name:ident, $path:literal, $resource:expr, $summary:literal, $what:literal) => {
        #[doc = $summary]
        ///
        /// Its changes, newest first, as in the audit trail (who, when, the fields after each
        /// change and the old and new values), deletion included. Confidential: administrators;
        /// a Cress manager sees the changes made while the record was of its region (an empty
        /// list otherwise; users and API clients: administrators only); other roles 403,
        /// anonymous callers 401. 404 when no change of this id was ever recorded.
        #[utoipa::path(
            tag = "audit",
            params(("id" = Uuid, Path, description = $what), HistoryParams),
            security(("login" = []), ("machine_client" = []), ("token" = [])),
            responses(
                (status = 200, description = "One page of the record's history, newest first.", body = AuditPage),
                (status = 400, response = BadRequest),
                (status = 401, response = Unauthorized),
                (status = 403, response = Forbidden),
                (status = 404, response = NotFound),
                (status = 500, response = InternalError),
                (status = 503, response = Unavailable),
            )
        )]
        #[get($path)]
        pub async fn $name(
            caller: Caller,
            format: ListFormat,
            state: web::Data<AppState>,
            id: web::Path<Uuid>,
            Query(params): Query<HistoryParams>,
        ) -> Result<HttpResponse, ApiError> {
            history(&caller, format, state, $resource, id.into_inner(), params).await
        }
    };
}

history_endpoint!(
    organisation_history,
    "/organisations/{id}/history",
    Resource::Organisation,
    "The history of an organisation (its ESUS summary's changes included).",
    "The organisation's id."
);
history_endpoint!(
    esus_accreditation_history,
    "/esus-accreditations/{id}/history",
    Resource::EsusAccreditation,
    "The history of an ESUS accreditation.",
    "The accreditation's id."
);
history_endpoint!(
    club_history,
    "/clubs/{id}/history",
    Resource::Club,
    "The history of a club, with the changes of its members.",
    "The club's id."
);
history_endpoint!(
    event_history,
    "/events/{id}/history",
    Resource::Event,
    "The history of an event (organisers and themes included).",
    "The event's id."
);
history_endpoint!(
    sponsorship_history,
    "/sponsorships/{id}/history",
    Resource::Sponsorship,
    "The history of a sponsorship.",
    "The sponsorship's id."
);
history_endpoint!(
    user_history,
    "/users/{id}/history",
    Resource::User,
    "The history of a user account (never its password).",
    "The user's id."
);
history_endpoint!(
    client_history,
    "/clients/{id}/history",
    Resource::ApiClient,
    "The history of an API client (never its secret).",
    "The API client's id."
);
