//! Sponsorships: patronage (mécénat) in money, in kind or in skills, and commercial sponsorship
//! (parrainage), with their rules (docs/domain.md Part A "Sponsorships" and B.7).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::json;
use super::{Invalid, Violation, Violations, clean_text, missing, optional, string_enum};
use crate::domain::message::{Arg, Message, msg};

string_enum! {
    /// What a sponsorship supports: a `club`, an `event` or an `organisation`.
    pub enum BeneficiaryType("beneficiary type") {
        Club = "club",
        Event = "event",
        Organisation = "organisation",
    }
}

string_enum! {
    /// The form of support. The three patronage kinds are mécénat (art. 238 bis CGI): a gift with
    /// liberal intent, whose counterparts may not exceed 25 % of the amount. `financial_patronage`:
    /// money; `in_kind_patronage`: goods or services, `amount_cents` being their valuation;
    /// `skills_patronage`: staff time, valued likewise. `commercial_sponsorship` (parrainage) is
    /// support in exchange for a direct commercial benefit: no cap on counterparts.
    pub enum SponsorshipKind("sponsorship kind") {
        FinancialPatronage = "financial_patronage",
        InKindPatronage = "in_kind_patronage",
        SkillsPatronage = "skills_patronage",
        CommercialSponsorship = "commercial_sponsorship",
    }
}

impl SponsorshipKind {
    /// Whether this is one of the three forms of mécénat, whose counterparts are capped.
    pub fn is_patronage(self) -> bool {
        !matches!(self, Self::CommercialSponsorship)
    }
}

string_enum! {
    /// Where a sponsorship stands: `proposed` → `active` → `ended`; `proposed` or `active` →
    /// `cancelled`. `ended` and `cancelled` are final.
    pub enum SponsorshipStatus("sponsorship status") {
        Proposed = "proposed",
        Active = "active",
        Ended = "ended",
        Cancelled = "cancelled",
    }
}

impl SponsorshipStatus {
    /// The statuses this one may become (itself excluded).
    pub fn next(self) -> &'static [SponsorshipStatus] {
        match self {
            Self::Proposed => &[Self::Active, Self::Cancelled],
            Self::Active => &[Self::Ended, Self::Cancelled],
            Self::Ended | Self::Cancelled => &[],
        }
    }

    /// Whether a sponsorship in this status may be given the status `to`. Keeping the same
    /// status is no transition, so it is always allowed (a PATCH may repeat it).
    pub fn check_transition(self, to: SponsorshipStatus) -> Result<(), Message> {
        if self == to || self.next().contains(&to) {
            return Ok(());
        }
        let why = match self.next() {
            [] => msg!("sponsorship-status-final", status = self.as_str()),
            next => {
                let names: Vec<&str> = next.iter().map(|s| s.as_str()).collect();
                msg!("sponsorship-status-next", status = self.as_str(), next = any_of(&names))
            }
        };
        Err(msg!(
            "sponsorship-transition-illegal",
            from = self.as_str(),
            to = to.as_str(),
            why = why
        ))
    }
}

/// The names joined by "or" in the language of the answer: "active or cancelled".
fn any_of(names: &[&str]) -> Arg {
    match names {
        [first @ .., last] if !first.is_empty() => {
            msg!("sponsorship-any-of", first = any_of(first), last = *last).into()
        }
        _ => names.concat().into(),
    }
}

/// The currency of the amounts: only the euro (`EUR`) is supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum Currency {
    #[serde(rename = "EUR")]
    Eur,
}

impl Currency {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eur => "EUR",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        match s.trim() {
            "EUR" => Ok(Self::Eur),
            other => Err(Invalid::new(
                "unsupported_currency",
                msg!("sponsorship-currency-unsupported", currency = format!("{other:?}")),
            )),
        }
    }
}

impl TryFrom<String> for Currency {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        Self::parse(&value).map_err(|invalid| invalid.message.to_string())
    }
}

/// The one record a sponsorship supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ToSchema)]
pub struct Beneficiary {
    #[serde(rename = "type")]
    pub kind: BeneficiaryType,
    pub id: Uuid,
}

/// The supported record: an existing club, event or organisation (not the sponsor itself).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = BeneficiaryRequest, example = json!({"type": "club", "id": "0193a1f3-1b2c-7e4d-8f5a-6b7c8d9e0f12"}))]
pub struct BeneficiaryDraft {
    #[serde(rename = "type", default)]
    #[schema(required = true, value_type = BeneficiaryType)]
    pub kind: Option<BeneficiaryType>,
    #[serde(default)]
    #[schema(required = true, value_type = Uuid)]
    pub id: Option<Uuid>,
}

// What a request says a sponsorship should be, before any check: the body of a creation, which is
// also what a PATCH makes of the current sponsorship (`http::patch`). `None` means absent or null.
/// A new sponsorship. `sponsor_id`, `beneficiary`, `kind`, `amount_cents` and `starts_on` are
/// required; `currency` defaults to `EUR`, `counterparts_cents` to 0, `status` to `proposed`,
/// `public` to false. The ids must be those of existing records (the example's are those of the
/// other examples: replace them with ids of your database).
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateSponsorshipRequest, example = json!({
    "sponsor_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11",
    "beneficiary": {"type": "club", "id": "0193a1f3-1b2c-7e4d-8f5a-6b7c8d9e0f12"},
    "kind": "financial_patronage",
    "amount_cents": 1_500_000,
    "currency": "EUR",
    "counterparts_cents": 200_000,
    "starts_on": "2026-01-01",
    "ends_on": "2026-12-31",
    "status": "active",
    "public": true,
    "agreement_reference": "CONV-2026-014",
    "notes": "Logo on the club's documents and invitations to its two days in person."
}))]
pub struct SponsorshipDraft {
    /// The sponsoring organisation.
    #[schema(required = true, value_type = Uuid)]
    #[serde(default)]
    pub sponsor_id: Option<Uuid>,
    #[schema(required = true, value_type = BeneficiaryDraft)]
    #[serde(default)]
    pub beneficiary: Option<BeneficiaryDraft>,
    #[schema(required = true, value_type = SponsorshipKind)]
    #[serde(default)]
    pub kind: Option<SponsorshipKind>,
    /// The amount given, or the valuation of what is given in kind or in skills, in euro cents:
    /// 1 to 10^13.
    #[schema(required = true, value_type = i64, minimum = 1, maximum = 10_000_000_000_000_i64, example = 1_500_000)]
    #[serde(default, deserialize_with = "json::integer")]
    pub amount_cents: Option<i64>,
    /// Only `EUR` (a creation without it, or with `null`: `EUR`).
    #[schema(value_type = Option<Currency>, default = "EUR")]
    #[serde(default)]
    pub currency: Option<String>,
    /// The value of what the sponsor receives back (logo, invitations…), in cents, 0 or more.
    /// For the three patronage kinds at most 25 % of `amount_cents` (mécénat rule, 422
    /// `counterparts_over_25_percent` otherwise); no cap for `commercial_sponsorship`.
    #[schema(value_type = Option<i64>, minimum = 0, default = 0, example = 200_000)]
    #[serde(default, deserialize_with = "json::integer")]
    pub counterparts_cents: Option<i64>,
    /// First day, in the years 1900 to 2200.
    #[schema(required = true, value_type = NaiveDate, example = "2026-01-01")]
    #[serde(default)]
    pub starts_on: Option<NaiveDate>,
    /// Last day, on or after `starts_on`; `null` for an open end.
    #[schema(example = "2026-12-31")]
    #[serde(default)]
    pub ends_on: Option<NaiveDate>,
    /// Usually `proposed` (a creation's default, also for `null`); a creation may record any
    /// status for a sponsorship that already runs or ran; a change follows the lifecycle.
    #[schema(value_type = Option<SponsorshipStatus>, default = "proposed")]
    #[serde(default)]
    pub status: Option<SponsorshipStatus>,
    /// Whether it may be shown to anonymous callers (its amounts never are); a creation
    /// without it, or with `null`: false.
    #[schema(value_type = Option<bool>, default = false)]
    #[serde(default)]
    pub public: Option<bool>,
    /// The reference of the agreement (convention de mécénat), up to 100 characters.
    #[schema(min_length = 1, max_length = 100, example = "CONV-2026-014")]
    #[validate(length(max = AGREEMENT_REFERENCE_MAX))]
    #[serde(default)]
    pub agreement_reference: Option<String>,
    /// Up to 5000 characters.
    #[schema(min_length = 1, max_length = 5000)]
    #[validate(length(max = NOTES_MAX))]
    #[serde(default)]
    pub notes: Option<String>,
}

impl SponsorshipDraft {
    /// The beneficiary, when both its type and its id are given.
    pub fn beneficiary(&self) -> Option<Beneficiary> {
        let draft = self.beneficiary?;
        Some(Beneficiary {
            kind: draft.kind?,
            id: draft.id?,
        })
    }
}

/// What the database says about the records a draft references: whether the sponsor and the
/// beneficiary exist. Only meaningful for the ids the draft gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Existing {
    pub sponsor: bool,
    pub beneficiary: bool,
}

/// A sponsorship whose every field and cross-field rule has been checked: the only form the
/// store accepts, and the form it stores. Built by [`NewSponsorship::parse`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ToSchema)]
pub struct NewSponsorship {
    pub sponsor_id: Uuid,
    pub beneficiary: Beneficiary,
    pub kind: SponsorshipKind,
    pub amount_cents: i64,
    pub currency: Currency,
    pub counterparts_cents: i64,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub status: SponsorshipStatus,
    pub public: bool,
    pub agreement_reference: Option<String>,
    pub notes: Option<String>,
}

/// Largest accepted amount: 10^13 cents, i.e. 100 billion euros, far above any real gift and
/// far below what sums of many amounts in an i64 can hold.
pub const AMOUNT_MAX_CENTS: i64 = 10_000_000_000_000;
/// Longest accepted lengths, in characters (u64, as `validator` takes them).
pub const AGREEMENT_REFERENCE_MAX: u64 = 100;
pub const NOTES_MAX: u64 = 5000;
/// The years dates may fall in, and that list and summary filters accept.
pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 2200;

/// The problem code of counterparts above the mécénat cap.
pub const COUNTERPARTS_OVER_25_PERCENT: &str = "counterparts_over_25_percent";

impl NewSponsorship {
    /// Checks every field of the draft, then the rules between fields, and reports every
    /// violation at once. `existing` says which referenced records the database holds.
    pub fn parse(draft: SponsorshipDraft, existing: Existing) -> Result<Self, Vec<Violation>> {
        let mut v = Violations::default();
        let sponsor_id = v.check("sponsor_id", draft.sponsor_id.ok_or_else(missing));
        if sponsor_id.is_some() && !existing.sponsor {
            v.refuse(
                "sponsor_id",
                Invalid::new("not_found", msg!("sponsorship-sponsor-not-found")),
            );
        }
        let beneficiary = beneficiary(&mut v, draft.beneficiary, sponsor_id, existing);
        let kind = v.check("kind", draft.kind.ok_or_else(missing));
        let amount_cents = v.check("amount_cents", draft.amount_cents.ok_or_else(missing).and_then(amount));
        let currency = v.check(
            "currency",
            draft.currency.map_or(Ok(Currency::Eur), |c| Currency::parse(&c)),
        );
        let counterparts_cents = v.check(
            "counterparts_cents",
            counterparts(draft.counterparts_cents.unwrap_or(0)),
        );
        if let (Some(kind), Some(amount), Some(counterparts)) = (kind, amount_cents, counterparts_cents)
            && let Err(invalid) = check_counterparts_cap(kind, amount, counterparts)
        {
            v.refuse("counterparts_cents", invalid);
        }
        let starts_on = v.check(
            "starts_on",
            draft
                .starts_on
                .ok_or_else(missing)
                .and_then(|d| in_range(d, "starts_on")),
        );
        let ends_on = v
            .check("ends_on", draft.ends_on.map(|d| in_range(d, "ends_on")).transpose())
            .flatten();
        if let (Some(starts_on), Some(ends_on)) = (starts_on, ends_on)
            && ends_on < starts_on
        {
            v.refuse(
                "ends_on",
                Invalid::new(
                    "before_start",
                    msg!(
                        "sponsorship-ends-before-start",
                        ends_on = ends_on,
                        starts_on = starts_on
                    ),
                ),
            );
        }
        let status = Some(draft.status.unwrap_or(SponsorshipStatus::Proposed));
        let public = Some(draft.public.unwrap_or(false));
        let agreement_reference = v
            .check(
                "agreement_reference",
                optional(draft.agreement_reference, |s| {
                    clean_text(s, AGREEMENT_REFERENCE_MAX as usize, "agreement_reference")
                }),
            )
            .flatten();
        let notes = v
            .check(
                "notes",
                optional(draft.notes, |s| clean_text(s, NOTES_MAX as usize, "notes")),
            )
            .flatten();
        match (
            sponsor_id,
            beneficiary,
            kind,
            amount_cents,
            currency,
            counterparts_cents,
            starts_on,
            status,
            public,
        ) {
            (
                Some(sponsor_id),
                Some(beneficiary),
                Some(kind),
                Some(amount_cents),
                Some(currency),
                Some(counterparts_cents),
                Some(starts_on),
                Some(status),
                Some(public),
            ) if v.is_empty() => Ok(Self {
                sponsor_id,
                beneficiary,
                kind,
                amount_cents,
                currency,
                counterparts_cents,
                starts_on,
                ends_on,
                status,
                public,
                agreement_reference,
                notes,
            }),
            _ => Err(v.into_vec()),
        }
    }
}

/// The beneficiary: given whole, existing, and not the sponsor itself.
fn beneficiary(
    v: &mut Violations,
    draft: Option<BeneficiaryDraft>,
    sponsor_id: Option<Uuid>,
    existing: Existing,
) -> Option<Beneficiary> {
    let Some(draft) = draft else {
        v.refuse(
            "beneficiary",
            Invalid::new("required", msg!("sponsorship-beneficiary-required")),
        );
        return None;
    };
    let kind = v.check("beneficiary.type", draft.kind.ok_or_else(missing));
    let id = v.check("beneficiary.id", draft.id.ok_or_else(missing));
    let (kind, id) = (kind?, id?);
    if !existing.beneficiary {
        v.refuse(
            "beneficiary.id",
            Invalid::new(
                "not_found",
                msg!("sponsorship-beneficiary-not-found", kind = kind.as_str()),
            ),
        );
        return None;
    }
    if kind == BeneficiaryType::Organisation && Some(id) == sponsor_id {
        v.refuse(
            "beneficiary.id",
            Invalid::new("same_as_sponsor", msg!("sponsorship-beneficiary-is-sponsor")),
        );
        return None;
    }
    Some(Beneficiary { kind, id })
}

/// More than zero, at most [`AMOUNT_MAX_CENTS`].
fn amount(cents: i64) -> Result<i64, Invalid> {
    if (1..=AMOUNT_MAX_CENTS).contains(&cents) {
        Ok(cents)
    } else {
        Err(Invalid::new(
            "out_of_range",
            // As text: a Fluent number is a float, which would round the largest i64.
            msg!(
                "sponsorship-amount-out-of-range",
                cents = cents.to_string(),
                max = AMOUNT_MAX_CENTS.to_string()
            ),
        ))
    }
}

/// Zero or more.
fn counterparts(cents: i64) -> Result<i64, Invalid> {
    if cents >= 0 {
        Ok(cents)
    } else {
        Err(Invalid::new(
            "out_of_range",
            msg!("sponsorship-counterparts-negative", cents = cents.to_string()),
        ))
    }
}

/// For patronage (mécénat), what the sponsor receives back (logo, invitations…) must stay in
/// "marked disproportion" with the gift: at most 25 % of it in practice (BOFiP, docs/domain.md B.7).
/// Integer arithmetic (counterparts × 4 ≤ amount) in i128, so that no i64 overflows.
pub fn check_counterparts_cap(
    kind: SponsorshipKind,
    amount_cents: i64,
    counterparts_cents: i64,
) -> Result<(), Invalid> {
    if !kind.is_patronage() || i128::from(counterparts_cents) * 4 <= i128::from(amount_cents) {
        return Ok(());
    }
    Err(Invalid::new(
        COUNTERPARTS_OVER_25_PERCENT,
        msg!(
            "sponsorship-counterparts-over-cap",
            counterparts = euros(counterparts_cents),
            amount = euros(amount_cents),
            cap = euros(amount_cents / 4),
        ),
    ))
}

/// "2 000.50 €"-like text of an amount in cents, for messages ("2000.50 EUR").
fn euros(cents: i64) -> String {
    format!("{}.{:02} EUR", cents / 100, (cents % 100).abs())
}

/// A date between [`FIRST_YEAR`] and [`LAST_YEAR`]: anything else is a typing mistake, and keeps
/// dates sortable as text on SQLite.
fn in_range(date: NaiveDate, field: &str) -> Result<NaiveDate, Invalid> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&date.year()) {
        Ok(date)
    } else {
        Err(Invalid::new(
            "out_of_range",
            msg!(
                "sponsorship-date-out-of-range",
                field = field,
                date = date,
                first = FIRST_YEAR,
                last = LAST_YEAR
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a valid test date")
    }

    const SPONSOR: Uuid = Uuid::from_u128(1);
    const CLUB: Uuid = Uuid::from_u128(2);
    const ALL_EXIST: Existing = Existing {
        sponsor: true,
        beneficiary: true,
    };

    /// Part C: the mutual supports the club of local authorities with 15 000 €, 2 000 € back.
    fn draft() -> SponsorshipDraft {
        SponsorshipDraft {
            sponsor_id: Some(SPONSOR),
            beneficiary: Some(BeneficiaryDraft {
                kind: Some(BeneficiaryType::Club),
                id: Some(CLUB),
            }),
            kind: Some(SponsorshipKind::FinancialPatronage),
            amount_cents: Some(1_500_000),
            currency: Some("EUR".into()),
            counterparts_cents: Some(200_000),
            starts_on: Some(date(2026, 1, 1)),
            ends_on: Some(date(2026, 12, 31)),
            status: Some(SponsorshipStatus::Active),
            public: Some(true),
            agreement_reference: Some("  CONV-2026-014 ".into()),
            notes: None,
        }
    }

    fn fields(violations: &[Violation]) -> Vec<&str> {
        violations.iter().map(|v| v.field.as_ref()).collect()
    }

    fn codes(violations: &[Violation]) -> Vec<&'static str> {
        violations.iter().map(|v| v.invalid.code).collect()
    }

    #[test]
    fn parse_keeps_the_values_and_trims_text_when_the_draft_is_valid() {
        let new = NewSponsorship::parse(draft(), ALL_EXIST).expect("valid");
        assert_eq!(
            new.beneficiary,
            Beneficiary {
                kind: BeneficiaryType::Club,
                id: CLUB
            }
        );
        assert_eq!(new.amount_cents, 1_500_000);
        assert_eq!(new.currency, Currency::Eur);
        assert_eq!(new.agreement_reference.as_deref(), Some("CONV-2026-014"));
    }

    #[test]
    fn parse_reports_every_violation_when_several_fields_fail() {
        let bad = SponsorshipDraft {
            sponsor_id: None,
            beneficiary: None,
            kind: None,
            amount_cents: Some(0),
            currency: Some("USD".into()),
            counterparts_cents: Some(-1),
            starts_on: None,
            agreement_reference: Some("x".repeat(101)),
            notes: Some(" ".into()),
            ..draft()
        };
        let violations = NewSponsorship::parse(bad, ALL_EXIST).expect_err("invalid");
        assert_eq!(
            fields(&violations),
            [
                "sponsor_id",
                "beneficiary",
                "kind",
                "amount_cents",
                "currency",
                "counterparts_cents",
                "starts_on",
                "agreement_reference",
                "notes"
            ]
        );
        assert_eq!(
            codes(&violations),
            [
                "required",
                "required",
                "required",
                "out_of_range",
                "unsupported_currency",
                "out_of_range",
                "required",
                "too_long",
                "blank"
            ]
        );
    }

    #[test]
    fn parse_gives_a_creation_s_defaults_to_the_fields_left_out() {
        let bare = SponsorshipDraft {
            currency: None,
            counterparts_cents: None,
            status: None,
            public: None,
            ..draft()
        };
        let new = NewSponsorship::parse(bare, ALL_EXIST).expect("valid");
        assert_eq!(
            (new.currency, new.counterparts_cents, new.status, new.public),
            (Currency::Eur, 0, SponsorshipStatus::Proposed, false)
        );
    }

    #[test]
    fn parse_refuses_an_amount_outside_1_to_10_pow_13() {
        for (cents, ok) in [
            (0, false),
            (-1, false),
            (i64::MIN, false),
            (1, true),
            (AMOUNT_MAX_CENTS, true),
            (AMOUNT_MAX_CENTS + 1, false),
            (i64::MAX, false),
        ] {
            let d = SponsorshipDraft {
                amount_cents: Some(cents),
                counterparts_cents: Some(0),
                ..draft()
            };
            assert_eq!(NewSponsorship::parse(d, ALL_EXIST).is_ok(), ok, "amount {cents}");
        }
    }

    #[test]
    fn parse_caps_counterparts_at_25_percent_for_the_three_patronage_kinds_only() {
        for kind in SponsorshipKind::ALL {
            for (amount, counterparts, within) in [
                (1_500_000, 375_000, true),
                (1_500_000, 375_001, false),
                (1_500_001, 375_000, true),
                (3, 0, true),
                (4, 1, true),
                (3, 1, false),
                (1, 0, true),
                (AMOUNT_MAX_CENTS, i64::MAX, false),
            ] {
                let d = SponsorshipDraft {
                    kind: Some(kind),
                    amount_cents: Some(amount),
                    counterparts_cents: Some(counterparts),
                    ..draft()
                };
                let result = NewSponsorship::parse(d, ALL_EXIST);
                let accepted = within || kind == SponsorshipKind::CommercialSponsorship;
                match result {
                    Ok(_) => assert!(accepted, "{kind}: {counterparts} back for {amount} must be refused"),
                    Err(violations) => {
                        assert!(!accepted, "{kind}: {counterparts} back for {amount} must be accepted");
                        assert_eq!(fields(&violations), ["counterparts_cents"]);
                        assert_eq!(codes(&violations), [COUNTERPARTS_OVER_25_PERCENT]);
                    }
                }
            }
        }
    }

    #[test]
    fn counterparts_message_explains_the_patronage_rule() {
        let err = check_counterparts_cap(SponsorshipKind::FinancialPatronage, 1_500_000, 400_000).expect_err("over");
        for part in [
            "25 %",
            "mécénat",
            "4000.00 EUR",
            "15000.00 EUR",
            "3750.00 EUR",
            "commercial_sponsorship",
        ] {
            assert!(err.message.to_string().contains(part), "{part:?} in {}", err.message);
        }
    }

    #[test]
    fn parse_refuses_an_end_before_the_start_and_dates_out_of_range() {
        let same_day = SponsorshipDraft {
            ends_on: Some(date(2026, 1, 1)),
            ..draft()
        };
        assert!(
            NewSponsorship::parse(same_day, ALL_EXIST).is_ok(),
            "a one-day sponsorship"
        );
        let open_ended = SponsorshipDraft {
            ends_on: None,
            ..draft()
        };
        assert!(NewSponsorship::parse(open_ended, ALL_EXIST).is_ok(), "no end date");
        for (starts_on, ends_on, field, code) in [
            (date(2026, 1, 2), Some(date(2026, 1, 1)), "ends_on", "before_start"),
            (date(1899, 12, 31), None, "starts_on", "out_of_range"),
            (date(2026, 1, 1), Some(date(2201, 1, 1)), "ends_on", "out_of_range"),
        ] {
            let d = SponsorshipDraft {
                starts_on: Some(starts_on),
                ends_on,
                ..draft()
            };
            let violations = NewSponsorship::parse(d, ALL_EXIST).expect_err("bad dates");
            assert_eq!(fields(&violations), [field]);
            assert_eq!(codes(&violations), [code]);
        }
    }

    #[test]
    fn parse_refuses_missing_references_and_a_sponsor_benefiting_from_itself() {
        let nothing = Existing {
            sponsor: false,
            beneficiary: false,
        };
        let violations = NewSponsorship::parse(draft(), nothing).expect_err("missing");
        assert_eq!(fields(&violations), ["sponsor_id", "beneficiary.id"]);
        assert_eq!(codes(&violations), ["not_found", "not_found"]);
        assert!(
            violations[1].invalid.message.to_string().contains("no club"),
            "{:?}",
            violations[1]
        );

        let itself = SponsorshipDraft {
            beneficiary: Some(BeneficiaryDraft {
                kind: Some(BeneficiaryType::Organisation),
                id: Some(SPONSOR),
            }),
            ..draft()
        };
        let violations = NewSponsorship::parse(itself, ALL_EXIST).expect_err("itself");
        assert_eq!(fields(&violations), ["beneficiary.id"]);
        assert_eq!(codes(&violations), ["same_as_sponsor"]);

        let half = SponsorshipDraft {
            beneficiary: Some(BeneficiaryDraft {
                kind: None,
                id: Some(CLUB),
            }),
            ..draft()
        };
        let violations = NewSponsorship::parse(half, ALL_EXIST).expect_err("no type");
        assert_eq!(fields(&violations), ["beneficiary.type"]);
    }

    #[test]
    fn check_transition_allows_exactly_the_lifecycle_of_domain_md() {
        use SponsorshipStatus::*;
        let allowed = [
            (Proposed, Active),
            (Active, Ended),
            (Proposed, Cancelled),
            (Active, Cancelled),
        ];
        for from in SponsorshipStatus::ALL {
            for to in SponsorshipStatus::ALL {
                let legal = from == to || allowed.contains(&(from, to));
                let result = from.check_transition(to);
                assert_eq!(result.is_ok(), legal, "{from} → {to}: {result:?}");
                if let Err(detail) = result {
                    let detail = detail.to_string();
                    assert!(detail.contains(&format!("from {from} to {to}")), "names both: {detail}");
                }
            }
        }
        assert_eq!(
            Ended.check_transition(Active).map_err(|m| m.to_string()),
            Err("a sponsorship cannot go from ended to active: ended is final".to_owned())
        );
        assert_eq!(
            Proposed.check_transition(Ended).map_err(|m| m.to_string()),
            Err(
                "a sponsorship cannot go from proposed to ended: from proposed it can only become active or cancelled"
                    .to_owned()
            )
        );
    }

    #[test]
    fn enum_names_are_snake_case_and_round_trip() {
        for kind in SponsorshipKind::ALL {
            let json = serde_json::to_string(&kind).expect("serialises");
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(SponsorshipKind::try_from(kind.as_str().to_owned()), Ok(kind));
        }
        for status in SponsorshipStatus::ALL {
            let json = serde_json::to_string(&status).expect("serialises");
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(SponsorshipStatus::try_from(status.as_str().to_owned()), Ok(status));
        }
        for kind in BeneficiaryType::ALL {
            let json = serde_json::to_string(&kind).expect("serialises");
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(BeneficiaryType::try_from(kind.as_str().to_owned()), Ok(kind));
        }
        assert_eq!(serde_json::to_string(&Currency::Eur).expect("serialises"), "\"EUR\"");
        assert!(Currency::parse("eur").is_err(), "ISO 4217 codes are upper case");
    }

    proptest! {
        #[test]
        fn counterparts_cap_never_panics_when_given_any_i64(amount in any::<i64>(), counterparts in any::<i64>()) {
            for kind in SponsorshipKind::ALL {
                let ok = check_counterparts_cap(kind, amount, counterparts).is_ok();
                prop_assert!(ok || kind.is_patronage(), "commercial sponsorship is never capped");
            }
        }

        #[test]
        fn counterparts_cap_is_the_25_percent_rule_when_amounts_are_exact_in_f64(
            amount in 1i64..(1 << 50), counterparts in 0i64..(1 << 50),
        ) {
            let within = (counterparts as f64) <= (amount as f64) * 0.25;
            for kind in SponsorshipKind::ALL {
                let ok = check_counterparts_cap(kind, amount, counterparts).is_ok();
                prop_assert_eq!(ok, within || !kind.is_patronage(), "{}: {} back for {}", kind, counterparts, amount);
            }
        }
    }
}
