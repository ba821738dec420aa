//! ESUS accreditations: `/api/v1/organisations/{id}/esus-accreditations` and
//! `/api/v1/esus-accreditations/{id}`, with the lifecycle, validity, one-open and summary rules of
//! docs/domain.md. Dates that depend on "today" are built from the current UTC date, as the server's.

use chrono::{Days, Months, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use cress_api::core::Role;

use crate::helpers::{Backend, TestApp, failing_fields, json_of, manager_of, organisation, partner_of, problem_of};
use crate::on_both_backends;

const UNKNOWN_ID: &str = "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11";

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Today moved by `offset` days, as JSON text.
fn day(offset: i64) -> String {
    let date = if offset >= 0 {
        today() + Days::new(offset.unsigned_abs())
    } else {
        today() - Days::new(offset.unsigned_abs())
    };
    date.to_string()
}

/// Today moved by `offset` months (a missing day falls on the month's last).
fn month(offset: i32) -> String {
    let months = Months::new(offset.unsigned_abs());
    let date = if offset >= 0 {
        today().checked_add_months(months)
    } else {
        today().checked_sub_months(months)
    };
    date.expect("a representable date").to_string()
}

/// `base` with `overrides` laid over it.
fn with(mut base: Value, overrides: Value) -> Value {
    if let (Some(base), Some(overrides)) = (base.as_object_mut(), overrides.as_object()) {
        for (key, value) in overrides {
            base.insert(key.clone(), value.clone());
        }
    }
    base
}

/// A valid new application, filed a month ago.
fn application(overrides: Value) -> Value {
    with(json!({"basis": "conditions", "applied_on": day(-30)}), overrides)
}

/// A valid granted accreditation in force: applied a year ago, valid from 11 months ago.
fn granted(overrides: Value) -> Value {
    with(
        json!({
            "status": "granted",
            "basis": "conditions",
            "applied_on": day(-365),
            "decided_on": day(-335),
            "valid_from": day(-335),
            "authority": "Préfecture de l'Hérault",
            "department_code": "34"
        }),
        overrides,
    )
}

/// A valid refused accreditation (never open, so any number can be recorded).
fn refused(applied_on: &str) -> Value {
    json!({"status": "refused", "basis": "conditions", "applied_on": applied_on, "decided_on": applied_on})
}

fn history_path(organisation_id: &str) -> String {
    format!("/api/v1/organisations/{organisation_id}/esus-accreditations")
}

fn accreditation_path(accreditation: &Value) -> String {
    format!("/api/v1/esus-accreditations/{}", id_of(accreditation))
}

fn id_of(value: &Value) -> &str {
    value["id"].as_str().expect("an id")
}

/// Creates an organisation (founded on `founded_on` when given) and returns its id.
async fn new_organisation(app: &TestApp, name: &str, founded_on: Option<&str>) -> String {
    let overrides = match founded_on {
        Some(date) => json!({"category": "cooperative", "city": "Montpellier", "founded_on": date}),
        None => json!({"category": "cooperative", "city": "Montpellier"}),
    };
    id_of(&app.create_organisation(organisation(name, overrides)).await).to_owned()
}

async fn post_accreditation(app: &TestApp, organisation_id: &str, body: &Value) -> reqwest::Response {
    app.post_json(&history_path(organisation_id), body).await
}

/// Records an accreditation, failing the test unless it is created.
async fn create_accreditation(app: &TestApp, organisation_id: &str, body: Value) -> Value {
    json_of(
        post_accreditation(app, organisation_id, &body).await,
        StatusCode::CREATED,
    )
    .await
}

async fn read(app: &TestApp, path: &str) -> Value {
    json_of(app.get(path).await, StatusCode::OK).await
}

async fn read_organisation(app: &TestApp, organisation_id: &str) -> Value {
    read(app, &format!("/api/v1/organisations/{organisation_id}")).await
}

/// The whole history of an organisation, following the cursors.
async fn history(app: &TestApp, organisation_id: &str) -> Vec<Value> {
    app.all_pages(&format!("{}?limit=200", history_path(organisation_id)))
        .await
}

/// What the database holds, read directly: the status of an accreditation and the summary
/// columns of its organisation.
async fn stored_statuses(app: &TestApp, accreditation_id: &str) -> (String, Option<String>, Option<NaiveDate>) {
    use sqlx::Connection;
    const SQL: &str = "select a.status, o.esus_status, o.esus_valid_until \
        from esus_accreditations a join organisations o on o.id = a.organisation_id where a.id = $1";
    let id = uuid::Uuid::parse_str(accreditation_id).expect("a uuid");
    match app.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&app.database_url)
                .await
                .expect("SQLite connects");
            sqlx::query_as(SQL)
                .bind(id)
                .fetch_one(&mut conn)
                .await
                .expect("the row exists")
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&app.database_url)
                .await
                .expect("PostgreSQL connects");
            sqlx::query_as(SQL)
                .bind(id)
                .fetch_one(&mut conn)
                .await
                .expect("the row exists")
        }
    }
}

/// The names of the organisations a list query returns, sorted.
async fn names(app: &TestApp, query: &str) -> Vec<String> {
    let mut names: Vec<String> = app
        .all_pages(&format!("/api/v1/organisations?{query}"))
        .await
        .iter()
        .map(|o| o["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    names.sort();
    names
}

on_both_backends! {
    async fn create_returns_201_with_location_and_status_applied_when_the_body_is_minimal(app: TestApp) {
        let org = new_organisation(&app, "Scic Maison de l'économie solidaire", None).await;
        let before = read_organisation(&app, &org).await;

        let response = post_accreditation(&app, &org, &json!({"basis": "by_right", "applied_on": day(-10)})).await;

        let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        let created = json_of(response, StatusCode::CREATED).await;
        assert_eq!(location, Some(accreditation_path(&created)));
        assert_eq!(created["organisation_id"], json!(org));
        assert_eq!(created["status"], "applied", "applied by default");
        assert_eq!(created["basis"], "by_right");
        assert_eq!(created["applied_on"], json!(day(-10)));
        for field in ["decided_on", "valid_from", "valid_until", "withdrawn_on", "authority", "department_code", "decision_reference", "notes"] {
            assert_eq!(created[field], Value::Null, "{field} of {created}");
        }
        assert_eq!(created["version"], 1);
        assert_eq!(created["created_at"], created["updated_at"]);
        assert_eq!(read(&app, &accreditation_path(&created)).await, created, "read back as created");
        let after = read_organisation(&app, &org).await;
        assert_eq!(after["esus"], json!({"status": "applied", "valid_until": null}));
        assert_eq!(after["version"], before["version"].as_i64().unwrap() + 1, "the summary changed: {after}");
    }

    async fn create_records_a_grant_valid_five_years_less_a_day_when_valid_until_is_omitted(app: TestApp) {
        let org = new_organisation(&app, "Scop Montpellier", Some("2001-09-01")).await;

        let created = create_accreditation(&app, &org, json!({
            "status": "granted",
            "basis": "conditions",
            "applied_on": "2023-05-02",
            "decided_on": "2023-07-03",
            "valid_from": "2023-07-03",
            "authority": "  Préfecture de l'Hérault  ",
            "department_code": "34",
            "decision_reference": " DDETS34-ESUS-2023-051 ",
            "notes": "Agrément pour cinq ans."
        })).await;

        assert_eq!(created["valid_until"], "2028-07-02");
        assert_eq!(created["status"], "granted");
        assert_eq!(created["authority"], "Préfecture de l'Hérault", "trimmed");
        assert_eq!(created["decision_reference"], "DDETS34-ESUS-2023-051", "trimmed");
        assert_eq!(created["department_code"], "34");
        let summary = read_organisation(&app, &org).await["esus"].clone();
        assert_eq!(summary, json!({"status": "granted", "valid_until": "2028-07-02"}));
    }

    async fn create_computes_two_years_less_a_day_when_the_organisation_was_founded_less_than_three_years_before(app: TestApp) {
        let young = new_organisation(&app, "Jeune Scic", Some("2021-03-02")).await;
        let three_years = new_organisation(&app, "Scic de trois ans", Some("2021-03-01")).await;
        let undated = new_organisation(&app, "Scic sans date", None).await;
        let body = json!({"status": "granted", "basis": "conditions", "applied_on": "2024-03-01", "decided_on": "2024-04-01", "valid_from": "2024-04-01"});

        let young = create_accreditation(&app, &young, body.clone()).await;
        let three_years = create_accreditation(&app, &three_years, body.clone()).await;
        let undated = create_accreditation(&app, &undated, body).await;

        assert_eq!(young["valid_until"], "2026-03-31", "founded 2 years and 364 days before applying: 2 years");
        assert_eq!(three_years["valid_until"], "2029-03-31", "founded exactly 3 years before: 5 years");
        assert_eq!(undated["valid_until"], "2029-03-31", "no foundation date: 5 years");
    }

    async fn create_ends_the_validity_on_27_february_when_valid_from_is_a_leap_day(app: TestApp) {
        let established = new_organisation(&app, "Coopérative ancienne", Some("1990-01-01")).await;
        let young = new_organisation(&app, "Coopérative récente", Some("2023-01-01")).await;
        let body = json!({"status": "granted", "basis": "conditions", "applied_on": "2024-01-10", "decided_on": "2024-02-29", "valid_from": "2024-02-29"});

        let five_years = create_accreditation(&app, &established, body.clone()).await;
        let two_years = create_accreditation(&app, &young, body).await;

        // 2029 and 2026 have no 29 February: the anniversary is the 28th, the last day the 27th.
        assert_eq!(five_years["valid_until"], "2029-02-27");
        assert_eq!(two_years["valid_until"], "2026-02-27");
    }

    async fn create_keeps_valid_until_when_it_is_given(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;

        let created = create_accreditation(&app, &org, granted(json!({"valid_until": day(400)}))).await;

        assert_eq!(created["valid_until"], json!(day(400)));
    }

    async fn create_returns_422_naming_decided_on_and_valid_from_when_granted_without_them(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let before = read_organisation(&app, &org).await;

        let response = post_accreditation(&app, &org, &json!({"status": "granted", "basis": "conditions", "applied_on": day(-30)})).await;

        let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(failing_fields(&problem), ["decided_on", "valid_from"], "in {problem}");
        assert!(problem["errors"].as_array().unwrap().iter().all(|e| e["code"] == "required"), "{problem}");
        assert!(history(&app, &org).await.is_empty(), "nothing stored");
        assert_eq!(read_organisation(&app, &org).await, before, "the organisation is untouched");
    }

    async fn create_returns_422_naming_decided_on_when_refused_without_it(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;

        let response = post_accreditation(&app, &org, &json!({"status": "refused", "basis": "conditions", "applied_on": day(-30)})).await;

        let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(failing_fields(&problem), ["decided_on"]);
        assert_eq!(problem["errors"][0]["code"], "required");
        assert!(history(&app, &org).await.is_empty());
    }

    async fn create_returns_422_with_mismatch_when_dates_are_out_of_order(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let cases = [
            (granted(json!({"decided_on": day(-366)})), "decided_on", "decided before the application"),
            (granted(json!({"valid_until": day(-336)})), "valid_until", "ends before it starts"),
            (json!({"status": "refused", "basis": "conditions", "applied_on": day(-10), "decided_on": day(-11)}), "decided_on", "refused before the application"),
        ];
        for (body, field, what) in cases {
            let response = post_accreditation(&app, &org, &body).await;
            let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            assert_eq!(failing_fields(&problem), [field], "{what}: {problem}");
            assert_eq!(problem["errors"][0]["code"], "mismatch", "{what}: {problem}");
        }
        assert!(history(&app, &org).await.is_empty());
    }

    async fn create_returns_422_with_the_rule_broken_when_a_field_is_invalid(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let cases = [
            (application(json!({"department_code": "20"})), "department_code", "unknown_code", "Corsica is 2A or 2B"),
            (application(json!({"department_code": "96"})), "department_code", "unknown_code", "no department 96"),
            (application(json!({"department_code": "977"})), "department_code", "unknown_code", "no department 977"),
            (application(json!({"department_code": "3"})), "department_code", "invalid_format", "one digit"),
            (application(json!({"department_code": "Hérault"})), "department_code", "invalid_format", "a name"),
            (application(json!({"authority": "x".repeat(201)})), "authority", "too_long", "authority over 200"),
            (application(json!({"authority": "   "})), "authority", "blank", "blank authority"),
            (application(json!({"decision_reference": "r".repeat(101)})), "decision_reference", "too_long", "reference over 100"),
            (application(json!({"notes": "n".repeat(5001)})), "notes", "too_long", "notes over 5000"),
            (json!({"applied_on": day(-30)}), "basis", "required", "basis missing"),
            (application(json!({"basis": null})), "basis", "required", "basis null"),
            (application(json!({"basis": "automatic"})), "basis", "unknown_value", "unknown basis"),
            (json!({"basis": "conditions"}), "applied_on", "required", "applied_on missing"),
            (application(json!({"applied_on": day(1)})), "applied_on", "in_future", "applied tomorrow"),
            (application(json!({"applied_on": "15/01/2024"})), "applied_on", "invalid_type", "French date format"),
            (application(json!({"status": "withdrawn"})), "status", "unknown_value", "cannot start withdrawn"),
            (application(json!({"status": "expired"})), "status", "unknown_value", "expired is never written"),
            (application(json!({"withdrawn_on": day(-1)})), "withdrawn_on", "unknown_field", "no withdrawal on creation"),
            (application(json!({"organisation_id": UNKNOWN_ID})), "organisation_id", "unknown_field", "the organisation is in the path"),
            (application(json!({"decided_on": day(-1)})), "decided_on", "not_allowed", "an application has no decision"),
            (application(json!({"valid_from": day(-1)})), "valid_from", "not_allowed", "an application has no validity"),
            (json!({"status": "refused", "basis": "conditions", "applied_on": day(-9), "decided_on": day(-1), "valid_until": day(9)}), "valid_until", "not_allowed", "a refusal has no validity"),
            (granted(json!({"decided_on": day(1)})), "decided_on", "in_future", "decided tomorrow"),
        ];
        for (body, field, code, what) in cases {
            let response = post_accreditation(&app, &org, &body).await;

            let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            let errors = problem["errors"].as_array().expect("errors listed");
            assert!(
                errors.iter().any(|e| e["field"] == field && e["code"] == code && e["message"].as_str().is_some_and(|m| !m.is_empty())),
                "{what}: expected {field}/{code} in {problem}"
            );
        }
        assert!(history(&app, &org).await.is_empty(), "nothing invalid was stored");
        assert_eq!(read_organisation(&app, &org).await["esus"], Value::Null);
    }

    async fn create_returns_422_listing_every_failing_field_when_several_are_invalid(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let body = json!({"status": "granted", "applied_on": day(2), "department_code": "00", "notes": "   "});

        let response = post_accreditation(&app, &org, &body).await;

        let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let mut fields = failing_fields(&problem);
        fields.sort();
        assert_eq!(fields, ["applied_on", "basis", "decided_on", "department_code", "notes", "valid_from"], "in {problem}");
    }

    async fn create_accepts_every_form_of_department_code(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        for (input, stored) in [("34", "34"), ("2A", "2A"), ("2b", "2B"), (" 01 ", "01"), ("95", "95"), ("971", "971"), ("976", "976")] {
            let body = with(refused(&day(-5)), json!({"department_code": input}));

            let created = create_accreditation(&app, &org, body).await;

            assert_eq!(created["department_code"], stored, "{input:?}");
        }
    }

    async fn create_returns_404_when_the_organisation_does_not_exist(app: TestApp) {
        let response = post_accreditation(&app, UNKNOWN_ID, &application(json!({}))).await;

        let problem = problem_of(response, StatusCode::NOT_FOUND, "not_found").await;
        assert!(problem["detail"].as_str().unwrap().contains("organisation"), "{problem}");
    }

    async fn create_returns_409_open_accreditation_naming_it_when_an_application_is_open(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let open = create_accreditation(&app, &org, application(json!({}))).await;
        let summary = read_organisation(&app, &org).await;

        for body in [application(json!({"applied_on": day(-1)})), granted(json!({"applied_on": day(-20), "decided_on": day(-1), "valid_from": day(-1)}))] {
            let response = post_accreditation(&app, &org, &body).await;

            let problem = problem_of(response, StatusCode::CONFLICT, "open_accreditation").await;
            let detail = problem["detail"].as_str().unwrap();
            assert!(detail.contains(id_of(&open)), "the detail names the open one: {detail}");
            assert!(detail.contains("applied"), "and its status: {detail}");
        }
        assert_eq!(history(&app, &org).await, [open], "nothing stored");
        assert_eq!(read_organisation(&app, &org).await, summary, "the organisation is untouched");
    }

    async fn create_returns_409_when_a_granted_one_is_in_force_beyond_six_months(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let after_window = (today().checked_add_months(Months::new(6)).unwrap() + Days::new(1)).to_string();
        let open = create_accreditation(&app, &org, granted(json!({"valid_until": after_window}))).await;

        let response = post_accreditation(&app, &org, &application(json!({}))).await;

        let problem = problem_of(response, StatusCode::CONFLICT, "open_accreditation").await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(id_of(&open)) && detail.contains("granted"), "{detail}");
        assert_eq!(history(&app, &org).await.len(), 1);
    }

    async fn create_allows_a_renewal_when_the_granted_one_ends_within_six_months(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        create_accreditation(&app, &org, granted(json!({"valid_until": month(6)}))).await;

        let renewal = create_accreditation(&app, &org, application(json!({"applied_on": day(0)}))).await;

        assert_eq!(renewal["status"], "applied");
        assert_eq!(read_organisation(&app, &org).await["esus"], json!({"status": "applied", "valid_until": null}), "the latest is the renewal");
        let response = post_accreditation(&app, &org, &application(json!({"applied_on": day(0)}))).await;
        let problem = problem_of(response, StatusCode::CONFLICT, "open_accreditation").await;
        assert!(problem["detail"].as_str().unwrap().contains(id_of(&renewal)), "the renewal is the one in the way: {problem}");
        assert_eq!(history(&app, &org).await.len(), 2);
    }

    async fn create_allows_a_renewal_recorded_as_granted_when_the_previous_ends_within_six_months(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let ending = month(2);
        create_accreditation(&app, &org, granted(json!({"valid_until": ending}))).await;
        let next_start = (today().checked_add_months(Months::new(2)).unwrap() + Days::new(1)).to_string();

        let renewal = create_accreditation(&app, &org, granted(json!({"applied_on": day(-20), "decided_on": day(-2), "valid_from": next_start}))).await;

        assert_eq!(renewal["status"], "granted");
    }

    async fn create_allows_a_new_application_when_the_previous_is_refused_withdrawn_or_expired(app: TestApp) {
        let after_refusal = new_organisation(&app, "Refusée", None).await;
        create_accreditation(&app, &after_refusal, refused(&day(-60))).await;
        let after_withdrawal = new_organisation(&app, "Retirée", None).await;
        let withdrawn = create_accreditation(&app, &after_withdrawal, granted(json!({}))).await;
        json_of(app.patch_json(&accreditation_path(&withdrawn), &json!({"status": "withdrawn", "withdrawn_on": day(-5)})).await, StatusCode::OK).await;
        let after_expiry = new_organisation(&app, "Expirée", None).await;
        create_accreditation(&app, &after_expiry, granted(json!({"valid_until": day(-1)}))).await;

        for org in [after_refusal, after_withdrawal, after_expiry] {
            let created = create_accreditation(&app, &org, application(json!({"applied_on": day(0)}))).await;
            assert_eq!(created["status"], "applied");
            assert_eq!(history(&app, &org).await.len(), 2);
        }
    }

    async fn create_records_exactly_one_when_applications_arrive_concurrently(app: TestApp) {
        let org = new_organisation(&app, "Scop très demandée", None).await;
        let bodies: Vec<Value> = (0..5).map(|i| application(json!({"notes": format!("demande {i}")}))).collect();

        let responses = futures_util::future::join_all(bodies.iter().map(|body| post_accreditation(&app, &org, body))).await;

        let mut created = 0;
        for response in responses {
            match response.status() {
                StatusCode::CREATED => created += 1,
                StatusCode::CONFLICT => {
                    problem_of(response, StatusCode::CONFLICT, "open_accreditation").await;
                }
                other => panic!("unexpected {other}: {}", response.text().await.unwrap_or_default()),
            }
        }
        assert_eq!(created, 1, "exactly one application is recorded");
        assert_eq!(history(&app, &org).await.len(), 1);
        assert_eq!(read_organisation(&app, &org).await["version"], 2, "the summary changed once");
    }

    async fn get_returns_404_problem_when_the_accreditation_does_not_exist(app: TestApp) {
        let path = format!("/api/v1/esus-accreditations/{UNKNOWN_ID}");

        problem_of(app.get(&path).await, StatusCode::NOT_FOUND, "not_found").await;
        problem_of(app.patch_json(&path, &json!({"notes": "x"})).await, StatusCode::NOT_FOUND, "not_found").await;
        problem_of(app.delete(&path).await, StatusCode::NOT_FOUND, "not_found").await;
    }

    async fn get_reads_expired_when_a_granted_accreditation_has_ended(app: TestApp) {
        let ended = new_organisation(&app, "Agrément échu", None).await;
        let last_day = new_organisation(&app, "Dernier jour", None).await;
        let expired = create_accreditation(&app, &ended, granted(json!({"valid_until": day(-1)}))).await;
        let in_force = create_accreditation(&app, &last_day, granted(json!({"valid_until": day(0)}))).await;

        assert_eq!(expired["status"], "expired", "as answered on creation");
        assert_eq!(read(&app, &accreditation_path(&expired)).await["status"], "expired");
        assert_eq!(history(&app, &ended).await[0]["status"], "expired");
        assert_eq!(read_organisation(&app, &ended).await["esus"], json!({"status": "expired", "valid_until": day(-1)}));
        assert_eq!(in_force["status"], "granted", "in force on its last day");
        assert_eq!(read_organisation(&app, &last_day).await["esus"]["status"], "granted");
    }

    async fn create_stores_granted_never_expired_when_the_validity_has_ended(app: TestApp) {
        let org = new_organisation(&app, "Agrément échu", None).await;

        let expired = create_accreditation(&app, &org, granted(json!({"valid_until": day(-1)}))).await;

        assert_eq!(expired["status"], "expired");
        let (status, summary_status, summary_until) = stored_statuses(&app, id_of(&expired)).await;
        assert_eq!(status, "granted", "expired is derived when read, never written");
        assert_eq!(summary_status.as_deref(), Some("granted"), "the summary column too");
        assert_eq!(summary_until.map(|d| d.to_string()), Some(day(-1)));
    }

    async fn update_grants_an_application_with_the_default_validity(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let created = create_accreditation(&app, &org, application(json!({"applied_on": "2026-01-15"}))).await;
        let path = accreditation_path(&created);

        let response = app.patch_json(&path, &json!({"status": "granted", "decided_on": "2026-03-02", "valid_from": "2026-03-02", "decision_reference": "DDETS34-2026-12"})).await;

        let updated = json_of(response, StatusCode::OK).await;
        assert_eq!(updated["status"], "granted");
        assert_eq!(updated["valid_until"], "2031-03-01");
        assert_eq!(updated["version"], 2);
        assert_eq!(updated["created_at"], created["created_at"]);
        assert_ne!(updated["updated_at"], created["updated_at"]);
        assert_eq!(read(&app, &path).await, updated);
        assert_eq!(read_organisation(&app, &org).await["esus"], json!({"status": "granted", "valid_until": "2031-03-01"}));
    }

    async fn update_refuses_an_application_when_decided_on_is_given(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let created = create_accreditation(&app, &org, application(json!({}))).await;

        let response = app.patch_json(&accreditation_path(&created), &json!({"status": "refused", "decided_on": day(-1)})).await;

        let updated = json_of(response, StatusCode::OK).await;
        assert_eq!(updated["status"], "refused");
        assert_eq!(read_organisation(&app, &org).await["esus"], json!({"status": "refused", "valid_until": null}));
    }

    async fn update_withdraws_a_granted_accreditation_in_force(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let created = create_accreditation(&app, &org, granted(json!({}))).await;

        let response = app
            .send_raw(
                reqwest::Method::PATCH,
                &accreditation_path(&created),
                Some("application/merge-patch+json"),
                json!({"status": "withdrawn", "withdrawn_on": day(-3)}).to_string().into_bytes(),
            )
            .await;

        let updated = json_of(response, StatusCode::OK).await;
        assert_eq!(updated["status"], "withdrawn");
        assert_eq!(updated["withdrawn_on"], json!(day(-3)));
        assert_eq!(updated["valid_until"], created["valid_until"], "the period stays on record");
        assert_eq!(read_organisation(&app, &org).await["esus"]["status"], "withdrawn");
    }

    async fn update_returns_409_illegal_transition_when_the_lifecycle_forbids_the_status(app: TestApp) {
        // One organisation per starting status, each with a complete, valid set of dates so
        // that only the transition can be at fault.
        let applied = create_accreditation(&app, &new_organisation(&app, "A", None).await, application(json!({}))).await;
        let in_force = create_accreditation(&app, &new_organisation(&app, "G", None).await, granted(json!({}))).await;
        let expired = create_accreditation(&app, &new_organisation(&app, "E", None).await, granted(json!({"valid_until": day(-2)}))).await;
        let refused = create_accreditation(&app, &new_organisation(&app, "R", None).await, refused(&day(-20))).await;
        let withdrawn = create_accreditation(&app, &new_organisation(&app, "W", None).await, granted(json!({}))).await;
        let withdrawn = json_of(app.patch_json(&accreditation_path(&withdrawn), &json!({"status": "withdrawn", "withdrawn_on": day(-1)})).await, StatusCode::OK).await;
        let decision = json!({"decided_on": day(-1), "valid_from": day(-1)});
        let cases = [
            (&applied, "withdrawn", json!({"withdrawn_on": day(-1)}), "an accreditation that is applied cannot become withdrawn; an application can only become granted or refused"),
            (&in_force, "applied", json!({}), "an accreditation that is granted cannot become applied; a granted accreditation can only be withdrawn"),
            (&in_force, "refused", json!({}), "an accreditation that is granted cannot become refused; a granted accreditation can only be withdrawn"),
            (&expired, "withdrawn", json!({"withdrawn_on": day(-3)}), "an accreditation that is expired cannot become withdrawn; it has ended; record a new application to renew it"),
            (&expired, "applied", json!({}), "an accreditation that is expired cannot become applied; it has ended; record a new application to renew it"),
            (&expired, "refused", json!({}), "an accreditation that is expired cannot become refused; it has ended; record a new application to renew it"),
            (&refused, "granted", decision.clone(), "an accreditation that is refused cannot become granted; refused is final"),
            (&refused, "applied", json!({}), "an accreditation that is refused cannot become applied; refused is final"),
            (&refused, "withdrawn", json!({"withdrawn_on": day(-1)}), "an accreditation that is refused cannot become withdrawn; refused is final"),
            (&withdrawn, "granted", json!({}), "an accreditation that is withdrawn cannot become granted; withdrawn is final"),
            (&withdrawn, "applied", json!({}), "an accreditation that is withdrawn cannot become applied; withdrawn is final"),
            (&withdrawn, "refused", json!({}), "an accreditation that is withdrawn cannot become refused; withdrawn is final"),
        ];
        for (current, to, dates, detail) in cases {
            let path = accreditation_path(current);
            let before = read(&app, &path).await;

            let response = app.patch_json(&path, &with(json!({"status": to}), dates)).await;

            let problem = problem_of(response, StatusCode::CONFLICT, "illegal_transition").await;
            assert_eq!(problem["detail"], detail, "{} → {to}", before["status"]);
            assert_eq!(read(&app, &path).await, before, "{} → {to} changed nothing", before["status"]);
        }
    }

    async fn update_returns_422_naming_the_missing_dates_when_granting_or_refusing_without_them(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let created = create_accreditation(&app, &org, application(json!({}))).await;
        let path = accreditation_path(&created);

        let grant = problem_of(app.patch_json(&path, &json!({"status": "granted"})).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let refuse = problem_of(app.patch_json(&path, &json!({"status": "refused"})).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let half = problem_of(app.patch_json(&path, &json!({"status": "granted", "decided_on": day(-1)})).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

        assert_eq!(failing_fields(&grant), ["decided_on", "valid_from"]);
        assert_eq!(failing_fields(&refuse), ["decided_on"]);
        assert_eq!(failing_fields(&half), ["valid_from"]);
        assert_eq!(read(&app, &path).await, created, "nothing changed");
    }

    async fn update_returns_422_when_withdrawing_without_withdrawn_on_or_outside_the_validity(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let created = create_accreditation(&app, &org, granted(json!({}))).await;
        let path = accreditation_path(&created);
        let cases = [
            (json!({"status": "withdrawn"}), "required", "no withdrawal date"),
            (json!({"status": "withdrawn", "withdrawn_on": day(-336)}), "mismatch", "before valid_from"),
            (json!({"status": "withdrawn", "withdrawn_on": day(1)}), "in_future", "tomorrow"),
            (json!({"withdrawn_on": day(-1)}), "not_allowed", "a date without the status"),
        ];
        for (patch, code, what) in cases {
            let problem = problem_of(app.patch_json(&path, &patch).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            assert_eq!(failing_fields(&problem), ["withdrawn_on"], "{what}: {problem}");
            assert_eq!(problem["errors"][0]["code"], code, "{what}: {problem}");
        }
        assert_eq!(read(&app, &path).await, created, "nothing changed");
    }

    async fn update_returns_422_when_the_body_breaks_a_rule(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let created = create_accreditation(&app, &org, granted(json!({}))).await;
        let path = accreditation_path(&created);
        let cases = [
            (json!({"status": null}), "status", "the status cannot be cleared"),
            (json!({"basis": null}), "basis", "the basis cannot be cleared"),
            (json!({"applied_on": null}), "applied_on", "applied_on cannot be cleared"),
            (json!({"valid_from": null}), "valid_from", "a granted one keeps its start"),
            (json!({"status": "expired"}), "status", "expired is never written"),
            (json!({"valid_until": day(-400)}), "valid_until", "before valid_from"),
            (json!({"department_code": "2C"}), "department_code", "not a department"),
            (json!({"organisation_id": UNKNOWN_ID}), "organisation_id", "an accreditation does not move"),
        ];
        for (patch, field, what) in cases {
            let problem = problem_of(app.patch_json(&path, &patch).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            assert!(failing_fields(&problem).contains(&field.to_owned()), "{what}: {field} not listed in {problem}");
        }
        assert_eq!(read(&app, &path).await, created, "nothing changed");
    }

    async fn update_keeps_the_version_when_the_patch_changes_nothing(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let created = create_accreditation(&app, &org, granted(json!({"notes": "Agrément"}))).await;
        let organisation = read_organisation(&app, &org).await;

        let response = app.patch_json(&accreditation_path(&created), &json!({"status": "granted", "notes": "  Agrément ", "authority": "Préfecture de l'Hérault"})).await;

        assert_eq!(json_of(response, StatusCode::OK).await, created);
        assert_eq!(read_organisation(&app, &org).await, organisation);
    }

    async fn update_recomputes_valid_until_when_it_is_cleared(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let created = create_accreditation(&app, &org, granted(json!({"applied_on": "2025-12-01", "valid_from": "2026-01-05", "decided_on": "2026-01-05", "valid_until": "2027-01-04"}))).await;

        let response = app.patch_json(&accreditation_path(&created), &json!({"valid_until": null})).await;

        assert_eq!(json_of(response, StatusCode::OK).await["valid_until"], "2031-01-04");
        assert_eq!(read_organisation(&app, &org).await["esus"]["valid_until"], "2031-01-04", "the summary follows");
    }

    async fn update_changes_the_texts_of_a_final_accreditation(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let created = create_accreditation(&app, &org, refused(&day(-20))).await;

        let response = app.patch_json(&accreditation_path(&created), &json!({"notes": "Recours gracieux rejeté.", "department_code": "2a"})).await;

        let updated = json_of(response, StatusCode::OK).await;
        assert_eq!(updated["notes"], "Recours gracieux rejeté.");
        assert_eq!(updated["department_code"], "2A");
        assert_eq!(updated["status"], "refused");
        assert_eq!(updated["version"], 2);
    }

    async fn update_returns_409_open_accreditation_when_an_ended_one_would_reopen_beside_an_open_one(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let expired = create_accreditation(&app, &org, granted(json!({"valid_until": day(-1)}))).await;
        let open = create_accreditation(&app, &org, application(json!({"applied_on": day(0)}))).await;

        let response = app.patch_json(&accreditation_path(&expired), &json!({"valid_until": month(24)})).await;

        let problem = problem_of(response, StatusCode::CONFLICT, "open_accreditation").await;
        assert!(problem["detail"].as_str().unwrap().contains(id_of(&open)), "{problem}");
        assert_eq!(read(&app, &accreditation_path(&expired)).await, expired, "nothing changed");
    }

    async fn update_grants_a_renewal_while_the_previous_one_is_still_in_force(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let previous = create_accreditation(&app, &org, granted(json!({"valid_until": month(3)}))).await;
        let renewal = create_accreditation(&app, &org, application(json!({"applied_on": day(0)}))).await;
        let next_start = (today().checked_add_months(Months::new(3)).unwrap() + Days::new(1)).to_string();

        let response = app.patch_json(&accreditation_path(&renewal), &json!({"status": "granted", "decided_on": day(0), "valid_from": next_start})).await;

        let granted_renewal = json_of(response, StatusCode::OK).await;
        assert_eq!(granted_renewal["status"], "granted");
        let notes = app.patch_json(&accreditation_path(&previous), &json!({"notes": "Renouvelé."})).await;
        assert_eq!(notes.status(), StatusCode::OK, "the previous one of a renewal pair can still be edited");
        let pushed_back = app.patch_json(&accreditation_path(&previous), &json!({"valid_until": month(12)})).await;
        problem_of(pushed_back, StatusCode::CONFLICT, "open_accreditation").await;
    }

    async fn list_returns_the_history_newest_first_across_pages(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let other = new_organisation(&app, "Autre", None).await;
        create_accreditation(&app, &other, refused(&day(-1))).await;
        let mut expected = Vec::new();
        for applied_on in [day(-300), day(-10), day(-200), day(-10), day(-100)] {
            expected.push(create_accreditation(&app, &org, refused(&applied_on)).await);
        }
        // applied_on descending, then id descending (ids are time-ordered: the later first).
        expected.sort_by(|a, b| {
            let key = |v: &Value| (v["applied_on"].as_str().unwrap().to_owned(), v["id"].as_str().unwrap().to_owned());
            key(b).cmp(&key(a))
        });

        let listed = app.all_pages(&format!("{}?limit=2", history_path(&org))).await;

        assert_eq!(listed, expected);
        let first = json_of(app.get(&format!("{}?limit=5", history_path(&org))).await, StatusCode::OK).await;
        assert_eq!(first["next_cursor"], Value::Null, "the last page has no cursor");
    }

    async fn list_returns_404_when_the_organisation_does_not_exist_and_an_empty_page_when_it_has_none(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;

        let empty = json_of(app.get(&history_path(&org)).await, StatusCode::OK).await;
        let missing = app.get(&history_path(UNKNOWN_ID)).await;

        assert_eq!(empty, json!({"items": [], "next_cursor": null, "has_more": false}));
        problem_of(missing, StatusCode::NOT_FOUND, "not_found").await;
    }

    async fn list_returns_400_when_a_parameter_or_cursor_is_invalid(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let path = history_path(&org);

        problem_of(app.get(&format!("{path}?limit=0")).await, StatusCode::BAD_REQUEST, "invalid_parameter").await;
        problem_of(app.get(&format!("{path}?status=granted")).await, StatusCode::BAD_REQUEST, "invalid_parameter").await;
        problem_of(app.get(&format!("{path}?cursor=nope")).await, StatusCode::BAD_REQUEST, "invalid_cursor").await;
    }

    async fn delete_returns_204_and_refreshes_the_summary(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let older = create_accreditation(&app, &org, refused(&day(-100))).await;
        let newer = create_accreditation(&app, &org, application(json!({}))).await;
        let before = read_organisation(&app, &org).await;
        assert_eq!(before["esus"]["status"], "applied");

        let response = app.delete(&accreditation_path(&newer)).await;

        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        problem_of(app.get(&accreditation_path(&newer)).await, StatusCode::NOT_FOUND, "not_found").await;
        let after = read_organisation(&app, &org).await;
        assert_eq!(after["esus"], json!({"status": "refused", "valid_until": null}), "the older one is the latest now");
        assert_eq!(after["version"], before["version"].as_i64().unwrap() + 1);
        assert_eq!(app.delete(&accreditation_path(&older)).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(read_organisation(&app, &org).await["esus"], Value::Null, "no accreditation left");
        problem_of(app.delete(&accreditation_path(&older)).await, StatusCode::NOT_FOUND, "not_found").await;
    }

    async fn delete_organisation_returns_409_in_use_when_it_has_accreditations(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let accreditation = create_accreditation(&app, &org, refused(&day(-100))).await;
        let organisation_path = format!("/api/v1/organisations/{org}");
        let before = read_organisation(&app, &org).await;

        let response = app.delete(&organisation_path).await;

        let problem = problem_of(response, StatusCode::CONFLICT, "in_use").await;
        assert!(problem["detail"].as_str().unwrap().contains("1 ESUS accreditation"), "{problem}");
        assert_eq!(read_organisation(&app, &org).await, before, "nothing changed");
        assert_eq!(history(&app, &org).await, std::slice::from_ref(&accreditation), "still there");
        assert_eq!(app.delete(&accreditation_path(&accreditation)).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(app.delete(&organisation_path).await.status(), StatusCode::NO_CONTENT, "deletable once free");
    }

    async fn summary_follows_the_latest_accreditation_and_bumps_the_version_only_when_it_changes(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        let version = |o: &Value| o["version"].as_i64().unwrap();
        let start = read_organisation(&app, &org).await;
        assert_eq!(start["esus"], Value::Null);

        let application = create_accreditation(&app, &org, application(json!({"applied_on": day(-20)}))).await;
        let applied = read_organisation(&app, &org).await;
        json_of(app.patch_json(&accreditation_path(&application), &json!({"notes": "Dossier complet."})).await, StatusCode::OK).await;
        let after_notes = read_organisation(&app, &org).await;
        create_accreditation(&app, &org, refused(&day(-400))).await;
        let after_older = read_organisation(&app, &org).await;
        json_of(app.patch_json(&accreditation_path(&application), &json!({"status": "granted", "decided_on": day(-1), "valid_from": day(0)})).await, StatusCode::OK).await;
        let granted = read_organisation(&app, &org).await;

        assert_eq!(version(&applied), version(&start) + 1);
        assert_ne!(applied["updated_at"], start["updated_at"]);
        assert_eq!(after_notes, applied, "a change that leaves the summary as it was does not touch the organisation");
        assert_eq!(after_older, applied, "an older accreditation is not the latest");
        let five_years = today().checked_add_months(Months::new(60)).unwrap() - Days::new(1);
        assert_eq!(granted["esus"], json!({"status": "granted", "valid_until": five_years.to_string()}));
        assert_eq!(version(&granted), version(&applied) + 1);
    }

    async fn organisation_update_leaves_the_summary_alone(app: TestApp) {
        let org = new_organisation(&app, "Scop", None).await;
        create_accreditation(&app, &org, granted(json!({}))).await;
        let path = format!("/api/v1/organisations/{org}");
        let before = read_organisation(&app, &org).await;

        let updated = json_of(app.patch_json(&path, &json!({"city": "Lodève"})).await, StatusCode::OK).await;
        let refused = app.patch_json(&path, &json!({"esus": null})).await;

        assert_eq!(updated["esus"], before["esus"]);
        let problem = problem_of(refused, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(failing_fields(&problem), ["esus"], "esus is read-only: {problem}");
        assert_eq!(read_organisation(&app, &org).await["esus"], before["esus"]);
    }

    async fn list_organisations_filters_by_esus_status(app: TestApp) {
        new_organisation(&app, "Sans agrément", None).await;
        let applied = new_organisation(&app, "Demande", None).await;
        create_accreditation(&app, &applied, application(json!({}))).await;
        let in_force = new_organisation(&app, "En vigueur", None).await;
        create_accreditation(&app, &in_force, granted(json!({}))).await;
        let expired = new_organisation(&app, "Échu", None).await;
        create_accreditation(&app, &expired, granted(json!({"valid_until": day(-1)}))).await;
        let refused_org = new_organisation(&app, "Refusé", None).await;
        create_accreditation(&app, &refused_org, refused(&day(-10))).await;
        let withdrawn = new_organisation(&app, "Retiré", None).await;
        let to_withdraw = create_accreditation(&app, &withdrawn, granted(json!({}))).await;
        json_of(app.patch_json(&accreditation_path(&to_withdraw), &json!({"status": "withdrawn", "withdrawn_on": day(-1)})).await, StatusCode::OK).await;

        for (status, name) in [
            ("none", "Sans agrément"),
            ("applied", "Demande"),
            ("granted", "En vigueur"),
            ("expired", "Échu"),
            ("refused", "Refusé"),
            ("withdrawn", "Retiré"),
        ] {
            assert_eq!(names(&app, &format!("esus_status={status}")).await, [name], "esus_status={status}");
        }
        assert_eq!(names(&app, "esus_status=granted&region_code=53").await, Vec::<String>::new(), "combined with other filters");
        problem_of(app.get("/api/v1/organisations?esus_status=in_force").await, StatusCode::BAD_REQUEST, "invalid_parameter").await;
    }

    async fn list_organisations_filters_those_to_renew_by_esus_valid_until_before(app: TestApp) {
        let soon = new_organisation(&app, "Fin proche", None).await;
        create_accreditation(&app, &soon, granted(json!({"valid_until": month(2)}))).await;
        let later = new_organisation(&app, "Fin lointaine", None).await;
        create_accreditation(&app, &later, granted(json!({"valid_until": month(12)}))).await;
        let ended = new_organisation(&app, "Fin passée", None).await;
        create_accreditation(&app, &ended, granted(json!({"valid_until": day(-5)}))).await;
        let withdrawn = new_organisation(&app, "Retiré tôt", None).await;
        let to_withdraw = create_accreditation(&app, &withdrawn, granted(json!({"valid_until": month(1)}))).await;
        json_of(app.patch_json(&accreditation_path(&to_withdraw), &json!({"status": "withdrawn", "withdrawn_on": day(-1)})).await, StatusCode::OK).await;
        new_organisation(&app, "Sans agrément", None).await;

        let before_three_months = names(&app, &format!("esus_valid_until_before={}", month(3))).await;
        let still_in_force = names(&app, &format!("esus_valid_until_before={}&esus_status=granted", month(3))).await;
        let end_is_excluded = names(&app, &format!("esus_valid_until_before={}&esus_status=granted", month(2))).await;

        assert_eq!(before_three_months, ["Fin passée", "Fin proche"]);
        assert_eq!(still_in_force, ["Fin proche"]);
        assert_eq!(end_is_excluded, Vec::<String>::new(), "before the date, not on it");
        problem_of(app.get("/api/v1/organisations?esus_valid_until_before=30/06/2027").await, StatusCode::BAD_REQUEST, "invalid_parameter").await;
    }
}

on_both_backends! {
    async fn accreditations_are_read_by_logged_in_callers_and_recorded_by_the_regions_managers(app: TestApp) {
        let org = app.create_organisation(organisation("SCIC des Garrigues", json!({}))).await;
        let list = format!("/api/v1/organisations/{}/esus-accreditations", org["id"].as_str().unwrap());
        let body = application(json!({"notes": "dossier complet"}));

        problem_of(app.as_anonymous().post_json(&list, &body).await, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        problem_of(app.as_role(&Role::Viewer).post_json(&list, &body).await, StatusCode::FORBIDDEN, "forbidden").await;
        problem_of(app.as_role(&partner_of(&org["id"])).post_json(&list, &body).await, StatusCode::FORBIDDEN, "forbidden").await;
        problem_of(app.as_role(&manager_of("53")).post_json(&list, &body).await, StatusCode::FORBIDDEN, "forbidden").await;
        let page = json_of(app.get(&list).await, StatusCode::OK).await;
        assert_eq!(page["items"], json!([]), "refused callers recorded nothing");

        let manager = app.as_role(&manager_of("76"));
        let created = json_of(manager.post_json(&list, &body).await, StatusCode::CREATED).await;
        assert_eq!(created["notes"], "dossier complet");
        let one = format!("/api/v1/esus-accreditations/{}", created["id"].as_str().unwrap());

        problem_of(app.as_anonymous().get(&list).await, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        problem_of(app.as_anonymous().get(&one).await, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        for (who, role, sees_notes) in [
            ("viewer", Role::Viewer, false),
            ("manager of another region", manager_of("53"), false),
            ("the organisation's partner", partner_of(&org["id"]), true),
            ("manager of its region", manager_of("76"), true),
        ] {
            let caller = app.as_role(&role);
            let shown = json_of(caller.get(&one).await, StatusCode::OK).await;
            let listed = json_of(caller.get(&list).await, StatusCode::OK).await;
            assert_eq!(shown["status"], "applied", "{who}");
            assert_eq!(shown.get("notes").is_some(), sees_notes, "{who}: {shown}");
            assert_eq!(listed["items"][0].get("notes").is_some(), sees_notes, "{who}: {listed}");
        }

        let away = app.as_role(&manager_of("53"));
        problem_of(away.patch_json(&one, &json!({"notes": "autre"})).await, StatusCode::FORBIDDEN, "forbidden").await;
        problem_of(away.delete(&one).await, StatusCode::FORBIDDEN, "forbidden").await;
        assert_eq!(json_of(app.get(&one).await, StatusCode::OK).await, created, "unchanged");
        json_of(manager.patch_json(&one, &json!({"notes": "revu"})).await, StatusCode::OK).await;
        assert_eq!(manager.delete(&one).await.status(), StatusCode::NO_CONTENT);
    }
}
