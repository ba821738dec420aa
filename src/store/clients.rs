//! Machine clients in the database: client id, hashed secret, name, role and scope.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;
use uuid::Uuid;

use super::columns::Table;
use crate::domain::stored::stored;

use super::changes::{NewChange, Record, data_of};
use super::logged_write;
use super::users::{ListAccounts, account_filter};
use super::{Store, StoreError, classify, compare_and_set, count_where, now, with_conn};
use crate::core::role::{Role, RoleName, ScopeError};
use crate::core::{Actor, Target};

/// An API client as stored, without its secret hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiClient {
    pub id: Uuid,
    pub client_id: String,
    #[sqlx(flatten)]
    pub fields: ApiClientFields,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

stored! {
    /// The writable columns of an API client.
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
    pub struct ApiClientFields, list api_client_fields {
        pub name: String,
        pub role: RoleName,
        pub region_code: Option<String>,
        pub organisation_id: Option<Uuid>,
        pub active: bool,
    }
}

/// The writable columns of `api_clients`.
pub const API_CLIENTS: Table = Table::new("api_clients", ApiClientFields::COLUMNS);

impl ApiClientFields {
    pub fn role(&self) -> Result<Role, ScopeError> {
        Role::from_parts(self.role, self.region_code.as_deref(), self.organisation_id)
    }
}

/// A client with the hash of its secret, for authenticating it only.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiClientCredentials {
    #[sqlx(flatten)]
    pub client: ApiClient,
    pub secret_hash: String,
}

// The columns of `ApiClient`, in one place for every query.
api_client_fields!(columns, "id, client_id, ", "created_at, updated_at, version");

/// An API client as the change log keeps it (the audit's `data`), without its secret hash.
#[derive(Debug, serde::Serialize)]
pub struct ApiClientRecord<'a> {
    pub id: Uuid,
    pub client_id: &'a str,
    #[serde(flatten)]
    pub fields: &'a ApiClientFields,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// This resource's record in the change log: its identity, policy target and logged fields.
impl Record {
    /// An API client, without its secret hash.
    pub fn api_client(c: &ApiClient) -> Self {
        Self {
            id: c.id,
            parent_id: None,
            version: c.version,
            target: Target::api_clients(),
            data: data_of(&ApiClientRecord {
                id: c.id,
                client_id: &c.client_id,
                fields: &c.fields,
                created_at: c.created_at,
                updated_at: c.updated_at,
            }),
        }
    }
}

static INSERT: LazyLock<String> = LazyLock::new(|| API_CLIENTS.insert(&["id", "client_id", "secret_hash"], columns!()));
static UPDATE: LazyLock<String> = LazyLock::new(|| API_CLIENTS.update(&["id"], true, columns!()));

impl Store {
    #[tracing::instrument(skip_all)]
    pub async fn create_api_client(
        &self,
        client_id: &str,
        secret_hash: &str,
        fields: &ApiClientFields,
        actor: &Actor,
    ) -> Result<ApiClient, StoreError> {
        let id = Uuid::now_v7();
        let at = now();
        logged_write!(self, actor, at, tx => {
            let created = fields
                .bind(sqlx::query_as::<_, ApiClient>(INSERT.as_str()))
                .bind(id)
                .bind(client_id.to_owned())
                .bind(secret_hash.to_owned())
                .bind(at)
                .fetch_one(&mut *tx)
                .await?;
            let logged = NewChange::created(Record::api_client(&created)).with_hidden_change("secret");
            (created, [logged])
        })
        .map_err(|e| classify(e, "API client"))
    }

    #[tracing::instrument(skip_all, fields(api_client.id = %id))]
    pub async fn get_api_client(&self, id: Uuid) -> Result<ApiClient, StoreError> {
        let row = with_conn!(self, conn => {
            sqlx::query_as::<_, ApiClient>(concat!("select ", columns!(), " from api_clients where id = $1"))
                .bind(id)
                .fetch_optional(&mut *conn)
                .await
        })
        .map_err(|e| classify(e, "API client"))?;
        row.ok_or(StoreError::NotFound("API client"))
    }

    /// The client with this `client_id` and its secret hash, if there is one.
    #[tracing::instrument(skip_all)]
    pub async fn find_api_client_credentials(
        &self,
        client_id: &str,
    ) -> Result<Option<ApiClientCredentials>, StoreError> {
        with_conn!(self, conn => {
            sqlx::query_as::<_, ApiClientCredentials>(concat!(
                "select ", columns!(), ", secret_hash from api_clients where client_id = $1"
            ))
            .bind(client_id.to_owned())
            .fetch_optional(&mut *conn)
            .await
        })
        .map_err(|e| classify(e, "API client"))
    }

    /// How many API clients `query` matches, whatever its page: a page's `total` (`count=true`).
    #[tracing::instrument(skip_all)]
    pub async fn count_api_clients(&self, query: &ListAccounts) -> Result<i64, StoreError> {
        count_where!(self, "api_clients", account_filter!(query), "API client")
    }

    /// One page of clients by name.
    #[tracing::instrument(skip_all)]
    pub async fn list_api_clients(&self, query: &ListAccounts) -> Result<Vec<ApiClient>, StoreError> {
        with_conn!(self, conn => {
            let mut sql = QueryBuilder::new(concat!("select ", columns!(), " from api_clients where true"));
            account_filter!(sql, query);
            if let Some((name, id)) = &query.after {
                sql.push(" and (name, id) > (").push_bind(name.clone()).push(", ").push_bind(*id).push(")");
            }
            sql.push(" order by name, id limit ").push_bind(query.limit);
            sql.build_query_as::<ApiClient>().fetch_all(&mut *conn).await
        })
        .map_err(|e| classify(e, "API client"))
    }

    /// Compare-and-set update of a client, as `update_user`; `secret_hash` replaces the secret.
    #[tracing::instrument(skip_all, fields(api_client.id = %id))]
    pub async fn update_api_client<E: From<StoreError>>(
        &self,
        id: Uuid,
        actor: &Actor,
        change: impl Fn(&ApiClient) -> Result<ApiClientFields, E>,
    ) -> Result<ApiClient, E> {
        compare_and_set("API client", async || {
            let current = self.get_api_client(id).await?;
            let fields = change(&current)?;
            if fields == current.fields {
                return Ok(Some(current));
            }
            let at = now();
            let updated = logged_write!(self, actor, at, tx => maybe {
                let updated = fields
                    .bind(sqlx::query_as::<_, ApiClient>(UPDATE.as_str()))
                    .bind(id)
                    .bind(at)
                    .bind(current.version)
                    .fetch_optional(&mut *tx)
                    .await?;
                updated.map(|updated| {
                    let logged = NewChange::updated(&Record::api_client(&current), Record::api_client(&updated));
                    (updated, [logged])
                })
            })
            .map_err(|e| classify(e, "API client"))?;
            Ok(updated)
        })
        .await
    }

    /// Replaces a client's secret digest (a new version of the client).
    #[tracing::instrument(skip_all, fields(api_client.id = %id))]
    pub async fn replace_api_client_secret(
        &self,
        id: Uuid,
        secret_hash: &str,
        actor: &Actor,
    ) -> Result<ApiClient, StoreError> {
        let at = now();
        let row = logged_write!(self, actor, at, tx => maybe {
            let updated = sqlx::query_as::<_, ApiClient>(concat!(
                "update api_clients set secret_hash = $1, updated_at = $2, version = version + 1 where id = $3 \
                 returning ",
                columns!()
            ))
            .bind(secret_hash.to_owned())
            .bind(at)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            updated.map(|updated| {
                // Only the secret changed: the change lists it, without any of its values.
                let record = Record::api_client(&updated);
                let logged = NewChange::updated(&record, record.clone()).with_hidden_change("secret");
                (updated, [logged])
            })
        })
        .map_err(|e| classify(e, "API client"))?;
        row.ok_or(StoreError::NotFound("API client"))
    }

    #[tracing::instrument(skip_all, fields(api_client.id = %id))]
    pub async fn delete_api_client(&self, id: Uuid, version: Option<i64>, actor: &Actor) -> Result<(), StoreError> {
        self.delete_row(
            "API client",
            "delete from api_clients where id = $1 and version = coalesce($2, version) returning version",
            id,
            version,
            &[],
            actor,
            |(version,): (i64,)| NewChange::deleted(Record::gone(id, None, version, Target::api_clients())),
        )
        .await
    }
}
