//! Clubs run by a Cress and their memberships: the roles a member can hold and the rules a club
//! and a membership must satisfy before they are stored.

use chrono::NaiveDate;
use uuid::Uuid;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::codes::RegionCodeSchema;
use super::text::search_key;
use super::{Invalid, RegionCode, Violation, Violations, clean_text, missing, optional, required, string_enum};
use crate::domain::message::msg;

/// Longest accepted lengths, in characters (u64, as `validator` takes them).
pub const NAME_MAX: u64 = 200;
pub const DESCRIPTION_MAX: u64 = 5000;
pub const AUDIENCE_MAX: u64 = 500;

// What a request says a club should be, before any check: the body of a creation, which is
// also what a PATCH makes of the current club (`http::patch`). `None` means absent or null.
/// A new club. `name`, `region_code` and `host_organisation_id` are required; send `null` or
/// leave out a field to leave it empty. Spaces around values are trimmed.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateClubRequest, example = json!({
    "name": "Club des collectivités locales pour l'ESS",
    "region_code": "76",
    "host_organisation_id": "0193a1f1-5a3b-7c2d-8e4f-1a2b3c4d5e6f",
    "description": "Élus et techniciens des communes, EPCI et départements d'Occitanie se forment à l'ESS : plusieurs visios par an et deux journées en présentiel.",
    "audience": "Élus et agents des collectivités locales"
}))]
pub struct ClubDraft {
    /// The name, 1 to 200 characters.
    #[schema(required = true, value_type = String, min_length = 1, max_length = 200)]
    #[validate(length(max = NAME_MAX))]
    #[serde(default)]
    pub name: Option<String>,
    #[schema(required = true, value_type = RegionCodeSchema)]
    #[serde(default)]
    pub region_code: Option<String>,
    /// The id of an existing organisation that runs the club, usually the region's Cress
    /// (create it first with `POST /api/v1/organisations` and paste its id here). An unknown
    /// id is a 422 with code `not_found` on this field.
    #[schema(required = true, value_type = Uuid)]
    #[serde(default)]
    pub host_organisation_id: Option<Uuid>,
    /// Up to 5000 characters.
    #[schema(min_length = 1, max_length = 5000)]
    #[validate(length(max = DESCRIPTION_MAX))]
    #[serde(default)]
    pub description: Option<String>,
    /// Whom the club is for, up to 500 characters.
    #[schema(
        min_length = 1,
        max_length = 500,
        example = "Élus et agents des collectivités locales"
    )]
    #[validate(length(max = AUDIENCE_MAX))]
    #[serde(default)]
    pub audience: Option<String>,
}

stored! {
    /// A club's fields, every one checked ([`ClubFields::parse`]), in their stored form: the only
    /// form the store accepts, what it reads back, and the record of the change log. Whether the
    /// host organisation exists is the store's to say (it needs the database).
    #[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
    pub struct ClubFields, list club_fields, computed(f) {
            name_search: search_key(&f.name),
        } {
        pub name: String,
        pub region_code: String,
        pub host_organisation_id: Uuid,
        pub description: Option<String>,
        pub audience: Option<String>,
    }
}

impl ClubFields {
    /// Checks every field of the draft and reports every violation at once.
    pub fn parse(draft: ClubDraft) -> Result<Self, Vec<Violation>> {
        let mut v = Violations::default();
        let name = v.check(
            "name",
            required(draft.name).and_then(|n| clean_text(&n, NAME_MAX as usize, "name")),
        );
        let region_code = v.check(
            "region_code",
            required(draft.region_code).and_then(|c| RegionCode::parse(&c)),
        );
        let host_organisation_id = v.check("host_organisation_id", draft.host_organisation_id.ok_or_else(missing));
        let description = v
            .check(
                "description",
                optional(draft.description, |s| {
                    clean_text(s, DESCRIPTION_MAX as usize, "description")
                }),
            )
            .flatten();
        let audience = v
            .check(
                "audience",
                optional(draft.audience, |s| clean_text(s, AUDIENCE_MAX as usize, "audience")),
            )
            .flatten();
        match (name, region_code, host_organisation_id) {
            (Some(name), Some(region_code), Some(host_organisation_id)) if v.is_empty() => Ok(Self {
                name,
                region_code: region_code.as_str().to_owned(),
                host_organisation_id,
                description,
                audience,
            }),
            _ => Err(v.into_vec()),
        }
    }
}

// utoipa 6 puts only this enum-level comment in the OpenAPI schema, hence the list above.
string_enum! {
    /// The part an organisation plays in a club. `member` (the default): takes part in the club;
    /// `steering_committee`: sits on its steering committee (comité de pilotage); `patron`: supports
    /// it, usually through patronage (mécénat); `facilitator`: runs its sessions.
    #[derive(Default)]
    pub enum MemberRole("member role") {
        /// Takes part in the club.
        #[default]
        Member = "member",
        /// Sits on the steering committee (comité de pilotage).
        SteeringCommittee = "steering_committee",
        /// Supports the club, usually through patronage.
        Patron = "patron",
        /// Runs the club's sessions.
        Facilitator = "facilitator",
    }
}

/// What a membership should be, before any check: the body of an addition, or the current
/// membership with a PATCH laid over it. `None` means absent or cleared.
#[derive(Debug, Clone, Default)]
pub struct MembershipDraft {
    pub role: Option<MemberRole>,
    pub joined_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
}

/// The checked terms of a membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Membership {
    pub role: MemberRole,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
}

impl Membership {
    /// The terms of a new membership: `role` defaults to `member`, `joined_on` to `today`.
    pub fn parse_new(draft: MembershipDraft, today: NaiveDate) -> Result<Self, Vec<Violation>> {
        Self::parse(MembershipDraft {
            role: Some(draft.role.unwrap_or_default()),
            joined_on: Some(draft.joined_on.unwrap_or(today)),
            left_on: draft.left_on,
        })
    }

    /// Checks a complete draft (a changed membership, where `role` and `joined_on` cannot be
    /// cleared): `left_on`, when set, is not before `joined_on`.
    pub fn parse(draft: MembershipDraft) -> Result<Self, Vec<Violation>> {
        let mut v = Violations::default();
        let role = v.check("role", draft.role.ok_or_else(missing));
        let joined_on = v.check("joined_on", draft.joined_on.ok_or_else(missing));
        if let (Some(joined_on), Some(left_on)) = (joined_on, draft.left_on)
            && left_on < joined_on
        {
            v.refuse(
                "left_on",
                Invalid::new(
                    Invalid::MISMATCH,
                    msg!("club-left-before-joined", left_on = left_on, joined_on = joined_on),
                ),
            );
        }
        match (role, joined_on) {
            (Some(role), Some(joined_on)) if v.is_empty() => Ok(Self {
                role,
                joined_on,
                left_on: draft.left_on,
            }),
            _ => Err(v.into_vec()),
        }
    }

    /// Whether the member is still in the club on `today`: it has not left, or leaves later.
    pub fn is_active(left_on: Option<NaiveDate>, today: NaiveDate) -> bool {
        left_on.is_none_or(|left_on| left_on > today)
    }
}

/// A new membership: the member organisation and its checked terms. Whether the organisation
/// exists is the store's to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewMember {
    pub organisation_id: Uuid,
    pub terms: Membership,
}

impl NewMember {
    /// Checks the organisation (required) and the terms, with their defaults (see
    /// [`Membership::parse_new`]), and reports every violation at once.
    pub fn parse(
        organisation_id: Option<Uuid>,
        draft: MembershipDraft,
        today: NaiveDate,
    ) -> Result<Self, Vec<Violation>> {
        let mut v = Violations::default();
        let organisation_id = v.check("organisation_id", organisation_id.ok_or_else(missing));
        let terms = Membership::parse_new(draft, today);
        match (organisation_id, terms) {
            (Some(organisation_id), Ok(terms)) => Ok(Self { organisation_id, terms }),
            (_, terms) => {
                let mut violations = v.into_vec();
                violations.extend(terms.err().unwrap_or_default());
                Err(violations)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("test date is ISO 8601")
    }

    fn club_draft() -> ClubDraft {
        ClubDraft {
            name: Some("  Club des collectivités locales pour l'ESS ".into()),
            region_code: Some("76".into()),
            host_organisation_id: Some(Uuid::nil()),
            description: Some("Visios et deux journées en présentiel par an.".into()),
            audience: Some("Élus et agents des collectivités locales".into()),
        }
    }

    fn fields(violations: &[Violation]) -> Vec<(&str, &str)> {
        violations.iter().map(|v| (v.field.as_ref(), v.invalid.code)).collect()
    }

    #[test]
    fn new_club_parse_trims_and_keeps_the_fields_when_valid() {
        let club = ClubFields::parse(club_draft()).expect("a valid club");
        assert_eq!(
            club.name, "Club des collectivités locales pour l'ESS",
            "name is trimmed"
        );
        assert_eq!(club.region_code.as_str(), "76");
        assert_eq!(
            club.audience.as_deref(),
            Some("Élus et agents des collectivités locales")
        );
        let bare = ClubFields::parse(ClubDraft {
            description: None,
            audience: None,
            ..club_draft()
        })
        .expect("description and audience are optional");
        assert_eq!((bare.description, bare.audience), (None, None));
    }

    #[test]
    fn new_club_parse_reports_every_failing_field_when_several_are_invalid() {
        let err = ClubFields::parse(ClubDraft {
            name: Some("   ".into()),
            region_code: Some("05".into()),
            host_organisation_id: None,
            description: Some("x".repeat(5001)),
            audience: Some("x".repeat(501)),
        })
        .expect_err("nothing is valid");
        assert_eq!(
            fields(&err),
            [
                ("name", Invalid::BLANK),
                ("region_code", Invalid::UNKNOWN_CODE),
                ("host_organisation_id", "required"),
                ("description", Invalid::TOO_LONG),
                ("audience", Invalid::TOO_LONG),
            ]
        );
        let err = ClubFields::parse(ClubDraft::default()).expect_err("empty draft");
        assert_eq!(
            fields(&err),
            [
                ("name", "required"),
                ("region_code", "required"),
                ("host_organisation_id", "required")
            ]
        );
    }

    #[test]
    fn new_club_parse_accepts_the_longest_values_when_at_the_limits() {
        let club = ClubFields::parse(ClubDraft {
            name: Some("é".repeat(200)),
            description: Some("é".repeat(5000)),
            audience: Some("é".repeat(500)),
            ..club_draft()
        });
        assert!(club.is_ok(), "limits count characters, not bytes: {club:?}");
    }

    #[test]
    fn member_role_names_are_snake_case_when_serialised() {
        for role in MemberRole::ALL {
            let json = serde_json::to_string(&role).expect("serialises");
            assert_eq!(json, format!("\"{}\"", role.as_str()), "serde agrees with as_str");
            assert_eq!(MemberRole::parse(role.as_str()), Some(role));
            assert_eq!(MemberRole::try_from(role.to_string()), Ok(role));
        }
        assert_eq!(MemberRole::SteeringCommittee.as_str(), "steering_committee");
        assert_eq!(MemberRole::default(), MemberRole::Member);
        assert!(MemberRole::try_from("president".to_owned()).is_err());
    }

    #[test]
    fn membership_parse_new_defaults_role_and_joined_on_when_absent() {
        let today = date("2026-11-26");
        let membership = Membership::parse_new(MembershipDraft::default(), today).expect("defaults");
        assert_eq!(
            membership,
            Membership {
                role: MemberRole::Member,
                joined_on: today,
                left_on: None
            }
        );
    }

    #[test]
    fn membership_parse_accepts_leaving_on_or_after_joining() {
        for (joined, left) in [("2026-01-15", "2026-01-15"), ("2026-01-15", "2027-06-30")] {
            let draft = MembershipDraft {
                role: Some(MemberRole::Patron),
                joined_on: Some(date(joined)),
                left_on: Some(date(left)),
            };
            assert!(Membership::parse(draft).is_ok(), "joined {joined}, left {left}");
        }
    }

    #[test]
    fn membership_parse_refuses_when_left_on_is_before_joined_on() {
        let draft = MembershipDraft {
            role: None,
            joined_on: Some(date("2026-01-15")),
            left_on: Some(date("2026-01-14")),
        };
        let err = Membership::parse_new(draft.clone(), date("2026-11-26")).expect_err("left the day before joining");
        assert_eq!(fields(&err), [("left_on", Invalid::MISMATCH)]);
        assert!(
            err[0].invalid.message.to_string().contains("2026-01-14"),
            "{}",
            err[0].invalid.message
        );
        let err = Membership::parse_new(
            MembershipDraft {
                joined_on: None,
                ..draft
            },
            date("2026-11-26"),
        )
        .expect_err("joined_on defaults to today, after left_on");
        assert_eq!(fields(&err), [("left_on", Invalid::MISMATCH)]);
    }

    #[test]
    fn membership_parse_refuses_when_role_or_joined_on_is_cleared() {
        let err = Membership::parse(MembershipDraft::default()).expect_err("cleared");
        assert_eq!(fields(&err), [("role", "required"), ("joined_on", "required")]);
    }

    #[test]
    fn new_member_parse_reports_the_organisation_and_the_terms_together_when_both_fail() {
        let today = date("2026-11-26");
        let draft = MembershipDraft {
            left_on: Some(date("2026-01-01")),
            ..MembershipDraft::default()
        };
        let err = NewMember::parse(None, draft.clone(), today).expect_err("no organisation, left before today");
        assert_eq!(
            fields(&err),
            [("organisation_id", "required"), ("left_on", Invalid::MISMATCH)]
        );
        let member = NewMember::parse(Some(Uuid::nil()), MembershipDraft::default(), today).expect("defaults");
        assert_eq!(member.organisation_id, Uuid::nil());
        assert_eq!(member.terms.joined_on, today);
    }

    #[test]
    fn membership_is_active_until_the_day_it_is_left() {
        let today = date("2026-11-26");
        assert!(Membership::is_active(None, today), "never left");
        assert!(
            Membership::is_active(Some(date("2026-11-27")), today),
            "leaves tomorrow"
        );
        assert!(!Membership::is_active(Some(today), today), "left today");
        assert!(
            !Membership::is_active(Some(date("2025-12-31")), today),
            "left last year"
        );
    }
}
