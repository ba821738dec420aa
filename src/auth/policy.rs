//! The one place that decides who may do what (the role table below, as the README's "Accounts,
//! roles and tokens" shows it). Handlers describe the record they touch as a `core::Target` and
//! ask `require`; lists ask `list_scope` and turn it into SQL; responses ask `sees_confidential`
//! before showing contact details, amounts and notes. A refusal is a `core::Denial`, which the
//! HTTP layer answers with 401 or 403.
//!
//! | role | may read | may write |
//! |---|---|---|
//! | anonymous | public data: organisations' public profile, clubs, published events, public sponsorships without amounts | nothing |
//! | viewer | all non-confidential data everywhere | nothing |
//! | partner (`org`) | as viewer, plus its own sponsorships in full | its own organisation's profile (not its [`REGISTER_FIELDS`]); sponsorships where it is the sponsor |
//! | cress_manager (`region`) | as viewer, plus everything confidential in its region | organisations, accreditations, clubs, events and sponsorships of its region |
//! | admin | everything | everything, users and API clients included |
//!
//! How a handler asks (the `Caller` extractor comes first in its arguments); each stored record
//! describes itself with `target()` (`Organisation::target`, `Event::target`…), and the shared
//! operations of `http::kernel` ask for reads and deletions:
//!
//! ```text
//! // first, before the body is checked: may this caller ever do it? (401 / 403 at once)
//! policy::require_kind(&caller, Action::Update, Resource::Organisation)?;
//!
//! // read one record: 401 for anonymous callers when the record is not public, never 403
//! policy::require(&caller, Action::Read, &event.target())?;
//! let full = policy::sees_confidential(&caller, region, organisation);
//!
//! // update: the record as it is and as it would be, so that nobody moves it out of scope,
//! // then the fields the change touches (a partner's register fields)
//! policy::require_change(&caller, &current.target(), &Target::organisation(id, new_region))?;
//! policy::require_fields(&caller, Resource::Organisation, &changed)?;
//!
//! // list: the scope becomes SQL conditions (`public_only`: published events, public
//! // sponsorships); confidential fields and embedded names are decided row by row
//! let scope = policy::list_scope(&caller, Resource::Sponsorship)?;
//! let full = scope.sees_confidential(row_region, Some(sponsor_id));
//! let named = scope.reads(beneficiary_public);
//! ```

use uuid::Uuid;

use crate::auth::caller::Caller;
use crate::core::{Confidential, Denial, Resource, Role, Target};
use crate::domain::message::{Message, msg};

/// What a caller wants to do with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
}

/// Whether `caller` may do `action` on `target`: `Ok`, or the answer to give, 401 for an
/// anonymous caller (logging in may help) and 403 for the others.
pub fn require(caller: &Caller, action: Action, target: &Target) -> Result<(), Denial> {
    let Some(role) = caller.role() else {
        return if action == Action::Read && target.public && !target.kind.is_account() {
            Ok(())
        } else {
            Err(Denial::log_in_to(doing(action, target.kind)))
        };
    };
    if allows(role, action, target) {
        Ok(())
    } else {
        Err(Denial::Forbidden(refusal(role, action, target)))
    }
}

/// Whether `caller` may do `action` on at least some records of `kind`: the first question of a
/// write handler, asked before the body is checked, so that a caller who may never do it hears
/// 401 or 403 at once; the record itself is then checked with `require` or `require_change`.
pub fn require_kind(caller: &Caller, action: Action, kind: Resource) -> Result<(), Denial> {
    let (region, organisation) = match caller.role() {
        Some(Role::CressManager { region }) => (Some(region.as_str().to_owned()), None),
        Some(Role::Partner { org }) => (None, Some(*org)),
        _ => (None, None),
    };
    let within_scope = Target {
        kind,
        region,
        organisation,
        public: !matches!(kind, Resource::EsusAccreditation) && !kind.is_account(),
    };
    require(caller, action, &within_scope)
}

/// For an update: the caller must be allowed to change the record as it is, and as it would
/// be, so that a Cress manager cannot move an organisation to another region, nor a partner
/// hand its sponsorship to another sponsor.
pub fn require_change(caller: &Caller, before: &Target, after: &Target) -> Result<(), Denial> {
    require(caller, Action::Update, before)?;
    require(caller, Action::Update, after)
}

/// The fields of an organisation that are the register's own facts about it — its place (region),
/// its identity (SIREN, SIRET, RNA) and its legal form (category, INSEE legal category) — which
/// only its Cress (managers of its region) and administrators change. A partner edits the rest
/// of its profile: description, contacts, website, address.
pub const REGISTER_FIELDS: [&str; 6] = [
    "region_code",
    "siren",
    "siret",
    "rna",
    "category",
    "legal_category_code",
];

/// For an update that the caller may make (`require_change`): whether it may change each of the
/// fields it changes. A partner may not change the [`REGISTER_FIELDS`] of its organisation: the
/// 403 names the first such field.
pub fn require_fields(caller: &Caller, kind: Resource, changed: &[&str]) -> Result<(), Denial> {
    let fixed = match (caller.role(), kind) {
        (Some(Role::Partner { .. }), Resource::Organisation) => &REGISTER_FIELDS[..],
        _ => &[],
    };
    match changed.iter().find(|field| fixed.contains(field)) {
        Some(field) => Err(Denial::Forbidden(msg!("policy-register-field", field = *field))),
        None => Ok(()),
    }
}

/// For a partner's change of its organisation's address: each place the change names — a
/// postal code or a commune code, with the region its department is in (`None`: none) — must
/// be in the organisation's region `region`, which only its Cress changes. A 403 names the field.
pub fn require_places_in_region(
    caller: &Caller,
    kind: Resource,
    region: &str,
    places: &[(&str, Option<&str>)],
) -> Result<(), Denial> {
    if !(matches!(caller.role(), Some(Role::Partner { .. })) && kind == Resource::Organisation) {
        return Ok(());
    }
    match places.iter().find(|(_, place)| *place != Some(region)) {
        Some((field, place)) => Err(Denial::Forbidden(match place {
            Some(place) => msg!(
                "policy-place-in-other-region",
                region = region,
                field = *field,
                place = *place
            ),
            None => msg!("policy-place-in-no-region", region = region, field = *field),
        })),
        None => Ok(()),
    }
}

fn allows(role: &Role, action: Action, target: &Target) -> bool {
    if let Role::Admin = role {
        return true;
    }
    if target.kind.is_account() {
        return false;
    }
    if action == Action::Read {
        return true;
    }
    match role {
        Role::Admin => true,
        Role::Viewer => false,
        Role::Partner { org } => match target.kind {
            Resource::Organisation => action == Action::Update && target.of_organisation(*org),
            Resource::Sponsorship => target.of_organisation(*org),
            _ => false,
        },
        Role::CressManager { region } => target.in_region(region.as_str()),
    }
}

/// The action's name, on which the catalogues select the verb ("change" for `update`).
fn action_name(action: Action) -> &'static str {
    match action {
        Action::Read => "read",
        Action::Create => "create",
        Action::Update => "update",
        Action::Delete => "delete",
    }
}

/// Doing `action` on records of `kind`: "read organisations", "lire les organisations".
fn doing(action: Action, kind: Resource) -> Message {
    msg!("policy-action", action = action_name(action), noun = kind.noun(2))
}

fn refusal(role: &Role, action: Action, target: &Target) -> Message {
    let kind = target.kind;
    let verb = action_name(action);
    match role {
        _ if kind.is_account() => msg!("policy-admins-only", action = doing(action, kind)),
        Role::Viewer => msg!("policy-viewer-read-only", action = doing(action, kind)),
        Role::Partner { org } => match kind {
            Resource::Organisation if action == Action::Update => {
                msg!("policy-partner-own-organisation", org = *org)
            }
            Resource::Sponsorship => msg!("policy-partner-own-sponsorships", action = verb, org = *org),
            _ => msg!("policy-partner-may-not", action = doing(action, kind)),
        },
        Role::CressManager { region } => msg!(
            "policy-manager-own-region",
            action = verb,
            noun = kind.noun(2),
            region = region.as_str()
        ),
        Role::Admin => msg!("policy-may-not", action = doing(action, kind)),
    }
}

/// Whether `caller` may read `target`: for a record an answer names (embeds) inside another,
/// whose name is shown only to callers who may read it (its type and id are shown to all).
pub fn reads(caller: &Caller, target: &Target) -> bool {
    require(caller, Action::Read, target).is_ok()
}

/// Whether the caller sees the confidential fields (contact details, amounts, notes, audit
/// trail) of a record of `region` belonging to `organisation` (the organisation itself, or a
/// sponsorship's sponsor): administrators always, a Cress manager in its region, a partner for
/// its own organisation; nobody else.
pub fn sees_confidential(caller: &Caller, region: Option<&str>, organisation: Option<Uuid>) -> bool {
    match caller.role() {
        None | Some(Role::Viewer) => false,
        Some(Role::Admin) => true,
        Some(Role::CressManager { region: own }) => region == Some(own.as_str()),
        Some(Role::Partner { org }) => organisation == Some(*org),
    }
}

/// What a list may show to a caller, for list queries to turn into SQL conditions (never
/// filtered after fetching).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListScope {
    /// Only what anonymous callers may read: published events, public sponsorships (the
    /// `where status = 'published'` / `where public` of the list query). Accreditations and
    /// accounts are refused to them outright by `list_scope`.
    pub public_only: bool,
    /// Whose confidential fields the caller sees, row by row.
    pub confidential: Confidential,
}

impl ListScope {
    /// Whether the caller sees confidential fields on at least some rows of the list (the
    /// confidential columns of a CSV export are shown to it, empty on the other rows).
    pub fn sees_some_confidential(&self) -> bool {
        self.confidential != Confidential::Nobody
    }

    /// Whether the caller may read a record named in a row (see [`reads`]) whose `public` is
    /// this: records that are not public are withheld from lists shown `public_only`.
    pub fn reads(&self, public: bool) -> bool {
        public || !self.public_only
    }

    /// Whether one row of the list shows its confidential fields.
    pub fn sees_confidential(&self, region: Option<&str>, organisation: Option<Uuid>) -> bool {
        match &self.confidential {
            Confidential::Nobody => false,
            Confidential::Everyone => true,
            Confidential::Region(own) => region == Some(own.as_str()),
            Confidential::Organisation(own) => organisation == Some(*own),
        }
    }
}

/// The scope of a list of `kind` for `caller`, or the refusal when the caller may not list
/// that kind at all (401 anonymous, 403 others).
pub fn list_scope(caller: &Caller, kind: Resource) -> Result<ListScope, Denial> {
    let probe = Target {
        kind,
        region: None,
        organisation: None,
        public: !matches!(kind, Resource::EsusAccreditation) && !kind.is_account(),
    };
    require(caller, Action::Read, &probe)?;
    let confidential = match caller.role() {
        None | Some(Role::Viewer) => Confidential::Nobody,
        Some(Role::Admin) => Confidential::Everyone,
        Some(Role::CressManager { region }) => Confidential::Region(region.as_str().to_owned()),
        Some(Role::Partner { org }) => Confidential::Organisation(*org),
    };
    Ok(ListScope {
        public_only: caller.role().is_none(),
        confidential,
    })
}

/// The part of the audit trail a caller may read (it is confidential): administrators all of
/// it, a Cress manager the changes of the records of its region (`Some(region)`); other roles
/// 403, anonymous callers 401.
pub fn audit_scope(caller: &Caller) -> Result<Option<String>, Denial> {
    match caller.role() {
        None => Err(Denial::log_in_to(msg!("policy-to-read-audit"))),
        Some(Role::Admin) => Ok(None),
        Some(Role::CressManager { region }) => Ok(Some(region.as_str().to_owned())),
        Some(role) => Err(Denial::Forbidden(msg!(
            "policy-audit-forbidden",
            role = role.name().as_str()
        ))),
    }
}

/// Whether `caller` may subscribe to webhooks: administrators (for anything), Cress managers and
/// partners (for what their own token may read: the deliveries follow their rights). Viewers
/// may poll the feed but not subscribe; anonymous callers are asked to log in.
pub fn require_subscriber(caller: &Caller) -> Result<(), Denial> {
    match caller.role() {
        None => Err(Denial::log_in_to(msg!("policy-to-subscribe"))),
        Some(Role::Viewer) => Err(Denial::Forbidden(msg!("policy-viewer-may-not-subscribe"))),
        Some(_) => Ok(()),
    }
}

/// Whether `caller` may see and manage the webhook subscription created by `owner`: its
/// creator, and administrators. To anyone else it does not exist (404).
pub fn manages_subscription(caller: &Caller, owner: &str) -> bool {
    sees_every_subscription(caller) || caller.subject() == Some(owner)
}

/// Whether `caller` sees every webhook subscription (administrators), rather than its own.
pub fn sees_every_subscription(caller: &Caller) -> bool {
    matches!(caller.role(), Some(Role::Admin))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::tokens::Principal;
    use crate::domain::codes::RegionCode;

    const HOME: &str = "76";
    const AWAY: &str = "53";

    fn caller(role: Option<Role>) -> Caller {
        match role {
            None => Caller::Anonymous,
            Some(role) => Caller::Authenticated(Principal {
                subject: "test".into(),
                role,
                token_id: "t".into(),
            }),
        }
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Who {
        Anonymous,
        Viewer,
        Partner,
        Manager,
        Admin,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Expect {
        Ok,
        E401,
        E403,
    }

    /// A target of each kind, inside the scope of the partner (its organisation, as sponsor)
    /// and of the manager (its region), or outside both; public or not.
    fn target(kind: Resource, inside: bool, public: bool, own_org: Uuid) -> Target {
        let region = if inside { HOME } else { AWAY };
        let org = if inside { own_org } else { Uuid::now_v7() };
        match kind {
            Resource::Organisation => Target::organisation(org, region),
            Resource::EsusAccreditation => Target::accreditation(org, region),
            Resource::Club => Target::club(region),
            Resource::ClubMember => Target::club_member(Some(region.to_owned())),
            Resource::Event => Target::event(Some(region), public),
            Resource::Sponsorship => Target::sponsorship(org, Some(region), public),
            Resource::User => Target::users(),
            Resource::ApiClient => Target::api_clients(),
        }
    }

    /// Every caller the tables try: one of each role, the partner of `own_org`, the manager of HOME.
    fn roles(own_org: Uuid) -> [(Who, Option<Role>); 5] {
        [
            (Who::Anonymous, None),
            (Who::Viewer, Some(Role::Viewer)),
            (Who::Partner, Some(Role::Partner { org: own_org })),
            (
                Who::Manager,
                Some(Role::CressManager {
                    region: RegionCode::parse(HOME).unwrap(),
                }),
            ),
            (Who::Admin, Some(Role::Admin)),
        ]
    }

    const KINDS: [Resource; 7] = [
        Resource::Organisation,
        Resource::EsusAccreditation,
        Resource::Club,
        Resource::Event,
        Resource::Sponsorship,
        Resource::User,
        Resource::ApiClient,
    ];

    /// The role table of the module documentation, written out independently of `allows`.
    fn expected(who: Who, kind: Resource, action: Action, inside: bool, public: bool) -> Expect {
        use Action::*;
        use Resource::*;
        let account = matches!(kind, User | ApiClient);
        match who {
            Who::Anonymous => {
                let readable = match kind {
                    Organisation | Club | ClubMember => true,
                    Event | Sponsorship => public,
                    EsusAccreditation | User | ApiClient => false,
                };
                if action == Read && readable {
                    Expect::Ok
                } else {
                    Expect::E401
                }
            }
            Who::Admin => Expect::Ok,
            _ if account => Expect::E403,
            _ if action == Read => Expect::Ok,
            Who::Viewer => Expect::E403,
            Who::Partner => match (kind, action) {
                (Organisation, Update) if inside => Expect::Ok,
                (Sponsorship, Create | Update | Delete) if inside => Expect::Ok,
                _ => Expect::E403,
            },
            Who::Manager => {
                if matches!(kind, Organisation | EsusAccreditation | Club | Event | Sponsorship) && inside {
                    Expect::Ok
                } else {
                    Expect::E403
                }
            }
        }
    }

    #[test]
    fn require_follows_the_role_table_for_every_role_kind_action_and_scope() {
        let own_org = Uuid::now_v7();
        let roles = roles(own_org);
        let actions = [Action::Read, Action::Create, Action::Update, Action::Delete];
        let mut checked = 0;
        let mut failures = Vec::new();
        for (who, role) in &roles {
            let caller = caller(role.clone());
            for kind in KINDS {
                for action in actions {
                    for inside in [true, false] {
                        for public in [true, false] {
                            let target = target(kind, inside, public, own_org);
                            let want = expected(*who, kind, action, inside, public);
                            let got = match require(&caller, action, &target) {
                                Ok(()) => Expect::Ok,
                                Err(Denial::Unauthenticated(_)) => Expect::E401,
                                Err(Denial::Forbidden(_)) => Expect::E403,
                            };
                            checked += 1;
                            if got != want {
                                failures.push(format!(
                                    "{who:?} {action:?} {kind:?} inside={inside} public={public}: got {got:?}, want {want:?}"
                                ));
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 5 * 7 * 4 * 2 * 2);
        assert!(
            failures.is_empty(),
            "the policy differs from the table:\n{}",
            failures.join("\n")
        );
    }

    #[test]
    fn require_kind_allows_what_the_role_may_do_somewhere_in_its_scope() {
        let own_org = Uuid::now_v7();
        let roles = roles(own_org);
        for (who, role) in &roles {
            let caller = caller(role.clone());
            for kind in KINDS {
                for action in [Action::Read, Action::Create, Action::Update, Action::Delete] {
                    let want = expected(*who, kind, action, true, true);
                    let got = match require_kind(&caller, action, kind) {
                        Ok(()) => Expect::Ok,
                        Err(Denial::Unauthenticated(_)) => Expect::E401,
                        Err(Denial::Forbidden(_)) => Expect::E403,
                    };
                    assert_eq!(got, want, "{who:?} {action:?} {kind:?}");
                }
            }
        }
    }

    #[test]
    fn require_change_refuses_moving_a_record_out_of_the_callers_scope() {
        let own_org = Uuid::now_v7();
        let manager = caller(Some(Role::CressManager {
            region: RegionCode::parse(HOME).unwrap(),
        }));
        let id = Uuid::now_v7();
        let before = Target::organisation(id, HOME);
        assert!(require_change(&manager, &before, &Target::organisation(id, HOME)).is_ok());
        assert!(matches!(
            require_change(&manager, &before, &Target::organisation(id, AWAY)),
            Err(Denial::Forbidden(_))
        ));
        assert!(matches!(
            require_change(&manager, &Target::organisation(id, AWAY), &before),
            Err(Denial::Forbidden(_))
        ));
        let partner = caller(Some(Role::Partner { org: own_org }));
        let mine = Target::sponsorship(own_org, Some(HOME), true);
        let theirs = Target::sponsorship(Uuid::now_v7(), Some(HOME), true);
        assert!(require_change(&partner, &mine, &mine).is_ok());
        assert!(matches!(
            require_change(&partner, &mine, &theirs),
            Err(Denial::Forbidden(_))
        ));
    }

    #[test]
    fn sees_confidential_only_within_the_callers_scope() {
        let own_org = Uuid::now_v7();
        let other = Uuid::now_v7();
        let manager = caller(Some(Role::CressManager {
            region: RegionCode::parse(HOME).unwrap(),
        }));
        let partner = caller(Some(Role::Partner { org: own_org }));
        let cases = [
            (caller(None), Some(HOME), Some(own_org), false),
            (caller(Some(Role::Viewer)), Some(HOME), Some(own_org), false),
            (caller(Some(Role::Admin)), Some(AWAY), Some(other), true),
            (caller(Some(Role::Admin)), None, None, true),
            (manager.clone(), Some(HOME), Some(other), true),
            (manager.clone(), Some(AWAY), Some(other), false),
            (manager, None, None, false),
            (partner.clone(), Some(AWAY), Some(own_org), true),
            (partner.clone(), Some(HOME), Some(other), false),
            (partner, None, None, false),
        ];
        for (caller, region, org, want) in cases {
            assert_eq!(
                sees_confidential(&caller, region, org),
                want,
                "{caller:?} {region:?} {org:?}"
            );
            if let Ok(scope) = list_scope(&caller, Resource::Sponsorship) {
                assert_eq!(scope.sees_confidential(region, org), want, "list scope of {caller:?}");
            }
        }
    }

    #[test]
    fn list_scope_is_public_only_for_anonymous_callers_and_refuses_what_they_cannot_list() {
        let anonymous = caller(None);
        let scope = list_scope(&anonymous, Resource::Event).unwrap();
        assert!(scope.public_only);
        assert_eq!(scope.confidential, Confidential::Nobody);
        assert!(matches!(
            list_scope(&anonymous, Resource::EsusAccreditation),
            Err(Denial::Unauthenticated(_))
        ));
        assert!(matches!(
            list_scope(&anonymous, Resource::User),
            Err(Denial::Unauthenticated(_))
        ));
        let viewer = caller(Some(Role::Viewer));
        assert!(!list_scope(&viewer, Resource::Event).unwrap().public_only);
        assert!(matches!(list_scope(&viewer, Resource::User), Err(Denial::Forbidden(_))));
        let admin = caller(Some(Role::Admin));
        assert_eq!(
            list_scope(&admin, Resource::User).unwrap().confidential,
            Confidential::Everyone
        );
    }

    #[test]
    fn webhooks_are_for_admins_managers_and_partners_and_each_sees_its_own() {
        let own_org = Uuid::now_v7();
        for (who, role) in roles(own_org) {
            let caller = caller(role);
            let expected = match who {
                Who::Anonymous => Expect::E401,
                Who::Viewer => Expect::E403,
                _ => Expect::Ok,
            };
            let got = match require_subscriber(&caller) {
                Ok(()) => Expect::Ok,
                Err(Denial::Unauthenticated(_)) => Expect::E401,
                Err(Denial::Forbidden(_)) => Expect::E403,
            };
            assert_eq!(got, expected, "{who:?}");
            // The test callers' subject is "test".
            assert!(
                manages_subscription(&caller, "test") || who == Who::Anonymous,
                "{who:?}"
            );
            assert_eq!(
                manages_subscription(&caller, "someone else"),
                who == Who::Admin,
                "{who:?}"
            );
        }
    }
}
