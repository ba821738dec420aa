//! ESUS accreditations (agrément « Entreprise solidaire d'utilité sociale », docs/domain.md A and B.2):
//! statuses and their transitions, the validity period, the department of the granting
//! prefecture, and the rule of one open accreditation per organisation.

use std::fmt;

use chrono::{Datelike, Days, Months, NaiveDate};
use uuid::Uuid;

use super::{Invalid, Violation, Violations, clean_text, missing, optional, string_enum};
use crate::domain::message::{Message, msg};

/// Longest accepted lengths, in characters (u64, as `validator` takes them).
pub const AUTHORITY_MAX: u64 = 200;
pub const DECISION_REFERENCE_MAX: u64 = 100;
pub const NOTES_MAX: u64 = 5000;

/// How long a renewal may be recorded before a granted accreditation ends.
pub const RENEWAL_WINDOW_MONTHS: u32 = 6;

string_enum! {
    /// The status of an accreditation as written: `applied` → `granted` | `refused`; `granted` →
    /// `withdrawn`. `refused` and `withdrawn` are final. A granted accreditation whose `valid_until`
    /// has passed reads as `expired` (see `EsusReadStatus`); that is never written.
    pub enum EsusStatus("ESUS status") {
        /// Applied for, not decided yet.
        Applied = "applied",
        /// Granted by the prefect, for `valid_from` to `valid_until`.
        Granted = "granted",
        /// Refused by the prefect. Final.
        Refused = "refused",
        /// Withdrawn while it was in force. Final.
        Withdrawn = "withdrawn",
    }
}

impl EsusStatus {
    /// How an accreditation with this status and end of validity reads on `today`: a granted one
    /// whose `valid_until` is before today is `expired`.
    pub fn read(self, valid_until: Option<NaiveDate>, today: NaiveDate) -> EsusReadStatus {
        match self {
            Self::Applied => EsusReadStatus::Applied,
            Self::Granted if valid_until.is_some_and(|end| end < today) => EsusReadStatus::Expired,
            Self::Granted => EsusReadStatus::Granted,
            Self::Refused => EsusReadStatus::Refused,
            Self::Withdrawn => EsusReadStatus::Withdrawn,
        }
    }
}

string_enum! {
    /// The status of an accreditation as read on a given day: `applied`, `granted` (in force),
    /// `expired` (granted, but its `valid_until` has passed), `refused` or `withdrawn`.
    pub enum EsusReadStatus("ESUS status") {
        Applied = "applied",
        Granted = "granted",
        Expired = "expired",
        Refused = "refused",
        Withdrawn = "withdrawn",
    }
}

impl EsusReadStatus {
    /// The status written in the database for an accreditation that reads so.
    pub fn stored(self) -> EsusStatus {
        match self {
            Self::Applied => EsusStatus::Applied,
            Self::Granted | Self::Expired => EsusStatus::Granted,
            Self::Refused => EsusStatus::Refused,
            Self::Withdrawn => EsusStatus::Withdrawn,
        }
    }
}

string_enum! {
    /// On what ground the accreditation is asked for: `by_right` (de plein droit, the bodies listed
    /// in L3332-17-1 II) or `conditions` (the conditions of L3332-17-1 I).
    pub enum EsusBasis("ESUS basis") {
        ByRight = "by_right",
        Conditions = "conditions",
    }
}

/// The code of a French department, where the prefect who decides sits (R3332-21-3): 01 to 19,
/// 2A and 2B (Corsica, which has had no department 20 since 1976), 21 to 95, and the overseas
/// codes 971 to 976 (975, Saint-Pierre-et-Miquelon, is a collectivity with its own prefect).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentCode(String);

impl DepartmentCode {
    /// Trims and upper-cases ("2a" → "2A"); refuses unknown codes such as 20, 96 or 977.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let code = input.trim().to_ascii_uppercase();
        if is_department(&code) {
            return Ok(Self(code));
        }
        let b = code.as_bytes();
        let well_formed = (b.len() == 2
            && b[0].is_ascii_digit()
            && (b[1].is_ascii_digit() || (b[0] == b'2' && b[1].is_ascii_uppercase())))
            || (b.len() == 3 && b.iter().all(u8::is_ascii_digit));
        if well_formed {
            let message = if code == "20" {
                msg!("esus-department-unknown-corsica", code = &code)
            } else {
                msg!("esus-department-unknown", code = &code)
            };
            return Err(Invalid::new(Invalid::UNKNOWN_CODE, message));
        }
        Err(Invalid::new(Invalid::INVALID_FORMAT, msg!("esus-department-format")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DepartmentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for DepartmentCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// 01–19, 2A, 2B, 21–95, 971–976, on an already upper-cased string.
fn is_department(code: &str) -> bool {
    let number = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| s.parse::<u16>().ok())
            .flatten()
    };
    match code.len() {
        2 if code == "2A" || code == "2B" => true,
        2 => number(code).is_some_and(|n| (1..=95).contains(&n) && n != 20),
        3 => number(code).is_some_and(|n| (971..=976).contains(&n)),
        _ => false,
    }
}

/// What the rules of an accreditation need to know besides its own fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EsusContext {
    /// The organisation's date of foundation: a young organisation is accredited for 2 years.
    pub founded_on: Option<NaiveDate>,
    /// The day the request is handled: dates of the past cannot be in the future, and a granted
    /// accreditation ends (reads as expired) after its `valid_until`.
    pub today: NaiveDate,
}

/// What a request says an accreditation should be, before any check: the body of a create, or
/// the current accreditation with a PATCH laid over it. `None` means absent or cleared.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccreditationDraft {
    pub status: Option<EsusStatus>,
    pub basis: Option<EsusBasis>,
    pub applied_on: Option<NaiveDate>,
    pub decided_on: Option<NaiveDate>,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub withdrawn_on: Option<NaiveDate>,
    pub authority: Option<String>,
    pub department_code: Option<String>,
    pub decision_reference: Option<String>,
    pub notes: Option<String>,
}

/// The period of a granted accreditation: decided on `decided_on`, in force from `valid_from`
/// to `valid_until` (both included), `valid_until` ≥ `valid_from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub decided_on: NaiveDate,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
}

/// Where an accreditation stands, with exactly the dates that status has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Applied for: no decision yet, so no decision, validity or withdrawal date.
    Pending,
    Granted(Grant),
    Refused {
        decided_on: NaiveDate,
    },
    /// Withdrawn on `withdrawn_on`, between the start and the end of its validity.
    Withdrawn {
        grant: Grant,
        withdrawn_on: NaiveDate,
    },
}

/// An accreditation whose every field and cross-field rule has been checked: the only form the
/// store accepts. Built by [`NewAccreditation::parse`].
#[derive(Debug, Clone, PartialEq)]
pub struct NewAccreditation {
    pub basis: EsusBasis,
    pub applied_on: NaiveDate,
    pub decision: Decision,
    pub authority: Option<String>,
    pub department_code: Option<DepartmentCode>,
    pub decision_reference: Option<String>,
    pub notes: Option<String>,
}

impl NewAccreditation {
    pub fn status(&self) -> EsusStatus {
        match self.decision {
            Decision::Pending => EsusStatus::Applied,
            Decision::Granted(_) => EsusStatus::Granted,
            Decision::Refused { .. } => EsusStatus::Refused,
            Decision::Withdrawn { .. } => EsusStatus::Withdrawn,
        }
    }

    pub fn decided_on(&self) -> Option<NaiveDate> {
        match self.decision {
            Decision::Pending => None,
            Decision::Granted(grant) | Decision::Withdrawn { grant, .. } => Some(grant.decided_on),
            Decision::Refused { decided_on } => Some(decided_on),
        }
    }

    fn grant(&self) -> Option<Grant> {
        match self.decision {
            Decision::Granted(grant) | Decision::Withdrawn { grant, .. } => Some(grant),
            Decision::Pending | Decision::Refused { .. } => None,
        }
    }

    pub fn valid_from(&self) -> Option<NaiveDate> {
        self.grant().map(|grant| grant.valid_from)
    }

    pub fn valid_until(&self) -> Option<NaiveDate> {
        self.grant().map(|grant| grant.valid_until)
    }

    pub fn withdrawn_on(&self) -> Option<NaiveDate> {
        match self.decision {
            Decision::Withdrawn { withdrawn_on, .. } => Some(withdrawn_on),
            _ => None,
        }
    }

    /// Checks every field of the draft, then the rules between fields and those of its status,
    /// and reports every violation at once. An omitted `valid_until` of a granted accreditation
    /// is computed (see [`default_valid_until`]).
    pub fn parse(draft: AccreditationDraft, context: &EsusContext) -> Result<Self, Vec<Violation>> {
        let today = context.today;
        let mut v = Violations::default();
        let status = v.check("status", draft.status.ok_or_else(missing));
        let basis = v.check("basis", draft.basis.ok_or_else(missing));
        let applied_on = v.check(
            "applied_on",
            draft
                .applied_on
                .ok_or_else(missing)
                .and_then(|d| past_date(d, today, "applied_on")),
        );
        let decided_on = v
            .check(
                "decided_on",
                draft.decided_on.map(|d| past_date(d, today, "decided_on")).transpose(),
            )
            .flatten();
        let valid_from = v
            .check("valid_from", draft.valid_from.map(in_range).transpose())
            .flatten();
        let valid_until = v
            .check("valid_until", draft.valid_until.map(in_range).transpose())
            .flatten();
        let withdrawn_on = v
            .check(
                "withdrawn_on",
                draft
                    .withdrawn_on
                    .map(|d| past_date(d, today, "withdrawn_on"))
                    .transpose(),
            )
            .flatten();
        let authority = v
            .check(
                "authority",
                optional(draft.authority, |s| clean_text(s, AUTHORITY_MAX as usize, "authority")),
            )
            .flatten();
        let department_code = v
            .check(
                "department_code",
                optional(draft.department_code, DepartmentCode::parse),
            )
            .flatten();
        let decision_reference = v
            .check(
                "decision_reference",
                optional(draft.decision_reference, |s| {
                    clean_text(s, DECISION_REFERENCE_MAX as usize, "decision_reference")
                }),
            )
            .flatten();
        let notes = v
            .check(
                "notes",
                optional(draft.notes, |s| clean_text(s, NOTES_MAX as usize, "notes")),
            )
            .flatten();

        // The dates each status has; the others must stay empty. Only dates that parsed are
        // compared, so a field already reported is not reported twice.
        let decision = status.and_then(|status| {
            let dates = Dates {
                status,
                applied_on,
                decided_on: (draft.decided_on, decided_on),
                valid_from: (draft.valid_from, valid_from),
                valid_until: (draft.valid_until, valid_until),
                withdrawn_on: (draft.withdrawn_on, withdrawn_on),
                founded_on: context.founded_on,
            };
            dates.decision(&mut v)
        });

        match (basis, applied_on, decision) {
            (Some(basis), Some(applied_on), Some(decision)) if v.is_empty() => Ok(Self {
                basis,
                applied_on,
                decision,
                authority,
                department_code,
                decision_reference,
                notes,
            }),
            _ => Err(v.into_vec()),
        }
    }
}

/// The dates of a draft for the rules of its status: each optional one as sent (to know whether
/// it was given) and as checked (`None` when it failed its own check).
struct Dates {
    status: EsusStatus,
    applied_on: Option<NaiveDate>,
    decided_on: (Option<NaiveDate>, Option<NaiveDate>),
    valid_from: (Option<NaiveDate>, Option<NaiveDate>),
    valid_until: (Option<NaiveDate>, Option<NaiveDate>),
    withdrawn_on: (Option<NaiveDate>, Option<NaiveDate>),
    founded_on: Option<NaiveDate>,
}

impl Dates {
    /// The decision these dates describe, or `None` after recording in `v` why they do not fit.
    fn decision(&self, v: &mut Violations) -> Option<Decision> {
        let status = self.status;
        let decided = matches!(
            status,
            EsusStatus::Granted | EsusStatus::Refused | EsusStatus::Withdrawn
        );
        let granted = matches!(status, EsusStatus::Granted | EsusStatus::Withdrawn);
        let withdrawn = status == EsusStatus::Withdrawn;
        let mut problems: Vec<(&'static str, Invalid)> = Vec::new();

        // Each date belongs to some statuses: required there, refused elsewhere.
        let dates = [
            ("decided_on", self.decided_on.0, decided, msg!("esus-holder-decided")),
            ("valid_from", self.valid_from.0, granted, msg!("esus-holder-granted")),
            ("valid_until", self.valid_until.0, granted, msg!("esus-holder-granted")),
            (
                "withdrawn_on",
                self.withdrawn_on.0,
                withdrawn,
                msg!("esus-holder-withdrawn"),
            ),
        ];
        for (field, sent, belongs, holder) in dates {
            let message = match (belongs, sent) {
                // valid_until is the one date a granted accreditation may omit: it is computed.
                (true, None) if field != "valid_until" => Invalid::new(
                    "required",
                    msg!("esus-date-required", field = field, status = status.as_str()),
                ),
                (false, Some(_)) => Invalid::new(
                    "not_allowed",
                    msg!(
                        "esus-date-not-allowed",
                        field = field,
                        holder = holder,
                        status = status.as_str()
                    ),
                ),
                _ => continue,
            };
            problems.push((field, message));
        }

        let mismatch = |message: Message| Invalid::new(Invalid::MISMATCH, message);
        if let (true, Some(applied_on), Some(decided_on)) = (decided, self.applied_on, self.decided_on.1)
            && decided_on < applied_on
        {
            problems.push((
                "decided_on",
                mismatch(msg!(
                    "esus-decided-before-applied",
                    decided_on = decided_on,
                    applied_on = applied_on
                )),
            ));
        }
        let valid_until = match (granted, self.valid_from.1, self.valid_until) {
            (true, Some(from), (None, _)) => {
                let end = default_valid_until(from, self.applied_on.unwrap_or(from), self.founded_on);
                if end.is_none() {
                    problems.push((
                        "valid_from",
                        mismatch(msg!("esus-valid-from-too-late", valid_from = from)),
                    ));
                }
                end
            }
            (true, Some(from), (Some(_), Some(until))) if until < from => {
                problems.push((
                    "valid_until",
                    mismatch(msg!(
                        "esus-valid-until-before-valid-from",
                        valid_until = until,
                        valid_from = from
                    )),
                ));
                None
            }
            (_, _, (_, until)) => until,
        };
        if let (true, Some(from), Some(withdrawn_on)) = (withdrawn, self.valid_from.1, self.withdrawn_on.1) {
            if withdrawn_on < from {
                problems.push((
                    "withdrawn_on",
                    mismatch(msg!(
                        "esus-withdrawn-before-valid-from",
                        withdrawn_on = withdrawn_on,
                        valid_from = from
                    )),
                ));
            } else if let Some(until) = valid_until
                && withdrawn_on > until
            {
                problems.push((
                    "withdrawn_on",
                    mismatch(msg!(
                        "esus-withdrawn-after-valid-until",
                        withdrawn_on = withdrawn_on,
                        valid_until = until
                    )),
                ));
            }
        }
        if !problems.is_empty() {
            for (field, invalid) in problems {
                v.refuse(field, invalid);
            }
            return None;
        }

        let grant = match (self.decided_on.1, self.valid_from.1, valid_until) {
            (Some(decided_on), Some(valid_from), Some(valid_until)) => Some(Grant {
                decided_on,
                valid_from,
                valid_until,
            }),
            _ => None,
        };
        // A date that failed its own check (already reported) leaves the decision unbuilt.
        match status {
            EsusStatus::Applied => Some(Decision::Pending),
            EsusStatus::Granted => grant.map(Decision::Granted),
            EsusStatus::Refused => self.decided_on.1.map(|decided_on| Decision::Refused { decided_on }),
            EsusStatus::Withdrawn => grant
                .zip(self.withdrawn_on.1)
                .map(|(grant, withdrawn_on)| Decision::Withdrawn { grant, withdrawn_on }),
        }
    }
}

/// The end of validity when none is given (R3332-21-3, docs/domain.md B.2.2): 5 years, or 2 years
/// when the organisation was founded less than 3 years before it applied; the period starts on
/// `valid_from` and ends the day before the anniversary. Years are added as months, so that an
/// anniversary that does not exist falls on the last day of its month (code de procédure civile,
/// art. 641): from 29 February 2024, the fifth anniversary is 28 February 2029 and the validity
/// ends on 27 February 2029. `None` only past the last representable date.
pub fn default_valid_until(
    valid_from: NaiveDate,
    applied_on: NaiveDate,
    founded_on: Option<NaiveDate>,
) -> Option<NaiveDate> {
    let young = founded_on.is_some_and(|founded| {
        founded
            .checked_add_months(Months::new(36))
            .is_none_or(|third_anniversary| third_anniversary > applied_on)
    });
    let years = if young { 2 } else { 5 };
    valid_from
        .checked_add_months(Months::new(12 * years))?
        .checked_sub_days(Days::new(1))
}

/// A date between 1900 and 2999: anything else is a typing mistake.
fn in_range(date: NaiveDate) -> Result<NaiveDate, Invalid> {
    if (1900..=2999).contains(&date.year()) {
        Ok(date)
    } else {
        Err(Invalid::new(
            "out_of_range",
            msg!("esus-date-out-of-range", date = date),
        ))
    }
}

/// A date of something that has happened: not after `today`.
fn past_date(date: NaiveDate, today: NaiveDate, field: &str) -> Result<NaiveDate, Invalid> {
    let date = in_range(date)?;
    if date > today {
        return Err(Invalid::new(
            "in_future",
            msg!("esus-date-in-future", field = field, date = date),
        ));
    }
    Ok(date)
}

/// A status change that the lifecycle does not allow (a 409, not a 422: it depends on the
/// stored status, not on the request alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: EsusReadStatus,
    pub to: EsusStatus,
}

impl IllegalTransition {
    /// What is refused and why, for the answer (409).
    pub fn message(&self) -> Message {
        let why = match self.from {
            EsusReadStatus::Refused => msg!("esus-transition-from-refused"),
            EsusReadStatus::Withdrawn => msg!("esus-transition-from-withdrawn"),
            EsusReadStatus::Expired => msg!("esus-transition-from-expired"),
            EsusReadStatus::Applied => msg!("esus-transition-from-applied"),
            EsusReadStatus::Granted => msg!("esus-transition-from-granted"),
        };
        msg!(
            "esus-transition-illegal",
            from = self.from.as_str(),
            to = self.to.as_str(),
            why = why
        )
    }
}

/// In English: [`IllegalTransition::message`] is the answer's.
impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.message(), f)
    }
}

impl std::error::Error for IllegalTransition {}

/// Whether an accreditation that reads `from` today may be set to `to`: applied → granted |
/// refused, granted (in force) → withdrawn. Setting the status it already has is no change.
pub fn check_transition(from: EsusReadStatus, to: EsusStatus) -> Result<(), IllegalTransition> {
    if from.stored() == to {
        return Ok(());
    }
    match (from, to) {
        (EsusReadStatus::Applied, EsusStatus::Granted | EsusStatus::Refused)
        | (EsusReadStatus::Granted, EsusStatus::Withdrawn) => Ok(()),
        _ => Err(IllegalTransition { from, to }),
    }
}

/// The parts of an accreditation that say whether it is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenAccreditation {
    pub id: Uuid,
    pub status: EsusStatus,
    pub applied_on: NaiveDate,
    pub valid_until: Option<NaiveDate>,
}

/// Open: applied, or granted and in force on `today` (`valid_until` ≥ today).
pub fn is_open(status: EsusStatus, valid_until: Option<NaiveDate>, today: NaiveDate) -> bool {
    match status {
        EsusStatus::Applied => true,
        EsusStatus::Granted => valid_until.is_some_and(|end| end >= today),
        EsusStatus::Refused | EsusStatus::Withdrawn => false,
    }
}

/// Granted and ending within the renewal window: `valid_until` ≤ today + 6 months.
pub fn in_renewal_window(status: EsusStatus, valid_until: Option<NaiveDate>, today: NaiveDate) -> bool {
    let limit = today.checked_add_months(Months::new(RENEWAL_WINDOW_MONTHS));
    status == EsusStatus::Granted && valid_until.zip(limit).is_some_and(|(end, limit)| end <= limit)
}

/// A second open accreditation: names the one already open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenAccreditationConflict {
    pub open: OpenAccreditation,
}

impl OpenAccreditationConflict {
    /// The accreditation already open and when a new one can be recorded, for the answer (409).
    pub fn message(&self) -> Message {
        let open = &self.open;
        let state = match (open.status, open.valid_until) {
            (EsusStatus::Granted, Some(end)) => msg!("esus-open-state-in-force", valid_until = end),
            (status, _) => msg!(
                "esus-open-state-since",
                status = status.as_str(),
                applied_on = open.applied_on
            ),
        };
        msg!(
            "esus-open-conflict",
            id = open.id,
            state = state,
            months = RENEWAL_WINDOW_MONTHS
        )
    }
}

/// In English: [`OpenAccreditationConflict::message`] is the answer's.
impl fmt::Display for OpenAccreditationConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.message(), f)
    }
}

impl std::error::Error for OpenAccreditationConflict {}

/// Whether a new open accreditation may be recorded beside the organisation's `others` that are
/// open today: only when there is none, or when the only one is granted and ends within the
/// renewal window.
pub fn check_new_open(others: &[OpenAccreditation], today: NaiveDate) -> Result<(), OpenAccreditationConflict> {
    match others {
        [] => Ok(()),
        [only] if in_renewal_window(only.status, only.valid_until, today) => Ok(()),
        _ => Err(blocking(others, today)),
    }
}

/// Whether an accreditation that is open after a change may stay open beside the organisation's
/// `others` that are open today. Two may be open together only as a renewal: one of them granted
/// and ending within the renewal window. So a renewal can be granted, and either of the pair
/// edited, but an end of validity cannot be pushed back beyond the window while a renewal is open.
pub fn check_still_open(
    changed: &OpenAccreditation,
    others: &[OpenAccreditation],
    today: NaiveDate,
) -> Result<(), OpenAccreditationConflict> {
    let renewing = |a: &OpenAccreditation| in_renewal_window(a.status, a.valid_until, today);
    match others {
        [] => Ok(()),
        [only] if renewing(only) || renewing(changed) => Ok(()),
        _ => Err(blocking(others, today)),
    }
}

/// The open accreditation to name in a conflict: the first that is not a renewal's predecessor.
fn blocking(others: &[OpenAccreditation], today: NaiveDate) -> OpenAccreditationConflict {
    let open = others
        .iter()
        .find(|a| !in_renewal_window(a.status, a.valid_until, today))
        .or(others.first())
        .copied()
        .unwrap_or(OpenAccreditation {
            id: Uuid::nil(),
            status: EsusStatus::Applied,
            applied_on: today,
            valid_until: None,
        });
    OpenAccreditationConflict { open }
}

/// What an organisation shows of its ESUS history: the status (expired derived) and end of
/// validity of its latest accreditation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EsusSummary {
    pub status: EsusReadStatus,
    pub valid_until: Option<NaiveDate>,
}

impl EsusSummary {
    /// The summary as read on `today` from the stored status and end of validity (none without
    /// an accreditation).
    pub fn read(status: Option<EsusStatus>, valid_until: Option<NaiveDate>, today: NaiveDate) -> Option<Self> {
        status.map(|status| Self {
            status: status.read(valid_until, today),
            valid_until,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::test_support::any_text;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a valid test date")
    }

    fn today() -> NaiveDate {
        date(2026, 11, 26)
    }

    fn context(founded_on: Option<NaiveDate>) -> EsusContext {
        EsusContext {
            founded_on,
            today: today(),
        }
    }

    fn applied() -> AccreditationDraft {
        AccreditationDraft {
            status: Some(EsusStatus::Applied),
            basis: Some(EsusBasis::Conditions),
            applied_on: Some(date(2024, 1, 15)),
            ..AccreditationDraft::default()
        }
    }

    fn granted() -> AccreditationDraft {
        AccreditationDraft {
            status: Some(EsusStatus::Granted),
            decided_on: Some(date(2024, 2, 29)),
            valid_from: Some(date(2024, 3, 1)),
            ..applied()
        }
    }

    fn failures(draft: AccreditationDraft, founded_on: Option<NaiveDate>) -> Vec<(&'static str, &'static str)> {
        let violations = NewAccreditation::parse(draft, &context(founded_on)).expect_err("the draft is invalid");
        let name = |field: &std::borrow::Cow<'static, str>| match field {
            std::borrow::Cow::Borrowed(name) => *name,
            std::borrow::Cow::Owned(path) => panic!("accreditation fields are plain names, not {path}"),
        };
        violations.iter().map(|v| (name(&v.field), v.invalid.code)).collect()
    }

    #[test]
    fn department_code_parse_accepts_every_department_and_normalises_case() {
        let mut accepted = Vec::new();
        for first in "0123456789AB".chars() {
            for second in "0123456789AB".chars() {
                let code = format!("{first}{second}");
                if DepartmentCode::parse(&code).is_ok() {
                    accepted.push(code);
                }
            }
        }
        for n in 900..1000 {
            if DepartmentCode::parse(&n.to_string()).is_ok() {
                accepted.push(n.to_string());
            }
        }
        assert_eq!(
            accepted.len(),
            19 + 2 + 75 + 6,
            "01–19, 2A, 2B, 21–95, 971–976: {accepted:?}"
        );
        for (input, code) in [
            ("34", "34"),
            (" 2a ", "2A"),
            ("2B", "2B"),
            ("01", "01"),
            ("95", "95"),
            ("971", "971"),
            ("976", "976"),
        ] {
            assert_eq!(
                DepartmentCode::parse(input).map(|c| c.to_string()),
                Ok(code.to_owned()),
                "{input:?}"
            );
        }
    }

    #[test]
    fn department_code_parse_refuses_unknown_and_malformed_codes() {
        for (input, code, why) in [
            ("20", Invalid::UNKNOWN_CODE, "Corsica is 2A/2B since 1976"),
            ("00", Invalid::UNKNOWN_CODE, "no department 00"),
            ("96", Invalid::UNKNOWN_CODE, "no department 96"),
            ("99", Invalid::UNKNOWN_CODE, "no department 99"),
            ("970", Invalid::UNKNOWN_CODE, "below 971"),
            ("977", Invalid::UNKNOWN_CODE, "Saint-Barthélemy has no department code"),
            ("2C", Invalid::UNKNOWN_CODE, "only 2A and 2B"),
            ("3", Invalid::INVALID_FORMAT, "one digit: write 03"),
            ("34000", Invalid::INVALID_FORMAT, "a postal code"),
            ("", Invalid::INVALID_FORMAT, "empty"),
            ("３４", Invalid::INVALID_FORMAT, "full-width digits"),
            ("Hérault", Invalid::INVALID_FORMAT, "a name"),
        ] {
            let err = DepartmentCode::parse(input).expect_err(why);
            assert_eq!(err.code, code, "{why}: {input:?}");
        }
        let corsica = DepartmentCode::parse("20").expect_err("20");
        assert!(corsica.message.to_string().contains("2A or 2B"), "{}", corsica.message);
    }

    #[test]
    fn default_valid_until_is_five_years_less_a_day() {
        assert_eq!(
            default_valid_until(date(2024, 3, 1), date(2024, 1, 15), None),
            Some(date(2029, 2, 28))
        );
        assert_eq!(
            default_valid_until(date(2025, 7, 1), date(2025, 1, 15), Some(date(1990, 5, 4))),
            Some(date(2030, 6, 30))
        );
    }

    #[test]
    fn default_valid_until_is_two_years_when_founded_less_than_three_years_before_applying() {
        let applied_on = date(2024, 3, 1);
        assert_eq!(
            default_valid_until(date(2024, 6, 1), applied_on, Some(date(2021, 3, 2))),
            Some(date(2026, 5, 31)),
            "founded 2 years and 364 days before"
        );
        assert_eq!(
            default_valid_until(date(2024, 6, 1), applied_on, Some(date(2021, 3, 1))),
            Some(date(2029, 5, 31)),
            "founded exactly 3 years before: not less than 3 years"
        );
    }

    #[test]
    fn default_valid_until_ends_the_day_before_the_28_february_anniversary_when_starting_on_a_leap_day() {
        assert_eq!(
            default_valid_until(date(2024, 2, 29), date(2024, 1, 10), None),
            Some(date(2029, 2, 27))
        );
        assert_eq!(
            default_valid_until(date(2024, 2, 29), date(2024, 1, 10), Some(date(2023, 1, 1))),
            Some(date(2026, 2, 27))
        );
        assert_eq!(
            default_valid_until(date(2024, 2, 28), date(2024, 1, 10), None),
            Some(date(2029, 2, 27))
        );
        assert_eq!(
            default_valid_until(date(2024, 3, 1), date(2024, 1, 10), None),
            Some(date(2029, 2, 28))
        );
    }

    #[test]
    fn parse_accepts_an_application_with_trimmed_texts() {
        let draft = AccreditationDraft {
            authority: Some("  Préfecture de l'Hérault ".into()),
            department_code: Some("34".into()),
            ..applied()
        };
        let new = NewAccreditation::parse(draft, &context(None)).expect("valid");
        assert_eq!(new.status(), EsusStatus::Applied);
        assert_eq!(new.decision, Decision::Pending);
        assert_eq!(new.authority.as_deref(), Some("Préfecture de l'Hérault"));
        assert_eq!(new.department_code.map(|c| c.to_string()).as_deref(), Some("34"));
    }

    #[test]
    fn parse_computes_the_default_validity_of_a_granted_accreditation() {
        let new = NewAccreditation::parse(granted(), &context(None)).expect("valid");
        assert_eq!(new.valid_until(), Some(date(2029, 2, 28)));
        let young = NewAccreditation::parse(granted(), &context(Some(date(2022, 9, 1)))).expect("valid");
        assert_eq!(
            young.valid_until(),
            Some(date(2026, 2, 28)),
            "founded 16 months before applying"
        );
        let explicit = AccreditationDraft {
            valid_until: Some(date(2027, 12, 31)),
            ..granted()
        };
        let new = NewAccreditation::parse(explicit, &context(None)).expect("valid");
        assert_eq!(new.valid_until(), Some(date(2027, 12, 31)), "an explicit end is kept");
    }

    #[test]
    fn parse_requires_decided_on_and_valid_from_when_granted() {
        let draft = AccreditationDraft {
            decided_on: None,
            valid_from: None,
            ..granted()
        };
        assert_eq!(
            failures(draft, None),
            [("decided_on", "required"), ("valid_from", "required")]
        );
    }

    #[test]
    fn parse_requires_decided_on_when_refused_and_withdrawn_on_when_withdrawn() {
        let refused = AccreditationDraft {
            status: Some(EsusStatus::Refused),
            ..applied()
        };
        assert_eq!(failures(refused, None), [("decided_on", "required")]);
        let withdrawn = AccreditationDraft {
            status: Some(EsusStatus::Withdrawn),
            ..granted()
        };
        assert_eq!(failures(withdrawn, None), [("withdrawn_on", "required")]);
    }

    #[test]
    fn parse_refuses_dates_out_of_order() {
        let early_decision = AccreditationDraft {
            decided_on: Some(date(2024, 1, 14)),
            ..granted()
        };
        assert_eq!(failures(early_decision, None), [("decided_on", "mismatch")]);
        let backwards = AccreditationDraft {
            valid_until: Some(date(2024, 2, 29)),
            ..granted()
        };
        assert_eq!(failures(backwards, None), [("valid_until", "mismatch")]);
        let withdrawn_early = AccreditationDraft {
            status: Some(EsusStatus::Withdrawn),
            withdrawn_on: Some(date(2024, 2, 29)),
            ..granted()
        };
        assert_eq!(failures(withdrawn_early, None), [("withdrawn_on", "mismatch")]);
        let withdrawn_late = AccreditationDraft {
            status: Some(EsusStatus::Withdrawn),
            valid_until: Some(date(2024, 12, 31)),
            withdrawn_on: Some(date(2025, 1, 1)),
            ..granted()
        };
        assert_eq!(failures(withdrawn_late, None), [("withdrawn_on", "mismatch")]);
        let same_day = AccreditationDraft {
            status: Some(EsusStatus::Withdrawn),
            valid_until: Some(date(2024, 3, 1)),
            withdrawn_on: Some(date(2024, 3, 1)),
            ..granted()
        };
        assert!(
            NewAccreditation::parse(same_day, &context(None)).is_ok(),
            "bounds are included"
        );
    }

    #[test]
    fn parse_refuses_dates_the_status_does_not_have() {
        let applied_with_dates = AccreditationDraft {
            decided_on: Some(date(2024, 2, 1)),
            valid_from: Some(date(2024, 2, 1)),
            withdrawn_on: Some(date(2024, 3, 1)),
            ..applied()
        };
        assert_eq!(
            failures(applied_with_dates, None),
            [
                ("decided_on", "not_allowed"),
                ("valid_from", "not_allowed"),
                ("withdrawn_on", "not_allowed")
            ]
        );
        let refused_with_validity = AccreditationDraft {
            status: Some(EsusStatus::Refused),
            valid_until: Some(date(2029, 1, 1)),
            ..granted()
        };
        assert_eq!(
            failures(refused_with_validity, None),
            [("valid_from", "not_allowed"), ("valid_until", "not_allowed")]
        );
    }

    #[test]
    fn parse_reports_every_violation_when_several_fields_fail() {
        let draft = AccreditationDraft {
            status: Some(EsusStatus::Granted),
            basis: None,
            applied_on: Some(date(2027, 1, 1)),
            department_code: Some("20".into()),
            authority: Some("x".repeat(201)),
            decision_reference: Some("   ".into()),
            notes: Some("n".repeat(5001)),
            ..AccreditationDraft::default()
        };
        let mut fields: Vec<&str> = failures(draft, None).into_iter().map(|(field, _)| field).collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "applied_on",
                "authority",
                "basis",
                "decided_on",
                "decision_reference",
                "department_code",
                "notes",
                "valid_from"
            ]
        );
    }

    #[test]
    fn parse_refuses_future_and_absurd_dates() {
        let future = AccreditationDraft {
            applied_on: Some(date(2026, 11, 27)),
            ..applied()
        };
        assert_eq!(failures(future, None), [("applied_on", "in_future")]);
        let absurd = AccreditationDraft {
            valid_from: Some(date(3024, 3, 1)),
            ..granted()
        };
        assert_eq!(failures(absurd, None), [("valid_from", "out_of_range")]);
        let today_is_fine = AccreditationDraft {
            applied_on: Some(today()),
            ..applied()
        };
        assert!(NewAccreditation::parse(today_is_fine, &context(None)).is_ok());
    }

    #[test]
    fn read_status_is_expired_when_granted_and_past_its_end() {
        let t = today();
        assert_eq!(
            EsusStatus::Granted.read(Some(t), t),
            EsusReadStatus::Granted,
            "in force on its last day"
        );
        assert_eq!(EsusStatus::Granted.read(t.pred_opt(), t), EsusReadStatus::Expired);
        assert_eq!(EsusStatus::Withdrawn.read(t.pred_opt(), t), EsusReadStatus::Withdrawn);
        assert_eq!(EsusStatus::Applied.read(None, t), EsusReadStatus::Applied);
        assert_eq!(EsusReadStatus::Expired.stored(), EsusStatus::Granted);
    }

    #[test]
    fn check_transition_allows_only_the_lifecycle() {
        use EsusReadStatus as R;
        use EsusStatus as S;
        let allowed = [
            (R::Applied, S::Granted),
            (R::Applied, S::Refused),
            (R::Granted, S::Withdrawn),
        ];
        for from in [R::Applied, R::Granted, R::Expired, R::Refused, R::Withdrawn] {
            for to in EsusStatus::ALL {
                let expected = from.stored() == to || allowed.contains(&(from, to));
                assert_eq!(check_transition(from, to).is_ok(), expected, "{from} → {to}");
            }
        }
    }

    #[test]
    fn illegal_transition_names_both_statuses_and_why() {
        let refused = IllegalTransition {
            from: EsusReadStatus::Refused,
            to: EsusStatus::Granted,
        };
        assert_eq!(
            refused.to_string(),
            "an accreditation that is refused cannot become granted; refused is final"
        );
        let expired = check_transition(EsusReadStatus::Expired, EsusStatus::Withdrawn).expect_err("ended");
        assert_eq!(
            expired.to_string(),
            "an accreditation that is expired cannot become withdrawn; it has ended; record a new application to renew it"
        );
    }

    fn open(status: EsusStatus, valid_until: Option<NaiveDate>) -> OpenAccreditation {
        OpenAccreditation {
            id: Uuid::now_v7(),
            status,
            applied_on: date(2024, 1, 15),
            valid_until,
        }
    }

    #[test]
    fn is_open_when_applied_or_in_force() {
        let t = today();
        assert!(is_open(EsusStatus::Applied, None, t));
        assert!(is_open(EsusStatus::Granted, Some(t), t));
        assert!(!is_open(EsusStatus::Granted, t.pred_opt(), t));
        assert!(!is_open(EsusStatus::Refused, None, t));
        assert!(!is_open(EsusStatus::Withdrawn, Some(date(2030, 1, 1)), t));
    }

    #[test]
    fn check_new_open_allows_a_renewal_within_six_months_of_the_end_only() {
        let t = today();
        assert_eq!(check_new_open(&[], t), Ok(()));
        let ending_in_six_months = open(EsusStatus::Granted, Some(date(2027, 5, 26)));
        assert_eq!(check_new_open(&[ending_in_six_months], t), Ok(()));
        let ending_later = open(EsusStatus::Granted, Some(date(2027, 5, 27)));
        assert_eq!(
            check_new_open(&[ending_later], t).map_err(|c| c.open),
            Err(ending_later)
        );
        let application = open(EsusStatus::Applied, None);
        assert_eq!(check_new_open(&[application], t).map_err(|c| c.open), Err(application));
        assert_eq!(
            check_new_open(&[ending_in_six_months, application], t).map_err(|c| c.open),
            Err(application),
            "a renewal is already open: the conflict names it"
        );
    }

    #[test]
    fn check_still_open_allows_either_of_a_renewal_pair_to_change() {
        let t = today();
        let ending = open(EsusStatus::Granted, Some(date(2027, 1, 31)));
        let renewal = open(EsusStatus::Applied, None);
        assert_eq!(check_still_open(&renewal, &[ending], t), Ok(()));
        assert_eq!(check_still_open(&ending, &[renewal], t), Ok(()));
        let pushed_back = OpenAccreditation {
            valid_until: Some(date(2030, 1, 31)),
            ..ending
        };
        assert_eq!(
            check_still_open(&pushed_back, &[renewal], t).map_err(|c| c.open),
            Err(renewal)
        );
    }

    #[test]
    fn open_conflict_names_the_open_accreditation_and_its_status() {
        let granted = open(EsusStatus::Granted, Some(date(2029, 2, 27)));
        let message = OpenAccreditationConflict { open: granted }.to_string();
        assert!(message.contains(&granted.id.to_string()), "{message}");
        assert!(message.contains("granted, in force until 2029-02-27"), "{message}");
        let applied = open(EsusStatus::Applied, None);
        let message = OpenAccreditationConflict { open: applied }.to_string();
        assert!(message.contains("applied on 2024-01-15"), "{message}");
    }

    #[test]
    fn summary_reads_expired_from_a_stored_granted() {
        let t = today();
        assert_eq!(EsusSummary::read(None, None, t), None);
        let summary = EsusSummary::read(Some(EsusStatus::Granted), t.pred_opt(), t).expect("a summary");
        assert_eq!(summary.status, EsusReadStatus::Expired);
    }

    #[test]
    fn statuses_and_bases_serialise_in_snake_case() {
        for status in EsusStatus::ALL {
            let json = serde_json::to_string(&status).expect("serialises");
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(EsusStatus::try_from(status.as_str().to_owned()), Ok(status));
        }
        for basis in EsusBasis::ALL {
            let json = serde_json::to_string(&basis).expect("serialises");
            assert_eq!(json, format!("\"{}\"", basis.as_str()));
            assert_eq!(EsusBasis::try_from(basis.as_str().to_owned()), Ok(basis));
        }
        assert_eq!(
            serde_json::to_string(&EsusReadStatus::Expired).expect("serialises"),
            "\"expired\""
        );
        assert!(
            serde_json::from_str::<EsusStatus>("\"expired\"").is_err(),
            "expired is never written"
        );
    }

    proptest! {
        #[test]
        fn department_code_parse_never_panics_and_round_trips(input in any_text()) {
            if let Ok(code) = DepartmentCode::parse(&input) {
                prop_assert_eq!(DepartmentCode::parse(code.as_str()), Ok(code.clone()));
                prop_assert!(code.as_str().len() == 2 || code.as_str().len() == 3);
            }
        }

        #[test]
        fn default_valid_until_falls_within_the_period(
            days in 0u64..20_000,
            founded_days_before in proptest::option::of(0u64..3_000),
        ) {
            let valid_from = date(2001, 1, 1) + Days::new(days);
            let applied_on = valid_from - Days::new(30);
            let founded_on = founded_days_before.map(|d| applied_on - Days::new(d));
            let end = default_valid_until(valid_from, applied_on, founded_on).expect("representable");
            let span = (end - valid_from).num_days() + 1;
            prop_assert!((730..=731).contains(&span) || (1826..=1827).contains(&span), "{} days from {} to {}", span, valid_from, end);
        }
    }
}
