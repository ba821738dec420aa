//! The operations every resource shares, written once: list (`GET /…`, as JSON pages or an
//! export), read one record (`GET /…/{id}`), check a change of one (`PATCH /…/{id}`) and delete
//! one (`DELETE /…/{id}`), with the policy,
//! the conditional requests and the answers alike for all. A resource says what is its own by
//! implementing [`Listing`] for its list's parameters and [`Kept`] for its stored record; its
//! read and delete handlers are declared by [`kept_endpoint!`] (the doc comment and answers of
//! each), its list handler keeps its route, its description and the policy's first question.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use uuid::Uuid;

use crate::auth::{Action, Caller, policy};
use crate::core::{Actor, Resource, Target};
use crate::http::AppState;
use crate::http::csv::{self, ListFormat, Page};
use crate::http::error::ApiError;
use crate::http::etag::{self, Conditions, Tagged};
use crate::http::pagination::{self, JsonPage, Paged};
use crate::store::{Store, StoreError};

/// A list's query parameters (its filters, order and page), as the shared list operation needs
/// them: how many items they match and one page of them, for a caller's `Scope`.
#[allow(async_fn_in_trait)]
pub trait Listing: Paged + Clone + 'static {
    /// What the list depends on beyond its parameters: what the caller may see, the record
    /// whose sub-list it is.
    type Scope: Clone + 'static;
    /// The JSON page (`EventPage`…), and so the item as answered.
    type Page: JsonPage;

    /// How many items the filters match in all (`count=true`; a bad filter is a 400).
    async fn count(&self, store: &Store, scope: &Self::Scope) -> Result<i64, ApiError>;

    /// The page these parameters ask for (a bad filter or cursor is a 400).
    async fn page(self, state: web::Data<AppState>, scope: Self::Scope) -> Result<Page<Item<Self>>, ApiError>;
}

/// The item of a list, as answered.
type Item<L> = <<L as Listing>::Page as JsonPage>::Item;

/// `GET /…`: the list in the format asked for (`csv::respond`), its pages read by `params`
/// for `scope`, its export with `columns`, and a `total` when asked. The caller's right to list
/// at all is checked before, by the handler.
pub async fn list<L: Listing>(
    format: ListFormat,
    state: web::Data<AppState>,
    scope: L::Scope,
    columns: Vec<&'static str>,
    params: L,
) -> Result<HttpResponse, ApiError> {
    let total = pagination::total(params.paging().count, &format, || params.count(&state.store, &scope)).await?;
    let paging = params.paging();
    let pages = move |cursor, limit| params.clone().at(cursor, limit).page(state.clone(), scope.clone());
    csv::respond(
        format,
        columns,
        paging.cursor,
        paging.limit,
        pages,
        |items, next_cursor| L::Page::new(items, next_cursor, total),
    )
    .await
}

/// A stored record as the shared operations need it.
// Handlers run on actix workers, one thread each: their futures need not be `Send`.
#[allow(async_fn_in_trait)]
pub trait Kept: Clone + Sized {
    /// Its kind, for the policy's first question.
    const KIND: Resource;
    /// How answers name one ("club", "ESUS accreditation").
    const WHAT: &'static str = Self::KIND.singular();
    /// Its representation in answers.
    type Shown: Serialize;

    /// The record with this id (404 when there is none).
    async fn load(state: &AppState, id: Uuid) -> Result<Self, ApiError>;

    /// The record as the policy sees it.
    fn target(&self) -> Target;

    fn version(&self) -> i64;

    /// Its representation for `caller`, with the confidential fields the caller may see.
    fn shown_to(self, caller: &Caller) -> Self::Shown;

    /// Deletes the record at `version` (`Contended` when it is no longer that version).
    async fn remove(state: &AppState, id: Uuid, version: i64, actor: &Actor) -> Result<(), StoreError>;

    /// A rule of its own that forbids deleting this record (the last active administrator).
    async fn may_remove(&self, _state: &AppState) -> Result<(), ApiError> {
        Ok(())
    }
}

/// A change of `current` (`PATCH /…/{id}`), on the record as the store's compare-and-set
/// update read it: may the caller change this record, is it the version `If-Match` names
/// (412), then what `change` makes of it (the merge patch laid over it and checked as a
/// creation), and may the caller make a record like that one (its `target`). The caller's
/// right to change this kind at all is checked before, by the handler.
pub fn change<R: Kept, N>(
    caller: &Caller,
    conditions: &Conditions,
    current: &R,
    change: impl FnOnce() -> Result<N, ApiError>,
    target: impl FnOnce(&N) -> Target,
) -> Result<N, ApiError> {
    let before = current.target();
    policy::require(caller, Action::Update, &before)?;
    conditions.require_current(R::WHAT, || Tagged::of(&current.clone().shown_to(caller)))?;
    let new = change()?;
    policy::require_change(caller, &before, &target(&new))?;
    Ok(new)
}

/// `GET /…/{id}`: may the caller read this kind at all (401/403 before anything is read), the
/// record (404), may it read this one, then the representation with its `ETag` (or 304).
pub async fn read<R: Kept>(
    caller: &Caller,
    conditions: &Conditions,
    state: &AppState,
    id: Uuid,
) -> Result<HttpResponse, ApiError> {
    policy::require_kind(caller, Action::Read, R::KIND)?;
    let record = R::load(state, id).await?;
    policy::require(caller, Action::Read, &record.target())?;
    Ok(etag::read(conditions, Tagged::of(&record.shown_to(caller))?))
}

/// `DELETE /…/{id}`: may the caller delete this kind at all, then, on the record as read, its
/// own rule, the policy and `If-Match`; deletes the version so checked (`etag::delete_checked`).
/// A 409 `in_use` names user accounts and API clients among the holders to administrators only.
pub async fn delete<R: Kept>(
    caller: &Caller,
    conditions: &Conditions,
    state: &AppState,
    id: Uuid,
) -> Result<HttpResponse, ApiError> {
    policy::require_kind(caller, Action::Delete, R::KIND)?;
    let actor = caller.actor()?;
    let reads_accounts = policy::reads(caller, &Target::users());
    etag::delete_checked(
        R::WHAT,
        async || {
            let current = R::load(state, id).await?;
            current.may_remove(state).await?;
            Ok::<_, ApiError>(current)
        },
        |current: &R| {
            policy::require(caller, Action::Delete, &current.target())?;
            conditions.require_current(R::WHAT, || Tagged::of(&current.clone().shown_to(caller)))?;
            Ok(current.version())
        },
        async |version| {
            R::remove(state, id, version, &actor)
                .await
                .map_err(|e| e.shown_to_admin(reads_accounts))
        },
    )
    .await?;
    tracing::info!(resource = R::KIND.as_str(), id = %id, by = caller.subject().unwrap_or_default(), "deleted");
    Ok(HttpResponse::NoContent().finish())
}

/// The operations `GET /…/{id}` (`read`) and `DELETE /…/{id}` (`delete`) of a resource whose
/// stored record is [`Kept`]: the handler, written once, and its OpenAPI description — the doc
/// comment given, the tag, what the path's `id` is, who may call it (`anyone`, anonymous
/// callers included, or `signed_in`; a deletion always needs a token) and its own answers (the
/// shared error answers are added to every operation by `responses::SharedErrors`). The names
/// it uses (`Caller`, `Conditions`, `web`, `AppState`, `Uuid`, `HttpResponse`, `ApiError`, the
/// `get` and `delete` route macros) are the calling module's.
macro_rules! kept_endpoint {
    ($(#[$doc:meta])* read $name:ident($path:literal) -> $kept:ty,
     tag = $tag:literal, id = $id:literal, anyone, responses($($responses:tt)*)) => {
        $crate::http::kernel::kept_endpoint!(@ get read [(), ("login" = []), ("machine_client" = []), ("token" = [])]
            $(#[$doc])* $name $path, $kept, $tag $id [$($responses)*]);
    };
    ($(#[$doc:meta])* read $name:ident($path:literal) -> $kept:ty,
     tag = $tag:literal, id = $id:literal, signed_in, responses($($responses:tt)*)) => {
        $crate::http::kernel::kept_endpoint!(@ get read [("login" = []), ("machine_client" = []), ("token" = [])]
            $(#[$doc])* $name $path, $kept, $tag $id [$($responses)*]);
    };
    ($(#[$doc:meta])* delete $name:ident($path:literal) -> $kept:ty,
     tag = $tag:literal, id = $id:literal, responses($($responses:tt)*)) => {
        $crate::http::kernel::kept_endpoint!(@ delete delete [("login" = []), ("machine_client" = []), ("token" = [])]
            $(#[$doc])* $name $path, $kept, $tag $id [$($responses)*]);
    };
    (@ $method:ident $operation:ident [$($security:tt)*]
     $(#[$doc:meta])* $name:ident $path:literal, $kept:ty, $tag:literal $id:literal [$($responses:tt)*]) => {
        $(#[$doc])*
        #[utoipa::path(
            tag = $tag,
            params(("id" = Uuid, Path, description = $id)),
            security($($security)*),
            responses($($responses)*)
        )]
        #[$method($path)]
        pub async fn $name(
            caller: Caller,
            conditions: Conditions,
            state: web::Data<AppState>,
            id: web::Path<Uuid>,
        ) -> Result<HttpResponse, ApiError> {
            $crate::http::kernel::$operation::<$kept>(&caller, &conditions, &state, id.into_inner()).await
        }
    };
}
pub(crate) use kept_endpoint;

/// The [`Kept`] of a stored record whose store reads it with `$load(id)` and deletes it with
/// `$remove(id, Some(version), actor)`: its kind, how the policy sees it (`target`) and how it is
/// shown to a caller (`shown`). The names it uses (`Kept`, `AppState`, `Uuid`, `ApiError`,
/// `Target`, `Caller`, `Actor`, `StoreError`, `Resource`) are the calling module's.
macro_rules! kept {
    (
        $record:ty, kind $kind:expr, load $load:ident, remove $remove:ident,
        target |$this:ident| $target:expr,
        shown |$shown_this:ident, $caller:pat_param| -> $shown:ty { $show:expr } $(,)?
    ) => {
        impl Kept for $record {
            const KIND: Resource = $kind;
            type Shown = $shown;

            async fn load(state: &AppState, id: Uuid) -> Result<Self, ApiError> {
                Ok(state.store.$load(id).await?)
            }

            fn target(&self) -> Target {
                let $this = self;
                $target
            }

            fn version(&self) -> i64 {
                self.version
            }

            fn shown_to(self, $caller: &Caller) -> $shown {
                let $shown_this = self;
                $show
            }

            async fn remove(state: &AppState, id: Uuid, version: i64, actor: &Actor) -> Result<(), StoreError> {
                state.store.$remove(id, Some(version), actor).await
            }
        }
    };
}
pub(crate) use kept;
