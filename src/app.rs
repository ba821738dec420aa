//! The application: routes, middleware, the OpenAPI document and Swagger UI, and the server.

use std::net::TcpListener;
use std::time::Duration;

use actix_cors::Cors;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::http::{Method, header};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::security::{
    ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme,
};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::{AppExt, UtoipaApp, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::Auth;
use crate::config::{MetricsExposure, Settings};
use crate::domain::message::msg;
use crate::http::error::{ApiError, FieldError, Problem, problem_for_every_error};
use crate::http::extract::{BodyLimit, path_error};
use crate::http::hardening::{RequestTimeout, security_headers, time_limit};
use crate::http::methods::{AllowedMethods, no_route};
use crate::http::metrics::Metrics;
use crate::http::observe::{RequestSpan, request_id};
use crate::http::{
    AppState, audit, auth, changes, clients, clubs, esus, events, health, idempotency, import, organisations, problems,
    responses, sponsorships, users, webhooks,
};
use crate::store::Store;

const API_DESCRIPTION: &str = r#"The shared register of the French social and solidarity economy (ESS) for the regional
Cress (chambres régionales de l'ESS) and their partners.

**Conventions.** JSON with snake_case fields; ids are UUIDs; timestamps RFC 3339 in UTC; dates
ISO 8601 (`YYYY-MM-DD`).

**Errors** are RFC 9457 problem documents (`application/problem+json`) with `type`, `title`,
`status`, `detail` and a stable `code`; a 422 lists every failing field in `errors` as
`{field, code, message}`. `GET /problems/{code}` says what a code means and what to do.

**Languages.** `title`, `detail`, each `message`, the token endpoint's `error_description` and
the column titles of an XLSX export are in French or English as `Accept-Language` asks (French
when it is absent or accepts neither), with `Content-Language`; `code`s and field names never
change.

**Lists** answer `{"items": [...], "next_cursor": ..., "has_more": ...}`. Ask for the next page
with `cursor=<next_cursor>` (the change feed: `after`) and the same filters and `sort`, or follow
the `Link: <…>; rel="next"` header; `next_cursor` is `null` on the last page. `limit` is 1 to 200
(default 50). `count=true` adds `total`, how many items match in all (one more query, reading
every matching row).

**Updates** are JSON merge patches: a field left out stays as it is, `null` clears it.

**Safe retries.** Send `Idempotency-Key: <a new UUID>` with a POST: if the answer is lost, send
the same request with the same key again (within 24 hours) and get the first answer again, with
`Idempotent-Replayed: true`, without anything written twice. The same key with another request is
a 422 `idempotency_key_reused`; while the first request still runs, a 409
`idempotency_key_in_use` with `Retry-After`. Keys belong to the caller: the subject, role and
scope (region, organisation) of its token, so another token never gets its answer; an answer
refusing the caller (401, 403) is not kept.
The token endpoints, the endpoints that answer a client secret, and the bulk import (safe to
retry as it is) ignore the header.

**CSV.** Every list answers CSV when asked with `Accept: text/csv` (406 when `Accept` allows
neither JSON nor CSV): the same filters and order, every matching row from `cursor` (or the
start) to the end in one streamed answer (`limit` does not cut it). The header names the JSON
fields; nested objects become `<field>_<subfield>` columns (`esus_status`, `esus_valid_until`,
`host_organisation_id`, `beneficiary_type`, `actor_subject`…), arrays and the objects without a
fixed shape one cell of compact JSON text (an event's `organisers` and `themes`, the `data` of
the change feed and of the audit, the audit's `changes`); confidential columns appear only for
callers who see them on some rows, empty on the others. The change feed, the audit trail and the
histories export too, each row with its `position` (the feed's export starts `after` one).
`POST /api/v1/organisations/import` reads an organisation export back.

**Authentication.** Send `Authorization: Bearer <access token>`. People get a token from
`POST /api/v1/auth/token` with their e-mail and password (Swagger UI: *Authorize*, `login`,
e-mail as username); machine clients with the OAuth 2.0 client-credentials grant
(`machine_client`). A request without a token is anonymous; a refused token is a 401 with
`WWW-Authenticate: Bearer error="invalid_token"`, a role that may not act a 403."#;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "cress-api",
        description = API_DESCRIPTION,
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
    ),
    tags(
        (name = "organisations", description = "ESS structures (associations, cooperatives, mutuals, foundations, ESS companies) and the other bodies of the network."),
        (name = "esus", description = "ESUS accreditations (agrément « Entreprise solidaire d'utilité sociale »): applied, granted or refused, withdrawn; a granted one whose validity has ended reads as expired."),
        (name = "clubs", description = "Clubs run by a Cress, such as its club of local authorities for the ESS, and their members."),
        (name = "events", description = "Meetings, conferences, webinars and trainings, with their organisers and themes."),
        (name = "sponsorships", description = "Patronage (mécénat) in money, in kind or in skills, and commercial sponsorship (parrainage)."),
        (name = "changes", description = "The change feed: every creation, update and deletion of the register's records in commit order, to mirror it."),
        (name = "webhooks", description = "Subscriptions that push the change feed to a partner's system: signed HTTP calls (Standard Webhooks), in order, at least once."),
        (name = "audit", description = "The audit trail: who changed what and when, with the old and new values; administrators, and Cress managers for their region."),
        (name = "auth", description = "Access tokens for people (e-mail and password, with refresh tokens) and machine clients (OAuth 2.0 client credentials)."),
        (name = "users", description = "People's accounts, with a role and its scope; administrators only."),
        (name = "clients", description = "Machine clients (partner information systems) and their credentials; administrators only."),
        (name = "problems", description = "What each problem code of an error answer means and what to do: the page its `type` names."),
        (name = "health", description = "Liveness and readiness, for load balancers and orchestrators."),
    ),
    servers((url = "/", description = "The server that serves this document")),
    modifiers(&SecuritySchemes),
    components(schemas(Problem, FieldError, crate::http::schemas::DateOrDateTimeSchema), responses(
        responses::BadRequest,
        responses::Unauthorized,
        responses::Forbidden,
        responses::NotFound,
        responses::Conflict,
        responses::PayloadTooLarge,
        responses::NotAcceptable,
        responses::UnsupportedMediaType,
        responses::Unprocessable,
        responses::TooManyRequests,
        responses::PreconditionFailed,
        responses::InternalError,
        responses::Unavailable,
        responses::IdempotencyKeyInUse,
        responses::IdempotencyKeyReused,
    )),
)]
struct ApiDoc;

/// The token URL of the OAuth 2.0 flows, relative to the server so that Swagger UI calls the
/// server it was loaded from.
const TOKEN_URL: &str = "/api/v1/auth/token";

/// The three ways to authorise, named so that Swagger UI's Authorize dialog (which lists them by
/// name) shows first what people use: `login`, the OAuth 2.0 password flow with an e-mail and a
/// password; `machine_client`, the client-credentials flow of partner systems; `token`, an access
/// token pasted as it is (`Authorization: Bearer`). All three give the same tokens.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "login",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::Password(Password::new(TOKEN_URL, Scopes::new()))],
                "People: your e-mail as username and your password (leave client id and secret empty).",
            )),
        );
        components.add_security_scheme(
            "machine_client",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::ClientCredentials(ClientCredentials::new(
                    TOKEN_URL,
                    Scopes::new(),
                ))],
                "Partner systems: the client id and secret of a machine client (POST /api/v1/clients).",
            )),
        );
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token from POST /api/v1/auth/token (or `cress-api token`), sent as `Authorization: Bearer <token>`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Registers every documented route; the OpenAPI document is collected from these registrations.
pub(crate) fn routes<T>(app: UtoipaApp<T>) -> UtoipaApp<T>
where
    T: actix_web::dev::ServiceFactory<
            actix_web::dev::ServiceRequest,
            Config = (),
            Error = actix_web::Error,
            InitError = (),
        >,
{
    app.service(
        scope("/api/v1")
            .configure(import::configure)
            .configure(organisations::configure)
            .configure(esus::configure)
            .configure(clubs::configure)
            .configure(events::configure)
            .configure(sponsorships::configure)
            .configure(auth::configure)
            .configure(users::configure)
            .configure(clients::configure)
            .configure(changes::configure)
            .configure(webhooks::configure)
            .configure(audit::configure)
            .wrap(from_fn(idempotency::idempotency)),
    )
    .service(scope("/health").configure(health::configure))
    .service(scope("/problems").configure(problems::configure))
}

/// The OpenAPI document of the API.
pub fn openapi() -> OpenApiDoc {
    let (_, mut doc) = routes(App::new().into_utoipa_app().openapi(ApiDoc::openapi())).split_for_parts();
    // After the routes are collected: the header goes on the operations they registered.
    responses::SharedErrors.modify(&mut doc);
    idempotency::IdempotencyKeys.modify(&mut doc);
    crate::http::csv::CsvLists.modify(&mut doc);
    crate::http::changes::TypedChanges.modify(&mut doc);
    crate::http::schemas::FlattenedObjects.modify(&mut doc);
    crate::http::problems::ClosedCodes.modify(&mut doc);
    crate::http::problems::ExampleTitles.modify(&mut doc);
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    // Needs the paths, which the route registrations add after `ApiDoc`'s own modifiers ran.
    crate::http::etag::ConditionalRequests.modify(&mut doc);
    // Last: the links read the paths, the ETag headers and the conditional parameters.
    crate::http::links::Links.modify(&mut doc);
    doc
}

/// The OpenAPI document as served and committed: pretty JSON.
pub fn openapi_json() -> String {
    openapi().to_pretty_json().unwrap_or_default()
}

/// Connects, migrates, binds and serves until SIGTERM or SIGINT; then stops accepting, gives
/// the requests in flight `SHUTDOWN_GRACE_SECONDS` to finish, closes the database pool and returns.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    // Keys first: a bad JWT setting stops the start before anything else happens.
    let auth = Auth::load(&settings)?;
    let store = Store::connect(&settings).await?;
    store.migrate().await?;
    crate::auth::accounts::bootstrap_admin(&store, &auth.passwords, &settings).await?;
    let listener = TcpListener::bind(settings.bind_address)
        .with_context(|| format!("cannot listen on BIND_ADDRESS {}", settings.bind_address))?;
    let address = listener.local_addr().context("the listener has no address")?;
    let metrics = Metrics::new(store.clone());
    let main = run_with(&settings, store.clone(), auth, metrics.clone(), listener)?;
    let mut handles = vec![main.handle()];
    let admin = match settings.server.metrics {
        MetricsExposure::Admin => {
            let admin_listener = TcpListener::bind(settings.server.metrics_bind_address).with_context(|| {
                format!(
                    "cannot listen on METRICS_BIND_ADDRESS {}",
                    settings.server.metrics_bind_address
                )
            })?;
            let admin_address = admin_listener
                .local_addr()
                .context("the admin listener has no address")?;
            let admin = admin_server(&settings, metrics, admin_listener)?;
            handles.push(admin.handle());
            tracing::info!(address = %admin_address, "serving metrics on http://{admin_address}/metrics");
            Some(admin)
        }
        MetricsExposure::Main | MetricsExposure::Off => None,
    };
    tracing::info!(
        address = %address,
        backend = store.backend(),
        "serving the API; Swagger UI at http://{address}/swagger-ui/"
    );
    let grace = settings.server.shutdown_grace_seconds;
    tokio::spawn(async move {
        let signal = shutdown_signal().await;
        tracing::info!(
            signal,
            grace_seconds = grace,
            "stopping: no new connections; requests in flight may finish"
        );
        for handle in handles {
            handle.stop(true).await;
        }
    });
    let served = match admin {
        Some(admin) => futures_util::future::try_join(main, admin).await.map(|_| ()),
        None => main.await,
    };
    store.close().await;
    served.context("the server stopped")?;
    tracing::info!("stopped");
    Ok(())
}

/// Waits for SIGTERM (orchestrators) or SIGINT (Ctrl-C); both stop the server gracefully.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only SIGINT stops the server gracefully");
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}

/// Starts the server on `listener` with an already migrated store; used by tests. The token
/// keys are loaded (or generated) from the settings. The caller stops it (through its handle).
pub fn run(settings: &Settings, store: Store, listener: TcpListener) -> anyhow::Result<Server> {
    let metrics = Metrics::new(store.clone());
    run_with(settings, store, Auth::load(settings)?, metrics, listener)
}

/// Starts the server with keys already loaded. It does not listen for signals itself: `serve`
/// stops it, so that SIGINT is as graceful as SIGTERM.
pub fn run_with(
    settings: &Settings,
    store: Store,
    auth: Auth,
    metrics: Arc<Metrics>,
    listener: TcpListener,
) -> anyhow::Result<Server> {
    let doc = openapi();
    let allowed = web::Data::new(AllowedMethods::from_doc(&doc));
    // The document as served, written once and shared by every worker (it was a copy of the
    // document per worker, serialized again for each request).
    let document = web::Bytes::from(serde_json::to_vec(&doc).context("cannot write the OpenAPI document")?);
    drop(doc);
    let sender = crate::http::delivery::Sender::new(&settings.webhooks)?;
    let worker = crate::http::delivery::Worker::new(store.clone(), sender.clone(), &settings.webhooks, metrics.clone());
    tokio::spawn(worker.run());
    let auth = std::sync::Arc::new(auth);
    let metrics = web::Data::from(metrics);
    let metrics_here = settings.server.metrics == MetricsExposure::Main;
    let body_limit = settings.max_body_bytes();
    let import_limit = import::ImportLimit(settings.import_max_bytes());
    let timeout = RequestTimeout(settings.server.request_timeout());
    let origins = settings.cors_origins.clone();
    let trusted_proxies = crate::http::client_address::TrustedProxies(settings.server.trusted_proxies.0.clone());
    let workers = workers();
    let server = HttpServer::new(move || {
        // Called on each worker thread: its state holds that worker's own database pool.
        let state = web::Data::new(AppState {
            store: store.for_worker(workers),
            auth: auth.clone(),
            sender: sender.clone(),
        });
        let app = App::new()
            .into_utoipa_app()
            .app_data(state)
            .app_data(allowed.clone())
            .app_data(metrics.clone())
            .app_data(timeout)
            .app_data(web::PayloadConfig::new(body_limit))
            .app_data(BodyLimit(body_limit))
            .app_data(import_limit)
            .app_data(trusted_proxies.clone())
            .app_data(web::PathConfig::default().error_handler(path_error));
        let app = routes(app)
            .into_app()
            .route("/swagger-ui/", web::get().to(swagger_index))
            .route("/swagger-ui/index.html", web::get().to(swagger_index))
            .app_data(web::Data::new(OpenApiDocument(document.clone())))
            .route(OPENAPI_PATH, web::get().to(serve_openapi))
            .service(
                SwaggerUi::new("/swagger-ui/{_:.*}")
                    .config(utoipa_swagger_ui::Config::new([OPENAPI_PATH]).persist_authorization(true)),
            )
            .route("/swagger-ui", web::get().to(|| redirect("/swagger-ui/")))
            .route("/", web::get().to(|| redirect("/swagger-ui/")));
        let app = if metrics_here {
            app.route("/metrics", web::get().to(crate::http::metrics::expose))
        } else {
            app
        };
        app.default_service(web::to(no_route))
            .wrap(from_fn(time_limit))
            .wrap(cors(&origins))
            .wrap(from_fn(problem_for_every_error))
            .wrap(from_fn(crate::http::language::negotiate))
            .wrap(from_fn(crate::http::metrics::track))
            .wrap(from_fn(security_headers))
            .wrap(from_fn(crate::http::observe::log_request))
            .wrap(TracingLogger::<RequestSpan>::new())
            .wrap(from_fn(request_id))
    })
    .workers(workers)
    .max_connections(per_worker(settings.server.http_max_connections, workers))
    .disable_signals()
    .shutdown_timeout(settings.server.shutdown_grace_seconds)
    .client_request_timeout(Duration::from_secs(30))
    .listen(listener)?
    .run();
    Ok(server)
}

/// The admin listener: `/metrics` only.
fn admin_server(settings: &Settings, metrics: Arc<Metrics>, listener: TcpListener) -> anyhow::Result<Server> {
    let metrics = web::Data::from(metrics);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(metrics.clone())
            .route("/metrics", web::get().to(crate::http::metrics::expose))
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::NotFound(msg!("admin-listener-metrics-only")))
            }))
            .wrap(from_fn(problem_for_every_error))
            .wrap(from_fn(crate::http::language::negotiate))
            .wrap(from_fn(security_headers))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(settings.server.shutdown_grace_seconds)
    .listen(listener)?
    .run();
    Ok(server)
}

/// One worker thread per core, as actix does by default (but known here, to share the
/// connection limit among them).
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// actix limits connections per worker: the total, shared out and rounded up.
fn per_worker(total: u32, workers: usize) -> usize {
    usize::try_from(total).unwrap_or(usize::MAX).div_ceil(workers.max(1))
}

async fn redirect(to: &'static str) -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, to))
        .finish()
}

/// Where the OpenAPI document is served (Swagger UI reads it there).
const OPENAPI_PATH: &str = "/api-docs/openapi.json";

/// The OpenAPI document as served: its JSON, written once.
struct OpenApiDocument(web::Bytes);

async fn serve_openapi(document: web::Data<OpenApiDocument>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(header::ContentType::json())
        .body(document.0.clone())
}

/// Swagger UI's page, with a title that names the API (the tab and bookmarks say what it is).
async fn swagger_index() -> HttpResponse {
    static PAGE: std::sync::LazyLock<Option<String>> = std::sync::LazyLock::new(|| {
        let config = Arc::new(utoipa_swagger_ui::Config::default());
        let file = utoipa_swagger_ui::serve("index.html", config).ok()??;
        let html = String::from_utf8(file.bytes.to_vec()).ok()?;
        Some(html.replace(
            "<title>Swagger UI</title>",
            "<title>cress-api · the shared register of the ESS · Swagger UI</title>",
        ))
    });
    match PAGE.as_deref() {
        Some(page) => HttpResponse::Ok().content_type("text/html; charset=utf-8").body(page),
        None => HttpResponse::InternalServerError().finish(),
    }
}

/// Cross-origin browser access for the configured origins only.
fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .filter(|origin| !origin.is_empty())
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            idempotency::IDEMPOTENCY_KEY,
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::LOCATION,
            header::ETAG,
            header::RETRY_AFTER,
            header::WWW_AUTHENTICATE,
            idempotency::IDEMPOTENT_REPLAYED,
            header::HeaderName::from_static("x-request-id"),
        ])
        .max_age(3600)
}
