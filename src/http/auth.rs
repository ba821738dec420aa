//! `/api/v1/auth`: access tokens for people (e-mail and password) and machine clients (OAuth 2.0
//! client credentials), refresh-token rotation, and logout.

use std::net::IpAddr;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, post, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::password::{CheckError, constant_time_eq, random_token, secret_digest};
use crate::core::role::Role;
use crate::domain::message::{Message, msg};
use crate::domain::{Invalid, Violations};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::parse_json;
use crate::http::responses::TooManyRequests;
use crate::store::tokens::Rotation;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(issue_token).service(logout);
}

/// A token request as JSON: a person's e-mail and password, or a refresh token with
/// `grant_type` `refresh_token`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "claire.martin@cress-occitanie.example", "password": "une phrase de passe assez longue"}))]
pub struct TokenRequest {
    /// `password` (the default, with `email` and `password`) or `refresh_token` (with `refresh_token`).
    #[schema(example = "password")]
    #[serde(default)]
    pub grant_type: Option<String>,
    #[schema(format = Email, max_length = 254)]
    #[serde(default)]
    pub email: Option<String>,
    #[schema(format = Password, max_length = 256)]
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// A token request as an OAuth 2.0 form (RFC 6749): `grant_type` `password` (with `username`
/// as the e-mail, and `password`), `client_credentials` (with `client_id` and `client_secret`,
/// or HTTP Basic), or `refresh_token` (with `refresh_token`). Other parameters (`scope`) are
/// ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"grant_type": "client_credentials", "client_id": "cli_Q2hvb3NlIGEgbmFtZQ", "client_secret": "s3cr3t-shown-once-at-creation"}))]
pub struct TokenForm {
    #[schema(example = "client_credentials")]
    pub grant_type: GrantType,
    /// For `password`: the person's e-mail.
    pub username: Option<String>,
    /// For `password`.
    #[schema(format = Password)]
    pub password: Option<String>,
    /// For `client_credentials`, unless sent with HTTP Basic.
    pub client_id: Option<String>,
    #[schema(format = Password)]
    pub client_secret: Option<String>,
    /// For `refresh_token`.
    pub refresh_token: Option<String>,
}

/// The grants of the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    Password,
    ClientCredentials,
    RefreshToken,
}

/// An access token (RFC 6749 §5.1). People also get a refresh token.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMTkzYTFmMiJ9.c2lnbmF0dXJl",
    "token_type": "Bearer",
    "expires_in": 900,
    "refresh_token": "q0vJb0m1Yc8mZ8b2ZJ8j3c1W6oYp1rQ9x5kT2nL4s7E"
}))]
pub struct TokenResponse {
    /// A JWT to send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// For people: exchange it once for a new pair (`grant_type=refresh_token`); using it twice
    /// revokes the session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// A refresh token to revoke.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "q0vJb0m1Yc8mZ8b2ZJ8j3c1W6oYp1rQ9x5kT2nL4s7E"}))]
pub struct LogoutRequest {
    #[schema(min_length = 1)]
    pub refresh_token: String,
}

/// What a token request asks, whatever its form.
enum Grant {
    Password { email: String, password: String },
    ClientCredentials { client_id: String, secret: String },
    RefreshToken(String),
}

/// Get an access token.
///
/// People send JSON `{"email", "password"}` (or the OAuth form `grant_type=password` with
/// `username` and `password`, as Swagger UI's Authorize dialog does) and get an access token and
/// a refresh token. Machine clients use the OAuth 2.0 client-credentials grant: the form
/// `grant_type=client_credentials` with `client_id` and `client_secret`, or with HTTP Basic.
/// `grant_type=refresh_token` (form or JSON) exchanges a refresh token for a new pair; the old
/// one is used up, and presenting it again revokes every token of its session.
///
/// Refusals follow RFC 6749 §5.2, with `error` and `error_description` beside the problem
/// fields: an unknown e-mail and a wrong password get the same 400 `invalid_grant` (so does a
/// used, revoked or expired refresh token); a malformed request 400 `invalid_request` or
/// `unsupported_grant_type`; a bad client 401 `invalid_client` with `WWW-Authenticate: Basic`.
/// After 5 failed logins for an account from one address within 15 minutes, 100 for an
/// account from all addresses, or 20 from one address whatever the account, the answer is 429
/// with `Retry-After` (counted in the database: every instance shares the counts). A failure is counted before the password is checked, so parallel guesses count as
/// sequential ones; a right password gives it back.
#[utoipa::path(
    tag = "auth",
    params(("Accept-Language" = Option<String>, Header,
        description = "The language of `error_description` and of the problem's words: `fr` (the default) or `en`, \
            with q-weights as browsers send it, such as `en-GB,en;q=0.8`. Every operation negotiates it; these \
            two declare it because a login screen shows their `error_description` as it is.")),
    request_body(content(
        (TokenRequest = "application/json"),
        (TokenForm = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The access token (and, for people, a refresh token).", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`: tokens are not cached."))),
        (status = 400, description = "The grant is refused (`invalid_grant`: a wrong e-mail or password, a used, \
            revoked or expired refresh token) or the request is not one (`invalid_request`, \
            `unsupported_grant_type`): `error` and `error_description` as RFC 6749 §5.2 says, beside the \
            problem fields.",
            body = crate::http::error::Problem, content_type = "application/problem+json",
            example = json!({
                "type": "/problems/invalid_grant",
                "status": 400,
                "detail": "the e-mail or the password is wrong",
                "code": "invalid_grant",
                "error": "invalid_grant",
                "error_description": "the e-mail or the password is wrong"
            })),
        (status = 401, description = "The client is not authenticated (`invalid_client`: a wrong client id or \
            secret, an inactive client).",
            body = crate::http::error::Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "`Basic realm=\"cress-api\"`: authenticate the client with HTTP Basic.")),
            example = json!({
                "type": "/problems/invalid_client",
                "status": 401,
                "detail": "the client id or the client secret is wrong",
                "code": "invalid_client",
                "error": "invalid_client",
                "error_description": "the client id or the client secret is wrong"
            })),
        (status = 429, response = TooManyRequests),
    )
)]
#[post("/auth/token")]
pub async fn issue_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let grant = read_grant(&req, &body)?;
    let ip = crate::http::client_address::client_address(&req);
    let answer = match grant {
        Grant::Password { email, password } => password_grant(&state, email, password, ip).await?,
        Grant::ClientCredentials { client_id, secret } => {
            client_credentials_grant(&state, &client_id, &secret, ip).await?
        }
        Grant::RefreshToken(token) => refresh_grant(&state, &token).await?,
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(answer))
}

/// Log out: revoke a refresh token and every token of its session.
///
/// Send the refresh token as JSON `{"refresh_token": "…"}` or as a form. The answer is 204
/// whether or not the token was known, so that it tells nothing about tokens. Access tokens
/// already issued stay valid until they expire (15 minutes by default).
#[utoipa::path(
    tag = "auth",
    params(("Accept-Language" = Option<String>, Header,
        description = "The language of `error_description` and of the problem's words: `fr` (the default) or `en`, \
            with q-weights as browsers send it, such as `en-GB,en;q=0.8`. Every operation negotiates it; these \
            two declare it because a login screen shows their `error_description` as it is.")),
    request_body(content(
        (LogoutRequest = "application/json"),
        (LogoutRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 204, description = "The session is over."),
    )
)]
#[post("/auth/logout")]
pub async fn logout(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let token = if is_form(&req) {
        let form = Form::parse(&body)?;
        form.only(&["refresh_token"])?;
        form.required("refresh_token")?.to_owned()
    } else {
        check_json(&req)?;
        let token = parse_json::<LogoutRequest>(&body)?.refresh_token;
        if token.is_empty() {
            return Err(invalid_request(msg!("auth-parameter-missing", name = "refresh_token")));
        }
        token
    };
    state.store.revoke_refresh_token(&secret_digest(&token)).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn password_grant(
    state: &web::Data<AppState>,
    email: String,
    password: String,
    ip: Option<IpAddr>,
) -> Result<TokenResponse, ApiError> {
    let auth = &state.auth;
    let email: String = email.trim().to_lowercase().chars().take(254).collect();
    // A failure is reserved before the password is checked: parallel guesses count as
    // sequential ones.
    let attempt = auth
        .limiter
        .attempt(&state.store, &email, ip)
        .await?
        .map_err(too_many_failures)?;
    let credentials = state.store.find_user_credentials(&email).await?;
    // An inactive account is checked against the dummy hash too: same answer, same time.
    let hash = credentials
        .as_ref()
        .filter(|c| c.user.fields.active)
        .map(|c| c.password_hash.clone());
    let matches = match auth.passwords.verify_in_turn(SecretString::from(password), hash).await {
        Ok(matches) => matches,
        Err(CheckError::Busy) => {
            // Not a failure of this account: give the reservation back.
            auth.limiter.succeeded(&state.store, attempt).await?;
            tracing::warn!("login refused: too many passwords are being checked at once");
            return Err(ApiError::TooManyRequests {
                retry_after: 1,
                detail: msg!("auth-logins-busy"),
            });
        }
        Err(CheckError::Failed(error)) => return Err(ApiError::Internal(error)),
    };
    let Some(user) = credentials.filter(|_| matches).map(|c| c.user) else {
        auth.limiter.failed(&state.store, attempt).await;
        tracing::info!("login refused");
        return Err(oauth(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            msg!("auth-credentials-wrong"),
        ));
    };
    auth.limiter.succeeded(&state.store, attempt).await?;
    let role = stored_role(user.fields.role(), "user")?;
    let refresh_token = random_token();
    let lifetime = auth.refresh_ttl_seconds.min(auth.refresh_session_max_seconds);
    let expires_at = crate::store::now() + chrono::Duration::seconds(ttl(lifetime));
    state
        .store
        .start_refresh_family(user.id, &secret_digest(&refresh_token), expires_at)
        .await?;
    tracing::info!(user.id = %user.id, "user logged in");
    tokens_for(state, &user.id.to_string(), &role, Some(refresh_token))
}

async fn client_credentials_grant(
    state: &web::Data<AppState>,
    client_id: &str,
    secret: &str,
    ip: Option<IpAddr>,
) -> Result<TokenResponse, ApiError> {
    let auth = &state.auth;
    let account: String = format!("client:{client_id}").chars().take(254).collect();
    let attempt = auth
        .limiter
        .attempt(&state.store, &account, ip)
        .await?
        .map_err(too_many_failures)?;
    let credentials = state.store.find_api_client_credentials(client_id).await?;
    let digest = secret_digest(secret);
    let client = credentials
        .filter(|c| c.client.fields.active && constant_time_eq(&digest, &c.secret_hash))
        .map(|c| c.client);
    let Some(client) = client else {
        auth.limiter.failed(&state.store, attempt).await;
        tracing::info!("client authentication refused");
        return Err(ApiError::OAuth {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            detail: msg!("auth-client-wrong"),
        });
    };
    auth.limiter.succeeded(&state.store, attempt).await?;
    let role = stored_role(client.fields.role(), "API client")?;
    tracing::info!(api_client.id = %client.id, "client authenticated");
    tokens_for(state, &client.client_id, &role, None)
}

async fn refresh_grant(state: &web::Data<AppState>, token: &str) -> Result<TokenResponse, ApiError> {
    let auth = &state.auth;
    let next = random_token();
    let expires_at = crate::store::now() + chrono::Duration::seconds(ttl(auth.refresh_ttl_seconds));
    let rotation = state
        .store
        .rotate_refresh_token(
            &secret_digest(token),
            &secret_digest(&next),
            expires_at,
            chrono::Duration::seconds(ttl(auth.refresh_session_max_seconds)),
        )
        .await?;
    let refused = |detail: Message| oauth(StatusCode::BAD_REQUEST, "invalid_grant", detail);
    let user_id = match rotation {
        Rotation::Rotated { user_id } => user_id,
        Rotation::Replayed => {
            return Err(refused(msg!("auth-refresh-replayed")));
        }
        Rotation::Invalid => {
            return Err(refused(msg!("auth-refresh-invalid")));
        }
    };
    let user = match state.store.get_user(user_id).await {
        Ok(user) if user.fields.active => user,
        Ok(_) | Err(crate::store::StoreError::NotFound(_)) => {
            state.store.revoke_user_refresh_tokens(user_id).await?;
            return Err(refused(msg!("auth-account-inactive")));
        }
        Err(error) => return Err(error.into()),
    };
    let role = stored_role(user.fields.role(), "user")?;
    tokens_for(state, &user.id.to_string(), &role, Some(next))
}

fn tokens_for(
    state: &web::Data<AppState>,
    subject: &str,
    role: &Role,
    refresh_token: Option<String>,
) -> Result<TokenResponse, ApiError> {
    let (access_token, expires_in) = state.auth.access_token(subject, role)?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in,
        refresh_token,
    })
}

/// The role of a stored account; the database's checks make a mismatch impossible, so one is
/// a fault of ours.
fn stored_role(role: Result<Role, crate::core::role::ScopeError>, what: &str) -> Result<Role, ApiError> {
    role.map_err(|e| ApiError::Internal(anyhow::anyhow!("a stored {what} has an inconsistent role: {e}")))
}

fn ttl(seconds: u64) -> i64 {
    i64::try_from(seconds).unwrap_or(i64::MAX / 4)
}

fn too_many_failures(retry_after: u64) -> ApiError {
    tracing::warn!(retry_after, "login refused: too many failures");
    ApiError::TooManyRequests {
        retry_after,
        detail: msg!("auth-too-many-failures", seconds = retry_after),
    }
}

fn oauth(status: StatusCode, error: &'static str, detail: Message) -> ApiError {
    ApiError::OAuth { status, error, detail }
}

fn invalid_request(detail: Message) -> ApiError {
    ApiError::OAuth {
        status: StatusCode::BAD_REQUEST,
        error: "invalid_request",
        detail,
    }
}

fn media_type(req: &HttpRequest) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn is_form(req: &HttpRequest) -> bool {
    media_type(req) == "application/x-www-form-urlencoded"
}

fn check_json(req: &HttpRequest) -> Result<(), ApiError> {
    let essence = media_type(req);
    if essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|s| s.ends_with("+json"))
    {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(if essence.is_empty() {
            msg!("auth-content-type-missing")
        } else {
            msg!("auth-content-type-unsupported", media_type = essence)
        }))
    }
}

/// The parameters of a form body; each may appear once (RFC 6749 §3.2).
struct Form(Vec<(String, String)>);

impl Form {
    fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (name, value) in form_urlencoded::parse(body) {
            if pairs.iter().any(|(known, _)| *known == name) {
                return Err(invalid_request(msg!("auth-parameter-repeated", name = name)));
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        Ok(Self(pairs))
    }

    /// A parameter; an empty value counts as absent (RFC 6749 §3.1).
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(known, value)| known == name && !value.is_empty())
            .map(|(_, value)| value.as_str())
    }

    /// Refuses a parameter not in `known`, so that a misspelt one is not silently ignored. Only
    /// for our own forms: the token endpoint ignores unknown parameters, as RFC 6749 §3.2 asks.
    fn only(&self, known: &[&str]) -> Result<(), ApiError> {
        match self.0.iter().find(|(name, _)| !known.contains(&name.as_str())) {
            Some((name, _)) => Err(invalid_request(msg!("auth-parameter-unknown", name = name))),
            None => Ok(()),
        }
    }

    fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name)
            .ok_or_else(|| invalid_request(msg!("auth-parameter-missing", name = name)))
    }
}

fn read_grant(req: &HttpRequest, body: &[u8]) -> Result<Grant, ApiError> {
    if is_form(req) {
        let form = Form::parse(body)?;
        match form.required("grant_type")? {
            // Swagger UI sends an empty HTTP Basic header with the password grant: people are
            // public clients here, so client authentication is not asked for, nor looked at.
            "password" => Ok(Grant::Password {
                email: form.required("username")?.to_owned(),
                password: form.required("password")?.to_owned(),
            }),
            "client_credentials" => {
                let (client_id, secret) = client_authentication(req, &form)?;
                Ok(Grant::ClientCredentials { client_id, secret })
            }
            "refresh_token" => Ok(Grant::RefreshToken(form.required("refresh_token")?.to_owned())),
            other => Err(unsupported_grant(other)),
        }
    } else {
        check_json(req)?;
        let request: TokenRequest = parse_json(body)?;
        match request.grant_type.as_deref().unwrap_or("password") {
            "password" => {
                let mut errors = Violations::default();
                let missing = || Invalid::new("required", msg!("auth-field-required"));
                if request.email.as_deref().is_none_or(|e| e.trim().is_empty()) {
                    errors.refuse("email", missing());
                }
                if request.password.as_deref().is_none_or(str::is_empty) {
                    errors.refuse("password", missing());
                }
                match (request.email, request.password) {
                    (Some(email), Some(password)) if errors.is_empty() => Ok(Grant::Password { email, password }),
                    _ => Err(errors.into()),
                }
            }
            "refresh_token" => match request.refresh_token.filter(|t| !t.is_empty()) {
                Some(token) => Ok(Grant::RefreshToken(token)),
                None => Err(ApiError::invalid_field(
                    "refresh_token",
                    "required",
                    msg!("auth-field-required"),
                )),
            },
            "client_credentials" => Err(invalid_request(msg!("auth-client-credentials-not-form"))),
            other => Err(unsupported_grant(other)),
        }
    }
}

fn unsupported_grant(grant: &str) -> ApiError {
    let shown: String = grant.chars().filter(|c| !c.is_control()).take(40).collect();
    ApiError::OAuth {
        status: StatusCode::BAD_REQUEST,
        error: "unsupported_grant_type",
        detail: msg!("auth-grant-unsupported", grant = shown),
    }
}

/// The client id and secret, from HTTP Basic (RFC 6749 §2.3.1: each form-encoded, then
/// joined by `:` and base64-encoded) or from the form, but not both.
fn client_authentication(req: &HttpRequest, form: &Form) -> Result<(String, String), ApiError> {
    let basic = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, credentials)| credentials.trim().to_owned());
    let in_form = (form.get("client_id"), form.get("client_secret"));
    let bad_client = |detail: Message| ApiError::OAuth {
        status: StatusCode::UNAUTHORIZED,
        error: "invalid_client",
        detail,
    };
    match (basic, in_form) {
        (Some(_), (Some(_), _) | (_, Some(_))) => Err(invalid_request(msg!("auth-client-credentials-twice"))),
        (Some(encoded), _) => {
            let decoded = STANDARD
                .decode(encoded)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| bad_client(msg!("auth-basic-not-base64")))?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(|| bad_client(msg!("auth-basic-not-pair")))?;
            let (id, secret) = (form_decode(id), form_decode(secret));
            if id.is_empty() || secret.is_empty() {
                return Err(bad_client(msg!("auth-basic-incomplete")));
            }
            Ok((id, secret))
        }
        (None, (Some(id), Some(secret))) => Ok((id.to_owned(), secret.to_owned())),
        (None, _) => Err(bad_client(msg!("auth-client-unauthenticated"))),
    }
}

fn form_decode(raw: &str) -> String {
    form_urlencoded::parse(format!("v={raw}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}
