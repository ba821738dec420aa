//! `cress-api seed --demo`: the story of docs/domain.md Part C, loaded once however often it runs.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, json_of, settings_for};
use crate::on_both_backends;

/// Runs the demo seed against the test app's database, as `cress-api seed --demo` does.
async fn seed(app: &TestApp) -> cress_api::seed::SeedReport {
    let settings = settings_for(&app.database_url);
    let store = cress_api::store::Store::connect(&settings)
        .await
        .expect("the test database connects");
    let auth = cress_api::auth::Auth::load(&settings).expect("the test keys load");
    cress_api::seed::demo(store, auth).await.expect("the demo data loads")
}

/// The single item of a list answer whose `field` is `value`.
fn only<'a>(page: &'a Value, field: &str, value: &str) -> &'a Value {
    let items: Vec<&Value> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|item| item[field] == value)
        .collect();
    assert_eq!(items.len(), 1, "exactly one item with {field} = {value} in {page}");
    items[0]
}

on_both_backends! {
    async fn seed_loads_the_part_c_story_once_when_run_twice(app: TestApp) {
        let first = seed(&app).await;
        let second = seed(&app).await;

        assert!(first.created > 20, "the first run creates the data set: {first:?}");
        assert_eq!(second.created, 0, "the second run adds nothing: {second:?}");
        assert_eq!(second.existing, first.created, "the second run finds every record: {second:?}");

        let clubs = json_of(app.get("/api/v1/clubs?q=collectivites").await, StatusCode::OK).await;
        let club = only(&clubs, "name", "Club des collectivités locales pour l'ESS");
        assert_eq!(club["region_code"], "76");
        assert_eq!(club["host_organisation"]["name"], "Cress Occitanie");
        let club_id = club["id"].as_str().unwrap();
        let steering = json_of(
            app.get(&format!("/api/v1/clubs/{club_id}/members?role=steering_committee")).await,
            StatusCode::OK,
        )
        .await;
        only(&steering, "organisation_name", "Mutuelle Entraide Santé");

        let meetings = json_of(app.get("/api/v1/events?q=lodeve").await, StatusCode::OK).await;
        let meeting = &meetings["items"][0];
        assert_eq!(meeting["city"], "Lodève");
        assert_eq!(meeting["commune_code"], "34142");
        assert_eq!(meeting["attendance"], 60, "about sixty participants");
        assert_eq!(meeting["starts_at"], "2026-09-19T07:30:00Z");
        let conferences = json_of(app.get("/api/v1/events?theme=mois-de-l-ess").await, StatusCode::OK).await;
        only(&conferences, "title", "L'ESS et le mutualisme expliqués aux jeunes");

        for (status, name) in [
            ("granted", "SCOP Les Ateliers du Salagou"),
            ("expired", "Jardins partagés du Lodévois"),
            ("applied", "Énergies citoyennes d'Occitanie"),
        ] {
            let page = json_of(
                app.get(&format!("/api/v1/organisations?region_code=76&esus_status={status}")).await,
                StatusCode::OK,
            )
            .await;
            assert_eq!(only(&page, "name", name)["esus"]["status"], status);
        }

        let patronage = json_of(
            app.get(&format!("/api/v1/sponsorships?beneficiary_type=club&beneficiary_id={club_id}")).await,
            StatusCode::OK,
        )
        .await;
        let patron = only(&patronage, "kind", "financial_patronage");
        assert_eq!(patron["sponsor_name"], "Mutuelle Entraide Santé");
        assert_eq!(patron["amount_cents"], 1_500_000);
    }
}
