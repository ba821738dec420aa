//! `cress-api seed --demo`: a small, real-looking data set retelling docs/domain.md Part C — the Cress
//! Occitanie, its club of local authorities for the ESS, the meeting in Lodève on 19 September,
//! a mutual that sits on the club's steering committee and supports it as a patron, its Mois de
//! l'ESS conference for young people, and ESUS-accredited organisations of the region.
//!
//! Every record goes through the API itself (in process, no network), so it passes exactly the
//! rules a user's request would. Each record is looked up by a natural key first (a name, a
//! title, an agreement reference), so running the command twice adds nothing.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use actix_web::{App, web};
use anyhow::{anyhow, bail};
use serde_json::{Value, json};
use utoipa_actix_web::AppExt;

use std::sync::Arc;

use crate::auth::Auth;
use crate::core::Role;
use crate::http::AppState;
use crate::http::extract::BodyLimit;
use crate::store::Store;

/// What a seed run did.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub created: usize,
    pub existing: usize,
}

/// Loads the demo data set; records that are already there are left as they are. The records
/// are written as an administrator, with a token minted for the run.
pub async fn demo(store: Store, auth: Auth) -> anyhow::Result<SeedReport> {
    let (token, _) = auth.access_token("cress-api-seed", &Role::Admin)?;
    let state = AppState {
        store,
        auth: Arc::new(auth),
        sender: crate::http::delivery::Sender::new(&crate::config::WebhookSettings::default())?,
    };
    let app = App::new()
        .into_utoipa_app()
        .app_data(web::Data::new(state))
        .app_data(BodyLimit(1 << 20));
    let service = actix_web::test::init_service(crate::app::routes(app).into_app()).await;
    let mut seed = Seeder {
        service: &service,
        bearer: format!("Bearer {token}"),
        report: SeedReport::default(),
    };

    let cress = seed
        .organisation(json!({
            "name": "Cress Occitanie", "category": "network", "legal_category_code": "9220", "region_code": "76",
            "street": "1 place de la Comédie", "postal_code": "34000", "city": "Montpellier", "commune_code": "34172",
            "website": "https://www.cress-occitanie.example/", "email": "contact@cress-occitanie.example",
            "description": "Chambre régionale de l'économie sociale et solidaire d'Occitanie."
        }))
        .await?;
    let cress_bretagne = seed
        .organisation(json!({
            "name": "Cress Bretagne", "category": "network", "legal_category_code": "9220", "region_code": "53",
            "postal_code": "35000", "city": "Rennes", "commune_code": "35238"
        }))
        .await?;
    let cress_nouvelle_aquitaine = seed.organisation(json!({
        "name": "Cress Nouvelle-Aquitaine", "category": "network", "legal_category_code": "9220", "region_code": "75",
        "postal_code": "33000", "city": "Bordeaux", "commune_code": "33063"
    })).await?;
    let cress_centre = seed.organisation(json!({
        "name": "Cress Centre-Val de Loire", "category": "network", "legal_category_code": "9220", "region_code": "24",
        "postal_code": "45000", "city": "Orléans", "commune_code": "45234"
    })).await?;
    let mutual = seed.organisation(json!({
        "name": "Mutuelle Entraide Santé", "category": "mutual", "legal_category_code": "8210", "region_code": "76",
        "street": "12 rue de la Loge", "postal_code": "34000", "city": "Montpellier", "commune_code": "34172",
        "website": "https://www.entraide-sante.example/", "email": "partenariats@entraide-sante.example",
        "phone": "04 67 00 00 00", "founded_on": "1947-03-01",
        "description": "Mutuelle santé de l'ESS, partenaire des Cress de Bretagne, de Nouvelle-Aquitaine et d'Occitanie."
    })).await?;
    let lodeve = seed
        .organisation(json!({
            "name": "Commune de Lodève", "category": "local_authority", "legal_category_code": "7210",
            "region_code": "76", "postal_code": "34700", "city": "Lodève", "commune_code": "34142"
        }))
        .await?;
    let epci = seed
        .organisation(json!({
            "name": "Communauté de communes Lodévois et Larzac", "category": "local_authority",
            "legal_category_code": "7346", "region_code": "76", "postal_code": "34700", "city": "Lodève",
            "commune_code": "34142"
        }))
        .await?;
    let herault = seed
        .organisation(json!({
            "name": "Département de l'Hérault", "category": "local_authority", "legal_category_code": "7220",
            "region_code": "76", "postal_code": "34000", "city": "Montpellier", "commune_code": "34172"
        }))
        .await?;
    let clermont = seed
        .organisation(json!({
            "name": "Commune de Clermont-l'Hérault", "category": "local_authority", "legal_category_code": "7210",
            "region_code": "76", "postal_code": "34800", "city": "Clermont-l'Hérault", "commune_code": "34079"
        }))
        .await?;
    let recyclerie = seed
        .organisation(json!({
            "name": "Recyclerie du Lodévois", "category": "association", "legal_category_code": "9220",
            "rna": "W343012345", "region_code": "76", "postal_code": "34700", "city": "Lodève", "commune_code": "34142",
            "founded_on": "2012-05-10", "description": "Atelier et chantier d'insertion : réemploi et réparation."
        }))
        .await?;
    let scop = seed
        .organisation(json!({
            "name": "SCOP Les Ateliers du Salagou", "category": "cooperative", "legal_category_code": "5458",
            "region_code": "76", "postal_code": "34800", "city": "Clermont-l'Hérault", "commune_code": "34079",
            "founded_on": "2016-09-01", "description": "Menuiserie et écoconstruction en société coopérative."
        }))
        .await?;
    let gardens = seed
        .organisation(json!({
            "name": "Jardins partagés du Lodévois", "category": "association", "legal_category_code": "9220",
            "region_code": "76", "postal_code": "34700", "city": "Lodève", "commune_code": "34142",
            "founded_on": "2010-03-15"
        }))
        .await?;
    let energy = seed
        .organisation(json!({
            "name": "Énergies citoyennes d'Occitanie", "category": "cooperative", "region_code": "76",
            "postal_code": "34000", "city": "Montpellier", "commune_code": "34172", "founded_on": "2024-06-01",
            "description": "Société coopérative d'intérêt collectif de production d'énergie renouvelable."
        }))
        .await?;

    // ESUS accreditations: two in force, one expired, one application under review.
    let prefecture = "Préfecture de l'Hérault";
    seed.accreditation(&recyclerie, json!({
        "status": "granted", "basis": "by_right", "applied_on": "2024-03-01", "decided_on": "2024-04-15",
        "valid_from": "2024-04-15", "authority": prefecture, "department_code": "34",
        "decision_reference": "34-2024-ESUS-012", "notes": "Agrément de plein droit : atelier et chantier d'insertion."
    })).await?;
    seed.accreditation(
        &scop,
        json!({
            "status": "granted", "basis": "conditions", "applied_on": "2025-01-10", "decided_on": "2025-03-03",
            "valid_from": "2025-03-03", "authority": prefecture, "department_code": "34",
            "decision_reference": "34-2025-ESUS-004"
        }),
    )
    .await?;
    seed.accreditation(
        &gardens,
        json!({
            "status": "granted", "basis": "conditions", "applied_on": "2019-01-20", "decided_on": "2019-03-01",
            "valid_from": "2019-03-01", "valid_until": "2024-02-29", "authority": prefecture, "department_code": "34",
            "decision_reference": "34-2019-ESUS-031", "notes": "Non renouvelé à ce jour."
        }),
    )
    .await?;
    seed.accreditation(
        &energy,
        json!({
            "status": "applied", "basis": "conditions", "applied_on": "2026-10-05", "authority": prefecture,
            "department_code": "34"
        }),
    )
    .await?;

    // The club of local authorities, its members and its steering committee.
    let club = seed
        .club(json!({
            "name": "Club des collectivités locales pour l'ESS", "region_code": "76", "host_organisation_id": cress,
            "audience": "Élus et agents des collectivités locales (communes, EPCI, départements)",
            "description": "Plusieurs rencontres en visio par an et deux journées en présentiel pour se former \
                            et s'informer sur l'ESS et ses outils de développement territorial."
        }))
        .await?;
    for (member, role, joined_on) in [
        (&cress, "facilitator", "2021-01-01"),
        (&lodeve, "member", "2022-02-01"),
        (&epci, "member", "2022-02-01"),
        (&clermont, "member", "2023-09-15"),
        (&herault, "steering_committee", "2021-01-01"),
        (&mutual, "steering_committee", "2026-02-01"),
    ] {
        seed.member(
            &club,
            json!({"organisation_id": member, "role": role, "joined_on": joined_on}),
        )
        .await?;
    }

    // Events: an online session, the day in Lodève (held), the conference of the Mois de l'ESS.
    seed.event(json!({
        "title": "Visio du club : la commande publique responsable", "kind": "webinar", "status": "published",
        "starts_at": "2026-06-12T10:00:00+02:00", "ends_at": "2026-06-12T11:30:00+02:00",
        "online": true, "online_url": "https://visio.cress-occitanie.example/club-collectivites",
        "region_code": "76", "club_id": club, "capacity": 100, "attendance": 34,
        "themes": ["commande-publique"], "organisers": [{"organisation_id": cress, "role": "organiser"}]
    }))
    .await?;
    let lodeve_meeting = seed
        .event(json!({
            "title": "Journée du club à Lodève : développer les territoires ruraux et périurbains avec l'ESS",
            "kind": "meeting", "status": "published",
            "starts_at": "2026-09-19T09:30:00+02:00", "ends_at": "2026-09-19T16:30:00+02:00",
            "online": false, "venue": "Salle des fêtes", "city": "Lodève", "postal_code": "34700",
            "commune_code": "34142", "region_code": "76", "club_id": club, "capacity": 80, "attendance": 60,
            "description": "Les outils dont disposent les collectivités pour développer les territoires ruraux \
                            et périurbains avec l'ESS.",
            "themes": ["developpement-territorial", "ruralite"],
            "organisers": [
                {"organisation_id": cress, "role": "organiser"},
                {"organisation_id": lodeve, "role": "co_organiser"},
                {"organisation_id": mutual, "role": "partner"}
            ]
        }))
        .await?;
    let conference = seed
        .event(json!({
            "title": "L'ESS et le mutualisme expliqués aux jeunes", "kind": "conference", "status": "published",
            "starts_at": "2026-11-27T14:00:00+01:00", "ends_at": "2026-11-27T17:00:00+01:00",
            "online": false, "venue": "Maison des étudiants", "city": "Montpellier", "postal_code": "34000",
            "commune_code": "34172", "region_code": "76", "capacity": 150,
            "description": "Pendant le Mois de l'ESS, la mutuelle présente l'économie sociale et solidaire \
                            et le mutualisme à des lycéens et étudiants.",
            "themes": ["mois-de-l-ess", "jeunesse"],
            "organisers": [
                {"organisation_id": mutual, "role": "organiser"},
                {"organisation_id": cress, "role": "partner"}
            ]
        }))
        .await?;
    let _ = lodeve_meeting;

    // The mutual's sponsorships: patron of the club, its own conference, and three Cress.
    let sponsorships = [
        json!({"beneficiary": {"type": "club", "id": club}, "kind": "financial_patronage",
               "amount_cents": 1_500_000, "counterparts_cents": 200_000, "starts_on": "2026-01-01",
               "ends_on": "2026-12-31", "status": "active", "public": true,
               "agreement_reference": "ES-2026-CLUB-01",
               "notes": "Mécénat du club des collectivités ; contreparties : logo et invitations."}),
        json!({"beneficiary": {"type": "event", "id": conference}, "kind": "in_kind_patronage",
               "amount_cents": 350_000, "counterparts_cents": 0, "starts_on": "2026-11-27",
               "ends_on": "2026-11-27", "status": "active", "public": true,
               "agreement_reference": "ES-2026-MOIS-ESS"}),
        json!({"beneficiary": {"type": "organisation", "id": cress_bretagne}, "kind": "financial_patronage",
               "amount_cents": 800_000, "counterparts_cents": 50_000, "starts_on": "2026-01-01",
               "ends_on": "2026-12-31", "status": "active", "public": true,
               "agreement_reference": "ES-2026-CRESS-53"}),
        json!({"beneficiary": {"type": "organisation", "id": cress_nouvelle_aquitaine}, "kind": "skills_patronage",
               "amount_cents": 600_000, "counterparts_cents": 0, "starts_on": "2026-03-01",
               "ends_on": "2027-02-28", "status": "active", "public": false,
               "agreement_reference": "ES-2026-CRESS-75"}),
        json!({"beneficiary": {"type": "organisation", "id": cress_centre}, "kind": "financial_patronage",
               "amount_cents": 500_000, "counterparts_cents": 0, "starts_on": "2027-01-01",
               "ends_on": "2027-12-31", "status": "proposed", "public": false,
               "agreement_reference": "ES-2027-CRESS-24", "notes": "Partenariat en préparation."}),
    ];
    for mut body in sponsorships {
        body["sponsor_id"] = mutual.clone();
        seed.sponsorship(&mutual, body).await?;
    }
    Ok(seed.report)
}

struct Seeder<'a, S> {
    service: &'a S,
    bearer: String,
    report: SeedReport,
}

impl<S, B> Seeder<'_, S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> anyhow::Result<(StatusCode, Value)> {
        let mut request = TestRequest::default()
            .method(method.clone())
            .uri(path)
            .insert_header((actix_web::http::header::AUTHORIZATION, self.bearer.as_str()));
        if let Some(body) = body {
            request = request.set_json(body);
        }
        let response = self
            .service
            .call(request.to_request())
            .await
            .map_err(|e| anyhow!("{method} {path}: {e}"))?;
        let status = response.status();
        let bytes = actix_web::body::to_bytes(response.into_body())
            .await
            .map_err(|_| anyhow!("unreadable answer"))?;
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)?
        };
        Ok((status, json))
    }

    /// Creates with `POST path` unless `existing` found the record; returns its id.
    async fn create(&mut self, path: &str, body: &Value, existing: Option<Value>) -> anyhow::Result<Value> {
        if let Some(id) = existing {
            self.report.existing += 1;
            return Ok(id);
        }
        let (status, answer) = self.call(Method::POST, path, Some(body)).await?;
        if status != StatusCode::CREATED {
            bail!("POST {path} answered {status}: {answer}");
        }
        self.report.created += 1;
        Ok(answer.get("id").cloned().unwrap_or(Value::Null))
    }

    /// The id of the first item of `GET path` whose `field` equals `value`.
    async fn find(&self, path: &str, field: &str, value: &Value) -> anyhow::Result<Option<Value>> {
        let (status, page) = self.call(Method::GET, path, None).await?;
        if status != StatusCode::OK {
            bail!("GET {path} answered {status}: {page}");
        }
        let items = page["items"].as_array().cloned().unwrap_or_default();
        Ok(items
            .into_iter()
            .find(|item| &item[field] == value)
            .map(|item| item["id"].clone()))
    }

    async fn organisation(&mut self, body: Value) -> anyhow::Result<Value> {
        let path = format!("/api/v1/organisations?limit=200&q={}", query_value(&body["name"]));
        let existing = self.find(&path, "name", &body["name"]).await?;
        self.create("/api/v1/organisations", &body, existing).await
    }

    async fn accreditation(&mut self, organisation: &Value, body: Value) -> anyhow::Result<()> {
        let path = format!("/api/v1/organisations/{}/esus-accreditations", id_of(organisation));
        let (status, page) = self.call(Method::GET, &path, None).await?;
        if status != StatusCode::OK {
            bail!("GET {path} answered {status}: {page}");
        }
        let existing = page["items"]
            .as_array()
            .and_then(|items| items.first())
            .map(|item| item["id"].clone());
        self.create(&path, &body, existing).await.map(|_| ())
    }

    async fn club(&mut self, body: Value) -> anyhow::Result<Value> {
        let path = format!("/api/v1/clubs?limit=200&q={}", query_value(&body["name"]));
        let existing = self.find(&path, "name", &body["name"]).await?;
        self.create("/api/v1/clubs", &body, existing).await
    }

    async fn member(&mut self, club: &Value, body: Value) -> anyhow::Result<()> {
        let path = format!(
            "/api/v1/clubs/{}/members/{}",
            id_of(club),
            id_of(&body["organisation_id"])
        );
        let (status, _) = self.call(Method::GET, &path, None).await?;
        let existing = (status == StatusCode::OK).then(|| body["organisation_id"].clone());
        self.create(&format!("/api/v1/clubs/{}/members", id_of(club)), &body, existing)
            .await
            .map(|_| ())
    }

    async fn event(&mut self, body: Value) -> anyhow::Result<Value> {
        let path = format!("/api/v1/events?limit=200&q={}", query_value(&body["title"]));
        let existing = self.find(&path, "title", &body["title"]).await?;
        self.create("/api/v1/events", &body, existing).await
    }

    async fn sponsorship(&mut self, sponsor: &Value, body: Value) -> anyhow::Result<()> {
        let path = format!("/api/v1/sponsorships?limit=200&sponsor_id={}", id_of(sponsor));
        let existing = self
            .find(&path, "agreement_reference", &body["agreement_reference"])
            .await?;
        self.create("/api/v1/sponsorships", &body, existing).await.map(|_| ())
    }
}

fn id_of(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// A text value written into a query string.
fn query_value(value: &Value) -> String {
    form_urlencoded::byte_serialize(id_of(value).as_bytes()).collect()
}
