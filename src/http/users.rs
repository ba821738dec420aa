//! `/api/v1/users`: people's accounts, for administrators only. Password hashes never leave
//! the server.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::auth::password::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};
use crate::auth::policy::{self, Action};
use crate::core::Actor;
use crate::core::Resource;
use crate::core::Target;
use crate::core::role::{Role, RoleName, ScopeError};
use crate::domain::codes::RegionCodeSchema;
use crate::domain::contact::Email;
use crate::domain::message::{Message, msg};
use crate::domain::{Invalid, Violations, missing};
use crate::http::AppState;
use crate::http::csv::{Columns, ListFormat, Page};
use crate::http::error::ApiError;
use crate::http::etag::{self, Conditions, Tagged};
use crate::http::extract::{JsonBody, Query, present};
use crate::http::kernel::{self, Kept, Listing, kept_endpoint};
use crate::http::pagination::{decode_cursor, encode_cursor, list_page, next_page, page_limit, paged};
use crate::http::responses::{BadRequest, Conflict, Forbidden};
use crate::store::references::MissingRecord;
use crate::store::users::{ListAccounts, User, UserChange, UserFields};
use crate::store::{Store, StoreError};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(get_user)
        .service(update_user)
        .service(delete_user);
}

/// A person's account.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e12",
    "email": "claire.martin@cress-occitanie.example",
    "role": "cress_manager",
    "region_code": "76",
    "organisation_id": null,
    "active": true,
    "created_at": "2026-11-26T09:30:00Z",
    "updated_at": "2026-11-26T09:30:00Z",
    "version": 1
}))]
pub struct UserResponse {
    pub id: Uuid,
    /// Lower-cased; unique.
    #[schema(format = Email)]
    pub email: String,
    pub role: RoleName,
    /// The region of a `cress_manager`; `null` for the other roles.
    #[schema(required = true, value_type = Option<RegionCodeSchema>)]
    pub region_code: Option<String>,
    /// The organisation of a `partner`; `null` for the other roles.
    #[schema(required = true)]
    pub organisation_id: Option<Uuid>,
    /// An inactive account cannot log in; its refresh tokens are revoked.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(minimum = 1)]
    pub version: i64,
}

impl From<User> for UserResponse {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            email: u.fields.email,
            role: u.fields.role,
            region_code: u.fields.region_code,
            organisation_id: u.fields.organisation_id,
            active: u.fields.active,
            created_at: u.created_at,
            updated_at: u.updated_at,
            version: u.version,
        }
    }
}

/// A new account. A `cress_manager` needs `region_code`, a `partner` needs `organisation_id`
/// (an existing organisation); the other roles take neither.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "email": "claire.martin@cress-occitanie.example",
    "password": "une phrase de passe assez longue",
    "role": "cress_manager",
    "region_code": "76"
}))]
pub struct CreateUserRequest {
    #[schema(required = true, value_type = String, format = Email, max_length = 254)]
    #[serde(default)]
    pub email: Option<String>,
    /// 12 to 256 characters.
    #[schema(required = true, value_type = String, format = Password, min_length = 12, max_length = 256)]
    #[serde(default)]
    pub password: Option<String>,
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

/// Changes to an account (JSON merge patch). A new password, role, scope or deactivation
/// revokes the account's refresh tokens.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct UpdateUserRequest {
    #[schema(value_type = String, format = Email, max_length = 254)]
    #[serde(default, deserialize_with = "present")]
    pub email: Option<Option<String>>,
    #[schema(value_type = String, format = Password, min_length = 12, max_length = 256)]
    #[serde(default, deserialize_with = "present")]
    pub password: Option<Option<String>>,
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

/// Filters and page of the user list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListUsersParams {
    /// Page size, 1 to 200.
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page, unchanged.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
    /// Only accounts with this role.
    pub role: Option<RoleName>,
    /// Only active (`true`) or inactive (`false`) accounts.
    pub active: Option<bool>,
    /// `true` adds `total` to the page: how many users match the filters in all (one more
    /// query, which reads every matching row: on a long list it costs more than the page).
    pub count: Option<bool>,
}

list_page! {
    /// One page of users, by e-mail.
    UserPage of UserResponse, total: "With `count=true` only: how many users match the filters in all."
}

/// Checks a role and its scope, and that a partner's organisation exists; every failing field
/// goes into `errors`.
pub(crate) async fn check_role(
    state: &AppState,
    role: Option<RoleName>,
    region_code: Option<String>,
    organisation_id: Option<Uuid>,
    errors: &mut Violations,
) -> Result<Option<Role>, ApiError> {
    check_organisation(state, organisation_id, errors).await?;
    Ok(parse_role(role, region_code, organisation_id, errors))
}

/// A role with its scope, or `None` with the failing field in `errors` (a field that already
/// failed is not listed twice).
fn parse_role(
    role: Option<RoleName>,
    region_code: Option<String>,
    organisation_id: Option<Uuid>,
    errors: &mut Violations,
) -> Option<Role> {
    let Some(name) = role else {
        errors.refuse("role", missing());
        return None;
    };
    match Role::from_parts(name, region_code.as_deref(), organisation_id) {
        Ok(role) if !errors.has("organisation_id") => Some(role),
        Ok(_) => None,
        Err(error) => {
            if !errors.has(error.field()) {
                errors.refuse(error.field(), Invalid::new(error.code(), scope_refused(&error)));
            }
            None
        }
    }
}

/// Why a role and a scope do not go together, for people: the words of [`ScopeError`]'s
/// `Display`.
fn scope_refused(error: &ScopeError) -> Message {
    match error {
        ScopeError::MissingOrganisation => msg!("users-role-needs-organisation"),
        ScopeError::MissingRegion => msg!("users-role-needs-region"),
        ScopeError::UnknownRegion(code) => msg!("users-region-unknown", code = code),
        ScopeError::UnexpectedRegion(role) => msg!("users-role-takes-no-region", role = role.as_str()),
        ScopeError::UnexpectedOrganisation(role) => msg!("users-role-takes-no-organisation", role = role.as_str()),
    }
}

/// A reference to an organisation that does not exist is a 422 on `organisation_id`.
async fn check_organisation(
    state: &AppState,
    organisation_id: Option<Uuid>,
    errors: &mut Violations,
) -> Result<(), ApiError> {
    let Some(org) = organisation_id else { return Ok(()) };
    match state.store.get_organisation(org).await {
        Ok(_) => Ok(()),
        Err(StoreError::NotFound(_)) => {
            let missing = MissingRecord::new("organisation_id", Resource::Organisation, org);
            errors.refuse("organisation_id", missing.invalid());
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}

/// The role part of a merge patch of an account.
#[derive(Debug, Clone)]
pub(crate) struct RolePatch {
    pub role: Option<Option<RoleName>>,
    pub region_code: Option<Option<String>>,
    pub organisation_id: Option<Option<Uuid>>,
}

impl RolePatch {
    /// Checks, before the update, that an organisation the patch names exists.
    pub(crate) async fn check_organisation(&self, state: &AppState, errors: &mut Violations) -> Result<(), ApiError> {
        check_organisation(state, self.organisation_id.flatten(), errors).await
    }

    /// The role and scope after the patch. A change of role drops the old scope unless a new
    /// one is sent with it.
    pub(crate) fn apply(
        &self,
        role: RoleName,
        region_code: &Option<String>,
        organisation_id: Option<Uuid>,
        errors: &mut Violations,
    ) -> Option<Role> {
        let role_changes = self.role.is_some();
        let name = self.role.unwrap_or(Some(role));
        let region_code = match &self.region_code {
            Some(region) => region.clone(),
            None if role_changes => None,
            None => region_code.clone(),
        };
        let organisation_id = match self.organisation_id {
            Some(org) => org,
            None if role_changes => None,
            None => organisation_id,
        };
        parse_role(name, region_code, organisation_id, errors)
    }
}

/// The active flag after a merge patch: it cannot be null.
pub(crate) fn patched_active(patch: Option<Option<bool>>, current: bool, errors: &mut Violations) -> Option<bool> {
    match patch {
        Some(Some(active)) => Some(active),
        Some(None) => {
            errors.refuse("active", Invalid::new("required", msg!("users-active-not-null")));
            None
        }
        None => Some(current),
    }
}

/// The stored columns of a role with its scope.
pub(crate) fn role_columns(role: &Role) -> (RoleName, Option<String>, Option<Uuid>) {
    (role.name(), role.region().map(|r| r.as_str().to_owned()), role.org())
}

fn check_email(raw: Option<String>, errors: &mut Violations) -> Option<String> {
    let Some(raw) = raw else {
        errors.refuse("email", missing());
        return None;
    };
    match Email::parse(&raw) {
        Ok(email) => Some(email.as_str().to_lowercase()),
        Err(invalid) => {
            errors.refuse("email", invalid);
            None
        }
    }
}

fn check_password(raw: Option<String>, errors: &mut Violations) -> Option<SecretString> {
    let Some(raw) = raw else {
        errors.refuse("password", missing());
        return None;
    };
    let length = raw.chars().count();
    if length < PASSWORD_MIN_CHARS {
        errors.refuse(
            "password",
            Invalid::new("too_short", msg!("users-password-too-short", min = PASSWORD_MIN_CHARS)),
        );
        None
    } else if length > PASSWORD_MAX_CHARS {
        errors.refuse(
            "password",
            Invalid::new("too_long", msg!("users-password-too-long", max = PASSWORD_MAX_CHARS)),
        );
        None
    } else {
        Some(SecretString::from(raw))
    }
}

/// Hashes a password in its turn, off the async workers (argon2 is deliberately slow).
pub(crate) async fn hash_password(state: &web::Data<AppState>, password: SecretString) -> Result<String, ApiError> {
    state
        .auth
        .passwords
        .hash_in_turn(password)
        .await
        .map_err(ApiError::Internal)
}

/// List users.
///
/// Administrators only. Sorted by e-mail; filtered by role and active flag.
#[utoipa::path(
    tag = "users",
    params(ListUsersParams),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "One page of users.", body = UserPage),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
    )
)]
#[get("/users")]
pub async fn list_users(
    caller: Caller,
    format: ListFormat,
    state: web::Data<AppState>,
    Query(params): Query<ListUsersParams>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::Read, &Target::users())?;
    kernel::list(format, state, (), CSV_COLUMNS.shown(false), params).await
}

/// The columns of the user list as CSV.
pub const CSV_COLUMNS: Columns = Columns {
    parts: &[&["id"], UserFields::NAMES, &["created_at", "updated_at", "version"]],
    confidential: &[],
};

paged!(ListUsersParams);

impl Listing for ListUsersParams {
    type Scope = ();
    type Page = UserPage;

    async fn count(&self, store: &Store, _: &()) -> Result<i64, ApiError> {
        Ok(store.count_users(&accounts(self.role, self.active)).await?)
    }

    async fn page(self, state: web::Data<AppState>, _: ()) -> Result<Page<UserResponse>, ApiError> {
        let (query, limit) = accounts_page(accounts(self.role, self.active), self.cursor, self.limit, "email")?;
        let mut rows = state.store.list_users(&query).await?;
        let next_cursor = next_page(&mut rows, limit, |last| {
            encode_cursor("email", &last.fields.email, last.id)
        });
        Ok((rows.into_iter().map(UserResponse::from).collect(), next_cursor))
    }
}

/// The accounts (users or API clients) of `role` and `active`, from the start of their list.
pub(crate) fn accounts(role: Option<RoleName>, active: Option<bool>) -> ListAccounts {
    ListAccounts {
        role,
        active,
        ..Default::default()
    }
}

/// The page of `accounts` that `cursor` and `limit` ask for, in the order `sort` (a cursor is
/// made for one order), with the number of rows it shows.
pub(crate) fn accounts_page(
    accounts: ListAccounts,
    cursor: Option<String>,
    limit: Option<i64>,
    sort: &str,
) -> Result<(ListAccounts, i64), ApiError> {
    let limit = page_limit(limit)?;
    let after = cursor.as_deref().map(|raw| decode_cursor(raw, sort)).transpose()?;
    let query = ListAccounts {
        after,
        limit: limit + 1,
        ..accounts
    };
    Ok((query, limit))
}

/// Create a user.
///
/// Administrators only. The e-mail is lower-cased and unique (409 `duplicate`); the password
/// has 12 to 256 characters and is stored as an argon2id hash; a `cress_manager` needs
/// `region_code`, a `partner` an existing `organisation_id`, and the other roles neither.
#[utoipa::path(
    tag = "users",
    request_body(content = CreateUserRequest, content_type = "application/json"),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 201, description = "Created; `Location` is its address.", body = UserResponse,
            headers(("Location" = String, description = "The address of the new user."))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    )
)]
#[post("/users")]
pub async fn create_user(
    caller: Caller,
    state: web::Data<AppState>,
    JsonBody(body): JsonBody<CreateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::Create, &Target::users())?;
    let mut errors = Violations::default();
    let email = check_email(body.email, &mut errors);
    let password = check_password(body.password, &mut errors);
    let role = check_role(&state, body.role, body.region_code, body.organisation_id, &mut errors).await?;
    let (Some(email), Some(password), Some(role)) = (email, password, role) else {
        return Err(errors.into());
    };
    let (role, region_code, organisation_id) = role_columns(&role);
    let fields = UserFields {
        email,
        role,
        region_code,
        organisation_id,
        active: body.active.unwrap_or(true),
    };
    let hash = hash_password(&state, password).await?;
    let created = state.store.create_user(&fields, &hash, &caller.actor()?).await?;
    tracing::info!(user.id = %created.id, by = caller.subject().unwrap_or_default(), "user created");
    let location = format!("/api/v1/users/{}", created.id);
    Ok(etag::created(location, Tagged::of(&UserResponse::from(created))?))
}

kept_endpoint! {
    /// Get a user.
    ///
    /// Administrators only.
    read get_user("/users/{id}") -> User,
    tag = "users", id = "The user's id.", signed_in,
    responses(
        (status = 200, description = "The user.", body = UserResponse),
        (status = 403, response = Forbidden),
    )
}

/// Change a user.
///
/// Administrators only. A JSON merge patch; the result must pass the checks of a creation. A
/// new password, role, scope or deactivation revokes the user's refresh tokens (access tokens
/// already issued expire on their own). The last active administrator cannot be demoted or
/// deactivated (409 `last_admin`).
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "The user's id.")),
    request_body(content(
        (UpdateUserRequest = "application/merge-patch+json"),
        (UpdateUserRequest = "application/json"),
    )),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "The user as changed.", body = UserResponse),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    )
)]
#[patch("/users/{id}")]
pub async fn update_user(
    caller: Caller,
    conditions: Conditions,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(patch): JsonBody<UpdateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::Update, &Target::users())?;
    let id = id.into_inner();
    let before = state.store.get_user(id).await?;
    let mut checked = Violations::default();
    let role_patch = RolePatch {
        role: patch.role,
        region_code: patch.region_code.clone(),
        organisation_id: patch.organisation_id,
    };
    role_patch.check_organisation(&state, &mut checked).await?;
    let password = match patch.password.clone() {
        Some(password) => check_password(password, &mut checked),
        None => None,
    };
    let password_hash = match password {
        Some(password) if checked.is_empty() => Some(hash_password(&state, password).await?),
        _ => None,
    };
    // Computed from the user as read by the compare-and-set update, so that a concurrent
    // change is never overwritten unseen.
    let change = |current: &User| -> Result<UserChange, ApiError> {
        conditions.require_current(WHAT, || Tagged::of(&UserResponse::from(current.clone())))?;
        let mut errors = checked.clone();
        let email = match patch.email.clone() {
            Some(email) => check_email(email, &mut errors),
            None => Some(current.fields.email.clone()),
        };
        let f = &current.fields;
        let role = role_patch.apply(f.role, &f.region_code, f.organisation_id, &mut errors);
        let active = patched_active(patch.active, f.active, &mut errors);
        let (Some(email), Some(role), Some(active), true) = (email, role, active, errors.is_empty()) else {
            return Err(errors.into());
        };
        let (role, region_code, organisation_id) = role_columns(&role);
        Ok(UserChange {
            fields: UserFields {
                email,
                role,
                region_code,
                organisation_id,
                active,
            },
            password_hash: password_hash.clone(),
        })
    };
    let after = change(&before)?;
    if after.fields.role != RoleName::Admin || !after.fields.active {
        refuse_losing_the_last_admin(&state, &before).await?;
    }
    let updated = state.store.update_user(id, &caller.actor()?, change).await?;
    let ends_sessions = password_hash.is_some()
        || updated.fields.role != before.fields.role
        || updated.fields.region_code != before.fields.region_code
        || updated.fields.organisation_id != before.fields.organisation_id
        || !updated.fields.active;
    if ends_sessions {
        state.store.revoke_user_refresh_tokens(id).await?;
    }
    tracing::info!(user.id = %id, by = caller.subject().unwrap_or_default(), "user changed");
    Ok(etag::ok(Tagged::of(&UserResponse::from(updated))?))
}

kept_endpoint! {
    /// Delete a user.
    ///
    /// Administrators only. Its refresh tokens go with it. The last active administrator cannot be
    /// deleted (409 `last_admin`).
    delete delete_user("/users/{id}") -> User,
    tag = "users", id = "The user's id.",
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    )
}

impl Kept for User {
    const KIND: Resource = Resource::User;
    type Shown = UserResponse;

    async fn load(state: &AppState, id: Uuid) -> Result<Self, ApiError> {
        Ok(state.store.get_user(id).await?)
    }

    fn target(&self) -> Target {
        Target::users()
    }

    fn version(&self) -> i64 {
        self.version
    }

    fn shown_to(self, _caller: &Caller) -> UserResponse {
        UserResponse::from(self)
    }

    async fn remove(state: &AppState, id: Uuid, version: i64, actor: &Actor) -> Result<(), StoreError> {
        state.store.delete_user(id, Some(version), actor).await
    }

    async fn may_remove(&self, state: &AppState) -> Result<(), ApiError> {
        refuse_losing_the_last_admin(state, self).await
    }
}

/// People could otherwise lock themselves out of the users endpoints for good.
async fn refuse_losing_the_last_admin(state: &AppState, user: &User) -> Result<(), ApiError> {
    if user.fields.role != RoleName::Admin || !user.fields.active {
        return Ok(());
    }
    if state.store.count_active_admins().await? <= 1 {
        return Err(ApiError::Conflict {
            code: "last_admin",
            detail: msg!("users-last-admin"),
            existing_id: None,
        });
    }
    Ok(())
}

/// How the answers name a user.
const WHAT: &str = "user";
