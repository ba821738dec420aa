//! The kinds of record, and what the policy knows of one record (`Target`): the two facts every
//! layer shares — the store keeps them in the change log, the policy decides on them, the HTTP
//! layer describes each record by them.

use uuid::Uuid;

use crate::domain::message::{Message, msg};
use crate::domain::string_enum;

string_enum! {
    /// The kinds of record the log knows, by the name the feed and the audit show.
    pub enum Resource("resource") {
        Organisation = "organisation",
        EsusAccreditation = "esus_accreditation",
        Club = "club",
        ClubMember = "club_member",
        Event = "event",
        Sponsorship = "sponsorship",
        User = "user",
        ApiClient = "api_client",
    }
}

impl Resource {
    /// What the change feed carries: everything but accounts.
    pub const FEED: [Resource; 6] = [
        Self::Organisation,
        Self::EsusAccreditation,
        Self::Club,
        Self::ClubMember,
        Self::Event,
        Self::Sponsorship,
    ];

    /// The confidential fields of this kind of record (shown only to who sees the record's
    /// confidential fields, `policy::sees_confidential`): declared here once, for the change
    /// log's `data`, the feed, the audit and the CSV columns.
    pub const fn confidential_keys(self) -> &'static [&'static str] {
        match self {
            Self::Organisation => &["email", "phone"],
            Self::EsusAccreditation => &["notes"],
            Self::Sponsorship => &["amount_cents", "counterparts_cents", "notes"],
            Self::Club | Self::ClubMember | Self::Event | Self::User | Self::ApiClient => &[],
        }
    }

    /// Users and API clients: the administrators' business only.
    pub fn is_account(self) -> bool {
        matches!(self, Self::User | Self::ApiClient)
    }

    /// The kind's noun in the request's language, singular for a `count` of one, plural
    /// otherwise: "accréditation ESUS" / "ESUS accreditations" (`resource-…` in `locales/`).
    pub fn noun(self, count: usize) -> Message {
        msg!(format!("resource-{}", self.as_str()), count = count)
    }

    /// The kind in a sentence, singular: "ESUS accreditation".
    pub const fn singular(self) -> &'static str {
        match self {
            Self::Organisation => "organisation",
            Self::EsusAccreditation => "ESUS accreditation",
            Self::Club => "club",
            Self::ClubMember => "club member",
            Self::Event => "event",
            Self::Sponsorship => "sponsorship",
            Self::User => "user",
            Self::ApiClient => "API client",
        }
    }

    /// The kind in a sentence, plural: "ESUS accreditations".
    pub fn plural(self) -> &'static str {
        match self {
            Self::Organisation => "organisations",
            Self::EsusAccreditation => "ESUS accreditations",
            Self::Club => "clubs",
            Self::ClubMember => "club members",
            Self::Event => "events",
            Self::Sponsorship => "sponsorships",
            Self::User => "users",
            Self::ApiClient => "API clients",
        }
    }
}

/// A record as the policy sees it: its kind, the region and organisation it belongs to, and
/// whether anonymous callers may read it. The change log keeps the same facts with every change
/// (after it; before it, for a deletion), so that the feed and the audit decide visibility in
/// SQL. For a creation, describe the record to be created; for an update, the policy is asked
/// about the record as it is and as it would be, so that nobody moves a record out of scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: Resource,
    /// The region the record belongs to: an organisation's or club's own region, an event's
    /// region, an accreditation's organisation's region, a sponsorship's beneficiary's region,
    /// a member's club's region.
    pub region: Option<String>,
    /// The organisation the record belongs to: the organisation itself, the organisation of an
    /// accreditation, the sponsor of a sponsorship.
    pub organisation: Option<Uuid>,
    /// Whether anonymous callers may read it at all: organisations, clubs and their members
    /// always, events once published, sponsorships marked public; never accreditations or accounts.
    pub public: bool,
}

impl Target {
    pub fn organisation(id: Uuid, region: &str) -> Self {
        Self {
            kind: Resource::Organisation,
            region: Some(region.to_owned()),
            organisation: Some(id),
            public: true,
        }
    }

    /// An ESUS accreditation of the organisation `organisation_id` of region `region`.
    pub fn accreditation(organisation_id: Uuid, region: &str) -> Self {
        Self {
            kind: Resource::EsusAccreditation,
            region: Some(region.to_owned()),
            organisation: Some(organisation_id),
            public: false,
        }
    }

    pub fn club(region: &str) -> Self {
        Self {
            kind: Resource::Club,
            region: Some(region.to_owned()),
            organisation: None,
            public: true,
        }
    }

    /// A membership of a club of `region` (`None`: the club is gone): the club's region decides.
    pub fn club_member(region: Option<String>) -> Self {
        Self {
            kind: Resource::ClubMember,
            region,
            organisation: None,
            public: true,
        }
    }

    /// An event; one without a region can be changed by administrators only.
    pub fn event(region: Option<&str>, published: bool) -> Self {
        Self {
            kind: Resource::Event,
            region: region.map(str::to_owned),
            organisation: None,
            public: published,
        }
    }

    /// A sponsorship given by `sponsor_id` to a beneficiary of region `region`.
    pub fn sponsorship(sponsor_id: Uuid, region: Option<&str>, public: bool) -> Self {
        Self {
            kind: Resource::Sponsorship,
            region: region.map(str::to_owned),
            organisation: Some(sponsor_id),
            public,
        }
    }

    pub fn users() -> Self {
        Self::account(Resource::User)
    }

    pub fn api_clients() -> Self {
        Self::account(Resource::ApiClient)
    }

    /// Accounts: no region (so only administrators see them in the audit), never public.
    fn account(kind: Resource) -> Self {
        Self {
            kind,
            region: None,
            organisation: None,
            public: false,
        }
    }

    pub fn in_region(&self, region: &str) -> bool {
        self.region.as_deref() == Some(region)
    }

    pub fn of_organisation(&self, org: Uuid) -> bool {
        self.organisation == Some(org)
    }
}

/// Whose confidential fields (contact details, amounts, notes) a caller sees, for a list to turn
/// into SQL or to decide row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confidential {
    Nobody,
    Everyone,
    /// Rows of this region.
    Region(String),
    /// Rows belonging to this organisation (itself, or the sponsorships it gives).
    Organisation(Uuid),
}

#[cfg(test)]
mod noun_tests {
    use super::*;
    use crate::domain::message::{Lang, has_key};

    #[test]
    fn every_kind_of_record_has_its_noun_in_both_languages() {
        for kind in Resource::ALL {
            for lang in Lang::ALL {
                let key = format!("resource-{}", kind.as_str());
                assert!(has_key(lang, &key), "{key} in {}", lang.tag());
            }
        }
        assert_eq!(
            Resource::EsusAccreditation.noun(2).render(Lang::Fr),
            "accréditations ESUS"
        );
        assert_eq!(Resource::ApiClient.noun(1).render(Lang::En), "API client");
    }
}
