//! Organisations in the database: the SQL of their reads and writes, for both backends.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::QueryBuilder;
use uuid::Uuid;

use super::{Store, StoreError, classify, now, with_pool};
use crate::domain::organisation::{Category, NewOrganisation};
use crate::domain::text::search_key;

/// An organisation as stored, with its bookkeeping fields.
#[derive(Debug, Clone)]
pub struct Organisation {
    pub id: Uuid,
    pub name: String,
    pub category: Category,
    pub siren: Option<String>,
    pub siret: Option<String>,
    pub rna: Option<String>,
    pub legal_category_code: Option<String>,
    pub region_code: String,
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub commune_code: Option<String>,
    pub website: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub description: Option<String>,
    pub founded_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct OrganisationRow {
    id: Uuid,
    name: String,
    category: String,
    siren: Option<String>,
    siret: Option<String>,
    rna: Option<String>,
    legal_category_code: Option<String>,
    region_code: String,
    street: Option<String>,
    postal_code: Option<String>,
    city: Option<String>,
    commune_code: Option<String>,
    website: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    description: Option<String>,
    founded_on: Option<NaiveDate>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
}

impl TryFrom<OrganisationRow> for Organisation {
    type Error = StoreError;

    fn try_from(row: OrganisationRow) -> Result<Self, StoreError> {
        let category = Category::parse(&row.category)
            .ok_or_else(|| anyhow::anyhow!("organisation {} has an unknown category {:?}", row.id, row.category))?;
        Ok(Self {
            id: row.id,
            name: row.name,
            category,
            siren: row.siren,
            siret: row.siret,
            rna: row.rna,
            legal_category_code: row.legal_category_code,
            region_code: row.region_code,
            street: row.street,
            postal_code: row.postal_code,
            city: row.city,
            commune_code: row.commune_code,
            website: row.website,
            email: row.email,
            phone: row.phone,
            description: row.description,
            founded_on: row.founded_on,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
        })
    }
}

/// The columns of `OrganisationRow`, in one place for every query.
macro_rules! columns {
    () => {
        "id, name, category, siren, siret, rna, legal_category_code, region_code, street, \
         postal_code, city, commune_code, website, email, phone, description, founded_on, \
         created_at, updated_at, version"
    };
}

/// Which organisations a list shows.
#[derive(Debug, Default, Clone)]
pub struct OrganisationFilter {
    pub region_code: Option<String>,
    pub category: Option<Category>,
    pub is_ess: Option<bool>,
    pub siren: Option<String>,
    /// A search key (see `search_key`) that the folded name must contain.
    pub name_contains: Option<String>,
}

/// The orders a list can come in; each ends with the id as a tie-breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    CreatedAt,
}

/// Where the previous page ended: the sort value and id of its last item.
#[derive(Debug, Clone, PartialEq)]
pub enum After {
    Name(String, Uuid),
    CreatedAt(DateTime<Utc>, Uuid),
}

/// One page of a list: filter, order, start and size.
#[derive(Debug, Clone)]
pub struct ListOrganisations {
    pub filter: OrganisationFilter,
    pub sort: SortKey,
    pub descending: bool,
    pub after: Option<After>,
    /// How many rows to fetch (the caller asks for one more than it shows, to know if more follow).
    pub limit: i64,
}

impl Organisation {
    /// The value of the sort key of this organisation, where the next page starts.
    pub fn position(&self, sort: SortKey) -> After {
        match sort {
            SortKey::Name => After::Name(search_key(&self.name), self.id),
            SortKey::CreatedAt => After::CreatedAt(self.created_at, self.id),
        }
    }
}

impl Store {
    #[tracing::instrument(skip_all)]
    pub async fn create_organisation(&self, new: &NewOrganisation) -> Result<Organisation, StoreError> {
        let id = Uuid::now_v7();
        let at = now();
        let inserted = with_pool!(self.db(), pool => {
            bind_fields(
                sqlx::query_as::<_, OrganisationRow>(concat!(
                    "insert into organisations (name, name_search, category, siren, siret, rna, \
                     legal_category_code, region_code, street, postal_code, city, commune_code, \
                     website, email, phone, description, founded_on, id, created_at, updated_at, version) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
                     $18, $19, $19, 1) returning ", columns!()
                )),
                new,
            )
            .bind(id)
            .bind(at)
            .fetch_one(pool)
            .await
        });
        match inserted {
            Ok(row) => row.try_into(),
            Err(error) => Err(self.explain_duplicate(error, new, None).await),
        }
    }

    #[tracing::instrument(skip_all, fields(organisation.id = %id))]
    pub async fn get_organisation(&self, id: Uuid) -> Result<Organisation, StoreError> {
        let row = with_pool!(self.db(), pool => {
            sqlx::query_as::<_, OrganisationRow>(concat!("select ", columns!(), " from organisations where id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await
        })
        .map_err(|e| classify(e, "organisation"))?;
        row.ok_or(StoreError::NotFound("organisation"))?.try_into()
    }

    /// One page of organisations; cost depends on the page size, not on how deep the page is.
    #[tracing::instrument(skip_all)]
    pub async fn list_organisations(&self, query: &ListOrganisations) -> Result<Vec<Organisation>, StoreError> {
        let rows = with_pool!(self.db(), pool => {
            let mut sql = QueryBuilder::new(concat!("select ", columns!(), " from organisations where true"));
            let filter = &query.filter;
            if let Some(region) = &filter.region_code {
                sql.push(" and region_code = ").push_bind(region.clone());
            }
            if let Some(category) = filter.category {
                sql.push(" and category = ").push_bind(category.as_str());
            }
            if let Some(is_ess) = filter.is_ess {
                let categories = Category::ALL.into_iter().filter(|c| c.is_ess() == is_ess);
                sql.push(" and category in (");
                let mut list = sql.separated(", ");
                for category in categories {
                    list.push_bind(category.as_str());
                }
                sql.push(")");
            }
            if let Some(siren) = &filter.siren {
                sql.push(" and siren = ").push_bind(siren.clone());
            }
            if let Some(key) = &filter.name_contains {
                sql.push(r" and name_search like ").push_bind(like_pattern(key)).push(r" escape '\'");
            }
            let (column, comparison, direction) = match (query.sort, query.descending) {
                (SortKey::Name, false) => ("name_search", ">", "asc"),
                (SortKey::Name, true) => ("name_search", "<", "desc"),
                (SortKey::CreatedAt, false) => ("created_at", ">", "asc"),
                (SortKey::CreatedAt, true) => ("created_at", "<", "desc"),
            };
            match &query.after {
                Some(After::Name(key, id)) => {
                    sql.push(format_args!(" and ({column}, id) {comparison} (")).push_bind(key.clone())
                        .push(", ").push_bind(*id).push(")");
                }
                Some(After::CreatedAt(at, id)) => {
                    sql.push(format_args!(" and ({column}, id) {comparison} (")).push_bind(*at)
                        .push(", ").push_bind(*id).push(")");
                }
                None => {}
            }
            sql.push(format_args!(" order by {column} {direction}, id {direction} limit ")).push_bind(query.limit);
            sql.build_query_as::<OrganisationRow>().fetch_all(pool).await
        })
        .map_err(|e| classify(e, "organisation"))?;
        rows.into_iter().map(Organisation::try_from).collect()
    }

    /// Reads the organisation, lets `change` compute its new content from the current one, and
    /// writes it if nobody changed it meanwhile (compare-and-set on `version`, retried a few
    /// times), so that concurrent updates never overwrite each other unseen.
    #[tracing::instrument(skip_all, fields(organisation.id = %id))]
    pub async fn update_organisation<E: From<StoreError>>(
        &self,
        id: Uuid,
        change: impl Fn(&Organisation) -> Result<NewOrganisation, E>,
    ) -> Result<Organisation, E> {
        const ATTEMPTS: usize = 3;
        for _ in 0..ATTEMPTS {
            let current = self.get_organisation(id).await?;
            let new = change(&current)?;
            let updated = with_pool!(self.db(), pool => {
                bind_fields(
                    sqlx::query_as::<_, OrganisationRow>(concat!(
                        "update organisations set name = $1, name_search = $2, category = $3, siren = $4, \
                         siret = $5, rna = $6, legal_category_code = $7, region_code = $8, street = $9, \
                         postal_code = $10, city = $11, commune_code = $12, website = $13, email = $14, \
                         phone = $15, description = $16, founded_on = $17, updated_at = $19, \
                         version = version + 1 \
                         where id = $18 and version = $20 returning ", columns!()
                    )),
                    &new,
                )
                .bind(id)
                .bind(now())
                .bind(current.version)
                .fetch_optional(pool)
                .await
            });
            match updated {
                Ok(Some(row)) => return Ok(row.try_into()?),
                Ok(None) => continue,
                Err(error) => return Err(self.explain_duplicate(error, &new, Some(id)).await.into()),
            }
        }
        Err(StoreError::Contended("organisation").into())
    }

    #[tracing::instrument(skip_all, fields(organisation.id = %id))]
    pub async fn delete_organisation(&self, id: Uuid) -> Result<(), StoreError> {
        let result = with_pool!(self.db(), pool => {
            sqlx::query("delete from organisations where id = $1").bind(id).execute(pool).await.map(|r| r.rows_affected())
        })
        .map_err(|e| classify(e, "organisation"))?;
        if result == 0 {
            Err(StoreError::NotFound("organisation"))
        } else {
            Ok(())
        }
    }

    /// After a unique violation, finds which identifier is taken and by whom. SQLite does not
    /// name the violated constraint, so both backends ask the table.
    async fn explain_duplicate(&self, error: sqlx::Error, new: &NewOrganisation, exclude: Option<Uuid>) -> StoreError {
        let is_duplicate = matches!(&error, sqlx::Error::Database(db) if db.is_unique_violation());
        if !is_duplicate {
            return classify(error, "organisation");
        }
        let identifiers = [
            ("siren", new.siren.as_ref().map(|v| v.as_str().to_owned())),
            ("siret", new.siret.as_ref().map(|v| v.as_str().to_owned())),
            ("rna", new.rna.as_ref().map(|v| v.as_str().to_owned())),
        ];
        for (field, value) in identifiers {
            let Some(value) = value else { continue };
            let holder = with_pool!(self.db(), pool => {
                let sql = match field {
                    "siren" => "select id from organisations where siren = $1",
                    "siret" => "select id from organisations where siret = $1",
                    _ => "select id from organisations where rna = $1",
                };
                sqlx::query_scalar::<_, Uuid>(sql).bind(value.clone()).fetch_optional(pool).await
            });
            match holder {
                Ok(Some(existing)) if Some(existing) != exclude => {
                    return StoreError::Duplicate {
                        what: "organisation",
                        field,
                        value,
                        existing_id: Some(existing),
                    };
                }
                Ok(_) => {}
                Err(error) => return classify(error, "organisation"),
            }
        }
        StoreError::Duplicate {
            what: "organisation",
            field: "identifier",
            value: String::new(),
            existing_id: None,
        }
    }
}

/// Binds `$1…$17`, the writable fields, in the order of the insert and update statements.
fn bind_fields<'q, DB, O>(
    query: sqlx::query::QueryAs<'q, DB, O, <DB as sqlx::Database>::Arguments>,
    new: &NewOrganisation,
) -> sqlx::query::QueryAs<'q, DB, O, <DB as sqlx::Database>::Arguments>
where
    DB: sqlx::Database,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<NaiveDate>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let text = |value: Option<&str>| value.map(str::to_owned);
    query
        .bind(new.name.clone())
        .bind(search_key(&new.name))
        .bind(new.category.as_str().to_owned())
        .bind(text(new.siren.as_ref().map(|v| v.as_str())))
        .bind(text(new.siret.as_ref().map(|v| v.as_str())))
        .bind(text(new.rna.as_ref().map(|v| v.as_str())))
        .bind(text(new.legal_category_code.as_ref().map(|v| v.as_str())))
        .bind(new.region_code.as_str().to_owned())
        .bind(new.street.clone())
        .bind(text(new.postal_code.as_ref().map(|v| v.as_str())))
        .bind(new.city.clone())
        .bind(text(new.commune_code.as_ref().map(|v| v.as_str())))
        .bind(text(new.website.as_ref().map(|v| v.as_str())))
        .bind(text(new.email.as_ref().map(|v| v.as_str())))
        .bind(text(new.phone.as_ref().map(|v| v.as_str())))
        .bind(new.description.clone())
        .bind(new.founded_on)
}

/// A LIKE pattern matching `key` anywhere, with LIKE's own wildcards taken literally.
fn like_pattern(key: &str) -> String {
    let mut pattern = String::with_capacity(key.len() + 2);
    pattern.push('%');
    for c in key.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}
