//! The authorisation matrix of issue 4: every operation under `/api/v1` (but `/auth`, tested in
//! auth.rs) × anonymous, viewer, partner, cress_manager and admin × inside and outside the
//! caller's scope → the expected status and, for reads, whether the confidential fields are
//! there. One table, `rows()`, written from the role table (README, "Accounts, roles and tokens") as the lead made it concrete
//! (never from what the server answers); `every_operation_of_the_openapi_document_has_a_row`
//! fails when an operation is added without its rows.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use cress_api::core::Role;

use crate::helpers::{TestApp, manager_of, organisation, partner_of};
use crate::on_both_backends;

/// The region of the Cress manager of the matrix, of the partner's organisation and of the
/// records the cases "inside" act on.
const HOME: &str = "76";
/// The region of the records the cases "outside" act on.
const AWAY: &str = "53";

/// Contact details of an organisation.
const ORGANISATION_FIELDS: &[&str] = &["email", "phone"];
/// The notes of an ESUS accreditation: not among the rules' confidential fields, but the
/// lead's documented decision (EsusAccreditationResponse): shown to administrators, the Cress
/// managers of the organisation's region and the organisation's partner.
const ACCREDITATION_FIELDS: &[&str] = &["notes"];
/// Amounts and notes of a sponsorship.
const SPONSORSHIP_FIELDS: &[&str] = &["amount_cents", "counterparts_cents", "notes"];
/// The amount of every sponsorship of the fixture, in cents.
const GIFT: i64 = 1_500_000;
/// Amounts of a sponsorship summary, at the top and in every item.
const SUMMARY_FIELDS: &[&str] = &[
    "total_amount_cents",
    "items[].amount_cents",
    "items[].counterparts_cents",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Viewer,
    /// The partner of the organisation of region 76 (or of the one a case creates there).
    Partner,
    /// A Cress manager of region 76.
    Manager,
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Inside,
    Outside,
}

/// The seven cases of every row, in the order of its `expect` array. Anonymous callers,
/// viewers and admins act on the inside record.
const CASES: [(Who, Scope); 7] = [
    (Who::Anonymous, Scope::Inside),
    (Who::Viewer, Scope::Inside),
    (Who::Partner, Scope::Inside),
    (Who::Partner, Scope::Outside),
    (Who::Manager, Scope::Inside),
    (Who::Manager, Scope::Outside),
    (Who::Admin, Scope::Inside),
];

/// What one case must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exp {
    /// This status; a 401 must be the `unauthenticated` problem, a 403 the `forbidden` one.
    Status(u16),
    /// 200 with the record (listed, for a list) and every confidential field present (maybe null).
    Full,
    /// 200 with the record (listed, for a list) and no confidential field.
    Bare,
    /// 200, a list without the record.
    Unlisted,
    /// 200, a sponsorship summary counting this many sponsorships, with its amounts summing to
    /// this total, or without amounts.
    Sums(i64, Option<i64>),
}

const E401: Exp = Exp::Status(401);
const E403: Exp = Exp::Status(403);
const OK: Exp = Exp::Status(200);
const CREATED: Exp = Exp::Status(201);
const NO_CONTENT: Exp = Exp::Status(204);
const E404: Exp = Exp::Status(404);
use Exp::{Bare, Full, Sums, Unlisted};

/// A record of the fixture, made once per backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rec {
    /// The partner's organisation, region 76, with e-mail and phone.
    OrgHome,
    /// Another organisation of region 76.
    OrgHomeOther,
    /// An organisation of region 53, with e-mail and phone.
    OrgAway,
    /// Another organisation of region 53.
    OrgAwayOther,
    /// The accreditation list of the partner's organisation, looked at for its accreditation.
    AccreditationsOfHome,
    AccreditationsOfAway,
    /// The accreditation of the partner's organisation.
    AccreditationHome,
    AccreditationAway,
    ClubHome,
    ClubAway,
    /// The membership of OrgHomeOther in ClubHome.
    MemberHome,
    /// The membership of OrgAwayOther in ClubAway.
    MemberAway,
    PublishedHome,
    PublishedAway,
    DraftHome,
    DraftAway,
    /// A published online event without a region.
    EventWithoutRegion,
    /// Given by the partner's organisation to OrgHomeOther, public.
    SponsorshipHomePublic,
    /// Given by OrgAway to OrgAwayOther, public.
    SponsorshipAwayPublic,
    /// Given by the partner's organisation to ClubHome, not public.
    SponsorshipHomePrivate,
    /// Given by OrgAway to ClubAway, not public.
    SponsorshipAwayPrivate,
    /// Given by the partner's organisation to the published event of region 53, public.
    SponsorshipHomeToAway,
    /// Given by OrgAway to the published event of region 76, public.
    SponsorshipAwayToHome,
    User,
    Client,
    /// A webhook subscription of the administrator, switched off.
    Webhook,
}

/// A record a case creates (as admin) just before it runs, in region 76 inside and 53 outside,
/// for writes that destroy or move it. A new organisation of region 76 is the partner's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Make {
    Organisation,
    /// An accreditation of a new organisation.
    Accreditation,
    Club,
    /// A new organisation, member of the fixture's club of the region.
    Member,
    /// A new organisation, not yet member of the fixture's club of the region (`{member}`).
    MemberCandidate,
    Event,
    /// A sponsorship by the fixture's organisation of the region to the other one of the region.
    Sponsorship,
    User,
    Client,
    Webhook,
}

/// What a case acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sel {
    /// Nothing in particular: a creation, whose body says where.
    Collection,
    Fixture(Rec),
    Fresh(Make),
}

/// The record of one case: the values of the path's placeholders, the record a list must (not)
/// show, and the organisation of the partner who calls.
#[derive(Debug, Clone)]
struct Target {
    vars: Vec<(&'static str, String)>,
    /// The key and value that find the record among a list's items.
    item: Option<(&'static str, String)>,
    partner_org: String,
}

impl Target {
    fn var(&self, name: &str) -> &str {
        self.vars
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("the target has no {name}"))
    }

    fn fill(&self, template: &str) -> String {
        self.vars.iter().fold(template.to_owned(), |path, (name, value)| {
            path.replace(&format!("{{{name}}}"), value)
        })
    }
}

/// What a body is made from.
struct Ctx<'a> {
    fx: &'a Fixture,
    target: &'a Target,
    scope: Scope,
}

impl Ctx<'_> {
    /// The case's region: 76 inside, 53 outside.
    fn region(&self) -> &'static str {
        region_of(self.scope)
    }

    /// The region a record of the case's region moves to.
    fn other_region(&self) -> &'static str {
        region_of(self.other_scope())
    }

    fn other_scope(&self) -> Scope {
        match self.scope {
            Scope::Inside => Scope::Outside,
            Scope::Outside => Scope::Inside,
        }
    }

    /// The fixture's organisation of the case's region with contact details: the partner's inside.
    fn main_org(&self) -> &str {
        self.fx.main_org(self.scope)
    }

    /// The fixture's other organisation of the case's region.
    fn other_org(&self) -> &str {
        self.fx.other_org(self.scope)
    }

    /// The fixture's club of the case's region.
    fn club(&self) -> &str {
        match self.scope {
            Scope::Inside => &self.fx.club_home,
            Scope::Outside => &self.fx.club_away,
        }
    }

    /// The fixture's club of the other region.
    fn other_region_club(&self) -> &str {
        match self.scope {
            Scope::Inside => &self.fx.club_away,
            Scope::Outside => &self.fx.club_home,
        }
    }

    /// The fixture's published event of the other region.
    fn other_region_event(&self) -> &str {
        match self.scope {
            Scope::Inside => &self.fx.published_away,
            Scope::Outside => &self.fx.published_home,
        }
    }
}

fn region_of(scope: Scope) -> &'static str {
    match scope {
        Scope::Inside => HOME,
        Scope::Outside => AWAY,
    }
}

/// One row of the matrix: an operation on a record (or a collection), inside and outside.
struct Row {
    method: Method,
    /// The path as the OpenAPI document writes it, placeholders filled from the target, plus
    /// an optional query.
    path: &'static str,
    /// What the row checks, for the report.
    about: &'static str,
    inside: Sel,
    outside: Sel,
    body: Option<fn(&Ctx) -> Value>,
    /// For reads: the confidential fields (`items[].x`: in every item of the answer).
    confidential: &'static [&'static str],
    expect: [Exp; 7],
}

fn read(path: &'static str, about: &'static str, inside: Sel, outside: Sel, expect: [Exp; 7]) -> Row {
    Row {
        method: Method::GET,
        path,
        about,
        inside,
        outside,
        body: None,
        confidential: &[],
        expect,
    }
}

fn read_confidential(
    path: &'static str,
    about: &'static str,
    inside: Sel,
    outside: Sel,
    confidential: &'static [&'static str],
    expect: [Exp; 7],
) -> Row {
    Row {
        confidential,
        ..read(path, about, inside, outside, expect)
    }
}

fn write(
    method: Method,
    path: &'static str,
    about: &'static str,
    inside: Sel,
    outside: Sel,
    body: fn(&Ctx) -> Value,
    expect: [Exp; 7],
) -> Row {
    Row {
        method,
        path,
        about,
        inside,
        outside,
        body: Some(body),
        confidential: &[],
        expect,
    }
}

fn call(method: Method, path: &'static str, about: &'static str, inside: Sel, outside: Sel, expect: [Exp; 7]) -> Row {
    Row {
        method,
        path,
        about,
        inside,
        outside,
        body: None,
        confidential: &[],
        expect,
    }
}

/// THE table. Columns of `expect`: anonymous, viewer, partner inside, partner outside, manager
/// inside, manager outside, admin (see `CASES`). Reads come before the writes of their resource,
/// which add records (the summary's counts rely on it). Kept as a table by hand: one row is one
/// operation on one pair of records.
#[rustfmt::skip]
fn rows() -> Vec<Row> {
    use Make as M;
    use Rec::*;
    use Sel::{Collection, Fixture as F, Fresh};
    let (post, patch, delete) = (Method::POST, Method::PATCH, Method::DELETE);
    let admin_only = |ok: Exp| [E401, E403, E403, E403, E403, E403, ok];
    let admin_only_read = admin_only(Bare);
    let not_theirs = |ok: Exp| [E401, E403, E404, E404, E404, E404, ok];
    vec![
        // ---- Organisations: anyone reads; contact details for admins, the region's managers and
        // the organisation's partner. Managers write in their region (never into another); the
        // partner changes its own organisation (region included), nothing else.
        read_confidential("/api/v1/organisations?limit=200", "list: the partner's organisation / one of region 53",
            F(OrgHome), F(OrgAway), ORGANISATION_FIELDS, [Bare, Bare, Full, Bare, Full, Bare, Full]),
        read_confidential("/api/v1/organisations/{id}", "get: the partner's organisation / one of region 53",
            F(OrgHome), F(OrgAway), ORGANISATION_FIELDS, [Bare, Bare, Full, Bare, Full, Bare, Full]),
        read_confidential("/api/v1/organisations/{id}", "get: another organisation of region 76 (not the partner's) / another of region 53",
            F(OrgHomeOther), F(OrgAwayOther), ORGANISATION_FIELDS, [Bare, Bare, Bare, Bare, Full, Bare, Full]),
        write(post.clone(), "/api/v1/organisations", "create in region 76 / in region 53", Collection, Collection,
            |c| organisation(&unique("Nouvelle structure"), json!({"region_code": c.region()})),
            [E401, E403, E403, E403, CREATED, E403, CREATED]),
        // The bulk import: who may create; a manager's row of another region fails as a row
        // (`forbidden`), so the default all_or_nothing import answers 422 and writes nothing.
        write(post.clone(), "/api/v1/organisations/import", "import one row of region 76 / of region 53", Collection, Collection,
            |c| json!([organisation(&unique("Structure importée"), json!({"region_code": c.region()}))]),
            [E401, E403, E403, E403, OK, Exp::Status(422), OK]),
        write(patch.clone(), "/api/v1/organisations/{id}", "change the description: the partner's organisation / one of region 53",
            F(OrgHome), F(OrgAway), |_| json!({"description": "Description revue."}),
            [E401, E403, OK, E403, OK, E403, OK]),
        write(patch.clone(), "/api/v1/organisations/{id}", "move: one of region 76 (the partner's) to 53 / one of region 53 to 76",
            Fresh(M::Organisation), Fresh(M::Organisation), |c| json!({"region_code": c.other_region()}),
            [E401, E403, E403, E403, E403, E403, OK]),
        write(patch.clone(), "/api/v1/organisations/{id}", "change a register field (category): one of region 76 (the partner's) / one of region 53",
            Fresh(M::Organisation), Fresh(M::Organisation), |_| json!({"category": "cooperative"}),
            [E401, E403, E403, E403, OK, E403, OK]),
        call(delete.clone(), "/api/v1/organisations/{id}", "delete: one of region 76 (the partner's) / one of region 53",
            Fresh(M::Organisation), Fresh(M::Organisation), [E401, E403, E403, E403, NO_CONTENT, E403, NO_CONTENT]),

        // ---- ESUS accreditations: never anonymous; every role reads them; managers write those of
        // their region's organisations; the partner never writes, not even its own organisation's.
        read_confidential("/api/v1/organisations/{id}/esus-accreditations?limit=200", "list: of the partner's organisation / of one of region 53",
            F(AccreditationsOfHome), F(AccreditationsOfAway), ACCREDITATION_FIELDS, [E401, Bare, Full, Bare, Full, Bare, Full]),
        write(post.clone(), "/api/v1/organisations/{id}/esus-accreditations", "apply: for an organisation of region 76 (the partner's) / of region 53",
            Fresh(M::Organisation), Fresh(M::Organisation), |_| json!({"basis": "conditions", "applied_on": "2024-01-15"}),
            [E401, E403, E403, E403, CREATED, E403, CREATED]),
        read_confidential("/api/v1/esus-accreditations/{id}", "get: of the partner's organisation / of one of region 53",
            F(AccreditationHome), F(AccreditationAway), ACCREDITATION_FIELDS, [E401, Bare, Full, Bare, Full, Bare, Full]),
        write(patch.clone(), "/api/v1/esus-accreditations/{id}", "change the notes: of the partner's organisation / of one of region 53",
            F(AccreditationHome), F(AccreditationAway), |_| json!({"notes": "Dossier complet."}),
            [E401, E403, E403, E403, OK, E403, OK]),
        call(delete.clone(), "/api/v1/esus-accreditations/{id}", "delete: of an organisation of region 76 (the partner's) / of region 53",
            Fresh(M::Accreditation), Fresh(M::Accreditation), [E401, E403, E403, E403, NO_CONTENT, E403, NO_CONTENT]),

        // ---- Clubs and their members: anyone reads; managers write the clubs of their region and
        // their members (the club's region decides); the partner never writes.
        read("/api/v1/clubs?limit=200", "list: a club of region 76 / of region 53", F(ClubHome), F(ClubAway), [Bare; 7]),
        write(post.clone(), "/api/v1/clubs", "create in region 76 / in region 53", Collection, Collection,
            |c| json!({"name": unique("Club des collectivités"), "region_code": c.region(), "host_organisation_id": c.other_org()}),
            [E401, E403, E403, E403, CREATED, E403, CREATED]),
        read("/api/v1/clubs/{id}", "get: a club of region 76 / of region 53", F(ClubHome), F(ClubAway), [Bare; 7]),
        write(patch.clone(), "/api/v1/clubs/{id}", "change the description: a club of region 76 / of region 53",
            F(ClubHome), F(ClubAway), |_| json!({"description": "Deux journées par an."}),
            [E401, E403, E403, E403, OK, E403, OK]),
        write(patch.clone(), "/api/v1/clubs/{id}", "move: a club of region 76 to 53 / of region 53 to 76",
            Fresh(M::Club), Fresh(M::Club), |c| json!({"region_code": c.other_region()}),
            [E401, E403, E403, E403, E403, E403, OK]),
        call(delete.clone(), "/api/v1/clubs/{id}", "delete: a club of region 76 / of region 53",
            Fresh(M::Club), Fresh(M::Club), [E401, E403, E403, E403, NO_CONTENT, E403, NO_CONTENT]),
        read("/api/v1/clubs/{id}/members?limit=200", "list: the members of a club of region 76 / of region 53",
            F(MemberHome), F(MemberAway), [Bare; 7]),
        write(post.clone(), "/api/v1/clubs/{id}/members", "add (the partner its own organisation): to a club of region 76 / of region 53",
            Fresh(M::MemberCandidate), Fresh(M::MemberCandidate),
            |c| json!({"organisation_id": c.target.var("member"), "role": "member", "joined_on": "2026-01-15"}),
            [E401, E403, E403, E403, CREATED, E403, CREATED]),
        read("/api/v1/clubs/{id}/members/{organisation_id}", "get: a member of a club of region 76 / of region 53",
            F(MemberHome), F(MemberAway), [Bare; 7]),
        write(patch.clone(), "/api/v1/clubs/{id}/members/{organisation_id}", "change the role: in a club of region 76 / of region 53",
            F(MemberHome), F(MemberAway), |_| json!({"role": "patron"}),
            [E401, E403, E403, E403, OK, E403, OK]),
        call(delete.clone(), "/api/v1/clubs/{id}/members/{organisation_id}", "remove (the partner's own membership): from a club of region 76 / of region 53",
            Fresh(M::Member), Fresh(M::Member), [E401, E403, E403, E403, NO_CONTENT, E403, NO_CONTENT]),

        // ---- Events: anonymous callers see published ones only; managers write the events of
        // their region (never one without region, never out of it); the partner never writes.
        read("/api/v1/events?limit=200", "list: a published event of region 76 / of region 53",
            F(PublishedHome), F(PublishedAway), [Bare; 7]),
        read("/api/v1/events?limit=200", "list: a draft event of region 76 / of region 53",
            F(DraftHome), F(DraftAway), [Unlisted, Bare, Bare, Bare, Bare, Bare, Bare]),
        read("/api/v1/events/{id}", "get: a published event of region 76 / of region 53",
            F(PublishedHome), F(PublishedAway), [Bare; 7]),
        read("/api/v1/events/{id}", "get: a draft event of region 76 / of region 53",
            F(DraftHome), F(DraftAway), [E401, Bare, Bare, Bare, Bare, Bare, Bare]),
        write(post.clone(), "/api/v1/events", "create in region 76 / in region 53", Collection, Collection,
            |c| event(&unique("Rencontre"), Some(c.region()), "published"),
            [E401, E403, E403, E403, CREATED, E403, CREATED]),
        write(post.clone(), "/api/v1/events", "create an online event without region", Collection, Collection,
            |_| event(&unique("Webinaire"), None, "draft"),
            [E401, E403, E403, E403, E403, E403, CREATED]),
        write(patch.clone(), "/api/v1/events/{id}", "change the description: an event of region 76 / of region 53",
            F(PublishedHome), F(PublishedAway), |_| json!({"description": "Programme mis à jour."}),
            [E401, E403, E403, E403, OK, E403, OK]),
        write(patch.clone(), "/api/v1/events/{id}", "move: an event of region 76 to 53 / of region 53 to 76",
            Fresh(M::Event), Fresh(M::Event),
            |c| json!({"region_code": c.other_region(), "city": if c.scope == Scope::Inside { "Rennes" } else { "Montpellier" }}),
            [E401, E403, E403, E403, E403, E403, OK]),
        write(patch.clone(), "/api/v1/events/{id}", "change the description of an event without region",
            F(EventWithoutRegion), F(EventWithoutRegion), |_| json!({"description": "Lien envoyé la veille."}),
            [E401, E403, E403, E403, E403, E403, OK]),
        write(patch.clone(), "/api/v1/events/{id}", "hold by the club of its own region: an event of region 76 / of region 53",
            Fresh(M::Event), Fresh(M::Event), |c| json!({"club_id": c.club()}),
            [E401, E403, E403, E403, OK, E403, OK]),
        write(patch.clone(), "/api/v1/events/{id}", "hold by a club of the other region: an event of region 76 / of region 53",
            Fresh(M::Event), Fresh(M::Event), |c| json!({"club_id": c.other_region_club()}),
            [E401, E403, E403, E403, E403, E403, OK]),
        call(delete.clone(), "/api/v1/events/{id}", "delete: an event of region 76 / of region 53",
            Fresh(M::Event), Fresh(M::Event), [E401, E403, E403, E403, NO_CONTENT, E403, NO_CONTENT]),

        // ---- Sponsorships: anonymous callers see public ones only, never amounts; amounts and
        // notes for admins, the partner that gives and the managers of the beneficiary's region,
        // who alone write them (before and after the change).
        read_confidential("/api/v1/sponsorships?limit=200", "list: public, by the partner to region 76 / by another to region 53",
            F(SponsorshipHomePublic), F(SponsorshipAwayPublic), SPONSORSHIP_FIELDS, [Bare, Bare, Full, Bare, Full, Bare, Full]),
        read_confidential("/api/v1/sponsorships?limit=200", "list: not public, by the partner to a club of region 76 / by another to a club of region 53",
            F(SponsorshipHomePrivate), F(SponsorshipAwayPrivate), SPONSORSHIP_FIELDS, [Unlisted, Bare, Full, Bare, Full, Bare, Full]),
        read_confidential("/api/v1/sponsorships?limit=200", "list: public, by the partner to an event of region 53 / by another to an event of region 76",
            F(SponsorshipHomeToAway), F(SponsorshipAwayToHome), SPONSORSHIP_FIELDS, [Bare, Bare, Full, Bare, Bare, Full, Full]),
        read_confidential("/api/v1/sponsorships/{id}", "get: public, by the partner to region 76 / by another to region 53",
            F(SponsorshipHomePublic), F(SponsorshipAwayPublic), SPONSORSHIP_FIELDS, [Bare, Bare, Full, Bare, Full, Bare, Full]),
        read_confidential("/api/v1/sponsorships/{id}", "get: not public, by the partner to a club of region 76 / by another to a club of region 53",
            F(SponsorshipHomePrivate), F(SponsorshipAwayPrivate), SPONSORSHIP_FIELDS, [E401, Bare, Full, Bare, Full, Bare, Full]),
        read_confidential("/api/v1/sponsorships/{id}", "get: public, by the partner to an event of region 53 / by another to an event of region 76",
            F(SponsorshipHomeToAway), F(SponsorshipAwayToHome), SPONSORSHIP_FIELDS, [Bare, Bare, Full, Bare, Bare, Full, Full]),
        // Each organisation gives three active sponsorships of 15 000 € in 2026: one public to an
        // organisation of its region, one not public to a club of its region, one public to an
        // event of the other region. Counts: what the caller may list; amounts (for the roles
        // that see some): only those it sees.
        read_confidential("/api/v1/sponsorships/summary?sponsor_id={id}", "summary: of the partner's organisation / of one of region 53",
            F(OrgHome), F(OrgAway), SUMMARY_FIELDS,
            [Sums(2, None), Sums(3, None), Sums(3, Some(3 * GIFT)), Sums(3, Some(0)), Sums(3, Some(2 * GIFT)), Sums(3, Some(GIFT)), Sums(3, Some(3 * GIFT))]),
        write(post.clone(), "/api/v1/sponsorships", "create: by the partner to an organisation of region 76 / by another to one of region 53",
            Collection, Collection, |c| sponsorship(c.main_org(), "organisation", c.other_org(), true),
            [E401, E403, CREATED, E403, CREATED, E403, CREATED]),
        write(post.clone(), "/api/v1/sponsorships", "create: by the partner to a club of region 76 / by another to a club of region 53",
            Collection, Collection, |c| sponsorship(c.main_org(), "club", c.club(), false),
            [E401, E403, CREATED, E403, CREATED, E403, CREATED]),
        write(post.clone(), "/api/v1/sponsorships", "create: by the partner to an event of region 53 / by another to an event of region 76",
            Collection, Collection, |c| sponsorship(c.main_org(), "event", c.other_region_event(), true),
            [E401, E403, CREATED, E403, E403, CREATED, CREATED]),
        write(patch.clone(), "/api/v1/sponsorships/{id}", "change the notes: by the partner to region 76 / by another to region 53",
            F(SponsorshipHomePublic), F(SponsorshipAwayPublic), |_| json!({"notes": "Avenant signé."}),
            [E401, E403, OK, E403, OK, E403, OK]),
        write(patch.clone(), "/api/v1/sponsorships/{id}", "change the sponsor: the partner's gift to region 76 handed to another / another's gift to 53 handed to the partner",
            Fresh(M::Sponsorship), Fresh(M::Sponsorship), |c| json!({"sponsor_id": c.fx.main_org(c.other_scope())}),
            [E401, E403, E403, E403, OK, E403, OK]),
        write(patch.clone(), "/api/v1/sponsorships/{id}", "change the beneficiary: the partner's gift to region 76 moved to 53 / another's gift to 53 moved to 76",
            Fresh(M::Sponsorship), Fresh(M::Sponsorship),
            |c| json!({"beneficiary": {"type": "organisation", "id": c.fx.other_org(c.other_scope())}}),
            [E401, E403, OK, E403, E403, E403, OK]),
        call(delete.clone(), "/api/v1/sponsorships/{id}", "delete: by the partner to region 76 / by another to region 53",
            Fresh(M::Sponsorship), Fresh(M::Sponsorship), [E401, E403, NO_CONTENT, E403, NO_CONTENT, E403, NO_CONTENT]),

        // ---- Users and API clients: administrators only.
        read("/api/v1/users?limit=200", "list", F(User), F(User), admin_only_read),
        write(post.clone(), "/api/v1/users", "create", Collection, Collection, |_| user_body(), admin_only(CREATED)),
        read("/api/v1/users/{id}", "get", F(User), F(User), admin_only_read),
        write(patch.clone(), "/api/v1/users/{id}", "change", F(User), F(User), |_| json!({"active": true}), admin_only(OK)),
        call(delete.clone(), "/api/v1/users/{id}", "delete", Fresh(M::User), Fresh(M::User), admin_only(NO_CONTENT)),
        read("/api/v1/clients?limit=200", "list", F(Client), F(Client), admin_only_read),
        write(post.clone(), "/api/v1/clients", "create", Collection, Collection, |_| client_body(), admin_only(CREATED)),
        read("/api/v1/clients/{id}", "get", F(Client), F(Client), admin_only_read),
        write(patch.clone(), "/api/v1/clients/{id}", "change", F(Client), F(Client), |_| json!({"name": "SI renommé"}), admin_only(OK)),
        call(post.clone(), "/api/v1/clients/{id}/secret", "renew the secret", F(Client), F(Client), admin_only(OK)),
        call(delete.clone(), "/api/v1/clients/{id}", "delete", Fresh(M::Client), Fresh(M::Client), admin_only(NO_CONTENT)),

        // ---- Webhook subscriptions: administrators, Cress managers and partners subscribe;
        // each sees and manages its own (the administrator's are 404 to the others), the
        // administrators all of them. Viewers may not subscribe.
        read("/api/v1/webhooks?limit=200", "list: the administrator's subscription",
            F(Webhook), F(Webhook), [E401, E403, Unlisted, Unlisted, Unlisted, Unlisted, Bare]),
        write(post.clone(), "/api/v1/webhooks", "subscribe", Collection, Collection, |_| webhook_body(),
            [E401, E403, CREATED, CREATED, CREATED, CREATED, CREATED]),
        read("/api/v1/webhooks/{id}", "get the administrator's subscription", F(Webhook), F(Webhook), not_theirs(Bare)),
        write(patch.clone(), "/api/v1/webhooks/{id}", "change", F(Webhook), F(Webhook),
            |_| json!({"description": "Référentiel des adhérents"}), not_theirs(OK)),
        call(post.clone(), "/api/v1/webhooks/{id}/secret", "rotate the secret", F(Webhook), F(Webhook), not_theirs(OK)),
        call(Method::GET, "/api/v1/webhooks/{id}/deliveries", "its deliveries", F(Webhook), F(Webhook), not_theirs(OK)),
        write(post.clone(), "/api/v1/webhooks/{id}/redeliver", "deliver again", F(Webhook), F(Webhook),
            |_| json!({}), not_theirs(OK)),
        call(post.clone(), "/api/v1/webhooks/{id}/ping", "ping", F(Webhook), F(Webhook), not_theirs(OK)),
        call(delete.clone(), "/api/v1/webhooks/{id}", "delete", Fresh(M::Webhook), Fresh(M::Webhook), not_theirs(NO_CONTENT)),

        // ---- The change feed: read as the lists are (anonymous callers: no accreditation;
        // confidential keys of `data` are checked in changes.rs). The audit trail and the
        // histories: administrators, and the managers of the record's region (the changes of
        // other regions are left out); accounts' histories: administrators only.
        read("/api/v1/changes?types=organisation&limit=200", "feed: the partner's organisation / one of region 53",
            F(OrgHome), F(OrgAway), [Bare; 7]),
        read("/api/v1/changes?types=esus_accreditation&limit=200", "feed: the accreditation of the partner's organisation / of one of region 53",
            F(AccreditationHome), F(AccreditationAway), [E401, Bare, Bare, Bare, Bare, Bare, Bare]),
        read("/api/v1/audit?id={id}&limit=200", "audit of the partner's organisation / of one of region 53",
            F(OrgHome), F(OrgAway), [E401, E403, E403, E403, Bare, Unlisted, Bare]),
        read("/api/v1/organisations/{id}/history?limit=200", "history: the partner's organisation / one of region 53",
            F(OrgHome), F(OrgAway), [E401, E403, E403, E403, Bare, Unlisted, Bare]),
        read("/api/v1/esus-accreditations/{id}/history?limit=200", "history: of the partner's organisation / of one of region 53",
            F(AccreditationHome), F(AccreditationAway), [E401, E403, E403, E403, Bare, Unlisted, Bare]),
        read("/api/v1/clubs/{id}/history?limit=200", "history: a club of region 76 / of region 53",
            F(ClubHome), F(ClubAway), [E401, E403, E403, E403, Bare, Unlisted, Bare]),
        read("/api/v1/events/{id}/history?limit=200", "history: a published event of region 76 / of region 53",
            F(PublishedHome), F(PublishedAway), [E401, E403, E403, E403, Bare, Unlisted, Bare]),
        read("/api/v1/sponsorships/{id}/history?limit=200", "history: by the partner to region 76 / by another to region 53",
            F(SponsorshipHomePublic), F(SponsorshipAwayPublic), [E401, E403, E403, E403, Bare, Unlisted, Bare]),
        read("/api/v1/users/{id}/history?limit=200", "history", F(User), F(User), admin_only_read),
        read("/api/v1/clients/{id}/history?limit=200", "history", F(Client), F(Client), admin_only_read),
    ]
}

/// `name` made unique, for records that may be created several times.
fn unique(name: &str) -> String {
    format!("{name} {}", &Uuid::now_v7().simple().to_string()[20..])
}

fn event(title: &str, region: Option<&str>, status: &str) -> Value {
    let mut body = json!({
        "title": title,
        "kind": "meeting",
        "status": status,
        "starts_at": "2027-03-10T09:00:00+01:00",
        "ends_at": "2027-03-10T12:00:00+01:00",
    });
    match region {
        Some(region) => {
            body["region_code"] = json!(region);
            body["city"] = json!(if region == HOME { "Montpellier" } else { "Rennes" });
        }
        None => {
            body["online"] = json!(true);
            body["online_url"] = json!("https://visio.cress.example/webinaire");
        }
    }
    body
}

/// A new viewer account.
fn user_body() -> Value {
    json!({
        "email": format!("compte-{}@cress.example", Uuid::now_v7().simple()),
        "password": "une phrase de passe assez longue",
        "role": "viewer"
    })
}

/// A new viewer client.
fn client_body() -> Value {
    json!({"name": unique("SI partenaire"), "role": "viewer"})
}

/// A subscription switched off, to an address nothing listens on (the test servers allow
/// 127.0.0.1 as a webhook host).
fn webhook_body() -> Value {
    json!({"url": "http://127.0.0.1:9/hooks/matrix", "active": false})
}

fn sponsorship(sponsor: &str, beneficiary_type: &str, beneficiary: &str, public: bool) -> Value {
    json!({
        "sponsor_id": sponsor,
        "beneficiary": {"type": beneficiary_type, "id": beneficiary},
        "kind": "financial_patronage",
        "amount_cents": GIFT,
        "counterparts_cents": GIFT / 10,
        "starts_on": "2026-01-01",
        "status": "active",
        "public": public,
        "notes": "Logo sur les documents du bénéficiaire."
    })
}

/// The records every row reads or acts on, created as admin through the API.
struct Fixture {
    org_home: String,
    org_home_other: String,
    org_away: String,
    org_away_other: String,
    accreditation_home: String,
    accreditation_away: String,
    club_home: String,
    club_away: String,
    published_home: String,
    published_away: String,
    draft_home: String,
    draft_away: String,
    event_without_region: String,
    sponsorship_home_public: String,
    sponsorship_away_public: String,
    sponsorship_home_private: String,
    sponsorship_away_private: String,
    sponsorship_home_to_away: String,
    sponsorship_away_to_home: String,
    user: String,
    client: String,
    webhook: String,
}

/// Creates a record as admin and returns its id.
async fn create(app: &TestApp, path: &str, body: &Value) -> Result<String, String> {
    let response = app.post_json(path, body).await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let created: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    match (status, created["id"].as_str()) {
        (201, Some(id)) => Ok(id.to_owned()),
        _ => Err(format!("POST {path} {body} answered {status} {text}")),
    }
}

/// A subscription of an administrator other than the one of the cases (every token of the
/// matrix has the subject `test`), so that it is nobody else's.
async fn create_webhook(app: &TestApp) -> Result<String, String> {
    let response = app
        .as_subject("matrix-admin", &Role::Admin)
        .post_json("/api/v1/webhooks", &webhook_body())
        .await;
    let status = response.status().as_u16();
    let created: Value = response.json().await.unwrap_or(Value::Null);
    match (status, created["id"].as_str()) {
        (201, Some(id)) => Ok(id.to_owned()),
        _ => Err(format!("POST /api/v1/webhooks answered {status} {created}")),
    }
}

/// Adds `organisation` to `club` as admin.
async fn add_member(app: &TestApp, club: &str, organisation: &str) -> Result<(), String> {
    let path = format!("/api/v1/clubs/{club}/members");
    let body = json!({"organisation_id": organisation, "joined_on": "2026-01-15"});
    let response = app.post_json(&path, &body).await;
    match response.status().as_u16() {
        201 => Ok(()),
        status => Err(format!(
            "POST {path} answered {status} {}",
            response.text().await.unwrap_or_default()
        )),
    }
}

fn must<T>(result: Result<T, String>) -> T {
    result.unwrap_or_else(|why| panic!("the matrix fixture cannot be made: {why}"))
}

impl Fixture {
    async fn create(app: &TestApp) -> Self {
        let contacts = |name: &str, region: &str| {
            organisation(
                name,
                json!({"region_code": region, "email": "contact@structure.example", "phone": "04 67 00 00 00"}),
            )
        };
        let orgs = "/api/v1/organisations";
        let org_home = must(create(app, orgs, &contacts("Mutuelle partenaire", HOME)).await);
        let org_home_other = must(create(app, orgs, &contacts("Association de Lodève", HOME)).await);
        let org_away = must(create(app, orgs, &contacts("Coopérative rennaise", AWAY)).await);
        let org_away_other = must(create(app, orgs, &contacts("Association de Vannes", AWAY)).await);
        let accreditation = json!({"basis": "conditions", "applied_on": "2024-01-15"});
        let accreditation_home =
            must(create(app, &format!("{orgs}/{org_home}/esus-accreditations"), &accreditation).await);
        let accreditation_away =
            must(create(app, &format!("{orgs}/{org_away}/esus-accreditations"), &accreditation).await);
        let club = |name: &str, region: &str, host: &str| json!({"name": name, "region_code": region, "host_organisation_id": host});
        let club_home = must(create(app, "/api/v1/clubs", &club("Club occitan", HOME, &org_home_other)).await);
        let club_away = must(create(app, "/api/v1/clubs", &club("Club breton", AWAY, &org_away_other)).await);
        must(add_member(app, &club_home, &org_home_other).await);
        must(add_member(app, &club_away, &org_away_other).await);
        let events = "/api/v1/events";
        let published_home = must(create(app, events, &event("Forum occitan", Some(HOME), "published")).await);
        let published_away = must(create(app, events, &event("Forum breton", Some(AWAY), "published")).await);
        let draft_home = must(create(app, events, &event("Projet occitan", Some(HOME), "draft")).await);
        let draft_away = must(create(app, events, &event("Projet breton", Some(AWAY), "draft")).await);
        let event_without_region = must(create(app, events, &event("Webinaire national", None, "published")).await);
        let sponsorships = "/api/v1/sponsorships";
        let give = |sponsor: &str, kind: &str, beneficiary: &str, public: bool| {
            sponsorship(sponsor, kind, beneficiary, public)
        };
        let sponsorship_home_public = must(
            create(
                app,
                sponsorships,
                &give(&org_home, "organisation", &org_home_other, true),
            )
            .await,
        );
        let sponsorship_away_public = must(
            create(
                app,
                sponsorships,
                &give(&org_away, "organisation", &org_away_other, true),
            )
            .await,
        );
        let sponsorship_home_private =
            must(create(app, sponsorships, &give(&org_home, "club", &club_home, false)).await);
        let sponsorship_away_private =
            must(create(app, sponsorships, &give(&org_away, "club", &club_away, false)).await);
        let sponsorship_home_to_away =
            must(create(app, sponsorships, &give(&org_home, "event", &published_away, true)).await);
        let sponsorship_away_to_home =
            must(create(app, sponsorships, &give(&org_away, "event", &published_home, true)).await);
        let user = must(
            create(
                app,
                "/api/v1/users",
                &json!({"email": "lecteur@cress.example", "password": "une phrase de passe assez longue", "role": "viewer"}),
            )
            .await,
        );
        let client = must(
            create(
                app,
                "/api/v1/clients",
                &json!({"name": "SI de la mutuelle", "role": "viewer"}),
            )
            .await,
        );
        let webhook = must(create_webhook(app).await);
        Self {
            org_home,
            org_home_other,
            org_away,
            org_away_other,
            accreditation_home,
            accreditation_away,
            club_home,
            club_away,
            published_home,
            published_away,
            draft_home,
            draft_away,
            event_without_region,
            sponsorship_home_public,
            sponsorship_away_public,
            sponsorship_home_private,
            sponsorship_away_private,
            sponsorship_home_to_away,
            sponsorship_away_to_home,
            user,
            client,
            webhook,
        }
    }

    /// The organisation of the scope's region with contact details: the partner's inside.
    fn main_org(&self, scope: Scope) -> &str {
        match scope {
            Scope::Inside => &self.org_home,
            Scope::Outside => &self.org_away,
        }
    }

    /// The other organisation of the scope's region.
    fn other_org(&self, scope: Scope) -> &str {
        match scope {
            Scope::Inside => &self.org_home_other,
            Scope::Outside => &self.org_away_other,
        }
    }

    /// No record: a creation.
    fn collection(&self) -> Target {
        Target {
            vars: Vec::new(),
            item: None,
            partner_org: self.org_home.clone(),
        }
    }

    /// A new organisation of the case's region; one of region 76 stands for the partner's own,
    /// so the partner of the case is its partner. Returns its id and the partner's organisation.
    async fn new_organisation(&self, app: &TestApp, scope: Scope) -> Result<(String, String), String> {
        let body = organisation(&unique("Structure"), json!({"region_code": region_of(scope)}));
        let id = create(app, "/api/v1/organisations", &body).await?;
        let partner_org = match scope {
            Scope::Inside => id.clone(),
            Scope::Outside => self.org_home.clone(),
        };
        Ok((id, partner_org))
    }

    /// A target whose `{id}` is `id`, found in lists by its `id`.
    fn record(&self, id: &str) -> Target {
        Target {
            vars: vec![("id", id.to_owned())],
            item: Some(("id", id.to_owned())),
            partner_org: self.org_home.clone(),
        }
    }

    /// The membership of `organisation` in `club`.
    fn membership(&self, club: &str, organisation: &str) -> Target {
        Target {
            vars: vec![("id", club.to_owned()), ("organisation_id", organisation.to_owned())],
            item: Some(("organisation_id", organisation.to_owned())),
            partner_org: self.org_home.clone(),
        }
    }

    /// The accreditation list of `organisation`, looked at for `accreditation`.
    fn accreditations(&self, organisation: &str, accreditation: &str) -> Target {
        Target {
            vars: vec![("id", organisation.to_owned())],
            item: Some(("id", accreditation.to_owned())),
            partner_org: self.org_home.clone(),
        }
    }

    fn target(&self, rec: Rec) -> Target {
        match rec {
            Rec::OrgHome => self.record(&self.org_home),
            Rec::OrgHomeOther => self.record(&self.org_home_other),
            Rec::OrgAway => self.record(&self.org_away),
            Rec::OrgAwayOther => self.record(&self.org_away_other),
            Rec::AccreditationsOfHome => self.accreditations(&self.org_home, &self.accreditation_home),
            Rec::AccreditationsOfAway => self.accreditations(&self.org_away, &self.accreditation_away),
            Rec::AccreditationHome => self.record(&self.accreditation_home),
            Rec::AccreditationAway => self.record(&self.accreditation_away),
            Rec::ClubHome => self.record(&self.club_home),
            Rec::ClubAway => self.record(&self.club_away),
            Rec::MemberHome => self.membership(&self.club_home, &self.org_home_other),
            Rec::MemberAway => self.membership(&self.club_away, &self.org_away_other),
            Rec::PublishedHome => self.record(&self.published_home),
            Rec::PublishedAway => self.record(&self.published_away),
            Rec::DraftHome => self.record(&self.draft_home),
            Rec::DraftAway => self.record(&self.draft_away),
            Rec::EventWithoutRegion => self.record(&self.event_without_region),
            Rec::SponsorshipHomePublic => self.record(&self.sponsorship_home_public),
            Rec::SponsorshipAwayPublic => self.record(&self.sponsorship_away_public),
            Rec::SponsorshipHomePrivate => self.record(&self.sponsorship_home_private),
            Rec::SponsorshipAwayPrivate => self.record(&self.sponsorship_away_private),
            Rec::SponsorshipHomeToAway => self.record(&self.sponsorship_home_to_away),
            Rec::SponsorshipAwayToHome => self.record(&self.sponsorship_away_to_home),
            Rec::User => self.record(&self.user),
            Rec::Client => self.record(&self.client),
            Rec::Webhook => self.record(&self.webhook),
        }
    }

    /// Makes the record of `make` in the case's region, as admin.
    async fn fresh(&self, app: &TestApp, make: Make, scope: Scope) -> Result<Target, String> {
        let (region, main, other) = (region_of(scope), self.main_org(scope), self.other_org(scope));
        let club = match scope {
            Scope::Inside => &self.club_home,
            Scope::Outside => &self.club_away,
        };
        Ok(match make {
            Make::Organisation => {
                let (id, partner_org) = self.new_organisation(app, scope).await?;
                Target {
                    partner_org,
                    ..self.record(&id)
                }
            }
            Make::Accreditation => {
                let (organisation, partner_org) = self.new_organisation(app, scope).await?;
                let path = format!("/api/v1/organisations/{organisation}/esus-accreditations");
                let id = create(app, &path, &json!({"basis": "conditions", "applied_on": "2024-01-15"})).await?;
                Target {
                    partner_org,
                    ..self.record(&id)
                }
            }
            Make::Club => {
                let body = json!({"name": unique("Club"), "region_code": region, "host_organisation_id": other});
                self.record(&create(app, "/api/v1/clubs", &body).await?)
            }
            Make::Member => {
                let (organisation, partner_org) = self.new_organisation(app, scope).await?;
                add_member(app, club, &organisation).await?;
                Target {
                    partner_org,
                    ..self.membership(club, &organisation)
                }
            }
            Make::MemberCandidate => {
                let (organisation, partner_org) = self.new_organisation(app, scope).await?;
                Target {
                    vars: vec![("id", club.clone()), ("member", organisation)],
                    item: None,
                    partner_org,
                }
            }
            Make::Event => self.record(
                &create(
                    app,
                    "/api/v1/events",
                    &event(&unique("Atelier"), Some(region), "published"),
                )
                .await?,
            ),
            Make::Sponsorship => self.record(
                &create(
                    app,
                    "/api/v1/sponsorships",
                    &sponsorship(main, "organisation", other, true),
                )
                .await?,
            ),
            Make::User => self.record(&create(app, "/api/v1/users", &user_body()).await?),
            Make::Client => self.record(&create(app, "/api/v1/clients", &client_body()).await?),
            Make::Webhook => self.record(&create_webhook(app).await?),
        })
    }
}

/// How a read answers: one record, a list page, or the sponsorship summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    One,
    List,
    Summary,
}

fn template_of(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

fn shape_of(path: &str) -> Shape {
    let template = template_of(path);
    if template.ends_with('}') {
        Shape::One
    } else if template.ends_with("/summary") {
        Shape::Summary
    } else {
        Shape::List
    }
}

/// Whether `field` is in `shown` (`items[].x`: in every item, of which there must be some):
/// `Ok(true)` everywhere, `Ok(false)` nowhere.
fn field_present(shown: &Value, field: &str) -> Result<bool, String> {
    match field.strip_prefix("items[].") {
        None => Ok(shown.get(field).is_some()),
        Some(inner) => {
            let items = shown["items"]
                .as_array()
                .filter(|items| !items.is_empty())
                .ok_or_else(|| "no items to look at".to_owned())?;
            let present = items.iter().filter(|item| item.get(inner).is_some()).count();
            match present {
                0 => Ok(false),
                n if n == items.len() => Ok(true),
                n => Err(format!("{inner} is in {n} items of {}", items.len())),
            }
        }
    }
}

/// Checks a 200 answer of a read against `expect`.
fn check_read(row: &Row, target: &Target, expect: Exp, body: &Value) -> Result<(), String> {
    let shown = match shape_of(row.path) {
        Shape::One | Shape::Summary => body,
        Shape::List => {
            let (key, id) = target.item.as_ref().expect("a list row names the record to look for");
            let items = body["items"].as_array().ok_or_else(|| "no items array".to_owned())?;
            match (expect, items.iter().find(|item| item[*key] == id.as_str())) {
                (Exp::Unlisted, None) if body["next_cursor"].is_null() => return Ok(()),
                (Exp::Unlisted, None) => return Err("not on the first page: more than 200 records".into()),
                (Exp::Unlisted, Some(_)) => return Err(format!("{key} {id} is listed")),
                (_, None) => return Err(format!("{key} {id} is not listed")),
                (_, Some(item)) => item,
            }
        }
    };
    assert_ne!(
        expect,
        Exp::Unlisted,
        "{}: only a list can leave a record out",
        row.path
    );
    let want = matches!(expect, Exp::Full | Exp::Sums(_, Some(_)));
    let mut wrong = Vec::new();
    if let Exp::Sums(count, total) = expect {
        let counted: i64 = shown["items"]
            .as_array()
            .map(|items| items.iter().filter_map(|item| item["count"].as_i64()).sum())
            .unwrap_or_default();
        if counted != count {
            wrong.push(format!("counts {counted} sponsorships, not {count}"));
        }
        if let Some(total) = total.filter(|total| shown["total_amount_cents"] != *total) {
            wrong.push(format!("total_amount_cents is not {total}"));
        }
    }
    for field in row.confidential {
        match field_present(shown, field) {
            Ok(present) if present == want => {}
            Ok(present) => wrong.push(format!("{field} {}", if present { "present" } else { "absent" })),
            Err(why) => wrong.push(why),
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join(", "))
    }
}

fn excerpt(text: &str) -> String {
    let flat = text.replace('\n', " ");
    match flat.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// Runs one case; `Err` says how the answer differs from `expect`.
async fn run_case(app: &TestApp, fx: &Fixture, row: &Row, who: Who, scope: Scope, expect: Exp) -> Result<(), String> {
    let sel = match scope {
        Scope::Inside => row.inside,
        Scope::Outside => row.outside,
    };
    let target = match sel {
        Sel::Collection => fx.collection(),
        Sel::Fixture(rec) => fx.target(rec),
        Sel::Fresh(make) => fx
            .fresh(app, make, scope)
            .await
            .map_err(|why| format!("setup failed: {why}"))?,
    };
    let path = target.fill(row.path);
    let caller = match who {
        Who::Anonymous => app.as_anonymous(),
        Who::Viewer => app.as_role(&Role::Viewer),
        Who::Partner => app.as_role(&partner_of(&json!(target.partner_org))),
        Who::Manager => app.as_role(&manager_of(HOME)),
        Who::Admin => app.as_admin(),
    };
    let mut request = caller.request(row.method.clone(), &path);
    if let Some(body) = row.body {
        request = request.json(&body(&Ctx {
            fx,
            target: &target,
            scope,
        }));
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let got = format!("got {status} {}", excerpt(&text));
    let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    match expect {
        Exp::Status(want) if want != status => Err(got),
        Exp::Status(401) if json["code"] != "unauthenticated" => Err(format!("not the unauthenticated problem; {got}")),
        Exp::Status(403) if json["code"] != "forbidden" => Err(format!("not the forbidden problem; {got}")),
        Exp::Status(_) => Ok(()),
        _ if status != 200 => Err(got),
        read_expectation => check_read(row, &target, read_expectation, &json).map_err(|why| format!("{why}; {got}")),
    }
}

fn describe(who: Who, scope: Scope) -> &'static str {
    match (who, scope) {
        (Who::Anonymous, _) => "anonymous",
        (Who::Viewer, _) => "viewer",
        (Who::Partner, Scope::Inside) => "partner inside",
        (Who::Partner, Scope::Outside) => "partner outside",
        (Who::Manager, Scope::Inside) => "cress_manager inside",
        (Who::Manager, Scope::Outside) => "cress_manager outside",
        (Who::Admin, _) => "admin",
    }
}

fn expected(exp: Exp) -> String {
    match exp {
        Exp::Status(status) => status.to_string(),
        Exp::Full => "200 with confidential fields".into(),
        Exp::Bare => "200 without confidential fields".into(),
        Exp::Unlisted => "200 without the record".into(),
        Exp::Sums(count, None) => format!("200 counting {count}, without amounts"),
        Exp::Sums(count, Some(total)) => format!("200 counting {count}, amounts totalling {total}"),
    }
}

on_both_backends! {
    async fn every_operation_answers_every_caller_as_the_role_table_says(app: TestApp) {
        let fx = Fixture::create(&app).await;
        let rows = rows();
        let mut mismatches = Vec::new();
        let mut cases = 0;
        for row in &rows {
            for ((who, scope), expect) in CASES.into_iter().zip(row.expect) {
                cases += 1;
                if let Err(why) = run_case(&app, &fx, row, who, scope, expect).await {
                    mismatches.push(format!(
                        "{} {} [{}] as {}: expected {}; {why}",
                        row.method,
                        row.path,
                        row.about,
                        describe(who, scope),
                        expected(expect)
                    ));
                }
            }
        }
        assert!(
            mismatches.is_empty(),
            "{} of {cases} cases ({} rows, {:?}) differ from the role table:\n{}",
            mismatches.len(),
            rows.len(),
            app.backend,
            mismatches.join("\n")
        );
    }
}

#[test]
fn every_operation_of_the_openapi_document_has_a_row() {
    let doc = serde_json::to_value(cress_api::openapi()).expect("the document serialises");
    let methods = ["get", "put", "post", "delete", "patch"];
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("the document has paths")
        .iter()
        .filter(|(path, _)| path.starts_with("/api/v1/") && !path.starts_with("/api/v1/auth/"))
        .flat_map(|(path, item)| {
            methods
                .iter()
                .filter(|method| item.get(**method).is_some())
                .map(|method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    let tabled: BTreeSet<(String, String)> = rows()
        .iter()
        .map(|row| (row.method.to_string(), template_of(row.path).to_owned()))
        .collect();
    let missing: Vec<_> = documented.difference(&tabled).collect();
    let unknown: Vec<_> = tabled.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "operations without a row in the matrix: {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        "rows for operations the document does not have: {unknown:?}"
    );
}
