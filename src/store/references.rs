//! What may hold a record, so that deleting a referenced record is refused with a 409 naming
//! its holders instead of cascading silently. The database enforces it (foreign keys without
//! cascade); these queries only describe it.

use uuid::Uuid;

use super::changes::NewChange;
use super::logged_write;
use super::{Store, StoreError, classify, now, with_conn};
use crate::core::{Actor, Resource};
use crate::domain::Invalid;
use crate::domain::message::{Message, msg};

/// Records that a request names and that do not exist, each with the field naming it: the one
/// way every write reports them (a 422 `not_found` on each field, not a 404: the address itself
/// exists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing(pub Vec<MissingRecord>);

/// One record a request names that does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingRecord {
    /// The field of the request that names it (`club_id`, `organisers[2].organisation_id`).
    pub field: String,
    pub kind: Resource,
    pub id: Uuid,
}

impl Missing {
    pub fn one(field: impl Into<String>, kind: Resource, id: Uuid) -> Self {
        Self(vec![MissingRecord::new(field, kind, id)])
    }
}

impl MissingRecord {
    pub fn new(field: impl Into<String>, kind: Resource, id: Uuid) -> Self {
        Self {
            field: field.into(),
            kind,
            id,
        }
    }

    /// Why the field fails, for people.
    pub fn invalid(&self) -> Invalid {
        let id = self.id;
        let message = match self.kind {
            Resource::Organisation => msg!("store-references-missing-organisation", id = id),
            Resource::Club => msg!("store-references-missing-club", id = id),
            kind => msg!(
                "store-references-missing",
                kind = kind.as_str(),
                noun = kind.noun(1),
                id = id
            ),
        };
        Invalid::new("not_found", message)
    }
}

/// One kind of holder: a query counting the rows that reference the id `$1`, the catalogue key
/// naming a number of them (`$count`: "1 ESUS accreditation", "2 ESUS accreditations"), and
/// whether they are accounts (users, API clients: administrators' data, named only to them).
pub struct Reference {
    pub noun: &'static str,
    pub count_sql: &'static str,
    pub account: bool,
}

const fn reference(noun: &'static str, count_sql: &'static str) -> Reference {
    Reference {
        noun,
        count_sql,
        account: false,
    }
}

const fn account(noun: &'static str, count_sql: &'static str) -> Reference {
    Reference {
        noun,
        count_sql,
        account: true,
    }
}

/// How many records of one kind hold a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderCount {
    /// The catalogue key naming `count` of them.
    pub noun: &'static str,
    pub count: i64,
    pub account: bool,
}

/// "2 ESUS accreditations and 1 club membership"; accounts only `with_accounts` (otherwise, when
/// they are all there is, "records that only administrators may see").
pub fn describe(holders: &[HolderCount], with_accounts: bool) -> Message {
    let parts: Vec<Message> = holders
        .iter()
        .filter(|h| h.count > 0 && (with_accounts || !h.account))
        .map(|h| msg!(h.noun, count = h.count))
        .collect();
    match parts.as_slice() {
        [] if holders.iter().any(|h| h.count > 0) => msg!("store-references-admin-only"),
        [] => msg!("store-references-another-record"),
        [one] => one.clone(),
        [init @ .., last] => msg!(
            "store-references-and",
            init = Message::List(init.to_vec()),
            last = last.clone()
        ),
    }
}

/// What may reference an organisation.
pub const ORGANISATION: &[Reference] = &[
    reference(
        "store-references-esus-accreditations",
        "select count(*) from esus_accreditations where organisation_id = $1",
    ),
    reference(
        "store-references-club-memberships",
        "select count(*) from club_members where organisation_id = $1",
    ),
    reference(
        "store-references-hosted-clubs",
        "select count(*) from clubs where host_organisation_id = $1",
    ),
    reference(
        "store-references-organised-events",
        "select count(*) from event_organisers where organisation_id = $1",
    ),
    reference(
        "store-references-given-sponsorships",
        "select count(*) from sponsorships where sponsor_id = $1",
    ),
    reference(
        "store-references-received-sponsorships",
        "select count(*) from sponsorships where beneficiary_organisation_id = $1",
    ),
    account(
        "store-references-partner-users",
        "select count(*) from users where organisation_id = $1",
    ),
    account(
        "store-references-partner-clients",
        "select count(*) from api_clients where organisation_id = $1",
    ),
];

/// What may reference a club.
pub const CLUB: &[Reference] = &[
    reference(
        "store-references-members",
        "select count(*) from club_members where club_id = $1",
    ),
    reference(
        "store-references-events",
        "select count(*) from events where club_id = $1",
    ),
    reference(
        "store-references-sponsorships",
        "select count(*) from sponsorships where beneficiary_club_id = $1",
    ),
];

/// What may reference an event (its themes are its own tags, deleted with it).
pub const EVENT: &[Reference] = &[
    reference(
        "store-references-organisers",
        "select count(*) from event_organisers where event_id = $1",
    ),
    reference(
        "store-references-sponsorships",
        "select count(*) from sponsorships where beneficiary_event_id = $1",
    ),
];

impl Store {
    /// Runs `delete_sql`, which deletes the row with id `$1` when its version is `$2` (any
    /// version when `$2` is null: `and version = coalesce($2, version)`) and returns what
    /// `logged` needs to describe the deletion in the change log, written in the same
    /// transaction. No row deleted: `Contended` when a version was given (the row changed or
    /// went meanwhile: read it again), else `NotFound`; `InUse` naming the holders when a
    /// foreign key refuses it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn delete_row<T>(
        &self,
        what: &'static str,
        delete_sql: &'static str,
        id: Uuid,
        version: Option<i64>,
        holders: &[Reference],
        actor: &Actor,
        logged: impl FnOnce(T) -> NewChange,
    ) -> Result<(), StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + Send
            + Unpin,
    {
        let at = now();
        let deleted = logged_write!(self, actor, at, tx => maybe {
            let row = sqlx::query_as::<_, T>(delete_sql).bind(id).bind(version).fetch_optional(&mut *tx).await?;
            row.map(|row| ((), [logged(row)]))
        });
        match deleted {
            Ok(None) if version.is_some() => Err(StoreError::Contended(what)),
            Ok(None) => Err(StoreError::NotFound(what)),
            Ok(Some(())) => Ok(()),
            Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => Err(StoreError::InUse {
                what,
                holders: self.count_holders(id, holders).await?,
                with_accounts: false,
            }),
            Err(error) => Err(classify(error, what)),
        }
    }

    /// How many records of each kind of `holders` reference `id`.
    async fn count_holders(&self, id: Uuid, holders: &[Reference]) -> Result<Vec<HolderCount>, StoreError> {
        let mut counts = Vec::new();
        for holder in holders {
            let count: i64 = with_conn!(self, conn => {
                sqlx::query_scalar(holder.count_sql).bind(id).fetch_one(&mut *conn).await
            })
            .map_err(|e| classify(e, "reference"))?;
            counts.push(HolderCount {
                noun: holder.noun,
                count,
                account: holder.account,
            });
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::{Lang, has_key};

    fn holder(noun: &'static str, count: i64, account: bool) -> HolderCount {
        HolderCount { noun, count, account }
    }

    #[test]
    fn every_holder_has_its_noun_in_both_languages() {
        for reference in ORGANISATION.iter().chain(CLUB).chain(EVENT) {
            for lang in Lang::ALL {
                assert!(has_key(lang, reference.noun), "{} in {}", reference.noun, lang.tag());
            }
        }
    }

    #[test]
    fn describe_names_the_holders_with_their_numbers() {
        let holders = [
            holder("store-references-esus-accreditations", 2, false),
            holder("store-references-club-memberships", 1, false),
            holder("store-references-partner-users", 1, true),
        ];
        assert_eq!(
            describe(&holders, false).to_string(),
            "2 ESUS accreditations and 1 club membership"
        );
        assert_eq!(
            describe(&holders, true).render(Lang::Fr),
            "2 accréditations ESUS, 1 adhésion à un club et 1 compte utilisateur partenaire"
        );
        let accounts = [holder("store-references-partner-users", 3, true)];
        assert_eq!(
            describe(&accounts, false).to_string(),
            "records that only administrators may see"
        );
        assert_eq!(describe(&[], false).to_string(), "another record");
    }

    #[test]
    fn a_missing_record_says_how_to_create_it() {
        let id = Uuid::nil();
        let club = MissingRecord::new("club_id", Resource::Club, id).invalid();
        assert_eq!(
            club.message.to_string(),
            format!("no club with id {id}; create it first with POST /api/v1/clubs")
        );
        let event = MissingRecord::new("event_id", Resource::Event, id).invalid();
        assert_eq!(event.message.to_string(), format!("no event with id {id}"));
        assert_eq!(
            event.message.render(Lang::Fr),
            format!("aucun événement n'a l'identifiant {id}")
        );
    }
}
