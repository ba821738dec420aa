//! French and English (issue 16): every sentence an answer carries is written in the language
//! negotiated from `Accept-Language` — French when the header is absent or accepts neither —
//! with `Content-Language` and `Vary: Accept-Language`; the `code`s never change.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, organisation, problem_of};
use crate::on_both_backends;

/// A request as a browser or a script sends it: no default `Accept-Language`, only what
/// `language` says (none when `None`).
fn request(app: &TestApp, method: reqwest::Method, path: &str, language: Option<&str>) -> reqwest::RequestBuilder {
    let request = reqwest::Client::new()
        .request(method, app.url(path))
        .bearer_auth(app.token_for(&cress_api::core::Role::Admin));
    match language {
        Some(language) => request.header("accept-language", language),
        None => request,
    }
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The 422 of an organisation whose SIREN fails its check digit, in `language`, with its
/// `Content-Language`.
async fn bad_siren(app: &TestApp, language: Option<&str>) -> (String, Value) {
    let body = organisation("Régie de quartier", json!({"siren": "775672273"}));
    let response = request(app, reqwest::Method::POST, "/api/v1/organisations", language)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        header(&response, "vary").contains("Accept-Language"),
        "Vary names Accept-Language: {:?}",
        header(&response, "vary")
    );
    let content_language = header(&response, "content-language");
    (
        content_language,
        problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await,
    )
}

on_both_backends! {
    async fn problems_are_in_french_by_default_and_in_english_when_asked(app: TestApp) {
        let (fr_language, fr) = bad_siren(&app, None).await;
        let (en_language, en) = bad_siren(&app, Some("en-GB,en;q=0.9")).await;
        assert_eq!((fr_language.as_str(), en_language.as_str()), ("fr", "en"));
        assert_eq!(fr["detail"], "le champ siren est invalide");
        assert_eq!(en["detail"], "the field siren is invalid");
        assert_eq!(en["title"], "Invalid request");
        assert_eq!(fr["title"], "Requête invalide");
        for problem in [&fr, &en] {
            assert_eq!(problem["code"], "validation_failed", "codes are for programs: never translated");
            assert_eq!(problem["errors"][0]["field"], "siren");
            assert_eq!(problem["errors"][0]["code"], "invalid_checksum");
        }
        let (fr_message, en_message) = (fr["errors"][0]["message"].as_str().unwrap(), en["errors"][0]["message"].as_str().unwrap());
        assert_eq!(en_message, "775672273 fails the SIREN check digit (Luhn)");
        assert!(fr_message.contains("clé de contrôle"), "{fr_message}");

        // A language the API does not speak, or a preference for French, gets French.
        for language in ["de-DE", "es, it;q=0.5", "en;q=0.3, fr;q=0.8", "*", "fr-CA"] {
            let (content_language, problem) = bad_siren(&app, Some(language)).await;
            assert_eq!(content_language, "fr", "{language}");
            assert_eq!(problem["detail"], fr["detail"], "{language}");
        }
        // English is chosen when it is preferred, or when French is refused.
        for language in ["de, en;q=0.5", "fr;q=0, *;q=0.1", "EN-us"] {
            let (content_language, problem) = bad_siren(&app, Some(language)).await;
            assert_eq!(content_language, "en", "{language}");
            assert_eq!(problem["detail"], en["detail"], "{language}");
        }
    }

    async fn answers_without_sentences_vary_on_the_language_but_declare_none(app: TestApp) {
        let response = request(&app, reqwest::Method::GET, "/api/v1/organisations", Some("fr")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(header(&response, "vary").contains("Accept-Language"));
        assert!(header(&response, "vary").contains("Authorization"), "the other Vary stays");
        assert_eq!(header(&response, "content-language"), "", "register data is in no language of ours");
    }

    async fn import_row_errors_are_in_the_negotiated_language(app: TestApp) {
        let csv = "name,category,region_code\n,association,76\nRégie,association,05\n";
        let mut answers = Vec::new();
        for language in [None, Some("en")] {
            let response = request(&app, reqwest::Method::POST, "/api/v1/organisations/import", language)
                .header("content-type", "text/csv")
                .body(csv)
                .send()
                .await
                .unwrap();
            let content_language = header(&response, "content-language");
            let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "rows_invalid").await;
            answers.push((content_language, problem));
        }
        let [(fr_language, fr), (en_language, en)] = <[_; 2]>::try_from(answers).unwrap();
        assert_eq!((fr_language.as_str(), en_language.as_str()), ("fr", "en"));
        assert_eq!(fr["errors"].as_array().unwrap().len(), en["errors"].as_array().unwrap().len());
        for (fr_error, en_error) in fr["errors"].as_array().unwrap().iter().zip(en["errors"].as_array().unwrap()) {
            assert_eq!((&fr_error["row"], &fr_error["field"], &fr_error["code"]), (&en_error["row"], &en_error["field"], &en_error["code"]));
            assert_ne!(fr_error["message"], en_error["message"], "{fr_error} / {en_error}");
        }
        assert_ne!(fr["detail"], en["detail"]);
        assert_eq!(app.organisation_count().await, 0, "nothing imported");
    }

    async fn a_body_of_the_wrong_shape_is_explained_in_the_negotiated_language(app: TestApp) {
        let body = json!({"name": "Régie", "category": "guild", "region_code": "76"});
        let mut messages = Vec::new();
        for language in [None, Some("en")] {
            let response = request(&app, reqwest::Method::POST, "/api/v1/organisations", language)
                .json(&body)
                .send()
                .await
                .unwrap();
            let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            assert_eq!((&problem["errors"][0]["field"], &problem["errors"][0]["code"]), (&json!("category"), &json!("unknown_value")));
            messages.push(problem["errors"][0]["message"].as_str().unwrap().to_owned());
        }
        assert!(messages[0].starts_with("`guild` ne fait pas partie de : `association`"), "{}", messages[0]);
        assert!(messages[1].starts_with("`guild` is not one of `association`"), "{}", messages[1]);
        let typo = json!({"name": "Régie", "category": "association", "region_code": "76", "nmae": "x"});
        let response = request(&app, reqwest::Method::POST, "/api/v1/organisations", None).json(&typo).send().await.unwrap();
        let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(message.starts_with("champ `nmae` inconnu ; les champs sont `name`"), "{message}");
    }

    async fn an_import_report_that_lists_row_errors_declares_their_language(app: TestApp) {
        let csv = "name,category,region_code\nRégie,association,05\nRecyclerie,association,76\n";
        let response = request(&app, reqwest::Method::POST, "/api/v1/organisations/import?mode=valid_only", None)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await
            .unwrap();
        assert_eq!(header(&response, "content-language"), "fr");
        let report: Value = response.json().await.unwrap();
        assert_eq!((report["created"].as_u64(), report["failed"].as_u64()), (Some(1), Some(1)), "{report}");
        let message = report["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("n'est pas un code de région"), "{message}");
    }

    async fn token_errors_are_described_in_the_negotiated_language(app: TestApp) {
        let mut described = Vec::new();
        for language in ["fr", "en"] {
            let response = reqwest::Client::new()
                .post(app.url("/api/v1/auth/token"))
                .header("accept-language", language)
                .json(&json!({"email": "personne@example.org", "password": "pas le bon"}))
                .send()
                .await
                .unwrap();
            assert_eq!(header(&response, "content-language"), language);
            let problem = problem_of(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
            assert_eq!(problem["error"], "invalid_grant", "the OAuth code is for programs");
            assert_eq!(problem["error_description"], problem["detail"]);
            described.push(problem["error_description"].as_str().unwrap().to_owned());
        }
        assert_ne!(described[0], described[1], "{described:?}");

        // A refused bearer token: the answer in French, its WWW-Authenticate challenge in plain
        // ASCII English (a header is no place for accents).
        let response = reqwest::Client::new()
            .get(app.url("/api/v1/audit"))
            .bearer_auth("not.a.token")
            .send()
            .await
            .unwrap();
        let challenge = header(&response, "www-authenticate");
        assert!(challenge.is_ascii() && challenge.contains("error=\"invalid_token\""), "{challenge}");
        assert_eq!(header(&response, "content-language"), "fr");
        let problem = problem_of(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
        assert_ne!(problem["title"], "Invalid token");
    }

    async fn problem_pages_are_written_in_the_negotiated_language(app: TestApp) {
        for (language, tag) in [(None, "fr"), (Some("en"), "en")] {
            let response = request(&app, reqwest::Method::GET, "/problems/validation_failed", language)
                .header("accept", "text/html")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(header(&response, "content-language"), tag);
            assert!(header(&response, "vary").contains("Accept-Language"));
            let page = response.text().await.unwrap();
            assert!(page.contains(&format!("<html lang=\"{tag}\"")), "{page}");
        }
        let json: Value = request(&app, reqwest::Method::GET, "/problems/not_found", None)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(json["code"], "not_found");
        assert_ne!(json["title"], "Not found", "French by default: {json}");
    }
}
