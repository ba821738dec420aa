//! The change feed (`GET /api/v1/changes`): every creation, update and deletion of the register's
//! records in commit order, with a position to resume from, for partner systems that mirror it.

use actix_web::{HttpResponse, get, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::openapi::OpenApi;
use utoipa::openapi::schema::{Discriminator, Object, ObjectBuilder, OneOfBuilder, Ref, Schema, Type};
use utoipa::openapi::{RefOr, schema::SchemaType};
use utoipa::{IntoParams, Modify, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::auth::policy::{self, ListScope};
use crate::core::Resource;
use crate::domain::message::msg;
use crate::http::AppState;
use crate::http::csv::{self, Columns, ListFormat, Page};
use crate::http::error::ApiError;
use crate::http::extract::Query;
use crate::http::pagination::{self, next_page, page_limit};
use crate::http::responses::BadRequest;
use crate::store::changes::{ChangeAction, FeedQuery, LoggedChange};
use crate::store::clubs::{ClubMemberRecord, ClubRecord};
use crate::store::esus::EsusAccreditationRecord;
use crate::store::events::EventRecord;
use crate::store::organisations::OrganisationRecord;
use crate::store::sponsorships::SponsorshipRecord;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_changes);
}

/// Longest position accepted; ours are far shorter.
const MAX_POSITION_LEN: usize = 64;

/// The opaque position of a change in the log: base64url of its `seq`.
pub fn encode_position(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(seq.to_string())
}

/// The `seq` a position carries; `parameter` names the query parameter in the 400 answer.
pub fn decode_position(raw: &str, parameter: &str) -> Result<i64, ApiError> {
    let invalid = || {
        ApiError::bad_request(
            "invalid_cursor",
            msg!("changes-position-invalid", parameter = parameter),
        )
    };
    if raw.is_empty() || raw.len() > MAX_POSITION_LEN {
        return Err(invalid());
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(raw.trim_end_matches('='))
        .map_err(|_| invalid())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| invalid())?;
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    text.parse::<i64>().map_err(|_| invalid())
}

/// Removes from `data` the confidential keys of its resource, unless `scope` shows them for the
/// record's stored region and organisation.
pub fn shown_data(change: &LoggedChange, scope: &ListScope) -> Option<Value> {
    let mut data = change.data.clone()?;
    if !scope.sees_confidential(change.region_code.as_deref(), change.organisation_id)
        && let Value::Object(fields) = &mut data
    {
        for key in change.resource.confidential_keys() {
            fields.remove(*key);
        }
    }
    Some(data)
}

/// Where to start, which resources and how many changes.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListChangesParams {
    /// Resume strictly after this position: the `next_cursor` of the previous answer (or the
    /// `position` of the last change applied), unchanged, such as `MTI3`. Absent: from the
    /// first change.
    #[param(min_length = 1, max_length = 64)]
    pub after: Option<String>,
    /// Only these resources, comma-separated: `organisation`, `esus_accreditation`, `club`,
    /// `club_member`, `event`, `sponsorship`. Absent: all that the caller may read
    /// (anonymous callers: all but `esus_accreditation`, which needs a login). For example
    /// `organisation,event`.
    #[param(
        min_length = 1,
        max_length = 200,
        pattern = "^(organisation|esus_accreditation|club|club_member|event|sponsorship)(,(organisation|esus_accreditation|club|club_member|event|sponsorship))*$"
    )]
    pub types: Option<String>,
    /// How many changes at most (1 to 200).
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// `true` adds `total` to the page: how many changes of these types the feed holds in all,
    /// from its first (one more query, which reads every matching row: on a long feed it costs
    /// more than the page).
    pub count: Option<bool>,
}

/// One change of one record.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "position": "MTI3",
    "type": "organisation",
    "id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11",
    "parent_id": null,
    "action": "updated",
    "version": 3,
    "at": "2026-09-19T08:30:00Z",
    "data": {
        "id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11",
        "name": "Mutuelle solidaire d'Occitanie",
        "category": "mutual",
        "siren": "775685365",
        "siret": null,
        "rna": null,
        "legal_category_code": null,
        "region_code": "76",
        "street": null,
        "postal_code": "34000",
        "city": "Montpellier",
        "commune_code": null,
        "website": "https://mutuelle-solidaire.example",
        "email": "contact@mutuelle-solidaire.example",
        "phone": null,
        "description": null,
        "founded_on": null,
        "esus_status": "granted",
        "esus_valid_until": "2031-03-31",
        "created_at": "2026-01-12T09:00:00Z",
        "updated_at": "2026-09-19T08:30:00Z"
    }
}))]
// In the document, `ChangeItem` is a `oneOf` of one schema per `type`, `OrganisationChange` and
// so on, each with its `data`: see `TypedChanges`.
pub struct ChangeItem {
    /// The position of this change: `after=<position>` resumes after it.
    pub position: String,
    /// The resource: `organisation`, `esus_accreditation`, `club`, `club_member`, `event` or
    /// `sponsorship` (never `user` nor `api_client`).
    #[serde(rename = "type")]
    pub resource: Resource,
    /// The record's id; for a `club_member`, the member organisation's id.
    pub id: Uuid,
    /// The club of a `club_member`; `null` for the other resources.
    #[schema(required = true)]
    pub parent_id: Option<Uuid>,
    /// `created`, `updated` or `deleted` (a tombstone: `data` is `null`; drop the record).
    /// For anonymous callers, a change that leaves an event unpublished or a sponsorship not
    /// public reads as `deleted`, so that their mirror holds only what they may read.
    pub action: ChangeAction,
    /// The record's version after the change (the deleted version for a deletion).
    pub version: i64,
    /// When the change was committed (UTC).
    pub at: DateTime<Utc>,
    /// The record's stored fields after the change, as the change log keeps them (an
    /// organisation's ESUS summary as stored, an event's organisers without their names):
    /// replace your copy with it. `null` for a deletion. Confidential fields (an organisation's `email` and
    /// `phone`, an accreditation's `notes`, a sponsorship's `amount_cents`,
    /// `counterparts_cents` and `notes`) are left out unless the caller may see them.
    #[schema(required = true, value_type = Option<std::collections::HashMap<String, Value>>)]
    pub data: Option<Value>,
}

/// One page of the feed.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [{
        "position": "MTI4",
        "type": "event",
        "id": "0193a1f2-9d11-7a3b-8c2d-4e5f6a7b8c9d",
        "parent_id": null,
        "action": "deleted",
        "version": 2,
        "at": "2026-09-19T08:31:00Z",
        "data": null
    }],
    "next_cursor": "MTI4",
    "has_more": false
}))]
pub struct ChangePage {
    /// The changes in commit order (oldest first).
    pub items: Vec<ChangeItem>,
    /// Where to resume: the position of the last item, or the `after` given when there is no
    /// new change (absent `after` and no change: the start). Always present, so that a consumer
    /// that reached the end can poll with it.
    pub next_cursor: String,
    /// Whether more changes follow now: ask again at once with `after=<next_cursor>`; `false`:
    /// the caller is up to date, poll later.
    pub has_more: bool,
    /// With `count=true` only: how many changes of these types the feed holds in all, from its
    /// first (whatever `after`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = u64, required = false)]
    pub total: Option<u64>,
}

/// The change feed: every change of the register's records, in commit order.
///
/// Every creation, update and deletion of organisations, ESUS accreditations, clubs, club
/// members, events and sponsorships, in the order they were committed. Start without `after`,
/// apply each item to your copy (`created`/`updated`: store `data` under `type` and `id`;
/// `deleted`: drop the record), then ask again with `after=<next_cursor>`, at once while
/// `has_more` is `true`, later otherwise. A consumer that stops anywhere and resumes from the
/// last position it applied misses nothing and sees nothing twice: positions are allocated in
/// commit order.
///
/// What a caller sees follows the rules of the lists: anonymous callers see no ESUS
/// accreditation (asking for `types=esus_accreditation` is a 401), and a change that leaves an
/// event unpublished or a sponsorship not public reads as a deletion for them; confidential
/// fields are left out of `data` for callers who may not see them (by the record's region and
/// organisation at the time of the change). Users and API clients are never in the feed (see
/// the audit trail).
///
/// As CSV (`Accept: text/csv`): every change after `after` to the end of the feed, one row each
/// with its `position` (resume with `after=<the last row's position>`) and `data` as JSON text.
#[utoipa::path(
    tag = "changes",
    params(ListChangesParams),
    security((), ("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "The changes after `after`, oldest first.", body = ChangePage),
        (status = 400, response = BadRequest),
    )
)]
#[get("/changes")]
pub async fn list_changes(
    caller: Caller,
    format: ListFormat,
    state: web::Data<AppState>,
    Query(params): Query<ListChangesParams>,
) -> Result<HttpResponse, ApiError> {
    let scope = policy::list_scope(&caller, Resource::Organisation)?;
    // Read here too: a bad `after` is a 400 before anything, and a JSON page with no new change
    // answers it back as `next_cursor`.
    let start = match &params.after {
        Some(raw) => decode_position(raw, "after")?,
        None => 0,
    };
    let resources = visible_resources(&caller, params.types.as_deref())?;
    let whole = feed_query(&scope, resources.clone(), 0, 0);
    let total = pagination::total(params.count, &format, || state.store.count_changes(&whole)).await?;
    let pages = move |after, limit| feed_page(state.clone(), scope.clone(), resources.clone(), after, limit);
    csv::respond(
        format,
        CSV_COLUMNS.shown(false),
        params.after,
        params.limit,
        pages,
        move |items: Vec<ChangeItem>, more| ChangePage {
            next_cursor: items
                .last()
                .map_or_else(|| encode_position(start), |last| last.position.clone()),
            has_more: more.is_some(),
            items,
            total,
        },
    )
    .await
}

/// The columns of the feed as CSV: `position` resumes with `after=`, `data` is one cell holding
/// its JSON text (its keys differ by resource; confidential ones are left out of it as in JSON).
pub const CSV_COLUMNS: Columns = Columns {
    parts: &[&["position", "type", "id", "parent_id", "action", "version", "at", "data"]],
    confidential: &[],
};

/// The resources of the feed for `caller`: those of `types`, or all it may read. Accreditations
/// need a login: asked for by name, a refusal (401) rather than silence.
pub(crate) fn visible_resources(caller: &Caller, types: Option<&str>) -> Result<Vec<Resource>, ApiError> {
    let resources = match types {
        Some(raw) => parse_types(raw)?,
        None => Resource::FEED.to_vec(),
    };
    let mut visible = Vec::with_capacity(resources.len());
    for resource in resources {
        if resource == Resource::EsusAccreditation {
            if types.is_some() {
                policy::list_scope(caller, Resource::EsusAccreditation)?;
            } else if policy::list_scope(caller, Resource::EsusAccreditation).is_err() {
                continue;
            }
        }
        visible.push(resource);
    }
    Ok(visible)
}

/// The changes of `resources` after the position `after`, `limit` rows, as `scope` reads them.
fn feed_query(scope: &ListScope, resources: Vec<Resource>, after: i64, limit: i64) -> FeedQuery {
    FeedQuery {
        after,
        resources,
        until: None,
        actions: Vec::new(),
        public_only: scope.public_only,
        limit,
    }
}

/// One page of the feed after the position `after` (absent: from the first change), as `scope`
/// shows it, with the position of its last item when more changes follow.
async fn feed_page(
    state: web::Data<AppState>,
    scope: ListScope,
    resources: Vec<Resource>,
    after: Option<String>,
    limit: Option<i64>,
) -> Result<Page<ChangeItem>, ApiError> {
    let limit = page_limit(limit)?;
    let after = after.as_deref().map(|raw| decode_position(raw, "after")).transpose()?;
    let query = feed_query(&scope, resources, after.unwrap_or(0), limit + 1);
    let mut rows = state.store.list_changes(&query).await?;
    let more = next_page(&mut rows, limit, |last| encode_position(last.seq));
    let items = rows.iter().map(|change| item(change, &scope)).collect();
    Ok((items, more))
}

/// A change of the log as `scope` shows it: an item of the feed, or the body of a webhook.
pub fn item(change: &LoggedChange, scope: &ListScope) -> ChangeItem {
    ChangeItem {
        position: encode_position(change.seq),
        resource: change.resource,
        id: change.record_id,
        parent_id: change.parent_id,
        action: change.action,
        version: change.version,
        at: change.at,
        data: shown_data(change, scope),
    }
}

/// The resources of `types`: known feed resources, each once.
fn parse_types(raw: &str) -> Result<Vec<Resource>, ApiError> {
    let mut resources = Vec::new();
    for name in raw.split(',') {
        let resource = Resource::parse(name)
            .filter(|r| Resource::FEED.contains(r))
            .ok_or_else(|| {
                ApiError::invalid_parameter("types", msg!("changes-type-unknown", name = format!("{name:?}")))
            })?;
        if !resources.contains(&resource) {
            resources.push(resource);
        }
    }
    Ok(resources)
}

/// The feed's items typed per resource, for generated clients: in the document, `ChangeItem`
/// becomes a `oneOf` of `OrganisationChange`, `EsusAccreditationChange`, …, discriminated by
/// `type`, each with the `data` of its resource (`OrganisationRecord`, …: the record as the
/// change log keeps it, the serialization of the same type). A record's fields are all
/// required, but for its confidential ones (`Resource::confidential_keys`), which are left out
/// for callers who may not see them.
pub struct TypedChanges;

/// A record's schema as its derive writes it, with the schemas it refers to.
struct RecordSchema {
    name: String,
    schema: RefOr<Schema>,
    nested: Vec<(String, RefOr<Schema>)>,
}

impl RecordSchema {
    fn of<T: ToSchema>() -> Self {
        let mut nested = Vec::new();
        T::schemas(&mut nested);
        Self {
            name: T::name().into_owned(),
            schema: T::schema(),
            nested,
        }
    }

    /// The change log's record of `resource` (`None`: not in the feed).
    fn of_resource(resource: Resource) -> Option<Self> {
        Some(match resource {
            Resource::Organisation => Self::of::<OrganisationRecord>(),
            Resource::EsusAccreditation => Self::of::<EsusAccreditationRecord>(),
            Resource::Club => Self::of::<ClubRecord>(),
            Resource::ClubMember => Self::of::<ClubMemberRecord>(),
            Resource::Event => Self::of::<EventRecord>(),
            Resource::Sponsorship => Self::of::<SponsorshipRecord>(),
            Resource::User | Resource::ApiClient => return None,
        })
    }
}

/// One object of a record's schema (a record flattens its stored fields into its own: the
/// derive writes an `allOf`), every property required but for `confidential`.
fn one_object(schema: RefOr<Schema>, confidential: &[&str]) -> Object {
    let mut object = crate::http::schemas::one_object(schema);
    object.required = object
        .properties
        .keys()
        .filter(|key| !confidential.contains(&key.as_str()))
        .cloned()
        .collect();
    object
}

impl Modify for TypedChanges {
    fn modify(&self, openapi: &mut OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let Some(RefOr::T(Schema::Object(item))) = components.schemas.get("ChangeItem").cloned() else {
            return;
        };
        let mut one_of = OneOfBuilder::new().description(item.description.clone()).build();
        one_of.example = item.example.clone();
        let mut mapping = Vec::new();
        for resource in Resource::FEED {
            let Some(RecordSchema {
                name: record,
                schema,
                nested,
            }) = RecordSchema::of_resource(resource)
            else {
                continue;
            };
            components.schemas.extend(nested);
            components.schemas.insert(
                record.clone(),
                RefOr::T(Schema::Object(one_object(schema, resource.confidential_keys()))),
            );
            let name = record.replace("Record", "Change");
            let mut typed = item.clone();
            typed.description = Some(format!("A change of a `{resource}`."));
            typed.example = None;
            typed.properties.insert(
                "type".to_owned(),
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some([resource.as_str()]))
                    .into(),
            );
            let data_description = match typed.properties.get("data") {
                Some(RefOr::T(Schema::Object(data))) => data.description.clone(),
                _ => None,
            };
            typed.properties.insert(
                "data".to_owned(),
                OneOfBuilder::new()
                    .item(Ref::from_schema_name(&record))
                    .item(Object::with_type(SchemaType::Type(Type::Null)))
                    .description(data_description)
                    .into(),
            );
            components.schemas.insert(name.clone(), RefOr::T(Schema::Object(typed)));
            one_of.items.push(Ref::from_schema_name(&name).into());
            mapping.push((resource.as_str().to_owned(), format!("#/components/schemas/{name}")));
        }
        one_of.discriminator = Some(Discriminator::with_mapping("type", mapping));
        components
            .schemas
            .insert("ChangeItem".to_owned(), RefOr::T(Schema::OneOf(one_of)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_and_refuse_anything_else() {
        for seq in [0, 1, 127, i64::MAX] {
            assert_eq!(decode_position(&encode_position(seq), "after").unwrap(), seq);
        }
        for bad in ["", "!!", "LTE", "YWJj", &"A".repeat(65)] {
            assert!(decode_position(bad, "after").is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn parse_types_takes_feed_resources_once_and_refuses_accounts() {
        assert_eq!(
            parse_types("organisation,event,organisation").unwrap(),
            [Resource::Organisation, Resource::Event]
        );
        // As its documented pattern says: no space around the commas.
        assert!(parse_types("organisation, event").is_err());
        assert!(parse_types("user").is_err());
        assert!(parse_types("organisation,,event").is_err());
        assert!(parse_types("organisations").is_err());
    }
}
