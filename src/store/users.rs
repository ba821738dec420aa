//! People's accounts in the database: e-mail, password hash, role and scope, active flag.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;
use uuid::Uuid;

use super::columns::Table;
use crate::domain::stored::stored;

use super::changes::{NewChange, Record, data_of};
use super::logged_write;
use super::{Store, StoreError, classify, compare_and_set, count_where, now, with_conn};
use crate::core::role::{Role, RoleName, ScopeError};
use crate::core::{Actor, Target};

/// A user as stored, without the password hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: Uuid,
    #[sqlx(flatten)]
    pub fields: UserFields,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

stored! {
    /// The writable columns of a user other than the password.
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
    pub struct UserFields, list user_fields {
        /// Lower-cased.
        pub email: String,
        pub role: RoleName,
        pub region_code: Option<String>,
        pub organisation_id: Option<Uuid>,
        pub active: bool,
    }
}

/// The writable columns of `users`.
pub const USERS: Table = Table::new("users", UserFields::COLUMNS);

impl UserFields {
    /// The role with its scope, as tokens carry it.
    pub fn role(&self) -> Result<Role, ScopeError> {
        Role::from_parts(self.role, self.region_code.as_deref(), self.organisation_id)
    }
}

/// A user with the hash of its password, for logging in only.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserCredentials {
    #[sqlx(flatten)]
    pub user: User,
    pub password_hash: String,
}

/// What an update changes: the fields, and the password hash when a new password is set.
#[derive(Debug, Clone)]
pub struct UserChange {
    pub fields: UserFields,
    pub password_hash: Option<String>,
}

/// Which accounts a list shows (users, or API clients), and from where.
#[derive(Debug, Clone, Default)]
pub struct ListAccounts {
    pub role: Option<RoleName>,
    pub active: Option<bool>,
    /// The sort key (a user's e-mail, a client's name) and id of the last account of the
    /// previous page.
    pub after: Option<(String, Uuid)>,
    /// Rows to fetch (one more than shown, to know whether more follow).
    pub limit: i64,
}

// The columns of `User`, in one place for every query.
user_fields!(columns, "id, ", "created_at, updated_at, version");

/// A user account as the change log keeps it (the audit's `data`), without its password hash.
#[derive(Debug, serde::Serialize)]
pub struct UserRecord<'a> {
    pub id: Uuid,
    #[serde(flatten)]
    pub fields: &'a UserFields,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// This resource's record in the change log: its identity, policy target and logged fields.
impl Record {
    /// A user account, without its password hash.
    pub fn user(u: &User) -> Self {
        Self {
            id: u.id,
            parent_id: None,
            version: u.version,
            target: Target::users(),
            data: data_of(&UserRecord {
                id: u.id,
                fields: &u.fields,
                created_at: u.created_at,
                updated_at: u.updated_at,
            }),
        }
    }
}

static INSERT: LazyLock<String> = LazyLock::new(|| USERS.insert(&["id", "password_hash"], columns!()));
static UPDATE: LazyLock<String> = LazyLock::new(|| USERS.update(&["id"], true, columns!()));

/// Pushes the conditions of a `&ListAccounts` (not its page position) onto `sql`, a
/// `QueryBuilder` of either backend: for the pages of users and API clients and their count.
macro_rules! account_filter {
    ($sql:ident, $query:expr) => {{
        let query: &$crate::store::users::ListAccounts = $query;
        let sql = &mut $sql;
        if let Some(role) = query.role {
            sql.push(" and role = ").push_bind(role.as_str());
        }
        if let Some(active) = query.active {
            sql.push(" and active = ").push_bind(active);
        }
    }};
}
pub(crate) use account_filter;

impl Store {
    #[tracing::instrument(skip_all)]
    pub async fn create_user(
        &self,
        fields: &UserFields,
        password_hash: &str,
        actor: &Actor,
    ) -> Result<User, StoreError> {
        let id = Uuid::now_v7();
        let at = now();
        let inserted = logged_write!(self, actor, at, tx => {
            let created = fields
                .bind(sqlx::query_as::<_, User>(INSERT.as_str()))
                .bind(id)
                .bind(password_hash.to_owned())
                .bind(at)
                .fetch_one(&mut *tx)
                .await?;
            let logged = NewChange::created(Record::user(&created)).with_hidden_change("password");
            (created, [logged])
        });
        match inserted {
            Ok(user) => Ok(user),
            Err(error) => Err(self.explain_duplicate_email(error, &fields.email, None).await),
        }
    }

    #[tracing::instrument(skip_all, fields(user.id = %id))]
    pub async fn get_user(&self, id: Uuid) -> Result<User, StoreError> {
        let row = with_conn!(self, conn => {
            sqlx::query_as::<_, User>(concat!("select ", columns!(), " from users where id = $1"))
                .bind(id)
                .fetch_optional(&mut *conn)
                .await
        })
        .map_err(|e| classify(e, "user"))?;
        row.ok_or(StoreError::NotFound("user"))
    }

    /// The user with this (lower-cased) e-mail and its password hash, if there is one.
    #[tracing::instrument(skip_all)]
    pub async fn find_user_credentials(&self, email: &str) -> Result<Option<UserCredentials>, StoreError> {
        with_conn!(self, conn => {
            sqlx::query_as::<_, UserCredentials>(concat!(
                "select ", columns!(), ", password_hash from users where email = $1"
            ))
            .bind(email.to_owned())
            .fetch_optional(&mut *conn)
            .await
        })
        .map_err(|e| classify(e, "user"))
    }

    /// How many active administrators exist (the last one may not go).
    pub async fn count_active_admins(&self) -> Result<i64, StoreError> {
        with_conn!(self, conn => {
            sqlx::query_scalar::<_, i64>("select count(*) from users where role = 'admin' and active = $1")
                .bind(true)
                .fetch_one(&mut *conn)
                .await
        })
        .map_err(|e| classify(e, "user"))
    }

    /// How many users `query` matches, whatever its page: a page's `total` (`count=true`), and
    /// with `ListAccounts::default()` how many exist (the first administrator is made when none).
    #[tracing::instrument(skip_all)]
    pub async fn count_users(&self, query: &ListAccounts) -> Result<i64, StoreError> {
        count_where!(self, "users", account_filter!(query), "user")
    }

    /// One page of users by e-mail.
    #[tracing::instrument(skip_all)]
    pub async fn list_users(&self, query: &ListAccounts) -> Result<Vec<User>, StoreError> {
        with_conn!(self, conn => {
            let mut sql = QueryBuilder::new(concat!("select ", columns!(), " from users where true"));
            account_filter!(sql, query);
            if let Some((email, id)) = &query.after {
                sql.push(" and (email, id) > (").push_bind(email.clone()).push(", ").push_bind(*id).push(")");
            }
            sql.push(" order by email, id limit ").push_bind(query.limit);
            sql.build_query_as::<User>().fetch_all(&mut *conn).await
        })
        .map_err(|e| classify(e, "user"))
    }

    /// Reads the user, lets `change` compute the change, and writes it unless someone else
    /// changed the user meanwhile (compare-and-set on `version`, retried). A change that sets
    /// nothing new keeps the version.
    #[tracing::instrument(skip_all, fields(user.id = %id))]
    pub async fn update_user<E: From<StoreError>>(
        &self,
        id: Uuid,
        actor: &Actor,
        change: impl Fn(&User) -> Result<UserChange, E>,
    ) -> Result<User, E> {
        compare_and_set("user", async || {
            let current = self.get_user(id).await?;
            let UserChange { fields, password_hash } = change(&current)?;
            if fields == current.fields && password_hash.is_none() {
                return Ok(Some(current));
            }
            let at = now();
            let updated = logged_write!(self, actor, at, tx => maybe {
                let updated = fields
                    .bind(sqlx::query_as::<_, User>(UPDATE.as_str()))
                    .bind(id)
                    .bind(at)
                    .bind(current.version)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(updated) = updated else { return Ok(None) };
                if let Some(password_hash) = &password_hash {
                    sqlx::query("update users set password_hash = $1 where id = $2")
                        .bind(password_hash.clone())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                let mut logged = NewChange::updated(&Record::user(&current), Record::user(&updated));
                if password_hash.is_some() {
                    logged = logged.with_hidden_change("password");
                }
                Some((updated, [logged]))
            });
            match updated {
                Ok(Some(updated)) => Ok(Some(updated)),
                Ok(None) => Ok(None),
                Err(error) => {
                    return Err(self
                        .explain_duplicate_email(error, &fields.email, Some(id))
                        .await
                        .into());
                }
            }
        })
        .await
    }

    /// Deletes a user and its refresh tokens.
    #[tracing::instrument(skip_all, fields(user.id = %id))]
    pub async fn delete_user(&self, id: Uuid, version: Option<i64>, actor: &Actor) -> Result<(), StoreError> {
        self.delete_row(
            "user",
            "delete from users where id = $1 and version = coalesce($2, version) returning version",
            id,
            version,
            &[],
            actor,
            |(version,): (i64,)| NewChange::deleted(Record::gone(id, None, version, Target::users())),
        )
        .await
    }

    async fn explain_duplicate_email(&self, error: sqlx::Error, email: &str, exclude: Option<Uuid>) -> StoreError {
        let is_duplicate = matches!(&error, sqlx::Error::Database(db) if db.is_unique_violation());
        if !is_duplicate {
            return classify(error, "user");
        }
        let holder = with_conn!(self, conn => {
            sqlx::query_scalar::<_, Uuid>("select id from users where email = $1")
                .bind(email.to_owned())
                .fetch_optional(&mut *conn)
                .await
        });
        StoreError::Duplicate {
            what: "user",
            field: "email",
            value: email.to_owned(),
            existing_id: holder.ok().flatten().filter(|id| Some(*id) != exclude),
        }
    }
}
