//! Events (meetings, conferences, webinars, trainings), their organisers and themes, and the rules of docs/domain.md A "Events".

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::codes::RegionCodeSchema;
use super::json;
use super::organisation::{CITY_MAX, STREET_MAX};
use super::stored::stored_text;
use super::text::search_key;
use super::{
    CommuneCode, Invalid, PostalCode, RegionCode, Violation, Violations, WebsiteUrl, clean_text, missing, optional,
    string_enum,
};
use crate::domain::message::{Arg, Message, msg};

/// Longest accepted lengths and counts.
pub const TITLE_MAX: u64 = 200;
pub const DESCRIPTION_MAX: u64 = 5000;
pub const VENUE_MAX: u64 = 200;
pub const THEME_MAX_CHARS: usize = 50;
pub const THEMES_MAX: usize = 20;
/// Bounds the `in (…)` lists the store builds from them; no real event has more.
pub const ORGANISERS_MAX: usize = 50;
/// The zone of an event that names none: the register serves French regions, mostly metropolitan.
pub const DEFAULT_TIME_ZONE: &str = "Europe/Paris";

string_enum! {
    /// What kind of event this is: `meeting`, `conference`, `webinar`, `training` or `other`.
    pub enum EventKind("event kind") {
        Meeting = "meeting",
        Conference = "conference",
        Webinar = "webinar",
        Training = "training",
        Other = "other",
    }
}

string_enum! {
    /// Where an event stands: `draft` (the default, not announced yet), `published` or `cancelled`.
    /// Allowed changes: `draft` → `published` → `cancelled`, and `draft` → `cancelled`; any other
    /// change is a 409 `illegal_transition`.
    pub enum EventStatus("event status") {
        Draft = "draft",
        Published = "published",
        Cancelled = "cancelled",
    }
}

impl EventStatus {
    /// The statuses an event in this status may change to (staying as it is is always allowed).
    pub fn next(self) -> &'static [EventStatus] {
        match self {
            EventStatus::Draft => &[EventStatus::Published, EventStatus::Cancelled],
            EventStatus::Published => &[EventStatus::Cancelled],
            EventStatus::Cancelled => &[],
        }
    }

    /// Whether an event in this status may be set to `to`.
    pub fn may_become(self, to: EventStatus) -> bool {
        self == to || self.next().contains(&to)
    }

    /// Why the change to `to` is refused, naming both statuses, or `None` when it is allowed.
    pub fn refusal(self, to: EventStatus) -> Option<Message> {
        if self.may_become(to) {
            return None;
        }
        let allowed = match self.next() {
            [] => msg!("event-status-final", status = self.as_str()),
            [first, rest @ ..] => {
                let choices = rest.iter().fold(Arg::from(first.as_str()), |left, right| {
                    Arg::from(msg!("event-status-or", left = left, right = right.as_str()))
                });
                msg!("event-status-next", status = self.as_str(), choices = choices)
            }
        };
        Some(msg!(
            "event-status-refused",
            from = self.as_str(),
            to = to.as_str(),
            allowed = allowed
        ))
    }
}

string_enum! {
    /// How an organisation takes part in an event: `organiser`, `co_organiser` or `partner`.
    #[derive(PartialOrd, Ord)]
    pub enum OrganiserRole("organiser role") {
        Organiser = "organiser",
        CoOrganiser = "co_organiser",
        Partner = "partner",
    }
}

/// An IANA time zone name (`Europe/Paris`, `America/Cayenne`, `Indian/Reunion`…), as the tz
/// database that chrono-tz embeds knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    /// Names are case-sensitive, as in the tz database.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let name = input.trim();
        chrono_tz::Tz::from_str(name).map(Self).map_err(|_| {
            Invalid::new(
                Invalid::UNKNOWN_CODE,
                msg!("event-time-zone-unknown", name = format!("{name:?}")),
            )
        })
    }

    /// `Europe/Paris`.
    pub fn default_zone() -> Self {
        Self(chrono_tz::Europe::Paris)
    }

    pub fn as_str(&self) -> &'static str {
        self.0.name()
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }
}

/// A theme an event is tagged with: a lowercase slug of letters, digits and single hyphens, at
/// most 50 characters, e.g. `mois-de-l-ess`. Uppercase letters are lowered.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Theme(String);

impl Theme {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let theme = input.trim().to_ascii_lowercase();
        if theme.is_empty() {
            return Err(Invalid::new(Invalid::BLANK, msg!("event-theme-blank")));
        }
        let length = theme.chars().count();
        if length > THEME_MAX_CHARS {
            return Err(Invalid::new(
                Invalid::TOO_LONG,
                msg!("event-theme-too-long", max = THEME_MAX_CHARS, length = length),
            ));
        }
        let well_formed = theme
            .split('-')
            .all(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        if !well_formed {
            return Err(Invalid::new(
                Invalid::INVALID_FORMAT,
                msg!("event-theme-format", theme = format!("{theme:?}")),
            ));
        }
        Ok(Self(theme))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Theme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An instant given as RFC 3339 with an offset (`2026-09-19T09:30:00+02:00`), as stored: in
/// UTC, truncated to microseconds (what PostgreSQL keeps). Years 1900 to 2999 only, so that
/// stored times keep one text form and order on SQLite.
pub fn parse_instant(input: &str, field_label: &str) -> Result<DateTime<Utc>, Invalid> {
    let at = DateTime::parse_from_rfc3339(input.trim()).map_err(|_| {
        Invalid::new(
            Invalid::INVALID_FORMAT,
            msg!("event-instant-format", field = field_label),
        )
    })?;
    let at = at.with_timezone(&Utc).trunc_subsecs(6);
    if !(1900..=2999).contains(&at.year()) {
        return Err(Invalid::new(
            "out_of_range",
            msg!("event-instant-out-of-range", field = field_label),
        ));
    }
    Ok(at)
}

/// An instant as the API writes it: RFC 3339 in UTC with `Z`.
pub fn format_instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// An organisation taking part in an event: an existing organisation and its role.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OrganiserRequest, example = json!({"organisation_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11", "role": "organiser"}))]
pub struct OrganiserDraft {
    /// The id of an existing organisation, listed once per event.
    #[schema(required = true, value_type = Uuid)]
    #[serde(default)]
    pub organisation_id: Option<Uuid>,
    #[schema(required = true, value_type = OrganiserRole)]
    #[serde(default)]
    pub role: Option<OrganiserRole>,
}

/// An organisation taking part in an event, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Organiser {
    pub organisation_id: Uuid,
    pub role: OrganiserRole,
}

// What a request says an event should be, before any check: the body of a creation, which is
// also what a PATCH makes of the current event (`http::patch`). `None` means absent or null.
/// A new event. `title`, `kind`, `starts_at` and `ends_at` are required; an event held in
/// person (`online` false, the default) needs `city` and `region_code`, an online one
/// `online_url`. Send `null` or leave out a field to leave it empty. Spaces around values are
/// trimmed.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateEventRequest, example = json!({
    "title": "Le Mois de l'ESS : l'ESS et le mutualisme expliqués aux jeunes",
    "kind": "conference",
    "status": "published",
    "starts_at": "2026-11-18T14:00:00+01:00",
    "ends_at": "2026-11-18T17:30:00+01:00",
    "online": false,
    "city": "Montpellier",
    "postal_code": "34000",
    "commune_code": "34172",
    "region_code": "76",
    "capacity": 150,
    "themes": ["mois-de-l-ess", "jeunesse"]
}))]
pub struct EventDraft {
    /// 1 to 200 characters.
    #[schema(required = true, value_type = String, min_length = 1, max_length = 200)]
    #[validate(length(max = TITLE_MAX))]
    #[serde(default)]
    pub title: Option<String>,
    /// Up to 5000 characters.
    #[schema(min_length = 1, max_length = 5000)]
    #[validate(length(max = DESCRIPTION_MAX))]
    #[serde(default)]
    pub description: Option<String>,
    #[schema(required = true, value_type = EventKind)]
    #[serde(default)]
    pub kind: Option<EventKind>,
    /// `draft` when a creation leaves it out.
    #[schema(value_type = Option<EventStatus>, default = "draft")]
    #[serde(default)]
    pub status: Option<EventStatus>,
    /// Date and time with its offset (RFC 3339); stored in UTC to the microsecond.
    #[schema(required = true, value_type = String, format = DateTime, example = "2026-09-19T09:30:00+02:00")]
    #[serde(default)]
    pub starts_at: Option<String>,
    /// Date and time with its offset (RFC 3339), after `starts_at`.
    #[schema(required = true, value_type = String, format = DateTime, example = "2026-09-19T17:00:00+02:00")]
    #[serde(default)]
    pub ends_at: Option<String>,
    /// IANA time zone the event is shown in; `Europe/Paris` when a creation leaves it out or a
    /// change clears it.
    #[schema(example = "Europe/Paris", default = "Europe/Paris")]
    #[serde(default)]
    pub time_zone: Option<String>,
    /// `true` for an online event (needs `online_url`); `false` (a creation's default) for one held in
    /// person (needs `city` and `region_code`).
    #[schema(value_type = Option<bool>, default = false)]
    #[serde(default)]
    pub online: Option<bool>,
    /// The http or https link to join it; may also be given for an event held in person (a live stream).
    #[schema(
        format = "uri",
        max_length = 2048,
        example = "https://visio.cress-occitanie.example/club"
    )]
    #[serde(default)]
    pub online_url: Option<String>,
    /// The hall or building, up to 200 characters.
    #[schema(min_length = 1, max_length = 200, example = "Salle du Peuple")]
    #[validate(length(max = VENUE_MAX))]
    #[serde(default)]
    pub venue: Option<String>,
    /// Up to 300 characters.
    #[schema(min_length = 1, max_length = 300)]
    #[validate(length(max = STREET_MAX))]
    #[serde(default)]
    pub street: Option<String>,
    /// French postal code, 5 digits (Corsica: 20xxx).
    #[schema(pattern = "^[0-9]{5}$", example = "34700")]
    #[serde(default)]
    pub postal_code: Option<String>,
    /// Up to 100 characters; required in person.
    #[schema(min_length = 1, max_length = 100, example = "Lodève")]
    #[validate(length(max = CITY_MAX))]
    #[serde(default)]
    pub city: Option<String>,
    /// INSEE commune code (COG), 5 characters; Corsica 2A/2B.
    #[schema(
        pattern = "^((0[1-9]|[1-8][0-9]|9[0-5]|2[AB])[0-9]{3}|97[1-46][0-9]{2})$",
        example = "34142"
    )]
    #[serde(default)]
    pub commune_code: Option<String>,
    /// Required in person; optional online (the region whose Cress runs it).
    #[schema(value_type = Option<RegionCodeSchema>)]
    #[serde(default)]
    pub region_code: Option<String>,
    /// The club holding the event, an existing club.
    #[serde(default)]
    pub club_id: Option<Uuid>,
    /// At least 1.
    #[schema(minimum = 1, example = 80)]
    #[serde(default, deserialize_with = "json::integer")]
    pub capacity: Option<i64>,
    /// How many came: at least 0, at most `capacity`, and only once the event has ended.
    #[schema(minimum = 0, example = 60)]
    #[serde(default, deserialize_with = "json::integer")]
    pub attendance: Option<i64>,
    /// Organisations taking part, each once, at most 50.
    #[schema(value_type = Option<Vec<OrganiserDraft>>, max_items = 50)]
    #[serde(default, deserialize_with = "json::list_or_null")]
    pub organisers: Vec<OrganiserDraft>,
    /// Lowercase slugs (`^[a-z0-9]+(-[a-z0-9]+)*$`, at most 50 characters), at most 20
    /// different ones; repeats are dropped.
    #[schema(value_type = Option<Vec<String>>, max_items = 20, example = json!(["mois-de-l-ess", "egalite-femmes-hommes"]))]
    #[serde(default, deserialize_with = "json::list_or_null")]
    pub themes: Vec<String>,
}

stored! {
    /// An event's fields, checked ([`NewEvent::parse`]) and in their stored form: what the store
    /// writes and reads, and the fields of the event's answers (`EventResponse`) and of its
    /// change-log record, with their documentation.
    #[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
    pub struct EventFields, list event_fields, computed(f) {
            title_search: search_key(&f.title),
        } {
        pub title: String,
        #[schema(required = true)]
        pub description: Option<String>,
        pub kind: EventKind,
        pub status: EventStatus,
        /// When it starts, in UTC.
        pub starts_at: DateTime<Utc>,
        /// When it ends, in UTC; after `starts_at`.
        pub ends_at: DateTime<Utc>,
        /// IANA time zone to show the times in.
        #[schema(example = "Europe/Paris")]
        pub time_zone: String,
        /// Whether it happens online (then `online_url` is set) rather than in person.
        pub online: bool,
        #[schema(required = true, format = "uri")]
        pub online_url: Option<String>,
        #[schema(required = true)]
        pub venue: Option<String>,
        #[schema(required = true)]
        pub street: Option<String>,
        #[schema(required = true)]
        pub postal_code: Option<String>,
        #[schema(required = true)]
        pub city: Option<String>,
        #[schema(required = true)]
        pub commune_code: Option<String>,
        #[schema(required = true, value_type = Option<RegionCodeSchema>)]
        pub region_code: Option<String>,
        #[schema(required = true)]
        pub club_id: Option<Uuid>,
        #[schema(required = true, minimum = 1)]
        pub capacity: Option<i64>,
        /// How many people came, reported after the event.
        #[schema(required = true, minimum = 0)]
        pub attendance: Option<i64>,
    }
}

/// An event whose every field and rule between fields has been checked, with its organisers and
/// themes: the only form the store accepts. Whether its club and organisations exist is the
/// store's to check.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub fields: EventFields,
    /// In the order given, no organisation twice.
    pub organisers: Vec<Organiser>,
    /// Sorted, without duplicates.
    pub themes: Vec<Theme>,
}

impl NewEvent {
    /// Checks every field of the draft, then the rules between fields, and reports every
    /// violation at once. `now` decides whether the event has ended (attendance is reported
    /// after the event only).
    pub fn parse(draft: EventDraft, now: DateTime<Utc>) -> Result<Self, Vec<Violation>> {
        let mut v = Violations::default();
        let text = |max: u64, label: &'static str| move |s: &str| clean_text(s, max as usize, label);

        let title = v.check(
            "title",
            draft
                .title
                .ok_or_else(missing)
                .and_then(|t| text(TITLE_MAX, "title")(&t)),
        );
        let description = v
            .check(
                "description",
                optional(draft.description, text(DESCRIPTION_MAX, "description")),
            )
            .flatten();
        let kind = v.check("kind", draft.kind.ok_or_else(missing));
        let status = Some(draft.status.unwrap_or(EventStatus::Draft));
        let starts_at = v.check(
            "starts_at",
            draft
                .starts_at
                .ok_or_else(missing)
                .and_then(|s| parse_instant(&s, "starts_at")),
        );
        let ends_at = v.check(
            "ends_at",
            draft
                .ends_at
                .ok_or_else(missing)
                .and_then(|s| parse_instant(&s, "ends_at")),
        );
        let time_zone = v.check(
            "time_zone",
            optional(draft.time_zone, TimeZone::parse).map(|zone| zone.unwrap_or_else(TimeZone::default_zone)),
        );
        let online = Some(draft.online.unwrap_or(false));
        let online_url = v
            .check("online_url", optional(draft.online_url, WebsiteUrl::parse))
            .flatten();
        let venue = v
            .check("venue", optional(draft.venue, text(VENUE_MAX, "venue")))
            .flatten();
        let street = v
            .check("street", optional(draft.street, text(STREET_MAX, "street")))
            .flatten();
        let postal_code = v
            .check("postal_code", optional(draft.postal_code, PostalCode::parse))
            .flatten();
        let city = v.check("city", optional(draft.city, text(CITY_MAX, "city"))).flatten();
        let commune_code = v
            .check("commune_code", optional(draft.commune_code, CommuneCode::parse))
            .flatten();
        let region_code = v
            .check("region_code", optional(draft.region_code, RegionCode::parse))
            .flatten();
        let capacity = v.check("capacity", at_least(draft.capacity, 1, "capacity")).flatten();
        let attendance = v
            .check("attendance", at_least(draft.attendance, 0, "attendance"))
            .flatten();
        let themes = themes(draft.themes, &mut v);
        let organisers = organisers(draft.organisers, &mut v);

        if let (Some(starts_at), Some(ends_at)) = (starts_at, ends_at)
            && ends_at <= starts_at
        {
            v.refuse(
                "ends_at",
                Invalid::new(
                    Invalid::MISMATCH,
                    msg!(
                        "event-ends-before-start",
                        ends_at = format_instant(ends_at),
                        starts_at = format_instant(starts_at)
                    ),
                ),
            );
        }
        match online {
            Some(true) if online_url.is_none() && !v.has("online_url") => v.refuse(
                "online_url",
                Invalid::new("required", msg!("event-online-url-required")),
            ),
            Some(false) => {
                for (field, present) in [("city", city.is_some()), ("region_code", region_code.is_some())] {
                    if !present && !v.has(field) {
                        v.refuse(
                            field,
                            Invalid::new("required", msg!("event-in-person-field-required", field = field)),
                        );
                    }
                }
            }
            _ => {}
        }
        if let (Some(capacity), Some(attendance)) = (capacity, attendance)
            && attendance > capacity
        {
            v.refuse(
                "attendance",
                Invalid::new(
                    Invalid::MISMATCH,
                    msg!(
                        "event-attendance-over-capacity",
                        attendance = attendance.to_string(),
                        capacity = capacity.to_string()
                    ),
                ),
            );
        }
        if let (Some(_), Some(ends_at)) = (attendance, ends_at)
            && ends_at > now
        {
            v.refuse(
                "attendance",
                Invalid::new(
                    "in_future",
                    msg!("event-attendance-before-end", ends_at = format_instant(ends_at)),
                ),
            );
        }

        match (title, kind, status, starts_at, ends_at, time_zone, online) {
            (Some(title), Some(kind), Some(status), Some(starts_at), Some(ends_at), Some(time_zone), Some(online))
                if v.0.is_empty() =>
            {
                let fields = EventFields {
                    title,
                    description,
                    kind,
                    status,
                    starts_at,
                    ends_at,
                    time_zone: time_zone.as_str().to_owned(),
                    online,
                    online_url: stored_text(online_url),
                    venue,
                    street,
                    postal_code: stored_text(postal_code),
                    city,
                    commune_code: stored_text(commune_code),
                    region_code: stored_text(region_code),
                    club_id: draft.club_id,
                    capacity,
                    attendance,
                };
                Ok(Self {
                    fields,
                    organisers,
                    themes,
                })
            }
            _ => Err(v.0),
        }
    }
}

fn at_least(value: Option<i64>, min: i64, field_label: &str) -> Result<Option<i64>, Invalid> {
    match value {
        Some(n) if n < min => Err(Invalid::new(
            "out_of_range",
            msg!("event-at-least", field = field_label, min = min, n = n.to_string()),
        )),
        other => Ok(other),
    }
}

/// Each theme checked (`themes[i]`), duplicates removed, sorted; at most 20 different ones.
fn themes(raw: Vec<String>, v: &mut Violations) -> Vec<Theme> {
    let mut themes: Vec<Theme> = raw
        .iter()
        .enumerate()
        .filter_map(|(index, theme)| v.check(format!("themes[{index}]"), Theme::parse(theme)))
        .collect();
    themes.sort();
    themes.dedup();
    if themes.len() > THEMES_MAX {
        v.refuse(
            "themes",
            Invalid::new(
                "too_many",
                msg!("event-themes-too-many", max = THEMES_MAX, count = themes.len()),
            ),
        );
    }
    themes
}

/// Each organiser checked (`organisers[i].…`), in the order given; no organisation twice.
fn organisers(raw: Vec<OrganiserDraft>, v: &mut Violations) -> Vec<Organiser> {
    if raw.len() > ORGANISERS_MAX {
        v.refuse(
            "organisers",
            Invalid::new(
                "too_many",
                msg!("event-organisers-too-many", max = ORGANISERS_MAX, count = raw.len()),
            ),
        );
        return Vec::new();
    }
    let mut organisers: Vec<Organiser> = Vec::with_capacity(raw.len());
    let mut seen: Vec<(Uuid, usize)> = Vec::with_capacity(raw.len());
    for (index, draft) in raw.into_iter().enumerate() {
        let id_field = format!("organisers[{index}].organisation_id");
        let organisation_id = v.check(id_field.clone(), draft.organisation_id.ok_or_else(missing));
        let role = v.check(format!("organisers[{index}].role"), draft.role.ok_or_else(missing));
        if let Some(id) = organisation_id {
            if let Some((_, first)) = seen.iter().find(|(seen_id, _)| *seen_id == id) {
                v.refuse(
                    id_field,
                    Invalid::new("duplicate", msg!("event-organiser-duplicate", id = id, first = *first)),
                );
                continue;
            }
            seen.push((id, index));
        }
        if let (Some(organisation_id), Some(role)) = (organisation_id, role) {
            organisers.push(Organiser { organisation_id, role });
        }
    }
    organisers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::test_support::any_text;
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        "2026-11-26T09:00:00Z".parse().expect("an instant")
    }

    /// The Lodève club meeting of docs/domain.md Part C, in person, already held.
    fn draft() -> EventDraft {
        EventDraft {
            title: Some(" Club des collectivités : rencontre de Lodève ".into()),
            kind: Some(EventKind::Meeting),
            status: Some(EventStatus::Published),
            starts_at: Some("2026-09-19T09:30:00+02:00".into()),
            ends_at: Some("2026-09-19T17:00:00+02:00".into()),
            online: Some(false),
            city: Some("Lodève".into()),
            postal_code: Some("34700".into()),
            commune_code: Some("34142".into()),
            region_code: Some("76".into()),
            capacity: Some(80),
            attendance: Some(60),
            ..EventDraft::default()
        }
    }

    #[test]
    fn parse_gives_a_creation_s_defaults_to_the_fields_left_out() {
        let bare = EventDraft {
            status: None,
            online: None,
            time_zone: None,
            attendance: None,
            ..draft()
        };
        let new = NewEvent::parse(bare, now()).expect("valid");
        assert_eq!((new.fields.status, new.fields.online), (EventStatus::Draft, false));
        assert_eq!(new.fields.time_zone.as_str(), DEFAULT_TIME_ZONE);
    }

    fn refused(draft: EventDraft) -> Vec<(String, &'static str)> {
        let violations = NewEvent::parse(draft, now()).expect_err("refused");
        violations
            .into_iter()
            .map(|v| (v.field.into_owned(), v.invalid.code))
            .collect()
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn parse_normalises_times_to_utc_and_defaults_the_time_zone_when_valid() {
        let new = NewEvent::parse(draft(), now()).expect("valid");
        assert_eq!(new.fields.title, "Club des collectivités : rencontre de Lodève");
        assert_eq!(format_instant(new.fields.starts_at), "2026-09-19T07:30:00Z");
        assert_eq!(format_instant(new.fields.ends_at), "2026-09-19T15:00:00Z");
        assert_eq!(new.fields.time_zone.as_str(), DEFAULT_TIME_ZONE);
        assert_eq!(
            new.fields.region_code.map(|r| r.as_str().to_owned()).as_deref(),
            Some("76")
        );
    }

    #[test]
    fn parse_instant_truncates_to_microseconds_and_refuses_times_without_offset() {
        let at = parse_instant("2027-03-10T09:00:00.123456789+01:00", "starts_at").expect("valid");
        assert_eq!(format_instant(at), "2027-03-10T08:00:00.123456Z");
        for (input, code) in [
            ("2027-03-10T09:00:00", Invalid::INVALID_FORMAT),
            ("2027-03-10", Invalid::INVALID_FORMAT),
            ("10/03/2027 09:00", Invalid::INVALID_FORMAT),
            ("", Invalid::INVALID_FORMAT),
            ("1899-12-31T12:00:00Z", "out_of_range"),
            ("3000-01-01T12:00:00Z", "out_of_range"),
        ] {
            let err = parse_instant(input, "starts_at").expect_err(input);
            assert_eq!(err.code, code, "{input:?}: {err}");
        }
    }

    #[test]
    fn parse_refuses_an_end_not_after_the_start() {
        for ends_at in ["2026-09-19T09:30:00+02:00", "2026-09-19T07:29:59Z"] {
            let bad = EventDraft {
                ends_at: Some(ends_at.into()),
                attendance: None,
                ..draft()
            };
            assert_eq!(refused(bad), [("ends_at".to_owned(), Invalid::MISMATCH)], "{ends_at}");
        }
    }

    #[test]
    fn parse_refuses_an_unknown_time_zone_and_accepts_iana_names() {
        for zone in [
            "Europe/Paris",
            "America/Cayenne",
            "Indian/Reunion",
            "Pacific/Noumea",
            "UTC",
        ] {
            let ok = EventDraft {
                time_zone: Some(zone.into()),
                ..draft()
            };
            let new = NewEvent::parse(ok, now()).unwrap_or_else(|e| panic!("{zone}: {e:?}"));
            assert_eq!(new.fields.time_zone.as_str(), zone);
        }
        for zone in ["Europe/Lodeve", "europe/paris", "CET+1", ""] {
            let bad = EventDraft {
                time_zone: Some(zone.into()),
                ..draft()
            };
            assert_eq!(
                refused(bad),
                [("time_zone".to_owned(), Invalid::UNKNOWN_CODE)],
                "{zone:?}"
            );
        }
    }

    #[test]
    fn parse_requires_a_link_online_and_a_city_and_region_in_person() {
        let online = EventDraft {
            online: Some(true),
            city: None,
            region_code: None,
            postal_code: None,
            commune_code: None,
            ..draft()
        };
        assert_eq!(refused(online.clone()), [("online_url".to_owned(), "required")]);
        let with_link = EventDraft {
            online_url: Some("https://visio.cress-occitanie.example/club".into()),
            ..online
        };
        assert!(
            NewEvent::parse(with_link, now()).is_ok(),
            "an online event needs no venue"
        );
        let in_person = EventDraft {
            city: None,
            region_code: None,
            ..draft()
        };
        assert_eq!(
            refused(in_person),
            [("city".to_owned(), "required"), ("region_code".to_owned(), "required")]
        );
        let bad_url = EventDraft {
            online: Some(true),
            online_url: Some("ftp://visio.example/".into()),
            ..draft()
        };
        assert_eq!(
            refused(bad_url),
            [("online_url".to_owned(), Invalid::INVALID_FORMAT)],
            "one error, not two"
        );
    }

    #[test]
    fn parse_bounds_capacity_and_attendance() {
        for (capacity, attendance, expected) in [
            (Some(0), None, vec![("capacity", "out_of_range")]),
            (None, Some(-1), vec![("attendance", "out_of_range")]),
            (Some(50), Some(51), vec![("attendance", Invalid::MISMATCH)]),
        ] {
            let bad = EventDraft {
                capacity,
                attendance,
                ..draft()
            };
            let expected: Vec<(String, &str)> = expected.into_iter().map(|(f, c)| (f.to_owned(), c)).collect();
            assert_eq!(
                refused(bad),
                expected,
                "capacity {capacity:?}, attendance {attendance:?}"
            );
        }
        for (capacity, attendance) in [
            (Some(60), Some(60)),
            (Some(1), Some(0)),
            (None, Some(500)),
            (Some(1), None),
        ] {
            let ok = EventDraft {
                capacity,
                attendance,
                ..draft()
            };
            assert!(
                NewEvent::parse(ok, now()).is_ok(),
                "capacity {capacity:?}, attendance {attendance:?}"
            );
        }
    }

    #[test]
    fn parse_refuses_attendance_before_the_event_has_ended() {
        let future = EventDraft {
            starts_at: Some("2026-11-26T08:00:00Z".into()),
            ends_at: Some("2026-11-26T09:00:01Z".into()),
            ..draft()
        };
        let violations = NewEvent::parse(future, now()).expect_err("not ended");
        assert_eq!(violations.len(), 1);
        assert_eq!(
            (violations[0].field.as_ref(), violations[0].invalid.code),
            ("attendance", "in_future")
        );
        assert!(
            violations[0].invalid.message.to_string().contains("after the event"),
            "{}",
            violations[0].invalid.message
        );
        let just_ended = EventDraft {
            starts_at: Some("2026-11-26T08:00:00Z".into()),
            ends_at: Some("2026-11-26T09:00:00Z".into()),
            ..draft()
        };
        assert!(
            NewEvent::parse(just_ended, now()).is_ok(),
            "an event ending now has ended"
        );
    }

    #[test]
    fn parse_dedups_and_sorts_themes_and_names_each_bad_one() {
        let ok = EventDraft {
            themes: vec![
                "mois-de-l-ess".into(),
                " Egalite-Femmes-Hommes ".into(),
                "mois-de-l-ess".into(),
            ],
            ..draft()
        };
        let new = NewEvent::parse(ok, now()).expect("valid");
        let themes: Vec<&str> = new.themes.iter().map(Theme::as_str).collect();
        assert_eq!(themes, ["egalite-femmes-hommes", "mois-de-l-ess"]);
        let bad = EventDraft {
            themes: vec![
                "ok".into(),
                "mois de l'ESS".into(),
                "x".repeat(51),
                "".into(),
                "a--b".into(),
                "-a".into(),
            ],
            ..draft()
        };
        assert_eq!(
            refused(bad),
            [
                ("themes[1]".to_owned(), Invalid::INVALID_FORMAT),
                ("themes[2]".to_owned(), Invalid::TOO_LONG),
                ("themes[3]".to_owned(), Invalid::BLANK),
                ("themes[4]".to_owned(), Invalid::INVALID_FORMAT),
                ("themes[5]".to_owned(), Invalid::INVALID_FORMAT),
            ]
        );
        let many = EventDraft {
            themes: (0..21).map(|n| format!("theme-{n}")).collect(),
            ..draft()
        };
        assert_eq!(refused(many), [("themes".to_owned(), "too_many")]);
        let twenty_with_repeats = EventDraft {
            themes: (0..25).map(|n| format!("theme-{}", n % 20)).collect(),
            ..draft()
        };
        assert!(
            NewEvent::parse(twenty_with_repeats, now()).is_ok(),
            "20 different themes"
        );
    }

    #[test]
    fn parse_checks_each_organiser_and_refuses_an_organisation_listed_twice() {
        let ok = EventDraft {
            organisers: vec![
                OrganiserDraft {
                    organisation_id: Some(id(2)),
                    role: Some(OrganiserRole::Partner),
                },
                OrganiserDraft {
                    organisation_id: Some(id(1)),
                    role: Some(OrganiserRole::Organiser),
                },
            ],
            ..draft()
        };
        let new = NewEvent::parse(ok, now()).expect("valid");
        assert_eq!(
            new.organisers[0].organisation_id,
            id(2),
            "order kept, so indexes name fields"
        );
        let bad = EventDraft {
            organisers: vec![
                OrganiserDraft {
                    organisation_id: Some(id(1)),
                    role: None,
                },
                OrganiserDraft {
                    organisation_id: None,
                    role: Some(OrganiserRole::Partner),
                },
                OrganiserDraft {
                    organisation_id: Some(id(1)),
                    role: Some(OrganiserRole::CoOrganiser),
                },
            ],
            ..draft()
        };
        assert_eq!(
            refused(bad),
            [
                ("organisers[0].role".to_owned(), "required"),
                ("organisers[1].organisation_id".to_owned(), "required"),
                ("organisers[2].organisation_id".to_owned(), "duplicate"),
            ]
        );
        let too_many = EventDraft {
            organisers: (0..51)
                .map(|n| OrganiserDraft {
                    organisation_id: Some(id(n)),
                    role: Some(OrganiserRole::Partner),
                })
                .collect(),
            ..draft()
        };
        assert_eq!(refused(too_many), [("organisers".to_owned(), "too_many")]);
    }

    #[test]
    fn parse_reports_every_violation_when_several_fields_fail() {
        let bad = EventDraft {
            title: Some("  ".into()),
            kind: None,
            starts_at: Some("tomorrow".into()),
            region_code: Some("05".into()),
            capacity: Some(0),
            ..draft()
        };
        let mut fields: Vec<String> = refused(bad).into_iter().map(|(f, _)| f).collect();
        fields.sort();
        assert_eq!(fields, ["capacity", "kind", "region_code", "starts_at", "title"]);
    }

    #[test]
    fn status_allows_draft_published_cancelled_and_draft_cancelled_only() {
        use EventStatus::*;
        for (from, to, allowed) in [
            (Draft, Draft, true),
            (Draft, Published, true),
            (Draft, Cancelled, true),
            (Published, Published, true),
            (Published, Cancelled, true),
            (Published, Draft, false),
            (Cancelled, Cancelled, true),
            (Cancelled, Draft, false),
            (Cancelled, Published, false),
        ] {
            assert_eq!(from.may_become(to), allowed, "{from} → {to}");
            assert_eq!(from.refusal(to).is_none(), allowed, "{from} → {to}");
        }
        assert_eq!(
            Published.refusal(Draft).map(|m| m.to_string()).as_deref(),
            Some("the event is published and cannot become draft: from published it can only become cancelled")
        );
        assert_eq!(
            Cancelled.refusal(Published).map(|m| m.to_string()).as_deref(),
            Some("the event is cancelled and cannot become published: a cancelled event cannot change status any more")
        );
    }

    #[test]
    fn enums_serialise_as_their_snake_case_names() {
        for kind in EventKind::ALL {
            let json = serde_json::to_string(&kind).expect("serialises");
            assert_eq!(json, format!("\"{kind}\""));
            assert_eq!(EventKind::try_from(kind.as_str().to_owned()), Ok(kind));
        }
        for status in EventStatus::ALL {
            assert_eq!(
                serde_json::to_string(&status).expect("serialises"),
                format!("\"{status}\"")
            );
        }
        assert_eq!(
            serde_json::to_string(&OrganiserRole::CoOrganiser).expect("serialises"),
            "\"co_organiser\""
        );
        assert!(OrganiserRole::parse("co-organiser").is_none());
        assert!(EventStatus::try_from("archived".to_owned()).is_err());
    }

    proptest! {
        #[test]
        fn theme_parse_never_panics_and_round_trips(input in any_text()) {
            if let Ok(theme) = Theme::parse(&input) {
                prop_assert_eq!(Theme::parse(theme.as_str()), Ok(theme.clone()));
                prop_assert!(theme.as_str().len() <= THEME_MAX_CHARS);
            }
            let _ = TimeZone::parse(&input);
            let _ = parse_instant(&input, "starts_at");
        }

        #[test]
        fn theme_parse_accepts_every_slug(theme in "[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,3}") {
            prop_assert_eq!(Theme::parse(&theme).map(|t| t.as_str().to_owned()), Ok(theme));
        }
    }
}
